#include "account.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>

int
cn_account_set_ref(struct cn_account *a, struct cn_account *ref)
{
	if (!a || !ref || a == ref)
		return -EINVAL;
	if (a->ref)
		return -EEXIST;
	/* no cycles: ref must not (transitively) refer to a */
	for (struct cn_account *r = ref; r; r = r->ref)
		if (r == a)
			return -EINVAL;
	a->ref = ref;
	return 0;
}

int
cn_account_transfer(struct cn_account *from, struct cn_account *to, uint64_t amount)
{
	if (!from || !to || from == to)
		return -EINVAL;
	if (from->ref != to && to->ref != from)
		return -EPERM;
	if (amount > cn_account_avail(from))
		return -ENOMEM;
	from->quota -= amount;
	to->quota += amount;
	return 0;
}

int
cn_account_charge(struct cn_account *a, uint64_t amount)
{
	if (amount > cn_account_avail(a))
		return -ENOMEM;
	a->used += amount;
	return 0;
}

void
cn_account_release(struct cn_account *a, uint64_t amount)
{
	assert(amount <= a->used);
	a->used -= amount;
}

uint64_t
cn_account_close(struct cn_account *a)
{
	uint64_t moved = a->quota;

	a->used = 0;
	if (a->ref)
		a->ref->quota += moved;
	a->quota = 0;
	return moved;
}
