/*
 * Unit tests for the entrypoint (include/cairn/ep.h): RPC objects served in
 * a forked server process and called with cn_call(), deferred replies, caps
 * both ways, dead objects, servers dying mid-call, malformed requests,
 * signals and fault injection.
 */
#include <cairn/ep.h>
#include <cairn/fault.h>
#include <cairn/wire.h>

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>

#include "cn_test.h"

/* --- the server --------------------------------------------------------- */

enum test_op {
	OP_ECHO = 1,    /* u32, u64, i32, str -> the same */
	OP_ADD,         /* u32 a, u32 b -> u32 a + b */
	OP_SUB,         /* u32 a, u32 b -> u32 a - b */
	OP_WAIT,        /* deferred: answered by OP_RELEASE */
	OP_RELEASE,     /* u32 v: answer the waiting call with result v, u32 v + 1 */
	OP_LATER,       /* deferred: answered from the next event (a watch) */
	OP_WRITE_TO,    /* cap fd, str: write str into fd */
	OP_PIPE,        /* -> cap: read end of a pipe holding "pipe" */
	OP_NEW_OBJ,     /* u32 tag -> cap of a new object */
	OP_WHOAMI,      /* -> u32 tag of the called object */
	OP_LOOKUP,      /* cap -> u32 1: the called object, 2: another of ours, 0: none */
	OP_SIG_CAP,     /* -> cap of a signal context */
	OP_TOO_MANY,    /* reply with CN_MSG_CAPS_MAX + 1 owned caps */
	OP_OVERFLOW,    /* reply with more than a payload */
	OP_DESTROY,     /* destroy the called object */
	OP_QUIT,        /* stop the entrypoint, exit 0 */
	OP_DIE,         /* _exit() inside the handler */
	OP_BLOCK,       /* cap fd: write a byte to it, then sleep */
	OP_STATS,       /* -> u32 calls, u32 errors, i32 last error, u32 error on main obj */
	OP_FDS,         /* -> u32 open fds of the server */
	OP_FAIL_REPLY,  /* make the server's next send (this reply) fail */
	OP_FAIL_CHANNEL /* make the server's next channel creation fail */
};

enum { MAIN_TAG = 1 };

static struct {
	struct cn_ep *ep;
	struct cn_obj *main_obj;
	struct cn_sig *sig;
	int waiting_fd; /* reply channel of OP_WAIT */
	int later_fd;   /* reply channel of OP_LATER */
	int later_pipe[2];
	unsigned calls, errors;
	int last_error;
	bool error_on_main;
} server;

static int
serve(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct cn_msg *in = rpc->in, *out = rpc->out;
	char str[CN_MSG_STR_MAX + 1];
	uint32_t a, b;
	uint64_t u64;
	int32_t i32;

	server.calls++;
	switch (rpc->opcode) {
	case OP_ECHO:
		if (cn_msg_get_u32(in, &a) < 0 || cn_msg_get_u64(in, &u64) < 0 ||
		    cn_msg_get_i32(in, &i32) < 0 || cn_msg_get_str(in, str, sizeof(str)) < 0 ||
		    cn_msg_end(in) < 0)
			return CN_ERR_BAD_MESSAGE;
		cn_msg_put_u32(out, a);
		cn_msg_put_u64(out, u64);
		cn_msg_put_i32(out, i32);
		cn_msg_put_str(out, str);
		return CN_OK;
	case OP_ADD:
	case OP_SUB:
		if (cn_msg_get_u32(in, &a) < 0 || cn_msg_get_u32(in, &b) < 0 || cn_msg_end(in) < 0)
			return CN_ERR_BAD_MESSAGE;
		cn_msg_put_u32(out, rpc->opcode == OP_ADD ? a + b : a - b);
		return CN_OK;
	case OP_WAIT:
		if (server.waiting_fd >= 0)
			return CN_ERR_DENIED;
		server.waiting_fd = cn_rpc_defer(rpc);
		CN_ASSERT(rpc->reply_fd == -1);
		return CN_OK;
	case OP_RELEASE: {
		struct cn_msg reply;

		if (cn_msg_get_u32(in, &a) < 0 || cn_msg_end(in) < 0)
			return CN_ERR_BAD_MESSAGE;
		if (server.waiting_fd < 0)
			return CN_ERR_NOT_FOUND;
		reply.owns_caps = false;
		cn_msg_init(&reply, 0);
		cn_msg_put_u32(&reply, a + 1);
		cn_reply(server.waiting_fd, &reply, (int32_t)a);
		close(server.waiting_fd);
		server.waiting_fd = -1;
		return CN_OK;
	}
	case OP_LATER:
		if (server.later_fd >= 0)
			return CN_ERR_DENIED;
		server.later_fd = cn_rpc_defer(rpc);
		CN_ASSERT(write(server.later_pipe[1], "l", 1) == 1);
		return CN_OK;
	case OP_WRITE_TO:
		if (in->hdr.ncaps != 1 || cn_msg_get_str(in, str, sizeof(str)) < 0 ||
		    cn_msg_end(in) < 0)
			return CN_ERR_BAD_MESSAGE;
		if (write(cn_msg_cap(in, 0), str, strlen(str)) != (ssize_t)strlen(str))
			return CN_ERR_INVALID_ARG;
		return CN_OK;
	case OP_PIPE: {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		CN_ASSERT(write(p[1], "pipe", 4) == 4);
		close(p[1]);
		cn_rpc_put_cap_owned(rpc, p[0]);
		return CN_OK;
	}
	case OP_NEW_OBJ: {
		struct cn_obj *o;
		int r;

		if (cn_msg_get_u32(in, &a) < 0 || cn_msg_end(in) < 0)
			return CN_ERR_BAD_MESSAGE;
		r = cn_obj_create(server.ep, serve, (void *)(uintptr_t)a, &o);
		if (r < 0)
			return r;
		cn_msg_put_cap(out, cn_obj_cap(o));
		return CN_OK;
	}
	case OP_WHOAMI:
		cn_msg_put_u32(out, (uint32_t)(uintptr_t)cn_obj_data(obj));
		return CN_OK;
	case OP_LOOKUP: {
		struct cn_obj *o;

		if (in->hdr.ncaps != 1 || cn_msg_end(in) < 0)
			return CN_ERR_BAD_MESSAGE;
		o = cn_ep_lookup(server.ep, cn_msg_cap(in, 0));
		cn_msg_put_u32(out, o == obj ? 1 : o ? 2 : 0);
		return CN_OK;
	}
	case OP_SIG_CAP:
		cn_msg_put_cap(out, cn_sig_cap(server.sig));
		return CN_OK;
	case OP_TOO_MANY:
		for (unsigned i = 0; i <= CN_MSG_CAPS_MAX; i++) {
			int p[2];

			CN_ASSERT(pipe2(p, O_CLOEXEC) == 0);
			close(p[1]);
			cn_rpc_put_cap_owned(rpc, p[0]);
		}
		return CN_OK;
	case OP_OVERFLOW:
		for (unsigned i = 0; i <= CN_MSG_PAYLOAD_MAX / 8; i++)
			cn_msg_put_u64(out, i);
		return CN_OK;
	case OP_DESTROY:
		cn_obj_destroy(obj);
		return CN_OK;
	case OP_QUIT:
		cn_ep_stop(server.ep, 0);
		return CN_OK;
	case OP_DIE:
		_exit(0);
	case OP_BLOCK:
		if (in->hdr.ncaps != 1)
			return CN_ERR_BAD_MESSAGE;
		CN_ASSERT(write(cn_msg_cap(in, 0), "b", 1) == 1);
		for (;;)
			pause();
	case OP_STATS:
		cn_msg_put_u32(out, server.calls);
		cn_msg_put_u32(out, server.errors);
		cn_msg_put_i32(out, server.last_error);
		cn_msg_put_u32(out, server.error_on_main);
		return CN_OK;
	case OP_FDS:
		cn_msg_put_u32(out, (uint32_t)cn_test_count_fds());
		return CN_OK;
	case OP_FAIL_REPLY:
		cn_fault_inject(CN_FAULT_SEND, 1);
		return CN_OK;
	case OP_FAIL_CHANNEL:
		cn_fault_inject(CN_FAULT_SOCKETPAIR, 1);
		return CN_OK;
	}
	return CN_ERR_INVALID_OPCODE;
}

