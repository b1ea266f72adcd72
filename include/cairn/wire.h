/*
 * The wire: message framing, marshalling, fd (capability) passing and the
 * limits a peer can push against. Every byte that crosses a Cairn socket is
 * produced and consumed here. The format is specified in docs/PROTOCOL.md.
 *
 * A message is one SOCK_SEQPACKET datagram:
 *   header (16 bytes, little-endian host order) | payload (<= 4096 bytes)
 * and up to 1 + 4 fds in one SCM_RIGHTS control message. A call carries its
 * reply channel as fd #0 (flag CN_MSG_F_CALL); a one-way message (a signal)
 * carries none. The remaining fds are the message's capabilities.
 */
#ifndef CAIRN_WIRE_H
#define CAIRN_WIRE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CN_MSG_PAYLOAD_MAX = 4096,  /* bytes after the header */
	CN_MSG_CAPS_MAX = 4,        /* capabilities per message */
	CN_MSG_STR_MAX = 2048,      /* bytes of one string argument */
	CN_MSG_F_CALL = 1u << 0,    /* fd #0 is the reply channel */
	CN_MSG_F_CHANNEL = 1u << 1, /* reply: fd #0 is the reply channel, handed back */
	CN_MSG_F_MASK = CN_MSG_F_CALL | CN_MSG_F_CHANNEL,
};

/* Result codes (negative Linux errno values, fixed for the wire). */
enum {
	CN_OK = 0,
	CN_ERR_DENIED = -EACCES,              /* policy refuses */
	CN_ERR_OUT_OF_RAM = -ENOMEM,          /* the caller's RAM quota is exhausted */
	CN_ERR_OUT_OF_CAPS = -EDQUOT,         /* the caller's cap quota is exhausted */
	CN_ERR_INSUFFICIENT_RAM = -ENOBUFS,   /* donation too small for the server */
	CN_ERR_INSUFFICIENT_CAPS = -ENOSR,    /* donated caps too few for the server */
	CN_ERR_INVALID_OPCODE = -EOPNOTSUPP,  /* the object does not know the opcode */
	CN_ERR_BAD_MESSAGE = -EBADMSG,        /* malformed request or reply */
	CN_ERR_TOO_BIG = -EMSGSIZE,           /* payload over the limit */
	CN_ERR_TOO_MANY_CAPS = -ETOOMANYREFS, /* more fds than the limit */
	CN_ERR_DEAD_OBJECT = -EPIPE,          /* the object is gone: nobody serves it */
	CN_ERR_NO_REPLY = -ECONNRESET,        /* the server went away during the call */
	CN_ERR_INVALID_ARG = -EINVAL,         /* an argument is out of range */
	CN_ERR_NOT_FOUND = -ENOENT,           /* a named thing does not exist */
	CN_ERR_PENDING = -EINPROGRESS,        /* not an error: answer comes later */
};

struct cn_msg_hdr {
	int32_t code;   /* call: opcode; reply: result (CN_OK or CN_ERR_*) */
	uint32_t len;   /* payload bytes */
	uint32_t ncaps; /* capabilities (fds after the reply channel) */
	uint32_t flags; /* CN_MSG_F_* */
};

/*
 * A message being built or parsed. Received caps are owned by the message
 * until taken with cn_msg_take_cap(); cn_msg_reset() closes the rest. Caps
 * put into a message to send are borrowed: the sender keeps them.
 */
struct cn_msg {
	struct cn_msg_hdr hdr;
	uint8_t payload[CN_MSG_PAYLOAD_MAX];
	int caps[CN_MSG_CAPS_MAX];
	uint32_t pos;   /* read cursor */
	bool bad;       /* a put or get went out of bounds */
	bool owns_caps; /* caps were received and must be closed */
};

/* Start an empty message with the given code (opcode or result). Closes
 * caps the message still owns. */
void cn_msg_init(struct cn_msg *msg, int32_t code);
/* Close owned caps and clear. */
void cn_msg_reset(struct cn_msg *msg);

