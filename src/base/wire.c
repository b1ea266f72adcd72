/*
 * The wire module: framing, marshalling, fd passing, limits.
 */
#include <cairn/wire.h>

#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cairn/fault.h>

#include "base.h"

enum { MAX_FDS = CN_MSG_CAPS_MAX + 1 };

static void
close_owned_caps(struct cn_msg *msg)
{
	if (!msg->owns_caps)
		return;
	for (unsigned i = 0; i < CN_MSG_CAPS_MAX; i++) {
		if (msg->caps[i] >= 0)
			close(msg->caps[i]);
		msg->caps[i] = -1;
	}
	msg->owns_caps = false;
}

void
cn_msg_init(struct cn_msg *msg, int32_t code)
{
	close_owned_caps(msg);
	msg->hdr = (struct cn_msg_hdr){.code = code};
	for (unsigned i = 0; i < CN_MSG_CAPS_MAX; i++)
		msg->caps[i] = -1;
	msg->pos = 0;
	msg->bad = false;
	msg->owns_caps = false;
}

void
cn_msg_reset(struct cn_msg *msg)
{
	cn_msg_init(msg, 0);
}

void
cn_msg_put_bytes(struct cn_msg *msg, const void *data, uint32_t len)
{
	if (msg->bad || len > CN_MSG_PAYLOAD_MAX - msg->hdr.len) {
		msg->bad = true;
		return;
	}
	if (len)
		memcpy(msg->payload + msg->hdr.len, data, len);
	msg->hdr.len += len;
}

void
cn_msg_put_u32(struct cn_msg *msg, uint32_t v)
{
	cn_msg_put_bytes(msg, &v, sizeof(v));
}

void
cn_msg_put_u64(struct cn_msg *msg, uint64_t v)
{
	cn_msg_put_bytes(msg, &v, sizeof(v));
}

void
cn_msg_put_i32(struct cn_msg *msg, int32_t v)
{
	cn_msg_put_bytes(msg, &v, sizeof(v));
}

void
cn_msg_put_str(struct cn_msg *msg, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len > CN_MSG_STR_MAX) {
		msg->bad = true;
		return;
	}
	cn_msg_put_u32(msg, (uint32_t)len);
	cn_msg_put_bytes(msg, s, (uint32_t)len);
}

void
cn_msg_put_cap(struct cn_msg *msg, int fd)
{
	if (msg->bad || fd < 0 || msg->hdr.ncaps >= CN_MSG_CAPS_MAX || msg->owns_caps) {
		msg->bad = true;
		return;
	}
	msg->caps[msg->hdr.ncaps++] = fd;
}

int
cn_msg_get_bytes(struct cn_msg *msg, void *buf, uint32_t len)
{
	if (msg->bad || len > msg->hdr.len - msg->pos) {
		msg->bad = true;
		return -EBADMSG;
	}
	if (len)
		memcpy(buf, msg->payload + msg->pos, len);
	msg->pos += len;
	return 0;
}

int
cn_msg_get_u32(struct cn_msg *msg, uint32_t *ret)
{
	uint32_t v;
	int r = cn_msg_get_bytes(msg, &v, sizeof(v));

	if (r == 0)
		*ret = v;
	return r;
}

int
cn_msg_get_u64(struct cn_msg *msg, uint64_t *ret)
{
	uint64_t v;
	int r = cn_msg_get_bytes(msg, &v, sizeof(v));

	if (r == 0)
		*ret = v;
	return r;
}

int
cn_msg_get_i32(struct cn_msg *msg, int32_t *ret)
{
	int32_t v;
	int r = cn_msg_get_bytes(msg, &v, sizeof(v));

	if (r == 0)
		*ret = v;
	return r;
}

int
cn_msg_get_str(struct cn_msg *msg, char *buf, size_t size)
{
	uint32_t len;
	const uint8_t *s;

	if (cn_msg_get_u32(msg, &len) < 0)
		return -EBADMSG;
	if (len > CN_MSG_STR_MAX || len > msg->hdr.len - msg->pos) {
		msg->bad = true;
		return -EBADMSG;
	}
	s = msg->payload + msg->pos;
	if (memchr(s, 0, len)) {
		msg->bad = true;
		return -EBADMSG;
	}
	if (len >= size) {
		msg->bad = true;
		return -EMSGSIZE;
	}
	memcpy(buf, s, len);
	buf[len] = 0;
	msg->pos += len;
	return 0;
}

