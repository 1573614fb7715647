"""Half-band decimation by two on the CPU (numba); same contract as ``cqt_cuda``."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, parallel=True, fastmath=False)
def _decimate2(x, odd_taps, centre, out):
    batch, n = x.shape
    n_out = out.shape[1]
    n_taps = odd_taps.shape[0]
    reach = 2 * n_taps - 1
    for b in numba.prange(batch):
        for m in range(n_out):
            i = 2 * m
            acc = centre * x[b, i]
            if i - reach >= 0 and i + reach < n:
                # interior: no bounds checks
                for k in range(n_taps):
                    d = 2 * k + 1
                    acc += odd_taps[k] * (x[b, i - d] + x[b, i + d])
            else:
                for k in range(n_taps):
                    d = 2 * k + 1
                    left = x[b, i - d] if i - d >= 0 else 0.0
                    right = x[b, i + d] if i + d < n else 0.0
                    acc += odd_taps[k] * (left + right)
            out[b, m] = acc


def decimate2(x, odd_taps, centre: float):
    """Low-pass with a symmetric half-band FIR and keep every other sample.

    ``out[b, m] = centre * x[b, 2m] + sum_k odd_taps[k] * (x[b, 2m - 2k - 1] + x[b, 2m + 2k + 1])``
    with ``x`` zero outside ``[0, n)``: the even taps of a half-band filter
    other than the centre are zero, so only the odd ones are stored.

    Parameters
    ----------
    x : ndarray, shape (batch, n), float32 or float64
    odd_taps : ndarray, shape (n_taps,), same dtype
    centre : float

    Returns
    -------
    out : ndarray, shape (batch, (n + 1) // 2)
    """
    x = np.ascontiguousarray(x)
    odd_taps = np.ascontiguousarray(odd_taps, dtype=x.dtype)
    out = np.empty((x.shape[0], (x.shape[1] + 1) // 2), dtype=x.dtype)
    _decimate2(x, odd_taps, x.dtype.type(centre), out)
    return out
