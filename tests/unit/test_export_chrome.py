"""Chrome trace-event export checked against the schema in docs/export.md.

The slices are the interval model's sections: they must agree with what
stats and audit measure (counts, open sections, the longest), on the
bundled sample and on synthetic snapshots. Instants and counters are
recomputed from the CLI's decode --json.
"""
import json
import os
import subprocess

import pytest

from dtrec_testlib import pending_walk, sample_hold

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "tools", "dovetail-trace")
GEN = os.path.join(ROOT, "tools", "dtrec-gen")

# Ids (docs/export.md): CPU c is process BASE + c, its track t thread
# 2 * BASE + 64 * c + t; a task keeps its pid, its oob track is 3 * BASE + pid.
BASE = 1 << 22
TID = {"in-band": 1, "oob": 2, "in-band stalled": 10, "oob stalled": 11,
       "in-band stalled, irqs pending": 12, "hard irqs off": 20}


def cpu_of(pid):
    assert pid >= BASE
    return pid - BASE


def track(x):
    return (x["tid"] - 2 * BASE) % 64
REQUIRED = {
    "M": {"name", "ph", "pid", "tid", "args"},
    "X": {"name", "cat", "ph", "pid", "tid", "ts", "dur", "args"},
    "i": {"name", "cat", "ph", "s", "pid", "tid", "ts", "args"},
    "C": {"name", "ph", "pid", "ts", "args"},
    "s": {"name", "cat", "ph", "id", "pid", "tid", "ts"},
    "f": {"name", "cat", "ph", "id", "pid", "tid", "ts", "bp"},
}


@pytest.fixture(scope="module", autouse=True)
def built():
    r = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "tools")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    path = tmp_path_factory.mktemp("chrome") / "s.snap"
    with open(path, "wb") as f:
        subprocess.run([GEN, "--cpus", "3", "--records", "512", "--events", "1500",
                        "--seed", "5", "--torn", "2", "--stale", "1"], stdout=f, check=True)
    return path


def run(*args):
    r = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def ns(us):
    return round(us * 1000)


# Chrome track name -> (stats kind, audit measurement or None)
KIND = {"in-band": ("stage_inband", None), "oob": ("stage_oob", None),
        "in-band stalled": ("stall_inband", None),
        "oob stalled": ("stall_oob", "oob_stall"),
        "in-band stalled, irqs pending": ("stall_pending", "inband_stall_pending"),
        "hard irqs off": ("hard_off", "hard_off")}


def base(name):
    return name[:-len(" (open)")] if name.endswith(" (open)") else name


def slices_agree(snap, doc):
    """Every X slice is a section of the interval model: as many measured
    and open ones per kind as stats and audit count, the same longest."""
    stats = json.loads(run("stats", "--json", snap))["intervals"]
    audit = json.loads(subprocess.run([CLI, "audit", "--json", str(snap)],
                                      capture_output=True, text=True).stdout)["measurements"]
    by = {}
    for x in (e for e in doc["traceEvents"] if e["ph"] == "X"):
        name = base(x["name"])
        if x["cat"] == "task":
            continue        # the tasks' own tracks: test_task_tracks
        assert TID[name] == track(x) and cpu_of(x["pid"]) == (x["tid"] - 2 * BASE) // 64
        assert (x["name"] != name) == ("open" in x["args"])
        by.setdefault(name, []).append(x)
    for name, (kind, key) in KIND.items():
        xs = by.get(name, [])
        measured = [ns(x["dur"]) for x in xs if "open" not in x["args"]]
        want = stats[kind]
        assert (len(measured), len(xs) - len(measured)) == (want["sections"], want["open"]), name
        assert max(measured, default=0) == want["max_ns"], name
        if key:
            assert (len(measured), len(xs) - len(measured), max(measured, default=0)) == \
                (audit[key]["sections"], audit[key]["open"], audit[key]["max_ns"]), name
    return by