static void
server_error(void *data, struct cn_obj *obj, int err)
{
	(void)data;
	server.errors++;
	server.last_error = err;
	server.error_on_main = obj == server.main_obj;
}

static void
server_later(void *data, uint32_t events)
{
	struct cn_msg reply;
	char c;

	(void)data;
	(void)events;
	CN_ASSERT(read(server.later_pipe[0], &c, 1) == 1);
	CN_ASSERT(server.later_fd >= 0);
	reply.owns_caps = false;
	cn_msg_init(&reply, 0);
	cn_msg_put_u32(&reply, 99);
	cn_reply(server.later_fd, &reply, 55);
	close(server.later_fd);
	server.later_fd = -1;
}

static void
server_sig(void *data, uint32_t count)
{
	(void)data;
	(void)count;
}

static void __attribute__((noreturn)) server_main(int ctl)
{
	struct cn_watch *watch;
	struct cn_msg msg;
	int r;

	server.waiting_fd = server.later_fd = -1;
	CN_ASSERT(cn_ep_create(&server.ep) == 0);
	cn_ep_set_error_handler(server.ep, server_error, NULL);
	CN_ASSERT(cn_obj_create(server.ep, serve, (void *)(uintptr_t)MAIN_TAG, &server.main_obj) ==
	          0);
	CN_ASSERT(cn_sig_create(server.ep, server_sig, NULL, &server.sig) == 0);
	CN_ASSERT(pipe2(server.later_pipe, O_CLOEXEC) == 0);
	CN_ASSERT(
	    cn_ep_watch(server.ep, server.later_pipe[0], EPOLLIN, server_later, NULL, &watch) == 0);

	msg.owns_caps = false;
	cn_msg_init(&msg, 0);
	cn_msg_put_cap(&msg, cn_obj_cap(server.main_obj));
	CN_ASSERT(cn_wire_send(ctl, &msg, -1, false) == 0);
	close(ctl);

	r = cn_ep_run(server.ep);
	cn_watch_destroy(watch);
	cn_ep_destroy(server.ep);
	_exit(r == 0 ? 0 : 3);
}

/* --- the client side ---------------------------------------------------- */

struct server_proc {
	pid_t pid;
	int cap;
};

static void
msg_new(struct cn_msg *msg, int32_t code)
{
	msg->owns_caps = false;
	cn_msg_init(msg, code);
}

static struct server_proc
server_start(void)
{
	struct server_proc s;
	struct cn_msg msg;
	int ctl[2], reply_fd;

	CN_ASSERT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) == 0);
	s.pid = fork();
	CN_ASSERT(s.pid >= 0);
	if (s.pid == 0) {
		close(ctl[0]);
		server_main(ctl[1]);
	}
	close(ctl[1]);
	msg_new(&msg, 0);
	CN_ASSERT_EQ(cn_wire_recv(ctl[0], &msg, &reply_fd, false), 0);
	CN_ASSERT_EQ(reply_fd, -1);
	s.cap = cn_msg_take_cap(&msg, 0);
	CN_ASSERT(s.cap >= 0);
	cn_msg_reset(&msg);
	close(ctl[0]);
	return s;
}

static void
server_wait(struct server_proc *s, int expect_status)
{
	int status;

	CN_ASSERT_EQ(waitpid(s->pid, &status, 0), s->pid);
	CN_ASSERT_EQ(status, expect_status);
	s->pid = -1;
}

/* Stop the server cleanly, checking it exits 0. */
static void
server_quit(struct server_proc *s)
{
	struct cn_msg msg;

	msg_new(&msg, OP_QUIT);
	CN_ASSERT_EQ(cn_call(s->cap, &msg), CN_OK);
	close(s->cap);
	s->cap = -1;
	server_wait(s, 0);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
call_echo(int cap, uint32_t a, uint64_t b, int32_t c, const char *s)
{
	struct cn_msg msg;
	char str[CN_MSG_STR_MAX + 1];
	uint32_t ra;
	uint64_t rb;
	int32_t rc;
	int r;

	msg_new(&msg, OP_ECHO);
	cn_msg_put_u32(&msg, a);
	cn_msg_put_u64(&msg, b);
	cn_msg_put_i32(&msg, c);
	cn_msg_put_str(&msg, s);
	r = cn_call(cap, &msg);
	if (r != CN_OK)
		return r;
	CN_ASSERT_EQ(msg.hdr.ncaps, 0);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &ra), 0);
	CN_ASSERT_EQ(cn_msg_get_u64(&msg, &rb), 0);
	CN_ASSERT_EQ(cn_msg_get_i32(&msg, &rc), 0);
	CN_ASSERT_EQ(cn_msg_get_str(&msg, str, sizeof(str)), 0);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);
	CN_ASSERT_EQ(ra, a);
	CN_ASSERT(rb == b);
	CN_ASSERT_EQ(rc, c);
	CN_ASSERT_STR(str, s);
	return r;
}

/* A call with a single u32 result. */
static int
call_u32(int cap, int32_t op, uint32_t *ret)
{
	struct cn_msg msg;
	int r;

	msg_new(&msg, op);
	r = cn_call(cap, &msg);
	if (r == CN_OK) {
		CN_ASSERT_EQ(cn_msg_get_u32(&msg, ret), 0);
		CN_ASSERT_EQ(cn_msg_end(&msg), 0);
	}
	cn_msg_reset(&msg);
	return r;
}

static int
server_fds(int cap)
{
	uint32_t n = 0;

	CN_ASSERT_EQ(call_u32(cap, OP_FDS, &n), CN_OK);
	return (int)n;
}

struct stats {
	uint32_t calls, errors, error_on_main;
	int32_t last_error;
};

static struct stats
server_stats(int cap)
{
	struct cn_msg msg;
	struct stats st;

	msg_new(&msg, OP_STATS);
	CN_ASSERT_EQ(cn_call(cap, &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &st.calls), 0);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &st.errors), 0);
	CN_ASSERT_EQ(cn_msg_get_i32(&msg, &st.last_error), 0);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &st.error_on_main), 0);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);
	return st;
}

/* A call whose only argument is a cap; returns the result code. */
static int
call_with_cap(int cap, int32_t op, int arg, struct cn_msg *msg)
{
	msg_new(msg, op);
	cn_msg_put_cap(msg, arg);
	return cn_call(cap, msg);
}

