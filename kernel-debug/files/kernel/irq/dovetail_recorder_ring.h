/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recorder's lock-free ring writer. Kept free of kernel-only
 * dependencies so that the userspace unit tests compile this very
 * file through a small compat header (tests/unit/kcompat.h).
 *
 * Writers on one CPU may nest at any point (in-band code, hard-IRQs-off
 * sections, oob IRQ handlers, NMIs). Reservation is a single
 * interrupt-atomic add on the CPU-local head, so nested writers always
 * get distinct slots; the seq word brackets the payload so that a
 * reader can tell a record interrupted by a crash from a complete one.
 */
#ifndef _DOVETAIL_RECORDER_RING_H
#define _DOVETAIL_RECORDER_RING_H

static __always_inline struct dtrec_record *
dtrec_ring_slot(struct dtrec_ring *ring, u64 pos)
{
	struct dtrec_record *recs = (struct dtrec_record *)(ring + 1);

	return &recs[pos & (ring->nr_records - 1)];
}

/* The oldest position still in a ring whose next write goes to @head. */
static __always_inline u64 dtrec_ring_first(u64 head, u64 nr)
{
	return head > nr ? head - nr : 0;
}

static __always_inline void dtrec_ring_write(struct dtrec_ring *ring,
		u64 ts, u32 pid, u32 arg, u32 arg2, u16 event, u16 state)
{
	u64 pos = dtrec_head_inc_return(&ring->head) - 1;
	struct dtrec_record *r = dtrec_ring_slot(ring, pos);

	/* Open the slot: seq 0 marks it torn until the commit below. */
	WRITE_ONCE(r->seq, 0);
	/* seq 0 is visible before any byte of the new payload. */
	smp_wmb();
	r->ts = ts;
	r->pid = pid;
	r->arg = arg;
	r->arg2 = arg2;
	r->event = event;
	r->state = state;
	/* The whole payload is visible before the commit. */
	smp_wmb();
	WRITE_ONCE(r->seq, pos + 1);
}

/*
 * Reader side: copy one slot and say whether the copy is the record
 * at @pos, intact. Used by the live snapshot and by the tests.
 */
static __always_inline bool dtrec_ring_read(struct dtrec_ring *ring,
		u64 pos, struct dtrec_record *out)
{
	struct dtrec_record *r = dtrec_ring_slot(ring, pos);
	u64 seq = READ_ONCE(r->seq);

	/* Pairs with the commit barrier of dtrec_ring_write(). */
	smp_rmb();
	*out = *r;
	/* Pairs with the opening barrier: re-read seq after the copy. */
	smp_rmb();
	return seq == pos + 1 && READ_ONCE(r->seq) == seq;
}

#endif /* _DOVETAIL_RECORDER_RING_H */
