// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libdtrec unit tests on snapshot streams assembled here byte by byte,
 * so every expected value comes from the format, not from the decoder.
 * One line per case; exit status 1 if any case failed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "dtrec.h"

#include "check.h"

/* A growable byte buffer for assembling streams. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void hdr(struct buf *b, uint32_t nr_cpus, uint32_t rec_size,
		uint64_t hz, uint64_t ref_cycles, uint64_t ref_ns)
{
	struct dtrec_snap_header h;

	memset(&h, 0, sizeof(h));
	h.magic = DTREC_SNAP_MAGIC;
	h.version = DTREC_SNAP_VERSION;
	h.header_size = sizeof(h);
	h.nr_cpus = nr_cpus;
	h.rec_size = rec_size;
	h.clock_hz = hz;
	h.ref_cycles = ref_cycles;
	h.ref_ns = ref_ns;
	h.format_version = DTREC_FORMAT_VERSION;
	strcpy(h.release, "6.6.0-test");
	b->len = 0;
	put(b, &h, sizeof(h));
}

static void cpu(struct buf *b, uint32_t c, uint32_t nr, uint64_t head)
{
	struct dtrec_snap_cpu sc = { c, nr, head };

	put(b, &sc, sizeof(sc));
}

static void rec(struct buf *b, uint64_t seq, uint64_t ts, uint32_t pid,
		uint16_t event, uint16_t state)
{
	struct dtrec_record r = { .seq = seq, .ts = ts, .pid = pid,
		.arg = (uint32_t)ts, .arg2 = 7, .event = event, .state = state };

	put(b, &r, sizeof(r));
}

/* A ring of nr slots holding positions head-nr..head-1 with ts = 10*pos + tsoff. */
static void ring(struct buf *b, uint32_t c, uint32_t nr, uint64_t head,
		 uint64_t tsoff)
{
	uint64_t slot;

	cpu(b, c, nr, head);
	for (slot = 0; slot < nr; slot++) {
		/* The newest position that maps to this slot. */
		uint64_t pos = head ? head - 1 - ((head - 1 - slot) & (nr - 1)) : 0;

		if (pos >= head || pos + nr < head)
			rec(b, 0xdead, 0, 0, 0, 0);	/* never written */
		else
			rec(b, pos + 1, 10 * pos + tsoff, (uint32_t)pos,
			    DTREC_EV_IRQ_POST, DTREC_ST_HARD_OFF);
	}
}

static struct dtrec_snapshot *parse_ok(const struct buf *b)
{
	struct dtrec_snapshot *s = NULL;
	char err[DTREC_ERRLEN] = "";
	int rc = dtrec_parse(b->p, b->len, &s, err, sizeof(err));

	if (rc)
		printf("     parse: %s\n", err);
	CHECK(rc == 0 && s);
	return s;
}

static void expect_error(const struct buf *b, size_t len, const char *needle)
{
	struct dtrec_snapshot *s = (void *)1;
	char err[DTREC_ERRLEN] = "";
	int rc = dtrec_parse(b->p, len, &s, err, sizeof(err));

	CHECK(rc < 0);
	CHECK(s == NULL);
	CHECK(err[0] && !strchr(err, '\n'));
	if (!strstr(err, needle)) {
		printf("     error '%s' lacks '%s'\n", err, needle);
		CHECK(!"error text");
	}
}

