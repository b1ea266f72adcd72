/*
 * test-fs: File_system client for the vfs, fs_rom and rom_to_file
 * scenarios. <config mode="..."/> picks the test:
 *   vfs      a vfs with <ram/>, <import>, <inline>, <rom>, <log>, <null/>,
 *            <zero/>: content, directories, writing, watches, policies;
 *   writer   after a second, reports <config iteration="N"/> (N = 1..4)
 *            every 200 ms
 *            through a Report session (for rom_to_file);
 *   reader   logs the ROM "iteration" as it changes (served by fs_rom),
 *            as rom_logger would, until iteration 4;
 *   hostile  abuses the packet stream and the RPCs of a vfs session, then
 *            checks that the vfs still serves a fresh session;
 *   escape, race, nopolicy, grant: lx_fs on a host directory (lx_fs.c).
 *   vfs_fs   a vfs that mounts another vfs's ram with <fs/> (the
 *            vfs_fs.sh scenario, which stops and removes the inner vfs
 *            between the steps <config step="N"/> announces);
 *   model    random operations checked against a model (model.c).
 */
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/log.h>
#include <cairn/report.h>
#include <cairn/rom.h>
#include <cairn/timer.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test-fs.h"

enum {
	WAIT_MS = 5000,
	SILENCE_MS = 300, /* how long to make sure nothing comes */
	ITERATIONS = 4,
	ITERATION_MS = 200,
	FIRST_REPORT_MS = 1000,
	BIG_FILE = 1 << 20,
	FILL_MAX_MIB = 64, /* more than the vfs of the scenario has */
};

static struct {
	struct cn_env *env;
	struct cn_fs *fs;
	unsigned notified;
	struct cn_rom *rom;
	struct cn_sig *rom_sig;
	unsigned step; /* vfs_fs: <config step> */
} state;

struct cn_env *
test_fs_env(void)
{
	return state.env;
}

void
fail(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cn_error(state.env, "test-fs: %s", text);
	cn_exit(state.env, 1);
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
expect(int r, int want, const char *what)
{
	if (r != want)
		fail("%s: %s, expected %s", what, cn_strerror(r), cn_strerror(want));
}

void
check_content(struct cn_fs *fs, const char *path, const char *want)
{
	char *buf;
	size_t len;
	int r = cn_fs_read_all(fs, path, CONTENT_MAX, &buf, &len);

	if (r < 0)
		fail("cannot read %s: %s", path, cn_strerror(r));
	if (len != strlen(want) || memcmp(buf, want, len) != 0)
		fail("%s holds \"%s\", expected \"%s\"", path, buf, want);
	free(buf);
	cn_log(state.env, "%s: %s", path, want);
}

struct cn_fs *
open_fs(const char *label, bool writeable)
{
	struct cn_fs *fs;
	int r = cn_fs_open(state.env, label, 0, writeable, &fs);

	if (r < 0)
		fail("File_system session '%s' unavailable: %s", label, cn_strerror(r));
	return fs;
}

/* --- vfs ------------------------------------------------------------------- */

static void
list_dir(struct cn_fs *fs, const char *path)
{
	struct cn_fs_dirent entries[16];
	char line[512] = "";
	uint32_t dir, count;
	size_t len;
	int r;

	if ((r = cn_fs_dir(fs, path, false, &dir)) < 0)
		fail("dir %s: %s", path, cn_strerror(r));
	if ((r = cn_fs_num_entries(fs, dir, &count)) < 0)
		fail("num_entries %s: %s", path, cn_strerror(r));
	if ((r = cn_fs_read(fs, dir, 0, entries, sizeof(entries), &len)) < 0)
		fail("reading directory %s: %s", path, cn_strerror(r));
	if (len != count * sizeof(entries[0]))
		fail("directory %s: %zu bytes for %u entries", path, len, count);
	for (unsigned i = 0; i < count; i++) {
		size_t used = strlen(line);

		snprintf(line + used, sizeof(line) - used, " %s%s", entries[i].name,
		         entries[i].type == CN_FS_DIRECTORY ? "/" : "");
	}
	cn_fs_close_handle(fs, dir);
	cn_log(state.env, "%s:%s", path, line);
}

static void
on_change(void *data, uint32_t watch)
{
	(void)data;
	(void)watch;
	state.notified++;
}

static void
wait_notified(unsigned seen, const char *what)
{
	uint64_t deadline = now_ms() + WAIT_MS;

	while (state.notified == seen) {
		uint64_t now = now_ms();

		if (now >= deadline)
			fail("no CONTENT_CHANGED for %s", what);
		cn_ep_dispatch(state.env->ep, (int)(deadline - now));
	}
	cn_log(state.env, "watch: %s changed", what);
}

/* Transfers larger than the tx buffer: many packets in flight, in order,
 * and a read past the end stops at it. */
static void
check_big_file(struct cn_fs *fs)
{
	static uint8_t out[BIG_FILE], in[2 * BIG_FILE];
	uint32_t dir, file;
	size_t len;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + i / 4096);
	expect(cn_fs_dir(fs, "/tmp", false, &dir), 0, "dir /tmp");
	expect(cn_fs_file(fs, dir, "big", CN_FS_READ_WRITE, true, &file), 0, "create big");
	expect(cn_fs_write(fs, file, 0, out, sizeof(out)), 0, "write big");
	expect(cn_fs_read(fs, file, 0, in, sizeof(out), &len), 0, "read big");
	if (len != sizeof(out) || memcmp(in, out, sizeof(out)) != 0)
		fail("big file read back wrong (%zu bytes)", len);
	expect(cn_fs_read(fs, file, BIG_FILE / 2, in, sizeof(in), &len), 0, "read past the end");
	if (len != BIG_FILE / 2 || memcmp(in, out + BIG_FILE / 2, len) != 0)
		fail("read past the end: %zu bytes", len);
	cn_fs_close_handle(fs, file);
	expect(cn_fs_unlink(fs, dir, "big"), 0, "unlink big");
	cn_fs_close_handle(fs, dir);
	cn_log(state.env, "1 MiB written and read back through a 128 KiB buffer");
}

