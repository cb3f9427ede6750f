"""dovetail-trace on snapshots from tools/dtrec-gen, checked against the
generator's ground truth through an independent Python model."""
import json
import struct

import pytest

from dtrec_testlib import (EVENTS, expected_cpus, expected_events, gen, make,
                          named_args, run_cli)


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")


@pytest.fixture
def snap(tmp_path):
    return gen(tmp_path, "snap", "--cpus", 3, "--records", 64, "--events", 500,
               "--seed", 7, "--torn", 3, "--stale", 2)


def decode_json(path, *args):
    r = run_cli("decode", "--json", *(list(args) + [path]))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.count("\n") == 1
    return json.loads(r.stdout)


def test_decode_all_matches_ground_truth(snap):
    path, truth = snap
    doc = decode_json(path, "--all")
    assert list(doc) == ["command", "clock_hz", "max", "cpus", "events"]
    assert doc["max"] is None       # the rings, not captured worst cases
    assert doc["command"] == "trace"
    assert doc["clock_hz"] == truth["clock_hz"]
    assert doc["cpus"] == expected_cpus(truth)
    assert doc["events"] == expected_events(truth)
    assert sum(c["torn"] for c in doc["cpus"]) == 3
    assert sum(c["stale"] for c in doc["cpus"]) == 2


def test_decode_default_hides_bad_records(snap):
    path, truth = snap
    want = [e for e in expected_events(truth) if e["status"] == "ok"]
    doc = decode_json(path)
    assert doc["events"] == want
    assert len(want) == 3 * 64 - 5      # every ring wrapped; 5 damaged


def test_reference_point_straddled(tmp_path):
    # ref_cycles in the middle of the trace: ns below and above ref_ns.
    path, truth = gen(tmp_path, "mid", "--cpus", 1, "--records", 16,
                      "--events", 16, "--ref-cycles", 1004000,
                      "--clock-hz", 3000000007)
    evs = decode_json(path)["events"]
    assert evs == expected_events(truth)
    assert evs[0]["ns"] < truth["ref_ns"] < evs[-1]["ns"]


@pytest.mark.parametrize("args,keep", [
    (["--cpu", "1"], lambda e: e["cpu"] == 1),
    (["--cpu", "0,2"], lambda e: e["cpu"] in (0, 2)),
    (["--pid", "100"], lambda e: e["pid"] == 100),
    (["--class", "irq,stage"], lambda e: e["event"] in
     ("irq_post", "irq_play", "switch_oob", "switch_inband")),
    (["--class", "task", "--cpu", "2"], lambda e: e["cpu"] == 2 and e["event"] in
     EVENTS[13:20]),
], ids=["cpu", "cpulist", "pid", "class", "class+cpu"])
def test_filters(snap, args, keep):
    path, truth = snap
    want = [e for e in expected_events(truth) if e["status"] == "ok" and keep(e)]
    assert want, "filter selects nothing: the test would prove nothing"
    assert decode_json(path, *args)["events"] == want


def test_time_window_and_last(snap):
    path, truth = snap
    ok = [e for e in expected_events(truth) if e["status"] == "ok"]
    lo, hi = ok[10]["ns"], ok[40]["ns"]
    got = decode_json(path, "--from", lo, "--to", hi)["events"]
    assert got == [e for e in ok if lo <= e["ns"] <= hi]
    assert decode_json(path, "--last", 7)["events"] == ok[-7:]
    assert decode_json(path, "--last=5", "--cpu=1")["events"] == \
        [e for e in ok if e["cpu"] == 1][-5:]


def test_text_decode(snap):
    path, truth = snap
    r = run_cli("decode", "--all", path)
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    evs = expected_events(truth)
    assert len(lines) == len(evs)
    for line, e in zip(lines, evs):
        head = "[%03d] %d.%09d %s pid=%d%s state=" % (
            e["cpu"], e["ns"] // 10**9, e["ns"] % 10**9, e["event"], e["pid"],
            named_args(e["event"], e["arg"], e["arg2"]))
        assert line.startswith(head), (line, head)
        flag = {"ok": "", "torn": " TORN", "stale": " STALE"}[e["status"]]
        assert line.endswith(flag)


