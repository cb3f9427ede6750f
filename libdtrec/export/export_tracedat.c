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
#include "intervals.h"

#define PAGE_SZ		4096U
#define PAGE_HDR	16U		/* u64 timestamp + 64-bit local_t commit */
#define PAGE_DATA	(PAGE_SZ - PAGE_HDR)
#define EV_ID_BASE	1000U		/* ftrace ids of "dovetail" events */
#define PAYLOAD		28U		/* struct below, padded to 4 bytes */
#define TYPE_TIME_EXTEND 30U
#define DELTA_BITS	27U
#define MAX_CPU_ID	4095U
/* The interval model's sections: one event after the recorder's (and "unknown"). */
#define EV_SECTION	(DTREC_NR_EVENTS + 1)

/* Layout the event formats below describe (little or host endian). */
struct tdat_event {
	uint16_t common_type;
	uint8_t common_flags;
	uint8_t common_preempt_count;
	int32_t common_pid;
	uint64_t pos;
	uint32_t a;		/* arg, or what the event's fields make of it */
	uint32_t b;		/* arg2, or its low part */
	uint16_t state;
	uint8_t c;		/* a flag out of arg2 (coalesced, leave_inband) */
	uint8_t pad;
} __attribute__((packed));

/*
 * Each event's own field names for the two argument slots (and the
 * flag byte), so that filters read as the print format does:
 * -F 'dovetail/irq_post: irq == 4355'. The names are libdtrec's
 * (dtrec_event_arg_names); a slot an event does not use keeps its
 * generic name.
 */
struct fields {
	const char *a, *b, *c;
};

static struct fields fields_of(unsigned int ev)
{
	struct fields f;

	dtrec_event_arg_names(ev, &f.a, &f.b, &f.c);
	if (!f.a)
		f.a = "arg";
	if (!f.b)
		f.b = "arg2";
	return f;
}

/* The payload slots of a record under its event's fields. */
static void fill_slots(struct tdat_event *te, const struct dtrec_ev *e)
{
	uint32_t b, c;

	dtrec_event_arg_split(e->event, e->arg2, &b, &c);
	te->a = e->arg;
	te->b = b;
	te->c = (uint8_t)c;
}

/* A section of the interval model, at its start on its CPU: same size. */
struct tdat_section {
	uint16_t common_type;
	uint8_t common_flags;
	uint8_t common_preempt_count;
	int32_t common_pid;
	uint64_t dur_ns;
	uint32_t pid;
	uint32_t irq;
	uint16_t kind;
	uint8_t stage;
	uint8_t open;		/* bit 0: open at the start, bit 1: at the end */
} __attribute__((packed));

typedef char section_fits[sizeof(struct tdat_section) == PAYLOAD ? 1 : -1];

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

/* The fields every ftrace event starts with (struct trace_entry). */
#define COMMON_FIELDS \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n" \
	"\n"

#define STATE_FLAGS "__print_flags(REC->state, \"|\", " \
	"{ 0x1, \"IS\" }, { 0x2, \"OS\" }, { 0x4, \"OOB\" }, { 0x8, \"PIPE\" }, " \
	"{ 0x10, \"HOFF\" }, { 0x20, \"NMI\" }, { 0x40, \"HIRQ\" }, { 0x80, \"TOOB\" })"

