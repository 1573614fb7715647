"""Spectrogram steps on the GPU (a CuPy elementwise kernel, cuBLAS, a copy, CuPy array
expressions); same contract as ``spectrum_numba``."""

from __future__ import annotations

import cupy

_power2 = cupy.ElementwiseKernel("T d", "R s", "s = d.real() * d.real() + d.imag() * d.imag()")


def power2(D):
    """See :func:`sigpu._kernels.spectrum_numba.power2`."""
    real = cupy.float32 if D.dtype == cupy.complex64 else cupy.float64
    return _power2(D, cupy.empty(D.shape, dtype=real))


def apply_bank(rows, bank):
    """See :func:`sigpu._kernels.spectrum_numba.apply_bank`; one cuBLAS GEMM."""
    return rows @ bank.T


def time_major(D):
    """See :func:`sigpu._kernels.spectrum_numba.time_major`."""
    return cupy.ascontiguousarray(cupy.swapaxes(D, -1, -2))


def project_phases(rebuilt, previous, magnitude, weight):
    """See :func:`sigpu._kernels.spectrum_numba.project_phases`; CuPy's elementwise
    operations (a fused kernel is for when it can be measured and tested on a GPU)."""
    angles = rebuilt if previous is None else rebuilt - weight * previous
    tiny = cupy.finfo(magnitude.dtype).tiny
    return magnitude * (angles / (cupy.abs(angles) + tiny))
