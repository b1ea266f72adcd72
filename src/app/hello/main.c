/*
 * hello: the smallest useful component, used by the README's tour.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/timer.h>

static struct cn_timer *timer;

void
cn_construct(struct cn_env *env)
{
	cn_log(env, "Hello from %s", env->name);
	if (cn_timer_open(env, "", &timer) == 0) {
		cn_timer_usleep(timer, 500 * 1000); /* sleeps on a signal */
		cn_log(env, "half a second later: %llu ms",
		       (unsigned long long)cn_timer_elapsed_ms(timer));
	}
	cn_exit(env, 0);
}
