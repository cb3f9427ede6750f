// SPDX-License-Identifier: GPL-2.0
/*
 * Dovetail pipeline flight recorder: per-CPU rings of fixed-size
 * records describing stall bit changes, stage switches, IRQ log
 * traffic, oob handlers and alternate scheduling transitions.
 *
 * The rings live in ordinary kernel pages and are described by one
 * global descriptor, published in VMCOREINFO, so that a vmcore holds
 * everything a decoder needs even without debug info. See
 * Documentation/dovetail/recorder.rst for the format.
 */
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/percpu.h>
#include <linux/cpumask.h>
#include <linux/smp.h>
#include <linux/irqstage.h>
#include <linux/sched/clock.h>
#include <linux/math64.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>
#include <linux/crash_core.h>
#include <linux/dovetail_recorder.h>
#include "dovetail_recorder.h"

DEFINE_STATIC_KEY_FALSE(dovetail_recorder_on);
EXPORT_SYMBOL_GPL(dovetail_recorder_on);

DEFINE_PER_CPU(struct dtrec_ring *, dtrec_cpu_ring);

struct dtrec_desc dovetail_recorder_desc ____cacheline_aligned = {
	.magic		= DTREC_DESC_MAGIC,
	.version	= DTREC_FORMAT_VERSION,
	.desc_size	= sizeof(struct dtrec_desc),
	.rec_size	= sizeof(struct dtrec_record),
	.ring_hdr_size	= sizeof(struct dtrec_ring),
	.event_mask	= DTREC_ALL_CLASSES,
	.off_seq	= offsetof(struct dtrec_record, seq),
	.off_ts		= offsetof(struct dtrec_record, ts),
	.off_pid	= offsetof(struct dtrec_record, pid),
	.off_arg	= offsetof(struct dtrec_record, arg),
	.off_arg2	= offsetof(struct dtrec_record, arg2),
	.off_event	= offsetof(struct dtrec_record, event),
	.off_state	= offsetof(struct dtrec_record, state),
	.off_ring_head	= offsetof(struct dtrec_ring, head),
	.off_ring_cpu	= offsetof(struct dtrec_ring, cpu),
	.off_ring_nr	= offsetof(struct dtrec_ring, nr_records),
	.off_ring_recs	= sizeof(struct dtrec_ring),
};
EXPORT_SYMBOL_GPL(dovetail_recorder_desc);

static const u8 dtrec_event_class[DTREC_NR_EVENTS] = {
	[DTREC_EV_INBAND_STALL]		= DTREC_C_INBAND_STALL,
	[DTREC_EV_INBAND_UNSTALL]	= DTREC_C_INBAND_STALL,
	[DTREC_EV_OOB_STALL]		= DTREC_C_OOB_STALL,
	[DTREC_EV_OOB_UNSTALL]		= DTREC_C_OOB_STALL,
	[DTREC_EV_SWITCH_OOB]		= DTREC_C_STAGE,
	[DTREC_EV_SWITCH_INBAND]	= DTREC_C_STAGE,
	[DTREC_EV_PIPELINE_ENTRY]	= DTREC_C_PIPELINE,
	[DTREC_EV_PIPELINE_EXIT]	= DTREC_C_PIPELINE,
	[DTREC_EV_IRQ_POST]		= DTREC_C_IRQ_LOG,
	[DTREC_EV_IRQ_PLAY]		= DTREC_C_IRQ_LOG,
	[DTREC_EV_OOB_HANDLER_ENTRY]	= DTREC_C_OOB_HANDLER,
	[DTREC_EV_OOB_HANDLER_EXIT]	= DTREC_C_OOB_HANDLER,
	[DTREC_EV_LEAVE_INBAND]		= DTREC_C_TASK,
	[DTREC_EV_FINALIZE_OOB]		= DTREC_C_TASK,
	[DTREC_EV_SWITCHED_OOB]		= DTREC_C_TASK,
	[DTREC_EV_LEAVE_OOB]		= DTREC_C_TASK,
	[DTREC_EV_RESUME_INBAND]	= DTREC_C_TASK,
	[DTREC_EV_OOB_SWITCH]		= DTREC_C_TASK,
	[DTREC_EV_INBAND_TAIL]		= DTREC_C_TASK,
	[DTREC_EV_NMI_RESTORE]		= DTREC_C_INBAND_STALL,
	[DTREC_EV_FREEZE]		= DTREC_C_MISC,
	[DTREC_EV_MARK]			= DTREC_C_MISC,
};

