"""SVG timeline export: valid XML whose shapes match the snapshot.

Bars are the interval model's sections: their counts per class (open
ones apart) are what stats --json counts, and on the bundled sample the
hard-off bars are the audit's. Ticks are recomputed from decode --json,
for the whole snapshot and for a --from/--to window.
"""
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from dtrec_testlib import pending_walk

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
    stats = json.loads(run("stats", "--json", snap))["intervals"]
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
    """Counts of the bars and ticks in the CPU rows, by class."""
    root = ET.fromstring(svg_text)
    assert root.tag == SVG + "svg"
    counts = {}
    rows = [g for g in root.iter(SVG + "g") if g.get("class") == "cpu"]
    for g in rows:
        for el in g.iter():
            cls = el.get("class")
            if el.tag in (SVG + "rect", SVG + "line") and cls not in ("verdict", "task-event"):
                counts[cls] = counts.get(cls, 0) + 1
                if el.tag == SVG + "rect":
                    x, w = float(el.get("x")), float(el.get("width"))
                    assert 110.0 <= x and x + w <= float(root.get("width")) + 0.5
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
    for r in (r for g in rows for r in g.iter(SVG + "rect")):
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
    """The sample's hard-off bars are the audit's sections (count and
    longest), and the stall still on at the freeze is drawn open, not as
    a measured section."""
    sample = os.path.join(ROOT, "tests", "data", "sample.dtrec")
    counts, rows, root = shapes(run("export", "--format", "svg", sample))
    want = expected_counts(sample)
    assert {k: v for k, v in want.items() if v} == counts
    audit = json.loads(subprocess.run([CLI, "audit", "--json", sample], capture_output=True,
                                      text=True).stdout)["measurements"]["hard_off"]
    durs = []
    for r in (r for g in rows for r in g.iter(SVG + "rect")):
        if r.get("class") == "hard-off":
            m = re.search(r"(\d+)\.\.(\d+) ns", r.find(SVG + "title").text)
            durs.append(int(m.group(2)) - int(m.group(1)))
    assert (len(durs), max(durs)) == (audit["sections"], audit["max_ns"])
    assert durs and audit["max_ns"] > 0
    opened = [r for g in rows for r in g.iter(SVG + "rect") if r.get("class") == "stall-inband open"]
    assert any("still on at the end" in r.find(SVG + "title").text for r in opened)


RSVG = shutil.which("rsvg-convert")
LEGEND = ["in-band stage", "oob stage", "in-band stage stalled", "oob stage stalled",
          "hard IRQs off", "open: cut by the data's edge, not measured",
          "IRQ posted (upper tick)", "IRQ played (lower tick)", "IRQs pending, in-band log",
          "IRQs pending, oob log", "mark or freeze record", "task event (migration, switch)",
          "freeze time", "the report's verdict, since when"]


def text_fits(t, width):
    """A label's extent (monospace 10 px: 6 px a character) inside the picture."""
    x, n = float(t.get("x")), len("".join(t.itertext())) * 6.0
    size = float(t.get("font-size", 10)) / 10.0
    n *= size
    lo, hi = {"start": (x, x + n), "end": (x - n, x),
              "middle": (x - n / 2, x + n / 2)}[t.get("text-anchor", "start")]
    return lo >= 0 and hi <= width


