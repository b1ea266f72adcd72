/*
 * Unit tests for the wire (include/cairn/wire.h): marshalling, framing,
 * fd passing and the limits a peer can push against. Malformed messages
 * are written with sendmsg() directly, the way a hostile peer would.
 */
#include <cairn/fault.h>
#include <cairn/wire.h>

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "cn_test.h"

enum { RAW_FDS_MAX = 253 /* SCM_MAX_FD */ };

static void
pair(int sv[2])
{
	CN_ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* A fresh message: cn_msg_init() reads owns_caps, so start from zero. */
static void
msg_new(struct cn_msg *msg, int32_t code)
{
	msg->owns_caps = false;
	cn_msg_init(msg, code);
}

/* Send a datagram of len bytes with nfds copies of fd, as a hostile peer. */
static void
raw_send(int sock, const void *buf, size_t len, int fd, unsigned nfds)
{
	static union {
		char buf[CMSG_SPACE(sizeof(int) * RAW_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	CN_ASSERT(nfds <= RAW_FDS_MAX);
	if (nfds) {
		struct cmsghdr *c;
		int fds[RAW_FDS_MAX];

		for (unsigned i = 0; i < nfds; i++)
			fds[i] = fd;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	CN_ASSERT_EQ(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Header followed by plen payload bytes. */
static void
raw_send_hdr(int sock, struct cn_msg_hdr hdr, size_t plen, int fd, unsigned nfds)
{
	static uint8_t buf[sizeof(struct cn_msg_hdr) + CN_MSG_PAYLOAD_MAX + 64];

	CN_ASSERT(plen <= sizeof(buf) - sizeof(hdr));
	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, &hdr, sizeof(hdr));
	raw_send(sock, buf, sizeof(hdr) + plen, fd, nfds);
}

static bool
is_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

static bool
same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Receive expecting err; the message is consumed, no fd stays behind and
 * the socket still carries the next (valid) message. */
static void
expect_recv_error(int sock, int peer, int err, int fds_before)
{
	struct cn_msg msg, ok;
	int reply_fd = 1234;
	uint32_t v = 0;

	msg_new(&msg, 0);
	CN_ASSERT_EQ(cn_wire_recv(sock, &msg, &reply_fd, true), err);
	CN_ASSERT_EQ(reply_fd, -1);
	CN_ASSERT(!msg.owns_caps);
	for (unsigned i = 0; i < CN_MSG_CAPS_MAX; i++)
		CN_ASSERT_EQ(cn_msg_cap(&msg, i), -1);
	CN_ASSERT_EQ(cn_test_count_fds(), fds_before);

	msg_new(&ok, 7);
	cn_msg_put_u32(&ok, 42);
	CN_ASSERT_EQ(cn_wire_send(peer, &ok, -1, true), 0);
	CN_ASSERT_EQ(cn_wire_recv(sock, &msg, &reply_fd, true), 0);
	CN_ASSERT_EQ(msg.hdr.code, 7);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 42);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);
	cn_msg_reset(&msg);
	CN_ASSERT_EQ(cn_wire_recv(sock, &msg, &reply_fd, true), -EAGAIN);
}

/* --- marshalling, in memory ------------------------------------------- */

CN_TEST(test_put_get_every_type)
{
	static const uint8_t blob[5] = {0, 1, 0xff, 0x80, 7};
	char long_str[CN_MSG_STR_MAX + 1], buf[CN_MSG_STR_MAX + 1];
	struct cn_msg msg;
	uint32_t u32;
	uint64_t u64;
	int32_t i32;
	uint8_t bytes[5];

	memset(long_str, 'x', CN_MSG_STR_MAX);
	long_str[CN_MSG_STR_MAX] = 0;

	msg_new(&msg, 99);
	CN_ASSERT_EQ(msg.hdr.code, 99);
	cn_msg_put_u32(&msg, 0xdeadbeef);
	cn_msg_put_u64(&msg, 0x0123456789abcdefull);
	cn_msg_put_i32(&msg, -5);
	cn_msg_put_bytes(&msg, blob, sizeof(blob));
	cn_msg_put_bytes(&msg, NULL, 0);
	cn_msg_put_str(&msg, "hello");
	cn_msg_put_str(&msg, "");
	cn_msg_put_str(&msg, NULL); /* an empty string */
	cn_msg_put_str(&msg, long_str);
	cn_msg_put_u32(&msg, UINT32_MAX);
	cn_msg_put_u64(&msg, UINT64_MAX);
	cn_msg_put_i32(&msg, INT32_MIN);
	CN_ASSERT(!msg.bad);
	CN_ASSERT_EQ(msg.hdr.len,
	             4 + 8 + 4 + 5 + (4 + 5) + 4 + 4 + (4 + CN_MSG_STR_MAX) + 4 + 8 + 4);

	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &u32), 0);
	CN_ASSERT_EQ(u32, 0xdeadbeef);
	CN_ASSERT_EQ(cn_msg_get_u64(&msg, &u64), 0);
	CN_ASSERT(u64 == 0x0123456789abcdefull);
	CN_ASSERT_EQ(cn_msg_get_i32(&msg, &i32), 0);
	CN_ASSERT_EQ(i32, -5);
	CN_ASSERT_EQ(cn_msg_get_bytes(&msg, bytes, sizeof(bytes)), 0);
	CN_ASSERT(memcmp(bytes, blob, sizeof(blob)) == 0);
	CN_ASSERT_EQ(cn_msg_get_bytes(&msg, NULL, 0), 0);
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "hello");
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "");
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, 1), 0);
	CN_ASSERT_STR(buf, "");
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, long_str);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &u32), 0);
	CN_ASSERT_EQ(u32, UINT32_MAX);
	CN_ASSERT_EQ(cn_msg_get_u64(&msg, &u64), 0);
	CN_ASSERT(u64 == UINT64_MAX);
	CN_ASSERT_EQ(cn_msg_get_i32(&msg, &i32), 0);
	CN_ASSERT_EQ(i32, INT32_MIN);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);
	cn_msg_reset(&msg);
	CN_ASSERT_EQ(msg.hdr.len, 0);
	CN_ASSERT_EQ(msg.hdr.code, 0);
}

