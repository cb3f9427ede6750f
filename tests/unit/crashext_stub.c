// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A stand-in for the crash binary: just the symbols dovetail.so binds
 * to, so that a test can dlopen() the extension the way `extend` does,
 * see its constructor register the command, and run subcommands
 * against a "kernel" that has no symbols and no readable memory. Used
 * by test_crashext_build.py through ctypes.
 */
#include "defs.h"
#include "native_desc.h"

struct program_context program_context, *pc = &program_context;
struct kernel_table kernel_table, *kt = &kernel_table;
struct machdep_table machdep_table, *machdep = &machdep_table;
FILE *fp;
char *args[MAXARGS];
int argcnt;

static struct command_table_entry *registered;
static char last_error[1024];
static int nr_reads;

void register_extension(struct command_table_entry *t)
{
	registered = t;
}

int __error(int type, char *fmt, ...)
{
	va_list ap;

	(void)type;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return 0;
}

void cmd_usage(char *cmd, int flags)
{
	(void)flags;
	snprintf(last_error, sizeof(last_error), "usage: %s", cmd);
}

/* ---- a fake kernel: symbols, struct layouts and memory regions ---- */

#define MAXN 64

static struct { char name[64]; ulong addr; } syms[MAXN];
static struct { char s[32], m[32]; long off, size; int nelem; } members[MAXN];
static struct { ulong addr; size_t len; unsigned char *data; } regions[MAXN];
static int nsyms, nmembers, nregions;

void stub_add_symbol(const char *name, ulong addr)
{
	snprintf(syms[nsyms].name, sizeof(syms[0].name), "%s", name);
	syms[nsyms++].addr = addr;
}

/* member NULL: the struct's size. */
void stub_add_member(const char *s, const char *m, long off, long size)
{
	snprintf(members[nmembers].s, sizeof(members[0].s), "%s", s);
	snprintf(members[nmembers].m, sizeof(members[0].m), "%s", m ? m : "");
	members[nmembers].off = off;
	members[nmembers++].size = size;
}

unsigned char *stub_add_memory(ulong addr, size_t len)
{
	regions[nregions].addr = addr;
	regions[nregions].len = len;
	regions[nregions].data = calloc(1, len);
	return regions[nregions++].data;
}

long datatype_info(char *s, char *m, struct datatype_member *dm)
{
	int i;

	for (i = 0; i < nmembers; i++) {
		if (strcmp(members[i].s, s) || strcmp(members[i].m, m ? m : ""))
			continue;
		if (dm == STRUCT_SIZE_REQUEST || dm == MEMBER_SIZE_REQUEST)
			return members[i].size;
		return members[i].off;
	}
	return -1;
}

int enumerator_value(char *e, long *v)
{
	(void)e; (void)v;
	return FALSE;
}

/* "struct.member" of an array added by stub_add_array(). */
int get_array_length(char *s, int *two, long len)
{
	const char *dot = strchr(s, '.');
	int i;

	(void)two; (void)len;
	for (i = 0; dot && i < nmembers; i++)
		if (!strncmp(members[i].s, s, (size_t)(dot - s)) &&
		    !members[i].s[dot - s] && !strcmp(members[i].m, dot + 1))
			return members[i].nelem;
	return 0;
}

static void stub_add_array(const char *s, const char *m, long off, long size,
			   int nelem)
{
	stub_add_member(s, m, off, size);
	members[nmembers - 1].nelem = nelem;
}

int readmem(ulonglong addr, int type, void *buf, long size, char *what, ulong flags)
{
	int i;

	(void)what;
	nr_reads++;
	/* The extension must never ask crash to longjmp on a bad read. */
	if (!(flags & RETURN_ON_ERROR))
		abort();
	if (type != KVADDR || size < 0)
		return FALSE;
	for (i = 0; i < nregions; i++)
		if (addr >= regions[i].addr &&
		    addr + (ulonglong)size <= regions[i].addr + regions[i].len) {
			memcpy(buf, regions[i].data + (addr - regions[i].addr), (size_t)size);
			return TRUE;
		}
	return FALSE;
}

