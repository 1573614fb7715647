"""Windowed frames and their real FFT on the GPU (one cuFFT call over all frames); same
contract as ``frames_numba``."""

from __future__ import annotations

import cupy
import cupyx.scipy.fft

from .._backend import frame_pieces, write_frames


def rfft_frames(x, n_fft: int, hop_length: int, n_frames: int, pad_mode, window):
    """See :func:`sigpu._kernels.frames_numba.rfft_frames`."""
    framed = cupy.empty((x.shape[0], n_frames, n_fft), dtype=x.dtype)
    write_frames(framed, frame_pieces(x, n_fft, hop_length, n_frames, pad_mode), 0, window)
    return cupyx.scipy.fft.rfft(framed, axis=-1, overwrite_x=True)