static void test_wraparound(void)
{
	struct buf b = { 0 };
	struct dtrec_snapshot *s;
	size_t i;

	case_begin("wraparound window and lost count");
	hdr(&b, 1, sizeof(struct dtrec_record), 1000000000, 0, 0);
	ring(&b, 0, 4, 6, 0);
	s = parse_ok(&b);
	if (s) {
		CHECK(s->nr_events == 4);
		CHECK(s->cpus[0].head == 6 && s->cpus[0].lost == 2);
		for (i = 0; i < s->nr_events; i++) {
			CHECK(s->events[i].pos == 2 + i);
			CHECK(s->events[i].status == DTREC_OK);
			CHECK(s->events[i].ts == 10 * (2 + i));
		}
	}
	dtrec_free(s);
	/* Not wrapped: only head records, no lost. */
	hdr(&b, 1, sizeof(struct dtrec_record), 1000000000, 0, 0);
	ring(&b, 0, 8, 3, 0);
	s = parse_ok(&b);
	if (s) {
		CHECK(s->nr_events == 3 && s->cpus[0].lost == 0);
		CHECK(s->events[0].pos == 0 && s->events[2].pos == 2);
	}
	dtrec_free(s);
	/* Empty ring. */
	hdr(&b, 1, sizeof(struct dtrec_record), 1000000000, 0, 0);
	ring(&b, 0, 8, 0, 0);
	s = parse_ok(&b);
	if (s)
		CHECK(s->nr_events == 0);
	dtrec_free(s);
	free(b.p);
	case_end();
}

/* Overwrite the seq of the slot holding pos in a one-CPU stream. */
static void set_seq(struct buf *b, uint32_t nr, uint64_t pos, uint64_t seq)
{
	size_t off = sizeof(struct dtrec_snap_header) + sizeof(struct dtrec_snap_cpu) +
		     (pos & (nr - 1)) * sizeof(struct dtrec_record);

	memcpy(b->p + off, &seq, sizeof(seq));
}

static void test_torn_stale(void)
{
	struct buf b = { 0 };
	struct dtrec_snapshot *s;
	struct dtrec_filter f;
	char *txt;

	case_begin("torn and stale slots");
	hdr(&b, 1, sizeof(struct dtrec_record), 1000000000, 0, 0);
	ring(&b, 0, 8, 13, 0);			/* positions 5..12 */
	set_seq(&b, 8, 12, 0);			/* being written: torn */
	set_seq(&b, 8, 9, 9 + 1 - 8);		/* older lap: stale */
	set_seq(&b, 8, 6, 6 + 1 + 8);		/* newer lap: stale too */
	s = parse_ok(&b);
	if (s) {
		CHECK(s->nr_events == 8);
		CHECK(s->cpus[0].torn == 1 && s->cpus[0].stale == 2);
		CHECK(s->events[7].pos == 12 && s->events[7].status == DTREC_TORN);
		CHECK(s->events[4].pos == 9 && s->events[4].status == DTREC_STALE);
		CHECK(s->events[1].pos == 6 && s->events[1].status == DTREC_STALE);
		CHECK(s->events[0].status == DTREC_OK);
		dtrec_filter_init(&f);
		CHECK(!dtrec_filter_match(&f, &s->events[7]));
		CHECK(dtrec_filter_match(&f, &s->events[0]));
		txt = dtrec_trace_str(s, &f, 0);
		CHECK(txt && !strstr(txt, "TORN") && !strstr(txt, "STALE"));
		free(txt);
		f.include_bad = 1;
		CHECK(dtrec_filter_match(&f, &s->events[7]));
		txt = dtrec_trace_str(s, &f, 0);
		CHECK(txt && strstr(txt, " TORN\n") && strstr(txt, " STALE\n"));
		free(txt);
	}
	dtrec_free(s);
	free(b.p);
	case_end();
}

