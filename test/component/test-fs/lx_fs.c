/*
 * test-fs modes for lx_fs on a host directory (test/scenario/lx_fs.sh):
 *   escape    a hostile client: "..", symlinks out of the directory
 *             (relative and absolute, made on the host or by itself), NUL
 *             bytes, overlong paths and names; each refused with Genode's
 *             error, and a read-only session stays read-only;
 *   race      reads and writes through /a for a while, as the host moves
 *             /a out of the granted directory and swaps in a symlink to
 *             the outside: it must never see or touch what is outside;
 *   nopolicy  its session must be denied (lx_fs has no policy for it);
 *   rogrant   a session of an lx_fs with a read-only grant, whose policy
 *             says writeable: it reads, but cannot change anything;
 *   grant     granted a read-only host directory itself, it tries what a
 *             compromised lx_fs could: lookups without RESOLVE_BENEATH
 *             (the kernel's Landlock refuses what is outside), writing
 *             (refused: read-only grant), and last a plain open(), which
 *             the sandbox kills.
 * The host side (files made before, checked after) is the script's part.
 */
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/log.h>
#include <cairn/pd.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test-fs.h"

enum {
	RACE_MS = 3000, /* how long the race client works through /a */
	LONG_PATH = CN_FS_PATH_MAX + 100,
	LONG_NAME = CN_FS_NAME_MAX + 72,
};

/* A request with a NUL byte inside its name or path, as no library call
 * would send it. */
