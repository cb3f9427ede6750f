"""Guest memory dumps through QMP dump-guest-memory, readable by drgn 0.0.22
and crash 8.0.2.

- ELF dumps are taken with paging=true: QEMU then writes virtual-address
  segments from the guest page tables. drgn 0.0.22 cannot bootstrap the
  kernel page tables from a physical-only QEMU dump ("recursive address
  translation"); crash reads either.
- QEMU 7.2 writes the kdump formats in makedumpfile's flattened layout,
  which `makedumpfile -R` turns into a plain kdump-compressed file; its
  header then lacks the utsname libkdumpfile needs, which
  tools/vmcore-fixnote fills in.
"""
import os
import struct
import subprocess

from . import hostbuild
from .initramfs import ROOT

FORMATS = ("elf", "kdump-zlib", "kdump-lzo", "kdump-snappy")
FIXNOTE_SRC = os.path.join(ROOT, "tools", "vmcore-fixnote.c")
FIXNOTE = os.path.join(ROOT, "out", "vmcore-fixnote")
REPAGE_SRC = os.path.join(ROOT, "tools", "kdump-repage.c")
REPAGE = os.path.join(ROOT, "out", "kdump-repage")


class DumpError(Exception):
    pass


def unreadable(kernel, fmt):
    """Why dumps of `fmt` from this kernel's guests cannot be read here,
    or None. QEMU 7.2 writes an aarch64 guest's kdump file in 64 KiB
    blocks (its dump page size for arm) while the kernel's pages are
    4 KiB, which libkdumpfile 0.5.1 (drgn's kdump reader) cannot page:
    take() rewrites zlib ones by kernel pages (tools/kdump-repage), not
    LZO or snappy ones."""
    if kernel.arch == "arm64" and fmt in ("kdump-lzo", "kdump-snappy"):
        return ("QEMU 7.2 writes aarch64 kdump files in 64 KiB blocks; "
                "tools/kdump-repage rewrites zlib ones only")
    return None


