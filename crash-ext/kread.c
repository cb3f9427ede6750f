// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Offsets and checked reads. Every readmem() is RETURN_ON_ERROR|QUIET:
 * a dump may be truncated or corrupted and the extension must report
 * that, never take crash down or longjmp out of a half-done command.
 */
#include "defs.h"
#include <stdarg.h>
#include "kread.h"
#include "../libdtrec/dtrec_dump.h"

struct ce_koff ko;

void ce_err(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	error(INFO, "%s\n", buf);
}

#define PTE_ADDR	0x000ffffffffff000ULL
#define PTE_PRESENT	0x1ULL
#define PTE_PSE		0x80ULL
#define KERNEL_MAP	0xffffffff80000000ULL

static int raw_read(uint64_t addr, int type, void *buf, size_t len)
{
	return readmem(addr, type, buf, (long)len, "dovetail",
		       RETURN_ON_ERROR | QUIET) ? 0 : -1;
}

/*
 * x86_64 page-table walk from init_top_pgt. `crash --minimal` cannot
 * translate direct-map or vmalloc addresses (its machine tables are not
 * set up), but it reads physical memory and the kernel image fine.
 */
static int walk_vtop(uint64_t va, uint64_t *pa)
{
	static const unsigned int shifts5[] = { 48, 39, 30, 21, 12 };
	const unsigned int *sh = shifts5 + 1;
	unsigned int i, n = 4;
	uint64_t pgd, e, l5 = 0;

	if (ce_sym("init_top_pgt", &pgd))
		return -1;
	if (!ce_sym("__pgtable_l5_enabled", &e) && !raw_read(e, KVADDR, &l5, 4) &&
	    (uint32_t)l5) {
		sh = shifts5;
		n = 5;
	}
	if (raw_read(pgd + ((va >> sh[0]) & 511) * 8, KVADDR, &e, 8))
		return -1;
	for (i = 0;; i++) {
		uint64_t mask;

		if (!(e & PTE_PRESENT))
			return -1;
		mask = (1ULL << sh[i]) - 1;
		if (i == n - 1 || ((sh[i] == 30 || sh[i] == 21) && (e & PTE_PSE))) {
			*pa = ((e & PTE_ADDR) & ~mask) | (va & mask);
			return 0;
		}
		if (raw_read((e & PTE_ADDR) + ((va >> sh[i + 1]) & 511) * 8,
			     PHYSADDR, &e, 8))
			return -1;
	}
}

