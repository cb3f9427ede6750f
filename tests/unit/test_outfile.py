"""Output files (libdtrec/format/outfile.c): `dovetail-trace export -o`, the
crash/gdb/drgn snapshot writers (dtrec_write_file through ctypes) and
the in-process export never destroy what the user named: a device,
FIFO or stdout is written and kept, a regular file is replaced only
once complete, the input is refused as output, and a failed write
says why (ENOSPC as "No space left on device"). Everything is done on
nodes made here (mknod of /dev/full's numbers in a temporary directory,
a FIFO, a tmpfs in a private mount namespace), never on /dev."""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import threading

import pytest

from dtrec_testlib import CLI, ROOT, SO, gen, make

SAMPLE = os.path.join(ROOT, "tests", "data", "sample.dtrec")
FULL_MSG = "No space left on device"


@pytest.fixture(scope="module", autouse=True)
def built():
    make("libdtrec", "tools")


def export(*args, stdout=subprocess.PIPE, **kw):
    return subprocess.run([CLI, "export"] + [str(a) for a in args],
                          stdout=stdout, stderr=subprocess.PIPE, **kw)


def full_node(tmp_path, name="full"):
    """A char device with /dev/full's numbers: every write is ENOSPC."""
    if os.geteuid() != 0:
        pytest.skip("mknod of a device node needs root")
    p = tmp_path / name
    os.mknod(p, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    return p


def one_line(err):
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def digest(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()


@pytest.mark.parametrize("fmt", ["svg", "chrome", "tracedat"])
def test_full_device_is_written_and_kept(tmp_path, fmt):
    dev = full_node(tmp_path)
    r = export("--format", fmt, "-o", dev, SAMPLE)
    assert r.returncode == 1
    assert one_line(r.stderr) == "dovetail-trace: cannot write %s: %s" % (dev, FULL_MSG)
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    assert os.listdir(tmp_path) == ["full"]


def test_stdout_symlink_and_dash_on_a_full_device(tmp_path):
    dev = full_node(tmp_path)
    link = tmp_path / "stdout"
    os.symlink(dev, link)
    r = export("--format", "svg", "-o", link, SAMPLE)
    assert r.returncode == 1 and FULL_MSG in one_line(r.stderr)
    assert os.path.islink(link) and stat.S_ISCHR(os.lstat(dev).st_mode)
    with open(dev, "wb") as out:
        r = export("--format", "chrome", "-o", "-", SAMPLE, stdout=out)
    assert r.returncode == 1
    assert one_line(r.stderr) == "dovetail-trace: cannot write -: " + FULL_MSG
    assert sorted(os.listdir(tmp_path)) == ["full", "stdout"]


def test_fifo_is_written_and_kept(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    r = export("--format", "svg", "-o", fifo, SAMPLE, timeout=60)
    reader.join(60)
    assert r.returncode == 0, r.stderr
    assert got and got[0].rstrip().endswith(b"</svg>")
    assert got[0] == export("--format", "svg", SAMPLE).stdout
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_symlink_to_a_file_replaces_the_file(tmp_path):
    target = tmp_path / "prev.json"
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.json"
    os.symlink("prev.json", link)
    r = export("--format", "chrome", "-o", link, SAMPLE)
    assert r.returncode == 0, r.stderr
    assert os.path.islink(link) and os.readlink(link) == "prev.json"
    assert target.read_bytes() == export("--format", "chrome", SAMPLE).stdout
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["link.json", "prev.json"]


def test_output_naming_the_input_is_refused(tmp_path):
    snap = tmp_path / "in.dtrec"
    snap.write_bytes(open(SAMPLE, "rb").read())
    before = digest(snap)
    os.link(snap, tmp_path / "hard")
    os.symlink("in.dtrec", tmp_path / "soft")
    for out in (snap, tmp_path / "hard", tmp_path / "soft"):
        r = export("--format", "chrome", "-o", out, snap)
        assert r.returncode == 1
        assert one_line(r.stderr) == ("dovetail-trace: output %s is the input file: "
                                      "refusing to overwrite it" % out)
        assert digest(snap) == before


def test_killed_mid_write_keeps_the_previous_file(tmp_path):
    """RLIMIT_FSIZE kills the export (SIGXFSZ) half way through: the
    previous export is untouched and no temporary file is left."""
    big, _ = gen(tmp_path, "big", "--cpus", 2, "--records", 8192, "--events", 16384)
    prev = tmp_path / "prev.json"
    good = export("--format", "chrome", big).stdout
    assert len(good) > 1 << 20
    prev.write_bytes(good)
    r = subprocess.run(["sh", "-c", 'ulimit -f 256; exec "$@"', "sh", CLI, "export",
                        "--format", "chrome", "-o", str(prev), str(big)],
                       capture_output=True)
    assert r.returncode != 0
    assert prev.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == sorted(["big", "big.expect.json", "prev.json"])


def _tmpfs_ok():
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "-m", "sh", "-c",
                        "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"],
                       capture_output=True)
    return r.returncode == 0


@pytest.mark.skipif(os.geteuid() != 0 or not _tmpfs_ok(),
                    reason="needs root and tmpfs in a private mount namespace")
def test_full_filesystem_keeps_the_previous_file(tmp_path):
    """A 64 KiB tmpfs, private to the test (unshare -m): the export runs
    out of space, the previous file stays, no temporary is left, and the
    error is ENOSPC's, not "Input/output error"."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = ('mount -t tmpfs -o size=64k tmpfs "$1" && echo good > "$1/prev.json" && '
              '"$2" export --format chrome -o "$1/prev.json" "$3"; echo "rc=$?"; '
              'ls -A "$1"; cat "$1/prev.json"')
    r = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(mnt), CLI, SAMPLE],
                       capture_output=True, text=True)
    assert r.stdout.split() == ["rc=1", "prev.json", "good"], r.stdout + r.stderr
    assert r.stderr.splitlines() == ["dovetail-trace: cannot write %s/prev.json: %s"
                                     % (mnt, FULL_MSG)]


def test_snapshot_writer_of_the_debugger_front_ends(tmp_path):
    """dtrec_write_file, what gdb's and drgn's snapshot command call
    (and crash's links): same rules."""
    sys.path.insert(0, os.path.join(ROOT, "common"))
    from dtcore import libdtrec
    libdtrec.load(SO)
    dev = full_node(tmp_path)
    with pytest.raises(libdtrec.DtrecError) as e:
        libdtrec.write_file(str(dev), b"x" * 100000)
    assert str(e.value) == "cannot write %s: %s" % (dev, FULL_MSG)
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    f = tmp_path / "snap"
    f.write_bytes(b"old")
    os.symlink("snap", tmp_path / "link")
    libdtrec.write_file(str(tmp_path / "link"), b"new")
    assert f.read_bytes() == b"new" and os.path.islink(tmp_path / "link")
    assert sorted(os.listdir(tmp_path)) == ["full", "link", "snap"]


def test_in_process_export_of_the_debugger_front_ends(tmp_path):
    """gdb's and drgn's export (and crash's) run libdtrec's export command
    in-process: a full device is written and kept, ENOSPC is named, and a
    regular file is replaced whole."""
    sys.path.insert(0, os.path.join(ROOT, "common"))
    from dtcore import libdtrec
    libdtrec.load(SO)
    snap = open(SAMPLE, "rb").read()
    dev = full_node(tmp_path)
    with pytest.raises(libdtrec.DtrecError) as e:
        libdtrec.export(snap, ["--format", "chrome", "-o", str(dev)])
    assert str(e.value) == "cannot write %s: %s" % (dev, FULL_MSG)
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    out = tmp_path / "t.svg"
    out.write_text("old")
    libdtrec.export(snap, ["--format", "svg", "-o", str(out)])
    assert out.read_bytes() == export("--format", "svg", SAMPLE).stdout
    assert sorted(os.listdir(tmp_path)) == ["full", "t.svg"]
