/*
 * File_system session, server side: decodes and checks every request and
 * every packet, keeps the handle table of each session, and leaves the
 * file system itself to a backend (struct cn_fs_backend_ops in fs.h).
 */
#include <cairn/args.h>
#include <cairn/ep.h>
#include <cairn/fs.h>
#include <cairn/xml.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum handle_kind { H_FREE = 0, H_FILE, H_DIR, H_SYMLINK, H_NODE, H_WATCH };

/* what a session reports at most once each */
enum report { R_REQUEST = 1, R_PACKET = 2, R_STREAM = 4 };

struct handle {
	enum handle_kind kind;
	enum cn_fs_mode mode;
	void *node;   /* the backend's (not for watches) */
	char *path;   /* backend path: directories (to join names) and watches */
	bool pending; /* watch: a CONTENT_CHANGED waits for room in the ack queue */
};

struct cn_fs_session {
	struct cn_fs_server *srv;
	struct cn_obj *obj;
	struct cn_sig *sig; /* the client submits it: packets or room for acks */
	char label[CN_LABEL_MAX];
	char root[CN_FS_PATH_MAX];
	bool writeable;
	int tx_cap;
	void *tx_mem;
	size_t tx_size;
	struct cn_ps ps;
	bool attached, broken;
	bool in_packet;  /* a packet is being handled: its ack slot is taken */
	int client_sigh; /* -1 until CN_FS_TX_SIGH */
	struct handle handles[CN_FS_HANDLES_MAX];
	unsigned watches;
	size_t path_bytes; /* kept by handles, at most CN_FS_PATH_BYTES_MAX */
	unsigned reported; /* enum report bits */
	struct cn_fs_session *next;
};

struct cn_fs_server {
	struct cn_ep *ep;
	const struct cn_fs_backend_ops *ops;
	void *be;
	cn_fs_error_fn error;
	void *error_data;
	struct cn_fs_session *sessions;
};

static void
report(struct cn_fs_session *s, enum report what, const char *reason)
{
	if (s->reported & what)
		return;
	s->reported |= what;
	if (s->srv->error)
		s->srv->error(s->srv->error_data, s->label, reason);
}

/* --- names and paths ----------------------------------------------------- */

bool
cn_fs_valid_name(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len < CN_FS_NAME_MAX && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/*
 * Append the normalised form of an absolute path to buf (which holds
 * *len bytes): empty elements collapse, "." and ".." are
 * CN_ERR_LOOKUP_FAILED, a result of CN_FS_PATH_MAX bytes or more
 * CN_ERR_NAME_TOO_LONG.
 */
static int
append_path(char *buf, size_t *len, const char *path)
{
	const char *p = path;

	if (*p != '/')
		return CN_ERR_LOOKUP_FAILED;
	while (*p) {
		const char *elem;
		size_t n;

		while (*p == '/')
			p++;
		elem = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - elem);
		if (n == 0)
			break;
		if ((n == 1 && elem[0] == '.') || (n == 2 && elem[0] == '.' && elem[1] == '.'))
			return CN_ERR_LOOKUP_FAILED;
		if (*len + 1 + n >= CN_FS_PATH_MAX)
			return CN_ERR_NAME_TOO_LONG;
		buf[(*len)++] = '/';
		memcpy(buf + *len, elem, n);
		*len += n;
	}
	buf[*len] = 0;
	return 0;
}

int
cn_fs_path_join(const char *root, const char *path, char *buf, size_t size)
{
	char out[CN_FS_PATH_MAX];
	size_t len = 0;
	int r;

	if (!root || !path || !buf)
		return -EINVAL;
	r = append_path(out, &len, root);
	if (r == 0)
		r = append_path(out, &len, path);
	if (r < 0)
		return r;
	if (len == 0)
		out[len++] = '/', out[len] = 0;
	if (len >= size)
		return CN_ERR_NAME_TOO_LONG;
	memcpy(buf, out, len + 1);
	return 0;
}

