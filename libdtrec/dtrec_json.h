/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON strings shared by the C outputs; no recorder types needed here. */
#ifndef DTREC_JSON_H
#define DTREC_JSON_H

#include <stdio.h>

/*
 * Write s as a JSON string the way Python's json.dumps (ensure_ascii)
 * does: bad UTF-8 becomes U+FFFD, non-ASCII \uXXXX. NULL prints null.
 */
void dtrec_json_str(FILE *out, const char *s);

#endif /* DTREC_JSON_H */
