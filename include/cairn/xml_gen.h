/*
 * XML generator in Genode's layout (Genode's Xml_generator): a sub node
 * starts on a new line, indented by one tab per level; a node without
 * content is closed as <name/>; text content stays on the line of its
 * node. Attributes may be added to the node being generated at any time,
 * also after its first sub node, as Genode's generator allows.
 *
 * Errors are sticky: after the first one every call does nothing, and
 * cn_xml_gen_finish() returns it.
 */
#ifndef CAIRN_XML_GEN_H
#define CAIRN_XML_GEN_H

#include <stdbool.h>
#include <stddef.h>

#include <cairn/xml.h>

struct cn_xml_gen_level {
	size_t name_pos, name_len; /* of its start tag in the buffer */
	size_t attr_end;           /* where the next attribute of this node goes */
	bool has_content;          /* its start tag has been closed with '>' */
	bool indented;             /* it has sub nodes: its end tag goes on a line of its own */
};

struct cn_xml_gen {
	char *buf;
	size_t len, cap;
	size_t max; /* bytes the document may grow to */
	unsigned depth;
	int err; /* first error: -E2BIG over max, -ENOMEM, -ELOOP too deep, -EINVAL */
	struct cn_xml_gen_level levels[CN_XML_MAX_DEPTH];
};

/* A generator whose document may grow to max bytes. */
void cn_xml_gen_init(struct cn_xml_gen *g, size_t max);
/* Free the buffer (also after cn_xml_gen_finish, if its text is not kept). */
void cn_xml_gen_free(struct cn_xml_gen *g);

void cn_xml_gen_open(struct cn_xml_gen *g, const char *name, size_t name_len);
void cn_xml_gen_close(struct cn_xml_gen *g);
/* An attribute of the open node; value is encoded (&, <, >, "). */
void cn_xml_gen_attr(struct cn_xml_gen *g, const char *name, const char *value);
/* An attribute whose value is already in XML form (copied from a document). */
void cn_xml_gen_attr_raw(struct cn_xml_gen *g, const char *name, size_t name_len, const char *value,
                         size_t value_len);
/* Text in XML form as content of the open node. */
void cn_xml_gen_text_raw(struct cn_xml_gen *g, const char *text, size_t len);
/* A copy of node: its name, attributes and content (max_depth levels). */
void cn_xml_gen_node(struct cn_xml_gen *g, const struct cn_xml_node *node, unsigned max_depth);
/* A copy of node's content: its text if it has no sub nodes, else a copy
 * of each sub node (max_depth levels). */
void cn_xml_gen_content(struct cn_xml_gen *g, const struct cn_xml_node *node, unsigned max_depth);

/* Whether name is acceptable as a node or attribute name. */
bool cn_xml_gen_valid_name(const char *name, size_t len);

/* The document (NUL-terminated, owned by g) and its length, or the first
 * error; -EINVAL while a node is open or if there is none. */
int cn_xml_gen_finish(struct cn_xml_gen *g, const char **ret_text, size_t *ret_len);

#endif
