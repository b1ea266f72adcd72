/*
 * Genode session-argument strings: comma-separated key=value pairs where a
 * value is a number (with optional K/M/G suffix) or a double-quoted string,
 * e.g.  label="init -> app", ram_quota=8K, cap_quota=4
 * Also session-label helpers (separator " -> ").
 */
#ifndef CAIRN_ARGS_H
#define CAIRN_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CN_ARGS_MAX = 1024, /* bytes of an argument string incl. NUL */
	CN_LABEL_MAX = 512, /* bytes of a session label incl. NUL */
	CN_SERVICE_NAME_MAX = 64,
};

#define CN_LABEL_SEP " -> "

/* Value of key as string (quotes removed, \" unescaped) into buf. -ENOENT if
 * the key is absent, -ENAMETOOLONG if too small, -EINVAL if malformed. */
int cn_args_str(const char *args, const char *key, char *buf, size_t size);
/* Numeric value of key (Genode number with K/M/G). -ENOENT, -EINVAL, -ERANGE. */
int cn_args_u64(const char *args, const char *key, uint64_t *ret);
/* Rewrite args into buf with key set to a quoted string value (replacing an
 * existing key, else appending). -ENAMETOOLONG if it does not fit. */
int cn_args_set_str(const char *args, const char *key, const char *value, char *buf, size_t size);
/* Same with a decimal number value. */
int cn_args_set_u64(const char *args, const char *key, uint64_t value, char *buf, size_t size);
/* Validate the whole string's syntax: 0 or -EINVAL. */
int cn_args_valid(const char *args);

/* "prefix -> label" into buf, or just prefix if label is empty.
 * -ENAMETOOLONG if it does not fit. */
int cn_label_prefixed(const char *prefix, const char *label, char *buf, size_t size);
/* Pointer to the last element of label (after the last " -> "), or label. */
const char *cn_label_last(const char *label);
/* Length of the label without its last element and separator (the
 * "identity"); 0 if label has a single element. */
size_t cn_label_identity_len(const char *label);

#endif
