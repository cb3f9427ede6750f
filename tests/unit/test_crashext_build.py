"""crash-ext/dovetail.so: builds warning-free, binds only to symbols the
crash binary and its libraries export, registers `dovetail` from its
constructor when loaded the way `extend` loads it, survives a kernel with
no symbols and no readable memory, and runs the recorder commands through
libdtrec against a fake kernel image (crashext_stub.c). The pure decode
layer has its own C test program. End-to-end runs against vmcores are in
the VM tier (tests/vm/test_crashext_vmcore.py)."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from dtrec_testlib import ROOT, build_crash_stub

EXT = os.path.join(ROOT, "crash-ext")
SO = os.path.join(EXT, "dovetail.so")
CRASH = shutil.which("crash")
DEFS = "/usr/include/crash/defs.h"

needs_defs = pytest.mark.skipif(not os.path.exists(DEFS),
                                reason="crash headers (%s) not installed" % DEFS)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def built():
    if not os.path.exists(DEFS):
        pytest.skip("crash headers (%s) not installed" % DEFS)
    r = run(["make", "-s", "-C", EXT, "all"])
    assert r.returncode == 0, r.stdout + r.stderr
    return SO


@needs_defs
def test_build_is_warning_free(tmp_path):
    # A scratch copy so the real build dir is not forced to rebuild.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "out", "build", "*.o", "*.a", "*.so", "bin", "corpus"))
    # Both targets: the x86_64 one Debian's crash loads, and the one for a
    # crash built with target=ARM64 (arm64 dumps; not runnable here).
    for target in ("all", "arm64"):
        r = run(["make", "-C", str(src / "crash-ext"), target])
        assert r.returncode == 0, r.stdout + r.stderr
        warnings = [l for l in (r.stdout + r.stderr).splitlines()
                    if "warning:" in l]
        assert not warnings, "%s: %s" % (target, "\n".join(warnings))
    assert (src / "crash-ext" / "dovetail-arm64.so").exists()


def _dynsyms(path, defined):
    flag = "--defined-only" if defined else "--undefined-only"
    r = run(["nm", "-D", flag, path])
    assert r.returncode == 0, r.stderr
    out = set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        if defined and len(parts) >= 3 and parts[1] in "TtDdBbRrVWiu":
            out.add(parts[2].split("@")[0])
        elif not defined and parts[0] == "U":   # weak ones may stay unresolved
            out.add(parts[1].split("@")[0])
    return out


def test_undefined_symbols_resolve_in_crash(built):
    if not CRASH:
        pytest.skip("crash not installed")
    provided = _dynsyms(os.path.realpath(CRASH), True)
    r = run(["ldd", os.path.realpath(CRASH)])
    for line in r.stdout.splitlines():
        if "=>" in line and "/" in line.split("=>")[1]:
            provided |= _dynsyms(line.split("=>")[1].split()[0], True)
    missing = sorted(s for s in _dynsyms(built, False) if s not in provided)
    assert not missing, "symbols crash cannot provide: %s" % missing
    # It must bind to crash's reader, not carry its own.
    assert "readmem" in _dynsyms(built, False)


def test_constructor_is_present(built):
    r = run(["readelf", "-d", built])
    assert "INIT_ARRAY" in r.stdout
    assert "dovetail_init" in _dynsyms(built, True)


STUB_DRIVER = r"""
import ctypes, os, sys
stub = ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_GLOBAL)
if os.environ.get("STUB_RECORDER"):
    stub.stub_setup_recorder(*[int(x) for x in os.environ["STUB_RECORDER"].split(",")])
if os.environ.get("STUB_PIPELINE"):
    stub.stub_setup_pipeline(int(os.environ["STUB_PIPELINE"]))
if os.environ.get("STUB_TASKS"):
    stub.stub_setup_tasks()
ctypes.CDLL(sys.argv[2])          # runs the constructor, like `extend`
for f in ("stub_command_name", "stub_help_line", "stub_run"):
    getattr(stub, f).restype = ctypes.c_char_p
print("name", stub.stub_command_name().decode())
print("flags", stub.stub_command_flags())
print("help0", stub.stub_help_line(0).decode())
print("synopsis", stub.stub_help_line(2).decode())
out = sys.argv[3]
for cmd in sys.argv[4:]:
    argv = ["dovetail"] + cmd.split()
    arr = (ctypes.c_char_p * len(argv))(*[a.encode() for a in argv])
    err = stub.stub_run(out.encode(), len(argv), arr).decode()
    print("run %s -> %s | %s" % (cmd, err.strip(), open(out).read().strip()))
