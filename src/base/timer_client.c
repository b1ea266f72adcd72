/*
 * Timer session client.
 */
#include <cairn/env.h>
#include <cairn/timer.h>

#include <stdlib.h>
#include <unistd.h>

struct cn_timer {
	struct cn_env *env;
	int cap;
	uint32_t id;
	struct cn_sig *sleep_sig; /* for cn_timer_usleep */
	int user_sigh;            /* cap registered by the user, or -1 */
};

enum { TIMER_SESSION_RAM = 16384, TIMER_SESSION_CAPS = 2 };

int
cn_timer_open(struct cn_env *env, const char *label, struct cn_timer **ret)
{
	struct cn_timer *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->env = env;
	t->user_sigh = -1;
	r = cn_session_open(env, "Timer", label ? label : "", TIMER_SESSION_RAM, TIMER_SESSION_CAPS,
	                    NULL, &t->cap, &t->id);
	if (r < 0) {
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

void
cn_timer_close(struct cn_timer *t)
{
	if (!t)
		return;
	cn_sig_destroy(t->sleep_sig);
	cn_session_close(t->env, t->id);
	close(t->cap);
	free(t);
}

static int
simple_call(struct cn_timer *t, int32_t op, uint64_t arg, int cap, uint64_t *ret)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, op);
	if (cap >= 0)
		cn_msg_put_cap(&msg, cap);
	else if (!ret)
		cn_msg_put_u64(&msg, arg);
	r = cn_call(t->cap, &msg);
	if (r >= 0 && ret) {
		if (cn_msg_get_u64(&msg, ret) < 0 || cn_msg_end(&msg) < 0)
			r = CN_ERR_BAD_MESSAGE;
	}
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

uint64_t
cn_timer_elapsed_us(struct cn_timer *t)
{
	uint64_t us = 0;

	simple_call(t, CN_TIMER_ELAPSED_US, 0, -1, &us);
	return us;
}

uint64_t
cn_timer_elapsed_ms(struct cn_timer *t)
{
	return cn_timer_elapsed_us(t) / 1000;
}

int
cn_timer_trigger_once(struct cn_timer *t, uint64_t us)
{
	return simple_call(t, CN_TIMER_TRIGGER_ONCE, us, -1, NULL);
}

int
cn_timer_trigger_periodic(struct cn_timer *t, uint64_t us)
{
	return simple_call(t, CN_TIMER_TRIGGER_PERIODIC, us, -1, NULL);
}

int
cn_timer_sigh(struct cn_timer *t, int sig_cap)
{
	int r = simple_call(t, CN_TIMER_SIGH, 0, sig_cap, NULL);

	if (r == 0)
		t->user_sigh = sig_cap;
	return r;
}

static void
wakeup(void *data, uint32_t count)
{
	(void)data;
	(void)count;
}

int
cn_timer_usleep(struct cn_timer *t, uint64_t us)
{
	int r;

	if (!t->sleep_sig) {
		r = cn_sig_create(t->env->ep, wakeup, t, &t->sleep_sig);
		if (r < 0)
			return r;
	}
	r = simple_call(t, CN_TIMER_SIGH, 0, cn_sig_cap(t->sleep_sig), NULL);
	if (r == 0)
		r = cn_timer_trigger_once(t, us);
	if (r == 0)
		r = cn_ep_wait_sig(t->env->ep, t->sleep_sig);
	/* give the session back to the user's handler */
	if (t->user_sigh >= 0)
		simple_call(t, CN_TIMER_SIGH, 0, t->user_sigh, NULL);
	return r;
}