/* Send a datagram with nfds copies of fd, as a hostile client would. */
static void
raw_send(int sock, struct cn_msg_hdr hdr, size_t plen, int fd, unsigned nfds)
{
	static uint8_t buf[sizeof(struct cn_msg_hdr) + CN_MSG_PAYLOAD_MAX + 64];
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(hdr) + plen};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	CN_ASSERT(nfds <= 16 && plen <= sizeof(buf) - sizeof(hdr));
	memset(buf, 0x5a, sizeof(buf));
	memcpy(buf, &hdr, sizeof(hdr));
	if (nfds) {
		struct cmsghdr *c;
		int fds[16];

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
	CN_ASSERT_EQ(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
}

/* --- RPC ---------------------------------------------------------------- */

CN_TEST(test_ep_echo)
{
	char big[CN_MSG_STR_MAX + 1];
	struct server_proc s = server_start();

	CN_ASSERT_EQ(call_echo(s.cap, 1, 2, 3, "hello"), CN_OK);
	CN_ASSERT_EQ(call_echo(s.cap, UINT32_MAX, UINT64_MAX, INT32_MIN, ""), CN_OK);
	memset(big, 'e', CN_MSG_STR_MAX);
	big[CN_MSG_STR_MAX] = 0;
	CN_ASSERT_EQ(call_echo(s.cap, 0, 0, -1, big), CN_OK);
	server_quit(&s);
}

CN_TEST(test_ep_opcode_dispatch)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	uint32_t v;

	msg_new(&msg, OP_ADD);
	cn_msg_put_u32(&msg, 40);
	cn_msg_put_u32(&msg, 2);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 42);

	msg_new(&msg, OP_SUB);
	cn_msg_put_u32(&msg, 40);
	cn_msg_put_u32(&msg, 2);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 38);

	/* the handler's result code reaches the caller */
	msg_new(&msg, OP_ADD);
	cn_msg_put_u32(&msg, 1);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_BAD_MESSAGE);
	msg_new(&msg, 0x1234);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_INVALID_OPCODE);
	msg_new(&msg, -1);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_INVALID_OPCODE);
	msg_new(&msg, OP_RELEASE);
	cn_msg_put_u32(&msg, 1);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_NOT_FOUND);

	/* a reply the handler overfilled becomes an error, not garbage */
	msg_new(&msg, OP_OVERFLOW);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_BAD_MESSAGE);
	CN_ASSERT_EQ(msg.hdr.len, 0);

	CN_ASSERT_EQ(server_stats(s.cap).calls, 7 + 1);
	server_quit(&s);
}

CN_TEST(test_ep_deferred_reply)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	int ch[2], reply_fd, fds;
	uint32_t v;

	fds = server_fds(s.cap);

	/* a call answered by another client's later call */
	CN_ASSERT_EQ(cn_wire_channel(ch), 0);
	msg_new(&msg, OP_WAIT);
	CN_ASSERT_EQ(cn_wire_send(s.cap, &msg, ch[1], false), 0);
	close(ch[1]);
	/* the server is not blocked by the pending call... */
	CN_ASSERT_EQ(call_echo(s.cap, 1, 2, 3, "meanwhile"), CN_OK);
	/* ...which is not answered yet, and not dropped either */
	struct pollfd p = {.fd = ch[0], .events = POLLIN};
	CN_ASSERT_EQ(poll(&p, 1, 50), 0);
	msg_new(&msg, OP_RELEASE);
	cn_msg_put_u32(&msg, 77);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	msg_new(&msg, 0);
	CN_ASSERT_EQ(cn_wire_recv(ch[0], &msg, &reply_fd, false), 0);
	/* the reply hands the channel back for reuse */
	CN_ASSERT(msg.hdr.flags & CN_MSG_F_CHANNEL);
	CN_ASSERT(reply_fd >= 0);
	close(reply_fd);
	CN_ASSERT_EQ(msg.hdr.code, 77);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 78);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);
	/* exactly one answer */
	CN_ASSERT_EQ(cn_wire_recv(ch[0], &msg, &reply_fd, false), -ECONNRESET);
	close(ch[0]);

	/* a call answered from the next event of the server's loop */
	msg_new(&msg, OP_LATER);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), 55);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 99);
	CN_ASSERT_EQ(cn_msg_end(&msg), 0);

	CN_ASSERT_EQ(server_fds(s.cap), fds);
	server_quit(&s);
}

CN_TEST(test_ep_caps_as_arguments)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	int p[2], fds, client_fds;
	char buf[16] = {0};

	CN_ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	fds = server_fds(s.cap);
	client_fds = cn_test_count_fds();

	msg_new(&msg, OP_WRITE_TO);
	cn_msg_put_cap(&msg, p[1]);
	cn_msg_put_str(&msg, "hello");
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	CN_ASSERT_EQ(read(p[0], buf, sizeof(buf) - 1), 5);
	CN_ASSERT_STR(buf, "hello");
	/* the cap was lent, not given: ours still works */
	CN_ASSERT_EQ(write(p[1], "x", 1), 1);
	CN_ASSERT_EQ(read(p[0], buf, 1), 1);
	/* the server kept no copy */
	CN_ASSERT_EQ(server_fds(s.cap), fds);
	CN_ASSERT_EQ(cn_test_count_fds(), client_fds);
	close(p[1]);
	struct pollfd pfd = {.fd = p[0], .events = POLLIN};
	CN_ASSERT_EQ(poll(&pfd, 1, 2000), 1);
	CN_ASSERT(pfd.revents & POLLHUP);
	close(p[0]);

	/* a missing cap is the handler's to refuse */
	msg_new(&msg, OP_WRITE_TO);
	cn_msg_put_str(&msg, "hello");
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_BAD_MESSAGE);
	server_quit(&s);
}

CN_TEST(test_ep_caps_as_results)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	char buf[8] = {0};
	uint32_t tag;
	int fds, client_fds, fd, obj2;

	fds = server_fds(s.cap);
	client_fds = cn_test_count_fds();

	/* an fd the server gives away */
	msg_new(&msg, OP_PIPE);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	CN_ASSERT_EQ(msg.hdr.ncaps, 1);
	fd = cn_msg_take_cap(&msg, 0);
	CN_ASSERT(fd >= 0);
	CN_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CN_ASSERT_EQ(read(fd, buf, sizeof(buf)), 4);
	CN_ASSERT(memcmp(buf, "pipe", 4) == 0);
	/* the server closed its copy after the reply: end of file */
	CN_ASSERT_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	CN_ASSERT_EQ(server_fds(s.cap), fds);

	/* a capability to a new object */
	msg_new(&msg, OP_NEW_OBJ);
	cn_msg_put_u32(&msg, 2);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	obj2 = cn_msg_take_cap(&msg, 0);
	CN_ASSERT(obj2 >= 0);
	CN_ASSERT_EQ(call_u32(obj2, OP_WHOAMI, &tag), CN_OK);
	CN_ASSERT_EQ(tag, 2);
	CN_ASSERT_EQ(call_u32(s.cap, OP_WHOAMI, &tag), CN_OK);
	CN_ASSERT_EQ(tag, MAIN_TAG);
	CN_ASSERT_EQ(call_echo(obj2, 5, 6, 7, "second object"), CN_OK);
	CN_ASSERT_EQ(server_fds(s.cap), fds + 2);
	close(obj2);
	CN_ASSERT_EQ(cn_test_count_fds(), client_fds);

	/* more caps than a reply may carry: an error, and the server closes them */
	msg_new(&msg, OP_TOO_MANY);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_BAD_MESSAGE);
	CN_ASSERT_EQ(msg.hdr.ncaps, 0);
	CN_ASSERT_EQ(cn_test_count_fds(), client_fds);
	CN_ASSERT_EQ(server_fds(s.cap), fds + 2);
	server_quit(&s);
}

