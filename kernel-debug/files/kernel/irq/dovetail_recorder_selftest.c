// SPDX-License-Identifier: GPL-2.0
/*
 * Boot-time self-test of the pipeline recorder. Every check runs
 * with hard IRQs off on one CPU, so that nothing but an NMI can add
 * records between the ones it makes and reads back.
 */
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/irqstage.h>
#include <linux/slab.h>
#include <linux/dovetail_recorder.h>
#include "dovetail_recorder.h"


static int dtst_run, dtst_failed;

#define DTST_CHECK(__cond, __what)					\
	do {								\
		dtst_run++;						\
		if (!(__cond)) {					\
			dtst_failed++;					\
			pr_err("dovetail recorder selftest: FAILED %s (%s:%d)\n", \
			       __what, __FILE__, __LINE__);		\
		}							\
	} while (0)

static struct dtrec_ring *dtst_ring(void)
{
	return raw_cpu_read(dtrec_cpu_ring);
}

static u64 dtst_head(void)
{
	return READ_ONCE(dtst_ring()->head);
}

/* Copy the records written since @from; returns how many, or -1 if torn. */
static int dtst_since(u64 from, struct dtrec_record *out, int max)
{
	struct dtrec_ring *ring = dtst_ring();
	u64 pos, head = dtst_head();
	int n = 0;

	for (pos = from; pos < head && n < max; pos++, n++)
		if (!dtrec_ring_read(ring, pos, &out[n]))
			return -1;
	return n;
}

static void dtst_basic(struct dtrec_record *r)
{
	u64 h0 = dtst_head();
	int n;

	dovetail_recorder_mark(0xdead, 0xbeef);
	n = dtst_since(h0, r, 4);
	DTST_CHECK(n == 1, "one mark, one record");
	if (n != 1)
		return;
	DTST_CHECK(r[0].event == DTREC_EV_MARK && r[0].arg == 0xdead &&
		   r[0].arg2 == 0xbeef, "mark payload");
	DTST_CHECK(r[0].pid == current->pid, "pid");
	DTST_CHECK(r[0].state & DTREC_ST_HARD_OFF, "hard-off state");
	DTST_CHECK(!(r[0].state & DTREC_ST_STAGE_OOB), "in-band stage state");
	DTST_CHECK(r[0].seq == h0 + 1, "commit mark");
}

/* Only real stall bit changes are recorded. */
static void dtst_stall_changes(struct dtrec_record *r)
{
	unsigned long saved = current->stall_bits;
	u64 h0;
	int n;

	__clear_bit(INBAND_STALL_BIT, &current->stall_bits);
	__clear_bit(OOB_STALL_BIT, &current->stall_bits);
	h0 = dtst_head();
	stall_inband_nocheck();
	stall_inband_nocheck();
	test_and_stall_inband_nocheck();
	unstall_inband_nocheck();
	unstall_inband_nocheck();
	stall_oob();
	test_and_stall_oob();
	unstall_oob();
	n = dtst_since(h0, r, 16);
	current->stall_bits = saved;

	DTST_CHECK(n == 4, "four real stall changes");
	if (n != 4)
		return;
	DTST_CHECK(r[0].event == DTREC_EV_INBAND_STALL &&
		   (r[0].state & DTREC_ST_INBAND_STALLED), "in-band stall");
	DTST_CHECK(r[1].event == DTREC_EV_INBAND_UNSTALL &&
		   !(r[1].state & DTREC_ST_INBAND_STALLED), "in-band unstall");
	DTST_CHECK(r[2].event == DTREC_EV_OOB_STALL &&
		   (r[2].state & DTREC_ST_OOB_STALLED), "oob stall");
	DTST_CHECK(r[3].event == DTREC_EV_OOB_UNSTALL &&
		   !(r[3].state & DTREC_ST_OOB_STALLED), "oob unstall");
}

static void dtst_stage_switch(struct dtrec_record *r)
{
	u64 h0 = dtst_head();
	int n;

	switch_oob(this_oob_staged());
	switch_oob(this_oob_staged());
	switch_inband(this_inband_staged());
	n = dtst_since(h0, r, 8);
	DTST_CHECK(n == 2, "two stage switches");
	if (n != 2)
		return;
	DTST_CHECK(r[0].event == DTREC_EV_SWITCH_OOB &&
		   (r[0].state & DTREC_ST_STAGE_OOB), "switch to oob");
	DTST_CHECK(r[1].event == DTREC_EV_SWITCH_INBAND &&
		   !(r[1].state & DTREC_ST_STAGE_OOB), "switch to in-band");
}

