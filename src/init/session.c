/*
 * init's parent interface towards its children: routing of session
 * requests, the asynchronous session protocol with child servers, and
 * the donation of session quota from client to server.
 */
#include <cairn/log.h>
#include <cairn/policy.h>
#include <cairn/rom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "init.h"

/* what each environment session that init opens for a child (its LOG
 * session and its binary's ROM session, unless core has them) costs the
 * child: donated with the request, as Genode's Env_connection */
enum { ENV_SESSION_RAM = 8192, ENV_SESSION_CAPS = 2 };

struct target {
	struct child *server; /* NULL: init's parent */
	char label[CN_LABEL_MAX];
};

static void binary_request(struct init *init, struct session *s);

/* --- quota --------------------------------------------------------------- */

static int
transfer(int from_pd, int to_pd, uint64_t ram, uint64_t caps)
{
	if (!ram && !caps)
		return 0;
	return cn_pd_transfer_quota(from_pd, to_pd, ram, caps);
}

/* Give a session's donation back to its client (via init). */
static void
refund(struct init *init, struct session *s)
{
	if (s->server && s->server->pd >= 0 &&
	    transfer(s->server->pd, init->env->pd, s->ram, s->caps) < 0)
		cn_warning(init->env, "%s: could not reclaim session quota (ram=%llu caps=%llu)",
		           s->server->name, (unsigned long long)s->ram,
		           (unsigned long long)s->caps);
	if (s->client && s->client->pd >= 0)
		transfer(init->env->pd, s->client->pd, s->ram, s->caps);
	s->ram = s->caps = 0;
}

/* --- parent of init ------------------------------------------------------ */

int
init_parent_session(struct init *init, const char *service, const char *args, int *ret_cap,
                    uint32_t *ret_id)
{
	struct cn_msg msg;
	uint32_t id = cn_session_id_alloc(init->env);
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_SESSION);
	cn_msg_put_u32(&msg, id);
	cn_msg_put_str(&msg, service);
	cn_msg_put_str(&msg, args);
	r = cn_call(init->env->parent, &msg);
	if (r >= 0 && msg.hdr.ncaps != 1)
		r = CN_ERR_BAD_MESSAGE;
	if (r >= 0) {
		*ret_cap = cn_msg_take_cap(&msg, 0);
		r = 0;
	}
	if (r >= 0 || r == CN_ERR_PENDING)
		*ret_id = id; /* pending: a nested init's parent routed it to a sibling */
	cn_msg_reset(&msg);
	return r;
}

