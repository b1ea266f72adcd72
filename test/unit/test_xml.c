/*
 * Unit tests for the XML parser (include/cairn/xml.h).
 */
#include <cairn/xml.h>

#include "cn_test.h"

static struct cn_xml_doc *
parse_ok(const char *text)
{
	struct cn_xml_doc *doc = NULL;
	struct cn_xml_error err = {0};
	int rc = cn_xml_parse(text, strlen(text), &doc, &err);

	if (rc != 0)
		fprintf(stderr, "parse failed (%d) at %u:%u: %s\n", rc, err.line, err.column,
		        err.msg);
	CN_ASSERT_EQ(rc, 0);
	CN_ASSERT(doc && cn_xml_root(doc));
	return doc;
}

static void
expect_error_len(const char *text, size_t len, int expected_rc, unsigned line, unsigned column,
                 const char *msg)
{
	struct cn_xml_doc *sentinel = (struct cn_xml_doc *)&sentinel, *doc = sentinel;
	struct cn_xml_error err = {0};
	int rc = cn_xml_parse(text, len, &doc, &err);

	if (rc != expected_rc || err.line != line || err.column != column || !strstr(err.msg, msg))
		fprintf(stderr,
		        "input \"%.60s\": got %d at %u:%u \"%s\", expected %d at %u:%u \"%s\"\n",
		        text, rc, err.line, err.column, err.msg, expected_rc, line, column, msg);
	CN_ASSERT_EQ(rc, expected_rc);
	CN_ASSERT_EQ(err.line, line);
	CN_ASSERT_EQ(err.column, column);
	CN_ASSERT(strstr(err.msg, msg));
	CN_ASSERT(doc == sentinel); /* ret_doc untouched on failure */
}

static void
expect_error(const char *text, unsigned line, unsigned column, const char *msg)
{
	expect_error_len(text, strlen(text), -EINVAL, line, column, msg);
}

