"""The phase vocoder's synthesis on the CPU (numba, or NumPy for small inputs); same
contract as ``phase_cuda``.

One pass per row (bin) over the output frames: interpolate the magnitude, write
``magnitude * exp(1j * phase)``, advance the running phase by the expected advance plus
the wrapped deviation.  The running phase is summed in float64 and rounded to the input's
precision at every frame, as NumPy's in-place ``phase_acc += increment`` (librosa's) does
for a float32 accumulator and float64 increments.

numba is imported on the first input of more than :data:`NUMPY_MAX_SIZE` output samples
only: its import and start-up (about 1 s once per process; docs/performance.md, issue 20)
are more than the whole synthesis of a short signal costs.  :func:`_vocode_numpy` makes
the same steps frame by frame over all rows at once (librosa's loop); its values equal the
kernel's except where NumPy's and numba's ``cos``/``sin`` round differently: up to 2 ulp
of a float32 output seen, float64 equal on the development VM (tests/test_kernel_paths.py
allows 4 ulp for both).
"""

from __future__ import annotations

import functools

import numpy as np

from .._backend import import_module
from . import cpu_threads

#: Output samples (rows x output frames) up to which the synthesis runs in NumPy (measured
#: crossover: docs/performance.md, issue 20, session 8).
NUMPY_MAX_SIZE = 1 << 18

# Output samples per block of the pool.
_BLOCK_SAMPLES = 1 << 16


@functools.cache
def _vocode_kernel():
    # numba's import under sigpu's import lock: first calls may come from several threads
    return import_module(f"{__package__}.numba_jit").njit(nogil=True)(_vocode_rows)


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


def _vocode_numpy(magnitudes, angles, first, alpha, advance, out):
    """:func:`_vocode_rows` over all rows, one output frame per step: the same operations
    on the same types (float64 magnitude and phase steps, the phase rounded to the input's
    precision after each)."""
    two_pi = 2.0 * np.pi
    expected = np.tile(advance, magnitudes.shape[0] // advance.shape[0])
    phase = angles[:, 0].copy()
    for t in range(first.shape[0]):
        i, a = first[t], alpha[t]  # a is a float64 scalar, so the magnitude is float64
        magnitude = (1.0 - a) * magnitudes[:, i] + a * magnitudes[:, i + 1]
        out.real[:, t] = magnitude * np.cos(phase)
        out.imag[:, t] = magnitude * np.sin(phase)
        deviation = (angles[:, i + 1] - angles[:, i]) - expected
        deviation -= two_pi * np.rint(deviation / two_pi)
        phase = (phase + (expected + deviation)).astype(angles.dtype)


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
    if out.size <= NUMPY_MAX_SIZE:
        with np.errstate(all="ignore"):  # non-finite phases give NaN silently, as the kernel
            _vocode_numpy(magnitudes, angles, first, alpha, advance, out)
        return out
    vocode_rows = _vocode_kernel()
    per_block = max(1, _BLOCK_SAMPLES // max(1, first.shape[0]))
    cpu_threads.map_ranges(
        lambda start, stop: vocode_rows(
            magnitudes, angles, first, alpha, advance, out, start, stop
        ),
        magnitudes.shape[0],
        per_block,
    )
    return out
