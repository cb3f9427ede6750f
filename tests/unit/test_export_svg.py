"""SVG timeline export: valid XML whose shapes match the snapshot.

Bars are the interval model's sections: their counts per class (open
ones apart) are what stats --json counts, and on the bundled sample the
hard-off bars are the audit's. Ticks are recomputed from decode --json,
for the whole snapshot and for a --from/--to window.
"""
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "tools", "dovetail-trace")
GEN = os.path.join(ROOT, "tools", "dtrec-gen")
SVG = "{http://www.w3.org/2000/svg}"

# bar class -> the interval model's kind (stats --json "sections")
BARS = {"stage-inband": "stage_inband", "stage-oob": "stage_oob",
        "stall-inband": "stall_inband", "stall-oob": "stall_oob", "hard-off": "hard_off"}


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


def expected_counts(snap):
    """Bars of a whole snapshot: the model's sections, open ones apart."""
    stats = json.loads(run("stats", "--json", snap))["sections"]
    events = json.loads(run("decode", "--json", snap))["events"]
    counts = {}
    for cls, kind in BARS.items():
        counts[cls] = stats[kind]["sections"]
        counts[cls + " open"] = stats[kind]["open"]
    return dict(counts, **ticks(events))


def ticks(events):
    return {"irq-post": sum(e["event"] == "irq_post" for e in events),
            "irq-play": sum(e["event"] == "irq_play" for e in events)}


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
    want = expected_counts(snap)
    assert {k: v for k, v in want.items() if v} == counts
    assert [g.get("id") for g in rows] == ["cpu0", "cpu1"]
    # Each CPU's residency lane is fully covered by in-band + oob bars.
    for g in rows:
        bars = sorted((float(r.get("x")), float(r.get("width"))) for r in g.iter(SVG + "rect")
                      if r.get("class").split()[0] in ("stage-inband", "stage-oob"))
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
    assert {k: v for k, v in counts.items() if k.startswith("irq-")} == \
        {k: v for k, v in ticks(sel).items() if v}
    # Bars are sections clipped to the window, inside the plot.
    for r in root.iter(SVG + "rect"):
        if r.get("class").split()[0] in BARS:
            m = re.search(r"(\d+)\.\.(\d+) ns", r.find(SVG + "title").text)
            assert int(m.group(2)) >= lo and int(m.group(1)) <= hi
    title = [t for t in root.iter(SVG + "text") if t.get("class") == "title"][0].text
    assert "%d..%d ns" % (lo, hi) in title


def test_hostile_release_is_escaped(tmp_path):
    path = tmp_path / "r.snap"
    with open(path, "wb") as f:
        subprocess.run([GEN, "--events", "20", "--release", "6.6<&>\"x"], stdout=f, check=True)
    _, _, root = shapes(run("export", "--format", "svg", path))
    title = [t for t in root.iter(SVG + "text") if t.get("class") == "title"][0].text
    assert "6.6<&>\"x" in title


def test_sample_agrees_with_audit(tmp_path):
    """The sample's hard-off bars are the audit's sections (the longest
    357.757 us on CPU1), and CPU1's stall still on at the freeze is drawn
    open, not as an 823 ms section."""
    sample = os.path.join(ROOT, "tests", "data", "sample.dtrec")
    counts, rows, root = shapes(run("export", "--format", "svg", sample))
    want = expected_counts(sample)
    assert {k: v for k, v in want.items() if v} == counts
    audit = json.loads(subprocess.run([CLI, "audit", "--json", sample], capture_output=True,
                                      text=True).stdout)["measurements"]["hard_off"]
    durs = []
    for r in root.iter(SVG + "rect"):
        if r.get("class") == "hard-off":
            m = re.search(r"(\d+)\.\.(\d+) ns", r.find(SVG + "title").text)
            durs.append(int(m.group(2)) - int(m.group(1)))
    assert (len(durs), max(durs)) == (audit["sections"], audit["max_ns"]) == (402, 357757)
    opened = [r for r in root.iter(SVG + "rect") if r.get("class") == "stall-inband open"]
    assert any("still on at the end" in r.find(SVG + "title").text for r in opened)