CN_TEST(test_ep_lookup)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	uint32_t v;
	int obj2, sig, sv[2], p[2];

	/* the called object's own cap comes back */
	CN_ASSERT_EQ(call_with_cap(s.cap, OP_LOOKUP, s.cap, &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 1);

	/* another object of the same entrypoint */
	msg_new(&msg, OP_NEW_OBJ);
	cn_msg_put_u32(&msg, 2);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	obj2 = cn_msg_take_cap(&msg, 0);
	CN_ASSERT_EQ(call_with_cap(s.cap, OP_LOOKUP, obj2, &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 2);
	CN_ASSERT_EQ(call_with_cap(obj2, OP_LOOKUP, s.cap, &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 2);

	/* foreign sockets, a pipe, and a signal context are no objects */
	CN_ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	CN_ASSERT_EQ(call_with_cap(s.cap, OP_LOOKUP, sv[0], &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 0);
	CN_ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	CN_ASSERT_EQ(call_with_cap(s.cap, OP_LOOKUP, p[0], &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 0);
	msg_new(&msg, OP_SIG_CAP);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	sig = cn_msg_take_cap(&msg, 0);
	CN_ASSERT(sig >= 0);
	CN_ASSERT_EQ(call_with_cap(s.cap, OP_LOOKUP, sig, &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 0);
	/* ...and a signal context refuses calls */
	msg_new(&msg, OP_ECHO);
	CN_ASSERT_EQ(cn_call(sig, &msg), CN_ERR_INVALID_OPCODE);

	/* a destroyed object is no longer recognised */
	msg_new(&msg, OP_DESTROY);
	CN_ASSERT_EQ(cn_call(obj2, &msg), CN_OK);
	CN_ASSERT_EQ(call_with_cap(s.cap, OP_LOOKUP, obj2, &msg), CN_OK);
	CN_ASSERT_EQ(cn_msg_get_u32(&msg, &v), 0);
	CN_ASSERT_EQ(v, 0);

	close(obj2);
	close(sig);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	server_quit(&s);
}

/* 10,000 calls of every kind leave both sides with the fds they had. */
CN_TEST(test_ep_no_fd_growth)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	int p[2], fds, client_fds;
	char buf[8];

	CN_ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	fds = server_fds(s.cap);
	client_fds = cn_test_count_fds();
	for (unsigned i = 0; i < 10000; i++) {
		switch (i % 4) {
		case 0:
			msg_new(&msg, OP_WRITE_TO);
			cn_msg_put_cap(&msg, p[1]);
			cn_msg_put_str(&msg, "w");
			CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
			CN_ASSERT_EQ(read(p[0], buf, sizeof(buf)), 1);
			break;
		case 1:
			msg_new(&msg, OP_PIPE);
			CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
			CN_ASSERT_EQ(msg.hdr.ncaps, 1);
			cn_msg_reset(&msg); /* closes the received cap */
			break;
		case 2:
			msg_new(&msg, 0x4242);
			CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_INVALID_OPCODE);
			break;
		default:
			CN_ASSERT_EQ(call_echo(s.cap, i, i, (int32_t)i, "ten thousand"), CN_OK);
			break;
		}
	}
	CN_ASSERT_EQ(cn_test_count_fds(), client_fds);
	CN_ASSERT_EQ(server_fds(s.cap), fds);
	CN_ASSERT_EQ(server_stats(s.cap).calls, 1 + 10000 + 1 + 1);
	close(p[0]);
	close(p[1]);
	server_quit(&s);
}

/* --- dead objects and dying servers ------------------------------------- */

CN_TEST(test_ep_dead_object_destroyed)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	int obj2;
	long t0;

	msg_new(&msg, OP_NEW_OBJ);
	cn_msg_put_u32(&msg, 2);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	obj2 = cn_msg_take_cap(&msg, 0);
	CN_ASSERT_EQ(call_echo(obj2, 1, 2, 3, "alive"), CN_OK);

	/* the object revokes itself; its last reply still arrives */
	msg_new(&msg, OP_DESTROY);
	CN_ASSERT_EQ(cn_call(obj2, &msg), CN_OK);
	alarm(10);
	t0 = now_ms();
	for (unsigned i = 0; i < 100; i++)
		CN_ASSERT_EQ(call_echo(obj2, 1, 2, 3, "dead"), CN_ERR_DEAD_OBJECT);
	CN_ASSERT(now_ms() - t0 < 2000);
	alarm(0);
	/* the rest of the server is unaffected */
	CN_ASSERT_EQ(call_echo(s.cap, 1, 2, 3, "still here"), CN_OK);
	close(obj2);

	/* the main object too: now nothing is served, the process lives */
	msg_new(&msg, OP_DESTROY);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	msg_new(&msg, OP_QUIT);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_DEAD_OBJECT);
	CN_ASSERT_EQ(kill(s.pid, 0), 0);
	close(s.cap);
	kill(s.pid, SIGKILL);
	server_wait(&s, SIGKILL);
}

CN_TEST(test_ep_dead_object_server_exited)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	int sig;
	long t0;

	msg_new(&msg, OP_SIG_CAP);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	sig = cn_msg_take_cap(&msg, 0);
	CN_ASSERT_EQ(cn_signal_submit(sig, 1), 0);

	msg_new(&msg, OP_QUIT);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	server_wait(&s, 0);

	alarm(10);
	t0 = now_ms();
	CN_ASSERT_EQ(call_echo(s.cap, 1, 2, 3, "anyone?"), CN_ERR_DEAD_OBJECT);
	CN_ASSERT_EQ(cn_signal_submit(sig, 1), CN_ERR_DEAD_OBJECT);
	CN_ASSERT(now_ms() - t0 < 2000);
	alarm(0);
	close(sig);
	close(s.cap);
}

CN_TEST(test_ep_server_exits_mid_call)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	int fds = cn_test_count_fds();

	alarm(10);
	msg_new(&msg, OP_DIE);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_NO_REPLY);
	alarm(0);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);
	server_wait(&s, 0);
	CN_ASSERT_EQ(call_echo(s.cap, 1, 2, 3, "gone"), CN_ERR_DEAD_OBJECT);
	close(s.cap);
}

CN_TEST(test_ep_server_killed_mid_call)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	int p[2], status;
	pid_t killer;

	/* the killer strikes once the server is inside the handler */
	CN_ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	killer = fork();
	CN_ASSERT(killer >= 0);
	if (killer == 0) {
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			kill(s.pid, SIGKILL);
		_exit(0);
	}
	close(p[0]);

	alarm(10);
	CN_ASSERT_EQ(call_with_cap(s.cap, OP_BLOCK, p[1], &msg), CN_ERR_NO_REPLY);
	alarm(0);
	CN_ASSERT_EQ(waitpid(killer, &status, 0), killer);
	CN_ASSERT_EQ(status, 0);
	server_wait(&s, SIGKILL);
	CN_ASSERT_EQ(call_echo(s.cap, 1, 2, 3, "gone"), CN_ERR_DEAD_OBJECT);
	close(p[1]);
	close(s.cap);
}

/* The server cannot send its reply: the client learns, the server goes on. */
CN_TEST(test_ep_server_reply_fails)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	int fds = server_fds(s.cap);

	alarm(10);
	msg_new(&msg, OP_FAIL_REPLY);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_ERR_NO_REPLY);
	alarm(0);
	CN_ASSERT_EQ(call_echo(s.cap, 1, 2, 3, "after"), CN_OK);

	/* the server fails to create an object: an error, nothing half-made */
	msg_new(&msg, OP_FAIL_CHANNEL);
	CN_ASSERT_EQ(cn_call(s.cap, &msg), CN_OK);
	msg_new(&msg, OP_NEW_OBJ);
	cn_msg_put_u32(&msg, 3);
	CN_ASSERT(cn_call(s.cap, &msg) < 0);
	CN_ASSERT_EQ(msg.hdr.ncaps, 0);
	CN_ASSERT_EQ(server_fds(s.cap), fds);
	server_quit(&s);
}

/* --- malformed requests ------------------------------------------------- */

struct malformed {
	const char *what;
	struct cn_msg_hdr hdr;
	size_t plen;
	unsigned nfds;
	int err;
};

