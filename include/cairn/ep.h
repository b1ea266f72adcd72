/*
 * Entrypoint: one epoll loop that serves RPC objects, delivers signals and
 * watches plain fds. Everything a component does happens in handlers called
 * from this loop.
 *
 * An RPC object is a socket channel; the server keeps one end in the loop
 * and hands out the other end as the capability. The object that is called
 * is known by the socket the request arrived on, never by message content.
 * A capability coming back as an argument is recognised by its inode.
 *
 * A signal context is an object too: submitting is a one-way message
 * carrying a count; pending submissions coalesce into one handler call
 * with the summed count.
 */
#ifndef CAIRN_EP_H
#define CAIRN_EP_H

#include <stdint.h>

#include <cairn/wire.h>

enum {
	CN_OP_SIGNAL = 0x7fff0001, /* one-way: u32 count */
	CN_EP_BATCH = 32,          /* events handled per epoll_wait */
	CN_SIGNAL_DRAIN_MAX = 256, /* submissions summed per handler call */
	CN_SIGNAL_COUNT_MAX = 1u << 30,
};

struct cn_ep;
struct cn_obj;
struct cn_sig;
struct cn_watch;

/* One incoming request as seen by an object's handler. */
struct cn_rpc {
	int32_t opcode;
	struct cn_msg *in;                /* arguments and received caps */
	struct cn_msg *out;               /* the reply being built (empty, code 0) */
	int reply_fd;                     /* reply channel, -1 for a one-way message */
	int close_after[CN_MSG_CAPS_MAX]; /* fds closed once the reply is sent */
};

/*
 * Handle one request. The return value is the reply's result code. To
 * answer later, take the reply channel with cn_rpc_defer() and send the
 * answer with cn_reply() when ready.
 */
typedef int (*cn_rpc_handler)(struct cn_obj *obj, struct cn_rpc *rpc);
typedef void (*cn_sig_handler)(void *data, uint32_t count);
typedef void (*cn_watch_handler)(void *data, uint32_t events);
/* A malformed or over-limit message arrived on an object (it is dropped). */
typedef void (*cn_ep_error_handler)(void *data, struct cn_obj *obj, int err);

int cn_ep_create(struct cn_ep **ret_ep);
void cn_ep_destroy(struct cn_ep *ep);
void cn_ep_set_error_handler(struct cn_ep *ep, cn_ep_error_handler fn, void *data);

/* Wait up to timeout_ms (-1: forever) and handle what is ready. Returns the
 * number of events handled (0 on timeout) or -errno. */
int cn_ep_dispatch(struct cn_ep *ep, int timeout_ms);
/* Dispatch until cn_ep_stop(); returns the code given to it. */
int cn_ep_run(struct cn_ep *ep);
void cn_ep_stop(struct cn_ep *ep, int code);

int cn_obj_create(struct cn_ep *ep, cn_rpc_handler fn, void *data, struct cn_obj **ret_obj);
/* Revoke: every copy of the capability becomes dead at once. NULL is ok. */
void cn_obj_destroy(struct cn_obj *obj);
int cn_obj_cap(const struct cn_obj *obj);
void *cn_obj_data(const struct cn_obj *obj);
/* The object of this entrypoint that cap refers to, or NULL. */
struct cn_obj *cn_ep_lookup(struct cn_ep *ep, int cap);

/* Take the reply channel to answer later (returns it, -1 for one-way). */
int cn_rpc_defer(struct cn_rpc *rpc);
/* Put fd into the reply and close it after sending (ownership moves). */
void cn_rpc_put_cap_owned(struct cn_rpc *rpc, int fd);

int cn_sig_create(struct cn_ep *ep, cn_sig_handler fn, void *data, struct cn_sig **ret_sig);
void cn_sig_destroy(struct cn_sig *sig);
int cn_sig_cap(const struct cn_sig *sig);
/* Total count delivered so far (for waiting loops). */
uint64_t cn_sig_delivered(const struct cn_sig *sig);
/* Dispatch until sig has been delivered at least once more. A handler of a
 * signal or watch is never re-entered meanwhile: what arrives for one that
 * is running (the caller, say) is handled once it returns. */
int cn_ep_wait_sig(struct cn_ep *ep, struct cn_sig *sig);
/*
 * Wait for sig alone: nothing else of the entrypoint is dispatched, so no
 * other handler runs meanwhile (for a component that must finish one
 * request before it looks at the next). Returns 0 once sig was delivered
 * (its handler called), -ETIMEDOUT after timeout_ms (-1: no limit), or
 * CN_ERR_DEAD_OBJECT when peer_cap (>= 0, e.g. the signal capability of
 * the server that is to submit sig) lost its object: nobody will.
 */
int cn_sig_wait(struct cn_sig *sig, int peer_cap, int timeout_ms);

/* Submit count to the signal context cap. Never blocks. When the
 * receiver's queue is full (it is CN_SIGNAL_DRAIN_MAX-ish submissions
 * behind), the submission still counts as delivered for the handler, but
 * its count is not added: counts are a lower bound under overload. */
int cn_signal_submit(int sig_cap, uint32_t count);

int cn_ep_watch(struct cn_ep *ep, int fd, uint32_t events, cn_watch_handler fn, void *data,
                struct cn_watch **ret_watch);
/* Stop watching (the fd is not closed). NULL is ok. */
void cn_watch_destroy(struct cn_watch *watch);

#endif