def test_stats(snap):
    path, truth = snap
    r = run_cli("stats", "--json", path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    ok = [e for e in expected_events(truth) if e["status"] == "ok"]
    assert doc["command"] == "stats"
    assert doc["total"] == len(ok)
    counts = {}
    for e in ok:
        counts[e["event"]] = counts.get(e["event"], 0) + 1
    assert doc["events"] == counts
    assert doc["span_ns"] == ok[-1]["ns"] - ok[0]["ns"]
    for got, want in zip(doc["cpus"], expected_cpus(truth)):
        for k in want:
            assert got[k] == want[k]
    assert doc["frozen"] in (True, False)   # a bool, as in report --json
    lines = run_cli("stats", path).stdout.splitlines()
    total = [ln for ln in lines if ln.startswith("total ")]
    assert total == [lines[-14]] and total[0].startswith("total %d events" % len(ok))
    # then the interval model's sections, one line per kind, as in --json
    assert lines[-13].split()[:3] == ["section", "measured", "open"]
    assert [ln.split()[0] for ln in lines[-12:-2]] == list(doc["intervals"])
    # the worst cases the kernel captured (none from dtrec-gen)
    assert lines[-2] == "captured worst cases: none" and doc["maxima"] == []
    # and last the names block (none in a dtrec-gen stream without --names)
    assert lines[-1] == "names: none (no names block)" and doc["names"] is None


def test_stdin(snap):
    path, _ = snap
    with open(path, "rb") as f:
        data = f.read()
    import subprocess
    from dtrec_testlib import CLI
    r = subprocess.run([CLI, "decode", "--json", "-"], input=data,
                       capture_output=True)
    assert r.returncode == 0
    assert r.stdout == run_cli("decode", "--json", path).stdout.encode()


def bad_inputs(tmp_path, snap_path):
    data = snap_path.read_bytes()
    cases = {
        "empty": b"",
        "truncated-header": data[:100],
        "truncated-ring": data[:-1],
        "wrong-magic": b"X" * 8 + data[8:],
        "bad-version": data[:8] + struct.pack("<I", 99) + data[12:],
        "trailing": data + b"\0",
    }
    out = {}
    for name, blob in cases.items():
        p = tmp_path / name
        p.write_bytes(blob)
        out[name] = p
    out["nonexistent"] = tmp_path / "does-not-exist"
    out["directory"] = tmp_path
    return out


@pytest.mark.parametrize("cmd", ["decode", "stats"])
def test_bad_inputs_one_line_exit_1(tmp_path, snap, cmd):
    for name, p in bad_inputs(tmp_path, snap[0]).items():
        r = run_cli(cmd, p)
        assert r.returncode == 1, name
        assert r.stdout == "", name
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("dovetail-trace: "), \
            (name, r.stderr)


@pytest.mark.parametrize("args", [
    [], ["frobnicate", "x"], ["decode"], ["decode", "--cpu", "99", "S"],
    ["decode", "--class", "bogus", "S"], ["decode", "--nope", "S"],
    ["stats", "--cpu", "1", "S"], ["decode", "a", "b"],
    ["export", "S"], ["decode", "--last"],
])
def test_usage_errors_exit_2(snap, args):
    args = [str(snap[0]) if a == "S" else a for a in args]
    r = run_cli(*args)
    assert r.returncode == 2, (args, r.stderr)
    assert r.stdout == ""
    assert len(r.stderr.splitlines()) == 1, r.stderr


def test_help():
    r = run_cli("-h")
    assert r.returncode == 0 and "usage: dovetail-trace" in r.stdout
    for cmd in ("decode", "stats", "report", "audit", "export"):
        assert cmd in r.stdout


def test_audit_and_export_fail_cleanly_or_work(snap):
    # Until libdtrec has them, these must still fail with one line.
    path, _ = snap
    for args in (["audit", path], ["report", path],
                 ["export", "--format", "chrome", path]):
        r = run_cli(*args)
        if r.returncode == 1:
            assert len(r.stderr.splitlines()) == 1 and "not built" in r.stderr
        else:
            assert r.returncode in ((0, 4) if args[0] == "report" else (0, 3)), r.stderr
            assert r.stdout
