/*
 * test-log_terminal: a Terminal client of log_terminal. It writes text in
 * the ways a terminal client does (whole lines, lines in pieces, several
 * lines at once, an overlong line, output longer than the I/O buffer, a
 * NUL byte, a last line without newline) and checks the terminal's other
 * side: no input, size 0x0, a write beyond the I/O buffer refused. The
 * scenario checks what log_terminal logs.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/terminal.h>

#include <stdio.h>
#include <string.h>

enum {
	LONG_LINE = 1500,     /* more than one LOG line */
	NUMBERED_LINES = 500, /* "line 0000\n" ...: 5000 bytes, more than the I/O buffer */
};

static struct {
	struct cn_env *env;
	struct cn_terminal *terminal;
	char text[NUMBERED_LINES * 10 + 1];
} state;

__attribute__((noreturn)) static void
fail(const char *what, int err)
{
	cn_error(state.env, "%s: %s", what, cn_strerror(err));
	cn_exit(state.env, 1);
}

static void
put(const char *text, size_t len)
{
	size_t written;
	int r = cn_terminal_write(state.terminal, text, len, &written);

	if (r < 0)
		fail("write failed", r);
	if (written != len)
		fail("log_terminal took only part of a write", (int)written);
}

static void
put_str(const char *text)
{
	put(text, strlen(text));
}

/* log_terminal has no input and no size; a write beyond the I/O buffer is
 * refused. */
static void
check_other_side(void)
{
	unsigned columns = 1, lines = 1;
	struct cn_msg msg;
	size_t n = 1;
	char c;
	int r;

	r = cn_terminal_size(state.terminal, &columns, &lines);
	if (r < 0 || columns || lines)
		fail("size is not 0x0", r);
	r = cn_terminal_avail(state.terminal);
	if (r != 0)
		fail("input available", r);
	r = cn_terminal_read(state.terminal, &c, 1, &n);
	if (r < 0 || n)
		fail("read gave input", r);

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_TERMINAL_WRITE);
	cn_msg_put_u64(&msg, cn_terminal_io_buffer_size(state.terminal) + 1);
	r = cn_call(cn_terminal_cap(state.terminal), &msg);
	cn_msg_reset(&msg);
	if (r != CN_ERR_TOO_BIG)
		fail("a write beyond the I/O buffer was not refused", r);
	cn_log(state.env, "no input, no size, write beyond the I/O buffer refused");
}

void
cn_construct(struct cn_env *env)
{
	char *p;
	int r;

	state.env = env;
	r = cn_terminal_open(env, NULL, &state.terminal);
	if (r < 0)
		fail("Terminal session unavailable", r);
	check_other_side();

	put_str("Hello from test-log_terminal\n");
	put_str("a line ");
	put_str("in pieces\n");
	put_str("three\nlines\nat once\n");
	memset(state.text, 'x', LONG_LINE);
	state.text[LONG_LINE] = '\n';
	put(state.text, LONG_LINE + 1);
	put("nul\0byte\n", 9);
	p = state.text;
	for (int i = 0; i < NUMBERED_LINES; i++)
		p += sprintf(p, "line %04d\n", i);
	put(state.text, (size_t)(p - state.text));
	put_str("last words without newline");

	/* log_terminal logs the line once it learns of the close, which may be
	 * after we exited */
	cn_log(env, "closing the session with a line pending");
	cn_terminal_close(state.terminal);
	cn_log(env, "test-log_terminal: done");
	cn_exit(env, 0);
}
