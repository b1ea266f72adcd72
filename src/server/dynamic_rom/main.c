/*
 * dynamic_rom: a ROM server whose modules change over time, as Genode's.
 * Each <rom name="..."> of the config is a timeline of steps: <inline>
 * sets the content, <sleep milliseconds="N"/> waits, <empty/> removes the
 * module; at the end the timeline starts over. Every ROM session plays
 * its module's timeline from the start, beginning when it is created.
 *
 * The content of each <inline> step is prepared once, at startup, in a
 * dataspace sealed read-only: a step hands out that dataspace, so no
 * session ever sees a half-written version. One Timer session serves all
 * sessions; it is programmed for the earliest deadline.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/rom.h>
#include <cairn/service.h>
#include <cairn/timer.h>
#include <cairn/xml.h>
#include <cairn/xml_gen.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	/* what a ROM session costs us: its state and its object */
	ROM_SESSION_RAM = 4096,
	ROM_SESSION_CAPS = 1,
	NAME_MAX_LEN = 160,         /* bytes of a <rom name>, as Genode's */
	DESCRIPTION_MAX = 200,      /* bytes of an <inline description>, as Genode's */
	SLEEP_MS_MAX = 3600 * 1000, /* an hour */
	ROMS_MAX = 256,             /* <rom> nodes */
	STEPS_MAX = 4096,           /* steps of one timeline */
	CONTENT_DEPTH_MAX = 20,     /* nesting of an <inline>'s content, as Genode's */
};

enum step_type { STEP_INLINE, STEP_SLEEP, STEP_EMPTY };

struct step {
	enum step_type type;
	char description[DESCRIPTION_MAX]; /* inline; empty if none */
	bool has_description;
	struct cn_ds content; /* inline: sealed read-only */
	size_t length;        /* inline: bytes handed out */
	uint64_t ms;          /* sleep */
};

struct rom {
	char name[NAME_MAX_LEN];
	struct step *steps;
	unsigned num_steps;
	bool loops; /* has a sleep: without one the timeline plays once */
};

/* The timeline of one ROM session (its cn_rom_session's data). */
struct timeline {
	struct cn_rom_session *session;
	const struct rom *rom;
	unsigned next;              /* index of the next step to execute */
	const struct step *content; /* the step whose content is shown, NULL: none */
	bool sleeping;
	bool done;        /* a timeline without sleep played once */
	uint64_t wake_us; /* timer time at which the sleep ends */
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct rom roms[ROMS_MAX];
	unsigned num_roms;
	bool verbose;
	struct cn_timer *timer;
	struct cn_sig *timer_sig;
	struct cn_rom_session *sessions; /* data: struct timeline */
	int config_errors;               /* found while reading the config */
} state;

/* --- config -------------------------------------------------------------- */

/* An error about the config: named with its place, and counted. */
#define config_error(node, ...)                                                                    \
	(cn_config_error(state.env, (node), __VA_ARGS__), state.config_errors++)

/* The text of an <inline> node without sub node, without surrounding
 * blanks (Genode's dynamic_rom hands out nothing for it; older versions
 * handed out the text). */
static void
inline_text(const struct cn_xml_node *node, const char **ret_text, size_t *ret_len)
{
	const char *text = node->content;
	size_t len = node->content_len;

	while (len && strchr(" \t\r\n", text[0])) {
		text++;
		len--;
	}
	while (len && strchr(" \t\r\n", text[len - 1]))
		len--;
	*ret_text = text;
	*ret_len = len;
}

/* The content as a sealed dataspace. An empty text becomes one NUL byte:
 * the module is valid but empty, as Genode's zero-filled one. */
static int
content_create(const char *text, size_t len, struct step *step)
{
	int r = cn_pd_alloc_sealed(state.env->pd, len ? text : "", len ? len : 1, &step->content);

	if (r == 0)
		step->length = len ? len : 1;
	return r;
}

