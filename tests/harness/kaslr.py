"""KASLR offset of a running guest, and gdb commands that apply it.

Strategy (x86_64): the IDT gate of vector 0 holds the runtime address of the
divide-error entry stub; its link-time address is in vmlinux. The IDT base
comes from QEMU's `info registers` (gdb `monitor`), and the IDT itself sits
in the fixed cpu_entry_area mapping, readable through the gdbstub without
symbols. This needs neither the console nor a guest helper. The console
method (/proc/kallsyms _stext) is kept as an independent cross-check.

Strategy (arm64): the vector base register VBAR_EL1 holds the runtime
address of `vectors` (the kernel's exception vector table), read through
the gdbstub, which exposes the system registers by name.
"""
import re
import struct
import subprocess

# Vector 0 handler across generations (idtentry rework in 5.8 renamed it).
DIVIDE_ERROR = ("asm_exc_divide_error", "divide_error")
ALIGN = 0x200000  # CONFIG_PHYSICAL_ALIGN: KASLR moves the kernel in 2 MiB steps
# arm64 moves it in 2 MiB steps too, plus the image's offset from a 2 MiB
# boundary in physical memory (head.S): only 64 KiB is certain.
ALIGN_ARCH = {"x86_64": ALIGN, "arm64": 0x10000}
# QEMU names AArch64 system registers as its cpregs do: VBAR (both states).
VBAR_NAMES = ("VBAR_EL1", "VBAR")


class KASLRError(Exception):
    pass


def link_symbols(vmlinux, names):
    out = subprocess.run(["nm", "--defined-only", vmlinux],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    found = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] in names:
            found[f[2]] = int(f[0], 16)
    return found


def _check(off, arch="x86_64"):
    align = ALIGN_ARCH.get(arch, ALIGN)
    if off % align:
        raise KASLRError("KASLR offset %#x is not %d KiB aligned"
                         % (off, align >> 10))
    return off


def offset(vm):
    """KASLR offset of the running guest, by its architecture's method."""
    if vm.kernel.arch == "arm64":
        return offset_from_vbar(vm)
    return offset_from_idt(vm)


def offset_from_vbar(vm):
    """arm64: VBAR_EL1 (any CPU: all point at `vectors`) minus the link
    address of `vectors`."""
    from . import gdb
    syms = link_symbols(vm.kernel.vmlinux, ("vectors",))
    if "vectors" not in syms:
        raise KASLRError("vmlinux has no vectors symbol")
    # One command per name: gdb goes on past the one this QEMU lacks.
    out = gdb.run(vm, ["info registers %s" % n for n in VBAR_NAMES],
                  symbols=False)
    m = re.search(r"^VBAR(?:_EL1)?\s+0x([0-9a-f]+)", out, re.M)
    if not m or int(m.group(1), 16) == 0:
        raise KASLRError("cannot read VBAR_EL1 through gdb: %s" % out[-500:])
    return _check((int(m.group(1), 16) - syms["vectors"]) & (2**64 - 1),
                  "arm64")


def gate_address(raw):
    """Handler address of a 16-byte x86_64 interrupt gate."""
    lo, _sel, _ist, _type, mid, hi, _res = struct.unpack("<HHBBHII", raw)
    return lo | (mid << 16) | (hi << 32)


def offset_from_idt(vm):
    from . import gdb
    syms = link_symbols(vm.kernel.vmlinux, DIVIDE_ERROR)
    name = next((n for n in DIVIDE_ERROR if n in syms), None)
    if not name:
        raise KASLRError("vmlinux has no %s symbol" % " or ".join(DIVIDE_ERROR))
    out = gdb.run(vm, [
        "python import re, gdb; "
        "r = gdb.execute('monitor info registers', to_string=True); "
        "b = int(re.search(r'IDT=\\s*([0-9a-fA-F]+)', r).group(1), 16); "
        "print('DTIDT0 ' + gdb.selected_inferior().read_memory(b, 16)"
        ".tobytes().hex())"], symbols=False)
    m = re.search(r"DTIDT0 ([0-9a-f]{32})", out)
    if not m:
        raise KASLRError("cannot read the IDT through gdb: %s" % out[-500:])
    return _check(gate_address(bytes.fromhex(m.group(1))) - syms[name])


def offset_from_kallsyms(vm):
    syms = link_symbols(vm.kernel.vmlinux, ("_stext",))
    out = vm.check("grep ' _stext$' /proc/kallsyms")
    m = re.match(r"([0-9a-f]+) ", out.strip())
    if not m or "_stext" not in syms or int(m.group(1), 16) == 0:
        raise KASLRError("no usable _stext in /proc/kallsyms: %r" % out)
    return _check(int(m.group(1), 16) - syms["_stext"], vm.kernel.arch)


def symbol_commands(vmlinux, offset, arch="x86_64"):
    """gdb commands loading vmlinux relocated by `offset`.

    x86_64 per-CPU variables are offsets from __per_cpu_offset[cpu], not
    addresses, and the kernel does not relocate them; so .data..percpu keeps
    its link address (0) while every other section moves. arm64's per-CPU
    section has a real link address and moves with the rest.
    """
    if not offset:
        return ["file %s" % vmlinux]
    if arch == "arm64":
        return ["add-symbol-file %s -o %#x" % (vmlinux, offset)]
    return ["add-symbol-file %s -o %#x -s .data..percpu 0" % (vmlinux, offset)]