static const struct malformed malformed_requests[] = {
    {"short", {0}, 0, 0, -EBADMSG}, /* replaced by 8 bytes below */
    {"short with fds", {0}, 0, 2, -EBADMSG},
    {"len too big", {.code = OP_ECHO, .len = 20}, 8, 0, -EBADMSG},
    {"len too small", {.code = OP_ECHO, .len = 2}, 8, 0, -EBADMSG},
    {"unknown flag", {.code = OP_ECHO, .flags = 2}, 0, 0, -EBADMSG},
    {"unknown flag, call", {.code = OP_ECHO, .flags = CN_MSG_F_CALL | 0x80}, 0, 1, -EBADMSG},
    {"ncaps without fds", {.code = OP_ECHO, .ncaps = 2}, 0, 0, -EBADMSG},
    {"call without fd", {.code = OP_ECHO, .flags = CN_MSG_F_CALL}, 0, 0, -EBADMSG},
    {"fds without ncaps", {.code = OP_ECHO, .flags = CN_MSG_F_CALL}, 0, 3, -EBADMSG},
    {"ncaps over limit",
     {.code = OP_ECHO, .ncaps = 5, .flags = CN_MSG_F_CALL},
     0,
     6,
     -ETOOMANYREFS},
    {"fds over limit", {.code = OP_ECHO, .ncaps = 4, .flags = CN_MSG_F_CALL}, 0, 12, -ETOOMANYREFS},
    {"oversized",
     {.code = OP_ECHO, .len = CN_MSG_PAYLOAD_MAX + 1},
     CN_MSG_PAYLOAD_MAX + 1,
     0,
     -EMSGSIZE},
    {"one-way to an object", {.code = OP_WRITE_TO, .ncaps = 1}, 0, 1, -EBADMSG},
    {"oversized with fds",
     {.code = OP_ECHO, .len = CN_MSG_PAYLOAD_MAX + 8, .ncaps = 1, .flags = CN_MSG_F_CALL},
     CN_MSG_PAYLOAD_MAX + 8,
     2,
     -EMSGSIZE},
};

CN_TEST(test_ep_malformed_requests)
{
	struct server_proc s = server_start();
	int p[2], fds;
	unsigned errors = 0;

	CN_ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	fds = server_fds(s.cap);
	alarm(20);
	for (unsigned i = 0; i < sizeof(malformed_requests) / sizeof(malformed_requests[0]); i++) {
		const struct malformed *m = &malformed_requests[i];
		struct stats st;

		if (i < 2) {
			/* shorter than a header */
			uint8_t junk[sizeof(struct cn_msg_hdr)] = {1, 2, 3, 4, 5, 6, 7, 8};
			struct iovec iov = {.iov_base = junk, .iov_len = 8};
			struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
			union {
				char buf[CMSG_SPACE(sizeof(int) * 2)];
				struct cmsghdr align;
			} ctl;

			if (m->nfds) {
				struct cmsghdr *c;
				int two[2] = {p[1], p[1]};

				mh.msg_control = ctl.buf;
				mh.msg_controllen = sizeof(ctl.buf);
				c = CMSG_FIRSTHDR(&mh);
				c->cmsg_level = SOL_SOCKET;
				c->cmsg_type = SCM_RIGHTS;
				c->cmsg_len = CMSG_LEN(sizeof(two));
				memcpy(CMSG_DATA(c), two, sizeof(two));
			}
			CN_ASSERT_EQ(sendmsg(s.cap, &mh, MSG_NOSIGNAL), 8);
		} else {
			raw_send(s.cap, m->hdr, m->plen, p[1], m->nfds);
		}
		/* the server reports it and serves the next request */
		CN_ASSERT_EQ(call_echo(s.cap, i, i, 0, m->what), CN_OK);
		st = server_stats(s.cap);
		if (st.errors != ++errors || st.last_error != m->err) {
			fprintf(stderr, "%s: %u errors (expected %u), last %d (expected %d)\n",
			        m->what, st.errors, errors, st.last_error, m->err);
			CN_ASSERT(0);
		}
		CN_ASSERT(st.error_on_main);
	}
	alarm(0);
	/* every fd that came with a malformed request was closed */
	CN_ASSERT_EQ(server_fds(s.cap), fds);
	close(p[1]);
	struct pollfd pfd = {.fd = p[0], .events = POLLIN};
	CN_ASSERT_EQ(poll(&pfd, 1, 2000), 1);
	CN_ASSERT(pfd.revents & POLLHUP);
	close(p[0]);
	/* handled: fds, echo and stats calls, fds, stats; nothing malformed */
	unsigned n = sizeof(malformed_requests) / sizeof(malformed_requests[0]);
	CN_ASSERT_EQ(server_stats(s.cap).calls, 1 + 2 * n + 1 + 1);
	server_quit(&s);
}

/* An empty datagram is as malformed as any other, not the end of the
 * object: the others' requests are still served. */
CN_TEST(test_ep_empty_datagram)
{
	struct server_proc s = server_start();
	struct iovec iov = {.iov_base = "", .iov_len = 0};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct stats st;

	CN_ASSERT_EQ(sendmsg(s.cap, &mh, MSG_NOSIGNAL), 0);
	alarm(5); /* a server that stopped serving the object leaves us hanging */
	CN_ASSERT_EQ(call_echo(s.cap, 1, 2, 3, "after an empty datagram"), CN_OK);
	alarm(0);
	st = server_stats(s.cap);
	CN_ASSERT_EQ(st.errors, 1);
	CN_ASSERT_EQ(st.last_error, CN_ERR_BAD_MESSAGE);
	server_quit(&s);
}

/* --- signals (in one process) ------------------------------------------- */

struct sig_record {
	unsigned calls;
	uint32_t last;
	uint64_t sum;
};

static void
record_sig(void *data, uint32_t count)
{
	struct sig_record *rec = data;

	rec->calls++;
	rec->last = count;
	rec->sum += count;
}

struct err_record {
	unsigned calls;
	int last;
	struct cn_obj *obj;
};

static void
record_error(void *data, struct cn_obj *obj, int err)
{
	struct err_record *rec = data;

	rec->calls++;
	rec->last = err;
	rec->obj = obj;
}

CN_TEST(test_ep_signal_coalesce)
{
	struct sig_record rec = {0};
	struct cn_ep *ep;
	struct cn_sig *sig;
	int cap;

	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	CN_ASSERT_EQ(cn_sig_create(ep, record_sig, &rec, &sig), 0);
	cap = cn_sig_cap(sig);
	CN_ASSERT(cap >= 0);

	CN_ASSERT_EQ(cn_signal_submit(cap, 1), 0);
	CN_ASSERT_EQ(cn_signal_submit(cap, 2), 0);
	CN_ASSERT_EQ(cn_signal_submit(cap, 3), 0);
	CN_ASSERT_EQ(rec.calls, 0);
	CN_ASSERT_EQ(cn_ep_dispatch(ep, 1000), 1);
	CN_ASSERT_EQ(rec.calls, 1);
	CN_ASSERT_EQ(rec.last, 6);
	CN_ASSERT_EQ(cn_sig_delivered(sig), 6);
	CN_ASSERT_EQ(cn_ep_dispatch(ep, 0), 0);
	CN_ASSERT_EQ(rec.calls, 1);

	/* a copy of the cap submits to the same context */
	int copy = fcntl(cap, F_DUPFD_CLOEXEC, 0);
	CN_ASSERT_EQ(cn_signal_submit(copy, 4), 0);
	CN_ASSERT_EQ(cn_ep_wait_sig(ep, sig), 0);
	CN_ASSERT_EQ(rec.calls, 2);
	CN_ASSERT_EQ(rec.last, 4);
	CN_ASSERT_EQ(cn_sig_delivered(sig), 10);
	close(copy);

	/* the count handed to the handler saturates, the total does not */
	CN_ASSERT_EQ(cn_signal_submit(cap, CN_SIGNAL_COUNT_MAX), 0);
	CN_ASSERT_EQ(cn_signal_submit(cap, CN_SIGNAL_COUNT_MAX), 0);
	CN_ASSERT_EQ(cn_ep_dispatch(ep, 1000), 1);
	CN_ASSERT_EQ(rec.calls, 3);
	CN_ASSERT_EQ(rec.last, CN_SIGNAL_COUNT_MAX);
	CN_ASSERT(cn_sig_delivered(sig) == 10 + 2ull * CN_SIGNAL_COUNT_MAX);

	CN_ASSERT_EQ(cn_signal_submit(cap, 0), -EINVAL);
	CN_ASSERT_EQ(cn_signal_submit(-1, 1), -EINVAL);
	cn_ep_destroy(ep);
}

