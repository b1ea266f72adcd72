/*
 * The server side of a Terminal session: the I/O buffer, the signal
 * handlers and the decoding and checking of every request. A terminal
 * server supplies only what its terminal does (struct
 * cn_terminal_server_ops).
 */
#include <cairn/env.h>
#include <cairn/pd.h>
#include <cairn/service.h>
#include <cairn/terminal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Kinds of refusal, each reported once per session. */
enum refusal {
	REFUSED_MALFORMED = 1u << 0,
	REFUSED_OPCODE = 1u << 1,
	REFUSED_WRITE_SIZE = 1u << 2,
};

/* The client's signal handlers. */
enum sigh { SIGH_CONNECTED, SIGH_READ_AVAIL, SIGH_SIZE_CHANGED, SIGH_COUNT };

enum { REASON_MAX = 128 };

struct cn_terminal_session {
	struct cn_env *env;
	struct cn_obj *obj;
	struct cn_ds io; /* shared with the client, attached here */
	size_t io_size;  /* the bytes of it in use (io.size is whole pages) */
	uint8_t *copy;   /* private copy of what the client wrote */
	const struct cn_terminal_server_ops *ops;
	void *data;
	int sigh[SIGH_COUNT]; /* caps, -1 if none */
	bool connected;
	unsigned refused; /* enum refusal bits already reported */
};

static void
refuse(struct cn_terminal_session *s, enum refusal kind, const char *reason)
{
	if (s->refused & kind)
		return;
	s->refused |= kind;
	if (s->ops->refused)
		s->ops->refused(s->data, reason);
}

/* Submit a signal to *sigh; forget a handler whose receiver is gone. */
static void
notify(int *sigh)
{
	if (*sigh >= 0 && cn_signal_submit(*sigh, 1) == CN_ERR_DEAD_OBJECT) {
		close(*sigh);
		*sigh = -1;
	}
}

static void
set_sigh(int *sigh, struct cn_rpc *rpc)
{
	if (*sigh >= 0)
		close(*sigh);
	*sigh = cn_msg_take_cap(rpc->in, 0);
}

static int
do_read(struct cn_terminal_session *s, struct cn_rpc *rpc)
{
	uint64_t max;
	size_t n = 0;

	if (cn_msg_get_u64(rpc->in, &max) < 0 || cn_msg_end(rpc->in) < 0)
		return CN_ERR_BAD_MESSAGE;
	/* as Genode's servers: a client may ask for more than fits */
	if (max > s->io_size)
		max = s->io_size;
	if (s->ops->read && max)
		n = s->ops->read(s->data, s->io.addr, (size_t)max);
	if (n > max)
		n = (size_t)max; /* the server's bug must not reach the client */
	cn_msg_put_u64(rpc->out, n);
	return CN_OK;
}

static int
do_write(struct cn_terminal_session *s, struct cn_rpc *rpc)
{
	char reason[REASON_MAX];
	uint64_t len;
	size_t taken;

	if (cn_msg_get_u64(rpc->in, &len) < 0 || cn_msg_end(rpc->in) < 0)
		return CN_ERR_BAD_MESSAGE;
	if (len > s->io_size) {
		snprintf(reason, sizeof(reason),
		         "write of %llu bytes exceeds the I/O buffer of %zu bytes",
		         (unsigned long long)len, s->io_size);
		refuse(s, REFUSED_WRITE_SIZE, reason);
		return CN_ERR_TOO_BIG;
	}
	/* the client may change the buffer while we look at it: copy it once */
	memcpy(s->copy, s->io.addr, (size_t)len);
	taken = s->ops->write ? s->ops->write(s->data, s->copy, (size_t)len) : (size_t)len;
	cn_msg_put_u64(rpc->out, taken < len ? taken : len);
	return CN_OK;
}

