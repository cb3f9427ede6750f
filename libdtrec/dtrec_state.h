/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pipeline state of a live target or a dump (docs/json-state.md): the
 * stages, irqs and tasks commands, decoded here once for every front
 * end through the target interface (dtrec_target.h), and printed as
 * text or as one JSON line.
 */
#ifndef DTREC_STATE_H
#define DTREC_STATE_H

#include <stdio.h>
#include "dtrec_target.h"

#define DTREC_NO_PID	(-1)

/* Hard IRQ state of a CPU, from its flag word. */
enum dtrec_hard_irqs {
	DTREC_HARD_UNKNOWN = -1,
	DTREC_HARD_OFF = 0,
	DTREC_HARD_ON = 1,
};

/* ---- stages ---- */

struct dtrec_stage_cpu {
	uint32_t cpu;
	int oob;			/* the CPU runs on the oob stage */
	int pipeline_entry;
	int inband_stalled;		/* bit 0 of the in-band owner's stall_bits */
	int oob_stalled;		/* bit 1 of current's stall_bits */
	int hard_irqs;			/* enum dtrec_hard_irqs */
	int64_t current;		/* pids; DTREC_NO_PID for none */
	int64_t inband_owner;
	int64_t task_inflight;
	int64_t rqlock_owner;
};

struct dtrec_stages {
	int oob_present;
	char *oob_name;			/* NULL when absent */
	size_t nr_cpus;
	struct dtrec_stage_cpu *cpus;	/* readable online CPUs, ascending */
};

/* ---- irqs ---- */

struct dtrec_pending_irq {
	uint32_t irq;
	char *name;			/* irqaction name, or NULL */
	int have_hwirq;
	uint64_t hwirq;
	const char *vector;		/* x86 system vector name, or NULL */
	char vecbuf[24];
	char chip[25];			/* the irq_chip's name, or empty */
};

struct dtrec_irq_log {
	int oob;
	int present;
	uint64_t index_0;
	size_t nr_pending;
	struct dtrec_pending_irq *pending;
	size_t nr_errors;
	char **errors;			/* empty: consistent */
};

struct dtrec_irq_cpu {
	uint32_t cpu;
	struct dtrec_irq_log log[2];	/* in-band, oob */
};

struct dtrec_irqs {
	unsigned int levels;
	size_t nr_cpus;
	struct dtrec_irq_cpu *cpus;
};

/* ---- tasks ---- */

/* _TLF_* flag bits, in the order the tasks command names them. */
enum { DTREC_TLF_OOB = 1, DTREC_TLF_DOVETAIL = 2, DTREC_TLF_OFFSTAGE = 4,
       DTREC_TLF_OOBTRAP = 8 };
/* TIF bits of interest. */
enum { DTREC_TIF_RETUSER = 1, DTREC_TIF_MAYDAY = 2 };

struct dtrec_task {
	int64_t pid;
	char *comm;
	uint32_t cpu;
	int cls;			/* enum dtrec_task_class */
	unsigned int tlf;		/* DTREC_TLF_* */
	unsigned int tif;		/* DTREC_TIF_* */
	int64_t inflight_cpu;		/* -1: none */
	const char *core;		/* "evl", "cobalt", or NULL */
	char *core_thread;		/* NULL: none */
	uint64_t core_state;
};

struct dtrec_tasks {
	const char *tlf_table;
	size_t nr_tasks;
	struct dtrec_task *tasks;	/* by pid, then cpu */
};

/*
 * Decode. 0 or a negative errno with a one-line message in err[]
 * (not a Dovetail kernel, unreadable memory that the whole command
 * needs, ...). What only concerns one CPU or one task is warned
 * through the target and left out.
 */
int dtrec_stages_read(const struct dtrec_target *t, struct dtrec_stages **out,
		      char *err, size_t errlen);
int dtrec_irqs_read(const struct dtrec_target *t, struct dtrec_irqs **out,
		    char *err, size_t errlen);
/* all: every task, not only Dovetail ones; table: NULL or a _TLF table name. */
int dtrec_tasks_read(const struct dtrec_target *t, int all, const char *table,
		     struct dtrec_tasks **out, char *err, size_t errlen);
/*
 * A copy of a snapshot stream (malloc'ed; dtrec_free_buf()) with a names
 * block (docs/recorder.md 5.1) from the target: the comm of the tasks
 * and the names of the pending IRQs the records mention. What the
 * target cannot read is warned and left out. NULL on error.
 */
char *dtrec_snapshot_with_target_names(const struct dtrec_target *t, const void *stream,
				       size_t len, size_t *outlen, char *err,
				       size_t errlen);
void dtrec_stages_free(struct dtrec_stages *s);
void dtrec_irqs_free(struct dtrec_irqs *q);
/*
 * Name n IRQs of the target, pending or not (the names block of a
 * snapshot a front end assembles): out[i] for irqs[i], each unknown
 * field left empty. Free with dtrec_irqs_names_free().
 */
int dtrec_irqs_name(const struct dtrec_target *t, const uint32_t *irqs, size_t n,
		    struct dtrec_pending_irq **out, char *err, size_t errlen);
void dtrec_irqs_names_free(struct dtrec_pending_irq *p, size_t n);
void dtrec_tasks_free(struct dtrec_tasks *k);

/*
 * Is the target a Dovetail kernel: 0, or a negative errno with the
 * reason ("not a Dovetail kernel (...)"). Every command above starts
 * with it (and then needs the online CPUs); the recorder commands of
 * the front ends ask it first too.
 */
int dtrec_state_check(const struct dtrec_target *t, char *err, size_t errlen);

/* Text, or one JSON line (docs/json-state.md); newline included. */
void dtrec_stages_print(FILE *out, const struct dtrec_stages *s, int json);
void dtrec_irqs_print(FILE *out, const struct dtrec_irqs *q, int json);
void dtrec_tasks_print(FILE *out, const struct dtrec_tasks *k, int json);

/*
 * One state command, options included, as every front end runs it:
 * argv[0] is "stages", "irqs" or "tasks", then --json, and for tasks
 * --all and --tlf-table NAME. Returns 0, or a negative errno with the
 * message in err[] (-EINVAL: bad command line).
 */
int dtrec_state_command(FILE *out, const struct dtrec_target *t, int argc,
			char **argv, char *err, size_t errlen);
/* Only the command line check of dtrec_state_command(): 0 or -EINVAL. */
int dtrec_state_check_args(int argc, char **argv, char *err, size_t errlen);
/* The same into a malloc'ed string (dtrec_free_buf), NULL on error. */
char *dtrec_state_command_str(const struct dtrec_target *t, int argc,
			      char **argv, char *err, size_t errlen);

/*
 * The state the hang report uses (docs/report.md "Where the state comes
 * from"): what stages, irqs and tasks --all print, into l.
 */
struct dtrec_live;
int dtrec_state_live(const struct dtrec_target *t, struct dtrec_live *l,
		     char *err, size_t errlen);

#endif /* DTREC_STATE_H */