int
cn_fs_session_policy(const struct cn_xml_node *policy, const char *label, const char *args,
                     char *ret_root, size_t size, bool *ret_writeable)
{
	char policy_root[CN_FS_PATH_MAX] = "/", root[CN_FS_PATH_MAX], arg[8];
	const char *sub = label ? cn_label_last(label) : NULL;
	bool writeable = false, want = false;

	if (!policy || !sub || !ret_root || !ret_writeable || sub[0] != '/')
		return -EINVAL;
	if (cn_xml_has_attr(policy, "root") &&
	    cn_xml_attr_str(policy, "root", policy_root, sizeof(policy_root)) < 0)
		return -EINVAL;
	if (policy_root[0] != '/' || cn_fs_path_join(policy_root, sub, root, sizeof(root)) < 0 ||
	    strlen(root) >= size)
		return -EINVAL;
	cn_xml_attr_bool(policy, "writeable", &writeable);
	if (args && cn_args_str(args, "writeable", arg, sizeof(arg)) == 0)
		want = strcmp(arg, "yes") == 0 || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0;
	strcpy(ret_root, root);
	*ret_writeable = writeable && want;
	return 0;
}

/* dir (a normalised backend path) + "/" + name */
static int
child_path(const char *dir, const char *name, char *buf)
{
	int n = snprintf(buf, CN_FS_PATH_MAX, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);

	return n < 0 || n >= CN_FS_PATH_MAX ? CN_ERR_NAME_TOO_LONG : 0;
}

/* --- request decoding ----------------------------------------------------- */

/*
 * A string argument, decoded by hand so that a NUL byte or an overlong
 * string is a File_system error rather than a malformed message: the
 * bytes go into buf (CN_MSG_STR_MAX + 1), *ret_nul tells whether one was
 * NUL. -EBADMSG if the message is malformed.
 */
static int
get_string(struct cn_msg *in, char *buf, bool *ret_nul)
{
	uint32_t len;

	if (cn_msg_get_u32(in, &len) < 0 || len > CN_MSG_STR_MAX ||
	    cn_msg_get_bytes(in, buf, len) < 0)
		return -EBADMSG;
	*ret_nul = memchr(buf, 0, len) != NULL;
	buf[len] = 0;
	return 0;
}

static int
check_name(const char *name, bool nul)
{
	return !nul && cn_fs_valid_name(name) ? 0 : CN_ERR_INVALID_NAME;
}

/* A client path joined to the session's root; too long is too_long_err. */
static int
session_path(struct cn_fs_session *s, const char *path, bool nul, int too_long_err, char *buf)
{
	int r;

	if (nul)
		return CN_ERR_LOOKUP_FAILED;
	if (strlen(path) >= CN_FS_PATH_MAX)
		return too_long_err;
	r = cn_fs_path_join(s->root, path, buf, CN_FS_PATH_MAX);
	return r == CN_ERR_NAME_TOO_LONG ? too_long_err : r;
}

static struct handle *
lookup(struct cn_fs_session *s, uint32_t value, enum handle_kind kind)
{
	struct handle *h;

	if (value >= CN_FS_HANDLES_MAX)
		return NULL;
	h = &s->handles[value];
	if (h->kind == H_FREE || (kind != H_FREE && h->kind != kind))
		return NULL;
	return h;
}

static int
alloc_handle(struct cn_fs_session *s, uint32_t *ret)
{
	for (uint32_t i = 0; i < CN_FS_HANDLES_MAX; i++) {
		if (s->handles[i].kind == H_FREE) {
			*ret = i;
			return 0;
		}
	}
	return CN_ERR_OUT_OF_RAM;
}

/* Whether a watch handle other than self watches path. */
static bool
watched_elsewhere(struct cn_fs_server *srv, const char *path, const struct handle *self)
{
	for (struct cn_fs_session *s = srv->sessions; s; s = s->next)
		for (unsigned i = 0; i < CN_FS_HANDLES_MAX; i++) {
			const struct handle *h = &s->handles[i];

			if (h != self && h->kind == H_WATCH && strcmp(h->path, path) == 0)
				return true;
		}
	return false;
}

