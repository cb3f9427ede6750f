"""ctypes binding of libdtrec for the Python front ends (gdb, drgn).

Decoding lives in C only; this module just moves bytes in and strings
out. Every failure raises DtrecError carrying libdtrec's one-line
message, so front ends can print it as is.
"""
import ctypes
import os

ERRLEN = 256
_EFAULT = 14

_here = os.path.dirname(os.path.abspath(__file__))
_DEFAULT_SO = os.path.join(os.path.dirname(os.path.dirname(_here)),
                           "libdtrec", "libdtrec.so")

_lib = None
_READ_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64,
                            ctypes.c_void_p, ctypes.c_size_t)


class DtrecError(Exception):
    """A libdtrec failure; str() is the library's one-line message."""


def load(path=None):
    """Load libdtrec.so once: path, else $DTREC_LIB, else the repo build."""
    global _lib
    if _lib is not None and path is None:
        return _lib
    so = path or os.environ.get("DTREC_LIB") or _DEFAULT_SO
    try:
        lib = ctypes.CDLL(so)
    except OSError as e:
        raise DtrecError("cannot load %s: %s (run make -C libdtrec)" % (so, e))
    vp, sz, cp = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
    lib.dtrec_parse.argtypes = [cp, sz, ctypes.POINTER(vp), cp, sz]
    lib.dtrec_parse.restype = ctypes.c_int
    lib.dtrec_free.argtypes = [vp]
    lib.dtrec_free.restype = None
    lib.dtrec_free_buf.argtypes = [vp]
    lib.dtrec_free_buf.restype = None
    lib.dtrec_filter_init.argtypes = [vp]
    lib.dtrec_filter_init.restype = None
    lib.dtrec_filter_parse.argtypes = [vp, ctypes.c_int,
                                       ctypes.POINTER(cp), cp, sz]
    lib.dtrec_filter_parse.restype = ctypes.c_int
    lib.dtrec_trace_str.argtypes = [vp, vp, ctypes.c_int]
    lib.dtrec_trace_str.restype = vp
    lib.dtrec_print_stats.argtypes = [vp, vp, ctypes.c_int]
    lib.dtrec_print_stats.restype = ctypes.c_int
    lib.dtrec_build_snapshot.argtypes = [cp, sz, _READ_FN, vp, cp,
                                         ctypes.POINTER(vp),
                                         ctypes.POINTER(sz), cp, sz]
    lib.dtrec_build_snapshot.restype = ctypes.c_int
    lib.dtrec_desc_size.argtypes = [cp, sz, ctypes.POINTER(ctypes.c_uint32), cp, sz]
    lib.dtrec_desc_size.restype = ctypes.c_int
    lib.dtrec_write_file.argtypes = [cp, cp, sz, cp, sz]
    lib.dtrec_write_file.restype = ctypes.c_int
    i64, u32, ci = ctypes.c_int64, ctypes.c_uint32, ctypes.c_int
    lib.dtrec_live_new.argtypes = []
    lib.dtrec_live_new.restype = vp
    lib.dtrec_live_free.argtypes = [vp]
    lib.dtrec_live_free.restype = None
    lib.dtrec_live_cpu.argtypes = [vp, u32, ci, ci, ci, ci, ci, i64, i64, i64]
    lib.dtrec_live_cpu.restype = ci
    lib.dtrec_live_pending.argtypes = [vp, u32, ctypes.c_uint, u32, cp]
    lib.dtrec_live_pending.restype = ci
    lib.dtrec_live_task.argtypes = [vp, i64, cp, u32, ci]
    lib.dtrec_live_info.argtypes = [vp, cp, cp]
    lib.dtrec_live_info.restype = ci
    lib.dtrec_live_task.restype = ci
    lib.dtrec_report_opts_init.argtypes = [vp]
    lib.dtrec_report_opts_init.restype = None
    lib.dtrec_report_opts_parse.argtypes = [vp, ci, ctypes.POINTER(cp), cp, sz]
    lib.dtrec_report_opts_parse.restype = ci
    lib.dtrec_report_str.argtypes = [vp, vp, vp, ci, ctypes.POINTER(ci), cp, sz]
    lib.dtrec_report_str.restype = vp
    lib.dtrec_dump_check.argtypes = [cp, cp, sz]
    lib.dtrec_dump_check.restype = ci
    lib.dtrec_dump_cpu_flags.argtypes = [cp, ctypes.POINTER(ctypes.c_uint64),
                                         ci, cp, sz]
    lib.dtrec_dump_cpu_flags.restype = ci
    lib.dtrec_dump_vmcoreinfo.argtypes = [cp, cp, sz, cp, sz]
    lib.dtrec_dump_vmcoreinfo.restype = ci
    lib.dtrec_vmcoreinfo_check_build.argtypes = [cp, cp, cp, cp, sz]
    lib.dtrec_vmcoreinfo_check_build.restype = ci
    lib.dtrec_dump_check_build.argtypes = [cp, cp, cp, sz]
    lib.dtrec_dump_check_build.restype = ci
    lib.dtrec_audit_str.argtypes = [vp, ci, ctypes.POINTER(cp), ci,
                                    ctypes.POINTER(ci), cp, sz]
    lib.dtrec_audit_str.restype = vp
    lib.dtrec_export_command.argtypes = [vp, ci, ctypes.POINTER(cp), cp, sz, cp, sz]
    lib.dtrec_export_command.restype = ci
    lib.dtrec_max_words.argtypes = [ctypes.POINTER(vp), ctypes.POINTER(ci),
                                    ctypes.POINTER(cp), ctypes.POINTER(vp), cp, sz]
    lib.dtrec_max_words.restype = ci
    _lib = lib
    return lib