int
init_parent_close(struct init *init, uint32_t id)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_CLOSE);
	cn_msg_put_u32(&msg, id);
	r = cn_call(init->env->parent, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

/* --- routing --------------------------------------------------------------- */

/* A child by its name or by an <alias name=".." child=".."/> of it. */
static struct child *
find_child(struct init *init, const char *name)
{
	char target[INIT_NAME_MAX];

	for (struct child *c = init->children; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	cn_xml_for_each(alias, init_config_root(init), "alias")
	{
		if (cn_xml_attr_is(alias, "name", name) &&
		    cn_xml_attr_str(alias, "child", target, sizeof(target)) == 0) {
			for (struct child *c = init->children; c; c = c->next)
				if (strcmp(c->name, target) == 0)
					return c;
		}
	}
	return NULL;
}

static int
provided_index(const struct child *c, const char *service)
{
	for (unsigned i = 0; i < c->provides_count; i++)
		if (strcmp(c->provides[i], service) == 0)
			return (int)i;
	return -1;
}

static bool
parent_provides(struct init *init, const char *service)
{
	const struct cn_xml_node *pp = cn_xml_child(init_config_root(init), "parent-provides");

	cn_xml_for_each(s, pp, "service") if (cn_xml_attr_is(s, "name", service)) return true;
	return false;
}

/* Genode's service_node_matches: unscoped_label alone decides (with a
 * warning if scoped selectors are there too), then label_last alone, then
 * label/label_prefix/label_suffix on the scoped label, which environment
 * sessions do not have. */
static bool
rule_matches_label(struct init *init, const struct cn_xml_node *rule, const char *full,
                   const char *scoped, bool quiet)
{
	char value[CN_LABEL_MAX];
	bool scoped_attrs = cn_xml_has_attr(rule, "label") ||
	                    cn_xml_has_attr(rule, "label_prefix") ||
	                    cn_xml_has_attr(rule, "label_suffix");

	if (cn_xml_attr_str(rule, "unscoped_label", value, sizeof(value)) == 0) {
		if ((scoped_attrs || cn_xml_has_attr(rule, "label_last")) && !quiet)
			cn_warning(
			    init->env,
			    "service node contains both scoped and unscoped label attributes");
		return strcmp(value, full) == 0;
	}
	if (cn_xml_attr_str(rule, "label_last", value, sizeof(value)) == 0)
		return strcmp(value, cn_label_last(full)) == 0;
	if (scoped_attrs)
		return scoped && cn_policy_matches(rule, scoped);
	return true;
}

/*
 * The label at the target (Genode 25.02): `label` replaces the whole
 * label; otherwise `identity` replaces everything before the last element,
 * `resource` the last element, and `prepend_resource` is put in front of
 * the resource. The result is "identity -> resource", or just the
 * resource when the identity is empty. -ENAMETOOLONG if it does not fit.
 */
static int
target_label(const struct cn_xml_node *target, const char *full, struct target *ret)
{
	char identity[CN_LABEL_MAX], resource[CN_LABEL_MAX], prepend[CN_LABEL_MAX] = "";
	size_t id_len = cn_label_identity_len(full);
	int n;

	if (cn_xml_attr_str(target, "label", ret->label, sizeof(ret->label)) == 0)
		return 0;
	if (!cn_xml_has_attr(target, "identity") && !cn_xml_has_attr(target, "resource") &&
	    !cn_xml_has_attr(target, "prepend_resource")) {
		snprintf(ret->label, sizeof(ret->label), "%s", full);
		return 0;
	}
	if (cn_xml_attr_str(target, "identity", identity, sizeof(identity)) < 0)
		snprintf(identity, sizeof(identity), "%.*s", (int)id_len, full);
	if (cn_xml_attr_str(target, "resource", resource, sizeof(resource)) < 0)
		snprintf(resource, sizeof(resource), "%s", id_len ? cn_label_last(full) : full);
	cn_xml_attr_str(target, "prepend_resource", prepend, sizeof(prepend));
	n = snprintf(ret->label, sizeof(ret->label), "%s%s%s%s", identity,
	             identity[0] ? CN_LABEL_SEP : "", prepend, resource);
	return n < 0 || (size_t)n >= sizeof(ret->label) ? -ENAMETOOLONG : 0;
}

/* 0 with *ret filled, or CN_ERR_DENIED (after logging why, unless quiet:
 * re-evaluating an existing route is not a request). */
static int
route_ex(struct init *init, struct child *client, const char *service, const char *full,
         const char *scoped, struct target *ret, bool quiet)
{
	const struct cn_xml_node *routes = cn_xml_child(client->start, "route");

	if (!routes)
		routes = cn_xml_child(init_config_root(init), "default-route");
	cn_xml_for_each(rule, routes, NULL)
	{
		bool any = cn_xml_is(rule, "any-service");

		if (!any && !(cn_xml_is(rule, "service") && cn_xml_attr_is(rule, "name", service)))
			continue;
		if (!rule_matches_label(init, rule, full, scoped, quiet))
			continue;
		cn_xml_for_each(t, rule, NULL)
		{
			if (cn_xml_is(t, "parent")) {
				if (!parent_provides(init, service))
					continue;
				ret->server = NULL;
				return target_label(t, full, ret) < 0 ? CN_ERR_INVALID_ARG : 0;
			}
			if (cn_xml_is(t, "child")) {
				char name[INIT_NAME_MAX];
				struct child *c;

				if (cn_xml_attr_str(t, "name", name, sizeof(name)) < 0)
					continue;
				c = find_child(init, name);
				if (!c || c->exited || provided_index(c, service) < 0)
					continue;
				ret->server = c;
				return target_label(t, full, ret) < 0 ? CN_ERR_INVALID_ARG : 0;
			}
			if (cn_xml_is(t, "any-child")) {
				struct child *found = NULL;
				unsigned n = 0;

				for (struct child *c = init->children; c; c = c->next) {
					if (!c->exited && provided_index(c, service) >= 0) {
						found = c;
						n++;
					}
				}
				if (n > 1) {
					/* as Genode's: an error, then the next target */
					if (!quiet)
						cn_error(init->env,
						         "%s: ambiguous routes to service \"%s\"",
						         client->name, service);
					continue;
				}
				if (n == 0)
					continue;
				ret->server = found;
				return target_label(t, full, ret) < 0 ? CN_ERR_INVALID_ARG : 0;
			}
		}
		/* a <service> rule whose targets cannot serve denies, silently
		 * as in Genode; an <any-service> rule falls through */
		if (!any)
			return CN_ERR_DENIED;
	}
	if (!quiet)
		cn_warning(init->env, "%s: no route to service \"%s\" (label=\"%s\")", client->name,
		           service, full);
	return CN_ERR_DENIED;
}

static int
route(struct init *init, struct child *client, const char *service, const char *full,
      const char *scoped, struct target *ret)
{
	return route_ex(init, client, service, full, scoped, ret, false);
}

static void
record_route(struct route_rec *rec, const struct target *t)
{
	rec->server = t->server ? t->server->id : 0;
	snprintf(rec->label, sizeof(rec->label), "%s", t->label);
}

/* --- sessions -------------------------------------------------------------- */

static struct session *
client_session(struct init *init, struct child *client, uint32_t id)
{
	/* the binary's ROM session is init's, not the child's to use */
	for (struct session *s = init->sessions; s; s = s->next)
		if (s->client == client && s->client_id == id && id != CN_ENV_BINARY)
			return s;
	return NULL;
}

static struct session *
server_session(struct init *init, struct child *server, uint32_t id)
{
	for (struct session *s = init->sessions; s; s = s->next)
		if (s->server == server && s->server_id == id && s->state != SESSION_DENIED)
			return s;
	return NULL;
}

static unsigned
client_session_count(struct init *init, struct child *client)
{
	unsigned n = 0;

	for (struct session *s = init->sessions; s; s = s->next)
		n += s->client == client;
	return n;
}

static void
session_free(struct init *init, struct session *s)
{
	for (struct session **p = &init->sessions; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	cn_obj_destroy(s->local);
	if (s->cap >= 0)
		close(s->cap);
	free(s);
}

/* Answer a request of our parent (init as a server). */
static void
respond_parent(struct init *init, uint32_t id, int32_t response)
{
	struct cn_msg msg;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_SESSION_RESPONSE);
	cn_msg_put_u32(&msg, id);
	cn_msg_put_i32(&msg, response);
	cn_call(init->env->parent, &msg);
	cn_msg_reset(&msg);
}

static void
deliver_parent(struct init *init, uint32_t id, int cap)
{
	struct cn_msg msg;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_DELIVER_SESSION);
	cn_msg_put_u32(&msg, id);
	cn_msg_put_cap(&msg, cap);
	cn_call(init->env->parent, &msg);
	cn_msg_reset(&msg);
}

static void
wake_server(struct child *server)
{
	if (server->requests_sigh >= 0)
		cn_signal_submit(server->requests_sigh, 1);
}

static void
wake_client(struct child *client)
{
	if (client && client->session_sigh >= 0)
		cn_signal_submit(client->session_sigh, 1);
}

/* A session was answered: its client learns of it, except of a denied
 * environment LOG session. Such a child never gets to run its code (it
 * waits in its startup): like Genode's child with a missing environment
 * session, it is incomplete until a reconfiguration re-routes it. */
static void
session_settled(struct init *init, struct session *s)
{
	struct child *c = s->client;

	if (!c)
		return;
	if (s->client_id == CN_ENV_BINARY) {
		if (s->state == SESSION_AVAILABLE)
			binary_request(init, s); /* from our parent */
		/* a client leaving with its server is no news */
		if (s->state == SESSION_DENIED && init_child_leaving(init, c)) {
			init_child_binary_ready(init, c, -1, CN_ERR_DENIED);
		} else if (s->state == SESSION_DENIED) {
			if (s->server)
				cn_error(init->env, "%s: binary ROM \"%s\" denied by \"%s\"",
				         c->name, c->binary, s->server->name);
			else if (!s->route.server)
				cn_error(init->env, "%s: binary ROM \"%s\" denied by our parent",
				         c->name, c->binary);
			else
				cn_error(init->env, "%s: binary ROM \"%s\": its server is gone",
				         c->name, c->binary);
			init_child_binary_ready(init, c, -1, CN_ERR_DENIED);
		}
		return;
	}
	if (s->client_id == CN_ENV_LOG && s->state == SESSION_DENIED) {
		c->incomplete = c->env_denied = true;
		c->alive = false;
		init_state_report_later(init);
		return;
	}
	wake_client(c);
}

/* The inline config ROM, served by init itself. */
static int
config_rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct child *c = cn_obj_data(obj);
	int r;

	/* a new version after a change is made on the next well-formed fetch */
	if (rpc->opcode == CN_ROM_DATASPACE && c->config && cn_msg_end(rpc->in) == 0 &&
	    !rpc->in->hdr.ncaps) {
		r = init_config_ds_prepare(c->init, c);
		if (r < 0)
			return r;
	}
	/* a <config> node that is gone is an invalid ROM */
	return cn_rom_serve(rpc, c->config ? c->config_ds.cap : -1, c->config_len, &c->config_sigh);
}

/* Put the inline config into a dataspace once, then seal it read-only. */
int
init_config_ds_prepare(struct init *init, struct child *c)
{
	struct cn_ds *ds = &c->config_ds;
	int r;

	if (ds->cap >= 0)
		return 0;
	r = cn_pd_alloc_ram(init->env->pd, c->config_len, ds);
	if (r < 0)
		return r;
	r = cn_ds_attach(ds);
	if (r == 0) {
		memcpy(ds->addr, c->config, c->config_len);
		r = cn_pd_seal_ram(init->env->pd, ds); /* detaches; cap is read-only now */
	}
	if (r < 0)
		cn_pd_free_ram(init->env->pd, ds);
	return r < 0 ? r : 0;
}

