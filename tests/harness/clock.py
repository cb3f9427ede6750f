"""Boot parameters that let every kernel generation keep time under TCG.

Without ACPI, QEMU's x86 guest has no HPET or PM timer, only the PIT, and
under emulation the PIT is too irregular to calibrate the TSC against.
6.x kernels cope; 5.x kernels print "Unable to calibrate against PIT",
mark the TSC unstable and stall after freeing initmem. Under TCG the
guest's TSC is the host's, so the host's rate, measured here once, is
the right one to hand the guest: tsc_early_khz= skips the calibration
and tsc=reliable keeps the clocksource watchdog from discarding a TSC
that emulation makes look jittery.
"""
import os
import platform
import subprocess

from . import hostbuild

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tsc_khz.c")
_BIN = os.path.join(ROOT, "out", "harness", "tsc-khz")
_cached = None


class ClockError(Exception):
    pass


def host_tsc_khz():
    """The host's TSC rate in kHz (built and measured once per process)."""
    global _cached
    if _cached is not None:
        return _cached
    if platform.machine() != "x86_64":
        raise ClockError("host is %s: no TSC to hand an x86 guest"
                         % platform.machine())
    try:
        hostbuild.built(_SRC, _BIN)
    except hostbuild.BuildError as e:
        raise ClockError(str(e))
    r = subprocess.run([_BIN], capture_output=True, text=True)
    if r.returncode or not r.stdout.strip().isdigit():
        raise ClockError("cannot measure the host's TSC rate")
    _cached = int(r.stdout)
    return _cached


def timekeeping_args(arch="x86_64"):
    """Kernel parameters for a guest of `arch` under TCG. An arm64 guest
    needs none: its arch timer's rate is in the device tree QEMU writes
    (and in CNTFRQ_EL0), nothing to calibrate."""
    if arch != "x86_64":
        return []
    return ["tsc=reliable", "tsc_early_khz=%d" % host_tsc_khz()]
