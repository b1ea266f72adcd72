/*
 * ROM session: a read-only dataspace with the module's content, and a
 * signal when a new version is available.
 */
#ifndef CAIRN_ROM_H
#define CAIRN_ROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/args.h>

enum cn_rom_op {
	CN_ROM_DATASPACE = 1, /* -> cap ds (ro), u64 size (0, no cap: invalid/empty ROM) */
	CN_ROM_SIGH,          /* cap signal */
};

struct cn_env;
struct cn_rom;

/* Open ROM session `name` through the parent and attach its content. */
int cn_rom_open(struct cn_env *env, const char *name, struct cn_rom **ret_rom);
void cn_rom_close(struct cn_rom *rom);
const char *cn_rom_data(const struct cn_rom *rom);
size_t cn_rom_size(const struct cn_rom *rom);
/* Whether the ROM has content (a dataspace) at all; an invalid ROM (no
 * module yet, or removed) reads as empty. */
bool cn_rom_valid(const struct cn_rom *rom);
/* Fetch the current version (after a signal). */
int cn_rom_update(struct cn_rom *rom);
int cn_rom_sigh(struct cn_rom *rom, int sig_cap);
/* The session capability (borrowed). */
int cn_rom_cap(const struct cn_rom *rom);

struct cn_rpc;
/* Server side: answer a ROM session request. ds is the content's
 * read-only dataspace capability (-1 while there is none: an invalid ROM),
 * size its length in bytes; *sigh holds the session's signal (-1 if
 * none), replaced on CN_ROM_SIGH. */
int cn_rom_serve(struct cn_rpc *rpc, int ds, uint64_t size, int *sigh);
/* Server side: tell a session's handler (*sigh, -1 if none) that a new
 * version is available. A handler that nobody receives any more is
 * closed and forgotten (*sigh becomes -1) until the client sets a new one. */
void cn_rom_notify(int *sigh);

/*
 * Server side: the bookkeeping every ROM session needs, for servers that
 * keep their sessions in a list: the session's object (dispatched by fn,
 * cn_obj_data() is the cn_rom_session), its signal handler, and data for
 * the server.
 */
struct cn_rom_session {
	struct cn_obj *obj;
	int sigh; /* -1 if none */
	void *data;
	char label[CN_LABEL_MAX]; /* the client's, as the parent delivered it */
	bool refused;             /* a malformed request was refused already */
	struct cn_rom_session *next;
};
struct cn_ep;
struct cn_session_request;
/* Check the request's donation against the minimum (CN_ERR_INSUFFICIENT_RAM
 * or _CAPS), create the session and add it to *list. The results are
 * what a cn_service_ops create callback returns: the cn_rom_session and
 * its capability (borrowed). */
int cn_rom_session_create(struct cn_ep *ep, const struct cn_session_request *req, uint64_t ram_min,
                          uint64_t caps_min, int (*fn)(struct cn_obj *obj, struct cn_rpc *rpc),
                          void *data, struct cn_rom_session **list, void **ret_session,
                          int *ret_cap);
/* Remove the session from *list and free it (NULL is ok). */
void cn_rom_session_destroy(struct cn_rom_session **list, struct cn_rom_session *s);
/* Whether result (of cn_rom_serve) refuses a malformed or unknown request
 * for the first time in this session: the server logs that once, naming
 * s->label. */
bool cn_rom_session_first_refusal(struct cn_rom_session *s, int result);
/* cn_rom_notify() for every session of the list. */
void cn_rom_sessions_notify(struct cn_rom_session *list);

/*
 * A ROM service whose sessions need nothing but the bookkeeping above:
 * announce it with cn_service_announce(env, "ROM", &cn_rom_service_ops,
 * &service). Sessions are created with cn_rom_session_create (data NULL)
 * and dispatched by service.dispatch; service.sessions lists them.
 */
struct cn_rom_service {
	struct cn_ep *ep;
	uint64_t ram_min, caps_min; /* donation a session needs */
	int (*dispatch)(struct cn_obj *obj, struct cn_rpc *rpc);
	struct cn_rom_session *sessions;
};
struct cn_service_ops;
extern const struct cn_service_ops cn_rom_service_ops;

#endif
