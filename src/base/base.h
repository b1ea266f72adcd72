/*
 * Private state and helpers of the base library.
 */
#ifndef CAIRN_BASE_PRIVATE_H
#define CAIRN_BASE_PRIVATE_H

#include <cairn/env.h>
#include <cairn/pd.h>

struct cn_rom;
struct cn_service_table;

struct cn_env_priv {
	uint32_t next_id; /* next client id for sessions */
	struct cn_sig *session_sig;
	void (*session_hook)(struct cn_env *env); /* cn_session_watch */
	struct cn_sig *resource_sig;
	struct cn_sig *heartbeat_sig;
	struct cn_sig *yield_sig;
	void (*yield_fn)(struct cn_env *env, uint64_t ram_quota, uint64_t cap_quota);
	void (*resource_fn)(struct cn_env *env); /* cn_resource_request */
	struct cn_rom *config_rom;
	struct cn_xml_doc *config_doc;
	int config_err;
	uint64_t config_hash; /* of the content cn_config parsed last */
	struct cn_sig *config_sig;
	void (*config_fn)(struct cn_env *env);
	struct cn_service_table *services;
	uint64_t reported_errors; /* bit per errno already reported */
};

/* Call op on a session (no arguments), which answers with a writable
 * dataspace and its u64 size (Report, Terminal); check min_size <= size
 * <= max_size and attach it. */
int cn_session_buffer_attach(int session_cap, int32_t op, uint64_t min_size, uint64_t max_size,
                             struct cn_ds *ret_ds);

/* CLOCK_MONOTONIC in ms, for deadlines (wire.c). */
int64_t cn_mono_ms(void);

/* Install the seccomp filter and hand its listener to core (sandbox.c). */
int cn_sandbox_enter(struct cn_env *env);

#endif
