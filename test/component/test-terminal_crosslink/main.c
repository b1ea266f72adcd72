/*
 * test-terminal_crosslink: Genode's test of terminal_crosslink. Genode's
 * runs two threads, "client" and "server", each with a Terminal session;
 * here one component holds both sessions and drives them in turn from its
 * entrypoint. <config mode="..."/> picks the test:
 *   exchange   (default) a short message each way, then a long one from
 *              client to server, longer than the server's buffer, so the
 *              writer meets a full buffer and continues after the reader
 *              drained it; ends with "Test succeeded";
 *   bad-input  a third client is denied, a write beyond the I/O buffer and
 *              malformed requests are refused, too small a donation is
 *              denied, a freed end can be taken again;
 *   client, server  one end each, for two components that run Genode's
 *              client and server threads as processes of their own;
 *   stream     one end, in both directions at once with another
 *              component in mode stream at the other end: `bytes` bytes
 *              of a pseudo-random stream from `seed` out, the peer's
 *              stream from `peer_seed` in, in pieces of random size;
 *              every byte must arrive, in order ("stream: N bytes each
 *              way, in order").
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/terminal.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_rng.h"

enum {
	TEST_DATA_SIZE = 4097, /* Genode's: one byte more than the default buffer */
	BUFFER_SIZE = 4096,    /* the crosslink's buffer in the scenarios */
	READ_BUFFER_SIZE = 8192,
	SIGNAL_WAIT_MS = 5000, /* a signal that takes longer is missing */
};

static const char client_text[] = "Hello from client.";
static const char server_text[] = "Hello from server, too.";

struct end {
	const char *name;
	struct cn_terminal *terminal;
	struct cn_sig *read_avail;
};

static struct {
	struct cn_env *env;
	struct end client, server;
	char test_data[TEST_DATA_SIZE];
	char read_buffer[READ_BUFFER_SIZE];
} state = {
    .client = {.name = "client"},
    .server = {.name = "server"},
};

__attribute__((noreturn, format(printf, 1, 2))) static void
fail(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cn_error(state.env, "%s", text);
	cn_exit(state.env, 1);
}

static void
read_avail(void *data, uint32_t count)
{
	(void)data;
	(void)count;
}

static void
open_end(struct end *end)
{
	int r = cn_terminal_open(state.env, end->name, &end->terminal);

	if (r == 0)
		r = cn_sig_create(state.env->ep, read_avail, end, &end->read_avail);
	if (r == 0)
		r = cn_terminal_read_avail_sigh(end->terminal, cn_sig_cap(end->read_avail));
	if (r < 0)
		fail("Terminal session \"%s\" unavailable: %s", end->name, cn_strerror(r));
}

static void
close_end(struct end *end)
{
	cn_sig_destroy(end->read_avail);
	cn_terminal_close(end->terminal);
	end->read_avail = NULL;
	end->terminal = NULL;
}

/* Whether end's read-avail signal came after it had been delivered `seen`
 * times, dispatching for up to SIGNAL_WAIT_MS. */
static bool
signalled_since(struct end *end, uint64_t seen)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (cn_sig_delivered(end->read_avail) == seen) {
		long waited;

		clock_gettime(CLOCK_MONOTONIC, &now);
		waited =
		    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= SIGNAL_WAIT_MS)
			return false;
		if (cn_ep_dispatch(state.env->ep, (int)(SIGNAL_WAIT_MS - waited)) < 0)
			fail("dispatch failed");
	}
	return true;
}

static size_t
write_some(struct end *end, const void *data, size_t len)
{
	size_t written;
	int r = cn_terminal_write(end->terminal, data, len, &written);

	if (r < 0)
		fail("%s: write failed: %s", end->name, cn_strerror(r));
	return written;
}

/* Read what is available, up to len bytes. */
static size_t
read_some(struct end *end, void *buf, size_t len)
{
	size_t n;
	int r = cn_terminal_read(end->terminal, buf, len, &n);

	if (r < 0)
		fail("%s: read failed: %s", end->name, cn_strerror(r));
	return n;
}

static bool
avail(struct end *end)
{
	int r = cn_terminal_avail(end->terminal);

	if (r < 0)
		fail("%s: avail failed: %s", end->name, cn_strerror(r));
	return r == 1;
}

/*
 * Move len bytes of data from one end to the other: each round writes
 * what fits, expects the reader's read-avail signal, checks avail() and
 * drains everything. Returns the number of rounds.
 */
