/*
 * test-dynamic_config: the client half of Genode's dynamic_config test.
 * It logs the <counter> of its config ROM at startup and after every
 * change: "obtained counter value N from config".
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/xml.h>

#include <string.h>

static void
handle_config(struct cn_env *env)
{
	const struct cn_xml_node *config, *counter;
	const char *text;
	size_t len;

	if (cn_config(env, &config) < 0 || !(counter = cn_xml_child(config, "counter"))) {
		cn_error(env, "could not parse configuration");
		return;
	}
	/* each line of the content, as Genode's for_each_quoted_line */
	text = counter->content;
	len = counter->content_len;
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t line = nl ? (size_t)(nl - text) : len;

		cn_log(env, "obtained counter value %.*s from config", (int)line, text);
		if (!nl)
			break;
		text += line + 1;
		len -= line + 1;
	}
}

void
cn_construct(struct cn_env *env)
{
	int r;

	handle_config(env);
	r = cn_config_sigh(env, handle_config);
	if (r < 0) {
		cn_error(env, "cannot watch the config: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
