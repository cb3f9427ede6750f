// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * NT_PRSTATUS notes of ELF and kdump-compressed dumps. The file is
 * untrusted input: every offset and size is checked against the file
 * size and sane upper bounds before anything is read or allocated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dtrec_dump.h"

#define NT_PRSTATUS_TYPE	1
#define EM_X86_64_ID		62
/* x86_64 struct elf_prstatus: pr_reg at 112, eflags is user_regs_struct[18]. */
#define PRSTATUS_REG_OFF	112
#define PRSTATUS_RFLAGS_OFF	(PRSTATUS_REG_OFF + 18 * 8)

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

/* Walk one note blob; appends the RFLAGS of every CORE/NT_PRSTATUS. */
static void scan_notes(const unsigned char *p, size_t len, uint64_t *rflags,
		       int max_cpus, int *n)
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
		    !memcmp(name, "CORE", 5) &&
		    descsz >= PRSTATUS_RFLAGS_OFF + 8 && *n < max_cpus)
			rflags[(*n)++] = get64(desc + PRSTATUS_RFLAGS_OFF);
		off += 12 + name_al + desc_al;
	}
}

static int notes_at(int fd, uint64_t off, uint64_t size, uint64_t fsize,
		    uint64_t *rflags, int max_cpus, int *n, char *err,
		    size_t errlen)
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
	scan_notes(buf, (size_t)size, rflags, max_cpus, n);
	free(buf);
	return 0;
}

static int parse_elf(int fd, uint64_t fsize, const unsigned char *eh,
		     uint64_t *rflags, int max_cpus, char *err, size_t errlen)
{
	uint64_t phoff = get64(eh + 32);
	uint16_t phentsize, phnum, machine;
	unsigned char ph[56];
	int n = 0, rc;
	unsigned int i;

	if (eh[4] != 2 || eh[5] != 1)
		return fail(err, errlen, -EINVAL,
			    "only little-endian ELF64 dumps are supported");
	memcpy(&machine, eh + 18, 2);
	memcpy(&phentsize, eh + 54, 2);
	memcpy(&phnum, eh + 56, 2);
	if (machine != EM_X86_64_ID)
		return fail(err, errlen, -EINVAL,
			    "ELF machine %u: saved registers are decoded for x86_64 only",
			    machine);
	if (phentsize != sizeof(ph) || !phnum)
		return fail(err, errlen, -EINVAL, "bad ELF program headers");
	for (i = 0; i < phnum; i++) {
		if (read_at(fd, phoff + (uint64_t)i * sizeof(ph), ph, sizeof(ph), fsize))
			return fail(err, errlen, -EIO,
				    "ELF program header %u past the end of the file", i);
		if (get32(ph) != 4 /* PT_NOTE */)
			continue;
		rc = notes_at(fd, get64(ph + 8), get64(ph + 32), fsize, rflags,
			      max_cpus, &n, err, errlen);
		if (rc)
			return rc;
	}
	return n;
}

static int parse_kdump(int fd, uint64_t fsize, uint64_t *rflags, int max_cpus,
		       char *err, size_t errlen)
{
	unsigned char dh[464], sh[64];
	int32_t version, block_size;
	int n = 0, rc;

	if (read_at(fd, 0, dh, sizeof(dh), fsize))
		return fail(err, errlen, -EIO, "kdump header truncated");
	memcpy(&version, dh + DH_HEADER_VERSION, 4);
	memcpy(&block_size, dh + DH_BLOCK_SIZE, 4);
	if (strncmp((const char *)dh + DH_UTS_MACHINE, "x86_64", 7))
		return fail(err, errlen, -EINVAL,
			    "kdump machine '%.16s': saved registers are decoded for x86_64 only",
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
	rc = notes_at(fd, get64(sh + SH_OFFSET_NOTE), get64(sh + SH_SIZE_NOTE),
		      fsize, rflags, max_cpus, &n, err, errlen);
	return rc ? rc : n;
}

int dtrec_dump_cpu_flags(const char *path, uint64_t *rflags, int max_cpus,
			 char *err, size_t errlen)
{
	unsigned char head[64];
	struct stat st;
	int fd, rc;

	if (err && errlen)
		err[0] = '\0';
	if (!path || !rflags || max_cpus <= 0)
		return fail(err, errlen, -EINVAL, "bad arguments");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -EINVAL, "%s: not a regular file", path);
	}
	if (read_at(fd, 0, head, sizeof(head), (uint64_t)st.st_size)) {
		close(fd);
		return fail(err, errlen, -EINVAL, "%s: too short for a dump", path);
	}
	if (!memcmp(head, "\177ELF", 4))
		rc = parse_elf(fd, (uint64_t)st.st_size, head, rflags, max_cpus,
			       err, errlen);
	else if (!memcmp(head, KDUMP_SIG, 8))
		rc = parse_kdump(fd, (uint64_t)st.st_size, rflags, max_cpus,
				 err, errlen);
	else if (!memcmp(head, FLAT_SIG, strlen(FLAT_SIG)))
		rc = fail(err, errlen, -EINVAL,
			  "%s is in flattened format: run `makedumpfile -R NEWFILE < %s` first",
			  path, path);
	else
		rc = fail(err, errlen, -EINVAL,
			  "%s: not an ELF or kdump-compressed dump", path);
	close(fd);
	if (rc == 0)
		rc = fail(err, errlen, -ENOENT, "%s: no NT_PRSTATUS notes", path);
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
	struct stat st;
	int fd, rc;

	if (err && errlen)
		err[0] = '\0';
	if (!path)
		return fail(err, errlen, -EINVAL, "bad arguments");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;	/* /proc/kcore, a pipe: nothing to measure */
	}
	if (read_at(fd, 0, head, sizeof(head), (uint64_t)st.st_size))
		rc = fail(err, errlen, -EIO, "truncated dump: %lld bytes",
			  (long long)st.st_size);
	else if (!memcmp(head, "\177ELF", 4))
		rc = elf_complete(fd, (uint64_t)st.st_size, head, err, errlen);
	else if (!memcmp(head, KDUMP_SIG, 8))
		rc = kdump_complete(fd, (uint64_t)st.st_size, err, errlen);
	else if (!memcmp(head, FLAT_SIG, strlen(FLAT_SIG)))
		rc = fail(err, errlen, -EINVAL,
			  "flattened dump: run `makedumpfile -R NEWFILE < %s` first", path);
	else
		rc = 0;	/* not ours to judge: the debugger's reader decides */
	close(fd);
	return rc;
}