static void test_merge_order(void)
{
	struct buf b = { 0 };
	struct dtrec_snapshot *s;
	size_t i;

	case_begin("multi-CPU merge order (ts, cpu, pos)");
	/* Stream order 2,0,1; cpus 2 and 0 tie at ts 50 and 60. */
	hdr(&b, 3, sizeof(struct dtrec_record), 1000000000, 0, 0);
	ring(&b, 2, 4, 9, 0);
	ring(&b, 0, 8, 7, 0);
	ring(&b, 1, 16, 20, 5);
	s = parse_ok(&b);
	if (s) {
		CHECK(s->nr_events == 4 + 7 + 16);
		for (i = 1; i < s->nr_events; i++) {
			const struct dtrec_ev *a = &s->events[i - 1], *e = &s->events[i];

			CHECK(a->ts < e->ts || (a->ts == e->ts &&
			      (a->cpu < e->cpu || (a->cpu == e->cpu && a->pos < e->pos))));
		}
		CHECK(s->events[0].cpu == 0 && s->events[0].ts == 0);
		/* ts 0..40 cpu 0, 45 cpu 1, then the tie at 50: cpu 0 first. */
		CHECK(s->events[6].ts == 50 && s->events[6].cpu == 0);
		CHECK(s->events[7].ts == 50 && s->events[7].cpu == 2);
		CHECK(s->events[s->nr_events - 1].cpu == 1 &&
		      s->events[s->nr_events - 1].pos == 19);
	}
	dtrec_free(s);

	/* A CPU whose ring is out of time order still merges into order. */
	hdr(&b, 2, sizeof(struct dtrec_record), 1000000000, 0, 0);
	cpu(&b, 0, 4, 4);
	rec(&b, 1, 300, 0, DTREC_EV_MARK, 0);
	rec(&b, 2, 100, 0, DTREC_EV_MARK, 0);
	rec(&b, 3, 200, 0, DTREC_EV_MARK, 0);
	rec(&b, 4, 100, 0, DTREC_EV_MARK, 0);
	cpu(&b, 1, 2, 2);
	rec(&b, 1, 100, 0, DTREC_EV_MARK, 0);
	rec(&b, 2, 250, 0, DTREC_EV_MARK, 0);
	s = parse_ok(&b);
	if (s) {
		static const struct { uint64_t ts; uint32_t cpu; uint64_t pos; } want[] = {
			{ 100, 0, 1 }, { 100, 0, 3 }, { 100, 1, 0 }, { 200, 0, 2 },
			{ 250, 1, 1 }, { 300, 0, 0 },
		};

		CHECK(s->nr_events == 6);
		for (i = 0; i < 6 && i < s->nr_events; i++)
			CHECK(s->events[i].ts == want[i].ts &&
			      s->events[i].cpu == want[i].cpu &&
			      s->events[i].pos == want[i].pos);
	}
	dtrec_free(s);
	free(b.p);
	case_end();
}

static uint64_t one_ns(uint64_t hz, uint64_t ref_cycles, uint64_t ref_ns,
		       uint64_t ts)
{
	struct buf b = { 0 };
	struct dtrec_snapshot *s;
	uint64_t ns = 0xbad;

	hdr(&b, 1, sizeof(struct dtrec_record), hz, ref_cycles, ref_ns);
	cpu(&b, 0, 1, 1);
	rec(&b, 1, ts, 0, DTREC_EV_MARK, 0);
	s = parse_ok(&b);
	if (s && s->nr_events == 1)
		ns = s->events[0].ns;
	dtrec_free(s);
	free(b.p);
	return ns;
}

static void test_clock(void)
{
	unsigned __int128 big;

	case_begin("cycles to ns conversion");
	CHECK(one_ns(1000000000, 0, 0, 12345) == 12345);
	CHECK(one_ns(3, 100, 1000, 103) == 1000 + 1000000000ULL);
	CHECK(one_ns(3, 100, 1000, 101) == 1000 + 333333333ULL);
	/* Before the reference point: subtract, floor of the distance. */
	CHECK(one_ns(3, 100, 5000000000ULL, 97) == 4000000000ULL);
	CHECK(one_ns(3, 100, 5000000000ULL, 99) == 5000000000ULL - 333333333ULL);
	CHECK(one_ns(2400000000ULL, 1000, 10, 0) == 0);	/* clamps at 0 */
	/* Distances whose product with 1e9 overflows 64 bits. */
	big = ((unsigned __int128)(1ULL << 62) * 1000000000ULL) / 2400000000ULL;
	CHECK(one_ns(2400000000ULL, 0, 7, 1ULL << 62) == (uint64_t)big + 7);
	CHECK(one_ns(1, 0, 0, UINT64_MAX) == UINT64_MAX);	/* saturates */
	CHECK(one_ns(1, UINT64_MAX, 5, 0) == 0);
	case_end();
}

