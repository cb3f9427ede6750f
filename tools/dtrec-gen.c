// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dtrec-gen: write a recorder snapshot (or a descriptor + memory image)
 * with a deterministic pseudo-random event pattern, and optionally the
 * raw truth as JSON, so tests can check the decoder against what was
 * written instead of against the decoder's own output. It shares no
 * code with libdtrec on purpose.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "native_desc.h"

/* Where the --image memory starts in the target's address space. */
#define IMAGE_BASE 0x10000ULL

/*
 * Event patterns. random: what the decoder tests check against. The
 * others are the adversarial shapes of the bench (docs/bench.md): irqs
 * posts a distinct IRQ per record for the first half of each ring and
 * plays them back in the second (as many IRQs pending at once as the
 * ring allows); pids has every record a leave_inband of a task never
 * seen before on any CPU, in-band stalled; unsorted is random with timestamps in
 * no order within a ring.
 */
enum shape { SH_RANDOM, SH_IRQS, SH_PIDS, SH_UNSORTED };

struct opts {
	unsigned int cpus, records, torn, stale, rec_size;
	enum shape shape;
	unsigned long long events, seed, clock_hz, ref_cycles, ref_ns;
	const char *expect, *release;
	int image, names, maxima;
};

/*
 * --maxima: per CPU one captured worst case of metric cpu % NR_METRICS,
 * the last MAX_KEPT records of its window (the section: all but the
 * first MAX_CONTEXT), in a max block (snapshot) or in per-CPU area
 * blocks of MAX_SLOTS slots the descriptor points at (--image).
 */
#define MAX_KEPT	8U
#define MAX_CONTEXT	2U
#define MAX_SLOTS	16U

static unsigned long long rng_state;

static unsigned long long rnd(void)
{
	/* splitmix64: tiny, portable and the same on every host. */
	unsigned long long z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void die(const char *msg)
{
	fprintf(stderr, "dtrec-gen: %s\n", msg);
	exit(1);
}

static void usage(FILE *f, int rc)
{
	fputs("usage: dtrec-gen [--cpus N] [--records N] [--events N] [--seed S]\n"
	      "                 [--torn K] [--stale K] [--rec-size N] [--clock-hz HZ]\n"
	      "                 [--ref-cycles C] [--ref-ns NS] [--release STR]\n"
	      "                 [--shape random|irqs|pids|unsorted]\n"
	      "                 [--expect FILE] [--image] [--names] [--maxima] > OUT\n"
	      "Writes a snapshot stream, or with --image a struct dtrec_desc followed\n"
	      "by target memory based at 0x10000. --events is the total written over\n"
	      "all CPUs; --torn/--stale damage that many slots round-robin over CPUs.\n", f);
	exit(rc);
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s)
		usage(stderr, 2);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end || *s == '-' || *s == '+') {
		fprintf(stderr, "dtrec-gen: '%s' is not a non-negative integer\n", s);
		exit(2);
	}
	return v;
}

/* num() for the options stored in 32 bits: refused rather than wrapped. */
static unsigned int num32(const char *s)
{
	unsigned long long v = num(s);

	if (v > 0xffffffffULL) {
		fprintf(stderr, "dtrec-gen: %s is out of range (0..4294967295)\n", s);
		exit(2);
	}
	return (unsigned int)v;
}

