"""The drgn Target adapter on a synthetic program: the same FakeKernel
memory and layout, served through real drgn types, memory segments and
object lookups, must give byte-identical JSON."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "common"))

drgn = pytest.importorskip("drgn", reason="drgn Python module not installed")

from dtcore import cli  # noqa: E402
from fake import FakeKernel  # noqa: E402

STAGE = 0x02000000


def _program(fk):
    t = fk.t
    prog = drgn.Program(drgn.Platform(
        drgn.Architecture.X86_64,
        drgn.PlatformFlags.IS_64_BIT | drgn.PlatformFlags.IS_LITTLE_ENDIAN))
    ints = {n: prog.int_type("u%d" % (8 * n), n, False) for n in (1, 2, 4, 8)}

    def blob(size):
        # list heads and sub-structs the decoders only offset into
        return ints.get(size) or prog.array_type(ints[1], size)

    def build(tag, size, members):
        """members: {path: (off, size, nelem)}; dotted paths become
        nested struct types."""
        groups, out = {}, []
        for path, spec in members.items():
            head, _, rest = path.partition(".")
            groups.setdefault(head, {})[rest] = spec[:3]
        for name, sub in groups.items():
            if "" in sub:
                off, sz, n = sub[""]
                ty = blob(sz) if n is None else prog.array_type(blob(sz // n), n)
            else:
                base = min(o for o, _, _ in sub.values())
                end = max(o + s for o, s, _ in sub.values())
                ty = build(tag + "_" + name, end - base,
                           {k: (o - base, s, n) for k, (o, s, n) in sub.items()})
                off = base
            out.append(drgn.TypeMember(ty, name, 8 * off))
        return prog.struct_type(tag, size, out)

    types = {name.split(" ", 1)[1]: build(name.split(" ", 1)[1], spec["size"],
                                          spec["members"])
             for name, spec in t.layout.items()}

    def type_finder(kind, name, filename):
        if kind == drgn.TypeKind.STRUCT:
            return types.get(name)
        return None

    def object_finder(prog_, name, flags, filename):
        addr = t.symbols.get(name)
        if addr is None:
            return None
        return drgn.Object(prog_, ints[8], address=addr)

    prog.add_type_finder(type_finder)
    prog.add_object_finder(object_finder)
    for base, buf in t.segments:
        data = bytes(buf)
        prog.add_memory_segment(
            base, len(data), lambda a, n, off, phys, d=data: d[off:off + n])
    return prog


def test_drgn_adapter_matches_fake_target():
    from dtcore.drgntarget import DrgnTarget
    fk = FakeKernel(ncpus=2)
    inband = fk.task(100, "app", stall_bits=1)
    rt = fk.task(101, "rt", status=0x70, stall_bits=2, cpu=1)
    fk.set_cpu(1, current=rt, owner=inband, preempt=STAGE)
    fk.irq(3, "eth0", hwirq=3)
    fk.set_log(1, 0, 1, {"flat": {0: 1 << 3}, "index_1": {0: 1}})
    fk.set_log(0, 1, 1, {"flat": {0: 1}})      # inconsistent oob log
    fk.set_map_ptr(0, 0, 0x4141414141414000)   # garbage pointer
    dt = DrgnTarget(_program(fk))
    assert dt.member("struct thread_info", "status") == (8, 4, 0)
    assert dt.array_length("struct irq_event_map", "flat") == 100
    assert dt.symbol("irq_pipeline") == 0x100 and dt.symbol("nope") is None
    seen = {}
    for cmd in ("stages", "irqs", "tasks"):
        want, got, errs = [], [], []
        assert cli.execute(fk.t, cmd, ["--json"], want.append, errs.append) == 0
        assert cli.execute(dt, cmd, ["--json"], got.append, errs.append) == 0
        assert got == want, cmd
        seen[cmd] = got[0]
    assert '"errors":["map unreadable"]' in seen["irqs"]
    assert '"inband_owner":100,"oob_stalled":true' in seen["stages"]


def test_drgn_script_without_prog_is_one_line_error():
    import subprocess
    p = subprocess.run([sys.executable, os.path.join(ROOT, "drgn-scripts", "dovetail.py"),
                        "stages"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 2
    lines = p.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dovetail: run me under drgn")
