// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel behind a dtrec_target: cached symbol and member lookups,
 * checked reads, struct spans read in one go (one round trip per
 * struct on a gdbstub), online CPUs and their per-CPU offsets, the
 * release, and the facts the three state decoders share.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "state_internal.h"

struct kt_mcache {
	const char *type, *member;
	int rc;
	struct dtrec_member m;
};

struct kt_scache {
	const char *name;
	int rc;
	uint64_t addr;
};

int kt_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

int kt_init(struct kt *k, const struct dtrec_target *t, char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	k->t = t;
	if (!t || !t->ops || !t->ops->read || !t->ops->symbol ||
	    !t->ops->type_size || !t->ops->member)
		return dtrec_seterr(err, errlen, -EINVAL, "incomplete target interface");
	if (!t->arch || !strcmp(t->arch, "x86_64") || !strcmp(t->arch, "x86-64") ||
	    !strcmp(t->arch, "i386:x86-64"))
		k->arm64 = 0;
	else if (!strcmp(t->arch, "arm64") || !strcmp(t->arch, "aarch64"))
		k->arm64 = 1;
	else
		return dtrec_seterr(err, errlen, -EINVAL,
				    "unsupported architecture %s", t->arch);
	return 0;
}

void kt_done(struct kt *k)
{
	free(k->mc);
	free(k->sc);
	free(k->online);
	free(k->pcpu_off);
}

