// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Export a time window as an SVG timeline (docs/export.md): a title,
 * the report's verdict, a time axis relative to an origin (--from, the
 * freeze, or the first record), one row per CPU with lanes for stage
 * residency, the stall bit of each stage, hard-IRQs-off (the interval
 * model's sections, as audit measures them), IRQ post/play ticks, the
 * number of IRQs pending in each log, marks and task events, a marker
 * at the freeze and at the verdict, and a legend. Every shape carries a
 * class naming what it shows and a <title> with exact times, so the
 * picture can be both looked at and checked by a program.
 *
 * Size: at most MAX_RECORDS selected records are drawn. Without bounds
 * on the window, the window is cut to the last MAX_RECORDS before the
 * freeze, and the picture says so; with bounds that hold more, the
 * export is refused (-E2BIG) and the command names the options.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "intervals.h"

#define WIDTH		1200.0
#define LEFT		110.0	/* CPU and lane labels */
#define RIGHT		40.0	/* room for the last tick label */
#define TOP		78.0	/* title, verdict, note, axis */
#define LANE		14.0
#define ROW_PAD		22.0
#define MAX_RECORDS	DTREC_SVG_MAX_RECORDS
#define PEND_CAP	8	/* counts drawn to this height, labelled beyond */

enum { L_STAGE, L_ISTALL, L_OSTALL, L_HOFF, L_IRQ, L_PEND, L_EVENTS, NR_LANES };

static const char *const lane_name[NR_LANES] = {
	"stage", "in-band stall", "oob stall", "hard irqs off", "irqs",
	"irqs pending", "marks, tasks",
};

#define ROW		(NR_LANES * LANE + ROW_PAD)

struct svg {
	FILE *out;
	const struct dtrec_snapshot *s;	/* for the names block */
	uint64_t t0, t1;	/* the window */
	uint64_t origin;	/* 0 on the axis */
	const char *origin_name;
};

static double xpos(const struct svg *g, uint64_t ns)
{
	double span = g->t1 > g->t0 ? (double)(g->t1 - g->t0) : 1.0;

	if (ns < g->t0)
		ns = g->t0;
	if (ns > g->t1)
		ns = g->t1;
	return LEFT + (double)(ns - g->t0) * (WIDTH - LEFT - RIGHT) / span;
}

static double lane_y(unsigned int row, int lane)
{
	return TOP + row * ROW + 14.0 + lane * LANE;
}

/* The sections of each lane, from the interval model. */
static const struct {
	unsigned int kind;
	int lane;
	const char *cls;
} bars[] = {
	{ DTREC_IV_STAGE_INBAND, L_STAGE, "stage-inband" },
	{ DTREC_IV_STAGE_OOB, L_STAGE, "stage-oob" },
	{ DTREC_IV_STALL_INBAND, L_ISTALL, "stall-inband" },
	{ DTREC_IV_STALL_OOB, L_OSTALL, "stall-oob" },
	{ DTREC_IV_HARD_OFF, L_HOFF, "hard-off" },
};
#define NR_BARS (sizeof(bars) / sizeof(bars[0]))

/*
 * A section as a bar. One cut by the data's edges is drawn hatched
 * (class "open"), and its title says so: it is no measured duration.
 */
static void bar(const struct svg *g, const struct dtrec_iv_view *w,
		const struct dtrec_iv *v, size_t b, unsigned int row)
{
	static const char *const open_note[] = {
		"", " (open: began before the data)", " (open: still on at the end of the data)",
		" (open at both ends)",
	};
	uint64_t a, z;
	double x0, x1;

	if (!dtrec_iv_clip(w, v, &a, &z))
		return;
	x0 = xpos(g, a);
	x1 = xpos(g, z);
	/* Keep zero-length sections visible. */
	if (x1 - x0 < 0.5)
		x1 = x0 + 0.5;
	fprintf(g->out, "<rect class=\"%s%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"><title>%s %llu..%llu ns%s</title></rect>\n",
		bars[b].cls, (v->flags & DTREC_IV_OPEN) ? " open" : "", x0,
		lane_y(row, bars[b].lane), x1 - x0, LANE - 3.0, bars[b].cls,
		(unsigned long long)v->start, (unsigned long long)v->end,
		open_note[v->flags & DTREC_IV_OPEN]);
}

/* A record's arguments by name, for a title. */
static void args_text(FILE *out, const struct dtrec_ev *e)
{
	struct dtrec_arg a[4];
	unsigned int n = dtrec_event_args(e, a), k;

	for (k = 0; k < n; k++)
		fprintf(out, " %s=%u", a[k].name, a[k].value);
}

static void xml_text(FILE *out, const char *s, size_t max);

/* " (NAME)" from the snapshot's names block, XML-escaped; nothing without. */
static void name_text(FILE *out, const char *name)
{
	if (!name || !name[0])
		return;
	fputs(" (", out);
	xml_text(out, name, 64);
	fputc(')', out);
}

static void tick(const struct svg *g, const struct dtrec_ev *e, unsigned int row)
{
	const struct dtrec_irq_name *n = dtrec_irq_name(g->s, e->arg);
	int play = e->event == DTREC_EV_IRQ_PLAY;
	double x = xpos(g, e->ns), y = lane_y(row, L_IRQ);

	fprintf(g->out, "<line class=\"%s\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\"><title>%s irq %u",
		play ? "irq-play" : "irq-post", x, play ? y + (LANE - 3.0) / 2 : y,
		x, play ? y + LANE - 3.0 : y + (LANE - 3.0) / 2,
		dtrec_event_name(e->event), e->arg);
	name_text(g->out, n ? n->name : NULL);
	fprintf(g->out, " stage %u at %llu ns</title></line>\n", e->arg2 & 0xff,
		(unsigned long long)e->ns);
}

/* A mark (triangle) or a task event (short bar) on the events lane. */
static void event_marker(const struct svg *g, const struct dtrec_ev *e,
			 unsigned int row)
{
	double x = xpos(g, e->ns), y = lane_y(row, L_EVENTS);

	if (e->event == DTREC_EV_MARK || e->event == DTREC_EV_FREEZE)
		fprintf(g->out, "<path class=\"mark\" d=\"M%.2f %.1f l-4 -6 h8 z\">",
			x, y + LANE - 3.0);
	else
		fprintf(g->out, "<line class=\"task-event\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\">",
			x, y, x, y + LANE - 3.0);
	fprintf(g->out, "<title>%s pid %u", dtrec_event_name(e->event), e->pid);
	name_text(g->out, dtrec_comm(g->s, e->pid));
	args_text(g->out, e);
	fprintf(g->out, " at %llu ns</title>%s\n", (unsigned long long)e->ns,
		e->event == DTREC_EV_MARK || e->event == DTREC_EV_FREEZE ? "</path>" : "</line>");
}

/* Text from the target (release, verdict): never trust it in XML. */
static void xml_text(FILE *out, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '<')
			fputs("&lt;", out);
		else if (ch == '>')
			fputs("&gt;", out);
		else if (ch == '&')
			fputs("&amp;", out);
		else if (ch < 0x20 || ch >= 0x7f)
			fputc('?', out);
		else
			fputc(ch, out);
	}
}

