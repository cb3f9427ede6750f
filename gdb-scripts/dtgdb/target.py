"""The dtcore Target over gdb: a QEMU gdbstub (live, per-vCPU RFLAGS or PSTATE)
or an ELF vmcore opened with `gdb vmlinux vmcore`. Type lookups are
cached and dropped when an objfile is (re)loaded, like the kernel's
scripts/gdb CachedType."""
import re

import gdb

from dtcore import dumpfile
from dtcore.target import DtError, MissingMember, MissingType, ReadError, Target


def _strip(ty):
    return ty.strip_typedefs().unqualified()


def _flags_register(arch):
    """The register holding the hard IRQ bit (libdtrec decodes it: IF on
    x86_64, DAIF.I on arm64), by gdb's architecture name; None: unknown."""
    if "x86-64" in arch:
        return "$eflags"
    if "aarch64" in arch:
        return "$cpsr"
    return None


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

    def member(self, struct, member):
        off, ty = self._member(struct, member)
        n = 0
        if ty.code == gdb.TYPE_CODE_ARRAY:
            lo, hi = ty.range()
            n = hi - lo + 1
        return off, ty.sizeof, n

    def cpu_flags(self, cpu, rank):
        """QEMU's gdbstub exposes one thread per vCPU (ptid lwp = cpu + 1):
        read each one's live eflags (cpsr on aarch64). A core file: the
        RFLAGS (PSTATE) its notes saved, note i for the i-th online CPU as
        drgn and crash map them. Other targets: unknown."""
        key = ("flags", self.core)
        if key not in self._cache:
            if self.core:
                self._cache[key] = dict(enumerate(dumpfile.cpu_flags(self.core))) \
                    if _flags_register(self._arch) else {}
            else:
                self._cache[key] = self._vcpu_flags()
        return self._cache[key].get(rank if self.core else cpu)

    def _vcpu_flags(self):
        out = {}
        inf = gdb.selected_inferior()
        reg = _flags_register(self._arch)
        if not self._is_qemu() or not reg:
            return out
        orig = gdb.selected_thread()
        try:
            for th in inf.threads():
                th.switch()
                try:
                    out[th.ptid[1] - 1] = int(gdb.parse_and_eval(reg)) & 0xffffffff
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


def vmlinux():
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


def core_path():
    """The core file gdb has open, or None: gdb 13's Python API has no
    call for it, `info target` names it."""
    try:
        text = gdb.execute("info target", to_string=True)
    except gdb.error:
        return None
    m = re.search(r"core dump file:\s*`(.+?)', file type", text)
    return m.group(1) if m else None


def target(vmlinux):
    if gdb.selected_inferior().pid == 0 and not gdb.selected_inferior().threads():
        raise DtError("no running target or core file: attach to QEMU "
                      "(target remote :1234) or open a vmcore first")
    core = core_path()
    if core:
        dumpfile.verify(core, vmlinux)
    return GdbTarget(core)