def _msg(err):
    return err.value.decode("utf-8", "replace") or "libdtrec error"


# -- dump files ----------------------------------------------------------------

def dump_check(path):
    """Raise DtrecError ("truncated dump: ...") when the file lacks bytes
    its headers promise."""
    err = ctypes.create_string_buffer(ERRLEN)
    if load().dtrec_dump_check(os.fsencode(path), err, ERRLEN) < 0:
        raise DtrecError(_msg(err))


def dump_cpu_flags(path, max_cpus=4096):
    """RFLAGS of each NT_PRSTATUS note, in note order."""
    arr = (ctypes.c_uint64 * max_cpus)()
    err = ctypes.create_string_buffer(ERRLEN)
    n = load().dtrec_dump_cpu_flags(os.fsencode(path), arr, max_cpus, err, ERRLEN)
    if n < 0:
        raise DtrecError(_msg(err))
    return list(arr[:n])


def vmcoreinfo_check_build(text, vmlinux, what):
    """Raise DtrecError when the VMCOREINFO text names another build ID
    than vmlinux's ("... is not the kernel of this WHAT")."""
    err = ctypes.create_string_buffer(ERRLEN)
    if load().dtrec_vmcoreinfo_check_build(text.encode(), os.fsencode(vmlinux),
                                           what.encode(), err, ERRLEN) < 0:
        raise DtrecError(_msg(err))


def dump_check_build(path, vmlinux):
    """Raise DtrecError when the dump's VMCOREINFO names another build ID
    than vmlinux's."""
    err = ctypes.create_string_buffer(ERRLEN)
    if load().dtrec_dump_check_build(os.fsencode(path), os.fsencode(vmlinux),
                                     err, ERRLEN) < 0:
        raise DtrecError(_msg(err))


def dump_vmcoreinfo(path, size=1 << 16):
    """The text of the dump's VMCOREINFO note."""
    buf = ctypes.create_string_buffer(size)
    err = ctypes.create_string_buffer(ERRLEN)
    if load().dtrec_dump_vmcoreinfo(os.fsencode(path), buf, size, err, ERRLEN) < 0:
        raise DtrecError(_msg(err))
    return buf.value.decode("utf-8", "replace")


