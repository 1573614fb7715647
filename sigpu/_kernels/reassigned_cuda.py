"""The reassigned spectrogram's coordinates on the GPU: CuPy's elementwise operations, as
librosa writes them; same contract as ``reassigned_numba``."""

from __future__ import annotations

import cupy


def coordinates(S_h, S_d, mags, offsets, scale, threshold, fill_nan, clip, upper, frequency):
    """See :func:`sigpu._kernels.reassigned_numba.coordinates`."""
    real = mags.dtype
    if frequency:
        base = offsets[:, None]
        values = base + (-cupy.imag(S_d / S_h)) * scale
    else:
        base = offsets[None, :]
        values = base + cupy.real(S_d / S_h) / scale
    if threshold is not None:
        values = cupy.where(mags < threshold, cupy.nan, values)
    if fill_nan:
        values = cupy.where(cupy.isnan(values), base, values)
    if clip:
        values = cupy.clip(values, 0.0, upper)
    return values.astype(real)
