"""A no-op make does nothing: once everything is built, `make all` runs no
compiler, archiver or linker (only the recursion into the sub-makes)."""
import os
import subprocess

from dtrec_testlib import ROOT


def test_second_make_runs_nothing():
    first = subprocess.run(["make", "-C", ROOT, "all"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(["make", "-C", ROOT, "all"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    ran = [ln for ln in again.stdout.splitlines()
           if ln.strip() and not ln.startswith(("make", "make[")) and
           "Nothing to be done" not in ln and "is up to date" not in ln]
    assert ran == [], "a no-op make ran:\n" + "\n".join(ran)
    assert os.path.exists(os.path.join(ROOT, "libdtrec", "libdtrec.a"))
