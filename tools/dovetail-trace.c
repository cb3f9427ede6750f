// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dovetail-trace: decode, summarize, audit and export Dovetail recorder
 * snapshots. All the work is in libdtrec; this file only maps command
 * lines onto it and turns every failure into one line on stderr.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dtrec.h"
#include "dtrec_out.h"

#define PROG "dovetail-trace"

static const char usage_text[] =
"usage: " PROG " COMMAND [options] SNAPSHOT\n"
"\n"
"SNAPSHOT is a recorder snapshot stream (debugfs dovetail/recorder/snapshot,\n"
"or what a dump front end extracted); '-' reads stdin.\n"
"\n"
"commands:\n"
"  decode   print the merged trace, oldest first\n"
"  stats    per-CPU and per-event counts, lost/torn/stale records, time span\n"
"  report   hang report: per CPU the stage, stall bits, pending IRQs and their\n"
"           wait, tasks in flight and the last events, then a verdict naming\n"
"           the likely culprit (exit 4 when one is named; docs/report.md)\n"
"  audit    check pipeline invariants (exit 3 when violations are found)\n"
"  export   write another format: --format tracedat|chrome|svg [-o FILE]\n"
"\n"
"options:\n"
"  --json            one compact JSON line (docs/json.md)\n"
"  --cpu LIST        CPUs, e.g. 0,2-3            (decode, export)\n"
"  --class LIST      inband_stall,oob_stall,stage,pipeline,irq,oob_handler,task,misc\n"
"  --pid N           events recorded while pid N was current\n"
"  --from NS --to NS time window, in ns of the recorder clock\n"
"  --last N          only the last N selected events; report: events per CPU\n"
"                    (default 10)\n"
"  --all             also list torn and stale records (flagged)\n"
"  --context N       events shown around a violation (audit)\n"
"  --max-oob-stall NS, --max-inband-stall-pending NS, --max-hard-off NS\n"
"                    audit thresholds (0: defaults)\n"
"  --oob-stall NS, --inband-stall NS, --migrating NS, --hard-off NS\n"
"                    report verdict thresholds (0: defaults 10 ms, 100 ms,\n"
"                    100 ms, 10 ms)\n"
"  --max[=METRICS]   every command on the worst cases the kernel captured\n"
"                    (oob_stall,hard_off,stall_pending,wait_inband,wait_oob;\n"
"                    default all) instead of the rings (docs/maxima.md)\n"
"  -o, --output FILE output file for export (default stdout)\n"
"  -h, --help        this text\n"
"\n"
"exit status: 0 ok (report: no hang signature), 1 error, 2 usage error,\n"
"             3 audit violations, 4 report verdict naming a culprit\n";

enum cmd { C_DECODE, C_STATS, C_REPORT, C_AUDIT, C_EXPORT };

struct args {
	enum cmd cmd;
	int json;
	const char *snapshot, *format, *output;
	char *max;			/* "--max[=METRICS]" */
	struct dtrec_audit_opts audit;
	struct dtrec_report_opts ropts;
	int nfilter, nreport;
	char **filter, **report;
};

__attribute__((format(printf, 2, 3), noreturn))
static void fail(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(rc);
}

static int is_filter_flag(const char *a)
{
	/* The only filter option without a value. */
	return !strcmp(a, "--all");
}