static void test_filters(void)
{
	char *argv[] = { "--cpu", "1,3-4", "--class", "irq,stage", "--pid", "12",
			 "--from", "1000", "--to=2000", "--last", "50", "--all" };
	char err[DTREC_ERRLEN];
	struct dtrec_filter f;
	struct dtrec_ev e = { .cpu = 3, .pid = 12, .ns = 1500,
			      .event = DTREC_EV_IRQ_POST };
	struct buf b = { 0 };
	struct dtrec_snapshot *s;
	char *txt;
	size_t lines = 0;

	case_begin("filter parsing and matching");
	dtrec_filter_init(&f);
	CHECK(f.pid == -1 && !f.cpu_mask && !f.last);
	CHECK(dtrec_filter_parse(&f, 12, argv, err, sizeof(err)) == 0);
	CHECK(f.cpu_mask == ((1ULL << 1) | (1ULL << 3) | (1ULL << 4)));
	CHECK(f.class_mask == ((1U << DTREC_C_IRQ_LOG) | (1U << DTREC_C_STAGE)));
	CHECK(f.pid == 12 && f.from_ns == 1000 && f.to_ns == 2000);
	CHECK(f.last == 50 && f.include_bad);
	CHECK(dtrec_filter_match(&f, &e));
	e.cpu = 2;
	CHECK(!dtrec_filter_match(&f, &e));
	e.cpu = 3; e.pid = 13;
	CHECK(!dtrec_filter_match(&f, &e));
	e.pid = 12; e.event = DTREC_EV_OOB_STALL;
	CHECK(!dtrec_filter_match(&f, &e));
	e.event = DTREC_EV_SWITCH_OOB; e.ns = 999;
	CHECK(!dtrec_filter_match(&f, &e));
	e.ns = 2001;
	CHECK(!dtrec_filter_match(&f, &e));
	e.ns = 2000;
	CHECK(dtrec_filter_match(&f, &e));

	{
		char *bad[][2] = { { "--cpu", "64" }, { "--cpu", "1,," },
				   { "--cpu", "3-1" }, { "--class", "nope" },
				   { "--pid", "-1" }, { "--from", "x" },
				   { "--bogus", "1" }, { "--last", "" } };
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			err[0] = '\0';
			dtrec_filter_init(&f);
			CHECK(dtrec_filter_parse(&f, 2, bad[i], err, sizeof(err)) == -EINVAL);
			CHECK(err[0] && !strchr(err, '\n'));
		}
		CHECK(dtrec_filter_parse(&f, 1, argv, err, sizeof(err)) == -EINVAL);
	}

	/* --last counts selected events, then prints them oldest first. */
	hdr(&b, 2, sizeof(struct dtrec_record), 1000000000, 0, 0);
	ring(&b, 0, 8, 8, 0);
	ring(&b, 1, 8, 8, 5);
	s = parse_ok(&b);
	if (s) {
		char *a2[] = { "--cpu", "1", "--last", "3" };

		dtrec_filter_init(&f);
		CHECK(dtrec_filter_parse(&f, 4, a2, err, sizeof(err)) == 0);
		txt = dtrec_trace_str(s, &f, 0);
		CHECK(txt != NULL);
		for (char *p = txt; p && *p; p++)
			lines += *p == '\n';
		CHECK(lines == 3);
		CHECK(txt && strncmp(txt, "[001] 0.000000055 ", 18) == 0);
		free(txt);
	}
	dtrec_free(s);
	free(b.p);
	case_end();
}

