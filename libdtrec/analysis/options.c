// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Options of the analysis commands, parsed here once for every front
 * end (the CLI, crash, and gdb and drgn through ctypes), and the audit
 * and export commands run in-process on a parsed snapshot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "dtrec_out.h"

int dtrec_opts_parse(const struct dtrec_opt *tab, size_t n, const char *what,
		     void *o, int argc, char **argv, char *err, size_t errlen)
{
	int i;

	if (!o)
		return dtrec_seterr(err, errlen, -EINVAL, "missing options");
	for (i = 0; i < argc; i++) {
		const char *opt = argv[i], *val, *eq = strchr(opt, '=');
		size_t k, nlen = eq ? (size_t)(eq - opt) : strlen(opt);
		char names[256] = "";
		unsigned long long v;
		char *end;

		for (k = 0; k < n; k++)
			if (strlen(tab[k].name) == nlen && !strncmp(opt, tab[k].name, nlen))
				break;
		if (k == n) {
			for (k = 0; k < n; k++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names),
					 "%s%s", k ? ", " : "", tab[k].name);
			return dtrec_seterr(err, errlen, -EINVAL,
					    "unknown %s option '%.64s' (%s)", what, opt, names);
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return dtrec_seterr(err, errlen, -EINVAL, "%s needs a value",
					    tab[k].name);
		errno = 0;
		v = strtoull(val, &end, 0);
		if (!*val || *val == '-' || *val == '+' || *end || errno ||
		    (tab[k].size == sizeof(int) && v > 1000000))
			return dtrec_seterr(err, errlen, -EINVAL,
					    "%s: '%.64s' is not a %s", tab[k].name, val,
					    tab[k].size == sizeof(int) ?
					    "count up to 1000000" : "non-negative integer");
		if (tab[k].size == sizeof(int))
			memcpy((char *)o + tab[k].off, &(int){ (int)v }, sizeof(int));
		else
			memcpy((char *)o + tab[k].off, &(uint64_t){ v }, sizeof(uint64_t));
	}
	return 0;
}

/* ---- audit ---- */

#define AOPT(n, f) { n, offsetof(struct dtrec_audit_opts, f), \
		     sizeof(((struct dtrec_audit_opts *)0)->f) }
static const struct dtrec_opt audit_opt[] = {
	AOPT("--context", context),
	AOPT("--max-oob-stall", max_oob_stall_ns),
	AOPT("--max-inband-stall-pending", max_inband_stall_pending_ns),
	AOPT("--max-hard-off", max_hard_off_ns),
};

void dtrec_audit_opts_init(struct dtrec_audit_opts *o)
{
	memset(o, 0, sizeof(*o));
}

int dtrec_audit_opts_parse(struct dtrec_audit_opts *o, int argc, char **argv,
			   char *err, size_t errlen)
{
	return dtrec_opts_parse(audit_opt, sizeof(audit_opt) / sizeof(audit_opt[0]),
				"audit", o, argc, argv, err, errlen);
}

char *dtrec_audit_str(const struct dtrec_snapshot *s, int argc, char **argv,
		      int json, int *violations, char *err, size_t errlen)
{
	struct dtrec_audit_opts o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	dtrec_audit_opts_init(&o);
	if (dtrec_audit_opts_parse(&o, argc, argv, err, errlen))
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f) {
		dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	rc = dtrec_audit(f, s, &o, json);
	if (fclose(f) && rc >= 0)
		rc = -ENOMEM;
	if (rc < 0) {
		free(buf);
		dtrec_seterr(err, errlen, rc, "audit failed: %s", strerror(-rc));
		return NULL;
	}
	if (violations)
		*violations = rc;
	return buf;
}

/* ---- export ---- */

static int take(int *argc, char **argv, int i, int n)
{
	memmove(argv + i, argv + i + n, (size_t)(*argc - i - n) * sizeof(*argv));
	*argc -= n;
	return i - 1;
}

#define STR_(x)	#x
#define STR(x)	STR_(x)

const char *dtrec_export_limit(const char *format, int rc)
{
	if (rc == -E2BIG && format && !strcmp(format, "svg"))
		return "svg export: the window holds more than the "
		       STR(DTREC_SVG_MAX_RECORDS)
		       " records an SVG shows; narrow it with --from/--to, --cpu or --last";
	return NULL;
}

