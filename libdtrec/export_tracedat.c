// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Export to trace-cmd's trace.dat, file format version 6 (see
 * docs/export.md), so that trace-cmd report, KernelShark and anything
 * built on libtraceevent read recorder snapshots as if ftrace had
 * recorded them: one event system "dovetail", one event per recorder
 * event, per-CPU flyrecord data laid out as kernel ring-buffer pages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "percpu.h"

#define PAGE_SZ		4096U
#define PAGE_HDR	16U		/* u64 timestamp + 64-bit local_t commit */
#define PAGE_DATA	(PAGE_SZ - PAGE_HDR)
#define EV_ID_BASE	1000U		/* ftrace ids of "dovetail" events */
#define PAYLOAD		28U		/* struct below, padded to 4 bytes */
#define TYPE_TIME_EXTEND 30U
#define DELTA_BITS	27U
#define MAX_CPU_ID	4095U

/* Layout the event formats below describe (little or host endian). */
struct tdat_event {
	uint16_t common_type;
	uint8_t common_flags;
	uint8_t common_preempt_count;
	int32_t common_pid;
	uint64_t pos;
	uint32_t arg;
	uint32_t arg2;
	uint16_t state;
	uint16_t pad;
} __attribute__((packed));

static const char header_page[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n";

static const char header_event[] =
	"# compressed entry header\n"
	"\ttype_len    :    5 bits\n"
	"\ttime_delta  :   27 bits\n"
	"\tarray       :   32 bits\n"
	"\n"
	"\tpadding     : type == 29\n"
	"\ttime_extend : type == 30\n"
	"\ttime_stamp : type == 31\n"
	"\tdata max type_len  == 28\n";

#define STATE_FLAGS "__print_flags(REC->state, \"|\", " \
	"{ 0x1, \"IS\" }, { 0x2, \"OS\" }, { 0x4, \"OOB\" }, { 0x8, \"PIPE\" }, " \
	"{ 0x10, \"HOFF\" }, { 0x20, \"NMI\" }, { 0x40, \"HIRQ\" }, { 0x80, \"TOOB\" })"

/* Event-specific text: what arg/arg2 mean (dovetail_recorder.h). */
static const char *print_fmt(unsigned int ev)
{
	switch (ev) {
	case DTREC_EV_IRQ_POST:
		return "\"irq=%u stage=%u coalesced=%u state=%s\", REC->arg, REC->arg2 & 0xff, (REC->arg2 >> 8) & 1, " STATE_FLAGS;
	case DTREC_EV_IRQ_PLAY:
		return "\"irq=%u stage=%u state=%s\", REC->arg, REC->arg2 & 0xff, " STATE_FLAGS;
	case DTREC_EV_OOB_HANDLER_ENTRY:
	case DTREC_EV_OOB_HANDLER_EXIT:
		return "\"irq=%u state=%s\", REC->arg, " STATE_FLAGS;
	case DTREC_EV_LEAVE_INBAND:
	case DTREC_EV_FINALIZE_OOB:
	case DTREC_EV_SWITCHED_OOB:
	case DTREC_EV_LEAVE_OOB:
	case DTREC_EV_INBAND_TAIL:
		return "\"task=%u state=%s\", REC->arg, " STATE_FLAGS;
	case DTREC_EV_RESUME_INBAND:
		return "\"task=%u rqlock_owner=%u state=%s\", REC->arg, REC->arg2, " STATE_FLAGS;
	case DTREC_EV_OOB_SWITCH:
		return "\"prev=%u next=%u leave_inband=%u state=%s\", REC->arg, REC->arg2 & 0x7fffffff, REC->arg2 >> 31, " STATE_FLAGS;
	case DTREC_EV_NMI_RESTORE:
		return "\"stall_bits=0x%x state=%s\", REC->arg, " STATE_FLAGS;
	case DTREC_EV_FREEZE:
		return "\"reason=%u state=%s\", REC->arg, " STATE_FLAGS;
	case DTREC_EV_MARK:
		return "\"arg=%u arg2=%u state=%s\", REC->arg, REC->arg2, " STATE_FLAGS;
	}
	return "\"state=%s\", " STATE_FLAGS;
}

/* Growable output buffer: the header sizes are known only once built. */
struct obuf {
	unsigned char *p;
	size_t len, cap;
	int err;
};

static void put(struct obuf *b, const void *d, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		unsigned char *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_u32(struct obuf *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put_u64(struct obuf *b, uint64_t v)
{
	put(b, &v, 8);
}

static void put_str0(struct obuf *b, const char *s)
{
	put(b, s, strlen(s) + 1);
}

static void put_sized64(struct obuf *b, const char *text, size_t n)
{
	put_u64(b, n);
	put(b, text, n);
}

static int event_format(char *buf, size_t len, unsigned int ev)
{
	return snprintf(buf, len,
		"name: %s\n"
		"ID: %u\n"
		"format:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
		"\n"
		"\tfield:u64 pos;\toffset:8;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned int arg;\toffset:16;\tsize:4;\tsigned:0;\n"
		"\tfield:unsigned int arg2;\toffset:20;\tsize:4;\tsigned:0;\n"
		"\tfield:unsigned short state;\toffset:24;\tsize:2;\tsigned:0;\n"
		"\n"
		"print fmt: %s\n",
		ev < DTREC_NR_EVENTS ? dtrec_event_name(ev) : "unknown",
		EV_ID_BASE + ev, print_fmt(ev));
}

/* ftrace's common_flags: what the tracer prints as irqs-off/hardirq/nmi. */
static uint8_t trace_flags(uint16_t st)
{
	uint8_t f = 0;

	if (st & (DTREC_ST_HARD_OFF | DTREC_ST_INBAND_STALLED))
		f |= 0x01;	/* TRACE_FLAG_IRQS_OFF */
	if (st & DTREC_ST_IN_HARDIRQ)
		f |= 0x08;	/* TRACE_FLAG_HARDIRQ */
	if (st & DTREC_ST_IN_NMI)
		f |= 0x40;	/* TRACE_FLAG_NMI */
	return f;
}

/* One CPU's events as ring-buffer pages appended to b. */
static void cpu_pages(struct obuf *b, const struct dtrec_cpuv *cv)
{
	unsigned char page[PAGE_SZ];
	size_t used = 0, i;
	uint64_t last = 0;
	int open = 0;

	for (i = 0; i < cv->n && !b->err; i++) {
		const struct dtrec_ev *e = cv->ev[i];
		struct tdat_event te;
		uint64_t delta;
		uint32_t h;
		size_t need;

		if (e->status != DTREC_OK)
			continue;
		delta = open && e->ns > last ? e->ns - last : 0;
		need = 4 + PAYLOAD + (delta >> DELTA_BITS ? 8 : 0);
		if (open && used + need > PAGE_DATA) {
			memcpy(page + 8, &(uint64_t){ used }, 8);
			put(b, page, PAGE_SZ);
			open = 0;
		}
		if (!open) {
			memset(page, 0, sizeof(page));
			memcpy(page, &e->ns, 8);
			used = 0;
			delta = 0;
			open = 1;
		}
		if (delta >> DELTA_BITS) {
			uint32_t hi = (uint32_t)(delta >> DELTA_BITS);

			h = TYPE_TIME_EXTEND | (uint32_t)((delta & ((1U << DELTA_BITS) - 1)) << 5);
			memcpy(page + PAGE_HDR + used, &h, 4);
			memcpy(page + PAGE_HDR + used + 4, &hi, 4);
			used += 8;
			delta = 0;
		}
		h = (PAYLOAD / 4) | (uint32_t)(delta << 5);
		memset(&te, 0, sizeof(te));
		/* Numbers past the table share one "unknown" event, as in decode. */
		te.common_type = (uint16_t)(EV_ID_BASE + (e->event < DTREC_NR_EVENTS ?
							  e->event : DTREC_NR_EVENTS));
		te.common_flags = trace_flags(e->state);
		te.common_pid = (int32_t)e->pid;
		te.pos = e->pos;
		te.arg = e->arg;
		te.arg2 = e->arg2;
		te.state = e->state;
		memcpy(page + PAGE_HDR + used, &h, 4);
		memcpy(page + PAGE_HDR + used + 4, &te, sizeof(te));
		used += 4 + PAYLOAD;
		last = e->ns;
	}
	if (open) {
		memcpy(page + 8, &(uint64_t){ used }, 8);
		put(b, page, PAGE_SZ);
	}
}

/* saved_cmdlines: we have no comm, so every pid is named "pid-N". */
static void cmdlines(struct obuf *b, const struct dtrec_snapshot *s)
{
	struct obuf t = { 0 };
	uint32_t *pids = malloc((s->nr_events ? s->nr_events : 1) * sizeof(*pids));
	size_t i, n = 0;
	char line[48];

	if (!pids) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < s->nr_events; i++)
		if (s->events[i].status == DTREC_OK)
			pids[n++] = s->events[i].pid;
	qsort(pids, n, sizeof(*pids), dtrec_percpu_cmp_u32);
	for (i = 0; i < n; i++) {
		int l;

		if (i && pids[i] == pids[i - 1])
			continue;
		l = pids[i] ? snprintf(line, sizeof(line), "%u pid-%u\n", pids[i], pids[i])
			    : snprintf(line, sizeof(line), "0 <idle>\n");
		put(&t, line, (size_t)l);
	}
	free(pids);
	if (t.err)
		b->err = t.err;
	put_sized64(b, t.p ? (const char *)t.p : "", t.len);
	free(t.p);
}

int dtrec_export_tracedat(FILE *out, const struct dtrec_snapshot *s,
			  char *err, size_t errlen)
{
	static const unsigned char magic[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c',
					       'i', 'n', 'g', '6', 0 };
	struct dtrec_percpu pc;
	struct obuf b = { 0 };
	char fmt[2048];
	uint32_t nr_cpus = 0, c;
	size_t i, idx_off;
	unsigned int ev;
	int rc;

	if (!out || !s || (s->nr_events && !s->events))
		return dtrec_seterr(err, errlen, -EINVAL, "no snapshot to export");
	rc = dtrec_percpu_build(&pc, s, 0);
	if (rc)
		return dtrec_seterr(err, errlen, rc, "out of memory");
	for (i = 0; i < pc.nr; i++)
		if (pc.v[i].cpu + 1 > nr_cpus)
			nr_cpus = pc.v[i].cpu + 1;
	for (i = 0; i < s->nr_cpus && s->cpus; i++)
		if (s->cpus[i].cpu + 1 > nr_cpus)
			nr_cpus = s->cpus[i].cpu + 1;
	if (nr_cpus > MAX_CPU_ID + 1) {
		dtrec_percpu_free(&pc);
		return dtrec_seterr(err, errlen, -ERANGE,
				    "cpu %u too large for a trace.dat export", nr_cpus - 1);
	}

	put(&b, magic, sizeof(magic));
	put(&b, &(uint8_t){ __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ }, 1);
	put(&b, &(uint8_t){ 8 }, 1);		/* the traced kernel's long */
	put_u32(&b, PAGE_SZ);
	put_str0(&b, "header_page");
	put_sized64(&b, header_page, sizeof(header_page) - 1);
	put_str0(&b, "header_event");
	put_sized64(&b, header_event, sizeof(header_event) - 1);
	put_u32(&b, 0);				/* no ftrace-internal formats */
	put_u32(&b, 1);				/* one system */
	put_str0(&b, "dovetail");
	put_u32(&b, DTREC_NR_EVENTS + 1);
	for (ev = 0; ev <= DTREC_NR_EVENTS; ev++) {
		int l = event_format(fmt, sizeof(fmt), ev);

		put_sized64(&b, fmt, (size_t)l);
	}
	put_u32(&b, 0);				/* kallsyms */
	put_u32(&b, 0);				/* printk formats */
	cmdlines(&b, s);
	put_u32(&b, nr_cpus);
	put(&b, "flyrecord", 10);
	idx_off = b.len;
	for (c = 0; c < nr_cpus; c++) {
		put_u64(&b, 0);
		put_u64(&b, 0);
	}
	/* CPU data starts page aligned (what trace-cmd mmaps). */
	while (!b.err && b.len % PAGE_SZ)
		put(&b, "", 1);
	for (c = 0; c < nr_cpus && !b.err; c++) {
		const struct dtrec_cpuv *cv = dtrec_percpu_find(&pc, c);
		uint64_t start = b.len, size;

		if (cv)
			cpu_pages(&b, cv);
		if (b.err)
			break;
		size = b.len - start;
		memcpy(b.p + idx_off + c * 16, &start, 8);
		memcpy(b.p + idx_off + c * 16 + 8, &size, 8);
	}
	dtrec_percpu_free(&pc);
	if (b.err) {
		free(b.p);
		return dtrec_seterr(err, errlen, b.err, "out of memory");
	}
	if (fwrite(b.p, 1, b.len, out) != b.len || fflush(out)) {
		free(b.p);
		return dtrec_seterr(err, errlen, -EIO, "write error");
	}
	free(b.p);
	return 0;
}
