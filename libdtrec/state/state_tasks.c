// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tasks: every thread by its Dovetail class, from the _TLF_* local
 * flags (internals §4.1, §4.4; docs/json-state.md "tasks").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "state_internal.h"

/*
 * _TLF_* and TIF_RETUSER/TIF_MAYDAY are macros, absent from DWARF. x86
 * moved the _TLF bits above TS_COMPAT's neighbours (bits 2-3 are
 * reserved for compat) after 5.10; docs/json-state.md says how the
 * boundary was chosen. Sorted by name (the order of the error message).
 */
static const struct tlf_table {
	const char *name;
	int arm64, old;			/* old: releases before 5.11 */
	uint32_t oob, dovetail, offstage, oobtrap;
	unsigned int tif_retuser, tif_mayday;
} tables[] = {
	{ "arm64-5.10", 1, 1, 0x1, 0x2, 0x4, 0x8, 7, 27 },
	{ "arm64-6.6", 1, 0, 0x1, 0x2, 0x4, 0x8, 7, 29 },
	{ "x86-5.10", 0, 1, 0x4, 0x8, 0x10, 0x20, 23, 26 },
	{ "x86-6.6", 0, 0, 0x10, 0x20, 0x40, 0x80, 19, 26 },
};
#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

static int parse_release(const char *r, unsigned long *major, unsigned long *minor)
{
	char *end;

	if (*r < '0' || *r > '9')
		return -1;
	*major = strtoul(r, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	*minor = strtoul(end + 1, &end, 10);
	return 0;
}

static int pick_table(struct kt *k, const char *name, const struct tlf_table **out)
{
	unsigned long major, minor;
	const char *rel;
	size_t i;
	int old;

	if (name) {
		for (i = 0; i < NTABLES; i++)
			if (!strcmp(tables[i].name, name)) {
				*out = &tables[i];
				return 0;
			}
		return kt_fail(k, "unknown _TLF table '%.32s' (known: arm64-5.10, "
			       "arm64-6.6, x86-5.10, x86-6.6)", name);
	}
	rel = kt_release(k);
	if (!rel)
		return -EINVAL;
	if (parse_release(rel, &major, &minor)) {
		char shown[66];
		size_t i;

		/* The target wrote it: no control character in a message. */
		for (i = 0; rel[i] && i < sizeof(shown) - 1; i++)
			shown[i] = (unsigned char)rel[i] < 0x20 || rel[i] == 0x7f ?
				'?' : rel[i];
		shown[i] = '\0';
		return kt_fail(k, "cannot parse kernel release '%s'", shown);
	}
	old = major < 5 || (major == 5 && minor < 11);
	for (i = 0; i < NTABLES; i++)
		if (tables[i].arm64 == k->arm64 && tables[i].old == old)
			*out = &tables[i];
	return 0;
}

const char *dtrec_task_class_name(int cls)
{
	static const char *const names[] = {
		[DTREC_TASK_INBAND] = "inband",
		[DTREC_TASK_MIGRATING] = "migrating",
		[DTREC_TASK_OOB_RUNNING] = "oob-running",
		[DTREC_TASK_OOB_BLOCKED] = "oob-blocked",
		[DTREC_TASK_OOB_TRAPPED] = "oob-trapped",
	};

	if (cls < 0 || cls > DTREC_TASK_OOB_TRAPPED)
		return "inband";
	return names[cls];
}

/* ---- a set of task addresses ---- */

struct addrset {
	uint64_t *slot;			/* 0: empty */
	size_t n, cap;
};

static int set_add(struct addrset *s, uint64_t a)	/* 1: was there */
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct addrset g = { NULL, 0, s->cap ? 2 * s->cap : 1024 };

		g.slot = calloc(g.cap, sizeof(*g.slot));
		if (!g.slot)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				set_add(&g, s->slot[i]);
		free(s->slot);
		*s = g;
	}
	for (i = (size_t)((a >> 4) * 0x9e3779b97f4a7c15ULL) & (s->cap - 1);
	     s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == a)
			return 1;
	s->slot[i] = a;
	s->n++;
	return 0;
}