static unsigned int dtrec_nr_records __initdata =
	CONFIG_DOVETAIL_RECORDER_RECORDS;
static bool dtrec_boot_enabled __initdata =
	IS_ENABLED(CONFIG_DOVETAIL_RECORDER_DEFAULT_ON);
static u64 dtrec_cal_cycles, dtrec_cal_ns;

static __always_inline u16 dtrec_state(unsigned long hard_flags)
{
	unsigned int pc = preempt_count();
	u16 st = current->stall_bits &
		(DTREC_ST_INBAND_STALLED | DTREC_ST_OOB_STALLED);

	if (pc & STAGE_MASK)
		st |= DTREC_ST_STAGE_OOB;
	if (pc & PIPELINE_MASK)
		st |= DTREC_ST_IN_PIPELINE;
	if (hard_irqs_disabled_flags(hard_flags))
		st |= DTREC_ST_HARD_OFF;
	if (pc & NMI_MASK)
		st |= DTREC_ST_IN_NMI;
	if (pc & HARDIRQ_MASK)
		st |= DTREC_ST_IN_HARDIRQ;
	if (test_thread_local_flags(_TLF_OOB))
		st |= DTREC_ST_TASK_OOB;

	return st;
}

/*
 * noinstr: this runs from noinstr pipeline code (stage locking, NMI
 * exit), must never be traced or probed (a probe would recurse into
 * the pipeline), and only touches CPU-local data with hard IRQs off.
 */
noinstr void __dovetail_record(unsigned int event, u32 arg, u32 arg2)
{
	struct dtrec_ring *ring;
	unsigned long flags;

	if (unlikely(event >= DTREC_NR_EVENTS))
		return;

	if (!(READ_ONCE(dovetail_recorder_desc.event_mask) &
	      BIT(dtrec_event_class[event])) ||
	    READ_ONCE(dovetail_recorder_desc.frozen))
		return;

	/* Pins the CPU between picking the ring and reserving a slot. */
	flags = hard_local_irq_save();
	ring = raw_cpu_read(dtrec_cpu_ring);
	if (likely(ring)) {
		u16 state = dtrec_state(flags);

		dtrec_ring_write(ring, dtrec_clock(), current->pid, arg, arg2,
				 event, state);
		if (READ_ONCE(dovetail_recorder_desc.max_on))
			dtrec_max_track(ring, state);
	}
	hard_local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(__dovetail_record);

void dovetail_recorder_mark(u32 arg, u32 arg2)
{
	dovetail_record(DTREC_EV_MARK, arg, arg2);
}
EXPORT_SYMBOL_GPL(dovetail_recorder_mark);

/*
 * Freezing records its own event first, so the last record of a frozen
 * ring says who froze it and why (arg2: the metric of a threshold).
 * Only the first freeze is kept, with its value and note.
 */
void notrace dtrec_freeze_why(unsigned int reason, unsigned int metric,
			      u64 value, const char *note)
{
	struct dtrec_desc *d = &dovetail_recorder_desc;

	if (READ_ONCE(d->frozen))
		return;

	dovetail_record(DTREC_EV_FREEZE, reason, metric);
	d->freeze_reason = reason;
	d->freeze_cpu = raw_smp_processor_id();
	d->freeze_metric = metric;
	d->freeze_value = value;
	memset(d->freeze_note, 0, sizeof(d->freeze_note));
	if (note)
		strscpy(d->freeze_note, note, sizeof(d->freeze_note));
	/* Whoever sees frozen set also sees the reason and the CPU. */
	smp_wmb();
	WRITE_ONCE(d->frozen, 1);
}

void notrace dovetail_recorder_freeze(unsigned int reason)
{
	dtrec_freeze_why(reason, 0, 0, NULL);
}
EXPORT_SYMBOL_GPL(dovetail_recorder_freeze);

/*
 * For a companion core's latency monitor or a test: freeze on a new
 * worst case, saying why (a short note, e.g. "latmus: new max") and
 * the value it saw, in nanoseconds. Both are in every snapshot and
 * dump and shown by the report. Any context, NMI included.
 */
void notrace dovetail_recorder_freeze_value(const char *why, u64 value_ns)
{
	dtrec_freeze_why(DTREC_FREEZE_API, 0, value_ns, why);
}
EXPORT_SYMBOL_GPL(dovetail_recorder_freeze_value);

void dovetail_recorder_unfreeze(void)
{
	WRITE_ONCE(dovetail_recorder_desc.frozen, 0);
	/*
	 * A debugger freezes by writing frozen alone: the reason it
	 * leaves behind must then read as DTREC_FREEZE_DEBUGGER.
	 */
	dovetail_recorder_desc.freeze_reason = DTREC_FREEZE_DEBUGGER;
	dovetail_recorder_desc.freeze_metric = 0;
	dovetail_recorder_desc.freeze_value = 0;
	memset(dovetail_recorder_desc.freeze_note, 0,
	       sizeof(dovetail_recorder_desc.freeze_note));
}
EXPORT_SYMBOL_GPL(dovetail_recorder_unfreeze);

void dtrec_set_enabled(bool on)
{
	if (on && dovetail_recorder_desc.nr_cpus)
		static_branch_enable(&dovetail_recorder_on);
	else
		static_branch_disable(&dovetail_recorder_on);
}

static void dtrec_clear_local(void *unused)
{
	struct dtrec_ring *ring = raw_cpu_read(dtrec_cpu_ring);
	unsigned long flags;

	if (!ring)
		return;

	flags = hard_local_irq_save();
	memset(ring + 1, 0, (size_t)ring->nr_records *
	       sizeof(struct dtrec_record));
	local64_set((local64_t *)&ring->head, 0);
	/* Positions start over: maxima of the old numbering go too. */
	dtrec_max_reset_local(NULL);
	hard_local_irq_restore(flags);
}

/* Each CPU clears its own ring, so the head is never written remotely. */
void dtrec_clear(void)
{
	u32 frozen = READ_ONCE(dovetail_recorder_desc.frozen);

	WRITE_ONCE(dovetail_recorder_desc.frozen, 1);
	on_each_cpu(dtrec_clear_local, NULL, 1);
	WRITE_ONCE(dovetail_recorder_desc.frozen, frozen);
}

/* dovetail_recorder=off | <records>[,<class mask>] */
static int __init dtrec_parse_param(char *s)
{
	unsigned int nr, mask;
	int n;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "off")) {
		dtrec_boot_enabled = false;
		return 0;
	}
	n = sscanf(s, "%u,%x", &nr, &mask);
	if (n < 1)
		return -EINVAL;
	if (n == 2)
		dovetail_recorder_desc.event_mask = mask & DTREC_ALL_CLASSES;
	dtrec_nr_records = nr;
	dtrec_boot_enabled = true;
	return 0;
}
early_param("dovetail_recorder", dtrec_parse_param);

