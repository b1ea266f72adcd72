/*
 * LOG session and the component-side log functions. A line is written
 * as `[label] text` by core; warnings and errors carry Genode's colours.
 */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

#include <stddef.h>

enum cn_log_op {
	CN_LOG_WRITE = 1, /* str text */
};

enum {
	CN_LOG_LINE_MAX = 1024, /* longer messages are split */
};

struct cn_env;

__attribute__((format(printf, 2, 3))) void cn_log(struct cn_env *env, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void cn_warning(struct cn_env *env, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void cn_error(struct cn_env *env, const char *fmt, ...);
struct cn_xml_node;
/* An error about a node of the component's config, naming its place:
 * "Error: config:<line>:<column>: text". */
__attribute__((format(printf, 3, 4))) void
cn_config_error(struct cn_env *env, const struct cn_xml_node *node, const char *fmt, ...);
/* Write one message on a LOG session capability. */
int cn_log_write(int log_cap, const char *text);

struct cn_rpc;
/* Server side: decode a LOG request into text (at least CN_MSG_STR_MAX + 1
 * bytes): 0, or CN_ERR_INVALID_OPCODE / CN_ERR_BAD_MESSAGE to answer. */
int cn_log_request(struct cn_rpc *rpc, char *text, size_t size);

#endif
