/*
 * host_terminal: a Terminal whose input is the host's standard input and
 * whose output is the host's standard output, so a scenario can be used
 * interactively from a shell. Genode on Linux has no such driver (its
 * terminals are UART or graphical ones); the name follows lx_fs's idea of
 * a driver for a piece of the host.
 *
 * The host terminal is granted by the start node's <host_terminal/>: core
 * hands over its stdin as fd CN_HOST_TERMINAL_IN_FD and its stdout as fd
 * CN_HOST_TERMINAL_OUT_FD and puts the size in CN_HOST_TERMINAL_ENV (see
 * include/cairn/pd.h); a new size (the window was resized: SIGWINCH at
 * core) comes on CN_HOST_TERMINAL_SIZE_FD and is passed on as the
 * session's size-changed signal. One session at a time: there is one host
 * terminal.
 *
 * Input is read into a buffer as it arrives (the read-avail signal tells
 * the client); a full buffer stops reading until the client takes some.
 * The end of the input (a closed pipe, the end of a file) is nothing
 * special, as in Genode: reads give no more data, writes go on. On a
 * terminal, Ctrl-D ends one read only. The terminal's mode is core's
 * business (<host_terminal raw="yes"/>): the driver cannot ioctl.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/service.h>
#include <cairn/terminal.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	INPUT_BUFFER_SIZE = 4096, /* host input not yet read by the client */
	SIZE_MAX_VALUE = 10000,   /* columns or lines beyond are no size */
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_terminal_session *session; /* the one session, or NULL */
	char label[CN_LABEL_MAX];            /* its client */
	unsigned columns, lines;
	char input[INPUT_BUFFER_SIZE];
	size_t input_len;
	struct cn_watch *watch;      /* watching the input, NULL while full or ended */
	struct cn_watch *size_watch; /* watching CN_HOST_TERMINAL_SIZE_FD */
	bool polled;                 /* a regular file: read on demand, not watched */
	bool tty;                    /* a character device: its end of input is one read's */
	bool ended;                  /* no more input will come */
	bool output_lost;            /* warned that the host output is gone */
} state;

static void input_ready(void *data, uint32_t events);

static void
watch_input(void)
{
	if (state.watch || state.polled || state.ended || state.input_len == sizeof(state.input))
		return;
	if (cn_ep_watch(state.env->ep, CN_HOST_TERMINAL_IN_FD, EPOLLIN, input_ready, NULL,
	                &state.watch) < 0)
		state.polled = true; /* epoll refuses regular files: they never block */
}

static void
unwatch_input(void)
{
	cn_watch_destroy(state.watch);
	state.watch = NULL;
}

/* Read what the host has for us; true if new input arrived. */
static bool
fill(bool hangup)
{
	ssize_t n;

	if (state.ended || state.input_len == sizeof(state.input))
		return false;
	n = read(CN_HOST_TERMINAL_IN_FD, state.input + state.input_len,
	         sizeof(state.input) - state.input_len);
	if (n > 0) {
		state.input_len += (size_t)n;
		if (state.input_len == sizeof(state.input))
			unwatch_input(); /* until the client takes some */
		return true;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n < 0)
		cn_warning(state.env, "host input failed: %s, no more input", strerror(errno));
	/* the end: for good, except a terminal's Ctrl-D while it is there */
	if (n < 0 || !state.tty || hangup || state.polled) {
		state.ended = true;
		unwatch_input();
	}
	return false;
}

static void
input_ready(void *data, uint32_t events)
{
	(void)data;
	if (fill(!(events & EPOLLIN) || (events & EPOLLHUP)) && state.session)
		cn_terminal_session_read_avail(state.session);
}

static bool
session_avail(void *data)
{
	(void)data;
	if (state.polled && !state.input_len)
		fill(false);
	return state.input_len > 0;
}

static size_t
session_read(void *data, void *dst, size_t max)
{
	size_t n;

	if (!session_avail(data))
		return 0;
	n = max < state.input_len ? max : state.input_len;
	memcpy(dst, state.input, n);
	memmove(state.input, state.input + n, state.input_len - n);
	state.input_len -= n;
	watch_input();
	/* a file is never watched: tell of the next piece, if there is one */
	if (state.polled && !state.input_len && fill(false))
		cn_terminal_session_read_avail(state.session);
	return n;
}

