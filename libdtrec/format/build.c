// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Assemble a snapshot stream from a target's memory (vmcore, gdb stub,
 * live /proc/kcore): everything is reached from the descriptor, whose
 * field offsets let us repack records of any layout into the stream's
 * canonical struct dtrec_record. Rings are read with one read() each
 * because every round trip to a remote stub costs far more than bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void dtrec_free_buf(void *p)
{
	free(p);
}

struct field {
	const char *name;
	uint16_t off;
	uint16_t size;
};

static int check_fields(const struct field *f, size_t n, uint32_t limit,
			const char *what, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((uint32_t)f[i].off + f[i].size > limit)
			return dtrec_seterr(err, errlen, -EINVAL,
				"bad descriptor: %s field %s at offset %u does not fit in %u bytes",
				what, f[i].name, f[i].off, limit);
	return 0;
}

static int check_desc(const struct dtrec_desc *d, size_t desc_len,
		      char *err, size_t errlen)
{
	const struct field rec[] = {
		{ "seq", d->off_seq, 8 }, { "ts", d->off_ts, 8 },
		{ "pid", d->off_pid, 4 }, { "arg", d->off_arg, 4 },
		{ "arg2", d->off_arg2, 4 }, { "event", d->off_event, 2 },
		{ "state", d->off_state, 2 },
	};
	const struct field ring[] = {
		{ "magic", 0, 8 }, { "head", d->off_ring_head, 8 },
		{ "cpu", d->off_ring_cpu, 4 }, { "nr_records", d->off_ring_nr, 4 },
	};
	int rc;

	if (d->magic != DTREC_DESC_MAGIC) {
		if (__builtin_bswap64(d->magic) == DTREC_DESC_MAGIC)
			return dtrec_seterr(err, errlen, -EPROTONOSUPPORT,
				"recorder descriptor is in the other byte order (not supported)");
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor magic 0x%016llx: not a dovetail recorder descriptor",
			(unsigned long long)d->magic);
	}
	if (d->version != DTREC_FORMAT_VERSION)
		return dtrec_seterr(err, errlen, -EPROTONOSUPPORT,
			"unsupported recorder format version %u (this libdtrec reads %u)",
			d->version, DTREC_FORMAT_VERSION);
	if (d->desc_size < DTREC_DESC_V1_SIZE || d->desc_size > DTREC_MAX_DESC_SIZE)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor: size %u (%zu..%u)", d->desc_size,
			(size_t)DTREC_DESC_V1_SIZE, DTREC_MAX_DESC_SIZE);
	if (desc_len < d->desc_size)
		return dtrec_seterr(err, errlen, -EINVAL,
			"truncated descriptor: %zu bytes, need %u", desc_len,
			d->desc_size);
	if (d->rec_size < sizeof(struct dtrec_record) ||
	    d->rec_size > DTREC_MAX_REC_SIZE)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor: record size %u (%zu..%u)", d->rec_size,
			sizeof(struct dtrec_record), DTREC_MAX_REC_SIZE);
	if (d->ring_hdr_size < 8 || d->ring_hdr_size > DTREC_MAX_RING_HDR ||
	    d->off_ring_recs < d->ring_hdr_size)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor: ring header size %u, records at %u",
			d->ring_hdr_size, d->off_ring_recs);
	if (d->nr_cpus == 0 || d->nr_cpus > DTREC_MAX_CPUS)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor: CPU count %u (1..%u)", d->nr_cpus,
			DTREC_MAX_CPUS);
	if (!dtrec_is_pow2(d->nr_records) || d->nr_records > DTREC_MAX_RECORDS)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor: nr_records %u is not a power of two in 1..%u",
			d->nr_records, DTREC_MAX_RECORDS);
	if (d->clock_hz == 0)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor: clock_hz is 0");
	rc = check_fields(rec, sizeof(rec) / sizeof(rec[0]), d->rec_size,
			  "record", err, errlen);
	if (!rc)
		rc = check_fields(ring, sizeof(ring) / sizeof(ring[0]),
				  d->ring_hdr_size, "ring", err, errlen);
	return rc;
}

