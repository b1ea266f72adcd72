/*
 * Component startup and the client side of the parent interface.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/parent.h>
#include <cairn/pd.h>
#include <cairn/rom.h>
#include <cairn/service.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

int
cn_session_cap(struct cn_env *env, uint32_t id, int *ret_cap)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_SESSION_CAP);
	cn_msg_put_u32(&msg, id);
	r = cn_call(env->parent, &msg);
	if (r >= 0) {
		if (msg.hdr.ncaps != 1) {
			cn_msg_reset(&msg);
			return CN_ERR_BAD_MESSAGE;
		}
		*ret_cap = cn_msg_take_cap(&msg, 0);
	}
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

static void
session_signal(void *data, uint32_t count)
{
	struct cn_env *env = data;

	(void)count;
	if (env->priv->session_hook)
		env->priv->session_hook(env);
}

static int
ensure_session_sigh(struct cn_env *env)
{
	struct cn_env_priv *p = env->priv;
	struct cn_msg msg;
	int r;

	if (p->session_sig)
		return 0;
	r = cn_sig_create(env->ep, session_signal, env, &p->session_sig);
	if (r < 0)
		return r;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_SESSION_SIGH);
	cn_msg_put_cap(&msg, cn_sig_cap(p->session_sig));
	r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_session_open(struct cn_env *env, const char *service, const char *label, uint64_t ram_quota,
                uint32_t cap_quota, const char *extra_args, int *ret_cap, uint32_t *ret_id)
{
	struct cn_env_priv *p = env->priv;
	char args[CN_ARGS_MAX];
	uint32_t id;
	int r, n;

	if (!service || !ret_cap)
		return -EINVAL;
	r = ensure_session_sigh(env);
	if (r < 0)
		return r;
	/* cn_args_set_str quotes and escapes the label */
	r = cn_args_set_str("", "label", label ? label : "", args, sizeof(args));
	if (r < 0)
		return -EINVAL;
	n = (int)strlen(args);
	n += snprintf(args + n, sizeof(args) - (size_t)n, ", ram_quota=%llu, cap_quota=%u%s%s",
	              (unsigned long long)ram_quota, cap_quota, extra_args ? ", " : "",
	              extra_args ? extra_args : "");
	if ((size_t)n >= sizeof(args) || cn_args_valid(args) < 0)
		return -EINVAL;

	r = cn_session_request(env, service, args, ret_cap, &id);
	if (r == 0) {
		if (ret_id)
			*ret_id = id;
		return 0;
	}
	/* Pending: wait for the session signal, then ask for the cap. The
	 * parent may signal for other sessions, so retry until settled. */
	while (r == CN_ERR_PENDING) {
		r = cn_ep_wait_sig(env->ep, p->session_sig);
		if (r < 0)
			return r;
		r = cn_session_cap(env, id, ret_cap);
	}
	if (r == 0 && ret_id)
		*ret_id = id;
	return r;
}

int
cn_session_request(struct cn_env *env, const char *service, const char *args, int *ret_cap,
                   uint32_t *ret_id)
{
	struct cn_msg msg;
	uint32_t id;
	int r;

	if (!service || !args || !ret_cap || !ret_id || cn_args_valid(args) < 0)
		return -EINVAL;
	r = ensure_session_sigh(env);
	if (r < 0)
		return r;
	id = cn_session_id_alloc(env);
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_SESSION);
	cn_msg_put_u32(&msg, id);
	cn_msg_put_str(&msg, service);
	cn_msg_put_str(&msg, args);
	r = cn_call(env->parent, &msg);
	if (r >= 0 && msg.hdr.ncaps != 1)
		r = CN_ERR_BAD_MESSAGE;
	if (r >= 0) {
		*ret_cap = cn_msg_take_cap(&msg, 0);
		r = 0;
	}
	if (r == 0 || r == CN_ERR_PENDING)
		*ret_id = id;
	cn_msg_reset(&msg);
	return r;
}

