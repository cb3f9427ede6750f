// SPDX-License-Identifier: GPL-2.0
/*
 * Dovetail pipeline flight recorder: worst-case capture.
 *
 * Per CPU, a tracker consumes the CPU's own ring right after each
 * record is written and follows the sections libdtrec's interval model
 * measures (docs/audit.md, "Sections"): the oob stage stalled, hard
 * IRQs off as the records show it, the in-band stage stalled with IRQs
 * in its log, and each IRQ's wait from post to play on either stage.
 * When a section beats its metric's maximum on this CPU, its records
 * and some context before them are copied to the metric's max area,
 * which later records never overwrite; a section longer than its
 * metric's threshold freezes the whole recorder.
 *
 * Consuming the ring, rather than tracking in each hook, keeps one
 * definition of every section (the records) and lets the tracker look
 * two records ahead, as the model does for IRQ frames. It runs with
 * hard IRQs off; a record written from NMI is consumed by the next
 * record of the interrupted context, so the tracker never nests.
 */
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/irqstage.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/instrumentation.h>
#include <linux/dovetail_recorder.h>
#include "dovetail_recorder.h"

/* IRQs a log may hold at once that the waits follow (the rest: unseen). */
#define DTREC_PEND_SLOTS	32

enum { SEC_OOB, SEC_HOFF, SEC_PEND, NR_SECS };

struct dtrec_sec {
	bool on, cut;
	u32 pid;
	u64 start_ts, start_pos, last_ts, last_pos;
};

struct dtrec_wait {
	u32 irq, pid;
	bool cut;		/* posted coalesced: the first post is unseen */
	u64 ts, pos;
};

struct dtrec_track {
	u64 cursor;		/* next ring position to consume */
	bool busy;
	bool known[NR_SECS];	/* a record since the reset could tell */
	struct dtrec_sec sec[NR_SECS];
	struct dtrec_wait wait[2][DTREC_PEND_SLOTS];
	unsigned int nwait[2];
	u64 pend_since;		/* the post that filled the empty in-band log */
	/* hard-off: the previous record and the last that could tell */
	bool have_prev, hoff_told;
	u16 prev_event, hoff_last_state;
};

static DEFINE_PER_CPU(struct dtrec_track, dtrec_track);
static DEFINE_PER_CPU(void *, dtrec_max_block);

static unsigned int dtrec_max_records __initdata = 256;
static unsigned int dtrec_max_context __initdata = 16;
static bool dtrec_max_boot_on __initdata = true;
static u64 dtrec_threshold_ns[DTREC_NR_METRICS] __initdata;

static const char *const dtrec_metric_names[DTREC_NR_METRICS] = {
	[DTREC_M_OOB_STALL]	= "oob_stall",
	[DTREC_M_HARD_OFF]	= "hard_off",
	[DTREC_M_STALL_PENDING]	= "stall_pending",
	[DTREC_M_WAIT_INBAND]	= "wait_inband",
	[DTREC_M_WAIT_OOB]	= "wait_oob",
};

const char *dtrec_metric_name(unsigned int m)
{
	return m < DTREC_NR_METRICS ? dtrec_metric_names[m] : "unknown";
}

int dtrec_metric_parse(const char *s, size_t len)
{
	int m;

	for (m = 0; m < DTREC_NR_METRICS; m++)
		if (strlen(dtrec_metric_names[m]) == len &&
		    !strncmp(s, dtrec_metric_names[m], len))
			return m;
	return -EINVAL;
}

static __always_inline struct dtrec_max_area *dtrec_area(void *block,
							 unsigned int m)
{
	return block + (size_t)m * dovetail_recorder_desc.max_area_size;
}

static __always_inline struct dtrec_record *dtrec_area_recs(struct dtrec_max_area *a)
{
	return (struct dtrec_record *)(a + 1);
}

/* --- capture ------------------------------------------------------- */

struct dtrec_found {
	unsigned int metric;
	u64 start_ts, end_ts, start_pos, end_pos;
	u64 from;		/* the oldest record the area should keep */
	u32 pid, irq;
	bool cut;
};

