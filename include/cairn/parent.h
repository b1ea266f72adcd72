/*
 * The parent interface: what a component asks of its parent. Every
 * component holds exactly one parent capability at startup (fd
 * CN_PARENT_FD). Sessions are created asynchronously as in Genode: the
 * client picks an id; a session at a server that is not ready yet is
 * answered CN_ERR_PENDING and the client's session signal fires once
 * it can fetch the capability with CN_PARENT_SESSION_CAP.
 *
 * A server announces a service, registers a signal for session requests
 * and fetches them one at a time (upgrades, then closes, then creates,
 * as Genode's session_requests ROM orders them), answering each with
 * DELIVER_SESSION_CAP or SESSION_RESPONSE.
 */
#ifndef CAIRN_PARENT_H
#define CAIRN_PARENT_H

enum {
	CN_PARENT_FD = 3, /* the parent capability's fd in every component */
};

enum cn_parent_op {
	CN_PARENT_EXIT = 1,            /* i32 exit value */
	CN_PARENT_ANNOUNCE,            /* str service name */
	CN_PARENT_SESSION_SIGH,        /* cap: signal for pending sessions */
	CN_PARENT_SESSION,             /* u32 id, str service, str args -> cap | PENDING */
	CN_PARENT_SESSION_CAP,         /* u32 id -> cap */
	CN_PARENT_UPGRADE,             /* u32 id, str args -> OK | PENDING */
	CN_PARENT_CLOSE,               /* u32 id -> OK | PENDING */
	CN_PARENT_REQUESTS_SIGH,       /* cap: signal for new session requests (servers) */
	CN_PARENT_NEXT_REQUEST,        /* -> u32 kind, u32 server id, str service, str args */
	CN_PARENT_SESSION_RESPONSE,    /* u32 server id, i32 response (CN_OK on close/upgrade) */
	CN_PARENT_DELIVER_SESSION,     /* u32 server id, cap session */
	CN_PARENT_RESOURCE_AVAIL_SIGH, /* reserved: later milestones */
	CN_PARENT_RESOURCE_REQUEST,
	CN_PARENT_YIELD_SIGH,
	CN_PARENT_YIELD_REQUEST,
	CN_PARENT_YIELD_RESPONSE,
	CN_PARENT_HEARTBEAT_SIGH,
	CN_PARENT_HEARTBEAT_RESPONSE,
};

/* Kinds of session requests a server fetches. */
enum cn_request_kind {
	CN_REQUEST_NONE = 0,
	CN_REQUEST_CREATE = 1,
	CN_REQUEST_UPGRADE = 2,
	CN_REQUEST_CLOSE = 3,
};

/* Client ids of the environment sessions the parent opens for a child. */
enum cn_env_session {
	CN_ENV_PD = 1,
	CN_ENV_LOG = 3,
	CN_ENV_BINARY = 4,
	CN_ENV_FIRST_DYNAMIC = 16, /* first id a component picks itself */
};

/*
 * The parent side (init, sequence): a child's SESSION request, decoded
 * and checked. The label comes from the argument string (empty if it has
 * none); the donation is 0 where the arguments name none.
 */
#include <stdint.h>

#include <cairn/args.h>

struct cn_rpc;
struct cn_parent_session_request {
	uint32_t id;
	char service[CN_SERVICE_NAME_MAX];
	char args[CN_ARGS_MAX];
	char label[CN_LABEL_MAX];
	uint64_t ram_quota, cap_quota;
};
/* CN_ERR_BAD_MESSAGE if malformed, CN_ERR_INVALID_ARG if the id is one of
 * the environment's or the arguments do not parse. */
int cn_parent_session_decode(struct cn_rpc *rpc, struct cn_parent_session_request *ret);
/* A request that carries just a session id (SESSION_CAP, CLOSE). */
int cn_parent_id_decode(struct cn_rpc *rpc, uint32_t *ret_id);
/* A request that registers a signal handler (SESSION_SIGH, YIELD_SIGH, ...):
 * the handler replaces *sigh, whose old capability is closed. */
int cn_parent_sigh_replace(struct cn_rpc *rpc, int *sigh);

#endif
