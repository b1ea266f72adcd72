/*
 * vfs: Genode's VFS server. It builds a tree from the <vfs> node of its
 * config (<dir>, <ram/>, <rom>, <inline>, <log>, <null/>, <zero/>,
 * <import>, <fs/>: remote.c) and exports it as the File_system service, each session
 * confined to its policy's root joined with the sub-directory its label
 * ends with, writeable if the policy allows and the client asks.
 *
 * The tree is the backend of the base library's File_system server
 * (src/base/fs_server.c), which validates every request and packet.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/policy.h>
#include <cairn/rom.h>
#include <cairn/service.h>
#include <cairn/xml.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "remote.h"

enum {
	RAM_RESERVE = 512 << 10, /* of our RAM quota, kept for our own state */
	LOG_SESSION_RAM = 8192,
	LOG_SESSION_CAPS = 1,
	LOG_LINE_MAX = 1000,   /* bytes a <log> file buffers before it flushes */
	INLINE_MAX = 1 << 20,  /* bytes of one <inline> */
	CONTENT_MAX = 1 << 30, /* bytes of one ram file */
};

/* what a node created in ram costs of the ram file system's room */
#define NODE_COST (sizeof(struct vnode) + 64)

enum vkind { V_DIR, V_FILE, V_SYMLINK, V_ROM, V_INLINE, V_LOG, V_NULL, V_ZERO };

struct vnode {
	enum vkind kind;
	char name[CN_FS_NAME_MAX];
	struct vnode *parent, *children, *next;
	bool ram;      /* created in a ram file system: may be changed and removed */
	bool ram_dir;  /* a directory that takes new entries */
	uint8_t *data; /* file, symlink, inline: the content */
	size_t len, cap;
	struct cn_rom *rom;
	struct cn_sig *rom_sig;
	int log_cap;
	char *line; /* <log>: LOG_LINE_MAX + 1 bytes */
	size_t line_len;
	uint64_t inode, mtime_ms;
	struct remote *remote; /* <fs/>: the directory is the mount point */
	unsigned opens;
	bool unlinked; /* removed from the tree while open */
};

struct vopen {
	struct vnode *node;
	void *remote;  /* a node of a remote sub-tree (node is NULL then) */
	bool modified; /* written or truncated: watchers learn of it on close or sync */
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct vnode *root;
	struct cn_fs_server *server;
	uint64_t next_inode;
	uint64_t ram_used, ram_limit; /* bytes of ram-file content */
} state;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* --- the tree ------------------------------------------------------------- */

static struct vnode *
node_new(struct vnode *parent, enum vkind kind, const char *name)
{
	struct vnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->log_cap = -1;
	n->inode = ++state.next_inode;
	n->mtime_ms = now_ms();
	if (parent) {
		struct vnode **p = &parent->children;

		while (*p) /* keep the config's order */
			p = &(*p)->next;
		*p = n;
		n->parent = parent;
	}
	return n;
}

static struct vnode *
child(struct vnode *dir, const char *name, size_t len)
{
	for (struct vnode *c = dir->children; c; c = c->next)
		if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
			return c;
	return NULL;
}

/* Walk a normalised path from the root; if at_mount, stop at a mount
 * point whose static entries lack the next element. *ret_rest is what is
 * left of the path. */
static struct vnode *
walk(const char *path, bool at_mount, const char **ret_rest)
{
	struct vnode *n = state.root;
	const char *p = path;

	while (n && *p) {
		const char *elem, *slash = p;
		struct vnode *c;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		elem = p;
		while (*p && *p != '/')
			p++;
		c = n->kind == V_DIR ? child(n, elem, (size_t)(p - elem)) : NULL;
		if (at_mount && n->remote && !c) {
			p = slash;
			break;
		}
		n = c;
	}
	*ret_rest = p;
	return n;
}

/* The node at a normalised path, or NULL. */
static struct vnode *
lookup(const char *path)
{
	const char *rest;

	return walk(path, false, &rest);
}

