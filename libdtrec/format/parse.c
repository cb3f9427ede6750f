// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Snapshot stream parser. The stream may come from a crashed or
 * hostile machine, so every size is checked against what is left
 * before it is used, and the first problem found is the one reported.
 * A stream written by a CPU of the other byte order (its magic reads
 * byte-swapped) is swapped into a copy and parsed as any other.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int dtrec_seterr(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- the other byte order ---- */

static void sw16(void *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
}

static void sw32(void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static void sw64(void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
}

static int other_order(const void *magic)
{
	uint64_t m;

	memcpy(&m, magic, 8);
	return m != DTREC_SNAP_MAGIC && __builtin_bswap64(m) == DTREC_SNAP_MAGIC;
}

#define SW(fn, p, type, field)	fn((unsigned char *)(p) + offsetof(type, field))

static void swap_header(void *h)
{
	const size_t u32s[] = {
		offsetof(struct dtrec_snap_header, version),
		offsetof(struct dtrec_snap_header, header_size),
		offsetof(struct dtrec_snap_header, nr_cpus),
		offsetof(struct dtrec_snap_header, rec_size),
		offsetof(struct dtrec_snap_header, event_mask),
		offsetof(struct dtrec_snap_header, frozen),
		offsetof(struct dtrec_snap_header, freeze_reason),
		offsetof(struct dtrec_snap_header, freeze_cpu),
		offsetof(struct dtrec_snap_header, format_version),
		offsetof(struct dtrec_snap_header, overhead_ps),
	};
	size_t i;

	SW(sw64, h, struct dtrec_snap_header, magic);
	SW(sw64, h, struct dtrec_snap_header, clock_hz);
	SW(sw64, h, struct dtrec_snap_header, ref_cycles);
	SW(sw64, h, struct dtrec_snap_header, ref_ns);
	for (i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++)
		sw32((unsigned char *)h + u32s[i]);
}

/* The version 3 fields, when the (swapped) header_size has them. */
static void swap_header_ext(void *h, size_t avail)
{
	struct dtrec_snap_header x;
	size_t i;

	memcpy(&x, h, DTREC_SNAP_HDR_V1_SIZE);
	if (x.header_size < sizeof(x) || avail < sizeof(x))
		return;
	SW(sw64, h, struct dtrec_snap_header, freeze_value);
	SW(sw32, h, struct dtrec_snap_header, freeze_metric);
	SW(sw32, h, struct dtrec_snap_header, max_context);
	for (i = 0; i < DTREC_MAX_METRICS; i++)
		sw64((unsigned char *)h + offsetof(struct dtrec_snap_header, threshold_ns) +
		     i * sizeof(uint64_t));
}

static void swap_cpu(void *c)
{
	SW(sw32, c, struct dtrec_snap_cpu, cpu);
	SW(sw32, c, struct dtrec_snap_cpu, nr_records);
	SW(sw64, c, struct dtrec_snap_cpu, head);
}

static void swap_record(void *r)
{
	SW(sw64, r, struct dtrec_record, seq);
	SW(sw64, r, struct dtrec_record, ts);
	SW(sw32, r, struct dtrec_record, pid);
	SW(sw32, r, struct dtrec_record, arg);
	SW(sw32, r, struct dtrec_record, arg2);
	SW(sw16, r, struct dtrec_record, event);
	SW(sw16, r, struct dtrec_record, state);
}

static void swap_max_hdr(void *b)
{
	SW(sw64, b, struct dtrec_snap_max, magic);
	SW(sw32, b, struct dtrec_snap_max, size);
	SW(sw32, b, struct dtrec_snap_max, nr_areas);
	SW(sw32, b, struct dtrec_snap_max, rec_size);
}

/* A max block, its areas and their records, as far as they fit in len. */
static size_t swap_max(unsigned char *p, size_t len, uint32_t rec_size)
{
	struct dtrec_snap_max b;
	struct dtrec_max_area a;
	size_t off = sizeof(b), k;
	uint32_t i;

	swap_max_hdr(p);
	memcpy(&b, p, sizeof(b));
	if (b.rec_size != rec_size || b.size > len)
		return len;
	for (i = 0; i < b.nr_areas && b.size - off >= sizeof(a); i++) {
		unsigned char *q = p + off;
		static const size_t u64s[] = {
			offsetof(struct dtrec_max_area, gen),
			offsetof(struct dtrec_max_area, length),
			offsetof(struct dtrec_max_area, start_ts),
			offsetof(struct dtrec_max_area, end_ts),
			offsetof(struct dtrec_max_area, start_pos),
			offsetof(struct dtrec_max_area, end_pos),
			offsetof(struct dtrec_max_area, first_pos),
		};
		static const size_t u32s[] = {
			offsetof(struct dtrec_max_area, nr),
			offsetof(struct dtrec_max_area, metric),
			offsetof(struct dtrec_max_area, cpu),
			offsetof(struct dtrec_max_area, pid),
			offsetof(struct dtrec_max_area, irq),
			offsetof(struct dtrec_max_area, flags),
		};

		for (k = 0; k < sizeof(u64s) / sizeof(u64s[0]); k++)
			sw64(q + u64s[k]);
		for (k = 0; k < sizeof(u32s) / sizeof(u32s[0]); k++)
			sw32(q + u32s[k]);
		memcpy(&a, q, sizeof(a));
		off += sizeof(a);
		if (a.nr > DTREC_MAX_AREA_RECORDS ||
		    (uint64_t)a.nr * rec_size > b.size - off)
			break;
		for (k = 0; k < a.nr; k++, off += rec_size)
			swap_record(p + off);
	}
	return b.size;
}

/* A names block and its entries, as far as its counts fit in len. */
static void swap_names(unsigned char *p, size_t len)
{
	struct dtrec_snap_names n;
	size_t off = sizeof(n), k;

	SW(sw64, p, struct dtrec_snap_names, magic);
	SW(sw32, p, struct dtrec_snap_names, size);
	SW(sw32, p, struct dtrec_snap_names, nr_tasks);
	SW(sw32, p, struct dtrec_snap_names, nr_irqs);
	memcpy(&n, p, sizeof(n));
	for (k = 0; k < n.nr_tasks && len - off >= sizeof(struct dtrec_snap_task); k++) {
		SW(sw32, p + off, struct dtrec_snap_task, pid);
		off += sizeof(struct dtrec_snap_task);
	}
	for (k = 0; k < n.nr_irqs && len - off >= sizeof(struct dtrec_snap_irq); k++) {
		SW(sw32, p + off, struct dtrec_snap_irq, irq);
		SW(sw32, p + off, struct dtrec_snap_irq, hwirq);
		off += sizeof(struct dtrec_snap_irq);
	}
}

/*
 * Swap a whole stream in place, as far as its own sizes allow: where a
 * size is out of range or past the end, stop, and let the parser
 * report the problem on what was swapped.
 */
static void swap_stream(unsigned char *p, size_t len)
{
	struct dtrec_snap_header h;
	size_t off;
	uint32_t i;

	if (len < DTREC_SNAP_HDR_V1_SIZE)
		return;
	swap_header(p);
	swap_header_ext(p, len);
	memset(&h, 0, sizeof(h));
	memcpy(&h, p, DTREC_SNAP_HDR_V1_SIZE);
	if (h.header_size < DTREC_SNAP_HDR_V1_SIZE || h.header_size > len ||
	    h.rec_size < sizeof(struct dtrec_record) ||
	    h.rec_size > DTREC_MAX_REC_SIZE || h.nr_cpus > DTREC_MAX_CPUS)
		return;
	off = h.header_size;
	for (i = 0; i < h.nr_cpus; i++) {
		struct dtrec_snap_cpu c;
		uint64_t k;

		if (len - off < sizeof(c))
			return;
		swap_cpu(p + off);
		memcpy(&c, p + off, sizeof(c));
		off += sizeof(c);
		if (c.nr_records > DTREC_MAX_RECORDS ||
		    (uint64_t)c.nr_records * h.rec_size > len - off)
			return;
		for (k = 0; k < c.nr_records; k++, off += h.rec_size)
			swap_record(p + off);
	}
	if (h.version >= 3 && len - off >= sizeof(struct dtrec_snap_max) &&
	    __builtin_bswap64(*(const uint64_t *)(const void *)(p + off)) ==
	    DTREC_MAXB_MAGIC)
		off += swap_max(p + off, len - off, h.rec_size);
	if (len > off && len - off >= sizeof(struct dtrec_snap_names))
		swap_names(p + off, len - off);
}

/* An error about a stream of the other byte order says so. */
static int other_order_error(int rc, char *err, size_t errlen)
{
	char msg[256];

	if (err && errlen) {
		snprintf(msg, sizeof(msg), "%s", err);
		dtrec_seterr(err, errlen, rc, "snapshot of the other byte order: %s",
			     msg);
	}
	return rc;
}

static int check_header(const struct dtrec_snap_header *h, size_t len,
			char *err, size_t errlen)
{
	if (h->magic != DTREC_SNAP_MAGIC) {
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad magic 0x%016llx: not a dovetail recorder snapshot",
			(unsigned long long)h->magic);
	}
	if (h->version < DTREC_SNAP_VERSION_MIN || h->version > DTREC_SNAP_VERSION)
		return dtrec_seterr(err, errlen, -EPROTONOSUPPORT,
			"unsupported snapshot version %u (this libdtrec reads %u..%u)",
			h->version, DTREC_SNAP_VERSION_MIN, DTREC_SNAP_VERSION);
	if (h->header_size < DTREC_SNAP_HDR_V1_SIZE ||
	    h->header_size > DTREC_MAX_SNAP_HDR)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad header size %u (%zu..%u)", h->header_size,
			(size_t)DTREC_SNAP_HDR_V1_SIZE, DTREC_MAX_SNAP_HDR);
	if (h->header_size > len)
		return dtrec_seterr(err, errlen, -EINVAL,
			"truncated snapshot: header size %u, stream %zu bytes",
			h->header_size, len);
	if (h->format_version != DTREC_FORMAT_VERSION)
		return dtrec_seterr(err, errlen, -EPROTONOSUPPORT,
			"unsupported record format version %u (this libdtrec reads %u)",
			h->format_version, DTREC_FORMAT_VERSION);
	if (h->rec_size < sizeof(struct dtrec_record) ||
	    h->rec_size > DTREC_MAX_REC_SIZE)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad record size %u (%zu..%u)", h->rec_size,
			sizeof(struct dtrec_record), DTREC_MAX_REC_SIZE);
	if (h->nr_cpus == 0 || h->nr_cpus > DTREC_MAX_CPUS)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad CPU count %u (1..%u)", h->nr_cpus, DTREC_MAX_CPUS);
	if (h->clock_hz == 0)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad clock: clock_hz is 0");
	return 0;
}

