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

/* Cycles to ns against the snapshot's reference point, clamped to [0, 2^64). */
uint64_t dtrec_cycles_to_ns(const struct dtrec_snap_header *h, uint64_t ts);

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
