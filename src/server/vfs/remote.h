/*
 * vfs's <fs/> plugin: a sub-tree served by a File_system session of
 * another server. The session is isolated (cn_fs_set_timeout): every
 * remote operation blocks the vfs, without dispatching its entrypoint,
 * until the remote server answered or timeout_ms passed; a timeout or the
 * remote server's end makes the sub-tree unavailable (CN_ERR_UNAVAILABLE)
 * while the rest of the vfs keeps serving.
 *
 * Paths given here are relative to the mount point ("rest", "/" for the
 * mount point itself, normalised); vfs paths (for notifications) are the
 * vfs's backend paths.
 */
#ifndef VFS_REMOTE_H
#define VFS_REMOTE_H

#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/xml.h>

struct remote;

/* changed(data, vfs_path) is called from the entrypoint, never in the
 * middle of a backend call, for each forwarded CONTENT_CHANGED. */
typedef void (*remote_changed_fn)(void *data, const char *vfs_path);

/* Open the session of <fs label buffer_size writeable timeout_ms/>. A
 * session that cannot be opened leaves an unavailable sub-tree (with a
 * warning); -EINVAL for a malformed node, -ENOMEM. */
int remote_create(struct cn_env *env, const struct cn_xml_node *x, remote_changed_fn changed,
                  void *data, struct remote **ret);

/* The backend ops (struct cn_fs_backend_ops) on the remote sub-tree. */
int remote_open(struct remote *r, const char *rest, int kind, enum cn_fs_mode mode, bool create,
                void **ret_node);
void remote_close(void *node);
int remote_status(void *node, struct cn_fs_status *ret);
int64_t remote_read(void *node, uint64_t pos, void *buf, uint64_t len);
int64_t remote_write(void *node, uint64_t pos, const void *buf, uint64_t len);
int remote_dirent(void *node, uint64_t index, struct cn_fs_dirent *ret);
int remote_num_entries(void *node, uint32_t *ret);
int remote_truncate(void *node, uint64_t size);
int remote_sync(void *node);
int remote_set_mtime(void *node, uint64_t ms);
int remote_unlink(struct remote *r, const char *rest);
int remote_move(struct remote *r, const char *from, const char *to);
/* Watch rest for the vfs's watchers of vfs_path; unwatch when the last
 * one is gone. */
int remote_watch(struct remote *r, const char *rest, const char *vfs_path);
void remote_unwatch(struct remote *r, const char *vfs_path);
/* A session root inside the sub-tree: 0 if rest is a directory there
 * (created if writeable and missing). */
int remote_ensure_dir(struct remote *r, const char *rest, bool writeable);

#endif
