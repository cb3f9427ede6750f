// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Export to the Chrome trace-event JSON format that Perfetto and
 * chrome://tracing load (schema in docs/export.md). Each CPU is a
 * process; its threads are the tracks: stage residency, stall state of
 * each stage, hard-IRQs-off. Slices are the interval model's sections
 * (intervals.h), the ones audit and report measure, so they are right
 * whatever event classes were kept and agree with every other output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "intervals.h"

/* Track ids (Chrome "tid") within a CPU (Chrome "pid"). */
enum {
	TID_INBAND = 0,		/* in-band stage residency */
	TID_OOB = 1,		/* oob stage residency */
	/*
	 * Instants get tracks of their own: a slice is written when it
	 * ends, so sharing a track would break time order within it.
	 */
	TID_INBAND_IRQ = 2,
	TID_OOB_IRQ = 3,
	TID_INBAND_STALL = 10,
	TID_OOB_STALL = 11,
	TID_STALL_PENDING = 12,
	TID_HARD_OFF = 20,
	TID_TASK = 30,		/* alternate scheduling and misc instants */
};

struct chrome {
	FILE *out;
	int first;
};

static void sep(struct chrome *c)
{
	if (!c->first)
		fputc(',', c->out);
	c->first = 0;
}

/* µs with ns precision, written exactly (no binary rounding). */
static void us(FILE *out, uint64_t ns)
{
	fprintf(out, "%llu.%03llu", (unsigned long long)(ns / 1000),
		(unsigned long long)(ns % 1000));
}

static void meta(struct chrome *c, const char *what, uint32_t cpu, int tid,
		 const char *name)
{
	sep(c);
	fprintf(c->out, "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%u,\"tid\":%d,\"args\":{\"name\":\"%s\"}}",
		what, cpu, tid, name);
}

/* The sections drawn on each CPU, from the interval model. */
static const struct {
	unsigned int kind;
	int tid;
	const char *name, *cat;
} tracks[] = {
	{ DTREC_IV_STAGE_INBAND, TID_INBAND, "in-band", "stage" },
	{ DTREC_IV_STAGE_OOB, TID_OOB, "oob", "stage" },
	{ DTREC_IV_STALL_INBAND, TID_INBAND_STALL, "in-band stalled", "stall" },
	{ DTREC_IV_STALL_OOB, TID_OOB_STALL, "oob stalled", "stall" },
	{ DTREC_IV_STALL_PENDING, TID_STALL_PENDING, "in-band stalled, irqs pending", "stall" },
	{ DTREC_IV_HARD_OFF, TID_HARD_OFF, "hard irqs off", "hard_off" },
};
#define NR_TRACKS (sizeof(tracks) / sizeof(tracks[0]))

static const char *open_side(uint8_t flags)
{
	switch (flags & DTREC_IV_OPEN) {
	case DTREC_IV_OPEN_START:
		return "start";
	case DTREC_IV_OPEN_END:
		return "end";
	case DTREC_IV_OPEN:
		return "both";
	}
	return NULL;
}

/*
 * One section as an X slice. A section cut by the data's edges is
 * named "... (open)", so that viewers colour it apart, and says which
 * side in args.open; it is no measured duration (docs/audit.md).
 */
static void slice(struct chrome *c, const struct dtrec_iv_view *w,
		  const struct dtrec_iv *v, size_t t)
{
	const char *open = open_side(v->flags);
	uint64_t a, b;

	if (!dtrec_iv_clip(w, v, &a, &b))
		return;
	sep(c);
	fprintf(c->out, "{\"name\":\"%s%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%u,\"tid\":%d,\"ts\":",
		tracks[t].name, open ? " (open)" : "", tracks[t].cat, v->cpu,
		tracks[t].tid);
	us(c->out, a);
	fputs(",\"dur\":", c->out);
	us(c->out, b - a);
	fprintf(c->out, ",\"args\":{\"pid\":%u", v->pid);
	if (open)
		fprintf(c->out, ",\"open\":\"%s\"", open);
	if (a != v->start || b != v->end)
		fputs(",\"clipped\":true", c->out);
	fputs("}}", c->out);
}

static void instant(struct chrome *c, const struct dtrec_ev *e, const char *cat,
		    int tid)
{
	sep(c);
	fprintf(c->out, "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"pid\":%u,\"tid\":%d,\"ts\":",
		dtrec_event_name(e->event), cat, e->cpu, tid);
	us(c->out, e->ns);
	fprintf(c->out, ",\"args\":{\"pid\":%u,\"arg\":%u,\"arg2\":%u,\"pos\":%llu}}",
		e->pid, e->arg, e->arg2, (unsigned long long)e->pos);
}

static int in_view(const struct dtrec_iv_view *w, const struct dtrec_ev *e)
{
	return e->status == DTREC_OK && dtrec_iv_view_cpu(w, e->cpu) &&
	       e->ns >= w->t0 && e->ns <= w->t1;
}

