/*
 * fs_rom: Genode's ROM server for the files of a File_system session. The
 * last element of a ROM session's label is the file's path ("config" is
 * "/config"). A missing file leaves the ROM invalid (empty); the file is
 * watched (or, while it is missing, its nearest existing directory), and
 * every change brings the client a signal and the new content.
 *
 * Each version is copied into a dataspace of our own PD and sealed
 * read-only before a client sees it, as report_rom does.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/rom.h>
#include <cairn/service.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	ROM_SESSION_RAM = 4096, /* what a ROM session costs us */
	ROM_SESSION_CAPS = 1,
	FILE_MAX = 16 << 20, /* bytes of a file we serve */
	TX_BUF_SIZE = 256 << 10,
};

struct rom_session {
	struct cn_obj *obj;
	char label[CN_LABEL_MAX];
	char path[CN_FS_PATH_MAX];
	int sigh;
	struct cn_ds version; /* sealed read-only; cap -1: invalid */
	size_t length;
	bool watching;
	uint32_t watch;
	char watched[CN_FS_PATH_MAX];
	bool closed; /* closed while a refresh was in progress: freed after it */
	struct rom_session *next;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_fs *fs;
	struct rom_session *sessions;
	/*
	 * A refresh reads files through the File_system session, which
	 * dispatches the entrypoint while it waits: session requests and
	 * notifications may arrive meanwhile. They are noted and handled
	 * after the refresh round; no session is freed during one.
	 */
	bool refreshing;
	bool again; /* a notification or a new session arrived meanwhile */
} state;

static void session_free(struct rom_session *s);

/* Free the sessions closed during a refresh round. */
static void
reap_closed(void)
{
	for (struct rom_session **p = &state.sessions; *p;) {
		struct rom_session *s = *p;

		if (!s->closed) {
			p = &s->next;
			continue;
		}
		*p = s->next;
		session_free(s);
	}
}

static void
signal_client(struct rom_session *s)
{
	if (s->sigh >= 0 && cn_signal_submit(s->sigh, 1) == CN_ERR_DEAD_OBJECT) {
		close(s->sigh);
		s->sigh = -1;
	}
}

/* Watch the file, or while it is missing its nearest existing ancestor. */
static void
update_watch(struct rom_session *s)
{
	char path[CN_FS_PATH_MAX];
	uint32_t handle;

	snprintf(path, sizeof(path), "%s", s->path);
	for (;;) {
		char *slash;

		if (s->watching && strcmp(path, s->watched) == 0)
			return;
		if (cn_fs_watch(state.fs, path, &handle) == 0)
			break;
		if (strcmp(path, "/") == 0)
			return;
		slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = 0;
		else
			*slash = 0;
	}
	if (s->watching)
		cn_fs_close_handle(state.fs, s->watch);
	s->watching = true;
	s->watch = handle;
	snprintf(s->watched, sizeof(s->watched), "%s", path);
}

static bool
same_content(const struct rom_session *s, const char *data, size_t len)
{
	bool same;
	struct cn_ds ds;

	if (len != s->length)
		return false;
	if (len == 0)
		return true;
	ds = (struct cn_ds){.cap = s->version.cap, .size = s->version.size};
	if (cn_ds_attach(&ds) < 0)
		return false;
	same = memcmp(ds.addr, data, len) == 0;
	cn_ds_detach(&ds);
	return same;
}