CN_TEST(test_get_past_end)
{
	struct cn_msg msg;
	uint32_t u32 = 7;
	uint64_t u64 = 7;
	int32_t i32 = 7;
	uint8_t b[8];
	char s[8] = "unset";

	/* each type, one byte short */
	msg_new(&msg, 0);
	cn_msg_put_bytes(&msg, "abc", 3);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &u32), -EBADMSG);
	CN_ASSERT_EQ(u32, 7); /* untouched */
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	msg_new(&msg, 0);
	cn_msg_put_bytes(&msg, "abcdefg", 7);
	CN_ASSERT_EQ(cn_msg_get_u64(&msg, &u64), -EBADMSG);
	CN_ASSERT(u64 == 7);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	msg_new(&msg, 0);
	CN_ASSERT_EQ(cn_msg_get_i32(&msg, &i32), -EBADMSG);
	CN_ASSERT_EQ(i32, 7);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	msg_new(&msg, 0);
	cn_msg_put_bytes(&msg, "abcdefg", 7);
	CN_ASSERT_EQ(cn_msg_get_bytes(&msg, b, 8), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	/* a string whose length field is cut */
	msg_new(&msg, 0);
	cn_msg_put_bytes(&msg, "ab", 2);
	CN_ASSERT_EQ(cn_msg_get_str(&msg, s, sizeof(s)), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	/* a failed get poisons the message, even if later gets would fit */
	msg_new(&msg, 0);
	cn_msg_put_u32(&msg, 1);
	CN_ASSERT_EQ(cn_msg_get_u64(&msg, &u64), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &u32), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	/* reading exactly everything is fine, one more is not */
	msg_new(&msg, 0);
	cn_msg_put_u32(&msg, 1);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &u32), 0);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);
	CN_ASSERT_EQ(cn_msg_get_bytes(&msg, b, 1), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);
}

CN_TEST(test_trailing_bytes)
{
	struct cn_msg msg;
	uint32_t u32;

	msg_new(&msg, 0);
	cn_msg_put_u32(&msg, 1);
	cn_msg_put_u32(&msg, 2);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &u32), 0);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &u32), 0);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);

	msg_new(&msg, 0);
	cn_msg_put_bytes(&msg, "x", 1);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);
}

