/*
 * libFuzzer target for the config parsers: parses the input as XML, walks
 * the whole tree through every accessor, and feeds the bytes to the
 * session-argument and policy functions as well.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/args.h>
#include <cairn/policy.h>
#include <cairn/xml.h>

static const char *const labels[] = {"", "init -> app", "  client  ", "test -> /"};

static void
check_attr(const struct cn_xml_node *node, const struct cn_xml_attr *attr)
{
	char name[256], value[CN_LABEL_MAX];
	uint64_t number;
	bool flag;
	int rc;

	if (attr->name_len >= sizeof(name))
		return;
	memcpy(name, attr->name, attr->name_len);
	name[attr->name_len] = '\0';
	if (cn_xml_attr(node, name) != attr || !cn_xml_has_attr(node, name))
		abort();
	rc = cn_xml_attr_str(node, name, value, sizeof(value));
	if (rc == 0 && !cn_xml_attr_is(node, name, value))
		abort();
	if (rc == 0 && node->parent) {
		/* attribute values make labels that policies actually match */
		const struct cn_xml_node *policy = cn_policy_select(node->parent, value);

		if (policy && policy->parent != node->parent)
			abort();
		(void)cn_policy_matches(node, value);
	}
	if (rc != 0 && rc != -EINVAL && rc != -ENAMETOOLONG)
		abort();
	rc = cn_xml_attr_u64(node, name, &number);
	if (rc != 0 && rc != -EINVAL && rc != -ERANGE)
		abort();
	rc = cn_xml_attr_bool(node, name, &flag);
	if (rc != 0 && rc != -EINVAL)
		abort();
}

static void
walk(const struct cn_xml_node *node, unsigned depth)
{
	char name[256];

	if (depth > CN_XML_MAX_DEPTH || node->src[0] != '<' || node->src_len < 4)
		abort();
	if (node->content < node->src ||
	    node->content + node->content_len > node->src + node->src_len)
		abort();
	for (unsigned i = 0; i < node->num_attrs; i++)
		check_attr(node, &node->attrs[i]);
	if (node->name_len < sizeof(name)) {
		memcpy(name, node->name, node->name_len);
		name[node->name_len] = '\0';
		if (!cn_xml_is(node, name) || cn_xml_count(node, name) > cn_xml_count(node, NULL))
			abort();
	}
	for (unsigned i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		(void)cn_policy_matches(node, labels[i]);
	cn_xml_for_each(child, node, NULL)
	{
		if (child->parent != node)
			abort();
		walk(child, depth + 1);
	}
	for (unsigned i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		const struct cn_xml_node *policy = cn_policy_select(node, labels[i]);

		if (policy && policy->parent != node)
			abort();
	}
}

static void
fuzz_args(const uint8_t *data, size_t size)
{
	char args[CN_ARGS_MAX + 16], value[CN_ARGS_MAX], out[CN_ARGS_MAX], label[CN_LABEL_MAX];
	uint64_t number;
	size_t len = size < sizeof(args) - 1 ? size : sizeof(args) - 1;
	int valid;

	memcpy(args, data, len);
	args[len] = '\0';
	valid = cn_args_valid(args);
	if (cn_args_u64(args, "ram_quota", &number) != -EINVAL && valid != 0)
		abort();
	if (cn_args_str(args, "label", value, sizeof(value)) == 0) {
		if (valid != 0)
			abort();
		if (cn_args_set_str(args, "label", value, out, sizeof(out)) == 0 &&
		    cn_args_valid(out) != 0)
			abort();
		(void)cn_label_last(value);
		(void)cn_label_identity_len(value);
		(void)cn_label_prefixed("init", value, label, sizeof(label));
	}
	if (valid != 0)
		return;
	if (cn_args_set_u64(args, "cap_quota", len, out, sizeof(out)) == 0 &&
	    (cn_args_u64(out, "cap_quota", &number) != 0 || number != len))
		abort();
	if (cn_args_set_str(args, "x", args, out, sizeof(out)) == 0 &&
	    (cn_args_str(out, "x", value, sizeof(value)) != 0 || strcmp(value, args) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cn_xml_doc *doc = NULL;
	struct cn_xml_error err;
	uint64_t number;

	if (cn_xml_parse((const char *)data, size, &doc, &err) == 0) {
		walk(cn_xml_root(doc), 1);
		cn_xml_free(doc);
	} else if (err.line == 0 || err.column == 0 || !memchr(err.msg, '\0', sizeof(err.msg))) {
		abort();
	}
	(void)cn_parse_u64((const char *)data, size, &number);
	fuzz_args(data, size);
	return 0;
}
