/*
 * Unit tests for quota accounts (src/core/account.h): Genode's reference
 * account rules and the arithmetic that must never create or lose quota.
 */
#include "account.h"

#include <errno.h>
#include <stdint.h>

#include "cn_test.h"

CN_TEST(test_set_ref_once)
{
	struct cn_account root = {0}, a = {0}, b = {0};

	CN_ASSERT_EQ(cn_account_set_ref(&a, &root), 0);
	CN_ASSERT(a.ref == &root);
	CN_ASSERT_EQ(cn_account_set_ref(&a, &root), -EEXIST);
	CN_ASSERT_EQ(cn_account_set_ref(&a, &b), -EEXIST);
	CN_ASSERT(a.ref == &root);

	CN_ASSERT_EQ(cn_account_set_ref(&b, &b), -EINVAL);
	CN_ASSERT(b.ref == NULL);
	CN_ASSERT_EQ(cn_account_set_ref(&b, NULL), -EINVAL);
	CN_ASSERT_EQ(cn_account_set_ref(NULL, &b), -EINVAL);
	CN_ASSERT(b.ref == NULL);
}

CN_TEST(test_set_ref_no_cycles)
{
	struct cn_account a = {0}, b = {0}, c = {0}, d = {0};

	/* d <- c <- b <- a, i.e. a refers to b, b to c, c to d */
	CN_ASSERT_EQ(cn_account_set_ref(&a, &b), 0);
	CN_ASSERT_EQ(cn_account_set_ref(&b, &c), 0);
	CN_ASSERT_EQ(cn_account_set_ref(&c, &d), 0);
	/* closing the loop at any length is refused */
	CN_ASSERT_EQ(cn_account_set_ref(&d, &c), -EINVAL);
	CN_ASSERT_EQ(cn_account_set_ref(&d, &b), -EINVAL);
	CN_ASSERT_EQ(cn_account_set_ref(&d, &a), -EINVAL);
	CN_ASSERT(d.ref == NULL);

	/* a two-account loop, before anything else is set */
	struct cn_account x = {0}, y = {0};
	CN_ASSERT_EQ(cn_account_set_ref(&x, &y), 0);
	CN_ASSERT_EQ(cn_account_set_ref(&y, &x), -EINVAL);
	CN_ASSERT(y.ref == NULL);
}

CN_TEST(test_transfer_rules)
{
	struct cn_account root = {.quota = 1000}, child = {0}, sibling = {0}, grandchild = {0},
	                  stranger = {.quota = 50};

	CN_ASSERT_EQ(cn_account_set_ref(&child, &root), 0);
	CN_ASSERT_EQ(cn_account_set_ref(&sibling, &root), 0);
	CN_ASSERT_EQ(cn_account_set_ref(&grandchild, &child), 0);

	/* down and up between an account and its reference */
	CN_ASSERT_EQ(cn_account_transfer(&root, &child, 300), 0);
	CN_ASSERT_EQ(root.quota, 700);
	CN_ASSERT_EQ(child.quota, 300);
	CN_ASSERT_EQ(cn_account_transfer(&child, &root, 100), 0);
	CN_ASSERT_EQ(root.quota, 800);
	CN_ASSERT_EQ(child.quota, 200);
	CN_ASSERT_EQ(cn_account_transfer(&root, &sibling, 100), 0);
	CN_ASSERT_EQ(cn_account_transfer(&child, &grandchild, 50), 0);
	CN_ASSERT_EQ(cn_account_transfer(&grandchild, &child, 10), 0);
	CN_ASSERT_EQ(grandchild.quota, 40);
	CN_ASSERT_EQ(child.quota, 160);

	/* nowhere else: siblings, grandparent, strangers */
	CN_ASSERT_EQ(cn_account_transfer(&child, &sibling, 1), -EPERM);
	CN_ASSERT_EQ(cn_account_transfer(&sibling, &child, 1), -EPERM);
	CN_ASSERT_EQ(cn_account_transfer(&grandchild, &root, 1), -EPERM);
	CN_ASSERT_EQ(cn_account_transfer(&root, &grandchild, 1), -EPERM);
	CN_ASSERT_EQ(cn_account_transfer(&grandchild, &sibling, 1), -EPERM);
	CN_ASSERT_EQ(cn_account_transfer(&stranger, &root, 1), -EPERM);
	CN_ASSERT_EQ(cn_account_transfer(&root, &stranger, 1), -EPERM);
	/* refused even for nothing: the relation is checked, not the amount */
	CN_ASSERT_EQ(cn_account_transfer(&child, &sibling, 0), -EPERM);
	CN_ASSERT_EQ(cn_account_transfer(&root, &root, 1), -EINVAL);
	CN_ASSERT_EQ(cn_account_transfer(NULL, &root, 1), -EINVAL);
	CN_ASSERT_EQ(cn_account_transfer(&root, NULL, 1), -EINVAL);

	/* nothing moved by the refusals */
	CN_ASSERT_EQ(root.quota, 700);
	CN_ASSERT_EQ(child.quota, 160);
	CN_ASSERT_EQ(sibling.quota, 100);
	CN_ASSERT_EQ(grandchild.quota, 40);
	CN_ASSERT_EQ(stranger.quota, 50);
}

