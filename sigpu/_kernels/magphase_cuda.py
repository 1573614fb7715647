"""Magnitude and unit phase of a spectrogram on the GPU: CuPy's elementwise operations
(each one pass of device memory; no host synchronisation); same contract as
``magphase_numba``."""

from __future__ import annotations

import cupy


def magphase(D):
    """See :func:`sigpu._kernels.magphase_numba.magphase`."""
    mag = cupy.abs(D)
    zero = mag == 0
    safe = mag + zero.astype(mag.dtype)
    # real and imaginary parts divided apart (complex division can give NaN for a
    # denormal magnitude); 1 where |D| = 0
    phase = cupy.empty(D.shape, dtype=cupy.result_type(mag.dtype, cupy.complex64))
    phase.real[...] = D.real / safe + zero.astype(mag.dtype)
    phase.imag[...] = D.imag / safe if cupy.iscomplexobj(D) else 0
    return mag, phase