static int
open_session(struct init *init, struct child *client, struct cn_rpc *rpc)
{
	struct cn_parent_session_request req;
	char full[CN_LABEL_MAX], fwd[CN_ARGS_MAX];
	const char *service = req.service, *args = req.args, *label = req.label;
	uint64_t ram, caps;
	struct target target;
	struct session *s;
	uint32_t id;
	int r;

	r = cn_parent_session_decode(rpc, &req);
	if (r < 0)
		return r;
	id = req.id;
	ram = req.ram_quota;
	caps = req.cap_quota;
	if (client_session(init, client, id))
		return CN_ERR_INVALID_ARG;
	if (client_session_count(init, client) >= INIT_CHILD_SESSIONS_MAX)
		return CN_ERR_DENIED;
	if (cn_label_prefixed(client->name, label, full, sizeof(full)) < 0)
		return CN_ERR_INVALID_ARG;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->client = client;
	s->client_id = id;
	s->cap = -1;
	snprintf(s->service, sizeof(s->service), "%s", service);

	/* the inline config ROM is served by init itself */
	if (strcmp(service, "ROM") == 0 && strcmp(cn_label_last(full), "config") == 0 &&
	    client->config) {
		r = init_config_ds_prepare(init, client);
		if (r == 0)
			r = cn_obj_create(init->env->ep, config_rom_dispatch, client, &s->local);
		if (r < 0) {
			free(s);
			return r;
		}
		s->state = SESSION_AVAILABLE;
		snprintf(s->label, sizeof(s->label), "%s", full);
		cn_args_set_str("", "label", full, s->args, sizeof(s->args));
		s->next = init->sessions;
		init->sessions = s;
		cn_msg_put_cap(rpc->out, cn_obj_cap(s->local));
		return CN_OK;
	}

	r = route(init, client, service, full, label, &target);
	if (r == 0)
		r = cn_args_set_str(args, "label", target.label, fwd, sizeof(fwd)) < 0
		        ? CN_ERR_INVALID_ARG
		        : 0;
	/* the client pays: its donation moves to init, then on to the server */
	if (r == 0)
		r = transfer(client->pd, init->env->pd, ram, caps);
	if (r < 0) {
		free(s);
		return r;
	}
	s->ram = ram;
	s->caps = caps;
	snprintf(s->label, sizeof(s->label), "%s", full);
	snprintf(s->args, sizeof(s->args), "%s", fwd);
	record_route(&s->route, &target);
	if (!target.server) {
		r = init_parent_session(init, service, fwd, &s->cap, &s->parent_id);
		if (r == CN_ERR_PENDING) {
			/* answered later, see init_parent_sessions_update() */
			s->state = SESSION_CREATE_REQUESTED;
			s->next = init->sessions;
			init->sessions = s;
			return CN_ERR_PENDING;
		}
		if (r < 0) {
			refund(init, s);
			free(s);
			return r;
		}
		s->state = SESSION_AVAILABLE;
		s->next = init->sessions;
		init->sessions = s;
		cn_msg_put_cap(rpc->out, s->cap);
		return CN_OK;
	}
	r = transfer(init->env->pd, target.server->pd, ram, caps);
	if (r < 0) {
		refund(init, s);
		free(s);
		return r;
	}
	s->server = target.server;
	s->server_id = ++target.server->next_server_id;
	s->state = SESSION_CREATE_REQUESTED;
	s->pending = PENDING_CREATE;
	snprintf(s->args, sizeof(s->args), "%s", fwd);
	s->next = init->sessions;
	init->sessions = s;
	if (target.server->announced[provided_index(target.server, service)])
		wake_server(target.server);
	return CN_ERR_PENDING;
}

