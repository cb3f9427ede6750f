// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the recorder's ring writer: the kernel's own
 * kernel/irq/dovetail_recorder_ring.h, compiled unchanged through
 * kcompat.h, with what it writes decoded by libdtrec.
 *
 *  wraparound	k*N+r records into N slots: exactly the last N survive,
 *		in order; libdtrec (through dtrec_build_snapshot and a
 *		descriptor, as for a dump) counts the lost, none torn
 *  torn	corrupted commit marks, and rings frozen at each phase of a
 *		write: libdtrec and dtrec_ring_read flag exactly those
 *  reader	a write landing between dtrec_ring_read()'s seq read, copy
 *		and recheck (hooks at its read barriers) fails that read
 *  nest-hooks	a signal raised at each phase of a write (hooks at the
 *		reservation and at both write barriers) records on its own
 *  nest-lap	a nested writer laps the ring under an interrupted one
 *  nest-signals	SIGALRM (setitimer) and a POSIX timer signal allowed to
 *		nest inside its handler interrupt writers at random points;
 *		every handler checks the frozen ring against ground truth
 *  threads	one writer thread per "CPU", a reader taking snapshots all
 *		the while: nothing misdecoded, monotonic per CPU
 *
 * Every record carries a key (a position, or a writer id) from which
 * all its fields derive, so a record mixing two writes never passes
 * for either. One line per case; exit status 1 if any case failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "dtrec.h"
#include "native_desc.h"

/* Hook points of one write: after the reservation, after each smp_wmb(). */
enum { HP_RESERVED, HP_OPENED, HP_PAYLOAD, HP_NR };

/* As kernel/irq/dovetail_recorder.c does, before the ring header. */
#define dtrec_head_inc_return(__head)	test_head_inc_return((u64 *)(__head))
static void wmb_hook(void);
static void rmb_hook(void);
#define KCOMPAT_WMB_HOOK()	wmb_hook()
#define KCOMPAT_RMB_HOOK()	rmb_hook()
#include "kcompat.h"

static u64 test_head_inc_return(u64 *head);

#define NONE		(~0ULL)
#define MAXDEPTH	8
#define TRUTH_SLOTS	(1U << 16)
#define MAXNR		64U	/* largest ring the nesting tests use */

#ifdef KCOMPAT_TSAN
/*
 * The seqlock protocol races by design: a reader copies a payload that
 * a writer may be rewriting, and tells from seq whether the copy holds.
 * Only that race is suppressed; head and seq are atomics to TSan.
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "race:dtrec_ring_read\nrace:copy_ring_raw\n";
}
#endif

/* ---- test state shared by the writers and their signal handlers ---- */

struct truth {
	volatile u64 pos, id;
	volatile int done;
};

/*
 * Ground truth of the single-threaded nesting tests: the main thread
 * and its signal handlers write one ring. depth counts writers in
 * flight (an atomic add, so a handler never shares a slot with the
 * writer it interrupted), truth[] what every completed write put where.
 */
static struct {
	struct dtrec_ring *ring;
	volatile int on;
	unsigned int depth;
	u64 next_id;
	volatile u64 cur_id[MAXDEPTH], start_head[MAXDEPTH], reserved[MAXDEPTH];
	volatile int phase[MAXDEPTH];
	volatile int allow_lap;
	volatile unsigned long skipped;
	struct truth truth[TRUTH_SLOTS];
} nest;

/* One-shot actions at a hook point of the outermost writer. */
static struct {
	volatile unsigned int armed;	/* bit per hook point */
	void (*fn[HP_NR])(int point);
	volatile unsigned long fired[HP_NR];
} inj;

static void inject_at(int point, unsigned int d)
{
	if (d != 0 || !(inj.armed & (1U << point)))
		return;
	inj.armed &= ~(1U << point);
	inj.fired[point]++;
	inj.fn[point](point);
}

static void wmb_hook_slow(void)
{
	unsigned int d = __atomic_load_n(&nest.depth, __ATOMIC_RELAXED) - 1;

	if (d >= MAXDEPTH)
		return;
	nest.phase[d]++;
	inject_at(nest.phase[d], d);
}

static void wmb_hook(void)
{
	if (unlikely(inj.armed))
		wmb_hook_slow();
}

/* An action at the n-th smp_rmb() a reader goes through. */
static struct {
	volatile int armed;
	volatile unsigned int calls, at;
	void (*fn)(void);
} rinj;

static void rmb_hook(void)
{
	if (likely(!rinj.armed))
		return;
	if (rinj.calls++ == rinj.at) {
		rinj.armed = 0;
		rinj.fn();
	}
}

static u64 test_head_inc_return(u64 *head)
{
	u64 v = kc_local64_inc_return(head);

	if (nest.on) {
		unsigned int d = __atomic_load_n(&nest.depth, __ATOMIC_RELAXED) - 1;

		if (d < MAXDEPTH) {
			nest.reserved[d] = v - 1;
			nest.phase[d] = HP_RESERVED;
			if (unlikely(inj.armed))
				inject_at(HP_RESERVED, d);
		}
	}
	return v;
}

#include "dovetail_recorder_ring.h"

/* ---- reporting ---- */

#include "check.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	u64 x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

/* ---- payloads: every field derives from one key ---- */

struct pl {
	u64 ts;
	u32 pid, arg, arg2;
	u16 event, state;
};

static u32 mix32(u64 x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ULL;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dULL;
	x ^= x >> 33;
	return (u32)x;
}

static void payload(u64 key, struct pl *p)
{
	u32 h = mix32(key);

	p->ts = 1000 + 3 * key;
	p->pid = mix32(key ^ 0x5bd1e995);
	p->arg = (u32)key * 0x9e3779b1U;
	p->arg2 = h;
	p->event = 1 + h % (DTREC_NR_EVENTS - 1);
	p->state = (h >> 8) & 0xff;
}

/* The key a record was written with, or NONE if its fields disagree. */
static u64 key_of(u64 ts, u32 pid, u32 arg, u32 arg2, u16 event, u16 state)
{
	struct pl p;
	u64 key;

	if (ts < 1000 || (ts - 1000) % 3)
		return NONE;
	key = (ts - 1000) / 3;
	payload(key, &p);
	if (p.pid != pid || p.arg != arg || p.arg2 != arg2 ||
	    p.event != event || p.state != state)
		return NONE;
	return key;
}

static u64 rec_key(const struct dtrec_record *r)
{
	return key_of(r->ts, r->pid, r->arg, r->arg2, r->event, r->state);
}

static u64 ev_key(const struct dtrec_ev *e)
{
	return key_of(e->ts, e->pid, e->arg, e->arg2, e->event, e->state);
}

/* Key of the record at @pos of "CPU" @cpu in the position-keyed tests. */
static u64 pkey(u32 cpu, u64 pos)
{
	return pos << 8 | cpu;
}

