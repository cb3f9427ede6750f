/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state decoders' view of a kernel behind a dtrec_target; not API. */
#ifndef DTREC_STATE_INTERNAL_H
#define DTREC_STATE_INTERNAL_H

#include "internal.h"
#include "dtrec_state.h"

/* preempt_count bits, identical in every Dovetail version examined. */
#define KT_PIPELINE_MASK	0x01000000U
#define KT_STAGE_MASK		0x02000000U
#define KT_INBAND_STALL_BIT	0
#define KT_OOB_STALL_BIT	1

#define KT_MAX_CPUS		8192
/* Bounds of the walks over target memory (a corrupted dump may loop). */
#define KT_MAX_PROCS		(1U << 20)
#define KT_MAX_THREADS		(1U << 16)
/* maple tree and xarray lookups of irq_to_desc() */
#define KT_MAX_TREE_DEPTH	64
/* struct irq_event_map: MAXSMP x86 maps are ~100 KiB */
#define KT_MAX_MAP		(1U << 20)

struct kt_mcache;
struct kt_scache;

/* One decoding session over a target: lookups cached, errors in msg. */
struct kt {
	const struct dtrec_target *t;
	int arm64;
	char msg[DTREC_ERRLEN];		/* why the last helper failed */
	struct kt_mcache *mc;
	size_t nmc, mccap;
	struct kt_scache *sc;
	size_t nsc, sccap;
	int have_cpus;
	uint32_t *online;
	size_t nr_online;
	uint64_t *pcpu_off;		/* per online CPU, same index */
	char release[66];
};

int kt_init(struct kt *k, const struct dtrec_target *t, char *err, size_t errlen);
void kt_done(struct kt *k);
__attribute__((format(printf, 2, 3)))
int kt_fail(struct kt *k, const char *fmt, ...);	/* sets msg, returns -EINVAL */
__attribute__((format(printf, 2, 3)))
void kt_warn(struct kt *k, const char *fmt, ...);
int kt_err(const struct kt *k, char *err, size_t errlen, int rc);	/* msg to err */

int kt_sym(struct kt *k, const char *name, uint64_t *addr);
int kt_size(struct kt *k, const char *type, uint64_t *size);
int kt_member(struct kt *k, const char *type, const char *member,
	      struct dtrec_member *m);
int kt_has_member(struct kt *k, const char *type, const char *member);
int kt_has_type(struct kt *k, const char *type);
/* A member reached through named struct members: type, member, then
 * (member's struct type, its member)..., NULL-terminated. */
int kt_path(struct kt *k, struct dtrec_member *m, const char *type,
	    const char *member, ...) __attribute__((sentinel));

int kt_read(struct kt *k, uint64_t addr, void *buf, size_t len);
int kt_ptr(struct kt *k, uint64_t addr, uint64_t *v);
/* A member's value from the bytes of a struct read at base. */
uint64_t kt_uint(const uint8_t *data, size_t len, uint64_t base,
		 const struct dtrec_member *m);
int64_t kt_sint(const uint8_t *data, size_t len, uint64_t base,
		const struct dtrec_member *m);
/* The span of members ms[0..n) of the struct at addr, in one read. */
struct kt_view {
	uint64_t base;			/* offset of data[0] in the struct */
	size_t len;
	uint8_t *data;
};
int kt_view(struct kt *k, uint64_t addr, const struct dtrec_member *ms,
	    size_t n, struct kt_view *v);
void kt_view_free(struct kt_view *v);
uint64_t kt_vu(const struct kt_view *v, const struct dtrec_member *m);
/* Up to 8 members of struct type at addr, by name, in one read. */
int kt_fields(struct kt *k, const char *type, uint64_t addr, size_t n,
	      const char *const *names, uint64_t *vals);
int64_t kt_vs(const struct kt_view *v, const struct dtrec_member *m);

/* A C string of at most maxlen bytes, as valid UTF-8 (malloc'ed). */
int kt_cstr(struct kt *k, uint64_t addr, size_t maxlen, char **out);
/* A char array member, up to its NUL, as valid UTF-8 (malloc'ed). */
char *kt_vstr(const struct kt_view *v, const struct dtrec_member *m);

int kt_cpus(struct kt *k);			/* online CPUs, once */
int kt_percpu(struct kt *k, const char *sym, size_t i, uint64_t *addr);
const char *kt_release(struct kt *k);		/* NULL: msg says why */
int kt_is_dovetail(struct kt *k);		/* the symbol and member */
int kt_check_dovetail(struct kt *k);		/* and the online CPUs */
int kt_task_pid(struct kt *k, uint64_t task, int64_t *pid);

/* Shared by the decoders. */
int kt_oob_stage(struct kt *k, int *present, char **name);
/* The task running on the CPU of online index i (oob tasks included). */
int kt_cpu_current(struct kt *k, size_t i, uint64_t *task);
int kt_cpu_preempt_count(struct kt *k, size_t i, uint64_t current,
			 uint32_t *pc);
int kt_rq_member(struct kt *k, size_t i, const char *member, uint64_t *v);
/* task_inflight and rqlock_owner of a CPU; 0 when the members do not exist. */
int kt_cpu_refs(struct kt *k, size_t i, uint64_t *inflight, uint64_t *rqlock);

/* Growable arrays. */
int kt_grow(void **arr, size_t *cap, size_t need, size_t elem);

#endif /* DTREC_STATE_INTERNAL_H */
