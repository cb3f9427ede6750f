"""Run under drgn on a dump: the hang report from the dump's state alone,
as on a kernel built without the recorder (the recorder's rings are
ignored). Prints the report's JSON line; exit status 4 with a verdict.

    python3 -m drgn -q -c vmcore -s vmlinux tests/vm/drgn_state_report.py
"""
import ctypes
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    globals().get("__file__") or os.path.join("tests", "vm", "x.py")))))
sys.path.insert(0, os.path.join(ROOT, "common"))

from dtcore import ctarget, libdtrec  # noqa: E402
from dtcore.drgntarget import DrgnTarget  # noqa: E402


def main(prog, core):
    t = DrgnTarget(prog, dump_path=core)

    def fill(ptr):
        ctarget.fill_live(t, ptr, lambda m: print("dovetail: " + m, file=sys.stderr))
        libdtrec.load().dtrec_live_info(ctypes.c_void_p(ptr), t.release().encode(),
                                        b"recorder ignored (test)")
    text, verdicts = libdtrec.report(None, fill, [], True)
    sys.stdout.write(text)
    return 4 if verdicts else 0


def _core():
    """The dump drgn was given (-c): drgn does not hand it to scripts."""
    with open("/proc/self/cmdline", "rb") as f:
        argv = f.read().decode("utf-8", "replace").split("\0")
    return next(argv[i + 1] for i in range(len(argv) - 1) if argv[i] == "-c")


if __name__ == "__main__":
    sys.exit(main(globals()["prog"], _core()))
