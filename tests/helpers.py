"""Comparison helpers shared by the test modules.

A result that silently came back from the wrong library (NumPy from a CuPy input) or on
the wrong device must fail: :func:`to_np` checks every result against the library the
running test's ``xp`` fixture chose (``expected_library``) before copying it to the host,
and :func:`assert_array` checks library, device, dtype and shape explicitly.
"""

from __future__ import annotations

import contextvars

import numpy as np

#: ``"numpy"``, ``"cupy"`` or None (no ``xp`` fixture): set by the ``xp`` fixture.
expected_library: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "expected_library", default=None
)


def library_of(a) -> str:
    """``"numpy"`` or ``"cupy"``: the library an array belongs to."""
    if isinstance(a, np.ndarray):
        return "numpy"
    if type(a).__module__.split(".")[0] == "cupy":
        return "cupy"
    raise AssertionError(f"not an array of NumPy or CuPy: {type(a).__module__}.{type(a).__name__}")


def _current_cupy_device() -> int:
    import cupy

    return cupy.cuda.Device().id


def assert_array(a, library=None, *, dtype=None, shape=None, device=None):
    """Assert ``a`` is an array of ``library`` (a name or module; default: the running
    test's ``xp``) on ``device`` (default: the current CuPy device) with ``dtype`` and
    ``shape`` when given."""
    want = getattr(library, "__name__", library) or expected_library.get()
    got = library_of(a)
    if want is not None:
        assert got == want, f"result is a {got} array, expected {want}"
    if got == "cupy":
        want_device = _current_cupy_device() if device is None else device
        assert a.device.id == want_device, f"result on device {a.device.id}, not {want_device}"
    if dtype is not None:
        assert a.dtype == np.dtype(dtype), f"result dtype {a.dtype}, expected {np.dtype(dtype)}"
    if shape is not None:
        assert tuple(a.shape) == tuple(shape), f"result shape {a.shape}, expected {shape}"
    return a


class CheckedResult(np.ndarray):
    """A result on the host that :func:`to_np` checked; slices of it and NumPy arithmetic
    on it stay checked, so :func:`rel_to_peak` can tell it from an unchecked array."""


def to_np(a, *, dtype=None, shape=None) -> np.ndarray:
    """A NumPy copy of a result (a view on NumPy), after :func:`assert_array` (library of
    the running test's ``xp``, current device, ``dtype`` and ``shape`` when given)."""
    if isinstance(a, CheckedResult):
        return a
    assert_array(a, dtype=dtype, shape=shape)
    on_host = a.get() if library_of(a) == "cupy" else np.asarray(a)
    return on_host.view(CheckedResult)


def host(a) -> np.ndarray:
    """A NumPy copy of an input or reference of either library (no result checks)."""
    return a.get() if library_of(a) == "cupy" else np.asarray(a)


def rel_to_peak(actual, reference) -> float:
    """max|actual - reference| / max|reference| (the spec's rel-to-peak); ``actual`` is a
    result (checked as by :func:`to_np`), ``reference`` an array of either library."""
    return rel_to_peak_of_references(to_np(actual), host(reference))


def rel_to_peak_of_references(actual, reference) -> float:
    """:func:`rel_to_peak` of two host arrays, neither of them a result under test."""
    actual, reference = np.asarray(actual), np.asarray(reference)
    assert actual.shape == reference.shape, (actual.shape, reference.shape)
    peak = np.max(np.abs(reference))
    return float(np.max(np.abs(actual - reference)) / (peak if peak > 0 else 1.0))


def tol(dtype, f32: float, f64: float) -> float:
    """Pick the float32 or float64 tolerance for ``dtype``."""
    return f32 if np.dtype(dtype) in (np.float32, np.complex64) else f64
