"""Native cost of one recorder event: the kernel's ring writer
(kernel/irq/dovetail_recorder_ring.h, compiled unchanged through
tests/unit/kcompat.h) run on the host by tests/bench/ring_bench.c.

run() builds ring_bench, times every variant natively (best of many
interleaved runs) and, when valgrind is installed, counts instructions
with callgrind (--toggle-collect on each variant's loop function, total
divided by the number of records). It returns a dict; main() prints it
as a table. Nothing here asserts: a missed target is reported, not
raised.

Figures per record, "raw" meaning everything the loop executes per
record (including its counter, compare and branch):
  instructions_per_record, ns_per_record   the writer, raw
  instructions_net, ns_net                 minus the loop that derives the
                                           same arguments (variant empty)
  disabled_*                               recorder off, net of the bare
                                           loop: flag branch, and the
                                           static-key NOP shape (*_nop_*)
  peer_*, ratio                            the named peer, memcpy of a
                                           prebuilt 32-byte record into the
                                           next ring slot; ratio = writer /
                                           peer, raw ns (ratio_instructions
                                           for callgrind counts)
"""
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.join(HERE, "bin", "ring_bench")

TARGET_INSTRUCTIONS = 25
TARGET_NS = 5.0
PEER = "memcpy-32B-ring"
VARIANTS = ["ring_write", "ring_write_rdtsc", "disabled_flag", "disabled_nop",
            "empty", "loop", "peer_memcpy"]
CALLGRIND_RECORDS = 100000


