"""The three front ends against the fixture's known pipeline states.

One guest per (kernel, KASLR) is put into a known state by the fixture: the
dtfix oob stage registered, a kthread parked out-of-band and another stuck
migrating on CPU0, finished round trips, generated events, and CPU1 held
with both stages stalled and two IRQs pending in each log. The recorder is
frozen and the guest stopped, then:

- gdb over the gdbstub, gdb on the ELF dump, and drgn and crash on an ELF
  and a kdump dump of that same stopped guest print `stages`, `irqs`,
  `tasks` and `trace` as JSON, and all six outputs must be byte identical;
- the decoded values must equal what the fixture says it set up
  (debugfs dovetail/fixture/expected).
"""
import json
import os

import pytest

from tests.harness.dump import formats, take
from tests.vm import fixture_guest as fg

CMDS = ("stages --json", "irqs --json", "tasks --json", "trace --json")
DUMPS = ("elf", "kdump-zlib")


@pytest.fixture(scope="module", params=[False, True], ids=["nokaslr", "kaslr"])
def state(kernel, request, tmp_path_factory):
    why = fg.skip_reason(kernel)
    if why:
        pytest.skip(why)
    if not kernel.crash_skip_reason():
        fg.build_crash_ext()
    d = tmp_path_factory.mktemp("fixture")
    # Rings big enough to keep the whole setup: the console alone writes
    # thousands of records per command.
    def setup(vm):
        r = fg.known_state(vm)
        fg.freeze(vm)
        return r
    vm, (exp, pids) = fg.boot_into(kernel, str(d), setup, kaslr=request.param,
                                   append="dovetail_recorder=131072")
    try:
        vm.pause()                  # every reader sees the same instant
        dumps = {f: take(vm, str(d / ("vmcore." + f)), f)
                 for f in formats(kernel, DUMPS)}
        out = {"gdb": fg.gdb_json(vm, CMDS),
               "gdb-elf": fg.gdb_core_out(kernel, dumps["elf"], CMDS,
                                          kaslr=request.param)}
        for f, path in dumps.items():
            out["drgn-" + f] = {c: fg.drgn_out(kernel, path, c) for c in CMDS}
            if not kernel.crash_skip_reason():
                out["crash-" + f] = fg.crash_out(kernel, path, CMDS)
        yield dict(pids, exp=exp, out=out)
        for p in dumps.values():
            os.unlink(p)
    finally:
        vm.stop()


def _one(text, cmd):
    line = fg.one_json_line(text, cmd)
    obj = json.loads(line)
    assert obj["command"] == cmd.split()[0]
    return line, obj


@pytest.mark.parametrize("cmd", CMDS)
def test_front_ends_agree(state, cmd):
    ref, _ = _one(state["out"]["gdb"][cmd], cmd)
    for who, outs in state["out"].items():
        got, _ = _one(outs[cmd], cmd)
        assert got == ref, "%s `%s` differs from gdb:\n%s\n%s" % (
            who, cmd, got[:3000], ref[:3000])


def _cpu(objs, cpu):
    return next(c for c in objs["cpus"] if c["cpu"] == cpu)


def test_stages_match_fixture(state):
    exp = state["exp"]
    _, st = _one(state["out"]["gdb"]["stages --json"], "stages")
    assert st["oob_stage"] == {"present": True, "name": exp["oob_stage"]}
    assert exp["holds"], "the fixture holds nothing"
    for h in exp["holds"]:
        c = _cpu(st, h["cpu"])
        assert c["inband_stalled"] == h["inband_stalled"]
        assert c["oob_stalled"] == h["oob_stalled"]
        # An oob stall is held with hard IRQs off; the vCPU flags say so.
        if h["oob_stalled"]:
            assert c["hard_irqs"] == "off"
        # The holder is the in-band task on that CPU, and current.
        assert c["inband_owner"] == c["current"] == h["pid"]


def test_irqs_match_fixture(state):
    exp = state["exp"]
    _, irqs = _one(state["out"]["gdb"]["irqs --json"], "irqs")
    assert exp["pending"], "the fixture posted nothing"
    for p in exp["pending"]:
        stage = next(s for s in _cpu(irqs, p["cpu"])["stages"]
                     if s["stage"] == p["stage"])
        assert stage["present"]
        pend = {i["irq"]: i["name"] for i in stage["pending"]}
        assert pend.get(p["irq"]) == p["name"], (p, stage)
    for c in irqs["cpus"]:
        for s in c["stages"]:
            assert s["consistent"], (c["cpu"], s)
    # IRQs the fixture never posted are absent from every log.
    posted = {(p["cpu"], p["stage"], p["irq"]) for p in exp["pending"]}
    for c in irqs["cpus"]:
        for s in c["stages"]:
            for i in s["pending"]:
                if i["irq"] in exp["irqs"]["inband"] + exp["irqs"]["oob"]:
                    assert (c["cpu"], s["stage"], i["irq"]) in posted, i


def test_tasks_match_fixture(state):
    exp = state["exp"]
    _, tasks = _one(state["out"]["gdb"]["tasks --json"], "tasks")
    by_pid = {t["pid"]: t for t in tasks["tasks"]}
    live = [t for t in exp["tasks"] if t["class"] != "done"]
    assert {t["class"] for t in live} == {"oob-blocked", "migrating"}
    for t in live:
        got = by_pid.get(t["pid"])
        assert got, "task %d missing from %s" % (t["pid"], sorted(by_pid))
        assert (got["comm"], got["cpu"], got["class"]) == \
            (t["comm"], t["cpu"], t["class"])
    # A finished thread has dropped every Dovetail flag.
    assert state["trip"] not in by_pid


def test_trace_matches_fixture(state):
    exp = state["exp"]
    _, tr = _one(state["out"]["gdb"]["trace --json"], "trace")
    ev = tr["events"]
    assert ev and all(e["status"] == "ok" for e in ev)
    # Every IRQ the hold posted appears as a post on its CPU, and is never
    # played afterwards (the stage stays stalled).
    for p in exp["pending"]:
        posts = [i for i, e in enumerate(ev) if e["event"] == "irq_post"
                 and e["cpu"] == p["cpu"] and e["arg"] == p["irq"]]
        assert posts, "no irq_post of %s" % p
        assert not [e for e in ev[posts[-1]:] if e["event"] == "irq_play"
                    and e["cpu"] == p["cpu"] and e["arg"] == p["irq"]], p
    # The round trips: as many leave_inband as completed trips by that pid
    # unless the ring wrapped over the oldest ones.
    trips = next(t["trips"] for t in exp["tasks"] if t["pid"] == state["trip"])
    leaves = [e for e in ev if e["event"] == "leave_inband"
              and e["pid"] == state["trip"]]
    wrapped = any(c["lost"] for c in tr["cpus"])
    assert len(leaves) == trips or (wrapped and len(leaves) <= trips)
    # The parked thread left in-band and switched in oob; the stuck one
    # left in-band and never did.
    for pid, switched in ((state["park"], True), (state["stuck"], False)):
        mine = [e["event"] for e in ev if e["pid"] == pid]
        assert "leave_inband" in mine, (pid, mine[-20:], tr["cpus"])
        assert ("switched_oob" in mine) == switched, (pid, mine)
    # In time order, per CPU positions strictly increasing.
    last = {}
    for e in ev:
        assert e["pos"] > last.get(e["cpu"], -1)
        last[e["cpu"]] = e["pos"]
