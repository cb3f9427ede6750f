"""The gdb front end on core files, without a kernel: tiny ELF cores
built here, opened with `core-file`, and a stand-in vmlinux compiled with
a known linux_banner and build ID. What must hold on a real vmcore too:
dt-kaslr takes KERNELOFFSET from the dump's VMCOREINFO note, a dump cut
short or taken from another build is refused with one line, and the
hard IRQ state comes from the saved RFLAGS."""
import os
import shutil
import struct
import subprocess

import pytest

from dtrec_testlib import ROOT, make

SCRIPT = os.path.join(ROOT, "gdb-scripts", "dovetail.py")
BUILD_ID = "5eed" * 10
RELEASE = "6.6.0-dtcore-test"

pytestmark = pytest.mark.skipif(shutil.which("gdb") is None or shutil.which("gcc") is None,
                                reason="gdb or gcc not installed")


def _note(name, ntype, desc):
    n = name.encode() + b"\0"

    def pad(b):
        return b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def _prstatus(rflags):
    d = bytearray(336)                  # x86_64 struct elf_prstatus
    struct.pack_into("<Q", d, 112 + 18 * 8, rflags)
    return bytes(d)


def _core(notes, load=(0xffffffff81000000, bytes(4096))):
    """ET_CORE for x86_64: a PT_NOTE, then one PT_LOAD (vaddr, bytes)."""
    vaddr, data = load
    nph, note_off = 2, 64 + 2 * 56
    load_off = (note_off + len(notes) + 4095) & ~4095
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, nph, 0, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 4, 0, note_off, 0, 0, len(notes), 0, 4)
    ph += struct.pack("<IIQQQQQQ", 1, 7, load_off, vaddr, 0x1000000,
                      len(data), len(data), 4096)
    out = eh + ph + notes
    return out + b"\0" * (load_off - len(out)) + data


def _vmcoreinfo(**kv):
    return _note("VMCOREINFO", 0, "".join("%s=%s\n" % i for i in kv.items()).encode())


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec")         # the dump-note readers behind the gdb commands


