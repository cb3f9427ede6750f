// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the crash extension's pure decode layer (crash-ext/
 * decode.c, emit.c). Built by `make -C crash-ext test-decode`; not a
 * test_*.c because it links crash-ext sources, not libdtrec.a.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"

static int failures;

#define CHECK(c) do { if (!(c)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void set_bit(uint8_t *map, size_t off, size_t bit)
{
	uint64_t w;

	memcpy(&w, map + off + (bit / 64) * 8, 8);
	w |= 1ULL << (bit % 64);
	memcpy(map + off + (bit / 64) * 8, &w, 8);
}

static void clear_bit(uint8_t *map, size_t off, size_t bit)
{
	uint64_t w;

	memcpy(&w, map + off + (bit / 64) * 8, 8);
	w &= ~(1ULL << (bit % 64));
	memcpy(map + off + (bit / 64) * 8, &w, 8);
}

static int has_error(const struct ce_irqlog *l, const char *needle)
{
	unsigned int i;

	for (i = 0; i < l->nr_errs; i++)
		if (strstr(l->errs[i], needle))
			return 1;
	return 0;
}

/* Post irqs the way irq_post_stage() does for a 3-level log. */
static uint64_t post3(const struct ce_map_layout *l, uint8_t *map, const uint32_t *irqs,
		      size_t n)
{
	uint64_t index_0 = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t w = irqs[i] / 64;

		set_bit(map, l->flat_off, irqs[i]);
		set_bit(map, l->i1_off, w);
		index_0 |= 1ULL << (w / 64);
	}
	return index_0;
}

static void test_irqlog3(void)
{
	/* The 6.6 x86 NR_CPUS=64 shape: L1 = 64 words, 324 flat words. */
	struct ce_map_layout l = { 3, 64 * 8 + 324 * 8, 0, 64, 0, 0, 64 * 8, 324 };
	uint32_t irqs[] = { 4355, 0, 24, 63, 64, 20735 };
	const uint32_t sorted[] = { 0, 24, 63, 64, 4355, 20735 };
	struct ce_irqlog *log = malloc(sizeof(*log));
	uint8_t *map = calloc(1, l.size);
	uint64_t index_0;
	size_t i;

	ce_irqlog_init(log);

	CHECK(ce_map_layout_check(&l, NULL, 0) == 0);
	index_0 = post3(&l, map, irqs, 6);
	ce_irqlog_decode(&l, index_0, map, l.size, log);
	CHECK(log->consistent);
	CHECK(log->nr_errs == 0);
	CHECK(log->nr_pending == 6);
	for (i = 0; i < 6 && i < log->nr_pending; i++)
		CHECK(log->pending[i] == sorted[i]);

	/* index_0 lost its bit for word 68's group: a torn upper level. */
	ce_irqlog_decode(&l, index_0 & ~(1ULL << 1), map, l.size, log);
	CHECK(!log->consistent);
	CHECK(has_error(log, "index_0 bit 1: clear, index_1[1] != 0"));
	CHECK(log->nr_pending == 6);

	/* flat bit without its index_1 bit. */
	set_bit(map, l.flat_off, 700);
	ce_irqlog_decode(&l, index_0, map, l.size, log);
	CHECK(!log->consistent);
	CHECK(has_error(log, "index_1 bit 10: clear, flat[10] != 0"));
	clear_bit(map, l.flat_off, 700);

	/* index_1 bit without any flat bit behind it. */
	set_bit(map, l.i1_off, 11);
	ce_irqlog_decode(&l, index_0, map, l.size, log);
	CHECK(has_error(log, "index_1 bit 11: set, flat[11] == 0"));
	clear_bit(map, l.i1_off, 11);

	/* index_1 bits past the flat array. */
	set_bit(map, l.i1_off, 400);
	index_0 |= 1ULL << (400 / 64);
	ce_irqlog_decode(&l, index_0, map, l.size, log);
	CHECK(has_error(log, "index_1 bit 400: set, flat has 324 words"));

	/* Short buffer: no decoding, an error. */
	ce_irqlog_decode(&l, index_0, map, l.size - 1, log);
	CHECK(!log->consistent && log->nr_pending == 0);
	CHECK(has_error(log, "map unreadable"));
	ce_irqlog_reset(log);
	free(map);
	free(log);
}