int
cn_session_watch(struct cn_env *env, void (*fn)(struct cn_env *env))
{
	env->priv->session_hook = fn;
	return ensure_session_sigh(env);
}

uint32_t
cn_session_id_alloc(struct cn_env *env)
{
	return env->priv->next_id++;
}

int
cn_session_close(struct cn_env *env, uint32_t id)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_CLOSE);
	cn_msg_put_u32(&msg, id);
	r = ensure_session_sigh(env);
	if (r == 0)
		r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	/* Pending: the server closes it asynchronously; as Genode's, we
	 * return once it has (SESSION_CAP then no longer knows the id). */
	if (r != CN_ERR_PENDING)
		return r;
	for (;;) {
		int cap;

		r = cn_ep_wait_sig(env->ep, env->priv->session_sig);
		if (r == 0)
			r = cn_session_cap(env, id, &cap);
		if (r == 0) {
			close(cap);
			return CN_ERR_BAD_MESSAGE; /* the parent hands out a closed session */
		}
		if (r != CN_ERR_PENDING)
			return r == CN_ERR_NOT_FOUND ? 0 : r;
	}
}

int
cn_session_upgrade(struct cn_env *env, uint32_t id, uint64_t ram_quota, uint32_t cap_quota)
{
	char args[128];
	struct cn_msg msg;
	int r;

	snprintf(args, sizeof(args), "ram_quota=%llu, cap_quota=%u", (unsigned long long)ram_quota,
	         cap_quota);
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_UPGRADE);
	cn_msg_put_u32(&msg, id);
	cn_msg_put_str(&msg, args);
	r = ensure_session_sigh(env);
	if (r == 0)
		r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	/* Pending: the server has yet to take it (as Genode's, the upgrade
	 * returns once it has); SESSION_CAP answers pending until then. */
	while (r == CN_ERR_PENDING) {
		int cap;

		r = cn_ep_wait_sig(env->ep, env->priv->session_sig);
		if (r == 0)
			r = cn_session_cap(env, id, &cap);
		if (r == 0)
			close(cap);
	}
	return r;
}

static void
resource_available(void *data, uint32_t count)
{
	struct cn_env *env = data;

	(void)count;
	if (env->priv->resource_fn)
		env->priv->resource_fn(env);
}

int
cn_resource_request(struct cn_env *env, const char *args, void (*fn)(struct cn_env *env))
{
	struct cn_env_priv *p = env->priv;
	struct cn_msg msg;
	int r;

	if (!args || cn_args_valid(args) < 0)
		return -EINVAL;
	p->resource_fn = fn;
	if (!p->resource_sig) {
		r = cn_sig_create(env->ep, resource_available, env, &p->resource_sig);
		if (r < 0)
			return r;
		msg.owns_caps = false;
		cn_msg_init(&msg, CN_PARENT_RESOURCE_AVAIL_SIGH);
		cn_msg_put_cap(&msg, cn_sig_cap(p->resource_sig));
		r = cn_call(env->parent, &msg);
		cn_msg_reset(&msg);
		if (r < 0)
			return r;
	}
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_RESOURCE_REQUEST);
	cn_msg_put_str(&msg, args);
	r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

static void
yield_requested(void *data, uint32_t count)
{
	struct cn_env *env = data;
	char args[CN_ARGS_MAX] = "";
	uint64_t ram = 0, caps = 0;
	struct cn_msg msg;

	(void)count;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_YIELD_REQUEST);
	if (cn_call(env->parent, &msg) >= 0 && cn_msg_get_str(&msg, args, sizeof(args)) == 0) {
		cn_args_u64(args, "ram_quota", &ram);
		cn_args_u64(args, "cap_quota", &caps);
	}
	cn_msg_reset(&msg);
	if (env->priv->yield_fn)
		env->priv->yield_fn(env, ram, caps);
	cn_msg_init(&msg, CN_PARENT_YIELD_RESPONSE);
	cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
}