static int
session_cap(struct init *init, struct child *client, struct cn_rpc *rpc)
{
	struct session *s;
	uint32_t id;
	int32_t err;

	if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	if (id == CN_ENV_PD || (id == CN_ENV_LOG && client->log >= 0)) {
		cn_msg_put_cap(rpc->out, id == CN_ENV_PD ? client->pd : client->log);
		return CN_OK;
	}
	/* otherwise the environment LOG is a session at a child server */
	s = client_session(init, client, id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	switch (s->state) {
	case SESSION_AVAILABLE:
		if (s->upgrading)
			return CN_ERR_PENDING; /* its upgrade is not through yet */
		cn_msg_put_cap(rpc->out, s->local ? cn_obj_cap(s->local) : s->cap);
		return CN_OK;
	case SESSION_DENIED:
		/* a denied environment session leaves the child waiting in its
		 * startup, incomplete (see session_settled) */
		if (s->client_id == CN_ENV_LOG)
			return CN_ERR_PENDING;
		err = s->error;
		session_free(init, s);
		return err;
	default:
		return CN_ERR_PENDING;
	}
}

/* Close a session from the client's side (or because the client is
 * gone): true if its server closes it later (s stays until it answered),
 * false if it is gone already. */
static bool
close_session(struct init *init, struct session *s)
{
	if (s->state == SESSION_CLOSE_REQUESTED)
		return true; /* the server has it already; its answer frees it */
	if (s->local) {
		session_free(init, s);
		return false;
	}
	if (!s->server) {
		if (s->parent_id)
			init_parent_close(init, s->parent_id);
		refund(init, s);
		session_free(init, s);
		return false;
	}
	if (s->state == SESSION_DENIED ||
	    (s->state == SESSION_CREATE_REQUESTED && s->pending == PENDING_CREATE)) {
		/* the server never saw it */
		refund(init, s);
		session_free(init, s);
		return false;
	}
	s->state = SESSION_CLOSE_REQUESTED;
	s->pending = PENDING_CLOSE;
	wake_server(s->server);
	return true;
}

static int
close_request(struct init *init, struct child *client, struct cn_rpc *rpc)
{
	struct session *s;
	uint32_t id;

	if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	if (id < CN_ENV_FIRST_DYNAMIC)
		return CN_ERR_DENIED; /* environment sessions live as long as the child */
	s = client_session(init, client, id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	/* as Genode's: the client waits until the server closed it
	 * (SESSION_CAP answers pending until then, then not found) */
	return close_session(init, s) ? CN_ERR_PENDING : CN_OK;
}

static int
upgrade_request(struct init *init, struct child *client, struct cn_rpc *rpc)
{
	char args[CN_ARGS_MAX];
	uint64_t ram = 0, caps = 0;
	struct session *s;
	struct cn_msg msg;
	uint32_t id;
	int r;

	if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_get_str(rpc->in, args, sizeof(args)) < 0 ||
	    cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	s = client_session(init, client, id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	if (cn_args_u64(args, "ram_quota", &ram) == -EINVAL ||
	    cn_args_u64(args, "cap_quota", &caps) == -EINVAL)
		return CN_ERR_INVALID_ARG;
	if (s->state != SESSION_AVAILABLE)
		return CN_ERR_DENIED;
	r = transfer(client->pd, init->env->pd, ram, caps);
	if (r < 0)
		return r;
	if (s->local) {
		/* init's own config ROM needs nothing: init keeps it until close */
		s->ram += ram;
		s->caps += caps;
		return CN_OK;
	}
	if (s->server) {
		/* on to the server, which learns of it as an upgrade request */
		r = transfer(init->env->pd, s->server->pd, ram, caps);
		if (r < 0) {
			transfer(init->env->pd, client->pd, ram, caps);
			return r;
		}
		s->ram += ram;
		s->caps += caps;
		s->upgrade_ram += ram;
		s->upgrade_caps += caps;
		s->upgrading = true;
		wake_server(s->server);
		return CN_ERR_PENDING; /* the client waits until the server took it */
	}
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_UPGRADE);
	cn_msg_put_u32(&msg, s->parent_id);
	cn_msg_put_str(&msg, args);
	r = cn_call(init->env->parent, &msg);
	cn_msg_reset(&msg);
	if (r < 0) {
		transfer(init->env->pd, client->pd, ram, caps);
		return r;
	}
	s->ram += ram;
	s->caps += caps;
	return CN_OK;
}

/* --- the server side ------------------------------------------------------- */

static int
announce(struct init *init, struct child *server, struct cn_rpc *rpc)
{
	char name[CN_SERVICE_NAME_MAX];
	int i;

	if (cn_msg_get_str(rpc->in, name, sizeof(name)) < 0 || cn_msg_end(rpc->in) < 0 ||
	    rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	i = provided_index(server, name);
	if (i < 0) {
		cn_warning(init->env, "%s: illegal announcement of service \"%s\"", server->name,
		           name);
		return CN_ERR_DENIED;
	}
	server->announced[i] = true;
	if (init->verbose)
		cn_log(init->env, "child \"%s\" announces service \"%s\"", server->name, name);
	wake_server(server);
	return CN_OK;
}

static int
next_request(struct init *init, struct child *server, struct cn_rpc *rpc)
{
	struct session *pick = NULL;

	if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	/* upgrades first, as Genode orders them */
	for (struct session *s = init->sessions; s; s = s->next) {
		char args[96];

		/* an upgrade the client made before closing still comes first */
		if (s->server != server || (!s->upgrade_ram && !s->upgrade_caps) ||
		    (s->state != SESSION_AVAILABLE && s->state != SESSION_CLOSE_REQUESTED))
			continue;
		snprintf(args, sizeof(args), "ram_quota=%llu, cap_quota=%llu",
		         (unsigned long long)s->upgrade_ram, (unsigned long long)s->upgrade_caps);
		s->upgrade_ram = s->upgrade_caps = 0;
		s->upgrade_in_flight = true;
		cn_msg_put_u32(rpc->out, CN_REQUEST_UPGRADE);
		cn_msg_put_u32(rpc->out, s->server_id);
		cn_msg_put_str(rpc->out, s->service);
		cn_msg_put_str(rpc->out, args);
		return CN_OK;
	}
	/* closes before creates, so a single-session server can make room */
	for (struct session *s = init->sessions; s; s = s->next) {
		if (s->server != server || s->pending == PENDING_NONE)
			continue;
		if (s->pending == PENDING_CREATE &&
		    !server->announced[provided_index(server, s->service)])
			continue;
		/* the list is newest first: the last match of a kind is the oldest */
		if (!pick || s->pending == PENDING_CLOSE || pick->pending == PENDING_CREATE)
			pick = s;
	}
	if (!pick) {
		cn_msg_put_u32(rpc->out, CN_REQUEST_NONE);
		cn_msg_put_u32(rpc->out, 0);
		cn_msg_put_str(rpc->out, "");
		cn_msg_put_str(rpc->out, "");
		return CN_OK;
	}
	cn_msg_put_u32(rpc->out,
	               pick->pending == PENDING_CLOSE ? CN_REQUEST_CLOSE : CN_REQUEST_CREATE);
	cn_msg_put_u32(rpc->out, pick->server_id);
	cn_msg_put_str(rpc->out, pick->service);
	cn_msg_put_str(rpc->out, pick->pending == PENDING_CLOSE ? "" : pick->args);
	pick->pending = PENDING_NONE;
	return CN_OK;
}

static int
session_response(struct init *init, struct child *server, struct cn_rpc *rpc)
{
	struct session *s;
	uint32_t id;
	int32_t response;

	if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_get_i32(rpc->in, &response) < 0 ||
	    cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	s = server_session(init, server, id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	if (s->upgrade_in_flight) {
		/* the answer to the upgrade it fetched (it may be closing, too) */
		s->upgrade_in_flight = false;
		if (s->upgrade_ram || s->upgrade_caps)
			return CN_OK; /* another one is waiting: its answer counts */
		if (s->upgrading) {
			s->upgrading = false;
			if (s->for_parent)
				respond_parent(init, s->parent_request_id, CN_OK);
			else
				wake_client(s->client);
		}
		return CN_OK;
	}
	if (s->state == SESSION_CLOSE_REQUESTED) {
		struct child *client = s->client;

		refund(init, s);
		if (s->for_parent)
			respond_parent(init, s->parent_request_id, CN_OK);
		session_free(init, s);
		wake_client(client); /* it waits for the close */
		return CN_OK;
	}
	if (s->state == SESSION_CREATE_REQUESTED && response < 0) {
		refund(init, s);
		s->state = SESSION_DENIED;
		s->error =
		    response == CN_ERR_INSUFFICIENT_RAM || response == CN_ERR_INSUFFICIENT_CAPS
		        ? response
		        : CN_ERR_DENIED;
		if (s->for_parent)
			respond_parent(init, s->parent_request_id, s->error);
		if (!s->client)
			session_free(init, s);
		else
			session_settled(init, s);
	}
	return CN_OK;
}

static int
deliver_session(struct init *init, struct child *server, struct cn_rpc *rpc)
{
	struct session *s;
	uint32_t id;

	if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
		return CN_ERR_BAD_MESSAGE;
	s = server_session(init, server, id);
	if (!s || s->state != SESSION_CREATE_REQUESTED)
		return CN_ERR_NOT_FOUND;
	s->cap = cn_msg_take_cap(rpc->in, 0);
	s->state = SESSION_AVAILABLE;
	if (s->for_parent) {
		deliver_parent(init, s->parent_request_id, s->cap);
		return CN_OK;
	}
	if (!s->client) {
		close_session(init, s);
		return CN_OK;
	}
	if (s->client_id == CN_ENV_BINARY) {
		binary_request(init, s);
		return CN_OK;
	}
	wake_client(s->client);
	return CN_OK;
}

/* Genode's init does not grant a resource request by itself: it logs it,
 * and a management component (or a person editing the config) raises
 * the child's quota, which wakes the child (main.c, child_upgrade). */
static int
resource_request(struct init *init, struct child *child, struct cn_rpc *rpc)
{
	char args[CN_ARGS_MAX];

	if (cn_msg_get_str(rpc->in, args, sizeof(args)) < 0 || cn_msg_end(rpc->in) < 0 ||
	    rpc->in->hdr.ncaps || cn_args_valid(args) < 0)
		return CN_ERR_BAD_MESSAGE;
	cn_log(init->env, "child \"%s\" requests resources: %s", child->name, args);
	snprintf(child->requested, sizeof(child->requested), "%s", args);
	init_state_report(init);
	return CN_OK;
}

static int child_request(struct child *child, struct cn_rpc *rpc);

static int
sigh_registered(int r, int sigh)
{
	if (r == CN_OK && sigh >= 0)
		cn_signal_submit(sigh, 1);
	return r;
}

int
init_child_parent_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct child *child = cn_obj_data(obj);
	int r;

	if (child->exited)
		return CN_ERR_DENIED;
	r = child_request(child, rpc);
	/* sessions may have changed state: the report follows within delay_ms */
	switch (rpc->opcode) {
	case CN_PARENT_SESSION:
	case CN_PARENT_CLOSE:
	case CN_PARENT_UPGRADE:
	case CN_PARENT_SESSION_RESPONSE:
	case CN_PARENT_DELIVER_SESSION:
		init_state_report_later(child->init);
		break;
	default:
		break;
	}
	return r;
}

static int
child_request(struct child *child, struct cn_rpc *rpc)
{
	struct init *init = child->init;
	int32_t value;

	switch (rpc->opcode) {
	case CN_PARENT_EXIT:
		if (cn_msg_get_i32(rpc->in, &value) < 0 || cn_msg_end(rpc->in) < 0)
			return CN_ERR_BAD_MESSAGE;
		init_child_exited(child, value);
		return CN_OK;
	case CN_PARENT_SESSION_SIGH:
		/* a session may have settled before the child registered: one
		 * signal now, so it looks (a spurious one costs a lookup) */
		return sigh_registered(cn_parent_sigh_replace(rpc, &child->session_sigh),
		                       child->session_sigh);
	case CN_PARENT_YIELD_SIGH:
		return cn_parent_sigh_replace(rpc, &child->yield_sigh);
	case CN_PARENT_YIELD_REQUEST: {
		char args[96];

		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
			return CN_ERR_BAD_MESSAGE;
		snprintf(args, sizeof(args), "ram_quota=%llu, cap_quota=%llu",
		         (unsigned long long)child->yield_ram,
		         (unsigned long long)child->yield_caps);
		cn_msg_put_str(rpc->out, args);
		return CN_OK;
	}
	case CN_PARENT_YIELD_RESPONSE:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
			return CN_ERR_BAD_MESSAGE;
		init_child_yielded(child);
		return CN_OK;
	case CN_PARENT_HEARTBEAT_SIGH:
		return cn_parent_sigh_replace(rpc, &child->heartbeat_sigh);
	case CN_PARENT_HEARTBEAT_RESPONSE:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
			return CN_ERR_BAD_MESSAGE;
		child->heartbeat_pending = false;
		if (child->skipped_heartbeats)
			init_state_report_later(init);
		child->skipped_heartbeats = 0;
		return CN_OK;
	case CN_PARENT_RESOURCE_AVAIL_SIGH:
		return cn_parent_sigh_replace(rpc, &child->resource_avail_sigh);
	case CN_PARENT_RESOURCE_REQUEST:
		return resource_request(init, child, rpc);
	case CN_PARENT_SESSION:
		return open_session(init, child, rpc);
	case CN_PARENT_SESSION_CAP:
		return session_cap(init, child, rpc);
	case CN_PARENT_UPGRADE:
		return upgrade_request(init, child, rpc);
	case CN_PARENT_CLOSE:
		return close_request(init, child, rpc);
	case CN_PARENT_ANNOUNCE:
		return announce(init, child, rpc);
	case CN_PARENT_REQUESTS_SIGH:
		return sigh_registered(cn_parent_sigh_replace(rpc, &child->requests_sigh),
		                       child->requests_sigh);
	case CN_PARENT_NEXT_REQUEST:
		return next_request(init, child, rpc);
	case CN_PARENT_SESSION_RESPONSE:
		return session_response(init, child, rpc);
	case CN_PARENT_DELIVER_SESSION:
		return deliver_session(init, child, rpc);
	default:
		return CN_ERR_INVALID_OPCODE;
	}
}

void
init_child_sessions_release(struct init *init, struct child *child)
{
	struct session *s, *next;

	for (s = init->sessions; s; s = next) {
		next = s->next;
		if (s->client == child) {
			/* the child is going: what its sessions donated stays with
			 * init (its PD's quota returns to init anyway), and nothing
			 * may point to it once it is freed */
			s->client = NULL;
			close_session(init, s);
			continue;
		}
		if (s->server != child)
			continue;
		/* its server is gone: clients of pending sessions are told, the
		 * donation goes back to them from init (the server's PD quota
		 * returns to init when it is closed); a client keeping an
		 * available one is re-routed by the next re-evaluation */
		s->server = NULL;
		if (s->upgrading) {
			/* nobody will take it: the waiting client goes on */
			s->upgrading = s->upgrade_in_flight = false;
			wake_client(s->client);
		}
		s->parent_id = 0;
		if (s->for_parent) {
			/* our parent learns of a pending one now, of an
			 * available one when it closes it */
			if (s->state != SESSION_AVAILABLE) {
				respond_parent(init, s->parent_request_id,
				               s->state == SESSION_CLOSE_REQUESTED ? CN_OK
				                                                   : CN_ERR_DENIED);
				session_free(init, s);
			}
			continue;
		}
		if (s->state == SESSION_CREATE_REQUESTED) {
			s->state = SESSION_DENIED;
			s->error = CN_ERR_DENIED;
			session_settled(init, s);
		}
		if (!s->client)
			session_free(init, s);
	}
}

/* Our parent says a session it had answered "pending" changed: fetch the
 * caps of those that are ready, tell the clients of those denied. */
void
init_parent_sessions_update(struct cn_env *env)
{
	struct init *init = init_of(env);
	struct session *s, *next;

	for (s = init->sessions; s; s = next) {
		struct cn_msg msg;
		int r;

		next = s->next;
		if (s->server || s->local || s->state != SESSION_CREATE_REQUESTED || !s->parent_id)
			continue;
		msg.owns_caps = false;
		cn_msg_init(&msg, CN_PARENT_SESSION_CAP);
		cn_msg_put_u32(&msg, s->parent_id);
		r = cn_call(init->env->parent, &msg);
		if (r >= 0 && msg.hdr.ncaps == 1) {
			s->cap = cn_msg_take_cap(&msg, 0);
			s->state = SESSION_AVAILABLE;
		} else if (r != CN_ERR_PENDING) {
			s->parent_id = 0; /* the parent discarded it */
			refund(init, s);
			s->state = SESSION_DENIED;
			s->error = r < 0 ? r : CN_ERR_BAD_MESSAGE;
		}
		cn_msg_reset(&msg);
		if (s->state == SESSION_CREATE_REQUESTED)
			continue;
		if (s->client)
			session_settled(init, s);
		else
			close_session(init, s);
	}
}

/* --- init as a server: <service> nodes ----------------------------------- */

static struct session *
parent_request(struct init *init, uint32_t id)
{
	for (struct session *s = init->sessions; s; s = s->next)
		if (s->for_parent && s->parent_request_id == id)
			return s;
	return NULL;
}

/* Where a request of our parent goes by the policy of its <service>
 * node: 0 with the serving child and the label there; CN_ERR_PENDING if
 * that child is not there or does not provide the service (yet: Genode
 * keeps such a request until it is); CN_ERR_DENIED if no policy matches. */
static int
parent_policy_route(struct init *init, const char *service, const char *label, struct target *ret,
                    bool quiet)
{
	const struct cn_xml_node *svc = NULL, *policy, *target;
	char name[INIT_NAME_MAX];
	struct child *c;

	cn_xml_for_each(n, init_config_root(init), "service")
	{
		if (cn_xml_attr_is(n, "name", service))
			svc = n;
	}
	if (!svc)
		return CN_ERR_DENIED;
	policy = cn_policy_select(svc, label);
	if (!policy) {
		if (!quiet)
			cn_warning(init->env, "no policy defined for label '%s'", label);
		return CN_ERR_DENIED;
	}
	target = cn_xml_child(policy, "child");
	if (!target || cn_xml_attr_str(target, "name", name, sizeof(name)) < 0)
		return CN_ERR_DENIED;
	c = find_child(init, name);
	if (!c || c->exited || provided_index(c, service) < 0)
		return CN_ERR_PENDING;
	ret->server = c;
	return target_label(target, label, ret) < 0 ? CN_ERR_INVALID_ARG : 0;
}

/* Hand a request of our parent on to the child t names. */
static int
forward_parent_request(struct init *init, struct session *s, const struct target *t)
{
	char fwd[CN_ARGS_MAX];

	if (cn_args_set_str(s->args, "label", t->label, fwd, sizeof(fwd)) < 0)
		return CN_ERR_INVALID_ARG;
	/* our parent put the donation into our PD; it moves on to the server */
	if (transfer(init->env->pd, t->server->pd, s->ram, s->caps) < 0)
		return CN_ERR_INSUFFICIENT_RAM;
	s->server = t->server;
	s->server_id = ++t->server->next_server_id;
	s->pending = PENDING_CREATE;
	record_route(&s->route, t);
	snprintf(s->args, sizeof(s->args), "%s", fwd);
	if (t->server->announced[provided_index(t->server, s->service)])
		wake_server(t->server);
	return 0;
}

/* A session our parent asks for (init as a server): recorded, and
 * forwarded at once or once its server is there. */
static int
parent_create(struct init *init, uint32_t id, const char *service, const char *args)
{
	char label[CN_LABEL_MAX] = "";
	uint64_t ram = 0, caps = 0;
	struct target t;
	struct session *s;
	int r;

	if (parent_request(init, id))
		return CN_ERR_DENIED;
	cn_args_str(args, "label", label, sizeof(label));
	r = parent_policy_route(init, service, label, &t, false);
	if (r < 0 && r != CN_ERR_PENDING)
		return r;
	cn_args_u64(args, "ram_quota", &ram);
	cn_args_u64(args, "cap_quota", &caps);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct session){.client = NULL,
	                      .state = SESSION_CREATE_REQUESTED,
	                      .cap = -1,
	                      .ram = ram,
	                      .caps = caps,
	                      .for_parent = true,
	                      .parent_request_id = id};
	snprintf(s->service, sizeof(s->service), "%s", service);
	snprintf(s->args, sizeof(s->args), "%s", args);
	snprintf(s->label, sizeof(s->label), "%s", label);
	if (r == 0) {
		r = forward_parent_request(init, s, &t);
		if (r < 0) {
			free(s);
			return r;
		}
	}
	s->next = init->sessions;
	init->sessions = s;
	return CN_ERR_PENDING;
}

/* After a reconfiguration (Genode's apply_updated_policy): requests still
 * waiting for their server are forwarded if it is there now or denied if
 * no policy matches any more; forwarded sessions whose policy now names
 * another child (or none) are closed. */
void
init_parent_requests_update(struct init *init)
{
	struct session *s, *next;

	for (s = init->sessions; s; s = next) {
		struct target t;
		int r;

		next = s->next;
		if (!s->for_parent || s->state == SESSION_CLOSE_REQUESTED ||
		    s->state == SESSION_DENIED)
			continue;
		r = parent_policy_route(init, s->service, s->label, &t, true);
		if (!s->server) {
			if (r == 0)
				r = forward_parent_request(init, s, &t);
			if (r < 0 && r != CN_ERR_PENDING) {
				respond_parent(init, s->parent_request_id, r);
				session_free(init, s);
			}
			continue;
		}
		if (r == 0 && t.server->id == s->route.server &&
		    strcmp(t.label, s->route.label) == 0)
			continue;
		close_session(init, s); /* answered once the server closed it */
	}
}

/* Our parent donates more to a session it asked us for: on to its server. */
static void
parent_upgrade(struct init *init, uint32_t id, const char *args)
{
	struct session *s = parent_request(init, id);
	uint64_t ram = 0, caps = 0;

	cn_args_u64(args, "ram_quota", &ram);
	cn_args_u64(args, "cap_quota", &caps);
	if (s && s->server && s->state == SESSION_AVAILABLE &&
	    transfer(init->env->pd, s->server->pd, ram, caps) == 0) {
		s->ram += ram;
		s->caps += caps;
		s->upgrade_ram += ram;
		s->upgrade_caps += caps;
		s->upgrading = true; /* answered once the server took it */
		wake_server(s->server);
		return;
	} else if (s) {
		/* not forwarded (yet): init keeps it with the session */
		s->ram += ram;
		s->caps += caps;
	}
	respond_parent(init, id, CN_OK);
}

static void
parent_close(struct init *init, uint32_t id)
{
	struct session *s = parent_request(init, id);

	if (!s || !s->server) {
		/* unknown, or its server is gone: nothing left to close */
		if (s)
			session_free(init, s);
		respond_parent(init, id, CN_OK);
		return;
	}
	close_session(init, s); /* answered when the server has closed it */
}

static void
parent_requests(void *data, uint32_t count)
{
	struct init *init = data;
	char service[CN_SERVICE_NAME_MAX], args[CN_ARGS_MAX];
	struct cn_msg msg;

	(void)count;
	msg.owns_caps = false;
	for (;;) {
		uint32_t kind = CN_REQUEST_NONE, id = 0;
		int r;

		cn_msg_init(&msg, CN_PARENT_NEXT_REQUEST);
		if (cn_call(init->env->parent, &msg) < 0)
			break;
		cn_msg_get_u32(&msg, &kind);
		cn_msg_get_u32(&msg, &id);
		cn_msg_get_str(&msg, service, sizeof(service));
		cn_msg_get_str(&msg, args, sizeof(args));
		if (cn_msg_end(&msg) < 0 || kind == CN_REQUEST_NONE)
			break;
		switch (kind) {
		case CN_REQUEST_CREATE:
			r = cn_args_valid(args) < 0 ? CN_ERR_INVALID_ARG
			                            : parent_create(init, id, service, args);
			if (r != CN_ERR_PENDING)
				respond_parent(init, id, r < 0 ? r : CN_ERR_DENIED);
			break;
		case CN_REQUEST_CLOSE:
			parent_close(init, id);
			break;
		case CN_REQUEST_UPGRADE:
			parent_upgrade(init, id, args);
			break;
		default:
			respond_parent(init, id, CN_ERR_INVALID_ARG);
			break;
		}
	}
	cn_msg_reset(&msg);
}

void
init_announce_services(struct init *init)
{
	struct cn_msg msg;

	cn_xml_for_each(svc, init_config_root(init), "service")
	{
		char name[CN_SERVICE_NAME_MAX];
		bool done = false;
		int r;

		if (cn_xml_attr_str(svc, "name", name, sizeof(name)) < 0) {
			cn_warning(init->env, "<service> node without a name");
			continue;
		}
		for (unsigned i = 0; i < init->announced_count; i++)
			done |= strcmp(init->announced[i], name) == 0;
		if (done || init->announced_count == INIT_PROVIDES_MAX)
			continue;
		if (!init->parent_requests) {
			if (cn_sig_create(init->env->ep, parent_requests, init,
			                  &init->parent_requests) < 0)
				return;
			msg.owns_caps = false;
			cn_msg_init(&msg, CN_PARENT_REQUESTS_SIGH);
			cn_msg_put_cap(&msg, cn_sig_cap(init->parent_requests));
			cn_call(init->env->parent, &msg);
			cn_msg_reset(&msg);
		}
		msg.owns_caps = false;
		cn_msg_init(&msg, CN_PARENT_ANNOUNCE);
		cn_msg_put_str(&msg, name);
		r = cn_call(init->env->parent, &msg);
		cn_msg_reset(&msg);
		if (r < 0) {
			cn_warning(init->env, "service \"%s\" cannot be offered: %s", name,
			           cn_strerror(r));
			continue;
		}
		snprintf(init->announced[init->announced_count++], CN_SERVICE_NAME_MAX, "%s", name);
	}
}

/* The arguments of an environment session: the label and the donation. */
static int
env_args(const char *label, char *buf, size_t size)
{
	char a[CN_ARGS_MAX], b[CN_ARGS_MAX];

	if (cn_args_set_str("", "label", label, a, sizeof(a)) < 0 ||
	    cn_args_set_u64(a, "ram_quota", ENV_SESSION_RAM, b, sizeof(b)) < 0 ||
	    cn_args_set_u64(b, "cap_quota", ENV_SESSION_CAPS, buf, size) < 0)
		return -ENAMETOOLONG;
	return 0;
}

/* The record of a child's environment session that is not there yet
 * (pending at init's parent or at a child server), paid by the child. */
static struct session *
env_session_record(struct init *init, struct child *c, uint32_t id, const char *service,
                   const char *label, const char *args, const struct route_rec *route)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	*s = (struct session){.client = c,
	                      .client_id = id,
	                      .ram = ENV_SESSION_RAM,
	                      .caps = ENV_SESSION_CAPS,
	                      .state = SESSION_CREATE_REQUESTED,
	                      .cap = -1,
	                      .route = *route};
	snprintf(s->service, sizeof(s->service), "%s", service);
	snprintf(s->args, sizeof(s->args), "%s", args);
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->next = init->sessions;
	init->sessions = s;
	return s;
}

/* An environment session of c at one of our children: paid from c's
 * quota (child -> init -> server) like any session, then fetched by the
 * server like any request. */
static int
env_session_at_child(struct init *init, struct child *c, struct child *server, uint32_t id,
                     const char *service, const char *label, const char *args,
                     const struct route_rec *route)
{
	struct session *s;
	int r;

	r = transfer(c->pd, init->env->pd, ENV_SESSION_RAM, ENV_SESSION_CAPS);
	if (r == 0) {
		r = transfer(init->env->pd, server->pd, ENV_SESSION_RAM, ENV_SESSION_CAPS);
		if (r < 0)
			transfer(init->env->pd, c->pd, ENV_SESSION_RAM, ENV_SESSION_CAPS);
	}
	if (r < 0)
		return r;
	s = env_session_record(init, c, id, service, label, args, route);
	if (!s) {
		transfer(server->pd, init->env->pd, ENV_SESSION_RAM, ENV_SESSION_CAPS);
		transfer(init->env->pd, c->pd, ENV_SESSION_RAM, ENV_SESSION_CAPS);
		return -ENOMEM;
	}
	s->server = server;
	s->server_id = ++server->next_server_id;
	s->pending = PENDING_CREATE;
	if (server->announced[provided_index(server, service)])
		wake_server(server);
	return 0;
}

/* An environment session at init's parent, paid by the child: 0 with
 * *ret_cap, CN_ERR_PENDING with a record that init_parent_sessions_update
 * completes (a nested init whose parent routed it to a child server), or
 * an error with the donation back with the child. */
static int
env_session_at_parent(struct init *init, struct child *c, uint32_t client_id, const char *service,
                      const char *label, const char *args, const struct route_rec *route,
                      int *ret_cap, uint32_t *ret_id)
{
	struct session *s;
	int r;

	r = transfer(c->pd, init->env->pd, ENV_SESSION_RAM, ENV_SESSION_CAPS);
	if (r < 0)
		return r;
	r = init_parent_session(init, service, args, ret_cap, ret_id);
	if (r == 0)
		return 0;
	if (r == CN_ERR_PENDING) {
		s = env_session_record(init, c, client_id, service, label, args, route);
		if (s) {
			s->parent_id = *ret_id;
			return CN_ERR_PENDING;
		}
		init_parent_close(init, *ret_id);
		r = -ENOMEM;
	}
	transfer(init->env->pd, c->pd, ENV_SESSION_RAM, ENV_SESSION_CAPS);
	return r;
}

/* The environment LOG session of a child, routed like its other sessions
 * (with the child's name as label, which scoped selectors never match):
 * at init's parent, the child gets its capability directly; at a child
 * server, it becomes an ordinary session with client id CN_ENV_LOG that
 * the child waits for at startup. */
int
init_env_log_session(struct init *init, struct child *c)
{
	char args[CN_ARGS_MAX];
	struct target target;
	uint32_t id;
	int r, cap;

	r = route(init, c, "LOG", c->name, NULL, &target);
	if (r == 0)
		r = env_args(target.label, args, sizeof(args));
	if (r < 0)
		return r;
	record_route(&c->env_log_route, &target);
	if (target.server)
		return env_session_at_child(init, c, target.server, CN_ENV_LOG, "LOG", c->name,
		                            args, &c->env_log_route);
	/* pending: the child waits for it at startup like for one at a sibling */
	r = env_session_at_parent(init, c, CN_ENV_LOG, "LOG", c->name, args, &c->env_log_route,
	                          &cap, &id);
	if (r == 0) {
		c->log = cap;
		c->log_id = id;
	}
	return r == CN_ERR_PENDING ? 0 : r;
}

/* The dataspace of the binary's ROM session at a child server, asked for
 * without waiting: the answer arrives on a reply channel that the
 * entrypoint watches (binary_reply), so a server that never answers
 * delays only this child. */
static void
binary_reply(void *data, uint32_t events)
{
	struct child *c = data;
	struct cn_msg msg;
	int back = -1, ds = -1, r;

	(void)events;
	msg.owns_caps = false;
	r = cn_wire_recv(c->binary_reply, &msg, &back, true);
	if (r == -EAGAIN)
		return;
	init_child_binary_cancel(c);
	if (back >= 0)
		close(back);
	if (r == 0 && !(msg.hdr.flags & CN_MSG_F_CALL) && msg.hdr.code == CN_OK &&
	    msg.hdr.ncaps == 1)
		ds = cn_msg_take_cap(&msg, 0);
	else if (r == 0)
		r = msg.hdr.code < 0 ? msg.hdr.code : CN_ERR_NOT_FOUND; /* invalid or empty */
	cn_msg_reset(&msg);
	if (ds < 0)
		cn_error(c->init->env, "%s: binary ROM \"%s\" has no content: %s", c->name,
		         c->binary, cn_strerror(r == -ECONNRESET ? CN_ERR_NO_REPLY : r));
	init_child_binary_ready(c->init, c, ds, ds < 0 ? CN_ERR_NOT_FOUND : 0);
}

static void
binary_request(struct init *init, struct session *s)
{
	struct child *c = s->client;
	struct cn_msg msg;
	int ch[2], r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_ROM_DATASPACE);
	r = cn_wire_channel(ch);
	if (r == 0) {
		r = cn_wire_send(s->cap, &msg, ch[1], true);
		close(ch[1]);
		if (r == 0)
			r = cn_ep_watch(init->env->ep, ch[0], EPOLLIN, binary_reply, c,
			                &c->binary_watch);
		if (r < 0)
			close(ch[0]);
		else
			c->binary_reply = ch[0];
	}
	cn_msg_reset(&msg);
	if (r < 0)
		init_child_binary_ready(init, c, -1, r);
}

