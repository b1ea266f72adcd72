/*
 * File_system session (Genode's file_system_session.h): handles for files,
 * directories, symlinks, plain nodes and watches, RPCs that open, create,
 * stat and rearrange nodes, and a packet stream (tx, the client is the
 * source) that carries the data: READ, WRITE, WRITE_TIMESTAMP, SYNC and
 * READ_READY from the client, CONTENT_CHANGED from the server.
 *
 * The server allocates the tx dataspace (session argument tx_buf_size,
 * paid by the ram_quota donation) and hands it out with CN_FS_TX; the
 * client lays the stream out (cn_ps_source_init) and starts it with
 * CN_FS_TX_SIGH, at which point the server attaches and checks the layout.
 * The wire format is in docs/PROTOCOL.md, section "File_system session".
 *
 * Client: cn_fs_open()/cn_fs_attach() and the calls below. Server:
 * cn_fs_server_create() with a backend ops table (struct cn_fs_backend_ops)
 * does all request and packet validation; the backend only sees
 * normalised absolute paths and the nodes it opened itself.
 */
#ifndef CAIRN_FS_H
#define CAIRN_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/packet_stream.h>
#include <cairn/wire.h>

enum cn_fs_op {
	CN_FS_TX = 1,      /* -> cap ds (rw), u64 ds size, cap server signal */
	CN_FS_TX_SIGH,     /* cap client signal: starts the stream */
	CN_FS_FILE,        /* u32 dir, str name, u32 mode, u32 create -> u32 file */
	CN_FS_SYMLINK,     /* u32 dir, str name, u32 create -> u32 symlink */
	CN_FS_DIR,         /* str path, u32 create -> u32 dir */
	CN_FS_NODE,        /* str path -> u32 node */
	CN_FS_WATCH,       /* str path -> u32 watch */
	CN_FS_CLOSE,       /* u32 handle */
	CN_FS_STATUS,      /* u32 handle -> u64 size, u32 type, u32 rwx, u64 inode, u64 mtime */
	CN_FS_CONTROL,     /* u32 handle */
	CN_FS_UNLINK,      /* u32 dir, str name */
	CN_FS_TRUNCATE,    /* u32 file, u64 size */
	CN_FS_MOVE,        /* u32 from dir, str from, u32 to dir, str to */
	CN_FS_NUM_ENTRIES, /* u32 dir -> u32 count */
};

/* Genode's exceptions as result codes (Out_of_ram and Out_of_caps are
 * CN_ERR_OUT_OF_RAM and CN_ERR_OUT_OF_CAPS). */
enum {
	CN_ERR_INVALID_HANDLE = -EBADF,
	CN_ERR_INVALID_NAME = -EILSEQ,
	CN_ERR_LOOKUP_FAILED = -ENOENT,
	CN_ERR_NODE_ALREADY_EXISTS = -EEXIST,
	CN_ERR_NO_SPACE = -ENOSPC,
	CN_ERR_NOT_EMPTY = -ENOTEMPTY,
	CN_ERR_PERMISSION_DENIED = -EPERM,
	CN_ERR_UNAVAILABLE = -ESTALE,
	CN_ERR_NAME_TOO_LONG = -ENAMETOOLONG,
};

/* Packet opcodes (low 8 bits of cn_packet.opcode). */
enum cn_fs_packet_op {
	CN_FS_READ = 0,
	CN_FS_WRITE,
	CN_FS_WRITE_TIMESTAMP,
	CN_FS_CONTENT_CHANGED,
	CN_FS_READ_READY,
	CN_FS_SYNC,
};

enum cn_fs_mode {
	CN_FS_STAT_ONLY = 0,
	CN_FS_READ_ONLY = 1,
	CN_FS_WRITE_ONLY = 2,
	CN_FS_READ_WRITE = 3,
};

enum cn_fs_node_type {
	CN_FS_DIRECTORY = 0,
	CN_FS_SYMLINK_NODE,
	CN_FS_CONTINUOUS_FILE,
	CN_FS_TRANSACTIONAL_FILE,
};

