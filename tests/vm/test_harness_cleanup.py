"""The harness never leaves a QEMU behind, whatever happens to its user."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.harness import VM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def alive(pid):
    # /proc scan rather than psutil/pgrep: a zombie counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def qemus_under(path):
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"qemu-system" in cmd and path.encode() in cmd and alive(int(p)):
            found.append(int(p))
    return found


def test_failure_inside_context_stops_qemu(kernel, tmp_path):
    pid = None
    with pytest.raises(RuntimeError, match="forced"):
        with VM(kernel, workdir=str(tmp_path)) as vm:
            pid = vm.pid
            assert alive(pid)
            raise RuntimeError("forced")
    assert pid and not alive(pid)
    assert qemus_under(str(tmp_path)) == []


CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.harness import kernels, VM
vm = VM(kernels.find(sys.argv[2]), workdir=sys.argv[3]).__enter__()
print(vm.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGTERM", "SIGKILL"])
def test_killed_user_takes_qemu_along(kernel, tmp_path, sig):
    p = subprocess.Popen([sys.executable, "-c", CHILD, ROOT, kernel.name,
                          str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(p.stdout.readline())
        assert alive(pid)
        p.send_signal(sig)
        p.wait(30)
        deadline = time.monotonic() + 20
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(pid)
        assert qemus_under(str(tmp_path)) == []
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