void
init_child_binary_cancel(struct child *c)
{
	cn_watch_destroy(c->binary_watch);
	c->binary_watch = NULL;
	if (c->binary_reply >= 0)
		close(c->binary_reply);
	c->binary_reply = -1;
}

/* The binary ROM, Genode's way: a ROM request labelled with the binary
 * name, routed like any (so a route can rename it). From init's parent it
 * comes as a dataspace that core recognises as one of its boot modules;
 * the session is closed once the dataspace is ours. At a child server
 * (fs_rom, say) it is a session of the child, paid from its quota, that
 * stays open while the child runs: CN_ERR_PENDING, the child is started
 * once the server delivered it and answered the dataspace request; core
 * executes that sealed dataspace itself. */
int
init_binary_dataspace(struct init *init, struct child *c, int *ret_ds)
{
	char args[CN_ARGS_MAX];
	struct target target;
	struct cn_msg msg;
	uint32_t id;
	int r, cap;

	r = route(init, c, "ROM", c->binary, NULL, &target);
	if (r == 0)
		r = env_args(target.label, args, sizeof(args));
	if (r < 0)
		return r;
	record_route(&c->binary_route, &target);
	if (target.server) {
		r = env_session_at_child(init, c, target.server, CN_ENV_BINARY, "ROM", c->binary,
		                         args, &c->binary_route);
		return r < 0 ? r : CN_ERR_PENDING;
	}
	r = env_session_at_parent(init, c, CN_ENV_BINARY, "ROM", c->binary, args, &c->binary_route,
	                          &cap, &id);
	if (r == CN_ERR_PENDING)
		return r;
	if (r < 0)
		return r == CN_ERR_DENIED ? CN_ERR_NOT_FOUND : r; /* our parent has no such ROM */
	/* a boot module: its dataspace is all we need, so the session is
	 * closed at once and the donation goes back to the child */
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_ROM_DATASPACE);
	r = cn_call(cap, &msg);
	if (r >= 0 && msg.hdr.ncaps == 1)
		*ret_ds = cn_msg_take_cap(&msg, 0);
	else
		r = r < 0 ? r : CN_ERR_NOT_FOUND; /* an empty module */
	cn_msg_reset(&msg);
	init_parent_close(init, id);
	close(cap);
	transfer(init->env->pd, c->pd, ENV_SESSION_RAM, ENV_SESSION_CAPS);
	return r < 0 ? r : 0;
}

