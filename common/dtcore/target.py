"""The Target interface: what the state decoders need from a debugger.

A front end (gdb, drgn, a unit-test fake) implements the primitives;
everything else in dtcore is pure logic on top of them. Memory is read
in bulk (whole structs, whole maps, whole rings) and decoded with the
struct module, because a field-by-field walk through a debugger costs
one round trip per field on a gdbstub target.
"""
import struct as _struct


class DtError(Exception):
    """A one-line, user-facing failure: front ends print 'dovetail: <msg>'."""


class MissingMember(DtError):
    pass


class MissingType(DtError):
    pass


class ReadError(DtError):
    def __init__(self, addr, size, why=""):
        self.addr = addr
        self.size = size
        DtError.__init__(self, "cannot read %d bytes at %#x%s"
                         % (size, addr, (": " + why) if why else ""))


class Target(object):
    """Abstract debugger access. Subclasses implement the primitives."""

    # --- primitives -----------------------------------------------------
    ptr_size = 8
    byteorder = "little"

    def read(self, addr, size):
        raise NotImplementedError

    def write(self, addr, data):
        raise DtError("this front end cannot write target memory")

    def symbol(self, name):
        """Address of a global or static object/function, or None."""
        raise NotImplementedError

    def type_size(self, name):
        """sizeof(name); name is e.g. 'struct task_struct'. MissingType if absent."""
        raise NotImplementedError

    def member_offset(self, struct, member):
        """Byte offset of member (dotted path, anonymous members looked
        through) in 'struct'. Raises MissingMember."""
        raise NotImplementedError

    def member_size(self, struct, member):
        raise NotImplementedError

    def array_length(self, struct, member):
        """Element count of an array member. Raises MissingMember."""
        raise NotImplementedError

    def arch(self):
        """'x86_64', 'aarch64', ..."""
        raise NotImplementedError

    def cpu_flags(self, cpu):
        """Hard interrupt flag word of a CPU (RFLAGS / PSTATE), None if unknown."""
        return None

    # --- derived, overridable ------------------------------------------
    def has_type(self, name):
        try:
            self.type_size(name)
            return True
        except DtError:
            return False

    def has_member(self, struct, member):
        try:
            self.member_offset(struct, member)
            return True
        except DtError:
            return False

    def unpack(self, fmt, data, off=0):
        pre = "<" if self.byteorder == "little" else ">"
        return _struct.unpack_from(pre + fmt, data, off)

    def uint(self, data, off, size):
        return int.from_bytes(data[off:off + size], self.byteorder)

    def read_uint(self, addr, size):
        return self.uint(self.read(addr, size), 0, size)

    def read_ptr(self, addr):
        return self.read_uint(addr, self.ptr_size)

    def read_cstr(self, addr, maxlen=256):
        """NUL-terminated string; reads in small pieces so that a string
        near the end of a mapping does not fail as a whole."""
        out = b""
        while len(out) < maxlen:
            n = min(64, maxlen - len(out))
            try:
                chunk = self.read(addr + len(out), n)
            except ReadError:
                if out:
                    break
                raise
            i = chunk.find(b"\0")
            if i >= 0:
                return (out + chunk[:i]).decode("utf-8", "replace")
            out += chunk
        return out.decode("utf-8", "replace")

    def per_cpu_offset(self, cpu):
        base = self.symbol("__per_cpu_offset")
        if base is None:
            return 0        # !SMP: per-CPU variables are plain globals
        return self.read_ptr(base + cpu * self.ptr_size)

    def _cpumask(self, name):
        addr = self.symbol(name)
        if addr is None:
            return None
        try:
            words = self.array_length("struct cpumask", "bits")
        except DtError:
            words = 1
        data = self.read(addr, words * self.ptr_size)
        bits = self.uint(data, 0, len(data))
        return [i for i in range(words * self.ptr_size * 8) if bits >> i & 1]

    def cpus(self):
        """(possible, online) CPU lists."""
        possible = self._cpumask("__cpu_possible_mask")
        online = self._cpumask("__cpu_online_mask")
        if possible is None:
            possible = [0]
        if online is None:
            online = possible
        if not online:
            # gdb fills holes of a core file from vmlinux's own (zeroed)
            # data: an empty mask means the dump lacks that memory.
            raise DtError("no online CPU in __cpu_online_mask: the dump does "
                          "not cover kernel data at its virtual address (for "
                          "gdb use dump-guest-memory with paging, or drgn/crash)")
        return possible, online

    def release(self):
        addr = self.symbol("init_uts_ns")
        if addr is None:
            raise DtError("no init_uts_ns symbol: is this a Linux kernel?")
        off = self.member_offset("struct uts_namespace", "name.release")
        return self.read_cstr(addr + off, 65)

    def banner(self):
        """linux_banner as found in target memory, or None."""
        addr = self.symbol("linux_banner")
        if addr is None:
            return None
        return self.read_cstr(addr, 512)