int symbol_exists(char *s)
{
	int i;

	for (i = 0; i < nsyms; i++)
		if (!strcmp(syms[i].name, s))
			return TRUE;
	return FALSE;
}

ulong symbol_value(char *s)
{
	int i;

	for (i = 0; i < nsyms; i++)
		if (!strcmp(syms[i].name, s))
			return syms[i].addr;
	abort();	/* crash would error(FATAL): callers must check first */
}

static struct dtrec_ring *stub_rings[DTREC_MAX_CPUS];

/*
 * A kernel with just enough for the recorder commands: init_task
 * ("swapper", a one-entry task list) and dovetail_recorder_desc with
 * nr_cpus rings. Record k of cpu c: ts 1000 + 10k + c, pid 100 + c,
 * DTREC_EV_MARK, arg k, arg2 c. nr_written > nr_records wraps the ring.
 */
void stub_setup_recorder(unsigned int nr_cpus, unsigned int nr_records,
			 unsigned int nr_written)
{
	const ulong task = 0xffff888000100000UL, desc_addr = 0xffffffff82000000UL;
	struct dtrec_desc *d;
	unsigned char *t;
	unsigned int c, k;

	stub_add_member("task_struct", NULL, 0, 256);
	stub_add_member("task_struct", "pid", 16, 4);
	stub_add_member("task_struct", "tasks", 32, 16);
	stub_add_array("task_struct", "comm", 64, 16, 16);
	t = stub_add_memory(task, 256);
	memcpy(t + 64, "swapper/0", 10);
	memcpy(t + 32, &(ulong){ task + 32 }, 8);	/* tasks.next: itself */
	stub_add_symbol("init_task", task);

	d = (struct dtrec_desc *)stub_add_memory(desc_addr, sizeof(*d));
	stub_add_symbol("dovetail_recorder_desc", desc_addr);
	dtrec_desc_native(d, nr_cpus, nr_records, 0);
	d->frozen = 1;
	for (c = 0; c < nr_cpus; c++) {
		size_t bytes = sizeof(struct dtrec_ring) +
			(size_t)nr_records * sizeof(struct dtrec_record);
		ulong ra = 0xffffc90000000000UL + c * 0x100000UL;
		struct dtrec_ring *r = (struct dtrec_ring *)stub_add_memory(ra, bytes);
		struct dtrec_record *rec = (struct dtrec_record *)(r + 1);

		d->ring[c] = ra;
		d->ring_bytes[c] = bytes;
		stub_rings[c] = r;
		r->magic = DTREC_RING_MAGIC;
		r->head = nr_written;
		r->cpu = c;
		r->nr_records = nr_records;
		for (k = 0; k < nr_written; k++) {
			struct dtrec_record *x = &rec[k & (nr_records - 1)];

			x->seq = k + 1;
			x->ts = 1000 + 10ULL * k + c;
			x->pid = 100 + c;
			x->arg = k;
			x->arg2 = c;
			x->event = DTREC_EV_MARK;
		}
	}
}

/*
 * Write record pos of a ring set up by stub_setup_recorder() (slot
 * pos % nr_records) and raise the ring's head past it.
 */
void stub_ring_write(unsigned int cpu, unsigned long long pos,
		     unsigned long long seq, unsigned long long ts, unsigned int pid,
		     unsigned int arg, unsigned int arg2, unsigned int event,
		     unsigned int state)
{
	struct dtrec_ring *r = cpu < DTREC_MAX_CPUS ? stub_rings[cpu] : NULL;
	struct dtrec_record *x;

	if (!r)
		return;
	x = (struct dtrec_record *)(r + 1) + (pos & (r->nr_records - 1));
	x->seq = seq;
	x->ts = ts;
	x->pid = pid;
	x->arg = arg;
	x->arg2 = arg2;
	x->event = (__u16)event;
	x->state = (__u16)state;
	if (r->head < pos + 1)
		r->head = pos + 1;
}

