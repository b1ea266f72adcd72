/*
 * bench_spawn: starting a component, Cairn against fork + exec.
 *
 * Baseline, measured first in this process: fork + execve of the static
 * binary bench_exit, timed until waitpid returns. Cairn: core runs the
 * component bench-spawn, which acts as the parent of short-lived children
 * and times each from its PD session request (what init does first to
 * start a child) until the child's cn_construct() begins; see
 * test/component/bench-spawn/main.c. Once with this process, core and
 * every component pinned to CPU 0 and once allowed on CPUs 0-1.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

enum {
	SPAWNS_DEFAULT = 60,
	SPAWNS_MAX = 1000,
	BASELINE_SPAWNS = 300,
	BASELINE_MAX = 100000,
	WARMUP_SPAWNS = 10,
	CORE_TIMEOUT_S = 300,
	TARGET_RATIO = 3,
};

/* The program's only mutable state. */
static struct {
	struct bench_args args; /* --core, --bin-dir, --verbose */
	const char *helper;
	unsigned spawns, baseline_spawns;
	char helper_buf[PATH_MAX];
	double samples[BASELINE_MAX];
} state = {.spawns = SPAWNS_DEFAULT, .baseline_spawns = BASELINE_SPAWNS};

/* One fork + exec + wait of the helper, in us. */
static int
baseline_one(double *ret_us)
{
	char *argv[] = {(char *)state.helper, NULL}, *envp[] = {NULL};
	uint64_t start = bench_now_ns();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execve(state.helper, argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*ret_us = (double)(bench_now_ns() - start) / 1000.0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ENOEXEC;
	return 0;
}

static int
baseline(double *ret_us)
{
	double warmup;
	int r = 0;

	for (unsigned i = 0; r == 0 && i < WARMUP_SPAWNS; i++)
		r = baseline_one(&warmup);
	for (unsigned i = 0; r == 0 && i < state.baseline_spawns; i++)
		r = baseline_one(&state.samples[i]);
	if (r < 0) {
		fprintf(stderr, "bench_spawn: fork+exec of %s failed: %s\n", state.helper,
		        strerror(-r));
		return r;
	}
	*ret_us = bench_median(state.samples, state.baseline_spawns);
	return 0;
}

static int
cairn(int first, int last, double *ret_us)
{
	enum { TOTAL, MIN, SESSION, CALL, REQUEST, IMAGE, STARTUP, FIELDS };
	static const char *const keys[FIELDS] = {"median_us",  "min_us",   "session_us", "call_us",
	                                         "request_us", "image_us", "startup_us"};
	char config[2048], line[1][BENCH_LINE_MAX];
	double f[FIELDS];
	int n, exit_value;

	snprintf(config, sizeof(config),
	         "<config>\n"
	         "\t<parent-provides>\n"
	         "\t\t<service name=\"PD\"/>\n"
	         "\t\t<service name=\"ROM\"/>\n"
	         "\t\t<service name=\"LOG\"/>\n"
	         "\t</parent-provides>\n"
	         "\t<default-route> <any-service> <parent/> </any-service> </default-route>\n"
	         "\t<start name=\"bench-spawn\" caps=\"200\" ram=\"8M\">\n"
	         "\t\t<exit propagate=\"yes\"/>\n"
	         "\t\t<config spawns=\"%u\"/>\n"
	         "\t</start>\n"
	         "</config>\n",
	         state.spawns);
	n = bench_run_core(state.args.core, state.args.bin_dir, config, first, last, "bench-spawn",
	                   "bench-spawn: spawns=", line, 1, CORE_TIMEOUT_S, state.args.verbose,
	                   &exit_value);
	if (n < 0) {
		fprintf(stderr, "bench_spawn: running core failed: %s\n", strerror(-n));
		return n;
	}
	if (exit_value != 0)
		fprintf(stderr, "bench_spawn: core exited with %d\n", exit_value);
	for (unsigned i = 0; n == 1 && i < FIELDS; i++)
		if (bench_field(line[0], keys[i], &f[i]) < 0)
			n = 0;
	if (n != 1) {
		fprintf(stderr, "bench_spawn: no result from bench-spawn%s\n",
		        state.args.verbose ? "" : " (--verbose shows core's log)");
		return -ENODATA;
	}
	printf("bench_spawn: Cairn, medians of %u spawns in us: PD session request to construct "
	       "%.0f (min %.0f); PD session and quota %.0f; spawn request to construct %.0f; "
	       "spawn request to loaded image %.0f (core's spawn call returns after %.0f); "
	       "loaded image to construct (base library: sessions, sandbox) %.0f\n",
	       state.spawns, f[TOTAL], f[MIN], f[SESSION], f[REQUEST], f[IMAGE], f[CALL],
	       f[STARTUP]);
	*ret_us = f[TOTAL];
	return exit_value == 0 ? 0 : -ECHILD;
}

static int
run_placement(const struct bench_placement *p)
{
	double base, cn;
	char cpus[32];
	int r;

	r = bench_pin(0, p->cpu_a, p->cpu_b);
	if (r < 0) {
		fprintf(stderr, "bench_spawn: cannot pin to CPUs %d-%d: %s\n", p->cpu_a, p->cpu_b,
		        strerror(-r));
		return r;
	}
	printf("bench_spawn: %s: every process on %s, %u baseline spawns, %u Cairn spawns\n",
	       p->name, bench_cpus_text(p->cpu_a, p->cpu_b, cpus, sizeof(cpus)),
	       state.baseline_spawns, state.spawns);
	fflush(stdout);
	r = baseline(&base);
	if (r == 0)
		r = cairn(p->cpu_a, p->cpu_b, &cn);
	if (r < 0)
		return r;

	char name[64];
	snprintf(name, sizeof(name), "spawn_%s", p->name);
	bench_report(name, cn, base, "us", TARGET_RATIO);
	return 0;
}

/* bench_exit lives next to this program unless --helper says otherwise. */
static int
default_helper(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -errno;
	self[n] = 0;
	snprintf(state.helper_buf, sizeof(state.helper_buf), "%s/bench_exit", dirname(self));
	state.helper = state.helper_buf;
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_spawn --core PATH --bin-dir DIR [--helper PATH] [--spawns N]\n"
	        "                   [--baseline-spawns N] [--verbose]\n"
	        "Spawn of a component until its construct runs (component bench-spawn under\n"
	        "core) against fork+exec of the static binary bench_exit until waitpid.\n"
	        "Defaults: --spawns %d --baseline-spawns %d, --helper beside this program.\n",
	        SPAWNS_DEFAULT, BASELINE_SPAWNS);
}

int
main(int argc, char **argv)
{
	const struct bench_opt opts[] = {
	    {"helper", NULL, 0, &state.helper},
	    {"spawns", &state.spawns, SPAWNS_MAX, NULL},
	    {"baseline-spawns", &state.baseline_spawns, BASELINE_MAX, NULL},
	    {NULL, NULL, 0, NULL},
	};
	const struct bench_placement *placements;
	unsigned count;
	int opt, failed = 0;

	if ((opt = bench_parse_args("bench_spawn", argc, argv, opts, usage, &state.args)) >= 0)
		return opt;
	if (!state.helper && default_helper() < 0) {
		fprintf(stderr, "bench_spawn: cannot find bench_exit; give --helper\n");
		return BENCH_EXIT_USAGE;
	}
	count = bench_placements(&placements);
	if (count < 2)
		printf("bench_spawn: one CPU only, no cross-CPU figures\n");
	for (unsigned i = 0; i < count; i++)
		if (run_placement(&placements[i]) < 0)
			failed = 1;
	return failed ? BENCH_EXIT_FAIL : 0;
}
