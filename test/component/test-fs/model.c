/*
 * test-fs mode "model": random File_system operations checked against a
 * model of what the file system must hold. <config mode="model"
 * seed="N" ops="N" label="/" dir="/model"/> runs `ops` operations (writes
 * at random positions, reads, truncations, unlinks, moves onto new and
 * existing names, status, directory listings) on up to eight files in
 * three directories below `dir` of the session `label`, from a fixed seed,
 * and compares every answer with the model; at the end every file is read
 * back whole. verbose="yes" logs each operation. watch="yes" adds a second
 * session that watches some of the files: every write of a watched file
 * (its handle closed) must reach that watch as CONTENT_CHANGED. The same
 * test runs against the vfs's ram file system and against lx_fs on a
 * host directory.
 */
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/log.h>
#include <cairn/xml.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-fs.h"
#include "test_rng.h"

enum {
	DIRS = 3,
	NAMES = 8,          /* file names per directory */
	FILE_MAX = 1 << 16, /* bytes of a model file */
	IO_MAX = 20000,     /* bytes of one read or write */
	OPS_DEFAULT = 2000,
};

struct model_file {
	bool exists;
	size_t size;
	unsigned char *data; /* FILE_MAX bytes */
	/* watch="yes": a watch of the file in the watcher's session */
	bool watched;
	uint32_t watch;
	unsigned notified; /* CONTENT_CHANGED seen for it */
};

static struct {
	struct cn_fs *fs;
	struct cn_fs *watcher; /* watch="yes": a second session that watches */
	unsigned long watched_writes;
	char base[64]; /* the model's directory, "/model" by default */
	uint64_t rng;
	struct model_file files[DIRS][NAMES];
	unsigned char io[IO_MAX];
	unsigned char back[IO_MAX];
	unsigned long counts[8];
} m;

static unsigned
rnd(unsigned n)
{
	uint64_t v = test_rng_next(&m.rng);

	return n ? (unsigned)(v >> 33) % n : 0;
}

static void
dir_path(unsigned d, char *buf, size_t size)
{
	snprintf(buf, size, "%s/d%u", m.base, d);
}

static void
file_name(unsigned f, char *buf, size_t size)
{
	snprintf(buf, size, "f%u", f);
}

static uint32_t
open_dir(unsigned d)
{
	char path[CN_FS_PATH_MAX];
	uint32_t h;
	int r;

	dir_path(d, path, sizeof(path));
	if ((r = cn_fs_dir(m.fs, path, false, &h)) < 0)
		fail("model: dir %s: %s", path, cn_strerror(r));
	return h;
}

/* A handle of file f in directory d (created if the model has none). */
static uint32_t
open_file(unsigned d, unsigned f, enum cn_fs_mode mode, uint32_t *ret_dir)
{
	char name[16];
	uint32_t h;
	int r;

	*ret_dir = open_dir(d);
	file_name(f, name, sizeof(name));
	r = cn_fs_file(m.fs, *ret_dir, name, mode, !m.files[d][f].exists, &h);
	if (r < 0)
		fail("model: open d%u/%s (%s): %s", d, name,
		     m.files[d][f].exists ? "exists" : "new", cn_strerror(r));
	return h;
}

static void
close_both(uint32_t dir, uint32_t file)
{
	cn_fs_close_handle(m.fs, file);
	cn_fs_close_handle(m.fs, dir);
}

/* --- watches (watch="yes") --------------------------------------------- */

static void
notified(void *data, uint32_t watch)
{
	(void)data;
	for (unsigned d = 0; d < DIRS; d++)
		for (unsigned f = 0; f < NAMES; f++)
			if (m.files[d][f].watched && m.files[d][f].watch == watch)
				m.files[d][f].notified++;
}

static void
unwatch(unsigned d, unsigned f)
{
	struct model_file *mf = &m.files[d][f];

	if (!mf->watched)
		return;
	cn_fs_close_handle(m.watcher, mf->watch);
	mf->watched = false;
}

