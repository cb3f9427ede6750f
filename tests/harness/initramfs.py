"""Build (or reuse) the guest initramfs made by scripts/mkinitramfs.sh."""
import glob
import os
import subprocess

from .kernels import kcache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "mkinitramfs.sh")
SRC = os.path.join(ROOT, "tests", "initramfs")


class InitramfsError(Exception):
    pass


# The busybox each architecture's initramfs is built with (make setup).
BUSYBOX = {"x86_64": "/bin/busybox",
           "arm64": "/usr/local/lib/dovetail-debug/arm64/busybox"}


def _inputs(arch):
    return [SCRIPT, os.path.join(SRC, "init"), BUSYBOX[arch]] + \
        glob.glob(os.path.join(SRC, "*.c"))


def path(arch="x86_64"):
    """Path of an up-to-date initramfs for `arch`, rebuilt when any input
    is newer."""
    if arch not in BUSYBOX:
        raise InitramfsError("no initramfs for architecture %r" % arch)
    name = "dtdebug.cpio.gz" if arch == "x86_64" else \
        "dtdebug-%s.cpio.gz" % arch
    out = os.path.join(kcache(), "initramfs", name)
    try:
        built = os.path.getmtime(out)
        if all(os.path.getmtime(p) <= built for p in _inputs(arch)
               if os.path.exists(p)):
            return out
    except OSError:
        pass
    r = subprocess.run([SCRIPT, "--arch", arch, out], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        raise InitramfsError(r.stdout.strip().splitlines()[-1]
                             if r.stdout.strip() else "mkinitramfs failed")
    return out
