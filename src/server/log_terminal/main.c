/*
 * log_terminal: a Terminal whose output goes to the LOG, as Genode's
 * log_terminal. Each session collects what its client writes and logs it
 * line by line, split at newlines, through our own LOG session (so a line
 * reads "[init -> log_terminal] text"); a line longer than LINE_MAX is
 * logged in pieces. The terminal has no input and no size.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/service.h>
#include <cairn/terminal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	LINE_MAX = CN_LOG_LINE_MAX - 1, /* bytes of one logged line */
	SESSIONS_MAX = 64,
};

struct session {
	struct cn_terminal_session *terminal;
	char label[CN_LABEL_MAX];
	char line[LINE_MAX + 1]; /* the line being collected, NUL-terminated on flush */
	size_t len;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	unsigned sessions;
} state;

static void
flush(struct session *s)
{
	s->line[s->len] = 0;
	cn_log(state.env, "%s", s->line);
	s->len = 0;
}

static size_t
session_write(void *data, const void *src, size_t len)
{
	struct session *s = data;
	const char *text = src;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			flush(s);
			continue;
		}
		/* a LOG message is a string: a NUL cannot be part of it */
		if (text[i])
			s->line[s->len++] = text[i];
		if (s->len == LINE_MAX)
			flush(s);
	}
	return len;
}

static void
session_refused(void *data, const char *reason)
{
	struct session *s = data;

	cn_warning(state.env, "'%s': %s, refused", s->label, reason);
}

static const struct cn_terminal_server_ops session_ops = {
    .write = session_write,
    .refused = session_refused,
};

static int
terminal_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	struct session *s;
	int r;

	(void)data;
	if (state.sessions == SESSIONS_MAX) {
		cn_warning(state.env, "denying session for '%s': %d sessions open already",
		           req->label, SESSIONS_MAX);
		return CN_ERR_DENIED;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_DENIED;
	snprintf(s->label, sizeof(s->label), "%s", req->label);
	r = cn_terminal_session_create(state.env, req, CN_TERMINAL_IO_BUFFER_SIZE, true,
	                               &session_ops, s, &s->terminal);
	if (r < 0) {
		cn_warning(state.env, "denying session for '%s': %s", req->label, cn_strerror(r));
		free(s);
		return r == CN_ERR_INSUFFICIENT_RAM || r == CN_ERR_INSUFFICIENT_CAPS
		           ? r
		           : CN_ERR_DENIED;
	}
	state.sessions++;
	*ret_session = s;
	*ret_cap = cn_terminal_session_cap(s->terminal);
	return 0;
}

static void
terminal_close(void *data, void *session)
{
	struct session *s = session;

	(void)data;
	/* the last line, even without its newline */
	if (s->len)
		flush(s);
	cn_terminal_session_destroy(s->terminal);
	free(s);
	state.sessions--;
}

static const struct cn_service_ops terminal_service = {
    .create = terminal_create,
    .close = terminal_close,
};

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	r = cn_service_announce(env, "Terminal", &terminal_service, NULL);
	if (r < 0) {
		cn_error(env, "cannot announce the Terminal service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
