// SPDX-License-Identifier: GPL-2.0
/*
 * vmcore-fixnote: make QEMU dump-guest-memory vmcores readable by drgn.
 *
 *   vmcore-fixnote [-u UTS_VERSION] VMCORE
 *
 * kdump-compressed dumps written by QEMU carry only utsname.machine in
 * their header. libkdumpfile (drgn's kdump reader) trusts the header's
 * utsname only when sysname is "Linux" and release/version are set, and
 * otherwise cannot name the architecture ("KDUMP_ATTR_ARCH_NAME: Key has
 * no value"). The release is in the dump's own VMCOREINFO; the version
 * string is not, so it is taken from -u (the harness passes `uname -v`).
 * For an aarch64 guest QEMU 7.2 writes the machine as "Unknown": it
 * becomes "aarch64" when VMCOREINFO is arm64's (NUMBER(kimage_voffset)).
 * The header is patched in place; nothing else changes.
 *
 * ELF dumps need no patch once the guest registered its VMCOREINFO with
 * QEMU; for them the tool checks that the note is there. An aarch64 ELF
 * dump is physical only whatever `paging` says (QEMU walks guest page
 * tables for x86 only), and drgn then cannot even read the kernel's page
 * tables, nor gdb any kernel address: the tool walks swapper_pg_dir (4K
 * pages; the address from VMCOREINFO) in the dump and adds one virtual
 * PT_LOAD per mapped range of RAM, in a program header table appended to
 * the file, as QEMU's paging=true does on x86. Nothing is rewritten: the
 * new headers point at the data already there.
 *
 * Exit status: 0 fixed or already fine, 1 on any error (one-line message).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kdump_format.h"

#define UTS_LEN KDUMP_UTS_LEN

static const char *prog = "vmcore-fixnote";
static const char *path;

static int fail(const char *msg)
{
	fprintf(stderr, "%s: %s: %s\n", prog, path, msg);
	return 1;
}

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

/* Copy KEY's value out of VMCOREINFO text ("KEY=value\n" lines). */
static int vmcoreinfo_value(const char *text, size_t len, const char *key,
			    char *out, size_t outlen)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - line) : len - i;

		if (llen > klen && !memcmp(line, key, klen) && line[klen] == '=') {
			size_t vlen = llen - klen - 1;

			if (vlen >= outlen)
				vlen = outlen - 1;
			memcpy(out, line + klen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		i += llen + 1;
	}
	return -1;
}

/*
 * A utsname field must hold printable ASCII, at least one character,
 * and leave room for its NUL: what libkdumpfile and crash print.
 */
static const char *bad_field(const char *v)
{
	size_t i, n = strlen(v);

	if (!n)
		return "is empty";
	if (n >= UTS_LEN)
		return "is longer than 64 bytes";
	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return "holds a byte that is not printable ASCII";
	return NULL;
}

/* Field = v and zeros to its end: no junk left past the NUL. */
static void set_field(char *field, const char *v)
{
	memset(field, 0, UTS_LEN);
	memcpy(field, v, strlen(v));
}

