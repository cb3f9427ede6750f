// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dovetail stages / irqs / tasks: gather raw values through kread and
 * hand them to the pure decode layer. The output must match the gdb
 * and drgn front ends byte for byte in --json form (docs/json-state.md).
 */
#include "defs.h"
#include "kread.h"
#include "commands.h"

/* Per-CPU facts shared by the three commands. */
struct cpu_facts {
	uint32_t cpu;
	int have_pc;
	uint32_t pc;
	uint64_t current, owner, inflight, rqlock;
};

static int pipeline_check(void)
{
	uint64_t a;

	if (ce_koff_init())
		return -1;
	if (ce_sym("irq_pipeline", &a) || ko.ipd_stages < 0 || ko.isd_size <= 0) {
		ce_err("not a Dovetail kernel: no irq_pipeline per-CPU data in the debug info");
		return -1;
	}
	return 0;
}

static void read_cpu(unsigned int cpu, struct cpu_facts *f)
{
	uint64_t a;

	memset(f, 0, sizeof(*f));
	f->cpu = cpu;
	if (ko.hot_pc >= 0 && !ce_percpu("pcpu_hot", cpu, &a)) {
		f->have_pc = !ce_read_u32(a + ko.hot_pc, &f->pc);
		if (ko.hot_cur >= 0)
			ce_read_ptr(a + ko.hot_cur, &f->current);
	} else {
		if (!ce_percpu("__preempt_count", cpu, &a))
			f->have_pc = !ce_read_u32(a, &f->pc);
		if (!ce_percpu("current_task", cpu, &a))
			ce_read_ptr(a, &f->current);
	}
	if (ko.rq_curr >= 0 && !ce_percpu("runqueues", cpu, &a))
		ce_read_ptr(a + ko.rq_curr, &f->owner);
	if (!ce_percpu("irq_pipeline", cpu, &a)) {
		if (ko.ipd_inflight >= 0)
			ce_read_ptr(a + ko.ipd_inflight, &f->inflight);
		if (ko.ipd_rqlock >= 0)
			ce_read_ptr(a + ko.ipd_rqlock, &f->rqlock);
	}
}

static int32_t pid_of(uint64_t task)
{
	int32_t pid;

	if (!task || ce_task_pid(task, &pid))
		return CE_NO_PID;
	return pid;
}

static int read_stall(uint64_t task, uint64_t *bits)
{
	if (!task || ko.task_stall_bits < 0)
		return 0;
	return !ce_read_u64(task + ko.task_stall_bits, bits);
}

static void oob_stage_info(int *present, char *name, size_t len)
{
	uint64_t a, np;
	uint32_t index;

	*present = 0;
	name[0] = '\0';
	if (ce_sym("oob_stage", &a) || ko.stage_index < 0 ||
	    ce_read_u32(a + ko.stage_index, &index))
		return;
	*present = index != 0;
	if (ko.stage_name >= 0 && !ce_read_ptr(a + ko.stage_name, &np) && np &&
	    ce_read_str(np, name, len))
		name[0] = '\0';
}

static int cpu_possible(unsigned int cpu)
{
	return cpu < ko.nr_cpus && ko.possible[cpu];
}

int ce_cmd_stages(int json)
{
	struct ce_stage_view *views;
	char name[64];
	unsigned int cpu;
	size_t n = 0;
	int present;

	if (pipeline_check())
		return -1;
	views = calloc(ko.nr_cpus, sizeof(*views));
	if (!views)
		return -1;
	oob_stage_info(&present, name, sizeof(name));
	for (cpu = 0; cpu < ko.nr_cpus; cpu++) {
		struct ce_stage_raw r;
		struct cpu_facts f;

		if (!cpu_possible(cpu))
			continue;
		read_cpu(cpu, &f);
		memset(&r, 0, sizeof(r));
		r.cpu = cpu;
		r.have_pc = f.have_pc;
		r.preempt_count = f.pc;
		r.current_pid = pid_of(f.current);
		r.have_cur_stall = read_stall(f.current, &r.cur_stall_bits);
		r.owner_pid = pid_of(f.owner);
		r.have_owner_stall = read_stall(f.owner, &r.owner_stall_bits);
		r.inflight_pid = pid_of(f.inflight);
		r.rqlock_pid = pid_of(f.rqlock);
		r.have_rflags = !ce_cpu_rflags(cpu, &r.rflags);
		ce_stage_decode(&r, &views[n++]);
	}
	ce_emit_stages(fp, json, present, name[0] ? name : NULL, views, n);
	if (!json && ce_rflags_error())
		fprintf(fp, "hard-irqs unknown: %s\n", ce_rflags_error());
	free(views);
	return 0;
}

