"""Synthetic recorder memory for the hang report tests.

A Recorder holds per-CPU record lists as a kernel would have written
them, lays them out as a struct dtrec_desc plus one struct dtrec_ring
per CPU (the binary format of kernel-debug/.../dovetail_recorder.h),
and turns that into a snapshot stream through libdtrec's build API
(dtrec_build_snapshot), or writes it into a FakeKernel's memory for the
front ends. Expected values are computed here from what was written.
"""
import os
import struct
import sys

from dtrec_testlib import EVENTS, ROOT, cycles_to_ns

sys.path.insert(0, os.path.join(ROOT, "common"))

EV = {name: i for i, name in enumerate(EVENTS)}
IS, OS, OOB, PIPE, HOFF, NMI, HIRQ, TOOB = (1 << i for i in range(8))
COALESCED = 0x100

DESC_MAGIC = 0x314345524c545644
RING_MAGIC = 0x474e49524c545644
DESC_SIZE, RING_HDR, REC = 4200, 64, 32
RING_TABLE, RING_BYTES = 104, 2152
BASE = 0xffffc90000000000


class Recorder:
    """Records per CPU, in the order the CPU wrote them (positions 0..)."""

    def __init__(self, clock_hz=10**9, ref_cycles=0, ref_ns=0, nr_records=256,
                 event_mask=0xff, frozen=0, freeze_reason=0, freeze_cpu=0):
        self.clock_hz, self.ref_cycles, self.ref_ns = clock_hz, ref_cycles, ref_ns
        self.nr_records = nr_records
        self.event_mask, self.frozen = event_mask, frozen
        self.freeze_reason, self.freeze_cpu = freeze_reason, freeze_cpu
        self.cpus = {}          # cpu -> [[seq, ts, pid, arg, arg2, event, state]]

    def add(self, cpu, ts, pid, event, arg=0, arg2=0, state=0, seq=None):
        recs = self.cpus.setdefault(cpu, [])
        pos = len(recs)
        recs.append([pos + 1 if seq is None else seq, ts, pid, arg, arg2,
                     EV[event], state])
        return ts

    def ns(self, ts):
        """The recorder clock conversion of docs/json.md."""
        return cycles_to_ns({"clock_hz": self.clock_hz, "ref_cycles": self.ref_cycles,
                             "ref_ns": self.ref_ns}, ts)

    def newest_ts(self):
        """The newest record's time: the freeze time of a report."""
        return max(rec[1] for recs in self.cpus.values() for rec in recs)

    def oldest_ts(self, cpu):
        """The oldest record of a CPU still in its ring."""
        recs = self.cpus[cpu]
        return min(rec[1] for rec in recs[max(len(recs) - self.nr_records, 0):])

    def ring_bytes(self):
        return RING_HDR + self.nr_records * REC

    def layout(self):
        """(desc bytes, {ring address: ring bytes}) for nr_cpus = max cpu + 1."""
        ncpus = max(self.cpus) + 1
        desc = bytearray(DESC_SIZE)
        struct.pack_into("<QIIIIIIIIII", desc, 0, DESC_MAGIC, 1, DESC_SIZE, REC,
                         RING_HDR, ncpus, self.nr_records, self.event_mask,
                         self.frozen, self.freeze_reason, self.freeze_cpu)
        struct.pack_into("<QQQ", desc, 48, self.clock_hz, self.ref_cycles, self.ref_ns)
        struct.pack_into("<12H", desc, 72, 0, 8, 16, 20, 24, 28, 30, 8, 16, 20,
                         RING_HDR, 0)
        rings = {}
        for cpu, recs in self.cpus.items():
            addr = BASE + cpu * 0x100000
            ring = bytearray(self.ring_bytes())
            struct.pack_into("<QQII", ring, 0, RING_MAGIC, len(recs), cpu,
                             self.nr_records)
            for pos, (seq, ts, pid, arg, arg2, ev, st) in enumerate(recs):
                slot = pos % self.nr_records
                struct.pack_into("<QQIIIHH", ring, RING_HDR + slot * REC,
                                 seq, ts, pid, arg, arg2, ev, st)
            struct.pack_into("<Q", desc, RING_TABLE + 8 * cpu, addr)
            struct.pack_into("<Q", desc, RING_BYTES + 8 * cpu, len(ring))
            rings[addr] = bytes(ring)
        return bytes(desc), rings

    def stream(self, release="6.6.0-hangtrace"):
        """The snapshot stream, assembled by libdtrec from the layout."""
        from dtcore import libdtrec
        desc, rings = self.layout()

        def read(addr, size):
            return rings[addr][:size]
        return libdtrec.build_snapshot(desc, read, release)

    def install(self, fk, symbol="dovetail_recorder_desc"):
        """Write the layout into a FakeKernel (dtcore.fake) at fresh
        addresses and publish the descriptor symbol."""
        desc, rings = self.layout()
        desc = bytearray(desc)
        for cpu in range(max(self.cpus) + 1):
            old, = struct.unpack_from("<Q", desc, RING_TABLE + 8 * cpu)
            if not old:
                continue
            addr = fk.alloc(len(rings[old]))
            fk.t.write(addr, rings[old])
            struct.pack_into("<Q", desc, RING_TABLE + 8 * cpu, addr)
        a = fk.alloc(len(desc))
        fk.t.write(a, bytes(desc))
        fk.t.symbols[symbol] = a


def fmt_dur(ns):
    """libdtrec's duration text (docs/report.md): floored, 3 decimals."""
    for unit, name in ((10**9, "s"), (10**6, "ms"), (10**3, "us")):
        if ns >= unit:
            return "%d.%03d %s" % (ns // unit, ns % unit // (unit // 1000), name)
    return "%d ns" % ns
