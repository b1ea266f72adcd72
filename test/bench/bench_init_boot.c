/*
 * bench_init_boot: booting one init with N children, Cairn against N
 * sequential fork + exec.
 *
 * Cairn: core runs an init whose config has N start nodes d1..dN, each
 * the dummy component with `<config><log string="up"/></config>`. The
 * time runs from the fork of core until core's stdout carries the "up"
 * line of the last of the N children; then core is stopped (SIGTERM) and
 * reaped. Baseline, measured in this process: N sequential fork + execve
 * of the same dummy binary, each waited for. Without a parent capability
 * on fd 3 dummy's base library exits at once with 2, so the baseline is
 * the bare exec of the same dynamic binary. Both for N = 10, 100 and 500
 * by default, with this process, core and every component allowed on
 * CPUs 0-1 (CPU 0 only on a one-CPU machine), and the growth between the
 * two largest counts against linear growth.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

enum {
	COUNTS_MAX = 8,
	CHILDREN_MAX = 1000, /* core and init hold about 12 fds per child */
	REPS_DEFAULT = 7,
	REPS_MAX = 21,
	WARMUP_EXECS = 10,
	CORE_TIMEOUT_S = 60,
	STOP_KILL_MS = 10000,
	TARGET_RATIO = 3,
	/* quota per child: 500 children fit in core's defaults */
	CHILD_CAPS = 16,
	CHILD_RAM_MIB = 1,
	CORE_DEFAULT_CAPS = 10000,
	CORE_DEFAULT_RAM_MIB = 1024,
	/* what core and init keep, with room to spare */
	RESERVE_CAPS = 200,
	RESERVE_RAM_MIB = 16,
	/* a start node is under 100 bytes */
	CONFIG_HEAD = 512,
	CONFIG_PER_CHILD = 128,
};

/* Growth of the boot time between the two largest counts, relative to
 * linear growth: "close to linear". */
static const double GROWTH_TARGET = 1.2;

static const unsigned default_counts[] = {10, 100, 500};

/* One boot under core, in ms from the fork of core. */
struct boot {
	double first_ms; /* the first "up" line */
	double last_ms;  /* the last child's "up" line: the figure */
	double stop_ms;  /* SIGTERM until core is reaped */
};

/* The program's only mutable state. */
static struct {
	struct bench_args args; /* --core, --bin-dir, --verbose */
	unsigned counts[COUNTS_MAX], ncounts, reps;
	char dummy[PATH_MAX];
	bool seen[CHILDREN_MAX + 1];
	/* the core run in progress, for the signal handler */
	volatile sig_atomic_t active;
	pid_t core_pid;
	char config_path[256];
} state = {.reps = REPS_DEFAULT};

