// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Ring window decoding and the cross-CPU merge. Rings are written in
 * time order, so each CPU's window is normally a sorted run and a
 * k-way merge gives the global order in O(n log k); a run that is not
 * sorted (torn or stale slots, clock trouble) is sorted on its own
 * first so the result is the same total order in every case.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define NSEC_PER_SEC 1000000000ULL

/* floor(d * 1e9 / hz) without overflow, saturating at 2^64 - 1. */
uint64_t dtrec_cycles_span_ns(uint64_t d, uint64_t hz)
{
	unsigned __int128 r;
	uint64_t q, rem;

	if (d <= UINT64_MAX / NSEC_PER_SEC)
		return d * NSEC_PER_SEC / hz;
	/* d = q*hz + rem, so d*1e9/hz = q*1e9 + floor(rem*1e9/hz) exactly. */
	q = d / hz;
	rem = d % hz;
	r = (unsigned __int128)q * NSEC_PER_SEC +
	    (unsigned __int128)rem * NSEC_PER_SEC / hz;
	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

uint64_t dtrec_cycles_to_ns(const struct dtrec_snap_header *h, uint64_t ts)
{
	uint64_t d;

	if (ts >= h->ref_cycles) {
		d = dtrec_cycles_span_ns(ts - h->ref_cycles, h->clock_hz);
		return d > UINT64_MAX - h->ref_ns ? UINT64_MAX : h->ref_ns + d;
	}
	d = dtrec_cycles_span_ns(h->ref_cycles - ts, h->clock_hz);
	return d > h->ref_ns ? 0 : h->ref_ns - d;
}

static uint8_t slot_status(uint64_t seq, uint64_t pos)
{
	if (seq == pos + 1)
		return DTREC_OK;
	return seq == 0 ? DTREC_TORN : DTREC_STALE;
}

void dtrec_decode_record(const struct dtrec_snapshot *s, uint32_t cpu,
			 const unsigned char *rec, uint64_t pos, struct dtrec_ev *ev)
{
	struct dtrec_record r;

	memcpy(&r, rec, sizeof(r));
	ev->pos = pos;
	ev->ts = r.ts;
	ev->ns = dtrec_cycles_to_ns(&s->hdr, r.ts);
	ev->cpu = cpu;
	ev->pid = r.pid;
	ev->arg = r.arg;
	ev->arg2 = r.arg2;
	ev->event = r.event;
	ev->state = r.state;
	ev->status = slot_status(r.seq, pos);
}

static int ev_before(const struct dtrec_ev *a, const struct dtrec_ev *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return a->pos < b->pos;
}

int dtrec_ev_cmp(const void *pa, const void *pb)
{
	const struct dtrec_ev *a = pa, *b = pb;

	return ev_before(a, b) ? -1 : ev_before(b, a) ? 1 : 0;
}

/*
 * One CPU's window. A ring in time order is merged straight from the
 * raw records, so the events are decoded once, into their final place;
 * only an out-of-order ring goes through a decoded, sorted copy.
 */
struct run {
	const unsigned char *ring;
	uint64_t mask, pos, end;
	uint32_t cpu;
	struct dtrec_ev *sorted;	/* NULL: read the ring */
	size_t next;
};

/* Heap node: the run's current key, kept inline for cache-friendly compares. */
struct node {
	uint64_t ts, pos;
	uint32_t cpu;
	struct run *run;
};

static int node_before(const struct node *a, const struct node *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return a->pos < b->pos;
}

struct snapshot_ctx {
	const struct dtrec_snapshot *s;
	size_t rs;
};

static uint64_t rec_ts(const struct snapshot_ctx *c, const struct run *r)
{
	uint64_t ts;

	memcpy(&ts, r->ring + (r->pos & r->mask) * c->rs +
	       offsetof(struct dtrec_record, ts), sizeof(ts));
	return ts;
}

/* Load the run's current key into n; 0 when the run is exhausted. */
static int node_load(const struct snapshot_ctx *c, struct node *n)
{
	struct run *r = n->run;

	if (r->pos == r->end)
		return 0;
	if (r->sorted) {
		const struct dtrec_ev *e = &r->sorted[r->next];

		n->ts = e->ts;
		n->pos = e->pos;
	} else {
		n->ts = rec_ts(c, r);
		n->pos = r->pos;
	}
	return 1;
}

static void node_emit(const struct snapshot_ctx *c, struct node *n,
		      struct dtrec_ev *out)
{
	struct run *r = n->run;

	if (r->sorted)
		*out = r->sorted[r->next++];
	else
		dtrec_decode_record(c->s, r->cpu, r->ring + (r->pos & r->mask) * c->rs,
			   r->pos, out);
	r->pos++;
}

static void sift_down(struct node *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct node t;

		if (l < n && node_before(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && node_before(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void kway_merge(const struct snapshot_ctx *c, struct node *h, size_t n,
		       struct dtrec_ev *out)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(h, n, i);
	while (n) {
		node_emit(c, &h[0], out++);
		if (!node_load(c, &h[0]))
			h[0] = h[--n];
		sift_down(h, n, 0);
	}
}

/* Count damaged slots; returns 1 if the window is in time order. */
static int scan_ring(const struct snapshot_ctx *c, struct dtrec_cpu_info *ci,
		     const struct run *r)
{
	uint64_t pos, prev_ts = 0;
	int sorted = 1;

	for (pos = r->pos; pos < r->end; pos++) {
		struct dtrec_record x;

		memcpy(&x, r->ring + (pos & r->mask) * c->rs, sizeof(x));
		switch (slot_status(x.seq, pos)) {
		case DTREC_TORN:
			ci->torn++;
			break;
		case DTREC_STALE:
			ci->stale++;
			break;
		}
		if (x.ts < prev_ts)
			sorted = 0;
		prev_ts = x.ts;
	}
	return sorted;
}

int dtrec_merge(struct dtrec_snapshot *s, const unsigned char *const *rings,
		char *err, size_t errlen)
{
	struct snapshot_ctx c = { s, s->hdr.rec_size };
	struct run *runs;
	struct node *heap;
	size_t total = 0, nruns = 0;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < s->nr_cpus; i++) {
		struct dtrec_cpu_info *ci = &s->cpus[i];

		ci->lost = ci->head > ci->nr_records ? ci->head - ci->nr_records : 0;
		ci->torn = ci->stale = 0;
		total += ci->head - ci->lost;
	}
	s->nr_events = total;
	s->events = NULL;
	if (!total)
		return 0;

	s->events = malloc(total * sizeof(*s->events));
	runs = calloc(s->nr_cpus, sizeof(*runs));
	heap = calloc(s->nr_cpus, sizeof(*heap));
	if (!s->events || !runs || !heap)
		goto nomem;
	for (i = 0; i < s->nr_cpus; i++) {
		struct dtrec_cpu_info *ci = &s->cpus[i];
		struct run *r = &runs[nruns];
		uint64_t k, n = ci->head - ci->lost;

		if (!n)
			continue;
		r->ring = rings[i];
		r->mask = ci->nr_records - 1;
		r->pos = ci->lost;
		r->end = ci->head;
		r->cpu = ci->cpu;
		if (!scan_ring(&c, ci, r)) {
			r->sorted = malloc(n * sizeof(*r->sorted));
			if (!r->sorted)
				goto nomem;
			for (k = 0; k < n; k++)
				dtrec_decode_record(s, r->cpu, r->ring + ((r->pos + k) & r->mask) * c.rs,
					   r->pos + k, &r->sorted[k]);
			qsort(r->sorted, n, sizeof(*r->sorted), dtrec_ev_cmp);
		}
		heap[nruns].run = r;
		heap[nruns].cpu = r->cpu;
		node_load(&c, &heap[nruns]);
		nruns++;
	}
	kway_merge(&c, heap, nruns, s->events);
	goto out;
nomem:
	free(s->events);
	s->events = NULL;
	s->nr_events = 0;
	rc = dtrec_seterr(err, errlen, -ENOMEM, "out of memory for %zu events",
			  total);
out:
	if (runs)
		for (i = 0; i < nruns; i++)
			free(runs[i].sorted);
	free(runs);
	free(heap);
	return rc;
}
