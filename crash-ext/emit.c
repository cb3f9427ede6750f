// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Text and --json output of the state commands. Both must be byte
 * identical to the gdb and drgn front ends (common/dtcore/output.py:
 * json.dumps with separators=(",", ":") and ensure_ascii, and its
 * padded tables), hence the hand-made escaping and column sizing.
 * Strings given here are already cleaned UTF-8 (ce_utf8_clean).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "../libdtrec/dtrec_json.h"

void ce_json_str(FILE *out, const char *s)
{
	dtrec_json_str(out, s);
}

static const char *bool_str(int b)
{
	return b ? "true" : "false";
}

static void json_pid(FILE *out, int32_t pid)
{
	if (pid == CE_NO_PID)
		fputs("null", out);
	else
		fprintf(out, "%" PRId32, pid);
}

static const char *hard_str(int h)
{
	return h == CE_ON ? "on" : h == CE_OFF ? "off" : "unknown";
}

/* Python's "%#x": 0x0 for zero, where C's %#x prints 0. */
static void hex0x(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "0x%" PRIx64, v);
}

/* ---- padded tables, as output._table() ---- */

#define CELL 224

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
	size_t w[16] = { 0 }, r, c;

	for (r = 0; r <= t->nrows; r++)
		for (c = 0; c < t->ncols && c < 16; c++) {
			size_t n = ce_utf8_len(t->cells[r * t->ncols + c]);

			if (n > w[c])
				w[c] = n;
		}
	for (r = 0; r <= t->nrows; r++) {
		char line[16 * (CELL + 2)];
		size_t len = 0, k;

		for (c = 0; c < t->ncols && c < 16; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c) {
				line[len++] = ' ';
				line[len++] = ' ';
			}
			memcpy(line + len, s, strlen(s));
			len += strlen(s);
			for (k = ce_utf8_len(s); k < w[c]; k++)
				line[len++] = ' ';
		}
		while (len && line[len - 1] == ' ')
			len--;
		line[len] = '\0';
		fprintf(out, "%s\n", line);
	}
	free(t->cells);
}

static void pid_cell(char *buf, int32_t pid)
{
	if (pid == CE_NO_PID)
		snprintf(buf, CELL, "-");
	else
		snprintf(buf, CELL, "%" PRId32, pid);
}

/* ---- stages ---- */

void ce_emit_stages(FILE *out, int json, int oob_present,
		    const char *oob_name, const struct ce_stage_view *v,
		    size_t n)
{
	static const char *const hdr[] = { "CPU", "STAGE", "PIPE", "INBAND",
		"OWNER", "OOB", "HARDIRQ", "CURRENT", "INFLIGHT", "RQLOCK" };
	struct table t;
	size_t i;

	if (json) {
		fputs("{\"command\":\"stages\",\"oob_stage\":{\"present\":", out);
		fputs(bool_str(oob_present), out);
		fputs(",\"name\":", out);
		ce_json_str(out, oob_name);
		fputs("},\"cpus\":[", out);
		for (i = 0; i < n; i++) {
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
			json_pid(out, v[i].current_pid);
			fputs(",\"task_inflight\":", out);
			json_pid(out, v[i].inflight_pid);
			fputs(",\"rqlock_owner\":", out);
			json_pid(out, v[i].rqlock_pid);
			fputc('}', out);
		}
		fputs("]}\n", out);
		return;
	}
	if (oob_present)
		fprintf(out, "oob stage: present (%s)\n", oob_name ? oob_name : "None");
	else
		fprintf(out, "oob stage: absent\n");
	if (table_init(&t, 10, n, hdr))
		return;
	for (i = 0; i < n; i++) {
		snprintf(cell(&t, i, 0), CELL, "%" PRIu32, v[i].cpu);
		snprintf(cell(&t, i, 1), CELL, "%s", v[i].oob ? "oob" : "inband");
		snprintf(cell(&t, i, 2), CELL, "%s", v[i].pipeline_entry ? "yes" : "no");
		snprintf(cell(&t, i, 3), CELL, "%s", v[i].inband_stalled ? "stalled" : "-");
		pid_cell(cell(&t, i, 4), v[i].inband_owner);
		snprintf(cell(&t, i, 5), CELL, "%s", v[i].oob_stalled ? "stalled" : "-");
		snprintf(cell(&t, i, 6), CELL, "%s", hard_str(v[i].hard_irqs));
		pid_cell(cell(&t, i, 7), v[i].current_pid);
		pid_cell(cell(&t, i, 8), v[i].inflight_pid);
		pid_cell(cell(&t, i, 9), v[i].rqlock_pid);
	}
	table_print(out, &t);
}

