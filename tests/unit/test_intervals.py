"""The interval model (libdtrec/analysis/intervals.c, docs/audit.md "Sections").

One hand-built trace with every edge case (a section open at the start,
one open at the end, a hole of a torn record, a coalesced post, a wait
still pending) checked against what it must give, and then agreement:
on the bundled sample and on synthetic snapshots, stats, audit, report
and the Chrome export tell the same sections.
"""
import json
import os
import subprocess

import pytest

from dtrec_testlib import ROOT
from hangtrace import COALESCED, HOFF, IS, OS, Recorder

CLI = os.path.join(ROOT, "tools", "dovetail-trace")
GEN = os.path.join(ROOT, "tools", "dtrec-gen")
SAMPLE = os.path.join(ROOT, "tests", "data", "sample.dtrec")
T0 = 10**9          # with a 1 GHz clock from 0, ns == ts


@pytest.fixture(scope="module", autouse=True)
def built():
    r = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "tools")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def cli(*args, ok=(0,)):
    r = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True)
    assert r.returncode in ok, r.stderr
    return r.stdout


def edge_cases(path):
    rec = Recorder()
    add = rec.add
    add(0, T0 + 1000, 10, "mark", state=HOFF)           # hard-off since before the data
    add(0, T0 + 2000, 10, "mark")
    add(0, T0 + 3000, 10, "oob_stall", state=OS | HOFF)
    add(0, T0 + 5000, 10, "oob_unstall", state=HOFF)    # oob stall: 2000 ns
    add(0, T0 + 6000, 10, "mark")                       # hard-off: 3000..5000
    add(0, T0 + 7000, 10, "irq_post", 7, 0)
    add(0, T0 + 9000, 10, "irq_play", 7, 0)             # irq 7 waited 2000 ns
    add(0, T0 + 10000, 10, "irq_post", 8, COALESCED)    # posted before the data
    add(0, T0 + 11000, 10, "irq_post", 9, 0)            # never played
    add(0, T0 + 12000, 10, "mark", seq=0)               # torn: a hole
    add(0, T0 + 13000, 11, "mark", state=IS)            # stalled since before the hole
    add(0, T0 + 14000, 11, "mark")
    add(0, T0 + 15000, 11, "oob_stall", state=OS | HOFF)  # still on at the end
    path.write_bytes(rec.stream())
    return path


def test_edge_cases(tmp_path):
    snap = edge_cases(tmp_path / "edges.snap")
    sec = json.loads(cli("stats", "--json", snap))["intervals"]
    assert sec["stall_oob"] == {"sections": 1, "open": 1, "max_ns": 2000, "cpu": 0,
                                "ns": T0 + 3000, "total_ns": 2000}
    assert sec["hard_off"] == {"sections": 1, "open": 2, "max_ns": 2000, "cpu": 0,
                               "ns": T0 + 3000, "total_ns": 2000}
    # irq 7 measured; 8 open at both ends, 9 at the end (the hole cut them)
    assert (sec["irq_wait"]["sections"], sec["irq_wait"]["open"],
            sec["irq_wait"]["max_ns"]) == (1, 2, 2000)
    assert (sec["stall_inband"]["sections"], sec["stall_inband"]["open"]) == (0, 1)

    audit = json.loads(cli("audit", "--json", snap, ok=(0, 3)))
    m = audit["measurements"]
    assert (m["oob_stall"]["max_ns"], m["oob_stall"]["sections"], m["oob_stall"]["open"]) == \
        (2000, 1, 1)
    assert (m["hard_off"]["max_ns"], m["hard_off"]["sections"], m["hard_off"]["open"]) == \
        (2000, 1, 2)
    assert [(h["irq"], h["count"], h["max_ns"]) for h in audit["histograms"]] == [(7, 1, 2000)]

    cpu = json.loads(cli("report", "--json", snap, ok=(0, 4)))["cpus"][0]
    # The last window starts after the hole: both conditions began in it.
    assert cpu["oob_stall"] == {"state": True, "since_ns": T0 + 15000, "duration_ns": 0,
                                "exact": True, "pid": 11}
    assert cpu["hard_irqs_off"]["state"] is True and cpu["hard_irqs_off"]["since_ns"] == T0 + 15000
    assert cpu["inband_stall"]["state"] is False and cpu["pending"] == []

    doc = json.loads(cli("export", "--format", "chrome", snap))
    opened = sorted((x["name"], x["args"]["open"], round(x["ts"] * 1000))
                    for x in doc["traceEvents"] if x["ph"] == "X" and "open" in x["args"]
                    and x["name"].startswith(("hard", "oob stalled", "in-band stalled ")))
    assert opened == [("hard irqs off (open)", "end", T0 + 15000),
                      ("hard irqs off (open)", "start", T0 + 1000),
                      ("in-band stalled (open)", "start", T0 + 13000),
                      ("oob stalled (open)", "end", T0 + 15000)]


