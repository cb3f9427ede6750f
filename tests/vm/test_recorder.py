"""The recorder on a real kernel: self-test, stress, freeze, audit.

- the boot-time self-test passed and the overhead line was printed;
- stress: both CPUs generate every event class while altsched threads
  migrate and IRQs are posted and played; snapshots taken during the load
  and one of the frozen recorder decode with every CPU's sequence intact,
  and with torn or stale records only where the format allows them (the
  oldest slots, overwritten while the snapshot copied them, and the
  record a writer had in flight at the newest end);
- audit: clean fixture runs give no violation, each deliberate violation
  is found under its rule, at its marker;
- a panic freezes the recorder and the dump still holds the history.
"""
import json
import os
import re

import pytest

from tests.vm import fixture_guest as fg

# Records a CPU may have in flight at once: task, IRQ, oob IRQ, NMI.
MAX_NESTING = 4
TCG_LIMITS = ("--max-oob-stall", "60000000000",
              "--max-inband-stall-pending", "60000000000",
              "--max-hard-off", "60000000000")
MARK = {"R1": 0xbad1, "R3": 0xbad3, "R5": 0xbad5, "R6": 0xbad6}


@pytest.fixture(scope="module")
def guest(kernel, tmp_path_factory):
    why = fg.skip_reason(kernel)
    if why:
        pytest.skip(why)
    vm = fg.boot(kernel, str(tmp_path_factory.mktemp("rec")))
    try:
        yield vm
    finally:
        vm.stop()


def _decode(path):
    rc, out, err = fg.trace_tool("decode", "--all", "--json", path)
    assert rc == 0, err
    return json.loads(out)


def _check_sequences(tr, frozen):
    """Per CPU: positions contiguous, damage only at the edges."""
    by_cpu = {}
    for e in tr["events"]:
        by_cpu.setdefault(e["cpu"], []).append(e)
    assert set(by_cpu) == {c["cpu"] for c in tr["cpus"] if c["head"]}
    for c in tr["cpus"]:
        ev = sorted(by_cpu.get(c["cpu"], []), key=lambda e: e["pos"])
        pos = [e["pos"] for e in ev]
        assert pos == list(range(c["lost"], c["head"])), \
            "cpu %d: positions not contiguous" % c["cpu"]
        bad = [i for i, e in enumerate(ev) if e["status"] != "ok"]
        if frozen:
            assert not bad, "cpu %d: damaged records in a frozen ring: %s" % (
                c["cpu"], [ev[i] for i in bad[:5]])
            continue
        # Stale/torn: a prefix (overwritten during the copy) and at most
        # MAX_NESTING records at the newest end (being written).
        prefix = 0
        while prefix < len(ev) and ev[prefix]["status"] != "ok":
            prefix += 1
        tail = [i for i in bad if i >= prefix]
        assert all(i >= len(ev) - MAX_NESTING for i in tail), \
            "cpu %d: damaged records inside the ring: %s" % (
                c["cpu"], [ev[i] for i in tail[:5]])
        assert c["torn"] + c["stale"] == len(bad)


def test_selftest_passed(guest):
    # The kernel's own log, not the console's copy: a console that falls
    # behind a burst of boot messages may drop lines (seen once in CI on
    # 5.13), the printk ring keeps them.
    rc, log = guest.run("dmesg")
    assert rc == 0, log
    m = re.search(r"dovetail recorder selftest: (\S+) (\d+) checks", log)
    assert m and m.group(1) == "passed" and int(m.group(2)) > 0, log[-3000:]
    assert re.search(r"dovetail recorder: calibrated minimum event overhead:"
                     r" \d+\.\d{3} ns \(\d+ cycles\)", log)


