"""libdtrec's state decoders (stages, irqs, tasks) on a synthetic Dovetail
kernel (FakeTarget), reached as gdb and drgn reach them: the dtcore
command line and its ctypes target."""
import json

import pytest

from dtrec_testlib import make
from fake import FakeKernel
from dtcore import cli, ctarget  # noqa: E402
from dtcore.target import DtError  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec")


STAGE, PIPE = 0x02000000, 0x01000000


def run(t, cmd, *args):
    out, err = [], []
    rc = cli.execute(t, cmd, list(args), out.append, err.append)
    return rc, out, err


def collect(cmd, fk, all_tasks=False, table=None):
    """The command's JSON object and its warnings."""
    warns = []
    argv = [cmd, "--json"] + (["--all"] if all_tasks else []) + \
        (["--tlf-table", table] if table else [])
    return json.loads(ctarget.state_command(fk.t, argv, warns.append)), warns


# --- stages -------------------------------------------------------------

def test_stages_oob_current_with_inband_owner():
    fk = FakeKernel(ncpus=2)
    inband = fk.task(100, "app", stall_bits=0b01)      # in-band stalled
    oob = fk.task(101, "rt", status=0x10 | 0x20 | 0x40, stall_bits=0b10)
    fk.set_cpu(1, current=oob, owner=inband, preempt=STAGE | PIPE)
    fk.t.flags = {0: 0x246, 1: 0x46}
    o, warns = collect("stages", fk)
    assert not warns
    assert o["oob_stage"] == {"present": True, "name": "EVL"}
    c0, c1 = o["cpus"]
    assert c0["stage"] == "inband" and not c0["pipeline_entry"]
    assert c0["hard_irqs"] == "on" and c0["current"] == 0
    assert c1 == {"cpu": 1, "stage": "oob", "pipeline_entry": True,
                  "inband_stalled": True, "inband_owner": 100,
                  "oob_stalled": True, "hard_irqs": "off", "current": 101,
                  "task_inflight": None, "rqlock_owner": None}


def test_stages_inflight_rqlock_unknown_flags_and_absent_oob():
    fk = FakeKernel(ncpus=1, oob_name=None)
    a = fk.task(7, "mig", status=0x20 | 0x40, stall_bits=0)
    b = fk.task(8, "prev", stall_bits=0)
    fk.set_cpu(0, current=b, owner=b, inflight=a, rqlock=b)
    o, _ = collect("stages", fk)
    assert o["oob_stage"] == {"present": False, "name": None}
    c = o["cpus"][0]
    assert (c["task_inflight"], c["rqlock_owner"], c["hard_irqs"]) == (7, 8, "unknown")
    assert c["inband_stalled"] is False and c["oob_stalled"] is False


def test_stages_unreadable_cpu_reported_and_skipped():
    fk = FakeKernel(ncpus=2)
    fk.set_cpu(1, current=0xdead0000)
    o, warns = collect("stages", fk)
    assert [c["cpu"] for c in o["cpus"]] == [0]
    assert len(warns) == 1 and warns[0].startswith("cpu 1:")


# --- irqs ---------------------------------------------------------------

@pytest.mark.parametrize("levels", [2, 3, 4])
def test_irq_log_consistent(levels):
    fk = FakeKernel(ncpus=1, levels=levels)
    fk.irq(3, "eth0", hwirq=3)
    fk.irq(70, None)
    # IRQ 3 lives in flat[0], IRQ 70 in flat[1]
    words = {"flat": {0: 1 << 3, 1: 1 << 6}}
    if levels == 2:
        i0 = 0b11
    elif levels == 3:
        words["index_1"] = {0: 0b11}
        i0 = 1
    else:
        words["index_2"] = {0: 0b11}
        words["index_1"] = {0: 1}
        i0 = 1
    fk.set_log(0, 0, i0, words)
    o, warns = collect("irqs", fk)
    assert o["levels"] == levels and not warns
    st = o["cpus"][0]["stages"][0]
    assert st["consistent"] and st["errors"] == []
    assert st["pending"] == [
        {"irq": 3, "name": "eth0", "hwirq": 3, "vector": None},
        {"irq": 70, "name": None, "hwirq": 0, "vector": None}]
    oob = o["cpus"][0]["stages"][1]
    assert oob["present"] and oob["pending"] == [] and oob["consistent"]