static int selected(const struct dtrec_snapshot *s, const struct dtrec_filter *f,
		    size_t first, const struct dtrec_ev *e)
{
	return (size_t)(e - s->events) >= first && e->status == DTREC_OK &&
	       dtrec_filter_match(f, e);
}

static int in_window(const struct svg *g, const struct dtrec_ev *e)
{
	return e->ns >= g->t0 && e->ns <= g->t1;
}

/*
 * The number of IRQs pending in each log along the window, from the
 * model, as step lines sharing the lane (oob dashed), drawn up to
 * PEND_CAP, with the largest counts in the lane's label.
 */
static void pending_lane(const struct svg *g, const struct dtrec_ivcpu *ic,
			 unsigned int row)
{
	const struct dtrec_cpuv *cv = ic->cv;
	double base = lane_y(row, L_PEND) + LANE - 3.0, step = (LANE - 3.0) / PEND_CAP;
	unsigned int s, maxn[2] = { 0, 0 };
	size_t i;

	for (s = 0; s < 2; s++) {
		double lx = -1, ly = base;
		int any = 0;

		for (i = 0; i < cv->n; i++) {
			const struct dtrec_ev *e = cv->ev[i];
			uint32_t n = ic->npend[s][i];
			double x, y;

			if (e->status != DTREC_OK || !in_window(g, e))
				continue;
			if (n > maxn[s])
				maxn[s] = n;
			x = xpos(g, e->ns);
			y = base - (n > PEND_CAP ? PEND_CAP : n) * step;
			if (!any)
				fprintf(g->out, "<polyline class=\"pending-%s\" points=\"%.2f,%.1f",
					s ? "oob" : "inband", x, y);
			else if (y != ly)
				fprintf(g->out, " %.2f,%.1f %.2f,%.1f", x, ly, x, y);
			lx = x;
			ly = y;
			any = 1;
		}
		if (any)
			fprintf(g->out, " %.2f,%.1f\"><title>IRQs pending in the %s log, at most %u in the window</title></polyline>\n",
				lx > WIDTH - RIGHT ? lx : WIDTH - RIGHT, ly,
				s ? "oob" : "in-band", maxn[s]);
	}
	/* The lane's label gives the largest counts of the window. */
	fprintf(g->out, "<text class=\"lane-label pending-count\" x=\"4\" y=\"%.1f\" font-size=\"8\">pending: %u ib, %u oob</text>\n",
		lane_y(row, L_PEND) + 9.0, maxn[0], maxn[1]);
}

