/*
 * Packet stream: SPSC rings of packet descriptors in a shared dataspace.
 */
#include <cairn/packet_stream.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { MAGIC = 0x43505331, /* "CPS1" */ };

struct ring {
	_Atomic uint32_t head; /* next entry the producer writes */
	uint32_t pad_head[15];
	_Atomic uint32_t tail; /* next entry the consumer reads */
	uint32_t pad_tail[15];
};

struct cn_ps_shared {
	uint32_t magic;
	uint32_t queue_len;
	uint64_t payload_offset;
	uint64_t payload_size;
	uint64_t pad[5];
	struct ring submit, ack;
	struct cn_packet entries[]; /* submit queue, then ack queue */
};

static size_t
header_size(unsigned queue_len)
{
	return sizeof(struct cn_ps_shared) + 2 * (size_t)queue_len * sizeof(struct cn_packet);
}

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

size_t
cn_ps_dataspace_size(unsigned queue_len, uint64_t payload_size)
{
	return align_up(header_size(queue_len), CN_PS_ALIGN) + payload_size;
}

static bool
valid_queue_len(unsigned n)
{
	return n && n <= CN_PS_QUEUE_MAX && (n & (n - 1)) == 0;
}

static void
setup(struct cn_ps *ps, void *mem, unsigned queue_len, uint64_t payload_offset,
      uint64_t payload_size)
{
	*ps = (struct cn_ps){.shared = mem,
	                     .queue_len = queue_len,
	                     .payload_size = payload_size,
	                     .payload = (uint8_t *)mem + payload_offset};
}

int
cn_ps_source_init(struct cn_ps *ps, void *mem, size_t size, unsigned queue_len)
{
	struct cn_ps_shared *sh = mem;
	uint64_t offset = align_up(header_size(queue_len), CN_PS_ALIGN), granule;

	if (!ps || !mem || !valid_queue_len(queue_len) || size <= offset)
		return -EINVAL;
	granule = align_up((size - offset + CN_PS_BLOCKS_MAX - 1) / CN_PS_BLOCKS_MAX, CN_PS_ALIGN);
	if (granule < CN_PS_ALIGN)
		granule = CN_PS_ALIGN;
	uint8_t *used = calloc((size - offset) / granule + 1, 1);
	if (!used)
		return -ENOMEM;
	memset(sh, 0, sizeof(*sh));
	sh->magic = MAGIC;
	sh->queue_len = queue_len;
	sh->payload_offset = offset;
	sh->payload_size = size - offset;
	setup(ps, mem, queue_len, offset, size - offset);
	ps->block_used = used;
	ps->granule = granule;
	ps->blocks = (size - offset) / granule;
	return 0;
}

int
cn_ps_sink_attach(struct cn_ps *ps, void *mem, size_t size)
{
	struct cn_ps_shared *sh = mem;
	uint32_t queue_len;
	uint64_t offset, payload;

	if (!ps || !mem || size < sizeof(*sh))
		return -EINVAL;
	/* read the source's layout once, then check it against what we know */
	queue_len = sh->queue_len;
	offset = sh->payload_offset;
	payload = sh->payload_size;
	if (sh->magic != MAGIC || !valid_queue_len(queue_len) ||
	    offset != align_up(header_size(queue_len), CN_PS_ALIGN) || offset > size ||
	    payload != size - offset)
		return -EBADMSG;
	setup(ps, mem, queue_len, offset, payload);
	return 0;
}

void
cn_ps_release(struct cn_ps *ps)
{
	if (!ps)
		return;
	free(ps->block_used);
	ps->block_used = NULL;
}

int
cn_ps_alloc(struct cn_ps *ps, uint64_t size, struct cn_packet *ret)
{
	size_t need, run = 0; /* run: where the search goes on */

	if (!ps->block_used || size == 0 || size > ps->payload_size)
		return -EINVAL;
	need = (size_t)((size + ps->granule - 1) / ps->granule);
	/* first fit, found with memchr (vectorised): the next free block, then
	 * whether the need blocks from there are all free, else past the used
	 * one found */
	while (run + need <= ps->blocks) {
		const uint8_t *free_block = memchr(ps->block_used + run, 0, ps->blocks - run);
		const uint8_t *used;

		if (!free_block)
			break;
		run = (size_t)(free_block - ps->block_used);
		if (run + need > ps->blocks)
			break;
		used = memchr(ps->block_used + run, 1, need);
		if (!used) {
			memset(ps->block_used + run, 1, need);
			*ret = (struct cn_packet){.offset = run * ps->granule, .size = size};
			return 0;
		}
		run = (size_t)(used - ps->block_used) + 1;
	}
	return -ENOSPC;
}

