/*
 * libFuzzer target for the wire: each input is one datagram that arrives on
 * a Cairn socket, with as many fds attached as its first byte says (0-7,
 * of /dev/null): cn_wire_recv must take or refuse it without leaking an fd,
 * and every request decoder of the base library (parent SESSION, id,
 * signal-handler registration, LOG write) must take or refuse what it got
 * without reading outside the message. Built with ASan and UBSan.
 */
#include <cairn/ep.h>
#include <cairn/log.h>
#include <cairn/parent.h>
#include <cairn/wire.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { FDS_MAX = 7 };

static int sock[2] = {-1, -1};
static int null_fd = -1;

static int
open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* Send data as one datagram with nfds copies of /dev/null attached. */
static int
send_datagram(const uint8_t *data, size_t size, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[FDS_MAX];

	if (nfds) {
		struct cmsghdr *c;

		for (unsigned i = 0; i < nfds; i++)
			fds[i] = null_fd;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock[1], &mh, MSG_DONTWAIT) < 0 ? -1 : 0;
}

static void
rewind_msg(struct cn_msg *msg)
{
	msg->pos = 0;
	msg->bad = false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int baseline = -1;
	struct cn_msg msg, out;
	struct cn_rpc rpc;
	int reply = -1, r;

	if (sock[0] < 0) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0 ||
		    (null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
			abort();
		baseline = open_fds();
	}
	if (size == 0 || size > sizeof(struct cn_msg_hdr) + CN_MSG_PAYLOAD_MAX + 64)
		return 0;
	msg.owns_caps = out.owns_caps = false;
	if (send_datagram(data + 1, size - 1, data[0] % (FDS_MAX + 1)) < 0)
		return 0;
	r = cn_wire_recv(sock[0], &msg, &reply, true);
	if (r == 0) {
		struct cn_parent_session_request req;
		char text[CN_MSG_STR_MAX + 1];
		uint32_t id;
		int sigh = -1;

		cn_msg_init(&out, 0);
		rpc = (struct cn_rpc){
		    .opcode = msg.hdr.code, .in = &msg, .out = &out, .reply_fd = -1};
		if (cn_parent_session_decode(&rpc, &req) == 0 &&
		    (strlen(req.service) >= sizeof(req.service) ||
		     strlen(req.label) >= sizeof(req.label)))
			abort();
		rewind_msg(&msg);
		(void)cn_parent_id_decode(&rpc, &id);
		rewind_msg(&msg);
		if (cn_log_request(&rpc, text, sizeof(text)) == 0 && strlen(text) > CN_MSG_STR_MAX)
			abort();
		rewind_msg(&msg);
		if (cn_parent_sigh_replace(&rpc, &sigh) == 0 && sigh >= 0)
			close(sigh);
		cn_msg_reset(&out);
	}
	cn_msg_reset(&msg);
	if (reply >= 0)
		close(reply);
	/* nothing received may stay open: a refused message's fds are closed */
	if (open_fds() != baseline)
		abort();
	return 0;
}
