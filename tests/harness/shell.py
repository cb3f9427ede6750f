"""`make vm NAME=...`: boot a cached kernel with a shell on this terminal.

    python3 -m tests.harness.shell NAME [--kaslr]

Prints how to attach gdb (with the KASLR strategy of tests/harness/kaslr.py
in mind: boot without --kaslr for plain `target remote`) and the QMP socket.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from . import clock, gdb, initramfs, kernels, vm


def main():
    ap = argparse.ArgumentParser(prog="make vm", description=__doc__.split("\n")[0])
    ap.add_argument("name", nargs="?", default="")
    ap.add_argument("--kaslr", action="store_true",
                    help="boot with KASLR (default: nokaslr)")
    ap.add_argument("--smp", type=int, default=2)
    a = ap.parse_args()
    found = kernels.discover()
    if not found:
        print("make vm: " + kernels.NO_KERNEL_REASON, file=sys.stderr)
        return 1
    if not a.name:
        print("make vm: say which kernel: NAME=%s"
              % "|".join(k.name for k in found), file=sys.stderr)
        return 1
    k = kernels.find(a.name)
    if not k:
        print("make vm: no kernel %r in the cache (have: %s)"
              % (a.name, ", ".join(x.name for x in found)), file=sys.stderr)
        return 1
    try:
        initrd = initramfs.path(k.arch)
    except initramfs.InitramfsError as e:
        print("make vm: %s" % e, file=sys.stderr)
        return 1
    port = vm._free_port()
    qmp = os.path.join(tempfile.mkdtemp(prefix="dtvm-"), "qmp.sock")
    # irqaffinity=0: device IRQs (the console UART) stay off CPUs the
    # fixture may hold stalled.
    try:
        append = vm.cmdline(a.kaslr, extra="irqaffinity=0", harness=False,
                            arch=k.arch)
    except clock.ClockError as e:
        print("make vm: %s" % e, file=sys.stderr)
        return 1
    argv = vm.qemu_argv(k, initrd, append,
                        smp=a.smp, gdb_port=port, qmp_path=qmp)
    argv += ["-serial", "mon:stdio"]
    print("make vm: %s (%s); Ctrl-A X quits, 'reboot -f' too" % (k.name, k.release))
    print("make vm: kernel command line: %s" % append)
    print("make vm: %s -ex 'file %s' -ex 'target remote 127.0.0.1:%d'%s"
          % (gdb.binary(k.arch), k.vmlinux, port, "" if not a.kaslr else
             "  (KASLR on: see docs/vm-tier.md for the offset)"))
    print("make vm: QMP at %s" % qmp)
    sys.stdout.flush()
    try:
        return subprocess.call(argv, preexec_fn=vm._child_setup)
    except KeyboardInterrupt:
        return 130
    finally:
        shutil.rmtree(os.path.dirname(qmp), ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