static int set_has(const struct addrset *s, uint64_t a)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = (size_t)((a >> 4) * 0x9e3779b97f4a7c15ULL) & (s->cap - 1);
	     s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == a)
			return 1;
	return 0;
}

/* ---- the walk ---- */

enum { M_PID, M_COMM, M_LF, M_FLAGS, M_CPU, M_OOBTHREAD, M_N };

struct walk {
	struct kt *k;
	const struct tlf_table *tt;
	int all;
	struct dtrec_member m[M_N];
	size_t nm;			/* members read per task */
	int have_cpu, have_thread;
	/* per online CPU */
	uint64_t *current;		/* when the CPU runs oob, else 0 */
	uint64_t *inflight, *rqlock;
	struct addrset seen;
	struct dtrec_tasks *out;
	size_t cap;
};

/* EVL or Cobalt thread attached through thread_info.oob_state.thread. */
static int core_info(struct kt *k, uint64_t thread, struct dtrec_task *t)
{
	static const char *const cores[][2] = {
		{ "evl", "evl_thread" }, { "cobalt", "xnthread" },
	};
	struct dtrec_member st, nm;
	struct kt_view v;
	uint64_t np;
	size_t i;
	int rc;

	for (i = 0; i < 2; i++) {
		if (!kt_has_type(k, cores[i][1]))
			continue;
		rc = kt_member(k, cores[i][1], "state", &st);
		if (!rc)
			rc = kt_member(k, cores[i][1], "name", &nm);
		if (!rc)
			rc = kt_view(k, thread, &st, 1, &v);
		if (rc)
			return rc;
		t->core_state = kt_vu(&v, &st);
		kt_view_free(&v);
		rc = kt_view(k, thread, &nm, 1, &v);
		if (rc)
			return rc;
		if (nm.nelem) {			/* char name[] */
			t->core_thread = kt_vstr(&v, &nm);
			rc = t->core_thread ? 0 : kt_fail(k, "out of memory");
		} else if ((np = kt_vu(&v, &nm))) {
			rc = kt_cstr(k, np, 64, &t->core_thread);
		}
		kt_view_free(&v);
		if (!rc)
			t->core = cores[i][0];
		return rc;
	}
	return 0;
}

static int referenced(const struct walk *w, uint64_t task, int64_t *inflight_cpu)
{
	size_t i;
	int ref = 0;

	*inflight_cpu = -1;
	for (i = 0; i < w->k->nr_online; i++) {
		if (w->inflight[i] == task) {
			*inflight_cpu = w->k->online[i];
			ref = 1;
		}
		if (w->rqlock[i] == task)
			ref = 1;
	}
	return ref;
}

static int running_oob(const struct walk *w, uint64_t task)
{
	size_t i;

	for (i = 0; i < w->k->nr_online; i++)
		if (w->current[i] == task)
			return 1;
	return 0;
}