int
cn_msg_take_cap(struct cn_msg *msg, unsigned i)
{
	int fd;

	if (i >= CN_MSG_CAPS_MAX || !msg->owns_caps)
		return -1;
	fd = msg->caps[i];
	msg->caps[i] = -1;
	return fd;
}

int
cn_msg_cap(const struct cn_msg *msg, unsigned i)
{
	return i < CN_MSG_CAPS_MAX ? msg->caps[i] : -1;
}

int
cn_msg_end(const struct cn_msg *msg)
{
	return msg->bad || msg->pos != msg->hdr.len ? -EBADMSG : 0;
}

/* Send msg; fd0 >= 0 goes first in the control message, marked by flag. */
static int
send_msg(int fd, const struct cn_msg *msg, int fd0, uint32_t flag, bool nonblock)
{
	int fds[MAX_FDS];
	unsigned nfds = 0;
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct cn_msg_hdr hdr = msg->hdr;
	struct iovec iov[2] = {
	    {.iov_base = &hdr, .iov_len = sizeof(hdr)},
	    {.iov_base = (void *)msg->payload, .iov_len = msg->hdr.len},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

	if (msg->bad)
		return -EBADMSG;
	if (msg->hdr.len > CN_MSG_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (msg->hdr.ncaps > CN_MSG_CAPS_MAX)
		return -ETOOMANYREFS;

	hdr.flags = fd0 >= 0 ? flag : 0;
	if (fd0 >= 0)
		fds[nfds++] = fd0;
	for (unsigned i = 0; i < msg->hdr.ncaps; i++) {
		if (msg->caps[i] < 0)
			return -EBADMSG;
		fds[nfds++] = msg->caps[i];
	}
	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		memset(ctl.buf, 0, mh.msg_controllen); /* no stray bytes in the padding */
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	if (cn_fault_check(CN_FAULT_SEND))
		return -ENOBUFS;
	for (;;) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0));

		if (n >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNREFUSED || errno == ECONNRESET ||
		    errno == ENOTCONN)
			return CN_ERR_DEAD_OBJECT;
		return -errno;
	}
}

int
cn_wire_send(int fd, const struct cn_msg *msg, int reply_fd, bool nonblock)
{
	return send_msg(fd, msg, reply_fd, CN_MSG_F_CALL, nonblock);
}

static bool
peer_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP));
}

int
cn_wire_recv(int fd, struct cn_msg *msg, int *ret_reply_fd, bool nonblock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct cn_msg_hdr hdr;
	struct iovec iov[2] = {
	    {.iov_base = &hdr, .iov_len = sizeof(hdr)},
	    {.iov_base = msg->payload, .iov_len = CN_MSG_PAYLOAD_MAX},
	};
	struct msghdr mh = {
	    .msg_iov = iov,
	    .msg_iovlen = 2,
	    .msg_control = ctl.buf,
	    .msg_controllen = sizeof(ctl.buf),
	};
	int fds[MAX_FDS];
	unsigned nfds = 0, i;
	bool extra_fds = false;
	ssize_t n;
	int err = 0;

	cn_msg_reset(msg);
	*ret_reply_fd = -1;
	do {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | (nonblock ? MSG_DONTWAIT : 0));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -ECONNRESET : -errno;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *data = (int *)CMSG_DATA(c);
		for (i = 0; i < cnt; i++) {
			int f;
			memcpy(&f, data + i, sizeof(f));
			if (nfds < MAX_FDS)
				fds[nfds++] = f;
			else
				close(f);
			extra_fds |= nfds == MAX_FDS && i + 1 < cnt;
		}
	}
	/* Zero bytes is end of stream only if the peer is gone; an empty
	 * datagram from a live peer is just malformed. */
	if (n == 0 && nfds == 0 && !extra_fds && peer_gone(fd))
		return -ECONNRESET;

	if ((mh.msg_flags & MSG_CTRUNC) || extra_fds)
		err = -ETOOMANYREFS;
	else if (mh.msg_flags & MSG_TRUNC)
		err = -EMSGSIZE;
	else if ((size_t)n < sizeof(hdr))
		err = -EBADMSG;
	else if (hdr.len != (size_t)n - sizeof(hdr) || hdr.len > CN_MSG_PAYLOAD_MAX)
		err = -EBADMSG;
	else if (hdr.flags & ~(uint32_t)CN_MSG_F_MASK)
		err = -EBADMSG;
	else if (hdr.ncaps > CN_MSG_CAPS_MAX)
		err = -ETOOMANYREFS;
	else if ((hdr.flags & CN_MSG_F_CALL) && (hdr.flags & CN_MSG_F_CHANNEL))
		err = -EBADMSG;
	else if (hdr.ncaps + ((hdr.flags & (CN_MSG_F_CALL | CN_MSG_F_CHANNEL)) ? 1u : 0u) != nfds)
		err = -EBADMSG;
	if (err) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		return err;
	}

	msg->hdr = hdr;
	i = 0;
	if (hdr.flags & (CN_MSG_F_CALL | CN_MSG_F_CHANNEL))
		*ret_reply_fd = fds[i++];
	for (unsigned c = 0; i < nfds; i++, c++)
		msg->caps[c] = fds[i];
	msg->owns_caps = true;
	return 0;
}

