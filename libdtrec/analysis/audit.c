// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Audit: check a snapshot against the Dovetail pipeline invariants and
 * measure stall, hard-off and IRQ latency figures. The rule set, and
 * what each rule can and cannot see, is written down in docs/audit.md;
 * the rule ids here are the ones used there.
 *
 * Every per-CPU rule walks one CPU's records in ring order. A record
 * whose predecessor is missing (ring start, lost, torn or stale slot)
 * starts a new "window": what a rule remembered is dropped, so that no
 * verdict is drawn across a hole.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "intervals.h"
#include "idmap.h"

/* Defaults (docs/audit.md): sanity limits, not real-time budgets. */
#define DEF_OOB_STALL_NS	500000ULL
#define DEF_INBAND_PENDING_NS	10000000ULL
#define DEF_HARD_OFF_NS		1000000ULL
#define DEF_CONTEXT		4

#define UNKNOWN		(-2L)	/* tracked pid not known (window start) */
#define NONE		(-1L)	/* known: nothing in flight */

/* Beyond this many per rule only the count grows: a wrecked ring must
 * not turn into gigabytes of context. */
#define MAX_LISTED	1000
#define NR_RULE_IDS	10	/* R1..R6 -> 1..6, L1..L3 -> 7..9 */

#define NR_BUCKETS	65	/* 0, then [2^(b-1), 2^b) for b = 1..64 */

struct violation {
	const char *rule;
	uint32_t cpu;
	uint64_t ns;
	uint32_t pid;
	size_t cpuv;		/* index into percpu.v */
	size_t idx;		/* record index in that CPU view */
	char msg[200];
};

struct hist {
	unsigned int stage;
	uint32_t irq;
	uint64_t count, min, max, sum;
	uint64_t b[NR_BUCKETS];
};

struct measure {
	const char *name;
	uint64_t limit;
	uint64_t max_ns, at_ns, sections, open;
	int64_t cpu;
	uint32_t pid;
};

struct audit {
	const struct dtrec_snapshot *s;
	struct dtrec_ivset iv;		/* the sections (intervals.h) */
	const struct dtrec_percpu *pc;	/* iv's per-CPU views, by position */
	int context;
	uint32_t mask;
	struct violation *v;
	size_t nv, capv;
	uint64_t per_rule[NR_RULE_IDS], unlisted;
	struct hist *h;
	size_t nh, caph;
	struct dtrec_idmap hidx;	/* stage << 32 | irq -> index in h[] */
	struct measure m_oob, m_pend, m_hoff;
	uint64_t valid, torn, stale, lost;
	int err;
};

static int has_class(const struct audit *a, int cls)
{
	return !!(a->mask & (1U << cls));
}

static const struct dtrec_ev *rec(const struct audit *a, size_t c, size_t i)
{
	return a->pc->v[c].ev[i];
}


__attribute__((format(printf, 5, 6)))
static void violate(struct audit *a, const char *rule, size_t c, size_t i,
		    const char *fmt, ...)
{
	const struct dtrec_ev *e = rec(a, c, i);
	struct violation *v;
	unsigned int id = (unsigned int)(rule[1] - '0') + (rule[0] == 'L' ? 6 : 0);
	va_list ap;

	if (id < NR_RULE_IDS && ++a->per_rule[id] > MAX_LISTED) {
		a->unlisted++;
		return;
	}
	if (a->nv == a->capv) {
		size_t cap = a->capv ? a->capv * 2 : 16;
		struct violation *nv = realloc(a->v, cap * sizeof(*nv));

		if (!nv) {
			a->err = -ENOMEM;
			return;
		}
		a->v = nv;
		a->capv = cap;
	}
	v = &a->v[a->nv++];
	v->rule = rule;
	v->cpu = e->cpu;
	v->ns = e->ns;
	v->pid = e->pid;
	v->cpuv = c;
	v->idx = i;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
}

/* --- latency histograms --- */

static unsigned int bucket_of(uint64_t ns)
{
	return ns ? 64U - (unsigned int)__builtin_clzll(ns) : 0U;
}

