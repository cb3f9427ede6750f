/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Dovetail pipeline flight recorder: the binary format shared by the
 * kernel writer, the debugfs snapshot and every offline decoder.
 *
 * Everything a decoder needs is reachable from one global symbol,
 * dovetail_recorder_desc (also published in VMCOREINFO), so no DWARF
 * is required. All integers are in the byte order of the traced CPU.
 * See docs/recorder.md for the normative description.
 */
#ifndef _UAPI_LINUX_DOVETAIL_RECORDER_H
#define _UAPI_LINUX_DOVETAIL_RECORDER_H

#include <linux/types.h>

/* "DVTLREC1" and "DVTLRING" read as little-endian 64-bit words. */
#define DTREC_DESC_MAGIC	0x314345524c545644ULL
#define DTREC_RING_MAGIC	0x474e49524c545644ULL
#define DTREC_FORMAT_VERSION	1

/* Upper bound of the descriptor's ring table; CPUs past it are not traced. */
#define DTREC_MAX_CPUS		256

/*
 * Limits of the format (docs/recorder.md). The kernel never allocates
 * a ring outside [DTREC_MIN_RECORDS, DTREC_MAX_RECORDS]; decoders
 * refuse a descriptor or a snapshot beyond the maxima before they
 * allocate or read anything, so a corrupt one costs nothing. A record
 * stride above 32 bytes leaves room for a wider layout described by
 * the descriptor's off_* fields; snapshots are at most that wide too.
 */
#define DTREC_MIN_RECORDS	64U		/* kernel ring minimum */
#define DTREC_MAX_RECORDS	(1U << 20)	/* records per ring */
#define DTREC_MAX_REC_SIZE	64U		/* record stride, bytes */
#define DTREC_MAX_RING_HDR	4096U		/* ring header, bytes */
#define DTREC_MAX_DESC_SIZE	65536U		/* dtrec_desc.desc_size */
#define DTREC_MAX_SNAP_HDR	65536U		/* dtrec_snap_header.header_size */

/*
 * One event, 32 bytes. seq is written 0 before the payload and
 * (position + 1) after it: a slot whose seq is 0 was being written
 * when the snapshot or the crash happened (torn), and a slot whose
 * seq does not match the position its index implies was overwritten.
 */
struct dtrec_record {
	__u64 seq;
	__u64 ts;		/* raw cycle counter (TSC, CNTVCT) */
	__u32 pid;		/* current->pid on the CPU that recorded */
	__u32 arg;		/* event argument: IRQ number, pid, ... */
	__u32 arg2;		/* second argument, per event */
	__u16 event;		/* enum dtrec_event */
	__u16 state;		/* DTREC_ST_* sampled after the transition */
};

/* Pipeline state sampled into every record (post-transition). */
#define DTREC_ST_INBAND_STALLED	0x0001	/* stall_bits bit 0 of current */
#define DTREC_ST_OOB_STALLED	0x0002	/* stall_bits bit 1 of current */
#define DTREC_ST_STAGE_OOB	0x0004	/* STAGE bit of preempt_count */
#define DTREC_ST_IN_PIPELINE	0x0008	/* PIPELINE bit of preempt_count */
#define DTREC_ST_HARD_OFF	0x0010	/* hard IRQs disabled */
#define DTREC_ST_IN_NMI		0x0020	/* NMI bits of preempt_count */
#define DTREC_ST_IN_HARDIRQ	0x0040	/* HARDIRQ bits of preempt_count */
#define DTREC_ST_TASK_OOB	0x0080	/* current has _TLF_OOB */

/*
 * Event classes, one enable bit each in dtrec_desc.event_mask.
 * DTREC_CLASS(ev) maps an event to its class.
 */
enum dtrec_class {
	DTREC_C_INBAND_STALL = 0,	/* in-band stall/unstall */
	DTREC_C_OOB_STALL,		/* oob stall/unstall */
	DTREC_C_STAGE,			/* stage switches */
	DTREC_C_PIPELINE,		/* pipeline entry/exit */
	DTREC_C_IRQ_LOG,		/* IRQ posted to, played from a log */
	DTREC_C_OOB_HANDLER,		/* oob handler entry/exit */
	DTREC_C_TASK,			/* alternate scheduling */
	DTREC_C_MISC,			/* freeze marks, user marks */
	DTREC_NR_CLASSES
};