static void dtst_mask_and_freeze(struct dtrec_record *r)
{
	u32 mask = dovetail_recorder_desc.event_mask;
	u64 h0;
	int n;

	WRITE_ONCE(dovetail_recorder_desc.event_mask,
		   mask & ~BIT(DTREC_C_MISC));
	h0 = dtst_head();
	dovetail_recorder_mark(1, 0);
	DTST_CHECK(dtst_head() == h0, "masked class dropped");
	WRITE_ONCE(dovetail_recorder_desc.event_mask, mask | BIT(DTREC_C_MISC));

	h0 = dtst_head();
	dovetail_recorder_freeze(DTREC_FREEZE_API);
	dovetail_recorder_mark(2, 0);
	n = dtst_since(h0, r, 4);
	DTST_CHECK(n == 1 && r[0].event == DTREC_EV_FREEZE &&
		   r[0].arg == DTREC_FREEZE_API, "freeze leaves one freeze record");
	DTST_CHECK(dovetail_recorder_desc.frozen &&
		   dovetail_recorder_desc.freeze_reason == DTREC_FREEZE_API,
		   "descriptor says frozen");
	dovetail_recorder_unfreeze();
	h0 = dtst_head();
	dovetail_recorder_mark(3, 0);
	DTST_CHECK(dtst_head() == h0 + 1, "unfreeze resumes recording");
	WRITE_ONCE(dovetail_recorder_desc.event_mask, mask);
}

/* A private ring: wraparound, torn and stale slots as decoders see them. */
static void dtst_private_ring(void)
{
	const unsigned int nr = 64;
	struct dtrec_record rec;
	struct dtrec_ring *ring;
	bool ok = true;
	u64 pos;

	ring = kzalloc(sizeof(*ring) + nr * sizeof(struct dtrec_record),
		       GFP_KERNEL);
	if (!ring) {
		DTST_CHECK(0, "private ring allocation");
		return;
	}
	ring->nr_records = nr;
	for (pos = 0; pos < 3 * nr + 5; pos++)
		dtrec_ring_write(ring, pos, 1, (u32)pos, 0, DTREC_EV_MARK, 0);
	DTST_CHECK(ring->head == 3 * nr + 5, "head counts every record");
	for (pos = ring->head - nr; pos < ring->head; pos++)
		ok &= dtrec_ring_read(ring, pos, &rec) && rec.arg == (u32)pos;
	DTST_CHECK(ok, "window intact after wraparound");
	DTST_CHECK(!dtrec_ring_read(ring, ring->head - nr - 1, &rec),
		   "overwritten position reads as stale");
	dtrec_ring_slot(ring, ring->head - 1)->seq = 0;
	DTST_CHECK(!dtrec_ring_read(ring, ring->head - 1, &rec),
		   "torn slot detected");
	kfree(ring);
}

static int __init dtst_init(void)
{
	struct dtrec_record *r;
	unsigned long flags;
	u32 frozen, reason, freeze_cpu;

	if (!static_branch_likely(&dovetail_recorder_on) ||
	    !raw_cpu_read(dtrec_cpu_ring)) {
		pr_info("dovetail recorder selftest: skipped (recorder disabled)\n");
		return 0;
	}

	r = kcalloc(16, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;

	frozen = dovetail_recorder_desc.frozen;
	reason = dovetail_recorder_desc.freeze_reason;
	freeze_cpu = dovetail_recorder_desc.freeze_cpu;
	dovetail_recorder_unfreeze();
	flags = hard_local_irq_save();
	dtst_basic(r);
	dtst_stall_changes(r);
	dtst_stage_switch(r);
	dtst_mask_and_freeze(r);
	hard_local_irq_restore(flags);
	dtst_private_ring();
	dovetail_recorder_desc.freeze_reason = reason;
	dovetail_recorder_desc.freeze_cpu = freeze_cpu;
	/* Frozen again before the test: seen with the reason it had then. */
	smp_wmb();
	WRITE_ONCE(dovetail_recorder_desc.frozen, frozen);
	kfree(r);

	if (dtst_failed)
		pr_err("dovetail recorder selftest: FAILED %d of %d checks\n",
		       dtst_failed, dtst_run);
	else
		pr_info("dovetail recorder selftest: passed %d checks\n",
			dtst_run);
	return 0;
}
late_initcall_sync(dtst_init);