int dtrec_desc_size(const void *head, size_t len, uint32_t *size,
		    char *err, size_t errlen)
{
	struct {
		uint64_t magic;
		uint32_t version, desc_size;
	} h;

	if (!head || !size || len < sizeof(h))
		return dtrec_seterr(err, errlen, -EINVAL,
			"truncated descriptor: %zu bytes, need %zu", len, sizeof(h));
	memcpy(&h, head, sizeof(h));
	if (h.magic != DTREC_DESC_MAGIC) {
		if (__builtin_bswap64(h.magic) == DTREC_DESC_MAGIC)
			return dtrec_seterr(err, errlen, -EPROTONOSUPPORT,
				"recorder descriptor is in the other byte order (not supported)");
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor magic 0x%016llx: not a dovetail recorder descriptor",
			(unsigned long long)h.magic);
	}
	if (h.version != DTREC_FORMAT_VERSION)
		return dtrec_seterr(err, errlen, -EPROTONOSUPPORT,
			"unsupported recorder format version %u (this libdtrec reads %u)",
			h.version, DTREC_FORMAT_VERSION);
	if (h.desc_size < DTREC_DESC_V1_SIZE || h.desc_size > DTREC_MAX_DESC_SIZE)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor size %u (%zu..%u)", h.desc_size,
			(size_t)DTREC_DESC_V1_SIZE, DTREC_MAX_DESC_SIZE);
	*size = h.desc_size;
	return 0;
}

