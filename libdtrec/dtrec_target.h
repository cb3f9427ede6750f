/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The target interface: what libdtrec's state decoders (stages, irqs,
 * tasks) need from a debugger. Each front end implements it once over
 * its own primitives: the crash extension over readmem() and
 * MEMBER_OFFSET(), the gdb and drgn scripts as ctypes callbacks over
 * their bulk reads, the unit tests over an in-memory image.
 *
 * Types are named without "struct " ("task_struct"); members are looked
 * up one level at a time by name, anonymous members looked through.
 * Everything the kernel's DWARF describes is asked for through these
 * callbacks; only what DWARF lacks (macros such as _TLF_* or the x86
 * system vectors) is tabled in libdtrec. The target is 64-bit little
 * endian (x86_64, arm64).
 *
 * Every callback returns 0, or a negative errno: -ENOENT for a symbol,
 * type or member that does not exist, -EFAULT (or any other) for memory
 * that cannot be read. Callbacks must not unwind through C.
 */
#ifndef DTREC_TARGET_H
#define DTREC_TARGET_H

#include <stddef.h>
#include <stdint.h>

struct dtrec_member {
	uint64_t offset;	/* bytes from the start of the struct */
	uint64_t size;		/* sizeof the member */
	uint64_t nelem;		/* element count of an array member, else 0 */
};

struct dtrec_target_ops {
	/* Exactly len bytes of target memory at addr into buf. */
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	/* Address of a global or static object or function. */
	int (*symbol)(void *ctx, const char *name, uint64_t *addr);
	/* sizeof(struct type); -ENOENT when absent or incomplete. */
	int (*type_size)(void *ctx, const char *type, uint64_t *size);
	/* A member of struct type. */
	int (*member)(void *ctx, const char *type, const char *member,
		      struct dtrec_member *m);
	/* Hard IRQ flag word of a CPU (x86 RFLAGS, arm64 PSTATE); -ENOENT
	 * when the target does not know it. rank: the CPU's position among
	 * the online CPUs, which is how a dump's register notes are
	 * ordered (note i belongs to the i-th online CPU). May be NULL. */
	int (*cpu_flags)(void *ctx, uint32_t cpu, uint32_t rank, uint64_t *flags);
	/* One warning line, e.g. "cpu 1: cannot read ...", without prefix
	 * or newline; the command goes on. May be NULL (dropped). */
	void (*warn)(void *ctx, const char *msg);
};

struct dtrec_target {
	const struct dtrec_target_ops *ops;
	void *ctx;
	const char *arch;	/* "x86_64" or "arm64" (gdb's and drgn's
				 * spellings of them are accepted too) */
};

#endif /* DTREC_TARGET_H */
