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


if __name__ == "__main__":
    core = next(a for i, a in enumerate(open("/proc/self/cmdline", "rb").read()
                                        .decode().split("\0"))
                if i and open("/proc/self/cmdline", "rb").read().decode()
                .split("\0")[i - 1] == "-c")
    sys.exit(main(globals()["prog"], core))
