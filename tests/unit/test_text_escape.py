"""Text output of stats and report escapes what the snapshot carries
(the release string comes from the traced machine): control bytes (ESC,
CR, BEL, newline, DEL, C1) never reach the terminal raw, bad UTF-8 is
U+FFFD, and the JSON keeps the control characters (JSON-escaped)."""
import json
import subprocess

import pytest

from dtrec_testlib import CLI, GEN, make

EVIL = b"6.6\x1b[31mRED\r\x07\nforged line\x7f\xc2\x85\xff\\end"
SHOWN = "6.6\\x1b[31mRED\\x0d\\x07\\x0aforged line\\x7f\\u0085\ufffd\\\\end"


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")


@pytest.fixture
def snap(tmp_path):
    p = tmp_path / "evil.dtrec"
    with open(p, "wb") as f:
        subprocess.run([GEN.encode(), b"--cpus", b"2", b"--records", b"64", b"--events",
                        b"300", b"--release", EVIL], stdout=f, check=True)
    return str(p)


def text(*args):
    r = subprocess.run([CLI] + list(args), capture_output=True)
    assert r.returncode in (0, 4), r.stderr
    return r.stdout


@pytest.mark.parametrize("cmd", ["stats", "report"])
def test_release_is_escaped_in_text(snap, cmd):
    out = text(cmd, snap)
    ctrl = [b for b in out if (b < 0x20 and b != 0x0a) or b == 0x7f]
    assert ctrl == []
    lines = out.decode("utf-8").splitlines()
    assert any(SHOWN in line for line in lines), lines[:3]
    assert not any(line.startswith("forged line") for line in lines)


def test_json_keeps_the_string(snap):
    for cmd in ("stats", "report"):
        d = json.loads(text(cmd, "--json", snap))
        assert d["release"].startswith("6.6\x1b[31mRED\r\x07\nforged line\x7f"), d["release"]