static void test_irqlog_levels(void)
{
	struct ce_map_layout two = { 2, 8 * 8, 0, 0, 0, 0, 0, 8 };
	struct ce_map_layout four = { 4, 0, 0, 2, 16, 128, 0, 0 };
	struct ce_irqlog *log = malloc(sizeof(*log));
	uint8_t map2[64] = { 0 }, *map4;
	uint32_t irq = 8000;

	ce_irqlog_init(log);

	set_bit(map2, 0, 130);
	ce_irqlog_decode(&two, 1ULL << 2, map2, sizeof(map2), log);
	CHECK(log->consistent && log->nr_pending == 1 && log->pending[0] == 130);
	ce_irqlog_decode(&two, 1ULL << 3, map2, sizeof(map2), log);
	CHECK(!log->consistent);
	CHECK(has_error(log, "index_0 bit 2: clear, flat[2] != 0"));
	CHECK(has_error(log, "index_0 bit 3: set, flat[3] == 0"));

	/* 4 levels: index_1 2 words, index_2 128 words, flat 8192 words. */
	four.flat_off = 16 + 128 * 8;
	four.flat_words = 8192;
	four.size = four.flat_off + four.flat_words * 8;
	map4 = calloc(1, four.size);
	set_bit(map4, four.flat_off, irq);
	set_bit(map4, four.i2_off, irq / 64);			/* flat word 125 */
	set_bit(map4, four.i1_off, irq / 64 / 64);		/* index_2 word 1 */
	ce_irqlog_decode(&four, 1ULL << (irq / 64 / 64 / 64), map4, four.size, log);
	CHECK(log->consistent && log->nr_pending == 1 && log->pending[0] == irq);
	clear_bit(map4, four.i2_off, irq / 64);
	ce_irqlog_decode(&four, 1, map4, four.size, log);
	CHECK(!log->consistent);
	CHECK(has_error(log, "index_2 bit 125: clear, flat[125] != 0"));
	CHECK(has_error(log, "index_1 bit 1: set, index_2[1] == 0"));
	free(map4);

	/* Layouts DWARF could never produce are refused, not decoded. */
	{
		struct ce_map_layout bad = two;

		bad.levels = 5;
		CHECK(ce_map_layout_check(&bad, NULL, 0) < 0);
		bad = two;
		bad.flat_words = 9;
		CHECK(ce_map_layout_check(&bad, NULL, 0) < 0);
		ce_irqlog_decode(&bad, 0, map2, sizeof(map2), log);
		CHECK(!log->consistent && log->nr_pending == 0);
	}
	ce_irqlog_reset(log);
	free(log);
}

static void test_irqlog_many(void)
{
	struct ce_map_layout l = { 2, 64 * 8, 0, 0, 0, 0, 0, 64 };
	struct ce_irqlog *log = malloc(sizeof(*log));
	uint8_t *map = malloc(l.size);
	size_t i;

	/* No cap: every pending IRQ and every error, as the Python side lists them. */
	ce_irqlog_init(log);
	memset(map, 0xff, l.size);
	ce_irqlog_decode(&l, ~0ULL, map, l.size, log);
	CHECK(log->nr_pending == 64 * 64 && log->consistent);
	for (i = 0; i < log->nr_pending; i++)
		CHECK(log->pending[i] == i);
	memset(map, 0, l.size);
	ce_irqlog_decode(&l, ~0ULL, map, l.size, log);
	CHECK(log->nr_errs == 64 && !log->consistent && log->nr_pending == 0);
	CHECK(!strcmp(log->errs[63], "index_0 bit 63: set, flat[63] == 0"));
	ce_irqlog_reset(log);
	free(map);
	free(log);
}

