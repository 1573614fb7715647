"""librosa's peak picking on the GPU: the vectorised form of :mod:`sigpu._peaks` (sliding
windows, pointer doubling for the ``wait`` rule) on CuPy arrays; same contract as
``peaks_numba``."""

from __future__ import annotations

from .. import _peaks
from .._backend import array_namespace


def peak_mask(x, pre_max, post_max, pre_avg, post_avg, delta, wait):
    """See :func:`sigpu._kernels.peaks_numba.peak_mask`."""
    xp = array_namespace(x)
    found = _peaks.candidates(x, pre_max, post_max, pre_avg, post_avg, delta, xp)
    return _peaks.greedy(found, wait, xp)
