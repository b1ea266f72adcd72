/*
 * File_system server dispatch (src/base/fs_server.c) against a hostile
 * client: bad handles, overlong, NUL and ".." paths and names, malformed
 * requests, descriptors outside the buffer, a broken ring, a client that
 * never takes acknowledgements, read-only sessions, the handle limit.
 *
 * A forked process serves three sessions of a tiny in-memory backend:
 * "rw" (writeable, root "/"), "ro" (read-only), "sub" (root "/d"). The
 * test process talks raw RPCs and packets to it.
 */
#include <cairn/ep.h>
#include <cairn/fs.h>
#include <cairn/pd.h>
#include <cairn/xml.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <time.h>

#include "cn_test.h"

enum { TX_PAYLOAD = 64 * 1024, NODES = 8, SESSIONS = 3 };

/* --- the backend: "/" with file "/a" ("hello") and dir "/d" --------------- */

struct node {
	char path[64];
	bool dir;
	char data[64];
	size_t len;
};

static struct node nodes[NODES] = {
    {.path = "/", .dir = true},
    {.path = "/a", .data = "hello", .len = 5},
    {.path = "/d", .dir = true},
};
static int report_fd = -1; /* server -> test: error reports, backend complaints */

static void
complain(const char *what)
{
	if (write(report_fd, what, strlen(what)) < 0)
		_exit(3);
}

static struct node *
find(const char *path)
{
	if (strstr(path, "..") || strstr(path, "//"))
		complain("backend saw an unnormalised path\n");
	for (unsigned i = 0; i < NODES; i++)
		if (nodes[i].path[0] && strcmp(nodes[i].path, path) == 0)
			return &nodes[i];
	return NULL;
}

static int
be_open(void *be, const char *path, int kind, enum cn_fs_mode mode, bool create, void **ret)
{
	struct node *n = find(path);

	(void)be, (void)mode;
	if (n && create)
		return CN_ERR_NODE_ALREADY_EXISTS;
	if (!n && create && kind == CN_FS_CONTINUOUS_FILE) {
		for (unsigned i = 0; i < NODES && !n; i++)
			if (!nodes[i].path[0])
				n = &nodes[i];
		if (!n)
			return CN_ERR_NO_SPACE;
		snprintf(n->path, sizeof(n->path), "%s", path);
	}
	if (!n || (kind == CN_FS_DIRECTORY && !n->dir) ||
	    (kind == CN_FS_CONTINUOUS_FILE && n->dir) || kind == CN_FS_SYMLINK_NODE)
		return CN_ERR_LOOKUP_FAILED;
	*ret = n;
	return 0;
}

static void
be_close(void *be, void *node)
{
	(void)be, (void)node;
}

static int
be_status(void *be, void *node, struct cn_fs_status *ret)
{
	struct node *n = node;

	(void)be;
	ret->size = n->len;
	ret->type = n->dir ? CN_FS_DIRECTORY : CN_FS_CONTINUOUS_FILE;
	ret->rwx = CN_FS_RWX_R | CN_FS_RWX_W;
	ret->inode = (uint64_t)(n - nodes);
	return 0;
}

static int64_t
be_read(void *be, void *node, uint64_t pos, void *buf, uint64_t len)
{
	struct node *n = node;

	(void)be;
	if (pos >= n->len)
		return 0;
	if (len > n->len - pos)
		len = n->len - pos;
	memcpy(buf, n->data + pos, len);
	return (int64_t)len;
}

static int64_t
be_write(void *be, void *node, uint64_t pos, const void *buf, uint64_t len)
{
	struct node *n = node;

	(void)be;
	if (pos == CN_FS_SEEK_TAIL)
		pos = n->len;
	if (pos > sizeof(n->data) || len > sizeof(n->data) - pos)
		return CN_ERR_NO_SPACE;
	memcpy(n->data + pos, buf, len);
	if (pos + len > n->len)
		n->len = pos + len;
	return (int64_t)len;
}

static int
be_dirent(void *be, void *node, uint64_t index, struct cn_fs_dirent *ret)
{
	(void)be, (void)node;
	if (index != 0)
		return CN_ERR_LOOKUP_FAILED;
	ret->type = CN_FS_CONTINUOUS_FILE;
	strcpy(ret->name, "a");
	return 0;
}

static int
be_num_entries(void *be, void *node, uint32_t *ret)
{
	(void)be, (void)node;
	*ret = 1;
	return 0;
}

static struct cn_fs_server *server; /* in the serving process */

/* A truncate is a change watchers learn of at once. */
static int
be_truncate(void *be, void *node, uint64_t size)
{
	struct node *n = node;

	(void)be;
	if (size > sizeof(nodes[0].data))
		return CN_ERR_NO_SPACE;
	n->len = (size_t)size;
	cn_fs_server_notify(server, n->path);
	return 0;
}

