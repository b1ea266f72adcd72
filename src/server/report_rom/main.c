/*
 * report_rom: serves "Report" and "ROM". A Report session stores its
 * reports under its session label; a ROM session reads the latest report
 * of the label that its <policy report="..."/> names.
 *
 * Each submitted report is copied into a fresh dataspace of our own PD,
 * which is sealed read-only before any reader sees it: a reader gets
 * either the previous version or the new one, never a half-written
 * buffer, and can never write it.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/policy.h>
#include <cairn/report.h>
#include <cairn/rom.h>
#include <cairn/service.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	/* what a ROM session costs us: its state and its object */
	ROM_SESSION_RAM = 4096,
	ROM_SESSION_CAPS = 1,
	/* verbose: bytes of a report per log line, as Genode's report_rom */
	VERBOSE_LINE_MAX = 200,
};

struct report_session;
struct rom_session;

/* A report name and its latest version. It lives while it has a writer or
 * a reader: a ROM keeps its content when the writer goes. */
struct module {
	char name[CN_LABEL_MAX];
	struct cn_ds version; /* sealed read-only; cap -1 before the first report */
	size_t length;        /* bytes of the latest report */
	struct report_session *writer;
	struct rom_session *readers;
	struct module *next;
};

struct report_session {
	struct cn_obj *obj; /* its capability is the session capability */
	struct module *module;
	struct cn_ds buffer; /* shared with the client, attached here */
	bool refusal_logged; /* log an oversized report once per session */
};

struct rom_session {
	struct cn_obj *obj;
	struct module *module;
	int sigh; /* signal context cap, -1 if none */
	char label[CN_LABEL_MAX];
	struct rom_session *next;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct module *modules;
	bool verbose;
} state;

/* --- modules ------------------------------------------------------------- */

static struct module *
module_find(const char *name)
{
	for (struct module *m = state.modules; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* The module of that name, created empty if there is none; NULL if out of
 * memory. */
static struct module *
module_get(const char *name)
{
	struct module *m = module_find(name);

	if (m)
		return m;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->version.cap = -1;
	m->next = state.modules;
	state.modules = m;
	return m;
}

static void
version_free(struct cn_ds *version)
{
	if (version->cap >= 0)
		cn_pd_free_ram(state.env->pd, version);
}

/* Forget the module once nobody uses it. */
static void
module_put(struct module *m)
{
	if (m->writer || m->readers)
		return;
	for (struct module **p = &state.modules; *p; p = &(*p)->next) {
		if (*p == m) {
			*p = m->next;
			break;
		}
	}
	version_free(&m->version);
	free(m);
}

static void
notify_readers(struct module *m)
{
	for (struct rom_session *s = m->readers; s; s = s->next) {
		if (s->sigh >= 0 && cn_signal_submit(s->sigh, 1) == CN_ERR_DEAD_OBJECT) {
			/* nobody receives it any more: stop until a new sigh */
			close(s->sigh);
			s->sigh = -1;
		}
	}
}

/* verbose: the report line by line, indented, as Genode's report_rom;
 * lines longer than VERBOSE_LINE_MAX are wrapped */
static void
log_report(const char *name, const char *text, size_t len)
{
	char line[VERBOSE_LINE_MAX + 1];
	size_t n = 0;
	bool wrapped = false;

	cn_log(state.env, "report '%s'", name);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n') {
			unsigned char c = (unsigned char)text[i];

			/* the log ends on a terminal: no control characters from clients */
			line[n++] = (c < 0x20 && c != '\t') || c == 0x7f ? '.' : (char)c;
			if (n < VERBOSE_LINE_MAX)
				continue;
			line[n] = 0;
			cn_log(state.env, "  %s", line);
			n = 0;
			wrapped = true;
			continue;
		}
		/* the end of a line; no empty line after the last newline */
		if (n || (!wrapped && i < len)) {
			line[n] = 0;
			cn_log(state.env, "  %s", line);
		}
		n = 0;
		wrapped = false;
	}
}

/*
 * Make the first length bytes of the writer's buffer the module's new
 * version. The copy is sealed before it replaces the old one, so a failure
 * leaves the old version in place.
 */
static int
publish(struct report_session *w, size_t length)
{
	struct module *m = w->module;
	struct cn_ds version = {.cap = -1};
	int r;

	if (length) {
		r = cn_pd_alloc_ram(state.env->pd, length, &version);
		if (r == 0) {
			r = cn_ds_attach(&version);
			if (r == 0) {
				memcpy(version.addr, w->buffer.addr, length);
				if (state.verbose)
					log_report(m->name, version.addr, length);
				r = cn_pd_seal_ram(state.env->pd, &version); /* detaches */
			}
			if (r < 0)
				cn_pd_free_ram(state.env->pd, &version);
		}
		if (r < 0) {
			cn_error(state.env, "cannot store report '%s': %s", m->name,
			         cn_strerror(r));
			return r;
		}
	} else if (state.verbose) {
		log_report(m->name, "", 0);
	}
	version_free(&m->version);
	m->version = version;
	m->length = length;
	notify_readers(m);
	return CN_OK;
}

/* --- Report service ------------------------------------------------------ */

static int
report_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct report_session *s = cn_obj_data(obj);
	uint64_t length;
	int r = cn_report_serve(rpc, &s->buffer, &length);

	if (r == CN_ERR_TOO_BIG) {
		if (!s->refusal_logged)
			cn_error(state.env,
			         "report '%s' refused: %llu bytes exceed its buffer of %zu bytes",
			         s->module->name, (unsigned long long)length, s->buffer.size);
		s->refusal_logged = true;
	}
	return r == CN_REPORT_SUBMITTED ? publish(s, (size_t)length) : r;
}