def report_agrees(snap):
    """What the report says holds at the freeze is what the exports draw
    as a section still open at the end of the data, from the same start;
    its pending IRQs are the Chrome counter's last value."""
    report = json.loads(cli("report", "--json", snap, ok=(0, 4)))
    doc = json.loads(cli("export", "--format", "chrome", snap))
    xs = [x for x in doc["traceEvents"] if x["ph"] == "X"]
    for cpu in report["cpus"]:
        c = cpu["cpu"]
        for key, name in (("inband_stall", "in-band stalled (open)"),
                          ("oob_stall", "oob stalled (open)"),
                          ("hard_irqs_off", "hard irqs off (open)")):
            tail = [x for x in xs if x["pid"] == (1 << 22) + c and x["name"] == name
                    and x["args"]["open"] in ("end", "both")
                    and round((x["ts"] + x["dur"]) * 1000) == cpu["records"]["last_ns"]]
            cond = cpu[key]
            if cond["state"] is True:
                assert len(tail) == 1, (c, key)
                assert round(tail[0]["ts"] * 1000) == max(cond["since_ns"],
                                                           cpu["records"]["window_ns"])
            elif cond["state"] is False:
                assert not tail, (c, key)
        counters = [x for x in doc["traceEvents"] if x["ph"] == "C" and x["pid"] == (1 << 22) + c]
        if counters:
            last = counters[-1]["args"]
            assert [last["inband"], last["oob"]] == \
                [sum(1 for p in cpu["pending"] if p["stage"] == s) for s in ("inband", "oob")]
    return report


def stats_agree_with_audit(snap):
    sec = json.loads(cli("stats", "--json", snap))["intervals"]
    audit = json.loads(cli("audit", "--json", snap, ok=(0, 3)))
    for key, kind in (("oob_stall", "stall_oob"), ("inband_stall_pending", "stall_pending"),
                      ("hard_off", "hard_off")):
        m = audit["measurements"][key]
        assert (m["sections"], m["open"], m["max_ns"], m["cpu"]) == \
            (sec[kind]["sections"], sec[kind]["open"], sec[kind]["max_ns"], sec[kind]["cpu"])
    hist = audit["histograms"]
    assert sum(h["count"] for h in hist) == sec["irq_wait"]["sections"]
    assert max([h["max_ns"] for h in hist], default=0) == sec["irq_wait"]["max_ns"]


def test_sample_outputs_agree():
    stats_agree_with_audit(SAMPLE)
    report = report_agrees(SAMPLE)
    cpu1 = report["cpus"][1]
    assert cpu1["inband_stall"]["state"] is True and cpu1["hard_irqs_off"]["state"] is None


@pytest.mark.parametrize("seed", [1, 3, 4, 9])
def test_synthetic_outputs_agree(tmp_path, seed):
    snap = tmp_path / "g.snap"
    with open(snap, "wb") as f:
        subprocess.run([GEN, "--cpus", "3", "--records", "256", "--events", "2000",
                        "--seed", str(seed), "--torn", "2", "--stale", "1"],
                       stdout=f, check=True)
    stats_agree_with_audit(snap)
    report_agrees(snap)
