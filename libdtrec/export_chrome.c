// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Export to the Chrome trace-event JSON format that Perfetto and
 * chrome://tracing load (schema in docs/export.md). Each CPU is a
 * process; its threads are the tracks: stage residency, stall state of
 * each stage, hard-IRQs-off. Slices come from the state word every
 * record carries, so they are right whatever event classes were kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "percpu.h"
#include "idmap.h"

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
	TID_HARD_OFF = 20,
	TID_TASK = 30,		/* alternate scheduling and misc instants */
};

struct slice {
	int on;
	uint64_t start;
	uint32_t pid;
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

static void slice_step(struct chrome *c, struct slice *sl, const char *name,
		       const char *cat, uint32_t cpu, int tid,
		       const struct dtrec_ev *e, int on, uint64_t now)
{
	if (on && !sl->on) {
		sl->on = 1;
		sl->start = now;
		sl->pid = e ? e->pid : 0;
	} else if (!on && sl->on) {
		sl->on = 0;
		sep(c);
		fprintf(c->out, "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%u,\"tid\":%d,\"ts\":",
			name, cat, cpu, tid);
		us(c->out, sl->start);
		fputs(",\"dur\":", c->out);
		us(c->out, now - sl->start);
		fprintf(c->out, ",\"args\":{\"pid\":%u}}", sl->pid);
	}
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

/*
 * The log is a set (internals §2.2): count distinct pending IRQs. Only
 * the count is shown, so a set of ids is enough.
 */
static int pending_update(struct dtrec_idmap *p, uint32_t irq, int post)
{
	int rc;

	if (!post)
		return dtrec_idmap_del(p, irq);
	if (dtrec_idmap_get(p, irq, NULL))
		return 0;
	rc = dtrec_idmap_put(p, irq, 0);
	return rc ? rc : 1;
}

static int export_cpu(struct chrome *c, const struct dtrec_snapshot *s,
		      const struct dtrec_filter *f, size_t first,
		      const struct dtrec_cpuv *cv)
{
	struct slice res[2] = { { 0 } }, stall[2] = { { 0 } }, hoff = { 0 };
	struct dtrec_idmap pend[2];
	uint64_t last = 0;
	size_t i;
	int any = 0, rc = 0;

	memset(pend, 0, sizeof(pend));
	for (i = 0; i < cv->n; i++) {
		const struct dtrec_ev *e = cv->ev[i];
		unsigned int st = e->state;
		int stage = !!(st & DTREC_ST_STAGE_OOB);

		if ((size_t)(e - s->events) < first || e->status != DTREC_OK ||
		    !dtrec_filter_match(f, e))
			continue;
		any = 1;
		slice_step(c, &res[0], "in-band", "stage", e->cpu, TID_INBAND, e, !stage, e->ns);
		slice_step(c, &res[1], "oob", "stage", e->cpu, TID_OOB, e, stage, e->ns);
		slice_step(c, &stall[0], "in-band stalled", "stall", e->cpu, TID_INBAND_STALL,
			   e, !!(st & DTREC_ST_INBAND_STALLED), e->ns);
		slice_step(c, &stall[1], "oob stalled", "stall", e->cpu, TID_OOB_STALL,
			   e, !!(st & DTREC_ST_OOB_STALLED), e->ns);
		/* An NMI record says nothing about the code it interrupted. */
		if (!(st & DTREC_ST_IN_NMI))
			slice_step(c, &hoff, "hard irqs off", "hard_off", e->cpu,
				   TID_HARD_OFF, e, !!(st & DTREC_ST_HARD_OFF), e->ns);
		switch (dtrec_event_class(e->event)) {
		case DTREC_C_IRQ_LOG: {
			unsigned int s_idx = e->arg2 & 0xff;
			int ch;

			instant(c, e, "irq", s_idx ? TID_OOB_IRQ : TID_INBAND_IRQ);
			if (s_idx > 1)
				break;
			ch = pending_update(&pend[s_idx], e->arg, e->event == DTREC_EV_IRQ_POST);
			if (ch < 0) {
				rc = ch;
				goto out;
			}
			if (ch) {
				sep(c);
				fprintf(c->out, "{\"name\":\"pending irqs\",\"ph\":\"C\",\"pid\":%u,\"ts\":",
					e->cpu);
				us(c->out, e->ns);
				fprintf(c->out, ",\"args\":{\"inband\":%zu,\"oob\":%zu}}",
					pend[0].n, pend[1].n);
			}
			break;
		}
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
		last = e->ns;
	}
	if (any) {
		slice_step(c, &res[0], "in-band", "stage", cv->cpu, TID_INBAND, NULL, 0, last);
		slice_step(c, &res[1], "oob", "stage", cv->cpu, TID_OOB, NULL, 0, last);
		slice_step(c, &stall[0], "in-band stalled", "stall", cv->cpu,
			   TID_INBAND_STALL, NULL, 0, last);
		slice_step(c, &stall[1], "oob stalled", "stall", cv->cpu, TID_OOB_STALL,
			   NULL, 0, last);
		slice_step(c, &hoff, "hard irqs off", "hard_off", cv->cpu, TID_HARD_OFF,
			   NULL, 0, last);
	}
out:
	dtrec_idmap_free(&pend[0]);
	dtrec_idmap_free(&pend[1]);
	return rc;
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
	meta(c, "thread_name", cpu, TID_HARD_OFF, "hard irqs off");
	meta(c, "thread_name", cpu, TID_TASK, "tasks");
}

int dtrec_export_chrome(FILE *out, const struct dtrec_snapshot *s,
			const struct dtrec_filter *f)
{
	struct chrome c = { out, 1 };
	struct dtrec_percpu pc;
	size_t i, first;
	int rc;

	if (!out || !s || (s->nr_events && !s->events))
		return -EINVAL;
	rc = dtrec_percpu_build(&pc, s, 0);
	if (rc)
		return rc;
	first = dtrec_first_selected(s, f);
	fputs("{\"traceEvents\":[", out);
	for (i = 0; i < pc.nr; i++)
		cpu_meta(&c, pc.v[i].cpu);
	for (i = 0; i < pc.nr && !rc; i++)
		rc = export_cpu(&c, s, f, first, &pc.v[i]);
	fputs("],\"displayTimeUnit\":\"ns\",\"otherData\":{\"source\":\"dovetail recorder\",\"release\":", out);
	dtrec_json_strn(out, s->hdr.release, sizeof(s->hdr.release));
	fprintf(out, ",\"clock_hz\":%llu}}\n", (unsigned long long)s->hdr.clock_hz);
	dtrec_percpu_free(&pc);
	if (rc)
		return rc;
	return ferror(out) ? -EIO : 0;
}
