/*
 * bench_rpc: a null RPC between two processes, Cairn against the raw
 * transport it is built on.
 *
 * Cairn: a forked server runs an entrypoint with one object whose handler
 * returns CN_OK; the client makes cn_call()s with an empty message.
 * Baseline: a SOCK_SEQPACKET socketpair ping-pong with the same 16-byte
 * header each way, where every request carries one unix-socket fd in
 * SCM_RIGHTS that the server closes (a Cairn call carries its reply
 * channel the same way). Both pairs run in the same program run, in the
 * same placement, their repetitions interleaved; each figure is the median
 * over the repetitions of the mean time per call.
 */
#include <cairn/ep.h>
#include <cairn/wire.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

enum {
	OP_NULL = 1,
	OP_STOP = 2,
	REPS_DEFAULT = 7,
	REPS_MAX = 101,
	CALLS_SAMECPU = 20000, /* about 10 us each */
	CALLS_CROSSCPU = 5000, /* about 50 us each */
	WARMUP_CALLS = 1000,
	TARGET_RATIO_X10 = 15,
};

/* The program's only mutable state. */
static struct {
	unsigned reps, calls; /* calls 0: the per-placement default */
} state = {.reps = REPS_DEFAULT};

__attribute__((noreturn, format(printf, 1, 2))) static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_rpc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(BENCH_EXIT_FAIL);
}

/* --- the Cairn pair ---------------------------------------------------------- */

static int
null_handler(struct cn_obj *obj, struct cn_rpc *rpc)
{
	if (rpc->opcode == OP_STOP)
		cn_ep_stop(cn_obj_data(obj), 0);
	return CN_OK;
}

/* Serve one object on cpu until OP_STOP; its capability goes out on
 * setup_fd. */
__attribute__((noreturn)) static void
cairn_server(int setup_fd, int cpu)
{
	struct cn_ep *ep;
	struct cn_obj *obj;
	struct cn_msg msg;
	int r;

	r = bench_pin(0, cpu, cpu);
	if (r == 0)
		r = cn_ep_create(&ep);
	if (r == 0)
		r = cn_obj_create(ep, null_handler, ep, &obj);
	if (r < 0)
		_exit(BENCH_EXIT_FAIL);
	msg.owns_caps = false;
	cn_msg_init(&msg, 0);
	cn_msg_put_cap(&msg, cn_obj_cap(obj));
	r = cn_wire_send(setup_fd, &msg, -1, false);
	close(setup_fd);
	if (r < 0)
		_exit(BENCH_EXIT_FAIL);
	r = cn_ep_run(ep);
	_exit(r < 0 ? BENCH_EXIT_FAIL : 0);
}

static double
cairn_rep(int cap, unsigned calls)
{
	struct cn_msg msg;
	uint64_t start = bench_now_ns();

	msg.owns_caps = false;
	for (unsigned i = 0; i < calls; i++) {
		int r;

		cn_msg_init(&msg, OP_NULL);
		r = cn_call(cap, &msg);
		if (r != CN_OK)
			die("cn_call failed: %s", strerror(-r));
	}
	cn_msg_reset(&msg);
	return (double)(bench_now_ns() - start) / calls / 1000.0;
}

/* --- the raw baseline ---------------------------------------------------------- */

/* The same 16 bytes a Cairn header has. */
struct raw_hdr {
	uint32_t words[4];
};

union raw_ctl {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

__attribute__((noreturn)) static void
raw_server(int fd, int cpu)
{
	if (bench_pin(0, cpu, cpu) < 0)
		_exit(BENCH_EXIT_FAIL);
	for (;;) {
		struct raw_hdr hdr;
		union raw_ctl ctl;
		struct iovec iov = {.iov_base = &hdr, .iov_len = sizeof(hdr)};
		struct msghdr mh = {.msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = ctl.buf,
		                    .msg_controllen = sizeof(ctl.buf)};
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(n == 0 ? 0 : BENCH_EXIT_FAIL);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				int passed;
				memcpy(&passed, CMSG_DATA(c), sizeof(passed));
				close(passed);
			}
		}
		hdr.words[0] = 0; /* the result code */
		if (send(fd, &hdr, sizeof(hdr), MSG_NOSIGNAL) != (ssize_t)sizeof(hdr))
			_exit(BENCH_EXIT_FAIL);
	}
}