/* The node's src or content as a NUL-terminated string in buf. */
static const char *
span(const char *s, size_t len, char *buf, size_t size)
{
	CN_ASSERT(len < size);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static const char init_config[] =
    "<config verbose=\"yes\"><parent-provides><service name=\"LOG\"/><service "
    "name=\"PD\"/></parent-provides><default-route><any-service><parent/><any-child/>"
    "</any-service></default-route><default caps=\"100\" ram=\"1M\"/><start name=\"timer\" "
    "caps=\"100\" ram=\"1M\"><resource name=\"RAM\" quantum=\"2M\"/><provides><service "
    "name=\"Timer\"/></provides><config><foo bar=\"&lt;x&gt;\"/></config></start></config>";

CN_TEST(test_init_config)
{
	struct cn_xml_doc *doc = parse_ok(init_config);
	const struct cn_xml_node *root = cn_xml_root(doc), *node, *start, *inner;
	char buf[128];
	uint64_t number;
	bool flag;

	CN_ASSERT(cn_xml_is(root, "config"));
	CN_ASSERT(root->parent == NULL);
	CN_ASSERT_EQ(cn_xml_count(root, NULL), 4);
	CN_ASSERT_EQ(cn_xml_attr_bool(root, "verbose", &flag), 0);
	CN_ASSERT(flag);
	CN_ASSERT_EQ(root->src_len, strlen(init_config));

	node = cn_xml_child(root, "parent-provides");
	CN_ASSERT(node && node->parent == root);
	CN_ASSERT_EQ(cn_xml_count(node, "service"), 2);
	CN_ASSERT(cn_xml_attr_is(cn_xml_child(node, "service"), "name", "LOG"));
	CN_ASSERT(
	    cn_xml_attr_is(cn_xml_next(cn_xml_child(node, "service"), "service"), "name", "PD"));

	node = cn_xml_child(cn_xml_child(root, "default-route"), "any-service");
	CN_ASSERT(cn_xml_is(cn_xml_child(node, NULL), "parent"));
	CN_ASSERT(cn_xml_is(cn_xml_next(cn_xml_child(node, NULL), NULL), "any-child"));

	node = cn_xml_child(root, "default");
	CN_ASSERT_EQ(cn_xml_attr_u64(node, "caps", &number), 0);
	CN_ASSERT_EQ(number, 100);
	CN_ASSERT_EQ(cn_xml_attr_u64(node, "ram", &number), 0);
	CN_ASSERT_EQ(number, 1024 * 1024);

	start = cn_xml_child(root, "start");
	CN_ASSERT(cn_xml_attr_is(start, "name", "timer"));
	CN_ASSERT_EQ(start->num_attrs, 3);
	CN_ASSERT_EQ(cn_xml_attr_u64(cn_xml_child(start, "resource"), "quantum", &number), 0);
	CN_ASSERT_EQ(number, 2 * 1024 * 1024);
	CN_ASSERT(cn_xml_attr_is(cn_xml_child(cn_xml_child(start, "provides"), "service"), "name",
	                         "Timer"));
	CN_ASSERT(cn_xml_next(start, "start") == NULL);

	inner = cn_xml_child(start, "config");
	CN_ASSERT(inner && inner->parent == start);
	CN_ASSERT_STR(span(inner->src, inner->src_len, buf, sizeof(buf)),
	              "<config><foo bar=\"&lt;x&gt;\"/></config>");
	CN_ASSERT_STR(span(inner->content, inner->content_len, buf, sizeof(buf)),
	              "<foo bar=\"&lt;x&gt;\"/>");
	node = cn_xml_child(inner, "foo");
	CN_ASSERT_STR(span(node->src, node->src_len, buf, sizeof(buf)), "<foo bar=\"&lt;x&gt;\"/>");
	CN_ASSERT_EQ(node->content_len, 0);
	CN_ASSERT_EQ(node->attrs[0].value_len, strlen("&lt;x&gt;"));
	CN_ASSERT_EQ(cn_xml_attr_str(node, "bar", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "<x>");
	CN_ASSERT(cn_xml_attr_is(node, "bar", "<x>"));
	cn_xml_free(doc);
}

CN_TEST(test_minimal_and_self_closing)
{
	struct cn_xml_doc *doc = parse_ok("<a/>");
	const struct cn_xml_node *root = cn_xml_root(doc);

	CN_ASSERT(cn_xml_is(root, "a"));
	CN_ASSERT(!cn_xml_is(root, "ab"));
	CN_ASSERT(!cn_xml_is(root, ""));
	CN_ASSERT_EQ(root->num_attrs, 0);
	CN_ASSERT(root->first_child == NULL && root->next_sibling == NULL);
	CN_ASSERT_EQ(root->src_len, 4);
	CN_ASSERT(root->content != NULL);
	CN_ASSERT_EQ(root->content_len, 0);
	CN_ASSERT_EQ(root->line, 1);
	CN_ASSERT_EQ(root->column, 1);
	cn_xml_free(doc);

	doc = parse_ok("<a  x='1'\t/>");
	CN_ASSERT(cn_xml_attr_is(cn_xml_root(doc), "x", "1"));
	cn_xml_free(doc);

	doc = parse_ok("<a></a  >");
	CN_ASSERT_EQ(cn_xml_root(doc)->content_len, 0);
	CN_ASSERT_EQ(cn_xml_root(doc)->src_len, 9);
	cn_xml_free(doc);
}

CN_TEST(test_attributes)
{
	struct cn_xml_doc *doc = parse_ok("<node a=\"1\" b='two' c = \"it's\"\n d='say \"hi\"' "
	                                  "e=\"\" f=\"multi\nline\" g='a>b' h:i.j-k=\"x\"/>");
	const struct cn_xml_node *root = cn_xml_root(doc);
	char buf[32];

	CN_ASSERT_EQ(root->num_attrs, 8);
	CN_ASSERT(cn_xml_attr_is(root, "a", "1"));
	CN_ASSERT(cn_xml_attr_is(root, "b", "two"));
	CN_ASSERT(cn_xml_attr_is(root, "c", "it's"));
	CN_ASSERT(cn_xml_attr_is(root, "d", "say \"hi\""));
	CN_ASSERT(cn_xml_attr_is(root, "e", ""));
	CN_ASSERT(cn_xml_has_attr(root, "e"));
	CN_ASSERT(cn_xml_attr_is(root, "f", "multi\nline"));
	CN_ASSERT(cn_xml_attr_is(root, "g", "a>b"));
	CN_ASSERT(cn_xml_attr_is(root, "h:i.j-k", "x"));
	CN_ASSERT(!cn_xml_has_attr(root, "z"));
	CN_ASSERT(!cn_xml_has_attr(root, "A"));
	CN_ASSERT(cn_xml_attr(root, "b") == &root->attrs[1]);
	CN_ASSERT_EQ(root->attrs[1].name_len, 1);
	CN_ASSERT_EQ(memcmp(root->attrs[1].value, "two", 3), 0);
	CN_ASSERT_EQ(root->attrs[1].value_len, 3);
	CN_ASSERT_EQ(cn_xml_attr_str(root, "e", buf, 1), 0);
	CN_ASSERT_STR(buf, "");
	CN_ASSERT_EQ(cn_xml_attr_str(root, "z", buf, sizeof(buf)), -ENOENT);
	cn_xml_free(doc);
}

CN_TEST(test_comments_prolog_and_text)
{
	static const char text[] = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                           "<!-- head -->\n"
	                           "<root>\n"
	                           "  some text <!-- <not-an-element/> --> more\n"
	                           "  <child n=\"1\"><!--c--></child><!---->\n"
	                           "  <child n=\"2\">x &amp; y</child>\n"
	                           "</root>\n"
	                           "<!-- tail -->\n\t ";
	struct cn_xml_doc *doc = parse_ok(text);
	const struct cn_xml_node *root = cn_xml_root(doc), *child;
	char buf[256];

	CN_ASSERT(cn_xml_is(root, "root"));
	CN_ASSERT_EQ(root->line, 3);
	CN_ASSERT_EQ(root->column, 1);
	CN_ASSERT_EQ(cn_xml_count(root, NULL), 2);
	child = cn_xml_child(root, "child");
	CN_ASSERT_EQ(child->line, 5);
	CN_ASSERT_EQ(child->column, 3);
	CN_ASSERT_STR(span(child->content, child->content_len, buf, sizeof(buf)), "<!--c-->");
	child = cn_xml_next(child, "child");
	CN_ASSERT_EQ(child->line, 6);
	CN_ASSERT_STR(span(child->content, child->content_len, buf, sizeof(buf)), "x &amp; y");
	CN_ASSERT_STR(span(child->src, child->src_len, buf, sizeof(buf)),
	              "<child n=\"2\">x &amp; y</child>");
	CN_ASSERT(strncmp(root->content, "\n  some text <!--", 17) == 0);
	CN_ASSERT(root->content + root->content_len == strstr(root->src, "</root>"));
	cn_xml_free(doc);

	/* several declarations and comments in any order before the root */
	doc = parse_ok("<!--a--><?xml version='1.0'?><!--b--><?other x?><r/><!--c-->");
	CN_ASSERT(cn_xml_is(cn_xml_root(doc), "r"));
	cn_xml_free(doc);
}

CN_TEST(test_navigation)
{
	struct cn_xml_doc *doc =
	    parse_ok("<r><a i='1'/><b/><a i='2'><a i='nested'/></a><c/><a i='3'/></r>");
	const struct cn_xml_node *root = cn_xml_root(doc), *a;
	unsigned seen = 0;

	CN_ASSERT_EQ(cn_xml_count(root, "a"), 3);
	CN_ASSERT_EQ(cn_xml_count(root, "b"), 1);
	CN_ASSERT_EQ(cn_xml_count(root, "zz"), 0);
	CN_ASSERT_EQ(cn_xml_count(root, NULL), 5);
	cn_xml_for_each(child, root, "a")
	{
		char expected[2] = {(char)('1' + seen++), '\0'};

		CN_ASSERT(cn_xml_attr_is(child, "i", expected));
		CN_ASSERT(child->parent == root);
	}
	CN_ASSERT_EQ(seen, 3);
	a = cn_xml_next(cn_xml_child(root, "a"), "a");
	CN_ASSERT(cn_xml_attr_is(cn_xml_child(a, "a"), "i", "nested"));
	CN_ASSERT(cn_xml_child(a, "b") == NULL);
	CN_ASSERT(cn_xml_is(cn_xml_next(a, NULL), "c"));
	CN_ASSERT(cn_xml_child(cn_xml_child(root, "b"), NULL) == NULL);

	/* NULL everywhere is harmless */
	CN_ASSERT(cn_xml_child(NULL, "a") == NULL);
	CN_ASSERT(cn_xml_next(NULL, NULL) == NULL);
	CN_ASSERT_EQ(cn_xml_count(NULL, NULL), 0);
	CN_ASSERT(!cn_xml_is(NULL, "a"));
	CN_ASSERT(!cn_xml_is(root, NULL));
	CN_ASSERT(cn_xml_attr(NULL, "i") == NULL);
	CN_ASSERT(cn_xml_attr(a, NULL) == NULL);
	CN_ASSERT(!cn_xml_attr_is(a, "i", NULL));
	CN_ASSERT(cn_xml_root(NULL) == NULL);
	cn_xml_free(NULL);
	cn_xml_free(doc);
}

CN_TEST(test_input_not_nul_terminated_and_copied)
{
	char text[] = "<a x='1'/>garbage";
	struct cn_xml_doc *doc = NULL;
	struct cn_xml_error err;
	const struct cn_xml_node *root;

	CN_ASSERT_EQ(cn_xml_parse(text, 10, &doc, &err), 0);
	memset(text, 'Z', sizeof(text) - 1); /* the document keeps its own copy */
	root = cn_xml_root(doc);
	CN_ASSERT(cn_xml_is(root, "a"));
	CN_ASSERT(cn_xml_attr_is(root, "x", "1"));
	CN_ASSERT_EQ(root->src_len, 10);
	cn_xml_free(doc);

	/* the parser never reads past len */
	char *exact = malloc(4);
	CN_ASSERT(exact);
	memcpy(exact, "<a/>", 4);
	CN_ASSERT_EQ(cn_xml_parse(exact, 4, &doc, NULL), 0);
	cn_xml_free(doc);
	expect_error_len("<a/", 3, -EINVAL, 1, 1, "unterminated start tag <a>");
	free(exact);
}

CN_TEST(test_invalid_arguments)
{
	struct cn_xml_doc *doc = NULL;
	struct cn_xml_error err = {0};

	CN_ASSERT_EQ(cn_xml_parse(NULL, 0, &doc, &err), -EINVAL);
	CN_ASSERT(doc == NULL);
	CN_ASSERT_EQ(cn_xml_parse("<a/>", 4, NULL, &err), -EINVAL);
	CN_ASSERT_EQ(cn_xml_parse("<a", 2, &doc, NULL), -EINVAL); /* no error report wanted */
	CN_ASSERT(doc == NULL);
}

CN_TEST(test_syntax_errors)
{
	expect_error("", 1, 1, "missing root element");
	expect_error(" \n\t", 2, 2, "missing root element");
	expect_error("<!-- only a comment -->", 1, 24, "missing root element");
	expect_error("<?xml version='1.0'?>", 1, 22, "missing root element");
	expect_error("text<a/>", 1, 1, "text outside of the root element");
	expect_error("<a/><b/>", 1, 5, "multiple root elements");
	expect_error("<a/>\n  <a></a>", 2, 3, "multiple root elements");
	expect_error("<a/>x", 1, 5, "trailing content after root");
	expect_error("<a/></a>", 1, 5, "trailing content after root");
	expect_error("<a/><?xml?>", 1, 5, "trailing content after root");
	expect_error("</a>", 1, 2, "expected element name after '<'");
	expect_error("<a x=\"1>", 1, 6, "unterminated attribute value");
	expect_error("<a>\n  <b x='1\n", 2, 8, "unterminated attribute value");
	expect_error("<a x=\"1<2\"/>", 1, 8, "'<' in attribute value");
	expect_error("<a x='1' y=\"2\" x='3'/>", 1, 16, "duplicate attribute 'x'");
	expect_error("<a x='1'y='2'/>", 1, 9, "expected whitespace before attribute");
	expect_error("<a x/>", 1, 5, "expected '=' after attribute name");
	expect_error("<a x=1/>", 1, 6, "expected quoted attribute value");
	expect_error("<a 1x='1'/>", 1, 4, "unexpected character in start tag <a>");
	expect_error("<a / >", 1, 5, "expected '>' after '/'");
	expect_error("<a/", 1, 1, "unterminated start tag <a>");
	expect_error("<a x='1'/ >", 1, 10, "expected '>' after '/'");
	expect_error("<a", 1, 1, "unterminated start tag <a>");
	expect_error("<a x='1'", 1, 1, "unterminated start tag <a>");
	expect_error("<>", 1, 2, "expected element name after '<'");
	expect_error("< a/>", 1, 2, "expected element name after '<'");
	expect_error("<1a/>", 1, 2, "expected element name after '<'");
	expect_error("<a>", 1, 1, "unterminated element <a>");
	expect_error("<a>\n <b>text", 2, 2, "unterminated element <b>");
	expect_error("<a></b>", 1, 4, "mismatched end tag </b>, expected </a>");
	expect_error("<config>\n  <start>\n  </config>", 3, 3,
	             "mismatched end tag </config>, expected </start>");
	expect_error("<a></ab>", 1, 4, "mismatched end tag </ab>, expected </a>");
	expect_error("<a></>", 1, 6, "expected element name after '</'");
	expect_error("<a></a", 1, 7, "expected '>' to close </a>");
	expect_error("<a></a x>", 1, 8, "expected '>' to close </a>");
	expect_error("<a><!-- x </a>", 1, 4, "unterminated comment");
	expect_error("<!-- x <a/>", 1, 1, "unterminated comment");
	expect_error("<!--><a/>", 1, 1, "unterminated comment");
	expect_error("<a/><!-- x", 1, 5, "unterminated comment");
	expect_error("<?xml version='1.0'<a/>", 1, 1, "unterminated declaration");
	expect_error("<a><?pi?></a>", 1, 4, "declaration not allowed here");
	expect_error("<a><![CDATA[x]]></a>", 1, 4, "CDATA not supported");
	expect_error("<![CDATA[x]]><a/>", 1, 1, "CDATA not supported");
	expect_error("<!DOCTYPE a>\n<a/>", 1, 1, "DOCTYPE not supported");
	expect_error("<a><!DOCTYPE a></a>", 1, 4, "DOCTYPE not supported");
	expect_error("<a><!ELEMENT></a>", 1, 5, "expected element name after '<'");
	expect_error_len("<a>\0</a>", 8, -EINVAL, 1, 4, "NUL byte in document");
	expect_error_len("<a x='\0'/>", 10, -EINVAL, 1, 7, "NUL byte in document");
}

CN_TEST(test_error_message_is_bounded)
{
	char text[1024];

	/* a long element name is cut in the message, which stays terminated */
	strcpy(text, "<");
	memset(text + 1, 'n', 300);
	strcpy(text + 301, "></m>");
	expect_error(text, 1, 303, "mismatched end tag </m>, expected </nnnnnnnn");
	strcpy(text + 301, " x='1' x='2'/>");
	expect_error(text, 1, 309, "duplicate attribute 'x'");
}

CN_TEST(test_limit_size)
{
	size_t len = CN_XML_MAX_SIZE;
	char *text = malloc(len + 1);
	struct cn_xml_doc *doc = NULL;

	CN_ASSERT(text);
	memset(text, ' ', len + 1);
	memcpy(text, "<a/>", 4);
	CN_ASSERT_EQ(cn_xml_parse(text, len, &doc, NULL), 0);
	cn_xml_free(doc);
	expect_error_len(text, len + 1, -E2BIG, 1, 1, "document larger than 1048576 bytes");

	/* a large document with content of maximal size */
	memcpy(text, "<a>", 3);
	memcpy(text + len - 4, "</a>", 4);
	CN_ASSERT_EQ(cn_xml_parse(text, len, &doc, NULL), 0);
	CN_ASSERT_EQ(cn_xml_root(doc)->content_len, len - 7);
	cn_xml_free(doc);
	free(text);
}

CN_TEST(test_limit_depth)
{
	enum { MAX = CN_XML_MAX_DEPTH };
	char text[(MAX + 1) * 8 + 1], *p = text;
	struct cn_xml_doc *doc;
	const struct cn_xml_node *node;
	unsigned depth = 0;

	for (int i = 0; i < MAX; i++)
		p += sprintf(p, "<d>");
	for (int i = 0; i < MAX; i++)
		p += sprintf(p, "</d>");
	doc = parse_ok(text);
	for (node = cn_xml_root(doc); node; node = cn_xml_child(node, "d"))
		depth++;
	CN_ASSERT_EQ(depth, MAX);
	cn_xml_free(doc);

	p = text;
	for (int i = 0; i < MAX + 1; i++)
		p += sprintf(p, "<d>");
	for (int i = 0; i < MAX + 1; i++)
		p += sprintf(p, "</d>");
	expect_error_len(text, strlen(text), -E2BIG, 1, 3 * MAX + 1, "nested deeper than 64");
}

CN_TEST(test_limit_nodes)
{
	size_t size = 16 + (size_t)CN_XML_MAX_NODES * 4;
	char *text = malloc(size), *p = text;
	struct cn_xml_doc *doc;

	CN_ASSERT(text);
	p += sprintf(p, "<r>");
	for (int i = 0; i < CN_XML_MAX_NODES - 1; i++)
		p += sprintf(p, "<e/>");
	strcpy(p, "</r>");
	doc = parse_ok(text);
	CN_ASSERT_EQ(cn_xml_count(cn_xml_root(doc), "e"), CN_XML_MAX_NODES - 1);
	cn_xml_free(doc);

	strcpy(p, "<e/></r>");
	expect_error_len(text, strlen(text), -E2BIG, 1, (unsigned)(p - text) + 1,
	                 "more than 65536 elements");
	free(text);
}

CN_TEST(test_limit_attributes)
{
	char text[16 + (CN_XML_MAX_ATTRS + 1) * 16], *p = text;
	struct cn_xml_doc *doc;
	char *last;

	p += sprintf(p, "<a");
	for (int i = 0; i < CN_XML_MAX_ATTRS; i++)
		p += sprintf(p, " a%d='%d'", i, i);
	strcpy(p, "/>");
	doc = parse_ok(text);
	CN_ASSERT_EQ(cn_xml_root(doc)->num_attrs, CN_XML_MAX_ATTRS);
	CN_ASSERT(cn_xml_attr_is(cn_xml_root(doc), "a63", "63"));
	cn_xml_free(doc);

	last = p;
	sprintf(p, " extra='x'/>");
	expect_error_len(text, strlen(text), -E2BIG, 1, (unsigned)(last - text) + 2,
	                 "more than 64 attributes in <a>");
}

CN_TEST(test_decode)
{
	char buf[64];

	CN_ASSERT_EQ(cn_xml_decode("a&lt;b&gt;c&amp;d&quot;e&apos;f", 31, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "a<b>c&d\"e'f");
	CN_ASSERT_EQ(cn_xml_decode("&#65;&#x42;&#x6a;&#0000067;", 27, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "ABjC");
	CN_ASSERT_EQ(cn_xml_decode("&#233;&#x20AC;&#x1F600;&#x10FFFF;", 33, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
	CN_ASSERT_EQ(cn_xml_decode("", 0, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "");
	CN_ASSERT_EQ(cn_xml_decode("abcdef", 3, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "abc");

	static const char *const bad[] = {
	    "&",
	    "a & b",
	    "&lt",
	    "&LT;",
	    "&foo;",
	    "&;",
	    "&#;",
	    "&#x;",
	    "&#0;",
	    "&#x0;",
	    "&#xD800;",
	    "&#xDFFF;",
	    "&#x110000;",
	    "&#1114112;",
	    "&#12a;",
	    "&#xG;",
	    "&#X41;",
	    "&#99999999999;",
	    "&#00000000065;",
	    "&amp",
	    "&#65",
	    "&#x41",
	    "&#",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(buf, "untouched");
		if (cn_xml_decode(bad[i], strlen(bad[i]), buf, sizeof(buf)) != -EINVAL)
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
		CN_ASSERT_EQ(cn_xml_decode(bad[i], strlen(bad[i]), buf, sizeof(buf)), -EINVAL);
		CN_ASSERT_STR(buf, "untouched");
	}
	CN_ASSERT_EQ(cn_xml_decode("a\0b", 3, buf, sizeof(buf)), -EINVAL);
	/* an entity cut off by len */
	CN_ASSERT_EQ(cn_xml_decode("&lt;", 3, buf, sizeof(buf)), -EINVAL);

	/* exact fit including the NUL, one byte short, and nothing at all */
	CN_ASSERT_EQ(cn_xml_decode("&lt;&lt;", 8, buf, 3), 0);
	CN_ASSERT_STR(buf, "<<");
	strcpy(buf, "untouched");
	CN_ASSERT_EQ(cn_xml_decode("&lt;&lt;", 8, buf, 2), -ENAMETOOLONG);
	CN_ASSERT_STR(buf, "untouched");
	CN_ASSERT_EQ(cn_xml_decode("", 0, buf, 0), -ENAMETOOLONG);
	CN_ASSERT_EQ(cn_xml_decode("&#x20AC;", 8, buf, 3), -ENAMETOOLONG);
	CN_ASSERT_EQ(cn_xml_decode(NULL, 0, buf, sizeof(buf)), 0);
	CN_ASSERT_EQ(cn_xml_decode(NULL, 1, buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_xml_decode("a", 1, NULL, 8), -EINVAL);
}

CN_TEST(test_attr_str_and_is)
{
	struct cn_xml_doc *doc =
	    parse_ok("<a v='x &amp; y' bad='&nope;' long='0123456789' u='&#x20AC;'/>");
	const struct cn_xml_node *root = cn_xml_root(doc);
	char buf[11];

	CN_ASSERT_EQ(cn_xml_attr_str(root, "v", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "x & y");
	CN_ASSERT(cn_xml_attr_is(root, "v", "x & y"));
	CN_ASSERT(!cn_xml_attr_is(root, "v", "x &amp; y"));
	CN_ASSERT(!cn_xml_attr_is(root, "v", "x & "));
	CN_ASSERT(!cn_xml_attr_is(root, "v", "x & yy"));
	CN_ASSERT(!cn_xml_attr_is(root, "v", ""));
	CN_ASSERT(cn_xml_attr_is(root, "u", "\xE2\x82\xAC"));
	CN_ASSERT(!cn_xml_attr_is(root, "u", "\xE2\x82"));

	strcpy(buf, "untouched");
	CN_ASSERT_EQ(cn_xml_attr_str(root, "bad", buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_STR(buf, "untouched");
	CN_ASSERT(!cn_xml_attr_is(root, "bad", "&nope;"));
	CN_ASSERT_EQ(cn_xml_attr_str(root, "long", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "0123456789");
	strcpy(buf, "untouched");
	CN_ASSERT_EQ(cn_xml_attr_str(root, "long", buf, sizeof(buf) - 1), -ENAMETOOLONG);
	CN_ASSERT_STR(buf, "untouched");
	CN_ASSERT_EQ(cn_xml_attr_str(root, "absent", buf, sizeof(buf)), -ENOENT);
	CN_ASSERT(!cn_xml_attr_is(root, "absent", ""));
	CN_ASSERT_EQ(cn_xml_attr_str(NULL, "v", buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_xml_attr_str(root, NULL, buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_xml_attr_str(root, "v", NULL, sizeof(buf)), -EINVAL);
	cn_xml_free(doc);
}

CN_TEST(test_parse_u64)
{
	static const struct {
		const char *text;
		uint64_t value;
	} good[] = {
	    {"0", 0},
	    {"7", 7},
	    {"007", 7},
	    {"4096", 4096},
	    {"0x1f", 31},
	    {"0xFF", 255},
	    {"0x0", 0},
	    {"1K", 1024},
	    {"2M", 2 * 1024 * 1024},
	    {"3G", 3ULL * 1024 * 1024 * 1024},
	    {"0x10K", 16 * 1024},
	    {"0K", 0},
	    {"18446744073709551615", UINT64_MAX},
	    {"0xffffffffffffffff", UINT64_MAX},
	    {"17179869183G", 17179869183ULL << 30},
	    {"18014398509481983K", 18014398509481983ULL << 10},
	};
	static const struct {
		const char *text;
		int error;
	} bad[] = {
	    {"12Q", -EINVAL},
	    {"", -EINVAL},
	    {"K", -EINVAL},
	    {"-1", -EINVAL},
	    {"+1", -EINVAL},
	    {" 1", -EINVAL},
	    {"1 ", -EINVAL},
	    {"0x", -EINVAL},
	    {"0xK", -EINVAL},
	    {"0xg", -EINVAL},
	    {"0X10", -EINVAL},
	    {"1KK", -EINVAL},
	    {"1KB", -EINVAL},
	    {"1k", -EINVAL},
	    {"1m", -EINVAL},
	    {"1.5", -EINVAL},
	    {"1e3", -EINVAL},
	    {"abc", -EINVAL},
	    {"x10", -EINVAL},
	    {"99999999999999999999Q", -EINVAL},
	    {"18446744073709551616", -ERANGE},
	    {"99999999999999999999", -ERANGE},
	    {"0x10000000000000000", -ERANGE},
	    {"17179869184G", -ERANGE},
	    {"18014398509481984K", -ERANGE},
	    {"17592186044416M", -ERANGE},
	};
	uint64_t value;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		value = 12345;
		CN_ASSERT_EQ(cn_parse_u64(good[i].text, strlen(good[i].text), &value), 0);
		CN_ASSERT(value == good[i].value);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		value = 12345;
		rc = cn_parse_u64(bad[i].text, strlen(bad[i].text), &value);
		if (rc != bad[i].error)
			fprintf(stderr, "\"%s\": %d\n", bad[i].text, rc);
		CN_ASSERT_EQ(rc, bad[i].error);
		CN_ASSERT_EQ(value, 12345); /* untouched */
	}
	CN_ASSERT_EQ(cn_parse_u64("123", 2, &value), 0); /* only len bytes count */
	CN_ASSERT_EQ(value, 12);
	CN_ASSERT_EQ(cn_parse_u64("1\0", 2, &value), -EINVAL);
	CN_ASSERT_EQ(cn_parse_u64(NULL, 0, &value), -EINVAL);
	CN_ASSERT_EQ(cn_parse_u64("1", 1, NULL), -EINVAL);
}

CN_TEST(test_attr_u64_and_bool)
{
	struct cn_xml_doc *doc = parse_ok(
	    "<a ram='16M' caps='0x20' bad='12Q' huge='99999999999999999999' space=' 1' "
	    "ent='&#49;' y1='yes' y2='true' y3='on' y4='1' n1='no' n2='false' n3='off' n4='0' "
	    "b1='Yes' b2='2' b3=''/>");
	const struct cn_xml_node *root = cn_xml_root(doc);
	uint64_t number = 7;
	bool flag;

	CN_ASSERT_EQ(cn_xml_attr_u64(root, "ram", &number), 0);
	CN_ASSERT_EQ(number, 16 << 20);
	CN_ASSERT_EQ(cn_xml_attr_u64(root, "caps", &number), 0);
	CN_ASSERT_EQ(number, 32);
	number = 7;
	CN_ASSERT_EQ(cn_xml_attr_u64(root, "bad", &number), -EINVAL);
	CN_ASSERT_EQ(cn_xml_attr_u64(root, "huge", &number), -ERANGE);
	CN_ASSERT_EQ(cn_xml_attr_u64(root, "space", &number), -EINVAL);
	CN_ASSERT_EQ(cn_xml_attr_u64(root, "ent", &number), -EINVAL);
	CN_ASSERT_EQ(cn_xml_attr_u64(root, "absent", &number), -ENOENT);
	CN_ASSERT_EQ(number, 7);
	CN_ASSERT_EQ(cn_xml_attr_u64(NULL, "ram", &number), -EINVAL);
	CN_ASSERT_EQ(cn_xml_attr_u64(root, "ram", NULL), -EINVAL);

	for (char name[] = "y1"; name[1] <= '4'; name[1]++) {
		flag = false;
		CN_ASSERT_EQ(cn_xml_attr_bool(root, name, &flag), 0);
		CN_ASSERT(flag);
	}
	for (char name[] = "n1"; name[1] <= '4'; name[1]++) {
		flag = true;
		CN_ASSERT_EQ(cn_xml_attr_bool(root, name, &flag), 0);
		CN_ASSERT(!flag);
	}
	for (char name[] = "b1"; name[1] <= '3'; name[1]++) {
		flag = true;
		CN_ASSERT_EQ(cn_xml_attr_bool(root, name, &flag), -EINVAL);
		CN_ASSERT(flag);
	}
	CN_ASSERT_EQ(cn_xml_attr_bool(root, "absent", &flag), -ENOENT);
	CN_ASSERT_EQ(cn_xml_attr_bool(root, "y1", NULL), -EINVAL);
	cn_xml_free(doc);
}

CN_TEST(test_many_documents_independent)
{
	struct cn_xml_doc *a = parse_ok("<a x='1'><b/></a>");
	struct cn_xml_doc *b = parse_ok("<b y='2'/>");

	CN_ASSERT(cn_xml_is(cn_xml_child(cn_xml_root(a), NULL), "b"));
	CN_ASSERT(cn_xml_attr_is(cn_xml_root(b), "y", "2"));
	cn_xml_free(a);
	CN_ASSERT(cn_xml_attr_is(cn_xml_root(b), "y", "2"));
	cn_xml_free(b);
}

CN_TEST_MAIN()
