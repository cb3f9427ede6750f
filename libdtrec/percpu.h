/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-CPU views of a merged snapshot, shared by the audit and the
 * exports. The snapshot is merged in time order, but every per-CPU
 * analysis needs one CPU's records in ring order (pos), which is the
 * order the CPU wrote them in even when its clock went backwards.
 */
#ifndef DTREC_PERCPU_H
#define DTREC_PERCPU_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dtrec.h"

/* Short names for the record state bits, for the per-CPU state machines. */
#define ST_IS	DTREC_ST_INBAND_STALLED
#define ST_OS	DTREC_ST_OOB_STALLED
#define ST_OOB	DTREC_ST_STAGE_OOB
#define ST_PIPE	DTREC_ST_IN_PIPELINE
#define ST_HOFF	DTREC_ST_HARD_OFF
#define ST_NMI	DTREC_ST_IN_NMI
#define ST_HIRQ	DTREC_ST_IN_HARDIRQ
#define ST_TOOB	DTREC_ST_TASK_OOB

struct dtrec_cpuv {
	uint32_t cpu;
	size_t n;
	const struct dtrec_ev **ev;	/* slice of dtrec_percpu.all */
};

struct dtrec_percpu {
	size_t nr;
	struct dtrec_cpuv *v;		/* sorted by cpu */
	const struct dtrec_ev **all;
};

static inline int dtrec_percpu_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static inline int dtrec_percpu_cmp_pos(const void *a, const void *b)
{
	const struct dtrec_ev *x = *(const struct dtrec_ev *const *)a;
	const struct dtrec_ev *y = *(const struct dtrec_ev *const *)b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static inline struct dtrec_cpuv *dtrec_percpu_find(const struct dtrec_percpu *p,
						   uint32_t cpu)
{
	size_t lo = 0, hi = p->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->v[mid].cpu == cpu)
			return &p->v[mid];
		if (p->v[mid].cpu < cpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static inline void dtrec_percpu_free(struct dtrec_percpu *p)
{
	free(p->v);
	free(p->all);
	memset(p, 0, sizeof(*p));
}

/*
 * Group s->events by CPU, torn and stale records included (their
 * absence would hide gaps). by_pos sorts each CPU by ring position,
 * otherwise the merged (time) order is kept.
 */
static inline int dtrec_percpu_build(struct dtrec_percpu *p,
				     const struct dtrec_snapshot *s, int by_pos)
{
	uint32_t *ids;
	size_t i, n = s->nr_events, nr = 0;
	size_t *fill;

	memset(p, 0, sizeof(*p));
	ids = malloc((n ? n : 1) * sizeof(*ids));
	p->all = malloc((n ? n : 1) * sizeof(*p->all));
	if (!ids || !p->all)
		goto nomem;
	for (i = 0; i < n; i++)
		ids[i] = s->events[i].cpu;
	qsort(ids, n, sizeof(*ids), dtrec_percpu_cmp_u32);
	for (i = 0; i < n; i++)
		if (!nr || ids[nr - 1] != ids[i])
			ids[nr++] = ids[i];
	p->v = calloc(nr ? nr : 1, sizeof(*p->v));
	fill = calloc(nr ? nr : 1, sizeof(*fill));
	if (!p->v || !fill) {
		free(fill);
		goto nomem;
	}
	p->nr = nr;
	for (i = 0; i < nr; i++)
		p->v[i].cpu = ids[i];
	for (i = 0; i < n; i++)
		dtrec_percpu_find(p, s->events[i].cpu)->n++;
	for (i = 0, n = 0; i < nr; i++) {
		p->v[i].ev = p->all + n;
		n += p->v[i].n;
	}
	for (i = 0; i < n; i++) {
		struct dtrec_cpuv *c = dtrec_percpu_find(p, s->events[i].cpu);
		size_t ci = (size_t)(c - p->v);

		c->ev[fill[ci]++] = &s->events[i];
	}
	free(fill);
	free(ids);
	if (by_pos)
		for (i = 0; i < nr; i++)
			qsort(p->v[i].ev, p->v[i].n, sizeof(*p->v[i].ev),
			      dtrec_percpu_cmp_pos);
	return 0;
nomem:
	free(ids);
	dtrec_percpu_free(p);
	return -ENOMEM;
}

/* Index of e in its CPU view (sorted by pos), or -1. */
static inline long dtrec_percpu_index(const struct dtrec_cpuv *c,
				      const struct dtrec_ev *e)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->ev[mid]->pos == e->pos)
			return (long)mid;
		if (c->ev[mid]->pos < e->pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * First event index an output starts from: f->last keeps only the last
 * N matching events, and dtrec_filter_match() alone cannot tell that.
 */
static inline size_t dtrec_first_selected(const struct dtrec_snapshot *s,
					  const struct dtrec_filter *f)
{
	uint64_t seen = 0;
	size_t i = s->nr_events;

	if (!f || !f->last)
		return 0;
	while (i > 0) {
		if (dtrec_filter_match(f, &s->events[i - 1]) && ++seen == f->last)
			return i - 1;
		i--;
	}
	return 0;
}

#endif /* DTREC_PERCPU_H */
