// SPDX-License-Identifier: LGPL-2.1-or-later
/* Output files written whole or not at all: see dtrec_out.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"
#include "dtrec_out.h"

/* stdio over the fd, keeping the errno of the first failed write. */
static ssize_t out_write(void *cookie, const char *buf, size_t len)
{
	struct dtrec_out *o = cookie;
	size_t done = 0;

	if (o->werr) {
		errno = o->werr;
		return -1;
	}
	while (done < len) {
		ssize_t n = write(o->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->werr = n < 0 ? errno : EIO;
			errno = o->werr;
			/* stdio sees the bytes written so far, then the error. */
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int out_close(void *cookie)
{
	(void)cookie;
	return 0;	/* the fd is closed by dtrec_out_close() */
}

static void out_reset(struct dtrec_out *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->fd = -1;
}

static int fail(struct dtrec_out *o, int e, char *err, size_t errlen,
		const char *what)
{
	int rc = dtrec_seterr(err, errlen, -e, "cannot %s %s: %s", what,
			      o->path, strerror(e));

	if (o->fd > STDOUT_FILENO)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->target);
	out_reset(o, o->path);
	return rc;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	d = strndup(path, (size_t)(slash - path));
	return d;
}

static int open_tmp(struct dtrec_out *o, const struct stat *old, int exists)
{
	const char *base = strrchr(o->target, '/');
	char *dir = dir_of(o->target);
	mode_t mask;
	size_t n;

	base = base ? base + 1 : o->target;
	if (!dir)
		return ENOMEM;
	n = strlen(dir) + strlen(base) + 16;
	o->tmp = malloc(n);
	if (!o->tmp) {
		free(dir);
		return ENOMEM;
	}
	snprintf(o->tmp, n, "%s/.%s.XXXXXX", dir, base);
	free(dir);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		int e = errno;

		free(o->tmp);
		o->tmp = NULL;
		return e;
	}
	/* The mode a plain create would give, or the replaced file's. */
	mask = umask(0);
	umask(mask);
	if (fchmod(o->fd, exists ? old->st_mode & 07777 : 0666 & ~mask))
		return errno;
	return 0;
}

int dtrec_out_open(struct dtrec_out *o, const char *path, const char *input,
		   char *err, size_t errlen)
{
	cookie_io_functions_t io = { NULL, out_write, NULL, out_close };
	struct stat st, in;

	out_reset(o, path && strcmp(path, "-") ? path : "-");
	if (!path || !strcmp(path, "-")) {
		o->fd = STDOUT_FILENO;
	} else {
		int exists = !stat(path, &st), e;

		if (!exists && errno != ENOENT)
			return fail(o, errno, err, errlen, "write");
		if (exists && input && strcmp(input, "-") && !stat(input, &in) &&
		    in.st_dev == st.st_dev && in.st_ino == st.st_ino)
			return dtrec_seterr(err, errlen, -EINVAL,
				"output %s is the input file: refusing to overwrite it",
				path);
		if (exists && S_ISDIR(st.st_mode))
			return fail(o, EISDIR, err, errlen, "write");
		if (exists && !S_ISREG(st.st_mode)) {
			/* Device, FIFO, socket: write to it, never replace it. */
			o->fd = open(path, O_WRONLY | O_CLOEXEC);
			if (o->fd < 0)
				return fail(o, errno, err, errlen, "open");
		} else {
			struct stat l;

			/* Through a symlink, the file it names is replaced. */
			if (exists && !lstat(path, &l) && S_ISLNK(l.st_mode))
				o->target = realpath(path, NULL);
			else if (!exists && !lstat(path, &l) && S_ISLNK(l.st_mode))
				return fail(o, ENOENT, err, errlen, "follow the dangling symlink");
			else
				o->target = strdup(path);
			if (!o->target)
				return fail(o, errno ? errno : ENOMEM, err, errlen, "write");
			e = open_tmp(o, &st, exists);
			if (e)
				return fail(o, e, err, errlen, "create a file next to");
		}
	}
	o->f = fopencookie(o, "w", io);
	if (!o->f)
		return fail(o, ENOMEM, err, errlen, "write");
	return 0;
}

const char *dtrec_out_tmp(const struct dtrec_out *o)
{
	return o ? o->tmp : NULL;
}

int dtrec_out_close(struct dtrec_out *o, int failed, char *err, size_t errlen)
{
	int e;

	if (!o->f)
		return dtrec_seterr(err, errlen, -EBADF, "%s is not open", o->path);
	if (fclose(o->f) && !o->werr)
		o->werr = errno ? errno : EIO;
	o->f = NULL;
	e = o->werr;
	/* stdout stays open for the caller. */
	if (o->fd > STDOUT_FILENO && close(o->fd) && !e)
		e = errno;
	o->fd = -1;
	if (!e && !failed && o->tmp && rename(o->tmp, o->target))
		e = errno;
	if (e)
		return fail(o, e, err, errlen, "write");
	if (failed && o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->target);
	out_reset(o, o->path);
	return failed ? -ECANCELED : 0;
}

int dtrec_write_file(const char *path, const void *buf, size_t len,
		     char *err, size_t errlen)
{
	struct dtrec_out o;
	int rc = dtrec_out_open(&o, path, NULL, err, errlen);

	if (rc)
		return rc;
	fwrite(buf, 1, len, o.f);
	return dtrec_out_close(&o, 0, err, errlen);
}