static void parse(struct opts *o, int argc, char **argv)
{
	int i;

	*o = (struct opts){ .cpus = 2, .records = 64, .events = 100, .seed = 1,
		.rec_size = sizeof(struct dtrec_record),
		.clock_hz = 2400000000ULL, .ref_cycles = 3000000ULL,
		.ref_ns = 5000000000ULL, .release = "6.6.0-dtrec-gen" };
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			usage(stdout, 0);
		else if (!strcmp(a, "--image"))
			{ o->image = 1; continue; }
		else if (!strcmp(a, "--names"))
			{ o->names = 1; continue; }
		else if (!strcmp(a, "--maxima"))
			{ o->maxima = 1; continue; }
		else if (!strcmp(a, "--cpus"))
			o->cpus = num32(v);
		else if (!strcmp(a, "--records"))
			o->records = num32(v);
		else if (!strcmp(a, "--events"))
			o->events = num(v);
		else if (!strcmp(a, "--seed"))
			o->seed = num(v);
		else if (!strcmp(a, "--torn"))
			o->torn = num32(v);
		else if (!strcmp(a, "--stale"))
			o->stale = num32(v);
		else if (!strcmp(a, "--rec-size"))
			o->rec_size = num32(v);
		else if (!strcmp(a, "--clock-hz"))
			o->clock_hz = num(v);
		else if (!strcmp(a, "--ref-cycles"))
			o->ref_cycles = num(v);
		else if (!strcmp(a, "--ref-ns"))
			o->ref_ns = num(v);
		else if (!strcmp(a, "--expect"))
			o->expect = v;
		else if (!strcmp(a, "--release"))
			o->release = v;
		else if (!strcmp(a, "--shape")) {
			static const char *const names[] = {
				"random", "irqs", "pids", "unsorted",
			};
			unsigned int k;

			for (k = 0; k < 4 && v && strcmp(v, names[k]); k++)
				;
			if (k == 4)
				die("--shape must be random, irqs, pids or unsorted");
			o->shape = (enum shape)k;
		}
		else
			usage(stderr, 2);
		if (!v)
			usage(stderr, 2);
		i++;
	}
	if (!o->cpus || o->cpus > DTREC_MAX_CPUS)
		die("--cpus must be 1..256");
	if (!o->records || (o->records & (o->records - 1)))
		die("--records must be a power of two");
	if (o->rec_size < sizeof(struct dtrec_record) || o->rec_size > 1024)
		die("--rec-size must be 32..1024");
	if (o->shape != SH_RANDOM && o->rec_size != sizeof(struct dtrec_record))
		die("--shape takes the default --rec-size");
	if (!o->clock_hz)
		die("--clock-hz must not be 0");
}

struct ring {
	unsigned long long head;
	struct dtrec_record *rec;	/* slot order */
};

/* Rewrite record x at position p of a ring of head records per o->shape. */
static void shape(const struct opts *o, struct dtrec_record *x, unsigned int c,
		  unsigned long long p, unsigned long long head)
{
	unsigned long long first = head > o->records ? head - o->records : 0;
	unsigned long long half = first + (head - first) / 2;

	switch (o->shape) {
	case SH_RANDOM:
		break;
	case SH_IRQS:
		/* Window [first, head): posts of IRQs 0.. then plays of the same. */
		x->event = p < half ? DTREC_EV_IRQ_POST : DTREC_EV_IRQ_PLAY;
		x->arg = (unsigned int)(p < half ? p - first : p - half);
		x->arg2 = 0;
		x->pid = 100;
		x->state = DTREC_ST_INBAND_STALLED | DTREC_ST_HARD_OFF |
			   DTREC_ST_IN_PIPELINE;
		break;
	case SH_PIDS:
		x->event = DTREC_EV_LEAVE_INBAND;
		x->pid = (unsigned int)(1000 + p * o->cpus + c);
		x->arg = x->pid;
		x->arg2 = 0;
		x->state = DTREC_ST_INBAND_STALLED | DTREC_ST_HARD_OFF;
		break;
	case SH_UNSORTED:
		x->ts = 1000000ULL + rnd() % (1000ULL * (head + 1));
		break;
	}
}

