// SPDX-License-Identifier: LGPL-2.1-or-later
/* Hash map from 64-bit ids to indexes: see idmap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "idmap.h"

static size_t slot_of(const struct dtrec_idmap *m, uint64_t key)
{
	/* Fibonacci hashing: consecutive ids spread over the table. */
	key *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(key ^ (key >> 32)) & (m->cap - 1);
}

int dtrec_idmap_get(const struct dtrec_idmap *m, uint64_t key, size_t *val)
{
	size_t i;

	if (!m->n)
		return 0;
	for (i = slot_of(m, key); m->used[i]; i = (i + 1) & (m->cap - 1))
		if (m->key[i] == key) {
			if (val)
				*val = m->val[i];
			return 1;
		}
	return 0;
}

static void insert(struct dtrec_idmap *m, uint64_t key, size_t val)
{
	size_t i;

	for (i = slot_of(m, key); m->used[i]; i = (i + 1) & (m->cap - 1))
		if (m->key[i] == key) {
			m->val[i] = val;
			return;
		}
	m->used[i] = 1;
	m->key[i] = key;
	m->val[i] = val;
	m->n++;
}

static int grow(struct dtrec_idmap *m)
{
	struct dtrec_idmap o = *m;
	size_t cap = o.cap ? o.cap * 2 : 16, i;

	if (cap > SIZE_MAX / sizeof(uint64_t))
		return -ENOMEM;
	m->key = malloc(cap * sizeof(*m->key));
	m->val = malloc(cap * sizeof(*m->val));
	m->used = calloc(cap, 1);
	if (!m->key || !m->val || !m->used) {
		free(m->key);
		free(m->val);
		free(m->used);
		*m = o;
		return -ENOMEM;
	}
	m->cap = cap;
	m->n = 0;
	for (i = 0; i < o.cap; i++)
		if (o.used[i])
			insert(m, o.key[i], o.val[i]);
	dtrec_idmap_free(&o);
	return 0;
}

int dtrec_idmap_put(struct dtrec_idmap *m, uint64_t key, size_t val)
{
	/* Load factor at most 1/2 keeps probe runs short. */
	if ((m->n + 1) * 2 > m->cap) {
		int rc = grow(m);

		if (rc)
			return rc;
	}
	insert(m, key, val);
	return 0;
}

int dtrec_idmap_del(struct dtrec_idmap *m, uint64_t key)
{
	size_t i, j, mask = m->cap - 1;

	if (!m->n)
		return 0;
	for (i = slot_of(m, key); m->used[i]; i = (i + 1) & mask)
		if (m->key[i] == key)
			break;
	if (!m->used[i])
		return 0;
	/* Backward shift: pull later members of the run into the hole. */
	for (j = (i + 1) & mask; m->used[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m, m->key[j]);

		/* j may move to i unless its home lies cyclically in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->key[i] = m->key[j];
			m->val[i] = m->val[j];
			i = j;
		}
	}
	m->used[i] = 0;
	m->n--;
	return 1;
}

void dtrec_idmap_clear(struct dtrec_idmap *m)
{
	/*
	 * A table much larger than what it holds is dropped rather than
	 * wiped: clearing then costs what was inserted since the last
	 * clear, however often it happens.
	 */
	if (m->n * 4 < m->cap)
		dtrec_idmap_free(m);
	else if (m->n)
		memset(m->used, 0, m->cap);
	m->n = 0;
}

void dtrec_idmap_free(struct dtrec_idmap *m)
{
	free(m->key);
	free(m->val);
	free(m->used);
	memset(m, 0, sizeof(*m));
}
