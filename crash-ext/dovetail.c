// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * crash extension dovetail.so: `extend dovetail.so`, then
 * `dovetail <subcommand> [options]`. Registration and dispatch only:
 * libdtrec decodes the state through ce_target (kread.c), and the
 * recorder commands are in cmd_trace.c.
 */
#include "defs.h"
#include "kread.h"
#include "commands.h"
#include "../libdtrec/dtrec_dump.h"

static void cmd_dovetail(void);

static char *help_dovetail[] = {
	"dovetail",
	"inspect the Dovetail interrupt pipeline and its flight recorder",
	"<subcommand> [options]",
	"  State of the interrupt pipeline (any Dovetail kernel):",
	"    stages [--json]      per-CPU stage, stall bits, hard IRQ state, current,",
	"                         task_inflight and rqlock_owner",
	"    irqs [--json]        pending-IRQ logs of both stages, cross-checked",
	"    tasks [--all] [--tlf-table NAME] [--json]",
	"                         tasks with Dovetail flags or referenced by a CPU",
	"                         (--all: every task; --tlf-table overrides the",
	"                         _TLF values chosen from the kernel release:",
	"                         x86-5.10, x86-6.6, arm64-5.10, arm64-6.6)",
	"",
	"  Flight recorder (kernels built with the recorder):",
	"    trace [--cpu L] [--class L] [--pid N] [--from NS] [--to NS] [--last N]",
	"          [--all] [--json]",
	"                         merged event trace; --all also lists torn records",
	"    audit [--context N] [--max-oob-stall NS] [--max-inband-stall-pending NS]",
	"          [--max-hard-off NS] [--json]",
	"                         check pipeline invariants over the trace",
	"    report [--last N] [--oob-stall NS] [--inband-stall NS] [--migrating NS]",
	"           [--hard-off NS] [--json]",
	"                         hang report: per CPU the stage, stall bits, pending",
	"                         IRQs and their wait, tasks in flight, the last",
	"                         events, then a verdict naming the likely culprit",
	"    export --format tracedat|chrome|svg -o FILE [filters]",
	"                         (also: export FORMAT FILE [filters])",
	"                         write the trace in another format",
	"    snapshot FILE        write the recorder snapshot stream",
	"",
	"  trace, audit, report and export take --max[=METRICS]: the worst cases",
	"  the kernel captured (oob_stall, hard_off, stall_pending, wait_inband,",
	"  wait_oob; default all) instead of the rings. report always lists them.",
	"",
	"  --json prints one compact line, identical to the gdb and drgn front",
	"  ends. Works in a full session and with `crash --minimal`.",
	"\nEXAMPLE",
	"    crash> extend dovetail.so",
	"    crash> dovetail stages",
	"    crash> dovetail trace --cpu 0 --class irq --last 20",
	"    crash> dovetail report",
	NULL
};

static struct command_table_entry command_table[] = {
	{ "dovetail", cmd_dovetail, help_dovetail, MINIMAL },
	{ NULL, NULL, NULL, 0 },
};

void __attribute__((constructor)) dovetail_init(void)
{
	register_extension(command_table);
}

/* stages, irqs, tasks: decoded and printed by libdtrec, options included. */
static void cmd_state(int argc, char **argv)
{
	char err[DTREC_ERRLEN];

	if (dtrec_state_check_args(argc, argv, err, sizeof(err))) {
		ce_err("%s", err);
		return;
	}
	if (ce_koff_init())
		return;
	if (dtrec_state_command(fp, &ce_target, argc, argv, err, sizeof(err)))
		ce_err("%s", err);
}

/*
 * A dump cut short, or read through the vmlinux of another build, reads
 * as zeroes, errors or garbage deep inside a command; say so once, up
 * front. Checked once per session (the scan reads the whole page
 * descriptor table of a kdump file).
 */
static int dump_usable(void)
{
	static int state;	/* 0 unchecked, 1 usable, -1 not */
	static char msg[512];

	if (!state) {
		state = 1;
		if (DUMPFILE() && pc->dumpfile &&
		    (dtrec_dump_check(pc->dumpfile, msg, sizeof(msg)) < 0 ||
		     (pc->namelist &&
		      dtrec_dump_check_build(pc->dumpfile, pc->namelist, msg,
					     sizeof(msg)) < 0)))
			state = -1;
	}
	if (state < 0)
		ce_err("%s", msg);
	return state > 0;
}

static void cmd_dovetail(void)
{
	char **argv = args + 2;
	int argc = argcnt - 2;
	const char *sub;

	if (argcnt < 2) {
		cmd_usage(pc->curcmd, SYNOPSIS);
		return;
	}
	sub = args[1];
	if (!dump_usable())
		return;
	if (!strcmp(sub, "stages") || !strcmp(sub, "irqs") || !strcmp(sub, "tasks")) {
		cmd_state(argc + 1, argv - 1);
	} else if (!strcmp(sub, "trace")) {
		ce_cmd_trace(argc, argv);
	} else if (!strcmp(sub, "audit")) {
		ce_cmd_audit(argc, argv);
	} else if (!strcmp(sub, "report")) {
		ce_cmd_report(argc, argv);
	} else if (!strcmp(sub, "export")) {
		ce_cmd_export(argc, argv);
	} else if (!strcmp(sub, "snapshot")) {
		ce_cmd_snapshot(argc, argv);
	} else {
		ce_err("unknown subcommand '%s' (stages, irqs, tasks, trace, audit, report, export, snapshot)",
		       sub);
	}
}
