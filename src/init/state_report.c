/*
 * init's state report (Genode's <report> node): a <state> document in a
 * Report session labelled "state", written whenever a child starts, ends
 * or asks for resources and after every reconfiguration.
 */
#include <cairn/log.h>
#include <cairn/report.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

enum {
	DEFAULT_BUFFER = 4096,
	DEFAULT_DELAY_MS = 100, /* Genode's default <report delay_ms> */
	SAMPLE_MS_MIN = 1000,   /* quota sampling at most once a second */
};

struct writer {
	char *buf;
	size_t size, len;
	bool overflow;
};

static void __attribute__((format(printf, 2, 3))) put(struct writer *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->size - w->len)
		w->overflow = true;
	else
		w->len += (size_t)n;
}

/* Genode's Number_of_bytes: a whole number of G, M or K where exact. */
static void
put_bytes(struct writer *w, const char *attr, uint64_t v)
{
	static const struct {
		uint64_t unit;
		char suffix;
	} units[] = {{1ull << 30, 'G'}, {1ull << 20, 'M'}, {1ull << 10, 'K'}};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (v >= units[i].unit && v % units[i].unit == 0) {
			put(w, " %s=\"%llu%c\"", attr, (unsigned long long)(v / units[i].unit),
			    units[i].suffix);
			return;
		}
	}
	put(w, " %s=\"%llu\"", attr, (unsigned long long)v);
}

/* Attribute values of our own making can carry '"', '<' or '&' only
 * through labels and args: escape them. */
static void
put_escaped(struct writer *w, const char *attr, const char *v)
{
	put(w, " %s=\"", attr);
	for (; *v; v++) {
		switch (*v) {
		case '"':
			put(w, "&quot;");
			break;
		case '<':
			put(w, "&lt;");
			break;
		case '>':
			put(w, "&gt;");
			break;
		case '&':
			put(w, "&amp;");
			break;
		default:
			put(w, "%c", *v);
		}
	}
	put(w, "\"");
}

static const char *
session_state(const struct session *s)
{
	switch (s->state) {
	case SESSION_CREATE_REQUESTED:
		return "CREATE_REQUESTED";
	case SESSION_AVAILABLE:
		return s->client || s->for_parent ? "CAP_HANDED_OUT" : "AVAILABLE";
	case SESSION_DENIED:
		return s->error == CN_ERR_INSUFFICIENT_RAM    ? "INSUFFICIENT_RAM_QUOTA"
		       : s->error == CN_ERR_INSUFFICIENT_CAPS ? "INSUFFICIENT_CAP_QUOTA"
		                                              : "SERVICE_DENIED";
	case SESSION_CLOSE_REQUESTED:
		return "CLOSE_REQUESTED";
	}
	return "?";
}

static void
put_session(struct writer *w, const struct session *s, bool args)
{
	char label[CN_LABEL_MAX] = "";

	cn_args_str(s->args, "label", label, sizeof(label));
	put(w, "<session");
	put_escaped(w, "service", s->service);
	put_escaped(w, "label", label);
	put(w, " state=\"%s\"", session_state(s));
	put_bytes(w, "ram", s->ram);
	put(w, " caps=\"%llu\"", (unsigned long long)s->caps);
	if (args && s->args[0]) {
		put(w, "><args>");
		put_escaped(w, "value", s->args);
		put(w, "</args></session>");
	} else {
		put(w, "/>");
	}
}

static void
put_env_session(struct writer *w, const char *service, const char *label)
{
	put(w, "<session service=\"%s\"", service);
	put_escaped(w, "label", label);
	put(w, " state=\"CAP_HANDED_OUT\"/>");
}