/* The parent directory of path and the last element's name. */
static struct vnode *
lookup_parent(const char *path, const char **ret_name)
{
	char dir[CN_FS_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len;
	struct vnode *d;

	if (!slash || !slash[1])
		return NULL;
	len = (size_t)(slash - path);
	memcpy(dir, path, len);
	dir[len] = 0;
	d = lookup(len ? dir : "/");
	*ret_name = slash + 1;
	return d && d->kind == V_DIR ? d : NULL;
}

/* The mount point of a remote path, and the rest of the path below it;
 * NULL for a path of the vfs's own tree (the mount point itself and its
 * static entries are). */
static struct vnode *
mount_of(const char *path, char *rest)
{
	const char *p;
	struct vnode *n = walk(path, true, &p);

	if (!n || !n->remote || !*p)
		return NULL;
	snprintf(rest, CN_FS_PATH_MAX, "%s", p);
	return n;
}

/* A node of a remote sub-tree alone (not a mount point), or NULL. */
static void *
remote_only(const struct vopen *o)
{
	return o->node ? NULL : o->remote;
}

static void
node_path(const struct vnode *n, char *buf, size_t size)
{
	char tmp[CN_FS_PATH_MAX];

	buf[0] = 0;
	if (n == state.root || !n->parent) {
		snprintf(buf, size, "/");
		return;
	}
	for (; n && n != state.root; n = n->parent) {
		snprintf(tmp, sizeof(tmp), "/%s%s", n->name, buf);
		snprintf(buf, size, "%s", tmp);
	}
}

static void
notify(const struct vnode *n)
{
	char path[CN_FS_PATH_MAX];

	if (!state.server || n->unlinked)
		return;
	node_path(n, path, sizeof(path));
	cn_fs_server_notify(state.server, path);
}

/* The node belongs to the ram file system: it may change and go, and it
 * takes room there. */
static void
mark_ram(struct vnode *n, bool dir)
{
	if (!n->ram)
		state.ram_used += NODE_COST;
	n->ram = true;
	n->ram_dir = dir;
}

static void
detach(struct vnode *n)
{
	for (struct vnode **p = &n->parent->children; *p; p = &(*p)->next) {
		if (*p == n) {
			*p = n->next;
			break;
		}
	}
	n->next = NULL;
}

static void
node_free(struct vnode *n)
{
	if (n->kind == V_FILE || n->kind == V_SYMLINK)
		state.ram_used -= n->cap;
	if (n->ram)
		state.ram_used -= NODE_COST;
	free(n->data);
	free(n->line);
	free(n);
}

/* Make room for size bytes of a ram file's content. */
static int
reserve(struct vnode *n, uint64_t size)
{
	uint64_t cap = n->cap ? n->cap : 64;
	uint8_t *data;

	if (size <= n->cap)
		return 0;
	if (size > CONTENT_MAX)
		return CN_ERR_NO_SPACE;
	while (cap < size)
		cap *= 2;
	if (cap > CONTENT_MAX)
		cap = size;
	if (state.ram_used - n->cap + cap > state.ram_limit) {
		cap = size;
		if (state.ram_used - n->cap + cap > state.ram_limit)
			return CN_ERR_NO_SPACE;
	}
	if (!(data = realloc(n->data, (size_t)cap)))
		return CN_ERR_NO_SPACE;
	state.ram_used = state.ram_used - n->cap + cap;
	n->data = data;
	n->cap = (size_t)cap;
	return 0;
}

static int
set_content(struct vnode *n, const void *data, size_t len)
{
	int r = reserve(n, len);

	if (r == 0) {
		if (len)
			memcpy(n->data, data, len);
		n->len = len;
	}
	return r;
}

/* --- the backend ---------------------------------------------------------- */

static bool
is_file(const struct vnode *n)
{
	return n->kind != V_DIR && n->kind != V_SYMLINK;
}

static int
be_open(void *be, const char *path, int kind, enum cn_fs_mode mode, bool create, void **ret)
{
	struct vnode *n = lookup(path), *d;
	char rest[CN_FS_PATH_MAX];
	struct vopen *o;
	const char *name;
	int r;

	(void)be;
	if ((d = mount_of(path, rest)) != NULL) {
		if (!(o = calloc(1, sizeof(*o))))
			return CN_ERR_OUT_OF_RAM;
		if ((r = remote_open(d->remote, rest, kind, mode, create, &o->remote)) < 0) {
			free(o);
			return r;
		}
		*ret = o;
		return 0;
	}
	if (create) {
		if (n)
			return CN_ERR_NODE_ALREADY_EXISTS;
		if (!(d = lookup_parent(path, &name)))
			return CN_ERR_LOOKUP_FAILED;
		if (!d->ram_dir)
			return CN_ERR_PERMISSION_DENIED;
	} else if (!n) {
		return CN_ERR_LOOKUP_FAILED;
	} else if ((kind == CN_FS_DIRECTORY && n->kind != V_DIR) ||
	           (kind == CN_FS_SYMLINK_NODE && n->kind != V_SYMLINK) ||
	           (kind == CN_FS_CONTINUOUS_FILE && !is_file(n))) {
		return CN_ERR_LOOKUP_FAILED;
	} else if ((mode & CN_FS_WRITE_ONLY) && (n->kind == V_ROM || n->kind == V_INLINE)) {
		return CN_ERR_PERMISSION_DENIED;
	}
	if (create && state.ram_used + NODE_COST > state.ram_limit)
		return CN_ERR_NO_SPACE;
	if (!(o = calloc(1, sizeof(*o))))
		return CN_ERR_OUT_OF_RAM;
	if (create) {
		enum vkind k = kind == CN_FS_DIRECTORY      ? V_DIR
		               : kind == CN_FS_SYMLINK_NODE ? V_SYMLINK
		                                            : V_FILE;

		if (!(n = node_new(d, k, name))) {
			free(o);
			return CN_ERR_OUT_OF_RAM;
		}
		mark_ram(n, k == V_DIR);
		d->mtime_ms = n->mtime_ms;
		notify(d);
	}
	/* a mount point lists its static entries, then the remote root's;
	 * without static entries it is the remote root alone */
	if (n->remote &&
	    (r = remote_open(n->remote, "/", kind, CN_FS_READ_ONLY, false, &o->remote)) < 0 &&
	    !n->children) {
		free(o);
		return r;
	}
	n->opens++;
	o->node = n;
	*ret = o;
	return 0;
}

static void
be_close(void *be, void *node)
{
	struct vopen *o = node;
	struct vnode *n = o->node;

	(void)be;
	if (o->remote)
		remote_close(o->remote);
	if (!n) {
		free(o);
		return;
	}
	/* the directory learns of it too: a watcher of a file that was just
	 * created may still be watching its directory */
	if (o->modified) {
		notify(n);
		if (n->parent)
			notify(n->parent);
	}
	free(o);
	if (--n->opens == 0 && n->unlinked)
		node_free(n);
}

static uint32_t
count_entries(const struct vnode *d)
{
	uint32_t count = 0;

	for (const struct vnode *c = d->children; c; c = c->next)
		count++;
	return count;
}

static int
be_status(void *be, void *node, struct cn_fs_status *ret)
{
	struct vopen *o = node;
	struct vnode *n = o->node;

	(void)be;
	if (o->remote && remote_status(o->remote, ret) == 0) {
		if (n) /* a mount point: its static entries too */
			ret->size += count_entries(n) * (uint64_t)sizeof(struct cn_fs_dirent);
		return 0;
	}
	if (!n)
		return CN_ERR_UNAVAILABLE;
	ret->inode = n->inode;
	ret->mtime_ms = n->mtime_ms;
	ret->rwx = CN_FS_RWX_R | CN_FS_RWX_W;
	switch (n->kind) {
	case V_DIR:
		ret->type = CN_FS_DIRECTORY;
		ret->size = count_entries(n) * (uint64_t)sizeof(struct cn_fs_dirent);
		ret->rwx = n->ram_dir ? CN_FS_RWX_R | CN_FS_RWX_W | CN_FS_RWX_X
		                      : CN_FS_RWX_R | CN_FS_RWX_X;
		break;
	case V_SYMLINK:
		ret->type = CN_FS_SYMLINK_NODE;
		ret->size = n->len;
		break;
	case V_ROM:
		ret->type = CN_FS_TRANSACTIONAL_FILE;
		ret->size = n->rom ? cn_rom_size(n->rom) : 0;
		ret->rwx = CN_FS_RWX_R;
		break;
	case V_INLINE:
		ret->type = CN_FS_TRANSACTIONAL_FILE;
		ret->size = n->len;
		ret->rwx = CN_FS_RWX_R;
		break;
	case V_LOG:
		ret->type = CN_FS_CONTINUOUS_FILE;
		ret->size = 0;
		ret->rwx = CN_FS_RWX_W;
		break;
	default:
		ret->type = CN_FS_CONTINUOUS_FILE;
		ret->size = n->len;
		break;
	}
	return 0;
}

static int64_t
read_bytes(const void *data, size_t size, uint64_t pos, void *buf, uint64_t len)
{
	if (pos == CN_FS_SEEK_TAIL)
		pos = len > size ? 0 : size - len;
	if (pos >= size)
		return 0;
	if (len > size - pos)
		len = size - pos;
	memcpy(buf, (const uint8_t *)data + pos, (size_t)len);
	return (int64_t)len;
}

static int64_t
be_read(void *be, void *node, uint64_t pos, void *buf, uint64_t len)
{
	struct vnode *n = ((struct vopen *)node)->node;

	(void)be;
	if (remote_only(node))
		return remote_read(remote_only(node), pos, buf, len);
	switch (n->kind) {
	case V_ROM:
		return n->rom ? read_bytes(cn_rom_data(n->rom), cn_rom_size(n->rom), pos, buf, len)
		              : 0;
	case V_ZERO:
		memset(buf, 0, (size_t)len);
		return (int64_t)len;
	case V_NULL:
	case V_LOG:
		return 0;
	default:
		return read_bytes(n->data, n->len, pos, buf, len);
	}
}

static void
log_flush(struct vnode *n)
{
	if (!n->line)
		return;
	n->line[n->line_len] = 0;
	if (n->line_len)
		cn_log_write(n->log_cap >= 0 ? n->log_cap : state.env->log, n->line);
	n->line_len = 0;
}

/* <log>: whole lines go to the LOG session */
static void
log_append(struct vnode *n, const uint8_t *buf, uint64_t len)
{
	if (!n->line)
		return;
	for (uint64_t i = 0; i < len; i++) {
		char c = (char)buf[i];

		if (c == '\n') {
			log_flush(n);
			continue;
		}
		if (c == 0)
			c = '.';
		n->line[n->line_len++] = c;
		if (n->line_len == LOG_LINE_MAX)
			log_flush(n);
	}
}

static int64_t
be_write(void *be, void *node, uint64_t pos, const void *buf, uint64_t len)
{
	struct vopen *o = node;
	struct vnode *n = o->node;
	int r;

	(void)be;
	if (remote_only(o))
		return remote_write(o->remote, pos, buf, len);
	switch (n->kind) {
	case V_LOG:
		log_append(n, buf, len);
		return (int64_t)len;
	case V_NULL:
	case V_ZERO:
		return (int64_t)len;
	case V_FILE:
	case V_SYMLINK:
		break;
	default:
		return CN_ERR_PERMISSION_DENIED;
	}
	if (pos == CN_FS_SEEK_TAIL)
		pos = n->len;
	if (pos > CONTENT_MAX || len > CONTENT_MAX - pos)
		return CN_ERR_NO_SPACE;
	if ((r = reserve(n, pos + len)) < 0)
		return r;
	if (pos > n->len)
		memset(n->data + n->len, 0, (size_t)(pos - n->len));
	memcpy(n->data + pos, buf, (size_t)len);
	if (pos + len > n->len)
		n->len = (size_t)(pos + len);
	n->mtime_ms = now_ms();
	o->modified = true;
	return (int64_t)len;
}

static int
be_dirent(void *be, void *node, uint64_t index, struct cn_fs_dirent *ret)
{
	struct vnode *d = ((struct vopen *)node)->node, *c;
	struct cn_fs_status st;
	struct vopen tmp = {0};

	(void)be;
	if (remote_only(node))
		return remote_dirent(remote_only(node), index, ret);
	for (c = d->children; c && index; index--)
		c = c->next;
	if (!c && ((struct vopen *)node)->remote) /* a mount point: then the remote's */
		return remote_dirent(((struct vopen *)node)->remote, index, ret);
	if (!c)
		return CN_ERR_LOOKUP_FAILED;
	tmp.node = c;
	be_status(NULL, &tmp, &st);
	ret->inode = c->inode;
	ret->type = st.type;
	ret->rwx = st.rwx;
	snprintf(ret->name, sizeof(ret->name), "%s", c->name);
	return 0;
}

static int
be_num_entries(void *be, void *node, uint32_t *ret)
{
	struct vopen *o = node;
	uint32_t remote = 0;
	int r;

	(void)be;
	if (remote_only(o))
		return remote_num_entries(o->remote, ret);
	if (o->remote && (r = remote_num_entries(o->remote, &remote)) < 0)
		return r;
	*ret = count_entries(o->node) + remote;
	return 0;
}

static int
be_truncate(void *be, void *node, uint64_t size)
{
	struct vopen *o = node;
	struct vnode *n = o->node;
	int r;

	(void)be;
	if (remote_only(o))
		return remote_truncate(o->remote, size);
	if (n->kind == V_NULL || n->kind == V_ZERO || n->kind == V_LOG)
		return 0;
	if (n->kind != V_FILE)
		return CN_ERR_PERMISSION_DENIED;
	if (size > n->len) {
		if ((r = reserve(n, size)) < 0)
			return r;
		memset(n->data + n->len, 0, (size_t)(size - n->len));
	}
	n->len = (size_t)size;
	n->mtime_ms = now_ms();
	o->modified = true;
	return 0;
}

static int
be_unlink(void *be, const char *path)
{
	struct vnode *n = lookup(path), *d;
	char rest[CN_FS_PATH_MAX];

	(void)be;
	if ((d = mount_of(path, rest)) != NULL)
		return remote_unlink(d->remote, rest);
	if (!n)
		return CN_ERR_LOOKUP_FAILED;
	if (!n->ram || n == state.root)
		return CN_ERR_PERMISSION_DENIED;
	if (n->children)
		return CN_ERR_NOT_EMPTY;
	d = n->parent;
	notify(n);
	detach(n);
	d->mtime_ms = now_ms();
	notify(d);
	if (n->opens)
		n->unlinked = true;
	else
		node_free(n);
	return 0;
}

static int
be_move(void *be, const char *from, const char *to)
{
	struct vnode *n = lookup(from), *old = lookup(to), *d;
	char rest_from[CN_FS_PATH_MAX], rest_to[CN_FS_PATH_MAX];
	struct vnode *m_from = mount_of(from, rest_from), *m_to = mount_of(to, rest_to);
	const char *name;

	(void)be;
	if (m_from || m_to) {
		/* within one remote file system only */
		if (m_from != m_to)
			return CN_ERR_PERMISSION_DENIED;
		return remote_move(m_from->remote, rest_from, rest_to);
	}
	if (!n)
		return CN_ERR_LOOKUP_FAILED;
	if (!(d = lookup_parent(to, &name)))
		return CN_ERR_LOOKUP_FAILED;
	if (!n->ram || !d->ram_dir)
		return CN_ERR_PERMISSION_DENIED;
	if (old == n)
		return 0;
	for (struct vnode *a = d; a; a = a->parent)
		if (a == n) /* into its own sub-tree */
			return CN_ERR_PERMISSION_DENIED;
	if (old && (!old->ram || old->kind == V_DIR))
		return CN_ERR_PERMISSION_DENIED;
	if (old && be_unlink(be, to) < 0)
		return CN_ERR_PERMISSION_DENIED;
	notify(n->parent);
	detach(n);
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->parent = d;
	n->next = NULL;
	{
		struct vnode **p = &d->children;

		while (*p)
			p = &(*p)->next;
		*p = n;
	}
	notify(d);
	notify(n);
	return 0;
}

static int
be_watch(void *be, const char *path)
{
	char rest[CN_FS_PATH_MAX];
	struct vnode *m = mount_of(path, rest);

	int r;

	(void)be;
	if (m)
		return remote_watch(m->remote, rest, path);
	if (!(m = lookup(path)))
		return CN_ERR_LOOKUP_FAILED;
	/* a mount point: its remote root too (if it can) */
	if (m->remote && (r = remote_watch(m->remote, "/", path)) < 0 && !m->children)
		return r;
	return 0;
}

static void
be_unwatch(void *be, const char *path)
{
	char rest[CN_FS_PATH_MAX];
	struct vnode *m = mount_of(path, rest);

	(void)be;
	if (m || ((m = lookup(path)) && m->remote))
		remote_unwatch(m->remote, path);
}

static int
be_sync(void *be, void *node)
{
	struct vopen *o = node;

	(void)be;
	if (remote_only(o))
		return remote_sync(o->remote);
	if (o->node->kind == V_LOG)
		log_flush(o->node);
	if (o->modified)
		notify(o->node);
	o->modified = false;
	return 0;
}

static int
be_set_mtime(void *be, void *node, uint64_t ms)
{
	struct vnode *n = ((struct vopen *)node)->node;

	(void)be;
	if (remote_only(node))
		return remote_set_mtime(remote_only(node), ms);
	if (!n->ram)
		return CN_ERR_PERMISSION_DENIED;
	n->mtime_ms = ms;
	return 0;
}

static const struct cn_fs_backend_ops backend = {
    .open = be_open,
    .close = be_close,
    .status = be_status,
    .read = be_read,
    .write = be_write,
    .dirent = be_dirent,
    .num_entries = be_num_entries,
    .truncate = be_truncate,
    .unlink = be_unlink,
    .move = be_move,
    .watch = be_watch,
    .unwatch = be_unwatch,
    .sync = be_sync,
    .set_mtime = be_set_mtime,
};

/* --- building the tree from <vfs> ----------------------------------------- */

static void
rom_changed(void *data, uint32_t count)
{
	struct vnode *n = data;

	(void)count;
	if (cn_rom_update(n->rom) == 0) {
		n->mtime_ms = now_ms();
		notify(n);
	}
}

static int
attr_name(const struct cn_xml_node *x, const char *fallback, char *buf)
{
	if (cn_xml_attr_str(x, "name", buf, CN_FS_NAME_MAX) < 0) {
		if (!fallback) {
			cn_error(state.env, "<%.*s> without a valid name", (int)x->name_len,
			         x->name);
			return -EINVAL;
		}
		snprintf(buf, CN_FS_NAME_MAX, "%s", fallback);
	}
	if (!cn_fs_valid_name(buf)) {
		cn_error(state.env, "invalid name '%s' in <vfs>", buf);
		return -EINVAL;
	}
	return 0;
}

/* The content of an <inline> (entities decoded), or of a <rom> for <import>. */
static int
inline_content(const struct cn_xml_node *x, char **ret, size_t *ret_len)
{
	char *buf = malloc(x->content_len + 1);
	int r;

	if (!buf)
		return -ENOMEM;
	r = cn_xml_decode(x->content, x->content_len, buf, x->content_len + 1);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = strlen(buf);
	return 0;
}

static int build(struct vnode *dir, const struct cn_xml_node *vfs, bool import, bool overwrite);

static void
remote_changed(void *data, const char *path)
{
	(void)data;
	cn_fs_server_notify(state.server, path);
}

/* A directory with <fs/> may have static entries besides, not <ram/>. */
static int
check_mounts(const struct vnode *dir)
{
	if (dir->remote && dir->ram_dir) {
		char path[CN_FS_PATH_MAX];

		node_path(dir, path, sizeof(path));
		cn_error(state.env, "<fs> and <ram/> in one directory '%s' (not supported)", path);
		return -EINVAL;
	}
	for (const struct vnode *c = dir->children; c; c = c->next)
		if (c->kind == V_DIR && check_mounts(c) < 0)
			return -EINVAL;
	return 0;
}

/* A file node of the config; in an import, a ram copy of it. */
static int
add_file(struct vnode *dir, const struct cn_xml_node *x, enum vkind kind, const char *name,
         bool import, bool overwrite)
{
	struct vnode *n = child(dir, name, strlen(name));
	char label[CN_LABEL_MAX], *content = NULL;
	size_t len = 0;
	int r = 0;

	if (import) {
		if (n && (!overwrite || !n->ram || n->kind != V_FILE))
			return 0; /* Genode's import keeps what is there */
		if (kind == V_INLINE) {
			r = inline_content(x, &content, &len);
		} else if (kind == V_ROM) {
			struct cn_rom *rom;

			if (cn_xml_attr_str(x, "label", label, sizeof(label)) < 0)
				snprintf(label, sizeof(label), "%s", name);
			r = cn_rom_open(state.env, label, &rom);
			if (r == 0) {
				len = cn_rom_size(rom);
				content = malloc(len + 1);
				if (content)
					memcpy(content, cn_rom_data(rom), len);
				else
					r = -ENOMEM;
				cn_rom_close(rom);
			}
		}
		if (r == 0 && !n && !(n = node_new(dir, V_FILE, name)))
			r = -ENOMEM;
		if (r == 0) {
			mark_ram(n, false);
			r = set_content(n, content, len);
		}
		free(content);
		if (r < 0)
			cn_error(state.env, "cannot import '%s': %s", name, cn_strerror(r));
		return r;
	}
	if (n) {
		cn_error(state.env, "'%s' exists twice in <vfs>", name);
		return -EEXIST;
	}
	if (!(n = node_new(dir, kind, name)))
		return -ENOMEM;
	switch (kind) {
	case V_INLINE:
		r = inline_content(x, &content, &len);
		if (r == 0 && len > INLINE_MAX)
			r = -EFBIG;
		if (r == 0) {
			n->data = (uint8_t *)content;
			n->len = len;
		}
		break;
	case V_ROM:
		if (cn_xml_attr_str(x, "label", label, sizeof(label)) < 0)
			snprintf(label, sizeof(label), "%s", name);
		r = cn_rom_open(state.env, label, &n->rom);
		if (r < 0) {
			cn_warning(state.env, "ROM '%s' unavailable: %s", label, cn_strerror(r));
			n->rom = NULL;
			return 0;
		}
		if (cn_sig_create(state.env->ep, rom_changed, n, &n->rom_sig) == 0)
			cn_rom_sigh(n->rom, cn_sig_cap(n->rom_sig));
		break;
	case V_LOG:
		if (cn_xml_attr_str(x, "label", label, sizeof(label)) < 0)
			label[0] = 0;
		if (!(n->line = malloc(LOG_LINE_MAX + 1)))
			return -ENOMEM;
		{
			uint32_t id;

			r = cn_session_open(state.env, "LOG", label, LOG_SESSION_RAM,
			                    LOG_SESSION_CAPS, NULL, &n->log_cap, &id);
			if (r < 0)
				n->log_cap = -1; /* our own LOG then */
			r = 0;
		}
		break;
	default:
		break;
	}
	return r;
}

static int
build(struct vnode *dir, const struct cn_xml_node *vfs, bool import, bool overwrite)
{
	char name[CN_FS_NAME_MAX];
	int r = 0;

	for (const struct cn_xml_node *x = vfs->first_child; x && r == 0; x = x->next_sibling) {
		if (cn_xml_is(x, "dir")) {
			struct vnode *d;

			if ((r = attr_name(x, NULL, name)) < 0)
				break;
			d = child(dir, name, strlen(name));
			if (d && d->kind != V_DIR) {
				cn_error(state.env, "'%s' is not a directory", name);
				return -EEXIST;
			}
			if (!d && import && !dir->ram_dir)
				continue;
			if (!d) {
				if (!(d = node_new(dir, V_DIR, name)))
					return -ENOMEM;
				/* created in a ram file system: part of it */
				if (import || dir->ram_dir)
					mark_ram(d, true);
			}
			r = build(d, x, import, overwrite);
		} else if (cn_xml_is(x, "ram")) {
			dir->ram_dir = true;
		} else if (cn_xml_is(x, "fs") && !import) {
			if (dir->remote) {
				cn_error(state.env, "two <fs> in one directory");
				return -EINVAL;
			}
			r = remote_create(state.env, x, remote_changed, NULL, &dir->remote);
		} else if (cn_xml_is(x, "import")) {
			continue; /* after the tree is complete */
		} else if (cn_xml_is(x, "rom")) {
			if ((r = attr_name(x, NULL, name)) == 0)
				r = add_file(dir, x, V_ROM, name, import, overwrite);
		} else if (cn_xml_is(x, "inline")) {
			if ((r = attr_name(x, NULL, name)) == 0)
				r = add_file(dir, x, V_INLINE, name, import, overwrite);
		} else if (import) {
			cn_warning(state.env, "<%.*s> in <import> not supported", (int)x->name_len,
			           x->name);
		} else if (cn_xml_is(x, "log")) {
			if ((r = attr_name(x, "log", name)) == 0)
				r = add_file(dir, x, V_LOG, name, false, false);
		} else if (cn_xml_is(x, "null")) {
			if ((r = attr_name(x, "null", name)) == 0)
				r = add_file(dir, x, V_NULL, name, false, false);
		} else if (cn_xml_is(x, "zero")) {
			if ((r = attr_name(x, "zero", name)) == 0)
				r = add_file(dir, x, V_ZERO, name, false, false);
		} else {
			cn_warning(state.env, "VFS plugin '%.*s' not supported", (int)x->name_len,
			           x->name);
		}
	}
	return r;
}

/* <import> nodes anywhere in the tree: copy their content into ram. */
static int
run_imports(struct vnode *dir, const struct cn_xml_node *vfs)
{
	char name[CN_FS_NAME_MAX];
	int r = 0;

	for (const struct cn_xml_node *x = vfs->first_child; x && r == 0; x = x->next_sibling) {
		if (cn_xml_is(x, "import")) {
			bool overwrite = false;

			cn_xml_attr_bool(x, "overwrite", &overwrite);
			if (!dir->ram_dir) {
				cn_error(state.env, "<import> needs a writeable file system");
				return -EINVAL;
			}
			r = build(dir, x, true, overwrite);
		} else if (cn_xml_is(x, "dir") && attr_name(x, NULL, name) == 0) {
			r = run_imports(child(dir, name, strlen(name)), x);
		}
	}
	return r;
}

/* --- File_system service --------------------------------------------------- */

static void
on_error(void *data, const char *label, const char *reason)
{
	(void)data;
	cn_error(state.env, "client '%s': %s", label, reason);
}

/* A writeable session's root is created when it is missing (in ram). */
static int
ensure_root(const char *root, bool writeable)
{
	char path[CN_FS_PATH_MAX];
	struct vnode *n = state.root, *m = mount_of(root, path);

	if (m)
		return remote_ensure_dir(m->remote, path, writeable) < 0 ? -ENOENT : 0;
	if (lookup(root))
		return lookup(root)->kind == V_DIR ? 0 : -ENOTDIR;
	if (!writeable)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s", root);
	for (char *elem = strtok(path, "/"); elem; elem = strtok(NULL, "/")) {
		struct vnode *c = child(n, elem, strlen(elem));

		if (!c) {
			if (!n->ram_dir || !(c = node_new(n, V_DIR, elem)))
				return -EACCES;
			mark_ram(c, true);
		}
		if (c->kind != V_DIR)
			return -ENOTDIR;
		n = c;
	}
	return 0;
}

static void
refused(struct cn_env *env, const struct cn_fs_refusal *why)
{
	if (why->error)
		cn_error(env, "%s", why->text);
	else
		cn_warning(env, "%s", why->text);
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config = NULL, *vfs;
	struct cn_pd_quota quota;
	int r;

	state.env = env;
	if (cn_config(env, &config) < 0 || !(vfs = cn_xml_child(config, "vfs"))) {
		cn_error(env, "missing <vfs> configuration");
		cn_exit(env, 2);
	}
	if (cn_pd_quota(env->pd, &quota) == 0 && quota.ram_quota > quota.ram_used + RAM_RESERVE)
		state.ram_limit = quota.ram_quota - quota.ram_used - RAM_RESERVE;
	state.root = node_new(NULL, V_DIR, "");
	if (!state.root || build(state.root, vfs, false, false) < 0 ||
	    check_mounts(state.root) < 0 || run_imports(state.root, vfs) < 0) {
		cn_error(env, "invalid <vfs> configuration");
		cn_exit(env, 2);
	}
	r = cn_fs_server_create(env->ep, &backend, NULL, on_error, NULL, &state.server);
	if (r == 0)
		r = cn_fs_service_announce(env, state.server, true, ensure_root, refused);
	if (r < 0) {
		cn_error(env, "cannot announce the File_system service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
