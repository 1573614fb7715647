"""Half-band decimation by two on the GPU (``cqt.cu``); same contract as ``cqt_numba``."""

from __future__ import annotations

import cupy
import numpy as np

from ._cuda_common import THREADS, blocks_for, get_function


def decimate2(x, odd_taps, centre: float):
    """See :func:`sigpu._kernels.cqt_numba.decimate2`."""
    x = cupy.ascontiguousarray(x)
    odd_taps = cupy.ascontiguousarray(odd_taps, dtype=x.dtype)
    batch, n = x.shape
    n_out = (n + 1) // 2
    out = cupy.empty((batch, n_out), dtype=x.dtype)
    kern = get_function("cqt.cu", "decimate2", x.dtype)
    args = [np.int64(v) for v in (batch, n, n_out, odd_taps.shape[0])]
    kern(
        (blocks_for(batch * n_out),),
        (THREADS,),
        (x, odd_taps, x.dtype.type(centre), out, *args),
    )
    return out


def map_rows(func, n_rows: int, row_len: int):
    """``func(slice(0, n_rows))``: one stream takes every row (the GPU parallelises inside)."""
    func(slice(0, n_rows))
