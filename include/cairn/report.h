/*
 * Report session: a client publishes a document (a "report") that a
 * server such as report_rom hands on, typically as a ROM module.
 *
 * The server allocates the report buffer from its own PD, paid by the
 * session's ram_quota donation, and hands out its writable dataspace. The
 * client writes a report into it and submits the length; the server copies
 * what it needs at that moment, so the client may reuse the buffer at once.
 *
 * Session arguments: buffer_size (bytes, required, 1 .. CN_REPORT_BUFFER_MAX;
 * the buffer is that size rounded up to whole pages), and ram_quota of at
 * least cn_report_session_ram(buffer_size), else CN_ERR_INSUFFICIENT_RAM.
 *
 * Responses (Genode's back channel, used by the clipboard): a server that
 * answers writes the response into the same buffer, signals the handler
 * registered with RESPONSE_SIGH, and OBTAIN_RESPONSE returns its length.
 * report_rom sends none: it accepts a handler and always answers 0.
 */
#ifndef CAIRN_REPORT_H
#define CAIRN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <cairn/pd.h>

enum cn_report_op {
	CN_REPORT_DATASPACE = 1,   /* -> cap ds (rw), u64 size of the buffer */
	CN_REPORT_SUBMIT,          /* u64 length: publish the buffer's first length bytes;
	                            * longer than the buffer: CN_ERR_TOO_BIG */
	CN_REPORT_RESPONSE_SIGH,   /* cap signal */
	CN_REPORT_OBTAIN_RESPONSE, /* -> u64 length of the response in the buffer */
};

enum {
	CN_REPORT_BUFFER_MAX = 16 << 20, /* bytes of one report buffer */
	/* Donation: the session's own state, its buffer, the version readers
	 * see and the next version while it is being prepared. */
	CN_REPORT_SESSION_OVERHEAD = 4096,
	CN_REPORT_SESSION_CAPS = 3, /* session object, buffer, version */
};

/* The ram_quota a Report session with this buffer size needs (buffer_size
 * at most CN_REPORT_BUFFER_MAX). */
static inline uint64_t
cn_report_session_ram(uint64_t buffer_size)
{
	uint64_t pages = (buffer_size + CN_PAGE_SIZE - 1) / CN_PAGE_SIZE;

	return CN_REPORT_SESSION_OVERHEAD + 3 * pages * CN_PAGE_SIZE;
}

struct cn_env;
struct cn_report;

/*
 * Open Report session `label` through the parent with a buffer of at
 * least buffer_size bytes, and attach the buffer. -EINVAL if buffer_size
 * is 0 or over CN_REPORT_BUFFER_MAX; CN_ERR_DENIED, e.g. when the label
 * already has a writer at report_rom.
 */
int cn_report_open(struct cn_env *env, const char *label, size_t buffer_size,
                   struct cn_report **ret_report);
/* Close the session (NULL is ok). */
void cn_report_close(struct cn_report *report);
/* Copy len bytes of data into the buffer and submit them; data may be
 * cn_report_buffer() itself (a report generated in place). CN_ERR_TOO_BIG
 * if len exceeds cn_report_buffer_size(). */
int cn_report_submit(struct cn_report *report, const void *data, size_t len);
/* The buffer, mapped writable, and the bytes it holds (buffer_size rounded
 * up to whole pages). */
void *cn_report_buffer(const struct cn_report *report);
size_t cn_report_buffer_size(const struct cn_report *report);
/* Register the handler signalled when a response is available. */
int cn_report_response_sigh(struct cn_report *report, int sig_cap);
/* Length of the current response, which the server wrote to the start of
 * the buffer (cn_report_buffer()). */
int cn_report_obtain_response(struct cn_report *report, size_t *ret_len);
/* The session capability (borrowed). */
int cn_report_cap(const struct cn_report *report);

struct cn_rpc;
enum { CN_REPORT_SUBMITTED = 1 };
/*
 * Server side: answer a Report session request for a server without
 * responses. buffer is the session's report buffer. DATASPACE,
 * RESPONSE_SIGH (accepted, never signalled) and OBTAIN_RESPONSE (0) are
 * answered here; a well-formed SUBMIT returns CN_REPORT_SUBMITTED with
 * *ret_length, for the server to take the report, or CN_ERR_TOO_BIG (also
 * with *ret_length) if it is longer than the buffer. Malformed requests
 * are CN_ERR_BAD_MESSAGE, unknown ones CN_ERR_INVALID_OPCODE.
 */
int cn_report_serve(struct cn_rpc *rpc, const struct cn_ds *buffer, uint64_t *ret_length);

#endif
