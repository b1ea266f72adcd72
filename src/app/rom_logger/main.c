/*
 * rom_logger: logs the content of a ROM module, and again on every change
 * of the module or of the config, as Genode's rom_logger.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/rom.h>
#include <cairn/xml.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum {
	ROM_NAME_MAX = 100, /* bytes of the ROM name, as Genode's */
	FORMAT_MAX = 8,
	LINE_MAX_LEN = 200, /* longer lines are split, as Genode's print_lines<200> */
	HEXDUMP_ROW = 16,   /* bytes per hexdump line */
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	char rom_name[ROM_NAME_MAX];
	struct cn_rom *rom;
	struct cn_sig *rom_sig;
} state;

/* One content line, indented by two spaces; control characters other than
 * tab are shown as '.' so a ROM cannot drive the terminal. */
static void
log_line(const char *line, size_t len)
{
	char buf[LINE_MAX_LEN + 1];

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		buf[i] = (c < 0x20 && c != '\t') || c == 0x7f ? '.' : (char)c;
	}
	buf[len] = 0;
	cn_log(state.env, "  %s", buf);
}

/*
 * The lines of text as Genode's print_lines: leading newlines are skipped,
 * the first line's indentation is removed from every line that starts
 * with the same indentation, a line longer than LINE_MAX_LEN is split, and
 * the output ends at the first NUL.
 */
static void
log_lines(const char *text, size_t len)
{
	const char *end = text + len, *first;
	size_t indent = 0;

	while (text < end && *text == '\n')
		text++;
	first = text;
	while (first + indent < end && (first[indent] == ' ' || first[indent] == '\t'))
		indent++;
	while (text < end && *text) {
		size_t n = 0, skip = 0;

		if ((size_t)(end - text) >= indent && memcmp(text, first, indent) == 0)
			text += indent;
		while (text + n < end) {
			if (text[n] == '\n' || text[n] == 0) {
				skip = 1;
				break;
			}
			if (n == LINE_MAX_LEN)
				break;
			n++;
		}
		if (n == 0 && !skip)
			break;
		log_line(text, n);
		text += n + skip;
	}
}

/* Genode's hexdump: the content as 16-bit words, eight to a line, each line
 * led by the index of its first word. */
static void
log_hexdump(const unsigned char *data, size_t len)
{
	for (size_t row = 0; row < len; row += HEXDUMP_ROW) {
		char line[128];
		int n = snprintf(line, sizeof(line), "%08zx", row / 2);

		for (size_t i = row; i < row + HEXDUMP_ROW; i += 2) {
			unsigned lo = i < len ? data[i] : 0, hi = i + 1 < len ? data[i + 1] : 0;

			n += snprintf(line + n, sizeof(line) - (size_t)n, " %04x", lo | hi << 8);
		}
		cn_log(state.env, "%s", line);
	}
}

static void
show(const char *format)
{
	if (!cn_rom_valid(state.rom)) {
		cn_log(state.env, "ROM '%s' is invalid", state.rom_name);
		return;
	}
	cn_log(state.env, "ROM '%s':", state.rom_name);
	if (strcmp(format, "hexdump") == 0)
		log_hexdump((const unsigned char *)cn_rom_data(state.rom), cn_rom_size(state.rom));
	else
		log_lines(cn_rom_data(state.rom), cn_rom_size(state.rom));
}

static void update(struct cn_env *env);

static void
rom_changed(void *data, uint32_t count)
{
	(void)data;
	(void)count;
	update(state.env);
}

/* Open the ROM of that name instead of the current one. */
static int
rom_switch(const char *name)
{
	struct cn_rom *rom;
	int r;

	r = cn_rom_open(state.env, name, &rom);
	if (r < 0) {
		cn_error(state.env, "cannot open ROM '%s': %s", name, cn_strerror(r));
		return r;
	}
	r = cn_rom_sigh(rom, cn_sig_cap(state.rom_sig));
	if (r < 0) {
		cn_error(state.env, "cannot watch ROM '%s': %s", name, cn_strerror(r));
		cn_rom_close(rom);
		return r;
	}
	cn_rom_close(state.rom);
	state.rom = rom;
	snprintf(state.rom_name, sizeof(state.rom_name), "%s", name);
	return 0;
}

/* The config or the ROM changed: (re)open the ROM if its name changed,
 * fetch the current version and log it. */
static void
update(struct cn_env *env)
{
	const struct cn_xml_node *config;
	char name[ROM_NAME_MAX], format[FORMAT_MAX] = "text";
	int r;

	if (cn_config(env, &config) < 0)
		return; /* logged by the library; wait for the next version */
	r = cn_xml_attr_str(config, "rom", name, sizeof(name));
	if (r == -ENOENT) {
		cn_warning(env, "could not determine ROM name from config");
		return;
	}
	if (r < 0 || !name[0]) {
		cn_error(env, "config: invalid 'rom' attribute");
		return;
	}
	r = cn_xml_attr_str(config, "format", format, sizeof(format));
	if ((r < 0 && r != -ENOENT) ||
	    (strcmp(format, "text") != 0 && strcmp(format, "hexdump") != 0)) {
		cn_error(env, "unknown format specified by '%.*s'",
		         (int)(config->src_len < 200 ? config->src_len : 200), config->src);
		return;
	}
	if (!state.rom || strcmp(name, state.rom_name) != 0) {
		if (rom_switch(name) < 0)
			return;
	}
	r = cn_rom_update(state.rom);
	if (r < 0) {
		cn_error(env, "cannot fetch ROM '%s': %s", state.rom_name, cn_strerror(r));
		return;
	}
	show(format);
}

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	r = cn_sig_create(env->ep, rom_changed, NULL, &state.rom_sig);
	if (r < 0) {
		cn_error(env, "cannot create a signal context: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
	r = cn_config_sigh(env, update);
	if (r < 0 && r != -ENOENT)
		cn_warning(env, "config updates will go unnoticed: %s", cn_strerror(r));
	update(env);
}
