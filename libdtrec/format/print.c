// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Text and JSON output. The JSON is one compact line with a fixed key
 * order (docs/json.md) so that front ends can be compared byte for byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "intervals.h"

static const char *const state_json[] = {
	"inband_stalled", "oob_stalled", "stage_oob", "in_pipeline",
	"hard_off", "in_nmi", "in_hardirq", "task_oob",
};

static const char *const status_name[] = { "ok", "torn", "stale" };

static void json_state(FILE *out, uint16_t state)
{
	unsigned int bit;
	int first = 1;

	fputc('[', out);
	for (bit = 0; bit < 16; bit++) {
		if (!(state & (1U << bit)))
			continue;
		if (bit < sizeof(state_json) / sizeof(state_json[0]))
			fprintf(out, "%s\"%s\"", first ? "" : ",", state_json[bit]);
		else
			fprintf(out, "%s\"bit%u\"", first ? "" : ",", bit);
		first = 0;
	}
	fputc(']', out);
}

void dtrec_print_args(FILE *out, const struct dtrec_ev *e)
{
	struct dtrec_arg a[4];
	unsigned int n = dtrec_event_args(e, a), k;
	char st[96];

	for (k = 0; k < n; k++)
		fprintf(out, a[k].hex ? " %s=0x%x" : " %s=%u", a[k].name, a[k].value);
	fprintf(out, " state=%s", dtrec_state_str(e->state, st, sizeof(st)));
}

/* The text line of a record, with the comm of its pid when known. */
static void print_event_text(FILE *out, const struct dtrec_ev *e, const char *comm)
{
	fprintf(out, "[%03u] %llu.%09llu %s pid=%u", e->cpu,
		(unsigned long long)(e->ns / 1000000000ULL),
		(unsigned long long)(e->ns % 1000000000ULL),
		dtrec_event_name(e->event), e->pid);
	dtrec_text_comm(out, comm);
	dtrec_print_args(out, e);
	fputs(e->status == DTREC_TORN ? " TORN\n" :
	      e->status == DTREC_STALE ? " STALE\n" : "\n", out);
}

void dtrec_print_event(FILE *out, const struct dtrec_snapshot *s,
		       const struct dtrec_ev *e, int json, int first)
{
	const char *comm = dtrec_comm(s, e->pid);	/* NULL without s */

	if (json) {
		fprintf(out, "%s{\"cpu\":%u,\"pos\":%llu,\"ns\":%llu,\"event\":\"%s\",\"pid\":%u,\"comm\":",
			first ? "" : ",", e->cpu, (unsigned long long)e->pos,
			(unsigned long long)e->ns, dtrec_event_name(e->event), e->pid);
		dtrec_json_str(out, comm);
		fprintf(out, ",\"arg\":%u,\"arg2\":%u,\"state\":", e->arg, e->arg2);
		json_state(out, e->state);
		fprintf(out, ",\"status\":\"%s\"}",
			status_name[e->status <= DTREC_STALE ? e->status : DTREC_STALE]);
		return;
	}
	print_event_text(out, e, comm);
}

/* Index of the first event to print so that at most f->last are shown. */
static size_t first_shown(const struct dtrec_snapshot *s,
			  const struct dtrec_filter *f)
{
	size_t i = s->nr_events;
	uint64_t n = 0;

	if (!f || !f->last)
		return 0;
	while (i > 0) {
		if (dtrec_filter_match(f, &s->events[i - 1]) && ++n == f->last)
			return i - 1;
		i--;
	}
	return 0;
}