static void write_key(struct dtrec_ring *ring, u64 key)
{
	struct pl p;

	payload(key, &p);
	dtrec_ring_write(ring, p.ts, p.pid, p.arg, p.arg2, p.event, p.state);
}

static struct dtrec_ring *ring_alloc(u32 cpu, u32 nr)
{
	size_t bytes = sizeof(struct dtrec_ring) + (size_t)nr * sizeof(struct dtrec_record);
	struct dtrec_ring *ring = aligned_alloc(64, (bytes + 63) & ~(size_t)63);

	if (!ring)
		abort();
	memset(ring, 0, bytes);
	ring->magic = DTREC_RING_MAGIC;
	ring->cpu = cpu;
	ring->nr_records = nr;
	return ring;
}

static struct dtrec_record *recs_of(struct dtrec_ring *ring)
{
	return (struct dtrec_record *)(ring + 1);
}

/* What the format says a slot read at @pos is (docs: seq brackets). */
static int raw_status(u64 seq, u64 pos)
{
	if (seq == pos + 1)
		return DTREC_OK;
	return seq == 0 ? DTREC_TORN : DTREC_STALE;
}

/* ---- snapshot streams, as debugfs writes them ---- */

struct ring_view {
	u32 cpu, nr;
	u64 head;
	const struct dtrec_record *recs;	/* nr records, slot order */
};

static void *stream_build(const struct ring_view *v, unsigned int n, size_t *len)
{
	struct dtrec_snap_header h;
	size_t total = sizeof(h);
	unsigned char *buf, *p;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += sizeof(struct dtrec_snap_cpu) +
			(size_t)v[i].nr * sizeof(struct dtrec_record);
	buf = malloc(total);
	if (!buf)
		abort();
	memset(&h, 0, sizeof(h));
	h.magic = DTREC_SNAP_MAGIC;
	h.version = DTREC_SNAP_VERSION;
	h.header_size = sizeof(h);
	h.nr_cpus = n;
	h.rec_size = sizeof(struct dtrec_record);
	h.clock_hz = 1000000000ULL;
	h.format_version = DTREC_FORMAT_VERSION;
	strcpy(h.release, "test-ring");
	memcpy(buf, &h, sizeof(h));
	p = buf + sizeof(h);
	for (i = 0; i < n; i++) {
		struct dtrec_snap_cpu c = { v[i].cpu, v[i].nr, v[i].head };

		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
		memcpy(p, v[i].recs, (size_t)v[i].nr * sizeof(struct dtrec_record));
		p += (size_t)v[i].nr * sizeof(struct dtrec_record);
	}
	*len = total;
	return buf;
}

static struct dtrec_snapshot *parse_views(const struct ring_view *v, unsigned int n)
{
	struct dtrec_snapshot *s = NULL;
	char err[DTREC_ERRLEN] = "";
	size_t len;
	void *buf = stream_build(v, n, &len);
	int rc = dtrec_parse(buf, len, &s, err, sizeof(err));

	free(buf);
	CHECKF(rc == 0 && s, "dtrec_parse: %s", err);
	return rc ? NULL : s;
}

/*
 * Check a decoded single-ring snapshot against the raw slots it came
 * from: counts, one event per window position, each with the status
 * the format gives its seq and the slot's payload. Returns the number
 * of events flagged torn or stale.
 */
static unsigned int check_decode(const struct dtrec_snapshot *s,
				 const struct ring_view *v)
{
	u64 first = dtrec_ring_first(v->head, v->nr), torn = 0, stale = 0, pos;
	const struct dtrec_cpu_info *ci;
	size_t i;

	if (!s)
		return 0;
	CHECK(s->nr_cpus == 1);
	ci = &s->cpus[0];
	CHECK(ci->head == v->head && ci->lost == first);
	CHECK(s->nr_events == v->head - first);
	for (pos = first; pos < v->head; pos++) {
		const struct dtrec_record *r = &v->recs[pos & (v->nr - 1)];
		int st = raw_status(r->seq, pos);

		torn += st == DTREC_TORN;
		stale += st == DTREC_STALE;
	}
	CHECKF(ci->torn == torn && ci->stale == stale,
	       "libdtrec torn %llu stale %llu, slots say %llu %llu",
	       (unsigned long long)ci->torn, (unsigned long long)ci->stale,
	       (unsigned long long)torn, (unsigned long long)stale);
	for (i = 0; i < s->nr_events; i++) {
		const struct dtrec_ev *e = &s->events[i];
		const struct dtrec_record *r = &v->recs[e->pos & (v->nr - 1)];

		if (e->pos < first || e->pos >= v->head) {
			CHECKF(0, "event at position %llu outside the window",
			       (unsigned long long)e->pos);
			continue;
		}
		CHECKF(e->status == raw_status(r->seq, e->pos),
		       "pos %llu: status %u, seq %llu", (unsigned long long)e->pos,
		       e->status, (unsigned long long)r->seq);
		CHECK(e->ts == r->ts && e->pid == r->pid && e->arg == r->arg &&
		      e->arg2 == r->arg2 && e->event == r->event &&
		      e->state == r->state && e->cpu == v->cpu);
	}
	return (unsigned int)(torn + stale);
}

/* ------------------------------------------------------------------ */
/* wraparound                                                          */

struct mem_target {
	int reads;
};

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	((struct mem_target *)ctx)->reads++;
	memcpy(buf, (const void *)(uintptr_t)addr, len);
	return 0;
}

/* A descriptor for rings in this process, as the kernel initialises it. */
static void desc_init(struct dtrec_desc *d, struct dtrec_ring *const *rings,
		      unsigned int n, u32 nr)
{
	unsigned int i;

	dtrec_desc_native(d, n, nr, 0);
	for (i = 0; i < n; i++) {
		d->ring[i] = (u64)(uintptr_t)rings[i];
		d->ring_bytes[i] = sizeof(struct dtrec_ring) +
			(u64)nr * sizeof(struct dtrec_record);
	}
}

/*
 * Two rings of @nr slots starting at position @start, @count[c] records
 * written to each (at least nr unless start is 0): the survivors must
 * be exactly the last nr of each ring, whole, in order, with the rest
 * counted lost.
 */
