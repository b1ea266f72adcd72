/*
 * test-report: a Report client that reads its own reports back as a ROM
 * through report_rom. <config mode="..."/> picks the test:
 *   roundtrip  (default) every new report reaches the ROM, with a signal;
 *   no-policy  a ROM request without a policy is denied;
 *   oversized  a report longer than its buffer is refused;
 *   writer     `count` reports <state seq="N">...</state> (N = 1..count)
 *              back to back, of pseudo-random size up to the buffer, the
 *              padding derived from N;
 *   reader     follows the ROM "state" (a writer's report) until it sees
 *              seq="count": every version it reads must be whole (its
 *              padding matches its N) and no older than the one before;
 *              a new version must come with a signal (no lost wake-up).
 * The ROM "brightness" must be routed to report_rom, whose policy maps it
 * to the report "test-report -> brightness".
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/report.h>
#include <cairn/rom.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum {
	BUFFER_SIZE = 4096,
	SIGNAL_WAIT_MS = 5000, /* a signal that takes longer is missing */
	SILENCE_MS = 200,      /* how long to make sure no signal comes */
	FD_SCAN_MAX = 1024,
};

#define REPORT_LABEL "brightness"

static struct {
	struct cn_env *env;
	struct cn_rom *rom;
	struct cn_sig *rom_sig;
	struct cn_report *report;
} state;

__attribute__((noreturn, format(printf, 1, 2))) static void
fail(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cn_error(state.env, "test-report: %s", text);
	cn_exit(state.env, 1);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Dispatch until the ROM signal count exceeds `seen` or timeout_ms passed;
 * whether it did. */
static bool
rom_signalled_since(uint64_t seen, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	while (cn_sig_delivered(state.rom_sig) == seen) {
		uint64_t now = now_ms();

		if (now >= deadline)
			return false;
		if (cn_ep_dispatch(state.env->ep, (int)(deadline - now)) < 0)
			fail("dispatch failed");
	}
	return true;
}

static void
rom_nop(void *data, uint32_t count)
{
	(void)data;
	(void)count;
}

/* Open fds, found without /proc and fcntl (outside the sandbox): lseek
 * fails with EBADF only on a closed fd. */
static unsigned
count_fds(void)
{
	unsigned n = 0;

	for (int fd = 0; fd < FD_SCAN_MAX; fd++)
		if (lseek(fd, 0, SEEK_CUR) >= 0 || errno != EBADF)
			n++;
	return n;
}

static void
open_rom(const char *name)
{
	int r = cn_rom_open(state.env, name, &state.rom);

	if (r < 0)
		fail("ROM \"%s\" unavailable: %s", name, cn_strerror(r));
	r = cn_sig_create(state.env->ep, rom_nop, NULL, &state.rom_sig);
	if (r == 0)
		r = cn_rom_sigh(state.rom, cn_sig_cap(state.rom_sig));
	if (r < 0)
		fail("cannot watch the ROM: %s", cn_strerror(r));
}

static struct cn_report *
open_report(void)
{
	struct cn_report *report;
	int r = cn_report_open(state.env, REPORT_LABEL, BUFFER_SIZE, &report);

	if (r < 0)
		fail("Report session unavailable: %s", cn_strerror(r));
	return report;
}

static bool
rom_is(const char *text)
{
	return cn_rom_size(state.rom) == strlen(text) &&
	       memcmp(cn_rom_data(state.rom), text, strlen(text)) == 0;
}

/* Submit text and check that the ROM signals and then shows it. */
static void
report_and_check(const char *text)
{
	uint64_t seen = cn_sig_delivered(state.rom_sig);
	int r = cn_report_submit(state.report, text, strlen(text));

	if (r < 0)
		fail("cannot submit a report: %s", cn_strerror(r));
	if (!rom_signalled_since(seen, SIGNAL_WAIT_MS))
		fail("no ROM signal after reporting %s", text);
	r = cn_rom_update(state.rom);
	if (r < 0)
		fail("cannot fetch the new ROM version: %s", cn_strerror(r));
	if (!rom_is(text))
		fail("ROM shows \"%.*s\", expected \"%s\"", (int)cn_rom_size(state.rom),
		     cn_rom_data(state.rom), text);
	cn_log(state.env, "ROM shows %s", *text ? text : "nothing (empty report)");
}

/* A raw call on the Report session: its result code. */
static int
raw_call(int32_t opcode, const uint64_t *arg)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, opcode);
	if (arg)
		cn_msg_put_u64(&msg, *arg);
	r = cn_call(cn_report_cap(state.report), &msg);
	cn_msg_reset(&msg);
	return r;
}