/*
 * Copy the section and its context to the metric's area, records up
 * to @upto (the tracker's look-ahead, so that a decoder judges the
 * section's last records as the tracker did).
 */
static __always_inline void dtrec_capture(struct dtrec_ring *ring, u64 head,
		const struct dtrec_found *f, u64 upto)
{
	const struct dtrec_desc *d = &dovetail_recorder_desc;
	void *block = raw_cpu_read(dtrec_max_block);
	struct dtrec_max_area *a;
	struct dtrec_record *dst;
	u64 from = f->from, pos, cap = d->max_area_records;
	u32 n = 0;

	if (!block)
		return;
	a = dtrec_area(block, f->metric);
	if (upto + 1 - from > cap)
		from = upto + 1 - cap;
	if (from < dtrec_ring_first(head, ring->nr_records))
		from = dtrec_ring_first(head, ring->nr_records);

	WRITE_ONCE(a->gen, a->gen + 1);		/* odd: being written */
	/* Readers see gen odd before any byte of the new area. */
	smp_wmb();
	dst = dtrec_area_recs(a);
	for (pos = from; pos <= upto; pos++)
		dst[n++] = *dtrec_ring_slot(ring, pos);
	a->nr = n;
	a->first_pos = from;
	a->length = f->end_ts - f->start_ts;
	a->start_ts = f->start_ts;
	a->end_ts = f->end_ts;
	a->start_pos = f->start_pos;
	a->end_pos = f->end_pos;
	a->metric = f->metric;
	a->cpu = ring->cpu;
	a->pid = f->pid;
	a->irq = f->irq;
	a->flags = f->start_pos < from ? DTREC_MAX_CUT : 0;
	/* The whole area is visible before gen turns even again. */
	smp_wmb();
	WRITE_ONCE(a->gen, a->gen + 1);
}

static void dtrec_threshold_freeze(unsigned int metric, u64 cycles)
{
	struct dtrec_desc *d = &dovetail_recorder_desc;
	u64 ns = d->clock_hz ? mul_u64_u64_div_u64(cycles, NSEC_PER_SEC,
						   d->clock_hz) : 0;

	dtrec_freeze_why(DTREC_FREEZE_THRESHOLD, metric, ns, NULL);
}

/* A section ended: the maximum, then the threshold. */
static __always_inline void dtrec_section_done(struct dtrec_ring *ring, u64 head,
		const struct dtrec_found *f, u64 upto)
{
	const struct dtrec_desc *d = &dovetail_recorder_desc;
	void *block = raw_cpu_read(dtrec_max_block);
	u64 len = f->end_ts - f->start_ts, thr;

	if (f->cut || f->end_ts < f->start_ts)
		return;		/* not measured, as in the model */
	if (block && len > READ_ONCE(dtrec_area(block, f->metric)->length))
		dtrec_capture(ring, head, f, upto);
	thr = READ_ONCE(d->threshold[f->metric]);
	if (unlikely(thr && len > thr)) {
		instrumentation_begin();
		dtrec_threshold_freeze(f->metric, len);
		instrumentation_end();
	}
}

/* --- the model, record by record ------------------------------------ */

static __always_inline bool dtrec_irq_frame(u16 st, u16 ev, u16 prev_ev,
		bool have_prev, u16 next_ev, u16 next2_ev)
{
	if (st & DTREC_ST_IN_PIPELINE)
		return true;
	if (next_ev == DTREC_EV_PIPELINE_ENTRY)
		return true;
	if (next2_ev == DTREC_EV_PIPELINE_ENTRY &&
	    (next_ev == DTREC_EV_SWITCH_OOB || next_ev == DTREC_EV_INBAND_STALL))
		return true;
	return ev == DTREC_EV_SWITCH_INBAND && have_prev &&
		prev_ev == DTREC_EV_PIPELINE_EXIT;
}

/*
 * One step of a plain section: @tell says whether the record can say,
 * @on whether the section holds after it. Returns true when the
 * record closed a section, whose description goes to @f.
 */
