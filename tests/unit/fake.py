"""Test doubles: an in-memory Target (byte segments plus a layout
table), with a builder for a small synthetic Dovetail kernel. libdtrec
decodes it through the same ctypes callbacks as gdb and drgn."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "common"))

from dtcore.target import MissingMember, MissingType, ReadError, Target  # noqa: E402


class FakeTarget(Target):
    def __init__(self, layout, arch="x86_64", ptr_size=8):
        self.layout = layout        # {"struct x": {"size": n, "members": {path: (off, size, nelem)}}}
        self.segments = []          # [(addr, bytearray)]
        self.symbols = {}
        self._arch = arch
        self.ptr_size = ptr_size
        self.flags = {}
        self.reads = 0

    # memory
    def add(self, addr, size):
        self.segments.append((addr, bytearray(size)))
        return addr

    def _seg(self, addr, size):
        for base, buf in self.segments:
            if base <= addr and addr + size <= base + len(buf):
                return base, buf
        raise ReadError(addr, size, "not in any segment")

    def read(self, addr, size):
        self.reads += 1
        base, buf = self._seg(addr, size)
        return bytes(buf[addr - base:addr - base + size])

    def write(self, addr, data):
        base, buf = self._seg(addr, len(data))
        buf[addr - base:addr - base + len(data)] = data

    def put(self, addr, struct, member, value):
        """Write a member, given by a dotted path through struct members."""
        off, size = self.path(struct, member)
        if isinstance(value, (bytes, bytearray)):
            data = bytes(value).ljust(size, b"\0")[:size]
        else:
            data = (value & ((1 << (8 * size)) - 1)).to_bytes(size, self.byteorder)
        self.write(addr + off, data)

    # types and symbols
    def symbol(self, name):
        return self.symbols.get(name)

    def _s(self, name):
        try:
            return self.layout[name]
        except KeyError:
            raise MissingType("no type %s" % name)

    def _m(self, struct, member):
        try:
            return self._s(struct)["members"][member][:3]
        except KeyError:
            raise MissingMember("%s has no member %s" % (struct, member))

    def path(self, struct, member):
        """(offset, size) of a dotted member path."""
        off = 0
        for part in member.split("."):
            spec = self._s(struct)["members"].get(part)
            if spec is None:
                raise MissingMember("%s has no member %s" % (struct, member))
            off += spec[0]
            size = spec[1]
            struct = spec[3] if len(spec) > 3 else None
        return off, size

    def type_size(self, name):
        return self._s(name)["size"]

    def member_offset(self, struct, member):
        return self._m(struct, member)[0]

    def member_size(self, struct, member):
        return self._m(struct, member)[1]

    def array_length(self, struct, member):
        n = self._m(struct, member)[2]
        if n is None:
            raise MissingMember("%s.%s is not an array" % (struct, member))
        return n

    def arch(self):
        return self._arch

    def cpu_flags(self, cpu, rank):
        return self.flags.get(cpu)


def _layout(levels):
    """One level of members per struct, as the kernel's DWARF has them;
    a member of struct type names it as the fourth element."""
    def s(size, **m):
        return {"size": size, "members": m}
    flat = {2: 10, 3: 100, 4: 5000}[levels]
    ev = {}
    off = 0
    if levels >= 3:
        ev["index_1"] = (0, 64 * 8, 64)
        off = 64 * 8
    if levels == 4:
        ev["index_2"] = (off, 4096 * 8, 4096)
        off += 4096 * 8
    ev["flat"] = (off, flat * 8, flat)
    return {
        "struct task_struct": s(
            256, pid=(0, 4, None), stall_bits=(8, 8, None), comm=(16, 16, 16),
            thread_info=(32, 32, None, "struct thread_info"), tasks=(96, 16, None),
            thread_node=(112, 16, None), signal=(128, 8, None)),
        "struct thread_info": s(32, flags=(0, 8, None), status=(8, 4, None),
                                cpu=(12, 4, None),
                                oob_state=(16, 8, None, "struct oob_thread_state")),
        "struct oob_thread_state": s(8, thread=(0, 8, None)),
        "struct signal_struct": s(32, thread_head=(0, 16, None)),
        "struct pcpu_hot": s(64, current_task=(0, 8, None), preempt_count=(8, 4, None)),
        "struct rq": s(64, curr=(0, 8, None), idle=(8, 8, None)),
        "struct irq_stage": s(16, index=(0, 4, None), name=(8, 8, None)),
        "struct irq_log": s(16, index_0=(0, 8, None), map=(8, 8, None)),
        "struct irq_stage_data": s(24, log=(0, 16, None, "struct irq_log"),
                                   stage=(16, 8, None)),
        "struct irq_pipeline_data": s(64, stages=(0, 48, 2),
                                      task_inflight=(48, 8, None),
                                      rqlock_owner=(56, 8, None)),
        "struct irq_event_map": {"size": off + flat * 8, "members": ev},
        "struct uts_namespace": s(400, name=(0, 390, None, "struct new_utsname")),
        "struct new_utsname": s(390, release=(65, 65, 65)),
        "struct cpumask": s(8, bits=(0, 8, 1)),
        "struct irq_desc": s(64, action=(0, 8, None),
                             irq_data=(8, 16, None, "struct irq_data")),
        "struct irq_data": s(16, hwirq=(0, 8, None), domain=(8, 8, None)),
        "struct irqaction": s(16, name=(0, 8, None)),
        "struct evl_thread": s(32, name=(0, 8, None), state=(8, 4, None)),
    }


class FakeKernel(object):
    """Builds a small Dovetail kernel image in a FakeTarget.

    Per-CPU variables live at PCPU_BASE + cpu * PCPU_STRIDE + offset;
    tasks, maps and strings are allocated from a bump heap."""

    PCPU_BASE = 0x100000
    PCPU_STRIDE = 0x10000
    HEAP = 0x800000

    def __init__(self, ncpus=2, levels=3, release="6.6.0-dovetail",
                 arch="x86_64", oob_name="EVL"):
        self.t = t = FakeTarget(_layout(levels), arch=arch)
        self.ncpus = ncpus
        self.heap = t.add(self.HEAP, 0x400000)
        self.brk = self.HEAP
        t.add(self.PCPU_BASE, ncpus * self.PCPU_STRIDE)
        t.symbols.update(irq_pipeline=0x100, pcpu_hot=0x200, runqueues=0x300)
        offs = self.alloc(8 * ncpus)
        for c in range(ncpus):
            self.t.write(offs + 8 * c, (self.PCPU_BASE + c * self.PCPU_STRIDE).to_bytes(8, "little"))
        t.symbols["__per_cpu_offset"] = offs
        mask = self.alloc(8)
        t.write(mask, ((1 << ncpus) - 1).to_bytes(8, "little"))
        t.symbols["__cpu_possible_mask"] = t.symbols["__cpu_online_mask"] = mask
        uts = self.alloc(400)
        t.put(uts, "struct uts_namespace", "name.release", release.encode())
        t.symbols["init_uts_ns"] = uts
        self.oob = self.alloc(16)
        t.symbols["oob_stage"] = self.oob
        if oob_name:
            t.put(self.oob, "struct irq_stage", "index", 1)
            t.put(self.oob, "struct irq_stage", "name", self.cstr(oob_name))
        self.sig = self.alloc(32)
        self.tasks = []
        self.init = self.task(0, "swapper/0")
        t.symbols["init_task"] = self.init
        t.symbols["sipic_domain"] = self.alloc(8)
        self.sipic = self.alloc(64)
        t.write(t.symbols["sipic_domain"], self.sipic.to_bytes(8, "little"))
        t.symbols["sysvec_call_function_oob_ipi"] = 0xffffffff81000000
        self.nirqs = 512
        t.symbols["irq_desc"] = self.alloc(64 * self.nirqs)
        t.symbols["nr_irqs"] = self.alloc(8)
        t.write(t.symbols["nr_irqs"], self.nirqs.to_bytes(4, "little"))
        self.maps = {}
        for c in range(ncpus):
            pd = self.percpu("irq_pipeline", c)
            for s in (0, 1):
                m = self.alloc(t.type_size("struct irq_event_map"))
                self.maps[c, s] = m
                sd = pd + 24 * s
                t.put(sd, "struct irq_stage_data", "log.map", m)
                if s == 0 or oob_name:
                    t.put(sd, "struct irq_stage_data", "stage",
                          self.oob if s else self.alloc(16))
            self.set_cpu(c, current=self.init, owner=self.init)

    def alloc(self, size):
        addr = self.brk
        self.brk += (size + 63) & ~63
        return addr

    def cstr(self, s):
        a = self.alloc(len(s) + 1)
        self.t.write(a, s.encode() + b"\0")
        return a

    def percpu(self, sym, cpu):
        return self.PCPU_BASE + cpu * self.PCPU_STRIDE + self.t.symbols[sym]

    def task(self, pid, comm, status=0, tif=0, cpu=0, stall_bits=1):
        t, TS = self.t, "struct task_struct"
        a = self.alloc(256)
        for m, v in (("pid", pid), ("comm", comm.encode()), ("stall_bits", stall_bits),
                     ("thread_info.status", status), ("thread_info.flags", tif),
                     ("thread_info.cpu", cpu), ("signal", self.sig)):
            t.put(a, TS, m, v)
        # Every task is a process here: link it into init_task.tasks.
        self.tasks.append(a)
        for i, tk in enumerate(self.tasks):
            nxt = self.tasks[(i + 1) % len(self.tasks)]
            toff = t.member_offset(TS, "tasks")
            t.put(tk, TS, "tasks", (nxt + toff).to_bytes(8, "little") + bytes(8))
        t.put(self.sig, "struct signal_struct", "thread_head",
              (self.sig).to_bytes(8, "little") * 2)
        return a

    def set_cpu(self, cpu, current=None, owner=None, preempt=None,
                inflight=None, rqlock=None):
        t = self.t
        if current is not None:
            t.put(self.percpu("pcpu_hot", cpu), "struct pcpu_hot", "current_task", current)
        if preempt is not None:
            t.put(self.percpu("pcpu_hot", cpu), "struct pcpu_hot", "preempt_count", preempt)
        if owner is not None:
            t.put(self.percpu("runqueues", cpu), "struct rq", "curr", owner)
        pd = self.percpu("irq_pipeline", cpu)
        if inflight is not None:
            t.put(pd, "struct irq_pipeline_data", "task_inflight", inflight)
        if rqlock is not None:
            t.put(pd, "struct irq_pipeline_data", "rqlock_owner", rqlock)

    def set_log(self, cpu, stage, index_0, words):
        """words: {member: {index: value}} written into the stage's map."""
        t = self.t
        sd = self.percpu("irq_pipeline", cpu) + 24 * stage
        t.put(sd, "struct irq_stage_data", "log.index_0", index_0)
        m = self.maps[cpu, stage]
        for member, vals in words.items():
            base = m + t.member_offset("struct irq_event_map", member)
            for i, v in vals.items():
                t.write(base + 8 * i, v.to_bytes(8, "little"))

    def set_map_ptr(self, cpu, stage, addr):
        sd = self.percpu("irq_pipeline", cpu) + 24 * stage
        self.t.put(sd, "struct irq_stage_data", "log.map", addr)

    def irq(self, irq, name=None, hwirq=0, sipic=False):
        t = self.t
        d = t.symbols["irq_desc"] + 64 * irq
        if name:
            act = self.alloc(16)
            t.put(act, "struct irqaction", "name", self.cstr(name))
            t.put(d, "struct irq_desc", "action", act)
        t.put(d, "struct irq_desc", "irq_data.hwirq", hwirq)
        t.put(d, "struct irq_desc", "irq_data.domain", self.sipic if sipic else 0)
