// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libdtrec's target interface (dtrec_target.h) over crash: readmem(),
 * symbol_value(), MEMBER_OFFSET() and the dump's saved registers. Every
 * readmem() is RETURN_ON_ERROR|QUIET: a dump may be truncated or
 * corrupted and the extension must report that, never take crash down
 * or longjmp out of a half-done command. Works in a full session and in
 * `crash --minimal`, where crash's own task table and per-CPU offsets
 * are not set up, so nothing here relies on them.
 */
#include "defs.h"
#include <errno.h>
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

static int raw_read(uint64_t addr, int type, void *buf, size_t len)
{
	return readmem(addr, type, buf, (long)len, "dovetail",
		       RETURN_ON_ERROR | QUIET) ? 0 : -1;
}

#ifdef X86_64
#define PTE_ADDR	0x000ffffffffff000ULL
#define PTE_PRESENT	0x1ULL
#define PTE_PSE		0x80ULL
#define KERNEL_MAP	0xffffffff80000000ULL

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

#define DT_CRASH_ARCH	"x86_64"
#elif defined(ARM64)
/* crash built with target=ARM64: no page walk of its own (--minimal on
 * arm64 dumps has not been tried: Debian's crash reads x86_64 only). */
#define DT_CRASH_ARCH	"aarch64"
#else
#error "crash-ext: build with ARCH_DEF=-DX86_64 or ARCH_DEF=-DARM64"
#endif

int ce_read(uint64_t addr, void *buf, size_t len)
{
	if (!addr || !len || len > (size_t)LONG_MAX)
		return -1;
	if (!raw_read(addr, KVADDR, buf, len))
		return 0;
#ifdef X86_64
	if (addr >= KERNEL_MAP)
		return -1;
	return read_translated(addr, buf, len);
#else
	return -1;
#endif
}

int ce_read_ptr(uint64_t addr, uint64_t *v)
{
	*v = 0;
	return ce_read(addr, v, sizeof(*v));
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

static void init_release(void)
{
	long name = moff("uts_namespace", "name"), rel = moff("new_utsname", "release");
	uint64_t a;

	ko.release[0] = '\0';
	if (name >= 0 && rel >= 0 && !ce_sym("init_uts_ns", &a))
		ce_read(a + (uint64_t)name + (uint64_t)rel, ko.release,
			sizeof(ko.release) - 1);
	/* crash fills kt->utsname in a full session: a second opinion. */
	if (!ko.release[0] && kt->utsname.release[0])
		snprintf(ko.release, sizeof(ko.release), "%s", kt->utsname.release);
}

int ce_koff_init(void)
{
	long comm = moff("task_struct", "comm");
	uint64_t a;
	char buf[8];

	if (ko.ready)
		return 0;
	if (STRUCT_SIZE("task_struct") <= 0 || comm < 0) {
		ce_err("task_struct layout not found in the debug info");
		return -1;
	}
	/*
	 * Symbols of another build, or a KASLR offset crash did not apply,
	 * read garbage rather than fail: init_task must be "swapper".
	 */
	if (ce_sym("init_task", &a) || ce_read(a + (uint64_t)comm, buf, sizeof(buf)) ||
	    memcmp(buf, "swapper", 7)) {
		ce_err("init_task is not swapper: vmlinux does not match the dump, "
		       "or the KASLR offset is not applied (crash --minimal needs "
		       "--kaslr auto)");
		return -1;
	}
	init_release();
	ko.ready = 1;
	return 0;
}

/* ---- the target ---- */

static int t_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	return ce_read(addr, buf, len) ? -EFAULT : 0;
}

static int t_symbol(void *ctx, const char *name, uint64_t *addr)
{
	(void)ctx;
	return ce_sym(name, addr) ? -ENOENT : 0;
}

static int t_type_size(void *ctx, const char *type, uint64_t *size)
{
	long n = STRUCT_SIZE((char *)type);

	(void)ctx;
	if (n <= 0)
		return -ENOENT;
	*size = (uint64_t)n;
	return 0;
}

static int t_member(void *ctx, const char *type, const char *member,
		    struct dtrec_member *m)
{
	char spec[128];
	long off = MEMBER_OFFSET((char *)type, (char *)member);
	long size = MEMBER_SIZE((char *)type, (char *)member);
	int n;

	(void)ctx;
	if (off < 0) {		/* a member of an anonymous struct or union */
		off = ANON_MEMBER_OFFSET((char *)type, (char *)member);
		size = ANON_MEMBER_SIZE((char *)type, (char *)member);
	}
	if (off < 0 || size < 0)
		return -ENOENT;
	snprintf(spec, sizeof(spec), "%s.%s", type, member);
	n = get_array_length(spec, NULL, 0);
	m->offset = (uint64_t)off;
	m->size = (uint64_t)size;
	m->nelem = n > 0 ? (uint64_t)n : 0;
	return 0;
}

/* Saved RFLAGS of the dump's NT_PRSTATUS notes, note i for the i-th online CPU. */
static struct {
	int done;
	int n;
	uint64_t rflags[CE_MAX_CPUS];
	char err[256];
} regs;

static int t_cpu_flags(void *ctx, uint32_t cpu, uint32_t rank, uint64_t *flags)
{
	(void)ctx;
	(void)cpu;
	if (!regs.done) {
		regs.done = 1;
		regs.n = 0;
		if (DUMPFILE() && pc->dumpfile) {
			regs.n = dtrec_dump_cpu_flags(pc->dumpfile, regs.rflags,
						      CE_MAX_CPUS, regs.err,
						      sizeof(regs.err));
			if (regs.n < 0)
				regs.n = 0;
		}
	}
	if ((int)rank >= regs.n)
		return -ENOENT;
	*flags = regs.rflags[rank];
	return 0;
}

static void t_warn(void *ctx, const char *msg)
{
	(void)ctx;
	ce_err("%s", msg);
}

static const struct dtrec_target_ops ops = {
	.read = t_read,
	.symbol = t_symbol,
	.type_size = t_type_size,
	.member = t_member,
	.cpu_flags = t_cpu_flags,
	.warn = t_warn,
};

const struct dtrec_target ce_target = { &ops, NULL, DT_CRASH_ARCH };
