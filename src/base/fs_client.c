/*
 * File_system session client: RPC wrappers, and blocking transfers through
 * the packet stream with one packet in flight at a time.
 */
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/pd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	CN_FS_CLIENT_DEPTH = 32,    /* packets a transfer keeps in flight, at most */
	CN_FS_CHUNK_MAX = 64 << 10, /* packet size of a transfer, unless the buffer needs more */
};

struct flight {
	bool used, acked;
	struct cn_packet p, ack;
	size_t off, len; /* within the transfer */
};

struct cn_fs {
	struct cn_env *env; /* NULL if attached to a foreign session cap */
	struct cn_ep *ep;
	int cap;
	uint32_t id;
	struct cn_ds tx; /* attached writable */
	struct cn_ps ps;
	int server_sig;
	struct cn_sig *sig;
	bool raw;                                 /* the user drains acknowledgements */
	int timeout_ms;                           /* >= 0: isolated (cn_fs_set_timeout) */
	int stale;                                /* what made an isolated session unusable */
	bool busy;                                /* a transfer is in progress */
	struct flight flight[CN_FS_CLIENT_DEPTH]; /* the packets of the transfer */
	/* CONTENT_CHANGED handles not yet delivered (a set) */
	uint32_t pending[CN_FS_WATCHES_MAX];
	unsigned pending_count;
	bool notifying;
	void (*notify)(void *data, uint32_t watch);
	void *notify_data;
};

/* An isolated session whose server did not answer in time or is gone
 * becomes stale: the state of the server is unknown from then on. */
static int
check_stale(struct cn_fs *fs, int r)
{
	if (fs->timeout_ms >= 0 && !fs->stale &&
	    (r == -ETIMEDOUT || r == CN_ERR_DEAD_OBJECT || r == CN_ERR_NO_REPLY))
		fs->stale = r;
	return r;
}

static int
session_call(struct cn_fs *fs, struct cn_msg *msg)
{
	if (fs->stale) {
		cn_msg_reset(msg);
		return CN_ERR_UNAVAILABLE;
	}
	return check_stale(fs, cn_call_timeout(fs->cap, msg, fs->timeout_ms));
}

static int
call(struct cn_fs *fs, struct cn_msg *msg, uint32_t *ret_u32)
{
	uint32_t v;
	int r = session_call(fs, msg);

	if (r >= 0 && ret_u32) {
		if (cn_msg_get_u32(msg, &v) < 0 || cn_msg_end(msg) < 0)
			r = CN_ERR_BAD_MESSAGE;
		else
			*ret_u32 = v;
	}
	cn_msg_reset(msg);
	return r < 0 ? r : 0;
}

static void
msg_start(struct cn_msg *msg, int32_t op)
{
	msg->owns_caps = false;
	cn_msg_init(msg, op);
}

/* --- acknowledgements and notifications ---------------------------------- */

static void
note_changed(struct cn_fs *fs, uint32_t handle)
{
	for (unsigned i = 0; i < fs->pending_count; i++)
		if (fs->pending[i] == handle)
			return;
	if (fs->pending_count < CN_FS_WATCHES_MAX)
		fs->pending[fs->pending_count++] = handle;
}

static struct flight *
awaited(struct cn_fs *fs, const struct cn_packet *p)
{
	for (unsigned i = 0; i < CN_FS_CLIENT_DEPTH; i++) {
		struct flight *f = &fs->flight[i];

		if (f->used && !f->acked && f->p.offset == p->offset)
			return f;
	}
	return NULL;
}

static void
drain_acks(struct cn_fs *fs)
{
	struct flight *f;
	struct cn_packet p;
	bool any = false;

	while (cn_ps_get_acked(&fs->ps, &p) == 0) {
		any = true;
		if (cn_fs_packet_op(&p) == CN_FS_CONTENT_CHANGED) {
			note_changed(fs, cn_fs_packet_handle(&p));
		} else if ((f = awaited(fs, &p)) != NULL) {
			f->ack = p;
			f->acked = true;
		} else {
			cn_ps_free(&fs->ps, &p); /* not ours to wait for: forget it */
		}
	}
	if (any)
		cn_signal_submit(fs->server_sig, 1); /* room in the ack queue */
}

