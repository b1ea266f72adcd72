/*
 * bench-fs: writes and reads a file of 64 MiB through a File_system
 * session (a vfs with <ram/>), one cn_fs_write/cn_fs_read of the whole
 * file each, which the client library sends as 64 KiB packets, 8 in
 * flight; it logs
 *   bench-fs: op=write|read bytes=N reps=R median_ms=X min_ms=Y
 * (an error line and exit 1 if a transfer failed). Config:
 * <config reps="5"/>. Driven by test/bench/bench_fs.c.
 */
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/log.h>
#include <cairn/xml.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	FILE_SIZE = 64 << 20,
	/* the client library keeps 8 packets in flight: 64 KiB each */
	TX_BUF = 2 << 20,
	REPS_MAX = 21,
	REPS_DEFAULT = 5,
};

static struct {
	struct cn_env *env;
	struct cn_fs *fs;
	unsigned reps;
	uint8_t *buf;
} state;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One pass over the file: its time in ms. */
static double
pass(uint32_t file, bool write)
{
	double start = now_ms();
	size_t len = 0;
	int r = write ? cn_fs_write(state.fs, file, 0, state.buf, FILE_SIZE)
	              : cn_fs_read(state.fs, file, 0, state.buf, FILE_SIZE, &len);

	if (r < 0 || (!write && len != FILE_SIZE)) {
		cn_error(state.env, "bench-fs: %s failed: %s", write ? "write" : "read",
		         cn_strerror(r));
		cn_exit(state.env, 1);
	}
	return now_ms() - start;
}

static void
measure(uint32_t file, bool write)
{
	double ms[REPS_MAX];

	pass(file, write); /* warm up: the file grows once */
	for (unsigned i = 0; i < state.reps; i++)
		ms[i] = pass(file, write);
	qsort(ms, state.reps, sizeof(ms[0]), compare);
	cn_log(state.env, "bench-fs: op=%s bytes=%d reps=%u median_ms=%.3f min_ms=%.3f",
	       write ? "write" : "read", FILE_SIZE, state.reps,
	       state.reps % 2 ? ms[state.reps / 2]
	                      : (ms[state.reps / 2 - 1] + ms[state.reps / 2]) / 2,
	       ms[0]);
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config = NULL;
	uint64_t reps = REPS_DEFAULT;
	uint32_t dir, file;
	int r;

	state.env = env;
	if (cn_config(env, &config) == 0 && cn_xml_has_attr(config, "reps"))
		cn_xml_attr_u64(config, "reps", &reps);
	if (reps < 1 || reps > REPS_MAX) {
		cn_error(env, "bench-fs: reps must be 1..%d", REPS_MAX);
		cn_exit(env, 2);
	}
	state.reps = (unsigned)reps;
	state.buf = malloc(FILE_SIZE);
	if (!state.buf) {
		cn_error(env, "bench-fs: out of memory");
		cn_exit(env, 3);
	}
	memset(state.buf, 0x5a, FILE_SIZE);
	r = cn_fs_open(env, "/", TX_BUF, true, &state.fs);
	if (r == 0)
		r = cn_fs_dir(state.fs, "/", false, &dir);
	if (r == 0)
		r = cn_fs_file(state.fs, dir, "bench", CN_FS_READ_WRITE, true, &file);
	if (r < 0) {
		cn_error(env, "bench-fs: cannot open the file: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
	measure(file, true);
	measure(file, false);
	cn_exit(env, 0);
}
