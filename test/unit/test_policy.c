/*
 * Unit tests for server-side policy selection (include/cairn/policy.h).
 */
#include <cairn/args.h>
#include <cairn/policy.h>

#include "cn_test.h"

static struct cn_xml_doc *
parse_ok(const char *text)
{
	struct cn_xml_doc *doc = NULL;
	struct cn_xml_error err = {0};
	int rc = cn_xml_parse(text, strlen(text), &doc, &err);

	if (rc != 0)
		fprintf(stderr, "parse failed at %u:%u: %s\n", err.line, err.column, err.msg);
	CN_ASSERT_EQ(rc, 0);
	return doc;
}

/* The "id" attribute of the policy selected for label, or "(none)". */
static const char *
selected(const struct cn_xml_doc *doc, const char *label, char *buf, size_t size)
{
	const struct cn_xml_node *policy = cn_policy_select(cn_xml_root(doc), label);

	if (!policy)
		return "(none)";
	CN_ASSERT_EQ(cn_xml_attr_str(policy, "id", buf, size), 0);
	return buf;
}

static void
expect_selected(const char *config, const char *label, const char *id)
{
	struct cn_xml_doc *doc = parse_ok(config);
	char buf[64];
	const char *got = selected(doc, label, buf, sizeof(buf));

	if (strcmp(got, id) != 0)
		fprintf(stderr, "label \"%s\" in %s\n", label, config);
	CN_ASSERT_STR(got, id);
	cn_xml_free(doc);
}

CN_TEST(test_exact_beats_prefix_beats_suffix)
{
	/* the weaker policies come first, so document order cannot explain the result */
	static const char config[] = "<config>"
	                             "<policy id='suffix' label_suffix='app'/>"
	                             "<policy id='prefix' label_prefix='init'/>"
	                             "<policy id='exact' label='init -> app'/>"
	                             "</config>";

	expect_selected(config, "init -> app", "exact");
	expect_selected(config, "init -> other", "prefix");
	expect_selected(config, "foo -> app", "suffix");
	expect_selected(config, "foo -> bar", "(none)");
	/* a short prefix still beats a long suffix */
	expect_selected("<config><policy id='suffix' label_suffix='-> a -> b -> c'/>"
	                "<policy id='prefix' label_prefix='x'/></config>",
	                "x -> a -> b -> c", "prefix");
}

CN_TEST(test_longest_prefix_and_suffix_win)
{
	expect_selected("<config><policy id='short' label_prefix='init'/>"
	                "<policy id='long' label_prefix='init -> app'/>"
	                "<policy id='mid' label_prefix='init -> '/></config>",
	                "init -> app -> log", "long");
	expect_selected("<config><policy id='short' label_prefix='init'/>"
	                "<policy id='long' label_prefix='init -> app'/>"
	                "<policy id='mid' label_prefix='init -> '/></config>",
	                "init -> other", "mid");
	expect_selected("<config><policy id='short' label_suffix='log'/>"
	                "<policy id='long' label_suffix='-> log'/></config>",
	                "init -> app -> log", "long");
	expect_selected("<config><policy id='long' label_suffix='-> log'/>"
	                "<policy id='short' label_suffix='log'/></config>",
	                "init -> app -> log", "long");
}

CN_TEST(test_first_wins_on_tie)
{
	expect_selected("<config><policy id='first' label_prefix='a'/>"
	                "<policy id='second' label_prefix='a'/></config>",
	                "a -> b", "first");
	expect_selected("<config><policy id='first' label_suffix='b'/>"
	                "<policy id='second' label_suffix='b'/></config>",
	                "a -> b", "first");
	expect_selected("<config><policy id='first' label_prefix='a' label_suffix='b'/>"
	                "<policy id='second' label_prefix='a' label_suffix='b'/></config>",
	                "a -> b", "first");
	expect_selected("<config><policy id='first' label='a'/>"
	                "<policy id='second' label='a'/></config>",
	                "a", "first");
	/* a present (even empty) suffix breaks the tie of equal prefixes */
	expect_selected("<config><policy id='first' label_prefix='ab'/>"
	                "<policy id='second' label_prefix='a' label_suffix='c'/>"
	                "<policy id='third' label_prefix='ab' label_suffix=''/></config>",
	                "abc", "third");
}

