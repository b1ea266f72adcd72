/*
 * Core's LOG service and the capture of components' stdout/stderr.
 * Every line goes to core's stdout in one write, as `[label] text`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

struct log_session {
	struct core_head head;
	struct cn_obj *obj;
	char label[CN_LABEL_MAX];
};

static void
write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* nowhere left to report to */
		}
		buf += n;
		len -= (size_t)n;
	}
}

void
core_log(const char *fmt, ...)
{
	char buf[CN_LOG_LINE_MAX + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	write_all(buf, (size_t)n);
}

/* One line of text (no newline inside), prefixed with the label; an
 * overlong line becomes several, nothing is cut off. */
static void
emit(const char *label, const char *text, size_t len)
{
	char buf[CN_LABEL_MAX + CN_LOG_LINE_MAX + 8];

	do {
		size_t take = len > CN_LOG_LINE_MAX ? CN_LOG_LINE_MAX : len;
		int n = snprintf(buf, sizeof(buf), "[%s] %.*s\n", label, (int)take, text);

		if (n > 0)
			write_all(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
		text += take;
		len -= take;
	} while (len);
}

void
core_log_labeled(const char *label, const char *text)
{
	const char *p = text;

	/* Genode splits a message at newlines; each part is its own line. */
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len || !nl)
			emit(label, p, len);
		if (!nl || !nl[1])
			break;
		p = nl + 1;
	}
}

void
core_line_feed(struct line_buffer *lb, const char *label, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			emit(label, lb->buf, lb->len);
			lb->len = 0;
			continue;
		}
		if (lb->len == sizeof(lb->buf)) {
			/* an overlong line is split, not lost */
			emit(label, lb->buf, lb->len);
			lb->len = 0;
		}
		lb->buf[lb->len++] = data[i];
	}
}

void
core_line_flush(struct line_buffer *lb, const char *label)
{
	if (lb->len)
		emit(label, lb->buf, lb->len);
	lb->len = 0;
}

static int
log_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct log_session *s = cn_obj_data(obj);
	char text[CN_MSG_STR_MAX + 1];
	int r = cn_log_request(rpc, text, sizeof(text));

	if (r == CN_ERR_BAD_MESSAGE)
		core_log("[%s] Error: malformed LOG write dropped", s->label);
	if (r < 0)
		return r;
	core_log_labeled(s->label, text);
	return CN_OK;
}

int
core_log_session_create(struct core *core, const char *label, struct core_head **ret)
{
	struct log_session *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->head.type = OBJ_LOG_SESSION;
	snprintf(s->label, sizeof(s->label), "%s", label);
	r = cn_obj_create(core->ep, log_dispatch, s, &s->obj);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = &s->head;
	return 0;
}

void
core_log_session_destroy(struct core_head *head)
{
	struct log_session *s = (struct log_session *)head;

	cn_obj_destroy(s->obj);
	free(s);
}

int
core_log_session_cap(struct core_head *head)
{
	return cn_obj_cap(((struct log_session *)head)->obj);
}

const char *
core_log_session_label(struct core_head *head)
{
	return ((struct log_session *)head)->label;
}
