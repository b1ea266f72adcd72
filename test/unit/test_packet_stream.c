/*
 * Packet stream: round trips, full queues, the source's allocator (also
 * against a model, with random sizes), a
 * source and a sink in two processes, and a hostile peer writing garbage
 * into the shared memory.
 */
#include <cairn/packet_stream.h>

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>

#include "cn_test.h"

enum { QUEUE = 8, PAYLOAD = 64 * 1024 };

static void *
shared_mem(size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CN_ASSERT(m != MAP_FAILED);
	return m;
}

static size_t
stream_size(void)
{
	return cn_ps_dataspace_size(QUEUE, PAYLOAD);
}

CN_TEST(test_ps_round_trip)
{
	size_t size = stream_size();
	void *mem = shared_mem(size);
	struct cn_ps src, sink;
	struct cn_packet p, got, acked;

	CN_ASSERT_EQ(cn_ps_source_init(&src, mem, size, QUEUE), 0);
	CN_ASSERT_EQ(cn_ps_sink_attach(&sink, mem, size), 0);
	CN_ASSERT(!cn_ps_packet_avail(&sink));
	CN_ASSERT_EQ(cn_ps_get_packet(&sink, &got), -EAGAIN);

	CN_ASSERT_EQ(cn_ps_alloc(&src, 100, &p), 0);
	memcpy(cn_ps_payload(&src, &p), "hello", 6);
	p.opcode = 7;
	p.tag = 42;
	CN_ASSERT_EQ(cn_ps_submit(&src, &p), 0);
	CN_ASSERT(cn_ps_packet_avail(&sink));
	CN_ASSERT_EQ(cn_ps_get_packet(&sink, &got), 0);
	CN_ASSERT_EQ(got.opcode, 7);
	CN_ASSERT_EQ(got.tag, 42);
	CN_ASSERT_STR((char *)cn_ps_payload(&sink, &got), "hello");
	got.status = 3;
	CN_ASSERT_EQ(cn_ps_acknowledge(&sink, &got), 0);
	CN_ASSERT(cn_ps_ack_avail(&src));
	CN_ASSERT_EQ(cn_ps_get_acked(&src, &acked), 0);
	CN_ASSERT_EQ(acked.status, 3);
	CN_ASSERT_EQ(acked.offset, p.offset);
	cn_ps_free(&src, &acked);
	CN_ASSERT_EQ(cn_ps_get_acked(&src, &acked), -EAGAIN);
	cn_ps_release(&src);
	cn_ps_release(&sink);
	munmap(mem, size);
}

CN_TEST(test_ps_full_queue)
{
	size_t size = stream_size();
	void *mem = shared_mem(size);
	struct cn_ps src, sink;
	struct cn_packet p;

	CN_ASSERT_EQ(cn_ps_source_init(&src, mem, size, QUEUE), 0);
	CN_ASSERT_EQ(cn_ps_sink_attach(&sink, mem, size), 0);
	for (unsigned i = 0; i < QUEUE; i++) {
		CN_ASSERT(cn_ps_ready_to_submit(&src));
		CN_ASSERT_EQ(cn_ps_alloc(&src, 10, &p), 0);
		CN_ASSERT_EQ(cn_ps_submit(&src, &p), 0);
	}
	CN_ASSERT(!cn_ps_ready_to_submit(&src));
	CN_ASSERT_EQ(cn_ps_submit(&src, &p), -EAGAIN);
	/* the sink makes room */
	CN_ASSERT_EQ(cn_ps_get_packet(&sink, &p), 0);
	CN_ASSERT(cn_ps_ready_to_submit(&src));
	/* the ack queue fills up the same way */
	for (unsigned i = 0; i < QUEUE; i++)
		CN_ASSERT_EQ(cn_ps_acknowledge(&sink, &p), 0);
	CN_ASSERT(!cn_ps_ready_to_ack(&sink));
	CN_ASSERT_EQ(cn_ps_acknowledge(&sink, &p), -EAGAIN);
	cn_ps_release(&src);
	munmap(mem, size);
}

