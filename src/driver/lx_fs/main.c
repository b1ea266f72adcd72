/*
 * lx_fs: Genode's lx_fs, a host directory as the File_system service.
 *
 * The directory is not ours to choose: init's start node grants it with
 * <host_dir path="..." writeable="yes"/>, core opens it beneath its boot
 * directory and hands it over as fd CN_HOST_DIR_FD, and the sandbox
 * (src/base/sandbox.c) confines the process to what is beneath it. Every
 * lookup here goes through openat2 on that fd with RESOLVE_BENEATH,
 * RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS: a path that leaves the
 * directory, by "..", a symlink (absolute or relative) or a concurrent
 * rename, fails instead of resolving. Symlinks are nodes a client reads,
 * never followed by the server.
 *
 * Each session is confined to its policy's root (relative to the granted
 * directory) joined with its label's last element, writeable if the
 * policy, the client and the grant allow it. Host-side changes reach
 * watchers through inotify.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/policy.h>
#include <cairn/service.h>
#include <cairn/xml.h>

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum {
	DIR_ENTRIES_MAX = 65536, /* entries of one directory listed */
	WATCHED_PATHS_MAX = 256, /* distinct paths watched at once */
	INOTIFY_BUF = 16384,     /* bytes of events read at once */
	GETDENTS_BUF = 32768,
	SYMLINK_TARGET_MAX = CN_FS_PATH_MAX,
};

/* inotify events that change what a watcher sees (watches are on
 * directories: a file's watch is its directory's, filtered by name) */
#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |   \
	 IN_MOVE_SELF | IN_ONLYDIR)

/* what getdents64 returns */
struct host_dirent {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

struct lnode {
	int fd;               /* O_PATH (stat only, symlinks, nodes), a directory or a file */
	int kind;             /* what was asked for: enum cn_fs_node_type or -1 */
	char *path;           /* backend path, for notifications */
	bool pending_symlink; /* created, written on the first write */
	struct cn_fs_dirent *entries; /* directory: the listing of the last read from 0 */
	uint32_t count;
};

struct watched {
	char path[CN_FS_PATH_MAX];
	int wd; /* -1 once the kernel dropped it */
	bool dir;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_fs_server *server;
	bool writeable; /* the grant allows changes */
	int inotify_fd;
	struct cn_watch *inotify_watch;
	struct watched watched[WATCHED_PATHS_MAX];
	unsigned watched_count;
} state;

/* --- host access, always beneath the granted directory -------------------- */

static int
fs_error(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP: /* a symlink on the way: never followed */
	case EXDEV: /* the path left the directory (.., a race by rename) */
		return CN_ERR_LOOKUP_FAILED;
	case EEXIST:
		return CN_ERR_NODE_ALREADY_EXISTS;
	case ENOTEMPTY:
		return CN_ERR_NOT_EMPTY;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return CN_ERR_NO_SPACE;
	case ENAMETOOLONG:
		return CN_ERR_NAME_TOO_LONG;
	case EACCES:
	case EPERM:
	case EROFS:
	case EISDIR:
	case EBUSY:
		return CN_ERR_PERMISSION_DENIED;
	case ENOMEM:
		return CN_ERR_OUT_OF_RAM;
	default:
		return CN_ERR_UNAVAILABLE;
	}
}

/* A backend path ("/" or "/a/b") relative to the granted directory. */
static const char *
rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

