// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Export a time window as an SVG timeline (docs/export.md): one row per
 * CPU with lanes for stage residency, the stall bit of each stage,
 * hard-IRQs-off, and IRQ post/play ticks. Every shape carries a class
 * naming what it shows and a <title> with exact times, so the picture
 * can be both looked at and checked by a program.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "percpu.h"

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

struct bar {
	int on;
	uint64_t start;
};

static void bar_step(const struct svg *g, struct bar *b, const char *cls,
		     unsigned int row, int lane, int on, uint64_t now)
{
	double x0, x1;

	if (on && !b->on) {
		b->on = 1;
		b->start = now;
		return;
	}
	if (on || !b->on)
		return;
	b->on = 0;
	x0 = xpos(g, b->start);
	x1 = xpos(g, now);
	/* Keep zero-length sections visible. */
	if (x1 - x0 < 0.5)
		x1 = x0 + 0.5;
	fprintf(g->out, "<rect class=\"%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"><title>%s %llu..%llu ns</title></rect>\n",
		cls, x0, lane_y(row, lane), x1 - x0, LANE - 3.0, cls,
		(unsigned long long)b->start, (unsigned long long)now);
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
		    const struct dtrec_cpuv *cv, unsigned int row)
{
	struct bar inb = { 0 }, oob = { 0 }, is = { 0 }, os = { 0 }, hoff = { 0 };
	uint64_t last = 0;
	size_t i;
	int l;

	fprintf(g->out, "<g class=\"cpu\" id=\"cpu%u\">\n<text class=\"cpu-label\" x=\"4\" y=\"%.1f\" font-weight=\"bold\">CPU %u</text>\n",
		cv->cpu, lane_y(row, 0) - 3.0, cv->cpu);
	for (l = 0; l < NR_LANES; l++)
		fprintf(g->out, "<text class=\"lane-label\" x=\"4\" y=\"%.1f\" font-size=\"8\">%s</text>\n",
			lane_y(row, l) + 9.0, lane_name[l]);
	for (i = 0; i < cv->n; i++) {
		const struct dtrec_ev *e = cv->ev[i];
		unsigned int st = e->state;

		if (!selected(s, f, first, e))
			continue;
		bar_step(g, &inb, "stage-inband", row, L_STAGE, !(st & DTREC_ST_STAGE_OOB), e->ns);
		bar_step(g, &oob, "stage-oob", row, L_STAGE, !!(st & DTREC_ST_STAGE_OOB), e->ns);
		bar_step(g, &is, "stall-inband", row, L_ISTALL,
			 !!(st & DTREC_ST_INBAND_STALLED), e->ns);
		bar_step(g, &os, "stall-oob", row, L_OSTALL, !!(st & DTREC_ST_OOB_STALLED), e->ns);
		/* An NMI record says nothing about the code it interrupted. */
		if (!(st & DTREC_ST_IN_NMI))
			bar_step(g, &hoff, "hard-off", row, L_HOFF,
				 !!(st & DTREC_ST_HARD_OFF), e->ns);
		if (e->event == DTREC_EV_IRQ_POST || e->event == DTREC_EV_IRQ_PLAY)
			tick(g, e, row);
		last = e->ns;
	}
	bar_step(g, &inb, "stage-inband", row, L_STAGE, 0, last);
	bar_step(g, &oob, "stage-oob", row, L_STAGE, 0, last);
	bar_step(g, &is, "stall-inband", row, L_ISTALL, 0, last);
	bar_step(g, &os, "stall-oob", row, L_OSTALL, 0, last);
	bar_step(g, &hoff, "hard-off", row, L_HOFF, 0, last);
	fputs("</g>\n", g->out);
}

int dtrec_export_svg(FILE *out, const struct dtrec_snapshot *s,
		     const struct dtrec_filter *f)
{
	struct dtrec_percpu pc;
	struct svg g = { out, 0, 0 };
	unsigned int rows = 0, row, k;
	size_t i, first;
	int rc, any = 0;
	double height;

	if (!out || !s || (s->nr_events && !s->events))
		return -EINVAL;
	rc = dtrec_percpu_build(&pc, s, 0);
	if (rc)
		return rc;
	first = dtrec_first_selected(s, f);
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
	for (i = 0; i < pc.nr; i++) {
		size_t j;

		for (j = 0; j < pc.v[i].n; j++)
			if (selected(s, f, first, pc.v[i].ev[j])) {
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
	      ".axis{stroke:#999;stroke-width:0.5}</style>\n", out);
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
	for (i = 0, row = 0; i < pc.nr; i++) {
		size_t j;

		for (j = 0; j < pc.v[i].n; j++)
			if (selected(s, f, first, pc.v[i].ev[j]))
				break;
		if (j == pc.v[i].n)
			continue;
		cpu_row(&g, s, f, first, &pc.v[i], row++);
	}
	fputs("</svg>\n", out);
	dtrec_percpu_free(&pc);
	return ferror(out) ? -EIO : 0;
}