static int fix_kdump(int fd, const char *uts_version)
{
	struct kdump_header h;
	struct kdump_sub_header sh;
	char release[UTS_LEN + 1], msg[160], kvo[32], *info;
	const char *why;
	struct stat st;
	int arm64;

	if (read_at(fd, &h, sizeof(h), 0))
		return fail("truncated kdump header");
	if (h.block_size < (int32_t)sizeof(h) || h.block_size > (1 << 20) ||
	    h.header_version < 3)
		return fail("unsupported kdump header (version or block size)");
	if (read_at(fd, &sh, sizeof(sh), h.block_size))
		return fail("truncated kdump sub-header");
	if (fstat(fd, &st))
		return fail(strerror(errno));
	if (!sh.size_vmcoreinfo || sh.size_vmcoreinfo > (1 << 20) ||
	    sh.offset_vmcoreinfo + sh.size_vmcoreinfo > (uint64_t)st.st_size)
		return fail("no VMCOREINFO in the dump: boot the guest with qemu_fw_cfg.ioport=12@0x510:0:1:4 and -device vmcoreinfo");
	info = malloc(sh.size_vmcoreinfo);
	if (!info)
		return fail("out of memory");
	if (read_at(fd, info, sh.size_vmcoreinfo, sh.offset_vmcoreinfo)) {
		free(info);
		return fail("cannot read VMCOREINFO");
	}
	if (vmcoreinfo_value(info, sh.size_vmcoreinfo, "OSRELEASE",
			     release, sizeof(release))) {
		free(info);
		return fail("VMCOREINFO has no OSRELEASE");
	}
	/* Only arm64 publishes kimage_voffset. */
	arm64 = !vmcoreinfo_value(info, sh.size_vmcoreinfo, "NUMBER(kimage_voffset)",
				  kvo, sizeof(kvo));
	free(info);
	/* What goes into the header is checked first: nothing bad is written. */
	why = bad_field(release);
	if (why) {
		snprintf(msg, sizeof(msg), "VMCOREINFO's OSRELEASE %s", why);
		return fail(msg);
	}
	why = uts_version ? bad_field(uts_version) : NULL;
	if (why) {
		snprintf(msg, sizeof(msg), "-u UTS_VERSION %s", why);
		return fail(msg);
	}

	/*
	 * QEMU 7.2 names the machine of an aarch64 guest "Unknown" (it has
	 * no ELF_MACHINE_UNAME for it), which libkdumpfile cannot map to an
	 * architecture: VMCOREINFO tells.
	 */
	if (arm64 && (!h.utsname.machine[0] ||
		      !strncmp(h.utsname.machine, "Unknown", UTS_LEN)))
		set_field(h.utsname.machine, "aarch64");
	if (!h.utsname.machine[0])
		return fail("kdump header names no machine");
	/*
	 * Fill only what is missing: a dump made by makedumpfile is left
	 * alone. A field written is zeroed to its end.
	 */
	if (strncmp(h.utsname.sysname, "Linux", UTS_LEN))
		set_field(h.utsname.sysname, "Linux");
	if (!h.utsname.release[0])
		set_field(h.utsname.release, release);
	if (!h.utsname.version[0] || uts_version)
		set_field(h.utsname.version, uts_version ? uts_version : "unknown");
	if (pwrite(fd, &h.utsname, sizeof(h.utsname),
		   offsetof(struct kdump_header, utsname)) != sizeof(h.utsname))
		return fail("cannot write the kdump header");
	printf("%s: %s: kdump header now says Linux %.*s (%.*s)\n", prog, path,
	       UTS_LEN - 1, h.utsname.release, UTS_LEN - 1, h.utsname.machine);
	return 0;
}

/* ---- aarch64: virtual segments from the guest's page tables ---- */

struct segs {
	Elf64_Phdr *ph;		/* the dump's own program headers */
	int n;
	Elf64_Phdr *add;	/* virtual PT_LOADs found */
	size_t nadd, cap;
	int fd;
};

/* The file offset of physical [pa, pa + len) when one PT_LOAD holds it. */
static int phys_off(const struct segs *sg, uint64_t pa, uint64_t len, uint64_t *off,
		    uint64_t *left)
{
	int i;

	for (i = 0; i < sg->n; i++) {
		const Elf64_Phdr *p = &sg->ph[i];

		if (p->p_type == PT_LOAD && pa >= p->p_paddr &&
		    pa - p->p_paddr < p->p_filesz &&
		    len <= p->p_filesz - (pa - p->p_paddr)) {
			*off = p->p_offset + (pa - p->p_paddr);
			if (left)
				*left = p->p_filesz - (pa - p->p_paddr);
			return 0;
		}
	}
	return -1;
}

/* One mapping va -> pa of len bytes, merged with the previous when contiguous. */
static int seg_add(struct segs *sg, uint64_t va, uint64_t pa, uint64_t len)
{
	Elf64_Phdr *last = sg->nadd ? &sg->add[sg->nadd - 1] : NULL;
	uint64_t off, left;

	while (len) {
		uint64_t chunk = len;

		/* Only RAM in the dump, cut where its PT_LOADs end. */
		if (phys_off(sg, pa, 1, &off, &left))
			return 0;
		if (chunk > left)
			chunk = left;
		if (last && last->p_vaddr + last->p_memsz == va &&
		    last->p_paddr + last->p_memsz == pa &&
		    last->p_offset + last->p_filesz == off) {
			last->p_memsz += chunk;
			last->p_filesz += chunk;
		} else {
			if (sg->nadd == sg->cap) {
				size_t cap = sg->cap ? 2 * sg->cap : 64;
				Elf64_Phdr *n = realloc(sg->add, cap * sizeof(*n));

				if (!n)
					return -1;
				sg->add = n;
				sg->cap = cap;
			}
			last = &sg->add[sg->nadd++];
			memset(last, 0, sizeof(*last));
			last->p_type = PT_LOAD;
			last->p_flags = PF_R | PF_W | PF_X;
			last->p_offset = off;
			last->p_vaddr = va;
			last->p_paddr = pa;
			last->p_filesz = last->p_memsz = chunk;
		}
		va += chunk;
		pa += chunk;
		len -= chunk;
	}
	return 0;
}

