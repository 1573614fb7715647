"""Overlap-add on the GPU (``ola.cu``); same contract as ``ola_numba``."""

from __future__ import annotations

import cupy
import cupyx.scipy.fft
import numpy as np

from ._cuda_common import THREADS, blocks_for, get_function


def overlap_add(frames, window, hop_length: int, start: int, length: int):
    """See :func:`sigpu._kernels.ola_numba.overlap_add`."""
    frames = cupy.ascontiguousarray(frames)
    window = cupy.ascontiguousarray(window, dtype=frames.dtype)
    batch, n_frames, n_fft = frames.shape
    out = cupy.empty((batch, length), dtype=frames.dtype)
    kern = get_function("ola.cu", "overlap_add", frames.dtype)
    args = [np.int64(v) for v in (batch, n_frames, n_fft, hop_length, start, length)]
    kern((blocks_for(batch * length),), (THREADS,), (frames, window, out, *args))
    return out


def irfft_overlap_add(spec, n_fft: int, window, hop_length: int, start: int, length: int):
    """See :func:`sigpu._kernels.ola_numba.irfft_overlap_add`: one cuFFT call, one kernel."""
    frames = cupyx.scipy.fft.irfft(spec, n=n_fft, axis=-1)
    return overlap_add(frames, window, hop_length, start, length)
