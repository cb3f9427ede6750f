// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dtrec_dump_cpu_flags() and dtrec_dump_vmcoreinfo() on tiny synthetic dumps: an ELF vmcore as
 * QEMU dump-guest-memory writes it, a kdump-compressed file, the
 * flattened format, and damaged variants of each.
 */
#include <errno.h>
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
#include "../../libdtrec/format/dumpnotes.c"

static char dir[4096] = "/tmp/dtnotesXXXXXX";

#include "check.h"

static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

/* notes() writes aarch64 PRSTATUS notes: 392 bytes, PSTATE at 112 + 33 * 8. */
static int arm64;

/* One note: namesz, descsz, type, name (4-aligned), desc (4-aligned). */
static size_t note(unsigned char *p, const char *name, uint32_t type,
		   size_t descsz, uint64_t rflags)
{
	size_t flags_off = arm64 ? 112 + 33 * 8 : 112 + 18 * 8;
	size_t nsz, nal, dal;

	if (arm64 && descsz == 336)
		descsz = 392;
	nsz = strlen(name) + 1;
	nal = (nsz + 3) & ~3UL;
	dal = (descsz + 3) & ~3UL;
	put32(p, (uint32_t)nsz);
	put32(p + 4, (uint32_t)descsz);
	put32(p + 8, type);
	memset(p + 12, 0, nal + dal);
	memcpy(p + 12, name, nsz);
	if (descsz >= flags_off + 8)
		put64(p + 12 + nal + flags_off, rflags);
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

/* A note whose descriptor is text without its NUL, as the kernel writes VMCOREINFO. */
static size_t text_note(unsigned char *p, const char *name, const char *text)
{
	size_t nsz = strlen(name) + 1, nal = (nsz + 3) & ~3UL;
	size_t tsz = strlen(text), tal = (tsz + 3) & ~3UL;

	put32(p, (uint32_t)nsz);
	put32(p + 4, (uint32_t)tsz);
	put32(p + 8, 0);
	memset(p + 12, 0, nal + tal);
	memcpy(p + 12, name, nsz);
	memcpy(p + 12 + nal, text, tsz);
	return 12 + nal + tal;
}

/* Append a note to the PT_NOTE segment make_elf() put at 512; new file length. */
static size_t elf_add_note(unsigned char *b, const char *name, const char *text)
{
	uint64_t nlen;

	memcpy(&nlen, b + 120 + 32, 8);
	nlen += text_note(b + 512 + nlen, name, text);
	put64(b + 120 + 32, nlen);
	return 512 + nlen;
}

static char *write_file(const char *name, const void *buf, size_t len)
{
	static char path[4][4200];
	static int k;
	char *p = path[k++ & 3];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
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

/* A kdump-compressed (diskdump) header for x86_64, 4 KiB blocks, version 6. */
static void make_kdump(unsigned char *b)
{
	memcpy(b, "KDUMP   ", 8);
	put32(b + 8, 6);			/* header_version */
	memcpy(b + 12 + 4 * 65, "x86_64", 7);	/* utsname.machine */
	put32(b + 428, 4096);			/* block_size */
	put32(b + 432, 1);			/* sub_hdr_size */
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
	len = make_elf(b, 40);
	p = write_file("arm.elf", b, len);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	CHECK(strstr(err, "machine 40") != NULL);

	/* aarch64: PSTATE, from its own place in a longer note. */
	arm64 = 1;
	len = make_elf(b, 183);
	arm64 = 0;
	p = write_file("arm64.elf", b, len);
	memset(fl, 0, sizeof(fl));
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) == 2);
	CHECK(fl[0] == 0x246 && fl[1] == 0x46);

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

	make_kdump(b);
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

	/* aarch64, as QEMU writes it for an arm64 guest: PSTATE. */
	put64(b + BS + 48, 2 * BS);
	memset(b + 12 + 4 * 65, 0, 65);
	memcpy(b + 12 + 4 * 65, "aarch64", 8);
	memset(b + 2 * BS, 0, BS);
	arm64 = 1;
	nlen = notes(b + 2 * BS);
	arm64 = 0;
	put64(b + BS + 56, nlen);
	p = write_file("arm64.kdump", b, 2 * BS + nlen);
	memset(fl, 0, sizeof(fl));
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) == 2);
	CHECK(fl[0] == 0x246 && fl[1] == 0x46);

	/* Any other machine is refused, naming it. */
	memcpy(b + 12 + 4 * 65, "riscv64", 8);
	p = write_file("riscv.kdump", b, 2 * BS + nlen);
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) < 0);
	CHECK(strstr(err, "riscv64") != NULL);
	free(b);
}

