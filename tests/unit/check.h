/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The case harness shared by the C unit tests: one "ok"/"FAIL" line per
 * case, and a process exit status that is non-zero if any case failed,
 * which test_c_units.py turns into one pytest result per program.
 */
#ifndef DTREC_TEST_CHECK_H
#define DTREC_TEST_CHECK_H

#include <stdio.h>

static int failed, case_failed;
static const char *case_name;

#define CHECK(cond) do { if (!(cond)) { \
	printf("FAIL %s: %s:%d: %s\n", case_name, __FILE__, __LINE__, #cond); \
	case_failed = 1; } } while (0)
#define CHECKF(cond, ...) do { if (!(cond)) { \
	printf("FAIL %s: %s:%d: %s: ", case_name, __FILE__, __LINE__, #cond); \
	printf(__VA_ARGS__); printf("\n"); case_failed = 1; } } while (0)

static inline void case_begin(const char *name)
{
	case_name = name;
	case_failed = 0;
}

/* Flushed so that a later crash cannot swallow the verdicts already made. */
static inline void case_end(void)
{
	if (!case_failed)
		printf("ok   %s\n", case_name);
	failed |= case_failed;
	fflush(stdout);
}

#endif
