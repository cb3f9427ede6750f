"""Integer options are parsed strictly everywhere in the CLI: a value out
of its range or not a number is one usage line and exit 2, never
wrapped into another value (`audit --context 2147483648` used to give
no context, `4294967296` the default)."""
import subprocess

import pytest

from dtrec_testlib import CLI, GEN, ROOT, make

SAMPLE = ROOT + "/tests/data/sample.dtrec"
BIG = str(1 << 64)


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")


@pytest.mark.parametrize("args", [
    ["audit", "--context", "2147483648"],
    ["audit", "--context", "4294967296"],
    ["audit", "--context", "1000001"],
    ["audit", "--context", "-1"],
    ["audit", "--context=0x"],
    ["audit", "--max-oob-stall", BIG],
    ["audit", "--max-hard-off", "+5"],
    ["report", "--last", BIG],
    ["report", "--oob-stall", "1e9"],
    ["decode", "--pid", str(1 << 32)],
    ["decode", "--last", BIG],
    ["decode", "--from", "-0"],
    ["export", "--format", "svg", "--to", BIG],
    ["decode", "--cpu", "64"],
    ["decode", "--context", "3"],
])
def test_out_of_range_is_a_usage_error(args):
    r = subprocess.run([CLI] + args + [SAMPLE], capture_output=True, text=True)
    assert r.returncode == 2, (args, r.returncode, r.stderr)
    assert r.stdout == "" and len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith("dovetail-trace: ")


def test_in_range_values_still_work():
    r = subprocess.run([CLI, "audit", "--json", "--context", "1000000",
                        "--max-hard-off", str((1 << 64) - 1), SAMPLE],
                       capture_output=True, text=True)
    assert r.returncode in (0, 3) and r.stdout.startswith('{"command":"audit"'), r.stderr


@pytest.mark.parametrize("args", [["--cpus", "4294967297"], ["--records", "x"],
                                  ["--events", BIG]])
def test_generator_refuses_wrapping_values(args):
    r = subprocess.run([GEN] + args, capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr


@pytest.mark.parametrize("runs", ["4294967297", "0", "x"])
def test_bench_tool_refuses_bad_runs(runs):
    r = subprocess.run([ROOT + "/tools/dtrec-bench", runs], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("usage: dtrec-bench"), r.stderr