static void
check_read_only(void)
{
	void *page = (void *)cn_rom_data(state.rom);

	if (mprotect(page, (size_t)CN_PAGE_SIZE, PROT_READ | PROT_WRITE) == 0)
		fail("the ROM dataspace could be made writable");
	if (errno != EACCES)
		fail("mprotect: unexpected error %d", errno);
	cn_log(state.env, "ROM dataspace is read-only");
}

/* Writing the buffer without submitting must not change the ROM: readers
 * see copies, never the buffer. */
static void
check_buffer_private(const char *current)
{
	memset(cn_report_buffer(state.report), 'X', cn_report_buffer_size(state.report));
	if (cn_rom_update(state.rom) < 0 || !rom_is(current))
		fail("an unsubmitted buffer reached the ROM");
	cn_log(state.env, "unsubmitted buffer stays private");
}

static void
check_second_writer_denied(void)
{
	struct cn_report *second;
	int r = cn_report_open(state.env, REPORT_LABEL, BUFFER_SIZE, &second);

	if (r == 0)
		fail("a second writer of the same report was admitted");
	if (r != CN_ERR_DENIED)
		fail("second writer: %s, expected denial", cn_strerror(r));
	cn_log(state.env, "second writer denied as expected");
}

static void
check_insufficient_donation(void)
{
	uint32_t id;
	int cap, r;

	r = cn_session_open(state.env, "Report", "small", CN_REPORT_SESSION_OVERHEAD,
	                    CN_REPORT_SESSION_CAPS, "buffer_size=4096", &cap, &id);
	if (r == 0)
		fail("a Report session with too little quota was admitted");
	if (r != CN_ERR_INSUFFICIENT_RAM)
		fail("small donation: %s, expected insufficient RAM", cn_strerror(r));
	cn_log(state.env, "too small a donation refused as expected");
}

static void
check_malformed_requests(void)
{
	uint64_t length = 1;
	int r;

	r = raw_call(CN_REPORT_SUBMIT, NULL);
	if (r != CN_ERR_BAD_MESSAGE)
		fail("submit without length: %s", cn_strerror(r));
	r = raw_call(CN_REPORT_OBTAIN_RESPONSE, &length);
	if (r != CN_ERR_BAD_MESSAGE)
		fail("obtain_response with an argument: %s", cn_strerror(r));
	r = raw_call(0x4242, NULL);
	if (r != CN_ERR_INVALID_OPCODE)
		fail("unknown opcode: %s", cn_strerror(r));
	cn_log(state.env, "malformed requests refused");
}

static void
check_responses(void)
{
	size_t len = 1;
	int r = cn_report_response_sigh(state.report, cn_sig_cap(state.rom_sig));

	if (r == 0)
		r = cn_report_obtain_response(state.report, &len);
	if (r < 0 || len != 0)
		fail("responses: %s, length %zu", cn_strerror(r), len);
	cn_log(state.env, "no responses, as report_rom's");
}