#define DESC_ADDR	0x0000fffffffff000ULL

/* Walk one table of level lvl (0-3, 4K granule) mapping VAs from va. */
static int walk(struct segs *sg, uint64_t table, int lvl, uint64_t va,
		unsigned int entries)
{
	unsigned int shift = 39 - 9 * lvl, i;
	uint64_t d[512], off;

	if (entries > 512 || phys_off(sg, table, entries * 8ULL, &off, NULL) ||
	    read_at(sg->fd, d, entries * 8ULL, (off_t)off))
		return 0;	/* a table outside the dump: nothing mapped there */
	for (i = 0; i < entries; i++) {
		uint64_t e = d[i], v = va | ((uint64_t)i << shift);
		int rc;

		if (!(e & 1))
			continue;
		if (lvl < 3 && (e & 2))
			rc = walk(sg, e & DESC_ADDR, lvl + 1, v, 512);
		else if (lvl == 3 ? (e & 2) : lvl > 0)
			rc = seg_add(sg, v, e & DESC_ADDR & ~((1ULL << shift) - 1),
				     1ULL << shift);
		else
			rc = 0;	/* reserved encoding */
		if (rc)
			return rc;
	}
	return 0;
}

/* A VMCOREINFO value: SYMBOL()s are bare hex, NUMBER()s C literals. */
static int number(const char *vi, size_t len, const char *key, uint64_t *v)
{
	char buf[64], *end;

	if (vmcoreinfo_value(vi, len, key, buf, sizeof(buf)))
		return -1;
	errno = 0;
	*v = strtoull(buf, &end, strncmp(key, "SYMBOL(", 7) ? 0 : 16);
	return end == buf || *end || errno ? -1 : 0;
}

static int add_arm64_segments(int fd, const Elf64_Ehdr *eh, const char *vi,
			      size_t vilen)
{
	struct segs sg = { .fd = fd };
	uint64_t va_bits, kvoff, pgd, page, tail;
	unsigned int levels, top_entries;
	Elf64_Ehdr neh = *eh;
	size_t i, bytes;
	int rc = 1;

	if (number(vi, vilen, "NUMBER(VA_BITS)", &va_bits) ||
	    number(vi, vilen, "NUMBER(kimage_voffset)", &kvoff) ||
	    number(vi, vilen, "SYMBOL(swapper_pg_dir)", &pgd) ||
	    number(vi, vilen, "PAGESIZE", &page))
		return fail("aarch64 dump: VMCOREINFO lacks VA_BITS, kimage_voffset, swapper_pg_dir or PAGESIZE");
	if (page != 4096 || va_bits < 25 || va_bits > 48)
		return fail("aarch64 dump: only 4K pages and up to 48-bit VAs are walked");
	sg.n = eh->e_phnum;
	sg.ph = calloc(sg.n, sizeof(*sg.ph));
	if (!sg.ph)
		return fail("out of memory");
	if (read_at(fd, sg.ph, sg.n * sizeof(*sg.ph), (off_t)eh->e_phoff)) {
		free(sg.ph);
		return fail("truncated program headers");
	}
	for (i = 0; i < (size_t)sg.n; i++)
		if (sg.ph[i].p_type == PT_LOAD && sg.ph[i].p_vaddr != sg.ph[i].p_paddr) {
			printf("%s: %s: aarch64 dump already has virtual segments\n",
			       prog, path);
			free(sg.ph);
			return 0;
		}
	/* 4K granule: 9 bits a level below the 12-bit page offset. */
	levels = (unsigned int)(va_bits - 12 + 8) / 9;
	top_entries = 1U << (va_bits - 12 - 9 * (levels - 1));
	if (walk(&sg, pgd - kvoff, 4 - (int)levels, ~0ULL << va_bits, top_entries)) {
		fail("out of memory");
		goto out;
	}
	if (!sg.nadd) {
		fail("aarch64 dump: swapper_pg_dir maps nothing in the dump");
		goto out;
	}
	if (sg.n + sg.nadd >= PN_XNUM) {
		fail("aarch64 dump: too many mapped ranges for one program header table");
		goto out;
	}
	/* The new table goes after everything, 8-byte aligned. */
	tail = (uint64_t)lseek(fd, 0, SEEK_END);
	tail = (tail + 7) & ~7ULL;
	bytes = (sg.n + sg.nadd) * sizeof(Elf64_Phdr);
	if (pwrite(fd, sg.ph, sg.n * sizeof(Elf64_Phdr), (off_t)tail) !=
	    (ssize_t)(sg.n * sizeof(Elf64_Phdr)) ||
	    pwrite(fd, sg.add, sg.nadd * sizeof(Elf64_Phdr),
		   (off_t)(tail + sg.n * sizeof(Elf64_Phdr))) !=
	    (ssize_t)(sg.nadd * sizeof(Elf64_Phdr))) {
		fail(strerror(errno ? errno : EIO));
		goto out;
	}
	neh.e_phoff = tail;
	neh.e_phnum = (Elf64_Half)(sg.n + sg.nadd);
	if (pwrite(fd, &neh, sizeof(neh), 0) != (ssize_t)sizeof(neh)) {
		fail(strerror(errno ? errno : EIO));
		goto out;
	}
	printf("%s: %s: aarch64 dump: %zu virtual segments added from swapper_pg_dir (%zu bytes of headers)\n",
	       prog, path, sg.nadd, bytes);
	rc = 0;
out:
	free(sg.ph);
	free(sg.add);
	return rc;
}

