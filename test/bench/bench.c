/*
 * Shared helpers of the benchmark drivers.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct bench_placement placements[] = {
    {.name = "samecpu", .cpu_a = 0, .cpu_b = 0, .allow_both = false},
    {.name = "crosscpu", .cpu_a = 0, .cpu_b = 1, .allow_both = true},
};

unsigned
bench_placements(const struct bench_placement **ret)
{
	*ret = placements;
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
}

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double
bench_min(const double *v, size_t n)
{
	double m = n ? v[0] : 0;

	for (size_t i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

int
bench_pin(pid_t pid, int first, int last)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int cpu = first; cpu <= last; cpu++)
		CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set) < 0 ? -errno : 0;
}

const char *
bench_cpus_text(int first, int last, char *buf, size_t size)
{
	if (first == last)
		snprintf(buf, size, "CPU %d", first);
	else
		snprintf(buf, size, "CPUs %d-%d", first, last);
	return buf;
}

/* Three significant digits are all the noise of this machine allows. */
static void
format_value(char *buf, size_t size, double v)
{
	snprintf(buf, size, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
}

void
bench_report(const char *name, double cairn, double baseline, const char *unit, double target_ratio)
{
	char c[32], b[32];
	double ratio = baseline > 0 ? cairn / baseline : 0;

	format_value(c, sizeof(c), cairn);
	format_value(b, sizeof(b), baseline);
	printf("bench: %s ratio=%.2f cairn=%s baseline=%s %s\n", name, ratio, c, b, unit);
	printf("target: %s ratio <= %.1f: %s\n", name, target_ratio,
	       ratio <= target_ratio ? "met" : "not met");
	fflush(stdout);
}

unsigned
bench_parse_count(const char *prog, const char *opt, const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || v == 0 || v > 100000000ul) {
		fprintf(stderr, "%s: %s wants a positive count, got '%s'\n", prog, opt, arg);
		exit(BENCH_EXIT_USAGE);
	}
	return (unsigned)v;
}

int
bench_parse_args(const char *prog, int argc, char **argv, const struct bench_opt *opts,
                 void (*usage)(FILE *f), struct bench_args *ret)
{
	enum { BASE = 4, EXTRA_MAX = 8, FIRST_EXTRA = 256 };
	struct option longopts[BASE + EXTRA_MAX + 1] = {
	    {"core", required_argument, NULL, 'c'},
	    {"bin-dir", required_argument, NULL, 'b'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	};
	unsigned n = 0;
	int opt;

	for (; opts && opts[n].name; n++) {
		if (n == EXTRA_MAX) {
			fprintf(stderr, "%s: too many options\n", prog);
			return BENCH_EXIT_USAGE;
		}
		longopts[BASE + n] =
		    (struct option){opts[n].name, required_argument, NULL, FIRST_EXTRA + (int)n};
	}
	longopts[BASE + n] = (struct option){NULL, 0, NULL, 0};
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const struct bench_opt *o = opt >= FIRST_EXTRA ? &opts[opt - FIRST_EXTRA] : NULL;
		char flag[64];

		switch (opt) {
		case 'c':
			ret->core = optarg;
			continue;
		case 'b':
			ret->bin_dir = optarg;
			continue;
		case 'v':
			ret->verbose = true;
			continue;
		case 'h':
			usage(stdout);
			return 0;
		}
		if (!o) {
			usage(stderr);
			return BENCH_EXIT_USAGE;
		}
		if (o->text) {
			*o->text = optarg;
			continue;
		}
		snprintf(flag, sizeof(flag), "--%s", o->name);
		*o->count = bench_parse_count(prog, flag, optarg);
		if (*o->count > o->max) {
			fprintf(stderr, "%s: %s: at most %u\n", prog, flag, o->max);
			return BENCH_EXIT_USAGE;
		}
	}
	if (optind != argc || !ret->core || !ret->bin_dir) {
		usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	return -1;
}

int
bench_field(const char *line, const char *key, double *ret)
{
	size_t klen = strlen(key);
	const char *p = line;
	char *end;
	double v;

	/* the key must start a word: "us=" must not match "median_us=" */
	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=')
			break;
		p += klen;
	}
	if (!p)
		return -EINVAL;
	errno = 0;
	v = strtod(p + klen + 1, &end);
	if (errno || end == p + klen + 1)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Write text to a new temporary file; path gets its name, or "" on failure. */
static int
write_config(const char *text, char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	size_t len = strlen(text);
	int fd, r = 0;

	snprintf(path, size, "%s/cairn-bench-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		path[0] = 0;
		return r;
	}
	while (len) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		text += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		unlink(path);
		path[0] = 0;
	}
	return r;
}

struct collect {
	char want[BENCH_LINE_MAX]; /* "[init -> label] prefix" */
	size_t label_len;          /* length of "[init -> label] " */
	char (*lines)[BENCH_LINE_MAX];
	unsigned max, count;
	bool verbose;
	bool init_failed; /* init reported an error: nothing more will come */
};

