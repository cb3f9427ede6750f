// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dtrec_audit() on snapshot streams built here record by record, with
 * a 1 GHz clock so that ns == ts and every duration is known exactly.
 * A clean sequence modelled on the real entry, sync and alternate
 * scheduling paths must report nothing; each broken sequence must
 * report exactly the rule it breaks, on the right CPU and pid.
 */
#include <stdlib.h>
#include <string.h>
#include "dtrec.h"

#define IS	DTREC_ST_INBAND_STALLED
#define OS	DTREC_ST_OOB_STALLED
#define OOB	DTREC_ST_STAGE_OOB
#define PIPE	DTREC_ST_IN_PIPELINE
#define HOFF	DTREC_ST_HARD_OFF
#define NMI	DTREC_ST_IN_NMI
#define TOOB	DTREC_ST_TASK_OOB
#define HIRQ	DTREC_ST_IN_HARDIRQ

#define MAXREC	4096
#define MAXCPU	2

#include "check.h"

struct snapb {
	struct dtrec_record r[MAXCPU][MAXREC];
	size_t n[MAXCPU];
	uint64_t now;
	int torn_next[MAXCPU];
	uint32_t mask;		/* 0: every class */
};

static struct snapb sb;
static char *out;	/* JSON of the last audit */
static int nviol;

static void begin(const char *name)
{
	case_begin(name);
	memset(&sb, 0, sizeof(sb));
	sb.now = 1000;
}

static void end(void)
{
	if (case_failed && out)
		printf("     audit said: %s", out);
	case_end();
	free(out);
	out = NULL;
}

/* Append one record on cpu, dt ns after the previous one (any CPU). */
static uint64_t ev(unsigned int cpu, uint64_t dt, uint32_t pid, uint16_t event,
		   uint32_t arg, uint32_t arg2, uint16_t state)
{
	size_t pos = sb.n[cpu]++;
	struct dtrec_record *r = &sb.r[cpu][pos];

	sb.now += dt;
	r->seq = sb.torn_next[cpu] ? 0 : pos + 1;
	sb.torn_next[cpu] = 0;
	r->ts = sb.now;
	r->pid = pid;
	r->arg = arg;
	r->arg2 = arg2;
	r->event = event;
	r->state = state;
	return sb.now;
}

static struct dtrec_snapshot *build(void)
{
	size_t len = sizeof(struct dtrec_snap_header) +
		     MAXCPU * (sizeof(struct dtrec_snap_cpu) + MAXREC * sizeof(struct dtrec_record));
	unsigned char *buf = calloc(1, len), *p = buf;
	struct dtrec_snap_header *h = (void *)buf;
	struct dtrec_snapshot *s = NULL;
	char err[DTREC_ERRLEN] = "";
	unsigned int c;

	h->magic = DTREC_SNAP_MAGIC;
	h->version = DTREC_SNAP_VERSION;
	h->header_size = sizeof(*h);
	h->nr_cpus = MAXCPU;
	h->rec_size = sizeof(struct dtrec_record);
	h->clock_hz = 1000000000ULL;
	h->ref_cycles = 1ULL << 40;
	h->ref_ns = 1ULL << 40;
	h->event_mask = sb.mask ? sb.mask : DTREC_ALL_CLASSES;
	h->format_version = DTREC_FORMAT_VERSION;
	strcpy(h->release, "6.6.0-audit-test");
	p += sizeof(*h);
	for (c = 0; c < MAXCPU; c++) {
		struct dtrec_snap_cpu sc = { c, MAXREC, sb.n[c] };

		memcpy(p, &sc, sizeof(sc));
		p += sizeof(sc);
		memcpy(p, sb.r[c], sizeof(sb.r[c]));
		p += sizeof(sb.r[c]);
	}
	if (dtrec_parse(buf, len, &s, err, sizeof(err))) {
		printf("     parse: %s\n", err);
		CHECK(!"parse");
	}
	free(buf);
	return s;
}

static void audit(const struct dtrec_audit_opts *o)
{
	struct dtrec_snapshot *s = build();
	size_t len = 0;
	FILE *f;
	char *text = NULL;

	if (!s)
		return;
	f = open_memstream(&out, &len);
	nviol = dtrec_audit(f, s, o, 1);
	fclose(f);
	/* The text form must say the same number. */
	f = open_memstream(&text, &len);
	CHECK(dtrec_audit(f, s, o, 0) == nviol);
	fclose(f);
	CHECK(nviol >= 0);
	CHECK(text && strncmp(text, "audit: ", 7) == 0);
	free(text);
	dtrec_free(s);
	CHECK(out && out[0] == '{' && strstr(out, "\"command\":\"audit\""));
}