static void
put_quota(struct writer *w, const char *node, uint64_t assigned, uint64_t quota, uint64_t used,
          bool bytes, const char *requested)
{
	put(w, "<%s", node);
	if (bytes) {
		if (assigned != UINT64_MAX)
			put_bytes(w, "assigned", assigned);
		put_bytes(w, "quota", quota);
		put_bytes(w, "used", used);
		put_bytes(w, "avail", quota - used);
	} else {
		if (assigned != UINT64_MAX)
			put(w, " assigned=\"%llu\"", (unsigned long long)assigned);
		put(w, " quota=\"%llu\" used=\"%llu\" avail=\"%llu\"", (unsigned long long)quota,
		    (unsigned long long)used, (unsigned long long)(quota - used));
	}
	/* the amount the child's resource request asks for, if any */
	if (requested && requested[0]) {
		uint64_t v;

		if (cn_args_u64(requested, bytes ? "ram_quota" : "cap_quota", &v) == 0) {
			if (bytes)
				put_bytes(w, "requested", v);
			else
				put(w, " requested=\"%llu\"", (unsigned long long)v);
		}
	}
	put(w, "/>");
}

static bool
flag(const struct cn_xml_node *report, const char *name)
{
	bool v = false;

	cn_xml_attr_bool(report, name, &v);
	return v;
}

static void
generate(struct init *init, const struct cn_xml_node *report, struct writer *w)
{
	const struct cn_xml_node *root = init_config_root(init);
	char version[128] = "";
	struct cn_pd_quota q;

	put(w, "<state");
	if (cn_xml_attr_str(root, "version", version, sizeof(version)) == 0)
		put_escaped(w, "version", version);
	put(w, ">");
	if ((flag(report, "init_ram") || flag(report, "init_caps")) &&
	    cn_pd_quota(init->env->pd, &q) == 0) {
		if (flag(report, "init_ram"))
			put_quota(w, "ram", UINT64_MAX, q.ram_quota, q.ram_used, true, NULL);
		if (flag(report, "init_caps"))
			put_quota(w, "caps", UINT64_MAX, q.cap_quota, q.cap_used, false, NULL);
	}
	for (const struct child *c = init->children; c; c = c->next) {
		char cversion[128] = "";

		put(w, "<child");
		put_escaped(w, "name", c->name);
		put_escaped(w, "binary", c->binary);
		if (cn_xml_attr_str(c->start, "version", cversion, sizeof(cversion)) == 0)
			put_escaped(w, "version", cversion);
		if (flag(report, "ids"))
			put(w, " id=\"%u\"", c->id);
		if (c->exited)
			put(w, " exited=\"%d\"", c->exit_value);
		else if (!c->alive || c->stuck)
			put(w, " state=\"incomplete\"");
		if (c->skipped_heartbeats)
			put(w, " skipped_heartbeats=\"%u\"", c->skipped_heartbeats);
		put(w, ">");
		if (!c->exited && c->pd >= 0 &&
		    (flag(report, "child_ram") || flag(report, "child_caps")) &&
		    cn_pd_quota(c->pd, &q) == 0) {
			if (flag(report, "child_ram"))
				put_quota(w, "ram", c->ram, q.ram_quota, q.ram_used, true,
				          c->requested);
			if (flag(report, "child_caps"))
				put_quota(w, "caps", c->caps, q.cap_quota, q.cap_used, false,
				          c->requested);
		}
		for (int provided = 0; provided < 2; provided++) {
			const char *node = provided ? "provided" : "requested";

			if (!flag(report, node))
				continue;
			/* present whenever asked for, empty or not (as Genode's) */
			put(w, "<%s>", node);
			/* the environment sessions init holds at its parent for it */
			if (!provided) {
				if (c->pd >= 0)
					put_env_session(w, "PD", c->name);
				if (c->log >= 0)
					put_env_session(w, "LOG", c->name);
			}
			for (const struct session *s = init->sessions; s; s = s->next)
				if ((provided ? s->server : s->client) == c)
					put_session(w, s, flag(report, "session_args"));
			put(w, "</%s>", node);
		}
		put(w, "</child>");
	}
	put(w, "</state>");
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
report_timer_fired(void *data, uint32_t events)
{
	struct init *init = data;
	uint64_t expirations;

	(void)events;
	if (read(init->report_timer, &expirations, sizeof(expirations)) < 0)
		return;
	init->report_timer_armed = false;
	init_state_report(init);
}

static void
arm_report_timer(struct init *init, uint64_t ms)
{
	struct itimerspec its = {.it_value = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000}};

	if (init->report_timer < 0) {
		init->report_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (init->report_timer < 0 ||
		    cn_ep_watch(init->env->ep, init->report_timer, EPOLLIN, report_timer_fired,
		                init, &init->report_watch) < 0) {
			cn_warning(init->env, "delayed state reports are written at once: %s",
			           strerror(errno));
			if (init->report_timer >= 0)
				close(init->report_timer);
			init->report_timer = -1;
			return;
		}
	}
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1; /* zero would disarm it */
	if (timerfd_settime(init->report_timer, 0, &its, NULL) == 0) {
		init->report_timer_armed = true;
		init->report_due_ms = now_ms() + ms;
	}
}