static void test_bad_streams(void)
{
	struct buf b = { 0 };
	struct dtrec_snapshot *s;
	size_t len;
	uint32_t v32;
	uint64_t v64;

	case_begin("truncated and invalid streams");
	hdr(&b, 2, sizeof(struct dtrec_record), 1000000000, 0, 0);
	ring(&b, 0, 4, 6, 0);
	ring(&b, 1, 4, 2, 0);
	expect_error(&b, 0, "empty");
	expect_error(&b, 10, "truncated");
	for (len = 1; len < b.len; len++)
		expect_error(&b, len, "truncated");
	put(&b, "x", 1);
	expect_error(&b, b.len, "trailing");
	b.len--;

	v64 = 0x1122334455667788ULL;
	memcpy(b.p, &v64, 8);
	expect_error(&b, b.len, "bad magic 0x1122334455667788");
	v64 = __builtin_bswap64(DTREC_SNAP_MAGIC);
	memcpy(b.p, &v64, 8);
	expect_error(&b, b.len, "byte order");
	v64 = DTREC_SNAP_MAGIC;
	memcpy(b.p, &v64, 8);

	/* Versions 1 to 3 read (3 may have a max block); 4 does not. */
	v32 = DTREC_SNAP_VERSION + 1;
	memcpy(b.p + offsetof(struct dtrec_snap_header, version), &v32, 4);
	expect_error(&b, b.len, "unsupported snapshot version 4");
	v32 = 0;
	memcpy(b.p + offsetof(struct dtrec_snap_header, version), &v32, 4);
	expect_error(&b, b.len, "unsupported snapshot version 0");
	v32 = DTREC_SNAP_VERSION;
	memcpy(b.p + offsetof(struct dtrec_snap_header, version), &v32, 4);

	v32 = 9;
	memcpy(b.p + offsetof(struct dtrec_snap_header, format_version), &v32, 4);
	expect_error(&b, b.len, "record format version 9");
	v32 = DTREC_FORMAT_VERSION;
	memcpy(b.p + offsetof(struct dtrec_snap_header, format_version), &v32, 4);

	v32 = 0;
	memcpy(b.p + offsetof(struct dtrec_snap_header, nr_cpus), &v32, 4);
	expect_error(&b, b.len, "CPU count 0");
	v32 = DTREC_MAX_CPUS + 1;
	memcpy(b.p + offsetof(struct dtrec_snap_header, nr_cpus), &v32, 4);
	expect_error(&b, b.len, "CPU count 257");
	v32 = 2;
	memcpy(b.p + offsetof(struct dtrec_snap_header, nr_cpus), &v32, 4);

	v32 = 16;
	memcpy(b.p + offsetof(struct dtrec_snap_header, rec_size), &v32, 4);
	expect_error(&b, b.len, "record size 16");
	v32 = sizeof(struct dtrec_record);
	memcpy(b.p + offsetof(struct dtrec_snap_header, rec_size), &v32, 4);

	v64 = 0;
	memcpy(b.p + offsetof(struct dtrec_snap_header, clock_hz), &v64, 8);
	expect_error(&b, b.len, "clock_hz is 0");
	v64 = 1000000000;
	memcpy(b.p + offsetof(struct dtrec_snap_header, clock_hz), &v64, 8);

	s = parse_ok(&b);	/* restored: valid again */
	dtrec_free(s);

	/* Second CPU block: nr_records 3 (keep the length consistent). */
	hdr(&b, 1, sizeof(struct dtrec_record), 1000000000, 0, 0);
	cpu(&b, 0, 3, 3);
	rec(&b, 1, 1, 0, 1, 0);
	rec(&b, 2, 2, 0, 1, 0);
	rec(&b, 3, 3, 0, 1, 0);
	expect_error(&b, b.len, "not a power of two");
	hdr(&b, 2, sizeof(struct dtrec_record), 1000000000, 0, 0);
	ring(&b, 1, 2, 1, 0);
	ring(&b, 1, 2, 1, 0);
	expect_error(&b, b.len, "cpu 1 appears twice");
	hdr(&b, 1, sizeof(struct dtrec_record), 1000000000, 0, 0);
	ring(&b, 300, 2, 1, 0);
	expect_error(&b, b.len, "out of range");
	free(b.p);
	case_end();
}

