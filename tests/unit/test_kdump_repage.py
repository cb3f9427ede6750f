"""tools/kdump-repage rewrites a kdump-compressed file written in 64 KiB
blocks (QEMU 7.2 for aarch64 guests) by the kernel's 4 KiB pages: the
pages read back from the copy, by its own bitmaps and descriptors, are
the bytes of the original frames; notes and VMCOREINFO move with the sub
header; a file already paged like the kernel is left alone."""
import os
import struct
import subprocess
import zlib

import pytest

from dtrec_testlib import ROOT

SRC = os.path.join(ROOT, "tools", "kdump-repage.c")
UTS = 65
BS, PS = 65536, 4096
HDR = "<8si%ds6sqqIiiIIIIIIi" % (6 * UTS)
SUB = "<QiiQQQQQQQQQQQ"
DESC = "<qIIQ"


@pytest.fixture(scope="module")
def tool(tmp_path_factory):
    out = tmp_path_factory.mktemp("repage") / "kdump-repage"
    r = subprocess.run(["gcc", "-Wall", "-Wextra", "-Werror", "-O2", "-o", str(out),
                        SRC, "-lz"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return str(out)


def kdump(frames, bs=BS, info=b"OSRELEASE=6.6.0\nPAGESIZE=4096\n"):
    """frames: {frame number: bytes of bs} of a 4-frame machine; frame 1
    stored zlib-compressed, the others raw."""
    nmax = 4
    sub_off = bs
    info_off = sub_off + struct.calcsize(SUB)
    sub = struct.pack(SUB, 0x40000000, 1, 0, 0, 0, info_off, len(info),
                      0, 0, 0, 0, 0, 0, nmax)
    subarea = (sub + info).ljust(bs, b"\0")
    bitmap_blocks = 2
    bm = bytearray(bs)
    for n in frames:
        bm[n >> 3] |= 1 << (n & 7)
    area = 2 * bs
    descs_off = area + bitmap_blocks * bs
    data_off = descs_off + len(frames) * struct.calcsize(DESC)
    descs, data = b"", b""
    for n in sorted(frames):
        raw = frames[n]
        blob, flags = (zlib.compress(raw), 1) if n == 1 else (raw, 0)
        descs += struct.pack(DESC, data_off + len(data), len(blob), flags, 0)
        data += blob
    head = struct.pack(HDR, b"KDUMP   ", 6, b"\0" * (6 * UTS), b"", 0, 0, 0, bs, 1,
                       bitmap_blocks, nmax, 0, 0, 0, 0, 1)
    return head.ljust(bs, b"\0") + subarea + bytes(bm) + bytes(bm) + descs + data


def pages(data):
    """{pfn: bytes} read back from a kdump by its own headers."""
    h = struct.unpack_from(HDR, data, 0)
    bs, sub_blocks, bitmap_blocks, nmax = h[7], h[8], h[9], h[10]
    half = bitmap_blocks // 2 * bs
    area = (1 + sub_blocks) * bs
    bm2 = data[area + half:area + 2 * half]
    off = area + 2 * half
    out = {}
    for pfn in range(nmax):
        if not bm2[pfn >> 3] >> (pfn & 7) & 1:
            continue
        doff, size, flags, _ = struct.unpack_from(DESC, data, off)
        off += struct.calcsize(DESC)
        blob = data[doff:doff + size]
        out[pfn] = zlib.decompress(blob) if flags & 1 else blob
    return h, out


def test_frames_become_pages(tool, tmp_path):
    f1 = bytes(range(256)) * (BS // 256)
    f3 = b"\0" * (BS // 2) + b"\xab" * (BS // 2)
    src = tmp_path / "in.kdump"
    src.write_bytes(kdump({1: f1, 3: f3}))
    dst = tmp_path / "out.kdump"
    r = subprocess.run([tool, str(src), str(dst)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    h, got = pages(dst.read_bytes())
    assert h[7] == PS and h[10] == 4 * 16
    want = {1 * 16 + k: f1[k * PS:(k + 1) * PS] for k in range(16)}
    want.update({3 * 16 + k: f3[k * PS:(k + 1) * PS] for k in range(16)})
    assert got == want
    # VMCOREINFO moved with the sub header, still where the sub header says.
    data = dst.read_bytes()
    sub = struct.unpack_from(SUB, data, PS)
    assert data[sub[5]:sub[5] + sub[6]] == b"OSRELEASE=6.6.0\nPAGESIZE=4096\n"
    assert sub[13] == 64                          # max_mapnr_64


def test_already_paged_is_left_alone(tool, tmp_path):
    src = tmp_path / "in.kdump"
    src.write_bytes(kdump({0: b"x" * PS}, bs=PS))
    dst = tmp_path / "out.kdump"
    r = subprocess.run([tool, str(src), str(dst)], capture_output=True, text=True)
    assert r.returncode == 0 and "not rewritten" in r.stdout
    assert not dst.exists()


def test_lzo_frames_are_refused(tool, tmp_path):
    data = bytearray(kdump({1: b"y" * BS}))
    area = 2 * BS + 2 * BS
    struct.pack_into("<I", data, area + 12, 2)    # DUMP_DH_COMPRESSED_LZO
    src = tmp_path / "in.kdump"
    src.write_bytes(bytes(data))
    dst = tmp_path / "out.kdump"
    r = subprocess.run([tool, str(src), str(dst)], capture_output=True, text=True)
    assert r.returncode == 1 and "LZO" in r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert not dst.exists()
