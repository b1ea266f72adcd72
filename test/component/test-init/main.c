/*
 * test-init: drives an init under test through a list of steps, as
 * Genode's test-init does. Its config is the step list:
 *
 *   <init_config version="v"> ... </init_config>  publish "<config version="v">...</config>"
 *                                                 as Report "init.config" (the config of
 *                                                 the init under test, through report_rom)
 *   <expect_log string="[label] text"/>           wait for that line at our LOG service
 *   <expect_warning string="[label] " colored="Warning: ..."/>
 *                                                 the same for a coloured line
 *   <expect_init_state> conditions </expect_init_state>
 *                                                 wait until the "state" ROM matches:
 *                                                 <attribute name value|higher|lower>,
 *                                                 <node name> (some sub node matches),
 *                                                 <not> (its conditions do not all hold)
 *   <sleep ms="N"/>, <message string="s"/>, <nop/>
 *
 * After the last step it exits with 0. It never fails by itself: a step
 * that does not come true keeps it waiting (the scenario's timeout ends
 * the test), and every few seconds it says which step it waits for.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/report.h>
#include <cairn/rom.h>
#include <cairn/service.h>
#include <cairn/timer.h>
#include <cairn/wire.h>
#include <cairn/xml.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	REPORT_BUFFER = 64 << 10,   /* the largest <init_config> we publish */
	TEXT_MAX = 2048,            /* expected strings and received LOG messages */
	LOG_SESSIONS_MAX = 64,      /* sessions of our LOG service */
	LOG_SESSION_RAM_MIN = 4096, /* what a LOG client must donate */
	STALL_REPORT_MS = 5000,     /* how often we say what we wait for */
	NAME_MAX_ = 64,
};

struct log_session {
	struct cn_obj *obj;
	char label[CN_LABEL_MAX];
	bool reported; /* a malformed request was logged already */
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	const struct cn_xml_node *step; /* the current step, NULL when done */
	unsigned step_index;
	bool sleeping;  /* <sleep> waits for the timer */
	bool advancing; /* advance() runs (it is not re-entered) */
	struct cn_timer *timer, *watchdog;
	struct cn_sig *timer_sig, *watchdog_sig, *state_sig;
	unsigned stalled_ms; /* time the current step waited so far */
	struct cn_report *config_report;
	struct cn_rom *state_rom;
	unsigned log_sessions;
} state;

/* --- helpers --------------------------------------------------------------- */

static void
describe(const struct cn_xml_node *node, char *buf, size_t size)
{
	size_t n = node->src_len < 160 ? node->src_len : 160;
	int len = snprintf(buf, size, "%.*s%s", (int)n, node->src, n < node->src_len ? "..." : "");

	/* one line: the step's text as written, whitespace folded */
	for (int i = 0; i < len && (size_t)i < size; i++)
		if (buf[i] == '\n' || buf[i] == '\t')
			buf[i] = ' ';
}

static __attribute__((noreturn)) void
config_error(const struct cn_xml_node *node, const char *why)
{
	char text[200];

	describe(node, text, sizeof(text));
	cn_error(state.env, "config: step %u %s: %s", state.step_index, text, why);
	cn_exit(state.env, 2);
}

/* --- <expect_init_state>: conditions against the state report ----------- */

static bool node_matches(const struct cn_xml_node *cond, const struct cn_xml_node *node);

static bool
attribute_matches(const struct cn_xml_node *cond, const struct cn_xml_node *node)
{
	char name[NAME_MAX_], expected[TEXT_MAX], actual[TEXT_MAX] = "";
	uint64_t want, have;

	if (cn_xml_attr_str(cond, "name", name, sizeof(name)) < 0)
		config_error(cond, "<attribute> needs a name");
	/* an absent attribute reads as "" (so value="" means "not there") */
	cn_xml_attr_str(node, name, actual, sizeof(actual));
	if (cn_xml_attr_str(cond, "value", expected, sizeof(expected)) == 0)
		return strcmp(expected, actual) == 0;
	if (!actual[0] || cn_parse_u64(actual, strlen(actual), &have) < 0)
		return false;
	if (cn_xml_attr_u64(cond, "higher", &want) == 0)
		return have > want;
	if (cn_xml_attr_u64(cond, "lower", &want) == 0)
		return have < want;
	config_error(cond, "<attribute> needs value, higher or lower");
}

