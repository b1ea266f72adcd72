/*
 * black_hole: sessions that swallow everything, as Genode's black_hole.
 * Each service is announced only if its node is in the config: <log/>
 * (writes are discarded), <report/> (reports are accepted and dropped),
 * <rom/> (every ROM reads "<empty/>" and never changes).
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/report.h>
#include <cairn/rom.h>
#include <cairn/service.h>
#include <cairn/xml.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	/* what a session costs us: its state and its object */
	SESSION_RAM = 4096,
	SESSION_CAPS = 1,
	/* a Report session also holds its buffer and its dataspace */
	REPORT_SESSION_CAPS = 2,
};

/* Genode's black_hole offers these too; Cairn has no such sessions yet. */
static const char *const not_provided[] = {"audio_in", "audio_out", "capture", "event",
                                           "gpu",      "nic",       "play",    "record",
                                           "uplink",   "usb",       "terminal"};

struct log_session {
	struct cn_obj *obj;
	char label[CN_LABEL_MAX];
	bool reported; /* a malformed request was logged already */
};

struct report_session {
	struct cn_obj *obj;
	char label[CN_LABEL_MAX];
	struct cn_ds buffer; /* shared with the client */
	bool reported;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_ds empty;                /* "<empty/>", sealed: the content of every ROM */
	struct cn_rom_service rom_service; /* sessions of the ROM service */
} state;

/* One line per session for its first malformed request. */
static int
refuse(const char *label, bool *reported, int32_t opcode, int err)
{
	if (!*reported)
		cn_warning(state.env, "session of '%s': %s request %d refused", label,
		           err == CN_ERR_INVALID_OPCODE ? "unknown" : "malformed", (int)opcode);
	*reported = true;
	return err;
}

static bool
donation_ok(const struct cn_session_request *req, uint64_t ram, uint64_t caps, int *ret_err)
{
	if (req->ram_quota < ram)
		*ret_err = CN_ERR_INSUFFICIENT_RAM;
	else if (req->cap_quota < caps)
		*ret_err = CN_ERR_INSUFFICIENT_CAPS;
	else
		return true;
	return false;
}

/* --- LOG ----------------------------------------------------------------- */

static int
log_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct log_session *s = cn_obj_data(obj);
	char text[CN_MSG_STR_MAX + 1];
	int r = cn_log_request(rpc, text, sizeof(text));

	if (r < 0)
		return refuse(s->label, &s->reported, rpc->opcode, r);
	return CN_OK; /* swallowed */
}

static int
log_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	struct log_session *s;
	int err;

	(void)data;
	if (!donation_ok(req, SESSION_RAM, SESSION_CAPS, &err))
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_INSUFFICIENT_RAM;
	if (cn_obj_create(state.env->ep, log_dispatch, s, &s->obj) < 0) {
		free(s);
		return CN_ERR_INSUFFICIENT_CAPS;
	}
	snprintf(s->label, sizeof(s->label), "%s", req->label);
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
}

static const struct cn_service_ops log_service = {.create = log_create, .close = log_close};

/* --- Report -------------------------------------------------------------- */

static int
report_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct report_session *s = cn_obj_data(obj);
	uint64_t length;
	int r = cn_report_serve(rpc, &s->buffer, &length);

	if (r == CN_REPORT_SUBMITTED)
		return CN_OK; /* and dropped */
	if (r == CN_ERR_BAD_MESSAGE || r == CN_ERR_INVALID_OPCODE)
		return refuse(s->label, &s->reported, rpc->opcode, r);
	return r;
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
	uint64_t size;
	int err;

	(void)data;
	err = cn_args_u64(req->args, "buffer_size", &size);
	if (err < 0 || size == 0 || size > CN_REPORT_BUFFER_MAX) {
		cn_warning(state.env, "invalid buffer_size from '%s', denying", req->label);
		return CN_ERR_DENIED;
	}
	/* the session and its buffer, paid by the donation */
	if (!donation_ok(req, SESSION_RAM + (size + CN_PAGE_SIZE - 1) / CN_PAGE_SIZE * CN_PAGE_SIZE,
	                 REPORT_SESSION_CAPS, &err))
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_INSUFFICIENT_RAM;
	s->buffer.cap = -1;
	snprintf(s->label, sizeof(s->label), "%s", req->label);
	err = cn_pd_alloc_ram(state.env->pd, (size_t)size, &s->buffer);
	if (err == 0)
		err = cn_obj_create(state.env->ep, report_dispatch, s, &s->obj);
	if (err < 0) {
		cn_error(state.env, "cannot create a Report session for '%s': %s", req->label,
		         cn_strerror(err));
		report_destroy(s);
		return CN_ERR_DENIED;
	}
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

