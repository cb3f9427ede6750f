"""Names in the snapshot (stream version 2, docs/recorder.md section 5.1).

dtrec-gen --names writes a names block (comm "gen-PID" for every pid of
the rings, "gen-irq-N" for every IRQ, on three kinds of chip); the outputs
must use it: report's tasks and pending IRQs, trace.dat's saved cmdlines
and sched_switch comms (read back by trace-cmd), the Chrome task
processes. Version 1 streams still read; a bad block is one line.
"""
import ctypes
import json
import re
import os
import shutil
import struct
import subprocess

import pytest

from dtrec_testlib import ROOT

CLI = os.path.join(ROOT, "tools", "dovetail-trace")
GEN = os.path.join(ROOT, "tools", "dtrec-gen")
SAMPLE = os.path.join(ROOT, "tests", "data", "sample.dtrec")
TRACE_CMD = shutil.which("trace-cmd")
NAMES_MAGIC = 0x454d414e4c545644


@pytest.fixture(scope="module", autouse=True)
def built():
    r = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "tools")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def gen(tmp_path, *args):
    path = tmp_path / "n.snap"
    with open(path, "wb") as f:
        subprocess.run([GEN, "--cpus", "2", "--records", "256", "--events", "1500",
                        "--seed", "4"] + list(args), stdout=f, check=True)
    return path


def cli(*args, ok=(0,)):
    r = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True)
    assert r.returncode in ok, r.stderr
    return r


def test_report_names_tasks_and_irqs(tmp_path):
    snap = gen(tmp_path, "--names")
    rep = json.loads(cli("report", "--json", snap, ok=(0, 4)).stdout)
    pending = [p for c in rep["cpus"] for p in c["pending"]]
    assert pending and all(p["name"] == "gen-irq-%d" % p["irq"] for p in pending)
    conds = [c[k] for c in rep["cpus"] for k in ("inband_stall", "oob_stall")
             if c[k]["state"] and c[k]["pid"] is not None]
    assert conds
    text = cli("report", snap, ok=(0, 4)).stdout
    for c in conds:
        assert "pid %d (gen-%d)" % (c["pid"], c["pid"]) in text
    # The same snapshot without names: no name at all.
    plain = json.loads(cli("report", "--json", gen(tmp_path), ok=(0, 4)).stdout)
    assert all(p["name"] is None for c in plain["cpus"] for p in c["pending"])


def test_stdin_reads_the_names_block(tmp_path):
    snap = gen(tmp_path, "--names")
    with open(snap, "rb") as f:
        r = subprocess.run([CLI, "report", "--json", "-"], stdin=f, capture_output=True,
                           text=True)
    assert r.returncode in (0, 4), r.stderr
    assert r.stdout == cli("report", "--json", snap, ok=(0, 4)).stdout


@pytest.mark.skipif(TRACE_CMD is None, reason="trace-cmd is not installed")
def test_trace_cmd_shows_comms(tmp_path):
    snap = gen(tmp_path, "--names")
    dat = tmp_path / "n.dat"
    cli("export", "--format", "tracedat", "-o", dat, snap)
    out = subprocess.run([TRACE_CMD, "report", "-i", str(dat)], capture_output=True,
                         text=True, check=True).stdout
    lines = [ln for ln in out.splitlines() if "]" in ln and " section: " not in ln
             and " sched_switch: " not in ln]
    # trace-cmd calls pid 0 <idle> whatever the cmdlines say
    assert lines and all(ln.split()[0].startswith(("gen-", "<idle>-0")) for ln in lines)
    sw = subprocess.run([TRACE_CMD, "report", "-F", "sched/sched_switch", "-i", str(dat)],
                        capture_output=True, text=True, check=True).stdout
    assert "==> gen-" in sw