/*
 * The per-CPU pipeline data of a one-CPU kernel whose in-band log has
 * IRQs 3 and 4355 pending in a 3-level map (64 index_1 words, 324 flat
 * words, the x86 NR_CPUS=64 shape) and whose oob stage is present with
 * a NULL map. garbage: the in-band map pointer points nowhere.
 */
static unsigned char *ipd_mem;		/* task_inflight, rqlock_owner at +48 */

void stub_setup_pipeline(int garbage)
{
	const ulong ipd = 0xffff888000200000UL, map = 0xffff888000300000UL;
	const ulong stage = 0xffffffff82100000UL, name = 0xffffffff82100100UL;
	const size_t isd = 24, i1 = 0, flat = 64 * 8;
	unsigned char *p, *m;
	uint64_t v;

	stub_add_member("task_struct", "stall_bits", 128, 8);
	stub_add_member("irq_pipeline_data", "stages", 0, 2 * isd);
	stub_add_member("irq_stage_data", NULL, 0, (long)isd);
	stub_add_member("irq_stage_data", "log", 0, 16);
	stub_add_member("irq_stage_data", "stage", 16, 8);
	stub_add_member("irq_log", "index_0", 0, 8);
	stub_add_member("irq_log", "map", 8, 8);
	stub_add_member("irq_stage", "index", 0, 4);
	stub_add_member("irq_stage", "name", 8, 8);
	stub_add_member("irq_event_map", NULL, 0, (long)(flat + 324 * 8));
	stub_add_array("irq_event_map", "index_1", (long)i1, 64 * 8, 64);
	stub_add_array("irq_event_map", "flat", (long)flat, 324 * 8, 324);
	stub_add_symbol("irq_pipeline", ipd);
	stub_add_symbol("oob_stage", stage);

	machdep->pagesize = 4096;
	p = stub_add_memory(stage, 256 + 64);
	memcpy(p, &(uint32_t){ 1 }, 4);
	memcpy(p + 8, &(ulong){ name }, 8);
	memcpy(p + 256, "EVL", 4);

	p = stub_add_memory(ipd, 2 * isd + 16);
	ipd_mem = p;
	v = 3;						/* index_0: words 0 and 1 of index_1 */
	memcpy(p, &v, 8);
	v = garbage ? 0xffffdead00000000UL : map;
	memcpy(p + 8, &v, 8);
	memcpy(p + 16, &(ulong){ 0 }, 8);		/* stages[0].stage: unused */
	memcpy(p + isd + 16, &(ulong){ stage }, 8);	/* oob stage, map NULL */

	m = stub_add_memory(map, flat + 324 * 8);
	m[i1 + 0] |= 1;				/* index_1 bit 0: flat[0] */
	m[i1 + 8] |= 1 << 4;			/* index_1 bit 68: flat[68] */
	m[flat + 0] |= 1 << 3;			/* IRQ 3 */
	m[flat + 68 * 8] |= 1 << 3;		/* IRQ 4355 = 68 * 64 + 3 */
}

/*
 * On top of stub_setup_recorder() and stub_setup_pipeline(): a 6.6
 * kernel whose CPU 0 runs pid 42, an EVL thread ("rt-" then an invalid
 * UTF-8 byte) on the oob stage, having preempted swapper (rq->curr,
 * in-band stalled), which is also the CPU's rqlock_owner.
 */
