/*
 * Helpers of test components that drive a sub-init through report_rom, as
 * Genode's test-init_loop and test-resource_request do: the sub-init's
 * config is published as Report "init.config", its state report is read
 * back as ROM "state". Also Genode's way of printing byte counts.
 * Include with -I test/component/test-common (see the folder's users).
 */
#ifndef TEST_SUB_INIT_H
#define TEST_SUB_INIT_H

#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/report.h>
#include <cairn/rom.h>
#include <cairn/wire.h>
#include <cairn/xml.h>
#include <cairn/xml_gen.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Genode's Number_of_bytes: "4M", "1004K", or plain bytes. */
static inline const char *
test_bytes(uint64_t n, char *buf, size_t size)
{
	const char *suffix = "";

	if (n >= (1ull << 30) && n % (1ull << 30) == 0)
		n >>= 30, suffix = "G";
	else if (n >= (1ull << 20) && n % (1ull << 20) == 0)
		n >>= 20, suffix = "M";
	else if (n >= (1ull << 10) && n % (1ull << 10) == 0)
		n >>= 10, suffix = "K";
	snprintf(buf, size, "%" PRIu64 "%s", n, suffix);
	return buf;
}

/* A byte-count attribute ("7996K") of node; 0 if absent or malformed. */
static inline uint64_t
test_attr_bytes(const struct cn_xml_node *node, const char *attr)
{
	uint64_t v;

	return node && cn_xml_attr_u64(node, attr, &v) == 0 ? v : 0;
}

/* The <child name="name"> node of a state report, or NULL. */
static inline const struct cn_xml_node *
test_state_child(const struct cn_xml_node *state, const char *name)
{
	cn_xml_for_each(child, state,
	                "child") if (cn_xml_attr_is(child, "name", name)) return child;
	return NULL;
}

struct test_sub_init {
	struct cn_env *env;
	struct cn_report *config; /* Report "init.config" */
	struct cn_rom *state;     /* ROM "state" */
	struct cn_sig *state_sig;
	struct cn_xml_doc *doc; /* the state last parsed, or NULL */
};

/* Open both sessions; fn is called at every new state report. */
static inline int
test_sub_init_open(struct test_sub_init *s, struct cn_env *env, size_t config_max,
                   void (*fn)(void *data, uint32_t count))
{
	int r;

	s->env = env;
	r = cn_report_open(env, "init.config", config_max, &s->config);
	if (r == 0)
		r = cn_rom_open(env, "state", &s->state);
	if (r == 0)
		r = cn_sig_create(env->ep, fn, s, &s->state_sig);
	if (r == 0)
		r = cn_rom_sigh(s->state, cn_sig_cap(s->state_sig));
	return r;
}

/* Fetch the current state report and parse it: its <state> node, or NULL
 * while there is none (an empty or malformed report is no state). */
static inline const struct cn_xml_node *
test_sub_init_state(struct test_sub_init *s)
{
	struct cn_xml_error err;

	cn_xml_free(s->doc);
	s->doc = NULL;
	if (cn_rom_update(s->state) < 0 || !cn_rom_size(s->state))
		return NULL;
	if (cn_xml_parse(cn_rom_data(s->state), cn_rom_size(s->state), &s->doc, &err) < 0) {
		cn_warning(s->env, "state report is malformed (line %u, column %u): %s", err.line,
		           err.column, err.msg);
		return NULL;
	}
	return cn_xml_is(cn_xml_root(s->doc), "state") ? cn_xml_root(s->doc) : NULL;
}

/* Publish the generated document as the sub-init's config (frees g); a
 * failure ends the test. */
static inline void
test_sub_init_publish(struct test_sub_init *s, struct cn_xml_gen *g)
{
	const char *text;
	size_t len;
	int r = cn_xml_gen_finish(g, &text, &len);

	if (r == 0)
		r = cn_report_submit(s->config, text, len);
	cn_xml_gen_free(g);
	if (r < 0) {
		cn_error(s->env, "cannot publish the init config: %s", cn_strerror(r));
		cn_exit(s->env, 1);
	}
}

/* Generator shorthands: <name/> with one attribute, and attributes. */
static inline void
test_gen_node_attr(struct cn_xml_gen *g, const char *node, const char *attr, const char *value)
{
	cn_xml_gen_open(g, node, strlen(node));
	cn_xml_gen_attr(g, attr, value);
	cn_xml_gen_close(g);
}

static inline void
test_gen_open(struct cn_xml_gen *g, const char *node)
{
	cn_xml_gen_open(g, node, strlen(node));
}

#endif
