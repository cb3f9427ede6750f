// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Hang report: what every CPU was doing when the recorder stopped (or
 * the dump was taken), and which condition most likely hung the
 * machine. docs/report.md is the specification: the derivation rules
 * for each condition, the verdict rules and their order, the
 * thresholds, and the text and JSON layouts.
 *
 * Everything is derived from the records first: every record carries
 * both stall bits, the stage and pipeline bits and the hard IRQ state
 * sampled after its transition, posts and plays give the pending IRQs,
 * and the task events give the stage migrations. A front end may add
 * the state it read from the dump (struct dtrec_live); it then decides
 * what is true at freeze time, and the records still tell since when.
 * Where the two disagree, the CPU page says which and why. Without a
 * record (recorder compiled out, or empty) the report stands on the
 * state alone: the same pages and rules, durations unknown.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "intervals.h"
#include "idmap.h"

/* Defaults (docs/report.md): hang thresholds, far above any healthy section. */
#define DEF_LAST		10
#define DEF_OOB_STALL_NS	10000000ULL	/* 10 ms */
#define DEF_INBAND_STALL_NS	100000000ULL	/* 100 ms */
#define DEF_MIGRATING_NS	100000000ULL	/* 100 ms */
#define DEF_HARD_OFF_NS		10000000ULL	/* 10 ms */
/*
 * A task that left in-band but was never finalized is still taken as
 * alive if it wrote a record this long after its LEAVE_INBAND (the
 * aborted -ERESTARTSYS path returns to in-band code).
 */
#define MIGRATE_SETTLE_NS	1000000ULL

/* Bounds on what a front end may hand over. */
#define MAX_LIVE_CPUS		65536U
#define MAX_LIVE_IRQS		(1U << 20)
#define MAX_LIVE_TASKS		(1U << 22)
#define MAX_STR			256U

/* ------------------------------------------------------------------ */
/* Live state                                                          */
/* ------------------------------------------------------------------ */

struct live_irq {
	uint32_t irq;
	char *name;
	char *vector;		/* x86 system vector name, or NULL */
};

struct live_cpu {
	uint32_t cpu;
	int stage_oob, pipe, is, os, hoff;
	int64_t current, owner, inflight;
	size_t np[2], cap[2];
	struct live_irq *p[2];
};

struct live_task {
	int64_t pid;
	char *comm;
	uint32_t cpu;
	int cls;			/* enum dtrec_task_class */
};

struct dtrec_live {
	size_t nc, capc;
	struct live_cpu *c;
	size_t nt, capt;
	struct live_task *t;
	char *release;		/* the kernel's, for a report without records */
	char *norec;		/* why there is no record, or NULL */
};

