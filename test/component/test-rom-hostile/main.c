/*
 * test-rom-hostile: a ROM client that sends its server malformed requests
 * (an unknown opcode, DATASPACE with an argument, SIGH without a
 * capability), each of which must be refused, and then checks that the
 * session still serves the ROM. The ROM's name comes from <config rom="..."/>.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/rom.h>
#include <cairn/wire.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum { ROM_NAME_MAX = 128 };

static struct {
	struct cn_env *env;
} state;

__attribute__((noreturn, format(printf, 1, 2))) static void
fail(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cn_error(state.env, "test-rom-hostile: %s", text);
	cn_exit(state.env, 1);
}

/* A request of opcode, with one u64 argument if with_arg. */
static int
call(int cap, int32_t opcode, bool with_arg)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, opcode);
	if (with_arg)
		cn_msg_put_u64(&msg, 0);
	r = cn_call(cap, &msg);
	cn_msg_reset(&msg);
	return r;
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config;
	char name[ROM_NAME_MAX] = "";
	struct cn_rom *rom;
	int r;

	state.env = env;
	if (cn_config(env, &config) < 0 || cn_xml_attr_str(config, "rom", name, sizeof(name)) < 0)
		fail("no <config rom=\"...\"/>");
	r = cn_rom_open(env, name, &rom);
	if (r < 0)
		fail("ROM '%s' unavailable: %s", name, cn_strerror(r));
	if ((r = call(cn_rom_cap(rom), 999, false)) != CN_ERR_INVALID_OPCODE)
		fail("unknown opcode answered %d", r);
	if ((r = call(cn_rom_cap(rom), CN_ROM_DATASPACE, true)) != CN_ERR_BAD_MESSAGE)
		fail("DATASPACE with an argument answered %d", r);
	if ((r = call(cn_rom_cap(rom), CN_ROM_SIGH, false)) != CN_ERR_BAD_MESSAGE)
		fail("SIGH without a capability answered %d", r);
	r = cn_rom_update(rom);
	if (r < 0 || !cn_rom_valid(rom))
		fail("ROM not served after malformed requests: %d", r);
	cn_log(env, "malformed requests refused, ROM '%s' still served: %.*s", name,
	       (int)cn_rom_size(rom), cn_rom_data(rom));
	cn_rom_close(rom);
	cn_exit(env, 0);
}
