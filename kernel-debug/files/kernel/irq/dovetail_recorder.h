/* SPDX-License-Identifier: GPL-2.0 */
/* Recorder internals shared by the core, debugfs, self-test and fixture. */
#ifndef _KERNEL_IRQ_DOVETAIL_RECORDER_H
#define _KERNEL_IRQ_DOVETAIL_RECORDER_H

#include <linux/percpu.h>
#include <uapi/linux/dovetail_recorder.h>

extern struct dtrec_desc dovetail_recorder_desc;
DECLARE_PER_CPU(struct dtrec_ring *, dtrec_cpu_ring);

void dtrec_set_enabled(bool on);
void dtrec_clear(void);

#endif /* _KERNEL_IRQ_DOVETAIL_RECORDER_H */
