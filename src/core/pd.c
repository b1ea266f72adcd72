/*
 * PD service: quota accounts, RAM dataspaces, and the confined Linux
 * process of each protection domain.
 */
#include <cairn/fault.h>
#include <cairn/parent.h>

#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

static int pd_dispatch(struct cn_obj *obj, struct cn_rpc *rpc);

/* --- dataspaces ---------------------------------------------------------- */

int
core_memfd_readonly(int memfd)
{
	char path[64];
	int fd;

	/* a fresh read-only open, not a dup: its file description has no
	 * write access, so neither mmap nor mprotect can make it writable */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void
ds_destroy(struct ds *ds)
{
	close(ds->memfd);
	free(ds);
}

static size_t
page_round(uint64_t size)
{
	return (size + CN_PAGE_SIZE - 1) & ~(uint64_t)(CN_PAGE_SIZE - 1);
}

static int
alloc_ram(struct pd *pd, struct cn_rpc *rpc)
{
	struct ds *ds;
	uint64_t size;
	int memfd, r;

	if (cn_msg_get_u64(rpc->in, &size) < 0 || cn_msg_end(rpc->in) < 0)
		return CN_ERR_BAD_MESSAGE;
	if (size == 0 || size > (1ull << 40))
		return CN_ERR_INVALID_ARG;
	size = page_round(size);
	if (cn_account_avail(&pd->ram) < size)
		return CN_ERR_OUT_OF_RAM;
	if (cn_account_avail(&pd->caps) < CN_PD_DS_CAP_COST)
		return CN_ERR_OUT_OF_CAPS;

	if (cn_fault_check(CN_FAULT_MEMFD))
		return -EMFILE;
	memfd = memfd_create(pd->label, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -errno;
	if (ftruncate(memfd, (off_t)size) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		r = -errno;
		close(memfd);
		return r;
	}
	ds = calloc(1, sizeof(*ds));
	r = ds ? cn_cap_identify(memfd, &ds->id) : -ENOMEM;
	if (r < 0) {
		free(ds);
		close(memfd);
		return r;
	}
	/* cannot fail from here on */
	ds->memfd = memfd;
	ds->size = size;
	ds->writeable = true;
	ds->owner = pd;
	cn_account_charge(&pd->ram, size);
	cn_account_charge(&pd->caps, CN_PD_DS_CAP_COST);
	ds->next = pd->dataspaces;
	pd->dataspaces = ds;
	cn_msg_put_cap(rpc->out, memfd);
	cn_msg_put_u64(rpc->out, size);
	return CN_OK;
}

static void
free_ds(struct pd *pd, struct ds *ds)
{
	for (struct ds **p = &pd->dataspaces; *p; p = &(*p)->next) {
		if (*p == ds) {
			*p = ds->next;
			break;
		}
	}
	cn_account_release(&pd->ram, ds->size);
	cn_account_release(&pd->caps, CN_PD_DS_CAP_COST);
	ds_destroy(ds);
}

/* The dataspace of pd that is the file id, or NULL. */
static struct ds *
ds_of(struct pd *pd, const struct cn_cap_id *id)
{
	for (struct ds *ds = pd->dataspaces; ds; ds = ds->next)
		if (ds->id.ino == id->ino && ds->id.dev == id->dev)
			return ds;
	return NULL;
}

/* The dataspace of pd that the request's capability is. */
static int
owned_ds(struct pd *pd, struct cn_rpc *rpc, struct ds **ret)
{
	struct cn_cap_id id;

	if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
		return CN_ERR_BAD_MESSAGE;
	if (cn_cap_identify(cn_msg_cap(rpc->in, 0), &id) < 0)
		return CN_ERR_INVALID_ARG;
	*ret = ds_of(pd, &id);
	return *ret ? 0 : CN_ERR_INVALID_ARG; /* not ours, or not a dataspace at all */
}

static int
free_ram(struct pd *pd, struct cn_rpc *rpc)
{
	struct ds *ds;
	int r = owned_ds(pd, rpc, &ds);

	if (r < 0)
		return r;
	free_ds(pd, ds);
	return CN_OK;
}

static int
seal_ram(struct pd *pd, struct cn_rpc *rpc)
{
	struct ds *ds;
	int r = owned_ds(pd, rpc, &ds), fd;

	if (r < 0)
		return r;
	if (ds->writeable && fcntl(ds->memfd, F_ADD_SEALS, F_SEAL_WRITE) < 0)
		return -errno; /* EBUSY: still mapped writable somewhere */
	fd = core_memfd_readonly(ds->memfd);
	if (fd < 0)
		return fd;
	ds->writeable = false;
	cn_rpc_put_cap_owned(rpc, fd);
	return CN_OK;
}

/* --- accounts ------------------------------------------------------------ */

struct pd *
core_pd_from_cap(struct core *core, int cap)
{
	struct cn_obj *obj = cn_ep_lookup(core->ep, cap);

	if (!obj || !cn_obj_data(obj) || ((struct core_head *)cn_obj_data(obj))->type != OBJ_PD)
		return NULL;
	return cn_obj_data(obj);
}

static int
ref_account(struct pd *pd, struct cn_rpc *rpc)
{
	struct pd *ref;
	int r;

	if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
		return CN_ERR_BAD_MESSAGE;
	ref = core_pd_from_cap(pd->core, cn_msg_cap(rpc->in, 0));
	if (!ref)
		return CN_ERR_INVALID_ARG;
	r = cn_account_set_ref(&pd->ram, &ref->ram);
	if (r == 0 && cn_account_set_ref(&pd->caps, &ref->caps) < 0) {
		pd->ram.ref = NULL;
		r = -EINVAL;
	}
	return r;
}

static int
transfer_quota(struct pd *pd, struct cn_rpc *rpc)
{
	struct pd *to;
	uint64_t ram, caps;

	if (cn_msg_get_u64(rpc->in, &ram) < 0 || cn_msg_get_u64(rpc->in, &caps) < 0 ||
	    cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
		return CN_ERR_BAD_MESSAGE;
	to = core_pd_from_cap(pd->core, cn_msg_cap(rpc->in, 0));
	if (!to)
		return CN_ERR_INVALID_ARG;
	/* validate both before moving either */
	if (pd->ram.ref != &to->ram && to->ram.ref != &pd->ram)
		return CN_ERR_DENIED;
	if (cn_account_avail(&pd->ram) < ram)
		return CN_ERR_OUT_OF_RAM;
	if (cn_account_avail(&pd->caps) < caps)
		return CN_ERR_OUT_OF_CAPS;
	cn_account_transfer(&pd->ram, &to->ram, ram);
	cn_account_transfer(&pd->caps, &to->caps, caps);
	return CN_OK;
}

/* --- the process ----------------------------------------------------------- */

static const char *
signal_name(int sig)
{
	const char *n = sigabbrev_np(sig);
	return n ? n : "?";
}

static void
pd_exited(void *data, uint32_t events)
{
	struct pd *pd = data;
	siginfo_t info = {0};

	(void)events;
	if (waitid(P_PIDFD, (id_t)pd->pidfd, &info, WEXITED | WNOHANG) < 0 || info.si_pid == 0)
		return;
	cn_watch_destroy(pd->pid_watch);
	pd->pid_watch = NULL;
	close(pd->pidfd);
	pd->pidfd = -1;
	if (pd->state == CN_PD_RUNNING) {
		if (info.si_code == CLD_EXITED) {
			pd->state = CN_PD_EXITED;
			pd->exit_value = info.si_status;
		} else {
			pd->state = CN_PD_SIGNALED;
			pd->exit_value = info.si_status;
			snprintf(pd->detail, sizeof(pd->detail), "SIG%s",
			         signal_name(info.si_status));
		}
	}
	if (pd->exit_sigh >= 0)
		cn_signal_submit(pd->exit_sigh, 1);
}

static void
pd_output(void *data, uint32_t events)
{
	struct pd *pd = data;
	char buf[4096];
	ssize_t n = read(pd->out_fd, buf, sizeof(buf));

	if (n > 0) {
		core_line_feed(&pd->out_line, pd->label, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	(void)events;
	core_line_flush(&pd->out_line, pd->label);
	cn_watch_destroy(pd->out_watch);
	pd->out_watch = NULL;
	close(pd->out_fd);
	pd->out_fd = -1;
}

static void
kill_process(struct pd *pd)
{
	if (pd->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pd->pidfd, SIGKILL, NULL, 0);
}

/*
 * Files a component may open: a few of its own /proc entries, which
 * sanitizer runtimes read to print a report. They describe nothing but
 * the component itself. Core opens them on the component's behalf and
 * injects the fd as the call's result, so the component never resolves a
 * path itself. Returns true if the call was answered.
 */
static const char *const own_proc_files[] = {"maps", "cmdline", "auxv", "status", "environ"};

static bool
broker_own_proc(struct pd *pd, const struct seccomp_notif *req)
{
	static const char self[] = "/proc/self/";
	char path[32] = "", procpath[64];
	const char *file = NULL;
	uint64_t addr, flags;
	int fd;

	if (req->data.nr == __NR_open) {
		addr = req->data.args[0];
		flags = req->data.args[1];
	} else if (req->data.nr == __NR_openat) {
		addr = req->data.args[1];
		flags = req->data.args[2];
	} else {
		return false;
	}
	if (flags & O_ACCMODE)
		return false; /* read-only only */
	struct iovec local = {path, sizeof(path) - 1};
	struct iovec remote = {(void *)(uintptr_t)addr, sizeof(path) - 1};
	/* the string may end near a page boundary: a short read is fine */
	if (process_vm_readv((pid_t)req->pid, &local, 1, &remote, 1, 0) <= 0 ||
	    strncmp(path, self, sizeof(self) - 1) != 0)
		return false;
	for (size_t i = 0; i < sizeof(own_proc_files) / sizeof(own_proc_files[0]); i++)
		if (strcmp(path + sizeof(self) - 1, own_proc_files[i]) == 0)
			file = own_proc_files[i];
	if (!file)
		return false;
	/* the notification must still be pending: pid not reused meanwhile */
	if (seccomp_notify_id_valid(pd->listener, req->id) != 0)
		return false;
	snprintf(procpath, sizeof(procpath), "/proc/%u/%s", req->pid, file);
	fd = open(procpath, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct seccomp_notif_addfd add = {
	    .id = req->id,
	    .flags = SECCOMP_ADDFD_FLAG_SEND,
	    .srcfd = (uint32_t)fd,
	    .newfd_flags = O_CLOEXEC,
	};
	bool ok = ioctl(pd->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0;
	close(fd);
	return ok;
}

/* Also for sanitizers: readlink("/proc/self/exe"), the component's own
 * binary. Core resolves it and writes the answer into the caller's
 * buffer, as the kernel would. */
static bool
broker_own_exe(struct pd *pd, const struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
	static const char wanted[] = "/proc/self/exe";
	char path[sizeof(wanted)] = "", procpath[64], target[PATH_MAX];
	uint64_t addr, buf, size;
	ssize_t len;

	if (req->data.nr == __NR_readlink) {
		addr = req->data.args[0];
		buf = req->data.args[1];
		size = req->data.args[2];
	} else if (req->data.nr == __NR_readlinkat) {
		addr = req->data.args[1];
		buf = req->data.args[2];
		size = req->data.args[3];
	} else {
		return false;
	}
	struct iovec local = {path, sizeof(path)};
	struct iovec remote = {(void *)(uintptr_t)addr, sizeof(path)};
	if (process_vm_readv((pid_t)req->pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(path) ||
	    memcmp(path, wanted, sizeof(wanted)) != 0)
		return false;
	snprintf(procpath, sizeof(procpath), "/proc/%u/exe", req->pid);
	len = readlink(procpath, target, sizeof(target));
	if (len < 0)
		return false;
	if ((uint64_t)len > size)
		len = (ssize_t)size;
	local = (struct iovec){target, (size_t)len};
	remote = (struct iovec){(void *)(uintptr_t)buf, (size_t)len};
	if (process_vm_writev((pid_t)req->pid, &local, 1, &remote, 1, 0) != len)
		return false;
	resp->id = req->id;
	resp->val = len;
	resp->error = 0;
	resp->flags = 0;
	return seccomp_notify_respond(pd->listener, resp) == 0;
}

static void
pd_violation(void *data, uint32_t events)
{
	struct pd *pd = data;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	char line[CN_PD_DETAIL_MAX + 64];

	if (seccomp_notify_alloc(&req, &resp) == 0 &&
	    seccomp_notify_receive(pd->listener, req) == 0) {
		if (broker_own_proc(pd, req) || broker_own_exe(pd, req, resp)) {
			seccomp_notify_free(req, resp);
			return;
		}
		char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);

		snprintf(pd->detail, sizeof(pd->detail), "%s", name ? name : "?");
		if (!name)
			snprintf(pd->detail, sizeof(pd->detail), "#%d", req->data.nr);
		free(name);
		if (pd->state == CN_PD_RUNNING) {
			pd->state = CN_PD_SANDBOX_KILLED;
			snprintf(line, sizeof(line), "killed: forbidden system call %s",
			         pd->detail);
			core_log_labeled(pd->label, line);
		}
		kill_process(pd);
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		cn_watch_destroy(pd->listener_watch);
		pd->listener_watch = NULL;
		close(pd->listener);
		pd->listener = -1;
	}
	seccomp_notify_free(req, resp);
}

/* The fds a process gets at fixed numbers besides 0 to 2 (-1: none). */
struct child_fds {
	int parent_cap, host_dir, term_in, term_out, term_size;
};

/* The child side of spawn: runs between clone and exec, raw calls only. */
static void
child_setup(const struct child_fds *fds, int out_fd, int null_fd, const char *path, int exec_fd,
            char *const argv[], char *const envp[], cap_t no_caps)
{
	const int src[] = {fds->parent_cap, fds->host_dir, fds->term_in, fds->term_out,
	                   fds->term_size};
	const int dst[] = {CN_PARENT_FD, CN_HOST_DIR_FD, CN_HOST_TERMINAL_IN_FD,
	                   CN_HOST_TERMINAL_OUT_FD, CN_HOST_TERMINAL_SIZE_FD};
	enum { N = sizeof(src) / sizeof(src[0]) };
	int high[N];

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(127);
	/* its own process group, except for the holder of the host terminal,
	 * which must stay in core's (a background group could not read a
	 * controlling terminal: SIGTTIN) */
	if (fds->term_in < 0) {
		sigset_t none;

		setpgid(0, 0);
		/* nor core's blocked signals (SIGINT, SIGTERM, SIGHUP, SIGWINCH
		 * are core's to take through its signalfd); the holder keeps
		 * them blocked, as it shares core's terminal signals */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	/* move them out of the way before placing them at their fds */
	if (exec_fd >= 0 && (exec_fd = fcntl(exec_fd, F_DUPFD_CLOEXEC, 16)) < 0)
		_exit(127);
	for (int i = 0; i < N; i++)
		if ((high[i] = src[i] >= 0 ? fcntl(src[i], F_DUPFD, 16) : -1) < 0 && src[i] >= 0)
			_exit(127);
	if (dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	/* the parent cap, and the host grants (host_dir.c, host_terminal.c) */
	for (int i = 0; i < N; i++) {
		if (high[i] < 0)
			close(dst[i]); /* not granted: nothing there */
		else if (dup2(high[i], dst[i]) < 0)
			_exit(127);
	}
	/* the rest is closed; a binary executed from its dataspace stays open
	 * until the exec */
	if (syscall(SYS_close_range, CN_HOST_TERMINAL_SIZE_FD + 1, ~0U,
	            exec_fd >= 0 ? CLOSE_RANGE_CLOEXEC : 0) < 0)
		_exit(127);
	if (geteuid() == 0 || prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN) == 1) {
		for (int c = 0; c <= CAP_LAST_CAP; c++)
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (cap_set_proc(no_caps) < 0)
		_exit(127);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(127);
	if (exec_fd >= 0)
		syscall(SYS_execveat, exec_fd, "", argv, envp, AT_EMPTY_PATH);
	else
		execve(path, argv, envp);
	_exit(127);
}

int
core_pd_spawn(struct pd *pd, const char *binary, const char *path, int exec_fd, int parent_cap,
              int exit_sigh)
{
	struct core *core = pd->core;
	int out[2], null_fd, pidfd = -1, r;
	char *argv[8], *envp[8];
	unsigned argc = 0, envc = 0;
	cap_t no_caps;
	pid_t pid;
	bool debug = core->debug_name && strcmp(core->debug_name, cn_label_last(pd->label)) == 0;
	const char *asan = getenv("ASAN_OPTIONS");
	char asan_env[512];

	if (pd->state != CN_PD_NOT_STARTED)
		return -EBUSY;
	if (cn_fault_check(CN_FAULT_SPAWN))
		return -EAGAIN;
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	no_caps = cap_init();
	if (null_fd < 0 || !no_caps) {
		r = null_fd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	if (debug && exec_fd >= 0 && strcmp(core->debug_tool, "valgrind") == 0) {
		core_log("\033[34mWarning: [%s] cannot run under valgrind: its binary is a "
		         "dataspace, not a boot module\033[0m",
		         pd->label);
		argv[argc++] = (char *)binary;
	} else if (debug && strcmp(core->debug_tool, "valgrind") == 0) {
		argv[argc++] = "valgrind";
		argv[argc++] = "-q";
		argv[argc++] = (char *)path;
		path = "/usr/bin/valgrind";
	} else {
		argv[argc++] = (char *)binary;
	}
	argv[argc] = NULL;
	if (debug)
		envp[envc++] = "CAIRN_SANDBOX=relaxed";
	/* Sanitizer reports must reach the log, and leak checking cannot run
	 * in a component that never returns from its entrypoint. */
	snprintf(
	    asan_env, sizeof(asan_env),
	    "ASAN_OPTIONS=%s%sdetect_leaks=0:symbolize=0:color=never:handle_segv=0:handle_sigbus=0:"
	    "handle_abort=0:handle_sigfpe=0:handle_sigill=0",
	    asan ? asan : "", asan ? ":" : "");
	envp[envc++] = asan_env;
	/* a granted host directory (host_dir.c): the sandbox confines it */
	if (pd->host_dir_fd >= 0)
		envp[envc++] =
		    pd->host_dir_writeable ? CN_HOST_DIR_ENV "=rw" : CN_HOST_DIR_ENV "=ro";
	/* the host terminal's size (host_terminal.c) */
	if (pd->host_term_in >= 0)
		envp[envc++] = pd->host_term_env;
	/* a fault is reported by core as a signal, in every build */
	envp[envc++] = "UBSAN_OPTIONS=color=never:handle_segv=0:handle_sigbus=0:handle_abort=0:"
	               "handle_sigfpe=0:"
	               "handle_sigill=0";
	envp[envc] = NULL;

	struct clone_args ca = {
	    .flags = CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)&pidfd,
	    .exit_signal = SIGCHLD,
	};
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		r = -errno;
		goto fail;
	}
	if (pid == 0) {
		const struct child_fds fds = {parent_cap, pd->host_dir_fd, pd->host_term_in,
		                              pd->host_term_out, pd->host_term_size_r};

		child_setup(&fds, out[1], null_fd, path, exec_fd, argv, envp, no_caps);
	}

	close(out[1]);
	close(null_fd);
	cap_free(no_caps);
	if (pd->host_term_size_r >= 0) {
		close(pd->host_term_size_r); /* the process has it */
		pd->host_term_size_r = -1;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	pd->pid = pid;
	pd->pidfd = pidfd;
	pd->out_fd = out[0];
	pd->exit_sigh = exit_sigh;
	pd->relaxed = debug;
	pd->state = CN_PD_RUNNING;
	cn_ep_watch(core->ep, pidfd, EPOLLIN, pd_exited, pd, &pd->pid_watch);
	cn_ep_watch(core->ep, out[0], EPOLLIN, pd_output, pd, &pd->out_watch);
	if (debug && strcmp(core->debug_tool, "gdb") == 0)
		core_log("\033[34mWarning: [%s] runs with its sandbox relaxed for debugging: "
		         "attach with  gdb -p %d\033[0m",
		         pd->label, pid);
	else if (debug)
		core_log("\033[34mWarning: [%s] runs under valgrind with its sandbox relaxed "
		         "(pid %d)\033[0m",
		         pd->label, pid);
	return 0;
fail:
	close(out[0]);
	close(out[1]);
	if (null_fd >= 0)
		close(null_fd);
	if (no_caps)
		cap_free(no_caps);
	return r;
}

static bool
seccomp_listener_of(struct pd *pd, int fd)
{
	char path[64], target[64], status[4096];
	ssize_t n;
	int sfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	if (strcmp(target, "anon_inode:seccomp notify") != 0)
		return false;
	/* and the process must really run under a filter now */
	snprintf(path, sizeof(path), "/proc/%d/status", pd->pid);
	sfd = open(path, O_RDONLY | O_CLOEXEC);
	if (sfd < 0)
		return false;
	n = read(sfd, status, sizeof(status) - 1);
	close(sfd);
	if (n <= 0)
		return false;
	status[n] = 0;
	return strstr(status, "\nSeccomp:\t2\n") != NULL;
}

static int
sandbox(struct pd *pd, struct cn_rpc *rpc)
{
	int fd;

	if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
		return CN_ERR_BAD_MESSAGE;
	if (pd->state != CN_PD_RUNNING || pd->listener >= 0)
		return CN_ERR_DENIED;
	if (!seccomp_listener_of(pd, cn_msg_cap(rpc->in, 0)))
		return CN_ERR_INVALID_ARG;
	fd = cn_msg_take_cap(rpc->in, 0);
	if (cn_ep_watch(pd->core->ep, fd, EPOLLIN, pd_violation, pd, &pd->listener_watch) < 0) {
		close(fd);
		return -ENOMEM;
	}
	pd->listener = fd;
	pd->sandboxed = true;
	return CN_OK;
}

/* A dataspace that core made for some PD, sealed read-only (so its
 * content cannot change while it runs), holding an ELF executable. */
static int
executable_ds(struct core *core, int cap)
{
	static const char elf_magic[4] = {0x7f, 'E', 'L', 'F'};
	struct cn_cap_id id;
	char magic[4];
	struct ds *found = NULL;

	if (cn_cap_identify(cap, &id) < 0)
		return CN_ERR_NOT_FOUND;
	for (struct pd *p = core->pds; p && !found; p = p->next)
		found = ds_of(p, &id);
	if (!found)
		return CN_ERR_NOT_FOUND; /* no dataspace at all */
	/* the kernel's word, not our bookkeeping's */
	if (!(fcntl(found->memfd, F_GET_SEALS) & F_SEAL_WRITE))
		return CN_ERR_INVALID_ARG;
	if (pread(cap, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, elf_magic, sizeof(magic)) != 0)
		return CN_ERR_INVALID_ARG;
	return 0;
}

static int
spawn(struct pd *pd, struct cn_rpc *rpc)
{
	char binary[CN_LABEL_MAX];
	const char *path = NULL;
	int r, sigh, exec_fd = -1;

	if (cn_msg_get_str(rpc->in, binary, sizeof(binary)) < 0 || cn_msg_end(rpc->in) < 0 ||
	    rpc->in->hdr.ncaps < 2 || rpc->in->hdr.ncaps > 3)
		return CN_ERR_BAD_MESSAGE;
	if (rpc->in->hdr.ncaps == 3) {
		/* the binary as a ROM dataspace (Genode's native_pd start): one
		 * of our boot modules, executed from its host file (so that gdb
		 * and valgrind find it), or any other dataspace sealed read-only
		 * (a ROM of a child server such as fs_rom), executed from itself */
		const char *module;

		path = core_rom_path_of_ds(pd->core, cn_msg_cap(rpc->in, 2), &module);
		if (!path) {
			r = executable_ds(pd->core, cn_msg_cap(rpc->in, 2));
			if (r < 0)
				return r;
			exec_fd = cn_msg_cap(rpc->in, 2);
		}
	} else {
		path = core_rom_path(pd->core, binary);
		if (!path)
			return CN_ERR_NOT_FOUND;
	}
	if (pd->state != CN_PD_NOT_STARTED)
		return CN_ERR_DENIED;
	sigh = cn_msg_take_cap(rpc->in, 1);
	r = core_pd_spawn(pd, binary, path, exec_fd, cn_msg_cap(rpc->in, 0), sigh);
	if (r < 0)
		close(sigh);
	return r;
}

static int
exit_status(struct pd *pd, struct cn_rpc *rpc)
{
	if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	cn_msg_put_u32(rpc->out, pd->state);
	cn_msg_put_i32(rpc->out, pd->exit_value);
	cn_msg_put_str(rpc->out, pd->detail);
	return CN_OK;
}

static int
pd_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct pd *pd = cn_obj_data(obj);

	switch (rpc->opcode) {
	case CN_PD_REF_ACCOUNT:
		return ref_account(pd, rpc);
	case CN_PD_TRANSFER_QUOTA:
		return transfer_quota(pd, rpc);
	case CN_PD_QUOTA:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
			return CN_ERR_BAD_MESSAGE;
		cn_msg_put_u64(rpc->out, pd->ram.quota);
		cn_msg_put_u64(rpc->out, pd->ram.used);
		cn_msg_put_u64(rpc->out, pd->caps.quota);
		cn_msg_put_u64(rpc->out, pd->caps.used);
		return CN_OK;
	case CN_PD_ALLOC_RAM:
	case CN_PD_FREE_RAM:
		/* a started process gets memory only once it is confined */
		if (pd->state == CN_PD_RUNNING && !pd->sandboxed && !pd->relaxed)
			return CN_ERR_DENIED;
		return rpc->opcode == CN_PD_ALLOC_RAM ? alloc_ram(pd, rpc) : free_ram(pd, rpc);
	case CN_PD_SEAL_RAM:
		return seal_ram(pd, rpc);
	case CN_PD_SPAWN:
		return spawn(pd, rpc);
	case CN_PD_EXIT_STATUS:
		return exit_status(pd, rpc);
	case CN_PD_SANDBOX:
		return sandbox(pd, rpc);
	case CN_PD_HOST_DIR:
		return core_pd_host_dir(pd, rpc);
	case CN_PD_HOST_TERMINAL:
		return core_pd_host_terminal(pd, rpc);
	default:
		return CN_ERR_INVALID_OPCODE;
	}
}

int
core_pd_create(struct core *core, const char *label, struct pd **ret)
{
	struct pd *pd = calloc(1, sizeof(*pd));
	int r;

	if (!pd)
		return -ENOMEM;
	pd->head.type = OBJ_PD;
	pd->core = core;
	snprintf(pd->label, sizeof(pd->label), "%s", label);
	pd->pidfd = pd->out_fd = pd->listener = pd->exit_sigh = -1;
	pd->host_dir_fd = pd->host_term_in = pd->host_term_out = -1;
	pd->host_term_size_r = pd->host_term_size_w = -1;
	r = cn_obj_create(core->ep, pd_dispatch, pd, &pd->obj);
	if (r < 0) {
		free(pd);
		return r;
	}
	pd->next = core->pds;
	core->pds = pd;
	*ret = pd;
	return 0;
}

void
core_pd_destroy(struct pd *pd)
{
	struct core *core = pd->core;

	/* Stop watching before closing: an fd closed while still registered
	 * stays in the epoll set as long as a copy of it lives elsewhere
	 * (e.g. in a child between clone and exec). */
	cn_watch_destroy(pd->pid_watch);
	cn_watch_destroy(pd->out_watch);
	cn_watch_destroy(pd->listener_watch);
	kill_process(pd);
	if (pd->pidfd >= 0) {
		/* reap now: the process is gone for good after SIGKILL */
		siginfo_t info;
		waitid(P_PIDFD, (id_t)pd->pidfd, &info, WEXITED);
		close(pd->pidfd);
	}
	if (pd->out_fd >= 0) {
		char buf[4096];
		ssize_t n;
		while ((n = read(pd->out_fd, buf, sizeof(buf))) > 0)
			core_line_feed(&pd->out_line, pd->label, buf, (size_t)n);
		core_line_flush(&pd->out_line, pd->label);
		close(pd->out_fd);
	}
	if (pd->listener >= 0)
		close(pd->listener);
	if (pd->exit_sigh >= 0)
		close(pd->exit_sigh);
	if (pd->host_dir_fd >= 0)
		close(pd->host_dir_fd);
	core_pd_host_terminal_release(pd);
	while (pd->dataspaces)
		free_ds(pd, pd->dataspaces);
	/* sub-accounts now refer to our reference account */
	for (struct pd *o = core->pds; o; o = o->next) {
		if (o->ram.ref == &pd->ram)
			o->ram.ref = pd->ram.ref;
		if (o->caps.ref == &pd->caps)
			o->caps.ref = pd->caps.ref;
	}
	cn_account_close(&pd->ram);
	cn_account_close(&pd->caps);
	for (struct pd **p = &core->pds; *p; p = &(*p)->next) {
		if (*p == pd) {
			*p = pd->next;
			break;
		}
	}
	cn_obj_destroy(pd->obj);
	free(pd);
}