static void
roundtrip(void)
{
	unsigned fds;

	open_rom(REPORT_LABEL);
	if (cn_rom_size(state.rom) != 0)
		fail("the ROM has content before the first report");
	cn_log(state.env, "ROM is empty before the first report");

	state.report = open_report();
	report_and_check("<brightness value=\"10\"/>");
	check_read_only();
	check_buffer_private("<brightness value=\"10\"/>");
	report_and_check("<brightness value=\"77\"/>");
	check_second_writer_denied();

	/* the ROM keeps the last report when its writer goes */
	cn_report_close(state.report);
	state.report = NULL;
	if (cn_rom_update(state.rom) < 0 || !rom_is("<brightness value=\"77\"/>"))
		fail("the ROM lost its content when the writer closed");
	cn_log(state.env, "ROM keeps its content after the writer closed");

	/* a new writer updates the existing reader */
	state.report = open_report();
	report_and_check("<brightness value=\"99\"/>");
	check_responses();
	check_malformed_requests();
	report_and_check("<brightness value=\"100\"/>");
	report_and_check("<brightness>\n\t<value>42</value>\n</brightness>\n");
	check_insufficient_donation();

	/* an empty report makes an empty ROM */
	report_and_check("");

	/* a writer's whole life leaves no fd behind (the ROM is empty before
	 * and after, so it holds no dataspace either time) */
	cn_report_close(state.report);
	fds = count_fds();
	state.report = open_report();
	report_and_check("<brightness value=\"1\"/>");
	report_and_check("");
	cn_report_close(state.report);
	state.report = NULL;
	if (count_fds() != fds)
		fail("fds before and after a Report session: %u, %u", fds, count_fds());
	cn_log(state.env, "no fd left behind");

	cn_rom_close(state.rom);
	cn_sig_destroy(state.rom_sig);
}

static void
no_policy(void)
{
	struct cn_rom *rom;
	int r = cn_rom_open(state.env, "unknown", &rom);

	if (r == 0)
		fail("a ROM without policy was admitted");
	if (r != CN_ERR_DENIED)
		fail("ROM without policy: %s, expected denial", cn_strerror(r));
	cn_log(state.env, "ROM without policy denied as expected");
}

static void
oversized(void)
{
	const char *text = "<brightness value=\"5\"/>";
	uint64_t length, seen;
	int r;

	open_rom(REPORT_LABEL);
	state.report = open_report();
	report_and_check(text);

	length = cn_report_buffer_size(state.report) + 1;
	seen = cn_sig_delivered(state.rom_sig);
	for (int i = 0; i < 3; i++) {
		r = raw_call(CN_REPORT_SUBMIT, &length);
		if (r != CN_ERR_TOO_BIG)
			fail("report of %llu bytes: %s", (unsigned long long)length,
			     cn_strerror(r));
	}
	if (rom_signalled_since(seen, SILENCE_MS))
		fail("a refused report signalled the ROM");
	if (cn_rom_update(state.rom) < 0 || !rom_is(text))
		fail("a refused report changed the ROM");
	r = cn_report_submit(state.report, text, (size_t)length);
	if (r != CN_ERR_TOO_BIG)
		fail("the client library submitted past the buffer: %s", cn_strerror(r));
	cn_log(state.env, "oversized report refused as expected");

	/* the session still works */
	report_and_check("<brightness value=\"6\"/>");
	cn_report_close(state.report);
	cn_rom_close(state.rom);
	cn_sig_destroy(state.rom_sig);
}

/* --- writer and reader: many reports, checked -------------------------- */

/* The padding of report n: the same for writer and reader. */
static char
pad_char(uint64_t n, size_t i)
{
	return (char)('a' + (n * 31 + i * 7) % 26);
}

static size_t
pad_len(uint64_t n)
{
	uint64_t x = n * 0x9E3779B97F4A7C15ull;

	return (size_t)(x >> 40) % (BUFFER_SIZE - 64);
}