static void hist_add(struct audit *a, unsigned int stage, uint32_t irq, uint64_t lat)
{
	uint64_t key = (uint64_t)stage << 32 | irq;
	struct hist *h = NULL;
	size_t i;

	if (dtrec_idmap_get(&a->hidx, key, &i))
		h = &a->h[i];
	if (!h) {
		if (dtrec_idmap_put(&a->hidx, key, a->nh)) {
			a->err = -ENOMEM;
			return;
		}
		if (a->nh == a->caph) {
			size_t cap = a->caph ? a->caph * 2 : 16;
			struct hist *nh = realloc(a->h, cap * sizeof(*nh));

			if (!nh) {
				a->err = -ENOMEM;
				return;
			}
			a->h = nh;
			a->caph = cap;
		}
		h = &a->h[a->nh++];
		memset(h, 0, sizeof(*h));
		h->stage = stage;
		h->irq = irq;
		h->min = UINT64_MAX;
	}
	h->count++;
	h->sum += lat;
	if (lat < h->min)
		h->min = lat;
	if (lat > h->max)
		h->max = lat;
	h->b[bucket_of(lat)]++;
}

/* --- per-CPU rules --- */

struct cpustate {
	/* R3a: a sync of stage s is under way (it stalled the stage itself). */
	int sync[2];
	/*
	 * R3a, in-band: 1 if the in-band stall was the last thing the
	 * stalling task did in its own context, 0 if it went on running
	 * stalled, -1 if unknown or unstalled.
	 */
	int is_fresh;
	/*
	 * R3b: after an unstall outside pipeline entry with IRQs pending,
	 * the sync must begin: 1 awaiting its stall, 2 awaiting its first
	 * play, 0 nothing expected.
	 */
	int r3b;
	size_t r3b_idx;
	/* R4: task_inflight as far as the records tell. */
	long inflight;
	int finalized;
	/* R6: inside a pipeline entry (by entry/exit events): -1 unknown. */
	int in_entry;
	/* R2: pid -> index of its latest own-context record in the window. */
	struct dtrec_idmap own;
};

static void window_reset(struct cpustate *cs)
{
	cs->sync[0] = cs->sync[1] = 0;
	cs->is_fresh = -1;
	cs->r3b = 0;
	cs->inflight = UNKNOWN;
	cs->finalized = 0;
	cs->in_entry = -1;
	dtrec_idmap_clear(&cs->own);
}

static int stage_changer(unsigned int ev)
{
	switch (ev) {
	case DTREC_EV_SWITCH_OOB:
	case DTREC_EV_SWITCH_INBAND:
	case DTREC_EV_OOB_SWITCH:	/* dovetail_context_switch restores pc */
	case DTREC_EV_INBAND_TAIL:	/* preempt_count_set(FORK_PREEMPT_COUNT) */
	case DTREC_EV_SWITCHED_OOB:	/* inband_switch_tail adds STAGE (arm64) */
		return 1;
	}
	return 0;
}

/*
 * The first record of the task dovetail_context_switch() just switched
 * in. Where preempt_count is per task (arm64: no
 * HAVE_PERCPU_PREEMPT_COUNT), that task's word lacks STAGE until
 * dovetail_leave_inband()'s tail adds it (switch_oob, arg 1) after
 * stall_oob(): its first records read in-band while the CPU is on the
 * oob stage. A per-CPU preempt_count (x86) never shows this.
 */
static int switched_in(const struct dtrec_ev *prev, const struct dtrec_ev *e)
{
	return prev->event == DTREC_EV_OOB_SWITCH && prev->pid != e->pid;
}

/* Contexts on top of a task: their records are not the task's own. */
#define OTHER_CTX	(ST_NMI | ST_PIPE | ST_OOB | ST_HIRQ | ST_TOOB)

/*
 * The latest earlier record of the same task in its own in-band
 * context (not an IRQ, NMI or oob context on top of it) in the window,
 * or NULL: cs->own maps each pid to its latest such record, so this
 * is one lookup however many other tasks ran since.
 */
static const struct dtrec_ev *own_previous(const struct cpustate *cs,
					   const struct dtrec_cpuv *cv, size_t i)
{
	size_t j;

	if (!dtrec_idmap_get(&cs->own, cv->ev[i]->pid, &j))
		return NULL;
	return cv->ev[j];
}

/* The previous record of the window, NMI records skipped, or NULL. */
static const struct dtrec_ev *prev_non_nmi(const struct dtrec_cpuv *cv, size_t i)
{
	while (i > 0) {
		const struct dtrec_ev *p = cv->ev[i - 1];

		if (p->status != DTREC_OK || p->pos + 1 != cv->ev[i]->pos)
			return NULL;
		if (!(p->state & ST_NMI))
			return p;
		i--;
	}
	return NULL;
}

/*
 * Records of an IRQ frame taken on top of the task (pipeline entry and
 * the stage switches around it, NMIs, hardirq, oob tasks) leave the
 * freshness alone: hard IRQs are on in an in-band handler, so they may
 * sit between the stall a sync loop runs under and its next play (e.g.
 * once softirqs re-enabled then re-disabled IRQs inside a handler).
 */