static void
release_handle(struct cn_fs_session *s, struct handle *h)
{
	const struct cn_fs_backend_ops *ops = s->srv->ops;

	if (h->kind == H_WATCH) {
		if (ops->unwatch && !watched_elsewhere(s->srv, h->path, h))
			ops->unwatch(s->srv->be, h->path);
		s->watches--;
	} else if (h->node) {
		ops->close(s->srv->be, h->node);
	}
	if (h->path)
		s->path_bytes -= strlen(h->path) + 1;
	free(h->path);
	*h = (struct handle){0};
}

/* Store an opened node as handle *slot; the node is closed on failure. */
static int
install(struct cn_fs_session *s, uint32_t slot, enum handle_kind kind, enum cn_fs_mode mode,
        void *node, const char *path, struct cn_rpc *rpc)
{
	size_t bytes = path ? strlen(path) + 1 : 0;
	char *copy = NULL;

	if (path && (s->path_bytes + bytes > CN_FS_PATH_BYTES_MAX || !(copy = strdup(path)))) {
		if (node)
			s->srv->ops->close(s->srv->be, node);
		return CN_ERR_OUT_OF_RAM;
	}
	s->path_bytes += bytes;
	s->handles[slot] = (struct handle){.kind = kind, .mode = mode, .node = node, .path = copy};
	cn_msg_put_u32(rpc->out, slot);
	return CN_OK;
}

static bool
mode_writes(enum cn_fs_mode mode)
{
	return mode & CN_FS_WRITE_ONLY;
}

/* --- RPCs ---------------------------------------------------------------- */

static int
op_tx(struct cn_fs_session *s, struct cn_rpc *rpc)
{
	int fd;

	if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	fd = dup(s->tx_cap);
	if (fd < 0)
		return -errno;
	cn_rpc_put_cap_owned(rpc, fd);
	cn_msg_put_u64(rpc->out, s->tx_size);
	cn_msg_put_cap(rpc->out, cn_sig_cap(s->sig));
	return CN_OK;
}

static int
op_tx_sigh(struct cn_fs_session *s, struct cn_rpc *rpc)
{
	if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
		return CN_ERR_BAD_MESSAGE;
	if (!s->attached) {
		if (cn_ps_sink_attach(&s->ps, s->tx_mem, s->tx_size) < 0) {
			report(s, R_STREAM, "inconsistent packet-stream layout");
			return CN_ERR_BAD_MESSAGE;
		}
		s->attached = true;
	}
	if (s->client_sigh >= 0)
		close(s->client_sigh);
	s->client_sigh = cn_msg_take_cap(rpc->in, 0);
	return CN_OK;
}

static int
op_file(struct cn_fs_session *s, struct cn_rpc *rpc, bool symlink)
{
	const struct cn_fs_backend_ops *ops = s->srv->ops;
	char name[CN_MSG_STR_MAX + 1], path[CN_FS_PATH_MAX];
	uint32_t dir, mode = CN_FS_STAT_ONLY, create, slot;
	struct handle *d;
	void *node;
	bool nul;
	int r;

	if (cn_msg_get_u32(rpc->in, &dir) < 0 || get_string(rpc->in, name, &nul) < 0 ||
	    (!symlink && cn_msg_get_u32(rpc->in, &mode) < 0) ||
	    cn_msg_get_u32(rpc->in, &create) < 0 || cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps ||
	    mode > CN_FS_READ_WRITE || create > 1)
		return CN_ERR_BAD_MESSAGE;
	if (symlink)
		mode = s->writeable ? CN_FS_READ_WRITE : CN_FS_READ_ONLY;
	if (!(d = lookup(s, dir, H_DIR)))
		return CN_ERR_INVALID_HANDLE;
	if ((r = check_name(name, nul)) < 0)
		return r;
	if (!s->writeable && (create || (!symlink && mode_writes(mode))))
		return CN_ERR_PERMISSION_DENIED;
	if ((r = child_path(d->path, name, path)) < 0 || (r = alloc_handle(s, &slot)) < 0)
		return r;
	r = ops->open(s->srv->be, path, symlink ? CN_FS_SYMLINK_NODE : CN_FS_CONTINUOUS_FILE,
	              (enum cn_fs_mode)mode, create, &node);
	if (r < 0)
		return r;
	return install(s, slot, symlink ? H_SYMLINK : H_FILE, (enum cn_fs_mode)mode, node, NULL,
	               rpc);
}