static int __init dtrec_alloc_rings(void)
{
	unsigned int nr = roundup_pow_of_two(clamp(dtrec_nr_records,
						   DTREC_MIN_RECORDS,
						   DTREC_MAX_RECORDS));
	size_t bytes = sizeof(struct dtrec_ring) +
		(size_t)nr * sizeof(struct dtrec_record);
	unsigned int order = get_order(bytes), ncpus = 0;
	struct dtrec_ring *ring;
	struct page *page;
	size_t size;
	int cpu;

	for_each_possible_cpu(cpu) {
		if (cpu >= DTREC_MAX_CPUS) {
			pr_warn("dovetail recorder: CPU%d and above not traced\n",
				cpu);
			break;
		}
		/*
		 * Contiguous pages while the buddy allocator has them;
		 * larger rings come from vmalloc, which every decoder
		 * reads through the kernel page tables all the same.
		 */
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL |
					__GFP_ZERO | __GFP_NOWARN, order);
		if (page) {
			ring = page_address(page);
			size = PAGE_SIZE << order;
		} else {
			ring = vzalloc_node(bytes, cpu_to_node(cpu));
			size = bytes;
		}
		if (!ring) {
			pr_err("dovetail recorder: no memory for CPU%d ring\n",
			       cpu);
			return -ENOMEM;
		}
		ring->magic = DTREC_RING_MAGIC;
		ring->cpu = cpu;
		ring->nr_records = nr;
		per_cpu(dtrec_cpu_ring, cpu) = ring;
		dovetail_recorder_desc.ring[cpu] = (u64)(unsigned long)ring;
		dovetail_recorder_desc.ring_bytes[cpu] = size;
		ncpus = cpu + 1;
	}

	dovetail_recorder_desc.nr_records = nr;
	/* Readers test nr_cpus first: publish the rings and size before. */
	smp_wmb();
	dovetail_recorder_desc.nr_cpus = ncpus;

	return 0;
}

