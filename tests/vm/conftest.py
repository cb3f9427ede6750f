"""VM tier: one test instance per cached kernel (see docs/vm-tier.md)."""
import pytest

from tests.harness import kernels

KERNELS = kernels.discover()


def kernel_params():
    if not KERNELS:
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=kernels.NO_KERNEL_REASON), id="no-kernel")]
    return [pytest.param(k, id=k.name) for k in KERNELS]


def pytest_generate_tests(metafunc):
    if "kernel" in metafunc.fixturenames:
        metafunc.parametrize("kernel", kernel_params(), scope="module")
