/* SPDX-License-Identifier: GPL-2.0 */
/* Recorder internals shared by the core, debugfs, self-test and fixture. */
#ifndef _KERNEL_IRQ_DOVETAIL_RECORDER_H
#define _KERNEL_IRQ_DOVETAIL_RECORDER_H

#include <linux/percpu.h>
#include <uapi/linux/dovetail_recorder.h>
#include <asm/local64.h>
#include <asm/timex.h>

struct dentry;

/*
 * The one clock every writer uses, cheap and NMI-safe; desc.clock_hz is
 * calibrated against it, so whoever converts cycles to ns reads it too.
 */
static __always_inline u64 dtrec_clock(void)
{
#ifdef CONFIG_X86
	return rdtsc();
#else
	return get_cycles();
#endif
}

/* The CPU-local, interrupt-atomic reservation the ring writer needs. */
#define dtrec_head_inc_return(__head)	\
	local64_add_return(1, (local64_t *)(__head))
#include "dovetail_recorder_ring.h"

extern struct dtrec_desc dovetail_recorder_desc;
DECLARE_PER_CPU(struct dtrec_ring *, dtrec_cpu_ring);

void dtrec_set_enabled(bool on);
void dtrec_clear(void);
/* debugfs "dovetail/", shared by the recorder's and the fixture's files. */
struct dentry *dtrec_debugfs_top(void);

#endif /* _KERNEL_IRQ_DOVETAIL_RECORDER_H */
