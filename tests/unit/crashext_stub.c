// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A stand-in for the crash binary: just the symbols dovetail.so binds
 * to, so that a test can dlopen() the extension the way `extend` does,
 * see its constructor register the command, and run subcommands
 * against a "kernel" that has no symbols and no readable memory. Used
 * by test_crashext_build.py through ctypes.
 */
#include "defs.h"

struct program_context program_context, *pc = &program_context;
struct kernel_table kernel_table, *kt = &kernel_table;
struct machdep_table machdep_table, *machdep = &machdep_table;
FILE *fp;
char *args[MAXARGS];
int argcnt;

static struct command_table_entry *registered;
static char last_error[1024];
static int nr_reads;

void register_extension(struct command_table_entry *t)
{
	registered = t;
}

int __error(int type, char *fmt, ...)
{
	va_list ap;

	(void)type;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return 0;
}

void cmd_usage(char *cmd, int flags)
{
	(void)flags;
	snprintf(last_error, sizeof(last_error), "usage: %s", cmd);
}

long datatype_info(char *s, char *m, struct datatype_member *dm)
{
	(void)s; (void)m; (void)dm;
	return -1;
}

int enumerator_value(char *e, long *v)
{
	(void)e; (void)v;
	return FALSE;
}

int get_array_length(char *s, int *two, long len)
{
	(void)s; (void)two; (void)len;
	return 0;
}

int readmem(ulonglong addr, int type, void *buf, long size, char *what, ulong flags)
{
	(void)addr; (void)type; (void)buf; (void)size; (void)what;
	nr_reads++;
	/* The extension must never ask crash to longjmp on a bad read. */
	if (!(flags & RETURN_ON_ERROR))
		abort();
	return FALSE;
}

int symbol_exists(char *s)
{
	(void)s;
	return FALSE;
}

ulong symbol_value(char *s)
{
	(void)s;
	abort();	/* crash would error(FATAL): callers must check first */
}

/* ---- test side ---- */

const char *stub_command_name(void)
{
	return registered ? registered->name : NULL;
}

unsigned long stub_command_flags(void)
{
	return registered ? registered->flags : 0;
}

const char *stub_help_line(int i)
{
	int k;

	if (!registered || !registered->help_data)
		return NULL;
	for (k = 0; k < i; k++)
		if (!registered->help_data[k])
			return NULL;
	return registered->help_data[i];
}

/* Run "dovetail ARGS..." with output to path; returns the last error text. */
const char *stub_run(const char *path, int n, char **argv)
{
	int i;

	last_error[0] = '\0';
	fp = fopen(path, "w");
	if (!fp || !registered)
		return "stub: cannot run";
	pc->curcmd = "dovetail";
	argcnt = n;
	for (i = 0; i < n && i < MAXARGS; i++)
		args[i] = argv[i];
	registered->func();
	fclose(fp);
	fp = NULL;
	return last_error;
}

int stub_reads(void)
{
	return nr_reads;
}
