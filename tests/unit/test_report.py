"""Hang report (docs/report.md) on synthetic recorder memory assembled by
libdtrec's build API: one scenario per hang kind the fixture creates (the
in-band stage stalled forever with IRQs pending, the oob stage stalled
forever, a task stuck migrating), hard IRQs left off, a clean trace, the
verdict order and thresholds, damaged and empty input. Every expected
value is computed from the timestamps the test wrote (with a 2 GHz clock
and a reference point, so the conversion is not the identity)."""
import json
import os
import subprocess
import sys
import tempfile

import pytest

from dtrec_testlib import CLI, make, run_cli
from hangtrace import (COALESCED, HOFF, IS, OOB, OS, PIPE, TOOB, Recorder,
                       fmt_dur)

HZ = 2_000_000_000
MS = HZ // 1000                 # cycles per ms
T_END = 3000 * MS               # newest record: the freeze time
T_HANG = 500 * MS


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")


def recorder(**kw):
    kw.setdefault("clock_hz", HZ)
    kw.setdefault("ref_cycles", 5000)
    kw.setdefault("ref_ns", 10**9)
    kw.setdefault("nr_records", 1024)
    return Recorder(**kw)


def inband_irq(r, cpu, t, pid, irq):
    """A healthy in-band IRQ (x86 6.6 order): stall, entry, post, exit,
    sync (stall, play), unstall, back in task context."""
    for dt, ev, arg, st in ((0, "inband_stall", 0, IS | HOFF),
                            (10, "switch_oob", 0, IS | OOB | HOFF),
                            (20, "pipeline_entry", 0, IS | OOB | PIPE | HOFF),
                            (30, "irq_post", irq, IS | OOB | PIPE | HOFF),
                            (40, "inband_unstall", 0, OOB | PIPE | HOFF),
                            (50, "pipeline_exit", 0, OOB | PIPE | HOFF),
                            (60, "switch_inband", 0, HOFF),
                            (70, "inband_stall", 0, IS | HOFF),
                            (80, "irq_play", irq, IS | HOFF),
                            (90, "inband_unstall", 0, HOFF),
                            (100, "mark", 0, 0)):
        r.add(cpu, t + dt, pid, ev, arg, 0, st)


def busy(r, cpu, t0, t1, pid, step=200 * MS, irq=4355):
    t = t0
    while t + 100 <= t1:
        inband_irq(r, cpu, t, pid, irq)
        t += step
    r.add(cpu, t1, pid, "mark")


def report(r, *args, json_out=True, cmd="report"):
    """(exit status, stdout, stderr) of dovetail-trace report."""
    with tempfile.NamedTemporaryFile(prefix="hang", suffix=".snap") as f:
        f.write(r.stream())
        f.flush()
        p = run_cli(cmd, *(("--json",) if json_out else ()), *args, f.name)
    return p.returncode, p.stdout, p.stderr


def jreport(r, *args):
    rc, out, err = report(r, *args)
    assert err == "" and out.endswith("\n") and out.count("\n") == 1, err
    return rc, json.loads(out)


# --- the three hangs ----------------------------------------------------

def inband_hang(r):
    """CPU1: pid 241 stalls the in-band stage, posts IRQs 25-27 and keeps
    taking timer interrupts (4355) that can only be logged."""
    busy(r, 0, 1000 * MS, T_END, 1)
    busy(r, 1, 1000 * MS, T_HANG - 10 * MS, 2)
    r.add(1, T_HANG - 100, 241, "mark")
    t0 = r.add(1, T_HANG, 241, "inband_stall", state=IS)
    posts = [r.add(1, T_HANG + 10 * (i + 1), 241, "irq_post", irq, 0, IS | HOFF)
             for i, irq in enumerate((25, 26, 27))]
    t = T_HANG + 4 * MS
    first_timer = None
    while t < T_END - 100 * MS:
        r.add(1, t, 241, "switch_oob", state=IS | OOB | HOFF)
        r.add(1, t + 5, 241, "pipeline_entry", state=IS | OOB | PIPE | HOFF)
        r.add(1, t + 9, 241, "irq_post", 4355, 0 if first_timer is None else COALESCED,
              IS | OOB | PIPE | HOFF)
        first_timer = first_timer or t + 9
        r.add(1, t + 12, 241, "pipeline_exit", state=IS | OOB | PIPE | HOFF)
        r.add(1, t + 15, 241, "switch_inband", state=IS | HOFF)
        t += 100 * MS
    return t0, posts, first_timer


