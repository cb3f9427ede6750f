"""Worst-case capture on a real kernel (docs/maxima.md).

The fixture spins sections of known lengths on CPU1, between marks that
carry a tag (`section KIND US TAG`), in a chosen order:

- the kernel's max area of the metric holds the longest one: its mark is
  in the area, its length is at least the spin and under the next one;
- the length the kernel measured equals the interval model's measurement
  of the same records (libdtrec on the max view);
- a threshold (debugfs, then the boot parameter) freezes the recorder at
  the first section that crosses it, saying which metric and how long;
- the API freeze carries its note and value into report;
- drgn, gdb and crash read the same areas from a dump and report them as
  the kernel's own snapshot does.

Lengths are hundreds of milliseconds of the emulated TSC, far above what
the guest does on its own under TCG (a few ms at worst on a loaded host),
so no natural section competes.
"""
import json
import os

import pytest

from tests.vm import fixture_guest as fg

START, END = 0xf1c5, 0xf1ce
# (fixture kind, metrics it is measured as, interval kind of each metric)
KINDS = {
    "oob_stall": ["oob_stall"],
    "hard_off": ["hard_off"],
    "pending": ["stall_pending", "wait_inband"],
}
IV_KIND = {"oob_stall": "stall_oob", "hard_off": "hard_off",
           "stall_pending": "stall_pending", "wait_inband": "irq_wait"}
# In this order: the second is the longest.
SECTIONS_MS = [(1, 100), (2, 300), (3, 200)]


def _has_max(guest):
    rc, _ = guest.run("test -e %s/max" % fg.RECORDER)
    return rc == 0


@pytest.fixture(scope="module")
def guest(kernel, tmp_path_factory):
    why = fg.skip_reason(kernel)
    if why:
        pytest.skip(why)
    vm = fg.boot(kernel, str(tmp_path_factory.mktemp("max")))
    try:
        if not _has_max(vm):
            pytest.skip("kernel %s was built before worst-case capture "
                        "(no debugfs recorder/max): make kernel" % kernel.name)
        yield vm
    finally:
        vm.stop()


def _section(guest, kind, ms, tag):
    guest.check("taskset -c 1 sh -c 'echo \"section %s %d %d\" > %s'"
                % (kind, ms * 1000, tag, fg.CTL), timeout=120)


def _fresh(guest):
    guest.check("echo 0 > %s/freeze; echo 1 > %s/clear" % (fg.RECORDER, fg.RECORDER))
    for m in IV_KIND:
        guest.check("echo '%s 0' > %s/threshold" % (m, fg.RECORDER))


def _tool_json(*args):
    rc, out, err = fg.trace_tool(*args)
    assert rc in (0, 3, 4), err
    return json.loads(out)


def _area(doc, metric, cpu=1):
    got = [a for a in doc["max"]["areas"] if a["metric"] == metric and a["cpu"] == cpu]
    assert len(got) == 1, doc["max"]["areas"]
    return got[0]


def _tags(events, arg):
    return [e["arg2"] for e in events if e["event"] == "mark" and e["arg"] == arg]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_area_holds_the_longest_section(guest, tmp_path, kind):
    _fresh(guest)
    for tag, ms in SECTIONS_MS:
        _section(guest, kind, ms, tag)
    snap = fg.snapshot(guest, str(tmp_path / "max.snap"))
    longest = max(ms for _, ms in SECTIONS_MS)
    runner_up = sorted(ms for _, ms in SECTIONS_MS)[-2]
    for metric in KINDS[kind]:
        trace = _tool_json("decode", "--json", "--max=" + metric, snap)
        area = _area(trace, metric)
        assert not area["cut"], area
        assert longest * 10**6 <= area["ns"] < (2 * longest - runner_up) * 10**6, area
        ev = [e for e in trace["events"] if e["cpu"] == 1]
        inside = [e for e in ev if area["start_pos"] <= e["pos"] <= area["end_pos"]]
        # Its own start mark is the context right before it, and no other
        # section's mark is in it.
        assert _tags(ev, START) == [2], _tags(ev, START)
        assert not [t for t in _tags(inside, END) if t != 2]
        assert inside[0]["pos"] == area["start_pos"] and inside[-1]["pos"] == area["end_pos"]
        # The kernel's length is the interval model's on the same records.
        stats = _tool_json("stats", "--json", "--max=" + metric, snap)
        iv = stats["intervals"][IV_KIND[metric]]
        assert iv["max_ns"] == area["ns"] and iv["cpu"] == 1, (iv, area)
        audit = _tool_json("audit", "--json", "--max=" + metric, snap)
        assert audit["max"]["metrics"] == [metric]