static void
deliver_notifications(struct cn_fs *fs)
{
	if (fs->busy || fs->notifying)
		return;
	fs->notifying = true;
	while (fs->pending_count) {
		uint32_t handle = fs->pending[0];

		memmove(fs->pending, fs->pending + 1, --fs->pending_count * sizeof(uint32_t));
		if (fs->notify)
			fs->notify(fs->notify_data, handle);
	}
	fs->notifying = false;
}

static void
client_signal(void *data, uint32_t count)
{
	struct cn_fs *fs = data;

	(void)count;
	if (fs->raw || fs->stale)
		return;
	drain_acks(fs);
	deliver_notifications(fs);
}

/* --- session ------------------------------------------------------------- */

static int
start_stream(struct cn_fs *fs)
{
	struct cn_msg msg;
	uint64_t size;
	int r;

	msg_start(&msg, CN_FS_TX);
	r = cn_call(fs->cap, &msg);
	if (r >= 0) {
		if (cn_msg_get_u64(&msg, &size) < 0 || cn_msg_end(&msg) < 0 || msg.hdr.ncaps != 2 ||
		    size == 0 || size > SIZE_MAX) {
			r = CN_ERR_BAD_MESSAGE;
		} else {
			fs->tx.cap = cn_msg_take_cap(&msg, 0);
			fs->server_sig = cn_msg_take_cap(&msg, 1);
			fs->tx.size = (size_t)size;
			fs->tx.writeable = 1;
			r = cn_ds_attach(&fs->tx);
		}
	}
	cn_msg_reset(&msg);
	if (r < 0)
		return r;
	r = cn_ps_source_init(&fs->ps, fs->tx.addr, fs->tx.size, CN_FS_TX_QUEUE_SIZE);
	if (r < 0)
		return r;
	r = cn_sig_create(fs->ep, client_signal, fs, &fs->sig);
	if (r < 0)
		return r;
	msg_start(&msg, CN_FS_TX_SIGH);
	cn_msg_put_cap(&msg, cn_sig_cap(fs->sig));
	return call(fs, &msg, NULL);
}

static void
release(struct cn_fs *fs)
{
	cn_sig_destroy(fs->sig);
	cn_ps_release(&fs->ps);
	cn_ds_release(&fs->tx);
	if (fs->server_sig >= 0)
		close(fs->server_sig);
	free(fs);
}

static struct cn_fs *
fs_new(struct cn_ep *ep)
{
	struct cn_fs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->ep = ep;
	fs->cap = -1;
	fs->tx.cap = -1;
	fs->server_sig = -1;
	fs->timeout_ms = -1;
	return fs;
}

int
cn_fs_attach(struct cn_ep *ep, int session_cap, struct cn_fs **ret_fs)
{
	struct cn_fs *fs;
	int r;

	if (!ep || session_cap < 0 || !ret_fs)
		return -EINVAL;
	if (!(fs = fs_new(ep)))
		return -ENOMEM;
	fs->cap = session_cap;
	r = start_stream(fs);
	if (r < 0) {
		release(fs);
		return r;
	}
	*ret_fs = fs;
	return 0;
}

int
cn_fs_open(struct cn_env *env, const char *label, size_t tx_buf_size, bool writeable,
           struct cn_fs **ret_fs)
{
	struct cn_fs *fs;
	char args[96];
	int r;

	if (!env || !ret_fs || tx_buf_size > CN_FS_TX_BUF_MAX)
		return -EINVAL;
	if (tx_buf_size == 0)
		tx_buf_size = CN_FS_TX_BUF_DEFAULT;
	if (tx_buf_size < CN_FS_TX_BUF_MIN)
		tx_buf_size = CN_FS_TX_BUF_MIN;
	if (!(fs = fs_new(env->ep)))
		return -ENOMEM;
	fs->env = env;
	snprintf(args, sizeof(args), "tx_buf_size=%zu, writeable=%s", tx_buf_size,
	         writeable ? "yes" : "no");
	r = cn_session_open(env, "File_system", label ? label : "/", cn_fs_session_ram(tx_buf_size),
	                    CN_FS_SESSION_CAPS, args, &fs->cap, &fs->id);
	if (r < 0) {
		release(fs);
		return r;
	}
	r = start_stream(fs);
	if (r < 0) {
		cn_fs_close(fs);
		return r;
	}
	*ret_fs = fs;
	return 0;
}