CN_TEST(test_combined_attributes)
{
	/* the report_rom runtime: prefix and suffix must both match */
	static const char config[] = "<config>"
	                             "<policy id='both' label_prefix='test-report_rom ->' "
	                             "label_suffix='brightness'/>"
	                             "<policy id='prefix' label_prefix='test-report_rom ->'/>"
	                             "</config>";

	expect_selected(config, "test-report_rom -> brightness", "both");
	expect_selected(config, "test-report_rom -> other", "prefix");
	expect_selected(config, "other -> brightness", "(none)");

	/* with equal prefixes, having a matching suffix is stronger */
	expect_selected("<config><policy id='prefix' label_prefix='a'/>"
	                "<policy id='both' label_prefix='a' label_suffix='z'/></config>",
	                "a -> z", "both");
	/* a longer prefix outweighs an additional suffix */
	expect_selected("<config><policy id='both' label_prefix='a' label_suffix='z'/>"
	                "<policy id='prefix' label_prefix='a -> '/></config>",
	                "a -> z", "prefix");
	/* exact plus prefix beats exact alone */
	expect_selected("<config><policy id='exact' label='a -> z'/>"
	                "<policy id='exact+prefix' label='a -> z' label_prefix='a'/></config>",
	                "a -> z", "exact+prefix");
	/* an exact label with a conflicting prefix does not match at all */
	expect_selected("<config><policy id='conflict' label='a -> z' label_prefix='b'/>"
	                "<policy id='prefix' label_prefix='a'/></config>",
	                "a -> z", "prefix");
}

CN_TEST(test_policy_without_selector_never_matches)
{
	static const char config[] = "<config><policy id='catch-all'/>"
	                             "<policy id='misspelled' label_prefx=''/></config>";

	expect_selected(config, "anything", "(none)");
	expect_selected(config, "", "(none)");
	expect_selected("<config><policy id='catch-all'/><default-policy id='default'/></config>",
	                "anything", "default");
}

CN_TEST(test_empty_prefix_and_suffix_match_everything)
{
	expect_selected("<config><policy id='all' label_prefix=''/></config>", "x -> y", "all");
	expect_selected("<config><policy id='all' label_prefix=''/></config>", "", "all");
	expect_selected("<config><policy id='all' label_suffix=''/></config>", "x", "all");
	/* but anything longer that matches is stronger */
	expect_selected("<config><policy id='all' label_prefix=''/>"
	                "<policy id='x' label_prefix='x'/></config>",
	                "x -> y", "x");
	/* an empty prefix is still a prefix, which beats any suffix */
	expect_selected("<config><policy id='suffix' label_suffix='y'/>"
	                "<policy id='prefix' label_prefix=''/></config>",
	                "x -> y", "prefix");
	/* an empty exact label matches only the empty label */
	expect_selected("<config><policy id='empty' label=''/></config>", "", "empty");
	expect_selected("<config><policy id='empty' label=''/></config>", "x", "(none)");
}

CN_TEST(test_default_policy)
{
	static const char config[] = "<config><default-policy id='default'/>"
	                             "<policy id='a' label='a'/></config>";

	expect_selected(config, "a", "a");
	expect_selected(config, "b", "default");
	expect_selected("<config><policy id='a' label='a'/></config>", "b", "(none)");
	expect_selected("<config/>", "b", "(none)");
	/* the first default-policy counts */
	expect_selected("<config><default-policy id='d1'/><default-policy id='d2'/></config>", "b",
	                "d1");
}