/* Open path beneath the granted directory; -errno on failure. */
static int
host_open(const char *path, uint64_t flags, uint64_t mode)
{
	struct open_how how = {
	    .flags = flags | O_CLOEXEC,
	    .mode = mode,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, CN_HOST_DIR_FD, rel(path), &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* The directory of path (O_PATH) and the last element's name. */
static int
host_open_parent(const char *path, const char **ret_name)
{
	char dir[CN_FS_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len;

	if (!slash || !slash[1])
		return -EINVAL; /* "/" has no parent */
	len = (size_t)(slash - path);
	memcpy(dir, path, len);
	dir[len] = 0;
	*ret_name = slash + 1;
	return host_open(len ? dir : "/", O_PATH | O_DIRECTORY, 0);
}

static uint32_t
rwx_of(const struct stat *st)
{
	return (st->st_mode & S_IRUSR ? CN_FS_RWX_R : 0) |
	       (st->st_mode & S_IWUSR && state.writeable ? CN_FS_RWX_W : 0) |
	       (st->st_mode & S_IXUSR ? CN_FS_RWX_X : 0);
}

static int
type_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return CN_FS_DIRECTORY;
	if (S_ISLNK(mode))
		return CN_FS_SYMLINK_NODE;
	return CN_FS_CONTINUOUS_FILE;
}

/* --- directories ----------------------------------------------------------- */

static bool
dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* Read the listing of an open directory into n->entries. */
static int
list_dir(struct lnode *n)
{
	char *buf = malloc(GETDENTS_BUF);
	struct cn_fs_dirent *entries = NULL;
	uint32_t count = 0, cap = 0;
	int r = 0;

	if (!buf)
		return CN_ERR_OUT_OF_RAM;
	if (lseek(n->fd, 0, SEEK_SET) < 0)
		r = fs_error(errno);
	while (r == 0) {
		long len = syscall(SYS_getdents64, n->fd, buf, GETDENTS_BUF);

		if (len <= 0) {
			r = len < 0 ? fs_error(errno) : 0;
			break;
		}
		for (long off = 0; off < len && r == 0;) {
			struct host_dirent *d = (struct host_dirent *)(buf + off);
			struct stat st;

			off += d->reclen;
			if (dot_or_dotdot(d->name) || strlen(d->name) >= CN_FS_NAME_MAX ||
			    fstatat(n->fd, d->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue; /* not addressable, or gone meanwhile */
			if (count == DIR_ENTRIES_MAX)
				break;
			if (count == cap) {
				struct cn_fs_dirent *e;

				cap = cap ? cap * 2 : 32;
				if (!(e = realloc(entries, cap * sizeof(*e)))) {
					r = CN_ERR_OUT_OF_RAM;
					break;
				}
				entries = e;
			}
			memset(&entries[count], 0, sizeof(entries[count]));
			entries[count].inode = st.st_ino;
			entries[count].type = (uint32_t)type_of(st.st_mode);
			entries[count].rwx = rwx_of(&st);
			snprintf(entries[count].name, CN_FS_NAME_MAX, "%s", d->name);
			count++;
		}
		if (count == DIR_ENTRIES_MAX)
			break;
	}
	free(buf);
	if (r < 0) {
		free(entries);
		return r;
	}
	free(n->entries);
	n->entries = entries;
	n->count = count;
	return 0;
}

/* The number of entries of the directory at path. */
static int
count_entries(const char *path, uint32_t *ret)
{
	struct lnode tmp = {.fd = host_open(path, O_RDONLY | O_DIRECTORY, 0)};
	int r;

	if (tmp.fd < 0)
		return fs_error(-tmp.fd);
	r = list_dir(&tmp);
	close(tmp.fd);
	free(tmp.entries);
	*ret = tmp.count;
	return r;
}

/* --- the backend ---------------------------------------------------------- */

static int
open_flags(enum cn_fs_mode mode)
{
	switch (mode) {
	case CN_FS_READ_ONLY:
		return O_RDONLY;
	case CN_FS_WRITE_ONLY:
		return O_WRONLY;
	case CN_FS_READ_WRITE:
		return O_RDWR;
	default:
		return O_PATH;
	}
}

/* Open (or create) what path names; the fd of the node, or an error. */
static int
open_host_node(const char *path, int kind, enum cn_fs_mode mode, bool create)
{
	const int file_flags = O_NONBLOCK | O_NOCTTY; /* a FIFO must not block us */
	struct stat st;
	int fd, pfd, flags = open_flags(mode);
	const char *name;

	if (create && kind == CN_FS_DIRECTORY) {
		if ((pfd = host_open_parent(path, &name)) < 0)
			return fs_error(-pfd);
		fd = mkdirat(pfd, name, 0777) < 0 ? -errno : 0;
		close(pfd);
		if (fd < 0)
			return fs_error(-fd);
	}
	if (kind == CN_FS_DIRECTORY)
		fd = host_open(path, O_RDONLY | O_DIRECTORY, 0);
	else if (kind == CN_FS_SYMLINK_NODE || kind < 0)
		fd = host_open(path, O_PATH | O_NOFOLLOW, 0);
	else if (create)
		fd = host_open(path,
		               (flags == O_PATH ? O_RDONLY : flags) | O_CREAT | O_EXCL | file_flags,
		               0666);
	else if (flags == O_PATH)
		fd = host_open(path, O_PATH, 0); /* openat2 refuses O_PATH with other flags */
	else
		fd = host_open(path, flags | file_flags, 0);
	if (fd < 0)
		return fs_error(-fd);
	if (fstat(fd, &st) < 0 || (kind == CN_FS_SYMLINK_NODE && !S_ISLNK(st.st_mode)) ||
	    (kind == CN_FS_CONTINUOUS_FILE && !S_ISREG(st.st_mode))) {
		close(fd);
		return CN_ERR_LOOKUP_FAILED;
	}
	return fd;
}

static int
be_open(void *be, const char *path, int kind, enum cn_fs_mode mode, bool create, void **ret)
{
	struct lnode *n = calloc(1, sizeof(*n));
	const char *name;
	struct stat st;

	(void)be;
	if (!n || !(n->path = strdup(path))) {
		free(n);
		return CN_ERR_OUT_OF_RAM;
	}
	n->kind = kind;
	if (create && kind == CN_FS_SYMLINK_NODE) {
		/* the host symlink needs its target: it is made by the first
		 * write (as Genode's lx_fs does); until then the parent */
		n->fd = host_open_parent(path, &name);
		if (n->fd >= 0 && fstatat(n->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			close(n->fd);
			n->fd = -EEXIST;
		}
		n->fd = n->fd < 0 ? fs_error(-n->fd) : n->fd;
		n->pending_symlink = true;
	} else {
		n->fd = open_host_node(path, kind, mode, create);
	}
	if (n->fd < 0) {
		int r = n->fd;

		free(n->path);
		free(n);
		return r;
	}
	*ret = n;
	return 0;
}

static void
be_close(void *be, void *node)
{
	struct lnode *n = node;

	(void)be;
	close(n->fd);
	free(n->entries);
	free(n->path);
	free(n);
}

static int
be_status(void *be, void *node, struct cn_fs_status *ret)
{
	struct lnode *n = node;
	struct stat st;
	uint32_t count = 0;
	int r;

	(void)be;
	memset(ret, 0, sizeof(*ret));
	if (n->pending_symlink) {
		ret->type = CN_FS_SYMLINK_NODE;
		ret->rwx = CN_FS_RWX_R | CN_FS_RWX_W;
		return 0;
	}
	if (fstat(n->fd, &st) < 0)
		return fs_error(errno);
	ret->type = (uint32_t)type_of(st.st_mode);
	ret->rwx = rwx_of(&st);
	ret->inode = st.st_ino;
	ret->mtime_ms =
	    (uint64_t)st.st_mtim.tv_sec * 1000u + (uint64_t)st.st_mtim.tv_nsec / 1000000u;
	ret->size = (uint64_t)st.st_size;
	if (S_ISDIR(st.st_mode)) {
		if ((r = count_entries(n->path, &count)) < 0)
			return r;
		ret->size = count * (uint64_t)sizeof(struct cn_fs_dirent);
	}
	return 0;
}

static int64_t
be_read(void *be, void *node, uint64_t pos, void *buf, uint64_t len)
{
	struct lnode *n = node;
	struct stat st;
	ssize_t done;

	(void)be;
	if (n->pending_symlink)
		return 0;
	if (n->kind == CN_FS_SYMLINK_NODE) {
		char target[SYMLINK_TARGET_MAX];

		if (pos != 0 && pos != CN_FS_SEEK_TAIL)
			return 0;
		done = readlinkat(n->fd, "", target, sizeof(target));
		if (done < 0)
			return fs_error(errno);
		if ((uint64_t)done > len)
			done = (ssize_t)len;
		memcpy(buf, target, (size_t)done);
		return done;
	}
	if (pos == CN_FS_SEEK_TAIL) {
		if (fstat(n->fd, &st) < 0)
			return fs_error(errno);
		pos = (uint64_t)st.st_size > len ? (uint64_t)st.st_size - len : 0;
	}
	if (pos > INT64_MAX)
		return 0;
	done = pread(n->fd, buf, (size_t)len, (off_t)pos);
	return done < 0 ? fs_error(errno) : done;
}

/* A new symlink's first write: its target (no NUL inside). */
static int64_t
write_symlink(struct lnode *n, uint64_t pos, const void *buf, uint64_t len)
{
	char target[SYMLINK_TARGET_MAX];
	const char *name = strrchr(n->path, '/') + 1;
	int fd;

	if (pos != 0 || len == 0 || len >= sizeof(target) || memchr(buf, 0, (size_t)len))
		return CN_ERR_PERMISSION_DENIED;
	memcpy(target, buf, (size_t)len);
	target[len] = 0;
	if (symlinkat(target, n->fd, name) < 0)
		return fs_error(errno);
	fd = host_open(n->path, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return fs_error(-fd);
	close(n->fd);
	n->fd = fd;
	n->pending_symlink = false;
	return (int64_t)len;
}

static int64_t
be_write(void *be, void *node, uint64_t pos, const void *buf, uint64_t len)
{
	struct lnode *n = node;
	struct stat st;
	ssize_t done;

	(void)be;
	if (n->pending_symlink)
		return write_symlink(n, pos, buf, len);
	if (n->kind == CN_FS_SYMLINK_NODE)
		return CN_ERR_PERMISSION_DENIED; /* an existing link stays as it is */
	if (pos == CN_FS_SEEK_TAIL) {
		if (fstat(n->fd, &st) < 0)
			return fs_error(errno);
		pos = (uint64_t)st.st_size;
	}
	if (pos > INT64_MAX || len > INT64_MAX - pos)
		return CN_ERR_NO_SPACE;
	done = pwrite(n->fd, buf, (size_t)len, (off_t)pos);
	return done < 0 ? fs_error(errno) : done;
}

static int
be_dirent(void *be, void *node, uint64_t index, struct cn_fs_dirent *ret)
{
	struct lnode *n = node;
	int r;

	(void)be;
	/* a listing from the start sees the directory as it is now */
	if ((index == 0 || !n->entries) && (r = list_dir(n)) < 0)
		return r;
	if (index >= n->count)
		return CN_ERR_LOOKUP_FAILED;
	*ret = n->entries[index];
	return 0;
}

static int
be_num_entries(void *be, void *node, uint32_t *ret)
{
	struct lnode *n = node;
	int r = list_dir(n);

	(void)be;
	*ret = n->count;
	return r;
}

static int
be_truncate(void *be, void *node, uint64_t size)
{
	struct lnode *n = node;

	(void)be;
	if (n->kind != CN_FS_CONTINUOUS_FILE || size > INT64_MAX)
		return CN_ERR_PERMISSION_DENIED;
	return ftruncate(n->fd, (off_t)size) < 0 ? fs_error(errno) : 0;
}

static int
be_unlink(void *be, const char *path)
{
	const char *name;
	int pfd = host_open_parent(path, &name), r = 0;

	(void)be;
	if (pfd < 0)
		return pfd == -EINVAL ? CN_ERR_PERMISSION_DENIED : fs_error(-pfd);
	if (unlinkat(pfd, name, 0) < 0) {
		r = errno;
		/* a directory: Genode removes it if it is empty */
		if ((r == EISDIR || r == EPERM) && unlinkat(pfd, name, AT_REMOVEDIR) == 0)
			r = 0;
		else if (r == EISDIR || r == EPERM)
			r = errno == EEXIST ? ENOTEMPTY : errno;
	}
	close(pfd);
	return r ? fs_error(r) : 0;
}

static int
be_move(void *be, const char *from, const char *to)
{
	const char *from_name, *to_name;
	int from_dir = host_open_parent(from, &from_name), to_dir, r = 0;

	(void)be;
	if (from_dir < 0)
		return from_dir == -EINVAL ? CN_ERR_PERMISSION_DENIED : fs_error(-from_dir);
	to_dir = host_open_parent(to, &to_name);
	if (to_dir < 0)
		r = to_dir == -EINVAL ? EPERM : -to_dir;
	else if (renameat(from_dir, from_name, to_dir, to_name) < 0)
		r = errno;
	close(from_dir);
	if (to_dir >= 0)
		close(to_dir);
	return r ? fs_error(r) : 0;
}

static int
be_sync(void *be, void *node)
{
	struct lnode *n = node;

	(void)be;
	if (n->kind == CN_FS_CONTINUOUS_FILE && fdatasync(n->fd) < 0)
		return fs_error(errno);
	cn_fs_server_notify(state.server, n->path);
	return 0;
}

static int
be_set_mtime(void *be, void *node, uint64_t ms)
{
	struct lnode *n = node;
	struct timespec times[2] = {
	    {.tv_nsec = UTIME_OMIT},
	    {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000},
	};

	(void)be;
	if (n->kind != CN_FS_CONTINUOUS_FILE)
		return CN_ERR_PERMISSION_DENIED;
	return futimens(n->fd, times) < 0 ? fs_error(errno) : 0;
}

/* --- watches: inotify on the directory of each watched path ---------------- */

static struct watched *
find_watched(const char *path)
{
	for (unsigned i = 0; i < state.watched_count; i++)
		if (strcmp(state.watched[i].path, path) == 0)
			return &state.watched[i];
	return NULL;
}

static bool
wd_in_use(int wd)
{
	for (unsigned i = 0; i < state.watched_count; i++)
		if (state.watched[i].wd == wd)
			return true;
	return false;
}

static int
be_watch(void *be, const char *path)
{
	struct watched *w;
	struct stat st;
	int fd, wd;

	(void)be;
	if (find_watched(path))
		return 0;
	if (state.watched_count == WATCHED_PATHS_MAX || state.inotify_fd < 0)
		return CN_ERR_UNAVAILABLE;
	fd = host_open(path, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return fs_error(-fd);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return fs_error(errno);
	}
	if (!S_ISDIR(st.st_mode)) { /* a file: its directory, filtered by name */
		const char *name;

		close(fd);
		fd = host_open_parent(path, &name);
		if (fd < 0)
			return fs_error(-fd);
	}
	/* inotify takes a path, not a directory fd: the watched directory is
	 * made our working directory and watched as "." (nothing resolved) */
	wd = fchdir(fd) < 0 ? -1 : inotify_add_watch(state.inotify_fd, ".", WATCH_MASK);
	close(fd);
	if (wd < 0)
		return fs_error(errno);
	w = &state.watched[state.watched_count++];
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->wd = wd;
	w->dir = S_ISDIR(st.st_mode);
	return 0;
}

static void
be_unwatch(void *be, const char *path)
{
	struct watched *w = find_watched(path);
	int wd;

	(void)be;
	if (!w)
		return;
	wd = w->wd;
	*w = state.watched[--state.watched_count];
	if (wd >= 0 && !wd_in_use(wd))
		inotify_rm_watch(state.inotify_fd, wd);
}

/* The watched paths an event concerns get CONTENT_CHANGED; all of them
 * when events were lost. */
static void
host_event(const struct inotify_event *ev)
{
	char(*paths)[CN_FS_PATH_MAX] = malloc(sizeof(*paths) * WATCHED_PATHS_MAX);
	unsigned count = 0;

	if (!paths)
		return;
	for (unsigned i = 0; i < state.watched_count; i++) {
		struct watched *w = &state.watched[i];
		const char *base = strrchr(w->path, '/') + 1;

		if (w->wd != ev->wd && !(ev->mask & IN_Q_OVERFLOW))
			continue;
		if (w->wd == ev->wd && (ev->mask & IN_IGNORED))
			w->wd = -1; /* the directory is gone */
		if (w->dir || !ev->len || strcmp(ev->name, base) == 0)
			snprintf(paths[count++], CN_FS_PATH_MAX, "%s", w->path);
	}
	/* notify after the scan: a client may unwatch from its handler */
	for (unsigned i = 0; i < count; i++)
		cn_fs_server_notify(state.server, paths[i]);
	free(paths);
}

static void
inotify_ready(void *data, uint32_t events)
{
	char *buf = malloc(INOTIFY_BUF);
	ssize_t len;

	(void)data;
	(void)events;
	if (!buf)
		return;
	while ((len = read(state.inotify_fd, buf, INOTIFY_BUF)) > 0) {
		for (ssize_t off = 0; off < len;) {
			const struct inotify_event *ev = (const struct inotify_event *)(buf + off);

			off += (ssize_t)(sizeof(*ev) + ev->len);
			host_event(ev);
		}
	}
	free(buf);
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

/* --- File_system service --------------------------------------------------- */

static void
on_error(void *data, const char *label, const char *reason)
{
	(void)data;
	cn_error(state.env, "client '%s': %s", label, reason);
}

/* A session's root must be a directory; a writeable session's is created
 * when missing (Genode's lx_fs does so too). */
static int
ensure_root(const char *root, bool writeable)
{
	char path[CN_FS_PATH_MAX];
	int fd = host_open(root, O_PATH | O_DIRECTORY, 0);

	if (fd >= 0 || fd != -ENOENT || !writeable) {
		if (fd >= 0)
			close(fd);
		return fd < 0 ? fd : 0;
	}
	snprintf(path, sizeof(path), "%s", root);
	for (char *p = path + 1;; p++) {
		if (*p == '/' || !*p) {
			const char *name;
			char c = *p;
			int pfd;

			*p = 0;
			pfd = host_open_parent(path, &name);
			if (pfd < 0)
				return pfd;
			fd = mkdirat(pfd, name, 0777) < 0 && errno != EEXIST ? -errno : 0;
			close(pfd);
			if (fd < 0 || !c)
				return fd;
			*p = c;
		}
	}
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
	const char *grant = getenv(CN_HOST_DIR_ENV);
	int fd, r;

	state.env = env;
	state.inotify_fd = -1;
	if (!grant)
		cn_warning(env, "no host directory granted: my start node has no <host_dir>");
	state.writeable = grant && strcmp(grant, "rw") == 0;
	/* without a grant, this first host access is what the sandbox stops */
	fd = host_open("/", O_PATH | O_DIRECTORY, 0);
	if (fd < 0) {
		cn_error(env, "cannot access the granted host directory: %s", cn_strerror(fd));
		cn_exit(env, 2);
	}
	close(fd);
	state.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (state.inotify_fd < 0 || cn_ep_watch(env->ep, state.inotify_fd, EPOLLIN, inotify_ready,
	                                        NULL, &state.inotify_watch) < 0)
		cn_warning(env, "host changes are not watched: no inotify");
	r = cn_fs_server_create(env->ep, &backend, NULL, on_error, NULL, &state.server);
	if (r == 0)
		r = cn_fs_service_announce(env, state.server, state.writeable, ensure_root,
		                           refused);
	if (r < 0) {
		cn_error(env, "cannot announce the File_system service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
