/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Output files, the one way libdtrec's users write a file the user
 * named (exports, snapshots), so that a failed or interrupted write
 * never destroys anything:
 *
 *  - a regular file, new or existing (also through a symlink), is
 *    written to a temporary file in its directory and renamed over it
 *    only once complete; on failure only that temporary file goes;
 *  - "-" is stdout; a device, FIFO or socket is written directly; in
 *    neither case is anything ever unlinked;
 *  - a path naming the input file (same device and inode) is refused;
 *  - a failed write is reported with its errno ("No space left on
 *    device"), not as a generic I/O error.
 */
#ifndef DTREC_OUT_H
#define DTREC_OUT_H

#include <stddef.h>
#include <stdio.h>

struct dtrec_out {
	FILE *f;		/* write here */
	const char *path;	/* as given */
	char *target;		/* the file the temporary replaces */
	char *tmp;		/* NULL: written directly */
	int fd;
	int werr;		/* errno of the first failed write */
};

/*
 * Open path ("-" or NULL: stdout) for writing. input, when not NULL or
 * "-", is the file being read: naming it as the output is refused.
 */
int dtrec_out_open(struct dtrec_out *o, const char *path, const char *input,
		   char *err, size_t errlen);
/*
 * Finish: with failed == 0, flush and move the file into place; with
 * failed != 0 (the writer gave up) or on any write error, remove the
 * temporary file and leave path as it was. 0, or a negative errno
 * with "cannot write PATH: REASON" in err.
 */
int dtrec_out_close(struct dtrec_out *o, int failed, char *err, size_t errlen);
/* The temporary file being written, or NULL (for a signal handler). */
const char *dtrec_out_tmp(const struct dtrec_out *o);
/* The whole of buf into path, through dtrec_out_open/close. */
int dtrec_write_file(const char *path, const void *buf, size_t len,
		     char *err, size_t errlen);

#endif /* DTREC_OUT_H */