static void is_fresh_step(struct cpustate *cs, const struct dtrec_ev *e)
{
	if ((e->state & (ST_NMI | ST_PIPE | ST_OOB | ST_HIRQ | ST_TOOB)) ||
	    e->event == DTREC_EV_SWITCH_INBAND)
		return;
	if (!(e->state & ST_IS))
		cs->is_fresh = -1;
	else if (e->event == DTREC_EV_INBAND_STALL)
		cs->is_fresh = 1;
	else if (e->event != DTREC_EV_IRQ_PLAY && cs->is_fresh == 1)
		cs->is_fresh = 0;
}

static int own_inband_context(const struct dtrec_ev *e)
{
	return !(e->state & (ST_NMI | ST_PIPE | ST_OOB | ST_HIRQ | ST_TOOB)) &&
	       e->event != DTREC_EV_SWITCH_INBAND;
}

/* The IRQs pending in CPU c's in-band log after its record i, as "25,26". */
static void pending_list(const struct audit *a, size_t c, size_t i, char *buf,
			 size_t len)
{
	const struct dtrec_ivset *iv = &a->iv;
	uint64_t ns = rec(a, c, i)->ns;
	size_t k, used = 0;

	buf[0] = '\0';
	for (k = iv->cpu_first[c]; k < iv->cpu_first[c + 1] && used + 24 < len; k++) {
		const struct dtrec_iv *v = &iv->iv[k];

		if (v->start > ns)
			break;
		if (v->kind != DTREC_IV_IRQ_WAIT || v->stage || v->first > i ||
		    (v->last <= i && !(v->flags & DTREC_IV_OPEN_END)))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%u",
					 used ? "," : "", v->irq);
	}
}

static void r3b_fail(struct audit *a, struct cpustate *cs, size_t c)
{
	char irqs[96];

	pending_list(a, c, cs->r3b_idx, irqs, sizeof(irqs));
	violate(a, "R3", c, cs->r3b_idx,
		"in-band unstall outside pipeline entry left irq %s pending: no sync followed",
		irqs);
	cs->r3b = 0;
}

/*
 * __inband_irq_enable() unstalls, then syncs at once if the log is not
 * empty (hard IRQs stay off in between): its next own-context records
 * must be the sync's stall and a play. Once a sync starts its loop
 * empties the log, so nothing more is asked of it (a softirq inside an
 * in-band handler may unstall and sync in a nested loop). A log emptied
 * before that record, by plays in another context (the sync at the end
 * of a pipeline entry, say an IRQ taken right after a raw unstall in
 * arm64's entry code), was synced too: nothing was left pending.
 */
static void r3b_step(struct audit *a, struct cpustate *cs, size_t c, size_t i,
		     const struct dtrec_ev *e)
{
	const uint32_t *np = a->iv.cpu[c].npend[0];

	if (!own_inband_context(e))
		return;
	if (cs->r3b && i > 0 && !np[i - 1]) {
		cs->r3b = 0;
	} else if (cs->r3b == 1) {
		if (e->event == DTREC_EV_INBAND_STALL)
			cs->r3b = 2;
		else if (e->event == DTREC_EV_IRQ_PLAY && !(e->arg2 & 0xff))
			cs->r3b = 0;
		else
			r3b_fail(a, cs, c);
	} else if (cs->r3b == 2) {
		if (e->event == DTREC_EV_IRQ_PLAY && !(e->arg2 & 0xff))
			cs->r3b = 0;
		else
			r3b_fail(a, cs, c);
	}
	if (e->event == DTREC_EV_INBAND_UNSTALL && np[i] &&
	    has_class(a, DTREC_C_INBAND_STALL)) {
		cs->r3b = 1;
		cs->r3b_idx = i;
	}
}

