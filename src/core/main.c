/*
 * Core: starts init with all resources but a small reserve, serves PD, ROM
 * and LOG, and is init's parent. Core has no policy: every request of init
 * goes to the core service of that name.
 */
#include <cairn/parent.h>
#include <cairn/xml.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core.h"

enum {
	CORE_RESERVE_RAM = 4 << 20, /* what core keeps for itself */
	CORE_RESERVE_CAPS = 100,
	EXIT_USAGE = 2,
	EXIT_SYSTEM = 3,
};

/* ---- core's only mutable global state ---- */
static struct core state;

static void
usage(FILE *f)
{
	fprintf(f, "usage: core [--ram SIZE] [--caps N] [--rom NAME=FILE]... [--rom-dir DIR]...\n"
	           "            [--gdb NAME | --valgrind NAME] [--verbose]\n"
	           "Boots init (ROM module \"init\") with the init config (ROM \"config\").\n"
	           "SIZE takes K, M, G suffixes. Defaults: --ram 1G --caps 10000.\n");
}

static void
core_stop(struct core *core, int code)
{
	if (!core->stopping) {
		core->stopping = true;
		core->stop_code = code;
	}
}

/* --- init's parent interface -------------------------------------------- */

static struct core_session *
find_session(struct core *core, uint32_t id)
{
	for (struct core_session *s = core->init_sessions; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static int
session_cap(struct core_session *s)
{
	switch (s->object->type) {
	case OBJ_PD:
		return cn_obj_cap(((struct pd *)s->object)->obj);
	case OBJ_ROM_SESSION:
		return core_rom_session_cap(s->object);
	case OBJ_LOG_SESSION:
		return core_log_session_cap(s->object);
	default:
		return -1;
	}
}

static void
destroy_session_object(struct core_head *object)
{
	switch (object->type) {
	case OBJ_PD:
		core_pd_destroy((struct pd *)object);
		break;
	case OBJ_ROM_SESSION:
		core_rom_session_destroy(object);
		break;
	case OBJ_LOG_SESSION:
		core_log_session_destroy(object);
		break;
	default:
		break;
	}
}

static int
open_session(struct core *core, struct cn_rpc *rpc)
{
	char service[CN_SERVICE_NAME_MAX], args[CN_ARGS_MAX], label[CN_LABEL_MAX];
	char full[CN_LABEL_MAX];
	uint64_t ram = 0, caps = 0;
	struct core_session *s;
	struct core_head *object = NULL;
	uint32_t id;
	int r;

	if (cn_msg_get_u32(rpc->in, &id) < 0 ||
	    cn_msg_get_str(rpc->in, service, sizeof(service)) < 0 ||
	    cn_msg_get_str(rpc->in, args, sizeof(args)) < 0 || cn_msg_end(rpc->in) < 0 ||
	    rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	if (cn_args_valid(args) < 0)
		return CN_ERR_INVALID_ARG;
	if (id < CN_ENV_FIRST_DYNAMIC || find_session(core, id))
		return CN_ERR_INVALID_ARG;
	r = cn_args_str(args, "label", label, sizeof(label));
	if (r == -ENOENT)
		label[0] = 0;
	else if (r < 0)
		return CN_ERR_INVALID_ARG;
	if (cn_label_prefixed("init", label, full, sizeof(full)) < 0)
		return CN_ERR_INVALID_ARG;
	r = cn_args_u64(args, "ram_quota", &ram);
	if (r < 0 && r != -ENOENT)
		return CN_ERR_INVALID_ARG;
	r = cn_args_u64(args, "cap_quota", &caps);
	if (r < 0 && r != -ENOENT)
		return CN_ERR_INVALID_ARG;
	if (cn_account_avail(&core->init_pd->ram) < ram)
		return CN_ERR_OUT_OF_RAM;
	if (cn_account_avail(&core->init_pd->caps) < caps)
		return CN_ERR_OUT_OF_CAPS;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;

	if (strcmp(service, "PD") == 0) {
		struct pd *pd;
		r = core_pd_create(core, full, &pd);
		object = r == 0 ? &pd->head : NULL;
	} else if (strcmp(service, "ROM") == 0) {
		r = core_rom_session_create(core, full, &object);
	} else if (strcmp(service, "LOG") == 0) {
		r = core_log_session_create(core, full, &object);
	} else {
		r = CN_ERR_DENIED;
	}
	if (r < 0) {
		free(s);
		return r;
	}
	/* the donation is held by core while the session exists */
	cn_account_transfer(&core->init_pd->ram, &core->ram, ram);
	cn_account_transfer(&core->init_pd->caps, &core->caps, caps);
	s->id = id;
	snprintf(s->service, sizeof(s->service), "%s", service);
	s->ram = ram;
	s->caps = caps;
	s->object = object;
	s->next = core->init_sessions;
	core->init_sessions = s;
	cn_msg_put_cap(rpc->out, session_cap(s));
	return CN_OK;
}

static int
close_session(struct core *core, struct cn_rpc *rpc)
{
	struct core_session *s;
	uint32_t id;

	if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	s = find_session(core, id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	for (struct core_session **p = &core->init_sessions; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	destroy_session_object(s->object);
	cn_account_transfer(&core->ram, &core->init_pd->ram, s->ram);
	cn_account_transfer(&core->caps, &core->init_pd->caps, s->caps);
	free(s);
	return CN_OK;
}

static int
upgrade_session(struct core *core, struct cn_rpc *rpc)
{
	char args[CN_ARGS_MAX];
	struct core_session *s;
	uint64_t ram = 0, caps = 0;
	uint32_t id;

	if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_get_str(rpc->in, args, sizeof(args)) < 0 ||
	    cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	s = find_session(core, id);
	if (!s)
		return CN_ERR_NOT_FOUND;
	cn_args_u64(args, "ram_quota", &ram);
	cn_args_u64(args, "cap_quota", &caps);
	if (cn_account_avail(&core->init_pd->ram) < ram)
		return CN_ERR_OUT_OF_RAM;
	if (cn_account_avail(&core->init_pd->caps) < caps)
		return CN_ERR_OUT_OF_CAPS;
	cn_account_transfer(&core->init_pd->ram, &core->ram, ram);
	cn_account_transfer(&core->init_pd->caps, &core->caps, caps);
	s->ram += ram;
	s->caps += caps;
	return CN_OK;
}

static int
parent_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct core *core = cn_obj_data(obj);
	uint32_t id;
	int32_t value;

	switch (rpc->opcode) {
	case CN_PARENT_EXIT:
		if (cn_msg_get_i32(rpc->in, &value) < 0 || cn_msg_end(rpc->in) < 0)
			return CN_ERR_BAD_MESSAGE;
		core_log("child \"init\" exited with exit value %d", value);
		core->init_exited = true;
		core->init_exit_value = value;
		core_stop(core, value);
		return CN_OK;
	case CN_PARENT_SESSION_SIGH:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
			return CN_ERR_BAD_MESSAGE;
		return CN_OK; /* core answers every request at once */
	case CN_PARENT_SESSION:
		return open_session(core, rpc);
	case CN_PARENT_SESSION_CAP:
		if (cn_msg_get_u32(rpc->in, &id) < 0 || cn_msg_end(rpc->in) < 0)
			return CN_ERR_BAD_MESSAGE;
		if (id == CN_ENV_PD)
			cn_msg_put_cap(rpc->out, cn_obj_cap(core->init_pd->obj));
		else if (id == CN_ENV_LOG)
			cn_msg_put_cap(rpc->out, core->init_log_cap);
		else if (find_session(core, id))
			cn_msg_put_cap(rpc->out, session_cap(find_session(core, id)));
		else
			return CN_ERR_NOT_FOUND;
		return CN_OK;
	case CN_PARENT_CLOSE:
		return close_session(core, rpc);
	case CN_PARENT_UPGRADE:
		return upgrade_session(core, rpc);
	case CN_PARENT_NEXT_REQUEST:
		cn_msg_put_u32(rpc->out, CN_REQUEST_NONE);
		cn_msg_put_u32(rpc->out, 0);
		cn_msg_put_str(rpc->out, "");
		cn_msg_put_str(rpc->out, "");
		return CN_OK;
	case CN_PARENT_ANNOUNCE:
	case CN_PARENT_REQUESTS_SIGH:
	case CN_PARENT_SESSION_RESPONSE:
	case CN_PARENT_DELIVER_SESSION:
		return CN_ERR_DENIED; /* core's parent is the host: nobody to serve */
	default:
		return CN_ERR_INVALID_OPCODE;
	}
}

/* --- malformed requests ---------------------------------------------------- */

enum { MALFORMED_REPORTS_MAX = 32 };

static const char *
object_label(struct core_head *head)
{
	if (!head)
		return "core"; /* one of core's own signal contexts */
	switch (head->type) {
	case OBJ_PD:
		return ((struct pd *)head)->label;
	case OBJ_LOG_SESSION:
		return core_log_session_label(head);
	case OBJ_ROM_SESSION:
		return core_rom_session_label(head);
	case OBJ_PARENT:
		return "init";
	}
	return "?";
}

/* The request was dropped by the wire module; name who sent it. The
 * number of reports is bounded so a hostile component cannot flood. */
static void
malformed_request(void *data, struct cn_obj *obj, int err)
{
	struct core *core = data;

	if (core->malformed_reports++ < MALFORMED_REPORTS_MAX)
		core_log("[%s] Error: core dropped a malformed request: %s%s",
		         object_label(cn_obj_data(obj)), cn_strerror(err),
		         core->malformed_reports == MALFORMED_REPORTS_MAX
		             ? " (further ones are not reported)"
		             : "");
}

/* --- lifecycle ------------------------------------------------------------ */

static void
init_died(void *data, uint32_t count)
{
	struct core *core = data;
	struct pd *pd = core->init_pd;

	(void)count;
	if (core->init_exited || pd->state == CN_PD_RUNNING)
		return;
	if (pd->state == CN_PD_EXITED)
		core_log("Error: init ended without exiting through its parent (exit status %d)",
		         pd->exit_value);
	else if (pd->state != CN_PD_SANDBOX_KILLED)
		core_log("Error: init died: %s", pd->detail);
	core_stop(core, 1);
}

static void
host_signal(void *data, uint32_t events)
{
	struct core *core = data;
	struct signalfd_siginfo si;

	(void)events;
	while (read(core->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH)
			core_host_terminal_resized(core);
		else
			core_stop(core, 128 + (int)si.ssi_signo);
	}
}

static int
check_quota_invariant(struct core *core)
{
	uint64_t ram = core->ram.quota, caps = core->caps.quota;

	for (struct pd *pd = core->pds; pd; pd = pd->next) {
		ram += pd->ram.quota;
		caps += pd->caps.quota;
	}
	if (ram == core->total_ram && caps == core->total_caps)
		return 0;
	core_log("Error: quota invariant violated: ram %llu of %llu, caps %llu of %llu",
	         (unsigned long long)ram, (unsigned long long)core->total_ram,
	         (unsigned long long)caps, (unsigned long long)core->total_caps);
	return -1;
}

/* A boot config that is not even XML cannot boot anything: say so at once
 * instead of starting an init that waits for a valid one. */
static int
check_config(const char *path)
{
	struct cn_xml_error err;
	struct cn_xml_doc *doc;
	char *text;
	size_t len;
	FILE *f = fopen(path, "re");
	int r;

	if (!f) {
		fprintf(stderr, "core: cannot read config %s: %s\n", path, strerror(errno));
		return -errno;
	}
	text = malloc(CN_XML_MAX_SIZE + 1);
	len = text ? fread(text, 1, CN_XML_MAX_SIZE + 1, f) : 0;
	fclose(f);
	if (!text)
		return -ENOMEM;
	if (len > CN_XML_MAX_SIZE) {
		fprintf(stderr, "core: config %s: larger than %d bytes\n", path, CN_XML_MAX_SIZE);
		free(text);
		return -E2BIG;
	}
	r = cn_xml_parse(text, len, &doc, &err);
	free(text);
	if (r < 0) {
		if (r == -EINVAL)
			fprintf(stderr, "core: config %s:%u:%u: %s\n", path, err.line, err.column,
			        err.msg);
		else
			fprintf(stderr, "core: config %s: %s\n", path, strerror(-r));
		return r;
	}
	if (!cn_xml_is(cn_xml_root(doc), "config")) {
		fprintf(stderr, "core: config %s: the root element must be <config>\n", path);
		r = -EINVAL;
	}
	cn_xml_free(doc);
	return r;
}

static int
parse_size(const char *s, uint64_t *ret)
{
	return cn_parse_u64(s, strlen(s), ret);
}

int
main(int argc, char **argv)
{
	struct core *core = &state;
	static const struct option opts[] = {
	    {"ram", required_argument, NULL, 'r'},
	    {"caps", required_argument, NULL, 'c'},
	    {"rom", required_argument, NULL, 'm'},
	    {"rom-dir", required_argument, NULL, 'd'},
	    {"gdb", required_argument, NULL, 'g'},
	    {"valgrind", required_argument, NULL, 'v'},
	    {"verbose", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t ram = 1ull << 30, caps = 10000;
	const char *init_path;
	struct cn_sig *init_sig;
	struct rlimit rl;
	sigset_t mask;
	int opt, r, code;

	core_stdio_init();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cn_ep_create(&core->ep) < 0 || core_rom_init(core) < 0) {
		fprintf(stderr, "core: cannot set up: %s\n", strerror(errno));
		return EXIT_SYSTEM;
	}
	core->head.type = OBJ_PARENT;
	cn_ep_set_error_handler(core->ep, malformed_request, core);
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *eq;
		switch (opt) {
		case 'r':
			if (parse_size(optarg, &ram) < 0 || ram < 2 * CORE_RESERVE_RAM) {
				fprintf(stderr, "core: bad --ram '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			if (parse_size(optarg, &caps) < 0 || caps < 2 * CORE_RESERVE_CAPS) {
				fprintf(stderr, "core: bad --caps '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			eq = strchr(optarg, '=');
			if (!eq) {
				fprintf(stderr, "core: --rom wants NAME=FILE, got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			*eq = 0;
			r = core_rom_add(core, optarg, eq + 1);
			if (r < 0) {
				fprintf(stderr, "core: ROM module '%s': %s: %s\n", optarg, eq + 1,
				        strerror(-r));
				return EXIT_USAGE;
			}
			break;
		case 'd':
			r = core_rom_add_dir(core, optarg);
			if (r == 0)
				core_boot_dir_set(core, optarg);
			if (r < 0) {
				fprintf(stderr, "core: ROM directory '%s': %s\n", optarg,
				        strerror(-r));
				return EXIT_USAGE;
			}
			break;
		case 'g':
		case 'v':
			core->debug_name = optarg;
			core->debug_tool = opt == 'g' ? "gdb" : "valgrind";
			break;
		case 'V':
			core->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	init_path = core_rom_path(core, "init");
	if (!init_path) {
		fprintf(stderr, "core: no ROM module 'init' (the init binary)\n");
		return EXIT_USAGE;
	}
	if (!core_rom_path(core, "config")) {
		fprintf(stderr, "core: no ROM module 'config' (init's configuration)\n");
		return EXIT_USAGE;
	}
	r = check_config(core_rom_path(core, "config"));
	if (r < 0)
		return EXIT_USAGE;

	/* every capability is an fd */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGWINCH); /* the host terminal's size (host_terminal.c) */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	core->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	cn_ep_watch(core->ep, core->signal_fd, EPOLLIN, host_signal, core, &core->signal_watch);
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	core->total_ram = core->ram.quota = ram;
	core->total_caps = core->caps.quota = caps;

	/* init: its PD, its LOG, its parent object, and the process */
	struct core_head *log;
	r = core_pd_create(core, "init", &core->init_pd);
	if (r == 0)
		r = cn_account_set_ref(&core->init_pd->ram, &core->ram);
	if (r == 0)
		r = cn_account_set_ref(&core->init_pd->caps, &core->caps);
	if (r == 0)
		r = cn_account_transfer(&core->ram, &core->init_pd->ram, ram - CORE_RESERVE_RAM);
	if (r == 0)
		r = cn_account_transfer(&core->caps, &core->init_pd->caps,
		                        caps - CORE_RESERVE_CAPS);
	if (r == 0)
		r = core_log_session_create(core, "init", &log);
	if (r == 0) {
		core->init_log = log;
		core->init_log_cap = core_log_session_cap(log);
		r = cn_obj_create(core->ep, parent_dispatch, core, &core->init_parent);
	}
	if (r == 0)
		r = cn_sig_create(core->ep, init_died, core, &init_sig);
	if (r < 0) {
		fprintf(stderr, "core: cannot create init: %s\n", strerror(-r));
		return EXIT_SYSTEM;
	}
	core_log("%llu MiB RAM and %llu caps assigned to init",
	         (unsigned long long)((ram - CORE_RESERVE_RAM) >> 20),
	         (unsigned long long)(caps - CORE_RESERVE_CAPS));
	r = core_pd_spawn(core->init_pd, "init", init_path, -1, cn_obj_cap(core->init_parent),
	                  dup(cn_sig_cap(init_sig)));
	if (r < 0) {
		fprintf(stderr, "core: cannot start init: %s\n", strerror(-r));
		return EXIT_SYSTEM;
	}

	/* Every batch of events is handled atomically, so after each one the
	 * quota invariant must hold: check it, always. */
	while (!core->stopping) {
		r = cn_ep_dispatch(core->ep, -1);
		if (r < 0) {
			core_log("Error: core's entrypoint failed: %s", strerror(-r));
			core_stop(core, EXIT_SYSTEM);
		}
		if (check_quota_invariant(core) < 0)
			core_stop(core, EXIT_SYSTEM);
	}
	code = core->stop_code;

	/* shut down: every process goes, every session closes */
	while (core->init_sessions) {
		struct core_session *s = core->init_sessions;
		core->init_sessions = s->next;
		destroy_session_object(s->object);
		cn_account_transfer(&core->ram, &core->init_pd->ram, s->ram);
		cn_account_transfer(&core->caps, &core->init_pd->caps, s->caps);
		free(s);
	}
	core_pd_destroy(core->init_pd);
	if (check_quota_invariant(core) == 0 && core->verbose)
		core_log("quota check: all %llu bytes and %llu caps returned to core",
		         (unsigned long long)core->total_ram, (unsigned long long)core->total_caps);
	core_log_session_destroy(core->init_log);
	cn_sig_destroy(init_sig);
	cn_obj_destroy(core->init_parent);
	cn_ep_destroy(core->ep);
	return code < 0 ? 1 : code > 255 ? 255 : code;
}
