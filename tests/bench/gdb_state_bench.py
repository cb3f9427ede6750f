"""Sourced inside gdb by bench_state.py, after a gdb-scripts/dovetail.py
(today's, or the one of the baseline commit), in one session attached to
the QEMU gdbstub (guest stopped):

    source <tree>/gdb-scripts/dovetail.py
    python dtbench_reps = 5
    source tests/bench/gdb_state_bench.py

Times each state command with time.perf_counter(), reps times in turn
(stages, irqs, tasks, stages, ...), counts the target reads each makes
(through the Target's read(), which both trees have) and prints one line
"DTBENCH-STATE {json}": per command the times, the reads and bytes read,
and the --json output's length and SHA-256 (so that the two trees'
outputs can be compared).
"""
import hashlib
import json
import time

import gdb
from dtcore.target import Target

CMDS = ("dt-stages --json", "dt-irqs --json", "dt-tasks --json",
        "dt-tasks --all --json")


def _counting(reads):
    """Count every read of the gdb Target (the first subclass of Target
    that defines read(), whichever tree defined it)."""
    for cls in Target.__subclasses__():
        if "read" in cls.__dict__:
            orig = cls.read

            def read(self, addr, size, _orig=orig):
                reads[0] += 1
                reads[1] += size
                return _orig(self, addr, size)
            cls.read = read


def _dtbench_state():
    reps = int(globals().get("dtbench_reps", 5))
    res = {c: {"seconds": []} for c in CMDS}
    reads = [0, 0]
    _counting(reads)
    for _ in range(reps):
        for c in CMDS:
            reads[:] = [0, 0]
            t = time.perf_counter()
            out = gdb.execute(c, to_string=True)
            res[c]["seconds"].append(time.perf_counter() - t)
            res[c]["bytes"] = len(out)
            res[c]["reads"], res[c]["read_bytes"] = reads
            res[c]["sha256"] = hashlib.sha256(out.encode()).hexdigest()
    gdb.write("DTBENCH-STATE %s\n" % json.dumps(res))


_dtbench_state()