static void generate(const struct opts *o, struct ring *r)
{
	unsigned int c, k;

	rng_state = o->seed;
	for (c = 0; c < o->cpus; c++) {
		unsigned long long p, ts = 1000000ULL + c * 7;

		r[c].head = o->events / o->cpus + (c < o->events % o->cpus);
		r[c].rec = calloc(o->records, sizeof(*r[c].rec));
		if (!r[c].rec)
			die("out of memory");
		for (p = 0; p < r[c].head; p++) {
			struct dtrec_record *x = &r[c].rec[p & (o->records - 1)];

			ts += 1 + rnd() % 1000;
			x->seq = p + 1;
			x->ts = ts;
			x->pid = (rnd() % 4) * 100;
			x->arg = rnd() % 1000;
			x->arg2 = rnd() % 16;
			x->event = 1 + rnd() % (DTREC_NR_EVENTS - 1);
			x->state = rnd() & 0xff;
			shape(o, x, c, p, r[c].head);
		}
	}
	/* Damage distinct slots of each CPU's window, newest first. */
	for (k = 0; k < o->torn + o->stale; k++) {
		struct ring *rc = &r[k % o->cpus];
		unsigned long long n = rc->head < o->records ? rc->head : o->records;
		unsigned long long nth = k / o->cpus, p;

		if (nth >= n)
			die("more damaged slots than records in a window");
		p = rc->head - 1 - nth;
		if (k < o->torn)
			rc->rec[p & (o->records - 1)].seq = 0;
		else	/* an older lap when there was one, else a newer one */
			rc->rec[p & (o->records - 1)].seq =
				p >= o->records ? p + 1 - o->records : p + 1 + o->records;
	}
}

static void wr(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		die("write error");
}

static void zeros(size_t n)
{
	static const char z[1024];

	while (n) {
		size_t k = n < sizeof(z) ? n : sizeof(z);

		wr(z, k);
		n -= k;
	}
}

static void put_record(const struct opts *o, const struct dtrec_record *x,
		       size_t pad)
{
	/* Image records keep the payload after a pad, as a wider kernel layout would. */
	zeros(pad);
	wr(x, sizeof(*x));
	zeros(o->rec_size - sizeof(*x) - pad);
}

static void write_names(const struct opts *o, const struct ring *r);

/* The --maxima area of CPU c: its header, 0 records when c has none. */
static struct dtrec_max_area max_area(const struct opts *o, const struct ring *r,
				      unsigned int c)
{
	unsigned long long first = r[c].head > o->records ? r[c].head - o->records : 0;
	struct dtrec_max_area a;

	memset(&a, 0, sizeof(a));
	if (!o->maxima || r[c].head - first < MAX_KEPT)
		return a;
	a.nr = MAX_KEPT;
	a.first_pos = r[c].head - MAX_KEPT;
	a.start_pos = a.first_pos + MAX_CONTEXT;
	a.end_pos = r[c].head - 1;
	a.start_ts = r[c].rec[a.start_pos & (o->records - 1)].ts;
	a.end_ts = r[c].rec[a.end_pos & (o->records - 1)].ts;
	a.length = a.end_ts - a.start_ts;
	a.metric = c % DTREC_NR_METRICS;
	a.cpu = c;
	a.pid = r[c].rec[a.start_pos & (o->records - 1)].pid;
	a.irq = a.metric >= DTREC_M_WAIT_INBAND ? 7 : 0;
	return a;
}

static void write_max_records(const struct opts *o, const struct ring *r,
			      const struct dtrec_max_area *a, size_t pad)
{
	unsigned long long p;

	for (p = a->first_pos; p < a->first_pos + a->nr; p++)
		put_record(o, &r[a->cpu].rec[p & (o->records - 1)], pad);
}