/* Event-specific text, over the event's own fields (fields_of()). */
static const char *print_fmt(unsigned int ev)
{
	switch (ev) {
	case DTREC_EV_IRQ_POST:
		return "\"irq=%u stage=%u coalesced=%u state=%s\", REC->irq, REC->stage, REC->coalesced, " STATE_FLAGS;
	case DTREC_EV_IRQ_PLAY:
		return "\"irq=%u stage=%u state=%s\", REC->irq, REC->stage, " STATE_FLAGS;
	case DTREC_EV_OOB_HANDLER_ENTRY:
	case DTREC_EV_OOB_HANDLER_EXIT:
		return "\"irq=%u state=%s\", REC->irq, " STATE_FLAGS;
	case DTREC_EV_LEAVE_INBAND:
	case DTREC_EV_FINALIZE_OOB:
	case DTREC_EV_SWITCHED_OOB:
	case DTREC_EV_LEAVE_OOB:
	case DTREC_EV_INBAND_TAIL:
		return "\"task=%u state=%s\", REC->task, " STATE_FLAGS;
	case DTREC_EV_RESUME_INBAND:
		return "\"task=%u rqlock_owner=%u state=%s\", REC->task, REC->rqlock_owner, " STATE_FLAGS;
	case DTREC_EV_OOB_SWITCH:
		return "\"prev=%u next=%u leave_inband=%u state=%s\", REC->prev, REC->next, REC->leave_inband, " STATE_FLAGS;
	case DTREC_EV_NMI_RESTORE:
		return "\"stall_bits=0x%x state=%s\", REC->stall_bits, " STATE_FLAGS;
	case DTREC_EV_FREEZE:
		return "\"reason=%u state=%s\", REC->reason, " STATE_FLAGS;
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
	struct fields f = fields_of(ev);
	char flag[96] = "";

	if (f.c)
		snprintf(flag, sizeof(flag),
			 "\tfield:unsigned char %s;\toffset:26;\tsize:1;\tsigned:0;\n", f.c);
	return snprintf(buf, len,
		"name: %s\n"
		"ID: %u\n"
		"format:\n"
		COMMON_FIELDS
		"\tfield:u64 pos;\toffset:8;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned int %s;\toffset:16;\tsize:4;\tsigned:0;\n"
		"\tfield:unsigned int %s;\toffset:20;\tsize:4;\tsigned:0;\n"
		"\tfield:unsigned short state;\toffset:24;\tsize:2;\tsigned:0;\n"
		"%s"
		"\n"
		"print fmt: %s\n",
		ev < DTREC_NR_EVENTS ? dtrec_event_name(ev) : "unknown",
		EV_ID_BASE + ev, f.a, f.b, flag, print_fmt(ev));
}

static int section_format(char *buf, size_t len)
{
	int n = snprintf(buf, len,
		"name: section\n"
		"ID: %u\n"
		"format:\n"
		COMMON_FIELDS
		"\tfield:u64 dur_ns;\toffset:8;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned int pid;\toffset:16;\tsize:4;\tsigned:0;\n"
		"\tfield:unsigned int irq;\toffset:20;\tsize:4;\tsigned:0;\n"
		"\tfield:unsigned short kind;\toffset:24;\tsize:2;\tsigned:0;\n"
		"\tfield:unsigned char stage;\toffset:26;\tsize:1;\tsigned:0;\n"
		"\tfield:unsigned char open;\toffset:27;\tsize:1;\tsigned:0;\n"
		"\n"
		"print fmt: \"kind=%%s dur_ns=%%llu pid=%%u irq=%%u stage=%%u open=%%s\", __print_symbolic(REC->kind",
		EV_ID_BASE + EV_SECTION);
	unsigned int k;

	for (k = 0; k < DTREC_IV_NR && n > 0 && (size_t)n < len; k++)
		n += snprintf(buf + n, len - (size_t)n, ", { %u, \"%s\" }", k, dtrec_iv_name(k));
	if (n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n,
			      "), REC->dur_ns, REC->pid, REC->irq, REC->stage, __print_flags(REC->open, \"|\", { 1, \"start\" }, { 2, \"end\" })\n");
	return n;
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

/* Ring-buffer pages of one CPU, filled in time order. */
struct pages {
	struct obuf *b;
	const struct dtrec_snapshot *s;	/* for the comms of sched_switch */
	unsigned char page[PAGE_SZ];
	size_t used;
	uint64_t last;
	int open;
};

static void page_flush(struct pages *p)
{
	if (!p->open)
		return;
	memcpy(p->page + 8, &(uint64_t){ p->used }, 8);
	put(p->b, p->page, PAGE_SZ);
	p->open = 0;
}

/* One payload of size bytes (a multiple of 4, at most 112) at ns. */
static void page_add_sized(struct pages *p, uint64_t ns, const void *payload,
			   size_t size)
{
	uint64_t delta = p->open && ns > p->last ? ns - p->last : 0;
	size_t need = 4 + size + (delta >> DELTA_BITS ? 8 : 0);
	uint32_t h;

	if (p->open && p->used + need > PAGE_DATA)
		page_flush(p);
	if (!p->open) {
		memset(p->page, 0, sizeof(p->page));
		memcpy(p->page, &ns, 8);
		p->used = 0;
		delta = 0;
		p->open = 1;
	}
	if (delta >> DELTA_BITS) {
		uint32_t hi = (uint32_t)(delta >> DELTA_BITS);

		h = TYPE_TIME_EXTEND | (uint32_t)((delta & ((1U << DELTA_BITS) - 1)) << 5);
		memcpy(p->page + PAGE_HDR + p->used, &h, 4);
		memcpy(p->page + PAGE_HDR + p->used + 4, &hi, 4);
		p->used += 8;
		delta = 0;
	}
	h = (uint32_t)(size / 4) | (uint32_t)(delta << 5);
	memcpy(p->page + PAGE_HDR + p->used, &h, 4);
	memcpy(p->page + PAGE_HDR + p->used + 4, payload, size);
	p->used += 4 + size;
	p->last = ns;
}

/* One 28-byte payload at ns (never before the previous one). */
static void page_add(struct pages *p, uint64_t ns, const void *payload)
{
	page_add_sized(p, ns, payload, PAYLOAD);
}

/*
 * A sched_switch as the kernel's sched/sched_switch lays it out, so
 * that KernelShark and trace-cmd draw which task ran when: one at the
 * start of each task section of the interval model (a new pid current
 * on the CPU, or the same one changing stage), from the section before
 * it. A task on the oob stage is named "COMM:oob" in the event.
 */
struct tdat_switch {
	uint16_t common_type;
	uint8_t common_flags;
	uint8_t common_preempt_count;
	int32_t common_pid;
	char prev_comm[16];
	int32_t prev_pid;
	int32_t prev_prio;
	int64_t prev_state;
	char next_comm[16];
	int32_t next_pid;
	int32_t next_prio;
} __attribute__((packed));

#define SCHED_SWITCH_ID	316U	/* the kernel's, on x86_64 6.6 */
#define TASK_PRIO	120	/* the nice-0 priority: the recorder has none */

/*
 * A task's name: its comm from the snapshot's names block, else
 * pid-N (<idle> for 0). Control characters and spaces become '?', so
 * that saved_cmdlines ("PID COMM" lines) stays parseable.
 */
static void comm_name(char *buf, size_t len, const struct dtrec_snapshot *s,
		      uint32_t pid)
{
	const char *comm = dtrec_comm(s, pid);
	size_t i;

	if (comm)
		snprintf(buf, len, "%s", comm);
	else if (pid)
		snprintf(buf, len, "pid-%u", pid);
	else
		snprintf(buf, len, "<idle>");
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] <= ' ' || buf[i] == 0x7f)
			buf[i] = '?';
}