static void
report_close(void *data, void *session)
{
	(void)data;
	report_destroy(session);
}

static const struct cn_service_ops report_service = {.create = report_create,
                                                     .close = report_close};

/* --- ROM ----------------------------------------------------------------- */

static const char empty_rom[] = "<empty/>";

static int
rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct cn_rom_session *s = cn_obj_data(obj);

	/* the handler is kept but never signalled: the content never changes */
	int r = cn_rom_serve(rpc, state.empty.cap, sizeof(empty_rom) - 1, &s->sigh);

	if (cn_rom_session_first_refusal(s, r))
		cn_warning(state.env, "ROM session of '%s': %s request %d refused", s->label,
		           r == CN_ERR_INVALID_OPCODE ? "unknown" : "malformed", (int)rpc->opcode);
	return r;
}

/* --- config -------------------------------------------------------------- */

static void
announce(const char *name, const struct cn_service_ops *ops, void *data)
{
	int r = cn_service_announce(state.env, name, ops, data);

	if (r < 0) {
		cn_error(state.env, "cannot announce the %s service: %s", name, cn_strerror(r));
		cn_exit(state.env, 3);
	}
}

static bool
is_not_provided(const struct cn_xml_node *node)
{
	for (size_t i = 0; i < sizeof(not_provided) / sizeof(not_provided[0]); i++)
		if (cn_xml_is(node, not_provided[i]))
			return true;
	return false;
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config;
	unsigned services = 0;
	int r;

	state.env = env;
	state.empty.cap = -1;
	r = cn_config(env, &config);
	if (r < 0) {
		cn_error(env, "no valid config: %s", cn_strerror(r));
		cn_exit(env, 2);
	}
	/* the config is read once, as Genode's */
	cn_xml_for_each(node, config, NULL)
	{
		if (cn_xml_is(node, "log") || cn_xml_is(node, "report") || cn_xml_is(node, "rom"))
			continue;
		if (is_not_provided(node))
			cn_warning(env, "config:%u:%u: <%.*s/>: no such session on Cairn, ignored",
			           node->line, node->column, (int)node->name_len, node->name);
		else
			cn_warning(env, "config:%u:%u: unknown node <%.*s>, ignored", node->line,
			           node->column, (int)node->name_len, node->name);
	}
	if (cn_xml_child(config, "rom")) {
		r = cn_pd_alloc_sealed(env->pd, empty_rom, sizeof(empty_rom) - 1, &state.empty);
		if (r < 0) {
			cn_error(env, "cannot prepare the ROM content: %s", cn_strerror(r));
			cn_exit(env, 3);
		}
		state.rom_service = (struct cn_rom_service){.ep = env->ep,
		                                            .ram_min = SESSION_RAM,
		                                            .caps_min = SESSION_CAPS,
		                                            .dispatch = rom_dispatch};
		announce("ROM", &cn_rom_service_ops, &state.rom_service);
		services++;
	}
	if (cn_xml_child(config, "log")) {
		announce("LOG", &log_service, NULL);
		services++;
	}
	if (cn_xml_child(config, "report")) {
		announce("Report", &report_service, NULL);
		services++;
	}
	if (!services)
		cn_warning(env, "config enables no service (<log/>, <report/>, <rom/>)");
}
