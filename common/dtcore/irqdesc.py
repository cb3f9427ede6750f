"""irq_to_desc() from memory, and x86 system-vector names.

drgn 0.0.22 has no maple tree helper and gdb has none at all, so the
minimal lookup walks are done here on raw node reads.
"""
from .kernel import View
from .target import DtError

# maple_tree.h: enode = node | (type << 3) | flags; node is 256-aligned.
MAPLE_NODE_MASK = 0xff
MAPLE_TYPE_SHIFT = 3
MAPLE_TYPE_MASK = 0xf
MAPLE_DENSE, MAPLE_LEAF_64, MAPLE_RANGE_64, MAPLE_ARANGE_64 = 0, 1, 2, 3
MAPLE_MAX_DEPTH = 64


def _xa_is_node(entry):
    return entry & 3 == 2 and entry > 4096


def _maple_lookup(t, tree, index):
    root = View(t, "struct maple_tree", tree, ["ma_root"]).int("ma_root")
    if not _xa_is_node(root):
        return root if index == 0 else 0
    enode, node_max = root, (1 << (8 * t.ptr_size)) - 1
    for _ in range(MAPLE_MAX_DEPTH):
        node = enode & ~MAPLE_NODE_MASK
        mtype = (enode >> MAPLE_TYPE_SHIFT) & MAPLE_TYPE_MASK
        if mtype == MAPLE_DENSE:
            nslots = t.array_length("struct maple_node", "slot")
            base = node + t.member_offset("struct maple_node", "slot")
            # a dense node covers [max - nslots + 1, max]
            i = index - (node_max - nslots + 1)
            return t.read_ptr(base + i * t.ptr_size) if 0 <= i < nslots else 0
        st = "struct maple_arange_64" if mtype == MAPLE_ARANGE_64 \
            else "struct maple_range_64"
        npiv = t.array_length(st, "pivot")
        nslots = t.array_length(st, "slot")
        v = View(t, st, node, ["pivot", "slot"])
        po, so = v.off("pivot"), v.off("slot")
        entry = 0
        for i in range(nslots):
            piv = t.uint(v.data, po + i * t.ptr_size, t.ptr_size) \
                if i < npiv else node_max
            if piv == 0 and i > 0:
                piv = node_max      # unused pivot: this slot ends the node
            if index <= piv:
                entry = t.uint(v.data, so + i * t.ptr_size, t.ptr_size)
                node_max = piv
                break
        else:
            return 0
        if mtype in (MAPLE_LEAF_64,) or not entry:
            return entry
        enode = entry
    raise DtError("maple tree deeper than %d levels" % MAPLE_MAX_DEPTH)


def _xarray_lookup(t, root_addr, index):
    st = "struct xarray" if t.has_type("struct xarray") else "struct radix_tree_root"
    head_m = "xa_head" if t.has_member(st, "xa_head") else "rnode"
    entry = View(t, st, root_addr, [head_m]).int(head_m)
    nst = "struct xa_node" if t.has_type("struct xa_node") else "struct radix_tree_node"
    for _ in range(MAPLE_MAX_DEPTH):
        if not _xa_is_node(entry):
            return entry if index == 0 or entry == 0 else 0
        node = entry - 2
        v = View(t, nst, node, ["shift"])
        shift = v.int("shift")
        nslots = t.array_length(nst, "slots")
        if index >> shift >= nslots:
            return 0
        off = t.member_offset(nst, "slots") + ((index >> shift) % nslots) * t.ptr_size
        entry = t.read_ptr(node + off)
        if shift == 0:
            return entry
        index &= (1 << shift) - 1
    raise DtError("radix tree too deep")


