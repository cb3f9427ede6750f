// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * NT_PRSTATUS and VMCOREINFO notes of ELF and kdump-compressed dumps.
 * The file is untrusted input: every offset and size is checked against
 * the file size and sane upper bounds before anything is read or
 * allocated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dtrec_dump.h"

#define NT_PRSTATUS_TYPE	1
#define NT_GNU_BUILD_ID_TYPE	3
#define EM_X86_64_ID		62
#define EM_AARCH64_ID		183
/*
 * struct elf_prstatus has pr_reg at 112 on both 64-bit machines. x86_64:
 * eflags is user_regs_struct[18]; arm64: pstate is user_pt_regs[33]
 * (x0-x30, sp, pc, pstate), its DAIF.I bit 7.
 */
#define PRSTATUS_REG_OFF	112
#define PRSTATUS_RFLAGS_OFF	(PRSTATUS_REG_OFF + 18 * 8)
#define PRSTATUS_PSTATE_OFF	(PRSTATUS_REG_OFF + 33 * 8)

#define MAX_NOTES_BYTES		(64U << 20)

/* makedumpfile's kdump-compressed header (diskdump_mod.h), x86_64. */
#define KDUMP_SIG		"KDUMP   "
#define FLAT_SIG		"makedumpfile"
#define DH_UTS_MACHINE		(12 + 4 * 65)
#define DH_BLOCK_SIZE		428
#define DH_HEADER_VERSION	8
#define DH_SUB_HDR_SIZE		432
#define DH_BITMAP_BLOCKS	436
#define PAGE_DESC_SIZE		24
#define SH_OFFSET_NOTE		48
#define SH_SIZE_NOTE		56

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
{
	if (err && len) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int read_at(int fd, uint64_t off, void *buf, size_t len, uint64_t fsize)
{
	size_t done = 0;

	if (off > fsize || len > fsize - off)
		return -1;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Open path for reading and get its size. Returns the fd, or -errno
 * with err set; -ENODEV for a file that is not regular (/proc/kcore, a
 * pipe), which has no size to check anything against.
 */
static int open_regular(const char *path, uint64_t *fsize, char *err,
			size_t errlen)
{
	struct stat st;
	int fd;

	if (err && errlen)
		err[0] = '\0';
	if (!path)
		return fail(err, errlen, -EINVAL, "bad arguments");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -ENODEV, "%s: not a regular file", path);
	}
	*fsize = (uint64_t)st.st_size;
	return fd;
}

/* What a walk over the notes collects; any part may be absent. */
struct note_sink {
	uint64_t *rflags;	/* RFLAGS of each CORE/NT_PRSTATUS, in order */
	size_t flags_off;	/* where the flags word is in the note */
	int max_cpus;
	int n;
	char *vmci;		/* VMCOREINFO text, NUL-terminated */
	size_t vmci_size;
	size_t vmci_len;
	int vmci_found;
	char *bid;		/* GNU build ID as hex, NUL-terminated */
	size_t bid_size;
	int bid_found;
};

static void to_hex(const unsigned char *p, size_t n, char *hex, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < size; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 15];
	}
	hex[2 * i] = '\0';
}

static void sink_vmcoreinfo(struct note_sink *s, const unsigned char *desc,
			    size_t descsz)
{
	const unsigned char *nul = memchr(desc, '\0', descsz);
	size_t len = nul ? (size_t)(nul - desc) : descsz;

	if (!s->vmci || s->vmci_found)
		return;
	s->vmci_found = 1;
	if (len >= s->vmci_size)
		len = s->vmci_size - 1;
	memcpy(s->vmci, desc, len);
	s->vmci[len] = '\0';
	s->vmci_len = len;
}

