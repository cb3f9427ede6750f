// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Snapshot stream parser. The stream may come from a crashed or
 * hostile machine, so every size is checked against what is left
 * before it is used, and the first problem found is the one reported.
 */
#include <errno.h>
#include <stdarg.h>
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

static int check_header(const struct dtrec_snap_header *h, size_t len,
			char *err, size_t errlen)
{
	if (h->magic != DTREC_SNAP_MAGIC) {
		if (__builtin_bswap64(h->magic) == DTREC_SNAP_MAGIC)
			return dtrec_seterr(err, errlen, -EPROTONOSUPPORT,
				"snapshot was written with the other byte order (not supported)");
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad magic 0x%016llx: not a dovetail recorder snapshot",
			(unsigned long long)h->magic);
	}
	if (h->version != DTREC_SNAP_VERSION)
		return dtrec_seterr(err, errlen, -EPROTONOSUPPORT,
			"unsupported snapshot version %u (this libdtrec reads %u)",
			h->version, DTREC_SNAP_VERSION);
	if (h->header_size < sizeof(*h) || h->header_size > DTREC_MAX_SNAP_HDR)
		return dtrec_seterr(err, errlen, -EINVAL,
			"bad header size %u (%zu..%u)", h->header_size,
			sizeof(*h), DTREC_MAX_SNAP_HDR);
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
	if (len < sizeof(struct dtrec_snap_header))
		return dtrec_seterr(err, errlen, -EINVAL,
			"truncated snapshot: %zu bytes, the header alone is %zu",
			len, sizeof(struct dtrec_snap_header));

	s = calloc(1, sizeof(*s));
	if (!s)
		return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	memcpy(&s->hdr, p, sizeof(s->hdr));
	rc = check_header(&s->hdr, len, err, errlen);
	if (rc)
		goto fail;

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

void dtrec_free(struct dtrec_snapshot *s)
{
	if (!s)
		return;
	free(s->cpus);
	free(s->events);
	free(s);
}
