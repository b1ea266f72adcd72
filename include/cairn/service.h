/*
 * The server side of session creation. A component announces a service
 * with callbacks; the library fetches session requests from the parent and
 * answers them.
 */
#ifndef CAIRN_SERVICE_H
#define CAIRN_SERVICE_H

#include <stdint.h>

struct cn_env;

struct cn_session_request {
	const char *label; /* as delivered by the parent */
	const char *args;  /* the whole argument string */
	uint64_t ram_quota;
	uint64_t cap_quota;
};

struct cn_service_ops {
	/* Create a session: 0 with *ret_session and *ret_cap (borrowed: the
	 * server keeps it), or CN_ERR_DENIED / CN_ERR_INSUFFICIENT_RAM /
	 * CN_ERR_INSUFFICIENT_CAPS. */
	int (*create)(void *data, const struct cn_session_request *req, void **ret_session,
	              int *ret_cap);
	/* More quota for a session (optional). */
	void (*upgrade)(void *data, void *session, uint64_t ram_quota, uint64_t cap_quota);
	void (*close)(void *data, void *session);
};

enum { CN_SERVICE_SESSIONS_MAX = 1024 };

int cn_service_announce(struct cn_env *env, const char *name, const struct cn_service_ops *ops,
                        void *data);

#endif