def irq_to_desc(t, irq):
    """Address of struct irq_desc for an IRQ number, 0 if none."""
    tree = t.symbol("sparse_irqs")
    if tree is not None:
        return _maple_lookup(t, tree, irq)
    tree = t.symbol("irq_desc_tree")
    if tree is not None:
        return _xarray_lookup(t, tree, irq)
    arr = t.symbol("irq_desc")
    if arr is not None:
        nr = t.symbol("nr_irqs")
        if nr is not None and irq >= t.read_uint(nr, 4):
            return 0
        return arr + irq * t.type_size("struct irq_desc")
    raise DtError("no sparse_irqs, irq_desc_tree or irq_desc symbol")


# x86 system vectors (arch/x86/include/asm/irq_vectors.h); the same
# numbers in 5.10 and 6.6 save for CALL_FUNCTION_OOB, new in 6.x.
X86_VECTORS = {
    0xff: "SPURIOUS_APIC_VECTOR",
    0xfe: "ERROR_APIC_VECTOR",
    0xfd: "RESCHEDULE_VECTOR",
    0xfc: "CALL_FUNCTION_VECTOR",
    0xfb: "CALL_FUNCTION_SINGLE_VECTOR",
    0xfa: "THERMAL_APIC_VECTOR",
    0xf9: "THRESHOLD_APIC_VECTOR",
    0xf8: "REBOOT_VECTOR",
    0xf7: "X86_PLATFORM_IPI_VECTOR",
    0xf6: "IRQ_WORK_VECTOR",
    0xf4: "DEFERRED_ERROR_VECTOR",
    0xf3: "HYPERVISOR_CALLBACK_VECTOR",
    0xf2: "POSTED_INTR_VECTOR",
    0xf1: "POSTED_INTR_WAKEUP_VECTOR",
    0xf0: "POSTED_INTR_NESTED_VECTOR",
    0xef: "MANAGED_IRQ_SHUTDOWN_VECTOR",
    0xee: "HYPERV_REENLIGHTENMENT_VECTOR",
    0xed: "HYPERV_STIMER0_VECTOR",
    0xec: "LOCAL_TIMER_VECTOR",
    0xeb: "TIMER_OOB_VECTOR",
    0xea: "RESCHEDULE_OOB_VECTOR",
    0xe9: "CALL_FUNCTION_OOB_VECTOR",
}


def x86_first_system_vector(t):
    """FIRST_SYSTEM_VECTOR: 0xe9 once CALL_FUNCTION_OOB_VECTOR exists
    (its entry stub or smp_call_function_oob is then in the symbol
    table), else 0xea (5.10)."""
    for sym in ("sysvec_call_function_oob_ipi", "smp_call_function_oob"):
        if t.symbol(sym) is not None:
            return 0xe9
    return 0xea


def vector_name(vector):
    return X86_VECTORS.get(vector, "%#04x" % vector)


class IrqNamer(object):
    """Resolves IRQ numbers to (name, hwirq, vector) with caching."""

    def __init__(self, k):
        self.k = k
        self.t = k.t
        self.cache = {}
        self.sipic = None
        if k.arch() == "x86_64":
            addr = self.t.symbol("sipic_domain")
            if addr is not None:
                self.sipic = self.t.read_ptr(addr)
                self.first_vec = x86_first_system_vector(self.t)

    def resolve(self, irq):
        if irq not in self.cache:
            self.cache[irq] = self._resolve(irq)
        return self.cache[irq]

    def _resolve(self, irq):
        t = self.t
        desc = irq_to_desc(t, irq)
        if not desc:
            return None, None, None
        v = View(t, "struct irq_desc", desc,
                 ["action", "irq_data.hwirq", "irq_data.domain"])
        hwirq = v.int("irq_data.hwirq")
        name = None
        action = v.int("action")
        if action:
            nptr = View(t, "struct irqaction", action, ["name"]).int("name")
            if nptr:
                name = t.read_cstr(nptr, 64)
        vector = None
        if self.sipic and v.int("irq_data.domain") == self.sipic:
            # sipic_domain maps hwirq 0 to FIRST_SYSTEM_IRQ, i.e. to
            # FIRST_SYSTEM_VECTOR (apicm_irq_vector()).
            vector = vector_name(self.first_vec + hwirq)
        return name, hwirq, vector