static void wrap_case(u32 nr, u64 start, const u64 count[2])
{
	struct dtrec_ring *rings[2];
	struct dtrec_snapshot *s = NULL;
	struct mem_target mt = { 0 };
	struct dtrec_desc d;
	char err[DTREC_ERRLEN] = "";
	void *stream = NULL;
	size_t len = 0, i, n[2] = { 0, 0 };
	u64 last[2] = { NONE, NONE }, want[2] = { 0, 0 }, prev_ts = 0;
	unsigned int c;
	int rc;

	for (c = 0; c < 2; c++) {
		u64 k;

		rings[c] = ring_alloc(c, nr);
		rings[c]->head = start;
		for (k = 0; k < count[c]; k++)
			write_key(rings[c], pkey(c, start + k));
	}
	/* Ring contents against the header's own reader first. */
	for (c = 0; c < 2; c++) {
		u64 head = start + count[c], pos, first;
		struct dtrec_record r;
		int ok = 1;

		CHECK(rings[c]->head == head);
		first = dtrec_ring_first(head, nr);
		if (first < start)
			first = start;
		for (pos = first; pos < head; pos++)
			ok &= dtrec_ring_read(rings[c], pos, &r) &&
				rec_key(&r) == pkey(c, pos);
		CHECKF(ok, "nr %u start %llu count %llu: window not intact", nr,
		       (unsigned long long)start, (unsigned long long)count[c]);
		if (head - start > nr)
			CHECK(!dtrec_ring_read(rings[c], head - nr - 1, &r));
	}
	desc_init(&d, rings, 2, nr);
	rc = dtrec_build_snapshot(&d, sizeof(d), mem_read, &mt, "test-ring",
				  &stream, &len, err, sizeof(err));
	CHECKF(rc == 0, "dtrec_build_snapshot: %s", err);
	if (rc)
		goto out;
	CHECK(mt.reads == 2);
	rc = dtrec_parse(stream, len, &s, err, sizeof(err));
	CHECKF(rc == 0, "dtrec_parse: %s", err);
	if (rc)
		goto out;
	CHECK(s->nr_cpus == 2);
	for (c = 0; c < 2 && s->nr_cpus == 2; c++) {
		const struct dtrec_cpu_info *ci = &s->cpus[c];
		u64 head = start + count[c];

		CHECKF(ci->cpu == c && ci->head == head &&
		       ci->lost == dtrec_ring_first(head, nr) &&
		       ci->torn == 0 && ci->stale == 0,
		       "nr %u count %llu: cpu %u head %llu lost %llu torn %llu stale %llu",
		       nr, (unsigned long long)count[c], ci->cpu,
		       (unsigned long long)ci->head, (unsigned long long)ci->lost,
		       (unsigned long long)ci->torn, (unsigned long long)ci->stale);
		want[c] = head - dtrec_ring_first(head, nr);
	}
	CHECK(s->nr_events == want[0] + want[1]);
	for (i = 0; i < s->nr_events; i++) {
		const struct dtrec_ev *e = &s->events[i];

		if (e->cpu > 1) {
			CHECK(e->cpu <= 1);
			continue;
		}
		CHECK(e->status == DTREC_OK);
		CHECK(ev_key(e) == pkey(e->cpu, e->pos));
		/* Each ring's survivors come out in sequence order ... */
		CHECK(last[e->cpu] == NONE || e->pos == last[e->cpu] + 1);
		if (last[e->cpu] == NONE)
			CHECK(e->pos == dtrec_ring_first(start + count[e->cpu], nr));
		last[e->cpu] = e->pos;
		n[e->cpu]++;
		/* ... merged in time order across rings. */
		CHECK(e->ts >= prev_ts);
		prev_ts = e->ts;
	}
	for (c = 0; c < 2; c++)
		CHECK(n[c] == want[c]);
out:
	dtrec_free(s);
	dtrec_free_buf(stream);
	free(rings[0]);
	free(rings[1]);
}

static void test_wraparound(void)
{
	static const u32 nrs[] = { 1, 2, 8, 64, 8192 };
	unsigned int i, k, j;

	case_begin("wraparound: k*N+r records leave exactly the last N, lost counted");
	for (i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		u32 nr = nrs[i];
		const u64 rs[] = { 0, 1, nr / 2, nr - 1 };

		for (k = 0; k < 4; k++)
			for (j = 0; j < 4; j++) {
				u64 cnt[2];

				cnt[0] = (u64)k * nr + rs[j];
				cnt[1] = (u64)(k + 1) * nr + rs[(j + 1) % 4];
				if (nr == 8192 && k > 2)
					continue;
				wrap_case(nr, 0, cnt);
			}
	}
	/*
	 * Positions past 2^32 (no 32-bit truncation in slot or seq) on
	 * rings whose head did not start at 0; every window slot written.
	 */
	{
		const u64 cnt[2] = { 3 * 16 + 5, 40 };

		wrap_case(16, (1ULL << 32) - 20, cnt);
	}
	case_end();
}

/* ------------------------------------------------------------------ */
/* torn records                                                        */

static struct {
	struct dtrec_ring *ring;
	struct dtrec_record recs[MAXNR];
	u64 head;
	int taken;
} frozen;

static void freeze_ring(int point)
{
	(void)point;
	frozen.head = READ_ONCE(frozen.ring->head);
	memcpy(frozen.recs, recs_of(frozen.ring),
	       frozen.ring->nr_records * sizeof(struct dtrec_record));
	frozen.taken = 1;
}

/* One write through the nesting bookkeeping (which the hooks need). */
static void nest_write(void);

static void nest_reset(struct dtrec_ring *ring)
{
	memset(&nest, 0, sizeof(nest));
	nest.ring = ring;
	nest.on = 1;
	memset((void *)&inj, 0, sizeof(inj));
}