static void task_comm(char *buf, const struct dtrec_snapshot *s,
		      const struct dtrec_iv *v)
{
	char name[17];

	comm_name(name, sizeof(name), s, v->pid);
	snprintf(buf, 16, "%.*s%s", v->stage ? 11 : 15, name, v->stage ? ":oob" : "");
}

static void switch_add(struct pages *p, const struct dtrec_iv *prev,
		       const struct dtrec_iv *next)
{
	struct tdat_switch sw;

	memset(&sw, 0, sizeof(sw));
	sw.common_type = (uint16_t)SCHED_SWITCH_ID;
	sw.common_pid = (int32_t)prev->pid;
	task_comm(sw.prev_comm, p->s, prev);
	sw.prev_pid = (int32_t)prev->pid;
	sw.prev_prio = TASK_PRIO;
	task_comm(sw.next_comm, p->s, next);
	sw.next_pid = (int32_t)next->pid;
	sw.next_prio = TASK_PRIO;
	page_add_sized(p, next->start, &sw, sizeof(sw));
}

static const char sched_switch_format[] =
	"name: sched_switch\n"
	"ID: 316\n"
	"format:\n"
	COMMON_FIELDS
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s ==> next_comm=%s next_pid=%d next_prio=%d\", "
	"REC->prev_comm, REC->prev_pid, REC->prev_prio, __print_symbolic(REC->prev_state, { 0, \"R\" }), "
	"REC->next_comm, REC->next_pid, REC->next_prio\n";

typedef char switch_fits[sizeof(struct tdat_switch) == 64 ? 1 : -1];

static void section_add(struct pages *p, const struct dtrec_iv *v)
{
	struct tdat_section ts;

	memset(&ts, 0, sizeof(ts));
	ts.common_type = (uint16_t)(EV_ID_BASE + EV_SECTION);
	ts.common_pid = (int32_t)v->pid;
	ts.dur_ns = v->end - v->start;
	ts.pid = v->pid;
	ts.irq = v->irq;
	ts.kind = v->kind;
	ts.stage = v->stage;
	ts.open = (uint8_t)(v->flags & DTREC_IV_OPEN);
	page_add(p, v->start, &ts);
}

/*
 * One CPU's events as ring-buffer pages appended to b, with the
 * sections that start on it (ivs[0..niv), by start) merged in: each
 * after the record that opened it. The task sections become
 * sched_switch events.
 */