int dtrec_print_trace(FILE *out, const struct dtrec_snapshot *s,
		      const struct dtrec_filter *f, int json)
{
	size_t i;
	int first = 1;

	if (!out || !s)
		return -EINVAL;
	if (json) {
		fprintf(out, "{\"command\":\"trace\",\"clock_hz\":%llu,",
			(unsigned long long)s->hdr.clock_hz);
		dtrec_print_max_view(out, s, 1);
		fputs(",\"cpus\":[", out);
		for (i = 0; i < s->nr_cpus; i++) {
			const struct dtrec_cpu_info *c = &s->cpus[i];

			fprintf(out, "%s{\"cpu\":%u,\"head\":%llu,\"lost\":%llu,\"torn\":%llu,\"stale\":%llu}",
				i ? "," : "", c->cpu, (unsigned long long)c->head,
				(unsigned long long)c->lost,
				(unsigned long long)c->torn,
				(unsigned long long)c->stale);
		}
		fputs("],\"events\":[", out);
	} else {
		dtrec_print_max_view(out, s, 0);
	}
	for (i = first_shown(s, f); i < s->nr_events; i++) {
		if (!dtrec_filter_match(f, &s->events[i]))
			continue;
		/* The pid's comm when the snapshot's names block has it. */
		dtrec_print_event(out, s, &s->events[i], json, first);
		first = 0;
	}
	if (json)
		fputs("]}\n", out);
	return ferror(out) ? -EIO : 0;
}

