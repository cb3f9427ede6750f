// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Text and JSON of the state commands (docs/json-state.md): one
 * compact JSON line, keys in the documented order, or padded tables
 * whose columns are as wide as their widest cell in code points.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "state_internal.h"

static const char *bool_str(int b)
{
	return b ? "true" : "false";
}

static void json_pid(FILE *out, int64_t pid)
{
	if (pid == DTREC_NO_PID)
		fputs("null", out);
	else
		fprintf(out, "%" PRId64, pid);
}

static const char *hard_str(int h)
{
	return h == DTREC_HARD_ON ? "on" : h == DTREC_HARD_OFF ? "off" : "unknown";
}

/* ---- padded tables ---- */

#define CELL 224
#define MAXCOLS 10

struct table {
	size_t ncols, nrows;
	char (*cells)[CELL];	/* (nrows + 1) * ncols, row 0 is the header */
};

static int table_init(struct table *t, size_t ncols, size_t nrows,
		      const char *const *hdr)
{
	size_t c;

	t->ncols = ncols;
	t->nrows = nrows;
	t->cells = calloc((nrows + 1) * ncols, CELL);
	if (!t->cells)
		return -1;
	for (c = 0; c < ncols; c++)
		snprintf(t->cells[c], CELL, "%s", hdr[c]);
	return 0;
}

static char *cell(struct table *t, size_t row, size_t col)
{
	return t->cells[(row + 1) * t->ncols + col];
}

static void table_print(FILE *out, struct table *t)
{
	size_t w[MAXCOLS] = { 0 }, r, c, k;

	for (r = 0; r <= t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t n = dtrec_utf8_len(t->cells[r * t->ncols + c]);

			if (n > w[c])
				w[c] = n;
		}
	for (r = 0; r <= t->nrows; r++) {
		char line[MAXCOLS * (CELL + 2) + 1];
		size_t len = 0;

		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c) {
				line[len++] = ' ';
				line[len++] = ' ';
			}
			memcpy(line + len, s, strlen(s));
			len += strlen(s);
			for (k = dtrec_utf8_len(s); k < w[c] && len < sizeof(line) - 1; k++)
				line[len++] = ' ';
		}
		while (len && line[len - 1] == ' ')
			len--;
		line[len] = '\0';
		fprintf(out, "%s\n", line);
	}
	free(t->cells);
}

static void pid_cell(char *buf, int64_t pid)
{
	if (pid == DTREC_NO_PID)
		snprintf(buf, CELL, "-");
	else
		snprintf(buf, CELL, "%" PRId64, pid);
}

