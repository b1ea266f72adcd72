/*
 * test-resource_yield: Genode's test of the yield protocol between a
 * parent and its child (os/src/test/resource_yield), one binary in two
 * roles.
 *
 * The parent (the default role) starts its own binary as a child named
 * "child" with 10 MiB and 50 caps, serving the child's parent interface
 * itself: the child's "config" ROM is <config child="yes" period_ms=".."/>,
 * every other session is forwarded to our parent, labelled
 * "child -> <label>". Every tick (a second in Genode) it logs the child's
 * quota; after five ticks it notes the child's used RAM and asks it to
 * yield "ram_quota=5M". When the child answers, the child's used RAM must
 * have dropped by at least 5 MiB ("Error: child has not yielded enough
 * resources", exit 1, otherwise). After four rounds:
 * "--- test-resource_yield finished ---", exit 0.
 *
 * The child allocates 1 MiB dataspaces, one every period, until less than
 * 1 MiB is left; on a yield request it frees chunks until it has released
 * what was asked, answers, and goes on allocating.
 *
 * Config: <config child="yes|no" period_ms="500" tick_ms="1000"/>: the
 * role, the child's allocation period (handed on to the child) and the
 * parent's tick; the defaults are Genode's timing.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/parent.h>
#include <cairn/pd.h>
#include <cairn/rom.h>
#include <cairn/timer.h>
#include <cairn/wire.h>
#include <cairn/xml.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sub_init.h"

enum {
	CHUNK_SIZE = 1024 * 1024, /* what the child allocates at a time */
	CHUNKS_MAX = 64,          /* chunks the child may hold */
	CHILD_RAM = 10 * 1024 * 1024,
	CHILD_CAPS = 50,
	YIELD_RAM = 5 * 1024 * 1024, /* what the parent asks back */
	WAIT_TICKS = 5,              /* ticks before each yield request */
	ROUNDS = 3,                  /* yield rounds after the first */
	ENV_LOG_RAM = 8192,          /* the child's LOG session, paid by us */
	ENV_LOG_CAPS = 2,
	CHILD_SESSIONS_MAX = 8, /* sessions the child may hold besides PD and LOG */
	CONFIG_MAX = 128,
	DEFAULT_PERIOD_MS = 500,
	DEFAULT_TICK_MS = 1000,
};

enum session_state { FREE = 0, PENDING, AVAILABLE, DENIED };

/* A session of the child: its config ROM, served here, or one forwarded. */
struct session {
	enum session_state state;
	uint32_t client_id, parent_id;
	int cap;              /* at our parent, -1 if none */
	struct cn_obj *local; /* the config ROM */
	int error;
	uint64_t ram, caps; /* the child's donation, passed on */
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_timer *timer;
	struct cn_sig *timer_sig;
	uint64_t period_ms, tick_ms;
	/* child role */
	struct cn_ds chunks[CHUNKS_MAX];
	unsigned num_chunks;
	/* parent role */
	int child_pd, child_log;
	uint32_t child_pd_id, child_log_id;
	struct cn_obj *child_parent;
	struct cn_sig *child_exit_sig, *response_sig;
	int child_sigh_session, child_sigh_yield; /* -1 if none */
	struct cn_ds child_config;
	size_t child_config_len;
	int child_config_sigh;
	struct session sessions[CHILD_SESSIONS_MAX];
	unsigned wait_cnt, cnt;
	bool yield_requested;
	uint64_t used_prior_yield;
} state;

static __attribute__((noreturn)) void
fail(const char *what, int r)
{
	cn_error(state.env, "%s: %s", what, cn_strerror(r));
	cn_exit(state.env, 1);
}

static int
open_timer(void (*fn)(void *data, uint32_t count))
{
	int r = cn_timer_open(state.env, "", &state.timer);

	if (r == 0)
		r = cn_sig_create(state.env->ep, fn, NULL, &state.timer_sig);
	if (r == 0)
		r = cn_timer_sigh(state.timer, cn_sig_cap(state.timer_sig));
	return r;
}

/* --- child role ------------------------------------------------------------ */

static void
schedule_next_allocation(void)
{
	cn_timer_trigger_once(state.timer, state.period_ms * 1000);
}

static void
allocate_chunk(void *data, uint32_t count)
{
	struct cn_pd_quota q = {0};
	int r;

	(void)data;
	(void)count;
	cn_pd_quota(state.env->pd, &q);
	if (q.ram_quota - q.ram_used < CHUNK_SIZE || state.num_chunks == CHUNKS_MAX) {
		cn_log(state.env, "consumed all of our quota, stop allocating");
		return;
	}
	r = cn_pd_alloc_ram(state.env->pd, CHUNK_SIZE, &state.chunks[state.num_chunks]);
	if (r < 0)
		fail("chunk allocation", r);
	state.num_chunks++;
	cn_log(state.env, "allocated chunk of %d KiB", CHUNK_SIZE / 1024);
	schedule_next_allocation();
}

