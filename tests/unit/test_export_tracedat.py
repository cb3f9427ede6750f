"""trace.dat export read back by Debian's trace-cmd.

Every event the CLI decodes (decode --json) must come back from
`trace-cmd report` with the same CPU, nanosecond timestamp, pid and
fields, in the same order, including across page boundaries and across
deltas that need a TIME_EXTEND record.
"""
import json
import os
import re
import shutil
import subprocess

import pytest

from dtrec_testlib import sample_hold

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "tools", "dovetail-trace")
GEN = os.path.join(ROOT, "tools", "dtrec-gen")
TRACE_CMD = shutil.which("trace-cmd")

STATE_BITS = ["inband_stalled", "oob_stalled", "stage_oob", "in_pipeline",
              "hard_off", "in_nmi", "in_hardirq", "task_oob"]

# -R prints a field in hex when the print fmt shows it in hex.
RAW = re.compile(r"^\s*(\S+)-(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d{9}):\s+(\w+):\s+"
                 r"pos=(\w+) (\w+)=(\w+) (\w+)=(\w+) state=(\w+)(?: (\w+)=(\w+))?\s*$")
# Each event names its argument slots (docs/export.md); arg2 may be split.
FIELDS = {"irq_post": ("irq", "stage", "coalesced"), "irq_play": ("irq", "stage"),
          "oob_handler_entry": ("irq", "arg2"), "oob_handler_exit": ("irq", "arg2"),
          "resume_inband": ("task", "rqlock_owner"),
          "oob_switch": ("prev", "next", "leave_inband"),
          "nmi_restore": ("stall_bits", "arg2"), "freeze": ("reason", "arg2")}
for _ev in ("leave_inband", "finalize_oob", "switched_oob", "leave_oob", "inband_tail"):
    FIELDS[_ev] = ("task", "arg2")
# The interval model's sections (docs/export.md), one event each.
SECTION = re.compile(r"^\s*(\S+)-(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d{9}):\s+section:\s+"
                     r"dur_ns=(\d+) pid=(\d+) irq=(\d+) kind=(\d+) stage=(\d+) open=(\d+)\s*$")
KINDS = ["stage_inband", "stage_oob", "stall_inband", "stall_oob", "hard_off",
         "stall_pending", "irq_wait", "task", "migrate_oob", "migrate_inband"]

pytestmark = pytest.mark.skipif(TRACE_CMD is None,
                                reason="trace-cmd is not installed (apt install trace-cmd)")


@pytest.fixture(scope="module", autouse=True)
def built():
    r = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "tools")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def gen(tmp_path, name, *args):
    path = tmp_path / (name + ".snap")
    with open(path, "wb") as f:
        subprocess.run([GEN] + list(args), stdout=f, check=True)
    return path


def decode(snap):
    out = subprocess.run([CLI, "decode", "--json", str(snap)], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)["events"]


