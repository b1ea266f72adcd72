/*
 * PD session (core): RAM and capability quota accounts, RAM dataspaces,
 * and the Linux process of a protection domain.
 *
 * Accounts follow Genode's rules: a PD gets a reference account once
 * (REF_ACCOUNT); TRANSFER_QUOTA moves quota only between an account and
 * its reference account, in either direction, and never below what is in
 * use; when a PD is closed its remaining quota flows back to its
 * reference account.
 *
 * A dataspace capability is the sealed memfd itself: holding it is what
 * lets one map the memory, and core recognises it by its inode when it
 * comes back (FREE_RAM, SEAL_RAM). A read-only dataspace (ROM) is a
 * read-only open of its memfd, which cannot be mapped writable.
 */
#ifndef CAIRN_PD_H
#define CAIRN_PD_H

#include <stddef.h>
#include <stdint.h>

enum cn_pd_op {
	CN_PD_REF_ACCOUNT = 1, /* cap ref pd */
	CN_PD_TRANSFER_QUOTA,  /* cap to pd, u64 ram, u64 caps (to: this PD's ref or a PD
	                        * whose ref is this PD) */
	CN_PD_QUOTA,           /* -> u64 ram_quota, ram_used, cap_quota, cap_used */
	CN_PD_ALLOC_RAM,       /* u64 size -> cap ds (rw), u64 size */
	CN_PD_FREE_RAM,        /* cap ds */
	CN_PD_SPAWN,           /* str binary, cap parent, cap exit sigh[, cap binary ROM ds] */
	CN_PD_EXIT_STATUS,     /* -> u32 state, i32 value, str detail */
	CN_PD_SANDBOX,         /* cap seccomp listener (from the component itself) */
	CN_PD_SEAL_RAM,        /* cap ds (owned by this PD) -> cap ds (ro): read-only
	                        * for good; no writable mapping may exist (-EBUSY) */
	CN_PD_HOST_DIR,        /* str path, u32 writeable: grant a host directory
	                        * (before SPAWN only; see cn_pd_host_dir) */
	CN_PD_HOST_TERMINAL,   /* u32 raw: grant core's standard input and output
	                        * (before SPAWN only; see cn_pd_host_terminal) */
};

enum cn_pd_state {
	CN_PD_NOT_STARTED = 0,
	CN_PD_RUNNING = 1,
	CN_PD_EXITED = 2,         /* value = exit status */
	CN_PD_SIGNALED = 3,       /* value = signal number */
	CN_PD_SANDBOX_KILLED = 4, /* detail = the forbidden system call */
};

enum {
	/* the granted host directory's fd in a component that has a grant
	 * (an O_PATH directory fd); its environment then holds
	 * CN_HOST_DIR_ENV=rw or =ro */
	CN_HOST_DIR_FD = 4,
	CN_HOST_DIR_PATH_MAX = 256, /* bytes of a grant's path incl. NUL */
	/* the granted host terminal in a component that has the grant: core's
	 * standard input (non-blocking where it can be reopened) and output;
	 * its environment then holds CN_HOST_TERMINAL_ENV=<columns>x<lines> */
	CN_HOST_TERMINAL_IN_FD = 5,
	CN_HOST_TERMINAL_OUT_FD = 6,
	/* ... and the read end of a pipe on which core writes the terminal's
	 * size whenever it changes (SIGWINCH): records of two u32, columns
	 * then lines, in host byte order; the last one counts */
	CN_HOST_TERMINAL_SIZE_FD = 7,
	CN_PAGE_SIZE = 4096,
	CN_PD_DS_CAP_COST = 1, /* caps charged per dataspace */
	CN_PD_DETAIL_MAX = 64,
};

#define CN_HOST_DIR_ENV      "CAIRN_HOST_DIR"
#define CN_HOST_TERMINAL_ENV "CAIRN_HOST_TERMINAL"

struct cn_pd_quota {
	uint64_t ram_quota, ram_used, cap_quota, cap_used;
};

