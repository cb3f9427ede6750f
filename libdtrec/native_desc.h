/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The descriptor a writer built from this tree's <linux/dovetail_recorder.h>
 * would publish, for the programs that fabricate images (dtrec-gen, the
 * ring tests, the crash stand-in). Kept in one place so that a new
 * descriptor field is filled the same way by all of them.
 */
#ifndef DTREC_NATIVE_DESC_H
#define DTREC_NATIVE_DESC_H

#include <stddef.h>
#include <string.h>
#include <linux/dovetail_recorder.h>

/*
 * rec_pad: bytes a writer puts in front of each record's fields, to
 * model a writer whose records are larger than ours (the decoder must
 * go by the descriptor's offsets, not by sizeof).
 */
static inline void dtrec_desc_native(struct dtrec_desc *d,
				     unsigned int nr_cpus,
				     unsigned int nr_records,
				     unsigned int rec_pad)
{
	memset(d, 0, sizeof(*d));
	d->magic = DTREC_DESC_MAGIC;
	d->version = DTREC_FORMAT_VERSION;
	d->desc_size = sizeof(*d);
	d->rec_size = sizeof(struct dtrec_record) + rec_pad;
	d->ring_hdr_size = sizeof(struct dtrec_ring);
	d->nr_cpus = nr_cpus;
	d->nr_records = nr_records;
	d->event_mask = DTREC_ALL_CLASSES;
	d->clock_hz = 1000000000ULL;
	d->off_seq = rec_pad + offsetof(struct dtrec_record, seq);
	d->off_ts = rec_pad + offsetof(struct dtrec_record, ts);
	d->off_pid = rec_pad + offsetof(struct dtrec_record, pid);
	d->off_arg = rec_pad + offsetof(struct dtrec_record, arg);
	d->off_arg2 = rec_pad + offsetof(struct dtrec_record, arg2);
	d->off_event = rec_pad + offsetof(struct dtrec_record, event);
	d->off_state = rec_pad + offsetof(struct dtrec_record, state);
	d->off_ring_head = offsetof(struct dtrec_ring, head);
	d->off_ring_cpu = offsetof(struct dtrec_ring, cpu);
	d->off_ring_nr = offsetof(struct dtrec_ring, nr_records);
	d->off_ring_recs = sizeof(struct dtrec_ring);
}

#endif
