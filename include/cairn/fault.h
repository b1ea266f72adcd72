/*
 * Fault injection for tests (SQLite-style): the system calls that can fail
 * in ways a test cannot provoke otherwise go through a seam that a test can
 * arm to fail at the n-th next use. Process-local; unarmed, a seam costs
 * one predictable branch. This is the one piece of mutable state in the
 * library, and only tests write it.
 */
#ifndef CAIRN_FAULT_H
#define CAIRN_FAULT_H

#include <stdbool.h>

enum cn_fault_seam {
	CN_FAULT_SEND,       /* sendmsg in the wire module */
	CN_FAULT_SOCKETPAIR, /* creation of an object or reply channel */
	CN_FAULT_MEMFD,      /* memfd_create for a dataspace (core) */
	CN_FAULT_SPAWN,      /* process creation (core) */
	CN_FAULT_SEAM_COUNT,
};

/* Make the n-th next use of seam fail (1 = the next one); 0 disarms. */
void cn_fault_inject(enum cn_fault_seam seam, unsigned n);
/* Called at the seam: true if this use must fail. */
bool cn_fault_check(enum cn_fault_seam seam);

#endif
