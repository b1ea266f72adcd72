/*
 * The server side of a ROM session, shared by every ROM server (core's
 * boot modules, init's inline configs, report_rom).
 */
#include <cairn/ep.h>
#include <cairn/rom.h>
#include <cairn/service.h>

#include <stdio.h>
#include <stdlib.h>

#include <unistd.h>

int
cn_rom_serve(struct cn_rpc *rpc, int ds, uint64_t size, int *sigh)
{
	int fd;

	switch (rpc->opcode) {
	case CN_ROM_DATASPACE:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
			return CN_ERR_BAD_MESSAGE;
		if (ds < 0) {
			cn_msg_put_u64(rpc->out, 0); /* no content: an invalid ROM */
			return CN_OK;
		}
		fd = dup(ds);
		if (fd < 0)
			return -errno;
		cn_rpc_put_cap_owned(rpc, fd);
		cn_msg_put_u64(rpc->out, size);
		return CN_OK;
	case CN_ROM_SIGH:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
			return CN_ERR_BAD_MESSAGE;
		if (*sigh >= 0)
			close(*sigh);
		*sigh = cn_msg_take_cap(rpc->in, 0);
		return CN_OK;
	default:
		return CN_ERR_INVALID_OPCODE;
	}
}

void
cn_rom_notify(int *sigh)
{
	if (*sigh >= 0 && cn_signal_submit(*sigh, 1) == CN_ERR_DEAD_OBJECT) {
		close(*sigh);
		*sigh = -1;
	}
}

int
cn_rom_session_create(struct cn_ep *ep, const struct cn_session_request *req, uint64_t ram_min,
                      uint64_t caps_min, int (*fn)(struct cn_obj *obj, struct cn_rpc *rpc),
                      void *data, struct cn_rom_session **list, void **ret_session, int *ret_cap)
{
	struct cn_rom_session *s;

	if (!ep || !req || !fn || !list || !ret_session || !ret_cap)
		return -EINVAL;
	if (req->ram_quota < ram_min)
		return CN_ERR_INSUFFICIENT_RAM;
	if (req->cap_quota < caps_min)
		return CN_ERR_INSUFFICIENT_CAPS;
	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_INSUFFICIENT_RAM;
	if (cn_obj_create(ep, fn, s, &s->obj) < 0) {
		free(s);
		return CN_ERR_INSUFFICIENT_CAPS;
	}
	s->sigh = -1;
	s->data = data;
	snprintf(s->label, sizeof(s->label), "%s", req->label);
	s->next = *list;
	*list = s;
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

void
cn_rom_session_destroy(struct cn_rom_session **list, struct cn_rom_session *s)
{
	if (!s)
		return;
	for (struct cn_rom_session **p = list; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	if (s->sigh >= 0)
		close(s->sigh);
	cn_obj_destroy(s->obj);
	free(s);
}

void
cn_rom_sessions_notify(struct cn_rom_session *list)
{
	for (struct cn_rom_session *s = list; s; s = s->next)
		cn_rom_notify(&s->sigh);
}

bool
cn_rom_session_first_refusal(struct cn_rom_session *s, int result)
{
	if (s->refused || (result != CN_ERR_BAD_MESSAGE && result != CN_ERR_INVALID_OPCODE))
		return false;
	s->refused = true;
	return true;
}

static int
rom_service_create(void *data, const struct cn_session_request *req, void **ret_session,
                   int *ret_cap)
{
	struct cn_rom_service *service = data;

	return cn_rom_session_create(service->ep, req, service->ram_min, service->caps_min,
	                             service->dispatch, NULL, &service->sessions, ret_session,
	                             ret_cap);
}

static void
rom_service_close(void *data, void *session)
{
	struct cn_rom_service *service = data;

	cn_rom_session_destroy(&service->sessions, session);
}

const struct cn_service_ops cn_rom_service_ops = {
    .create = rom_service_create,
    .close = rom_service_close,
};