static void
test_vfs(void)
{
	struct cn_fs *fs = open_fs("/", true), *ro;
	uint32_t dir, file, watch;
	struct cn_fs_status st;
	uint8_t zero[16];
	size_t len;
	char *buf;

	state.fs = fs;
	check_content(fs, "/data/greeting", "imported greeting");
	check_content(fs, "/etc/motd", "Hello from inline");
	if (cn_fs_read_all(fs, "/etc/vfs.config", CONTENT_MAX, &buf, &len) < 0 ||
	    strncmp(buf, "<config", 7) != 0)
		fail("<rom> content missing");
	free(buf);
	cn_log(state.env, "/etc/vfs.config: the vfs's config ROM");
	list_dir(fs, "/");
	list_dir(fs, "/dev");

	/* a ram file: create, append, truncate, move, unlink */
	expect(cn_fs_dir(fs, "/tmp", true, &dir), 0, "creating /tmp");
	expect(cn_fs_file(fs, dir, "a", CN_FS_READ_WRITE, true, &file), 0, "creating /tmp/a");
	for (int i = 0; i < 3; i++)
		expect(cn_fs_write(fs, file, CN_FS_SEEK_TAIL, "abc", 3), 0, "appending");
	expect(cn_fs_status(fs, file, &st), 0, "status");
	if (st.size != 9 || st.type != CN_FS_CONTINUOUS_FILE)
		fail("status: size %llu type %u", (unsigned long long)st.size, st.type);
	check_content(fs, "/tmp/a", "abcabcabc");
	expect(cn_fs_truncate(fs, file, 3), 0, "truncate");
	expect(cn_fs_close_handle(fs, file), 0, "close");
	check_content(fs, "/tmp/a", "abc");
	expect(cn_fs_file(fs, dir, "a", CN_FS_READ_WRITE, true, &file), CN_ERR_NODE_ALREADY_EXISTS,
	       "creating /tmp/a again");
	{
		uint32_t data;

		expect(cn_fs_dir(fs, "/data", false, &data), 0, "dir /data");
		expect(cn_fs_move(fs, dir, "a", data, "b"), 0, "move");
		check_content(fs, "/data/b", "abc");
		expect(cn_fs_unlink(fs, data, "b"), 0, "unlink");
		expect(cn_fs_file(fs, data, "b", CN_FS_READ_ONLY, false, &file),
		       CN_ERR_LOOKUP_FAILED, "opening an unlinked file");
		cn_fs_close_handle(fs, data);
	}
	cn_fs_close_handle(fs, dir);
	cn_log(state.env, "ram: create, append, truncate, move, unlink");
	check_big_file(fs);

	/* static nodes */
	expect(cn_fs_write_all(fs, "/etc/motd", "x", 1), CN_ERR_PERMISSION_DENIED,
	       "writing an <inline>");
	expect(cn_fs_dir(fs, "/etc/new", true, &dir), CN_ERR_PERMISSION_DENIED,
	       "creating a directory outside <ram/>");
	expect(cn_fs_dir(fs, "/../etc", false, &dir), CN_ERR_LOOKUP_FAILED, "/../etc");
	expect(cn_fs_dir(fs, "/etc", false, &dir), 0, "dir /etc");
	expect(cn_fs_file(fs, dir, "..", CN_FS_READ_ONLY, false, &file), CN_ERR_INVALID_NAME,
	       "file ..");
	cn_fs_close_handle(fs, dir);
	cn_log(state.env, "static nodes are read-only, '..' is refused");
	expect(cn_fs_write_all(fs, "/dev/log", "written through the vfs\n", 24), 0,
	       "writing /dev/log");
	expect(cn_fs_dir(fs, "/dev", false, &dir), 0, "dir /dev");
	expect(cn_fs_file(fs, dir, "zero", CN_FS_READ_ONLY, false, &file), 0, "open zero");
	memset(zero, 0xff, sizeof(zero));
	expect(cn_fs_read(fs, file, 0, zero, sizeof(zero), &len), 0, "read zero");
	for (size_t i = 0; i < sizeof(zero); i++)
		if (len != sizeof(zero) || zero[i])
			fail("/dev/zero is not zero");
	cn_fs_close_handle(fs, file);
	expect(cn_fs_file(fs, dir, "null", CN_FS_READ_WRITE, false, &file), 0, "open null");
	expect(cn_fs_write(fs, file, 0, "gone", 4), 0, "write null");
	expect(cn_fs_read(fs, file, 0, zero, sizeof(zero), &len), 0, "read null");
	if (len)
		fail("/dev/null returned data");
	cn_fs_close_handle(fs, file);
	cn_fs_close_handle(fs, dir);
	cn_log(state.env, "/dev/zero and /dev/null");

	/* watches */
	cn_fs_set_notify(fs, on_change, NULL);
	expect(cn_fs_watch(fs, "/data/greeting", &watch), 0, "watch");
	expect(cn_fs_watch(fs, "/data/missing", &file), CN_ERR_LOOKUP_FAILED, "watch missing");
	{
		unsigned seen = state.notified;

		expect(cn_fs_write_all(fs, "/data/greeting", "changed", 7), 0, "rewrite");
		wait_notified(seen, "/data/greeting");
	}
	cn_fs_close_handle(fs, watch);

	/* the read-only policy: rooted at /data */
	ro = open_fs("ro -> /", true);
	check_content(ro, "/greeting", "changed");
	expect(cn_fs_write_all(ro, "/new", "x", 1), CN_ERR_PERMISSION_DENIED,
	       "creating a file read-only");
	expect(cn_fs_dir(ro, "/", false, &dir), 0, "dir / read-only");
	expect(cn_fs_file(ro, dir, "greeting", CN_FS_WRITE_ONLY, false, &file),
	       CN_ERR_PERMISSION_DENIED, "opening for writing read-only");
	cn_fs_close_handle(ro, dir);
	cn_fs_close(ro);
	cn_log(state.env, "read-only session rooted at /data");
	cn_fs_close(fs);
	cn_log(state.env, "test-fs: vfs: done");
	cn_exit(state.env, 0);
}

