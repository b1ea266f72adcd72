/*
 * A pseudo-random sequence for randomized tests (xorshift64*): the same
 * seed gives the same sequence on every machine, so a failing run can be
 * repeated. Include with -I test/component/test-common.
 */
#ifndef TEST_RNG_H
#define TEST_RNG_H

#include <stdint.h>

/* A state from a seed (any value, 0 included). */
static inline uint64_t
test_rng_seed(uint64_t seed)
{
	return seed * 0x9E3779B97F4A7C15ull + 1;
}

static inline uint64_t
test_rng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1Dull;
}

#endif