/* dtrec_dump_check: every byte the headers promise is in the file. */
static void test_complete(void)
{
	enum { BS = 4096 };
	unsigned char *b = calloc(1, 6 * BS);
	char err[256], want[128];
	char *p;

	make_elf(b, 62);
	put64(b + 64 + 8, 1024);		/* PT_LOAD p_offset */
	put64(b + 64 + 32, 1000);		/* p_filesz */
	CHECK(dtrec_dump_check(write_file("full.elf", b, 1024 + 1000), err, sizeof(err)) == 0);
	CHECK(dtrec_dump_check(write_file("cut.elf", b, 1500), err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "truncated dump: 1500 bytes, segment 0 ends at %d",
		 1024 + 1000);
	CHECK(strstr(err, want) != NULL);

	memset(b, 0, 6 * BS);
	make_kdump(b);
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
	snprintf(want, sizeof(want), "its pages end at %d", 5 * BS + 100 + 200);
	CHECK(strstr(err, want) != NULL);
	/* An offset that wraps around past the end passes no size check. */
	put64(b + 4 * BS + 24, UINT64_MAX - 50);
	p = write_file("wrap.kdump", b, 5 * BS + 300);
	CHECK(dtrec_dump_check(p, err, sizeof(err)) == -EIO);
	CHECK(strstr(err, "page descriptor 1 points past 2^64") != NULL);
	put64(b + 4 * BS + 24, 5 * BS + 100);
	p = write_file("cutbm.kdump", b, 3 * BS + 10);
	CHECK(dtrec_dump_check(p, err, sizeof(err)) < 0);
	CHECK(strstr(err, "page bitmap") != NULL);
	/* Neither format: not judged, unless too short for any header. */
	memset(b, 'x', 100);
	CHECK(dtrec_dump_check(write_file("text", b, 100), err, sizeof(err)) == 0);
	CHECK(dtrec_dump_check(write_file("tiny", b, 5), err, sizeof(err)) < 0);
	free(b);
}

#define VMCI "OSRELEASE=6.6.63\nPAGESIZE=4096\nKERNELOFFSET=1a000000\n"

static void test_vmcoreinfo(void)
{
	enum { BS = 4096 };
	unsigned char b[4096], *k;
	uint64_t fl[8] = { 0 };
	char err[256], text[256];
	size_t len, nlen;
	char *p;

	/* Among the PRSTATUS notes, which still decode around it. */
	make_elf(b, 62);
	len = elf_add_note(b, "VMCOREINFO", VMCI);
	p = write_file("vmci.elf", b, len);
	CHECK(dtrec_dump_vmcoreinfo(p, text, sizeof(text), err, sizeof(err)) ==
	      (int)strlen(VMCI));
	CHECK(!strcmp(text, VMCI));
	CHECK(dtrec_dump_cpu_flags(p, fl, 8, err, sizeof(err)) == 2);
	CHECK(fl[0] == 0x246 && fl[1] == 0x46);

	/* Cut to the buffer, still terminated. */
	memset(text, 'x', sizeof(text));
	CHECK(dtrec_dump_vmcoreinfo(p, text, 10, err, sizeof(err)) == 9);
	CHECK(!strcmp(text, "OSRELEASE"));

	/* The first one counts; a later copy does not overwrite it. */
	len = elf_add_note(b, "VMCOREINFO", "OSRELEASE=other\n");
	p = write_file("vmci2.elf", b, len);
	CHECK(dtrec_dump_vmcoreinfo(p, text, sizeof(text), err, sizeof(err)) > 0);
	CHECK(!strcmp(text, VMCI));

	/* Not x86_64: the note is still read. */
	make_elf(b, 183);
	len = elf_add_note(b, "VMCOREINFO", VMCI);
	p = write_file("vmci-arm.elf", b, len);
	CHECK(dtrec_dump_vmcoreinfo(p, text, sizeof(text), err, sizeof(err)) > 0);
	CHECK(!strcmp(text, VMCI));

	/* A name that only starts the same is another note. */
	make_elf(b, 62);
	len = elf_add_note(b, "VMCOREINFO_XEN", VMCI);
	p = write_file("novmci.elf", b, len);
	CHECK(dtrec_dump_vmcoreinfo(p, text, sizeof(text), err, sizeof(err)) == -ENOENT);
	CHECK(strstr(err, "no VMCOREINFO note") != NULL);
	CHECK(text[0] == '\0');

	/* A note segment cut short is an error, not a missing note. */
	make_elf(b, 62);
	len = elf_add_note(b, "VMCOREINFO", VMCI);
	p = write_file("vmci-cut.elf", b, len - 8);
	CHECK(dtrec_dump_vmcoreinfo(p, text, sizeof(text), err, sizeof(err)) == -EIO);
	CHECK(strstr(err, "truncated") != NULL);

	/* kdump-compressed: the note blob of the sub header. */
	k = calloc(1, 3 * BS);
	make_kdump(k);
	nlen = notes(k + 2 * BS);
	nlen += text_note(k + 2 * BS + nlen, "VMCOREINFO", VMCI);
	put64(k + BS + 48, 2 * BS);
	put64(k + BS + 56, nlen);
	p = write_file("vmci.kdump", k, 2 * BS + nlen);
	CHECK(dtrec_dump_vmcoreinfo(p, text, sizeof(text), err, sizeof(err)) > 0);
	CHECK(!strcmp(text, VMCI));
	free(k);

	CHECK(dtrec_dump_vmcoreinfo(p, text, 1, err, sizeof(err)) == -EINVAL);
	CHECK(dtrec_dump_vmcoreinfo(NULL, text, sizeof(text), err, sizeof(err)) == -EINVAL);
}

/*
 * A vmlinux stand-in: ELF64 with a null section, a non-note section and
 * an SHT_NOTE section holding another note, then the GNU build ID.
 */
static size_t make_vmlinux(unsigned char *b, const unsigned char *id, size_t idlen)
{
	size_t n = 0, i;

	memset(b, 0, 4096);
	memcpy(b, "\177ELF", 4);
	b[4] = 2;
	b[5] = 1;
	put64(b + 40, 64);		/* e_shoff */
	put16(b + 58, 64);		/* e_shentsize */
	put16(b + 60, 3);		/* e_shnum */
	put32(b + 128 + 4, 1);		/* section 1: SHT_PROGBITS */
	put64(b + 128 + 24, 0);
	put64(b + 128 + 32, 64);
	put32(b + 192 + 4, 7);		/* section 2: SHT_NOTE at 512 */
	put64(b + 192 + 24, 512);
	n += note(b + 512, "Xen", 3, 8, 0);	/* type 3, wrong owner */
	put32(b + 512 + n, 4);
	put32(b + 512 + n + 4, (uint32_t)idlen);
	put32(b + 512 + n + 8, 3);
	memcpy(b + 512 + n + 12, "GNU", 4);
	for (i = 0; i < idlen; i++)
		b[512 + n + 16 + i] = id[i];
	n += 16 + ((idlen + 3) & ~3UL);
	put64(b + 192 + 32, n);
	return 512 + n;
}

static void test_build_id(void)
{
	static const unsigned char id[20] = {
		0x23, 0xe1, 0xae, 0x71, 0x13, 0xff, 0x05, 0x01, 0xde, 0xda,
		0xef, 0xf6, 0x89, 0x1e, 0x23, 0xe8, 0xdf, 0x4c, 0xac, 0x36 };
	const char *hexid = "23e1ae7113ff0501dedaeff6891e23e8df4cac36";
	const char *other = "c308ac00dc6d";	/* the first 12 digits of another ID */
	unsigned char b[4096], v[4096];
	char err[512], hex[129], line[128], want[160];
	size_t len, vlen = make_vmlinux(v, id, sizeof(id));
	char *vm = write_file("vmlinux", v, vlen), *p;

	CHECK(dtrec_file_build_id(vm, hex, sizeof(hex), err, sizeof(err)) == 40);
	CHECK(!strcmp(hex, hexid));
	/* Cut to the buffer on whole bytes. */
	CHECK(dtrec_file_build_id(vm, hex, 8, err, sizeof(err)) == 6);
	CHECK(!strcmp(hex, "23e1ae"));

	/* Same build, upper-case hex in the note: a match. */
	make_elf(b, 62);
	len = elf_add_note(b, "VMCOREINFO",
			   "OSRELEASE=6.6\nBUILD-ID=23E1AE7113FF0501DEDAEFF6891E23E8DF4CAC36\nPAGESIZE=4096\n");
	p = write_file("same.elf", b, len);
	CHECK(dtrec_dump_check_build(p, vm, err, sizeof(err)) == 0);

	/* Another build: refused, naming both IDs. */
	make_elf(b, 62);
	snprintf(line, sizeof(line), "OSRELEASE=6.6\nBUILD-ID=%s%s\n", other, hexid + 12);
	len = elf_add_note(b, "VMCOREINFO", line);
	p = write_file("other.elf", b, len);
	CHECK(dtrec_dump_check_build(p, vm, err, sizeof(err)) == -ESRCH);
	snprintf(want, sizeof(want),
		 "(build ID %.12s) is not the kernel of this dump (build ID %s)", hexid, other);
	CHECK(strstr(err, want) != NULL);

	/* The same comparison on VMCOREINFO text read from a live guest. */
	CHECK(dtrec_vmcoreinfo_check_build(line, vm, "guest", err, sizeof(err)) == -ESRCH);
	snprintf(want, sizeof(want),
		 "(build ID %.12s) is not the kernel of this guest (build ID %s)", hexid, other);
	CHECK(strstr(err, want) != NULL);
	snprintf(line, sizeof(line), "BUILD-ID=%s", hexid);	/* no newline */
	CHECK(dtrec_vmcoreinfo_check_build(line, vm, "guest", err, sizeof(err)) == 0);

	/* A prefix of the right ID is still another build. */
	make_elf(b, 62);
	len = elf_add_note(b, "VMCOREINFO", "BUILD-ID=23e1ae7113ff\n");
	p = write_file("prefix.elf", b, len);
	CHECK(dtrec_dump_check_build(p, vm, err, sizeof(err)) == -ESRCH);

	/* Nothing to compare: no BUILD-ID line, no note, no vmlinux ID. */
	make_elf(b, 62);
	len = elf_add_note(b, "VMCOREINFO", "OSRELEASE=5.10\n");
	p = write_file("noid.elf", b, len);
	CHECK(dtrec_dump_check_build(p, vm, err, sizeof(err)) == 0);
	p = write_file("nonote.elf", b, make_elf(b, 62));
	CHECK(dtrec_dump_check_build(p, vm, err, sizeof(err)) == 0);
	put32(v + 192 + 4, 1);		/* the note section is no longer one */
	vm = write_file("vmlinux.noid", v, vlen);
	CHECK(dtrec_file_build_id(vm, hex, sizeof(hex), err, sizeof(err)) == -ENOENT);
	CHECK(dtrec_dump_check_build(write_file("other2.elf", b,
						elf_add_note(b, "VMCOREINFO", line)),
				     vm, err, sizeof(err)) == 0);

	/* Damaged vmlinux files fail cleanly. */
	make_vmlinux(v, id, sizeof(id));
	put64(v + 192 + 32, 1ULL << 40);	/* note section of 1 TiB */
	vm = write_file("vmlinux.huge", v, vlen);
	CHECK(dtrec_file_build_id(vm, hex, sizeof(hex), err, sizeof(err)) == -ENOENT);
	make_vmlinux(v, id, sizeof(id));
	vm = write_file("vmlinux.cut", v, vlen - 8);
	CHECK(dtrec_file_build_id(vm, hex, sizeof(hex), err, sizeof(err)) == -ENOENT);
	CHECK(dtrec_file_build_id(write_file("junk.vmlinux", "junk", 4), hex,
				  sizeof(hex), err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "not a little-endian ELF64") != NULL);
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
	/* A directory (like /proc/kcore, not a regular file): nothing to check. */
	CHECK(dtrec_dump_check(dir, err, sizeof(err)) == 0 && err[0] == '\0');
	CHECK(dtrec_dump_check(dir, NULL, 0) == 0);
	CHECK(dtrec_dump_check(NULL, err, sizeof(err)) == -EINVAL);
	CHECK(dtrec_dump_vmcoreinfo(dir, (char[16]){ 0 }, 16, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not a regular file") != NULL);
	CHECK(dtrec_file_build_id(dir, (char[16]){ 0 }, 16, NULL, 0) < 0);
}

int main(void)
{
	char cmd[4200];

	const char *keep = getenv("DTNOTES_KEEP");

	/* DTNOTES_KEEP=DIR: leave the files there (the fuzzer's seeds). */
	if (keep)
		snprintf(dir, sizeof(dir), "%s", keep);
	else if (!mkdtemp(dir))
		return 2;
	case_begin("elf");
	test_elf();
	case_end();
	case_begin("kdump");
	test_kdump();
	case_end();
	case_begin("complete");
	test_complete();
	case_end();
	case_begin("vmcoreinfo");
	test_vmcoreinfo();
	case_end();
	case_begin("build_id");
	test_build_id();
	case_end();
	case_begin("other");
	test_other();
	case_end();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (!keep && system(cmd))
		printf("warning: could not remove %s\n", dir);
	return failed;
}