/* --- writer and reader ------------------------------------------------------ */

static void
test_writer(void)
{
	struct cn_report *report;
	struct cn_timer *timer;
	char text[64];
	int r;

	r = cn_report_open(state.env, "iteration", 4096, &report);
	if (r == 0)
		r = cn_timer_open(state.env, "", &timer);
	if (r < 0)
		fail("cannot start the writer: %s", cn_strerror(r));
	/* the reader sees the file missing first */
	cn_timer_usleep(timer, FIRST_REPORT_MS * 1000);
	for (unsigned i = 1; i <= ITERATIONS; i++) {
		int n = snprintf(text, sizeof(text), "<config iteration=\"%u\"/>\n", i);

		if ((r = cn_report_submit(report, text, (size_t)n)) < 0)
			fail("report: %s", cn_strerror(r));
		cn_timer_usleep(timer, ITERATION_MS * 1000);
	}
	cn_log(state.env, "test-fs: writer: done");
	cn_exit(state.env, 0);
}

static void
rom_changed(void *data, uint32_t count)
{
	char text[CONTENT_MAX + 1];
	size_t len;

	(void)data;
	(void)count;
	if (cn_rom_update(state.rom) < 0)
		fail("ROM update failed");
	len = cn_rom_size(state.rom);
	if (len > CONTENT_MAX)
		len = CONTENT_MAX;
	memcpy(text, cn_rom_data(state.rom), len);
	text[len] = 0;
	if (!len) {
		cn_log(state.env, "ROM 'iteration' is invalid");
		return;
	}
	/* as rom_logger: the name, then the content line by line, indented */
	cn_log(state.env, "ROM 'iteration':");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		cn_log(state.env, "  %s", line);
	if (strstr(cn_rom_data(state.rom), "iteration=\"4\"")) {
		cn_log(state.env, "test-fs: reader: done");
		cn_exit(state.env, 0);
	}
}

