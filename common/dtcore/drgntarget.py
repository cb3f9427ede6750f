"""Target over a drgn Program (vmcore, /proc/kcore, or synthetic)."""
import drgn

from . import dumpfile
from .target import DtError, MissingMember, MissingType, ReadError, Target


def _strip(ty):
    while ty.kind == drgn.TypeKind.TYPEDEF:
        ty = ty.type
    return ty.unqualified()


class DrgnTarget(Target):
    def __init__(self, prog, dump_path=None):
        self.prog = prog
        plat = prog.platform
        self.ptr_size = 8 if plat.flags & drgn.PlatformFlags.IS_64_BIT else 4
        self.byteorder = "little" if plat.flags & drgn.PlatformFlags.IS_LITTLE_ENDIAN \
            else "big"
        self.dump_path = dump_path
        self._types = {}
        self._members = {}
        self._flags = None

    def read(self, addr, size):
        try:
            return self.prog.read(addr, size)
        except (drgn.FaultError, ValueError, OverflowError) as e:
            raise ReadError(addr, size, str(e))

    def write(self, addr, data):
        raise DtError("drgn cannot write target memory (use gdb dt-freeze)")

    def symbol(self, name):
        try:
            obj = self.prog[name]
            addr = obj.address_
            if addr is not None:
                return addr
        except (KeyError, LookupError):
            pass
        try:
            return self.prog.symbol(name).address
        except LookupError:
            return None

    def _type(self, name):
        ty = self._types.get(name)
        if ty is None:
            try:
                ty = _strip(self.prog.type(name))
            except LookupError:
                raise MissingType("no type %s in the debug info" % name)
            self._types[name] = ty
        return ty

    def type_size(self, name):
        ty = self._type(name)
        if not ty.is_complete():
            raise MissingType("%s is incomplete in the debug info" % name)
        return drgn.sizeof(ty)

    def _member(self, struct, member):
        key = (struct, member)
        hit = self._members.get(key)
        if hit is None:
            ty = self._type(struct)
            try:
                off = drgn.offsetof(ty, member)
                mty = ty
                for part in member.split("."):
                    mty = _strip(mty.member(part).type)
            except (LookupError, TypeError, ValueError):
                raise MissingMember("%s has no member %s" % (struct, member))
            hit = self._members[key] = (off, mty)
        return hit

    def member_offset(self, struct, member):
        return self._member(struct, member)[0]

    def member_size(self, struct, member):
        return drgn.sizeof(self._member(struct, member)[1])

    def array_length(self, struct, member):
        mty = self._member(struct, member)[1]
        if mty.kind != drgn.TypeKind.ARRAY or mty.length is None:
            raise MissingMember("%s.%s is not a sized array" % (struct, member))
        return mty.length

    def member(self, struct, member):
        off, mty = self._member(struct, member)
        n = mty.length if mty.kind == drgn.TypeKind.ARRAY and mty.length else 0
        return off, drgn.sizeof(mty), n

    def arch(self):
        a = self.prog.platform.arch
        if a == drgn.Architecture.X86_64:
            return "x86_64"
        if a == drgn.Architecture.AARCH64:
            return "aarch64"
        return str(a).split(".")[-1].lower()

    def cpu_flags(self, cpu, rank):
        if self._flags is None:
            self._flags = dumpfile.cpu_flags(self.dump_path) \
                if self.dump_path and self.arch() in ("x86_64", "aarch64") \
                else []
        return self._flags[rank] if rank < len(self._flags) else None