/* Read the file anew; a new version brings the client a signal. */
static void
refresh(struct rom_session *s)
{
	struct cn_ds version = {.cap = -1};
	char *data = NULL;
	size_t len = 0;
	int r;

	r = cn_fs_read_all(state.fs, s->path, FILE_MAX, &data, &len);
	if (r < 0 && r != CN_ERR_LOOKUP_FAILED)
		cn_warning(state.env, "cannot read '%s': %s", s->path, cn_strerror(r));
	if (r < 0)
		len = 0;
	update_watch(s);
	if (same_content(s, data, len)) {
		free(data);
		return;
	}
	if (len) {
		r = cn_pd_alloc_ram(state.env->pd, len, &version);
		if (r == 0)
			r = cn_ds_attach(&version);
		if (r == 0) {
			memcpy(version.addr, data, len);
			r = cn_pd_seal_ram(state.env->pd, &version);
		}
		if (r < 0) {
			cn_error(state.env, "cannot store '%s': %s", s->path, cn_strerror(r));
			if (version.cap >= 0)
				cn_pd_free_ram(state.env->pd, &version);
			free(data);
			return;
		}
	}
	free(data);
	if (s->version.cap >= 0)
		cn_pd_free_ram(state.env->pd, &s->version);
	s->version = version;
	s->length = len;
	signal_client(s);
}

static void
refresh_all(void)
{
	/* a notification while we read is handled after this round */
	if (state.refreshing) {
		state.again = true;
		return;
	}
	state.refreshing = true;
	do {
		state.again = false;
		for (struct rom_session *s = state.sessions; s; s = s->next)
			if (!s->closed)
				refresh(s);
	} while (state.again);
	state.refreshing = false;
	reap_closed();
}

static void
changed(void *data, uint32_t watch)
{
	(void)data;
	(void)watch;
	refresh_all();
}

static int
rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct rom_session *s = cn_obj_data(obj);

	return cn_rom_serve(rpc, s->version.cap, s->length, &s->sigh);
}

static void
session_free(struct rom_session *s)
{
	if (s->watching)
		cn_fs_close_handle(state.fs, s->watch);
	if (s->version.cap >= 0)
		cn_pd_free_ram(state.env->pd, &s->version);
	if (s->sigh >= 0)
		close(s->sigh);
	cn_obj_destroy(s->obj);
	free(s);
}

static int
rom_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	const char *name = cn_label_last(req->label);
	struct rom_session *s;
	int r;

	(void)data;
	if (req->ram_quota < ROM_SESSION_RAM)
		return CN_ERR_INSUFFICIENT_RAM;
	if (req->cap_quota < ROM_SESSION_CAPS)
		return CN_ERR_INSUFFICIENT_CAPS;
	if (!(s = calloc(1, sizeof(*s))))
		return CN_ERR_DENIED;
	s->sigh = -1;
	s->version.cap = -1;
	snprintf(s->label, sizeof(s->label), "%s", req->label);
	snprintf(s->path, sizeof(s->path), "%s%s", name && name[0] == '/' ? "" : "/",
	         name ? name : "");
	if (!name || cn_fs_path_join("/", s->path, s->path, sizeof(s->path)) < 0 ||
	    strcmp(s->path, "/") == 0) {
		cn_warning(state.env, "invalid ROM name '%s' requested by '%s'", name ? name : "",
		           req->label);
		free(s);
		return CN_ERR_DENIED;
	}
	r = cn_obj_create(state.env->ep, rom_dispatch, s, &s->obj);
	if (r < 0) {
		free(s);
		return CN_ERR_DENIED;
	}
	s->next = state.sessions;
	state.sessions = s;
	/* the round reads the new session's file too (a round in progress
	 * goes once more) */
	refresh_all();
	*ret_session = s;
	*ret_cap = cn_obj_cap(s->obj);
	return 0;
}

static void
rom_close(void *data, void *session)
{
	struct rom_session *s = session;

	(void)data;
	s->closed = true;
	if (!state.refreshing)
		reap_closed();
}

static const struct cn_service_ops rom_service = {
    .create = rom_create,
    .close = rom_close,
};

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	r = cn_fs_open(env, "/", TX_BUF_SIZE, false, &state.fs);
	if (r < 0) {
		cn_error(env, "cannot open a File_system session: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
	cn_fs_set_notify(state.fs, changed, NULL);
	r = cn_service_announce(env, "ROM", &rom_service, NULL);
	if (r < 0) {
		cn_error(env, "cannot announce the ROM service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
