/*
 * test-black_hole: a client of black_hole's LOG, Report and ROM services.
 * Each session works and swallows what it is given; malformed requests
 * are refused and the sessions keep working. Routes: LOG "swallow",
 * Report "brightness" and ROM "anything" to black_hole.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/report.h>
#include <cairn/rom.h>
#include <cairn/wire.h>

#include "test_client.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { LOG_SESSION_RAM = 8192, LOG_SESSION_CAPS = 1, BUFFER_SIZE = 4096 };

static struct {
	struct cn_env *env;
} state;

#define fail(...) test_fail(state.env, "test-black_hole", __VA_ARGS__)

/* A request with an unknown opcode, and one with the wrong arguments. */
static void
send_malformed(int cap, const char *what, int32_t opcode)
{
	int r = test_call(cap, 999, false, 0);

	if (r != CN_ERR_INVALID_OPCODE)
		fail("%s: unknown opcode answered %d", what, r);
	r = test_call(cap, opcode, opcode == CN_LOG_WRITE, 0);
	if (r != CN_ERR_BAD_MESSAGE)
		fail("%s: malformed request answered %d", what, r);
}

static void
test_log(void)
{
	uint32_t id;
	int cap, r;

	r = cn_session_open(state.env, "LOG", "swallow", LOG_SESSION_RAM, LOG_SESSION_CAPS, NULL,
	                    &cap, &id);
	if (r < 0)
		fail("LOG session: %s", cn_strerror(r));
	for (int i = 0; i < 100; i++) {
		r = cn_log_write(cap, "this line must not appear in the log\n");
		if (r < 0)
			fail("LOG write: %s", cn_strerror(r));
	}
	send_malformed(cap, "LOG", CN_LOG_WRITE);
	r = cn_log_write(cap, "this one neither\n");
	if (r < 0)
		fail("LOG write after a malformed request: %s", cn_strerror(r));
	cn_session_close(state.env, id);
	close(cap);
	cn_log(state.env, "LOG session swallowed 101 writes");
}

static void
test_report(void)
{
	struct cn_report *report;
	size_t len = 1;
	int r;

	r = cn_report_open(state.env, "brightness", BUFFER_SIZE, &report);
	if (r < 0)
		fail("Report session: %s", cn_strerror(r));
	r = cn_report_submit(report, "<brightness value=\"10\"/>", 24);
	if (r < 0)
		fail("report: %s", cn_strerror(r));
	/* longer than the buffer: refused by the server, as report_rom's */
	r = test_call(cn_report_cap(report), CN_REPORT_SUBMIT, true,
	              cn_report_buffer_size(report) + 1);
	if (r != CN_ERR_TOO_BIG)
		fail("oversized report answered %d", r);
	r = cn_report_obtain_response(report, &len);
	if (r < 0 || len != 0)
		fail("response: %d, length %zu", r, len);
	send_malformed(cn_report_cap(report), "Report", CN_REPORT_SUBMIT);
	r = cn_report_submit(report, "<brightness value=\"11\"/>", 24);
	if (r < 0)
		fail("report after a malformed request: %s", cn_strerror(r));
	cn_report_close(report);
	cn_log(state.env, "Report session swallowed the reports");
}

static void
test_rom(void)
{
	struct cn_rom *rom;
	int r = cn_rom_open(state.env, "anything", &rom);

	if (r < 0)
		fail("ROM session: %s", cn_strerror(r));
	if (!cn_rom_valid(rom) || cn_rom_size(rom) != 8 || memcmp(cn_rom_data(rom), "<empty/>", 8))
		fail("ROM shows \"%.*s\"", (int)cn_rom_size(rom), cn_rom_data(rom));
	cn_rom_close(rom);
	cn_log(state.env, "ROM reads <empty/>");
}

void
cn_construct(struct cn_env *env)
{
	state.env = env;
	test_log();
	test_report();
	test_rom();
	cn_log(env, "test-black_hole: done");
	cn_exit(env, 0);
}
