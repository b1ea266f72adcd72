/*
 * bench_dataspace: the life cycle of a RAM dataspace, Cairn against the
 * Linux calls underneath.
 *
 * Baseline, measured first in this process: memfd_create + ftruncate +
 * mmap + a write to the first byte + munmap + close. Cairn: core runs the
 * component bench-ds, which does cn_pd_alloc_ram + cn_ds_attach + the same
 * write + cn_ds_detach + cn_pd_free_ram against its PD at core and logs
 * its per-cycle time. Both for 4 KiB and 1 MiB, once with this process,
 * core and every component pinned to CPU 0 and once allowed on CPUs 0-1
 * (the CPU mask is inherited through core's spawns).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

enum {
	REPS_DEFAULT = 7,
	REPS_MAX = 101,
	CYCLES_DEFAULT = 2000,
	WARMUP_CYCLES = 100,
	CORE_TIMEOUT_S = 300,
	TARGET_RATIO = 3,
	SIZE_COUNT = 2,
};

static const struct {
	size_t bytes;
	const char *name;
} sizes[SIZE_COUNT] = {{4096, "4k"}, {1u << 20, "1m"}};

/* The program's only mutable state. */
static struct {
	struct bench_args args; /* --core, --bin-dir, --verbose */
	unsigned reps, cycles;
} state = {.reps = REPS_DEFAULT, .cycles = CYCLES_DEFAULT};

static int
baseline_cycles(size_t size, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int fd = memfd_create("bench", MFD_CLOEXEC);
		void *p;

		if (fd < 0)
			return -errno;
		if (ftruncate(fd, (off_t)size) < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			int r = -errno;
			close(fd);
			return r;
		}
		*(volatile unsigned char *)p = (unsigned char)i;
		munmap(p, size);
		close(fd);
	}
	return 0;
}

/* Median over the repetitions of the mean time per cycle, in us. */
static int
baseline(size_t size, double *ret_us)
{
	double per_cycle[REPS_MAX];
	int r = baseline_cycles(size, WARMUP_CYCLES);

	for (unsigned rep = 0; r == 0 && rep < state.reps; rep++) {
		uint64_t start = bench_now_ns();

		r = baseline_cycles(size, state.cycles);
		per_cycle[rep] = (double)(bench_now_ns() - start) / state.cycles / 1000.0;
	}
	if (r < 0)
		return r;
	*ret_us = bench_median(per_cycle, state.reps);
	return 0;
}

/* Run bench-ds under core on CPUs first..last; ret_us[i] for sizes[i]. */
static int
cairn(int first, int last, double ret_us[SIZE_COUNT])
{
	char config[2048], lines[SIZE_COUNT][BENCH_LINE_MAX];
	bool seen[SIZE_COUNT] = {false};
	int n, exit_value;

	snprintf(config, sizeof(config),
	         "<config>\n"
	         "\t<parent-provides>\n"
	         "\t\t<service name=\"PD\"/>\n"
	         "\t\t<service name=\"ROM\"/>\n"
	         "\t\t<service name=\"LOG\"/>\n"
	         "\t</parent-provides>\n"
	         "\t<default-route> <any-service> <parent/> </any-service> </default-route>\n"
	         "\t<start name=\"bench-ds\" caps=\"100\" ram=\"8M\">\n"
	         "\t\t<exit propagate=\"yes\"/>\n"
	         "\t\t<config cycles=\"%u\" reps=\"%u\"/>\n"
	         "\t</start>\n"
	         "</config>\n",
	         state.cycles, state.reps);
	n = bench_run_core(state.args.core, state.args.bin_dir, config, first, last, "bench-ds",
	                   "bench-ds: size=", lines, SIZE_COUNT, CORE_TIMEOUT_S, state.args.verbose,
	                   &exit_value);
	if (n < 0) {
		fprintf(stderr, "bench_dataspace: running core failed: %s\n", strerror(-n));
		return n;
	}
	if (exit_value != 0)
		fprintf(stderr, "bench_dataspace: core exited with %d\n", exit_value);
	for (int i = 0; i < n; i++) {
		double size, us;

		if (bench_field(lines[i], "size", &size) < 0 ||
		    bench_field(lines[i], "median_us", &us) < 0)
			continue;
		for (unsigned s = 0; s < SIZE_COUNT; s++) {
			if ((double)sizes[s].bytes == size) {
				ret_us[s] = us;
				seen[s] = true;
			}
		}
	}
	for (unsigned s = 0; s < SIZE_COUNT; s++) {
		if (!seen[s]) {
			fprintf(stderr,
			        "bench_dataspace: no result from bench-ds for %zu bytes%s\n",
			        sizes[s].bytes,
			        state.args.verbose ? "" : " (--verbose shows core's log)");
			return -ENODATA;
		}
	}
	return exit_value == 0 ? 0 : -ECHILD;
}

static int
run_placement(const struct bench_placement *p)
{
	double base[SIZE_COUNT], cn[SIZE_COUNT];
	char cpus[32];
	int r;

	r = bench_pin(0, p->cpu_a, p->cpu_b);
	if (r < 0) {
		fprintf(stderr, "bench_dataspace: cannot pin to CPUs %d-%d: %s\n", p->cpu_a,
		        p->cpu_b, strerror(-r));
		return r;
	}
	printf("bench_dataspace: %s: every process on %s, %u x %u cycles each\n", p->name,
	       bench_cpus_text(p->cpu_a, p->cpu_b, cpus, sizeof(cpus)), state.reps, state.cycles);
	fflush(stdout);
	for (unsigned s = 0; s < SIZE_COUNT; s++) {
		r = baseline(sizes[s].bytes, &base[s]);
		if (r < 0) {
			fprintf(stderr, "bench_dataspace: baseline of %zu bytes failed: %s\n",
			        sizes[s].bytes, strerror(-r));
			return r;
		}
	}
	r = cairn(p->cpu_a, p->cpu_b, cn);
	if (r < 0)
		return r;
	for (unsigned s = 0; s < SIZE_COUNT; s++) {
		char name[64];

		snprintf(name, sizeof(name), "ds_%s_%s", sizes[s].name, p->name);
		bench_report(name, cn[s], base[s], "us", TARGET_RATIO);
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_dataspace --core PATH --bin-dir DIR [--reps N] [--cycles N] "
	        "[--verbose]\n"
	        "Dataspace alloc+attach+detach+free of 4 KiB and 1 MiB (component bench-ds\n"
	        "under core) against memfd_create+ftruncate+mmap+munmap+close.\n"
	        "Defaults: --reps %d --cycles %d.\n",
	        REPS_DEFAULT, CYCLES_DEFAULT);
}

int
main(int argc, char **argv)
{
	const struct bench_opt opts[] = {
	    {"reps", &state.reps, REPS_MAX, NULL},
	    {"cycles", &state.cycles, 100000000, NULL},
	    {NULL, NULL, 0, NULL},
	};
	const struct bench_placement *placements;
	unsigned count;
	int opt, failed = 0;

	if ((opt = bench_parse_args("bench_dataspace", argc, argv, opts, usage, &state.args)) >= 0)
		return opt;
	count = bench_placements(&placements);
	if (count < 2)
		printf("bench_dataspace: one CPU only, no cross-CPU figures\n");
	for (unsigned i = 0; i < count; i++)
		if (run_placement(&placements[i]) < 0)
			failed = 1;
	return failed ? BENCH_EXIT_FAIL : 0;
}
