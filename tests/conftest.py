"""The ``xp`` fixture: every public function is tested on NumPy and, when a GPU is usable, CuPy."""

from __future__ import annotations

import numpy as np
import pytest


def _cupy_usable() -> bool:
    try:
        import cupy

        return bool(cupy.cuda.is_available())
    except Exception:  # no cupy, no driver, no device
        return False


CUPY_USABLE = _cupy_usable()


@pytest.fixture(
    params=[
        "numpy",
        pytest.param(
            "cupy",
            marks=[
                pytest.mark.gpu,
                pytest.mark.skipif(not CUPY_USABLE, reason="no usable CUDA GPU for CuPy"),
            ],
        ),
    ]
)
def xp(request):
    """The array module under test: ``numpy`` or ``cupy`` (the plain modules)."""
    if request.param == "cupy":
        import cupy

        return cupy
    return np


@pytest.fixture
def rng():
    """A seeded generator: test data is synthesised, never downloaded."""
    return np.random.default_rng(20261122)
