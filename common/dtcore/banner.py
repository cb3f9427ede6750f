"""linux_banner as stored in a vmlinux file, to detect a vmlinux that
does not match the memory being inspected.

A byte search is not enough: 6.x vmlinux images carry a second,
timestamp-less "Linux version" string, so the symbol is looked up in
.symtab and read from its section with a minimal ELF64 reader.
"""
import mmap
import struct

SHT_SYMTAB = 2
SHT_NOBITS = 8


def _elf_symbol_bytes(m, name, maxlen=1024):
    if m[:4] != b"\x7fELF" or m[4] != 2:
        return None
    end = "<" if m[5] == 1 else ">"
    shoff, = struct.unpack_from(end + "Q", m, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", m, 0x3a)
    secs = []
    for i in range(shnum):
        (_, stype, _, addr, off, size, link, _, _, entsize) = struct.unpack_from(
            end + "IIQQQQIIQQ", m, shoff + i * shentsize)
        secs.append((stype, addr, off, size, link, entsize))
    want = name.encode()
    for stype, _, off, size, link, entsize in secs:
        if stype != SHT_SYMTAB or not entsize:
            continue
        stroff = secs[link][2]
        for j in range(size // entsize):
            st_name, _, _, shndx, value, _ = struct.unpack_from(
                end + "IBBHQQ", m, off + j * entsize)
            if not st_name:
                continue
            nend = m.find(b"\0", stroff + st_name)
            if m[stroff + st_name:nend] != want or shndx >= len(secs):
                continue
            sec = secs[shndx]
            if sec[0] == SHT_NOBITS:
                return None
            pos = sec[2] + value - sec[1]
            data = m[pos:pos + maxlen]
            return data.split(b"\0", 1)[0]
    return None


def file_banner(path):
    """linux_banner from the vmlinux file data, or None if not found."""
    if not path:
        return None
    try:
        with open(path, "rb") as f, \
                mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            raw = _elf_symbol_bytes(m, "linux_banner")
    except (OSError, ValueError, struct.error, IndexError):
        return None
    return raw.decode("utf-8", "replace") if raw else None