static void
test_reader(void)
{
	int r = cn_rom_open(state.env, "iteration", &state.rom);

	if (r == 0)
		r = cn_sig_create(state.env->ep, rom_changed, NULL, &state.rom_sig);
	if (r == 0)
		r = cn_rom_sigh(state.rom, cn_sig_cap(state.rom_sig));
	if (r < 0)
		fail("ROM 'iteration' unavailable: %s", cn_strerror(r));
	rom_changed(NULL, 1);
}

/* --- hostile ----------------------------------------------------------------- */

static void
nop_signal(void *data, uint32_t count)
{
	(void)data;
	(void)count;
}

/* Put a descriptor into the submit ring by hand (cn_ps_submit would refuse a
 * bad one): the ring's layout is in docs/PROTOCOL.md section 12. */
static void
submit_raw(struct cn_ps *ps, const struct cn_packet *p)
{
	uint8_t *mem = (uint8_t *)ps->shared;

	((struct cn_packet *)(mem + 320))[ps->submit_pos & (ps->queue_len - 1)] = *p;
	ps->submit_pos++;
	__atomic_store_n((uint32_t *)(mem + 64), ps->submit_pos, __ATOMIC_RELEASE);
}

static bool
wait_ack(struct cn_ps *ps, struct cn_packet *ret, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	while (cn_ps_get_acked(ps, ret) == -EAGAIN) {
		if (now_ms() >= deadline)
			return false;
		cn_ep_dispatch(state.env->ep, 10);
	}
	return true;
}

