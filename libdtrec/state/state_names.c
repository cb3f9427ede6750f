// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The names block of a snapshot a front end assembled from a dump or a
 * live target (docs/recorder.md, section 5.1): the comm of every task
 * the records mention, from the tasks decoder, and the name, chip,
 * hwirq and vector of every IRQ they mention that the target still has
 * a descriptor for, from the irqs decoder (as the kernel's own names
 * block). What the target cannot give is left out; the snapshot is
 * never refused for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "idmap.h"

/*
 * The pids and IRQs the records of s mention, the rings' then the max
 * areas'; the IRQs also in order.
 */
static int mentioned(const struct dtrec_snapshot *s, struct dtrec_idmap *pids,
		     struct dtrec_idmap *irqs, uint32_t **irqv, size_t *nirq)
{
	size_t i, m = 0, cap = 0, n = s->nr_events;
	const struct dtrec_ev *ev = s->events;
	int rc = 0;

	for (i = 0; !rc; i++) {
		const struct dtrec_ev *e;
		int cls;

		while (i >= n && m < s->nr_maxima) {
			ev = s->maxima[m].ev;
			n = s->maxima[m++].nr;
			i = 0;
		}
		if (i >= n)
			break;
		e = &ev[i];
		cls = dtrec_event_class(e->event);

		if (e->status != DTREC_OK)
			continue;
		rc = dtrec_idmap_put(pids, e->pid, 0);
		if (!rc && cls == DTREC_C_TASK)
			rc = dtrec_idmap_put(pids, e->arg, 0);
		if (!rc && e->event == DTREC_EV_OOB_SWITCH)
			rc = dtrec_idmap_put(pids, e->arg2 & ~DTREC_CSW_LEAVE_INBAND, 0);
		/* Past the block's limit the rest go unnamed, never refused. */
		if (rc || !(cls == DTREC_C_IRQ_LOG || cls == DTREC_C_OOB_HANDLER) ||
		    *nirq >= DTREC_MAX_NAMES || dtrec_idmap_get(irqs, e->arg, NULL))
			continue;
		if (*nirq == cap) {
			uint32_t *n = realloc(*irqv, (cap ? cap * 2 : 16) * sizeof(**irqv));

			if (!n)
				return -ENOMEM;
			*irqv = n;
			cap = cap ? cap * 2 : 16;
		}
		(*irqv)[(*nirq)++] = e->arg;
		rc = dtrec_idmap_put(irqs, e->arg, 0);
	}
	return rc;
}

static void copy_str(char *dst, size_t n, const char *src)
{
	/* NUL-padded and terminated, as the kernel's strscpy_pad() writes. */
	memset(dst, 0, n);
	if (src)
		memcpy(dst, src, strnlen(src, n - 1));
}

char *dtrec_snapshot_with_target_names(const struct dtrec_target *t, const void *stream,
				       size_t len, size_t *outlen, char *err,
				       size_t errlen)
{
	struct dtrec_idmap pids = { 0 }, irqs = { 0 }, seen = { 0 };
	struct dtrec_pending_irq *named = NULL;
	struct dtrec_snap_task *tk = NULL;
	struct dtrec_snap_irq *iq = NULL;
	struct dtrec_snapshot *s = NULL;
	struct dtrec_tasks *tasks = NULL;
	size_t nt = 0, ni = 0, nirq = 0, i;
	uint32_t *irqv = NULL;
	char why[DTREC_ERRLEN];
	void *out = NULL;
	int rc;

	if (!t || !stream || !outlen)
		return dtrec_seterr(err, errlen, -EINVAL, "missing argument"), NULL;
	rc = dtrec_parse(stream, len, &s, err, errlen);
	if (rc)
		return NULL;
	rc = mentioned(s, &pids, &irqs, &irqv, &nirq);
	/* Tasks and IRQs are optional: a failure is only a warning. */
	if (!rc && dtrec_tasks_read(t, 1, NULL, &tasks, why, sizeof(why)) && t->ops->warn)
		t->ops->warn(t->ctx, why);
	if (!rc && nirq && dtrec_irqs_name(t, irqv, nirq, &named, why, sizeof(why)) &&
	    t->ops->warn)
		t->ops->warn(t->ctx, why);
	if (!rc) {
		tk = calloc(tasks && tasks->nr_tasks ? tasks->nr_tasks : 1, sizeof(*tk));
		iq = calloc(nirq ? nirq : 1, sizeof(*iq));
		if (!tk || !iq)
			rc = -ENOMEM;
	}
	for (i = 0; !rc && tasks && i < tasks->nr_tasks; i++) {
		const struct dtrec_task *x = &tasks->tasks[i];

		if (x->pid < 0 || x->pid > UINT32_MAX || nt >= DTREC_MAX_NAMES ||
		    !dtrec_idmap_get(&pids, (uint64_t)x->pid, NULL) ||
		    dtrec_idmap_get(&seen, (uint64_t)x->pid, NULL))
			continue;
		rc = dtrec_idmap_put(&seen, (uint64_t)x->pid, 0);
		tk[nt].pid = (uint32_t)x->pid;
		copy_str(tk[nt].comm, sizeof(tk[nt].comm), x->comm);
		nt++;
	}
	/* An IRQ without a descriptor any more is left out, as the kernel does. */
	for (i = 0; !rc && named && i < nirq; i++) {
		const struct dtrec_pending_irq *p = &named[i];

		if (!p->have_hwirq && !p->name)
			continue;
		iq[ni].irq = p->irq;
		iq[ni].hwirq = p->have_hwirq && p->hwirq < 0xffffffffULL ?
			(uint32_t)p->hwirq : 0xffffffffU;
		copy_str(iq[ni].name, sizeof(iq[ni].name), p->name);
		copy_str(iq[ni].chip, sizeof(iq[ni].chip), p->chip);
		copy_str(iq[ni].vector, sizeof(iq[ni].vector), p->vector);
		ni++;
	}
	if (!rc) {
		out = malloc(len);
		if (!out)
			rc = -ENOMEM;
		else
			memcpy(out, stream, len);
	}
	*outlen = len;
	if (!rc)
		rc = dtrec_snapshot_add_names(&out, outlen, tk, nt, iq, ni, err, errlen);
	else
		dtrec_seterr(err, errlen, rc, "out of memory");
	if (rc) {
		free(out);
		out = NULL;
	}
	free(tk);
	free(iq);
	free(irqv);
	dtrec_irqs_names_free(named, nirq);
	dtrec_tasks_free(tasks);
	dtrec_idmap_free(&pids);
	dtrec_idmap_free(&irqs);
	dtrec_idmap_free(&seen);
	dtrec_free(s);
	return out;
}
