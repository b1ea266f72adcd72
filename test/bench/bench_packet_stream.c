/*
 * bench_packet_stream: bulk throughput of a packet stream against memcpy.
 *
 * A source process writes 64 KiB packets into the stream's payload area
 * (one memcpy per packet, as a client writing file data) and a sink
 * process copies each one out (as a server storing it) or, in the
 * in_place figures, reads it where it is (zero copy), through a
 * shared dataspace with a 4-entry queue (256 KiB of payload, which stays in the caches). Both poll
 * (the session's signals are not part of this figure). Baseline in the same run: memcpy of the same
 * bytes, 64 KiB at a time, in one process. Reported as time per GiB; the target, "at least half of
 * memcpy bandwidth", is a ratio of at most 2. Pinned to one CPU (the two copies take turns) and
 * across two (they overlap).
 *
 * For reference, also in the same run: a raw ring between the same two
 * processes, with the same slots and copies but nothing of the stream
 * (two indices in shared memory, no descriptors, no allocator, no
 * checks): what any two-copy transfer between processes costs on this
 * machine. Printed as raw_ring_64k_* against memcpy, and the stream
 * against it (no target: context for the figures above).
 */
#include <cairn/packet_stream.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

enum {
	PACKET = 64 * 1024,
	QUEUE = 4,
	PAYLOAD = QUEUE * PACKET,
	TOTAL = 1 << 30, /* bytes per repetition */
	REPS = 5,
};

static void
die(const char *what)
{
	fprintf(stderr, "bench_packet_stream: %s: %s\n", what, strerror(errno));
	exit(BENCH_EXIT_FAIL);
}

/* How the sink consumes a packet: copy it out (a server storing it), or
 * read it in place (a server that checks or parses it where it is, as
 * Genode's packet streams are meant to be used: zero copy). */
enum sink_mode { SINK_COPY, SINK_IN_PLACE };

/* Read all of the payload, 16 bytes at a time in four independent
 * lanes (SSE2, which every x86-64 has); the XOR of it all, which is 0
 * for the even number of identical blocks the source writes. */
typedef uint64_t v2u64 __attribute__((vector_size(16)));

static uint64_t
read_in_place(const void *payload, size_t size)
{
	const v2u64 *v = payload;
	v2u64 a = {0, 0}, b = {0, 0}, c = {0, 0}, d = {0, 0};

	for (size_t i = 0; i + 4 <= size / sizeof(*v); i += 4) {
		a ^= v[i];
		b ^= v[i + 1];
		c ^= v[i + 2];
		d ^= v[i + 3];
	}
	a ^= b ^ c ^ d;
	return a[0] | a[1];
}

