"""dovetail-trace and libdtrec read a snapshot written by a CPU of the other
byte order exactly as the native one: every field of the header, of each
CPU block and of each record is swapped here, independently of libdtrec,
and every command's output must not change. Snapshots of the two
architectures the toolkit builds for (x86_64 and arm64, both little
endian) carry their own clock rate in the header; the arm64 one is
tests/data/sample-arm64.dtrec when present."""
import os
import struct

import pytest

from dtrec_testlib import ROOT, make, run_cli

SAMPLES = [os.path.join(ROOT, "tests", "data", n)
           for n in ("sample.dtrec", "sample-arm64.dtrec")]
SAMPLES = [p for p in SAMPLES if os.path.exists(p)]
HDR = struct.Struct("<QIIIIQQQIIIIII64s")
CPU = struct.Struct("<IIQ")
REC = struct.Struct("<QQIIIHH")
NAMES = struct.Struct("<QIIII")
HDR3 = struct.Struct("<QII8Q32s")        # version 3's fields after release
MAXB = struct.Struct("<QIIII")
AREA = struct.Struct("<7Q6I")


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")


def swapped(data):
    """The same stream in the other byte order."""
    h = list(HDR.unpack_from(data, 0))
    header_size, nr_cpus, rec_size = h[2], h[3], h[4]
    out = bytearray(data)
    struct.pack_into(">QIIIIQQQIIIIII64s", out, 0, *h)
    if header_size >= HDR.size + HDR3.size:
        struct.pack_into(">QII8Q32s", out, HDR.size, *HDR3.unpack_from(data, HDR.size))
    off = header_size
    for _ in range(nr_cpus):
        c = CPU.unpack_from(data, off)
        struct.pack_into(">IIQ", out, off, *c)
        off += CPU.size
        for k in range(c[1]):
            r = REC.unpack_from(data, off + k * rec_size)
            struct.pack_into(">QQIIIHH", out, off + k * rec_size, *r)
        off += c[1] * rec_size
    if off < len(data) and MAXB.unpack_from(data, off)[0] == 0x4158414d4c545644:
        # Version 3's max block: its header, then each area and its records.
        magic, size, nr, rsize, res = MAXB.unpack_from(data, off)
        struct.pack_into(">QIIII", out, off, magic, size, nr, rsize, res)
        off += MAXB.size
        for _ in range(nr):
            a = AREA.unpack_from(data, off)
            struct.pack_into(">7Q6I", out, off, *a)
            off += AREA.size
            for k in range(a[7]):
                r = REC.unpack_from(data, off + k * rsize)
                struct.pack_into(">QQIIIHH", out, off + k * rsize, *r)
            off += a[7] * rsize
    if off < len(data):
        # Version 2's names block: its header, then (pid, comm[16]) and
        # (irq, hwirq, name[32], chip[24], vector[32]).
        magic, size, nt, ni, res = NAMES.unpack_from(data, off)
        struct.pack_into(">QIIII", out, off, magic, size, nt, ni, res)
        off += NAMES.size
        for _ in range(nt):
            struct.pack_into(">I", out, off, *struct.unpack_from("<I", data, off))
            off += 20
        for _ in range(ni):
            struct.pack_into(">II", out, off, *struct.unpack_from("<II", data, off))
            off += 96
    assert off == len(data)
    return bytes(out)


@pytest.mark.parametrize("sample", SAMPLES, ids=os.path.basename)
@pytest.mark.parametrize("cmd", [["decode"], ["stats"], ["audit", "--json"],
                                 ["report", "--json"], ["decode", "--json"]])
def test_other_byte_order_reads_the_same(tmp_path, sample, cmd):
    with open(sample, "rb") as f:
        data = f.read()
    other = tmp_path / "other.dtrec"
    other.write_bytes(swapped(data))
    want = run_cli(*(cmd + [sample]))
    got = run_cli(*(cmd + [str(other)]))
    assert want.returncode in (0, 3, 4), want.stderr
    assert (got.returncode, got.stdout, got.stderr) == \
        (want.returncode, want.stdout, want.stderr)


def test_other_byte_order_errors_say_so(tmp_path):
    """A damaged stream of the other byte order is refused with one line
    that says which order it was read in."""
    with open(SAMPLES[0], "rb") as f:
        data = bytearray(swapped(f.read()))
    struct.pack_into(">I", data, 8, 7)              # snapshot version 7
    bad = tmp_path / "bad.dtrec"
    bad.write_bytes(bytes(data))
    r = run_cli("decode", str(bad))
    assert r.returncode != 0
    assert "other byte order" in r.stderr and "version 7" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


ARM64 = os.path.join(ROOT, "tests", "data", "sample-arm64.dtrec")


@pytest.mark.skipif(not os.path.exists(ARM64), reason="no arm64 sample")
def test_arm64_sample_on_this_host(tmp_path):
    """The arm64 guest's snapshot (CNTVCT at 62.5 MHz under QEMU's virt
    machine, scripts/capture-sample.py) reads on this x86_64 host with its
    own clock: every time is ref_ns plus a whole number of 16 ns ticks."""
    import json
    r = run_cli("decode", "--json", ARM64)
    assert r.returncode == 0, r.stderr
    o = json.loads(r.stdout)
    assert o["clock_hz"] == 62500000
    ns = [e["ns"] for e in o["events"] if e["status"] == "ok"]
    assert len(ns) > 1000
    assert len({n % 16 for n in ns}) == 1
    assert run_cli("stats", ARM64).stdout.startswith(
        "release 6.6.0-rc4-dtdebug+, clock 62500000 Hz, 2 CPUs")
    for fmt in ("tracedat", "chrome", "svg"):
        out = tmp_path / ("x." + fmt)
        r = run_cli("export", "--format", fmt, "-o", str(out), ARM64)
        assert r.returncode == 0 and out.stat().st_size > 0, r.stderr
