/*
 * Entrypoint: epoll loop over RPC objects, signal contexts and fd watches.
 */
#include <cairn/ep.h>

#include "base.h"

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

enum src_kind { SRC_OBJ, SRC_SIG, SRC_WATCH };
enum { ID_BUCKETS = 1024 };

/* Common head of everything registered in the epoll set. */
struct src {
	enum src_kind kind;
	bool dead;
	struct src *grave_next;
	struct cn_ep *ep;
};

struct cn_obj {
	struct src src;
	int local_fd, cap_fd;
	struct cn_cap_id id;
	struct cn_obj *id_next;
	cn_rpc_handler fn;
	void *data;
};

/* A handler of a signal or a watch is never re-entered: when its handler
 * waits (cn_ep_wait_sig, a session request or close) and the entrypoint
 * dispatches meanwhile, what arrives for the running one is kept and
 * handled once it returns (as a Genode signal handler is not re-entered by
 * wait_and_dispatch_one_io_signal). */
struct cn_sig {
	struct cn_obj obj;
	cn_sig_handler fn;
	void *data;
	uint64_t delivered;
	uint64_t deferred; /* arrived while fn ran: one more call after it */
	bool running;
};

struct cn_watch {
	struct src src;
	int fd;
	uint32_t events;
	cn_watch_handler fn;
	void *data;
	bool running;
	bool muted; /* out of the epoll set while fn runs (level-triggered) */
};

struct cn_ep {
	int epfd;
	bool stopped;
	int stop_code;
	unsigned depth; /* nesting of dispatch calls */
	struct src *grave;
	struct cn_obj *ids[ID_BUCKETS];
	cn_ep_error_handler err_fn;
	void *err_data;
};

int
cn_ep_create(struct cn_ep **ret_ep)
{
	struct cn_ep *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return -ENOMEM;
	ep->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ep->epfd < 0) {
		int r = -errno;
		free(ep);
		return r;
	}
	*ret_ep = ep;
	return 0;
}

static void
bury(struct cn_ep *ep, struct src *src)
{
	src->dead = true;
	src->grave_next = ep->grave;
	ep->grave = src;
}

static void
free_graveyard(struct cn_ep *ep)
{
	while (ep->grave) {
		struct src *s = ep->grave;
		ep->grave = s->grave_next;
		free(s);
	}
}

void
cn_ep_destroy(struct cn_ep *ep)
{
	if (!ep)
		return;
	for (unsigned b = 0; b < ID_BUCKETS; b++)
		while (ep->ids[b])
			cn_obj_destroy(ep->ids[b]);
	free_graveyard(ep);
	close(ep->epfd);
	free(ep);
}

void
cn_ep_set_error_handler(struct cn_ep *ep, cn_ep_error_handler fn, void *data)
{
	ep->err_fn = fn;
	ep->err_data = data;
}

static unsigned
id_bucket(const struct cn_cap_id *id)
{
	return (unsigned)((id->ino * 0x9e3779b97f4a7c15ull) >> 54) % ID_BUCKETS;
}

static int
obj_init(struct cn_ep *ep, struct cn_obj *obj, enum src_kind kind)
{
	int ch[2], r;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = obj};

	r = cn_wire_channel(ch);
	if (r < 0)
		return r;
	r = cn_cap_identify(ch[1], &obj->id);
	if (r == 0 && epoll_ctl(ep->epfd, EPOLL_CTL_ADD, ch[0], &ev) < 0)
		r = -errno;
	if (r < 0) {
		close(ch[0]);
		close(ch[1]);
		return r;
	}
	obj->src.kind = kind;
	obj->src.ep = ep;
	obj->local_fd = ch[0];
	obj->cap_fd = ch[1];
	unsigned b = id_bucket(&obj->id);
	obj->id_next = ep->ids[b];
	ep->ids[b] = obj;
	return 0;
}

