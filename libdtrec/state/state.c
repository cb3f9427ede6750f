// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state commands as every front end runs them (options parsed
 * here once), and the state handed to the hang report.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "state_internal.h"

struct state_args {
	const char *cmd;
	int json, all;
	const char *table;
};

static int parse_args(struct state_args *a, int argc, char **argv,
		      char *err, size_t errlen)
{
	int i, tasks;

	memset(a, 0, sizeof(*a));
	if (argc < 1 || !argv[0] || (strcmp(argv[0], "stages") &&
				     strcmp(argv[0], "irqs") &&
				     strcmp(argv[0], "tasks")))
		return dtrec_seterr(err, errlen, -EINVAL,
				    "unknown state command '%s' (stages, irqs, tasks)",
				    argc < 1 || !argv[0] ? "" : argv[0]);
	a->cmd = argv[0];
	tasks = !strcmp(a->cmd, "tasks");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			a->json = 1;
		else if (tasks && !strcmp(argv[i], "--all"))
			a->all = 1;
		else if (tasks && !strcmp(argv[i], "--tlf-table") && i + 1 < argc)
			a->table = argv[++i];
		else if (tasks && !strncmp(argv[i], "--tlf-table=", 12))
			a->table = argv[i] + 12;
		else if (tasks && !strcmp(argv[i], "--tlf-table"))
			return dtrec_seterr(err, errlen, -EINVAL,
					    "--tlf-table needs a table name");
		else
			return dtrec_seterr(err, errlen, -EINVAL,
					    "unknown option '%.64s'", argv[i]);
	}
	return 0;
}

int dtrec_state_check(const struct dtrec_target *t, char *err, size_t errlen)
{
	struct kt k;
	int rc = kt_init(&k, t, err, errlen);

	if (!rc && (rc = kt_is_dovetail(&k)))
		kt_err(&k, err, errlen, rc);
	kt_done(&k);
	return rc;
}

int dtrec_state_check_args(int argc, char **argv, char *err, size_t errlen)
{
	struct state_args a;

	return parse_args(&a, argc, argv, err, errlen);
}

int dtrec_state_command(FILE *out, const struct dtrec_target *t, int argc,
			char **argv, char *err, size_t errlen)
{
	struct state_args a;
	int rc = parse_args(&a, argc, argv, err, errlen);

	if (rc)
		return rc;
	if (!strcmp(a.cmd, "stages")) {
		struct dtrec_stages *s;

		rc = dtrec_stages_read(t, &s, err, errlen);
		if (!rc)
			dtrec_stages_print(out, s, a.json);
		dtrec_stages_free(s);
	} else if (!strcmp(a.cmd, "irqs")) {
		struct dtrec_irqs *q;

		rc = dtrec_irqs_read(t, &q, err, errlen);
		if (!rc)
			dtrec_irqs_print(out, q, a.json);
		dtrec_irqs_free(q);
	} else {
		struct dtrec_tasks *k;

		rc = dtrec_tasks_read(t, a.all, a.table, &k, err, errlen);
		if (!rc)
			dtrec_tasks_print(out, k, a.json);
		dtrec_tasks_free(k);
	}
	return rc;
}

char *dtrec_state_command_str(const struct dtrec_target *t, int argc,
			      char **argv, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f) {
		dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	rc = dtrec_state_command(f, t, argc, argv, err, errlen);
	if (fclose(f) && !rc)
		rc = dtrec_seterr(err, errlen, -ENOMEM, "out of memory");
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

int dtrec_state_live(const struct dtrec_target *t, struct dtrec_live *l,
		     char *err, size_t errlen)
{
	struct dtrec_stages *s = NULL;
	struct dtrec_irqs *q = NULL;
	struct dtrec_tasks *k = NULL;
	size_t i, j;
	int rc, st;

	rc = dtrec_stages_read(t, &s, err, errlen);
	if (!rc)
		rc = dtrec_irqs_read(t, &q, err, errlen);
	if (!rc)
		rc = dtrec_tasks_read(t, 1, NULL, &k, err, errlen);
	for (i = 0; !rc && i < s->nr_cpus; i++) {
		const struct dtrec_stage_cpu *c = &s->cpus[i];

		rc = dtrec_live_cpu(l, c->cpu, c->oob, c->pipeline_entry,
				    c->inband_stalled, c->oob_stalled,
				    c->hard_irqs == DTREC_HARD_UNKNOWN ? DTREC_LIVE_UNKNOWN :
				    c->hard_irqs == DTREC_HARD_OFF, c->current,
				    c->inband_owner, c->task_inflight);
	}
	for (i = 0; !rc && i < q->nr_cpus; i++)
		for (st = 0; st < 2; st++)
			for (j = 0; !rc && j < q->cpus[i].log[st].nr_pending; j++) {
				const struct dtrec_pending_irq *p = &q->cpus[i].log[st].pending[j];

				rc = dtrec_live_pending(l, q->cpus[i].cpu, (unsigned int)st,
							p->irq, p->name);
				if (!rc && p->vector)
					rc = dtrec_live_vector(l, q->cpus[i].cpu,
							       (unsigned int)st, p->irq,
							       p->vector);
			}
	for (i = 0; !rc && i < k->nr_tasks; i++)
		rc = dtrec_live_task(l, k->tasks[i].pid, k->tasks[i].comm,
				     k->tasks[i].cpu, k->tasks[i].cls);
	if (rc == -ENOMEM)
		dtrec_seterr(err, errlen, rc, "out of memory recording the live state");
	dtrec_stages_free(s);
	dtrec_irqs_free(q);
	dtrec_tasks_free(k);
	return rc;
}