static void test_torn(void)
{
	const u32 nr = 32;
	struct dtrec_ring *ring = ring_alloc(0, nr);
	struct dtrec_snapshot *s;
	struct ring_view v;
	u8 want[32] = { 0 };
	u64 head, pos, first;
	unsigned int i, point, prefill;
	int round;

	case_begin("torn: corrupted and half-written records flagged, exactly those");
	/* (a) Commit marks corrupted by hand, 20 random patterns. */
	for (round = 0; round < 20; round++) {
		unsigned int nbad = 0;

		memset(recs_of(ring), 0, nr * sizeof(struct dtrec_record));
		ring->head = 0;
		for (pos = 0; pos < 3 * nr + 5 + (u64)round; pos++)
			write_key(ring, pkey(0, pos));
		head = ring->head;
		first = head - nr;
		for (pos = first; pos < head; pos++) {
			struct dtrec_record *r = dtrec_ring_slot(ring, pos);
			unsigned int slot = pos & (nr - 1);

			want[slot] = DTREC_OK;
			switch (rnd() % 6) {
			case 0:	/* opened, never committed */
				r->seq = 0;
				want[slot] = DTREC_TORN;
				break;
			case 1:	/* half the payload of the next lap, seq still 0 */
				r->seq = 0;
				r->arg ^= 0xffff;
				r->state ^= 1;
				want[slot] = DTREC_TORN;
				break;
			case 2:	/* an older lap */
				r->seq = pos + 1 - nr;
				want[slot] = DTREC_STALE;
				break;
			case 3:	/* rewritten by the next lap after head was read */
				r->seq = pos + 1 + nr;
				want[slot] = DTREC_STALE;
				break;
			}
			nbad += want[slot] != DTREC_OK;
		}
		for (pos = first; pos < head; pos++) {
			struct dtrec_record r;
			int ok = dtrec_ring_read(ring, pos, &r);

			CHECK(ok == (want[pos & (nr - 1)] == DTREC_OK));
			if (ok)
				CHECK(rec_key(&r) == pkey(0, pos));
		}
		v = (struct ring_view){ 0, nr, head, recs_of(ring) };
		s = parse_views(&v, 1);
		CHECK(check_decode(s, &v) == nbad);
		for (i = 0; s && i < s->nr_events; i++) {
			const struct dtrec_ev *e = &s->events[i];

			CHECK(e->status == want[e->pos & (nr - 1)]);
			if (e->status == DTREC_OK)
				CHECK(ev_key(e) == pkey(0, e->pos));
		}
		dtrec_free(s);
	}

	/*
	 * (b) A crash at each phase of one write: the ring frozen from a
	 * hook, unwrapped and wrapped. Only the record in flight is
	 * flagged; torn once opened, and before that the slot still holds
	 * its previous lap (stale) or nothing (torn).
	 */
	for (prefill = 5; prefill <= 2 * nr + 5; prefill += 2 * nr) {
		for (point = HP_RESERVED; point < HP_NR; point++) {
			u64 p;
			int want_st;

			memset(recs_of(ring), 0, nr * sizeof(struct dtrec_record));
			ring->head = 0;
			nest_reset(ring);
			for (i = 0; i < prefill; i++)
				nest_write();
			frozen.ring = ring;
			frozen.taken = 0;
			inj.fn[point] = freeze_ring;
			inj.armed = 1U << point;
			nest_write();
			nest.on = 0;
			CHECK(frozen.taken && inj.fired[point] == 1);
			p = prefill;
			CHECK(frozen.head == p + 1);
			want_st = point == HP_RESERVED && p >= nr ? DTREC_STALE : DTREC_TORN;
			v = (struct ring_view){ 0, nr, frozen.head, frozen.recs };
			s = parse_views(&v, 1);
			CHECK(check_decode(s, &v) == 1);
			for (i = 0; s && i < s->nr_events; i++) {
				const struct dtrec_ev *e = &s->events[i];

				if (e->pos == p) {
					CHECKF(e->status == want_st,
					       "point %u prefill %u: status %u want %d",
					       point, prefill, e->status, want_st);
				} else {
					CHECK(e->status == DTREC_OK);
					CHECK(ev_key(e) == nest.truth[e->pos].id);
				}
			}
			if (s)
				CHECK(s->cpus[0].torn == (want_st == DTREC_TORN) &&
				      s->cpus[0].stale == (want_st == DTREC_STALE));
			dtrec_free(s);
			/* The write completed after the crash point. */
			v = (struct ring_view){ 0, nr, ring->head, recs_of(ring) };
			s = parse_views(&v, 1);
			CHECK(check_decode(s, &v) == 0);
			dtrec_free(s);
		}
	}
	free(ring);
	case_end();
}

/* ------------------------------------------------------------------ */
/* the reader's seqlock: a write landing inside dtrec_ring_read()       */

static struct dtrec_ring *rd_ring;

/* An IRQ on the reader's CPU: one whole record, the next position. */
static void rd_write_next(void)
{
	write_key(rd_ring, pkey(0, rd_ring->head));
}

/* A remote writer caught mid-record in the oldest slot of the window. */
static void rd_half_write(void)
{
	struct dtrec_record *r = dtrec_ring_slot(rd_ring, rd_ring->head);

	WRITE_ONCE(r->seq, 0);
	r->ts += 3;
	r->arg ^= 1;
}

/*
 * Read the oldest position of the window (the slot the next write
 * takes) with a write or a half-write injected after the seq read or
 * after the copy: the read must fail, whichever point; the same write
 * under the read of another slot must not disturb it.
 */
static void test_reader(void)
{
	const u32 nr = 8;
	static void (*const fns[])(void) = { rd_write_next, rd_half_write };
	unsigned int at, f, other;

	case_begin("reader: a write inside dtrec_ring_read() fails the read, elsewhere not");
	rd_ring = ring_alloc(0, nr);
	for (at = 0; at < 2; at++)
		for (f = 0; f < 2; f++)
			for (other = 0; other < 2; other++) {
				struct dtrec_record out;
				u64 head, pos, k;
				int ok;

				memset(recs_of(rd_ring), 0, nr * sizeof(struct dtrec_record));
				rd_ring->head = 0;
				for (k = 0; k < 2 * nr + 3; k++)
					write_key(rd_ring, pkey(0, k));
				head = rd_ring->head;
				pos = head - nr + other;
				rinj.calls = 0;
				rinj.at = at;
				rinj.fn = fns[f];
				rinj.armed = 1;
				ok = dtrec_ring_read(rd_ring, pos, &out);
				CHECK(!rinj.armed);
				if (other) {
					CHECKF(ok && rec_key(&out) == pkey(0, pos),
					       "rmb %u, %s: read of an untouched slot failed",
					       at, f ? "half-write" : "write");
				} else {
					CHECKF(!ok, "rmb %u, %s: read of slot being rewritten "
					       "succeeded (key %llx, want %llx)", at,
					       f ? "half-write" : "write",
					       (unsigned long long)rec_key(&out),
					       (unsigned long long)pkey(0, pos));
				}
			}
	rinj.armed = 0;
	free(rd_ring);
	case_end();
}

/* ------------------------------------------------------------------ */
/* nesting: the oracle run from inside interrupting signal handlers    */

enum viol_kind {
	V_LOST = 1,	/* a completed write flagged torn/stale */
	V_MIXED,	/* committed seq, payload of no single write */
	V_WRONG,	/* committed seq, payload of another write */
	V_UNKNOWN,	/* uncompleted position committed by no writer in flight */
	V_INFLIGHT,	/* more uncompleted positions than writers in flight */
};

static const char *const viol_names[] = {
	"", "completed write flagged", "mixed payload", "wrong record",
	"unknown record", "too many in flight",
};

struct viol {
	int kind;
	u64 q, head, seen, want;
};

static struct {
	unsigned long checks, nviol;
	struct viol v[8];
} orc;

/* Phases an interrupted writer was caught in (diagnostic, and coverage). */
enum { PH_IDLE, PH_BEFORE, PH_RESERVED, PH_OPENED, PH_COMMITTED, PH_NR };
static const char *const ph_names[] = {
	"idle", "before-reserve", "reserved", "opened", "committed",
};
static unsigned long ph_hist[PH_NR], opened_fields[7];

static void viol(int kind, u64 q, u64 head, u64 seen, u64 want)
{
	unsigned long i = __atomic_fetch_add(&orc.nviol, 1, __ATOMIC_RELAXED);

	if (i < sizeof(orc.v) / sizeof(orc.v[0]))
		orc.v[i] = (struct viol){ kind, q, head, seen, want };
}

