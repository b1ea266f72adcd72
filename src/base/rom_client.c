/*
 * ROM session client: attach the current version, re-fetch on update.
 */
#include <cairn/env.h>
#include <cairn/pd.h>
#include <cairn/rom.h>

#include <stdlib.h>
#include <unistd.h>

struct cn_rom {
	struct cn_env *env;
	int cap;
	uint32_t id;
	struct cn_ds ds;
};

enum { ROM_SESSION_RAM = 8192, ROM_SESSION_CAPS = 2 };

static int
fetch(struct cn_rom *rom)
{
	struct cn_msg msg;
	struct cn_ds ds = {.cap = -1};
	uint64_t size;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_ROM_DATASPACE);
	r = cn_call(rom->cap, &msg);
	if (r >= 0) {
		if (cn_msg_get_u64(&msg, &size) < 0 || cn_msg_end(&msg) < 0 ||
		    (size && msg.hdr.ncaps != 1)) {
			r = CN_ERR_BAD_MESSAGE;
		} else if (size) {
			ds.cap = cn_msg_take_cap(&msg, 0);
			ds.size = size;
			ds.writeable = 0;
			r = cn_ds_attach(&ds);
		}
	}
	cn_msg_reset(&msg);
	if (r < 0) {
		cn_ds_release(&ds);
		return r;
	}
	cn_ds_release(&rom->ds);
	rom->ds = ds;
	return 0;
}

int
cn_rom_open(struct cn_env *env, const char *name, struct cn_rom **ret_rom)
{
	struct cn_rom *rom = calloc(1, sizeof(*rom));
	int r;

	if (!rom)
		return -ENOMEM;
	rom->env = env;
	rom->ds.cap = -1;
	r = cn_session_open(env, "ROM", name, ROM_SESSION_RAM, ROM_SESSION_CAPS, NULL, &rom->cap,
	                    &rom->id);
	if (r == 0) {
		r = fetch(rom);
		if (r < 0) {
			cn_session_close(env, rom->id);
			close(rom->cap);
		}
	}
	if (r < 0) {
		free(rom);
		return r;
	}
	*ret_rom = rom;
	return 0;
}

void
cn_rom_close(struct cn_rom *rom)
{
	if (!rom)
		return;
	cn_ds_release(&rom->ds);
	cn_session_close(rom->env, rom->id);
	close(rom->cap);
	free(rom);
}

const char *
cn_rom_data(const struct cn_rom *rom)
{
	return rom->ds.addr ? rom->ds.addr : "";
}

size_t
cn_rom_size(const struct cn_rom *rom)
{
	const char *d = rom->ds.addr;
	size_t n = rom->ds.addr ? rom->ds.size : 0;

	/* dataspaces are page-granular; the content ends at the first NUL */
	while (n && d[n - 1] == 0)
		n--;
	return n;
}

bool
cn_rom_valid(const struct cn_rom *rom)
{
	return rom->ds.addr != NULL;
}

int
cn_rom_update(struct cn_rom *rom)
{
	return fetch(rom);
}

int
cn_rom_sigh(struct cn_rom *rom, int sig_cap)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_ROM_SIGH);
	cn_msg_put_cap(&msg, sig_cap);
	r = cn_call(rom->cap, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_rom_cap(const struct cn_rom *rom)
{
	return rom->cap;
}
