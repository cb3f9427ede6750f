"""Section shapes: every analysis of dovetail-trace on adversarial
snapshots, per record, against plain `decode` of the same file in the
same run (host only).

The shapes are those that made libdtrec quadratic before its pending-IRQ
sets and per-task tables became hash maps (issue 11), written by
tools/dtrec-gen --shape:

- random: 4 wrapped rings of random events (the lib section's snapshot,
  smaller);
- irqs: one CPU posting as many distinct IRQs as half its ring holds,
  then playing them back (2^17 pending at once);
- pids: every record a leave_inband of a task never seen before
  (in-band stalled), 2^17 distinct pids over 2 CPUs;
- unsorted: timestamps in no order within each ring;
- maximal: two rings of 2^20 records, the format's largest (random
  events).

Each command runs as a whole process with its output thrown away
(exports to /dev/null); the figure is ns per record and the ratio is
that of its time to decode's on the same file. Target: no command more
than 10x decode per record, on any shape.
"""
import json
import os
import subprocess

from .common import OUT, ROOT, Skip, best_of, time_cmd

SECTIONS = [("shapes", "Analyses per record on adversarial snapshots "
                       "(dovetail-trace, host)")]
TARGET = 10.0

GEN = os.path.join(ROOT, "tools", "dtrec-gen")
CLI = os.path.join(ROOT, "tools", "dovetail-trace")

# name, dtrec-gen options (full run), dtrec-gen options (--quick)
SHAPES = [
    ("random", ["--cpus", 4, "--records", 1 << 16, "--events", 349525],
     ["--cpus", 4, "--records", 1 << 10, "--events", 5000]),
    ("irqs", ["--cpus", 1, "--records", 1 << 18, "--events", 1 << 18,
              "--shape", "irqs"],
     ["--cpus", 1, "--records", 1 << 12, "--events", 1 << 12, "--shape", "irqs"]),
    ("pids", ["--cpus", 2, "--records", 1 << 16, "--events", 1 << 17,
              "--shape", "pids"],
     ["--cpus", 2, "--records", 1 << 11, "--events", 1 << 12, "--shape", "pids"]),
    ("unsorted", ["--cpus", 4, "--records", 1 << 16, "--events", 1 << 18,
                  "--shape", "unsorted"],
     ["--cpus", 4, "--records", 1 << 10, "--events", 1 << 12, "--shape", "unsorted"]),
    ("maximal", ["--cpus", 2, "--records", 1 << 20, "--events", 1 << 21],
     ["--cpus", 2, "--records", 1 << 12, "--events", 1 << 13]),
]

COMMANDS = [
    ("stats", ["stats"]),
    ("audit", ["audit"]),
    ("report", ["report"]),
    ("export tracedat", ["export", "--format", "tracedat", "-o", os.devnull]),
    ("export chrome", ["export", "--format", "chrome", "-o", os.devnull]),
    ("export svg", ["export", "--format", "svg", "-o", os.devnull]),
]


def _cmd(args, snap):
    return [CLI] + args + [snap]


def _time(args, snap, runs):
    """Best time of one command; audit exits 3 and report 4 on findings."""
    def once():
        r = subprocess.run(_cmd(args, snap), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=1800)
        if r.returncode not in (0, 3, 4):
            raise RuntimeError("%s: exit %d: %s" % (" ".join(args), r.returncode,
                                                    r.stderr.decode().strip()))
    return best_of(once, runs)


def run(ctx, sections):
    section = sections["shapes"]
    for p in (GEN, CLI):
        if not os.path.exists(p):
            raise Skip("%s not built (run make)" % os.path.relpath(p, ROOT))
    quick = ctx.get("quick")
    runs = 1 if quick else 3
    work = os.path.join(ctx.get("workdir") or OUT, "shapes")
    os.makedirs(work, exist_ok=True)
    worst = {}
    for name, full, small in SHAPES:
        snap = os.path.join(work, name + ".dtrec")
        with open(snap, "wb") as f:
            subprocess.run([GEN] + [str(a) for a in (small if quick else full)],
                           stdout=f, check=True)
        st = json.loads(subprocess.run(_cmd(["stats", "--json"], snap), check=True,
                                       stdout=subprocess.PIPE, text=True).stdout)
        n = st["total"]
        t_dec = time_cmd(_cmd(["decode"], snap), runs=runs)
        dec_ns = t_dec * 1e9 / n
        section.data.setdefault("shapes", {})[name] = {
            "records": n, "bytes": os.path.getsize(snap),
            "generator": "dtrec-gen " + " ".join(str(a) for a in (small if quick else full)),
            "decode_seconds": t_dec, "seconds": {}}
        section.note("%s: %d records, %.1f MiB (dtrec-gen %s); decode %.3f s"
                     % (name, n, os.path.getsize(snap) / 2**20,
                        " ".join(str(a) for a in (small if quick else full)), t_dec))
        for label, args in COMMANDS:
            t = _time(args, snap, runs)
            ratio = t / t_dec
            section.data["shapes"][name]["seconds"][label] = t
            worst[label] = max(worst.get(label, 0), ratio)
            section.row("%s: %s" % (name, label), t * 1e9 / n, "ns/record",
                        peer="decode, same file",
                        peer_value=dec_ns, ratio=ratio,
                        target="<= 10x decode", met=ratio <= TARGET)
        if not ctx.get("keep"):
            os.unlink(snap)
    section.note("worst ratio per command over the shapes: " + ", ".join(
        "%s %.2fx" % (k, v) for k, v in worst.items()))