enum {
	CN_FS_RWX_R = 1,
	CN_FS_RWX_W = 2,
	CN_FS_RWX_X = 4,
};

enum {
	CN_FS_NAME_MAX = 128,     /* bytes of a name incl. NUL (Genode's MAX_NAME_LEN) */
	CN_FS_PATH_MAX = 1024,    /* bytes of a path incl. NUL (Genode's MAX_PATH_LEN) */
	CN_FS_TX_QUEUE_SIZE = 32, /* descriptors per queue the client lays out */
	CN_FS_TX_BUF_MIN = 4096,
	CN_FS_TX_BUF_MAX = 64 << 20, /* bytes of payload (session argument tx_buf_size) */
	CN_FS_TX_BUF_DEFAULT = 128 << 10,
	CN_FS_HANDLES_MAX = 128,      /* open handles of all kinds per session */
	CN_FS_WATCHES_MAX = 32,       /* of which watches */
	CN_FS_PACKET_BATCH = 64,      /* packets a server handles per session and round */
	CN_FS_PATH_BYTES_MAX = 16384, /* bytes of paths a session's handles keep */
	/* donation on top of the tx dataspace: the session's state and paths */
	CN_FS_SESSION_RAM = 32768,
	CN_FS_SESSION_CAPS = 4, /* session object, tx dataspace, signal, spare */
};

#define CN_FS_SEEK_TAIL     UINT64_MAX /* position: the end of the file */
#define CN_FS_PACKET_FAILED UINT32_MAX /* ack status of a failed packet */

/*
 * A File_system packet in the generic descriptor:
 *   offset, size  the payload buffer (size >= 1);
 *   opcode        bits 0-7 the cn_fs_packet_op, bits 8-31 the handle;
 *   tag           READ/WRITE: position (CN_FS_SEEK_TAIL: the end of the
 *                 file); WRITE_TIMESTAMP: ms since 1970;
 *   status        submitted: the length (<= size); acknowledged: the
 *                 length done, or CN_FS_PACKET_FAILED.
 * CONTENT_CHANGED arrives as an acknowledgement the client never
 * submitted, with offset 0 and size 1: the client must not free it.
 */
static inline uint32_t
cn_fs_packet_opcode(enum cn_fs_packet_op op, uint32_t handle)
{
	return (uint32_t)op | handle << 8;
}

static inline enum cn_fs_packet_op
cn_fs_packet_op(const struct cn_packet *p)
{
	return (enum cn_fs_packet_op)(p->opcode & 0xff);
}

static inline uint32_t
cn_fs_packet_handle(const struct cn_packet *p)
{
	return p->opcode >> 8;
}

struct cn_fs_status {
	uint64_t size; /* directories: entries * sizeof(struct cn_fs_dirent) */
	uint32_t type; /* enum cn_fs_node_type */
	uint32_t rwx;  /* CN_FS_RWX_* */
	uint64_t inode;
	uint64_t mtime_ms; /* ms since 1970 */
};

/* What a READ on a directory handle returns: whole entries, entry i at
 * position i * sizeof(struct cn_fs_dirent); an ack of length 0 is the end. */
struct cn_fs_dirent {
	uint64_t inode;
	uint32_t type;
	uint32_t rwx;
	char name[CN_FS_NAME_MAX]; /* NUL-terminated, NUL-padded */
};

_Static_assert(sizeof(struct cn_fs_dirent) == 144, "wire layout of a directory entry");

/* The ram_quota a session with this tx buffer needs. */
static inline uint64_t
cn_fs_session_ram(uint64_t tx_buf_size)
{
	return CN_FS_SESSION_RAM + cn_ps_dataspace_size(CN_FS_TX_QUEUE_SIZE, tx_buf_size);
}

/* --- client -------------------------------------------------------------- */

