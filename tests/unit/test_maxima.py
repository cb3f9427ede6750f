"""The captured worst cases (snapshot version 3's max block, docs/maxima.md)
against dtrec-gen's ground truth: every command's --max view holds exactly
the areas' records, each area is listed with its metric, CPU, positions and
length; --max picks metrics; the stream is read in either byte order and
from stdin; a dump's descriptor gives the same block as the snapshot; a bad
block or a bad --max is one line and a non-zero exit."""
import json
import os
import struct
import sys

import pytest

from dtrec_testlib import ROOT, cycles_to_ns, expected_events, gen, make, run_cli

sys.path.insert(0, os.path.join(ROOT, "common"))
from dtcore import libdtrec  # noqa: E402

METRICS = ["oob_stall", "hard_off", "stall_pending", "wait_inband", "wait_oob"]
ARGS = ["--cpus", 5, "--records", 64, "--events", 900, "--seed", 4, "--maxima",
        "--names"]


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")


@pytest.fixture
def snap(tmp_path):
    return gen(tmp_path, "max.snap", *ARGS)


def _json(*args):
    r = run_cli(*[str(a) for a in args])
    assert r.returncode in (0, 3, 4), r.stderr
    return json.loads(r.stdout)


def _ts(truth):
    """{(cpu, pos): raw timestamp} of the generator's records."""
    return {(r[0], r[1]): r[3] for r in truth["records"]}


def _area_events(truth, a):
    evs = {(e["cpu"], e["pos"]): e for e in expected_events(truth)}
    return [evs[(a["cpu"], p)] for p in range(a["first_pos"], a["first_pos"] + a["records"])]


def test_view_is_the_areas_records(snap):
    path, truth = snap
    assert len(truth["maxima"]) == 5
    doc = _json("decode", "--json", "--all", "--max", path)
    assert doc["max"]["metrics"] == METRICS
    want = []
    for t in truth["maxima"]:
        want += _area_events(truth, t)
    for e in want:                  # dtrec-gen --names calls every pid gen-PID
        e["comm"] = "gen-%d" % e["pid"]
    ts = _ts(truth)
    want.sort(key=lambda e: (ts[(e["cpu"], e["pos"])], e["cpu"], e["pos"]))
    assert doc["events"] == want
    for t, a in zip(truth["maxima"], doc["max"]["areas"]):
        assert (a["cpu"], a["metric"], a["first_pos"], a["start_pos"], a["end_pos"],
                a["records"], a["cycles"], a["pid"]) == \
            (t["cpu"], METRICS[t["metric"]], t["first_pos"], t["start_pos"],
             t["end_pos"], t["records"], t["cycles"], t["pid"])
        assert a["ns"] == cycles_to_ns(truth, ts[(t["cpu"], t["end_pos"])]) - \
            cycles_to_ns(truth, ts[(t["cpu"], t["start_pos"])])
        assert a["irq"] == (7 if t["metric"] >= 3 else None)
        assert a["comm"] == "gen-%d" % t["pid"]
    # The rings' trace says it is not a view.
    assert _json("decode", "--json", path)["max"] is None


def test_metric_selection(snap):
    path, truth = snap
    doc = _json("decode", "--json", "--max=hard_off,wait_oob", path)
    assert doc["max"]["metrics"] == ["hard_off", "wait_oob"]
    assert [a["metric"] for a in doc["max"]["areas"]] == ["hard_off", "wait_oob"]
    assert {e["cpu"] for e in doc["events"]} == {1, 4}


