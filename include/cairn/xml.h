/*
 * Small, bounded XML parser for Genode-style configs.
 *
 * The whole document is parsed at once into a tree of nodes that point into
 * a private copy of the text (nothing is decoded in place). Limits are named
 * constants; exceeding one is a parse error with line and column.
 * Supported: elements, attributes ('..' or ".."), text, comments, <?..?>
 * declarations, CDATA is rejected. Entities are decoded on access
 * (&lt; &gt; &amp; &quot; &apos; and &#N; &#xN;).
 */
#ifndef CAIRN_XML_H
#define CAIRN_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CN_XML_MAX_SIZE = 1 << 20,  /* bytes of input */
	CN_XML_MAX_DEPTH = 64,      /* element nesting */
	CN_XML_MAX_NODES = 1 << 16, /* elements per document */
	CN_XML_MAX_ATTRS = 64,      /* attributes per element */
	CN_XML_ERROR_MAX = 160,     /* message length incl. NUL */
};

struct cn_xml_attr {
	const char *name;
	size_t name_len;
	const char *value; /* raw, entities not decoded */
	size_t value_len;
};

struct cn_xml_node {
	const char *name;
	size_t name_len;
	struct cn_xml_node *parent, *first_child, *next_sibling;
	struct cn_xml_attr *attrs;
	unsigned num_attrs;
	const char *src; /* the element's whole text, from '<' to the end of its end tag */
	size_t src_len;
	const char *content; /* text between start and end tag (empty for <x/>) */
	size_t content_len;
	unsigned line, column; /* of the '<' */
};

struct cn_xml_doc;

struct cn_xml_error {
	unsigned line, column; /* 1-based */
	char msg[CN_XML_ERROR_MAX];
};

/* Parse text (need not be NUL-terminated). -EINVAL with *ret_err filled on
 * a syntax error, -E2BIG/-ENOMEM on limits. The document has exactly one
 * root element. */
int cn_xml_parse(const char *text, size_t len, struct cn_xml_doc **ret_doc,
                 struct cn_xml_error *ret_err);
void cn_xml_free(struct cn_xml_doc *doc);
const struct cn_xml_node *cn_xml_root(const struct cn_xml_doc *doc);

bool cn_xml_is(const struct cn_xml_node *node, const char *name);
/* First child with that element name (any name if name is NULL), or NULL. */
const struct cn_xml_node *cn_xml_child(const struct cn_xml_node *node, const char *name);
/* Next sibling with that element name (any if NULL), or NULL. */
const struct cn_xml_node *cn_xml_next(const struct cn_xml_node *node, const char *name);
unsigned cn_xml_count(const struct cn_xml_node *node, const char *name);

#define cn_xml_for_each(child, node, name)                                                         \
	for (const struct cn_xml_node *child = cn_xml_child((node), (name)); child;                \
	     child = cn_xml_next(child, (name)))

const struct cn_xml_attr *cn_xml_attr(const struct cn_xml_node *node, const char *name);
bool cn_xml_has_attr(const struct cn_xml_node *node, const char *name);
/* Decoded value into buf (NUL-terminated). -ENOENT if absent, -ENAMETOOLONG
 * if it does not fit, -EINVAL on a bad entity. */
int cn_xml_attr_str(const struct cn_xml_node *node, const char *name, char *buf, size_t size);
/* Decoded value equals value. False if absent. */
bool cn_xml_attr_is(const struct cn_xml_node *node, const char *name, const char *value);
/* Genode number: decimal or 0x hex, optional K/M/G suffix (x1024...). -ENOENT
 * if absent, -EINVAL if malformed (e.g. "12Q"), -ERANGE on overflow. */
int cn_xml_attr_u64(const struct cn_xml_node *node, const char *name, uint64_t *ret);
/* yes/true/on/1 and no/false/off/0; -ENOENT, -EINVAL. */
int cn_xml_attr_bool(const struct cn_xml_node *node, const char *name, bool *ret);

/* Parse a Genode number/size string of len bytes (see cn_xml_attr_u64). */
int cn_parse_u64(const char *s, size_t len, uint64_t *ret);
/* Decode entities of raw[0..len) into buf; -ENAMETOOLONG, -EINVAL. */
int cn_xml_decode(const char *raw, size_t len, char *buf, size_t size);

#endif
