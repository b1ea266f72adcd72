/*
 * Terminal session client: payload goes through the server's I/O buffer,
 * which the client attaches once; read and write never block.
 */
#include <cairn/env.h>
#include <cairn/pd.h>
#include <cairn/terminal.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

struct cn_terminal {
	struct cn_env *env;
	int cap;
	uint32_t id;
	struct cn_ds io; /* the I/O buffer, attached writable, of the size the server said */
};

/*
 * One call: at most one u64 argument (arg) or one cap argument (cap >= 0);
 * the reply's u64 or u32 results (n_ret of them, each stored in ret[]).
 * ret32 selects u32 results.
 */
static int
call(struct cn_terminal *t, int32_t op, const uint64_t *arg, int cap, unsigned n_ret, bool ret32,
     uint64_t *ret)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, op);
	if (arg)
		cn_msg_put_u64(&msg, *arg);
	if (cap >= 0)
		cn_msg_put_cap(&msg, cap);
	r = cn_call(t->cap, &msg);
	for (unsigned i = 0; r >= 0 && i < n_ret; i++) {
		uint32_t v32;

		if (ret32 ? cn_msg_get_u32(&msg, &v32) < 0 : cn_msg_get_u64(&msg, &ret[i]) < 0)
			r = CN_ERR_BAD_MESSAGE;
		else if (ret32)
			ret[i] = v32;
	}
	if (r >= 0 && (cn_msg_end(&msg) < 0 || msg.hdr.ncaps))
		r = CN_ERR_BAD_MESSAGE;
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

static void
connected(void *data, uint32_t count)
{
	(void)data;
	(void)count;
}

/* Genode's Terminal::Connection waits for the connected signal. */
static int
wait_connected(struct cn_terminal *t)
{
	struct cn_sig *sig;
	int r = cn_sig_create(t->env->ep, connected, t, &sig);

	if (r < 0)
		return r;
	r = cn_terminal_connected_sigh(t, cn_sig_cap(sig));
	if (r == 0)
		r = cn_ep_wait_sig(t->env->ep, sig);
	cn_sig_destroy(sig);
	return r < 0 ? r : 0;
}

int
cn_terminal_open(struct cn_env *env, const char *label, struct cn_terminal **ret_terminal)
{
	struct cn_terminal *t;
	int r;

	if (!env || !ret_terminal)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->env = env;
	t->io.cap = -1;
	r = cn_session_open(env, "Terminal", label ? label : "", CN_TERMINAL_SESSION_RAM,
	                    CN_TERMINAL_SESSION_CAPS, NULL, &t->cap, &t->id);
	if (r < 0) {
		free(t);
		return r;
	}
	r = cn_session_buffer_attach(t->cap, CN_TERMINAL_DATASPACE, 1, CN_TERMINAL_IO_BUFFER_MAX,
	                             &t->io);
	if (r == 0)
		r = wait_connected(t);
	if (r < 0) {
		cn_terminal_close(t);
		return r;
	}
	*ret_terminal = t;
	return 0;
}

void
cn_terminal_close(struct cn_terminal *t)
{
	if (!t)
		return;
	cn_ds_release(&t->io);
	cn_session_close(t->env, t->id);
	close(t->cap);
	free(t);
}

int
cn_terminal_size(struct cn_terminal *t, unsigned *ret_columns, unsigned *ret_lines)
{
	uint64_t v[2];
	int r;

	if (!t || !ret_columns || !ret_lines)
		return -EINVAL;
	r = call(t, CN_TERMINAL_SIZE, NULL, -1, 2, true, v);
	if (r < 0)
		return r;
	*ret_columns = (unsigned)v[0];
	*ret_lines = (unsigned)v[1];
	return 0;
}

int
cn_terminal_avail(struct cn_terminal *t)
{
	uint64_t avail;
	int r;

	if (!t)
		return -EINVAL;
	r = call(t, CN_TERMINAL_AVAIL, NULL, -1, 1, true, &avail);
	if (r < 0)
		return r;
	return avail > 1 ? CN_ERR_BAD_MESSAGE : (int)avail;
}

int
cn_terminal_read(struct cn_terminal *t, void *buf, size_t len, size_t *ret_read)
{
	uint64_t max, n;
	int r;

	if (!t || (!buf && len) || !ret_read)
		return -EINVAL;
	max = len < t->io.size ? len : t->io.size;
	if (max == 0) {
		*ret_read = 0;
		return 0;
	}
	r = call(t, CN_TERMINAL_READ, &max, -1, 1, false, &n);
	if (r < 0)
		return r;
	if (n > max)
		return CN_ERR_BAD_MESSAGE;
	memcpy(buf, t->io.addr, (size_t)n);
	*ret_read = (size_t)n;
	return 0;
}

int
cn_terminal_write(struct cn_terminal *t, const void *buf, size_t len, size_t *ret_written)
{
	const char *src = buf;
	size_t written = 0;

	if (!t || (!buf && len) || !ret_written)
		return -EINVAL;
	while (written < len) {
		uint64_t piece = len - written < t->io.size ? len - written : t->io.size;
		uint64_t taken;
		int r;

		memcpy(t->io.addr, src + written, (size_t)piece);
		r = call(t, CN_TERMINAL_WRITE, &piece, -1, 1, false, &taken);
		if (r < 0)
			return r;
		if (taken > piece)
			return CN_ERR_BAD_MESSAGE;
		written += (size_t)taken;
		if (taken < piece)
			break; /* full for now */
	}
	*ret_written = written;
	return 0;
}

int
cn_terminal_connected_sigh(struct cn_terminal *t, int sig_cap)
{
	if (!t || sig_cap < 0)
		return -EINVAL;
	return call(t, CN_TERMINAL_CONNECTED_SIGH, NULL, sig_cap, 0, false, NULL);
}

int
cn_terminal_read_avail_sigh(struct cn_terminal *t, int sig_cap)
{
	if (!t || sig_cap < 0)
		return -EINVAL;
	return call(t, CN_TERMINAL_READ_AVAIL_SIGH, NULL, sig_cap, 0, false, NULL);
}

int
cn_terminal_size_changed_sigh(struct cn_terminal *t, int sig_cap)
{
	if (!t || sig_cap < 0)
		return -EINVAL;
	return call(t, CN_TERMINAL_SIZE_CHANGED_SIGH, NULL, sig_cap, 0, false, NULL);
}

int
cn_terminal_cap(const struct cn_terminal *t)
{
	return t->cap;
}

size_t
cn_terminal_io_buffer_size(const struct cn_terminal *t)
{
	return t->io.size;
}