static void
collect_line(struct collect *c, const char *line)
{
	if (strncmp(line, c->want, strlen(c->want)) == 0) {
		if (c->count < c->max)
			snprintf(c->lines[c->count++], BENCH_LINE_MAX, "%s", line + c->label_len);
		return;
	}
	/* errors always show; one of init's own means the run is lost
	 * (a child that never starts leaves init waiting forever) */
	if (strstr(line, "Error: ")) {
		fprintf(stderr, "  | %s\n", line);
		if (strncmp(line, "[init] ", 7) == 0)
			c->init_failed = true;
		return;
	}
	if (c->verbose)
		fprintf(stderr, "  | %s\n", line);
}

/* Read core's output until end of file, the deadline, or an error of
 * init's. 0, -ETIMEDOUT or -ECANCELED. */
static int
read_output(int fd, struct collect *c, uint64_t deadline_ns)
{
	char buf[8192];
	size_t fill = 0;

	for (;;) {
		uint64_t now = bench_now_ns();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;
		int r;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)((deadline_ns - now) / 1000000 + 1));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue; /* the deadline check ends the wait */
		n = read(fd, buf + fill, sizeof(buf) - 1 - fill);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (fill) {
				buf[fill] = 0;
				collect_line(c, buf);
			}
			return 0;
		}
		fill += (size_t)n;
		buf[fill] = 0;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', fill - (size_t)(start - buf)))) {
			*nl = 0;
			collect_line(c, start);
			start = nl + 1;
		}
		fill -= (size_t)(start - buf);
		memmove(buf, start, fill);
		if (c->init_failed)
			return -ECANCELED;
		if (fill == sizeof(buf) - 1) {
			/* an overlong line: take it as it is */
			buf[fill] = 0;
			collect_line(c, buf);
			fill = 0;
		}
	}
}

/*
 * The core run in progress, for the signal handler: interrupted by the
 * user or by CTest, a driver still removes its config file and stops
 * core. The helpers' only mutable state.
 */
static struct {
	volatile sig_atomic_t active;
	pid_t core; /* 0 until forked */
	char config_path[256];
} run;

static void
abandon_run(int sig)
{
	if (run.active) {
		unlink(run.config_path);
		if (run.core > 0)
			kill(run.core, SIGTERM);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int abandon_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void
catch_abandon(bool on, struct sigaction *saved)
{
	struct sigaction sa = {.sa_handler = abandon_run};

	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(abandon_signals) / sizeof(abandon_signals[0]); i++) {
		if (on)
			sigaction(abandon_signals[i], &sa, &saved[i]);
		else
			sigaction(abandon_signals[i], &saved[i], NULL);
	}
}

/* Wait for core; if it was told to stop, kill it should it linger. */
static int
reap_core(pid_t pid, bool stopped, int *ret_status)
{
	for (unsigned waited_ms = 0;; waited_ms += 10) {
		pid_t w = waitpid(pid, ret_status, stopped ? WNOHANG : 0);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (w == 0) {
			/* the components go with core (PR_SET_PDEATHSIG) */
			if (waited_ms == 5000)
				kill(pid, SIGKILL);
			usleep(10000);
		}
	}
}

int
bench_run_core(const char *core, const char *bin_dir, const char *config_text, int first, int last,
               const char *label, const char *prefix, char (*lines)[BENCH_LINE_MAX], unsigned max,
               unsigned timeout_s, bool verbose, int *ret_exit)
{
	struct collect c = {.lines = lines, .max = max, .verbose = verbose};
	struct sigaction saved[sizeof(abandon_signals) / sizeof(abandon_signals[0])];
	char rom_arg[300];
	int out[2] = {-1, -1}, status, reaped, r;
	pid_t pid;

	snprintf(c.want, sizeof(c.want), "[init -> %s] %s", label, prefix);
	c.label_len = strlen("[init -> ] ") + strlen(label);
	catch_abandon(true, saved);
	run.config_path[0] = 0;
	run.core = 0;
	run.active = 1;
	r = write_config(config_text, run.config_path, sizeof(run.config_path));
	if (r < 0)
		goto out;
	snprintf(rom_arg, sizeof(rom_arg), "config=%s", run.config_path);
	if (pipe2(out, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		char *argv[] = {(char *)core, "--rom-dir", (char *)bin_dir, "--rom", rom_arg, NULL};
		if (bench_pin(0, first, last) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(core, argv);
		_exit(127);
	}
	run.core = pid;
	close(out[1]);
	out[1] = -1;
	r = read_output(out[0], &c, bench_now_ns() + (uint64_t)timeout_s * 1000000000ull);
	if (r == -ETIMEDOUT)
		fprintf(stderr, "bench: core did not finish within %u s, stopping it\n", timeout_s);
	else if (r == -ECANCELED)
		fprintf(stderr, "bench: init reported an error, stopping core\n");
	if (r < 0)
		kill(pid, SIGTERM); /* core ends every component when it stops */
	reaped = reap_core(pid, r < 0, &status);
	if (reaped < 0)
		r = reaped;
	else
		*ret_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (r == 0)
		r = (int)c.count;
out:
	if (run.config_path[0])
		unlink(run.config_path);
	run.active = 0;
	run.core = 0;
	catch_abandon(false, saved);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	return r;
}
