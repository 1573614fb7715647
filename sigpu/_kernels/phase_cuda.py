"""The phase vocoder's synthesis on the GPU; same contract as ``phase_numba``.

The magnitudes, the phase deviations and the final ``magnitude * exp(1j * phase)`` are
CuPy array expressions over all rows and frames; the running phase, a sum along time, is
``phase.cu``'s kernel (one thread per row, time-major arrays for coalesced loads).
"""

from __future__ import annotations

import cupy
import numpy as np

from ._cuda_common import THREADS, blocks_for, get_function


def _accumulate_rounded(start, increment):
    """``out[:, 0] = start``, ``out[:, t + 1] = T(out[:, t] + increment[:, t])``."""
    rows, n_steps = start.shape[0], increment.shape[1] + 1
    time_major = cupy.ascontiguousarray(increment.T, dtype=cupy.float64)
    out = cupy.empty((n_steps, rows), dtype=start.dtype)
    kern = get_function("phase.cu", "accumulate_rounded", start.dtype)
    args = (cupy.ascontiguousarray(start), time_major, out, np.int64(rows), np.int64(n_steps))
    kern((blocks_for(rows),), (THREADS,), args)
    return out.T


def vocode(magnitudes, angles, first, alpha, advance):
    """See :func:`sigpu._kernels.phase_numba.vocode`."""
    rows = magnitudes.shape[0]
    expected = cupy.tile(advance, rows // advance.shape[0])[:, None]
    weight = alpha.astype(magnitudes.dtype)
    magnitude = (1 - weight) * magnitudes[:, first] + weight * magnitudes[:, first + 1]
    deviation = (angles[:, first + 1] - angles[:, first]) - expected  # float64 from here
    deviation -= 2.0 * np.pi * cupy.rint(deviation / (2.0 * np.pi))
    phase = _accumulate_rounded(angles[:, 0], (expected + deviation)[:, :-1])
    return magnitude * (cupy.cos(phase) + 1j * cupy.sin(phase))