static void
test_hostile(void)
{
	struct cn_fs *fs = open_fs("/", true), *flood, *fresh;
	struct cn_sig *sig;
	struct cn_ps *ps;
	struct cn_packet p, ack;
	struct cn_msg msg;
	uint32_t dir, file;
	unsigned n = 0;

	/* malformed RPCs and names */
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_FS_DIR);
	cn_msg_put_u32(&msg, 5000);
	expect(cn_call(cn_fs_cap(fs), &msg), CN_ERR_BAD_MESSAGE, "truncated path");
	cn_msg_init(&msg, 4711);
	expect(cn_call(cn_fs_cap(fs), &msg), CN_ERR_INVALID_OPCODE, "unknown opcode");
	cn_msg_reset(&msg);
	expect(cn_fs_dir(fs, "/data/../..", false, &dir), CN_ERR_LOOKUP_FAILED, "..");
	expect(cn_fs_dir(fs, "/data", false, &dir), 0, "dir /data");
	expect(cn_fs_file(fs, dir, "../greeting", CN_FS_READ_ONLY, false, &file),
	       CN_ERR_INVALID_NAME, "name with '/'");
	expect(cn_fs_file(fs, 4000, "greeting", CN_FS_READ_ONLY, false, &file),
	       CN_ERR_INVALID_HANDLE, "bad handle");
	expect(cn_fs_file(fs, dir, "greeting", CN_FS_READ_ONLY, false, &file), 0, "open");
	cn_log(state.env, "malformed requests refused");

	/* bad packets */
	if (cn_sig_create(state.env->ep, nop_signal, NULL, &sig) < 0 ||
	    !(ps = cn_fs_tx_raw(fs, cn_sig_cap(sig))))
		fail("no raw stream");
	p = (struct cn_packet){.offset = ps->payload_size - 8,
	                       .size = 4096,
	                       .opcode = cn_fs_packet_opcode(CN_FS_READ, file),
	                       .status = 16};
	submit_raw(ps, &p);
	p = (struct cn_packet){
	    .offset = 0, .size = 64, .opcode = cn_fs_packet_opcode(CN_FS_READ, 999), .status = 64};
	submit_raw(ps, &p);
	cn_fs_tx_wakeup(fs);
	if (!wait_ack(ps, &ack, WAIT_MS) || ack.status != CN_FS_PACKET_FAILED)
		fail("a packet with a bad handle was not failed");
	p.opcode = cn_fs_packet_opcode(CN_FS_WRITE, file); /* read-only handle */
	submit_raw(ps, &p);
	cn_fs_tx_wakeup(fs);
	if (!wait_ack(ps, &ack, WAIT_MS) || ack.status != CN_FS_PACKET_FAILED)
		fail("a write on a read-only handle was not failed");
	cn_log(state.env, "bad packets failed or dropped");
	/* a broken ring index: the stream of this session ends */
	__atomic_store_n((uint32_t *)((uint8_t *)ps->shared + 64), ps->submit_pos + 12345,
	                 __ATOMIC_RELEASE);
	cn_fs_tx_wakeup(fs);
	if (wait_ack(ps, &ack, SILENCE_MS))
		fail("a broken stream was served");
	expect(cn_fs_close_handle(fs, file), 0, "RPCs after a broken stream");
	cn_log(state.env, "broken stream ended, RPCs still served");

	/* a client that never takes acknowledgements */
	flood = open_fs("/", false);
	ps = cn_fs_tx_raw(flood, cn_sig_cap(sig));
	expect(cn_fs_dir(flood, "/data", false, &dir), 0, "flood dir");
	expect(cn_fs_file(flood, dir, "greeting", CN_FS_READ_ONLY, false, &file), 0, "flood file");
	for (uint64_t deadline = now_ms() + 1000; now_ms() < deadline;) {
		if (!cn_ps_ready_to_submit(ps)) {
			cn_ep_dispatch(state.env->ep, 20);
			continue;
		}
		if (cn_ps_alloc(ps, 64, &p) < 0)
			break;
		p.opcode = cn_fs_packet_opcode(CN_FS_READ, file);
		p.status = 64;
		cn_ps_submit(ps, &p);
		cn_fs_tx_wakeup(flood);
		n++;
	}
	if (n != 2 * CN_FS_TX_QUEUE_SIZE)
		fail("the vfs took %u packets without room to acknowledge them", n);
	cn_log(state.env, "flood stalls only its own stream (%u packets)", n);

	/* the vfs still serves a fresh client; filling its ram ends in a
	 * failed write, and unlinking gives the room back */
	fresh = open_fs("/", true);
	check_content(fresh, "/data/greeting", "imported greeting");
	{
		static char chunk[1 << 20];
		unsigned mib = 0;
		int r = 0;

		expect(cn_fs_dir(fresh, "/", false, &dir), 0, "dir /");
		expect(cn_fs_file(fresh, dir, "fill", CN_FS_WRITE_ONLY, true, &file), 0,
		       "create /fill");
		while (mib < FILL_MAX_MIB &&
		       (r = cn_fs_write(fresh, file, CN_FS_SEEK_TAIL, chunk, sizeof(chunk))) == 0)
			mib++;
		if (r != CN_ERR_UNAVAILABLE)
			fail("filling the ram: %s after %u MiB", cn_strerror(r), mib);
		cn_fs_close_handle(fresh, file);
		expect(cn_fs_unlink(fresh, dir, "fill"), 0, "unlink /fill");
		expect(cn_fs_write_all(fresh, "/after", "room again", 10), 0, "write after");
		cn_fs_close_handle(fresh, dir);
		cn_log(state.env, "ram full after %s MiB, room again after unlink",
		       mib > 1 ? "some" : "no");
	}
	cn_fs_close(fresh);
	cn_log(state.env, "test-fs: hostile: done");
	cn_exit(state.env, 0);
}

