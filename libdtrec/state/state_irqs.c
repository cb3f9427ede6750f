// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * irqs: the pending-IRQ logs of both stages of every CPU, every index
 * level cross-checked against the one below (internals §2.1), each IRQ
 * named through irq_to_desc() read from memory (maple tree, radix tree
 * or array), with the x86 system vector names and the arm64 GIC
 * interrupt names, SGIs as the IPIs Dovetail maps to them
 * (docs/json-state.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "state_internal.h"

#define WORD	8U

/* ---- irq_to_desc() ---- */

#define XA_IS_NODE(e)		(((e) & 3) == 2 && (e) > 4096)
/* maple_tree.h: enode = node | (type << 3) | flags; node is 256-aligned. */
#define MAPLE_NODE_MASK		0xffULL
enum { MAPLE_DENSE, MAPLE_LEAF_64, MAPLE_RANGE_64, MAPLE_ARANGE_64 };

static int maple_lookup(struct kt *k, uint64_t tree, uint64_t index,
			uint64_t *desc)
{
	struct dtrec_member root, m[2];
	uint64_t entry, node_max = UINT64_MAX;
	struct kt_view v;
	int depth, rc;

	*desc = 0;
	rc = kt_member(k, "maple_tree", "ma_root", &root);
	if (!rc)
		rc = kt_ptr(k, tree + root.offset, &entry);
	if (rc)
		return rc;
	if (!XA_IS_NODE(entry)) {
		*desc = index ? 0 : entry;
		return 0;
	}
	for (depth = 0; depth < KT_MAX_TREE_DEPTH; depth++) {
		uint64_t node = entry & ~MAPLE_NODE_MASK, i;
		unsigned int type = (entry >> 3) & 0x0f;
		const char *st;

		if (type == MAPLE_DENSE) {
			/* A dense node covers [max - nslots + 1, max]. */
			uint64_t first;

			rc = kt_member(k, "maple_node", "slot", &m[0]);
			if (rc)
				return rc;
			first = node_max - m[0].nelem + 1;
			if (index < first || index > node_max)
				return 0;
			return kt_ptr(k, node + m[0].offset + 8 * (index - first), desc);
		}
		if (type == MAPLE_ARANGE_64)
			st = "maple_arange_64";
		else if (type == MAPLE_RANGE_64 || type == MAPLE_LEAF_64)
			st = "maple_range_64";
		else
			return 0;
		rc = kt_member(k, st, "pivot", &m[0]);
		if (!rc)
			rc = kt_member(k, st, "slot", &m[1]);
		if (!rc && (m[1].nelem > 64 || m[0].nelem > m[1].nelem))
			rc = kt_fail(k, "implausible struct %s", st);
		if (!rc)
			rc = kt_view(k, node, m, 2, &v);
		if (rc)
			return rc;
		for (i = 0; i < m[1].nelem; i++) {
			struct dtrec_member piv = { m[0].offset + 8 * i, 8, 0 };
			struct dtrec_member slot = { m[1].offset + 8 * i, 8, 0 };
			uint64_t p = i < m[0].nelem ? kt_vu(&v, &piv) : node_max;

			if (!p && i)
				p = node_max;	/* unused pivot: this slot ends the node */
			if (index <= p) {
				entry = kt_vu(&v, &slot);
				node_max = p;
				break;
			}
		}
		kt_view_free(&v);
		if (i == m[1].nelem)
			return 0;
		if (type == MAPLE_LEAF_64 || !entry) {
			*desc = entry;
			return 0;
		}
	}
	return kt_fail(k, "maple tree deeper than %d levels", KT_MAX_TREE_DEPTH);
}

static int xarray_lookup(struct kt *k, uint64_t root, uint64_t index,
			 uint64_t *desc)
{
	const char *st = kt_has_type(k, "xarray") ? "xarray" : "radix_tree_root";
	const char *nst = kt_has_type(k, "xa_node") ? "xa_node" : "radix_tree_node";
	struct dtrec_member head, shift, slots;
	uint64_t entry;
	int depth, rc;

	*desc = 0;
	if (kt_member(k, st, "xa_head", &head))
		rc = kt_member(k, st, "rnode", &head);
	else
		rc = 0;
	if (!rc)
		rc = kt_ptr(k, root + head.offset, &entry);
	if (!rc)
		rc = kt_member(k, nst, "shift", &shift);
	if (!rc)
		rc = kt_member(k, nst, "slots", &slots);
	if (rc)
		return rc;
	for (depth = 0; depth < KT_MAX_TREE_DEPTH; depth++) {
		uint64_t node = entry - 2;
		uint8_t sh;

		if (!XA_IS_NODE(entry)) {
			*desc = !index || !entry ? entry : 0;
			return 0;
		}
		rc = kt_read(k, node + shift.offset, &sh, 1);
		if (rc)
			return rc;
		if (sh >= 64 || !slots.nelem || (index >> sh) >= slots.nelem)
			return 0;
		rc = kt_ptr(k, node + slots.offset + 8 * ((index >> sh) % slots.nelem),
			    &entry);
		if (rc)
			return rc;
		if (!sh) {
			*desc = entry;
			return 0;
		}
		index &= (1ULL << sh) - 1;
	}
	return kt_fail(k, "radix tree too deep");
}

static int irq_to_desc(struct kt *k, uint32_t irq, uint64_t *desc)
{
	uint64_t a, nr, size;
	uint8_t b[4];

	*desc = 0;
	if (!kt_sym(k, "sparse_irqs", &a))
		return maple_lookup(k, a, irq, desc);
	if (!kt_sym(k, "irq_desc_tree", &a))
		return xarray_lookup(k, a, irq, desc);
	if (!kt_sym(k, "irq_desc", &a)) {
		if (!kt_sym(k, "nr_irqs", &nr)) {
			if (kt_read(k, nr, b, 4))
				return -EFAULT;
			if (irq >= ((uint32_t)b[0] | (uint32_t)b[1] << 8 |
				    (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24))
				return 0;
		}
		if (kt_size(k, "irq_desc", &size))
			return -ENOENT;
		*desc = a + irq * size;
		return 0;
	}
	return kt_fail(k, "no sparse_irqs, irq_desc_tree or irq_desc symbol");
}

/* ---- names ---- */

struct namer {
	uint64_t sipic;			/* sipic_domain's value, 0: none */
	uint64_t gic;			/* arm64: the GIC's domain, 0: none */
	unsigned int first_vec;
	size_t n, cap;
	struct dtrec_pending_irq *cache;
};

/*
 * arm64: the GIC's domain is the one of the first IPI, ipi_irq_base
 * (the SGIs, PPIs and SPIs share it, GICv2 and v3 alike). Left 0 when
 * anything is missing: the IRQs then go unnamed, never misnamed.
 */
static void gic_init(struct kt *k, struct namer *nm)
{
	struct dtrec_member dom;
	uint64_t a, desc;
	uint8_t b[4];
	uint32_t base;

	if (kt_sym(k, "ipi_irq_base", &a) || kt_read(k, a, b, 4))
		return;
	base = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		(uint32_t)b[3] << 24;
	if (!base || base >= 1U << 31 || irq_to_desc(k, base, &desc) || !desc ||
	    kt_path(k, &dom, "irq_desc", "irq_data", "irq_data", "domain", NULL) ||
	    kt_ptr(k, desc + dom.offset, &nm->gic))
		nm->gic = 0;
}

static void namer_init(struct kt *k, struct namer *nm)
{
	uint64_t a;

	memset(nm, 0, sizeof(*nm));
	if (k->arm64) {
		gic_init(k, nm);
		return;
	}
	if (kt_sym(k, "sipic_domain", &a) || kt_ptr(k, a, &nm->sipic))
		return;
	/*
	 * FIRST_SYSTEM_VECTOR is CALL_FUNCTION_OOB_VECTOR (0xe9) once that
	 * vector exists (its entry stub or smp_call_function_oob is then
	 * in the symbol table), else RESCHEDULE_OOB_VECTOR (0xea, 5.10).
	 */
	nm->first_vec = !kt_sym(k, "sysvec_call_function_oob_ipi", &a) ||
		!kt_sym(k, "smp_call_function_oob", &a) ? 0xe9 : 0xea;
}

static void namer_free(struct namer *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->cache[i].name);
	free(nm->cache);
}

/* The irq_chip's name of a descriptor, into chip (empty if unknown). */
static void chip_name(struct kt *k, uint64_t desc, char *chip, size_t len)
{
	struct dtrec_member cm, nm;
	uint64_t c, np;
	char *s = NULL;

	if (kt_path(k, &cm, "irq_desc", "irq_data", "irq_data", "chip", NULL) ||
	    kt_member(k, "irq_chip", "name", &nm) || kt_ptr(k, desc + cm.offset, &c) || !c ||
	    kt_ptr(k, c + nm.offset, &np) || !np || kt_cstr(k, np, len - 1, &s))
		return;
	snprintf(chip, len, "%s", s);
	free(s);
}

/*
 * Name, hwirq, chip and vector of an IRQ; all unknown when any read
 * fails. The name is the first action's, else the descriptor's own (as
 * the kernel's names block has it).
 */
static void resolve(struct kt *k, const struct namer *nm, uint32_t irq,
		    struct dtrec_pending_irq *p)
{
	struct dtrec_member m[3], an, dn;
	uint64_t desc, action, np = 0;
	struct kt_view v;
	int bad;

	memset(p, 0, sizeof(*p));
	p->irq = irq;
	if (irq_to_desc(k, irq, &desc) || !desc ||
	    kt_member(k, "irq_desc", "action", &m[0]) ||
	    kt_path(k, &m[1], "irq_desc", "irq_data", "irq_data", "hwirq", NULL) ||
	    kt_path(k, &m[2], "irq_desc", "irq_data", "irq_data", "domain", NULL) ||
	    kt_view(k, desc, m, 3, &v))
		return;
	action = kt_vu(&v, &m[0]);
	bad = action && (kt_member(k, "irqaction", "name", &an) ||
			 kt_ptr(k, action + an.offset, &np) ||
			 (np && kt_cstr(k, np, 64, &p->name)));
	if (!bad && !p->name && !kt_member(k, "irq_desc", "name", &dn) &&
	    !kt_ptr(k, desc + dn.offset, &np) && np)
		kt_cstr(k, np, 64, &p->name);	/* none if unreadable */
	if (!bad) {
		p->have_hwirq = 1;
		p->hwirq = kt_vu(&v, &m[1]);
		chip_name(k, desc, p->chip, sizeof(p->chip));
		/* sipic_domain maps hwirq 0 to FIRST_SYSTEM_IRQ, i.e. to
		 * FIRST_SYSTEM_VECTOR (apicm_irq_vector()). */
		if (nm->sipic && kt_vu(&v, &m[2]) == nm->sipic)
			p->vector = dtrec_x86_vector_name(nm->first_vec + p->hwirq,
							  p->vecbuf, sizeof(p->vecbuf));
		else if (nm->gic && kt_vu(&v, &m[2]) == nm->gic)
			p->vector = dtrec_gic_name(p->hwirq, p->vecbuf,
						   sizeof(p->vecbuf));
	}
	kt_view_free(&v);
}

/* A copy of the (cached) naming of an IRQ. */
static int name_irq(struct kt *k, struct namer *nm, uint32_t irq,
		    struct dtrec_pending_irq *out)
{
	const struct dtrec_pending_irq *p = NULL;
	size_t i;

	for (i = 0; i < nm->n && !p; i++)
		if (nm->cache[i].irq == irq)
			p = &nm->cache[i];
	if (!p) {
		if (kt_grow((void **)&nm->cache, &nm->cap, nm->n + 1,
			    sizeof(*nm->cache)))
			return -ENOMEM;
		resolve(k, nm, irq, &nm->cache[nm->n]);
		p = &nm->cache[nm->n++];
	}
	*out = *p;
	if (p->vector == p->vecbuf)
		out->vector = out->vecbuf;
	out->name = p->name ? strdup(p->name) : NULL;
	return p->name && !out->name ? -ENOMEM : 0;
}

/* ---- one log ---- */

static int log_error(struct dtrec_irq_log *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int log_error(struct dtrec_irq_log *l, const char *fmt, ...)
{
	size_t cap = l->nr_errors;	/* exact-size array: grow by one */
	char buf[160], **n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = realloc(l->errors, (cap + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	l->errors = n;
	if (!(n[cap] = strdup(buf)))
		return -ENOMEM;
	l->nr_errors++;
	return 0;
}

struct level {
	const char *name;
	int is_index0;
	uint64_t index_0;
	size_t off, words;
};

static uint64_t word_at(const uint8_t *map, size_t off, size_t i)
{
	uint64_t w;

	memcpy(&w, map + off + i * WORD, sizeof(w));
	return w;
}

/*
 * Bit i of the upper level (the single word index_0, or one bitmap over
 * the words of index_1 or index_2) must be set exactly when lower word
 * i is non-zero. Offending i in ascending order, one message each.
 */
static int cross_check(struct dtrec_irq_log *l, const uint8_t *map,
		       const struct level *u, const struct level *lo)
{
	size_t nbits = u->is_index0 ? 64 : u->words * 64;
	size_t n, end = nbits > lo->words ? nbits : lo->words;
	int rc = 0;

	for (n = 0; n < end && !rc; n++) {
		int ubit = 0, lset;

		if (n < nbits) {
			uint64_t uw = u->is_index0 ? u->index_0 :
				word_at(map, u->off, n / 64);

			ubit = (uw >> (n % 64)) & 1;
		}
		lset = n < lo->words && word_at(map, lo->off, n) != 0;
		if (ubit == lset)
			continue;
		if (ubit && n >= lo->words)
			rc = log_error(l, "%s bit %zu: set, %s has %zu words",
				       u->name, n, lo->name, lo->words);
		else if (ubit)
			rc = log_error(l, "%s bit %zu: set, %s[%zu] == 0",
				       u->name, n, lo->name, n);
		else
			rc = log_error(l, "%s bit %zu: clear, %s[%zu] != 0",
				       u->name, n, lo->name, n);
	}
	return rc;
}

struct layout {
	unsigned int levels;
	uint64_t size;			/* sizeof(struct irq_event_map) */
	struct level lv[4];		/* index_0 .. flat */
	char why[DTREC_ERRLEN];		/* levels 0: why the layout is unknown */
};

static const char *const level_names[] = { "index_1", "index_2" };

static int map_layout(struct kt *k, struct layout *L)
{
	struct dtrec_member m;
	unsigned int i;
	int rc;

	memset(L, 0, sizeof(*L));
	L->levels = kt_has_member(k, "irq_event_map", "index_2") ? 4 :
		kt_has_member(k, "irq_event_map", "index_1") ? 3 : 2;
	rc = kt_size(k, "irq_event_map", &L->size);
	if (rc)
		return rc;
	if (L->size > KT_MAX_MAP)
		return kt_fail(k, "struct irq_event_map is %llu bytes: refusing",
			       (unsigned long long)L->size);
	L->lv[0].name = "index_0";
	L->lv[0].is_index0 = 1;
	for (i = 1; i < L->levels; i++) {
		const char *name = i == L->levels - 1 ? "flat" : level_names[i - 1];

		rc = kt_member(k, "irq_event_map", name, &m);
		if (rc)
			return rc;
		if (!m.nelem || m.offset + m.nelem * WORD > L->size)
			return kt_fail(k, "irq_event_map: %s[] out of bounds", name);
		L->lv[i].name = name;
		L->lv[i].off = (size_t)m.offset;
		L->lv[i].words = (size_t)m.nelem;
	}
	return 0;
}

/* Pending IRQs (every set bit of flat, even when levels disagree), checks. */
static int decode_map(struct kt *k, struct namer *nm, const struct layout *L,
		      const uint8_t *map, struct dtrec_irq_log *l)
{
	const struct level *flat = &L->lv[L->levels - 1];
	struct level u0 = L->lv[0];
	size_t w, cap = 0;
	unsigned int i;
	int rc = 0;

	for (w = 0; w < flat->words && !rc; w++) {
		uint64_t word = word_at(map, flat->off, w);

		while (word && !rc) {
			uint32_t irq = (uint32_t)(w * 64 + (unsigned int)__builtin_ctzll(word));

			word &= word - 1;
			rc = kt_grow((void **)&l->pending, &cap, l->nr_pending + 1,
				     sizeof(*l->pending));
			if (!rc)
				rc = name_irq(k, nm, irq, &l->pending[l->nr_pending]);
			if (!rc)
				l->nr_pending++;
		}
	}
	u0.index_0 = l->index_0;
	for (i = 0; i + 1 < L->levels && !rc; i++)
		rc = cross_check(l, map, i ? &L->lv[i] : &u0, &L->lv[i + 1]);
	return rc ? kt_fail(k, "out of memory") : 0;
}

static int stage_log(struct kt *k, struct namer *nm, const struct layout *L,
		     uint8_t *map, uint64_t pd, int s, int oob_present,
		     struct dtrec_irq_log *l)
{
	struct dtrec_member m[3], stages;
	uint64_t sd_size, mp;
	struct kt_view v;
	int rc;

	l->oob = s;
	l->present = 1;
	rc = kt_size(k, "irq_stage_data", &sd_size);
	if (!rc)
		rc = kt_member(k, "irq_pipeline_data", "stages", &stages);
	if (!rc)
		rc = kt_path(k, &m[0], "irq_stage_data", "log", "irq_log", "index_0", NULL);
	if (!rc)
		rc = kt_path(k, &m[1], "irq_stage_data", "log", "irq_log", "map", NULL);
	if (!rc)
		rc = kt_member(k, "irq_stage_data", "stage", &m[2]);
	if (!rc)
		rc = kt_view(k, pd + stages.offset + (uint64_t)s * sd_size, m, 3, &v);
	if (rc)
		return rc;
	l->index_0 = kt_vu(&v, &m[0]);
	mp = kt_vu(&v, &m[1]);
	if (s == 1 && (!oob_present || !kt_vu(&v, &m[2]))) {
		kt_view_free(&v);
		l->present = 0;
		l->index_0 = 0;
		return 0;
	}
	kt_view_free(&v);
	if (!mp)
		return log_error(l, "map is NULL") ? kt_fail(k, "out of memory") : 0;
	if (!L->levels)
		return kt_fail(k, "%s", L->why);
	if (kt_read(k, mp, map, (size_t)L->size))
		return log_error(l, "map unreadable") ? kt_fail(k, "out of memory") : 0;
	return decode_map(k, nm, L, map, l);
}

static void log_free(struct dtrec_irq_log *l)
{
	size_t i;

	for (i = 0; i < l->nr_pending; i++)
		free(l->pending[i].name);
	for (i = 0; i < l->nr_errors; i++)
		free(l->errors[i]);
	free(l->pending);
	free(l->errors);
	memset(l, 0, sizeof(*l));
}

int dtrec_irqs_read(const struct dtrec_target *t, struct dtrec_irqs **out,
		    char *err, size_t errlen)
{
	struct dtrec_irqs *q;
	struct layout L;
	struct namer nm;
	uint8_t *map = NULL;
	char *name = NULL;
	int present = 0, rc, s;
	size_t i;
	struct kt k;

	*out = NULL;
	rc = kt_init(&k, t, err, errlen);
	if (rc)
		return rc;
	memset(&nm, 0, sizeof(nm));
	q = calloc(1, sizeof(*q));
	rc = q ? kt_check_dovetail(&k) : kt_fail(&k, "out of memory");
	if (!rc)
		rc = kt_oob_stage(&k, &present, &name);
	free(name);
	if (!rc) {
		/* Without a usable layout every log is unreadable (warned). */
		if (map_layout(&k, &L)) {
			snprintf(L.why, sizeof(L.why), "%s", k.msg);
			q->levels = L.levels;
			L.levels = 0;
		} else {
			q->levels = L.levels;
		}
		namer_init(&k, &nm);
		map = malloc(L.levels ? (size_t)L.size : 1);
		q->cpus = calloc(k.nr_online, sizeof(*q->cpus));
		if (!map || !q->cpus)
			rc = kt_fail(&k, "out of memory");
	}
	for (i = 0; !rc && i < k.nr_online; i++) {
		struct dtrec_irq_cpu *c = &q->cpus[q->nr_cpus++];
		uint64_t pd;

		c->cpu = k.online[i];
		for (s = 0; s < 2 && !rc; s++) {
			struct dtrec_irq_log *l = &c->log[s];

			if (!kt_percpu(&k, "irq_pipeline", i, &pd) &&
			    !stage_log(&k, &nm, &L, map, pd, s, present, l))
				continue;
			if (!strcmp(k.msg, "out of memory")) {
				rc = -ENOMEM;
				break;
			}
			kt_warn(&k, "cpu %u %s stage: %s", c->cpu, s ? "oob" : "inband",
				k.msg);
			log_free(l);
			l->oob = s;
			l->present = s == 0 || present;
			if (log_error(l, "irq_stage_data unreadable"))
				rc = kt_fail(&k, "out of memory");
		}
	}
	free(map);
	namer_free(&nm);
	if (rc) {
		kt_err(&k, err, errlen, rc);
		dtrec_irqs_free(q);
	} else {
		*out = q;
	}
	kt_done(&k);
	return rc;
}

int dtrec_irqs_name(const struct dtrec_target *t, const uint32_t *irqs, size_t n,
		    struct dtrec_pending_irq **out, char *err, size_t errlen)
{
	struct dtrec_pending_irq *r;
	struct namer nm;
	size_t i;
	struct kt k;
	int rc;

	*out = NULL;
	rc = kt_init(&k, t, err, errlen);
	if (rc)
		return rc;
	r = calloc(n ? n : 1, sizeof(*r));
	rc = r ? kt_check_dovetail(&k) : kt_fail(&k, "out of memory");
	if (!rc)
		namer_init(&k, &nm);
	/* Resolved in place: a vector in vecbuf points into its own entry. */
	for (i = 0; !rc && i < n; i++)
		resolve(&k, &nm, irqs[i], &r[i]);
	if (!rc)
		namer_free(&nm);
	if (rc) {
		kt_err(&k, err, errlen, rc);
		free(r);
	} else {
		*out = r;
	}
	kt_done(&k);
	return rc;
}

void dtrec_irqs_names_free(struct dtrec_pending_irq *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++)
		free(p[i].name);
	free(p);
}

void dtrec_irqs_free(struct dtrec_irqs *q)
{
	size_t i;

	if (!q)
		return;
	for (i = 0; i < q->nr_cpus; i++) {
		log_free(&q->cpus[i].log[0]);
		log_free(&q->cpus[i].log[1]);
	}
	free(q->cpus);
	free(q);
}
