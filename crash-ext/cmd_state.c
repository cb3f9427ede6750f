// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dovetail stages / irqs / tasks: gather raw values through kread and
 * hand them to the pure decode layer. Output and the handling of
 * unreadable data follow the gdb and drgn front ends (common/dtcore,
 * docs/json-state.md) so that --json is byte identical.
 */
#include "defs.h"
#include "kread.h"
#include "commands.h"
#include "../libdtrec/dtrec.h"

/* Per-CPU facts shared by the three commands. */
struct cpu_facts {
	uint32_t cpu;
	uint32_t pc;
	uint64_t current, owner, inflight, rqlock;
};

static int pipeline_check(void)
{
	uint64_t a;

	if (ce_koff_init())
		return -1;
	if (ce_sym("irq_pipeline", &a)) {
		ce_err("not a Dovetail kernel (no irq_pipeline symbol)");
		return -1;
	}
	if (ko.task_stall_bits < 0) {
		ce_err("not a Dovetail kernel (struct task_struct has no stall_bits)");
		return -1;
	}
	if (ko.ipd_stages < 0 || ko.isd_size <= 0) {
		ce_err("struct irq_pipeline_data not in the debug info");
		return -1;
	}
	return 0;
}

static int cpu_reported(unsigned int cpu)
{
	return cpu < ko.nr_cpus && ko.possible[cpu];
}

/* The CPU's actual current task: oob tasks included. */
static int cpu_current(unsigned int cpu, uint64_t *cur)
{
	uint64_t a;

	*cur = 0;
	if (!ce_percpu("pcpu_hot", cpu, &a))
		return ko.hot_cur < 0 ? -1 : ce_read_ptr(a + ko.hot_cur, cur);
	if (!ce_percpu("current_task", cpu, &a) || !ce_percpu("__entry_task", cpu, &a))
		return ce_read_ptr(a, cur);
	if (ko.rq_curr < 0 || ce_percpu("runqueues", cpu, &a))
		return -1;
	return ce_read_ptr(a + ko.rq_curr, cur);
}

static int cpu_preempt_count(unsigned int cpu, uint32_t *pc)
{
	uint64_t a;

	if (ko.hot_pc >= 0 && !ce_percpu("pcpu_hot", cpu, &a))
		return ce_read_u32(a + ko.hot_pc, pc);
	if (!ce_percpu("__preempt_count", cpu, &a))
		return ce_read_u32(a, pc);
	return -1;
}

/* Everything or nothing: a CPU with an unreadable fact is left out. */
static int read_cpu(unsigned int cpu, struct cpu_facts *f, const char **why)
{
	uint64_t a;

	memset(f, 0, sizeof(*f));
	f->cpu = cpu;
	*why = "cannot read the current task";
	if (cpu_current(cpu, &f->current))
		return -1;
	*why = "no current task";
	if (!f->current)
		return -1;
	*why = "cannot locate preempt_count";
	if (cpu_preempt_count(cpu, &f->pc))
		return -1;
	*why = "cannot read rq->curr";
	if (ko.rq_curr < 0 || ce_percpu("runqueues", cpu, &a) ||
	    ce_read_ptr(a + ko.rq_curr, &f->owner))
		return -1;
	*why = "cannot read irq_pipeline";
	if (ce_percpu("irq_pipeline", cpu, &a))
		return -1;
	if (ko.ipd_inflight >= 0 && ko.ipd_rqlock >= 0 &&
	    (ce_read_ptr(a + ko.ipd_inflight, &f->inflight) ||
	     ce_read_ptr(a + ko.ipd_rqlock, &f->rqlock)))
		return -1;
	return 0;
}

static int task_pid_bits(uint64_t task, int32_t *pid, uint64_t *bits)
{
	*pid = CE_NO_PID;
	*bits = 0;
	if (!task)
		return 0;
	if (ce_task_pid(task, pid) || ce_read_u64(task + ko.task_stall_bits, bits))
		return -1;
	return 0;
}

static void oob_stage_info(int *present, char *name, size_t len, int *have_name)
{
	uint64_t a, np;
	uint32_t index;
	char raw[65];

	*present = 0;
	*have_name = 0;
	if (ce_sym("oob_stage", &a) || ko.stage_index < 0 ||
	    ce_read_u32(a + ko.stage_index, &index) || !index)
		return;
	*present = 1;
	if (ko.stage_name >= 0 && !ce_read_ptr(a + ko.stage_name, &np) && np &&
	    !ce_read_str(np, raw, sizeof(raw))) {
		ce_utf8_clean(raw, sizeof(raw), name, len);
		*have_name = 1;
	}
}

