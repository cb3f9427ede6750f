"""Build the libFuzzer targets and run each briefly on its seed corpus.
The long run is `make -C tests/fuzz run FUZZ_SECONDS=600`.

The smoke run uses a fixed -seed: it checks that the targets build and
that the seeds and their near mutations pass, the same way on every run.
Finding new inputs is the long run's job; whatever it finds becomes a
unit test (a CI run must not fail on a bug the commit did not bring)."""
import os
import shutil
import subprocess

import pytest

from dtrec_testlib import ROOT

FUZZ = os.path.join(ROOT, "tests", "fuzz")
TARGETS = ["parse", "build", "dumpnotes", "analyze", "state"]
# Seeds written by `make` (dump files, dtrec-gen snapshots), never committed.
BUILT_SEEDS = ("dumpnotes", "analyze")


def libfuzzer_missing(tmp):
    if not shutil.which("clang"):
        return "clang not installed"
    src = os.path.join(tmp, "probe.c")
    with open(src, "w") as f:
        f.write("#include <stdint.h>\n#include <stddef.h>\n"
                "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
                "{ (void)d; (void)n; return 0; }\n")
    r = subprocess.run(["clang", "-fsanitize=fuzzer,address,undefined", "-o",
                        os.path.join(tmp, "probe"), src],
                       capture_output=True, text=True)
    return None if r.returncode == 0 else \
        "clang cannot link libFuzzer: " + (r.stderr.strip().splitlines() or ["?"])[-1]


@pytest.fixture(scope="module")
def fuzzers(tmp_path_factory):
    why = libfuzzer_missing(str(tmp_path_factory.mktemp("probe")))
    if why:
        pytest.skip(why)
    r = subprocess.run(["make", "-s", "-C", FUZZ], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("target", TARGETS)
def test_fuzzer_smoke(fuzzers, tmp_path, target):
    seeds = os.path.join(FUZZ, "bin", "seeds", target) if target in BUILT_SEEDS \
        else os.path.join(FUZZ, "corpus", target)
    assert os.listdir(seeds), "empty seed corpus " + seeds
    work = tmp_path / "corpus"
    work.mkdir()
    r = subprocess.run([os.path.join(FUZZ, "bin", "fuzz_" + target),
                        "-seed=1", "-max_total_time=5", "-max_len=65536", "-timeout=10",
                        "-artifact_prefix=%s/" % tmp_path, str(work), seeds],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Done" in r.stderr and "ERROR:" not in r.stderr