static int
dispatch(struct cn_terminal_session *s, struct cn_rpc *rpc)
{
	unsigned columns = 0, lines = 0;
	uint32_t ncaps = rpc->in->hdr.ncaps;
	int fd;

	switch (rpc->opcode) {
	case CN_TERMINAL_SIZE:
		if (cn_msg_end(rpc->in) < 0 || ncaps)
			return CN_ERR_BAD_MESSAGE;
		if (s->ops->size)
			s->ops->size(s->data, &columns, &lines);
		cn_msg_put_u32(rpc->out, columns);
		cn_msg_put_u32(rpc->out, lines);
		return CN_OK;
	case CN_TERMINAL_AVAIL:
		if (cn_msg_end(rpc->in) < 0 || ncaps)
			return CN_ERR_BAD_MESSAGE;
		cn_msg_put_u32(rpc->out, s->ops->avail && s->ops->avail(s->data) ? 1 : 0);
		return CN_OK;
	case CN_TERMINAL_READ:
		return ncaps ? CN_ERR_BAD_MESSAGE : do_read(s, rpc);
	case CN_TERMINAL_WRITE:
		return ncaps ? CN_ERR_BAD_MESSAGE : do_write(s, rpc);
	case CN_TERMINAL_CONNECTED_SIGH:
	case CN_TERMINAL_READ_AVAIL_SIGH:
	case CN_TERMINAL_SIZE_CHANGED_SIGH:
		if (cn_msg_end(rpc->in) < 0 || ncaps != 1)
			return CN_ERR_BAD_MESSAGE;
		if (rpc->opcode == CN_TERMINAL_READ_AVAIL_SIGH) {
			set_sigh(&s->sigh[SIGH_READ_AVAIL], rpc);
			/* input that came before the handler is not missed */
			if (s->ops->avail && s->ops->avail(s->data))
				notify(&s->sigh[SIGH_READ_AVAIL]);
		} else if (rpc->opcode == CN_TERMINAL_SIZE_CHANGED_SIGH) {
			set_sigh(&s->sigh[SIGH_SIZE_CHANGED], rpc);
		} else {
			set_sigh(&s->sigh[SIGH_CONNECTED], rpc);
			/* a ready session tells its client at once, as Genode's servers */
			if (s->connected)
				notify(&s->sigh[SIGH_CONNECTED]);
		}
		return CN_OK;
	case CN_TERMINAL_DATASPACE:
		if (cn_msg_end(rpc->in) < 0 || ncaps)
			return CN_ERR_BAD_MESSAGE;
		fd = dup(s->io.cap);
		if (fd < 0)
			return -errno;
		cn_rpc_put_cap_owned(rpc, fd);
		cn_msg_put_u64(rpc->out, s->io_size);
		return CN_OK;
	default:
		refuse(s, REFUSED_OPCODE, "unknown request");
		return CN_ERR_INVALID_OPCODE;
	}
}

static int
session_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct cn_terminal_session *s = cn_obj_data(obj);
	int r = dispatch(s, rpc);

	if (r == CN_ERR_BAD_MESSAGE)
		refuse(s, REFUSED_MALFORMED, "malformed request");
	return r;
}

int
cn_terminal_session_create(struct cn_env *env, const struct cn_session_request *req,
                           size_t io_buffer_size, bool connected,
                           const struct cn_terminal_server_ops *ops, void *data,
                           struct cn_terminal_session **ret_session)
{
	struct cn_terminal_session *s;
	uint64_t pages;
	int r;

	if (!env || !req || !ops || !ret_session || io_buffer_size == 0 ||
	    io_buffer_size > CN_TERMINAL_IO_BUFFER_MAX)
		return -EINVAL;
	/* the buffer (whole pages) and one page for the session itself */
	pages = (io_buffer_size + CN_PAGE_SIZE - 1) / CN_PAGE_SIZE + 1;
	if (req->ram_quota < CN_TERMINAL_SESSION_RAM || req->ram_quota < pages * CN_PAGE_SIZE)
		return CN_ERR_INSUFFICIENT_RAM;
	if (req->cap_quota < CN_TERMINAL_SESSION_CAPS)
		return CN_ERR_INSUFFICIENT_CAPS;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct cn_terminal_session){
	    .env = env,
	    .io = {.cap = -1, .fd = -1},
	    .io_size = io_buffer_size,
	    .ops = ops,
	    .data = data,
	    .sigh = {-1, -1, -1},
	    .connected = connected,
	};
	s->copy = malloc(io_buffer_size);
	r = s->copy ? 0 : -ENOMEM;
	if (r == 0)
		r = cn_pd_alloc_ram(env->pd, io_buffer_size, &s->io);
	if (r == 0)
		r = cn_ds_attach(&s->io);
	if (r == 0)
		r = cn_obj_create(env->ep, session_dispatch, s, &s->obj);
	if (r < 0) {
		cn_terminal_session_destroy(s);
		return r;
	}
	*ret_session = s;
	return 0;
}

void
cn_terminal_session_destroy(struct cn_terminal_session *s)
{
	if (!s)
		return;
	cn_obj_destroy(s->obj);
	if (s->io.cap >= 0)
		cn_pd_free_ram(s->env->pd, &s->io);
	for (unsigned i = 0; i < SIGH_COUNT; i++)
		if (s->sigh[i] >= 0)
			close(s->sigh[i]);
	free(s->copy);
	free(s);
}

int
cn_terminal_session_cap(const struct cn_terminal_session *s)
{
	return cn_obj_cap(s->obj);
}

void
cn_terminal_session_read_avail(struct cn_terminal_session *s)
{
	notify(&s->sigh[SIGH_READ_AVAIL]);
}

void
cn_terminal_session_size_changed(struct cn_terminal_session *s)
{
	notify(&s->sigh[SIGH_SIZE_CHANGED]);
}

void
cn_terminal_session_connected(struct cn_terminal_session *s)
{
	if (s->connected)
		return;
	s->connected = true;
	notify(&s->sigh[SIGH_CONNECTED]);
}