@pytest.fixture(scope="module")
def vmlinux(tmp_path_factory):
    d = tmp_path_factory.mktemp("gdbcore")
    src = d / "fake.c"
    src.write_text('const char linux_banner[] = "Linux version %s (test) #1";\n'
                   'void _start(void) { }\n' % RELEASE)
    out = d / "vmlinux"
    r = subprocess.run(["gcc", "-g", "-nostdlib", "-static", "-o", str(out), str(src),
                        "-Wl,--build-id=0x" + BUILD_ID], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return str(out)


def _banner_page(vmlinux, release=RELEASE):
    """The page of the stand-in's linux_banner, as a dump of it holds it."""
    r = subprocess.run(["nm", vmlinux], capture_output=True, text=True, check=True)
    addr = next(int(l.split()[0], 16) for l in r.stdout.splitlines()
                if l.endswith(" linux_banner"))
    page = bytearray(4096)
    text = b"Linux version %s (test) #1\0" % release.encode()
    page[addr & 4095:(addr & 4095) + len(text)] = text
    return addr & ~4095, bytes(page)


def _gdb(vmlinux, core, *cmds):
    argv = ["gdb", "-batch", "-nx", "-ex", "source " + SCRIPT]
    if vmlinux:
        argv += ["-ex", "file " + vmlinux]
    argv += ["-ex", "core-file " + core]
    for c in cmds:
        argv += ["-ex", c]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "Traceback" not in p.stdout + p.stderr, p.stderr
    return p.stdout, [l for l in p.stderr.splitlines() if l.startswith("dovetail:")]


def _write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_kaslr_offset_from_the_dump_note(vmlinux, tmp_path):
    core = _write(tmp_path, "vmcore", _core(
        _note("CORE", 1, _prstatus(0x246)) +
        _vmcoreinfo(OSRELEASE=RELEASE, **{"BUILD-ID": BUILD_ID}, KERNELOFFSET="1a000000")))
    out, errs = _gdb(vmlinux, core, "dt-kaslr --dry-run")
    assert errs == []
    assert "dovetail: KERNELOFFSET=0x1a000000" in out
    assert "add-symbol-file %s -o 0x1a000000 -s .data..percpu 0" % vmlinux in out


def test_kaslr_refuses_another_release(vmlinux, tmp_path):
    core = _write(tmp_path, "vmcore", _core(
        _vmcoreinfo(OSRELEASE="5.10.0-other", KERNELOFFSET="0")))
    _, errs = _gdb(vmlinux, core, "dt-kaslr --dry-run")
    assert errs == ["dovetail: guest runs 5.10.0-other, vmlinux is another build"]


def test_kaslr_without_the_note(vmlinux, tmp_path):
    core = _write(tmp_path, "vmcore", _core(_note("CORE", 1, _prstatus(0x246))))
    _, errs = _gdb(vmlinux, core, "dt-kaslr --dry-run")
    assert len(errs) == 1 and "no VMCOREINFO note" in errs[0], errs


def test_other_build_is_refused(vmlinux, tmp_path):
    core = _write(tmp_path, "vmcore", _core(
        _vmcoreinfo(OSRELEASE=RELEASE, **{"BUILD-ID": "ab" * 20})))
    _, errs = _gdb(vmlinux, core, "dt-stages")
    assert len(errs) == 1, errs
    assert "is not the kernel of this dump (build ID abababababab)" in errs[0]
    assert BUILD_ID[:12] in errs[0]


def test_same_build_reaches_the_kernel_checks(vmlinux, tmp_path):
    """The build matches, so what stops dt-stages is the stand-in's lack
    of Dovetail, not the dump."""
    core = _write(tmp_path, "vmcore", _core(
        _vmcoreinfo(OSRELEASE=RELEASE, **{"BUILD-ID": BUILD_ID}),
        load=_banner_page(vmlinux)))
    _, errs = _gdb(vmlinux, core, "dt-stages")
    assert errs == ["dovetail: not a Dovetail kernel (no irq_pipeline symbol)"]


def test_truncated_core_is_one_line(tmp_path):
    data = _core(_note("CORE", 1, _prstatus(0x246)))
    core = _write(tmp_path, "vmcore", data[:len(data) - 1000])
    _, errs = _gdb(None, core, "dt-stages")
    assert errs == ["dovetail: truncated dump: %d bytes, segment 1 ends at %d"
                    % (len(data) - 1000, len(data))]


def test_kaslr_refuses_another_build_of_the_same_release(vmlinux, tmp_path):
    core = _write(tmp_path, "vmcore", _core(_vmcoreinfo(
        OSRELEASE=RELEASE, **{"BUILD-ID": "ab" * 20}, KERNELOFFSET="0")))
    out, errs = _gdb(vmlinux, core, "dt-kaslr")
    assert errs == ["dovetail: vmlinux %s (build ID %s) is not the kernel of this "
                    "dump (build ID abababababab)" % (vmlinux, BUILD_ID[:12])]
    assert "reloaded" not in out


def test_commands_after_the_reload(vmlinux, tmp_path):
    """dt-kaslr leaves gdb without a main symbol file; the commands after
    it must still find vmlinux (its banner and build ID) and get as far
    as the kernel checks."""
    core = _write(tmp_path, "vmcore", _core(
        _vmcoreinfo(OSRELEASE=RELEASE, **{"BUILD-ID": BUILD_ID}, KERNELOFFSET="0"),
        load=_banner_page(vmlinux)))
    out, errs = _gdb(vmlinux, core, "dt-kaslr", "dt-stages")
    assert "dovetail: reloaded:" in out
    assert errs == ["dovetail: not a Dovetail kernel (no irq_pipeline symbol)"]


def test_banner_still_checked_after_the_reload(vmlinux, tmp_path):
    """Memory holding another banner than vmlinux's: caught after dt-kaslr
    as before it, so the reload did not lose track of vmlinux."""
    core = _write(tmp_path, "vmcore", _core(
        _vmcoreinfo(OSRELEASE=RELEASE, KERNELOFFSET="0"),
        load=_banner_page(vmlinux, release=RELEASE[:-4] + "xxxx")))
    _, errs = _gdb(vmlinux, core, "dt-kaslr", "dt-stages")
    assert len(errs) == 1 and "linux_banner differs" in errs[0], errs
