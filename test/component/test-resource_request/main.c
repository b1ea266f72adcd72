/*
 * test-resource_request: Genode's test of dynamic resource requests
 * (os/src/test/resource_request), in two roles of one binary.
 *
 * Role "monitor" (<config role="monitor"/>) manages a sub-init through
 * report_rom: it publishes the sub-init's config, which starts
 * test-resource_request with 2 MiB, and watches the sub-init's state
 * report. Whenever the child's <ram requested=".."/> shows up, it raises
 * the child's quantum to assigned + requested ("responding to resource
 * request of <bytes> cnt=<n>").
 *
 * Otherwise (the test role) the component wastes its quota down to 64 KiB
 * and then runs out of quota in four ways, each of which it answers with
 * a resource request to its parent, blocking until the parent (through
 * the monitor) grants it: RAM allocations ("draining"), the donation of a
 * session request, a quota transfer to a PD of its own, and a plain RAM
 * allocation. Genode drains its PD with 1000 signal contexts; on Cairn
 * those cost no quota, so it allocates 64 KiB dataspaces and keeps them,
 * as Genode's PD session keeps its meta data. The used quota must change
 * only with the allocations, not with donations and transfers.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/xml_gen.h>

#include <stdlib.h>
#include <unistd.h>

#include "sub_init.h"

enum {
	KEEP_QUOTA = 64 * 1024,        /* what the waste leaves */
	DRAIN_CHUNKS = 8,              /* allocations that drain the PD */
	DRAIN_CHUNK = 64 * 1024,       /* bytes of each */
	PD_SESSION_RAM = 64 * 1024,    /* donation of the extra PD session */
	TRANSFER_RAM = 512 * 1024,     /* transferred to the extra PD */
	ALLOC_RAM = 512 * 1024,        /* the final allocation */
	REQUEST_OVERHEAD = 4096,       /* asked for beyond the need, as Genode's base */
	INITIAL_RAM = 2 * 1024 * 1024, /* the child's quantum at first */
	CONFIG_MAX = 4096,             /* bytes of the generated init config */
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	/* test role */
	bool granted;
	struct cn_ds waste, drain[DRAIN_CHUNKS], alloc;
	int pd; /* the extra PD session */
	uint32_t pd_id;
	/* monitor role */
	struct test_sub_init init;
	uint64_t ram_quota;
	unsigned cnt;
} state;

/* --- test role ------------------------------------------------------------- */

static void
print_quota_stats(void)
{
	struct cn_pd_quota q = {0};

	cn_pd_quota(state.env->pd, &q);
	cn_log(state.env, "quota: avail=%" PRIu64 " used=%" PRIu64, q.ram_quota - q.ram_used,
	       q.ram_used);
}

static uint64_t
used_ram(void)
{
	struct cn_pd_quota q = {0};

	cn_pd_quota(state.env->pd, &q);
	return q.ram_used;
}

static void
resources_granted(struct cn_env *env)
{
	(void)env;
	state.granted = true;
}

enum op { OP_ALLOC, OP_PD_SESSION, OP_TRANSFER };

static int
try_op(enum op op, size_t size, struct cn_ds *ds)
{
	switch (op) {
	case OP_ALLOC:
		return cn_pd_alloc_ram(state.env->pd, size, ds);
	case OP_PD_SESSION:
		return cn_session_open(state.env, "PD", "pd", size, 0, NULL, &state.pd,
		                       &state.pd_id);
	case OP_TRANSFER:
		return cn_pd_transfer_quota(state.env->pd, state.pd, size, 0);
	}
	return -EINVAL;
}

/* Run op; while it fails for want of quota, ask the parent for what it
 * needs and wait (dispatching) until the parent says it is there. */
static int
with_resources(enum op op, size_t size, struct cn_ds *ds)
{
	char args[64];
	int r;

	for (;;) {
		r = try_op(op, size, ds);
		if (r != CN_ERR_OUT_OF_RAM && r != CN_ERR_OUT_OF_CAPS)
			return r;
		if (r == CN_ERR_OUT_OF_RAM)
			snprintf(args, sizeof(args), "ram_quota=%zu", size + REQUEST_OVERHEAD);
		else
			snprintf(args, sizeof(args), "cap_quota=%d", 4);
		state.granted = false;
		r = cn_resource_request(state.env, args, resources_granted);
		while (r == 0 && !state.granted)
			r = cn_ep_dispatch(state.env->ep, -1) < 0 ? -EIO : 0;
		if (r < 0)
			return r;
	}
}

static void
check(int r, const char *what)
{
	if (r < 0) {
		cn_error(state.env, "%s: %s", what, cn_strerror(r));
		cn_exit(state.env, 1);
	}
}

#define ASSERT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			cn_error(state.env, "assertion %s failed", #cond);                         \
			cn_exit(state.env, 1);                                                     \
		}                                                                                  \
	} while (0)