int
cn_obj_create(struct cn_ep *ep, cn_rpc_handler fn, void *data, struct cn_obj **ret_obj)
{
	struct cn_obj *obj;
	int r;

	if (!ep || !fn)
		return -EINVAL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return -ENOMEM;
	r = obj_init(ep, obj, SRC_OBJ);
	if (r < 0) {
		free(obj);
		return r;
	}
	obj->fn = fn;
	obj->data = data;
	*ret_obj = obj;
	return 0;
}

void
cn_obj_destroy(struct cn_obj *obj)
{
	struct cn_ep *ep;

	if (!obj || obj->src.dead)
		return;
	ep = obj->src.ep;
	for (struct cn_obj **p = &ep->ids[id_bucket(&obj->id)]; *p; p = &(*p)->id_next) {
		if (*p == obj) {
			*p = obj->id_next;
			break;
		}
	}
	epoll_ctl(ep->epfd, EPOLL_CTL_DEL, obj->local_fd, NULL);
	close(obj->local_fd);
	close(obj->cap_fd);
	bury(ep, &obj->src);
}

int
cn_obj_cap(const struct cn_obj *obj)
{
	return obj ? obj->cap_fd : -1;
}

void *
cn_obj_data(const struct cn_obj *obj)
{
	return obj->data;
}

struct cn_obj *
cn_ep_lookup(struct cn_ep *ep, int cap)
{
	struct cn_cap_id id;

	if (cap < 0 || cn_cap_identify(cap, &id) < 0)
		return NULL;
	for (struct cn_obj *o = ep->ids[id_bucket(&id)]; o; o = o->id_next)
		if (o->id.ino == id.ino && o->id.dev == id.dev && o->src.kind == SRC_OBJ)
			return o;
	return NULL;
}

int
cn_rpc_defer(struct cn_rpc *rpc)
{
	int fd = rpc->reply_fd;

	rpc->reply_fd = -1;
	return fd;
}

void
cn_rpc_put_cap_owned(struct cn_rpc *rpc, int fd)
{
	for (unsigned i = 0; i < CN_MSG_CAPS_MAX; i++) {
		if (rpc->close_after[i] < 0) {
			rpc->close_after[i] = fd;
			cn_msg_put_cap(rpc->out, fd);
			return;
		}
	}
	rpc->out->bad = true;
	close(fd);
}

int
cn_sig_create(struct cn_ep *ep, cn_sig_handler fn, void *data, struct cn_sig **ret_sig)
{
	struct cn_sig *sig;
	int r;

	if (!ep || !fn)
		return -EINVAL;
	sig = calloc(1, sizeof(*sig));
	if (!sig)
		return -ENOMEM;
	r = obj_init(ep, &sig->obj, SRC_SIG);
	if (r < 0) {
		free(sig);
		return r;
	}
	sig->fn = fn;
	sig->data = data;
	*ret_sig = sig;
	return 0;
}

void
cn_sig_destroy(struct cn_sig *sig)
{
	if (sig)
		cn_obj_destroy(&sig->obj);
}

int
cn_sig_cap(const struct cn_sig *sig)
{
	return sig ? sig->obj.cap_fd : -1;
}

uint64_t
cn_sig_delivered(const struct cn_sig *sig)
{
	return sig->delivered;
}

int
cn_signal_submit(int sig_cap, uint32_t count)
{
	struct cn_msg msg;
	int r;

	if (sig_cap < 0 || count == 0)
		return -EINVAL;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_OP_SIGNAL);
	cn_msg_put_u32(&msg, count);
	r = cn_wire_send(sig_cap, &msg, -1, true);
	/* A full queue already holds a pending submission: coalesced. */
	return r == -EAGAIN ? 0 : r;
}

int
cn_ep_watch(struct cn_ep *ep, int fd, uint32_t events, cn_watch_handler fn, void *data,
            struct cn_watch **ret_watch)
{
	struct cn_watch *w;
	struct epoll_event ev = {.events = events};