CN_TEST(test_ps_allocator)
{
	size_t size = stream_size();
	void *mem = shared_mem(size);
	struct cn_ps src;
	struct cn_packet a, b, c;

	CN_ASSERT_EQ(cn_ps_source_init(&src, mem, size, QUEUE), 0);
	CN_ASSERT_EQ(cn_ps_alloc(&src, 0, &a), -EINVAL);
	CN_ASSERT_EQ(cn_ps_alloc(&src, PAYLOAD + 1, &a), -EINVAL);
	CN_ASSERT_EQ(cn_ps_alloc(&src, PAYLOAD / 2, &a), 0);
	CN_ASSERT_EQ(cn_ps_alloc(&src, PAYLOAD / 2, &b), 0);
	CN_ASSERT(a.offset != b.offset);
	CN_ASSERT_EQ(cn_ps_alloc(&src, 1, &c), -ENOSPC);
	cn_ps_free(&src, &a);
	CN_ASSERT_EQ(cn_ps_alloc(&src, 1, &c), 0);
	CN_ASSERT_EQ(c.offset, a.offset);
	cn_ps_release(&src);
	munmap(mem, size);
}

/* Random allocations and frees against a model of the blocks: every
 * packet lies in the payload area, no two live ones overlap, and the
 * allocator finds exactly the first fit the model finds (-ENOSPC only
 * when there is none). Sizes up to the whole area, a fixed seed. */
CN_TEST(test_ps_allocator_model)
{
	enum { LIVE_MAX = 64, ROUNDS = 20000 };
	size_t size = cn_ps_dataspace_size(QUEUE, 1 << 20);
	void *mem = shared_mem(size);
	struct cn_packet live[LIVE_MAX];
	unsigned nlive = 0, fits = 0, nospace = 0;
	uint64_t rng = 0x1234567;
	struct cn_ps src;
	uint8_t *model;

	CN_ASSERT_EQ(cn_ps_source_init(&src, mem, size, QUEUE), 0);
	model = calloc(src.blocks, 1);
	CN_ASSERT(model);
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t want, need, first = UINT64_MAX;
		struct cn_packet p;
		int r;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		if (nlive && (nlive == LIVE_MAX || rng % 3 == 0)) {
			unsigned i = (unsigned)(rng >> 20) % nlive;

			cn_ps_free(&src, &live[i]);
			memset(model + live[i].offset / src.granule, 0,
			       (live[i].size + src.granule - 1) / src.granule);
			live[i] = live[--nlive];
			continue;
		}
		/* mostly small, now and then up to the whole area */
		want = 1 + (rng >> 24) % (rng % 8 ? src.payload_size / 16 : src.payload_size);
		need = (want + src.granule - 1) / src.granule;
		for (uint64_t b = 0, run = 0; b < src.blocks && first == UINT64_MAX; b++) {
			run = model[b] ? 0 : run + 1;
			if (run == need)
				first = b + 1 - need;
		}
		r = cn_ps_alloc(&src, want, &p);
		if (first == UINT64_MAX) {
			CN_ASSERT_EQ(r, -ENOSPC);
			nospace++;
			continue;
		}
		CN_ASSERT_EQ(r, 0);
		CN_ASSERT_EQ(p.offset, first * src.granule);
		CN_ASSERT_EQ(p.size, want);
		CN_ASSERT(cn_ps_payload(&src, &p) != NULL);
		for (unsigned i = 0; i < nlive; i++)
			CN_ASSERT(p.offset + p.size <= live[i].offset ||
			          live[i].offset + live[i].size <= p.offset);
		memset(model + first, 1, need);
		live[nlive++] = p;
		fits++;
	}
	/* both outcomes happened often */
	CN_ASSERT(fits > ROUNDS / 4 && nospace > 100);
	free(model);
	cn_ps_release(&src);
	munmap(mem, size);
}

/* The source lies about the layout: the sink refuses to attach. */
CN_TEST(test_ps_bad_layout)
{
	size_t size = stream_size();
	uint32_t *mem = shared_mem(size);
	struct cn_ps src, sink;

	CN_ASSERT_EQ(cn_ps_source_init(&src, mem, size, QUEUE), 0);
	CN_ASSERT_EQ(cn_ps_sink_attach(&sink, mem, size - 1), -EBADMSG);
	mem[1] = 3; /* queue length not a power of two */
	CN_ASSERT_EQ(cn_ps_sink_attach(&sink, mem, size), -EBADMSG);
	mem[1] = QUEUE;
	mem[0] ^= 1; /* magic */
	CN_ASSERT_EQ(cn_ps_sink_attach(&sink, mem, size), -EBADMSG);
	CN_ASSERT_EQ(cn_ps_source_init(&src, mem, size, 3), -EINVAL);
	cn_ps_release(&src);
	munmap(mem, size);
}