def test_inband_stalled_forever_with_pending_irqs():
    r = recorder()
    t0, posts, timer = inband_hang(r)
    rc, o = jreport(r)
    assert rc == 4
    freeze = r.ns(T_END)
    assert o["freeze_ns"] == freeze and o["source"] == "records"
    v, = o["verdicts"]
    assert (v["rule"], v["cpu"], v["pid"], v["comm"]) == ("inband_stall_pending", 1, 241, None)
    assert v["since_ns"] == r.ns(t0) and v["duration_ns"] == freeze - r.ns(t0)
    assert v["exact"] is True and v["pending"] == 4
    assert v["message"] == (
        "CPU1: in-band stage stalled for %s by pid 241, 4 IRQs pending, "
        "oldest for %s" % (fmt_dur(freeze - r.ns(t0)), fmt_dur(freeze - r.ns(posts[0]))))
    assert o["summary"] == v["message"]
    c1 = o["cpus"][1]
    assert c1["cpu"] == 1 and c1["state"] == "records" and c1["current"] == 241
    assert c1["inband_stall"] == {"state": True, "since_ns": r.ns(t0),
                                  "duration_ns": freeze - r.ns(t0),
                                  "exact": True, "pid": 241}
    assert c1["oob_stall"]["state"] is False
    # The last records are an IRQ frame: the return re-enables hard IRQs
    # without a record, so their state is unknown, not "off".
    assert c1["hard_irqs_off"]["state"] is None
    want = [(irq, r.ns(t)) for irq, t in zip((25, 26, 27), posts)] + [(4355, r.ns(timer))]
    assert [(p["stage"], p["irq"], p["posted_ns"], p["wait_ns"], p["exact"])
            for p in c1["pending"]] == [("inband", irq, ns, freeze - ns, True)
                                        for irq, ns in want]
    # CPU0 ends in task context with nothing pending: nothing to say.
    c0 = o["cpus"][0]
    assert c0["pending"] == [] and c0["inband_stall"]["state"] is False


def oob_hang(r):
    busy(r, 0, 1000 * MS, T_END, 1)
    busy(r, 1, 1000 * MS, T_HANG - 10 * MS, 2)
    r.add(1, T_HANG - 50, 300, "mark")
    t0 = r.add(1, T_HANG, 300, "oob_stall", state=OS | HOFF)
    r.add(1, T_HANG + 20, 300, "irq_post", 29, 1, OS | HOFF)
    r.add(1, T_HANG + 30, 300, "irq_post", 30, 1, OS | HOFF)
    return t0


def test_oob_stalled_forever():
    r = recorder()
    t0 = oob_hang(r)
    rc, o = jreport(r)
    assert rc == 4
    freeze, since = r.ns(T_END), r.ns(t0)
    v, = o["verdicts"]      # hard IRQs off too, but the oob stall says it
    assert (v["rule"], v["cpu"], v["pid"]) == ("oob_stall", 1, 300)
    assert (v["since_ns"], v["duration_ns"], v["exact"], v["pending"]) == \
        (since, freeze - since, True, 2)
    assert v["message"] == ("CPU1: oob stage stalled for %s by pid 300, hard IRQs "
                            "off: hard hang risk, 2 oob IRQs pending"
                            % fmt_dur(freeze - since))
    c1 = o["cpus"][1]
    assert c1["hard_irqs_off"] == {"state": True, "since_ns": since,
                                   "duration_ns": freeze - since, "exact": True,
                                   "pid": 300}
    assert [(p["stage"], p["irq"]) for p in c1["pending"]] == [("oob", 29), ("oob", 30)]
    assert c1["records"]["last_ns"] == r.ns(T_HANG + 30)


