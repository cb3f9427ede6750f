/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pure decode layer of the crash extension: everything that turns raw
 * values read from a dump into the state the commands report. Nothing
 * here talks to crash, so it can be unit-tested and fuzzed on its own.
 */
#ifndef CE_DECODE_H
#define CE_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* preempt_count bits, identical in every Dovetail version examined. */
#define CE_PIPELINE_MASK	0x01000000U
#define CE_STAGE_MASK		0x02000000U
#define CE_INBAND_STALL_BIT	0
#define CE_OOB_STALL_BIT	1
#define CE_X86_EFLAGS_IF	0x200ULL

#define CE_NO_PID		(-1)

/* ---- kernel version tables (macros DWARF does not carry) ---- */

struct ce_ktable {
	const char *name;		/* "x86-6.6", reported as tlf_table */
	unsigned int min_major, min_minor;
	uint32_t tlf_oob, tlf_dovetail, tlf_offstage, tlf_oobtrap;
	int tif_mayday, tif_retuser;
};

int ce_parse_release(const char *release, unsigned int *major,
		     unsigned int *minor);
const struct ce_ktable *ce_ktable_for(unsigned int major, unsigned int minor);
const struct ce_ktable *ce_ktable_named(const char *name);
/* Macro name of an x86 system vector, else "0x%02x" in buf. */
const char *ce_vector_name(uint64_t vector, char *buf, size_t len);

/*
 * Strings from the dump are bytes; the Python front ends decode them
 * as UTF-8 with errors="replace". ce_utf8_clean() does the same (one
 * U+FFFD per maximal invalid subpart) so that every front end prints
 * and escapes the same characters. out needs 3 * rawlen + 1 bytes.
 */
void ce_utf8_clean(const char *raw, size_t rawlen, char *out, size_t outlen);
size_t ce_utf8_len(const char *s);		/* code points */
#define CE_CLEAN_LEN(n)	(3 * (n) + 1)

/* ---- stages ---- */

struct ce_stage_raw {
	uint32_t cpu;
	int have_pc;
	uint32_t preempt_count;
	int32_t current_pid;		/* CE_NO_PID: unreadable */
	int have_cur_stall;
	uint64_t cur_stall_bits;
	int32_t owner_pid;		/* rq->curr, the in-band owner */
	int have_owner_stall;
	uint64_t owner_stall_bits;
	int32_t inflight_pid;		/* CE_NO_PID: none */
	int32_t rqlock_pid;
	int have_rflags;
	uint64_t rflags;
};

enum ce_tristate { CE_UNKNOWN = -1, CE_OFF = 0, CE_ON = 1 };

struct ce_stage_view {
	uint32_t cpu;
	int oob;			/* stage is oob */
	int pipeline_entry;
	int inband_stalled;
	int32_t inband_owner;
	int oob_stalled;
	int hard_irqs;			/* enum ce_tristate */
	int32_t current_pid;
	int32_t inflight_pid;
	int32_t rqlock_pid;
};

void ce_stage_decode(const struct ce_stage_raw *r, struct ce_stage_view *v);

/* ---- pending-IRQ log ---- */

#define CE_WORD		8		/* BITS_PER_LONG / 8 on the supported arches */
#define CE_MAX_MAP	(1U << 20)	/* MAXSMP x86 maps are ~100 KiB */

/* Where the levels of struct irq_event_map live, from DWARF. */
struct ce_map_layout {
	unsigned int levels;		/* 2, 3 or 4 */
	size_t size;			/* sizeof(struct irq_event_map) */
	size_t i1_off, i1_words;	/* levels >= 3 */
	size_t i2_off, i2_words;	/* levels == 4 */
	size_t flat_off, flat_words;
};

int ce_map_layout_check(const struct ce_map_layout *l, char *err, size_t len);

/* A decoded log; pending and errs grow as needed (ce_irqlog_reset frees). */
struct ce_irqlog {
	size_t nr_pending, pending_cap;
	uint32_t *pending;
	int consistent;
	size_t nr_errs, errs_cap;
	char **errs;
	int oom;
};

void ce_irqlog_init(struct ce_irqlog *log);	/* empty, consistent */
void ce_irqlog_reset(struct ce_irqlog *log);	/* free and re-init */
void ce_irqlog_error(struct ce_irqlog *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Decode one log from index_0 and the raw bytes of its map. Every set
 * bit of flat is reported; every level is cross-checked against the
 * one below it, a mismatch clears ->consistent and adds an error.
 */
void ce_irqlog_decode(const struct ce_map_layout *l, uint64_t index_0,
		      const uint8_t *map, size_t len, struct ce_irqlog *out);

/* ---- tasks ---- */

enum ce_task_class {
	CE_TC_INBAND = 0,
	CE_TC_MIGRATING,
	CE_TC_OOB_RUNNING,
	CE_TC_OOB_BLOCKED,
	CE_TC_OOB_TRAPPED,
};

const char *ce_task_class_name(int cls);
/* running_oob: the task is its CPU's current task and that CPU runs oob. */
int ce_task_classify(const struct ce_ktable *t, uint32_t local_flags,
		     int running_oob);
int ce_task_has_tlf(const struct ce_ktable *t, uint32_t local_flags);

#define CE_COMM_LEN 16

struct ce_task {
	int32_t pid;
	char comm[CE_CLEAN_LEN(CE_COMM_LEN)];	/* cleaned UTF-8 */
	uint32_t cpu;
	int cls;
	uint32_t local_flags;
	uint64_t ti_flags;
	int32_t inflight_cpu;		/* -1: none */
	int have_core;
	char core_name[8];		/* "evl", "cobalt" */
	int have_thread;
	char core_thread[CE_CLEAN_LEN(64)];
	uint64_t core_state;
};

int ce_task_cmp(const void *a, const void *b);

/* ---- output, shared by text and --json ---- */

void ce_json_str(FILE *out, const char *s);	/* NULL prints null */

void ce_emit_stages(FILE *out, int json, int oob_present,
		    const char *oob_name, const struct ce_stage_view *v,
		    size_t n);

struct ce_irq_info {
	uint32_t irq;
	const char *name;		/* NULL: no descriptor or no action */
	int have_hwirq;
	uint64_t hwirq;
	const char *vector;		/* NULL unless an x86 system vector */
	char namebuf[CE_CLEAN_LEN(64)];
	char vecbuf[24];
};

struct ce_irq_stage_out {
	int oob;
	int present;
	uint64_t index_0;
	const struct ce_irqlog *log;
	const struct ce_irq_info *info;	/* log->nr_pending entries */
	const char *error;		/* stage data unreadable: sole error */
};

void ce_emit_irqs_begin(FILE *out, int json, unsigned int levels);
/* Text form: one CPU's lines; JSON: one element of "cpus". */
void ce_emit_irqs_cpu(FILE *out, int json, int first, uint32_t cpu,
		      const struct ce_irq_stage_out *st, size_t nst);
void ce_emit_irqs_end(FILE *out, int json);

void ce_emit_tasks(FILE *out, int json, const struct ce_ktable *t,
		   const struct ce_task *tasks, size_t n);

#endif /* CE_DECODE_H */
