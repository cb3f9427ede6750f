// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Export a time window as an SVG timeline (docs/export.md): one row per
 * CPU with lanes for stage residency, the stall bit of each stage,
 * hard-IRQs-off (the interval model's sections, as audit measures
 * them), and IRQ post/play ticks. Every shape carries a class
 * naming what it shows and a <title> with exact times, so the picture
 * can be both looked at and checked by a program.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "intervals.h"

#define WIDTH		1200.0
#define LEFT		90.0	/* CPU labels */
#define RIGHT		20.0
#define TOP		40.0	/* time axis */
#define ROW		86.0
#define LANE		14.0
#define NR_TICKS	10

enum { L_STAGE, L_ISTALL, L_OSTALL, L_HOFF, L_IRQ, NR_LANES };

static const char *const lane_name[NR_LANES] = {
	"stage", "in-band stall", "oob stall", "hard irqs off", "irqs",
};

struct svg {
	FILE *out;
	uint64_t t0, t1;
};

static double xpos(const struct svg *g, uint64_t ns)
{
	double span = g->t1 > g->t0 ? (double)(g->t1 - g->t0) : 1.0;

	if (ns < g->t0)
		ns = g->t0;
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

static void tick(const struct svg *g, const struct dtrec_ev *e, unsigned int row)
{
	int play = e->event == DTREC_EV_IRQ_PLAY;
	double x = xpos(g, e->ns), y = lane_y(row, L_IRQ);

	fprintf(g->out, "<line class=\"%s\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\"><title>%s irq %u stage %u at %llu ns</title></line>\n",
		play ? "irq-play" : "irq-post", x, play ? y + (LANE - 3.0) / 2 : y,
		x, play ? y + LANE - 3.0 : y + (LANE - 3.0) / 2,
		dtrec_event_name(e->event), e->arg, e->arg2 & 0xff,
		(unsigned long long)e->ns);
}

/* The release string comes from the target: never trust it in XML. */
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

static void cpu_row(const struct svg *g, const struct dtrec_snapshot *s,
		    const struct dtrec_filter *f, size_t first,
		    const struct dtrec_ivset *set, const struct dtrec_iv_view *w,
		    size_t ci, unsigned int row)
{
	const struct dtrec_cpuv *cv = &set->pc.v[ci];
	size_t i, k, b;
	int l;

	fprintf(g->out, "<g class=\"cpu\" id=\"cpu%u\">\n<text class=\"cpu-label\" x=\"4\" y=\"%.1f\" font-weight=\"bold\">CPU %u</text>\n",
		cv->cpu, lane_y(row, 0) - 3.0, cv->cpu);
	for (l = 0; l < NR_LANES; l++)
		fprintf(g->out, "<text class=\"lane-label\" x=\"4\" y=\"%.1f\" font-size=\"8\">%s</text>\n",
			lane_y(row, l) + 9.0, lane_name[l]);
	for (k = set->cpu_first[ci]; k < set->cpu_first[ci + 1]; k++)
		for (b = 0; b < NR_BARS; b++)
			if (set->iv[k].kind == bars[b].kind)
				bar(g, w, &set->iv[k], b, row);
	for (i = 0; i < cv->n; i++) {
		const struct dtrec_ev *e = cv->ev[i];

		if (selected(s, f, first, e) &&
		    (e->event == DTREC_EV_IRQ_POST || e->event == DTREC_EV_IRQ_PLAY))
			tick(g, e, row);
	}
	fputs("</g>\n", g->out);
}

int dtrec_export_svg(FILE *out, const struct dtrec_snapshot *s,
		     const struct dtrec_filter *f)
{
	struct dtrec_ivset set;
	struct dtrec_iv_view w;
	struct svg g = { out, 0, 0 };
	unsigned int rows = 0, row, k;
	size_t i, first;
	int rc, any = 0;
	double height;

	if (!out || !s || (s->nr_events && !s->events))
		return -EINVAL;
	rc = dtrec_intervals_build(&set, s);
	if (rc)
		return rc;
	first = dtrec_first_selected(s, f);
	dtrec_iv_view_init(&w, s, f);
	/* The window: the filter's bounds, else the selected events' span. */
	for (i = first; i < s->nr_events; i++) {
		const struct dtrec_ev *e = &s->events[i];

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
	height = TOP + rows * ROW + 20.0;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"monospace\" font-size=\"10\">\n",
		WIDTH, height, WIDTH, height);
	fputs("<style>.stage-inband{fill:#4a90d9}.stage-oob{fill:#d9534f}"
	      ".stall-inband{fill:#8fb8e8}.stall-oob{fill:#f0a09e}.hard-off{fill:#555}"
	      ".irq-post{stroke:#2a7d2a;stroke-width:1}.irq-play{stroke:#b36b00;stroke-width:1}"
	      ".axis{stroke:#999;stroke-width:0.5}"
	      ".open{fill-opacity:0.4;stroke:#000;stroke-width:0.6;stroke-dasharray:3 2}</style>\n", out);
	fputs("<text class=\"title\" x=\"4\" y=\"14\">Dovetail recorder ", out);
	xml_text(out, s->hdr.release, sizeof(s->hdr.release));
	fprintf(out, ": %llu..%llu ns</text>\n", (unsigned long long)g.t0,
		(unsigned long long)g.t1);
	for (k = 0; k <= NR_TICKS; k++) {
		uint64_t t = g.t0 + (g.t1 - g.t0) / NR_TICKS * k;
		double x = xpos(&g, t);

		fprintf(out, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\"/>\n"
			"<text class=\"tick\" x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">+%llu ns</text>\n",
			x, TOP - 4.0, x, height - 20.0, x, TOP - 8.0,
			(unsigned long long)(t - g.t0));
	}
	for (i = 0, row = 0; i < set.pc.nr; i++) {
		size_t j;

		for (j = 0; j < set.pc.v[i].n; j++)
			if (selected(s, f, first, set.pc.v[i].ev[j]))
				break;
		if (j == set.pc.v[i].n)
			continue;
		cpu_row(&g, s, f, first, &set, &w, i, row++);
	}
	fputs("</svg>\n", out);
	dtrec_intervals_free(&set);
	return ferror(out) ? -EIO : 0;
}