/* After a write of a watched file: its watch must fire (5 s at most). */
static void
expect_notified(unsigned d, unsigned f, unsigned before)
{
	uint64_t deadline = now_ms() + 5000;

	while (m.files[d][f].notified == before) {
		uint64_t now = now_ms();

		if (now >= deadline)
			fail("model: no CONTENT_CHANGED for d%u/f%u after a write", d, f);
		cn_ep_dispatch(test_fs_env()->ep, (int)(deadline - now));
	}
	m.watched_writes++;
}

/* Now and then watch a file that exists (or stop watching it). */
static void
maybe_watch(unsigned d, unsigned f)
{
	struct model_file *mf = &m.files[d][f];
	char path[CN_FS_PATH_MAX];
	int r;

	if (!m.watcher || !mf->exists || rnd(2))
		return;
	if (mf->watched) {
		unwatch(d, f);
		return;
	}
	snprintf(path, sizeof(path), "%s/d%u/f%u", m.base, d, f);
	if ((r = cn_fs_watch(m.watcher, path, &mf->watch)) < 0)
		fail("model: watch %s: %s", path, cn_strerror(r));
	mf->watched = true;
}

static void
op_write(unsigned d, unsigned f)
{
	struct model_file *mf = &m.files[d][f];
	uint32_t dir, h = open_file(d, f, CN_FS_READ_WRITE, &dir);
	size_t pos = rnd((unsigned)mf->size + 200), len = 1 + rnd(IO_MAX);
	int r;

	mf->exists = true;
	if (pos >= FILE_MAX)
		pos = FILE_MAX - 1;
	if (pos + len > FILE_MAX)
		len = FILE_MAX - pos;
	for (size_t i = 0; i < len; i++)
		m.io[i] = (unsigned char)rnd(256);
	if ((r = cn_fs_write(m.fs, h, pos, m.io, len)) < 0)
		fail("model: write %zu bytes at %zu of d%u/f%u: %s", len, pos, d, f,
		     cn_strerror(r));
	if (pos > mf->size)
		memset(mf->data + mf->size, 0, pos - mf->size); /* a hole reads as zeros */
	memcpy(mf->data + pos, m.io, len);
	if (pos + len > mf->size)
		mf->size = pos + len;
	close_both(dir, h);
	if (mf->watched)
		expect_notified(d, f, mf->notified);
	maybe_watch(d, f);
}

static void
op_read(unsigned d, unsigned f)
{
	struct model_file *mf = &m.files[d][f];
	uint32_t dir, h;
	size_t pos, len, want, done = 0;
	int r;

	if (!mf->exists)
		return;
	h = open_file(d, f, CN_FS_READ_ONLY, &dir);
	pos = rnd((unsigned)mf->size + 100);
	len = 1 + rnd(IO_MAX);
	want = pos >= mf->size ? 0 : (mf->size - pos < len ? mf->size - pos : len);
	if ((r = cn_fs_read(m.fs, h, pos, m.back, len, &done)) < 0)
		fail("model: read %zu bytes at %zu of d%u/f%u: %s", len, pos, d, f, cn_strerror(r));
	if (done != want)
		fail("model: read %zu bytes at %zu of d%u/f%u (size %zu): got %zu, expected %zu",
		     len, pos, d, f, mf->size, done, want);
	if (want && memcmp(m.back, mf->data + pos, want) != 0)
		fail("model: d%u/f%u: content differs at %zu..%zu", d, f, pos, pos + want);
	close_both(dir, h);
}

static void
op_truncate(unsigned d, unsigned f)
{
	struct model_file *mf = &m.files[d][f];
	uint32_t dir, h;
	size_t size;
	int r;

	if (!mf->exists)
		return;
	h = open_file(d, f, CN_FS_READ_WRITE, &dir);
	size = rnd((unsigned)mf->size + 5000);
	if (size > FILE_MAX)
		size = FILE_MAX;
	if ((r = cn_fs_truncate(m.fs, h, size)) < 0)
		fail("model: truncate d%u/f%u to %zu: %s", d, f, size, cn_strerror(r));
	if (size > mf->size)
		memset(mf->data + mf->size, 0, size - mf->size);
	mf->size = size;
	close_both(dir, h);
}