def test_stress_sequences(guest, tmp_path):
    # Load on both CPUs at once: event bursts on each, round trips and oob
    # spins on CPU1, snapshots from CPU0 while all of it runs.
    load = ("for c in 0 1; do (taskset -c $c sh -c 'i=0; while [ $i -lt 40 ];"
            " do echo \"events 100\" > %s; i=$((i+1)); done') & done; "
            "echo 'roundtrip 1 50' > %s; echo 'spin 1 300' > %s; wait; "
            "touch /tmp/load.done" % (fg.CTL, fg.CTL, fg.CTL))
    guest.check("rm -f /tmp/load.done; (%s) >/dev/null 2>&1 &" % load)
    live = []
    for n in range(3):
        live.append(fg.snapshot(guest, str(tmp_path / ("live%d" % n))))
    guest.check("while [ ! -e /tmp/load.done ]; do sleep 1; done", 600)
    fg.freeze(guest)
    frozen = fg.snapshot(guest, str(tmp_path / "frozen"))
    guest.check("echo 0 > %s/freeze" % fg.RECORDER)
    for p in live:
        _check_sequences(_decode(p), frozen=False)
    tr = _decode(frozen)
    _check_sequences(tr, frozen=True)
    assert all(c["lost"] for c in tr["cpus"]), "load too small to wrap"


def test_every_event_class(guest, tmp_path):
    """A short run on a cleared recorder records every class the
    fixture can drive (under load, a ring only holds its last records)."""
    guest.check("echo 1 > %s/clear" % fg.RECORDER)
    pid, _ = fg.new_task(guest, "roundtrip 1 3", fg.expected(guest))
    fg.wait_tasks(guest, {pid: "done"})
    # Last and straight to the freeze: the console's own records would
    # soon push these out of CPU0's ring.
    guest.check("echo 'events 20' > %s; echo 1 > %s/freeze"
                % (fg.CTL, fg.RECORDER))
    tr = _decode(fg.snapshot(guest, str(tmp_path / "classes")))
    guest.check("echo 0 > %s/freeze" % fg.RECORDER)
    seen = {e["event"] for e in tr["events"] if e["status"] == "ok"}
    for ev in ("inband_stall", "inband_unstall", "oob_stall", "oob_unstall",
               "switch_oob", "switch_inband", "pipeline_entry",
               "pipeline_exit", "irq_post", "irq_play", "oob_handler_entry",
               "oob_handler_exit", "leave_inband", "finalize_oob",
               "switched_oob", "leave_oob", "resume_inband", "oob_switch",
               "inband_tail", "freeze", "mark"):
        assert ev in seen, "%s never recorded: %s" % (ev, sorted(seen))


def test_front_end_names_match_the_kernel(guest, kernel, tmp_path):
    """The names block drgn appends to a snapshot it extracts from a dump
    is the kernel's own for the same frozen rings: the same comms for
    every record, the same IRQs with the same name, chip, hwirq and
    meaning (x86: the kernel's vector number read as its name; arm64:
    the GIC's class and number)."""
    from tests.harness.dump import take
    guest.check("echo 1 > %s/clear" % fg.RECORDER)
    fg.ctl(guest, "roundtrip 1 3")
    fg.freeze(guest)
    try:
        ksnap = fg.snapshot(guest, str(tmp_path / "kernel.snap"))
        dump = take(guest, str(tmp_path / "vmcore"), "elf")
    finally:
        guest.check("echo 0 > %s/freeze" % fg.RECORDER)
    fsnap = str(tmp_path / "drgn.snap")
    fg.drgn_out(kernel, dump, "snapshot " + fsnap)
    os.unlink(dump)

    def names(path):
        rc, out, err = fg.trace_tool("stats", "--json", path)
        assert rc == 0, err
        return json.loads(out)["names"]

    kn, fn = names(ksnap), names(fsnap)
    assert kn and fn and kn["irqs"], (kn, fn)
    assert fn["irqs"] == kn["irqs"]
    assert all(q["chip"] for q in kn["irqs"]), kn["irqs"]
    arch = [q for q in kn["irqs"] if q["chip"] == "SIPIC" or q["chip"].startswith("GIC")]
    assert all(q["vector"] for q in arch), arch
    ke, fe = _decode(ksnap)["events"], _decode(fsnap)["events"]
    assert [(e["pos"], e.get("comm")) for e in fe] == [(e["pos"], e.get("comm")) for e in ke]
    assert any(e.get("comm") for e in ke)


