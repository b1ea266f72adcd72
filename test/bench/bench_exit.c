/*
 * bench_exit: the baseline of bench_spawn, a static binary that exits at
 * once. Built with -static, so its start-up is the kernel's exec plus
 * glibc's static initialisation, nothing more.
 */
int
main(void)
{
	return 0;
}
