/*
 * The component environment. The base library owns main(): it takes the
 * parent capability from fd CN_PARENT_FD, obtains the PD and LOG sessions
 * through the parent, installs the sandbox, and then calls the
 * component's cn_construct(). After that the component lives in its
 * entrypoint's handlers.
 */
#ifndef CAIRN_ENV_H
#define CAIRN_ENV_H

#include <stdint.h>

#include <cairn/ep.h>
#include <cairn/xml.h>

struct cn_env_priv;

struct cn_env {
	struct cn_ep *ep;
	int parent;       /* parent capability */
	int pd;           /* own PD session at core */
	int log;          /* own LOG session */
	const char *name; /* binary name */
	struct cn_env_priv *priv;
};

/* Implemented by every component. */
void cn_construct(struct cn_env *env);

/* Orderly exit: tell the parent and wait to be ended. */
__attribute__((noreturn)) void cn_exit(struct cn_env *env, int value);

/*
 * Open a session through the parent. Blocks while the session is pending,
 * dispatching the entrypoint meanwhile. ret_id identifies it for close and
 * upgrade. extra_args (may be NULL) is appended to the argument string.
 */
int cn_session_open(struct cn_env *env, const char *service, const char *label, uint64_t ram_quota,
                    uint32_t cap_quota, const char *extra_args, int *ret_cap, uint32_t *ret_id);
/* For components that forward session requests (init, sequence): ask the
 * parent for a session with a complete argument string, without waiting.
 * 0 with *ret_cap, or CN_ERR_PENDING: *ret_id is valid then too, and
 * cn_session_cap() fetches the capability once the parent signals (see
 * cn_session_watch). ret_id is set for either. */
int cn_session_request(struct cn_env *env, const char *service, const char *args, int *ret_cap,
                       uint32_t *ret_id);
/* The capability of session id once it is available: 0, CN_ERR_PENDING,
 * or the error the session was denied with. */
int cn_session_cap(struct cn_env *env, uint32_t id, int *ret_cap);
/* For components that talk the parent protocol directly (init): call fn
 * whenever the parent signals that a pending session changed state. */
int cn_session_watch(struct cn_env *env, void (*fn)(struct cn_env *env));
/* A fresh client id, for components that talk the parent protocol
 * directly (init). */
uint32_t cn_session_id_alloc(struct cn_env *env);
int cn_session_close(struct cn_env *env, uint32_t id);
int cn_session_upgrade(struct cn_env *env, uint32_t id, uint64_t ram_quota, uint32_t cap_quota);

/* Ask the parent for more quota, e.g. "ram_quota=1M, cap_quota=10"
 * (Genode's resource request). init logs it; the quota arrives when the
 * configuration grants it, and fn (may be NULL) is called then. */
int cn_resource_request(struct cn_env *env, const char *args, void (*fn)(struct cn_env *env));

/* Handle the parent's yield requests (Genode): fn is told how much RAM and
 * how many caps the parent would like back and frees what it can; the
 * library then answers the parent, which takes the freed quota. */
int cn_yield_watch(struct cn_env *env,
                   void (*fn)(struct cn_env *env, uint64_t ram_quota, uint64_t cap_quota));

/* The component's config ROM, parsed (root node <config>). Opened on first
 * use; -ENOENT if there is none, -ENODATA while it is empty (no config
 * yet, nothing logged), -EINVAL if it does not parse (a message is logged
 * naming line and column). */
int cn_config(struct cn_env *env, const struct cn_xml_node **ret_root);
/* Call fn after the config ROM changed and was re-read. */
int cn_config_sigh(struct cn_env *env, void (*fn)(struct cn_env *env));

#endif
