// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for libdtrec's state decoders (stages, irqs, tasks,
 * and the live state of the report): the fuzzed input is the memory of
 * a kernel, mapped at BASE, whose symbols and struct layouts are fixed
 * here (a small x86_64 Dovetail kernel with a 3-level IRQ log). Every
 * pointer, count, string and list in it is the fuzzer's. The decoders
 * must end every command in output or a one-line error, never read out
 * of bounds, loop without end or leak; the JSON must be one line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dtrec.h"

#define BASE	0x100000ULL

static const uint8_t *mem;
static size_t memlen;

static const struct { const char *name; uint64_t off; } syms[] = {
	{ "irq_pipeline", 0x000 }, { "pcpu_hot", 0x100 }, { "runqueues", 0x200 },
	{ "__per_cpu_offset", 0x300 }, { "__cpu_online_mask", 0x340 },
	{ "init_uts_ns", 0x380 }, { "oob_stage", 0x400 }, { "init_task", 0x500 },
	{ "sipic_domain", 0x480 }, { "irq_desc", 0x1000 }, { "nr_irqs", 0x490 },
	{ "sysvec_call_function_oob_ipi", 0x4a0 },
};

static const struct { const char *type, *member; uint64_t off, size, nelem; } mems[] = {
	{ "task_struct", NULL, 0, 256, 0 },
	{ "task_struct", "pid", 0, 4, 0 }, { "task_struct", "stall_bits", 8, 8, 0 },
	{ "task_struct", "comm", 16, 16, 16 }, { "task_struct", "thread_info", 32, 32, 0 },
	{ "task_struct", "tasks", 96, 16, 0 }, { "task_struct", "thread_node", 112, 16, 0 },
	{ "task_struct", "signal", 128, 8, 0 },
	{ "thread_info", "flags", 0, 8, 0 }, { "thread_info", "status", 8, 4, 0 },
	{ "thread_info", "cpu", 12, 4, 0 }, { "thread_info", "oob_state", 16, 8, 0 },
	{ "oob_thread_state", "thread", 0, 8, 0 },
	{ "signal_struct", "thread_head", 0, 16, 0 },
	{ "pcpu_hot", "current_task", 0, 8, 0 }, { "pcpu_hot", "preempt_count", 8, 4, 0 },
	{ "rq", "curr", 0, 8, 0 }, { "rq", "idle", 8, 8, 0 },
	{ "irq_stage", "index", 0, 4, 0 }, { "irq_stage", "name", 8, 8, 0 },
	{ "irq_log", "index_0", 0, 8, 0 }, { "irq_log", "map", 8, 8, 0 },
	{ "irq_stage_data", NULL, 0, 24, 0 },
	{ "irq_stage_data", "log", 0, 16, 0 }, { "irq_stage_data", "stage", 16, 8, 0 },
	{ "irq_pipeline_data", "stages", 0, 48, 2 },
	{ "irq_pipeline_data", "task_inflight", 48, 8, 0 },
	{ "irq_pipeline_data", "rqlock_owner", 56, 8, 0 },
	{ "irq_event_map", NULL, 0, 64 * 8 + 100 * 8, 0 },
	{ "irq_event_map", "index_1", 0, 64 * 8, 64 },
	{ "irq_event_map", "flat", 64 * 8, 100 * 8, 100 },
	{ "uts_namespace", "name", 0, 390, 0 }, { "new_utsname", "release", 65, 65, 65 },
	{ "cpumask", "bits", 0, 8, 1 },
	{ "irq_desc", NULL, 0, 64, 0 },
	{ "irq_desc", "action", 0, 8, 0 }, { "irq_desc", "irq_data", 8, 24, 0 },
	{ "irq_desc", "name", 32, 8, 0 },
	{ "irq_data", "hwirq", 0, 8, 0 }, { "irq_data", "domain", 8, 8, 0 },
	{ "irq_data", "chip", 16, 8, 0 }, { "irq_chip", "name", 0, 8, 0 },
	{ "irqaction", "name", 0, 8, 0 },
	{ "evl_thread", NULL, 0, 32, 0 },
	{ "evl_thread", "name", 0, 8, 0 }, { "evl_thread", "state", 8, 4, 0 },
};
#define N(a)	(sizeof(a) / sizeof((a)[0]))