void
cn_ps_free(struct cn_ps *ps, const struct cn_packet *p)
{
	size_t first, n;

	if (!ps->block_used || p->offset % ps->granule || !cn_ps_payload(ps, p))
		return;
	first = (size_t)(p->offset / ps->granule);
	n = (size_t)((p->size + ps->granule - 1) / ps->granule);
	memset(ps->block_used + first, 0, n);
}

void *
cn_ps_payload(struct cn_ps *ps, const struct cn_packet *p)
{
	if (p->size == 0 || p->offset > ps->payload_size || p->size > ps->payload_size - p->offset)
		return NULL;
	return ps->payload + p->offset;
}

static struct cn_packet *
queue_entries(struct cn_ps *ps, bool ack)
{
	return ps->shared->entries + (ack ? ps->queue_len : 0);
}

/* Producer side of a ring; pos is our private copy of the head. */
static int
produce(struct cn_ps *ps, struct ring *r, struct cn_packet *entries, uint32_t *pos,
        const struct cn_packet *p)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t used = *pos - tail;

	if (used > ps->queue_len) {
		ps->broken = true; /* the consumer moved its tail where it cannot be */
		return -EBADMSG;
	}
	if (used == ps->queue_len)
		return -EAGAIN;
	memcpy(&entries[*pos & (ps->queue_len - 1)], p, sizeof(*p));
	(*pos)++;
	atomic_store_explicit(&r->head, *pos, memory_order_release);
	return 0;
}

/* Consumer side; pos is our private copy of the tail. The entry is copied
 * out before it is checked, so the producer cannot change it afterwards. */
static int
consume(struct cn_ps *ps, struct ring *r, struct cn_packet *entries, uint32_t *pos,
        struct cn_packet *ret)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t avail = head - *pos;
	struct cn_packet p;

	if (ps->broken)
		return -EBADMSG;
	if (avail > ps->queue_len) {
		ps->broken = true;
		return -EBADMSG;
	}
	if (avail == 0)
		return -EAGAIN;
	memcpy(&p, &entries[*pos & (ps->queue_len - 1)], sizeof(p));
	(*pos)++;
	atomic_store_explicit(&r->tail, *pos, memory_order_release);
	if (!cn_ps_payload(ps, &p))
		return -EBADMSG; /* consumed, not used */
	*ret = p;
	return 0;
}

int
cn_ps_submit(struct cn_ps *ps, const struct cn_packet *p)
{
	if (ps->broken)
		return -EBADMSG;
	if (!cn_ps_payload(ps, p))
		return -EINVAL;
	return produce(ps, &ps->shared->submit, queue_entries(ps, false), &ps->submit_pos, p);
}

int
cn_ps_get_packet(struct cn_ps *ps, struct cn_packet *ret)
{
	return consume(ps, &ps->shared->submit, queue_entries(ps, false), &ps->submit_pos, ret);
}

int
cn_ps_acknowledge(struct cn_ps *ps, const struct cn_packet *p)
{
	if (ps->broken)
		return -EBADMSG;
	return produce(ps, &ps->shared->ack, queue_entries(ps, true), &ps->ack_pos, p);
}

int
cn_ps_get_acked(struct cn_ps *ps, struct cn_packet *ret)
{
	return consume(ps, &ps->shared->ack, queue_entries(ps, true), &ps->ack_pos, ret);
}

bool
cn_ps_packet_avail(struct cn_ps *ps)
{
	return atomic_load_explicit(&ps->shared->submit.head, memory_order_acquire) !=
	       ps->submit_pos;
}

bool
cn_ps_ack_avail(struct cn_ps *ps)
{
	return atomic_load_explicit(&ps->shared->ack.head, memory_order_acquire) != ps->ack_pos;
}

bool
cn_ps_ready_to_submit(struct cn_ps *ps)
{
	return ps->submit_pos -
	           atomic_load_explicit(&ps->shared->submit.tail, memory_order_acquire) <
	       ps->queue_len;
}

bool
cn_ps_ready_to_ack(struct cn_ps *ps)
{
	return ps->ack_pos - atomic_load_explicit(&ps->shared->ack.tail, memory_order_acquire) <
	       ps->queue_len;
}