CN_TEST(test_transfer_only_available)
{
	struct cn_account root = {.quota = 1000}, child = {0};

	CN_ASSERT_EQ(cn_account_set_ref(&child, &root), 0);
	CN_ASSERT_EQ(cn_account_transfer(&root, &child, 1001), -ENOMEM);
	CN_ASSERT_EQ(cn_account_transfer(&root, &child, UINT64_MAX), -ENOMEM);
	CN_ASSERT_EQ(cn_account_transfer(&root, &child, 100), 0);

	CN_ASSERT_EQ(cn_account_charge(&child, 60), 0);
	CN_ASSERT_EQ(cn_account_avail(&child), 40);
	/* never below what is in use */
	CN_ASSERT_EQ(cn_account_transfer(&child, &root, 41), -ENOMEM);
	CN_ASSERT_EQ(cn_account_transfer(&child, &root, 100), -ENOMEM);
	CN_ASSERT_EQ(child.quota, 100);
	CN_ASSERT_EQ(root.quota, 900);
	CN_ASSERT_EQ(cn_account_transfer(&child, &root, 40), 0);
	CN_ASSERT_EQ(child.quota, 60);
	CN_ASSERT_EQ(cn_account_avail(&child), 0);
	CN_ASSERT_EQ(cn_account_transfer(&child, &root, 1), -ENOMEM);
	CN_ASSERT_EQ(cn_account_transfer(&child, &root, 0), 0);

	/* the reference's own use bounds what it can give */
	CN_ASSERT_EQ(cn_account_charge(&root, 940), 0);
	CN_ASSERT_EQ(cn_account_transfer(&root, &child, 1), -ENOMEM);
	CN_ASSERT_EQ(root.quota, 940);
	CN_ASSERT_EQ(child.quota, 60);
}

CN_TEST(test_charge_release)
{
	struct cn_account a = {.quota = 100};

	CN_ASSERT_EQ(cn_account_charge(&a, 0), 0);
	CN_ASSERT_EQ(cn_account_charge(&a, 101), -ENOMEM);
	CN_ASSERT_EQ(cn_account_charge(&a, UINT64_MAX), -ENOMEM);
	CN_ASSERT_EQ(a.used, 0);
	CN_ASSERT_EQ(cn_account_charge(&a, 70), 0);
	CN_ASSERT_EQ(cn_account_charge(&a, 31), -ENOMEM);
	CN_ASSERT_EQ(cn_account_charge(&a, 30), 0);
	CN_ASSERT_EQ(a.used, 100);
	CN_ASSERT_EQ(cn_account_avail(&a), 0);
	CN_ASSERT_EQ(cn_account_charge(&a, 1), -ENOMEM);
	cn_account_release(&a, 30);
	CN_ASSERT_EQ(cn_account_avail(&a), 30);
	cn_account_release(&a, 70);
	CN_ASSERT_EQ(a.used, 0);
	CN_ASSERT_EQ(a.quota, 100);
}

CN_TEST(test_close_returns_everything)
{
	struct cn_account root = {.quota = 1000}, child = {0};

	CN_ASSERT_EQ(cn_account_set_ref(&child, &root), 0);
	CN_ASSERT_EQ(cn_account_transfer(&root, &child, 300), 0);
	CN_ASSERT_EQ(cn_account_charge(&child, 250), 0);
	CN_ASSERT_EQ(cn_account_charge(&root, 100), 0);

	/* uses are force-released: all 300 flow back, not the 50 available */
	CN_ASSERT_EQ(cn_account_close(&child), 300);
	CN_ASSERT_EQ(child.quota, 0);
	CN_ASSERT_EQ(child.used, 0);
	CN_ASSERT_EQ(root.quota, 1000);
	CN_ASSERT_EQ(root.used, 100); /* the reference's own use is its own */

	/* closing an empty account moves nothing */
	CN_ASSERT_EQ(cn_account_close(&child), 0);
	CN_ASSERT_EQ(root.quota, 1000);
}

/*
 * The invariant: whatever sequence of operations is tried, quota is only
 * ever moved, never created or lost, and no account uses more than it has.
 * A model decides for each operation whether it must succeed.
 */
enum { INV_ACCOUNTS = 16, INV_STEPS = 100000, INV_TOTAL = 1000000 };

struct inv_state {
	struct cn_account acc[INV_ACCOUNTS];
	int parent[INV_ACCOUNTS]; /* model of .ref: index, -1 for the root */
	uint64_t seed;
};

static uint32_t
inv_rand(struct inv_state *s)
{
	/* xorshift64*: deterministic across libcs */
	s->seed ^= s->seed >> 12;
	s->seed ^= s->seed << 25;
	s->seed ^= s->seed >> 27;
	return (uint32_t)((s->seed * 0x2545f4914f6cdd1dull) >> 32);
}

