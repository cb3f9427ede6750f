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


def _inputs():
    return [SCRIPT, os.path.join(SRC, "init"), "/bin/busybox"] + \
        glob.glob(os.path.join(SRC, "*.c"))


def path():
    """Path of an up-to-date initramfs, rebuilt when any input is newer."""
    out = os.path.join(kcache(), "initramfs", "dtdebug.cpio.gz")
    try:
        built = os.path.getmtime(out)
        if all(os.path.getmtime(p) <= built for p in _inputs()
               if os.path.exists(p)):
            return out
    except OSError:
        pass
    r = subprocess.run([SCRIPT, out], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        raise InitramfsError(r.stdout.strip().splitlines()[-1]
                             if r.stdout.strip() else "mkinitramfs failed")
    return out
