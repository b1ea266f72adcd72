/*
 * bench_fs: file transfer through the File_system session against the
 * Linux calls underneath.
 *
 * Cairn: core runs a File_system server and the component bench-fs, which
 * writes and then reads a 64 MiB file through its File_system session in
 * 64 KiB packets, 8 in flight, and logs the median time per pass. Two
 * servers:
 *   fs_*    vfs with <ram/>; baseline: pwrite and pread of the same bytes,
 *           64 KiB at a time, on a memfd (Linux's own in-memory file);
 *   lxfs_*  lx_fs on a host directory granted by <host_dir> (a temporary
 *           directory in the bin directory, core's boot directory);
 *           baseline: pwrite and pread on a file in that directory.
 * The baselines are measured in this process. Once with every process on
 * CPU 0 and once on CPUs 0-1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
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

/* The File_system servers measured. */
enum server { VFS, LX_FS, SERVERS };
static const char *const server_names[SERVERS] = {"fs", "lxfs"};

/* The program's only mutable state. */
static struct {
	struct bench_args args; /* --core, --bin-dir, --verbose */
	unsigned reps;
	char host_dir[PATH_MAX]; /* lx_fs's, beneath bin_dir */
} state = {.reps = REPS_DEFAULT};

/* The files of a run in lx_fs's directory: bench-fs's and the baseline's. */
static void
host_dir_clean(void)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/bench", state.host_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/baseline", state.host_dir);
	unlink(path);
}

/* The baseline file of a server: a memfd, or a file in lx_fs's directory. */
static int
baseline_file(enum server server)
{
	char path[PATH_MAX + 16];

	if (server == VFS)
		return memfd_create("bench_fs", MFD_CLOEXEC);
	snprintf(path, sizeof(path), "%s/baseline", state.host_dir);
	return open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

/* Median ms of a pass of pwrite (op 0) or pread (op 1) over a file. */
static int
baseline(enum server server, double ret_ms[OPS])
{
	static char buf[FILE_SIZE];
	double ms[OPS][REPS_MAX];
	int fd = baseline_file(server);

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

/* The <start> of the server. */
static void
server_start(enum server server, char *buf, size_t size)
{
	char name[PATH_MAX];

	snprintf(name, sizeof(name), "%s", state.host_dir);
	if (server == VFS)
		snprintf(buf, size,
		         "\t<start name=\"vfs\" caps=\"100\" ram=\"160M\">\n"
		         "\t\t<provides> <service name=\"File_system\"/> </provides>\n"
		         "\t\t<config> <vfs> <ram/> </vfs> "
		         "<default-policy root=\"/\" writeable=\"yes\"/> </config>\n"
		         "\t</start>\n");
	else
		snprintf(buf, size,
		         "\t<start name=\"lx_fs\" caps=\"100\" ram=\"8M\">\n"
		         "\t\t<host_dir path=\"%s\" writeable=\"yes\"/>\n"
		         "\t\t<provides> <service name=\"File_system\"/> </provides>\n"
		         "\t\t<config> <default-policy root=\"/\" writeable=\"yes\"/> </config>\n"
		         "\t</start>\n",
		         basename(name));
}

static int
cairn(enum server server, int first, int last, double ret_ms[OPS])
{
	char config[2048], start[512], lines[OPS][BENCH_LINE_MAX];
	bool seen[OPS] = {false};
	int n, exit_value;

	server_start(server, start, sizeof(start));
	snprintf(config, sizeof(config),
	         "<config>\n"
	         "\t<parent-provides>\n"
	         "\t\t<service name=\"PD\"/>\n"
	         "\t\t<service name=\"ROM\"/>\n"
	         "\t\t<service name=\"LOG\"/>\n"
	         "\t</parent-provides>\n"
	         "\t<default-route> <any-service> <parent/> <any-child/> </any-service> "
	         "</default-route>\n"
	         "%s"
	         "\t<start name=\"bench-fs\" caps=\"100\" ram=\"8M\">\n"
	         "\t\t<exit propagate=\"yes\"/>\n"
	         "\t\t<config reps=\"%u\"/>\n"
	         "\t</start>\n"
	         "</config>\n",
	         start, state.reps);
	n = bench_run_core(state.args.core, state.args.bin_dir, config, first, last, "bench-fs",
	                   "bench-fs: op=", lines, OPS, CORE_TIMEOUT_S, state.args.verbose,
	                   &exit_value);
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
			        state.args.verbose ? "" : " (--verbose shows core's log)");
			return -ENODATA;
		}
	}
	return exit_value == 0 ? 0 : -ECHILD;
}

