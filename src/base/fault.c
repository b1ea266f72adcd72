#include <cairn/fault.h>

static unsigned countdown[CN_FAULT_SEAM_COUNT];

void
cn_fault_inject(enum cn_fault_seam seam, unsigned n)
{
	if ((unsigned)seam < CN_FAULT_SEAM_COUNT)
		countdown[seam] = n;
}

bool
cn_fault_check(enum cn_fault_seam seam)
{
	return countdown[seam] && --countdown[seam] == 0;
}