#define DTREC_ALL_CLASSES	((1U << DTREC_NR_CLASSES) - 1)

/*
 * Events. arg/arg2 meaning per event:
 *  IRQ_POST:		arg = irq, arg2 = stage index | DTREC_POST_COALESCED
 *  IRQ_PLAY:		arg = irq, arg2 = stage index
 *  OOB_HANDLER_*:	arg = irq
 *  PIPELINE_ENTRY/EXIT: arg = 0 (the IRQ is seen in the POST or handler)
 *  LEAVE_INBAND:	arg = pid leaving in-band (task_inflight)
 *  FINALIZE_OOB:	arg = task_inflight pid being handed to the core
 *  SWITCHED_OOB:	arg = pid now running oob (first run on oob)
 *  LEAVE_OOB:		arg = pid dropping _TLF_OOB
 *  RESUME_INBAND:	arg = pid resuming in-band, arg2 = rqlock_owner pid
 *  OOB_SWITCH:		arg = prev pid, arg2 = next pid | DTREC_CSW_LEAVE_INBAND
 *  INBAND_TAIL:	arg = pid finishing oob->in-band in the context switch
 *  NMI_RESTORE:	arg = stall_bits restored on NMI exit
 *  FREEZE:		arg = enum dtrec_freeze_reason
 *  MARK:		arg, arg2 = caller's values (fixture, tests)
 */
enum dtrec_event {
	DTREC_EV_NONE = 0,
	DTREC_EV_INBAND_STALL,
	DTREC_EV_INBAND_UNSTALL,
	DTREC_EV_OOB_STALL,
	DTREC_EV_OOB_UNSTALL,
	DTREC_EV_SWITCH_OOB,
	DTREC_EV_SWITCH_INBAND,
	DTREC_EV_PIPELINE_ENTRY,
	DTREC_EV_PIPELINE_EXIT,
	DTREC_EV_IRQ_POST,
	DTREC_EV_IRQ_PLAY,
	DTREC_EV_OOB_HANDLER_ENTRY,
	DTREC_EV_OOB_HANDLER_EXIT,
	DTREC_EV_LEAVE_INBAND,
	DTREC_EV_FINALIZE_OOB,
	DTREC_EV_SWITCHED_OOB,
	DTREC_EV_LEAVE_OOB,
	DTREC_EV_RESUME_INBAND,
	DTREC_EV_OOB_SWITCH,
	DTREC_EV_INBAND_TAIL,
	DTREC_EV_NMI_RESTORE,
	DTREC_EV_FREEZE,
	DTREC_EV_MARK,
	DTREC_NR_EVENTS
};

#define DTREC_POST_COALESCED	0x100	/* IRQ was already pending */
#define DTREC_CSW_LEAVE_INBAND	0x80000000U

enum dtrec_freeze_reason {
	DTREC_FREEZE_DEBUGGER = 0,	/* desc.frozen written from outside */
	DTREC_FREEZE_OOPS,		/* irq_pipeline_oops(): oops or panic */
	DTREC_FREEZE_DEBUGFS,
	DTREC_FREEZE_API,		/* dovetail_recorder_freeze[_value]() */
	DTREC_FREEZE_THRESHOLD,		/* a section crossed its metric's threshold */
};

/*
 * Worst-case capture. Per CPU and per metric the recorder keeps the
 * longest section it saw, measured with the ring clock by the same
 * rules as libdtrec's interval model (docs/recorder.md, "Maxima"),
 * and a copy of its records plus context before it in a max area that
 * later records never overwrite.
 */
enum dtrec_metric {
	DTREC_M_OOB_STALL = 0,		/* oob stage stalled */
	DTREC_M_HARD_OFF,		/* hard IRQs off, as the records show */
	DTREC_M_STALL_PENDING,		/* in-band stalled with IRQs in its log */
	DTREC_M_WAIT_INBAND,		/* one IRQ from post to play, in-band log */
	DTREC_M_WAIT_OOB,		/* the same, oob log */
	DTREC_NR_METRICS
};

