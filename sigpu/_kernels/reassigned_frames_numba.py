"""The reassigned spectrogram's three windowed spectra on the CPU, block by block; same
contract as ``reassigned_frames_cuda``.  Plain NumPy and scipy.fft (no numba: a first
call does not pay its start-up).

librosa's reassigned spectrogram takes three STFTs of one framing (the window, its
derivative, the time-weighted window) and then makes about ten passes over arrays as large
as the spectrogram.  Here each block of frames is cut once per window into one small
buffer, transformed in one call, and handed to the caller's ``finish`` while it is still
in cache: no spectrogram-sized complex array is ever made, and the temporaries of the
coordinate expressions are block-sized (fresh spectrogram-sized temporaries cost more in
page faults than their arithmetic: docs/performance.md, "reassigned_spectrogram on
clips").
"""

from __future__ import annotations

import math
import threading

import numpy as np

from .._backend import fft_module, frame_pieces, write_frames
from . import cpu_threads

# Bytes of windowed frames per block (all windows): the block's spectra and the
# coordinate expressions' temporaries stay in cache (0.25-4 MB were within noise of each
# other: docs/performance.md, "Issue 20, reassignment (2026-12-03, session 8)").
_BLOCK_BYTES = 1 << 20


def analyse(x, n_fft: int, hop_length: int, n_frames: int, pad_mode, windows, finish):
    """Windowed spectra of every frame, handed to ``finish`` block by block.

    Parameters
    ----------
    x : ndarray, shape (B, n), float32 or float64
    n_fft, hop_length, n_frames : int
        Frame length, hop and number of frames (the caller checks they fit).
    pad_mode : str or None
        As for ``frames.rfft_frames``: None for frames of ``x``, else centred frames of
        ``x`` padded in this ``numpy.pad`` mode.
    windows : sequence of W ndarrays, shape (n_fft,), dtype of ``x``
    finish : callable
        ``finish(spectra, index)`` for each block, possibly on several threads at once:
        ``spectra[w]`` (shape ``(b, t, n_fft // 2 + 1)``, complex64 or complex128) is
        ``rfft(windows[w] * frame)`` of the frames ``index = (rows, frames)`` (two
        slices) of a ``(B, n_frames, ...)`` result; blocks do not overlap.

    Returns
    -------
    None
    """
    batch = x.shape[0]
    pieces = frame_pieces(x, n_fft, hop_length, n_frames, pad_mode)
    rfft = fft_module(np).rfft
    per_block = max(1, _BLOCK_BYTES // (n_fft * x.itemsize * len(windows)))
    if n_frames >= per_block:  # blocks of one row's frames
        blocks = [
            (b, b + 1, t0, min(t0 + per_block, n_frames))
            for b in range(batch)
            for t0 in range(0, n_frames, per_block)
        ]
    else:  # whole rows
        rows = per_block // max(n_frames, 1)
        blocks = [(b, min(b + rows, batch), 0, n_frames) for b in range(0, batch, rows)]

    buffers = {}  # one frame buffer per thread for the whole call: fewer page faults

    def run(block):
        b0, b1, t0, t1 = block
        shape = (len(windows), b1 - b0, t1 - t0, n_fft)
        flat = buffers.get(threading.get_ident())
        if flat is None:
            flat = buffers[threading.get_ident()] = np.empty(
                len(windows) * blocks[0][1] * blocks[0][3] * n_fft, dtype=x.dtype
            )
        buf = flat[: math.prod(shape)].reshape(shape)
        rows = [(first, views[b0:b1]) for first, views in pieces]
        for frames_out, window in zip(buf, windows, strict=True):
            write_frames(frames_out, rows, t0, window)
        finish(rfft(buf, axis=-1, overwrite_x=True), (slice(b0, b1), slice(t0, t1)))

    cpu_threads.map_blocks(run, blocks)
