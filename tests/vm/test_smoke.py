"""VM smoke test: boot, gdbstub, KASLR, dumps readable by drgn and crash.

One guest per (kernel, kaslr) pair is shared by the tests of this module.
"""
import os
import re
import subprocess

import pytest

from tests.harness import VM, gdb, kaslr
from tests.harness.dump import take, unreadable

PYTHON = "/usr/bin/python3"
DUMP_FORMATS = ("elf", "kdump-zlib")


@pytest.fixture(scope="module", params=[False, True],
                ids=["nokaslr", "kaslr"])
def guest(kernel, request, tmp_path_factory):
    with VM(kernel, kaslr=request.param,
            workdir=str(tmp_path_factory.mktemp("vm"))) as vm:
        yield vm


@pytest.fixture(scope="module")
def dumps(guest, tmp_path_factory):
    d = tmp_path_factory.mktemp("dumps")
    paths = {f: take(guest, str(d / ("vmcore." + f)), f) for f in DUMP_FORMATS
             if not unreadable(guest.kernel, f)}
    yield paths
    for p in paths.values():
        os.unlink(p)  # ELF dumps are as big as guest RAM


def test_boots_to_userspace(guest, kernel):
    assert guest.release == kernel.release
    assert guest.check("uname -r").strip() == kernel.release
    cmdline = guest.check("cat /proc/cmdline").split()
    assert ("kaslr" if guest.kaslr else "nokaslr") in cmdline
    assert int(guest.check("nproc")) == guest.smp


def test_console_reports_exit_status(guest):
    assert guest.run("false") == (1, "")
    assert guest.run("echo a; echo b >&2; exit 3") == (3, "a\nb\n")


def test_kaslr_offset_agrees_with_kallsyms(guest):
    off = guest.kaslr_offset()
    assert off == kaslr.offset_from_kallsyms(guest)
    if not guest.kaslr:
        assert off == 0


def test_gdb_reads_irq_pipeline_of_every_cpu(guest):
    cmds = []
    for cpu in range(guest.smp):
        pcp = ("((struct irq_pipeline_data *)((char *)&irq_pipeline"
               " + __per_cpu_offset[%d]))" % cpu)
        cmds += ["echo DTCPU %d\\n" % cpu,
                 "p/x __per_cpu_offset[%d]" % cpu,
                 "p %s->stages[0].stage == &inband_stage" % pcp,
                 "p %s->stages[0].stage->name" % pcp]
    out = guest.gdb(cmds)
    blocks = re.findall(r"DTCPU (\d+)\n\$\d+ = (0x[0-9a-f]+)\n\$\d+ = (\d)\n"
                        r"\$\d+ = (0x[0-9a-f]+) \"([^\"]*)\"", out)
    assert [int(b[0]) for b in blocks] == list(range(guest.smp)), out
    assert len({b[1] for b in blocks}) == guest.smp  # distinct per-CPU areas
    for _cpu, _off, same, _addr, name in blocks:
        assert same == "1" and name, out
    # the guest must keep running once gdb has detached
    assert guest.check("echo alive") == "alive\n"


DRGN = r"""
import sys, drgn
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.cpumask import for_each_online_cpu
p = drgn.Program()
p.set_core_dump(sys.argv[1])
p.load_debug_info([sys.argv[2]])
print("release", p["init_uts_ns"].name.release.string_().decode())
inband = p["inband_stage"].address_of_().value_()
for cpu in for_each_online_cpu(p):
    st = per_cpu(p["irq_pipeline"], cpu).stages[0].stage.value_()
    print("cpu", cpu, st == inband)
"""


@pytest.mark.parametrize("fmt", DUMP_FORMATS)
def test_drgn_opens_dump(guest, dumps, kernel, fmt):
    if unreadable(kernel, fmt):
        pytest.skip(unreadable(kernel, fmt))
    r = subprocess.run([PYTHON, "-c", DRGN, dumps[fmt], kernel.vmlinux],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout
    assert "release %s\n" % guest.release in r.stdout
    cpus = re.findall(r"cpu (\d+) (True|False)", r.stdout)
    assert cpus == [(str(c), "True") for c in range(guest.smp)], r.stdout


def _release_offset(vmlinux, arch):
    # Offset of uts_namespace.name.release from DWARF, never hard-coded.
    out = subprocess.run(
        [gdb.binary(arch), "-batch", "-nx", vmlinux, "-ex",
         "p/d (long)&((struct uts_namespace *)0)->name.release"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    return int(re.search(r"\$1 = (\d+)", out).group(1))


def _crash(kernel, dump, cmds):
    # crash 8.0.2 dies starting a full session on 6.6: --minimal there,
    # a full session on 5.x (Kernel.crash_args).
    r = subprocess.run(["crash"] + kernel.crash_args() + ["-s",
                        kernel.vmlinux, dump], input=cmds + "quit\n",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    return r.stdout


@pytest.mark.parametrize("fmt", DUMP_FORMATS)
def test_crash_opens_dump(guest, dumps, kernel, fmt):
    if kernel.crash_skip_reason():
        pytest.skip(kernel.crash_skip_reason())
    out = _crash(kernel, dumps[fmt], "sym init_uts_ns\nrd -a linux_banner\n")
    banner = re.search(r"Linux version (\S+) ", out)
    assert banner and banner.group(1) == guest.release, out[-3000:]
    # --minimal has no `p`: read the release field at its DWARF offset from
    # the relocated symbol address that crash reports.
    sym = re.search(r"^([0-9a-f]{16}) \(\w\) init_uts_ns\b", out, re.M)
    assert sym, out[-3000:]
    addr = int(sym.group(1), 16) + _release_offset(kernel.vmlinux, kernel.arch)
    out = _crash(kernel, dumps[fmt], "rd -a %#x\n" % addr)
    uts = re.search(r"^%x:  (\S+)\s*$" % addr, out, re.M)
    assert uts and uts.group(1) == guest.release, out[-3000:]
    if kernel.crash_full:
        # A full session: crash's own commands that need its kernel model.
        out = _crash(kernel, dumps[fmt], "p init_uts_ns.name.release\nps\n")
        assert re.search(r'\$1 = "%s(\\000)*"' % re.escape(guest.release),
                         out), out[-3000:]
        assert re.search(r"^\s*>?\s*0\s+0\s+0\s+\S+\s+RU\s.*swapper", out, re.M), \
            out[-3000:]


def test_gdb_dt_kaslr_relocates_symbols(guest, kernel):
    """dt-kaslr finds the offset in guest memory and reloads vmlinux so
    that the state commands work; without KASLR it finds offset 0."""
    import json
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    out = guest.gdb(["file %s" % kernel.vmlinux,
                     "source %s/gdb-scripts/dovetail.py" % root,
                     "dt-kaslr --scan-mb 512", "dt-stages --json"],
                    symbols=False)
    off = re.search(r"KERNELOFFSET=(0x[0-9a-f]+)", out)
    assert off and int(off.group(1), 16) == guest.kaslr_offset(), out[-2000:]
    line = [l for l in out.splitlines() if l.startswith('{"command":"stages"')]
    assert line, out[-2000:]
    assert [c["cpu"] for c in json.loads(line[0])["cpus"]] == list(range(guest.smp))
