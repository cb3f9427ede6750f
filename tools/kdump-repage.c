// SPDX-License-Identifier: GPL-2.0
/*
 * kdump-repage: rewrite a kdump-compressed dump whose blocks are larger
 * than the kernel's pages into one paged like the kernel.
 *
 *   kdump-repage IN OUT
 *
 * QEMU 7.2 writes an aarch64 guest's kdump files in 64 KiB blocks (its
 * dump page size for arm, whatever the guest's), so its bitmaps and page
 * descriptors count 64 KiB frames, while VMCOREINFO says PAGESIZE=4096.
 * libkdumpfile 0.5.1 (drgn's kdump reader) pages the file by PAGESIZE and
 * finds every frame out of bounds. The copy has block_size = PAGESIZE,
 * bitmaps of kernel frames, one descriptor per kernel page (zlib when
 * that is smaller; pages of zeros share one), and the header, sub header, notes and
 * VMCOREINFO of the original, offsets moved. zlib-compressed and raw
 * frames are read; LZO and snappy are refused.
 *
 * Exit status: 0 written (or IN already paged like the kernel: OUT is
 * then not written and a line says so), 1 on any error (one line).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <zlib.h>

#include "kdump_format.h"

static const char *prog = "kdump-repage";
static const char *in_path;

static int fail(const char *fmt, const char *what)
{
	fprintf(stderr, "%s: %s: ", prog, in_path);
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
	return 1;
}

static int rd(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n == (ssize_t)len ? 0 : -1;
}

static int wr(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	return n == (ssize_t)len ? 0 : -1;
}

static int bit(const unsigned char *map, uint64_t n)
{
	return map[n >> 3] >> (n & 7) & 1;
}

static void set_bit(unsigned char *map, uint64_t n)
{
	map[n >> 3] |= (unsigned char)(1U << (n & 7));
}

/* PAGESIZE= of the VMCOREINFO text, 0 if absent. */
static uint64_t page_size(const char *vi, size_t len)
{
	const char *p = vi, *end = vi + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		if (nl - p > 9 && !memcmp(p, "PAGESIZE=", 9))
			return strtoull(p + 9, NULL, 10);
		p = nl + 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char *map1 = NULL, *map2 = NULL, *nmap1 = NULL, *nmap2 = NULL;
	unsigned char *zin = NULL, *frame = NULL, *subarea = NULL, *zout = NULL;
	uint64_t bs, ps, ratio, nmax, nmapbytes, nbitmap_blocks, ndesc = 0, i;
	uint64_t old_area, new_area, desc_off, ndesc_off, data_off, zero_off = 0;
	struct kdump_header h, nh;
	struct kdump_sub_header s, ns;
	char *vi = NULL;
	uint32_t zero_size = 0, zero_flags = 0;
	int in, out = -1, rc = 1, have_zero = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s IN OUT\n", prog);
		return 1;
	}
	in_path = argv[1];
	in = open(argv[1], O_RDONLY);
	if (in < 0)
		return fail("%s", strerror(errno));
	if (rd(in, &h, sizeof(h), 0) || (memcmp(h.signature, "KDUMP   ", 8) &&
					 memcmp(h.signature, "DISKDUMP", 8)))
		return fail("%s", "not a kdump-compressed dump");
	bs = (uint64_t)h.block_size;
	if (h.header_version < 6 || bs < 4096 || bs > (1 << 20) || (bs & (bs - 1)) ||
	    h.sub_hdr_size <= 0 || h.sub_hdr_size > 1024 || !h.max_mapnr ||
	    rd(in, &s, sizeof(s), bs))
		return fail("%s", "unsupported kdump header (version 6 and a sane block size needed)");
	if (!s.size_vmcoreinfo || s.size_vmcoreinfo > (1 << 20))
		return fail("%s", "no VMCOREINFO in the dump");
	vi = malloc(s.size_vmcoreinfo);
	if (!vi || rd(in, vi, s.size_vmcoreinfo, s.offset_vmcoreinfo))
		return fail("%s", "cannot read VMCOREINFO");
	ps = page_size(vi, s.size_vmcoreinfo);
	free(vi);
	if (!ps || ps > bs || bs % ps)
		return fail("%s", "VMCOREINFO's PAGESIZE does not divide the block size");
	if (ps == bs) {
		printf("%s: %s: already paged by %llu bytes, not rewritten\n", prog,
		       in_path, (unsigned long long)ps);
		return 0;
	}
	ratio = bs / ps;
	nmax = (uint64_t)h.max_mapnr * ratio;
	if (nmax >> 32)
		return fail("%s", "too many pages for the kdump header");

	/* Bitmaps: two of bitmap_blocks / 2 blocks each. */
	{
		uint64_t half = (uint64_t)h.bitmap_blocks / 2 * bs;

		map1 = calloc(1, half);
		map2 = calloc(1, half);
		old_area = (1 + (uint64_t)h.sub_hdr_size) * bs;
		if (!map1 || !map2 || !half || (h.max_mapnr + 7) / 8 > half ||
		    rd(in, map1, half, old_area) || rd(in, map2, half, old_area + half))
			return fail("%s", "cannot read the bitmaps");
		desc_off = old_area + 2 * half;
	}
	nmapbytes = (nmax + 7) / 8;
	nbitmap_blocks = (nmapbytes + ps - 1) / ps;
	nmap1 = calloc(nbitmap_blocks, ps);
	nmap2 = calloc(nbitmap_blocks, ps);
	zin = malloc(bs);
	frame = malloc(bs);
	subarea = malloc((size_t)h.sub_hdr_size * bs);
	zout = malloc(compressBound((uLong)ps));
	if (!nmap1 || !nmap2 || !zin || !frame || !subarea || !zout)
		return fail("%s", "out of memory");
	for (i = 0; i < h.max_mapnr; i++) {
		uint64_t k;

		for (k = 0; k < ratio; k++) {
			if (bit(map1, i))
				set_bit(nmap1, i * ratio + k);
			if (bit(map2, i)) {
				set_bit(nmap2, i * ratio + k);
				ndesc++;
			}
		}
	}

	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0)
		return fail("cannot create the output: %s", strerror(errno));

	/* Sub header, notes and VMCOREINFO: the same bytes, one block earlier. */
	if (rd(in, subarea, (size_t)h.sub_hdr_size * bs, bs))
		goto bad_read;
	ns = s;
