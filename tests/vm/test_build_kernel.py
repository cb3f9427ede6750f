"""scripts/build-kernel.sh refuses bad input with one line and exit 1.

These need no kernel: they check the refusals that come before any build.
"""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "build-kernel.sh")


def fake_tree(path, dovetail=True, dirty=False, arm64=False):
    (path / "arch" / "x86").mkdir(parents=True)
    if arm64:
        (path / "arch" / "arm64" / "kernel").mkdir(parents=True)
    (path / "include" / "linux").mkdir(parents=True)
    (path / "kernel").mkdir()
    (path / "Makefile").write_text("VERSION = 5\nPATCHLEVEL = 10\n")
    (path / "Kconfig").write_text("")
    if dovetail:
        (path / "include" / "linux" / "irqstage.h").write_text("")
        (path / "kernel" / "Kconfig.dovetail").write_text("config DOVETAIL\n")
    if dirty:
        (path / ".config").write_text("")
    return str(path)


def run(args, tmp_path, **env):
    e = dict(os.environ, KCACHE=str(tmp_path / "cache"))
    e.pop("ARCH", None)
    e.update(env)
    return subprocess.run([SCRIPT] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=e)


@pytest.mark.parametrize("case,expect", [
    ("empty", "no kernel tree given"),
    ("missing", "does not exist"),
    ("notkernel", "is not a Linux kernel tree"),
    ("nodovetail", "has no Dovetail"),
    ("dirty", "is not clean"),
    ("arch", "only x86_64 and arm64"),
    ("arm64notree", "is not a Linux kernel tree for arm64"),
    ("arm64nodovetail", "has no Dovetail for arm64"),
    ("badname", "bad kernel name"),
])
def test_refusals(tmp_path, case, expect):
    env = {}
    name = []
    if case == "empty":
        ksrc = ""
    elif case == "missing":
        ksrc = str(tmp_path / "nope")
    elif case == "notkernel":
        ksrc = str(tmp_path)
    elif case == "nodovetail":
        ksrc = fake_tree(tmp_path / "k", dovetail=False)
    elif case == "dirty":
        ksrc = fake_tree(tmp_path / "k", dirty=True)
    elif case == "arch":
        ksrc = fake_tree(tmp_path / "k")
        env["ARCH"] = "riscv"
    elif case == "arm64notree":
        ksrc = fake_tree(tmp_path / "k")
        env["ARCH"] = "arm64"
    elif case == "arm64nodovetail":
        ksrc = fake_tree(tmp_path / "k", arm64=True)
        env["ARCH"] = "arm64"
    else:
        ksrc = fake_tree(tmp_path / "k")
        name = ["a b"]
    r = run([ksrc] + name, tmp_path, **env)
    assert r.returncode == 1
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and expect in lines[0], r.stderr
    assert not (tmp_path / "cache" / "kernels").exists()


def test_store_only_rejects_unbuilt_dir(tmp_path):
    r = run(["--store-only", str(tmp_path), "x"], tmp_path)
    assert r.returncode == 1 and "missing" in r.stderr
    assert len(r.stderr.splitlines()) == 1
