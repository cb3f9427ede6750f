// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: a snapshot stream read as dovetail-trace reads a
 * file (dtrec_read_snapshot, header first), then through every
 * analysis that walks the records itself: the audit (text and JSON, with and without
 * context), the records-only hang report, and the trace.dat, Chrome
 * and SVG exports, with filters and thresholds taken from the input's
 * size. Each must return a result or an error, never crash; the JSON
 * and text outputs must end with a newline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dtrec.h"

typedef int (*export_fn)(FILE *, const struct dtrec_snapshot *,
			 const struct dtrec_filter *, char *, size_t);

static int tracedat(FILE *o, const struct dtrec_snapshot *s,
		    const struct dtrec_filter *f, char *err, size_t errlen)
{
	(void)f;
	return dtrec_export_tracedat(o, s, err, errlen);
}

static int chrome(FILE *o, const struct dtrec_snapshot *s,
		  const struct dtrec_filter *f, char *err, size_t errlen)
{
	(void)err; (void)errlen;
	return dtrec_export_chrome(o, s, f);
}

static int svg(FILE *o, const struct dtrec_snapshot *s,
	       const struct dtrec_filter *f, char *err, size_t errlen)
{
	(void)err; (void)errlen;
	return dtrec_export_svg(o, s, f);
}

/* Run fn into memory: its result, and its output in buf and len. */
static int capture(export_fn fn, const struct dtrec_snapshot *s,
		   const struct dtrec_filter *f, char **buf, size_t *len)
{
	char err[DTREC_ERRLEN] = "";
	FILE *m = open_memstream(buf, len);
	int rc;

	if (!m)
		abort();
	rc = fn(m, s, f, err, sizeof(err));
	if (fclose(m))
		abort();
	/* A refusal explains itself in one line (trace.dat sets err). */
	if (rc < 0 && rc != -ENOMEM && fn == tracedat && (!err[0] || strchr(err, '\n')))
		abort();
	return rc;
}

static void audit(const struct dtrec_snapshot *s, size_t size)
{
	struct dtrec_audit_opts o;
	int json;

	memset(&o, 0, sizeof(o));
	o.context = (int)(size % 9) - 1;
	o.max_oob_stall_ns = size & 8 ? 1 : 0;
	o.max_inband_stall_pending_ns = size & 16 ? 1 : 0;
	o.max_hard_off_ns = size & 32 ? 1 : 0;
	for (json = 0; json < 2; json++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		int rc;

		if (!m)
			abort();
		rc = dtrec_audit(m, s, &o, json);
		if (fclose(m))
			abort();
		if (rc >= 0 && (!len || buf[len - 1] != '\n'))
			abort();
		free(buf);
	}
}

static void report(const struct dtrec_snapshot *s, size_t size)
{
	struct dtrec_report_opts o;
	char err[DTREC_ERRLEN] = "";
	int json, n;

	dtrec_report_opts_init(&o);
	o.last = size % 4;
	o.migrating_ns = size & 2 ? 1 : 0;
	o.hard_off_ns = size & 4 ? 1 : 0;
	for (json = 0; json < 2; json++) {
		char *t = dtrec_report_str(s, NULL, &o, json, &n, err, sizeof(err));

		if (!t && strncmp(err, "no valid record", 15) &&
		    strcmp(err, "out of memory"))
			abort();
		if (t && (!*t || t[strlen(t) - 1] != '\n'))
			abort();
		dtrec_free_buf(t);
	}
}

/*
 * The streaming reader never reads past what the header describes and
 * agrees with dtrec_parse: a stream parse accepts is read whole, and
 * what it reads is a prefix of the input.
 */
static void stream(const uint8_t *data, size_t size, int parsed)
{
	char err[DTREC_ERRLEN] = "";
	void *buf = NULL;
	size_t len = 0;
	FILE *f = fmemopen((void *)data, size, "rb");
	int rc;

	if (!f)
		return;		/* fmemopen refuses size 0 */
	rc = dtrec_read_snapshot(f, &buf, &len, err, sizeof(err));
	fclose(f);
	if (rc && (!err[0] || strchr(err, '\n') || buf))
		abort();
	if (!rc && (len > size || memcmp(buf, data, len)))
		abort();
	if (parsed && (rc || len != size))
		abort();
	dtrec_free_buf(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const export_fn fns[] = { tracedat, chrome, svg };
	struct dtrec_snapshot *s = NULL;
	struct dtrec_filter f;
	char err[DTREC_ERRLEN] = "";
	size_t i;
	int rc = dtrec_parse(data, size, &s, err, sizeof(err));

	stream(data, size, !rc);
	if (rc)
		return 0;	/* fuzz_parse checks the refusals */
	/* Half the time, every analysis runs on the captured worst cases. */
	if (s->nr_maxima && (size & 4)) {
		struct dtrec_snapshot *v = NULL;

		rc = dtrec_max_view(s, (uint32_t)(size >> 3) & 0x1f, &v, err, sizeof(err));
		if (rc && rc != -ENOENT)
			abort();
		if (!rc) {
			if (!v->max_view || v->nr_events > size)
				abort();
			dtrec_free(s);
			s = v;
		}
	}
	audit(s, size);
	report(s, size);
	dtrec_filter_init(&f);
	if (size & 1)
		f.cpu_mask = 1;
	if (size & 2)
		f.class_mask = 1U << DTREC_C_IRQ_LOG | 1U << DTREC_C_TASK;
	f.last = size % 5;
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		int rc = capture(fns[i], s, &f, &buf, &len);

		/* Chrome JSON is one object, SVG one document, both whole. */
		if (rc >= 0 && fns[i] == chrome &&
		    (len < 3 || buf[0] != '{' || memcmp(buf + len - 2, "}\n", 2)))
			abort();
		if (rc >= 0 && fns[i] == svg && (!len || !strstr(buf, "</svg>")))
			abort();
		free(buf);
	}
	dtrec_free(s);
	return 0;
}