/* Every condition of cond holds for node. */
static bool
node_matches(const struct cn_xml_node *cond, const struct cn_xml_node *node)
{
	cn_xml_for_each(sub, cond, NULL)
	{
		if (cn_xml_is(sub, "attribute")) {
			if (!attribute_matches(sub, node))
				return false;
		} else if (cn_xml_is(sub, "node")) {
			char type[NAME_MAX_];
			bool any = false;

			if (cn_xml_attr_str(sub, "name", type, sizeof(type)) < 0)
				config_error(sub, "<node> needs a name");
			cn_xml_for_each(n, node, type) any = any || node_matches(sub, n);
			if (!any)
				return false;
		} else if (cn_xml_is(sub, "not")) {
			if (node_matches(sub, node))
				return false;
		} else {
			config_error(sub, "unknown condition (attribute, node, not)");
		}
	}
	return true;
}

static bool
init_state_matches(const struct cn_xml_node *cond)
{
	struct cn_xml_doc *doc;
	struct cn_xml_error err;
	bool match;

	if (!state.state_rom || !cn_rom_size(state.state_rom))
		return false;
	if (cn_xml_parse(cn_rom_data(state.state_rom), cn_rom_size(state.state_rom), &doc, &err) <
	    0) {
		cn_warning(state.env, "state report is malformed (line %u, column %u): %s",
		           err.line, err.column, err.msg);
		return false;
	}
	match = cn_xml_is(cn_xml_root(doc), "state") && node_matches(cond, cn_xml_root(doc));
	cn_xml_free(doc);
	return match;
}

/* --- steps ----------------------------------------------------------------- */

static void
publish_init_config(const struct cn_xml_node *node)
{
	char *buf = cn_report_buffer(state.config_report);
	size_t size = cn_report_buffer_size(state.config_report);
	char version[128];
	int n, r;

	if (cn_xml_attr_str(node, "version", version, sizeof(version)) == 0)
		n = snprintf(buf, size, "<config version=\"%s\">%.*s</config>", version,
		             (int)node->content_len, node->content);
	else
		n = snprintf(buf, size, "<config>%.*s</config>", (int)node->content_len,
		             node->content);
	if (n < 0 || (size_t)n >= size)
		config_error(node, "too large for the report buffer");
	r = cn_report_submit(state.config_report, buf, (size_t)n);
	if (r < 0) {
		cn_error(state.env, "cannot publish the init config: %s", cn_strerror(r));
		cn_exit(state.env, 1);
	}
}

static void
next_step(void)
{
	state.step = cn_xml_next(state.step, NULL);
	state.step_index++;
	state.stalled_ms = 0;
}

/* Run steps until one has to wait (for a log line, a state or the timer). */
static void
advance(void)
{
	if (state.advancing)
		return;
	state.advancing = true;
	while (state.step && !state.sleeping) {
		const struct cn_xml_node *s = state.step;
		char text[TEXT_MAX];

		if (cn_xml_is(s, "init_config")) {
			publish_init_config(s);
		} else if (cn_xml_is(s, "message")) {
			if (cn_xml_attr_str(s, "string", text, sizeof(text)) < 0)
				config_error(s, "<message> needs a string");
			cn_log(state.env, "\n--- %s ---", text);
		} else if (cn_xml_is(s, "sleep")) {
			uint64_t ms;

			if (cn_xml_attr_u64(s, "ms", &ms) < 0)
				config_error(s, "<sleep> needs ms");
			state.sleeping = true;
			cn_timer_trigger_once(state.timer, ms * 1000);
			break;
		} else if (cn_xml_is(s, "expect_log") || cn_xml_is(s, "expect_warning")) {
			break; /* log_write() moves on */
		} else if (cn_xml_is(s, "expect_init_state")) {
			if (!init_state_matches(s))
				break; /* state_changed() looks again */
		} else if (!cn_xml_is(s, "nop")) {
			config_error(s, "unknown step");
		}
		next_step();
	}
	state.advancing = false;
	if (!state.step) {
		cn_log(state.env, "test-init: all steps done");
		cn_exit(state.env, 0);
	}
}

static void
timer_fired(void *data, uint32_t count)
{
	(void)data;
	(void)count;
	if (!state.sleeping)
		return;
	state.sleeping = false;
	next_step();
	advance();
}

static void
watchdog_fired(void *data, uint32_t count)
{
	char text[200];

	(void)data;
	(void)count;
	if (!state.step || state.sleeping)
		return;
	state.stalled_ms += STALL_REPORT_MS;
	describe(state.step, text, sizeof(text));
	cn_log(state.env, "still waiting after %u s for step %u: %s", state.stalled_ms / 1000,
	       state.step_index, text);
	if (state.state_rom)
		cn_log(state.env, "current state: %.*s", (int)cn_rom_size(state.state_rom),
		       cn_rom_data(state.state_rom));
}

static void
state_changed(void *data, uint32_t count)
{
	(void)data;
	(void)count;
	cn_rom_update(state.state_rom);
	advance();
}

/* A message at our LOG service, as "[label] text" without the trailing
 * colour reset and newline: does the current step wait for it? */