static int visit(struct walk *w, uint64_t task)
{
	const struct tlf_table *tt = w->tt;
	struct kt *k = w->k;
	struct dtrec_task *t;
	struct kt_view v;
	uint64_t lf, tif, thread;
	int64_t inflight_cpu;
	int rc, ref;

	rc = set_add(&w->seen, task);
	if (rc)
		return rc < 0 ? kt_fail(k, "out of memory") : 0;
	if (kt_view(k, task, w->m, w->nm, &v)) {
		kt_warn(k, "task at %#llx: %s", (unsigned long long)task, k->msg);
		return 0;
	}
	lf = kt_vu(&v, &w->m[M_LF]);
	ref = referenced(w, task, &inflight_cpu);
	if (!w->all && !ref &&
	    !(lf & (tt->oob | tt->dovetail | tt->offstage | tt->oobtrap))) {
		kt_view_free(&v);
		return 0;
	}
	if (kt_grow((void **)&w->out->tasks, &w->cap, w->out->nr_tasks + 1,
		    sizeof(*w->out->tasks))) {
		kt_view_free(&v);
		return kt_fail(k, "out of memory");
	}
	t = &w->out->tasks[w->out->nr_tasks++];
	memset(t, 0, sizeof(*t));
	t->pid = kt_vs(&v, &w->m[M_PID]);
	t->comm = kt_vstr(&v, &w->m[M_COMM]);
	t->cpu = w->have_cpu ? (uint32_t)kt_vu(&v, &w->m[M_CPU]) : 0;
	t->inflight_cpu = inflight_cpu;
	/* A trap taken from oob outranks the scheduling state. */
	if (lf & tt->oobtrap)
		t->cls = DTREC_TASK_OOB_TRAPPED;
	else if (lf & tt->oob)
		t->cls = running_oob(w, task) ? DTREC_TASK_OOB_RUNNING :
			DTREC_TASK_OOB_BLOCKED;
	else if (lf & tt->offstage)
		t->cls = DTREC_TASK_MIGRATING;
	else
		t->cls = DTREC_TASK_INBAND;
	t->tlf = (lf & tt->oob ? DTREC_TLF_OOB : 0) |
		(lf & tt->dovetail ? DTREC_TLF_DOVETAIL : 0) |
		(lf & tt->offstage ? DTREC_TLF_OFFSTAGE : 0) |
		(lf & tt->oobtrap ? DTREC_TLF_OOBTRAP : 0);
	tif = kt_vu(&v, &w->m[M_FLAGS]);
	t->tif = ((tif >> tt->tif_retuser) & 1 ? DTREC_TIF_RETUSER : 0) |
		((tif >> tt->tif_mayday) & 1 ? DTREC_TIF_MAYDAY : 0);
	thread = w->have_thread ? kt_vu(&v, &w->m[M_OOBTHREAD]) : 0;
	kt_view_free(&v);
	if (!t->comm)
		return kt_fail(k, "out of memory");
	if (thread && core_info(k, thread, t)) {
		kt_warn(k, "pid %lld: core thread unreadable: %s",
			(long long)t->pid, k->msg);
		free(t->core_thread);
		t->core_thread = NULL;
		t->core = NULL;
	}
	return 0;
}

/*
 * Every thread: processes from init_task.tasks, their other threads
 * from signal->thread_head (thread_group before 6.7 kernels had the
 * former), then the idle tasks of the other CPUs, which are on no list.
 */
static int walk_tasks(struct walk *w)
{
	struct dtrec_member tasks, node, sig, head;
	struct kt *k = w->k;
	uint64_t init, proc, s, n, h;
	unsigned int p, i;
	int rc, by_signal, by_group;

	if (kt_sym(k, "init_task", &init))
		return kt_fail(k, "no init_task symbol");
	rc = kt_member(k, "task_struct", "tasks", &tasks);
	by_signal = !kt_member(k, "task_struct", "thread_node", &node) &&
		!kt_member(k, "task_struct", "signal", &sig) &&
		!kt_member(k, "signal_struct", "thread_head", &head);
	by_group = !by_signal && !kt_member(k, "task_struct", "thread_group", &node);
	proc = init;
	for (p = 0; !rc && p < KT_MAX_PROCS; p++) {
		h = 0;
		if (by_signal) {
			rc = kt_ptr(k, proc + sig.offset, &s);
			h = !rc && s ? s + head.offset : 0;
		} else if (by_group) {
			h = proc + node.offset;
		}
		if (!rc && h)
			rc = kt_ptr(k, h, &n);
		for (i = 0; !rc && h && i < KT_MAX_THREADS && n && n != h; i++) {
			if (!set_has(&w->seen, n - node.offset))
				rc = visit(w, n - node.offset);
			if (!rc)
				rc = kt_ptr(k, n, &n);
		}
		if (!rc && !set_has(&w->seen, proc))
			rc = visit(w, proc);
		if (!rc)
			rc = kt_ptr(k, proc + tasks.offset, &proc);
		if (rc)
			break;
		proc -= tasks.offset;
		if (proc == init)
			break;
	}
	for (i = 0; !rc && i < k->nr_online; i++) {
		uint64_t idle;

		if (kt_rq_member(k, i, "idle", &idle))
			continue;
		if (idle && !set_has(&w->seen, idle))
			rc = visit(w, idle);
	}
	return rc;
}

