"""Comparison helpers shared by the test modules."""

from __future__ import annotations

import numpy as np


def to_np(a) -> np.ndarray:
    """A NumPy copy of a NumPy or CuPy array (explicit, tests only)."""
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


def rel_to_peak(actual, reference) -> float:
    """max|actual - reference| / max|reference| (the spec's rel-to-peak)."""
    actual, reference = to_np(actual), to_np(reference)
    assert actual.shape == reference.shape, (actual.shape, reference.shape)
    peak = np.max(np.abs(reference))
    return float(np.max(np.abs(actual - reference)) / (peak if peak > 0 else 1.0))


def tol(dtype, f32: float, f64: float) -> float:
    """Pick the float32 or float64 tolerance for ``dtype``."""
    return f32 if np.dtype(dtype) in (np.float32, np.complex64) else f64
