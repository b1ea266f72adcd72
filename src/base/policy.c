/*
 * Server-side policy selection, following Genode's Node_label_score
 * (os/session_policy.h, 25.11). Attribute values are decoded into a buffer
 * of CN_LABEL_MAX bytes: a value that does not fit is longer than any valid
 * label and never matches.
 */
#include <cairn/policy.h>

#include <string.h>

#include <cairn/args.h>

struct span {
	const char *s;
	size_t len;
};

struct label_score {
	bool matches; /* every present attribute matches, and at least one is present */
	bool has_label, has_prefix, has_suffix;
	size_t prefix_len, suffix_len;
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static struct span
trimmed(const char *s, size_t len)
{
	while (len && is_space(s[0])) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	return (struct span){s, len};
}

enum match { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX };

/* Matches the trimmed, decoded attribute value against label; *ret_len is
 * the value's length. */
static bool
value_matches(const struct cn_xml_attr *attr, struct span label, enum match how, size_t *ret_len)
{
	struct span raw = trimmed(attr->value, attr->value_len), value;
	char decoded[CN_LABEL_MAX];

	if (cn_xml_decode(raw.s, raw.len, decoded, sizeof(decoded)) != 0)
		return false;
	value = trimmed(decoded, strlen(decoded));
	if (value.len > label.len)
		return false;
	*ret_len = value.len;
	switch (how) {
	case MATCH_EXACT:
		return value.len == label.len && memcmp(value.s, label.s, value.len) == 0;
	case MATCH_PREFIX:
		return memcmp(value.s, label.s, value.len) == 0;
	case MATCH_SUFFIX:
		return memcmp(value.s, label.s + label.len - value.len, value.len) == 0;
	}
	return false;
}

static struct label_score
score(const struct cn_xml_node *node, struct span label)
{
	const struct cn_xml_attr *exact = cn_xml_attr(node, "label");
	const struct cn_xml_attr *prefix = cn_xml_attr(node, "label_prefix");
	const struct cn_xml_attr *suffix = cn_xml_attr(node, "label_suffix");
	struct label_score score = {
	    .has_label = exact != NULL,
	    .has_prefix = prefix != NULL,
	    .has_suffix = suffix != NULL,
	};
	size_t exact_len;

	score.matches =
	    (exact || prefix || suffix) &&
	    (!exact || value_matches(exact, label, MATCH_EXACT, &exact_len)) &&
	    (!prefix || value_matches(prefix, label, MATCH_PREFIX, &score.prefix_len)) &&
	    (!suffix || value_matches(suffix, label, MATCH_SUFFIX, &score.suffix_len));
	return score;
}

/* Whether a (matching) beats the best so far, b. Ties keep b. */
static bool
stronger(const struct label_score *a, const struct label_score *b)
{
	if (!a->matches)
		return false;
	if (!b->matches)
		return true;
	if (a->has_label != b->has_label)
		return a->has_label;
	if (a->has_prefix != b->has_prefix)
		return a->has_prefix;
	if (a->has_prefix && a->prefix_len != b->prefix_len)
		return a->prefix_len > b->prefix_len;
	if (a->has_suffix != b->has_suffix)
		return a->has_suffix;
	return a->has_suffix && a->suffix_len > b->suffix_len;
}

bool
cn_policy_matches(const struct cn_xml_node *node, const char *label)
{
	if (!node || !label)
		return false;
	return score(node, trimmed(label, strlen(label))).matches;
}

const struct cn_xml_node *
cn_policy_select(const struct cn_xml_node *config, const char *label)
{
	const struct cn_xml_node *best = NULL;
	struct label_score best_score = {.matches = false};
	struct span trimmed_label;

	if (!config || !label)
		return NULL;
	trimmed_label = trimmed(label, strlen(label));
	cn_xml_for_each(policy, config, "policy")
	{
		struct label_score policy_score = score(policy, trimmed_label);

		if (stronger(&policy_score, &best_score)) {
			best = policy;
			best_score = policy_score;
		}
	}
	return best ? best : cn_xml_child(config, "default-policy");
}
