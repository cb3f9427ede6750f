"""Memory of a decode is bounded by what the snapshot's header says it
holds (docs/recorder.md, section 8): dovetail-trace checks the header
before it reads on, each CPU block's header before its records, and
reads nothing past the last block, from a file or from stdin. Run
under a small `ulimit -v`, inputs that made it grow to gigabytes fail
at once with one line."""
import os
import struct
import subprocess

import pytest

from dtrec_testlib import CLI, ROOT, make

SAMPLE = os.path.join(ROOT, "tests", "data", "sample.dtrec")
LIMIT_KB = 200000          # far below the 2 GiB inputs, far above a real decode


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")


def limited(*args, stdin=None):
    """dovetail-trace under ulimit -v; stdin: a path fed as standard input."""
    cmd = 'ulimit -v %d; exec "$@"' % LIMIT_KB
    with open(stdin or os.devnull, "rb") as f:
        r = subprocess.run(["sh", "-c", cmd, "sh", CLI] + [str(a) for a in args],
                           stdin=f, capture_output=True, text=True, timeout=120)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    return r.returncode, lines[0]


def test_not_a_snapshot_is_refused_after_its_header():
    bad = "bad magic 0x0000000000000000: not a dovetail recorder snapshot"
    assert limited("stats", "/dev/zero") == (1, "dovetail-trace: /dev/zero: " + bad)
    assert limited("stats", "-", stdin="/dev/zero") == (1, "dovetail-trace: -: " + bad)


def _valid_head(nr_records=64, version=None):
    """A valid header for one CPU block of nr_records records, and that block."""
    data = open(SAMPLE, "rb").read()
    hsize, = struct.unpack_from("<I", data, 12)
    head = bytearray(data[:hsize])
    struct.pack_into("<I", head, 16, 1)                 # nr_cpus
    if version:
        struct.pack_into("<I", head, 8, version)
    return bytes(head) + struct.pack("<IIQ", 0, nr_records, 0) + bytes(nr_records * 32)


@pytest.mark.parametrize("version", [1, 2])
def test_big_sparse_file_with_a_valid_header(tmp_path, version):
    """2 GiB, of which the header describes 2 KiB: refused at the first
    byte past the last block, without reading the rest (in version 2,
    what follows must be a names block, whose size is checked first)."""
    p = tmp_path / "sparse.dtrec"
    head = _valid_head(version=version)
    with open(p, "wb") as f:
        f.write(head)
        f.truncate(2 << 30)
    want = ("trailing bytes after the last CPU block (offset %d)" if version == 1 else
            "bad names block after the last CPU block (offset %d)") % len(head)
    for args, stdin in ((["stats", p], None), (["report", "-"], p)):
        rc, line = limited(*args, stdin=stdin)
        assert rc == 1 and line.endswith(want), line


def test_header_promising_more_than_the_input_holds(tmp_path):
    p = tmp_path / "short.dtrec"
    p.write_bytes(_valid_head(1 << 20)[:100000])
    rc, line = limited("stats", p)
    assert rc == 1 and "truncated snapshot: records of a CPU block missing at offset 152" in line


def test_a_valid_snapshot_still_decodes_within_the_limit():
    r = subprocess.run(["sh", "-c", 'ulimit -v %d; exec "$@"' % LIMIT_KB, "sh", CLI,
                        "stats", "--json", SAMPLE], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith('{"command":"stats"'), r.stderr