static int read_translated(uint64_t addr, uint8_t *buf, size_t len)
{
	while (len) {
		size_t chunk = 4096 - (addr & 4095);
		uint64_t pa;

		if (chunk > len)
			chunk = len;
		if (walk_vtop(addr, &pa) || raw_read(pa, PHYSADDR, buf, chunk))
			return -1;
		addr += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

int ce_read(uint64_t addr, void *buf, size_t len)
{
	if (!addr || !len || len > (size_t)LONG_MAX)
		return -1;
	if (!raw_read(addr, KVADDR, buf, len))
		return 0;
	if (addr >= KERNEL_MAP)
		return -1;
	return read_translated(addr, buf, len);
}

int ce_read_u64(uint64_t addr, uint64_t *v)
{
	return ce_read(addr, v, sizeof(*v));
}

int ce_read_u32(uint64_t addr, uint32_t *v)
{
	return ce_read(addr, v, sizeof(*v));
}

int ce_read_ptr(uint64_t addr, uint64_t *v)
{
	*v = 0;
	return ce_read(addr, v, sizeof(void *));
}

int ce_read_str(uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;

	if (!len)
		return -1;
	buf[0] = '\0';
	/* Page by page: a string may end just before an unmapped page. */
	while (got < len - 1) {
		uint64_t a = addr + got, page = PAGESIZE() ? PAGESIZE() : 4096;
		size_t chunk = page - (a & (page - 1));

		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		if (ce_read(a, buf + got, chunk))
			return got ? 0 : -1;
		if (memchr(buf + got, '\0', chunk))
			return 0;
		got += chunk;
	}
	buf[len - 1] = '\0';
	return 0;
}

int ce_sym(const char *name, uint64_t *addr)
{
	if (!symbol_exists((char *)name))
		return -1;
	*addr = symbol_value((char *)name);
	return 0;
}

static long moff(const char *s, const char *m)
{
	return MEMBER_OFFSET((char *)s, (char *)m);
}

static long msize(const char *s, const char *m)
{
	return MEMBER_SIZE((char *)s, (char *)m);
}

static long ssize(const char *s)
{
	return STRUCT_SIZE((char *)s);
}

uint64_t ce_tfield(const uint8_t *buf, long off, size_t size)
{
	uint64_t v = 0;

	if (off < 0 || (size_t)off + size > (size_t)ko.task_size || size > 8)
		return 0;
	memcpy(&v, buf + off, size);
	return v;
}

/* CPUs whose bit is set in a cpumask symbol; -1 if it cannot be read. */
static int read_cpumask(const char *sym, unsigned char *set)
{
	uint64_t a, words[CE_MAX_CPUS / 64];
	long sz = MEMBER_SIZE("cpumask", "bits");
	size_t nw = sz > 0 ? (size_t)sz / 8 : 1, i;

	if (nw > CE_MAX_CPUS / 64)
		nw = CE_MAX_CPUS / 64;
	if (!nw || ce_sym(sym, &a) || ce_read(a, words, nw * 8))
		return -1;
	for (i = 0; i < nw * 64; i++)
		set[i] = (words[i / 64] >> (i % 64)) & 1;
	return 0;
}

/*
 * The CPUs reported are the online ones (possible ones if the online
 * mask is unreadable), like the Python front ends; each CPU's per-CPU
 * offset is read from __per_cpu_offset[] directly because crash does
 * not set kt->__per_cpu_offset up in --minimal mode.
 */
static int init_cpus(void)
{
	unsigned char *set = calloc(CE_MAX_CPUS, 1);
	uint64_t base = 0;
	int have_base, rc = -1;
	unsigned int i;

	ko.pcpu_off = calloc(CE_MAX_CPUS, sizeof(*ko.pcpu_off));
	ko.possible = calloc(CE_MAX_CPUS, 1);
	if (!set || !ko.pcpu_off || !ko.possible)
		goto out;
	if (read_cpumask("__cpu_online_mask", set) &&
	    read_cpumask("__cpu_possible_mask", set)) {
		memset(set, 0, CE_MAX_CPUS);
		set[0] = 1;
	}
	if (!memchr(set, 1, CE_MAX_CPUS)) {
		ce_err("no online CPU in __cpu_online_mask: the dump does not "
		       "cover kernel data at its virtual address");
		goto out;
	}
	have_base = !ce_sym("__per_cpu_offset", &base);
	ko.nr_cpus = 0;
	for (i = 0; i < CE_MAX_CPUS; i++) {
		if (!set[i])
			continue;
		if (have_base && ce_read_ptr(base + 8ULL * i, &ko.pcpu_off[i])) {
			ce_err("cpu %u: cannot read __per_cpu_offset[%u]", i, i);
			continue;
		}
		ko.possible[i] = 1;
		ko.nr_cpus = i + 1;
	}
	rc = 0;
out:
	free(set);
	return rc;
}

int ce_percpu(const char *sym, unsigned int cpu, uint64_t *addr)
{
	uint64_t a;

	if (cpu >= ko.nr_cpus || !ko.possible[cpu] || ce_sym(sym, &a))
		return -1;
	*addr = a + ko.pcpu_off[cpu];
	return 0;
}

static void init_release(void)
{
	uint64_t a;
	const char *rel = NULL;
	unsigned int maj = 0, min = 0;

	ko.uts_name = moff("uts_namespace", "name");
	ko.uts_release = moff("new_utsname", "release");
	if (ko.uts_name >= 0 && ko.uts_release >= 0 && !ce_sym("init_uts_ns", &a) &&
	    !ce_read(a + ko.uts_name + ko.uts_release, ko.release,
		     sizeof(ko.release) - 1))
		rel = ko.release;
	/* crash fills kt->utsname in a full session: a second opinion. */
	if ((!rel || !rel[0]) && kt->utsname.release[0]) {
		snprintf(ko.release, sizeof(ko.release), "%s", kt->utsname.release);
		rel = ko.release;
	}
	if (ce_parse_release(rel, &maj, &min))
		maj = min = 0;
	ko.kt = ce_ktable_for(maj, min);
}

static void init_map_layout(void)
{
	struct ce_map_layout *l = &ko.map;

	memset(l, 0, sizeof(*l));
	ko.map_ok = 0;
	if (ssize("irq_event_map") <= 0) {
		snprintf(ko.map_err, sizeof(ko.map_err),
			 "struct irq_event_map not in the debug info");
		return;
	}
	l->size = (size_t)ssize("irq_event_map");
	l->levels = 2;
	if (MEMBER_EXISTS("irq_event_map", "index_1")) {
		l->levels = 3;
		l->i1_off = (size_t)moff("irq_event_map", "index_1");
		l->i1_words = (size_t)msize("irq_event_map", "index_1") / CE_WORD;
	}
	if (MEMBER_EXISTS("irq_event_map", "index_2")) {
		l->levels = 4;
		l->i2_off = (size_t)moff("irq_event_map", "index_2");
		l->i2_words = (size_t)msize("irq_event_map", "index_2") / CE_WORD;
	}
	if (moff("irq_event_map", "flat") >= 0) {
		l->flat_off = (size_t)moff("irq_event_map", "flat");
		l->flat_words = (size_t)msize("irq_event_map", "flat") / CE_WORD;
	}
	ko.map_ok = !ce_map_layout_check(l, ko.map_err, sizeof(ko.map_err));
}

int ce_koff_init(void)
{
	if (ko.ready)
		return 0;
	free(ko.pcpu_off);
	free(ko.possible);
	memset(&ko, 0, sizeof(ko));

	ko.task_size = ssize("task_struct");
	ko.task_pid = moff("task_struct", "pid");
	ko.task_comm = moff("task_struct", "comm");
	ko.task_tasks = moff("task_struct", "tasks");
	ko.task_stall_bits = moff("task_struct", "stall_bits");
	ko.task_cpu = moff("task_struct", "cpu");
	ko.task_ti = moff("task_struct", "thread_info");
	ko.ti_cpu = moff("thread_info", "cpu");
	ko.ti_status = moff("thread_info", "local_flags");
	if (ko.ti_status < 0)		/* x86 calls them status */
		ko.ti_status = moff("thread_info", "status");
	ko.ti_oob_thread = -1;
	if (moff("thread_info", "oob_state") >= 0 &&
	    moff("oob_thread_state", "thread") >= 0)
		ko.ti_oob_thread = moff("thread_info", "oob_state") +
			moff("oob_thread_state", "thread");
	ko.ti_flags = moff("thread_info", "flags");
	ko.task_signal = moff("task_struct", "signal");
	ko.signal_thread_head = moff("signal_struct", "thread_head");
	ko.task_thread_node = moff("task_struct", "thread_node");
	ko.task_thread_group = moff("task_struct", "thread_group");

	ko.hot_pc = moff("pcpu_hot", "preempt_count");
	ko.hot_cur = moff("pcpu_hot", "current_task");
	ko.rq_curr = moff("rq", "curr");

	ko.ipd_stages = moff("irq_pipeline_data", "stages");
	ko.ipd_inflight = moff("irq_pipeline_data", "task_inflight");
	ko.ipd_rqlock = moff("irq_pipeline_data", "rqlock_owner");
	ko.isd_size = ssize("irq_stage_data");
	ko.isd_log = moff("irq_stage_data", "log");
	ko.isd_stage = moff("irq_stage_data", "stage");
	ko.log_index_0 = moff("irq_log", "index_0");
	ko.log_map = moff("irq_log", "map");
	ko.stage_index = moff("irq_stage", "index");
	ko.stage_name = moff("irq_stage", "name");
	init_map_layout();

	if (ko.task_size <= 0 || ko.task_pid < 0 || ko.task_comm < 0 ||
	    ko.task_tasks < 0) {
		ce_err("task_struct layout not found in the debug info");
		return -1;
	}
	/*
	 * Symbols of another build, or a KASLR offset crash did not apply,
	 * read garbage rather than fail: init_task must be "swapper".
	 */
	{
		uint64_t a;
		char comm[8];

		if (ce_sym("init_task", &a) ||
		    ce_read(a + (uint64_t)ko.task_comm, comm, sizeof(comm)) ||
		    memcmp(comm, "swapper", 7)) {
			ce_err("init_task is not swapper: vmlinux does not match the dump, "
			       "or the KASLR offset is not applied (crash --minimal needs "
			       "--kaslr auto)");
			return -1;
		}
	}
	init_release();
	if (init_cpus())
		return -1;
	ce_irqdesc_init();

	ko.ready = 1;
	return 0;
}

int ce_read_task(uint64_t task, uint8_t *buf)
{
	return ce_read(task, buf, (size_t)ko.task_size);
}

int ce_task_pid(uint64_t task, int32_t *pid)
{
	uint32_t v;

	if (!task || ce_read_u32(task + ko.task_pid, &v))
		return -1;
	*pid = (int32_t)v;
	return 0;
}

struct walk {
	ce_task_fn fn;
	void *ctx;
	uint8_t *buf;
	unsigned long seen;
	int stop;
};

static int visit(struct walk *w, uint64_t task)
{
	if (++w->seen > CE_MAX_TASKS) {
		ce_err("more than %d tasks: task list looks corrupted", CE_MAX_TASKS);
		return -1;
	}
	if (ce_read_task(task, w->buf)) {
		ce_err("cannot read task_struct at 0x%llx", (unsigned long long)task);
		return -1;
	}
	if (w->fn(w->ctx, task, w->buf)) {
		w->stop = 1;
		return -1;
	}
	return 0;
}

/* Threads other than the leader, from signal->thread_head (or thread_group). */
static int walk_threads(struct walk *w, uint64_t leader)
{
	uint64_t head, sig, next, n = 0;
	long link;

	if (ko.task_signal >= 0 && ko.signal_thread_head >= 0 &&
	    ko.task_thread_node >= 0) {
		if (ce_read_ptr(leader + ko.task_signal, &sig) || !sig)
			return 0;
		head = sig + ko.signal_thread_head;
		link = ko.task_thread_node;
	} else if (ko.task_thread_group >= 0) {
		head = leader + ko.task_thread_group;
		link = ko.task_thread_group;
	} else {
		return 0;
	}
	if (ce_read_ptr(head, &next))
		return 0;
	while (next && next != head) {
		uint64_t t = next - (uint64_t)link;

		if (++n > CE_MAX_TASKS)
			return -1;
		if (t != leader && visit(w, t))
			return -1;
		if (ce_read_ptr(next, &next))
			return -1;
	}
	return 0;
}

int ce_for_each_task(ce_task_fn fn, void *ctx)
{
	struct walk w = { fn, ctx, NULL, 0, 0 };
	uint64_t init, next, head;
	int rc = 0;

	if (ce_sym("init_task", &init)) {
		ce_err("init_task not found");
		return -1;
	}
	w.buf = malloc((size_t)ko.task_size);
	if (!w.buf)
		return -1;
	head = init + ko.task_tasks;
	if (visit(&w, init))
		goto out_err;
	if (ce_read_ptr(head, &next))
		goto out_err;
	while (next != head) {
		uint64_t t = next - (uint64_t)ko.task_tasks;

		if (!next || visit(&w, t) || walk_threads(&w, t))
			goto out_err;
		if (ce_read_ptr(next, &next))
			goto out_err;
	}
	free(w.buf);
	return 0;
out_err:
	if (!w.stop)
		ce_err("task list walk stopped after %lu tasks", w.seen);
	rc = w.stop ? 0 : -1;
	free(w.buf);
	return rc;
}

/* ---- saved registers ---- */

static struct {
	int done;
	int n;
	uint64_t rflags[CE_MAX_CPUS];
	char err[256];
} regs;

/* Why hard_irqs is "unknown"; printed by the text form only. */
const char *ce_rflags_error(void)
{
	return regs.err[0] ? regs.err : NULL;
}

int ce_cpu_rflags(unsigned int cpu, uint64_t *rflags)
{
	unsigned int i;
	int rank = 0;

	if (!regs.done) {
		regs.done = 1;
		regs.n = 0;
		if (DUMPFILE() && pc->dumpfile) {
			regs.n = dtrec_dump_cpu_flags(pc->dumpfile, regs.rflags,
						      CE_MAX_CPUS, regs.err,
						      sizeof(regs.err));
			if (regs.n < 0)
				regs.n = 0;
		} else {
			snprintf(regs.err, sizeof(regs.err),
				 "not a dump file: no saved registers");
		}
	}
	/* Note i belongs to the i-th online CPU (crash_save_cpu, QEMU vCPU order). */
	for (i = 0; i < cpu && i < ko.nr_cpus; i++)
		rank += ko.possible[i];
	if (cpu >= ko.nr_cpus || !ko.possible[cpu] || rank >= regs.n)
		return -1;
	*rflags = regs.rflags[rank];
	return 0;
}
