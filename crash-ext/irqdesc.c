// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * irq_to_desc() from a dump: the maple tree sparse_irqs (6.x, which
 * crash 8.0.2 cannot walk), the radix tree irq_desc_tree (5.x sparse)
 * or the flat irq_desc[] array. Only the lookup path of one index is
 * implemented, with every node read checked and the depth bounded.
 */
#include "defs.h"
#include "kread.h"

#define XA_IS_NODE(e)	(((e) & 3) == 2 && (e) > 4096)
#define MAPLE_NODE_MASK	0xffULL
#define MAX_DEPTH	16

enum { LOOKUP_NONE, LOOKUP_MAPLE, LOOKUP_XARRAY, LOOKUP_ARRAY };

static int lookup;
static uint64_t tree_addr;
static long maple_dense = 0, maple_leaf = 1, maple_range = 2, maple_arange = 3;
static unsigned int first_system_vector;
static uint64_t sipic_domain;
static int have_sipic;

static long moff(const char *s, const char *m)
{
	return MEMBER_OFFSET((char *)s, (char *)m);
}

static int nwords(const char *s, const char *m)
{
	long sz = MEMBER_SIZE((char *)s, (char *)m);

	return sz > 0 ? (int)(sz / 8) : 0;
}

int ce_irqdesc_init(void)
{
	long v;
	uint64_t a;

	ko.desc_size = STRUCT_SIZE("irq_desc");
	ko.desc_action = moff("irq_desc", "action");
	ko.desc_irq_data = moff("irq_desc", "irq_data");
	ko.irqd_hwirq = moff("irq_data", "hwirq");
	ko.irqd_domain = moff("irq_data", "domain");
	ko.action_name = moff("irqaction", "name");

	have_sipic = !ce_sym("sipic_domain", &a) && !ce_read_ptr(a, &sipic_domain) &&
		sipic_domain;
	/*
	 * FIRST_SYSTEM_VECTOR is CALL_FUNCTION_OOB_VECTOR (0xe9) once that
	 * vector exists (its entry stub or smp_call_function_oob is in the
	 * symbol table), else RESCHEDULE_OOB_VECTOR (0xea, 5.10).
	 */
	first_system_vector = symbol_exists("sysvec_call_function_oob_ipi") ||
		symbol_exists("smp_call_function_oob") ? 0xe9 : 0xea;

	if (!ce_sym("sparse_irqs", &tree_addr) && STRUCT_SIZE("maple_tree") > 0) {
		ko.mt_root = moff("maple_tree", "ma_root");
		ko.mr_pivot = moff("maple_range_64", "pivot");
		ko.mr_slot = moff("maple_range_64", "slot");
		ko.mr_npivots = nwords("maple_range_64", "pivot");
		ko.mr_nslots = nwords("maple_range_64", "slot");
		ko.ma_pivot = moff("maple_arange_64", "pivot");
		ko.ma_slot = moff("maple_arange_64", "slot");
		ko.ma_npivots = nwords("maple_arange_64", "pivot");
		ko.ma_nslots = nwords("maple_arange_64", "slot");
		ko.md_slot = moff("maple_node", "slot");
		ko.md_nslots = nwords("maple_node", "slot");
		if (ko.md_nslots > 256)
			ko.md_nslots = 0;
		if (enumerator_value("maple_dense", &v))
			maple_dense = v;
		if (enumerator_value("maple_leaf_64", &v))
			maple_leaf = v;
		if (enumerator_value("maple_range_64", &v))
			maple_range = v;
		if (enumerator_value("maple_arange_64", &v))
			maple_arange = v;
		if (ko.mt_root >= 0 && ko.mr_pivot >= 0 && ko.mr_slot >= 0 &&
		    ko.mr_nslots > 0 && ko.mr_nslots <= 64 &&
		    ko.ma_nslots <= 64 && ko.mr_npivots < ko.mr_nslots &&
		    ko.ma_npivots < ko.ma_nslots)
			lookup = LOOKUP_MAPLE;
	} else if (!ce_sym("irq_desc_tree", &tree_addr)) {
		ko.xa_head = moff("xarray", "xa_head");
		if (ko.xa_head < 0)
			ko.xa_head = moff("radix_tree_root", "xa_head");
		ko.xanode_shift = moff("xa_node", "shift");
		ko.xanode_slots = moff("xa_node", "slots");
		ko.xanode_nslots = nwords("xa_node", "slots");
		if (ko.xa_head >= 0 && ko.xanode_shift >= 0 &&
		    ko.xanode_slots >= 0 && ko.xanode_nslots > 0 &&
		    ko.xanode_nslots <= 256 &&
		    !(ko.xanode_nslots & (ko.xanode_nslots - 1)))
			lookup = LOOKUP_XARRAY;
	} else if (!ce_sym("irq_desc", &tree_addr) && ko.desc_size > 0) {
		lookup = LOOKUP_ARRAY;
	}
	return lookup == LOOKUP_NONE ? -1 : 0;
}

