"""What a dump file itself says, beside the memory a debugger reads from
it: completeness, the saved RFLAGS of each CPU, VMCOREINFO, and whether a
vmlinux is the kernel it was taken from. Shared by the gdb and drgn front
ends; the parsing is libdtrec's (dumpnotes.c), as in the crash extension."""
import os

from . import trace
from .libdtrec import DtrecError
from .target import DtError

# (dump, vmlinux) pairs already found usable, with the files' identities:
# a kdump file's completeness check reads its whole page table, too much
# to redo for every command of an interactive session.
_verified = set()


def _lib():
    return trace._lib()         # DtError when libdtrec cannot be loaded


def _identity(*paths):
    ids = []
    for p in paths:
        try:
            st = os.stat(p)
            ids.append((p, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
        except (OSError, TypeError):
            ids.append((p,))
    return tuple(ids)


def verify(path, vmlinux=None):
    """Raise DtError when the dump is cut short, or when its VMCOREINFO
    names another build ID than vmlinux's: a debugger reads a dump through
    any vmlinux without complaint, and the wrong one decodes garbage.
    Once per (dump, vmlinux) as long as neither file changes."""
    key = _identity(path, vmlinux)
    if key in _verified:
        return
    lib = _lib()
    try:
        lib.dump_check(path)
        if vmlinux:
            lib.dump_check_build(path, vmlinux)
    except DtrecError as e:
        raise DtError(str(e))
    _verified.add(key)


def cpu_flags(path):
    """RFLAGS of the dump's NT_PRSTATUS notes, in note order ([] when it
    has none it can read). Notes come in CPU order in kdump and QEMU dumps
    (a kdump note's pid is the task's, not the CPU's): note i belongs to
    the i-th online CPU, which libdtrec maps (the rank of cpu_flags())."""
    try:
        return _lib().dump_cpu_flags(path)
    except (DtError, DtrecError):
        return []


def vmcoreinfo(path):
    """The text of the dump's VMCOREINFO note; DtError without one."""
    lib = _lib()
    try:
        return lib.dump_vmcoreinfo(path)
    except DtrecError as e:
        raise DtError(str(e))


def check_build(vmcoreinfo_text, vmlinux, what):
    """Raise DtError when a VMCOREINFO text (of a dump, or read from a
    live guest's memory) names another build ID than vmlinux's."""
    lib = _lib()
    try:
        lib.vmcoreinfo_check_build(vmcoreinfo_text, vmlinux, what)
    except DtrecError as e:
        raise DtError(str(e))