CN_TEST(test_ep_signal_submit_never_blocks)
{
	struct sig_record rec = {0};
	struct cn_ep *ep;
	struct cn_sig *sig;
	long t0;

	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	CN_ASSERT_EQ(cn_sig_create(ep, record_sig, &rec, &sig), 0);
	alarm(20);
	t0 = now_ms();
	for (unsigned i = 0; i < 100000; i++)
		CN_ASSERT_EQ(cn_signal_submit(cn_sig_cap(sig), 1), 0);
	CN_ASSERT(now_ms() - t0 < 10000);
	alarm(0);
	CN_ASSERT_EQ(rec.calls, 0);
	/* what was queued arrives, summed per CN_SIGNAL_DRAIN_MAX submissions */
	CN_ASSERT_EQ(cn_ep_dispatch(ep, 1000), 1);
	while (cn_ep_dispatch(ep, 0) > 0)
		;
	CN_ASSERT(rec.calls >= 1);
	CN_ASSERT(rec.sum >= 1 && rec.sum <= 100000);
	CN_ASSERT(rec.sum >= CN_SIGNAL_DRAIN_MAX || rec.calls == 1);
	CN_ASSERT_EQ(cn_sig_delivered(sig), rec.sum);
	/* and the context works as before */
	CN_ASSERT_EQ(cn_signal_submit(cn_sig_cap(sig), 7), 0);
	CN_ASSERT_EQ(cn_ep_wait_sig(ep, sig), 0);
	CN_ASSERT_EQ(rec.last, 7);
	cn_ep_destroy(ep);
}

/* Calls and garbage sent to a signal context are refused and reported;
 * submissions around them still arrive. */
CN_TEST(test_ep_signal_malformed)
{
	struct sig_record rec = {0};
	struct err_record err = {0};
	struct cn_ep *ep;
	struct cn_sig *sig;
	struct cn_msg msg;
	int ch[2], reply_fd, cap, p[2];

	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	cn_ep_set_error_handler(ep, record_error, &err);
	CN_ASSERT_EQ(cn_sig_create(ep, record_sig, &rec, &sig), 0);
	cap = cn_sig_cap(sig);
	CN_ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	int fds = cn_test_count_fds();

	/* a call: answered with an error */
	CN_ASSERT_EQ(cn_wire_channel(ch), 0);
	msg_new(&msg, CN_OP_SIGNAL);
	cn_msg_put_u32(&msg, 1);
	CN_ASSERT_EQ(cn_wire_send(cap, &msg, ch[1], false), 0);
	close(ch[1]);
	CN_ASSERT_EQ(cn_ep_dispatch(ep, 1000), 1);
	CN_ASSERT_EQ(cn_wire_recv(ch[0], &msg, &reply_fd, false), 0);
	CN_ASSERT_EQ(msg.hdr.code, CN_ERR_INVALID_OPCODE);
	if (reply_fd >= 0)
		close(reply_fd); /* the channel, handed back */
	close(ch[0]);
	CN_ASSERT_EQ(rec.calls, 0);
	CN_ASSERT_EQ(err.calls, 1);
	CN_ASSERT(err.obj != NULL);

	/* wrong code, zero count, a cap, trailing bytes, garbage: all refused */
	cn_signal_submit(cap, 1);
	msg_new(&msg, CN_OP_SIGNAL + 1);
	cn_msg_put_u32(&msg, 1);
	CN_ASSERT_EQ(cn_wire_send(cap, &msg, -1, true), 0);
	msg_new(&msg, CN_OP_SIGNAL);
	cn_msg_put_u32(&msg, 0);
	CN_ASSERT_EQ(cn_wire_send(cap, &msg, -1, true), 0);
	msg_new(&msg, CN_OP_SIGNAL);
	cn_msg_put_u32(&msg, 1);
	cn_msg_put_cap(&msg, p[1]);
	CN_ASSERT_EQ(cn_wire_send(cap, &msg, -1, true), 0);
	msg_new(&msg, CN_OP_SIGNAL);
	cn_msg_put_u32(&msg, 1);
	cn_msg_put_u32(&msg, 1);
	CN_ASSERT_EQ(cn_wire_send(cap, &msg, -1, true), 0);
	raw_send(cap, (struct cn_msg_hdr){.code = CN_OP_SIGNAL, .len = 9}, 4, -1, 0);
	cn_signal_submit(cap, 2);
	CN_ASSERT_EQ(cn_ep_dispatch(ep, 1000), 1);
	CN_ASSERT_EQ(rec.calls, 1);
	CN_ASSERT_EQ(rec.last, 3);
	CN_ASSERT_EQ(err.calls, 1 + 5);
	CN_ASSERT_EQ(err.last, CN_ERR_BAD_MESSAGE);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);
	close(p[1]);
	close(p[0]);
	cn_ep_destroy(ep);
}

CN_TEST(test_ep_signal_empty_datagram)
{
	struct sig_record rec = {0};
	struct err_record err = {0};
	struct cn_ep *ep;
	struct cn_sig *sig;
	struct iovec iov = {.iov_base = "", .iov_len = 0};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	cn_ep_set_error_handler(ep, record_error, &err);
	CN_ASSERT_EQ(cn_sig_create(ep, record_sig, &rec, &sig), 0);
	CN_ASSERT_EQ(sendmsg(cn_sig_cap(sig), &mh, MSG_NOSIGNAL), 0);
	CN_ASSERT(cn_ep_dispatch(ep, 1000) >= 0);
	CN_ASSERT_EQ(cn_signal_submit(cn_sig_cap(sig), 1), 0);
	CN_ASSERT(cn_ep_dispatch(ep, 1000) >= 0);
	CN_ASSERT_EQ(rec.calls, 1);
	CN_ASSERT_EQ(err.calls, 1);
	CN_ASSERT_EQ(err.last, CN_ERR_BAD_MESSAGE);
	cn_ep_destroy(ep);
}

/* --- in-process object life cycle --------------------------------------- */

static int
never_called(struct cn_obj *obj, struct cn_rpc *rpc)
{
	(void)obj;
	(void)rpc;
	CN_ASSERT(0);
	return 0;
}

CN_TEST(test_ep_destroy_revokes_every_copy)
{
	struct cn_ep *ep;
	struct cn_obj *obj, *other;
	struct cn_msg msg;
	int copy, fds;

	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	fds = cn_test_count_fds();
	CN_ASSERT_EQ(cn_obj_create(ep, never_called, &fds, &obj), 0);
	CN_ASSERT_EQ(cn_obj_create(ep, never_called, NULL, &other), 0);
	CN_ASSERT(cn_obj_data(obj) == &fds);
	CN_ASSERT(cn_ep_lookup(ep, cn_obj_cap(obj)) == obj);
	CN_ASSERT(cn_ep_lookup(ep, cn_obj_cap(other)) == other);
	CN_ASSERT(cn_ep_lookup(ep, -1) == NULL);
	copy = fcntl(cn_obj_cap(obj), F_DUPFD_CLOEXEC, 0);
	CN_ASSERT(cn_ep_lookup(ep, copy) == obj);

	cn_obj_destroy(obj);
	CN_ASSERT(cn_ep_lookup(ep, copy) == NULL);
	msg_new(&msg, OP_ECHO);
	CN_ASSERT_EQ(cn_call(copy, &msg), CN_ERR_DEAD_OBJECT);
	CN_ASSERT_EQ(cn_wire_send(copy, &msg, -1, true), CN_ERR_DEAD_OBJECT);
	close(copy);
	cn_obj_destroy(NULL);
	CN_ASSERT(cn_ep_lookup(ep, cn_obj_cap(other)) == other);
	CN_ASSERT_EQ(cn_test_count_fds(), fds + 2);
	cn_ep_destroy(ep); /* destroys other */
	CN_ASSERT_EQ(cn_test_count_fds(), fds - 1);

	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	CN_ASSERT_EQ(cn_obj_create(NULL, never_called, NULL, &obj), -EINVAL);
	CN_ASSERT_EQ(cn_obj_create(ep, NULL, NULL, &obj), -EINVAL);
	CN_ASSERT_EQ(cn_sig_create(ep, NULL, NULL, NULL), -EINVAL);
	cn_ep_destroy(ep);
}