static int check_elf(int fd)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i;

	if (read_at(fd, &eh, sizeof(eh), 0) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph))
		return fail("not a 64-bit ELF core");
	for (i = 0; i < eh.e_phnum; i++) {
		char *notes;
		size_t p = 0;

		if (read_at(fd, &ph, sizeof(ph), eh.e_phoff + (off_t)i * sizeof(ph)))
			return fail("truncated program headers");
		if (ph.p_type != PT_NOTE || ph.p_filesz > (1 << 24))
			continue;
		notes = malloc(ph.p_filesz);
		if (!notes)
			return fail("out of memory");
		if (read_at(fd, notes, ph.p_filesz, ph.p_offset)) {
			free(notes);
			return fail("truncated note segment");
		}
		while (p + sizeof(Elf64_Nhdr) <= ph.p_filesz) {
			Elf64_Nhdr nh;

			memcpy(&nh, notes + p, sizeof(nh));
			p += sizeof(nh);
			if (nh.n_namesz == sizeof("VMCOREINFO") &&
			    p + nh.n_namesz <= ph.p_filesz &&
			    !memcmp(notes + p, "VMCOREINFO", nh.n_namesz)) {
				size_t d = p + (((size_t)nh.n_namesz + 3) & ~(size_t)3);
				int rc = 0;

				printf("%s: %s: ELF dump has its VMCOREINFO note\n",
				       prog, path);
				if (eh.e_machine == EM_AARCH64) {
					if (d > ph.p_filesz || nh.n_descsz > ph.p_filesz - d)
						rc = fail("truncated VMCOREINFO note");
					else
						rc = add_arm64_segments(fd, &eh, notes + d,
									nh.n_descsz);
				}
				free(notes);
				return rc;
			}
			p += ((size_t)nh.n_namesz + 3) & ~(size_t)3;
			p += ((size_t)nh.n_descsz + 3) & ~(size_t)3;
		}
		free(notes);
	}
	return fail("ELF dump has no VMCOREINFO note: boot the guest with qemu_fw_cfg.ioport=12@0x510:0:1:4 and -device vmcoreinfo");
}

int main(int argc, char **argv)
{
	const char *uts_version = NULL;
	char magic[8];
	int opt, fd, ret;

	while ((opt = getopt(argc, argv, "u:h")) != -1) {
		switch (opt) {
		case 'u':
			uts_version = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-u UTS_VERSION] VMCORE\n", prog);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: %s [-u UTS_VERSION] VMCORE\n", prog);
		return 1;
	}
	path = argv[optind];
	fd = open(path, O_RDWR);
	if (fd < 0)
		fd = open(path, O_RDONLY);	/* enough for ELF, which is only checked */
	if (fd < 0)
		return fail(strerror(errno));
	if (read_at(fd, magic, sizeof(magic), 0)) {
		close(fd);
		return fail("too short for a vmcore");
	}
	if (!memcmp(magic, "KDUMP   ", 8) || !memcmp(magic, "DISKDUMP", 8))
		ret = fix_kdump(fd, uts_version);
	else if (!memcmp(magic, ELFMAG, SELFMAG))
		ret = check_elf(fd);
	else if (!memcmp(magic, "makedump", 8))
		ret = fail("flattened kdump: convert it first with makedumpfile -R NEW < FILE");
	else
		ret = fail("neither a kdump-compressed nor an ELF vmcore");
	close(fd);
	return ret;
}