/* Format limits: metrics a descriptor may carry, records per area. */
#define DTREC_MAX_METRICS	8
#define DTREC_MAX_AREA_RECORDS	4096U

/* struct dtrec_max_area.flags */
#define DTREC_MAX_CUT		0x1	/* the section began before records[0] */

/*
 * One max area: this header, then area_records records (nr of them
 * valid, oldest first, ring positions first_pos .. first_pos + nr - 1).
 * gen is odd while the writer updates the area: a reader that sees it
 * odd, or changed across its copy, has a torn area.
 */
struct dtrec_max_area {
	__u64 gen;
	__u64 length;		/* end_ts - start_ts, cycles; 0: none yet */
	__u64 start_ts;		/* first record of the section */
	__u64 end_ts;		/* the record that ends it (last, hard-off) */
	__u64 start_pos;	/* ring positions of those two records */
	__u64 end_pos;
	__u64 first_pos;	/* ring position of records[0] */
	__u32 nr;		/* valid records */
	__u32 metric;		/* enum dtrec_metric */
	__u32 cpu;
	__u32 pid;		/* current at the start of the section */
	__u32 irq;		/* waits: the IRQ; else 0 */
	__u32 flags;		/* DTREC_MAX_* */
};

/*
 * Per-CPU ring: this header, then nr_records records. head counts
 * every record ever reserved on that CPU; the newest position is
 * head - 1 and slot(p) = p & (nr_records - 1).
 */
struct dtrec_ring {
	__u64 magic;		/* DTREC_RING_MAGIC */
	__u64 head;
	__u32 cpu;
	__u32 nr_records;	/* power of two */
	__u64 reserved[5];
};

/*
 * The descriptor. Field offsets of the record and of the ring header
 * are carried so that a decoder never depends on this header's
 * version beyond the magic and the version number.
 */
struct dtrec_desc {
	__u64 magic;		/* DTREC_DESC_MAGIC */
	__u32 version;		/* DTREC_FORMAT_VERSION */
	__u32 desc_size;	/* sizeof(struct dtrec_desc) */
	__u32 rec_size;		/* sizeof(struct dtrec_record) */
	__u32 ring_hdr_size;	/* sizeof(struct dtrec_ring) */
	__u32 nr_cpus;		/* valid entries in ring[] */
	__u32 nr_records;	/* records per ring, power of two */
	__u32 event_mask;	/* enabled classes (1 << enum dtrec_class) */
	__u32 frozen;		/* non-zero: writers drop events */
	__u32 freeze_reason;	/* enum dtrec_freeze_reason */
	__u32 freeze_cpu;
	__u64 clock_hz;		/* ts ticks per second */
	__u64 ref_cycles;	/* ts value ... */
	__u64 ref_ns;		/* ... at this local_clock() time */
	__u16 off_seq, off_ts, off_pid, off_arg;
	__u16 off_arg2, off_event, off_state, off_ring_head;
	__u16 off_ring_cpu, off_ring_nr, off_ring_recs, pad0;
	__u32 overhead_ps;	/* calibrated cost of one event, picoseconds */
	__u64 ring[DTREC_MAX_CPUS];	/* address of each CPU's struct dtrec_ring */
	__u64 ring_bytes[DTREC_MAX_CPUS];	/* size of each ring allocation */
	/*
	 * From here on: worst-case capture. A descriptor that ends before
	 * max_cpu[] (desc_size) comes from a recorder without it.
	 */
	__u64 max_cpu[DTREC_MAX_CPUS];	/* each CPU's max areas, one block */
	__u32 max_on;		/* non-zero: maxima are tracked */
	__u32 max_nr_metrics;	/* areas per CPU block */
	__u32 max_area_records;	/* record slots per area */
	__u32 max_area_size;	/* bytes per area: header + slots */
	__u32 max_context;	/* records kept before a section */
	__u32 freeze_metric;	/* THRESHOLD: enum dtrec_metric */
	__u64 freeze_value;	/* THRESHOLD, API: the value, ns */
	__u64 threshold[DTREC_MAX_METRICS];	/* cycles; 0: no trigger */
	__u64 threshold_ns[DTREC_MAX_METRICS];	/* the same as set, ns */
	char freeze_note[32];	/* API: the caller's reason, NUL padded */
};