void
cn_fs_close(struct cn_fs *fs)
{
	if (!fs)
		return;
	if (fs->env) {
		cn_session_close(fs->env, fs->id);
		close(fs->cap);
	}
	release(fs);
}

int
cn_fs_cap(const struct cn_fs *fs)
{
	return fs->cap;
}

/* --- RPCs ---------------------------------------------------------------- */

int
cn_fs_file(struct cn_fs *fs, uint32_t dir, const char *name, enum cn_fs_mode mode, bool create,
           uint32_t *ret_handle)
{
	struct cn_msg msg;

	if (!fs || !name || !ret_handle)
		return -EINVAL;
	msg_start(&msg, CN_FS_FILE);
	cn_msg_put_u32(&msg, dir);
	cn_msg_put_str(&msg, name);
	cn_msg_put_u32(&msg, mode);
	cn_msg_put_u32(&msg, create);
	return call(fs, &msg, ret_handle);
}

int
cn_fs_symlink(struct cn_fs *fs, uint32_t dir, const char *name, bool create, uint32_t *ret_handle)
{
	struct cn_msg msg;

	if (!fs || !name || !ret_handle)
		return -EINVAL;
	msg_start(&msg, CN_FS_SYMLINK);
	cn_msg_put_u32(&msg, dir);
	cn_msg_put_str(&msg, name);
	cn_msg_put_u32(&msg, create);
	return call(fs, &msg, ret_handle);
}

static int
path_call(struct cn_fs *fs, int32_t op, const char *path, int create, uint32_t *ret_handle)
{
	struct cn_msg msg;

	if (!fs || !path || !ret_handle)
		return -EINVAL;
	msg_start(&msg, op);
	cn_msg_put_str(&msg, path);
	if (create >= 0)
		cn_msg_put_u32(&msg, (uint32_t)create);
	return call(fs, &msg, ret_handle);
}

int
cn_fs_dir(struct cn_fs *fs, const char *path, bool create, uint32_t *ret_handle)
{
	return path_call(fs, CN_FS_DIR, path, create, ret_handle);
}

int
cn_fs_node(struct cn_fs *fs, const char *path, uint32_t *ret_handle)
{
	return path_call(fs, CN_FS_NODE, path, -1, ret_handle);
}

int
cn_fs_watch(struct cn_fs *fs, const char *path, uint32_t *ret_handle)
{
	return path_call(fs, CN_FS_WATCH, path, -1, ret_handle);
}

static int
handle_call(struct cn_fs *fs, int32_t op, uint32_t handle, uint32_t *ret)
{
	struct cn_msg msg;

	if (!fs)
		return -EINVAL;
	msg_start(&msg, op);
	cn_msg_put_u32(&msg, handle);
	return call(fs, &msg, ret);
}

int
cn_fs_close_handle(struct cn_fs *fs, uint32_t handle)
{
	return handle_call(fs, CN_FS_CLOSE, handle, NULL);
}

int
cn_fs_control(struct cn_fs *fs, uint32_t handle)
{
	return handle_call(fs, CN_FS_CONTROL, handle, NULL);
}

int
cn_fs_num_entries(struct cn_fs *fs, uint32_t dir, uint32_t *ret_count)
{
	if (!ret_count)
		return -EINVAL;
	return handle_call(fs, CN_FS_NUM_ENTRIES, dir, ret_count);
}

int
cn_fs_status(struct cn_fs *fs, uint32_t handle, struct cn_fs_status *ret_status)
{
	struct cn_fs_status st;
	struct cn_msg msg;
	int r;

	if (!fs || !ret_status)
		return -EINVAL;
	msg_start(&msg, CN_FS_STATUS);
	cn_msg_put_u32(&msg, handle);
	r = session_call(fs, &msg);
	if (r >= 0 && (cn_msg_get_u64(&msg, &st.size) < 0 || cn_msg_get_u32(&msg, &st.type) < 0 ||
	               cn_msg_get_u32(&msg, &st.rwx) < 0 || cn_msg_get_u64(&msg, &st.inode) < 0 ||
	               cn_msg_get_u64(&msg, &st.mtime_ms) < 0 || cn_msg_end(&msg) < 0))
		r = CN_ERR_BAD_MESSAGE;
	cn_msg_reset(&msg);
	if (r < 0)
		return r;
	*ret_status = st;
	return 0;
}

