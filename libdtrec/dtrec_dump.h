/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Saved CPU registers from a dump file, for the front ends that need
 * the hard interrupt state (RFLAGS.IF) of each CPU at dump time.
 */
#ifndef DTREC_DUMP_H
#define DTREC_DUMP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Read the NT_PRSTATUS notes of an ELF vmcore (kdump /proc/vmcore
 * copy, QEMU dump-guest-memory) or of a kdump-compressed (diskdump)
 * file and store each CPU's RFLAGS, in note order, into rflags[].
 * Returns the number of CPUs found (at most max_cpus), or a negative
 * errno with a one-line message in err[]. x86_64 dumps only.
 */
int dtrec_dump_cpu_flags(const char *path, uint64_t *rflags, int max_cpus,
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