def validate_schema(doc):
    assert isinstance(doc["traceEvents"], list)
    assert doc["displayTimeUnit"] == "ns"
    tracks = {}
    for ev in doc["traceEvents"]:
        ph = ev["ph"]
        assert ph in REQUIRED, ev
        assert REQUIRED[ph] <= set(ev), ev
        if ph == "M":
            assert ev["name"] in ("process_name", "thread_name", "process_sort_index")
            continue
        assert isinstance(ev["ts"], (int, float)) and ev["ts"] >= 0
        if ph == "X":
            assert isinstance(ev["dur"], (int, float)) and ev["dur"] >= 0
        if ph == "i":
            assert ev["s"] in ("g", "p", "t")
        if ph == "C":
            assert all(isinstance(v, int) and v >= 0 for v in ev["args"].values())
        if ph in "sf":
            continue        # flows bind to the instants; checked in test_flows_and_task_tracks
        key = (ev["pid"], ev.get("tid"), ev["name"] if ph == "C" else None)
        tracks.setdefault(key, []).append(ev)
    for key, evs in tracks.items():
        ts = [ns(e["ts"]) for e in evs]
        assert ts == sorted(ts), "ts not monotonic on track %r" % (key,)
        # X slices on one track nest: each starts after its parent ends or ends inside it.
        stack = []
        for e in (e for e in evs if e["ph"] == "X"):
            b, end = ns(e["ts"]), ns(e["ts"]) + ns(e["dur"])
            while stack and stack[-1] <= b:
                stack.pop()
            assert not stack or end <= stack[-1], "overlapping slices on %r" % (key,)
            stack.append(end)
    return tracks


def test_schema_and_content(snap):
    doc = json.loads(run("export", "--format", "chrome", snap))
    validate_schema(doc)
    events = json.loads(run("decode", "--json", snap))["events"]
    trace = doc["traceEvents"]
    cpus = sorted({e["cpu"] for e in events})

    names = {(m["pid"], m["tid"]): m["args"]["name"] for m in trace
             if m["ph"] == "M" and m["name"] == "thread_name"}
    procs = {m["pid"]: m["args"]["name"] for m in trace
             if m["ph"] == "M" and m["name"] == "process_name"}
    assert {p: n for p, n in procs.items() if p >= BASE} == {BASE + c: "CPU %d" % c for c in cpus}
    assert all(e["pid"] and e.get("tid", 1) for e in trace), "pid or tid 0"
    for c in cpus:
        assert names[(BASE + c, 2 * BASE + 64 * c + 1)] == "in-band stage"
        assert names[(BASE + c, 2 * BASE + 64 * c + 2)] == "oob stage"

    by = slices_agree(snap, doc)
    # Stage residency: the two stages never overlap on a CPU, and every
    # slice starts at one of that CPU's records.
    for c in cpus:
        starts = {e["ns"] for e in events if e["cpu"] == c}
        res = sorted((ns(x["ts"]), ns(x["dur"])) for n in ("in-band", "oob")
                     for x in by.get(n, []) if x["pid"] == BASE + c)
        assert res and all(a + d <= b for (a, d), (b, _) in zip(res, res[1:]))
        assert all(a in starts for a, _ in res)

    irq_events = [e for e in events if e["event"] in
                  ("irq_post", "irq_play", "oob_handler_entry", "oob_handler_exit")]
    instants = [e for e in trace if e["ph"] == "i" and e["cat"] == "irq"]
    assert sorted((cpu_of(i["pid"]), ns(i["ts"]), i["name"], i["args"]["irq"]) for i in instants) == \
        sorted((e["cpu"], e["ns"], e["event"], e["arg"]) for e in irq_events)
    # Named args: oob_switch's next without the leave_inband bit, and the bit.
    for i in (i for i in trace if i["ph"] == "i" and i["name"] == "oob_switch"):
        e = [e for e in events if e["ns"] == ns(i["ts"]) and e["event"] == "oob_switch"][0]
        assert (i["args"]["prev"], i["args"]["next"], i["args"]["leave_inband"]) == \
            (e["arg"], e["arg2"] & 0x7fffffff, e["arg2"] >> 31)

    # Pending counters: the final count of each log (dtrec_testlib).
    for c in cpus:
        pend = {0: set(), 1: set()}
        for _, pend in pending_walk(events, c):
            pass
        counters = [e for e in trace if e["ph"] == "C" and e["pid"] == BASE + c]
        assert counters[-1]["args"] == {"inband": len(pend[0]), "oob": len(pend[1])}