CN_TEST(test_strings)
{
	char big[CN_MSG_STR_MAX + 2], buf[CN_MSG_STR_MAX + 8];
	struct cn_msg msg;
	uint32_t len;

	/* embedded NUL */
	msg_new(&msg, 0);
	cn_msg_put_u32(&msg, 3);
	cn_msg_put_bytes(&msg, "a\0b", 3);
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	/* a trailing NUL counted in the length is a NUL all the same */
	msg_new(&msg, 0);
	cn_msg_put_u32(&msg, 3);
	cn_msg_put_bytes(&msg, "ab\0", 3);
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), -EBADMSG);

	/* length beyond the payload */
	msg_new(&msg, 0);
	cn_msg_put_u32(&msg, 100);
	cn_msg_put_bytes(&msg, "abc", 3);
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	/* length beyond the payload by a single byte (which is there, unsent) */
	msg_new(&msg, 0);
	cn_msg_put_u32(&msg, 4);
	cn_msg_put_bytes(&msg, "abcd", 4);
	msg.hdr.len--;
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	/* a huge length must not wrap around */
	msg_new(&msg, 0);
	cn_msg_put_u32(&msg, UINT32_MAX);
	cn_msg_put_bytes(&msg, "abc", 3);
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), -EBADMSG);

	/* over CN_MSG_STR_MAX on the wire, though it fits the payload and buf */
	memset(big, 'y', sizeof(big));
	msg_new(&msg, 0);
	cn_msg_put_u32(&msg, CN_MSG_STR_MAX + 1);
	cn_msg_put_bytes(&msg, big, CN_MSG_STR_MAX + 1);
	CN_ASSERT(!msg.bad);
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), -EBADMSG);
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);

	/* over CN_MSG_STR_MAX when putting: the message is bad, send refuses */
	big[CN_MSG_STR_MAX + 1] = 0;
	msg_new(&msg, 0);
	cn_msg_put_str(&msg, big);
	CN_ASSERT(msg.bad);
	CN_ASSERT_EQ(cn_wire_send(-1, &msg, -1, true), -EBADMSG);

	/* exactly CN_MSG_STR_MAX is fine */
	big[CN_MSG_STR_MAX] = 0;
	msg_new(&msg, 0);
	cn_msg_put_str(&msg, big);
	CN_ASSERT(!msg.bad);
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, sizeof(buf)), 0);
	CN_ASSERT_EQ(strlen(buf), CN_MSG_STR_MAX);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);

	/* too long for the buffer: the NUL must fit too */
	msg_new(&msg, 0);
	cn_msg_put_str(&msg, "hello");
	memset(buf, '#', sizeof(buf));
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, 5), -EMSGSIZE);
	CN_ASSERT_EQ(buf[0], '#'); /* nothing written */
	CN_ASSERT_EQ(cn_msg_end(&msg), -EBADMSG);
	msg_new(&msg, 0);
	cn_msg_put_str(&msg, "hello");
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, 6), 0);
	CN_ASSERT_STR(buf, "hello");
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);
	msg_new(&msg, 0);
	cn_msg_put_str(&msg, "");
	CN_ASSERT_EQ(cn_msg_get_str(&msg, buf, 0), -EMSGSIZE);

	/* the wire format: u32 length, then the bytes, no NUL */
	msg_new(&msg, 0);
	cn_msg_put_str(&msg, "abc");
	CN_ASSERT_EQ(msg.hdr.len, 7);
	memcpy(&len, msg.payload, 4);
	CN_ASSERT_EQ(len, 3);
	CN_ASSERT(memcmp(msg.payload + 4, "abc", 3) == 0);
}

CN_TEST(test_put_over_payload_max)
{
	static uint8_t blob[CN_MSG_PAYLOAD_MAX + 1];
	struct cn_msg msg, in;
	int sv[2], reply_fd;

	pair(sv);

	/* exactly the maximum travels */
	msg_new(&msg, 1);
	cn_msg_put_bytes(&msg, blob, CN_MSG_PAYLOAD_MAX);
	CN_ASSERT(!msg.bad);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), 0);
	msg_new(&in, 0);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &in, &reply_fd, true), 0);
	CN_ASSERT_EQ(in.hdr.len, CN_MSG_PAYLOAD_MAX);

	/* one byte more, in any type, makes the message bad */
	cn_msg_put_u32(&msg, 1);
	CN_ASSERT(msg.bad);
	CN_ASSERT_EQ(msg.hdr.len, CN_MSG_PAYLOAD_MAX);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), -EBADMSG);

	msg_new(&msg, 1);
	cn_msg_put_bytes(&msg, blob, CN_MSG_PAYLOAD_MAX - 3);
	cn_msg_put_u32(&msg, 1);
	CN_ASSERT(msg.bad);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), -EBADMSG);

	msg_new(&msg, 1);
	cn_msg_put_bytes(&msg, blob, CN_MSG_PAYLOAD_MAX - 7);
	cn_msg_put_u64(&msg, 1);
	CN_ASSERT(msg.bad);

	msg_new(&msg, 1);
	cn_msg_put_bytes(&msg, blob, CN_MSG_PAYLOAD_MAX + 1);
	CN_ASSERT(msg.bad);
	CN_ASSERT_EQ(msg.hdr.len, 0);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), -EBADMSG);

	msg_new(&msg, 1);
	cn_msg_put_bytes(&msg, blob, UINT32_MAX);
	CN_ASSERT(msg.bad);

	/* a string that fits CN_MSG_STR_MAX but not the rest of the payload */
	memset(blob, 's', CN_MSG_STR_MAX);
	blob[CN_MSG_STR_MAX] = 0;
	msg_new(&msg, 1);
	cn_msg_put_bytes(&msg, blob, CN_MSG_PAYLOAD_MAX - CN_MSG_STR_MAX);
	cn_msg_put_str(&msg, (const char *)blob);
	CN_ASSERT(msg.bad);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), -EBADMSG);

	/* nothing bad went out */
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &in, &reply_fd, true), -EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