@pytest.mark.skipif(RSVG is None, reason="rsvg-convert is not installed (apt install librsvg2-bin)")
def test_sample_picture_has_every_part(tmp_path):
    """The sample rendered by librsvg: well-formed, and with a legend, a
    readable axis relative to the freeze, labels inside the picture, the
    freeze, marks, task events, pending counts and the report's verdict."""
    sample = os.path.join(ROOT, "tests", "data", "sample.dtrec")
    svg = tmp_path / "s.svg"
    run("export", "--format", "svg", "-o", svg, sample)
    png = tmp_path / "s.png"
    r = subprocess.run([RSVG, "-o", str(png), str(svg)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    root = ET.parse(svg).getroot()
    width = float(root.get("width"))
    assert int.from_bytes(head[16:20], "big") == int(width)

    texts = list(root.iter(SVG + "text"))
    assert all(text_fits(t, width) for t in texts), \
        [("".join(t.itertext()), t.get("x")) for t in texts if not text_fits(t, width)]
    legend = [g for g in root.iter(SVG + "g") if g.get("class") == "legend"]
    assert len(legend) == 1
    assert ["".join(t.itertext()) for t in legend[0].iter(SVG + "text")
            if t.get("class") == "legend-label"] == LEGEND
    # The axis: 0 at the freeze (the newest record), offsets in ms before it.
    freeze = max(e["ns"] for e in json.loads(subprocess.run(
        [CLI, "decode", "--json", sample], capture_output=True, text=True).stdout)["events"])
    title = "".join([t for t in texts if t.get("class") == "title"][0].itertext())
    assert "times from the freeze at %d ns" % freeze in title
    ticks_ = ["".join(t.itertext()) for t in texts if t.get("class") == "tick"]
    assert "0" in ticks_ and any(re.fullmatch("\u2212\\d+ ms", t) for t in ticks_)
    assert all(re.fullmatch(r"0|[+\u2212]\d+ (ns|\u00b5s|ms|s)", t) for t in ticks_)
    verdict = "".join([t for t in texts if t.get("class") == "verdict-text"][0].itertext())
    report = json.loads(subprocess.run([CLI, "report", "--json", sample], capture_output=True,
                                       text=True).stdout)
    assert verdict == "verdict: " + report["summary"]
    rows = {g.get("id"): g for g in root.iter(SVG + "g") if g.get("class") == "cpu"}
    band = [r for r in rows["cpu1"].iter(SVG + "rect") if r.get("class") == "verdict"]
    assert len(band) == 1 and band[0].find(SVG + "title").text == report["summary"]
    classes = {el.get("class") for el in root.iter()}
    assert {"freeze", "mark", "task-event", "pending-inband", "irq-post", "irq-play",
            "stall-inband open"} <= classes
    # Each CPU's label: the most IRQs pending at once in each log over
    # the window, recounted here from the posts and plays.
    counts = ["".join(t.itertext()) for t in texts if "pending-count" in (t.get("class") or "")]
    events = json.loads(subprocess.run([CLI, "decode", "--json", sample], capture_output=True,
                                       text=True).stdout)["events"]
    want = []
    for cpu in sorted({e["cpu"] for e in events}):
        most = [0, 0]
        for _, pend in pending_walk(events, cpu):
            most = [max(most[s], len(pend[s])) for s in (0, 1)]
        want.append("pending: %d ib, %d oob" % tuple(most))
    assert counts == want and any(w != "pending: 0 ib, 0 oob" for w in want)


def test_size_bound(tmp_path):
    """Past 20000 records: an open window is cut to the last ones before
    the freeze, with a note; a window the user chose is refused with one
    line naming the options."""
    big = tmp_path / "big.snap"
    with open(big, "wb") as f:
        subprocess.run([GEN, "--cpus", "2", "--records", "16384", "--events", "40000",
                        "--seed", "3"], stdout=f, check=True)
    out = tmp_path / "big.svg"
    run("export", "--format", "svg", "-o", out, big)
    root = ET.parse(out).getroot()
    note = ["".join(t.itertext()) for t in root.iter(SVG + "text") if t.get("class") == "note"]
    assert note == ["automatic window: the last 20000 of 32768 records, up to the freeze; "
                    "choose another with --from/--to, --cpu or --last"]
    assert sum(1 for g in root.iter(SVG + "g") if g.get("class") == "cpu") == 2
    r = subprocess.run([CLI, "export", "--format", "svg", "--from", "1", "-o",
                        str(tmp_path / "no.svg"), str(big)], capture_output=True, text=True)
    assert r.returncode == 1 and not (tmp_path / "no.svg").exists()
    assert r.stderr.strip().splitlines() == [
        "dovetail-trace: svg export: the window holds more than the 20000 records an SVG "
        "shows; narrow it with --from/--to, --cpu or --last"]


@pytest.mark.parametrize("window", [("--from", "1"), ()], ids=["from-1", "freeze-origin"])
def test_axis_on_extreme_clock(tmp_path, window):
    """Timestamps near 2^64 ns (a 1 Hz clock read late): the axis still
    has ticks, in order, each label being its offset from the origin.
    The ticks were once computed in int64_t: a window wider than
    INT64_MAX lost them all, and a step of 2e18 ns overflowed."""
    snap = tmp_path / "late.snap"
    with open(snap, "wb") as f:
        subprocess.run([GEN, "--cpus", "2", "--records", "64", "--events", "100",
                        "--clock-hz", "1", "--ref-ns", "18000000000000000000"],
                       stdout=f, check=True)
    out = tmp_path / "late.svg"
    run("export", "--format", "svg", *window, "-o", out, snap)
    root = ET.parse(out).getroot()
    ticks_ = [t for t in root.iter(SVG + "text") if t.get("class") == "tick"]
    assert len(ticks_) >= 3, [("".join(t.itertext())) for t in ticks_]
    xs = [float(t.get("x")) for t in ticks_]
    assert xs == sorted(xs)
    unit = {"ns": 1, "\u00b5s": 10**3, "ms": 10**6, "s": 10**9}
    offs = []
    for t in ticks_:
        m = re.fullmatch(r"(0)|([+\u2212])(\d+) (ns|\u00b5s|ms|s)", "".join(t.itertext()))
        assert m, "".join(t.itertext())
        offs.append(0 if m.group(1) else
                    (-1 if m.group(2) == "\u2212" else 1) * int(m.group(3)) * unit[m.group(4)])
    assert 0 in offs and offs == sorted(offs)
    steps = {b - a for a, b in zip(offs, offs[1:])}
    assert len(steps) == 1, offs
