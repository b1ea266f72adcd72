/*
 * bench-spawn: what starting a component costs, measured where both ends
 * are known, with no change to core.
 *
 * Parent role (started by init with a <config>): bench-spawn becomes the
 * parent of short-lived children, doing for each exactly what init does
 * to start one:
 *   t0  open a PD session (routed through init to core), make its own PD
 *       the child's reference account and transfer the child's quota;
 *   t1  ask core to start the binary "bench-spawn" in that PD
 *       (CN_PD_SPAWN: core clones, drops privileges, execs);
 *   t2  the spawn call returned;
 *   ti  the child's ELF constructors ran: its image is loaded and
 *       relocated, its libraries are initialised;
 *   t3  the child's cn_construct() began.
 * The child reads CLOCK_MONOTONIC at ti and first thing at t3 and reports
 * both in its first log message, which arrives at the LOG session this
 * parent serves it. Between ti and t3 the child's base library fetched
 * its PD and LOG capabilities from this parent and entered its sandbox,
 * so t3 marks a component ready to run. The session is then closed, which makes core
 * kill and reap the child and return its quota.
 *
 * Child role: the same binary under this parent, told apart by its config
 * ROM: the parent serves none, so cn_config() fails with -ENOENT.
 *
 * With <config spawns="N"/> (default 30, after 3 unmeasured warm-up
 * spawns) it logs
 *   bench-spawn: spawns=N median_us=X min_us=Y session_us=S call_us=C
 *                request_us=Q image_us=I startup_us=U
 * X, Y: median and minimum of t3 - t0; S: median of t1 - t0; C: of t2 - t1;
 * Q: of t3 - t1; I: of ti - t1; U: of t3 - ti. Then it exits with 0 (1 if a spawn failed, 2 on a
 * bad config). Driven by test/bench/bench_spawn.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/parent.h>
#include <cairn/pd.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	SPAWNS_DEFAULT = 30,
	SPAWNS_MAX = 1000,
	WARMUP_SPAWNS = 3,
	CHILD_RAM = 1 << 20,
	CHILD_CAPS = 50,
	CHILD_TIMEOUT_MS = 10000,
	EXIT_FAILED = 1,
	EXIT_CONFIG = 2,
};

static const char child_binary[] = "bench-spawn";

struct sample {
	double total_us, session_us, call_us, request_us, image_us, startup_us;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	uint64_t spawns;
	struct cn_obj *parent; /* the children's parent interface */
	struct cn_obj *log;    /* the children's LOG session */
	struct cn_sig *exit_sig;
	int child_pd;          /* the current child's PD, -1 between spawns */
	uint64_t image_ns;     /* when this process's ELF constructors ran */
	uint64_t construct_ns; /* reported by the current child, 0 until then */
	uint64_t child_image_ns;
	bool exit_requested, died;
	struct sample samples[SPAWNS_MAX];
	double column[SPAWNS_MAX];
} state = {.child_pd = -1};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The earliest point a component's own code runs. */
__attribute__((constructor)) static void
note_image_ready(void)
{
	state.image_ns = now_ns();
}

/* --- child role -------------------------------------------------------------- */

__attribute__((noreturn)) static void
child_role(struct cn_env *env, uint64_t constructed_ns)
{
	cn_log(env, "construct_ns=%llu image_ns=%llu", (unsigned long long)constructed_ns,
	       (unsigned long long)state.image_ns);
	cn_exit(env, 0);
}

/* --- the parent interface and LOG session served to the children ----------- */

static int
parent_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	uint32_t id;
	int32_t value;

	(void)obj;
	switch (rpc->opcode) {
	case CN_PARENT_SESSION_CAP:
		if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_end(rpc->in) < 0)
			return CN_ERR_BAD_MESSAGE;
		if (id == CN_ENV_PD && state.child_pd >= 0) {
			cn_msg_put_cap(rpc->out, state.child_pd);
			return CN_OK;
		}
		if (id == CN_ENV_LOG) {
			cn_msg_put_cap(rpc->out, cn_obj_cap(state.log));
			return CN_OK;
		}
		return CN_ERR_NOT_FOUND;
	case CN_PARENT_SESSION_SIGH:
		return CN_OK; /* every request is answered at once */
	case CN_PARENT_SESSION:
		return CN_ERR_DENIED; /* no config ROM: that makes the child role */
	case CN_PARENT_EXIT:
		if (cn_msg_get_i32(rpc->in, &value) < 0 || cn_msg_end(rpc->in) < 0)
			return CN_ERR_BAD_MESSAGE;
		if (value != 0)
			cn_error(state.env, "bench-spawn: a child exited with %d", value);
		state.exit_requested = true;
		return CN_OK;
	default:
		return CN_ERR_DENIED;
	}
}

static int
log_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	char text[CN_MSG_STR_MAX + 1];
	unsigned long long ns, image_ns;

	(void)obj;
	if (cn_log_request(rpc, text, sizeof(text)) < 0)
		return CN_ERR_BAD_MESSAGE;
	if (sscanf(text, "construct_ns=%llu image_ns=%llu", &ns, &image_ns) == 2 && ns &&
	    image_ns) {
		state.construct_ns = ns;
		state.child_image_ns = image_ns;
	} else
		cn_log(state.env, "child: %s", text);
	return CN_OK;
}

static void
child_exited(void *data, uint32_t count)
{
	(void)data;
	(void)count;
	state.died = true;
}

/* --- parent role ---------------------------------------------------------------- */

