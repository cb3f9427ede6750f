/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the notes of a dump file say: the saved CPU registers, for the
 * front ends that need the hard interrupt state (RFLAGS.IF on x86_64,
 * PSTATE's DAIF.I on arm64) of each CPU
 * at dump time, and VMCOREINFO, for a debugger (gdb) that cannot read
 * it itself and needs KERNELOFFSET to relocate vmlinux under KASLR.
 */
#ifndef DTREC_DUMP_H
#define DTREC_DUMP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Read the NT_PRSTATUS notes of an ELF vmcore (kdump /proc/vmcore
 * copy, QEMU dump-guest-memory) or of a kdump-compressed (diskdump)
 * file and store each CPU's flags word, in note order, into rflags[]:
 * RFLAGS on x86_64, PSTATE on aarch64 (the dump's machine says which).
 * Returns the number of CPUs found (at most max_cpus), or a negative
 * errno with a one-line message in err[]. x86_64 and aarch64 dumps only.
 */
int dtrec_dump_cpu_flags(const char *path, uint64_t *rflags, int max_cpus,
			 char *err, size_t errlen);

/*
 * Copy the text of the dump's VMCOREINFO note ("OSRELEASE=...\n
 * KERNELOFFSET=...\n...") into buf, NUL-terminated and cut to size - 1
 * bytes. Returns its length, or a negative errno with a one-line
 * message in err[] (-ENOENT: the dump has no such note). Any machine.
 */
int dtrec_dump_vmcoreinfo(const char *path, char *buf, size_t size,
			  char *err, size_t errlen);

/*
 * The GNU build ID of an ELF file (a vmlinux) as lowercase hex into
 * hex[size]. Returns its length, or a negative errno with a one-line
 * message in err[] (-ENOENT: the file has no build ID note).
 */
int dtrec_file_build_id(const char *path, char *hex, size_t size,
			char *err, size_t errlen);

/*
 * Compare the BUILD-ID= line of a VMCOREINFO text with vmlinux's build
 * ID. Returns -ESRCH with a one-line message in err[] ("... is not the
 * kernel of this WHAT") when they differ; 0 when they match or when
 * either side has none (nothing to compare is not a mismatch).
 */
int dtrec_vmcoreinfo_check_build(const char *vmcoreinfo, const char *vmlinux,
				  const char *what, char *err, size_t errlen);

/* The same, on the VMCOREINFO note of a dump file (WHAT: "dump"). */
int dtrec_dump_check_build(const char *dump, const char *vmlinux,
			   char *err, size_t errlen);

/*
 * Check that a dump file holds every byte its headers promise (ELF:
 * each segment; kdump-compressed: bitmap, page descriptors and the
 * pages they point to). Returns 0, or a negative errno with a one-line
 * message in err[] ("truncated dump: ..."). Files that are neither
 * ELF nor kdump, and non-regular files, are not judged (0).
 */
int dtrec_dump_check(const char *path, char *err, size_t errlen);

#endif /* DTREC_DUMP_H */
