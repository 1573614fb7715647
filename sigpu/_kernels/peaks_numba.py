"""librosa's peak picking on the CPU (numba): the walk of ``librosa.util.peak_pick`` row by
row, in one compiled loop; same contract as ``peaks_cuda`` (which runs the vectorised form
of :mod:`sigpu._peaks`)."""

from __future__ import annotations

import numpy as np

from .numba_jit import njit


@njit(nogil=True)
def _walk(x, pre_max, post_max, pre_avg, post_avg, delta, wait, zero, out):
    n = x.shape[1]
    for r in range(x.shape[0]):
        row = x[r]
        t = 0
        while t < n:
            lo, hi = max(0, t - pre_max), min(n, t + post_max)
            peak = True
            for k in range(lo, hi):
                if row[k] > row[t]:
                    peak = False
                    break
            if peak:
                lo, hi = max(0, t - pre_avg), min(n, t + post_avg)
                # in x's precision, as librosa's picker (a float32 mean for float32 x)
                total = zero
                for k in range(lo, hi):
                    total += row[k]
                mean = total / row.dtype.type(hi - lo)
                peak = row[t] >= mean + delta
            if peak:
                out[r, t] = True
                t += wait + 1
            else:
                t += 1


def peak_mask(x, pre_max, post_max, pre_avg, post_avg, delta, wait):
    """Boolean ``(rows, n)``: the samples librosa.util.peak_pick picks in each row of
    ``x (rows, n)`` (a local maximum over ``[t - pre_max, t + post_max)``, at least
    ``delta`` above the mean over ``[t - pre_avg, t + post_avg)``, then ``wait`` samples
    skipped)."""
    x = np.ascontiguousarray(x)
    out = np.zeros(x.shape, dtype=np.bool_)
    zero = x.dtype.type(0)
    _walk(x, pre_max, post_max, pre_avg, post_avg, x.dtype.type(delta), wait, zero, out)
    return out
