/*
 * Unit tests for session-argument strings and labels (include/cairn/args.h).
 */
#include <cairn/args.h>

#include "cn_test.h"

static const char session_args[] = "label=\"init -> app\", ram_quota=8K, cap_quota=4, diag=yes";

CN_TEST(test_lookup)
{
	char buf[64];
	uint64_t value = 0;

	CN_ASSERT_EQ(cn_args_valid(session_args), 0);
	CN_ASSERT_EQ(cn_args_str(session_args, "label", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "init -> app");
	CN_ASSERT_EQ(cn_args_u64(session_args, "ram_quota", &value), 0);
	CN_ASSERT_EQ(value, 8192);
	CN_ASSERT_EQ(cn_args_u64(session_args, "cap_quota", &value), 0);
	CN_ASSERT_EQ(value, 4);
	CN_ASSERT_EQ(cn_args_str(session_args, "diag", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "yes");
	CN_ASSERT_EQ(cn_args_str(session_args, "ram_quota", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "8K");

	/* keys match whole: no prefixes, no suffixes, case-sensitive */
	CN_ASSERT_EQ(cn_args_u64(session_args, "ram", &value), -ENOENT);
	CN_ASSERT_EQ(cn_args_u64(session_args, "quota", &value), -ENOENT);
	CN_ASSERT_EQ(cn_args_str(session_args, "Label", buf, sizeof(buf)), -ENOENT);
	CN_ASSERT_EQ(cn_args_str("", "label", buf, sizeof(buf)), -ENOENT);
	CN_ASSERT_EQ(cn_args_str("label_x=1", "label", buf, sizeof(buf)), -ENOENT);
}

CN_TEST(test_whitespace_and_forms)
{
	char buf[64];
	uint64_t value = 0;

	CN_ASSERT_EQ(cn_args_valid(""), 0);
	CN_ASSERT_EQ(cn_args_valid("  \t "), 0);
	CN_ASSERT_EQ(cn_args_valid(" a = 1 ,\tb=\"x\" , _c9=0x10K "), 0);
	CN_ASSERT_EQ(cn_args_u64(" a = 1 ,\tb=\"x\" , _c9=0x10K ", "_c9", &value), 0);
	CN_ASSERT_EQ(value, 16384);
	CN_ASSERT_EQ(cn_args_str("a=\"\"", "a", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "");
	CN_ASSERT_EQ(cn_args_str("a=\"x,y=z\", b=1", "a", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "x,y=z");
	CN_ASSERT_EQ(cn_args_str("a=\"x,y=z\", b=1", "y", buf, sizeof(buf)), -ENOENT);
	CN_ASSERT_EQ(cn_args_str("a=\"caf\xC3\xA9 ' <>\"", "a", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "caf\xC3\xA9 ' <>");
}

CN_TEST(test_escapes)
{
	char buf[64];

	CN_ASSERT_EQ(cn_args_str("l=\"say \\\"hi\\\" \\\\ end\"", "l", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "say \"hi\" \\ end");
	CN_ASSERT_EQ(cn_args_str("l=\"\\\\\"", "l", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "\\");
	CN_ASSERT_EQ(cn_args_str("l=\"\\\"\"", "l", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "\"");
	CN_ASSERT_EQ(cn_args_valid("l=\"\\n\""), -EINVAL);
	CN_ASSERT_EQ(cn_args_valid("l=\"\\\""), -EINVAL);
	CN_ASSERT_EQ(cn_args_valid("l=\"a\\\""), -EINVAL);
}

CN_TEST(test_malformed)
{
	static const char *const bad[] = {
	    "a",
	    "a=",
	    "=1",
	    "a=1,",
	    ",a=1",
	    "a=1,,b=2",
	    "a=1 b=2",
	    "1a=1",
	    "a-b=1",
	    "a.b=1",
	    "a=\"x",
	    "a=\"x\\y\"",
	    "a=x y",
	    "a=1;b=2",
	    "a=\"x\"y",
	    "a=\"\n\"",
	    "a=\"\t\"",
	    "a=\"\x7f\"",
	    "a=-1",
	    "a='x'",
	    "a=1, a=2",
	    "a=1,b=2,a=\"3\"",
	    "a==1",
	    "a=x.y",
	    "a=\"x\" \"y\"",
	    "\na=1",
	    "a=1\n",
	    "a =",
	    " , ",
	    "a=\"x\"\"y\"",
	};
	char buf[64] = "untouched";
	uint64_t value = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cn_args_valid(bad[i]) != -EINVAL)
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
		CN_ASSERT_EQ(cn_args_valid(bad[i]), -EINVAL);
		CN_ASSERT_EQ(cn_args_str(bad[i], "a", buf, sizeof(buf)), -EINVAL);
		CN_ASSERT_EQ(cn_args_u64(bad[i], "a", &value), -EINVAL);
		CN_ASSERT_EQ(cn_args_set_u64(bad[i], "a", 1, buf, sizeof(buf)), -EINVAL);
		CN_ASSERT_EQ(cn_args_set_str(bad[i], "a", "x", buf, sizeof(buf)), -EINVAL);
	}
	CN_ASSERT_STR(buf, "untouched");
	CN_ASSERT_EQ(value, 7);
	CN_ASSERT_EQ(cn_args_valid(NULL), -EINVAL);
}

CN_TEST(test_length_limit)
{
	char args[CN_ARGS_MAX + 1], buf[CN_ARGS_MAX];

	/* the longest valid string has CN_ARGS_MAX - 1 bytes */
	memset(args, 'x', sizeof(args));
	memcpy(args, "a=\"", 3);
	args[CN_ARGS_MAX - 2] = '"';
	args[CN_ARGS_MAX - 1] = '\0';
	CN_ASSERT_EQ(cn_args_valid(args), 0);
	CN_ASSERT_EQ(cn_args_str(args, "a", buf, sizeof(buf)), 0);
	CN_ASSERT_EQ(strlen(buf), CN_ARGS_MAX - 5);

	memset(args, 'x', sizeof(args));
	memcpy(args, "a=\"", 3);
	args[CN_ARGS_MAX - 1] = '"';
	args[CN_ARGS_MAX] = '\0';
	CN_ASSERT_EQ(cn_args_valid(args), -EINVAL);
	CN_ASSERT_EQ(cn_args_str(args, "a", buf, sizeof(buf)), -EINVAL);

	/* an unterminated string is not read beyond CN_ARGS_MAX bytes */
	char *unterminated = malloc(CN_ARGS_MAX);
	CN_ASSERT(unterminated);
	memset(unterminated, 'a', CN_ARGS_MAX);
	CN_ASSERT_EQ(cn_args_valid(unterminated), -EINVAL);
	free(unterminated);
}

CN_TEST(test_many_pairs)
{
	char args[CN_ARGS_MAX], *p = args;
	uint64_t value = 0;

	/* as many distinct keys as fit */
	for (int i = 0; p - args < CN_ARGS_MAX - 16; i++)
		p += sprintf(p, "%sk%d=%d", i ? "," : "", i, i);
	CN_ASSERT_EQ(cn_args_valid(args), 0);
	CN_ASSERT_EQ(cn_args_u64(args, "k100", &value), 0);
	CN_ASSERT_EQ(value, 100);
}

CN_TEST(test_str_buffer_size)
{
	char buf[8];

	CN_ASSERT_EQ(cn_args_str("a=\"1234567\"", "a", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "1234567");
	strcpy(buf, "keep");
	CN_ASSERT_EQ(cn_args_str("a=\"12345678\"", "a", buf, sizeof(buf)), -ENAMETOOLONG);
	CN_ASSERT_STR(buf, "keep");
	CN_ASSERT_EQ(cn_args_str("a=12345678", "a", buf, sizeof(buf)), -ENAMETOOLONG);
	CN_ASSERT_EQ(cn_args_str("a=\"\\\\\\\\\"", "a", buf, 3), 0); /* escapes count once */
	CN_ASSERT_STR(buf, "\\\\");
	CN_ASSERT_EQ(cn_args_str("a=1", "a", buf, 0), -ENAMETOOLONG);
	CN_ASSERT_EQ(cn_args_str("a=1", "a", NULL, 8), -EINVAL);
}

CN_TEST(test_invalid_keys)
{
	char buf[8];
	uint64_t value;

	static const char *const bad[] = {"", "1a", "a b", "a-b", "a=", "é"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CN_ASSERT_EQ(cn_args_str("a=1", bad[i], buf, sizeof(buf)), -EINVAL);
		CN_ASSERT_EQ(cn_args_u64("a=1", bad[i], &value), -EINVAL);
		CN_ASSERT_EQ(cn_args_set_u64("a=1", bad[i], 1, buf, sizeof(buf)), -EINVAL);
		CN_ASSERT_EQ(cn_args_set_str("a=1", bad[i], "x", buf, sizeof(buf)), -EINVAL);
	}
	CN_ASSERT_EQ(cn_args_str("a=1", NULL, buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_args_u64("a=1", NULL, &value), -EINVAL);
}

CN_TEST(test_u64)
{
	uint64_t value = 7;

	CN_ASSERT_EQ(cn_args_u64("a=0x10, b=3G", "a", &value), 0);
	CN_ASSERT_EQ(value, 16);
	CN_ASSERT_EQ(cn_args_u64("a=0x10, b=3G", "b", &value), 0);
	CN_ASSERT_EQ(value, 3ULL << 30);
	CN_ASSERT_EQ(cn_args_u64("a=18446744073709551615", "a", &value), 0);
	CN_ASSERT(value == UINT64_MAX);
	value = 7;
	CN_ASSERT_EQ(cn_args_u64("a=18446744073709551616", "a", &value), -ERANGE);
	CN_ASSERT_EQ(cn_args_u64("a=12Q", "a", &value), -EINVAL);
	CN_ASSERT_EQ(cn_args_u64("a=\"12\"", "a", &value), -EINVAL);
	CN_ASSERT_EQ(cn_args_u64("a=yes", "a", &value), -EINVAL);
	CN_ASSERT_EQ(cn_args_u64("a=1", "b", &value), -ENOENT);
	CN_ASSERT_EQ(value, 7);
	CN_ASSERT_EQ(cn_args_u64("a=1", "a", NULL), -EINVAL);
}

CN_TEST(test_set_str)
{
	char buf[CN_ARGS_MAX], value[64];
	uint64_t number;

	CN_ASSERT_EQ(cn_args_set_str(session_args, "label", "other", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "label=\"other\", ram_quota=8K, cap_quota=4, diag=yes");
	CN_ASSERT_EQ(cn_args_set_str(session_args, "diag", "no", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "label=\"init -> app\", ram_quota=8K, cap_quota=4, diag=\"no\"");
	CN_ASSERT_EQ(cn_args_set_str(session_args, "new", "v", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "label=\"init -> app\", ram_quota=8K, cap_quota=4, diag=yes, new=\"v\"");
	CN_ASSERT_EQ(cn_args_set_str("", "label", "x", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "label=\"x\"");
	CN_ASSERT_EQ(cn_args_set_str("  ", "label", "", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "  label=\"\"");
	CN_ASSERT_EQ(cn_args_set_str("a = \"old\" , b=1", "a", "new", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "a = \"new\" , b=1");

	/* quotes and backslashes are escaped and come back unchanged */
	CN_ASSERT_EQ(cn_args_set_str("a=1", "l", "q\"b\\e\\\"", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "a=1, l=\"q\\\"b\\\\e\\\\\\\"\"");
	CN_ASSERT_EQ(cn_args_valid(buf), 0);
	CN_ASSERT_EQ(cn_args_str(buf, "l", value, sizeof(value)), 0);
	CN_ASSERT_STR(value, "q\"b\\e\\\"");
	CN_ASSERT_EQ(cn_args_u64(buf, "a", &number), 0);
	CN_ASSERT_EQ(number, 1);

	/* values that a string cannot carry */
	CN_ASSERT_EQ(cn_args_set_str("a=1", "l", "line\nbreak", buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_args_set_str("a=1", "l", "\x7f", buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_args_set_str("a=1", "l", NULL, buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_args_set_str("a=1", "l", "x", NULL, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_args_set_str(NULL, "l", "x", buf, sizeof(buf)), -EINVAL);
}

CN_TEST(test_set_in_place)
{
	char buf[128] = "label=\"a\", ram_quota=1K";
	uint64_t number;

	CN_ASSERT_EQ(cn_args_set_str(buf, "label", "init -> a", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "label=\"init -> a\", ram_quota=1K");
	CN_ASSERT_EQ(cn_args_set_u64(buf, "ram_quota", 4096, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "label=\"init -> a\", ram_quota=4096");
	CN_ASSERT_EQ(cn_args_set_str(buf, "x", buf, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "label=\"init -> a\", ram_quota=4096, x=\"label=\\\"init -> a\\\", "
	                   "ram_quota=4096\"");
	CN_ASSERT_EQ(cn_args_u64(buf, "ram_quota", &number), 0);
	CN_ASSERT_EQ(number, 4096);
}

CN_TEST(test_set_size_limits)
{
	char buf[16] = "untouched";

	/* "a=1, b=\"xyz\"" is 12 bytes: fits in 13, not in 12 */
	CN_ASSERT_EQ(cn_args_set_str("a=1", "b", "xyz", buf, 13), 0);
	CN_ASSERT_STR(buf, "a=1, b=\"xyz\"");
	strcpy(buf, "untouched");
	CN_ASSERT_EQ(cn_args_set_str("a=1", "b", "xyz", buf, 12), -ENAMETOOLONG);
	CN_ASSERT_STR(buf, "untouched");
	CN_ASSERT_EQ(cn_args_set_u64("a=1", "b", 12345, buf, 12), -ENAMETOOLONG);
	CN_ASSERT_STR(buf, "untouched");
	CN_ASSERT_EQ(cn_args_set_u64("a=1", "b", 12345, buf, 13), 0);
	CN_ASSERT_STR(buf, "a=1, b=12345");
}

CN_TEST(test_set_result_limit)
{
	char big[CN_ARGS_MAX + 8], value[CN_ARGS_MAX];

	/* a result of CN_ARGS_MAX - 1 bytes is allowed, one more is not,
	 * however large the buffer */
	memset(value, 'v', sizeof(value));
	value[CN_ARGS_MAX - 1 - strlen("k=\"\"")] = '\0';
	CN_ASSERT_EQ(cn_args_set_str("", "k", value, big, sizeof(big)), 0);
	CN_ASSERT_EQ(strlen(big), CN_ARGS_MAX - 1);
	CN_ASSERT_EQ(cn_args_valid(big), 0);
	value[CN_ARGS_MAX - strlen("k=\"\"")] = '\0';
	value[CN_ARGS_MAX - 1 - strlen("k=\"\"")] = 'v';
	CN_ASSERT_EQ(cn_args_set_str("", "k", value, big, sizeof(big)), -ENAMETOOLONG);
	/* escaping doubles the length */
	memset(value, '"', 600);
	value[600] = '\0';
	CN_ASSERT_EQ(cn_args_set_str("", "k", value, big, sizeof(big)), -ENAMETOOLONG);
}

CN_TEST(test_set_u64)
{
	char buf[CN_ARGS_MAX];
	uint64_t number = 0;

	CN_ASSERT_EQ(cn_args_set_u64(session_args, "ram_quota", 1 << 20, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "label=\"init -> app\", ram_quota=1048576, cap_quota=4, diag=yes");
	CN_ASSERT_EQ(cn_args_set_u64("label=\"x\"", "label", 5, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "label=5");
	CN_ASSERT_EQ(cn_args_set_u64("", "n", UINT64_MAX, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "n=18446744073709551615");
	CN_ASSERT_EQ(cn_args_u64(buf, "n", &number), 0);
	CN_ASSERT(number == UINT64_MAX);
	CN_ASSERT_EQ(cn_args_set_u64("", "n", 0, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "n=0");
	CN_ASSERT_EQ(cn_args_set_u64("", "n", 0, buf, 3), -ENAMETOOLONG);
	CN_ASSERT_EQ(cn_args_set_u64("", "n", 0, buf, 0), -ENAMETOOLONG);
}

CN_TEST(test_label_prefixed)
{
	char buf[CN_LABEL_MAX + 8], long_label[CN_LABEL_MAX + 1];

	CN_ASSERT_EQ(cn_label_prefixed("init", "app", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "init -> app");
	CN_ASSERT_EQ(cn_label_prefixed("init", "", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "init");
	CN_ASSERT_EQ(cn_label_prefixed("", "app", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "app");
	CN_ASSERT_EQ(cn_label_prefixed("", "", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "");
	CN_ASSERT_EQ(cn_label_prefixed("init", "app -> log", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "init -> app -> log");

	/* the buffer may be an input */
	strcpy(buf, "app");
	CN_ASSERT_EQ(cn_label_prefixed("init", buf, buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "init -> app");
	CN_ASSERT_EQ(cn_label_prefixed(buf, "log", buf, sizeof(buf)), 0);
	CN_ASSERT_STR(buf, "init -> app -> log");

	/* "a -> b" is 6 bytes: fits in 7, not in 6 */
	CN_ASSERT_EQ(cn_label_prefixed("a", "b", buf, 7), 0);
	strcpy(buf, "keep");
	CN_ASSERT_EQ(cn_label_prefixed("a", "b", buf, 6), -ENAMETOOLONG);
	CN_ASSERT_STR(buf, "keep");

	/* never longer than CN_LABEL_MAX - 1, whatever the buffer */
	memset(long_label, 'x', sizeof(long_label));
	long_label[CN_LABEL_MAX - 1 - strlen("a -> ")] = '\0';
	CN_ASSERT_EQ(cn_label_prefixed("a", long_label, buf, sizeof(buf)), 0);
	CN_ASSERT_EQ(strlen(buf), CN_LABEL_MAX - 1);
	long_label[CN_LABEL_MAX - 1 - strlen("a -> ")] = 'x';
	long_label[CN_LABEL_MAX - strlen("a -> ")] = '\0';
	CN_ASSERT_EQ(cn_label_prefixed("a", long_label, buf, sizeof(buf)), -ENAMETOOLONG);
	memset(long_label, 'x', CN_LABEL_MAX);
	long_label[CN_LABEL_MAX] = '\0';
	CN_ASSERT_EQ(cn_label_prefixed(long_label, "", buf, sizeof(buf)), -ENAMETOOLONG);
	CN_ASSERT_EQ(cn_label_prefixed("", long_label, buf, sizeof(buf)), -ENAMETOOLONG);
	long_label[CN_LABEL_MAX - 1] = '\0';
	CN_ASSERT_EQ(cn_label_prefixed(long_label, "", buf, sizeof(buf)), 0);

	CN_ASSERT_EQ(cn_label_prefixed(NULL, "a", buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_label_prefixed("a", NULL, buf, sizeof(buf)), -EINVAL);
	CN_ASSERT_EQ(cn_label_prefixed("a", "b", NULL, sizeof(buf)), -EINVAL);
}

CN_TEST(test_label_last_and_identity)
{
	static const struct {
		const char *label, *last;
		size_t identity_len;
	} cases[] = {
	    {"init -> app -> log", "log", 11},
	    {"init -> app", "app", 4},
	    {"app", "app", 0},
	    {"", "", 0},
	    {"a -> ", "", 1},
	    {" -> x", " -> x", 0}, /* a separator at the very start does not count */
	    {"a ->b", "a ->b", 0},
	    {"a -> -> b", "b", 4},
	    {"x ->  -> y", "y", 5},
	    {"a->b -> c", "c", 4},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *last = cn_label_last(cases[i].label);

		CN_ASSERT_STR(last, cases[i].last);
		CN_ASSERT(last >= cases[i].label);
		CN_ASSERT_EQ(cn_label_identity_len(cases[i].label), cases[i].identity_len);
	}
	CN_ASSERT(cn_label_last(NULL) == NULL);
	CN_ASSERT_EQ(cn_label_identity_len(NULL), 0);
}

CN_TEST_MAIN()