def export(snap, dat):
    r = subprocess.run([CLI, "export", "--format", "tracedat", "-o", str(dat), str(snap)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return dat


def state_word(names):
    return sum(1 << STATE_BITS.index(n) for n in names)


def report_raw(dat, sections=None):
    r = subprocess.run([TRACE_CMD, "report", "-N", "-t", "-R", "-i", str(dat)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = []
    for line in r.stdout.splitlines():
        if line.startswith("cpus=") or not line.strip():
            continue
        m = SECTION.match(line)
        if m:
            if sections is not None:
                sections.append({"cpu": int(m.group(3)),
                                 "ns": int(m.group(4)) * 10**9 + int(m.group(5)),
                                 "dur": int(m.group(6)), "pid": int(m.group(7)),
                                 "irq": int(m.group(8)), "kind": KINDS[int(m.group(9))],
                                 "open": int(m.group(11))})
            continue
        if " sched_switch: " in line:
            continue        # derived from the sections, tested below
        m = RAW.match(line)
        assert m, "unexpected trace-cmd line: %r" % line
        ev = m.group(6)
        names = FIELDS.get(ev, ("arg", "arg2"))
        assert (m.group(8), m.group(10), m.group(13)) == \
            (names + (None,))[:3], "fields of %s: %r" % (ev, line)
        arg, arg2 = int(m.group(9), 0), int(m.group(11), 0)
        if ev == "irq_post":
            arg2 |= int(m.group(14), 0) << 8
        elif ev == "oob_switch":
            arg2 |= int(m.group(14), 0) << 31
        rows.append({"pid": int(m.group(2)), "cpu": int(m.group(3)),
                     "ns": int(m.group(4)) * 10**9 + int(m.group(5)),
                     "event": ev, "pos": int(m.group(7), 0),
                     "arg": arg, "arg2": arg2, "state": int(m.group(12), 0)})
    return rows


def expected(events):
    return [{"pid": e["pid"], "cpu": e["cpu"], "ns": e["ns"], "event": e["event"],
             "pos": e["pos"], "arg": e["arg"], "arg2": e["arg2"],
             "state": state_word(e["state"])} for e in events]


def check_round_trip(snap, dat):
    want = expected(decode(snap))
    got = report_raw(export(snap, dat))
    assert len(got) == len(want)
    # Per CPU the order is the ring's, whatever the clock did.
    for cpu in sorted({e["cpu"] for e in want}):
        assert [g for g in got if g["cpu"] == cpu] == [w for w in want if w["cpu"] == cpu]
    # Globally trace-cmd merges by timestamp; with no ties the order is ours.
    assert all(a["ns"] <= b["ns"] for a, b in zip(got, got[1:]))
    if len(set(w["ns"] for w in want)) == len(want):
        assert got == want
    else:
        assert sorted(got, key=lambda g: (g["ns"], g["cpu"], g["pos"])) == \
            sorted(want, key=lambda w: (w["ns"], w["cpu"], w["pos"]))
    return want, got


def test_header_is_version_6(tmp_path):
    dat = export(gen(tmp_path, "h", "--cpus", "1", "--events", "5"), tmp_path / "h.dat")
    head = dat.read_bytes()[:14]
    assert head[:10] == b"\x17\x08\x44tracing"
    assert head[10:12] == b"6\0"


def test_round_trip_many_pages_torn_stale(tmp_path):
    # 9000 events of 32 bytes span ~25 pages per CPU; damaged slots are
    # dropped on both sides.
    snap = gen(tmp_path, "big", "--cpus", "3", "--records", "4096", "--events", "9000",
               "--seed", "7", "--torn", "3", "--stale", "2")
    want, got = check_round_trip(snap, tmp_path / "big.dat")
    assert len(want) == 9000 - 5
    assert {g["cpu"] for g in got} == {0, 1, 2}


def test_round_trip_time_extend(tmp_path):
    # A 1 kHz clock makes every delta >= 1 ms and many > 2^27 ns.
    snap = gen(tmp_path, "slow", "--cpus", "2", "--records", "256", "--events", "300",
               "--seed", "3", "--clock-hz", "1000", "--ref-cycles", "2000000",
               "--ref-ns", "2000000000000")
    want, _ = check_round_trip(snap, tmp_path / "slow.dat")
    deltas = [b["ns"] - a["ns"] for a, b in zip(want, want[1:]) if a["cpu"] == b["cpu"]]
    assert max(deltas) >= 1 << 27


def test_print_formats_parse(tmp_path):
    snap = gen(tmp_path, "fmt", "--cpus", "2", "--events", "400", "--records", "256",
               "--seed", "11")
    events = decode(snap)
    r = subprocess.run([TRACE_CMD, "report", "-N", "-t", "-i",
                        str(export(snap, tmp_path / "fmt.dat"))],
                       capture_output=True, text=True, check=True)
    assert "FAILED TO PARSE" not in r.stdout
    lines = {}
    for ln in r.stdout.splitlines():
        m = re.match(r"^\s*\S+-\d+\s+\[(\d+)\]\s+(\d+)\.(\d{9}):\s+(\w+):\s+(.*)$", ln)
        if m:
            key = (int(m.group(1)), int(m.group(2)) * 10**9 + int(m.group(3)), m.group(4))
            lines.setdefault(key, []).append(m.group(5))
    sections = [v for k, vs in lines.items() if k[2] == "section" for v in vs]
    assert sections and all(re.match(r"kind=[a-z_]+ dur_ns=\d+ pid=\d+ irq=\d+ stage=[01] "
                                      r"open=(start|end|start\|end)?$", v) for v in sections)
    assert sum(len(v) for k, v in lines.items()
               if k[2] not in ("section", "sched_switch")) == len(events)

    def text(e):
        return lines[(e["cpu"], e["ns"], e["event"])]

    posts = [e for e in events if e["event"] == "irq_post"]
    assert posts
    for e in posts:
        assert any(t.startswith("irq=%d stage=%d coalesced=%d " % (
            e["arg"], e["arg2"] & 0xff, (e["arg2"] >> 8) & 1)) for t in text(e))
    switches = [e for e in events if e["event"] == "oob_switch"]
    assert switches
    for e in switches:
        assert any(t.startswith("prev=%d next=%d leave_inband=%d " % (
            e["arg"], e["arg2"] & 0x7fffffff, e["arg2"] >> 31)) for t in text(e))


def test_bad_snapshot_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.snap"
    bad.write_bytes(b"not a snapshot at all" * 4)
    r = subprocess.run([CLI, "export", "--format", "tracedat", "-o",
                        str(tmp_path / "bad.dat"), str(bad)], capture_output=True, text=True)
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_event_numbers_outside_the_table(tmp_path):
    # Records with event 0 and a number past the table keep their own
    # names ("none", "unknown") through trace-cmd, as decode shows them.
    import struct
    snap = gen(tmp_path, "odd", "--cpus", "1", "--records", "64", "--events", "20")
    data = bytearray(snap.read_bytes())
    header_size, = struct.unpack_from("<I", data, 12)
    rec_size, = struct.unpack_from("<I", data, 20)
    first = header_size + 16          # struct dtrec_snap_cpu, then slot 0
    struct.pack_into("<H", data, first + 28, 0)
    struct.pack_into("<H", data, first + rec_size + 28, 999)
    snap.write_bytes(bytes(data))
    want, _ = check_round_trip(snap, tmp_path / "odd.dat")
    assert [w["event"] for w in want[:2]] == ["none", "unknown"]


def test_round_trip_wrapped_rings(tmp_path):
    # 500 events into 64-slot rings: the window starts mid-stream (pos > 0).
    snap = gen(tmp_path, "wrap", "--cpus", "2", "--records", "64", "--events", "500",
               "--seed", "4", "--torn", "2")
    want, _ = check_round_trip(snap, tmp_path / "wrap.dat")
    assert len(want) == 2 * 64 - 2
    assert min(w["pos"] for w in want) >= 250 - 64


def sections_agree(snap, dat):
    """The section events say what stats and audit say: same counts, open
    ones apart, the same longest measured section of each kind."""
    secs = []
    report_raw(export(snap, dat), secs)
    stats = json.loads(subprocess.run([CLI, "stats", "--json", str(snap)],
                                      capture_output=True, text=True,
                                      check=True).stdout)["intervals"]
    for kind in KINDS:
        mine = [s for s in secs if s["kind"] == kind]
        if kind == "task":
            assert not mine      # tasks are not written as sections
            continue
        measured = [s for s in mine if not s["open"]]
        want = stats[kind]
        assert len(measured) == want["sections"], kind
        assert len(mine) - len(measured) == want["open"], kind
        if measured:
            top = max(measured, key=lambda s: s["dur"])
            assert top["dur"] == want["max_ns"], kind
    audit = json.loads(subprocess.run([CLI, "audit", "--json", str(snap)],
                                      capture_output=True, text=True).stdout)
    for key, kind in (("oob_stall", "stall_oob"), ("hard_off", "hard_off"),
                      ("inband_stall_pending", "stall_pending")):
        m = audit["measurements"][key]
        measured = [s for s in secs if s["kind"] == kind and not s["open"]]
        assert (len(measured), sum(1 for s in secs if s["kind"] == kind and s["open"])) == \
            (m["sections"], m["open"])
        assert max([s["dur"] for s in measured], default=0) == m["max_ns"]
    return secs


def test_sections_agree_with_audit_on_the_sample(tmp_path):
    secs = sections_agree(os.path.join(ROOT, "tests", "data", "sample.dtrec"),
                          tmp_path / "sample.dat")
    # The in-band stall held to the freeze is open, from its start to the
    # CPU's last record, not measured.
    cpu, since, last = sample_hold()
    open_stall = [s for s in secs if s["kind"] == "stall_inband" and s["cpu"] == cpu
                  and s["open"] & 2]
    assert len(open_stall) == 1 and open_stall[0]["dur"] == last - since


def test_sections_agree_with_audit_on_synthetic(tmp_path):
    for seed in (3, 11):
        sections_agree(gen(tmp_path, "s%d" % seed, "--cpus", "3", "--records", "512",
                           "--events", "3000", "--seed", str(seed), "--torn", "2",
                           "--stale", "1"), tmp_path / ("s%d.dat" % seed))


def tc(*args):
    r = subprocess.run([TRACE_CMD] + [str(a) for a in args], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def test_trace_cmd_treats_it_as_its_own(tmp_path):
    """The options section: --stat gives each CPU's lost (overrun) and
    damaged (dropped) counts, --uname the release, dump --summary a
    clock, and convert rewrites the file as trace-cmd's own."""
    snap = gen(tmp_path, "o", "--cpus", "2", "--records", "256", "--events", "1500",
               "--seed", "4", "--torn", "2", "--stale", "1", "--release", "6.6.0-opt-test")
    dat = export(snap, tmp_path / "o.dat")
    cpus = json.loads(subprocess.run([CLI, "stats", "--json", str(snap)], capture_output=True,
                                     text=True, check=True).stdout)["cpus"]
    rc, out = tc("report", "--stat", "-i", dat)
    assert rc == 0 and "No stats" not in out
    for c in cpus:
        block = out[out.index("CPU: %d\n" % c["cpu"]):]
        assert "overrun: %d\n" % c["lost"] in block
        assert "dropped events: %d\n" % (c["torn"] + c["stale"]) in block
        assert "read events: %d\n" % c["ok"] in block
    rc, out = tc("report", "--uname", "-i", dat)
    assert rc == 0 and "6.6.0-opt-test" in out and "not recorded" not in out
    rc, out = tc("dump", "--summary", "-i", dat)
    assert rc == 0 and "No tracing clock" not in out and "options]" in out
    conv = tmp_path / "conv.dat"
    rc, out = tc("convert", "-i", dat, "-o", conv)
    assert rc == 0, out
    assert report_raw(conv) == report_raw(dat)


def test_named_field_filters(tmp_path):
    """Filters on named fields select exactly the records with those
    values; the values are the sample's own (its timer IRQ, the task its
    oob switches hand over to)."""
    sample = os.path.join(ROOT, "tests", "data", "sample.dtrec")
    dat = export(sample, tmp_path / "f.dat")
    events = decode(sample)
    posts = [e for e in events if e["event"] == "irq_post"]
    irq = max({e["arg"] for e in posts}, key=lambda i: sum(e["arg"] == i for e in posts))
    for coalesced in (0, 1):
        want = [e for e in posts if e["arg"] == irq and bool(e["arg2"] & 0x100) == coalesced]
        rc, out = tc("report", "-F", "dovetail/irq_post: irq == %d && coalesced == %d"
                     % (irq, coalesced), "-i", dat)
        lines = [ln for ln in out.splitlines() if "irq_post:" in ln]
        assert rc == 0 and len(lines) == len(want)
        assert all("irq=%d stage=%d coalesced=%d" % (irq, e["arg2"] & 0xff, coalesced) in ln
                   for e, ln in zip(want, lines))
    switches = [e for e in events if e["event"] == "oob_switch" and e["arg2"] >> 31]
    nxt = (switches[0]["arg2"] & 0x7fffffff) if switches else None
    assert nxt is not None
    want = [e for e in switches if e["arg2"] & 0x7fffffff == nxt]
    rc, out = tc("report", "-F", "dovetail/oob_switch: next == %d && leave_inband == 1" % nxt,
                 "-i", dat)
    assert rc == 0 and len([ln for ln in out.splitlines() if "oob_switch:" in ln]) == len(want)


SWITCH = re.compile(r"^\s*\S+-(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d{9}):\s+sched_switch:\s+"
                    r"(\S+):(\d+) \[120\] R ==> (\S+):(\d+) \[120\]\s*$")


def test_sched_switch_follows_the_tasks(tmp_path):
    """sched/sched_switch, derived from the model's task sections: on each
    CPU the switches chain (each prev is the last next), each next is the
    pid of the records that follow it, and a task running with _TLF_OOB
    (TOOB) is named COMM:oob."""
    sample = os.path.join(ROOT, "tests", "data", "sample.dtrec")
    dat = export(sample, tmp_path / "sw.dat")
    rc, out = tc("report", "-t", "-F", "sched/sched_switch", "-i", dat)
    assert rc == 0
    switches = []
    for ln in out.splitlines():
        m = SWITCH.match(ln)
        if m:
            switches.append({"cpu": int(m.group(2)), "ns": int(m.group(3)) * 10**9 + int(m.group(4)),
                             "prev": int(m.group(6)), "prev_comm": m.group(5),
                             "next": int(m.group(8)), "next_comm": m.group(7)})
    assert len(switches) > 100
    events = decode(sample)
    for cpu in (0, 1):
        sw = [s for s in switches if s["cpu"] == cpu]
        evs = sorted((e for e in events if e["cpu"] == cpu), key=lambda e: e["pos"])
        assert all(a["next"] == b["prev"] and a["next_comm"] == b["prev_comm"]
                   for a, b in zip(sw, sw[1:]))
        for s in sw:
            after = [e for e in evs if e["ns"] == s["ns"]]
            assert after and after[0]["pid"] == s["next"]
            oob = "task_oob" in after[0]["state"]
            assert s["next_comm"].endswith(":oob") == oob
    assert any(s["next_comm"].endswith(":oob") for s in switches)