int kt_fail(struct kt *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->msg, sizeof(k->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void kt_warn(struct kt *k, const char *fmt, ...)
{
	char buf[DTREC_ERRLEN + 64];
	va_list ap;

	if (!k->t->ops->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	k->t->ops->warn(k->t->ctx, buf);
}

int kt_err(const struct kt *k, char *err, size_t errlen, int rc)
{
	return dtrec_seterr(err, errlen, rc, "%s", k->msg[0] ? k->msg : "failed");
}

/* Names are compared by pointer first: callers pass string literals. */
static int same(const char *a, const char *b)
{
	return a == b || !strcmp(a, b);
}

int kt_sym(struct kt *k, const char *name, uint64_t *addr)
{
	struct kt_scache *c;
	size_t i;

	for (i = 0; i < k->nsc; i++)
		if (same(k->sc[i].name, name)) {
			c = &k->sc[i];
			goto hit;
		}
	if (kt_grow((void **)&k->sc, &k->sccap, k->nsc + 1, sizeof(*k->sc)))
		return kt_fail(k, "out of memory");
	c = &k->sc[k->nsc++];
	c->name = name;
	c->addr = 0;
	c->rc = k->t->ops->symbol(k->t->ctx, name, &c->addr);
	if (c->rc > 0)
		c->rc = -ENOENT;
hit:
	if (c->rc)
		return kt_fail(k, "no symbol %s", name), c->rc;
	*addr = c->addr;
	return 0;
}

static struct kt_mcache *mlookup(struct kt *k, const char *type, const char *member)
{
	struct kt_mcache *c;
	size_t i;

	for (i = 0; i < k->nmc; i++)
		if (same(k->mc[i].type, type) &&
		    (k->mc[i].member == member ||
		     (member && k->mc[i].member && !strcmp(k->mc[i].member, member))))
			return &k->mc[i];
	if (kt_grow((void **)&k->mc, &k->mccap, k->nmc + 1, sizeof(*k->mc)))
		return NULL;
	c = &k->mc[k->nmc++];
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->member = member;
	if (member)
		c->rc = k->t->ops->member(k->t->ctx, type, member, &c->m);
	else
		c->rc = k->t->ops->type_size(k->t->ctx, type, &c->m.size);
	if (c->rc > 0)
		c->rc = -ENOENT;
	return c;
}

int kt_size(struct kt *k, const char *type, uint64_t *size)
{
	struct kt_mcache *c = mlookup(k, type, NULL);

	if (!c)
		return kt_fail(k, "out of memory");
	if (c->rc)
		return kt_fail(k, "no type struct %s in the debug info", type), c->rc;
	*size = c->m.size;
	return 0;
}

int kt_member(struct kt *k, const char *type, const char *member,
	      struct dtrec_member *m)
{
	struct kt_mcache *c = mlookup(k, type, member);

	if (!c)
		return kt_fail(k, "out of memory");
	if (c->rc)
		return kt_fail(k, "struct %s has no member %s", type, member), c->rc;
	*m = c->m;
	return 0;
}

int kt_has_member(struct kt *k, const char *type, const char *member)
{
	struct dtrec_member m;

	return !kt_member(k, type, member, &m);
}

int kt_has_type(struct kt *k, const char *type)
{
	uint64_t size;

	return !kt_size(k, type, &size);
}

int kt_path(struct kt *k, struct dtrec_member *m, const char *type,
	    const char *member, ...)
{
	uint64_t off = 0;
	va_list ap;
	int rc = 0;

	va_start(ap, member);
	while (type && member) {
		rc = kt_member(k, type, member, m);
		if (rc)
			break;
		off += m->offset;
		type = va_arg(ap, const char *);
		member = type ? va_arg(ap, const char *) : NULL;
	}
	va_end(ap);
	if (!rc)
		m->offset = off;
	return rc;
}

int kt_read(struct kt *k, uint64_t addr, void *buf, size_t len)
{
	int rc;

	if (!len)
		return 0;
	rc = k->t->ops->read(k->t->ctx, addr, buf, len);
	if (rc)
		return kt_fail(k, "cannot read %zu bytes at %#llx", len,
			       (unsigned long long)addr), rc < 0 ? rc : -EFAULT;
	return 0;
}

int kt_ptr(struct kt *k, uint64_t addr, uint64_t *v)
{
	uint8_t b[8];
	int rc = kt_read(k, addr, b, 8);

	*v = 0;
	if (!rc)
		memcpy(v, b, 8);	/* little endian targets only */
	return rc;
}

uint64_t kt_uint(const uint8_t *data, size_t len, uint64_t base,
		 const struct dtrec_member *m)
{
	uint64_t v = 0, off = m->offset - base;
	size_t size = m->size > 8 ? 8 : (size_t)m->size;

	if (m->offset < base || off > len || size > len - off)
		return 0;
	memcpy(&v, data + off, size);
	return v;
}

int64_t kt_sint(const uint8_t *data, size_t len, uint64_t base,
		const struct dtrec_member *m)
{
	uint64_t v = kt_uint(data, len, base, m);
	unsigned int bits = m->size >= 8 ? 64 : (unsigned int)(8 * m->size);

	if (bits < 64 && bits && (v >> (bits - 1)) & 1)
		v |= ~0ULL << bits;
	return (int64_t)v;
}

int kt_view(struct kt *k, uint64_t addr, const struct dtrec_member *ms,
	    size_t n, struct kt_view *v)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t i;
	int rc;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < n; i++) {
		if (ms[i].offset < lo)
			lo = ms[i].offset;
		if (ms[i].offset + ms[i].size > hi)
			hi = ms[i].offset + ms[i].size;
	}
	if (!n || hi - lo > KT_MAX_MAP)
		return kt_fail(k, "implausible struct span");
	v->base = lo;
	v->len = (size_t)(hi - lo);
	v->data = malloc(v->len ? v->len : 1);
	if (!v->data)
		return kt_fail(k, "out of memory");
	rc = kt_read(k, addr + lo, v->data, v->len);
	if (rc)
		kt_view_free(v);
	return rc;
}

void kt_view_free(struct kt_view *v)
{
	free(v->data);
	v->data = NULL;
}

uint64_t kt_vu(const struct kt_view *v, const struct dtrec_member *m)
{
	return kt_uint(v->data, v->len, v->base, m);
}

int64_t kt_vs(const struct kt_view *v, const struct dtrec_member *m)
{
	return kt_sint(v->data, v->len, v->base, m);
}

char *kt_vstr(const struct kt_view *v, const struct dtrec_member *m)
{
	uint64_t off = m->offset - v->base;

	if (m->offset < v->base || off > v->len || m->size > v->len - off)
		return dtrec_utf8_dup("", 0);
	return dtrec_utf8_dup((const char *)v->data + off, (size_t)m->size);
}

/*
 * Read in small pieces, so that a string near the end of a mapping
 * does not fail as a whole; a failure after the first piece ends it.
 */
int kt_cstr(struct kt *k, uint64_t addr, size_t maxlen, char **out)
{
	char *buf = malloc(maxlen + 1);
	size_t got = 0;
	int rc = 0;

	*out = NULL;
	if (!buf)
		return kt_fail(k, "out of memory");
	while (got < maxlen) {
		size_t n = maxlen - got < 64 ? maxlen - got : 64;

		rc = kt_read(k, addr + got, buf + got, n);
		if (rc) {
			if (!got)
				goto out;
			rc = 0;
			break;
		}
		if (memchr(buf + got, '\0', n))
			break;
		got += n;
	}
	buf[maxlen] = '\0';
	*out = dtrec_utf8_dup(buf, strnlen(buf, maxlen));
	if (!*out)
		rc = kt_fail(k, "out of memory");
out:
	free(buf);
	return rc;
}

/* CPUs whose bit is set in a cpumask symbol; 1 when the symbol is absent. */
static int cpumask(struct kt *k, const char *sym, uint32_t **cpus, size_t *n)
{
	struct dtrec_member bits;
	uint64_t addr, words = 1, *w;
	size_t i;
	int rc;

	*cpus = NULL;
	*n = 0;
	if (kt_sym(k, sym, &addr))
		return 1;
	if (!kt_member(k, "cpumask", "bits", &bits) && bits.nelem)
		words = bits.nelem;
	if (words > KT_MAX_CPUS / 64)
		words = KT_MAX_CPUS / 64;
	w = calloc(words, 8);
	*cpus = calloc(words * 64, sizeof(**cpus));
	if (!w || !*cpus) {
		free(w);
		return kt_fail(k, "out of memory");
	}
	rc = kt_read(k, addr, w, words * 8);
	for (i = 0; !rc && i < words * 64; i++)
		if ((w[i / 64] >> (i % 64)) & 1)
			(*cpus)[(*n)++] = (uint32_t)i;
	free(w);
	if (rc) {
		free(*cpus);
		*cpus = NULL;
	}
	return rc;
}

int kt_cpus(struct kt *k)
{
	uint32_t *possible = NULL;
	size_t np = 0, i;
	uint64_t base;
	int rc, have_base;

	if (k->have_cpus)
		return 0;
	rc = cpumask(k, "__cpu_possible_mask", &possible, &np);
	if (rc < 0)
		return rc;
	rc = cpumask(k, "__cpu_online_mask", &k->online, &k->nr_online);
	if (rc < 0) {
		free(possible);
		return rc;
	}
	if (rc > 0) {			/* no online mask: the possible CPUs */
		k->online = possible;
		k->nr_online = np;
		possible = NULL;
		if (!k->online) {	/* neither: CPU 0 */
			k->online = calloc(1, sizeof(*k->online));
			if (!k->online)
				return kt_fail(k, "out of memory");
			k->nr_online = 1;
		}
	}
	free(possible);
	if (!k->nr_online)
		/* gdb fills holes of a core file from vmlinux's own (zeroed)
		 * data: an empty mask means the dump lacks that memory. */
		return kt_fail(k, "no online CPU in __cpu_online_mask: the dump "
			       "does not cover kernel data at its virtual address "
			       "(for gdb use dump-guest-memory with paging, or "
			       "drgn/crash)");
	k->pcpu_off = calloc(k->nr_online, sizeof(*k->pcpu_off));
	if (!k->pcpu_off)
		return kt_fail(k, "out of memory");
	/* !SMP: per-CPU variables are plain globals, offset 0. */
	have_base = !kt_sym(k, "__per_cpu_offset", &base);
	for (i = 0; have_base && i < k->nr_online; i++) {
		rc = kt_ptr(k, base + 8ULL * k->online[i], &k->pcpu_off[i]);
		if (rc)
			return rc;
	}
	k->have_cpus = 1;
	return 0;
}

int kt_percpu(struct kt *k, const char *sym, size_t i, uint64_t *addr)
{
	uint64_t a;
	int rc = kt_sym(k, sym, &a);

	if (rc)
		return rc;
	*addr = a + k->pcpu_off[i];
	return 0;
}

const char *kt_release(struct kt *k)
{
	struct dtrec_member m;
	uint64_t a;
	char *s;

	if (k->release[0])
		return k->release;
	if (kt_sym(k, "init_uts_ns", &a)) {
		kt_fail(k, "no init_uts_ns symbol: is this a Linux kernel?");
		return NULL;
	}
	if (kt_path(k, &m, "uts_namespace", "name", "new_utsname", "release", NULL) ||
	    kt_cstr(k, a + m.offset, 65, &s))
		return NULL;
	snprintf(k->release, sizeof(k->release), "%s", s);
	free(s);
	if (!k->release[0])
		snprintf(k->release, sizeof(k->release), "?");
	return k->release;
}

int kt_is_dovetail(struct kt *k)
{
	uint64_t a;

	if (kt_sym(k, "irq_pipeline", &a))
		return kt_fail(k, "not a Dovetail kernel (no irq_pipeline symbol)");
	if (!kt_has_member(k, "task_struct", "stall_bits"))
		return kt_fail(k, "not a Dovetail kernel "
			       "(struct task_struct has no stall_bits)");
	return 0;
}

int kt_check_dovetail(struct kt *k)
{
	int rc = kt_is_dovetail(k);

	return rc ? rc : kt_cpus(k);
}

int kt_fields(struct kt *k, const char *type, uint64_t addr, size_t n,
	      const char *const *names, uint64_t *vals)
{
	struct dtrec_member m[8] = { { 0, 0, 0 } };
	struct kt_view v;
	size_t i;
	int rc = n > 8 ? kt_fail(k, "too many members") : 0;

	for (i = 0; !rc && i < n; i++)
		rc = kt_member(k, type, names[i], &m[i]);
	if (!rc)
		rc = kt_view(k, addr, m, n, &v);
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		vals[i] = kt_vu(&v, &m[i]);
	kt_view_free(&v);
	return 0;
}

int kt_task_pid(struct kt *k, uint64_t task, int64_t *pid)
{
	static const char *const names[] = { "pid" };
	uint64_t v;
	int rc;

	*pid = DTREC_NO_PID;
	if (!task)
		return 0;
	rc = kt_fields(k, "task_struct", task, 1, names, &v);
	if (!rc)
		*pid = (int32_t)v;
	return rc;
}

int kt_oob_stage(struct kt *k, int *present, char **name)
{
	static const char *const names[] = { "index", "name" };
	uint64_t a, v[2];
	int rc;

	*present = 0;
	*name = NULL;
	if (kt_sym(k, "oob_stage", &a))
		return 0;
	rc = kt_fields(k, "irq_stage", a, 2, names, v);
	if (rc || !(int32_t)v[0])
		return rc;
	*present = 1;
	return v[1] ? kt_cstr(k, v[1], 64, name) : 0;
}

int kt_rq_member(struct kt *k, size_t i, const char *member, uint64_t *v)
{
	struct dtrec_member m;
	uint64_t rq;
	int rc;

	if (kt_percpu(k, "runqueues", i, &rq))
		return kt_fail(k, "no runqueues symbol");
	rc = kt_member(k, "rq", member, &m);
	return rc ? rc : kt_ptr(k, rq + m.offset, v);
}

int kt_cpu_current(struct kt *k, size_t i, uint64_t *task)
{
	static const char *const syms[] = { "current_task", "__entry_task" };
	struct dtrec_member m;
	uint64_t a;
	size_t s;
	int rc;

	if (!kt_percpu(k, "pcpu_hot", i, &a)) {
		rc = kt_member(k, "pcpu_hot", "current_task", &m);
		return rc ? rc : kt_ptr(k, a + m.offset, task);
	}
	for (s = 0; s < 2; s++)
		if (!kt_percpu(k, syms[s], i, &a))
			return kt_ptr(k, a, task);
	return kt_rq_member(k, i, "curr", task);
}

int kt_cpu_preempt_count(struct kt *k, size_t i, uint64_t current,
			 uint32_t *pc)
{
	struct dtrec_member m;
	uint8_t b[8] = { 0 };
	uint64_t a;
	int rc;

	if (!kt_percpu(k, "pcpu_hot", i, &a) &&
	    !kt_member(k, "pcpu_hot", "preempt_count", &m))
		rc = kt_read(k, a + m.offset, b, 4);
	else if (!kt_percpu(k, "__preempt_count", i, &a))
		rc = kt_read(k, a, b, 4);
	/* arm64 keeps the count in the task: the running task's word holds
	 * the CPU's STAGE bit (the low half of thread_info.preempt_count). */
	else if (!kt_path(k, &m, "task_struct", "thread_info",
			  "thread_info", "preempt_count", NULL))
		rc = kt_read(k, current + m.offset, b, 4);
	else
		return kt_fail(k, "cannot locate preempt_count (no pcpu_hot, "
			       "__preempt_count or thread_info.preempt_count)");
	memcpy(pc, b, 4);
	return rc;
}
