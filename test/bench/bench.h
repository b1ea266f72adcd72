/*
 * Shared helpers of the benchmark drivers: time, statistics, CPU
 * placement, the result line, and running core on a temporary init
 * config while collecting the log lines of a component.
 *
 * Every driver prints one line per figure,
 *   bench: NAME ratio=R cairn=X baseline=Y UNIT
 * followed by a `target:` line that states the goal. Timing is reported,
 * never asserted: a driver fails only when a measurement could not be
 * taken.
 */
#ifndef CAIRN_BENCH_H
#define CAIRN_BENCH_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
	BENCH_LINE_MAX = 1024,
	BENCH_EXIT_FAIL = 1,  /* a measurement could not be taken */
	BENCH_EXIT_USAGE = 2, /* bad arguments */
};

/* Where a pair of processes runs. */
struct bench_placement {
	const char *name; /* suffix of the bench name: "samecpu", "crosscpu" */
	int cpu_a, cpu_b; /* client/parent CPU, server/child CPU */
	bool allow_both;  /* core runs: allow all of cpu_a..cpu_b for every process */
};

/* The two placements of every benchmark: both on CPU 0, and across CPUs
 * 0 and 1 (only if the machine has two). Returns the count (1 or 2). */
unsigned bench_placements(const struct bench_placement **ret);

uint64_t bench_now_ns(void);
/* Median of n values (sorts them in place). */
double bench_median(double *v, size_t n);
double bench_min(const double *v, size_t n);

/* Restrict pid (0: the caller) to CPUs first..last. 0 or -errno. */
int bench_pin(pid_t pid, int first, int last);

/* "CPU 0" or "CPUs 0-1", in buf. */
const char *bench_cpus_text(int first, int last, char *buf, size_t size);

/* The result line and the target line. */
void bench_report(const char *name, double cairn, double baseline, const char *unit,
                  double target_ratio);

/* Parse a positive count from a command-line option. Exits on error. */
unsigned bench_parse_count(const char *prog, const char *opt, const char *arg);

/* The options every driver of a component benchmark takes. */
struct bench_args {
	const char *core;    /* --core PATH (required) */
	const char *bin_dir; /* --bin-dir DIR (required) */
	bool verbose;        /* --verbose */
};

/* A driver's own option: --NAME N, a positive count of at most max, or
 * --NAME TEXT (text set instead of count). A list ends with name NULL. */
struct bench_opt {
	const char *name;
	unsigned *count;
	unsigned max;
	const char **text;
};

/*
 * Parse argv: --core, --bin-dir, --verbose, --help and opts. Returns -1
 * to go on, or the exit code to leave with: 0 after --help (usage on
 * stdout), BENCH_EXIT_USAGE for anything wrong (a message and the usage
 * on stderr).
 */
int bench_parse_args(const char *prog, int argc, char **argv, const struct bench_opt *opts,
                     void (*usage)(FILE *f), struct bench_args *ret);

/*
 * Run `core --rom-dir bin_dir --rom config=<tmp>` with config_text as init's
 * config, restricted to CPUs first..last (inherited by init and every
 * component). Every log line of the component with label `label` whose
 * text starts with `prefix` is copied into lines[] (up to max, each
 * BENCH_LINE_MAX). Every other line is echoed to stderr when verbose,
 * lines with an error always. Returns the number of lines collected, or
 * -errno: -ETIMEDOUT after timeout_s, -ECANCELED if init reported an error
 * (core is stopped then). Otherwise *ret_exit gets core's exit status,
 * init's propagated exit value.
 */
int bench_run_core(const char *core, const char *bin_dir, const char *config_text, int first,
                   int last, const char *label, const char *prefix, char (*lines)[BENCH_LINE_MAX],
                   unsigned max, unsigned timeout_s, bool verbose, int *ret_exit);

/* Find `key=` in line and parse the number after it. 0 or -EINVAL. */
int bench_field(const char *line, const char *key, double *ret);

#endif