static uint64_t
inv_amount(struct inv_state *s, uint64_t avail)
{
	switch (inv_rand(s) % 4) {
	case 0:
		return avail;
	case 1:
		return avail + 1 + inv_rand(s) % 100;
	default:
		return avail ? inv_rand(s) % (avail + 1) : 0;
	}
}

static void
inv_check(const struct inv_state *s)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < INV_ACCOUNTS; i++) {
		CN_ASSERT(s->acc[i].used <= s->acc[i].quota);
		CN_ASSERT(s->acc[i].quota <= INV_TOTAL);
		sum += s->acc[i].quota;
		if (s->parent[i] < 0)
			CN_ASSERT(s->acc[i].ref == NULL);
		else
			CN_ASSERT(s->acc[i].ref == &s->acc[s->parent[i]]);
	}
	CN_ASSERT_EQ(sum, INV_TOTAL);
}

/* Replace leaf i (its quota already returned) by a fresh account under a
 * random other account. */
static void
inv_reopen(struct inv_state *s, unsigned i)
{
	unsigned p;

	do
		p = inv_rand(s) % INV_ACCOUNTS;
	while (p == i);
	s->acc[i] = (struct cn_account){0};
	CN_ASSERT_EQ(cn_account_set_ref(&s->acc[i], &s->acc[p]), 0);
	s->parent[i] = (int)p;
}

static bool
inv_has_children(const struct inv_state *s, unsigned i)
{
	for (unsigned j = 0; j < INV_ACCOUNTS; j++)
		if (s->parent[j] == (int)i)
			return true;
	return false;
}

CN_TEST(test_random_operations_keep_quota)
{
	static struct inv_state s;
	unsigned done[5] = {0};

	s.seed = 0x9e3779b97f4a7c15ull;
	s.acc[0].quota = INV_TOTAL;
	s.parent[0] = -1;
	/* a random tree: every account refers to one created before it */
	for (unsigned i = 1; i < INV_ACCOUNTS; i++) {
		s.parent[i] = (int)(inv_rand(&s) % i);
		CN_ASSERT_EQ(cn_account_set_ref(&s.acc[i], &s.acc[s.parent[i]]), 0);
	}
	inv_check(&s);

	for (unsigned step = 0; step < INV_STEPS; step++) {
		unsigned a = inv_rand(&s) % INV_ACCOUNTS, b = inv_rand(&s) % INV_ACCOUNTS;
		struct cn_account *from = &s.acc[a], *to = &s.acc[b];
		struct cn_account before_from = *from, before_to = *to;
		uint64_t amount;
		int r;

		switch (inv_rand(&s) % 8) {
		case 0:
		case 1:
		case 2: { /* transfer between any two: the model says if it may */
			bool related = a != b && (s.parent[a] == (int)b || s.parent[b] == (int)a);

			amount = inv_amount(&s, cn_account_avail(from));
			r = cn_account_transfer(from, to, amount);
			if (a == b)
				CN_ASSERT_EQ(r, -EINVAL);
			else if (!related)
				CN_ASSERT_EQ(r, -EPERM);
			else if (amount > before_from.quota - before_from.used)
				CN_ASSERT_EQ(r, -ENOMEM);
			else
				CN_ASSERT_EQ(r, 0);
			if (r == 0) {
				CN_ASSERT_EQ(from->quota, before_from.quota - amount);
				CN_ASSERT_EQ(to->quota, before_to.quota + amount);
				done[0]++;
			} else {
				CN_ASSERT(from->quota == before_from.quota);
				CN_ASSERT(to->quota == before_to.quota);
			}
			break;
		}
		case 3:
		case 4: /* charge */
			amount = inv_amount(&s, cn_account_avail(from));
			r = cn_account_charge(from, amount);
			CN_ASSERT_EQ(r,
			             amount > before_from.quota - before_from.used ? -ENOMEM : 0);
			CN_ASSERT_EQ(from->used, before_from.used + (r == 0 ? amount : 0));
			done[1] += r == 0;
			break;
		case 5:
		case 6: /* release part of what is used */
			amount = from->used ? inv_rand(&s) % (from->used + 1) : 0;
			cn_account_release(from, amount);
			CN_ASSERT_EQ(from->used, before_from.used - amount);
			done[2]++;
			break;
		case 7: /* close a leaf (not the root) and open a new one */
			if (s.parent[a] < 0 || inv_has_children(&s, a))
				break;
			{
				struct cn_account *ref = from->ref, before_ref = *ref;

				CN_ASSERT_EQ(cn_account_close(from), before_from.quota);
				CN_ASSERT_EQ(from->quota, 0);
				CN_ASSERT_EQ(from->used, 0);
				CN_ASSERT_EQ(ref->quota, before_ref.quota + before_from.quota);
				CN_ASSERT_EQ(ref->used, before_ref.used);
				inv_check(&s);
				inv_reopen(&s, a);
				done[3]++;
			}
			break;
		}
		inv_check(&s);
	}
	/* the sequence exercised every operation */
	for (unsigned i = 0; i < 4; i++)
		CN_ASSERT(done[i] > 100);
}

CN_TEST_MAIN()