static void cpu_pages(struct obuf *b, const struct dtrec_snapshot *s,
		      const struct dtrec_cpuv *cv, const struct dtrec_iv *ivs, size_t niv)
{
	struct pages p = { .b = b, .s = s };
	const struct dtrec_iv *task = NULL;
	size_t i, k = 0;

	for (i = 0; i <= cv->n && !b->err; i++) {
		const struct dtrec_ev *e = i < cv->n ? cv->ev[i] : NULL;
		struct tdat_event te;

		for (; k < niv && (!e || ivs[k].start < e->ns); k++)
			if (ivs[k].kind != DTREC_IV_TASK) {
				section_add(&p, &ivs[k]);
			} else {
				/* After a hole the task before is unknown: no switch. */
				if (task && !(ivs[k].flags & DTREC_IV_OPEN_START))
					switch_add(&p, task, &ivs[k]);
				task = &ivs[k];
			}
		if (!e)
			break;
		if (e->status != DTREC_OK)
			continue;
		memset(&te, 0, sizeof(te));
		/* Numbers past the table share one "unknown" event, as in decode. */
		te.common_type = (uint16_t)(EV_ID_BASE + (e->event < DTREC_NR_EVENTS ?
							  e->event : DTREC_NR_EVENTS));
		te.common_flags = trace_flags(e->state);
		te.common_pid = (int32_t)e->pid;
		te.pos = e->pos;
		fill_slots(&te, e);
		te.state = e->state;
		page_add(&p, e->ns, &te);
	}
	page_flush(&p);
}

/* saved_cmdlines: each pid by its comm from the names block, else "pid-N". */
static void cmdlines(struct obuf *b, const struct dtrec_snapshot *s)
{
	struct obuf t = { 0 };
	uint32_t *pids = malloc((s->nr_events + s->nr_comms + 1) * sizeof(*pids));
	size_t i, n = 0;
	char line[48], name[17];

	if (!pids) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < s->nr_events; i++)
		if (s->events[i].status == DTREC_OK)
			pids[n++] = s->events[i].pid;
	/* and every task the names block names (those of task events too) */
	for (i = 0; i < s->nr_comms; i++)
		pids[n++] = s->comms[i].pid;
	qsort(pids, n, sizeof(*pids), dtrec_percpu_cmp_u32);
	for (i = 0; i < n; i++) {
		int l;

		if (i && pids[i] == pids[i - 1])
			continue;
		comm_name(name, sizeof(name), s, pids[i]);
		l = snprintf(line, sizeof(line), "%u %s\n", pids[i], name);
		put(&t, line, (size_t)l);
	}
	free(pids);
	if (t.err)
		b->err = t.err;
	put_sized64(b, t.p ? (const char *)t.p : "", t.len);
	free(t.p);
}

/* trace-cmd's option ids (trace-cmd.h, TRACECMD_OPTION_*). */
enum {
	OPT_DONE = 0,
	OPT_CPUSTAT = 2,
	OPT_TRACECLOCK = 4,
	OPT_UNAME = 5,
	OPT_CPUCOUNT = 8,
	OPT_VERSION = 9,
};

static void option(struct obuf *b, uint16_t id, const void *data, uint32_t len)
{
	put(b, &id, 2);
	put_u32(b, len);
	put(b, data, len);
}

static void option_str(struct obuf *b, uint16_t id, const char *str)
{
	option(b, id, str, (uint32_t)strlen(str) + 1);
}

/*
 * The options trace-cmd record writes (trace-cmd.dat.v6): the kernel
 * release (uname), the clock (local_clock(), which is what the
 * recorder's ns are), and per CPU the ring's statistics in the words
 * of tracefs' per_cpu/cpuN/stats: read events are the valid records
 * (all in the file, so none left as entries), overrun the records lost
 * to wrap-around, dropped events the torn and stale slots.
 */