def test_report_shows_the_captured_section(guest, tmp_path):
    _fresh(guest)
    for tag, ms in SECTIONS_MS:
        _section(guest, "oob_stall", ms, tag)
    snap = fg.snapshot(guest, str(tmp_path / "rep.snap"))
    rep = _tool_json("report", "--json", "--last", "4", snap)
    area = [a for a in rep["maxima"] if a["metric"] == "oob_stall" and a["cpu"] == 1]
    assert len(area) == 1 and area[0]["ns"] >= 300 * 10**6, rep["maxima"]
    ev = area[0]["events"]
    assert [e["event"] for e in ev if area[0]["start_pos"] <= e["pos"] <= area[0]["end_pos"]] \
        == ["oob_stall", "oob_unstall"]
    assert ev[0]["pos"] == area[0]["start_pos"] - 4          # --last 4 of context
    assert _tags(ev, START) == [2]
    rc, text, err = fg.trace_tool("report", snap)
    assert rc in (0, 4), err
    assert "=== captured worst cases (the kernel's max areas) ===" in text
    assert any(l.startswith("  cpu 1   oob_stall ") for l in text.splitlines())


def test_threshold_freezes_at_the_first_crossing(guest, tmp_path):
    _fresh(guest)
    guest.check("echo 'oob_stall 250000000' > %s/threshold" % fg.RECORDER)
    assert "oob_stall 250000000" in guest.check("cat %s/threshold" % fg.RECORDER)
    try:
        for tag, ms in [(11, 100), (12, 350), (13, 450)]:
            _section(guest, "oob_stall", ms, tag)
        assert guest.check("cat %s/freeze" % fg.RECORDER).strip() == "1"
        snap = fg.snapshot(guest, str(tmp_path / "thr.snap"))
    finally:
        _fresh(guest)
    stats = _tool_json("stats", "--json", snap)
    assert stats["freeze_reason"] == "threshold" and stats["freeze_cpu"] == 1
    assert stats["freeze_metric"] == "oob_stall"
    assert 350 * 10**6 <= stats["freeze_value_ns"] < 450 * 10**6
    ev = [e for e in _tool_json("decode", "--json", snap)["events"] if e["cpu"] == 1]
    assert _tags(ev, START) == [11, 12]              # stopped before the third
    assert ev[-1]["event"] == "freeze"
    rep = _tool_json("report", "--json", snap)
    assert rep["freeze_metric"] == "oob_stall" and rep["freeze_value_ns"] == stats["freeze_value_ns"]
    rc, text, _ = fg.trace_tool("report", snap)
    assert "frozen (threshold, cpu 1): oob_stall lasted " in text
    assert "over its threshold of 250000.000 us" in text


def test_api_freeze_carries_note_and_value(guest, tmp_path):
    _fresh(guest)
    try:
        fg.ctl(guest, "freeze 80123 latmus-max")
        snap = fg.snapshot(guest, str(tmp_path / "api.snap"))
    finally:
        _fresh(guest)
    rep = _tool_json("report", "--json", snap)
    assert rep["frozen"] and rep["freeze_reason"] == "api"
    assert rep["freeze_note"] == "latmus-max" and rep["freeze_value_ns"] == 80123
    rc, text, _ = fg.trace_tool("report", snap)
    assert 'frozen (api, cpu ' in text and '"latmus-max", value 80.123 us' in text