/* Walk one note blob into the sink. */
static void scan_notes(const unsigned char *p, size_t len, struct note_sink *s)
{
	size_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz = get32(p + off), descsz = get32(p + off + 4);
		uint32_t type = get32(p + off + 8);
		size_t name_al = ((size_t)namesz + 3) & ~(size_t)3;
		size_t desc_al = ((size_t)descsz + 3) & ~(size_t)3;
		const unsigned char *name = p + off + 12, *desc;

		if (name_al > len - off - 12 || desc_al > len - off - 12 - name_al)
			break;
		desc = name + name_al;
		if (type == NT_PRSTATUS_TYPE && namesz == 5 &&
		    !memcmp(name, "CORE", 5) && s->rflags &&
		    descsz >= s->flags_off + 8 && s->n < s->max_cpus)
			s->rflags[s->n++] = get64(desc + s->flags_off);
		else if (namesz == 11 && !memcmp(name, "VMCOREINFO", 11))
			sink_vmcoreinfo(s, desc, descsz);
		else if (type == NT_GNU_BUILD_ID_TYPE && namesz == 4 &&
			 !memcmp(name, "GNU", 4) && descsz && s->bid && !s->bid_found) {
			to_hex(desc, descsz, s->bid, s->bid_size);
			s->bid_found = 1;
		}
		off += 12 + name_al + desc_al;
	}
}

static int notes_at(int fd, uint64_t off, uint64_t size, uint64_t fsize,
		    struct note_sink *s, char *err, size_t errlen)
{
	unsigned char *buf;

	if (!size)
		return 0;
	if (size > MAX_NOTES_BYTES)
		return fail(err, errlen, -EINVAL,
			    "note segment of %llu bytes is implausible",
			    (unsigned long long)size);
	buf = malloc((size_t)size);
	if (!buf)
		return fail(err, errlen, -ENOMEM, "out of memory for notes");
	if (read_at(fd, off, buf, (size_t)size, fsize)) {
		free(buf);
		return fail(err, errlen, -EIO,
			    "note segment past the end of the file (truncated dump?)");
	}
	scan_notes(buf, (size_t)size, s);
	free(buf);
	return 0;
}

static int parse_elf(int fd, uint64_t fsize, const unsigned char *eh,
		     struct note_sink *s, char *err, size_t errlen)
{
	uint64_t phoff = get64(eh + 32);
	uint16_t phentsize, phnum, machine;
	unsigned char ph[56];
	unsigned int i;
	int rc;

