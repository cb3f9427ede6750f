"""`report` in every front end on one fake target: the dtcore core (what
gdb's dt-report runs, on a FakeTarget), the drgn adapter (real drgn
objects over the same memory) and the crash extension (dovetail.so on the
crash stand-in, tests/unit/crashext_stub.c) must print the same bytes,
text and --json. The Python fake mirrors the stand-in's kernel (one CPU:
pid 42 "rt-thread" running oob with the oob stage stalled over swapper,
in-band stalled, IRQs 3 and 4355 pending in-band) and both get the same
two recorder rings, written here. The verdicts are checked against the
timestamps written."""
import json
import os
import subprocess
import sys

import pytest

from dtrec_testlib import ROOT, build_crash_stub, make
from hangtrace import HOFF, IS, OOB, OS, PIPE, TOOB, Recorder, fmt_dur

sys.path.insert(0, os.path.join(ROOT, "common"))
from dtcore import cli  # noqa: E402
from fake import FakeKernel  # noqa: E402

STAGE = 0x02000000
MS = 10**6                      # the stand-in's recorder runs at 1 GHz
EXT = os.path.join(ROOT, "crash-ext")
DEFS = "/usr/include/crash/defs.h"


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec")         # every front end here decodes through it


def scenario():
    r = Recorder(clock_hz=10**9, nr_records=64, event_mask=0xff, frozen=1)
    t = 1000 * MS
    r.add(0, t, 0, "mark")
    t_is = r.add(0, t + 10, 0, "inband_stall", state=IS)
    r.add(0, t + 20, 0, "switch_oob", state=IS | OOB | HOFF)
    r.add(0, t + 25, 0, "pipeline_entry", state=IS | OOB | PIPE | HOFF)
    t_p3 = r.add(0, t + 30, 0, "irq_post", 3, 0, IS | OOB | PIPE | HOFF)
    r.add(0, t + 35, 0, "pipeline_exit", state=IS | OOB | PIPE | HOFF)
    r.add(0, t + 40, 0, "switch_inband", state=IS | HOFF)
    r.add(0, t + 50, 0, "oob_switch", 0, 42, IS | OOB | HOFF)
    t_os = r.add(0, t + 60, 42, "oob_stall", state=OS | OOB | HOFF | TOOB)
    t_p4 = r.add(0, t + 70, 42, "irq_post", 4355, 0, OS | OOB | HOFF | TOOB)
    for k in range(20):
        r.add(1, 1000 * MS + k * 150 * MS, 101, "mark", k, 1)
    return r, t_is, t_p3, t_os, t_p4


def python_kernel(r):
    fk = FakeKernel(ncpus=1, release="6.6.69-dovetail", oob_name="EVL")
    rt = fk.task(42, "rt-thread", status=0x70, tif=1 << 26, stall_bits=2)
    fk.set_cpu(0, current=rt, owner=fk.init, preempt=STAGE, rqlock=fk.init)
    fk.set_log(0, 0, 3, {"index_1": {0: 1, 1: 1 << 4},
                         "flat": {0: 1 << 3, 68: 1 << 3}})
    fk.set_map_ptr(0, 1, 0)
    r.install(fk)
    return fk


def run_py(target, *args):
    out, err = [], []
    rc = cli.execute(target, "report", list(args), out.append, err.append)
    return rc, "\n".join(out) + "\n", err


DRIVER = r"""
import ctypes, json, sys
stub = ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_GLOBAL)
stub.stub_setup_recorder(2, 64, 0)
stub.stub_setup_pipeline(0)
stub.stub_setup_tasks()
u, q = ctypes.c_uint, ctypes.c_ulonglong
stub.stub_ring_write.argtypes = [u, q, q, q, u, u, u, u, u]
for rec in json.load(open(sys.argv[3])):
    stub.stub_ring_write(*rec)
ctypes.CDLL(sys.argv[2])          # the constructor registers `dovetail`
stub.stub_run.restype = ctypes.c_char_p
for i, cmd in enumerate(sys.argv[5:]):
    argv = ["dovetail"] + cmd.split()
    arr = (ctypes.c_char_p * len(argv))(*[a.encode() for a in argv])
    err = stub.stub_run(("%s.%d" % (sys.argv[4], i)).encode(), len(argv), arr)
    print(json.dumps(err.decode()))
"""


