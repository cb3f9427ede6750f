// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stages: per-CPU stage, stall bits, in-band owner, hard IRQ state,
 * current task, task_inflight and rqlock_owner (docs/json-state.md).
 * While an oob thread runs, current's bit 0 means nothing for the
 * in-band stage: the in-band owner (rq->curr) carries it (internals
 * §1.2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "state_internal.h"

#define X86_EFLAGS_IF	(1ULL << 9)
#define ARM64_PSTATE_I	(1ULL << 7)

static int hard_irqs(struct kt *k, size_t i)
{
	uint64_t flags;

	if (!k->t->ops->cpu_flags ||
	    k->t->ops->cpu_flags(k->t->ctx, k->online[i], (uint32_t)i, &flags))
		return DTREC_HARD_UNKNOWN;
	if (k->arm64)
		return flags & ARM64_PSTATE_I ? DTREC_HARD_OFF : DTREC_HARD_ON;
	return flags & X86_EFLAGS_IF ? DTREC_HARD_ON : DTREC_HARD_OFF;
}

/* pid and stall_bits of a task, in one read. */
static int task_bits(struct kt *k, uint64_t task, int64_t *pid, uint64_t *bits)
{
	static const char *const names[] = { "pid", "stall_bits" };
	uint64_t v[2] = { 0, 0 };
	int rc = task ? kt_fields(k, "task_struct", task, 2, names, v) : 0;

	*pid = task && !rc ? (int32_t)v[0] : DTREC_NO_PID;
	*bits = v[1];
	return rc;
}

int kt_cpu_refs(struct kt *k, size_t i, uint64_t *inflight, uint64_t *rqlock)
{
	static const char *const names[] = { "task_inflight", "rqlock_owner" };
	uint64_t pd, v[2] = { 0, 0 };
	int rc = 0;

	/* Without CONFIG_DOVETAIL's members: none. */
	if (kt_has_member(k, "irq_pipeline_data", names[0]) &&
	    kt_has_member(k, "irq_pipeline_data", names[1])) {
		rc = kt_percpu(k, "irq_pipeline", i, &pd);
		if (!rc)
			rc = kt_fields(k, "irq_pipeline_data", pd, 2, names, v);
	}
	*inflight = v[0];
	*rqlock = v[1];
	return rc;
}

static int cpu_state(struct kt *k, size_t i, struct dtrec_stage_cpu *c)
{
	uint64_t cur, owner, inflight, rqlock, cur_bits, owner_bits;
	uint32_t pc;
	int rc;

	memset(c, 0, sizeof(*c));
	c->cpu = k->online[i];
	rc = kt_cpu_current(k, i, &cur);
	if (rc)
		return rc;
	if (!cur)
		return kt_fail(k, "no current task");
	rc = kt_cpu_preempt_count(k, i, cur, &pc);
	if (!rc)
		rc = task_bits(k, cur, &c->current, &cur_bits);
	if (!rc)
		rc = kt_rq_member(k, i, "curr", &owner);
	if (!rc)
		rc = task_bits(k, owner, &c->inband_owner, &owner_bits);
	if (!rc)
		rc = kt_cpu_refs(k, i, &inflight, &rqlock);
	if (!rc)
		rc = kt_task_pid(k, inflight, &c->task_inflight);
	if (!rc)
		rc = kt_task_pid(k, rqlock, &c->rqlock_owner);
	if (rc)
		return rc;
	c->oob = !!(pc & KT_STAGE_MASK);
	c->pipeline_entry = !!(pc & KT_PIPELINE_MASK);
	c->inband_stalled = (owner_bits >> KT_INBAND_STALL_BIT) & 1;
	c->oob_stalled = (cur_bits >> KT_OOB_STALL_BIT) & 1;
	c->hard_irqs = hard_irqs(k, i);
	return 0;
}

int dtrec_stages_read(const struct dtrec_target *t, struct dtrec_stages **out,
		      char *err, size_t errlen)
{
	struct dtrec_stages *s;
	struct kt k;
	size_t i;
	int rc;

	*out = NULL;
	rc = kt_init(&k, t, err, errlen);
	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	rc = s ? kt_check_dovetail(&k) : kt_fail(&k, "out of memory");
	if (!rc)
		rc = kt_oob_stage(&k, &s->oob_present, &s->oob_name);
	if (!rc && !(s->cpus = calloc(k.nr_online, sizeof(*s->cpus))))
		rc = kt_fail(&k, "out of memory");
	for (i = 0; !rc && i < k.nr_online; i++) {
		if (!cpu_state(&k, i, &s->cpus[s->nr_cpus]))
			s->nr_cpus++;
		else
			kt_warn(&k, "cpu %u: %s", k.online[i], k.msg);
	}
	if (rc) {
		kt_err(&k, err, errlen, rc);
		dtrec_stages_free(s);
	} else {
		*out = s;
	}
	kt_done(&k);
	return rc;
}

void dtrec_stages_free(struct dtrec_stages *s)
{
	if (!s)
		return;
	free(s->oob_name);
	free(s->cpus);
	free(s);
}
