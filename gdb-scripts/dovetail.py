"""Dovetail state inspection for gdb: `source gdb-scripts/dovetail.py`.

Registers dt-stages, dt-irqs, dt-tasks, dt-trace, dt-stats, dt-audit,
dt-report, dt-export, dt-snapshot, dt-freeze, dt-unfreeze and dt-kaslr. Works on a
QEMU gdbstub (live, per-vCPU RFLAGS) and on an ELF vmcore opened with
`gdb vmlinux vmcore` (RFLAGS and VMCOREINFO from the dump's notes).
"""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_COMMON = os.path.join(os.path.dirname(_HERE), "common")
if _COMMON not in sys.path:
    sys.path.insert(0, _COMMON)

if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import dtgdb.commands  # noqa: E402,F401  (registers dt-*)
import dtgdb.kaslr  # noqa: E402,F401  (registers dt-kaslr)