def test_reset_empties_the_areas(guest, tmp_path):
    _fresh(guest)
    _section(guest, "hard_off", 100, 21)
    assert " hard_off " in guest.check("cat %s/max" % fg.RECORDER)
    guest.check("echo reset > %s/max" % fg.RECORDER)
    lines = [l for l in guest.check("cat %s/max" % fg.RECORDER).splitlines()
             if l and not l.startswith("#")]
    # Only what ran since the reset (a few records, none of ours).
    assert all(int(l.split()[2]) < 100 * 10**6 for l in lines), lines


def test_front_ends_read_the_areas_from_a_dump(guest, kernel, tmp_path):
    """drgn, gdb and crash build the snapshot from the dump's descriptor:
    the same areas, reported as from the kernel's own snapshot."""
    from tests.harness.dump import take
    _fresh(guest)
    for tag, ms in SECTIONS_MS:
        _section(guest, "hard_off", ms, tag)
    fg.freeze(guest)
    try:
        ksnap = fg.snapshot(guest, str(tmp_path / "kernel.snap"))
        dump = take(guest, str(tmp_path / "vmcore"), "elf")
    finally:
        _fresh(guest)
    want = _tool_json("report", "--json", "--max=hard_off", ksnap)["maxima"]
    assert [a for a in want if a["cpu"] == 1 and a["metric"] == "hard_off"
            and a["ns"] >= 300 * 10**6], want
    cmd = "report --json --max=hard_off"
    outs = {"drgn": fg.drgn_run(kernel.vmlinux, dump, cmd.split()).stdout,
            "gdb": fg.gdb_core_out(kernel, dump, [cmd])[cmd]}
    if not kernel.crash_skip_reason():
        fg.build_crash_ext()
        outs["crash"] = fg.crash_out(kernel, dump, [cmd])[cmd]
    os.unlink(dump)
    for who, out in outs.items():
        got = json.loads(fg.one_json_line(out, who))
        assert got["max"]["metrics"] == ["hard_off"], who
        # Comms aside: the kernel names the tasks alive at its snapshot.
        assert _no_comms(got["maxima"]) == _no_comms(want), who


def _no_comms(x):
    if isinstance(x, dict):
        return {k: _no_comms(v) for k, v in x.items() if k != "comm"}
    if isinstance(x, list):
        return [_no_comms(v) for v in x]
    return x


def test_boot_parameter_threshold(kernel, tmp_path):
    why = fg.skip_reason(kernel)
    if why:
        pytest.skip(why)
    vm = fg.boot(kernel, str(tmp_path),
                 append="dovetail_recorder_threshold=hard_off:250000000")
    try:
        if not _has_max(vm):
            pytest.skip("kernel %s was built before worst-case capture" % kernel.name)
        assert "hard_off 250000000" in vm.check("cat %s/threshold" % fg.RECORDER)
        vm.check("echo 1 > %s/clear" % fg.RECORDER)
        for tag, ms in [(31, 100), (32, 300), (33, 150)]:
            _section(vm, "hard_off", ms, tag)
        assert vm.check("cat %s/freeze" % fg.RECORDER).strip() == "1"
        snap = fg.snapshot(vm, str(tmp_path / "boot.snap"))
    finally:
        vm.stop()
    stats = _tool_json("stats", "--json", snap)
    assert stats["freeze_reason"] == "threshold" and stats["freeze_metric"] == "hard_off"
    assert 300 * 10**6 <= stats["freeze_value_ns"] < 400 * 10**6
    ev = [e for e in _tool_json("decode", "--json", snap)["events"] if e["cpu"] == 1]
    assert _tags(ev, START) == [31, 32]
