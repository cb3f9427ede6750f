// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The interval model (intervals.h, docs/audit.md "Sections"): one walk
 * of each CPU's records in ring order, window by window, gives every
 * section that audit, report, stats and the exports show; one walk of
 * every record in time order gives the task migrations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "intervals.h"
#include "idmap.h"

static const char *const iv_names[DTREC_IV_NR] = {
	"stage_inband", "stage_oob", "stall_inband", "stall_oob", "hard_off",
	"stall_pending", "irq_wait", "task", "migrate_oob", "migrate_inband",
};

const char *dtrec_iv_name(unsigned int kind)
{
	return kind < DTREC_IV_NR ? iv_names[kind] : "unknown";
}

struct build {
	struct dtrec_ivset *set;
	int err;
};

/* Room for n + 2 elements of size in *arr (doubling); 0 or b->err set. */
static int room(struct build *b, void **arr, size_t *cap, size_t n, size_t size)
{
	size_t nc;
	void *p;

	if (b->err)
		return b->err;
	if (n + 2 <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	p = realloc(*arr, nc * size);
	if (!p)
		return b->err = -ENOMEM;
	*arr = p;
	*cap = nc;
	return 0;
}

static void emit(struct build *b, const struct dtrec_iv *v)
{
	struct dtrec_ivset *set = b->set;

	if (room(b, (void **)&set->iv, &set->cap, set->n, sizeof(*set->iv)))
		return;
	set->iv[set->n++] = *v;
}

/* A section being followed through one window. */
struct sec {
	int on;
	struct dtrec_iv v;
	size_t last_idx;	/* last record inside it */
	uint64_t last_ns;
};

/*
 * One record of a window. tell: the record can say (neutral records
 * neither open nor close); known: an earlier record of the window
 * could. A hard-off section ends at its last record (to_last): hard
 * IRQs go back on without a record.
 */
static void sec_step(struct build *b, struct sec *s, unsigned int kind,
		     const struct dtrec_ev *e, size_t i, int on, int to_last,
		     uint8_t start_flags)
{
	if (on && !s->on) {
		memset(&s->v, 0, sizeof(s->v));
		s->on = 1;
		s->v.kind = (uint8_t)kind;
		s->v.cpu = s->v.end_cpu = e->cpu;
		s->v.pid = e->pid;
		s->v.start = e->ns;
		s->v.first = i;
		s->v.flags = start_flags;
		s->v.stage = !!(e->state & ST_OOB);
	}
	if (on) {
		s->last_idx = i;
		s->last_ns = e->ns;
	} else if (s->on) {
		s->on = 0;
		s->v.end = to_last ? s->last_ns : e->ns;
		s->v.last = to_last ? s->last_idx : i;
		emit(b, &s->v);
	}
}

/* The window ended (hole or end of data) with the section still on. */
static void sec_cut(struct build *b, struct sec *s, const struct dtrec_ev *last,
		    size_t last_idx)
{
	if (!s->on)
		return;
	s->on = 0;
	s->v.flags |= DTREC_IV_OPEN_END;
	s->v.end = last->ns;
	s->v.last = last_idx;
	emit(b, &s->v);
}

/*
 * Records of the pipeline's IRQ frame: the entry itself and what runs
 * inside it, and the stage switch back on its way out. They close a
 * hard-off section and never open one: the IRQ was taken, so hard IRQs
 * were on just before the entry, and the return from the interrupt
 * turns them back on without leaving a record.
 */
static int irq_frame(const struct dtrec_ev *e, const struct dtrec_ev *prev,
		     const struct dtrec_ev *next, const struct dtrec_ev *next2)
{
	if (e->state & ST_PIPE)
		return 1;
	/*
	 * The entry path writes a record or two before pipeline_entry
	 * (an in-band stall, the switch to oob), with the IRQ already
	 * taken: they belong to the frame too.
	 */
	if (next && next->event == DTREC_EV_PIPELINE_ENTRY)
		return 1;
	if (next && next2 && next2->event == DTREC_EV_PIPELINE_ENTRY &&
	    (next->event == DTREC_EV_SWITCH_OOB ||
	     next->event == DTREC_EV_INBAND_STALL))
		return 1;
	return e->event == DTREC_EV_SWITCH_INBAND && prev &&
		prev->event == DTREC_EV_PIPELINE_EXIT;
}

/*
 * In-band stall changes are recorded inside the pipeline's own
 * hard_local_irq_save() (local_irq_enable() syncs the log under it):
 * their HOFF tells nothing about the caller's hard IRQ state.
 */
static int stall_change(unsigned int ev)
{
	return ev == DTREC_EV_INBAND_STALL || ev == DTREC_EV_INBAND_UNSTALL;
}

/*
 * Code that means to keep hard IRQs off after its record: an oob stall
 * (legal only hard-off), a mark, the freeze, outside an IRQ frame. A
 * section still on at the end of the data is known to hold only when
 * one of these came in it and no record after which a silent
 * hard_local_irq_restore() follows (an unstall, a task event) came
 * since.
 */
static int restores_after(unsigned int ev)
{
	switch (ev) {
	case DTREC_EV_OOB_UNSTALL:
	case DTREC_EV_LEAVE_INBAND:
	case DTREC_EV_FINALIZE_OOB:
	case DTREC_EV_SWITCHED_OOB:
	case DTREC_EV_LEAVE_OOB:
	case DTREC_EV_RESUME_INBAND:
	case DTREC_EV_OOB_SWITCH:
	case DTREC_EV_INBAND_TAIL:
		return 1;
	}
	return 0;
}

static int keeps_off(const struct dtrec_ev *e)
{
	if (e->state & (ST_PIPE | ST_HIRQ))
		return 0;
	return e->event == DTREC_EV_OOB_STALL || e->event == DTREC_EV_MARK ||
	       e->event == DTREC_EV_FREEZE;
}

/* The in-band/oob log: a set of IRQs, each with its wait. */
struct waits {
	size_t n, cap;
	struct dtrec_iv *w;
	struct dtrec_idmap idx;		/* irq -> index in w[] */
};

static void wait_post(struct build *b, struct waits *ws, const struct dtrec_ev *e,
		      size_t i, const struct dtrec_ev *win0, size_t win_idx)
{
	struct dtrec_iv *v;

	if (dtrec_idmap_get(&ws->idx, e->arg, NULL))
		return;		/* coalesced: the wait runs from the first post */
	if (room(b, (void **)&ws->w, &ws->cap, ws->n, sizeof(*ws->w)))
		return;
	if (dtrec_idmap_put(&ws->idx, e->arg, ws->n)) {
		b->err = -ENOMEM;
		return;
	}
	v = &ws->w[ws->n++];
	memset(v, 0, sizeof(*v));
	v->kind = DTREC_IV_IRQ_WAIT;
	v->cpu = v->end_cpu = e->cpu;
	v->pid = e->pid;
	v->irq = e->arg;
	v->stage = (uint8_t)(e->arg2 & 0xff);
	if (e->arg2 & DTREC_POST_COALESCED) {
		/* Already pending, yet not seen posted: since before the window. */
		v->flags = DTREC_IV_OPEN_START;
		v->start = win0->ns;
		v->first = win_idx;
	} else {
		v->start = e->ns;
		v->first = i;
	}
}

static void wait_play(struct build *b, struct waits *ws, const struct dtrec_ev *e,
		      size_t i)
{
	size_t k;

	if (!dtrec_idmap_get(&ws->idx, e->arg, &k))
		return;		/* posted before the window: nothing known */
	ws->w[k].end = e->ns;
	ws->w[k].last = i;
	emit(b, &ws->w[k]);
	dtrec_idmap_del(&ws->idx, e->arg);
	ws->w[k] = ws->w[--ws->n];
	/* The last one moved into the hole: it keeps its place in the map. */
	if (k < ws->n && dtrec_idmap_put(&ws->idx, ws->w[k].irq, k))
		b->err = -ENOMEM;
}

static void waits_cut(struct build *b, struct waits *ws, const struct dtrec_ev *last,
		      size_t last_idx)
{
	size_t k;

	for (k = 0; k < ws->n; k++) {
		ws->w[k].flags |= DTREC_IV_OPEN_END;
		ws->w[k].end = last->ns;
		ws->w[k].last = last_idx;
		emit(b, &ws->w[k]);
	}
	ws->n = 0;
	dtrec_idmap_clear(&ws->idx);
}

/* Per-window state of one CPU's walk. */
struct walk {
	struct sec sec[DTREC_IV_NR];
	signed char known[DTREC_IV_NR];	/* a record of the window could tell */
	struct waits wait[2];
	/* hard-off: the last record that could tell, and what it showed */
	const struct dtrec_ev *hoff_last;
	int hoff_keep;		/* the open section is known to hold */
	size_t win;			/* index of the window's first record */
};

static void window_end(struct build *b, struct walk *w, struct dtrec_ivcpu *ic,
		       const struct dtrec_ev *last, size_t last_idx)
{
	unsigned int k;

	for (k = 0; k < DTREC_IV_NR; k++) {
		ic->tail[k] = w->sec[k].on ? 1 : w->known[k] ? 0 : -1;
		sec_cut(b, &w->sec[k], last, last_idx);
	}
	/*
	 * Hard IRQs are on after a record without HOFF; after an IRQ frame
	 * or a stall change with HOFF, or a section that may have ended
	 * with a silent restore, nobody knows.
	 */
	if (w->hoff_last && (w->hoff_last->state & ST_HOFF))
		ic->tail[DTREC_IV_HARD_OFF] =
			ic->tail[DTREC_IV_HARD_OFF] == 1 && w->hoff_keep ? 1 : -1;
	waits_cut(b, &w->wait[0], last, last_idx);
	waits_cut(b, &w->wait[1], last, last_idx);
	ic->have_win = 1;
	ic->win = w->win;
	ic->end = last_idx + 1;
	memset(w->known, 0, sizeof(w->known));
	w->hoff_last = NULL;
	w->hoff_keep = 0;
}

static const struct dtrec_ev *next_in_window(const struct dtrec_cpuv *cv, size_t i)
{
	const struct dtrec_ev *e, *n;

	if (i + 1 >= cv->n)
		return NULL;
	e = cv->ev[i];
	n = cv->ev[i + 1];
	return n->status == DTREC_OK && n->pos == e->pos + 1 ? n : NULL;
}

static void step(struct build *b, struct walk *w, unsigned int k,
		 const struct dtrec_ev *e, size_t i, int tell, int on, int to_last)
{
	if (!tell)
		return;
	sec_step(b, &w->sec[k], k, e, i, on, to_last,
		 w->known[k] ? 0 : DTREC_IV_OPEN_START);
	w->known[k] = 1;
}

static void walk_cpu(struct build *b, struct dtrec_ivcpu *ic)
{
	const struct dtrec_cpuv *cv = ic->cv;
	const struct dtrec_ev *prev = NULL;
	struct walk w;
	size_t i, s;

	memset(&w, 0, sizeof(w));
	memset(ic->tail, -1, sizeof(ic->tail));
	for (i = 0; i < cv->n && !b->err; i++) {
		const struct dtrec_ev *e = cv->ev[i];
		unsigned int st = e->state, ev = e->event;
		int contig;

		if (e->status != DTREC_OK) {
			if (prev)
				window_end(b, &w, ic, prev, i - 1);
			prev = NULL;
			continue;
		}
		contig = prev && prev->pos + 1 == e->pos;
		if (prev && !contig)
			window_end(b, &w, ic, prev, i - 1);
		if (!contig)
			w.win = i;

		/* The logs first: the stall-with-pending section reads them. */
		if ((ev == DTREC_EV_IRQ_POST || ev == DTREC_EV_IRQ_PLAY) &&
		    (e->arg2 & 0xff) <= 1) {
			struct waits *ws = &w.wait[e->arg2 & 0xff];

			if (ev == DTREC_EV_IRQ_POST)
				wait_post(b, ws, e, i, cv->ev[w.win], w.win);
			else
				wait_play(b, ws, e, i);
		}
		for (s = 0; s < 2; s++)
			ic->npend[s][i] = (uint32_t)w.wait[s].n;

		step(b, &w, DTREC_IV_STAGE_INBAND, e, i, 1, !(st & ST_OOB), 0);
		step(b, &w, DTREC_IV_STAGE_OOB, e, i, 1, !!(st & ST_OOB), 0);
		/* While an oob task runs, bit 0 is its own, not the stage's (§1.2). */
		step(b, &w, DTREC_IV_STALL_INBAND, e, i, !(st & (ST_NMI | ST_TOOB)),
		     !!(st & ST_IS), 0);
		step(b, &w, DTREC_IV_STALL_OOB, e, i, !(st & ST_NMI), !!(st & ST_OS), 0);
		step(b, &w, DTREC_IV_STALL_PENDING, e, i, !(st & (ST_NMI | ST_TOOB)),
		     (st & ST_IS) && w.wait[0].n, 0);
		/* An NMI record says nothing about the code it interrupted. */
		if (!(st & ST_NMI)) {
			int holder = (st & ST_HOFF) && !stall_change(ev) &&
				!irq_frame(e, contig ? prev : NULL, next_in_window(cv, i),
					   next_in_window(cv, i + 1));
			int opening = holder && !w.sec[DTREC_IV_HARD_OFF].on;

			step(b, &w, DTREC_IV_HARD_OFF, e, i, 1, holder, 1);
			/* Opened after a record whose HOFF could not tell. */
			if (opening && w.hoff_last && (w.hoff_last->state & ST_HOFF))
				w.sec[DTREC_IV_HARD_OFF].v.flags |= DTREC_IV_INEXACT;
			if (opening)
				w.hoff_keep = 0;
			if (holder && keeps_off(e))
				w.hoff_keep = 1;
			else if (holder && restores_after(ev))
				w.hoff_keep = 0;
			w.hoff_last = e;
		}
		/*
		 * The task current on the CPU, and on which stage it runs:
		 * oob when it has _TLF_OOB (TOOB), whatever IRQ frame the
		 * pipeline runs on the oob stage on top of an in-band task.
		 */
		if (w.sec[DTREC_IV_TASK].on &&
		    (w.sec[DTREC_IV_TASK].v.pid != e->pid ||
		     w.sec[DTREC_IV_TASK].v.stage != !!(st & ST_TOOB)))
			step(b, &w, DTREC_IV_TASK, e, i, 1, 0, 0);
		step(b, &w, DTREC_IV_TASK, e, i, 1, 1, 0);
		if (w.sec[DTREC_IV_TASK].v.first == i)
			w.sec[DTREC_IV_TASK].v.stage = !!(st & ST_TOOB);
		prev = e;
	}
	if (prev)
		window_end(b, &w, ic, prev, cv->n - 1);
	/* Trailing damaged slots after the last window do not empty it. */
	for (s = 0; s < 2; s++) {
		free(w.wait[s].w);
		dtrec_idmap_free(&w.wait[s].idx);
	}
}

/* --- migrations: per task, every CPU, time order -------------------- */

struct mig {
	int on;
	struct dtrec_iv v;
};

static size_t view_index(const struct dtrec_ivset *set, const struct dtrec_ev *e)
{
	const struct dtrec_cpuv *cv = dtrec_percpu_find(&set->pc, e->cpu);
	long k = cv ? dtrec_percpu_index(cv, e) : -1;

	return k < 0 ? 0 : (size_t)k;
}

static void mig_open(struct dtrec_ivset *set, struct mig *m, unsigned int kind,
		     const struct dtrec_ev *e, uint8_t flags, uint64_t start)
{
	memset(m, 0, sizeof(*m));
	m->on = 1;
	m->v.kind = (uint8_t)kind;
	m->v.cpu = m->v.end_cpu = e->cpu;
	m->v.pid = e->arg;
	m->v.start = start;
	m->v.first = view_index(set, e);
	m->v.flags = flags;
	m->v.stage = kind == DTREC_IV_MIGRATE_OOB;
}

static void mig_close(struct build *b, struct mig *m, const struct dtrec_ev *e)
{
	m->on = 0;
	m->v.end = e->ns;
	m->v.end_cpu = e->cpu;
	m->v.last = view_index(b->set, e);
	emit(b, &m->v);
}

static void walk_migrations(struct build *b, const struct dtrec_snapshot *s)
{
	struct dtrec_idmap idx = { 0 };
	struct mig *m = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t t0 = 0, t1 = 0;
	const struct dtrec_ev *last = NULL;
	int any = 0;

	for (i = 0; i < s->nr_events; i++)
		if (s->events[i].status == DTREC_OK) {
			if (!any++)
				t0 = s->events[i].ns;
			t1 = s->events[i].ns;
			last = &s->events[i];
		}
	for (i = 0; i < s->nr_events && !b->err; i++) {
		const struct dtrec_ev *e = &s->events[i];
		struct mig *t;
		size_t k;

		if (e->status != DTREC_OK)
			continue;
		switch (e->event) {
		case DTREC_EV_LEAVE_INBAND:
		case DTREC_EV_FINALIZE_OOB:
		case DTREC_EV_SWITCHED_OOB:
		case DTREC_EV_LEAVE_OOB:
		case DTREC_EV_INBAND_TAIL:
		case DTREC_EV_RESUME_INBAND:
			break;
		default:
			continue;
		}
		/* Two slots per task: to oob, back in-band. */
		if (!dtrec_idmap_get(&idx, e->arg, &k)) {
			if (room(b, (void **)&m, &cap, n, sizeof(*m)))
				break;
			if (dtrec_idmap_put(&idx, e->arg, n)) {
				b->err = -ENOMEM;
				break;
			}
			k = n;
			n += 2;
			memset(&m[k], 0, 2 * sizeof(m[k]));
		}
		t = &m[k];
		if (e->event == DTREC_EV_LEAVE_OOB || e->event == DTREC_EV_INBAND_TAIL ||
		    e->event == DTREC_EV_RESUME_INBAND)
			t++;
		switch (e->event) {
		case DTREC_EV_LEAVE_INBAND:
			/* A second leave: the first was aborted (-ERESTARTSYS). */
			mig_open(b->set, t, DTREC_IV_MIGRATE_OOB, e, 0, e->ns);
			break;
		case DTREC_EV_LEAVE_OOB:
			mig_open(b->set, t, DTREC_IV_MIGRATE_INBAND, e, 0, e->ns);
			break;
		case DTREC_EV_FINALIZE_OOB:
		case DTREC_EV_SWITCHED_OOB:
			/* Its leave_inband is older than the records. */
			if (!t->on)
				mig_open(b->set, t, DTREC_IV_MIGRATE_OOB, e,
					 DTREC_IV_OPEN_START, t0);
			if (e->event == DTREC_EV_SWITCHED_OOB) {
				mig_close(b, t, e);
			} else {
				t->v.flags |= DTREC_IV_FINALIZED;
				t->v.mid = e->ns;
			}
			break;
		default:
			/*
			 * Back in-band. resume_inband also ends every
			 * ordinary in-band context switch: only one that
			 * follows a leave_oob ends a migration.
			 */
			if (t->on)
				mig_close(b, t, e);
		}
	}
	for (i = 0; i < n && last; i++)
		if (m[i].on) {
			m[i].v.flags |= DTREC_IV_OPEN_END;
			m[i].v.end = t1;
			m[i].v.end_cpu = last->cpu;
			m[i].v.last = view_index(b->set, last);
			emit(b, &m[i].v);
		}
	free(m);
	dtrec_idmap_free(&idx);
}

static int cmp_iv(const void *pa, const void *pb)
{
	const struct dtrec_iv *x = pa, *y = pb;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->irq < y->irq ? -1 : x->irq > y->irq;
}

void dtrec_intervals_free(struct dtrec_ivset *set)
{
	size_t i;

	for (i = 0; set->cpu && i < set->pc.nr; i++) {
		free(set->cpu[i].npend[0]);
		free(set->cpu[i].npend[1]);
	}
	free(set->cpu);
	free(set->iv);
	free(set->cpu_first);
	dtrec_percpu_free(&set->pc);
	memset(set, 0, sizeof(*set));
}

int dtrec_intervals_build(struct dtrec_ivset *set, const struct dtrec_snapshot *s)
{
	struct build b = { set, 0 };
	size_t i, k;
	int rc;

	memset(set, 0, sizeof(*set));
	rc = dtrec_percpu_build(&set->pc, s, 1);
	if (rc)
		return rc;
	set->cpu = calloc(set->pc.nr ? set->pc.nr : 1, sizeof(*set->cpu));
	set->cpu_first = calloc(set->pc.nr + 1, sizeof(*set->cpu_first));
	if (!set->cpu || !set->cpu_first)
		goto nomem;
	for (i = 0; i < set->pc.nr; i++) {
		struct dtrec_ivcpu *ic = &set->cpu[i];
		size_t n = set->pc.v[i].n ? set->pc.v[i].n : 1;

		ic->cv = &set->pc.v[i];
		ic->npend[0] = calloc(n, sizeof(uint32_t));
		ic->npend[1] = calloc(n, sizeof(uint32_t));
		if (!ic->npend[0] || !ic->npend[1])
			goto nomem;
		walk_cpu(&b, ic);
	}
	walk_migrations(&b, s);
	if (b.err) {
		dtrec_intervals_free(set);
		return b.err;
	}
	if (set->n > 1)
		qsort(set->iv, set->n, sizeof(*set->iv), cmp_iv);
	for (i = 0, k = 0; i < set->pc.nr; i++) {
		set->cpu_first[i] = k;
		while (k < set->n && set->iv[k].cpu == set->pc.v[i].cpu)
			k++;
	}
	set->cpu_first[set->pc.nr] = k;
	/* The sections still on at the end of each CPU's last window. */
	for (i = 0; i < set->pc.nr; i++) {
		struct dtrec_ivcpu *ic = &set->cpu[i];

		for (k = set->cpu_first[i]; k < set->cpu_first[i + 1]; k++) {
			const struct dtrec_iv *v = &set->iv[k];

			if ((v->flags & DTREC_IV_OPEN_END) && ic->have_win &&
			    v->first >= ic->win && v->kind < DTREC_IV_NR)
				ic->open[v->kind] = k;
		}
	}
	return 0;
nomem:
	dtrec_intervals_free(set);
	return -ENOMEM;
}

void dtrec_iv_summary(const struct dtrec_ivset *set, unsigned int kind,
		      struct dtrec_iv_sum *sum)
{
	size_t i;

	memset(sum, 0, sizeof(*sum));
	sum->cpu = -1;
	for (i = 0; i < set->n; i++) {
		const struct dtrec_iv *v = &set->iv[i];
		uint64_t d;

		if (v->kind != kind)
			continue;
		if (!dtrec_iv_measured(v)) {
			sum->open++;
			continue;
		}
		d = v->end >= v->start ? v->end - v->start : 0;
		sum->sections++;
		sum->total_ns += d;
		/* Ties go to the first by CPU, then start. */
		if (sum->cpu < 0 || d > sum->max_ns) {
			sum->max_ns = d;
			sum->at_ns = v->start;
			sum->cpu = v->cpu;
			sum->pid = v->pid;
			sum->longest = v;
		}
	}
}

void dtrec_iv_view_init(struct dtrec_iv_view *w, const struct dtrec_snapshot *s,
			const struct dtrec_filter *f)
{
	size_t first = dtrec_first_selected(s, f), i;

	w->t0 = f ? f->from_ns : 0;
	w->t1 = f && f->to_ns ? f->to_ns : UINT64_MAX;
	w->cpu_mask = f ? f->cpu_mask : 0;
	/* --last N: the window starts at the first of those N events. */
	if (f && f->last)
		for (i = first; i < s->nr_events; i++)
			if (dtrec_filter_match(f, &s->events[i])) {
				if (s->events[i].ns > w->t0)
					w->t0 = s->events[i].ns;
				break;
			}
}

int dtrec_iv_view_cpu(const struct dtrec_iv_view *w, uint32_t cpu)
{
	return !w->cpu_mask || (cpu < 64 && (w->cpu_mask & (1ULL << cpu)));
}

int dtrec_iv_clip(const struct dtrec_iv_view *w, const struct dtrec_iv *v,
		  uint64_t *start, uint64_t *end)
{
	if (!dtrec_iv_view_cpu(w, v->cpu) || v->end < w->t0 || v->start > w->t1)
		return 0;
	*start = v->start > w->t0 ? v->start : w->t0;
	*end = v->end < w->t1 ? v->end : w->t1;
	return 1;
}