static void
op_unlink(unsigned d, unsigned f)
{
	char name[16];
	uint32_t dir = open_dir(d);
	int r;

	file_name(f, name, sizeof(name));
	unwatch(d, f); /* what a watch of a removed file does is not modelled */
	r = cn_fs_unlink(m.fs, dir, name);
	if (m.files[d][f].exists && r < 0)
		fail("model: unlink d%u/%s: %s", d, name, cn_strerror(r));
	if (!m.files[d][f].exists && r >= 0)
		fail("model: unlink of the missing d%u/%s succeeded", d, name);
	m.files[d][f].exists = false;
	m.files[d][f].size = 0;
	cn_fs_close_handle(m.fs, dir);
}

/* A move onto another name, existing or not (an existing file is
 * replaced, as rename() does). */
static void
op_move(unsigned d, unsigned f)
{
	unsigned d2 = rnd(DIRS), f2 = rnd(NAMES);
	struct model_file *from = &m.files[d][f], *to = &m.files[d2][f2], tmp;
	char name[16], name2[16];
	uint32_t dir, dir2;
	int r;

	if (!from->exists || (d == d2 && f == f2))
		return;
	unwatch(d, f);
	unwatch(d2, f2);
	file_name(f, name, sizeof(name));
	file_name(f2, name2, sizeof(name2));
	dir = open_dir(d);
	dir2 = open_dir(d2);
	if ((r = cn_fs_move(m.fs, dir, name, dir2, name2)) < 0)
		fail("model: move d%u/%s to d%u/%s (%s): %s", d, name, d2, name2,
		     to->exists ? "exists" : "new", cn_strerror(r));
	tmp = *to;
	*to = *from;
	*from = tmp; /* keeps the buffer, now unused */
	from->exists = false;
	from->size = 0;
	cn_fs_close_handle(m.fs, dir2);
	cn_fs_close_handle(m.fs, dir);
}

static void
op_status(unsigned d, unsigned f)
{
	struct model_file *mf = &m.files[d][f];
	struct cn_fs_status st;
	uint32_t dir, h;
	int r;

	if (!mf->exists)
		return;
	h = open_file(d, f, CN_FS_STAT_ONLY, &dir);
	if ((r = cn_fs_status(m.fs, h, &st)) < 0)
		fail("model: status of d%u/f%u: %s", d, f, cn_strerror(r));
	if (st.size != mf->size || st.type != CN_FS_CONTINUOUS_FILE)
		fail("model: status of d%u/f%u: size %llu type %u, expected size %zu of a file", d,
		     f, (unsigned long long)st.size, st.type, mf->size);
	close_both(dir, h);
}

static void
op_list(unsigned d)
{
	struct cn_fs_dirent entries[NAMES + 1];
	bool seen[NAMES] = {false};
	unsigned want = 0;
	uint32_t dir = open_dir(d), count;
	size_t len;
	int r;

	for (unsigned f = 0; f < NAMES; f++)
		want += m.files[d][f].exists;
	if ((r = cn_fs_num_entries(m.fs, dir, &count)) < 0)
		fail("model: num_entries of d%u: %s", d, cn_strerror(r));
	if (count != want)
		fail("model: d%u has %u entries, expected %u", d, count, want);
	if ((r = cn_fs_read(m.fs, dir, 0, entries, sizeof(entries), &len)) < 0)
		fail("model: listing d%u: %s", d, cn_strerror(r));
	if (len != want * sizeof(entries[0]))
		fail("model: listing d%u: %zu bytes for %u entries", d, len, want);
	for (unsigned i = 0; i < want; i++) {
		unsigned f;
		char tail;

		if (sscanf(entries[i].name, "f%u%c", &f, &tail) != 1 || f >= NAMES ||
		    !m.files[d][f].exists || seen[f] || entries[i].type != CN_FS_CONTINUOUS_FILE)
			fail("model: d%u lists '%s', which it should not", d, entries[i].name);
		seen[f] = true;
	}
	cn_fs_close_handle(m.fs, dir);
}

