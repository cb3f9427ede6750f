/* SPDX-License-Identifier: GPL-2.0 */
/* Recorder internals shared by the core, debugfs, self-test and fixture. */
#ifndef _KERNEL_IRQ_DOVETAIL_RECORDER_H
#define _KERNEL_IRQ_DOVETAIL_RECORDER_H

#include <linux/percpu.h>
#include <uapi/linux/dovetail_recorder.h>
#include <asm/local64.h>

/* The CPU-local, interrupt-atomic reservation the ring writer needs. */
#define dtrec_head_inc_return(__head)	\
	local64_add_return(1, (local64_t *)(__head))
#include "dovetail_recorder_ring.h"

extern struct dtrec_desc dovetail_recorder_desc;
DECLARE_PER_CPU(struct dtrec_ring *, dtrec_cpu_ring);

void dtrec_set_enabled(bool on);
void dtrec_clear(void);

#endif /* _KERNEL_IRQ_DOVETAIL_RECORDER_H */