static int
call_with_nul(struct cn_fs *fs, int op, uint32_t dir)
{
	static const char bad[] = "a\0/../../b";
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, op);
	if (op == CN_FS_FILE)
		cn_msg_put_u32(&msg, dir);
	cn_msg_put_u32(&msg, sizeof(bad) - 1);
	cn_msg_put_bytes(&msg, bad, sizeof(bad) - 1);
	if (op == CN_FS_FILE)
		cn_msg_put_u32(&msg, CN_FS_READ_ONLY);
	cn_msg_put_u32(&msg, 0);
	r = cn_call(cn_fs_cap(fs), &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

static void
read_symlink(struct cn_fs *fs, uint32_t dir, const char *name, const char *want)
{
	char buf[256];
	uint32_t link;
	size_t len;

	expect(cn_fs_symlink(fs, dir, name, false, &link), 0, name);
	expect(cn_fs_read(fs, link, 0, buf, sizeof(buf) - 1, &len), 0, "read symlink");
	buf[len] = 0;
	if (strcmp(buf, want) != 0)
		fail("symlink %s reads \"%s\", expected \"%s\"", name, buf, want);
	cn_fs_close_handle(fs, link);
}

static void
test_escape(void)
{
	struct cn_fs *fs = open_fs("/", true), *ro, *denied;
	static char long_path[LONG_PATH], long_name[LONG_NAME];
	uint32_t root, sub, h, link;

	check_content(fs, "/inside.txt", "inside");
	expect(cn_fs_dir(fs, "/", false, &root), 0, "dir /");
	expect(cn_fs_dir(fs, "/sub", false, &sub), 0, "dir /sub");

	/* ".." in paths and names */
	expect(cn_fs_dir(fs, "/..", false, &h), CN_ERR_LOOKUP_FAILED, "dir /..");
	expect(cn_fs_dir(fs, "/sub/../..", false, &h), CN_ERR_LOOKUP_FAILED, "dir /sub/../..");
	expect(cn_fs_node(fs, "/../outside/secret", &h), CN_ERR_LOOKUP_FAILED, "node /../..");
	expect(cn_fs_file(fs, root, "..", CN_FS_READ_ONLY, false, &h), CN_ERR_INVALID_NAME,
	       "file ..");
	expect(cn_fs_file(fs, sub, "../../outside/secret", CN_FS_READ_ONLY, false, &h),
	       CN_ERR_INVALID_NAME, "file ../../outside/secret");
	expect(cn_fs_move(fs, root, "inside.txt", root, "../moved"), CN_ERR_INVALID_NAME,
	       "move to ../moved");
	expect(cn_fs_unlink(fs, sub, ".."), CN_ERR_INVALID_NAME, "unlink ..");
	cn_log(test_fs_env(), "escape: .. refused");

	/* symlinks the host made: never followed, whether they point out
	 * relatively or absolutely */
	expect(cn_fs_dir(fs, "/out", false, &h), CN_ERR_LOOKUP_FAILED, "dir /out");
	expect(cn_fs_node(fs, "/out/secret", &h), CN_ERR_LOOKUP_FAILED, "node /out/secret");
	expect(cn_fs_dir(fs, "/abs", false, &h), CN_ERR_LOOKUP_FAILED, "dir /abs");
	expect(cn_fs_node(fs, "/abs/secret", &h), CN_ERR_LOOKUP_FAILED, "node /abs/secret");
	expect(cn_fs_dir(fs, "/etc", false, &h), CN_ERR_LOOKUP_FAILED, "dir /etc");
	expect(cn_fs_file(fs, root, "out", CN_FS_READ_ONLY, false, &h), CN_ERR_LOOKUP_FAILED,
	       "file /out");
	expect(cn_fs_file(fs, sub, "up", CN_FS_READ_ONLY, false, &h), CN_ERR_LOOKUP_FAILED,
	       "file /sub/up");
	expect(cn_fs_file(fs, sub, "up", CN_FS_WRITE_ONLY, false, &h), CN_ERR_LOOKUP_FAILED,
	       "file /sub/up for writing");
	expect(cn_fs_file(fs, sub, "up", CN_FS_WRITE_ONLY, true, &h), CN_ERR_NODE_ALREADY_EXISTS,
	       "create /sub/up");
	expect(cn_fs_file(fs, root, "plain", CN_FS_WRITE_ONLY, true, &h), 0, "create /plain");
	cn_fs_close_handle(fs, h);
	read_symlink(fs, root, "out", "../outside");
	read_symlink(fs, sub, "up", "../../outside/secret");
	cn_log(test_fs_env(), "escape: host symlinks are nodes, never followed");

	/* symlinks of its own making */
	expect(cn_fs_symlink(fs, root, "mine", true, &link), 0, "create symlink /mine");
	expect(cn_fs_write(fs, link, 0, "/", 1), 0, "write symlink /mine");
	cn_fs_close_handle(fs, link);
	expect(cn_fs_symlink(fs, sub, "mine_up", true, &link), 0, "create symlink /sub/mine_up");
	expect(cn_fs_write(fs, link, 0, "../..", 5), 0, "write symlink /sub/mine_up");
	cn_fs_close_handle(fs, link);
	expect(cn_fs_dir(fs, "/mine", false, &h), CN_ERR_LOOKUP_FAILED, "dir /mine");
	expect(cn_fs_node(fs, "/mine/etc", &h), CN_ERR_LOOKUP_FAILED, "node /mine/etc");
	expect(cn_fs_dir(fs, "/sub/mine_up/outside", false, &h), CN_ERR_LOOKUP_FAILED,
	       "dir /sub/mine_up/outside");
	expect(cn_fs_file(fs, sub, "mine_up", CN_FS_WRITE_ONLY, false, &h), CN_ERR_LOOKUP_FAILED,
	       "file /sub/mine_up");
	cn_log(test_fs_env(), "escape: own symlinks are not followed either");

	/* NUL bytes and overlong strings */
	expect(call_with_nul(fs, CN_FS_FILE, root), CN_ERR_INVALID_NAME, "name with NUL");
	expect(call_with_nul(fs, CN_FS_DIR, 0), CN_ERR_LOOKUP_FAILED, "path with NUL");
	memset(long_path, 'a', sizeof(long_path) - 1);
	for (size_t i = 0; i < sizeof(long_path) - 1; i += 8)
		long_path[i] = '/';
	expect(cn_fs_dir(fs, long_path, true, &h), CN_ERR_NAME_TOO_LONG, "overlong path");
	memset(long_name, 'n', sizeof(long_name) - 1);
	expect(cn_fs_file(fs, root, long_name, CN_FS_WRITE_ONLY, true, &h), CN_ERR_INVALID_NAME,
	       "overlong name");
	cn_log(test_fs_env(), "escape: NUL and overlong refused");

	/* session roots out of the directory, and a read-only one */
	expect(cn_fs_open(test_fs_env(), "/..", 0, false, &denied), CN_ERR_DENIED, "session /..");
	expect(cn_fs_open(test_fs_env(), "/out", 0, false, &denied), CN_ERR_DENIED, "session /out");
	expect(cn_fs_open(test_fs_env(), "/abs", 0, true, &denied), CN_ERR_DENIED, "session /abs");
	ro = open_fs("/sub", true);
	check_content(ro, "/file", "in sub");
	expect(cn_fs_dir(ro, "/", false, &h), 0, "read-only dir /");
	expect(cn_fs_file(ro, h, "new", CN_FS_WRITE_ONLY, true, &link), CN_ERR_PERMISSION_DENIED,
	       "create in a read-only session");
	expect(cn_fs_unlink(ro, h, "file"), CN_ERR_PERMISSION_DENIED, "unlink read-only");
	cn_fs_close(ro);
	cn_log(test_fs_env(), "escape: session roots confined, read-only stays read-only");
	cn_fs_close(fs);
	cn_log(test_fs_env(), "test-fs: escape: done");
	cn_exit(test_fs_env(), 0);
}

static void
test_race(void)
{
	struct cn_fs *fs = open_fs("/", true);
	unsigned inside = 0, refused = 0, written = 0;
	uint64_t end;

	check_content(fs, "/a/f", "inside");
	cn_log(test_fs_env(), "race: start");
	for (end = now_ms() + RACE_MS; now_ms() < end;) {
		char *buf;
		size_t len;
		uint32_t dir, file;
		int r = cn_fs_read_all(fs, "/a/f", CONTENT_MAX, &buf, &len);

		if (r == 0) {
			if (len != 6 || memcmp(buf, "inside", 6) != 0)
				fail("read \"%s\" through /a: outside the directory", buf);
			free(buf);
			inside++;
		} else {
			refused++;
		}
		if (cn_fs_write_all(fs, "/a/w", "written", 7) == 0)
			written++;
		/* through a directory handle opened before the move */
		if (cn_fs_dir(fs, "/a", false, &dir) == 0) {
			if (cn_fs_file(fs, dir, "f", CN_FS_READ_ONLY, false, &file) == 0) {
				char small[16] = "";

				if (cn_fs_read(fs, file, 0, small, sizeof(small) - 1, &len) == 0 &&
				    len && strcmp(small, "inside") != 0)
					fail("read \"%s\" through a handle of /a", small);
				cn_fs_close_handle(fs, file);
			}
			cn_fs_close_handle(fs, dir);
		}
	}
	if (!inside || !refused)
		fail("no race happened: %u reads inside, %u refused", inside, refused);
	cn_log(test_fs_env(), "race: %s reads inside, %s refused, %s writes, none outside",
	       inside ? "some" : "no", refused ? "some" : "no", written ? "some" : "no");
	cn_fs_close(fs);
	cn_log(test_fs_env(), "test-fs: race: done");
	cn_exit(test_fs_env(), 0);
}

static void
test_nopolicy(void)
{
	struct cn_fs *fs;

	expect(cn_fs_open(test_fs_env(), "/", 0, false, &fs), CN_ERR_DENIED,
	       "session without policy");
	cn_log(test_fs_env(), "test-fs: nopolicy: denied");
	cn_exit(test_fs_env(), 0);
}

/* openat2 on the granted fd with no confinement of the lookup */
static int
raw_open(const char *path, uint64_t flags)
{
	struct open_how how = {.flags = flags | O_CLOEXEC};
	int fd = (int)syscall(SYS_openat2, CN_HOST_DIR_FD, path, &how, sizeof(how));

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void
test_grant(void)
{
	const char *grant = getenv(CN_HOST_DIR_ENV);

	if (!grant || strcmp(grant, "ro") != 0)
		fail("no read-only grant: %s", grant ? grant : "none");
	expect(raw_open("inside.txt", O_RDONLY), 0, "open inside.txt");
	cn_log(test_fs_env(), "grant: read inside");
	expect(raw_open("..", O_RDONLY | O_DIRECTORY), -EACCES, "open ..");
	expect(raw_open("out/secret", O_RDONLY), -EACCES, "open out/secret (a symlink)");
	expect(raw_open("/etc/passwd", O_RDONLY), -EACCES, "open /etc/passwd");
	cn_log(test_fs_env(), "grant: outside refused by the kernel");
	expect(raw_open("inside.txt", O_WRONLY), -EACCES, "open inside.txt for writing");
	expect(raw_open("new", O_WRONLY | O_CREAT), -EACCES, "create new");
	cn_log(test_fs_env(), "grant: read-only grant, writing refused");
	cn_log(test_fs_env(), "grant: attempting open");
	open("/etc/passwd", O_RDONLY);
	fail("open was not prevented");
}

static void
test_rogrant(void)
{
	struct cn_fs *fs = open_fs("/", true);
	uint32_t root, h;

	check_content(fs, "/inside.txt", "inside");
	expect(cn_fs_dir(fs, "/", false, &root), 0, "dir /");
	expect(cn_fs_file(fs, root, "new", CN_FS_WRITE_ONLY, true, &h), CN_ERR_PERMISSION_DENIED,
	       "create with a read-only grant");
	expect(cn_fs_file(fs, root, "inside.txt", CN_FS_READ_WRITE, false, &h),
	       CN_ERR_PERMISSION_DENIED, "open for writing with a read-only grant");
	expect(cn_fs_unlink(fs, root, "inside.txt"), CN_ERR_PERMISSION_DENIED,
	       "unlink with a read-only grant");
	cn_fs_close(fs);
	cn_log(test_fs_env(), "test-fs: rogrant: read-only");
	cn_exit(test_fs_env(), 0);
}

bool
test_lx_fs(const char *mode)
{
	if (strcmp(mode, "escape") == 0)
		test_escape();
	else if (strcmp(mode, "race") == 0)
		test_race();
	else if (strcmp(mode, "nopolicy") == 0)
		test_nopolicy();
	else if (strcmp(mode, "grant") == 0)
		test_grant();
	else if (strcmp(mode, "rogrant") == 0)
		test_rogrant();
	return false;
}
