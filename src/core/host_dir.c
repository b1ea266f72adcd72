/*
 * Host directory grants (CN_PD_HOST_DIR): a start node's <host_dir>
 * reaches core through init, and core opens the directory beneath its boot
 * directory (the first --rom-dir) for the PD's process, which gets it as
 * fd CN_HOST_DIR_FD. Nothing else of the host is ever handed out.
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

/* A path relative to the boot directory, with no ".." element. */
static bool
valid_grant_path(const char *path)
{
	const char *p = path;

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
		while (*p == '/')
			p++;
	}
	return true;
}

int
core_pd_host_dir(struct pd *pd, struct cn_rpc *rpc)
{
	char path[CN_HOST_DIR_PATH_MAX];
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
	if (!valid_grant_path(path) || writeable > 1)
		return CN_ERR_INVALID_ARG;
	if (pd->core->boot_dir_fd <= 0)
		return CN_ERR_NOT_FOUND;
	fd = (int)syscall(SYS_openat2, pd->core->boot_dir_fd, path, &how, sizeof(how));
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV
		           ? CN_ERR_NOT_FOUND
		           : -errno;
	pd->host_dir_fd = fd;
	pd->host_dir_writeable = writeable == 1;
	if (pd->core->verbose) {
		snprintf(line, sizeof(line), "host directory '%s' granted%s", path,
		         writeable ? ", writeable" : "");
		core_log_labeled(pd->label, line);
	}
	return CN_OK;
}