/* A sync is a change watchers learn of too, from within the packet. */
static int
be_sync(void *be, void *node)
{
	(void)be;
	cn_fs_server_notify(server, ((struct node *)node)->path);
	return 0;
}

static int
be_path_op(void *be, const char *path)
{
	(void)be;
	return find(path) ? 0 : CN_ERR_LOOKUP_FAILED;
}

static int
be_move(void *be, const char *from, const char *to)
{
	(void)be;
	find(to);
	return find(from) ? 0 : CN_ERR_LOOKUP_FAILED;
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
    .unlink = be_path_op,
    .move = be_move,
    .watch = be_path_op,
    .sync = be_sync,
};

static void
on_error(void *data, const char *label, const char *reason)
{
	char line[256];

	(void)data;
	snprintf(line, sizeof(line), "[%s] %s\n", label, reason);
	complain(line);
}

/* --- the test's side ------------------------------------------------------ */

struct session {
	int cap;
	struct cn_ds tx;
	struct cn_ps ps;
	int server_sig;
};

static struct {
	pid_t pid;
	int caps[SESSIONS];
	int reports; /* read end */
	struct cn_ep *ep;
	struct cn_sig *sig;
} srv;

static void
ignore_signal(void *data, uint32_t count)
{
	(void)data, (void)count;
}

/*
 * Create the server and its sessions here, then fork: the child serves
 * (its entrypoint holds the server ends), this process keeps the caps.
 */
static void
start(void)
{
	static const struct {
		const char *label, *root;
		bool writeable;
	} cfg[SESSIONS] = {{"rw", "/", true}, {"ro", "/", false}, {"sub", "/d", true}};
	struct cn_fs_server *fs;
	struct cn_ep *ep;
	int pipefd[2];

	cn_test_no_fd_check();
	CN_ASSERT_EQ(pipe2(pipefd, O_CLOEXEC | O_NONBLOCK), 0);
	report_fd = pipefd[1];
	CN_ASSERT_EQ(cn_ep_create(&ep), 0);
	CN_ASSERT_EQ(cn_fs_server_create(ep, &backend, NULL, on_error, NULL, &fs), 0);
	server = fs;
	for (unsigned i = 0; i < SESSIONS; i++) {
		size_t size = cn_ps_dataspace_size(CN_FS_TX_QUEUE_SIZE, TX_PAYLOAD);
		struct cn_fs_session *s;
		int fd = memfd_create("tx", MFD_CLOEXEC);
		void *mem;

		CN_ASSERT(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CN_ASSERT(mem != MAP_FAILED);
		struct cn_fs_session_config c = {.label = cfg[i].label,
		                                 .root = cfg[i].root,
		                                 .writeable = cfg[i].writeable,
		                                 .tx_cap = fd,
		                                 .tx_mem = mem,
		                                 .tx_size = size};
		CN_ASSERT_EQ(cn_fs_session_create(fs, &c, &s), 0);
		srv.caps[i] = cn_fs_session_cap(s);
	}
	srv.pid = fork();
	CN_ASSERT(srv.pid >= 0);
	if (srv.pid == 0) {
		close(pipefd[0]);
		cn_ep_run(ep);
		_exit(0);
	}
	close(pipefd[1]);
	srv.reports = pipefd[0];
	CN_ASSERT_EQ(cn_ep_create(&srv.ep), 0);
	CN_ASSERT_EQ(cn_sig_create(srv.ep, ignore_signal, NULL, &srv.sig), 0);
}

/* What the server reported so far. */
static const char *
reports(void)
{
	static char buf[4096];
	static size_t len;
	ssize_t n;

	while (len < sizeof(buf) - 1 &&
	       (n = read(srv.reports, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	return buf;
}

/* --- raw RPCs ------------------------------------------------------------- */

static int
rpc_path(int cap, int32_t op, const void *path, uint32_t len, int create, uint32_t *ret)
{
	struct cn_msg msg;
	uint32_t v = 0;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, op);
	cn_msg_put_u32(&msg, len);
	cn_msg_put_bytes(&msg, path, len);
	if (create >= 0)
		cn_msg_put_u32(&msg, (uint32_t)create);
	r = cn_call(cap, &msg);
	if (r >= 0)
		CN_ASSERT(cn_msg_get_u32(&msg, &v) == 0 && cn_msg_end(&msg) == 0);
	cn_msg_reset(&msg);
	if (ret)
		*ret = v;
	return r;
}

static int
dir(int cap, const char *path, uint32_t *ret)
{
	return rpc_path(cap, CN_FS_DIR, path, (uint32_t)strlen(path), 0, ret);
}

static int
rpc_file(int cap, uint32_t d, const void *name, uint32_t len, uint32_t mode, uint32_t create,
         uint32_t *ret)
{
	struct cn_msg msg;
	uint32_t v = 0;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_FS_FILE);
	cn_msg_put_u32(&msg, d);
	cn_msg_put_u32(&msg, len);
	cn_msg_put_bytes(&msg, name, len);
	cn_msg_put_u32(&msg, mode);
	cn_msg_put_u32(&msg, create);
	r = cn_call(cap, &msg);
	if (r >= 0)
		CN_ASSERT(cn_msg_get_u32(&msg, &v) == 0 && cn_msg_end(&msg) == 0);
	cn_msg_reset(&msg);
	if (ret)
		*ret = v;
	return r;
}

static int
file(int cap, uint32_t d, const char *name, uint32_t mode, uint32_t create, uint32_t *ret)
{
	return rpc_file(cap, d, name, (uint32_t)strlen(name), mode, create, ret);
}

static int
rpc_u32(int cap, int32_t op, uint32_t arg)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, op);
	cn_msg_put_u32(&msg, arg);
	r = cn_call(cap, &msg);
	cn_msg_reset(&msg);
	return r;
}