int
cn_yield_watch(struct cn_env *env,
               void (*fn)(struct cn_env *env, uint64_t ram_quota, uint64_t cap_quota))
{
	struct cn_env_priv *p = env->priv;
	struct cn_msg msg;
	int r;

	p->yield_fn = fn;
	if (p->yield_sig)
		return 0;
	r = cn_sig_create(env->ep, yield_requested, env, &p->yield_sig);
	if (r < 0)
		return r;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_YIELD_SIGH);
	cn_msg_put_cap(&msg, cn_sig_cap(p->yield_sig));
	r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

void
cn_exit(struct cn_env *env, int value)
{
	struct cn_msg msg;

	fflush(stdout);
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_EXIT);
	cn_msg_put_i32(&msg, value);
	cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	/* The parent ends us by closing our PD. Until then, do nothing. */
	for (;;)
		pause();
}

/* --- config ROM -------------------------------------------------------- */

/* FNV-1a: tells a new version of the config from a rewrite of the old. */
static uint64_t
content_hash(const char *data, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)data[i]) * 0x100000001b3ull;
	return h;
}

static void
config_changed(void *data, uint32_t count)
{
	struct cn_env *env = data;
	struct cn_env_priv *p = env->priv;

	(void)count;
	if (cn_rom_update(p->config_rom) < 0)
		return;
	/* a file rewritten with the same content is no change */
	uint64_t hash = content_hash(cn_rom_data(p->config_rom), cn_rom_size(p->config_rom));
	if (hash == p->config_hash)
		return;
	p->config_hash = hash;
	cn_xml_free(p->config_doc);
	p->config_doc = NULL;
	p->config_err = 0;
	if (p->config_fn)
		p->config_fn(env);
}

int
cn_config(struct cn_env *env, const struct cn_xml_node **ret_root)
{
	struct cn_env_priv *p = env->priv;
	struct cn_xml_error err;
	int r;

	if (!p->config_rom) {
		r = cn_rom_open(env, "config", &p->config_rom);
		if (r < 0)
			return r == CN_ERR_DENIED ? -ENOENT : r;
	}
	if (!p->config_doc && !p->config_err) {
		r = cn_xml_parse(cn_rom_data(p->config_rom), cn_rom_size(p->config_rom),
		                 &p->config_doc, &err);
		if (r < 0) {
			/* an empty ROM is no config yet (Genode reads it as
			 * <empty/>): the caller decides, nothing is logged */
			if (cn_rom_size(p->config_rom) == 0)
				r = -ENODATA;
			else
				cn_error(env, "config:%u:%u: %s", err.line, err.column, err.msg);
			p->config_err = r;
		}
	}
	if (p->config_err)
		return p->config_err;
	*ret_root = cn_xml_root(p->config_doc);
	return 0;
}

int
cn_config_sigh(struct cn_env *env, void (*fn)(struct cn_env *env))
{
	struct cn_env_priv *p = env->priv;
	const struct cn_xml_node *root;
	int r;

	p->config_fn = fn;
	if (!p->config_rom) {
		r = cn_config(env, &root);
		if (r < 0 && !p->config_rom)
			return r;
	}
	if (p->config_sig)
		return 0;
	r = cn_sig_create(env->ep, config_changed, env, &p->config_sig);
	if (r == 0)
		r = cn_rom_sigh(p->config_rom, cn_sig_cap(p->config_sig));
	if (r < 0)
		return r;
	/* a version that came before the signal was registered would go
	 * unnoticed: look once (config_changed ignores an unchanged one) */
	p->config_hash = content_hash(cn_rom_data(p->config_rom), cn_rom_size(p->config_rom));
	config_changed(env, 1);
	return 0;
}

/* --- heartbeat ------------------------------------------------------------ */

/* The parent pings; answering from the entrypoint shows that it still
 * dispatches (a component stuck in a handler does not answer). */
static void
heartbeat(void *data, uint32_t count)
{
	struct cn_env *env = data;
	struct cn_msg msg;

	(void)count;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_HEARTBEAT_RESPONSE);
	cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
}