/* As early as allocations work, to catch the bring-up of every CPU. */
static int __init dtrec_early_init(void)
{
	BUILD_BUG_ON(INBAND_STALL_BIT != 0 || OOB_STALL_BIT != 1);
	BUILD_BUG_ON(sizeof(struct dtrec_record) != 32);
	BUILD_BUG_ON(sizeof(struct dtrec_record) > DTREC_MAX_REC_SIZE);
	BUILD_BUG_ON(sizeof(struct dtrec_desc) > DTREC_MAX_DESC_SIZE);
	BUILD_BUG_ON(sizeof(struct dtrec_ring) > DTREC_MAX_RING_HDR);
	BUILD_BUG_ON(sizeof(local64_t) != sizeof(u64));

	if (dtrec_alloc_rings())
		return -ENOMEM;
	dtrec_max_alloc();

	dtrec_cal_cycles = dtrec_clock();
	dtrec_cal_ns = local_clock();
	dtrec_set_enabled(dtrec_boot_enabled);

	return 0;
}
early_initcall(dtrec_early_init);

/*
 * The clock rate is the architecture's when it states one (arm64's
 * CNTFRQ_EL0), else measured against local_clock() across the whole
 * boot, which keeps this code arch-neutral and the error well under
 * 0.1% (x86's TSC, whose rate has no architectural register).
 */
static void __init dtrec_calibrate_clock(void)
{
	u64 c = dtrec_clock(), ns = local_clock(), hz = dtrec_clock_rate();

	if (hz)
		dovetail_recorder_desc.clock_hz = hz;
	else if (ns > dtrec_cal_ns && c > dtrec_cal_cycles)
		dovetail_recorder_desc.clock_hz =
			mul_u64_u64_div_u64(c - dtrec_cal_cycles, NSEC_PER_SEC,
					    ns - dtrec_cal_ns);
	dovetail_recorder_desc.ref_cycles = c;
	dovetail_recorder_desc.ref_ns = ns;
}

/* Like the I-pipe tracer: print what one event costs on this machine. */
static void __init dtrec_calibrate_overhead(void)
{
	u64 best = U64_MAX, base = U64_MAX, t0, t1, hz;
	unsigned long flags;
	int n;

	if (!static_branch_likely(&dovetail_recorder_on))
		return;

	for (n = 0; n < 100; n++) {
		flags = hard_local_irq_save();
		t0 = dtrec_clock();
		t1 = dtrec_clock();
		base = min(base, t1 - t0);
		t0 = dtrec_clock();
		__dovetail_record(DTREC_EV_MARK, 0xca11b, n);
		t1 = dtrec_clock();
		best = min(best, t1 - t0);
		hard_local_irq_restore(flags);
	}

	best = best > base ? best - base : 0;
	hz = dovetail_recorder_desc.clock_hz;
	if (hz)
		dovetail_recorder_desc.overhead_ps =
			min_t(u64, mul_u64_u64_div_u64(best, 1000000000000ULL, hz),
			      U32_MAX);

	pr_info("dovetail recorder: %u records x %u CPUs, class mask %#x, clock %llu Hz\n",
		dovetail_recorder_desc.nr_records,
		dovetail_recorder_desc.nr_cpus,
		dovetail_recorder_desc.event_mask, hz);
	pr_info("dovetail recorder: calibrated minimum event overhead: %u.%03u ns (%llu cycles)\n",
		dovetail_recorder_desc.overhead_ps / 1000,
		dovetail_recorder_desc.overhead_ps % 1000, best);
}

/*
 * Publish the descriptor in VMCOREINFO the way printk publishes prb,
 * then rebuild the ELF note, which the core only refreshes at crash
 * time; QEMU's dump-guest-memory reads the note as it stands.
 */
static void __init dtrec_publish_vmcoreinfo(void)
{
#if defined(CONFIG_CRASH_CORE) || defined(CONFIG_VMCORE_INFO)
	if (!vmcoreinfo_data || !vmcoreinfo_note)
		return;

	vmcoreinfo_append_str("SYMBOL(dovetail_recorder_desc)=%lx\n",
			      (unsigned long)&dovetail_recorder_desc);
	vmcoreinfo_append_str("NUMBER(DOVETAIL_RECORDER_VERSION)=%d\n",
			      DTREC_FORMAT_VERSION);
	final_note(append_elf_note(vmcoreinfo_note, VMCOREINFO_NOTE_NAME, 0,
				   vmcoreinfo_data, vmcoreinfo_size));
#endif
}

static int __init dtrec_late_init(void)
{
	if (!dovetail_recorder_desc.nr_cpus)
		return 0;

	dtrec_calibrate_clock();
	dtrec_max_late_init();
	dtrec_calibrate_overhead();
	dtrec_publish_vmcoreinfo();

	return 0;
}
late_initcall(dtrec_late_init);