int
cn_fs_unlink(struct cn_fs *fs, uint32_t dir, const char *name)
{
	struct cn_msg msg;

	if (!fs || !name)
		return -EINVAL;
	msg_start(&msg, CN_FS_UNLINK);
	cn_msg_put_u32(&msg, dir);
	cn_msg_put_str(&msg, name);
	return call(fs, &msg, NULL);
}

int
cn_fs_truncate(struct cn_fs *fs, uint32_t file, uint64_t size)
{
	struct cn_msg msg;

	if (!fs)
		return -EINVAL;
	msg_start(&msg, CN_FS_TRUNCATE);
	cn_msg_put_u32(&msg, file);
	cn_msg_put_u64(&msg, size);
	return call(fs, &msg, NULL);
}

int
cn_fs_move(struct cn_fs *fs, uint32_t from_dir, const char *from, uint32_t to_dir, const char *to)
{
	struct cn_msg msg;

	if (!fs || !from || !to)
		return -EINVAL;
	msg_start(&msg, CN_FS_MOVE);
	cn_msg_put_u32(&msg, from_dir);
	cn_msg_put_str(&msg, from);
	cn_msg_put_u32(&msg, to_dir);
	cn_msg_put_str(&msg, to);
	return call(fs, &msg, NULL);
}

/* --- transfers ----------------------------------------------------------- */

/*
 * A transfer splits into packets of at most `chunk` bytes and keeps up to
 * CN_FS_CLIENT_DEPTH of them in flight; they complete in order. A short
 * read ends the transfer (the end of the file), a failed packet fails it.
 */
static size_t
chunk_size(struct cn_fs *fs, enum cn_fs_packet_op op, uint64_t pos, size_t len)
{
	uint64_t payload = fs->ps.payload_size, chunk;

	if ((op != CN_FS_READ && op != CN_FS_WRITE) || (op == CN_FS_READ && pos == CN_FS_SEEK_TAIL))
		return len < payload ? len : (size_t)payload; /* one packet at a time */
	if (len <= payload / 2)
		return len; /* one packet is the fastest */
	/* an eighth of the buffer (8 in flight), at most 64 KiB a packet: a
	 * larger buffer keeps more in flight (up to CN_FS_CLIENT_DEPTH), which
	 * hides the signal round trips between the CPUs */
	chunk = payload / 8 < CN_FS_CHUNK_MAX ? payload / 8 : CN_FS_CHUNK_MAX;
	if (chunk < payload / CN_FS_CLIENT_DEPTH)
		chunk = payload / CN_FS_CLIENT_DEPTH;
	chunk = chunk / CN_PS_ALIGN * CN_PS_ALIGN;
	return chunk ? (size_t)chunk : (size_t)payload;
}

/* Submit the next packet of the transfer into a free slot; whether one was. */
static bool
submit_next(struct cn_fs *fs, enum cn_fs_packet_op op, uint32_t handle, uint64_t pos,
            const uint8_t *buf, size_t len, size_t chunk, size_t *next)
{
	struct flight *f = NULL;
	size_t n = len - *next < chunk ? len - *next : chunk;

	for (unsigned i = 0; i < CN_FS_CLIENT_DEPTH && !f; i++)
		if (!fs->flight[i].used)
			f = &fs->flight[i];
	if (!f || !cn_ps_ready_to_submit(&fs->ps) || cn_ps_alloc(&fs->ps, n ? n : 1, &f->p) < 0)
		return false;
	f->p.opcode = cn_fs_packet_opcode(op, handle);
	f->p.tag =
	    pos == CN_FS_SEEK_TAIL || (op != CN_FS_READ && op != CN_FS_WRITE) ? pos : pos + *next;
	f->p.status = (uint32_t)n;
	f->off = *next;
	f->len = n;
	if (op == CN_FS_WRITE)
		memcpy(cn_ps_payload(&fs->ps, &f->p), buf + *next, n);
	if (cn_ps_submit(&fs->ps, &f->p) < 0) {
		cn_ps_free(&fs->ps, &f->p);
		return false;
	}
	f->used = true;
	f->acked = false;
	*next += n;
	return true;
}

