/*
 * test-rpc-client: opens a "Test" session and exercises every operation
 * of test_rpc.h: strings, numbers, a capability argument, a full-size
 * payload and requests the server must refuse.
 */
#include <cairn/env.h>
#include <cairn/log.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test_rpc.h"

enum { NAME_MAX_LEN = 64 };

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	char name[NAME_MAX_LEN]; /* tells clients apart in the log */
	int cap;                 /* the session */
	uint32_t id;
	struct cn_msg msg; /* one request at a time */
} state;

__attribute__((noreturn, format(printf, 1, 2))) static void
fail(const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cn_error(state.env, "%s: %s", state.name, text);
	cn_exit(state.env, 1);
}

/* Start a request in the shared message (closing caps of the last reply). */
static struct cn_msg *
request(int32_t op)
{
	cn_msg_init(&state.msg, op);
	return &state.msg;
}

/* Call and insist on the given result. */
static void
call_expect(const char *what, int expected)
{
	int r = cn_call(state.cap, &state.msg);

	if (r != expected)
		fail("%s: expected result %d, got %d", what, expected, r);
}

static void
test_echo(void)
{
	static char sent[CN_MSG_STR_MAX + 1], got[CN_MSG_STR_MAX + 1];

	snprintf(sent, sizeof(sent), "hello from %s", state.name);
	cn_msg_put_str(request(TEST_RPC_ECHO), sent);
	call_expect("echo", CN_OK);
	if (cn_msg_get_str(&state.msg, got, sizeof(got)) < 0 || cn_msg_end(&state.msg) < 0 ||
	    strcmp(got, sent) != 0)
		fail("echo returned \"%s\"", got);

	/* the longest string the wire takes */
	memset(sent, 'x', CN_MSG_STR_MAX);
	sent[CN_MSG_STR_MAX] = 0;
	cn_msg_put_str(request(TEST_RPC_ECHO), sent);
	call_expect("echo of the longest string", CN_OK);
	if (cn_msg_get_str(&state.msg, got, sizeof(got)) < 0 || strcmp(got, sent) != 0)
		fail("echo of the longest string came back changed");
	cn_log(state.env, "%s: echo ok", state.name);
}

static uint64_t
add(uint64_t a, uint64_t b)
{
	struct cn_msg *msg = request(TEST_RPC_ADD);
	uint64_t sum;

	cn_msg_put_u64(msg, a);
	cn_msg_put_u64(msg, b);
	call_expect("add", CN_OK);
	if (cn_msg_get_u64(msg, &sum) < 0 || cn_msg_end(msg) < 0)
		fail("malformed add reply");
	return sum;
}

static void
test_add(void)
{
	if (add(40, 2) != 42 || add(UINT64_MAX, 2) != 1)
		fail("add computes wrong sums");
	cn_log(state.env, "%s: add ok", state.name);
}

static void
ignore_signal(void *data, uint32_t count)
{
	(void)data;
	(void)count;
}

/* Pass a signal context: the server submits to it and hands it back. */
static void
test_cap_argument(void)
{
	enum { COUNT = 3 };
	struct cn_cap_id mine, returned;
	struct cn_msg *msg = request(TEST_RPC_CAP_ECHO);
	struct cn_sig *sig;
	uint64_t before;

	if (cn_sig_create(state.env->ep, ignore_signal, NULL, &sig) < 0)
		fail("cannot create a signal context");
	before = cn_sig_delivered(sig);
	cn_msg_put_cap(msg, cn_sig_cap(sig));
	cn_msg_put_u32(msg, COUNT);
	call_expect("cap echo", CN_OK);
	if (msg->hdr.ncaps != 1 || cn_msg_end(msg) < 0)
		fail("cap echo: reply carries %u caps", msg->hdr.ncaps);
	if (cn_cap_identify(cn_sig_cap(sig), &mine) < 0 ||
	    cn_cap_identify(cn_msg_cap(msg, 0), &returned) < 0 || mine.ino != returned.ino ||
	    mine.dev != returned.dev)
		fail("cap echo returned a different capability");
	/* The server submitted before replying: the signal is on its way. */
	while (cn_sig_delivered(sig) < before + COUNT)
		if (cn_ep_wait_sig(state.env->ep, sig) < 0)
			fail("waiting for the server's signal failed");
	cn_sig_destroy(sig);
	cn_log(state.env, "%s: capability argument ok (signal received)", state.name);
}