static __always_inline bool dtrec_sec_step(struct dtrec_track *t, int k,
		const struct dtrec_record *r, u64 pos, bool tell, bool on,
		bool to_last, struct dtrec_found *f)
{
	struct dtrec_sec *s = &t->sec[k];

	if (!tell)
		return false;
	if (on && !s->on) {
		s->on = true;
		s->cut = !t->known[k];
		s->pid = r->pid;
		s->start_ts = r->ts;
		s->start_pos = pos;
	}
	t->known[k] = true;
	if (on) {
		s->last_ts = r->ts;
		s->last_pos = pos;
		return false;
	}
	if (!s->on)
		return false;
	s->on = false;
	f->start_ts = s->start_ts;
	f->start_pos = s->start_pos;
	f->end_ts = to_last ? s->last_ts : r->ts;
	f->end_pos = to_last ? s->last_pos : pos;
	f->pid = s->pid;
	f->irq = 0;
	f->cut = s->cut;
	f->from = s->start_pos;
	return true;
}

static __always_inline int dtrec_wait_find(struct dtrec_track *t, int stage,
					   u32 irq)
{
	unsigned int i;

	for (i = 0; i < t->nwait[stage]; i++)
		if (t->wait[stage][i].irq == irq)
			return i;
	return -1;
}

static __always_inline bool dtrec_log_step(struct dtrec_track *t,
		const struct dtrec_record *r, u64 pos, struct dtrec_found *f)
{
	int stage = r->arg2 & 0xff, i;
	struct dtrec_wait *w;

	if (stage > 1)
		return false;
	i = dtrec_wait_find(t, stage, r->arg);
	if (r->event == DTREC_EV_IRQ_POST) {
		if (i >= 0 || t->nwait[stage] >= DTREC_PEND_SLOTS)
			return false;	/* coalesced: waits since the first */
		if (!stage && !t->nwait[0])
			t->pend_since = pos;
		w = &t->wait[stage][t->nwait[stage]++];
		w->irq = r->arg;
		w->pid = r->pid;
		w->cut = !!(r->arg2 & DTREC_POST_COALESCED);
		w->ts = r->ts;
		w->pos = pos;
		return false;
	}
	if (i < 0)
		return false;	/* posted before the tracker started */
	w = &t->wait[stage][i];
	f->metric = stage ? DTREC_M_WAIT_OOB : DTREC_M_WAIT_INBAND;
	f->start_ts = w->ts;
	f->start_pos = w->pos;
	f->end_ts = r->ts;
	f->end_pos = pos;
	f->pid = w->pid;
	f->irq = w->irq;
	f->cut = w->cut;
	f->from = w->pos;
	*w = t->wait[stage][--t->nwait[stage]];
	return true;
}

static __always_inline bool dtrec_stall_change(u16 ev)
{
	return ev == DTREC_EV_INBAND_STALL || ev == DTREC_EV_INBAND_UNSTALL;
}

