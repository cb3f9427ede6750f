"""The checks every command makes before reading a kernel through a
Target: is it a Dovetail kernel (libdtrec says), does vmlinux match the
memory."""
from .target import DtError, ReadError


class Kernel(object):
    def __init__(self, target):
        self.t = target
        self._release = None
        self._checked = False

    def check_dovetail(self):
        """libdtrec's verdict (dtrec_state_check), once per command."""
        if not self._checked:
            from . import ctarget
            ctarget.check(self.t)
            self._checked = True

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