def build():
    """make -C tests/bench bin/ring_bench; RuntimeError with the log."""
    r = subprocess.run(["make", "-s", "-C", HERE, "bin/ring_bench"],
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("building ring_bench failed:\n" + r.stdout + r.stderr)
    return BIN


def parse_output(text):
    """ring_bench's key=value lines as a dict ('#' lines skipped); values
    that read as numbers become int or float. ValueError on a line that
    is neither."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, val = line.partition("=")
        if not sep or not key or re.search(r"\s", key):
            raise ValueError("malformed ring_bench line: %r" % line)
        if re.fullmatch(r"-?\d+", val):
            out[key] = int(val)
        elif re.fullmatch(r"-?\d+\.\d*(e-?\d+)?", val):
            out[key] = float(val)
        else:
            out[key] = val
    return out


def run_native(records=None, runs=None, nr=None, timeout=600):
    cmd = [BIN]
    for opt, val in (("--records", records), ("--runs", runs), ("--nr", nr)):
        if val is not None:
            cmd += [opt, str(val)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode:
        raise RuntimeError("ring_bench failed (%d): %s" % (r.returncode, r.stderr.strip()))
    return parse_output(r.stdout)


def callgrind_count(variant, records=CALLGRIND_RECORDS, timeout=300):
    """Instructions per record of one variant, or None without valgrind."""
    if not shutil.which("valgrind"):
        return None
    with tempfile.TemporaryDirectory(prefix="ring_bench_cg.") as tmp:
        out = os.path.join(tmp, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
               "--toggle-collect=bench_" + variant,
               "--callgrind-out-file=" + out,
               BIN, "--only", variant, "--count", str(records)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode or not os.path.exists(out):
            raise RuntimeError("callgrind on %s failed: %s" % (variant, r.stderr[-2000:]))
        with open(out) as f:
            text = f.read()
    m = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    if not m:
        raise RuntimeError("no instruction total in callgrind output for " + variant)
    return int(m.group(1)) / records


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _r(v, digits):
    return None if v is None else round(v, digits)


def _net(a, b, digits):
    if a is None or b is None:
        return None
    return round(max(a - b, 0.0), digits)


def _ratio(a, b):
    if a is None or not b:
        return None
    return round(a / b, 3)


def run(records=None, runs=None, nr=None, callgrind=True):
    """Build and run ring_bench; the figures as a dict (see module doc)."""
    try:
        build()
    except (RuntimeError, OSError) as e:
        return {"error": str(e), "peer": PEER}
    nat = run_native(records, runs, nr)
    ns = {v: _r(nat.get("ns." + v), 3) for v in VARIANTS}

    instr = {v: None for v in VARIANTS}
    instr_note = None
    if not callgrind:
        instr_note = "callgrind not run"
    elif not shutil.which("valgrind"):
        instr_note = "valgrind not installed: no instruction counts"
    else:
        for v in VARIANTS:
            instr[v] = _r(callgrind_count(v), 2)

    res = {
        "instructions_per_record": instr["ring_write"],
        "ns_per_record": ns["ring_write"],
        "instructions_net": _net(instr["ring_write"], instr["empty"], 2),
        "ns_net": _net(ns["ring_write"], ns["empty"], 3),
        "disabled_ns": _net(ns["disabled_flag"], ns["loop"], 3),
        "disabled_instructions": _net(instr["disabled_flag"], instr["loop"], 2),
        "disabled_nop_ns": _net(ns["disabled_nop"], ns["loop"], 3),
        "disabled_nop_instructions": _net(instr["disabled_nop"], instr["loop"], 2),
        "rdtsc_ns_per_record": ns["ring_write_rdtsc"],
        "rdtsc_instructions_per_record": instr["ring_write_rdtsc"],
        "loop_ns": ns["loop"],
        "loop_instructions": instr["loop"],
        "peer": PEER,
        "peer_ns_per_record": ns["peer_memcpy"],
        "peer_instructions_per_record": instr["peer_memcpy"],
        "ratio": _ratio(ns["ring_write"], ns["peer_memcpy"]),
        "ratio_instructions": _ratio(instr["ring_write"], instr["peer_memcpy"]),
        "targets": {"instructions_per_record": TARGET_INSTRUCTIONS,
                    "ns_per_record": TARGET_NS},
        "arch": nat.get("arch"),
        "cpu": _cpu_model(),
        "nr_records": nat.get("nr_records"),
        "records": nat.get("records"),
        "runs": nat.get("runs"),
        "static_key_nop": bool(nat.get("key_nop")),
        "source": "kernel/irq/dovetail_recorder_ring.h via tests/unit/kcompat.h",
    }
    met = {}
    if res["instructions_per_record"] is not None:
        met["instructions_per_record"] = res["instructions_per_record"] <= TARGET_INSTRUCTIONS
    if res["ns_per_record"] is not None:
        met["ns_per_record"] = res["ns_per_record"] <= TARGET_NS
    res["meets_targets"] = met
    if instr_note:
        res["note"] = instr_note
    return res


def _fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int)
    ap.add_argument("--runs", type=int)
    ap.add_argument("--nr", type=int, help="ring slots (default 8192, the Kconfig default)")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    res = run(a.records, a.runs, a.nr, callgrind=not a.no_callgrind)
    if a.json:
        import json
        print(json.dumps(res, indent=1, sort_keys=True))
        return 1 if "error" in res else 0
    if "error" in res:
        print("bench_native: " + res["error"])
        return 1

    def verdict(key):
        m = res["meets_targets"].get(key)
        return "" if m is None else ("OK" if m else "MISS")

    print("recorder ring writer (%s)" % res["source"])
    print("%s, %s-record ring, best of %s interleaved runs of %s records"
          % (res["cpu"], res["nr_records"], res["runs"], res["records"]))
    rows = [
        ("dtrec_ring_write, raw", res["instructions_per_record"], res["ns_per_record"]),
        ("  net of loop+args", res["instructions_net"], res["ns_net"]),
        ("  with rdtsc timestamp", res["rdtsc_instructions_per_record"],
         res["rdtsc_ns_per_record"]),
        ("disabled: flag branch, net", res["disabled_instructions"], res["disabled_ns"]),
        ("disabled: static-key NOP, net", res["disabled_nop_instructions"],
         res["disabled_nop_ns"]),
        ("peer %s, raw" % res["peer"], res["peer_instructions_per_record"],
         res["peer_ns_per_record"]),
    ]
    print("%-34s %12s %10s" % ("", "instr/record", "ns/record"))
    for name, i, n in rows:
        print("%-34s %12s %10s" % (name, _fmt(i, ".1f"), _fmt(n, ".3f")))
    print("%-34s %12s %10s" % ("ratio writer / peer", _fmt(res["ratio_instructions"], ".2f"),
                               _fmt(res["ratio"], ".2f")))
    print("targets: <= %d instructions %s, <= %.0f ns %s"
          % (TARGET_INSTRUCTIONS, verdict("instructions_per_record"), TARGET_NS,
             verdict("ns_per_record")))
    if res.get("note"):
        print("note: " + res["note"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
