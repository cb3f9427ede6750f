"""Helpers shared by the libdtrec/CLI tests: building, generating
snapshots with tools/dtrec-gen, and an independent Python model of the
decoder's expected output computed from the generator's ground truth."""
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "tools")
CLI = os.path.join(TOOLS, "dovetail-trace")
GEN = os.path.join(TOOLS, "dtrec-gen")
SO = os.path.join(ROOT, "libdtrec", "libdtrec.so")

STATE = ["inband_stalled", "oob_stalled", "stage_oob", "in_pipeline",
         "hard_off", "in_nmi", "in_hardirq", "task_oob"]
# Names in enum dtrec_event order, as docs/json.md lists them.
EVENTS = ["none", "inband_stall", "inband_unstall", "oob_stall", "oob_unstall",
          "switch_oob", "switch_inband", "pipeline_entry", "pipeline_exit",
          "irq_post", "irq_play", "oob_handler_entry", "oob_handler_exit",
          "leave_inband", "finalize_oob", "switched_oob", "leave_oob",
          "resume_inband", "oob_switch", "inband_tail", "nmi_restore",
          "freeze", "mark"]


def make(*dirs):
    """Build the given repo subdirectories (sequentially: shared machine)."""
    for d in dirs:
        r = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, d)],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("make -C %s failed:\n%s%s" % (d, r.stdout, r.stderr))


def build_crash_stub(tmp_path):
    """Compile crashext_stub.c, the crash stand-in, into tmp_path; return its path."""
    stub = tmp_path / "libcrashstub.so"
    r = subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-DX86_64",
                        "-I/usr/include/crash",
                        "-I" + os.path.join(ROOT, "libdtrec"),
                        "-I" + os.path.join(ROOT, "kernel-debug", "files", "include", "uapi"),
                        "-o", str(stub), os.path.join(ROOT, "tests", "unit", "crashext_stub.c")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return str(stub)


def gen(tmp_path, name="snap", *args):
    """Run dtrec-gen; return (path of the output, ground truth dict)."""
    out = tmp_path / name
    exp = tmp_path / (name + ".expect.json")
    with open(out, "wb") as f:
        subprocess.run([GEN, "--expect", str(exp)] + [str(a) for a in args],
                       stdout=f, check=True)
    with open(exp) as f:
        return out, json.load(f)


def cycles_to_ns(truth, ts):
    hz, rc, rn = truth["clock_hz"], truth["ref_cycles"], truth["ref_ns"]
    if ts >= rc:
        return min(rn + (ts - rc) * 10**9 // hz, 2**64 - 1)
    return max(rn - (rc - ts) * 10**9 // hz, 0)


def comm_of(truth, pid):
    """The comm a names block gives pid: dtrec-gen --names calls every
    pid gen-PID; without a block (truth "names" false) there is none."""
    return "gen-%d" % pid if truth.get("names") else None


def expected_events(truth):
    """The merged event list the decoder must produce, with --all."""
    evs = []
    for cpu, pos, seq, ts, ev, pid, arg, arg2, state in truth["records"]:
        status = "ok" if seq == pos + 1 else "torn" if seq == 0 else "stale"
        evs.append({"cpu": cpu, "pos": pos, "ns": cycles_to_ns(truth, ts),
                    "event": EVENTS[ev], "pid": pid, "comm": comm_of(truth, pid),
                    "arg": arg, "arg2": arg2,
                    "state": [n for i, n in enumerate(STATE) if state >> i & 1],
                    "status": status, "_ts": ts})
    evs.sort(key=lambda e: (e["_ts"], e["cpu"], e["pos"]))
    for e in evs:
        del e["_ts"]
    return evs


def expected_cpus(truth):
    out = []
    for c in truth["cpus"]:
        recs = [r for r in truth["records"] if r[0] == c["cpu"]]
        torn = sum(1 for r in recs if r[2] == 0)
        stale = sum(1 for r in recs if r[2] not in (0, r[1] + 1))
        out.append({"cpu": c["cpu"], "head": c["head"],
                    "lost": max(c["head"] - c["nr_records"], 0),
                    "torn": torn, "stale": stale})
    return out


def run_cli(*args, stdin=None):
    return subprocess.run([CLI] + [str(a) for a in args], capture_output=True,
                          text=True, input=stdin)


# What arg and arg2 mean per event (linux/dovetail_recorder.h), under the
# names decode, trace.dat and the Chrome export give them: (arg, arg2, flag).
ARG_NAMES = {
    "irq_post": ("irq", "stage", "coalesced"), "irq_play": ("irq", "stage", None),
    "oob_handler_entry": ("irq", None, None), "oob_handler_exit": ("irq", None, None),
    "leave_inband": ("task", None, None), "finalize_oob": ("task", None, None),
    "switched_oob": ("task", None, None), "leave_oob": ("task", None, None),
    "inband_tail": ("task", None, None), "resume_inband": ("task", "rqlock_owner", None),
    "oob_switch": ("prev", "next", "leave_inband"), "nmi_restore": ("stall_bits", None, None),
    "freeze": ("reason", None, None), "mark": ("arg", "arg2", None),
}
FLAG_BIT = {"irq_post": 8, "oob_switch": 31}


def named_args(event, arg, arg2):
    """decode's text for a record's arguments: ' irq=25 stage=0 coalesced=0'."""
    a, b, c = ARG_NAMES.get(event, (None, None, None))
    flag = 0
    if c:
        flag = (arg2 >> FLAG_BIT[event]) & 1
        arg2 &= ~(1 << FLAG_BIT[event])
    out = ""
    if a or arg:
        out += (" %s=0x%x" if event == "nmi_restore" else " %s=%d") % (a or "arg", arg)
    if b or arg2:
        out += " %s=%d" % (b or "arg2", arg2)
    if c:
        out += " %s=%d" % (c, flag)
    return out


SAMPLE = os.path.join(ROOT, "tests", "data", "sample.dtrec")


def sample_hold(sample=SAMPLE):
    """What the bundled sample's scenario left (scripts/capture-sample.py:
    a CPU's in-band stage held stalled to the freeze), as the report and
    the records tell it, never as constants: (cpu, since_ns, the CPU's
    last record ns)."""
    import json
    rep = json.loads(run_cli("report", "--json", sample).stdout)
    v = rep["verdicts"][0]
    assert v["rule"] == "inband_stall_pending", v
    events = json.loads(run_cli("decode", "--json", sample).stdout)["events"]
    last = max(e["ns"] for e in events if e["cpu"] == v["cpu"] and e["status"] == "ok")
    return v["cpu"], v["since_ns"], last


def pending_walk(events, cpu):
    """Yield (event, pend) along CPU cpu's records in ring order, pend
    being {0: set, 1: set}: the IRQs pending in each log after the event,
    as the interval model counts them. The log is a set per stage (a
    repost coalesces), emptied of what the data cannot show at each hole
    (a gap in positions)."""
    pend, last_pos = {0: set(), 1: set()}, None
    for e in sorted((e for e in events if e["cpu"] == cpu and e["status"] == "ok"),
                    key=lambda e: e["pos"]):
        if last_pos is not None and e["pos"] != last_pos + 1:
            pend = {0: set(), 1: set()}
        last_pos = e["pos"]
        if e["event"] in ("irq_post", "irq_play") and e["arg2"] & 0xff <= 1:
            stage = e["arg2"] & 0xff
            (pend[stage].add if e["event"] == "irq_post" else pend[stage].discard)(e["arg"])
        yield e, pend
