/*
 * rom_to_file: Genode's component that copies a ROM into a file of a
 * File_system session, anew each time the ROM changes. <config rom="name"/>
 * names the ROM; the file is /name (the ROM name's last path element, as
 * Genode writes it into the root directory).
 */
#include <cairn/env.h>
#include <cairn/fs.h>
#include <cairn/log.h>
#include <cairn/rom.h>
#include <cairn/xml.h>

#include <stdio.h>
#include <string.h>

enum {
	ROM_NAME_MAX = 100, /* as Genode's Rom_name */
	TX_BUF_SIZE = 64 << 10,
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_fs *fs;
	struct cn_rom *rom;
	struct cn_sig *rom_sig;
	char rom_name[ROM_NAME_MAX];
	bool copying, again; /* a copy is in progress; another change arrived */
} state;

static void
copy_once(void)
{
	const char *name = strrchr(state.rom_name, '/');
	char path[CN_FS_PATH_MAX];
	int r;

	name = name ? name + 1 : state.rom_name;
	snprintf(path, sizeof(path), "/%s", name);
	if (cn_rom_update(state.rom) < 0 || cn_rom_size(state.rom) == 0) {
		cn_log(state.env, "ROM '%s' is invalid", state.rom_name);
		return;
	}
	r = cn_fs_write_all(state.fs, path, cn_rom_data(state.rom), cn_rom_size(state.rom));
	switch (r) {
	case 0:
		break;
	case CN_ERR_PERMISSION_DENIED:
		cn_error(state.env, "%s: permission denied", path);
		break;
	case CN_ERR_NO_SPACE:
		cn_error(state.env, "file system out of space");
		break;
	case CN_ERR_OUT_OF_RAM:
		cn_error(state.env, "server ran out of memory");
		break;
	case CN_ERR_INVALID_NAME:
		cn_error(state.env, "%s: invalid path", path);
		break;
	case CN_ERR_NAME_TOO_LONG:
		cn_error(state.env, "%s: name too long", path);
		break;
	default:
		cn_error(state.env, "cannot open file %s", path);
	}
}

/* A change that arrives while we write is copied after this one. */
static void
rom_changed(void *data, uint32_t count)
{
	(void)data;
	(void)count;
	if (state.copying) {
		state.again = true;
		return;
	}
	state.copying = true;
	do {
		state.again = false;
		copy_once();
	} while (state.again);
	state.copying = false;
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config = NULL;
	int r;

	state.env = env;
	if (cn_config(env, &config) < 0 ||
	    cn_xml_attr_str(config, "rom", state.rom_name, sizeof(state.rom_name)) < 0 ||
	    !state.rom_name[0]) {
		cn_warning(env, "could not determine ROM name from config");
		cn_exit(env, 2);
	}
	r = cn_fs_open(env, "/", TX_BUF_SIZE, true, &state.fs);
	if (r == 0)
		r = cn_rom_open(env, state.rom_name, &state.rom);
	if (r == 0)
		r = cn_sig_create(env->ep, rom_changed, NULL, &state.rom_sig);
	if (r == 0)
		r = cn_rom_sigh(state.rom, cn_sig_cap(state.rom_sig));
	if (r < 0) {
		cn_error(env, "cannot start: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
	rom_changed(NULL, 1);
}
