/*
 * init: private types shared by its modules (main.c: config and children;
 * session.c: the parent interface served to children and session routing).
 */
#ifndef CAIRN_INIT_H
#define CAIRN_INIT_H

#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/parent.h>
#include <cairn/pd.h>
#include <cairn/report.h>
#include <cairn/xml.h>

#include <stdbool.h>
#include <stdint.h>

enum {
	INIT_NAME_MAX = 64,            /* start node names, as in Genode */
	INIT_CHILD_SESSIONS_MAX = 256, /* sessions one child may hold or request */
	INIT_PROVIDES_MAX = 16,
};

enum session_state {
	SESSION_CREATE_REQUESTED, /* waiting for the server */
	SESSION_AVAILABLE,        /* cap delivered */
	SESSION_DENIED,           /* the client learns it with SESSION_CAP */
	SESSION_CLOSE_REQUESTED,  /* waiting for the server to close */
};

enum pending_request { PENDING_NONE, PENDING_CREATE, PENDING_CLOSE };

struct child;

/* Where a request was routed: the server child's id (0: init's parent)
 * and the label it got there. Re-routing a session on reconfiguration
 * compares against it (Genode's route-state evaluation). */
struct route_rec {
	unsigned server;
	char label[CN_LABEL_MAX];
};

struct session {
	struct child *client; /* NULL once the client is gone */
	uint32_t client_id;
	struct child *server; /* NULL: routed to init's parent, or local */
	uint32_t server_id;
	uint32_t parent_id; /* id at init's parent if routed there */
	enum session_state state;
	enum pending_request pending;       /* what the server has yet to fetch */
	uint64_t upgrade_ram, upgrade_caps; /* donated, not yet told to the server */
	bool upgrade_in_flight;             /* the server got one, no answer yet */
	bool upgrading;                     /* the client (or our parent) waits for it */
	int32_t error;                      /* why it was denied */
	int cap;
	uint64_t ram, caps; /* donated by the client */
	char service[CN_SERVICE_NAME_MAX];
	char args[CN_ARGS_MAX];     /* as forwarded to the server */
	struct cn_obj *local;       /* inline config ROM served by init */
	bool for_parent;            /* requested by init's parent (<service> node) */
	uint32_t parent_request_id; /* the parent's server id of it */
	char label[CN_LABEL_MAX];   /* the client's whole label, as requested */
	struct route_rec route;     /* where it went */
	struct session *next;       /* in init's list */
};

struct child {
	struct init *init;
	char name[INIT_NAME_MAX];
	char binary[INIT_NAME_MAX];
	uint64_t ram, caps;
	bool exit_propagate;
	char *config; /* inline <config> text or NULL */
	size_t config_len;
	struct cn_ds config_ds; /* sealed copy served as the config ROM */
	int config_sigh;        /* the child's signal for config ROM updates */
	char provides[INIT_PROVIDES_MAX][CN_SERVICE_NAME_MAX];
	unsigned provides_count;
	bool announced[INIT_PROVIDES_MAX];
	const struct cn_xml_node *start; /* in init's current config */
	/* resources at core */
	int pd;
	uint32_t pd_id;
	int log;
	uint32_t log_id;
	/* the parent object this child calls */
	struct cn_obj *parent;
	struct cn_sig *exit_sig;
	int session_sigh;
	int requests_sigh;
	int resource_avail_sigh;
	int heartbeat_sigh;
	int yield_sigh;
	uint64_t yield_ram, yield_caps; /* what init asked the child to yield */
	bool heartbeat_pending;         /* pinged, no answer yet */
	unsigned skipped_heartbeats;
	char requested[CN_ARGS_MAX]; /* the last resource request, "" if none */
	uint32_t next_server_id;
	bool alive, exited;
	bool incomplete; /* an environment session had no route: not started */
	bool env_denied; /* ... or was denied by its server: waits in startup */
	bool stuck;      /* a session it holds lost its route (Genode's STUCK) */
	bool restart_scheduled;
	struct route_rec env_log_route, binary_route;
	/* the dataspace request to the child server of its binary ROM */
	int binary_reply;
	struct cn_watch *binary_watch;
	int exit_value;
	unsigned id; /* per-init creation counter, restarts included */
	struct child *next;
};

