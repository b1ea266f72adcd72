/*
 * init: starts the children of its config, routes their session requests
 * (session.c) and reports their ends. This is the minimal init of the
 * foundation: start nodes, quotas, routes, provides, inline configs and
 * exit propagation. Reconfiguration and init as a server come next.
 */
#include <cairn/log.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "init.h"

enum {
	DEFAULT_CAPS = 100,
	DEFAULT_RAM = 1 << 20,
	DEFAULT_PRESERVE_RAM = 320 << 10, /* what init keeps for itself, as Genode's init */
	DEFAULT_PRESERVE_CAPS = 20,
	MIN_CHILD_CAPS = 8, /* a component needs a few objects to start */
	MALFORMED_REPORTS_MAX = 32,
};

/* ---- init's only mutable global state ---- */
static struct init state;

struct init *
init_of(struct cn_env *env)
{
	(void)env;
	return &state;
}

const struct cn_xml_node *
init_config_root(struct init *init)
{
	return cn_xml_root(init->config);
}

static void
child_teardown(struct child *c)
{
	struct init *init = c->init;

	init_child_binary_cancel(c);
	init_child_sessions_release(init, c);
	if (c->config_ds.cap >= 0)
		cn_pd_free_ram(init->env->pd, &c->config_ds);
	/* closing the PD at core ends the process and returns its quota */
	if (c->pd >= 0) {
		init_parent_close(init, c->pd_id);
		close(c->pd);
		c->pd = -1;
	}
	if (c->log >= 0) {
		init_parent_close(init, c->log_id);
		close(c->log);
		c->log = -1;
	}
	cn_obj_destroy(c->parent);
	c->parent = NULL;
	cn_sig_destroy(c->exit_sig);
	c->exit_sig = NULL;
	if (c->session_sigh >= 0)
		close(c->session_sigh);
	if (c->requests_sigh >= 0)
		close(c->requests_sigh);
	if (c->config_sigh >= 0)
		close(c->config_sigh);
	if (c->resource_avail_sigh >= 0)
		close(c->resource_avail_sigh);
	if (c->heartbeat_sigh >= 0)
		close(c->heartbeat_sigh);
	if (c->yield_sigh >= 0)
		close(c->yield_sigh);
	c->yield_sigh = -1;
	c->session_sigh = c->requests_sigh = c->config_sigh = c->resource_avail_sigh = -1;
	c->heartbeat_sigh = -1;
	c->alive = false;
}

static void
propagate_exit(struct init *init, int value)
{
	struct cn_msg msg;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_EXIT);
	cn_msg_put_i32(&msg, value);
	cn_call(init->env->parent, &msg);
	cn_msg_reset(&msg);
}

void
init_child_exited(struct child *c, int value)
{
	struct init *init = c->init;

	if (c->exited)
		return;
	c->exited = true;
	c->exit_value = value;
	cn_log(init->env, "child \"%s\" exited with exit value %d", c->name, value);
	child_teardown(c);
	init_state_report(init);
	if (c->exit_propagate)
		propagate_exit(init, value);
}

/* Core tells us the process ended; if it did not exit through us, say how. */
static void
child_died(void *data, uint32_t count)
{
	struct child *c = data;
	struct init *init = c->init;
	uint32_t st = 0;
	int32_t value = 0;
	char detail[CN_PD_DETAIL_MAX] = "";

	(void)count;
	if (c->exited || c->pd < 0)
		return;
	cn_pd_exit_status(c->pd, &st, &value, detail, sizeof(detail));
	if (st == CN_PD_RUNNING || st == CN_PD_NOT_STARTED)
		return;
	c->exited = true;
	if (st == CN_PD_SANDBOX_KILLED)
		cn_log(init->env, "child \"%s\" was killed: forbidden system call %s", c->name,
		       detail);
	else if (st == CN_PD_SIGNALED)
		cn_log(init->env, "child \"%s\" was killed by signal %s", c->name, detail);
	else
		cn_log(init->env, "child \"%s\" exited with exit value %d", c->name, value);
	c->exit_value = st == CN_PD_EXITED ? value : -1;
	child_teardown(c);
	init_state_report(init);
	if (c->exit_propagate)
		propagate_exit(init, st == CN_PD_EXITED ? value : 1);
}

/* --- quota configuration ---------------------------------------------------- */

