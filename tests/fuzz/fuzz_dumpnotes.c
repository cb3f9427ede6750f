// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the dump-file readers (saved RFLAGS, VMCOREINFO,
 * completeness, build IDs) on arbitrary files. They take a path, since the front
 * ends hand them the dump the debugger opened, so the input goes into
 * a memfd and is read back through /proc/self/fd.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "dtrec_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	uint64_t rflags[8];
	char err[512], text[512], hex[129];
	int n;

	if (fd < 0) {
		fd = memfd_create("dump", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();

	n = dtrec_dump_cpu_flags(path, rflags, 8, err, sizeof(err));
	if (n > 8 || (n <= 0 && !err[0]))
		abort();
	/* A small buffer too, for the cut-to-size path. */
	n = dtrec_dump_vmcoreinfo(path, text, size % 2 ? 16 : sizeof(text),
				  err, sizeof(err));
	if (n >= 0 && (size_t)n != strlen(text))
		abort();
	if (n < 0 && !err[0])
		abort();
	if (dtrec_dump_check(path, err, sizeof(err)) < 0 && !err[0])
		abort();
	n = dtrec_file_build_id(path, hex, size % 3 ? 9 : sizeof(hex), err, sizeof(err));
	if (n >= 0 && (size_t)n != strlen(hex))
		abort();
	/* The input as both the dump and the vmlinux: IDs from both readers. */
	if (dtrec_dump_check_build(path, path, err, sizeof(err)) < 0 && !err[0])
		abort();
	return 0;
}