CN_TEST(test_caps_put_limits)
{
	struct cn_msg msg;
	int sv[2];

	pair(sv);
	msg_new(&msg, 0);
	for (unsigned i = 0; i < CN_MSG_CAPS_MAX; i++)
		cn_msg_put_cap(&msg, sv[0]);
	CN_ASSERT(!msg.bad);
	CN_ASSERT_EQ(msg.hdr.ncaps, CN_MSG_CAPS_MAX);
	cn_msg_put_cap(&msg, sv[0]);
	CN_ASSERT(msg.bad);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), -EBADMSG);

	msg_new(&msg, 0);
	cn_msg_put_cap(&msg, -1);
	CN_ASSERT(msg.bad);

	/* a header tampered with after the puts is refused as well */
	msg_new(&msg, 0);
	msg.hdr.ncaps = CN_MSG_CAPS_MAX + 1;
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), -ETOOMANYREFS);
	msg_new(&msg, 0);
	msg.hdr.len = CN_MSG_PAYLOAD_MAX + 1;
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), -EMSGSIZE);
	msg_new(&msg, 0);
	msg.hdr.ncaps = 1; /* claims a cap it does not have */
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), -EBADMSG);

	/* borrowed caps are not closed by reset */
	msg_new(&msg, 0);
	cn_msg_put_cap(&msg, sv[0]);
	cn_msg_reset(&msg);
	CN_ASSERT(fcntl(sv[0], F_GETFD) >= 0);
	CN_ASSERT_EQ(cn_msg_take_cap(&msg, 0), -1);

	close(sv[0]);
	close(sv[1]);
}

/* --- over a socket ------------------------------------------------------ */

CN_TEST(test_send_recv_round_trip)
{
	struct cn_msg msg, in;
	int sv[2], pipefd[2], chan[2], reply_fd = -1, cap;
	char buf[16];
	uint32_t u32;
	uint64_t u64;
	int32_t i32;

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	CN_ASSERT_EQ(cn_wire_channel(chan), 0);
	CN_ASSERT(is_cloexec(chan[0]) && is_cloexec(chan[1]));
	int fds_before = cn_test_count_fds();

	msg_new(&msg, -77);
	cn_msg_put_u32(&msg, 1);
	cn_msg_put_u64(&msg, 2);
	cn_msg_put_i32(&msg, -3);
	cn_msg_put_str(&msg, "four");
	cn_msg_put_bytes(&msg, "5", 1);
	cn_msg_put_cap(&msg, pipefd[1]);
	cn_msg_put_cap(&msg, chan[1]);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, chan[0], true), 0);

	msg_new(&in, 0);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &in, &reply_fd, true), 0);
	CN_ASSERT_EQ(cn_test_count_fds(), fds_before + 3);
	CN_ASSERT_EQ(in.hdr.code, -77);
	CN_ASSERT_EQ(in.hdr.flags, CN_MSG_F_CALL);
	CN_ASSERT_EQ(in.hdr.ncaps, 2);
	CN_ASSERT(in.owns_caps);
	CN_ASSERT(reply_fd >= 0 && same_file(reply_fd, chan[0]));
	CN_ASSERT(same_file(cn_msg_cap(&in, 0), pipefd[1]));
	CN_ASSERT(same_file(cn_msg_cap(&in, 1), chan[1]));
	CN_ASSERT_EQ(cn_msg_cap(&in, 2), -1);
	CN_ASSERT_EQ(cn_msg_cap(&in, CN_MSG_CAPS_MAX), -1);
	CN_ASSERT(is_cloexec(reply_fd));
	CN_ASSERT(is_cloexec(cn_msg_cap(&in, 0)));
	CN_ASSERT(is_cloexec(cn_msg_cap(&in, 1)));
	CN_ASSERT_EQ(cn_msg_get_u32(&in, &u32), 0);
	CN_ASSERT_EQ(u32, 1);
	CN_ASSERT_EQ(cn_msg_get_u64(&in, &u64), 0);
	CN_ASSERT_EQ(u64, 2);
	CN_ASSERT_EQ(cn_msg_get_i32(&in, &i32), 0);
	CN_ASSERT_EQ(i32, -3);
	CN_ASSERT_EQ(cn_msg_get_str(&in, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "four");
	CN_ASSERT_EQ(cn_msg_get_bytes(&in, buf, 1), 0);
	CN_ASSERT_EQ(buf[0], '5');
	CN_ASSERT_EQ(cn_msg_end(&in), 0);

	/* the received cap works: write through it */
	cap = cn_msg_take_cap(&in, 0);
	CN_ASSERT(cap >= 0);
	CN_ASSERT_EQ(cn_msg_take_cap(&in, 0), -1);
	CN_ASSERT_EQ(write(cap, "z", 1), 1);
	CN_ASSERT_EQ(read(pipefd[0], buf, 1), 1);
	CN_ASSERT_EQ(buf[0], 'z');

	/* reset closes what was not taken; the taken cap is ours */
	cn_msg_reset(&in);
	CN_ASSERT_EQ(cn_test_count_fds(), fds_before + 2);
	close(cap);
	close(reply_fd);
	CN_ASSERT_EQ(cn_test_count_fds(), fds_before);

	/* cn_msg_init on a message owning caps closes them too */
	msg_new(&msg, 0);
	cn_msg_put_cap(&msg, pipefd[0]);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), 0);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &in, &reply_fd, true), 0);
	CN_ASSERT_EQ(reply_fd, -1);
	CN_ASSERT_EQ(in.hdr.flags, 0);
	CN_ASSERT_EQ(cn_test_count_fds(), fds_before + 1);
	/* a received message cannot be extended with borrowed caps */
	cn_msg_put_cap(&in, pipefd[0]);
	CN_ASSERT(in.bad);
	cn_msg_init(&in, 5);
	CN_ASSERT_EQ(cn_test_count_fds(), fds_before);

	close(chan[0]);
	close(chan[1]);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

