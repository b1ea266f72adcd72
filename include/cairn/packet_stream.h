/*
 * Packet stream: Genode's bulk-transfer mechanism. One shared dataspace
 * holds a header, a submit queue (source -> sink), an acknowledgement
 * queue (sink -> source) and the payload area. Packets are descriptors
 * (offset and size within the payload area); the payload itself is never
 * copied through a socket. File_system now, Block and NIC later, use it.
 *
 * Each side trusts nothing the other writes into the shared memory: queue
 * indices are checked against the queue's capacity and every descriptor
 * against the payload area before it is used, so a peer that scribbles
 * over the dataspace harms only its own session. Signals (packet avail,
 * ack avail, ready to submit, ready to ack) are the session's business:
 * these functions only say when one is due.
 *
 * The queues are single-producer single-consumer rings with C11 atomics;
 * one source and one sink per stream.
 */
#ifndef CAIRN_PACKET_STREAM_H
#define CAIRN_PACKET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CN_PS_QUEUE_MAX = 1024,     /* descriptors per queue */
	CN_PS_ALIGN = 64,           /* payload allocation granularity (bytes) */
	CN_PS_BLOCKS_MAX = 1 << 16, /* payload blocks the source's allocator tracks */
};

struct cn_packet {
	uint64_t offset; /* into the payload area */
	uint64_t size;
	uint32_t opcode; /* meaning defined by the session (e.g. READ/WRITE) */
	uint32_t status; /* set by the sink: 0 ok, else a session-defined error */
	uint64_t tag;    /* the source's, echoed back by the sink */
};

struct cn_ps_shared; /* the layout in the dataspace (private) */

struct cn_ps {
	struct cn_ps_shared *shared;
	unsigned queue_len; /* entries per queue (power of two) */
	uint64_t payload_size;
	uint8_t *payload;
	/* the source's allocator of payload blocks (private memory) */
	uint8_t *block_used;
	size_t blocks;
	uint64_t granule;
	/* our own queue positions: never read back from shared memory */
	uint32_t submit_pos, ack_pos;
	bool broken; /* the peer broke a queue */
};

/* Bytes of dataspace needed for queue_len descriptors per queue and
 * payload_size bytes of payload. */
size_t cn_ps_dataspace_size(unsigned queue_len, uint64_t payload_size);

/* The source lays the stream out in mem (size bytes, zeroed by the
 * caller's fresh dataspace). queue_len must be a power of two, at most
 * CN_PS_QUEUE_MAX. -EINVAL if it does not fit. */
int cn_ps_source_init(struct cn_ps *ps, void *mem, size_t size, unsigned queue_len);
/* The sink attaches to a stream the source laid out; validates the
 * header against size. -EBADMSG if it is inconsistent. */
int cn_ps_sink_attach(struct cn_ps *ps, void *mem, size_t size);
void cn_ps_release(struct cn_ps *ps);

/* Source: reserve payload space (CN_PS_ALIGN granules). -ENOSPC if none. */
int cn_ps_alloc(struct cn_ps *ps, uint64_t size, struct cn_packet *ret);
void cn_ps_free(struct cn_ps *ps, const struct cn_packet *p);
/* Payload of a packet, or NULL if its descriptor lies outside the area. */
void *cn_ps_payload(struct cn_ps *ps, const struct cn_packet *p);

/* Source: queue a packet. -EAGAIN if the submit queue is full. */
int cn_ps_submit(struct cn_ps *ps, const struct cn_packet *p);
/* Sink: take the next submitted packet. -EAGAIN if none; -EBADMSG if the
 * source broke the queue or the descriptor (the entry is consumed; a
 * broken queue stays broken: the session should be closed). */
int cn_ps_get_packet(struct cn_ps *ps, struct cn_packet *ret);
/* Sink: acknowledge a packet. -EAGAIN if the ack queue is full. */
int cn_ps_acknowledge(struct cn_ps *ps, const struct cn_packet *p);
/* Source: take the next acknowledgement. -EAGAIN, -EBADMSG as above. */
int cn_ps_get_acked(struct cn_ps *ps, struct cn_packet *ret);

/* Queue states, for deciding which signal to send or wait for. */
bool cn_ps_packet_avail(struct cn_ps *ps);
bool cn_ps_ack_avail(struct cn_ps *ps);
bool cn_ps_ready_to_submit(struct cn_ps *ps);
bool cn_ps_ready_to_ack(struct cn_ps *ps);

#endif
