/*
 * terminal_log: a LOG service that writes to a Terminal, as Genode's
 * terminal_log. Every line a client logs becomes "[<label>] line\n" on
 * the terminal, split at newlines as core's LOG does (empty lines are
 * dropped). The Terminal session is opened at startup; the service is
 * announced once it is connected.
 *
 * Nothing blocks: when the terminal takes less than a whole line (a full
 * terminal_crosslink buffer, say), the rest is dropped, which is said once
 * until the terminal takes output again.
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
	LOG_SESSION_RAM = 4096, /* a LOG session's donation: its state */
	LOG_SESSION_CAPS = 1,
	SESSIONS_MAX = 64,
	/* "[label] " + one line of a LOG write + newline */
	OUTPUT_MAX = CN_LABEL_MAX + 3 + CN_MSG_STR_MAX + 1,
};

struct session {
	struct cn_obj *obj;
	char label[CN_LABEL_MAX];
	bool refused; /* a malformed request was logged */
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_terminal *terminal;
	unsigned sessions;
	bool dropping; /* output was dropped and not yet taken again */
} state;

static void
output(const char *label, const char *line, size_t len)
{
	char text[OUTPUT_MAX];
	size_t written = 0;
	int n = snprintf(text, sizeof(text), "[%s] %.*s\n", label, (int)len, line);
	int r;

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(text))
		n = (int)sizeof(text) - 1;
	r = cn_terminal_write(state.terminal, text, (size_t)n, &written);
	if (r == 0 && written == (size_t)n) {
		state.dropping = false;
		return;
	}
	if (!state.dropping)
		cn_warning(state.env, "terminal does not take the output: %s, dropping log lines",
		           r < 0 ? cn_strerror(r) : "full");
	state.dropping = true;
}

static int
log_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct session *s = cn_obj_data(obj);
	char text[CN_MSG_STR_MAX + 1];
	int r = cn_log_request(rpc, text, sizeof(text));

	if (r < 0) {
		if (!s->refused)
			cn_warning(state.env, "'%s': malformed LOG request, refused", s->label);
		s->refused = true;
		return r;
	}
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");

		if (len)
			output(s->label, line, len);
		line += len + (line[len] == '\n');
	}
	return CN_OK;
}

static int
log_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	struct session *s;

	(void)data;
	if (req->ram_quota < LOG_SESSION_RAM)
		return CN_ERR_INSUFFICIENT_RAM;
	if (req->cap_quota < LOG_SESSION_CAPS)
		return CN_ERR_INSUFFICIENT_CAPS;
	if (state.sessions == SESSIONS_MAX) {
		cn_warning(state.env, "denying session for '%s': %d sessions open already",
		           req->label, SESSIONS_MAX);
		return CN_ERR_DENIED;
	}
	s = calloc(1, sizeof(*s));
	if (!s || cn_obj_create(state.env->ep, log_dispatch, s, &s->obj) < 0) {
		free(s);
		return CN_ERR_DENIED;
	}
	snprintf(s->label, sizeof(s->label), "%s", req->label);
	state.sessions++;
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

static void
log_close(void *data, void *session)
{
	struct session *s = session;

	(void)data;
	cn_obj_destroy(s->obj);
	free(s);
	state.sessions--;
}

static const struct cn_service_ops log_service = {
    .create = log_create,
    .close = log_close,
};

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	r = cn_terminal_open(env, NULL, &state.terminal);
	if (r < 0) {
		cn_error(env, "cannot open the Terminal session: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
	r = cn_service_announce(env, "LOG", &log_service, NULL);
	if (r < 0) {
		cn_error(env, "cannot announce the LOG service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
