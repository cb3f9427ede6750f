// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The captured worst cases (snapshot version 3, docs/maxima.md): the
 * max block's parse, the max view every command can run on and the
 * "--max" word of the recorder commands. Their listing is in print.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static const char *const metric_names[DTREC_NR_METRICS] = {
	[DTREC_M_OOB_STALL]	= "oob_stall",
	[DTREC_M_HARD_OFF]	= "hard_off",
	[DTREC_M_STALL_PENDING]	= "stall_pending",
	[DTREC_M_WAIT_INBAND]	= "wait_inband",
	[DTREC_M_WAIT_OOB]	= "wait_oob",
};

const char *dtrec_metric_name(unsigned int metric)
{
	return metric < DTREC_NR_METRICS ? metric_names[metric] : "unknown";
}

int dtrec_metric_parse(const char *name)
{
	int m;

	for (m = 0; name && m < DTREC_NR_METRICS; m++)
		if (!strcmp(name, metric_names[m]))
			return m;
	return -EINVAL;
}

uint64_t dtrec_max_ns(const struct dtrec_max *m)
{
	return m->end_ns >= m->start_ns ? m->end_ns - m->start_ns : 0;
}

/* ---- the max block ---- */

size_t dtrec_max_block_bound(uint32_t nr_areas, uint32_t rec_size)
{
	return sizeof(struct dtrec_snap_max) + (size_t)nr_areas *
		(sizeof(struct dtrec_max_area) +
		 (size_t)DTREC_MAX_AREA_RECORDS * rec_size);
}

int dtrec_max_block_check(const struct dtrec_snap_max *b, uint32_t rec_size,
			  size_t left, char *err, size_t errlen)
{
	if (b->magic != DTREC_MAXB_MAGIC || b->rec_size != rec_size ||
	    b->nr_areas > DTREC_MAX_CPUS * DTREC_MAX_METRICS ||
	    b->size < sizeof(*b) || b->size > left ||
	    b->size > dtrec_max_block_bound(b->nr_areas, rec_size))
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad max block after the last CPU block (%u areas, size %u, %zu bytes left)",
			b->nr_areas, b->size, left);
	return 0;
}

static int cmp_max(const void *pa, const void *pb)
{
	const struct dtrec_max *x = pa, *y = pb;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->metric < y->metric ? -1 : x->metric > y->metric;
}

int dtrec_parse_max(struct dtrec_snapshot *s, const unsigned char *p, size_t len,
		    size_t *used, char *err, size_t errlen)
{
	struct dtrec_snap_max b;
	unsigned char seen[DTREC_MAX_CPUS][DTREC_MAX_METRICS];
	size_t off = sizeof(b), k;
	uint32_t i;
	int rc;

	memcpy(&b, p, sizeof(b));
	rc = dtrec_max_block_check(&b, s->hdr.rec_size, len, err, errlen);
	if (rc)
		return rc;
	memset(seen, 0, sizeof(seen));
	s->maxima = calloc(b.nr_areas ? b.nr_areas : 1, sizeof(*s->maxima));
	if (!s->maxima)
		return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	for (i = 0; i < b.nr_areas; i++) {
		struct dtrec_max_area a;
		struct dtrec_max *m = &s->maxima[i];

		if (b.size - off < sizeof(a))
			return dtrec_seterr(err, errlen, -EINVAL,
				"max block: area %u of %u missing", i, b.nr_areas);
		memcpy(&a, p + off, sizeof(a));
		off += sizeof(a);
		if (a.cpu >= DTREC_MAX_CPUS || a.metric >= DTREC_MAX_METRICS ||
		    a.nr > DTREC_MAX_AREA_RECORDS ||
		    (uint64_t)a.nr * b.rec_size > b.size - off)
			return dtrec_seterr(err, errlen, -EINVAL,
				"max block: area %u (cpu %u, metric %u, %u records) does not fit",
				i, a.cpu, a.metric, a.nr);
		if (seen[a.cpu][a.metric]++)
			return dtrec_seterr(err, errlen, -EINVAL,
				"max block: cpu %u has two %s areas", a.cpu,
				dtrec_metric_name(a.metric));
		m->cpu = a.cpu;
		m->metric = a.metric;
		m->pid = a.pid;
		m->irq = a.irq;
		m->flags = a.flags;
		m->length = a.length;
		m->start_ts = a.start_ts;
		m->end_ts = a.end_ts;
		m->start_ns = dtrec_cycles_to_ns(&s->hdr, a.start_ts);
		m->end_ns = dtrec_cycles_to_ns(&s->hdr, a.end_ts);
		m->start_pos = a.start_pos;
		m->end_pos = a.end_pos;
		m->first_pos = a.first_pos;
		m->ev = calloc(a.nr ? a.nr : 1, sizeof(*m->ev));
		s->nr_maxima = i + 1;
		if (!m->ev)
			return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
		for (k = 0; k < a.nr; k++, off += b.rec_size)
			dtrec_decode_record(s, a.cpu, p + off, a.first_pos + k,
					    &m->ev[k]);
		m->nr = a.nr;
	}
	if (off != b.size)
		return dtrec_seterr(err, errlen, -EINVAL,
			"max block: %zu bytes past its %u areas", b.size - off,
			b.nr_areas);
	qsort(s->maxima, s->nr_maxima, sizeof(*s->maxima), cmp_max);
	*used = b.size;
	return 0;
}

void dtrec_free_maxima(struct dtrec_snapshot *s)
{
	size_t i;

	for (i = 0; s->maxima && i < s->nr_maxima; i++)
		free(s->maxima[i].ev);
	free(s->maxima);
	s->maxima = NULL;
	s->nr_maxima = 0;
}

