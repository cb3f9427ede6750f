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

    def _stop(self, e):
        """A BaseException that is no error (Ctrl-C): remembered, re-raised
        by check(); an error: None."""
        if not isinstance(e, Exception):
            self.interrupt = e
        return -errno.EINTR if self.interrupt else None

    def check(self):
        if self.interrupt:
            raise self.interrupt

    def _read(self, _ctx, addr, buf, length):
        if self.interrupt:
            return -errno.EINTR
        try:
            data = self.t.read(addr, length)
            if len(data) != length:
                return -errno.EFAULT
            ctypes.memmove(buf, data, length)
            return 0
        except BaseException as e:  # noqa: BLE001 - must not unwind through C
            return self._stop(e) or -errno.EFAULT

    def _symbol(self, _ctx, name, out):
        if self.interrupt:
            return -errno.EINTR
        try:
            addr = self.t.symbol(_name(name))
        except BaseException as e:  # noqa: BLE001
            if self._stop(e):
                return -errno.EINTR
            addr = None
        if addr is None:
            return -errno.ENOENT
        out[0] = addr & (2**64 - 1)
        return 0

    def _type_size(self, _ctx, name, out):
        if self.interrupt:
            return -errno.EINTR
        try:
            out[0] = self.t.type_size("struct " + _name(name))
            return 0
        except BaseException as e:  # noqa: BLE001
            return self._stop(e) or -errno.ENOENT

    def _member(self, _ctx, stype, member, out):
        if self.interrupt:
            return -errno.EINTR
        try:
            off, size, nelem = self.t.member("struct " + _name(stype), _name(member))
        except BaseException as e:  # noqa: BLE001
            return self._stop(e) or -errno.ENOENT
        out[0].offset, out[0].size, out[0].nelem = off, size, nelem or 0
        return 0

    def _cpu_flags(self, _ctx, cpu, rank, out):
        if self.interrupt:
            return -errno.EINTR
        try:
            flags = self.t.cpu_flags(cpu, rank)
        except BaseException as e:  # noqa: BLE001
            if self._stop(e):
                return -errno.EINTR
            flags = None
        if flags is None:
            return -errno.ENOENT
        out[0] = flags
        return 0

    def _warn(self, _ctx, msg):
        if self.interrupt:
            return
        try:
            self.warn(_name(msg))
        except BaseException as e:  # noqa: BLE001
            self._stop(e)


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