static void cpu_row(const struct svg *g, const struct dtrec_snapshot *s,
		    const struct dtrec_filter *f, size_t first,
		    const struct dtrec_ivset *set, const struct dtrec_iv_view *w,
		    size_t ci, unsigned int row, const struct dtrec_verdict_brief *vb,
		    int verdict)
{
	const struct dtrec_cpuv *cv = &set->pc.v[ci];
	size_t i, k, b;
	int l;

	fprintf(g->out, "<g class=\"cpu\" id=\"cpu%u\">\n<text class=\"cpu-label\" x=\"4\" y=\"%.1f\" font-weight=\"bold\">CPU %u</text>\n",
		cv->cpu, lane_y(row, 0) - 3.0, cv->cpu);
	for (l = 0; l < NR_LANES; l++)
		if (l != L_PEND)	/* pending_lane() writes its own */
			fprintf(g->out, "<text class=\"lane-label\" x=\"4\" y=\"%.1f\" font-size=\"8\">%s</text>\n",
				lane_y(row, l) + 9.0, lane_name[l]);
	/* The verdict's since-when, under everything else of its CPU. */
	if (verdict && vb->cpu == cv->cpu && vb->timed) {
		double x0 = xpos(g, vb->since), x1 = xpos(g, vb->freeze);

		fprintf(g->out, "<rect class=\"verdict\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"><title>",
			x0, lane_y(row, 0) - 2.0, x1 - x0 > 0.5 ? x1 - x0 : 0.5,
			NR_LANES * LANE + 1.0);
		xml_text(g->out, vb->msg, sizeof(vb->msg));
		fputs("</title></rect>\n", g->out);
	}
	for (k = set->cpu_first[ci]; k < set->cpu_first[ci + 1]; k++)
		for (b = 0; b < NR_BARS; b++)
			if (set->iv[k].kind == bars[b].kind)
				bar(g, w, &set->iv[k], b, row);
	for (i = 0; i < cv->n; i++) {
		const struct dtrec_ev *e = cv->ev[i];
		int cls;

		if (!selected(s, f, first, e) || !in_window(g, e))
			continue;
		cls = dtrec_event_class(e->event);
		if (e->event == DTREC_EV_IRQ_POST || e->event == DTREC_EV_IRQ_PLAY)
			tick(g, e, row);
		else if (cls == DTREC_C_TASK || cls == DTREC_C_MISC)
			event_marker(g, e, row);
	}
	pending_lane(g, &set->cpu[ci], row);
	fputs("</g>\n", g->out);
}