static void audit_cpu(struct audit *a, size_t c)
{
	const struct dtrec_cpuv *cv = &a->pc->v[c];
	const struct dtrec_ev *prev = NULL;
	struct cpustate cs;
	size_t i;
	int r1_run = 0;

	memset(&cs, 0, sizeof(cs));
	window_reset(&cs);
	for (i = 0; i < cv->n && !a->err; i++) {
		const struct dtrec_ev *e = cv->ev[i];
		unsigned int st = e->state, ev = e->event;
		int contig;

		if (e->status != DTREC_OK) {
			prev = NULL;
			continue;
		}
		contig = prev && prev->pos + 1 == e->pos;
		if (!contig) {
			/* Nothing open is judged across a hole. */
			window_reset(&cs);
			r1_run = 0;
		}

		/* R1: oob stage stalled with hard IRQs on. */
		if ((st & ST_OS) && !(st & ST_HOFF)) {
			if (!r1_run)
				violate(a, "R1", c, i,
					"oob stage stalled while hard IRQs are on (%s)",
					dtrec_event_name(ev));
			r1_run = 1;
		} else {
			r1_run = 0;
		}

		/*
		 * R2: dovetail_leave_inband() schedules, so it must be
		 * entered unstalled. Its record is taken under pi_lock,
		 * whose irqsave stalled the stage: the task's previous
		 * own record must be that stall, not an older one.
		 */
		if (ev == DTREC_EV_LEAVE_INBAND && (st & ST_IS) &&
		    has_class(a, DTREC_C_TASK) && has_class(a, DTREC_C_INBAND_STALL)) {
			const struct dtrec_ev *r = own_previous(&cs, cv, i);

			if (r && r->event != DTREC_EV_INBAND_STALL && (r->state & ST_IS))
				violate(a, "R2", c, i,
					"pid %u entered dovetail_leave_inband() (about to schedule out) with the in-band stage already stalled",
					e->arg);
		}

		/* R3a: a log played into a stage stalled before its sync began. */
		if (ev == DTREC_EV_IRQ_PLAY && (e->arg2 & 0xff) <= 1) {
			unsigned int s = e->arg2 & 0xff;
			int stalled_before;

			if (s == 0) {
				stalled_before = cs.is_fresh == 0;
			} else {
				/* oob syncs run hard-off: only an NMI fits in between. */
				const struct dtrec_ev *p = prev_non_nmi(cv, i);

				stalled_before = p && p->pid == e->pid && (p->state & ST_OS) &&
						 p->event != DTREC_EV_OOB_STALL;
			}
			if (!cs.sync[s] && stalled_before &&
			    has_class(a, s ? DTREC_C_OOB_STALL : DTREC_C_INBAND_STALL))
				violate(a, "R3", c, i,
					"irq %u played into the %s stage while it was already stalled before the sync began",
					e->arg, s ? "oob" : "in-band");
			cs.sync[s] = 1;
		}
		is_fresh_step(&cs, e);

		/* R3b: the in-band log's content comes from the intervals. */
		if (has_class(a, DTREC_C_IRQ_LOG))
			r3b_step(a, &cs, c, i, e);
		if (!(st & ST_IS))
			cs.sync[0] = 0;
		if (!(st & ST_OS))
			cs.sync[1] = 0;

		/* R4: the in-band -> oob hand-over through task_inflight. */
		if (has_class(a, DTREC_C_TASK)) {
			long p = (long)e->arg;

			if (ev == DTREC_EV_LEAVE_INBAND) {
				if (cs.inflight >= 0 && cs.finalized)
					violate(a, "R4", c, i,
						"LEAVE_INBAND for pid %u while pid %ld, finalized, never reached SWITCHED_OOB",
						e->arg, cs.inflight);
				cs.inflight = p;
				cs.finalized = 0;
			} else if (ev == DTREC_EV_FINALIZE_OOB) {
				if (cs.inflight == NONE)
					violate(a, "R4", c, i,
						"FINALIZE_OOB for pid %u without LEAVE_INBAND", e->arg);
				else if (cs.inflight >= 0 && cs.inflight != p)
					violate(a, "R4", c, i,
						"FINALIZE_OOB for pid %u but pid %ld left in-band",
						e->arg, cs.inflight);
				cs.inflight = p;
				cs.finalized = 1;
			} else if (ev == DTREC_EV_SWITCHED_OOB) {
				if (cs.inflight == NONE)
					violate(a, "R4", c, i,
						"SWITCHED_OOB for pid %u without LEAVE_INBAND", e->arg);
				else if (cs.inflight >= 0 && cs.inflight != p)
					violate(a, "R4", c, i,
						"SWITCHED_OOB for pid %u but pid %ld left in-band",
						e->arg, cs.inflight);
				cs.inflight = NONE;
				cs.finalized = 0;
			}
		}

		/* R5: the stage bit against the stage switches. */
		if (has_class(a, DTREC_C_STAGE)) {
			if (ev == DTREC_EV_SWITCH_OOB && !(st & ST_OOB))
				violate(a, "R5", c, i, "SWITCH_OOB but the stage is in-band");
			else if (ev == DTREC_EV_SWITCH_INBAND && (st & ST_OOB))
				violate(a, "R5", c, i, "SWITCH_INBAND but the stage is oob");
			else if (contig && has_class(a, DTREC_C_TASK) &&
				 ((prev->state ^ st) & ST_OOB) && !stage_changer(ev) &&
				 !switched_in(prev, e))
				violate(a, "R5", c, i,
					"stage changed to %s without a stage switch (at %s)",
					(st & ST_OOB) ? "oob" : "in-band",
					dtrec_event_name(ev));
		}

		/* R6: pipeline entry does not nest (outside NMI). */
		if (has_class(a, DTREC_C_PIPELINE)) {
			if (ev == DTREC_EV_PIPELINE_ENTRY && !(st & ST_NMI)) {
				if (cs.in_entry == 1 ||
				    (contig && (prev->state & ST_PIPE) &&
				     !(prev->state & ST_NMI) &&
				     prev->event != DTREC_EV_PIPELINE_EXIT))
					violate(a, "R6", c, i,
						"pipeline entry nested in another pipeline entry");
				cs.in_entry = 1;
			} else if (ev == DTREC_EV_PIPELINE_EXIT && !(st & ST_NMI)) {
				cs.in_entry = 0;
			}
		}

		if (!(st & OTHER_CTX) && dtrec_idmap_put(&cs.own, e->pid, i))
			a->err = -ENOMEM;
		prev = e;
	}
	dtrec_idmap_free(&cs.own);
}

