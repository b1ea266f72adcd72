/*
 * test-rpc-server: serves the "Test" session (test_rpc.h). Each session
 * is its own RPC object; requests are decoded and checked completely
 * before they are answered.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/service.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_rpc.h"

struct test_session {
	struct cn_obj *obj; /* its capability is the session capability */
	char label[CN_LABEL_MAX];
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	unsigned sessions;
} state;

static bool
no_more_args(const struct cn_rpc *rpc, uint32_t ncaps)
{
	return cn_msg_end(rpc->in) == 0 && rpc->in->hdr.ncaps == ncaps;
}

static int
echo(struct cn_rpc *rpc)
{
	char text[CN_MSG_STR_MAX + 1];

	if (cn_msg_get_str(rpc->in, text, sizeof(text)) < 0 || !no_more_args(rpc, 0))
		return CN_ERR_BAD_MESSAGE;
	cn_msg_put_str(rpc->out, text);
	return CN_OK;
}

static int
add(struct cn_rpc *rpc)
{
	uint64_t a, b;

	if (cn_msg_get_u64(rpc->in, &a) < 0 || cn_msg_get_u64(rpc->in, &b) < 0 ||
	    !no_more_args(rpc, 0))
		return CN_ERR_BAD_MESSAGE;
	cn_msg_put_u64(rpc->out, a + b);
	return CN_OK;
}

/* The capability argument is used (a signal is submitted to it) and
 * handed back: the reply borrows it from the request, which closes it
 * after the reply went out. */
static int
cap_echo(struct cn_rpc *rpc)
{
	uint32_t count;
	int r;

	if (cn_msg_get_u32(rpc->in, &count) < 0 || !no_more_args(rpc, 1))
		return CN_ERR_BAD_MESSAGE;
	if (count == 0 || count > CN_SIGNAL_COUNT_MAX)
		return CN_ERR_INVALID_ARG;
	r = cn_signal_submit(cn_msg_cap(rpc->in, 0), count);
	if (r < 0)
		return r == CN_ERR_DEAD_OBJECT ? CN_ERR_INVALID_ARG : r;
	cn_msg_put_cap(rpc->out, cn_msg_cap(rpc->in, 0));
	return CN_OK;
}

static int
payload(struct cn_rpc *rpc)
{
	uint8_t data[TEST_RPC_PAYLOAD_MAX];
	uint32_t len;

	if (cn_msg_get_u32(rpc->in, &len) < 0 || len > sizeof(data) ||
	    cn_msg_get_bytes(rpc->in, data, len) < 0 || !no_more_args(rpc, 0))
		return CN_ERR_BAD_MESSAGE;
	cn_msg_put_u32(rpc->out, test_rpc_checksum(data, len));
	return CN_OK;
}

static int
session_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	(void)obj;
	switch (rpc->opcode) {
	case TEST_RPC_ECHO:
		return echo(rpc);
	case TEST_RPC_ADD:
		return add(rpc);
	case TEST_RPC_CAP_ECHO:
		return cap_echo(rpc);
	case TEST_RPC_PAYLOAD:
		return payload(rpc);
	default:
		return CN_ERR_INVALID_OPCODE;
	}
}

static int
session_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	struct test_session *s;

	(void)data;
	if (req->ram_quota < TEST_RPC_SESSION_RAM)
		return CN_ERR_INSUFFICIENT_RAM;
	if (req->cap_quota < TEST_RPC_SESSION_CAPS)
		return CN_ERR_INSUFFICIENT_CAPS;
	if (state.sessions == TEST_RPC_SESSIONS_MAX)
		return CN_ERR_DENIED;
	s = calloc(1, sizeof(*s));
	if (!s)
		return CN_ERR_DENIED;
	if (cn_obj_create(state.env->ep, session_dispatch, s, &s->obj) < 0) {
		free(s);
		return CN_ERR_DENIED;
	}
	snprintf(s->label, sizeof(s->label), "%s", req->label);
	state.sessions++;
	cn_log(state.env, "session created for \"%s\"", s->label);
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

static void
session_close(void *data, void *session)
{
	struct test_session *s = session;

	(void)data;
	cn_log(state.env, "session closed for \"%s\"", s->label);
	cn_obj_destroy(s->obj);
	free(s);
	state.sessions--;
}

static const struct cn_service_ops test_service = {
    .create = session_create,
    .close = session_close,
};

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	r = cn_service_announce(env, "Test", &test_service, NULL);
	if (r < 0) {
		cn_error(env, "cannot announce the Test service: %s", strerror(-r));
		cn_exit(env, 3);
	}
}
