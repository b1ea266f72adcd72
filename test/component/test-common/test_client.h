/*
 * Helpers of test components that probe servers (test-black_hole,
 * test-rom-hostile): ending with a named failure, and raw requests.
 * Include with -I test/component/test-common (see the folder's users).
 */
#ifndef TEST_CLIENT_H
#define TEST_CLIENT_H

#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/wire.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* Log "Error: <who>: <text>" and exit with 1. */
__attribute__((noreturn, format(printf, 3, 4))) static inline void
test_fail(struct cn_env *env, const char *who, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cn_error(env, "%s: %s", who, text);
	cn_exit(env, 1);
}

/* A request of opcode on cap, with one u64 argument if with_arg; the
 * result code. */
static inline int
test_call(int cap, int32_t opcode, bool with_arg, uint64_t arg)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, opcode);
	if (with_arg)
		cn_msg_put_u64(&msg, arg);
	r = cn_call(cap, &msg);
	cn_msg_reset(&msg);
	return r;
}

#endif