/* 1, 2 or 5 times a power of ten, at least span / 8: about 8 ticks. */
static uint64_t tick_step(uint64_t span)
{
	uint64_t step = 1;

	while (step < span / 8) {
		if (step * 2 >= span / 8)
			return step * 2;
		if (step * 5 >= span / 8)
			return step * 5;
		step *= 10;
	}
	return step;
}

/*
 * An offset from the origin, in the unit of the tick step. Sign and
 * magnitude apart: a window may span more than INT64_MAX nanoseconds.
 */
static void offset_label(FILE *out, int before, uint64_t m, uint64_t step)
{
	static const struct {
		uint64_t ns;
		const char *unit;
	} units[] = {
		{ 1000000000ULL, "s" }, { 1000000ULL, "ms" }, { 1000ULL, "\xc2\xb5s" }, { 1, "ns" },
	};
	size_t u = 0;

	while (units[u].ns > step)
		u++;
	if (!m)
		fputs("0", out);
	else
		fprintf(out, "%s%llu %s", before ? "\xe2\x88\x92" : "+",
			(unsigned long long)(m / units[u].ns), units[u].unit);
}

static void axis_tick(const struct svg *g, double height, int before, uint64_t off,
		      uint64_t step)
{
	uint64_t t = before ? g->origin - off : g->origin + off;
	double x = xpos(g, t);
	const char *anchor = "middle";

	/* Labels never leave the picture. */
	if (x < LEFT + 30.0)
		anchor = "start";
	else if (x > WIDTH - RIGHT - 10.0)
		anchor = "end";
	fprintf(g->out, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\"/>\n"
		"<text class=\"tick\" x=\"%.2f\" y=\"%.1f\" text-anchor=\"%s\">",
		x, TOP - 4.0, x, height, x, TOP - 8.0, anchor);
	offset_label(g->out, before, off, step);
	fputs("</text>\n", g->out);
}


/* Max view: what each captured worst case is, in one line. */
static void max_note(FILE *out, const struct dtrec_snapshot *s, double y)
{
	size_t i;

	fprintf(out, "<text class=\"note max-note\" x=\"4\" y=\"%.1f\">captured:", y);
	for (i = 0; i < s->nr_maxima; i++) {
		const struct dtrec_max *m = &s->maxima[i];
		uint64_t ns = dtrec_max_ns(m);

		fprintf(out, "%s CPU %u %s %llu.%03llu us", i ? ";" : "", m->cpu,
			dtrec_metric_name(m->metric), (unsigned long long)(ns / 1000),
			(unsigned long long)(ns % 1000));
	}
	fputs("</text>\n", out);
}

/*
 * Ticks at origin +/- k * step inside the window. The origin lies in
 * [t0, t1], so k * step never exceeds the span: unsigned arithmetic on
 * offsets cannot overflow, whatever the timestamps.
 */
static void axis(const struct svg *g, double height)
{
	uint64_t span = g->t1 - g->t0, step = tick_step(span ? span : 1);
	uint64_t k, before = (g->origin - g->t0) / step, after = (g->t1 - g->origin) / step;

	for (k = before; k > 0; k--)
		axis_tick(g, height, 1, k * step, step);
	for (k = 0; k <= after; k++)
		axis_tick(g, height, 0, k * step, step);
}

