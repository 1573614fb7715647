"""Power spectrum on the CPU (numba); same contract as ``spectrum_cuda``."""

from __future__ import annotations

import numba
import numpy as np

from . import cpu_threads

# Rows (frames) per block of the thread pool: a few MB of complex input per block.
_BLOCK_ROWS = 512


@numba.njit(cache=True, nogil=True)
def _power2_rows(spec, out, r0, r1):
    for r in range(r0, r1):
        src = spec[r]
        dst = out[r]
        for k in range(src.shape[0]):
            v = src[k]
            dst[k] = v.real * v.real + v.imag * v.imag


def power2(D):
    """``|D|**2`` of a complex spectrogram in one pass (NumPy's ``re**2 + im**2`` takes
    three and two temporaries): the same values, bit for bit, in ``D``'s layout.

    Parameters
    ----------
    D : ndarray, shape (..., F, T), complex64 or complex128
        Typically :func:`sigpu.stft`'s output, a time-major ``(..., T, F)`` array seen
        through ``swapaxes``; any other layout is copied to C order first.

    Returns
    -------
    S : ndarray, shape (..., F, T), float32 or float64
    """
    time_major = np.swapaxes(D, -1, -2)
    if not time_major.flags.c_contiguous:  # C-ordered D, or any other layout
        D = np.ascontiguousarray(D)
        rows = D.reshape(-1, D.shape[-1])
        out = np.empty(rows.shape, dtype=rows.real.dtype)
        _run(rows, out)
        return out.reshape(D.shape)
    rows = time_major.reshape(-1, time_major.shape[-1])
    out = np.empty(rows.shape, dtype=rows.real.dtype)
    _run(rows, out)
    return np.swapaxes(out.reshape(time_major.shape), -1, -2)


def _run(rows, out):
    n_rows = rows.shape[0]
    starts = range(0, n_rows, _BLOCK_ROWS)
    cpu_threads.map_blocks(
        lambda r0: _power2_rows(rows, out, r0, min(r0 + _BLOCK_ROWS, n_rows)), starts
    )
