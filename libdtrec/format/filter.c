// SPDX-License-Identifier: LGPL-2.1-or-later
/* The event selection options shared by every front end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void dtrec_filter_init(struct dtrec_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->pid = -1;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || *end) ? -1 : 0;
}

static int parse_cpus(const char *s, uint64_t *mask, char *err, size_t errlen)
{
	const char *p = s;

	*mask = 0;
	while (*p) {
		uint64_t lo, hi;
		char *end;

		if (*p < '0' || *p > '9')
			goto bad;
		lo = hi = strtoull(p, &end, 10);
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				goto bad;
			hi = strtoull(p, &end, 10);
		}
		if (lo > hi)
			goto bad;
		if (hi > 63)
			return dtrec_seterr(err, errlen, -EINVAL,
				"--cpu: cpu %llu out of range (0..63)",
				(unsigned long long)hi);
		for (; lo <= hi; lo++)
			*mask |= 1ULL << lo;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			goto bad;
		p = end;
	}
	if (*mask)
		return 0;
bad:
	return dtrec_seterr(err, errlen, -EINVAL,
			    "--cpu: bad CPU list '%s' (expected e.g. 0,2-3)", s);
}

static int parse_classes(const char *s, uint32_t *mask, char *err, size_t errlen)
{
	char buf[256], *tok, *save = NULL;
	unsigned int c;

	if (strlen(s) >= sizeof(buf) || !*s)
		goto bad;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			*mask |= DTREC_ALL_CLASSES;
			continue;
		}
		for (c = 0; c < DTREC_NR_CLASSES; c++)
			if (!strcmp(tok, dtrec_class_name(c)))
				break;
		if (c == DTREC_NR_CLASSES)
			return dtrec_seterr(err, errlen, -EINVAL,
				"--class: unknown class '%s' (inband_stall, oob_stall, stage, pipeline, irq, oob_handler, task, misc, all)",
				tok);
		*mask |= 1U << c;
	}
	if (*mask)
		return 0;
bad:
	return dtrec_seterr(err, errlen, -EINVAL, "--class: bad class list '%s'", s);
}

static const char *const valued[] = { "--cpu", "--class", "--pid", "--from", "--to", "--last" };

int dtrec_filter_parse(struct dtrec_filter *f, int argc, char **argv,
		       char *err, size_t errlen)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *opt = argv[i], *val = NULL, *eq;
		char name[16];
		size_t k, nlen;
		uint64_t v;
		int rc;

		if (!strcmp(opt, "--all")) {
			f->include_bad = 1;
			continue;
		}
		eq = strchr(opt, '=');
		nlen = eq ? (size_t)(eq - opt) : strlen(opt);
		for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
			if (strlen(valued[k]) == nlen && !strncmp(opt, valued[k], nlen))
				break;
		if (k == sizeof(valued) / sizeof(valued[0]))
			return dtrec_seterr(err, errlen, -EINVAL,
					    "unknown filter option '%s'", opt);
		memcpy(name, opt, nlen);
		name[nlen] = '\0';
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return dtrec_seterr(err, errlen, -EINVAL,
					    "%s needs a value", name);

		if (!strcmp(name, "--cpu")) {
			rc = parse_cpus(val, &f->cpu_mask, err, errlen);
			if (rc)
				return rc;
			continue;
		}
		if (!strcmp(name, "--class")) {
			rc = parse_classes(val, &f->class_mask, err, errlen);
			if (rc)
				return rc;
			continue;
		}
		if (parse_u64(val, &v))
			return dtrec_seterr(err, errlen, -EINVAL,
				"%s: '%s' is not a non-negative integer", name, val);
		if (!strcmp(name, "--pid")) {
			if (v > UINT32_MAX)
				return dtrec_seterr(err, errlen, -EINVAL,
					"--pid: %s out of range", val);
			f->pid = (int64_t)v;
		} else if (!strcmp(name, "--from")) {
			f->from_ns = v;
		} else if (!strcmp(name, "--to")) {
			f->to_ns = v;
		} else {
			f->last = v;
		}
	}
	if (f->to_ns && f->to_ns < f->from_ns)
		return dtrec_seterr(err, errlen, -EINVAL,
			"--to %llu is before --from %llu",
			(unsigned long long)f->to_ns,
			(unsigned long long)f->from_ns);
	return 0;
}

int dtrec_filter_match(const struct dtrec_filter *f, const struct dtrec_ev *e)
{
	if (!f)
		return e->status == DTREC_OK;
	if (e->status != DTREC_OK && !f->include_bad)
		return 0;
	if (f->cpu_mask && (e->cpu > 63 || !(f->cpu_mask & (1ULL << e->cpu))))
		return 0;
	if (f->class_mask) {
		int cls = dtrec_event_class(e->event);

		if (cls < 0 || !(f->class_mask & (1U << cls)))
			return 0;
	}
	if (f->pid >= 0 && e->pid != (uint64_t)f->pid)
		return 0;
	if (e->ns < f->from_ns)
		return 0;
	if (f->to_ns && e->ns > f->to_ns)
		return 0;
	return 1;
}