/* --- R4, second half: per task, across CPUs, in time order --- */

struct taskst {
	/* cppcheck-suppress unusedStructMember ; read in task_get() */
	uint32_t pid;
	int oob;		/* 1: SWITCHED_OOB seen and no LEAVE_OOB since */
	uint64_t since;
};

static struct taskst *task_get(struct audit *a, struct taskst **t, size_t *n,
			       size_t *cap, struct dtrec_idmap *idx, uint32_t pid)
{
	size_t i;

	if (dtrec_idmap_get(idx, pid, &i))
		return &(*t)[i];
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct taskst *nt = realloc(*t, nc * sizeof(*nt));

		if (!nt) {
			a->err = -ENOMEM;
			return NULL;
		}
		*t = nt;
		*cap = nc;
	}
	if (dtrec_idmap_put(idx, pid, *n)) {
		a->err = -ENOMEM;
		return NULL;
	}
	(*t)[*n].pid = pid;
	(*t)[*n].oob = 0;
	(*t)[*n].since = 0;
	return &(*t)[(*n)++];
}

static void audit_tasks(struct audit *a)
{
	const struct dtrec_snapshot *s = a->s;
	struct taskst *t = NULL;
	struct dtrec_idmap idx = { 0 };
	size_t n = 0, cap = 0, i;
	uint64_t all_recording = 0;

	if (!has_class(a, DTREC_C_TASK))
		return;
	/* A LEAVE_OOB can only be missed if some CPU was not recording yet. */
	for (i = 0; i < a->pc->nr; i++) {
		const struct dtrec_cpuv *cv = &a->pc->v[i];

		if (cv->n && cv->ev[0]->ns > all_recording)
			all_recording = cv->ev[0]->ns;
	}
	for (i = 0; i < s->nr_events && !a->err; i++) {
		const struct dtrec_ev *e = &s->events[i];
		struct taskst *ts;

		if (e->status != DTREC_OK)
			continue;
		if (e->event != DTREC_EV_SWITCHED_OOB && e->event != DTREC_EV_LEAVE_OOB &&
		    e->event != DTREC_EV_INBAND_TAIL && e->event != DTREC_EV_RESUME_INBAND)
			continue;
		ts = task_get(a, &t, &n, &cap, &idx, e->arg);
		if (!ts)
			break;
		switch (e->event) {
		case DTREC_EV_SWITCHED_OOB:
			ts->oob = 1;
			ts->since = e->ns;
			break;
		case DTREC_EV_LEAVE_OOB:
			ts->oob = 0;
			break;
		default:
			if (ts->oob && ts->since >= all_recording) {
				size_t c = (size_t)(dtrec_percpu_find(a->pc, e->cpu) - a->pc->v);
				long idx = dtrec_percpu_index(&a->pc->v[c], e);
				if (idx >= 0)
					violate(a, "R4", c, (size_t)idx,
						"%s for pid %u without LEAVE_OOB since it switched oob",
						dtrec_event_name(e->event), e->arg);
			}
			ts->oob = 0;
		}
	}
	free(t);
	dtrec_idmap_free(&idx);
}

/* --- output --- */