/* A hostile source writes descriptors outside the payload area and moves
 * its queue head where it cannot be: the sink refuses each, never touches
 * memory outside the area, and calls the queue broken. */
CN_TEST(test_ps_hostile_source)
{
	size_t size = stream_size();
	uint8_t *mem = shared_mem(size);
	struct cn_ps src, sink;
	struct cn_packet p, got;

	CN_ASSERT_EQ(cn_ps_source_init(&src, mem, size, QUEUE), 0);
	CN_ASSERT_EQ(cn_ps_sink_attach(&sink, mem, size), 0);
	CN_ASSERT_EQ(cn_ps_alloc(&src, 64, &p), 0);
	CN_ASSERT_EQ(cn_ps_submit(&src, &p), -0);
	/* rewrite the queued descriptor behind the submit call's back */
	struct cn_packet *entry = (struct cn_packet *)(mem + size - PAYLOAD) - 2 * QUEUE;
	entry->offset = PAYLOAD - 10;
	entry->size = 64;
	CN_ASSERT_EQ(cn_ps_get_packet(&sink, &got), -EBADMSG);
	/* an overflowing size */
	CN_ASSERT_EQ(cn_ps_submit(&src, &p), 0);
	entry[1].offset = 8;
	entry[1].size = UINT64_MAX - 4;
	CN_ASSERT_EQ(cn_ps_get_packet(&sink, &got), -EBADMSG);
	/* a good one still gets through */
	CN_ASSERT_EQ(cn_ps_submit(&src, &p), 0);
	CN_ASSERT_EQ(cn_ps_get_packet(&sink, &got), 0);
	CN_ASSERT_EQ(got.offset, p.offset);
	/* the source's own submit refuses what lies outside */
	struct cn_packet bad = {.offset = PAYLOAD, .size = 1};
	CN_ASSERT_EQ(cn_ps_submit(&src, &bad), -EINVAL);
	/* a head far beyond the tail: broken for good */
	uint32_t *head = (uint32_t *)(mem + 64);
	*head += 1000;
	CN_ASSERT_EQ(cn_ps_get_packet(&sink, &got), -EBADMSG);
	CN_ASSERT_EQ(cn_ps_get_packet(&sink, &got), -EBADMSG);
	cn_ps_release(&src);
	munmap(mem, size);
}

/* A source and a sink in two processes: 20,000 packets through an 8-entry
 * queue, each payload checked, each acknowledgement matched. */
CN_TEST(test_ps_two_processes)
{
	size_t size = stream_size();
	void *mem = shared_mem(size);
	struct cn_ps src;
	enum { PACKETS = 20000 };
	pid_t pid;
	int status;

	CN_ASSERT_EQ(cn_ps_source_init(&src, mem, size, QUEUE), 0);
	pid = fork();
	CN_ASSERT(pid >= 0);
	if (pid == 0) {
		struct cn_ps sink;
		struct cn_packet p;

		if (cn_ps_sink_attach(&sink, mem, size) < 0)
			_exit(2);
		for (unsigned n = 0; n < PACKETS;) {
			int r = cn_ps_get_packet(&sink, &p);
			if (r == -EAGAIN) {
				sched_yield();
				continue;
			}
			if (r < 0 || *(uint32_t *)cn_ps_payload(&sink, &p) != (uint32_t)p.tag)
				_exit(3);
			p.status = 1;
			while (cn_ps_acknowledge(&sink, &p) == -EAGAIN)
				sched_yield();
			n++;
		}
		_exit(0);
	}
	unsigned submitted = 0, acked = 0;
	while (acked < PACKETS) {
		struct cn_packet p;

		if (submitted < PACKETS && cn_ps_alloc(&src, 4, &p) == 0) {
			p.tag = submitted;
			*(uint32_t *)cn_ps_payload(&src, &p) = (uint32_t)submitted;
			if (cn_ps_submit(&src, &p) == 0)
				submitted++;
			else
				cn_ps_free(&src, &p);
		}
		while (cn_ps_get_acked(&src, &p) == 0) {
			CN_ASSERT_EQ(p.status, 1);
			cn_ps_free(&src, &p);
			acked++;
		}
		sched_yield();
	}
	CN_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	CN_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cn_ps_release(&src);
	munmap(mem, size);
}

CN_TEST_MAIN()