/* The in-flight packet at offset off, if it is acknowledged. */
static struct flight *
completed(struct cn_fs *fs, size_t off)
{
	for (unsigned i = 0; i < CN_FS_CLIENT_DEPTH; i++) {
		struct flight *f = &fs->flight[i];

		if (f->used && f->off == off)
			return f->acked ? f : NULL;
	}
	return NULL;
}

static bool
in_flight(const struct cn_fs *fs)
{
	for (unsigned i = 0; i < CN_FS_CLIENT_DEPTH; i++)
		if (fs->flight[i].used)
			return true;
	return false;
}

static int
transfer(struct cn_fs *fs, enum cn_fs_packet_op op, uint32_t handle, uint64_t pos, void *buf,
         size_t len, size_t *ret_len)
{
	size_t chunk, next = 0, done = 0;
	bool stop = false, first = true;
	int r = 0;

	if (fs->busy || fs->raw)
		return -EBUSY;
	if (fs->stale)
		return CN_ERR_UNAVAILABLE;
	fs->busy = true;
	chunk = chunk_size(fs, op, pos, len);
	for (;;) {
		bool submitted = false, progress = false;
		struct flight *f;
		int w;

		while (!stop && (next < len || first) &&
		       submit_next(fs, op, handle, pos, buf, len, chunk, &next)) {
			submitted = true;
			first = false;
		}
		if (submitted)
			cn_signal_submit(fs->server_sig, 1);
		drain_acks(fs);
		while ((f = completed(fs, done)) != NULL) {
			uint32_t status = f->ack.status;

			if (status == CN_FS_PACKET_FAILED || status > f->len) {
				r = CN_ERR_UNAVAILABLE;
				stop = true;
			} else if (!stop) {
				if (op == CN_FS_READ)
					memcpy((uint8_t *)buf + f->off,
					       cn_ps_payload(&fs->ps, &f->p), status);
				done += status;
				if (status < f->len)
					stop = true; /* the end of the file, or no space */
			}
			cn_ps_free(&fs->ps, &f->p);
			f->used = false;
			progress = true;
			if (stop)
				break;
		}
		if (!in_flight(fs) && (stop || (next >= len && !first)))
			break;
		if (stop) {
			/* forget the rest: their acknowledgements are freed on arrival */
			for (unsigned i = 0; i < CN_FS_CLIENT_DEPTH; i++)
				if (fs->flight[i].used && fs->flight[i].acked) {
					cn_ps_free(&fs->ps, &fs->flight[i].p);
					fs->flight[i].used = false;
				}
			if (!in_flight(fs))
				break;
		}
		if (progress)
			continue; /* room for more packets */
		if (fs->timeout_ms >= 0)
			w = check_stale(fs, cn_sig_wait(fs->sig, fs->server_sig, fs->timeout_ms));
		else
			w = cn_ep_wait_sig(fs->ep, fs->sig);
		if (w < 0) {
			r = w;
			break;
		}
	}
	fs->busy = false;
	if (r == 0 && ret_len)
		*ret_len = done;
	deliver_notifications(fs);
	return r;
}

int
cn_fs_read(struct cn_fs *fs, uint32_t handle, uint64_t pos, void *buf, size_t len, size_t *ret_len)
{
	if (!fs || (!buf && len) || !ret_len)
		return -EINVAL;
	return transfer(fs, CN_FS_READ, handle, pos, buf, len, ret_len);
}

int
cn_fs_write(struct cn_fs *fs, uint32_t handle, uint64_t pos, const void *buf, size_t len)
{
	size_t done = 0;
	int r;

	if (!fs || (!buf && len))
		return -EINVAL;
	r = transfer(fs, CN_FS_WRITE, handle, pos, (void *)buf, len, &done);
	if (r == 0 && done < len)
		r = CN_ERR_NO_SPACE;
	return r;
}

int
cn_fs_sync(struct cn_fs *fs, uint32_t handle)
{
	size_t done;

	if (!fs)
		return -EINVAL;
	return transfer(fs, CN_FS_SYNC, handle, 0, NULL, 0, &done);
}