static unsigned
transfer(struct end *from, struct end *to, const char *data, size_t len, char *out)
{
	size_t sent = 0, received = 0;
	unsigned rounds = 0;

	while (received < len) {
		uint64_t seen = cn_sig_delivered(to->read_avail);
		size_t n = write_some(from, data + sent, len - sent);

		if (n == 0)
			fail("%s: a write into an empty buffer took nothing", from->name);
		sent += n;
		if (sent < len && write_some(from, data + sent, len - sent) != 0)
			fail("%s: a full buffer took more", from->name);
		if (sent < len)
			cn_log(state.env, "buffer full after %zu of %zu bytes", sent, len);
		if (!signalled_since(to, seen))
			fail("%s: no read-avail signal", to->name);
		if (!avail(to))
			fail("%s: nothing available after the signal", to->name);
		while ((n = read_some(to, out + received, len - received)) > 0)
			received += n;
		if (received != sent)
			fail("%s: read %zu of %zu bytes written", to->name, received, sent);
		if (avail(to))
			fail("%s: input available after draining it", to->name);
		rounds++;
	}
	return rounds;
}

static void
exchange(void)
{
	unsigned columns = 1, lines = 1, rounds;

	open_end(&state.server);
	open_end(&state.client);
	if (cn_terminal_size(state.client.terminal, &columns, &lines) < 0 || columns || lines)
		fail("size is %ux%u, expected 0x0", columns, lines);

	cn_log(state.env, "Short message test");
	transfer(&state.client, &state.server, client_text, sizeof(client_text), state.read_buffer);
	cn_log(state.env, "Server received: %s", state.read_buffer);
	if (strcmp(state.read_buffer, client_text) != 0)
		fail("Received data is not as expected");
	transfer(&state.server, &state.client, server_text, sizeof(server_text), state.read_buffer);
	cn_log(state.env, "Client received: %s", state.read_buffer);
	if (strcmp(state.read_buffer, server_text) != 0)
		fail("Received data is not as expected");

	cn_log(state.env, "Long message test");
	memset(state.test_data, 5, sizeof(state.test_data));
	memset(state.read_buffer, 0, sizeof(state.read_buffer));
	rounds = transfer(&state.client, &state.server, state.test_data, sizeof(state.test_data),
	                  state.read_buffer);
	if (memcmp(state.read_buffer, state.test_data, sizeof(state.test_data)) != 0)
		fail("Received data is not as expected");
	if (rounds < 2)
		fail("%zu bytes passed a buffer of %d bytes in one round", sizeof(state.test_data),
		     BUFFER_SIZE);
	cn_log(state.env, "long message passed in %u rounds", rounds);
	close_end(&state.client);
	close_end(&state.server);
	cn_log(state.env, "Test succeeded");
}

/* --- one end per component -------------------------------------------------- */

enum {
	RETRY_PAUSE_NS = 1000 * 1000, /* between writes into a full buffer */
	RETRY_MAX = 5000,             /* pauses before the buffer counts as stuck */
};

/* Write all of data, retrying while the partner's buffer is full: Genode's
 * _write_all spins, we pause between tries (there is no signal for room). */
static void
write_all(struct end *end, const char *data, size_t len)
{
	unsigned tries = 0;

	for (size_t sent = 0; sent < len;) {
		sent += write_some(end, data + sent, len - sent);
		if (sent == len)
			break;
		if (++tries > RETRY_MAX)
			fail("%s: the buffer stayed full", end->name);
		nanosleep(&(struct timespec){.tv_nsec = RETRY_PAUSE_NS}, NULL);
	}
}

/* Read len bytes, waiting for the read-avail signal whenever there is
 * nothing to read. */
static void
read_all(struct end *end, char *buf, size_t len)
{
	for (size_t received = 0; received < len;) {
		uint64_t seen = cn_sig_delivered(end->read_avail);

		received += read_some(end, buf + received, len - received);
		if (received < len && !signalled_since(end, seen))
			fail("%s: no read-avail signal", end->name);
	}
}

/* --- stream --------------------------------------------------------------- */

struct stream {
	uint64_t rng;
	unsigned char bytes[8];
	unsigned left; /* of bytes */
};

static unsigned char
stream_next(struct stream *s)
{
	if (!s->left) {
		uint64_t v = test_rng_next(&s->rng);

		memcpy(s->bytes, &v, sizeof(v));
		s->left = sizeof(v);
	}
	return s->bytes[--s->left];
}

