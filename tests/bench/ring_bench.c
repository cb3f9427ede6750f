// SPDX-License-Identifier: GPL-2.0
/*
 * Native cost of one recorder event on the hot path, measured on the
 * kernel's own ring writer: kernel/irq/dovetail_recorder_ring.h compiled
 * unchanged through tests/unit/kcompat.h (an un-LOCKed XADD reservation,
 * as x86 local64_add_return(), compiler-only barriers, volatile commit).
 *
 * Each variant is one out-of-line function, bench_<name>(ring, n), that
 * runs n records with the writer inlined, as the kernel inlines it into
 * __dovetail_record(). Every iteration derives the writer's arguments
 * from the loop counter. bench_native.py times them natively, and
 * counts their instructions under callgrind
 * (--toggle-collect=bench_<name>, total / n):
 *
 *   ring_write		dtrec_ring_write(): reserve, open, payload, commit
 *   ring_write_rdtsc	the same with the timestamp read from the TSC, as
 *			the kernel's dtrec_clock() does on x86
 *   disabled_flag	recorder off: a predicted-not-taken branch on a
 *			flag loaded every record
 *   disabled_nop	recorder off as a static key leaves it: a 5-byte
 *			NOP (x86) / NOP (arm64) falling through, the write
 *			out of line (asm goto, never patched here)
 *   empty		the loop and the argument computations alone: the
 *			baseline of the writer's net figures
 *   loop		the bare loop (counter, compare, branch): the
 *			baseline of the disabled paths' and the peer's
 *   peer_memcpy	the named peer: memcpy of a prebuilt 32-byte record
 *			into the next ring slot (plain head++), with no
 *			atomic reservation and no seq protocol
 *
 *   ring_bench [--records N] [--runs R] [--nr SLOTS]
 *	time every variant: best of R runs of N records, the runs of all
 *	variants interleaved so that they share the machine's noise;
 *	prints key=value lines
 *   ring_bench --only NAME --count N
 *	run one variant once over N records (for callgrind)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kcompat.h"
#include <linux/dovetail_recorder.h>
#include "dovetail_recorder_ring.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define BENCH_FN	__attribute__((__noipa__, __used__))
#else
#define BENCH_FN	__attribute__((__noinline__, __used__))
#endif

#define PEER_NAME	"memcpy-32B-ring"

static u32 bench_enabled;	/* the disabled path's flag: stays 0 */

/* What static_branch_unlikely() compiles to while the key is off. */
#if defined(__x86_64__) || defined(__i386__)
#define HAVE_KEY_NOP	1
static __always_inline bool key_false(void)
{
	__asm__ goto("1: .byte 0x0f,0x1f,0x44,0x00,0x00\n\t" : : : : l_yes);
	return false;
	/* cppcheck-suppress unusedLabel ; the asm goto's target */
l_yes:
	return true;
}
#elif defined(__aarch64__)
#define HAVE_KEY_NOP	1
static __always_inline bool key_false(void)
{
	__asm__ goto("1: nop\n\t" : : : : l_yes);
	return false;
	/* cppcheck-suppress unusedLabel ; the asm goto's target */
l_yes:
	return true;
}
#else
#define HAVE_KEY_NOP	0
static __always_inline bool key_false(void)
{
	return unlikely(READ_ONCE(bench_enabled));
}
#endif

static __always_inline u64 bench_clock(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
#endif
}

/* The writer's arguments for record i, as a caller would have them. */
#define REC_ARGS(i)							\
	u64 ts = (i);							\
	u32 pid = 1234, arg = (u32)(i), arg2 = (u32)(i) ^ 0x5555;	\
	u16 event = DTREC_EV_MARK, state = 0x11

BENCH_FN void bench_ring_write(struct dtrec_ring *ring, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		REC_ARGS(i);

		dtrec_ring_write(ring, ts, pid, arg, arg2, event, state);
	}
}

BENCH_FN void bench_ring_write_rdtsc(struct dtrec_ring *ring, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		REC_ARGS(i);

		(void)ts;
		dtrec_ring_write(ring, bench_clock(), pid, arg, arg2, event, state);
	}
}

BENCH_FN void bench_disabled_flag(struct dtrec_ring *ring, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		REC_ARGS(i);

		if (unlikely(READ_ONCE(bench_enabled)))
			dtrec_ring_write(ring, ts, pid, arg, arg2, event, state);
	}
}

BENCH_FN void bench_disabled_nop(struct dtrec_ring *ring, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		REC_ARGS(i);

		if (key_false())
			dtrec_ring_write(ring, ts, pid, arg, arg2, event, state);
	}
}

BENCH_FN void bench_empty(struct dtrec_ring *ring, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		REC_ARGS(i);

		/* Consumed, so computed, as the writer consumes them. */
		__asm__ __volatile__("" : : "r" (ring), "r" (ts), "r" (pid),
				     "r" (arg), "r" (arg2), "r" (event), "r" (state));
	}
}

BENCH_FN void bench_loop(struct dtrec_ring *ring, u64 n)
{
	u64 i;

	(void)ring;
	for (i = 0; i < n; i++)
		__asm__ __volatile__("");
}