void cn_msg_put_u32(struct cn_msg *msg, uint32_t v);
void cn_msg_put_u64(struct cn_msg *msg, uint64_t v);
void cn_msg_put_i32(struct cn_msg *msg, int32_t v);
void cn_msg_put_bytes(struct cn_msg *msg, const void *data, uint32_t len);
/* A string: u32 length then the bytes, no NUL. At most CN_MSG_STR_MAX. */
void cn_msg_put_str(struct cn_msg *msg, const char *s);
/* Attach a capability (borrowed fd). */
void cn_msg_put_cap(struct cn_msg *msg, int fd);

int cn_msg_get_u32(struct cn_msg *msg, uint32_t *ret);
int cn_msg_get_u64(struct cn_msg *msg, uint64_t *ret);
int cn_msg_get_i32(struct cn_msg *msg, int32_t *ret);
int cn_msg_get_bytes(struct cn_msg *msg, void *buf, uint32_t len);
/* Copy a string into buf (NUL-terminated). -EMSGSIZE if it does not fit,
 * -EBADMSG if it contains a NUL or runs past the payload. */
int cn_msg_get_str(struct cn_msg *msg, char *buf, size_t size);
/* Take ownership of received cap i (-1 if there is none). */
int cn_msg_take_cap(struct cn_msg *msg, unsigned i);
/* Peek at received cap i without taking it (-1 if none). */
int cn_msg_cap(const struct cn_msg *msg, unsigned i);
/* 0 if every get succeeded and the whole payload was consumed, else
 * -EBADMSG. Call after decoding a request, before acting on it. */
int cn_msg_end(const struct cn_msg *msg);

/*
 * Send msg on socket fd. reply_fd >= 0 makes it a call (reply channel as
 * fd #0). Never blocks when nonblock is set. -EPIPE if nobody serves the
 * object, -EAGAIN if nonblocking and full, -EMSGSIZE/-ETOOMANYREFS/-EBADMSG
 * if msg violates a limit.
 */
int cn_wire_send(int fd, const struct cn_msg *msg, int reply_fd, bool nonblock);

/*
 * Receive one message from fd into msg. *ret_reply_fd gets fd #0 of a
 * call (its reply channel) or of a reply with CN_MSG_F_CHANNEL (the
 * channel handed back), or -1. Every received fd is close-on-exec. Returns 0,
 * -ECONNRESET on end of stream (the peer is gone), -EAGAIN if nonblocking
 * and empty, or a limit error (the offending message is consumed and its
 * fds are closed): -EMSGSIZE, -ETOOMANYREFS, -EBADMSG.
 */
int cn_wire_recv(int fd, struct cn_msg *msg, int *ret_reply_fd, bool nonblock);

/*
 * A synchronous call: send msg as a call on cap, wait for the reply into
 * msg. Returns the reply's result code (>= 0 success, CN_ERR_* from the
 * server), or CN_ERR_DEAD_OBJECT if the object is gone, CN_ERR_NO_REPLY if
 * the server went away without answering, or a local limit error.
 */
int cn_call(int cap, struct cn_msg *msg);
/* cn_call with a limit: -ETIMEDOUT when no reply came within timeout_ms
 * (-1: no limit; a full queue at the server counts against the limit too). A reply that
 * arrives later is dropped; whether the server carried the call out is
 * unknown. */
int cn_call_timeout(int cap, struct cn_msg *msg, int timeout_ms);

/* Send a reply with result code on a reply channel, handing the channel
 * back with it (the caller may reuse it). The caller of cn_reply still
 * closes reply_fd. A vanished client is not an error. */
int cn_reply(int reply_fd, struct cn_msg *msg, int32_t result);

/* Close the reply channels kept for reuse (fd accounting in tests; after
 * handing fds to a new process). */
void cn_wire_forget_channels(void);

/* A new object channel: ret_fds[0] stays with the server, ret_fds[1] is the
 * capability. Both close-on-exec. */
int cn_wire_channel(int ret_fds[2]);

/* A short description of a result code (CN_ERR_* or -errno). */
const char *cn_strerror(int err);

/* Identity of a capability: the socket's inode, equal for every copy. */
struct cn_cap_id {
	uint64_t dev, ino;
};
int cn_cap_identify(int fd, struct cn_cap_id *ret);

#endif
