"""Kernel-level facts on top of a Target: checks, version, per-CPU
addresses, and bulk struct views."""
import re

from .target import DtError, ReadError


class View(object):
    """A struct read in one Target.read(): members decode from the bytes.

    Only the span covering the members the caller names is fetched, so
    a task_struct costs one read of a few hundred bytes, not 10 KiB.
    """

    def __init__(self, t, stype, addr, members=None):
        self.t = t
        self.stype = stype
        self.addr = addr
        if members:
            spans = [(t.member_offset(stype, m), t.member_size(stype, m))
                     for m in members]
            self.base = min(o for o, _ in spans)
            end = max(o + s for o, s in spans)
        else:
            self.base = 0
            end = t.type_size(stype)
        self.data = t.read(addr + self.base, end - self.base)

    def off(self, member):
        return self.t.member_offset(self.stype, member) - self.base

    def int(self, member):
        return self.t.uint(self.data, self.off(member),
                           self.t.member_size(self.stype, member))

    def sint(self, member):
        size = self.t.member_size(self.stype, member)
        v = self.int(member)
        return v - (1 << (8 * size)) if v >> (8 * size - 1) else v

    def bytes(self, member):
        o = self.off(member)
        return self.data[o:o + self.t.member_size(self.stype, member)]

    def cstr(self, member):
        raw = self.bytes(member)
        return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


class Kernel(object):
    """Shared helpers and the 'is this usable' checks."""

    def __init__(self, target):
        self.t = target
        self._release = None

    # --- checks ---------------------------------------------------------
    def check_dovetail(self):
        t = self.t
        if t.symbol("irq_pipeline") is None:
            raise DtError("not a Dovetail kernel (no irq_pipeline symbol)")
        if not t.has_member("struct task_struct", "stall_bits"):
            raise DtError("not a Dovetail kernel "
                          "(struct task_struct has no stall_bits)")

    def check_banner(self, file_banner):
        """Compare linux_banner in memory with the one in vmlinux's file
        data: a mismatch means the symbols describe another build."""
        if file_banner is None:
            return
        try:
            mem = self.t.banner()
        except ReadError as e:
            raise DtError("cannot read linux_banner (%s): vmlinux does not "
                          "match the dump, or KASLR offset not applied" % e)
        if mem is None:
            return
        if mem.rstrip("\n") != file_banner.rstrip("\n"):
            if mem.startswith("Linux version") and mem.strip().isprintable():
                seen = "memory: %r" % mem.strip()[:80]
            else:
                # Another build's linux_banner address lands on anything.
                seen = "memory holds no banner at vmlinux's linux_banner"
            raise DtError("vmlinux does not match the dump: linux_banner "
                          "differs (%s)" % seen)

    # --- facts ----------------------------------------------------------
    def release(self):
        if self._release is None:
            self._release = self.t.release()
        return self._release

    def version(self):
        m = re.match(r"(\d+)\.(\d+)", self.release())
        if not m:
            raise DtError("cannot parse kernel release %r" % self.release())
        return int(m.group(1)), int(m.group(2))

    def arch(self):
        a = self.t.arch()
        if a in ("x86_64", "i386:x86-64", "x86-64"):
            return "x86_64"
        if a in ("aarch64", "arm64"):
            return "arm64"
        return a

    def percpu(self, sym, cpu):
        base = self.t.symbol(sym)
        if base is None:
            return None
        return (base + self.t.per_cpu_offset(cpu)) & ((1 << (8 * self.t.ptr_size)) - 1)

    def online_cpus(self):
        return self.t.cpus()[1]

    def task_view(self, addr, members):
        return View(self.t, "struct task_struct", addr, members)

    def task_pid(self, addr):
        if not addr:
            return None
        return View(self.t, "struct task_struct", addr, ["pid"]).sint("pid")
