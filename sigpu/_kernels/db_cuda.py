"""Decibel conversions on the GPU: CuPy's elementwise operations; same contract as
``db_numba``."""

from __future__ import annotations

import cupy


def magnitude(S):
    """See :func:`sigpu._kernels.db_numba.magnitude`."""
    return cupy.abs(S)


def power_to_db(S, amin, offset, top_db, *, square=False, overwrite=False):
    """See :func:`sigpu._kernels.db_numba.power_to_db` (``overwrite`` is not used)."""
    if square:
        S = S**2
    log_spec = 10.0 * cupy.log10(cupy.maximum(S, amin)) - offset
    if top_db is not None:
        log_spec = cupy.maximum(log_spec, cupy.max(log_spec) - top_db)
    return log_spec


def db_to_power(S_db, ref: float):
    """See :func:`sigpu._kernels.db_numba.db_to_power`."""
    return ref * 10.0 ** (S_db * 0.1)
