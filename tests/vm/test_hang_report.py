"""The hang report against hangs the fixture creates on purpose.

One guest per hang kind (KASLR on, 2 vCPUs, the console and every device
IRQ on CPU0): the in-band stage of CPU1 stalled forever with IRQs posted,
the oob stage of CPU1 stalled forever with oob IRQs posted, and a kthread
stuck migrating on CPU1. After a few seconds the guest is stopped and
dumped (ELF and kdump), then:

- gdb (over the gdbstub, on the stopped guest), drgn and crash on both
  dumps print `report --json`, and all five outputs are byte identical;
- the verdict names CPU1, the right kind and the pid of the culprit: the
  stuck task's and the holder's pids from the fixture's `expected` file;
- the duration covers at least most of the time the guest was left hung;
- `dovetail-trace report` on the snapshot stream drgn extracts (records
  only, no dump state) names the same CPU, kind and pid;
- the report from the dump's state alone (the recorder ignored, as on a
  kernel built without it: tests/vm/drgn_state_report.py) names the same
  CPU, kind and pid, durations unknown.
"""
import json
import os
import subprocess
import time

import pytest

from tests.harness import dump as hdump
from tests.harness.dump import take
from tests.vm import fixture_guest as fg

DUMPS = ("elf", "kdump-zlib")
HUNG_S = 3                      # how long the guest stays hung before the dump
KINDS = {
    # kind: (fixture command, verdict rule)
    "inband": ("hold 1 inband 0 3", "inband_stall_pending"),
    "oob": ("hold 1 oob 0 3", "oob_stall"),
    "stuck": ("stuck 1", "stuck_migrating"),
}


def drgn_report(kernel, dump, *args):
    r = fg.drgn_run(kernel.vmlinux, dump, args)
    return r.returncode, r.stdout, r.stderr