static void
make_dirs(void)
{
	char path[CN_FS_PATH_MAX];
	uint32_t h;
	int r;

	if ((r = cn_fs_dir(m.fs, m.base, true, &h)) < 0)
		fail("model: cannot make %s: %s", m.base, cn_strerror(r));
	cn_fs_close_handle(m.fs, h);
	for (unsigned d = 0; d < DIRS; d++) {
		dir_path(d, path, sizeof(path));
		if ((r = cn_fs_dir(m.fs, path, true, &h)) < 0)
			fail("model: cannot make %s: %s", path, cn_strerror(r));
		cn_fs_close_handle(m.fs, h);
	}
}

void
test_model(const struct cn_xml_node *config)
{
	static const char *const names[] = {"write", "read", "truncate", "unlink",
	                                    "move",  "stat", "list",     "read"};
	uint64_t seed = 1, ops = OPS_DEFAULT;
	char label[64] = "/";
	bool verbose = false, watch = false;

	cn_xml_attr_u64(config, "seed", &seed);
	cn_xml_attr_u64(config, "ops", &ops);
	cn_xml_attr_str(config, "label", label, sizeof(label));
	cn_xml_attr_bool(config, "verbose", &verbose);
	cn_xml_attr_bool(config, "watch", &watch);
	snprintf(m.base, sizeof(m.base), "/model");
	cn_xml_attr_str(config, "dir", m.base, sizeof(m.base));
	if (m.base[0] != '/' || strchr(m.base + 1, '/'))
		fail("model: dir=\"%s\" is no directory below /", m.base);
	m.rng = test_rng_seed(seed);
	for (unsigned d = 0; d < DIRS; d++)
		for (unsigned f = 0; f < NAMES; f++)
			if (!(m.files[d][f].data = malloc(FILE_MAX)))
				fail("model: out of memory");
	m.fs = open_fs(label, true);
	if (watch) {
		m.watcher = open_fs(label, false);
		cn_fs_set_notify(m.watcher, notified, NULL);
	}
	make_dirs();
	for (uint64_t i = 0; i < ops; i++) {
		unsigned d = rnd(DIRS), f = rnd(NAMES), op = rnd(8);

		if (verbose)
			cn_log(test_fs_env(), "model: %llu: %s d%u/f%u", (unsigned long long)i,
			       names[op], d, f);

		switch (op) {
		case 0:
			op_write(d, f);
			break;
		case 1:
		case 7:
			op_read(d, f);
			break;
		case 2:
			op_truncate(d, f);
			break;
		case 3:
			op_unlink(d, f);
			break;
		case 4:
			op_move(d, f);
			break;
		case 5:
			op_status(d, f);
			break;
		case 6:
			op_list(d);
			break;
		}
		m.counts[op]++;
	}
	/* everything once more, whole */
	for (unsigned d = 0; d < DIRS; d++) {
		op_list(d);
		for (unsigned f = 0; f < NAMES; f++) {
			struct model_file *mf = &m.files[d][f];
			char path[CN_FS_PATH_MAX];
			char *buf;
			size_t len;
			int r;

			if (!mf->exists)
				continue;
			snprintf(path, sizeof(path), "%s/d%u/f%u", m.base, d, f);
			if ((r = cn_fs_read_all(m.fs, path, FILE_MAX, &buf, &len)) < 0)
				fail("model: reading %s whole: %s", path, cn_strerror(r));
			if (len != mf->size || memcmp(buf, mf->data, len) != 0)
				fail("model: %s differs from the model (%zu bytes, expected %zu)",
				     path, len, mf->size);
			free(buf);
		}
	}
	cn_log(test_fs_env(),
	       "test-fs: model: %llu operations (%lu %s, %lu %s, %lu %s, %lu %s, "
	       "%lu %s, %lu %s, %lu %s) as the model says",
	       (unsigned long long)ops, m.counts[0], names[0], m.counts[1] + m.counts[7], names[1],
	       m.counts[2], names[2], m.counts[3], names[3], m.counts[4], names[4], m.counts[5],
	       names[5], m.counts[6], names[6]);
	if (m.watcher)
		cn_log(test_fs_env(), "test-fs: model: %lu writes of watched files, each notified",
		       m.watched_writes);
	cn_exit(test_fs_env(), 0);
}