static void legend(FILE *out, double y)
{
	static const struct {
		const char *cls, *shape, *what;
	} items[] = {
		{ "stage-inband", "rect", "in-band stage" },
		{ "stage-oob", "rect", "oob stage" },
		{ "stall-inband", "rect", "in-band stage stalled" },
		{ "stall-oob", "rect", "oob stage stalled" },
		{ "hard-off", "rect", "hard IRQs off" },
		{ "stall-inband open", "rect", "open: cut by the data's edge, not measured" },
		{ "irq-post", "line", "IRQ posted (upper tick)" },
		{ "irq-play", "line", "IRQ played (lower tick)" },
		{ "pending-inband", "line", "IRQs pending, in-band log" },
		{ "pending-oob", "line", "IRQs pending, oob log" },
		{ "mark", "path", "mark or freeze record" },
		{ "task-event", "line", "task event (migration, switch)" },
		{ "freeze", "line", "freeze time" },
		{ "verdict", "rect", "the report's verdict, since when" },
	};
	size_t i;

	fprintf(out, "<g class=\"legend\">\n<text class=\"legend-title\" x=\"4\" y=\"%.1f\" font-weight=\"bold\">legend</text>\n",
		y + 10.0);
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		double x = LEFT + (i % 4) * 270.0, yy = y + (i / 4) * 16.0;

		if (!strcmp(items[i].shape, "rect"))
			fprintf(out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"10\"/>",
				items[i].cls, x, yy + 1.0);
		else if (!strcmp(items[i].shape, "path"))
			fprintf(out, "<path class=\"%s\" d=\"M%.1f %.1f l-4 -6 h8 z\"/>",
				items[i].cls, x + 9.0, yy + 10.0);
		else
			fprintf(out, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
				items[i].cls, x, yy + 6.0, x + 18.0, yy + 6.0);
		fprintf(out, "<text class=\"legend-label\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
			x + 24.0, yy + 10.0, items[i].what);
	}
	fputs("</g>\n", out);
}

static const char style[] =
	"<style>.stage-inband{fill:#4a90d9}.stage-oob{fill:#d9534f}"
	".stall-inband{fill:#8fb8e8}.stall-oob{fill:#f0a09e}.hard-off{fill:#555}"
	".open{fill-opacity:0.4;stroke:#000;stroke-width:0.6;stroke-dasharray:3 2}"
	".irq-post{stroke:#2a7d2a;stroke-width:1}.irq-play{stroke:#b36b00;stroke-width:1}"
	".pending-inband{fill:none;stroke:#1f5fa8;stroke-width:1}"
	".pending-oob{fill:none;stroke:#a82a1f;stroke-width:1;stroke-dasharray:2 1}"
	".mark{fill:#7a3fb0}.task-event{stroke:#0a7d7d;stroke-width:1.5}"
	".freeze{stroke:#c00;stroke-width:1.5;stroke-dasharray:4 2}"
	".verdict{fill:#ffe680;fill-opacity:0.5;stroke:#c90;stroke-width:1}"
	".axis{stroke:#999;stroke-width:0.5}.note{fill:#a00}</style>\n";