static void irq_stage(unsigned int cpu, int s, uint64_t pd, int oob_present,
		      uint8_t *map, struct ce_irq_stage_out *st,
		      struct ce_irqlog *log, struct ce_irq_info *info,
		      char (*names)[64])
{
	uint64_t d = pd + (uint64_t)ko.ipd_stages + (uint64_t)s * (uint64_t)ko.isd_size;
	uint64_t stage = 0, mapp = 0;
	size_t i;

	(void)cpu;
	memset(st, 0, sizeof(*st));
	st->oob = s;
	st->log = log;
	st->info = info;
	ce_irqlog_init(log);
	if (ko.isd_stage >= 0)
		ce_read_ptr(d + ko.isd_stage, &stage);
	st->present = s == 0 || (oob_present && stage);
	if (ko.isd_log < 0 || ko.log_index_0 < 0 ||
	    ce_read_u64(d + ko.isd_log + ko.log_index_0, &st->index_0)) {
		ce_irqlog_error(log, "cannot read the stage data");
		return;
	}
	if (!st->present)
		return;
	if (!ko.map_ok) {
		ce_irqlog_error(log, "%s", ko.map_err);
		return;
	}
	if (ko.log_map < 0 || ce_read_ptr(d + ko.isd_log + ko.log_map, &mapp) ||
	    !mapp) {
		ce_irqlog_error(log, "no event map");
		return;
	}
	if (ce_read(mapp, map, ko.map.size)) {
		ce_irqlog_error(log, "cannot read the event map");
		return;
	}
	ce_irqlog_decode(&ko.map, st->index_0, map, ko.map.size, log);
	for (i = 0; i < log->nr_pending; i++)
		ce_irq_info(log->pending[i], &info[i], names[i], sizeof(names[i]));
}

int ce_cmd_irqs(int json)
{
	struct ce_irqlog *logs = NULL;
	struct ce_irq_info *info = NULL;
	char (*names)[64] = NULL;
	uint8_t *map = NULL;
	char oob_name[64];
	unsigned int cpu;
	int present, first = 1, rc = -1;

	if (pipeline_check())
		return -1;
	if (ko.map_ok && ko.map.size > (16U << 20)) {
		ce_err("struct irq_event_map is %zu bytes: refusing", ko.map.size);
		return -1;
	}
	logs = calloc(2, sizeof(*logs));
	info = calloc(2 * CE_MAX_PENDING, sizeof(*info));
	names = calloc(2 * CE_MAX_PENDING, sizeof(*names));
	map = malloc(ko.map_ok ? ko.map.size : 1);
	if (!logs || !info || !names || !map)
		goto out;
	oob_stage_info(&present, oob_name, sizeof(oob_name));
	ce_emit_irqs_begin(fp, json, ko.map_ok ? ko.map.levels : 0);
	for (cpu = 0; cpu < ko.nr_cpus; cpu++) {
		struct ce_irq_stage_out st[2];
		uint64_t pd;
		int s;

		if (!cpu_possible(cpu) || ce_percpu("irq_pipeline", cpu, &pd))
			continue;
		for (s = 0; s < 2; s++)
			irq_stage(cpu, s, pd, present, map, &st[s], &logs[s],
				  info + s * CE_MAX_PENDING,
				  names + s * CE_MAX_PENDING);
		ce_emit_irqs_cpu(fp, json, first, cpu, st, 2);
		first = 0;
	}
	ce_emit_irqs_end(fp, json);
	rc = 0;
out:
	free(logs);
	free(info);
	free(names);
	free(map);
	return rc;
}

