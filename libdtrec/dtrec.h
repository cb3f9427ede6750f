/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdtrec: decode, merge, filter, audit and export Dovetail recorder
 * snapshots. One implementation for every front end: the CLI and the
 * crash extension link it, the gdb and drgn scripts load libdtrec.so
 * through ctypes. No function here prints to stdout or exits; errors
 * come back as a negative errno plus a one-line message in err[].
 */
#ifndef DTREC_H
#define DTREC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/dovetail_recorder.h>

#define DTREC_ERRLEN 256

/* Per-record verdict of the consistency check. */
enum dtrec_status {
	DTREC_OK = 0,
	DTREC_TORN,		/* seq == 0: written when the snapshot/crash hit */
	DTREC_STALE,		/* seq from an older lap: overwritten in flight */
};

/* One decoded record, in merged (time) order. */
struct dtrec_ev {
	uint64_t pos;		/* position in its CPU's ring (0-based) */
	uint64_t ts;		/* raw cycles */
	uint64_t ns;		/* ts converted with the snapshot clock, from ref */
	uint32_t cpu;
	uint32_t pid;
	uint32_t arg;
	uint32_t arg2;
	uint16_t event;
	uint16_t state;
	uint8_t status;		/* enum dtrec_status */
};

struct dtrec_cpu_info {
	uint32_t cpu;
	uint32_t nr_records;
	uint64_t head;		/* records ever written on this CPU */
	uint64_t lost;		/* head - nr_records when wrapped, else 0 */
	uint64_t torn;
	uint64_t stale;
};

/* A task's comm and an IRQ's names, from a version 2 names block. */
struct dtrec_comm {
	uint32_t pid;
	char comm[17];
};

struct dtrec_irq_name {
	uint32_t irq;
	uint32_t hwirq;			/* 0xffffffff: unknown */
	char name[33], chip[25], vector[33];
};

/*
 * A worst case the kernel captured (snapshot version 3, docs/maxima.md):
 * the longest section of its metric on its CPU, and the records of its
 * max area (the section and context before it), decoded.
 */
struct dtrec_max {
	uint32_t cpu, metric;		/* enum dtrec_metric */
	uint32_t pid, irq;		/* irq: waits only */
	uint32_t flags;			/* DTREC_MAX_CUT */
	uint64_t length;		/* cycles, as the kernel measured */
	uint64_t start_ts, end_ts, start_ns, end_ns;
	uint64_t start_pos, end_pos, first_pos;
	size_t nr;
	struct dtrec_ev *ev;		/* its records, oldest first */
};

/* A parsed snapshot: header fields and every valid-looking event merged. */
struct dtrec_snapshot {
	struct dtrec_snap_header hdr;	/* zero past a short header_size */
	uint32_t nr_cpus;
	struct dtrec_cpu_info *cpus;
	size_t nr_events;
	struct dtrec_ev *events;	/* sorted by ts, then cpu, then pos */
	size_t nr_comms, nr_irq_names;	/* the names block, if any */
	struct dtrec_comm *comms;	/* sorted by pid */
	struct dtrec_irq_name *irq_names;	/* sorted by irq */
	size_t nr_maxima;		/* the max block, if any */
	struct dtrec_max *maxima;	/* by cpu, then metric */
	/*
	 * Non-zero for dtrec_max_view(): the events are the records of
	 * the captured worst cases of these metrics (1 << metric).
	 */
	uint32_t max_view;
};

/* "oob_stall", "hard_off", "stall_pending", "wait_inband", "wait_oob". */
const char *dtrec_metric_name(unsigned int metric);
/* A metric by name, or -EINVAL. */
int dtrec_metric_parse(const char *name);
/* A max area's section length in ns, by the snapshot's clock. */
uint64_t dtrec_max_ns(const struct dtrec_max *m);
/*
 * The captured worst cases as a snapshot of their own: the records of
 * the max areas of the metrics in mask (1 << metric; 0: all), as
 * sparse windows of each CPU's ring, so that every command (trace,
 * stats, audit, report, the exports) runs on them unchanged and says
 * it shows captured worst cases. -ENOENT (err[] set) when the snapshot
 * holds none of them. Free *out with dtrec_free().
 */
