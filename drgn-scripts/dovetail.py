"""Dovetail state inspection for drgn.

Script:      drgn -c vmcore -s vmlinux drgn-scripts/dovetail.py CMD [opts]
Interactive: import it (running it with exec() would run the command
             line of drgn itself):
               >>> import sys; sys.path.insert(0, "drgn-scripts")
               >>> import dovetail
               >>> dovetail.dovetail_stages(prog)
               >>> dovetail.dovetail("irqs --json", prog)
Commands: stages, irqs, tasks, trace, stats, audit, report, export, snapshot.
Exit status: 0 ok, 1 error, 2 usage, 3 audit violations, 4 report verdict.
"""
import os
import shlex
import sys

_HERE = os.path.dirname(os.path.abspath(
    globals().get("__file__") or os.path.join("drgn-scripts", "dovetail.py")))
_COMMON = os.path.join(os.path.dirname(_HERE), "common")
if _COMMON not in sys.path:
    sys.path.insert(0, _COMMON)

import json  # noqa: E402

from dtcore import cli, ctarget, dumpfile  # noqa: E402
from dtcore.banner import file_banner  # noqa: E402
from dtcore.drgntarget import DrgnTarget  # noqa: E402
from dtcore.target import DtError  # noqa: E402

COMMANDS = ("stages", "irqs", "tasks", "trace", "stats", "audit", "report",
            "export", "snapshot")


def _drgn_paths():
    """(core, vmlinux) from drgn's own command line: drgn does not hand
    them to scripts. $DOVETAIL_VMCORE / $DOVETAIL_VMLINUX override."""
    core = os.environ.get("DOVETAIL_VMCORE")
    vmlinux = os.environ.get("DOVETAIL_VMLINUX")
    try:
        with open("/proc/self/cmdline", "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0")]
    except OSError:
        argv = []
    for i, a in enumerate(argv[:-1]):
        if a in ("-c", "--core") and not core:
            core = argv[i + 1]
        elif a in ("-s", "--symbols") and not vmlinux:
            vmlinux = argv[i + 1]
    for a in argv:
        if a.startswith("--core=") and not core:
            core = a.split("=", 1)[1]
        elif a.startswith("--symbols=") and not vmlinux:
            vmlinux = a.split("=", 1)[1]
    return core, vmlinux


def target(prog):
    core, _ = _drgn_paths()
    return DrgnTarget(prog, dump_path=core)


def _state(prog, argv):
    return json.loads(ctarget.state_command(
        target(prog), argv + ["--json"], lambda m: print("dovetail: " + m,
                                                         file=sys.stderr)))


def dovetail_stages(prog):
    """The 'stages' object (dict) of docs/json-state.md."""
    return _state(prog, ["stages"])


def dovetail_irqs(prog):
    return _state(prog, ["irqs"])


def dovetail_tasks(prog, all_tasks=False):
    return _state(prog, ["tasks"] + (["--all"] if all_tasks else []))


def run(prog, argv):
    """Run one command line (list of words); returns the exit status."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__.strip())
        for c in COMMANDS:
            print("  %-9s %s" % (c, cli.HELP[c]))
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print("dovetail: unknown command %r (commands: %s)"
              % (argv[0], ", ".join(COMMANDS)), file=sys.stderr)
        return 2
    core, vmlinux = _drgn_paths()
    if core:
        try:
            dumpfile.verify(core, vmlinux)
        except DtError as e:
            print("dovetail: %s" % e, file=sys.stderr)
            return 1
    return cli.execute(DrgnTarget(prog, dump_path=core), argv[0], argv[1:], print,
                       lambda m: print(m, file=sys.stderr),
                       prog_prefix="dovetail.py ",
                       file_banner=file_banner(vmlinux))


def dovetail(cmdline, prog=None):
    """Interactive helper: dovetail("irqs --json")."""
    prog = prog or globals().get("prog")
    return run(prog, shlex.split(cmdline))


if __name__ == "__main__":
    _prog = globals().get("prog")
    if _prog is None:
        print("dovetail: run me under drgn: drgn -c vmcore -s vmlinux %s CMD"
              % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(run(_prog, sys.argv[1:]))
    except DtError as e:
        print("dovetail: %s" % e, file=sys.stderr)
        sys.exit(1)