/* DIR, NODE and WATCH: a path argument */
static int
op_path(struct cn_fs_session *s, struct cn_rpc *rpc)
{
	const struct cn_fs_backend_ops *ops = s->srv->ops;
	char arg[CN_MSG_STR_MAX + 1], path[CN_FS_PATH_MAX];
	uint32_t create = 0, slot;
	void *node = NULL;
	bool nul;
	int r;

	if (get_string(rpc->in, arg, &nul) < 0 ||
	    (rpc->opcode == CN_FS_DIR && cn_msg_get_u32(rpc->in, &create) < 0) ||
	    cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps || create > 1)
		return CN_ERR_BAD_MESSAGE;
	r = session_path(s, arg, nul,
	                 rpc->opcode == CN_FS_DIR ? CN_ERR_NAME_TOO_LONG : CN_ERR_LOOKUP_FAILED,
	                 path);
	if (r < 0)
		return r;
	if (create && !s->writeable)
		return CN_ERR_PERMISSION_DENIED;
	if ((r = alloc_handle(s, &slot)) < 0)
		return r;
	switch (rpc->opcode) {
	case CN_FS_DIR:
		r = ops->open(s->srv->be, path, CN_FS_DIRECTORY,
		              s->writeable ? CN_FS_READ_WRITE : CN_FS_READ_ONLY, create, &node);
		return r < 0 ? r : install(s, slot, H_DIR, CN_FS_READ_ONLY, node, path, rpc);
	case CN_FS_NODE:
		r = ops->open(s->srv->be, path, -1, CN_FS_STAT_ONLY, false, &node);
		return r < 0 ? r : install(s, slot, H_NODE, CN_FS_STAT_ONLY, node, NULL, rpc);
	default: /* CN_FS_WATCH */
		if (!ops->watch)
			return CN_ERR_UNAVAILABLE;
		if (s->watches >= CN_FS_WATCHES_MAX)
			return CN_ERR_OUT_OF_RAM;
		r = ops->watch(s->srv->be, path);
		if (r < 0)
			return r;
		r = install(s, slot, H_WATCH, CN_FS_STAT_ONLY, NULL, path, rpc);
		if (r == 0)
			s->watches++;
		else if (ops->unwatch && !watched_elsewhere(s->srv, path, NULL))
			ops->unwatch(s->srv->be, path);
		return r;
	}
}

