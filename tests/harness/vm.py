"""One QEMU guest running a cached kernel, driven through its serial console.

    with VM(kernel, kaslr=True) as vm:
        rc, out = vm.run("uname -r")
        vm.qmp.execute("query-status")

The console is a unix socket this process listens on and QEMU connects to,
so no boot output is lost; everything is also logged to `vm.console_log`.
QEMU never outlives us: it runs in its own process group with a parent-death
signal, and stop() is reached from __exit__, atexit and SIGTERM/SIGHUP.
"""
import atexit
import codecs
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from . import clock, initramfs
from .qmp import QMP, QMPError

QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
# arm64 guests: QEMU's virt machine (a device tree, GICv3, PL011, fw_cfg on
# MMIO) with Cortex-A57s, the cheapest CPU to emulate that arm64 6.x runs on.
QEMU_ARM64 = os.environ.get("QEMU_AARCH64", "qemu-system-aarch64")
ARM64_MACHINE = ["-machine", "virt,gic-version=3", "-cpu", "cortex-a57"]
CONSOLE = {"x86_64": "ttyS0", "arm64": "ttyAMA0"}
READY = "DTDEBUG-READY"
# Without ACPI the fw_cfg device is only known from this parameter (the x86
# defaults: 12 ports at 0x510, control +0, data +1, DMA +4). The driver writes
# the VMCOREINFO address to QEMU only through the DMA interface, so without it
# dump-guest-memory has no guest note and drgn rejects the dump.
FW_CFG = "qemu_fw_cfg.ioport=12@0x510:0:1:4"
PANIC_RE = re.compile(r"Kernel panic - not syncing[^\n]*")

_live = set()
_lock = threading.Lock()


class VMError(Exception):
    pass


def _stop_all():
    for vm in list(_live):
        vm.stop()


def _on_signal(signum, frame):
    _stop_all()
    raise SystemExit(128 + signum)


def _install_handlers():
    # Only take over signals nobody else handles, and only where Python
    # allows it (the main thread).
    if threading.current_thread() is not threading.main_thread():
        return
    for s in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(s) in (signal.SIG_DFL, None):
            signal.signal(s, _on_signal)


atexit.register(_stop_all)
_libc = ctypes.CDLL(None, use_errno=True)


def _child_setup():
    # PR_SET_PDEATHSIG: QEMU is killed even if we are SIGKILLed.
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def boot_timeout():
    return float(os.environ.get("DTDEBUG_BOOT_TIMEOUT", "240"))


def cmdline(kaslr, extra="", harness=True, arch="x86_64"):
    """The kernel command line of every guest, whatever its generation.

    The timekeeping parameters (tests/harness/clock.py) are passed to every
    x86 kernel: a generation that calibrates its TSC by itself takes the
    same value, one that cannot would otherwise stall. An arm64 guest finds
    its console UART and fw_cfg in the device tree.
    """
    parts = ["console=" + CONSOLE[arch]]
    if arch == "x86_64":
        parts.append(FW_CFG)
    parts.append("kaslr" if kaslr else "nokaslr")
    parts += clock.timekeeping_args(arch)
    if harness:
        parts += ["dtharness", "dtquiet"]
    if extra:
        parts.append(extra)
    return " ".join(parts)


