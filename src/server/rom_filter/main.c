/*
 * rom_filter: a ROM whose content is generated from other ROMs, as
 * Genode's rom_filter. The config declares <input> values taken from XML
 * input ROMs and an <output> template; whenever an input ROM or the config
 * changes, the output is generated anew and every client is signalled.
 *
 * The input ROMs are ROM sessions opened through the parent, labelled by
 * their ROM name. The output is served to every ROM session, whatever its
 * label, as Genode's. Each output version is a fresh dataspace sealed
 * read-only, shared by all sessions.
 *
 * The config is checked as a whole before it is used: a reference to an
 * undeclared input, a missing attribute or an unknown path node is named
 * with its place. A first config with errors ends the component (exit
 * value 2); a later one is refused and the previous config stays.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/pd.h>
#include <cairn/rom.h>
#include <cairn/service.h>
#include <cairn/xml.h>
#include <cairn/xml_gen.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	/* what a ROM session costs us: its state and its object */
	ROM_SESSION_RAM = 4096,
	ROM_SESSION_CAPS = 1,
	NAME_MAX_LEN = 100,   /* bytes of input and ROM names, as Genode's */
	VALUE_MAX = 256,      /* bytes of an input value */
	PATH_DEPTH_MAX = 10,  /* levels of an input's path, as Genode's */
	COPY_DEPTH_MAX = 20,  /* levels copied by <inline> and <input>, as Genode's */
	OUTPUT_MAX = 1 << 20, /* bytes of a generated output */
	INPUTS_MAX = 256,     /* <input> declarations */
};

struct input_rom {
	char name[NAME_MAX_LEN];
	struct cn_rom *rom; /* NULL if it could not be opened */
	struct cn_sig *sig;
	struct cn_xml_doc *doc; /* its content, NULL if invalid or not XML */
	bool used;              /* by the config being applied */
	struct input_rom *next;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct cn_xml_doc *config; /* our copy of the config in use, checked */
	bool verbose;
	struct input_rom *roms;
	struct cn_rom_service service; /* every label gets the output, as Genode's */
	struct cn_ds output;           /* the current version, cap -1 before the first */
	size_t output_len;
	int config_errors;   /* found while checking a config */
	bool busy;           /* applying a config (opening ROMs dispatches) */
	bool config_again;   /* the config changed while busy */
	bool evaluate_again; /* an input changed while busy */
} state;

/* --- config check ---------------------------------------------------------- */

/* An error about the config: named with its place, and counted. */
#define config_error(node, ...)                                                                    \
	(cn_config_error(state.env, (node), __VA_ARGS__), state.config_errors++)

/* The value of a required attribute into buf, or an error naming it. */
static bool
required(const struct cn_xml_node *node, const char *attr, char *buf, size_t size)
{
	int r = cn_xml_attr_str(node, attr, buf, size);

	if (r == 0 && buf[0])
		return true;
	config_error(node, "<%.*s> lacks a valid '%s' attribute", (int)node->name_len, node->name,
	             attr);
	return false;
}

/* A required attribute that names a node or attribute of the output. */
static void
required_xml_name(const struct cn_xml_node *node, const char *attr)
{
	char name[NAME_MAX_LEN];

	if (required(node, attr, name, sizeof(name)) && !cn_xml_gen_valid_name(name, strlen(name)))
		config_error(node, "<%.*s>: '%s' is not a valid XML name", (int)node->name_len,
		             node->name, name);
}

static const struct cn_xml_node *
input_decl(const struct cn_xml_node *config, const char *name)
{
	cn_xml_for_each(input, config,
	                "input") if (cn_xml_attr_is(input, "name", name)) return input;
	return NULL;
}

/* An attribute naming a declared input. */
static void
check_input_ref(const struct cn_xml_node *config, const struct cn_xml_node *node, const char *attr)
{
	char name[NAME_MAX_LEN];

	if (required(node, attr, name, sizeof(name)) && !input_decl(config, name))
		config_error(node, "<%.*s> refers to the unknown input '%s'", (int)node->name_len,
		             node->name, name);
}

static unsigned
depth_of(const struct cn_xml_node *node)
{
	unsigned max = 0;

	cn_xml_for_each(sub, node, NULL)
	{
		unsigned d = depth_of(sub);

		if (d > max)
			max = d;
	}
	return max + 1;
}

