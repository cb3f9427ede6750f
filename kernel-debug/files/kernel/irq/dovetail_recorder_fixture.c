// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture for the Dovetail debugging tools: puts the pipeline
 * into known states on command, so that decoders can be checked
 * against expected values (in the spirit of drgn's test kmod).
 *
 * It registers its own oob stage and a minimal alternate scheduler,
 * which is why it must never coexist with a real companion core.
 * Several commands hang a CPU on purpose.
 *
 * debugfs dovetail/fixture/ctl takes one command per write:
 *   oob on|off                      register/remove the "dtfix" oob stage
 *   hold CPU inband|oob|both MS N   stall, post N IRQs per stage, spin MS
 *                                   (0: forever), then let go
 *   release                         end every hold now
 *   park CPU                        move a kthread oob and block it there
 *   unpark                          bring the parked kthread back in-band
 *   spin CPU MS                     run a kthread oob for MS, then in-band
 *   roundtrip CPU N                 N in-band -> oob -> in-band trips
 *   stuck CPU                       a kthread whose oob migration is never
 *                                   completed (stuck migrating)
 *   events N                        N events of each recorder class
 *   bench N                         time N recorder events (maxima off,
 *                                   then on), N with the recorder disabled,
 *                                   N trace_printk() and N irq_pipeline_entry
 *                                   tracepoint calls, in cycles, on one CPU
 *   section KIND US TAG             on this CPU, one section of KIND
 *                                   (oob_stall, hard_off, pending) lasting
 *                                   US microseconds, between two marks
 *                                   (0xf1c5 and 0xf1ce, arg2 TAG)
 *   freeze VALUE NOTE               dovetail_recorder_freeze_value()
 *   violate R1|R3|R5|R6             break one audit rule on purpose
 *   panic                           panic (the recorder freezes)
 * dovetail/fixture/expected reads back, as JSON, what the fixture set up.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dovetail.h>
#include <linux/dovetail_recorder.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_pipeline.h>
#include <linux/irq_work.h>
#include <linux/irqdomain.h>
#include <linux/irqstage.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/sched/clock.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/timex.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <trace/events/irq.h>
#include "dovetail_recorder.h"

#define DTFIX_NR_SIRQS	4

static unsigned int dtfix_ib_irq[DTFIX_NR_SIRQS], dtfix_oob_irq[DTFIX_NR_SIRQS];
static DEFINE_PER_CPU(unsigned long, dtfix_irq_hits);
static DEFINE_MUTEX(dtfix_lock);
static bool dtfix_oob_on;

/* Holds: one per CPU, ended by timeout or "release". */
struct dtfix_hold {
	int active;
	pid_t pid;		/* the holding kthread */
	int stage;		/* 1: in-band, 2: oob, 3: both */
	int npost;
	u64 since_ns;
};
static struct dtfix_hold dtfix_holds[NR_CPUS];
static int dtfix_release_all;

/* Alternate scheduling. */
enum dtfix_tstate { T_NONE, T_INBAND, T_OOB_RUNNING, T_OOB_BLOCKED,
		    T_MIGRATING, T_DONE };
static const char *const dtfix_tstate_names[] = {
	"none", "inband", "oob-running", "oob-blocked", "migrating", "done",
};

enum dtfix_tcmd { C_PARK = 1, C_SPIN, C_ROUNDTRIP, C_STUCK };

struct dtfix_thread {
	struct task_struct *task;
	struct dovetail_altsched_context ctx;
	struct irq_work wakeup;
	enum dtfix_tcmd cmd;
	enum dtfix_tstate state;
	int cpu;
	int arg;
	int unpark;
	int trips;
};

static DEFINE_PER_CPU(struct dovetail_altsched_context, dtfix_root);
static struct dtfix_thread *dtfix_threads[8];
static int dtfix_nr_threads;

static irqreturn_t dtfix_irq_handler(int irq, void *dev_id)
{
	__this_cpu_inc(dtfix_irq_hits);
	return IRQ_HANDLED;
}

static int dtfix_alloc_sirqs(unsigned int *irqs, bool oob, const char *fmt)
{
	char *name;
	int n, ret;

	for (n = 0; n < DTFIX_NR_SIRQS; n++) {
		irqs[n] = irq_create_direct_mapping(synthetic_irq_domain);
		if (!irqs[n])
			return -ENOSPC;
		name = kasprintf(GFP_KERNEL, fmt, n);
		if (!name)
			return -ENOMEM;
		ret = __request_percpu_irq(irqs[n], dtfix_irq_handler,
					   IRQF_NO_THREAD | (oob ? IRQF_OOB : 0),
					   name, &dtfix_irq_hits);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- holds ------------------------------------------------------------ */

/*
 * Timed spins run with the in-band stage stalled or on the oob stage,
 * where no in-band tick may run on this CPU, and another CPU may spin
 * on this CPU's runqueue lock, which the preempted in-band context
 * holds: any clock fed by in-band ticks (local_clock() with an
 * untrusted TSC, a jiffies clocksource) can stop. Count raw cycles at
 * the recorder's calibrated rate instead.
 */
static inline u64 dtfix_clock(void)
{
	u64 hz = READ_ONCE(dovetail_recorder_desc.clock_hz);

	if (!hz)
		return ktime_get_mono_fast_ns();
	return mul_u64_u64_div_u64(dtrec_clock(), NSEC_PER_SEC, hz);
}

static bool dtfix_hold_over(u64 start, unsigned int ms)
{
	return READ_ONCE(dtfix_release_all) ||
		(ms && dtfix_clock() - start > (u64)ms * NSEC_PER_MSEC);
}

static void dtfix_post(unsigned int *irqs, int n, bool oob)
{
	int i;

	for (i = 0; i < n && i < DTFIX_NR_SIRQS; i++) {
		if (oob)
			irq_post_oob(irqs[i]);
		else
			irq_post_inband(irqs[i]);
	}
}

struct dtfix_hold_req {
	int stage, npost;
	unsigned int ms;
};

static int dtfix_hold_thread(void *arg)
{
	struct dtfix_hold_req *req = arg;
	struct dtfix_hold *h;
	unsigned long flags;
	int cpu = raw_smp_processor_id();
	u64 start;

	h = &dtfix_holds[cpu];
	if (req->stage & 1)
		local_irq_disable();
	flags = hard_local_irq_save();
	if (req->stage & 2)
		stall_oob();
	if (req->stage & 1)
		dtfix_post(dtfix_ib_irq, req->npost, false);
	if (req->stage & 2)
		dtfix_post(dtfix_oob_irq, req->npost, true);
	/* An oob stall is only legal with hard IRQs off: keep them off. */
	if (!(req->stage & 2))
		hard_local_irq_restore(flags);

	start = dtfix_clock();
	h->since_ns = local_clock();
	h->stage = req->stage;
	h->npost = req->npost;
	WRITE_ONCE(h->active, 1);
	pr_info("DTFIX-HOLDING cpu=%d stage=%d\n", cpu, req->stage);

	while (!dtfix_hold_over(start, req->ms))
		cpu_relax();

	WRITE_ONCE(h->active, 0);
	if (req->stage & 2) {
		unstall_oob();
		sync_irq_stage(&oob_stage);
		hard_local_irq_restore(flags);
	}
	if (req->stage & 1)
		local_irq_enable();
	kfree(req);
	pr_info("DTFIX-RELEASED cpu=%d\n", cpu);

	return 0;
}

static int dtfix_hold(int cpu, int stage, unsigned int ms, int npost)
{
	struct dtfix_hold_req *req;
	struct task_struct *t;
	int n;

	if ((stage & 2) && !dtfix_oob_on)
		return -EPERM;
	if (dtfix_holds[cpu].active)
		return -EBUSY;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->stage = stage;
	req->ms = ms;
	req->npost = npost;
	WRITE_ONCE(dtfix_release_all, 0);
	t = kthread_create(dtfix_hold_thread, req, "dtfix-hold/%d", cpu);
	if (IS_ERR(t)) {
		kfree(req);
		return PTR_ERR(t);
	}
	kthread_bind(t, cpu);
	dtfix_holds[cpu].pid = t->pid;
	wake_up_process(t);

	/*
	 * Return once the state is in place, so that the caller may
	 * inspect it; the holder cannot say so itself, its printk output
	 * is deferred to an in-band stage it keeps stalled.
	 */
	for (n = 0; n < 500 && !READ_ONCE(dtfix_holds[cpu].active); n++)
		usleep_range(10000, 20000);

	return READ_ONCE(dtfix_holds[cpu].active) ? 0 : -ETIMEDOUT;
}

/* --- minimal alternate scheduler ------------------------------------- */

static struct dtfix_thread *dtfix_find(struct task_struct *p)
{
	int n;

	for (n = 0; n < dtfix_nr_threads; n++)
		if (dtfix_threads[n]->task == p)
			return dtfix_threads[n];
	return NULL;
}

/* Runs on the oob stage through run_oob_call(), hard IRQs off. */
static int dtfix_switch_in(void *arg)
{
	struct dtfix_thread *t = arg;

	dovetail_context_switch(this_cpu_ptr(&dtfix_root), &t->ctx, true);
	/* Back on the in-band context once @t blocked or left oob. */
	return 0;
}

/*
 * Dovetail calls this from the in-band switch tail of the task which
 * replaced @p, hard IRQs off and oob stalled, to let the core run @p
 * out-of-band. Declining leaves @p stuck migrating.
 */
void resume_oob_task(struct task_struct *p)
{
	struct dtfix_thread *t = dtfix_find(p);

	if (!t || t->cmd == C_STUCK)
		return;

	unstall_oob();
	run_oob_call(dtfix_switch_in, t);
	stall_oob();
}

/* Block the current oob thread until someone switches back to it. */
static void dtfix_block_oob(struct dtfix_thread *t)
{
	unsigned long flags = hard_local_irq_save();

	t->state = T_OOB_BLOCKED;
	dovetail_context_switch(&t->ctx, this_cpu_ptr(&dtfix_root), false);
	t->state = T_OOB_RUNNING;
	hard_local_irq_restore(flags);
}

static void dtfix_wakeup_inband(struct irq_work *work)
{
	struct dtfix_thread *t = container_of(work, struct dtfix_thread, wakeup);

	wake_up_process(t->task);
}

/* The converse migration, as a core does it: oob -> in-band. */
static void dtfix_switch_inband(struct dtfix_thread *t)
{
	hard_local_irq_disable();
	irq_work_queue(&t->wakeup);
	dovetail_leave_oob();
	dovetail_context_switch(&t->ctx, this_cpu_ptr(&dtfix_root), false);
	hard_local_irq_enable();
	dovetail_resume_inband();
	t->state = T_INBAND;
}

static int dtfix_switch_oob(struct dtfix_thread *t)
{
	int ret;

	t->state = T_MIGRATING;
	ret = dovetail_leave_inband();
	if (ret) {
		t->state = T_INBAND;
		return ret;
	}
	/* Like a core: drop the oob stall, run oob with hard IRQs on. */
	unstall_oob();
	hard_local_irq_enable();
	t->state = T_OOB_RUNNING;

	return 0;
}

static int dtfix_oob_thread(void *arg)
{
	struct dtfix_thread *t = arg;
	u64 start;
	int n;

	dovetail_init_altsched(&t->ctx);
	dovetail_start_altsched();
	t->state = T_INBAND;

	switch (t->cmd) {
	case C_STUCK:
	case C_PARK:
		if (dtfix_switch_oob(t))
			break;
		while (!READ_ONCE(t->unpark))
			dtfix_block_oob(t);
		dtfix_switch_inband(t);
		break;
	case C_SPIN:
		if (dtfix_switch_oob(t))
			break;
		start = dtfix_clock();
		while (dtfix_clock() - start < (u64)t->arg * NSEC_PER_MSEC)
			cpu_relax();
		dtfix_switch_inband(t);
		break;
	case C_ROUNDTRIP:
		for (n = 0; n < t->arg; n++) {
			if (dtfix_switch_oob(t))
				break;
			dtfix_switch_inband(t);
			t->trips++;
		}
		break;
	}

	dovetail_stop_altsched();
	t->state = T_DONE;
	pr_info("DTFIX-TASK-DONE pid=%d\n", current->pid);

	return 0;
}

static int dtfix_start_thread(int cpu, enum dtfix_tcmd cmd, int arg)
{
	struct dtfix_thread *t;
	struct task_struct *p;

	if (!dtfix_oob_on)
		return -EPERM;
	if (dtfix_nr_threads >= ARRAY_SIZE(dtfix_threads))
		return -ENOSPC;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->cmd = cmd;
	t->cpu = cpu;
	t->arg = arg;
	init_irq_work(&t->wakeup, dtfix_wakeup_inband);
	p = kthread_create(dtfix_oob_thread, t, "dtfix-%s/%d",
			   cmd == C_STUCK ? "stuck" : "oob", cpu);
	if (IS_ERR(p)) {
		kfree(t);
		return PTR_ERR(p);
	}
	/*
	 * Pinned for good: expected reports finished threads too, and
	 * resume_oob_task() must never match a recycled task_struct.
	 */
	t->task = get_task_struct(p);
	kthread_bind(p, cpu);
	dtfix_threads[dtfix_nr_threads++] = t;
	wake_up_process(p);

	return 0;
}

static long dtfix_unpark_on_cpu(void *arg)
{
	struct dtfix_thread *t = arg;
	unsigned long flags;

	flags = hard_local_irq_save();
	WRITE_ONCE(t->unpark, 1);
	run_oob_call(dtfix_switch_in, t);
	hard_local_irq_restore(flags);

	return 0;
}

static int dtfix_unpark(void)
{
	int n;

	for (n = 0; n < dtfix_nr_threads; n++) {
		struct dtfix_thread *t = dtfix_threads[n];

		if (t->cmd == C_PARK && t->state == T_OOB_BLOCKED)
			work_on_cpu(t->cpu, dtfix_unpark_on_cpu, t);
	}
	return 0;
}

/* --- event generation and deliberate violations ----------------------- */

static void dtfix_events(int n)
{
	unsigned long flags;
	int i;

	for (i = 0; i < n; i++) {
		local_irq_disable();
		local_irq_enable();

		flags = hard_local_irq_save();
		stall_oob();
		unstall_oob();
		switch_oob(this_oob_staged());
		switch_inband(this_inband_staged());
		hard_local_irq_restore(flags);

		/* Post then play an in-band IRQ, and an oob one if present. */
		local_irq_disable();
		flags = hard_local_irq_save();
		irq_post_inband(dtfix_ib_irq[0]);
		if (dtfix_oob_on) {
			/* Played now, as on pipeline exit: the oob handler runs. */
			irq_post_oob(dtfix_oob_irq[0]);
			sync_irq_stage(&oob_stage);
		}
		hard_local_irq_restore(flags);
		local_irq_enable();

		dovetail_recorder_mark(0xe7e7, i);
	}
}

/*
 * Time the recorder against ftrace in the same run, on the same CPU,
 * with hard IRQs off so nothing else lands in the windows. Cycles
 * only: under emulation absolute times mean nothing, ratios do.
 */
#define DTFIX_BENCH_CHUNK	1000

/*
 * One loop per variant, identical but for its body, so that the
 * differences measured are the bodies' and not the loop shapes'.
 */
#define DTFIX_BENCH_LOOP(__name, __body)				\
static noinline u64 __name(int n)					\
{									\
	unsigned long flags;						\
	u64 best = U64_MAX, t0, t1;					\
	int i, j;							\
									\
	for (i = 0; i < n; i += DTFIX_BENCH_CHUNK) {			\
		flags = hard_local_irq_save();				\
		t0 = get_cycles();					\
		for (j = 0; j < DTFIX_BENCH_CHUNK; j++) {		\
			__body;						\
			barrier();					\
		}							\
		t1 = get_cycles();					\
		hard_local_irq_restore(flags);				\
		best = min(best, t1 - t0);				\
		cond_resched();						\
	}								\
	return best;							\
}

DTFIX_BENCH_LOOP(dtfix_bench_empty, do { } while (0))
DTFIX_BENCH_LOOP(dtfix_bench_record, dovetail_record(DTREC_EV_MARK, 0xbe, j))
#ifdef CONFIG_TRACING
DTFIX_BENCH_LOOP(dtfix_bench_ftrace, trace_printk("dtfix %d\n", j))
#endif
/* What a user switches on instead: Dovetail's own trace event. */
DTFIX_BENCH_LOOP(dtfix_bench_tracepoint, trace_irq_pipeline_entry(j))

static int dtfix_bench(int n)
{
	struct dtrec_desc *d = &dovetail_recorder_desc;
	u64 empty, rec, rec_max, off, ftr = 0, tp;
	bool was_on = static_key_enabled(&dovetail_recorder_on);
	u32 max_was = READ_ONCE(d->max_on);

	n = max(n, DTFIX_BENCH_CHUNK);
	empty = dtfix_bench_empty(n);
	dtrec_set_enabled(true);
	WRITE_ONCE(d->max_on, 0);
	rec = dtfix_bench_record(n);
	WRITE_ONCE(d->max_on, !!d->max_nr_metrics);
	rec_max = dtfix_bench_record(n);
	WRITE_ONCE(d->max_on, max_was);
	dtrec_set_enabled(false);
	off = dtfix_bench_record(n);
	dtrec_set_enabled(was_on);
#ifdef CONFIG_TRACING
	tracing_on();
	ftr = dtfix_bench_ftrace(n);
#endif
	/* Costs what tracefs made it: enabled or a patched-out branch. */
	tp = dtfix_bench_tracepoint(n);
	/* Best chunk of DTFIX_BENCH_CHUNK calls, in cycles. */
	pr_info("DTFIX-BENCH chunk=%d empty=%llu recorder=%llu recorder_off=%llu ftrace=%llu recorder_max=%llu tracepoint=%llu tracepoint_on=%d\n",
		DTFIX_BENCH_CHUNK, empty, rec, off, ftr, rec_max, tp,
		trace_irq_pipeline_entry_enabled() ? 1 : 0);
	return 0;
}

/*
 * A section of a known length on this CPU, between two marks (0xf1c5
 * then 0xf1ce, arg2 = tag), spun on the recorder's clock. Each kind is
 * what the interval model measures: oob_stall from the oob stall to
 * the unstall, hard_off from the first mark to the second (hard IRQs
 * go back on silently), pending from the post of an in-band IRQ into
 * the stalled stage's log to the unstall that plays it.
 */
static void dtfix_spin_cycles(u64 cycles)
{
	u64 t0 = dtrec_clock();

	while (dtrec_clock() - t0 < cycles)
		cpu_relax();
}

static int dtfix_section(const char *kind, unsigned int us, u32 tag)
{
	u64 hz = READ_ONCE(dovetail_recorder_desc.clock_hz);
	u64 cycles = mul_u64_u64_div_u64(us, hz, USEC_PER_SEC);
	unsigned long flags;

	if (!hz || us > 1000000)
		return -EINVAL;
	if (!strcmp(kind, "oob_stall")) {
		flags = hard_local_irq_save();
		dovetail_recorder_mark(0xf1c5, tag);
		stall_oob();
		dtfix_spin_cycles(cycles);
		unstall_oob();
		hard_local_irq_restore(flags);
	} else if (!strcmp(kind, "hard_off")) {
		flags = hard_local_irq_save();
		dovetail_recorder_mark(0xf1c5, tag);
		dtfix_spin_cycles(cycles);
		dovetail_recorder_mark(0xf1c6, tag);
		hard_local_irq_restore(flags);
	} else if (!strcmp(kind, "pending")) {
		local_irq_disable();
		dovetail_recorder_mark(0xf1c5, tag);
		irq_post_inband(dtfix_ib_irq[0]);
		dtfix_spin_cycles(cycles);
		local_irq_enable();
	} else {
		return -EINVAL;
	}
	/* A record with hard IRQs on, and the tracker's look-ahead. */
	dovetail_recorder_mark(0xf1ce, tag);
	dovetail_recorder_mark(0xf1ce, tag);
	dovetail_recorder_mark(0xf1ce, tag);
	return 0;
}

static int dtfix_violate(const char *rule)
{
	unsigned long flags;

	if (!strcmp(rule, "R1")) {
		/* oob stalled with hard IRQs on, briefly. */
		stall_oob();
		dovetail_recorder_mark(0xbad1, 0);
		unstall_oob();
	} else if (!strcmp(rule, "R3")) {
		/* An in-band IRQ left pending past a raw unstall. */
		local_irq_disable();
		flags = hard_local_irq_save();
		irq_post_inband(dtfix_ib_irq[1]);
		unstall_inband_nocheck();
		dovetail_recorder_mark(0xbad3, dtfix_ib_irq[1]);
		stall_inband_nocheck();
		hard_local_irq_restore(flags);
		local_irq_enable();
	} else if (!strcmp(rule, "R5")) {
		/* A stage switch record the state contradicts. */
		flags = hard_local_irq_save();
		dovetail_record(DTREC_EV_SWITCH_OOB, 0xbad5, 0);
		hard_local_irq_restore(flags);
	} else if (!strcmp(rule, "R6")) {
		/* Pipeline entry inside pipeline entry. */
		flags = hard_local_irq_save();
		preempt_count_add(PIPELINE_OFFSET);
		dovetail_record(DTREC_EV_PIPELINE_ENTRY, 0xbad6, 0);
		dovetail_record(DTREC_EV_PIPELINE_ENTRY, 0xbad6, 1);
		dovetail_record(DTREC_EV_PIPELINE_EXIT, 0xbad6, 0);
		preempt_count_sub(PIPELINE_OFFSET);
		hard_local_irq_restore(flags);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* --- debugfs ------------------------------------------------------------- */

/* A CPU number from the command line: unchecked, it indexes cpumasks. */
static bool dtfix_cpu_ok(int cpu)
{
	return cpu >= 0 && cpu < nr_cpu_ids && cpu_online(cpu);
}

static int dtfix_stage_arg(const char *s)
{
	if (!strcmp(s, "inband"))
		return 1;
	if (!strcmp(s, "oob"))
		return 2;
	if (!strcmp(s, "both"))
		return 3;
	return -EINVAL;
}

static int dtfix_command(char *cmd)
{
	char w1[16] = "", w2[16] = "";
	int cpu = -1, a = 0, b = 0, stage;

	if (sscanf(cmd, "oob %15s", w1) == 1) {
		if (!strcmp(w1, "on") && !dtfix_oob_on) {
			int ret = enable_oob_stage("dtfix");

			if (!ret)
				dtfix_oob_on = true;
			return ret;
		}
		if (!strcmp(w1, "off") && dtfix_oob_on) {
			disable_oob_stage();
			dtfix_oob_on = false;
		}
		return 0;
	}
	if (sscanf(cmd, "hold %d %15s %d %d", &cpu, w2, &a, &b) == 4) {
		stage = dtfix_stage_arg(w2);
		if (stage < 0 || !dtfix_cpu_ok(cpu))
			return -EINVAL;
		return dtfix_hold(cpu, stage, a, b);
	}
	if (!strncmp(cmd, "release", 7)) {
		WRITE_ONCE(dtfix_release_all, 1);
		return 0;
	}
	if (sscanf(cmd, "park %d", &cpu) == 1 && dtfix_cpu_ok(cpu))
		return dtfix_start_thread(cpu, C_PARK, 0);
	if (!strncmp(cmd, "unpark", 6))
		return dtfix_unpark();
	if (sscanf(cmd, "spin %d %d", &cpu, &a) == 2 && dtfix_cpu_ok(cpu))
		return dtfix_start_thread(cpu, C_SPIN, a);
	if (sscanf(cmd, "roundtrip %d %d", &cpu, &a) == 2 && dtfix_cpu_ok(cpu))
		return dtfix_start_thread(cpu, C_ROUNDTRIP, a);
	if (sscanf(cmd, "stuck %d", &cpu) == 1 && dtfix_cpu_ok(cpu))
		return dtfix_start_thread(cpu, C_STUCK, 0);
	if (sscanf(cmd, "events %d", &a) == 1 && a > 0) {
		dtfix_events(a);
		return 0;
	}
	if (sscanf(cmd, "bench %d", &a) == 1 && a > 0)
		return dtfix_bench(a);
	if (sscanf(cmd, "section %15s %d %d", w1, &a, &b) == 3 && a >= 0)
		return dtfix_section(w1, a, b);
	if (sscanf(cmd, "freeze %d %15s", &a, w1) == 2 && a >= 0) {
		dovetail_recorder_freeze_value(w1, a);
		return 0;
	}
	if (sscanf(cmd, "violate %15s", w1) == 1)
		return dtfix_violate(w1);
	if (!strncmp(cmd, "panic", 5))
		panic("dovetail fixture: panic on request");

	return -EINVAL;
}

static ssize_t dtfix_ctl_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[64];
	int ret;

	if (count >= sizeof(buf))
		return -E2BIG;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	strim(buf);

	mutex_lock(&dtfix_lock);
	ret = dtfix_command(buf);
	mutex_unlock(&dtfix_lock);
	if (ret)
		return ret;

	pr_info("DTFIX-DONE %s\n", buf);
	return count;
}

static const struct file_operations dtfix_ctl_fops = {
	.owner	= THIS_MODULE,
	.write	= dtfix_ctl_write,
	.llseek	= noop_llseek,
};

static void dtfix_show_irqs(struct seq_file *m, const char *stage,
			    const unsigned int *irqs, int cpu, int n, bool *first)
{
	int i;

	for (i = 0; i < n && i < DTFIX_NR_SIRQS; i++) {
		seq_printf(m, "%s{\"cpu\":%d,\"stage\":\"%s\",\"irq\":%u,\"name\":\"dtfix-%s-%d\"}",
			   *first ? "" : ",", cpu, stage, irqs[i],
			   !strcmp(stage, "inband") ? "ib" : "oob", i);
		*first = false;
	}
}

static int dtfix_expected_show(struct seq_file *m, void *v)
{
	bool first = true;
	int cpu, n;

	mutex_lock(&dtfix_lock);
	seq_printf(m, "{\"oob_stage\":%s,\"holds\":[",
		   dtfix_oob_on ? "\"dtfix\"" : "null");
	for_each_online_cpu(cpu) {
		struct dtfix_hold *h = &dtfix_holds[cpu];

		if (!READ_ONCE(h->active))
			continue;
		seq_printf(m, "%s{\"cpu\":%d,\"pid\":%d,\"inband_stalled\":%s,\"oob_stalled\":%s,\"since_ns\":%llu}",
			   first ? "" : ",", cpu, h->pid,
			   h->stage & 1 ? "true" : "false",
			   h->stage & 2 ? "true" : "false", h->since_ns);
		first = false;
	}
	seq_puts(m, "],\"pending\":[");
	first = true;
	for_each_online_cpu(cpu) {
		struct dtfix_hold *h = &dtfix_holds[cpu];

		if (!READ_ONCE(h->active))
			continue;
		if (h->stage & 1)
			dtfix_show_irqs(m, "inband", dtfix_ib_irq, cpu, h->npost, &first);
		if (h->stage & 2)
			dtfix_show_irqs(m, "oob", dtfix_oob_irq, cpu, h->npost, &first);
	}
	seq_puts(m, "],\"tasks\":[");
	for (n = 0; n < dtfix_nr_threads; n++) {
		struct dtfix_thread *t = dtfix_threads[n];

		seq_printf(m, "%s{\"pid\":%d,\"comm\":\"%s\",\"cpu\":%d,\"class\":\"%s\",\"trips\":%d}",
			   n ? "," : "", t->task->pid, t->task->comm, t->cpu,
			   dtfix_tstate_names[t->state], t->trips);
	}
	seq_puts(m, "],\"irqs\":{\"inband\":[");
	for (n = 0; n < DTFIX_NR_SIRQS; n++)
		seq_printf(m, "%s%u", n ? "," : "", dtfix_ib_irq[n]);
	seq_puts(m, "],\"oob\":[");
	for (n = 0; n < DTFIX_NR_SIRQS; n++)
		seq_printf(m, "%s%u", n ? "," : "", dtfix_oob_irq[n]);
	seq_puts(m, "]}}\n");
	mutex_unlock(&dtfix_lock);

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dtfix_expected);

static int __init dtfix_init(void)
{
	struct dentry *dir;
	int ret;

	ret = dtfix_alloc_sirqs(dtfix_ib_irq, false, "dtfix-ib-%d");
	if (!ret)
		ret = dtfix_alloc_sirqs(dtfix_oob_irq, true, "dtfix-oob-%d");
	if (ret) {
		pr_err("dovetail fixture: cannot set up IRQs (%d)\n", ret);
		return ret;
	}

	dir = debugfs_create_dir("fixture", dtrec_debugfs_top());
	debugfs_create_file("ctl", 0200, dir, NULL, &dtfix_ctl_fops);
	debugfs_create_file("expected", 0400, dir, NULL, &dtfix_expected_fops);
	pr_info("dovetail fixture: ready (testing only, hangs CPUs on request)\n");

	return 0;
}
late_initcall_sync(dtfix_init);