static void options(struct obuf *b, const struct dtrec_snapshot *s,
		    const struct dtrec_percpu *pc, uint32_t nr_cpus)
{
	char text[512], rel[sizeof(s->hdr.release) + 1];
	uint16_t done = OPT_DONE;
	size_t i, k;

	put(b, "options  ", 10);
	memcpy(rel, s->hdr.release, sizeof(s->hdr.release));
	rel[sizeof(s->hdr.release)] = '\0';
	for (k = 0; rel[k]; k++)
		if ((unsigned char)rel[k] <= ' ' || (unsigned char)rel[k] >= 0x7f)
			rel[k] = '?';
	/* A max view says so where trace-cmd shows the system. */
	snprintf(text, sizeof(text), "Linux unknown %s %s", rel[0] ? rel : "unknown",
		 s->max_view ? "dovetail-recorder-captured-worst-cases" :
		 "dovetail-recorder-snapshot");
	option_str(b, OPT_UNAME, text);
	option_str(b, OPT_VERSION, "dovetail-trace (libdtrec)");
	option_str(b, OPT_TRACECLOCK, "[local]\n");
	option(b, OPT_CPUCOUNT, &nr_cpus, 4);
	for (i = 0; i < s->nr_cpus && s->cpus; i++) {
		const struct dtrec_cpu_info *ci = &s->cpus[i];
		const struct dtrec_cpuv *cv = dtrec_percpu_find(pc, ci->cpu);
		uint64_t ok = 0, first = 0, last = 0;

		for (k = 0; cv && k < cv->n; k++) {
			if (cv->ev[k]->status != DTREC_OK)
				continue;
			if (!ok++ || cv->ev[k]->ns < first)
				first = cv->ev[k]->ns;
			if (cv->ev[k]->ns > last)
				last = cv->ev[k]->ns;
		}
		snprintf(text, sizeof(text),
			 "CPU: %u\nentries: 0\noverrun: %llu\ncommit overrun: 0\n"
			 "bytes: %llu\noldest event ts: %llu.%06llu\nnow ts: %llu.%06llu\n"
			 "dropped events: %llu\nread events: %llu\n",
			 ci->cpu, (unsigned long long)ci->lost,
			 (unsigned long long)(ok * (4 + PAYLOAD)),
			 (unsigned long long)(first / 1000000000ULL),
			 (unsigned long long)(first % 1000000000ULL / 1000),
			 (unsigned long long)(last / 1000000000ULL),
			 (unsigned long long)(last % 1000000000ULL / 1000),
			 (unsigned long long)(ci->torn + ci->stale), (unsigned long long)ok);
		option_str(b, OPT_CPUSTAT, text);
	}
	put(b, &done, 2);
}

int dtrec_export_tracedat(FILE *out, const struct dtrec_snapshot *s,
			  char *err, size_t errlen)
{
	static const unsigned char magic[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c',
					       'i', 'n', 'g', '6', 0 };
	struct dtrec_percpu pc;
	struct dtrec_ivset set;
	struct obuf b = { 0 };
	char fmt[2048];
	uint32_t nr_cpus = 0, c;
	size_t i, idx_off;
	unsigned int ev;
	int rc;

	if (!out || !s || (s->nr_events && !s->events))
		return dtrec_seterr(err, errlen, -EINVAL, "no snapshot to export");
	rc = dtrec_percpu_build(&pc, s, 0);
	if (!rc) {
		rc = dtrec_intervals_build(&set, s);
		if (rc)
			dtrec_percpu_free(&pc);
	}
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
		dtrec_intervals_free(&set);
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
	put_u32(&b, 2);				/* two systems */
	put_str0(&b, "dovetail");
	put_u32(&b, DTREC_NR_EVENTS + 2);
	for (ev = 0; ev <= DTREC_NR_EVENTS; ev++) {
		int l = event_format(fmt, sizeof(fmt), ev);

		put_sized64(&b, fmt, (size_t)l);
	}
	put_sized64(&b, fmt, (size_t)section_format(fmt, sizeof(fmt)));
	put_str0(&b, "sched");
	put_u32(&b, 1);
	put_sized64(&b, sched_switch_format, sizeof(sched_switch_format) - 1);
	put_u32(&b, 0);				/* kallsyms */
	put_u32(&b, 0);				/* printk formats */
	cmdlines(&b, s);
	put_u32(&b, nr_cpus);
	options(&b, s, &pc, nr_cpus);
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

		if (cv) {
			/* The model's CPUs are the same, in the same order. */
			size_t ci = (size_t)(cv - pc.v);

			/* No interval at all: iv is NULL (NULL + 0 is undefined). */
			cpu_pages(&b, s, cv, set.iv ? set.iv + set.cpu_first[ci] : NULL,
				  set.cpu_first[ci + 1] - set.cpu_first[ci]);
		}
		if (b.err)
			break;
		size = b.len - start;
		memcpy(b.p + idx_off + c * 16, &start, 8);
		memcpy(b.p + idx_off + c * 16 + 8, &size, 8);
	}
	dtrec_percpu_free(&pc);
	dtrec_intervals_free(&set);
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
