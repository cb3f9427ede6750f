// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Strings of every C output: target bytes made valid UTF-8 the way
 * Python's bytes.decode("utf-8", "replace") does (one U+FFFD per
 * maximal invalid subpart), and JSON strings as Python's json.dumps
 * (ensure_ascii) writes them. The one escaper of libdtrec: the state
 * commands, the trace, the audit, the report and the exports all use it,
 * so the same bytes print the same everywhere.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dtrec_json.h"

/* Bytes [lo, hi] allowed right after a UTF-8 lead byte; 0 if invalid lead. */
static int utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			*lo = 0xa0;
		else if (c == 0xed)
			*hi = 0x9f;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			*lo = 0x90;
		else if (c == 0xf4)
			*hi = 0x8f;
		return 4;
	}
	return 0;
}

/*
 * The code point at p[0..len) (len > 0, p[0] != 0): U+FFFD for a maximal
 * invalid subpart. *used gets the number of bytes consumed.
 */
static uint32_t utf8_next(const unsigned char *p, size_t len, size_t *used)
{
	unsigned char lo, hi;
	int need = p[0] < 0x80 ? 1 : utf8_lead(p[0], &lo, &hi);
	uint32_t cp;
	size_t k = 1;

	*used = 1;
	if (need == 1)
		return p[0];
	if (!need)
		return 0xfffd;
	cp = p[0] & (0x7f >> need);
	for (; k < (size_t)need && k < len; k++) {
		if (p[k] < lo || p[k] > hi)
			break;
		cp = (cp << 6) | (p[k] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*used = k;
	return k < (size_t)need ? 0xfffd : cp;
}

static size_t put_utf8(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *dtrec_utf8_dup(const char *raw, size_t len)
{
	const unsigned char *p = (const unsigned char *)raw;
	char *out = malloc(3 * len + 1);
	size_t i = 0, o = 0, used;

	if (!out)
		return NULL;
	while (i < len && p[i]) {
		o += put_utf8(utf8_next(p + i, len - i, &used), out + o);
		i += used;
	}
	out[o] = '\0';
	return out;
}

size_t dtrec_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void dtrec_json_strn(FILE *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, used;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (i < max && p[i]) {
		uint32_t c = utf8_next(p + i, max - i, &used);

		i += used;
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

void dtrec_json_str(FILE *out, const char *s)
{
	dtrec_json_strn(out, s, SIZE_MAX);
}
