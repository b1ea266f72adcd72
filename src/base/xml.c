/*
 * Bounded XML parser for Genode-style configs.
 *
 * The grammar is walked twice: the first pass validates the caller's text
 * and counts elements and attributes, the second fills exactly sized arrays
 * that point into a private copy of the text. Memory is therefore
 * proportional to the document and nothing is allocated for input that is
 * rejected.
 */
#include <cairn/xml.h>

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cn_xml_doc {
	struct cn_xml_node *root;
	char *text;
	struct cn_xml_node nodes[]; /* followed by the attributes, then the text */
};

_Static_assert(_Alignof(struct cn_xml_attr) <= _Alignof(struct cn_xml_node),
               "attributes are stored right after the nodes");

/* Longest entity accepted between '&' and ';', e.g. "#x10FFFF" */
enum { ENTITY_MAX = 10, NAME_IN_MESSAGE_MAX = 40 };

struct parser {
	const char *text;
	size_t len, pos;
	size_t num_nodes, num_attrs;
	struct cn_xml_node *nodes; /* NULL in the counting pass */
	struct cn_xml_attr *attrs;
	struct cn_xml_attr tag_attrs[CN_XML_MAX_ATTRS]; /* of the start tag being parsed */
	size_t located_pos;                             /* cache of locate() */
	unsigned located_line, located_column;
	size_t error_pos;
	char error_msg[CN_XML_ERROR_MAX];
};

static void
locate(struct parser *p, size_t pos, unsigned *line, unsigned *column)
{
	if (pos < p->located_pos || p->located_line == 0) {
		p->located_pos = 0;
		p->located_line = 1;
		p->located_column = 1;
	}
	for (; p->located_pos < pos; p->located_pos++) {
		if (p->text[p->located_pos] == '\n') {
			p->located_line++;
			p->located_column = 1;
		} else {
			p->located_column++;
		}
	}
	*line = p->located_line;
	*column = p->located_column;
}

__attribute__((format(printf, 4, 5))) static int
fail(struct parser *p, size_t pos, int error, const char *fmt, ...)
{
	va_list ap;

	p->error_pos = pos;
	va_start(ap, fmt);
	vsnprintf(p->error_msg, sizeof(p->error_msg), fmt, ap);
	va_end(ap);
	return error;
}

/* Length of a name as printed in an error message. */
static int
shown(size_t name_len)
{
	return (int)(name_len < NAME_IN_MESSAGE_MAX ? name_len : NAME_IN_MESSAGE_MAX);
}

static bool
looking_at(const struct parser *p, const char *s)
{
	size_t n = strlen(s);

	return p->len - p->pos >= n && memcmp(p->text + p->pos, s, n) == 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
skip_space(struct parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && is_space(p->text[p->pos]))
		p->pos++;
	return p->pos > start;
}

static bool
is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool
is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool
parse_name(struct parser *p, const char **name, size_t *name_len)
{
	size_t start = p->pos;

	if (p->pos >= p->len || !is_name_start(p->text[p->pos]))
		return false;
	while (p->pos < p->len && is_name_char(p->text[p->pos]))
		p->pos++;
	*name = p->text + start;
	*name_len = p->pos - start;
	return true;
}

/* Position of the first occurrence of s at or after p->pos, or p->len. */
static size_t
find(const struct parser *p, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = p->pos; p->len - i >= n; i++)
		if (memcmp(p->text + i, s, n) == 0)
			return i;
	return p->len;
}

/* Skips a comment or declaration: open at p->pos, up to and including end. */
static int
skip_until(struct parser *p, const char *open, const char *end, const char *what)
{
	size_t start = p->pos, found;

	p->pos += strlen(open);
	found = find(p, end);
	if (found == p->len)
		return fail(p, start, -EINVAL, "unterminated %s", what);
	p->pos = found + strlen(end);
	return 0;
}

/* Whitespace, comments and (in the prolog) declarations around the root. */
static int
skip_misc(struct parser *p, bool prolog)
{
	for (;;) {
		int rc = 0;

		skip_space(p);
		if (looking_at(p, "<!--"))
			rc = skip_until(p, "<!--", "-->", "comment");
		else if (prolog && looking_at(p, "<?"))
			rc = skip_until(p, "<?", "?>", "declaration");
		else
			return 0;
		if (rc)
			return rc;
	}
}

