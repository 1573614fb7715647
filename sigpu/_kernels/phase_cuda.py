"""Phase accumulation on the GPU (``phase.cu``); same contract as ``phase_numba``."""

from __future__ import annotations

import cupy
import numpy as np

from ._cuda_common import THREADS, blocks_for, get_function


def accumulate_rounded(start, increment):
    """See :func:`sigpu._kernels.phase_numba.accumulate_rounded`."""
    rows, n_steps = start.shape[0], increment.shape[1] + 1
    time_major = cupy.ascontiguousarray(increment.T, dtype=cupy.float64)
    out = cupy.empty((n_steps, rows), dtype=start.dtype)
    kern = get_function("phase.cu", "accumulate_rounded", start.dtype)
    args = (cupy.ascontiguousarray(start), time_major, out, np.int64(rows), np.int64(n_steps))
    kern((blocks_for(rows),), (THREADS,), args)
    return out.T