/* --- the stream ------------------------------------------------------------ */

static void
stream_start(int cap, struct session *s)
{
	struct cn_msg msg;
	uint64_t size;

	s->cap = cap;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_FS_TX);
	CN_ASSERT_EQ(cn_call(cap, &msg), 0);
	CN_ASSERT(cn_msg_get_u64(&msg, &size) == 0 && msg.hdr.ncaps == 2);
	s->tx = (struct cn_ds){.cap = cn_msg_take_cap(&msg, 0), .size = size, .writeable = 1};
	s->server_sig = cn_msg_take_cap(&msg, 1);
	cn_msg_reset(&msg);
	CN_ASSERT_EQ(cn_ds_attach(&s->tx), 0);
	CN_ASSERT_EQ(cn_ps_source_init(&s->ps, s->tx.addr, s->tx.size, CN_FS_TX_QUEUE_SIZE), 0);
	cn_msg_init(&msg, CN_FS_TX_SIGH);
	cn_msg_put_cap(&msg, cn_sig_cap(srv.sig));
	CN_ASSERT_EQ(cn_call(cap, &msg), 0);
	cn_msg_reset(&msg);
}

static struct cn_packet
packet(struct session *s, enum cn_fs_packet_op op, uint32_t handle, uint64_t pos, uint32_t len)
{
	struct cn_packet p;

	CN_ASSERT_EQ(cn_ps_alloc(&s->ps, len ? len : 1, &p), 0);
	p.opcode = cn_fs_packet_opcode(op, handle);
	p.tag = pos;
	p.status = len;
	return p;
}

/* Submit p (as it is: it may be hostile) and wake the server. */
static void
submit_raw(struct session *s, const struct cn_packet *p)
{
	struct cn_packet *entries = (struct cn_packet *)((uint8_t *)s->tx.addr + 320);
	uint32_t *head = (uint32_t *)((uint8_t *)s->tx.addr + 64);

	/* written by hand: cn_ps_submit would refuse a bad descriptor */
	entries[s->ps.submit_pos & (s->ps.queue_len - 1)] = *p;
	s->ps.submit_pos++;
	__atomic_store_n(head, s->ps.submit_pos, __ATOMIC_RELEASE);
	cn_signal_submit(s->server_sig, 1);
}

/* The next acknowledgement, waiting up to two seconds; -EAGAIN if none. */
static int
next_ack(struct session *s, struct cn_packet *ret)
{
	for (int i = 0; i < 200; i++) {
		int r = cn_ps_get_acked(&s->ps, ret);

		if (r != -EAGAIN)
			return r;
		usleep(10 * 1000);
	}
	return -EAGAIN;
}

static uint32_t
roundtrip(struct session *s, struct cn_packet p)
{
	struct cn_packet ack;

	submit_raw(s, &p);
	CN_ASSERT_EQ(next_ack(s, &ack), 0);
	CN_ASSERT_EQ(ack.offset, p.offset);
	return ack.status;
}

/* --- tests ----------------------------------------------------------------- */

CN_TEST(test_fs_read_write)
{
	struct session s;
	struct cn_packet p;
	uint32_t d, f;

	start();
	stream_start(srv.caps[0], &s);
	CN_ASSERT_EQ(dir(s.cap, "/", &d), 0);
	CN_ASSERT_EQ(file(s.cap, d, "a", CN_FS_READ_WRITE, 0, &f), 0);
	p = packet(&s, CN_FS_READ, f, 0, 100);
	CN_ASSERT_EQ(roundtrip(&s, p), 5);
	CN_ASSERT(memcmp(cn_ps_payload(&s.ps, &p), "hello", 5) == 0);
	p = packet(&s, CN_FS_WRITE, f, CN_FS_SEEK_TAIL, 3);
	memcpy(cn_ps_payload(&s.ps, &p), "abc", 3);
	CN_ASSERT_EQ(roundtrip(&s, p), 3);
	p = packet(&s, CN_FS_READ, f, 2, 6);
	CN_ASSERT_EQ(roundtrip(&s, p), 6);
	CN_ASSERT(memcmp(cn_ps_payload(&s.ps, &p), "lloabc", 6) == 0);
	/* directory entries */
	p = packet(&s, CN_FS_READ, d, 0, 2 * sizeof(struct cn_fs_dirent));
	CN_ASSERT_EQ(roundtrip(&s, p), sizeof(struct cn_fs_dirent));
	CN_ASSERT_STR(((struct cn_fs_dirent *)cn_ps_payload(&s.ps, &p))->name, "a");
	p = packet(&s, CN_FS_READ, d, sizeof(struct cn_fs_dirent), sizeof(struct cn_fs_dirent));
	CN_ASSERT_EQ(roundtrip(&s, p), 0);
	CN_ASSERT_STR(reports(), "");
}