struct cn_ds {
	int cap; /* the dataspace object at core */
	int fd;  /* mappable fd, -1 if not fetched */
	size_t size;
	void *addr; /* attached address or NULL */
	int writeable;
};

int cn_pd_ref_account(int pd, int ref_pd);
int cn_pd_transfer_quota(int pd, int to_pd, uint64_t ram, uint64_t caps);
int cn_pd_quota(int pd, struct cn_pd_quota *ret);
/* Allocate: ret->cap set, not attached. */
int cn_pd_alloc_ram(int pd, size_t size, struct cn_ds *ret);
/* Free: detaches and closes the cap. */
int cn_pd_free_ram(int pd, struct cn_ds *ds);

/* Make a dataspace of this PD read-only for good (detach it first); its
 * cap becomes a read-only one. */
int cn_pd_seal_ram(int pd, struct cn_ds *ds);
/* A new dataspace of this PD holding a copy of len bytes of data (len > 0),
 * sealed read-only (not attached): content for readers, e.g. a ROM
 * version. Nothing is left allocated on failure. */
int cn_pd_alloc_sealed(int pd, const void *data, size_t len, struct cn_ds *ret);
/* Start a binary in this PD with the parent capability it gets as fd
 * CN_PARENT_FD; exit_sigh is signalled when the process ends. The binary
 * is binary_ds, the dataspace of its ROM session (Genode's way: the ROM
 * request was routed), which must be one of core's boot modules; or,
 * with binary_ds -1, the boot module named binary. CN_ERR_NOT_FOUND if
 * there is no such module. */
int cn_pd_spawn(int pd, const char *binary, int binary_ds, int parent_cap, int exit_sigh);
/*
 * Grant the PD's process (not yet spawned) a host directory: path is
 * relative to core's boot directory (its first --rom-dir), without an
 * absolute path or a ".." element, and must name a directory there
 * (symlinks are not followed). Core opens it and hands it to the process
 * as fd CN_HOST_DIR_FD when it spawns it; writeable decides whether the
 * component may change what is beneath it. One grant per PD. Below the
 * top-level init, the PD's parent (the PD labelled as this one without its
 * last element) must hold a grant of the same directory or one above it,
 * writeable if this one is. CN_ERR_NOT_FOUND: no such directory;
 * CN_ERR_INVALID_ARG: a bad path; CN_ERR_DENIED: already granted or
 * started, or not the parent's to pass on.
 */
int cn_pd_host_dir(int pd, const char *path, int writeable);
/*
 * Grant the PD's process (not yet spawned) the host terminal: core's
 * standard input as fd CN_HOST_TERMINAL_IN_FD and its standard output as
 * fd CN_HOST_TERMINAL_OUT_FD. Only one component holds it at a time: the
 * top-level init may grant it to one child; below, only a PD whose parent
 * holds it may get it (a nested init passes it on). raw: if core's stdin is
 * a terminal, core switches it to raw mode (no line editing, no echo, no
 * CR/NL translation of input; output processing and Ctrl-C stay) and
 * restores it when the PD is closed or core ends. CN_ERR_DENIED: already
 * granted or started, or the parent does not hold it; -EBUSY: another
 * component holds it; CN_ERR_NOT_FOUND: core has no standard input or
 * output.
 */
int cn_pd_host_terminal(int pd, int raw);
/* How the PD's process is doing: state (enum cn_pd_state), its exit value
 * or signal number, and a detail (the signal's or system call's name)
 * into detail of size bytes. */
int cn_pd_exit_status(int pd, uint32_t *ret_state, int32_t *ret_value, char *detail, size_t size);

/* mmap the dataspace; read-only if not writeable. */
int cn_ds_attach(struct cn_ds *ds);
void cn_ds_detach(struct cn_ds *ds);
/* Detach and close the cap (does not free RAM at core). */
void cn_ds_release(struct cn_ds *ds);

#endif
