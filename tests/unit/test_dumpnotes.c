// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dtrec_dump_cpu_flags() on tiny synthetic dumps: an ELF vmcore as
 * QEMU dump-guest-memory writes it, a kdump-compressed file, the
 * flattened format, and damaged variants of each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dtrec_dump.h"
/*
 * Compiled in directly: this test must not depend on whether the
 * libdtrec.a it is linked with already carries dumpnotes.o (an archive
 * member is only pulled in for symbols still undefined).
 */
#include "../../libdtrec/dumpnotes.c"

static int failures;
static char dir[] = "/tmp/dtnotesXXXXXX";

#define CHECK(c) do { if (!(c)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

/* One note: namesz, descsz, type, name (4-aligned), desc (4-aligned). */
static size_t note(unsigned char *p, const char *name, uint32_t type,
		   size_t descsz, uint64_t rflags)
{
	size_t nsz = strlen(name) + 1, nal = (nsz + 3) & ~3UL, dal = (descsz + 3) & ~3UL;

	put32(p, (uint32_t)nsz);
	put32(p + 4, (uint32_t)descsz);
	put32(p + 8, type);
	memset(p + 12, 0, nal + dal);
	memcpy(p + 12, name, nsz);
	if (descsz >= 264)
		put64(p + 12 + nal + 112 + 18 * 8, rflags);
	return 12 + nal + dal;
}

/* CORE/PRSTATUS for cpu0 (IF set), a QEMU note, a short PRSTATUS, cpu1 (IF clear). */
static size_t notes(unsigned char *p)
{
	size_t n = 0;

	n += note(p + n, "CORE", 1, 336, 0x246);
	n += note(p + n, "QEMU", 0, 40, 0);
	n += note(p + n, "CORE", 1, 100, 0xdead);	/* too short: skipped */
	n += note(p + n, "LINUX", 1, 336, 0xbad);	/* wrong owner: skipped */
	n += note(p + n, "CORE", 1, 336, 0x46);
	return n;
}

static char *write_file(const char *name, const void *buf, size_t len)
{
	static char path[4][128];
	static int k;
	char *p = path[k++ & 3];
	FILE *f;

	snprintf(p, 128, "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f || fwrite(buf, 1, len, f) != len)
		abort();
	fclose(f);
	return p;
}

static size_t make_elf(unsigned char *b, uint16_t machine)
{
	size_t nlen;

	memset(b, 0, 4096);
	memcpy(b, "\177ELF", 4);
	b[4] = 2;		/* ELFCLASS64 */
	b[5] = 1;		/* little endian */
	b[6] = 1;
	put16(b + 16, 4);	/* ET_CORE */
	put16(b + 18, machine);
	put64(b + 32, 64);	/* e_phoff */
	put16(b + 52, 64);
	put16(b + 54, 56);
	put16(b + 56, 2);
	/* phdr 0: PT_LOAD, ignored; phdr 1: PT_NOTE at 512 */
	put32(b + 64, 1);
	nlen = notes(b + 512);
	put32(b + 120, 4);
	put64(b + 120 + 8, 512);
	put64(b + 120 + 32, nlen);
	return 512 + nlen;
}

static void test_elf(void)
{
	unsigned char b[4096];
	uint64_t fl[8] = { 0 };
	char err[256];
	size_t len = make_elf(b, 62);
	char *p = write_file("vmcore.elf", b, len);

	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) == 2);
	CHECK(fl[0] == 0x246 && fl[1] == 0x46);
	/* max_cpus bounds the output. */
	memset(fl, 0, sizeof(fl));
	CHECK(dtrec_dump_cpu_flags(p, fl, 1, err, sizeof(err)) == 1);
	CHECK(fl[0] == 0x246 && fl[1] == 0);

	/* Truncated inside the note segment. */
	p = write_file("trunc.elf", b, len - 10);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	CHECK(strstr(err, "truncated") != NULL);

	/* A note segment claiming 1 GiB. */
	put64(b + 120 + 32, 1ULL << 30);
	p = write_file("huge.elf", b, len);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	put64(b + 120 + 32, len - 512);

	/* Program headers past the end of the file. */
	put64(b + 32, 1ULL << 40);
	p = write_file("phoff.elf", b, len);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	CHECK(strstr(err, "program header") != NULL);

	/* Another machine: refused with a message naming it. */
	len = make_elf(b, 183);
	p = write_file("arm.elf", b, len);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	CHECK(strstr(err, "183") != NULL);

	/* A note whose descsz runs past the segment ends the scan quietly. */
	len = make_elf(b, 62);
	put32(b + 512 + 4, 0x7fffffff);
	p = write_file("badnote.elf", b, len);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	CHECK(strstr(err, "no NT_PRSTATUS") != NULL);
}

