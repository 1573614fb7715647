"""librosa's peak picking on the CPU: the walk of ``librosa.util.peak_pick`` row by row in
one compiled numba loop, or for small inputs the array form of :mod:`sigpu._peaks` in
NumPy (the GPU's); same contract as ``peaks_cuda``.

Both give librosa's picks exactly (the same comparisons; the local means are summed in the
same order).  numba is imported on the first input of more than :data:`NUMPY_MAX_SIZE`
samples only: its import and start-up (about 1 s once per process; docs/performance.md,
issue 20) are more than picking the peaks of a whole album's onset envelope in NumPy.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _peaks
from .._backend import array_namespace, import_module

#: Envelope samples (rows x frames) up to which the peaks are picked in NumPy (measured
#: crossover: docs/performance.md, issue 20, session 8).
NUMPY_MAX_SIZE = 1 << 16


@functools.cache
def _walk_kernel():
    # numba's import under sigpu's import lock: first calls may come from several threads
    return import_module(f"{__package__}.numba_jit").njit(nogil=True)(_walk)


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
    delta = x.dtype.type(delta)
    if x.size <= NUMPY_MAX_SIZE:
        xp = array_namespace(x)
        found = _peaks.candidates(x, pre_max, post_max, pre_avg, post_avg, delta, xp)
        return np.asarray(_peaks.greedy(found, wait, xp))
    out = np.zeros(x.shape, dtype=np.bool_)
    zero = x.dtype.type(0)
    _walk_kernel()(x, pre_max, post_max, pre_avg, post_avg, delta, wait, zero, out)
    return out
