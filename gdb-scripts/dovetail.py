"""Dovetail state inspection for gdb: `source gdb-scripts/dovetail.py`.

Registers dt-stages, dt-irqs, dt-tasks, dt-trace, dt-stats, dt-audit,
dt-report, dt-export, dt-snapshot, dt-freeze, dt-unfreeze and dt-kaslr. Works on a
QEMU gdbstub (live, per-vCPU RFLAGS) and on an ELF vmcore opened with
`gdb vmlinux vmcore` (RFLAGS and VMCOREINFO from the dump's notes).
"""
import os
import re
import sys

import gdb

_HERE = os.path.dirname(os.path.abspath(__file__))
_COMMON = os.path.join(os.path.dirname(_HERE), "common")
if _COMMON not in sys.path:
    sys.path.insert(0, _COMMON)

from dtcore import cli, dumpfile  # noqa: E402
from dtcore.banner import file_banner  # noqa: E402
from dtcore.target import DtError, MissingMember, MissingType, ReadError, Target  # noqa: E402

X86_EFLAGS_IF = 1 << 9


def _strip(ty):
    return ty.strip_typedefs().unqualified()


class GdbTarget(Target):
    """Type lookups are cached and dropped when an objfile is (re)loaded,
    like the kernel's scripts/gdb CachedType."""

    _cache = {}

    def __init__(self, core=None):
        self.core = core
        arch = gdb.selected_inferior().architecture()
        self._arch = arch.name()
        self.ptr_size = gdb.lookup_type("void").pointer().sizeof
        self.byteorder = "big" if "big endian" in gdb.execute(
            "show endian", to_string=True) else "little"

    @classmethod
    def invalidate(cls, _event=None):
        cls._cache.clear()

    def read(self, addr, size):
        try:
            return gdb.selected_inferior().read_memory(addr, size).tobytes()
        except (gdb.MemoryError, gdb.error, OverflowError, ValueError) as e:
            raise ReadError(addr, size, str(e))

    def write(self, addr, data):
        try:
            gdb.selected_inferior().write_memory(addr, data)
        except (gdb.MemoryError, gdb.error) as e:
            raise DtError("cannot write %d bytes at %#x: %s" % (len(data), addr, e))

    def symbol(self, name):
        key = ("sym", name)
        if key in self._cache:
            return self._cache[key]
        addr = None
        sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
        try:
            if sym is not None:
                v = sym.value()
                addr = int(v.address) if v.address is not None else int(v)
        except gdb.error:
            addr = None
        if addr is None:
            try:
                addr = int(gdb.parse_and_eval("(unsigned long)&'%s'" % name))
            except gdb.error:
                addr = None
        self._cache[key] = addr
        return addr

    def _type(self, name):
        key = ("type", name)
        if key not in self._cache:
            try:
                self._cache[key] = _strip(gdb.lookup_type(name))
            except gdb.error:
                raise MissingType("no type %s in the debug info" % name)
        return self._cache[key]

    def type_size(self, name):
        ty = self._type(name)
        if ty.sizeof == 0 and ty.code == gdb.TYPE_CODE_STRUCT and not ty.fields():
            raise MissingType("%s is incomplete in the debug info" % name)
        return ty.sizeof

    @staticmethod
    def _field(ty, name):
        """(bit offset, type) of name in ty, through anonymous members."""
        for f in ty.fields():
            if f.name == name:
                return f.bitpos, _strip(f.type)
            if not f.name and _strip(f.type).code in (gdb.TYPE_CODE_STRUCT,
                                                      gdb.TYPE_CODE_UNION):
                hit = GdbTarget._field(_strip(f.type), name)
                if hit:
                    return f.bitpos + hit[0], hit[1]
        return None

    def _member(self, struct, member):
        key = ("mem", struct, member)
        if key not in self._cache:
            ty = self._type(struct)
            bits = 0
            for part in member.split("."):
                if ty.code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
                    raise MissingMember("%s has no member %s" % (struct, member))
                hit = self._field(ty, part)
                if hit is None:
                    raise MissingMember("%s has no member %s" % (struct, member))
                bits += hit[0]
                ty = hit[1]
            self._cache[key] = (bits // 8, ty)
        return self._cache[key]

    def member_offset(self, struct, member):
        return self._member(struct, member)[0]

    def member_size(self, struct, member):
        return self._member(struct, member)[1].sizeof

    def array_length(self, struct, member):
        ty = self._member(struct, member)[1]
        if ty.code != gdb.TYPE_CODE_ARRAY:
            raise MissingMember("%s.%s is not an array" % (struct, member))
        lo, hi = ty.range()
        return hi - lo + 1

    def arch(self):
        return "x86_64" if "x86-64" in self._arch else self._arch

    def cpu_flags(self, cpu):
        """QEMU's gdbstub exposes one thread per vCPU (ptid lwp = cpu + 1):
        read each one's live eflags. A core file: the RFLAGS its notes
        saved, mapped onto CPUs as drgn and crash map them. Other
        targets: unknown."""
        key = ("flags", self.core)
        if key not in self._cache:
            if self.core:
                self._cache[key] = dumpfile.cpu_flags(self.core, self.cpus()[1]) \
                    if "x86-64" in self._arch else {}
            else:
                self._cache[key] = self._vcpu_flags()
        return self._cache[key].get(cpu)

    def _vcpu_flags(self):
        out = {}
        inf = gdb.selected_inferior()
        if not self._is_qemu() or "x86-64" not in self._arch:
            return out
        orig = gdb.selected_thread()
        try:
            for th in inf.threads():
                th.switch()
                try:
                    out[th.ptid[1] - 1] = int(gdb.parse_and_eval("$eflags")) & 0xffffffff
                except gdb.error:
                    pass
        finally:
            if orig is not None and orig.is_valid():
                orig.switch()
        return out

    @staticmethod
    def _is_qemu():
        try:
            return "remote" in gdb.execute("info target", to_string=True).lower() \
                and "core file" not in gdb.execute("info target", to_string=True)
        except gdb.error:
            return False


gdb.events.new_objfile.connect(GdbTarget.invalidate)


def _vmlinux():
    """The kernel's symbol file. After dt-kaslr's `symbol-file` and
    `add-symbol-file` the program space has no main file any more: the
    objfile that defines linux_banner is the kernel."""
    try:
        name = gdb.current_progspace().filename
        if name:
            return name
        for o in gdb.objfiles():
            if o.is_valid() and o.lookup_global_symbol("linux_banner") is not None:
                return o.filename
    except (gdb.error, AttributeError):
        pass
    return None


def _core_path():
    """The core file gdb has open, or None: gdb 13's Python API has no
    call for it, `info target` names it."""
    try:
        text = gdb.execute("info target", to_string=True)
    except gdb.error:
        return None
    m = re.search(r"core dump file:\s*`(.+?)', file type", text)
    return m.group(1) if m else None


def _target(vmlinux):
    if gdb.selected_inferior().pid == 0 and not gdb.selected_inferior().threads():
        raise DtError("no running target or core file: attach to QEMU "
                      "(target remote :1234) or open a vmcore first")
    core = _core_path()
    if core:
        dumpfile.verify(core, vmlinux)
    return GdbTarget(core)


def _run(cmd, arg):
    """Errors end as one gdb error line (no traceback); the last
    'dovetail:' line becomes the GdbError text, earlier ones (per-CPU
    warnings) are printed as they come."""
    errs = []

    def out(s):
        gdb.write(s + "\n")

    def err(s):
        if errs:
            gdb.write(errs[-1] + "\n", gdb.STDERR)
        errs[:] = [s]
    vmlinux = _vmlinux()
    try:
        argv = gdb.string_to_argv(arg)
        t = _target(vmlinux)
    except DtError as e:
        raise gdb.GdbError("dovetail: %s" % e)
    rc = cli.execute(t, cmd, argv, out, err, prog_prefix="dt-",
                     file_banner=file_banner(vmlinux))
    # 3: audit found violations, 4: the report named a culprit; both printed.
    if rc not in (0, 3, 4):
        raise gdb.GdbError(errs[-1] if errs else "dovetail: %s failed" % cmd)
    for s in errs:
        gdb.write(s + "\n", gdb.STDERR)


class _DtCommand(gdb.Command):
    def __init__(self, cmd):
        self.cmd = cmd
        self.__doc__ = cli.help_text(cmd, "dt-")
        gdb.Command.__init__(self, "dt-" + cmd, gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        _run(self.cmd, arg)


def _make(cmd):
    cls = type("Dt_" + cmd, (_DtCommand,), {"__doc__": cli.help_text(cmd, "dt-")})
    return cls(cmd)


for _c in cli.HELP:
    _make(_c)


class DtKaslr(gdb.Command):
    """Compute the KASLR offset of a QEMU guest and reload vmlinux with it.

Usage: dt-kaslr [--scan-mb N] [--dry-run]

On a vmcore (gdb vmlinux vmcore), reads KERNELOFFSET from the dump's
VMCOREINFO note. On a QEMU gdbstub, switches to physical memory
(maintenance packet Qqemu.PhyMemMode:1), searches the first N MiB
(default 1024) of guest physical memory for the VMCOREINFO note text
(OSRELEASE=..., KERNELOFFSET=...) and switches back. Then checks
OSRELEASE against vmlinux and reloads vmlinux at that offset (per-CPU
symbols stay at 0). Boot the guest with nokaslr to avoid the need
altogether."""

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
        vmlinux = _vmlinux()
        if not vmlinux:
            raise gdb.GdbError("dovetail: load vmlinux first (file vmlinux)")
        core = _core_path()
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
        cmds = ["symbol-file",
                "add-symbol-file %s -o %#x -s .data..percpu 0" % (vmlinux, offset)]
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
            for base in range(0, scan_mb << 20, self.CHUNK):
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
