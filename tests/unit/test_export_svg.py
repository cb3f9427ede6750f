"""SVG timeline export: valid XML whose shapes match the snapshot.

Element counts per class are recomputed from decode --json of the same
synthetic snapshot (runs of each state bit per CPU, IRQ post/play
events), for the whole snapshot and for a --from/--to window.
"""
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "tools", "dovetail-trace")
GEN = os.path.join(ROOT, "tools", "dtrec-gen")
SVG = "{http://www.w3.org/2000/svg}"

BARS = {
    "stage-inband": lambda st: "stage_oob" not in st,
    "stage-oob": lambda st: "stage_oob" in st,
    "stall-inband": lambda st: "inband_stalled" in st,
    "stall-oob": lambda st: "oob_stalled" in st,
    "hard-off": lambda st: "hard_off" in st,
}


@pytest.fixture(scope="module", autouse=True)
def built():
    r = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "tools")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    path = tmp_path_factory.mktemp("svg") / "s.snap"
    with open(path, "wb") as f:
        subprocess.run([GEN, "--cpus", "2", "--records", "256", "--events", "400",
                        "--seed", "9", "--torn", "1"], stdout=f, check=True)
    return path


def run(*args):
    r = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def expected_counts(events):
    counts = {cls: 0 for cls in BARS}
    for cpu in {e["cpu"] for e in events}:
        evs = [e for e in events if e["cpu"] == cpu]
        for cls, cond in BARS.items():
            on = False
            for e in evs:
                if cls == "hard-off" and "in_nmi" in e["state"]:
                    continue
                now = cond(e["state"])
                if now and not on:
                    counts[cls] += 1
                on = now
    counts["irq-post"] = sum(e["event"] == "irq_post" for e in events)
    counts["irq-play"] = sum(e["event"] == "irq_play" for e in events)
    return counts


def shapes(svg_text):
    root = ET.fromstring(svg_text)
    assert root.tag == SVG + "svg"
    counts = {}
    for el in root.iter():
        cls = el.get("class")
        if el.tag in (SVG + "rect", SVG + "line") and cls not in (None, "axis"):
            counts[cls] = counts.get(cls, 0) + 1
            if el.tag == SVG + "rect":
                x, w = float(el.get("x")), float(el.get("width"))
                assert 90.0 <= x and x + w <= float(root.get("width")) + 0.5
    rows = [g for g in root.iter(SVG + "g") if g.get("class") == "cpu"]
    return counts, rows, root


def test_whole_snapshot(snap):
    events = json.loads(run("decode", "--json", snap))["events"]
    counts, rows, root = shapes(run("export", "--format", "svg", snap))
    want = expected_counts(events)
    assert {k: v for k, v in want.items() if v} == counts
    assert [g.get("id") for g in rows] == ["cpu0", "cpu1"]
    # Each CPU's residency lane is fully covered by in-band + oob bars.
    for g in rows:
        bars = sorted((float(r.get("x")), float(r.get("width"))) for r in g.iter(SVG + "rect")
                      if r.get("class") in ("stage-inband", "stage-oob"))
        for (x0, w0), (x1, _) in zip(bars, bars[1:]):
            assert abs(x0 + w0 - x1) < 0.6
    title = [t for t in root.iter(SVG + "text") if t.get("class") == "title"][0].text
    assert "%d..%d ns" % (events[0]["ns"], events[-1]["ns"]) in title


def test_window_and_cpu(snap, tmp_path):
    events = json.loads(run("decode", "--json", snap))["events"]
    lo, hi = events[100]["ns"], events[250]["ns"]
    args = ["--from", lo, "--to", hi, "--cpu", "1"]
    sel = json.loads(run("decode", "--json", *args, snap))["events"]
    out = tmp_path / "w.svg"
    run("export", "--format", "svg", *args, "-o", out, snap)
    counts, rows, root = shapes(out.read_text())
    assert [g.get("id") for g in rows] == ["cpu1"]
    assert {k: v for k, v in expected_counts(sel).items() if v} == counts
    title = [t for t in root.iter(SVG + "text") if t.get("class") == "title"][0].text
    assert "%d..%d ns" % (lo, hi) in title


def test_hostile_release_is_escaped(tmp_path):
    path = tmp_path / "r.snap"
    with open(path, "wb") as f:
        subprocess.run([GEN, "--events", "20", "--release", "6.6<&>\"x"], stdout=f, check=True)
    _, _, root = shapes(run("export", "--format", "svg", path))
    title = [t for t in root.iter(SVG + "text") if t.get("class") == "title"][0].text
    assert "6.6<&>\"x" in title