static void viol_reset(void)
{
	memset(&orc, 0, sizeof(orc));
}

static void viol_report(void)
{
	unsigned long i;

	for (i = 0; i < orc.nviol && i < sizeof(orc.v) / sizeof(orc.v[0]); i++)
		printf("     violation: %s at position %llu (head %llu): seen %#llx want %#llx\n",
		       viol_names[orc.v[i].kind], (unsigned long long)orc.v[i].q,
		       (unsigned long long)orc.v[i].head,
		       (unsigned long long)orc.v[i].seen,
		       (unsigned long long)orc.v[i].want);
}

/*
 * Frozen-ring check, async-signal-safe (memory reads only). In the
 * window, a position whose write completed (truth logged) must read
 * intact with its own payload; one still in flight may read torn or
 * stale, or intact with the payload of a writer in flight; never with
 * anything else, and no more of them than writers in flight.
 */
static void nest_check(void)
{
	struct dtrec_ring *ring = nest.ring;
	u64 nr = ring->nr_records, head = READ_ONCE(ring->head);
	unsigned int depth = __atomic_load_n(&nest.depth, __ATOMIC_RELAXED);
	unsigned int inflight = 0, d;
	u64 q;

	__atomic_fetch_add(&orc.checks, 1, __ATOMIC_RELAXED);
	for (q = dtrec_ring_first(head, nr); q < head; q++) {
		const struct dtrec_record *r = dtrec_ring_slot(ring, q);
		const struct truth *t = &nest.truth[q & (TRUTH_SLOTS - 1)];
		int logged = t->done && t->pos == q;
		u64 key;

		if (!logged)
			inflight++;
		if (r->seq != q + 1) {
			if (logged)
				viol(V_LOST, q, head, r->seq, t->id);
			continue;
		}
		key = rec_key(r);
		if (key == NONE) {
			viol(V_MIXED, q, head, r->ts, logged ? t->id : NONE);
			continue;
		}
		if (logged) {
			if (key != t->id)
				viol(V_WRONG, q, head, key, t->id);
			continue;
		}
		for (d = 0; d < depth && d < MAXDEPTH; d++)
			if (nest.cur_id[d] == key)
				break;
		if (d == depth)
			viol(V_UNKNOWN, q, head, key, NONE);
	}
	if (inflight > depth)
		viol(V_INFLIGHT, inflight, head, inflight, depth);
}

/* Where the writer we interrupted stands (for coverage counts). */
static void classify(void)
{
	unsigned int depth = __atomic_load_n(&nest.depth, __ATOMIC_RELAXED), d, k = 0;
	const struct dtrec_record *r;
	struct pl p;
	u64 pos;

	if (!depth || depth > MAXDEPTH) {
		ph_hist[PH_IDLE]++;
		return;
	}
	d = depth - 1;
	pos = nest.reserved[d];
	if (pos == NONE) {
		ph_hist[PH_BEFORE]++;
		return;
	}
	r = dtrec_ring_slot(nest.ring, pos);
	if (r->seq == pos + 1) {
		ph_hist[PH_COMMITTED]++;
		return;
	}
	if (r->seq != 0) {
		ph_hist[PH_RESERVED]++;
		return;
	}
	ph_hist[PH_OPENED]++;
	payload(nest.cur_id[d], &p);
	k = (r->ts == p.ts) + (r->pid == p.pid) + (r->arg == p.arg) +
	    (r->arg2 == p.arg2) + (r->event == p.event) + (r->state == p.state);
	opened_fields[k]++;
}

/* Rings frozen in handlers, decoded by libdtrec once the run is over. */
#define MAXCAP	256
struct capture {
	u64 head;
	u32 nr;
	struct dtrec_record recs[MAXNR];
};
static struct capture caps[MAXCAP];
static volatile unsigned int ncaps;
static unsigned long capture_calls;

static void capture(int force)
{
	unsigned int i = ncaps;
	struct dtrec_ring *ring = nest.ring;

	capture_calls++;
	if (i >= MAXCAP || (!force && i >= MAXCAP / 2 && capture_calls % 61))
		return;
	ncaps = i + 1;
	caps[i].head = READ_ONCE(ring->head);
	caps[i].nr = ring->nr_records;
	memcpy(caps[i].recs, recs_of(ring), ring->nr_records * sizeof(struct dtrec_record));
}

/* Decode every capture: libdtrec must flag what the slots say, no more. */
static unsigned long check_captures(void)
{
	unsigned long flagged = 0;
	unsigned int i;

	for (i = 0; i < ncaps; i++) {
		struct ring_view v = { 0, caps[i].nr, caps[i].head, caps[i].recs };
		struct dtrec_snapshot *s = parse_views(&v, 1);

		flagged += check_decode(s, &v);
		dtrec_free(s);
	}
	return flagged;
}

static void nest_write(void)
{
	unsigned int d = __atomic_fetch_add(&nest.depth, 1, __ATOMIC_RELAXED);
	u64 id = __atomic_add_fetch(&nest.next_id, 1, __ATOMIC_RELAXED);
	struct truth *t;
	u64 pos;

	if (d >= MAXDEPTH)
		abort();
	nest.cur_id[d] = id;
	nest.start_head[d] = READ_ONCE(nest.ring->head);
	nest.reserved[d] = NONE;
	nest.phase[d] = -1;
	barrier();
	write_key(nest.ring, id);
	barrier();
	pos = nest.reserved[d];
	t = &nest.truth[pos & (TRUTH_SLOTS - 1)];
	t->done = 0;
	t->pos = pos;
	t->id = id;
	t->done = 1;
	barrier();
	__atomic_fetch_sub(&nest.depth, 1, __ATOMIC_RELAXED);
}

static void check_frozen(void);

static volatile unsigned long irq_runs[3], irq_writes;
static volatile unsigned int irq_nwrites;	/* per raised signal */
static volatile int irq_force_capture;

/*
 * An "interrupt": check the ring as it stands, write records of its
 * own (refusing, unless told otherwise, a write that would lap a
 * writer still in flight, which the format cannot describe), check
 * again. Writers in flight below us are frozen meanwhile.
 */
static void nest_irq(int ctx, unsigned int nwrites)
{
	int saved_errno = errno;
	u64 nr = nest.ring->nr_records;
	unsigned int i;

	/* Atomic adds: a nested handler may land inside a plain ++. */
	__atomic_fetch_add(&irq_runs[ctx], 1, __ATOMIC_RELAXED);
	check_frozen();
	for (i = 0; i < nwrites; i++) {
		unsigned int depth = __atomic_load_n(&nest.depth, __ATOMIC_RELAXED);

		if (!nest.allow_lap && depth &&
		    READ_ONCE(nest.ring->head) - nest.start_head[0] >= nr - 1) {
			__atomic_fetch_add(&nest.skipped, 1, __ATOMIC_RELAXED);
			break;
		}
		nest_write();
		__atomic_fetch_add(&irq_writes, 1, __ATOMIC_RELAXED);
	}
	if (i)
		check_frozen();
	errno = saved_errno;
}

