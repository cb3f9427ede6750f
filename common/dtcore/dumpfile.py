"""What a dump file itself says, beside the memory a debugger reads from
it: completeness, the saved RFLAGS of each CPU, and VMCOREINFO. Shared by
the gdb and drgn front ends; the parsing is libdtrec's (dumpnotes.c), as
in the crash extension."""
from . import libdtrec
from .target import DtError


def check(path):
    """Raise DtError when the dump is cut short."""
    try:
        libdtrec.dump_check(path)
    except libdtrec.DtrecError as e:
        raise DtError(str(e))


def cpu_flags(path, online):
    """{cpu: RFLAGS} from the dump's NT_PRSTATUS notes, {} when it has
    none it can read. Notes come in CPU order in kdump and QEMU dumps
    (a kdump note's pid is the task's, not the CPU's): note i belongs to
    the i-th online CPU."""
    try:
        flags = libdtrec.dump_cpu_flags(path)
    except libdtrec.DtrecError:
        return {}
    return {cpu: flags[i] for i, cpu in enumerate(online[:len(flags)])}


def vmcoreinfo(path):
    """{KEY: value} of the dump's VMCOREINFO note; DtError without one."""
    try:
        text = libdtrec.dump_vmcoreinfo(path)
    except libdtrec.DtrecError as e:
        raise DtError(str(e))
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def check_build(path, vmlinux):
    """Raise DtError when the dump's VMCOREINFO names another build ID
    than vmlinux's: a debugger reads a dump through any vmlinux without
    complaint, and the wrong one decodes garbage."""
    try:
        libdtrec.dump_check_build(path, vmlinux)
    except libdtrec.DtrecError as e:
        raise DtError(str(e))


def file_build_id(path):
    """vmlinux's build ID as hex, None if it has none or cannot be read."""
    try:
        return libdtrec.file_build_id(path)
    except libdtrec.DtrecError:
        return None
