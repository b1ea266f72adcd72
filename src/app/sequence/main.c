/*
 * sequence: runs the <start> children of its config one after another, as
 * Genode's sequence. It is the parent of each child: it opens the child's
 * PD at core through its own parent, moves half of its free quota there,
 * spawns the binary and serves the child's parent interface. Every session
 * the child asks for is forwarded to sequence's parent, labelled with the
 * child's name, except the "config" ROM of a <start> with a <config>,
 * which sequence serves itself. No service of a child is propagated.
 *
 * A child that exits with 0 is followed by the next; one that fails ends
 * sequence with its exit value, unless keep_going is set.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/parent.h>
#include <cairn/pd.h>
#include <cairn/rom.h>
#include <cairn/xml.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	NAME_MAX_LEN = 128,      /* bytes of a child's or binary's name */
	CHILD_SESSIONS_MAX = 64, /* sessions one child may hold */
	MIN_CHILD_CAPS = 10,     /* a child needs a few caps to start */
	ENV_LOG_RAM = 8192,      /* the child's environment LOG session */
	ENV_LOG_CAPS = 2,
	MALFORMED_REPORTS_MAX = 16, /* log lines about malformed requests, in all */
};

enum session_state { SESSION_PENDING, SESSION_AVAILABLE, SESSION_DENIED };

/* The signal handlers a child registers with us. */
enum { SIGH_SESSION, SIGH_HEARTBEAT, SIGH_YIELD, SIGH_RESOURCE, SIGH_CONFIG, SIGH_COUNT };

/* A session of the child: forwarded to our parent, or its config ROM. */
struct session {
	uint32_t client_id;   /* the child's id */
	uint32_t parent_id;   /* ours at our parent; 0 for the config ROM */
	int cap;              /* at our parent; -1 while pending */
	struct cn_obj *local; /* the config ROM session, served here */
	enum session_state state;
	int error;          /* why it was denied */
	uint64_t ram, caps; /* the child's donation, which we passed on */
	struct session *next;
};

struct child {
	char name[NAME_MAX_LEN];
	char binary[NAME_MAX_LEN];
	const struct cn_xml_node *config; /* the <config> of its start node, or NULL */
	struct cn_ds config_ds;           /* its content, sealed; cap -1 if none */
	int pd, log;                      /* its PD at core and its LOG session, -1 if none */
	uint32_t pd_id, log_id;
	struct cn_obj *parent; /* the parent capability we hand it */
	struct cn_sig *exit_sig;
	struct session *sessions;
	unsigned session_count;
	int sigh[SIGH_COUNT]; /* -1 if not registered */
	bool exited;
	bool killed; /* ended by a signal or the sandbox: logged already */
	int exit_value;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	const struct cn_xml_node *config;
	const struct cn_xml_node *next_start; /* the <start> to run next, NULL: none */
	bool repeat, keep_going, restart;
	struct child *child;     /* the one running, or NULL */
	struct cn_sig *next_sig; /* start the next child, outside of any handler of the child */
	unsigned malformed_reports;
} state;

/* --- sessions of the child ------------------------------------------------ */

static struct session *
session_find(struct child *c, uint32_t id)
{
	for (struct session *s = c->sessions; s; s = s->next)
		if (s->client_id == id)
			return s;
	return NULL;
}

/* Forget a session; one at our parent is closed there and its donation
 * goes back to the child. */
static void
session_free(struct child *c, struct session *s, bool refund)
{
	for (struct session **p = &c->sessions; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	c->session_count--;
	if (s->parent_id && s->state != SESSION_DENIED)
		cn_session_close(state.env, s->parent_id);
	if (s->cap >= 0)
		close(s->cap);
	cn_obj_destroy(s->local);
	if (refund && (s->ram || s->caps))
		cn_pd_transfer_quota(state.env->pd, c->pd, s->ram, s->caps);
	free(s);
}

static void
signal_child(int sigh)
{
	if (sigh >= 0)
		cn_signal_submit(sigh, 1);
}

static int
config_rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct child *c = cn_obj_data(obj);

	return cn_rom_serve(rpc, c->config_ds.cap, c->config->src_len, &c->sigh[SIGH_CONFIG]);
}