static struct dtrec_record peer_rec = {
	.seq = 1, .ts = 42, .pid = 1234, .arg = 7, .arg2 = 0x5555,
	.event = DTREC_EV_MARK, .state = 0x11,
};

BENCH_FN void bench_peer_memcpy(struct dtrec_ring *ring, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		u64 pos = ring->head++;

		memcpy(dtrec_ring_slot(ring, pos), &peer_rec, sizeof(peer_rec));
	}
}

typedef void (*bench_fn)(struct dtrec_ring *ring, u64 n);

static const struct variant {
	const char *name;
	bench_fn fn;
} variants[] = {
	{ "ring_write", bench_ring_write },
	{ "ring_write_rdtsc", bench_ring_write_rdtsc },
	{ "disabled_flag", bench_disabled_flag },
	{ "disabled_nop", bench_disabled_nop },
	{ "empty", bench_empty },
	{ "loop", bench_loop },
	{ "peer_memcpy", bench_peer_memcpy },
};
#define NR_VARIANTS	(sizeof(variants) / sizeof(variants[0]))

/* One call per run: the indirect call is paid once, not per record. */
static void call_n(unsigned int v, struct dtrec_ring *ring, u64 n)
{
	variants[v].fn(ring, n);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static struct dtrec_ring *ring_alloc(u32 nr)
{
	size_t bytes = sizeof(struct dtrec_ring) + (size_t)nr * sizeof(struct dtrec_record);
	struct dtrec_ring *ring = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);

	if (!ring) {
		perror("ring_bench: aligned_alloc");
		exit(1);
	}
	memset(ring, 0, bytes);
	ring->magic = DTREC_RING_MAGIC;
	ring->nr_records = nr;
	return ring;
}

static unsigned long long arg_num(const char *s, const char *what)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (!*s || *end || v == 0) {
		fprintf(stderr, "ring_bench: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: ring_bench [--records N] [--runs R] [--nr SLOTS]\n"
		"       ring_bench --only NAME --count N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long records = 5000000, runs = 15, nr = 8192, count = 0;
	double best[NR_VARIANTS];
	const char *only = NULL;
	struct dtrec_ring *ring;
	unsigned int v, r;
	int i;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--records"))
			records = arg_num(argv[++i], "record count");
		else if (!strcmp(argv[i], "--runs"))
			runs = arg_num(argv[++i], "run count");
		else if (!strcmp(argv[i], "--nr"))
			nr = arg_num(argv[++i], "ring size");
		else if (!strcmp(argv[i], "--only"))
			only = argv[++i];
		else if (!strcmp(argv[i], "--count"))
			count = arg_num(argv[++i], "call count");
		else
			usage();
	}
	if (nr & (nr - 1) || nr > (1U << 24)) {
		fprintf(stderr, "ring_bench: ring size %llu is not a power of two <= 2^24\n", nr);
		return 2;
	}
	ring = ring_alloc((u32)nr);

	if (only) {
		for (v = 0; v < NR_VARIANTS; v++)
			if (!strcmp(variants[v].name, only))
				break;
		if (v == NR_VARIANTS) {
			fprintf(stderr, "ring_bench: no variant '%s'\n", only);
			return 2;
		}
		call_n(v, ring, count ? count : records);
		printf("ran=%s\ncount=%llu\nsymbol=bench_%s\n", only,
		       count ? count : records, only);
		free(ring);
		return 0;
	}

	printf("# ring_bench: kernel/irq/dovetail_recorder_ring.h through tests/unit/kcompat.h\n");
#if defined(__x86_64__)
	printf("arch=x86_64\n");
#elif defined(__aarch64__)
	printf("arch=aarch64\n");
#else
	printf("arch=other\n");
#endif
	printf("nr_records=%llu\nrecords=%llu\nruns=%llu\npeer=%s\nkey_nop=%d\n",
	       nr, records, runs, PEER_NAME, HAVE_KEY_NOP);
	for (v = 0; v < NR_VARIANTS; v++) {
		ring->head = 0;
		call_n(v, ring, records / 10 + 1);	/* warm up */
	}
	for (r = 0; r < runs; r++)
		for (v = 0; v < NR_VARIANTS; v++) {
			double t0, t;

			ring->head = 0;
			t0 = now_ns();
			call_n(v, ring, records);
			t = (now_ns() - t0) / (double)records;
			if (r == 0 || t < best[v])
				best[v] = t;
		}
	for (v = 0; v < NR_VARIANTS; v++)
		printf("ns.%s=%.4f\n", variants[v].name, best[v]);
	/* The writers really wrote: a last check that costs nothing timed. */
	ring->head = 0;
	call_n(0, ring, nr + 3);
	{
		struct dtrec_record out;

		if (!dtrec_ring_read(ring, nr + 2, &out) || out.arg != (u32)(nr + 2)) {
			fprintf(stderr, "ring_bench: ring contents wrong after the run\n");
			return 1;
		}
	}
	free(ring);
	return 0;
}
