/*
 * Core: the root of the component tree. Private interfaces between core's
 * modules (main, pd, rom, log).
 */
#ifndef CAIRN_CORE_H
#define CAIRN_CORE_H

#include <cairn/args.h>
#include <cairn/ep.h>
#include <cairn/log.h>
#include <cairn/pd.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>

#include "account.h"

enum core_obj_type { OBJ_PD = 1, OBJ_ROM_SESSION, OBJ_LOG_SESSION, OBJ_PARENT };

/* First member of every object core serves, so a cap coming back can be
 * checked for its type. */
struct core_head {
	enum core_obj_type type;
};

struct core;

/* A RAM dataspace: its capability is the memfd itself (see pd.h). */
struct ds {
	int memfd;
	struct cn_cap_id id; /* how the capability is recognised */
	size_t size;
	bool writeable;
	struct pd *owner; /* NULL: core's own (ROM) */
	struct ds *next;  /* in the owner's list */
};

struct line_buffer {
	char buf[CN_LOG_LINE_MAX];
	size_t len;
};

struct pd {
	struct core_head head;
	struct core *core;
	struct cn_obj *obj;
	char label[CN_LABEL_MAX];
	struct cn_account ram, caps;
	struct ds *dataspaces;
	/* the process */
	pid_t pid;
	int pidfd;
	struct cn_watch *pid_watch;
	int out_fd; /* captured stdout/stderr */
	struct cn_watch *out_watch;
	struct line_buffer out_line;
	int listener; /* seccomp notification fd */
	struct cn_watch *listener_watch;
	bool sandboxed, relaxed;
	enum cn_pd_state state;
	int exit_value;
	char detail[CN_PD_DETAIL_MAX];
	int exit_sigh;
	int host_dir_fd; /* granted host directory (O_PATH), -1: none */
	bool host_dir_writeable;
	/* the grant's path, normalised ("." is the boot directory) */
	char host_dir_path[CN_HOST_DIR_PATH_MAX];
	/* the host terminal (host_terminal.c): core's stdin and stdout for the
	 * process, -1: not granted; its size for the environment */
	int host_term_in, host_term_out;
	int host_term_size_r, host_term_size_w;      /* the size pipe (fd 7 of the PD) */
	unsigned host_term_columns, host_term_lines; /* the size last told */
	bool host_term_raw; /* this grant switched the terminal to raw mode */
	char host_term_env[sizeof(CN_HOST_TERMINAL_ENV) + 24];
	struct pd *next; /* in core's list */
};

struct rom_module;
struct dir_watch;

struct core_session {
	uint32_t id;
	char service[CN_SERVICE_NAME_MAX];
	uint64_t ram, caps; /* donated by init, held by core */
	struct core_head *object;
	struct core_session *next;
};

struct core {
	struct core_head head; /* OBJ_PARENT: core is init's parent object */
	struct cn_ep *ep;
	struct cn_account ram, caps; /* core's own account: the root */
	uint64_t total_ram, total_caps;
	struct pd *pds;
	struct rom_module *roms;
	struct dir_watch *watches; /* directories of ROM modules */
	unsigned watch_count;
	int inotify_fd;
	struct cn_watch *inotify_watch;
	int boot_dir_fd;        /* the first --rom-dir (O_PATH), > 0 once set */
	const char *debug_name; /* component run relaxed under a debugger */
	const char *debug_tool; /* "gdb" or "valgrind" */
	bool verbose;
	unsigned malformed_reports;
	int signal_fd;
	struct cn_watch *signal_watch;
	bool stopping;
	int stop_code;
	/* init, core's only child */
	struct pd *init_pd;
	struct cn_obj *init_parent;
	struct core_head *init_log;
	int init_log_cap;
	struct core_session *init_sessions;
	bool init_exited;
	int init_exit_value;
};

/* log.c */
void core_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void core_log_labeled(const char *label, const char *text);
void core_line_feed(struct line_buffer *lb, const char *label, const char *data, size_t len);
void core_line_flush(struct line_buffer *lb, const char *label);
int core_log_session_create(struct core *core, const char *label, struct core_head **ret);
void core_log_session_destroy(struct core_head *head);
int core_log_session_cap(struct core_head *head);
const char *core_log_session_label(struct core_head *head);

/* pd.c */
int core_pd_create(struct core *core, const char *label, struct pd **ret);
void core_pd_destroy(struct pd *pd);
struct pd *core_pd_from_cap(struct core *core, int cap);
/* Spawn the process of pd from the executable at path, or, if exec_fd is
 * not -1, from that file (a sealed dataspace). */
int core_pd_spawn(struct pd *pd, const char *binary, const char *path, int exec_fd, int parent_cap,
                  int exit_sigh);

/* host_dir.c */
void core_boot_dir_set(struct core *core, const char *dir);
int core_pd_host_dir(struct pd *pd, struct cn_rpc *rpc);
/* The PD whose label is pd's without its last element, or NULL. */
struct pd *core_pd_parent(struct pd *pd);

/* host_terminal.c */
/* Before anything else is opened: /dev/null at fds 0 to 2 where they are
 * closed, so that none of core's own fds can take their place (and be
 * handed out as the host terminal, or receive the log). */
void core_stdio_init(void);
int core_pd_host_terminal(struct pd *pd, struct cn_rpc *rpc);
/* The PD is closed: its grant ends (raw mode is undone). */
void core_pd_host_terminal_release(struct pd *pd);
/* SIGWINCH: every holder of the grant learns the new size. */
void core_host_terminal_resized(struct core *core);

/* rom.c */
int core_rom_init(struct core *core);
/* Add a module: name -> host file. Later additions of the same name lose. */
int core_rom_add(struct core *core, const char *name, const char *path);
int core_rom_add_dir(struct core *core, const char *dir);
const char *core_rom_path(struct core *core, const char *name);
const char *core_rom_path_of_ds(struct core *core, int ds, const char **ret_name);
int core_rom_session_create(struct core *core, const char *label, struct core_head **ret);
void core_rom_session_destroy(struct core_head *head);
int core_rom_session_cap(struct core_head *head);
const char *core_rom_session_label(struct core_head *head);
/* A read-only fd of a memfd, for handing out: it cannot be mapped
 * writable. */
int core_memfd_readonly(int memfd);

#endif
