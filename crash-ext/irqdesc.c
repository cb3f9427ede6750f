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
static long maple_leaf = 1, maple_range = 2, maple_arange = 3;
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
	uint64_t entry, slots[64], pivots[64];
	int depth;

	if (ce_read_ptr(tree_addr + ko.mt_root, &entry))
		return 0;
	if (!XA_IS_NODE(entry))
		return index == 0 && !(entry & 3) ? entry : 0;
	/* Only the root pointer carries the node tag; children are typed by bits 3-6. */
	for (depth = 0; depth < MAX_DEPTH; depth++) {
		uint64_t node = entry & ~MAPLE_NODE_MASK;
		long type = (long)((entry >> 3) & 0x0f);
		int np, ns, off;
		long poff, soff;

		if (!node)
			return 0;
		if (type == maple_arange) {
			np = ko.ma_npivots; ns = ko.ma_nslots;
			poff = ko.ma_pivot; soff = ko.ma_slot;
		} else if (type == maple_range || type == maple_leaf) {
			np = ko.mr_npivots; ns = ko.mr_nslots;
			poff = ko.mr_pivot; soff = ko.mr_slot;
		} else {
			return 0;	/* dense nodes are not used for IRQs */
		}
		if (ce_read(node + poff, pivots, (size_t)np * 8) ||
		    ce_read(node + soff, slots, (size_t)ns * 8))
			return 0;
		/*
		 * A zero pivot past slot 0 ends the node's data: that slot
		 * then spans up to the node's maximum.
		 */
		for (off = 0; off < np; off++)
			if ((off && !pivots[off]) || index <= pivots[off])
				break;
		entry = slots[off];
		if (type == maple_leaf)
			break;
	}
	if (depth == MAX_DEPTH || !entry || (entry & 3))
		return 0;
	return entry;
}

static uint64_t xarray_lookup(uint64_t index)
{
	uint64_t entry, node;
	unsigned int shift, prev = 256, bits;
	uint8_t sh;
	int depth;

	bits = (unsigned int)__builtin_ctz((unsigned int)ko.xanode_nslots);
	if (ce_read_ptr(tree_addr + ko.xa_head, &entry))
		return 0;
	if (!XA_IS_NODE(entry))
		return index == 0 && !(entry & 3) ? entry : 0;
	for (depth = 0; depth < MAX_DEPTH && XA_IS_NODE(entry); depth++) {
		node = entry - 2;
		if (ce_read(node + ko.xanode_shift, &sh, 1))
			return 0;
		shift = sh;
		/* Shifts strictly decrease towards the leaves. */
		if (shift >= prev || shift >= 64)
			return 0;
		if (depth == 0 && shift + bits < 64 && (index >> (shift + bits)))
			return 0;
		prev = shift;
		if (ce_read_ptr(node + ko.xanode_slots +
				8 * ((index >> shift) & (uint64_t)(ko.xanode_nslots - 1)),
				&entry))
			return 0;
	}
	if (!entry || (entry & 3))
		return 0;
	return entry;
}

uint64_t ce_irq_to_desc(uint32_t irq)
{
	switch (lookup) {
	case LOOKUP_MAPLE:
		return maple_lookup(irq);
	case LOOKUP_XARRAY:
		return xarray_lookup(irq);
	case LOOKUP_ARRAY: {
		int n = get_array_length("irq_desc", NULL, 0);

		if (n > 0 && irq < (uint32_t)n)
			return tree_addr + (uint64_t)irq * (uint64_t)ko.desc_size;
		return 0;
	}
	}
	return 0;
}

void ce_irq_info(uint32_t irq, struct ce_irq_info *info, char *name,
		 size_t namelen)
{
	uint64_t desc, action, np, domain;

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
	    !ce_read_str(np, name, namelen))
		info->name = name;
	/* SIPIC IRQs map hwirq 0.. onto vectors from FIRST_SYSTEM_VECTOR. */
	if (have_sipic && info->have_hwirq && ko.irqd_domain >= 0 &&
	    !ce_read_ptr(desc + ko.desc_irq_data + ko.irqd_domain, &domain) &&
	    domain == sipic_domain && info->hwirq < 256)
		info->vector = ce_vector_name(ko.kt->first_system_vector +
					      (unsigned int)info->hwirq);
}
