/*
 * Server side of the asynchronous session protocol: fetch session
 * requests from the parent and answer them through the announced
 * services' callbacks.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/parent.h>
#include <cairn/service.h>

#include <stdlib.h>
#include <string.h>

#include "base.h"

enum { SERVICES_MAX = 8 };

struct service {
	char name[CN_SERVICE_NAME_MAX];
	const struct cn_service_ops *ops;
	void *data;
};

struct session_slot {
	uint32_t server_id;
	struct service *service;
	void *session;
	bool used;
};

struct cn_service_table {
	struct service services[SERVICES_MAX];
	unsigned count;
	struct cn_sig *requests_sig;
	struct session_slot slots[CN_SERVICE_SESSIONS_MAX];
};

static int
respond(struct cn_env *env, uint32_t id, int32_t response)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_SESSION_RESPONSE);
	cn_msg_put_u32(&msg, id);
	cn_msg_put_i32(&msg, response);
	r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	return r;
}

static int
deliver(struct cn_env *env, uint32_t id, int cap)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_DELIVER_SESSION);
	cn_msg_put_u32(&msg, id);
	cn_msg_put_cap(&msg, cap);
	r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	return r;
}

static struct session_slot *
find_slot(struct cn_service_table *t, uint32_t id)
{
	for (unsigned i = 0; i < CN_SERVICE_SESSIONS_MAX; i++)
		if (t->slots[i].used && t->slots[i].server_id == id)
			return &t->slots[i];
	return NULL;
}

static void
handle_create(struct cn_env *env, struct cn_service_table *t, uint32_t id, const char *name,
              const char *args)
{
	struct service *svc = NULL;
	struct session_slot *slot = NULL;
	char label[CN_LABEL_MAX] = "";
	struct cn_session_request req = {.label = label, .args = args};
	void *session;
	int cap = -1, r;

	for (unsigned i = 0; i < t->count; i++)
		if (strcmp(t->services[i].name, name) == 0)
			svc = &t->services[i];
	for (unsigned i = 0; i < CN_SERVICE_SESSIONS_MAX && !slot; i++)
		if (!t->slots[i].used)
			slot = &t->slots[i];
	if (!svc || !slot || find_slot(t, id)) {
		respond(env, id, CN_ERR_DENIED);
		return;
	}
	cn_args_str(args, "label", label, sizeof(label));
	cn_args_u64(args, "ram_quota", &req.ram_quota);
	cn_args_u64(args, "cap_quota", &req.cap_quota);
	r = svc->ops->create(svc->data, &req, &session, &cap);
	if (r < 0) {
		respond(env, id, r);
		return;
	}
	*slot = (struct session_slot){
	    .server_id = id, .service = svc, .session = session, .used = true};
	if (deliver(env, id, cap) < 0) {
		/* the parent no longer wants it */
		svc->ops->close(svc->data, session);
		slot->used = false;
	}
}

static void
handle_requests(void *data, uint32_t count)
{
	struct cn_env *env = data;
	struct cn_service_table *t = env->priv->services;
	struct cn_msg msg;
	char name[CN_SERVICE_NAME_MAX], args[CN_ARGS_MAX];

	(void)count;
	msg.owns_caps = false;
	for (;;) {
		uint32_t kind, id;
		uint64_t ram = 0, caps = 0;
		struct session_slot *slot;
		int r;

		cn_msg_init(&msg, CN_PARENT_NEXT_REQUEST);
		r = cn_call(env->parent, &msg);
		if (r < 0)
			break;
		cn_msg_get_u32(&msg, &kind);
		cn_msg_get_u32(&msg, &id);
		cn_msg_get_str(&msg, name, sizeof(name));
		cn_msg_get_str(&msg, args, sizeof(args));
		if (cn_msg_end(&msg) < 0 || kind == CN_REQUEST_NONE)
			break;
		switch (kind) {
		case CN_REQUEST_CREATE:
			handle_create(env, t, id, name, args);
			break;
		case CN_REQUEST_UPGRADE:
			slot = find_slot(t, id);
			cn_args_u64(args, "ram_quota", &ram);
			cn_args_u64(args, "cap_quota", &caps);
			if (slot && slot->service->ops->upgrade)
				slot->service->ops->upgrade(slot->service->data, slot->session, ram,
				                            caps);
			respond(env, id, CN_OK);
			break;
		case CN_REQUEST_CLOSE:
			slot = find_slot(t, id);
			if (slot) {
				/* free the slot first: a close handler may block and
				 * dispatch, and must not see its session again */
				void *session = slot->session;
				struct service *svc = slot->service;

				slot->used = false;
				svc->ops->close(svc->data, session);
			}
			respond(env, id, CN_OK);
			break;
		default:
			break;
		}
	}
	cn_msg_reset(&msg);
}

int
cn_service_announce(struct cn_env *env, const char *name, const struct cn_service_ops *ops,
                    void *data)
{
	struct cn_env_priv *p = env->priv;
	struct cn_service_table *t;
	struct cn_msg msg;
	int r;

	if (!name || !ops || !ops->create || !ops->close || strlen(name) >= CN_SERVICE_NAME_MAX)
		return -EINVAL;
	if (!p->services) {
		p->services = calloc(1, sizeof(*p->services));
		if (!p->services)
			return -ENOMEM;
	}
	t = p->services;
	if (t->count == SERVICES_MAX)
		return -ENOSPC;
	if (!t->requests_sig) {
		r = cn_sig_create(env->ep, handle_requests, env, &t->requests_sig);
		if (r < 0)
			return r;
		msg.owns_caps = false;
		cn_msg_init(&msg, CN_PARENT_REQUESTS_SIGH);
		cn_msg_put_cap(&msg, cn_sig_cap(t->requests_sig));
		r = cn_call(env->parent, &msg);
		cn_msg_reset(&msg);
		if (r < 0)
			return r;
	}
	struct service *svc = &t->services[t->count++];
	strcpy(svc->name, name);
	svc->ops = ops;
	svc->data = data;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_ANNOUNCE);
	cn_msg_put_str(&msg, name);
	r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}