/* The sink: consume every packet, acknowledge it. */
static void
sink(void *mem, size_t size, int cpu, enum sink_mode mode)
{
	static char out[PACKET];
	struct cn_ps ps;
	struct cn_packet p;

	if (bench_pin(0, cpu, cpu) < 0 || cn_ps_sink_attach(&ps, mem, size) < 0)
		_exit(BENCH_EXIT_FAIL);
	for (uint64_t done = 0; done < (uint64_t)TOTAL * REPS;) {
		int r = cn_ps_get_packet(&ps, &p);
		if (r == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (r < 0)
			_exit(BENCH_EXIT_FAIL);
		if (mode == SINK_COPY)
			memcpy(out, cn_ps_payload(&ps, &p), p.size);
		else if (read_in_place(cn_ps_payload(&ps, &p), p.size) != 0)
			_exit(BENCH_EXIT_FAIL); /* not what the source wrote */
		else
			out[0] = 1;
		while (cn_ps_acknowledge(&ps, &p) == -EAGAIN)
			sched_yield();
		done += p.size;
	}
	_exit(out[0] == 1 ? 0 : BENCH_EXIT_FAIL);
}

static double
stream_ms_per_gib(const struct bench_placement *pl, enum sink_mode mode)
{
	static char in[PACKET];
	size_t size = cn_ps_dataspace_size(QUEUE, PAYLOAD);
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double ms[REPS];
	struct cn_ps ps;
	pid_t pid;
	int status;

	if (mem == MAP_FAILED)
		die("mmap");
	memset(in, 1, sizeof(in));
	if (cn_ps_source_init(&ps, mem, size, QUEUE) < 0)
		die("source init");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		sink(mem, size, pl->cpu_b, mode);
	if (bench_pin(0, pl->cpu_a, pl->cpu_a) < 0)
		die("pin");
	for (unsigned rep = 0; rep < REPS; rep++) {
		uint64_t sent = 0, acked = 0, t0 = bench_now_ns();
		struct cn_packet p;

		while (acked < TOTAL) {
			bool progress = false;
			if (sent < TOTAL && cn_ps_ready_to_submit(&ps) &&
			    cn_ps_alloc(&ps, PACKET, &p) == 0) {
				memcpy(cn_ps_payload(&ps, &p), in, PACKET);
				if (cn_ps_submit(&ps, &p) < 0)
					die("submit");
				sent += PACKET;
				progress = true;
			}
			while (cn_ps_get_acked(&ps, &p) == 0) {
				cn_ps_free(&ps, &p);
				acked += p.size;
				progress = true;
			}
			if (!progress)
				sched_yield();
		}
		ms[rep] = (double)(bench_now_ns() - t0) / 1e6 * ((double)(1u << 30) / TOTAL);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("sink");
	cn_ps_release(&ps);
	munmap(mem, size);
	return bench_median(ms, REPS);
}

/* The raw ring: QUEUE slots of PACKET bytes after two cache lines of
 * indices, the sink copies each slot out. */
struct raw_ring {
	_Alignas(64) volatile uint64_t head; /* slots written by the source */
	_Alignas(64) volatile uint64_t tail; /* slots consumed by the sink */
	_Alignas(64) unsigned char slot[QUEUE][PACKET];
};

static void
ring_sink(struct raw_ring *ring, int cpu)
{
	static char out[PACKET];

	if (bench_pin(0, cpu, cpu) < 0)
		_exit(BENCH_EXIT_FAIL);
	for (uint64_t n = 0; n < (uint64_t)TOTAL / PACKET * REPS; n++) {
		while (__atomic_load_n(&ring->head, __ATOMIC_ACQUIRE) == n)
			sched_yield();
		memcpy(out, ring->slot[n % QUEUE], PACKET);
		__atomic_store_n(&ring->tail, n + 1, __ATOMIC_RELEASE);
	}
	_exit(out[0] == 1 ? 0 : BENCH_EXIT_FAIL);
}

static double
ring_ms_per_gib(const struct bench_placement *pl)
{
	static char in[PACKET];
	struct raw_ring *ring =
	    mmap(NULL, sizeof(*ring), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double ms[REPS];
	uint64_t n = 0;
	pid_t pid;
	int status;

	if (ring == MAP_FAILED)
		die("mmap");
	memset(in, 1, sizeof(in));
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		ring_sink(ring, pl->cpu_b);
	if (bench_pin(0, pl->cpu_a, pl->cpu_a) < 0)
		die("pin");
	for (unsigned rep = 0; rep < REPS; rep++) {
		uint64_t t0 = bench_now_ns(), end = n + (uint64_t)TOTAL / PACKET;

		for (; n < end; n++) {
			while (n - __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) == QUEUE)
				sched_yield();
			memcpy(ring->slot[n % QUEUE], in, PACKET);
			__atomic_store_n(&ring->head, n + 1, __ATOMIC_RELEASE);
		}
		while (__atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) != n)
			sched_yield(); /* all consumed, as the stream's acks */
		ms[rep] = (double)(bench_now_ns() - t0) / 1e6 * ((double)(1u << 30) / TOTAL);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("ring sink");
	munmap(ring, sizeof(*ring));
	return bench_median(ms, REPS);
}

static double
memcpy_ms_per_gib(const struct bench_placement *pl)
{
	static char in[PACKET], out[PACKET];
	double ms[REPS];

	if (bench_pin(0, pl->cpu_a, pl->cpu_a) < 0)
		die("pin");
	memset(in, 1, sizeof(in));
	for (unsigned rep = 0; rep < REPS; rep++) {
		uint64_t t0 = bench_now_ns();
		for (uint64_t done = 0; done < TOTAL; done += PACKET) {
			memcpy(out, in, PACKET);
			__asm__ volatile("" : : "r"(out) : "memory"); /* keep every copy */
		}
		ms[rep] = (double)(bench_now_ns() - t0) / 1e6 * ((double)(1u << 30) / TOTAL);
	}
	return bench_median(ms, REPS);
}

int
main(void)
{
	const struct bench_placement *pl;
	unsigned n = bench_placements(&pl);

	for (unsigned i = 0; i < n; i++) {
		char name[64];
		double base = memcpy_ms_per_gib(&pl[i]);
		double copy = stream_ms_per_gib(&pl[i], SINK_COPY);
		double in_place = stream_ms_per_gib(&pl[i], SINK_IN_PLACE);
		double ring = ring_ms_per_gib(&pl[i]);

		snprintf(name, sizeof(name), "packet_stream_64k_%s", pl[i].name);
		bench_report(name, copy, base, "ms/GiB", 2.0);
		snprintf(name, sizeof(name), "packet_stream_64k_in_place_%s", pl[i].name);
		bench_report(name, in_place, base, "ms/GiB", 2.0);
		/* reference: the machine's cost of the same two copies */
		printf("bench: raw_ring_64k_%s ratio=%.2f ring=%.3g baseline=%.3g ms/GiB "
		       "(reference, no target)\n",
		       pl[i].name, ring / base, ring, base);
		printf("bench: packet_stream_64k_%s_vs_raw_ring ratio=%.2f (reference, no "
		       "target)\n",
		       pl[i].name, copy / ring);
		fflush(stdout);
	}
	return 0;
}
