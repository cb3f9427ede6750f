"""tools/vmcore-fixnote fills the utsname of a kdump-compressed header
from the dump's VMCOREINFO: what it writes is checked first (no junk
after the NUL of a field it fills, no empty, overlong or unprintable
release or version) and a refused dump is left byte for byte as it was."""
import hashlib
import os
import struct
import subprocess

import pytest

from dtrec_testlib import ROOT

SRC = os.path.join(ROOT, "tools", "vmcore-fixnote.c")
UTS = 65
OFF_UTS = 12                            # after signature and header_version
BLOCK = 4096


@pytest.fixture(scope="module")
def tool(tmp_path_factory):
    out = tmp_path_factory.mktemp("fixnote") / "vmcore-fixnote"
    r = subprocess.run(["gcc", "-Wall", "-Wextra", "-Werror", "-O2", "-o", str(out), SRC],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return str(out)


def kdump(tmp_path, vmcoreinfo, release_field=b"\0" + b"J" * 40):
    """A kdump-compressed header as QEMU leaves it: machine only, and here
    junk after the NUL of the empty release field."""
    fields = [b"", b"", release_field, b"", b"x86_64", b""]
    uts = b"".join(f.ljust(UTS, b"\0")[:UTS] for f in fields)
    head = b"KDUMP   " + struct.pack("<i", 6) + uts + bytes(6) + struct.pack("<qqIi", 0, 0, 0, BLOCK)
    info_off = 2 * BLOCK
    sub = struct.pack("<QiiQQQQQQ", 0, 31, 0, 0, 0, info_off, len(vmcoreinfo), 0, 0)
    data = head.ljust(BLOCK, b"\0") + sub.ljust(BLOCK, b"\0") + vmcoreinfo
    p = tmp_path / "vmcore"
    p.write_bytes(data)
    return p


def field(p, i):
    return p.read_bytes()[OFF_UTS + i * UTS:OFF_UTS + (i + 1) * UTS]


def test_release_is_written_without_junk(tool, tmp_path):
    p = kdump(tmp_path, b"OSRELEASE=6.6.0-rc4-dtdebug+\nPAGESIZE=4096\n")
    r = subprocess.run([tool, "-u", "#1 SMP", str(p)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert field(p, 0) == b"Linux".ljust(UTS, b"\0")
    assert field(p, 2) == b"6.6.0-rc4-dtdebug+".ljust(UTS, b"\0")
    assert field(p, 3) == b"#1 SMP".ljust(UTS, b"\0")
    assert "now says Linux 6.6.0-rc4-dtdebug+ (x86_64)" in r.stdout


@pytest.mark.parametrize("info,uts,why", [
    (b"OSRELEASE=\n", None, "VMCOREINFO's OSRELEASE is empty"),
    (b"OSRELEASE=" + b"7" * 70 + b"\n", None, "VMCOREINFO's OSRELEASE is longer than 64 bytes"),
    (b"OSRELEASE=6.6\x1b[2J\n", None, "VMCOREINFO's OSRELEASE holds a byte that is not printable ASCII"),
    (b"OSRELEASE=6.6.0\n", "", "-u UTS_VERSION is empty"),
    (b"OSRELEASE=6.6.0\n", "#1\nSMP", "-u UTS_VERSION holds a byte that is not printable ASCII"),
])
def test_bad_values_are_refused_and_nothing_written(tool, tmp_path, info, uts, why):
    p = kdump(tmp_path, info)
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    r = subprocess.run([tool] + (["-u", uts] if uts is not None else []) + [str(p)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr == "vmcore-fixnote: %s: %s\n" % (p, why)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before


def test_arm64_kdump_machine_named(tool, tmp_path):
    """QEMU 7.2 calls an aarch64 guest's machine "Unknown"; arm64's
    VMCOREINFO (kimage_voffset) names it."""
    p = kdump(tmp_path, b"OSRELEASE=6.6.0\nNUMBER(kimage_voffset)=0xffffffc03fe00000\n")
    data = bytearray(p.read_bytes())
    data[OFF_UTS + 4 * UTS:OFF_UTS + 5 * UTS] = b"Unknown".ljust(UTS, b"\0")
    p.write_bytes(bytes(data))
    r = subprocess.run([tool, "-u", "#1", str(p)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert field(p, 4) == b"aarch64".ljust(UTS, b"\0")


# An aarch64 ELF dump as QEMU writes it: physical segments only (vaddr ==
# paddr). RAM at 1 GiB; VA_BITS 39, so swapper_pg_dir is a level-1 table.
RAM, RAMSZ, KVOFF = 0x40000000, 0x400000, 0xffffffc03fe00000
PGD, L2, L3 = RAM + 0x1000, RAM + 0x2000, RAM + 0x3000


def arm64_elf(tmp_path, info):
    mem = bytearray(RAMSZ)

    def put(pa, v):
        struct.pack_into("<Q", mem, pa - RAM, v)
    # Linear map: one 1 GiB block at L1 index 0 (VA ffffff8000000000).
    put(PGD + 8 * 0, RAM | 0x1)             # bit1 clear: block
    # Kernel image at ffffffc080000000: L1 index 258 -> L2 -> L3, 2 pages
    # contiguous (merged into one segment), then a hole, then one page.
    put(PGD + 8 * 258, L2 | 0x3)
    put(L2 + 8 * 0, L3 | 0x3)
    put(L3 + 8 * 0, (RAM + 0x10000) | 0x3)
    put(L3 + 8 * 1, (RAM + 0x11000) | 0x3)
    put(L3 + 8 * 5, (RAM + 0x20000) | 0x3)
    put(L3 + 8 * 6, 0x09000000 | 0x3)       # MMIO: not in the dump, left out
    name = b"VMCOREINFO\0\0"
    note = struct.pack("<III", 11, len(info), 0) + name + info.ljust((len(info) + 3) & ~3, b"\0")
    phoff, nph = 64, 2
    note_off = phoff + 56 * nph
    load_off = (note_off + len(note) + 4095) & ~4095
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 4, 183, 1, 0, phoff, 0, 0, 64, 56, nph, 0, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 4, 0, note_off, 0, 0, len(note), len(note), 0)
    ph += struct.pack("<IIQQQQQQ", 1, 7, load_off, RAM, RAM, RAMSZ, RAMSZ, 0)
    data = (eh + ph + note).ljust(load_off, b"\0") + bytes(mem)
    p = tmp_path / "vmcore.elf"
    p.write_bytes(data)
    return p, load_off


def loads(p):
    data = p.read_bytes()
    phoff, = struct.unpack_from("<Q", data, 32)
    nph, = struct.unpack_from("<H", data, 56)
    out = []
    for i in range(nph):
        t, _f, off, va, pa, fsz, msz, _a = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
        if t == 1:
            out.append((va, pa, off, fsz))
    return out


ARM64_INFO = (b"OSRELEASE=6.6.0\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=%x\n"
              b"NUMBER(VA_BITS)=39\nNUMBER(kimage_voffset)=0x%x\n" % (PGD + KVOFF, KVOFF))


def test_arm64_elf_gets_virtual_segments(tool, tmp_path):
    p, base = arm64_elf(tmp_path, ARM64_INFO)
    size = p.stat().st_size
    r = subprocess.run([tool, str(p)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "3 virtual segments added" in r.stdout, r.stdout
    assert loads(p) == [
        (RAM, RAM, base, RAMSZ),
        # the 1 GiB block, cut where the dump's RAM ends
        (0xffffff8000000000, RAM, base, RAMSZ),
        (0xffffffc080000000, RAM + 0x10000, base + 0x10000, 0x2000),
        (0xffffffc080005000, RAM + 0x20000, base + 0x20000, 0x1000)]
    # The data is not touched: the headers went after it.
    assert p.read_bytes()[:size][64:] == arm64_elf(tmp_path, ARM64_INFO)[0].read_bytes()[64:size]
    # Idempotent.
    p, _ = arm64_elf(tmp_path, ARM64_INFO)
    subprocess.run([tool, str(p)], check=True, capture_output=True)
    once = p.read_bytes()
    r = subprocess.run([tool, str(p)], capture_output=True, text=True)
    assert r.returncode == 0 and "already has virtual segments" in r.stdout
    assert p.read_bytes() == once


def test_arm64_elf_without_page_table_facts_is_refused(tool, tmp_path):
    p, _ = arm64_elf(tmp_path, b"OSRELEASE=6.6.0\nPAGESIZE=4096\n")
    before = p.read_bytes()
    r = subprocess.run([tool, str(p)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "lacks VA_BITS" in r.stderr
    assert p.read_bytes() == before
