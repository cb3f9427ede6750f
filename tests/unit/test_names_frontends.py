"""The front ends fill the snapshot's names block when they assemble a
snapshot (docs/recorder.md 5.1): the dtcore core (what gdb's and drgn's
`snapshot` run) on a fake kernel writes a version 2 stream naming the
task the rings mention and the pending IRQ, and dovetail-trace then shows
them offline."""
import json
import os
import struct
import sys

from dtrec_testlib import ROOT, make, run_cli
from test_report_frontends import python_kernel, scenario

sys.path.insert(0, os.path.join(ROOT, "common"))
from dtcore import cli  # noqa: E402


def test_python_snapshot_carries_names(tmp_path):
    make("libdtrec")
    make("tools")
    r = scenario()[0]
    fk = python_kernel(r)
    path = tmp_path / "named.dtrec"
    out, err = [], []
    rc = cli.execute(fk.t, "snapshot", [str(path)], out.append, err.append)
    assert rc == 0, err
    data = path.read_bytes()
    assert struct.unpack_from("<I", data, 8)[0] == 3
    rep = json.loads(run_cli("report", "--json", str(path)).stdout)
    cpu0 = rep["cpus"][0]
    assert cpu0["oob_stall"]["pid"] == 42
    assert any(v["comm"] == "rt-thread" for v in rep["verdicts"] if v["pid"] == 42)
    pend = {p["irq"]: p["name"] for p in cpu0["pending"]}
    assert 3 in pend