static void ctx_range(const struct audit *a, const struct violation *v,
		      size_t *lo, size_t *hi)
{
	size_t n = a->pc->v[v->cpuv].n, k = (size_t)a->context;

	*lo = v->idx > k ? v->idx - k : 0;
	*hi = v->idx + k + 1 < n ? v->idx + k + 1 : n;
}

static int cmp_violation(const void *pa, const void *pb)
{
	const struct violation *x = pa, *y = pb;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

static int cmp_hist(const void *pa, const void *pb)
{
	const struct hist *x = pa, *y = pb;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	return x->irq < y->irq ? -1 : x->irq > y->irq;
}

struct skipped {
	const char *rule, *why;
};

static size_t skipped_rules(const struct audit *a, struct skipped *sk)
{
	size_t n = 0;

	if (!has_class(a, DTREC_C_TASK)) {
		sk[n++] = (struct skipped){ "R2", "task class not recorded" };
		sk[n++] = (struct skipped){ "R4", "task class not recorded" };
	}
	if (!has_class(a, DTREC_C_IRQ_LOG) || !has_class(a, DTREC_C_INBAND_STALL))
		sk[n++] = (struct skipped){ "R3", "irq or inband_stall class not recorded" };
	if (!has_class(a, DTREC_C_STAGE))
		sk[n++] = (struct skipped){ "R5", "stage class not recorded" };
	else if (!has_class(a, DTREC_C_TASK))
		sk[n++] = (struct skipped){ "R5", "task class not recorded: only switch records checked" };
	if (!has_class(a, DTREC_C_PIPELINE))
		sk[n++] = (struct skipped){ "R6", "pipeline class not recorded" };
	return n;
}

static void json_measure(FILE *out, const struct measure *m, const char *key, int first)
{
	fprintf(out, "%s\"%s\":{\"max_ns\":%llu,\"cpu\":%lld,\"ns\":%llu,\"pid\":%u,\"sections\":%llu,\"open\":%llu,\"limit_ns\":%llu}",
		first ? "" : ",", key, (unsigned long long)m->max_ns,
		(long long)m->cpu, (unsigned long long)m->at_ns, m->pid,
		(unsigned long long)m->sections, (unsigned long long)m->open,
		(unsigned long long)m->limit);
}

static void print_json(FILE *out, const struct audit *a)
{
	struct skipped sk[8];
	size_t i, j, nsk = skipped_rules(a, sk);

	fputs("{\"command\":\"audit\",", out);
	dtrec_print_max_view(out, a->s, 1);
	fputs(",\"violations\":[", out);
	for (i = 0; i < a->nv; i++) {
		const struct violation *v = &a->v[i];
		size_t lo, hi;

		fprintf(out, "%s{\"rule\":\"%s\",\"cpu\":%u,\"ns\":%llu,\"pid\":%u,\"message\":",
			i ? "," : "", v->rule, v->cpu, (unsigned long long)v->ns, v->pid);
		dtrec_json_str(out, v->msg);
		fputs(",\"context\":[", out);
		ctx_range(a, v, &lo, &hi);
		for (j = lo; j < hi; j++)
			dtrec_print_event(out, a->s, a->pc->v[v->cpuv].ev[j], 1, j == lo);
		fputs("]}", out);
	}
	fputs("],\"measurements\":{", out);
	json_measure(out, &a->m_oob, "oob_stall", 1);
	json_measure(out, &a->m_pend, "inband_stall_pending", 0);
	json_measure(out, &a->m_hoff, "hard_off", 0);
	fprintf(out, ",\"records\":{\"valid\":%llu,\"torn\":%llu,\"stale\":%llu,\"lost\":%llu}},\"histograms\":[",
		(unsigned long long)a->valid, (unsigned long long)a->torn,
		(unsigned long long)a->stale, (unsigned long long)a->lost);
	for (i = 0; i < a->nh; i++) {
		const struct hist *h = &a->h[i];
		int first = 1;

		fprintf(out, "%s{\"stage\":\"%s\",\"irq\":%u,\"count\":%llu,\"min_ns\":%llu,\"avg_ns\":%llu,\"max_ns\":%llu,\"buckets\":[",
			i ? "," : "", h->stage ? "oob" : "inband", h->irq,
			(unsigned long long)h->count, (unsigned long long)h->min,
			(unsigned long long)(h->sum / h->count),
			(unsigned long long)h->max);
		for (j = 0; j < NR_BUCKETS; j++) {
			if (!h->b[j])
				continue;
			fprintf(out, "%s{\"lo_ns\":%llu,\"count\":%llu}", first ? "" : ",",
				j ? 1ULL << (j - 1) : 0ULL, (unsigned long long)h->b[j]);
			first = 0;
		}
		fputs("]}", out);
	}
	fputs("],\"skipped\":[", out);
	for (i = 0; i < nsk; i++)
		fprintf(out, "%s{\"rule\":\"%s\",\"reason\":\"%s\"}", i ? "," : "",
			sk[i].rule, sk[i].why);
	fprintf(out, "],\"unlisted\":%llu}\n", (unsigned long long)a->unlisted);
}

static void text_event(FILE *out, const struct dtrec_snapshot *s,
		       const struct dtrec_ev *e, int mark)
{
	fprintf(out, "  %s [%03u] %llu.%09llu %-17s pid=%u",
		mark ? ">" : " ", e->cpu, (unsigned long long)(e->ns / 1000000000ULL),
		(unsigned long long)(e->ns % 1000000000ULL),
		dtrec_event_name(e->event), e->pid);
	dtrec_text_comm(out, dtrec_comm(s, e->pid));
	dtrec_print_args(out, e);
	fputs(e->status == DTREC_TORN ? " (torn)\n" :
	      e->status == DTREC_STALE ? " (stale)\n" : "\n", out);
}

static void text_measure(FILE *out, const struct measure *m, const char *what)
{
	char open[48] = "";

	/* Sections cut by the data's edges: counted, never measured. */
	if (m->open)
		snprintf(open, sizeof(open), "%llu open, ", (unsigned long long)m->open);
	if (m->cpu < 0) {
		fprintf(out, "  %-38s none (%slimit %llu ns)\n", what, open,
			(unsigned long long)m->limit);
		return;
	}
	fprintf(out, "  %-38s %llu ns on cpu %lld at %llu.%09llu, pid %u (%llu sections, %slimit %llu ns)\n",
		what, (unsigned long long)m->max_ns, (long long)m->cpu,
		(unsigned long long)(m->at_ns / 1000000000ULL),
		(unsigned long long)(m->at_ns % 1000000000ULL), m->pid,
		(unsigned long long)m->sections, open, (unsigned long long)m->limit);
}

static void print_text(FILE *out, const struct audit *a)
{
	struct skipped sk[8];
	size_t i, j, nsk = skipped_rules(a, sk);
	uint64_t total = a->nv + a->unlisted;

	dtrec_print_max_view(out, a->s, 0);
	fprintf(out, "audit: %llu violation%s", (unsigned long long)total,
		total == 1 ? "" : "s");
	if (a->unlisted)
		fprintf(out, " (%llu past the first %d of a rule not listed)",
			(unsigned long long)a->unlisted, MAX_LISTED);
	fprintf(out, "; records: %llu valid, %llu torn, %llu stale, %llu lost\n",
		(unsigned long long)a->valid,
		(unsigned long long)a->torn, (unsigned long long)a->stale,
		(unsigned long long)a->lost);
	for (i = 0; i < a->nv; i++) {
		const struct violation *v = &a->v[i];
		size_t lo, hi;

		fprintf(out, "%s cpu %u at %llu.%09llu pid %u: %s\n", v->rule, v->cpu,
			(unsigned long long)(v->ns / 1000000000ULL),
			(unsigned long long)(v->ns % 1000000000ULL), v->pid, v->msg);
		ctx_range(a, v, &lo, &hi);
		for (j = lo; j < hi; j++)
			text_event(out, a->s, a->pc->v[v->cpuv].ev[j], j == v->idx);
	}
	for (i = 0; i < nsk; i++)
		fprintf(out, "%s not checked: %s\n", sk[i].rule, sk[i].why);
	fputs("measurements:\n", out);
	text_measure(out, &a->m_oob, "longest oob-stalled section:");
	text_measure(out, &a->m_pend, "longest in-band stall with IRQs pending:");
	text_measure(out, &a->m_hoff, "longest hard-IRQs-off section:");
	if (!a->nh)
		return;
	fputs("irq post-to-play latency (log2 buckets, ns):\n", out);
	for (i = 0; i < a->nh; i++) {
		const struct hist *h = &a->h[i];

		fprintf(out, "  %-6s irq %-5u n=%llu min=%llu avg=%llu max=%llu:",
			h->stage ? "oob" : "inband", h->irq, (unsigned long long)h->count,
			(unsigned long long)h->min,
			(unsigned long long)(h->sum / h->count),
			(unsigned long long)h->max);
		for (j = 0; j < NR_BUCKETS; j++)
			if (h->b[j])
				fprintf(out, " >=%llu:%llu", j ? 1ULL << (j - 1) : 0ULL,
					(unsigned long long)h->b[j]);
		fputc('\n', out);
	}
}

static void measure_init(struct measure *m, const char *name, uint64_t limit,
			 uint64_t def)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->limit = limit ? limit : def;
	m->cpu = -1;
}