def test_every_command_labels_the_view(snap, tmp_path):
    path, _ = snap
    stats = _json("stats", "--json", "--max=oob_stall", path)
    assert stats["max"]["metrics"] == ["oob_stall"] and len(stats["maxima"]) == 1
    assert _json("audit", "--json", "--max", path)["max"]["metrics"] == METRICS
    rep = _json("report", "--json", "--max", path)
    assert rep["max"]["metrics"] == METRICS and len(rep["maxima"]) == 5
    text = run_cli("decode", "--max", path).stdout
    assert text.startswith("captured worst cases (the kernel's max areas, not the rings):\n")
    assert run_cli("audit", "--max", path).stdout.startswith("captured worst cases")
    for fmt, label in (("chrome", b"captured worst case: oob_stall"),
                       ("svg", b"captured worst cases (the kernel's max areas)"),
                       ("tracedat", b"dovetail-recorder-captured-worst-cases")):
        out = tmp_path / ("x." + fmt)
        r = run_cli("export", "--format", fmt, "-o", str(out), "--max", path)
        assert r.returncode == 0, r.stderr
        assert label in out.read_bytes()
    chrome = json.loads((tmp_path / "x.chrome").read_bytes())
    slices = [e for e in chrome["traceEvents"] if e.get("cat") == "max"]
    assert sorted(e["args"]["metric"] for e in slices) == sorted(METRICS)
    assert chrome["otherData"]["max"]["metrics"] == METRICS


def test_report_lists_them_with_context(snap):
    path, truth = snap
    rep = _json("report", "--json", "--last", 1, path)
    assert rep["max"] is None
    assert [a["metric"] for a in rep["maxima"]] == METRICS
    for t, a in zip(truth["maxima"], rep["maxima"]):
        # One record of context before the section, then the rest of the area.
        assert [e["pos"] for e in a["events"]] == \
            list(range(t["start_pos"] - 1, t["first_pos"] + t["records"]))
    text = run_cli("report", path).stdout
    assert "=== captured worst cases (the kernel's max areas) ===" in text
    assert text.count("\n  > [") == sum(t["end_pos"] - t["start_pos"] + 1
                                         for t in truth["maxima"])


def test_without_maxima_is_one_line(tmp_path):
    path, _ = gen(tmp_path, "plain.snap", "--cpus", 2)
    r = run_cli("decode", "--max", str(path))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip().endswith("the snapshot holds no captured worst case")
    sample = os.path.join(ROOT, "tests", "data", "sample.dtrec")
    r = run_cli("report", "--max", sample)
    assert r.returncode == 1 and "its recorder has no worst-case capture" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("word,msg", [("--max=nope", "unknown metric 'nope'"),
                                      ("--max=", "bad metric list"),
                                      ("--max=oob_stall,", None)])
def test_bad_max_word(snap, word, msg):
    path, _ = snap
    r = run_cli("decode", word, path)
    if msg is None:           # a trailing comma is an empty item, ignored
        assert r.returncode == 0, r.stderr
        return
    assert r.returncode == 1 and msg in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_other_byte_order_and_stdin(snap, tmp_path):
    from test_byteorder import swapped
    path, _ = snap
    data = path.read_bytes()
    other = tmp_path / "other.snap"
    other.write_bytes(swapped(data))
    for cmd in (["decode", "--json", "--max"], ["report", "--json"], ["stats"]):
        want = run_cli(*(cmd + [str(path)]))
        assert want.returncode in (0, 4), want.stderr
        got = run_cli(*(cmd + [str(other)]))
        assert (got.returncode, got.stdout) == (want.returncode, want.stdout)
    import subprocess
    from dtrec_testlib import CLI
    r = subprocess.run([CLI, "decode", "--json", "--max", "-"], input=data,
                       capture_output=True)
    assert r.returncode == 0 and r.stdout.decode() == \
        run_cli("decode", "--json", "--max", str(path)).stdout


def _max_block_offset(data):
    hsize, ncpu, rsize = struct.unpack_from("<III", data, 12)
    off = hsize
    for _ in range(ncpu):
        nr = struct.unpack_from("<I", data, off + 4)[0]
        off += 16 + nr * rsize
    assert struct.unpack_from("<Q", data, off)[0] == 0x4158414d4c545644
    return off


