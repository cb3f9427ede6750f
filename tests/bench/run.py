#!/usr/bin/env python3
"""make bench: every speed figure as a ratio against a named peer measured
in the same run, with its target (OK or MISS). Missed targets never fail
the run; a section that cannot run here (no fixture kernel, a module not
written yet) says why and is skipped. Exit status 1 only when a section
broke (an exception), 0 otherwise.

Sections (see docs/bench.md):
  native   recorder hot path on the host (tests/bench/bench_native.py)
  lib      libdtrec decode+merge on a >=1M-record snapshot
  shapes   every analysis per record on adversarial snapshots, against decode
  vm       recorder vs ftrace in the fixture kernel (QEMU TCG, cycles)
  vmcore   drgn and crash on a big recorder vmcore
  gdb      gdb dt-trace over the QEMU gdbstub
  state    gdb dt-stages/irqs/tasks over the gdbstub, against the Python decoders

Results also go to out/bench/results.json (--json).
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.bench import (bench_frontends, bench_lib, bench_shapes,  # noqa: E402
                         bench_state, bench_vm, native)
from tests.bench.common import OUT, Section, Skip, render  # noqa: E402

MODULES = [native, bench_lib, bench_shapes, bench_vm, bench_frontends, bench_state]


def all_sections():
    return [(key, title, mod) for mod in MODULES for key, title in mod.SECTIONS]


def host_info():
    info = {"machine": platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(
            ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True).stdout.strip()
    except OSError:
        pass
    return info


def _icount(v):
    """--icount: a shift of 0..10, or off."""
    if v == "off":
        return None
    if not v.isdigit() or int(v) > 10:
        raise argparse.ArgumentTypeError("want a shift 0..10 or off, not %r" % v)
    return int(v)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    keys = [k for k, _, _ in all_sections()]
    ap.add_argument("--list", action="store_true",
                    help="list the sections and exit")
    ap.add_argument("--only", action="append", choices=keys, metavar="SECTION",
                    help="run only this section (repeatable): " + ", ".join(keys))
    ap.add_argument("--kernel", help="cached kernel to boot (default: the "
                    "first one with the fixture)")
    ap.add_argument("--json", default=os.path.join(OUT, "results.json"),
                    help="where to write the results (default %(default)s)")
    ap.add_argument("--quick", action="store_true",
                    help="small inputs, for testing the runner: the figures "
                    "are not benchmarks")
    ap.add_argument("--smp", type=int, default=2,
                    help="vCPUs of the vmcore/gdb guest (default 2)")
    ap.add_argument("--records", type=int, default=524288,
                    help="dovetail_recorder= records per CPU for the "
                    "vmcore/gdb guest (default 524288)")
    ap.add_argument("--icount", default=0, type=_icount, metavar="SHIFT|off",
                    help="QEMU -icount shift of the vm section's guest "
                    "(default 0; off: plain TCG, clocks follow the host)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the vmcore and snapshot under out/bench")
    a = ap.parse_args(argv)

    if a.list:
        for key, title, mod in all_sections():
            print("%-7s %s  [%s]" % (key, title, os.path.basename(
                mod.__file__)))
        return 0

    selected = set(a.only or keys)
    ctx = {"selected": selected, "kernel": a.kernel, "quick": a.quick,
           "smp": a.smp, "records_per_cpu": a.records, "keep": a.keep,
           "workdir": os.path.dirname(os.path.abspath(a.json)),
           "icount": a.icount}
    if a.quick:
        ctx.update(bench_n=10000, bench_reps=1, reps=1)
    sections = []
    broke = False
    started = time.time()
    for mod in MODULES:
        secs = {key: Section(key, title) for key, title in mod.SECTIONS
                if key in selected}
        if not secs:
            continue
        t = time.perf_counter()
        try:
            mod.run(ctx, secs)
        except Skip as e:
            for s in secs.values():
                if s.status == "ok" and not s.rows:
                    s.skip(str(e))
        except Exception as e:  # noqa: BLE001 - report and go on
            broke = True
            tb = traceback.format_exc(limit=-3)
            for s in secs.values():
                if s.status == "ok" and not s.rows:
                    s.fail("%s: %s" % (type(e).__name__, e))
                    s.data["traceback"] = tb
            sys.stderr.write(tb)
        dt = time.perf_counter() - t
        for s in secs.values():
            s.seconds = dt
            sections.append(s)
        render(list(secs.values()), print)
        sys.stdout.flush()

    res = {"generated": datetime.datetime.now(datetime.timezone.utc)
           .isoformat(timespec="seconds"),
           "wall_seconds": round(time.time() - started, 1),
           "host": host_info(),
           "quick": a.quick,
           "note": "ratios are within this run; in-guest figures are TCG "
                   "cycles, never absolute times",
           "sections": {s.key: s.as_dict() for s in sections}}
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    summary = []
    for s in sections:
        miss = sum(1 for r in s.rows if r.met is False)
        ok = sum(1 for r in s.rows if r.met is True)
        summary.append("%s: %s" % (s.key, s.status if s.status != "ok" else
                                   "%d OK, %d MISS" % (ok, miss)))
    print("")
    print("targets  " + "; ".join(summary))
    path = os.path.abspath(a.json)
    print("results  %s" % (os.path.relpath(path, ROOT)
                           if path.startswith(ROOT + os.sep) else path))
    return 1 if broke else 0


if __name__ == "__main__":
    sys.exit(main())