static void parse_args(struct args *a, int argc, char **argv)
{
	static const char *const names[] = { "decode", "stats", "report", "audit", "export" };
	int i, c;

	memset(a, 0, sizeof(*a));
	if (argc < 2)
		fail(2, "missing command (try -h)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_text, stdout);
		exit(0);
	}
	for (c = 0; c < 5; c++)
		if (!strcmp(argv[1], names[c]))
			break;
	if (c == 5)
		fail(2, "unknown command '%s' (decode, stats, report, audit, export)", argv[1]);
	a->cmd = (enum cmd)c;
	a->filter = calloc((size_t)argc, sizeof(*a->filter));
	a->report = calloc((size_t)argc, sizeof(*a->report));
	if (!a->filter || !a->report)
		fail(1, "out of memory");

	for (i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			fputs(usage_text, stdout);
			exit(0);
		} else if (!strcmp(o, "--json")) {
			a->json = 1;
		} else if (!strcmp(o, "--max") || !strncmp(o, "--max=", 6)) {
			a->max = argv[i];
		} else if (!strcmp(o, "--format")) {
			if (!v)
				fail(2, "--format needs a value");
			a->format = v;
			i++;
		} else if (!strcmp(o, "-o") || !strcmp(o, "--output")) {
			if (!v)
				fail(2, "%s needs a value", o);
			a->output = v;
			i++;
		} else if ((a->cmd == C_REPORT || a->cmd == C_AUDIT) && o[0] == '-' && o[1]) {
			/*
			 * Left to dtrec_report_opts_parse or dtrec_audit_opts_parse,
			 * which range-check every value: each option takes one.
			 */
			a->report[a->nreport++] = argv[i];
			if (!strchr(o, '=') && v)
				a->report[a->nreport++] = argv[++i];
		} else if (o[0] == '-' && o[1]) {
			/* Left to dtrec_filter_parse, which knows the names. */
			a->filter[a->nfilter++] = argv[i];
			if (!is_filter_flag(o) && !strchr(o, '=') && v)
				a->filter[a->nfilter++] = argv[++i];
		} else if (a->snapshot) {
			fail(2, "more than one snapshot given ('%s', '%s')", a->snapshot, o);
		} else {
			a->snapshot = o;
		}
	}
	if (!a->snapshot)
		fail(2, "missing SNAPSHOT (try -h)");
	if (a->nfilter && (a->cmd == C_STATS || a->cmd == C_AUDIT))
		fail(2, "%s takes no filter option ('%s')", names[c], a->filter[0]);
	if (a->cmd == C_EXPORT && !a->format)
		fail(2, "export needs --format tracedat|chrome|svg");
	if (a->cmd != C_EXPORT && (a->format || a->output))
		fail(2, "--format and -o apply to export only");
}

/*
 * The snapshot, read header first: memory is bounded by what a valid
 * header describes, whatever the input (a pipe, /dev/zero, a huge file).
 */
static void *read_input(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char err[DTREC_ERRLEN] = "";
	void *buf;

	if (!f)
		fail(1, "cannot open %s: %s", path, strerror(errno));
	if (dtrec_read_snapshot(f, &buf, len, err, sizeof(err)))
		fail(1, "%s: %s", path, err);
	if (f != stdin)
		fclose(f);
	return buf;
}

/* Run fn into a string so a failure leaves no partial output behind. */
static char *capture(int (*fn)(FILE *, const struct dtrec_snapshot *, void *),
		     const struct dtrec_snapshot *s, void *arg, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		fail(1, "out of memory");
	*rc = fn(m, s, arg);
	if (fclose(m))
		fail(1, "out of memory");
	return buf;
}

struct audit_call {
	const struct dtrec_audit_opts *o;
	int json;
};

static int do_audit(FILE *out, const struct dtrec_snapshot *s, void *arg)
{
	const struct audit_call *c = arg;

	return dtrec_audit(out, s, c->o, c->json);
}

static int cmd_audit(const struct args *a, const struct dtrec_snapshot *s)
{
	struct audit_call c = { &a->audit, a->json };
	char *audit;
	int rc;

	audit = capture(do_audit, s, &c, &rc);
	if (rc == -ENOSYS)
		fail(1, "audit is not built into this libdtrec");
	if (rc < 0)
		fail(1, "audit failed: %s", strerror(-rc));
	fputs(audit, stdout);
	free(audit);
	return rc > 0 ? 3 : 0;
}

static int cmd_report(const struct args *a, const struct dtrec_snapshot *s)
{
	char err[DTREC_ERRLEN] = "";
	char *text;
	int verdicts = 0;

	/* Into a string first: a failure leaves no partial report behind. */
	text = dtrec_report_str(s, NULL, &a->ropts, a->json, &verdicts, err,
				sizeof(err));
	if (!text)
		fail(1, "%s: %s", a->snapshot, err[0] ? err : "report failed");
	fputs(text, stdout);
	free(text);
	return verdicts > 0 ? 4 : 0;
}