static void
run_test(void)
{
	struct cn_pd_quota q = {0};
	uint64_t wasted, after_draining, after_session, after_transfer, after_alloc;

	cn_log(state.env, "--- test-resource_request started ---");

	/* consume the initial quota, to reach the corner cases at once */
	check(cn_pd_quota(state.env->pd, &q), "PD quota");
	wasted = q.ram_quota - q.ram_used >= KEEP_QUOTA ? q.ram_quota - q.ram_used - KEEP_QUOTA : 0;
	if (wasted)
		check(cn_pd_alloc_ram(state.env->pd, wasted, &state.waste), "waste");
	cn_log(state.env, "wasted available quota of %" PRIu64 " bytes", wasted);
	print_quota_stats();

	cn_log(state.env, "\n-- draining PD session --");
	for (unsigned i = 0; i < DRAIN_CHUNKS; i++)
		check(with_resources(OP_ALLOC, DRAIN_CHUNK, &state.drain[i]), "drain");
	print_quota_stats();
	after_draining = used_ram();

	/* the donation of a new session needs quota we do not have */
	cn_log(state.env, "\n-- out-of-memory during session request --");
	check(with_resources(OP_PD_SESSION, PD_SESSION_RAM, NULL), "PD session");
	check(cn_pd_ref_account(state.pd, state.env->pd), "ref account");
	print_quota_stats();
	after_session = used_ram();

	cn_log(state.env, "\n-- out-of-memory during transfer-quota --");
	check(with_resources(OP_TRANSFER, TRANSFER_RAM, NULL), "transfer");
	print_quota_stats();
	after_transfer = used_ram();

	cn_log(state.env, "\n-- out-of-memory during RAM allocation --");
	check(with_resources(OP_ALLOC, ALLOC_RAM, &state.alloc), "allocation");
	print_quota_stats();
	after_alloc = used_ram();

	ASSERT(after_session == after_draining);
	ASSERT(after_transfer == after_session);
	ASSERT(after_alloc > after_transfer);

	cn_log(state.env, "--- finished test-resource_request ---");
	cn_exit(state.env, 0);
}

/* --- monitor role ---------------------------------------------------------- */

static void
generate_init_config(void)
{
	static const char *const services[] = {"ROM", "CPU", "PD", "LOG", "Timer"};
	struct cn_xml_gen g;
	char num[32];

	cn_xml_gen_init(&g, CONFIG_MAX);
	test_gen_open(&g, "config");
	test_gen_node_attr(&g, "report", "child_ram", "yes");
	test_gen_open(&g, "parent-provides");
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		test_gen_node_attr(&g, "service", "name", services[i]);
	cn_xml_gen_close(&g);
	test_gen_open(&g, "start");
	cn_xml_gen_attr(&g, "name", "test-resource_request");
	cn_xml_gen_attr(&g, "caps", "3000");
	test_gen_open(&g, "resource");
	cn_xml_gen_attr(&g, "name", "RAM");
	snprintf(num, sizeof(num), "%" PRIu64, state.ram_quota);
	cn_xml_gen_attr(&g, "quantum", num);
	cn_xml_gen_close(&g);
	test_gen_open(&g, "route");
	test_gen_open(&g, "any-service");
	test_gen_open(&g, "parent");
	cn_xml_gen_close(&g);
	cn_xml_gen_close(&g);
	cn_xml_gen_close(&g);
	cn_xml_gen_close(&g);
	cn_xml_gen_close(&g);
	test_sub_init_publish(&state.init, &g);
}

static void
handle_init_state(void *data, uint32_t count)
{
	const struct cn_xml_node *st = test_sub_init_state(&state.init);
	const struct cn_xml_node *child = st ? cn_xml_child(st, "child") : NULL;
	const struct cn_xml_node *ram = child ? cn_xml_child(child, "ram") : NULL;
	uint64_t requested = test_attr_bytes(ram, "requested");
	uint64_t upgraded = test_attr_bytes(ram, "assigned") + requested;
	char num[32];

	(void)data;
	(void)count;
	/* no request, or one answered already (a spurious state update) */
	if (!requested || upgraded <= state.ram_quota)
		return;
	state.ram_quota = upgraded;
	cn_log(state.env, "responding to resource request of %s cnt=%u",
	       test_bytes(requested, num, sizeof(num)), state.cnt++);
	generate_init_config();
}

static void
run_monitor(void)
{
	int r = test_sub_init_open(&state.init, state.env, CONFIG_MAX, handle_init_state);

	if (r < 0) {
		cn_error(state.env, "cannot connect to the sub-init: %s", cn_strerror(r));
		cn_exit(state.env, 3);
	}
	state.ram_quota = INITIAL_RAM;
	generate_init_config();
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config;

	state.env = env;
	state.pd = -1;
	if (cn_config(env, &config) == 0 && cn_xml_attr_is(config, "role", "monitor"))
		run_monitor();
	else
		run_test();
}