static int
request_spawn(int pd)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_SPAWN);
	cn_msg_put_str(&msg, child_binary);
	cn_msg_put_cap(&msg, cn_obj_cap(state.parent));
	cn_msg_put_cap(&msg, cn_sig_cap(state.exit_sig));
	r = cn_call(pd, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

/* Wait until the child reported its construct time and asked to exit. */
static int
await_child(void)
{
	while (!(state.construct_ns && state.exit_requested)) {
		int n;

		if (state.died)
			return -ECHILD;
		n = cn_ep_dispatch(state.env->ep, CHILD_TIMEOUT_MS);
		if (n < 0)
			return n;
		if (n == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

static int
spawn_one(struct sample *ret)
{
	struct cn_env *env = state.env;
	const char *step = "PD session";
	uint64_t t0, t1, t2;
	uint32_t id;
	int pd, r;

	state.construct_ns = state.child_image_ns = 0;
	state.exit_requested = state.died = false;

	t0 = now_ns();
	r = cn_session_open(env, "PD", "child", 0, 0, NULL, &pd, &id);
	if (r < 0)
		goto fail;
	state.child_pd = pd;
	step = "reference account";
	r = cn_pd_ref_account(pd, env->pd);
	if (r == 0) {
		step = "quota transfer";
		r = cn_pd_transfer_quota(env->pd, pd, CHILD_RAM, CHILD_CAPS);
	}
	t1 = now_ns();
	if (r == 0) {
		step = "spawn";
		r = request_spawn(pd);
	}
	t2 = now_ns();
	if (r == 0) {
		step = "start";
		r = await_child();
	}
	/* closing the PD ends the child and returns its quota to ours */
	cn_session_close(env, id);
	close(pd);
	state.child_pd = -1;
	if (r < 0)
		goto fail;
	*ret = (struct sample){
	    .total_us = (double)(state.construct_ns - t0) / 1000.0,
	    .session_us = (double)(t1 - t0) / 1000.0,
	    .call_us = (double)(t2 - t1) / 1000.0,
	    .request_us = (double)(state.construct_ns - t1) / 1000.0,
	    .image_us = (double)(state.child_image_ns - t1) / 1000.0,
	    .startup_us = (double)(state.construct_ns - state.child_image_ns) / 1000.0,
	};
	return 0;
fail:
	cn_error(env, "bench-spawn: %s of a child failed: %s", step,
	         r == -ECHILD ? "it died before it constructed" : strerror(-r));
	return r;
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

/* Median (and minimum) of the field at offset of every sample. */
static double
column_median(size_t offset, double *ret_min)
{
	size_t n = state.spawns;

	for (size_t i = 0; i < n; i++)
		memcpy(&state.column[i], (const char *)&state.samples[i] + offset, sizeof(double));
	sort_doubles(state.column, n);
	if (ret_min)
		*ret_min = state.column[0];
	return n % 2 ? state.column[n / 2] : (state.column[n / 2 - 1] + state.column[n / 2]) / 2;
}

static void
parent_role(struct cn_env *env)
{
	struct sample warmup;
	double min;
	int r;

	r = cn_obj_create(env->ep, parent_dispatch, NULL, &state.parent);
	if (r == 0)
		r = cn_obj_create(env->ep, log_dispatch, NULL, &state.log);
	if (r == 0)
		r = cn_sig_create(env->ep, child_exited, NULL, &state.exit_sig);
	if (r < 0) {
		cn_error(env, "bench-spawn: cannot create the children's objects: %s",
		         strerror(-r));
		cn_exit(env, EXIT_FAILED);
	}
	for (unsigned i = 0; i < WARMUP_SPAWNS; i++)
		if (spawn_one(&warmup) < 0)
			cn_exit(env, EXIT_FAILED);
	for (uint64_t i = 0; i < state.spawns; i++)
		if (spawn_one(&state.samples[i]) < 0)
			cn_exit(env, EXIT_FAILED);

	double total = column_median(offsetof(struct sample, total_us), &min);
	cn_log(env,
	       "bench-spawn: spawns=%llu median_us=%.1f min_us=%.1f session_us=%.1f "
	       "call_us=%.1f request_us=%.1f image_us=%.1f startup_us=%.1f",
	       (unsigned long long)state.spawns, total, min,
	       column_median(offsetof(struct sample, session_us), NULL),
	       column_median(offsetof(struct sample, call_us), NULL),
	       column_median(offsetof(struct sample, request_us), NULL),
	       column_median(offsetof(struct sample, image_us), NULL),
	       column_median(offsetof(struct sample, startup_us), NULL));
	cn_exit(env, 0);
}

void
cn_construct(struct cn_env *env)
{
	uint64_t constructed_ns = now_ns(); /* first: this is what a child reports */
	const struct cn_xml_node *root;
	int r;

	state.env = env;
	r = cn_config(env, &root);
	if (r == -ENOENT)
		child_role(env, constructed_ns);
	state.spawns = SPAWNS_DEFAULT;
	if (r < 0 ||
	    (cn_xml_has_attr(root, "spawns") &&
	     cn_xml_attr_u64(root, "spawns", &state.spawns) < 0) ||
	    state.spawns == 0 || state.spawns > SPAWNS_MAX) {
		cn_error(env, "bench-spawn: config wants 1 <= spawns <= %d", SPAWNS_MAX);
		cn_exit(env, EXIT_CONFIG);
	}
	parent_role(env);
}
