/*
 * test-timer: one-shot and periodic timeouts of a Timer session, measured
 * against the session's own elapsed time. The test only ever sleeps on
 * signals; the entrypoint dispatches while it waits.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/timer.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum {
	MAX_LATENESS_US = 1000000, /* generous: the host may be loaded */
	PERIOD_US = 20000,
	PERIODS = 10,
	QUIET_US = 300000, /* how long "no further signal" is watched */
	TIMER_RAM = 16384,
	TIMER_CAPS = 2,
};

static const uint64_t one_shot_ms[] = {50, 100, 200};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_timer *timer; /* the session under test */
	struct cn_timer *clock; /* a second session, for sleeping on the side */
	struct cn_sig *sig;
	uint64_t timeouts; /* expirations delivered to sig */
} state;

__attribute__((noreturn, format(printf, 1, 2))) static void
fail(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cn_error(state.env, "test-timer: %s", msg);
	cn_exit(state.env, 1);
}

static void
timeout(void *data, uint32_t count)
{
	(void)data;
	state.timeouts += count;
}

static void
check(int r, const char *what)
{
	if (r < 0)
		fail("%s failed: %s", what, strerror(-r));
}

/* Sleep on signals until at least `count` timeouts arrived in total. */
static void
wait_timeouts(uint64_t count)
{
	while (state.timeouts < count)
		check(cn_ep_wait_sig(state.env->ep, state.sig), "waiting for a timeout");
}

static void
check_duration(const char *what, uint64_t measured_us, uint64_t requested_us)
{
	cn_log(state.env, "%s: requested %" PRIu64 " us, took %" PRIu64 " us", what, requested_us,
	       measured_us);
	if (measured_us < requested_us)
		fail("%s fired %" PRIu64 " us early", what, requested_us - measured_us);
	if (measured_us > requested_us + MAX_LATENESS_US)
		fail("%s fired %" PRIu64 " us late", what, measured_us - requested_us);
}

static void
test_one_shot(uint64_t ms)
{
	uint64_t start = cn_timer_elapsed_us(state.timer);
	uint64_t expected = state.timeouts + 1;

	check(cn_timer_trigger_once(state.timer, ms * 1000), "trigger_once");
	wait_timeouts(expected);
	check_duration("one-shot", cn_timer_elapsed_us(state.timer) - start, ms * 1000);
}

/* Nothing more may arrive: watched by sleeping on the second session. */
static void
check_quiet(const char *what)
{
	uint64_t before = state.timeouts;

	check(cn_timer_usleep(state.clock, QUIET_US), "usleep");
	if (state.timeouts != before)
		fail("%s: %" PRIu64 " unexpected timeouts", what, state.timeouts - before);
}

/* A new trigger replaces the pending one: only the later one fires. */
static void
test_replace(void)
{
	uint64_t start = cn_timer_elapsed_us(state.timer);
	uint64_t expected = state.timeouts + 1;

	check(cn_timer_trigger_once(state.timer, 10 * QUIET_US), "trigger_once");
	check(cn_timer_trigger_once(state.timer, 50000), "trigger_once");
	wait_timeouts(expected);
	check_duration("replaced one-shot", cn_timer_elapsed_us(state.timer) - start, 50000);
	check_quiet("replaced one-shot");
}

static void
test_periodic(void)
{
	uint64_t start = cn_timer_elapsed_us(state.timer);
	uint64_t first = state.timeouts;

	check(cn_timer_trigger_periodic(state.timer, PERIOD_US), "trigger_periodic");
	wait_timeouts(first + PERIODS);
	uint64_t took = cn_timer_elapsed_us(state.timer) - start;
	/* Signals coalesce, so a late wakeup may count more than PERIODS;
	 * what was counted must still fit into the measured time. */
	uint64_t counted = state.timeouts - first;
	check(cn_timer_trigger_periodic(state.timer, 0), "stopping the periodic timeout");
	/* The driver sent any signal of an expiry before the stop ahead of
	 * the stop's reply: take those in before watching for silence. */
	while (cn_ep_dispatch(state.env->ep, 0) > 0)
		;
	check_duration("periodic", took, counted * PERIOD_US);
	cn_log(state.env, "periodic: %" PRIu64 " timeouts of %d us", counted, PERIOD_US);
	check_quiet("stopped periodic");
}

static void
test_monotonic(void)
{
	uint64_t last = cn_timer_elapsed_us(state.timer);

	for (unsigned i = 0; i < 100; i++) {
		uint64_t now = cn_timer_elapsed_us(state.timer);
		if (now < last)
			fail("elapsed time went backwards: %" PRIu64 " after %" PRIu64, now, last);
		last = now;
	}
}

/* The driver refuses a session that does not pay for itself. */
static void
test_insufficient_quota(void)
{
	uint32_t id;
	int cap, r;

	r = cn_session_open(state.env, "Timer", "poor", 64, TIMER_CAPS, NULL, &cap, &id);
	if (r == 0) {
		cn_session_close(state.env, id);
		close(cap);
	}
	if (r != CN_ERR_INSUFFICIENT_RAM)
		fail("session with 64 bytes of RAM quota: expected %d, got %d",
		     CN_ERR_INSUFFICIENT_RAM, r);
	cn_log(state.env, "session with too little quota denied");
}

/* Malformed requests are refused and change nothing. */
static void
test_bad_requests(void)
{
	struct cn_msg msg = {.owns_caps = false};
	uint32_t id;
	int cap, r;

	check(cn_session_open(state.env, "Timer", "raw", TIMER_RAM, TIMER_CAPS, NULL, &cap, &id),
	      "opening a raw Timer session");
	cn_msg_init(&msg, CN_TIMER_TRIGGER_ONCE); /* argument missing */
	r = cn_call(cap, &msg);
	if (r == CN_ERR_BAD_MESSAGE) {
		cn_msg_init(&msg, CN_TIMER_SIGH); /* cap missing */
		cn_msg_put_u64(&msg, 1);
		r = cn_call(cap, &msg);
	}
	if (r == CN_ERR_BAD_MESSAGE) {
		cn_msg_init(&msg, 0x4711);
		r = cn_call(cap, &msg) == CN_ERR_INVALID_OPCODE ? 0 : -1;
	}
	if (r == 0) {
		/* still served */
		cn_msg_init(&msg, CN_TIMER_ELAPSED_US);
		r = cn_call(cap, &msg);
	}
	cn_msg_reset(&msg);
	cn_session_close(state.env, id);
	close(cap);
	if (r != 0)
		fail("a malformed request was not refused (%d)", r);
	cn_log(state.env, "malformed requests refused");
}

void
cn_construct(struct cn_env *env)
{
	state.env = env;
	cn_log(env, "--- timer test ---");
	check(cn_timer_open(env, NULL, &state.timer), "opening the Timer session");
	check(cn_timer_open(env, "clock", &state.clock), "opening the second Timer session");
	check(cn_sig_create(env->ep, timeout, NULL, &state.sig), "creating a signal context");
	check(cn_timer_sigh(state.timer, cn_sig_cap(state.sig)), "registering the handler");

	test_monotonic();
	for (size_t i = 0; i < sizeof(one_shot_ms) / sizeof(one_shot_ms[0]); i++)
		test_one_shot(one_shot_ms[i]);
	test_replace();
	test_periodic();
	test_insufficient_quota();
	test_bad_requests();

	cn_timer_close(state.clock);
	cn_timer_close(state.timer);
	cn_sig_destroy(state.sig);
	cn_log(env, "--- timer test finished ---");
	cn_log(env, "test-timer: done");
	cn_exit(env, 0);
}