/* The library fetched the request; it answers the parent when we return. */
static void
handle_yield(struct cn_env *env, uint64_t ram_quota, uint64_t cap_quota)
{
	uint64_t released = 0;
	char num[32];

	(void)cap_quota;
	cn_log(env, "yield request: ram_quota=%s", test_bytes(ram_quota, num, sizeof(num)));
	while (released < ram_quota) {
		struct cn_ds *chunk;

		if (!state.num_chunks) {
			cn_warning(env, "no chunk left to release");
			break;
		}
		chunk = &state.chunks[--state.num_chunks];
		released += chunk->size;
		cn_log(env, "released chunk of %zu bytes", chunk->size);
		cn_pd_free_ram(env->pd, chunk);
	}
	schedule_next_allocation();
}

static void
run_child(void)
{
	int r;

	cn_log(state.env, "--- test-resource_yield child role started ---");
	r = cn_yield_watch(state.env, handle_yield);
	if (r == 0)
		r = open_timer(allocate_chunk);
	if (r < 0)
		fail("setup", r);
	schedule_next_allocation();
}

/* --- parent role: the child's sessions -------------------------------------- */

static struct session *
session_find(uint32_t id)
{
	for (unsigned i = 0; i < CHILD_SESSIONS_MAX; i++)
		if (state.sessions[i].state != FREE && state.sessions[i].client_id == id)
			return &state.sessions[i];
	return NULL;
}

/* Forget a session; a forwarded one is closed, its donation refunded. */
static void
session_free(struct session *s)
{
	if (s->parent_id && s->state != DENIED)
		cn_session_close(state.env, s->parent_id);
	if (s->cap >= 0)
		close(s->cap);
	cn_obj_destroy(s->local);
	if (s->ram || s->caps)
		cn_pd_transfer_quota(state.env->pd, state.child_pd, s->ram, s->caps);
	*s = (struct session){0};
}

static int
config_rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	(void)obj;
	return cn_rom_serve(rpc, state.child_config.cap, state.child_config_len,
	                    &state.child_config_sigh);
}

static int
session_open(struct cn_rpc *rpc)
{
	struct cn_parent_session_request req;
	char full[CN_LABEL_MAX], fwd[CN_ARGS_MAX];
	struct session *s = NULL;
	int r;

	r = cn_parent_session_decode(rpc, &req);
	if (r < 0)
		return r;
	if (session_find(req.id))
		return CN_ERR_INVALID_ARG;
	for (unsigned i = 0; i < CHILD_SESSIONS_MAX && !s; i++)
		if (state.sessions[i].state == FREE)
			s = &state.sessions[i];
	if (!s)
		return CN_ERR_DENIED;
	if (cn_label_prefixed("child", req.label, full, sizeof(full)) < 0 ||
	    cn_args_set_str(req.args, "label", full, fwd, sizeof(fwd)) < 0)
		return CN_ERR_INVALID_ARG;
	*s = (struct session){.client_id = req.id, .cap = -1};
	if (strcmp(req.service, "ROM") == 0 && strcmp(full, "child -> config") == 0) {
		r = cn_obj_create(state.env->ep, config_rom_dispatch, NULL, &s->local);
		if (r < 0)
			return r;
		s->state = AVAILABLE;
		cn_msg_put_cap(rpc->out, cn_obj_cap(s->local));
		return CN_OK;
	}
	/* the child pays: its donation moves to us, then on to our parent */
	r = cn_pd_transfer_quota(state.child_pd, state.env->pd, req.ram_quota, req.cap_quota);
	if (r < 0)
		return r;
	s->ram = req.ram_quota;
	s->caps = req.cap_quota;
	r = cn_session_request(state.env, req.service, fwd, &s->cap, &s->parent_id);
	if (r < 0 && r != CN_ERR_PENDING) {
		s->parent_id = 0;
		session_free(s);
		return r;
	}
	s->state = r == 0 ? AVAILABLE : PENDING;
	if (s->state == PENDING)
		return CN_ERR_PENDING;
	cn_msg_put_cap(rpc->out, s->cap);
	return CN_OK;
}