static void test_wide_records(void)
{
	struct buf b = { 0 };
	struct dtrec_snapshot *s;
	static const char pad[16];

	case_begin("records wider than struct dtrec_record");
	hdr(&b, 1, sizeof(struct dtrec_record) + 16, 1000000000, 0, 0);
	cpu(&b, 0, 2, 3);
	rec(&b, 3, 30, 9, DTREC_EV_MARK, 0);
	put(&b, pad, 16);
	rec(&b, 2, 20, 8, DTREC_EV_MARK, 0);
	put(&b, pad, 16);
	s = parse_ok(&b);
	if (s) {
		CHECK(s->nr_events == 2);
		CHECK(s->events[0].pos == 1 && s->events[0].pid == 8);
		CHECK(s->events[1].pos == 2 && s->events[1].pid == 9);
	}
	dtrec_free(s);
	free(b.p);
	case_end();
}

static void test_output(void)
{
	struct buf b = { 0 };
	struct dtrec_snapshot *s;
	char *json, *txt;
	FILE *m;
	char *st = NULL;
	size_t stlen = 0;

	case_begin("JSON and text output");
	hdr(&b, 1, sizeof(struct dtrec_record), 1000000000, 0, 0);
	cpu(&b, 0, 2, 3);
	rec(&b, 3, 12345678901ULL, 42, DTREC_EV_IRQ_POST,
	    DTREC_ST_INBAND_STALLED | DTREC_ST_STAGE_OOB | DTREC_ST_HARD_OFF);
	rec(&b, 0, 5, 1, DTREC_EV_IRQ_PLAY, 0);
	s = parse_ok(&b);
	if (s) {
		struct dtrec_filter f;

		dtrec_filter_init(&f);
		f.include_bad = 1;
		json = dtrec_trace_str(s, &f, 1);
		CHECK(json && !strcmp(json,
			"{\"command\":\"trace\",\"clock_hz\":1000000000,\"max\":null,\"cpus\":[{\"cpu\":0,\"head\":3,\"lost\":1,\"torn\":1,\"stale\":0}],"
			"\"events\":[{\"cpu\":0,\"pos\":1,\"ns\":5,\"event\":\"irq_play\",\"pid\":1,\"comm\":null,\"arg\":5,\"arg2\":7,\"state\":[],\"status\":\"torn\"},"
			"{\"cpu\":0,\"pos\":2,\"ns\":12345678901,\"event\":\"irq_post\",\"pid\":42,\"comm\":null,\"arg\":3755744309,\"arg2\":7,"
			"\"state\":[\"inband_stalled\",\"stage_oob\",\"hard_off\"],\"status\":\"ok\"}]}\n"));
		free(json);
		txt = dtrec_trace_str(s, NULL, 0);
		CHECK(txt && !strcmp(txt,
			"[000] 12.345678901 irq_post pid=42 irq=3755744309 stage=7 coalesced=0 state=IS|OOB|HOFF\n"));
		free(txt);
		m = open_memstream(&st, &stlen);
		CHECK(m && dtrec_print_stats(m, s, 1) == 0);
		if (m)
			fclose(m);
		CHECK(st && strstr(st, "\"events\":{\"irq_post\":1},\"total\":1,"));
		CHECK(st && strstr(st, "\"torn\":1,\"stale\":0,\"ok\":1}"));
		free(st);
	}
	dtrec_free(s);
	free(b.p);
	case_end();
}

