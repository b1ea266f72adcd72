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

#include "test_client.h"

#include <stdbool.h>
#include <stdio.h>

enum { ROM_NAME_MAX = 128 };

static struct {
	struct cn_env *env;
} state;

#define fail(...) test_fail(state.env, "test-rom-hostile", __VA_ARGS__)

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
	if ((r = test_call(cn_rom_cap(rom), 999, false, 0)) != CN_ERR_INVALID_OPCODE)
		fail("unknown opcode answered %d", r);
	if ((r = test_call(cn_rom_cap(rom), CN_ROM_DATASPACE, true, 0)) != CN_ERR_BAD_MESSAGE)
		fail("DATASPACE with an argument answered %d", r);
	if ((r = test_call(cn_rom_cap(rom), CN_ROM_SIGH, false, 0)) != CN_ERR_BAD_MESSAGE)
		fail("SIGH without a capability answered %d", r);
	r = cn_rom_update(rom);
	if (r < 0 || !cn_rom_valid(rom))
		fail("ROM not served after malformed requests: %d", r);
	cn_log(env, "malformed requests refused, ROM '%s' still served: %.*s", name,
	       (int)cn_rom_size(rom), cn_rom_data(rom));
	cn_rom_close(rom);
	cn_exit(env, 0);
}
