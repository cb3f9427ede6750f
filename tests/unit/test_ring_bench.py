"""tests/bench/ring_bench (the native benchmark of the recorder's ring
writer) builds and prints well-formed output. Its figures are never
asserted on: benchmarks do not fail tests."""
import math
import subprocess
import sys

import pytest

from dtrec_testlib import ROOT

if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.bench import bench_native  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def built():
    bench_native.build()


def test_ring_bench_builds_and_prints_wellformed_output():
    r = subprocess.run([bench_native.BIN, "--records", "20000", "--runs", "2",
                        "--nr", "64"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = bench_native.parse_output(r.stdout)
    assert out["records"] == 20000 and out["runs"] == 2 and out["nr_records"] == 64
    assert out["peer"] == bench_native.PEER
    for v in bench_native.VARIANTS:
        ns = out.get("ns." + v)
        assert isinstance(ns, float) and math.isfinite(ns) and ns >= 0, (v, ns)


def test_ring_bench_single_variant_mode():
    for v in bench_native.VARIANTS:
        r = subprocess.run([bench_native.BIN, "--only", v, "--count", "1000"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert bench_native.parse_output(r.stdout) == {
            "ran": v, "count": 1000, "symbol": "bench_" + v}


def test_ring_bench_rejects_bad_arguments():
    for args in (["--nr", "100"], ["--only", "nosuch"], ["--records", "x"],
                 ["--bogus", "1"]):
        r = subprocess.run([bench_native.BIN] + args, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 2 and r.stderr, args