static void
report_destroy(struct report_session *s)
{
	if (s->buffer.cap >= 0)
		cn_pd_free_ram(state.env->pd, &s->buffer);
	cn_obj_destroy(s->obj);
	free(s);
}

static int
report_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	struct report_session *s;
	struct module *m;
	uint64_t buffer_size;
	int r;

	(void)data;
	r = cn_args_u64(req->args, "buffer_size", &buffer_size);
	if (r < 0 || buffer_size == 0 || buffer_size > CN_REPORT_BUFFER_MAX) {
		cn_warning(state.env, "invalid buffer_size from '%s', denying", req->label);
		return CN_ERR_DENIED;
	}
	if (req->ram_quota < cn_report_session_ram(buffer_size)) {
		cn_error(state.env, "insufficient ram donation from '%s'", req->label);
		return CN_ERR_INSUFFICIENT_RAM;
	}
	if (req->cap_quota < CN_REPORT_SESSION_CAPS)
		return CN_ERR_INSUFFICIENT_CAPS;
	m = module_find(req->label);
	if (m && m->writer) {
		/* one writer per report, as Genode's report_rom */
		cn_warning(state.env, "report '%s' already has a writer, denying", req->label);
		return CN_ERR_DENIED;
	}

	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_DENIED;
	s->buffer.cap = -1;
	r = cn_pd_alloc_ram(state.env->pd, (size_t)buffer_size, &s->buffer);
	if (r == 0)
		r = cn_ds_attach(&s->buffer);
	if (r == 0)
		r = cn_obj_create(state.env->ep, report_dispatch, s, &s->obj);
	if (r == 0 && !(m = module_get(req->label)))
		r = -ENOMEM;
	if (r < 0) {
		cn_error(state.env, "cannot create a Report session for '%s': %s", req->label,
		         cn_strerror(r));
		report_destroy(s);
		return CN_ERR_DENIED;
	}
	s->module = m;
	m->writer = s;
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

static void
report_close(void *data, void *session)
{
	struct report_session *s = session;
	struct module *m = s->module;

	(void)data;
	m->writer = NULL;
	report_destroy(s);
	module_put(m);
}

static const struct cn_service_ops report_service = {
    .create = report_create,
    .close = report_close,
};

/* --- ROM service --------------------------------------------------------- */

static int
rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct rom_session *s = cn_obj_data(obj);

	/* the version's cap is a read-only open of a write-sealed memfd */
	return cn_rom_serve(rpc, s->module->version.cap, s->module->length, &s->sigh);
}

/* The report that policy maps the ROM label to, into buf; CN_ERR_DENIED
 * (logged) without one. */
static int
report_name(const char *label, char *buf, size_t size)
{
	const struct cn_xml_node *config = NULL, *policy;

	if (cn_config(state.env, &config) < 0)
		config = NULL;
	policy = config ? cn_policy_select(config, label) : NULL;
	if (!policy) {
		/* Genode's two lines: the policy lookup's and report_rom's */
		cn_warning(state.env, "no policy defined for label '%s'", label);
		cn_warning(state.env, "no valid policy for ROM request '%s'", label);
		return CN_ERR_DENIED;
	}
	if (cn_xml_attr_str(policy, "report", buf, size) < 0) {
		cn_warning(state.env,
		           "policy for ROM request '%s' lacks a valid 'report' attribute", label);
		return CN_ERR_DENIED;
	}
	return 0;
}

static int
rom_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	char name[CN_LABEL_MAX];
	struct rom_session *s;
	struct module *m = NULL;
	int r;

	(void)data;
	if (req->ram_quota < ROM_SESSION_RAM)
		return CN_ERR_INSUFFICIENT_RAM;
	if (req->cap_quota < ROM_SESSION_CAPS)
		return CN_ERR_INSUFFICIENT_CAPS;
	r = report_name(req->label, name, sizeof(name));
	if (r < 0)
		return r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_DENIED;
	s->sigh = -1;
	snprintf(s->label, sizeof(s->label), "%s", req->label);
	r = cn_obj_create(state.env->ep, rom_dispatch, s, &s->obj);
	if (r == 0 && !(m = module_get(name)))
		r = -ENOMEM;
	if (r < 0) {
		cn_error(state.env, "cannot create a ROM session for '%s': %s", req->label,
		         cn_strerror(r));
		cn_obj_destroy(s->obj);
		free(s);
		return CN_ERR_DENIED;
	}
	s->module = m;
	s->next = m->readers;
	m->readers = s;
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

static void
rom_close(void *data, void *session)
{
	struct rom_session *s = session;
	struct module *m = s->module;

	(void)data;
	for (struct rom_session **p = &m->readers; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	if (s->sigh >= 0)
		close(s->sigh);
	cn_obj_destroy(s->obj);
	free(s);
	module_put(m);
}

static const struct cn_service_ops rom_service = {
    .create = rom_create,
    .close = rom_close,
};

/* --- config -------------------------------------------------------------- */

/* Policies are looked up when a ROM session is created; only verbose is
 * remembered. */
static void
read_config(struct cn_env *env)
{
	const struct cn_xml_node *config;
	bool verbose = false;

	if (cn_config(env, &config) == 0 &&
	    cn_xml_attr_bool(config, "verbose", &verbose) == -EINVAL)
		cn_warning(env, "config: invalid value of 'verbose'");
	state.verbose = verbose;
}

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	read_config(env);
	r = cn_config_sigh(env, read_config);
	if (r < 0 && r != -ENOENT) {
		cn_error(env, "cannot watch the config: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
	r = cn_service_announce(env, "Report", &report_service, NULL);
	if (r == 0)
		r = cn_service_announce(env, "ROM", &rom_service, NULL);
	if (r < 0) {
		cn_error(env, "cannot announce the Report and ROM services: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
