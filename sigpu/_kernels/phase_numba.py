"""Phase accumulation on the CPU (numba); same contract as ``phase_cuda``."""

from __future__ import annotations

import numpy as np

from .numba_jit import njit


@njit(nogil=True)
def _accumulate(start, increment, out):
    for r in range(start.shape[0]):
        acc = start[r]
        out[r, 0] = acc
        for t in range(increment.shape[1]):
            acc = out.dtype.type(np.float64(acc) + increment[r, t])
            out[r, t + 1] = acc


def accumulate_rounded(start, increment):
    """Running phase: ``out[:, 0] = start``, ``out[:, t + 1] = out[:, t] + increment[:, t]``
    summed in float64 and rounded to ``start``'s dtype at every step (NumPy's in-place
    ``acc += increment`` of a float32 ``acc`` and float64 increments).

    Parameters
    ----------
    start : ndarray, shape (rows,), float32 or float64
    increment : ndarray, shape (rows, n_steps - 1), float64

    Returns
    -------
    out : ndarray, shape (rows, n_steps), ``start``'s dtype
    """
    out = np.empty((start.shape[0], increment.shape[1] + 1), dtype=start.dtype)
    _accumulate(np.ascontiguousarray(start), np.ascontiguousarray(increment), out)
    return out
