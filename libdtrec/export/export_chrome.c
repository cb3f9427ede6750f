// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Export to the Chrome trace-event JSON format that Perfetto and
 * chrome://tracing load (schema in docs/export.md). Each CPU is a
 * process; its threads are the tracks: stage residency, stall state of
 * each stage, hard-IRQs-off, IRQs, task events. Each task is a process
 * too, with a track for each stage it ran on. Slices are the interval
 * model's sections (intervals.h), the ones audit and report measure,
 * so they agree with every other output; an IRQ's post and its play
 * are joined by a flow.
 *
 * Ids: Perfetto takes pid 0 for the idle task, so CPUs and their
 * tracks get ids above any Linux pid (PID_MAX_LIMIT is 2^22); tasks
 * keep their pid, the idle task (0) gets no process of its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "intervals.h"

#define ID_BASE		(1U << 22)		/* above any pid */
#define CPU_PID(cpu)	(ID_BASE + (cpu))
#define CPU_TID(cpu, t)	(2 * ID_BASE + (cpu) * 64 + (t))
#define TASK_TID(pid, oob) ((oob) ? 3 * ID_BASE + (pid) : (pid))

/* Track numbers within a CPU. */
enum {
	T_INBAND = 1,		/* in-band stage residency */
	T_OOB = 2,		/* oob stage residency */
	/*
	 * Instants get tracks of their own: a slice is written when it
	 * ends, so sharing a track would break time order within it.
	 */
	T_INBAND_IRQ = 3,
	T_OOB_IRQ = 4,
	T_INBAND_STALL = 10,
	T_OOB_STALL = 11,
	T_STALL_PENDING = 12,
	T_HARD_OFF = 20,
	T_TASK = 30,		/* alternate scheduling and misc instants */
	T_MAX = 40,		/* max view: one track per metric, 40.. */
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

static void meta(struct chrome *c, const char *what, uint32_t pid, uint32_t tid,
		 const char *name)
{
	sep(c);
	fprintf(c->out, "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":",
		what, pid, tid);
	dtrec_json_str(c->out, name);
	fputs("}}", c->out);
}

static void sort_index(struct chrome *c, uint32_t pid, uint32_t idx)
{
	sep(c);
	fprintf(c->out, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
		pid, pid, idx);
}

/* The sections drawn on each CPU, from the interval model. */
static const struct {
	unsigned int kind;
	int track;
	const char *name, *cat, *thread;
} tracks[] = {
	{ DTREC_IV_STAGE_INBAND, T_INBAND, "in-band", "stage", "in-band stage" },
	{ DTREC_IV_STAGE_OOB, T_OOB, "oob", "stage", "oob stage" },
	{ DTREC_IV_STALL_INBAND, T_INBAND_STALL, "in-band stalled", "stall", "in-band stall" },
	{ DTREC_IV_STALL_OOB, T_OOB_STALL, "oob stalled", "stall", "oob stall" },
	{ DTREC_IV_STALL_PENDING, T_STALL_PENDING, "in-band stalled, irqs pending", "stall",
	  "in-band stall, irqs pending" },
	{ DTREC_IV_HARD_OFF, T_HARD_OFF, "hard irqs off", "hard_off", "hard irqs off" },
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
 * One section as an X slice on track (pid, tid), from a to b (clipped).
 * A section cut by the data's edges is named "... (open)", so that
 * viewers colour it apart, and says which side in args.open; it is no
 * measured duration (docs/audit.md).
 */
static void slice(struct chrome *c, const struct dtrec_iv *v, uint64_t a, uint64_t b,
		  const char *name, const char *cat, uint32_t pid, uint32_t tid,
		  const char *who, uint32_t whoval)
{
	const char *open = open_side(v->flags);

	sep(c);
	fprintf(c->out, "{\"name\":\"%s%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":",
		name, open ? " (open)" : "", cat, pid, tid);
	us(c->out, a);
	fputs(",\"dur\":", c->out);
	us(c->out, b - a);
	fprintf(c->out, ",\"args\":{\"%s\":%u", who, whoval);
	if (open)
		fprintf(c->out, ",\"open\":\"%s\"", open);
	if (a != v->start || b != v->end)
		fputs(",\"clipped\":true", c->out);
	fputs("}}", c->out);
}

/*
 * A record as an instant, with its arguments by name (dtrec_event_args)
 * and, from the snapshot's names block, the comm of its pid and the
 * name of its IRQ.
 */
static void instant(struct chrome *c, const struct dtrec_snapshot *s,
		    const struct dtrec_ev *e, const char *cat, int track)
{
	int cls = dtrec_event_class(e->event);
	const struct dtrec_irq_name *in = cls == DTREC_C_IRQ_LOG || cls == DTREC_C_OOB_HANDLER ?
		dtrec_irq_name(s, e->arg) : NULL;
	const char *comm = dtrec_comm(s, e->pid);
	struct dtrec_arg a[4];
	unsigned int n = dtrec_event_args(e, a), k;

	sep(c);
	fprintf(c->out, "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"pid\":%u,\"tid\":%u,\"ts\":",
		dtrec_event_name(e->event), cat, CPU_PID(e->cpu), CPU_TID(e->cpu, track));
	us(c->out, e->ns);
	fprintf(c->out, ",\"args\":{\"pid\":%u,\"pos\":%llu", e->pid,
		(unsigned long long)e->pos);
	for (k = 0; k < n; k++)
		fprintf(c->out, ",\"%s\":%u", a[k].name, a[k].value);
	if (comm) {
		fputs(",\"comm\":", c->out);
		dtrec_json_str(c->out, comm);
	}
	if (in && in->name[0]) {
		fputs(",\"irq_name\":", c->out);
		dtrec_json_str(c->out, in->name);
	}
	fputs("}}", c->out);
}

/* A flow from an IRQ's post to its play (the instants on its track). */
static void flow(struct chrome *c, const struct dtrec_iv *v, uint64_t id)
{
	int track = v->stage ? T_OOB_IRQ : T_INBAND_IRQ;
	int end;

	for (end = 0; end < 2; end++) {
		sep(c);
		fprintf(c->out, "{\"name\":\"irq %u\",\"cat\":\"irq\",\"ph\":\"%s\",\"id\":%llu,\"pid\":%u,\"tid\":%u,\"ts\":",
			v->irq, end ? "f" : "s", (unsigned long long)id, CPU_PID(v->cpu),
			CPU_TID(v->cpu, track));
		us(c->out, end ? v->end : v->start);
		fputs(end ? ",\"bp\":\"e\"}" : "}", c->out);
	}
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

	for (k = set->cpu_first[ci]; k < set->cpu_first[ci + 1]; k++) {
		const struct dtrec_iv *v = &set->iv[k];
		uint64_t a, b;

		if (!dtrec_iv_clip(w, v, &a, &b))
			continue;
		for (t = 0; t < NR_TRACKS; t++)
			if (v->kind == tracks[t].kind)
				slice(c, v, a, b, tracks[t].name, tracks[t].cat,
				      CPU_PID(v->cpu), CPU_TID(v->cpu, tracks[t].track),
				      "pid", v->pid);
		/* Post to play, both inside the window and selected. */
		if (v->kind == DTREC_IV_IRQ_WAIT && dtrec_iv_measured(v) && v->stage <= 1 &&
		    a == v->start && b == v->end && dtrec_filter_match(f, cv->ev[v->first]) &&
		    dtrec_filter_match(f, cv->ev[v->last]) &&
		    (size_t)(cv->ev[v->first] - s->events) >= first)
			flow(c, v, k + 1);
	}
	for (i = 0; i < cv->n; i++) {
		const struct dtrec_ev *e = cv->ev[i];

		if ((size_t)(e - s->events) < first || e->status != DTREC_OK ||
		    !dtrec_filter_match(f, e))
			continue;
		switch (dtrec_event_class(e->event)) {
		case DTREC_C_IRQ_LOG:
			instant(c, s, e, "irq", (e->arg2 & 0xff) ? T_OOB_IRQ : T_INBAND_IRQ);
			break;
		case DTREC_C_OOB_HANDLER:
			instant(c, s, e, "irq", T_OOB_IRQ);
			break;
		case DTREC_C_TASK:
		case DTREC_C_MISC:
			instant(c, s, e, "task", T_TASK);
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
			CPU_PID(e->cpu));
		us(c->out, e->ns);
		fprintf(c->out, ",\"args\":{\"inband\":%u,\"oob\":%u}}",
			ic->npend[0][i], ic->npend[1][i]);
	}
}

static void cpu_meta(struct chrome *c, uint32_t cpu)
{
	char name[32];
	size_t t;

	snprintf(name, sizeof(name), "CPU %u", cpu);
	meta(c, "process_name", CPU_PID(cpu), CPU_PID(cpu), name);
	sort_index(c, CPU_PID(cpu), cpu);
	for (t = 0; t < NR_TRACKS; t++)
		meta(c, "thread_name", CPU_PID(cpu), CPU_TID(cpu, tracks[t].track),
		     tracks[t].thread);
	meta(c, "thread_name", CPU_PID(cpu), CPU_TID(cpu, T_INBAND_IRQ), "in-band irqs");
	meta(c, "thread_name", CPU_PID(cpu), CPU_TID(cpu, T_OOB_IRQ), "oob irqs");
	meta(c, "thread_name", CPU_PID(cpu), CPU_TID(cpu, T_TASK), "task events");
}

/*
 * Max view: each captured worst case as a slice of its own on its
 * CPU, one track per metric, named so that it reads as what the
 * kernel captured, not as one more section of the rings.
 */
static void export_maxima(struct chrome *c, const struct dtrec_snapshot *s,
			  const struct dtrec_iv_view *w)
{
	size_t i;

	for (i = 0; s->max_view && i < s->nr_maxima; i++) {
		const struct dtrec_max *m = &s->maxima[i];
		const char *name = dtrec_metric_name(m->metric);
		char thread[48];

		if (!dtrec_iv_view_cpu(w, m->cpu))
			continue;
		snprintf(thread, sizeof(thread), "worst case: %s", name);
		meta(c, "thread_name", CPU_PID(m->cpu),
		     CPU_TID(m->cpu, T_MAX + m->metric), thread);
		sep(c);
		fprintf(c->out, "{\"name\":\"captured worst case: %s\",\"cat\":\"max\",\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":",
			name, CPU_PID(m->cpu), CPU_TID(m->cpu, T_MAX + m->metric));
		us(c->out, m->start_ns);
		fputs(",\"dur\":", c->out);
		us(c->out, dtrec_max_ns(m));
		fprintf(c->out, ",\"args\":{\"metric\":\"%s\",\"ns\":%llu,\"pid\":%u",
			name, (unsigned long long)dtrec_max_ns(m), m->pid);
		if (m->metric == DTREC_M_WAIT_INBAND || m->metric == DTREC_M_WAIT_OOB)
			fprintf(c->out, ",\"irq\":%u", m->irq);
		fputs("}}", c->out);
	}
}

/* The task sections of the window, by pid then start (pid 0 left out). */
static int cmp_task(const void *pa, const void *pb)
{
	const struct dtrec_iv *x = *(const struct dtrec_iv *const *)pa;
	const struct dtrec_iv *y = *(const struct dtrec_iv *const *)pb;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

/*
 * Each task as a process with a track per stage ("in-band", "oob"):
 * when it was current on which CPU, from the model's task sections. A
 * task seen on two CPUs at once (its old CPU's next record comes after
 * it started on the new one) is cut where the next one starts, so that
 * slices on a track never overlap.
 */
static int export_tasks(struct chrome *c, const struct dtrec_snapshot *s,
			const struct dtrec_ivset *set, const struct dtrec_iv_view *w,
			const struct dtrec_filter *f)
{
	const struct dtrec_iv **t = malloc((set->n ? set->n : 1) * sizeof(*t));
	size_t n = 0, i, j;
	uint32_t order = 0;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < set->n; i++) {
		const struct dtrec_iv *v = &set->iv[i];
		uint64_t a, b;

		if (v->kind == DTREC_IV_TASK && v->pid && dtrec_iv_clip(w, v, &a, &b) &&
		    (!f || f->pid < 0 || v->pid == (uint64_t)f->pid))
			t[n++] = v;
	}
	if (n > 1)
		qsort(t, n, sizeof(*t), cmp_task);
	for (i = 0; i < n; i = j) {
		char name[32];
		uint64_t end[2] = { 0, 0 };

		for (j = i; j < n && t[j]->pid == t[i]->pid; j++)
			;
		/* Its comm from the snapshot's names block, else pid-N. */
		if (dtrec_comm(s, t[i]->pid))
			snprintf(name, sizeof(name), "%s", dtrec_comm(s, t[i]->pid));
		else
			snprintf(name, sizeof(name), "pid-%u", t[i]->pid);
		meta(c, "process_name", t[i]->pid, t[i]->pid, name);
		sort_index(c, t[i]->pid, 1000 + order++);
		meta(c, "thread_name", t[i]->pid, TASK_TID(t[i]->pid, 0), "in-band");
		meta(c, "thread_name", t[i]->pid, TASK_TID(t[i]->pid, 1), "oob");
		for (; i < j; i++) {
			const struct dtrec_iv *v = t[i];
			uint64_t a, b;

			dtrec_iv_clip(w, v, &a, &b);
			/* Never over the previous slice of the same track. */
			if (a < end[v->stage])
				a = end[v->stage];
			if (i + 1 < j && t[i + 1]->stage == v->stage && b > t[i + 1]->start)
				b = t[i + 1]->start > a ? t[i + 1]->start : a;
			if (b < a)
				b = a;
			slice(c, v, a, b, v->stage ? "oob" : "in-band", "task",
			      v->pid, TASK_TID(v->pid, v->stage), "cpu", v->cpu);
			end[v->stage] = b;
		}
	}
	free(t);
	return 0;
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
	rc = export_tasks(&c, s, &set, &w, f);
	export_maxima(&c, s, &w);
	fputs("],\"displayTimeUnit\":\"ns\",\"otherData\":{\"source\":\"dovetail recorder\",\"release\":", out);
	dtrec_json_strn(out, s->hdr.release, sizeof(s->hdr.release));
	fprintf(out, ",\"clock_hz\":%llu,", (unsigned long long)s->hdr.clock_hz);
	dtrec_print_max_view(out, s, 1);
	fputs("}}\n", out);
	dtrec_intervals_free(&set);
	if (rc)
		return rc;
	return ferror(out) ? -EIO : 0;
}