static int f_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < BASE || addr - BASE > memlen || len > memlen - (addr - BASE))
		return -EFAULT;
	memcpy(buf, mem + (addr - BASE), len);
	return 0;
}

static int f_symbol(void *ctx, const char *name, uint64_t *addr)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < N(syms); i++)
		if (!strcmp(syms[i].name, name)) {
			*addr = BASE + syms[i].off;
			return 0;
		}
	return -ENOENT;
}

static int f_type_size(void *ctx, const char *type, uint64_t *size)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < N(mems); i++)
		if (!mems[i].member && !strcmp(mems[i].type, type)) {
			*size = mems[i].size;
			return 0;
		}
	return -ENOENT;
}

static int f_member(void *ctx, const char *type, const char *member,
		    struct dtrec_member *m)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < N(mems); i++)
		if (mems[i].member && !strcmp(mems[i].type, type) &&
		    !strcmp(mems[i].member, member)) {
			m->offset = mems[i].off;
			m->size = mems[i].size;
			m->nelem = mems[i].nelem;
			return 0;
		}
	return -ENOENT;
}

static int f_cpu_flags(void *ctx, uint32_t cpu, uint32_t rank, uint64_t *flags)
{
	(void)ctx;
	(void)rank;
	*flags = cpu & 1 ? 0x46 : 0x246;
	return cpu < 2 ? 0 : -ENOENT;
}

static void f_warn(void *ctx, const char *msg)
{
	(void)ctx;
	if (strchr(msg, '\n'))
		abort();		/* warnings are one line */
}

static const struct dtrec_target_ops ops = {
	f_read, f_symbol, f_type_size, f_member, f_cpu_flags, f_warn,
};

static void run(char **argv, int argc)
{
	const struct dtrec_target t = { &ops, NULL, "x86_64" };
	char err[DTREC_ERRLEN];
	char *out = dtrec_state_command_str(&t, argc, argv, err, sizeof(err));

	if (!out) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		return;
	}
	/* --json: exactly one line. */
	if (!strcmp(argv[argc - 1], "--json")) {
		char *nl = strchr(out, '\n');

		if (!nl || nl[1])
			abort();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *cmds[][3] = {
		{ "stages", "--json" }, { "irqs", "--json" }, { "tasks", "--all", "--json" },
		{ "stages" }, { "irqs" }, { "tasks", "--all" },
	};
	static const int argc[] = { 2, 2, 3, 1, 1, 2 };
	char err[DTREC_ERRLEN];
	struct dtrec_live *l;
	size_t i;

	mem = data;
	memlen = size;
	for (i = 0; i < N(cmds); i++)
		run(cmds[i], argc[i]);
	l = dtrec_live_new();
	if (l) {
		const struct dtrec_target t = { &ops, NULL, "x86_64" };

		if (!dtrec_state_live(&t, l, err, sizeof(err))) {
			char *r = dtrec_report_str(NULL, l, NULL, 1, NULL, err, sizeof(err));

			free(r);
		}
		dtrec_live_free(l);
	}
	{
		/* The names of IRQs the records mention (a front end's names block). */
		static const uint32_t irqs[] = { 0, 1, 3, 25, 4355, 0xffffffffU };
		const struct dtrec_target t = { &ops, NULL, "x86_64" };
		struct dtrec_pending_irq *p;

		if (!dtrec_irqs_name(&t, irqs, N(irqs), &p, err, sizeof(err))) {
			for (i = 0; i < N(irqs); i++)
				if (strnlen(p[i].chip, sizeof(p[i].chip)) == sizeof(p[i].chip))
					abort();	/* always terminated */
			dtrec_irqs_names_free(p, N(irqs));
		} else if (!err[0] || strchr(err, '\n')) {
			abort();
		}
	}
	return 0;
}