@pytest.fixture(scope="module", params=sorted(KINDS))
def hang(kernel, request, tmp_path_factory):
    why = fg.skip_reason(kernel)
    if why:
        pytest.skip(why)
    kind = request.param
    cmd, _ = KINDS[kind]
    if not kernel.crash_skip_reason():
        fg.build_crash_ext()
    r = subprocess.run(["make", "-s", "-C", fg.ROOT, "all"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    d = tmp_path_factory.mktemp("hang-" + kind)
    def setup(vm):
        exp = fg.expected(vm)
        if kind == "stuck":
            pid, exp = fg.new_task(vm, cmd, exp)
            exp = fg.wait_tasks(vm, {pid: "migrating"})
            comm = next(t["comm"] for t in exp["tasks"] if t["pid"] == pid)
        else:
            comm = "dtfix-hold/1"
            exp = fg.hold(vm, cmd)
            assert [h["cpu"] for h in exp["holds"]] == [1], exp
            pid = exp["holds"][0]["pid"]
        return exp, pid, comm
    # Rings large enough to keep the start of the hang on CPU1.
    vm, (exp, pid, comm) = fg.boot_into(kernel, str(d), setup, kaslr=True,
                                        append="dovetail_recorder=131072")
    try:
        t0 = time.monotonic()
        time.sleep(HUNG_S)
        vm.pause()
        elapsed = time.monotonic() - t0
        dumps = {f: take(vm, str(d / ("vmcore." + f)), f)
                 for f in hdump.formats(kernel, DUMPS)}
        out = {"gdb": fg.gdb_json(vm, ["report --json"])["report --json"]}
        snap = str(d / "rec.snap")
        for f, path in dumps.items():
            rc, text, err = drgn_report(kernel, path, "report", "--json")
            assert rc == 4, "drgn report on %s: %d %s" % (f, rc, err[-2000:])
            out["drgn-" + f] = text
            if not kernel.crash_skip_reason():
                out["crash-" + f] = fg.crash_out(kernel, path, ["report --json"])["report --json"]
        rc, _, err = drgn_report(kernel, dumps["elf"], "snapshot", snap)
        assert rc == 0, err
        r = subprocess.run(["/usr/bin/python3", "-m", "drgn", "-q", "-c",
                            dumps["elf"], "-s", kernel.vmlinux,
                            os.path.join(fg.ROOT, "tests", "vm",
                                         "drgn_state_report.py")],
                           capture_output=True, text=True, timeout=600)
        out["state-alone"] = (r.returncode, r.stdout, r.stderr)
        yield {"kind": kind, "pid": pid, "comm": comm, "exp": exp, "out": out,
               "snap": snap, "elapsed": elapsed}
        for p in dumps.values():
            os.unlink(p)
    finally:
        vm.stop()


_one = fg.one_json_line


def test_front_ends_agree(hang):
    ref = _one(hang["out"]["drgn-elf"], "drgn-elf")
    for who, text in hang["out"].items():
        if who == "state-alone":
            continue
        got = _one(text, who)
        assert got == ref, "%s differs from drgn on the ELF dump:\n%s\n%s" % (
            who, got[:3000], ref[:3000])


def test_verdict_names_cpu_kind_and_pid(hang):
    o = json.loads(_one(hang["out"]["drgn-elf"], "drgn"))
    _, rule = KINDS[hang["kind"]]
    assert o["source"] == "live" and o["verdicts"], o["summary"]
    v = o["verdicts"][0]
    assert (v["rule"], v["cpu"], v["pid"], v["comm"]) == \
        (rule, 1, hang["pid"], hang["comm"]), o["verdicts"]
    assert o["summary"] == v["message"]
    assert v["message"].startswith("CPU1: ")
    # The guest stayed hung HUNG_S seconds of host time at least, and at
    # most the time up to the stop: the guest clock follows the host's.
    assert v["duration_ns"] >= HUNG_S * 10**9 // 2, v
    assert v["duration_ns"] <= (hang["elapsed"] + 30) * 5 * 10**9, v
    # Nothing else is hung: CPU0 runs the console.
    assert all(x["cpu"] == 1 for x in o["verdicts"]), o["verdicts"]


def test_cpu_page_matches_fixture(hang):
    o = json.loads(_one(hang["out"]["drgn-elf"], "drgn"))
    c1 = next(c for c in o["cpus"] if c["cpu"] == 1)
    assert c1["state"] == "live"
    exp = hang["exp"]
    if hang["kind"] == "stuck":
        t = next(t for t in c1["tasks"] if t["pid"] == hang["pid"])
        assert (t["comm"], t["class"]) == (hang["comm"], "migrating")
        return
    h, = exp["holds"]
    assert c1["inband_stall"]["state"] is h["inband_stalled"]
    assert c1["oob_stall"]["state"] is h["oob_stalled"]
    stalled = c1["oob_stall" if h["oob_stalled"] else "inband_stall"]
    assert stalled["pid"] == hang["pid"] and stalled["since_ns"] is not None
    if h["oob_stalled"]:
        assert c1["hard_irqs_off"]["state"] is True
    # Every IRQ the hold posted is pending, with its name, and dated by
    # its post record.
    pend = {(p["stage"], p["irq"]): p for p in c1["pending"]}
    assert exp["pending"]
    for p in exp["pending"]:
        got = pend.get((p["stage"], p["irq"]))
        assert got and got["name"] == p["name"], (p, c1["pending"])
        assert got["exact"] and got["posted_ns"] >= stalled["since_ns"], got


def test_records_alone_tell_the_same(hang):
    """The CLI on the bare snapshot: no dump state, but the same rule, CPU
    and pid; the comm comes from the snapshot's names block (version 2,
    filled by the front end that assembled it), none without one."""
    rc, out, err = fg.trace_tool("report", "--json", hang["snap"])
    assert rc == 4, out[-2000:] + err
    o = json.loads(out)
    _, rule = KINDS[hang["kind"]]
    v = o["verdicts"][0]
    assert o["source"] == "records"
    with open(hang["snap"], "rb") as f:
        version = int.from_bytes(f.read(12)[8:12], "little")
    comm = hang["comm"] if version >= 2 else None
    assert (v["rule"], v["cpu"], v["pid"], v["comm"]) == (rule, 1, hang["pid"], comm)
    live = json.loads(_one(hang["out"]["drgn-elf"], "drgn"))["verdicts"][0]
    assert v["since_ns"] == live["since_ns"]


def test_state_alone_names_the_same_culprit(hang):
    """Without the recorder the dump's state names the same CPU, kind and
    pid; no duration is known."""
    rc, out, err = hang["out"]["state-alone"]
    assert rc == 4, out[-2000:] + err[-2000:]
    o = json.loads(out)
    assert o["source"] == "state" and o["freeze_ns"] is None
    _, rule = KINDS[hang["kind"]]
    v = o["verdicts"][0]
    assert (v["rule"], v["cpu"], v["pid"], v["comm"]) == \
        (rule, 1, hang["pid"], hang["comm"]), o["verdicts"]
    assert v["duration_ns"] is None and "duration unknown" in v["message"]
