"""Overlap-add on the CPU (numba); same contract as ``ola_cuda``."""

from __future__ import annotations

import numba
import numpy as np

from . import cpu_threads


@numba.njit(cache=True, nogil=True)
def _overlap_add_row(frames, window, hop, start, out, b):
    n_frames, n_fft = frames.shape[1:]
    length = out.shape[1]
    row = out[b]
    for t in range(n_frames):
        base = t * hop - start
        # only the part of frame t that lands inside [0, length)
        lo = max(0, -base)
        hi = min(n_fft, length - base)
        if hi <= lo:
            continue
        # equal-length slices: the loop indexes by its counter, so numba drops the
        # negative-index wraparound and vectorises
        dst = row[base + lo : base + hi]
        src = frames[b, t, lo:hi]
        win = window[lo:hi]
        for n in range(hi - lo):
            dst[n] += win[n] * src[n]


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
    cpu_threads.map_blocks(
        lambda b: _overlap_add_row(frames, window, hop_length, start, out, b),
        range(frames.shape[0]),
    )
    return out
