"""Section 2: libdtrec decode+merge on a >=1M-record snapshot (host only).

The snapshot comes from tools/dtrec-gen (4 wrapped CPU rings with random
timestamps, so the merge has real work to do). Figures, all best of N in
this process on this machine:

- dtrec_parse() (decode + consistency check + merge) through ctypes on
  that snapshot, against a memcpy of the same bytes: the library's rate
  and how far it is from a plain copy of its input;
- tools/dtrec-bench (its own built-in 1M-record snapshot), as a
  cross-check of the ctypes figure, against the same memcpy;
- `dovetail-trace stats` as a whole process against `cat` of the file;
- `dovetail-trace decode > /dev/null` against `trace-cmd report >
  /dev/null` on the trace.dat export of the same snapshot (both format
  every record as a text line).
"""
import ctypes
import os
import re
import shutil
import subprocess
import sys
import time

from .common import OUT, ROOT, Skip, best_of, time_cmd

SECTIONS = [("lib", "C library decode+merge (libdtrec, host)")]
TARGET_RPS = 20e6
REC_SIZE = 32

GEN = os.path.join(ROOT, "tools", "dtrec-gen")
BENCH = os.path.join(ROOT, "tools", "dtrec-bench")
CLI = os.path.join(ROOT, "tools", "dovetail-trace")
SO = os.path.join(ROOT, "libdtrec", "libdtrec.so")


def _libdtrec():
    common = os.path.join(ROOT, "common")
    if common not in sys.path:
        sys.path.insert(0, common)
    from dtcore import libdtrec
    return libdtrec.load(SO)


def parse_time(lib, data, runs):
    """Best seconds of dtrec_parse() on data, which stays in memory; the
    free is outside the timed window (as in dtrec-bench)."""
    err = ctypes.create_string_buffer(256)
    best = None
    for _ in range(runs):
        ptr = ctypes.c_void_p()
        t = time.perf_counter()
        rc = lib.dtrec_parse(data, len(data), ctypes.byref(ptr), err, 256)
        dt = time.perf_counter() - t
        if rc:
            raise RuntimeError("dtrec_parse: %s" % err.value.decode())
        lib.dtrec_free(ptr)
        best = dt if best is None or dt < best else best
    return best


def memcpy_time(data, runs):
    dst = ctypes.create_string_buffer(len(data))   # zero-filled: pages touched
    src = ctypes.c_char_p(data)
    return best_of(lambda: ctypes.memmove(dst, src, len(data)), runs)


def stats_total(path):
    import json
    out = subprocess.run([CLI, "stats", "--json", path], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)["total"]


def count_lines(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       check=True)
    return p.stdout.count(b"\n")


def make_snapshot(path, cpus, records, events):
    with open(path, "wb") as f:
        subprocess.run([GEN, "--cpus", str(cpus), "--records", str(records),
                        "--events", str(events), "--seed", "7"],
                       stdout=f, check=True)


def run(ctx, sections):
    section = sections["lib"]
    for p in (GEN, BENCH, CLI, SO):
        if not os.path.exists(p):
            raise Skip("%s not built (run make)" % os.path.relpath(p, ROOT))
    quick = ctx.get("quick")
    cpus = 4
    per_cpu = 1 << (14 if quick else 18)          # 4 x 256K = 1,048,576
    events = cpus * per_cpu * 4 // 3               # every ring wrapped
    runs = 3 if quick else 7
    work = os.path.join(ctx.get("workdir") or OUT, "lib")
    os.makedirs(work, exist_ok=True)
    snap = os.path.join(work, "snap.bin")
    make_snapshot(snap, cpus, per_cpu, events)
    with open(snap, "rb") as f:
        data = f.read()
    total = stats_total(snap)
    mib = len(data) / 2**20
    section.data.update(snapshot_bytes=len(data), records=total,
                        cpus=cpus, records_per_cpu=per_cpu,
                        generator="dtrec-gen --cpus %d --records %d "
                                  "--events %d --seed 7"
                                  % (cpus, per_cpu, events))
    section.note("snapshot: tools/dtrec-gen, %d CPUs x %d records, every "
                 "ring wrapped, random timestamps: %d records, %.1f MiB"
                 % (cpus, per_cpu, total, mib))

    # -- the library itself, against a memcpy of its input -------------------
    lib = _libdtrec()
    t_parse = parse_time(lib, data, runs)
    t_copy = memcpy_time(data, runs)
    rps = total / t_parse
    copy_rps = total / t_copy
    section.data.update(parse_seconds=t_parse, memcpy_seconds=t_copy,
                        records_per_s=rps)
    ctx["lib_rps"] = rps
    section.row("dtrec_parse (decode+check+merge), ctypes", rps, "records/s",
                peer="memcpy of the same %.0f MiB" % mib, peer_value=copy_rps,
                ratio=rps / copy_rps, target=">= 20M records/s",
                met=rps >= TARGET_RPS,
                note="ratio: fraction of memcpy speed (memcpy shown as "
                "records-equivalent: bytes / 32)")

    # -- dtrec-bench, its own 1M-record in-memory snapshot -------------------
    if not quick:
        out = subprocess.run([BENCH, str(runs)], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        m = re.search(r"parse\+merge: (\d+) records/s \((\d+) records", out)
        if m:
            brps = float(m.group(1))
            section.data.update(dtrec_bench_rps=brps,
                                dtrec_bench_records=int(m.group(2)))
            section.row("tools/dtrec-bench (built-in %s records)"
                        % m.group(2), brps, "records/s",
                        peer="memcpy of the same %.0f MiB" % mib,
                        peer_value=copy_rps, ratio=brps / copy_rps,
                        target=">= 20M records/s", met=brps >= TARGET_RPS)

    # -- whole processes ------------------------------------------------------
    t_stats = time_cmd([CLI, "stats", snap], runs=3)
    t_cat = time_cmd(["cat", snap], runs=3)
    section.data.update(cli_stats_seconds=t_stats, cat_seconds=t_cat)
    section.row("dovetail-trace stats FILE (process)", total / t_stats,
                "records/s", peer="cat FILE >/dev/null",
                peer_value=total / t_cat, ratio=t_cat / t_stats,
                note="ratio: fraction of cat speed")

    tracecmd = shutil.which("trace-cmd")
    dat = os.path.join(work, "trace.dat")
    subprocess.run([CLI, "export", "--format", "tracedat", "-o", dat, snap],
                   check=True, stdout=subprocess.DEVNULL)
    n_dt = count_lines([CLI, "decode", snap])          # warm-up and check
    t_dec = time_cmd([CLI, "decode", snap], runs=3)
    section.data.update(cli_decode_seconds=t_dec, cli_decode_lines=n_dt)
    if not tracecmd:
        section.row("dovetail-trace decode >/dev/null", total / t_dec,
                    "records/s", peer="trace-cmd (not installed)")
        return
    n_tc = count_lines([tracecmd, "report", dat])
    t_tc = time_cmd([tracecmd, "report", dat], runs=3)
    section.data.update(tracecmd_report_seconds=t_tc, tracecmd_lines=n_tc)
    section.row("dovetail-trace decode >/dev/null", total / t_dec,
                "records/s", peer="trace-cmd report trace.dat >/dev/null",
                peer_value=total / t_tc, ratio=t_tc / t_dec,
                note="ratio: times faster")
    section.note("trace-cmd report printed %d lines, dovetail-trace decode "
                 "%d, for %d records (same events, trace.dat from "
                 "dovetail-trace export)" % (n_tc, n_dt, total))
    os.unlink(dat)
