/*
 * ROM service: files of the boot directories as sealed, read-only memfds.
 * A file that changes on disk is re-read and its sessions are signalled.
 */
#include <cairn/rom.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

enum { ROM_MODULE_MAX = 256 << 20, ROM_NAME_MAX = 256, ROM_WATCHES_MAX = 64 };

struct rom_session;

struct rom_module {
	char name[ROM_NAME_MAX];
	char path[PATH_MAX];
	int memfd;   /* current content: a read-only open of a sealed memfd;
	              * -1 if not loaded or empty */
	size_t size; /* bytes of content */
	bool loaded;
	struct rom_session *sessions;
	struct rom_module *next;
};

struct rom_session {
	struct core_head head;
	struct cn_obj *obj;
	struct core *core;
	struct rom_module *module;
	char label[CN_LABEL_MAX];
	int sigh;
	struct rom_session *next;
};

struct dir_watch {
	int wd;
	char dir[PATH_MAX];
};

static struct rom_module *
find(struct core *core, const char *name)
{
	for (struct rom_module *m = core->roms; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

const char *
core_rom_path(struct core *core, const char *name)
{
	struct rom_module *m = find(core, name);
	return m ? m->path : NULL;
}

/* The module whose current content ds is (a ROM dataspace capability as
 * handed out by a ROM session), recognised by inode like every dataspace. */
const char *
core_rom_path_of_ds(struct core *core, int ds, const char **ret_name)
{
	struct stat a, b;

	if (fstat(ds, &a) < 0)
		return NULL;
	for (struct rom_module *m = core->roms; m; m = m->next) {
		if (m->memfd < 0 || fstat(m->memfd, &b) < 0)
			continue;
		if (a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			*ret_name = m->name;
			return m->path;
		}
	}
	return NULL;
}

static int
load(struct rom_module *m)
{
	struct stat st;
	int fd, memfd, r;
	size_t size, done = 0;

	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > ROM_MODULE_MAX) {
		close(fd);
		return -EINVAL;
	}
	size = (size_t)st.st_size;
	memfd = memfd_create(m->name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	size_t alloc = (size + CN_PAGE_SIZE - 1) & ~(size_t)(CN_PAGE_SIZE - 1);
	r = ftruncate(memfd, (off_t)alloc) < 0 ? -errno : 0;
	if (r == 0 && size) {
		char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);

		if (p == MAP_FAILED)
			r = -errno;
		while (r == 0 && done < size) {
			ssize_t n = read(fd, p + done, size - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* shrank under us: the next change event brings the rest */
			done += (size_t)n;
		}
		size = done;
		if (p != MAP_FAILED)
			munmap(p, alloc);
	}
	close(fd);
	if (r == 0 &&
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		r = -errno;
	if (r == 0 && size) {
		/* what clients get are dups of a read-only open */
		int ro = core_memfd_readonly(memfd);
		r = ro < 0 ? ro : 0;
		close(memfd);
		memfd = ro;
	}
	if (r < 0 || !size) {
		if (memfd >= 0)
			close(memfd);
		memfd = -1;
		if (r < 0)
			return r;
	}
	if (m->memfd >= 0)
		close(m->memfd);
	m->memfd = memfd;
	m->size = size;
	m->loaded = true;
	return 0;
}

static void
reload(struct rom_module *m)
{
	if (!m->loaded && !m->sessions)
		return; /* nobody looked at it yet */
	if (load(m) < 0)
		return;
	for (struct rom_session *s = m->sessions; s; s = s->next)
		if (s->sigh >= 0)
			cn_signal_submit(s->sigh, 1);
}

static void
inotify_event(void *data, uint32_t events)
{
	struct core *core = data;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	char path[PATH_MAX + NAME_MAX + 2];

	(void)events;
	while ((n = read(core->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (!ev->len)
				continue;
			for (unsigned i = 0; i < core->watch_count; i++) {
				if (core->watches[i].wd != ev->wd)
					continue;
				snprintf(path, sizeof(path), "%s/%s", core->watches[i].dir,
				         ev->name);
				for (struct rom_module *m = core->roms; m; m = m->next)
					if (strcmp(m->path, path) == 0)
						reload(m);
			}
		}
	}
}

int
core_rom_init(struct core *core)
{
	core->watches = calloc(ROM_WATCHES_MAX, sizeof(*core->watches));
	if (!core->watches)
		return -ENOMEM;
	core->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (core->inotify_fd < 0)
		return -errno;
	return cn_ep_watch(core->ep, core->inotify_fd, EPOLLIN, inotify_event, core,
	                   &core->inotify_watch);
}

static void
watch_dir(struct core *core, const char *dir)
{
	int wd;

	for (unsigned i = 0; i < core->watch_count; i++)
		if (strcmp(core->watches[i].dir, dir) == 0)
			return;
	if (core->watch_count == ROM_WATCHES_MAX)
		return;
	wd = inotify_add_watch(core->inotify_fd, dir,
	                       IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE);
	if (wd < 0)
		return;
	core->watches[core->watch_count].wd = wd;
	snprintf(core->watches[core->watch_count].dir, PATH_MAX, "%s", dir);
	core->watch_count++;
}

int
core_rom_add(struct core *core, const char *name, const char *path)
{
	struct rom_module *m;
	char real[PATH_MAX], dir[PATH_MAX], *slash;

	if (!name[0] || strlen(name) >= ROM_NAME_MAX || strchr(name, '/'))
		return -EINVAL;
	if (find(core, name))
		return 0; /* the first one given wins */
	if (!realpath(path, real))
		return -errno;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->memfd = -1;
	snprintf(m->path, sizeof(m->path), "%s", real);
	m->next = core->roms;
	core->roms = m;
	snprintf(dir, sizeof(dir), "%s", real);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		watch_dir(core, dir);
	}
	return 0;
}

int
core_rom_add_dir(struct core *core, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];
	struct stat st;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			core_rom_add(core, e->d_name, path);
	}
	closedir(d);
	return 0;
}

static int
rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct rom_session *s = cn_obj_data(obj);

	return cn_rom_serve(rpc, s->module->memfd, s->module->size, &s->sigh);
}

int
core_rom_session_create(struct core *core, const char *label, struct core_head **ret)
{
	struct rom_module *m = find(core, cn_label_last(label));
	struct rom_session *s;
	int r;

	if (!m)
		return CN_ERR_DENIED;
	if (!m->loaded) {
		r = load(m);
		if (r < 0)
			return CN_ERR_DENIED;
	}
	if (m->memfd < 0)
		return CN_ERR_DENIED; /* Genode: an empty module is no ROM */
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->head.type = OBJ_ROM_SESSION;
	s->core = core;
	s->module = m;
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->sigh = -1;
	r = cn_obj_create(core->ep, rom_dispatch, s, &s->obj);
	if (r < 0) {
		free(s);
		return r;
	}
	s->next = m->sessions;
	m->sessions = s;
	*ret = &s->head;
	return 0;
}

void
core_rom_session_destroy(struct core_head *head)
{
	struct rom_session *s = (struct rom_session *)head;

	for (struct rom_session **p = &s->module->sessions; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	if (s->sigh >= 0)
		close(s->sigh);
	cn_obj_destroy(s->obj);
	free(s);
}

int
core_rom_session_cap(struct core_head *head)
{
	return cn_obj_cap(((struct rom_session *)head)->obj);
}

const char *
core_rom_session_label(struct core_head *head)
{
	return ((struct rom_session *)head)->label;
}