int dtrec_max_view(const struct dtrec_snapshot *s, uint32_t mask,
		   struct dtrec_snapshot **out, char *err, size_t errlen);
/*
 * The "--max[=METRIC[,METRIC]]" word of a recorder command: removed
 * from argv (argc updated) and, when present, *s replaced by its max
 * view, *owned set to the view for the caller to dtrec_free(). 0 when
 * absent too; a negative errno with err[] set for a bad metric or a
 * snapshot without captured worst cases.
 */
int dtrec_max_words(const struct dtrec_snapshot **s, int *argc, char **argv,
		    struct dtrec_snapshot **owned, char *err, size_t errlen);
/* The captured worst cases, a line each (text) or a JSON array. */
void dtrec_print_maxima(FILE *out, const struct dtrec_snapshot *s, int json);

/* The comm the snapshot names pid with, or NULL. */
const char *dtrec_comm(const struct dtrec_snapshot *s, uint32_t pid);
/* The names the snapshot gives an IRQ, or NULL. */
const struct dtrec_irq_name *dtrec_irq_name(const struct dtrec_snapshot *s, uint32_t irq);
/*
 * Append a names block to a snapshot stream (a front end fills it from
 * the dump or live target it assembled the snapshot from): *stream is
 * reallocated, its version set to 2. An IRQ's hwirq is 0xffffffff when
 * unknown; strings are cut to their field. 0 or a negative errno.
 */
int dtrec_snapshot_add_names(void **stream, size_t *len,
			     const struct dtrec_snap_task *tasks, size_t nr_tasks,
			     const struct dtrec_snap_irq *irqs, size_t nr_irqs,
			     char *err, size_t errlen);

/* Parse a snapshot stream (debugfs file or front-end extraction). */
int dtrec_parse(const void *buf, size_t len, struct dtrec_snapshot **out,
		char *err, size_t errlen);
void dtrec_free(struct dtrec_snapshot *s);
/*
 * Read a snapshot stream from f (a file, stdin, a pipe) into a malloc'ed
 * buffer for dtrec_parse(): the header is checked before anything else
 * is read, each CPU block's header before its records, and nothing past
 * the last block is read, so memory never exceeds what a valid header
 * describes (docs/recorder.md, section 8) and a non-snapshot costs 136
 * bytes. Free *out with dtrec_free_buf().
 */
int dtrec_read_snapshot(FILE *f, void **out, size_t *outlen, char *err,
			size_t errlen);

/*
 * Build a snapshot stream from a dump or a live target: desc is the
 * raw descriptor (dovetail_recorder_desc) as read from memory, and
 * read() fetches memory of the target (one call per ring). The
 * descriptor is validated (magic, version, sizes, CPU count, ring
 * magic and cpu field) before any ring is read. Returns a malloc'ed
 * stream in *out and *outlen.
 */
typedef int (*dtrec_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);
int dtrec_build_snapshot(const void *desc, size_t desc_len, dtrec_read_fn read,
			 void *ctx, const char *release, void **out,
			 size_t *outlen, char *err, size_t errlen);
void dtrec_free_buf(void *p);
/*
 * The first 16 bytes of a target's descriptor (magic, version,
 * desc_size): checks them against the format's limits and gives the
 * number of bytes to read for the whole descriptor, so that no front
 * end reads a size a corrupt descriptor claims.
 */
int dtrec_desc_size(const void *head, size_t len, uint32_t *size,
		    char *err, size_t errlen);

/* Event selection shared by every front end. */
struct dtrec_filter {
	uint64_t cpu_mask;	/* 0: all CPUs */
	uint32_t class_mask;	/* 0: all classes (1 << enum dtrec_class) */
	int64_t pid;		/* -1: any */
	uint64_t from_ns, to_ns;	/* to_ns 0: no upper bound */
	uint64_t last;		/* 0: all, else the last N selected events */
	int include_bad;	/* also list torn and stale records (flagged) */
};

void dtrec_filter_init(struct dtrec_filter *f);
/* Parse "--cpu 1,3 --class irq,stage --pid 12 --from 1000 --to 2000 --last 50". */
int dtrec_filter_parse(struct dtrec_filter *f, int argc, char **argv,
		       char *err, size_t errlen);
