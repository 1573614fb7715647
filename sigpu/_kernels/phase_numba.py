"""The phase vocoder's synthesis on the CPU (numba); same contract as ``phase_cuda``.

One pass per row (bin) over the output frames: interpolate the magnitude, write
``magnitude * exp(1j * phase)``, advance the running phase by the expected advance plus
the wrapped deviation.  The running phase is summed in float64 and rounded to the input's
precision at every frame, as NumPy's in-place ``phase_acc += increment`` (librosa's) does
for a float32 accumulator and float64 increments.
"""

from __future__ import annotations

import numpy as np

from . import cpu_threads
from .numba_jit import njit

# Output samples per block of the pool.
_BLOCK_SAMPLES = 1 << 16


@njit(nogil=True)
def _vocode_rows(magnitudes, angles, first, alpha, advance, out, row_start, row_stop):
    n_bins = advance.shape[0]
    two_pi = 2.0 * np.pi
    for r in range(row_start, row_stop):
        expected = advance[r % n_bins]
        phase = angles[r, 0]
        for t in range(first.shape[0]):
            i, a = first[t], alpha[t]
            magnitude = (1.0 - a) * magnitudes[r, i] + a * magnitudes[r, i + 1]
            out[r, t] = magnitude * (np.cos(phase) + 1j * np.sin(phase))
            deviation = (angles[r, i + 1] - angles[r, i]) - expected
            deviation -= two_pi * np.rint(deviation / two_pi)
            phase = angles.dtype.type(phase + (expected + deviation))


def vocode(magnitudes, angles, first, alpha, advance):
    """Phase-vocoded frames of every row.

    Parameters
    ----------
    magnitudes, angles : ndarray, shape (rows, n_frames + 2), float32 or float64
        ``|D|`` and ``angle(D)`` of the STFT rows (``rows = batch * n_bins``), two zero
        frames appended.
    first : ndarray, shape (n_out,), int64
        Input frame ``floor(t * rate)`` of each output frame.
    alpha : ndarray, shape (n_out,), float64
        Its fractional part ``(t * rate) % 1``.
    advance : ndarray, shape (n_bins,), float64
        Expected phase advance per frame of each bin (row ``r`` is bin ``r % n_bins``).

    Returns
    -------
    out : ndarray, shape (rows, n_out), complex64 or complex128
    """
    complex_type = np.complex64 if magnitudes.dtype == np.float32 else np.complex128
    out = np.empty((magnitudes.shape[0], first.shape[0]), dtype=complex_type)
    per_block = max(1, _BLOCK_SAMPLES // max(1, first.shape[0]))
    cpu_threads.map_ranges(
        lambda start, stop: _vocode_rows(
            magnitudes, angles, first, alpha, advance, out, start, stop
        ),
        magnitudes.shape[0],
        per_block,
    )
    return out
