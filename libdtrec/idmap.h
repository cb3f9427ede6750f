/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hash map from 64-bit keys (IRQ numbers, pids, stage|irq pairs) to
 * array indexes, for the analyses that track a set of ids while they
 * walk the records: an id looked up per record must cost O(1), not a
 * scan of every id seen so far. Open addressing, linear probing,
 * backward-shift deletion; not part of the API.
 */
#ifndef DTREC_IDMAP_H
#define DTREC_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct dtrec_idmap {
	size_t n, cap;		/* cap: 0 or a power of two */
	uint64_t *key;
	size_t *val;
	unsigned char *used;
};

/* 1 and *val set when key is present, else 0. */
int dtrec_idmap_get(const struct dtrec_idmap *m, uint64_t key, size_t *val);
/* Insert or replace; 0 or -ENOMEM. */
int dtrec_idmap_put(struct dtrec_idmap *m, uint64_t key, size_t val);
/* 1 if key was present (and is now gone), else 0. */
int dtrec_idmap_del(struct dtrec_idmap *m, uint64_t key);
/* Forget every key, keep the storage. */
void dtrec_idmap_clear(struct dtrec_idmap *m);
void dtrec_idmap_free(struct dtrec_idmap *m);

#endif /* DTREC_IDMAP_H */