/*
 * A limit (L1-L3) on the measured sections of one kind: only those
 * whose both ends are in the data. A section cut by a hole or by the
 * end of the data is counted as open, never measured.
 */
static void measure(struct audit *a, struct measure *m, unsigned int kind,
		    const char *rule)
{
	struct dtrec_iv_sum sum;
	size_t k;

	dtrec_iv_summary(&a->iv, kind, &sum);
	m->max_ns = sum.max_ns;
	m->at_ns = sum.at_ns;
	m->cpu = sum.cpu;
	m->pid = sum.pid;
	m->sections = sum.sections;
	m->open = sum.open;
	for (k = 0; k < a->iv.n && !a->err; k++) {
		const struct dtrec_iv *v = &a->iv.iv[k];
		uint64_t d = v->end - v->start;

		if (v->kind != kind || !dtrec_iv_measured(v) || d <= m->limit)
			continue;
		violate(a, rule, (size_t)(dtrec_percpu_find(a->pc, v->cpu) - a->pc->v),
			v->first, "%s lasted %llu ns (limit %llu ns)", m->name,
			(unsigned long long)d, (unsigned long long)m->limit);
	}
}

/* Post-to-play latencies: the IRQ waits measured from end to end. */
static void latencies(struct audit *a)
{
	size_t k;

	for (k = 0; k < a->iv.n && !a->err; k++) {
		const struct dtrec_iv *v = &a->iv.iv[k];

		if (v->kind == DTREC_IV_IRQ_WAIT && dtrec_iv_measured(v))
			hist_add(a, v->stage, v->irq, v->end - v->start);
	}
}

