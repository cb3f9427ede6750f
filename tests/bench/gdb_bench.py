"""Sourced inside gdb by bench_frontends.py, after gdb-scripts/dovetail.py,
in one session attached to the QEMU gdbstub (guest stopped):

    source gdb-scripts/dovetail.py
    python dtbench_reps = 3
    source tests/bench/gdb_bench.py

Times with time.perf_counter(), in this session:
- `dt-trace --json` as a whole, and the time spent in the ring reads it
  makes (libdtrec's read callback, wrapped here: one call per ring);
- the peer: gdb.selected_inferior().read_memory() of exactly the same
  regions, one call each, i.e. the gdbstub's raw bulk-read rate;
- `dump binary memory` of the same regions, as a second view of it.
Runs alternate (trace, raw, dump) reps times. Prints one line
"DTBENCH-GDB {json}".
"""
import json
import time

import gdb
from dtcore import libdtrec as _dtlib


def _dtbench():
    reps = int(globals().get("dtbench_reps", 3))
    inf = gdb.selected_inferior()
    ring_calls = []
    orig_build = _dtlib.build_snapshot

    def build(desc, read_fn, release=""):
        def timed(addr, size):
            t = time.perf_counter()
            data = read_fn(addr, size)
            ring_calls.append((addr, size, time.perf_counter() - t))
            return data
        return orig_build(desc, timed, release)

    res = {"trace": [], "raw": [], "dump": []}
    regions = None
    for i in range(reps):
        del ring_calls[:]
        _dtlib.build_snapshot = build
        try:
            t = time.perf_counter()
            out = gdb.execute("dt-trace --json", to_string=True)
            total = time.perf_counter() - t
        finally:
            _dtlib.build_snapshot = orig_build
        res["trace"].append({"total_s": total,
                             "ring_read_s": sum(c[2] for c in ring_calls),
                             "ring_reads": len(ring_calls)})
        if regions is None:
            regions = [(a, n) for a, n, _ in ring_calls]
            res["regions"] = [n for _, n in regions]
            res["output_bytes"] = len(out)
            try:
                res["events"] = len(json.loads(out)["events"])
            except (ValueError, KeyError):
                res["events"] = None
        del out
        t = time.perf_counter()
        for a, n in regions:
            inf.read_memory(a, n)
        res["raw"].append(time.perf_counter() - t)
        t = time.perf_counter()
        for a, n in regions:
            gdb.execute("dump binary memory /dev/null %#x %#x" % (a, a + n),
                        to_string=True)
        res["dump"].append(time.perf_counter() - t)
    res["bytes"] = sum(n for _, n in regions or [])
    gdb.write("DTBENCH-GDB %s\n" % json.dumps(res))


_dtbench()
