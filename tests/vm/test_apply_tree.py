"""apply.sh round trips on the real tree each cached kernel was built from.

``make kernel` leaves the recorder applied to KSRC and names the tree in
info.json. Here it is taken out, put back, out and in again: each state
must be byte for byte what it was the time before (git's view of the
tree: status, diff, and the content of untracked files), and no .rej/.orig
file may appear. The tree is left applied, as found.
"""
import hashlib
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPLY = os.path.join(ROOT, "kernel-debug", "apply.sh")


def git(tree, *args):
    return subprocess.run(["git", "-C", tree] + list(args), check=True,
                          capture_output=True).stdout


def fingerprint(tree):
    """What git sees of the tree, untracked files' bytes included."""
    h = hashlib.sha256()
    status = git(tree, "status", "--porcelain", "--untracked-files=all",
                 "--ignored=matching")
    h.update(status)
    h.update(git(tree, "diff", "--binary"))
    for line in status.decode().splitlines():
        path = line[3:]
        if line[:2] in ("??", "!!") and os.path.isfile(os.path.join(tree, path)) \
                and not path.startswith(".dovetail-recorder/"):
            with open(os.path.join(tree, path), "rb") as f:
                h.update(path.encode() + b"\0" + f.read())
    return h.hexdigest(), status.decode()


def apply(tree, *args):
    r = subprocess.run(["sh", APPLY] + list(args) + [tree],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def tree(kernel):
    ksrc = kernel.info.get("ksrc")
    if not ksrc:
        pytest.skip("%s: info.json names no source tree (built before "
                    "make kernel recorded it)" % kernel.name)
    if not os.path.isdir(os.path.join(ksrc, ".git")):
        pytest.skip("%s: %s is gone or not a git checkout" % (kernel.name, ksrc))
    if not os.path.isdir(os.path.join(ksrc, ".dovetail-recorder")):
        pytest.skip("%s: the recorder is not applied to %s" % (kernel.name, ksrc))
    return ksrc


def test_round_trip_on_real_tree(kernel, tree):
    # The overlay may have changed since the kernel was built: the states
    # compared are this run's own (clean, applied, clean, applied).
    apply(tree, "-R")
    try:
        clean, st_clean = fingerprint(tree)
        assert ".dovetail-recorder" not in st_clean
        assert "dovetail_recorder" not in st_clean
        assert not [l for l in st_clean.splitlines()
                    if l.endswith((".rej", ".orig"))]
        r = apply(tree)
        assert "hook set %s" % kernel.info.get("hooks", kernel.generation) \
            in r.stdout
        applied, st_applied = fingerprint(tree)
        assert applied != clean
        assert not [l for l in st_applied.splitlines()
                    if l.endswith((".rej", ".orig"))]
        apply(tree, "-R")
        assert fingerprint(tree)[0] == clean
        apply(tree)
        assert fingerprint(tree)[0] == applied
    finally:
        if not os.path.isdir(os.path.join(tree, ".dovetail-recorder")):
            apply(tree)


def test_other_generations_hooks_refused(kernel, tree):
    """Another generation's hook set does not fit, and touches nothing."""
    others = [g for g in open(os.path.join(ROOT, "kernel-debug", "hooks",
                                           "recorder.hooks")).read()
              .split("\ngenerations ", 1)[1].split("\n", 1)[0].split()
              if g != kernel.info.get("hooks")]
    if not others:
        pytest.skip("only one hook set")
    before = fingerprint(tree)[0]
    apply(tree, "-R")
    try:
        for g in others:
            r = subprocess.run(["sh", APPLY, "--hooks", g, tree],
                               capture_output=True, text=True)
            assert r.returncode == 1
            assert "does not fit" in r.stderr and "untouched" in r.stderr
    finally:
        apply(tree)
    assert fingerprint(tree)[0] == before
