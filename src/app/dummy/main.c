/*
 * dummy: Genode's config-driven test component. It executes the nodes of
 * its <config> in order (log, exit, serve LOG, open LOG sessions, consume
 * RAM and caps, sleep) and runs them again whenever the config ROM comes
 * with a new version attribute.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/parent.h>
#include <cairn/pd.h>
#include <cairn/service.h>
#include <cairn/timer.h>
#include <cairn/xml.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	NODE_NAME_MAX = 64,
	VERSION_MAX = 128,      /* bytes of the config's version attribute */
	LOG_STRING_MAX = 2048,  /* bytes of a <log string> */
	LOG_SESSION_RAM = 8192, /* what Genode's Log_connection donates */
	LOG_SESSION_CAPS = 1,
	/* what a client must donate for a session of our LOG service */
	LOG_SESSION_RAM_MIN = 4096,
	LOG_SESSION_CAPS_MIN = 1,
	LOG_SESSIONS_MAX = 64,      /* sessions of our LOG service */
	LOG_CONNECTIONS_MAX = 128,  /* <create_log_connections count> */
	CONSUME_CAPS_MAX = 100,     /* <consume_caps amount>, as Genode's */
	SLEEP_MS_DEFAULT = 100,     /* <sleep> without ms, as Genode's */
	SLEEP_MS_MAX = 3600 * 1000, /* an hour */
};

struct log_session {
	struct cn_obj *obj; /* its capability is the session capability */
	char label[CN_LABEL_MAX];
	bool reported; /* a malformed request was logged already */
};

struct log_connection {
	int cap;
	uint32_t id;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;

	/* config handling */
	unsigned config_count; /* config versions executed by this process */
	char version[VERSION_MAX];
	bool running;  /* a config run is in progress (it may block) */
	bool rerun;    /* the config changed meanwhile */
	bool sleeping; /* <sleep_forever/> was executed */
	struct cn_timer *sleep_timer;

	/* <log_service> */
	bool log_service;
	bool verbose;
	uint64_t delay_close_ms;
	unsigned log_sessions;
	struct cn_timer *close_timer;

	/* <create_log_connections> */
	bool connections_created;
	struct log_connection connections[LOG_CONNECTIONS_MAX];
	unsigned connection_count;

	/* <consume_ram> and <consume_caps> */
	bool resources_granted; /* our resource request was answered */
	struct cn_ds ram;
	uint64_t ram_amount;
	struct cn_ds caps[CONSUME_CAPS_MAX];
	unsigned caps_amount;
} state;

/* --- helpers ----------------------------------------------------------- */

static void
node_name(const struct cn_xml_node *node, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", (int)node->name_len, node->name);
}

/* Genode's Number_of_bytes: a K/M/G suffix when the value is a multiple. */
static const char *
format_bytes(uint64_t n, char *buf, size_t size)
{
	static const struct {
		uint64_t unit;
		const char *suffix;
	} units[] = {{1ull << 30, "G"}, {1ull << 20, "M"}, {1ull << 10, "K"}};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (n >= units[i].unit && n % units[i].unit == 0) {
			snprintf(buf, size, "%" PRIu64 "%s", n / units[i].unit, units[i].suffix);
			return buf;
		}
	}
	snprintf(buf, size, "%" PRIu64, n);
	return buf;
}

static void
bad_attribute(const struct cn_xml_node *node, const char *attr, const char *why)
{
	char name[NODE_NAME_MAX], value[64];

	node_name(node, name, sizeof(name));
	if (cn_xml_attr_str(node, attr, value, sizeof(value)) < 0)
		snprintf(value, sizeof(value), "...");
	cn_error(state.env, "<%s>: attribute %s=\"%s\" %s", name, attr, value, why);
}

/* Number attribute (Genode syntax, K/M/G) in [min, max]; def if absent.
 * On a bad value the error names node and attribute. */
