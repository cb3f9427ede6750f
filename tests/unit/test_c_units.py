"""Run every compiled C unit test program (tests/unit/bin/test_*)."""
import glob
import os
import subprocess

import pytest

from dtrec_testlib import ROOT, make

BIN = os.path.join(ROOT, "tests", "unit", "bin")

try:
    make("tests/unit")
    BUILD_ERROR = None
except RuntimeError as e:
    BUILD_ERROR = str(e)
PROGRAMS = sorted(glob.glob(os.path.join(BIN, "test_*")))


def test_programs_found():
    assert BUILD_ERROR is None, BUILD_ERROR
    assert PROGRAMS, "no test programs in %s" % BIN


@pytest.mark.parametrize("prog", PROGRAMS, ids=[os.path.basename(p) for p in PROGRAMS])
def test_c_program(prog):
    r = subprocess.run([prog], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAIL" not in r.stdout, r.stdout