static int check_cpu(const struct dtrec_snap_cpu *c, unsigned int idx,
		     const unsigned char *seen, char *err, size_t errlen)
{
	if (c->cpu >= DTREC_MAX_CPUS)
		return dtrec_seterr(err, errlen, -EINVAL,
			"CPU block %u: cpu number %u out of range (0..%u)",
			idx, c->cpu, DTREC_MAX_CPUS - 1);
	if (seen[c->cpu])
		return dtrec_seterr(err, errlen, -EINVAL,
			"CPU block %u: cpu %u appears twice", idx, c->cpu);
	if (!dtrec_is_pow2(c->nr_records) || c->nr_records > DTREC_MAX_RECORDS)
		return dtrec_seterr(err, errlen, -EINVAL,
			"cpu %u: nr_records %u is not a power of two in 1..%u",
			c->cpu, c->nr_records, DTREC_MAX_RECORDS);
	return 0;
}

/* The size a names block header promises, or 0 if it cannot be one. */
static size_t names_size(const struct dtrec_snap_names *n)
{
	uint64_t size = sizeof(*n) + (uint64_t)n->nr_tasks * sizeof(struct dtrec_snap_task) +
		(uint64_t)n->nr_irqs * sizeof(struct dtrec_snap_irq);

	if (n->magic != DTREC_NAMES_MAGIC || n->nr_tasks > DTREC_MAX_NAMES ||
	    n->nr_irqs > DTREC_MAX_NAMES || n->size != size)
		return 0;
	return (size_t)size;
}