int
cn_fs_write_timestamp(struct cn_fs *fs, uint32_t handle, uint64_t ms_since_1970)
{
	size_t done;

	if (!fs)
		return -EINVAL;
	return transfer(fs, CN_FS_WRITE_TIMESTAMP, handle, ms_since_1970, NULL, 0, &done);
}

/* Split "/a/b/name" into its directory ("/a/b") and name. */
static int
split_path(const char *path, char *dir, char *name)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len;

	if (!slash || path[0] != '/' || !slash[1] || strlen(slash + 1) >= CN_FS_NAME_MAX)
		return CN_ERR_INVALID_NAME;
	dir_len = (size_t)(slash - path);
	if (dir_len >= CN_FS_PATH_MAX)
		return CN_ERR_NAME_TOO_LONG;
	memcpy(dir, path, dir_len);
	dir[dir_len] = 0;
	if (dir_len == 0)
		strcpy(dir, "/");
	strcpy(name, slash + 1);
	return 0;
}

/* Open the file at path: ret_dir and ret_file are both open on success. */
static int
open_path(struct cn_fs *fs, const char *path, enum cn_fs_mode mode, bool create, uint32_t *ret_dir,
          uint32_t *ret_file)
{
	char dir[CN_FS_PATH_MAX], name[CN_FS_NAME_MAX];
	int r;

	if (!fs || !path)
		return -EINVAL;
	if ((r = split_path(path, dir, name)) < 0 || (r = cn_fs_dir(fs, dir, false, ret_dir)) < 0)
		return r;
	r = cn_fs_file(fs, *ret_dir, name, mode, create, ret_file);
	if (r == CN_ERR_NODE_ALREADY_EXISTS)
		r = cn_fs_file(fs, *ret_dir, name, mode, false, ret_file);
	if (r < 0)
		cn_fs_close_handle(fs, *ret_dir);
	return r;
}

int
cn_fs_read_all(struct cn_fs *fs, const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
	struct cn_fs_status st;
	uint32_t dir, file;
	size_t len = 0;
	char *buf = NULL;
	int r;

	if (!ret_buf || !ret_len)
		return -EINVAL;
	if ((r = open_path(fs, path, CN_FS_READ_ONLY, false, &dir, &file)) < 0)
		return r;
	r = cn_fs_status(fs, file, &st);
	if (r == 0 && st.size > max)
		r = CN_ERR_TOO_BIG;
	if (r == 0 && !(buf = malloc((size_t)st.size + 1)))
		r = -ENOMEM;
	if (r == 0)
		r = cn_fs_read(fs, file, 0, buf, (size_t)st.size, &len);
	cn_fs_close_handle(fs, file);
	cn_fs_close_handle(fs, dir);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = 0;
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int
cn_fs_write_all(struct cn_fs *fs, const char *path, const void *data, size_t len)
{
	uint32_t dir, file;
	int r;

	if (!data && len)
		return -EINVAL;
	if ((r = open_path(fs, path, CN_FS_WRITE_ONLY, true, &dir, &file)) < 0)
		return r;
	r = cn_fs_truncate(fs, file, 0);
	if (r == 0 && len)
		r = cn_fs_write(fs, file, 0, data, len);
	cn_fs_close_handle(fs, file);
	cn_fs_close_handle(fs, dir);
	return r;
}

void
cn_fs_set_notify(struct cn_fs *fs, void (*fn)(void *data, uint32_t watch), void *data)
{
	fs->notify = fn;
	fs->notify_data = data;
}

struct cn_ps *
cn_fs_tx_raw(struct cn_fs *fs, int sig_cap)
{
	struct cn_msg msg;

	msg_start(&msg, CN_FS_TX_SIGH);
	cn_msg_put_cap(&msg, sig_cap);
	if (call(fs, &msg, NULL) < 0)
		return NULL;
	fs->raw = true;
	return &fs->ps;
}

int
cn_fs_tx_wakeup(struct cn_fs *fs)
{
	return cn_signal_submit(fs->server_sig, 1);
}

int
cn_fs_set_timeout(struct cn_fs *fs, int timeout_ms)
{
	if (!fs || fs->busy || timeout_ms < -1)
		return -EINVAL;
	fs->timeout_ms = timeout_ms;
	return 0;
}

int
cn_fs_stale(const struct cn_fs *fs)
{
	return fs ? fs->stale : 0;
}
