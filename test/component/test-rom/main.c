/*
 * test-rom: shows a ROM module and every new version of it. The module's
 * name comes from <config rom="..."/> (default "dynamic.txt"); on each
 * ROM signal it logs `version N: <content>`; content "exit" ends it.
 * With <config show_quota="yes"/> it also logs its PD's quota each time,
 * so a test can watch init change it.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/rom.h>

#include <string.h>

static struct {
	struct cn_env *env;
	struct cn_rom *rom;
	struct cn_sig *sig;
	unsigned version;
	bool show_quota;
} state;

static void
show(void)
{
	const char *data = cn_rom_data(state.rom);
	size_t len = cn_rom_size(state.rom);

	while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	cn_log(state.env, "version %u: %.*s", ++state.version, (int)len, data);
	if (state.show_quota) {
		struct cn_pd_quota q;
		if (cn_pd_quota(state.env->pd, &q) == 0)
			cn_log(state.env, "quota: ram=%llu caps=%llu",
			       (unsigned long long)q.ram_quota, (unsigned long long)q.cap_quota);
	}
	if (len == 4 && memcmp(data, "exit", 4) == 0)
		cn_exit(state.env, 0);
}

static void
changed(void *data, uint32_t count)
{
	(void)data;
	(void)count;
	if (cn_rom_update(state.rom) < 0) {
		cn_error(state.env, "cannot fetch the new version");
		cn_exit(state.env, 1);
	}
	show();
}

void
cn_construct(struct cn_env *env)
{
	const struct cn_xml_node *config;
	char name[128] = "dynamic.txt";
	int r;

	state.env = env;
	if (cn_config(env, &config) == 0) {
		cn_xml_attr_str(config, "rom", name, sizeof(name));
		cn_xml_attr_bool(config, "show_quota", &state.show_quota);
	}
	r = cn_rom_open(env, name, &state.rom);
	if (r < 0) {
		cn_error(env, "ROM \"%s\" unavailable: %s", name, cn_strerror(r));
		cn_exit(env, 1);
	}
	r = cn_sig_create(env->ep, changed, NULL, &state.sig);
	if (r == 0)
		r = cn_rom_sigh(state.rom, cn_sig_cap(state.sig));
	/* a version that came between the open and the registration of the
	 * signal would not be signalled: fetch once more now */
	if (r == 0)
		r = cn_rom_update(state.rom);
	if (r < 0) {
		cn_error(env, "cannot watch ROM \"%s\": %s", name, cn_strerror(r));
		cn_exit(env, 1);
	}
	show();
}
