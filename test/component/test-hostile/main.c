/*
 * test-hostile: a component that misbehaves towards core on purpose, to
 * show that core names it, drops what is malformed and keeps serving.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/parent.h>
#include <cairn/pd.h>
#include <cairn/rom.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { FLOOD_LINES = 20000 };

static int failures;

static void
check(struct cn_env *env, const char *what, int got, int expected)
{
	if (got == expected) {
		cn_log(env, "%s: %d as expected", what, got);
		return;
	}
	cn_error(env, "%s: got %d, expected %d", what, got, expected);
	failures++;
}

/* Send raw bytes with nfds copies of fd attached, bypassing the wire module. */
static void
send_raw(int cap, const void *data, size_t len, int fd, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds) {
		struct cmsghdr *c;
		int fds[16];

		for (unsigned i = 0; i < nfds; i++)
			fds[i] = fd;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	sendmsg(cap, &mh, MSG_NOSIGNAL);
}

/* <config target="init"/>: misbehave towards init instead: garbage on the
 * parent capability, its binary's ROM session, a flood of session
 * requests, impossible quotas. */
static void
hostile_to_init(struct cn_env *env)
{
	struct cn_msg_hdr hdr = {.code = CN_PARENT_SESSION, .len = 100};
	struct cn_msg msg;
	unsigned opened = 0, denied = 0;
	int cap, r;

	send_raw(env->parent, "xy", 2, -1, 0);
	send_raw(env->parent, &hdr, sizeof(hdr), -1, 0);
	send_raw(env->parent, &hdr, sizeof(hdr), env->parent, 8);
	cn_log(env, "init still serves after malformed requests");

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PARENT_SESSION);
	cn_msg_put_u32(&msg, 99999);
	cn_msg_put_str(&msg, "LOG");
	cn_msg_put_str(&msg, "label=\"x\", ram_quota=100G");
	check(env, "a session with more quota than exists", cn_call(env->parent, &msg),
	      CN_ERR_OUT_OF_RAM);
	cn_msg_reset(&msg);
	cn_msg_init(&msg, CN_PARENT_SESSION);
	cn_msg_put_u32(&msg, 99998);
	cn_msg_put_str(&msg, "LOG");
	cn_msg_put_str(&msg, "label=\"x\" ram_quota=");
	check(env, "malformed session arguments", cn_call(env->parent, &msg), CN_ERR_INVALID_ARG);
	cn_msg_reset(&msg);

	/* the binary's ROM session is the parent's, not ours: not to be had
	 * (not even when a child server serves it), not to be closed */
	cn_msg_init(&msg, CN_PARENT_SESSION_CAP);
	cn_msg_put_u32(&msg, CN_ENV_BINARY);
	check(env, "the binary's session", cn_call(env->parent, &msg), CN_ERR_NOT_FOUND);
	cn_msg_reset(&msg);
	cn_msg_init(&msg, CN_PARENT_CLOSE);
	cn_msg_put_u32(&msg, CN_ENV_BINARY);
	r = cn_call(env->parent, &msg);
	cn_msg_reset(&msg);
	if (r < 0) {
		cn_log(env, "closing the binary's session: refused (%d)", r);
	} else {
		cn_error(env, "closing the binary's session: got %d, expected a refusal", r);
		failures++;
	}

	/* a flood of sessions: init bounds what one child may hold */
	for (unsigned i = 0; i < 400; i++) {
		r = cn_session_open(env, "LOG", "flood", 0, 0, NULL, &cap, NULL);
		if (r == 0) {
			opened++;
			close(cap);
		} else {
			denied++;
		}
	}
	cn_log(env, "session flood: %u opened, %u denied", opened, denied);
	if (!denied)
		failures++;
	cn_log(env, "asking for all the memory there is");
	if (cn_resource_request(env, "ram_quota=1000G", NULL) < 0)
		failures++;
}

void
cn_construct(struct cn_env *env)
{
	static char big[3 * CN_MSG_PAYLOAD_MAX];
	struct cn_msg_hdr hdr = {.code = CN_LOG_WRITE, .len = 100};
	struct cn_msg msg;
	struct cn_rom *rom;
	const struct cn_xml_node *config;
	int r, dead;

	if (cn_config(env, &config) == 0 && cn_xml_attr_is(config, "target", "init")) {
		hostile_to_init(env);
		if (failures) {
			cn_error(env, "test-hostile: %d checks failed", failures);
			cn_exit(env, 1);
		}
		cn_log(env, "test-hostile: done");
		cn_exit(env, 0);
	}

	/* garbage on the LOG capability: each is dropped and reported by core */
	send_raw(env->log, "xy", 2, -1, 0);                 /* shorter than a header */
	send_raw(env->log, &hdr, sizeof(hdr), -1, 0);       /* length does not match */
	send_raw(env->log, big, sizeof(big), -1, 0);        /* over the payload limit */
	send_raw(env->log, &hdr, sizeof(hdr), env->log, 8); /* too many fds */
	cn_log(env, "core still serves after malformed requests");

	msg.owns_caps = false;
	cn_msg_init(&msg, 4711);
	check(env, "unknown opcode", cn_call(env->log, &msg), CN_ERR_INVALID_OPCODE);
	cn_msg_reset(&msg);

	cn_msg_init(&msg, CN_PD_SANDBOX);
	cn_msg_put_cap(&msg, env->log);
	check(env, "second sandbox handover", cn_call(env->pd, &msg), CN_ERR_DENIED);
	cn_msg_reset(&msg);

	cn_msg_init(&msg, CN_PD_FREE_RAM);
	cn_msg_put_cap(&msg, env->log);
	check(env, "free of a foreign capability", cn_call(env->pd, &msg), CN_ERR_INVALID_ARG);
	cn_msg_reset(&msg);

	check(env, "transfer to itself", cn_pd_transfer_quota(env->pd, env->pd, 1, 0),
	      CN_ERR_DENIED);

	/* a capability whose object is gone */
	r = cn_rom_open(env, "config", &rom);
	if (r < 0) {
		cn_error(env, "cannot open config ROM: %d", r);
		cn_exit(env, 1);
	}
	dead = dup(cn_rom_cap(rom));
	cn_rom_close(rom);
	cn_msg_init(&msg, CN_ROM_DATASPACE);
	check(env, "call on a closed session", cn_call(dead, &msg), CN_ERR_DEAD_OBJECT);
	cn_msg_reset(&msg);
	close(dead);

	for (unsigned i = 0; i < FLOOD_LINES; i++)
		cn_log(env, "flood %u", i);
	cn_log(env, "flooded %u lines", FLOOD_LINES);

	if (failures) {
		cn_error(env, "test-hostile: %d checks failed", failures);
		cn_exit(env, 1);
	}
	cn_log(env, "test-hostile: done");
	cn_exit(env, 0);
}
