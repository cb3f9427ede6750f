// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Strings from a snapshot or a dump (the kernel release, task names,
 * IRQ names) in text output: they reach a terminal, so control bytes
 * must not (ESC sequences, CR, BEL, newlines that forge lines). Bad
 * UTF-8 becomes U+FFFD as in the JSON output (dtrec_utf8_dup); C0
 * controls and DEL print as \xNN, C1 controls as \u00NN, a backslash
 * as \\, everything else as is.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

size_t dtrec_text_strn(FILE *out, const char *s, size_t max)
{
	const unsigned char *p;
	size_t cols = 0;
	char *u;

	if (!s)
		return 0;
	u = dtrec_utf8_dup(s, strnlen(s, max));
	if (!u) {
		fputs("?", out);
		return 1;
	}
	for (p = (const unsigned char *)u; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\x%02x", *p);
			cols += 4;
		} else if (*p == '\\') {
			fputs("\\\\", out);
			cols += 2;
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fprintf(out, "\\u%04x", p[1]);
			cols += 6;
			p++;
		} else {
			fputc(*p, out);
			cols += (*p & 0xc0) != 0x80;	/* one per code point */
		}
	}
	free(u);
	return cols;
}

size_t dtrec_text_str(FILE *out, const char *s)
{
	return dtrec_text_strn(out, s, s ? strlen(s) : 0);
}

void dtrec_text_pad(FILE *out, size_t used, size_t width)
{
	while (used++ < width)
		fputc(' ', out);
}

void dtrec_text_comm(FILE *out, const char *comm)
{
	if (!comm)
		return;
	fputc('(', out);
	dtrec_text_str(out, comm);
	fputc(')', out);
}