def stuck_hang(r, finalize=True):
    busy(r, 0, 1000 * MS, T_END, 1)
    busy(r, 1, 1000 * MS, T_HANG - 10 * MS, 2)
    r.add(1, T_HANG - 10, 77, "mark")
    t0 = r.add(1, T_HANG, 77, "leave_inband", 77, 0, IS)
    r.add(1, T_HANG + 5, 77, "inband_unstall")
    r.add(1, T_HANG + 8, 77, "inband_stall", state=IS)
    if finalize:
        r.add(1, T_HANG + 50, 0, "finalize_oob", 77, 0, IS | HOFF)
    r.add(1, T_HANG + 60, 0, "inband_unstall")
    busy(r, 1, T_HANG + 10 * MS, T_END - 50 * MS, 0)
    return t0


@pytest.mark.parametrize("finalize", [True, False], ids=["finalized", "never-finalized"])
def test_task_stuck_migrating(finalize):
    r = recorder()
    t0 = stuck_hang(r, finalize)
    rc, o = jreport(r)
    assert rc == 4
    freeze, since = r.ns(T_END), r.ns(t0)
    v, = o["verdicts"]
    assert (v["rule"], v["cpu"], v["pid"], v["since_ns"], v["duration_ns"], v["exact"]) == \
        ("stuck_migrating", 1, 77, since, freeze - since, True)
    assert v["message"] == ("CPU1: pid 77 stuck migrating to the oob stage for %s"
                            % fmt_dur(freeze - since))
    task, = o["cpus"][1]["tasks"]
    assert task == {"pid": 77, "comm": None, "class": "migrating",
                    "inflight": not finalize, "since_ns": since,
                    "duration_ns": freeze - since, "exact": True}


def test_hard_irqs_left_off():
    r = recorder()
    busy(r, 0, 1000 * MS, T_END, 1)
    busy(r, 1, 1000 * MS, T_HANG - 10 * MS, 2)
    r.add(1, T_HANG - 10, 88, "mark")
    t0 = r.add(1, T_HANG, 88, "mark", 1, 0, HOFF)
    rc, o = jreport(r)
    v, = o["verdicts"]
    since = r.ns(t0)
    assert rc == 4 and (v["rule"], v["cpu"], v["pid"], v["duration_ns"]) == \
        ("hard_irqs_off", 1, 88, r.ns(T_END) - since)
    assert v["message"] == "CPU1: hard IRQs off for %s by pid 88" % fmt_dur(r.ns(T_END) - since)


# --- no hang -------------------------------------------------------------

def clean(r):
    busy(r, 0, 1000 * MS, T_END, 1)
    busy(r, 1, 1000 * MS, 1500 * MS, 2)
    t = 1600 * MS
    # A complete in-band -> oob -> in-band round trip of pid 55.
    for dt, pid, ev, arg, arg2, st in (
            (0, 55, "leave_inband", 55, 0, IS),
            (5, 55, "inband_unstall", 0, 0, 0),
            (9, 0, "finalize_oob", 55, 0, IS | HOFF),
            (20, 0, "oob_switch", 0, 55, IS | OOB | HOFF),
            (30, 55, "switched_oob", 55, 0, OOB | TOOB | HOFF),
            (40, 55, "oob_stall", 0, 0, OOB | TOOB | OS | HOFF),
            (50, 55, "oob_unstall", 0, 0, OOB | TOOB | HOFF),
            (60, 55, "leave_oob", 55, 0, OOB | HOFF),
            (70, 55, "oob_switch", 55, 0, OOB | HOFF),
            (80, 0, "inband_tail", 0, 0, IS | HOFF),
            (90, 55, "resume_inband", 55, 0, 0)):
        r.add(1, t + dt, pid, ev, arg, arg2, st)
    # -ERESTARTSYS: left in-band, never switched out, carried on in-band.
    r.add(1, t + 200, 66, "leave_inband", 66, 0, IS)
    busy(r, 1, t + 300, 2000 * MS, 66, step=1 * MS)
    # Then idle, in-band stalled (as the idle loop is) with nothing pending.
    r.add(1, 2000 * MS + 10, 0, "inband_stall", state=IS)