static uint64_t
delay_ms(const struct cn_xml_node *report)
{
	uint64_t delay = DEFAULT_DELAY_MS;

	cn_xml_attr_u64(report, "delay_ms", &delay);
	return delay;
}

void
init_state_report_later(struct init *init)
{
	const struct cn_xml_node *report = cn_xml_child(init_config_root(init), "report");
	uint64_t delay, since;

	if (!report)
		return;
	delay = delay_ms(report);
	since = now_ms() - init->last_report_ms;
	if (since >= delay) {
		init_state_report(init);
		return;
	}
	/* armed already for this or sooner (a sampling period may be later) */
	if (init->report_timer_armed && init->report_due_ms <= now_ms() + (delay - since))
		return;
	arm_report_timer(init, delay - since);
	if (init->report_timer < 0)
		init_state_report(init); /* no timer: at once rather than never */
}

/* Close the state report's session. The close may wait for the server,
 * and the entrypoint dispatches meanwhile (a report timer, a new config):
 * the session is forgotten first, so that nothing reached from there
 * closes it a second time or writes into it. */
static void
state_report_close(struct init *init)
{
	struct cn_report *report = init->state_report;

	init->state_report = NULL;
	cn_report_close(report);
}

/* Open (or re-open with a new buffer size) the Report session; done
 * before children are started, so that its donation does not come out
 * of what init preserves (as Genode's init recreates its reporter first). */
static bool
state_report_session(struct init *init, const struct cn_xml_node *report)
{
	uint64_t buffer = DEFAULT_BUFFER;
	int r;

	cn_xml_attr_u64(report, "buffer", &buffer);
	if (init->state_report && cn_report_buffer_size(init->state_report) < buffer)
		state_report_close(init);
	if (init->state_report_opening)
		return false; /* called again while the session is pending (the
		               * entrypoint dispatches meanwhile): the outer call
		               * reports the latest state once the session is there */
	if (!init->state_report && !init->state_report_failed) {
		init->state_report_opening = true;
		r = cn_report_open(init->env, "state", buffer, &init->state_report);
		init->state_report_opening = false;
		if (r < 0) {
			/* e.g. the top-level init, whose parent is core */
			cn_warning(init->env, "no state report: Report session denied (%s)",
			           cn_strerror(r));
			init->state_report_failed = true;
			return false;
		}
	}
	return init->state_report != NULL;
}

void
init_state_report_prepare(struct init *init)
{
	const struct cn_xml_node *report = cn_xml_child(init_config_root(init), "report");

	if (report)
		state_report_session(init, report);
}

void
init_state_report(struct init *init)
{
	const struct cn_xml_node *report = cn_xml_child(init_config_root(init), "report");
	struct writer w;
	int r;

	if (!report) {
		state_report_close(init);
		return;
	}
	if (!state_report_session(init, report))
		return;
	w = (struct writer){.buf = cn_report_buffer(init->state_report),
	                    .size = cn_report_buffer_size(init->state_report)};
	generate(init, report, &w);
	if (w.overflow) {
		cn_warning(init->env, "state report exceeds maximum size");
		w.len = 0;
		w.overflow = false;
		put(&w, "<state error=\"report buffer exceeded\"/>");
	}
	r = cn_report_submit(init->state_report, w.buf, w.len);
	if (r < 0)
		cn_warning(init->env, "state report not submitted: %s", cn_strerror(r));
	init->last_report_ms = now_ms();
	/* sample the children's quotas periodically */
	if (flag(report, "child_ram") || flag(report, "child_caps")) {
		uint64_t period = delay_ms(report);

		arm_report_timer(init, period > SAMPLE_MS_MIN ? period : SAMPLE_MS_MIN);
	}
}
