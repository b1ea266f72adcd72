/*
 * XML generator in Genode's layout (see include/cairn/xml_gen.h).
 */
#include <cairn/xml_gen.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	GEN_BUF_INITIAL = 1024,
	GEN_NAME_MAX = 256, /* bytes of a node or attribute name */
};

void
cn_xml_gen_init(struct cn_xml_gen *g, size_t max)
{
	memset(g, 0, sizeof(*g));
	g->max = max;
}

void
cn_xml_gen_free(struct cn_xml_gen *g)
{
	if (!g)
		return;
	free(g->buf);
	g->buf = NULL;
	g->len = g->cap = 0;
}

bool
cn_xml_gen_valid_name(const char *name, size_t len)
{
	if (len == 0 || len > GEN_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool letter =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
		bool other = (c >= '0' && c <= '9') || c == '-' || c == '.';

		if (!letter && !(i > 0 && other))
			return false;
	}
	return true;
}

/* Room for n more bytes plus the terminating NUL. */
static bool
reserve(struct cn_xml_gen *g, size_t n)
{
	size_t cap;
	char *buf;

	if (g->err)
		return false;
	if (n > g->max || g->len > g->max - n) {
		g->err = -E2BIG;
		return false;
	}
	if (g->len + n + 1 <= g->cap)
		return true;
	cap = g->cap ? g->cap : GEN_BUF_INITIAL;
	while (cap < g->len + n + 1)
		cap *= 2;
	buf = realloc(g->buf, cap);
	if (!buf) {
		g->err = -ENOMEM;
		return false;
	}
	g->buf = buf;
	g->cap = cap;
	return true;
}

static void
append(struct cn_xml_gen *g, const char *s, size_t n)
{
	if (!reserve(g, n))
		return;
	memcpy(g->buf + g->len, s, n);
	g->len += n;
	g->buf[g->len] = 0;
}

static void
append_tabs(struct cn_xml_gen *g, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		append(g, "\t", 1);
}

/* Close the open node's start tag: content follows. */
static void
start_content(struct cn_xml_gen *g, bool indented)
{
	struct cn_xml_gen_level *l = &g->levels[g->depth - 1];

	if (!l->has_content)
		append(g, ">", 1);
	l->has_content = true;
	l->indented |= indented;
}

void
cn_xml_gen_open(struct cn_xml_gen *g, const char *name, size_t name_len)
{
	if (g->err)
		return;
	if (!cn_xml_gen_valid_name(name, name_len) || (g->depth == 0 && g->len)) {
		g->err = -EINVAL; /* a second root, or not a name */
		return;
	}
	if (g->depth == CN_XML_MAX_DEPTH) {
		g->err = -ELOOP;
		return;
	}
	if (g->depth) {
		start_content(g, true);
		append(g, "\n", 1);
		append_tabs(g, g->depth);
	}
	append(g, "<", 1);
	append(g, name, name_len);
	if (g->err)
		return;
	g->levels[g->depth++] = (struct cn_xml_gen_level){
	    .name_pos = g->len - name_len, .name_len = name_len, .attr_end = g->len};
}

void
cn_xml_gen_close(struct cn_xml_gen *g)
{
	struct cn_xml_gen_level *l;
	char name[GEN_NAME_MAX];
	size_t name_len;

	if (g->err)
		return;
	if (g->depth == 0) {
		g->err = -EINVAL;
		return;
	}
	l = &g->levels[g->depth - 1];
	if (!l->has_content) {
		append(g, "/>", 2);
	} else {
		name_len = l->name_len;
		memcpy(name, g->buf + l->name_pos, name_len);
		if (l->indented) {
			append(g, "\n", 1);
			append_tabs(g, g->depth - 1);
		}
		append(g, "</", 2);
		append(g, name, name_len);
		append(g, ">", 1);
	}
	g->depth--;
}

