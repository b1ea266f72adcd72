/*
 * test-sandbox: attempts the one forbidden action its config names and
 * expects to be killed by core for it. Action "none" instead exercises
 * what every component is allowed to do.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

enum { ACTION_MAX = 32 };

/* The forbidden actions; each returns if the sandbox let it through. */
static void
do_open(void)
{
	int fd = openat(AT_FDCWD, "/etc/hostname", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
}

static void
do_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
}

static void
do_fork(void)
{
	if (fork() == 0)
		_exit(0); /* the child of a failed sandbox must not log twice */
}

static void
do_execve(void)
{
	char *const argv[] = {"true", NULL};
	char *const envp[] = {NULL};

	execve("/bin/true", argv, envp);
}

static void
do_kill(void)
{
	kill(1, 0);
}

static void
do_ptrace(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

static void
do_memfd(void)
{
	int fd = memfd_create("test-sandbox", MFD_CLOEXEC);

	if (fd >= 0)
		close(fd);
}

static const struct {
	const char *name;
	void (*attempt)(void);
} forbidden[] = {
    {"open", do_open}, {"socket", do_socket}, {"fork", do_fork},   {"execve", do_execve},
    {"kill", do_kill}, {"ptrace", do_ptrace}, {"memfd", do_memfd},
};

/* Allowed: a local socket pair, epoll on it, a mapped RAM dataspace. */
static int
exercise_allowed(struct cn_env *env)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct cn_ds ds;
	char byte = 0;
	int sp[2], ep, r = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	errno = 0;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sp[1], &ev) < 0 || write(sp[0], "x", 1) != 1 ||
	    epoll_wait(ep, &ev, 1, 0) != 1 || read(sp[1], &byte, 1) != 1 || byte != 'x')
		r = errno ? -errno : -EIO;
	if (ep >= 0)
		close(ep);
	close(sp[0]);
	close(sp[1]);
	if (r < 0)
		return r;

	r = cn_pd_alloc_ram(env->pd, CN_PAGE_SIZE, &ds);
	if (r < 0)
		return r;
	r = cn_ds_attach(&ds);
	if (r == 0) {
		memset(ds.addr, 0xa5, ds.size);
		r = ((unsigned char *)ds.addr)[ds.size - 1] == 0xa5 ? 0 : -EIO;
	}
	int fr = cn_pd_free_ram(env->pd, &ds);
	return r < 0 ? r : fr;
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config;
	char action[ACTION_MAX];
	int r;

	r = cn_config(env, &config);
	if (r == 0)
		r = cn_xml_attr_str(config, "action", action, sizeof(action));
	if (r < 0) {
		cn_error(env, "test-sandbox needs <config action=\"...\"/> (%s)", strerror(-r));
		cn_exit(env, 2);
	}

	if (strcmp(action, "none") == 0) {
		r = exercise_allowed(env);
		if (r < 0) {
			cn_error(env, "sandbox: an allowed operation failed: %s", strerror(-r));
			cn_exit(env, 1);
		}
		cn_log(env, "sandbox: allowed operations work");
		cn_exit(env, 0);
	}

	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		if (strcmp(action, forbidden[i].name) != 0)
			continue;
		cn_log(env, "attempting %s", action);
		forbidden[i].attempt();
		cn_error(env, "%s was not prevented", action);
		cn_exit(env, 1);
	}
	cn_error(env, "unknown action \"%s\"", action);
	cn_exit(env, 2);
}
