"""Plumbing of tests/bench/run.py (make bench): section list, JSON shape,
skips without a kernel. No figure is ever asserted: benchmarks are
reported, not tested."""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, "tests", "bench", "run.py")
PYTHON = "/usr/bin/python3"
KEYS = ["native", "lib", "shapes", "vm", "vmcore", "gdb", "state"]


def bench(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([PYTHON, RUN] + list(args), cwd=ROOT, env=e,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)


def check_shape(res, keys):
    assert set(res) >= {"generated", "host", "sections"}
    assert list(res["sections"]) == keys
    for s in res["sections"].values():
        assert s["status"] in ("ok", "skipped", "error")
        for r in s["rows"]:
            assert {"metric", "value", "unit", "verdict"} <= set(r)
            assert r["verdict"] in ("OK", "MISS", "-")
            if "ratio" in r:
                assert "peer" in r   # every ratio names its peer


def test_list():
    r = bench("--list")
    assert r.returncode == 0, r.stdout
    assert [ln.split()[0] for ln in r.stdout.splitlines()] == KEYS


@pytest.mark.skipif(not all(os.path.exists(os.path.join(ROOT, p)) for p in
                            ("tools/dtrec-gen", "tools/dovetail-trace",
                             "libdtrec/libdtrec.so")),
                    reason="tools and libdtrec not built (make)")
def test_only_lib_quick(tmp_path):
    out = tmp_path / "r.json"
    r = bench("--only", "lib", "--quick", "--json", str(out))
    assert r.returncode == 0, r.stdout
    assert "== lib:" in r.stdout and "targets  lib:" in r.stdout
    res = json.loads(out.read_text())
    check_shape(res, ["lib"])
    assert res["quick"] is True
    lib = res["sections"]["lib"]
    assert lib["status"] == "ok" and lib["rows"]


@pytest.mark.skipif(not all(os.path.exists(os.path.join(ROOT, p)) for p in
                            ("tools/dtrec-gen", "tools/dovetail-trace")),
                    reason="tools not built (make)")
def test_only_shapes_quick(tmp_path):
    """Every shape times decode and every analysis; each row names decode
    as its peer and carries the 10x target."""
    out = tmp_path / "r.json"
    r = bench("--only", "shapes", "--quick", "--json", str(out))
    assert r.returncode == 0, r.stdout
    res = json.loads(out.read_text())
    check_shape(res, ["shapes"])
    s = res["sections"]["shapes"]
    assert s["status"] == "ok", s
    names = {r["metric"].split(":")[0] for r in s["rows"]}
    assert names == {"random", "irqs", "pids", "unsorted", "maximal"}
    assert len(s["rows"]) == 5 * 6
    assert all(r["peer"] == "decode, same file" and r["target"] == "<= 10x decode"
               for r in s["rows"])


def test_vm_sections_skip_without_kernel(tmp_path):
    out = tmp_path / "r.json"
    r = bench("--only", "vm", "--only", "vmcore", "--only", "gdb",
              "--only", "state", "--json", str(out),
              env={"KCACHE": str(tmp_path / "nokernels")})
    assert r.returncode == 0, r.stdout
    res = json.loads(out.read_text())
    check_shape(res, ["vm", "vmcore", "gdb", "state"])
    for s in res["sections"].values():
        assert s["status"] == "skipped", s
        assert "no cached kernel with the test fixture" in s["reason"]
    assert r.stdout.count("skipped: no cached kernel") == 4
