/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strings of the C outputs; no recorder types needed here. */
#ifndef DTREC_JSON_H
#define DTREC_JSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write s as a JSON string the way Python's json.dumps (ensure_ascii)
 * does: bad UTF-8 becomes U+FFFD (one per maximal invalid subpart, as
 * bytes.decode("utf-8", "replace")), non-ASCII \uXXXX. NULL prints
 * null. The _strn form stops after max bytes (fixed-size fields).
 */
void dtrec_json_str(FILE *out, const char *s);
void dtrec_json_strn(FILE *out, const char *s, size_t max);

/* raw[0..len) up to its first NUL, as valid UTF-8 (the same
 * replacement); malloc'ed, NULL when out of memory. */
char *dtrec_utf8_dup(const char *raw, size_t len);
/* Code points of a valid UTF-8 string (column widths of the tables). */
size_t dtrec_utf8_len(const char *s);

#endif /* DTREC_JSON_H */
