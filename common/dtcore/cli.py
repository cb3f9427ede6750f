"""Command line shared by the gdb and drgn front ends.

run() parses one command's arguments, runs it against a Target and
writes text through out()/err(). Failures are single 'dovetail: ...'
lines and a non-zero status, never a traceback.
"""
import argparse
import os

from . import ctarget, trace
from .kernel import Kernel
from .target import DtError


class _Help(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise DtError("%s: %s" % (self.prog, message))

    def print_help(self, file=None):
        raise _Help(self.format_help())

    def exit(self, status=0, message=None):
        raise DtError(message.strip() if message else "%s: exit" % self.prog)


HELP = {
    "stages": "Per-CPU stage (in-band/oob), stall bits, in-band owner, hard "
              "IRQ state, current task, task_inflight and rqlock_owner.",
    "irqs": "Pending IRQs in the in-band and oob logs of every CPU, with "
            "names, hwirqs, x86 system vector names, and an index "
            "consistency check of every log level.",
    "tasks": "Tasks by Dovetail class (inband, migrating, oob-running, "
             "oob-blocked, oob-trapped) with _TLF/TIF flags and the "
             "companion core's thread. Only Dovetail-related tasks unless --all.",
    "trace": "Decode the flight recorder rings (via libdtrec).",
    "stats": "Recorder statistics: per-CPU counts, lost/torn/stale records.",
    "audit": "Check pipeline invariants on the recorder trace (libdtrec audit).",
    "report": "Hang report: per CPU the stage, stall bits, pending IRQs and "
              "how long they waited, tasks in flight and the last events, "
              "then a verdict naming the likely culprit (docs/report.md). "
              "Exit status 4 when a verdict names one.",
    "export": "Export the recorder trace: --format tracedat|chrome|svg -o FILE.",
    "snapshot": "Write the recorder snapshot stream to FILE (for dovetail-trace).",
    "freeze": "Stop recording (sets dovetail_recorder_desc.frozen).",
    "unfreeze": "Resume recording (clears dovetail_recorder_desc.frozen).",
}

REPORT_OPTS = [("--last", "N", "events shown per CPU (default 10)"),
               ("--oob-stall", "NS", "oob stage stalled threshold (default 10 ms)"),
               ("--inband-stall", "NS", "in-band stalled with IRQs pending "
                "threshold (default 100 ms)"),
               ("--migrating", "NS", "task stuck migrating threshold (default 100 ms)"),
               ("--hard-off", "NS", "hard IRQs off threshold (default 10 ms)")]

AUDIT_OPTS = [("--context", "N", "events shown around a violation"),
              ("--max-oob-stall", "NS", "oob stall limit (default: docs/audit.md)"),
              ("--max-inband-stall-pending", "NS",
               "in-band stall with IRQs pending limit"),
              ("--max-hard-off", "NS", "hard IRQs off limit")]

TRACE_FILTERS = [("--cpu", "LIST", "CPUs, e.g. 0,2-3"),
                 ("--class", "LIST", "event classes, e.g. irq,stage"),
                 ("--pid", "N", "events recorded while pid N was current"),
                 ("--from", "NS", "time window start (recorder ns)"),
                 ("--to", "NS", "time window end (recorder ns)"),
                 ("--last", "N", "only the last N selected events")]


def parser(cmd, prog_prefix="dovetail "):
    p = _Parser(prog=prog_prefix + cmd, description=HELP[cmd], add_help=True)
    if cmd in ("stages", "irqs", "tasks", "trace", "stats", "audit", "report"):
        p.add_argument("--json", action="store_true", help="one compact JSON line")
    if cmd == "tasks":
        p.add_argument("--all", action="store_true", help="list every task")
        p.add_argument("--tlf-table", help="override the _TLF/TIF table "
                       "(x86-5.10, x86-6.6, arm64-5.10, arm64-6.6)")
    if cmd == "trace":
        for opt, meta, h in TRACE_FILTERS:
            p.add_argument(opt, metavar=meta, help=h)
        p.add_argument("--all", action="store_true",
                       help="also list torn and stale records")
    if cmd == "report":
        for opt, meta, h in REPORT_OPTS:
            p.add_argument(opt, metavar=meta, help=h)
    if cmd == "audit":
        for opt, meta, h in AUDIT_OPTS:
            p.add_argument(opt, metavar=meta, help=h)
    if cmd == "export":
        p.add_argument("--format", required=True, choices=["tracedat", "chrome", "svg"])
        p.add_argument("-o", "--output", required=True, help="output file")
        for opt, meta, h in TRACE_FILTERS[:3]:
            p.add_argument(opt, metavar=meta, help=h)
    if cmd in ("trace", "stats", "audit", "report", "export"):
        p.add_argument("--max", nargs="?", const="", metavar="METRICS",
                       help="on the worst cases the kernel captured, not the "
                       "rings: all, or some of oob_stall,hard_off,"
                       "stall_pending,wait_inband,wait_oob (docs/maxima.md)")
    if cmd == "snapshot":
        p.add_argument("file")
    return p


def help_text(cmd, prog_prefix="dovetail "):
    return parser(cmd, prog_prefix).format_help()


def _opts_argv(a, opts):
    """The options of `opts` that were given, back as words for libdtrec."""
    argv = []
    for opt, _, _ in opts:
        v = getattr(a, opt[2:].replace("-", "_"), None)
        if v is not None:
            argv += [opt, str(v)]
    return argv


def _max_argv(a):
    """--max as libdtrec takes it: one word."""
    m = getattr(a, "max", None)
    if m is None:
        return []
    return ["--max=" + m if m else "--max"]


def _filter_argv(a):
    return _opts_argv(a, TRACE_FILTERS) + \
        (["--all"] if getattr(a, "all", False) else []) + _max_argv(a)


def _report_argv(a):
    return _opts_argv(a, REPORT_OPTS) + _max_argv(a)


def _state_argv(cmd, a):
    """The state command's words for libdtrec, which parses them."""
    argv = [cmd] + (["--json"] if a.json else [])
    if cmd == "tasks":
        argv += (["--all"] if a.all else []) + \
            (["--tlf-table", a.tlf_table] if a.tlf_table else [])
    return argv


def execute(target, cmd, argv, out, err, prog_prefix="dovetail ",
            file_banner=None):
    """Run one command; returns the exit status."""
    try:
        if cmd not in HELP:
            raise DtError("unknown command %r (commands: %s)"
                          % (cmd, ", ".join(HELP)))
        try:
            a = parser(cmd, prog_prefix).parse_args(argv)
        except _Help as h:
            out(str(h).rstrip("\n"))
            return 0
        k = Kernel(target)
        k.check_banner(file_banner)

        def warn(msg):
            err("dovetail: " + msg)

        if cmd in ("stages", "irqs", "tasks"):
            out(ctarget.state_command(target, _state_argv(cmd, a), warn)
                .rstrip("\n"))
        elif cmd == "trace":
            out(trace.trace(k, _filter_argv(a), a.json).rstrip("\n"))
        elif cmd == "stats":
            out(trace.stats(k, a.json, _max_argv(a)).rstrip("\n"))
        elif cmd == "report":
            text, verdicts = trace.report(k, warn, _report_argv(a), a.json)
            out(text.rstrip("\n"))
            return 4 if verdicts else 0
        elif cmd == "audit":
            text, violations = trace.audit(k, _opts_argv(a, AUDIT_OPTS) + _max_argv(a),
                                           a.json)
            out(text.rstrip("\n"))
            return 3 if violations else 0
        elif cmd == "export":
            path = trace.export(k, ["--format", a.format, "-o", a.output]
                                + _filter_argv(a))
            out("wrote %s" % path)
        elif cmd == "snapshot":
            snap = trace.snapshot(k, names=True, warn=warn)
            trace.write_file(a.file, snap)
            out("wrote %d bytes to %s" % (len(snap), a.file))
        elif cmd in ("freeze", "unfreeze"):
            trace.set_frozen(k, cmd == "freeze")
            out("recorder %s" % ("frozen" if cmd == "freeze" else "unfrozen"))
        return 0
    except DtError as e:
        err("dovetail: %s" % e)
        return 1
    except Exception as e:  # noqa: BLE001 - the promise is one line, no traceback
        if os.environ.get("DOVETAIL_DEBUG"):
            raise
        err("dovetail: internal error: %s: %s (DOVETAIL_DEBUG=1 for a traceback)"
            % (type(e).__name__, e))
        return 1
