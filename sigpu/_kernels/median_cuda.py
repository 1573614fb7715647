"""Running medians on the GPU: ``cupyx.scipy.ndimage.median_filter``; same contract as
``median_numba``."""

from __future__ import annotations

import cupy
import cupyx.scipy.ndimage


def median_filter(x, size: int, axis: int):
    """See :func:`sigpu._kernels.median_numba.median_filter`."""
    shape = [1] * x.ndim
    shape[axis] = size
    return cupyx.scipy.ndimage.median_filter(
        cupy.ascontiguousarray(x), size=tuple(shape), mode="reflect"
    )
