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
 * The header is patched in place; nothing else changes.
 *
 * ELF dumps need no patch once the guest registered its VMCOREINFO with
 * QEMU; for them the tool only checks that the note is there.
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

#define UTS_LEN 65

/* makedumpfile's kdump-compressed header, 64-bit little-endian flavour */
struct uts {
	char sysname[UTS_LEN];
	char nodename[UTS_LEN];
	char release[UTS_LEN];
	char version[UTS_LEN];
	char machine[UTS_LEN];
	char domainname[UTS_LEN];
} __attribute__((packed));

struct kdump_header {
	char signature[8];
	int32_t header_version;
	struct uts utsname;
	char pad[6];
	int64_t tv_sec, tv_usec;
	uint32_t status;
	int32_t block_size;
	/* the rest is not needed */
} __attribute__((packed));

struct kdump_sub_header {
	uint64_t phys_base;
	int32_t dump_level;
	int32_t split;
	uint64_t start_pfn, end_pfn;
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;
	uint64_t offset_note, size_note;
} __attribute__((packed));

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
	char release[UTS_LEN + 1], msg[160], *info;
	const char *why;
	struct stat st;

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
				free(notes);
				printf("%s: %s: ELF dump has its VMCOREINFO note\n",
				       prog, path);
				return 0;
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
