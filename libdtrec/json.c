// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JSON strings as Python's json.dumps(ensure_ascii=True) writes them,
 * the form every front end's --json output shares: the crash extension
 * and the C report must print the very bytes the Python core prints.
 */
#include <stdint.h>
#include <stdio.h>
#include "dtrec_json.h"

/* One code point of UTF-8 (U+FFFD for a bad sequence, one byte eaten). */
static uint32_t utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t cp;
	int n, i;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	n = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (s[0] >= 0xf5)
		n = 0;
	cp = n ? s[0] & (0x7f >> n) : 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			break;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (!n || i < n || (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
		*p = s + 1;
		return 0xfffd;
	}
	*p = s + n;
	return cp;
}

void dtrec_json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*p) {
		uint32_t c = utf8_next(&p);

		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		default:
			if (c >= 0x10000) {
				c -= 0x10000;
				fprintf(out, "\\u%04x\\u%04x", 0xd800 + (c >> 10),
					0xdc00 + (c & 0x3ff));
			} else if (c < 0x20 || c > 0x7e) {
				fprintf(out, "\\u%04x", c);
			} else {
				fputc((int)c, out);
			}
		}
	}
	fputc('"', out);
}