static double
raw_rep(int fd, int pass_fd, unsigned calls)
{
	struct raw_hdr hdr = {.words = {OP_NULL, 0, 0, 1}};
	union raw_ctl ctl;
	struct iovec iov = {.iov_base = &hdr, .iov_len = sizeof(hdr)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.buf,
	                    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	uint64_t start;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass_fd, sizeof(pass_fd));

	start = bench_now_ns();
	for (unsigned i = 0; i < calls; i++) {
		struct raw_hdr reply;

		if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(hdr) ||
		    recv(fd, &reply, sizeof(reply), 0) != (ssize_t)sizeof(reply))
			die("raw ping-pong failed: %s", strerror(errno));
	}
	return (double)(bench_now_ns() - start) / calls / 1000.0;
}

/* --- one placement ----------------------------------------------------------------- */

static pid_t
fork_server(void (*serve)(int, int), int keep_fd, int close_fd, int cpu)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(close_fd);
		serve(keep_fd, cpu);
		_exit(BENCH_EXIT_FAIL);
	}
	close(keep_fd);
	return pid;
}

static void
reap(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("the %s server failed (status %#x)", what, status);
}

static void
run_placement(const struct bench_placement *p)
{
	unsigned calls = state.calls            ? state.calls
	                 : p->cpu_a == p->cpu_b ? CALLS_SAMECPU
	                                        : CALLS_CROSSCPU;
	double cairn[REPS_MAX], raw[REPS_MAX];
	int setup[2], raw_fds[2], spare[2], cap, reply_fd;
	struct cn_msg msg;
	pid_t cairn_pid, raw_pid;
	char name[64];
	int r;

	r = bench_pin(0, p->cpu_a, p->cpu_a);
	if (r < 0)
		die("cannot pin to CPU %d: %s", p->cpu_a, strerror(-r));
	if (cn_wire_channel(setup) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, raw_fds) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, spare) < 0)
		die("socketpair: %s", strerror(errno));

	cairn_pid = fork_server(cairn_server, setup[1], setup[0], p->cpu_b);
	raw_pid = fork_server(raw_server, raw_fds[1], raw_fds[0], p->cpu_b);

	msg.owns_caps = false;
	r = cn_wire_recv(setup[0], &msg, &reply_fd, false);
	if (r < 0 || msg.hdr.ncaps != 1)
		die("no capability from the server: %s", strerror(r < 0 ? -r : EBADMSG));
	cap = cn_msg_take_cap(&msg, 0);
	cn_msg_reset(&msg);
	close(setup[0]);

	printf("bench_rpc: %s: client on CPU %d, server on CPU %d, %u x %u calls each\n", p->name,
	       p->cpu_a, p->cpu_b, state.reps, calls);
	fflush(stdout);
	cairn_rep(cap, WARMUP_CALLS);
	raw_rep(raw_fds[0], spare[0], WARMUP_CALLS);
	for (unsigned i = 0; i < state.reps; i++) {
		cairn[i] = cairn_rep(cap, calls);
		raw[i] = raw_rep(raw_fds[0], spare[0], calls);
	}

	cn_msg_init(&msg, OP_STOP);
	cn_call(cap, &msg);
	close(cap);
	close(raw_fds[0]);
	close(spare[0]);
	close(spare[1]);
	reap(cairn_pid, "Cairn");
	reap(raw_pid, "raw");

	snprintf(name, sizeof(name), "rpc_null_%s", p->name);
	bench_report(name, bench_median(cairn, state.reps), bench_median(raw, state.reps), "us",
	             TARGET_RATIO_X10 / 10.0);
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_rpc [--reps N] [--calls N]\n"
	        "Null RPC round trip, Cairn (cn_call) against a raw SOCK_SEQPACKET\n"
	        "ping-pong passing one fd per call, pinned to one CPU and across two.\n"
	        "Defaults: --reps %d, --calls %d on one CPU and %d across CPUs.\n",
	        REPS_DEFAULT, CALLS_SAMECPU, CALLS_CROSSCPU);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"reps", required_argument, NULL, 'r'},
	    {"calls", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct bench_placement *placements;
	unsigned count;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			state.reps = bench_parse_count("bench_rpc", "--reps", optarg);
			if (state.reps > REPS_MAX) {
				fprintf(stderr, "bench_rpc: at most %d reps\n", REPS_MAX);
				return BENCH_EXIT_USAGE;
			}
			break;
		case 'n':
			state.calls = bench_parse_count("bench_rpc", "--calls", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return BENCH_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	count = bench_placements(&placements);
	if (count < 2)
		printf("bench_rpc: one CPU only, no cross-CPU figures\n");
	for (unsigned i = 0; i < count; i++)
		run_placement(&placements[i]);
	return 0;
}