def test_clean_trace_has_no_verdict():
    r = recorder(nr_records=8192)
    clean(r)
    rc, o = jreport(r)
    assert rc == 0, o["verdicts"]
    assert o["verdicts"] == [] and o["summary"] == "no hang signature"
    c1 = o["cpus"][1]
    assert c1["inband_stall"]["state"] is True and c1["pending"] == []
    assert c1["tasks"] == []
    rc, text, _ = report(r, json_out=False)
    assert rc == 0 and text.endswith("=== verdict ===\nno hang signature\n")


# --- order, thresholds, text ---------------------------------------------

def test_verdicts_in_priority_order():
    """CPU0 in-band stalled with a pending IRQ, CPU1 oob stalled, CPU2 runs
    on: the oob stall comes first whatever the durations."""
    r = recorder()
    oob_hang(r)
    r.cpus[0] = []
    busy(r, 0, 1000 * MS, 1200 * MS, 3)
    t0 = r.add(0, 1300 * MS, 5, "inband_stall", state=IS)
    r.add(0, 1300 * MS + 7, 5, "irq_post", 3, 0, IS | HOFF)
    busy(r, 2, 1000 * MS, T_END, 1)
    rc, o = jreport(r)
    assert rc == 4
    assert [(v["rule"], v["cpu"], v["pid"]) for v in o["verdicts"]] == \
        [("oob_stall", 1, 300), ("inband_stall_pending", 0, 5)]
    assert o["verdicts"][1]["duration_ns"] == r.ns(T_END) - r.ns(t0)
    assert o["summary"] == o["verdicts"][0]["message"]


def test_thresholds():
    r = recorder()
    t0, posts, _ = inband_hang(r)
    blocked = r.ns(T_END) - r.ns(posts[0])    # IRQs held back by the stall
    rc, o = jreport(r, "--inband-stall", blocked)
    assert rc == 4 and len(o["verdicts"]) == 1
    rc, o = jreport(r, "--inband-stall=%d" % (blocked + 1))
    assert rc == 0 and o["verdicts"] == []
    assert o["thresholds"] == {"oob_stall_ns": 10**7, "inband_stall_ns": blocked + 1,
                               "migrating_ns": 10**8, "hard_off_ns": 10**7}
    # Below the oob threshold, the hard IRQs left off still tell.
    r = recorder()
    t0 = oob_hang(r)
    over = r.ns(T_END) - r.ns(t0) + 1
    rc, o = jreport(r, "--oob-stall", over)
    assert rc == 4 and [(v["rule"], v["cpu"], v["pid"]) for v in o["verdicts"]] == \
        [("hard_irqs_off", 1, 300)]
    rc, o = jreport(r, "--oob-stall", over, "--hard-off", over)
    assert rc == 0 and o["verdicts"] == []


