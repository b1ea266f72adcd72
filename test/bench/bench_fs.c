/*
 * bench_fs: file transfer through the File_system session against the
 * Linux calls underneath.
 *
 * Cairn: core runs a vfs with <ram/> and the component bench-fs, which
 * writes and then reads a 64 MiB file through its File_system session in
 * 64 KiB packets, 8 in flight, and logs the median time per pass.
 * Baseline, measured in this process: pwrite and pread of the same bytes,
 * 64 KiB at a time, on a memfd (Linux's own in-memory file). Once with
 * every process on CPU 0 and once on CPUs 0-1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

enum {
	FILE_SIZE = 64 << 20,
	PACKET = 64 << 10,
	REPS_DEFAULT = 5,
	REPS_MAX = 21,
	CORE_TIMEOUT_S = 600,
	TARGET_RATIO = 2,
	OPS = 2, /* write, read */
};

static const char *const op_names[OPS] = {"write", "read"};

/* The program's only mutable state. */
static struct {
	const char *core, *bin_dir;
	unsigned reps;
	bool verbose;
} state = {.reps = REPS_DEFAULT};

/* Median ms of a pass of pwrite (op 0) or pread (op 1) over a memfd. */
static int
baseline(double ret_ms[OPS])
{
	static char buf[FILE_SIZE];
	double ms[OPS][REPS_MAX];
	int fd = memfd_create("bench_fs", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(buf, 0x5a, sizeof(buf));
	for (unsigned rep = 0; rep <= state.reps; rep++) { /* the first one warms up */
		for (unsigned op = 0; op < OPS; op++) {
			uint64_t start = bench_now_ns();

			for (off_t pos = 0; pos < FILE_SIZE; pos += PACKET) {
				ssize_t n = op == 0 ? pwrite(fd, buf + pos, PACKET, pos)
				                    : pread(fd, buf + pos, PACKET, pos);

				if (n != PACKET) {
					close(fd);
					return n < 0 ? -errno : -EIO;
				}
			}
			if (rep)
				ms[op][rep - 1] = (double)(bench_now_ns() - start) / 1e6;
		}
	}
	close(fd);
	for (unsigned op = 0; op < OPS; op++)
		ret_ms[op] = bench_median(ms[op], state.reps);
	return 0;
}

static int
cairn(int first, int last, double ret_ms[OPS])
{
	char config[2048], lines[OPS][BENCH_LINE_MAX];
	bool seen[OPS] = {false};
	int n, exit_value;

	snprintf(config, sizeof(config),
	         "<config>\n"
	         "\t<parent-provides>\n"
	         "\t\t<service name=\"PD\"/>\n"
	         "\t\t<service name=\"ROM\"/>\n"
	         "\t\t<service name=\"LOG\"/>\n"
	         "\t</parent-provides>\n"
	         "\t<default-route> <any-service> <parent/> <any-child/> </any-service> "
	         "</default-route>\n"
	         "\t<start name=\"vfs\" caps=\"100\" ram=\"160M\">\n"
	         "\t\t<provides> <service name=\"File_system\"/> </provides>\n"
	         "\t\t<config> <vfs> <ram/> </vfs> "
	         "<default-policy root=\"/\" writeable=\"yes\"/> </config>\n"
	         "\t</start>\n"
	         "\t<start name=\"bench-fs\" caps=\"100\" ram=\"8M\">\n"
	         "\t\t<exit propagate=\"yes\"/>\n"
	         "\t\t<config reps=\"%u\"/>\n"
	         "\t</start>\n"
	         "</config>\n",
	         state.reps);
	n = bench_run_core(state.core, state.bin_dir, config, first, last, "bench-fs",
	                   "bench-fs: op=", lines, OPS, CORE_TIMEOUT_S, state.verbose, &exit_value);
	if (n < 0) {
		fprintf(stderr, "bench_fs: running core failed: %s\n", strerror(-n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		double ms;

		if (bench_field(lines[i], "median_ms", &ms) < 0)
			continue;
		for (unsigned op = 0; op < OPS; op++) {
			char key[16];

			snprintf(key, sizeof(key), "op=%s ", op_names[op]);
			if (strstr(lines[i], key)) {
				ret_ms[op] = ms;
				seen[op] = true;
			}
		}
	}
	for (unsigned op = 0; op < OPS; op++) {
		if (!seen[op]) {
			fprintf(stderr, "bench_fs: no %s result from bench-fs%s\n", op_names[op],
			        state.verbose ? "" : " (--verbose shows core's log)");
			return -ENODATA;
		}
	}
	return exit_value == 0 ? 0 : -ECHILD;
}

static int
run_placement(const struct bench_placement *p)
{
	double base[OPS] = {0}, cn[OPS] = {0};
	char cpus[32];
	int r;

	if ((r = bench_pin(0, p->cpu_a, p->cpu_b)) < 0) {
		fprintf(stderr, "bench_fs: cannot pin: %s\n", strerror(-r));
		return r;
	}
	printf("bench_fs: %s: every process on %s, %u reps of 64 MiB in 64 KiB packets\n", p->name,
	       bench_cpus_text(p->cpu_a, p->cpu_b, cpus, sizeof(cpus)), state.reps);
	fflush(stdout);
	if ((r = baseline(base)) < 0) {
		fprintf(stderr, "bench_fs: baseline failed: %s\n", strerror(-r));
		return r;
	}
	if ((r = cairn(p->cpu_a, p->cpu_b, cn)) < 0)
		return r;
	for (unsigned op = 0; op < OPS; op++) {
		char name[64];

		snprintf(name, sizeof(name), "fs_%s_64m_%s", op_names[op], p->name);
		bench_report(name, cn[op], base[op], "ms", TARGET_RATIO);
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_fs --core PATH --bin-dir DIR [--reps N] [--verbose]\n"
	        "64 MiB written and read through a vfs ram File_system session (component\n"
	        "bench-fs under core) against pwrite/pread on a memfd. Default: --reps %d.\n",
	        REPS_DEFAULT);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"core", required_argument, NULL, 'c'}, {"bin-dir", required_argument, NULL, 'b'},
	    {"reps", required_argument, NULL, 'r'}, {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	const struct bench_placement *placements;
	unsigned count;
	int opt, failed = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			state.core = optarg;
			break;
		case 'b':
			state.bin_dir = optarg;
			break;
		case 'r':
			state.reps = bench_parse_count("bench_fs", "--reps", optarg);
			if (state.reps > REPS_MAX) {
				fprintf(stderr, "bench_fs: at most %d reps\n", REPS_MAX);
				return BENCH_EXIT_USAGE;
			}
			break;
		case 'v':
			state.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return BENCH_EXIT_USAGE;
		}
	}
	if (optind != argc || !state.core || !state.bin_dir) {
		usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	count = bench_placements(&placements);
	for (unsigned i = 0; i < count; i++)
		if (run_placement(&placements[i]) < 0)
			failed = 1;
	return failed ? BENCH_EXIT_FAIL : 0;
}
