"""Magnitude and unit phase of a spectrogram on the CPU: NumPy's ufuncs writing into the
two outputs, on cache-sized blocks of the thread pool; same contract as ``magphase_cuda``.
No numba: ``abs`` and the divisions are NumPy's (and librosa's), so the values are
librosa's bit for bit, and a first call pays no compilation.

librosa's array expressions make about seven passes over memory with four temporaries
(``abs``, the zero mask, ``mag + mask``, each division and the ``+ mask``); here each block
of the input is read once into cache and written once into the outputs.
"""

from __future__ import annotations

import numpy as np

from .._backend import in_memory_order
from . import cpu_threads

# Elements per block: 512 KiB of complex64 input.
_BLOCK_ELEMENTS = 1 << 16


def magphase(D):
    """``(|D|, P)`` with ``P = D / |D|`` (real and imaginary parts divided apart, so a
    denormal magnitude gives no NaN) and ``P = 1`` where ``|D| = 0``.

    Parameters
    ----------
    D : ndarray, complex64/complex128 or float32/float64, any shape and layout

    Returns
    -------
    mag : ndarray, real dtype of ``D``, ``D``'s shape and axis order
    phase : ndarray, complex dtype of ``D``, ``D``'s shape and axis order
    """
    flat, restore = in_memory_order(D)
    mag = np.empty(flat.shape, dtype=flat.real.dtype)
    phase = np.empty(flat.shape, dtype=np.result_type(mag.dtype, np.complex64))
    is_complex = np.iscomplexobj(flat)

    def unit(start, stop):
        values, m, p = flat[start:stop], mag[start:stop], phase[start:stop]
        np.abs(values, out=m)
        with np.errstate(invalid="ignore"):  # 0 / 0 where |D| = 0, replaced below
            np.divide(values.real, m, out=p.real)
            if is_complex:
                np.divide(values.imag, m, out=p.imag)
            else:
                p.imag[...] = 0
        if np.count_nonzero(m) < m.shape[0]:
            p[m == 0] = 1

    cpu_threads.map_ranges(unit, flat.shape[0], _BLOCK_ELEMENTS)
    return restore(mag), restore(phase)
