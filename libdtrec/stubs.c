// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Placeholders for the audit and export entry points whose sources are
 * not in this build. The Makefile defines DTREC_HAVE_<FILE> for every
 * source present, so a real implementation always wins; weak symbols
 * alone would not do that, because a static archive member is never
 * pulled in to replace a weak definition already linked.
 */
#include <errno.h>
#include "internal.h"

#ifndef DTREC_HAVE_AUDIT
int dtrec_audit(FILE *out, const struct dtrec_snapshot *s,
		const struct dtrec_audit_opts *o, int json)
{
	(void)out; (void)s; (void)o; (void)json;
	return -ENOSYS;
}
#endif

#ifndef DTREC_HAVE_EXPORT_TRACEDAT
int dtrec_export_tracedat(FILE *out, const struct dtrec_snapshot *s,
			  char *err, size_t errlen)
{
	(void)out; (void)s;
	return dtrec_seterr(err, errlen, -ENOSYS, "trace.dat export not built");
}
#endif

#ifndef DTREC_HAVE_EXPORT_CHROME
int dtrec_export_chrome(FILE *out, const struct dtrec_snapshot *s,
			const struct dtrec_filter *f)
{
	(void)out; (void)s; (void)f;
	return -ENOSYS;
}
#endif

#ifndef DTREC_HAVE_EXPORT_SVG
int dtrec_export_svg(FILE *out, const struct dtrec_snapshot *s,
		     const struct dtrec_filter *f)
{
	(void)out; (void)s; (void)f;
	return -ENOSYS;
}
#endif
