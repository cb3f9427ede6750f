"""crash-ext against real vmcores: a full crash session on 5.x kernels,
`crash --minimal` on 6.6 (the only mode Debian's crash 8.0.2 survives
there), loads dovetail.so, and every state command's
text and --json output is byte identical to the drgn front end on the same
dump, for an ELF and a kdump-compressed dump of each cached kernel. The
hard IRQ state is also checked against the dump's NT_PRSTATUS notes,
parsed here independently of libdtrec. Kernels with the recorder also
compare the snapshot stream and the trace."""
import json
import os
import shutil
import struct
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from tests.harness import kernels as hkernels  # noqa: E402

EXT = os.path.join(ROOT, "crash-ext")
SO = os.path.join(EXT, "dovetail.so")
DRGN_SCRIPT = os.path.join(ROOT, "drgn-scripts", "dovetail.py")
KERNELS = hkernels.discover()
STATE_CMDS = ["stages", "stages --json", "irqs", "irqs --json", "tasks",
              "tasks --json", "tasks --all", "tasks --all --json"]


def _missing():
    if not KERNELS:
        return hkernels.NO_KERNEL_REASON
    for tool in ("crash", "drgn", "qemu-system-x86_64", "makedumpfile"):
        if not shutil.which(tool):
            return "%s not installed" % tool
    if not os.path.exists("/usr/include/crash/defs.h"):
        return "crash headers not installed"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def run(cmd, timeout=300, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)


@pytest.fixture(scope="module", params=KERNELS, ids=[k.name for k in KERNELS])
def dumps(request, tmp_path_factory):
    from tests.harness import vm as hvm
    k = request.param
    if k.crash_skip_reason():
        pytest.skip(k.crash_skip_reason())
    r = run(["make", "-s", "-C", EXT])
    assert r.returncode == 0, r.stdout + r.stderr
    d = tmp_path_factory.mktemp("vmcore-" + k.name)
    out = {}
    # KASLR on: the extension must work at whatever address crash relocates to.
    with hvm.VM(k, kaslr=True, smp=2) as vm:
        if k.recorder:
            vm.run("echo 1 > /sys/kernel/debug/dovetail/recorder/freeze 2>/dev/null; true")
        vm.pause()                  # both dumps of the same moment
        out["elf"] = vm.dump(str(d / "vmcore.elf"), "elf")
        out["kdump"] = vm.dump(str(d / "vmcore.kdump"), "kdump-zlib")
    yield k, out
    for p in out.values():
        if os.path.exists(p):
            os.chmod(p, 0o600)
            os.unlink(p)


def crash(k, dump, *cmds):
    """Outputs of each `dovetail CMD` in one crash session (Kernel.crash_args:
    full on 5.x, --minimal on 6.5 and later)."""
    script = ["extend %s" % SO]
    marks = []
    for i, c in enumerate(cmds):
        marks.append("=====DTMARK%d=====" % i)
        script += ["!echo %s" % marks[-1], "dovetail " + c]
    script += ["!echo =====DTEND=====", "exit"]
    r = run(["crash"] + k.crash_args() + ["-s", k.vmlinux, dump],
            input="\n".join(script) + "\n", text=True)
    text = r.stdout
    assert "=====DTEND=====" in text, text[-2000:] + r.stderr[-2000:]
    outs = []
    for i in range(len(cmds)):
        start = text.index(marks[i]) + len(marks[i]) + 1
        end = text.index(marks[i + 1]) if i + 1 < len(cmds) else text.index("=====DTEND=====")
        outs.append(text[start:end])
    return outs


def drgn(k, dump, cmd):
    r = run(["drgn", "-q", "-c", dump, "-s", k.vmlinux, DRGN_SCRIPT] + cmd.split(),
            text=True)
    assert r.returncode == 0, "drgn %s: %s" % (cmd, r.stderr)
    return r.stdout


@pytest.mark.parametrize("fmt", ["elf", "kdump"])
def test_state_commands_match_drgn(dumps, fmt):
    k, paths = dumps
    got = crash(k, paths[fmt], *STATE_CMDS)
    for cmd, out in zip(STATE_CMDS, got):
        want = drgn(k, paths[fmt], cmd)
        assert want, "drgn printed nothing for %s" % cmd
        assert out == want, "%s differs on %s:\ncrash:\n%s\ndrgn:\n%s" % (
            cmd, fmt, out, want)
    stages = json.loads(got[1])
    assert stages["cpus"], "no CPU reported"


def _notes_rflags(notes):
    """RFLAGS of each CORE/NT_PRSTATUS note of a note blob."""
    flags = []
    p = 0
    while p + 12 <= len(notes):
        namesz, descsz, ntype = struct.unpack_from("<III", notes, p)
        name = notes[p + 12:p + 12 + namesz].rstrip(b"\0")
        desc = p + 12 + (namesz + 3) // 4 * 4
        if ntype == 1 and name == b"CORE":
            # struct elf_prstatus: pr_reg at 112, eflags is its 19th word.
            flags.append(struct.unpack_from("<Q", notes, desc + 112 + 18 * 8)[0])
        p = desc + (descsz + 3) // 4 * 4
    return flags


def _dump_rflags(path):
    """Straight from the ELF program headers or the kdump sub header."""
    with open(path, "rb") as f:
        head = f.read(464)
        if head[:4] == b"\x7fELF":
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            flags = []
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                ph = f.read(phentsize)
                if struct.unpack_from("<I", ph, 0)[0] == 4:   # PT_NOTE
                    off, = struct.unpack_from("<Q", ph, 8)
                    size, = struct.unpack_from("<Q", ph, 32)
                    f.seek(off)
                    flags += _notes_rflags(f.read(size))
            return flags
        assert head[:8] == b"KDUMP   ", head[:16]
        block_size, = struct.unpack_from("<i", head, 428)
        f.seek(block_size)          # kdump_sub_header: the block after the header
        sub = f.read(64)
        off, size = struct.unpack_from("<QQ", sub, 48)
        f.seek(off)
        return _notes_rflags(f.read(size))


def test_hard_irqs_from_saved_registers(dumps):
    k, paths = dumps
    for fmt in ("elf", "kdump"):
        flags = _dump_rflags(paths[fmt])
        assert flags, "no NT_PRSTATUS in the %s dump" % fmt
        stages = json.loads(crash(k, paths[fmt], "stages --json")[0])
        for c in stages["cpus"]:
            want = "on" if flags[c["cpu"]] & 0x200 else "off"
            assert c["hard_irqs"] == want, (fmt, c)


def test_bad_option_is_one_line(dumps):
    k, paths = dumps
    out, = crash(k, paths["elf"], "tasks --bogus")
    lines = [l for l in out.splitlines() if l.strip()]
    assert lines == ["dovetail: unknown option '--bogus'"], out


def test_recorder_commands(dumps, tmp_path):
    k, paths = dumps
    if not k.recorder:
        out, = crash(k, paths["elf"], "trace")
        assert "recorder compiled out" in out, out
        pytest.skip("kernel %s has no recorder" % k.name)
    snap = tmp_path / "crash.snap"
    ref = tmp_path / "drgn.snap"
    crash(k, paths["elf"], "snapshot %s" % snap)
    drgn(k, paths["elf"], "snapshot %s" % ref)
    assert snap.read_bytes() == ref.read_bytes()
    got, = crash(k, paths["elf"], "trace --json --last 50")
    assert got == drgn(k, paths["elf"], "trace --json --last 50")
