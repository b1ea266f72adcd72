/*
 * Host directory grants (CN_PD_HOST_DIR): a start node's <host_dir>
 * reaches core through init, and core opens the directory beneath its boot
 * directory (the first --rom-dir) for the PD's process, which gets it as
 * fd CN_HOST_DIR_FD. Nothing else of the host is ever handed out.
 *
 * The top-level init grants any directory there. Below it, a PD's parent
 * (the PD whose label is the PD's label without its last element, e.g. a
 * nested init) passes on only what it holds: a directory beneath its own
 * grant, writeable only if its own is.
 */
#include <cairn/pd.h>

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

void
core_boot_dir_set(struct core *core, const char *dir)
{
	if (core->boot_dir_fd > 0)
		return; /* the first one is the boot directory */
	core->boot_dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (core->boot_dir_fd < 0)
		core->boot_dir_fd = 0; /* unset: no grants */
}

/* A path relative to the boot directory, with no ".." element, in its
 * normalised form ("a/b": no empty or "." element) into buf (at least as
 * large as path); false if it is not valid. */
static bool
valid_grant_path(const char *path, char *buf)
{
	const char *p = path;
	size_t out = 0;

	if (!*p || *p == '/')
		return false;
	while (*p) {
		const char *elem = p;
		size_t len;

		while (*p && *p != '/')
			p++;
		len = (size_t)(p - elem);
		if (len == 2 && elem[0] == '.' && elem[1] == '.')
			return false;
		if (len && !(len == 1 && elem[0] == '.')) {
			if (out)
				buf[out++] = '/';
			memcpy(buf + out, elem, len);
			out += len;
		}
		while (*p == '/')
			p++;
	}
	buf[out] = 0;
	return true;
}

struct pd *
core_pd_parent(struct pd *pd)
{
	const char *sep = NULL;
	size_t len;

	for (const char *p = strstr(pd->label, " -> "); p; p = strstr(p + 1, " -> "))
		sep = p;
	if (!sep)
		return NULL;
	len = (size_t)(sep - pd->label);
	for (struct pd *p = pd->core->pds; p; p = p->next) {
		if (p != pd && strlen(p->label) == len && memcmp(p->label, pd->label, len) == 0)
			return p;
	}
	return NULL;
}

/* May pd's parent pass on this grant? */
static bool
parent_holds(struct pd *pd, const char *path, bool writeable)
{
	struct pd *p = core_pd_parent(pd);
	size_t plen;

	if (!p)
		return false;
	if (p == pd->core->init_pd)
		return true; /* the top-level init */
	if (p->host_dir_fd < 0 || (writeable && !p->host_dir_writeable))
		return false;
	plen = strlen(p->host_dir_path);
	/* the parent's directory itself or beneath it ("." is all) */
	return strcmp(p->host_dir_path, ".") == 0 || (strncmp(path, p->host_dir_path, plen) == 0 &&
	                                              (path[plen] == 0 || path[plen] == '/'));
}

int
core_pd_host_dir(struct pd *pd, struct cn_rpc *rpc)
{
	char path[CN_HOST_DIR_PATH_MAX], norm[CN_HOST_DIR_PATH_MAX];
	uint32_t writeable;
	struct open_how how = {
	    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char line[CN_HOST_DIR_PATH_MAX + 64];
	int fd;

	if (cn_msg_get_str(rpc->in, path, sizeof(path)) < 0 ||
	    cn_msg_get_u32(rpc->in, &writeable) < 0 || cn_msg_end(rpc->in) < 0 ||
	    rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	if (pd->state != CN_PD_NOT_STARTED || pd->host_dir_fd >= 0)
		return CN_ERR_DENIED;
	if (!valid_grant_path(path, norm) || writeable > 1)
		return CN_ERR_INVALID_ARG;
	if (!norm[0])
		snprintf(norm, sizeof(norm), ".");
	if (!parent_holds(pd, norm, writeable == 1))
		return CN_ERR_DENIED;
	if (pd->core->boot_dir_fd <= 0)
		return CN_ERR_NOT_FOUND;
	fd = (int)syscall(SYS_openat2, pd->core->boot_dir_fd, norm, &how, sizeof(how));
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV
		           ? CN_ERR_NOT_FOUND
		           : -errno;
	pd->host_dir_fd = fd;
	pd->host_dir_writeable = writeable == 1;
	snprintf(pd->host_dir_path, sizeof(pd->host_dir_path), "%s", norm);
	if (pd->core->verbose) {
		snprintf(line, sizeof(line), "host directory '%s' granted%s", path,
		         writeable ? ", writeable" : "");
		core_log_labeled(pd->label, line);
	}
	return CN_OK;
}