static int cmp_task(const void *a, const void *b)
{
	const struct dtrec_task *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return 0;
}

static int walk_init(struct walk *w)
{
	struct kt *k = w->k;
	struct dtrec_member ti;
	size_t i;
	int rc;

	rc = kt_member(k, "task_struct", "pid", &w->m[M_PID]);
	if (!rc)
		rc = kt_member(k, "task_struct", "comm", &w->m[M_COMM]);
	if (!rc)
		rc = kt_member(k, "task_struct", "thread_info", &ti);
	if (rc)
		return rc;
	if (kt_path(k, &w->m[M_LF], "task_struct", "thread_info",
		    "thread_info", "local_flags", NULL) &&
	    kt_path(k, &w->m[M_LF], "task_struct", "thread_info",
		    "thread_info", "status", NULL))
		return kt_fail(k, "no thread_info.local_flags or thread_info.status member");
	rc = kt_path(k, &w->m[M_FLAGS], "task_struct", "thread_info",
		     "thread_info", "flags", NULL);
	if (rc)
		return rc;
	w->nm = M_CPU;
	w->have_cpu = !kt_path(k, &w->m[M_CPU], "task_struct", "thread_info",
			       "thread_info", "cpu", NULL) ||
		!kt_member(k, "task_struct", "cpu", &w->m[M_CPU]);
	if (!w->have_cpu)
		w->m[M_CPU] = w->m[M_PID];
	w->have_thread = !kt_path(k, &w->m[M_OOBTHREAD], "task_struct",
				  "thread_info", "thread_info", "oob_state",
				  "oob_thread_state", "thread", NULL);
	w->nm = w->have_thread ? M_N : M_OOBTHREAD;
	w->current = calloc(k->nr_online, sizeof(*w->current));
	w->inflight = calloc(k->nr_online, sizeof(*w->inflight));
	w->rqlock = calloc(k->nr_online, sizeof(*w->rqlock));
	if (!w->current || !w->inflight || !w->rqlock)
		return kt_fail(k, "out of memory");
	/* Per-CPU facts that decide running vs. blocked and the references. */
	for (i = 0; i < k->nr_online; i++) {
		uint64_t cur;
		uint32_t pc;

		if (kt_cpu_current(k, i, &cur) ||
		    kt_cpu_preempt_count(k, i, cur, &pc) ||
		    kt_cpu_refs(k, i, &w->inflight[i], &w->rqlock[i])) {
			kt_warn(k, "cpu %u: %s", k->online[i], k->msg);
			w->inflight[i] = w->rqlock[i] = 0;
			continue;
		}
		if (pc & KT_STAGE_MASK)
			w->current[i] = cur;
	}
	return 0;
}

int dtrec_tasks_read(const struct dtrec_target *t, int all, const char *table,
		     struct dtrec_tasks **out, char *err, size_t errlen)
{
	struct walk w;
	struct kt k;
	int rc;

	*out = NULL;
	rc = kt_init(&k, t, err, errlen);
	if (rc)
		return rc;
	memset(&w, 0, sizeof(w));
	w.k = &k;
	w.all = all;
	w.out = calloc(1, sizeof(*w.out));
	rc = w.out ? kt_check_dovetail(&k) : kt_fail(&k, "out of memory");
	if (!rc)
		rc = pick_table(&k, table, &w.tt);
	if (!rc)
		rc = walk_init(&w);
	if (!rc)
		rc = walk_tasks(&w);
	if (!rc) {
		w.out->tlf_table = w.tt->name;
		qsort(w.out->tasks, w.out->nr_tasks, sizeof(*w.out->tasks), cmp_task);
		*out = w.out;
	} else {
		kt_err(&k, err, errlen, rc);
		dtrec_tasks_free(w.out);
	}
	free(w.current);
	free(w.inflight);
	free(w.rqlock);
	free(w.seen.slot);
	kt_done(&k);
	return rc;
}

void dtrec_tasks_free(struct dtrec_tasks *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nr_tasks; i++) {
		free(k->tasks[i].comm);
		free(k->tasks[i].core_thread);
	}
	free(k->tasks);
	free(k);
}