struct init {
	struct cn_env *env;
	struct cn_xml_doc *config;
	struct child *children;
	struct session *sessions;
	bool verbose;
	uint64_t preserve_ram, preserve_caps; /* what init keeps for itself */
	struct cn_sig *parent_requests;       /* sessions our parent asks us for */
	char announced[INIT_PROVIDES_MAX][CN_SERVICE_NAME_MAX]; /* to our parent */
	unsigned announced_count;
	struct cn_report *state_report; /* <report>: the "state" Report session */
	int report_timer;               /* timerfd of delayed and periodic reports */
	struct cn_watch *report_watch;
	bool report_timer_armed;
	uint64_t report_due_ms;  /* when it fires, CLOCK_MONOTONIC */
	uint64_t last_report_ms; /* CLOCK_MONOTONIC */
	bool state_report_failed;
	bool state_report_opening; /* its session is pending */
	unsigned malformed_reports;
	unsigned next_child_id;
	int heartbeat_fd; /* timerfd of <heartbeat rate_ms>, -1 without */
	struct cn_watch *heartbeat_watch;
	uint64_t heartbeat_rate_ms;
};

/* session.c */
int init_child_parent_dispatch(struct cn_obj *obj, struct cn_rpc *rpc);
/* Close everything a child holds or serves (it exited or died). */
void init_child_sessions_release(struct init *init, struct child *child);
/* Open a session at init's parent synchronously (core never defers). */
int init_parent_session(struct init *init, const char *service, const char *args, int *ret_cap,
                        uint32_t *ret_id);
int init_parent_close(struct init *init, uint32_t id);
/* The sealed dataspace of a child's inline config (made once per version,
 * from init's quota). */
int init_config_ds_prepare(struct init *init, struct child *c);
/* Route and open the environment LOG session of a child. */
int init_env_log_session(struct init *init, struct child *c);
/* Route the binary ROM of a child and fetch its dataspace (*ret_ds). */
int init_binary_dataspace(struct init *init, struct child *c, int *ret_ds);
/* The binary's dataspace from a child server (ds -1 and err < 0 if it
 * could not be had; CN_ERR_DENIED: the server denied the ROM). */
void init_child_binary_ready(struct init *init, struct child *c, int ds, int err);
void init_child_binary_cancel(struct child *c);
/* Whether init's current config removes c or restarts it (a new version):
 * while a new config is applied, c may be on its way out. */
bool init_child_leaving(struct init *init, const struct child *c);
/* Genode's dependency evaluation of a child: its sessions (environment
 * sessions included) are routed as before (SAME); one would now go to
 * another server or with another label, or an incomplete or stuck child
 * could start now (MOVED: restart it); one has no route any more (GONE:
 * the child is stuck, shown as incomplete, until its dependencies are
 * back). */
enum init_routes { ROUTES_SAME, ROUTES_MOVED, ROUTES_GONE };
enum init_routes init_child_routes(struct init *init, struct child *c);
/* Warn about children whose environment sessions wait for each other. */
void init_check_route_cycles(struct init *init);
/* The parent signalled a change of sessions it answered "pending". */
void init_parent_sessions_update(struct cn_env *env);
/* Retry, deny or close what our parent asked us for, by the new policies. */
void init_parent_requests_update(struct init *init);
/* Offer the services of the config's <service> nodes to our parent. */
void init_announce_services(struct init *init);

/* state_report.c: write the <state> report if <report> is configured,
 * at once (for what a manager must learn quickly: exits, resource
 * requests, reconfigurations), or within <report delay_ms> (session state
 * changes, coalesced). With child_ram or child_caps, a report is also
 * written every max(1 s, delay_ms) to sample the children's quotas. */
void init_state_report(struct init *init);
void init_state_report_later(struct init *init);
/* Open the Report session before children take init's quota. */
void init_state_report_prepare(struct init *init);

/* main.c */
void init_child_exited(struct child *child, int value);
/* The child answered a yield request: apply the downgrade again. */
void init_child_yielded(struct child *child);
const struct cn_xml_node *init_config_root(struct init *init);

/* host_dir.c: pass the start node's <host_dir> grant to the child's PD
 * (0 without one); logs what is wrong. */
int init_child_host_dir(struct init *init, struct child *c);
/* host_terminal.c: the same for the start node's <host_terminal/> */
int init_child_host_terminal(struct init *init, struct child *c);
struct init *init_of(struct cn_env *env);

#endif