int dtrec_export_svg(FILE *out, const struct dtrec_snapshot *s,
		     const struct dtrec_filter *f)
{
	struct dtrec_verdict_brief vb;
	struct dtrec_ivset set;
	struct dtrec_iv_view w;
	struct svg g = { out, s, 0, 0, 0, "first record" };
	unsigned int rows = 0, row;
	size_t i, first, nsel = 0, cut = 0;
	uint64_t freeze = 0;
	int rc, any = 0, verdict, bounded = f && (f->from_ns || f->to_ns || f->last);
	double height;

	if (!out || !s || (s->nr_events && !s->events))
		return -EINVAL;
	first = dtrec_first_selected(s, f);
	for (i = first; i < s->nr_events; i++)
		if (selected(s, f, first, &s->events[i]))
			nsel++;
	/* The size bound: cut an open window, refuse a chosen one. */
	if (nsel > MAX_RECORDS && bounded)
		return -E2BIG;
	if (nsel > MAX_RECORDS) {
		size_t skip = nsel - MAX_RECORDS;

		for (i = first; i < s->nr_events && skip; i++)
			if (selected(s, f, first, &s->events[i]))
				skip--;
		first = i;
		cut = nsel;
		nsel = MAX_RECORDS;
	}
	rc = dtrec_intervals_build(&set, s);
	if (rc)
		return rc;
	verdict = dtrec_report_first_verdict(s, &vb);
	if (verdict < 0)
		verdict = 0;
	/* The window: the filter's bounds, else the selected events' span. */
	for (i = first; i < s->nr_events; i++) {
		const struct dtrec_ev *e = &s->events[i];

		if (e->status == DTREC_OK && e->ns > freeze)
			freeze = e->ns;
		if (!selected(s, f, first, e))
			continue;
		if (!any || e->ns < g.t0)
			g.t0 = e->ns;
		if (!any || e->ns > g.t1)
			g.t1 = e->ns;
		any = 1;
	}
	if (f && f->from_ns)
		g.t0 = f->from_ns;
	if (f && f->to_ns)
		g.t1 = f->to_ns;
	/* An empty window (--from past --to) is one instant, not a wrap. */
	if (g.t1 < g.t0)
		g.t1 = g.t0;
	/* The origin: --from, else the freeze when it is in view, else the start. */
	g.origin = g.t0;
	if (f && f->from_ns) {
		g.origin_name = "--from";
	} else if (s->hdr.frozen && freeze >= g.t0 && freeze <= g.t1) {
		g.origin = freeze;
		g.origin_name = "freeze";
	}
	dtrec_iv_view_init(&w, s, f);
	w.t0 = g.t0;
	w.t1 = g.t1;
	for (i = 0; i < set.pc.nr; i++) {
		size_t j;

		for (j = 0; j < set.pc.v[i].n; j++)
			if (selected(s, f, first, set.pc.v[i].ev[j])) {
				rows++;
				break;
			}
	}
	height = TOP + rows * ROW;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"monospace\" font-size=\"10\">\n",
		WIDTH, height + 84.0, WIDTH, height + 84.0);
	fputs(style, out);
	fprintf(out, "<rect class=\"background\" x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n",
		WIDTH, height + 84.0);
	fprintf(out, "<text class=\"title\" x=\"4\" y=\"14\">Dovetail recorder%s ",
		s->max_view ? ", captured worst cases (the kernel's max areas)," : "");
	xml_text(out, s->hdr.release, sizeof(s->hdr.release));
	fprintf(out, ": %llu..%llu ns, times from the %s at %llu ns</text>\n",
		(unsigned long long)g.t0, (unsigned long long)g.t1, g.origin_name,
		(unsigned long long)g.origin);
	fputs("<text class=\"verdict-text\" x=\"4\" y=\"28\">verdict: ", out);
	if (verdict)
		xml_text(out, vb.msg, sizeof(vb.msg));
	else
		fputs("no hang signature", out);
	fputs("</text>\n", out);
	if (cut)
		fprintf(out, "<text class=\"note\" x=\"4\" y=\"42\">automatic window: the last %zu of %zu records, up to the freeze; choose another with --from/--to, --cpu or --last</text>\n",
			nsel, cut);
	if (s->max_view)
		max_note(out, s, cut ? 56.0 : 42.0);
	axis(&g, height);
	if (s->hdr.frozen && freeze >= g.t0 && freeze <= g.t1)
		fprintf(out, "<line class=\"freeze\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\"><title>freeze (%s) at %llu ns</title></line>\n",
			xpos(&g, freeze), TOP - 4.0, xpos(&g, freeze), height,
			dtrec_freeze_name(s->hdr.freeze_reason), (unsigned long long)freeze);
	for (i = 0, row = 0; i < set.pc.nr; i++) {
		size_t j;

		for (j = 0; j < set.pc.v[i].n; j++)
			if (selected(s, f, first, set.pc.v[i].ev[j]))
				break;
		if (j == set.pc.v[i].n)
			continue;
		cpu_row(&g, s, f, first, &set, &w, i, row++, &vb, verdict);
	}
	legend(out, height + 10.0);
	fputs("</svg>\n", out);
	dtrec_intervals_free(&set);
	return ferror(out) ? -EIO : 0;
}