CN_TEST(test_recv_end_of_stream_and_dead_peer)
{
	struct cn_msg msg;
	int sv[2], reply_fd;

	pair(sv);
	msg_new(&msg, 0);
	CN_ASSERT_EQ(cn_wire_recv(sv[0], &msg, &reply_fd, true), -EAGAIN);
	close(sv[1]);
	CN_ASSERT_EQ(cn_wire_recv(sv[0], &msg, &reply_fd, true), -ECONNRESET);
	CN_ASSERT_EQ(cn_wire_recv(sv[0], &msg, &reply_fd, false), -ECONNRESET);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), CN_ERR_DEAD_OBJECT);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, false), CN_ERR_DEAD_OBJECT);
	/* a reply to a client that went away is not an error */
	CN_ASSERT_EQ(cn_reply(sv[0], &msg, CN_OK), 0);
	close(sv[0]);

	CN_ASSERT_EQ(cn_call(-1, &msg), CN_ERR_DEAD_OBJECT);
}

/* A zero-length datagram is a malformed message from a live peer, not the
 * end of the stream: SOCK_SEQPACKET delivers it as a 0-byte read. */
CN_TEST(test_malformed_empty)
{
	int sv[2], pipefd[2];

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();

	raw_send(sv[0], "", 0, pipefd[1], 1);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send(sv[0], "", 0, -1, 0);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);

	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

CN_TEST(test_malformed_short)
{
	int sv[2], pipefd[2];
	uint8_t junk[sizeof(struct cn_msg_hdr)] = {0};

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();

	for (size_t len = 1; len < sizeof(struct cn_msg_hdr); len++) {
		raw_send(sv[0], junk, len, -1, 0);
		expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
		raw_send(sv[0], junk, len, pipefd[1], 2);
		expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	}

	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

CN_TEST(test_malformed_len)
{
	int sv[2], pipefd[2];

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();

	raw_send_hdr(sv[0], (struct cn_msg_hdr){.len = 10}, 4, -1, 0);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.len = 4}, 10, -1, 0);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.len = 1}, 0, -1, 0);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.len = UINT32_MAX}, 8, -1, 0);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.len = CN_MSG_PAYLOAD_MAX + 1}, CN_MSG_PAYLOAD_MAX,
	             -1, 0);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.len = 10, .ncaps = 1, .flags = CN_MSG_F_CALL}, 4,
	             pipefd[1], 2);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);

	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

CN_TEST(test_malformed_flags)
{
	int sv[2], pipefd[2];

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();

	for (unsigned bit = 1; bit < 32; bit++) {
		raw_send_hdr(sv[0], (struct cn_msg_hdr){.flags = 1u << bit}, 0, -1, 0);
		expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	}
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.ncaps = 1, .flags = CN_MSG_F_CALL | 0x100}, 0,
	             pipefd[1], 2);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);

	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