static void export_cpu(struct chrome *c, const struct dtrec_snapshot *s,
		       const struct dtrec_filter *f, size_t first,
		       const struct dtrec_ivset *set, const struct dtrec_iv_view *w,
		       size_t ci)
{
	const struct dtrec_ivcpu *ic = &set->cpu[ci];
	const struct dtrec_cpuv *cv = ic->cv;
	size_t i, k, t;
	int shown = 0;

	for (k = set->cpu_first[ci]; k < set->cpu_first[ci + 1]; k++)
		for (t = 0; t < NR_TRACKS; t++)
			if (set->iv[k].kind == tracks[t].kind)
				slice(c, w, &set->iv[k], t);
	for (i = 0; i < cv->n; i++) {
		const struct dtrec_ev *e = cv->ev[i];

		if ((size_t)(e - s->events) < first || e->status != DTREC_OK ||
		    !dtrec_filter_match(f, e))
			continue;
		switch (dtrec_event_class(e->event)) {
		case DTREC_C_IRQ_LOG:
			instant(c, e, "irq", (e->arg2 & 0xff) ? TID_OOB_IRQ : TID_INBAND_IRQ);
			break;
		case DTREC_C_OOB_HANDLER:
			instant(c, e, "irq", TID_OOB_IRQ);
			break;
		case DTREC_C_TASK:
		case DTREC_C_MISC:
			instant(c, e, "task", TID_TASK);
			break;
		default:
			break;
		}
	}
	/* The logs' sizes, from the model: at the window's start, then at each change. */
	for (i = 0; i < cv->n; i++) {
		const struct dtrec_ev *e = cv->ev[i];

		if (!in_view(w, e))
			continue;
		if (shown && ic->npend[0][i] == ic->npend[0][i - 1] &&
		    ic->npend[1][i] == ic->npend[1][i - 1])
			continue;
		shown = 1;
		sep(c);
		fprintf(c->out, "{\"name\":\"pending irqs\",\"ph\":\"C\",\"pid\":%u,\"ts\":",
			e->cpu);
		us(c->out, e->ns);
		fprintf(c->out, ",\"args\":{\"inband\":%u,\"oob\":%u}}",
			ic->npend[0][i], ic->npend[1][i]);
	}
}

static void cpu_meta(struct chrome *c, uint32_t cpu)
{
	char name[32];

	snprintf(name, sizeof(name), "CPU %u", cpu);
	meta(c, "process_name", cpu, 0, name);
	sep(c);
	fprintf(c->out, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":0,\"args\":{\"sort_index\":%u}}",
		cpu, cpu);
	meta(c, "thread_name", cpu, TID_INBAND, "in-band stage");
	meta(c, "thread_name", cpu, TID_OOB, "oob stage");
	meta(c, "thread_name", cpu, TID_INBAND_IRQ, "in-band irqs");
	meta(c, "thread_name", cpu, TID_OOB_IRQ, "oob irqs");
	meta(c, "thread_name", cpu, TID_INBAND_STALL, "in-band stall");
	meta(c, "thread_name", cpu, TID_OOB_STALL, "oob stall");
	meta(c, "thread_name", cpu, TID_STALL_PENDING, "in-band stall, irqs pending");
	meta(c, "thread_name", cpu, TID_HARD_OFF, "hard irqs off");
	meta(c, "thread_name", cpu, TID_TASK, "tasks");
}

int dtrec_export_chrome(FILE *out, const struct dtrec_snapshot *s,
			const struct dtrec_filter *f)
{
	struct chrome c = { out, 1 };
	struct dtrec_ivset set;
	struct dtrec_iv_view w;
	size_t i, first;
	int rc;

	if (!out || !s || (s->nr_events && !s->events))
		return -EINVAL;
	rc = dtrec_intervals_build(&set, s);
	if (rc)
		return rc;
	first = dtrec_first_selected(s, f);
	dtrec_iv_view_init(&w, s, f);
	fputs("{\"traceEvents\":[", out);
	for (i = 0; i < set.pc.nr; i++)
		if (dtrec_iv_view_cpu(&w, set.pc.v[i].cpu))
			cpu_meta(&c, set.pc.v[i].cpu);
	for (i = 0; i < set.pc.nr; i++)
		if (dtrec_iv_view_cpu(&w, set.pc.v[i].cpu))
			export_cpu(&c, s, f, first, &set, &w, i);
	fputs("],\"displayTimeUnit\":\"ns\",\"otherData\":{\"source\":\"dovetail recorder\",\"release\":", out);
	dtrec_json_strn(out, s->hdr.release, sizeof(s->hdr.release));
	fprintf(out, ",\"clock_hz\":%llu}}\n", (unsigned long long)s->hdr.clock_hz);
	dtrec_intervals_free(&set);
	return ferror(out) ? -EIO : 0;
}
