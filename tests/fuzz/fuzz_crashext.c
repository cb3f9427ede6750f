// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the crash extension's pure decode layer: the
 * parts that see raw dump bytes (IRQ log maps with DWARF-derived
 * layouts, preempt counts and stall words, task flags and comm bytes)
 * and the JSON/text emitters fed with them. Built by
 * `make -C crash-ext fuzz`.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"

static uint64_t take(const uint8_t **p, size_t *n, size_t bytes)
{
	uint64_t v = 0;

	if (bytes > sizeof(v))
		abort();
	if (bytes > *n)
		bytes = *n;
	memcpy(&v, *p, bytes);
	*p += bytes;
	*n -= bytes;
	return v;
}

static void skip(const uint8_t **p, size_t *n, size_t bytes)
{
	if (bytes > *n)
		bytes = *n;
	*p += bytes;
	*n -= bytes;
}

static void check_json_line(char *buf, size_t len)
{
	/* One line, terminated, no raw control characters. */
	size_t i;

	if (!len || buf[len - 1] != '\n')
		abort();
	for (i = 0; i + 1 < len; i++)
		if ((unsigned char)buf[i] < 0x20)
			abort();
}

static void fuzz_irqlog(const uint8_t *p, size_t n, FILE *out)
{
	struct ce_map_layout l;
	struct ce_irqlog log;
	struct ce_irq_info *info;
	struct ce_irq_stage_out st[2];
	uint64_t index_0;
	size_t i;
	int json = (int)take(&p, &n, 1) & 1;

	l.levels = (unsigned int)take(&p, &n, 1) % 6;
	l.i1_off = take(&p, &n, 2);
	l.i1_words = take(&p, &n, 2);
	l.i2_off = take(&p, &n, 2);
	l.i2_words = take(&p, &n, 2);
	l.flat_off = take(&p, &n, 2);
	l.flat_words = take(&p, &n, 2);
	/* Either the real length or a size that claims more than we have. */
	l.size = take(&p, &n, 1) & 1 ? n : n + take(&p, &n, 1);
	index_0 = take(&p, &n, 8);
	ce_irqlog_init(&log);
	ce_irqlog_decode(&l, index_0, p, n, &log);
	if (log.nr_pending > n * 8 || (!log.consistent && !log.nr_errs))
		abort();
	info = calloc(log.nr_pending + 1, sizeof(*info));
	if (!info)
		abort();
	for (i = 0; i < log.nr_pending; i++) {
		if (i && log.pending[i] <= log.pending[i - 1])
			abort();
		info[i].irq = log.pending[i];
		info[i].name = (i & 1) ? "x\"\\\n" : NULL;
		info[i].have_hwirq = (int)(i & 1);
		info[i].hwirq = index_0;
		info[i].vector = ce_vector_name(index_0 + i, info[i].vecbuf,
						sizeof(info[i].vecbuf));
	}
	memset(st, 0, sizeof(st));
	st[0].present = 1;
	st[0].index_0 = index_0;
	st[0].log = &log;
	st[0].info = info;
	st[1].oob = 1;
	st[1].present = (int)(index_0 & 1);
	st[1].error = index_0 & 2 ? "irq_stage_data unreadable" : NULL;
	ce_emit_irqs_begin(out, json, l.levels);
	ce_emit_irqs_cpu(out, json, 1, 0, st, 2);
	ce_emit_irqs_end(out, json);
	ce_irqlog_reset(&log);
	free(info);
}