static void test_names(void)
{
	char buf[64];

	case_begin("event, class and state names");
	CHECK(!strcmp(dtrec_event_name(DTREC_EV_IRQ_POST), "irq_post"));
	CHECK(!strcmp(dtrec_event_name(DTREC_EV_MARK), "mark"));
	CHECK(!strcmp(dtrec_event_name(DTREC_NR_EVENTS), "unknown"));
	CHECK(dtrec_event_class(DTREC_EV_IRQ_PLAY) == DTREC_C_IRQ_LOG);
	CHECK(dtrec_event_class(DTREC_EV_OOB_SWITCH) == DTREC_C_TASK);
	CHECK(dtrec_event_class(999) == -1);
	CHECK(!strcmp(dtrec_class_name(DTREC_C_IRQ_LOG), "irq"));
	CHECK(!strcmp(dtrec_state_str(0, buf, sizeof(buf)), ""));
	CHECK(!strcmp(dtrec_state_str(0xff, buf, sizeof(buf)),
		      "IS|OS|OOB|PIPE|HOFF|NMI|HIRQ|TOOB"));
	CHECK(!strcmp(dtrec_state_str(0x101, buf, sizeof(buf)), "IS|bit8"));
	CHECK(strlen(dtrec_state_str(0xffff, buf, 8)) < 8);
	case_end();
}

/* Target memory for dtrec_build_snapshot: one flat region. */
struct mem {
	uint64_t base;
	unsigned char *p;
	size_t len;
	int reads;
};

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct mem *m = ctx;

	m->reads++;
	if (addr < m->base || addr - m->base > m->len || len > m->len - (addr - m->base))
		return -EFAULT;
	memcpy(buf, m->p + (addr - m->base), len);
	return 0;
}