char *dtrec_trace_str(const struct dtrec_snapshot *s,
		      const struct dtrec_filter *f, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc;

	if (!m)
		return NULL;
	rc = dtrec_print_trace(m, s, f, json);
	if (fclose(m) || rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct stats {
	uint64_t per_event[DTREC_NR_EVENTS + 1];	/* last: unknown */
	uint64_t ok;
	uint64_t first_ns, last_ns;
};

static void collect(const struct dtrec_snapshot *s, struct stats *st,
		    uint64_t *ok_per_cpu)
{
	int idx[DTREC_MAX_CPUS];
	size_t i;
	unsigned int c;

	memset(st, 0, sizeof(*st));
	for (c = 0; c < DTREC_MAX_CPUS; c++)
		idx[c] = -1;
	for (c = 0; c < s->nr_cpus; c++)
		if (s->cpus[c].cpu < DTREC_MAX_CPUS)
			idx[s->cpus[c].cpu] = (int)c;
	for (i = 0; i < s->nr_events; i++) {
		const struct dtrec_ev *e = &s->events[i];

		if (e->status != DTREC_OK)
			continue;
		st->per_event[e->event < DTREC_NR_EVENTS ? e->event : DTREC_NR_EVENTS]++;
		if (!st->ok++ || e->ns < st->first_ns)
			st->first_ns = e->ns;
		if (e->ns > st->last_ns)
			st->last_ns = e->ns;
		if (e->cpu < DTREC_MAX_CPUS && idx[e->cpu] >= 0)
			ok_per_cpu[idx[e->cpu]]++;
	}
}

static const char *ev_label(unsigned int ev)
{
	return ev < DTREC_NR_EVENTS ? dtrec_event_name(ev) : "unknown";
}

/*
 * The sections of the interval model, summed per kind (docs/json.md):
 * measured ones, their total and longest; open ones only counted.
 */
static void stats_sections(FILE *out, const struct dtrec_ivset *set, int json)
{
	unsigned int k;

	if (json)
		fputs(",\"intervals\":{", out);
	else
		fprintf(out, "%-15s %9s %6s %14s %16s\n", "section", "measured", "open",
			"longest ns", "total ns");
	for (k = 0; k < DTREC_IV_NR; k++) {
		struct dtrec_iv_sum m;

		dtrec_iv_summary(set, k, &m);
		if (json)
			fprintf(out, "%s\"%s\":{\"sections\":%llu,\"open\":%llu,\"max_ns\":%llu,\"cpu\":%lld,\"ns\":%llu,\"total_ns\":%llu}",
				k ? "," : "", dtrec_iv_name(k),
				(unsigned long long)m.sections, (unsigned long long)m.open,
				(unsigned long long)m.max_ns, (long long)m.cpu,
				(unsigned long long)m.at_ns, (unsigned long long)m.total_ns);
		else
			fprintf(out, "%-15s %9llu %6llu %14llu %16llu\n", dtrec_iv_name(k),
				(unsigned long long)m.sections, (unsigned long long)m.open,
				(unsigned long long)m.max_ns, (unsigned long long)m.total_ns);
	}
	if (json)
		fputc('}', out);
}

static void stats_json(FILE *out, const struct dtrec_snapshot *s,
		       const struct stats *st, const uint64_t *ok)
{
	const struct dtrec_snap_header *h = &s->hdr;
	unsigned int i;
	int first = 1;

	fputs("{\"command\":\"stats\",\"release\":", out);
	dtrec_json_strn(out, h->release, sizeof(h->release));
	/* frozen is a bool, as in report --json (docs/json.md). */
	fprintf(out, ",\"clock_hz\":%llu,\"event_mask\":%u,\"frozen\":%s,\"freeze_reason\":\"%s\",\"freeze_cpu\":%u,",
		(unsigned long long)h->clock_hz, h->event_mask, h->frozen ? "true" : "false",
		dtrec_freeze_name(h->freeze_reason), h->freeze_cpu);
	dtrec_print_freeze_why(out, h, 1);
	fprintf(out, ",\"overhead_ps\":%u,", h->overhead_ps);
	dtrec_print_max_view(out, s, 1);
	fputs(",\"cpus\":[", out);
	for (i = 0; i < s->nr_cpus; i++) {
		const struct dtrec_cpu_info *c = &s->cpus[i];

		fprintf(out, "%s{\"cpu\":%u,\"nr_records\":%u,\"head\":%llu,\"lost\":%llu,\"torn\":%llu,\"stale\":%llu,\"ok\":%llu}",
			i ? "," : "", c->cpu, c->nr_records,
			(unsigned long long)c->head, (unsigned long long)c->lost,
			(unsigned long long)c->torn, (unsigned long long)c->stale,
			(unsigned long long)ok[i]);
	}
	fputs("],\"events\":{", out);
	for (i = 0; i <= DTREC_NR_EVENTS; i++) {
		if (!st->per_event[i])
			continue;
		fprintf(out, "%s\"%s\":%llu", first ? "" : ",", ev_label(i),
			(unsigned long long)st->per_event[i]);
		first = 0;
	}
	fprintf(out, "},\"total\":%llu,\"first_ns\":%llu,\"last_ns\":%llu,\"span_ns\":%llu",
		(unsigned long long)st->ok, (unsigned long long)st->first_ns,
		(unsigned long long)st->last_ns,
		(unsigned long long)(st->last_ns - st->first_ns));
}

static void stats_text(FILE *out, const struct dtrec_snapshot *s,
		       const struct stats *st, const uint64_t *ok)
{
	const struct dtrec_snap_header *h = &s->hdr;
	unsigned int i;

	fputs("release ", out);
	dtrec_text_strn(out, h->release, sizeof(h->release));
	fprintf(out, ", clock %llu Hz, %u CPUs, ",
		(unsigned long long)h->clock_hz, s->nr_cpus);
	if (h->frozen) {
		fprintf(out, "frozen (%s, cpu %u)", dtrec_freeze_name(h->freeze_reason),
			h->freeze_cpu);
		dtrec_print_freeze_why(out, h, 0);
		fputc('\n', out);
	} else {
		fputs("not frozen\n", out);
	}
	dtrec_print_max_view(out, s, 0);
	fprintf(out, "%-5s %10s %14s %14s %8s %8s %12s\n",
		"cpu", "records", "head", "lost", "torn", "stale", "ok");
	for (i = 0; i < s->nr_cpus; i++) {
		const struct dtrec_cpu_info *c = &s->cpus[i];

		fprintf(out, "%-5u %10u %14llu %14llu %8llu %8llu %12llu\n",
			c->cpu, c->nr_records, (unsigned long long)c->head,
			(unsigned long long)c->lost, (unsigned long long)c->torn,
			(unsigned long long)c->stale, (unsigned long long)ok[i]);
	}
	for (i = 0; i <= DTREC_NR_EVENTS; i++)
		if (st->per_event[i])
			fprintf(out, "%-20s %12llu\n", ev_label(i),
				(unsigned long long)st->per_event[i]);
	fprintf(out, "total %llu events over %llu ns (%llu.%09llu .. %llu.%09llu)\n",
		(unsigned long long)st->ok,
		(unsigned long long)(st->last_ns - st->first_ns),
		(unsigned long long)(st->first_ns / 1000000000ULL),
		(unsigned long long)(st->first_ns % 1000000000ULL),
		(unsigned long long)(st->last_ns / 1000000000ULL),
		(unsigned long long)(st->last_ns % 1000000000ULL));
}

/* Every worst case the kernel captured (docs/maxima.md). */
static void stats_maxima(FILE *out, const struct dtrec_snapshot *s, int json)
{
	if (json) {
		fputs(",\"maxima\":", out);
		dtrec_print_maxima(out, s, 1);
		return;
	}
	if (!s->nr_maxima) {
		fputs("captured worst cases: none\n", out);
		return;
	}
	fputs("captured worst cases (the kernel's max areas):\n", out);
	dtrec_print_maxima(out, s, 0);
}

/*
 * The names block: how many comms, and every IRQ it names with its chip,
 * hwirq and meaning ("names": null without a block: version 1, or a
 * stream written without one).
 */
static void stats_names(FILE *out, const struct dtrec_snapshot *s, int json)
{
	size_t i;

	if (json) {
		if (!s->comms) {
			fputs(",\"names\":null", out);
			return;
		}
		fprintf(out, ",\"names\":{\"comms\":%zu,\"irqs\":[", s->nr_comms);
		for (i = 0; i < s->nr_irq_names; i++) {
			const struct dtrec_irq_name *n = &s->irq_names[i];

			fprintf(out, "%s{\"irq\":%u,\"name\":", i ? "," : "", n->irq);
			dtrec_json_str(out, n->name[0] ? n->name : NULL);
			fputs(",\"chip\":", out);
			dtrec_json_str(out, n->chip[0] ? n->chip : NULL);
			if (n->hwirq == 0xffffffffU)
				fputs(",\"hwirq\":null", out);
			else
				fprintf(out, ",\"hwirq\":%u", n->hwirq);
			fputs(",\"vector\":", out);
			dtrec_json_str(out, n->vector[0] ? n->vector : NULL);
			fputc('}', out);
		}
		fputs("]}", out);
		return;
	}
	if (!s->comms) {
		fputs("names: none (no names block)\n", out);
		return;
	}
	fprintf(out, "names: %zu comms, %zu IRQs\n", s->nr_comms, s->nr_irq_names);
	if (s->nr_irq_names)
		fprintf(out, "%-8s %-24s %-16s %10s  %s\n", "irq", "name", "chip", "hwirq",
			"meaning");
	for (i = 0; i < s->nr_irq_names; i++) {
		const struct dtrec_irq_name *n = &s->irq_names[i];

		fprintf(out, "%-8u ", n->irq);
		dtrec_text_pad(out, dtrec_text_strn(out, n->name[0] ? n->name : "?",
						    sizeof(n->name)), 24);
		fputc(' ', out);
		dtrec_text_pad(out, dtrec_text_strn(out, n->chip[0] ? n->chip : "?",
						    sizeof(n->chip)), 16);
		fputc(' ', out);
		if (n->hwirq == 0xffffffffU)
			fprintf(out, " %10s  ", "?");
		else
			fprintf(out, " %10u  ", n->hwirq);
		dtrec_text_strn(out, n->vector[0] ? n->vector : "-", sizeof(n->vector));
		fputc('\n', out);
	}
}

int dtrec_print_stats(FILE *out, const struct dtrec_snapshot *s, int json)
{
	struct dtrec_ivset set;
	struct stats st;
	uint64_t *ok;
	int rc;

	if (!out || !s)
		return -EINVAL;
	ok = calloc(s->nr_cpus ? s->nr_cpus : 1, sizeof(*ok));
	if (!ok)
		return -ENOMEM;
	rc = dtrec_intervals_build(&set, s);
	if (rc) {
		free(ok);
		return rc;
	}
	collect(s, &st, ok);
	if (json)
		stats_json(out, s, &st, ok);
	else
		stats_text(out, s, &st, ok);
	stats_sections(out, &set, json);
	stats_maxima(out, s, json);
	stats_names(out, s, json);
	if (json)
		fputs("}\n", out);
	dtrec_intervals_free(&set);
	free(ok);
	return ferror(out) ? -EIO : 0;
}

/* ---- the captured worst cases (maxima.c) ---- */

/* An area's object, left open for the caller to close or extend. */
static void print_max_json(FILE *out, const struct dtrec_snapshot *s,
			   const struct dtrec_max *m)
{
	const char *comm = dtrec_comm(s, m->pid);

	fprintf(out, "{\"cpu\":%u,\"metric\":\"%s\",\"ns\":%llu,\"cycles\":%llu,"
		"\"start_ns\":%llu,\"end_ns\":%llu,\"start_pos\":%llu,\"end_pos\":%llu,"
		"\"first_pos\":%llu,\"records\":%zu,\"cut\":%s,\"pid\":%u,\"comm\":",
		m->cpu, dtrec_metric_name(m->metric),
		(unsigned long long)dtrec_max_ns(m), (unsigned long long)m->length,
		(unsigned long long)m->start_ns, (unsigned long long)m->end_ns,
		(unsigned long long)m->start_pos, (unsigned long long)m->end_pos,
		(unsigned long long)m->first_pos, m->nr,
		m->flags & DTREC_MAX_CUT ? "true" : "false", m->pid);
	dtrec_json_str(out, comm);
	if (m->metric == DTREC_M_WAIT_INBAND || m->metric == DTREC_M_WAIT_OOB) {
		const struct dtrec_irq_name *q = dtrec_irq_name(s, m->irq);

		fprintf(out, ",\"irq\":%u,\"irq_name\":", m->irq);
		dtrec_json_str(out, q && q->name[0] ? q->name : NULL);
	} else {
		fputs(",\"irq\":null,\"irq_name\":null", out);
	}
}

static void print_max_text(FILE *out, const struct dtrec_snapshot *s,
			   const struct dtrec_max *m)
{
	uint64_t ns = dtrec_max_ns(m);
	size_t before = m->start_pos > m->first_pos ? m->start_pos - m->first_pos : 0;

	fprintf(out, "  cpu %-3u %-14s %llu.%03llu us  records %llu..%llu",
		m->cpu, dtrec_metric_name(m->metric),
		(unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000),
		(unsigned long long)m->start_pos, (unsigned long long)m->end_pos);
	if (m->metric == DTREC_M_WAIT_INBAND || m->metric == DTREC_M_WAIT_OOB) {
		const struct dtrec_irq_name *q = dtrec_irq_name(s, m->irq);

		fprintf(out, "  irq %u", m->irq);
		if (q && q->name[0]) {
			fputs(" (", out);
			dtrec_text_str(out, q->name);
			fputc(')', out);
		}
	}
	fprintf(out, "  pid %u", m->pid);
	dtrec_text_comm(out, dtrec_comm(s, m->pid));
	if (m->flags & DTREC_MAX_CUT)
		fprintf(out, "  (kept: its last %zu records)\n", m->nr);
	else
		fprintf(out, "  (kept: %zu records, %zu before it)\n", m->nr, before);
}

void dtrec_print_max_area(FILE *out, const struct dtrec_snapshot *s,
			  const struct dtrec_max *m, int json, uint64_t context)
{
	size_t i, from = 0;

	/* The section's records, and context of them before it. */
	while (from < m->nr && m->ev[from].pos + context < m->start_pos)
		from++;
	if (json) {
		print_max_json(out, s, m);
		fputs(",\"events\":[", out);
		for (i = from; i < m->nr; i++)
			dtrec_print_event(out, s, &m->ev[i], 1, i == from);
		fputs("]}", out);
		return;
	}
	print_max_text(out, s, m);
	for (i = from; i < m->nr; i++) {
		fputs(m->ev[i].pos >= m->start_pos && m->ev[i].pos <= m->end_pos ?
		      "  > " : "    ", out);
		dtrec_print_event(out, s, &m->ev[i], 0, 0);
	}
}

void dtrec_print_maxima(FILE *out, const struct dtrec_snapshot *s, int json)
{
	size_t i;

	if (json) {
		fputc('[', out);
		for (i = 0; i < s->nr_maxima; i++) {
			if (i)
				fputc(',', out);
			print_max_json(out, s, &s->maxima[i]);
			fputc('}', out);
		}
		fputc(']', out);
		return;
	}
	for (i = 0; i < s->nr_maxima; i++)
		print_max_text(out, s, &s->maxima[i]);
}

static void print_ns_us(FILE *out, uint64_t ns)
{
	fprintf(out, "%llu.%03llu us", (unsigned long long)(ns / 1000),
		(unsigned long long)(ns % 1000));
}

void dtrec_print_freeze_why(FILE *out, const struct dtrec_snap_header *h, int json)
{
	int thr = h->freeze_reason == DTREC_FREEZE_THRESHOLD;
	int api = h->freeze_reason == DTREC_FREEZE_API;

	if (json) {
		fputs("\"freeze_metric\":", out);
		if (h->frozen && thr)
			fprintf(out, "\"%s\"", dtrec_metric_name(h->freeze_metric));
		else
			fputs("null", out);
		if (h->frozen && (thr || api))
			fprintf(out, ",\"freeze_value_ns\":%llu",
				(unsigned long long)h->freeze_value);
		else
			fputs(",\"freeze_value_ns\":null", out);
		fputs(",\"freeze_note\":", out);
		if (h->frozen && api && h->freeze_note[0])
			dtrec_json_strn(out, h->freeze_note, sizeof(h->freeze_note));
		else
			fputs("null", out);
		return;
	}
	if (!h->frozen || !(thr || api))
		return;
	if (thr) {
		fprintf(out, ": %s lasted ", dtrec_metric_name(h->freeze_metric));
		print_ns_us(out, h->freeze_value);
		if (h->freeze_metric < DTREC_MAX_METRICS &&
		    h->threshold_ns[h->freeze_metric]) {
			fputs(", over its threshold of ", out);
			print_ns_us(out, h->threshold_ns[h->freeze_metric]);
		}
		return;
	}
	fputs(": \"", out);
	dtrec_text_strn(out, h->freeze_note[0] ? h->freeze_note : "",
			sizeof(h->freeze_note));
	fputs("\", value ", out);
	print_ns_us(out, h->freeze_value);
}

void dtrec_print_max_view(FILE *out, const struct dtrec_snapshot *s, int json)
{
	unsigned int m, n = 0;

	if (json) {
		if (!s->max_view) {
			fputs("\"max\":null", out);
			return;
		}
		fputs("\"max\":{\"metrics\":[", out);
		for (m = 0; m < DTREC_NR_METRICS; m++)
			if (s->max_view & (1U << m))
				fprintf(out, "%s\"%s\"", n++ ? "," : "", dtrec_metric_name(m));
		fputs("],\"areas\":", out);
		dtrec_print_maxima(out, s, 1);
		fputc('}', out);
		return;
	}
	if (!s->max_view)
		return;
	fputs("captured worst cases (the kernel's max areas, not the rings):\n", out);
	dtrec_print_maxima(out, s, 0);
}