static int count(const char *needle)
{
	const char *p = out;
	int n = 0;

	while (p && (p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* Exactly one violation, of this rule, at this record. */
static void expect_only(const char *rule, unsigned int cpu, uint64_t ns, uint32_t pid)
{
	char want[128];

	snprintf(want, sizeof(want), "{\"rule\":\"%s\",\"cpu\":%u,\"ns\":%llu,\"pid\":%u,",
		 rule, cpu, (unsigned long long)ns, pid);
	CHECK(nviol == 1);
	CHECK(count("\"rule\":") == 1);
	if (!strstr(out ? out : "", want)) {
		printf("     missing %s\n", want);
		CHECK(!"violation at the expected record");
	}
	CHECK(count("\"context\":[{") == 1);
}

static void expect_measure(const char *key, uint64_t max, unsigned int cpu, uint64_t at)
{
	char want[160];

	snprintf(want, sizeof(want), "\"%s\":{\"max_ns\":%llu,\"cpu\":%u,\"ns\":%llu,",
		 key, (unsigned long long)max, cpu, (unsigned long long)at);
	if (!strstr(out ? out : "", want)) {
		printf("     missing %s\n", want);
		CHECK(!"measurement");
	}
}

/*
 * An in-band IRQ on x86 6.6: irqentry_enter stalls, the pipeline posts
 * it, handle_oob_irq's caller unstalls inside the pipeline, the exit
 * path syncs the log. Returns the post and play times via pointers.
 */
static void inband_irq(unsigned int cpu, uint32_t pid, uint32_t irq,
		       uint64_t *post, uint64_t *stall, uint64_t *play)
{
	ev(cpu, 100, pid, DTREC_EV_INBAND_STALL, 0, 0, IS | HOFF);
	ev(cpu, 10, pid, DTREC_EV_SWITCH_OOB, 0, 0, IS | OOB | HOFF);
	ev(cpu, 10, pid, DTREC_EV_PIPELINE_ENTRY, 0, 0, IS | OOB | PIPE | HOFF);
	*post = ev(cpu, 20, pid, DTREC_EV_IRQ_POST, irq, 0, IS | OOB | PIPE | HOFF);
	ev(cpu, 30, pid, DTREC_EV_INBAND_UNSTALL, 0, 0, OOB | PIPE | HOFF);
	ev(cpu, 10, pid, DTREC_EV_PIPELINE_EXIT, 0, 0, OOB | PIPE | HOFF);
	ev(cpu, 10, pid, DTREC_EV_SWITCH_INBAND, 0, 0, HOFF);
	*stall = ev(cpu, 10, pid, DTREC_EV_INBAND_STALL, 0, 0, IS | HOFF);
	*play = ev(cpu, 40, pid, DTREC_EV_IRQ_PLAY, irq, 0, IS | HOFF);
	ev(cpu, 500, pid, DTREC_EV_INBAND_UNSTALL, 0, 0, HOFF);
	ev(cpu, 10, pid, DTREC_EV_MARK, 0, 0, 0);	/* back in task context */
}

/* An oob IRQ handled on pipeline entry; returns the oob stall times. */
static void oob_irq(unsigned int cpu, uint32_t pid, uint32_t irq, uint64_t held,
		    uint64_t *stall, uint64_t *unstall)
{
	ev(cpu, 100, pid, DTREC_EV_SWITCH_OOB, 0, 0, OOB | HOFF);
	ev(cpu, 10, pid, DTREC_EV_PIPELINE_ENTRY, 0, 0, OOB | PIPE | HOFF);
	*stall = ev(cpu, 10, pid, DTREC_EV_OOB_STALL, 0, 0, OS | OOB | PIPE | HOFF);
	ev(cpu, 10, pid, DTREC_EV_OOB_HANDLER_ENTRY, irq, 0, OS | OOB | PIPE | HOFF);
	ev(cpu, held - 20, pid, DTREC_EV_OOB_HANDLER_EXIT, irq, 0, OS | OOB | PIPE | HOFF);
	*unstall = ev(cpu, 10, pid, DTREC_EV_OOB_UNSTALL, 0, 0, OOB | PIPE | HOFF);
	ev(cpu, 10, pid, DTREC_EV_PIPELINE_EXIT, 0, 0, OOB | PIPE | HOFF);
	ev(cpu, 10, pid, DTREC_EV_SWITCH_INBAND, 0, 0, HOFF);
	ev(cpu, 10, pid, DTREC_EV_MARK, 0, 0, 0);
}

/*
 * Task t leaves in-band for oob, helped by n (in-band, next on the
 * CPU), runs oob, then returns in-band through the oob scheduler.
 * with_leave_oob = 0 drops dovetail_leave_oob()'s record (R4 case).
 */
/* When the last round_trip() took its task over: hard IRQs off from there. */
static uint64_t rt_finalize;

static uint64_t round_trip(unsigned int cpu, uint32_t t, uint32_t n, int with_leave_oob)
{
	ev(cpu, 100, t, DTREC_EV_INBAND_STALL, 0, 0, IS);	/* pi_lock irqsave */
	ev(cpu, 10, t, DTREC_EV_LEAVE_INBAND, t, 0, IS);
	rt_finalize = ev(cpu, 50, n, DTREC_EV_FINALIZE_OOB, t, 0, IS | HOFF);
	ev(cpu, 10, n, DTREC_EV_OOB_STALL, 0, 0, IS | OS | HOFF);
	ev(cpu, 10, n, DTREC_EV_SWITCH_OOB, 0, 0, IS | OS | OOB | HOFF);
	ev(cpu, 10, n, DTREC_EV_OOB_SWITCH, n, t | DTREC_CSW_LEAVE_INBAND, IS | OS | OOB | HOFF);
	ev(cpu, 10, t, DTREC_EV_SWITCHED_OOB, t, 0, IS | OS | OOB | HOFF | TOOB);
	ev(cpu, 10, t, DTREC_EV_OOB_UNSTALL, 0, 0, IS | OOB | TOOB);
	ev(cpu, 300, t, DTREC_EV_MARK, 1, 0, IS | OOB | TOOB);	/* runs oob */
	if (with_leave_oob)
		ev(cpu, 10, t, DTREC_EV_LEAVE_OOB, t, 0, IS | OOB | HOFF);
	ev(cpu, 10, t, DTREC_EV_OOB_SWITCH, t, n, IS | OOB | HOFF);
	ev(cpu, 10, n, DTREC_EV_SWITCH_INBAND, 0, 0, IS | HOFF);
	ev(cpu, 10, n, DTREC_EV_INBAND_UNSTALL, 0, 0, HOFF);
	ev(cpu, 10, n, DTREC_EV_MARK, 2, 0, 0);
	/* The in-band scheduler picks t again: dovetail_context_switch tail. */
	ev(cpu, 200, t, DTREC_EV_SWITCH_INBAND, 1, 0, IS | HOFF);
	{
		uint64_t tail = ev(cpu, 10, t, DTREC_EV_INBAND_TAIL, t, 0, IS | HOFF);

		ev(cpu, 10, t, DTREC_EV_RESUME_INBAND, t, n, IS);
		ev(cpu, 10, t, DTREC_EV_INBAND_UNSTALL, 0, 0, 0);
		return tail;
	}
}

static void test_clean(void)
{
	uint64_t post, stall, play, os0, os1, ps0, pp, t;
	struct dtrec_audit_opts o = { 0, 0, 0, 2 };

	begin("clean sequence: no violation, exact measurements");
	ev(0, 0, 100, DTREC_EV_MARK, 0, 0, 0);
	ev(1, 0, 200, DTREC_EV_MARK, 0, 0, 0);
	inband_irq(0, 100, 33, &post, &stall, &play);
	oob_irq(0, 100, 20, 2000, &os0, &os1);
	round_trip(0, 300, 100, 1);
	/* CPU 1: a second in-band IRQ and an NMI in task context. */
	inband_irq(1, 200, 40, &ps0, &pp, &t);
	ev(1, 10, 200, DTREC_EV_MARK, 0, 0, HOFF | NMI);
	ev(1, 10, 200, DTREC_EV_NMI_RESTORE, 0, 0, 0);
	audit(&o);
	CHECK(nviol == 0);
	CHECK(count("\"violations\":[]") == 1);
	CHECK(count("\"skipped\":[]") == 1);
	/* Longest oob stall: the oob IRQ's handler, held 2000 ns from stall. */
	expect_measure("oob_stall", os1 - os0, 0, os0);
	/*
	 * In-band stall with an IRQ pending: post .. in-pipeline unstall
	 * (30 ns), then the sync's own stall .. play (40 ns). CPU 1 ties
	 * with CPU 0 and the first one found is kept.
	 */
	expect_measure("inband_stall_pending", play - stall, 0, stall);
	CHECK(count("\"sections\":4,") == 1);
	/*
	 * Hard IRQs off: IRQ frames and in-band stall changes do not count
	 * (the return from an IRQ and the pipeline's own irqsave leave no
	 * record), and a section ends at its last hard-off record. Longest:
	 * the round trip's hand-over, finalize_oob .. switched_oob.
	 */
	expect_measure("hard_off", 40, 0, rt_finalize);
	(void)ps0; (void)pp; (void)t;
	/* Post-to-play latency of irq 33 on CPU 0. */
	{
		char want[96];

		snprintf(want, sizeof(want),
			 "{\"stage\":\"inband\",\"irq\":33,\"count\":1,\"min_ns\":%llu,",
			 (unsigned long long)(play - post));
		CHECK(strstr(out, want) != NULL);
	}
	CHECK(count("\"irq\":40,\"count\":1") == 1);
	end();
}

/* An IRQ frame landing on a stalled in-band stage: nothing is played. */
static void stalled_frame(unsigned int cpu, uint32_t pid, int nr, const uint32_t *irqs)
{
	int k;

	ev(cpu, 50, pid, DTREC_EV_SWITCH_OOB, 0, 0, IS | OOB | HOFF);
	ev(cpu, 10, pid, DTREC_EV_PIPELINE_ENTRY, 0, 0, IS | OOB | PIPE | HOFF);
	for (k = 0; k < nr; k++)
		ev(cpu, 10, pid, DTREC_EV_IRQ_POST, irqs[k], 0, IS | OOB | PIPE | HOFF);
	ev(cpu, 10, pid, DTREC_EV_PIPELINE_EXIT, 0, 0, IS | OOB | PIPE | HOFF);
	ev(cpu, 10, pid, DTREC_EV_SWITCH_INBAND, 0, 0, IS | HOFF);
}

static void test_clean_softirq(void)
{
	static const uint32_t two[] = { 33, 34 };

	begin("clean: softirqs unstall and sync inside an in-band handler");
	ev(0, 0, 50, DTREC_EV_MARK, 0, 0, 0);
	ev(0, 100, 50, DTREC_EV_INBAND_STALL, 0, 0, IS);	/* local_irq_disable */
	stalled_frame(0, 50, 2, two);
	ev(0, 100, 50, DTREC_EV_INBAND_UNSTALL, 0, 0, HOFF);	/* local_irq_enable */
	ev(0, 10, 50, DTREC_EV_INBAND_STALL, 0, 0, IS | HOFF);	/* its sync */
	ev(0, 10, 50, DTREC_EV_IRQ_PLAY, 33, 0, IS | HOFF);
	/* irq 33's handler: irq_exit runs softirqs, IRQs enabled inside. */
	ev(0, 50, 50, DTREC_EV_INBAND_UNSTALL, 0, 0, 0);
	ev(0, 10, 50, DTREC_EV_INBAND_STALL, 0, 0, IS | HOFF);	/* nested sync */
	ev(0, 10, 50, DTREC_EV_IRQ_PLAY, 34, 0, IS | HOFF);
	ev(0, 50, 50, DTREC_EV_INBAND_UNSTALL, 0, 0, 0);
	ev(0, 100, 50, DTREC_EV_MARK, 0, 0, 0);			/* softirq work */
	ev(0, 10, 50, DTREC_EV_INBAND_STALL, 0, 0, IS);		/* softirq end */
	stalled_frame(0, 50, 1, two);				/* hard IRQs are on */
	ev(0, 20, 50, DTREC_EV_IRQ_PLAY, 33, 0, IS | HOFF);	/* outer loop goes on */
	ev(0, 50, 50, DTREC_EV_INBAND_UNSTALL, 0, 0, HOFF);
	ev(0, 10, 50, DTREC_EV_MARK, 0, 0, 0);
	audit(NULL);
	CHECK(nviol == 0);
	CHECK(count("\"irq\":33,\"count\":2") == 1);
	end();
}

static void test_r1(void)
{
	uint64_t t;

	begin("R1: oob stage stalled with hard IRQs on");
	ev(1, 0, 42, DTREC_EV_MARK, 0, 0, 0);
	ev(1, 100, 42, DTREC_EV_SWITCH_OOB, 0, 0, OOB | HOFF);
	t = ev(1, 10, 42, DTREC_EV_OOB_STALL, 0, 0, OS | OOB);
	ev(1, 10, 42, DTREC_EV_OOB_UNSTALL, 0, 0, OOB | HOFF);
	ev(1, 10, 42, DTREC_EV_SWITCH_INBAND, 0, 0, HOFF);
	audit(NULL);
	expect_only("R1", 1, t, 42);
	end();
}

static void test_r2(void)
{
	uint64_t t;

	begin("R2: leave_inband entered with the in-band stage stalled");
	ev(1, 0, 42, DTREC_EV_MARK, 0, 0, 0);
	ev(1, 100, 42, DTREC_EV_INBAND_STALL, 0, 0, IS);	/* local_irq_disable */
	ev(1, 100, 42, DTREC_EV_MARK, 0, 0, IS);		/* still stalled */
	t = ev(1, 10, 42, DTREC_EV_LEAVE_INBAND, 42, 0, IS);
	audit(NULL);
	expect_only("R2", 1, t, 42);
	end();
}

static void test_r3_stalled_sync(void)
{
	uint64_t t;

	begin("R3: log played into a stage stalled before the sync");
	ev(1, 0, 42, DTREC_EV_MARK, 0, 0, 0);
	ev(1, 100, 42, DTREC_EV_INBAND_STALL, 0, 0, IS);
	ev(1, 100, 42, DTREC_EV_MARK, 0, 0, IS | HOFF);
	t = ev(1, 10, 42, DTREC_EV_IRQ_PLAY, 33, 0, IS | HOFF);
	ev(1, 10, 42, DTREC_EV_INBAND_UNSTALL, 0, 0, HOFF);
	audit(NULL);
	expect_only("R3", 1, t, 42);
	end();
}

/*
 * IRQ 33 posted to CPU1's in-band log while stalled (from the oob stage),
 * then a raw unstall with it pending: the unstall's timestamp.
 */
static uint64_t post_then_raw_unstall(void)
{
	ev(1, 0, 42, DTREC_EV_MARK, 0, 0, IS);
	ev(1, 100, 42, DTREC_EV_SWITCH_OOB, 0, 0, IS | OOB | HOFF);
	ev(1, 10, 42, DTREC_EV_PIPELINE_ENTRY, 0, 0, IS | OOB | PIPE | HOFF);
	ev(1, 10, 42, DTREC_EV_IRQ_POST, 33, 0, IS | OOB | PIPE | HOFF);
	ev(1, 10, 42, DTREC_EV_PIPELINE_EXIT, 0, 0, IS | OOB | PIPE | HOFF);
	ev(1, 10, 42, DTREC_EV_SWITCH_INBAND, 0, 0, IS | HOFF);
	return ev(1, 10, 42, DTREC_EV_INBAND_UNSTALL, 0, 0, HOFF);
}

static void test_r3_left_pending(void)
{
	uint64_t t;

	begin("R3: in-band IRQ left pending past an unstall");
	t = post_then_raw_unstall();	/* no sync follows */
	ev(1, 100, 42, DTREC_EV_INBAND_STALL, 0, 0, IS);
	ev(1, 100, 42, DTREC_EV_INBAND_UNSTALL, 0, 0, 0);
	audit(NULL);
	expect_only("R3", 1, t, 42);
	CHECK(count("left irq 33 pending") == 1);
	end();
}

static void test_r3_synced_in_pipeline(void)
{
	begin("R3: a raw unstall whose IRQs the next pipeline entry plays");
	/*
	 * arm64's entry code unstalls raw with an IRQ pending; the next IRQ
	 * syncs the log at the end of its pipeline entry (plays in IRQ
	 * context), before the task's own next stall: nothing was left.
	 */
	post_then_raw_unstall();
	ev(1, 10, 42, DTREC_EV_PIPELINE_ENTRY, 0, 0, PIPE | HOFF);
	ev(1, 10, 42, DTREC_EV_IRQ_POST, 34, 0, PIPE | HOFF);
	ev(1, 10, 42, DTREC_EV_IRQ_PLAY, 33, 0, IS | HIRQ | HOFF);
	ev(1, 10, 42, DTREC_EV_IRQ_PLAY, 34, 0, IS | HIRQ | HOFF);
	ev(1, 10, 42, DTREC_EV_PIPELINE_EXIT, 0, 0, IS | PIPE | HOFF);
	ev(1, 10, 42, DTREC_EV_INBAND_STALL, 0, 0, IS | HOFF);
	ev(1, 10, 42, DTREC_EV_INBAND_UNSTALL, 0, 0, HOFF);
	audit(NULL);
	CHECK(nviol == 0);
	end();
}

static void test_r4_inflight(void)
{
	uint64_t t;

	begin("R4: leave_inband while a finalized task never switched oob");
	ev(1, 0, 42, DTREC_EV_MARK, 0, 0, 0);
	ev(1, 100, 42, DTREC_EV_INBAND_STALL, 0, 0, IS);
	ev(1, 10, 42, DTREC_EV_LEAVE_INBAND, 42, 0, IS);
	ev(1, 50, 7, DTREC_EV_FINALIZE_OOB, 42, 0, IS | HOFF);
	ev(1, 10, 7, DTREC_EV_INBAND_UNSTALL, 0, 0, HOFF);
	ev(1, 100, 43, DTREC_EV_INBAND_STALL, 0, 0, IS);
	t = ev(1, 10, 43, DTREC_EV_LEAVE_INBAND, 43, 0, IS);
	audit(NULL);
	expect_only("R4", 1, t, 43);
	end();
}

static void test_r4_no_leave_oob(void)
{
	uint64_t t;

	begin("R4: inband_tail without leave_oob");
	ev(0, 0, 7, DTREC_EV_MARK, 0, 0, 0);
	ev(1, 0, 7, DTREC_EV_MARK, 0, 0, 0);
	t = round_trip(1, 42, 7, 0);
	audit(NULL);
	expect_only("R4", 1, t, 42);
	end();
}

static void test_r5_switch_state(void)
{
	uint64_t t;

	begin("R5: switch_oob record whose stage is in-band");
	ev(1, 0, 42, DTREC_EV_MARK, 0, 0, HOFF);
	t = ev(1, 10, 42, DTREC_EV_SWITCH_OOB, 0, 0, HOFF);
	ev(1, 10, 42, DTREC_EV_MARK, 0, 0, HOFF);
	audit(NULL);
	expect_only("R5", 1, t, 42);
	end();
}

static void test_r5_silent_change(void)
{
	uint64_t t;

	begin("R5: stage changes with no switch; not judged across a torn slot");
	ev(1, 0, 42, DTREC_EV_MARK, 0, 0, HOFF);
	t = ev(1, 10, 42, DTREC_EV_MARK, 0, 0, OOB | HOFF);
	ev(1, 10, 42, DTREC_EV_SWITCH_INBAND, 0, 0, HOFF);
	/* Same flip after a torn record: nothing to say. */
	sb.torn_next[1] = 1;
	ev(1, 10, 42, DTREC_EV_MARK, 0, 0, HOFF);
	ev(1, 10, 42, DTREC_EV_MARK, 0, 0, OOB | HOFF);
	audit(NULL);
	expect_only("R5", 1, t, 42);
	CHECK(count("\"records\":{\"valid\":4,\"torn\":1,") == 1);
	end();
}

/*
 * arm64 (preempt_count per task): the task switched in over the oob
 * stage records stall_oob() before dovetail_leave_inband()'s tail adds
 * STAGE to its own preempt_count (switch_oob, arg 1). Not a violation
 * right after the context switch; the same flip anywhere else is.
 */
static void test_r5_per_task_preempt_count(void)
{
	uint32_t t = 300, n = 100;
	uint64_t bad;

	begin("R5: per-task preempt_count (arm64) after an oob context switch");
	ev(1, 0, t, DTREC_EV_MARK, 0, 0, 0);
	ev(1, 10, t, DTREC_EV_INBAND_STALL, 0, 0, IS);	/* pi_lock irqsave */
	ev(1, 10, t, DTREC_EV_LEAVE_INBAND, t, 0, IS);
	ev(1, 50, n, DTREC_EV_FINALIZE_OOB, t, 0, IS | HOFF);
	ev(1, 10, n, DTREC_EV_OOB_STALL, 0, 0, IS | OS | HOFF);
	ev(1, 10, n, DTREC_EV_SWITCH_OOB, 0, 0, IS | OS | OOB | HOFF);
	ev(1, 10, n, DTREC_EV_OOB_SWITCH, n, t | DTREC_CSW_LEAVE_INBAND, IS | OS | OOB | HOFF);
	ev(1, 10, t, DTREC_EV_OOB_STALL, 0, 0, IS | OS | HOFF);
	ev(1, 10, t, DTREC_EV_SWITCH_OOB, 1, 0, IS | OS | OOB | HOFF | TOOB);
	ev(1, 10, t, DTREC_EV_SWITCHED_OOB, t, 0, IS | OS | OOB | HOFF | TOOB);
	ev(1, 10, t, DTREC_EV_OOB_UNSTALL, 0, 0, IS | OOB | TOOB);
	/* The same task losing the bit with no switch is still caught. */
	bad = ev(1, 10, t, DTREC_EV_OOB_STALL, 0, 0, IS | OS | HOFF);
	audit(NULL);
	expect_only("R5", 1, bad, t);
	end();
}

static void test_r6(void)
{
	uint64_t t;

	begin("R6: nested pipeline entry");
	ev(1, 0, 42, DTREC_EV_MARK, 0, 0, 0);
	ev(1, 100, 42, DTREC_EV_SWITCH_OOB, 0, 0, OOB | HOFF);
	ev(1, 10, 42, DTREC_EV_PIPELINE_ENTRY, 0, 0, OOB | PIPE | HOFF);
	ev(1, 10, 42, DTREC_EV_IRQ_POST, 33, 0, OOB | PIPE | HOFF);
	t = ev(1, 10, 42, DTREC_EV_PIPELINE_ENTRY, 0, 0, OOB | PIPE | HOFF);
	ev(1, 10, 42, DTREC_EV_PIPELINE_EXIT, 0, 0, OOB | PIPE | HOFF);
	ev(1, 10, 42, DTREC_EV_SWITCH_INBAND, 0, 0, HOFF);
	audit(NULL);
	expect_only("R6", 1, t, 42);
	end();
}

static void test_limits(void)
{
	struct dtrec_audit_opts o = { 1500, 0, 100000, 1 };
	uint64_t os0, os1;

	begin("L1: oob stall over the limit; under the default it is clean");
	ev(0, 0, 100, DTREC_EV_MARK, 0, 0, 0);
	oob_irq(0, 100, 20, 2000, &os0, &os1);
	audit(NULL);
	CHECK(nviol == 0);
	free(out);
	out = NULL;
	audit(&o);
	expect_only("L1", 0, os0, 100);
	expect_measure("oob_stall", os1 - os0, 0, os0);
	CHECK(count("\"limit_ns\":1500") == 1);
	/* context 1: the stall record and one neighbour on each side. */
	CHECK(count("\"event\":\"oob_stall\"") == 1 && count("\"event\":\"pipeline_entry\"") == 1 &&
	      count("\"event\":\"oob_handler_entry\"") == 1);
	end();
}

/*
 * L3: hard IRQs go back on without a record. A hard-off record, then
 * nothing for long, then an IRQ's entry path is not a long section; a
 * run of hard-off records is, measured from its first to its last.
 */
static void test_l3(void)
{
	struct dtrec_audit_opts o = { 0, 0, 1000, 1 };
	uint64_t first, last;

	begin("L3: IRQ frames end hard-off sections, which end at their last record");
	ev(0, 0, 100, DTREC_EV_MARK, 0, 0, 0);
	ev(0, 10, 100, DTREC_EV_INBAND_UNSTALL, 0, 0, HOFF);
	/* 50 us later an IRQ: its entry path records start with HOFF. */
	ev(0, 50000, 100, DTREC_EV_INBAND_STALL, 0, 0, IS | HOFF);
	ev(0, 10, 100, DTREC_EV_SWITCH_OOB, 0, 0, IS | OOB | HOFF);
	ev(0, 10, 100, DTREC_EV_PIPELINE_ENTRY, 0, 0, IS | OOB | PIPE | HOFF);
	ev(0, 20, 100, DTREC_EV_PIPELINE_EXIT, 0, 0, IS | OOB | PIPE | HOFF);
	ev(0, 10, 100, DTREC_EV_SWITCH_INBAND, 0, 0, IS | HOFF);
	/* ...and 50 us later another, back to a task with hard IRQs on. */
	ev(0, 50000, 100, DTREC_EV_SWITCH_OOB, 0, 0, IS | OOB | HOFF);
	ev(0, 10, 100, DTREC_EV_PIPELINE_ENTRY, 0, 0, IS | OOB | PIPE | HOFF);
	ev(0, 20, 100, DTREC_EV_PIPELINE_EXIT, 0, 0, IS | OOB | PIPE | HOFF);
	ev(0, 10, 100, DTREC_EV_SWITCH_INBAND, 0, 0, IS | HOFF);
	ev(0, 10, 100, DTREC_EV_INBAND_UNSTALL, 0, 0, 0);
	audit(&o);
	CHECK(nviol == 0);
	free(out);
	out = NULL;
	/* A real hard-off stretch: records 3000 ns apart, all HOFF. */
	ev(1, 0, 200, DTREC_EV_MARK, 0, 0, 0);
	first = ev(1, 100, 200, DTREC_EV_MARK, 1, 0, HOFF);
	ev(1, 1500, 200, DTREC_EV_OOB_STALL, 0, 0, OS | HOFF);
	last = ev(1, 1500, 200, DTREC_EV_OOB_UNSTALL, 0, 0, HOFF);
	ev(1, 90000, 200, DTREC_EV_MARK, 2, 0, 0);
	audit(&o);
	expect_only("L3", 1, first, 200);
	expect_measure("hard_off", last - first, 1, first);
	CHECK(count("\"sections\":1,\"open\":0,\"limit_ns\":1000}") == 1);
	end();

	/*
	 * The same stretch from the first record of the data: when it
	 * began is unknown, so it is open and never a measured duration.
	 */
	begin("L3: a section open at the start or the end of the data is not measured");
	ev(1, 0, 200, DTREC_EV_MARK, 1, 0, HOFF);
	ev(1, 1500, 200, DTREC_EV_OOB_STALL, 0, 0, OS | HOFF);
	ev(1, 1500, 200, DTREC_EV_OOB_UNSTALL, 0, 0, HOFF);
	ev(1, 90000, 200, DTREC_EV_MARK, 2, 0, 0);
	/* ...and one still on at the end of the data. */
	ev(1, 100, 200, DTREC_EV_MARK, 3, 0, HOFF);
	ev(1, 90000, 200, DTREC_EV_MARK, 4, 0, HOFF);
	audit(&o);
	CHECK(nviol == 0);
	CHECK(count("\"hard_off\":{\"max_ns\":0,\"cpu\":-1,\"ns\":0,\"pid\":0,\"sections\":0,\"open\":2,") == 1);
	end();
}

static void test_masked(void)
{
	begin("R2/R4 not judged when the task class was not recorded");
	sb.mask = DTREC_ALL_CLASSES & ~(1U << DTREC_C_TASK);
	ev(1, 0, 42, DTREC_EV_MARK, 0, 0, 0);
	ev(1, 100, 42, DTREC_EV_INBAND_STALL, 0, 0, IS);
	ev(1, 100, 42, DTREC_EV_MARK, 0, 0, IS);
	ev(1, 10, 42, DTREC_EV_LEAVE_INBAND, 42, 0, IS);
	audit(NULL);
	CHECK(nviol == 0);
	CHECK(count("{\"rule\":\"R2\",\"reason\":") == 1);
	CHECK(count("{\"rule\":\"R4\",\"reason\":") == 1);
	end();
}

static void test_cap(void)
{
	int k;

	begin("a flood of violations: all counted, 1000 per rule listed");
	for (k = 0; k < 1100; k++) {
		ev(0, 10, 42, DTREC_EV_MARK, 0, 0, OS);
		ev(0, 10, 42, DTREC_EV_MARK, 0, 0, 0);
	}
	audit(NULL);
	CHECK(nviol == 1100);
	CHECK(count("{\"rule\":\"R1\"") == 1000);
	CHECK(count("\"unlisted\":100}") == 1);
	end();
}

int main(void)
{
	test_clean();
	test_clean_softirq();
	test_r1();
	test_r2();
	test_r3_stalled_sync();
	test_r3_left_pending();
	test_r3_synced_in_pipeline();
	test_r4_inflight();
	test_r4_no_leave_oob();
	test_r5_switch_state();
	test_r5_silent_change();
	test_r5_per_task_preempt_count();
	test_r6();
	test_limits();
	test_l3();
	test_masked();
	test_cap();
	return failed;
}
