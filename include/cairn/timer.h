/*
 * Timer session (served by the timer driver): elapsed time, one-shot and
 * periodic timeouts delivered as signals.
 */
#ifndef CAIRN_TIMER_H
#define CAIRN_TIMER_H

#include <stdint.h>

enum cn_timer_op {
	CN_TIMER_ELAPSED_US = 1,   /* -> u64 microseconds since the session was created */
	CN_TIMER_TRIGGER_ONCE,     /* u64 us from now */
	CN_TIMER_TRIGGER_PERIODIC, /* u64 period us (0 stops) */
	CN_TIMER_SIGH,             /* cap signal */
};

enum {
	CN_TIMER_MIN_PERIOD_US = 10,
};

struct cn_env;
struct cn_timer;

int cn_timer_open(struct cn_env *env, const char *label, struct cn_timer **ret);
void cn_timer_close(struct cn_timer *t);
uint64_t cn_timer_elapsed_us(struct cn_timer *t);
uint64_t cn_timer_elapsed_ms(struct cn_timer *t);
int cn_timer_trigger_once(struct cn_timer *t, uint64_t us);
int cn_timer_trigger_periodic(struct cn_timer *t, uint64_t us);
int cn_timer_sigh(struct cn_timer *t, int sig_cap);
/* Block the calling handler for us microseconds, sleeping on a signal
 * (the entrypoint keeps dispatching meanwhile). */
int cn_timer_usleep(struct cn_timer *t, uint64_t us);

#endif
