// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The id -> index hash map behind the audit's, the report's and the
 * Chrome export's pending-IRQ sets and per-task tables (idmap.h):
 * random inserts, replacements, deletions and clears checked against
 * a plain array, with keys chosen to collide (multiples of a large
 * power of two, consecutive ids) so that deletion's backward shift
 * runs over long probe sequences.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "idmap.h"

#define NKEYS 4096

static uint64_t key_of(unsigned int k)
{
	/* Half the keys share their low 32 bits, half are consecutive. */
	return k & 1 ? (uint64_t)k << 40 : 7000 + k;
}

static void random_ops(void)
{
	static size_t ref[NKEYS];
	static unsigned char in[NKEYS];
	struct dtrec_idmap m;
	unsigned long long x = 12345;
	unsigned int op, k;
	size_t n = 0, v;

	case_begin("idmap: random operations match a plain array");
	memset(&m, 0, sizeof(m));
	memset(in, 0, sizeof(in));
	for (op = 0; op < 200000 && !case_failed; op++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (unsigned int)(x >> 33) % NKEYS;
		switch ((x >> 20) % 7) {
		case 0: case 1: case 2:
			CHECK(dtrec_idmap_put(&m, key_of(k), op) == 0);
			n += !in[k];
			in[k] = 1;
			ref[k] = op;
			break;
		case 3: case 4:
			CHECK(dtrec_idmap_del(&m, key_of(k)) == in[k]);
			n -= in[k];
			in[k] = 0;
			break;
		case 5:
			CHECK(dtrec_idmap_get(&m, key_of(k), &v) == in[k]);
			if (in[k])
				CHECK(v == ref[k]);
			break;
		default:
			if (op % 5000 == 6) {
				dtrec_idmap_clear(&m);
				memset(in, 0, sizeof(in));
				n = 0;
			}
		}
		CHECK(m.n == n);
	}
	for (k = 0; k < NKEYS; k++) {
		CHECK(dtrec_idmap_get(&m, key_of(k), &v) == in[k]);
		if (in[k])
			CHECK(v == ref[k]);
	}
	dtrec_idmap_free(&m);
	CHECK(m.n == 0 && m.cap == 0);
	case_end();
}

static void grow_and_drain(void)
{
	struct dtrec_idmap m;
	size_t v;
	uint64_t k;

	case_begin("idmap: 2^17 distinct ids in, every one found, all out");
	memset(&m, 0, sizeof(m));
	for (k = 0; k < (1U << 17); k++)
		CHECK(dtrec_idmap_put(&m, k * 4096, (size_t)k) == 0);
	CHECK(m.n == 1U << 17 && m.cap >= 2 * m.n);
	for (k = 0; k < (1U << 17); k++)
		CHECK(dtrec_idmap_get(&m, k * 4096, &v) && v == k);
	CHECK(!dtrec_idmap_get(&m, 4095, NULL));
	for (k = 0; k < (1U << 17); k += 2)
		CHECK(dtrec_idmap_del(&m, k * 4096));
	for (k = 0; k < (1U << 17); k++)
		CHECK(dtrec_idmap_get(&m, k * 4096, &v) == (int)(k & 1));
	dtrec_idmap_clear(&m);
	CHECK(m.n == 0 && !dtrec_idmap_get(&m, 4096, NULL));
	CHECK(dtrec_idmap_put(&m, 3, 9) == 0 && dtrec_idmap_get(&m, 3, &v) && v == 9);
	dtrec_idmap_free(&m);
	case_end();
}

int main(void)
{
	random_ops();
	grow_and_drain();
	return failed;
}
