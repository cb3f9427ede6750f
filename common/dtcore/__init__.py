"""Dovetail state inspection shared by the gdb and drgn front ends."""
from .target import DtError, MissingMember, MissingType, ReadError, Target  # noqa: F401