static int
register_heartbeat(struct cn_env *env)
{
	struct cn_msg msg;
	int r = cn_sig_create(env->ep, heartbeat, env, &env->priv->heartbeat_sig);

	if (r < 0)
		return r;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_HEARTBEAT_SIGH);
	cn_msg_put_cap(&msg, cn_sig_cap(env->priv->heartbeat_sig));
	r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	/* a parent that does not monitor heartbeats is fine */
	return r == CN_ERR_INVALID_OPCODE || r == CN_ERR_DENIED ? 0 : r;
}

/* --- startup ------------------------------------------------------------ */

static void
ep_error(void *data, struct cn_obj *obj, int err)
{
	struct cn_env *env = data;
	struct cn_env_priv *p = env->priv;

	(void)obj;
	/* Logged once per kind of violation, so a hostile peer cannot flood. */
	unsigned bit = (unsigned)(-err) & 63;
	if (p->reported_errors & (1ull << bit))
		return;
	p->reported_errors |= 1ull << bit;
	cn_warning(env, "dropped a malformed request: %s", cn_strerror(err));
}

static bool
is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

int
main(int argc, char **argv)
{
	static struct cn_env env;
	static struct cn_env_priv priv;
	static char stdout_buf[4096];
	const char *slash;
	int r;

	(void)argc;
	env.name = argv[0] ? ((slash = strrchr(argv[0], '/')) ? slash + 1 : argv[0]) : "?";
	if (!is_socket(CN_PARENT_FD)) {
		fprintf(stderr,
		        "%s: a Cairn component, started by core; no parent capability on fd %d\n",
		        env.name, CN_PARENT_FD);
		return 2;
	}
	/* Stray printf output goes to core through stdout; line-buffer it
	 * with our own buffer so stdio never needs fstat/ioctl later. */
	setvbuf(stdout, stdout_buf, _IOLBF, sizeof(stdout_buf));
	setvbuf(stderr, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);

	env.priv = &priv;
	env.parent = CN_PARENT_FD;
	env.log = -1;
	priv.next_id = CN_ENV_FIRST_DYNAMIC;
	r = cn_ep_create(&env.ep);
	if (r < 0) {
		fprintf(stderr, "%s: cannot create entrypoint: %s\n", env.name, strerror(-r));
		return 3;
	}
	cn_ep_set_error_handler(env.ep, ep_error, &env);
	r = cn_session_cap(&env, CN_ENV_PD, &env.pd);
	if (r == 0)
		r = cn_session_cap(&env, CN_ENV_LOG, &env.log);
	/* the parent may have routed our LOG to a sibling that is not up yet;
	 * it may also have come meanwhile: look again once the signal is
	 * registered, before waiting for it */
	if (r == CN_ERR_PENDING)
		r = ensure_session_sigh(&env);
	if (r == 0 && env.log < 0) {
		r = cn_session_cap(&env, CN_ENV_LOG, &env.log);
		if (r == CN_ERR_PENDING)
			r = 0;
	}
	while (r == 0 && env.log < 0) {
		r = cn_ep_wait_sig(env.ep, priv.session_sig);
		if (r == 0)
			r = cn_session_cap(&env, CN_ENV_LOG, &env.log);
		if (r == CN_ERR_PENDING)
			r = 0;
	}
	if (r < 0) {
		fprintf(stderr, "%s: parent refused the environment sessions: %s\n", env.name,
		        strerror(-r));
		return 3;
	}
	r = cn_sandbox_enter(&env);
	if (r < 0) {
		fprintf(stderr, "%s: cannot enter the sandbox: %s\n", env.name, strerror(-r));
		return 3;
	}

	r = register_heartbeat(&env);
	if (r < 0)
		cn_warning(&env, "heartbeats not answered: %s", cn_strerror(r));

	cn_construct(&env);
	r = cn_ep_run(env.ep);
	cn_error(&env, "entrypoint failed: %s", strerror(-r));
	cn_exit(&env, 3);
}