@pytest.fixture(scope="module")
def crash_outputs(tmp_path_factory):
    """The stand-in's outputs for CMDS, or a skip reason."""
    if not os.path.exists(DEFS):
        return None
    tmp = tmp_path_factory.mktemp("crash")
    r = subprocess.run(["make", "-s", "-C", EXT], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    stub = build_crash_stub(tmp)
    rec = scenario()[0]
    recs = [[cpu, pos] + list(x) for cpu, lst in rec.cpus.items()
            for pos, x in enumerate(lst)]
    (tmp / "recs.json").write_text(json.dumps(recs))
    p = subprocess.run([sys.executable, "-c", DRIVER, str(stub),
                        os.path.join(EXT, "dovetail.so"), str(tmp / "recs.json"),
                        str(tmp / "out")] + CMDS, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    errs = [json.loads(line) for line in p.stdout.splitlines()]
    return {cmd: (errs[i], (tmp / ("out.%d" % i)).read_text())
            for i, cmd in enumerate(CMDS)}


CMDS = ["report --json", "report", "report --json --last 3 --oob-stall 1000000000000",
        "report --bogus 1"]


def test_report_is_identical_in_every_front_end(crash_outputs):
    r, t_is, t_p3, t_os, t_p4 = scenario()
    fk = python_kernel(r)
    from test_dtcore_drgn import _program, drgn  # noqa: F401  (skips without drgn)
    from dtcore.drgntarget import DrgnTarget
    dt = DrgnTarget(_program(fk))
    for cmd in CMDS[:3]:
        args = cmd.split()[1:]
        rc, want, err = run_py(fk.t, *args)
        assert err == [], err
        assert rc == 4, (cmd, want)
        assert run_py(dt, *args)[:2] == (rc, want), cmd
        if crash_outputs is not None:
            cerr, cout = crash_outputs[cmd]
            assert cerr == "" and cout == want, "%s\ncrash: %s%s\ndtcore: %s" % (
                cmd, cerr, cout, want)

    o = json.loads(run_py(fk.t, "--json")[1])
    freeze = r.ns(r.newest_ts())
    assert o["source"] == "live" and o["freeze_ns"] == freeze and o["frozen"] is True
    assert [(c["cpu"], c["state"]) for c in o["cpus"]] == [(0, "live"), (1, "records")]
    c0 = o["cpus"][0]
    assert (c0["stage"], c0["current"], c0["pipeline_entry"]) == ("oob", 42, False)
    assert c0["pending"] == [
        {"stage": "inband", "irq": 3, "name": None, "vector": None, "posted_ns": r.ns(t_p3),
         "wait_ns": freeze - r.ns(t_p3), "exact": True},
        {"stage": "inband", "irq": 4355, "name": None, "vector": None, "posted_ns": r.ns(t_p4),
         "wait_ns": freeze - r.ns(t_p4), "exact": True}]
    assert c0["tasks"] == [{"pid": 42, "comm": "rt-thread", "class": "oob-running",
                            "inflight": False, "since_ns": None,
                            "duration_ns": None, "exact": False}]
    oob, inb = o["verdicts"]
    d_os, d_is, d_p3 = freeze - r.ns(t_os), freeze - r.ns(t_is), freeze - r.ns(t_p3)
    assert (oob["rule"], oob["cpu"], oob["pid"], oob["comm"], oob["duration_ns"]) == \
        ("oob_stall", 0, 42, "rt-thread", d_os)
    assert oob["message"] == ("CPU0: oob stage stalled for %s by pid 42 (rt-thread), "
                              "hard IRQs off: hard hang risk" % fmt_dur(d_os))
    # The in-band owner of the dump (swapper) holds the stall the records
    # saw begin; records of the oob task do not speak for the in-band stage.
    assert (inb["rule"], inb["pid"], inb["comm"], inb["since_ns"], inb["exact"]) == \
        ("inband_stall_pending", 0, "swapper/0", r.ns(t_is), True)
    assert inb["message"] == ("CPU0: in-band stage stalled for %s by pid 0 (swapper/0), "
                              "2 IRQs pending, oldest for %s" % (fmt_dur(d_is), fmt_dur(d_p3)))

    rc, text, _ = run_py(fk.t)
    assert text.splitlines()[-3:] == ["=== verdict ===",
                                      oob["message"] + "   <- most likely culprit",
                                      inb["message"]]
    assert "current         pid 42 (rt-thread), oob-running\n" in text

    o = json.loads(run_py(fk.t, "--json", "--last", "3", "--oob-stall", "1000000000000")[1])
    assert [v["rule"] for v in o["verdicts"]] == ["inband_stall_pending", "hard_irqs_off"]
    assert [len(c["last_events"]) for c in o["cpus"]] == [3, 3]


def test_bad_option_is_one_line_everywhere(crash_outputs):
    r = scenario()[0]
    fk = python_kernel(r)
    rc, out, err = run_py(fk.t, "--bogus", "1")
    assert rc == 1 and out == "\n" and len(err) == 1
    assert err[0].startswith("dovetail: dovetail report: unrecognized arguments")
    if crash_outputs is not None:
        cerr, cout = crash_outputs["report --bogus 1"]
        assert cout == "" and cerr.strip() == (
            "report: unknown report option '--bogus' (--last, --oob-stall, "
            "--inband-stall, --migrating, --hard-off)")


def runaway_kernel(recorder=None):
    """The issue's dump: CPU1 on the oob stage running a spinning oob
    thread, its in-band log holding a CALL_FUNCTION_SINGLE IPI and a
    timer tick; CPU0 in-band with a task stuck mid-migration."""
    fk = FakeKernel(ncpus=2, release="6.6.69-dovetail")
    spin = fk.task(50, "dtfix-spin/1", status=0x10 | 0x20, stall_bits=0, cpu=1)
    stuck = fk.task(49, "dtfix-stuck/0", status=0x20 | 0x40, stall_bits=0)
    fk.t.put(fk.init, "struct task_struct", "stall_bits", 0)   # in-band unstalled
    fk.set_cpu(1, current=spin, owner=fk.init, preempt=STAGE)
    fk.set_cpu(0, inflight=stuck)
    fk.irq(260, "Local timer", hwirq=0xec - 0xe9, sipic=True)
    fk.irq(261, None, hwirq=0xfb - 0xe9, sipic=True)
    fk.set_log(1, 0, 1, {"index_1": {0: 1 << 4}, "flat": {4: 0b11 << 4}})
    if recorder:
        recorder.install(fk)
    return fk


def test_report_without_recorder_names_the_culprit():
    """No recorder: one page per CPU from the state, durations unknown,
    and the verdict the state alone supports."""
    fk = runaway_kernel()
    rc, out, err = run_py(fk.t, "--json")
    assert rc == 4 and err == [], (out, err)
    o = json.loads(out)
    assert (o["source"], o["freeze_ns"], o["release"]) == ("state", None, "6.6.69-dovetail")
    assert o["no_records"].startswith("recorder compiled out")
    c1 = o["cpus"][1]
    assert (c1["stage"], c1["current"], c1["current_class"], c1["records"]) == \
        ("oob", 50, "oob-running", None)
    assert [(p["irq"], p["wait_ns"]) for p in c1["pending"]] == [(260, None), (261, None)]
    rules = [(v["rule"], v["cpu"], v["pid"], v["duration_ns"]) for v in o["verdicts"]]
    assert rules == [("oob_thread", 1, 50, None), ("ipi_blocked", 1, None, None),
                     ("stuck_migrating", 0, 49, None)], rules
    assert o["verdicts"][0]["message"] == (
        "CPU1: oob thread pid 50 (dtfix-spin/1) holds the CPU, 2 in-band IRQs "
        "pending (duration unknown: no records)")
    assert o["verdicts"][1]["message"] == (
        "CPU1: IPI CALL_FUNCTION_SINGLE_VECTOR (irq 261) pending in-band on a CPU "
        "that cannot take it: oob thread pid 50 (dtfix-spin/1) holds it "
        "(duration unknown: no records)")
    rc, text, _ = run_py(fk.t)
    assert "state from the dump alone: durations are unknown" in text
    assert "current         pid 50 (dtfix-spin/1), oob-running\n" in text
    assert text.splitlines()[-3].endswith("<- most likely culprit")
    # The drgn adapter prints the same bytes.
    from test_dtcore_drgn import _program, drgn  # noqa: F401  (skips without drgn)
    from dtcore.drgntarget import DrgnTarget
    assert run_py(DrgnTarget(_program(fk)), "--json")[:2] == (rc, out)


def test_report_on_empty_rings_uses_the_state():
    empty = Recorder(clock_hz=10**9, nr_records=64)
    empty.cpus = {0: [], 1: []}
    fk = python_kernel(empty)
    rc, out, err = run_py(fk.t, "--json")
    o = json.loads(out)
    assert rc == 4 and err == [] and o["source"] == "state"
    assert o["no_records"] == "no valid record"
    # The oob stall (it says the oob thread's story too) and the in-band
    # stall with IRQs pending, both undated.
    assert [(v["rule"], v["pid"], v["duration_ns"]) for v in o["verdicts"]] == \
        [("oob_stall", 42, None), ("inband_stall_pending", 0, None)]
    assert o["verdicts"][0]["message"] == (
        "CPU0: oob stage stalled by pid 42 (rt-thread), hard IRQs unknown: hard "
        "hang risk (duration unknown: no records)")


def test_dump_and_records_disagree():
    """The records end with CPU1's in-band stage unstalled, the dump
    shows it stalled: the page says so, and the dump's value is used."""
    r = Recorder(clock_hz=10**9, nr_records=64)
    for k in range(5):
        r.add(0, 1000 * MS + k * MS, 0, "mark")
        r.add(1, 1000 * MS + k * MS, 0, "mark")
    r.add(0, 2000 * MS, 0, "mark")
    fk = FakeKernel(ncpus=2)
    r.install(fk)
    rc, out, _ = run_py(fk.t, "--json")
    o = json.loads(out)
    d, = o["cpus"][1]["disagree"]
    assert (d["what"], d["dump"], d["records"]) == ("inband_stall", True, False)
    assert d["why"] == ("the CPU's last record is 996.000 ms older than the freeze: "
                        "the state changed after it, the dump is newer")
    assert o["cpus"][1]["inband_stall"]["state"] is True
    rc, text, _ = run_py(fk.t)
    assert ("sources differ  in-band stage: the dump says stalled, the records "
            "unstalled (%s); the dump's is used" % d["why"]) in text


def test_migrating_task_seen_in_the_dump():
    """The dump shows a task migrating whose LEAVE_INBAND is older than the
    ring: it is stuck for at least the span of its CPU's records."""
    r = Recorder(clock_hz=10**9, nr_records=64)
    for k in range(10):
        r.add(0, 1000 * MS + k * 100 * MS, 0, "mark")
    fk = FakeKernel(ncpus=1)
    fk.task(49, "dtfix-stuck/0", status=0x20 | 0x40)      # DOVETAIL|OFFSTAGE
    r.install(fk)
    rc, out, err = run_py(fk.t, "--json")
    o = json.loads(out)
    v, = o["verdicts"]
    span = r.ns(r.newest_ts()) - r.ns(r.oldest_ts(0))
    assert rc == 4 and (v["rule"], v["pid"], v["comm"], v["duration_ns"], v["exact"]) == \
        ("stuck_migrating", 49, "dtfix-stuck/0", span, False)
    assert v["message"] == ("CPU0: pid 49 (dtfix-stuck/0) stuck migrating to the oob "
                            "stage for at least %s" % fmt_dur(span))
