/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crash I/O layer: offsets resolved once from DWARF, checked memory
 * reads, per-CPU addresses and the task walk. Works in a full session
 * and in `crash --minimal`, where crash's own task table and per-CPU
 * offsets are not set up, so nothing here relies on them.
 */
#ifndef CE_KREAD_H
#define CE_KREAD_H

#include <stdint.h>
#include "decode.h"

#define CE_MAX_CPUS	8192
#define CE_MAX_TASKS	(1 << 20)

struct ce_koff {
	int ready;
	char release[65];
	const struct ce_ktable *kt;

	/* task_struct and thread_info */
	long task_size, task_pid, task_comm, task_tasks, task_stall_bits;
	long task_cpu, task_ti, ti_cpu, ti_status, ti_flags, ti_oob_thread;
	long task_signal, signal_thread_head, task_thread_node, task_thread_group;

	/* per-CPU preempt count and current task */
	long hot_pc, hot_cur;
	long rq_curr;

	/* irq_pipeline and stages */
	long ipd_stages, isd_size, isd_log, isd_stage, log_index_0, log_map;
	long ipd_inflight, ipd_rqlock;
	long stage_index, stage_name;
	struct ce_map_layout map;
	int map_ok;
	char map_err[96];

	/* irq_desc */
	long desc_size, desc_action, desc_irq_data, irqd_hwirq, irqd_domain;
	long action_name;
	long mt_root, mr_pivot, mr_slot, ma_pivot, ma_slot;
	int mr_npivots, mr_nslots, ma_npivots, ma_nslots;
	long md_slot;
	int md_nslots;
	long xa_head, xanode_shift, xanode_slots;
	int xanode_nslots;

	/* utsname */
	long uts_name, uts_release;

	/* CPUs */
	unsigned int nr_cpus;			/* highest reported CPU + 1 */
	uint64_t *pcpu_off;			/* indexed by CPU */
	unsigned char *possible;		/* CPU is reported (online) */
};

extern struct ce_koff ko;

int ce_koff_init(void);			/* once per session */
void ce_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int ce_read(uint64_t addr, void *buf, size_t len);
int ce_read_u64(uint64_t addr, uint64_t *v);
int ce_read_u32(uint64_t addr, uint32_t *v);
int ce_read_ptr(uint64_t addr, uint64_t *v);
int ce_read_str(uint64_t addr, char *buf, size_t len);	/* NUL-terminated */
int ce_sym(const char *name, uint64_t *addr);		/* 0 if present */

/* Address of a per-CPU symbol or NULL-like 0 when it cannot be resolved. */
int ce_percpu(const char *sym, unsigned int cpu, uint64_t *addr);

int ce_task_pid(uint64_t task, int32_t *pid);

/* Call fn for every task (processes and their threads); stops on non-zero. */
typedef int (*ce_task_fn)(void *ctx, uint64_t task, const uint8_t *buf);
int ce_for_each_task(ce_task_fn fn, void *ctx);
int ce_read_task(uint64_t task, uint8_t *buf);	/* ko.task_size bytes */

/* Field of a task buffer read by ce_read_task; 0 when out of bounds. */
uint64_t ce_tfield(const uint8_t *buf, long off, size_t size);

/* irqdesc.c */
int ce_irqdesc_init(void);
uint64_t ce_irq_to_desc(uint32_t irq);
void ce_irq_info(uint32_t irq, struct ce_irq_info *info);

/* Saved RFLAGS per CPU from the dump file, -1 when unknown. */
int ce_cpu_rflags(unsigned int cpu, uint64_t *rflags);
const char *ce_rflags_error(void);

#endif /* CE_KREAD_H */