/* Our parent signalled: forwarded sessions may be settled. */
static void
sessions_update(struct cn_env *env)
{
	bool changed = false;

	for (unsigned i = 0; i < CHILD_SESSIONS_MAX; i++) {
		struct session *s = &state.sessions[i];
		int r;

		if (s->state != PENDING)
			continue;
		r = cn_session_cap(env, s->parent_id, &s->cap);
		if (r == CN_ERR_PENDING)
			continue;
		s->state = r < 0 ? DENIED : AVAILABLE;
		s->error = r;
		changed = true;
	}
	if (changed && state.child_sigh_session >= 0)
		cn_signal_submit(state.child_sigh_session, 1);
}

static int
session_cap(struct cn_rpc *rpc)
{
	struct session *s;
	uint32_t id;
	int err;

	if (cn_parent_id_decode(rpc, &id) < 0)
		return CN_ERR_BAD_MESSAGE;
	if (id == CN_ENV_PD || id == CN_ENV_LOG) {
		cn_msg_put_cap(rpc->out, id == CN_ENV_PD ? state.child_pd : state.child_log);
		return CN_OK;
	}
	s = session_find(id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	if (s->state == PENDING)
		return CN_ERR_PENDING;
	if (s->state == DENIED) {
		err = s->error;
		session_free(s);
		return err;
	}
	cn_msg_put_cap(rpc->out, s->local ? cn_obj_cap(s->local) : s->cap);
	return CN_OK;
}

static int
session_close(struct cn_rpc *rpc)
{
	struct session *s;
	uint32_t id;

	if (cn_parent_id_decode(rpc, &id) < 0)
		return CN_ERR_BAD_MESSAGE;
	s = session_find(id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	session_free(s);
	return CN_OK;
}

static bool
no_args(struct cn_rpc *rpc)
{
	return cn_msg_end(rpc->in) == 0 && rpc->in->hdr.ncaps == 0;
}

static int
child_parent_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	int32_t value;

	(void)obj;
	switch (rpc->opcode) {
	case CN_PARENT_EXIT:
		if (cn_msg_get_i32(rpc->in, &value) < 0 || !no_args(rpc))
			return CN_ERR_BAD_MESSAGE;
		cn_error(state.env, "child exited with exit value %d", value);
		cn_exit(state.env, 1);
	case CN_PARENT_SESSION:
		return session_open(rpc);
	case CN_PARENT_SESSION_CAP:
		return session_cap(rpc);
	case CN_PARENT_CLOSE:
		return session_close(rpc);
	case CN_PARENT_UPGRADE:
		return CN_ERR_DENIED; /* the child's sessions need none */
	case CN_PARENT_SESSION_SIGH:
		return cn_parent_sigh_replace(rpc, &state.child_sigh_session);
	case CN_PARENT_YIELD_SIGH:
		return cn_parent_sigh_replace(rpc, &state.child_sigh_yield);
	case CN_PARENT_YIELD_REQUEST:
		if (!no_args(rpc))
			return CN_ERR_BAD_MESSAGE;
		cn_msg_put_str(rpc->out, state.yield_requested ? "ram_quota=5M" : "");
		return CN_OK;
	case CN_PARENT_YIELD_RESPONSE:
		if (!no_args(rpc))
			return CN_ERR_BAD_MESSAGE;
		/* checked outside of the child's call */
		cn_signal_submit(cn_sig_cap(state.response_sig), 1);
		return CN_OK;
	case CN_PARENT_HEARTBEAT_SIGH:
	case CN_PARENT_RESOURCE_AVAIL_SIGH: {
		int sigh = -1; /* we never signal either */
		int r = cn_parent_sigh_replace(rpc, &sigh);

		if (sigh >= 0)
			close(sigh);
		return r;
	}
	case CN_PARENT_HEARTBEAT_RESPONSE:
	case CN_PARENT_RESOURCE_REQUEST:
		/* as Genode's Child_policy: a request is not answered */
		return CN_OK;
	default:
		/* the child provides no service to anyone */
		return CN_ERR_DENIED;
	}
}

/* Core says the child's process ended without telling us. */
static void
child_died(void *data, uint32_t count)
{
	char detail[CN_PD_DETAIL_MAX] = "";
	uint32_t st = CN_PD_RUNNING;
	int32_t value = 0;

	(void)data;
	(void)count;
	if (cn_pd_exit_status(state.child_pd, &st, &value, detail, sizeof(detail)) < 0 ||
	    st == CN_PD_RUNNING || st == CN_PD_NOT_STARTED)
		return;
	cn_error(state.env, "child ended unexpectedly (state %u, value %d%s%s)", st, value,
	         detail[0] ? ", " : "", detail);
	cn_exit(state.env, 1);
}

/* --- parent role: the test --------------------------------------------------- */

static void
child_quota(struct cn_pd_quota *q)
{
	*q = (struct cn_pd_quota){0};
	cn_pd_quota(state.child_pd, q);
}

static void
print_status(void)
{
	struct cn_pd_quota q;

	child_quota(&q);
	cn_log(state.env, "quota: %" PRIu64 " KiB  used: %" PRIu64 " KiB", q.ram_quota / 1024,
	       q.ram_used / 1024);
}

static void
schedule_tick(void)
{
	cn_log(state.env, "wait %u/%u", state.wait_cnt, WAIT_TICKS);
	cn_timer_trigger_once(state.timer, state.tick_ms * 1000);
}

static void
start_round(void)
{
	state.yield_requested = false;
	state.wait_cnt = 0;
	schedule_tick();
}

static void
request_yield(void)
{
	struct cn_pd_quota q;

	child_quota(&q);
	state.used_prior_yield = q.ram_used;
	cn_log(state.env, "request yield (ram prior yield: %" PRIu64, state.used_prior_yield);
	state.yield_requested = true;
	if (state.child_sigh_yield >= 0)
		cn_signal_submit(state.child_sigh_yield, 1);
}

static void
handle_tick(void *data, uint32_t count)
{
	(void)data;
	(void)count;
	print_status();
	if (++state.wait_cnt >= WAIT_TICKS)
		request_yield();
	else
		schedule_tick();
}

static void
handle_yield_response(void *data, uint32_t count)
{
	struct cn_pd_quota q;

	(void)data;
	(void)count;
	if (!state.yield_requested)
		return;
	state.yield_requested = false;
	cn_log(state.env, "got yield response");
	print_status();
	child_quota(&q);
	if (q.ram_used + YIELD_RAM > state.used_prior_yield) {
		cn_error(state.env, "child has not yielded enough resources");
		cn_exit(state.env, 1);
	}
	if (state.cnt++ < ROUNDS) {
		start_round();
		return;
	}
	cn_log(state.env, "--- test-resource_yield finished ---");
	cn_exit(state.env, 0);
}

static int
spawn_child(void)
{
	char config[CONFIG_MAX];
	int len, r;

	len = snprintf(config, sizeof(config), "<config child=\"yes\" period_ms=\"%" PRIu64 "\"/>",
	               state.period_ms);
	r = cn_pd_alloc_sealed(state.env->pd, config, (size_t)len, &state.child_config);
	state.child_config_len = (size_t)len;
	if (r == 0)
		r = cn_session_open(state.env, "PD", "child", 0, 0, NULL, &state.child_pd,
		                    &state.child_pd_id);
	if (r == 0)
		r = cn_pd_ref_account(state.child_pd, state.env->pd);
	if (r == 0)
		r = cn_pd_transfer_quota(state.env->pd, state.child_pd, CHILD_RAM, CHILD_CAPS);
	if (r == 0)
		r = cn_session_open(state.env, "LOG", "child", ENV_LOG_RAM, ENV_LOG_CAPS, NULL,
		                    &state.child_log, &state.child_log_id);
	if (r == 0)
		r = cn_obj_create(state.env->ep, child_parent_dispatch, NULL, &state.child_parent);
	if (r == 0)
		r = cn_sig_create(state.env->ep, child_died, NULL, &state.child_exit_sig);
	if (r == 0)
		r = cn_pd_spawn(state.child_pd, state.env->name, -1, cn_obj_cap(state.child_parent),
		                cn_sig_cap(state.child_exit_sig));
	return r;
}

static void
run_parent(void)
{
	int r;

	cn_log(state.env, "--- test-resource_yield parent role started ---");
	state.child_pd = state.child_log = -1;
	state.child_sigh_session = state.child_sigh_yield = state.child_config_sigh = -1;
	r = open_timer(handle_tick);
	if (r == 0)
		r = cn_sig_create(state.env->ep, handle_yield_response, NULL, &state.response_sig);
	if (r == 0)
		r = cn_session_watch(state.env, sessions_update);
	if (r == 0)
		r = spawn_child();
	if (r < 0)
		fail("cannot start the child", r);
	start_round();
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config = NULL;
	bool child = false;

	state.env = env;
	state.period_ms = DEFAULT_PERIOD_MS;
	state.tick_ms = DEFAULT_TICK_MS;
	if (cn_config(env, &config) == 0) {
		cn_xml_attr_bool(config, "child", &child);
		cn_xml_attr_u64(config, "period_ms", &state.period_ms);
		cn_xml_attr_u64(config, "tick_ms", &state.tick_ms);
	}
	if (child)
		run_child();
	else
		run_parent();
}
