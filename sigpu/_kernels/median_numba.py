"""Running medians on the CPU (numba); same contract as ``median_cuda``.

A window of ``size`` samples slides along a row; the window's values are kept sorted, so
each step replaces the sample that leaves by the one that enters and moves it to its
place: about ``size / 3`` comparisons per output, against scipy.ndimage's selection over
the whole window at every sample.  Rows are independent blocks on the thread pool.
"""

from __future__ import annotations

import numpy as np

from . import cpu_threads
from .numba_jit import njit

# Rows per block of the pool: enough work per block to pay for handing it out.
_BLOCK_SAMPLES = 1 << 16


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
def _median_rows(x, size, out, first, last):
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


def median_filter(x, size: int, axis: int):
    """Running median of ``size`` samples along ``axis`` (-1 or -2), "reflect" boundaries:
    ``scipy.ndimage.median_filter(x, size=s, mode="reflect")`` with ``s`` 1 but on
    ``axis`` (the upper median, ``sorted(window)[size // 2]``, for an even ``size``).

    Parameters
    ----------
    x : ndarray, shape (..., m, n), float32 or float64 (``(..., n)`` for ``axis=-1``)
    size : int >= 1
    axis : int, -1 or -2

    Returns
    -------
    out : ndarray, ``x``'s shape and dtype, C order
    """
    rows = np.ascontiguousarray(np.swapaxes(x, axis, -1) if axis != -1 else x)
    flat = rows.reshape(-1, rows.shape[-1])
    out = np.empty_like(flat)
    if flat.size:
        per_block = max(1, _BLOCK_SAMPLES // max(1, flat.shape[1]))
        cpu_threads.map_ranges(
            lambda first, last: _median_rows(flat, size, out, first, last),
            flat.shape[0],
            per_block,
        )
    out = out.reshape(rows.shape)
    return np.ascontiguousarray(np.swapaxes(out, axis, -1)) if axis != -1 else out