CN_TEST(test_malformed_ncaps)
{
	int sv[2], pipefd[2];

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();

	/* header claims more than arrived */
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.ncaps = 1}, 0, -1, 0);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.ncaps = 2}, 0, pipefd[1], 1);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.flags = CN_MSG_F_CALL}, 0, -1, 0);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.ncaps = 1, .flags = CN_MSG_F_CALL}, 0, pipefd[1],
	             1);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);

	/* fewer than arrived */
	raw_send_hdr(sv[0], (struct cn_msg_hdr){0}, 0, pipefd[1], 1);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.ncaps = 1}, 0, pipefd[1], 3);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.flags = CN_MSG_F_CALL}, 0, pipefd[1], 2);
	expect_recv_error(sv[1], sv[0], -EBADMSG, fds);

	/* over the limit in the header */
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.ncaps = CN_MSG_CAPS_MAX + 1}, 0, pipefd[1],
	             CN_MSG_CAPS_MAX + 1);
	expect_recv_error(sv[1], sv[0], -ETOOMANYREFS, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.ncaps = UINT32_MAX}, 0, -1, 0);
	expect_recv_error(sv[1], sv[0], -ETOOMANYREFS, fds);

	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

/* More fds than CN_MSG_CAPS_MAX + 1, whatever the header claims: an error,
 * and every fd that arrived is closed. */
CN_TEST(test_malformed_too_many_fds)
{
	static const unsigned counts[] = {CN_MSG_CAPS_MAX + 2, CN_MSG_CAPS_MAX + 3, 8, 16, 64,
	                                  RAW_FDS_MAX};
	int sv[2], pipefd[2];

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();

	for (unsigned i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		unsigned n = counts[i];
		struct cn_msg_hdr claims[] = {
		    {.ncaps = CN_MSG_CAPS_MAX, .flags = CN_MSG_F_CALL}, /* the most allowed */
		    {.ncaps = n - 1, .flags = CN_MSG_F_CALL},           /* the truth */
		    {.ncaps = CN_MSG_CAPS_MAX},
		    {0},
		};

		for (unsigned c = 0; c < sizeof(claims) / sizeof(claims[0]); c++) {
			struct cn_msg msg;
			int reply_fd, r;

			raw_send_hdr(sv[0], claims[c], 0, pipefd[1], n);
			msg_new(&msg, 0);
			r = cn_wire_recv(sv[1], &msg, &reply_fd, true);
			if (r != -ETOOMANYREFS && r != -EBADMSG) {
				fprintf(stderr, "%u fds, header ncaps %u flags %u: got %d\n", n,
				        claims[c].ncaps, claims[c].flags, r);
				CN_ASSERT(r == -ETOOMANYREFS || r == -EBADMSG);
			}
			CN_ASSERT_EQ(reply_fd, -1);
			CN_ASSERT_EQ(cn_test_count_fds(), fds);
		}
	}
	/* all of them closed: the pipe's write end is ours alone */
	close(pipefd[1]);
	char c;
	CN_ASSERT_EQ(read(pipefd[0], &c, 1), 0);
	close(pipefd[0]);
	close(sv[0]);
	close(sv[1]);
}

CN_TEST(test_malformed_oversized)
{
	int sv[2], pipefd[2];

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();

	raw_send_hdr(sv[0], (struct cn_msg_hdr){.len = CN_MSG_PAYLOAD_MAX + 1},
	             CN_MSG_PAYLOAD_MAX + 1, -1, 0);
	expect_recv_error(sv[1], sv[0], -EMSGSIZE, fds);
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.len = CN_MSG_PAYLOAD_MAX + 64},
	             CN_MSG_PAYLOAD_MAX + 64, -1, 0);
	expect_recv_error(sv[1], sv[0], -EMSGSIZE, fds);
	raw_send_hdr(
	    sv[0],
	    (struct cn_msg_hdr){.len = CN_MSG_PAYLOAD_MAX + 1, .ncaps = 1, .flags = CN_MSG_F_CALL},
	    CN_MSG_PAYLOAD_MAX + 1, pipefd[1], 2);
	expect_recv_error(sv[1], sv[0], -EMSGSIZE, fds);

	/* the largest legal datagram passes */
	struct cn_msg msg;
	int reply_fd;
	raw_send_hdr(sv[0], (struct cn_msg_hdr){.len = CN_MSG_PAYLOAD_MAX}, CN_MSG_PAYLOAD_MAX, -1,
	             0);
	msg_new(&msg, 0);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &msg, &reply_fd, true), 0);
	CN_ASSERT_EQ(msg.hdr.len, CN_MSG_PAYLOAD_MAX);
	CN_ASSERT_EQ(msg.payload[CN_MSG_PAYLOAD_MAX - 1], 0xa5);

	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

