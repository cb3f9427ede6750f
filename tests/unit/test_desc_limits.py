"""A descriptor beyond the format's limits (linux/dovetail_recorder.h,
docs/recorder.md section 8) is refused before any allocation or read
of the rings it claims: a fake target whose descriptor says 2^21
records of 1024 bytes for a ring that holds 3 made drgn's `stats` ask
for one 2 GiB read. Checked through drgn on the synthetic program of
test_dtcore_drgn, and through the front ends' common path on the plain
fake target, and through gdb on an ELF core with a stand-in vmlinux;
every read is recorded and none may exceed the descriptor's own size."""
import os
import shutil
import struct
import subprocess
import sys

import pytest

from dtrec_testlib import ROOT, make

sys.path.insert(0, os.path.join(ROOT, "common"))

from dtcore import cli  # noqa: E402
from fake import FakeKernel  # noqa: E402

DESC_SIZE = 4200
REFUSED = "bad descriptor: record size 1024 (32..64)"
CASES = [(1 << 21, 1024, REFUSED),
         (1 << 21, 32, "bad descriptor: nr_records 2097152 is not a power of "
                       "two in 1..1048576")]


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec")


def put_recorder(fk, nr_records, rec_size):
    """A descriptor claiming nr_records x rec_size, and a real 3-record ring."""
    t = fk.t
    ring = fk.alloc(64 + 4 * 32)
    t.write(ring, struct.pack("<QQII", 0x474e49524c545644, 3, 0, 4))
    for pos in range(3):
        t.write(ring + 64 + pos * 32, struct.pack("<QQIIIHH", pos + 1, 1000 + pos,
                                                  1, 0, 0, 22, 0))
    d = bytearray(DESC_SIZE)
    struct.pack_into("<QIIIIIIIIII", d, 0, 0x314345524c545644, 1, DESC_SIZE, rec_size,
                     64, 1, nr_records, 0xff, 1, 0, 0)
    struct.pack_into("<QQQ", d, 48, 1000000000, 0, 0)
    struct.pack_into("<12H", d, 72, 0, 8, 16, 20, 24, 28, 30, 8, 16, 20, 64, 0)
    struct.pack_into("<Q", d, 104, ring)
    struct.pack_into("<Q", d, 104 + 2048, 64 + nr_records * rec_size)
    desc = fk.alloc(DESC_SIZE)
    t.write(desc, bytes(d))
    t.symbols["dovetail_recorder_desc"] = desc


class Recording:
    """The fake target, every read's size noted."""

    def __init__(self, t):
        self.t, self.sizes = t, []

    def read(self, addr, size):
        self.sizes.append(size)
        return self.t.read(addr, size)

    def __getattr__(self, name):
        return getattr(self.t, name)


def stats(target):
    out, err = [], []
    rc = cli.execute(target, "stats", ["--json"], out.append, err.append)
    return rc, out, err


@pytest.mark.parametrize("nr,size,why", CASES)
def test_oversized_descriptor_is_refused_before_any_ring_read(nr, size, why):
    fk = FakeKernel(ncpus=1)
    put_recorder(fk, nr, size)
    rec = Recording(fk.t)
    rc, out, err = stats(rec)
    assert rc == 1 and out == []
    assert err == ["dovetail: " + why]
    assert rec.sizes and max(rec.sizes) <= DESC_SIZE


def test_desc_size_beyond_the_limit_is_not_read():
    fk = FakeKernel(ncpus=1)
    put_recorder(fk, 4, 32)
    fk.t.write(fk.t.symbols["dovetail_recorder_desc"] + 12, struct.pack("<I", 1 << 30))
    rec = Recording(fk.t)
    rc, _, err = stats(rec)
    assert rc == 1 and err == ["dovetail: bad descriptor size 1073741824 (4200..65536)"]
    assert max(rec.sizes) < DESC_SIZE


def test_the_same_target_within_the_limits_decodes():
    fk = FakeKernel(ncpus=1)
    put_recorder(fk, 4, 32)
    rc, out, err = stats(fk.t)
    assert rc == 0, err
    assert '"ok":3}]' in out[0] and '"total":3' in out[0], out


@pytest.mark.parametrize("nr,size,why", CASES)
def test_drgn_stats_refuses_without_a_multi_gb_read(nr, size, why):
    pytest.importorskip("drgn", reason="drgn Python module not installed")
    from dtcore.drgntarget import DrgnTarget
    from test_dtcore_drgn import _program
    fk = FakeKernel(ncpus=1)
    put_recorder(fk, nr, size)
    prog = _program(fk)
    sizes = []
    for base, buf in fk.t.segments:      # later segments take precedence
        data = bytes(buf)

        def read(a, n, off, phys, d=data):
            sizes.append(n)
            return d[off:off + n]
        prog.add_memory_segment(base, len(data), read)
    rc, out, err = stats(DrgnTarget(prog))
    assert rc == 1 and err == ["dovetail: " + why]
    assert sizes and max(sizes) <= DESC_SIZE


def _c_array(data):
    return ",".join(str(b) for b in data)


@pytest.mark.skipif(shutil.which("gdb") is None or shutil.which("gcc") is None,
                    reason="gdb or gcc not installed")
@pytest.mark.parametrize("nr,size,why", CASES)
def test_gdb_dt_stats_refuses_on_a_core(tmp_path, nr, size, why):
    """gdb on an ELF core and a stand-in vmlinux whose data holds the
    descriptor (test_gdb_core's core builder): dt-stats refuses it with
    libdtrec's one line, and no read through gdb is larger than the
    descriptor."""
    import test_gdb_core as g
    fk = FakeKernel(ncpus=1)
    put_recorder(fk, nr, size)
    desc = fk.t.read(fk.t.symbols["dovetail_recorder_desc"], DESC_SIZE)
    src = tmp_path / "fake.c"
    src.write_text(
        'const char linux_banner[] = "Linux version %s (test) #1";\n'
        'struct task_struct { unsigned long stall_bits; int pid; } init_task;\n'
        'int irq_pipeline;\n'
        'struct new_utsname { char sysname[65], nodename[65], release[65],'
        ' version[65], machine[65], domainname[65]; };\n'
        'struct uts_namespace { int kref; struct new_utsname name; }'
        ' init_uts_ns = { 1, { "Linux", "", "%s" } };\n'
        'unsigned char dovetail_recorder_desc[%d] = {%s};\n'
        'void _start(void) { }\n' % (g.RELEASE, g.RELEASE, DESC_SIZE, _c_array(desc)))
    vmlinux = tmp_path / "vmlinux"
    r = subprocess.run(["gcc", "-g", "-nostdlib", "-static", "-o", str(vmlinux), str(src),
                        "-Wl,--build-id=0x" + g.BUILD_ID], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    core = tmp_path / "vmcore"
    core.write_bytes(g._core(g._vmcoreinfo(OSRELEASE=g.RELEASE, **{"BUILD-ID": g.BUILD_ID}),
                             load=g._banner_page(str(vmlinux))))
    spy = ("python import dtgdb.target as T; sizes = []; _read = T.GdbTarget.read; "
           "T.GdbTarget.read = lambda self, a, n: (sizes.append(n), _read(self, a, n))[1]")
    out, errs = g._gdb(str(vmlinux), str(core), spy, "dt-stats --json",
                       "python print('READS', len(sizes), max(sizes))")
    assert errs == ["dovetail: " + why]
    reads = [line.split() for line in out.splitlines() if line.startswith("READS ")]
    assert len(reads) == 1 and int(reads[0][1]) > 0 and int(reads[0][2]) <= DESC_SIZE, out