static void
writer(const struct cn_xml_node *config)
{
	uint64_t count = 1000;

	cn_xml_attr_u64(config, "count", &count);
	state.report = open_report();
	for (uint64_t n = 1; n <= count; n++) {
		char *buf = cn_report_buffer(state.report);
		size_t len = pad_len(n), at;
		int r;

		at = (size_t)snprintf(buf, BUFFER_SIZE, "<state seq=\"%llu\">",
		                      (unsigned long long)n);
		for (size_t i = 0; i < len; i++)
			buf[at + i] = pad_char(n, i);
		at += len;
		at += (size_t)snprintf(buf + at, BUFFER_SIZE - at, "</state>");
		if ((r = cn_report_submit(state.report, buf, at)) < 0)
			fail("report %llu: %s", (unsigned long long)n, cn_strerror(r));
	}
	cn_log(state.env, "writer: %llu reports", (unsigned long long)count);
	cn_report_close(state.report);
}

/* The seq of the ROM's current version after checking it whole; 0 if the
 * ROM is empty (no report yet). */
static uint64_t
check_version(void)
{
	const char *data = cn_rom_data(state.rom);
	size_t size = cn_rom_size(state.rom), len, at;
	unsigned long long n;
	int prefix = 0;

	char head[64];

	if (!cn_rom_valid(state.rom) || !size)
		return 0;
	/* the ROM's bytes need not end in a NUL */
	memcpy(head, data, size < sizeof(head) - 1 ? size : sizeof(head) - 1);
	head[size < sizeof(head) - 1 ? size : sizeof(head) - 1] = 0;
	if (sscanf(head, "<state seq=\"%llu\">%n", &n, &prefix) != 1 || !prefix)
		fail("reader: not a report of the writer: %s", head);
	len = pad_len(n);
	for (at = 0; at < len; at++)
		if ((size_t)prefix + at >= size || data[prefix + at] != pad_char(n, at))
			fail("reader: report %llu damaged at byte %zu", n, (size_t)prefix + at);
	if ((size_t)prefix + len + 8 > size || strncmp(data + prefix + len, "</state>", 8) != 0)
		fail("reader: report %llu cut short", n);
	return n;
}

static void
reader(const struct cn_xml_node *config)
{
	uint64_t count = 1000, last = 0, versions = 0;

	cn_xml_attr_u64(config, "count", &count);
	open_rom("state");
	for (;;) {
		uint64_t seen = cn_sig_delivered(state.rom_sig), n;
		int r = cn_rom_update(state.rom);

		if (r < 0)
			fail("reader: update: %s", cn_strerror(r));
		n = check_version();
		if (n < last)
			fail("reader: report %llu after %llu", (unsigned long long)n,
			     (unsigned long long)last);
		versions += n != last;
		last = n;
		if (last == count)
			break;
		if (!rom_signalled_since(seen, SIGNAL_WAIT_MS))
			fail("reader: no signal after report %llu", (unsigned long long)last);
	}
	cn_log(state.env, "reader: %llu versions seen, the last is %llu, in order",
	       (unsigned long long)versions, (unsigned long long)last);
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config;
	char mode[32] = "roundtrip";

	state.env = env;
	if (cn_config(env, &config) == 0 &&
	    cn_xml_attr_str(config, "mode", mode, sizeof(mode)) == -ENAMETOOLONG) {
		cn_error(env, "test-report: config: mode too long");
		cn_exit(env, 2);
	}
	if (strcmp(mode, "roundtrip") == 0) {
		roundtrip();
	} else if (strcmp(mode, "no-policy") == 0) {
		no_policy();
	} else if (strcmp(mode, "oversized") == 0) {
		oversized();
	} else if (strcmp(mode, "writer") == 0) {
		writer(config);
	} else if (strcmp(mode, "reader") == 0) {
		reader(config);
	} else {
		cn_error(env, "test-report: config: unknown mode \"%s\"", mode);
		cn_exit(env, 2);
	}
	cn_log(env, "test-report: %s: done", mode);
	cn_exit(env, 0);
}