/*
 * Check and capture with every signal blocked: a signal nesting in
 * this handler would write records under the check.
 */
static void check_frozen(void)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	classify();
	nest_check();
	capture(irq_force_capture);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void on_alarm(int sig)
{
	(void)sig;
	nest_irq(1, 1 + rnd() % 3);
}

static void on_rt(int sig)
{
	(void)sig;
	nest_irq(2, 1 + rnd() % 2);
}

static void on_usr2(int sig)
{
	(void)sig;
	nest_irq(0, irq_nwrites);
}

static void raise_usr2(int point)
{
	unsigned long before = irq_runs[0];

	(void)point;
	pthread_kill(pthread_self(), SIGUSR2);
	if (irq_runs[0] == before)
		viol(V_UNKNOWN, NONE, 0, 0, 0);	/* not delivered in place */
}

static void capture_only(int point)
{
	(void)point;
	nest_check();
	capture(1);
}

static void set_handler(int sig, void (*fn)(int), const sigset_t *mask)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	if (mask)
		sa.sa_mask = *mask;
	sa.sa_flags = SA_RESTART;
	sigaction(sig, &sa, NULL);
}

/* Ignore a signal and drop whatever instance of it is pending. */
static void quiesce(int sig)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, sig);
	sigprocmask(SIG_BLOCK, &m, NULL);
	signal(sig, SIG_IGN);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
}

static void nest_start(struct dtrec_ring *ring)
{
	nest_reset(ring);
	viol_reset();
	ncaps = 0;
	capture_calls = 0;
	irq_force_capture = 0;
	memset((void *)irq_runs, 0, sizeof(irq_runs));
	irq_writes = 0;
	memset(ph_hist, 0, sizeof(ph_hist));
	memset(opened_fields, 0, sizeof(opened_fields));
}

/*
 * A signal raised at each hook point of one write, handled by writing
 * k records: 0, 1 and N - 2 (the most nest_irq's lap guard, one short
 * of lapping, lets through), into a fresh and into a wrapped ring. The frozen ring, seen from the handler,
 * has exactly the interrupted record flagged.
 */
static void test_nest_hooks(void)
{
	const u32 nr = 8;
	const unsigned int ks[] = { 0, 1, nr - 2 };
	struct dtrec_ring *ring = ring_alloc(0, nr);
	unsigned int point, ki, prefill, i, c;

	case_begin("nest-hooks: a signal at each phase of a write records on its own");
	set_handler(SIGUSR2, on_usr2, NULL);
	for (prefill = 3; prefill <= 2 * nr + 3; prefill += 2 * nr)
		for (point = HP_RESERVED; point < HP_NR; point++)
			for (ki = 0; ki < 3; ki++) {
				u64 p = prefill;
				int want_st = point == HP_RESERVED && p >= nr ?
					DTREC_STALE : DTREC_TORN;

				memset(recs_of(ring), 0, nr * sizeof(struct dtrec_record));
				ring->head = 0;
				nest_start(ring);
				for (i = 0; i < prefill; i++)
					nest_write();
				irq_force_capture = 1;
				irq_nwrites = ks[ki];
				inj.fn[point] = raise_usr2;
				inj.armed = 1U << point;
				nest_write();
				nest_check();		/* all done: all intact */
				capture(1);
				CHECK(inj.fired[point] == 1 && irq_runs[0] == 1);
				CHECK(irq_writes == ks[ki] && nest.skipped == 0);
				CHECK(ring->head == p + 1 + ks[ki]);
				CHECKF(orc.nviol == 0, "point %u k %u prefill %u: %lu violations",
				       point, ks[ki], prefill, orc.nviol);
				if (orc.nviol)
					viol_report();
				/* handler entry, after its writes (if any), after return */
				CHECK(ncaps == (ks[ki] ? 3U : 2U));
				for (c = 0; c < ncaps; c++) {
					struct ring_view v = { 0, nr, caps[c].head, caps[c].recs };
					struct dtrec_snapshot *s = parse_views(&v, 1);
					unsigned int last = c == ncaps - 1;

					CHECK(check_decode(s, &v) == (last ? 0U : 1U));
					for (i = 0; s && i < s->nr_events; i++) {
						const struct dtrec_ev *e = &s->events[i];

						if (e->pos == p && !last) {
							CHECKF(e->status == want_st,
							       "point %u k %u: status %u want %d",
							       point, ks[ki], e->status, want_st);
						} else {
							CHECK(e->status == DTREC_OK);
							CHECK(ev_key(e) ==
							      nest.truth[e->pos & (TRUTH_SLOTS - 1)].id);
						}
					}
					dtrec_free(s);
				}
			}
	nest.on = 0;
	quiesce(SIGUSR2);
	free(ring);
	case_end();
}

/*
 * A handler writing N records under a writer interrupted after opening
 * its slot laps it: the nested record at p + N shares that slot. Once
 * the interrupted writer commits, the slot reads stale (position p+N
 * lost, and said so); between its payload and its commit, the slot
 * carries p+N's commit mark over p's payload, a misdecode no reader can
 * see. The damage must stay in that one slot. The kernel's nesting
 * (NMIs under hard-IRQs-off writers) is far shallower than a ring.
 */
static void test_nest_lap(void)
{
	const u32 nr = 8;
	struct dtrec_ring *ring = ring_alloc(0, nr);
	const u64 p = 2 * nr + 3;
	unsigned int i, misdecoded = 0;

	case_begin("nest-lap: a nested writer lapping an interrupted one damages one slot");
	set_handler(SIGUSR2, on_usr2, NULL);
	nest_start(ring);
	for (i = 0; i < p; i++)
		nest_write();
	nest.allow_lap = 1;
	irq_force_capture = 1;
	irq_nwrites = nr;
	inj.fn[HP_OPENED] = raise_usr2;
	inj.fn[HP_PAYLOAD] = capture_only;
	inj.armed = 1U << HP_OPENED | 1U << HP_PAYLOAD;
	nest_write();
	nest_check();
	nest.on = 0;
	CHECK(inj.fired[HP_OPENED] == 1 && inj.fired[HP_PAYLOAD] == 1);
	CHECK(ring->head == p + 1 + nr);
	for (i = 0; i < orc.nviol && i < 8; i++) {
		CHECKF(orc.v[i].q == p + nr, "damage outside the lapped slot");
		CHECK(orc.v[i].kind == V_WRONG || orc.v[i].kind == V_LOST);
		misdecoded += orc.v[i].kind == V_WRONG;
	}
	if (case_failed)
		viol_report();
	/* After the commit: p + N flagged stale, everything else intact. */
	{
		struct ring_view v = { 0, nr, ring->head, recs_of(ring) };
		struct dtrec_snapshot *s = parse_views(&v, 1);

		CHECK(check_decode(s, &v) == 1);
		for (i = 0; s && i < s->nr_events; i++) {
			const struct dtrec_ev *e = &s->events[i];

			if (e->pos == p + nr)
				CHECK(e->status == DTREC_STALE);
			else
				CHECK(e->status == DTREC_OK &&
				      ev_key(e) == nest.truth[e->pos].id);
		}
		dtrec_free(s);
	}
	CHECK(check_captures() >= 1);
	case_end();
	if (misdecoded)
		printf("note nest-lap: between the lapped writer's payload and commit, position %llu "
		       "decodes intact with another write's payload (format limitation, needs a nest "
		       "of >= N records)\n", (unsigned long long)(p + nr));
	quiesce(SIGUSR2);
	free(ring);
}

