// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dtrec-bench: parse+merge throughput on an in-memory snapshot of
 * 1M records (4 wrapped CPU rings of 256K), best of several runs.
 * Prints one line: "parse+merge: N records/s".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dtrec.h"

#define CPUS 4
#define RECS (1U << 18)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t len = sizeof(struct dtrec_snap_header) +
		     CPUS * (sizeof(struct dtrec_snap_cpu) +
			     RECS * sizeof(struct dtrec_record));
	unsigned char *buf = calloc(1, len), *p;
	struct dtrec_snap_header *h = (void *)buf;
	char err[DTREC_ERRLEN];
	int runs = 5, i;
	double best = 1e9;
	unsigned int c, k;

	if (argc > 1) {
		char *end;
		long v;

		errno = 0;
		v = strtol(argv[1], &end, 10);
		if (argc > 2 || errno || !*argv[1] || *end || v < 1 || v > 1000) {
			fprintf(stderr, "usage: dtrec-bench [RUNS] (RUNS: 1..1000)\n");
			free(buf);
			return 2;
		}
		runs = (int)v;
	}
	if (!buf) {
		fprintf(stderr, "dtrec-bench: out of memory\n");
		return 1;
	}
	h->magic = DTREC_SNAP_MAGIC;
	h->version = DTREC_SNAP_VERSION;
	h->header_size = sizeof(*h);
	h->nr_cpus = CPUS;
	h->rec_size = sizeof(struct dtrec_record);
	h->clock_hz = 2400000000ULL;
	h->ref_cycles = 1000;
	h->ref_ns = 1000000;
	h->format_version = DTREC_FORMAT_VERSION;
	p = buf + sizeof(*h);
	for (c = 0; c < CPUS; c++) {
		/* Head past one lap, so slot order differs from time order. */
		struct dtrec_snap_cpu sc = { c, RECS, RECS + RECS / 3 };

		memcpy(p, &sc, sizeof(sc));
		p += sizeof(sc);
		for (k = 0; k < RECS; k++, p += sizeof(struct dtrec_record)) {
			uint64_t pos = k >= sc.head % RECS ? sc.head - RECS + (k - sc.head % RECS)
							    : sc.head - sc.head % RECS + k;
			struct dtrec_record r = {
				.seq = pos + 1, .ts = 5000 + pos * 97 + c * 13,
				.pid = k & 255, .arg = k, .event = 1 + k % 22,
			};

			memcpy(p, &r, sizeof(r));
		}
	}
	for (i = 0; i < runs; i++) {
		struct dtrec_snapshot *s;
		double t = now();

		if (dtrec_parse(buf, len, &s, err, sizeof(err))) {
			fprintf(stderr, "dtrec-bench: %s\n", err);
			return 1;
		}
		t = now() - t;
		if (s->nr_events != (size_t)CPUS * RECS) {
			fprintf(stderr, "dtrec-bench: decoded %zu events\n", s->nr_events);
			return 1;
		}
		dtrec_free(s);
		if (t < best)
			best = t;
	}
	printf("parse+merge: %.0f records/s (%u records, best of %d)\n",
	       CPUS * RECS / best, CPUS * RECS, runs);
	free(buf);
	return 0;
}