def _audit(guest, tmp_path, name, cmd):
    guest.check("echo 1 > %s/clear" % fg.RECORDER)
    fg.ctl(guest, cmd)
    fg.freeze(guest)
    snap = fg.snapshot(guest, str(tmp_path / name))
    guest.check("echo 0 > %s/freeze" % fg.RECORDER)
    # The L limits are wall-clock thresholds, meaningless under TCG: only
    # the R rules are judged here (the limits have unit tests).
    rc, out, err = fg.trace_tool("audit", "--json", *TCG_LIMITS, snap)
    assert rc in (0, 3), err
    rep = json.loads(out)
    assert (rc == 3) == bool(rep["violations"] or rep["unlisted"])
    return rep, _decode(snap)


@pytest.mark.parametrize("cmd", ["events 50", "roundtrip 1 10", "spin 1 50"])
def test_audit_clean_run(guest, tmp_path, cmd):
    rep, tr = _audit(guest, tmp_path, "clean", cmd)
    assert len(tr["events"]) > 100
    assert rep["violations"] == [], rep["violations"][:3]


@pytest.mark.parametrize("rule", sorted(MARK))
def test_audit_finds_deliberate_violation(guest, tmp_path, rule):
    rep, tr = _audit(guest, tmp_path, rule, "violate " + rule)
    marks = [e for e in tr["events"] if e["event"] == "mark"
             and e["arg"] == MARK[rule]] or \
        [e for e in tr["events"] if e["arg"] == MARK[rule]]
    assert marks, "the fixture left no marker for %s" % rule
    hits = [v for v in rep["violations"] if v["rule"] == rule]
    assert hits, "%s not found: %s" % (rule, rep["violations"][:3])
    # Found where the fixture broke it: same CPU, next to the marker.
    m = marks[0]
    assert any(v["cpu"] == m["cpu"] and
               any(c["pos"] == m["pos"] or abs(c["pos"] - m["pos"]) <= 4
                   for c in v["context"]) for v in hits), (m, hits)
    # And nothing else was reported.
    assert {v["rule"] for v in rep["violations"]} == {rule}, rep["violations"]


def test_panic_freezes_recorder(kernel, tmp_path):
    """A panic freezes the rings (irq_pipeline_oops); the dump keeps them."""
    from tests.harness import VMError
    from tests.harness.dump import take
    why = fg.skip_reason(kernel)
    if why:
        pytest.skip(why)
    vm = fg.boot(kernel, str(tmp_path))
    try:
        fg.ctl(vm, "events 10")
        with pytest.raises(VMError, match="guest panicked"):
            fg.ctl(vm, "panic")
        # Whatever runs after the panic must not reach the rings.
        import time
        time.sleep(2)
        vm.qmp.execute("stop")
        dump = take(vm, str(tmp_path / "vmcore"), "elf")
        st = json.loads(fg.drgn_out(kernel, dump, "stats --json"))
        assert st["frozen"] and st["freeze_reason"] == "oops", st
        tr = json.loads(fg.drgn_out(kernel, dump, "trace --json --last 40"))
        ev = tr["events"]
        freeze = [e for e in ev if e["event"] == "freeze"]
        assert len(freeze) == 1 and freeze[0]["cpu"] == st["freeze_cpu"]
        # The freeze record is the last one of its CPU: nothing was
        # written after it, and the fixture's events precede it.
        mine = [e for e in ev if e["cpu"] == freeze[0]["cpu"]]
        assert mine[-1] is freeze[0]
        os.unlink(dump)
    finally:
        vm.stop()