static int
parse_attribute_value(struct parser *p, struct cn_xml_attr *attr)
{
	size_t quote_pos = p->pos;
	char quote = p->text[quote_pos];

	for (p->pos++; p->pos < p->len; p->pos++) {
		char c = p->text[p->pos];

		if (c == quote) {
			attr->value = p->text + quote_pos + 1;
			attr->value_len = p->pos - quote_pos - 1;
			p->pos++;
			return 0;
		}
		if (c == '<')
			return fail(p, p->pos, -EINVAL, "'<' in attribute value");
	}
	return fail(p, quote_pos, -EINVAL, "unterminated attribute value");
}

/* Attributes of the start tag at tag_pos into p->tag_attrs, up to '>' or '/>'. */
static int
parse_attributes(struct parser *p, size_t tag_pos, const char *tag, size_t tag_len,
                 unsigned *ret_count)
{
	unsigned count = 0;

	for (;;) {
		bool spaced = skip_space(p);
		struct cn_xml_attr attr;
		size_t name_pos = p->pos;
		int rc;

		if (looking_at(p, ">") || looking_at(p, "/>")) {
			*ret_count = count;
			return 0;
		}
		if (p->pos == p->len || (looking_at(p, "/") && p->pos + 1 == p->len))
			return fail(p, tag_pos, -EINVAL, "unterminated start tag <%.*s>",
			            shown(tag_len), tag);
		if (looking_at(p, "/"))
			return fail(p, p->pos + 1, -EINVAL, "expected '>' after '/'");
		if (!parse_name(p, &attr.name, &attr.name_len))
			return fail(p, name_pos, -EINVAL,
			            "unexpected character in start tag <%.*s>", shown(tag_len),
			            tag);
		if (!spaced)
			return fail(p, name_pos, -EINVAL, "expected whitespace before attribute");
		if (count == CN_XML_MAX_ATTRS)
			return fail(p, name_pos, -E2BIG, "more than %d attributes in <%.*s>",
			            CN_XML_MAX_ATTRS, shown(tag_len), tag);
		skip_space(p);
		if (!looking_at(p, "="))
			return fail(p, p->pos, -EINVAL, "expected '=' after attribute name");
		p->pos++;
		skip_space(p);
		if (!looking_at(p, "\"") && !looking_at(p, "'"))
			return fail(p, p->pos, -EINVAL, "expected quoted attribute value");
		rc = parse_attribute_value(p, &attr);
		if (rc)
			return rc;
		for (unsigned i = 0; i < count; i++) {
			const struct cn_xml_attr *other = &p->tag_attrs[i];

			if (other->name_len == attr.name_len &&
			    memcmp(other->name, attr.name, attr.name_len) == 0)
				return fail(p, name_pos, -EINVAL, "duplicate attribute '%.*s'",
				            shown(attr.name_len), attr.name);
		}
		p->tag_attrs[count++] = attr;
	}
}

/* "</name>" at p->pos, which must close the element called name. */
static int
parse_end_tag(struct parser *p, const char *name, size_t name_len)
{
	size_t start = p->pos;
	const char *end_name;
	size_t end_name_len;

	p->pos += 2;
	if (!parse_name(p, &end_name, &end_name_len))
		return fail(p, p->pos, -EINVAL, "expected element name after '</'");
	if (end_name_len != name_len || memcmp(end_name, name, name_len) != 0)
		return fail(p, start, -EINVAL, "mismatched end tag </%.*s>, expected </%.*s>",
		            shown(end_name_len), end_name, shown(name_len), name);
	skip_space(p);
	if (!looking_at(p, ">"))
		return fail(p, p->pos, -EINVAL, "expected '>' to close </%.*s>", shown(name_len),
		            name);
	p->pos++;
	return 0;
}

/* The element whose '<' is at p->pos, in the fill pass also its node. */
static int
parse_element(struct parser *p, struct cn_xml_node *parent, unsigned depth,
              struct cn_xml_node **ret_node)
{
	size_t start = p->pos, content_start, content_end;
	struct cn_xml_node *node = NULL, *last_child = NULL;
	const char *name;
	size_t name_len;
	unsigned num_attrs = 0;
	int rc;