def test_chrome_task_processes_are_named(tmp_path):
    snap = gen(tmp_path, "--names")
    cli("export", "--format", "chrome", "-o", tmp_path / "n.json", snap)
    doc = json.loads((tmp_path / "n.json").read_text())
    names = {m["pid"]: m["args"]["name"] for m in doc["traceEvents"]
             if m["ph"] == "M" and m["name"] == "process_name" and m["pid"] < 1 << 22}
    assert names and all(n == "gen-%d" % p for p, n in names.items())


def test_bad_names_block_is_one_line(tmp_path):
    snap = gen(tmp_path, "--names")
    data = bytearray(snap.read_bytes())
    bad = tmp_path / "bad.snap"
    # The block's size no longer matches its counts.
    off = data.rfind(struct.pack("<Q", NAMES_MAGIC))
    struct.pack_into("<I", data, off + 8, struct.unpack_from("<I", data, off + 8)[0] + 1)
    bad.write_bytes(bytes(data))
    r = subprocess.run([CLI, "stats", str(bad)], capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "names block" in r.stderr and "Traceback" not in r.stderr
    # A version 1 stream may not end with one.
    v1 = bytearray(snap.read_bytes())
    struct.pack_into("<I", v1, 8, 1)
    bad.write_bytes(bytes(v1))
    r = subprocess.run([CLI, "stats", str(bad)], capture_output=True, text=True)
    assert r.returncode == 1 and "trailing bytes" in r.stderr


def strip_names(raw):
    """A version 1 stream from a version 2 one: the names block (last,
    its size in its header) cut off, the version set back to 1."""
    at = raw.rfind(struct.pack("<Q", NAMES_MAGIC))
    assert at > 0 and struct.unpack_from("<I", raw, at + 8)[0] == len(raw) - at
    return raw[:8] + struct.pack("<I", 1) + raw[12:at]


def test_version_1_still_reads(tmp_path):
    """The same records without their names block, as version 1: every
    output the same, save the names."""
    v2 = gen(tmp_path, "--names")
    v1 = tmp_path / "v1.snap"
    v1.write_bytes(strip_names(v2.read_bytes()))
    assert struct.unpack_from("<I", v1.read_bytes(), 8)[0] == 1
    s1, s2 = (json.loads(cli("stats", "--json", p).stdout) for p in (v1, v2))
    assert s1.pop("names") is None and s2.pop("names")["irqs"]
    assert s1 == s2
    d1, d2 = (json.loads(cli("decode", "--json", p).stdout) for p in (v1, v2))
    assert [dict(e, comm=None) for e in d1["events"]] == \
        [dict(e, comm=None) for e in d2["events"]]
    assert all(e.get("comm") is None for e in d1["events"])


def test_irq_meaning_from_chip_and_vector(tmp_path):
    """What an IRQ stands for, from the block: the x86 vector number the
    kernel writes for a SIPIC IRQ becomes its name, a GIC interrupt gets
    its class and number (Dovetail's IPIs by name); report agrees."""
    snap = gen(tmp_path, "--names")
    irqs = json.loads(cli("stats", "--json", snap).stdout)["names"]["irqs"]
    gic = {0: "INBAND_IPI", 1: "TIMER_OOB_IPI", 2: "RESCHEDULE_OOB_IPI",
           3: "CALL_FUNCTION_OOB_IPI"}
    seen = set()
    for q in irqs:
        seen.add(q["chip"])
        if q["chip"] == "SIPIC":
            want = "LOCAL_TIMER_VECTOR"
        elif q["chip"] == "GICv3":
            h = q["hwirq"]
            want = gic.get(h) or ("SGI%d" % h if h < 16 else "PPI%d" % (h - 16))
        else:
            want = None
        assert q["vector"] == want, q
    assert seen == {"SIPIC", "GICv3", "gen-chip"}, seen
    by_irq = {q["irq"]: q for q in irqs}
    rep = json.loads(cli("report", "--json", snap, ok=(0, 4)).stdout)
    pending = [p for c in rep["cpus"] for p in c["pending"]]
    assert pending
    for p in pending:
        assert (p["name"], p["vector"]) == (by_irq[p["irq"]]["name"],
                                            by_irq[p["irq"]]["vector"]), p


def test_add_names_through_the_library(tmp_path):
    """dtrec_snapshot_add_names(), what a front end calls on the stream it
    assembled: the block is appended, the version set to 2, and the
    parsed snapshot names the pid and the IRQ."""
    lib = ctypes.CDLL(os.path.join(ROOT, "libdtrec", "libdtrec.so"))
    raw = gen(tmp_path).read_bytes()
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    p = libc.malloc(len(raw))
    ctypes.memmove(p, raw, len(raw))
    buf = ctypes.c_void_p(p)
    n = ctypes.c_size_t(len(raw))
    task = struct.pack("<I16s", 100, b"rt-worker")
    irq = struct.pack("<II32s24s32s", 77, 5, b"eth0-rx", b"IO-APIC", b"")
    err = ctypes.create_string_buffer(256)
    lib.dtrec_snapshot_add_names.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                             ctypes.POINTER(ctypes.c_size_t),
                                             ctypes.c_char_p, ctypes.c_size_t,
                                             ctypes.c_char_p, ctypes.c_size_t,
                                             ctypes.c_char_p, ctypes.c_size_t]
    assert lib.dtrec_snapshot_add_names(ctypes.byref(buf), ctypes.byref(n), task, 1, irq, 1,
                                        err, 256) == 0, err.value
    out = ctypes.string_at(buf, n.value)
    # A version 3 stream (what dtrec-gen writes) stays version 3.
    assert struct.unpack_from("<I", out, 8)[0] == 3 and len(out) == len(raw) + 24 + 20 + 96
    # Twice is refused: a stream has one names block.
    assert lib.dtrec_snapshot_add_names(ctypes.byref(buf), ctypes.byref(n), task, 1, irq, 1,
                                        err, 256) < 0
    path = tmp_path / "named.snap"
    path.write_bytes(out)
    libc.free(buf)
    text = cli("export", "--format", "chrome", "-o", tmp_path / "x.json", path)
    doc = json.loads((tmp_path / "x.json").read_text())
    assert {"rt-worker"} <= {m["args"]["name"] for m in doc["traceEvents"]
                             if m["ph"] == "M" and m["name"] == "process_name"}
    assert text.returncode == 0