struct cn_env;
struct cn_ep;
struct cn_fs;

/*
 * Open File_system session `label` (its last element is the sub-directory
 * the client asks for, e.g. "/" or "/data", as since Genode 25.02) with a
 * tx buffer of tx_buf_size bytes (0: CN_FS_TX_BUF_DEFAULT) and start its
 * packet stream. writeable asks for write access (the policy decides).
 */
int cn_fs_open(struct cn_env *env, const char *label, size_t tx_buf_size, bool writeable,
               struct cn_fs **ret_fs);
/* Use an already open session capability (borrowed) served elsewhere, as
 * tests do; the stream is started as by cn_fs_open. */
int cn_fs_attach(struct cn_ep *ep, int session_cap, struct cn_fs **ret_fs);
void cn_fs_close(struct cn_fs *fs); /* NULL is ok */

int cn_fs_file(struct cn_fs *fs, uint32_t dir, const char *name, enum cn_fs_mode mode, bool create,
               uint32_t *ret_handle);
int cn_fs_symlink(struct cn_fs *fs, uint32_t dir, const char *name, bool create,
                  uint32_t *ret_handle);
int cn_fs_dir(struct cn_fs *fs, const char *path, bool create, uint32_t *ret_handle);
int cn_fs_node(struct cn_fs *fs, const char *path, uint32_t *ret_handle);
int cn_fs_watch(struct cn_fs *fs, const char *path, uint32_t *ret_handle);
int cn_fs_close_handle(struct cn_fs *fs, uint32_t handle);
int cn_fs_status(struct cn_fs *fs, uint32_t handle, struct cn_fs_status *ret_status);
int cn_fs_control(struct cn_fs *fs, uint32_t handle);
int cn_fs_unlink(struct cn_fs *fs, uint32_t dir, const char *name);
int cn_fs_truncate(struct cn_fs *fs, uint32_t file, uint64_t size);
int cn_fs_move(struct cn_fs *fs, uint32_t from_dir, const char *from, uint32_t to_dir,
               const char *to);
int cn_fs_num_entries(struct cn_fs *fs, uint32_t dir, uint32_t *ret_count);

/*
 * Isolate the session, for a client that is itself a server and must not
 * run other requests in the middle of one (vfs's <fs/>): from now on its
 * calls never dispatch the entrypoint. Each RPC, and each wait for a
 * packet acknowledgement, waits at most timeout_ms; the only handler that
 * runs meanwhile is this session's own signal (acknowledgements; the
 * notify function is called after the transfer, outside of it). A
 * timeout, or the server's end, makes the session stale: that call
 * returns -ETIMEDOUT, CN_ERR_DEAD_OBJECT or CN_ERR_NO_REPLY, every later
 * one CN_ERR_UNAVAILABLE at once (the server's state is unknown: a late
 * reply is dropped). timeout_ms -1 (the default) restores waiting forever
 * with the entrypoint dispatched.
 */
int cn_fs_set_timeout(struct cn_fs *fs, int timeout_ms);
/* 0, or the error that made an isolated session stale. */
int cn_fs_stale(const struct cn_fs *fs);

/*
 * Blocking transfers through the packet stream (the entrypoint is
 * dispatched while waiting, so other handlers may run meanwhile, unless
 * the session is isolated, see cn_fs_set_timeout). A
 * transfer that fits into half the tx buffer is one packet; a larger one
 * goes as packets of an eighth of the buffer but at most 64 KiB (more in
 * flight with a buffer above 512 KiB, up to 32). A read returns
 * fewer bytes at the end of the file; a failed packet (e.g. no space) is
 * CN_ERR_UNAVAILABLE, a short write CN_ERR_NO_SPACE. One transfer at a
 * time: -EBUSY if a handler calls in while one is in progress.
 */
int cn_fs_read(struct cn_fs *fs, uint32_t handle, uint64_t pos, void *buf, size_t len,
               size_t *ret_len);
