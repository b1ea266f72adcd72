/*
 * The component sandbox: no-new-privs and a seccomp allow-list whose
 * default action is a user notification. Core holds the listener, so a
 * forbidden call is seen, named and punished by core, never by the
 * component itself.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>

#include <linux/sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base.h"

/* Allowed unconditionally: IPC on held fds, memory, time, threads' needs. */
static const int allowed[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(lseek),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(brk),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(epoll_create1),
    SCMP_SYS(poll),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(futex),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(sched_yield),
    SCMP_SYS(getrandom),
    SCMP_SYS(pause),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime),
    SCMP_SYS(timerfd_gettime),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(dup),
};

/* Flags glibc's pthread_create passes; anything else is a fork. */
static const uint64_t thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                     CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
                                     CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

static int
build_filter(scmp_filter_ctx ctx)
{
	int r = 0;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		                     SCMP_A0(SCMP_CMP_EQ, thread_flags));
	/* clone3's flags live in memory the filter cannot read: make glibc
	 * fall back to clone, which we can check. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* Signals to our own process only (abort, raise). */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
		                     SCMP_A0(SCMP_CMP_EQ, (uint64_t)getpid()));
	/* Object and reply channels: local socket pairs only. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
		                     SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	/* getrlimit via prlimit64 on ourselves, read-only */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
		                     SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0));
	return r;
}

static int
hand_over_listener(struct cn_env *env, int listener)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_SANDBOX);
	cn_msg_put_cap(&msg, listener);
	r = cn_call(env->pd, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_sandbox_enter(struct cn_env *env)
{
	const char *mode = getenv("CAIRN_SANDBOX");
	scmp_filter_ctx ctx;
	int r, listener;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (mode && strcmp(mode, "relaxed") == 0) {
		/* Core set this for --gdb/--valgrind and says so in the log. */
		cn_warning(env, "sandbox relaxed for debugging: system calls are not filtered");
		return 0;
	}
	ctx = seccomp_init(SCMP_ACT_NOTIFY);
	if (!ctx)
		return -ENOMEM;
	r = build_filter(ctx);
	if (r == 0)
		r = seccomp_load(ctx);
	if (r == 0) {
		listener = seccomp_notify_fd(ctx);
		r = listener < 0 ? listener : hand_over_listener(env, listener);
		if (listener >= 0)
			close(listener);
	}
	seccomp_release(ctx);
	return r;
}
