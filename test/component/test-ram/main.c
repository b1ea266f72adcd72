/*
 * test-ram: allocates RAM dataspaces from the component's own PD until
 * core refuses for lack of quota, uses every page, frees everything and
 * checks that the PD's accounts are back where they started.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum {
	DS_SIZE = 1 << 20,
	/* Each dataspace holds two fds; a bound keeps us far from the fd
	 * limit if the scenario grants more quota than the test is meant for. */
	DS_MAX = 256,
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_ds ds[DS_MAX];
	unsigned count;
} state;

__attribute__((noreturn, format(printf, 1, 2))) static void
fail(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cn_error(state.env, "test-ram: %s", msg);
	cn_exit(state.env, 1);
}

static struct cn_pd_quota
quota(void)
{
	struct cn_pd_quota q;
	int r = cn_pd_quota(state.env->pd, &q);

	if (r < 0)
		fail("PD quota query failed: %s", strerror(-r));
	return q;
}

/* Write a pattern into every page, so each one is really backed. */
static void
touch(struct cn_ds *ds, unsigned index)
{
	uint8_t *p = ds->addr;

	for (size_t off = 0; off < ds->size; off += CN_PAGE_SIZE)
		p[off] = (uint8_t)(index + off / CN_PAGE_SIZE);
}

static bool
intact(const struct cn_ds *ds, unsigned index)
{
	const uint8_t *p = ds->addr;

	for (size_t off = 0; off < ds->size; off += CN_PAGE_SIZE)
		if (p[off] != (uint8_t)(index + off / CN_PAGE_SIZE))
			return false;
	return true;
}

/* Allocate until core says the quota is exhausted; returns that error. */
static int
allocate_all(void)
{
	for (;;) {
		struct cn_ds *ds = &state.ds[state.count];
		int r;

		if (state.count == DS_MAX)
			fail("quota exceeds %d MiB, more than this test is meant for", DS_MAX);
		r = cn_pd_alloc_ram(state.env->pd, DS_SIZE, ds);
		if (r == CN_ERR_OUT_OF_RAM || r == CN_ERR_OUT_OF_CAPS)
			return r;
		if (r < 0)
			fail("allocation %u failed: %s", state.count, strerror(-r));
		if (ds->size != DS_SIZE)
			fail("asked for %d bytes, got %zu", DS_SIZE, ds->size);
		r = cn_ds_attach(ds);
		if (r < 0)
			fail("attaching dataspace %u failed: %s", state.count, strerror(-r));
		touch(ds, state.count);
		state.count++;
	}
}

void
cn_construct(struct cn_env *env)
{
	struct cn_pd_quota start, full, end;
	struct cn_ds none;
	int r;

	state.env = env;
	start = quota();
	cn_log(env,
	       "RAM quota %" PRIu64 " KiB (%" PRIu64 " KiB used), caps %" PRIu64 " (%" PRIu64
	       " used)",
	       start.ram_quota / 1024, start.ram_used / 1024, start.cap_quota, start.cap_used);

	r = cn_pd_alloc_ram(env->pd, 0, &none);
	if (r != CN_ERR_INVALID_ARG)
		fail("allocating 0 bytes: expected %d, got %d", CN_ERR_INVALID_ARG, r);

	r = allocate_all();
	if (state.count == 0)
		fail("not even one dataspace of %d bytes", DS_SIZE);
	cn_log(env, "allocated %u dataspaces (%u KiB), then %s", state.count,
	       state.count * (DS_SIZE / 1024),
	       r == CN_ERR_OUT_OF_RAM ? "out of RAM" : "out of caps");
	cn_log(env, "out-of-quota error as expected");
	/* ask for more, as a Genode component does (init only logs it) */
	if (cn_resource_request(env, "ram_quota=1M", NULL) < 0)
		fail("resource request refused");

	full = quota();
	if (full.ram_used != start.ram_used + (uint64_t)state.count * DS_SIZE ||
	    full.cap_used != start.cap_used + (uint64_t)state.count * CN_PD_DS_CAP_COST)
		fail("charged %" PRIu64 " bytes and %" PRIu64 " caps for %u dataspaces",
		     full.ram_used - start.ram_used, full.cap_used - start.cap_used, state.count);

	for (unsigned i = 0; i < state.count; i++) {
		if (!intact(&state.ds[i], i))
			fail("dataspace %u lost its content", i);
		r = cn_pd_free_ram(env->pd, &state.ds[i]);
		if (r < 0)
			fail("freeing dataspace %u failed: %s", i, strerror(-r));
	}
	cn_log(env, "freed %u dataspaces", state.count);

	end = quota();
	if (end.ram_used != start.ram_used || end.cap_used != start.cap_used)
		fail("after freeing all: %" PRIu64 " bytes and %" PRIu64 " caps used, %" PRIu64
		     " and %" PRIu64 " at the start",
		     end.ram_used, end.cap_used, start.ram_used, start.cap_used);
	cn_log(env, "test-ram: done");
	cn_exit(env, 0);
}