/* CLOSE, STATUS, CONTROL, NUM_ENTRIES, TRUNCATE: a handle argument */
static int
op_handle(struct cn_fs_session *s, struct cn_rpc *rpc)
{
	const struct cn_fs_backend_ops *ops = s->srv->ops;
	struct cn_fs_status st;
	struct handle *h;
	uint32_t value, count;
	uint64_t size = 0;
	int r;

	if (cn_msg_get_u32(rpc->in, &value) < 0 ||
	    (rpc->opcode == CN_FS_TRUNCATE && cn_msg_get_u64(rpc->in, &size) < 0) ||
	    cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	switch (rpc->opcode) {
	case CN_FS_CLOSE:
		if (!(h = lookup(s, value, H_FREE)))
			return CN_ERR_INVALID_HANDLE;
		release_handle(s, h);
		return CN_OK;
	case CN_FS_STATUS:
		if (!(h = lookup(s, value, H_FREE)) || h->kind == H_WATCH)
			return CN_ERR_INVALID_HANDLE;
		memset(&st, 0, sizeof(st));
		if ((r = ops->status(s->srv->be, h->node, &st)) < 0)
			return r;
		if (!s->writeable)
			st.rwx &= ~(uint32_t)CN_FS_RWX_W;
		cn_msg_put_u64(rpc->out, st.size);
		cn_msg_put_u32(rpc->out, st.type);
		cn_msg_put_u32(rpc->out, st.rwx);
		cn_msg_put_u64(rpc->out, st.inode);
		cn_msg_put_u64(rpc->out, st.mtime_ms);
		return CN_OK;
	case CN_FS_CONTROL:
		/* Genode's Control is empty: nothing to change */
		return lookup(s, value, H_FREE) ? CN_OK : CN_ERR_INVALID_HANDLE;
	case CN_FS_NUM_ENTRIES:
		if (!(h = lookup(s, value, H_DIR)))
			return CN_ERR_INVALID_HANDLE;
		if ((r = ops->num_entries(s->srv->be, h->node, &count)) < 0)
			return r;
		cn_msg_put_u32(rpc->out, count);
		return CN_OK;
	default: /* CN_FS_TRUNCATE */
		if (!(h = lookup(s, value, H_FILE)))
			return CN_ERR_INVALID_HANDLE;
		if (!s->writeable || !mode_writes(h->mode))
			return CN_ERR_PERMISSION_DENIED;
		return ops->truncate(s->srv->be, h->node, size);
	}
}

static int
op_unlink(struct cn_fs_session *s, struct cn_rpc *rpc)
{
	char name[CN_MSG_STR_MAX + 1], path[CN_FS_PATH_MAX];
	struct handle *d;
	uint32_t dir;
	bool nul;
	int r;

	if (cn_msg_get_u32(rpc->in, &dir) < 0 || get_string(rpc->in, name, &nul) < 0 ||
	    cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	if (!(d = lookup(s, dir, H_DIR)))
		return CN_ERR_INVALID_HANDLE;
	if ((r = check_name(name, nul)) < 0)
		return r;
	if (!s->writeable)
		return CN_ERR_PERMISSION_DENIED;
	if ((r = child_path(d->path, name, path)) < 0)
		return r;
	return s->srv->ops->unlink(s->srv->be, path);
}

static int
op_move(struct cn_fs_session *s, struct cn_rpc *rpc)
{
	char from[CN_MSG_STR_MAX + 1], to[CN_MSG_STR_MAX + 1];
	char from_path[CN_FS_PATH_MAX], to_path[CN_FS_PATH_MAX];
	struct handle *fd, *td;
	uint32_t from_dir, to_dir;
	bool from_nul, to_nul;
	int r;

	if (cn_msg_get_u32(rpc->in, &from_dir) < 0 || get_string(rpc->in, from, &from_nul) < 0 ||
	    cn_msg_get_u32(rpc->in, &to_dir) < 0 || get_string(rpc->in, to, &to_nul) < 0 ||
	    cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	if (!(fd = lookup(s, from_dir, H_DIR)) || !(td = lookup(s, to_dir, H_DIR)))
		return CN_ERR_INVALID_HANDLE;
	if ((r = check_name(from, from_nul)) < 0 || (r = check_name(to, to_nul)) < 0)
		return r;
	if (!s->writeable)
		return CN_ERR_PERMISSION_DENIED;
	if ((r = child_path(fd->path, from, from_path)) < 0 ||
	    (r = child_path(td->path, to, to_path)) < 0)
		return r;
	return s->srv->ops->move(s->srv->be, from_path, to_path);
}

static int
session_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct cn_fs_session *s = cn_obj_data(obj);
	int r;

	switch (rpc->opcode) {
	case CN_FS_TX:
		r = op_tx(s, rpc);
		break;
	case CN_FS_TX_SIGH:
		r = op_tx_sigh(s, rpc);
		break;
	case CN_FS_FILE:
	case CN_FS_SYMLINK:
		r = op_file(s, rpc, rpc->opcode == CN_FS_SYMLINK);
		break;
	case CN_FS_DIR:
	case CN_FS_NODE:
	case CN_FS_WATCH:
		r = op_path(s, rpc);
		break;
	case CN_FS_CLOSE:
	case CN_FS_STATUS:
	case CN_FS_CONTROL:
	case CN_FS_NUM_ENTRIES:
	case CN_FS_TRUNCATE:
		r = op_handle(s, rpc);
		break;
	case CN_FS_UNLINK:
		r = op_unlink(s, rpc);
		break;
	case CN_FS_MOVE:
		r = op_move(s, rpc);
		break;
	default:
		r = CN_ERR_INVALID_OPCODE;
	}
	if (r == CN_ERR_BAD_MESSAGE || r == CN_ERR_INVALID_OPCODE)
		report(s, R_REQUEST, "malformed File_system request");
	return r;
}

/* --- packets ------------------------------------------------------------- */

static uint64_t
read_dir(struct cn_fs_session *s, struct handle *h, uint64_t pos, uint8_t *buf, uint64_t len)
{
	struct cn_fs_dirent e;
	uint64_t index = pos / sizeof(e), done = 0;

	while (len - done >= sizeof(e)) {
		memset(&e, 0, sizeof(e));
		if (s->srv->ops->dirent(s->srv->be, h->node, index++, &e) < 0)
			break;
		e.name[CN_FS_NAME_MAX - 1] = 0;
		memcpy(buf + done, &e, sizeof(e));
		done += sizeof(e);
	}
	return done;
}

/* Carry out one packet; its status becomes the length done or FAILED. */
static void
handle_packet(struct cn_fs_session *s, struct cn_packet *p)
{
	const struct cn_fs_backend_ops *ops = s->srv->ops;
	uint32_t value = cn_fs_packet_handle(p);
	struct handle *h = lookup(s, value, H_FREE);
	uint64_t len = p->status;
	uint8_t *buf = cn_ps_payload(&s->ps, p);
	bool data = h && (h->kind == H_FILE || h->kind == H_SYMLINK);
	int64_t r = -1;

	p->status = CN_FS_PACKET_FAILED;
	if (!h || h->kind == H_WATCH || len > p->size)
		return;
	switch (cn_fs_packet_op(p)) {
	case CN_FS_READ:
		if (h->kind == H_DIR)
			r = (int64_t)read_dir(s, h, p->tag, buf, len);
		else if (data && (h->mode & CN_FS_READ_ONLY))
			r = ops->read(s->srv->be, h->node, p->tag, buf, len);
		break;
	case CN_FS_WRITE:
		if (data && s->writeable && mode_writes(h->mode))
			r = ops->write(s->srv->be, h->node, p->tag, buf, len);
		break;
	case CN_FS_WRITE_TIMESTAMP:
		if (h->kind != H_NODE && s->writeable)
			r = ops->set_mtime ? ops->set_mtime(s->srv->be, h->node, p->tag) : 0;
		break;
	case CN_FS_SYNC:
		r = ops->sync && h->kind != H_NODE ? ops->sync(s->srv->be, h->node) : 0;
		break;
	case CN_FS_READ_READY:
		r = 0; /* the backends here can always be read */
		break;
	default:
		break;
	}
	if (r >= 0 && (uint64_t)r <= len)
		p->status = (uint32_t)r;
}

static void
wake_client(struct cn_fs_session *s)
{
	if (s->client_sigh >= 0 && cn_signal_submit(s->client_sigh, 1) == CN_ERR_DEAD_OBJECT) {
		close(s->client_sigh);
		s->client_sigh = -1;
	}
}

/* Send the notifications that wait for room; whether any was sent. */
static bool
flush_notifications(struct cn_fs_session *s)
{
	bool sent = false;

	/* a backend may notify from within a packet's handling (a sync): the
	 * room left is that packet's, so the notification waits for it */
	if (!s->attached || s->broken || s->in_packet)
		return false;
	for (uint32_t i = 0; i < CN_FS_HANDLES_MAX; i++) {
		struct handle *h = &s->handles[i];
		struct cn_packet p = {.offset = 0, .size = 1};

		if (h->kind != H_WATCH || !h->pending)
			continue;
		p.opcode = cn_fs_packet_opcode(CN_FS_CONTENT_CHANGED, i);
		if (!cn_ps_ready_to_ack(&s->ps) || cn_ps_acknowledge(&s->ps, &p) < 0)
			break;
		h->pending = false;
		sent = true;
	}
	return sent;
}

static void
process(struct cn_fs_session *s)
{
	bool progress = flush_notifications(s);
	unsigned budget = CN_FS_PACKET_BATCH;
	struct cn_packet p;
	int r;

	if (!s->attached || s->broken)
		return;
	for (; budget && cn_ps_ready_to_ack(&s->ps); budget--) {
		r = cn_ps_get_packet(&s->ps, &p);
		if (r == -EAGAIN)
			break;
		progress = true;
		if (r < 0) {
			if (s->ps.broken) {
				s->broken = true;
				report(s, R_STREAM, "broken packet stream, stopped serving it");
				return;
			}
			report(s, R_PACKET, "packet descriptor outside the buffer");
			continue;
		}
		s->in_packet = true;
		handle_packet(s, &p);
		s->in_packet = false;
		if (cn_ps_acknowledge(&s->ps, &p) < 0) {
			s->broken = true;
			report(s, R_STREAM, "broken packet stream, stopped serving it");
			return;
		}
	}
	progress |= flush_notifications(s); /* those that came meanwhile */
	if (progress)
		wake_client(s);
	/* more waiting: continue in a later round, after the other clients */
	if (!budget && cn_ps_packet_avail(&s->ps))
		cn_signal_submit(cn_sig_cap(s->sig), 1);
}

static void
session_signal(void *data, uint32_t count)
{
	(void)count;
	process(data);
}

void
cn_fs_server_notify(struct cn_fs_server *srv, const char *path)
{
	if (!srv || !path)
		return;
	for (struct cn_fs_session *s = srv->sessions; s; s = s->next) {
		bool any = false;

		for (unsigned i = 0; i < CN_FS_HANDLES_MAX; i++) {
			struct handle *h = &s->handles[i];

			if (h->kind == H_WATCH && strcmp(h->path, path) == 0)
				h->pending = any = true;
		}
		if (any && flush_notifications(s))
			wake_client(s);
	}
}

/* --- server and sessions -------------------------------------------------- */

int
cn_fs_server_create(struct cn_ep *ep, const struct cn_fs_backend_ops *ops, void *be,
                    cn_fs_error_fn error, void *error_data, struct cn_fs_server **ret_srv)
{
	struct cn_fs_server *srv;

	if (!ep || !ops || !ops->open || !ops->close || !ops->status || !ops->read || !ops->write ||
	    !ops->dirent || !ops->num_entries || !ops->truncate || !ops->unlink || !ops->move ||
	    !ret_srv)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	*srv = (struct cn_fs_server){
	    .ep = ep, .ops = ops, .be = be, .error = error, .error_data = error_data};
	*ret_srv = srv;
	return 0;
}

void
cn_fs_server_destroy(struct cn_fs_server *srv)
{
	free(srv);
}

int
cn_fs_session_create(struct cn_fs_server *srv, const struct cn_fs_session_config *cfg,
                     struct cn_fs_session **ret_session)
{
	struct cn_fs_session *s;
	char root[CN_FS_PATH_MAX];
	int r;

	if (!srv || !cfg || !cfg->root || cfg->tx_cap < 0 || !cfg->tx_mem || !ret_session)
		return -EINVAL;
	if (cn_fs_path_join("/", cfg->root, root, sizeof(root)) < 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->srv = srv;
	snprintf(s->label, sizeof(s->label), "%s", cfg->label ? cfg->label : "");
	snprintf(s->root, sizeof(s->root), "%s", root);
	s->writeable = cfg->writeable;
	s->tx_cap = cfg->tx_cap;
	s->tx_mem = cfg->tx_mem;
	s->tx_size = cfg->tx_size;
	s->client_sigh = -1;
	r = cn_sig_create(srv->ep, session_signal, s, &s->sig);
	if (r == 0)
		r = cn_obj_create(srv->ep, session_dispatch, s, &s->obj);
	if (r < 0) {
		cn_sig_destroy(s->sig);
		free(s);
		return r;
	}
	s->next = srv->sessions;
	srv->sessions = s;
	*ret_session = s;
	return 0;
}

int
cn_fs_session_cap(const struct cn_fs_session *s)
{
	return cn_obj_cap(s->obj);
}

void
cn_fs_session_destroy(struct cn_fs_session *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < CN_FS_HANDLES_MAX; i++)
		if (s->handles[i].kind != H_FREE)
			release_handle(s, &s->handles[i]);
	for (struct cn_fs_session **p = &s->srv->sessions; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	cn_ps_release(&s->ps);
	if (s->client_sigh >= 0)
		close(s->client_sigh);
	cn_obj_destroy(s->obj);
	cn_sig_destroy(s->sig);
	free(s);
}