/* --- vfs_fs ------------------------------------------------------------------ */

static void
step_changed(struct cn_env *env)
{
	const struct cn_xml_node *config;
	uint64_t step;

	if (cn_config(env, &config) == 0 && cn_xml_attr_u64(config, "step", &step) == 0)
		state.step = (unsigned)step;
}

/* Tell the script we are done with a step and wait for the next one. */
static void
next_step(const char *what)
{
	unsigned want = state.step + 1;
	uint64_t deadline = now_ms() + 4 * WAIT_MS;

	cn_log(state.env, "step %u done, %s", state.step, what);
	while (state.step < want) {
		if (now_ms() >= deadline)
			fail("step %u did not come", want);
		cn_ep_dispatch(state.env->ep, 100);
	}
}

static void
expect_unavailable(struct cn_fs *fs, const char *path, unsigned min_ms, unsigned max_ms,
                   const char *what)
{
	uint64_t start = now_ms(), took;
	char *buf;
	size_t len;
	int r = cn_fs_read_all(fs, path, CONTENT_MAX, &buf, &len);

	took = now_ms() - start;
	if (r == 0)
		free(buf);
	if (r != CN_ERR_UNAVAILABLE)
		fail("%s: reading %s: %s, expected %s", what, path, cn_strerror(r),
		     cn_strerror(CN_ERR_UNAVAILABLE));
	if (took < min_ms || took > max_ms)
		fail("%s: Unavailable after %llu ms, expected %u..%u", what,
		     (unsigned long long)took, min_ms, max_ms);
	cn_log(state.env, "%s: %s Unavailable", what, path);
}

static void
check_big_remote(struct cn_fs *fs, const char *path, size_t size)
{
	static uint8_t out[300 << 10];
	char *buf;
	size_t len;

	for (size_t i = 0; i < size; i++)
		out[i] = (uint8_t)(i * 13 + i / 1000);
	expect(cn_fs_write_all(fs, path, out, size), 0, "writing a big remote file");
	expect(cn_fs_read_all(fs, path, sizeof(out), &buf, &len), 0, "reading it back");
	if (len != size || memcmp(buf, out, size) != 0)
		fail("%s read back wrong (%zu bytes)", path, len);
	free(buf);
	cn_log(state.env, "%s: %zu KiB written and read back", path, size >> 10);
}

static void test_vfs_fs_removed(void);