static int cmp_comm(const void *a, const void *b)
{
	const struct dtrec_comm *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int cmp_irqname(const void *a, const void *b)
{
	const struct dtrec_irq_name *x = a, *y = b;

	return x->irq < y->irq ? -1 : x->irq > y->irq;
}

/* A fixed-size field of the stream as a C string. */
static void field(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The names block at p (len bytes left in the stream) into s. */
static int parse_names(struct dtrec_snapshot *s, const unsigned char *p, size_t len,
		       char *err, size_t errlen)
{
	struct dtrec_snap_names n;
	size_t k, off = sizeof(n);

	memcpy(&n, p, sizeof(n));
	if (!names_size(&n) || n.size != len)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad names block after the last CPU block (%zu bytes: %u tasks, %u irqs, size %u)",
			len, n.nr_tasks, n.nr_irqs, n.size);
	s->comms = calloc(n.nr_tasks ? n.nr_tasks : 1, sizeof(*s->comms));
	s->irq_names = calloc(n.nr_irqs ? n.nr_irqs : 1, sizeof(*s->irq_names));
	if (!s->comms || !s->irq_names)
		return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	for (k = 0; k < n.nr_tasks; k++, off += sizeof(struct dtrec_snap_task)) {
		struct dtrec_snap_task t;

		memcpy(&t, p + off, sizeof(t));
		s->comms[k].pid = t.pid;
		field(s->comms[k].comm, t.comm, sizeof(t.comm));
	}
	for (k = 0; k < n.nr_irqs; k++, off += sizeof(struct dtrec_snap_irq)) {
		struct dtrec_snap_irq q;
		struct dtrec_irq_name *d = &s->irq_names[k];

		memcpy(&q, p + off, sizeof(q));
		d->irq = q.irq;
		d->hwirq = q.hwirq;
		field(d->name, q.name, sizeof(q.name));
		field(d->chip, q.chip, sizeof(q.chip));
		field(d->vector, q.vector, sizeof(q.vector));
		dtrec_irq_name_complete(d);
	}
	s->nr_comms = n.nr_tasks;
	s->nr_irq_names = n.nr_irqs;
	qsort(s->comms, s->nr_comms, sizeof(*s->comms), cmp_comm);
	qsort(s->irq_names, s->nr_irq_names, sizeof(*s->irq_names), cmp_irqname);
	return 0;
}

const char *dtrec_comm(const struct dtrec_snapshot *s, uint32_t pid)
{
	struct dtrec_comm key = { .pid = pid };
	const struct dtrec_comm *c;

	if (!s || !s->nr_comms)
		return NULL;
	c = bsearch(&key, s->comms, s->nr_comms, sizeof(key), cmp_comm);
	return c && c->comm[0] ? c->comm : NULL;
}

const struct dtrec_irq_name *dtrec_irq_name(const struct dtrec_snapshot *s, uint32_t irq)
{
	struct dtrec_irq_name key = { .irq = irq };

	if (!s || !s->nr_irq_names)
		return NULL;
	return bsearch(&key, s->irq_names, s->nr_irq_names, sizeof(key), cmp_irqname);
}

int dtrec_parse(const void *buf, size_t len, struct dtrec_snapshot **out,
		char *err, size_t errlen)
{
	const unsigned char *p = buf;
	const unsigned char **rings = NULL;
	unsigned char seen[DTREC_MAX_CPUS] = { 0 };
	struct dtrec_snapshot *s;
	size_t off;
	unsigned int i;
	int rc;

	if (!out)
		return dtrec_seterr(err, errlen, -EINVAL, "no output pointer");
	*out = NULL;
	if (!p || len == 0)
		return dtrec_seterr(err, errlen, -EINVAL, "empty snapshot");
	if (len < DTREC_SNAP_HDR_V1_SIZE)
		return dtrec_seterr(err, errlen, -EINVAL,
			"truncated snapshot: %zu bytes, the header alone is %zu",
			len, (size_t)DTREC_SNAP_HDR_V1_SIZE);

	if (other_order(p)) {
		unsigned char *copy = malloc(len);

		if (!copy)
			return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
		memcpy(copy, p, len);
		swap_stream(copy, len);
		rc = dtrec_parse(copy, len, out, err, errlen);
		free(copy);
		return rc ? other_order_error(rc, err, errlen) : 0;
	}

	s = calloc(1, sizeof(*s));
	if (!s)
		return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	memcpy(&s->hdr, p, DTREC_SNAP_HDR_V1_SIZE);
	rc = check_header(&s->hdr, len, err, errlen);
	if (rc)
		goto fail;
	/* Fields past a shorter (older) header stay zero. */
	memcpy(&s->hdr, p, s->hdr.header_size < sizeof(s->hdr) ?
	       s->hdr.header_size : sizeof(s->hdr));

	s->nr_cpus = s->hdr.nr_cpus;
	s->cpus = calloc(s->nr_cpus, sizeof(*s->cpus));
	rings = calloc(s->nr_cpus, sizeof(*rings));
	if (!s->cpus || !rings) {
		rc = dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}

	off = s->hdr.header_size;
	for (i = 0; i < s->nr_cpus; i++) {
		struct dtrec_snap_cpu c;
		uint64_t need;

		if (len - off < sizeof(c)) {
			rc = dtrec_seterr(err, errlen, -EINVAL,
				"truncated snapshot: CPU block %u of %u missing at offset %zu",
				i, s->nr_cpus, off);
			goto fail;
		}
		memcpy(&c, p + off, sizeof(c));
		off += sizeof(c);
		rc = check_cpu(&c, i, seen, err, errlen);
		if (rc)
			goto fail;
		seen[c.cpu] = 1;
		need = (uint64_t)c.nr_records * s->hdr.rec_size;
		if (len - off < need) {
			rc = dtrec_seterr(err, errlen, -EINVAL,
				"truncated snapshot: cpu %u ring needs %llu bytes, %zu left",
				c.cpu, (unsigned long long)need, len - off);
			goto fail;
		}
		rings[i] = p + off;
		off += need;
		s->cpus[i].cpu = c.cpu;
		s->cpus[i].nr_records = c.nr_records;
		s->cpus[i].head = c.head;
	}
	/* Version 3 may have a max block, then a names block. */
	if (off != len && s->hdr.version >= 3 &&
	    len - off >= sizeof(struct dtrec_snap_max) &&
	    !memcmp(p + off, &(uint64_t){ DTREC_MAXB_MAGIC }, 8)) {
		size_t used = 0;

		rc = dtrec_parse_max(s, p + off, len - off, &used, err, errlen);
		if (rc)
			goto fail;
		off += used;
	}
	/* Version 2 may end with a names block, nothing else may follow. */
	if (off != len && s->hdr.version >= 2 &&
	    len - off >= sizeof(struct dtrec_snap_names) &&
	    !memcmp(p + off, &(uint64_t){ DTREC_NAMES_MAGIC }, 8)) {
		rc = parse_names(s, p + off, len - off, err, errlen);
		if (rc)
			goto fail;
		off = len;
	}
	if (off != len) {
		rc = dtrec_seterr(err, errlen, -EINVAL,
			"%zu trailing bytes after the last CPU block", len - off);
		goto fail;
	}

	rc = dtrec_merge(s, rings, err, errlen);
	if (rc)
		goto fail;
	free(rings);
	*out = s;
	return 0;
fail:
	free(rings);
	dtrec_free(s);
	return rc;
}

/* fread() of exactly n bytes: 0, or -1 with *why set (0: end of input). */
static int read_all(FILE *f, void *p, size_t n, int *why)
{
	size_t got = fread(p, 1, n, f);

	if (got == n)
		return 0;
	*why = ferror(f) ? (errno ? errno : EIO) : 0;
	return -1;
}

static int read_fail(int why, char *err, size_t errlen, const char *what,
		     size_t at)
{
	if (why)
		return dtrec_seterr(err, errlen, -why, "cannot read %s at offset %zu: %s",
				    what, at, strerror(why));
	return dtrec_seterr(err, errlen, -EINVAL,
			    "truncated snapshot: %s missing at offset %zu", what, at);
}

static int read_snapshot(FILE *f, void **out, size_t *outlen, int *swapped,
			 char *err, size_t errlen);

int dtrec_read_snapshot(FILE *f, void **out, size_t *outlen, char *err,
			size_t errlen)
{
	int swapped = 0, rc = read_snapshot(f, out, outlen, &swapped, err, errlen);

	return rc && swapped ? other_order_error(rc, err, errlen) : rc;
}

_Static_assert(sizeof(struct dtrec_snap_max) == sizeof(struct dtrec_snap_names),
	       "a block's header is read before its kind is known");

/*
 * n holds the block header read after the CPU blocks. A max block's is
 * checked, the block read into *buf, and the header of what follows
 * read into n (*got: its bytes, 0 at the end of the input); any other
 * header is left for the caller.
 */
static int read_max_block(FILE *f, struct dtrec_snap_names *n, int swapped,
			  uint32_t rec_size, unsigned char **buf, size_t *len,
			  size_t *got, char *err, size_t errlen)
{
	struct dtrec_snap_max b;
	unsigned char *nb;
	int why = 0, rc;

	memcpy(&b, n, sizeof(b));
	if (swapped)
		swap_max_hdr(&b);
	if (b.magic != DTREC_MAXB_MAGIC)
		return 0;
	rc = dtrec_max_block_check(&b, rec_size, SIZE_MAX, err, errlen);
	if (rc)
		return rc;
	nb = realloc(*buf, *len + b.size);
	if (!nb)
		return dtrec_seterr(err, errlen, -ENOMEM,
			"out of memory for a %u-byte max block", b.size);
	*buf = nb;
	memcpy(nb + *len, n, sizeof(*n));
	if (read_all(f, nb + *len + sizeof(*n), b.size - sizeof(*n), &why))
		return read_fail(why, err, errlen, "the max block", *len);
	*len += b.size;
	*got = fread(n, 1, sizeof(*n), f);
	if (*got && *got < sizeof(*n))
		return read_fail(ferror(f) ? EIO : 0, err, errlen, "the names block",
				 *len);
	return 0;
}

static int read_snapshot(FILE *f, void **out, size_t *outlen, int *swapped,
			 char *err, size_t errlen)
{
	unsigned char seen[DTREC_MAX_CPUS] = { 0 };
	struct dtrec_snap_header h, raw;
	unsigned char *buf = NULL, *nb;
	size_t len;
	unsigned int i;
	int why = 0, rc;
	char extra;

	if (!f || !out || !outlen)
		return dtrec_seterr(err, errlen, -EINVAL, "missing argument");
	*out = NULL;
	*outlen = 0;
	/* The header first: nothing more is read for what is no snapshot. */
	memset(&h, 0, sizeof(h));
	len = DTREC_SNAP_HDR_V1_SIZE;
	if (read_all(f, &h, len, &why)) {
		if (!why && feof(f) && !ftell(f))
			return dtrec_seterr(err, errlen, -EINVAL, "empty snapshot");
		return read_fail(why, err, errlen, "the header", 0);
	}
	/* The stream is kept as it came; sizes are read in host order. */
	raw = h;
	*swapped = other_order(&h.magic);
	if (*swapped)
		swap_header(&h);
	rc = check_header(&h, SIZE_MAX, err, errlen);
	if (rc)
		return rc;
	buf = malloc(h.header_size);
	if (!buf)
		return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	memcpy(buf, &raw, len);
	if (read_all(f, buf + len, h.header_size - len, &why)) {
		rc = read_fail(why, err, errlen, "the end of the header", len);
		goto fail;
	}
	len = h.header_size;
	/* Then each CPU block's header, checked before its records are read. */
	for (i = 0; i < h.nr_cpus; i++) {
		struct dtrec_snap_cpu c, rawc;
		size_t need;

		if (read_all(f, &c, sizeof(c), &why)) {
			rc = read_fail(why, err, errlen, "a CPU block", len);
			goto fail;
		}
		rawc = c;
		if (*swapped)
			swap_cpu(&c);
		rc = check_cpu(&c, i, seen, err, errlen);
		if (rc)
			goto fail;
		seen[c.cpu] = 1;
		need = (size_t)c.nr_records * h.rec_size;
		nb = realloc(buf, len + sizeof(c) + need);
		if (!nb) {
			rc = dtrec_seterr(err, errlen, -ENOMEM,
				"out of memory for cpu %u's %zu-byte ring", c.cpu, need);
			goto fail;
		}
		buf = nb;
		memcpy(buf + len, &rawc, sizeof(rawc));
		len += sizeof(c);
		if (read_all(f, buf + len, need, &why)) {
			rc = read_fail(why, err, errlen, "records of a CPU block", len);
			goto fail;
		}
		len += need;
	}
	/* Version 2: a names block may follow, its size checked first. */
	if (h.version >= 2) {
		struct dtrec_snap_names n, rawn;
		size_t got = fread(&n, 1, sizeof(n), f), need;

		if (got && got < sizeof(n)) {
			rc = read_fail(ferror(f) ? EIO : 0, err, errlen, "the names block", len);
			goto fail;
		}
		/* Version 3: first, a max block (its header is as long). */
		if (got && h.version >= 3) {
			rc = read_max_block(f, &n, *swapped, h.rec_size, &buf, &len,
					    &got, err, errlen);
			if (rc)
				goto fail;
		}
		if (got) {
			rawn = n;
			if (*swapped) {
				unsigned char tmp[sizeof(n)];

				memcpy(tmp, &n, sizeof(n));
				swap_names(tmp, sizeof(tmp));
				memcpy(&n, tmp, sizeof(n));
			}
			need = names_size(&n);
			if (!need) {
				rc = dtrec_seterr(err, errlen, -EINVAL,
					"bad names block after the last CPU block (offset %zu)", len);
				goto fail;
			}
			nb = realloc(buf, len + need);
			if (!nb) {
				rc = dtrec_seterr(err, errlen, -ENOMEM,
					"out of memory for a %zu-byte names block", need);
				goto fail;
			}
			buf = nb;
			memcpy(buf + len, &rawn, sizeof(rawn));
			if (read_all(f, buf + len + sizeof(n), need - sizeof(n), &why)) {
				rc = read_fail(why, err, errlen, "the names block", len);
				goto fail;
			}
			len += need;
		}
	}
	/* Nothing may follow the last block; do not read what does. */
	if (fread(&extra, 1, 1, f) == 1) {
		rc = dtrec_seterr(err, errlen, -EINVAL,
			"trailing bytes after the last CPU block (offset %zu)", len);
		goto fail;
	}
	if (ferror(f)) {
		rc = read_fail(errno ? errno : EIO, err, errlen, "past the last block", len);
		goto fail;
	}
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return rc;
}

void dtrec_free(struct dtrec_snapshot *s)
{
	if (!s)
		return;
	dtrec_free_maxima(s);
	free(s->cpus);
	free(s->events);
	free(s->comms);
	free(s->irq_names);
	free(s);
}