static void
parse_step(const struct cn_xml_node *node, const char *rom, struct step *step)
{
	char name[32];
	int r;

	snprintf(name, sizeof(name), "%.*s", (int)node->name_len, node->name);
	step->content.cap = -1;
	if (cn_xml_is(node, "inline")) {
		const struct cn_xml_node *sub;
		struct cn_xml_gen gen;
		const char *text;
		size_t len;

		step->type = STEP_INLINE;
		r = cn_xml_attr_str(node, "description", step->description,
		                    sizeof(step->description));
		step->has_description = r == 0;
		if (r < 0 && r != -ENOENT)
			config_error(node, "rom '%s': <inline> has an invalid 'description'", rom);
		if (cn_xml_count(node, NULL) > 1) {
			config_error(node, "rom '%s': <inline> has more than one sub node", rom);
			return;
		}
		/* the sub node is handed out in Genode's layout, as Genode's
		 * dynamic_rom regenerates it */
		sub = cn_xml_child(node, NULL);
		cn_xml_gen_init(&gen, CN_XML_MAX_SIZE);
		if (sub) {
			cn_xml_gen_node(&gen, sub, CONTENT_DEPTH_MAX);
			r = cn_xml_gen_finish(&gen, &text, &len);
		} else {
			inline_text(node, &text, &len);
			r = 0;
		}
		if (r == 0)
			r = content_create(text, len, step);
		cn_xml_gen_free(&gen);
		if (r == -ELOOP)
			config_error(node, "rom '%s': step is too deeply nested", rom);
		else if (r < 0)
			config_error(node, "rom '%s': cannot store the content: %s", rom,
			             cn_strerror(r));
	} else if (cn_xml_is(node, "sleep")) {
		step->type = STEP_SLEEP;
		r = cn_xml_attr_u64(node, "milliseconds", &step->ms);
		if (r == -ENOENT)
			config_error(node, "rom '%s': <sleep> lacks the 'milliseconds' attribute",
			             rom);
		else if (r < 0 || step->ms > SLEEP_MS_MAX)
			config_error(node, "rom '%s': <sleep> has an invalid 'milliseconds' value",
			             rom);
	} else if (cn_xml_is(node, "empty")) {
		step->type = STEP_EMPTY;
	} else {
		config_error(node, "rom '%s': unknown step <%s>", rom, name);
	}
}

static void
parse_rom(const struct cn_xml_node *node, struct rom *rom)
{
	unsigned n = cn_xml_count(node, NULL), i = 0;
	int r;

	r = cn_xml_attr_str(node, "name", rom->name, sizeof(rom->name));
	if (r < 0 || !rom->name[0]) {
		config_error(node, "<rom> lacks a valid 'name' attribute");
		return;
	}
	for (unsigned k = 0; k < state.num_roms; k++) {
		if (strcmp(state.roms[k].name, rom->name) == 0) {
			config_error(node, "rom '%s' defined twice", rom->name);
			return;
		}
	}
	if (n == 0) {
		config_error(node, "rom '%s' has no steps", rom->name);
		return;
	}
	if (n > STEPS_MAX) {
		config_error(node, "rom '%s' has more than %d steps", rom->name, STEPS_MAX);
		return;
	}
	rom->steps = calloc(n, sizeof(*rom->steps));
	if (!rom->steps) {
		config_error(node, "rom '%s': out of memory", rom->name);
		return;
	}
	rom->num_steps = n;
	cn_xml_for_each(child, node, NULL)
	{
		parse_step(child, rom->name, &rom->steps[i]);
		if (rom->steps[i].type == STEP_SLEEP)
			rom->loops = true;
		i++;
	}
}

static void
read_config(void)
{
	const struct cn_xml_node *config;
	int r;

	r = cn_config(state.env, &config);
	if (r < 0) {
		cn_error(state.env, "no valid config: %s", cn_strerror(r));
		cn_exit(state.env, 2);
	}
	if (cn_xml_attr_bool(config, "verbose", &state.verbose) == -EINVAL)
		config_error(config, "invalid value of 'verbose'");
	cn_xml_for_each(node, config, NULL)
	{
		if (!cn_xml_is(node, "rom")) {
			cn_warning(state.env, "config: unknown node <%.*s>, ignored",
			           (int)node->name_len, node->name);
			continue;
		}
		if (state.num_roms == ROMS_MAX) {
			config_error(node, "more than %d <rom> nodes", ROMS_MAX);
			break;
		}
		parse_rom(node, &state.roms[state.num_roms]);
		state.num_roms++;
	}
	if (state.config_errors) {
		cn_error(state.env, "config rejected: %d error%s", state.config_errors,
		         state.config_errors == 1 ? "" : "s");
		cn_exit(state.env, 2);
	}
	if (state.num_roms == 0)
		cn_warning(state.env, "config has no <rom> node: every request will be denied");
}

/* --- timelines ----------------------------------------------------------- */

/* Genode's lines, prefixed with the ROM's name, with verbose="yes" */
__attribute__((format(printf, 2, 3))) static void
verbose_log(const struct rom *rom, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!state.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cn_log(state.env, "%s: %s", rom->name, text);
}

