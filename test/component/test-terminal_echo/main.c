/*
 * test-terminal_echo: a Terminal client for the host terminal's tests.
 * <config mode="..."/> picks the test:
 *   echo     (default) logs the terminal's size, writes "terminal_echo:
 *            ready" to the terminal, then answers every line of input with
 *            "> " and the line in upper case; the line "quit" ends it with
 *            exit value 0; a new size is logged as "terminal resized:
 *            COLUMNSxLINES";
 *   twice    opens a session and a second one, which the host terminal
 *            denies (one session at a time), closes both, then echoes as
 *            above in a new session;
 *            (a line ends in "\n", "\r" or "\r\n": a terminal in raw mode
 *            sends "\r" for Enter)
 *   nogrant  a component without a <host_terminal/> grant reads its stdin
 *            (fd 0) and logs what it finds: /dev/null's end of file,
 *            whatever core's stdin is. (Without a grant, fds 5 and 6 are
 *            closed at exec, then the component's own runtime reuses them.)
 *            Then it asks core to grant it the terminal on its own PD,
 *            which core refuses (it is running already).
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/terminal.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	LINE_MAX = 256, /* longer lines are answered in pieces */
	READ_CHUNK = 512,
};

static struct {
	struct cn_env *env;
	struct cn_terminal *terminal;
	struct cn_sig *read_avail;
	struct cn_sig *size_changed;
	char line[LINE_MAX + 3]; /* "> " and the line */
	size_t len;
	bool after_cr; /* the last input byte was '\r' */
} state;

static void
put(const char *text, size_t len)
{
	size_t written;
	int r = cn_terminal_write(state.terminal, text, len, &written);

	if (r < 0 || written != len)
		cn_error(state.env, "write to the terminal: %s, %zu of %zu bytes",
		         r < 0 ? cn_strerror(r) : "short", written, len);
}

static void
answer(void)
{
	state.line[state.len] = 0;
	if (strcmp(state.line + 2, "quit") == 0) {
		cn_log(state.env, "quit");
		cn_exit(state.env, 0);
	}
	for (size_t i = 2; i < state.len; i++)
		state.line[i] = (char)toupper((unsigned char)state.line[i]);
	state.line[state.len++] = '\n';
	put(state.line, state.len);
	cn_log(state.env, "answered a line of %zu bytes", state.len - 3);
	state.len = 2;
}

static void
input(void *data, uint32_t count)
{
	char buf[READ_CHUNK];
	size_t n;

	(void)data;
	(void)count;
	do {
		int r = cn_terminal_read(state.terminal, buf, sizeof(buf), &n);

		if (r < 0) {
			cn_error(state.env, "read from the terminal: %s", cn_strerror(r));
			return;
		}
		for (size_t i = 0; i < n; i++) {
			/* a line ends in "\n" (cooked), "\r" (a raw terminal's Enter)
			 * or "\r\n" */
			bool after_cr = state.after_cr;

			state.after_cr = buf[i] == '\r';
			if (buf[i] == '\n' && after_cr)
				continue;
			if (buf[i] == '\n' || buf[i] == '\r') {
				answer();
				continue;
			}
			state.line[state.len++] = buf[i];
			if (state.len == LINE_MAX + 2)
				answer();
		}
	} while (n);
}

/* The window was resized: log the new size. */
static void
resized(void *data, uint32_t count)
{
	unsigned columns, lines;

	(void)data;
	(void)count;
	if (cn_terminal_size(state.terminal, &columns, &lines) == 0)
		cn_log(state.env, "terminal resized: %ux%u", columns, lines);
}

static void
echo(void)
{
	static const char ready[] = "terminal_echo: ready\n";
	unsigned columns, lines;
	int r;

	state.len = 2;
	memcpy(state.line, "> ", 2);
	r = cn_terminal_open(state.env, NULL, &state.terminal);
	if (r == 0)
		r = cn_terminal_size(state.terminal, &columns, &lines);
	if (r == 0)
		r = cn_sig_create(state.env->ep, input, NULL, &state.read_avail);
	if (r == 0)
		r = cn_terminal_read_avail_sigh(state.terminal, cn_sig_cap(state.read_avail));
	if (r == 0)
		r = cn_sig_create(state.env->ep, resized, NULL, &state.size_changed);
	if (r == 0)
		r = cn_terminal_size_changed_sigh(state.terminal, cn_sig_cap(state.size_changed));
	if (r < 0) {
		cn_error(state.env, "terminal: %s", cn_strerror(r));
		cn_exit(state.env, 1);
	}
	cn_log(state.env, "terminal size: %ux%u", columns, lines);
	put(ready, sizeof(ready) - 1);
}

/* The host terminal serves one session at a time: a second one is denied,
 * and once the first is closed a new one is served. Then echo. */
static void
twice(void)
{
	struct cn_terminal *first, *second = NULL;
	int r = cn_terminal_open(state.env, "first", &first);

	if (r == 0) {
		r = cn_terminal_open(state.env, "second", &second);
		cn_log(state.env, "twice: a second session: %s",
		       r == 0 ? "served" : cn_strerror(r));
		cn_terminal_close(second);
		cn_terminal_close(first);
	} else {
		cn_error(state.env, "twice: the first session: %s", cn_strerror(r));
	}
	echo();
}

static void
nogrant(void)
{
	char c;
	ssize_t n = read(0, &c, 1);

	int r;

	cn_log(state.env, "nogrant: fd 0: %s, %s: %s",
	       n < 0    ? strerror(errno)
	       : n == 0 ? "end of file"
	                : "readable",
	       CN_HOST_TERMINAL_ENV, getenv(CN_HOST_TERMINAL_ENV) ? "set" : "unset");
	/* a running component cannot grant itself the terminal */
	r = cn_pd_host_terminal(state.env->pd, 0);
	cn_log(state.env, "nogrant: granting myself: %s", cn_strerror(r));
	cn_exit(state.env, 0);
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config;
	char mode[16] = "echo";

	state.env = env;
	if (cn_config(env, &config) == 0 &&
	    cn_xml_attr_str(config, "mode", mode, sizeof(mode)) == -ENAMETOOLONG) {
		cn_error(env, "config: mode too long");
		cn_exit(env, 1);
	}
	if (strcmp(mode, "echo") == 0)
		echo();
	else if (strcmp(mode, "twice") == 0)
		twice();
	else if (strcmp(mode, "nogrant") == 0)
		nogrant();
	else {
		cn_error(env, "unknown mode '%s'", mode);
		cn_exit(env, 1);
	}
}
