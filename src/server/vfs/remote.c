/*
 * vfs's <fs/> plugin (see remote.h): each backend call on the sub-tree is
 * carried out through an isolated File_system session, one at a time.
 */
#include "remote.h"

#include <cairn/args.h>
#include <cairn/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	TIMEOUT_MS_DEFAULT = 5000, /* a remote op without answer for this long fails */
	TIMEOUT_MS_MAX = 600000,
	DIRENT_BATCH = 16, /* directory entries fetched per READ */
};

struct rwatch {
	char *vfs_path; /* NULL: free */
	uint32_t handle;
	bool pending; /* a CONTENT_CHANGED waits to be passed on */
};

struct remote {
	struct cn_env *env;
	char label[CN_LABEL_MAX];
	struct cn_fs *fs; /* NULL: the session could not be opened */
	bool warned;
	struct rwatch watches[CN_FS_WATCHES_MAX];
	struct cn_sig *notify_sig; /* passes CONTENT_CHANGED on from the entrypoint */
	remote_changed_fn changed;
	void *changed_data;
};

struct rnode {
	struct remote *r;
	uint32_t handle;
	struct cn_fs_dirent cache[DIRENT_BATCH]; /* entries first … first + count - 1 */
	uint64_t cache_first;
	unsigned cache_count;
};

/* A remote result as the vfs's: File_system errors pass, anything else
 * (a timeout, the server's end, a broken reply) is Unavailable, and a
 * session gone stale is reported once. */
static int
result(struct remote *r, int err)
{
	int stale = r->fs ? cn_fs_stale(r->fs) : 0;

	if (err >= 0)
		return err;
	if (stale && !r->warned) {
		r->warned = true;
		cn_warning(r->env, "file system '%s' unavailable: %s", r->label,
		           stale == -ETIMEDOUT ? "no answer in time" : cn_strerror(stale));
	}
	switch (err) {
	case CN_ERR_INVALID_NAME:
	case CN_ERR_LOOKUP_FAILED:
	case CN_ERR_NODE_ALREADY_EXISTS:
	case CN_ERR_NO_SPACE:
	case CN_ERR_NOT_EMPTY:
	case CN_ERR_PERMISSION_DENIED:
	case CN_ERR_NAME_TOO_LONG:
	case CN_ERR_OUT_OF_RAM:
	case CN_ERR_OUT_OF_CAPS:
		return err;
	default:
		return CN_ERR_UNAVAILABLE;
	}
}

/* "/a/b/name" -> "/a/b" and "name"; the mount point itself has no name. */
static int
split(const char *rest, char *dir, const char **ret_name)
{
	const char *slash = strrchr(rest, '/');
	size_t len;

	if (!slash || !slash[1])
		return CN_ERR_PERMISSION_DENIED; /* the mount point: a static node */
	len = (size_t)(slash - rest);
	memcpy(dir, rest, len);
	strcpy(dir + len, len ? "" : "/");
	*ret_name = slash + 1;
	return 0;
}

/* The directory of rest opened, and its last element. */
static int
open_parent(struct remote *r, const char *rest, uint32_t *ret_dir, const char **ret_name)
{
	char dir[CN_FS_PATH_MAX];
	int err;

	if (!r->fs)
		return CN_ERR_UNAVAILABLE;
	if ((err = split(rest, dir, ret_name)) < 0)
		return err;
	return cn_fs_dir(r->fs, dir, false, ret_dir);
}

static void
pass_changes(void *data, uint32_t count)
{
	struct remote *r = data;

	(void)count;
	for (unsigned i = 0; i < CN_FS_WATCHES_MAX; i++) {
		struct rwatch *w = &r->watches[i];

		if (w->vfs_path && w->pending) {
			w->pending = false;
			r->changed(r->changed_data, w->vfs_path);
		}
	}
}

/* From the fs client: after a transfer (inside a backend call) or from
 * the entrypoint; the vfs's watchers learn of it from the entrypoint. */
static void
remote_changed(void *data, uint32_t handle)
{
	struct remote *r = data;

	for (unsigned i = 0; i < CN_FS_WATCHES_MAX; i++) {
		struct rwatch *w = &r->watches[i];

		if (w->vfs_path && w->handle == handle && !w->pending) {
			w->pending = true;
			cn_signal_submit(cn_sig_cap(r->notify_sig), 1);
		}
	}
}