/* One CPU's stage view; an unreadable CPU is reported and skipped. */
static int stage_view(unsigned int cpu, struct ce_stage_view *v)
{
	struct ce_stage_raw r;
	struct cpu_facts f;
	const char *why;
	uint64_t dummy;

	memset(&r, 0, sizeof(r));
	if (read_cpu(cpu, &f, &why) ||
	    task_pid_bits(f.current, &r.current_pid, &r.cur_stall_bits) ||
	    task_pid_bits(f.owner, &r.owner_pid, &r.owner_stall_bits) ||
	    task_pid_bits(f.inflight, &r.inflight_pid, &dummy) ||
	    task_pid_bits(f.rqlock, &r.rqlock_pid, &dummy)) {
		ce_err("cpu %u: %s", cpu, read_cpu(cpu, &f, &why) ? why :
		       "cannot read a task it refers to");
		return -1;
	}
	r.cpu = cpu;
	r.have_pc = 1;
	r.preempt_count = f.pc;
	r.have_cur_stall = 1;
	r.have_owner_stall = 1;
	r.have_rflags = !ce_cpu_rflags(cpu, &r.rflags);
	ce_stage_decode(&r, v);
	return 0;
}

int ce_cmd_stages(int json)
{
	struct ce_stage_view *views;
	char name[CE_CLEAN_LEN(64)];
	unsigned int cpu;
	size_t n = 0;
	int present, have_name;

	if (pipeline_check())
		return -1;
	views = calloc(ko.nr_cpus ? ko.nr_cpus : 1, sizeof(*views));
	if (!views)
		return -1;
	oob_stage_info(&present, name, sizeof(name), &have_name);
	for (cpu = 0; cpu < ko.nr_cpus; cpu++)
		if (cpu_reported(cpu) && !stage_view(cpu, &views[n]))
			n++;
	ce_emit_stages(fp, json, present, have_name ? name : NULL, views, n);
	free(views);
	return 0;
}

/* One stage's log; returns the stage's error when its data is unreadable. */
static void irq_stage(uint64_t pd, int s, int oob_present, uint8_t *map,
		      struct ce_irq_stage_out *so, struct ce_irqlog *log,
		      struct ce_irq_info **info)
{
	uint64_t d = pd + (uint64_t)ko.ipd_stages + (uint64_t)s * (uint64_t)ko.isd_size;
	uint64_t stage, mapp, index_0;
	size_t i;

	memset(so, 0, sizeof(*so));
	so->oob = s;
	so->log = log;
	ce_irqlog_reset(log);
	if (ko.isd_stage < 0 || ko.isd_log < 0 || ko.log_index_0 < 0 ||
	    ko.log_map < 0 || ce_read_ptr(d + ko.isd_stage, &stage) ||
	    ce_read_u64(d + ko.isd_log + ko.log_index_0, &index_0) ||
	    ce_read_ptr(d + ko.isd_log + ko.log_map, &mapp)) {
		ce_err("cpu stage data unreadable (%s stage)", s ? "oob" : "inband");
		so->present = s == 0 || oob_present;
		so->error = "irq_stage_data unreadable";
		return;
	}
	so->present = 1;
	if (s == 1 && (!oob_present || !stage)) {
		so->present = 0;
		return;
	}
	so->index_0 = index_0;
	if (!mapp) {
		ce_irqlog_error(log, "map is NULL");
		return;
	}
	if (!ko.map_ok) {
		ce_irqlog_error(log, "%s", ko.map_err);
		return;
	}
	if (ce_read(mapp, map, ko.map.size)) {
		ce_irqlog_error(log, "map unreadable");
		return;
	}
	ce_irqlog_decode(&ko.map, index_0, map, ko.map.size, log);
	free(*info);
	*info = calloc(log->nr_pending ? log->nr_pending : 1, sizeof(**info));
	if (!*info) {
		ce_irqlog_reset(log);
		ce_irqlog_error(log, "out of memory");
		return;
	}
	for (i = 0; i < log->nr_pending; i++)
		ce_irq_info(log->pending[i], &(*info)[i]);
	so->info = *info;
}