/* Consume the record at @pos; @next and @next2 follow it in the ring. */
static __always_inline void dtrec_track_one(struct dtrec_track *t,
		struct dtrec_ring *ring, u64 head, u64 pos,
		const struct dtrec_record *r, u16 next_ev, u16 next2_ev)
{
	unsigned int ctx = dovetail_recorder_desc.max_context;
	u16 st = r->state, ev = r->event;
	struct dtrec_found f;
	u64 upto = pos + 2;

	/* The logs first: the stall-with-pending section reads them. */
	if (ev == DTREC_EV_IRQ_POST || ev == DTREC_EV_IRQ_PLAY) {
		if (dtrec_log_step(t, r, pos, &f)) {
			f.from = f.from > ctx ? f.from - ctx : 0;
			dtrec_section_done(ring, head, &f, upto);
		}
	}

	if (dtrec_sec_step(t, SEC_OOB, r, pos, !(st & DTREC_ST_IN_NMI),
			   !!(st & DTREC_ST_OOB_STALLED), false, &f)) {
		f.metric = DTREC_M_OOB_STALL;
		f.from = f.from > ctx ? f.from - ctx : 0;
		dtrec_section_done(ring, head, &f, upto);
	}
	if (dtrec_sec_step(t, SEC_PEND, r, pos,
			   !(st & (DTREC_ST_IN_NMI | DTREC_ST_TASK_OOB)),
			   (st & DTREC_ST_INBAND_STALLED) && t->nwait[0],
			   false, &f)) {
		f.metric = DTREC_M_STALL_PENDING;
		/* Keep the posts of the IRQs it waited for. */
		if (t->pend_since < f.from)
			f.from = t->pend_since;
		f.from = f.from > ctx ? f.from - ctx : 0;
		dtrec_section_done(ring, head, &f, upto);
	}
	/* An NMI record says nothing about the code it interrupted. */
	if (!(st & DTREC_ST_IN_NMI)) {
		bool holder = (st & DTREC_ST_HARD_OFF) && !dtrec_stall_change(ev) &&
			!dtrec_irq_frame(st, ev, t->prev_event, t->have_prev,
					 next_ev, next2_ev);

		if (dtrec_sec_step(t, SEC_HOFF, r, pos, true, holder, true, &f)) {
			f.metric = DTREC_M_HARD_OFF;
			f.from = f.from > ctx ? f.from - ctx : 0;
			dtrec_section_done(ring, head, &f, upto);
		}
		t->hoff_told = true;
		t->hoff_last_state = st;
	}
	t->prev_event = ev;
	t->have_prev = true;
}

static __always_inline void dtrec_track_reset(struct dtrec_track *t, u64 cursor)
{
	memset(t, 0, sizeof(*t));
	t->cursor = cursor;
}

/*
 * Called by __dovetail_record() after each record, hard IRQs off:
 * consume every record but the last two, which are the look-ahead.
 */
noinstr void dtrec_max_track(struct dtrec_ring *ring, u16 state)
{
	struct dtrec_track *t = raw_cpu_ptr(&dtrec_track);
	u64 head = READ_ONCE(ring->head), pos, nr = ring->nr_records;
	struct dtrec_record *r, *n1, *n2;

	if ((state & DTREC_ST_IN_NMI) || t->busy)
		return;
	/* Cleared ring, or a gap the ring no longer holds: start over. */
	if (unlikely(head < t->cursor || t->cursor < dtrec_ring_first(head, nr))) {
		instrumentation_begin();
		dtrec_track_reset(t, dtrec_ring_first(head, nr));
		instrumentation_end();
	}
	t->busy = true;
	for (pos = t->cursor; pos + 2 < head; pos++) {
		r = dtrec_ring_slot(ring, pos);
		n1 = dtrec_ring_slot(ring, pos + 1);
		n2 = dtrec_ring_slot(ring, pos + 2);
		if (likely(r->event < DTREC_NR_EVENTS))
			dtrec_track_one(t, ring, head, pos, r, n1->event,
					n2->event);
		t->cursor = pos + 1;
		if (READ_ONCE(dovetail_recorder_desc.frozen))
			break;
	}
	t->busy = false;
}

/* --- control --------------------------------------------------------- */

/* Empty this CPU's areas and restart its tracker at the ring's head. */
void dtrec_max_reset_local(void *unused)
{
	void *block = raw_cpu_read(dtrec_max_block);
	struct dtrec_ring *ring = raw_cpu_read(dtrec_cpu_ring);
	struct dtrec_max_area *a;
	unsigned long flags;
	unsigned int m;

	flags = hard_local_irq_save();
	for (m = 0; block && m < dovetail_recorder_desc.max_nr_metrics; m++) {
		a = dtrec_area(block, m);
		WRITE_ONCE(a->gen, a->gen + 1);
		/* As in dtrec_capture(): odd gen first, even gen last. */
		smp_wmb();
		a->length = 0;
		a->nr = 0;
		a->flags = 0;
		/* Emptied before gen turns even. */
		smp_wmb();
		WRITE_ONCE(a->gen, a->gen + 1);
	}
	dtrec_track_reset(raw_cpu_ptr(&dtrec_track),
			  ring ? READ_ONCE(ring->head) : 0);
	hard_local_irq_restore(flags);
}