/* Each object's handler destroys the other; both have a request waiting in
 * the same batch. The one destroyed is neither called nor polled again. */
struct rival {
	struct cn_obj *other;
	unsigned *calls;
};

static int
destroy_rival(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct rival *r = cn_obj_data(obj);

	(void)rpc;
	(*r->calls)++;
	cn_obj_destroy(r->other);
	return CN_OK;
}

CN_TEST(test_ep_destroy_during_dispatch)
{
	struct err_record err = {0};
	struct rival ra, rb;
	struct cn_obj *a, *b;
	struct cn_ep *ep;
	struct cn_msg msg;
	unsigned calls = 0;
	int cha[2], chb[2], reply_fd, ra_result, rb_result;

	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	cn_ep_set_error_handler(ep, record_error, &err);
	CN_ASSERT_EQ(cn_obj_create(ep, destroy_rival, &ra, &a), 0);
	CN_ASSERT_EQ(cn_obj_create(ep, destroy_rival, &rb, &b), 0);
	ra = (struct rival){.other = b, .calls = &calls};
	rb = (struct rival){.other = a, .calls = &calls};
	CN_ASSERT_EQ(cn_wire_channel(cha), 0);
	CN_ASSERT_EQ(cn_wire_channel(chb), 0);
	msg_new(&msg, 1);
	CN_ASSERT_EQ(cn_wire_send(cn_obj_cap(a), &msg, cha[1], true), 0);
	CN_ASSERT_EQ(cn_wire_send(cn_obj_cap(b), &msg, chb[1], true), 0);
	close(cha[1]);
	close(chb[1]);
	CN_ASSERT_EQ(cn_ep_dispatch(ep, 1000), 2);
	CN_ASSERT_EQ(calls, 1);
	CN_ASSERT_EQ(err.calls, 0);
	CN_ASSERT_EQ(cn_ep_dispatch(ep, 0), 0);
	/* one request was answered, the other dropped with its object */
	ra_result = cn_wire_recv(cha[0], &msg, &reply_fd, true);
	if (reply_fd >= 0)
		close(reply_fd); /* the channel, handed back */
	rb_result = cn_wire_recv(chb[0], &msg, &reply_fd, true);
	if (reply_fd >= 0)
		close(reply_fd);
	CN_ASSERT((ra_result == 0 && rb_result == -ECONNRESET) ||
	          (ra_result == -ECONNRESET && rb_result == 0));
	close(cha[0]);
	close(chb[0]);
	cn_ep_destroy(ep);
}

/* --- fault injection ---------------------------------------------------- */

CN_TEST(test_ep_fault_send)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	int fds = cn_test_count_fds();
	uint32_t calls = server_stats(s.cap).calls;

	/* sweep the failure over a sequence of calls: exactly the n-th fails */
	for (unsigned n = 1; n <= 4; n++) {
		cn_fault_inject(CN_FAULT_SEND, n);
		for (unsigned i = 1; i <= 4; i++) {
			int r = call_echo(s.cap, i, n, 0, "sweep");

			if (i == n)
				CN_ASSERT(r < 0 && r != CN_ERR_NO_REPLY);
			else
				CN_ASSERT_EQ(r, CN_OK);
			CN_ASSERT_EQ(cn_test_count_fds(), fds);
		}
	}
	/* the failed calls never reached the server */
	CN_ASSERT_EQ(server_stats(s.cap).calls, calls + 1 + 4 * 3);

	/* a call carrying caps fails as cleanly */
	cn_fault_inject(CN_FAULT_SEND, 1);
	msg_new(&msg, OP_WRITE_TO);
	cn_msg_put_cap(&msg, s.cap);
	cn_msg_put_str(&msg, "x");
	CN_ASSERT(cn_call(s.cap, &msg) < 0);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);
	server_quit(&s);
}

CN_TEST(test_ep_fault_socketpair)
{
	struct cn_ep *ep;
	struct cn_obj *obj = NULL;
	struct cn_sig *sig = NULL;
	int fds;

	/* in process: object and signal creation fail cleanly */
	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	fds = cn_test_count_fds();
	cn_fault_inject(CN_FAULT_SOCKETPAIR, 1);
	CN_ASSERT(cn_obj_create(ep, never_called, NULL, &obj) < 0);
	CN_ASSERT(obj == NULL);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);
	cn_fault_inject(CN_FAULT_SOCKETPAIR, 1);
	CN_ASSERT(cn_sig_create(ep, record_sig, NULL, &sig) < 0);
	CN_ASSERT(sig == NULL);
	CN_ASSERT_EQ(cn_test_count_fds(), fds);
	/* the seam is spent: the next creation works */
	CN_ASSERT_EQ(cn_obj_create(ep, never_called, NULL, &obj), 0);
	CN_ASSERT(obj != NULL);
	cn_ep_destroy(ep);

	/* a call whose reply channel cannot be made fails, leaks nothing */
	struct server_proc s = server_start();
	fds = cn_test_count_fds();
	uint32_t calls = server_stats(s.cap).calls;
	cn_wire_forget_channels(); /* every call below needs a fresh channel */
	for (unsigned n = 1; n <= 3; n++) {
		cn_fault_inject(CN_FAULT_SOCKETPAIR, n);
		for (unsigned i = 1; i <= 3; i++) {
			int r = call_echo(s.cap, i, n, 0, "sweep");

			if (i == n)
				CN_ASSERT(r < 0 && r != CN_ERR_NO_REPLY);
			else
				CN_ASSERT_EQ(r, CN_OK);
			CN_ASSERT_EQ(cn_test_count_fds(), fds);
		}
	}
	CN_ASSERT_EQ(server_stats(s.cap).calls, calls + 1 + 3 * 2);
	server_quit(&s);
}

/* A call with a limit: no answer in time, an answer in time, a server
 * that dies during it, and one that is gone. */
CN_TEST(test_ep_call_timeout)
{
	struct server_proc s = server_start();
	struct cn_msg msg;
	long t0;

	alarm(10);
	msg_new(&msg, OP_WAIT);
	t0 = now_ms();
	CN_ASSERT_EQ(cn_call_timeout(s.cap, &msg, 100), -ETIMEDOUT);
	CN_ASSERT(now_ms() - t0 >= 100);
	cn_msg_reset(&msg);
	/* the late reply goes nowhere; the next call is answered as usual */
	msg_new(&msg, OP_RELEASE);
	cn_msg_put_u32(&msg, 7);
	CN_ASSERT_EQ(cn_call_timeout(s.cap, &msg, 5000), CN_OK);
	cn_msg_reset(&msg);
	msg_new(&msg, OP_SIG_CAP);
	CN_ASSERT_EQ(cn_call_timeout(s.cap, &msg, 5000), CN_OK);
	CN_ASSERT_EQ(msg.hdr.ncaps, 1);
	cn_msg_reset(&msg);
	CN_ASSERT_EQ(call_echo(s.cap, 1, 2, 3, "after a timeout"), CN_OK);

	msg_new(&msg, OP_DIE);
	t0 = now_ms();
	CN_ASSERT_EQ(cn_call_timeout(s.cap, &msg, 5000), CN_ERR_NO_REPLY);
	CN_ASSERT(now_ms() - t0 < 2000);
	server_wait(&s, 0);
	msg_new(&msg, OP_ECHO);
	CN_ASSERT_EQ(cn_call_timeout(s.cap, &msg, 5000), CN_ERR_DEAD_OBJECT);
	cn_msg_reset(&msg);
	alarm(0);
	close(s.cap);
}