	if (!ep || fd < 0 || !fn)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	ev.data.ptr = w;
	if (epoll_ctl(ep->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;
		free(w);
		return r;
	}
	w->src.kind = SRC_WATCH;
	w->src.ep = ep;
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->data = data;
	*ret_watch = w;
	return 0;
}

void
cn_watch_destroy(struct cn_watch *w)
{
	if (!w || w->src.dead)
		return;
	epoll_ctl(w->src.ep->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	bury(w->src.ep, &w->src);
}

static void
report(struct cn_ep *ep, struct cn_obj *obj, int err)
{
	if (ep->err_fn)
		ep->err_fn(ep->err_data, obj, err);
}

/* No holder of the capability is left and nothing is queued: the local
 * end reports hang-up forever, so stop polling it. The object stays valid
 * for its owner (it may still hand out the cap it keeps). */
static void
quiesce(struct cn_obj *obj)
{
	epoll_ctl(obj->src.ep->epfd, EPOLL_CTL_DEL, obj->local_fd, NULL);
}

static void
handle_sig(struct cn_sig *sig)
{
	struct cn_msg msg;
	uint64_t sum = 0;
	int reply_fd;

	msg.owns_caps = false;
	for (unsigned i = 0; i < CN_SIGNAL_DRAIN_MAX; i++) {
		uint32_t count;
		int r = cn_wire_recv(sig->obj.local_fd, &msg, &reply_fd, true);

		if (r == -EAGAIN)
			break;
		if (r == -ECONNRESET) {
			quiesce(&sig->obj);
			break;
		}
		if (reply_fd >= 0) {
			/* signals are one-way; refuse a call */
			bool call = msg.hdr.flags & CN_MSG_F_CALL;
			cn_msg_reset(&msg);
			if (call)
				cn_reply(reply_fd, &msg, CN_ERR_INVALID_OPCODE);
			close(reply_fd);
			report(sig->obj.src.ep, &sig->obj, CN_ERR_BAD_MESSAGE);
			continue;
		}
		if (r < 0 || msg.hdr.code != CN_OP_SIGNAL || msg.hdr.ncaps ||
		    cn_msg_get_u32(&msg, &count) < 0 || cn_msg_end(&msg) < 0 || count == 0) {
			cn_msg_reset(&msg);
			report(sig->obj.src.ep, &sig->obj, r < 0 ? r : CN_ERR_BAD_MESSAGE);
			continue;
		}
		sum += count;
	}
	cn_msg_reset(&msg);
	if (!sum)
		return;
	sig->delivered += sum;
	if (sig->running) {
		sig->deferred += sum;
		return;
	}
	/* the struct stays valid while dispatching even if fn destroys it:
	 * the graveyard is freed at depth 0 only */
	sig->running = true;
	do {
		sig->fn(sig->data, sum > CN_SIGNAL_COUNT_MAX ? CN_SIGNAL_COUNT_MAX : (uint32_t)sum);
		sum = sig->deferred;
		sig->deferred = 0;
	} while (sum && !sig->obj.src.dead);
	sig->running = false;
}

static void
handle_watch(struct cn_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = w->events, .data.ptr = w};

	if (w->running) {
		/* level-triggered: it would be reported again at once (and a
		 * hang-up even with no events asked for, so out of the set) */
		if (!w->muted && epoll_ctl(w->src.ep->epfd, EPOLL_CTL_DEL, w->fd, NULL) == 0)
			w->muted = true;
		return;
	}
	w->running = true;
	w->fn(w->data, events);
	w->running = false;
	if (w->muted && !w->src.dead) {
		/* what came meanwhile is reported by the next epoll_wait */
		epoll_ctl(w->src.ep->epfd, EPOLL_CTL_ADD, w->fd, &ev);
	}
	w->muted = false;
}

static void
handle_obj(struct cn_obj *obj)
{
	struct cn_msg in, out;
	struct cn_rpc rpc;
	int r, result;

	in.owns_caps = out.owns_caps = false;
	r = cn_wire_recv(obj->local_fd, &in, &rpc.reply_fd, true);
	if (r == -EAGAIN)
		return;
	if (r == -ECONNRESET) {
		quiesce(obj);
		return;
	}
	if (r < 0) {
		report(obj->src.ep, obj, r);
		return;
	}
	if (!(in.hdr.flags & CN_MSG_F_CALL)) {
		/* only signal contexts take one-way messages: an RPC without a
		 * reply channel could change state nobody can learn about (and
		 * a reply sent to an object is no request at all) */
		if (rpc.reply_fd >= 0)
			close(rpc.reply_fd);
		cn_msg_reset(&in);
		report(obj->src.ep, obj, CN_ERR_BAD_MESSAGE);
		return;
	}
	cn_msg_init(&out, 0);
	rpc.opcode = in.hdr.code;
	rpc.in = &in;
	rpc.out = &out;
	for (unsigned i = 0; i < CN_MSG_CAPS_MAX; i++)
		rpc.close_after[i] = -1;

	result = obj->fn(obj, &rpc);

	if (rpc.reply_fd >= 0) {
		if (out.bad) {
			cn_msg_init(&out, 0);
			result = CN_ERR_BAD_MESSAGE;
		}
		cn_reply(rpc.reply_fd, &out, result);
		close(rpc.reply_fd);
	}
	for (unsigned i = 0; i < CN_MSG_CAPS_MAX; i++)
		if (rpc.close_after[i] >= 0)
			close(rpc.close_after[i]);
	cn_msg_reset(&in);
}

int
cn_ep_dispatch(struct cn_ep *ep, int timeout_ms)
{
	struct epoll_event ev[CN_EP_BATCH];
	int n;

	do {
		n = epoll_wait(ep->epfd, ev, CN_EP_BATCH, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	ep->depth++;
	for (int i = 0; i < n; i++) {
		struct src *s = ev[i].data.ptr;

		if (s->dead)
			continue;
		switch (s->kind) {
		case SRC_OBJ:
			handle_obj((struct cn_obj *)s);
			break;
		case SRC_SIG:
			handle_sig((struct cn_sig *)s);
			break;
		case SRC_WATCH:
			handle_watch((struct cn_watch *)s, ev[i].events);
			break;
		}
	}
	if (--ep->depth == 0)
		free_graveyard(ep);
	return n;
}

int
cn_ep_run(struct cn_ep *ep)
{
	ep->stopped = false;
	while (!ep->stopped) {
		int r = cn_ep_dispatch(ep, -1);
		if (r < 0)
			return r;
	}
	return ep->stop_code;
}

void
cn_ep_stop(struct cn_ep *ep, int code)
{
	ep->stopped = true;
	ep->stop_code = code;
}

int
cn_ep_wait_sig(struct cn_ep *ep, struct cn_sig *sig)
{
	uint64_t before = sig->delivered;

	while (sig->delivered == before) {
		int r = cn_ep_dispatch(ep, -1);
		if (r < 0)
			return r;
	}
	return 0;
}

int
cn_sig_wait(struct cn_sig *sig, int peer_cap, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : cn_mono_ms() + timeout_ms;
	uint64_t before;

	if (!sig || sig->obj.src.dead)
		return -EINVAL;
	before = sig->delivered;
	while (sig->delivered == before) {
		struct pollfd pfd[2] = {{.fd = sig->obj.local_fd, .events = POLLIN},
		                        {.fd = peer_cap, .events = 0}};
		int64_t left = deadline < 0 ? -1 : deadline - cn_mono_ms();
		int n;

		if (deadline >= 0 && left <= 0)
			return -ETIMEDOUT;
		n = poll(pfd, peer_cap >= 0 ? 2 : 1, (int)(left > INT32_MAX ? INT32_MAX : left));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			handle_sig(sig); /* may leave delivered unchanged: nothing queued */
		else if (pfd[0].revents)
			return CN_ERR_DEAD_OBJECT;
		else if (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL))
			return CN_ERR_DEAD_OBJECT;
		if (sig->obj.src.dead)
			return sig->delivered == before ? -EINVAL : 0;
	}
	return 0;
}
