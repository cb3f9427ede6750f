/* SPDX-License-Identifier: GPL-2.0 */
/*
 * makedumpfile's kdump-compressed layout, 64-bit little-endian flavour,
 * as far as the dump tools here read and rewrite it (vmcore-fixnote,
 * kdump-repage). libdtrec reads the same files through its own reader
 * (dumpnotes.c), which only needs the header's offsets.
 */
#ifndef KDUMP_FORMAT_H
#define KDUMP_FORMAT_H

#include <stdint.h>

#define KDUMP_UTS_LEN	65

/* page_desc.flags: how a page is compressed. */
#define DUMP_ZLIB	0x1
#define DUMP_LZO	0x2
#define DUMP_SNAPPY	0x4
#define DUMP_ZSTD	0x20

struct kdump_uts {
	char sysname[KDUMP_UTS_LEN];
	char nodename[KDUMP_UTS_LEN];
	char release[KDUMP_UTS_LEN];
	char version[KDUMP_UTS_LEN];
	char machine[KDUMP_UTS_LEN];
	char domainname[KDUMP_UTS_LEN];
} __attribute__((packed));

struct kdump_header {		/* struct disk_dump_header */
	char signature[8];
	int32_t header_version;
	struct kdump_uts utsname;
	char pad[6];
	int64_t tv_sec, tv_usec;
	uint32_t status;
	int32_t block_size;
	int32_t sub_hdr_size;
	uint32_t bitmap_blocks;
	uint32_t max_mapnr;
	uint32_t total_ram_blocks;
	uint32_t device_blocks;
	uint32_t written_blocks;
	uint32_t current_cpu;
	int32_t nr_cpus;
} __attribute__((packed));

struct kdump_sub_header {	/* version 6 */
	uint64_t phys_base;
	int32_t dump_level;
	int32_t split;
	uint64_t start_pfn, end_pfn;
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;
	uint64_t offset_note, size_note;
	uint64_t offset_eraseinfo, size_eraseinfo;
	uint64_t start_pfn_64, end_pfn_64, max_mapnr_64;
} __attribute__((packed));

struct kdump_page_desc {	/* struct page_desc */
	int64_t offset;
	uint32_t size;
	uint32_t flags;
	uint64_t page_flags;
};

#endif /* KDUMP_FORMAT_H */