def test_decode_names_pids(tmp_path):
    """decode's text shows each pid's comm from the names block, escaped;
    without a block the line is unchanged."""
    named = cli("decode", gen(tmp_path, "--names")).stdout.splitlines()
    assert named and all(re.search(r" pid=(\d+)\(gen-\1\) ", ln) for ln in named)
    plain = cli("decode", gen(tmp_path)).stdout.splitlines()
    assert [re.sub(r"\(gen-\d+\)", "", ln) for ln in named] == plain


def test_chrome_and_svg_show_the_names(tmp_path):
    snap = gen(tmp_path, "--names")
    cli("export", "--format", "chrome", "-o", tmp_path / "c.json", snap)
    inst = [e for e in json.loads((tmp_path / "c.json").read_text())["traceEvents"]
            if e["ph"] == "i"]
    assert inst and all(e["args"]["comm"] == "gen-%d" % e["args"]["pid"] for e in inst)
    irq = [e for e in inst if e["cat"] == "irq"]
    assert irq and all(e["args"]["irq_name"] == "gen-irq-%d" % e["args"]["irq"] for e in irq)
    cli("export", "--format", "svg", "-o", tmp_path / "s.svg", snap)
    svg = (tmp_path / "s.svg").read_text()
    ticks = re.findall(r"<title>irq_(?:post|play) irq (\d+) \(([^)]*)\)", svg)
    assert ticks and all(name == "gen-irq-" + irq for irq, name in ticks)
    marks = re.findall(r"<title>\w+ pid (\d+) \(([^)]*)\)", svg)
    assert marks and all(name == "gen-" + pid for pid, name in marks)