/* Both logs of every reported CPU, handed to fn one CPU at a time. */
typedef int (*irq_cpu_fn)(void *ctx, uint32_t cpu,
			  const struct ce_irq_stage_out *stg);

static int for_each_irq_cpu(irq_cpu_fn fn, void *ctx)
{
	struct ce_irqlog logs[2];
	struct ce_irq_info *info[2] = { NULL, NULL };
	uint8_t *map = NULL;
	char oob_name[CE_CLEAN_LEN(64)];
	unsigned int cpu;
	int present, have_name, s, rc = 0;

	if (ko.map_ok && ko.map.size > CE_MAX_MAP) {
		ce_err("struct irq_event_map is %zu bytes: refusing", ko.map.size);
		return -1;
	}
	map = malloc(ko.map_ok ? ko.map.size : 1);
	if (!map)
		return -1;
	ce_irqlog_init(&logs[0]);
	ce_irqlog_init(&logs[1]);
	oob_stage_info(&present, oob_name, sizeof(oob_name), &have_name);
	for (cpu = 0; cpu < ko.nr_cpus && !rc; cpu++) {
		struct ce_irq_stage_out stg[2];	/* crash has a global st */
		uint64_t pd;

		if (!cpu_reported(cpu) || ce_percpu("irq_pipeline", cpu, &pd))
			continue;
		for (s = 0; s < 2; s++)
			irq_stage(pd, s, present, map, &stg[s], &logs[s], &info[s]);
		rc = fn(ctx, cpu, stg);
	}
	for (s = 0; s < 2; s++) {
		ce_irqlog_reset(&logs[s]);
		free(info[s]);
	}
	free(map);
	return rc;
}

struct irqs_out {
	int json, first;
};

static int emit_irq_cpu(void *ctx, uint32_t cpu, const struct ce_irq_stage_out *stg)
{
	struct irqs_out *o = ctx;

	ce_emit_irqs_cpu(fp, o->json, o->first, cpu, stg, 2);
	o->first = 0;
	return 0;
}

int ce_cmd_irqs(int json)
{
	struct irqs_out o = { json, 1 };
	int rc;

	if (pipeline_check())
		return -1;
	if (ko.map_ok && ko.map.size > CE_MAX_MAP) {
		ce_err("struct irq_event_map is %zu bytes: refusing", ko.map.size);
		return -1;
	}
	ce_emit_irqs_begin(fp, json, ko.map.levels);
	rc = for_each_irq_cpu(emit_irq_cpu, &o);
	ce_emit_irqs_end(fp, json);
	return rc;
}

/* ---- tasks ---- */

struct task_ctx {
	struct ce_task *tasks;
	size_t n, cap;
	uint64_t *seen;
	size_t nseen, seen_cap;
	struct cpu_facts *cpus;
	unsigned int ncpus;
	const struct ce_ktable *kt;
	int all;
	int failed;
};

static int referenced(const struct task_ctx *c, uint64_t task, int32_t *inflight_cpu)
{
	unsigned int i;
	int ref = 0;

	*inflight_cpu = -1;
	for (i = 0; i < c->ncpus; i++) {
		if (c->cpus[i].inflight == task) {
			*inflight_cpu = (int32_t)c->cpus[i].cpu;
			ref = 1;
		}
		if (c->cpus[i].rqlock == task)
			ref = 1;
	}
	return ref;
}

static int running_oob(const struct task_ctx *c, uint64_t task)
{
	unsigned int i;

	for (i = 0; i < c->ncpus; i++)
		if (c->cpus[i].current == task && (c->cpus[i].pc & CE_STAGE_MASK))
			return 1;
	return 0;
}