static void fuzz_stages(const uint8_t *p, size_t n, FILE *out)
{
	struct ce_stage_view v[4];
	char name[CE_CLEAN_LEN(16)];
	size_t k = 0;
	int json = (int)take(&p, &n, 1) & 1;

	char raw[17];

	memset(raw, 0, sizeof(raw));
	memcpy(raw, p, n < 16 ? n : 16);
	ce_utf8_clean(raw, sizeof(raw), name, sizeof(name));
	while (n && k < 4) {
		struct ce_stage_raw r;

		r.cpu = (uint32_t)take(&p, &n, 4);
		r.have_pc = (int)take(&p, &n, 1) & 1;
		r.preempt_count = (uint32_t)take(&p, &n, 4);
		r.current_pid = (int32_t)take(&p, &n, 4);
		r.have_cur_stall = (int)take(&p, &n, 1) & 1;
		r.cur_stall_bits = take(&p, &n, 8);
		r.owner_pid = (int32_t)take(&p, &n, 4);
		r.have_owner_stall = (int)take(&p, &n, 1) & 1;
		r.owner_stall_bits = take(&p, &n, 8);
		r.inflight_pid = (int32_t)take(&p, &n, 4);
		r.rqlock_pid = (int32_t)take(&p, &n, 4);
		r.have_rflags = (int)take(&p, &n, 1) & 1;
		r.rflags = take(&p, &n, 8);
		ce_stage_decode(&r, &v[k]);
		if (v[k].oob != (r.have_pc && (r.preempt_count & CE_STAGE_MASK)))
			abort();
		k++;
	}
	ce_emit_stages(out, json, (int)(k & 1), k & 2 ? name : NULL, v, k);
}

static void fuzz_tasks(const uint8_t *p, size_t n, FILE *out)
{
	struct ce_task t[8];
	unsigned int ma, mi;
	char rel[12];
	size_t k = 0;
	int json = (int)take(&p, &n, 1) & 1;
	const struct ce_ktable *tab;

	memset(t, 0, sizeof(t));
	memset(rel, 0, sizeof(rel));
	memcpy(rel, p, n < sizeof(rel) - 1 ? n : sizeof(rel) - 1);
	if (ce_parse_release(rel, &ma, &mi))
		ma = mi = 0;
	tab = ce_ktable_for(ma, mi);
	skip(&p, &n, sizeof(rel) - 1);
	while (n && k < 8) {
		memset(&t[k], 0, sizeof(t[k]));
		t[k].pid = (int32_t)take(&p, &n, 4);
		char raw[CE_COMM_LEN + 1];

		memset(raw, 0, sizeof(raw));
		memcpy(raw, p, n < CE_COMM_LEN ? n : CE_COMM_LEN);
		ce_utf8_clean(raw, sizeof(raw), t[k].comm, sizeof(t[k].comm));
		if (ce_utf8_len(t[k].comm) > CE_COMM_LEN)
			abort();
		skip(&p, &n, CE_COMM_LEN);
		t[k].cpu = (uint32_t)take(&p, &n, 2);
		t[k].local_flags = (uint32_t)take(&p, &n, 4);
		t[k].ti_flags = take(&p, &n, 8);
		t[k].inflight_cpu = (int32_t)take(&p, &n, 2) - 1;
		t[k].cls = ce_task_classify(tab, t[k].local_flags,
					    (int)take(&p, &n, 1) & 1);
		t[k].have_core = (int)(t[k].ti_flags & 1);
		snprintf(t[k].core_name, sizeof(t[k].core_name), "evl");
		t[k].have_thread = (int)(t[k].ti_flags & 2);
		ce_utf8_clean(raw, sizeof(raw), t[k].core_thread,
			      sizeof(t[k].core_thread));
		t[k].core_state = t[k].ti_flags;
		if (t[k].cls < CE_TC_INBAND || t[k].cls > CE_TC_OOB_TRAPPED)
			abort();
		k++;
	}
	qsort(t, k, sizeof(t[0]), ce_task_cmp);
	ce_emit_tasks(out, json, tab, t, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int json;

	if (size < 2)
		return 0;
	out = open_memstream(&buf, &len);
	if (!out)
		return 0;
	json = data[1] & 1;
	switch (data[0] % 3) {
	case 0:
		fuzz_irqlog(data + 1, size - 1, out);
		break;
	case 1:
		fuzz_stages(data + 1, size - 1, out);
		break;
	default:
		fuzz_tasks(data + 1, size - 1, out);
		break;
	}
	fclose(out);
	if (json)
		check_json_line(buf, len);
	free(buf);
	return 0;
}
