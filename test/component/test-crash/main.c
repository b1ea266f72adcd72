/*
 * test-crash: ends abnormally in the way its <config action="..."/> says,
 * so the scenarios can check that every such end is reported:
 *   segv     - a write through a null pointer (killed by SIGSEGV)
 *   abort    - abort() (killed by SIGABRT)
 *   exit     - exit(3) without telling the parent
 *   overflow - a heap buffer overflow (the sanitizer report in the log)
 *   ub       - a signed integer overflow (UBSan's report in the log)
 *   hang     - never returns from construct (its entrypoint stops, so it
 *              answers no heartbeat)
 */
#include <cairn/env.h>
#include <cairn/log.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A real fault, even in the sanitizer build (whose checks would otherwise
 * report the null store themselves and exit). */
__attribute__((no_sanitize("address", "undefined"))) static void
fault(void)
{
	volatile int *p = NULL;
	*p = 1;
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config;
	char action[32] = "";

	if (cn_config(env, &config) == 0)
		cn_xml_attr_str(config, "action", action, sizeof(action));
	cn_log(env, "crashing by %s", action);
	if (strcmp(action, "segv") == 0) {
		fault();
	} else if (strcmp(action, "abort") == 0) {
		abort();
	} else if (strcmp(action, "exit") == 0) {
		exit(3);
	} else if (strcmp(action, "hang") == 0) {
		for (;;)
			pause();
	} else if (strcmp(action, "ub") == 0) {
		volatile int big = INT_MAX;
		cn_log(env, "%d", big + 1);
	} else if (strcmp(action, "overflow") == 0) {
		char *volatile p = malloc(8);
		p[8] = 1;
		free(p);
	} else {
		cn_error(env, "unknown action \"%s\"", action);
		cn_exit(env, 2);
	}
	cn_error(env, "still alive after %s", action);
	cn_exit(env, 1);
}
