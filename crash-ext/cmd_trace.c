// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Recorder commands: assemble the snapshot stream from the rings in
 * the dump (libdtrec validates the descriptor before any ring read)
 * and let libdtrec do all decoding, filtering, audit and export.
 */
#include "defs.h"
#include <errno.h>
#include "kread.h"
#include "commands.h"
#include "../libdtrec/dtrec.h"
#include "../libdtrec/dtrec_out.h"

static int read_cb(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	return ce_read(addr, buf, len) ? -EIO : 0;
}

/* The snapshot stream of the dump; -1 with the reason in why[]. */
static int build_stream(void **out, size_t *outlen, char *why, size_t whylen)
{
	uint64_t a;
	uint32_t head[4], size;
	void *desc;
	int rc;

	if (ce_sym("dovetail_recorder_desc", &a)) {
		snprintf(why, whylen, "recorder compiled out (no dovetail_recorder_desc symbol; CONFIG_DOVETAIL_RECORDER=n)");
		return -1;
	}
	if (ce_read(a, head, sizeof(head))) {
		snprintf(why, whylen, "cannot read dovetail_recorder_desc");
		return -1;
	}
	if (dtrec_desc_size(head, sizeof(head), &size, why, whylen))
		return -1;
	desc = malloc(size);
	if (!desc) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (ce_read(a, desc, size)) {
		snprintf(why, whylen, "cannot read the %u-byte recorder descriptor", size);
		free(desc);
		return -1;
	}
	rc = dtrec_build_snapshot(desc, size, read_cb, NULL, ko.release, out,
				  outlen, why, whylen);
	free(desc);
	return rc ? -1 : 0;
}

/*
 * The names block (comms, IRQ names) from the dump's tasks and IRQs,
 * for what leaves the session: the snapshot file and the exports. On
 * any failure the stream stays as it was, without names.
 */
static void add_names(void **buf, size_t *len)
{
	char why[DTREC_ERRLEN];
	size_t nlen;
	char *named = dtrec_snapshot_with_target_names(&ce_target, *buf, *len, &nlen,
							why, sizeof(why));

	if (!named)
		return;
	dtrec_free_buf(*buf);
	*buf = named;
	*len = nlen;
}

static struct dtrec_snapshot *load_why(char *why, size_t whylen, int names)
{
	struct dtrec_snapshot *s = NULL;
	size_t len;
	void *buf;

	if (build_stream(&buf, &len, why, whylen))
		return NULL;
	if (names)
		add_names(&buf, &len);
	if (dtrec_parse(buf, len, &s, why, whylen))
		s = NULL;
	dtrec_free_buf(buf);
	return s;
}

static struct dtrec_snapshot *load_names(int names)
{
	struct dtrec_snapshot *s;
	char why[DTREC_ERRLEN];

	if (ce_koff_init())
		return NULL;
	s = load_why(why, sizeof(why), names);
	if (!s)
		ce_err("%s", why);
	return s;
}

static struct dtrec_snapshot *load(void)
{
	return load_names(0);
}

