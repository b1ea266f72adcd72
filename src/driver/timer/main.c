/*
 * Timer driver: serves the "Timer" service. Every session is an
 * independent virtual timer backed by its own timerfd, watched in the
 * entrypoint; an expiry becomes a signal to the session's handler.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/service.h>
#include <cairn/timer.h>

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum {
	/* What a session costs us: its state and the kernel's timerfd. The
	 * client library donates more (16 KiB, 2 caps). */
	TIMER_SESSION_RAM = 4096,
	TIMER_SESSION_CAPS = 1, /* the session object */
	TIMER_SESSIONS_MAX = 64,
};

struct timer_session {
	struct cn_obj *obj; /* its capability is the session capability */
	int timerfd;
	struct cn_watch *watch;
	int sigh;            /* signal context cap, -1 if none registered */
	uint64_t created_us; /* CLOCK_MONOTONIC at creation */
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	unsigned sessions;
} state;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct timespec
us_to_timespec(uint64_t us)
{
	return (struct timespec){.tv_sec = (time_t)(us / 1000000u),
	                         .tv_nsec = (long)(us % 1000000u) * 1000};
}

/* Program the timerfd; replaces whatever was pending (and resets the
 * kernel's expiration count). A zero value disarms it. */
static int
arm(struct timer_session *s, uint64_t first_us, uint64_t period_us)
{
	struct itimerspec its = {.it_value = us_to_timespec(first_us),
	                         .it_interval = us_to_timespec(period_us)};

	if (timerfd_settime(s->timerfd, 0, &its, NULL) < 0)
		return CN_ERR_INVALID_ARG;
	return CN_OK;
}

/* A request with one u64 argument and no caps, decoded completely. */
static bool
get_u64_arg(struct cn_rpc *rpc, uint64_t *ret)
{
	return cn_msg_get_u64(rpc->in, ret) == 0 && cn_msg_end(rpc->in) == 0 &&
	       rpc->in->hdr.ncaps == 0;
}

static int
session_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct timer_session *s = cn_obj_data(obj);
	uint64_t us;

	switch (rpc->opcode) {
	case CN_TIMER_ELAPSED_US:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
			return CN_ERR_BAD_MESSAGE;
		cn_msg_put_u64(rpc->out, now_us() - s->created_us);
		return CN_OK;
	case CN_TIMER_TRIGGER_ONCE:
		if (!get_u64_arg(rpc, &us))
			return CN_ERR_BAD_MESSAGE;
		/* A zero it_value would disarm: "now" means the next tick. */
		return arm(s, us ? us : 1, 0);
	case CN_TIMER_TRIGGER_PERIODIC:
		if (!get_u64_arg(rpc, &us))
			return CN_ERR_BAD_MESSAGE;
		if (us && us < CN_TIMER_MIN_PERIOD_US)
			us = CN_TIMER_MIN_PERIOD_US;
		return arm(s, us, us);
	case CN_TIMER_SIGH:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
			return CN_ERR_BAD_MESSAGE;
		if (s->sigh >= 0)
			close(s->sigh);
		s->sigh = cn_msg_take_cap(rpc->in, 0);
		return CN_OK;
	default:
		return CN_ERR_INVALID_OPCODE;
	}
}

static void
timer_expired(void *data, uint32_t events)
{
	struct timer_session *s = data;
	uint64_t expirations;

	(void)events;
	if (read(s->timerfd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return; /* re-armed since the wakeup: nothing expired */
	if (s->sigh < 0)
		return; /* as in Genode, a timeout without a handler is lost */
	if (expirations > CN_SIGNAL_COUNT_MAX)
		expirations = CN_SIGNAL_COUNT_MAX;
	if (cn_signal_submit(s->sigh, (uint32_t)expirations) == CN_ERR_DEAD_OBJECT) {
		/* Nobody receives it any more; stop trying until a new sigh. */
		close(s->sigh);
		s->sigh = -1;
	}
}

static void
session_destroy(struct timer_session *s)
{
	cn_watch_destroy(s->watch);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->sigh >= 0)
		close(s->sigh);
	cn_obj_destroy(s->obj);
	free(s);
}

static int
session_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	struct timer_session *s;

	(void)data;
	if (req->ram_quota < TIMER_SESSION_RAM)
		return CN_ERR_INSUFFICIENT_RAM;
	if (req->cap_quota < TIMER_SESSION_CAPS)
		return CN_ERR_INSUFFICIENT_CAPS;
	if (state.sessions == TIMER_SESSIONS_MAX) {
		cn_warning(state.env, "session limit reached, denying \"%s\"", req->label);
		return CN_ERR_DENIED;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_DENIED;
	s->sigh = -1;
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timerfd < 0 || cn_obj_create(state.env->ep, session_dispatch, s, &s->obj) < 0 ||
	    cn_ep_watch(state.env->ep, s->timerfd, EPOLLIN, timer_expired, s, &s->watch) < 0) {
		cn_error(state.env, "cannot create a session for \"%s\"", req->label);
		session_destroy(s);
		return CN_ERR_DENIED;
	}
	s->created_us = now_us();
	state.sessions++;
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

static void
session_close(void *data, void *session)
{
	(void)data;
	session_destroy(session);
	state.sessions--;
}

static const struct cn_service_ops timer_service = {
    .create = session_create,
    .close = session_close,
};

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	r = cn_service_announce(env, "Timer", &timer_service, NULL);
	if (r < 0) {
		cn_error(env, "cannot announce the Timer service: %s", strerror(-r));
		cn_exit(env, 3);
	}
}