static void write_max_block(const struct opts *o, const struct ring *r)
{
	struct dtrec_snap_max b;
	unsigned int c;

	memset(&b, 0, sizeof(b));
	b.magic = DTREC_MAXB_MAGIC;
	b.size = sizeof(b);
	b.rec_size = o->rec_size;
	for (c = 0; c < o->cpus; c++)
		if (max_area(o, r, c).nr) {
			b.nr_areas++;
			b.size += sizeof(struct dtrec_max_area) + MAX_KEPT * o->rec_size;
		}
	if (!b.nr_areas)
		return;
	wr(&b, sizeof(b));
	for (c = 0; c < o->cpus; c++) {
		struct dtrec_max_area a = max_area(o, r, c);

		if (!a.nr)
			continue;
		wr(&a, sizeof(a));
		write_max_records(o, r, &a, 0);
	}
}

static void write_snapshot(const struct opts *o, const struct ring *r)
{
	struct dtrec_snap_header h;
	unsigned int c, i;

	memset(&h, 0, sizeof(h));
	h.magic = DTREC_SNAP_MAGIC;
	h.version = DTREC_SNAP_VERSION;
	h.header_size = sizeof(h);
	h.nr_cpus = o->cpus;
	h.rec_size = o->rec_size;
	h.clock_hz = o->clock_hz;
	h.ref_cycles = o->ref_cycles;
	h.ref_ns = o->ref_ns;
	h.event_mask = DTREC_ALL_CLASSES;
	h.frozen = 1;
	h.freeze_reason = DTREC_FREEZE_OOPS;
	h.freeze_cpu = o->cpus - 1;
	h.format_version = DTREC_FORMAT_VERSION;
	h.overhead_ps = 12345;
	strncpy(h.release, o->release, sizeof(h.release) - 1);
	if (o->maxima) {
		/* Header fields of version 3, so readers see them non-zero. */
		h.max_context = MAX_CONTEXT;
		h.threshold_ns[DTREC_M_OOB_STALL] = 50000;
		h.threshold_ns[DTREC_M_WAIT_OOB] = 70000;
	}
	wr(&h, sizeof(h));
	for (c = 0; c < o->cpus; c++) {
		struct dtrec_snap_cpu sc = { c, o->records, r[c].head };

		wr(&sc, sizeof(sc));
		for (i = 0; i < o->records; i++)
			put_record(o, &r[c].rec[i], 0);
	}
	if (o->maxima)
		write_max_block(o, r);
	if (o->names)
		write_names(o, r);
}

