"""Real bad input gets one clear line and a non-zero exit from gdb, drgn and crash.

Dumps of real guests, spoiled the way users spoil them: the vmlinux of
another build, a dump cut short, a kernel without the recorder, and a
kdump file whose ring pages were excluded, as makedumpfile's filters do.
"""
import os
import subprocess

import pytest

from tests.harness import gdb as hgdb
from tests.harness import kernels as hkernels
from tests.harness.dump import exclude_pages, take, truncated_copy, unreadable
from tests.vm import fixture_guest as fg

KERNELS = hkernels.discover()


def _drgn(vmlinux, dump, cmd):
    return fg.drgn_run(vmlinux, dump, cmd.split())


def _gdb_error(vmlinux, dump, cmd, arch):
    """The one `dovetail:` line of dt-CMD on `gdb vmlinux dump` (gdb's
    own BFD warnings about the file may come before it), with the gdb
    that reads the dump's architecture."""
    r = subprocess.run([hgdb.binary(arch), "-q", "-batch", "-nx", vmlinux, dump,
                        "-ex", "source " + fg.GDB_SCRIPT, "-ex", "dt-" + cmd],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode != 0, r.stdout[-2000:]
    assert "Traceback" not in r.stdout + r.stderr, r.stderr[-3000:]
    ours = [l for l in r.stderr.splitlines() if l.startswith("dovetail:")]
    assert len(ours) == 1, r.stderr[-3000:]
    return ours[0]


def _one_line_error(r, *words):
    assert r.returncode != 0, r.stdout[-2000:]
    err = r.stderr.strip()
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    assert len(err.splitlines()) == 1, err[-3000:]
    for w in words:
        assert w in err.lower(), err
    return err


def _crash_error(kernel, dump, cmd):
    """The one line of crash's `dovetail CMD`, where crash can run."""
    if kernel.crash_skip_reason():
        return "dovetail: (crash not run: %s)" % kernel.crash_skip_reason()
    out = fg.crash_out(kernel, dump, [cmd])[cmd].strip()
    assert len(out.splitlines()) == 1 and out.startswith("dovetail:"), out
    return out


@pytest.fixture(scope="module")
def dumps(kernel, tmp_path_factory):
    if kernel is None:
        pytest.skip(hkernels.NO_KERNEL_REASON)
    if not kernel.crash_skip_reason():
        fg.build_crash_ext()
    d = tmp_path_factory.mktemp("bad")
    from tests.harness import VM
    with VM(kernel, smp=2, workdir=str(d)) as vm:
        vm.pause()
        out = {"elf": take(vm, str(d / "vmcore.elf"), "elf")}
        if not unreadable(kernel, "kdump-zlib"):
            out["kdump"] = take(vm, str(d / "vmcore.kdump"), "kdump-zlib")
    elf = out["elf"]
    trunc = str(d / "vmcore.trunc")
    out["trunc"] = truncated_copy(elf, trunc, os.path.getsize(elf) // 3)
    yield out
    for p in out.values():
        if os.path.exists(p):
            os.unlink(p)


def test_mismatched_vmlinux(kernel, dumps):
    other = [k for k in KERNELS if not _same_build(k, kernel)]
    if not other:
        pytest.skip("needs a second, different kernel in the cache")
    r = _drgn(other[0].vmlinux, dumps["elf"], "stages")
    assert "not the kernel of this dump" in _one_line_error(r, "vmlinux")
    if "kdump" in dumps:
        r = _drgn(other[0].vmlinux, dumps["kdump"], "stages")
        assert "not the kernel of this dump" in _one_line_error(r, "vmlinux")
    assert "not the kernel of this dump" in _gdb_error(other[0].vmlinux, dumps["elf"],
                                                       "stages", kernel.arch)


def _same_build(a, b):
    return subprocess.run(["cmp", "-s", a.vmlinux, b.vmlinux]).returncode == 0


def test_truncated_dump(kernel, dumps):
    r = _drgn(kernel.vmlinux, dumps["trunc"], "stages")
    _one_line_error(r)
    assert "truncated dump" in _gdb_error(kernel.vmlinux, dumps["trunc"], "stages",
                                           kernel.arch)


def test_recorder_compiled_out(kernel, dumps):
    if kernel.recorder:
        pytest.skip("kernel %s has the recorder" % kernel.name)
    _one_line_error(_drgn(kernel.vmlinux, dumps["elf"], "trace"), "recorder")
    if not kernel.crash_skip_reason():
        assert "recorder" in _crash_error(kernel, dumps["elf"], "trace")
    assert "recorder" in _gdb_error(kernel.vmlinux, dumps["elf"], "trace",
                                    kernel.arch)


RING_PFNS = r"""
import sys, drgn
from drgn.helpers.linux.mm import virt_to_phys
p = drgn.Program(); p.set_core_dump(sys.argv[1]); p.load_debug_info([sys.argv[2]])
d = p["dovetail_recorder_desc"]
phys = virt_to_phys(drgn.Object(p, "void *", d.ring[0].value_())).value_()
print(phys >> 12, (phys + d.ring_bytes[0].value_()) >> 12)
"""


def test_excluded_ring_pages(kernel, dumps, tmp_path):
    """CPU0's ring pages missing from the dump: the trace commands fail
    with one line, the state commands, which need none of them, work."""
    if not kernel.recorder:
        pytest.skip("kernel %s has no recorder" % kernel.name)
    if unreadable(kernel, "kdump-zlib"):
        pytest.skip(unreadable(kernel, "kdump-zlib"))
    r = subprocess.run(["/usr/bin/python3", "-c", RING_PFNS, dumps["kdump"],
                        kernel.vmlinux], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    first, end = map(int, r.stdout.split())
    out = exclude_pages(dumps["kdump"], str(tmp_path / "vmcore.excl"),
                        set(range(first, end)))
    err = _one_line_error(_drgn(kernel.vmlinux, out, "trace --last 5"))
    # The ring named is CPU0's, at the pages taken out.
    assert "cpu 0 ring" in err, err
    assert "%x" % (first << 12) in err or "excluded" in err.lower(), err
    _crash_error(kernel, out, "trace --last 5")
    r = _drgn(kernel.vmlinux, out, "stages --json")
    assert r.returncode == 0, r.stderr
    os.unlink(out)