static void test_kdump(void)
{
	enum { BS = 4096 };
	unsigned char *b = calloc(1, 3 * BS);
	uint64_t fl[8] = { 0 };
	char err[256];
	size_t nlen;
	char *p;

	memcpy(b, "KDUMP   ", 8);
	put32(b + 8, 6);			/* header_version */
	memcpy(b + 12 + 4 * 65, "x86_64", 7);	/* utsname.machine */
	put32(b + 428, BS);			/* block_size */
	put32(b + 432, 1);			/* sub_hdr_size */
	put32(b + 460, 2);			/* nr_cpus */
	nlen = notes(b + 2 * BS);
	put64(b + BS + 48, 2 * BS);		/* offset_note */
	put64(b + BS + 56, nlen);		/* size_note */
	p = write_file("vmcore.kdump", b, 2 * BS + nlen);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) == 2);
	CHECK(fl[0] == 0x246 && fl[1] == 0x46);

	put32(b + 8, 3);			/* no notes before version 4 */
	p = write_file("old.kdump", b, 2 * BS + nlen);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	CHECK(strstr(err, "version 3") != NULL);
	put32(b + 8, 6);

	put32(b + 428, 1000);			/* not a power of two */
	p = write_file("bs.kdump", b, 2 * BS + nlen);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	put32(b + 428, BS);

	put64(b + BS + 48, 1ULL << 50);		/* notes past the end */
	p = write_file("off.kdump", b, 2 * BS + nlen);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);

	p = write_file("short.kdump", b, BS + 10);	/* sub header cut */
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	free(b);
}

/* dtrec_dump_check: every byte the headers promise is in the file. */
static void test_complete(void)
{
	enum { BS = 4096 };
	unsigned char *b = calloc(1, 6 * BS);
	char err[256];
	char *p;

	make_elf(b, 62);
	put64(b + 64 + 8, 1024);		/* PT_LOAD p_offset */
	put64(b + 64 + 32, 1000);		/* p_filesz */
	CHECK(dtrec_dump_check(write_file("full.elf", b, 2024), err, sizeof(err)) == 0);
	CHECK(dtrec_dump_check(write_file("cut.elf", b, 1500), err, sizeof(err)) < 0);
	CHECK(strstr(err, "truncated dump: 1500 bytes, segment 0 ends at 2024") != NULL);

	memset(b, 0, 6 * BS);
	memcpy(b, "KDUMP   ", 8);
	put32(b + 428, BS);			/* block_size */
	put32(b + 432, 1);			/* sub_hdr_size */
	put32(b + 436, 2);			/* bitmap_blocks */
	b[3 * BS] = 0x5;			/* 2nd bitmap: pfns 0 and 2 */
	put64(b + 4 * BS, 5 * BS);		/* desc 0: offset, size */
	put32(b + 4 * BS + 8, 100);
	put64(b + 4 * BS + 24, 5 * BS + 100);	/* desc 1 */
	put32(b + 4 * BS + 32, 200);
	p = write_file("full.kdump", b, 5 * BS + 300);
	CHECK(dtrec_dump_check(p, err, sizeof(err)) == 0);
	p = write_file("cut.kdump", b, 5 * BS + 299);
	CHECK(dtrec_dump_check(p, err, sizeof(err)) < 0);
	CHECK(strstr(err, "its pages end at 20780") != NULL);
	p = write_file("cutbm.kdump", b, 3 * BS + 10);
	CHECK(dtrec_dump_check(p, err, sizeof(err)) < 0);
	CHECK(strstr(err, "page bitmap") != NULL);
	/* Neither format: not judged, unless too short for any header. */
	memset(b, 'x', 100);
	CHECK(dtrec_dump_check(write_file("text", b, 100), err, sizeof(err)) == 0);
	CHECK(dtrec_dump_check(write_file("tiny", b, 5), err, sizeof(err)) < 0);
	free(b);
}

static void test_other(void)
{
	unsigned char b[4096] = "makedumpfile";
	uint64_t fl[8];
	char err[256];
	char *p = write_file("flat", b, sizeof(b));

	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	CHECK(strstr(err, "makedumpfile -R") != NULL);
	memset(b, 'x', sizeof(b));
	p = write_file("junk", b, sizeof(b));
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	p = write_file("tiny", b, 3);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	CHECK(dtrec_dump_cpu_flags("/nonexistent/vmcore", fl, 8, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent/vmcore") != NULL);
	CHECK(dtrec_dump_cpu_flags(dir, fl, 8, err, sizeof(err)) < 0);
	CHECK(dtrec_dump_cpu_flags(p, fl, 0, err, sizeof(err)) < 0);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, NULL, 0) < 0);	/* no err buffer */
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir))
		return 2;
	test_elf();
	test_kdump();
	test_complete();
	test_other();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("warning: could not remove %s\n", dir);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