static void test_utf8(void)
{
	char out[64];

	/* Expected values: bytes.decode("utf-8", "replace") in CPython. */
	ce_utf8_clean("\xe0\x80\xe2\x82", 4, out, sizeof(out));
	CHECK(!strcmp(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
	ce_utf8_clean("\xf0\x9f\x98", 3, out, sizeof(out));
	CHECK(!strcmp(out, "\xef\xbf\xbd"));
	ce_utf8_clean("\xed\xa0\x80", 3, out, sizeof(out));
	CHECK(!strcmp(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
	ce_utf8_clean("caf\xc3\xa9\0junk", 10, out, sizeof(out));
	CHECK(!strcmp(out, "caf\xc3\xa9") && ce_utf8_len(out) == 4);
	ce_utf8_clean("\xf0\x9f\x98\x80!", 5, out, sizeof(out));
	CHECK(!strcmp(out, "\xf0\x9f\x98\x80!") && ce_utf8_len(out) == 2);
	/* The output buffer bounds the copy. */
	ce_utf8_clean("abcdefgh", 8, out, 4);
	CHECK(strlen(out) < 4);
}

static void test_versions(void)
{
	unsigned int ma, mi;
	const struct ce_ktable *t;
	char buf[24];

	CHECK(ce_parse_release("6.6.0-rc4-dtdebug+", &ma, &mi) == 0 && ma == 6 && mi == 6);
	CHECK(ce_parse_release("5.10.0-evl", &ma, &mi) == 0 && ma == 5 && mi == 10);
	CHECK(ce_parse_release("garbage", &ma, &mi) < 0);
	CHECK(ce_parse_release("6", &ma, &mi) < 0);
	CHECK(ce_parse_release(NULL, &ma, &mi) < 0);
	t = ce_ktable_for(6, 6);
	CHECK(t->tlf_oob == 0x10 && t->tlf_oobtrap == 0x80 && t->tif_retuser == 19);
	CHECK(ce_ktable_for(5, 11) == t && ce_ktable_named("x86-6.6") == t);
	t = ce_ktable_for(5, 10);
	CHECK(t->tlf_oob == 0x4 && t->tlf_dovetail == 0x8 && t->tif_retuser == 23);
	CHECK(ce_ktable_named("x86-5.10") == t && !ce_ktable_named("arm64-9"));
	CHECK(!strcmp(ce_vector_name(0xec, buf, sizeof(buf)), "LOCAL_TIMER_VECTOR"));
	CHECK(!strcmp(ce_vector_name(0x5, buf, sizeof(buf)), "0x05"));
	CHECK(!strcmp(ce_vector_name(0x1e9, buf, sizeof(buf)), "0x1e9"));
}

static void test_stages(void)
{
	struct ce_stage_raw r;
	struct ce_stage_view v;

	memset(&r, 0, sizeof(r));
	r.cpu = 3;
	r.have_pc = 1;
	r.preempt_count = CE_STAGE_MASK | CE_PIPELINE_MASK | 0x10000;
	r.current_pid = 42;
	r.have_cur_stall = 1;
	r.cur_stall_bits = 0x2;		/* oob stalled, in-band bit of current ignored */
	r.owner_pid = 7;
	r.have_owner_stall = 1;
	r.owner_stall_bits = 0x1;
	r.inflight_pid = CE_NO_PID;
	r.rqlock_pid = 9;
	r.have_rflags = 1;
	r.rflags = 0x46;		/* IF clear */
	ce_stage_decode(&r, &v);
	CHECK(v.cpu == 3 && v.oob && v.pipeline_entry && v.inband_stalled && v.oob_stalled);
	CHECK(v.inband_owner == 7 && v.current_pid == 42 && v.rqlock_pid == 9);
	CHECK(v.inflight_pid == CE_NO_PID && v.hard_irqs == CE_OFF);

	r.preempt_count = 0x80000000U;	/* need-resched only */
	r.owner_stall_bits = 0x2;
	r.cur_stall_bits = 0x1;
	r.rflags = 0x246;
	ce_stage_decode(&r, &v);
	CHECK(!v.oob && !v.pipeline_entry && !v.inband_stalled && !v.oob_stalled);
	CHECK(v.hard_irqs == CE_ON);
	r.have_rflags = 0;
	r.have_pc = 0;
	r.preempt_count = CE_STAGE_MASK;
	ce_stage_decode(&r, &v);
	CHECK(v.hard_irqs == CE_UNKNOWN && !v.oob);
}

static void test_tasks(void)
{
	const struct ce_ktable *t = ce_ktable_for(6, 6), *o = ce_ktable_for(5, 10);

	CHECK(ce_task_classify(t, 0, 0) == CE_TC_INBAND);
	CHECK(ce_task_classify(t, t->tlf_dovetail, 0) == CE_TC_INBAND);
	CHECK(ce_task_classify(t, t->tlf_dovetail | t->tlf_offstage, 0) == CE_TC_MIGRATING);
	CHECK(ce_task_classify(t, t->tlf_oob | t->tlf_offstage, 1) == CE_TC_OOB_RUNNING);
	CHECK(ce_task_classify(t, t->tlf_oob | t->tlf_offstage, 0) == CE_TC_OOB_BLOCKED);
	CHECK(ce_task_classify(t, t->tlf_oob | t->tlf_oobtrap, 1) == CE_TC_OOB_TRAPPED);
	/* 5.10's OOB bit is 6.6's nothing: the table matters. */
	CHECK(ce_task_classify(o, 0x4, 0) == CE_TC_OOB_BLOCKED);
	CHECK(ce_task_classify(t, 0x4, 0) == CE_TC_INBAND);
	CHECK(!ce_task_has_tlf(t, 0x4) && ce_task_has_tlf(o, 0x4));
	CHECK(!strcmp(ce_task_class_name(CE_TC_OOB_TRAPPED), "oob-trapped"));
	CHECK(!strcmp(ce_task_class_name(99), "inband"));
}

static char *capture_begin(FILE **f, size_t *len)
{
	char *buf = NULL;

	*f = open_memstream(&buf, len);
	return buf;
}

static void test_json(void)
{
	struct ce_stage_view v[2] = {
		{ 0, 1, 0, 1, 12, 0, CE_ON, 99, CE_NO_PID, 12 },
		{ 1, 0, 1, 0, 0, 1, CE_UNKNOWN, 0, 55, CE_NO_PID },
	};
	const char *want_stages =
		"{\"command\":\"stages\",\"oob_stage\":{\"present\":true,\"name\":\"EVL\"},\"cpus\":["
		"{\"cpu\":0,\"stage\":\"oob\",\"pipeline_entry\":false,\"inband_stalled\":true,"
		"\"inband_owner\":12,\"oob_stalled\":false,\"hard_irqs\":\"on\",\"current\":99,"
		"\"task_inflight\":null,\"rqlock_owner\":12},"
		"{\"cpu\":1,\"stage\":\"inband\",\"pipeline_entry\":true,\"inband_stalled\":false,"
		"\"inband_owner\":0,\"oob_stalled\":true,\"hard_irqs\":\"unknown\",\"current\":0,"
		"\"task_inflight\":55,\"rqlock_owner\":null}]}\n";
	struct ce_task tk = { 77, "", 1, CE_TC_MIGRATING, 0x60, (1ULL << 19) | (1ULL << 26), 1,
			      1, "evl", 1, "rt-\xc3\xa9", 0x80 };
	const struct ce_ktable *t = ce_ktable_for(6, 6);
	const char *want_tasks =
		"{\"command\":\"tasks\",\"tlf_table\":\"x86-6.6\",\"tasks\":[{\"pid\":77,"
		"\"comm\":\"a\\\"b\\\\\\u0001\\ufffd\",\"cpu\":1,\"class\":\"migrating\","
		"\"tlf\":[\"DOVETAIL\",\"OFFSTAGE\"],\"tif\":[\"RETUSER\",\"MAYDAY\"],"
		"\"inflight_cpu\":1,\"core\":{\"name\":\"evl\",\"thread\":\"rt-\\u00e9\","
		"\"state\":\"0x80\"}}]}\n";
	struct ce_irqlog log;
	uint32_t pend[2] = { 4355, 24 };
	struct ce_irq_info info[2] = {
		{ 4355, "Out-of-band LAPIC timer interrupt", 1, 3, "LOCAL_TIMER_VECTOR", "", "" },
		{ 24, NULL, 0, 0, NULL, "", "" },
	};
	struct ce_irq_stage_out st[2] = {
		{ 0, 1, 2, &log, info, NULL },
		{ 1, 0, 0, NULL, NULL, NULL },
	};
	const char *want_irqs =
		"{\"command\":\"irqs\",\"levels\":3,\"cpus\":[{\"cpu\":0,\"stages\":["
		"{\"stage\":\"inband\",\"present\":true,\"index_0\":2,\"pending\":["
		"{\"irq\":4355,\"name\":\"Out-of-band LAPIC timer interrupt\",\"hwirq\":3,"
		"\"vector\":\"LOCAL_TIMER_VECTOR\"},{\"irq\":24,\"name\":null,\"hwirq\":null,"
		"\"vector\":null}],\"consistent\":false,\"errors\":[\"x\"]},"
		"{\"stage\":\"oob\",\"present\":false,\"index_0\":0,\"pending\":[],"
		"\"consistent\":true,\"errors\":[]}]}]}\n";
	size_t len;
	FILE *f;
	char *buf;

	ce_utf8_clean("a\"b\\\x01\xe9", 6, tk.comm, sizeof(tk.comm));
	buf = capture_begin(&f, &len);
	ce_emit_stages(f, 1, 1, "EVL", v, 2);
	fclose(f);
	CHECK(buf && !strcmp(buf, want_stages));
	if (buf && strcmp(buf, want_stages))
		printf("got  %s\nwant %s", buf, want_stages);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	ce_emit_tasks(f, 1, t, &tk, 1);
	fclose(f);
	CHECK(buf && !strcmp(buf, want_tasks));
	if (buf && strcmp(buf, want_tasks))
		printf("got  %s\nwant %s", buf, want_tasks);
	free(buf);

	ce_irqlog_init(&log);
	log.nr_pending = 2;
	log.pending = pend;
	ce_irqlog_error(&log, "x");
	buf = NULL;
	f = open_memstream(&buf, &len);
	ce_emit_irqs_begin(f, 1, 3);
	ce_emit_irqs_cpu(f, 1, 1, 0, st, 2);
	ce_emit_irqs_end(f, 1);
	fclose(f);
	CHECK(buf && !strcmp(buf, want_irqs));
	if (buf && strcmp(buf, want_irqs))
		printf("got  %s\nwant %s", buf, want_irqs);
	free(buf);

	/* Text form of the same log: the Python layout, trailing blanks kept. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	ce_emit_irqs_begin(f, 0, 3);
	ce_emit_irqs_cpu(f, 0, 1, 0, st, 2);
	fclose(f);
	CHECK(buf && !strcmp(buf, "log levels: 3\n"
		"cpu 0 inband: index_0=0x2, 2 pending  INCONSISTENT\n"
		"    irq 4355   Out-of-band LAPIC timer interrupt hwirq 3, LOCAL_TIMER_VECTOR\n"
		"    irq 24     ?                        \n"
		"    error: x\n"
		"cpu 0 oob   : stage not present\n"));
	free(buf);
	log.pending = NULL;
	log.nr_pending = 0;
	ce_irqlog_reset(&log);

	/* Text forms never print "null" and always end with a newline. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	ce_emit_stages(f, 0, 0, NULL, v, 2);
	ce_emit_tasks(f, 0, t, &tk, 1);
	fclose(f);
	CHECK(buf && !strstr(buf, "null") && buf[len - 1] == '\n');
	CHECK(buf && strstr(buf, "oob stage: absent"));
	free(buf);
}

int main(void)
{
	test_versions();
	test_stages();
	test_irqlog3();
	test_irqlog_levels();
	test_irqlog_many();
	test_utf8();
	test_tasks();
	test_json();
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