def test_sample_agrees_with_audit():
    """The bundled sample: the hard-off slices are the audit's sections
    (the longest the audit's), and the stall held to the freeze is one
    open slice from its start to the CPU's last record."""
    sample = os.path.join(ROOT, "tests", "data", "sample.dtrec")
    doc = json.loads(run("export", "--format", "chrome", sample))
    validate_schema(doc)
    by = slices_agree(sample, doc)
    audit = json.loads(subprocess.run([CLI, "audit", "--json", sample], capture_output=True,
                                      text=True).stdout)["measurements"]["hard_off"]
    assert max(ns(x["dur"]) for x in by["hard irqs off"]) == audit["max_ns"] > 0
    cpu, since, last = sample_hold(sample)
    opened = [x for x in by["in-band stalled"] if x["pid"] == BASE + cpu and x["args"].get("open") == "end"]
    assert len(opened) == 1 and (ns(opened[0]["ts"]), ns(opened[0]["dur"])) == \
        (since, last - since)


def test_filter_cpu_and_window(snap):
    events = json.loads(run("decode", "--json", snap))["events"]
    mid = events[len(events) // 3]["ns"]
    end = events[2 * len(events) // 3]["ns"]
    args = ["--cpu", "1", "--from", str(mid), "--to", str(end)]
    doc = json.loads(run("export", "--format", "chrome", *args, snap))
    validate_schema(doc)
    sel = json.loads(run("decode", "--json", *args, snap))["events"]
    assert sel and {e["cpu"] for e in sel} == {1}
    trace = [e for e in doc["traceEvents"] if e["ph"] != "M"]
    assert trace and {e["pid"] for e in trace if e.get("cat") != "task"} == {BASE + 1}
    for e in trace:
        assert mid <= ns(e["ts"]) <= end
        if e["ph"] == "X":
            assert ns(e["ts"]) + ns(e["dur"]) <= end
    # Each slice is the whole document's, clipped to the window.
    full = {(x["pid"], x["tid"], ns(x["ts"])): x for x in
            json.loads(run("export", "--format", "chrome", snap))["traceEvents"] if x["ph"] == "X"}
    xs = [e for e in trace if e["ph"] == "X" and e["cat"] != "task"]
    assert xs
    for x in xs:
        if not x["args"].get("clipped"):
            assert full[(x["pid"], x["tid"], ns(x["ts"]))] == x
        else:
            assert ns(x["ts"]) == mid or ns(x["ts"]) + ns(x["dur"]) == end


def test_bad_input(tmp_path):
    bad = tmp_path / "bad.snap"
    bad.write_bytes(b"\0" * 100)
    r = subprocess.run([CLI, "export", "--format", "chrome", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1


def test_flows_and_task_tracks():
    """Each measured IRQ wait is a flow from its post to its play; each
    task is a process whose in-band and oob tracks show when it was
    current (on which CPU), starting at one of its records there."""
    sample = os.path.join(ROOT, "tests", "data", "sample.dtrec")
    doc = json.loads(run("export", "--format", "chrome", sample))
    validate_schema(doc)
    trace = doc["traceEvents"]
    starts = {e["id"]: e for e in trace if e["ph"] == "s"}
    ends = {e["id"]: e for e in trace if e["ph"] == "f"}
    assert starts.keys() == ends.keys()
    assert len(starts) == json.loads(run("stats", "--json", sample))["intervals"]["irq_wait"]["sections"]
    posts = {(e["pid"], e["tid"], e["ts"]) for e in trace if e["ph"] == "i" and e["name"] == "irq_post"}
    plays = {(e["pid"], e["tid"], e["ts"]) for e in trace if e["ph"] == "i" and e["name"] == "irq_play"}
    for i, s in starts.items():
        f = ends[i]
        assert (s["pid"], s["tid"], s["ts"]) in posts and (f["pid"], f["tid"], f["ts"]) in plays
        assert s["ts"] <= f["ts"] and s["name"] == f["name"]
    events = json.loads(run("decode", "--json", sample))["events"]
    at = {(e["cpu"], e["ns"], e["pid"]) for e in events}
    tasks = [x for x in trace if x["ph"] == "X" and x["cat"] == "task"]
    assert tasks and all(x["pid"] < BASE for x in tasks)
    for x in tasks:
        assert x["tid"] == (x["pid"] if x["name"].startswith("in-band") else 3 * BASE + x["pid"])
        assert (x["args"]["cpu"], ns(x["ts"]), x["pid"]) in at or x["args"].get("clipped")
    # The scenario's oob round trips: each task that switched oob has
    # an oob track.
    went_oob = {e["arg"] for e in events if e["event"] == "switched_oob" and e["status"] == "ok"}
    assert went_oob and went_oob <= {x["pid"] for x in tasks if x["name"] == "oob"}
