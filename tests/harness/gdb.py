"""Batch gdb sessions against the guest's gdbstub."""
import os
import signal
import subprocess

from . import kaslr

GDB = os.environ.get("GDB", "gdb")
# Debian's gdb reads x86 only; gdb-multiarch reads aarch64 too.
GDB_MULTIARCH = os.environ.get("GDB_MULTIARCH", "gdb-multiarch")


def binary(arch="x86_64"):
    """The gdb that debugs a guest of `arch` on this host."""
    return GDB if arch == "x86_64" else GDB_MULTIARCH


class GDBError(Exception):
    pass


def argv(vm, commands, symbols=True):
    """gdb command line: symbols relocated for KASLR, then `commands`.

    Each command is a separate -ex so that one failing command does not
    abort the rest (a -x script would stop at the first error), and the
    session always ends with detach so the guest keeps running.
    """
    a = [binary(vm.kernel.arch), "-batch", "-nx", "-ex", "set pagination off",
         "-ex", "set confirm off"]
    if symbols:
        for c in kaslr.symbol_commands(vm.kernel.vmlinux,
                                       vm.kaslr_offset(), vm.kernel.arch):
            a += ["-ex", c]
    a += ["-ex", "target remote 127.0.0.1:%d" % vm.gdb_port]
    for c in commands:
        a += ["-ex", c]
    a += ["-ex", "detach"]
    return a


def run(vm, commands, timeout=180, symbols=True):
    """Run gdb commands against the live guest; returns gdb's output."""
    p = subprocess.Popen(argv(vm, commands, symbols), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise GDBError("gdb did not finish in %ds" % timeout)
    finally:
        _resume(vm)
    if p.returncode:
        raise GDBError("gdb exited %d: %s" % (p.returncode, out[-2000:]))
    return out


def _resume(vm):
    # A gdb that died before `detach` leaves the guest stopped in the
    # debug state; the next console command would then hang.
    try:
        st = vm.qmp.execute("query-status")
        if st and st.get("status") == "debug":
            vm.qmp.execute("cont")
    except Exception:
        pass