static void
check_path(const struct cn_xml_node *path, unsigned depth)
{
	char buf[NAME_MAX_LEN];

	if (depth > PATH_DEPTH_MAX) {
		config_error(path, "input path deeper than %d levels", PATH_DEPTH_MAX);
		return;
	}
	if (cn_xml_is(path, "attribute")) {
		required(path, "name", buf, sizeof(buf));
	} else if (cn_xml_is(path, "node")) {
		const struct cn_xml_node *sub = cn_xml_child(path, NULL);

		required(path, "type", buf, sizeof(buf));
		if (!sub)
			config_error(path, "<node> of an input path leads nowhere");
		else
			check_path(sub, depth + 1);
	} else {
		config_error(path, "unknown input path node <%.*s>", (int)path->name_len,
		             path->name);
	}
}

static void
check_inputs(const struct cn_xml_node *config)
{
	unsigned count = 0;

	cn_xml_for_each(input, config, "input")
	{
		char name[NAME_MAX_LEN], rom[NAME_MAX_LEN], value[VALUE_MAX];
		const struct cn_xml_node *path = cn_xml_child(input, NULL);
		int r;

		if (++count > INPUTS_MAX) {
			config_error(input, "more than %d inputs", INPUTS_MAX);
			return;
		}
		if (!required(input, "name", name, sizeof(name)))
			continue;
		if (input_decl(config, name) != input)
			config_error(input, "input '%s' declared twice", name);
		if (cn_xml_has_attr(input, "rom"))
			required(input, "rom", rom, sizeof(rom));
		if (cn_xml_has_attr(input, "node"))
			required(input, "node", rom, sizeof(rom));
		r = cn_xml_attr_str(input, "default", value, sizeof(value));
		if (r < 0 && r != -ENOENT)
			config_error(input, "input '%s' has an invalid 'default'", name);
		if (path)
			check_path(path, 1);
	}
}

static void
check_output(const struct cn_xml_node *config, const struct cn_xml_node *node)
{
	cn_xml_for_each(sub, node, NULL)
	{
		if (cn_xml_is(sub, "if")) {
			const struct cn_xml_node *cond = cn_xml_child(sub, "has_value");

			if (!cond) {
				config_error(sub, "<if> lacks a <has_value> condition");
				continue;
			}
			check_input_ref(config, cond, "input");
			if (!cn_xml_has_attr(cond, "value"))
				config_error(cond, "<has_value> lacks the 'value' attribute");
			cn_xml_for_each(branch, sub, NULL)
			{
				if (cn_xml_is(branch, "then") || cn_xml_is(branch, "else"))
					check_output(config, branch);
				else if (branch != cond)
					config_error(branch, "unexpected <%.*s> in <if>",
					             (int)branch->name_len, branch->name);
			}
		} else if (cn_xml_is(sub, "attribute")) {
			required_xml_name(sub, "name");
			if (cn_xml_has_attr(sub, "input"))
				check_input_ref(config, sub, "input");
			else if (!cn_xml_has_attr(sub, "value"))
				config_error(sub, "<attribute> needs a 'value' or an 'input'");
		} else if (cn_xml_is(sub, "node")) {
			required_xml_name(sub, "type");
			check_output(config, sub);
		} else if (cn_xml_is(sub, "inline")) {
			if (depth_of(sub) > COPY_DEPTH_MAX)
				config_error(sub, "<inline> is too deeply nested");
		} else if (cn_xml_is(sub, "input")) {
			check_input_ref(config, sub, "name");
			if (cn_xml_attr_bool(sub, "skip_toplevel", &(bool){false}) == -EINVAL)
				config_error(sub, "<input> has an invalid 'skip_toplevel'");
		} else {
			config_error(sub, "unknown node <%.*s> in the output", (int)sub->name_len,
			             sub->name);
		}
	}
}

static void
check_config(const struct cn_xml_node *config)
{
	const struct cn_xml_node *output = cn_xml_child(config, "output");
	bool verbose;

	if (cn_xml_attr_bool(config, "verbose", &verbose) == -EINVAL)
		config_error(config, "invalid value of 'verbose'");
	cn_xml_for_each(node, config, NULL)
	{
		if (!cn_xml_is(node, "input") && !cn_xml_is(node, "output"))
			cn_warning(state.env, "config:%u:%u: unknown node <%.*s>, ignored",
			           node->line, node->column, (int)node->name_len, node->name);
	}
	check_inputs(config);
	if (!output) {
		config_error(config, "no <output> node");
		return;
	}
	if (cn_xml_count(config, "output") > 1)
		config_error(cn_xml_next(output, "output"), "more than one <output> node");
	if (!cn_xml_has_attr(output, "node")) {
		/* Genode's words */
		config_error(output, "missing 'node' attribute in '<output>' node");
		return;
	}
	required_xml_name(output, "node");
	check_output(config, output);
}