static void
test_vfs_fs(void)
{
	struct cn_fs *fs = open_fs("/", true), *direct;
	uint32_t inner, own, watch, file, held_dir, held;

	cn_config_sigh(state.env, step_changed);
	step_changed(state.env);
	if (state.step == 5) {
		cn_fs_close(fs);
		test_vfs_fs_removed();
	}
	state.fs = fs;
	cn_fs_set_notify(fs, on_change, NULL);

	/* step 1: the inner vfs serves through the outer one */
	check_content(fs, "/inner/shared/hello", "from inner");
	check_content(fs, "/again/hello", "from inner");
	check_content(fs, "/own/file", "outer's own");
	check_content(fs, "/inner/etc/motd", "static");
	list_dir(fs, "/");
	expect(cn_fs_write_all(fs, "/inner/new", "through outer", 13), 0, "writing /inner/new");
	check_content(fs, "/inner/new", "through outer");
	list_dir(fs, "/inner");
	check_big_remote(fs, "/inner/big", 300 << 10);
	check_big_remote(fs, "/again/big", 100 << 10);
	expect(cn_fs_dir(fs, "/inner", false, &inner), 0, "dir /inner");
	expect(cn_fs_dir(fs, "/own", false, &own), 0, "dir /own");
	expect(cn_fs_move(fs, inner, "new", own, "new"), CN_ERR_PERMISSION_DENIED,
	       "moving out of the remote file system");
	{
		uint32_t shared;

		expect(cn_fs_dir(fs, "/inner/shared", false, &shared), 0, "dir /inner/shared");
		expect(cn_fs_move(fs, inner, "new", shared, "moved"), 0, "moving within it");
		cn_fs_close_handle(fs, shared);
	}
	check_content(fs, "/again/moved", "through outer");
	expect(cn_fs_unlink(fs, inner, "big"), 0, "unlink /inner/big");
	expect(cn_fs_unlink(fs, inner, "missing"), CN_ERR_LOOKUP_FAILED, "unlink a missing file");
	cn_fs_close_handle(fs, inner);
	list_dir(fs, "/again");
	cn_log(state.env, "remote: write, list, move, unlink through <fs/>");
	{
		/* a session rooted inside the remote sub-tree, read-only */
		struct cn_fs *sub = open_fs("sub -> /", true);

		check_content(sub, "/hello", "from inner");
		expect(cn_fs_write_all(sub, "/x", "x", 1), CN_ERR_PERMISSION_DENIED,
		       "writing read-only");
		cn_fs_close(sub);
		cn_log(state.env, "read-only session rooted at /again");
	}

	/* a change made at the inner vfs directly reaches the outer's watcher */
	expect(cn_fs_watch(fs, "/inner/shared/hello", &watch), 0, "watch /inner/shared/hello");
	direct = open_fs("direct -> /", true);
	{
		unsigned seen = state.notified;

		expect(cn_fs_write_all(direct, "/shared/hello", "changed directly", 16), 0,
		       "writing at the inner vfs");
		wait_notified(seen, "/inner/shared/hello (through <fs/>)");
	}
	cn_fs_close(direct);
	check_content(fs, "/inner/shared/hello", "changed directly");
	expect(cn_fs_close_handle(fs, watch), 0, "closing the watch");
	expect(cn_fs_dir(fs, "/inner/shared", false, &held_dir), 0, "dir /inner/shared");
	expect(cn_fs_file(fs, held_dir, "hello", CN_FS_READ_ONLY, false, &held), 0,
	       "opening /inner/shared/hello");
	next_step("stop the inner vfs");

	/* step 2: the inner vfs is stopped (SIGSTOP): a read of a file open
	 * there (a packet) and an open (an RPC) time out after timeout_ms,
	 * then the sub-tree fails at once; the outer vfs serves its own ram
	 * meanwhile */
	{
		uint64_t start = now_ms(), took;
		char buf[64];
		size_t len;
		int r = cn_fs_read(fs, held, 0, buf, sizeof(buf), &len);

		took = now_ms() - start;
		if (r != CN_ERR_UNAVAILABLE || took < 900 || took > 4000)
			fail("reading a file of a stuck remote: %s after %llu ms", cn_strerror(r),
			     (unsigned long long)took);
		cn_log(state.env, "stuck remote: a read Unavailable after timeout_ms");
	}
	expect_unavailable(fs, "/inner/shared/hello", 0, 300, "stale remote");
	list_dir(fs, "/inner"); /* its static entries remain */
	check_content(fs, "/inner/etc/motd", "static");
	expect(cn_fs_close_handle(fs, held), 0, "closing a file of a stale remote");
	expect(cn_fs_close_handle(fs, held_dir), 0, "closing a dir of a stale remote");
	expect_unavailable(fs, "/third/shared/hello", 900, 4000, "stuck remote");
	expect_unavailable(fs, "/third/shared/hello", 0, 300, "stale remote");
	check_content(fs, "/own/file", "outer's own");
	expect(cn_fs_write_all(fs, "/own/while-stuck", "x", 1), 0, "writing own ram");
	next_step("continue the inner vfs");

	/* step 3: running again: the other session to it still works */
	check_content(fs, "/again/hello", "changed directly");
	expect_unavailable(fs, "/inner/shared/hello", 0, 300, "still stale");
	expect(cn_fs_watch(fs, "/again/hello", &watch), 0, "watch /again/hello");
	next_step("kill the inner vfs");

	/* step 4: the inner vfs died: errors at once, and the outer vfs goes
	 * on with its own ram as it was */
	for (uint64_t deadline = now_ms() + WAIT_MS;;) {
		char *buf;
		size_t len;
		int r = cn_fs_read_all(fs, "/again/hello", CONTENT_MAX, &buf, &len);

		if (r == 0) {
			free(buf);
			if (now_ms() >= deadline)
				fail("the killed vfs still serves");
			cn_ep_dispatch(state.env->ep, 50);
			continue;
		}
		if (r != CN_ERR_UNAVAILABLE)
			fail("reading from a dead vfs: %s", cn_strerror(r));
		break;
	}
	expect_unavailable(fs, "/again/hello", 0, 300, "dead remote");
	expect(cn_fs_dir(fs, "/again", false, &file), CN_ERR_UNAVAILABLE, "dir /again");
	expect(cn_fs_close_handle(fs, watch), 0, "closing a watch of a dead remote");
	check_content(fs, "/own/while-stuck", "x");
	expect(cn_fs_write_all(fs, "/own/after", "after", 5), 0, "writing own ram");
	check_content(fs, "/own/after", "after");
	list_dir(fs, "/own");
	cn_fs_close_handle(fs, own);
	next_step("remove the inner vfs");
	/* step 5: the sub-init is gone; as Genode's init, ours leaves its
	 * clients (the outer vfs and us) running, stuck, rather than
	 * restarting them: the <fs/> parts stay unavailable, the outer's own
	 * ram is served */
	cn_fs_close(fs);
	test_vfs_fs_removed();
}

