/*
 * LOG: component-side formatting, Genode-style warnings and errors.
 */
#include <cairn/env.h>
#include <cairn/log.h>

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

static void
vlog(struct cn_env *env, const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
	char buf[CN_LOG_LINE_MAX];
	size_t n = strlen(prefix);

	memcpy(buf, prefix, n);
	vsnprintf(buf + n, sizeof(buf) - n - strlen(suffix), fmt, ap);
	strcat(buf, suffix);
	if (!env || env->log < 0 || cn_log_write(env->log, buf) < 0)
		fprintf(stderr, "%s\n", buf);
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