static int
quota_attr(struct init *init, const struct cn_xml_node *start, const char *attr,
           const char *resource, uint64_t dflt, uint64_t *ret)
{
	char name[INIT_NAME_MAX] = "?";
	uint64_t v;
	int r;

	cn_xml_attr_str(start, "name", name, sizeof(name));
	r = cn_xml_attr_u64(start, attr, &v);
	if (r == -ENOENT) {
		cn_xml_for_each(res, start, "resource")
		{
			if (cn_xml_attr_is(res, "name", resource)) {
				r = cn_xml_attr_u64(res, "quantum", &v);
				if (r == -ENOENT)
					r = -EINVAL;
			}
		}
	}
	if (r == -ENOENT) {
		*ret = dflt;
		return 0;
	}
	if (r < 0) {
		cn_error(init->env, "%s: invalid %s quota in <start>", name,
		         strcmp(resource, "RAM") == 0 ? "RAM" : "capability");
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* The quota a start node asks for: its attributes, its <resource> nodes,
 * else <default>. */
static int
configured_quota(struct init *init, const struct cn_xml_node *start, uint64_t *ret_ram,
                 uint64_t *ret_caps)
{
	const struct cn_xml_node *dflt = cn_xml_child(init_config_root(init), "default");
	uint64_t dflt_ram = DEFAULT_RAM, dflt_caps = DEFAULT_CAPS, ram, caps;

	if (dflt) {
		cn_xml_attr_u64(dflt, "ram", &dflt_ram);
		cn_xml_attr_u64(dflt, "caps", &dflt_caps);
	}
	if (quota_attr(init, start, "ram", "RAM", dflt_ram, &ram) < 0 ||
	    quota_attr(init, start, "caps", "CAP", dflt_caps, &caps) < 0)
		return -EINVAL;
	*ret_ram = ram;
	*ret_caps = caps;
	return 0;
}

/* What init may still hand out, above its preservation. */
static void
available_quota(struct init *init, uint64_t *ret_ram, uint64_t *ret_caps)
{
	struct cn_pd_quota q = {0};
	uint64_t ram, caps;

	cn_pd_quota(init->env->pd, &q);
	ram = q.ram_quota - q.ram_used;
	caps = q.cap_quota - q.cap_used;
	/* init keeps what it preserves plus a page for its own bookkeeping
	 * (an inline config ROM, a session's meta data), so that a child
	 * saturating the quota leaves init more than the preserved amount */
	*ret_ram =
	    ram > init->preserve_ram + CN_PAGE_SIZE ? ram - init->preserve_ram - CN_PAGE_SIZE : 0;
	*ret_caps = caps > init->preserve_caps ? caps - init->preserve_caps : 0;
}

/* --- starting children -------------------------------------------------------- */

static char *
copy_text(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}

static int
child_resources(struct init *init, struct child *c)
{
	char args[CN_ARGS_MAX];
	int r;

	uint64_t avail_ram, avail_caps;

	available_quota(init, &avail_ram, &avail_caps);
	if (c->ram > avail_ram) {
		cn_warning(init->env, "%s: configured RAM exceeds available RAM, proceed with %llu",
		           c->name, (unsigned long long)avail_ram);
		c->ram = avail_ram;
	}
	if (c->caps > avail_caps) {
		cn_warning(init->env,
		           "%s: configured caps exceed available caps, proceed with %llu", c->name,
		           (unsigned long long)avail_caps);
		c->caps = avail_caps;
	}
	if (c->ram == 0) {
		cn_error(init->env, "%s: no valid RAM quota defined", c->name);
		return -EINVAL;
	}
	if (c->caps < MIN_CHILD_CAPS) {
		cn_error(init->env, "%s: no valid capability quota defined", c->name);
		return -EINVAL;
	}

	r = cn_args_set_str("", "label", c->name, args, sizeof(args));
	if (r < 0)
		return r;
	r = init_parent_session(init, "PD", args, &c->pd, &c->pd_id);
	if (r == 0)
		r = cn_pd_ref_account(c->pd, init->env->pd);
	if (r == 0)
		r = cn_pd_transfer_quota(init->env->pd, c->pd, c->ram, c->caps);
	return r;
}

/* Start the child's process from the binary's dataspace ds (consumed). */
static int
child_exec(struct init *init, struct child *c, int ds)
{
	int r;

	r = cn_obj_create(init->env->ep, init_child_parent_dispatch, c, &c->parent);
	if (r == 0)
		r = cn_sig_create(init->env->ep, child_died, c, &c->exit_sig);
	if (r == 0)
		r = init_child_host_dir(init, c);
	if (r == 0)
		r = init_child_host_terminal(init, c);
	if (r == 0)
		r = cn_pd_spawn(c->pd, c->binary, ds, cn_obj_cap(c->parent),
		                cn_sig_cap(c->exit_sig));
	if (ds >= 0)
		close(ds);
	if (r == CN_ERR_NOT_FOUND)
		cn_error(init->env, "%s: binary \"%s\" is not a ROM module", c->name, c->binary);
	else if (r == CN_ERR_INVALID_ARG)
		cn_error(init->env,
		         "%s: binary \"%s\" is not executable: no ELF file in a sealed dataspace",
		         c->name, c->binary);
	else if (r < 0)
		cn_error(init->env, "%s: cannot start: %s", c->name, strerror(-r));
	return r < 0 ? r : 0;
}

/* CN_ERR_PENDING: the binary comes from a child server, which has not
 * answered yet (init_child_binary_ready continues). */
static int
child_spawn(struct init *init, struct child *c)
{
	int r, ds = -1;

	r = init_binary_dataspace(init, c, &ds);
	if (r == CN_ERR_DENIED || r == CN_ERR_PENDING)
		return r; /* no route for it (the child stays incomplete), or later */
	if (r == CN_ERR_NOT_FOUND)
		cn_error(init->env, "%s: binary \"%s\" is not a ROM module", c->name, c->binary);
	if (r < 0)
		return r;
	return child_exec(init, c, ds);
}

void
init_child_binary_ready(struct init *init, struct child *c, int ds, int err)
{
	if (c->exited || c->alive) {
		if (ds >= 0)
			close(ds);
		return;
	}
	if (err == CN_ERR_DENIED) {
		/* as a binary without a route: not started, incomplete */
		if (ds >= 0)
			close(ds);
		c->incomplete = true;
		init_state_report_later(init);
		return;
	}
	if (err == 0)
		err = child_exec(init, c, ds);
	else if (ds >= 0)
		close(ds);
	if (err < 0) {
		cn_error(init->env, "%s: child creation failed: %s", c->name, cn_strerror(err));
		c->exited = true;
		child_teardown(c);
	} else {
		c->alive = true;
	}
	init_state_report_later(init);
}

/* The <provides> of a start node; a service that stays keeps whether the
 * child announced it. */
static int
read_provides(struct init *init, struct child *c, const struct cn_xml_node *start)
{
	char provides[INIT_PROVIDES_MAX][CN_SERVICE_NAME_MAX];
	bool announced[INIT_PROVIDES_MAX] = {false};
	unsigned n = 0;

	cn_xml_for_each(s, cn_xml_child(start, "provides"), "service")
	{
		if (n == INIT_PROVIDES_MAX ||
		    cn_xml_attr_str(s, "name", provides[n], CN_SERVICE_NAME_MAX) < 0) {
			cn_error(init->env, "%s: invalid <provides> entry", c->name);
			return -EINVAL;
		}
		for (unsigned i = 0; i < c->provides_count; i++)
			if (strcmp(c->provides[i], provides[n]) == 0)
				announced[n] = c->announced[i];
		n++;
	}
	memcpy(c->provides, provides, sizeof(provides));
	memcpy(c->announced, announced, sizeof(announced));
	c->provides_count = n;
	return 0;
}

static struct child *
child_create(struct init *init, const struct cn_xml_node *start)
{
	const struct cn_xml_node *node;
	struct child *c;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->init = init;
	c->id = ++init->next_child_id;
	c->pd = c->log = c->session_sigh = c->requests_sigh = c->binary_reply = -1;
	c->config_ds.cap = -1;
	c->config_sigh = c->resource_avail_sigh = c->heartbeat_sigh = c->yield_sigh = -1;
	c->start = start;
	if (cn_xml_attr_str(start, "name", c->name, sizeof(c->name)) < 0 || !c->name[0]) {
		cn_warning(init->env, "missing 'name' attribute in '<start>' entry");
		cn_warning(init->env, "skipped startup of nameless child");
		goto fail;
	}
	for (struct child *o = init->children; o; o = o->next) {
		if (strcmp(o->name, c->name) == 0) {
			cn_error(init->env, "%s: start node name is not unique", c->name);
			goto fail;
		}
	}
	node = cn_xml_child(start, "binary");
	if (!node || cn_xml_attr_str(node, "name", c->binary, sizeof(c->binary)) < 0)
		snprintf(c->binary, sizeof(c->binary), "%s", c->name);
	if (configured_quota(init, start, &c->ram, &c->caps) < 0) {
		cn_warning(init->env, "%s: skipped startup", c->name);
		goto fail;
	}
	node = cn_xml_child(start, "exit");
	if (node)
		cn_xml_attr_bool(node, "propagate", &c->exit_propagate);
	node = cn_xml_child(start, "config");
	if (node) {
		c->config = copy_text(node->src, node->src_len);
		c->config_len = node->src_len;
		if (!c->config)
			goto fail;
	}
	if (read_provides(init, c, start) < 0)
		goto fail;
	if (init->verbose)
		cn_log(init->env,
		       "child \"%s\"\n  RAM quota:  %llu\n  cap quota:  %llu\n  ELF binary: %s",
		       c->name, (unsigned long long)c->ram, (unsigned long long)c->caps, c->binary);
	return c;
fail:
	free(c->config);
	free(c);
	return NULL;
}

static void
child_start(struct init *init, struct child *c, bool launch)
{
	int r = 0;

	/* two steps, so that every new child has its PD before any child's
	 * environment LOG session is routed to one of them */
	if (!launch) {
		/* init's own part first, so the child's quota leaves it intact */
		if (c->config)
			r = init_config_ds_prepare(init, c);
		if (r == 0)
			r = child_resources(init, c);
	} else if (!c->exited)
		r = init_env_log_session(init, c);
	if (r == 0 && launch && !c->exited)
		r = child_spawn(init, c);
	if (r == CN_ERR_PENDING && launch)
		return; /* its binary is on the way (init_child_binary_ready) */
	if (r == CN_ERR_DENIED && launch) {
		/* an environment session has no route (init said why): the
		 * child waits, incomplete, for a config that gives it one */
		c->incomplete = true;
		return;
	}
	if (r < 0) {
		cn_error(init->env, "%s: child creation failed: %s", c->name, cn_strerror(r));
		c->exited = true;
		child_teardown(c);
		return;
	}
	if (launch && !c->exited)
		c->alive = true;
}

/* <resource name="RAM" preserve=".."/> and name="CAP": what init keeps. */
static void
read_preservation(struct init *init)
{
	const struct cn_xml_node *root = init_config_root(init);
	struct cn_pd_quota q;

	init->preserve_ram = DEFAULT_PRESERVE_RAM;
	init->preserve_caps = DEFAULT_PRESERVE_CAPS;
	cn_xml_for_each(res, root, "resource")
	{
		uint64_t v;
		int r = cn_xml_attr_u64(res, "preserve", &v);

		if (r == -ENOENT)
			continue;
		if (r < 0) {
			cn_error(init->env, "invalid 'preserve' attribute of <resource>");
			continue;
		}
		if (cn_xml_attr_is(res, "name", "RAM"))
			init->preserve_ram = v;
		else if (cn_xml_attr_is(res, "name", "CAP"))
			init->preserve_caps = v;
		else
			cn_warning(init->env, "unknown resource in <resource name=...> ignored");
	}
	if (cn_pd_quota(init->env->pd, &q) == 0 && init->preserve_ram > q.ram_quota - q.ram_used)
		cn_warning(init->env, "RAM preservation exceeds available memory");
}

/* Aliases share the name space of start nodes. */
static void
check_aliases(struct init *init)
{
	cn_xml_for_each(alias, init_config_root(init), "alias")
	{
		char name[INIT_NAME_MAX] = "", child[INIT_NAME_MAX] = "";

		if (cn_xml_attr_str(alias, "name", name, sizeof(name)) < 0 ||
		    cn_xml_attr_str(alias, "child", child, sizeof(child)) < 0) {
			cn_warning(init->env, "alias with missing 'name' or 'child' attribute");
			continue;
		}
		cn_xml_for_each(start, init_config_root(init), "start")
		{
			if (cn_xml_attr_is(start, "name", name))
				cn_error(init->env, "alias name \"%s\" is also a child's name",
				         name);
		}
	}
}

/* CPU priorities and affinities have no effect on Cairn (Linux schedules
 * the processes), but their configuration is checked as Genode's init
 * does, with its messages. */
static void
check_priorities(struct init *init)
{
	const struct cn_xml_node *root = init_config_root(init);
	uint64_t levels = 1;

	if (cn_xml_attr_u64(root, "prio_levels", &levels) == 0 && (levels & (levels - 1)) != 0)
		cn_warning(init->env, "prio levels is not power of two, priorities are disabled");
	cn_xml_for_each(start, root, "start")
	{
		char name[INIT_NAME_MAX] = "";

		cn_xml_attr_str(start, "name", name, sizeof(name));
		if (cn_xml_child(start, "affinity") && !cn_xml_child(root, "affinity-space"))
			cn_warning(init->env,
			           "affinity-space configuration missing, but affinity defined for "
			           "child %s",
			           name);
	}
}

/* Things init itself does not act on yet: say so instead of ignoring them. */
static void
check_config_nodes(struct init *init)
{
	const struct cn_xml_node *root = init_config_root(init);

	cn_xml_for_each(n, root, NULL)
	{
		if (cn_xml_is(n, "parent-provides") || cn_xml_is(n, "default-route") ||
		    cn_xml_is(n, "default") || cn_xml_is(n, "start") || cn_xml_is(n, "alias") ||
		    cn_xml_is(n, "resource") || cn_xml_is(n, "heartbeat") ||
		    cn_xml_is(n, "service") || cn_xml_is(n, "report") ||
		    cn_xml_is(n, "affinity-space"))
			continue;
		cn_error(init->env, "unknown config element type <%.*s>", (int)n->name_len,
		         n->name);
	}
	if (init->verbose) {
		cn_log(init->env, "parent provides");
		cn_xml_for_each(s, cn_xml_child(root, "parent-provides"), "service")
		{
			char name[CN_SERVICE_NAME_MAX] = "";
			cn_xml_attr_str(s, "name", name, sizeof(name));
			cn_log(init->env, "  service \"%s\"", name);
		}
	}
}

static const struct cn_xml_node *find_start(struct init *init, const char *name);
static bool same_version(const struct cn_xml_node *a, const struct cn_xml_node *b);

bool
init_child_leaving(struct init *init, const struct child *c)
{
	const struct cn_xml_node *start = find_start(init, c->name);

	return !start || !same_version(start, c->start);
}

static const struct cn_xml_node *
find_start(struct init *init, const char *name)
{
	cn_xml_for_each(start, init_config_root(init), "start")
	{
		if (cn_xml_attr_is(start, "name", name))
			return start;
	}
	return NULL;
}

/* Same child in the sense of Genode's config model: same name and same
 * version attribute. */
static bool
same_version(const struct cn_xml_node *a, const struct cn_xml_node *b)
{
	char va[128] = "", vb[128] = "";

	cn_xml_attr_str(a, "version", va, sizeof(va));
	cn_xml_attr_str(b, "version", vb, sizeof(vb));
	return strcmp(va, vb) == 0;
}

static void
child_free(struct child *c)
{
	free(c->config);
	free(c);
}

/* A child that stays: point it at its node in the new config, and give it
 * a new config ROM if its inline <config> changed (it is signalled, not
 * restarted, as in Genode). */
static void
child_update(struct init *init, struct child *c, const struct cn_xml_node *start)
{
	const struct cn_xml_node *node;
	bool changed;

	c->start = start;
	/* a new binary name is re-routed by the re-evaluation, which restarts
	 * the child only if its ROM request now goes elsewhere */
	node = cn_xml_child(start, "binary");
	if (!node || cn_xml_attr_str(node, "name", c->binary, sizeof(c->binary)) < 0)
		snprintf(c->binary, sizeof(c->binary), "%s", c->name);
	/* a service withdrawn from <provides> is no route any more, which the
	 * re-evaluation finds; a new one waits for its announcement */
	if (!c->exited)
		read_provides(init, c, start);
	node = cn_xml_child(start, "config");
	changed = node ? !c->config || c->config_len != node->src_len ||
	                     memcmp(c->config, node->src, node->src_len) != 0
	               : c->config != NULL;
	if (!changed)
		return;
	free(c->config);
	c->config = node ? copy_text(node->src, node->src_len) : NULL;
	c->config_len = c->config ? node->src_len : 0;
	if (c->config_ds.cap >= 0)
		cn_pd_free_ram(init->env->pd, &c->config_ds); /* a new one on the next fetch */
	if (c->config_sigh >= 0)
		cn_signal_submit(c->config_sigh, 1);
}

/* A kept child whose configured quota shrank gives the difference back,
 * if it does not use it (Genode would then ask it to yield: not yet). */
static void
child_downgrade(struct init *init, struct child *c)
{
	uint64_t ram, caps, less_ram, less_caps;
	int r;

	if (c->exited || c->pd < 0 || configured_quota(init, c->start, &ram, &caps) < 0)
		return;
	less_ram = ram < c->ram ? c->ram - ram : 0;
	less_caps = caps < c->caps ? c->caps - caps : 0;
	if (!less_ram && !less_caps)
		return;
	r = cn_pd_transfer_quota(c->pd, init->env->pd, less_ram, less_caps);
	if (r < 0 && c->yield_sigh >= 0 && !c->yield_ram && !c->yield_caps) {
		/* it uses its quota: ask it to give some back (Genode's yield) */
		c->yield_ram = less_ram;
		c->yield_caps = less_caps;
		cn_signal_submit(c->yield_sigh, 1);
		return;
	}
	c->yield_ram = c->yield_caps = 0;
	if (r < 0) {
		cn_warning(init->env, "%s: downgrade failed: the child uses its quota (%s)",
		           c->name, cn_strerror(r));
		return;
	}
	c->ram -= less_ram;
	c->caps -= less_caps;
}

void
init_child_yielded(struct child *c)
{
	if (!c->yield_ram && !c->yield_caps)
		return;
	child_downgrade(c->init, c); /* once more: now it either fits or fails */
}

/* A kept child whose configured quota grew gets the difference, as far as
 * init has it; a later reconfiguration retries the rest. */
static void
child_upgrade(struct init *init, struct child *c)
{
	uint64_t ram, caps, more_ram, more_caps, avail_ram, avail_caps;

	if (c->exited || c->pd < 0 || configured_quota(init, c->start, &ram, &caps) < 0)
		return;
	more_ram = ram > c->ram ? ram - c->ram : 0;
	more_caps = caps > c->caps ? caps - c->caps : 0;
	if (!more_ram && !more_caps)
		return;
	available_quota(init, &avail_ram, &avail_caps);
	if (more_ram > avail_ram || more_caps > avail_caps) {
		more_ram = more_ram < avail_ram ? more_ram : avail_ram;
		more_caps = more_caps < avail_caps ? more_caps : avail_caps;
		/* Genode's words, in verbose mode as there */
		if (init->verbose && more_ram < ram - c->ram)
			cn_warning(init->env,
			           "specified quota exceeds available quota, proceeding with a "
			           "quota of %llu",
			           (unsigned long long)(c->ram + more_ram));
		if (init->verbose && more_caps < caps - c->caps)
			cn_warning(init->env,
			           "specified quota exceeds available quota, proceeding with a "
			           "quota of %llu",
			           (unsigned long long)(c->caps + more_caps));
	}
	if (cn_pd_transfer_quota(init->env->pd, c->pd, more_ram, more_caps) == 0) {
		c->ram += more_ram;
		c->caps += more_caps;
		c->requested[0] = 0;
		if (c->resource_avail_sigh >= 0)
			cn_signal_submit(c->resource_avail_sigh, 1);
	}
}

/* --- heartbeats ------------------------------------------------------------ */

static void child_restart(struct init *init, struct child *c);
static void reevaluate_routes(struct init *init);

/* One heartbeat period: a monitored child that did not answer the last
 * ping has skipped one; with restart_after_skipped="N" it is restarted
 * once it skipped more than N. Then everyone is pinged again. */
static void
heartbeat_tick(void *data, uint32_t events)
{
	struct init *init = data;
	uint64_t expirations;
	bool skipped = false;

	(void)events;
	if (read(init->heartbeat_fd, &expirations, sizeof(expirations)) < 0)
		return;
	for (struct child *c = init->children, *next; c; c = next) {
		const struct cn_xml_node *hb = cn_xml_child(c->start, "heartbeat");
		uint64_t limit = 0;

		next = c->next;
		if (!hb || c->exited || !c->alive || c->heartbeat_sigh < 0)
			continue;
		if (c->heartbeat_pending) {
			c->skipped_heartbeats++;
			skipped = true;
		}
		if (cn_xml_attr_u64(hb, "restart_after_skipped", &limit) == 0 &&
		    c->skipped_heartbeats > limit) {
			cn_warning(init->env, "%s: %u heartbeats skipped, restarting", c->name,
			           c->skipped_heartbeats);
			child_restart(init, c);
			continue;
		}
		c->heartbeat_pending = true;
		cn_signal_submit(c->heartbeat_sigh, 1);
	}
	if (skipped)
		init_state_report_later(init);
}

/* <heartbeat rate_ms="N"/> at the top of the config: a timerfd in init's
 * entrypoint (timerfds need no host access and are in every sandbox). */
static void
configure_heartbeat(struct init *init)
{
	const struct cn_xml_node *hb = cn_xml_child(init_config_root(init), "heartbeat");
	uint64_t rate = 0;

	if (hb && (cn_xml_attr_u64(hb, "rate_ms", &rate) < 0 || rate == 0)) {
		cn_error(init->env, "invalid 'rate_ms' attribute of <heartbeat>");
		rate = 0;
	}
	if (rate == init->heartbeat_rate_ms)
		return;
	init->heartbeat_rate_ms = rate;
	if (init->heartbeat_fd < 0 && rate) {
		init->heartbeat_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (init->heartbeat_fd < 0 ||
		    cn_ep_watch(init->env->ep, init->heartbeat_fd, EPOLLIN, heartbeat_tick, init,
		                &init->heartbeat_watch) < 0) {
			cn_error(init->env, "cannot monitor heartbeats: %s", strerror(errno));
			return;
		}
	}
	if (init->heartbeat_fd >= 0) {
		struct itimerspec its = {
		    .it_interval = {(time_t)(rate / 1000), (long)(rate % 1000) * 1000000},
		    .it_value = {(time_t)(rate / 1000), (long)(rate % 1000) * 1000000},
		};
		timerfd_settime(init->heartbeat_fd, 0, &its, NULL); /* rate 0 stops it */
	}
}

/* Bring the children in line with the current config: keep what stays,
 * end what is gone or has a new version, start what is new. */
static void
apply_config(struct init *init)
{
	struct child **tail = &init->children;
	struct child *fresh = NULL, **fresh_tail = &fresh;

	cn_xml_attr_bool(init_config_root(init), "verbose", &init->verbose);
	check_config_nodes(init);
	check_priorities(init);
	read_preservation(init);
	check_aliases(init);
	configure_heartbeat(init);
	init_state_report_prepare(init);

	for (struct child **p = &init->children; *p;) {
		struct child *c = *p;
		const struct cn_xml_node *start = find_start(init, c->name);

		if (!init_child_leaving(init, c)) {
			child_update(init, c, start);
			p = &c->next;
			continue;
		}
		/* removed, or restarted because its version changed */
		*p = c->next;
		if (!c->exited) {
			c->exited = true;
			child_teardown(c);
		}
		child_free(c);
	}
	/* all downgrades before all upgrades, so freed quota can move on */
	for (struct child *c = init->children; c; c = c->next)
		child_downgrade(init, c);
	for (struct child *c = init->children; c; c = c->next)
		child_upgrade(init, c);
	while (*tail)
		tail = &(*tail)->next;

	/* create all new children first, so that routes can name later ones */
	cn_xml_for_each(start, init_config_root(init), "start")
	{
		char name[INIT_NAME_MAX] = "";
		bool exists = false;

		cn_xml_attr_str(start, "name", name, sizeof(name));
		for (struct child *c = init->children; c && name[0]; c = c->next)
			exists |= strcmp(c->name, name) == 0;
		if (exists)
			continue;
		struct child *c = child_create(init, start);
		if (!c)
			continue; /* child_create said why */
		*fresh_tail = c;
		fresh_tail = &c->next;
	}
	*tail = fresh;
	if (fresh)
		init_check_route_cycles(init);
	for (struct child *c = fresh; c; c = c->next)
		child_start(init, c, false);
	for (struct child *c = fresh; c; c = c->next)
		child_start(init, c, true);
	reevaluate_routes(init);
	init_parent_requests_update(init);
	init_announce_services(init);
	init_state_report(init);
}

/*
 * Genode's dependency fix point: a child holding a session that would now
 * be routed elsewhere (or nowhere), or whose server went away, is
 * restarted, and so is an incomplete one that can start now. Restarting
 * a server ends the sessions it served, which restarts their clients in
 * the next round.
 */
static void
reevaluate_routes(struct init *init)
{
	enum { ROUNDS_MAX = 64 }; /* a chain of restarts as deep as that */

	for (unsigned round = 0; round < ROUNDS_MAX; round++) {
		bool any = false;

		for (struct child *c = init->children; c; c = c->next) {
			enum init_routes r = init_child_routes(init, c);

			c->restart_scheduled = r == ROUTES_MOVED;
			if (r == ROUTES_GONE)
				c->stuck = true;
			any |= c->restart_scheduled;
		}
		if (!any)
			return;
		for (struct child *c = init->children, *next; c; c = next) {
			next = c->next;
			if (c->restart_scheduled)
				child_restart(init, c);
		}
	}
	cn_warning(init->env, "routes did not settle after %u rounds of restarts", ROUNDS_MAX);
}

/* End a child and start it anew from its start node, in its place. */
static void
child_restart(struct init *init, struct child *c)
{
	const struct cn_xml_node *start = c->start;
	struct child **p = &init->children, *fresh;

	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	c->exited = true;
	child_teardown(c);
	child_free(c);
	fresh = child_create(init, start);
	if (!fresh)
		return;
	fresh->next = *p;
	*p = fresh;
	child_start(init, fresh, false);
	child_start(init, fresh, true);
}

/* Parse our own copy of the config ROM: children keep pointers into it. */
static int
read_config(struct init *init, struct cn_xml_doc **ret)
{
	const struct cn_xml_node *root;
	struct cn_xml_error err;
	int r;

	r = cn_config(init->env, &root);
	if (r < 0)
		return r; /* cn_config logged why */
	if (!cn_xml_is(root, "config")) {
		cn_error(init->env, "config: root element is not <config>");
		return -EINVAL;
	}
	r = cn_xml_parse(root->src, root->src_len, ret, &err);
	if (r < 0)
		cn_error(init->env, "config: %s", err.msg);
	return r;
}

static void
config_changed(struct cn_env *env)
{
	struct init *init = &state;
	struct cn_xml_doc *doc, *old = init->config;
	int r;

	(void)env;
	r = read_config(init, &doc);
	if (r == -ENODATA && !old)
		return; /* still nothing published */
	if (r < 0) {
		cn_warning(init->env, "keeping the previous configuration");
		return;
	}
	init->config = doc;
	apply_config(init);
	cn_xml_free(old); /* nothing points into it any more */
}

/* A child sent garbage to its parent object or its config ROM: the wire
 * module dropped it; name the child, a bounded number of times. */
static void
malformed_request(void *data, struct cn_obj *obj, int err)
{
	struct init *init = data;
	struct child *c = cn_obj_data(obj);

	if (!c || init->malformed_reports >= MALFORMED_REPORTS_MAX)
		return;
	init->malformed_reports++;
	cn_warning(init->env, "%s: dropped a malformed request: %s%s", c->name, cn_strerror(err),
	           init->malformed_reports == MALFORMED_REPORTS_MAX
	               ? " (further ones are not reported)"
	               : "");
}

void
cn_construct(struct cn_env *env)
{
	struct init *init = &state;
	int r;

	init->env = env;
	cn_ep_set_error_handler(env->ep, malformed_request, init);
	init->heartbeat_fd = -1;
	init->report_timer = -1;
	r = cn_session_watch(env, init_parent_sessions_update);
	if (r < 0)
		cn_warning(env, "sessions pending at the parent cannot complete: %s",
		           cn_strerror(r));
	r = read_config(init, &init->config);
	if (r == -ENODATA)
		; /* an empty config ROM (not published yet): as Genode's, quietly */
	else if (r < 0)
		cn_error(env, "no valid config, nothing to start (%s): waiting for a valid one",
		         cn_strerror(r));
	else
		apply_config(init);
	/* after the first apply: a change that came meanwhile is applied now */
	r = cn_config_sigh(env, config_changed);
	if (r < 0)
		cn_warning(env, "config changes will not be noticed: %s", cn_strerror(r));
}