int cn_fs_write(struct cn_fs *fs, uint32_t handle, uint64_t pos, const void *buf, size_t len);
int cn_fs_sync(struct cn_fs *fs, uint32_t handle);
int cn_fs_write_timestamp(struct cn_fs *fs, uint32_t handle, uint64_t ms_since_1970);
/* Read a whole file (at most max bytes) into a fresh buffer (free() it),
 * NUL-terminated for convenience. */
int cn_fs_read_all(struct cn_fs *fs, const char *path, size_t max, char **ret_buf, size_t *ret_len);
/* Create or replace a whole file (its directory must exist). */
int cn_fs_write_all(struct cn_fs *fs, const char *path, const void *data, size_t len);

/* Called for each CONTENT_CHANGED with the watch handle, from the
 * entrypoint, never while a transfer of this session is in progress. */
void cn_fs_set_notify(struct cn_fs *fs, void (*fn)(void *data, uint32_t watch), void *data);

/* The raw stream, for clients that keep several packets in flight: submit
 * with cn_ps_submit, then cn_fs_tx_wakeup(); acknowledgements arrive with
 * the signal given to cn_fs_tx_raw (the library no longer drains them). */
struct cn_ps *cn_fs_tx_raw(struct cn_fs *fs, int sig_cap);
int cn_fs_tx_wakeup(struct cn_fs *fs);
int cn_fs_cap(const struct cn_fs *fs);

/* --- server -------------------------------------------------------------- */

/*
 * A backend: the file system a server exports (vfs's tree, lx_fs's host
 * directory). Contract:
 *
 * - Paths are absolute and normalised within the backend: "/" or "/a/b",
 *   no empty, "." or ".." element, no trailing '/', shorter than
 *   CN_FS_PATH_MAX; names are valid (no '/', not "." or ".."). The
 *   session's policy root is already prepended, so a backend never sees a
 *   path outside the root it was configured with.
 * - The server checks write permission (the policy's writeable and the
 *   handle's mode) before it calls open with create or a writing mode,
 *   write, truncate, unlink, move and set_mtime; a backend may still
 *   refuse (CN_ERR_PERMISSION_DENIED) for its read-only nodes.
 * - open returns an opaque node per open (like a file description) that
 *   the server passes back until close; it never passes a node of one
 *   kind to an op of another. kind is CN_FS_DIRECTORY, CN_FS_SYMLINK_NODE,
 *   a file type (CN_FS_CONTINUOUS_FILE: any file), or -1 for any node
 *   (node(), stat only). A node of another kind than asked for is
 *   CN_ERR_LOOKUP_FAILED; create on an existing node is
 *   CN_ERR_NODE_ALREADY_EXISTS; a missing parent CN_ERR_LOOKUP_FAILED.
 * - Results are 0 (or a byte count) or one of Genode's errors above;
 *   read/write return bytes done (a read of 0 is the end of the file);
 *   position CN_FS_SEEK_TAIL means the end of the file.
 * - dirent fills entry `index` of a directory (CN_ERR_LOOKUP_FAILED past
 *   the end).
 * - Changes: the backend calls cn_fs_server_notify() with the path of
 *   every node whose content changed (a file after a write is complete,
 *   i.e. on close of a handle that wrote, on sync or truncate; a directory
 *   when an entry was added, removed or renamed) — also for changes from
 *   outside (lx_fs: inotify). watch (optional: NULL means watches are
 *   CN_ERR_UNAVAILABLE) is called when a client starts watching an
 *   existing path and unwatch when the last watch of that path is closed.
 * - Ops may be NULL where noted; every call is made from the entrypoint.
 */
