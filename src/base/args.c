/*
 * Genode session-argument strings and session labels.
 *
 * Grammar (spaces and tabs allowed around ',' and '='):
 *   args  := [ pair { ',' pair } ]
 *   pair  := key '=' value
 *   key   := [a-zA-Z_][a-zA-Z0-9_]*
 *   value := [a-zA-Z0-9_]+  |  '"' { printable but '"' '\' | '\"' | '\\' } '"'
 * Every call validates the whole string: a duplicate key, a control
 * character or a string of CN_ARGS_MAX bytes or more makes it malformed, so
 * a peer cannot hide a second "label" behind the first.
 */
#include <cairn/args.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cairn/xml.h>

/* The shortest pair is "a=1" and pairs are separated by ',' */
enum { PAIRS_MAX = CN_ARGS_MAX / 4 };

struct arg {
	const char *key;
	size_t key_len;
	const char *value; /* raw, quotes included */
	size_t value_len;
};

struct parsed_args {
	size_t len;
	unsigned count;
	struct arg pairs[PAIRS_MAX];
};

static bool
is_key_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_word_char(char c)
{
	return is_key_start(c) || (c >= '0' && c <= '9');
}

static bool
is_control(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

static size_t
skip_blanks(const char *s, size_t i)
{
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	return i;
}

static bool
valid_key(const char *key)
{
	if (!key || !is_key_start(key[0]))
		return false;
	while (is_word_char(*key))
		key++;
	return *key == '\0';
}

/* The pair at s[*pos]; advances *pos past it. */
static int
parse_pair(const char *s, size_t *pos, struct arg *arg)
{
	size_t i = *pos;

	if (!is_key_start(s[i]))
		return -EINVAL;
	arg->key = s + i;
	while (is_word_char(s[i]))
		i++;
	arg->key_len = (size_t)(s + i - arg->key);
	i = skip_blanks(s, i);
	if (s[i] != '=')
		return -EINVAL;
	i = skip_blanks(s, i + 1);
	arg->value = s + i;
	if (s[i] == '"') {
		for (i++; s[i] != '"'; i++) {
			if (s[i] == '\\' && (s[i + 1] == '"' || s[i + 1] == '\\'))
				i++;
			else if (s[i] == '\\' || is_control(s[i]))
				return -EINVAL; /* also the terminating NUL */
		}
		i++;
	} else {
		while (is_word_char(s[i]))
			i++;
		if (s + i == arg->value)
			return -EINVAL;
	}
	arg->value_len = (size_t)(s + i - arg->value);
	*pos = i;
	return 0;
}

static const struct arg *
find_pair(const struct parsed_args *parsed, const char *key, size_t key_len)
{
	for (unsigned i = 0; i < parsed->count; i++) {
		const struct arg *arg = &parsed->pairs[i];

		if (arg->key_len == key_len && memcmp(arg->key, key, key_len) == 0)
			return arg;
	}
	return NULL;
}

static int
parse_args(const char *args, struct parsed_args *parsed)
{
	size_t i;

	if (!args)
		return -EINVAL;
	parsed->len = strnlen(args, CN_ARGS_MAX);
	parsed->count = 0;
	if (parsed->len == CN_ARGS_MAX)
		return -EINVAL;
	i = skip_blanks(args, 0);
	if (args[i] == '\0')
		return 0;
	for (;;) {
		struct arg arg;
		int rc = parse_pair(args, &i, &arg);

		if (rc)
			return rc;
		if (find_pair(parsed, arg.key, arg.key_len))
			return -EINVAL;
		assert(parsed->count < PAIRS_MAX);
		parsed->pairs[parsed->count++] = arg;
		i = skip_blanks(args, i);
		if (args[i] == '\0')
			return 0;
		if (args[i] != ',')
			return -EINVAL;
		i = skip_blanks(args, i + 1);
	}
}

/* The value of key in a valid args string: -ENOENT, -EINVAL. */
static int
lookup(const char *args, const char *key, struct parsed_args *parsed, const struct arg **ret_arg)
{
	int rc = parse_args(args, parsed);
	const struct arg *arg;

	if (rc)
		return rc;
	if (!valid_key(key))
		return -EINVAL;
	arg = find_pair(parsed, key, strlen(key));
	if (!arg)
		return -ENOENT;
	*ret_arg = arg;
	return 0;
}

int
cn_args_valid(const char *args)
{
	struct parsed_args parsed;

	return parse_args(args, &parsed);
}

/* Value without quotes and escapes into buf (if not NULL); its length. */
static size_t
unquote(const struct arg *arg, char *buf)
{
	bool quoted = arg->value[0] == '"';
	const char *value = arg->value + quoted;
	size_t len = arg->value_len - 2 * quoted, n = 0;

	for (size_t i = 0; i < len; i++, n++) {
		if (quoted && value[i] == '\\')
			i++;
		if (buf)
			buf[n] = value[i];
	}
	return n;
}

int
cn_args_str(const char *args, const char *key, char *buf, size_t size)
{
	struct parsed_args parsed;
	const struct arg *arg;
	size_t len;
	int rc;

	if (!buf)
		return -EINVAL;
	rc = lookup(args, key, &parsed, &arg);
	if (rc)
		return rc;
	len = unquote(arg, NULL);
	if (len >= size)
		return -ENAMETOOLONG;
	unquote(arg, buf);
	buf[len] = '\0';
	return 0;
}

int
cn_args_u64(const char *args, const char *key, uint64_t *ret)
{
	struct parsed_args parsed;
	const struct arg *arg;
	int rc;

	if (!ret)
		return -EINVAL;
	rc = lookup(args, key, &parsed, &arg);
	if (rc)
		return rc;
	if (arg->value[0] == '"')
		return -EINVAL;
	return cn_parse_u64(arg->value, arg->value_len, ret);
}

struct out {
	char text[CN_ARGS_MAX];
	size_t len;
	bool overflow;
};

static void
append(struct out *out, const char *s, size_t len)
{
	if (out->overflow || len >= sizeof(out->text) - out->len) {
		out->overflow = true;
		return;
	}
	memcpy(out->text + out->len, s, len);
	out->len += len;
}

/* Composed in a local buffer, so buf may be args itself. */
static int
set_arg(const char *args, const char *key, const char *value, size_t value_len, char *buf,
        size_t size)
{
	struct parsed_args parsed;
	const struct arg *old;
	struct out out = {.len = 0};
	int rc = parse_args(args, &parsed);

	if (rc)
		return rc;
	if (!valid_key(key) || !buf)
		return -EINVAL;
	old = find_pair(&parsed, key, strlen(key));
	if (old) {
		size_t head = (size_t)(old->value - args), tail = head + old->value_len;

		append(&out, args, head);
		append(&out, value, value_len);
		append(&out, args + tail, parsed.len - tail);
	} else {
		append(&out, args, parsed.len);
		if (parsed.count)
			append(&out, ", ", 2);
		append(&out, key, strlen(key));
		append(&out, "=", 1);
		append(&out, value, value_len);
	}
	if (out.overflow || out.len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, out.text, out.len);
	buf[out.len] = '\0';
	return 0;
}

int
cn_args_set_str(const char *args, const char *key, const char *value, char *buf, size_t size)
{
	struct out quoted = {.len = 0};

	if (!value)
		return -EINVAL;
	append(&quoted, "\"", 1);
	for (const char *c = value; *c; c++) {
		if (is_control(*c))
			return -EINVAL;
		if (*c == '"' || *c == '\\')
			append(&quoted, "\\", 1);
		append(&quoted, c, 1);
	}
	append(&quoted, "\"", 1);
	if (quoted.overflow)
		return -ENAMETOOLONG;
	return set_arg(args, key, quoted.text, quoted.len, buf, size);
}

int
cn_args_set_u64(const char *args, const char *key, uint64_t value, char *buf, size_t size)
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%" PRIu64, value);

	return set_arg(args, key, digits, (size_t)len, buf, size);
}

