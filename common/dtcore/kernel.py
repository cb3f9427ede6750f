"""The checks every command makes before reading a kernel through a
Target: is it a Dovetail kernel, does vmlinux match the memory."""
from .target import DtError, ReadError


class Kernel(object):
    def __init__(self, target):
        self.t = target
        self._release = None

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

    def release(self):
        if self._release is None:
            self._release = self.t.release()
        return self._release