def _is_max(word):
    return word == "--max" or word.startswith("--max=")


class _Snapshot:
    """A parsed snapshot, freed on exit of the with block; None parses
    to no snapshot (a NULL pointer). A "--max[=METRICS]" word of args
    makes it the max view (dtrec_max_words()); self.args are the other
    words."""

    def __init__(self, data, args=None):
        self.lib = load()
        self.ptr = ctypes.c_void_p()
        self.args = list(args or [])
        err = ctypes.create_string_buffer(ERRLEN)
        if data is None:
            if any(_is_max(a) for a in self.args):
                raise DtrecError("--max needs the recorder's snapshot")
            return
        data = bytes(data)
        if self.lib.dtrec_parse(data, len(data), ctypes.byref(self.ptr),
                                err, ERRLEN):
            raise DtrecError(_msg(err))
        if not any(_is_max(a) for a in self.args):
            return
        n, argv = _words(self.args)
        argc = ctypes.c_int(n)
        cur = ctypes.c_void_p(self.ptr.value)
        view = ctypes.c_void_p()
        if self.lib.dtrec_max_words(ctypes.byref(cur), ctypes.byref(argc), argv,
                                    ctypes.byref(view), err, ERRLEN):
            self.lib.dtrec_free(self.ptr)
            self.ptr = None
            raise DtrecError(_msg(err))
        self.lib.dtrec_free(self.ptr)
        self.ptr = view
        self.args = [argv[i].decode() for i in range(argc.value)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.lib.dtrec_free(self.ptr)
        self.ptr = None


def _opts(init, parse, args):
    """An options struct filled by init() then parse(words); opaque
    storage, since only libdtrec knows the struct's layout."""
    o = ctypes.create_string_buffer(256)
    init(o)
    args = [a.encode() for a in (args or [])]
    argv = (ctypes.c_char_p * max(len(args), 1))(*args)
    err = ctypes.create_string_buffer(ERRLEN)
    if parse(o, len(args), argv, err, ERRLEN):
        raise DtrecError(_msg(err))
    return o


def _words(args):
    args = [a.encode() for a in (args or [])]
    return len(args), (ctypes.c_char_p * max(len(args), 1))(*args)


def audit(snapshot_bytes, args=None, json=True):
    """dtrec_audit() with its options as words ("--context", "3", ...),
    parsed by libdtrec: returns (text, number of violations)."""
    with _Snapshot(snapshot_bytes, args) as s:
        n, argv = _words(s.args)
        nv = ctypes.c_int(0)
        err = ctypes.create_string_buffer(ERRLEN)
        p = s.lib.dtrec_audit_str(s.ptr, n, argv, 1 if json else 0,
                                  ctypes.byref(nv), err, ERRLEN)
        if not p:
            raise DtrecError(_msg(err))
        try:
            return ctypes.string_at(p).decode("utf-8", "replace"), nv.value
        finally:
            s.lib.dtrec_free_buf(p)


def export(snapshot_bytes, args):
    """The export command ("--format F -o FILE [filters]"), written by
    libdtrec; returns the file name."""
    with _Snapshot(snapshot_bytes, args) as s:
        n, argv = _words(s.args)
        path = ctypes.create_string_buffer(4096)
        err = ctypes.create_string_buffer(ERRLEN)
        if s.lib.dtrec_export_command(s.ptr, n, argv, path, 4096, err, ERRLEN):
            raise DtrecError(_msg(err))
        return path.value.decode("utf-8", "replace")


def _filter(lib, args):
    return _opts(lib.dtrec_filter_init, lib.dtrec_filter_parse, args)


def _trace(snapshot_bytes, filter_args, json):
    with _Snapshot(snapshot_bytes, filter_args) as s:
        f = _filter(s.lib, s.args)
        p = s.lib.dtrec_trace_str(s.ptr, f, json)
        if not p:
            raise DtrecError("out of memory formatting the trace")
        try:
            return ctypes.string_at(p).decode("utf-8", "replace")
        finally:
            s.lib.dtrec_free_buf(p)


def trace_json(snapshot_bytes, filter_args=None):
    """The trace as one JSON line (docs/json.md, "trace"), newline included."""
    return _trace(snapshot_bytes, filter_args, 1)


def trace_text(snapshot_bytes, filter_args=None):
    """The trace as text, one line per event."""
    return _trace(snapshot_bytes, filter_args, 0)


def stats(snapshot_bytes, json=True, args=None):
    """dtrec_print_stats() output, captured through an open_memstream FILE;
    args: ["--max[=METRICS]"] or none."""
    libc = ctypes.CDLL(None)
    libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                    ctypes.POINTER(ctypes.c_size_t)]
    libc.open_memstream.restype = ctypes.c_void_p
    libc.fclose.argtypes = [ctypes.c_void_p]
    with _Snapshot(snapshot_bytes, args) as s:
        if s.args:
            raise DtrecError("stats takes no option %r" % s.args[0])
        buf, size = ctypes.c_void_p(), ctypes.c_size_t()
        fp = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
        if not fp:
            raise DtrecError("out of memory")
        rc = s.lib.dtrec_print_stats(fp, s.ptr, 1 if json else 0)
        libc.fclose(fp)
        try:
            if rc:
                raise DtrecError("stats failed: %s" % os.strerror(-rc))
            return ctypes.string_at(buf, size.value).decode("utf-8", "replace")
        finally:
            s.lib.dtrec_free_buf(buf)