int
remote_create(struct cn_env *env, const struct cn_xml_node *x, remote_changed_fn changed,
              void *data, struct remote **ret)
{
	uint64_t buffer_size = CN_FS_TX_BUF_DEFAULT, timeout_ms = TIMEOUT_MS_DEFAULT;
	bool writeable = true;
	struct remote *r;
	int err;

	if (!(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	r->env = env;
	r->changed = changed;
	r->changed_data = data;
	if (cn_xml_attr_str(x, "label", r->label, sizeof(r->label)) == -ENOENT)
		strcpy(r->label, "/");
	if ((cn_xml_has_attr(x, "buffer_size") &&
	     (cn_xml_attr_u64(x, "buffer_size", &buffer_size) < 0 ||
	      buffer_size < CN_FS_TX_BUF_MIN || buffer_size > CN_FS_TX_BUF_MAX)) ||
	    (cn_xml_has_attr(x, "timeout_ms") &&
	     (cn_xml_attr_u64(x, "timeout_ms", &timeout_ms) < 0 || timeout_ms > TIMEOUT_MS_MAX)) ||
	    (cn_xml_has_attr(x, "writeable") && cn_xml_attr_bool(x, "writeable", &writeable) < 0)) {
		cn_error(env, "invalid <fs label=\"%s\"> attribute", r->label);
		free(r);
		return -EINVAL;
	}
	if ((err = cn_sig_create(env->ep, pass_changes, r, &r->notify_sig)) < 0) {
		free(r);
		return err;
	}
	err = cn_fs_open(env, r->label, (size_t)buffer_size, writeable, &r->fs);
	if (err == 0)
		err = cn_fs_set_timeout(r->fs, (int)timeout_ms);
	if (err < 0) {
		cn_warning(env, "file system '%s' unavailable: %s", r->label, cn_strerror(err));
		cn_fs_close(r->fs);
		r->fs = NULL;
		r->warned = true;
	} else {
		cn_fs_set_notify(r->fs, remote_changed, r);
	}
	*ret = r;
	return 0;
}

int
remote_open(struct remote *r, const char *rest, int kind, enum cn_fs_mode mode, bool create,
            void **ret_node)
{
	struct rnode *n;
	const char *name;
	uint32_t dir;
	int err;

	if (!r->fs)
		return CN_ERR_UNAVAILABLE;
	if (!(n = calloc(1, sizeof(*n))))
		return CN_ERR_OUT_OF_RAM;
	n->r = r;
	if (kind == CN_FS_DIRECTORY) {
		err = cn_fs_dir(r->fs, rest, create, &n->handle);
	} else if (kind < 0) {
		err = cn_fs_node(r->fs, rest, &n->handle);
	} else if ((err = open_parent(r, rest, &dir, &name)) == 0) {
		if (kind == CN_FS_SYMLINK_NODE)
			err = cn_fs_symlink(r->fs, dir, name, create, &n->handle);
		else
			err = cn_fs_file(r->fs, dir, name, mode, create, &n->handle);
		cn_fs_close_handle(r->fs, dir);
	} else if (err == CN_ERR_PERMISSION_DENIED) {
		err = CN_ERR_LOOKUP_FAILED; /* the mount point is no file */
	}
	if (err < 0) {
		free(n);
		return result(r, err);
	}
	*ret_node = n;
	return 0;
}

void
remote_close(void *node)
{
	struct rnode *n = node;

	if (n->r->fs)
		result(n->r, cn_fs_close_handle(n->r->fs, n->handle));
	free(n);
}

int
remote_status(void *node, struct cn_fs_status *ret)
{
	struct rnode *n = node;

	return result(n->r, cn_fs_status(n->r->fs, n->handle, ret));
}

int64_t
remote_read(void *node, uint64_t pos, void *buf, uint64_t len)
{
	struct rnode *n = node;
	size_t done = 0;
	int err = cn_fs_read(n->r->fs, n->handle, pos, buf, (size_t)len, &done);

	return err < 0 ? result(n->r, err) : (int64_t)done;
}

int64_t
remote_write(void *node, uint64_t pos, const void *buf, uint64_t len)
{
	struct rnode *n = node;
	int err = cn_fs_write(n->r->fs, n->handle, pos, buf, (size_t)len);

	return err < 0 ? result(n->r, err) : (int64_t)len;
}

int
remote_dirent(void *node, uint64_t index, struct cn_fs_dirent *ret)
{
	struct rnode *n = node;

	/* a listing starts at 0: fetch afresh then, and whenever it leaves
	 * the batch at hand */
	if (index == 0 || index < n->cache_first || index >= n->cache_first + n->cache_count) {
		size_t len = 0;
		int err;

		n->cache_count = 0;
		if (index > UINT64_MAX / sizeof(*ret))
			return CN_ERR_LOOKUP_FAILED;
		err = cn_fs_read(n->r->fs, n->handle, index * sizeof(*ret), n->cache,
		                 sizeof(n->cache), &len);
		if (err < 0)
			return result(n->r, err);
		n->cache_first = index;
		n->cache_count = (unsigned)(len / sizeof(*ret));
		if (!n->cache_count)
			return CN_ERR_LOOKUP_FAILED;
	}
	*ret = n->cache[index - n->cache_first];
	return 0;
}

int
remote_num_entries(void *node, uint32_t *ret)
{
	struct rnode *n = node;

	return result(n->r, cn_fs_num_entries(n->r->fs, n->handle, ret));
}

int
remote_truncate(void *node, uint64_t size)
{
	struct rnode *n = node;

	return result(n->r, cn_fs_truncate(n->r->fs, n->handle, size));
}

int
remote_sync(void *node)
{
	struct rnode *n = node;

	return result(n->r, cn_fs_sync(n->r->fs, n->handle));
}

int
remote_set_mtime(void *node, uint64_t ms)
{
	struct rnode *n = node;

	return result(n->r, cn_fs_write_timestamp(n->r->fs, n->handle, ms));
}

int
remote_unlink(struct remote *r, const char *rest)
{
	const char *name;
	uint32_t dir;
	int err = open_parent(r, rest, &dir, &name);

	if (err == 0) {
		err = cn_fs_unlink(r->fs, dir, name);
		cn_fs_close_handle(r->fs, dir);
	}
	return result(r, err);
}

int
remote_move(struct remote *r, const char *from, const char *to)
{
	const char *from_name, *to_name;
	uint32_t from_dir, to_dir;
	int err = open_parent(r, from, &from_dir, &from_name);

	if (err == 0) {
		err = open_parent(r, to, &to_dir, &to_name);
		if (err == 0) {
			err = cn_fs_move(r->fs, from_dir, from_name, to_dir, to_name);
			cn_fs_close_handle(r->fs, to_dir);
		}
		cn_fs_close_handle(r->fs, from_dir);
	}
	return result(r, err);
}

int
remote_watch(struct remote *r, const char *rest, const char *vfs_path)
{
	struct rwatch *free_slot = NULL;
	int err;

	if (!r->fs)
		return CN_ERR_UNAVAILABLE;
	for (unsigned i = 0; i < CN_FS_WATCHES_MAX; i++) {
		struct rwatch *w = &r->watches[i];

		if (w->vfs_path && strcmp(w->vfs_path, vfs_path) == 0)
			return 0; /* watched already for another watcher */
		if (!w->vfs_path && !free_slot)
			free_slot = w;
	}
	if (!free_slot)
		return CN_ERR_OUT_OF_RAM;
	if (!(free_slot->vfs_path = strdup(vfs_path)))
		return CN_ERR_OUT_OF_RAM;
	err = cn_fs_watch(r->fs, rest, &free_slot->handle);
	if (err < 0) {
		free(free_slot->vfs_path);
		free_slot->vfs_path = NULL;
		return result(r, err);
	}
	free_slot->pending = false;
	return 0;
}

void
remote_unwatch(struct remote *r, const char *vfs_path)
{
	for (unsigned i = 0; i < CN_FS_WATCHES_MAX; i++) {
		struct rwatch *w = &r->watches[i];

		if (w->vfs_path && strcmp(w->vfs_path, vfs_path) == 0) {
			if (r->fs)
				result(r, cn_fs_close_handle(r->fs, w->handle));
			free(w->vfs_path);
			*w = (struct rwatch){0};
			return;
		}
	}
}

int
remote_ensure_dir(struct remote *r, const char *rest, bool writeable)
{
	uint32_t dir;
	int err;

	if (!r->fs)
		return CN_ERR_UNAVAILABLE;
	err = cn_fs_dir(r->fs, rest, false, &dir);
	if (err == CN_ERR_LOOKUP_FAILED && writeable)
		err = cn_fs_dir(r->fs, rest, true, &dir);
	if (err == 0)
		cn_fs_close_handle(r->fs, dir);
	return result(r, err);
}