CN_TEST(test_recv_max_fds_cloexec)
{
	struct cn_msg msg;
	int sv[2], pipefd[2], reply_fd;

	pair(sv);
	/* deliberately not close-on-exec: the receiver must set it itself */
	CN_ASSERT_EQ(pipe(pipefd), 0);
	int fds = cn_test_count_fds();

	raw_send_hdr(sv[0], (struct cn_msg_hdr){.ncaps = CN_MSG_CAPS_MAX, .flags = CN_MSG_F_CALL},
	             0, pipefd[1], CN_MSG_CAPS_MAX + 1);
	msg_new(&msg, 0);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &msg, &reply_fd, true), 0);
	CN_ASSERT_EQ(cn_test_count_fds(), fds + CN_MSG_CAPS_MAX + 1);
	CN_ASSERT(is_cloexec(reply_fd));
	CN_ASSERT(same_file(reply_fd, pipefd[1]));
	for (unsigned i = 0; i < CN_MSG_CAPS_MAX; i++) {
		CN_ASSERT(cn_msg_cap(&msg, i) >= 0);
		CN_ASSERT(is_cloexec(cn_msg_cap(&msg, i)));
		CN_ASSERT(same_file(cn_msg_cap(&msg, i), pipefd[1]));
	}
	cn_msg_reset(&msg);
	close(reply_fd);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);

	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

/* A peer that sends a stream of garbage does not make us leak. */
CN_TEST(test_malformed_sweep_no_leak)
{
	static uint8_t buf[sizeof(struct cn_msg_hdr) + CN_MSG_PAYLOAD_MAX + 16];
	uint32_t seed = 12345;
	int sv[2], pipefd[2];

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();

	for (unsigned round = 0; round < 2000; round++) {
		struct cn_msg msg;
		struct cn_msg_hdr hdr;
		size_t len;
		unsigned nfds;
		int reply_fd, r;

		seed = seed * 1103515245u + 12345u;
		nfds = (seed >> 8) % 9;
		len = sizeof(hdr) + (seed >> 12) % 64;
		hdr.code = (int32_t)seed;
		hdr.len = (uint32_t)(len - sizeof(hdr)) + ((seed >> 20) % 3) - 1;
		hdr.ncaps = (seed >> 4) % 7;
		hdr.flags = (seed >> 24) % 4;
		memset(buf, (int)round, sizeof(buf));
		memcpy(buf, &hdr, sizeof(hdr));
		raw_send(sv[0], buf, len, pipefd[1], nfds);
		msg_new(&msg, 0);
		r = cn_wire_recv(sv[1], &msg, &reply_fd, true);
		if (r == 0) {
			unsigned expect = msg.hdr.ncaps + (reply_fd >= 0 ? 1 : 0);
			CN_ASSERT(nfds <= CN_MSG_CAPS_MAX + 1);
			CN_ASSERT_EQ(expect, nfds);
			CN_ASSERT_EQ(cn_test_count_fds(), fds + (int)nfds);
			cn_msg_reset(&msg);
			if (reply_fd >= 0)
				close(reply_fd);
		} else {
			CN_ASSERT(r == -EBADMSG || r == -ETOOMANYREFS || r == -EMSGSIZE);
		}
		CN_ASSERT_EQ(cn_test_count_fds(), fds);
	}

	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

/* A reply must not carry a reply channel; cn_call drops it and fails. */
CN_TEST(test_call_reply_with_reply_channel)
{
	struct cn_msg msg;
	int sv[2];
	pid_t pid;

	pair(sv);
	int fds = cn_test_count_fds();
	pid = fork();
	CN_ASSERT(pid >= 0);
	if (pid == 0) {
		struct cn_msg in;
		int reply_fd;

		msg_new(&in, 0);
		if (cn_wire_recv(sv[1], &in, &reply_fd, false) < 0 || reply_fd < 0)
			_exit(1);
		cn_msg_reset(&in);
		cn_msg_put_cap(&in, sv[1]);
		/* answer "as a call": the reply carries a reply channel */
		if (cn_wire_send(reply_fd, &in, sv[1], false) < 0)
			_exit(1);
		_exit(0);
	}
	msg_new(&msg, 1);
	CN_ASSERT_EQ(cn_call(sv[0], &msg), CN_ERR_BAD_MESSAGE);
	CN_ASSERT(!msg.owns_caps);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);
	int status;
	CN_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	CN_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[0]);
	close(sv[1]);
}

/* A call whose request was received and dropped unanswered gets
 * CN_ERR_NO_REPLY; a reply's result and caps reach the caller. */