int dtrec_filter_match(const struct dtrec_filter *f, const struct dtrec_ev *e);

const char *dtrec_event_name(unsigned int event);
/* Why the recorder froze: desc.freeze_reason as a word. */
const char *dtrec_freeze_name(unsigned int reason);
const char *dtrec_class_name(unsigned int cls);
int dtrec_event_class(unsigned int event);
/* "IS|OS|OOB|PIPE|HOFF|NMI|HIRQ|TOOB"-style flags into buf. */
const char *dtrec_state_str(uint16_t state, char *buf, size_t len);

/*
 * Output. Each writes to a FILE; dtrec_*_str variants return a malloc'ed
 * string (for ctypes), freed with dtrec_free_buf().
 */
int dtrec_print_trace(FILE *out, const struct dtrec_snapshot *s,
		      const struct dtrec_filter *f, int json);
char *dtrec_trace_str(const struct dtrec_snapshot *s,
		      const struct dtrec_filter *f, int json);
int dtrec_print_stats(FILE *out, const struct dtrec_snapshot *s, int json);
#include "dtrec_json.h"
#include "dtrec_state.h"

/* Audit (docs/audit.md). Returns the number of violations, < 0 on error. */
struct dtrec_audit_opts {
	uint64_t max_oob_stall_ns;	/* thresholds; 0: defaults */
	uint64_t max_inband_stall_pending_ns;
	uint64_t max_hard_off_ns;
	int context;			/* events shown around a violation */
};
int dtrec_audit(FILE *out, const struct dtrec_snapshot *s,
		const struct dtrec_audit_opts *o, int json);
void dtrec_audit_opts_init(struct dtrec_audit_opts *o);
/* "--context N --max-oob-stall NS --max-inband-stall-pending NS --max-hard-off NS". */
int dtrec_audit_opts_parse(struct dtrec_audit_opts *o, int argc, char **argv,
			   char *err, size_t errlen);
/*
 * The audit with its options as words, into a malloc'ed string
 * (dtrec_free_buf); *violations gets the count. NULL on error.
 */
char *dtrec_audit_str(const struct dtrec_snapshot *s, int argc, char **argv,
		      int json, int *violations, char *err, size_t errlen);

/*
 * Hang report (docs/report.md): per CPU, the state at freeze time
 * (stage, stall bits, hard IRQs, pending IRQs and their wait, tasks in
 * flight, the last events) and verdicts naming the likely culprit.
 *
 * The state is derived from the records. A front end that reads a dump
 * or a live target can add what it sees there (struct dtrec_live,
 * filled through the dtrec_live_* calls below); it then takes
 * precedence over what the records imply, and the records still give
 * the since-when of every condition.
 */
struct dtrec_live;

/* Tri-state values of dtrec_live_cpu(): 1 yes, 0 no, -1 unknown. */
#define DTREC_LIVE_UNKNOWN	(-1)

struct dtrec_live *dtrec_live_new(void);
void dtrec_live_free(struct dtrec_live *l);
/*
 * One CPU of the target. stage_oob, pipeline_entry, inband_stalled,
 * oob_stalled, hard_irqs_off: 1, 0 or DTREC_LIVE_UNKNOWN. Pids: -1 for
 * none/unknown. inband_stalled is the in-band owner's (rq->curr) bit,
 * oob_stalled current's, as in the stages command. Calling it again
 * for the same CPU replaces the values (pending IRQs are kept).
 */
int dtrec_live_cpu(struct dtrec_live *l, uint32_t cpu, int stage_oob,
		   int pipeline_entry, int inband_stalled, int oob_stalled,
		   int hard_irqs_off, int64_t current_pid, int64_t inband_owner,
		   int64_t task_inflight);
/* An IRQ pending in a CPU's log: stage 0 in-band, 1 oob; name may be NULL. */
int dtrec_live_pending(struct dtrec_live *l, uint32_t cpu, unsigned int stage,
		       uint32_t irq, const char *name);
/*
 * The x86 system vector name of a pending IRQ (the irqs command's
 * "vector"), so that the report knows an IPI; call after
 * dtrec_live_pending() for the same IRQ.
 */
int dtrec_live_vector(struct dtrec_live *l, uint32_t cpu, unsigned int stage,
		      uint32_t irq, const char *vector);