static void
stream(const struct cn_xml_node *config)
{
	enum { PIECE_MAX = 6000 };
	static unsigned char out[PIECE_MAX], in[READ_BUFFER_SIZE];
	uint64_t seed = 1, peer_seed = 2, bytes = 1 << 20, sent = 0, received = 0;
	struct stream mine, peer, sizes;
	size_t pending = 0, piece = 0; /* out[piece..pending) not yet taken */
	unsigned idle = 0;

	cn_xml_attr_u64(config, "seed", &seed);
	cn_xml_attr_u64(config, "peer_seed", &peer_seed);
	cn_xml_attr_u64(config, "bytes", &bytes);
	mine = (struct stream){.rng = test_rng_seed(seed)};
	peer = (struct stream){.rng = test_rng_seed(peer_seed)};
	sizes = (struct stream){.rng = seed + 17};
	open_end(&state.client);
	while (sent < bytes || received < bytes) {
		bool progress = false;
		size_t n;

		if (piece == pending && sent < bytes) {
			/* the next piece: 1 .. PIECE_MAX bytes */
			size_t len = 1 + ((size_t)stream_next(&sizes) << 8 | stream_next(&sizes)) %
			                     PIECE_MAX;

			if (len > bytes - sent)
				len = (size_t)(bytes - sent);
			for (size_t i = 0; i < len; i++)
				out[i] = stream_next(&mine);
			piece = 0;
			pending = len;
		}
		if (piece < pending) {
			n = write_some(&state.client, out + piece, pending - piece);
			piece += n;
			sent += n;
			progress |= n > 0;
		}
		n = read_some(&state.client, in, sizeof(in));
		for (size_t i = 0; i < n; i++, received++)
			if (in[i] != stream_next(&peer))
				fail("stream: byte %llu differs", (unsigned long long)received);
		if (received > bytes)
			fail("stream: more than %llu bytes arrived", (unsigned long long)bytes);
		progress |= n > 0;
		if (progress) {
			idle = 0;
			continue;
		}
		/* nothing to read, and the peer's buffer is full: wait a
		 * moment for our read-avail signal (the peer may also just
		 * make room, which signals nothing) */
		if (++idle > RETRY_MAX)
			fail("stream: stuck after %llu bytes out, %llu in",
			     (unsigned long long)sent, (unsigned long long)received);
		if (cn_ep_dispatch(state.env->ep, 1) < 0)
			fail("dispatch failed");
	}
	cn_log(state.env, "stream: %llu bytes each way, in order", (unsigned long long)bytes);
}

/* Genode's Client::entry, in a component of its own. */
static void
client_end(void)
{
	open_end(&state.client);
	cn_log(state.env, "Short message test");
	write_all(&state.client, client_text, sizeof(client_text));
	read_all(&state.client, state.read_buffer, sizeof(server_text));
	cn_log(state.env, "Client received: %s", state.read_buffer);
	if (strcmp(state.read_buffer, server_text) != 0)
		fail("Received data is not as expected");
	cn_log(state.env, "Long message test");
	memset(state.test_data, 5, sizeof(state.test_data));
	write_all(&state.client, state.test_data, sizeof(state.test_data));
	/* what is still buffered stays readable after we closed */
	close_end(&state.client);
}

/* Genode's Server::entry, in a component of its own. */
static void
server_end(void)
{
	open_end(&state.server);
	read_all(&state.server, state.read_buffer, sizeof(client_text));
	cn_log(state.env, "Server received: %s", state.read_buffer);
	if (strcmp(state.read_buffer, client_text) != 0)
		fail("Received data is not as expected");
	write_all(&state.server, server_text, sizeof(server_text));
	memset(state.read_buffer, 0, sizeof(state.read_buffer));
	read_all(&state.server, state.read_buffer, TEST_DATA_SIZE);
	for (size_t i = 0; i < TEST_DATA_SIZE; i++)
		if (state.read_buffer[i] != 5)
			fail("Received data is not as expected");
	close_end(&state.server);
	cn_log(state.env, "Test succeeded");
}

/* --- bad input ------------------------------------------------------------- */

/* A raw request on a session: opcode, then the given u64 arguments,
 * trailing junk bytes and a cap (-1: none). The result code. */
static int
raw_call(struct end *end, int32_t op, unsigned nargs, uint64_t arg, bool junk, int cap)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, op);
	if (nargs)
		cn_msg_put_u64(&msg, arg);
	if (junk)
		cn_msg_put_u32(&msg, 0xdead);
	if (cap >= 0)
		cn_msg_put_cap(&msg, cap);
	r = cn_call(cn_terminal_cap(end->terminal), &msg);
	cn_msg_reset(&msg);
	return r;
}

