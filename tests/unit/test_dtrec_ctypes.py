"""libdtrec.so through common/dtcore/libdtrec.py, the path the gdb and
drgn front ends take: same bytes out as the CLI, and build_snapshot
from a descriptor plus memory reproduces the generator's stream."""
import json
import os
import sys

import pytest

from dtrec_testlib import ROOT, SO, gen, make, run_cli

sys.path.insert(0, os.path.join(ROOT, "common"))
from dtcore import libdtrec  # noqa: E402



@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")
    libdtrec.load(SO)


def test_trace_json_same_as_cli(tmp_path):
    path, _ = gen(tmp_path, "s", "--cpus", 2, "--records", 32, "--events",
                  300, "--seed", 3, "--torn", 2)
    data = path.read_bytes()
    for args in ([], ["--all"], ["--cpu", "1", "--last", "4"]):
        cli = run_cli("decode", "--json", *(args + [path]))
        assert cli.returncode == 0
        assert libdtrec.trace_json(data, args) == cli.stdout
    assert libdtrec.trace_text(data, ["--all"]) == \
        run_cli("decode", "--all", path).stdout
    assert libdtrec.stats(data) == run_cli("stats", "--json", path).stdout
    assert json.loads(libdtrec.stats(data))["total"] == 2 * 32 - 2


def test_errors_raise_dtrec_error(tmp_path):
    with pytest.raises(libdtrec.DtrecError, match="bad magic"):
        libdtrec.trace_json(b"Z" * 400)
    with pytest.raises(libdtrec.DtrecError, match="empty snapshot"):
        libdtrec.trace_json(b"")
    path, _ = gen(tmp_path, "s")
    with pytest.raises(libdtrec.DtrecError, match="unknown class"):
        libdtrec.trace_json(path.read_bytes(), ["--class", "nope"])


@pytest.mark.parametrize("rec_size", [32, 56])
def test_build_snapshot_matches_generator(tmp_path, rec_size):
    common = ["--cpus", 3, "--records", 16, "--events", 100, "--seed", 9,
              "--torn", 1, "--stale", 1, "--release", "6.6.9-test"]
    img, truth = gen(tmp_path, "img", "--image", "--rec-size", rec_size, *common)
    snap, _ = gen(tmp_path, "snap", *common)
    blob = img.read_bytes()
    desc, mem = blob[:truth["desc_size"]], blob[truth["desc_size"]:]
    calls = []

    def read(addr, n):
        calls.append((addr, n))
        off = addr - truth["image_base"]
        assert 0 <= off and off + n <= len(mem)
        return mem[off:off + n]

    out = libdtrec.build_snapshot(desc, read, "6.6.9-test")
    assert len(calls) == 3            # one read per ring
    assert out == snap.read_bytes()   # canonical records whatever the layout
    assert libdtrec.trace_json(out, ["--all"]) == \
        run_cli("decode", "--json", "--all", snap).stdout


def test_build_snapshot_read_failure(tmp_path):
    img, truth = gen(tmp_path, "img", "--image")
    desc = img.read_bytes()[:truth["desc_size"]]

    def read(addr, n):
        raise IOError("target memory unavailable")

    with pytest.raises(libdtrec.DtrecError,
                       match="cannot read cpu 0 ring.*unavailable"):
        libdtrec.build_snapshot(desc, read)
    with pytest.raises(libdtrec.DtrecError, match="truncated descriptor"):
        libdtrec.build_snapshot(desc[:100], read)
