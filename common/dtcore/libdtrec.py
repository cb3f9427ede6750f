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
    _lib = lib
    return lib


def _msg(err):
    return err.value.decode("utf-8", "replace") or "libdtrec error"


class _Snapshot:
    """A parsed snapshot, freed on exit of the with block."""

    def __init__(self, data):
        self.lib = load()
        self.ptr = ctypes.c_void_p()
        err = ctypes.create_string_buffer(ERRLEN)
        data = bytes(data)
        if self.lib.dtrec_parse(data, len(data), ctypes.byref(self.ptr),
                                err, ERRLEN):
            raise DtrecError(_msg(err))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.lib.dtrec_free(self.ptr)
        self.ptr = None


def _filter(lib, args):
    # Opaque storage: only libdtrec knows struct dtrec_filter's layout.
    f = ctypes.create_string_buffer(256)
    lib.dtrec_filter_init(f)
    args = [a.encode() for a in (args or [])]
    argv = (ctypes.c_char_p * max(len(args), 1))(*args)
    err = ctypes.create_string_buffer(ERRLEN)
    if lib.dtrec_filter_parse(f, len(args), argv, err, ERRLEN):
        raise DtrecError(_msg(err))
    return f


def _trace(snapshot_bytes, filter_args, json):
    with _Snapshot(snapshot_bytes) as s:
        f = _filter(s.lib, filter_args)
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


def stats(snapshot_bytes, json=True):
    """dtrec_print_stats() output, captured through an open_memstream FILE."""
    libc = ctypes.CDLL(None)
    libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                    ctypes.POINTER(ctypes.c_size_t)]
    libc.open_memstream.restype = ctypes.c_void_p
    libc.fclose.argtypes = [ctypes.c_void_p]
    with _Snapshot(snapshot_bytes) as s:
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


def build_snapshot(desc_bytes, read_fn, release=""):
    """Assemble a snapshot stream from a target's memory.

    desc_bytes: the raw dovetail_recorder_desc; read_fn(addr, length)
    returns exactly length bytes of target memory (it is called once
    per ring) or raises. Returns the stream as bytes.
    """
    lib = load()
    failure = []

    def _read(_ctx, addr, buf, length):
        try:
            data = read_fn(addr, length)
            if data is None or len(data) != length:
                raise ValueError("read %d of %d bytes at 0x%x" %
                                 (0 if data is None else len(data), length, addr))
            ctypes.memmove(buf, bytes(data), length)
            return 0
        except Exception as e:  # a callback must not unwind through C
            failure.append(e)
            return -_EFAULT

    cb = _READ_FN(_read)
    out, outlen = ctypes.c_void_p(), ctypes.c_size_t()
    err = ctypes.create_string_buffer(ERRLEN)
    desc = bytes(desc_bytes)
    rc = lib.dtrec_build_snapshot(desc, len(desc), cb, None,
                                  (release or "").encode(), ctypes.byref(out),
                                  ctypes.byref(outlen), err, ERRLEN)
    if rc:
        msg = _msg(err)
        if failure:
            msg += ": %s" % failure[0]
        raise DtrecError(msg)
    try:
        return ctypes.string_at(out, outlen.value)
    finally:
        lib.dtrec_free_buf(out)
