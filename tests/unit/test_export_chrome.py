"""Chrome trace-event export checked against the schema in docs/export.md.

The expected slices, instants and counters are recomputed here from the
CLI's decode --json (the state word of every record), independently of
the exporter.
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "tools", "dovetail-trace")
GEN = os.path.join(ROOT, "tools", "dtrec-gen")

TID = {"in-band": 0, "oob": 1, "in-band stalled": 10, "oob stalled": 11,
       "hard irqs off": 20}
REQUIRED = {
    "M": {"name", "ph", "pid", "tid", "args"},
    "X": {"name", "cat", "ph", "pid", "tid", "ts", "dur", "args"},
    "i": {"name", "cat", "ph", "s", "pid", "tid", "ts", "args"},
    "C": {"name", "ph", "pid", "ts", "args"},
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


def expected_slices(events):
    """(name, cpu) -> [(start_ns, dur_ns)] from the records' state bits."""
    conds = {
        "in-band": lambda st: "stage_oob" not in st,
        "oob": lambda st: "stage_oob" in st,
        "in-band stalled": lambda st: "inband_stalled" in st,
        "oob stalled": lambda st: "oob_stalled" in st,
        "hard irqs off": lambda st: "hard_off" in st,
    }
    out = {}
    for cpu in sorted({e["cpu"] for e in events}):
        evs = [e for e in events if e["cpu"] == cpu]
        for name, cond in conds.items():
            start, res = None, []
            for e in evs:
                if name == "hard irqs off" and "in_nmi" in e["state"]:
                    continue
                on = cond(e["state"])
                if on and start is None:
                    start = e["ns"]
                elif not on and start is not None:
                    res.append((start, e["ns"] - start))
                    start = None
            if start is not None:
                res.append((start, evs[-1]["ns"] - start))
            out[(name, cpu)] = res
    return out


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
    assert procs == {c: "CPU %d" % c for c in cpus}
    for c in cpus:
        assert names[(c, 0)] == "in-band stage" and names[(c, 1)] == "oob stage"

    got = {}
    for x in (e for e in trace if e["ph"] == "X"):
        assert TID[x["name"]] == x["tid"]
        got.setdefault((x["name"], x["pid"]), []).append((ns(x["ts"]), ns(x["dur"])))
    want = expected_slices(events)
    assert {k: v for k, v in want.items() if v} == got

    # Stage residency covers each CPU's span without gap or overlap.
    for c in cpus:
        evs = [e for e in events if e["cpu"] == c]
        res = sorted(got.get(("in-band", c), []) + got.get(("oob", c), []))
        assert res[0][0] == evs[0]["ns"]
        assert sum(d for _, d in res) == evs[-1]["ns"] - evs[0]["ns"]

    irq_events = [e for e in events if e["event"] in
                  ("irq_post", "irq_play", "oob_handler_entry", "oob_handler_exit")]
    instants = [e for e in trace if e["ph"] == "i" and e["cat"] == "irq"]
    assert sorted((i["pid"], ns(i["ts"]), i["name"], i["args"]["arg"]) for i in instants) == \
        sorted((e["cpu"], e["ns"], e["event"], e["arg"]) for e in irq_events)

    # Pending counters: the log is a set per CPU and stage.
    for c in cpus:
        pend = {0: set(), 1: set()}
        for e in events:
            if e["cpu"] != c or e["event"] not in ("irq_post", "irq_play"):
                continue
            stage = e["arg2"] & 0xff
            if stage > 1:
                continue
            (pend[stage].add if e["event"] == "irq_post" else pend[stage].discard)(e["arg"])
        counters = [e for e in trace if e["ph"] == "C" and e["pid"] == c]
        last = counters[-1]["args"] if counters else {"inband": 0, "oob": 0}
        assert last == {"inband": len(pend[0]), "oob": len(pend[1])}


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
    assert trace and {e["pid"] for e in trace} == {1}
    for e in trace:
        assert mid <= ns(e["ts"]) <= end
        if e["ph"] == "X":
            assert ns(e["ts"]) + ns(e["dur"]) <= end
    got = {}
    for x in (e for e in trace if e["ph"] == "X"):
        got.setdefault((x["name"], x["pid"]), []).append((ns(x["ts"]), ns(x["dur"])))
    assert {k: v for k, v in expected_slices(sel).items() if v} == got


def test_bad_input(tmp_path):
    bad = tmp_path / "bad.snap"
    bad.write_bytes(b"\0" * 100)
    r = subprocess.run([CLI, "export", "--format", "chrome", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
