/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The interval model (docs/audit.md, "Sections"): every section the outputs
 * talk about -- stage residency, the stall of each stage, hard IRQs
 * off, the in-band stage stalled with IRQs pending, each IRQ's wait
 * from post to play, the task running on a CPU, task migrations --
 * computed once from a snapshot, so that audit, report, stats and the
 * three exports tell the same story. Not part of the API.
 *
 * A section whose start or end lies outside the data (before the first
 * record of its window, after the last one: a ring's start, a hole of
 * lost, torn or stale records, the end of the snapshot) is flagged
 * open at that side. Its bounds are those of the data, and it is never
 * counted as a measured duration.
 */
#ifndef DTREC_INTERVALS_H
#define DTREC_INTERVALS_H

#include "percpu.h"

enum dtrec_iv_kind {
	DTREC_IV_STAGE_INBAND,	/* STAGE bit clear */
	DTREC_IV_STAGE_OOB,	/* STAGE bit set */
	DTREC_IV_STALL_INBAND,	/* IS; NMI and oob-task (TOOB) records neutral */
	DTREC_IV_STALL_OOB,	/* OS; NMI records neutral */
	DTREC_IV_HARD_OFF,	/* HOFF outside IRQ frames, to its last record */
	DTREC_IV_STALL_PENDING,	/* IS with the in-band log not empty */
	DTREC_IV_IRQ_WAIT,	/* one IRQ from its first post to its play */
	DTREC_IV_TASK,		/* one pid current on the CPU, in-band or oob (TOOB) */
	DTREC_IV_MIGRATE_OOB,	/* leave_inband(P) .. switched_oob(P) */
	DTREC_IV_MIGRATE_INBAND, /* leave_oob(P) .. inband_tail/resume_inband(P) */
	DTREC_IV_NR
};

#define DTREC_IV_OPEN_START	0x1	/* began before the data */
#define DTREC_IV_OPEN_END	0x2	/* still on at the end of the data */
#define DTREC_IV_INEXACT	0x4	/* start only bounded: the record before
					   could not tell (hard-off only) */
#define DTREC_IV_FINALIZED	0x8	/* MIGRATE_OOB: finalize_oob(P) seen, at mid */
#define DTREC_IV_OPEN		(DTREC_IV_OPEN_START | DTREC_IV_OPEN_END)

struct dtrec_iv {
	uint64_t start, end;	/* ns; an open side is the data's edge */
	uint64_t mid;		/* MIGRATE_OOB: its finalize_oob, if FINALIZED */
	size_t first, last;	/* record indexes in the CPU's view */
	uint32_t cpu;		/* where it started */
	uint32_t end_cpu;	/* where it ended (migrations), else cpu */
	uint32_t pid;		/* the task (TASK, MIGRATE_*), else who opened it */
	uint32_t irq;		/* IRQ_WAIT */
	uint8_t kind;		/* enum dtrec_iv_kind */
	uint8_t stage;		/* IRQ_WAIT: the log; TASK: 1 if TOOB; else the
				   stage at its start: 0 in-band, 1 oob */
	uint8_t flags;		/* DTREC_IV_* */
};

/* A closed section: a duration the data measures. */
static inline int dtrec_iv_measured(const struct dtrec_iv *v)
{
	return !(v->flags & DTREC_IV_OPEN);
}

/* Per CPU: its view, its last window and the state at that window's end. */
struct dtrec_ivcpu {
	const struct dtrec_cpuv *cv;
	int have_win;
	size_t win, end;	/* the last window: cv->ev[win..end) */
	/*
	 * The condition after the window's last record that can tell:
	 * 1 on (then open[k] indexes its interval), 0 off, -1 unknown.
	 */
	signed char tail[DTREC_IV_NR];
	size_t open[DTREC_IV_NR];
	uint32_t *npend[2];	/* IRQs pending in each log after each record */
};

struct dtrec_ivset {
	struct dtrec_percpu pc;		/* by ring position */
	struct dtrec_ivcpu *cpu;	/* parallel to pc.v */
	size_t n, cap;
	struct dtrec_iv *iv;		/* by CPU, then start, then kind */
	size_t *cpu_first;		/* first interval of each CPU, nr + 1 */
};

/* Build the model of s; 0 or -ENOMEM. */
int dtrec_intervals_build(struct dtrec_ivset *set, const struct dtrec_snapshot *s);
void dtrec_intervals_free(struct dtrec_ivset *set);
/* "stage_inband", "stall_oob", "hard_off", ...: the JSON names. */
const char *dtrec_iv_name(unsigned int kind);

/*
 * Summary of one kind over every CPU: measured sections, their longest
 * (where, when, by whom) and total, and the open ones.
 */
struct dtrec_iv_sum {
	uint64_t sections, open, total_ns, max_ns, at_ns;
	int64_t cpu;		/* -1: no measured section */
	uint32_t pid;
	const struct dtrec_iv *longest;
};
void dtrec_iv_summary(const struct dtrec_ivset *set, unsigned int kind,
		      struct dtrec_iv_sum *sum);

/*
 * What an export shows of the model under a filter: the time window
 * [t0, t1] (--from/--to, the first of the --last N events), and for a
 * section whether it is shown at all (its CPU selected, overlapping the
 * window) with its bounds clipped to the window; 1 when shown. The
 * other filters (--class, --pid) select events, not sections.
 */
struct dtrec_iv_view {
	uint64_t t0, t1;
	uint64_t cpu_mask;	/* 0: every CPU */
};
void dtrec_iv_view_init(struct dtrec_iv_view *w, const struct dtrec_snapshot *s,
			const struct dtrec_filter *f);
int dtrec_iv_clip(const struct dtrec_iv_view *w, const struct dtrec_iv *v,
		  uint64_t *start, uint64_t *end);
int dtrec_iv_view_cpu(const struct dtrec_iv_view *w, uint32_t cpu);

#endif /* DTREC_INTERVALS_H */