print("reads", stub.stub_reads())
"""


def _drive(stub, so, out, cmds, env=None):
    r = run([sys.executable, "-c", STUB_DRIVER, stub, so, out] + cmds,
            timeout=60, env=dict(os.environ, **(env or {})))
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_loads_and_registers_like_extend(built, tmp_path):
    stub = build_crash_stub(tmp_path)
    cmds = ["", "bogus", "stages", "irqs --json", "tasks --all", "tasks --nope",
            "trace --last 5", "audit", "report", "export", "export svg", "snapshot"]
    stdout = _drive(stub, built, str(tmp_path / "out.txt"), cmds)
    lines = dict(l.split(" ", 1) for l in stdout.splitlines() if " " in l)
    assert lines["name"] == "dovetail"
    assert int(lines["flags"]) & 0x8, "not flagged MINIMAL: unusable in crash --minimal"
    assert lines["help0"] == "dovetail"
    assert lines["synopsis"].startswith("<subcommand>")
    runs = [l for l in stdout.splitlines() if l.startswith("run ")]
    assert len(runs) == len(cmds)
    # Every command against an empty kernel ends in a one-line diagnosis
    # (no abort from a FATAL-style read, no output pretending to be data).
    for line in runs:
        cmd, rest = line[4:].split(" -> ", 1)
        err, out = rest.split(" | ", 1) if " | " in rest else (rest, "")
        assert err, "no error for %r" % cmd
        assert "\n" not in err
        assert out == "", "output for %r on an empty kernel: %r" % (cmd, out)
    joined = stdout
    assert "unknown subcommand 'bogus'" in joined
    assert "unknown option '--nope'" in joined
    assert "usage: dovetail" in joined


def _trace_tool():
    r = run(["make", "-s", "-C", os.path.join(ROOT, "tools"), "dovetail-trace"])
    tool = os.path.join(ROOT, "tools", "dovetail-trace")
    if r.returncode or not os.path.exists(tool):
        pytest.skip("tools/dovetail-trace does not build: " + r.stderr[-200:])
    return tool


def test_recorder_commands_on_a_fake_kernel(built, tmp_path):
    """Two CPUs, 16-slot rings, 20 records written each (4 lost per CPU)."""
    stub = build_crash_stub(tmp_path)
    snap = tmp_path / "rec.snap"
    chrome = tmp_path / "rec.json"
    chrome2 = tmp_path / "rec2.json"
    cmds = ["snapshot %s" % snap, "trace --json", "trace --json --cpu 1 --last 3",
            "export chrome %s" % chrome, "trace --cpu 99", "stages",
            "export --format chrome -o %s --cpu 1" % chrome2, "export --format xml -o x"]
    outs = {}
    for cmd in cmds:
        stdout = _drive(stub, built, str(tmp_path / "out.txt"), [cmd],
                        env={"STUB_RECORDER": "2,16,20"})
        line = [l for l in stdout.splitlines() if l.startswith("run ")][0]
        err, _, out = line.split(" -> ", 1)[1].partition(" | ")
        outs[cmd] = (err.strip(), out)
    assert outs[cmds[0]][1].startswith("wrote ") and snap.stat().st_size > 0
    tool = _trace_tool()
    r = run([tool, "decode", "--json", str(snap)])
    assert r.returncode == 0, r.stderr
    # The extension's trace is libdtrec's on the stream it assembled.
    assert outs["trace --json"][1] == r.stdout.strip()
    t = json.loads(outs["trace --json"][1])
    assert [(c["cpu"], c["head"], c["lost"]) for c in t["cpus"]] == [(0, 20, 4), (1, 20, 4)]
    got = sorted((e["cpu"], e["arg"], e["arg2"], e["pid"], e["event"]) for e in t["events"])
    want = sorted((c, k, c, 100 + c, "mark") for c in (0, 1) for k in range(4, 20))
    assert got == want
    # Time order: record k of cpu c has ts 1000 + 10k + c.
    assert [(e["arg"], e["cpu"]) for e in t["events"]] == \
        sorted(((k, c) for c in (0, 1) for k in range(4, 20)))
    last = json.loads(outs["trace --json --cpu 1 --last 3"][1])["events"]
    assert [(e["cpu"], e["arg"]) for e in last] == [(1, 17), (1, 18), (1, 19)]
    assert json.loads(chrome.read_text())
    # The gdb/drgn spelling works too, with filters after it.
    r = run([tool, "export", "--format", "chrome", "--cpu", "1", str(snap)])
    assert r.returncode == 0 and chrome2.read_text() == r.stdout
    assert "unknown format 'xml'" in outs["export --format xml -o x"][0]
    assert "--cpu" in outs["trace --cpu 99"][0] and outs["trace --cpu 99"][1] == ""
    assert "not a Dovetail kernel" in outs["stages"][0]


def _one(stub, so, tmp_path, cmd, env):
    """(error line, full output) of one command."""
    stdout = _drive(stub, so, str(tmp_path / "out.txt"), [cmd], env=env)
    line = [l for l in stdout.splitlines() if l.startswith("run ")][0]
    err = line.split(" -> ", 1)[1].partition(" | ")[0]
    return err.strip(), (tmp_path / "out.txt").read_text().rstrip("\n")


def test_irq_logs_on_a_fake_kernel(built, tmp_path):
    """docs/json-state.md 'irqs' on a hand-made pipeline: a 3-level log
    with IRQs 3 and 4355, an oob stage with a NULL map, then a garbage
    in-band map pointer, which must not stop the command."""
    stub = build_crash_stub(tmp_path)
    env = {"STUB_RECORDER": "1,16,1", "STUB_PIPELINE": "0"}
    err, out = _one(stub, built, tmp_path, "irqs --json", env)
    pend = [{"irq": 3, "name": None, "hwirq": None, "vector": None},
            {"irq": 4355, "name": None, "hwirq": None, "vector": None}]
    want = {"command": "irqs", "levels": 3, "cpus": [{"cpu": 0, "stages": [
        {"stage": "inband", "present": True, "index_0": 3, "pending": pend,
         "consistent": True, "errors": []},
        {"stage": "oob", "present": True, "index_0": 0, "pending": [],
         "consistent": False, "errors": ["map is NULL"]}]}]}
    assert out == json.dumps(want, separators=(",", ":")), (err, out)

    env["STUB_PIPELINE"] = "1"
    err, out = _one(stub, built, tmp_path, "irqs --json", env)
    st = json.loads(out)["cpus"][0]["stages"]
    assert st[0]["errors"] == ["map unreadable"] and st[0]["pending"] == []
    assert st[0]["index_0"] == 3 and not st[0]["consistent"]
    assert st[1]["errors"] == ["map is NULL"]
    err, out = _one(stub, built, tmp_path, "irqs", env)
    assert out.splitlines() == [
        "log levels: 3",
        "cpu 0 inband: index_0=0x3, 0 pending  INCONSISTENT",
        "    error: map unreadable",
        "cpu 0 oob   : index_0=0x0, 0 pending  INCONSISTENT",
        "    error: map is NULL"], out


def test_stages_and_tasks_on_a_fake_evl_kernel(built, tmp_path):
    """docs/json-state.md 'stages' and 'tasks': an EVL thread running oob
    over a stalled in-band swapper, with its core thread name carrying an
    invalid UTF-8 byte (decoded with errors="replace", then escaped)."""
    stub = build_crash_stub(tmp_path)
    env = {"STUB_RECORDER": "1,16,1", "STUB_PIPELINE": "0", "STUB_TASKS": "1"}
    err, out = _one(stub, built, tmp_path, "stages --json", env)
    want = {"command": "stages", "oob_stage": {"present": True, "name": "EVL"},
            "cpus": [{"cpu": 0, "stage": "oob", "pipeline_entry": False,
                      "inband_stalled": True, "inband_owner": 0,
                      "oob_stalled": True, "hard_irqs": "unknown", "current": 42,
                      "task_inflight": None, "rqlock_owner": 0}]}
    assert out == json.dumps(want, separators=(",", ":")), (err, out)
    swapper = {"pid": 0, "comm": "swapper/0", "cpu": 0, "class": "inband",
               "tlf": [], "tif": [], "inflight_cpu": None, "core": None}
    rt = {"pid": 42, "comm": "rt-thread", "cpu": 0, "class": "oob-running",
          "tlf": ["OOB", "DOVETAIL", "OFFSTAGE"], "tif": ["MAYDAY"],
          "inflight_cpu": None,
          "core": {"name": "evl", "thread": b"rt-\xe9".decode("utf-8", "replace"),
                   "state": "0x0"}}
    err, out = _one(stub, built, tmp_path, "tasks --json", env)
    want = {"command": "tasks", "tlf_table": "x86-6.6", "tasks": [swapper, rt]}
    assert out == json.dumps(want, separators=(",", ":")), (err, out)
    # The 5.10 table reads 0x70 as OFFSTAGE|OOBTRAP (0x40 is no flag there).
    err, out = _one(stub, built, tmp_path, "tasks --json --tlf-table x86-5.10", env)
    t = json.loads(out)["tasks"][1]
    assert (t["class"], t["tlf"]) == ("oob-trapped", ["OFFSTAGE", "OOBTRAP"])
    err, out = _one(stub, built, tmp_path, "tasks", env)
    lines = out.splitlines()
    assert lines[0] == "_TLF table: x86-6.6"
    assert lines[1].split() == ["PID", "COMM", "CPU", "CLASS", "TLF", "TIF",
                                "INFLIGHT", "CORE"]
    assert lines[3].split() == ["42", "rt-thread", "0", "oob-running",
                                "OOB,DOVETAIL,OFFSTAGE", "MAYDAY", "-",
                                "evl:rt-\ufffd", "0x0"]
