"""The Target interface: what libdtrec needs from a debugger.

A front end (gdb, drgn, a unit-test fake) implements the primitives;
libdtrec decodes on top of them, called back through ctypes
(ctarget.py, libdtrec/dtrec_target.h). It reads in bulk (whole structs,
whole maps, whole rings), because a field-by-field walk through a
debugger costs one round trip per field on a gdbstub target.
"""


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

    def member(self, struct, member):
        """(offset, size, element count or 0) of one member of 'struct'
        (anonymous members looked through). Raises MissingMember."""
        try:
            n = self.array_length(struct, member)
        except DtError:
            n = 0
        return (self.member_offset(struct, member),
                self.member_size(struct, member), n)

    def arch(self):
        """'x86_64', 'aarch64', ..."""
        raise NotImplementedError

    def cpu_flags(self, cpu, rank):
        """Hard interrupt flag word of a CPU (RFLAGS / PSTATE), None if
        unknown. rank: the CPU's position among the online CPUs (a dump's
        register notes come in that order)."""
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

    def release(self):
        addr = self.symbol("init_uts_ns")
        if addr is None:
            raise DtError("no init_uts_ns symbol: is this a Linux kernel?")
        off = self.member_offset("struct uts_namespace", "name") + \
            self.member_offset("struct new_utsname", "release")
        return self.read_cstr(addr + off, 65)

    def banner(self):
        """linux_banner as found in target memory, or None."""
        addr = self.symbol("linux_banner")
        if addr is None:
            return None
        return self.read_cstr(addr, 512)