int
cn_wire_channel(int ret_fds[2])
{
	int fds[2];

	if (cn_fault_check(CN_FAULT_SOCKETPAIR))
		return -EMFILE;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	ret_fds[0] = fds[0];
	ret_fds[1] = fds[1];
	return 0;
}

/*
 * Reply channels. A fresh socket pair per call costs about 8 us here
 * (creating and, above all, closing two sockets), more than the call
 * itself. So a server hands the channel back with its reply, and the
 * caller keeps it for the next call to the same object. Keyed by the
 * object's identity, a channel is never shared between servers: a server
 * that kept a copy could only spoof replies to calls to itself, which it
 * answers anyway. During a call the caller holds no copy of the far end,
 * so a server that dies or drops the request still ends the call at once.
 * This cache is per thread and per process (a forked child starts over);
 * it is the one piece of library state besides the fault seams.
 */
enum { CHANNEL_CACHE = 8 };

struct channel {
	struct cn_cap_id object; /* whom the channel talks to */
	int near, far;           /* our end, and the end we lend out */
};

static __thread struct {
	unsigned next;
	struct channel slot[CHANNEL_CACHE];
} channels;
static bool channels_atfork; /* the fork handler is registered */

void
cn_wire_forget_channels(void)
{
	for (unsigned i = 0; i < CHANNEL_CACHE; i++) {
		struct channel *c = &channels.slot[i];
		if (c->near > 0) {
			close(c->near);
			close(c->far);
		}
		c->near = c->far = 0;
	}
}

static bool
channel_take(const struct cn_cap_id *object, int ret[2])
{
	if (!channels_atfork) {
		/* a forked child must not share its parent's channels: it
		 * closes its copies (the parent's stay open) */
		pthread_atfork(NULL, NULL, cn_wire_forget_channels);
		channels_atfork = true;
	}
	for (unsigned i = 0; i < CHANNEL_CACHE; i++) {
		struct channel *c = &channels.slot[i];
		if (c->near > 0 && c->object.ino == object->ino && c->object.dev == object->dev) {
			ret[0] = c->near;
			ret[1] = c->far;
			c->near = c->far = 0;
			return true;
		}
	}
	return false;
}

static void
channel_put(const struct cn_cap_id *object, int near, int far)
{
	struct channel *c = &channels.slot[channels.next++ % CHANNEL_CACHE];

	if (c->near > 0) {
		close(c->near);
		close(c->far);
	}
	*c = (struct channel){.object = *object, .near = near, .far = far};
}

int64_t
cn_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd has events (0: ready, -ETIMEDOUT); deadline -1: forever. */
static int
await_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int64_t left = deadline < 0 ? -1 : deadline - cn_mono_ms();
		int n;

		if (deadline >= 0 && left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)(left > INT32_MAX ? INT32_MAX : left));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int