CN_TEST(test_fs_bad_paths_and_names)
{
	char long_path[1200], long_name[200];
	int cap = srv.caps[0];
	uint32_t d;

	start();
	cap = srv.caps[0];
	memset(long_path, 'x', sizeof(long_path));
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = 0;
	memset(long_name, 'y', sizeof(long_name));
	long_name[sizeof(long_name) - 1] = 0;

	CN_ASSERT_EQ(dir(cap, "/../d", &d), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(dir(cap, "/d/..", &d), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(dir(cap, "/./d", &d), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(dir(cap, "d", &d), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(dir(cap, "", &d), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(dir(cap, long_path, &d), CN_ERR_NAME_TOO_LONG);
	CN_ASSERT_EQ(rpc_path(cap, CN_FS_NODE, long_path, (uint32_t)strlen(long_path), -1, &d),
	             CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(rpc_path(cap, CN_FS_NODE, "/a\0/d", 5, -1, &d), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(rpc_path(cap, CN_FS_WATCH, "/../a", 5, -1, &d), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(dir(cap, "//d/", &d), 0); /* empty elements collapse */

	CN_ASSERT_EQ(dir(cap, "/", &d), 0);
	CN_ASSERT_EQ(file(cap, d, "..", CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_NAME);
	CN_ASSERT_EQ(file(cap, d, ".", CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_NAME);
	CN_ASSERT_EQ(file(cap, d, "d/../a", CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_NAME);
	CN_ASSERT_EQ(file(cap, d, "", CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_NAME);
	CN_ASSERT_EQ(file(cap, d, long_name, CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_NAME);
	CN_ASSERT_EQ(rpc_file(cap, d, "a\0b", 3, CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_NAME);
	CN_ASSERT_EQ(file(cap, d, "missing", CN_FS_READ_ONLY, 0, NULL), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(file(cap, d, "a", CN_FS_READ_ONLY, 1, NULL), CN_ERR_NODE_ALREADY_EXISTS);
	/* well-formed requests are not malformed ones; the backend saw only clean paths */
	CN_ASSERT_STR(reports(), "");
}

CN_TEST(test_fs_bad_handles)
{
	int cap;
	uint32_t d, f, n, w;

	start();
	cap = srv.caps[0];
	CN_ASSERT_EQ(dir(cap, "/", &d), 0);
	CN_ASSERT_EQ(file(cap, d, "a", CN_FS_READ_ONLY, 0, &f), 0);
	CN_ASSERT_EQ(file(cap, 999, "a", CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_HANDLE);
	CN_ASSERT_EQ(file(cap, 0xffffffff, "a", CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_HANDLE);
	CN_ASSERT_EQ(file(cap, f, "a", CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_HANDLE);
	CN_ASSERT_EQ(rpc_u32(cap, CN_FS_NUM_ENTRIES, f), CN_ERR_INVALID_HANDLE);
	CN_ASSERT_EQ(rpc_u32(cap, CN_FS_CLOSE, 77), CN_ERR_INVALID_HANDLE);
	CN_ASSERT_EQ(rpc_path(cap, CN_FS_NODE, "/a", 2, -1, &n), 0);
	CN_ASSERT_EQ(file(cap, n, "a", CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_HANDLE);
	CN_ASSERT_EQ(rpc_path(cap, CN_FS_WATCH, "/a", 2, -1, &w), 0);
	CN_ASSERT_EQ(rpc_u32(cap, CN_FS_STATUS, w), CN_ERR_INVALID_HANDLE);
	CN_ASSERT_EQ(rpc_u32(cap, CN_FS_CLOSE, w), 0);
	CN_ASSERT_EQ(rpc_u32(cap, CN_FS_CLOSE, w), CN_ERR_INVALID_HANDLE);
	CN_ASSERT_EQ(rpc_u32(cap, CN_FS_CLOSE, f), 0);
	/* a closed handle is gone, even when used as a directory */
	CN_ASSERT_EQ(rpc_u32(cap, CN_FS_CLOSE, d), 0);
	CN_ASSERT_EQ(file(cap, d, "a", CN_FS_READ_ONLY, 0, NULL), CN_ERR_INVALID_HANDLE);
}

CN_TEST(test_fs_malformed_requests)
{
	struct cn_msg msg;
	int cap;

	start();
	cap = srv.caps[0];
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_FS_CLOSE); /* trailing bytes */
	cn_msg_put_u32(&msg, 0);
	cn_msg_put_u32(&msg, 0);
	CN_ASSERT_EQ(cn_call(cap, &msg), CN_ERR_BAD_MESSAGE);
	cn_msg_init(&msg, CN_FS_DIR); /* string longer than the message */
	cn_msg_put_u32(&msg, 100);
	CN_ASSERT_EQ(cn_call(cap, &msg), CN_ERR_BAD_MESSAGE);
	cn_msg_init(&msg, 99);
	CN_ASSERT_EQ(cn_call(cap, &msg), CN_ERR_INVALID_OPCODE);
	CN_ASSERT_EQ(rpc_path(cap, CN_FS_DIR, "/", 1, 7, NULL), CN_ERR_BAD_MESSAGE);
	cn_msg_reset(&msg);
	/* reported once, naming the session; the server keeps serving */
	CN_ASSERT_STR(reports(), "[rw] malformed File_system request\n");
	CN_ASSERT_EQ(dir(cap, "/", NULL), 0);
}

CN_TEST(test_fs_hostile_packets)
{
	struct session s;
	struct cn_packet p, ack;
	uint32_t d, f, ro;

	start();
	stream_start(srv.caps[0], &s);
	CN_ASSERT_EQ(dir(s.cap, "/", &d), 0);
	CN_ASSERT_EQ(file(s.cap, d, "a", CN_FS_READ_WRITE, 0, &f), 0);
	CN_ASSERT_EQ(file(s.cap, d, "a", CN_FS_READ_ONLY, 0, &ro), 0);

	/* outside the buffer: consumed, never acknowledged, reported */
	p = (struct cn_packet){.offset = TX_PAYLOAD - 8,
	                       .size = 64,
	                       .opcode = cn_fs_packet_opcode(CN_FS_READ, f),
	                       .status = 64};
	submit_raw(&s, &p);
	p.offset = UINT64_MAX - 10;
	p.size = 20;
	submit_raw(&s, &p);
	/* within the buffer but wrong: acknowledged as failed */
	p = packet(&s, CN_FS_READ, f, 0, 8);
	p.status = 9; /* length over size */
	CN_ASSERT_EQ(roundtrip(&s, p), CN_FS_PACKET_FAILED);
	CN_ASSERT_EQ(roundtrip(&s, packet(&s, CN_FS_READ, 1000, 0, 8)), CN_FS_PACKET_FAILED);
	CN_ASSERT_EQ(roundtrip(&s, packet(&s, CN_FS_WRITE, ro, 0, 4)), CN_FS_PACKET_FAILED);
	CN_ASSERT_EQ(roundtrip(&s, packet(&s, CN_FS_WRITE, d, 0, 4)), CN_FS_PACKET_FAILED);
	CN_ASSERT_EQ(roundtrip(&s, packet(&s, CN_FS_WRITE, f, 1u << 20, 4)), CN_FS_PACKET_FAILED);
	CN_ASSERT_EQ(roundtrip(&s, packet(&s, (enum cn_fs_packet_op)77, f, 0, 4)),
	             CN_FS_PACKET_FAILED);
	CN_ASSERT_EQ(roundtrip(&s, packet(&s, CN_FS_CONTENT_CHANGED, f, 0, 4)),
	             CN_FS_PACKET_FAILED);
	CN_ASSERT_EQ(roundtrip(&s, packet(&s, CN_FS_READ, f, 0, 5)), 5);
	CN_ASSERT(strstr(reports(), "[rw] packet descriptor outside the buffer\n"));

	/* a ring index out of range breaks this stream only */
	__atomic_store_n((uint32_t *)((uint8_t *)s.tx.addr + 64), s.ps.submit_pos + 5000,
	                 __ATOMIC_RELEASE);
	cn_signal_submit(s.server_sig, 1);
	CN_ASSERT_EQ(next_ack(&s, &ack), -EAGAIN);
	CN_ASSERT(strstr(reports(), "[rw] broken packet stream, stopped serving it\n"));
	CN_ASSERT_EQ(dir(s.cap, "/d", NULL), 0);
	/* the other sessions are served as before */
	struct session other;
	uint32_t d2, f2;

	stream_start(srv.caps[1], &other);
	CN_ASSERT_EQ(dir(other.cap, "/", &d2), 0);
	CN_ASSERT_EQ(file(other.cap, d2, "a", CN_FS_READ_ONLY, 0, &f2), 0);
	CN_ASSERT_EQ(roundtrip(&other, packet(&other, CN_FS_READ, f2, 0, 5)), 5);
}

CN_TEST(test_fs_client_never_acks)
{
	struct session s, other;
	struct cn_packet p, ack;
	uint32_t d, f;
	unsigned n = 0;

	start();
	stream_start(srv.caps[0], &s);
	CN_ASSERT_EQ(dir(s.cap, "/", &d), 0);
	CN_ASSERT_EQ(file(s.cap, d, "a", CN_FS_READ_ONLY, 0, &f), 0);
	/* fill the submit queue twice over; never take an acknowledgement */
	for (unsigned i = 0; i < 3 * CN_FS_TX_QUEUE_SIZE; i++) {
		if (!cn_ps_ready_to_submit(&s.ps)) {
			usleep(20 * 1000);
			if (!cn_ps_ready_to_submit(&s.ps))
				break;
		}
		p = packet(&s, CN_FS_READ, f, 0, 5);
		submit_raw(&s, &p);
		n++;
	}
	/* the server took only what it could acknowledge */
	CN_ASSERT_EQ(n, 2 * CN_FS_TX_QUEUE_SIZE);
	CN_ASSERT(!cn_ps_ready_to_submit(&s.ps));
	/* others are served meanwhile */
	stream_start(srv.caps[2], &other);
	CN_ASSERT_EQ(dir(other.cap, "/", &d), 0);
	/* taking the acknowledgements lets the stream continue */
	for (unsigned i = 0; i < n; i++) {
		CN_ASSERT_EQ(next_ack(&s, &ack), 0);
		CN_ASSERT_EQ(ack.status, 5);
		if (i % 8 == 7)
			cn_signal_submit(s.server_sig, 1);
	}
	cn_signal_submit(s.server_sig, 1);
	CN_ASSERT_EQ(next_ack(&s, &ack), -EAGAIN);
	CN_ASSERT_STR(reports(), "");
}

static int
truncate_rpc(int cap, uint32_t file, uint64_t size)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_FS_TRUNCATE);
	cn_msg_put_u32(&msg, file);
	cn_msg_put_u64(&msg, size);
	r = cn_call(cap, &msg);
	cn_msg_reset(&msg);
	return r;
}

CN_TEST(test_fs_content_changed)
{
	struct session s;
	struct cn_packet ack;
	uint32_t d, f, w, w2;

	start();
	stream_start(srv.caps[0], &s);
	CN_ASSERT_EQ(dir(s.cap, "/", &d), 0);
	CN_ASSERT_EQ(file(s.cap, d, "a", CN_FS_READ_WRITE, 0, &f), 0);
	CN_ASSERT_EQ(rpc_path(s.cap, CN_FS_WATCH, "/a", 2, -1, &w), 0);
	CN_ASSERT_EQ(rpc_path(s.cap, CN_FS_WATCH, "/d", 2, -1, &w2), 0);
	/* a change: a CONTENT_CHANGED nobody submitted, for the watch of /a only */
	CN_ASSERT_EQ(truncate_rpc(s.cap, f, 3), 0);
	CN_ASSERT_EQ(next_ack(&s, &ack), 0);
	CN_ASSERT_EQ(cn_fs_packet_op(&ack), CN_FS_CONTENT_CHANGED);
	CN_ASSERT_EQ(cn_fs_packet_handle(&ack), w);
	CN_ASSERT(ack.offset == 0 && ack.size == 1 && ack.status == 0);
	cn_signal_submit(s.server_sig, 1);
	CN_ASSERT_EQ(next_ack(&s, &ack), -EAGAIN);

	/* with the ack queue full, the notification waits for room */
	for (unsigned i = 0; i < 2 * CN_FS_TX_QUEUE_SIZE; i++) {
		struct cn_packet p = packet(&s, CN_FS_READ, f, 0, 3);

		if (i == CN_FS_TX_QUEUE_SIZE)
			usleep(100 * 1000); /* the server takes the first ones */
		submit_raw(&s, &p);
	}
	usleep(100 * 1000);
	CN_ASSERT(!cn_ps_ready_to_submit(&s.ps));
	CN_ASSERT_EQ(truncate_rpc(s.cap, f, 2), 0);
	CN_ASSERT_EQ(truncate_rpc(s.cap, f, 1), 0); /* coalesces with the first */
	{
		unsigned reads = 0, changed = 0;

		while (next_ack(&s, &ack) == 0) {
			if (cn_fs_packet_op(&ack) == CN_FS_CONTENT_CHANGED) {
				/* only once there was room */
				CN_ASSERT(reads >= CN_FS_TX_QUEUE_SIZE);
				CN_ASSERT_EQ(cn_fs_packet_handle(&ack), w);
				changed++;
			} else {
				CN_ASSERT(ack.status >= 1 &&
				          ack.status <= 3); /* truncated meanwhile */
				reads++;
			}
			cn_signal_submit(s.server_sig, 1);
		}
		CN_ASSERT_EQ(reads, 2 * CN_FS_TX_QUEUE_SIZE);
		CN_ASSERT_EQ(changed, 1);
	}
	/* a closed watch hears nothing */
	CN_ASSERT_EQ(rpc_u32(s.cap, CN_FS_CLOSE, w), 0);
	CN_ASSERT_EQ(truncate_rpc(s.cap, f, 0), 0);
	CN_ASSERT_EQ(next_ack(&s, &ack), -EAGAIN);
}

/* A backend that notifies while a packet is handled (its sync) must not
 * take that packet's acknowledgement slot: a full queue of syncs fills the
 * acknowledgement queue exactly, every one is acknowledged, the stream
 * stays intact, and the notification follows once there is room. */
CN_TEST(test_fs_notify_during_packet)
{
	struct session s;
	struct cn_packet ack;
	unsigned syncs = 0, changed = 0;
	uint32_t d, f, w;

	start();
	stream_start(srv.caps[0], &s);
	CN_ASSERT_EQ(dir(s.cap, "/", &d), 0);
	CN_ASSERT_EQ(file(s.cap, d, "a", CN_FS_READ_WRITE, 0, &f), 0);
	CN_ASSERT_EQ(rpc_path(s.cap, CN_FS_WATCH, "/a", 2, -1, &w), 0);
	/* all of them at once, so that the server handles them in one round
	 * and the last one finds exactly one acknowledgement slot left */
	{
		struct cn_packet *entries = (struct cn_packet *)((uint8_t *)s.tx.addr + 320);
		uint32_t *head = (uint32_t *)((uint8_t *)s.tx.addr + 64);

		for (unsigned i = 0; i < CN_FS_TX_QUEUE_SIZE; i++) {
			entries[s.ps.submit_pos & (s.ps.queue_len - 1)] =
			    packet(&s, CN_FS_SYNC, f, 0, 0);
			s.ps.submit_pos++;
		}
		__atomic_store_n(head, s.ps.submit_pos, __ATOMIC_RELEASE);
		cn_signal_submit(s.server_sig, 1);
	}
	usleep(100 * 1000); /* the server handles the round */
	for (int i = 0; i < 200 && syncs < CN_FS_TX_QUEUE_SIZE; i++) {
		while (cn_ps_get_acked(&s.ps, &ack) == 0) {
			if (cn_fs_packet_op(&ack) == CN_FS_CONTENT_CHANGED) {
				/* only after the syncs: they took the room first */
				CN_ASSERT_EQ(syncs, CN_FS_TX_QUEUE_SIZE);
				CN_ASSERT_EQ(cn_fs_packet_handle(&ack), w);
				changed++;
				continue;
			}
			CN_ASSERT_EQ(cn_fs_packet_op(&ack), CN_FS_SYNC);
			CN_ASSERT_EQ(ack.status, 0);
			syncs++;
		}
		if (syncs < CN_FS_TX_QUEUE_SIZE)
			usleep(10 * 1000);
	}
	CN_ASSERT_EQ(syncs, CN_FS_TX_QUEUE_SIZE);
	cn_signal_submit(s.server_sig, 1); /* room again: the notification */
	CN_ASSERT_EQ(next_ack(&s, &ack), 0);
	CN_ASSERT_EQ(cn_fs_packet_op(&ack), CN_FS_CONTENT_CHANGED);
	CN_ASSERT_EQ(cn_fs_packet_handle(&ack), w);
	CN_ASSERT(changed == 0);
	CN_ASSERT(!strstr(reports(), "broken"));
}

CN_TEST(test_fs_read_only_session)
{
	int cap;
	uint32_t d, f;

	start();
	cap = srv.caps[1];
	CN_ASSERT_EQ(dir(cap, "/", &d), 0);
	CN_ASSERT_EQ(file(cap, d, "new", CN_FS_WRITE_ONLY, 1, NULL), CN_ERR_PERMISSION_DENIED);
	CN_ASSERT_EQ(file(cap, d, "a", CN_FS_READ_WRITE, 0, NULL), CN_ERR_PERMISSION_DENIED);
	CN_ASSERT_EQ(file(cap, d, "a", CN_FS_READ_ONLY, 0, &f), 0);
	CN_ASSERT_EQ(rpc_path(cap, CN_FS_DIR, "/e", 2, 1, NULL), CN_ERR_PERMISSION_DENIED);
	struct cn_msg msg;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_FS_TRUNCATE);
	cn_msg_put_u32(&msg, f);
	cn_msg_put_u64(&msg, 0);
	CN_ASSERT_EQ(cn_call(cap, &msg), CN_ERR_PERMISSION_DENIED);
	cn_msg_init(&msg, CN_FS_UNLINK);
	cn_msg_put_u32(&msg, d);
	cn_msg_put_str(&msg, "a");
	CN_ASSERT_EQ(cn_call(cap, &msg), CN_ERR_PERMISSION_DENIED);
	cn_msg_reset(&msg);
	/* the writeable session may */
	cap = srv.caps[0];
	CN_ASSERT_EQ(dir(cap, "/", &d), 0);
	CN_ASSERT_EQ(file(cap, d, "new", CN_FS_WRITE_ONLY, 1, NULL), 0);
}

CN_TEST(test_fs_root_and_limits)
{
	uint32_t d, h;
	unsigned n = 0;

	start();
	/* "sub" sees /d as its root: /a is not there */
	CN_ASSERT_EQ(dir(srv.caps[2], "/", &d), 0);
	CN_ASSERT_EQ(file(srv.caps[2], d, "a", CN_FS_READ_ONLY, 0, NULL), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(dir(srv.caps[2], "/d", NULL), CN_ERR_LOOKUP_FAILED);
	/* handles per session */
	while (rpc_path(srv.caps[0], CN_FS_NODE, "/a", 2, -1, &h) == 0)
		n++;
	CN_ASSERT_EQ(n, CN_FS_HANDLES_MAX);
	CN_ASSERT_EQ(rpc_path(srv.caps[0], CN_FS_NODE, "/a", 2, -1, &h), CN_ERR_OUT_OF_RAM);
	CN_ASSERT_EQ(rpc_u32(srv.caps[0], CN_FS_CLOSE, 5), 0);
	CN_ASSERT_EQ(rpc_path(srv.caps[0], CN_FS_WATCH, "/a", 2, -1, &h), 0);
	CN_ASSERT_EQ(h, 5);
	/* watches per session */
	n = 0;
	while (rpc_path(srv.caps[1], CN_FS_WATCH, "/a", 2, -1, &h) == 0)
		n++;
	CN_ASSERT_EQ(n, CN_FS_WATCHES_MAX);
}

CN_TEST(test_fs_path_join)
{
	char buf[CN_FS_PATH_MAX];

	CN_ASSERT_EQ(cn_fs_path_join("/", "/", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "/");
	CN_ASSERT_EQ(cn_fs_path_join("/r/s", "/a//b/", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "/r/s/a/b");
	CN_ASSERT_EQ(cn_fs_path_join("/r", "/", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "/r");
	CN_ASSERT_EQ(cn_fs_path_join("/r", "/a/../../etc", buf, sizeof(buf)), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT_EQ(cn_fs_path_join("/r", "a", buf, sizeof(buf)), CN_ERR_LOOKUP_FAILED);
	CN_ASSERT(cn_fs_valid_name("x.y"));
	CN_ASSERT(!cn_fs_valid_name(".."));
	CN_ASSERT(!cn_fs_valid_name("a/b"));
}

CN_TEST(test_fs_session_policy)
{
	static const char config[] = "<config>"
	                             "<policy label_prefix=\"a\" root=\"/r\" writeable=\"yes\"/>"
	                             "<policy label_prefix=\"b\"/>"
	                             "<policy label_prefix=\"c\" root=\"/../x\"/>"
	                             "</config>";
	const struct cn_xml_node *a, *b, *c;
	struct cn_xml_doc *doc;
	char root[CN_FS_PATH_MAX];
	bool w;

	CN_ASSERT_EQ(cn_xml_parse(config, sizeof(config) - 1, &doc, NULL), 0);
	a = cn_xml_child(cn_xml_root(doc), "policy");
	b = cn_xml_next(a, "policy");
	c = cn_xml_next(b, "policy");
	CN_ASSERT_EQ(cn_fs_session_policy(a, "a -> /sub", "writeable=yes", root, sizeof(root), &w),
	             0);
	CN_ASSERT_STR(root, "/r/sub");
	CN_ASSERT(w);
	CN_ASSERT_EQ(cn_fs_session_policy(a, "a -> /", "writeable=no", root, sizeof(root), &w), 0);
	CN_ASSERT_STR(root, "/r");
	CN_ASSERT(!w);
	CN_ASSERT_EQ(cn_fs_session_policy(b, "b -> /", "writeable=yes", root, sizeof(root), &w), 0);
	CN_ASSERT_STR(root, "/");
	CN_ASSERT(!w); /* the policy does not allow it */
	CN_ASSERT_EQ(cn_fs_session_policy(a, "a", "", root, sizeof(root), &w), -EINVAL);
	CN_ASSERT_EQ(cn_fs_session_policy(a, "a -> sub", "", root, sizeof(root), &w), -EINVAL);
	CN_ASSERT_EQ(cn_fs_session_policy(a, "a -> /../..", "", root, sizeof(root), &w), -EINVAL);
	CN_ASSERT_EQ(cn_fs_session_policy(c, "c -> /", "", root, sizeof(root), &w), -EINVAL);
	cn_xml_free(doc);
}

CN_TEST_MAIN()
