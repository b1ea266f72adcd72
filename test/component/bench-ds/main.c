/*
 * bench-ds: the life cycle of a RAM dataspace as a component pays for it.
 * One cycle is cn_pd_alloc_ram + cn_ds_attach + a write to the first byte
 * + cn_ds_detach + cn_pd_free_ram, against the component's own PD at
 * core. For 4 KiB and for 1 MiB it logs
 *   bench-ds: size=BYTES cycles=N reps=R median_us=X min_us=Y
 * where X and Y are the median and the minimum over R repetitions of the
 * mean time per cycle of N cycles, then exits with 0 (1 if a call
 * failed). Config: <config cycles="2000" reps="7"/>. Driven by
 * test/bench/bench_dataspace, which compares it with memfd_create +
 * ftruncate + mmap + munmap + close in one process.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

enum {
	CYCLES_DEFAULT = 2000,
	REPS_DEFAULT = 7,
	REPS_MAX = 101,
	WARMUP_CYCLES = 100,
	EXIT_FAILED = 1,
	EXIT_CONFIG = 2,
};

static const size_t sizes[] = {4096, 1u << 20};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	uint64_t cycles, reps;
} state;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Not qsort(): glibc's asks sysinfo() for the memory size on larger
 * arrays, and the sandbox does not allow that call. */
static void
sort_doubles(double *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* n cycles of size bytes; 0 or the error of the step that failed. */
static int
cycles(size_t size, uint64_t n, const char **ret_step)
{
	for (uint64_t i = 0; i < n; i++) {
		struct cn_ds ds;
		int r = cn_pd_alloc_ram(state.env->pd, size, &ds);

		if (r < 0) {
			*ret_step = "cn_pd_alloc_ram";
			return r;
		}
		r = cn_ds_attach(&ds);
		if (r < 0) {
			cn_pd_free_ram(state.env->pd, &ds);
			*ret_step = "cn_ds_attach";
			return r;
		}
		*(volatile uint8_t *)ds.addr = (uint8_t)i;
		cn_ds_detach(&ds);
		r = cn_pd_free_ram(state.env->pd, &ds);
		if (r < 0) {
			*ret_step = "cn_pd_free_ram";
			return r;
		}
	}
	return 0;
}

static int
measure(size_t size)
{
	double per_cycle[REPS_MAX];
	const char *step = "";
	int r = cycles(size, WARMUP_CYCLES, &step);

	for (uint64_t rep = 0; r == 0 && rep < state.reps; rep++) {
		uint64_t start = now_ns();

		r = cycles(size, state.cycles, &step);
		per_cycle[rep] = (double)(now_ns() - start) / (double)state.cycles / 1000.0;
	}
	if (r < 0) {
		cn_error(state.env, "bench-ds: %s of %zu bytes failed: %s", step, size,
		         strerror(-r));
		return r;
	}
	sort_doubles(per_cycle, state.reps);
	double median = state.reps % 2
	                    ? per_cycle[state.reps / 2]
	                    : (per_cycle[state.reps / 2 - 1] + per_cycle[state.reps / 2]) / 2;
	cn_log(state.env, "bench-ds: size=%zu cycles=%llu reps=%llu median_us=%.2f min_us=%.2f",
	       size, (unsigned long long)state.cycles, (unsigned long long)state.reps, median,
	       per_cycle[0]);
	return 0;
}

static int
read_config(void)
{
	const struct cn_xml_node *root;
	int r = cn_config(state.env, &root);

	state.cycles = CYCLES_DEFAULT;
	state.reps = REPS_DEFAULT;
	if (r == 0) {
		if ((cn_xml_has_attr(root, "cycles") &&
		     cn_xml_attr_u64(root, "cycles", &state.cycles) < 0) ||
		    (cn_xml_has_attr(root, "reps") &&
		     cn_xml_attr_u64(root, "reps", &state.reps) < 0))
			return -EINVAL;
	} else if (r != -ENOENT) {
		return r;
	}
	if (state.cycles == 0 || state.reps == 0 || state.reps > REPS_MAX)
		return -EINVAL;
	return 0;
}

void
cn_construct(struct cn_env *env)
{
	state.env = env;
	if (read_config() < 0) {
		cn_error(env, "bench-ds: config wants cycles >= 1 and 1 <= reps <= %d", REPS_MAX);
		cn_exit(env, EXIT_CONFIG);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (measure(sizes[i]) < 0)
			cn_exit(env, EXIT_FAILED);
	cn_exit(env, 0);
}