/* A string cut to fit a cell on a code point boundary. */
static void str_cell(char *buf, const char *s)
{
	size_t n = strlen(s);

	if (n >= CELL) {
		n = CELL - 1;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* ---- stages ---- */

void dtrec_stages_print(FILE *out, const struct dtrec_stages *s, int json)
{
	static const char *const hdr[] = { "CPU", "STAGE", "PIPE", "INBAND",
		"OWNER", "OOB", "HARDIRQ", "CURRENT", "INFLIGHT", "RQLOCK" };
	const struct dtrec_stage_cpu *v = s->cpus;
	struct table t;
	size_t i;

	if (json) {
		fprintf(out, "{\"command\":\"stages\",\"oob_stage\":{\"present\":%s,"
			"\"name\":", bool_str(s->oob_present));
		dtrec_json_str(out, s->oob_present ? s->oob_name : NULL);
		fputs("},\"cpus\":[", out);
		for (i = 0; i < s->nr_cpus; i++) {
			fprintf(out, "%s{\"cpu\":%" PRIu32 ",\"stage\":\"%s\","
				"\"pipeline_entry\":%s,\"inband_stalled\":%s,"
				"\"inband_owner\":", i ? "," : "", v[i].cpu,
				v[i].oob ? "oob" : "inband",
				bool_str(v[i].pipeline_entry),
				bool_str(v[i].inband_stalled));
			json_pid(out, v[i].inband_owner);
			fprintf(out, ",\"oob_stalled\":%s,\"hard_irqs\":\"%s\","
				"\"current\":", bool_str(v[i].oob_stalled),
				hard_str(v[i].hard_irqs));
			json_pid(out, v[i].current);
			fputs(",\"task_inflight\":", out);
			json_pid(out, v[i].task_inflight);
			fputs(",\"rqlock_owner\":", out);
			json_pid(out, v[i].rqlock_owner);
			fputc('}', out);
		}
		fputs("]}\n", out);
		return;
	}
	if (s->oob_present)
		fprintf(out, "oob stage: present (%s)\n",
			s->oob_name ? s->oob_name : "None");
	else
		fprintf(out, "oob stage: absent\n");
	if (table_init(&t, 10, s->nr_cpus, hdr))
		return;
	for (i = 0; i < s->nr_cpus; i++) {
		snprintf(cell(&t, i, 0), CELL, "%" PRIu32, v[i].cpu);
		snprintf(cell(&t, i, 1), CELL, "%s", v[i].oob ? "oob" : "inband");
		snprintf(cell(&t, i, 2), CELL, "%s", v[i].pipeline_entry ? "yes" : "no");
		snprintf(cell(&t, i, 3), CELL, "%s", v[i].inband_stalled ? "stalled" : "-");
		pid_cell(cell(&t, i, 4), v[i].inband_owner);
		snprintf(cell(&t, i, 5), CELL, "%s", v[i].oob_stalled ? "stalled" : "-");
		snprintf(cell(&t, i, 6), CELL, "%s", hard_str(v[i].hard_irqs));
		pid_cell(cell(&t, i, 7), v[i].current);
		pid_cell(cell(&t, i, 8), v[i].task_inflight);
		pid_cell(cell(&t, i, 9), v[i].rqlock_owner);
	}
	table_print(out, &t);
}

/* ---- irqs ---- */

static void json_log(FILE *out, const struct dtrec_irq_log *l)
{
	size_t i;

	fprintf(out, "{\"stage\":\"%s\",\"present\":%s,\"index_0\":%" PRIu64
		",\"pending\":[", l->oob ? "oob" : "inband",
		bool_str(l->present), l->index_0);
	for (i = 0; i < l->nr_pending; i++) {
		const struct dtrec_pending_irq *p = &l->pending[i];

		fprintf(out, "%s{\"irq\":%" PRIu32 ",\"name\":", i ? "," : "", p->irq);
		dtrec_json_str(out, p->name);
		fputs(",\"hwirq\":", out);
		if (p->have_hwirq)
			fprintf(out, "%" PRIu64, p->hwirq);
		else
			fputs("null", out);
		fputs(",\"vector\":", out);
		dtrec_json_str(out, p->vector);
		fputc('}', out);
	}
	fprintf(out, "],\"consistent\":%s,\"errors\":[", bool_str(!l->nr_errors));
	for (i = 0; i < l->nr_errors; i++) {
		if (i)
			fputc(',', out);
		dtrec_json_str(out, l->errors[i]);
	}
	fputs("]}", out);
}

static void text_log(FILE *out, uint32_t cpu, const struct dtrec_irq_log *l)
{
	char tag[32];
	size_t i, k;

	snprintf(tag, sizeof(tag), "cpu %" PRIu32 " %-6s", cpu, l->oob ? "oob" : "inband");
	if (!l->present) {
		fprintf(out, "%s: stage not present\n", tag);
		return;
	}
	/* Python's "%#x": 0x0 for zero, where C's %#x prints 0. */
	fprintf(out, "%s: index_0=0x%" PRIx64 ", %zu pending%s\n", tag, l->index_0,
		l->nr_pending, l->nr_errors ? "  INCONSISTENT" : "");
	for (i = 0; i < l->nr_pending; i++) {
		const struct dtrec_pending_irq *p = &l->pending[i];
		const char *name = p->name ? p->name : "?";

		fprintf(out, "    irq %-6" PRIu32 " %s", p->irq, name);
		for (k = dtrec_utf8_len(name); k < 24; k++)
			fputc(' ', out);
		fputc(' ', out);
		if (p->have_hwirq)
			fprintf(out, "hwirq %" PRIu64 "%s", p->hwirq, p->vector ? ", " : "");
		if (p->vector)
			fputs(p->vector, out);
		fputc('\n', out);
	}
	for (i = 0; i < l->nr_errors; i++)
		fprintf(out, "    error: %s\n", l->errors[i]);
}

void dtrec_irqs_print(FILE *out, const struct dtrec_irqs *q, int json)
{
	size_t i;
	int s;

	if (json)
		fprintf(out, "{\"command\":\"irqs\",\"levels\":%u,\"cpus\":[", q->levels);
	else
		fprintf(out, "log levels: %u\n", q->levels);
	for (i = 0; i < q->nr_cpus; i++) {
		const struct dtrec_irq_cpu *c = &q->cpus[i];

		if (!json) {
			text_log(out, c->cpu, &c->log[0]);
			text_log(out, c->cpu, &c->log[1]);
			continue;
		}
		fprintf(out, "%s{\"cpu\":%" PRIu32 ",\"stages\":[", i ? "," : "", c->cpu);
		for (s = 0; s < 2; s++) {
			if (s)
				fputc(',', out);
			json_log(out, &c->log[s]);
		}
		fputs("]}", out);
	}
	if (json)
		fputs("]}\n", out);
}

/* ---- tasks ---- */

static size_t flag_names(const struct dtrec_task *t, int tif, const char **names)
{
	static const char *const tlf[] = { "OOB", "DOVETAIL", "OFFSTAGE", "OOBTRAP" };
	static const char *const tifs[] = { "RETUSER", "MAYDAY" };
	unsigned int bits = tif ? t->tif : t->tlf, i;
	size_t n = 0;

	for (i = 0; i < (tif ? 2U : 4U); i++)
		if (bits & (1U << i))
			names[n++] = tif ? tifs[i] : tlf[i];
	return n;
}

static void json_names(FILE *out, const char **names, size_t n)
{
	size_t i;

	fputc('[', out);
	for (i = 0; i < n; i++)
		fprintf(out, "%s\"%s\"", i ? "," : "", names[i]);
	fputc(']', out);
}

static void join_names(char *buf, const char **names, size_t n)
{
	size_t i, len = 0;

	snprintf(buf, CELL, "-");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, CELL - len, "%s%s",
					i ? "," : "", names[i]);
}

static void json_task(FILE *out, const struct dtrec_task *t, int first)
{
	const char *names[4];

	fprintf(out, "%s{\"pid\":%" PRId64 ",\"comm\":", first ? "" : ",", t->pid);
	dtrec_json_str(out, t->comm);
	fprintf(out, ",\"cpu\":%" PRIu32 ",\"class\":\"%s\",\"tlf\":", t->cpu,
		dtrec_task_class_name(t->cls));
	json_names(out, names, flag_names(t, 0, names));
	fputs(",\"tif\":", out);
	json_names(out, names, flag_names(t, 1, names));
	fputs(",\"inflight_cpu\":", out);
	json_pid(out, t->inflight_cpu < 0 ? DTREC_NO_PID : t->inflight_cpu);
	fputs(",\"core\":", out);
	if (!t->core) {
		fputs("null}", out);
		return;
	}
	fputs("{\"name\":", out);
	dtrec_json_str(out, t->core);
	fputs(",\"thread\":", out);
	dtrec_json_str(out, t->core_thread);
	fprintf(out, ",\"state\":\"0x%" PRIx64 "\"}}", t->core_state);
}

void dtrec_tasks_print(FILE *out, const struct dtrec_tasks *k, int json)
{
	static const char *const hdr[] = { "PID", "COMM", "CPU", "CLASS", "TLF",
		"TIF", "INFLIGHT", "CORE" };
	const char *names[4];
	struct table tb;
	size_t i;

	if (json) {
		fputs("{\"command\":\"tasks\",\"tlf_table\":", out);
		dtrec_json_str(out, k->tlf_table);
		fputs(",\"tasks\":[", out);
		for (i = 0; i < k->nr_tasks; i++)
			json_task(out, &k->tasks[i], i == 0);
		fputs("]}\n", out);
		return;
	}
	fprintf(out, "_TLF table: %s\n", k->tlf_table);
	if (table_init(&tb, 8, k->nr_tasks, hdr))
		return;
	for (i = 0; i < k->nr_tasks; i++) {
		const struct dtrec_task *t = &k->tasks[i];

		snprintf(cell(&tb, i, 0), CELL, "%" PRId64, t->pid);
		str_cell(cell(&tb, i, 1), t->comm);
		snprintf(cell(&tb, i, 2), CELL, "%" PRIu32, t->cpu);
		snprintf(cell(&tb, i, 3), CELL, "%s", dtrec_task_class_name(t->cls));
		join_names(cell(&tb, i, 4), names, flag_names(t, 0, names));
		join_names(cell(&tb, i, 5), names, flag_names(t, 1, names));
		pid_cell(cell(&tb, i, 6), t->inflight_cpu < 0 ? DTREC_NO_PID :
			 t->inflight_cpu);
		if (t->core) {
			char c[CELL];

			str_cell(c, t->core_thread ? t->core_thread : "None");
			snprintf(cell(&tb, i, 7), CELL, "%s:%.*s 0x%" PRIx64, t->core,
				 CELL - 40, c, t->core_state);
		} else {
			snprintf(cell(&tb, i, 7), CELL, "-");
		}
	}
	table_print(out, &tb);
}