def desc_size(head):
    """The size of the whole descriptor from its first 16 bytes, checked
    against the format's limits by libdtrec (DtrecError if out of them)."""
    size = ctypes.c_uint32()
    err = ctypes.create_string_buffer(ERRLEN)
    head = bytes(head)
    if load().dtrec_desc_size(head, len(head), ctypes.byref(size), err, ERRLEN):
        raise DtrecError(_msg(err))
    return size.value


def write_file(path, data):
    """Write data to path through libdtrec's output files: a regular
    file is replaced only once complete, a device or FIFO written
    directly, nothing removed on failure (DtrecError with the errno)."""
    err = ctypes.create_string_buffer(ERRLEN)
    data = bytes(data)
    if load().dtrec_write_file(os.fsencode(path), data, len(data), err, ERRLEN):
        raise DtrecError(_msg(err))


def build_snapshot(desc_bytes, read_fn, release=""):
    """Assemble a snapshot stream from a target's memory.

    desc_bytes: the raw dovetail_recorder_desc; read_fn(addr, length)
    returns exactly length bytes of target memory (it is called once
    per ring) or raises. Returns the stream as bytes.
    """
    lib = load()
    failure = []

    def _read(_ctx, addr, buf, length):
        if failure and not isinstance(failure[0], Exception):
            return -_EFAULT         # interrupted: no more reads
        try:
            data = read_fn(addr, length)
            if data is None or len(data) != length:
                raise ValueError("read %d of %d bytes at 0x%x" %
                                 (0 if data is None else len(data), length, addr))
            ctypes.memmove(buf, bytes(data), length)
            return 0
        except BaseException as e:  # a callback must not unwind through C
            if isinstance(e, Exception):
                failure.append(e)
            else:
                failure.insert(0, e)
            return -_EFAULT

    cb = _READ_FN(_read)
    out, outlen = ctypes.c_void_p(), ctypes.c_size_t()
    err = ctypes.create_string_buffer(ERRLEN)
    desc = bytes(desc_bytes)
    rc = lib.dtrec_build_snapshot(desc, len(desc), cb, None,
                                  (release or "").encode(), ctypes.byref(out),
                                  ctypes.byref(outlen), err, ERRLEN)
    if failure and not isinstance(failure[0], Exception):
        if not rc:
            lib.dtrec_free_buf(out)
        raise failure[0]            # Ctrl-C: the debugger's to handle
    if rc:
        msg = _msg(err)
        if failure:
            msg += ": %s" % failure[0]
        raise DtrecError(msg)
    try:
        return ctypes.string_at(out, outlen.value)
    finally:
        lib.dtrec_free_buf(out)


