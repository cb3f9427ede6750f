"""tools/vmcore-fixnote fills the utsname of a kdump-compressed header
from the dump's VMCOREINFO: what it writes is checked first (no junk
after the NUL of a field it fills, no empty, overlong or unprintable
release or version) and a refused dump is left byte for byte as it was."""
import hashlib
import os
import struct
import subprocess

import pytest

from dtrec_testlib import ROOT

SRC = os.path.join(ROOT, "tools", "vmcore-fixnote.c")
UTS = 65
OFF_UTS = 12                            # after signature and header_version
BLOCK = 4096


@pytest.fixture(scope="module")
def tool(tmp_path_factory):
    out = tmp_path_factory.mktemp("fixnote") / "vmcore-fixnote"
    r = subprocess.run(["gcc", "-Wall", "-Wextra", "-Werror", "-O2", "-o", str(out), SRC],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return str(out)


def kdump(tmp_path, vmcoreinfo, release_field=b"\0" + b"J" * 40):
    """A kdump-compressed header as QEMU leaves it: machine only, and here
    junk after the NUL of the empty release field."""
    fields = [b"", b"", release_field, b"", b"x86_64", b""]
    uts = b"".join(f.ljust(UTS, b"\0")[:UTS] for f in fields)
    head = b"KDUMP   " + struct.pack("<i", 6) + uts + bytes(6) + struct.pack("<qqIi", 0, 0, 0, BLOCK)
    info_off = 2 * BLOCK
    sub = struct.pack("<QiiQQQQQQ", 0, 31, 0, 0, 0, info_off, len(vmcoreinfo), 0, 0)
    data = head.ljust(BLOCK, b"\0") + sub.ljust(BLOCK, b"\0") + vmcoreinfo
    p = tmp_path / "vmcore"
    p.write_bytes(data)
    return p


def field(p, i):
    return p.read_bytes()[OFF_UTS + i * UTS:OFF_UTS + (i + 1) * UTS]


def test_release_is_written_without_junk(tool, tmp_path):
    p = kdump(tmp_path, b"OSRELEASE=6.6.0-rc4-dtdebug+\nPAGESIZE=4096\n")
    r = subprocess.run([tool, "-u", "#1 SMP", str(p)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert field(p, 0) == b"Linux".ljust(UTS, b"\0")
    assert field(p, 2) == b"6.6.0-rc4-dtdebug+".ljust(UTS, b"\0")
    assert field(p, 3) == b"#1 SMP".ljust(UTS, b"\0")
    assert "now says Linux 6.6.0-rc4-dtdebug+ (x86_64)" in r.stdout


@pytest.mark.parametrize("info,uts,why", [
    (b"OSRELEASE=\n", None, "VMCOREINFO's OSRELEASE is empty"),
    (b"OSRELEASE=" + b"7" * 70 + b"\n", None, "VMCOREINFO's OSRELEASE is longer than 64 bytes"),
    (b"OSRELEASE=6.6\x1b[2J\n", None, "VMCOREINFO's OSRELEASE holds a byte that is not printable ASCII"),
    (b"OSRELEASE=6.6.0\n", "", "-u UTS_VERSION is empty"),
    (b"OSRELEASE=6.6.0\n", "#1\nSMP", "-u UTS_VERSION holds a byte that is not printable ASCII"),
])
def test_bad_values_are_refused_and_nothing_written(tool, tmp_path, info, uts, why):
    p = kdump(tmp_path, info)
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    r = subprocess.run([tool] + (["-u", uts] if uts is not None else []) + [str(p)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr == "vmcore-fixnote: %s: %s\n" % (p, why)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before