static void
test_payload(void)
{
	static uint8_t data[TEST_RPC_PAYLOAD_MAX + 1];
	struct cn_msg *msg;
	uint32_t sum;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	msg = request(TEST_RPC_PAYLOAD);
	cn_msg_put_u32(msg, TEST_RPC_PAYLOAD_MAX);
	cn_msg_put_bytes(msg, data, TEST_RPC_PAYLOAD_MAX);
	call_expect("full-size payload", CN_OK);
	if (cn_msg_get_u32(msg, &sum) < 0 || cn_msg_end(msg) < 0 ||
	    sum != test_rpc_checksum(data, TEST_RPC_PAYLOAD_MAX))
		fail("payload checksum mismatch");

	/* One byte over the interface's limit (still within the wire's). */
	msg = request(TEST_RPC_PAYLOAD);
	cn_msg_put_u32(msg, TEST_RPC_PAYLOAD_MAX + 1);
	cn_msg_put_bytes(msg, data, TEST_RPC_PAYLOAD_MAX + 1);
	call_expect("oversized payload", CN_ERR_BAD_MESSAGE);
	cn_log(state.env, "%s: payload of %d bytes ok", state.name, TEST_RPC_PAYLOAD_MAX);
}

static void
test_bad_requests(void)
{
	request(0x4711);
	call_expect("unknown opcode", CN_ERR_INVALID_OPCODE);

	cn_msg_put_u64(request(TEST_RPC_ADD), 1); /* second operand missing */
	call_expect("add with one operand", CN_ERR_BAD_MESSAGE);

	cn_msg_put_str(request(TEST_RPC_ECHO), "trailing");
	cn_msg_put_u32(&state.msg, 0);
	call_expect("echo with trailing bytes", CN_ERR_BAD_MESSAGE);

	cn_msg_put_u32(request(TEST_RPC_CAP_ECHO), 1); /* cap missing */
	call_expect("cap echo without a cap", CN_ERR_BAD_MESSAGE);

	/* the session survives its client's mistakes */
	if (add(1, 1) != 2)
		fail("session broken after bad requests");
	cn_log(state.env, "%s: bad requests refused", state.name);
}

static void
read_name(struct cn_env *env)
{
	const struct cn_xml_node *config;

	snprintf(state.name, sizeof(state.name), "%s", env->name);
	if (cn_config(env, &config) == 0 && cn_xml_has_attr(config, "name") &&
	    cn_xml_attr_str(config, "name", state.name, sizeof(state.name)) < 0) {
		cn_error(env, "bad name attribute in config");
		cn_exit(env, 2);
	}
}

/* <config churn="N"/>: open and close N sessions first (each with one
 * call), to show that sessions and their quota come and go cleanly. */
static void
churn(struct cn_env *env)
{
	const struct cn_xml_node *config;
	uint64_t rounds = 0;

	if (cn_config(env, &config) != 0 || cn_xml_attr_u64(config, "churn", &rounds) < 0)
		return;
	for (uint64_t i = 0; i < rounds; i++) {
		int r = cn_session_open(env, "Test", "churn", TEST_RPC_SESSION_RAM,
		                        TEST_RPC_SESSION_CAPS, NULL, &state.cap, &state.id);
		if (r < 0)
			fail("churn: session %llu: %s", (unsigned long long)i, strerror(-r));
		test_echo();
		cn_session_close(env, state.id);
		close(state.cap);
	}
	cn_log(env, "%s: churn: %llu sessions opened and closed", state.name,
	       (unsigned long long)rounds);
}

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	state.msg.owns_caps = false;
	read_name(env);
	churn(env);

	r = cn_session_open(env, "Test", "", TEST_RPC_SESSION_RAM, TEST_RPC_SESSION_CAPS, NULL,
	                    &state.cap, &state.id);
	if (r < 0)
		fail("cannot open a Test session: %s", strerror(-r));
	cn_log(env, "%s: session open", state.name);

	test_echo();
	test_add();
	test_cap_argument();
	test_payload();
	test_bad_requests();

	cn_msg_reset(&state.msg);
	cn_session_close(env, state.id);
	close(state.cap);
	cn_log(env, "%s: done", state.name);
	cn_exit(env, 0);
}