/*
 * Random interruption: SIGALRM from setitimer writes 1-3 records, a
 * POSIX timer signal that may land inside that handler (as an NMI in
 * an IRQ) writes 1-2. Every handler checks the frozen ring.
 */
static void test_nest_signals(void)
{
	const u32 nr = 16;
	struct dtrec_ring *ring = ring_alloc(0, nr);
	struct itimerval it = { { 0, 23 }, { 0, 23 } }, off;
	struct itimerspec ts = { { 0, 37000 }, { 0, 37000 } };
	struct sigevent sev;
	timer_t tid;
	sigset_t m;
	double t0 = now(), budget = 1.0, cap = 6.0;
	unsigned long writes = 0, flagged, i;
	int have_timer;

	case_begin("nest-signals: writers interrupted at random points by nesting signals");
	nest_start(ring);
	sigemptyset(&m);
	set_handler(SIGALRM, on_alarm, &m);	/* the RT signal may nest */
	sigaddset(&m, SIGALRM);
	set_handler(SIGRTMIN, on_rt, &m);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	have_timer = timer_create(CLOCK_MONOTONIC, &sev, &tid) == 0;
	if (have_timer)
		timer_settime(tid, 0, &ts, NULL);
	setitimer(ITIMER_REAL, &it, NULL);

	for (;;) {
		double t;

		for (i = 0; i < 4096; i++)
			nest_write();
		writes += 4096;
		t = now() - t0;
		if (t >= cap || (t >= budget && ph_hist[PH_OPENED] >= 50 &&
				 irq_runs[2] >= 10))
			break;
	}

	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	if (have_timer)
		timer_delete(tid);
	quiesce(SIGALRM);
	quiesce(SIGRTMIN);
	nest_check();
	nest.on = 0;

	CHECKF(orc.nviol == 0, "%lu violations in %lu checks", orc.nviol, orc.checks);
	if (orc.nviol)
		viol_report();
	CHECK(ring->head == writes + irq_writes);
	CHECK(irq_runs[1] > 0);
	flagged = check_captures();
	printf("     %lu writes + %lu from %lu SIGALRM and %lu nested timer signals, "
	       "%lu frozen-ring checks, %u decoded (%lu flagged records), %lu nested writes refused\n",
	       writes, irq_writes, irq_runs[1], irq_runs[2], orc.checks, ncaps,
	       flagged, nest.skipped);
	printf("     writer caught:");
	for (i = 0; i < PH_NR; i++)
		printf(" %s %lu", ph_names[i], ph_hist[i]);
	printf("; opened with k/6 payload fields stored:");
	for (i = 0; i < 7; i++)
		printf(" %lu", opened_fields[i]);
	printf("\n");
#ifndef KCOMPAT_TSAN
	/* TSan delivers signals at its own points, never mid-write. */
	CHECKF(ph_hist[PH_OPENED] + ph_hist[PH_RESERVED] > 0,
	       "no signal landed inside a write in %.1fs", now() - t0);
#endif
	free(ring);
	case_end();
}

/* ------------------------------------------------------------------ */
/* threads: one writer per "CPU", a concurrent reader                  */

#define NCPU	4
static const u32 cpu_nr[NCPU] = { 8, 16, 64, 1024 };

struct wctx {
	struct dtrec_ring *ring;
	u32 cpu;
	u64 written;
	pthread_t th;
};

static int writers_stop;

static void *writer_main(void *arg)
{
	struct wctx *w = arg;
	u64 pos;

	for (pos = 0; !__atomic_load_n(&writers_stop, __ATOMIC_RELAXED); pos++)
		write_key(w->ring, pkey(w->cpu, pos));
	w->written = pos;
	return NULL;
}

/* The debugfs snapshot's copy (dtrec_fill_snapshot): one memcpy. */
static void copy_ring_raw(struct dtrec_record *dst, const struct dtrec_ring *ring, u32 nr)
{
#ifdef KCOMPAT_TSAN
	/* TSan intercepts memcpy, which the suppression cannot name. */
	const volatile u64 *s = (const volatile u64 *)(ring + 1);
	u64 *d = (u64 *)dst;
	size_t i;

	for (i = 0; i < nr * sizeof(*dst) / 8; i++)
		d[i] = s[i];
#else
	memcpy(dst, ring + 1, (size_t)nr * sizeof(*dst));
#endif
}

enum { M_RINGREAD, M_MEMCPY, M_NR };

struct snap_stats {
	unsigned long snaps, overlapped, events, flagged, misdecoded, spurious,
		unordered;
};

/*
 * One snapshot of every ring. M_RINGREAD copies each window slot with
 * dtrec_ring_read(); a slot that does not read intact is stored with
 * seq 0 (torn: it was being written) or, if a newer lap may have
 * reached it during the copy, with that lap's seq (stale). M_MEMCPY is
 * the debugfs algorithm as it stands: head, smp_rmb(), memcpy.
 */
static void take_snapshot(struct wctx *w, int method, struct dtrec_record **bufs,
			  struct ring_view *v, u64 *h2)
{
	unsigned int c;
	u64 q;

	for (c = 0; c < NCPU; c++) {
		struct dtrec_ring *ring = w[c].ring;
		u32 nr = cpu_nr[c];
		u64 head = READ_ONCE(ring->head), first = dtrec_ring_first(head, nr);
		static unsigned char bad[1024];

		smp_rmb();
		if (method == M_MEMCPY) {
			copy_ring_raw(bufs[c], ring, nr);
		} else {
			memset(bufs[c], 0, nr * sizeof(struct dtrec_record));
			for (q = first; q < head; q++)
				bad[q & (nr - 1)] = !dtrec_ring_read(ring, q, &bufs[c][q & (nr - 1)]);
		}
		smp_rmb();
		h2[c] = READ_ONCE(ring->head);
		if (method == M_RINGREAD)
			for (q = first; q < head; q++)
				if (bad[q & (nr - 1)])
					bufs[c][q & (nr - 1)].seq =
						q + nr < h2[c] ? q + 1 + nr : 0;
		v[c] = (struct ring_view){ c, nr, head, bufs[c] };
	}
}