@pytest.mark.parametrize("levels,words,i0,expect", [
    (2, {"flat": {1: 4}}, 0b1, ["index_0 bit 0: set, flat[0] == 0",
                                "index_0 bit 1: clear, flat[1] != 0"]),
    (3, {"flat": {0: 1}, "index_1": {0: 1}}, 0, ["index_0 bit 0: clear, index_1[0] != 0"]),
    (3, {"flat": {0: 1}, "index_1": {0: 0b101}}, 1,
     ["index_1 bit 2: set, flat[2] == 0"]),
    (4, {"flat": {64: 1}, "index_2": {0: 1}, "index_1": {0: 1}}, 1,
     ["index_2 bit 0: set, flat[0] == 0", "index_2 bit 64: clear, flat[64] != 0"]),
])
def test_irq_log_inconsistent(levels, words, i0, expect):
    fk = FakeKernel(ncpus=1, levels=levels)
    fk.set_log(0, 0, i0, words)
    o, _ = collect("irqs", fk)
    st = o["cpus"][0]["stages"][0]
    assert st["consistent"] is False
    assert st["errors"] == expect
    # pending still lists what flat says: mismatches are shown, not hidden
    assert [p["irq"] for p in st["pending"]] == sorted(
        64 * w + b for w, v in words["flat"].items() for b in range(64) if v >> b & 1)


def test_irq_garbage_map_pointer_other_cpus_continue():
    fk = FakeKernel(ncpus=2)
    fk.set_map_ptr(0, 0, 0x4141414141414141)
    fk.set_log(1, 0, 1, {"flat": {0: 2}, "index_1": {0: 1}})
    o, _ = collect("irqs", fk)
    bad = o["cpus"][0]["stages"][0]
    assert bad["errors"] == ["map unreadable"] and not bad["consistent"]
    assert [p["irq"] for p in o["cpus"][1]["stages"][0]["pending"]] == [1]


def test_irq_oob_stage_absent_and_sipic_vector():
    fk = FakeKernel(ncpus=1, oob_name=None)
    fk.irq(260, "Local timer", hwirq=0xec - 0xe9, sipic=True)
    fk.set_log(0, 0, 1, {"flat": {4: 1 << 4}, "index_1": {0: 1 << 4}})
    fk.set_log(0, 1, 1, {"flat": {0: 1}})    # stale data of a disabled stage
    o, _ = collect("irqs", fk)
    inb, oob = o["cpus"][0]["stages"]
    assert inb["pending"] == [{"irq": 260, "name": "Local timer", "hwirq": 3,
                               "vector": "LOCAL_TIMER_VECTOR"}]
    assert oob == {"stage": "oob", "present": False, "index_0": 0, "pending": [],
                   "consistent": True, "errors": []}


def test_first_system_vector_510():
    fk = FakeKernel(ncpus=1, release="5.10.0")
    del fk.t.symbols["sysvec_call_function_oob_ipi"]
    fk.irq(300, "x", hwirq=1, sipic=True)
    fk.set_log(0, 0, 1, {"flat": {4: 1 << 44}, "index_1": {0: 1 << 4}})
    o, _ = collect("irqs", fk)
    assert o["cpus"][0]["stages"][0]["pending"][0]["vector"] == "TIMER_OOB_VECTOR"


def test_arm64_gic_names():
    """arm64: IRQs in the GIC's domain (that of ipi_irq_base) are named
    by GIC class and number, SGI0-3 as the IPIs Dovetail maps there;
    other domains (the fixture's synthetic IRQs) stay unnamed."""
    fk = FakeKernel(ncpus=1, arch="aarch64")
    del fk.t.symbols["sipic_domain"]
    gic = fk.alloc(64)
    base = fk.alloc(4)
    fk.t.write(base, (8).to_bytes(4, "little"))
    fk.t.symbols["ipi_irq_base"] = base
    irqs = {8: ("IPI", 0), 10: ("CPU OOB resched", 2), 11: (None, 3),
            12: (None, 5), 13: ("arch_timer", 27), 14: ("uart-pl011", 33),
            70: ("dtfix", 0)}
    for irq, (name, hwirq) in irqs.items():
        fk.irq(irq, name, hwirq=hwirq)
        if irq != 70:
            fk.t.put(fk.t.symbols["irq_desc"] + 64 * irq, "struct irq_desc",
                     "irq_data.domain", gic)
    bits = sum(1 << i for i in irqs if i < 64)
    fk.set_log(0, 0, 1, {"flat": {0: bits, 1: 1 << 6}, "index_1": {0: 3}})
    o, _ = collect("irqs", fk)
    got = {p["irq"]: p["vector"] for p in o["cpus"][0]["stages"][0]["pending"]}
    assert got == {8: "INBAND_IPI", 10: "RESCHEDULE_OOB_IPI",
                   11: "CALL_FUNCTION_OOB_IPI", 12: "SGI5", 13: "PPI11",
                   14: "SPI1", 70: None}