/* Genode's Route_state of one request routed to rec: still the same
 * server and label, another one (a mismatch), or none (unavailable). */
static enum init_routes
route_state(struct init *init, struct child *client, const char *service, const char *full,
            const char *scoped, const struct route_rec *rec)
{
	struct target t;

	if (route_ex(init, client, service, full, scoped, &t, true) < 0)
		return ROUTES_GONE;
	return (t.server ? t.server->id : 0) == rec->server && strcmp(t.label, rec->label) == 0
	           ? ROUTES_SAME
	           : ROUTES_MOVED;
}

enum init_routes
init_child_routes(struct init *init, struct child *c)
{
	bool moved = false, gone = false;
	enum init_routes r;
	struct target t;

	if (c->exited)
		return ROUTES_SAME;
	if (c->incomplete && !c->env_denied) {
		/* its environment sessions had no route: restart once they do */
		return route_ex(init, c, "LOG", c->name, NULL, &t, true) == 0 &&
		               route_ex(init, c, "ROM", c->binary, NULL, &t, true) == 0
		           ? ROUTES_MOVED
		           : ROUTES_SAME;
	}
	r = route_state(init, c, "LOG", c->name, NULL, &c->env_log_route);
	moved |= r == ROUTES_MOVED;
	gone |= r == ROUTES_GONE;
	r = route_state(init, c, "ROM", c->binary, NULL, &c->binary_route);
	moved |= r == ROUTES_MOVED;
	gone |= r == ROUTES_GONE;
	for (struct session *s = init->sessions; s; s = s->next) {
		size_t prefix = strlen(c->name) + strlen(CN_LABEL_SEP);
		const char *scoped;

		if (s->client != c || s->local || s->client_id < CN_ENV_FIRST_DYNAMIC ||
		    s->state == SESSION_DENIED || s->state == SESSION_CLOSE_REQUESTED)
			continue;
		scoped = strlen(s->label) >= prefix ? s->label + prefix : "";
		r = route_state(init, c, s->service, s->label, scoped, &s->route);
		moved |= r == ROUTES_MOVED;
		gone |= r == ROUTES_GONE;
	}
	/* as Genode's evaluate_dependencies: an unavailable route makes the
	 * child stuck, whatever else changed; a mismatch, or a stuck child
	 * whose routes are all there again, restarts it */
	if (gone)
		return ROUTES_GONE;
	return moved || c->stuck ? ROUTES_MOVED : ROUTES_SAME;
}