static uint64_t maple_lookup(uint64_t index)
{
	uint64_t entry, slots[64], pivots[64], node_max = ~0ULL;
	int depth;

	if (ce_read_ptr(tree_addr + ko.mt_root, &entry))
		return 0;
	if (!XA_IS_NODE(entry))
		return index == 0 ? entry : 0;
	/* Only the root pointer carries the node tag; children are typed by bits 3-6. */
	for (depth = 0; depth < MAX_DEPTH; depth++) {
		uint64_t node = entry & ~MAPLE_NODE_MASK;
		long type = (long)((entry >> 3) & 0x0f);
		int np, ns, i;
		long poff, soff;

		if (type == maple_dense) {
			/* A dense node covers [max - nslots + 1, max]. */
			uint64_t first = node_max - (uint64_t)ko.md_nslots + 1;

			if (ko.md_slot < 0 || ko.md_nslots <= 0 || index < first ||
			    index > node_max ||
			    ce_read_ptr(node + ko.md_slot + 8 * (index - first), &entry))
				return 0;
			return entry;
		}
		if (type == maple_arange) {
			np = ko.ma_npivots; ns = ko.ma_nslots;
			poff = ko.ma_pivot; soff = ko.ma_slot;
		} else if (type == maple_range || type == maple_leaf) {
			np = ko.mr_npivots; ns = ko.mr_nslots;
			poff = ko.mr_pivot; soff = ko.mr_slot;
		} else {
			return 0;
		}
		if (ce_read(node + poff, pivots, (size_t)np * 8) ||
		    ce_read(node + soff, slots, (size_t)ns * 8))
			return 0;
		for (i = 0; i < ns; i++) {
			uint64_t piv = i < np ? pivots[i] : node_max;

			if (!piv && i)
				piv = node_max;	/* unused pivot: this slot ends the node */
			if (index <= piv) {
				entry = slots[i];
				node_max = piv;
				break;
			}
		}
		if (i == ns)
			return 0;
		if (type == maple_leaf || !entry)
			return entry;
	}
	return 0;
}

static uint64_t xarray_lookup(uint64_t index)
{
	uint64_t entry, nslots = (uint64_t)ko.xanode_nslots;
	int depth;

	if (ce_read_ptr(tree_addr + ko.xa_head, &entry))
		return 0;
	for (depth = 0; depth < MAX_DEPTH; depth++) {
		uint64_t node = entry - 2;
		uint8_t shift;

		if (!XA_IS_NODE(entry))
			return index == 0 ? entry : 0;
		if (ce_read(node + ko.xanode_shift, &shift, 1) || shift >= 64 ||
		    (index >> shift) >= nslots)
			return 0;
		if (ce_read_ptr(node + ko.xanode_slots + 8 * ((index >> shift) % nslots),
				&entry))
			return 0;
		if (!shift)
			return entry;
		index &= (1ULL << shift) - 1;
	}
	return 0;
}

uint64_t ce_irq_to_desc(uint32_t irq)
{
	switch (lookup) {
	case LOOKUP_MAPLE:
		return maple_lookup(irq);
	case LOOKUP_XARRAY:
		return xarray_lookup(irq);
	case LOOKUP_ARRAY: {
		uint64_t a;
		uint32_t nr;

		if (!ce_sym("nr_irqs", &a) && !ce_read_u32(a, &nr) && irq >= nr)
			return 0;
		return tree_addr + (uint64_t)irq * (uint64_t)ko.desc_size;
	}
	}
	return 0;
}

void ce_irq_info(uint32_t irq, struct ce_irq_info *info)
{
	uint64_t desc, action, np, domain;
	char raw[65];

	memset(info, 0, sizeof(*info));
	info->irq = irq;
	desc = ce_irq_to_desc(irq);
	if (!desc)
		return;
	if (ko.desc_irq_data >= 0 && ko.irqd_hwirq >= 0 &&
	    !ce_read_u64(desc + ko.desc_irq_data + ko.irqd_hwirq, &info->hwirq))
		info->have_hwirq = 1;
	if (ko.desc_action >= 0 && ko.action_name >= 0 &&
	    !ce_read_ptr(desc + ko.desc_action, &action) && action &&
	    !ce_read_ptr(action + ko.action_name, &np) && np &&
	    !ce_read_str(np, raw, sizeof(raw))) {
		ce_utf8_clean(raw, sizeof(raw), info->namebuf, sizeof(info->namebuf));
		info->name = info->namebuf;
	}
	/* sipic_domain maps hwirq 0 to FIRST_SYSTEM_IRQ, i.e. FIRST_SYSTEM_VECTOR. */
	if (have_sipic && info->have_hwirq && ko.irqd_domain >= 0 &&
	    !ce_read_ptr(desc + ko.desc_irq_data + ko.irqd_domain, &domain) &&
	    domain == sipic_domain)
		info->vector = ce_vector_name(first_system_vector + info->hwirq,
					      info->vecbuf, sizeof(info->vecbuf));
}