/* Each CPU empties its own areas, which only it ever writes. */
void dtrec_max_reset(void)
{
	on_each_cpu(dtrec_max_reset_local, NULL, 1);
}

int dtrec_set_threshold(unsigned int metric, u64 ns)
{
	struct dtrec_desc *d = &dovetail_recorder_desc;

	if (metric >= DTREC_NR_METRICS)
		return -EINVAL;
	if (ns && !d->clock_hz)
		return -EAGAIN;		/* before the clock is calibrated */
	WRITE_ONCE(d->threshold[metric], ns ?
		   max_t(u64, mul_u64_u64_div_u64(ns, d->clock_hz, NSEC_PER_SEC), 1) : 0);
	/* As the user set it, for every reader (the cycles round). */
	WRITE_ONCE(d->threshold_ns[metric], ns);
	return 0;
}

u64 dtrec_threshold_get_ns(unsigned int metric)
{
	return READ_ONCE(dovetail_recorder_desc.threshold_ns[metric]);
}

/* dovetail_recorder_max=off | <records per area>[,<context records>] */
static int __init dtrec_max_param(char *s)
{
	unsigned int nr, ctx;
	int n;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "off")) {
		dtrec_max_boot_on = false;
		return 0;
	}
	n = sscanf(s, "%u,%u", &nr, &ctx);
	if (n < 1)
		return -EINVAL;
	dtrec_max_records = nr;
	if (n == 2)
		dtrec_max_context = ctx;
	return 0;
}
early_param("dovetail_recorder_max", dtrec_max_param);

/* dovetail_recorder_threshold=<metric>:<ns>[,<metric>:<ns>...] */
static int __init dtrec_threshold_param(char *s)
{
	char *tok, *colon;
	u64 ns;
	int m;

	while (s && (tok = strsep(&s, ",")) != NULL) {
		colon = strchr(tok, ':');
		if (!colon)
			return -EINVAL;
		m = dtrec_metric_parse(tok, colon - tok);
		if (m < 0 || kstrtoull(colon + 1, 0, &ns))
			return -EINVAL;
		dtrec_threshold_ns[m] = ns;
	}
	return 0;
}
early_param("dovetail_recorder_threshold", dtrec_threshold_param);

/* With the rings: the areas, described by the descriptor. */
int __init dtrec_max_alloc(void)
{
	struct dtrec_desc *d = &dovetail_recorder_desc;
	unsigned int nr = clamp(dtrec_max_records, 16U, DTREC_MAX_AREA_RECORDS);
	size_t area = sizeof(struct dtrec_max_area) +
		(size_t)nr * sizeof(struct dtrec_record);
	void *block;
	int cpu;

	d->max_nr_metrics = DTREC_NR_METRICS;
	d->max_area_records = nr;
	d->max_area_size = area;
	d->max_context = min(dtrec_max_context, nr / 2);
	for_each_possible_cpu(cpu) {
		if (cpu >= DTREC_MAX_CPUS)
			break;
		block = vzalloc_node(area * DTREC_NR_METRICS, cpu_to_node(cpu));
		if (!block) {
			pr_warn("dovetail recorder: no memory for CPU%d max areas, maxima off\n",
				cpu);
			d->max_on = 0;
			return -ENOMEM;
		}
		per_cpu(dtrec_max_block, cpu) = block;
		d->max_cpu[cpu] = (u64)(unsigned long)block;
	}
	/* Readers test max_on: the areas are in place before. */
	smp_wmb();
	d->max_on = dtrec_max_boot_on;
	return 0;
}

/* Once the clock rate is known: the boot thresholds, in cycles. */
void __init dtrec_max_late_init(void)
{
	unsigned int m;

	for (m = 0; m < DTREC_NR_METRICS; m++)
		if (dtrec_threshold_ns[m] && dtrec_set_threshold(m, dtrec_threshold_ns[m]))
			pr_warn("dovetail recorder: no clock rate, %s threshold ignored\n",
				dtrec_metric_name(m));
}