cn_call(int cap, struct cn_msg *msg)
{
	return cn_call_timeout(cap, msg, -1);
}

int
cn_call_timeout(int cap, struct cn_msg *msg, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : cn_mono_ms() + timeout_ms;
	struct cn_cap_id object = {0};
	int ch[2] = {-1, -1}, back = -1, r;

	if (cap < 0)
		return CN_ERR_DEAD_OBJECT;
	if (cn_cap_identify(cap, &object) < 0)
		return CN_ERR_DEAD_OBJECT;
	if (!channel_take(&object, ch)) {
		r = cn_wire_channel(ch);
		if (r < 0)
			return r;
	}
	r = cn_wire_send(cap, msg, ch[1], deadline >= 0);
	while (r == -EAGAIN && deadline >= 0 && (r = await_fd(cap, POLLOUT, deadline)) == 0)
		r = cn_wire_send(cap, msg, ch[1], true);
	/* Drop our copy of the far end at once: if the server dies or drops
	 * the request, its copy goes too and we see end-of-stream. */
	close(ch[1]);
	if (r == 0 && deadline >= 0)
		r = await_fd(ch[0], POLLIN, deadline);
	if (r < 0) {
		/* a late reply goes to a closed channel */
		close(ch[0]);
		return r;
	}
	r = cn_wire_recv(ch[0], msg, &back, false);
	if (r == 0 && (msg->hdr.flags & CN_MSG_F_CALL)) {
		/* a reply must not be a call */
		cn_msg_reset(msg);
		r = CN_ERR_BAD_MESSAGE;
	}
	if (back >= 0) {
		/* Keep the channel for the next call to this object. No need to
		 * check that what came back is our far end: if it is not, our
		 * near end has lost its peer and that call ends at once with
		 * CN_ERR_NO_REPLY, harming only calls to the server that lied. */
		if (r == 0) {
			channel_put(&object, ch[0], back);
			ch[0] = -1;
		} else {
			close(back);
		}
	}
	if (ch[0] >= 0)
		close(ch[0]);
	if (r < 0)
		return r == -ECONNRESET ? CN_ERR_NO_REPLY : r;
	return msg->hdr.code;
}

int
cn_reply(int reply_fd, struct cn_msg *msg, int32_t result)
{
	int r;

	msg->hdr.code = result;
	/* the channel travels back with the reply, for the caller to reuse */
	r = send_msg(reply_fd, msg, reply_fd, CN_MSG_F_CHANNEL, true);
	return r == CN_ERR_DEAD_OBJECT ? 0 : r;
}

int
cn_cap_identify(int fd, struct cn_cap_id *ret)
{
	struct stat st;

	/* the raw call: glibc's fstat is newfstatat, which takes a path and is
	 * therefore not in the sandbox's allow-list */
	if (syscall(SYS_fstat, fd, &st) < 0)
		return -errno;
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	return 0;
}

const char *
cn_strerror(int err)
{
	switch (err) {
	case CN_OK:
		return "success";
	case CN_ERR_DENIED:
		return "denied";
	case CN_ERR_OUT_OF_RAM:
		return "out of RAM quota";
	case CN_ERR_OUT_OF_CAPS:
		return "out of capability quota";
	case CN_ERR_INSUFFICIENT_RAM:
		return "insufficient RAM donation";
	case CN_ERR_INSUFFICIENT_CAPS:
		return "insufficient capability donation";
	case CN_ERR_INVALID_OPCODE:
		return "unknown opcode";
	case CN_ERR_BAD_MESSAGE:
		return "malformed message";
	case CN_ERR_TOO_BIG:
		return "message over the size limit";
	case CN_ERR_TOO_MANY_CAPS:
		return "more capabilities than the limit";
	case CN_ERR_DEAD_OBJECT:
		return "object is gone";
	case CN_ERR_NO_REPLY:
		return "server went away without replying";
	case CN_ERR_INVALID_ARG:
		return "invalid argument";
	case CN_ERR_NOT_FOUND:
		return "not found";
	case CN_ERR_PENDING:
		return "pending";
	default:
		return strerror(-err);
	}
}