static void check_snapshot(const struct ring_view *v, const u64 *h2,
			   struct snap_stats *st)
{
	struct dtrec_snapshot *s = parse_views(v, NCPU);
	u64 last_pos[NCPU], prev_ts = 0;
	unsigned int c, overl = 0;
	size_t i;

	st->snaps++;
	for (c = 0; c < NCPU; c++) {
		last_pos[c] = NONE;
		overl |= h2[c] != v[c].head;
	}
	st->overlapped += overl;
	if (!s)
		return;
	for (c = 0; c < NCPU; c++) {
		const struct dtrec_cpu_info *ci = &s->cpus[c];

		CHECK(ci->cpu == c && ci->head == v[c].head &&
		      ci->lost == dtrec_ring_first(v[c].head, v[c].nr));
	}
	st->events += s->nr_events;
	for (i = 0; i < s->nr_events; i++) {
		const struct dtrec_ev *e = &s->events[i];
		u32 nr;

		if (e->cpu >= NCPU) {
			CHECK(e->cpu < NCPU);
			continue;
		}
		nr = v[e->cpu].nr;
		if (e->status != DTREC_OK) {
			st->flagged++;
			/* Only the record in flight, or one a newer lap reached. */
			if (e->pos != v[e->cpu].head - 1 && e->pos + nr >= h2[e->cpu])
				st->spurious++;
			continue;
		}
		if (ev_key(e) != pkey(e->cpu, e->pos)) {
			st->misdecoded++;
			continue;
		}
		/* Intact records: per-CPU sequence order within time order. */
		if (last_pos[e->cpu] != NONE && e->pos <= last_pos[e->cpu])
			st->unordered++;
		last_pos[e->cpu] = e->pos;
		if (e->ts < prev_ts)
			st->unordered++;
		prev_ts = e->ts;
	}
	dtrec_free(s);
}

static void test_threads(void)
{
	struct wctx w[NCPU];
	struct dtrec_record *bufs[NCPU];
	struct ring_view v[NCPU];
	struct snap_stats st[M_NR];
	u64 h2[NCPU], first_head[NCPU];
	double t0, budget = 1.0, cap = 4.0;
	unsigned int c;
	int m;

	case_begin("threads: per-CPU writers, concurrent snapshots never misdecode");
	memset(st, 0, sizeof(st));
	__atomic_store_n(&writers_stop, 0, __ATOMIC_RELAXED);
	for (c = 0; c < NCPU; c++) {
		w[c].ring = ring_alloc(c, cpu_nr[c]);
		w[c].cpu = c;
		w[c].written = 0;
		bufs[c] = calloc(cpu_nr[c], sizeof(struct dtrec_record));
		if (!bufs[c])
			abort();
	}
	for (c = 0; c < NCPU; c++)
		if (pthread_create(&w[c].th, NULL, writer_main, &w[c]))
			abort();
	/* Wait until every writer has lapped its ring at least once. */
	for (c = 0; c < NCPU; c++)
		while (READ_ONCE(w[c].ring->head) <= 2 * cpu_nr[c])
			sched_yield();
	for (c = 0; c < NCPU; c++)
		first_head[c] = READ_ONCE(w[c].ring->head);

	t0 = now();
	for (;;) {
		double t;

		for (m = 0; m < M_NR; m++) {
			take_snapshot(w, m, bufs, v, h2);
			check_snapshot(v, h2, &st[m]);
		}
		t = now() - t0;
		if (t >= cap || (t >= budget && st[M_RINGREAD].overlapped >= 50 &&
				 st[M_RINGREAD].flagged >= 20))
			break;
	}
	/* Readers never held writers back: each kept going all along. */
	for (c = 0; c < NCPU; c++)
		CHECKF(READ_ONCE(w[c].ring->head) > first_head[c] + cpu_nr[c],
		       "cpu %u writer stalled during the snapshots", c);
	__atomic_store_n(&writers_stop, 1, __ATOMIC_RELAXED);
	for (c = 0; c < NCPU; c++)
		pthread_join(w[c].th, NULL);

	for (m = 0; m < M_NR; m++)
		printf("     %s: %lu snapshots (%lu with writers moving), %lu events, "
		       "%lu flagged, %lu misdecoded, %lu flagged outside the in-flight set, "
		       "%lu out of order\n",
		       m == M_RINGREAD ? "dtrec_ring_read snapshot" : "memcpy snapshot (debugfs)",
		       st[m].snaps, st[m].overlapped, st[m].events, st[m].flagged,
		       st[m].misdecoded, st[m].spurious, st[m].unordered);
	/*
	 * Not vacuous: some copy ran while a writer moved, or found records
	 * in flight (a writer preempted mid-record). On a loaded machine
	 * the reader may never run beside a writer.
	 */
	CHECK(st[M_RINGREAD].overlapped + st[M_RINGREAD].flagged > 0);
	CHECK(st[M_RINGREAD].misdecoded == 0);
	CHECK(st[M_RINGREAD].spurious == 0);
	CHECK(st[M_RINGREAD].unordered == 0);
	/* The memcpy copy may misdecode (see below) but never over-flags. */
	CHECK(st[M_MEMCPY].spurious == 0);

	/* Quiescent: the header's reader and libdtrec see every ring whole. */
	for (c = 0; c < NCPU; c++) {
		CHECK(w[c].ring->head == w[c].written);
		h2[c] = w[c].written;
		v[c] = (struct ring_view){ c, cpu_nr[c], w[c].written, recs_of(w[c].ring) };
	}
	{
		struct snap_stats q;

		memset(&q, 0, sizeof(q));
		check_snapshot(v, h2, &q);
		CHECK(q.flagged == 0 && q.misdecoded == 0 && q.unordered == 0);
	}
	case_end();
	if (!st[M_RINGREAD].overlapped)
		printf("note threads: no snapshot overlapped a running writer (machine busy?)\n");
	if (st[M_MEMCPY].misdecoded)
		printf("note threads: the debugfs snapshot algorithm (head, smp_rmb, memcpy) "
		       "decoded %lu of %lu records intact with another lap's payload: "
		       "known issue in dtrec_fill_snapshot()/trace, not asserted here\n",
		       st[M_MEMCPY].misdecoded, st[M_MEMCPY].events);
	for (c = 0; c < NCPU; c++) {
		free(w[c].ring);
		free(bufs[c]);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_wraparound();
	test_torn();
	test_reader();
	test_nest_hooks();
	test_nest_lap();
	test_nest_signals();
	test_threads();
	return failed;
}
