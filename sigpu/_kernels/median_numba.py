"""Running medians on the CPU (numba, or NumPy for small inputs); same contract as
``median_cuda``.

A window of ``size`` samples slides along a row; the window's values are kept sorted, so
each step replaces the sample that leaves by the one that enters and moves it to its
place: about ``size / 3`` comparisons per output, against scipy.ndimage's selection over
the whole window at every sample (:mod:`sigpu._kernels.median_sorted`, numba).  Rows are
independent blocks on the thread pool.  Inputs of up to :data:`NUMPY_MAX_SIZE` window
samples take :func:`_median_numpy` instead (the same selections, so the same values):
numba is then not imported at all.
"""

from __future__ import annotations

import numpy as np

from .._backend import import_module
from . import cpu_threads

#: Window samples (outputs x ``size``) up to which the median runs in NumPy: numba's
#: start-up (about 1 s once per process; docs/performance.md, issue 20) is more than
#: NumPy's extra time up to here (measured crossover: docs/performance.md, session 8).
NUMPY_MAX_SIZE = 1 << 20

# Rows per block of the pool: enough work per block to pay for handing it out.
_BLOCK_SAMPLES = 1 << 16


def _median_numpy(flat, size: int):
    """The running medians of ``flat (rows, n)``: each window's ``size // 2``-th smallest
    value (NaN sorting last, as in the kernel), every window at once."""
    n = flat.shape[1]
    lead = size // 2  # scipy's origin 0: offsets -lead .. size - 1 - lead
    index = np.arange(n)[:, None] + (np.arange(size) - lead)  # (n, size)
    period = 2 * n  # scipy.ndimage's "reflect" (d c b a | a b c d | d c b a), periodic
    index %= period
    index = np.where(index < n, index, period - 1 - index)
    # a copy: C order, and the windows array is freed
    return np.partition(flat[:, index], lead, axis=-1)[..., lead].copy()


def _median_kernel(flat, size: int):
    """The running medians of ``flat (rows, n)`` by the numba kernel, blocks of rows on
    the pool."""
    # numba's import under sigpu's import lock: first calls may come from several threads
    median_rows = import_module(f"{__package__}.median_sorted").median_rows
    out = np.empty_like(flat)
    per_block = max(1, _BLOCK_SAMPLES // max(1, flat.shape[1]))
    cpu_threads.map_ranges(
        lambda first, last: median_rows(flat, size, out, first, last),
        flat.shape[0],
        per_block,
    )
    return out


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
    if not flat.size:
        out = flat.copy()
    elif flat.size * size <= NUMPY_MAX_SIZE:
        out = _median_numpy(flat, size)
    else:
        out = _median_kernel(flat, size)
    out = out.reshape(rows.shape)
    return np.ascontiguousarray(np.swapaxes(out, axis, -1)) if axis != -1 else out
