"""Flight-recorder access: descriptor checks, snapshot assembly through
libdtrec, freeze control. Records are never decoded here."""
from .target import DtError, ReadError

DESC_SYM = "dovetail_recorder_desc"
# Offsets fixed by the binary format (dovetail_recorder.h), which is
# self-describing on purpose so that no DWARF is needed for it.
OFF_FROZEN = 36


def _lib():
    try:
        from . import libdtrec
    except ImportError as e:
        raise DtError("libdtrec Python binding missing (%s)" % e)
    try:
        libdtrec.load()
    except Exception as e:   # DtrecError or OSError from ctypes
        raise DtError("cannot load libdtrec.so: %s "
                      "(build it with make -C libdtrec)" % e)
    return libdtrec


def _call(fn):
    """fn(libdtrec) with a libdtrec failure as a DtError."""
    lib = _lib()
    try:
        return fn(lib)
    except lib.DtrecError as e:
        raise DtError(str(e))


def desc_addr(k):
    k.check_dovetail()
    addr = k.t.symbol(DESC_SYM)
    if addr is None:
        raise DtError("recorder compiled out (no %s symbol; "
                      "CONFIG_DOVETAIL_RECORDER=n)" % DESC_SYM)
    return addr


def read_desc(k):
    """The raw descriptor; its magic, version and size are checked by
    libdtrec against the format's limits before the whole is read."""
    t = k.t
    addr = desc_addr(k)
    try:
        head = t.read(addr, 16)
    except ReadError as e:
        raise DtError("recorder descriptor unreadable: %s" % e)
    size = _call(lambda lib: lib.desc_size(head))
    try:
        return t.read(addr, size)
    except ReadError as e:
        raise DtError("recorder descriptor unreadable: %s" % e)


def snapshot(k, names=False, warn=None):
    """The snapshot stream (bytes): one Target.read() per ring. names:
    with the names block (docs/recorder.md 5.1), the comms of the tasks
    and the names of the pending IRQs the records mention, read through
    libdtrec's decoders; on any failure, the stream without it."""
    desc = read_desc(k)
    release = k.release()

    def read_fn(addr, size):
        return k.t.read(addr, size)

    snap = _call(lambda lib: lib.build_snapshot(desc, read_fn, release))
    return _with_names(k, snap, warn) if names else snap


def _with_names(k, snap, warn):
    import ctypes
    from . import ctarget
    lib = _lib().load()
    f = lib.dtrec_snapshot_with_target_names
    f.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                  ctypes.POINTER(ctypes.c_size_t), ctypes.c_char_p, ctypes.c_size_t]
    f.restype = ctypes.c_void_p
    ct = ctarget.CTarget(k.t, warn)
    n = ctypes.c_size_t(0)
    err = ctypes.create_string_buffer(256)
    p = f(ctypes.addressof(ct.c), snap, len(snap), ctypes.byref(n), err, 256)
    if not p:
        ct.check()
        return snap
    try:
        ct.check()
        return ctypes.string_at(p, n.value)
    finally:
        lib.dtrec_free_buf(ctypes.c_void_p(p))


def write_file(path, data):
    """data into path, whole or not at all (libdtrec's output files)."""
    _call(lambda lib: lib.write_file(path, data))


def set_frozen(k, value):
    t = k.t
    addr = desc_addr(k)
    read_desc(k)        # validates magic and version before writing
    t.write(addr + OFF_FROZEN, int(value).to_bytes(4, t.byteorder))


def trace(k, filter_args, json_out):
    snap = snapshot(k)
    return _call(lambda lib: (lib.trace_json if json_out else lib.trace_text)(
        snap, filter_args))


def stats(k, json_out, args=None):
    snap = snapshot(k)
    return _call(lambda lib: lib.stats(snap, json_out, args))


def report(k, warn, opts, json_out):
    """(text, number of verdicts) of the hang report (docs/report.md):
    the recorder snapshot and the live state, both read through the
    target and judged by libdtrec's dtrec_report(). Without a usable
    recorder, the live state alone."""
    import ctypes
    from . import ctarget
    lib = _lib()
    k.check_dovetail()
    try:
        snap, why = snapshot(k), None
    except DtError as e:
        snap, why = None, str(e)

    def fill(ptr):
        ctarget.fill_live(k.t, ptr, warn)
        try:
            release = k.release()
        except DtError:
            release = None
        lib.load().dtrec_live_info(ctypes.c_void_p(ptr),
                                   None if release is None else release.encode(),
                                   None if why is None else why.encode())
    return _call(lambda lib: lib.report(snap, fill, opts, json_out))


def audit(k, args, json_out):
    """(text, number of violations) of libdtrec's audit, in-process."""
    snap = snapshot(k)
    return _call(lambda lib: lib.audit(snap, args, json_out))


def export(k, args):
    """Write the export libdtrec makes of the snapshot, with names; the
    file name."""
    snap = snapshot(k, names=True)
    return _call(lambda lib: lib.export(snap, args))