@pytest.mark.parametrize("field,value,msg", [
    (8, 0xffffffff, "bad max block"),              # size past the stream
    (12, 1 << 20, "bad max block"),                # areas past the format
    ("area_nr", 5000, "does not fit"),             # records past the area
    ("area_metric", 9, "does not fit"),            # no such metric
])
def test_bad_max_block_is_one_line(snap, tmp_path, field, value, msg):
    path, _ = snap
    data = bytearray(path.read_bytes())
    off = _max_block_offset(data)
    if field == "area_nr":
        struct.pack_into("<I", data, off + 24 + 56, value)
    elif field == "area_metric":
        struct.pack_into("<I", data, off + 24 + 60, value)
    else:
        struct.pack_into("<I", data, off + field, value)
    bad = tmp_path / "bad.snap"
    bad.write_bytes(bytes(data))
    for src in ("file", "stdin"):
        if src == "file":
            r = run_cli("decode", str(bad))
        else:
            import subprocess
            from dtrec_testlib import CLI
            r = subprocess.run([CLI, "decode", "-"], input=bytes(data),
                               capture_output=True, text=False)
            r.stderr = r.stderr.decode()
        assert r.returncode == 1 and msg in r.stderr, (src, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1


def test_two_areas_of_one_metric_on_one_cpu_refused(snap, tmp_path):
    path, _ = snap
    data = bytearray(path.read_bytes())
    off = _max_block_offset(data) + 24
    first = struct.unpack_from("<7Q6I", data, off)
    nxt = off + 80 + first[7] * 32
    second = list(struct.unpack_from("<7Q6I", data, nxt))
    second[8], second[9] = first[8], first[9]      # same metric, same cpu
    struct.pack_into("<7Q6I", data, nxt, *second)
    bad = tmp_path / "dup.snap"
    bad.write_bytes(bytes(data))
    r = run_cli("decode", str(bad))
    assert r.returncode == 1 and "has two oob_stall areas" in r.stderr


@pytest.mark.parametrize("rec_size", [32, 48])
def test_dump_descriptor_gives_the_same_block(tmp_path, rec_size):
    """What a front end builds from a dump (descriptor, rings, max areas
    through read callbacks) is the generator's stream, byte for byte."""
    common = ARGS[:-1] + ["--release", "6.6.9-test"]
    img, truth = gen(tmp_path, "img", "--image", "--rec-size", rec_size, *common)
    snap, _ = gen(tmp_path, "snap", "--rec-size", rec_size, *common)
    blob = img.read_bytes()
    desc, mem = blob[:truth["desc_size"]], blob[truth["desc_size"]:]
    calls = []

    def read(addr, n):
        calls.append(addr)
        off = addr - truth["image_base"]
        return mem[off:off + n]

    out = libdtrec.build_snapshot(desc, read, "6.6.9-test")
    assert len(calls) == 10           # a ring and an area block per CPU
    want = snap.read_bytes()
    if rec_size != 32:
        # The stream is canonical: 32-byte records whatever the kernel's.
        want = run_cli("decode", "--json", "--all", "--max", str(snap)).stdout
        got_path = tmp_path / "built.snap"
        got_path.write_bytes(out)
        assert run_cli("decode", "--json", "--all", "--max", str(got_path)).stdout == want
        return
    assert out == want
    assert libdtrec.trace_json(out, ["--max"]) == \
        run_cli("decode", "--json", "--max", str(snap)).stdout


def test_python_front_end_words(snap):
    """gdb and drgn go through common/dtcore: the same bytes as the CLI."""
    path, _ = snap
    data = path.read_bytes()
    assert libdtrec.trace_json(data, ["--max=wait_inband", "--cpu", "3"]) == \
        run_cli("decode", "--json", "--max=wait_inband", "--cpu", "3", str(path)).stdout
    text, nv = libdtrec.audit(data, ["--max", "--context", "1"], json=True)
    assert text == run_cli("audit", "--json", "--max", "--context", "1", str(path)).stdout
    assert libdtrec.stats(data, True, ["--max=hard_off"]) == \
        run_cli("stats", "--json", "--max=hard_off", str(path)).stdout
    rep, _ = libdtrec.report(data, None, ["--max=oob_stall"], json=True)
    assert json.loads(rep)["max"]["metrics"] == ["oob_stall"]
    with pytest.raises(libdtrec.DtrecError, match="unknown metric"):
        libdtrec.trace_json(data, ["--max=bogus"])
