// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: dtrec_build_snapshot on a fuzzed descriptor. Input
 * layout is what `dtrec-gen --image` writes: struct dtrec_desc, then
 * target memory starting at IMAGE_BASE; reads outside it fail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dtrec.h"

#define IMAGE_BASE 0x10000ULL

struct mem {
	const uint8_t *p;
	size_t len;
};

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct mem *m = ctx;

	if (addr < IMAGE_BASE || addr - IMAGE_BASE > m->len ||
	    len > m->len - (addr - IMAGE_BASE))
		return -EFAULT;
	memcpy(buf, m->p + (addr - IMAGE_BASE), len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t dlen = size < sizeof(struct dtrec_desc) ? size : sizeof(struct dtrec_desc);
	struct mem m = { data + dlen, size - dlen };
	struct dtrec_snapshot *s = NULL;
	char err[DTREC_ERRLEN] = "";
	void *out = NULL;
	size_t outlen = 0;
	char *t;

	if (dtrec_build_snapshot(data, dlen, mem_read, &m, "fuzz", &out, &outlen,
				 err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n') || out || outlen)
			abort();
		return 0;
	}
	/* What build emits, parse must accept. */
	if (dtrec_parse(out, outlen, &s, err, sizeof(err)))
		abort();
	t = dtrec_trace_str(s, NULL, 1);
	dtrec_free_buf(t);
	dtrec_free(s);
	dtrec_free_buf(out);
	return 0;
}