int dtrec_audit(FILE *out, const struct dtrec_snapshot *s,
		const struct dtrec_audit_opts *o, int json)
{
	struct dtrec_audit_opts none = { 0, 0, 0, 0 };
	struct audit a;
	size_t i;
	int rc;

	if (!out || !s || (s->nr_events && !s->events))
		return -EINVAL;
	if (!o)
		o = &none;
	memset(&a, 0, sizeof(a));
	a.s = s;
	a.context = o->context > 0 ? o->context : o->context < 0 ? 0 : DEF_CONTEXT;
	/* A zero mask comes from hand-built snapshots: treat it as "all". */
	a.mask = s->hdr.event_mask ? s->hdr.event_mask : DTREC_ALL_CLASSES;
	measure_init(&a.m_oob, "oob-stalled section", o->max_oob_stall_ns, DEF_OOB_STALL_NS);
	measure_init(&a.m_pend, "in-band stall with IRQs pending",
		     o->max_inband_stall_pending_ns, DEF_INBAND_PENDING_NS);
	measure_init(&a.m_hoff, "hard-IRQs-off section", o->max_hard_off_ns, DEF_HARD_OFF_NS);
	rc = dtrec_intervals_build(&a.iv, s);
	if (rc)
		return rc;
	a.pc = &a.iv.pc;
	for (i = 0; i < s->nr_events; i++) {
		if (s->events[i].status == DTREC_TORN)
			a.torn++;
		else if (s->events[i].status == DTREC_STALE)
			a.stale++;
		else
			a.valid++;
	}
	for (i = 0; i < s->nr_cpus && s->cpus; i++)
		a.lost += s->cpus[i].lost;
	for (i = 0; i < a.pc->nr && !a.err; i++)
		audit_cpu(&a, i);
	if (!a.err)
		audit_tasks(&a);
	measure(&a, &a.m_oob, DTREC_IV_STALL_OOB, "L1");
	measure(&a, &a.m_pend, DTREC_IV_STALL_PENDING, "L2");
	measure(&a, &a.m_hoff, DTREC_IV_HARD_OFF, "L3");
	latencies(&a);
	if (!a.err) {
		if (a.nv)
			qsort(a.v, a.nv, sizeof(*a.v), cmp_violation);
		if (a.nh)
			qsort(a.h, a.nh, sizeof(*a.h), cmp_hist);
		if (json)
			print_json(out, &a);
		else
			print_text(out, &a);
	}
	if (a.err)
		rc = a.err;
	else
		rc = a.nv + a.unlisted > INT_MAX ? INT_MAX : (int)(a.nv + a.unlisted);
	free(a.v);
	free(a.h);
	dtrec_idmap_free(&a.hidx);
	dtrec_intervals_free(&a.iv);
	return rc;
}
