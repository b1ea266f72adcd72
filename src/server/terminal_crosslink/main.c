/*
 * terminal_crosslink: connects exactly two Terminal clients back to back,
 * as Genode's terminal_crosslink. What one client writes goes into its own
 * buffer (config buffer="4K", one per client), from which the other reads;
 * the reader is signalled read-avail. A full buffer takes what fits: write
 * answers with fewer bytes, possibly none. A third client is denied.
 *
 * The buffers live as long as the server, as in Genode: what a client
 * wrote stays readable for its partner after it closed its session, and
 * the next client in its place continues the stream.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/service.h>
#include <cairn/terminal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	CLIENTS = 2,
	DEFAULT_BUFFER_SIZE = 4096, /* Genode's default */
	BUFFER_MAX = 1 << 20,       /* bytes of one client's buffer */
};

/* A byte ring of what one client wrote and its partner did not read yet. */
struct ring {
	unsigned char *bytes;
	size_t size, head, count; /* head: the oldest byte */
};

struct side {
	struct cn_terminal_session *session; /* NULL: the slot is free */
	char label[CN_LABEL_MAX];
	struct ring written;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct side sides[CLIENTS];
} state;

static struct side *
partner(struct side *side)
{
	return &state.sides[side == &state.sides[0] ? 1 : 0];
}

static size_t
ring_put(struct ring *r, const unsigned char *src, size_t len)
{
	size_t n = len < r->size - r->count ? len : r->size - r->count;

	for (size_t i = 0; i < n; i++)
		r->bytes[(r->head + r->count + i) % r->size] = src[i];
	r->count += n;
	return n;
}

static size_t
ring_get(struct ring *r, unsigned char *dst, size_t max)
{
	size_t n = max < r->count ? max : r->count;

	for (size_t i = 0; i < n; i++)
		dst[i] = r->bytes[(r->head + i) % r->size];
	r->head = (r->head + n) % r->size;
	r->count -= n;
	return n;
}

/* --- Terminal sessions ---------------------------------------------------- */

static bool
side_avail(void *data)
{
	return partner(data)->written.count > 0;
}

static size_t
side_read(void *data, void *dst, size_t max)
{
	return ring_get(&partner(data)->written, dst, max);
}

static size_t
side_write(void *data, const void *src, size_t len)
{
	struct side *side = data, *other = partner(side);
	size_t taken = ring_put(&side->written, src, len);

	if (taken && other->session)
		cn_terminal_session_read_avail(other->session);
	return taken;
}

static void
side_refused(void *data, const char *reason)
{
	struct side *side = data;

	cn_warning(state.env, "'%s': %s, refused", side->label, reason);
}

static const struct cn_terminal_server_ops side_ops = {
    .avail = side_avail,
    .read = side_read,
    .write = side_write,
    .refused = side_refused,
};

static int
terminal_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	struct side *side = NULL;
	int r;

	(void)data;
	for (unsigned i = 0; i < CLIENTS && !side; i++)
		if (!state.sides[i].session)
			side = &state.sides[i];
	if (!side) {
		cn_warning(state.env,
		           "denying session for '%s': both ends are connected already ('%s', '%s')",
		           req->label, state.sides[0].label, state.sides[1].label);
		return CN_ERR_DENIED;
	}
	r = cn_terminal_session_create(state.env, req, CN_TERMINAL_IO_BUFFER_SIZE, true, &side_ops,
	                               side, &side->session);
	if (r < 0) {
		cn_warning(state.env, "denying session for '%s': %s", req->label, cn_strerror(r));
		return r == CN_ERR_INSUFFICIENT_RAM || r == CN_ERR_INSUFFICIENT_CAPS
		           ? r
		           : CN_ERR_DENIED;
	}
	snprintf(side->label, sizeof(side->label), "%s", req->label);
	*ret_session = side;
	*ret_cap = cn_terminal_session_cap(side->session);
	return 0;
}

static void
terminal_close(void *data, void *session)
{
	struct side *side = session;

	(void)data;
	cn_terminal_session_destroy(side->session);
	side->session = NULL;
	side->label[0] = 0;
}

static const struct cn_service_ops terminal_service = {
    .create = terminal_create,
    .close = terminal_close,
};

/* --- startup -------------------------------------------------------------- */

/* The buffer size from the config (read once, as Genode's). */
static int
buffer_size(struct cn_env *env, size_t *ret_size)
{
	const struct cn_xml_node *config;
	uint64_t size = DEFAULT_BUFFER_SIZE;
	int r;

	if (cn_config(env, &config) == 0) {
		r = cn_xml_attr_u64(config, "buffer", &size);
		if ((r < 0 && r != -ENOENT) || size == 0 || size > BUFFER_MAX) {
			cn_error(env, "config: invalid buffer size, expected 1 to %d bytes",
			         BUFFER_MAX);
			return -EINVAL;
		}
	}
	*ret_size = (size_t)size;
	return 0;
}

void
cn_construct(struct cn_env *env)
{
	size_t size;
	int r;

	state.env = env;
	if (buffer_size(env, &size) < 0)
		cn_exit(env, 2);
	for (unsigned i = 0; i < CLIENTS; i++) {
		state.sides[i].written.size = size;
		state.sides[i].written.bytes = malloc(size);
		if (!state.sides[i].written.bytes) {
			cn_error(env, "cannot allocate the buffers of %zu bytes", size);
			cn_exit(env, 3);
		}
	}
	r = cn_service_announce(env, "Terminal", &terminal_service, NULL);
	if (r < 0) {
		cn_error(env, "cannot announce the Terminal service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