/* An IPI vector name (RESCHEDULE_VECTOR, CALL_FUNCTION_SINGLE_VECTOR, ...). */
int dtrec_vector_is_ipi(const char *vector);
/*
 * For a report without records: the kernel release, and why there is
 * no record ("recorder compiled out", ...). Strings are copied.
 */
int dtrec_live_info(struct dtrec_live *l, const char *release, const char *norec);

/* The Dovetail class of a task (docs/json-state.md "tasks"). */
enum dtrec_task_class {
	DTREC_TASK_INBAND = 0,
	DTREC_TASK_MIGRATING,
	DTREC_TASK_OOB_RUNNING,
	DTREC_TASK_OOB_BLOCKED,
	DTREC_TASK_OOB_TRAPPED,
};
/* "inband", "migrating", "oob-running", "oob-blocked", "oob-trapped". */
const char *dtrec_task_class_name(int cls);

/* A task: comm (UTF-8) may be NULL and is copied; cls: enum dtrec_task_class. */
int dtrec_live_task(struct dtrec_live *l, int64_t pid, const char *comm,
		    uint32_t cpu, int cls);

struct dtrec_report_opts {
	uint64_t last;			/* events per CPU page; 0: 10 */
	uint64_t oob_stall_ns;		/* verdict thresholds; 0: defaults */
	uint64_t inband_stall_ns;	/* in-band stalled with IRQs pending */
	uint64_t migrating_ns;		/* task stuck migrating */
	uint64_t hard_off_ns;		/* hard IRQs off */
};

void dtrec_report_opts_init(struct dtrec_report_opts *o);
/* "--last N --oob-stall NS --inband-stall NS --migrating NS --hard-off NS". */
int dtrec_report_opts_parse(struct dtrec_report_opts *o, int argc, char **argv,
			    char *err, size_t errlen);
/*
 * Returns the number of verdicts naming a culprit (0: no hang
 * signature), or a negative errno with a one-line message in err[]
 * (e.g. a snapshot without a single valid record and no live state).
 * live may be NULL; s may be NULL, or hold no valid record, when live
 * is given: the report then stands on the state alone (durations
 * unknown, docs/report.md).
 */
int dtrec_report(FILE *out, const struct dtrec_snapshot *s,
		 const struct dtrec_live *live, const struct dtrec_report_opts *o,
		 int json, char *err, size_t errlen);
/* The same into a malloc'ed string (free with dtrec_free_buf); NULL on error. */
char *dtrec_report_str(const struct dtrec_snapshot *s,
		       const struct dtrec_live *live,
		       const struct dtrec_report_opts *o, int json,
		       int *verdicts, char *err, size_t errlen);

/* Exports. */
int dtrec_export_tracedat(FILE *out, const struct dtrec_snapshot *s,
			  char *err, size_t errlen);
int dtrec_export_chrome(FILE *out, const struct dtrec_snapshot *s,
			const struct dtrec_filter *f);
int dtrec_export_svg(FILE *out, const struct dtrec_snapshot *s,
		     const struct dtrec_filter *f);
/*
 * The one line for an export refused by its size bound (-E2BIG from
 * dtrec_export_svg(): the window the filter chose holds more records
 * than an SVG shows), naming the options; NULL for any other rc.
 */
const char *dtrec_export_limit(const char *format, int rc);
/*
 * The export formats, named once: dtrec_export_check() refuses an unknown
 * name, or filters given to tracedat (0 or -EINVAL with err[] set);
 * dtrec_export_format() writes s to f in that format.
 */
int dtrec_export_check(const char *fmt, int nfilter, char *err, size_t errlen);
int dtrec_export_format(FILE *f, const char *fmt, const struct dtrec_snapshot *s,
			const struct dtrec_filter *flt, char *err, size_t errlen);
/*
 * The export command of every front end: "--format tracedat|chrome|svg
 * -o FILE [filters]" (or "FORMAT FILE [filters]"), written to FILE,
 * whose name goes to path. 0 or a negative errno with err[] set.
 */
int dtrec_export_command(const struct dtrec_snapshot *s, int argc, char **argv,
			 char *path, size_t pathlen, char *err, size_t errlen);

#endif /* DTREC_H */