static int
session_open(struct child *c, struct cn_rpc *rpc)
{
	struct cn_parent_session_request req;
	char full[CN_LABEL_MAX], fwd[CN_ARGS_MAX];
	struct session *s;
	int r;

	r = cn_parent_session_decode(rpc, &req);
	if (r < 0)
		return r;
	if (session_find(c, req.id))
		return CN_ERR_INVALID_ARG;
	if (c->session_count >= CHILD_SESSIONS_MAX)
		return CN_ERR_DENIED;
	if (cn_label_prefixed(c->name, req.label, full, sizeof(full)) < 0 ||
	    cn_args_set_str(req.args, "label", full, fwd, sizeof(fwd)) < 0)
		return CN_ERR_INVALID_ARG;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->client_id = req.id;
	s->cap = -1;
	if (c->config && strcmp(req.service, "ROM") == 0 &&
	    strcmp(cn_label_last(full), "config") == 0) {
		/* the config ROM, served here */
		r = cn_obj_create(state.env->ep, config_rom_dispatch, c, &s->local);
		if (r < 0) {
			free(s);
			return r;
		}
		s->state = SESSION_AVAILABLE;
	} else {
		/* the child pays: its donation moves to us, then on to our parent */
		r = cn_pd_transfer_quota(c->pd, state.env->pd, req.ram_quota, req.cap_quota);
		if (r < 0) {
			free(s);
			return r;
		}
		s->ram = req.ram_quota;
		s->caps = req.cap_quota;
		r = cn_session_request(state.env, req.service, fwd, &s->cap, &s->parent_id);
		if (r < 0 && r != CN_ERR_PENDING) {
			cn_pd_transfer_quota(state.env->pd, c->pd, s->ram, s->caps);
			free(s);
			return r;
		}
		s->state = r == 0 ? SESSION_AVAILABLE : SESSION_PENDING;
	}
	s->next = c->sessions;
	c->sessions = s;
	c->session_count++;
	if (s->state == SESSION_PENDING)
		return CN_ERR_PENDING;
	cn_msg_put_cap(rpc->out, s->local ? cn_obj_cap(s->local) : s->cap);
	return CN_OK;
}

/* Our parent signalled: sessions that were pending may be settled. */
static void
sessions_update(struct cn_env *env)
{
	struct child *c = state.child;
	bool changed = false;

	if (!c)
		return;
	for (struct session *s = c->sessions; s; s = s->next) {
		int r;

		if (s->state != SESSION_PENDING)
			continue;
		r = cn_session_cap(env, s->parent_id, &s->cap);
		if (r == CN_ERR_PENDING)
			continue;
		if (r < 0) {
			s->state = SESSION_DENIED;
			s->error = r;
		} else {
			s->state = SESSION_AVAILABLE;
		}
		changed = true;
	}
	if (changed)
		signal_child(c->sigh[SIGH_SESSION]);
}