/* ---- irqs ---- */

void ce_emit_irqs_begin(FILE *out, int json, unsigned int levels)
{
	if (json)
		fprintf(out, "{\"command\":\"irqs\",\"levels\":%u,\"cpus\":[", levels);
	else
		fprintf(out, "log levels: %u\n", levels);
}

static int stage_consistent(const struct ce_irq_stage_out *st)
{
	return !st->error && (!st->log || st->log->consistent);
}

static void json_stage(FILE *out, const struct ce_irq_stage_out *st)
{
	const struct ce_irqlog *log = st->error ? NULL : st->log;
	size_t i;

	fprintf(out, "{\"stage\":\"%s\",\"present\":%s,\"index_0\":%" PRIu64
		",\"pending\":[", st->oob ? "oob" : "inband",
		bool_str(st->present), st->index_0);
	for (i = 0; log && i < log->nr_pending; i++) {
		const struct ce_irq_info *in = &st->info[i];

		fprintf(out, "%s{\"irq\":%" PRIu32 ",\"name\":", i ? "," : "",
			in->irq);
		ce_json_str(out, in->name);
		fputs(",\"hwirq\":", out);
		if (in->have_hwirq)
			fprintf(out, "%" PRIu64, in->hwirq);
		else
			fputs("null", out);
		fputs(",\"vector\":", out);
		ce_json_str(out, in->vector);
		fputc('}', out);
	}
	fprintf(out, "],\"consistent\":%s,\"errors\":[",
		bool_str(stage_consistent(st)));
	if (st->error)
		ce_json_str(out, st->error);
	for (i = 0; log && i < log->nr_errs; i++) {
		if (i)
			fputc(',', out);
		ce_json_str(out, log->errs[i]);
	}
	fputs("]}", out);
}

static void text_stage(FILE *out, uint32_t cpu, const struct ce_irq_stage_out *st)
{
	const struct ce_irqlog *log = st->error ? NULL : st->log;
	char tag[32], hex[24];
	size_t i;

	snprintf(tag, sizeof(tag), "cpu %" PRIu32 " %-6s", cpu,
		 st->oob ? "oob" : "inband");
	if (!st->present) {
		fprintf(out, "%s: stage not present\n", tag);
		return;
	}
	hex0x(hex, sizeof(hex), st->index_0);
	fprintf(out, "%s: index_0=%s, %zu pending%s\n", tag, hex,
		log ? log->nr_pending : 0,
		stage_consistent(st) ? "" : "  INCONSISTENT");
	for (i = 0; log && i < log->nr_pending; i++) {
		const struct ce_irq_info *in = &st->info[i];
		const char *name = in->name ? in->name : "?";
		size_t k;

		fprintf(out, "    irq %-6" PRIu32 " %s", in->irq, name);
		for (k = ce_utf8_len(name); k < 24; k++)
			fputc(' ', out);
		fputc(' ', out);
		if (in->have_hwirq)
			fprintf(out, "hwirq %" PRIu64 "%s", in->hwirq,
				in->vector ? ", " : "");
		if (in->vector)
			fputs(in->vector, out);
		fputc('\n', out);
	}
	if (st->error)
		fprintf(out, "    error: %s\n", st->error);
	for (i = 0; log && i < log->nr_errs; i++)
		fprintf(out, "    error: %s\n", log->errs[i]);
}

void ce_emit_irqs_cpu(FILE *out, int json, int first, uint32_t cpu,
		      const struct ce_irq_stage_out *st, size_t nst)
{
	size_t i;

	if (!json) {
		for (i = 0; i < nst; i++)
			text_stage(out, cpu, &st[i]);
		return;
	}
	fprintf(out, "%s{\"cpu\":%" PRIu32 ",\"stages\":[", first ? "" : ",", cpu);
	for (i = 0; i < nst; i++) {
		if (i)
			fputc(',', out);
		json_stage(out, &st[i]);
	}
	fputs("]}", out);
}