struct task_ctx {
	struct ce_task *tasks;
	uint64_t *addrs;
	size_t n, cap;
	struct cpu_facts *cpus;
	unsigned int ncpus;
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
		if (c->cpus[i].current == task && c->cpus[i].have_pc &&
		    (c->cpus[i].pc & CE_STAGE_MASK))
			return 1;
	return 0;
}

static int add_task(void *vctx, uint64_t addr, const uint8_t *buf)
{
	struct task_ctx *c = vctx;
	struct ce_task t;
	long ti = ko.task_ti >= 0 ? ko.task_ti : 0;
	int ref;

	memset(&t, 0, sizeof(t));
	t.pid = (int32_t)ce_tfield(buf, ko.task_pid, 4);
	if (ko.task_comm >= 0 && ko.task_comm + CE_COMM_LEN <= ko.task_size)
		memcpy(t.comm, buf + ko.task_comm, CE_COMM_LEN);
	t.comm[CE_COMM_LEN] = '\0';
	if (ko.task_cpu >= 0)
		t.cpu = (uint32_t)ce_tfield(buf, ko.task_cpu, 4);
	else if (ko.ti_cpu >= 0)
		t.cpu = (uint32_t)ce_tfield(buf, ti + ko.ti_cpu, 4);
	if (ko.ti_status >= 0)
		t.local_flags = (uint32_t)ce_tfield(buf, ti + ko.ti_status, 4);
	if (ko.ti_flags >= 0)
		t.ti_flags = ce_tfield(buf, ti + ko.ti_flags, 8);
	ref = referenced(c, addr, &t.inflight_cpu);
	t.cls = ce_task_classify(ko.kt, t.local_flags, running_oob(c, addr));
	if (!c->all && !ref && !ce_task_has_tlf(ko.kt, t.local_flags))
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct ce_task *nt = realloc(c->tasks, ncap * sizeof(*nt));
		uint64_t *na;

		if (!nt) {
			c->failed = 1;
			return 1;
		}
		c->tasks = nt;
		na = realloc(c->addrs, ncap * sizeof(*na));
		if (!na) {
			c->failed = 1;
			return 1;
		}
		c->addrs = na;
		c->cap = ncap;
	}
	c->addrs[c->n] = addr;
	c->tasks[c->n++] = t;
	return 0;
}

static int seen(const struct task_ctx *c, uint64_t addr)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->addrs[i] == addr)
			return 1;
	return 0;
}

/* Referenced tasks the list walk cannot reach (per-CPU idle tasks). */
static void add_referenced(struct task_ctx *c, uint64_t addr, uint8_t *buf)
{
	if (!addr || seen(c, addr) || ce_read_task(addr, buf))
		return;
	add_task(c, addr, buf);
}

int ce_cmd_tasks(int json, int all)
{
	struct task_ctx c;
	unsigned int cpu, i;
	uint8_t *buf;
	int rc = -1;

	if (pipeline_check())
		return -1;
	if (ko.ti_status < 0) {
		ce_err("thread_info local flags (status/local_flags) not in the debug info");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.all = all;
	c.cpus = calloc(ko.nr_cpus, sizeof(*c.cpus));
	buf = malloc((size_t)ko.task_size);
	if (!c.cpus || !buf)
		goto out;
	for (cpu = 0; cpu < ko.nr_cpus; cpu++)
		if (cpu_possible(cpu))
			read_cpu(cpu, &c.cpus[c.ncpus++]);
	if (ce_for_each_task(add_task, &c) || c.failed)
		goto out;
	for (i = 0; i < c.ncpus; i++) {
		add_referenced(&c, c.cpus[i].inflight, buf);
		add_referenced(&c, c.cpus[i].rqlock, buf);
	}
	qsort(c.tasks, c.n, sizeof(*c.tasks), ce_task_cmp);
	ce_emit_tasks(fp, json, ko.kt, c.tasks, c.n);
	rc = 0;
out:
	free(buf);
	free(c.cpus);
	free(c.tasks);
	free(c.addrs);
	return rc;
}