static void
log_received(const char *label, const char *text)
{
	char line[TEXT_MAX + CN_LABEL_MAX + 4], expected[TEXT_MAX], colored[TEXT_MAX];
	const struct cn_xml_node *s = state.step;
	size_t len;

	snprintf(line, sizeof(line), "[%s] %s", label, text);
	len = strlen(line);
	while (len && line[len - 1] == '\n')
		line[--len] = 0;
	if (len >= 4 && strcmp(line + len - 4, "\033[0m") == 0)
		line[len -= 4] = 0;
	if (!s || state.sleeping)
		return;
	if (cn_xml_is(s, "expect_log")) {
		if (cn_xml_attr_str(s, "string", expected, sizeof(expected)) < 0)
			config_error(s, "<expect_log> needs a string");
	} else if (cn_xml_is(s, "expect_warning")) {
		if (cn_xml_attr_str(s, "string", expected, sizeof(expected)) < 0 ||
		    cn_xml_attr_str(s, "colored", colored, sizeof(colored)) < 0)
			config_error(s, "<expect_warning> needs string and colored");
		strncat(expected, "\033[34m", sizeof(expected) - strlen(expected) - 1);
		strncat(expected, colored, sizeof(expected) - strlen(expected) - 1);
	} else {
		return;
	}
	if (strcmp(line, expected) != 0)
		return;
	next_step();
	advance();
}

/* --- our LOG service --------------------------------------------------------- */

static int
log_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct log_session *s = cn_obj_data(obj);
	char text[CN_MSG_STR_MAX + 1];
	int r = cn_log_request(rpc, text, sizeof(text));

	if (r < 0) {
		if (!s->reported)
			cn_warning(state.env, "LOG session \"%s\": malformed request", s->label);
		s->reported = true;
		return r;
	}
	/* shown in our own log too, which makes a failing run readable */
	cn_log(state.env, "[%s] %s", s->label, text);
	log_received(s->label, text);
	return CN_OK;
}

static int
log_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	struct log_session *s;

	(void)data;
	if (req->ram_quota < LOG_SESSION_RAM_MIN)
		return CN_ERR_INSUFFICIENT_RAM;
	if (state.log_sessions == LOG_SESSIONS_MAX) {
		cn_warning(state.env, "LOG session for \"%s\" denied: %d sessions open already",
		           req->label, LOG_SESSIONS_MAX);
		return CN_ERR_DENIED;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_INSUFFICIENT_RAM;
	if (cn_obj_create(state.env->ep, log_dispatch, s, &s->obj) < 0) {
		free(s);
		return CN_ERR_INSUFFICIENT_CAPS;
	}
	snprintf(s->label, sizeof(s->label), "%s", req->label);
	state.log_sessions++;
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

static void
log_close(void *data, void *session)
{
	struct log_session *s = session;

	(void)data;
	cn_obj_destroy(s->obj);
	free(s);
	state.log_sessions--;
}

static const struct cn_service_ops log_ops = {.create = log_create, .close = log_close};

/* --- startup ------------------------------------------------------------------ */

static void
check(int r, const char *what)
{
	if (r < 0) {
		cn_error(state.env, "%s: %s", what, cn_strerror(r));
		cn_exit(state.env, 3);
	}
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *root;

	state.env = env;
	check(cn_config(env, &root), "config");
	state.step = cn_xml_child(root, NULL);
	state.step_index = 1;

	check(cn_timer_open(env, "steps", &state.timer), "Timer session");
	check(cn_sig_create(env->ep, timer_fired, NULL, &state.timer_sig), "signal");
	check(cn_timer_sigh(state.timer, cn_sig_cap(state.timer_sig)), "timer signal");
	check(cn_timer_open(env, "watchdog", &state.watchdog), "Timer session");
	check(cn_sig_create(env->ep, watchdog_fired, NULL, &state.watchdog_sig), "signal");
	check(cn_timer_sigh(state.watchdog, cn_sig_cap(state.watchdog_sig)), "timer signal");
	check(cn_timer_trigger_periodic(state.watchdog, STALL_REPORT_MS * 1000ull), "watchdog");

	check(cn_service_announce(env, "LOG", &log_ops, NULL), "announce LOG");
	check(cn_report_open(env, "init.config", REPORT_BUFFER, &state.config_report),
	      "Report session \"init.config\"");
	check(cn_rom_open(env, "state", &state.state_rom), "ROM session \"state\"");
	check(cn_sig_create(env->ep, state_changed, NULL, &state.state_sig), "signal");
	check(cn_rom_sigh(state.state_rom, cn_sig_cap(state.state_sig)), "state ROM signal");
	cn_rom_update(state.state_rom); /* a version may have come before the sigh */
	advance();
}