static uint64_t get64(const unsigned char *p, unsigned int off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t get32(const unsigned char *p, unsigned int off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint16_t get16(const unsigned char *p, unsigned int off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static void repack(const struct dtrec_desc *d, const unsigned char *src,
		   unsigned char *dst, uint32_t nr)
{
	struct dtrec_record r;
	uint32_t i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < nr; i++, src += d->rec_size,
	     dst += sizeof(r)) {
		r.seq = get64(src, d->off_seq);
		r.ts = get64(src, d->off_ts);
		r.pid = get32(src, d->off_pid);
		r.arg = get32(src, d->off_arg);
		r.arg2 = get32(src, d->off_arg2);
		r.event = get16(src, d->off_event);
		r.state = get16(src, d->off_state);
		memcpy(dst, &r, sizeof(r));
	}
}

static void fill_header(struct dtrec_snap_header *h, const struct dtrec_desc *d,
			uint32_t nr_cpus, const char *release)
{
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->magic = DTREC_SNAP_MAGIC;
	h->version = DTREC_SNAP_VERSION;
	h->header_size = sizeof(*h);
	h->nr_cpus = nr_cpus;
	h->rec_size = sizeof(struct dtrec_record);
	h->clock_hz = d->clock_hz;
	h->ref_cycles = d->ref_cycles;
	h->ref_ns = d->ref_ns;
	h->event_mask = d->event_mask;
	h->frozen = d->frozen;
	h->freeze_reason = d->freeze_reason;
	h->freeze_cpu = d->freeze_cpu;
	h->format_version = d->version;
	h->overhead_ps = d->overhead_ps;
	if (release)
		strncpy(h->release, release, sizeof(h->release) - 1);
	h->freeze_value = d->freeze_value;
	h->freeze_metric = d->freeze_metric;
	h->max_context = d->max_context;
	for (i = 0; i < DTREC_MAX_METRICS; i++)
		h->threshold_ns[i] = d->threshold[i] ? d->threshold_ns[i] : 0;
	memcpy(h->freeze_note, d->freeze_note, sizeof(h->freeze_note));
}

/*
 * The max block from the descriptor's areas: one read per CPU (its
 * areas are one block). An area that is empty, being written (odd
 * gen) or not as the descriptor says is left out: the rings are what
 * a dump is read for. *out NULL when nothing was captured.
 */
static int build_max(const struct dtrec_desc *d, dtrec_read_fn read, void *ctx,
		     unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	uint64_t cpu_len = (uint64_t)d->max_nr_metrics * d->max_area_size;
	unsigned char *blk, *stream, *w;
	size_t len;
	struct dtrec_snap_max b;
	uint32_t cpu, m;

	*out = NULL;
	*outlen = 0;
	if (d->desc_size < sizeof(*d) || !d->max_nr_metrics)
		return 0;
	if (d->max_nr_metrics > DTREC_MAX_METRICS ||
	    d->max_area_records > DTREC_MAX_AREA_RECORDS ||
	    d->max_area_size < sizeof(struct dtrec_max_area) +
	    (uint64_t)d->max_area_records * d->rec_size ||
	    d->max_area_size > sizeof(struct dtrec_max_area) +
	    (uint64_t)DTREC_MAX_AREA_RECORDS * DTREC_MAX_REC_SIZE)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad descriptor: %u max areas of %u records in %u bytes",
			d->max_nr_metrics, d->max_area_records, d->max_area_size);
	if (cpu_len * d->nr_cpus > DTREC_MAX_BUILD_BYTES)
		return dtrec_seterr(err, errlen, -EFBIG,
			"max areas total %llu bytes, over the %llu limit",
			(unsigned long long)(cpu_len * d->nr_cpus),
			(unsigned long long)DTREC_MAX_BUILD_BYTES);
	/* The stream grows with the areas found, not with what is claimed. */
	blk = malloc(cpu_len);
	stream = malloc(sizeof(b));
	if (!blk || !stream) {
		free(blk);
		free(stream);
		return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	}
	memset(&b, 0, sizeof(b));
	len = sizeof(b);
	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		if (!d->max_cpu[cpu] || !d->ring[cpu])
			continue;
		if (read(ctx, d->max_cpu[cpu], blk, cpu_len))
			continue;	/* e.g. vmalloc pages not in the dump */
		for (m = 0; m < d->max_nr_metrics; m++) {
			const unsigned char *p = blk + (size_t)m * d->max_area_size;
			size_t need;
			struct dtrec_max_area a;

			memcpy(&a, p, sizeof(a));
			if (!a.length || !a.nr || a.nr > d->max_area_records ||
			    (a.gen & 1) || a.cpu != cpu || a.metric != m)
				continue;
			need = sizeof(a) + (size_t)a.nr * sizeof(struct dtrec_record);
			w = realloc(stream, len + need);
			if (!w) {
				free(blk);
				free(stream);
				return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
			}
			stream = w;
			a.gen = 0;
			memcpy(stream + len, &a, sizeof(a));
			repack(d, p + sizeof(a), stream + len + sizeof(a), a.nr);
			len += need;
			b.nr_areas++;
		}
	}
	free(blk);
	if (!b.nr_areas) {
		free(stream);
		return 0;
	}
	b.magic = DTREC_MAXB_MAGIC;
	b.size = (uint32_t)len;
	b.rec_size = sizeof(struct dtrec_record);
	memcpy(stream, &b, sizeof(b));
	*out = stream;
	*outlen = b.size;
	return 0;
}

