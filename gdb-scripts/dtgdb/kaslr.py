"""dt-kaslr: find a guest's KASLR offset (from a dump's VMCOREINFO, or by
searching a QEMU guest's physical memory for it) and reload vmlinux."""
import re

import gdb

from dtcore import dumpfile
from dtcore.banner import file_banner
from dtcore.target import DtError

from . import target


def _aarch64():
    return "aarch64" in gdb.selected_inferior().architecture().name()


class DtKaslr(gdb.Command):
    """Compute the KASLR offset of a QEMU guest and reload vmlinux with it.

Usage: dt-kaslr [--scan-mb N] [--dry-run]

On a vmcore (gdb vmlinux vmcore), reads KERNELOFFSET from the dump's
VMCOREINFO note. On a QEMU gdbstub, switches to physical memory
(maintenance packet Qqemu.PhyMemMode:1), searches the first N MiB
(default 1024) of guest physical memory (from 1 GiB on arm64, where
QEMU's virt machine has its RAM) for the VMCOREINFO note text
(OSRELEASE=..., KERNELOFFSET=...) and switches back. Then checks
OSRELEASE against vmlinux and reloads vmlinux at that offset (x86_64
per-CPU symbols stay at 0). Boot the guest with nokaslr to avoid the
need altogether."""

    CHUNK = 1 << 20

    def __init__(self):
        gdb.Command.__init__(self, "dt-kaslr", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        scan_mb, dry = 1024, "--dry-run" in argv
        if "--scan-mb" in argv:
            try:
                scan_mb = int(argv[argv.index("--scan-mb") + 1])
            except (IndexError, ValueError):
                raise gdb.GdbError("dovetail: --scan-mb needs a number")
        vmlinux = target.vmlinux()
        if not vmlinux:
            raise gdb.GdbError("dovetail: load vmlinux first (file vmlinux)")
        core = target.core_path()
        if core:
            try:
                text = dumpfile.vmcoreinfo(core)
            except DtError as e:
                raise gdb.GdbError("dovetail: %s" % e)
        else:
            text = self._find_vmcoreinfo(scan_mb)
        rel = re.search(r"OSRELEASE=([^\n]*)", text)
        off = re.search(r"KERNELOFFSET=([0-9a-fA-F]+)", text)
        if not off:
            raise gdb.GdbError("dovetail: VMCOREINFO has no KERNELOFFSET "
                               "(kernel without KASLR support?)")
        offset = int(off.group(1), 16)
        banner = file_banner(vmlinux) or ""
        if rel and rel.group(1) not in banner:
            raise gdb.GdbError("dovetail: guest runs %s, vmlinux is another "
                               "build" % rel.group(1))
        # The same release string is no proof: compare the builds too.
        try:
            dumpfile.check_build(text, vmlinux, "dump" if core else "guest")
        except DtError as e:
            raise gdb.GdbError("dovetail: %s" % e)
        # x86_64 per-CPU symbols are offsets from __per_cpu_offset[], which
        # KASLR does not move: .data..percpu keeps its link address (0).
        # arm64's per-CPU section has a real link address and moves too.
        pcpu = "" if _aarch64() else " -s .data..percpu 0"
        cmds = ["symbol-file",
                "add-symbol-file %s -o %#x%s" % (vmlinux, offset, pcpu)]
        gdb.write("dovetail: KERNELOFFSET=%#x\n" % offset)
        if dry:
            gdb.write("\n".join(cmds) + "\n")
            return
        for c in cmds:
            gdb.execute(c, to_string=True)
        gdb.write("dovetail: reloaded: %s\n" % cmds[-1])

    def _find_vmcoreinfo(self, scan_mb):
        try:
            gdb.execute("maintenance packet Qqemu.PhyMemMode:1", to_string=True)
        except gdb.error as e:
            raise gdb.GdbError(
                "dovetail: cannot switch QEMU to physical memory mode (%s). "
                "Not a QEMU gdbstub? Read KERNELOFFSET= from "
                "/sys/kernel/vmcoreinfo in the guest, then run "
                "'add-symbol-file vmlinux -o 0xOFFSET -s .data..percpu 0'" % e)
        inf = gdb.selected_inferior()
        try:
            carry = b""
            # QEMU's arm virt machine has its RAM at 1 GiB, the pc at 0.
            start = 0x40000000 if _aarch64() else 0
            for base in range(start, start + (scan_mb << 20), self.CHUNK):
                try:
                    data = inf.read_memory(base, self.CHUNK).tobytes()
                except (gdb.MemoryError, gdb.error):
                    break       # end of guest RAM
                buf = carry + data
                i = buf.find(b"OSRELEASE=")
                while i >= 0:
                    j = buf.find(b"\0", i)
                    text = buf[i:j if j > 0 else len(buf)].decode("ascii", "replace")
                    if "KERNELOFFSET=" in text:
                        return text
                    i = buf.find(b"OSRELEASE=", i + 1)
                carry = data[-4096:]
        finally:
            gdb.execute("maintenance packet Qqemu.PhyMemMode:0", to_string=True)
        raise gdb.GdbError(
            "dovetail: no VMCOREINFO (OSRELEASE=...KERNELOFFSET=) in the first "
            "%d MiB of guest memory; retry with --scan-mb, or read "
            "/sys/kernel/vmcoreinfo in the guest and run "
            "'add-symbol-file vmlinux -o 0xOFFSET -s .data..percpu 0'" % scan_mb)


DtKaslr()