static void
expect(const char *what, int got, int expected)
{
	if (got != expected)
		fail("%s: got %d (%s), expected %d (%s)", what, got, cn_strerror(got), expected,
		     cn_strerror(expected));
}

static void
bad_input(void)
{
	struct end third = {.name = "third"};
	struct cn_terminal *unexpected;
	size_t io_size;
	int cap, r;
	uint32_t id;

	open_end(&state.client);
	open_end(&state.server);
	io_size = cn_terminal_io_buffer_size(state.client.terminal);

	r = cn_terminal_open(state.env, third.name, &unexpected);
	expect("a third client", r, CN_ERR_DENIED);
	cn_log(state.env, "third client denied as expected");

	expect("a write beyond the I/O buffer",
	       raw_call(&state.client, CN_TERMINAL_WRITE, 1, io_size + 1, false, -1),
	       CN_ERR_TOO_BIG);
	expect("a write of 2^63 bytes",
	       raw_call(&state.client, CN_TERMINAL_WRITE, 1, 1ull << 63, false, -1),
	       CN_ERR_TOO_BIG);
	cn_log(state.env, "write beyond the I/O buffer refused");
	/* as Genode's: a read may ask for more than the buffer holds */
	expect("a read of 2^63 bytes",
	       raw_call(&state.client, CN_TERMINAL_READ, 1, 1ull << 63, false, -1), CN_OK);
	expect("a write with trailing bytes",
	       raw_call(&state.client, CN_TERMINAL_WRITE, 1, 1, true, -1), CN_ERR_BAD_MESSAGE);
	expect("a read without its argument",
	       raw_call(&state.client, CN_TERMINAL_READ, 0, 0, false, -1), CN_ERR_BAD_MESSAGE);
	expect("size with a cap", raw_call(&state.client, CN_TERMINAL_SIZE, 0, 0, false, 0),
	       CN_ERR_BAD_MESSAGE);
	expect("a sigh without a cap",
	       raw_call(&state.client, CN_TERMINAL_READ_AVAIL_SIGH, 0, 0, false, -1),
	       CN_ERR_BAD_MESSAGE);
	expect("an unknown opcode", raw_call(&state.client, 99, 0, 0, false, -1),
	       CN_ERR_INVALID_OPCODE);
	cn_log(state.env, "malformed requests refused");
	if (transfer(&state.client, &state.server, client_text, sizeof(client_text),
	             state.read_buffer) != 1 ||
	    strcmp(state.read_buffer, client_text) != 0)
		fail("the sessions do not work after bad requests");
	cn_log(state.env, "sessions still work");

	/* what the client wrote stays for whoever takes the server's end next */
	if (write_some(&state.client, server_text, sizeof(server_text)) != sizeof(server_text))
		fail("client: write failed");
	close_end(&state.server);
	r = cn_session_open(state.env, "Terminal", "poor", CN_TERMINAL_SESSION_RAM / 2,
	                    CN_TERMINAL_SESSION_CAPS, NULL, &cap, &id);
	expect("too small a donation", r, CN_ERR_INSUFFICIENT_RAM);
	cn_log(state.env, "too small a donation denied as expected");
	open_end(&state.server);
	if (read_some(&state.server, state.read_buffer, sizeof(state.read_buffer)) !=
	        sizeof(server_text) ||
	    strcmp(state.read_buffer, server_text) != 0)
		fail("the new server end did not get the pending data");
	cn_log(state.env, "a freed end is taken again, pending data kept");
	close_end(&state.client);
	close_end(&state.server);
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config;
	char mode[32] = "exchange";

	state.env = env;
	if (cn_config(env, &config) == 0 &&
	    cn_xml_attr_str(config, "mode", mode, sizeof(mode)) == -ENAMETOOLONG)
		fail("config: mode too long");
	if (strcmp(mode, "exchange") == 0)
		exchange();
	else if (strcmp(mode, "bad-input") == 0)
		bad_input();
	else if (strcmp(mode, "client") == 0)
		client_end();
	else if (strcmp(mode, "server") == 0)
		server_end();
	else if (strcmp(mode, "stream") == 0)
		stream(config);
	else
		fail("config: unknown mode \"%s\"", mode);
	cn_log(env, "test-terminal_crosslink: %s: done", mode);
	cn_exit(env, 0);
}
