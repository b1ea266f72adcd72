/*
 * The session creation File_system servers share (vfs, lx_fs): policy,
 * session root, tx buffer and donation checked, the tx dataspace
 * allocated, the session made. What went wrong is handed back as a
 * sentence for the component to log.
 */
#include <cairn/args.h>
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/pd.h>
#include <cairn/policy.h>
#include <cairn/service.h>
#include <cairn/xml.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct fs_session {
	struct cn_fs_session *fs;
	struct cn_ds tx;
};

__attribute__((format(printf, 4, 5))) static int
refuse(struct cn_fs_refusal *ret, bool error, int r, const char *fmt, ...)
{
	va_list ap;

	ret->error = error;
	va_start(ap, fmt);
	vsnprintf(ret->text, sizeof(ret->text), fmt, ap);
	va_end(ap);
	return r;
}

static int
service_open(struct cn_env *env, struct cn_fs_server *srv, const struct cn_session_request *req,
             bool writeable_ok, int (*root_ok)(const char *root, bool writeable),
             struct fs_session **ret, struct cn_fs_refusal *why)
{
	const struct cn_xml_node *config = NULL, *policy;
	char root[CN_FS_PATH_MAX];
	bool writeable = false;
	uint64_t tx_buf_size;
	struct fs_session *s = NULL;
	int r;

	if (cn_config(env, &config) < 0 || !(policy = cn_policy_select(config, req->label)))
		return refuse(why, false, CN_ERR_DENIED, "no policy defined for label '%s'",
		              req->label);
	if (cn_fs_session_policy(policy, req->label, req->args, root, sizeof(root), &writeable) < 0)
		return refuse(why, false, CN_ERR_DENIED, "invalid session root '%s' of '%s'",
		              cn_label_last(req->label), req->label);
	writeable = writeable && writeable_ok;
	if (cn_args_u64(req->args, "tx_buf_size", &tx_buf_size) < 0 ||
	    tx_buf_size < CN_FS_TX_BUF_MIN || tx_buf_size > CN_FS_TX_BUF_MAX)
		return refuse(why, false, CN_ERR_DENIED, "invalid tx_buf_size from '%s', denying",
		              req->label);
	if (req->ram_quota < cn_fs_session_ram(tx_buf_size))
		return refuse(why, true, CN_ERR_INSUFFICIENT_RAM,
		              "insufficient ram donation from '%s'", req->label);
	if (req->cap_quota < CN_FS_SESSION_CAPS)
		return refuse(why, false, CN_ERR_INSUFFICIENT_CAPS,
		              "insufficient cap donation from '%s'", req->label);
	if ((r = root_ok(root, writeable)) < 0)
		return refuse(why, false, CN_ERR_DENIED, "session root '%s' of '%s' unavailable",
		              root, req->label);

	if (!(s = calloc(1, sizeof(*s))))
		return refuse(why, true, CN_ERR_INSUFFICIENT_RAM, "out of memory for '%s'",
		              req->label);
	s->tx.cap = -1;
	r = cn_pd_alloc_ram(env->pd, cn_ps_dataspace_size(CN_FS_TX_QUEUE_SIZE, tx_buf_size),
	                    &s->tx);
	if (r == 0) {
		s->tx.writeable = 1;
		r = cn_ds_attach(&s->tx);
	}
	if (r == 0) {
		struct cn_fs_session_config cfg = {.label = req->label,
		                                   .root = root,
		                                   .writeable = writeable,
		                                   .tx_cap = s->tx.cap,
		                                   .tx_mem = s->tx.addr,
		                                   .tx_size = s->tx.size};

		r = cn_fs_session_create(srv, &cfg, &s->fs);
	}
	if (r < 0) {
		if (s->tx.cap >= 0)
			cn_pd_free_ram(env->pd, &s->tx);
		free(s);
		return refuse(why, true,
		              r == -ENOMEM || r == CN_ERR_OUT_OF_RAM ? CN_ERR_INSUFFICIENT_RAM
		                                                     : CN_ERR_DENIED,
		              "cannot create a File_system session for '%s': %s", req->label,
		              cn_strerror(r));
	}
	*ret = s;
	return 0;
}

static int
service_cap(const struct fs_session *s)
{
	return cn_fs_session_cap(s->fs);
}

static void
service_close_session(struct cn_env *env, struct fs_session *s)
{
	if (!s)
		return;
	cn_fs_session_destroy(s->fs);
	cn_pd_free_ram(env->pd, &s->tx);
	free(s);
}

/* --- the whole service ----------------------------------------------------- */

struct fs_service {
	struct cn_env *env;
	struct cn_fs_server *srv;
	bool writeable_ok;
	int (*root_ok)(const char *root, bool writeable);
	void (*refused)(struct cn_env *env, const struct cn_fs_refusal *why);
};

static int
service_create(void *data, const struct cn_session_request *req, void **ret_session, int *ret_cap)
{
	struct fs_service *svc = data;
	struct fs_session *s = NULL;
	struct cn_fs_refusal why;
	int r = service_open(svc->env, svc->srv, req, svc->writeable_ok, svc->root_ok, &s, &why);

	if (r < 0) {
		svc->refused(svc->env, &why);
		return r;
	}
	*ret_session = s;
	*ret_cap = service_cap(s);
	return 0;
}

static void
service_close(void *data, void *session)
{
	service_close_session(((struct fs_service *)data)->env, session);
}

static const struct cn_service_ops service_ops = {
    .create = service_create,
    .close = service_close,
};

int
cn_fs_service_announce(struct cn_env *env, struct cn_fs_server *srv, bool writeable_ok,
                       int (*root_ok)(const char *root, bool writeable),
                       void (*refused)(struct cn_env *env, const struct cn_fs_refusal *why))
{
	struct fs_service *svc = calloc(1, sizeof(*svc));
	int r;

	if (!svc)
		return -ENOMEM;
	*svc = (struct fs_service){env, srv, writeable_ok, root_ok, refused};
	r = cn_service_announce(env, "File_system", &service_ops, svc);
	if (r < 0)
		free(svc); /* the service lives as long as the component otherwise */
	return r;
}
