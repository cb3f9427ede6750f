"""A Target as libdtrec's struct dtrec_target (libdtrec/dtrec_target.h).

The state commands (stages, irqs, tasks) and the live state of the
hang report are decoded by libdtrec, in C; this module only hands it
the debugger's primitives as ctypes callbacks, the way build_snapshot()
hands it a reader for the rings. No callback lets an exception unwind
through C: a failed read is -EFAULT, a missing symbol, type or member
-ENOENT. A KeyboardInterrupt (Ctrl-C in gdb) makes every later callback
fail at once, so that libdtrec stops, and is raised again when it returns.
"""
import ctypes
import errno

from . import libdtrec
from .target import DtError

_u64 = ctypes.c_uint64
_P64 = ctypes.POINTER(_u64)


class _Member(ctypes.Structure):
    _fields_ = [("offset", _u64), ("size", _u64), ("nelem", _u64)]


_READ = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, _u64, ctypes.c_void_p,
                         ctypes.c_size_t)
_SYMBOL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, _P64)
_TYPE_SIZE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, _P64)
_MEMBER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                           ctypes.c_char_p, ctypes.POINTER(_Member))
_CPU_FLAGS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32,
                              ctypes.c_uint32, _P64)
_WARN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class _Ops(ctypes.Structure):
    _fields_ = [("read", _READ), ("symbol", _SYMBOL), ("type_size", _TYPE_SIZE),
                ("member", _MEMBER), ("cpu_flags", _CPU_FLAGS), ("warn", _WARN)]


class _CTarget(ctypes.Structure):
    _fields_ = [("ops", ctypes.POINTER(_Ops)), ("ctx", ctypes.c_void_p),
                ("arch", ctypes.c_char_p)]


_declared = set()


def _lib():
    lib = libdtrec.load()
    if id(lib) in _declared:
        return lib
    vp, cp, sz, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int
    tp = ctypes.POINTER(_CTarget)
    lib.dtrec_state_command_str.argtypes = [tp, ci, ctypes.POINTER(cp), cp, sz]
    lib.dtrec_state_command_str.restype = vp
    lib.dtrec_state_live.argtypes = [tp, vp, cp, sz]
    lib.dtrec_state_live.restype = ci
    lib.dtrec_state_check.argtypes = [tp, cp, sz]
    lib.dtrec_state_check.restype = ci
    _declared.add(id(lib))
    return lib


def _name(b):
    return b.decode("utf-8", "replace")


class CTarget(object):
    """struct dtrec_target over a dtcore Target (gdb, drgn, a test fake).
    Keep the object alive while libdtrec uses it: it owns the callbacks."""

    def __init__(self, target, warn=None):
        self.t = target
        self.warn = warn or (lambda msg: None)
        self.interrupt = None
        self.ops = _Ops(_READ(self._read), _SYMBOL(self._symbol),
                        _TYPE_SIZE(self._type_size), _MEMBER(self._member),
                        _CPU_FLAGS(self._cpu_flags), _WARN(self._warn))
        self.c = _CTarget(ctypes.pointer(self.ops), None,
                          target.arch().encode())

    def check(self):
        if self.interrupt:
            raise self.interrupt

    def _guarded(self, fn, fail):
        """fn()'s result for a callback; -EINTR once interrupted (a
        BaseException that is no error: Ctrl-C, kept for check()), and
        -fail for any error."""
        if self.interrupt:
            return -errno.EINTR
        try:
            return fn()
        except BaseException as e:  # noqa: BLE001 - must not unwind through C
            if not isinstance(e, Exception):
                self.interrupt = e
                return -errno.EINTR
            return -fail

    def _read(self, _ctx, addr, buf, length):
        def read():
            data = self.t.read(addr, length)
            if len(data) != length:
                return -errno.EFAULT
            ctypes.memmove(buf, data, length)
            return 0
        return self._guarded(read, errno.EFAULT)

    @staticmethod
    def _out(value, out):
        """Store value in *out: 0, or -ENOENT for None."""
        if value is None:
            return -errno.ENOENT
        out[0] = value & (2**64 - 1)
        return 0

    def _symbol(self, _ctx, name, out):
        return self._guarded(lambda: self._out(self.t.symbol(_name(name)), out),
                             errno.ENOENT)

    def _type_size(self, _ctx, name, out):
        return self._guarded(
            lambda: self._out(self.t.type_size("struct " + _name(name)), out),
            errno.ENOENT)

    def _member(self, _ctx, stype, member, out):
        def member_():
            off, size, nelem = self.t.member("struct " + _name(stype), _name(member))
            out[0].offset, out[0].size, out[0].nelem = off, size, nelem or 0
            return 0
        return self._guarded(member_, errno.ENOENT)

    def _cpu_flags(self, _ctx, cpu, rank, out):
        return self._guarded(lambda: self._out(self.t.cpu_flags(cpu, rank), out),
                             errno.ENOENT)

    def _warn(self, _ctx, msg):
        self._guarded(lambda: self.warn(_name(msg)), 0)
        return None


def state_command(target, argv, warn):
    """stages, irqs or tasks with their options (argv[0] is the command):
    the text libdtrec prints, or DtError with its one-line message."""
    lib = _lib()
    ct = CTarget(target, warn)
    words = [a.encode() for a in argv]
    arr = (ctypes.c_char_p * len(words))(*words)
    err = ctypes.create_string_buffer(libdtrec.ERRLEN)
    p = lib.dtrec_state_command_str(ctypes.byref(ct.c), len(words), arr, err,
                                    libdtrec.ERRLEN)
    if p and ct.interrupt:
        lib.dtrec_free_buf(p)
    ct.check()
    if not p:
        raise DtError(_name(err.value) or "%s failed" % argv[0])
    try:
        return _name(ctypes.string_at(p))
    finally:
        lib.dtrec_free_buf(p)


def check(target):
    """DtError unless the target is a Dovetail kernel libdtrec can read."""
    lib = _lib()
    ct = CTarget(target)
    err = ctypes.create_string_buffer(libdtrec.ERRLEN)
    rc = lib.dtrec_state_check(ctypes.byref(ct.c), err, libdtrec.ERRLEN)
    ct.check()
    if rc:
        raise DtError(_name(err.value) or "not a Dovetail kernel")


def fill_live(target, live_ptr, warn):
    """What stages, irqs and tasks --all see, into a struct dtrec_live."""
    lib = _lib()
    ct = CTarget(target, warn)
    err = ctypes.create_string_buffer(libdtrec.ERRLEN)
    rc = lib.dtrec_state_live(ctypes.byref(ct.c), live_ptr, err, libdtrec.ERRLEN)
    ct.check()
    if rc:
        raise DtError(_name(err.value) or "cannot read the live state")