# --- tasks --------------------------------------------------------------

@pytest.mark.parametrize("release,table,bits", [
    ("6.6.0", "x86-6.6", dict(OOB=0x10, DOVETAIL=0x20, OFFSTAGE=0x40, OOBTRAP=0x80)),
    ("5.10.0", "x86-5.10", dict(OOB=0x4, DOVETAIL=0x8, OFFSTAGE=0x10, OOBTRAP=0x20)),
])
def test_task_classes(release, table, bits):
    fk = FakeKernel(ncpus=2, release=release)
    B = bits
    fk.task(10, "plain")
    fk.task(11, "inband", status=B["DOVETAIL"])
    mig = fk.task(12, "mig", status=B["DOVETAIL"] | B["OFFSTAGE"], cpu=1)
    run_ = fk.task(13, "run", status=B["DOVETAIL"] | B["OFFSTAGE"] | B["OOB"], cpu=1)
    fk.task(14, "blk", status=B["DOVETAIL"] | B["OFFSTAGE"] | B["OOB"])
    fk.task(15, "trap", status=B["DOVETAIL"] | B["OOB"] | B["OOBTRAP"])
    tif = (1 << 26) | (1 << (19 if table == "x86-6.6" else 23))
    fk.task(16, "mayday", status=B["DOVETAIL"], tif=tif)
    fk.set_cpu(1, current=run_, preempt=STAGE, inflight=mig)
    o, warns = collect("tasks", fk)
    assert not warns and o["tlf_table"] == table
    got = {e["pid"]: e for e in o["tasks"]}
    assert sorted(got) == [11, 12, 13, 14, 15, 16]     # 10 and swapper filtered out
    assert {p: got[p]["class"] for p in got} == {
        11: "inband", 12: "migrating", 13: "oob-running", 14: "oob-blocked",
        15: "oob-trapped", 16: "inband"}
    assert got[12]["inflight_cpu"] == 1 and got[13]["inflight_cpu"] is None
    assert got[13]["tlf"] == ["OOB", "DOVETAIL", "OFFSTAGE"]
    assert got[16]["tif"] == ["RETUSER", "MAYDAY"]
    o_all, _ = collect("tasks", fk, all_tasks=True)
    assert {0, 10}.issubset({e["pid"] for e in o_all["tasks"]})


def test_task_evl_core():
    fk = FakeKernel(ncpus=1)
    a = fk.task(20, "rt", status=0x10 | 0x20 | 0x40)
    th = fk.alloc(32)
    fk.t.put(th, "struct evl_thread", "name", fk.cstr("rt-thread"))
    fk.t.put(th, "struct evl_thread", "state", 0x4000)
    fk.t.put(a, "struct task_struct", "thread_info.oob_state.thread", th)
    o, _ = collect("tasks", fk)
    assert o["tasks"][0]["core"] == {"name": "evl", "thread": "rt-thread",
                                    "state": "0x4000"}


# --- output and errors --------------------------------------------------

def test_json_is_one_stable_compact_line():
    fk = FakeKernel(ncpus=2)
    fk.set_log(0, 0, 1, {"flat": {0: 2}, "index_1": {0: 1}})
    for cmd in ("stages", "irqs", "tasks"):
        rc1, out1, _ = run(fk.t, cmd, "--json")
        rc2, out2, _ = run(fk.t, cmd, "--json")
        assert rc1 == rc2 == 0 and out1 == out2 and len(out1) == 1
        line = out1[0]
        assert "\n" not in line and ", " not in line and '": ' not in line
        obj = json.loads(line)
        assert obj["command"] == cmd
        assert json.dumps(obj, separators=(",", ":")) == line
    _, out, _ = run(fk.t, "stages", "--json")
    assert list(json.loads(out[0])["cpus"][0]) == [
        "cpu", "stage", "pipeline_entry", "inband_stalled", "inband_owner",
        "oob_stalled", "hard_irqs", "current", "task_inflight", "rqlock_owner"]


def test_json_has_no_addresses_under_relocation():
    """Moving every allocation (as KASLR does) must not change output."""
    a = FakeKernel(ncpus=2)
    FakeKernel.HEAP, FakeKernel.PCPU_BASE = 0x900000, 0x200000
    try:
        b = FakeKernel(ncpus=2)
    finally:
        FakeKernel.HEAP, FakeKernel.PCPU_BASE = 0x800000, 0x100000
    assert a.init != b.init
    for cmd in ("stages", "irqs", "tasks"):
        assert run(a.t, cmd, "--json")[1] == run(b.t, cmd, "--json")[1]