struct cn_fs_backend_ops {
	int (*open)(void *be, const char *path, int kind, enum cn_fs_mode mode, bool create,
	            void **ret_node);
	void (*close)(void *be, void *node);
	int (*status)(void *be, void *node, struct cn_fs_status *ret);
	int64_t (*read)(void *be, void *node, uint64_t pos, void *buf, uint64_t len);
	int64_t (*write)(void *be, void *node, uint64_t pos, const void *buf, uint64_t len);
	int (*dirent)(void *be, void *node, uint64_t index, struct cn_fs_dirent *ret);
	int (*num_entries)(void *be, void *node, uint32_t *ret);
	int (*truncate)(void *be, void *node, uint64_t size);
	int (*unlink)(void *be, const char *path);
	int (*move)(void *be, const char *from, const char *to);
	int (*watch)(void *be, const char *path);                       /* optional */
	void (*unwatch)(void *be, const char *path);                    /* optional */
	int (*sync)(void *be, void *node);                              /* optional */
	int (*set_mtime)(void *be, void *node, uint64_t ms_since_1970); /* optional */
};

struct cn_fs_server;
struct cn_fs_session;

/* Malformed requests and packets: called with the session's label and a
 * short reason, at most once per session and kind; the component logs. */
typedef void (*cn_fs_error_fn)(void *data, const char *label, const char *reason);

int cn_fs_server_create(struct cn_ep *ep, const struct cn_fs_backend_ops *ops, void *be,
                        cn_fs_error_fn error, void *error_data, struct cn_fs_server **ret_srv);
void cn_fs_server_destroy(struct cn_fs_server *srv); /* sessions must be gone */

/* Tell watchers of path (normalised, backend-absolute) that it changed. */
void cn_fs_server_notify(struct cn_fs_server *srv, const char *path);

struct cn_fs_session_config {
	const char *label; /* for error reports */
	const char *root;  /* backend path of the session's "/": "/" or normalised "/a/b" */
	bool writeable;
	/* The tx dataspace, allocated (zeroed) and attached writable by the
	 * component, which keeps owning it: free it after the session. */
	int tx_cap;
	void *tx_mem;
	size_t tx_size;
};

/* A session object of srv; its capability is the session capability. */
int cn_fs_session_create(struct cn_fs_server *srv, const struct cn_fs_session_config *cfg,
                         struct cn_fs_session **ret_session);
int cn_fs_session_cap(const struct cn_fs_session *s);
void cn_fs_session_destroy(struct cn_fs_session *s); /* closes its handles; NULL is ok */

/*
 * Helpers for servers. cn_fs_path_join: join root and an absolute path,
 * normalised as the server does it (empty elements collapse; "." and ".."
 * are CN_ERR_LOOKUP_FAILED, too long CN_ERR_NAME_TOO_LONG).
 * cn_fs_session_policy: Genode's session root since 25.02, the policy's
 * `root` (default "/") joined with the label's last element, which must
 * start with '/'; writeable if the policy says writeable="yes" and the
 * session arguments ask for it. -EINVAL (nothing logged) otherwise.
 */
int cn_fs_path_join(const char *root, const char *path, char *buf, size_t size);
bool cn_fs_valid_name(const char *name);
struct cn_xml_node;
int cn_fs_session_policy(const struct cn_xml_node *policy, const char *label, const char *args,
                         char *ret_root, size_t size, bool *ret_writeable);

/*
 * Announce "File_system" for a server made with cn_fs_server_create, with
 * the session creation vfs and lx_fs share: the config's policy for the
 * label (none: no access), the session root and writeable
 * (cn_fs_session_policy; writeable also needs writeable_ok), tx_buf_size
 * within limits and the donation, then root_ok(root, writeable) (< 0
 * denies, e.g. a missing root), the tx dataspace from env's PD. Each
 * refusal goes to refused, which logs why->text (as an error if
 * why->error, else as a warning).
 */
struct cn_env;
struct cn_fs_refusal {
	bool error;
	char text[320];
};
int cn_fs_service_announce(struct cn_env *env, struct cn_fs_server *srv, bool writeable_ok,
                           int (*root_ok)(const char *root, bool writeable),
                           void (*refused)(struct cn_env *env, const struct cn_fs_refusal *why));

#endif
