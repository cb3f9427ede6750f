// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Text and --json output of the state commands. The JSON must be byte
 * identical to the gdb and drgn front ends (Python json.dumps with
 * separators=(",", ":") and ensure_ascii), hence the hand-made escaping.
 */
#include <inttypes.h>
#include <string.h>
#include "decode.h"

void ce_json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		default:
			/* Bytes >= 0x80 are taken as Latin-1, like bytes.decode("latin-1"). */
			if (*p < 0x20 || *p >= 0x80)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
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

static void text_pid(FILE *out, const char *fmt, int32_t pid)
{
	char buf[16];

	if (pid == CE_NO_PID)
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%" PRId32, pid);
	fprintf(out, fmt, buf);
}

void ce_emit_stages(FILE *out, int json, int oob_present,
		    const char *oob_name, const struct ce_stage_view *v,
		    size_t n)
{
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
		fprintf(out, "oob stage: %s\n", oob_name ? oob_name : "(unnamed)");
	else
		fprintf(out, "oob stage: absent\n");
	fprintf(out, "%-4s %-6s %-5s %-13s %-7s %-11s %-9s %-7s %-8s %s\n",
		"CPU", "STAGE", "ENTRY", "INBAND-STALL", "OWNER", "OOB-STALL",
		"HARD-IRQS", "CURRENT", "INFLIGHT", "RQLOCK");
	for (i = 0; i < n; i++) {
		fprintf(out, "%-4" PRIu32 " %-6s %-5s %-13s ", v[i].cpu,
			v[i].oob ? "oob" : "inband",
			v[i].pipeline_entry ? "yes" : "no",
			v[i].inband_stalled ? "stalled" : "no");
		text_pid(out, "%-7s ", v[i].inband_owner);
		fprintf(out, "%-11s %-9s ", v[i].oob_stalled ? "stalled" : "no",
			hard_str(v[i].hard_irqs));
		text_pid(out, "%-7s ", v[i].current_pid);
		text_pid(out, "%-8s ", v[i].inflight_pid);
		text_pid(out, "%s\n", v[i].rqlock_pid);
	}
}

void ce_emit_irqs_begin(FILE *out, int json, unsigned int levels)
{
	if (json)
		fprintf(out, "{\"command\":\"irqs\",\"levels\":%u,\"cpus\":[", levels);
	else
		fprintf(out, "irq log levels: %u\n", levels);
}

static void json_stage(FILE *out, const struct ce_irq_stage_out *st)
{
	const struct ce_irqlog *log = st->log;
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
		bool_str(!log || log->consistent));
	for (i = 0; log && i < log->nr_errs; i++) {
		if (i)
			fputc(',', out);
		ce_json_str(out, log->errs[i]);
	}
	fputs("]}", out);
}

static void text_stage(FILE *out, uint32_t cpu, const struct ce_irq_stage_out *st)
{
	const struct ce_irqlog *log = st->log;
	size_t i;

	fprintf(out, "CPU %" PRIu32 " %-6s ", cpu, st->oob ? "oob" : "inband");
	if (!st->present) {
		fprintf(out, "absent\n");
		return;
	}
	fprintf(out, "index_0=0x%016" PRIx64 " %s, %zu pending\n", st->index_0,
		!log || log->consistent ? "consistent" : "INCONSISTENT",
		log ? log->nr_pending : 0);
	for (i = 0; log && i < log->nr_pending; i++) {
		const struct ce_irq_info *in = &st->info[i];
		char hw[24];

		if (in->have_hwirq)
			snprintf(hw, sizeof(hw), "%" PRIu64, in->hwirq);
		else
			snprintf(hw, sizeof(hw), "-");
		fprintf(out, "    irq %-6" PRIu32 " hwirq %-6s %s%s%s\n", in->irq,
			hw, in->name ? in->name : "-",
			in->vector ? " " : "", in->vector ? in->vector : "");
	}
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
		if ((k->ti_flags >> t->tif_mayday) & 1)
			names[n++] = "MAYDAY";
		if ((k->ti_flags >> t->tif_retuser) & 1)
			names[n++] = "RETUSER";
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

static void text_names(FILE *out, const char **names, size_t n, int width)
{
	char buf[64] = "-";
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
					i ? "|" : "", names[i]);
	fprintf(out, "%-*s ", width, buf);
}

void ce_emit_tasks(FILE *out, int json, const struct ce_ktable *t,
		   const struct ce_task *tasks, size_t n)
{
	const char *names[4];
	size_t i, k;

	if (json) {
		fputs("{\"command\":\"tasks\",\"tlf_table\":", out);
		ce_json_str(out, t->name);
		fputs(",\"tasks\":[", out);
	} else {
		fprintf(out, "tlf table: %s\n", t->name);
		fprintf(out, "%-7s %-16s %-4s %-11s %-28s %-15s %s\n", "PID",
			"COMM", "CPU", "CLASS", "TLF", "TIF", "INFLIGHT");
	}
	for (i = 0; i < n; i++) {
		const struct ce_task *k_ = &tasks[i];

		if (json) {
			fprintf(out, "%s{\"pid\":%" PRId32 ",\"comm\":",
				i ? "," : "", k_->pid);
			ce_json_str(out, k_->comm);
			fprintf(out, ",\"cpu\":%" PRIu32 ",\"class\":\"%s\",\"tlf\":",
				k_->cpu, ce_task_class_name(k_->cls));
			k = flag_names(t, k_, 0, names);
			json_names(out, names, k);
			fputs(",\"tif\":", out);
			k = flag_names(t, k_, 1, names);
			json_names(out, names, k);
			fputs(",\"inflight_cpu\":", out);
			json_pid(out, k_->inflight_cpu);
			fputs(",\"core\":null}", out);
			continue;
		}
		fprintf(out, "%-7" PRId32 " %-16s %-4" PRIu32 " %-11s ", k_->pid,
			k_->comm, k_->cpu, ce_task_class_name(k_->cls));
		k = flag_names(t, k_, 0, names);
		text_names(out, names, k, 28);
		k = flag_names(t, k_, 1, names);
		text_names(out, names, k, 15);
		text_pid(out, "%s\n", k_->inflight_cpu);
	}
	if (json)
		fputs("]}\n", out);
}