static int
session_cap(struct child *c, struct cn_rpc *rpc)
{
	struct session *s;
	uint32_t id;
	int err;

	if (cn_parent_id_decode(rpc, &id) < 0)
		return CN_ERR_BAD_MESSAGE;
	if (id == CN_ENV_PD || id == CN_ENV_LOG) {
		cn_msg_put_cap(rpc->out, id == CN_ENV_PD ? c->pd : c->log);
		return CN_OK;
	}
	s = session_find(c, id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	switch (s->state) {
	case SESSION_AVAILABLE:
		cn_msg_put_cap(rpc->out, s->local ? cn_obj_cap(s->local) : s->cap);
		return CN_OK;
	case SESSION_DENIED:
		err = s->error;
		session_free(c, s, true);
		return err;
	default:
		return CN_ERR_PENDING;
	}
}

static int
session_close(struct child *c, struct cn_rpc *rpc)
{
	struct session *s;
	uint32_t id;

	if (cn_parent_id_decode(rpc, &id) < 0)
		return CN_ERR_BAD_MESSAGE;
	s = session_find(c, id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	session_free(c, s, true);
	return CN_OK;
}

/* More quota for a forwarded session: from the child, on to our parent. */
static int
session_upgrade(struct child *c, struct cn_rpc *rpc)
{
	char args[CN_ARGS_MAX];
	uint64_t ram = 0, caps = 0;
	struct session *s;
	uint32_t id;
	int r;

	if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_get_str(rpc->in, args, sizeof(args)) < 0 ||
	    cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	if (cn_args_valid(args) < 0 || cn_args_u64(args, "ram_quota", &ram) == -EINVAL ||
	    cn_args_u64(args, "cap_quota", &caps) == -EINVAL || caps > UINT32_MAX)
		return CN_ERR_INVALID_ARG;
	s = session_find(c, id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	if (s->local || s->state != SESSION_AVAILABLE)
		return CN_OK; /* nothing to pay for */
	r = cn_pd_transfer_quota(c->pd, state.env->pd, ram, caps);
	if (r == 0)
		r = cn_session_upgrade(state.env, s->parent_id, ram, (uint32_t)caps);
	if (r < 0) {
		cn_pd_transfer_quota(state.env->pd, c->pd, ram, caps);
		return r;
	}
	s->ram += ram;
	s->caps += caps;
	return CN_OK;
}

/* --- the child ----------------------------------------------------------- */

static void
child_destroy(struct child *c)
{
	while (c->sessions)
		session_free(c, c->sessions, false); /* its PD's quota returns to us anyway */
	if (c->config_ds.cap >= 0)
		cn_pd_free_ram(state.env->pd, &c->config_ds);
	/* closing the PD at core ends the process and returns its quota */
	if (c->pd >= 0) {
		cn_session_close(state.env, c->pd_id);
		close(c->pd);
	}
	if (c->log >= 0) {
		cn_session_close(state.env, c->log_id);
		close(c->log);
	}
	cn_obj_destroy(c->parent);
	cn_sig_destroy(c->exit_sig);
	for (int i = 0; i < SIGH_COUNT; i++)
		if (c->sigh[i] >= 0)
			close(c->sigh[i]);
	free(c);
}

/* The child is done (exit or death): go on, outside of its handlers. */
static void
child_ended(struct child *c, int value)
{
	if (c->exited)
		return;
	c->exited = true;
	c->exit_value = value;
	cn_signal_submit(cn_sig_cap(state.next_sig), 1);
}

static bool
no_args(struct cn_rpc *rpc)
{
	return cn_msg_end(rpc->in) == 0 && rpc->in->hdr.ncaps == 0;
}

/* Genode's sequence: what the child asks for comes from our own quota. */
static int
resource_request(struct child *c, struct cn_rpc *rpc)
{
	char args[CN_ARGS_MAX];
	uint64_t ram = 0, caps = 0;
	struct cn_pd_quota q;

	if (cn_msg_get_str(rpc->in, args, sizeof(args)) < 0 || !no_args(rpc) ||
	    cn_args_valid(args) < 0)
		return CN_ERR_BAD_MESSAGE;
	cn_args_u64(args, "ram_quota", &ram);
	cn_args_u64(args, "cap_quota", &caps);
	if (cn_pd_quota(state.env->pd, &q) == 0 && q.ram_quota - q.ram_used > ram &&
	    q.cap_quota - q.cap_used > caps &&
	    cn_pd_transfer_quota(state.env->pd, c->pd, ram, caps) == 0) {
		signal_child(c->sigh[SIGH_RESOURCE]);
		return CN_OK;
	}
	cn_warning(state.env, "child \"%s\" requests resources: %s (not available)", c->name, args);
	return CN_OK;
}

static int
child_parent_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct child *c = cn_obj_data(obj);
	int32_t value;

	if (c->exited)
		return CN_ERR_DENIED;
	switch (rpc->opcode) {
	case CN_PARENT_EXIT:
		if (cn_msg_get_i32(rpc->in, &value) < 0 || !no_args(rpc))
			return CN_ERR_BAD_MESSAGE;
		child_ended(c, value);
		return CN_OK;
	case CN_PARENT_SESSION:
		return session_open(c, rpc);
	case CN_PARENT_SESSION_CAP:
		return session_cap(c, rpc);
	case CN_PARENT_CLOSE:
		return session_close(c, rpc);
	case CN_PARENT_UPGRADE:
		return session_upgrade(c, rpc);
	case CN_PARENT_SESSION_SIGH:
		return cn_parent_sigh_replace(rpc, &c->sigh[SIGH_SESSION]);
	case CN_PARENT_HEARTBEAT_SIGH:
		return cn_parent_sigh_replace(rpc, &c->sigh[SIGH_HEARTBEAT]);
	case CN_PARENT_YIELD_SIGH:
		return cn_parent_sigh_replace(rpc, &c->sigh[SIGH_YIELD]);
	case CN_PARENT_RESOURCE_AVAIL_SIGH:
		return cn_parent_sigh_replace(rpc, &c->sigh[SIGH_RESOURCE]);
	case CN_PARENT_HEARTBEAT_RESPONSE:
	case CN_PARENT_YIELD_RESPONSE:
		return no_args(rpc) ? CN_OK : CN_ERR_BAD_MESSAGE;
	case CN_PARENT_YIELD_REQUEST:
		if (!no_args(rpc))
			return CN_ERR_BAD_MESSAGE;
		cn_msg_put_str(rpc->out, "ram_quota=0, cap_quota=0"); /* we never ask */
		return CN_OK;
	case CN_PARENT_RESOURCE_REQUEST:
		return resource_request(c, rpc);
	case CN_PARENT_ANNOUNCE:
	case CN_PARENT_REQUESTS_SIGH:
	case CN_PARENT_NEXT_REQUEST:
	case CN_PARENT_SESSION_RESPONSE:
	case CN_PARENT_DELIVER_SESSION:
		/* no service of a child is propagated, as in Genode */
		return CN_ERR_DENIED;
	default:
		return CN_ERR_INVALID_OPCODE;
	}
}

/* Core tells us the process ended; unless it exited through us, say how. */
static void
child_died(void *data, uint32_t count)
{
	struct child *c = data;
	char detail[CN_PD_DETAIL_MAX] = "";
	uint32_t st = CN_PD_RUNNING;
	int32_t value = 0;

	(void)count;
	if (c->exited)
		return;
	if (cn_pd_exit_status(c->pd, &st, &value, detail, sizeof(detail)) < 0)
		return;
	if (st == CN_PD_RUNNING || st == CN_PD_NOT_STARTED)
		return;
	c->killed = st != CN_PD_EXITED;
	if (st == CN_PD_SANDBOX_KILLED)
		cn_error(state.env, "child \"%s\" was killed: forbidden system call %s", c->name,
		         detail);
	else if (st == CN_PD_SIGNALED)
		cn_error(state.env, "child \"%s\" was killed by signal %s", c->name, detail);
	child_ended(c, st == CN_PD_EXITED ? value : 1);
}

/* Half of what we have left, as Genode's sequence gives each child. */
static int
child_quota(uint64_t *ret_ram, uint64_t *ret_caps)
{
	struct cn_pd_quota q;
	int r = cn_pd_quota(state.env->pd, &q);

	if (r < 0)
		return r;
	*ret_ram = (q.ram_quota - q.ram_used) / 2 / CN_PAGE_SIZE * CN_PAGE_SIZE;
	*ret_caps = (q.cap_quota - q.cap_used) / 2;
	return *ret_caps < MIN_CHILD_CAPS || *ret_ram == 0 ? CN_ERR_OUT_OF_RAM : 0;
}

static int
child_spawn(struct child *c)
{
	uint64_t ram, caps;
	int r;

	r = child_quota(&ram, &caps);
	if (r == 0)
		r = cn_session_open(state.env, "PD", c->name, 0, 0, NULL, &c->pd, &c->pd_id);
	if (r == 0)
		r = cn_pd_ref_account(c->pd, state.env->pd);
	if (r == 0)
		r = cn_pd_transfer_quota(state.env->pd, c->pd, ram, caps);
	if (r == 0)
		r = cn_session_open(state.env, "LOG", c->name, ENV_LOG_RAM, ENV_LOG_CAPS, NULL,
		                    &c->log, &c->log_id);
	if (r == 0 && c->config)
		r = cn_pd_alloc_sealed(state.env->pd, c->config->src, c->config->src_len,
		                       &c->config_ds);
	if (r == 0)
		r = cn_obj_create(state.env->ep, child_parent_dispatch, c, &c->parent);
	if (r == 0)
		r = cn_sig_create(state.env->ep, child_died, c, &c->exit_sig);
	if (r == 0)
		r = cn_pd_spawn(c->pd, c->binary, -1, cn_obj_cap(c->parent),
		                cn_sig_cap(c->exit_sig));
	if (r == CN_ERR_NOT_FOUND)
		cn_error(state.env, "%s: binary \"%s\" is not a ROM module", c->name, c->binary);
	return r < 0 ? r : 0;
}

static struct child *
child_create(const struct cn_xml_node *start)
{
	const struct cn_xml_node *binary = cn_xml_child(start, "binary");
	struct child *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pd = c->log = -1;
	c->config_ds.cap = -1;
	for (int i = 0; i < SIGH_COUNT; i++)
		c->sigh[i] = -1;
	cn_xml_attr_str(start, "name", c->name, sizeof(c->name)); /* checked before */
	if (!binary || cn_xml_attr_str(binary, "name", c->binary, sizeof(c->binary)) < 0 ||
	    !c->binary[0])
		snprintf(c->binary, sizeof(c->binary), "%s", c->name);
	c->config = cn_xml_child(start, "config");
	return c;
}

/* --- the sequence -------------------------------------------------------- */

static void
finish(int value)
{
	cn_exit(state.env, value);
}

/* Start the next <start> node's child; at the end, start over or exit. */
static void
start_next(void)
{
	for (;;) {
		const struct cn_xml_node *start = state.next_start;
		struct child *c;
		int r;

		if (!start) {
			if (!state.repeat)
				finish(0);
			state.next_start = cn_xml_child(state.config, "start");
			continue;
		}
		state.next_start = cn_xml_next(start, "start");
		c = child_create(start);
		if (!c) {
			cn_error(state.env, "out of memory");
			finish(3);
		}
		r = child_spawn(c);
		if (r == 0) {
			state.child = c;
			return;
		}
		cn_error(state.env, "%s: child creation failed: %s", c->name, cn_strerror(r));
		child_destroy(c);
		if (!state.keep_going)
			finish(1);
		if (state.restart)
			state.next_start = cn_xml_child(state.config, "start");
	}
}

static void
next_child(void *data, uint32_t count)
{
	struct child *c = state.child;

	(void)data;
	(void)count;
	if (!c || !c->exited)
		return;
	state.child = NULL;
	if (c->exit_value != 0) {
		/* Genode's words */
		if (!c->killed)
			cn_error(state.env, "child \"%s\" exited with exit value %d", c->name,
			         c->exit_value);
		if (!state.keep_going) {
			int value = c->exit_value;

			child_destroy(c);
			finish(value);
		}
		if (state.restart)
			state.next_start = cn_xml_child(state.config, "start");
	}
	child_destroy(c);
	start_next();
}

/* --- config -------------------------------------------------------------- */

static void
read_config(void)
{
	unsigned errors = 0, starts = 0;
	int r;

	r = cn_config(state.env, &state.config);
	if (r < 0) {
		cn_error(state.env, "no valid config: %s", cn_strerror(r));
		finish(2);
	}
	const struct {
		const char *name;
		bool *value;
	} flags[] = {{"repeat", &state.repeat},
	             {"keep_going", &state.keep_going},
	             {"restart", &state.restart}};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (cn_xml_attr_bool(state.config, flags[i].name, flags[i].value) == -EINVAL) {
			cn_config_error(state.env, state.config, "invalid value of '%s'",
			                flags[i].name);
			errors++;
		}
	}
	cn_xml_for_each(node, state.config, NULL)
	{
		char name[NAME_MAX_LEN];

		if (!cn_xml_is(node, "start")) {
			cn_warning(state.env, "config:%u:%u: unknown node <%.*s>, ignored",
			           node->line, node->column, (int)node->name_len, node->name);
			continue;
		}
		starts++;
		r = cn_xml_attr_str(node, "name", name, sizeof(name));
		if (r < 0 || !name[0] || strchr(name, '>')) {
			cn_config_error(state.env, node, "<start> lacks a valid 'name' attribute");
			errors++;
		}
	}
	if (errors) {
		cn_error(state.env, "config rejected: %u error%s", errors, errors == 1 ? "" : "s");
		finish(2);
	}
	if (!starts)
		cn_warning(state.env, "config has no <start> node");
	state.next_start = cn_xml_child(state.config, "start");
}

/* Every object of ours belongs to a child (its parent capability or its
 * config ROM session): name the child that sent garbage. */
static void
malformed_request(void *data, struct cn_obj *obj, int err)
{
	struct child *c = cn_obj_data(obj);

	(void)data;
	if (!c || state.malformed_reports >= MALFORMED_REPORTS_MAX)
		return;
	state.malformed_reports++;
	cn_warning(state.env, "%s: dropped a malformed request: %s%s", c->name, cn_strerror(err),
	           state.malformed_reports == MALFORMED_REPORTS_MAX
	               ? " (further ones are not reported)"
	               : "");
}

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	cn_ep_set_error_handler(env->ep, malformed_request, NULL);
	/* the config is read once, as in Genode */
	read_config();
	r = cn_sig_create(env->ep, next_child, NULL, &state.next_sig);
	if (r == 0)
		r = cn_session_watch(env, sessions_update);
	if (r < 0) {
		cn_error(env, "cannot set up: %s", cn_strerror(r));
		finish(3);
	}
	start_next();
}
