/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dovetail pipeline flight recorder: hooks called from the pipeline
 * core. Every hook compiles to nothing without
 * CONFIG_DOVETAIL_RECORDER, and to a patched-out static branch while
 * the recorder is disabled.
 */
#ifndef _LINUX_DOVETAIL_RECORDER_H
#define _LINUX_DOVETAIL_RECORDER_H

#include <uapi/linux/dovetail_recorder.h>

#ifdef CONFIG_DOVETAIL_RECORDER

#include <linux/jump_label.h>
#include <linux/bitops.h>

DECLARE_STATIC_KEY_FALSE(dovetail_recorder_on);

void __dovetail_record(unsigned int event, u32 arg, u32 arg2);
void dovetail_recorder_freeze(unsigned int reason);
void dovetail_recorder_freeze_value(const char *why, u64 value_ns);
void dovetail_recorder_unfreeze(void);
void dovetail_recorder_mark(u32 arg, u32 arg2);

static __always_inline void dovetail_record(unsigned int event,
					    u32 arg, u32 arg2)
{
	if (static_branch_unlikely(&dovetail_recorder_on))
		__dovetail_record(event, arg, arg2);
}

/*
 * Stall bit updates which log real changes only: stalling an
 * already stalled stage is common (nested local_irq_save) and
 * carries no information.
 */
static __always_inline void dovetail_record_set_stall(int bit,
		unsigned long *bits, unsigned int event)
{
	if (static_branch_unlikely(&dovetail_recorder_on)) {
		if (!__test_and_set_bit(bit, bits))
			__dovetail_record(event, 0, 0);
	} else {
		__set_bit(bit, bits);
	}
}

static __always_inline void dovetail_record_clear_stall(int bit,
		unsigned long *bits, unsigned int event)
{
	if (static_branch_unlikely(&dovetail_recorder_on)) {
		if (__test_and_clear_bit(bit, bits))
			__dovetail_record(event, 0, 0);
	} else {
		__clear_bit(bit, bits);
	}
}

static __always_inline int dovetail_record_test_and_set_stall(int bit,
		unsigned long *bits, unsigned int event)
{
	int old = __test_and_set_bit(bit, bits);

	if (!old)
		dovetail_record(event, 0, 0);

	return old;
}

static __always_inline void dovetail_record_post(int stage_index,
		unsigned int irq, const unsigned long *flat)
{
	if (static_branch_unlikely(&dovetail_recorder_on))
		__dovetail_record(DTREC_EV_IRQ_POST, irq, stage_index |
				  (test_bit(irq, flat) ? DTREC_POST_COALESCED : 0));
}

#else  /* !CONFIG_DOVETAIL_RECORDER */

static __always_inline void dovetail_record(unsigned int event,
					    u32 arg, u32 arg2) { }
static inline void dovetail_recorder_freeze(unsigned int reason) { }
static inline void dovetail_recorder_freeze_value(const char *why,
						  u64 value_ns) { }
static inline void dovetail_recorder_unfreeze(void) { }
static inline void dovetail_recorder_mark(u32 arg, u32 arg2) { }

#define dovetail_record_set_stall(__bit, __bits, __ev)		\
	__set_bit(__bit, __bits)
#define dovetail_record_clear_stall(__bit, __bits, __ev)	\
	__clear_bit(__bit, __bits)
#define dovetail_record_test_and_set_stall(__bit, __bits, __ev)	\
	__test_and_set_bit(__bit, __bits)
#define dovetail_record_post(__stage, __irq, __flat)	do { } while (0)

#endif /* !CONFIG_DOVETAIL_RECORDER */

#endif /* _LINUX_DOVETAIL_RECORDER_H */