/* The child whose service c's environment LOG session is routed to, or
 * NULL (init's parent, or no route). */
static struct child *
env_log_server(struct init *init, struct child *c)
{
	struct target t;

	if (route_ex(init, c, "LOG", c->name, NULL, &t, true) < 0)
		return NULL;
	return t.server;
}

void
init_check_route_cycles(struct init *init)
{
	unsigned n = 0;

	for (struct child *c = init->children; c; c = c->next)
		n++;
	for (struct child *c = init->children; c; c = c->next) {
		char path[512];
		size_t len = 0;
		struct child *s = c;
		bool smallest = true;

		if (c->exited)
			continue;
		/* follow the chain at most n steps; a cycle through c is
		 * reported once, by its member that comes first */
		for (unsigned i = 0; i < n; i++) {
			s = env_log_server(init, s);
			if (!s || s == c)
				break;
			for (struct child *o = init->children; o != c; o = o->next)
				smallest &= o != s;
		}
		if (s != c || !smallest)
			continue;
		len += (size_t)snprintf(path, sizeof(path), "%s", c->name);
		for (s = env_log_server(init, c); len < sizeof(path); s = env_log_server(init, s)) {
			len += (size_t)snprintf(path + len, sizeof(path) - len, " -> %s", s->name);
			if (s == c)
				break;
		}
		cn_warning(
		    init->env,
		    "%s: environment LOG sessions are routed in a cycle (%s): these children "
		    "wait for each other and never start",
		    c->name, path);
	}
}
