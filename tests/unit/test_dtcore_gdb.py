"""gdb front end smoke test: every command registers with help text,
and a command without a kernel fails with one line, no traceback."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "gdb-scripts", "dovetail.py")
COMMANDS = ["stages", "irqs", "tasks", "trace", "stats", "audit", "report", "export",
            "snapshot", "freeze", "unfreeze", "kaslr"]

pytestmark = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb not installed")


def gdb(*cmds):
    argv = ["gdb", "-batch", "-nx", "-ex", "source " + SCRIPT]
    for c in cmds:
        argv += ["-ex", c]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, cwd=ROOT)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_every_command_registers_with_help():
    rc, out, err = gdb(*["help dt-" + c for c in COMMANDS])
    assert rc == 0, err
    assert "Traceback" not in out + err
    for c in COMMANDS:
        assert "dt-" + c in out, c
    assert "Undefined command" not in err


def test_stages_without_kernel_is_one_line_error():
    rc, out, err = gdb("dt-stages --json")
    assert rc != 0
    assert "Traceback" not in out + err
    lines = [l for l in err.splitlines() if l.strip()]
    assert lines == ["dovetail: no running target or core file: attach to QEMU "
                     "(target remote :1234) or open a vmcore first"]