static void test_build(void)
{
	/* A kernel layout unlike ours: 48-byte records, fields shuffled. */
	enum { RS = 48, NR = 4, RH = 64, CPUS = 2 };
	struct dtrec_desc d;
	struct mem m = { .base = 0xffff888000100000ULL };
	struct dtrec_snapshot *s = NULL;
	char err[DTREC_ERRLEN];
	void *out = NULL;
	size_t outlen = 0, ring_len = RH + NR * RS;
	unsigned int c, i;
	int rc;

	case_begin("build_snapshot from descriptor and memory");
	memset(&d, 0, sizeof(d));
	d.magic = DTREC_DESC_MAGIC;
	d.version = DTREC_FORMAT_VERSION;
	d.desc_size = sizeof(d);
	d.rec_size = RS;
	d.ring_hdr_size = RH;
	d.nr_cpus = CPUS;
	d.nr_records = NR;
	d.clock_hz = 1000000000;
	d.off_ts = 0; d.off_seq = 8; d.off_state = 16; d.off_event = 18;
	d.off_arg2 = 20; d.off_arg = 24; d.off_pid = 40;
	d.off_ring_head = 8; d.off_ring_nr = 16; d.off_ring_cpu = 20;
	d.off_ring_recs = RH;
	m.len = CPUS * ring_len;
	m.p = calloc(1, m.len);
	for (c = 0; c < CPUS; c++) {
		unsigned char *r = m.p + c * ring_len;
		uint64_t magic = DTREC_RING_MAGIC, head = 5 + c;
		uint32_t nr = NR;

		d.ring[c] = m.base + c * ring_len;
		d.ring_bytes[c] = ring_len;
		memcpy(r, &magic, 8);
		memcpy(r + 8, &head, 8);
		memcpy(r + 16, &nr, 4);
		memcpy(r + 20, &c, 4);
		for (i = 0; i < NR; i++) {
			unsigned char *x = r + RH + i * RS;
			uint64_t pos = head - 1 - ((head - 1 - i) & (NR - 1));
			uint64_t seq = pos + 1, ts = 100 * pos + c;
			uint32_t pid = 1000 + c, arg = (uint32_t)pos, arg2 = 77;
			uint16_t ev = DTREC_EV_OOB_SWITCH, st = DTREC_ST_TASK_OOB;

			memcpy(x + 0, &ts, 8);
			memcpy(x + 8, &seq, 8);
			memcpy(x + 16, &st, 2);
			memcpy(x + 18, &ev, 2);
			memcpy(x + 20, &arg2, 4);
			memcpy(x + 24, &arg, 4);
			memcpy(x + 40, &pid, 4);
		}
	}
	rc = dtrec_build_snapshot(&d, sizeof(d), mem_read, &m, "6.6.1-x", &out,
				  &outlen, err, sizeof(err));
	if (rc)
		printf("     build: %s\n", err);
	CHECK(rc == 0 && m.reads == CPUS);
	CHECK(outlen == sizeof(struct dtrec_snap_header) +
	      CPUS * (sizeof(struct dtrec_snap_cpu) + NR * sizeof(struct dtrec_record)));
	if (!rc)
		rc = dtrec_parse(out, outlen, &s, err, sizeof(err));
	CHECK(rc == 0 && s);
	if (s) {
		CHECK(!strcmp(s->hdr.release, "6.6.1-x"));
		CHECK(s->nr_events == 2 * NR);
		CHECK(s->cpus[1].head == 6 && s->cpus[1].lost == 2);
		for (i = 0; i < s->nr_events; i++) {
			const struct dtrec_ev *e = &s->events[i];

			CHECK(e->status == DTREC_OK && e->ts == 100 * e->pos + e->cpu);
			CHECK(e->pid == 1000 + e->cpu && e->arg == e->pos);
			CHECK(e->arg2 == 77 && e->event == DTREC_EV_OOB_SWITCH);
			CHECK(e->state == DTREC_ST_TASK_OOB);
		}
	}
	dtrec_free(s);
	dtrec_free_buf(out);

	/* Each defect is caught with its own message. */
	{
		struct dtrec_desc bad = d;
		uint32_t wrong = 7;

		bad.magic = 1;
		CHECK(dtrec_build_snapshot(&bad, sizeof(bad), mem_read, &m, NULL, &out, &outlen, err, sizeof(err)) < 0 && strstr(err, "descriptor magic"));
		bad = d; bad.version = 5;
		CHECK(dtrec_build_snapshot(&bad, sizeof(bad), mem_read, &m, NULL, &out, &outlen, err, sizeof(err)) < 0 && strstr(err, "version 5"));
		bad = d; bad.nr_records = 6;
		CHECK(dtrec_build_snapshot(&bad, sizeof(bad), mem_read, &m, NULL, &out, &outlen, err, sizeof(err)) < 0 && strstr(err, "power of two"));
		bad = d; bad.nr_cpus = 300;
		CHECK(dtrec_build_snapshot(&bad, sizeof(bad), mem_read, &m, NULL, &out, &outlen, err, sizeof(err)) < 0 && strstr(err, "CPU count"));
		bad = d; bad.off_pid = 46;
		CHECK(dtrec_build_snapshot(&bad, sizeof(bad), mem_read, &m, NULL, &out, &outlen, err, sizeof(err)) < 0 && strstr(err, "field pid"));
		CHECK(dtrec_build_snapshot(&d, sizeof(d) - 1, mem_read, &m, NULL, &out, &outlen, err, sizeof(err)) < 0 && strstr(err, "truncated descriptor"));
		bad = d; bad.ring[1] = 0x10;
		CHECK(dtrec_build_snapshot(&bad, sizeof(bad), mem_read, &m, NULL, &out, &outlen, err, sizeof(err)) == -EFAULT && strstr(err, "cannot read cpu 1"));
		memcpy(m.p + ring_len + 20, &wrong, 4);
		CHECK(dtrec_build_snapshot(&d, sizeof(d), mem_read, &m, NULL, &out, &outlen, err, sizeof(err)) < 0 && strstr(err, "header says cpu 7"));
		memset(m.p, 0, 8);
		CHECK(dtrec_build_snapshot(&d, sizeof(d), mem_read, &m, NULL, &out, &outlen, err, sizeof(err)) < 0 && strstr(err, "bad ring magic"));
		CHECK(out == NULL && outlen == 0);
	}
	free(m.p);
	case_end();
}

int main(void)
{
	test_wraparound();
	test_torn_stale();
	test_merge_order();
	test_clock();
	test_filters();
	test_bad_streams();
	test_wide_records();
	test_output();
	test_names();
	test_build();
	printf("%s\n", failed ? "FAILED" : "all passed");
	return failed;
}
