"""The sorted sliding window of :mod:`sigpu._kernels.median_numba`, compiled by numba.

A module of its own so that importing ``median_numba`` does not import numba: small inputs
take NumPy there, and numba's import and start-up (about 1 s once per process) are paid on
the first large input only.
"""

from __future__ import annotations

import numpy as np

from .numba_jit import njit


@njit(nogil=True)
def _reflected(i, n):
    """scipy.ndimage's "reflect" index (``d c b a | a b c d | d c b a``) of ``i``."""
    period = 2 * n
    i = i % period
    if i < 0:
        i += period
    return i if i < n else period - 1 - i


@njit(nogil=True)
def _before(a, b):
    """Sort order with NaN last (NumPy's)."""
    return a < b or (b != b and a == a)


@njit(nogil=True)
def median_rows(x, size, out, first, last):
    n = x.shape[1]
    lead = size // 2  # scipy's origin 0: offsets -lead .. size - 1 - lead
    window = np.empty(size, dtype=x.dtype)
    for r in range(first, last):
        row = x[r]
        for j in range(size):
            window[j] = row[_reflected(j - lead, n)]
        window.sort()
        out[r, 0] = window[lead]
        for t in range(1, n):
            leaving = row[_reflected(t - 1 - lead, n)]
            entering = row[_reflected(t + size - 1 - lead, n)]
            p = 0
            while p < size - 1 and not (
                window[p] == leaving or (window[p] != window[p] and leaving != leaving)
            ):
                p += 1
            window[p] = entering
            while p > 0 and _before(entering, window[p - 1]):
                window[p] = window[p - 1]
                p -= 1
            while p < size - 1 and _before(window[p + 1], entering):
                window[p] = window[p + 1]
                p += 1
            window[p] = entering
            out[r, t] = window[lead]
