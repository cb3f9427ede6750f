// SPDX-License-Identifier: LGPL-2.1-or-later
/* Names of events, classes and state flags, as every front end prints them. */
#include <string.h>
#include "internal.h"

static const struct {
	const char *name;
	int cls;
} events[DTREC_NR_EVENTS] = {
	[DTREC_EV_NONE]			= { "none", -1 },
	[DTREC_EV_INBAND_STALL]		= { "inband_stall", DTREC_C_INBAND_STALL },
	[DTREC_EV_INBAND_UNSTALL]	= { "inband_unstall", DTREC_C_INBAND_STALL },
	[DTREC_EV_OOB_STALL]		= { "oob_stall", DTREC_C_OOB_STALL },
	[DTREC_EV_OOB_UNSTALL]		= { "oob_unstall", DTREC_C_OOB_STALL },
	[DTREC_EV_SWITCH_OOB]		= { "switch_oob", DTREC_C_STAGE },
	[DTREC_EV_SWITCH_INBAND]	= { "switch_inband", DTREC_C_STAGE },
	[DTREC_EV_PIPELINE_ENTRY]	= { "pipeline_entry", DTREC_C_PIPELINE },
	[DTREC_EV_PIPELINE_EXIT]	= { "pipeline_exit", DTREC_C_PIPELINE },
	[DTREC_EV_IRQ_POST]		= { "irq_post", DTREC_C_IRQ_LOG },
	[DTREC_EV_IRQ_PLAY]		= { "irq_play", DTREC_C_IRQ_LOG },
	[DTREC_EV_OOB_HANDLER_ENTRY]	= { "oob_handler_entry", DTREC_C_OOB_HANDLER },
	[DTREC_EV_OOB_HANDLER_EXIT]	= { "oob_handler_exit", DTREC_C_OOB_HANDLER },
	[DTREC_EV_LEAVE_INBAND]		= { "leave_inband", DTREC_C_TASK },
	[DTREC_EV_FINALIZE_OOB]		= { "finalize_oob", DTREC_C_TASK },
	[DTREC_EV_SWITCHED_OOB]		= { "switched_oob", DTREC_C_TASK },
	[DTREC_EV_LEAVE_OOB]		= { "leave_oob", DTREC_C_TASK },
	[DTREC_EV_RESUME_INBAND]	= { "resume_inband", DTREC_C_TASK },
	[DTREC_EV_OOB_SWITCH]		= { "oob_switch", DTREC_C_TASK },
	[DTREC_EV_INBAND_TAIL]		= { "inband_tail", DTREC_C_TASK },
	/* It rewrites both stall bits at once: closest to a stall event. */
	[DTREC_EV_NMI_RESTORE]		= { "nmi_restore", DTREC_C_INBAND_STALL },
	[DTREC_EV_FREEZE]		= { "freeze", DTREC_C_MISC },
	[DTREC_EV_MARK]			= { "mark", DTREC_C_MISC },
};

/* "irq" rather than "irq_log": it is what users type (--class irq). */
static const char *const classes[DTREC_NR_CLASSES] = {
	[DTREC_C_INBAND_STALL]	= "inband_stall",
	[DTREC_C_OOB_STALL]	= "oob_stall",
	[DTREC_C_STAGE]		= "stage",
	[DTREC_C_PIPELINE]	= "pipeline",
	[DTREC_C_IRQ_LOG]	= "irq",
	[DTREC_C_OOB_HANDLER]	= "oob_handler",
	[DTREC_C_TASK]		= "task",
	[DTREC_C_MISC]		= "misc",
};

const char *dtrec_freeze_name(unsigned int reason)
{
	static const char *const n[] = {
		[DTREC_FREEZE_DEBUGGER]	= "debugger",
		[DTREC_FREEZE_OOPS]	= "oops",
		[DTREC_FREEZE_DEBUGFS]	= "debugfs",
		[DTREC_FREEZE_API]	= "api",
		[DTREC_FREEZE_THRESHOLD]	= "threshold",
	};

	return reason < sizeof(n) / sizeof(n[0]) ? n[reason] : "unknown";
}

const char *dtrec_event_name(unsigned int event)
{
	return event < DTREC_NR_EVENTS ? events[event].name : "unknown";
}

int dtrec_event_class(unsigned int event)
{
	return event < DTREC_NR_EVENTS ? events[event].cls : -1;
}

