/*
 * The host terminal grant (CN_PD_HOST_TERMINAL): a start node's
 * <host_terminal/> reaches core through init, and core hands the PD's
 * process its own standard input as fd CN_HOST_TERMINAL_IN_FD and its own
 * standard output as fd CN_HOST_TERMINAL_OUT_FD. Nothing else of the host
 * terminal is handed out, and nobody has it by default (every other
 * process's fd 0 is /dev/null).
 *
 * One component at a time: the top-level init may grant it to one child
 * while no other PD holds it; below, a PD's parent must hold it (a nested
 * init passes it on, and keeps its copy, which init never uses).
 *
 * The input is a new open of core's stdin through /proc/self/fd/0, made
 * non-blocking (its own open file description, so core's stdin and the
 * shell's stay blocking); where that cannot be opened (a socket), a
 * duplicate as it is. The output is a duplicate of core's stdout: it
 * shares the file offset, so the driver's writes and core's log lines
 * interleave chunk by chunk and never overwrite each other.
 *
 * Raw mode (the component cannot ioctl): on request, if core's stdin is a
 * terminal, core saves its mode and switches it, and restores it when the
 * granted PD is closed and, as a last resort, when core exits.
 */
#include <cairn/pd.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "core.h"

/* The terminal's mode before raw mode, while it is raw. */
static struct {
	struct termios saved;
	bool raw;
	bool at_exit; /* restore_mode is registered */
} mode;

static void
restore_mode(void)
{
	if (mode.raw && tcsetattr(0, TCSAFLUSH, &mode.saved) == 0)
		mode.raw = false;
}

/* No line editing, no echo, input bytes as typed (Enter is '\r'); output
 * processing stays (core's log lines end in "\n") and so do signals
 * (Ctrl-C still ends the run). */
static int
enter_raw_mode(void)
{
	struct termios raw;

	if (mode.raw)
		return -EBUSY;
	if (tcgetattr(0, &mode.saved) < 0)
		return -errno;
	raw = mode.saved;
	raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INLCR | IGNCR | ISTRIP | IXON | PARMRK);
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (!mode.at_exit)
		mode.at_exit = atexit(restore_mode) == 0;
	if (tcsetattr(0, TCSAFLUSH, &raw) < 0)
		return -errno;
	mode.raw = true;
	return 0;
}

enum {
	DEFAULT_COLUMNS = 80, /* a host stdin that is no terminal has no size */
	DEFAULT_LINES = 24,
};

void
core_stdio_init(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* the lowest free fd: this one */
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(3);
	}
}

static bool
is_ancestor(struct pd *anc, struct pd *pd)
{
	for (struct pd *p = core_pd_parent(pd); p; p = core_pd_parent(p))
		if (p == anc)
			return true;
	return false;
}

static void
terminal_size(int fd, unsigned *ret_columns, unsigned *ret_lines)
{
	struct winsize ws;

	*ret_columns = DEFAULT_COLUMNS;
	*ret_lines = DEFAULT_LINES;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		*ret_columns = ws.ws_col;
		*ret_lines = ws.ws_row;
	}
}

int
core_pd_host_terminal(struct pd *pd, struct cn_rpc *rpc)
{
	struct pd *parent = core_pd_parent(pd);
	char line[CN_LABEL_MAX + 64];
	unsigned columns, lines;
	uint32_t raw;
	int in, out, size_pipe[2];

	if (cn_msg_get_u32(rpc->in, &raw) < 0 || cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	if (raw > 1)
		return CN_ERR_INVALID_ARG;
	if (pd->state != CN_PD_NOT_STARTED || pd->host_term_in >= 0 || !parent)
		return CN_ERR_DENIED;
	if (parent != pd->core->init_pd && parent->host_term_in < 0)
		return CN_ERR_DENIED;
	for (struct pd *p = pd->core->pds; p; p = p->next) {
		if (p == pd || p->host_term_in < 0 || is_ancestor(p, pd))
			continue;
		snprintf(line, sizeof(line), "host terminal refused: held by '%s'", p->label);
		core_log_labeled(pd->label, line);
		return -EBUSY;
	}
	if (pipe2(size_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	in = open("/proc/self/fd/0", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in < 0)
		in = fcntl(0, F_DUPFD_CLOEXEC, 0);
	out = fcntl(1, F_DUPFD_CLOEXEC, 0);
	if (in < 0 || out < 0) {
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		close(size_pipe[0]);
		close(size_pipe[1]);
		return CN_ERR_NOT_FOUND;
	}
	terminal_size(in, &columns, &lines);
	pd->host_term_size_r = size_pipe[0];
	pd->host_term_size_w = size_pipe[1];
	pd->host_term_columns = columns;
	pd->host_term_lines = lines;
	/* a raw mode asked for is one's own: it ends with this grant */
	if (raw) {
		int r = enter_raw_mode();

		pd->host_term_raw = r == 0;
		/* the grant stands: the component gets the bytes as they come */
		if (r < 0) {
			snprintf(line, sizeof(line),
			         "Warning: host terminal: no raw mode: core's stdin %s",
			         r == -ENOTTY ? "is not a terminal" : strerror(-r));
			core_log_labeled(pd->label, line);
		}
	}
	pd->host_term_in = in;
	pd->host_term_out = out;
	snprintf(pd->host_term_env, sizeof(pd->host_term_env), CN_HOST_TERMINAL_ENV "=%ux%u",
	         columns, lines);
	if (pd->core->verbose) {
		snprintf(line, sizeof(line), "host terminal granted (%ux%u%s)", columns, lines,
		         pd->host_term_raw ? ", raw mode" : "");
		core_log_labeled(pd->label, line);
	}
	return CN_OK;
}

void
core_pd_host_terminal_release(struct pd *pd)
{
	if (pd->host_term_in >= 0)
		close(pd->host_term_in);
	if (pd->host_term_out >= 0)
		close(pd->host_term_out);
	pd->host_term_in = pd->host_term_out = -1;
	if (pd->host_term_size_r >= 0)
		close(pd->host_term_size_r);
	if (pd->host_term_size_w >= 0)
		close(pd->host_term_size_w);
	pd->host_term_size_r = pd->host_term_size_w = -1;
	if (pd->host_term_raw)
		restore_mode();
	pd->host_term_raw = false;
}

void
core_host_terminal_resized(struct core *core)
{
	for (struct pd *pd = core->pds; pd; pd = pd->next) {
		uint32_t size[2];
		unsigned columns, lines;

		if (pd->host_term_size_w < 0)
			continue;
		terminal_size(pd->host_term_in, &columns, &lines);
		if (columns == pd->host_term_columns && lines == pd->host_term_lines)
			continue;
		size[0] = columns;
		size[1] = lines;
		/* a full pipe (a holder that never reads it, such as a nested
		 * init that passed the grant on) loses the record */
		if (write(pd->host_term_size_w, size, sizeof(size)) == (ssize_t)sizeof(size)) {
			pd->host_term_columns = columns;
			pd->host_term_lines = lines;
		}
	}
}