/* --- input values -------------------------------------------------------- */

static void
input_rom_name(const struct cn_xml_node *input, char *buf, size_t size)
{
	if (cn_xml_attr_str(input, "rom", buf, size) < 0)
		cn_xml_attr_str(input, "name", buf, size);
}

static struct input_rom *
input_rom_find(const char *name)
{
	for (struct input_rom *r = state.roms; r; r = r->next)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

/* The content of the ROM of a declared input, NULL if it has none. */
static const struct cn_xml_node *
input_content(const struct cn_xml_node *input)
{
	char rom[NAME_MAX_LEN];
	struct input_rom *r;

	input_rom_name(input, rom, sizeof(rom));
	r = input_rom_find(rom);
	return r && r->doc ? cn_xml_root(r->doc) : NULL;
}

/* Follow a path into content as Genode's rom_filter; -ENOENT if missing. */
static int
query_path(const struct cn_xml_node *path, const struct cn_xml_node *content, unsigned depth,
           char *buf, size_t size)
{
	char name[NAME_MAX_LEN], attr[NAME_MAX_LEN], value[VALUE_MAX];

	if (depth == 0)
		return -ENOENT;
	if (cn_xml_is(path, "attribute")) {
		cn_xml_attr_str(path, "name", name, sizeof(name));
		return cn_xml_attr_str(content, name, buf, size) == 0 ? 0 : -ENOENT;
	}
	if (!cn_xml_is(path, "node"))
		return -ENOENT;
	cn_xml_attr_str(path, "type", name, sizeof(name));
	/* the first sub node of that type that matches attribute="value" if
	 * both are given */
	cn_xml_for_each(sub, content, name)
	{
		const struct cn_xml_node *sub_path = cn_xml_child(path, NULL);

		if (cn_xml_attr_str(path, "attribute", attr, sizeof(attr)) == 0 &&
		    cn_xml_attr_str(path, "value", value, sizeof(value)) == 0 &&
		    !cn_xml_attr_is(sub, attr, value))
			continue;
		if (sub_path)
			return query_path(sub_path, sub, depth - 1, buf, size);
	}
	return -ENOENT;
}

/* The value of the declared input of that name into buf; -ENOENT if the
 * input ROM lacks it and there is no default. */
static int
query_value(const char *input_name, char *buf, size_t size)
{
	const struct cn_xml_node *input = input_decl(cn_xml_root(state.config), input_name);
	const struct cn_xml_node *content, *path;
	char expected[NAME_MAX_LEN];

	if (!input)
		return -ENOENT; /* excluded by the config check */
	content = input_content(input);
	if (cn_xml_attr_str(input, "node", expected, sizeof(expected)) < 0)
		cn_xml_attr_str(input, "name", expected, sizeof(expected));
	path = cn_xml_child(input, NULL);
	if (content && path && cn_xml_is(content, expected) &&
	    query_path(path, content, PATH_DEPTH_MAX, buf, size) == 0)
		return 0;
	if (cn_xml_attr_str(input, "default", buf, size) == 0)
		return 0;
	if (state.verbose)
		cn_warning(state.env, "could not obtain input value for input %s", input_name);
	return -ENOENT;
}

/* --- output -------------------------------------------------------------- */

static void
evaluate_node(struct cn_xml_gen *g, const struct cn_xml_node *node)
{
	char name[NAME_MAX_LEN], value[VALUE_MAX], expected[VALUE_MAX];

	cn_xml_for_each(sub, node, NULL)
	{
		if (cn_xml_is(sub, "if")) {
			const struct cn_xml_node *cond = cn_xml_child(sub, "has_value");
			const struct cn_xml_node *branch;
			bool satisfied;

			cn_xml_attr_str(cond, "input", name, sizeof(name));
			cn_xml_attr_str(cond, "value", expected, sizeof(expected));
			satisfied = query_value(name, value, sizeof(value)) == 0 &&
			            strcmp(value, expected) == 0;
			branch = cn_xml_child(sub, satisfied ? "then" : "else");
			if (branch)
				evaluate_node(g, branch);
		} else if (cn_xml_is(sub, "attribute")) {
			const struct cn_xml_attr *fixed = cn_xml_attr(sub, "value");

			cn_xml_attr_str(sub, "name", name, sizeof(name));
			if (!cn_xml_has_attr(sub, "input"))
				cn_xml_gen_attr_raw(g, name, strlen(name), fixed->value,
				                    fixed->value_len);
			else if (cn_xml_attr_str(sub, "input", expected, sizeof(expected)) == 0 &&
			         query_value(expected, value, sizeof(value)) == 0)
				cn_xml_gen_attr(g, name, value);
		} else if (cn_xml_is(sub, "node")) {
			cn_xml_attr_str(sub, "type", name, sizeof(name));
			cn_xml_gen_open(g, name, strlen(name));
			evaluate_node(g, sub);
			cn_xml_gen_close(g);
		} else if (cn_xml_is(sub, "inline")) {
			cn_xml_gen_content(g, sub, COPY_DEPTH_MAX);
		} else if (cn_xml_is(sub, "input")) {
			const struct cn_xml_node *content;
			bool skip_toplevel = false;

			cn_xml_attr_str(sub, "name", name, sizeof(name));
			cn_xml_attr_bool(sub, "skip_toplevel", &skip_toplevel);
			content = input_content(input_decl(cn_xml_root(state.config), name));
			if (!content || cn_xml_is(content, "empty"))
				continue;
			if (depth_of(content) > COPY_DEPTH_MAX) {
				cn_warning(state.env, "input '%s': node too deeply nested", name);
				continue;
			}
			if (skip_toplevel)
				cn_xml_gen_content(g, content, COPY_DEPTH_MAX);
			else
				cn_xml_gen_node(g, content, COPY_DEPTH_MAX);
		}
	}
}

/* Generate the output anew, make it the current version and tell every
 * client. A failure keeps the previous version. */
static void
evaluate(void)
{
	const struct cn_xml_node *output = cn_xml_child(cn_xml_root(state.config), "output");
	char type[NAME_MAX_LEN];
	struct cn_ds version = {.cap = -1};
	struct cn_xml_gen g;
	const char *text;
	size_t len;
	int r;

	if (state.busy) {
		state.evaluate_again = true;
		return;
	}
	cn_xml_attr_str(output, "node", type, sizeof(type));
	cn_xml_gen_init(&g, OUTPUT_MAX);
	cn_xml_gen_open(&g, type, strlen(type));
	evaluate_node(&g, output);
	cn_xml_gen_close(&g);
	r = cn_xml_gen_finish(&g, &text, &len);
	if (r == 0)
		r = cn_pd_alloc_sealed(state.env->pd, text, len, &version);
	cn_xml_gen_free(&g);
	if (r == -E2BIG) {
		cn_error(state.env, "output exceeds %d bytes, keeping the previous one",
		         OUTPUT_MAX);
		return;
	}
	if (r < 0) {
		cn_error(state.env, "cannot generate the output: %s", cn_strerror(r));
		return;
	}
	if (state.output.cap >= 0)
		cn_pd_free_ram(state.env->pd, &state.output);
	state.output = version;
	state.output_len = len;
	cn_rom_sessions_notify(state.service.sessions);
}

/* --- input ROMs ------------------------------------------------------------ */

/* Fetch the ROM's current version and parse it. */
static void
input_rom_fetch(struct input_rom *r)
{
	struct cn_xml_error err;
	int rc;

	cn_xml_free(r->doc);
	r->doc = NULL;
	if (!r->rom || !cn_rom_valid(r->rom) || cn_rom_size(r->rom) == 0)
		return;
	rc = cn_xml_parse(cn_rom_data(r->rom), cn_rom_size(r->rom), &r->doc, &err);
	if (rc == -EINVAL)
		cn_warning(state.env, "input ROM '%s' is not valid XML: %u:%u: %s", r->name,
		           err.line, err.column, err.msg);
	else if (rc < 0)
		cn_warning(state.env, "input ROM '%s' cannot be parsed: %s", r->name,
		           cn_strerror(rc));
}

static void
input_rom_changed(void *data, uint32_t count)
{
	struct input_rom *r = data;
	int rc;

	(void)count;
	rc = cn_rom_update(r->rom);
	if (rc < 0) {
		cn_error(state.env, "cannot fetch input ROM '%s': %s", r->name, cn_strerror(rc));
		return;
	}
	/* as Genode's: an input that became invalid triggers nothing */
	if (!cn_rom_valid(r->rom))
		return;
	input_rom_fetch(r);
	evaluate();
}

static void
input_rom_destroy(struct input_rom *r)
{
	/* no update handler for it while the close waits for its server */
	cn_sig_destroy(r->sig);
	cn_rom_close(r->rom);
	cn_xml_free(r->doc);
	free(r);
}

/* Open the input ROM of that name unless it is open already. */
static void
input_rom_use(const char *name)
{
	struct input_rom *r = input_rom_find(name);
	int rc;

	if (r) {
		r->used = true;
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		cn_error(state.env, "input ROM '%s': out of memory", name);
		return;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->used = true;
	rc = cn_sig_create(state.env->ep, input_rom_changed, r, &r->sig);
	if (rc == 0)
		rc = cn_rom_open(state.env, name, &r->rom);
	if (rc == 0)
		rc = cn_rom_sigh(r->rom, cn_sig_cap(r->sig));
	if (rc == 0)
		rc = cn_rom_update(r->rom); /* a version before the sigh */
	if (rc < 0) {
		/* the input stays without content */
		cn_error(state.env, "input ROM '%s' unavailable: %s", name, cn_strerror(rc));
		cn_rom_close(r->rom);
		r->rom = NULL;
	}
	input_rom_fetch(r);
	r->next = state.roms;
	state.roms = r;
}

/* Open the ROMs the config's inputs name, close the ones no longer named. */
static void
input_roms_update(void)
{
	struct input_rom *unused = NULL;

	for (struct input_rom *r = state.roms; r; r = r->next)
		r->used = false;
	cn_xml_for_each(input, cn_xml_root(state.config), "input")
	{
		char rom[NAME_MAX_LEN];

		input_rom_name(input, rom, sizeof(rom));
		input_rom_use(rom);
	}
	/* unlinked first: a close may wait, and handlers run meanwhile */
	for (struct input_rom **p = &state.roms; *p;) {
		struct input_rom *r = *p;

		if (r->used) {
			p = &r->next;
			continue;
		}
		*p = r->next;
		r->next = unused;
		unused = r;
	}
	while (unused) {
		struct input_rom *r = unused;

		unused = r->next;
		input_rom_destroy(r);
	}
}

/* --- config -------------------------------------------------------------- */

/* Check the current config ROM; apply it if it is sound. */
static void
apply_config(struct cn_env *env)
{
	const struct cn_xml_node *root;
	struct cn_xml_doc *doc = NULL;
	struct cn_xml_error err;
	bool first = !state.config;
	int r;

	if (state.busy) {
		state.config_again = true;
		return;
	}
	r = cn_config(env, &root);
	if (r == 0)
		r = cn_xml_parse(root->src, root->src_len, &doc, &err);
	if (r < 0) {
		cn_error(env, "no valid config: %s", cn_strerror(r));
		if (first)
			cn_exit(env, 2);
		return;
	}
	state.config_errors = 0;
	check_config(cn_xml_root(doc));
	if (state.config_errors) {
		cn_xml_free(doc);
		if (first) {
			cn_error(env, "config rejected: %d error%s", state.config_errors,
			         state.config_errors == 1 ? "" : "s");
			cn_exit(env, 2);
		}
		cn_error(env, "config rejected: %d error%s, keeping the previous one",
		         state.config_errors, state.config_errors == 1 ? "" : "s");
		return;
	}
	cn_xml_free(state.config);
	state.config = doc;
	state.verbose = false;
	cn_xml_attr_bool(cn_xml_root(doc), "verbose", &state.verbose);

	/* opening input ROMs dispatches: changes meanwhile are taken up after */
	state.busy = true;
	input_roms_update();
	state.busy = false;
	state.evaluate_again = false;
	evaluate();
	if (state.config_again) {
		state.config_again = false;
		apply_config(env);
	}
}

/* --- ROM service --------------------------------------------------------- */

static int
rom_dispatch(struct cn_obj *obj, struct cn_rpc *rpc)
{
	struct cn_rom_session *s = cn_obj_data(obj);

	int r = cn_rom_serve(rpc, state.output.cap, state.output_len, &s->sigh);

	if (cn_rom_session_first_refusal(s, r))
		cn_warning(state.env, "ROM session of '%s': %s request %d refused", s->label,
		           r == CN_ERR_INVALID_OPCODE ? "unknown" : "malformed", (int)rpc->opcode);
	return r;
}

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	state.output.cap = -1;
	/* the first output exists before the first client can ask */
	apply_config(env);
	r = cn_config_sigh(env, apply_config);
	if (r < 0)
		cn_warning(env, "config updates will go unnoticed: %s", cn_strerror(r));
	state.service = (struct cn_rom_service){.ep = env->ep,
	                                        .ram_min = ROM_SESSION_RAM,
	                                        .caps_min = ROM_SESSION_CAPS,
	                                        .dispatch = rom_dispatch};
	r = cn_service_announce(env, "ROM", &cn_rom_service_ops, &state.service);
	if (r < 0) {
		cn_error(env, "cannot announce the ROM service: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
}