	if (looking_at(p, "<!DOCTYPE"))
		return fail(p, start, -EINVAL, "DOCTYPE not supported");
	if (looking_at(p, "<![CDATA["))
		return fail(p, start, -EINVAL, "CDATA not supported");
	if (looking_at(p, "<?"))
		return fail(p, start, -EINVAL, "declaration not allowed here");
	p->pos++;
	if (!parse_name(p, &name, &name_len))
		return fail(p, p->pos, -EINVAL, "expected element name after '<'");
	if (depth > CN_XML_MAX_DEPTH)
		return fail(p, start, -E2BIG, "elements nested deeper than %d", CN_XML_MAX_DEPTH);
	if (p->num_nodes == CN_XML_MAX_NODES)
		return fail(p, start, -E2BIG, "more than %d elements", CN_XML_MAX_NODES);
	rc = parse_attributes(p, start, name, name_len, &num_attrs);
	if (rc)
		return rc;

	if (p->nodes) {
		node = &p->nodes[p->num_nodes];
		node->name = name;
		node->name_len = name_len;
		node->parent = parent;
		node->num_attrs = num_attrs;
		node->attrs = num_attrs ? &p->attrs[p->num_attrs] : NULL;
		memcpy(p->attrs + p->num_attrs, p->tag_attrs, num_attrs * sizeof(p->tag_attrs[0]));
		locate(p, start, &node->line, &node->column);
	}
	p->num_nodes++;
	p->num_attrs += num_attrs;

	if (looking_at(p, "/>")) {
		p->pos += 2;
		content_start = content_end = p->pos;
	} else {
		content_start = ++p->pos;
		for (;;) {
			const char *lt = memchr(p->text + p->pos, '<', p->len - p->pos);
			struct cn_xml_node *child = NULL;

			if (!lt)
				return fail(p, start, -EINVAL, "unterminated element <%.*s>",
				            shown(name_len), name);
			p->pos = (size_t)(lt - p->text);
			if (looking_at(p, "<!--")) {
				rc = skip_until(p, "<!--", "-->", "comment");
			} else if (looking_at(p, "</")) {
				break;
			} else {
				rc = parse_element(p, node, depth + 1, &child);
				if (!rc && node) {
					if (last_child)
						last_child->next_sibling = child;
					else
						node->first_child = child;
					last_child = child;
				}
			}
			if (rc)
				return rc;
		}

		content_end = p->pos;
		rc = parse_end_tag(p, name, name_len);
		if (rc)
			return rc;
	}

	if (node) {
		node->src = p->text + start;
		node->src_len = p->pos - start;
		node->content = p->text + content_start;
		node->content_len = content_end - content_start;
	}
	*ret_node = node;
	return 0;
}

static int
parse_document(struct parser *p, struct cn_xml_node **ret_root)
{
	const char *nul = memchr(p->text, '\0', p->len);
	int rc;

	if (nul)
		return fail(p, (size_t)(nul - p->text), -EINVAL, "NUL byte in document");
	if (looking_at(p, "\xEF\xBB\xBF")) /* UTF-8 byte order mark */
		p->pos += 3;
	rc = skip_misc(p, true);
	if (rc)
		return rc;
	if (p->pos == p->len)
		return fail(p, p->pos, -EINVAL, "missing root element");
	if (!looking_at(p, "<"))
		return fail(p, p->pos, -EINVAL, "text outside of the root element");
	rc = parse_element(p, NULL, 1, ret_root);
	if (rc)
		return rc;
	rc = skip_misc(p, false);
	if (rc)
		return rc;
	if (p->pos < p->len) {
		bool element = p->len - p->pos > 1 && p->text[p->pos] == '<' &&
		               is_name_start(p->text[p->pos + 1]);

		return fail(p, p->pos, -EINVAL,
		            element ? "multiple root elements" : "trailing content after root");
	}
	return 0;
}

static void
report(struct cn_xml_error *ret_err, unsigned line, unsigned column, const char *msg)
{
	if (!ret_err)
		return;
	ret_err->line = line;
	ret_err->column = column;
	snprintf(ret_err->msg, sizeof(ret_err->msg), "%s", msg);
}

int
cn_xml_parse(const char *text, size_t len, struct cn_xml_doc **ret_doc,
             struct cn_xml_error *ret_err)
{
	struct parser p = {.text = text, .len = len};
	struct cn_xml_doc *doc;
	struct cn_xml_node *root = NULL;
	size_t nodes_size, attrs_size;
	int rc;