/* Interrupted (by the user or CTest): remove the config, stop core. */
static void
abandon_run(int sig)
{
	if (state.active) {
		unlink(state.config_path);
		if (state.core_pid > 0)
			kill(state.core_pid, SIGTERM);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_abandon(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_handler = abandon_run};

	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* One fork + exec + wait of dummy without a parent capability. */
static int
exec_dummy(void)
{
	char *argv[] = {"dummy", NULL}, *envp[] = {NULL};
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* its complaint about the missing capability goes nowhere */
		if (null < 0 || dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		close(3);
		execve(state.dummy, argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	/* 2: "a Cairn component, started by core; no parent capability" */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
		return -ENOEXEC;
	return 0;
}

/* N sequential fork + exec, from the first fork to the last waitpid. */
static int
baseline(unsigned n, double *ret_ms)
{
	uint64_t start = bench_now_ns();
	int r = 0;

	for (unsigned i = 0; r == 0 && i < n; i++)
		r = exec_dummy();
	if (r < 0) {
		fprintf(stderr, "bench_init_boot: fork+exec of %s failed: %s\n", state.dummy,
		        strerror(-r));
		return r;
	}
	*ret_ms = (double)(bench_now_ns() - start) / 1e6;
	return 0;
}

/* init's config with n dummies; malloc'd, NULL if out of memory. */
static char *
make_config(unsigned n)
{
	size_t size = CONFIG_HEAD + (size_t)n * CONFIG_PER_CHILD, len;
	char *text = malloc(size);

	if (!text)
		return NULL;
	len = (size_t)snprintf(
	    text, size,
	    "<config>\n"
	    "\t<parent-provides>\n"
	    "\t\t<service name=\"PD\"/>\n"
	    "\t\t<service name=\"ROM\"/>\n"
	    "\t\t<service name=\"LOG\"/>\n"
	    "\t</parent-provides>\n"
	    "\t<default-route> <any-service> <parent/> </any-service> </default-route>\n"
	    "\t<default caps=\"%d\" ram=\"%dM\"/>\n",
	    CHILD_CAPS, CHILD_RAM_MIB);
	for (unsigned i = 1; i <= n; i++)
		len += (size_t)snprintf(text + len, size - len,
		                        "\t<start name=\"d%u\"> <binary name=\"dummy\"/> "
		                        "<config> <log string=\"up\"/> </config> </start>\n",
		                        i);
	snprintf(text + len, size - len, "</config>\n");
	return text;
}

/* Write text to a new temporary file named in state.config_path. */
static int
write_config(const char *text)
{
	const char *dir = getenv("TMPDIR");
	size_t len = strlen(text);
	int fd, r = 0;

	snprintf(state.config_path, sizeof(state.config_path), "%s/cairn-bench-XXXXXX",
	         dir && *dir ? dir : "/tmp");
	fd = mkostemp(state.config_path, O_CLOEXEC);
	if (fd < 0) {
		state.config_path[0] = 0;
		return -errno;
	}
	while (len) {
		ssize_t w = write(fd, text, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			break;
		}
		text += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* "[init -> dK] up": K if in 1..n, else 0. */
static unsigned
up_line(const char *line, unsigned n)
{
	static const char prefix[] = "[init -> d";
	unsigned long k;
	char *end;

	if (strncmp(line, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	line += sizeof(prefix) - 1;
	if (*line < '1' || *line > '9')
		return 0;
	k = strtoul(line, &end, 10);
	if (strcmp(end, "] up") != 0 || k > n)
		return 0;
	return (unsigned)k;
}

struct watch {
	unsigned n, seen;
	uint64_t start, first, last;
	bool failed; /* init or core reported an error */
};

static void
watch_line(struct watch *w, const char *line, uint64_t now)
{
	unsigned k = up_line(line, w->n);

	if (k) {
		if (!state.seen[k]) {
			state.seen[k] = true;
			if (w->seen++ == 0)
				w->first = now;
			w->last = now;
		}
		return;
	}
	/* any error of init's or core's means a child will never log */
	if (strstr(line, "Error: ") &&
	    (strncmp(line, "[init] ", 7) == 0 || strncmp(line, "[init ->", 8) != 0))
		w->failed = true;
	if (w->failed || strstr(line, "Error: ") || state.args.verbose)
		fprintf(stderr, "  | %s\n", line);
}

/* Read core's output until all n children are up, an error, end of
 * file or the deadline. 0, -ECANCELED, -EPIPE or -ETIMEDOUT. */
static int
read_output(int fd, struct watch *w, uint64_t deadline)
{
	char buf[8192];
	size_t fill = 0;

	while (w->seen < w->n) {
		uint64_t now = bench_now_ns();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t got;
		int r;

		if (w->failed)
			return -ECANCELED;
		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1));
		if (r <= 0)
			continue; /* EINTR, or the deadline check ends the wait */
		got = read(fd, buf + fill, sizeof(buf) - 1 - fill);
		now = bench_now_ns();
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -EPIPE; /* core ended before every child was up */
		fill += (size_t)got;
		buf[fill] = 0;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', fill - (size_t)(start - buf)))) {
			*nl = 0;
			watch_line(w, start, now);
			start = nl + 1;
		}
		fill -= (size_t)(start - buf);
		memmove(buf, start, fill);
		if (fill == sizeof(buf) - 1) {
			buf[fill] = 0; /* an overlong line: take it as it is */
			watch_line(w, buf, now);
			fill = 0;
		}
	}
	return 0;
}

/* SIGTERM core (core then ends every component) and reap it, SIGKILL if
 * it lingers. Its output is drained meanwhile, so that it never blocks on
 * a full pipe. */
static int
stop_core(pid_t pid, int out, int *ret_status)
{
	char buf[8192];

	kill(pid, SIGTERM);
	for (unsigned waited_ms = 0;; waited_ms++) {
		struct pollfd pfd = {.fd = out, .events = POLLIN};
		pid_t w = waitpid(pid, ret_status, WNOHANG);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (waited_ms == STOP_KILL_MS) {
			fprintf(stderr, "bench_init_boot: core did not stop, killing it\n");
			kill(pid, SIGKILL);
		}
		if (out >= 0 && poll(&pfd, 1, 1) > 0) {
			ssize_t got = read(out, buf, sizeof(buf));

			if (got > 0 && state.args.verbose)
				fwrite(buf, 1, (size_t)got, stderr);
			if (got == 0)
				out = -1; /* closed: wait on */
		} else if (out < 0) {
			usleep(1000);
		}
	}
}

/* Boot init with n dummies under core, on CPUs first..last. */
static int
cairn(unsigned n, int first, int last, struct boot *ret)
{
	struct watch w = {.n = n};
	char rom_arg[300], caps_arg[32], ram_arg[32];
	char *argv[12], *text = make_config(n);
	unsigned argc = 0;
	unsigned long caps = (unsigned long)n * CHILD_CAPS + RESERVE_CAPS;
	unsigned long ram_mib = (unsigned long)n * CHILD_RAM_MIB + RESERVE_RAM_MIB;
	int out[2] = {-1, -1}, status, r;
	pid_t pid;

	if (!text)
		return -ENOMEM;
	memset(state.seen, 0, sizeof(state.seen));
	state.core_pid = 0;
	state.active = 1;
	r = write_config(text);
	free(text);
	if (r < 0)
		goto out;
	snprintf(rom_arg, sizeof(rom_arg), "config=%s", state.config_path);
	argv[argc++] = (char *)state.args.core;
	argv[argc++] = "--rom";
	argv[argc++] = rom_arg;
	argv[argc++] = "--rom-dir";
	argv[argc++] = (char *)state.args.bin_dir;
	/* core's defaults, 1 GiB and 10000 caps, hold 500 children */
	if (caps > CORE_DEFAULT_CAPS) {
		snprintf(caps_arg, sizeof(caps_arg), "%lu", caps);
		argv[argc++] = "--caps";
		argv[argc++] = caps_arg;
	}
	if (ram_mib > CORE_DEFAULT_RAM_MIB) {
		snprintf(ram_arg, sizeof(ram_arg), "%luM", ram_mib);
		argv[argc++] = "--ram";
		argv[argc++] = ram_arg;
	}
	argv[argc] = NULL;
	if (pipe2(out, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	fflush(NULL);
	w.start = bench_now_ns();
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		if (bench_pin(0, first, last) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(state.args.core, argv);
		_exit(127);
	}
	state.core_pid = pid;
	close(out[1]);
	out[1] = -1;
	r = read_output(out[0], &w, w.start + (uint64_t)CORE_TIMEOUT_S * 1000000000ull);
	if (r == -ETIMEDOUT)
		fprintf(stderr, "bench_init_boot: only %u of %u children up after %d s\n", w.seen,
		        n, CORE_TIMEOUT_S);
	else if (r == -ECANCELED)
		fprintf(stderr, "bench_init_boot: init or core reported an error\n");
	else if (r == -EPIPE)
		fprintf(stderr, "bench_init_boot: core ended with %u of %u children up\n", w.seen,
		        n);

	uint64_t stop = bench_now_ns();
	int reaped = stop_core(pid, out[0], &status);

	if (reaped < 0 && r == 0)
		r = reaped;
	ret->first_ms = (double)(w.first - w.start) / 1e6;
	ret->last_ms = (double)(w.last - w.start) / 1e6;
	ret->stop_ms = (double)(bench_now_ns() - stop) / 1e6;
	if (r == 0 && reaped == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM))
		fprintf(stderr, "bench_init_boot: core ended with status 0x%x on SIGTERM\n",
		        status);
out:
	if (state.config_path[0])
		unlink(state.config_path);
	state.active = 0;
	state.core_pid = 0;
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (r < 0 && r != -ETIMEDOUT && r != -ECANCELED && r != -EPIPE)
		fprintf(stderr, "bench_init_boot: running core failed: %s\n", strerror(-r));
	return r;
}

/* Median over the repetitions, both sides interleaved. */
static int
measure(unsigned n, int first, int last, double *ret_cairn, double *ret_base)
{
	double cn[REPS_MAX], firsts[REPS_MAX], stops[REPS_MAX], base[REPS_MAX];
	struct boot b = {0};
	int r = 0;

	for (unsigned rep = 0; r == 0 && rep < state.reps; rep++) {
		r = baseline(n, &base[rep]);
		if (r == 0)
			r = cairn(n, first, last, &b);
		cn[rep] = b.last_ms;
		firsts[rep] = b.first_ms;
		stops[rep] = b.stop_ms;
	}
	if (r < 0)
		return r;
	*ret_cairn = bench_median(cn, state.reps);
	*ret_base = bench_median(base, state.reps);
	printf("bench_init_boot: N=%u, medians of %u boots in ms: first child up %.1f, last "
	       "child up %.1f (%.2f per child), core stopped %.1f after SIGTERM; fork+exec "
	       "%.2f per child\n",
	       n, state.reps, bench_median(firsts, state.reps), *ret_cairn, *ret_cairn / n,
	       bench_median(stops, state.reps), *ret_base / n);
	fflush(stdout);
	return 0;
}

static int
run(void)
{
	const struct bench_placement *placements, *p;
	double cn[COUNTS_MAX], base[COUNTS_MAX];
	struct boot warm;
	char cpus[32], name[64];
	unsigned count = bench_placements(&placements);
	int r;

	/* the widest placement: a boot starts its children side by side */
	p = &placements[count - 1];
	r = bench_pin(0, p->cpu_a, p->cpu_b);
	if (r < 0) {
		fprintf(stderr, "bench_init_boot: cannot pin to CPUs %d-%d: %s\n", p->cpu_a,
		        p->cpu_b, strerror(-r));
		return r;
	}
	printf("bench_init_boot: every process on %s; %u boots and %u x N fork+exec of %s "
	       "per N\n",
	       bench_cpus_text(p->cpu_a, p->cpu_b, cpus, sizeof(cpus)), state.reps, state.reps,
	       state.dummy);
	fflush(stdout);
	/* warm-up: the page cache, and core's and init's first pages */
	for (unsigned i = 0; r == 0 && i < WARMUP_EXECS; i++)
		r = exec_dummy();
	if (r == 0)
		r = cairn(state.counts[0], p->cpu_a, p->cpu_b, &warm);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < state.ncounts; i++) {
		r = measure(state.counts[i], p->cpu_a, p->cpu_b, &cn[i], &base[i]);
		if (r < 0)
			return r;
		snprintf(name, sizeof(name), "init_boot_%u", state.counts[i]);
		bench_report(name, cn[i], base[i], "ms", TARGET_RATIO);
	}
	if (state.ncounts >= 2) {
		unsigned a = state.ncounts - 2, b = state.ncounts - 1;
		double linear = (double)state.counts[b] / state.counts[a];

		printf("bench_init_boot: growth from N=%u to N=%u: Cairn x%.2f, fork+exec x%.2f, "
		       "linear x%.2f\n",
		       state.counts[a], state.counts[b], cn[b] / cn[a], base[b] / base[a], linear);
		snprintf(name, sizeof(name), "init_boot_growth_%u_%u", state.counts[a],
		         state.counts[b]);
		bench_report(name, cn[b] / cn[a], linear, "x", GROWTH_TARGET);
	}
	return 0;
}

/* "10,100,500": ascending counts of 1..CHILDREN_MAX. Exits on error. */
static void
parse_counts(const char *arg)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	state.ncounts = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned n = bench_parse_count("bench_init_boot", "--counts", tok);

		if (n > CHILDREN_MAX || state.ncounts == COUNTS_MAX ||
		    (state.ncounts && n <= state.counts[state.ncounts - 1])) {
			fprintf(stderr,
			        "bench_init_boot: --counts wants up to %d ascending counts of at "
			        "most %d\n",
			        COUNTS_MAX, CHILDREN_MAX);
			exit(BENCH_EXIT_USAGE);
		}
		state.counts[state.ncounts++] = n;
	}
	if (state.ncounts == 0) {
		fprintf(stderr, "bench_init_boot: --counts is empty\n");
		exit(BENCH_EXIT_USAGE);
	}
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_init_boot --core PATH --bin-dir DIR [--counts N,N,...] [--reps N]\n"
	        "                       [--verbose]\n"
	        "Boot of init with N dummy children under core, until the last child's first\n"
	        "log line, against N sequential fork+exec of the dummy binary.\n"
	        "Defaults: --counts 10,100,500 --reps %d.\n",
	        REPS_DEFAULT);
}

int
main(int argc, char **argv)
{
	const char *counts = NULL;
	const struct bench_opt opts[] = {
	    {"counts", NULL, 0, &counts},
	    {"reps", &state.reps, REPS_MAX, NULL},
	    {NULL, NULL, 0, NULL},
	};
	int opt;

	state.ncounts = sizeof(default_counts) / sizeof(default_counts[0]);
	memcpy(state.counts, default_counts, sizeof(default_counts));
	if ((opt = bench_parse_args("bench_init_boot", argc, argv, opts, usage, &state.args)) >= 0)
		return opt;
	if (counts)
		parse_counts(counts);
	snprintf(state.dummy, sizeof(state.dummy), "%s/dummy", state.args.bin_dir);
	if (access(state.dummy, X_OK) < 0) {
		fprintf(stderr, "bench_init_boot: no dummy binary in %s\n", state.args.bin_dir);
		return BENCH_EXIT_USAGE;
	}
	catch_abandon();
	return run() < 0 ? BENCH_EXIT_FAIL : 0;
}