/* cn_sig_wait delivers its own signal only, and ends on a timeout or when
 * the peer is gone. */
CN_TEST(test_ep_sig_wait_alone)
{
	struct sig_record a = {0}, b = {0};
	struct cn_sig *sa, *sb;
	struct cn_ep *ep;
	int ch[2];
	long t0;

	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	CN_ASSERT_EQ(cn_sig_create(ep, record_sig, &a, &sa), 0);
	CN_ASSERT_EQ(cn_sig_create(ep, record_sig, &b, &sb), 0);
	CN_ASSERT_EQ(cn_signal_submit(cn_sig_cap(sb), 1), 0);
	CN_ASSERT_EQ(cn_signal_submit(cn_sig_cap(sa), 2), 0);
	CN_ASSERT_EQ(cn_sig_wait(sa, -1, 1000), 0);
	CN_ASSERT_EQ(a.calls, 1);
	CN_ASSERT_EQ(a.last, 2);
	CN_ASSERT_EQ(b.calls, 0); /* not dispatched */

	t0 = now_ms();
	CN_ASSERT_EQ(cn_sig_wait(sa, cn_sig_cap(sb), 50), -ETIMEDOUT);
	CN_ASSERT(now_ms() - t0 >= 50);
	CN_ASSERT_EQ(b.calls, 0);

	CN_ASSERT_EQ(cn_wire_channel(ch), 0);
	close(ch[0]); /* the peer's object is gone */
	t0 = now_ms();
	CN_ASSERT_EQ(cn_sig_wait(sa, ch[1], 5000), CN_ERR_DEAD_OBJECT);
	CN_ASSERT(now_ms() - t0 < 2000);
	close(ch[1]);

	/* the rest is dispatched as usual later */
	CN_ASSERT_EQ(cn_ep_dispatch(ep, 1000), 1);
	CN_ASSERT_EQ(b.calls, 1);
	CN_ASSERT_EQ(a.calls, 1);
	cn_ep_destroy(ep);
}

/* --- handlers are not re-entered ------------------------------------------ */

struct nesting {
	struct cn_ep *ep;
	struct cn_sig *self, *other;
	int efd;
	unsigned calls, depth, max_depth, other_calls;
	uint32_t counts[4];
};

static void
count_other(void *data, uint32_t count)
{
	struct nesting *n = data;

	(void)count;
	n->other_calls++;
}

/* The first call submits to itself and to the other context, then waits
 * for the other one (dispatching meanwhile, as a session request does). */
static void
waiting_sig(void *data, uint32_t count)
{
	struct nesting *n = data;

	if (n->calls < 4)
		n->counts[n->calls] = count;
	n->calls++;
	if (++n->depth > n->max_depth)
		n->max_depth = n->depth;
	if (n->calls == 1) {
		CN_ASSERT_EQ(cn_signal_submit(cn_sig_cap(n->self), 5), 0);
		CN_ASSERT_EQ(cn_signal_submit(cn_sig_cap(n->other), 1), 0);
		CN_ASSERT_EQ(cn_ep_wait_sig(n->ep, n->other), 0);
		CN_ASSERT_EQ(n->calls, 1); /* not re-entered */
	}
	n->depth--;
}

CN_TEST(test_ep_signal_not_reentered)
{
	struct nesting n = {0};

	CN_ASSERT_EQ(cn_ep_create(&n.ep), 0);
	CN_ASSERT_EQ(cn_sig_create(n.ep, waiting_sig, &n, &n.self), 0);
	CN_ASSERT_EQ(cn_sig_create(n.ep, count_other, &n, &n.other), 0);
	CN_ASSERT_EQ(cn_signal_submit(cn_sig_cap(n.self), 1), 0);
	CN_ASSERT_EQ(cn_ep_dispatch(n.ep, 1000), 1);
	/* the signal that came during the wait: one more call right after */
	CN_ASSERT_EQ(n.calls, 2);
	CN_ASSERT_EQ(n.max_depth, 1);
	CN_ASSERT_EQ(n.counts[0], 1);
	CN_ASSERT_EQ(n.counts[1], 5);
	CN_ASSERT_EQ(n.other_calls, 1);
	CN_ASSERT(cn_sig_delivered(n.self) == 6);
	CN_ASSERT_EQ(cn_ep_dispatch(n.ep, 0), 0);
	cn_ep_destroy(n.ep);
}

/* The first call leaves the eventfd readable and waits for the other
 * context; the second reads it. */
static void
waiting_watch(void *data, uint32_t events)
{
	struct nesting *n = data;
	uint64_t v;

	(void)events;
	n->calls++;
	if (++n->depth > n->max_depth)
		n->max_depth = n->depth;
	if (n->calls == 1) {
		CN_ASSERT_EQ(cn_signal_submit(cn_sig_cap(n->other), 1), 0);
		CN_ASSERT_EQ(cn_ep_wait_sig(n->ep, n->other), 0);
		/* muted: not reported again and again while it runs */
		CN_ASSERT_EQ(cn_ep_dispatch(n->ep, 0), 0);
		CN_ASSERT_EQ(n->calls, 1);
	} else {
		CN_ASSERT_EQ(read(n->efd, &v, sizeof(v)), (ssize_t)sizeof(v));
	}
	n->depth--;
}

CN_TEST(test_ep_watch_not_reentered)
{
	struct nesting n = {0};
	struct cn_watch *w;
	uint64_t one = 1;

	CN_ASSERT_EQ(cn_ep_create(&n.ep), 0);
	CN_ASSERT_EQ(cn_sig_create(n.ep, count_other, &n, &n.other), 0);
	n.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CN_ASSERT(n.efd >= 0);
	CN_ASSERT_EQ(cn_ep_watch(n.ep, n.efd, EPOLLIN, waiting_watch, &n, &w), 0);
	CN_ASSERT_EQ(write(n.efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	CN_ASSERT_EQ(cn_ep_dispatch(n.ep, 1000), 1);
	CN_ASSERT_EQ(n.calls, 1);
	CN_ASSERT_EQ(n.max_depth, 1);
	CN_ASSERT_EQ(n.other_calls, 1);
	/* watched again after its handler returned: still readable */
	CN_ASSERT_EQ(cn_ep_dispatch(n.ep, 1000), 1);
	CN_ASSERT_EQ(n.calls, 2);
	CN_ASSERT_EQ(cn_ep_dispatch(n.ep, 0), 0);
	cn_watch_destroy(w);
	close(n.efd);
	cn_ep_destroy(n.ep);
}

/* A hang-up is reported even for no events: a running watch must be out
 * of the epoll set, not only asked for nothing. */
static void
hangup_watch(void *data, uint32_t events)
{
	struct nesting *n = data;

	(void)events;
	if (++n->calls == 1) {
		CN_ASSERT_EQ(cn_ep_dispatch(n->ep, 0), 1); /* reported: now muted */
		CN_ASSERT_EQ(cn_ep_dispatch(n->ep, 0), 0);
	}
}

CN_TEST(test_ep_watch_hangup_not_reentered)
{
	struct nesting n = {0};
	struct cn_watch *w;
	int p[2];

	CN_ASSERT_EQ(cn_ep_create(&n.ep), 0);
	CN_ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	close(p[1]); /* the read end hangs up */
	CN_ASSERT_EQ(cn_ep_watch(n.ep, p[0], EPOLLIN, hangup_watch, &n, &w), 0);
	CN_ASSERT_EQ(cn_ep_dispatch(n.ep, 1000), 1);
	CN_ASSERT_EQ(n.calls, 1);
	CN_ASSERT_EQ(cn_ep_dispatch(n.ep, 1000), 1); /* watched again */
	CN_ASSERT_EQ(n.calls, 2);
	cn_watch_destroy(w);
	close(p[0]);
	cn_ep_destroy(n.ep);
}

CN_TEST_MAIN()