/* Execute steps until a sleep (or, without one, to the end once). */
static void
play(struct timeline *s, uint64_t now_us)
{
	const struct rom *rom = s->rom;

	s->sleeping = false;
	while (!s->done) {
		const struct step *step = &rom->steps[s->next];

		s->next = (s->next + 1) % rom->num_steps;
		if (!rom->loops && s->next == 0)
			s->done = true;
		switch (step->type) {
		case STEP_INLINE:
			s->content = step;
			cn_rom_notify(&s->session->sigh);
			if (step->has_description)
				verbose_log(rom, "change (%s)", step->description);
			else
				verbose_log(rom, "change");
			break;
		case STEP_EMPTY:
			s->content = NULL;
			cn_rom_notify(&s->session->sigh);
			verbose_log(rom, "remove");
			break;
		case STEP_SLEEP:
			s->sleeping = true;
			s->wake_us = now_us + step->ms * 1000;
			verbose_log(rom, "sleep %llu milliseconds", (unsigned long long)step->ms);
			return;
		}
	}
}

/* Program the timer for the earliest wake-up of any session. */
static void
program_timer(uint64_t now_us)
{
	uint64_t earliest = UINT64_MAX;
	int r;

	for (struct cn_rom_session *s = state.sessions; s; s = s->next) {
		struct timeline *t = s->data;

		if (t->sleeping && t->wake_us < earliest)
			earliest = t->wake_us;
	}
	if (earliest == UINT64_MAX)
		return;
	r = cn_timer_trigger_once(state.timer, earliest > now_us ? earliest - now_us : 0);
	if (r < 0)
		cn_error(state.env, "cannot program the timer: %s", cn_strerror(r));
}

static void
timer_fired(void *data, uint32_t count)
{
	uint64_t now = cn_timer_elapsed_us(state.timer);

	(void)data;
	(void)count;
	for (struct cn_rom_session *s = state.sessions; s; s = s->next) {
		struct timeline *t = s->data;

		if (t->sleeping && t->wake_us <= now)
			play(t, now);
	}
	program_timer(now);
}

/* --- ROM service --------------------------------------------------------- */

static int
rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct cn_rom_session *s = cn_obj_data(obj);
	const struct step *c = ((struct timeline *)s->data)->content;

	int r = cn_rom_serve(rpc, c ? c->content.cap : -1, c ? c->length : 0, &s->sigh);

	if (cn_rom_session_first_refusal(s, r))
		cn_warning(state.env, "ROM session of '%s': %s request %d refused", s->label,
		           r == CN_ERR_INVALID_OPCODE ? "unknown" : "malformed", (int)rpc->opcode);
	return r;
}

static const struct rom *
rom_find(const char *name)
{
	for (unsigned i = 0; i < state.num_roms; i++)
		if (strcmp(state.roms[i].name, name) == 0)
			return &state.roms[i];
	return NULL;
}

static int
rom_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	const struct rom *rom = rom_find(cn_label_last(req->label));
	struct timeline *t;
	uint64_t now;
	int r;

	(void)data;
	if (!rom) {
		cn_error(state.env, "ROM module lookup of '%s' failed", req->label);
		return CN_ERR_DENIED;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return CN_ERR_INSUFFICIENT_RAM;
	r = cn_rom_session_create(state.env->ep, req, ROM_SESSION_RAM, ROM_SESSION_CAPS,
	                          rom_dispatch, t, &state.sessions, ret_session, ret_cap);
	if (r < 0) {
		free(t);
		return r;
	}
	t->session = *ret_session;
	t->rom = rom;
	/* the first steps run at once, at session creation, as in Genode */
	now = cn_timer_elapsed_us(state.timer);
	play(t, now);
	program_timer(now);
	return 0;
}

static void
rom_close(void *data, void *session)
{
	struct cn_rom_session *s = session;

	(void)data;
	free(s->data);
	cn_rom_session_destroy(&state.sessions, s);
}

static const struct cn_service_ops rom_service = {
    .create = rom_create,
    .close = rom_close,
};

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	read_config();
	r = cn_timer_open(env, "", &state.timer);
	if (r < 0) {
		cn_error(env, "cannot open a Timer session: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
	r = cn_sig_create(env->ep, timer_fired, NULL, &state.timer_sig);
	if (r == 0)
		r = cn_timer_sigh(state.timer, cn_sig_cap(state.timer_sig));
	if (r == 0)
		r = cn_service_announce(env, "ROM", &rom_service, NULL);
	if (r < 0) {
		cn_error(env, "cannot announce the ROM service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
