"""The ``xp`` fixture: every public function is tested on NumPy and on CuPy.

CuPy is the real one where a CUDA GPU is usable and, everywhere else (CI), the strict
CPU emulation in ``tests/emulation`` (CUDA kernels compiled as host C++, a NumPy-backed
``cupy`` that refuses what a GPU would refuse).  ``SIGPU_TEST_CUPY=real|emulated|off``
chooses explicitly; the emulation has to replace ``cupy`` before anything imports it, so
the choice is made here, at import time, once per process.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests import emulation, helpers

CUPY_MODE = emulation.chosen_mode()
if CUPY_MODE == "emulated":
    emulation.install()


def _real_cupy_usable() -> bool:
    try:
        import cupy

        return bool(cupy.cuda.is_available())
    except Exception:  # no cupy, no driver, no device
        return False


CUPY_USABLE = CUPY_MODE == "emulated" or (CUPY_MODE == "real" and _real_cupy_usable())
CUPY_SKIP_REASON = {
    "off": "SIGPU_TEST_CUPY=off",
    "real": "no usable CUDA GPU for CuPy (SIGPU_TEST_CUPY=real)",
}.get(CUPY_MODE, "")


def pytest_collection_modifyitems(config, items):
    """Tests that use CuPy through ``cupy_module`` or ``emulated_cupy`` are marked ``gpu``
    too, so that ``pytest -m gpu`` runs the whole CuPy half."""
    for item in items:
        if {"cupy_module", "emulated_cupy"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gpu)


def pytest_report_header(config):
    return f"sigpu: xp=cupy runs on {CUPY_MODE} CuPy" + (
        "" if CUPY_USABLE else f" (skipped: {CUPY_SKIP_REASON})"
    )


@pytest.fixture(
    params=[
        "numpy",
        pytest.param(
            "cupy",
            marks=[
                pytest.mark.gpu,
                pytest.mark.skipif(not CUPY_USABLE, reason=CUPY_SKIP_REASON),
            ],
        ),
    ]
)
def xp(request):
    """The array module under test: ``numpy`` or ``cupy`` (the plain modules; ``cupy`` is
    the emulation where no GPU is usable).  Results passed to ``helpers.to_np`` during the
    test must belong to this library and sit on the current device."""
    if request.param == "cupy":
        import cupy

        module = cupy
    else:
        module = np
    helpers.expected_library.set(module.__name__)
    yield module
    helpers.expected_library.set(None)


@pytest.fixture
def cupy_module():
    """CuPy itself (real or emulated) for tests of CuPy-only code; skipped where none."""
    if not CUPY_USABLE:
        pytest.skip(CUPY_SKIP_REASON)
    import cupy

    return cupy


@pytest.fixture
def emulated_cupy():
    """The emulated CuPy, for tests of what only the emulation can observe (device->host
    syncs, several devices, a small device memory); skipped on a real GPU."""
    if CUPY_MODE != "emulated":
        pytest.skip(f"needs the CuPy emulation (this run uses {CUPY_MODE} CuPy)")
    import cupy

    cupy.SYNCS.clear()
    cupy.EVENTS.clear()
    return cupy


@pytest.fixture
def rng():
    """A seeded generator: test data is synthesised, never downloaded."""
    return np.random.default_rng(20261122)