static int
attr_number(const struct cn_xml_node *node, const char *attr, uint64_t def, uint64_t min,
            uint64_t max, uint64_t *ret)
{
	char why[96], a[32], b[32];
	uint64_t v;
	int r;

	r = cn_xml_attr_u64(node, attr, &v);
	if (r == -ENOENT) {
		*ret = def;
		return 0;
	}
	if (r < 0) {
		bad_attribute(node, attr, "is not a number");
		return -EINVAL;
	}
	if (v < min || v > max) {
		snprintf(why, sizeof(why), "is out of range (%s..%s)",
		         format_bytes(min, a, sizeof(a)), format_bytes(max, b, sizeof(b)));
		bad_attribute(node, attr, why);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int
attr_required(const struct cn_xml_node *node, const char *attr)
{
	char name[NODE_NAME_MAX];

	if (cn_xml_has_attr(node, attr))
		return 0;
	node_name(node, name, sizeof(name));
	cn_error(state.env, "<%s>: attribute %s is missing", name, attr);
	return -EINVAL;
}

/* --- <log_service>: a LOG service printing "[<label>] <text>" ------------ */

static int
log_session_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct log_session *s = cn_obj_data(obj);
	char text[CN_MSG_STR_MAX + 1];
	const char *line;
	int r = cn_log_request(rpc, text, sizeof(text));

	if (r < 0) {
		if (!s->reported && r == CN_ERR_INVALID_OPCODE)
			cn_warning(state.env, "LOG session \"%s\": unknown request %d", s->label,
			           (int)rpc->opcode);
		else if (!s->reported)
			cn_warning(state.env, "LOG session \"%s\": malformed write", s->label);
		s->reported = true;
		return r;
	}
	/* One line of ours per line of the client's; a trailing newline (as
	 * Genode's clients send) adds none. */
	line = text;
	while (*line) {
		size_t len = strcspn(line, "\n");

		cn_log(state.env, "[%s] %.*s", s->label, (int)len, line);
		line += len;
		if (*line == '\n')
			line++;
	}
	return CN_OK;
}

static int
log_session_create(void *data, const struct cn_session_request *req, void **ret_session,
                   int *ret_cap)
{
	struct log_session *s;

	(void)data;
	if (req->ram_quota < LOG_SESSION_RAM_MIN)
		return CN_ERR_INSUFFICIENT_RAM;
	if (req->cap_quota < LOG_SESSION_CAPS_MIN)
		return CN_ERR_INSUFFICIENT_CAPS;
	if (state.log_sessions == LOG_SESSIONS_MAX) {
		cn_warning(state.env, "LOG session for \"%s\" denied: %d sessions open already",
		           req->label, LOG_SESSIONS_MAX);
		return CN_ERR_DENIED;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_INSUFFICIENT_RAM;
	if (cn_obj_create(state.env->ep, log_session_dispatch, s, &s->obj) < 0) {
		free(s);
		return CN_ERR_INSUFFICIENT_CAPS;
	}
	snprintf(s->label, sizeof(s->label), "%s", req->label);
	state.log_sessions++;
	if (state.verbose)
		cn_log(state.env, "opening session with label %s", s->label);
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

static void
log_session_upgrade(void *data, void *session, uint64_t ram_quota, uint64_t cap_quota)
{
	(void)data;
	(void)session;
	(void)ram_quota;
	(void)cap_quota;
	cn_log(state.env, "received session quota upgrade");
}

static void
log_session_close(void *data, void *session)
{
	struct log_session *s = session;
	int r;

	(void)data;
	if (state.delay_close_ms) {
		cn_log(state.env, "delay close by %" PRIu64 " ms", state.delay_close_ms);
		r = state.close_timer ? 0 : cn_timer_open(state.env, "", &state.close_timer);
		if (r == 0)
			r = cn_timer_usleep(state.close_timer, state.delay_close_ms * 1000);
		if (r < 0)
			cn_error(state.env, "cannot delay the close: no timer: %s", strerror(-r));
	} else {
		cn_log(state.env, "close session without delay");
	}
	if (state.verbose)
		cn_log(state.env, "closing session with label %s", s->label);
	cn_obj_destroy(s->obj);
	free(s);
	state.log_sessions--;
}

static const struct cn_service_ops log_service_ops = {
    .create = log_session_create,
    .upgrade = log_session_upgrade,
    .close = log_session_close,
};

static void
run_log_service(const struct cn_xml_node *node)
{
	uint64_t delay;
	bool verbose = false;
	int r;

	r = cn_xml_attr_bool(node, "verbose", &verbose);
	if (r == -EINVAL) {
		bad_attribute(node, "verbose", "is not a boolean");
		return;
	}
	if (attr_number(node, "delay_close_ms", 0, 0, SLEEP_MS_MAX, &delay) < 0)
		return;
	state.verbose = verbose;
	state.delay_close_ms = delay;
	/* A later config version only changes the arguments: the service
	 * stays, and with it the sessions. */
	if (state.log_service)
		return;
	r = cn_service_announce(state.env, "LOG", &log_service_ops, NULL);
	if (r < 0) {
		cn_error(state.env, "<log_service>: cannot announce the LOG service: %s",
		         strerror(-r));
		return;
	}
	state.log_service = true;
	cn_log(state.env, "created LOG service");
}

/* --- <create_log_connections>, <destroy_log_connections> ---------------- */

static void
destroy_log_connections(void)
{
	if (!state.connections_created)
		return;
	for (unsigned i = 0; i < state.connection_count; i++) {
		cn_session_close(state.env, state.connections[i].id);
		close(state.connections[i].cap);
	}
	state.connection_count = 0;
	state.connections_created = false;
	cn_log(state.env, "destroyed all LOG connections");
}

static void
create_log_connections(const struct cn_xml_node *node)
{
	uint64_t count, upgrade;
	char label[16], num[32];
	int r;

	if (attr_number(node, "count", 0, 0, LOG_CONNECTIONS_MAX, &count) < 0 ||
	    attr_number(node, "ram_upgrade", 0, 0, UINT32_MAX, &upgrade) < 0)
		return;
	destroy_log_connections();
	state.connections_created = true;
	cn_log(state.env, "going to create %" PRIu64 " LOG connections", count);
	for (unsigned i = 0; i < count; i++) {
		struct log_connection *c = &state.connections[state.connection_count];

		/* labelled by their index, as Genode's dummy does */
		snprintf(label, sizeof(label), "%u", i);
		r = cn_session_open(state.env, "LOG", label, LOG_SESSION_RAM, LOG_SESSION_CAPS,
		                    NULL, &c->cap, &c->id);
		if (r < 0) {
			cn_error(state.env,
			         "<create_log_connections>: LOG connection %u failed: %s", i,
			         cn_strerror(r));
			return;
		}
		state.connection_count++;
		if (upgrade) {
			cn_log(state.env, "upgrade connection %u", i);
			r = cn_session_upgrade(state.env, c->id, upgrade, 0);
			if (r < 0)
				cn_error(state.env,
				         "<create_log_connections>: upgrade of connection %u by %s "
				         "failed: %s",
				         i, format_bytes(upgrade, num, sizeof(num)),
				         cn_strerror(r));
		}
	}
	cn_log(state.env, "created all LOG connections");
}

/* --- <consume_ram>, <consume_caps> -------------------------------------- */

static void release_ram(void);
static void release_caps(void);

/* <handle_yield_requests/>: give back what was consumed when the parent
 * asks, as Genode's dummy does. */
static void
yield(struct cn_env *env, uint64_t ram_quota, uint64_t cap_quota)
{
	cn_log(env, "got yield request"); /* Genode's line, which tests match */
	cn_log(env, "yield request asks for ram_quota=%llu cap_quota=%llu",
	       (unsigned long long)ram_quota, (unsigned long long)cap_quota);
	release_ram();
	release_caps();
}

static void
handle_yield_requests(void)
{
	int r = cn_yield_watch(state.env, yield);

	if (r < 0)
		cn_warning(state.env, "<handle_yield_requests>: %s", cn_strerror(r));
}

static void
release_ram(void)
{
	char num[32];

	if (!state.ram_amount)
		return;
	cn_log(state.env, "release %s bytes of memory",
	       format_bytes(state.ram_amount, num, sizeof(num)));
	cn_pd_free_ram(state.env->pd, &state.ram);
	state.ram_amount = 0;
}

/* Why an allocation from our PD failed, with the account's numbers. */
static void
quota_error(const char *node, const char *what, int err)
{
	struct cn_pd_quota q;
	char a[32], b[32];

	if (cn_pd_quota(state.env->pd, &q) < 0) {
		cn_error(state.env, "<%s>: cannot allocate %s: %s", node, what, cn_strerror(err));
		return;
	}
	if (err == CN_ERR_OUT_OF_RAM)
		cn_error(state.env,
		         "<%s>: cannot allocate %s: out of RAM quota (quota %s, %s free)", node,
		         what, format_bytes(q.ram_quota, a, sizeof(a)),
		         format_bytes(q.ram_quota - q.ram_used, b, sizeof(b)));
	else if (err == CN_ERR_OUT_OF_CAPS)
		cn_error(state.env,
		         "<%s>: cannot allocate %s: out of cap quota (quota %" PRIu64 ", %" PRIu64
		         " free)",
		         node, what, q.cap_quota, q.cap_quota - q.cap_used);
	else
		cn_error(state.env, "<%s>: cannot allocate %s: %s", node, what, cn_strerror(err));
}

static void
resources_granted(struct cn_env *env)
{
	(void)env;
	state.resources_granted = true;
}

/* Allocate from our PD; when the quota is exhausted, ask the parent for
 * what is missing and wait until it grants it (Genode's expanding PD
 * session: the component blocks in its resource request). */
static int
alloc_or_request(size_t size, struct cn_ds *ds, const char *request)
{
	int r;

	for (;;) {
		r = cn_pd_alloc_ram(state.env->pd, size, ds);
		if (r != CN_ERR_OUT_OF_RAM && r != CN_ERR_OUT_OF_CAPS)
			return r;
		state.resources_granted = false;
		r = cn_resource_request(state.env, request, resources_granted);
		if (r < 0)
			return r;
		while (!state.resources_granted) {
			r = cn_ep_dispatch(state.env->ep, -1);
			if (r < 0)
				return r;
		}
	}
}

static void
consume_ram(const struct cn_xml_node *node)
{
	char num[32], what[64];
	uint64_t amount;
	int r;

	if (attr_required(node, "amount") < 0 ||
	    attr_number(node, "amount", 0, 1, (uint64_t)SIZE_MAX, &amount) < 0)
		return;
	release_ram();
	format_bytes(amount, num, sizeof(num));
	cn_log(state.env, "consume %s bytes of memory", num);
	snprintf(what, sizeof(what), "ram_quota=%" PRIu64, amount);
	r = alloc_or_request((size_t)amount, &state.ram, what);
	if (r < 0) {
		snprintf(what, sizeof(what), "%s bytes", num);
		quota_error("consume_ram", what, r);
		return;
	}
	r = cn_ds_attach(&state.ram);
	if (r < 0) {
		cn_error(state.env, "<consume_ram>: cannot attach %s bytes: %s", num, strerror(-r));
		cn_pd_free_ram(state.env->pd, &state.ram);
		return;
	}
	/* touch every page, so the memory is really there */
	for (size_t off = 0; off < state.ram.size; off += CN_PAGE_SIZE)
		((volatile char *)state.ram.addr)[off] = 1;
	state.ram_amount = amount;
}

static void
release_caps(void)
{
	if (!state.caps_amount)
		return;
	cn_log(state.env, "release %u caps", state.caps_amount);
	for (unsigned i = 0; i < state.caps_amount; i++)
		cn_pd_free_ram(state.env->pd, &state.caps[i]);
	state.caps_amount = 0;
}

/* On Cairn an RPC object costs no cap quota, a RAM dataspace costs one
 * (CN_PD_DS_CAP_COST): consume caps as one-page dataspaces. */
static void
consume_caps(const struct cn_xml_node *node)
{
	char what[64];
	uint64_t amount;
	unsigned got = 0;
	int r = 0;

	if (attr_required(node, "amount") < 0 ||
	    attr_number(node, "amount", 0, 1, CONSUME_CAPS_MAX, &amount) < 0)
		return;
	release_caps();
	cn_log(state.env, "consume %" PRIu64 " caps", amount);
	while (got < amount / CN_PD_DS_CAP_COST) {
		snprintf(what, sizeof(what), "cap_quota=%" PRIu64,
		         amount - got * CN_PD_DS_CAP_COST);
		r = alloc_or_request(CN_PAGE_SIZE, &state.caps[got], what);
		if (r < 0)
			break;
		got++;
	}
	state.caps_amount = got;
	if (r < 0) {
		snprintf(what, sizeof(what), "%" PRIu64 " caps (got %u)", amount, got);
		quota_error("consume_caps", what, r);
		release_caps();
	}
}

/* --- <sleep>, <exit>, <log> --------------------------------------------- */

static void
run_sleep(const struct cn_xml_node *node)
{
	uint64_t ms;
	int r;

	if (attr_number(node, "ms", SLEEP_MS_DEFAULT, 0, SLEEP_MS_MAX, &ms) < 0)
		return;
	if (!state.sleep_timer) {
		r = cn_timer_open(state.env, "", &state.sleep_timer);
		if (r < 0) {
			cn_error(state.env, "<sleep>: no Timer session: %s", cn_strerror(r));
			return;
		}
	}
	r = cn_timer_usleep(state.sleep_timer, ms * 1000);
	if (r < 0)
		cn_error(state.env, "<sleep>: timer failed: %s", cn_strerror(r));
}

static void
run_exit(const struct cn_xml_node *node)
{
	char value[32], *end;
	long code = 0;
	int r;

	r = cn_xml_attr_str(node, "code", value, sizeof(value));
	if (r != -ENOENT) {
		errno = 0;
		code = r < 0 ? 0 : strtol(value, &end, 10);
		if (r < 0 || errno || end == value || *end || code < INT32_MIN ||
		    code > INT32_MAX) {
			bad_attribute(node, "code", "is not an exit value");
			return;
		}
	}
	cn_exit(state.env, (int)code);
}

static void
run_log(const struct cn_xml_node *node)
{
	char text[LOG_STRING_MAX];
	int r;

	r = cn_xml_attr_str(node, "string", text, sizeof(text));
	if (r == -ENOENT)
		text[0] = 0; /* Genode's dummy logs an empty line */
	else if (r < 0) {
		bad_attribute(node, "string", r == -ENAMETOOLONG ? "is too long" : "is malformed");
		return;
	}
	cn_log(state.env, "%s", text);
}

/* --- the config --------------------------------------------------------- */

static void
run_node(const struct cn_xml_node *node)
{
	char name[NODE_NAME_MAX];

	if (cn_xml_is(node, "log"))
		run_log(node);
	else if (cn_xml_is(node, "exit"))
		run_exit(node);
	else if (cn_xml_is(node, "log_service"))
		run_log_service(node);
	else if (cn_xml_is(node, "create_log_connections"))
		create_log_connections(node);
	else if (cn_xml_is(node, "destroy_log_connections"))
		destroy_log_connections();
	else if (cn_xml_is(node, "consume_ram"))
		consume_ram(node);
	else if (cn_xml_is(node, "consume_caps"))
		consume_caps(node);
	else if (cn_xml_is(node, "sleep"))
		run_sleep(node);
	else if (cn_xml_is(node, "sleep_forever")) {
		/* as Genode's: the entrypoint stops, so nothing is answered any
		 * more, heartbeats included */
		state.sleeping = true;
		for (;;)
			pause();
	} else if (cn_xml_is(node, "handle_yield_requests"))
		handle_yield_requests();
	else {
		node_name(node, name, sizeof(name));
		cn_warning(state.env, "unknown config node <%s>, ignored", name);
	}
}

/*
 * Execute the config once per version, as Genode's dummy does: a changed
 * ROM with the same version attribute is not executed again. The nodes
 * run on a private copy of the document, since a node may block (sleep,
 * session requests) and the library re-reads the ROM meanwhile.
 */
static void
run_config(void)
{
	const struct cn_xml_node *root;
	struct cn_xml_doc *doc;
	struct cn_xml_error err;
	char version[VERSION_MAX];
	int r;

	r = cn_config(state.env, &root);
	if (r < 0)
		return; /* logged by cn_config; wait for the next version */
	r = cn_xml_attr_str(root, "version", version, sizeof(version));
	if (r == -ENOENT)
		version[0] = 0;
	else if (r < 0) {
		bad_attribute(root, "version", r == -ENAMETOOLONG ? "is too long" : "is malformed");
		return;
	}
	if (state.config_count > 0 && strcmp(version, state.version) == 0)
		return;
	r = cn_xml_parse(root->src, root->src_len, &doc, &err);
	if (r < 0) {
		cn_error(state.env, "cannot copy the config: %s", strerror(-r));
		return;
	}
	state.config_count++;
	memcpy(state.version, version, sizeof(version));
	if (version[0])
		cn_log(state.env, "config %u: %s", state.config_count, version);

	cn_xml_for_each(node, cn_xml_root(doc), NULL)
	{
		run_node(node);
		if (state.sleeping)
			break;
	}
	cn_xml_free(doc);
}

static void
config_changed(struct cn_env *env)
{
	(void)env;
	if (state.running) {
		state.rerun = true; /* after the current run */
		return;
	}
	state.running = true;
	do {
		state.rerun = false;
		if (!state.sleeping)
			run_config();
	} while (state.rerun);
	state.running = false;
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *root;
	int r;

	state.env = env;
	r = cn_config(env, &root);
	if (r == -ENOENT) {
		cn_error(env, "no config ROM");
		cn_exit(env, 2);
	}
	r = cn_config_sigh(env, config_changed);
	if (r < 0)
		cn_warning(env, "config updates will go unnoticed: %s", cn_strerror(r));
	config_changed(env);
}
