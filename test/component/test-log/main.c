/*
 * test-log: the counterpart of Genode's base/src/test/log. Prints
 * formatted values, a labelled second LOG session, a message longer than
 * one line and a message with newlines, then "Test done.".
 */
#include <cairn/env.h>
#include <cairn/log.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum {
	LOG_SESSION_RAM = 8192, /* what Genode's Log_connection donates */
	LOG_SESSION_CAPS = 1,
};

/*
 * Genode's Hex_range<T>: "[base,end)" with zero-padded hex digits of T's
 * width, "[base,max]" when the range ends exactly at the top of T,
 * " (empty!)" and " (overflow!)" for degenerate ranges.
 */
static void
format_hex_range(char *buf, size_t size, uint64_t base, uint64_t len, unsigned bytes)
{
	const int width = (int)bytes * 2;
	const uint64_t max = bytes == 8 ? UINT64_MAX : (1ull << (bytes * 8)) - 1;
	const uint64_t end = (base + len) & max;

	if (len == 0)
		snprintf(buf, size, "[%0*" PRIx64 ",%0*" PRIx64 ") (empty!)", width, base, width,
		         base);
	else if (end == 0)
		snprintf(buf, size, "[%0*" PRIx64 ",%0*" PRIx64 "]", width, base, width, max);
	else if (end < base)
		snprintf(buf, size, "[%0*" PRIx64 ",%0*" PRIx64 ") (overflow!)", width, base, width,
		         end);
	else
		snprintf(buf, size, "[%0*" PRIx64 ",%0*" PRIx64 ")", width, base, width, end);
}

static void
log_hex_range(struct cn_env *env, const char *what, uint64_t base, uint64_t len, unsigned bytes)
{
	char range[64];

	format_hex_range(range, sizeof(range), base, len, bytes);
	cn_log(env, "%-20s%s", what, range);
}

/* Genode labels a second LOG connection "log": its lines appear as
 * [init -> test-log -> log]. */
static int
log_to_second_session(struct cn_env *env)
{
	uint32_t id;
	int cap, r;

	r = cn_session_open(env, "LOG", "log", LOG_SESSION_RAM, LOG_SESSION_CAPS, NULL, &cap, &id);
	if (r < 0)
		return r;
	r = cn_log_write(cap, "1....2");
	cn_session_close(env, id);
	close(cap);
	return r;
}

void
cn_construct(struct cn_env *env)
{
	/* Twice what fits in one line: must arrive split, not truncated. */
	static char very_long[2 * CN_LOG_LINE_MAX];
	int r;

	log_hex_range(env, "hex range:", 0xe00, 0x880, 2);
	log_hex_range(env, "empty hex range:", 0xabc0000, 0, 4);
	log_hex_range(env, "hex range to limit:", 0xf8, 8, 1);
	log_hex_range(env, "invalid hex range:", 0xf8, 0x10, 1);
	cn_log(env, "%-20s0x%02x", "negative hex char:", (unsigned char)(char)-2);
	cn_log(env, "%-20s0x%02x", "positive hex char:", (unsigned char)(char)2);
	cn_log(env, "%-20s\"%s%d\"", "multiarg string:", "parent -> child.", 7);
	cn_log(env, "%-20s%#x", "String(Hex(3)):", 3);
	cn_log(env, "%-20s%d %u %lld %llu", "numbers:", -1, 42u, LLONG_MIN, ULLONG_MAX);
	cn_log(env, "%-20s%" PRIu64 " %#" PRIx64, "64-bit:", UINT64_C(1) << 40, UINT64_MAX);
	cn_log(env, "%-20s'%s' '%.3s' '%5s'", "strings:", "text", "truncated", "pad");

	r = log_to_second_session(env);
	if (r < 0) {
		cn_error(env, "second LOG session failed: %s", strerror(-r));
		cn_exit(env, 1);
	}

	cn_log(env, "Very long messages:");
	memset(very_long, '.', sizeof(very_long) - 1);
	very_long[0] = '1';                     /* first char of the first line */
	very_long[sizeof(very_long) - 2] = '2'; /* last char of the last line */
	cn_log(env, "%s", very_long);

	cn_log(env, "Message with newlines:\nsecond line\nthird line");
	cn_log(env, "Test done.");
	cn_exit(env, 0);
}