int dtrec_export_check(const char *fmt, int nfilter, char *err, size_t errlen)
{
	if (strcmp(fmt, "tracedat") && strcmp(fmt, "chrome") && strcmp(fmt, "svg"))
		return dtrec_seterr(err, errlen, -EINVAL,
				    "export: unknown format '%.32s' (tracedat, chrome, svg)", fmt);
	if (!strcmp(fmt, "tracedat") && nfilter)
		return dtrec_seterr(err, errlen, -EINVAL, "export tracedat takes no filters");
	return 0;
}

int dtrec_export_format(FILE *f, const char *fmt, const struct dtrec_snapshot *s,
			const struct dtrec_filter *flt, char *err, size_t errlen)
{
	if (!strcmp(fmt, "tracedat"))
		return dtrec_export_tracedat(f, s, err, errlen);
	if (!strcmp(fmt, "chrome"))
		return dtrec_export_chrome(f, s, flt);
	if (!strcmp(fmt, "svg"))
		return dtrec_export_svg(f, s, flt);
	return dtrec_seterr(err, errlen, -EINVAL, "export: unknown format '%.32s'", fmt);
}

int dtrec_export_command(const struct dtrec_snapshot *s, int argc, char **argv,
			 char *path, size_t pathlen, char *err, size_t errlen)
{
	const char *fmt = NULL, *out = NULL;
	struct dtrec_filter f;
	char **w = calloc((size_t)argc + 1, sizeof(*w));
	char werr[DTREC_ERRLEN];
	struct dtrec_out o;
	int i, n = argc, rc, wrc;

	if (!w)
		return dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	memcpy(w, argv, (size_t)argc * sizeof(*w));
	for (i = 0; i < n; i++) {
		const char *a = w[i];

		int is_fmt = !strncmp(a, "--format", 8);

		if ((!strcmp(a, "--format") || !strcmp(a, "-o") ||
		     !strcmp(a, "--output")) && i + 1 < n) {
			*(is_fmt ? &fmt : &out) = w[i + 1];
			i = take(&n, w, i, 2);
		} else if (!strncmp(a, "--format=", 9) || !strncmp(a, "--output=", 9)) {
			*(is_fmt ? &fmt : &out) = a + 9;
			i = take(&n, w, i, 1);
		}
	}
	/* The older positional form: FORMAT FILE [filters]. */
	if (!fmt && !out && n >= 2 && w[0][0] != '-') {
		fmt = w[0];
		out = w[1];
		take(&n, w, 0, 2);
	}
	rc = 0;
	if (!fmt || !out)
		rc = dtrec_seterr(err, errlen, -EINVAL,
				  "usage: export --format tracedat|chrome|svg -o FILE [filters]");
	else if (!strcmp(fmt, "trace.dat"))
		fmt = "tracedat";
	if (!rc)
		rc = dtrec_export_check(fmt, n, err, errlen);
	dtrec_filter_init(&f);
	if (!rc)
		rc = dtrec_filter_parse(&f, n, w, err, errlen);
	free(w);
	if (rc)
		return rc;
	/* Whole or not at all, never over a device (dtrec_out.h). */
	rc = dtrec_out_open(&o, out, NULL, err, errlen);
	if (rc)
		return rc;
	rc = dtrec_export_format(o.f, fmt, s, &f, err, errlen);
	if (dtrec_export_limit(fmt, rc))
		dtrec_seterr(err, errlen, rc, "%s", dtrec_export_limit(fmt, rc));
	else if (rc < 0 && strcmp(fmt, "tracedat"))
		dtrec_seterr(err, errlen, rc, "export %s failed: %s", fmt, strerror(-rc));
	/* A write error (ENOSPC, ...) explains a failed export best. */
	wrc = dtrec_out_close(&o, rc < 0, werr, sizeof(werr));
	if (wrc && wrc != -ECANCELED)
		rc = dtrec_seterr(err, errlen, wrc, "%s", werr);
	if (rc < 0)
		return rc;
	if (path)
		snprintf(path, pathlen, "%s", out);
	return 0;
}
