"""Overlap-add on the CPU (numba); same contract as ``ola_cuda``."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, parallel=True, fastmath=False)
def _overlap_add(frames, window, hop, start, out):
    batch, n_frames, n_fft = frames.shape
    length = out.shape[1]
    for b in numba.prange(batch):
        for t in range(n_frames):
            base = t * hop - start
            # only the part of frame t that lands inside [0, length)
            lo = max(0, -base)
            hi = min(n_fft, length - base)
            for n in range(lo, hi):
                out[b, base + n] += window[n] * frames[b, t, n]


def overlap_add(frames, window, hop_length: int, start: int, length: int):
    """Sum ``window * frames[..., t, :]`` placed at ``t * hop_length``, cropped.

    Parameters
    ----------
    frames : ndarray, shape (batch, n_frames, n_fft), float32 or float64
    window : ndarray, shape (n_fft,), same dtype
    hop_length, start, length : int
        Output sample ``j`` is sample ``j + start`` of the full overlap-add
        signal of ``n_fft + hop_length * (n_frames - 1)`` samples; samples
        past its end are zero.

    Returns
    -------
    out : ndarray, shape (batch, length)
    """
    frames = np.ascontiguousarray(frames)
    window = np.ascontiguousarray(window, dtype=frames.dtype)
    out = np.zeros((frames.shape[0], length), dtype=frames.dtype)
    _overlap_add(frames, window, hop_length, start, out)
    return out