	if (!text || !ret_doc) {
		report(ret_err, 1, 1, "invalid argument");
		return -EINVAL;
	}
	if (len > CN_XML_MAX_SIZE) {
		fail(&p, 0, -E2BIG, "document larger than %d bytes", CN_XML_MAX_SIZE);
		report(ret_err, 1, 1, p.error_msg);
		return -E2BIG;
	}
	rc = parse_document(&p, &root);
	if (rc) {
		unsigned line, column;

		locate(&p, p.error_pos, &line, &column);
		report(ret_err, line, column, p.error_msg);
		return rc;
	}

	nodes_size = p.num_nodes * sizeof(struct cn_xml_node);
	attrs_size = p.num_attrs * sizeof(struct cn_xml_attr);
	doc = calloc(1, sizeof(*doc) + nodes_size + attrs_size + len + 1);
	if (!doc) {
		report(ret_err, 1, 1, "out of memory");
		return -ENOMEM;
	}
	doc->text = (char *)doc->nodes + nodes_size + attrs_size;
	memcpy(doc->text, text, len);

	p = (struct parser){
	    .text = doc->text,
	    .len = len,
	    .nodes = doc->nodes,
	    .attrs = (struct cn_xml_attr *)((char *)doc->nodes + nodes_size),
	};
	rc = parse_document(&p, &doc->root);
	assert(rc == 0 && doc->root);
	(void)rc;
	*ret_doc = doc;
	return 0;
}

void
cn_xml_free(struct cn_xml_doc *doc)
{
	free(doc);
}

const struct cn_xml_node *
cn_xml_root(const struct cn_xml_doc *doc)
{
	return doc ? doc->root : NULL;
}

static bool
name_is(const char *name, size_t name_len, const char *wanted)
{
	return strlen(wanted) == name_len && memcmp(name, wanted, name_len) == 0;
}

bool
cn_xml_is(const struct cn_xml_node *node, const char *name)
{
	return node && name && name_is(node->name, node->name_len, name);
}

static const struct cn_xml_node *
first_named(const struct cn_xml_node *node, const char *name)
{
	while (node && name && !cn_xml_is(node, name))
		node = node->next_sibling;
	return node;
}

const struct cn_xml_node *
cn_xml_child(const struct cn_xml_node *node, const char *name)
{
	return node ? first_named(node->first_child, name) : NULL;
}

const struct cn_xml_node *
cn_xml_next(const struct cn_xml_node *node, const char *name)
{
	return node ? first_named(node->next_sibling, name) : NULL;
}

unsigned
cn_xml_count(const struct cn_xml_node *node, const char *name)
{
	unsigned count = 0;

	cn_xml_for_each(child, node, name) count++;
	return count;
}

const struct cn_xml_attr *
cn_xml_attr(const struct cn_xml_node *node, const char *name)
{
	if (!node || !name)
		return NULL;
	for (unsigned i = 0; i < node->num_attrs; i++)
		if (name_is(node->attrs[i].name, node->attrs[i].name_len, name))
			return &node->attrs[i];
	return NULL;
}