/* The entity that stands for c in an attribute value, or NULL. A raw
 * value is in XML form already, except that it may hold '"' if it was
 * quoted with '. */
static const char *
entity(char c, bool encode)
{
	if (c == '"')
		return "&quot;";
	if (!encode)
		return NULL;
	return c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : NULL;
}

/* Insert ` name="value"` at the open node's attribute end. */
static void
put_attr(struct cn_xml_gen *g, const char *name, size_t name_len, const char *value,
         size_t value_len, bool encode)
{
	struct cn_xml_gen_level *l;
	size_t n = name_len + 4; /* blank, '=', two quotes */
	char *p;

	if (g->err)
		return;
	if (g->depth == 0 || !cn_xml_gen_valid_name(name, name_len)) {
		g->err = -EINVAL;
		return;
	}
	for (size_t i = 0; i < value_len; i++) {
		const char *e = entity(value[i], encode);

		n += e ? strlen(e) : 1;
	}
	if (!reserve(g, n))
		return;
	l = &g->levels[g->depth - 1];
	p = g->buf + l->attr_end;
	memmove(p + n, p, g->len - l->attr_end + 1);
	*p++ = ' ';
	memcpy(p, name, name_len);
	p += name_len;
	*p++ = '=';
	*p++ = '"';
	for (size_t i = 0; i < value_len; i++) {
		const char *e = entity(value[i], encode);

		if (e) {
			memcpy(p, e, strlen(e));
			p += strlen(e);
		} else {
			*p++ = value[i];
		}
	}
	*p = '"';
	g->len += n;
	l->attr_end += n;
}

void
cn_xml_gen_attr(struct cn_xml_gen *g, const char *name, const char *value)
{
	put_attr(g, name, strlen(name), value, strlen(value), true);
}

void
cn_xml_gen_attr_raw(struct cn_xml_gen *g, const char *name, size_t name_len, const char *value,
                    size_t value_len)
{
	put_attr(g, name, name_len, value, value_len, false);
}

void
cn_xml_gen_text_raw(struct cn_xml_gen *g, const char *text, size_t len)
{
	if (g->err)
		return;
	if (g->depth == 0) {
		g->err = -EINVAL;
		return;
	}
	start_content(g, false);
	append(g, text, len);
}

/* Text content worth copying: something besides blanks and no markup
 * (comments between sub nodes are not content). */
static bool
is_text(const char *s, size_t len)
{
	bool blank = true;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '<')
			return false;
		if (!strchr(" \t\r\n", s[i]))
			blank = false;
	}
	return !blank;
}

void
cn_xml_gen_content(struct cn_xml_gen *g, const struct cn_xml_node *node, unsigned max_depth)
{
	if (g->err)
		return;
	if (max_depth == 0) {
		g->err = -ELOOP;
		return;
	}
	if (!cn_xml_child(node, NULL)) {
		if (is_text(node->content, node->content_len))
			cn_xml_gen_text_raw(g, node->content, node->content_len);
		return;
	}
	cn_xml_for_each(sub, node, NULL) cn_xml_gen_node(g, sub, max_depth - 1);
}

void
cn_xml_gen_node(struct cn_xml_gen *g, const struct cn_xml_node *node, unsigned max_depth)
{
	cn_xml_gen_open(g, node->name, node->name_len);
	for (unsigned i = 0; i < node->num_attrs; i++) {
		const struct cn_xml_attr *a = &node->attrs[i];

		cn_xml_gen_attr_raw(g, a->name, a->name_len, a->value, a->value_len);
	}
	cn_xml_gen_content(g, node, max_depth);
	cn_xml_gen_close(g);
}

int
cn_xml_gen_finish(struct cn_xml_gen *g, const char **ret_text, size_t *ret_len)
{
	if (g->err)
		return g->err;
	if (g->depth || !g->len)
		return -EINVAL;
	*ret_text = g->buf;
	*ret_len = g->len;
	return 0;
}