/* Drop --json from argv in place; returns whether it was there. */
static int take_json(int *argc, char **argv)
{
	int i, j, json = 0;

	for (i = j = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	return json;
}

/* Drop "--max[=METRICS]" from argv in place; returns the word or NULL. */
static char *take_max(int *argc, char **argv)
{
	char *word = NULL;
	int i, j;

	for (i = j = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--max") || !strncmp(argv[i], "--max=", 6))
			word = argv[i];
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	return word;
}

/*
 * With a --max word, the captured worst cases instead of the rings
 * (dtrec_max_view()); s is freed either way. NULL after an error line.
 */
static struct dtrec_snapshot *max_view(struct dtrec_snapshot *s, char *word)
{
	const struct dtrec_snapshot *cs = s;
	struct dtrec_snapshot *v;
	char err[DTREC_ERRLEN];
	int n = 1;

	if (!s || !word)
		return s;
	if (dtrec_max_words(&cs, &n, &word, &v, err, sizeof(err))) {
		ce_err("%s", err);
		v = NULL;
	}
	dtrec_free(s);
	return v;
}

static int parse_filter(struct dtrec_filter *f, int argc, char **argv)
{
	char err[DTREC_ERRLEN];

	dtrec_filter_init(f);
	if (dtrec_filter_parse(f, argc, argv, err, sizeof(err))) {
		ce_err("%s", err);
		return -1;
	}
	return 0;
}

int ce_cmd_trace(int argc, char **argv)
{
	struct dtrec_filter f;
	struct dtrec_snapshot *s;
	int json = take_json(&argc, argv), rc;
	char *max = take_max(&argc, argv);

	if (parse_filter(&f, argc, argv))
		return -1;
	s = max_view(load(), max);
	if (!s)
		return -1;
	rc = dtrec_print_trace(fp, s, &f, json);
	dtrec_free(s);
	if (rc < 0) {
		ce_err("trace output failed (%d)", rc);
		return -1;
	}
	return 0;
}

int ce_cmd_audit(int argc, char **argv)
{
	struct dtrec_audit_opts o;
	struct dtrec_snapshot *s;
	char err[DTREC_ERRLEN];
	int json = take_json(&argc, argv), rc;
	char *max = take_max(&argc, argv);

	dtrec_audit_opts_init(&o);
	if (dtrec_audit_opts_parse(&o, argc, argv, err, sizeof(err))) {
		ce_err("audit: %s", err);
		return -1;
	}
	s = max_view(load(), max);
	if (!s)
		return -1;
	rc = dtrec_audit(fp, s, &o, json);
	dtrec_free(s);
	if (rc < 0) {
		ce_err("audit failed (%d)", rc);
		return -1;
	}
	return 0;
}

/*
 * The hang report: the live state of the dump (what stages, irqs and
 * tasks --all print) plus the rings, judged by libdtrec; without a
 * recorder, or with an unusable one, the state alone.
 */
int ce_cmd_report(int argc, char **argv)
{
	struct dtrec_report_opts o;
	struct dtrec_snapshot *s;
	struct dtrec_live *live;
	char err[DTREC_ERRLEN] = "", why[DTREC_ERRLEN];
	int json = take_json(&argc, argv), rc;
	char *max = take_max(&argc, argv);
	char *text;

	dtrec_report_opts_init(&o);
	if (dtrec_report_opts_parse(&o, argc, argv, err, sizeof(err))) {
		ce_err("report: %s", err);
		return -1;
	}
	if (ce_koff_init())
		return -1;
	/* Without a recorder, the state alone (docs/report.md). */
	s = load_why(why, sizeof(why), 0);
	if (max) {
		if (!s) {
			ce_err("--max: %s", why);
			return -1;
		}
		s = max_view(s, max);
		if (!s)
			return -1;
	}
	live = dtrec_live_new();
	if (!live || dtrec_state_live(&ce_target, live, err, sizeof(err)) ||
	    dtrec_live_info(live, ko.release, s ? NULL : why)) {
		ce_err("%s", live && err[0] ? err : "out of memory");
		dtrec_live_free(live);
		dtrec_free(s);
		return -1;
	}
	text = dtrec_report_str(s, live, &o, json, &rc, err, sizeof(err));
	dtrec_live_free(live);
	dtrec_free(s);
	if (!text) {
		ce_err("%s", err[0] ? err : "report failed");
		return -1;
	}
	fputs(text, fp);
	dtrec_free_buf(text);
	return rc;
}

int ce_cmd_export(int argc, char **argv)
{
	char err[DTREC_ERRLEN] = "", path[4096];
	struct dtrec_snapshot *s;
	char *max = take_max(&argc, argv);
	int rc;

	s = max_view(load_names(1), max);
	if (!s)
		return -1;
	rc = dtrec_export_command(s, argc, argv, path, sizeof(path), err, sizeof(err));
	dtrec_free(s);
	if (rc) {
		ce_err("%s", err);
		return -1;
	}
	fprintf(fp, "wrote %s\n", path);
	return 0;
}

int ce_cmd_snapshot(int argc, char **argv)
{
	char err[DTREC_ERRLEN];
	size_t len;
	void *buf;
	int rc;

	if (argc != 1) {
		ce_err("usage: dovetail snapshot FILE");
		return -1;
	}
	if (ce_koff_init())
		return -1;
	if (build_stream(&buf, &len, err, sizeof(err))) {
		ce_err("%s", err);
		return -1;
	}
	add_names(&buf, &len);
	/* Whole or not at all: a failed write leaves FILE as it was. */
	rc = dtrec_write_file(argv[0], buf, len, err, sizeof(err));
	dtrec_free_buf(buf);
	if (rc) {
		ce_err("%s", err);
		return -1;
	}
	fprintf(fp, "wrote %zu bytes to %s\n", len, argv[0]);
	return 0;
}