bool
cn_xml_has_attr(const struct cn_xml_node *node, const char *name)
{
	return cn_xml_attr(node, name) != NULL;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* "#N" or "#xN" (without '&' and ';') as UTF-8. */
static int
decode_char_ref(const char *ref, size_t len, char out[4])
{
	unsigned base = 10;
	size_t i = 1;
	uint32_t cp = 0;

	if (len > 1 && ref[1] == 'x') {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		int digit = hex_digit(ref[i]);

		if (digit < 0 || (unsigned)digit >= base)
			return -EINVAL;
		cp = cp * base + (unsigned)digit;
		if (cp > 0x10FFFF)
			return -EINVAL;
	}
	/* NUL would truncate the decoded string, surrogates are not characters */
	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
		return -EINVAL;
	return utf8_encode(cp, out);
}

/* Decodes the character or entity at raw[*pos]: its byte count in out, or -EINVAL. */
static int
decode_one(const char *raw, size_t len, size_t *pos, char out[4])
{
	static const struct {
		const char *name;
		char c;
	} entities[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
	size_t start = *pos + 1,
	       limit = len - start < ENTITY_MAX + 1 ? len - start : ENTITY_MAX + 1;
	const char *ref = raw + start, *semicolon;
	size_t ref_len;
	int n;

	if (raw[*pos] == '\0')
		return -EINVAL;
	if (raw[*pos] != '&') {
		out[0] = raw[(*pos)++];
		return 1;
	}
	semicolon = memchr(ref, ';', limit);
	if (!semicolon)
		return -EINVAL;
	ref_len = (size_t)(semicolon - ref);
	if (ref_len && ref[0] == '#') {
		n = decode_char_ref(ref, ref_len, out);
	} else {
		n = -EINVAL;
		for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
			if (name_is(ref, ref_len, entities[i].name)) {
				out[0] = entities[i].c;
				n = 1;
			}
		}
	}
	if (n > 0)
		*pos = start + ref_len + 1;
	return n;
}

int
cn_xml_decode(const char *raw, size_t len, char *buf, size_t size)
{
	size_t decoded_len = 0;
	char out[4];

	if ((!raw && len) || !buf)
		return -EINVAL;
	/* validate and measure first, so buf stays untouched on failure */
	for (size_t pos = 0; pos < len;) {
		int n = decode_one(raw, len, &pos, out);

		if (n < 0)
			return n;
		decoded_len += (size_t)n;
	}
	if (decoded_len >= size)
		return -ENAMETOOLONG;
	for (size_t pos = 0, written = 0; pos < len;) {
		int n = decode_one(raw, len, &pos, buf + written);

		written += (size_t)n;
	}
	buf[decoded_len] = '\0';
	return 0;
}

int
cn_xml_attr_str(const struct cn_xml_node *node, const char *name, char *buf, size_t size)
{
	const struct cn_xml_attr *attr;

	if (!node || !name || !buf)
		return -EINVAL;
	attr = cn_xml_attr(node, name);
	if (!attr)
		return -ENOENT;
	return cn_xml_decode(attr->value, attr->value_len, buf, size);
}

bool
cn_xml_attr_is(const struct cn_xml_node *node, const char *name, const char *value)
{
	const struct cn_xml_attr *attr = cn_xml_attr(node, name);
	size_t matched = 0, value_len;
	char out[4];

	if (!attr || !value)
		return false;
	value_len = strlen(value);
	for (size_t pos = 0; pos < attr->value_len;) {
		int n = decode_one(attr->value, attr->value_len, &pos, out);

		if (n < 0 || value_len - matched < (size_t)n ||
		    memcmp(value + matched, out, (size_t)n) != 0)
			return false;
		matched += (size_t)n;
	}
	return matched == value_len;
}

int
cn_parse_u64(const char *s, size_t len, uint64_t *ret)
{
	unsigned base = 10, shift = 0;
	size_t digits_start = 0, digits_end;
	uint64_t value = 0;

	if (!s || !ret)
		return -EINVAL;
	if (len > 2 && s[0] == '0' && s[1] == 'x') {
		base = 16;
		digits_start = 2;
	}
	digits_end = digits_start;
	while (digits_end < len && hex_digit(s[digits_end]) >= 0 &&
	       (unsigned)hex_digit(s[digits_end]) < base)
		digits_end++;
	if (digits_end == digits_start)
		return -EINVAL;
	if (digits_end < len) {
		const char suffix = s[digits_end];

		shift = suffix == 'K' ? 10 : suffix == 'M' ? 20 : suffix == 'G' ? 30 : 0;
		if (!shift || digits_end + 1 != len)
			return -EINVAL;
	}
	for (size_t i = digits_start; i < digits_end; i++) {
		unsigned digit = (unsigned)hex_digit(s[i]);

		if (value > (UINT64_MAX - digit) / base)
			return -ERANGE;
		value = value * base + digit;
	}
	if (value > UINT64_MAX >> shift)
		return -ERANGE;
	*ret = value << shift;
	return 0;
}

int
cn_xml_attr_u64(const struct cn_xml_node *node, const char *name, uint64_t *ret)
{
	const struct cn_xml_attr *attr;

	if (!node || !name || !ret)
		return -EINVAL;
	attr = cn_xml_attr(node, name);
	if (!attr)
		return -ENOENT;
	return cn_parse_u64(attr->value, attr->value_len, ret);
}

int
cn_xml_attr_bool(const struct cn_xml_node *node, const char *name, bool *ret)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	const struct cn_xml_attr *attr;

	if (!node || !name || !ret)
		return -EINVAL;
	attr = cn_xml_attr(node, name);
	if (!attr)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (name_is(attr->value, attr->value_len, yes[i])) {
			*ret = true;
			return 0;
		}
		if (name_is(attr->value, attr->value_len, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}