int
cn_label_prefixed(const char *prefix, const char *label, char *buf, size_t size)
{
	struct out out = {.len = 0};

	if (!prefix || !label || !buf)
		return -EINVAL;
	append(&out, prefix, strlen(prefix));
	if (*prefix && *label)
		append(&out, CN_LABEL_SEP, strlen(CN_LABEL_SEP));
	append(&out, label, strlen(label));
	if (out.overflow || out.len >= CN_LABEL_MAX || out.len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, out.text, out.len);
	buf[out.len] = '\0';
	return 0;
}

/* Offset of the last separator, not counting one at the very start (as
 * Genode's Session_label::last_element), or 0. */
static size_t
last_separator(const char *label)
{
	size_t len = strlen(label), sep_len = strlen(CN_LABEL_SEP);

	for (size_t i = len >= sep_len ? len - sep_len : 0; i > 0; i--)
		if (memcmp(label + i, CN_LABEL_SEP, sep_len) == 0)
			return i;
	return 0;
}

const char *
cn_label_last(const char *label)
{
	size_t sep;

	if (!label)
		return NULL;
	sep = last_separator(label);
	return sep ? label + sep + strlen(CN_LABEL_SEP) : label;
}

size_t
cn_label_identity_len(const char *label)
{
	return label ? last_separator(label) : 0;
}