def test_text_pages():
    r = recorder()
    t0, posts, _ = inband_hang(r)
    rc, text, err = report(r, "--last", "4", json_out=False)
    assert rc == 4 and err == ""
    freeze = r.ns(T_END)
    pages = text.split("\n=== CPU ")
    assert len(pages) == 3 and pages[2].startswith("1 (state from the records) ===")
    page = pages[2]
    since = r.ns(t0)
    assert "in-band stage   stalled since %d.%09d (%s) by pid 241\n" % (
        since // 10**9, since % 10**9, fmt_dur(freeze - since)) in page
    assert "pending IRQs    4 in-band, 0 oob\n" in page
    assert "  in-band irq 25     ?                        posted %d.%09d, waiting %s\n" % (
        r.ns(posts[0]) // 10**9, r.ns(posts[0]) % 10**9,
        fmt_dur(freeze - r.ns(posts[0]))) in page
    # The last events are the trace printer's own lines.
    _, dec, _ = report(r, "--cpu", "1", "--last", "4", json_out=False, cmd="decode")
    assert page.split("last 4 events:\n")[1].split("\n=== verdict")[0] == dec
    assert text.endswith("=== verdict ===\n%s\n" % json.loads(
        report(r)[1])["summary"])


# --- damaged and empty input -----------------------------------------------

def test_torn_records():
    """A torn slot at the head (written when the machine died) is ignored;
    one in the middle starts a new window, so the stall is only known
    since the first record after it ("at least")."""
    r = recorder()
    t0, _, _ = inband_hang(r)
    r.add(1, T_END - 90 * MS, 241, "mark", seq=0)
    rc, o = jreport(r)
    v, = o["verdicts"]
    assert rc == 4 and v["since_ns"] == r.ns(t0) and v["exact"] is True
    assert o["cpus"][1]["records"]["torn"] == 1

    r = recorder()
    inband_hang(r)
    recs = r.cpus[1]
    mid = len(recs) - 20
    recs[mid][0] = 0                    # torn
    rc, o = jreport(r)
    v, = o["verdicts"]
    after = r.ns(recs[mid + 1][1])
    assert rc == 4 and v["since_ns"] == after and v["exact"] is False
    assert v["duration_ns"] == r.ns(T_END) - after
    assert "stalled for at least " in v["message"]
    assert o["cpus"][1]["records"]["window_ns"] == after


def one_line_error(rc, out, err, code=1):
    assert rc == code and out == ""
    assert err.count("\n") == 1 and err.startswith("dovetail-trace: "), err
    assert "Traceback" not in err


def test_empty_and_fully_torn_snapshots(tmp_path):
    r = recorder()
    r.cpus = {0: [], 1: []}
    one_line_error(*report(r))
    r = recorder()
    for cpu in (0, 1):
        for k in range(5):
            r.add(cpu, 1000 + k, 1, "mark", seq=0)
    rc, out, err = report(r)
    one_line_error(rc, out, err)
    assert "no valid record" in err
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    one_line_error(*(lambda p: (p.returncode, p.stdout, p.stderr))(
        run_cli("report", str(empty))))


def test_truncated_stream(tmp_path):
    r = recorder()
    inband_hang(r)
    data = r.stream()
    cut = tmp_path / "cut"
    cut.write_bytes(data[:len(data) - 700])
    p = run_cli("report", "--json", str(cut))
    one_line_error(p.returncode, p.stdout, p.stderr)


@pytest.mark.parametrize("args", [["--last", "x"], ["--bogus", "1"], ["--oob-stall"],
                                  ["--hard-off", "-5"]])
def test_bad_options_are_usage_errors(tmp_path, args):
    snap = tmp_path / "s"
    r = recorder()
    oob_hang(r)
    snap.write_bytes(r.stream())
    p = run_cli("report", *args, str(snap))
    one_line_error(p.returncode, p.stdout, p.stderr, code=2)


def test_help_documents_exit_status():
    p = subprocess.run([CLI, "-h"], capture_output=True, text=True)
    assert "4 report verdict naming a culprit" in p.stdout
    assert "--oob-stall NS" in p.stdout


def test_ctypes_binding_matches_cli():
    sys.path.insert(0, os.path.join(os.path.dirname(CLI), "..", "common"))
    from dtcore import libdtrec
    r = recorder()
    stuck_hang(r)
    text, n = libdtrec.report(r.stream(), None, ["--last", "3"], True)
    rc, out, _ = report(r, "--last", "3")
    assert (text, n) == (out, 1) and rc == 4
    with pytest.raises(libdtrec.DtrecError) as e:
        libdtrec.report(r.stream(), None, ["--last"], True)
    assert str(e.value) == "--last needs a value"