def truncated_copy(src, dst, keep):
    """The first `keep` bytes of dump `src` in `dst`, as a dump written
    only part-way. vmcore-fixnote appends the virtual segments of an
    aarch64 ELF dump to the end of the file, which a cut takes away: such
    a copy gets QEMU's own program headers back (they stay in place,
    right after the ELF header) and is fixed again, as the harness fixes
    every dump it takes."""
    with open(src, "rb") as f, open(dst, "wb") as g:
        g.write(f.read(keep))
    with open(src, "rb") as f:
        eh = f.read(64)
        if eh[:4] != b"\x7fELF" or struct.unpack_from("<H", eh, 18)[0] != 183:
            return dst
        phoff, = struct.unpack_from("<Q", eh, 32)
        nph, = struct.unpack_from("<H", eh, 56)
        if phoff == 64:
            return dst
        f.seek(phoff)
        ph = f.read(56 * nph)
    # QEMU's headers: those before the first virtual PT_LOAD.
    own = 0
    while own < nph:
        typ, = struct.unpack_from("<I", ph, 56 * own)
        va, pa = struct.unpack_from("<QQ", ph, 56 * own + 16)
        if typ == 1 and va != pa:
            break
        own += 1
    with open(dst, "r+b") as g:
        g.seek(32)
        g.write(struct.pack("<Q", 64))
        g.seek(56)
        g.write(struct.pack("<H", own))
    subprocess.run([fixnote(), dst], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return dst


def formats(kernel, wanted):
    """The formats of `wanted` that this kernel's dumps can be read in."""
    return tuple(f for f in wanted if not unreadable(kernel, f))


# What the dump tools are built from besides their own source.
_TOOL_HEADERS = [os.path.join(ROOT, "tools", "kdump_format.h")]


def _built(src, out, libs=()):
    try:
        return hostbuild.built(src, out, _TOOL_HEADERS, libs)
    except hostbuild.BuildError as e:
        raise DumpError(str(e))


def fixnote():
    """Path of tools/vmcore-fixnote, built if needed."""
    return _built(FIXNOTE_SRC, FIXNOTE)


def repage():
    """Path of tools/kdump-repage, built if needed."""
    return _built(REPAGE_SRC, REPAGE, ["-lz"])


def take(vm, path, fmt="elf", timeout=300):
    if fmt not in FORMATS:
        raise DumpError("unknown dump format %r" % fmt)
    path = os.path.abspath(path)
    raw = path if fmt == "elf" else path + ".flat"
    # QEMU creates dumps read-only and makedumpfile refuses to overwrite.
    for p in (path, raw):
        if os.path.lexists(p):
            os.unlink(p)
    uts_version = vm.uts_version() if fmt != "elf" else None
    vm.qmp.execute("dump-guest-memory", timeout=timeout,
                   paging=(fmt == "elf"), protocol="file:" + raw, format=fmt)
    if fmt != "elf":
        with open(raw, "rb") as src:
            r = subprocess.run(["makedumpfile", "-R", path], stdin=src,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               timeout=timeout)
        os.unlink(raw)
        if r.returncode:
            raise DumpError("makedumpfile -R failed: %s" % r.stdout.strip())
        if vm.kernel.arch == "arm64":
            why = unreadable(vm.kernel, fmt)
            if why:
                raise DumpError(why)
            # 64 KiB blocks from QEMU, 4 KiB kernel pages (unreadable()).
            r = subprocess.run([repage(), path, path + ".4k"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               timeout=timeout)
            if r.returncode:
                raise DumpError(r.stdout.strip())
            os.replace(path + ".4k", path)
    cmd = [fixnote(), path]
    if uts_version:
        cmd[1:1] = ["-u", uts_version]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode:
        raise DumpError("%s (QEMU: %s)" % (r.stdout.strip(),
                                           _qemu_warning(vm) or "no warning"))
    return path


def _qemu_warning(vm):
    try:
        with open(vm.qemu_log) as f:
            lines = [ln.strip() for ln in f if "note" in ln]
        return lines[-1] if lines else ""
    except OSError:
        return ""


def elf_notes(path):
    """(name, desc) of every note in an ELF64 core's PT_NOTE segments, or
    None if the file is not ELF."""
    notes = []
    with open(path, "rb") as f:
        eh = f.read(64)
        if eh[:4] != b"\x7fELF" or eh[4] != 2:
            return None
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ptype, _fl, off, _va, _pa, filesz = struct.unpack(
                "<IIQQQQ", f.read(40))
            if ptype != 4:  # PT_NOTE
                continue
            f.seek(off)
            data = f.read(filesz)
            p = 0
            while p + 12 <= len(data):
                nsz, dsz, _t = struct.unpack_from("<III", data, p)
                p += 12
                name = data[p:p + nsz].rstrip(b"\0").decode("latin-1")
                p += (nsz + 3) & ~3
                notes.append((name, data[p:p + dsz]))
                p += (dsz + 3) & ~3
    return notes


def vmcoreinfo(path):
    """The VMCOREINFO text of an ELF dump as a dict, {} if absent."""
    for name, desc in elf_notes(path) or []:
        if name == "VMCOREINFO":
            text = desc.rstrip(b"\0").decode("latin-1")
            return dict(ln.split("=", 1) for ln in text.splitlines()
                        if "=" in ln)
    return {}


def exclude_pages(src, dst, pfns):
    """Copy a kdump-compressed dump, marking `pfns` as excluded.

    As makedumpfile's filters do: the page's bit goes from the second
    (dumpable) bitmap and its descriptor from the table, later ones
    moving up; page data stays where it is, descriptors point at it by
    absolute offset. Gives the VM tier real dumps with missing pages.
    """
    with open(src, "rb") as f:
        data = bytearray(f.read())
    if data[:8] != b"KDUMP   ":
        raise DumpError("%s is not kdump-compressed" % src)
    block, sub, blocks = struct.unpack_from("<iiI", data, 428)
    half = blocks * block // 2
    bm2 = (1 + sub) * block + half
    descs = bm2 + half
    bitmap = data[bm2:bm2 + half]
    drop = set()
    rank = 0
    for pfn in range(half * 8):
        if bitmap[pfn // 8] >> (pfn % 8) & 1:
            if pfn in pfns:
                drop.add(rank)
                bitmap[pfn // 8] &= ~(1 << (pfn % 8)) & 0xff
            rank += 1
    if not drop:
        raise DumpError("none of the pages to exclude is in %s" % src)
    table = [data[descs + 24 * i:descs + 24 * (i + 1)] for i in range(rank)]
    kept = b"".join(d for i, d in enumerate(table) if i not in drop)
    data[bm2:bm2 + half] = bitmap
    data[descs:descs + 24 * rank] = kept + bytes(24 * len(drop))
    with open(dst, "wb") as f:
        f.write(data)
    return dst