const char *dtrec_class_name(unsigned int cls)
{
	return cls < DTREC_NR_CLASSES ? classes[cls] : "unknown";
}

static const char *const state_short[] = {
	"IS", "OS", "OOB", "PIPE", "HOFF", "NMI", "HIRQ", "TOOB",
};

const char *dtrec_state_str(uint16_t state, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int bit;
	int n;

	if (!buf || !len)
		return "";
	/* No flag: nothing, as trace-cmd prints __print_flags() of 0. */
	buf[0] = '\0';
	for (bit = 0; bit < 16 && used < len; bit++) {
		if (!(state & (1U << bit)))
			continue;
		if (bit < sizeof(state_short) / sizeof(state_short[0]))
			n = snprintf(buf + used, len - used, "%s%s",
				     used ? "|" : "", state_short[bit]);
		else
			n = snprintf(buf + used, len - used, "%sbit%u",
				     used ? "|" : "", bit);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

/*
 * What arg and arg2 mean, per event (linux/dovetail_recorder.h), under
 * the names the trace.dat print formats use: a for arg, b for arg2 (or
 * its low part), c for a flag packed in arg2. NULL: not used.
 */
static const struct {
	const char *a, *b, *c;
} argnames[DTREC_NR_EVENTS] = {
	[DTREC_EV_IRQ_POST]		= { "irq", "stage", "coalesced" },
	[DTREC_EV_IRQ_PLAY]		= { "irq", "stage", NULL },
	[DTREC_EV_OOB_HANDLER_ENTRY]	= { "irq", NULL, NULL },
	[DTREC_EV_OOB_HANDLER_EXIT]	= { "irq", NULL, NULL },
	[DTREC_EV_LEAVE_INBAND]		= { "task", NULL, NULL },
	[DTREC_EV_FINALIZE_OOB]		= { "task", NULL, NULL },
	[DTREC_EV_SWITCHED_OOB]		= { "task", NULL, NULL },
	[DTREC_EV_LEAVE_OOB]		= { "task", NULL, NULL },
	[DTREC_EV_RESUME_INBAND]	= { "task", "rqlock_owner", NULL },
	[DTREC_EV_OOB_SWITCH]		= { "prev", "next", "leave_inband" },
	[DTREC_EV_INBAND_TAIL]		= { "task", NULL, NULL },
	[DTREC_EV_NMI_RESTORE]		= { "stall_bits", NULL, NULL },
	[DTREC_EV_FREEZE]		= { "reason", NULL, NULL },
	[DTREC_EV_MARK]			= { "arg", "arg2", NULL },
};

void dtrec_event_arg_names(unsigned int event, const char **a, const char **b,
			   const char **c)
{
	*a = event < DTREC_NR_EVENTS ? argnames[event].a : NULL;
	*b = event < DTREC_NR_EVENTS ? argnames[event].b : NULL;
	*c = event < DTREC_NR_EVENTS ? argnames[event].c : NULL;
}

/* arg2 split as its flag (c) dictates: the low part, and the flag. */
void dtrec_event_arg_split(unsigned int event, uint32_t arg2, uint32_t *b,
			   uint32_t *c)
{
	*b = arg2;
	*c = 0;
	if (event == DTREC_EV_IRQ_POST) {
		*b = arg2 & ~(uint32_t)DTREC_POST_COALESCED;
		*c = !!(arg2 & DTREC_POST_COALESCED);
	} else if (event == DTREC_EV_OOB_SWITCH) {
		*b = arg2 & ~DTREC_CSW_LEAVE_INBAND;
		*c = !!(arg2 & DTREC_CSW_LEAVE_INBAND);
	}
}

unsigned int dtrec_event_args(const struct dtrec_ev *e, struct dtrec_arg out[4])
{
	const char *a, *b, *c;
	uint32_t vb, vc;
	unsigned int n = 0;

	dtrec_event_arg_names(e->event, &a, &b, &c);
	dtrec_event_arg_split(e->event, e->arg2, &vb, &vc);
	/* Unnamed but not zero (not written by format 1): still shown. */
	if (a || e->arg)
		out[n++] = (struct dtrec_arg){ a ? a : "arg", e->arg,
					       e->event == DTREC_EV_NMI_RESTORE };
	if (b || vb)
		out[n++] = (struct dtrec_arg){ b ? b : "arg2", vb, 0 };
	if (c)
		out[n++] = (struct dtrec_arg){ c, vc, 0 };
	return n;
}
