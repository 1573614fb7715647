"""Windowed frames and their real FFT on the CPU, in cache-sized blocks on the thread pool;
same contract as ``frames_cuda``.  Plain NumPy and scipy.fft (no numba is needed, so short
STFTs never pay numba's start-up).

Framing the whole signal and then transforming it makes two passes over a frame array far
larger than the caches, and a fresh array that size costs page faults (16 x 10 s at
n_fft=2048 is 56 MB).  Here each block of frames is windowed into a small buffer and
transformed while it is still in cache (measured on the 16 x 10 s STFT, one core: the
whole-array rFFT 44 ms, the same transforms in 64-frame blocks 27 ms).
"""

from __future__ import annotations

import numpy as np

from .._backend import fft_module, frame_pieces, write_frames
from . import cpu_threads

# Windowed frames per block, in bytes: large enough to amortise the per-call overheads,
# small enough to stay in cache (timings: docs/performance.md, "Tuning constants").
_BLOCK_BYTES = 1 << 20


def frames_per_block(n_fft: int, itemsize: int) -> int:
    """Frames of ``n_fft`` real samples in one ``_BLOCK_BYTES`` block (at least one); the
    inverse STFT's blocks (``ola_numba.irfft_overlap_add``) use the same size."""
    return max(1, _BLOCK_BYTES // (n_fft * itemsize))


def rfft_frames(x, n_fft: int, hop_length: int, n_frames: int, pad_mode, window):
    """rFFT of the windowed frames of each row of ``x``.

    Parameters
    ----------
    x : ndarray, shape (B, n), float32 or float64
    n_fft, hop_length, n_frames : int
        Frame length, hop and number of frames (the caller checks they fit).
    pad_mode : str or None
        None: frames of ``x``; else frames of ``x`` padded by ``n_fft // 2`` on both
        sides in this ``numpy.pad`` mode (see :func:`sigpu._backend.frame_pieces`).
    window : ndarray, shape (n_fft,), dtype of ``x``

    Returns
    -------
    out : ndarray, shape (B, n_frames, n_fft // 2 + 1), complex64 or complex128
        ``out[b, t] = rfft(window * frame t of row b)``.
    """
    batch = x.shape[0]
    pieces = frame_pieces(x, n_fft, hop_length, n_frames, pad_mode)
    rfft = fft_module(np).rfft
    out = np.empty((batch, n_frames, n_fft // 2 + 1), dtype=np.result_type(x, np.complex64))
    per_block = frames_per_block(n_fft, x.itemsize)
    if n_frames >= per_block:  # blocks of one row's frames
        blocks = [
            (b, b + 1, t0, min(t0 + per_block, n_frames))
            for b in range(batch)
            for t0 in range(0, n_frames, per_block)
        ]
    else:  # whole rows
        rows = per_block // max(n_frames, 1)
        blocks = [(b, min(b + rows, batch), 0, n_frames) for b in range(0, batch, rows)]

    def run(block):
        b0, b1, t0, t1 = block
        buf = np.empty((b1 - b0, t1 - t0, n_fft), dtype=x.dtype)
        write_frames(buf, [(first, views[b0:b1]) for first, views in pieces], t0, window)
        out[b0:b1, t0:t1] = rfft(buf, axis=-1, overwrite_x=True)

    cpu_threads.map_blocks(run, blocks)
    return out
