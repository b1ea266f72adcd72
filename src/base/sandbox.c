/*
 * The component sandbox: no-new-privs and a seccomp allow-list whose
 * default action is a user notification. Core holds the listener, so a
 * forbidden call is seen, named and punished by core, never by the
 * component itself.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>

#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base.h"

/* Landlock rights newer than some installed headers (kernel ABI 3 and 5). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

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

/*
 * A granted host directory (core's CN_HOST_DIR_FD, see cn_pd_host_dir):
 * the calls that reading it needs, and for a writeable grant those that
 * change it. Opening goes through openat2 on the granted fd only (the
 * component confines each lookup with RESOLVE_BENEATH); the other
 * path-taking calls work on directory fds it opened that way. openat and
 * open stay forbidden, so core still brokers the sanitizers' /proc reads.
 */
static const int host_read[] = {
    SCMP_SYS(getdents64),        SCMP_SYS(newfstatat),       SCMP_SYS(statx),
    SCMP_SYS(readlinkat),        SCMP_SYS(pread64),          SCMP_SYS(inotify_init1),
    SCMP_SYS(inotify_add_watch), SCMP_SYS(inotify_rm_watch), SCMP_SYS(fchdir),
};
static const int host_write[] = {
    SCMP_SYS(pwrite64),  SCMP_SYS(ftruncate), SCMP_SYS(mkdirat),   SCMP_SYS(unlinkat),
    SCMP_SYS(renameat),  SCMP_SYS(renameat2), SCMP_SYS(symlinkat), SCMP_SYS(fsync),
    SCMP_SYS(fdatasync), SCMP_SYS(utimensat),
};

static int
build_host_filter(scmp_filter_ctx ctx, bool writeable)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat2), 1,
	                         SCMP_A0(SCMP_CMP_EQ, CN_HOST_DIR_FD));

	for (size_t i = 0; i < sizeof(host_read) / sizeof(host_read[0]) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, host_read[i], 0);
	for (size_t i = 0; writeable && i < sizeof(host_write) / sizeof(host_write[0]) && r == 0;
	     i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, host_write[i], 0);
	return r;
}

/*
 * The host terminal (core's CN_HOST_TERMINAL_IN_FD and _OUT_FD, see
 * cn_pd_host_terminal): reading the one and writing the other are allowed
 * already (read and write are, on whatever fd a component holds); what
 * the driver needs besides is to tell a terminal, a pipe and a file apart:
 * fstat, which glibc makes newfstatat(fd, "", AT_EMPTY_PATH), of the input
 * fd only.
 */
static int
build_host_terminal_filter(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 2,
	                        SCMP_A0(SCMP_CMP_EQ, CN_HOST_TERMINAL_IN_FD),
	                        SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));
}

/*
 * The kernel's own confinement of the grant (Landlock): whatever path a
 * call names, the process may read (and if writeable change) only what is
 * beneath the granted directory, nothing else of the host. Fails closed
 * where the kernel lacks Landlock.
 */
static int
restrict_to_host_dir(bool writeable)
{
	const uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	uint64_t handled = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | read |
	                   LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	                   LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	                   LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	                   LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	                   LANDLOCK_ACCESS_FS_MAKE_SYM;
	uint64_t write = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
	                 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |
	                 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	struct stat st;
	int ruleset, r = 0;

	if (abi < 1)
		return -EOPNOTSUPP;
	if (fstat(CN_HOST_DIR_FD, &st) < 0 || !S_ISDIR(st.st_mode))
		return -EBADF;
	if (abi >= 2) { /* rename and link across directories */
		handled |= LANDLOCK_ACCESS_FS_REFER;
		write |= LANDLOCK_ACCESS_FS_REFER;
	}
	if (abi >= 3) {
		handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
		write |= LANDLOCK_ACCESS_FS_TRUNCATE;
	}
	if (abi >= 5)
		handled |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	struct landlock_ruleset_attr attr = {.handled_access_fs = handled};
	struct landlock_path_beneath_attr beneath = {
	    .allowed_access = writeable ? read | write : read,
	    .parent_fd = CN_HOST_DIR_FD,
	};
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return -errno;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		r = -errno;
	close(ruleset);
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
	const char *host = getenv(CN_HOST_DIR_ENV);
	bool host_rw = host && strcmp(host, "rw") == 0;
	scmp_filter_ctx ctx;
	int r, listener;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (mode && strcmp(mode, "relaxed") == 0) {
		/* Core set this for --gdb/--valgrind and says so in the log. */
		cn_warning(env, "sandbox relaxed for debugging: system calls are not filtered");
		return 0;
	}
	/* a grant (core put the fd and the variable there): confined to it */
	if (host && (r = restrict_to_host_dir(host_rw)) < 0) {
		cn_error(env, "cannot confine the granted host directory: %s", cn_strerror(r));
		return r;
	}
	ctx = seccomp_init(SCMP_ACT_NOTIFY);
	if (!ctx)
		return -ENOMEM;
	r = build_filter(ctx);
	if (r == 0 && host)
		r = build_host_filter(ctx, host_rw);
	if (r == 0 && getenv(CN_HOST_TERMINAL_ENV))
		r = build_host_terminal_filter(ctx);
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
