/* SPDX-License-Identifier: GPL-2.0 */
/* Recorder internals shared by the core, debugfs, self-test and fixture. */
#ifndef _KERNEL_IRQ_DOVETAIL_RECORDER_H
#define _KERNEL_IRQ_DOVETAIL_RECORDER_H

#include <linux/percpu.h>
#include <uapi/linux/dovetail_recorder.h>
#include <asm/local64.h>
#include <asm/timex.h>
#ifdef CONFIG_ARM64
#include <asm/arch_timer.h>
#endif

struct dentry;

/*
 * The one clock every writer uses, cheap and NMI-safe; desc.clock_hz is
 * its rate, so whoever converts cycles to ns reads it too. On arm64 the
 * virtual counter is read directly: get_cycles() goes through
 * arch_timer_read_counter, a pointer the timer driver sets late and
 * whose errata variants may toggle preemption. The counter is read
 * without any erratum workaround, which QEMU's virt machine does not need.
 */
static __always_inline u64 dtrec_clock(void)
{
#if defined(CONFIG_X86)
	return rdtsc();
#elif defined(CONFIG_ARM64)
	return __arch_counter_get_cntvct();
#else
	return get_cycles();
#endif
}

/* The counter's rate when the architecture states it, else 0. */
static inline u64 dtrec_clock_rate(void)
{
#ifdef CONFIG_ARM64
	return arch_timer_get_cntfrq();
#else
	return 0;
#endif
}

/* The CPU-local, interrupt-atomic reservation the ring writer needs. */
#define dtrec_head_inc_return(__head)	\
	local64_add_return(1, (local64_t *)(__head))
#include "dovetail_recorder_ring.h"

extern struct dtrec_desc dovetail_recorder_desc;
DECLARE_PER_CPU(struct dtrec_ring *, dtrec_cpu_ring);

void dtrec_set_enabled(bool on);
void dtrec_freeze_why(unsigned int reason, unsigned int metric, u64 value,
		      const char *note);

/* Worst-case capture (dovetail_recorder_max.c). */
void dtrec_max_track(struct dtrec_ring *ring, u16 state);
int dtrec_max_alloc(void);
void dtrec_max_late_init(void);
void dtrec_max_reset(void);
void dtrec_max_reset_local(void *unused);
int dtrec_set_threshold(unsigned int metric, u64 ns);
u64 dtrec_threshold_get_ns(unsigned int metric);
const char *dtrec_metric_name(unsigned int metric);
int dtrec_metric_parse(const char *s, size_t len);
void dtrec_clear(void);
/* debugfs "dovetail/", shared by the recorder's and the fixture's files. */
struct dentry *dtrec_debugfs_top(void);

#endif /* _KERNEL_IRQ_DOVETAIL_RECORDER_H */