/* Whole chunks: core writes its log lines to the same output, line by line. */
static size_t
session_write(void *data, const void *src, size_t len)
{
	size_t done = 0;

	(void)data;
	while (done < len) {
		ssize_t n = write(CN_HOST_TERMINAL_OUT_FD, (const char *)src + done, len - done);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return done; /* full for now: the client retries */
		if (!state.output_lost)
			cn_warning(state.env, "host output failed: %s, output dropped",
			           n < 0 ? strerror(errno) : "nothing written");
		state.output_lost = true;
		return len; /* gone for good: swallowed, as by a terminal nobody reads */
	}
	return done;
}

static void
session_size(void *data, unsigned *ret_columns, unsigned *ret_lines)
{
	(void)data;
	*ret_columns = state.columns;
	*ret_lines = state.lines;
}

static void
session_refused(void *data, const char *reason)
{
	(void)data;
	cn_warning(state.env, "'%s': %s, refused", state.label, reason);
}

static const struct cn_terminal_server_ops session_ops = {
    .avail = session_avail,
    .read = session_read,
    .write = session_write,
    .size = session_size,
    .refused = session_refused,
};

static int
terminal_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	int r;

	(void)data;
	if (state.session) {
		cn_warning(state.env,
		           "denying session for '%s': the host terminal is in use by '%s'",
		           req->label, state.label);
		return CN_ERR_DENIED;
	}
	snprintf(state.label, sizeof(state.label), "%s", req->label);
	r = cn_terminal_session_create(state.env, req, CN_TERMINAL_IO_BUFFER_SIZE, true,
	                               &session_ops, NULL, &state.session);
	if (r < 0) {
		cn_warning(state.env, "denying session for '%s': %s", req->label, cn_strerror(r));
		state.session = NULL;
		return r == CN_ERR_INSUFFICIENT_RAM || r == CN_ERR_INSUFFICIENT_CAPS
		           ? r
		           : CN_ERR_DENIED;
	}
	*ret_session = state.session;
	*ret_cap = cn_terminal_session_cap(state.session);
	return 0;
}

static void
terminal_close(void *data, void *session)
{
	(void)data;
	cn_terminal_session_destroy(session);
	state.session = NULL;
}

static const struct cn_service_ops terminal_service = {
    .create = terminal_create,
    .close = terminal_close,
};

/* Core tells a new size: the last complete record counts. */
static void
size_changed(void *data, uint32_t events)
{
	uint32_t size[16][2];
	bool changed = false;
	ssize_t n;

	(void)data;
	(void)events;
	while ((n = read(CN_HOST_TERMINAL_SIZE_FD, size, sizeof(size))) > 0) {
		size_t last = (size_t)n / sizeof(size[0]);

		/* core writes whole records (a pipe write of 8 bytes is atomic) */
		if (!last || (size_t)n % sizeof(size[0]))
			break;
		if (size[last - 1][0] && size[last - 1][1] && size[last - 1][0] <= SIZE_MAX_VALUE &&
		    size[last - 1][1] <= SIZE_MAX_VALUE) {
			state.columns = size[last - 1][0];
			state.lines = size[last - 1][1];
			changed = true;
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* core closed it: no more sizes */
		cn_watch_destroy(state.size_watch);
		state.size_watch = NULL;
	}
	if (changed && state.session)
		cn_terminal_session_size_changed(state.session);
}

/* "<columns>x<lines>" as core puts it; 0 x 0 (no size) if malformed. */
static void
parse_size(const char *text)
{
	unsigned c, l;
	char end;

	if (sscanf(text, "%ux%u%c", &c, &l, &end) == 2 && c && l && c <= SIZE_MAX_VALUE &&
	    l <= SIZE_MAX_VALUE) {
		state.columns = c;
		state.lines = l;
	}
}

void
cn_construct(struct cn_env *env)
{
	const char *grant = getenv(CN_HOST_TERMINAL_ENV);
	struct stat st;
	int r;

	state.env = env;
	if (!grant || fstat(CN_HOST_TERMINAL_IN_FD, &st) < 0) {
		cn_error(env, "no host terminal granted: my start node has no <host_terminal/>");
		cn_exit(env, 1);
	}
	parse_size(grant);
	state.tty = S_ISCHR(st.st_mode);
	state.polled = S_ISREG(st.st_mode);
	/* a host output that went away is a failed write, not a signal */
	signal(SIGPIPE, SIG_IGN);
	watch_input();
	if (cn_ep_watch(env->ep, CN_HOST_TERMINAL_SIZE_FD, EPOLLIN, size_changed, NULL,
	                &state.size_watch) < 0)
		cn_warning(env, "size changes of the host terminal are not followed");
	r = cn_service_announce(env, "Terminal", &terminal_service, NULL);
	if (r < 0) {
		cn_error(env, "cannot announce the Terminal service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