/* Size of a descriptor from a recorder without worst-case capture. */
#define DTREC_DESC_V1_SIZE	__builtin_offsetof(struct dtrec_desc, max_cpu)

/*
 * Snapshot stream: what debugfs dovetail/recorder/snapshot returns and
 * what every front end writes when it extracts rings from a dump.
 * struct dtrec_snap_header, then for each CPU a struct dtrec_snap_cpu
 * followed by nr_records raw records in slot order; from version 2,
 * optionally a names block last (struct dtrec_snap_names); from
 * version 3, optionally a max block before it (struct dtrec_snap_max).
 * Readers accept versions 1 to 3.
 */
#define DTREC_SNAP_MAGIC	0x50414e534c545644ULL	/* "DVTLSNAP" */
#define DTREC_SNAP_VERSION	3
#define DTREC_SNAP_VERSION_MIN	1

struct dtrec_snap_header {
	__u64 magic;
	__u32 version;
	__u32 header_size;
	__u32 nr_cpus;		/* dtrec_snap_cpu blocks that follow */
	__u32 rec_size;
	__u64 clock_hz;
	__u64 ref_cycles;
	__u64 ref_ns;
	__u32 event_mask;
	__u32 frozen;
	__u32 freeze_reason;
	__u32 freeze_cpu;
	__u32 format_version;	/* DTREC_FORMAT_VERSION of the records */
	__u32 overhead_ps;
	char release[64];	/* utsname release, NUL padded */
	/* From version 3 (header_size says): why the recorder froze. */
	__u64 freeze_value;	/* THRESHOLD, API: the value, ns */
	__u32 freeze_metric;	/* THRESHOLD: enum dtrec_metric */
	__u32 max_context;	/* records kept before a captured section */
	__u64 threshold_ns[DTREC_MAX_METRICS];	/* 0: no trigger */
	char freeze_note[32];	/* API: the caller's reason, NUL padded */
};

/* Header size of snapshot versions 1 and 2. */
#define DTREC_SNAP_HDR_V1_SIZE	__builtin_offsetof(struct dtrec_snap_header, freeze_value)

struct dtrec_snap_cpu {
	__u32 cpu;
	__u32 nr_records;
	__u64 head;
};

/*
 * Max block (snapshot version 3, optional, before the names block):
 * the captured worst cases. The header, then nr_areas times a struct
 * dtrec_max_area followed by its nr records (rec_size bytes each).
 * Only areas holding a section are written.
 */
#define DTREC_MAXB_MAGIC	0x4158414d4c545644ULL	/* "DVTLMAXA" */

struct dtrec_snap_max {
	__u64 magic;
	__u32 size;		/* bytes of the block, this header included */
	__u32 nr_areas;
	__u32 rec_size;
	__u32 reserved;		/* zero */
};

/*
 * Names block (snapshot version 2): the comm of the tasks the rings
 * mention and the name of the IRQs they post, play or handle, as the
 * producer saw them when it took the snapshot. Strings are NUL padded
 * (not always NUL terminated when full). The entries follow the header:
 * nr_tasks struct dtrec_snap_task, then nr_irqs struct dtrec_snap_irq.
 */
#define DTREC_NAMES_MAGIC	0x454d414e4c545644ULL	/* "DVTLNAME" */
#define DTREC_MAX_NAMES		(1U << 22)	/* entries of each kind */

struct dtrec_snap_names {
	__u64 magic;
	__u32 size;		/* bytes of the block, this header included */
	__u32 nr_tasks;
	__u32 nr_irqs;
	__u32 reserved;		/* zero */
};

struct dtrec_snap_task {
	__u32 pid;
	char comm[16];		/* TASK_COMM_LEN */
};

struct dtrec_snap_irq {
	__u32 irq;
	__u32 hwirq;		/* 0xffffffff: unknown */
	char name[32];		/* the first action's name, else the descriptor's */
	char chip[24];		/* the irq_chip's name */
	char vector[32];	/* x86 system vector meaning, or empty */
};

#endif /* _UAPI_LINUX_DOVETAIL_RECORDER_H */
