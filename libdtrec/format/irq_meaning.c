// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What an IRQ number means beyond its action's name: the x86 system
 * vector of a SIPIC interrupt, the class and number of an arm64 GIC
 * interrupt (Dovetail's IPIs by name). Used by the irqs decoder on a
 * target and by the parser on a snapshot's names block, which carries
 * the chip, the hwirq and (x86, from the kernel) the vector number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* ---- x86 system vectors (arch/x86/include/asm/irq_vectors.h) ---- */

/*
 * The same numbers in 5.10 and 6.6, save for CALL_FUNCTION_OOB, new in
 * 6.x. Macros: DWARF does not carry them.
 */
static const struct {
	unsigned int vector;
	const char *name;
} vectors[] = {
	{ 0xff, "SPURIOUS_APIC_VECTOR" },
	{ 0xfe, "ERROR_APIC_VECTOR" },
	{ 0xfd, "RESCHEDULE_VECTOR" },
	{ 0xfc, "CALL_FUNCTION_VECTOR" },
	{ 0xfb, "CALL_FUNCTION_SINGLE_VECTOR" },
	{ 0xfa, "THERMAL_APIC_VECTOR" },
	{ 0xf9, "THRESHOLD_APIC_VECTOR" },
	{ 0xf8, "REBOOT_VECTOR" },
	{ 0xf7, "X86_PLATFORM_IPI_VECTOR" },
	{ 0xf6, "IRQ_WORK_VECTOR" },
	{ 0xf4, "DEFERRED_ERROR_VECTOR" },
	{ 0xf3, "HYPERVISOR_CALLBACK_VECTOR" },
	{ 0xf2, "POSTED_INTR_VECTOR" },
	{ 0xf1, "POSTED_INTR_WAKEUP_VECTOR" },
	{ 0xf0, "POSTED_INTR_NESTED_VECTOR" },
	{ 0xef, "MANAGED_IRQ_SHUTDOWN_VECTOR" },
	{ 0xee, "HYPERV_REENLIGHTENMENT_VECTOR" },
	{ 0xed, "HYPERV_STIMER0_VECTOR" },
	{ 0xec, "LOCAL_TIMER_VECTOR" },
	{ 0xeb, "TIMER_OOB_VECTOR" },
	{ 0xea, "RESCHEDULE_OOB_VECTOR" },
	{ 0xe9, "CALL_FUNCTION_OOB_VECTOR" },
};

const char *dtrec_x86_vector_name(uint64_t vector, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		if (vectors[i].vector == vector)
			return vectors[i].name;
	snprintf(buf, len, "0x%02llx", (unsigned long long)vector);
	return buf;
}

/* ---- arm64 GIC interrupts (arch/arm64/include/asm/irq_pipeline.h) ---- */

/*
 * Dovetail multiplexes the in-band IPIs over SGI0 and maps the
 * out-of-band ones to SGI1-3 (OOB_IPI_OFFSET, TIMER_OOB_IPI,
 * RESCHEDULE_OOB_IPI, CALL_FUNCTION_OOB_IPI). Other GIC interrupts are
 * named by their class and number within it, as the GIC bindings do.
 */
const char *dtrec_gic_name(uint64_t hwirq, char *buf, size_t len)
{
	static const char *const sgis[] = {
		"INBAND_IPI", "TIMER_OOB_IPI", "RESCHEDULE_OOB_IPI",
		"CALL_FUNCTION_OOB_IPI",
	};

	if (hwirq < sizeof(sgis) / sizeof(sgis[0]))
		return sgis[hwirq];
	if (hwirq < 16)
		snprintf(buf, len, "SGI%u", (unsigned int)hwirq);
	else if (hwirq < 32)
		snprintf(buf, len, "PPI%u", (unsigned int)hwirq - 16);
	else if (hwirq < 1020)
		snprintf(buf, len, "SPI%u", (unsigned int)hwirq - 32);
	else if (hwirq >= 8192 && hwirq < (1ULL << 32))
		snprintf(buf, len, "LPI%u", (unsigned int)hwirq);
	else
		snprintf(buf, len, "GIC:%#llx", (unsigned long long)hwirq);
	return buf;
}

/* IPIs among them: what another CPU waits for when it is not taken. */
int dtrec_vector_is_ipi(const char *vector)
{
	static const char *const ipis[] = {
		"RESCHEDULE_VECTOR", "CALL_FUNCTION_VECTOR",
		"CALL_FUNCTION_SINGLE_VECTOR", "REBOOT_VECTOR",
		"RESCHEDULE_OOB_VECTOR", "CALL_FUNCTION_OOB_VECTOR",
		"INBAND_IPI", "RESCHEDULE_OOB_IPI", "CALL_FUNCTION_OOB_IPI",
	};
	size_t i;

	for (i = 0; vector && i < sizeof(ipis) / sizeof(ipis[0]); i++)
		if (!strcmp(vector, ipis[i]))
			return 1;
	return 0;
}

/*
 * The meaning of a names-block entry, in place: the kernel writes the
 * x86 vector as its number ("0xec"), which becomes its name; a GIC
 * interrupt (chip "GIC...") with no vector gets its class and number.
 * Anything else is left as the block gave it.
 */
void dtrec_irq_name_complete(struct dtrec_irq_name *n)
{
	char buf[sizeof(n->vector)], *end;
	const char *m = NULL;
	unsigned long v;

	if (!strncmp(n->vector, "0x", 2)) {
		v = strtoul(n->vector, &end, 16);
		if (end != n->vector + 2 && !*end && v <= 0xff)
			m = dtrec_x86_vector_name(v, buf, sizeof(buf));
	} else if (!n->vector[0] && !strncmp(n->chip, "GIC", 3) && n->hwirq != 0xffffffffU) {
		m = dtrec_gic_name(n->hwirq, buf, sizeof(buf));
	}
	if (m)
		snprintf(n->vector, sizeof(n->vector), "%s", m);
}
