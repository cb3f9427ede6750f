"""Run under drgn by bench_frontends.py, never imported by pytest:

    /usr/bin/python3 -m drgn -q -c VMCORE -s VMLINUX tests/bench/drgn_bench.py \
        REPS SNAPSHOT_OUT

Loads drgn-scripts/dovetail.py as a module and times its commands inside
this one drgn session with time.perf_counter(), so drgn's own start-up
(loading vmlinux's DWARF) is outside every figure; it is measured apart
(script_start, seconds since the process started). Output: one line
"DTBENCH-DRGN {json}" on stdout; the commands' own output is counted,
not printed.
"""
import importlib.util
import json
import os
import sys
import time

T_SCRIPT = time.perf_counter()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class _Sink:
    """Counts what a command prints; keeps the text while it is small."""
    LIMIT = 1 << 20

    def __init__(self):
        self.bytes = 0
        self.parts = []

    def write(self, s):
        self.bytes += len(s)
        if self.bytes <= self.LIMIT:
            self.parts.append(s)
        return len(s)

    @property
    def text(self):
        return "".join(self.parts) if self.bytes <= self.LIMIT else None

    def flush(self):
        pass


def _proc_age():
    """Seconds since this process started (drgn start-up included)."""
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    return up - start_ticks / os.sysconf("SC_CLK_TCK")


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    snap_out = sys.argv[2] if len(sys.argv) > 2 else None
    startup = _proc_age()
    spec = importlib.util.spec_from_file_location(
        "dovetail_drgn_bench", os.path.join(ROOT, "drgn-scripts", "dovetail.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    prog = globals()["prog"]
    res = {"startup_s": startup, "import_s": time.perf_counter() - T_SCRIPT,
           "commands": {}}
    real = sys.stdout
    cmds = ["stats --json", "trace --json --last 1", "trace --json"]
    if snap_out:
        cmds.insert(0, "snapshot %s" % snap_out)
    for cmd in cmds:
        times, out_bytes, text = [], 0, None
        for _ in range(reps if not cmd.startswith("snapshot") else 1):
            sink = _Sink()
            sys.stdout = sink
            try:
                t = time.perf_counter()
                rc = mod.run(prog, cmd.split())
                times.append(time.perf_counter() - t)
            finally:
                sys.stdout = real
            if rc:
                raise SystemExit("dovetail.py %s failed (%d)" % (cmd, rc))
            out_bytes, text = sink.bytes, sink.text
        entry = {"seconds": times, "output_bytes": out_bytes}
        if cmd.startswith("stats"):
            entry["stats"] = json.loads(text)
        res["commands"][cmd.split()[0] if cmd.startswith("snapshot")
                        else cmd] = entry
    print("DTBENCH-DRGN " + json.dumps(res))


main()
