"""Section "state": the state commands over QEMU's gdbstub, today against
the last commit that decoded them in Python.

Since the state decoders moved into libdtrec (commit b8fcfda), gdb runs
`dt-stages`, `dt-irqs` and `dt-tasks` as C code that reads the target
through ctypes callbacks into gdb's Python API (common/dtcore/ctarget.py).
This section measures what that costs on a live guest: the fixture
kernel is booted and put into its known state (tests/vm/fixture_guest.py:
an oob stage, a parked and a stuck kthread, a CPU held stalled with IRQs
pending), then two gdb sessions attach to the same stopped guest, one
with the baseline tree's gdb-scripts/dovetail.py (git archive of
BASELINE), one with today's, each timing every command in turn with
time.perf_counter() (tests/bench/gdb_state_bench.py). Rounds of
baseline then today, alternating; the median time per command (the host
is shared: the best of a few runs is mostly noise). Target: today's
median within 20% of the baseline's. The round trips through the gdbstub
that each makes (target reads, and bytes read) are counted too, and the
--json outputs of the two trees compared byte for byte (SHA-256).
"""
import os
import statistics
import shutil
import subprocess

from .common import OUT, ROOT, Skip, fixture_kernel, gdb_result

SECTIONS = [("state", "State commands over the QEMU gdbstub: libdtrec "
             "through callbacks vs the Python decoders (host wall time)")]

# The last commit whose stages/irqs/tasks were decoded by Python.
BASELINE = "dd3413c"
TARGET = 1.20
HERE = os.path.dirname(os.path.abspath(__file__))
GDB_SCRIPT = os.path.join(ROOT, "gdb-scripts", "dovetail.py")


def _baseline_tree(work):
    """common/ and gdb-scripts/ of BASELINE, unpacked under work."""
    dest = os.path.join(work, "baseline")
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    try:
        arch = subprocess.run(["git", "-C", ROOT, "archive", BASELINE, "common",
                               "gdb-scripts"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise Skip("cannot export the baseline %s from git: %s"
                   % (BASELINE, getattr(e, "stderr", b"").decode()[-200:] or e))
    subprocess.run(["tar", "-x", "-C", dest], input=arch, check=True)
    return os.path.join(dest, "gdb-scripts", "dovetail.py")


def _session(vm, script, reps):
    return gdb_result(vm, ["source " + script, "python dtbench_reps = %d" % reps,
                           "source " + os.path.join(HERE, "gdb_state_bench.py")],
                      "DTBENCH-STATE")


def _merge(runs):
    out = {}
    for r in runs:
        for cmd, v in r.items():
            d = out.setdefault(cmd, {"seconds": [], "sha256": set(), "bytes": v["bytes"],
                                     "reads": v.get("reads"),
                                     "read_bytes": v.get("read_bytes")})
            d["seconds"] += v["seconds"]
            d["sha256"].add(v["sha256"])
    return out


def run(ctx, sections):
    s = sections["state"]
    k, why = fixture_kernel(ctx.get("kernel"), ctx.get("workdir"))
    if k is None:
        raise Skip(why)
    import sys
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from tests.vm import fixture_guest as fg
    why = fg.skip_reason(k)
    if why:
        raise Skip(why)
    reps = ctx.get("reps", 8)
    work = os.path.join(ctx.get("workdir") or OUT, "state")
    os.makedirs(work, exist_ok=True)
    old = _baseline_tree(work)
    vm = fg.boot(k, work)
    try:
        fg.known_state(vm)
        runs = {"baseline": [], "today": []}
        for _ in range(1 if ctx.get("quick") else 3):
            runs["baseline"].append(_session(vm, old, reps))
            runs["today"].append(_session(vm, GDB_SCRIPT, reps))
    finally:
        vm.stop()
    base, today = _merge(runs["baseline"]), _merge(runs["today"])
    s.data.update(kernel=k.name, baseline=BASELINE,
                  baseline_s={c: v["seconds"] for c, v in base.items()},
                  today_s={c: v["seconds"] for c, v in today.items()})
    for cmd in today:
        # The first run of each session pays the cold type lookups.
        t = statistics.median(today[cmd]["seconds"])
        b = statistics.median(base[cmd]["seconds"])
        same = today[cmd]["sha256"] == base[cmd]["sha256"] and \
            len(today[cmd]["sha256"]) == 1
        s.row(cmd, t, "s", peer="Python decoders (%s)" % BASELINE, peer_value=b,
              ratio=t / b, ratio_text="%.2fx" % (t / b),
              target="<= %.2fx baseline" % TARGET, met=t / b <= TARGET,
              note="output %s the baseline's; best %.4f s vs %.4f s; "
              "%s reads (%s bytes) vs %s (%s)"
              % ("identical to" if same else "DIFFERS from",
                 min(today[cmd]["seconds"]), min(base[cmd]["seconds"]),
                 today[cmd]["reads"], today[cmd]["read_bytes"],
                 base[cmd]["reads"], base[cmd]["read_bytes"]))
    s.note("kernel %s, 2 vCPUs, the fixture's known state; %d rounds of "
           "(baseline session, today's session) on the same stopped guest, "
           "%d runs of each command per session, median time; gdb start-up "
           "and symbol loading excluded" % (k.name, len(runs["today"]), reps))
