// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: a snapshot stream through parse, both trace
 * formats, stats and the hang report (records only, and with a live
 * state made from the input's first bytes).
 */
#include <stdlib.h>
#include <string.h>
#include "dtrec.h"

static FILE *devnull;

static void report(const struct dtrec_snapshot *s, const uint8_t *data, size_t size)
{
	struct dtrec_report_opts o;
	struct dtrec_live *l = dtrec_live_new();
	char err[DTREC_ERRLEN] = "";
	size_t i;
	int n;

	dtrec_report_opts_init(&o);
	o.last = size % 5;
	o.oob_stall_ns = size & 2 ? 1 : 0;
	o.inband_stall_ns = size & 4 ? 1 : 0;
	for (i = 0; l && i + 4 <= size && i < 64; i += 4) {
		uint32_t cpu = data[i] & 7;
		int v = data[i + 1];

		dtrec_live_cpu(l, cpu, (v & 3) - 1, ((v >> 2) & 3) - 1,
			       ((v >> 4) & 3) - 1, (data[i] >> 3) % 3 - 1,
			       (data[i] >> 5) % 3 - 1,
			       data[i + 2] % 3 - 1, data[i + 3] % 5 - 1, data[i + 2] & 1 ? 7 : -1);
		dtrec_live_pending(l, cpu, data[i + 3] & 1, data[i + 2], v & 8 ? "n\xc3" : NULL);
		dtrec_live_task(l, data[i + 3] % 9, v & 16 ? "t\xe9\x01" : NULL, cpu,
				v & 32 ? "migrating" : "oob-running");
	}
	for (i = 0; i < 4; i++) {
		char *t = dtrec_report_str(s, i & 2 ? l : NULL, &o, (int)(i & 1), &n,
					   err, sizeof(err));
		/* Only a snapshot with no valid record may be refused. */
		if (!t && strncmp(err, "no valid record", 15) &&
		    strcmp(err, "out of memory"))
			abort();
		dtrec_free_buf(t);
	}
	dtrec_live_free(l);
}

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
	report(s, data, size);
	dtrec_free(s);
	return 0;
}