void ce_emit_irqs_end(FILE *out, int json)
{
	if (json)
		fputs("]}\n", out);
}

/* ---- tasks ---- */

static size_t flag_names(const struct ce_ktable *t, const struct ce_task *k,
			 int tif, const char **names)
{
	size_t n = 0;

	if (!tif) {
		if (k->local_flags & t->tlf_oob)
			names[n++] = "OOB";
		if (k->local_flags & t->tlf_dovetail)
			names[n++] = "DOVETAIL";
		if (k->local_flags & t->tlf_offstage)
			names[n++] = "OFFSTAGE";
		if (k->local_flags & t->tlf_oobtrap)
			names[n++] = "OOBTRAP";
	} else {
		if ((k->ti_flags >> t->tif_retuser) & 1)
			names[n++] = "RETUSER";
		if ((k->ti_flags >> t->tif_mayday) & 1)
			names[n++] = "MAYDAY";
	}
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

static void json_task(FILE *out, const struct ce_ktable *t,
		      const struct ce_task *k, int first)
{
	const char *names[4] = { NULL };
	char hex[24];

	fprintf(out, "%s{\"pid\":%" PRId32 ",\"comm\":", first ? "" : ",", k->pid);
	ce_json_str(out, k->comm);
	fprintf(out, ",\"cpu\":%" PRIu32 ",\"class\":\"%s\",\"tlf\":", k->cpu,
		ce_task_class_name(k->cls));
	json_names(out, names, flag_names(t, k, 0, names));
	fputs(",\"tif\":", out);
	json_names(out, names, flag_names(t, k, 1, names));
	fputs(",\"inflight_cpu\":", out);
	json_pid(out, k->inflight_cpu < 0 ? CE_NO_PID : k->inflight_cpu);
	fputs(",\"core\":", out);
	if (!k->have_core) {
		fputs("null}", out);
		return;
	}
	fputs("{\"name\":", out);
	ce_json_str(out, k->core_name);
	fputs(",\"thread\":", out);
	ce_json_str(out, k->have_thread ? k->core_thread : NULL);
	hex0x(hex, sizeof(hex), k->core_state);
	fprintf(out, ",\"state\":\"%s\"}}", hex);
}

void ce_emit_tasks(FILE *out, int json, const struct ce_ktable *t,
		   const struct ce_task *tasks, size_t n)
{
	static const char *const hdr[] = { "PID", "COMM", "CPU", "CLASS", "TLF",
		"TIF", "INFLIGHT", "CORE" };
	const char *names[4] = { NULL };
	struct table tb;
	size_t i;

	if (json) {
		fputs("{\"command\":\"tasks\",\"tlf_table\":", out);
		ce_json_str(out, t->name);
		fputs(",\"tasks\":[", out);
		for (i = 0; i < n; i++)
			json_task(out, t, &tasks[i], i == 0);
		fputs("]}\n", out);
		return;
	}
	fprintf(out, "_TLF table: %s\n", t->name);
	if (table_init(&tb, 8, n, hdr))
		return;
	for (i = 0; i < n; i++) {
		const struct ce_task *k = &tasks[i];
		char hex[24];

		snprintf(cell(&tb, i, 0), CELL, "%" PRId32, k->pid);
		snprintf(cell(&tb, i, 1), CELL, "%s", k->comm);
		snprintf(cell(&tb, i, 2), CELL, "%" PRIu32, k->cpu);
		snprintf(cell(&tb, i, 3), CELL, "%s", ce_task_class_name(k->cls));
		join_names(cell(&tb, i, 4), names, flag_names(t, k, 0, names));
		join_names(cell(&tb, i, 5), names, flag_names(t, k, 1, names));
		pid_cell(cell(&tb, i, 6), k->inflight_cpu < 0 ? CE_NO_PID :
			 k->inflight_cpu);
		if (k->have_core) {
			hex0x(hex, sizeof(hex), k->core_state);
			snprintf(cell(&tb, i, 7), CELL, "%s:%s %s", k->core_name,
				 k->have_thread ? k->core_thread : "None", hex);
		} else {
			snprintf(cell(&tb, i, 7), CELL, "-");
		}
	}
	table_print(out, &tb);
}
