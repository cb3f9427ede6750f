// SPDX-License-Identifier: LGPL-2.1-or-later
/* libFuzzer target: a snapshot stream through parse, both trace formats and stats. */
#include <stdlib.h>
#include <string.h>
#include "dtrec.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtrec_snapshot *s = NULL;
	struct dtrec_filter f;
	char err[DTREC_ERRLEN] = "";
	char *t;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (dtrec_parse(data, size, &s, err, sizeof(err))) {
		/* Every rejection must explain itself in one line. */
		if (!err[0] || strchr(err, '\n') || s)
			abort();
		return 0;
	}
	dtrec_filter_init(&f);
	f.include_bad = size & 1;
	f.last = size % 7;
	t = dtrec_trace_str(s, &f, 1);
	dtrec_free_buf(t);
	t = dtrec_trace_str(s, &f, 0);
	dtrec_free_buf(t);
	dtrec_print_stats(devnull, s, 0);
	dtrec_print_stats(devnull, s, 1);
	dtrec_free(s);
	return 0;
}