CN_TEST(test_call_raw_server)
{
	struct cn_msg msg;
	int sv[2], pipefd[2];
	pid_t pid;
	char c;

	pair(sv);
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();
	pid = fork();
	CN_ASSERT(pid >= 0);
	if (pid == 0) {
		struct cn_msg in;
		int reply_fd;

		close(sv[0]);
		msg_new(&in, 0);
		/* first: drop the request */
		if (cn_wire_recv(sv[1], &in, &reply_fd, false) < 0 || reply_fd < 0)
			_exit(1);
		close(reply_fd);
		/* second: answer with a result, a value and a cap */
		if (cn_wire_recv(sv[1], &in, &reply_fd, false) < 0 || reply_fd < 0)
			_exit(1);
		cn_msg_init(&in, 0);
		cn_msg_put_u32(&in, 4711);
		cn_msg_put_cap(&in, pipefd[1]);
		if (cn_reply(reply_fd, &in, 3) < 0)
			_exit(1);
		close(reply_fd);
		_exit(0);
	}
	close(sv[1]);
	msg_new(&msg, 1);
	CN_ASSERT_EQ(cn_call(sv[0], &msg), CN_ERR_NO_REPLY);
	msg_new(&msg, 2);
	CN_ASSERT_EQ(cn_call(sv[0], &msg), 3);
	uint32_t v;
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 4711);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);
	int cap = cn_msg_take_cap(&msg, 0);
	CN_ASSERT(cap >= 0 && is_cloexec(cap) && same_file(cap, pipefd[1]));
	CN_ASSERT_EQ(write(cap, "q", 1), 1);
	CN_ASSERT_EQ(read(pipefd[0], &c, 1), 1);
	close(cap);
	cn_msg_reset(&msg);
	int status;
	CN_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	CN_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the server is gone */
	msg_new(&msg, 3);
	CN_ASSERT_EQ(cn_call(sv[0], &msg), CN_ERR_DEAD_OBJECT);
	CN_ASSERT_EQ(cn_test_count_fds(), fds - 1);
	close(sv[0]);
	close(pipefd[0]);
	close(pipefd[1]);
}

CN_TEST(test_fault_send)
{
	struct cn_msg msg;
	int sv[2], reply_fd;

	pair(sv);
	int fds = cn_test_count_fds();
	msg_new(&msg, 1);
	cn_fault_inject(CN_FAULT_SEND, 2);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), 0);
	CN_ASSERT(cn_wire_send(sv[0], &msg, -1, true) < 0);
	CN_ASSERT_EQ(cn_wire_send(sv[0], &msg, -1, true), 0);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &msg, &reply_fd, true), 0);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &msg, &reply_fd, true), 0);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &msg, &reply_fd, true), -EAGAIN);

	/* a failing call leaks nothing and sends nothing */
	msg_new(&msg, 1);
	cn_fault_inject(CN_FAULT_SEND, 1);
	CN_ASSERT(cn_call(sv[0], &msg) < 0);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &msg, &reply_fd, true), -EAGAIN);

	cn_fault_inject(CN_FAULT_SOCKETPAIR, 1);
	msg_new(&msg, 1);
	CN_ASSERT(cn_call(sv[0], &msg) < 0);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);
	CN_ASSERT_EQ(cn_wire_recv(sv[1], &msg, &reply_fd, true), -EAGAIN);

	int ch[2] = {-1, -1};
	cn_fault_inject(CN_FAULT_SOCKETPAIR, 1);
	CN_ASSERT(cn_wire_channel(ch) < 0);
	CN_ASSERT(ch[0] == -1 && ch[1] == -1);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);
	close(sv[0]);
	close(sv[1]);
}

CN_TEST(test_cap_identify)
{
	struct cn_cap_id a, b, c;
	int ch[2], copy;

	CN_ASSERT_EQ(cn_wire_channel(ch), 0);
	copy = fcntl(ch[1], F_DUPFD_CLOEXEC, 0);
	CN_ASSERT(copy >= 0);
	CN_ASSERT_EQ(cn_cap_identify(ch[1], &a), 0);
	CN_ASSERT_EQ(cn_cap_identify(copy, &b), 0);
	CN_ASSERT_EQ(cn_cap_identify(ch[0], &c), 0);
	CN_ASSERT(a.dev == b.dev && a.ino == b.ino);
	CN_ASSERT(!(a.dev == c.dev && a.ino == c.ino));
	CN_ASSERT_EQ(cn_cap_identify(-1, &a), -EBADF);
	close(copy);
	close(ch[0]);
	close(ch[1]);
}

CN_TEST_MAIN()