int dtrec_build_snapshot(const void *desc, size_t desc_len, dtrec_read_fn read,
			 void *ctx, const char *release, void **out,
			 size_t *outlen, char *err, size_t errlen)
{
	struct dtrec_desc d;
	uint64_t ring_len, total;
	unsigned char *buf = NULL, *stream = NULL, *w, *mb = NULL;
	size_t mblen = 0;
	uint32_t i, present = 0;
	int rc;

	if (!out || !outlen || !read)
		return dtrec_seterr(err, errlen, -EINVAL, "missing argument");
	*out = NULL;
	*outlen = 0;
	if (!desc || desc_len < DTREC_DESC_V1_SIZE)
		return dtrec_seterr(err, errlen, -EINVAL,
			"truncated descriptor: %zu bytes, need %zu", desc_len,
			(size_t)DTREC_DESC_V1_SIZE);
	/* A recorder without worst-case capture: the rest reads as zero. */
	memset(&d, 0, sizeof(d));
	memcpy(&d, desc, desc_len < sizeof(d) ? desc_len : sizeof(d));
	rc = check_desc(&d, desc_len, err, errlen);
	if (rc)
		return rc;

	ring_len = d.off_ring_recs + (uint64_t)d.nr_records * d.rec_size;
	for (i = 0; i < d.nr_cpus; i++) {
		if (!d.ring[i])
			continue;	/* CPU without a ring (never online) */
		if (d.ring_bytes[i] && d.ring_bytes[i] < ring_len)
			return dtrec_seterr(err, errlen, -EINVAL,
				"bad descriptor: cpu %u ring is %llu bytes, its records need %llu",
				i, (unsigned long long)d.ring_bytes[i],
				(unsigned long long)ring_len);
		if (d.ring[i] + ring_len < d.ring[i])
			return dtrec_seterr(err, errlen, -EINVAL,
				"bad descriptor: cpu %u ring address 0x%llx wraps",
				i, (unsigned long long)d.ring[i]);
		present++;
	}
	if (!present)
		return dtrec_seterr(err, errlen, -EINVAL,
				    "bad descriptor: no CPU has a ring");
	if (ring_len * present > DTREC_MAX_BUILD_BYTES)
		return dtrec_seterr(err, errlen, -EFBIG,
			"recorder rings total %llu bytes, over the %llu limit",
			(unsigned long long)(ring_len * present),
			(unsigned long long)DTREC_MAX_BUILD_BYTES);

	total = sizeof(struct dtrec_snap_header) + present *
		(sizeof(struct dtrec_snap_cpu) +
		 (uint64_t)d.nr_records * sizeof(struct dtrec_record));
	buf = malloc(ring_len);
	stream = malloc(total);
	if (!buf || !stream) {
		rc = dtrec_seterr(err, errlen, -ENOMEM,
			"out of memory for a %llu-byte snapshot",
			(unsigned long long)total);
		goto fail;
	}
	fill_header((struct dtrec_snap_header *)stream, &d, present, release);
	w = stream + sizeof(struct dtrec_snap_header);
	for (i = 0; i < d.nr_cpus; i++) {
		struct dtrec_snap_cpu sc;

		if (!d.ring[i])
			continue;
		rc = read(ctx, d.ring[i], buf, ring_len);
		if (rc) {
			rc = dtrec_seterr(err, errlen, rc < 0 ? rc : -EIO,
				"cannot read cpu %u ring at 0x%llx (%llu bytes)",
				i, (unsigned long long)d.ring[i],
				(unsigned long long)ring_len);
			goto fail;
		}
		if (get64(buf, 0) != DTREC_RING_MAGIC) {
			rc = dtrec_seterr(err, errlen, -EINVAL,
				"cpu %u ring at 0x%llx: bad ring magic 0x%016llx",
				i, (unsigned long long)d.ring[i],
				(unsigned long long)get64(buf, 0));
			goto fail;
		}
		sc.cpu = get32(buf, d.off_ring_cpu);
		sc.nr_records = get32(buf, d.off_ring_nr);
		sc.head = get64(buf, d.off_ring_head);
		if (sc.cpu != i || sc.nr_records != d.nr_records) {
			rc = dtrec_seterr(err, errlen, -EINVAL,
				"cpu %u ring at 0x%llx: header says cpu %u with %u records, descriptor %u",
				i, (unsigned long long)d.ring[i], sc.cpu,
				sc.nr_records, d.nr_records);
			goto fail;
		}
		memcpy(w, &sc, sizeof(sc));
		w += sizeof(sc);
		repack(&d, buf + d.off_ring_recs, w, d.nr_records);
		w += (size_t)d.nr_records * sizeof(struct dtrec_record);
	}
	free(buf);
	buf = NULL;
	rc = build_max(&d, read, ctx, &mb, &mblen, err, errlen);
	if (rc)
		goto fail;
	if (mb) {
		w = realloc(stream, total + mblen);
		if (!w) {
			free(mb);
			rc = dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
			goto fail;
		}
		stream = w;
		memcpy(stream + total, mb, mblen);
		total += mblen;
		free(mb);
	}
	*out = stream;
	*outlen = total;
	return 0;
fail:
	free(buf);
	free(stream);
	return rc;
}