def test_text_output_is_a_table():
    fk = FakeKernel(ncpus=2)
    rc, out, _ = run(fk.t, "stages")
    assert rc == 0 and out[0].startswith("oob stage: present (EVL)")
    assert out[0].splitlines()[1].split()[:3] == ["CPU", "STAGE", "PIPE"]


def test_not_dovetail_is_one_line_error():
    fk = FakeKernel(ncpus=1)
    del fk.t.symbols["irq_pipeline"]
    for cmd in ("stages", "irqs", "tasks", "trace"):
        rc, out, err = run(fk.t, cmd)
        assert rc == 1 and out == []
        assert err == ["dovetail: not a Dovetail kernel (no irq_pipeline symbol)"]
    fk = FakeKernel(ncpus=1)
    del fk.t.layout["struct task_struct"]["members"]["stall_bits"]
    rc, _, err = run(fk.t, "stages")
    assert rc == 1 and len(err) == 1 and "stall_bits" in err[0]


def test_recorder_missing_and_bad_magic():
    fk = FakeKernel(ncpus=1)
    rc, _, err = run(fk.t, "trace")
    assert rc == 1 and len(err) == 1 and err[0].startswith("dovetail: recorder compiled out")
    fk.t.symbols["dovetail_recorder_desc"] = fk.alloc(64)
    rc, _, err = run(fk.t, "snapshot", "/nonexistent/x")
    assert rc == 1 and err[0].startswith("dovetail: bad descriptor magic")


def test_banner_mismatch_and_bad_option():
    fk = FakeKernel(ncpus=1)
    fk.t.symbols["linux_banner"] = fk.cstr("Linux version 6.6.0 #1\n")
    out, err = [], []
    rc = cli.execute(fk.t, "stages", [], out.append, err.append,
                     file_banner="Linux version 6.6.0 #2\n")
    assert rc == 1 and len(err) == 1 and "does not match" in err[0]
    assert "memory: 'Linux version 6.6.0 #1'" in err[0]
    # Another build's symbol address holds no text: say so, print no bytes.
    fk.t.symbols["linux_banner"] = fk.cstr("Y\x7f\xc3\xa9\x05U\x01")
    err = []
    rc = cli.execute(fk.t, "stages", [], out.append, err.append,
                     file_banner="Linux version 6.6.0 #2\n")
    assert rc == 1 and err == ["dovetail: vmlinux does not match the dump: linux_banner "
                               "differs (memory holds no banner at vmlinux's linux_banner)"]
    rc, _, err = run(fk.t, "stages", "--nope")
    assert rc == 1 and len(err) == 1 and "unrecognized arguments" in err[0]


def test_unknown_tlf_table_rejected():
    fk = FakeKernel(ncpus=1, arch="riscv64")
    with pytest.raises(DtError):
        collect("tasks", fk)
    fk = FakeKernel(ncpus=1)
    with pytest.raises(DtError, match="unknown _TLF table 'x86-4.19'"):
        collect("tasks", fk, table="x86-4.19")


@pytest.mark.parametrize("release,table", [("5.10.0", "arm64-5.10"),
                                           ("6.6.0", "arm64-6.6")])
def test_arm64_tables(release, table):
    """arm64 keeps its _TLF bits low and moved TIF_MAYDAY (27, then 29)."""
    fk = FakeKernel(ncpus=1, release=release, arch="aarch64")
    fk.task(30, "rt", status=0x1 | 0x2, tif=1 << (27 if table == "arm64-5.10" else 29))
    fk.task(31, "mig", status=0x2 | 0x4)
    o, _ = collect("tasks", fk)
    assert o["tlf_table"] == table
    got = {e["pid"]: e for e in o["tasks"]}
    assert (got[30]["class"], got[30]["tlf"], got[30]["tif"]) == \
        ("oob-blocked", ["OOB", "DOVETAIL"], ["MAYDAY"])
    assert got[31]["class"] == "migrating"


def test_interrupt_stops_the_walk():
    """Ctrl-C inside a read (gdb raises KeyboardInterrupt there): libdtrec
    gets no more memory and the interrupt reaches the debugger."""
    fk = FakeKernel(ncpus=2)
    for i in range(50):
        fk.task(100 + i, "t%d" % i, status=0x20)
    orig, n = fk.t.read, [0]

    def read(addr, size):
        n[0] += 1
        if n[0] == 30:
            raise KeyboardInterrupt()
        return orig(addr, size)
    fk.t.read = read
    with pytest.raises(KeyboardInterrupt):
        collect("tasks", fk)
    assert n[0] == 30