	if (eh[4] != 2 || eh[5] != 1)
		return fail(err, errlen, -EINVAL,
			    "only little-endian ELF64 dumps are supported");
	memcpy(&machine, eh + 18, 2);
	memcpy(&phentsize, eh + 54, 2);
	memcpy(&phnum, eh + 56, 2);
	s->flags_off = machine == EM_AARCH64_ID ? PRSTATUS_PSTATE_OFF :
		PRSTATUS_RFLAGS_OFF;
	if (machine != EM_X86_64_ID && machine != EM_AARCH64_ID && s->rflags)
		return fail(err, errlen, -EINVAL,
			    "ELF machine %u: saved registers are decoded for x86_64 and aarch64 only",
			    machine);
	if (phentsize != sizeof(ph) || !phnum)
		return fail(err, errlen, -EINVAL, "bad ELF program headers");
	for (i = 0; i < phnum; i++) {
		if (read_at(fd, phoff + (uint64_t)i * sizeof(ph), ph, sizeof(ph), fsize))
			return fail(err, errlen, -EIO,
				    "ELF program header %u past the end of the file", i);
		if (get32(ph) != 4 /* PT_NOTE */)
			continue;
		rc = notes_at(fd, get64(ph + 8), get64(ph + 32), fsize, s,
			      err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_kdump(int fd, uint64_t fsize, struct note_sink *s,
		       char *err, size_t errlen)
{
	unsigned char dh[464], sh[64];
	int32_t version, block_size;

	if (read_at(fd, 0, dh, sizeof(dh), fsize))
		return fail(err, errlen, -EIO, "kdump header truncated");
	memcpy(&version, dh + DH_HEADER_VERSION, 4);
	memcpy(&block_size, dh + DH_BLOCK_SIZE, 4);
	if (!strncmp((const char *)dh + DH_UTS_MACHINE, "aarch64", 8))
		s->flags_off = PRSTATUS_PSTATE_OFF;
	else if (!strncmp((const char *)dh + DH_UTS_MACHINE, "x86_64", 7))
		s->flags_off = PRSTATUS_RFLAGS_OFF;
	else if (s->rflags)
		return fail(err, errlen, -EINVAL,
			    "kdump machine '%.16s': saved registers are decoded for x86_64 and aarch64 only",
			    (const char *)dh + DH_UTS_MACHINE);
	if (block_size < 512 || block_size > (1 << 20) ||
	    (block_size & (block_size - 1)))
		return fail(err, errlen, -EINVAL, "kdump block size %d is implausible",
			    block_size);
	if (version < 4)
		return fail(err, errlen, -EINVAL,
			    "kdump header version %d carries no ELF notes", version);
	/* The sub header is the block after the main header. */
	if (read_at(fd, (uint64_t)block_size, sh, sizeof(sh), fsize))
		return fail(err, errlen, -EIO, "kdump sub header truncated");
	return notes_at(fd, get64(sh + SH_OFFSET_NOTE), get64(sh + SH_SIZE_NOTE),
			fsize, s, err, errlen);
}

/* Every note of the dump at path into s: 0, or -errno with err set. */
static int parse_dump(const char *path, struct note_sink *s, char *err,
		      size_t errlen)
{
	unsigned char head[64];
	uint64_t fsize;
	int fd, rc;

	fd = open_regular(path, &fsize, err, errlen);
	if (fd < 0)
		return fd;
	if (read_at(fd, 0, head, sizeof(head), fsize)) {
		close(fd);
		return fail(err, errlen, -EINVAL, "%s: too short for a dump", path);
	}
	if (!memcmp(head, "\177ELF", 4))
		rc = parse_elf(fd, fsize, head, s, err, errlen);
	else if (!memcmp(head, KDUMP_SIG, 8))
		rc = parse_kdump(fd, fsize, s, err, errlen);
	else if (!memcmp(head, FLAT_SIG, strlen(FLAT_SIG)))
		rc = fail(err, errlen, -EINVAL,
			  "%s is in flattened format: run `makedumpfile -R NEWFILE < %s` first",
			  path, path);
	else
		rc = fail(err, errlen, -EINVAL,
			  "%s: not an ELF or kdump-compressed dump", path);
	close(fd);
	return rc;
}

int dtrec_dump_cpu_flags(const char *path, uint64_t *rflags, int max_cpus,
			 char *err, size_t errlen)
{
	struct note_sink s = { .rflags = rflags, .max_cpus = max_cpus };
	int rc;

	if (!rflags || max_cpus <= 0)
		return fail(err, errlen, -EINVAL, "bad arguments");
	rc = parse_dump(path, &s, err, errlen);
	if (rc)
		return rc;
	if (!s.n)
		return fail(err, errlen, -ENOENT, "%s: no NT_PRSTATUS notes", path);
	return s.n;
}

int dtrec_dump_vmcoreinfo(const char *path, char *buf, size_t size,
			  char *err, size_t errlen)
{
	struct note_sink s = { .vmci = buf, .vmci_size = size };
	int rc;

	if (!buf || size < 2 || size > INT32_MAX)
		return fail(err, errlen, -EINVAL, "bad arguments");
	buf[0] = '\0';
	rc = parse_dump(path, &s, err, errlen);
	if (rc)
		return rc;
	if (!s.vmci_found)
		return fail(err, errlen, -ENOENT,
			    "%s: no VMCOREINFO note (QEMU needs -device vmcoreinfo)",
			    path);
	return (int)s.vmci_len;
}

/* --- build ID ------------------------------------------------------------ */

#define SHT_NOTE_TYPE		7
/* A vmlinux's note sections are a few hundred bytes. */
#define MAX_NOTE_SECTION	(1U << 20)

int dtrec_file_build_id(const char *path, char *hex, size_t size,
			char *err, size_t errlen)
{
	struct note_sink s = { .bid = hex, .bid_size = size };
	unsigned char eh[64], sh[64];
	uint16_t shentsize, shnum;
	uint64_t shoff, fsize;
	unsigned int i;
	int fd;

	if (!hex || size < 3)
		return fail(err, errlen, -EINVAL, "bad arguments");
	hex[0] = '\0';
	fd = open_regular(path, &fsize, err, errlen);
	if (fd < 0)
		return fd;
	if (read_at(fd, 0, eh, sizeof(eh), fsize) || memcmp(eh, "\177ELF", 4) ||
	    eh[4] != 2 || eh[5] != 1) {
		close(fd);
		return fail(err, errlen, -EINVAL, "%s: not a little-endian ELF64 file",
			    path);
	}
	shoff = get64(eh + 40);
	memcpy(&shentsize, eh + 58, 2);
	memcpy(&shnum, eh + 60, 2);
	for (i = 0; !s.bid_found && shentsize == sizeof(sh) && i < shnum; i++) {
		uint64_t len;

		if (read_at(fd, shoff + (uint64_t)i * sizeof(sh), sh, sizeof(sh), fsize))
			break;
		len = get64(sh + 32);
		/* A section that cannot be read is one without the note. */
		if (get32(sh + 4) == SHT_NOTE_TYPE && len <= MAX_NOTE_SECTION)
			notes_at(fd, get64(sh + 24), len, fsize, &s, NULL, 0);
	}
	close(fd);
	if (!s.bid_found)
		return fail(err, errlen, -ENOENT, "%s: no GNU build ID note", path);
	return (int)strlen(hex);
}

int dtrec_vmcoreinfo_check_build(const char *vmcoreinfo, const char *vmlinux,
				  const char *what, char *err, size_t errlen)
{
	const char *want = vmcoreinfo;
	char have[129];
	size_t n;

	if (err && errlen)
		err[0] = '\0';
	if (!vmcoreinfo || !vmlinux || !what)
		return fail(err, errlen, -EINVAL, "bad arguments");
	/* Nothing to compare with is not a mismatch: the banner check remains. */
	if (dtrec_file_build_id(vmlinux, have, sizeof(have), NULL, 0) < 0)
		return 0;
	while (want && strncmp(want, "BUILD-ID=", 9)) {
		want = strchr(want, '\n');
		if (want)
			want++;
	}
	if (!want)
		return 0;
	want += 9;
	n = strcspn(want, "\n");
	if (n != strlen(have) || strncasecmp(want, have, n))
		return fail(err, errlen, -ESRCH,
			    "vmlinux %s (build ID %.12s) is not the kernel of this %s (build ID %.12s)",
			    vmlinux, have, what, want);
	return 0;
}

int dtrec_dump_check_build(const char *dump, const char *vmlinux,
			   char *err, size_t errlen)
{
	char *text;
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!dump || !vmlinux)
		return fail(err, errlen, -EINVAL, "bad arguments");
	text = malloc(1 << 16);
	if (!text)
		return fail(err, errlen, -ENOMEM, "out of memory for VMCOREINFO");
	if (dtrec_dump_vmcoreinfo(dump, text, 1 << 16, NULL, 0) >= 0)
		rc = dtrec_vmcoreinfo_check_build(text, vmlinux, "dump", err, errlen);
	free(text);
	return rc;
}

/* --- completeness ------------------------------------------------------ */

static int elf_complete(int fd, uint64_t fsize, const unsigned char *eh,
			char *err, size_t errlen)
{
	uint64_t phoff = get64(eh + 32), end;
	uint16_t phentsize, phnum;
	unsigned char ph[56];
	unsigned int i;

	memcpy(&phentsize, eh + 54, 2);
	memcpy(&phnum, eh + 56, 2);
	if (eh[4] != 2 || phentsize != sizeof(ph))
		return fail(err, errlen, -EINVAL, "not an ELF64 dump");
	for (i = 0; i < phnum; i++) {
		if (read_at(fd, phoff + (uint64_t)i * sizeof(ph), ph, sizeof(ph), fsize))
			return fail(err, errlen, -EIO,
				    "truncated dump: program header %u is past its end", i);
		end = get64(ph + 8) + get64(ph + 32);
		if (end < get64(ph + 8) || end > fsize)
			return fail(err, errlen, -EIO,
				    "truncated dump: %llu bytes, segment %u ends at %llu",
				    (unsigned long long)fsize, i,
				    (unsigned long long)end);
	}
	return 0;
}

static int kdump_complete(int fd, uint64_t fsize, char *err, size_t errlen)
{
	unsigned char dh[464], buf[PAGE_DESC_SIZE * 512], *bm;
	uint32_t bitmap_blocks;
	int32_t block_size, sub_hdr;
	uint64_t bm_len, bm_off, descs, nr = 0, i, end, max_end = 0;

	if (read_at(fd, 0, dh, sizeof(dh), fsize))
		return fail(err, errlen, -EIO, "truncated dump: no complete kdump header");
	memcpy(&block_size, dh + DH_BLOCK_SIZE, 4);
	memcpy(&sub_hdr, dh + DH_SUB_HDR_SIZE, 4);
	memcpy(&bitmap_blocks, dh + DH_BITMAP_BLOCKS, 4);
	if (block_size < 512 || block_size > (1 << 20) || sub_hdr < 0 ||
	    sub_hdr > (1 << 20) || !bitmap_blocks || (bitmap_blocks & 1))
		return fail(err, errlen, -EINVAL, "kdump header is implausible");
	bm_len = (uint64_t)bitmap_blocks * (uint32_t)block_size / 2;
	/* The second bitmap marks the pages the dump holds. */
	bm_off = (1 + (uint64_t)sub_hdr) * (uint32_t)block_size + bm_len;
	descs = bm_off + bm_len;
	if (descs > fsize || bm_len > (256ULL << 20))
		return fail(err, errlen, -EIO,
			    "truncated dump: %llu bytes, the page bitmap ends at %llu",
			    (unsigned long long)fsize, (unsigned long long)descs);
	bm = malloc((size_t)bm_len);
	if (!bm)
		return fail(err, errlen, -ENOMEM, "out of memory for the page bitmap");
	if (read_at(fd, bm_off, bm, (size_t)bm_len, fsize)) {
		free(bm);
		return fail(err, errlen, -EIO, "truncated dump: page bitmap cut short");
	}
	for (i = 0; i < bm_len; i++)
		nr += (uint64_t)__builtin_popcount(bm[i]);
	free(bm);
	if (nr > (fsize - descs) / PAGE_DESC_SIZE)
		return fail(err, errlen, -EIO,
			    "truncated dump: %llu bytes, too short for the descriptors of its %llu pages",
			    (unsigned long long)fsize, (unsigned long long)nr);
	for (i = 0; i < nr; i++) {
		unsigned char *d = buf + (i % 512) * PAGE_DESC_SIZE;

		if (i % 512 == 0 &&
		    read_at(fd, descs + i * PAGE_DESC_SIZE, buf,
			    (size_t)(nr - i < 512 ? nr - i : 512) * PAGE_DESC_SIZE,
			    fsize))
			return fail(err, errlen, -EIO, "truncated dump: page descriptors cut short");
		end = get64(d) + get32(d + 8);
		if (end < get64(d))
			return fail(err, errlen, -EIO,
				    "page descriptor %llu points past 2^64",
				    (unsigned long long)i);
		if (end > max_end)
			max_end = end;
	}
	if (max_end > fsize)
		return fail(err, errlen, -EIO,
			    "truncated dump: %llu bytes, its pages end at %llu",
			    (unsigned long long)fsize, (unsigned long long)max_end);
	return 0;
}

int dtrec_dump_check(const char *path, char *err, size_t errlen)
{
	unsigned char head[64];
	uint64_t fsize;
	int fd, rc;

	fd = open_regular(path, &fsize, err, errlen);
	if (fd == -ENODEV) {
		if (err && errlen)
			err[0] = '\0';
		return 0;	/* /proc/kcore, a pipe: nothing to measure */
	}
	if (fd < 0)
		return fd;
	if (read_at(fd, 0, head, sizeof(head), fsize))
		rc = fail(err, errlen, -EIO, "truncated dump: %llu bytes",
			  (unsigned long long)fsize);
	else if (!memcmp(head, "\177ELF", 4))
		rc = elf_complete(fd, fsize, head, err, errlen);
	else if (!memcmp(head, KDUMP_SIG, 8))
		rc = kdump_complete(fd, fsize, err, errlen);
	else if (!memcmp(head, FLAT_SIG, strlen(FLAT_SIG)))
		rc = fail(err, errlen, -EINVAL,
			  "flattened dump: run `makedumpfile -R NEWFILE < %s` first", path);
	else
		rc = 0;	/* not ours to judge: the debugger's reader decides */
	close(fd);
	return rc;
}