/* step 5: the inner vfs's start node is gone, which restarted the outer
 * vfs and us (Genode's init restarts the clients of a removed server):
 * the <fs/> sub-trees are unavailable, the rest is served */
static void
test_vfs_fs_removed(void)
{
	struct cn_fs *fs = open_fs("/", true);

	expect_unavailable(fs, "/inner/shared/hello", 0, 300, "removed remote");
	expect_unavailable(fs, "/again/hello", 0, 300, "removed remote");
	check_content(fs, "/own/file", "outer's own");
	expect(cn_fs_write_all(fs, "/own/after", "after", 5), 0, "writing own ram");
	check_content(fs, "/own/after", "after");
	list_dir(fs, "/");
	cn_fs_close(fs);
	cn_log(state.env, "test-fs: vfs_fs: done");
	cn_exit(state.env, 0);
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config = NULL;
	char mode[16] = "vfs";

	state.env = env;
	if (cn_config(env, &config) == 0)
		cn_xml_attr_str(config, "mode", mode, sizeof(mode));
	if (strcmp(mode, "vfs") == 0)
		test_vfs();
	else if (strcmp(mode, "writer") == 0)
		test_writer();
	else if (strcmp(mode, "reader") == 0)
		test_reader();
	else if (strcmp(mode, "hostile") == 0)
		test_hostile();
	else if (strcmp(mode, "vfs_fs") == 0)
		test_vfs_fs();
	else if (strcmp(mode, "model") == 0)
		test_model(config);
	else if (!test_lx_fs(mode))
		fail("unknown mode '%s'", mode);
}
