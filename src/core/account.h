/*
 * Quota accounts with Genode's reference-account rules (RAM bytes or caps).
 */
#ifndef CAIRN_CORE_ACCOUNT_H
#define CAIRN_CORE_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

struct cn_account {
	uint64_t quota;         /* what was transferred in */
	uint64_t used;          /* what is charged against it */
	struct cn_account *ref; /* reference account, NULL until set (root: NULL) */
};

static inline uint64_t
cn_account_avail(const struct cn_account *a)
{
	return a->quota - a->used;
}

/* Set the reference account once: -EEXIST if set, -EINVAL for itself. */
int cn_account_set_ref(struct cn_account *a, struct cn_account *ref);
/* Move amount from -> to. Allowed only between an account and its
 * reference account (either direction); -EPERM otherwise, -ENOMEM (RAM)
 * or the caller's out-of-quota error if from lacks available quota. */
int cn_account_transfer(struct cn_account *from, struct cn_account *to, uint64_t amount);
/* Charge amount against a's own quota; -ENOMEM if it does not fit. */
int cn_account_charge(struct cn_account *a, uint64_t amount);
void cn_account_release(struct cn_account *a, uint64_t amount);
/* Close a: everything it holds flows to its reference account (uses are
 * force-released first). Returns the amount moved. */
uint64_t cn_account_close(struct cn_account *a);

#endif