static int grow(void **arr, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t nc;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -E2BIG;
	nc = *cap ? *cap * 2 : 8;
	if (nc > max)
		nc = max;
	p = realloc(*arr, nc * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = nc;
	return 0;
}

static char *dupstr(const char *s)
{
	size_t n;
	char *d;

	if (!s)
		return NULL;
	n = strnlen(s, MAX_STR);
	d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

struct dtrec_live *dtrec_live_new(void)
{
	return calloc(1, sizeof(struct dtrec_live));
}

void dtrec_live_free(struct dtrec_live *l)
{
	size_t i, k, s;

	if (!l)
		return;
	for (i = 0; i < l->nc; i++)
		for (s = 0; s < 2; s++) {
			for (k = 0; k < l->c[i].np[s]; k++) {
				free(l->c[i].p[s][k].name);
				free(l->c[i].p[s][k].vector);
			}
			free(l->c[i].p[s]);
		}
	for (i = 0; i < l->nt; i++) {
		free(l->t[i].comm);
	}
	free(l->c);
	free(l->t);
	free(l->release);
	free(l->norec);
	free(l);
}

static int tri(int v)
{
	return v < 0 ? DTREC_LIVE_UNKNOWN : !!v;
}

static struct live_cpu *live_find(const struct dtrec_live *l, uint32_t cpu)
{
	size_t i;

	for (i = 0; l && i < l->nc; i++)
		if (l->c[i].cpu == cpu)
			return &l->c[i];
	return NULL;
}

static struct live_cpu *live_get(struct dtrec_live *l, uint32_t cpu)
{
	struct live_cpu *c = live_find(l, cpu);

	if (c)
		return c;
	if (grow((void **)&l->c, &l->capc, l->nc, sizeof(*l->c), MAX_LIVE_CPUS))
		return NULL;
	c = &l->c[l->nc++];
	memset(c, 0, sizeof(*c));
	c->cpu = cpu;
	c->stage_oob = c->pipe = c->is = c->os = c->hoff = DTREC_LIVE_UNKNOWN;
	c->current = c->owner = c->inflight = -1;
	return c;
}

int dtrec_live_cpu(struct dtrec_live *l, uint32_t cpu, int stage_oob,
		   int pipeline_entry, int inband_stalled, int oob_stalled,
		   int hard_irqs_off, int64_t current_pid, int64_t inband_owner,
		   int64_t task_inflight)
{
	struct live_cpu *c;

	if (!l)
		return -EINVAL;
	c = live_get(l, cpu);
	if (!c)
		return -ENOMEM;
	c->stage_oob = tri(stage_oob);
	c->pipe = tri(pipeline_entry);
	c->is = tri(inband_stalled);
	c->os = tri(oob_stalled);
	c->hoff = tri(hard_irqs_off);
	c->current = current_pid < 0 ? -1 : current_pid;
	c->owner = inband_owner < 0 ? -1 : inband_owner;
	c->inflight = task_inflight < 0 ? -1 : task_inflight;
	return 0;
}

int dtrec_live_pending(struct dtrec_live *l, uint32_t cpu, unsigned int stage,
		       uint32_t irq, const char *name)
{
	struct live_cpu *c;
	struct live_irq *p;
	int rc;

	if (!l || stage > 1)
		return -EINVAL;
	c = live_get(l, cpu);
	if (!c)
		return -ENOMEM;
	rc = grow((void **)&c->p[stage], &c->cap[stage], c->np[stage],
		  sizeof(*c->p[stage]), MAX_LIVE_IRQS);
	if (rc)
		return rc;
	p = &c->p[stage][c->np[stage]];
	p->irq = irq;
	p->vector = NULL;
	p->name = dupstr(name);
	if (name && !p->name)
		return -ENOMEM;
	c->np[stage]++;
	return 0;
}

int dtrec_live_vector(struct dtrec_live *l, uint32_t cpu, unsigned int stage,
		      uint32_t irq, const char *vector)
{
	struct live_cpu *c = live_find(l, cpu);
	size_t k;

	if (!c || stage > 1)
		return -EINVAL;
	for (k = 0; k < c->np[stage]; k++)
		if (c->p[stage][k].irq == irq) {
			free(c->p[stage][k].vector);
			c->p[stage][k].vector = dupstr(vector);
			return vector && !c->p[stage][k].vector ? -ENOMEM : 0;
		}
	return -ENOENT;
}

int dtrec_live_info(struct dtrec_live *l, const char *release, const char *norec)
{
	if (!l)
		return -EINVAL;
	free(l->release);
	free(l->norec);
	l->release = dupstr(release);
	l->norec = dupstr(norec);
	return (release && !l->release) || (norec && !l->norec) ? -ENOMEM : 0;
}

int dtrec_live_task(struct dtrec_live *l, int64_t pid, const char *comm,
		    uint32_t cpu, int cls)
{
	struct live_task *t;
	int rc;

	if (!l)
		return -EINVAL;
	rc = grow((void **)&l->t, &l->capt, l->nt, sizeof(*l->t), MAX_LIVE_TASKS);
	if (rc)
		return rc;
	t = &l->t[l->nt];
	t->pid = pid;
	t->cpu = cpu;
	t->comm = dupstr(comm);
	t->cls = cls;
	if (comm && !t->comm)
		return -ENOMEM;
	l->nt++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

/* ctypes callers pass opaque 256-byte storage for the options. */
typedef char opts_fit[sizeof(struct dtrec_report_opts) <= 256 ? 1 : -1];

void dtrec_report_opts_init(struct dtrec_report_opts *o)
{
	memset(o, 0, sizeof(*o));
}

#define ROPT(n, f) { n, offsetof(struct dtrec_report_opts, f), sizeof(uint64_t) }
static const struct dtrec_opt report_opt[] = {
	ROPT("--last", last),
	ROPT("--oob-stall", oob_stall_ns),
	ROPT("--inband-stall", inband_stall_ns),
	ROPT("--migrating", migrating_ns),
	ROPT("--hard-off", hard_off_ns),
};

int dtrec_report_opts_parse(struct dtrec_report_opts *o, int argc, char **argv,
			    char *err, size_t errlen)
{
	return dtrec_opts_parse(report_opt, sizeof(report_opt) / sizeof(report_opt[0]),
				"report", o, argc, argv, err, errlen);
}

/* ------------------------------------------------------------------ */
/* Analysis                                                            */
/* ------------------------------------------------------------------ */

/* A condition at freeze time and since when it has held. */
struct cond {
	int on;			/* 1, 0, -1 unknown */
	int have_since;
	int exact;		/* the record before the start showed it off */
	uint64_t since;
	int64_t pid;		/* -1: unknown */
};

struct pend {
	unsigned int stage;
	uint32_t irq;
	const char *name;
	const char *vector;	/* from the dump, or NULL */
	int timed;		/* post is known: the post time, or a bound */
	int exact;		/* post is the post time, else "posted before" */
	uint64_t post;
};

struct pendset {
	size_t n, cap;
	struct pend *p;
	struct dtrec_idmap idx;		/* stage << 32 | irq -> index in p[] */
};

/* A task in flight on a CPU page. */
struct flight {
	int64_t pid;
	const char *cls;
	int inflight;		/* the CPU's task_inflight */
	int candidate;		/* may be stuck migrating */
	int have_since, exact;
	uint64_t since;
};

/* Per task, over all CPUs in time order: its last in-band -> oob migration. */
struct migr {
	uint32_t pid;
	int have_leave, finalized, switched;
	uint32_t cpu;		/* where it left in-band (or was finalized) */
	uint64_t start;		/* when its interval was first seen (latest wins) */
	uint64_t leave_ns, fin_ns, last_rec;
	int have_rec;
};

struct rcpu {
	uint32_t cpu;
	const struct dtrec_cpuv *cv;	/* NULL: no record */
	const struct live_cpu *lc;	/* NULL: no live state */
	uint64_t ok, torn, stale, lost;
	int have_win;
	size_t win, end;		/* the last window: cv->ev[win..end) */
	uint64_t win_ns, last_ns;
	const struct dtrec_ev *last;	/* last non-NMI record of the window */
	int stage_oob, pipe;		/* -1 unknown */
	int64_t current;
	struct cond is, os, hoff;
	struct pendset pend;
	/* LEAVE_INBAND seen, no FINALIZE_OOB yet: the CPU's task_inflight. */
	int have_inflight;
	uint32_t inflight;
	uint64_t inflight_ns;
	size_t nfl, capfl;
	struct flight *fl;
	struct dtrec_idmap flidx;	/* pid -> index in fl[] */
	/* Where the dump and the records disagree (resolve_cpu). */
	struct disagree {
		const char *what;	/* "stage", "inband_stall", ... */
		int dump, records;
		char why[192];
	} dis[4];
	size_t ndis;
};

/* In the order of likelihood, which is the order of the verdicts. */
enum vkind { V_OOB, V_OOB_THREAD, V_INBAND, V_IPI, V_MIGRATING, V_HARD_OFF };

static const char *const vkind_name[] = {
	"oob_stall", "oob_thread", "inband_stall_pending", "ipi_blocked",
	"stuck_migrating", "hard_irqs_off",
};

struct verdict {
	enum vkind kind;
	uint32_t cpu;
	int64_t pid;
	uint64_t since, dur;
	int exact;
	int timed;		/* since and dur are known */
	size_t npend;
	char msg[320];
};

struct report {
	const struct dtrec_snapshot *s;	/* NULL: no record, state alone */
	const struct dtrec_live *live;
	struct dtrec_report_opts o;
	uint32_t mask;
	uint64_t freeze;
	struct dtrec_ivset iv;		/* the sections (intervals.h) */
	const struct dtrec_percpu *pc;	/* iv's per-CPU views, by position */
	size_t nr;
	struct rcpu *c;
	size_t nm, capm;
	struct migr *m;
	struct dtrec_idmap midx;	/* pid -> index in m[] */
	struct dtrec_idmap named;	/* pids named stuck migrating */
	/* Live tasks by pid (the first one) and by pid << 32 | cpu. */
	struct dtrec_idmap tpid, tpidcpu;
	size_t nv, capv;
	struct verdict *v;
	int err;
};

static int has_class(const struct report *r, int cls)
{
	return !!(r->mask & (1U << cls));
}

static uint64_t dur_of(const struct report *r, uint64_t since)
{
	return r->freeze > since ? r->freeze - since : 0;
}

/* --- per-CPU derivation -------------------------------------------- */

static void cond_reset(struct cond *c)
{
	memset(c, 0, sizeof(*c));
	c->on = -1;
	c->pid = -1;
}

static uint64_t pend_key(unsigned int stage, uint32_t irq)
{
	return (uint64_t)stage << 32 | irq;
}

static struct pend *pend_find(struct pendset *ps, unsigned int stage, uint32_t irq)
{
	size_t i;

	return dtrec_idmap_get(&ps->idx, pend_key(stage, irq), &i) ? &ps->p[i] : NULL;
}

static void pend_free(struct pendset *ps)
{
	free(ps->p);
	dtrec_idmap_free(&ps->idx);
}

/* A new zeroed element at the end of a grown array; NULL and r->err set if none. */
static void *push(struct report *r, void **arr, size_t *n, size_t *cap,
		  size_t size)
{
	int rc = grow(arr, cap, *n, size, SIZE_MAX / 2);
	char *p;

	if (rc) {
		r->err = rc;
		return NULL;
	}
	p = (char *)*arr + (*n)++ * size;
	memset(p, 0, size);
	return p;
}

static struct pend *pend_add(struct report *r, struct pendset *ps,
			     unsigned int stage, uint32_t irq)
{
	struct pend *p;

	if (dtrec_idmap_put(&ps->idx, pend_key(stage, irq), ps->n)) {
		r->err = -ENOMEM;
		return NULL;
	}
	p = push(r, (void **)&ps->p, &ps->n, &ps->cap, sizeof(*ps->p));
	if (!p)
		return NULL;
	p->stage = stage;
	p->irq = irq;
	return p;
}

static int cmp_pend(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	return x->irq < y->irq ? -1 : x->irq > y->irq;
}

/*
 * The last window of a CPU, from the interval model: the longest run
 * of consecutive valid records ending at its last valid one. Damaged
 * slots after it (a record being written at the crash) do not empty it.
 */
static void find_window(struct rcpu *c, const struct dtrec_ivcpu *ic)
{
	const struct dtrec_cpuv *cv = c->cv;
	size_t i;

	for (i = 0; i < cv->n; i++) {
		if (cv->ev[i]->status == DTREC_TORN)
			c->torn++;
		else if (cv->ev[i]->status == DTREC_STALE)
			c->stale++;
		else
			c->ok++;
	}
	if (!ic->have_win)
		return;
	c->have_win = 1;
	c->win = ic->win;
	c->end = ic->end;
	c->win_ns = cv->ev[c->win]->ns;
	c->last_ns = cv->ev[c->end - 1]->ns;
}

/*
 * A condition at the end of the last window, from the model: on (open
 * at the end: since its start, exact unless it began before the window
 * or after a record that could not tell), off, or unknown.
 */
static void cond_from(struct cond *c, const struct dtrec_ivset *iv,
		      const struct dtrec_ivcpu *ic, unsigned int kind)
{
	const struct dtrec_iv *v;

	cond_reset(c);
	c->on = ic->tail[kind];
	if (c->on != 1)
		return;
	v = &iv->iv[ic->open[kind]];
	c->have_since = 1;
	c->since = v->start;
	c->pid = v->pid;
	c->exact = !(v->flags & (DTREC_IV_OPEN_START | DTREC_IV_INEXACT));
}

static void derive_cpu(struct report *r, struct rcpu *c)
{
	const struct dtrec_ivcpu *ic;
	size_t i, k, ci;

	cond_reset(&c->is);
	cond_reset(&c->os);
	cond_reset(&c->hoff);
	c->stage_oob = c->pipe = -1;
	c->current = -1;
	if (!c->cv)
		return;
	ci = (size_t)(c->cv - r->pc->v);
	ic = &r->iv.cpu[ci];
	find_window(c, ic);
	if (!c->have_win)
		return;
	cond_from(&c->is, &r->iv, ic, DTREC_IV_STALL_INBAND);
	cond_from(&c->os, &r->iv, ic, DTREC_IV_STALL_OOB);
	cond_from(&c->hoff, &r->iv, ic, DTREC_IV_HARD_OFF);
	/* IRQs still waiting at the end: a wait open at the start was posted before the window. */
	for (k = r->iv.cpu_first[ci]; k < r->iv.cpu_first[ci + 1] && !r->err; k++) {
		const struct dtrec_iv *v = &r->iv.iv[k];
		struct pend *p;

		if (v->kind != DTREC_IV_IRQ_WAIT || !(v->flags & DTREC_IV_OPEN_END) ||
		    v->first < c->win || pend_find(&c->pend, v->stage, v->irq))
			continue;
		p = pend_add(r, &c->pend, v->stage, v->irq);
		if (!p)
			break;
		p->timed = 1;
		p->exact = !(v->flags & DTREC_IV_OPEN_START);
		p->post = v->start;
		/* Named by the snapshot's names block, when it has one. */
		if (dtrec_irq_name(r->s, v->irq)) {
			const struct dtrec_irq_name *n = dtrec_irq_name(r->s, v->irq);

			p->name = n->name[0] ? n->name : NULL;
			p->vector = n->vector[0] ? n->vector : NULL;
		}
	}
	for (i = c->win; i < c->end && !r->err; i++) {
		const struct dtrec_ev *e = c->cv->ev[i];

		if (!(e->state & ST_NMI))
			c->last = e;
		if (e->event == DTREC_EV_LEAVE_INBAND) {
			c->have_inflight = 1;
			c->inflight = e->arg;
			c->inflight_ns = e->ns;
		} else if ((e->event == DTREC_EV_FINALIZE_OOB ||
			    e->event == DTREC_EV_SWITCHED_OOB) && c->have_inflight) {
			c->have_inflight = 0;
		}
	}
	if (c->last) {
		c->stage_oob = !!(c->last->state & ST_OOB);
		c->pipe = !!(c->last->state & ST_PIPE);
		c->current = c->last->pid;
	}
}

/* --- per-task migrations (time order, every CPU) -------------------- */

static struct migr *migr_find(const struct report *r, uint32_t pid)
{
	size_t i;

	return dtrec_idmap_get(&r->midx, pid, &i) ? &r->m[i] : NULL;
}

static struct migr *migr_get(struct report *r, uint32_t pid)
{
	struct migr *m = migr_find(r, pid);
	int rc;

	if (m)
		return m;
	rc = grow((void **)&r->m, &r->capm, r->nm, sizeof(*r->m), SIZE_MAX / 2);
	if (!rc)
		rc = dtrec_idmap_put(&r->midx, pid, r->nm);
	if (rc) {
		r->err = rc;
		return NULL;
	}
	m = &r->m[r->nm++];
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	return m;
}

/*
 * Each task's latest in-band -> oob migration, from the interval
 * model: where and when it left in-band (unless before the records),
 * whether it was finalized, and whether it completed.
 */
static void scan_migrations(struct report *r)
{
	const struct dtrec_snapshot *s = r->s;
	size_t i;

	if (!s || !has_class(r, DTREC_C_TASK))
		return;
	for (i = 0; i < r->iv.n && !r->err; i++) {
		const struct dtrec_iv *v = &r->iv.iv[i];
		/* When it was first seen: open at the start, by its finalize or end. */
		uint64_t seen = !(v->flags & DTREC_IV_OPEN_START) ? v->start :
			(v->flags & DTREC_IV_FINALIZED) ? v->mid : v->end;
		struct migr *m;

		if (v->kind != DTREC_IV_MIGRATE_OOB)
			continue;
		m = migr_find(r, v->pid);
		if (m && m->start > seen)
			continue;	/* a later one is known */
		if (!m && !(m = migr_get(r, v->pid)))
			return;
		memset(m, 0, sizeof(*m));
		m->pid = v->pid;
		m->start = seen;
		m->cpu = v->cpu;
		m->have_leave = !(v->flags & DTREC_IV_OPEN_START);
		m->leave_ns = v->start;
		m->finalized = !!(v->flags & DTREC_IV_FINALIZED);
		m->fin_ns = v->mid;
		m->switched = !(v->flags & DTREC_IV_OPEN_END);
	}
	/* Signs of life after the hand-over. */
	for (i = 0; i < s->nr_events && !r->err; i++) {
		const struct dtrec_ev *e = &s->events[i];
		struct migr *m;

		if (e->status != DTREC_OK || !(m = migr_find(r, e->pid)))
			continue;
		m->have_rec = 1;
		m->last_rec = e->ns;
	}
}

/* A migration the records show as never completed, or NULL. */
static const struct migr *stuck_by_records(const struct report *r, uint32_t pid)
{
	const struct migr *m = migr_find(r, pid);

	if (!m || m->switched || (!m->have_leave && !m->finalized))
		return NULL;
	if (m->finalized && m->have_rec && m->last_rec > m->fin_ns)
		return NULL;
	if (!m->finalized && m->have_rec &&
	    m->last_rec > m->leave_ns + MIGRATE_SETTLE_NS)
		return NULL;
	return m;
}

/* --- lookups -------------------------------------------------------- */

static int cmp_rcpu(const void *key, const void *elem)
{
	uint32_t cpu = *(const uint32_t *)key;
	const struct rcpu *c = elem;

	return cpu < c->cpu ? -1 : cpu > c->cpu;
}

static struct rcpu *rcpu_find(const struct report *r, uint32_t cpu)
{
	/* r->c is sorted by CPU (build_cpus). */
	return r->nr ? bsearch(&cpu, r->c, r->nr, sizeof(*r->c), cmp_rcpu) : NULL;
}

static const struct live_task *task_find(const struct report *r, int64_t pid,
					 int64_t cpu)
{
	size_t i;

	if (!r->live || pid < 0 || pid > UINT32_MAX)
		return NULL;
	/* Idle tasks share pid 0: match the CPU first. */
	if (cpu >= 0 && cpu <= UINT32_MAX &&
	    dtrec_idmap_get(&r->tpidcpu, (uint64_t)pid << 32 | (uint64_t)cpu, &i))
		return &r->live->t[i];
	return dtrec_idmap_get(&r->tpid, (uint64_t)pid, &i) ? &r->live->t[i] : NULL;
}

/* Index the live tasks for task_find(): the first of each key wins. */
static int index_tasks(struct report *r)
{
	size_t i;

	for (i = 0; r->live && i < r->live->nt; i++) {
		const struct live_task *t = &r->live->t[i];
		uint64_t k = (uint64_t)t->pid << 32 | t->cpu;

		if (t->pid < 0 || t->pid > UINT32_MAX)
			continue;	/* task_find() never asks for those */
		if ((!dtrec_idmap_get(&r->tpid, (uint64_t)t->pid, NULL) &&
		     dtrec_idmap_put(&r->tpid, (uint64_t)t->pid, i)) ||
		    (!dtrec_idmap_get(&r->tpidcpu, k, NULL) &&
		     dtrec_idmap_put(&r->tpidcpu, k, i)))
			return -ENOMEM;
	}
	return 0;
}

/* The dump's comm, else the snapshot's names block's, else NULL. */
static const char *comm_of(const struct report *r, int64_t pid, int64_t cpu)
{
	const struct live_task *t = task_find(r, pid, cpu);

	if (t && t->comm)
		return t->comm;
	return r->s && pid >= 0 && pid <= UINT32_MAX ? dtrec_comm(r->s, (uint32_t)pid) : NULL;
}

static int class_of(const struct report *r, int64_t pid, uint32_t cpu)
{
	const struct live_task *t = task_find(r, pid, cpu);

	return t ? t->cls : -1;
}

/* --- resolution: live state over derived ---------------------------- */

static void fmt_dur(char *buf, size_t len, uint64_t ns);

static void live_cond(struct cond *c, int live, int64_t pid)
{
	if (live < 0)
		return;
	if (!live) {
		cond_reset(c);
		c->on = 0;
		return;
	}
	if (c->on != 1) {
		cond_reset(c);
		c->on = 1;
	}
	if (pid >= 0)
		c->pid = pid;
}

static int add_flight(struct report *r, struct rcpu *c, int64_t pid,
		      const char *cls, int inflight, int candidate,
		      int have_since, uint64_t since, int exact)
{
	struct flight *f;
	size_t i;

	if (dtrec_idmap_get(&c->flidx, (uint64_t)pid, &i)) {
		c->fl[i].inflight |= inflight;
		c->fl[i].candidate |= candidate;
		return 0;
	}
	if (dtrec_idmap_put(&c->flidx, (uint64_t)pid, c->nfl))
		return r->err = -ENOMEM;
	f = push(r, (void **)&c->fl, &c->nfl, &c->capfl, sizeof(*c->fl));
	if (!f)
		return r->err;
	f->pid = pid;
	f->cls = cls;
	f->inflight = inflight;
	f->candidate = candidate;
	f->have_since = have_since;
	f->since = since;
	f->exact = exact;
	return 0;
}

/*
 * Since when a task has been migrating: its LEAVE_INBAND, or, when that
 * is older than the records, the start of its CPU's window (a lower
 * bound). No time when the records show the migration completed.
 */
static int migrating_since(const struct report *r, int64_t pid, uint32_t cpu,
			   uint64_t *since, int *exact, uint32_t *where)
{
	const struct migr *m = pid >= 0 && pid <= UINT32_MAX ?
		migr_find(r, (uint32_t)pid) : NULL;
	const struct rcpu *c;

	*where = cpu;
	if (m && m->switched)
		return 0;
	if (m && m->have_leave) {
		*since = m->leave_ns;
		*exact = 1;
		*where = m->cpu;
		return 1;
	}
	if (m)
		*where = m->cpu;
	c = rcpu_find(r, *where);
	if (!c || !c->have_win)
		return 0;
	*since = c->win_ns;
	*exact = 0;
	return 1;
}

static int cmp_flight(const void *a, const void *b)
{
	const struct flight *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void resolve_tasks(struct report *r)
{
	const struct dtrec_live *l = r->live;
	size_t i;

	if (l && l->nt) {
		for (i = 0; i < l->nt && !r->err; i++) {
			const struct live_task *t = &l->t[i];
			int migrating = t->cls == DTREC_TASK_MIGRATING;
			uint64_t since = 0;
			int exact = 0, have = 0;
			uint32_t where = t->cpu;
			struct rcpu *c;

			if (t->cls == DTREC_TASK_INBAND)
				continue;
			if (migrating)
				have = migrating_since(r, t->pid, t->cpu, &since, &exact, &where);
			c = rcpu_find(r, where);
			if (!c)
				c = rcpu_find(r, t->cpu);
			if (c)
				add_flight(r, c, t->pid, dtrec_task_class_name(t->cls), 0, migrating, have,
					   since, exact);
		}
	} else {
		/* Records only: stuck migrations, then the CPUs' inflight. */
		for (i = 0; i < r->nm && !r->err; i++) {
			const struct migr *m = stuck_by_records(r, r->m[i].pid);
			uint64_t since = 0;
			int exact = 0, have;
			uint32_t where;
			struct rcpu *c;

			if (!m)
				continue;
			have = migrating_since(r, m->pid, m->cpu, &since, &exact, &where);
			c = rcpu_find(r, where);
			if (c)
				add_flight(r, c, m->pid, "migrating", 0, 1, have,
					   since, exact);
		}
	}
	for (i = 0; i < r->nr && !r->err; i++) {
		struct rcpu *c = &r->c[i];
		int64_t pid = -1;

		if (c->lc && c->lc->inflight >= 0)
			pid = c->lc->inflight;
		else if (!c->lc && c->have_inflight && stuck_by_records(r, c->inflight))
			pid = c->inflight;	/* not the aborted -ERESTARTSYS path */
		if (pid >= 0) {
			const struct live_task *t = task_find(r, pid, c->cpu);
			uint64_t since = 0;
			int exact = 0, have;
			uint32_t where;

			have = migrating_since(r, pid, c->cpu, &since, &exact, &where);
			add_flight(r, c, pid, dtrec_task_class_name(t ? t->cls : DTREC_TASK_MIGRATING), 1,
				   /* without live state, only a stuck pid gets here */
				   c->lc ? t && t->cls == DTREC_TASK_MIGRATING : 1,
				   have, since, exact);
		}
		/* No flight is added to c past this point: its index goes. */
		dtrec_idmap_free(&c->flidx);
		if (c->nfl > 1)
			qsort(c->fl, c->nfl, sizeof(*c->fl), cmp_flight);
	}
}

static void resolve_pending(struct report *r, struct rcpu *c)
{
	const struct live_cpu *lc = c->lc;
	struct pendset out;
	unsigned int s;
	size_t k;

	memset(&out, 0, sizeof(out));
	if (!lc) {
		if (c->pend.n > 1)
			qsort(c->pend.p, c->pend.n, sizeof(*c->pend.p), cmp_pend);
		return;
	}
	for (s = 0; s < 2 && !r->err; s++)
		for (k = 0; k < lc->np[s] && !r->err; k++) {
			const struct pend *d = pend_find(&c->pend, s, lc->p[s][k].irq);
			struct pend *p = pend_add(r, &out, s, lc->p[s][k].irq);

			if (!p)
				break;
			if (d) {
				p->timed = d->timed;
				p->exact = d->exact;
				p->post = d->post;
			} else if (c->have_win) {
				/* Not posted in the window: since before it. */
				p->timed = 1;
				p->post = c->win_ns;
			}
			p->name = lc->p[s][k].name;
			p->vector = lc->p[s][k].vector;
		}
	pend_free(&c->pend);
	c->pend = out;
}

/*
 * The dump and the records on one fact: the dump holds at the dump, the
 * records at the CPU's last record. Say which differs and why.
 */
static void disagree(struct report *r, struct rcpu *c, const char *what,
		     int dump, int records)
{
	struct disagree *d;
	char gap[32];

	if (dump < 0 || records < 0 || dump == records ||
	    c->ndis >= sizeof(c->dis) / sizeof(c->dis[0]))
		return;
	d = &c->dis[c->ndis++];
	d->what = what;
	d->dump = dump;
	d->records = records;
	fmt_dur(gap, sizeof(gap), dur_of(r, c->last_ns));
	if (!strcmp(what, "hard_irqs_off") && records)
		snprintf(d->why, sizeof(d->why),
			 "hard IRQs are turned back on without a record");
	else if (dur_of(r, c->last_ns))
		snprintf(d->why, sizeof(d->why),
			 "the CPU's last record is %s older than the freeze: "
			 "the state changed after it, the dump is newer", gap);
	else if (r->s && r->s->hdr.frozen)
		snprintf(d->why, sizeof(d->why),
			 "the state changed after the recorder froze "
			 "(the dump was taken later)");
	else
		snprintf(d->why, sizeof(d->why),
			 "the state changed after the last record without one "
			 "(an unrecorded class, or a path without a hook)");
}

static void resolve_cpu(struct report *r, struct rcpu *c)
{
	const struct live_cpu *lc = c->lc;

	if (!lc) {
		resolve_pending(r, c);
		return;
	}
	if (c->have_win) {
		disagree(r, c, "stage_oob", lc->stage_oob, c->stage_oob);
		disagree(r, c, "inband_stall", lc->is, c->is.on);
		disagree(r, c, "oob_stall", lc->os, c->os.on);
		disagree(r, c, "hard_irqs_off", lc->hoff, c->hoff.on);
	}
	if (lc->stage_oob >= 0)
		c->stage_oob = lc->stage_oob;
	if (lc->pipe >= 0)
		c->pipe = lc->pipe;
	if (lc->current >= 0)
		c->current = lc->current;
	live_cond(&c->is, lc->is, lc->owner);
	live_cond(&c->os, lc->os, lc->current);
	live_cond(&c->hoff, lc->hoff, lc->current);
	resolve_pending(r, c);
}

/* --- verdicts -------------------------------------------------------- */

static void fmt_dur(char *buf, size_t len, uint64_t ns)
{
	static const struct { uint64_t unit; const char *name; } u[] = {
		{ 1000000000ULL, "s" }, { 1000000ULL, "ms" }, { 1000ULL, "us" },
	};
	size_t i;

	for (i = 0; i < 3; i++)
		if (ns >= u[i].unit) {
			snprintf(buf, len, "%llu.%03llu %s",
				 (unsigned long long)(ns / u[i].unit),
				 (unsigned long long)(ns % u[i].unit / (u[i].unit / 1000)),
				 u[i].name);
			return;
		}
	snprintf(buf, len, "%llu ns", (unsigned long long)ns);
}

/* "pid 48 (dtfix-hold/1)", "pid 48", "an unknown task". */
static void fmt_who(char *buf, size_t len, int64_t pid, const char *comm)
{
	if (pid < 0)
		snprintf(buf, len, "an unknown task");
	else if (comm)
		snprintf(buf, len, "pid %lld (%.64s)", (long long)pid, comm);
	else
		snprintf(buf, len, "pid %lld", (long long)pid);
}

static struct verdict *verdict_add(struct report *r, enum vkind kind,
				   uint32_t cpu, int64_t pid, uint64_t since,
				   int exact)
{
	struct verdict *v = push(r, (void **)&r->v, &r->nv, &r->capv, sizeof(*r->v));

	if (!v)
		return NULL;
	v->kind = kind;
	v->cpu = cpu;
	v->pid = pid;
	v->since = since;
	v->dur = dur_of(r, since);
	v->exact = exact;
	v->timed = 1;
	return v;
}

/* A verdict from the state alone: since when is not known. */
static struct verdict *verdict_untimed(struct report *r, enum vkind kind,
				       uint32_t cpu, int64_t pid)
{
	struct verdict *v = verdict_add(r, kind, cpu, pid, 0, 0);

	if (v) {
		v->timed = 0;
		v->dur = 0;
	}
	return v;
}

static const char *untimed_note(const struct report *r)
{
	return r->s ? " (since when: not in the records)" :
		" (duration unknown: no records)";
}

/* The Dovetail class of a live task, -1 when unknown. */
static int class_of(const struct report *r, int64_t pid, uint32_t cpu);
static size_t npend(const struct rcpu *c, unsigned int stage, int *timed,
		    uint64_t *oldest, int *oldest_exact);

/*
 * Why a CPU cannot take an in-band IRQ now, or NULL: its in-band stage
 * is stalled, an oob thread holds it, or hard IRQs are off.
 */
static const char *cannot_take(const struct report *r, const struct rcpu *c,
			       char *buf, size_t len)
{
	char who[128];

	if (c->is.on == 1) {
		fmt_who(who, sizeof(who), c->is.pid, comm_of(r, c->is.pid, c->cpu));
		snprintf(buf, len, "in-band stage stalled by %s", who);
	} else if (c->stage_oob == 1 &&
		   class_of(r, c->current, c->cpu) == DTREC_TASK_OOB_RUNNING) {
		fmt_who(who, sizeof(who), c->current, comm_of(r, c->current, c->cpu));
		snprintf(buf, len, "oob thread %s holds it", who);
	} else if (c->hoff.on == 1) {
		snprintf(buf, len, "hard IRQs off");
	} else {
		return NULL;
	}
	return buf;
}

/* An untimed verdict on IRQs held back by WHO (fmt: who, n, plural). */
static struct verdict *held_back(struct report *r, const struct rcpu *c,
				 enum vkind kind, int64_t pid, size_t n,
				 const char *fmt)
{
	struct verdict *v = verdict_untimed(r, kind, c->cpu, pid);
	char who[128];
	int len;

	if (!v)
		return NULL;
	v->npend = n;
	fmt_who(who, sizeof(who), pid, comm_of(r, pid, c->cpu));
	len = snprintf(v->msg, sizeof(v->msg), "CPU%u: ", c->cpu);
	snprintf(v->msg + len, sizeof(v->msg) - (size_t)len, fmt, who, n,
		 n == 1 ? "" : "s");
	snprintf(v->msg + strlen(v->msg), sizeof(v->msg) - strlen(v->msg), "%s",
		 untimed_note(r));
	return v;
}

/*
 * The rules that stand on the state alone (docs/report.md), for a CPU
 * the records do not cover (no recorder, or no record of that CPU); with
 * records, the timed rules above speak, and an IPI waits its threshold.
 */
static void state_verdicts(struct report *r, struct rcpu *c, int have_oob,
			   int have_inband)
{
	char who[128], why[192];
	struct verdict *v;
	size_t k, n0 = npend(c, 0, NULL, NULL, NULL);
	int ipi = 0;

	for (k = 0; k < c->pend.n; k++)
		ipi += c->pend.p[k].stage == 0 && dtrec_vector_is_ipi(c->pend.p[k].vector);
	/* The oob stage stalled at the dump: no IRQ reaches oob code. */
	if (!have_oob && c->os.on == 1 && !c->os.have_since) {
		size_t n1 = npend(c, 1, NULL, NULL, NULL);

		v = verdict_untimed(r, V_OOB, c->cpu, c->os.pid);
		if (!v)
			return;
		have_oob = 1;
		v->npend = n1;
		fmt_who(who, sizeof(who), v->pid, comm_of(r, v->pid, c->cpu));
		snprintf(v->msg, sizeof(v->msg),
			 "CPU%u: oob stage stalled by %s, hard IRQs %s: hard hang risk",
			 c->cpu, who, c->hoff.on == 1 ? "off" : c->hoff.on == 0 ? "on" :
			 "unknown");
		if (n1)
			snprintf(v->msg + strlen(v->msg), sizeof(v->msg) - strlen(v->msg),
				 ", %zu oob IRQ%s pending", n1, n1 == 1 ? "" : "s");
		snprintf(v->msg + strlen(v->msg), sizeof(v->msg) - strlen(v->msg),
			 "%s", untimed_note(r));
	}
	/* An oob thread running while in-band work waits on its CPU. */
	if (!have_oob && !c->have_win && c->stage_oob == 1 && (n0 || ipi) &&
	    class_of(r, c->current, c->cpu) == DTREC_TASK_OOB_RUNNING &&
	    !held_back(r, c, V_OOB_THREAD, c->current, n0,
		       "oob thread %s holds the CPU, %zu in-band IRQ%s pending"))
		return;
	if (!have_inband && c->is.on == 1 && !c->is.have_since && n0 &&
	    !held_back(r, c, V_INBAND, c->is.pid, n0,
		       "in-band stage stalled by %s, %zu IRQ%s pending"))
		return;
	for (k = 0; ipi && k < c->pend.n; k++) {
		const struct pend *p = &c->pend.p[k];

		if (p->stage || !dtrec_vector_is_ipi(p->vector) ||
		    (c->have_win && (!p->timed ||
				     dur_of(r, p->post) < r->o.inband_stall_ns)) ||
		    !cannot_take(r, c, why, sizeof(why)))
			continue;
		if (p->timed)
			v = verdict_add(r, V_IPI, c->cpu, -1, p->post, p->exact);
		else
			v = verdict_untimed(r, V_IPI, c->cpu, -1);
		if (!v)
			return;
		v->npend = 1;
		snprintf(v->msg, sizeof(v->msg),
			 "CPU%u: IPI %s (irq %u) pending in-band on a CPU that cannot take it: %s",
			 c->cpu, p->vector, p->irq, why);
		if (p->timed) {
			char d[32];

			fmt_dur(d, sizeof(d), v->dur);
			snprintf(v->msg + strlen(v->msg), sizeof(v->msg) - strlen(v->msg),
				 ", waiting %s%s", p->exact ? "" : "at least ", d);
		} else {
			snprintf(v->msg + strlen(v->msg), sizeof(v->msg) - strlen(v->msg),
				 "%s", untimed_note(r));
		}
	}
	for (k = 0; k < c->nfl; k++) {
		const struct flight *f = &c->fl[k];

		if (!f->candidate || f->have_since ||
		    dtrec_idmap_get(&r->named, (uint64_t)f->pid, NULL))
			continue;
		if (dtrec_idmap_put(&r->named, (uint64_t)f->pid, 1)) {
			r->err = -ENOMEM;
			return;
		}
		v = verdict_untimed(r, V_MIGRATING, c->cpu, f->pid);
		if (!v)
			return;
		fmt_who(who, sizeof(who), v->pid, comm_of(r, v->pid, c->cpu));
		snprintf(v->msg, sizeof(v->msg),
			 "CPU%u: %s stuck mid-migration to the oob stage%s%s", c->cpu,
			 who, f->inflight ? " (the CPU's task_inflight)" : "",
			 untimed_note(r));
	}
}

/* IRQs pending in a stage; the oldest known post (or bound) in *oldest. */
static size_t npend(const struct rcpu *c, unsigned int stage, int *timed,
		    uint64_t *oldest, int *oldest_exact)
{
	size_t k, n = 0;

	if (timed)
		*timed = 0;
	for (k = 0; k < c->pend.n; k++) {
		const struct pend *p = &c->pend.p[k];

		if (p->stage != stage)
			continue;
		n++;
		if (!timed || !p->timed)
			continue;
		if (!*timed || p->post < *oldest ||
		    (p->post == *oldest && !p->exact)) {
			*timed = 1;
			*oldest = p->post;
			*oldest_exact = p->exact;
		}
	}
	return n;
}

static void cpu_verdicts(struct report *r, struct rcpu *c)
{
	const struct dtrec_report_opts *o = &r->o;
	char who[128], d1[32];
	struct verdict *v;
	int oob = 0, inband = 0;
	size_t k;

	if (c->os.on == 1 && c->os.have_since &&
	    dur_of(r, c->os.since) >= o->oob_stall_ns) {
		size_t n = npend(c, 1, NULL, NULL, NULL);

		v = verdict_add(r, V_OOB, c->cpu, c->os.pid, c->os.since, c->os.exact);
		if (!v)
			return;
		oob = 1;
		v->npend = n;
		fmt_who(who, sizeof(who), v->pid, comm_of(r, v->pid, c->cpu));
		fmt_dur(d1, sizeof(d1), v->dur);
		snprintf(v->msg, sizeof(v->msg),
			 "CPU%u: oob stage stalled for %s%s by %s, hard IRQs %s: hard hang risk",
			 c->cpu, v->exact ? "" : "at least ", d1, who,
			 c->hoff.on == 1 ? "off" : c->hoff.on == 0 ? "on" : "unknown");
		if (n)
			snprintf(v->msg + strlen(v->msg), sizeof(v->msg) - strlen(v->msg),
				 ", %zu oob IRQ%s pending", n, n == 1 ? "" : "s");
	}
	if (c->is.on == 1 && c->is.have_since) {
		uint64_t oldest = 0, blocked;
		int oexact = 0, timed;
		size_t n = npend(c, 0, &timed, &oldest, &oexact);

		/* How long IRQs have been held back by this stall. */
		blocked = dur_of(r, timed && oldest > c->is.since ? oldest : c->is.since);
		if (n && blocked >= o->inband_stall_ns) {
			v = verdict_add(r, V_INBAND, c->cpu, c->is.pid, c->is.since,
					c->is.exact);
			if (!v)
				return;
			inband = 1;
			v->npend = n;
			fmt_who(who, sizeof(who), v->pid, comm_of(r, v->pid, c->cpu));
			fmt_dur(d1, sizeof(d1), v->dur);
			snprintf(v->msg, sizeof(v->msg),
				 "CPU%u: in-band stage stalled for %s%s by %s, %zu IRQ%s pending",
				 c->cpu, v->exact ? "" : "at least ", d1, who, n,
				 n == 1 ? "" : "s");
			if (timed) {
				char d2[32];

				fmt_dur(d2, sizeof(d2), dur_of(r, oldest));
				snprintf(v->msg + strlen(v->msg), sizeof(v->msg) - strlen(v->msg),
					 ", oldest for %s%s", oexact ? "" : "at least ", d2);
			}
		}
	}
	for (k = 0; k < c->nfl; k++) {
		const struct flight *f = &c->fl[k];

		if (!f->candidate || !f->have_since ||
		    dur_of(r, f->since) < o->migrating_ns)
			continue;
		if (dtrec_idmap_get(&r->named, (uint64_t)f->pid, NULL))
			continue;	/* already named on another CPU */
		if (dtrec_idmap_put(&r->named, (uint64_t)f->pid, 1)) {
			r->err = -ENOMEM;
			return;
		}
		v = verdict_add(r, V_MIGRATING, c->cpu, f->pid, f->since, f->exact);
		if (!v)
			return;
		fmt_who(who, sizeof(who), v->pid, comm_of(r, v->pid, c->cpu));
		fmt_dur(d1, sizeof(d1), v->dur);
		snprintf(v->msg, sizeof(v->msg),
			 "CPU%u: %s stuck migrating to the oob stage for %s%s",
			 c->cpu, who, v->exact ? "" : "at least ", d1);
	}
	/* An oob stall implies hard IRQs off: one line says it all. */
	if (!oob && c->hoff.on == 1 && c->hoff.have_since &&
	    dur_of(r, c->hoff.since) >= o->hard_off_ns) {
		v = verdict_add(r, V_HARD_OFF, c->cpu, c->hoff.pid, c->hoff.since,
				c->hoff.exact);
		if (!v)
			return;
		fmt_who(who, sizeof(who), v->pid, comm_of(r, v->pid, c->cpu));
		fmt_dur(d1, sizeof(d1), v->dur);
		snprintf(v->msg, sizeof(v->msg), "CPU%u: hard IRQs off for %s%s by %s",
			 c->cpu, v->exact ? "" : "at least ", d1, who);
	}
	state_verdicts(r, c, oob, inband);
}

static int cmp_verdict(const void *a, const void *b)
{
	const struct verdict *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->timed != y->timed)
		return x->timed ? -1 : 1;
	if (x->dur != y->dur)
		return x->dur > y->dur ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static void json_pid(FILE *out, int64_t pid)
{
	if (pid < 0)
		fputs("null", out);
	else
		fprintf(out, "%lld", (long long)pid);
}

static const char *json_tri(int v)
{
	return v < 0 ? "null" : v ? "true" : "false";
}

static void json_time(FILE *out, int have, uint64_t ns)
{
	if (have)
		fprintf(out, "%llu", (unsigned long long)ns);
	else
		fputs("null", out);
}

static void json_cond(FILE *out, const struct report *r, const char *key,
		      const struct cond *c)
{
	int have = c->on == 1 && c->have_since;

	fprintf(out, ",\"%s\":{\"state\":%s,\"since_ns\":", key, json_tri(c->on));
	json_time(out, have, c->since);
	fputs(",\"duration_ns\":", out);
	json_time(out, have, have ? dur_of(r, c->since) : 0);
	fprintf(out, ",\"exact\":%s,\"pid\":", have && c->exact ? "true" : "false");
	json_pid(out, c->on == 1 ? c->pid : -1);
	fputc('}', out);
}

static size_t first_shown(const struct report *r, const struct rcpu *c)
{
	return c->cv->n > r->o.last ? c->cv->n - r->o.last : 0;
}

static void json_cpu(FILE *out, const struct report *r, const struct rcpu *c,
		     int first)
{
	size_t k;

	fprintf(out, "%s{\"cpu\":%u,\"state\":\"%s\",\"records\":", first ? "" : ",",
		c->cpu, c->lc ? "live" : "records");
	if (r->s) {
		fprintf(out, "{\"ok\":%llu,\"torn\":%llu,\"stale\":%llu,\"lost\":%llu,\"window_ns\":",
			(unsigned long long)c->ok, (unsigned long long)c->torn,
			(unsigned long long)c->stale, (unsigned long long)c->lost);
		json_time(out, c->have_win, c->win_ns);
		fputs(",\"last_ns\":", out);
		json_time(out, c->have_win, c->last_ns);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	fputs(",\"stage\":", out);
	if (c->stage_oob < 0)
		fputs("null", out);
	else
		fprintf(out, "\"%s\"", c->stage_oob ? "oob" : "inband");
	fprintf(out, ",\"pipeline_entry\":%s,\"current\":", json_tri(c->pipe));
	json_pid(out, c->current);
	fputs(",\"current_class\":", out);
	dtrec_json_str(out, class_of(r, c->current, c->cpu) < 0 ? NULL :
		       dtrec_task_class_name(class_of(r, c->current, c->cpu)));
	json_cond(out, r, "inband_stall", &c->is);
	json_cond(out, r, "oob_stall", &c->os);
	json_cond(out, r, "hard_irqs_off", &c->hoff);
	fputs(",\"pending\":[", out);
	for (k = 0; k < c->pend.n; k++) {
		const struct pend *p = &c->pend.p[k];
		int timed = p->timed;

		fprintf(out, "%s{\"stage\":\"%s\",\"irq\":%u,\"name\":", k ? "," : "",
			p->stage ? "oob" : "inband", p->irq);
		dtrec_json_str(out, p->name);
		fputs(",\"vector\":", out);
		dtrec_json_str(out, p->vector);
		fputs(",\"posted_ns\":", out);
		json_time(out, timed && p->exact, p->post);
		fputs(",\"wait_ns\":", out);
		json_time(out, timed, timed ? dur_of(r, p->post) : 0);
		fprintf(out, ",\"exact\":%s}", timed && p->exact ? "true" : "false");
	}
	fputs("],\"tasks\":[", out);
	for (k = 0; k < c->nfl; k++) {
		const struct flight *f = &c->fl[k];

		fprintf(out, "%s{\"pid\":%lld,\"comm\":", k ? "," : "", (long long)f->pid);
		dtrec_json_str(out, comm_of(r, f->pid, c->cpu));
		fputs(",\"class\":", out);
		dtrec_json_str(out, f->cls);
		fprintf(out, ",\"inflight\":%s,\"since_ns\":", f->inflight ? "true" : "false");
		json_time(out, f->have_since, f->since);
		fputs(",\"duration_ns\":", out);
		json_time(out, f->have_since, f->have_since ? dur_of(r, f->since) : 0);
		fprintf(out, ",\"exact\":%s}", f->have_since && f->exact ? "true" : "false");
	}
	fputs("],\"disagree\":[", out);
	for (k = 0; k < c->ndis; k++) {
		fprintf(out, "%s{\"what\":\"%s\",\"dump\":%s,\"records\":%s,\"why\":",
			k ? "," : "", c->dis[k].what, json_tri(c->dis[k].dump),
			json_tri(c->dis[k].records));
		dtrec_json_str(out, c->dis[k].why);
		fputc('}', out);
	}
	fputs("],\"last_events\":[", out);
	if (c->cv)
		for (k = first_shown(r, c); k < c->cv->n; k++)
			dtrec_print_event(out, r->s, c->cv->ev[k], 1, k == first_shown(r, c));
	fputs("]}", out);
}

static const char *unrecorded[] = { "irq", "task" };

static void print_json(FILE *out, const struct report *r)
{
	const struct dtrec_snap_header *h = r->s ? &r->s->hdr : NULL;
	const int cls[] = { DTREC_C_IRQ_LOG, DTREC_C_TASK };
	size_t i;
	int first = 1;

	fputs("{\"command\":\"report\",\"release\":", out);
	if (h)
		dtrec_json_strn(out, h->release, sizeof(h->release));
	else
		dtrec_json_str(out, r->live->release);
	if (h)
	{
		fprintf(out, ",\"clock_hz\":%llu,\"frozen\":%s,\"freeze_reason\":\"%s\",\"freeze_cpu\":%u,",
			(unsigned long long)h->clock_hz, h->frozen ? "true" : "false",
			dtrec_freeze_name(h->freeze_reason), h->freeze_cpu);
		dtrec_print_freeze_why(out, h, 1);
		fputc(',', out);
		dtrec_print_max_view(out, r->s, 1);
		fprintf(out, ",\"source\":\"%s\",\"no_records\":null,\"freeze_ns\":%llu,",
			r->live ? "live" : "records", (unsigned long long)r->freeze);
	} else {
		fputs(",\"clock_hz\":null,\"frozen\":null,\"freeze_reason\":null,\"freeze_cpu\":null,\"freeze_metric\":null,\"freeze_value_ns\":null,\"freeze_note\":null,\"max\":null,\"source\":\"state\",\"no_records\":", out);
		dtrec_json_str(out, r->live->norec ? r->live->norec : "no valid record");
		fputs(",\"freeze_ns\":null,", out);
	}
	fprintf(out, "\"thresholds\":{\"oob_stall_ns\":%llu,\"inband_stall_ns\":%llu,\"migrating_ns\":%llu,\"hard_off_ns\":%llu},\"unrecorded\":[",
		(unsigned long long)r->o.oob_stall_ns,
		(unsigned long long)r->o.inband_stall_ns,
		(unsigned long long)r->o.migrating_ns,
		(unsigned long long)r->o.hard_off_ns);
	for (i = 0; i < 2; i++)
		if (!has_class(r, cls[i])) {
			fprintf(out, "%s\"%s\"", first ? "" : ",", unrecorded[i]);
			first = 0;
		}
	fputs("],\"cpus\":[", out);
	for (i = 0; i < r->nr; i++)
		json_cpu(out, r, &r->c[i], i == 0);
	fputs("],\"maxima\":[", out);
	for (i = 0; r->s && i < r->s->nr_maxima; i++) {
		if (i)
			fputc(',', out);
		dtrec_print_max_area(out, r->s, &r->s->maxima[i], 1, r->o.last);
	}
	fputs("],\"verdicts\":[", out);
	for (i = 0; i < r->nv; i++) {
		const struct verdict *v = &r->v[i];

		fprintf(out, "%s{\"rule\":\"%s\",\"cpu\":%u,\"pid\":", i ? "," : "",
			vkind_name[v->kind], v->cpu);
		json_pid(out, v->pid);
		fputs(",\"comm\":", out);
		dtrec_json_str(out, comm_of(r, v->pid, v->cpu));
		fputs(",\"since_ns\":", out);
		json_time(out, v->timed, v->since);
		fputs(",\"duration_ns\":", out);
		json_time(out, v->timed, v->dur);
		fprintf(out, ",\"exact\":%s,\"pending\":%zu,\"message\":",
			v->timed && v->exact ? "true" : "false", v->npend);
		dtrec_json_str(out, v->msg);
		fputc('}', out);
	}
	fputs("],\"summary\":", out);
	dtrec_json_str(out, r->nv ? r->v[0].msg : "no hang signature");
	fputs("}\n", out);
}

static void text_time(FILE *out, uint64_t ns)
{
	fprintf(out, "%llu.%09llu", (unsigned long long)(ns / 1000000000ULL),
		(unsigned long long)(ns % 1000000000ULL));
}

static void text_cond(FILE *out, const struct report *r, const struct rcpu *c,
		      const char *label, const struct cond *cd, const char *on,
		      const char *off)
{
	fprintf(out, "%-16s", label);
	if (cd->on < 0) {
		fputs("unknown\n", out);
		return;
	}
	if (!cd->on) {
		fprintf(out, "%s\n", off);
		return;
	}
	fputs(on, out);
	if (cd->have_since) {
		char d[32];

		fmt_dur(d, sizeof(d), dur_of(r, cd->since));
		fputs(" since ", out);
		text_time(out, cd->since);
		fprintf(out, " (%s%s)", cd->exact ? "" : "at least ", d);
	} else {
		fputs(r->s ? " (since when: not in the records)" :
		      " (since when: unknown, no records)", out);
	}
	if (cd->pid >= 0) {
		char who[128];

		fmt_who(who, sizeof(who), cd->pid, comm_of(r, cd->pid, c->cpu));
		fputs(" by ", out);
		dtrec_text_str(out, who);
	}
	fputc('\n', out);
}

static void text_cpu(FILE *out, const struct report *r, const struct rcpu *c)
{
	char who[128], d[32];
	size_t k;

	fprintf(out, "\n=== CPU %u (%s) ===\n", c->cpu,
		!r->s ? "state from the dump; no records, durations unknown" :
		c->lc ? "state from the dump, times from the records" :
		"state from the records");
	if (!r->s)
		fprintf(out, "%-16snone", "records");
	else
		fprintf(out, "%-16s%llu valid, %llu torn, %llu stale, %llu lost", "records",
			(unsigned long long)c->ok, (unsigned long long)c->torn,
			(unsigned long long)c->stale, (unsigned long long)c->lost);
	if (c->have_win) {
		fputs("; window ", out);
		text_time(out, c->win_ns);
		fputs(" .. ", out);
		text_time(out, c->last_ns);
	}
	fputc('\n', out);
	fprintf(out, "%-16s%s\n", "stage", c->stage_oob < 0 ? "unknown" :
		c->stage_oob ? "oob" : "in-band");
	fprintf(out, "%-16s%s\n", "pipeline entry", c->pipe < 0 ? "unknown" :
		c->pipe ? "yes" : "no");
	if (c->current >= 0) {
		int cls = class_of(r, c->current, c->cpu);

		fmt_who(who, sizeof(who), c->current, comm_of(r, c->current, c->cpu));
		fprintf(out, "%-16s", "current");
		dtrec_text_str(out, who);
		fprintf(out, "%s%s\n", cls < 0 ? "" : ", ",
			cls < 0 ? "" : dtrec_task_class_name(cls));
	} else {
		fprintf(out, "%-16s%s\n", "current", "unknown");
	}
	text_cond(out, r, c, "in-band stage", &c->is, "stalled", "unstalled");
	text_cond(out, r, c, "oob stage", &c->os, "stalled", "unstalled");
	text_cond(out, r, c, "hard IRQs", &c->hoff, "off", "on");
	fprintf(out, "%-16s%zu in-band, %zu oob%s\n", "pending IRQs",
		npend(c, 0, NULL, NULL, NULL), npend(c, 1, NULL, NULL, NULL),
		has_class(r, DTREC_C_IRQ_LOG) || c->lc ? "" : " (irq class not recorded)");
	for (k = 0; k < c->pend.n; k++) {
		const struct pend *p = &c->pend.p[k];

		size_t w;

		fprintf(out, "  %-7s irq %-6u ", p->stage ? "oob" : "in-band", p->irq);
		w = dtrec_text_str(out, p->name ? p->name : "?");
		if (p->vector) {
			fputs(" (", out);
			w += 3 + dtrec_text_str(out, p->vector);
			fputc(')', out);
		}
		dtrec_text_pad(out, w, 24);
		if (p->timed) {
			fputs(p->exact ? " posted " : " posted before ", out);
			text_time(out, p->post);
			fmt_dur(d, sizeof(d), dur_of(r, p->post));
			fprintf(out, ", waiting %s%s", p->exact ? "" : "at least ", d);
		}
		fputc('\n', out);
	}
	fprintf(out, "%-16s%s\n", "tasks in flight", c->nfl ? "" : "none");
	for (k = 0; k < c->nfl; k++) {
		const struct flight *f = &c->fl[k];

		fmt_who(who, sizeof(who), f->pid, comm_of(r, f->pid, c->cpu));
		fputs("  ", out);
		dtrec_text_str(out, who);
		fprintf(out, ": %s%s", f->cls ? f->cls : "?",
			f->inflight ? ", task_inflight" : "");
		if (f->have_since) {
			fmt_dur(d, sizeof(d), dur_of(r, f->since));
			fputs(" since ", out);
			text_time(out, f->since);
			fprintf(out, " (%s%s)", f->exact ? "" : "at least ", d);
		}
		fputc('\n', out);
	}
	for (k = 0; k < c->ndis; k++) {
		static const char *const yes[] = { "oob", "stalled", "stalled", "off" };
		static const char *const no[] = { "in-band", "unstalled", "unstalled", "on" };
		static const char *const what[] = { "stage_oob", "inband_stall",
						   "oob_stall", "hard_irqs_off" };
		static const char *const label[] = { "stage", "in-band stage",
						    "oob stage", "hard IRQs" };
		size_t w;

		for (w = 0; w < 3 && strcmp(what[w], c->dis[k].what); w++)
			;
		fprintf(out, "%-16s%s: the dump says %s, the records %s (",
			k ? "" : "sources differ", label[w],
			c->dis[k].dump ? yes[w] : no[w],
			c->dis[k].records ? yes[w] : no[w]);
		dtrec_text_str(out, c->dis[k].why);
		fputs("); the dump's is used\n", out);
	}
	if (!c->cv || !c->cv->n) {
		fputs("no record\n", out);
		return;
	}
	fprintf(out, "last %zu events:\n", c->cv->n - first_shown(r, c));
	for (k = first_shown(r, c); k < c->cv->n; k++)
		dtrec_print_event(out, r->s, c->cv->ev[k], 0, 0);
}

static void print_text(FILE *out, const struct report *r)
{
	const struct dtrec_snap_header *h = r->s ? &r->s->hdr : NULL;
	size_t i;

	if (!h) {
		fputs("hang report: release ", out);
		dtrec_text_str(out, r->live->release ? r->live->release : "unknown");
		fprintf(out, ", %zu CPUs, no records: ", r->nr);
		dtrec_text_str(out, r->live->norec ? r->live->norec : "no valid record");
		fputc('\n', out);
		fputs("state from the dump alone: durations are unknown\n", out);
		goto thresholds;
	}
	fputs("hang report: release ", out);
	dtrec_text_strn(out, h->release, sizeof(h->release));
	fprintf(out, ", %zu CPUs, clock %llu Hz, recorder ", r->nr,
		(unsigned long long)h->clock_hz);
	if (h->frozen) {
		fprintf(out, "frozen (%s, cpu %u)", dtrec_freeze_name(h->freeze_reason),
			h->freeze_cpu);
		dtrec_print_freeze_why(out, h, 0);
		fputc('\n', out);
	} else {
		fputs("not frozen\n", out);
	}
	dtrec_print_max_view(out, r->s, 0);
	fputs("freeze time ", out);
	text_time(out, r->freeze);
	fprintf(out, " (newest record); state from %s\n",
		r->live ? "the dump, times from the records" : "the records");
thresholds:
	fputs("thresholds: ", out);
	{
		char a[32], b[32], c[32], d[32];

		fmt_dur(a, sizeof(a), r->o.oob_stall_ns);
		fmt_dur(b, sizeof(b), r->o.inband_stall_ns);
		fmt_dur(c, sizeof(c), r->o.migrating_ns);
		fmt_dur(d, sizeof(d), r->o.hard_off_ns);
		fprintf(out, "oob stall %s, in-band stall with IRQs pending %s, migrating %s, hard IRQs off %s\n",
			a, b, c, d);
	}
	if (!has_class(r, DTREC_C_IRQ_LOG) || !has_class(r, DTREC_C_TASK))
		fprintf(out, "not recorded:%s%s\n",
			has_class(r, DTREC_C_IRQ_LOG) ? "" : " irq class (pending IRQs)",
			has_class(r, DTREC_C_TASK) ? "" : " task class (migrations)");
	for (i = 0; i < r->nr; i++)
		text_cpu(out, r, &r->c[i]);
	if (r->s && r->s->nr_maxima) {
		/* What the kernel kept of the longest sections: a latency spike. */
		fputs("\n=== captured worst cases (the kernel's max areas) ===\n", out);
		for (i = 0; i < r->s->nr_maxima; i++)
			dtrec_print_max_area(out, r->s, &r->s->maxima[i], 0, r->o.last);
	}
	fputs("\n=== verdict ===\n", out);
	if (!r->nv)
		fputs("no hang signature\n", out);
	for (i = 0; i < r->nv; i++) {
		dtrec_text_str(out, r->v[i].msg);
		fprintf(out, "%s\n",
			i == 0 && r->nv > 1 ? "   <- most likely culprit" : "");
	}
}

/* ------------------------------------------------------------------ */

static int build_cpus(struct report *r)
{
	const struct dtrec_snapshot *s = r->s;
	size_t n = 0, i, max = (s ? s->nr_cpus : 0) + r->pc->nr +
		(r->live ? r->live->nc : 0);
	uint32_t *ids = malloc((max ? max : 1) * sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	for (i = 0; s && i < s->nr_cpus && s->cpus; i++)
		ids[n++] = s->cpus[i].cpu;
	for (i = 0; i < r->pc->nr; i++)
		ids[n++] = r->pc->v[i].cpu;
	for (i = 0; r->live && i < r->live->nc; i++)
		ids[n++] = r->live->c[i].cpu;
	qsort(ids, n, sizeof(*ids), dtrec_percpu_cmp_u32);
	r->c = calloc(n ? n : 1, sizeof(*r->c));
	if (!r->c) {
		free(ids);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct rcpu *c;
		size_t k;

		if (r->nr && r->c[r->nr - 1].cpu == ids[i])
			continue;
		c = &r->c[r->nr++];
		c->cpu = ids[i];
		c->cv = dtrec_percpu_find(r->pc, ids[i]);
		c->lc = live_find(r->live, ids[i]);
		for (k = 0; s && k < s->nr_cpus && s->cpus; k++)
			if (s->cpus[k].cpu == ids[i])
				c->lost += s->cpus[k].lost;
	}
	free(ids);
	return 0;
}

static void report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++) {
		pend_free(&r->c[i].pend);
		free(r->c[i].fl);
		dtrec_idmap_free(&r->c[i].flidx);
	}
	free(r->c);
	free(r->m);
	dtrec_idmap_free(&r->midx);
	dtrec_idmap_free(&r->named);
	dtrec_idmap_free(&r->tpid);
	dtrec_idmap_free(&r->tpidcpu);
	free(r->v);
	dtrec_intervals_free(&r->iv);
}

/*
 * Everything but the output: the pages and the sorted verdicts in r.
 * On error r is freed and err[] says why.
 */
static int report_run(struct report *r, const struct dtrec_snapshot *s,
		      const struct dtrec_live *live, const struct dtrec_report_opts *o,
		      char *err, size_t errlen)
{
	size_t i;
	int rc, valid = 0;

	memset(r, 0, sizeof(*r));
	r->s = s;
	r->live = live;
	if (o)
		r->o = *o;
	if (!r->o.last)
		r->o.last = DEF_LAST;
	if (!r->o.oob_stall_ns)
		r->o.oob_stall_ns = DEF_OOB_STALL_NS;
	if (!r->o.inband_stall_ns)
		r->o.inband_stall_ns = DEF_INBAND_STALL_NS;
	if (!r->o.migrating_ns)
		r->o.migrating_ns = DEF_MIGRATING_NS;
	if (!r->o.hard_off_ns)
		r->o.hard_off_ns = DEF_HARD_OFF_NS;
	r->mask = s && s->hdr.event_mask ? s->hdr.event_mask : DTREC_ALL_CLASSES;
	/* The freeze time: the newest valid record of any CPU. */
	for (i = 0; s && i < s->nr_events; i++)
		if (s->events[i].status == DTREC_OK) {
			if (!valid++ || s->events[i].ns > r->freeze)
				r->freeze = s->events[i].ns;
		}
	if (!valid && !live)
		return dtrec_seterr(err, errlen, -ENODATA,
			"no valid record in the snapshot (%zu slots, all torn, stale or empty): nothing to report on",
			s->nr_events);
	if (!valid)
		r->s = NULL;	/* the state alone (docs/report.md) */
	rc = r->s ? dtrec_intervals_build(&r->iv, s) : 0;
	if (rc)
		return dtrec_seterr(err, errlen, rc, "out of memory");
	r->pc = &r->iv.pc;
	rc = build_cpus(r);
	if (!rc)
		rc = index_tasks(r);
	if (!rc) {
		for (i = 0; i < r->nr && !r->err; i++)
			derive_cpu(r, &r->c[i]);
		scan_migrations(r);
		for (i = 0; i < r->nr && !r->err; i++)
			resolve_cpu(r, &r->c[i]);
		if (!r->err)
			resolve_tasks(r);
		for (i = 0; i < r->nr && !r->err; i++)
			cpu_verdicts(r, &r->c[i]);
		rc = r->err;
	}
	if (rc) {
		report_free(r);
		return dtrec_seterr(err, errlen, rc, "%s",
			rc == -ENOMEM ? "out of memory" : "too much live state");
	}
	if (r->nv > 1)
		qsort(r->v, r->nv, sizeof(*r->v), cmp_verdict);
	return 0;
}

int dtrec_report(FILE *out, const struct dtrec_snapshot *s,
		 const struct dtrec_live *live, const struct dtrec_report_opts *o,
		 int json, char *err, size_t errlen)
{
	struct report r;
	int rc;

	if (!out || (!s && !live) || (s && s->nr_events && !s->events))
		return dtrec_seterr(err, errlen, -EINVAL, "missing argument");
	/* The captured worst cases are the past: the state now is not theirs. */
	if (s && s->max_view)
		live = NULL;
	rc = report_run(&r, s, live, o, err, errlen);
	if (rc)
		return rc;
	if (json)
		print_json(out, &r);
	else
		print_text(out, &r);
	rc = r.nv > INT_MAX ? INT_MAX : (int)r.nv;
	report_free(&r);
	if (ferror(out))
		return dtrec_seterr(err, errlen, -EIO, "write error");
	return rc;
}

int dtrec_report_first_verdict(const struct dtrec_snapshot *s,
			       struct dtrec_verdict_brief *vb)
{
	struct report r;
	char err[DTREC_ERRLEN];
	int rc;

	memset(vb, 0, sizeof(*vb));
	if (!s || (s->nr_events && !s->events))
		return -EINVAL;
	rc = report_run(&r, s, NULL, NULL, err, sizeof(err));
	if (rc)
		return rc;
	if (r.nv) {
		vb->cpu = r.v[0].cpu;
		vb->timed = r.v[0].timed;
		vb->since = r.v[0].since;
		vb->freeze = r.freeze;
		snprintf(vb->msg, sizeof(vb->msg), "%s", r.v[0].msg);
	}
	rc = r.nv ? 1 : 0;
	report_free(&r);
	return rc;
}

char *dtrec_report_str(const struct dtrec_snapshot *s,
		       const struct dtrec_live *live,
		       const struct dtrec_report_opts *o, int json,
		       int *verdicts, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc;

	if (!m) {
		dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	rc = dtrec_report(m, s, live, o, json, err, errlen);
	if (fclose(m) && rc >= 0)
		rc = dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	if (verdicts)
		*verdicts = rc;
	return buf;
}
