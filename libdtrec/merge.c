// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Ring window decoding and the cross-CPU merge. Rings are written in
 * time order, so each CPU's window is normally a sorted run and a
 * k-way merge gives the global order in O(n log k); a run that is not
 * sorted (torn or stale slots, clock trouble) is sorted on its own
 * first so the result is the same total order in every case.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define NSEC_PER_SEC 1000000000ULL

/* floor(d * 1e9 / hz) without overflow, saturating at 2^64 - 1. */
static uint64_t scale(uint64_t d, uint64_t hz)
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
		d = scale(ts - h->ref_cycles, h->clock_hz);
		return d > UINT64_MAX - h->ref_ns ? UINT64_MAX : h->ref_ns + d;
	}
	d = scale(h->ref_cycles - ts, h->clock_hz);
	return d > h->ref_ns ? 0 : h->ref_ns - d;
}

static uint8_t slot_status(uint64_t seq, uint64_t pos)
{
	if (seq == pos + 1)
		return DTREC_OK;
	return seq == 0 ? DTREC_TORN : DTREC_STALE;
}

/* Decode one CPU's window, oldest position first; returns 1 if sorted by ts. */
static int decode_ring(const struct dtrec_snapshot *s, struct dtrec_cpu_info *ci,
		       const unsigned char *ring, struct dtrec_ev *ev)
{
	uint64_t n = ci->nr_records, mask = n - 1;
	uint64_t first = ci->head > n ? ci->head - n : 0;
	uint64_t pos, prev_ts = 0;
	size_t rs = s->hdr.rec_size;
	int sorted = 1;

	for (pos = first; pos < ci->head; pos++, ev++) {
		struct dtrec_record r;

		memcpy(&r, ring + (pos & mask) * rs, sizeof(r));
		ev->pos = pos;
		ev->ts = r.ts;
		ev->ns = dtrec_cycles_to_ns(&s->hdr, r.ts);
		ev->cpu = ci->cpu;
		ev->pid = r.pid;
		ev->arg = r.arg;
		ev->arg2 = r.arg2;
		ev->event = r.event;
		ev->state = r.state;
		ev->status = slot_status(r.seq, pos);
		if (ev->status == DTREC_TORN)
			ci->torn++;
		else if (ev->status == DTREC_STALE)
			ci->stale++;
		if (r.ts < prev_ts)
			sorted = 0;
		prev_ts = r.ts;
	}
	return sorted;
}

static int ev_before(const struct dtrec_ev *a, const struct dtrec_ev *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return a->pos < b->pos;
}

static int ev_cmp(const void *pa, const void *pb)
{
	const struct dtrec_ev *a = pa, *b = pb;

	return ev_before(a, b) ? -1 : ev_before(b, a) ? 1 : 0;
}

struct run {
	const struct dtrec_ev *cur, *end;
};

static void sift_down(struct run *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct run t;

		if (l < n && ev_before(h[l].cur, h[m].cur))
			m = l;
		if (l + 1 < n && ev_before(h[l + 1].cur, h[m].cur))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void kway_merge(struct run *h, size_t n, struct dtrec_ev *out)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(h, n, i);
	while (n > 1) {
		*out++ = *h[0].cur++;
		if (h[0].cur == h[0].end)
			h[0] = h[--n];
		sift_down(h, n, 0);
	}
	if (n == 1)
		memcpy(out, h[0].cur, (size_t)(h[0].end - h[0].cur) * sizeof(*out));
}

int dtrec_merge(struct dtrec_snapshot *s, const unsigned char *const *rings,
		char *err, size_t errlen)
{
	struct dtrec_ev *all, *merged;
	struct run *runs;
	size_t total = 0, off = 0, nruns = 0;
	unsigned int i;

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

	all = malloc(total * sizeof(*all));
	runs = calloc(s->nr_cpus, sizeof(*runs));
	if (!all || !runs) {
		free(all);
		free(runs);
		return dtrec_seterr(err, errlen, -ENOMEM,
				    "out of memory for %zu events", total);
	}
	for (i = 0; i < s->nr_cpus; i++) {
		struct dtrec_cpu_info *ci = &s->cpus[i];
		size_t n = ci->head - ci->lost;

		if (!n)
			continue;
		if (!decode_ring(s, ci, rings[i], all + off))
			qsort(all + off, n, sizeof(*all), ev_cmp);
		runs[nruns].cur = all + off;
		runs[nruns].end = all + off + n;
		nruns++;
		off += n;
	}
	if (nruns == 1) {
		s->events = all;
		free(runs);
		return 0;
	}
	merged = malloc(total * sizeof(*merged));
	if (!merged) {
		free(all);
		free(runs);
		return dtrec_seterr(err, errlen, -ENOMEM,
				    "out of memory for %zu events", total);
	}
	kway_merge(runs, nruns, merged);
	free(all);
	free(runs);
	s->events = merged;
	return 0;
}