static int cmp_u32(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* The distinct values of v[0..n) in place; their count. */
static size_t distinct(unsigned int *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), cmp_u32);
	for (i = 0; i < n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

/*
 * --names: a names block (snapshot version 2) naming every pid the
 * slots hold "gen-PID" and every IRQ they post, play or handle
 * "gen-irq-N": one IRQ in three on chip "gen-chip" (hwirq N + 1000),
 * one on x86's "SIPIC" with the vector number the kernel writes (0xec,
 * LOCAL_TIMER_VECTOR once read), one on arm64's "GICv3" with hwirq
 * N % 32 and no vector (the reader names SGIs and PPIs).
 */
static void write_names(const struct opts *o, const struct ring *r)
{
	size_t total = (size_t)o->cpus * o->records, np = 0, ni = 0, k;
	unsigned int *pids = malloc(total * sizeof(*pids));
	unsigned int *irqs = malloc(total * sizeof(*irqs));
	struct dtrec_snap_names n;
	unsigned int c, i;

	if (!pids || !irqs)
		die("out of memory");
	for (c = 0; c < o->cpus; c++)
		for (i = 0; i < o->records; i++) {
			const struct dtrec_record *x = &r[c].rec[i];

			if (!x->seq)
				continue;
			pids[np++] = x->pid;
			if (x->event >= DTREC_EV_IRQ_POST && x->event <= DTREC_EV_OOB_HANDLER_EXIT)
				irqs[ni++] = x->arg;
		}
	np = distinct(pids, np);
	ni = distinct(irqs, ni);
	memset(&n, 0, sizeof(n));
	n.magic = DTREC_NAMES_MAGIC;
	n.nr_tasks = (unsigned int)np;
	n.nr_irqs = (unsigned int)ni;
	n.size = (unsigned int)(sizeof(n) + np * sizeof(struct dtrec_snap_task) +
				ni * sizeof(struct dtrec_snap_irq));
	wr(&n, sizeof(n));
	for (k = 0; k < np; k++) {
		struct dtrec_snap_task t;

		memset(&t, 0, sizeof(t));
		t.pid = pids[k];
		snprintf(t.comm, sizeof(t.comm), "gen-%u", pids[k]);
		wr(&t, sizeof(t));
	}
	for (k = 0; k < ni; k++) {
		struct dtrec_snap_irq q;

		memset(&q, 0, sizeof(q));
		q.irq = irqs[k];
		snprintf(q.name, sizeof(q.name), "gen-irq-%u", irqs[k]);
		if (irqs[k] % 3 == 1) {
			q.hwirq = 3;	/* FIRST_SYSTEM_VECTOR 0xe9 + 3 */
			snprintf(q.chip, sizeof(q.chip), "SIPIC");
			snprintf(q.vector, sizeof(q.vector), "0xec");
		} else if (irqs[k] % 3 == 2) {
			q.hwirq = irqs[k] % 32;
			snprintf(q.chip, sizeof(q.chip), "GICv3");
		} else {
			q.hwirq = irqs[k] + 1000;
			snprintf(q.chip, sizeof(q.chip), "gen-chip");
		}
		wr(&q, sizeof(q));
	}
	free(pids);
	free(irqs);
}

static void write_image(const struct opts *o, const struct ring *r)
{
	size_t pad = o->rec_size - sizeof(struct dtrec_record);
	unsigned long long ring_len = sizeof(struct dtrec_ring) +
				      (unsigned long long)o->records * o->rec_size;
	struct dtrec_desc d;
	unsigned int c, i;

	dtrec_desc_native(&d, o->cpus, o->records, pad);
	d.frozen = 1;
	d.freeze_reason = DTREC_FREEZE_OOPS;
	d.freeze_cpu = o->cpus - 1;
	d.clock_hz = o->clock_hz;
	d.ref_cycles = o->ref_cycles;
	d.ref_ns = o->ref_ns;
	d.overhead_ps = 12345;
	for (c = 0; c < o->cpus; c++) {
		d.ring[c] = IMAGE_BASE + c * ring_len;
		d.ring_bytes[c] = ring_len;
	}
	if (o->maxima) {
		/* The areas after the rings, each CPU's metrics one block. */
		d.max_on = 1;
		d.max_nr_metrics = DTREC_NR_METRICS;
		d.max_area_records = MAX_SLOTS;
		d.max_area_size = sizeof(struct dtrec_max_area) + MAX_SLOTS * o->rec_size;
		d.max_context = MAX_CONTEXT;
		/* As the kernel keeps them: cycles to compare, ns as set. */
		d.threshold[DTREC_M_OOB_STALL] = 50000 * (o->clock_hz / 1000000000ULL + 1);
		d.threshold_ns[DTREC_M_OOB_STALL] = 50000;
		d.threshold[DTREC_M_WAIT_OOB] = 70000 * (o->clock_hz / 1000000000ULL + 1);
		d.threshold_ns[DTREC_M_WAIT_OOB] = 70000;
		for (c = 0; c < o->cpus; c++)
			d.max_cpu[c] = IMAGE_BASE + o->cpus * ring_len +
				(unsigned long long)c * DTREC_NR_METRICS * d.max_area_size;
	}
	wr(&d, sizeof(d));
	for (c = 0; c < o->cpus; c++) {
		struct dtrec_ring rh;

		memset(&rh, 0, sizeof(rh));
		rh.magic = DTREC_RING_MAGIC;
		rh.head = r[c].head;
		rh.cpu = c;
		rh.nr_records = o->records;
		wr(&rh, sizeof(rh));
		for (i = 0; i < o->records; i++)
			put_record(o, &r[c].rec[i], pad);
	}
	for (c = 0; o->maxima && c < o->cpus; c++) {
		struct dtrec_max_area a = max_area(o, r, c);
		unsigned int m;

		for (m = 0; m < DTREC_NR_METRICS; m++) {
			struct dtrec_max_area e;

			if (a.nr && m == a.metric) {
				e = a;
				e.gen = 2;	/* written twice, now even: stable */
				wr(&e, sizeof(e));
				write_max_records(o, r, &a, pad);
				zeros((MAX_SLOTS - a.nr) * o->rec_size);
				continue;
			}
			memset(&e, 0, sizeof(e));
			e.metric = m;
			e.cpu = c;
			wr(&e, sizeof(e));
			zeros(MAX_SLOTS * o->rec_size);
		}
	}
}

static void write_expect(const struct opts *o, const struct ring *r)
{
	FILE *f = fopen(o->expect, "w");
	unsigned int c;

	if (!f)
		die("cannot create the --expect file");
	/* desc_size/image_base let a test split an --image file without C headers. */
	fprintf(f, "{\"clock_hz\":%llu,\"ref_cycles\":%llu,\"ref_ns\":%llu,\"release\":\"%s\",\"desc_size\":%zu,\"image_base\":%llu,\"cpus\":[",
		o->clock_hz, o->ref_cycles, o->ref_ns, o->release,
		sizeof(struct dtrec_desc), IMAGE_BASE);
	for (c = 0; c < o->cpus; c++)
		fprintf(f, "%s{\"cpu\":%u,\"nr_records\":%u,\"head\":%llu}",
			c ? "," : "", c, o->records, r[c].head);
	fputs("],\"records\":[", f);
	/* The raw window of each CPU in position order: [cpu,pos,seq,ts,event,pid,arg,arg2,state]. */
	for (c = 0; c < o->cpus; c++) {
		unsigned long long p = r[c].head > o->records ? r[c].head - o->records : 0;

		for (; p < r[c].head; p++) {
			const struct dtrec_record *x = &r[c].rec[p & (o->records - 1)];
			static int first = 1;

			fprintf(f, "%s[%u,%llu,%llu,%llu,%u,%u,%u,%u,%u]",
				first ? "" : ",", c, p,
				(unsigned long long)x->seq,
				(unsigned long long)x->ts, x->event, x->pid,
				x->arg, x->arg2, x->state);
			first = 0;
		}
	}
	fputs("],\"maxima\":[", f);
	for (c = 0; c < o->cpus; c++) {
		struct dtrec_max_area a = max_area(o, r, c);
		static int first_max = 1;

		if (!a.nr)
			continue;
		fprintf(f, "%s{\"cpu\":%u,\"metric\":%u,\"first_pos\":%llu,\"start_pos\":%llu,\"end_pos\":%llu,\"records\":%u,\"cycles\":%llu,\"pid\":%u,\"irq\":%u}",
			first_max ? "" : ",", c, a.metric,
			(unsigned long long)a.first_pos, (unsigned long long)a.start_pos,
			(unsigned long long)a.end_pos, a.nr, (unsigned long long)a.length,
			a.pid, a.irq);
		first_max = 0;
	}
	fputs("]}\n", f);
	if (fclose(f))
		die("write error on the --expect file");
}

int main(int argc, char **argv)
{
	struct opts o;
	struct ring *r;
	unsigned int c;

	parse(&o, argc, argv);
	r = calloc(o.cpus, sizeof(*r));
	if (!r)
		die("out of memory");
	generate(&o, r);
	if (o.image)
		write_image(&o, r);
	else
		write_snapshot(&o, r);
	if (fflush(stdout))
		die("write error");
	if (o.expect)
		write_expect(&o, r);
	for (c = 0; c < o.cpus; c++)
		free(r[c].rec);
	free(r);
	return 0;
}