/* ---- the max view ---- */

static int cmp_cpu_pos(const void *pa, const void *pb)
{
	const struct dtrec_ev *x = pa, *y = pb;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void *dup_array(const void *p, size_t n, size_t size)
{
	void *q = malloc(n ? n * size : 1);

	if (q && n)
		memcpy(q, p, n * size);
	return q;
}

static int selected(uint32_t mask, uint32_t metric)
{
	return !mask || (metric < 32 && (mask & (1U << metric)));
}

int dtrec_max_view(const struct dtrec_snapshot *s, uint32_t mask,
		   struct dtrec_snapshot **out, char *err, size_t errlen)
{
	struct dtrec_snapshot *v;
	size_t i, k, n = 0, nm = 0;

	if (!out || !s)
		return dtrec_seterr(err, errlen, -EINVAL, "missing argument");
	*out = NULL;
	for (i = 0; i < s->nr_maxima; i++)
		if (selected(mask, s->maxima[i].metric)) {
			n += s->maxima[i].nr;
			nm++;
		}
	if (!nm)
		return dtrec_seterr(err, errlen, -ENOENT,
			"the snapshot holds no captured worst case%s",
			s->hdr.version < 3 ? " (its recorder has no worst-case capture)" :
			mask ? " of that metric" : "");
	v = calloc(1, sizeof(*v));
	if (!v)
		return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	v->hdr = s->hdr;
	v->max_view = mask ? mask : (1U << DTREC_NR_METRICS) - 1;
	v->events = malloc((n ? n : 1) * sizeof(*v->events));
	v->maxima = calloc(nm, sizeof(*v->maxima));
	v->cpus = calloc(s->nr_maxima, sizeof(*v->cpus));
	v->comms = dup_array(s->comms, s->nr_comms, sizeof(*s->comms));
	v->irq_names = dup_array(s->irq_names, s->nr_irq_names, sizeof(*s->irq_names));
	if (!v->events || !v->maxima || !v->cpus || !v->comms || !v->irq_names)
		goto nomem;
	v->nr_comms = s->nr_comms;
	v->nr_irq_names = s->nr_irq_names;
	for (i = 0; i < s->nr_maxima; i++) {
		const struct dtrec_max *m = &s->maxima[i];
		struct dtrec_max *d;

		if (!selected(mask, m->metric))
			continue;
		d = &v->maxima[v->nr_maxima];
		*d = *m;
		d->ev = dup_array(m->ev, m->nr, sizeof(*m->ev));
		if (!d->ev)
			goto nomem;
		v->nr_maxima++;
		memcpy(v->events + v->nr_events, m->ev, m->nr * sizeof(*m->ev));
		v->nr_events += m->nr;
	}
	/* Areas of one CPU overlap: each record once, by its position. */
	qsort(v->events, v->nr_events, sizeof(*v->events), cmp_cpu_pos);
	for (i = 0, k = 0; i < v->nr_events; i++) {
		struct dtrec_cpu_info *c;

		if (k && v->events[k - 1].cpu == v->events[i].cpu &&
		    v->events[k - 1].pos == v->events[i].pos)
			continue;
		v->events[k++] = v->events[i];
		c = v->nr_cpus ? &v->cpus[v->nr_cpus - 1] : NULL;
		if (!c || c->cpu != v->events[i].cpu) {
			/* Records between areas were not lost: not kept. */
			c = &v->cpus[v->nr_cpus++];
			c->cpu = v->events[i].cpu;
		}
		c->nr_records++;
		c->head = v->events[i].pos + 1;
		if (v->events[i].status == DTREC_TORN)
			c->torn++;
		else if (v->events[i].status == DTREC_STALE)
			c->stale++;
	}
	v->nr_events = k;
	v->hdr.nr_cpus = v->nr_cpus;
	/* The order of every snapshot's events (dtrec.h). */
	qsort(v->events, v->nr_events, sizeof(*v->events), dtrec_ev_cmp);
	*out = v;
	return 0;
nomem:
	dtrec_free(v);
	return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
}

/* "--max", "--max=oob_stall,hard_off" */
static int max_mask(const char *list, uint32_t *mask, char *err, size_t errlen)
{
	char buf[128], *tok, *save = NULL;
	int m;

	*mask = 0;
	if (!list)
		return 0;
	if (strlen(list) >= sizeof(buf) || !*list)
		return dtrec_seterr(err, errlen, -EINVAL, "--max: bad metric list");
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		m = dtrec_metric_parse(tok);
		if (m < 0)
			return dtrec_seterr(err, errlen, -EINVAL,
				"--max: unknown metric '%.40s' (oob_stall, hard_off, stall_pending, wait_inband, wait_oob)",
				tok);
		*mask |= 1U << m;
	}
	return 0;
}

int dtrec_max_words(const struct dtrec_snapshot **s, int *argc, char **argv,
		    struct dtrec_snapshot **owned, char *err, size_t errlen)
{
	int i, j, found = 0, rc;
	uint32_t mask = 0;

	if (!s || !*s || !argc || !owned)
		return dtrec_seterr(err, errlen, -EINVAL, "missing argument");
	*owned = NULL;
	for (i = 0, j = 0; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--max") || !strncmp(a, "--max=", 6)) {
			rc = max_mask(a[5] ? a + 6 : NULL, &mask, err, errlen);
			if (rc)
				return rc;
			found = 1;
			continue;
		}
		argv[j++] = argv[i];
	}
	*argc = j;
	if (!found)
		return 0;
	rc = dtrec_max_view(*s, mask, owned, err, errlen);
	if (rc)
		return rc;
	*s = *owned;
	return 0;
}
