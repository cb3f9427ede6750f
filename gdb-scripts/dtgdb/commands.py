"""The dt-* commands: gdb's face of dtcore's command line (cli.py);
everything they print comes from libdtrec."""
import gdb

from dtcore import cli
from dtcore.banner import file_banner
from dtcore.target import DtError

from . import target


def _run(cmd, arg):
    """Errors end as one gdb error line (no traceback); the last
    'dovetail:' line becomes the GdbError text, earlier ones (per-CPU
    warnings) are printed as they come."""
    errs = []

    def out(s):
        gdb.write(s + "\n")

    def err(s):
        if errs:
            gdb.write(errs[-1] + "\n", gdb.STDERR)
        errs[:] = [s]
    vmlinux = target.vmlinux()
    try:
        argv = gdb.string_to_argv(arg)
        t = target.target(vmlinux)
    except DtError as e:
        raise gdb.GdbError("dovetail: %s" % e)
    rc = cli.execute(t, cmd, argv, out, err, prog_prefix="dt-",
                     file_banner=file_banner(vmlinux))
    # 3: audit found violations, 4: the report named a culprit; both printed.
    if rc not in (0, 3, 4):
        raise gdb.GdbError(errs[-1] if errs else "dovetail: %s failed" % cmd)
    for s in errs:
        gdb.write(s + "\n", gdb.STDERR)


class _DtCommand(gdb.Command):
    def __init__(self, cmd):
        self.cmd = cmd
        self.__doc__ = cli.help_text(cmd, "dt-")
        gdb.Command.__init__(self, "dt-" + cmd, gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        _run(self.cmd, arg)


def _make(cmd):
    cls = type("Dt_" + cmd, (_DtCommand,), {"__doc__": cli.help_text(cmd, "dt-")})
    return cls(cmd)


for _c in cli.HELP:
    _make(_c)