static int
run_server(const struct bench_placement *p, enum server server)
{
	double base[OPS] = {0}, cn[OPS] = {0};
	int r;

	if ((r = baseline(server, base)) < 0) {
		fprintf(stderr, "bench_fs: %s baseline failed: %s\n", server_names[server],
		        strerror(-r));
		return r;
	}
	r = cairn(server, p->cpu_a, p->cpu_b, cn);
	host_dir_clean();
	if (r < 0)
		return r;
	for (unsigned op = 0; op < OPS; op++) {
		char name[64];

		snprintf(name, sizeof(name), "%s_%s_64m_%s", server_names[server], op_names[op],
		         p->name);
		bench_report(name, cn[op], base[op], "ms", TARGET_RATIO);
	}
	return 0;
}

static int
run_placement(const struct bench_placement *p)
{
	char cpus[32];
	int r;

	if ((r = bench_pin(0, p->cpu_a, p->cpu_b)) < 0) {
		fprintf(stderr, "bench_fs: cannot pin: %s\n", strerror(-r));
		return r;
	}
	printf("bench_fs: %s: every process on %s, %u reps of 64 MiB in 64 KiB packets\n", p->name,
	       bench_cpus_text(p->cpu_a, p->cpu_b, cpus, sizeof(cpus)), state.reps);
	fflush(stdout);
	for (enum server server = VFS; server < SERVERS; server++)
		if ((r = run_server(p, server)) < 0)
			return r;
	return 0;
}

/* lx_fs's directory, beneath core's boot directory (the bin directory). */
static int
host_dir_create(void)
{
	snprintf(state.host_dir, sizeof(state.host_dir), "%s/bench_lx_fs.XXXXXX",
	         state.args.bin_dir);
	return mkdtemp(state.host_dir) ? 0 : -errno;
}

static void
host_dir_remove(void)
{
	host_dir_clean();
	rmdir(state.host_dir);
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_fs --core PATH --bin-dir DIR [--reps N] [--verbose]\n"
	        "64 MiB written and read through a File_system session (component bench-fs\n"
	        "under core): of a vfs ram file system against pwrite/pread on a memfd, and\n"
	        "of lx_fs against pwrite/pread on a file in its host directory (made in the\n"
	        "bin directory and removed again). Default: --reps %d.\n",
	        REPS_DEFAULT);
}

int
main(int argc, char **argv)
{
	const struct bench_opt opts[] = {
	    {"reps", &state.reps, REPS_MAX, NULL},
	    {NULL, NULL, 0, NULL},
	};
	const struct bench_placement *placements;
	unsigned count;
	int opt, failed = 0;

	if ((opt = bench_parse_args("bench_fs", argc, argv, opts, usage, &state.args)) >= 0)
		return opt;
	if ((opt = host_dir_create()) < 0) {
		fprintf(stderr, "bench_fs: cannot make a directory in %s: %s\n", state.args.bin_dir,
		        strerror(-opt));
		return BENCH_EXIT_FAIL;
	}
	count = bench_placements(&placements);
	for (unsigned i = 0; i < count; i++)
		if (run_placement(&placements[i]) < 0)
			failed = 1;
	host_dir_remove();
	return failed ? BENCH_EXIT_FAIL : 0;
}