def qemu_argv(kernel, initrd, append, smp=2, mem="512M", gdb_port=None,
              qmp_path=None, console=None, on_panic_exit=False, icount=None):
    """The QEMU command line shared by the harness and `make vm`.

    TCG only: the tier must behave the same on machines without KVM.
    icount: QEMU's -icount shift (the guest's clocks then count emulated
    instructions, 2^shift ns each, whatever the host does meanwhile).
    """
    if kernel.arch == "arm64":
        argv = [QEMU_ARM64, "-accel", "tcg"] + ARM64_MACHINE + \
            ["-smp", str(smp)]
    else:
        # One socket per vCPU: without ACPI the kernel learns CPUs from
        # SeaBIOS's MP table, which lists one processor per socket only.
        argv = [QEMU, "-accel", "tcg", "-smp", "%d,sockets=%d" % (smp, smp)]
    if icount is not None:
        argv += ["-icount", "shift=%d" % icount]
    argv += ["-m", mem,
             "-nographic", "-no-reboot",
             "-kernel", kernel.image, "-initrd", initrd,
             "-append", append + (" panic=-1" if on_panic_exit else ""),
             "-device", "vmcoreinfo"]
    if gdb_port:
        argv += ["-gdb", "tcp:127.0.0.1:%d" % gdb_port]
    if qmp_path:
        argv += ["-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    if console:
        sock, log = console
        argv += ["-monitor", "none",
                 "-chardev", "socket,id=con0,path=%s,logfile=%s" % (sock, log),
                 "-serial", "chardev:con0"]
    return argv


class VM:
    def __init__(self, kernel, kaslr=False, smp=2, mem="512M", workdir=None,
                 append="", panic_exit=False, timeout=None, icount=None):
        self.kernel = kernel
        self.kaslr = kaslr
        self.smp = smp
        self.mem = mem
        self.append = append
        self.panic_exit = panic_exit
        self.icount = icount
        self.timeout = timeout or boot_timeout()
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="dtvm-")
        self.console_log = os.path.join(self.workdir, "console.log")
        self.qemu_log = os.path.join(self.workdir, "qemu.log")
        self.proc = None
        self.qmp = None
        self.gdb_port = None
        self.release = None
        self._text = ""
        self._cond = threading.Condition()
        self._closed = False
        self._seq = 0
        self._conn = None
        self._kaslr_offset = None
        self.cmdline = None

    # -- lifecycle ---------------------------------------------------------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        _install_handlers()
        initrd = initramfs.path(self.kernel.arch)
        sock_path = os.path.join(self.workdir, "console.sock")
        qmp_path = os.path.join(self.workdir, "qmp.sock")
        for attempt in range(3):
            for p in (sock_path, qmp_path):
                if os.path.exists(p):
                    os.unlink(p)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(sock_path)
            listener.listen(1)
            self.gdb_port = _free_port()
            try:
                self.cmdline = cmdline(self.kaslr, self.append,
                                       arch=self.kernel.arch)
            except clock.ClockError as e:
                raise VMError(str(e))
            argv = qemu_argv(self.kernel, initrd, self.cmdline,
                             self.smp, self.mem, self.gdb_port, qmp_path,
                             (sock_path, self.console_log), self.panic_exit,
                             self.icount)
            with open(self.qemu_log, "w") as err:

                self.proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                    start_new_session=True, preexec_fn=_child_setup)
            with _lock:
                _live.add(self)
            try:
                self._conn = self._accept(listener)
                break
            except VMError:
                self._kill()
                log = self._qemu_stderr()
                if "Address already in use" in log and attempt < 2:
                    continue
                raise VMError("QEMU did not start: %s" % (
                    log.strip().splitlines()[-1] if log.strip()
                    else "no message"))
            finally:
                listener.close()
        threading.Thread(target=self._reader, daemon=True).start()
        try:
            self.qmp = QMP(qmp_path, timeout=30)
        except QMPError as e:
            raise VMError(str(e))
        m = self.expect(r"DTDEBUG-RELEASE (\S+)\n", self.timeout)
        self.release = m.group(1)
        self.expect(READY + "\n", self.timeout, m.end())

    def _accept(self, listener):
        deadline = time.monotonic() + 30
        listener.settimeout(0.2)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise VMError("QEMU exited")
            try:
                conn, _ = listener.accept()
                return conn
            except socket.timeout:
                continue
        raise VMError("QEMU did not connect to the console")

    def _qemu_stderr(self):
        try:
            with open(self.qemu_log) as f:
                return f.read()
        except OSError:
            return ""

    def _reader(self):
        dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                data = self._conn.recv(65536)
            except OSError:
                data = b""
            with self._cond:
                if not data:
                    self._closed = True
                    self._cond.notify_all()
                    return
                self._text += dec.decode(data).replace("\r", "")
                self._cond.notify_all()

    def _kill(self):
        if not self.proc:
            return
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        try:
            self.proc.wait(1)
        except subprocess.TimeoutExpired:
            pass

    def stop(self):
        """Stop QEMU for good; safe to call twice and from signal handlers."""
        if self.proc and self.proc.poll() is None and self.qmp:
            try:
                self.qmp.sock.settimeout(3)
                self.qmp.execute("quit")
            except (QMPError, OSError, ValueError):
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self._kill()
        if self.qmp:
            self.qmp.close()
        if self._conn:
            try:
                self._conn.close()
            except OSError:
                pass
        with _lock:
            _live.discard(self)
        if self._own_workdir and os.environ.get("DTDEBUG_KEEP") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- console -----------------------------------------------------------
    @property
    def console(self):
        with self._cond:
            return self._text

    def tail(self, n=15):
        """The end of the console, after the command line it booted with."""
        return "\n".join(["[booted with: %s]" % self.cmdline]
                         + self.console.rstrip("\n").splitlines()[-n:])

    def expect(self, pattern, timeout, pos=0):
        """Wait for a regex in the console text from `pos`; VMError if the
        guest panics, QEMU dies or the time runs out."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._text, pos)
                if m:
                    return m
                p = PANIC_RE.search(self._text, pos)
                if p:
                    raise VMError("guest panicked: %s\n%s"
                                  % (p.group(0), self.tail()))
                if self._closed or (self.proc and self.proc.poll() is not None):
                    raise VMError("QEMU exited (%s) waiting for %r\n%s" % (
                        self.proc.poll() if self.proc else "?", pattern,
                        self.tail()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise VMError("timeout (%ds) waiting for %r\n%s"
                                  % (timeout, pattern, self.tail()))
                self._cond.wait(min(left, 0.5))

    def run(self, cmd, timeout=60):
        """Run a shell command in the guest: (exit status, output).

        The markers are quoted so that an echo of the command line itself
        could never match them.
        """
        self._seq += 1
        n = self._seq
        with self._cond:
            pos = len(self._text)
        line = ('echo "DT""B%d"; ( %s ) </dev/null 2>&1; dtrc=$?; echo; '
                'echo "DT""E%d $dtrc"\n') % (n, cmd, n)
        self._conn.sendall(line.encode())
        m = self.expect(r"DTB%d\n(.*?)\nDTE%d (\d+)\n" % (n, n), timeout, pos)
        return int(m.group(2)), m.group(1)

    def check(self, cmd, timeout=60):
        rc, out = self.run(cmd, timeout)
        if rc:
            raise VMError("guest command %r failed (%d): %s" % (cmd, rc, out))
        return out

    # -- debugger and dumps --------------------------------------------------
    def kaslr_offset(self):
        """Virtual KASLR offset of the running kernel (0 with nokaslr)."""
        if self._kaslr_offset is None:
            from . import kaslr
            self._kaslr_offset = kaslr.offset(self)
        return self._kaslr_offset

    def pause(self):
        """Stop the vCPUs, so that every dump and debugger sees one
        instant. What only a running guest can tell is asked first and
        kept: its `uname -v` (kdump headers want it) and its KASLR offset
        (found by a gdb session, whose detach would resume the guest)."""
        self.uts_version()
        self.kaslr_offset()
        self.qmp.execute("stop")

    def uts_version(self):
        """`uname -v` of the guest (kdump headers want it)."""
        if not getattr(self, "_uts_version", None):
            self._uts_version = self.check("uname -v").strip()
        return self._uts_version

    def gdb(self, commands, timeout=180, symbols=True):
        from . import gdb
        return gdb.run(self, commands, timeout=timeout, symbols=symbols)

    def dump(self, path, fmt="elf", timeout=300):
        from . import dump
        return dump.take(self, path, fmt, timeout)