void stub_setup_tasks(void)
{
	const ulong t0 = 0xffff888000100000UL, t1 = 0xffff888000110000UL;
	const ulong evl = 0xffff888000120000UL, hot = 0xffffffff82200000UL;
	const ulong rq = 0xffffffff82300000UL, uts = 0xffffffff82400000UL;
	unsigned char *p;

	stub_add_member("thread_info", "flags", 0, 8);
	stub_add_member("thread_info", "status", 8, 4);
	stub_add_member("thread_info", "cpu", 12, 4);
	stub_add_member("thread_info", "oob_state", 24, 8);
	stub_add_member("oob_thread_state", "thread", 0, 8);
	stub_add_member("task_struct", "thread_info", 0, 32);
	stub_add_member("evl_thread", NULL, 0, 64);
	stub_add_member("evl_thread", "state", 0, 4);
	stub_add_member("evl_thread", "name", 8, 8);
	stub_add_member("pcpu_hot", "current_task", 0, 8);
	stub_add_member("pcpu_hot", "preempt_count", 8, 4);
	stub_add_member("rq", "curr", 0, 8);
	stub_add_member("rq", "idle", 8, 8);
	stub_add_member("irq_pipeline_data", "task_inflight", 48, 8);
	stub_add_member("irq_pipeline_data", "rqlock_owner", 56, 8);
	stub_add_member("uts_namespace", "name", 0, 390);
	stub_add_array("new_utsname", "release", 65, 65, 65);

	memcpy(ipd_mem + 56, &t0, 8);
	p = stub_add_memory(uts, 390);
	memcpy(p + 65, "6.6.69-dovetail", 16);
	stub_add_symbol("init_uts_ns", uts);

	/* init_task (already there) <-> t1 */
	p = regions[0].data;	/* init_task: stub_setup_recorder() maps it first */
	memcpy(p + 32, &(ulong){ t1 + 32 }, 8);
	memcpy(p + 128, &(uint64_t){ 1 }, 8);		/* in-band stalled */
	p = stub_add_memory(t1, 256);
	memcpy(p + 8, &(uint32_t){ 0x70 }, 4);		/* OOB|DOVETAIL|OFFSTAGE */
	memcpy(p, &(uint64_t){ 1ULL << 26 }, 8);	/* TIF_MAYDAY */
	memcpy(p + 24, &evl, 8);
	memcpy(p + 16, &(uint32_t){ 42 }, 4);
	memcpy(p + 32, &(ulong){ t0 + 32 }, 8);
	memcpy(p + 64, "rt-thread", 10);
	memcpy(p + 128, &(uint64_t){ 2 }, 8);		/* oob stalled */
	p = stub_add_memory(evl, 64 + 64);
	memcpy(p + 8, &(ulong){ evl + 64 }, 8);
	memcpy(p + 64, "rt-\xe9", 5);

	p = stub_add_memory(hot, 16);
	memcpy(p, &t1, 8);
	memcpy(p + 8, &(uint32_t){ 0x02000000 }, 4);	/* STAGE: oob */
	stub_add_symbol("pcpu_hot", hot);
	p = stub_add_memory(rq, 16);
	memcpy(p, &t0, 8);
	memcpy(p + 8, &t0, 8);
	stub_add_symbol("runqueues", rq);
}

/* ---- test side ---- */

const char *stub_command_name(void)
{
	return registered ? registered->name : NULL;
}

unsigned long stub_command_flags(void)
{
	return registered ? registered->flags : 0;
}

const char *stub_help_line(int i)
{
	int k;

	if (!registered || !registered->help_data)
		return NULL;
	for (k = 0; k < i; k++)
		if (!registered->help_data[k])
			return NULL;
	return registered->help_data[i];
}

/* Run "dovetail ARGS..." with output to path; returns the last error text. */
const char *stub_run(const char *path, int n, char **argv)
{
	int i;

	last_error[0] = '\0';
	fp = fopen(path, "w");
	if (!fp || !registered)
		return "stub: cannot run";
	pc->curcmd = "dovetail";
	argcnt = n;
	for (i = 0; i < n && i < MAXARGS; i++)
		args[i] = argv[i];
	registered->func();
	fclose(fp);
	fp = NULL;
	return last_error;
}

int stub_reads(void)
{
	return nr_reads;
}