CN_TEST(test_whitespace_is_trimmed)
{
	static const char config[] = "<config>"
	                             "<policy id='exact' label='  init -> app\t'/>"
	                             "<policy id='prefix' label_prefix='\ninit -> x '/>"
	                             "<policy id='suffix' label_suffix=' &#32;log '/>"
	                             "</config>";

	expect_selected(config, "init -> app", "exact");
	expect_selected(config, " \t init -> app \n", "exact");
	expect_selected(config, "init -> xy", "prefix");
	/* trimming is at the ends only: the inner space stays */
	expect_selected(config, "init ->  xy", "(none)");
	expect_selected(config, "app -> log ", "suffix");
	expect_selected(config, "applog", "suffix");
}

CN_TEST(test_entities_and_bad_values)
{
	char value[CN_LABEL_MAX + 64];
	char config[sizeof(value) + 128];

	expect_selected("<config><policy id='amp' label='a &amp; b'/></config>", "a & b", "amp");
	expect_selected("<config><policy id='amp' label='a &amp; b'/></config>", "a &amp; b",
	                "(none)");
	/* a value that cannot be decoded is a mismatch, not a wildcard */
	expect_selected("<config><policy id='bad' label_prefix='&bogus;'/>"
	                "<default-policy id='default'/></config>",
	                "&bogus; -> x", "default");

	/* values up to CN_LABEL_MAX - 1 bytes compare, longer ones never match */
	memset(value, 'v', CN_LABEL_MAX - 1);
	value[CN_LABEL_MAX - 1] = '\0';
	snprintf(config, sizeof(config), "<config><policy id='long' label='%s'/></config>", value);
	expect_selected(config, value, "long");
	snprintf(config, sizeof(config), "<config><policy id='long' label='  %s  '/></config>",
	         value);
	expect_selected(config, value, "long");
	memset(value, 'v', CN_LABEL_MAX);
	value[CN_LABEL_MAX] = '\0';
	snprintf(config, sizeof(config), "<config><policy id='long' label_prefix='%s'/></config>",
	         value);
	expect_selected(config, value, "(none)");
}

CN_TEST(test_only_direct_policy_children)
{
	static const char config[] = "<config>"
	                             "<service><policy id='nested' label='a'/></service>"
	                             "<policies id='plural' label='a'/>"
	                             "<policy id='direct' label_prefix='a'/>"
	                             "</config>";

	expect_selected(config, "a", "direct");
}

CN_TEST(test_matches)
{
	struct cn_xml_doc *doc =
	    parse_ok("<config><policy label='a'/><policy label_prefix='a' label_suffix='z'/>"
	             "<policy/><default-policy/></config>");
	const struct cn_xml_node *exact = cn_xml_child(cn_xml_root(doc), "policy");
	const struct cn_xml_node *both = cn_xml_next(exact, "policy");
	const struct cn_xml_node *none = cn_xml_next(both, "policy");
	const struct cn_xml_node *fallback = cn_xml_child(cn_xml_root(doc), "default-policy");

	CN_ASSERT(cn_policy_matches(exact, "a"));
	CN_ASSERT(cn_policy_matches(exact, " a "));
	CN_ASSERT(!cn_policy_matches(exact, "ab"));
	CN_ASSERT(cn_policy_matches(both, "a -> z"));
	CN_ASSERT(cn_policy_matches(both, "az"));
	CN_ASSERT(!cn_policy_matches(both, "a -> y"));
	CN_ASSERT(!cn_policy_matches(both, "b -> z"));
	CN_ASSERT(!cn_policy_matches(both, "a"));
	CN_ASSERT(!cn_policy_matches(none, "a"));
	CN_ASSERT(!cn_policy_matches(fallback, "a"));
	CN_ASSERT(!cn_policy_matches(NULL, "a"));
	CN_ASSERT(!cn_policy_matches(exact, NULL));
	CN_ASSERT(cn_policy_select(NULL, "a") == NULL);
	CN_ASSERT(cn_policy_select(cn_xml_root(doc), NULL) == NULL);
	CN_ASSERT(cn_policy_select(cn_xml_root(doc), "a") == exact);
	CN_ASSERT(cn_policy_select(cn_xml_root(doc), "b") == fallback);
	cn_xml_free(doc);
}

CN_TEST_MAIN()
