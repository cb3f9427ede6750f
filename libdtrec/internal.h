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
void dtrec_print_event(FILE *out, const struct dtrec_ev *e, int json, int first);

/*
 * s (up to max bytes, or its NUL) for a terminal: control characters
 * escaped, bad UTF-8 replaced (text.c). Returns the columns written.
 */
size_t dtrec_text_strn(FILE *out, const char *s, size_t max);
size_t dtrec_text_str(FILE *out, const char *s);

static inline int dtrec_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

#endif /* DTREC_INTERNAL_H */