int dtrec_snapshot_add_names(void **stream, size_t *len,
			     const struct dtrec_snap_task *tasks, size_t nr_tasks,
			     const struct dtrec_snap_irq *irqs, size_t nr_irqs,
			     char *err, size_t errlen)
{
	struct dtrec_snap_header h;
	struct dtrec_snap_names n;
	unsigned char *p;
	size_t off, need, k;
	uint32_t i;

	if (!stream || !*stream || !len || *len < DTREC_SNAP_HDR_V1_SIZE ||
	    (nr_tasks && !tasks) || (nr_irqs && !irqs))
		return dtrec_seterr(err, errlen, -EINVAL, "missing argument");
	if (nr_tasks > DTREC_MAX_NAMES || nr_irqs > DTREC_MAX_NAMES)
		return dtrec_seterr(err, errlen, -E2BIG, "more than %u names",
				    DTREC_MAX_NAMES);
	memset(&h, 0, sizeof(h));
	memcpy(&h, *stream, DTREC_SNAP_HDR_V1_SIZE);
	if (h.magic != DTREC_SNAP_MAGIC || h.header_size < DTREC_SNAP_HDR_V1_SIZE ||
	    h.header_size > *len || h.nr_cpus > DTREC_MAX_CPUS)
		return dtrec_seterr(err, errlen, -EINVAL,
				    "not a snapshot stream of this byte order");
	/* Walk the CPU blocks: the names go right after the last one. */
	off = h.header_size;
	for (i = 0; i < h.nr_cpus; i++) {
		struct dtrec_snap_cpu c;

		if (*len - off < sizeof(c))
			return dtrec_seterr(err, errlen, -EINVAL, "truncated snapshot");
		memcpy(&c, (unsigned char *)*stream + off, sizeof(c));
		off += sizeof(c);
		if (c.nr_records > DTREC_MAX_RECORDS ||
		    (uint64_t)c.nr_records * h.rec_size > *len - off)
			return dtrec_seterr(err, errlen, -EINVAL, "truncated snapshot");
		off += (size_t)c.nr_records * h.rec_size;
	}
	/* A max block (version 3) stays before the names. */
	if (h.version >= 3 && *len - off >= sizeof(struct dtrec_snap_max)) {
		struct dtrec_snap_max b;

		memcpy(&b, (unsigned char *)*stream + off, sizeof(b));
		if (b.magic == DTREC_MAXB_MAGIC && b.size >= sizeof(b) &&
		    b.size <= *len - off)
			off += b.size;
	}
	if (off != *len)
		return dtrec_seterr(err, errlen, -EEXIST,
				    "the snapshot already has something after its CPU blocks");
	need = sizeof(n) + nr_tasks * sizeof(*tasks) + nr_irqs * sizeof(*irqs);
	p = realloc(*stream, off + need);
	if (!p)
		return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	memset(&n, 0, sizeof(n));
	n.magic = DTREC_NAMES_MAGIC;
	n.size = (uint32_t)need;
	n.nr_tasks = (uint32_t)nr_tasks;
	n.nr_irqs = (uint32_t)nr_irqs;
	memcpy(p + off, &n, sizeof(n));
	off += sizeof(n);
	for (k = 0; k < nr_tasks; k++, off += sizeof(*tasks))
		memcpy(p + off, &tasks[k], sizeof(*tasks));
	for (k = 0; k < nr_irqs; k++, off += sizeof(*irqs))
		memcpy(p + off, &irqs[k], sizeof(*irqs));
	if (h.version < 2)
		h.version = 2;
	memcpy(p, &h, DTREC_SNAP_HDR_V1_SIZE);
	*stream = p;
	*len = off;
	return 0;
}