/* EVL or Cobalt thread attached through thread_info.oob_state.thread. */
static void core_info(uint64_t thread, struct ce_task *t)
{
	static const char *const cores[][2] = {
		{ "evl", "evl_thread" }, { "cobalt", "xnthread" },
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *sname = cores[i][1];
		char spec[32], raw[65];
		long soff, ssz, noff;
		int alen;
		uint64_t state = 0, np;

		if (STRUCT_SIZE((char *)sname) <= 0)
			continue;
		soff = MEMBER_OFFSET((char *)sname, "state");
		ssz = MEMBER_SIZE((char *)sname, "state");
		noff = MEMBER_OFFSET((char *)sname, "name");
		if (soff < 0 || ssz <= 0 || ssz > 8 ||
		    ce_read(thread + (uint64_t)soff, &state, (size_t)ssz)) {
			ce_err("pid %d: core thread unreadable", t->pid);
			return;
		}
		t->have_core = 1;
		snprintf(t->core_name, sizeof(t->core_name), "%s", cores[i][0]);
		t->core_state = state;
		snprintf(spec, sizeof(spec), "%s.name", sname);
		alen = get_array_length(spec, NULL, 0);
		if (noff < 0)
			goto unreadable;
		if (alen > 0) {
			size_t n = alen < 64 ? (size_t)alen : 64;

			if (ce_read(thread + (uint64_t)noff, raw, n))
				goto unreadable;
			raw[n] = '\0';
		} else if (ce_read_ptr(thread + (uint64_t)noff, &np)) {
			goto unreadable;
		} else if (!np) {
			return;			/* "thread": null */
		} else if (ce_read_str(np, raw, sizeof(raw))) {
			goto unreadable;
		}
		ce_utf8_clean(raw, sizeof(raw), t->core_thread, sizeof(t->core_thread));
		t->have_thread = 1;
		return;
	}
	return;
unreadable:
	/* As the Python side: an unreadable name drops the whole core object. */
	ce_err("pid %d: core thread unreadable", t->pid);
	t->have_core = 0;
}

static int add_seen(struct task_ctx *c, uint64_t addr)
{
	if (c->nseen == c->seen_cap) {
		size_t ncap = c->seen_cap ? c->seen_cap * 2 : 256;
		uint64_t *n = realloc(c->seen, ncap * sizeof(*n));

		if (!n)
			return -1;
		c->seen = n;
		c->seen_cap = ncap;
	}
	c->seen[c->nseen++] = addr;
	return 0;
}

static int add_task(void *vctx, uint64_t addr, const uint8_t *buf)
{
	struct task_ctx *c = vctx;
	struct ce_task t;
	long ti = ko.task_ti >= 0 ? ko.task_ti : 0;
	char raw[CE_COMM_LEN + 1];
	int ref;

	if (add_seen(c, addr)) {
		c->failed = 1;
		return 1;
	}
	memset(&t, 0, sizeof(t));
	t.local_flags = (uint32_t)ce_tfield(buf, ti + ko.ti_status, 4);
	ref = referenced(c, addr, &t.inflight_cpu);
	if (!c->all && !ref && !ce_task_has_tlf(c->kt, t.local_flags))
		return 0;
	t.pid = (int32_t)ce_tfield(buf, ko.task_pid, 4);
	memcpy(raw, buf + ko.task_comm, CE_COMM_LEN);
	raw[CE_COMM_LEN] = '\0';
	ce_utf8_clean(raw, sizeof(raw), t.comm, sizeof(t.comm));
	if (ko.ti_cpu >= 0)
		t.cpu = (uint32_t)ce_tfield(buf, ti + ko.ti_cpu, 4);
	else if (ko.task_cpu >= 0)
		t.cpu = (uint32_t)ce_tfield(buf, ko.task_cpu, 4);
	if (ko.ti_flags >= 0)
		t.ti_flags = ce_tfield(buf, ti + ko.ti_flags, 8);
	t.cls = ce_task_classify(c->kt, t.local_flags, running_oob(c, addr));
	if (ko.ti_oob_thread >= 0) {
		uint64_t thread = ce_tfield(buf, ti + ko.ti_oob_thread, 8);

		if (thread)
			core_info(thread, &t);
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct ce_task *nt = realloc(c->tasks, ncap * sizeof(*nt));

		if (!nt) {
			c->failed = 1;
			return 1;
		}
		c->tasks = nt;
		c->cap = ncap;
	}
	c->tasks[c->n++] = t;
	return 0;
}

static int seen(const struct task_ctx *c, uint64_t addr)
{
	size_t i;

	for (i = 0; i < c->nseen; i++)
		if (c->seen[i] == addr)
			return 1;
	return 0;
}

/* The idle tasks of the other CPUs are on no task list. */
static void add_idle(struct task_ctx *c, uint8_t *buf)
{
	unsigned int cpu;
	uint64_t a, idle;
	long off = MEMBER_OFFSET("rq", "idle");

	for (cpu = 0; cpu < ko.nr_cpus && off >= 0; cpu++) {
		if (!cpu_reported(cpu) || ce_percpu("runqueues", cpu, &a) ||
		    ce_read_ptr(a + off, &idle) || !idle || seen(c, idle))
			continue;
		if (ce_read_task(idle, buf))
			ce_err("task at 0x%llx: unreadable", (unsigned long long)idle);
		else
			add_task(c, idle, buf);
	}
}