/* The export being written: a signal removes its temporary file. */
static struct dtrec_out *export_out;

static void on_signal(int sig)
{
	const char *tmp = dtrec_out_tmp(export_out);

	if (tmp)
		unlink(tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int cmd_export(const struct args *a, const struct dtrec_snapshot *s,
		      const struct dtrec_filter *f)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ };
	char err[DTREC_ERRLEN] = "", werr[DTREC_ERRLEN] = "";
	struct dtrec_out out;
	size_t i;
	int rc, wrc;

	if (dtrec_export_check(a->format, a->nfilter, err, sizeof(err)))
		fail(2, "%s", err);
	err[0] = 0;
	/* A new file or one replaced whole, never one half written. */
	if (dtrec_out_open(&out, a->output, a->snapshot, err, sizeof(err)))
		fail(1, "%s", err);
	export_out = &out;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_signal);
	rc = dtrec_export_format(out.f, a->format, s, f, err, sizeof(err));
	wrc = dtrec_out_close(&out, rc < 0, werr, sizeof(werr));
	export_out = NULL;
	/* A write error explains a failed export best (ENOSPC, EPIPE, ...). */
	if (wrc && wrc != -ECANCELED)
		fail(1, "%s", werr);
	if (rc == -ENOSYS)
		fail(1, "%s export is not built into this libdtrec", a->format);
	if (dtrec_export_limit(a->format, rc))
		fail(1, "%s", dtrec_export_limit(a->format, rc));
	if (rc < 0)
		fail(1, "%s export failed: %s", a->format,
		     err[0] ? err : strerror(-rc));
	return 0;
}

int main(int argc, char **argv)
{
	char err[DTREC_ERRLEN] = "";
	struct dtrec_snapshot *s;
	struct dtrec_filter f;
	struct args a;
	size_t len;
	void *buf;
	int rc = 0;

	parse_args(&a, argc, argv);
	dtrec_filter_init(&f);
	if (dtrec_filter_parse(&f, a.nfilter, a.filter, err, sizeof(err)))
		fail(2, "%s", err);
	dtrec_report_opts_init(&a.ropts);
	dtrec_audit_opts_init(&a.audit);
	if (a.cmd == C_AUDIT &&
	    dtrec_audit_opts_parse(&a.audit, a.nreport, a.report, err, sizeof(err)))
		fail(2, "audit: %s", err);
	if (a.cmd != C_AUDIT &&
	    dtrec_report_opts_parse(&a.ropts, a.nreport, a.report, err, sizeof(err)))
		fail(2, "report: %s", err);
	buf = read_input(a.snapshot, &len);
	if (dtrec_parse(buf, len, &s, err, sizeof(err)))
		fail(1, "%s: %s", a.snapshot, err);
	if (a.max) {
		/* The captured worst cases instead of the rings. */
		const struct dtrec_snapshot *cs = s;
		struct dtrec_snapshot *view;
		int n = 1;

		if (dtrec_max_words(&cs, &n, &a.max, &view, err, sizeof(err)))
			fail(1, "%s: %s", a.snapshot, err);
		dtrec_free(s);
		s = view;
	}

	switch (a.cmd) {
	case C_DECODE:
		rc = dtrec_print_trace(stdout, s, &f, a.json);
		break;
	case C_STATS:
		rc = dtrec_print_stats(stdout, s, a.json);
		break;
	case C_REPORT:
		rc = cmd_report(&a, s);
		break;
	case C_AUDIT:
		rc = cmd_audit(&a, s);
		break;
	case C_EXPORT:
		rc = cmd_export(&a, s, &f);
		break;
	}
	if (rc < 0 || fflush(stdout) || ferror(stdout))
		fail(1, "write error: %s", strerror(rc < 0 ? -rc : errno));
	dtrec_free(s);
	free(buf);
	free(a.filter);
	free(a.report);
	return rc;
}
