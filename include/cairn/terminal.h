/*
 * Terminal session (Genode's Terminal::Session): a character stream in
 * both directions between a client and a terminal server such as
 * terminal_crosslink or log_terminal.
 *
 * Payload travels through a shared dataspace, the I/O buffer, which the
 * server allocates (paid by the session's donation) and hands out with
 * DATASPACE. To write, the client copies up to the buffer's size into it
 * and calls WRITE(n); the server takes what it can and answers how many
 * bytes it took. To read, the client calls READ(max); the server puts up
 * to max bytes at the start of the buffer and answers how many. Neither
 * call ever blocks: a full terminal takes fewer bytes (possibly none), an
 * empty one gives none. The client learns of new input from the
 * read-avail signal.
 *
 * Signals: CONNECTED_SIGH's handler is signalled once the session is
 * ready to use (at once by servers that are ready at creation);
 * READ_AVAIL_SIGH's whenever new input arrives; SIZE_CHANGED_SIGH's when
 * the terminal's size changes. Registering replaces the previous handler;
 * a read-avail handler registered while input is waiting is signalled at
 * once (Genode's servers do not), so input that came first is not missed.
 *
 * Session arguments: ram_quota of at least CN_TERMINAL_SESSION_RAM and
 * cap_quota of at least CN_TERMINAL_SESSION_CAPS (Genode's 10 KiB and 3).
 */
#ifndef CAIRN_TERMINAL_H
#define CAIRN_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cn_terminal_op {
	CN_TERMINAL_SIZE = 1,          /* -> u32 columns, u32 lines (0, 0: unknown) */
	CN_TERMINAL_AVAIL,             /* -> u32 1 if input is available, else 0 */
	CN_TERMINAL_READ,              /* u64 max -> u64 n: n <= max bytes of input at the
	                                * start of the I/O buffer (max is clamped to it) */
	CN_TERMINAL_WRITE,             /* u64 n -> u64 taken: n > the I/O buffer is
	                                * CN_ERR_TOO_BIG; taken <= n */
	CN_TERMINAL_CONNECTED_SIGH,    /* cap signal */
	CN_TERMINAL_READ_AVAIL_SIGH,   /* cap signal */
	CN_TERMINAL_SIZE_CHANGED_SIGH, /* cap signal */
	CN_TERMINAL_DATASPACE,         /* -> cap ds (rw), u64 size of the I/O buffer */
};

enum {
	CN_TERMINAL_IO_BUFFER_SIZE = 4096,    /* the I/O buffer of the servers in the tree */
	CN_TERMINAL_IO_BUFFER_MAX = 64 << 10, /* the largest a client accepts */
	CN_TERMINAL_SESSION_RAM = 10 << 10,   /* donation: the I/O buffer and the session */
	CN_TERMINAL_SESSION_CAPS = 3,         /* session object, I/O buffer, its metadata */
};

struct cn_env;
struct cn_terminal;

/*
 * Open Terminal session `label` (may be NULL) through the parent, attach
 * its I/O buffer and wait for the connected signal, as Genode's
 * Terminal::Connection does (dispatching the entrypoint meanwhile).
 */
int cn_terminal_open(struct cn_env *env, const char *label, struct cn_terminal **ret_terminal);
/* Close the session (NULL is ok). */
void cn_terminal_close(struct cn_terminal *terminal);

int cn_terminal_size(struct cn_terminal *terminal, unsigned *ret_columns, unsigned *ret_lines);
/* 1 if input is available, 0 if not, or -errno. */
int cn_terminal_avail(struct cn_terminal *terminal);
/* Read up to len bytes of available input into buf; never blocks (*ret_read
 * is 0 when there is none). */
int cn_terminal_read(struct cn_terminal *terminal, void *buf, size_t len, size_t *ret_read);
/*
 * Write len bytes, in pieces of the I/O buffer's size; never blocks. Stops
 * at the first piece the server does not take completely, as Genode's
 * client: *ret_written < len means the terminal is full for now.
 */
int cn_terminal_write(struct cn_terminal *terminal, const void *buf, size_t len,
                      size_t *ret_written);

int cn_terminal_connected_sigh(struct cn_terminal *terminal, int sig_cap);
int cn_terminal_read_avail_sigh(struct cn_terminal *terminal, int sig_cap);
int cn_terminal_size_changed_sigh(struct cn_terminal *terminal, int sig_cap);

/* The session capability (borrowed) and the I/O buffer's size. */
int cn_terminal_cap(const struct cn_terminal *terminal);
size_t cn_terminal_io_buffer_size(const struct cn_terminal *terminal);

/* --- server side (src/base/terminal_server.c) ------------------------------ */

/*
 * What a terminal server implements; the library decodes and checks every
 * request, owns the I/O buffer and the signal handlers. All callbacks are
 * optional: without read the terminal has no input, without write it
 * swallows its output, without size it reports 0 x 0.
 */
struct cn_terminal_server_ops {
	/* Whether input is available. */
	bool (*avail)(void *data);
	/* Copy up to max bytes of input into dst; return how many. */
	size_t (*read)(void *data, void *dst, size_t max);
	/* Take up to len bytes of output from src (a private copy of the client's
	 * I/O buffer); return how many were taken. */
	size_t (*write)(void *data, const void *src, size_t len);
	void (*size)(void *data, unsigned *ret_columns, unsigned *ret_lines);
	/* A request was refused (reason says why, e.g. "write of 5000 bytes
	 * exceeds the I/O buffer of 4096 bytes"); called once per kind of
	 * refusal and session, for the server to log with the client's label. */
	void (*refused)(void *data, const char *reason);
};

struct cn_terminal_session;

/*
 * Create the server side of a session for req: checks the donation
 * (CN_ERR_INSUFFICIENT_RAM, CN_ERR_INSUFFICIENT_CAPS), allocates the I/O
 * buffer of io_buffer_size bytes (1 .. CN_TERMINAL_IO_BUFFER_MAX) from the
 * server's PD and the session object. connected: whether the session is
 * ready; if not, call cn_terminal_session_connected() once it is.
 */
struct cn_session_request;
int cn_terminal_session_create(struct cn_env *env, const struct cn_session_request *req,
                               size_t io_buffer_size, bool connected,
                               const struct cn_terminal_server_ops *ops, void *data,
                               struct cn_terminal_session **ret_session);
/* Revoke the session and free its I/O buffer (NULL is ok). */
void cn_terminal_session_destroy(struct cn_terminal_session *session);
/* The session capability (borrowed: the session keeps it). */
int cn_terminal_session_cap(const struct cn_terminal_session *session);
/* Signal the client: new input, a new size, or the session became ready. */
void cn_terminal_session_read_avail(struct cn_terminal_session *session);
void cn_terminal_session_size_changed(struct cn_terminal_session *session);
void cn_terminal_session_connected(struct cn_terminal_session *session);

#endif
