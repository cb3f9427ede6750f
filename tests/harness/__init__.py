"""QEMU/gdb/QMP helpers for the VM tier and `make vm` (see docs/vm-tier.md)."""
from .kernels import Kernel, discover, kcache, NO_KERNEL_REASON  # noqa: F401
from .vm import VM, VMError  # noqa: F401
