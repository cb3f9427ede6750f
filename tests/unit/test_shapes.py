"""The analyses on the bench's adversarial shapes (tools/dtrec-gen
--shape, docs/bench.md), which made the pending-IRQ and per-task lists
of libdtrec quadratic: what they print must still be right now that
those lists are hash maps. How long they take is `make bench`'s
business (no timing here)."""
import json

import pytest

from dtrec_testlib import cycles_to_ns, gen, make, run_cli


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")


def cli_json(cmd, path, *args, rc=0):
    r = run_cli(cmd, "--json", *(list(args) + [str(path)]))
    assert r.returncode == rc, r.stderr
    return json.loads(r.stdout)


def test_many_distinct_irqs_pending_at_once(tmp_path):
    """4096 records on one CPU: 2048 distinct IRQs posted, then each
    played: 2048 histograms of one sample, the Chrome counter climbing to
    2048 and back to 0, and nothing left pending in the report."""
    path, _ = gen(tmp_path, "irqs", "--cpus", 1, "--records", 4096,
                  "--events", 4096, "--shape", "irqs")
    a = cli_json("audit", path)
    assert sorted(h["irq"] for h in a["histograms"]) == list(range(2048))
    assert all(h["count"] == 1 and h["stage"] == "inband" for h in a["histograms"])
    r = run_cli("export", "--format", "chrome", str(path))
    assert r.returncode == 0, r.stderr
    counts = [e["args"]["inband"] for e in json.loads(r.stdout)["traceEvents"]
              if e.get("name") == "pending irqs"]
    assert counts == list(range(1, 2049)) + list(range(2047, -1, -1))
    rep = cli_json("report", path)
    assert rep["cpus"][0]["pending"] == [] and rep["cpus"][0]["inband_stall"]["state"]


def test_many_distinct_migrating_pids(tmp_path):
    """Every record a leave_inband of a new task: each is in flight on
    its CPU and, but for the newest of each CPU (0 ns old), stuck
    migrating; each pid is named once."""
    path, truth = gen(tmp_path, "pids", "--cpus", 2, "--records", 2048,
                      "--events", 4096, "--shape", "pids")
    rep = cli_json("report", path, "--migrating", "1", rc=4)
    pids = sorted(r[5] for r in truth["records"])
    assert pids == list(range(1000, 1000 + 4096))
    flights = sorted(t["pid"] for c in rep["cpus"] for t in c["tasks"])
    assert flights == pids
    fresh = {r[5] for r in truth["records"]
             if cycles_to_ns(truth, r[3]) == rep["freeze_ns"]}
    named = [v["pid"] for v in rep["verdicts"] if v["rule"] == "stuck_migrating"]
    assert sorted(named) == sorted(set(pids) - fresh) and len(fresh) < 3
    a = cli_json("audit", path, rc=0)
    assert a["violations"] == []


def test_unsorted_ring(tmp_path):
    """Timestamps in no order within a ring: the merged trace is in time
    order and holds every record; the analyses by position accept it."""
    path, truth = gen(tmp_path, "uns", "--cpus", 2, "--records", 1024,
                      "--events", 2048, "--shape", "unsorted")
    d = cli_json("decode", path)
    ns = [e["ns"] for e in d["events"]]
    assert ns == sorted(ns) and len(ns) == len(truth["records"]) == 2048
    for cmd in ("audit", "report"):
        r = run_cli(cmd, "--json", str(path))
        assert r.returncode in (0, 3, 4) and r.stdout.count("\n") == 1, r.stderr
