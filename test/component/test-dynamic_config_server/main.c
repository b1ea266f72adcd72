/*
 * test-dynamic_config_server: the server half of Genode's dynamic_config
 * test. It provides one ROM, whatever the label, whose content is
 * "<config><counter>N</counter></config>"; N starts at -1 and grows by one
 * every 250 ms, and every client is signalled at each change.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/rom.h>
#include <cairn/service.h>
#include <cairn/timer.h>

#include <stdio.h>

enum {
	PERIOD_US = 250 * 1000, /* Genode's interval */
	ROM_SESSION_RAM = 4096, /* donation a ROM session needs */
	ROM_SESSION_CAPS = 1,
	CONTENT_MAX = 100,
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_timer *timer;
	struct cn_sig *timer_sig;
	struct cn_rom_service service;
	struct cn_ds content; /* the current version, sealed; cap -1 before the first */
	size_t content_len;
	int counter;
} state;

static int
rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct cn_rom_session *s = cn_obj_data(obj);

	int r = cn_rom_serve(rpc, state.content.cap, state.content_len, &s->sigh);

	if (cn_rom_session_first_refusal(s, r))
		cn_warning(state.env, "ROM session of '%s': %s request %d refused", s->label,
		           r == CN_ERR_INVALID_OPCODE ? "unknown" : "malformed", (int)rpc->opcode);
	return r;
}

/* A new version with the next counter value; readers keep the old one
 * mapped as long as they like, the server drops its reference. */
static void
next_version(void *data, uint32_t count)
{
	char text[CONTENT_MAX];
	struct cn_ds version;
	int len, r;

	(void)data;
	(void)count;
	len =
	    snprintf(text, sizeof(text), "<config><counter>%d</counter></config>", state.counter++);
	r = cn_pd_alloc_sealed(state.env->pd, text, (size_t)len, &version);
	if (r < 0) {
		cn_error(state.env, "cannot produce the config: %s", cn_strerror(r));
	} else {
		if (state.content.cap >= 0)
			cn_pd_free_ram(state.env->pd, &state.content);
		state.content = version;
		state.content_len = (size_t)len;
		cn_rom_sessions_notify(state.service.sessions);
	}
	cn_timer_trigger_once(state.timer, PERIOD_US);
}

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	state.content.cap = -1;
	state.counter = -1;
	r = cn_timer_open(env, "", &state.timer);
	if (r == 0)
		r = cn_sig_create(env->ep, next_version, NULL, &state.timer_sig);
	if (r == 0)
		r = cn_timer_sigh(state.timer, cn_sig_cap(state.timer_sig));
	if (r < 0) {
		cn_error(env, "cannot set up the timer: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
	next_version(NULL, 1);
	state.service = (struct cn_rom_service){.ep = env->ep,
	                                        .ram_min = ROM_SESSION_RAM,
	                                        .caps_min = ROM_SESSION_CAPS,
	                                        .dispatch = rom_dispatch};
	r = cn_service_announce(env, "ROM", &cn_rom_service_ops, &state.service);
	if (r < 0) {
		cn_error(env, "cannot announce the ROM service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