#define MOVE(o) do { if (o) (o) = (o) - bs + ps; } while (0)
	MOVE(ns.offset_vmcoreinfo);
	MOVE(ns.offset_note);
	MOVE(ns.offset_eraseinfo);
#undef MOVE
	ns.max_mapnr_64 = nmax;
	ns.start_pfn_64 *= ratio;
	ns.end_pfn_64 *= ratio;
	ns.start_pfn *= ratio;
	ns.end_pfn *= ratio;
	memcpy(subarea, &ns, sizeof(ns));
	nh = h;
	nh.block_size = (int32_t)ps;
	nh.sub_hdr_size = (int32_t)(((uint64_t)h.sub_hdr_size * bs + ps - 1) / ps);
	nh.bitmap_blocks = (uint32_t)(2 * nbitmap_blocks);
	nh.max_mapnr = (uint32_t)nmax;
	new_area = (1 + (uint64_t)nh.sub_hdr_size) * ps;
	ndesc_off = new_area + 2 * nbitmap_blocks * ps;
	data_off = ndesc_off + ndesc * sizeof(struct kdump_page_desc);
	{
		unsigned char block[4096] = { 0 };

		memcpy(block, &nh, sizeof(nh));
		if (wr(out, block, sizeof(block) < ps ? sizeof(block) : ps, 0) ||
		    (ps > sizeof(block) && ftruncate(out, (off_t)ps)) ||
		    wr(out, subarea, (size_t)h.sub_hdr_size * bs, ps) ||
		    wr(out, nmap1, nbitmap_blocks * ps, new_area) ||
		    wr(out, nmap2, nbitmap_blocks * ps, new_area + nbitmap_blocks * ps))
			goto bad_write;
	}

	/* Every dumpable frame: its pages, raw; zero pages share one copy. */
	for (i = 0; i < h.max_mapnr; i++) {
		struct kdump_page_desc d, nd;
		uint64_t k;

		if (!bit(map2, i))
			continue;
		if (rd(in, &d, sizeof(d), desc_off))
			goto bad_read;
		desc_off += sizeof(d);
		if (d.flags & (DUMP_LZO | DUMP_SNAPPY | DUMP_ZSTD)) {
			fail("%s", "LZO, snappy or zstd frames are not supported (take kdump-zlib)");
			goto out;
		}
		if (d.size > bs || d.offset < 0 || rd(in, zin, d.size, (uint64_t)d.offset))
			goto bad_read;
		if (d.flags & DUMP_ZLIB) {
			uLongf len = (uLongf)bs;

			if (uncompress(frame, &len, zin, d.size) != Z_OK || len != bs) {
				fail("%s", "a zlib frame does not decompress to one block");
				goto out;
			}
		} else if (d.size == bs) {
			memcpy(frame, zin, bs);
		} else {
			fail("%s", "a raw frame of the wrong size");
			goto out;
		}
		for (k = 0; k < ratio; k++) {
			const unsigned char *pg = frame + k * ps;
			uint64_t j;
			int zero = 1;

			for (j = 0; j < ps && zero; j++)
				zero = !pg[j];
			memset(&nd, 0, sizeof(nd));
			nd.size = (uint32_t)ps;
			nd.page_flags = d.page_flags;
			if (zero && have_zero) {
				nd.offset = (int64_t)zero_off;
				nd.size = zero_size;
				nd.flags = zero_flags;
			} else {
				uLongf zlen = compressBound((uLong)ps);
				const unsigned char *data = pg;

				if (compress2(zout, &zlen, pg, (uLong)ps, 1) == Z_OK &&
				    zlen < ps) {
					data = zout;
					nd.size = (uint32_t)zlen;
					nd.flags = DUMP_ZLIB;
				}
				nd.offset = (int64_t)data_off;
				if (wr(out, data, nd.size, data_off))
					goto bad_write;
				if (zero) {
					zero_off = data_off;
					zero_size = nd.size;
					zero_flags = nd.flags;
					have_zero = 1;
				}
				data_off += nd.size;
			}
			if (wr(out, &nd, sizeof(nd), ndesc_off))
				goto bad_write;
			ndesc_off += sizeof(nd);
		}
	}
	printf("%s: %s: %llu-byte blocks rewritten as %llu-byte pages into %s\n",
	       prog, in_path, (unsigned long long)bs, (unsigned long long)ps, argv[2]);
	rc = 0;
	goto out;
bad_read:
	fail("%s", "truncated or damaged dump");
	goto out;
bad_write:
	fail("cannot write the output: %s", strerror(errno ? errno : EIO));
out:
	if (out >= 0 && close(out) && !rc)
		rc = fail("cannot write the output: %s", strerror(errno));
	if (rc && out >= 0)
		unlink(argv[2]);
	close(in);
	free(map1);
	free(map2);
	free(nmap1);
	free(nmap2);
	free(zin);
	free(frame);
	free(subarea);
	free(zout);
	return rc;
}
