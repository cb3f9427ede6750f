/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the libdtrec sources; not part of the API. */
#ifndef DTREC_INTERNAL_H
#define DTREC_INTERNAL_H

#include "dtrec.h"

/*
 * The format's limits (DTREC_MAX_RECORDS, DTREC_MAX_REC_SIZE, ...) are
 * in linux/dovetail_recorder.h, shared with the kernel. This one is
 * only a knob for the fuzzers: the most a live/dump build may read,
 * lowered to stay inside their RSS limit.
 */
#ifndef DTREC_MAX_BUILD_BYTES
#define DTREC_MAX_BUILD_BYTES	(1ULL << 40)
#endif

__attribute__((format(printf, 4, 5)))
int dtrec_seterr(char *err, size_t errlen, int rc, const char *fmt, ...);

/*
 * Options that each take a number ("--name N" or "--name=N"), stored at
 * off in an options struct as an int (size 4) or a uint64_t.
 */
struct dtrec_opt {
	const char *name;
	size_t off, size;
};
int dtrec_opts_parse(const struct dtrec_opt *tab, size_t n, const char *what,
		     void *o, int argc, char **argv, char *err, size_t errlen);

/* A span of d cycles at hz in ns, exact, clamped to 2^64 - 1; hz > 0. */
uint64_t dtrec_cycles_span_ns(uint64_t d, uint64_t hz);
/* Cycles to ns against the snapshot's reference point, clamped to [0, 2^64). */
uint64_t dtrec_cycles_to_ns(const struct dtrec_snap_header *h, uint64_t ts);

/* qsort() order of a snapshot's events: ts, then cpu, then pos. */
int dtrec_ev_cmp(const void *pa, const void *pb);

/* One raw record (stream layout) at ring position pos of a CPU. */
void dtrec_decode_record(const struct dtrec_snapshot *s, uint32_t cpu,
			 const unsigned char *rec, uint64_t pos, struct dtrec_ev *ev);

/*
 * The max block (maxima.c): its header checked against what is left of
 * the stream and the format's bounds; its parse into s->maxima (*used:
 * the block's size); the most bytes a block of nr_areas may take.
 */
int dtrec_max_block_check(const struct dtrec_snap_max *b, uint32_t rec_size,
			  size_t left, char *err, size_t errlen);
int dtrec_parse_max(struct dtrec_snapshot *s, const unsigned char *p, size_t len,
		    size_t *used, char *err, size_t errlen);
size_t dtrec_max_block_bound(uint32_t nr_areas, uint32_t rec_size);
void dtrec_free_maxima(struct dtrec_snapshot *s);

/*
 * Decode the window of every ring (rings[i] points at cpus[i]'s
 * records in slot order) into s->events, merged in time order.
 */
int dtrec_merge(struct dtrec_snapshot *s, const unsigned char *const *rings,
		char *err, size_t errlen);

/*
 * One event as the trace prints it: a text line (newline included) or
 * a JSON object, preceded by a comma unless first (docs/json.md).
 */
void dtrec_print_event(FILE *out, const struct dtrec_snapshot *s,
		       const struct dtrec_ev *e, int json, int first);

/*
 * Why the recorder froze beyond its reason (print.c): a threshold's
 * metric and value, an API caller's note and value. JSON: the keys
 * "freeze_metric","freeze_value_ns","freeze_note" (no leading comma);
 * text: ": ..." after "frozen (REASON, cpu N)", nothing if no more.
 */
void dtrec_print_freeze_why(FILE *out, const struct dtrec_snap_header *h, int json);
/*
 * The label of a max view (dtrec_max_view()): JSON the "max" key
 * (null for the rings), text a heading and the areas (nothing for
 * the rings).
 */
void dtrec_print_max_view(FILE *out, const struct dtrec_snapshot *s, int json);
/*
 * One captured worst case with its records from context records
 * before the section to the end of its area; text marks the section's
 * own records with '>'. JSON: the area's object plus "events".
 */
void dtrec_print_max_area(FILE *out, const struct dtrec_snapshot *s,
			  const struct dtrec_max *m, int json, uint64_t context);

/*
 * s (up to max bytes, or its NUL) for a terminal: control characters
 * escaped, bad UTF-8 replaced (text.c). Returns the columns written.
 */
size_t dtrec_text_strn(FILE *out, const char *s, size_t max);
size_t dtrec_text_str(FILE *out, const char *s);
/* Spaces from column used up to width (none past it). */
void dtrec_text_pad(FILE *out, size_t used, size_t width);
/* "(comm)" after a pid, escaped as above; nothing when comm is NULL. */
void dtrec_text_comm(FILE *out, const char *comm);

/*
 * A record's arguments by name (names.c): what arg and arg2 mean for
 * its event, arg2 split where it packs a flag (irq_post's coalesced,
 * oob_switch's leave_inband); an unnamed argument only when not 0.
 * The trace.dat fields, the Chrome args and decode's text use them.
 */
struct dtrec_arg {
	const char *name;
	uint32_t value;
	int hex;		/* printed 0x%x, as trace-cmd does (stall_bits) */
};
unsigned int dtrec_event_args(const struct dtrec_ev *e, struct dtrec_arg out[4]);
/* " irq=4355 stage=0 coalesced=1 state=IS|HOFF": a record's text tail. */
void dtrec_print_args(FILE *out, const struct dtrec_ev *e);
/* The names of arg, arg2 and its flag for an event; NULL: not used. */
void dtrec_event_arg_names(unsigned int event, const char **a, const char **b,
			   const char **c);
/* arg2 as its named parts: the value (b) and the packed flag (c), else 0. */
void dtrec_event_arg_split(unsigned int event, uint32_t arg2, uint32_t *b,
			   uint32_t *c);

/*
 * The first verdict of the report on the records alone (report.c),
 * for the SVG's marker: 1 and *vb set, 0 for no hang signature, or a
 * negative errno.
 */
struct dtrec_verdict_brief {
	uint32_t cpu;
	int timed;		/* since is known */
	uint64_t since, freeze;
	char msg[320];
};
int dtrec_report_first_verdict(const struct dtrec_snapshot *s,
			       struct dtrec_verdict_brief *vb);

/* The most records an SVG draws (export_svg.c; -E2BIG past it, see
 * dtrec_export_limit()). */
#define DTREC_SVG_MAX_RECORDS	20000

/*
 * What an IRQ means beyond its name (format/irq_meaning.c): an x86 system
 * vector's name (its number in buf when unknown), an arm64 GIC
 * interrupt's class and number, and a names-block entry completed with
 * either.
 */
const char *dtrec_x86_vector_name(uint64_t vector, char *buf, size_t len);
const char *dtrec_gic_name(uint64_t hwirq, char *buf, size_t len);
void dtrec_irq_name_complete(struct dtrec_irq_name *n);

static inline int dtrec_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

#endif /* DTREC_INTERNAL_H */
