/*
 * Unit tests for the XML generator (include/cairn/xml_gen.h): Genode's
 * layout, attributes after content, copies of parsed nodes, limits.
 */
#include <cairn/xml_gen.h>

#include "cn_test.h"

static void
expect_doc(struct cn_xml_gen *g, const char *expected)
{
	const char *text = NULL;
	size_t len = 0;
	int rc = cn_xml_gen_finish(g, &text, &len);

	if (rc != 0 || strcmp(text, expected) != 0)
		fprintf(stderr, "got %d \"%s\", expected \"%s\"\n", rc, rc ? "" : text, expected);
	CN_ASSERT_EQ(rc, 0);
	CN_ASSERT_EQ(len, strlen(expected));
	CN_ASSERT(strcmp(text, expected) == 0);
	cn_xml_gen_free(g);
}

CN_TEST(test_layout)
{
	struct cn_xml_gen g;

	cn_xml_gen_init(&g, 4096);
	cn_xml_gen_open(&g, "config", 6);
	cn_xml_gen_attr(&g, "color", "yellow");
	cn_xml_gen_open(&g, "a", 1);
	cn_xml_gen_open(&g, "b", 1);
	cn_xml_gen_close(&g);
	cn_xml_gen_close(&g);
	cn_xml_gen_open(&g, "t", 1);
	cn_xml_gen_text_raw(&g, "text &amp; more", 15);
	cn_xml_gen_close(&g);
	cn_xml_gen_close(&g);
	expect_doc(&g,
	           "<config color=\"yellow\">\n\t<a>\n\t\t<b/>\n\t</a>\n\t<t>text &amp; more</t>\n"
	           "</config>");

	cn_xml_gen_init(&g, 4096);
	cn_xml_gen_open(&g, "empty", 5);
	cn_xml_gen_close(&g);
	expect_doc(&g, "<empty/>");
}

CN_TEST(test_attribute_after_content_and_encoding)
{
	struct cn_xml_gen g;

	cn_xml_gen_init(&g, 4096);
	cn_xml_gen_open(&g, "config", 6);
	cn_xml_gen_open(&g, "sub", 3);
	cn_xml_gen_close(&g);
	cn_xml_gen_attr(&g, "message", "a \"quoted\" <&> text");
	cn_xml_gen_attr_raw(&g, "raw", 3, "it's &amp; \"", 12);
	cn_xml_gen_close(&g);
	expect_doc(&g, "<config message=\"a &quot;quoted&quot; &lt;&amp;&gt; text\" "
	               "raw=\"it's &amp; &quot;\">\n\t<sub/>\n</config>");
}

CN_TEST(test_copy_of_parsed_node)
{
	const char *in = "<x a='1' b=\"2\">  <!-- c -->\n <y>t</y>\n\n      <z q='&lt;'/> </x>";
	struct cn_xml_doc *doc = NULL;
	struct cn_xml_error err;
	struct cn_xml_gen g;

	CN_ASSERT_EQ(cn_xml_parse(in, strlen(in), &doc, &err), 0);
	cn_xml_gen_init(&g, 4096);
	cn_xml_gen_open(&g, "out", 3);
	cn_xml_gen_node(&g, cn_xml_root(doc), 20);
	cn_xml_gen_content(&g, cn_xml_root(doc), 20);
	cn_xml_gen_close(&g);
	expect_doc(&g, "<out>\n\t<x a=\"1\" b=\"2\">\n\t\t<y>t</y>\n\t\t<z q=\"&lt;\"/>\n\t</x>\n"
	               "\t<y>t</y>\n\t<z q=\"&lt;\"/>\n</out>");
	cn_xml_free(doc);
}

CN_TEST(test_errors)
{
	const char *in = "<a><b><c/></b></a>";
	struct cn_xml_doc *doc = NULL;
	struct cn_xml_error err;
	struct cn_xml_gen g;
	const char *text;
	size_t len;

	/* over the size limit */
	cn_xml_gen_init(&g, 8);
	cn_xml_gen_open(&g, "config", 6);
	cn_xml_gen_attr(&g, "x", "long value");
	cn_xml_gen_close(&g);
	CN_ASSERT_EQ(cn_xml_gen_finish(&g, &text, &len), -E2BIG);
	cn_xml_gen_free(&g);

	/* deeper than allowed */
	CN_ASSERT_EQ(cn_xml_parse(in, strlen(in), &doc, &err), 0);
	cn_xml_gen_init(&g, 4096);
	cn_xml_gen_node(&g, cn_xml_root(doc), 2);
	CN_ASSERT_EQ(cn_xml_gen_finish(&g, &text, &len), -ELOOP);
	cn_xml_gen_free(&g);
	cn_xml_free(doc);

	/* bad names, unbalanced, two roots, nothing */
	cn_xml_gen_init(&g, 4096);
	cn_xml_gen_open(&g, "a b", 3);
	CN_ASSERT_EQ(cn_xml_gen_finish(&g, &text, &len), -EINVAL);
	cn_xml_gen_free(&g);
	cn_xml_gen_init(&g, 4096);
	cn_xml_gen_open(&g, "a", 1);
	CN_ASSERT_EQ(cn_xml_gen_finish(&g, &text, &len), -EINVAL);
	cn_xml_gen_close(&g);
	cn_xml_gen_open(&g, "b", 1);
	CN_ASSERT_EQ(cn_xml_gen_finish(&g, &text, &len), -EINVAL);
	cn_xml_gen_free(&g);
	cn_xml_gen_init(&g, 4096);
	CN_ASSERT_EQ(cn_xml_gen_finish(&g, &text, &len), -EINVAL);
	cn_xml_gen_close(&g);
	CN_ASSERT_EQ(cn_xml_gen_finish(&g, &text, &len), -EINVAL);
	cn_xml_gen_free(&g);
}

CN_TEST_MAIN()
