/*
 * LOG: component-side formatting, Genode-style warnings and errors.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/xml.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
cn_log_write(int log_cap, const char *text)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_LOG_WRITE);
	cn_msg_put_str(&msg, text);
	r = cn_call(log_cap, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

enum { MESSAGE_MAX = 4 * CN_LOG_LINE_MAX };

/* Format the whole message, then send it in pieces core prints as lines
 * of their own: a long message is split, never cut off (up to
 * MESSAGE_MAX, beyond which it is truncated with a marker). */
static void
vlog(struct cn_env *env, const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
	char buf[MESSAGE_MAX];
	size_t pre = strlen(prefix), suf = strlen(suffix), len;
	int n;

	memcpy(buf, prefix, pre);
	n = vsnprintf(buf + pre, sizeof(buf) - pre - suf, fmt, ap);
	if (n < 0)
		return;
	len = pre + ((size_t)n < sizeof(buf) - pre - suf ? (size_t)n : sizeof(buf) - pre - suf - 1);
	if ((size_t)n >= sizeof(buf) - pre - suf)
		memcpy(buf + len - 3, "...", 3);
	memcpy(buf + len, suffix, suf + 1);
	len += suf;

	for (size_t off = 0; off < len;) {
		char piece[CN_LOG_LINE_MAX];
		size_t take = len - off < sizeof(piece) - 1 ? len - off : sizeof(piece) - 1;

		memcpy(piece, buf + off, take);
		piece[take] = 0;
		off += take;
		if (!env || env->log < 0 || cn_log_write(env->log, piece) < 0)
			fprintf(stderr, "%s\n", piece);
	}
}

void
cn_log(struct cn_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(env, "", "", fmt, ap);
	va_end(ap);
}

void
cn_warning(struct cn_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(env, "\033[34mWarning: ", "\033[0m", fmt, ap);
	va_end(ap);
}

void
cn_error(struct cn_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(env, "\033[31mError: ", "\033[0m", fmt, ap);
	va_end(ap);
}

void
cn_config_error(struct cn_env *env, const struct cn_xml_node *node, const char *fmt, ...)
{
	char text[MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cn_error(env, "config:%u:%u: %s", node->line, node->column, text);
}