/* The task list of the tasks command into c->tasks (sorted); free with task_done(). */
static int gather_tasks(struct task_ctx *c, int all, const char *table)
{
	unsigned int cpu;
	uint8_t *buf = NULL;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (ko.ti_status < 0) {
		ce_err("no thread_info.local_flags or thread_info.status member");
		return -1;
	}
	c->all = all;
	c->kt = ko.kt;
	if (table) {
		c->kt = ce_ktable_named(table);
		if (!c->kt) {
			ce_err("unknown _TLF table '%s' (known: x86-5.10, x86-6.6)", table);
			return -1;
		}
	}
	c->cpus = calloc(ko.nr_cpus ? ko.nr_cpus : 1, sizeof(*c->cpus));
	buf = malloc((size_t)ko.task_size);
	if (!c->cpus || !buf)
		goto out;
	for (cpu = 0; cpu < ko.nr_cpus; cpu++) {
		const char *why;

		if (!cpu_reported(cpu))
			continue;
		if (read_cpu(cpu, &c->cpus[c->ncpus], &why))
			ce_err("cpu %u: %s", cpu, why);
		else
			c->ncpus++;
	}
	if (ce_for_each_task(add_task, c) || c->failed)
		goto out;
	add_idle(c, buf);
	qsort(c->tasks, c->n, sizeof(*c->tasks), ce_task_cmp);
	rc = 0;
out:
	free(buf);
	return rc;
}

static void task_done(struct task_ctx *c)
{
	free(c->cpus);
	free(c->tasks);
	free(c->seen);
}

int ce_cmd_tasks(int json, int all, const char *table)
{
	struct task_ctx c;
	int rc;

	if (pipeline_check())
		return -1;
	rc = gather_tasks(&c, all, table);
	if (!rc)
		ce_emit_tasks(fp, json, c.kt, c.tasks, c.n);
	task_done(&c);
	return rc;
}

/* ---- live state for the report (docs/report.md) ---- */

static int live_irq_cpu(void *ctx, uint32_t cpu, const struct ce_irq_stage_out *stg)
{
	struct dtrec_live *l = ctx;
	size_t i;
	int s;

	for (s = 0; s < 2; s++) {
		const struct ce_irqlog *log = stg[s].error ? NULL : stg[s].log;

		for (i = 0; log && stg[s].info && i < log->nr_pending; i++)
			if (dtrec_live_pending(l, cpu, (unsigned int)s, stg[s].info[i].irq,
					       stg[s].info[i].name)) {
				ce_err("out of memory");
				return -1;
			}
	}
	return 0;
}

/*
 * What stages, irqs and tasks --all report, in the same order and with
 * the same per-CPU warnings as the Python front ends (common/dtcore/report.py).
 */
int ce_live_state(struct dtrec_live *l)
{
	struct task_ctx c;
	unsigned int cpu;
	size_t i;
	int rc;

	if (pipeline_check())
		return -1;
	for (cpu = 0; cpu < ko.nr_cpus; cpu++) {
		struct ce_stage_view v;

		if (!cpu_reported(cpu) || stage_view(cpu, &v))
			continue;
		if (dtrec_live_cpu(l, cpu, v.oob, v.pipeline_entry, v.inband_stalled,
				   v.oob_stalled, v.hard_irqs == CE_UNKNOWN ?
				   DTREC_LIVE_UNKNOWN : v.hard_irqs == CE_OFF,
				   v.current_pid, v.inband_owner, v.inflight_pid)) {
			ce_err("out of memory");
			return -1;
		}
	}
	if (for_each_irq_cpu(live_irq_cpu, l))
		return -1;
	rc = gather_tasks(&c, 1, NULL);
	for (i = 0; !rc && i < c.n; i++)
		if (dtrec_live_task(l, c.tasks[i].pid, c.tasks[i].comm, c.tasks[i].cpu,
				    ce_task_class_name(c.tasks[i].cls))) {
			ce_err("out of memory");
			rc = -1;
		}
	task_done(&c);
	return rc;
}
