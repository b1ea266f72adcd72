/*
 * The "Test" session served by test-rpc-server and used by
 * test-rpc-client: one operation per kind of argument the wire carries.
 */
#ifndef CAIRN_TEST_RPC_H
#define CAIRN_TEST_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <cairn/wire.h>

enum test_rpc_op {
	TEST_RPC_ECHO = 1, /* str -> str (the same) */
	TEST_RPC_ADD,      /* u64 a, u64 b -> u64 a + b (wrapping) */
	TEST_RPC_CAP_ECHO, /* cap signal, u32 count: submit count to it -> cap (the same) */
	TEST_RPC_PAYLOAD,  /* u32 len, len bytes -> u32 test_rpc_checksum */
};

enum {
	TEST_RPC_PAYLOAD_MAX = CN_MSG_PAYLOAD_MAX - 8, /* bytes of a PAYLOAD request */
	TEST_RPC_SESSION_RAM = 8192,                   /* what a session costs the server */
	TEST_RPC_SESSION_CAPS = 1,
	TEST_RPC_SESSIONS_MAX = 16,
};

/* FNV-1a: cheap, and a single flipped or moved byte changes it. */
static inline uint32_t
test_rpc_checksum(const uint8_t *data, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

#endif