def _tri(v):
    """True/False/None -> 1/0/-1 (dtrec_live_cpu tri-states)."""
    return -1 if v is None else int(bool(v))


def _pid(p):
    return -1 if p is None else int(p)


def _cstr(s):
    return None if s is None else s.encode("utf-8", "surrogateescape")


# enum dtrec_task_class, in order.
TASK_CLASSES = ("inband", "migrating", "oob-running", "oob-blocked", "oob-trapped")


class _Live:
    """struct dtrec_live built from plain Python values, or filled by a
    callable given the struct's address (see report())."""

    def __init__(self, lib, live):
        self.lib = lib
        self.ptr = lib.dtrec_live_new()
        if not self.ptr:
            raise DtrecError("out of memory")
        try:
            self._fill(live)
        except BaseException:
            lib.dtrec_live_free(self.ptr)
            raise

    def _check(self, rc, what):
        if rc:
            raise DtrecError("cannot record the live %s: %s"
                             % (what, os.strerror(-rc)))

    def _fill(self, live):
        lib = self.lib
        if callable(live):
            live(self.ptr)
            return
        for c in live.get("cpus", []):
            self._check(lib.dtrec_live_cpu(
                self.ptr, c["cpu"], _tri(c.get("stage_oob")),
                _tri(c.get("pipeline_entry")), _tri(c.get("inband_stalled")),
                _tri(c.get("oob_stalled")), _tri(c.get("hard_irqs_off")),
                _pid(c.get("current")), _pid(c.get("inband_owner")),
                _pid(c.get("task_inflight"))), "cpu state")
        for cpu, stage, irq, name in live.get("pending", []):
            self._check(lib.dtrec_live_pending(self.ptr, cpu, stage, irq,
                                               _cstr(name)), "pending IRQs")
        for pid, comm, cpu, cls in live.get("tasks", []):
            self._check(lib.dtrec_live_task(self.ptr, pid, _cstr(comm), cpu,
                                            TASK_CLASSES.index(cls)), "task list")

    def close(self):
        if self.ptr:
            self.lib.dtrec_live_free(self.ptr)
            self.ptr = None


def report(snapshot_bytes, live=None, opts=None, json=True):
    """dtrec_report() on a snapshot stream: returns (text, verdicts).

    live (optional): {"cpus": [{"cpu": N, "stage_oob": B|None,
    "pipeline_entry": B|None, "inband_stalled": B|None, "oob_stalled":
    B|None, "hard_irqs_off": B|None, "current": PID|None, "inband_owner":
    PID|None, "task_inflight": PID|None}], "pending": [(cpu, stage 0|1,
    irq, name|None)], "tasks": [(pid, comm|None, cpu, class)]}, or a
    callable that fills the struct dtrec_live at the address it is given.
    opts: report options as words ("--last", "20", "--oob-stall", ...),
    parsed by libdtrec as by every front end. snapshot_bytes None (no
    recorder): the report on the live state alone.
    """
    lib = load()
    err = ctypes.create_string_buffer(ERRLEN)
    lv = None
    try:
        with _Snapshot(snapshot_bytes, opts) as s:
            o = _opts(lib.dtrec_report_opts_init, lib.dtrec_report_opts_parse,
                      s.args)
            lv = _Live(lib, live) if live is not None else None
            n = ctypes.c_int(0)
            p = lib.dtrec_report_str(s.ptr, lv.ptr if lv else None, o,
                                     1 if json else 0, ctypes.byref(n),
                                     err, ERRLEN)
            if not p:
                raise DtrecError(_msg(err))
            try:
                return ctypes.string_at(p).decode("utf-8", "replace"), n.value
            finally:
                lib.dtrec_free_buf(p)
    finally:
        if lv:
            lv.close()
