"""Windowed frames and their real FFT on the CPU, in cache-sized blocks on the thread pool;
same contract as ``frames_cuda``.  NumPy and scipy.fft, and numba for the windowing of
large inputs only (a short STFT never pays numba's start-up).

Framing the whole signal and then transforming it makes two passes over a frame array far
larger than the caches, and a fresh array that size costs page faults (16 x 10 s at
n_fft=2048 is 56 MB).  Here each thread windows a block of frames into one small buffer it
reuses, and scipy's pocketfft transforms the block straight into its place in the result
while the frames are still in cache: no frame array, no rFFT output per block, no copy
(timings: docs/performance.md, issue 20).
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from .._backend import fft_module, frame_pieces, on_block_thread, usable_cpus
from . import cpu_threads

try:  # what scipy.fft.rfft calls, with its `out` argument (scipy.fft.rfft has none)
    from scipy.fft._pocketfft.pypocketfft import r2c as _pocketfft_r2c
except ImportError:  # a scipy without that module: rfft, then a copy
    _pocketfft_r2c = None

# Frames per block of the inverse STFT (``ola_numba``) and the reassigned spectrogram, in
# bytes: large enough to amortise the per-call overheads, small enough to stay in cache
# (timings: docs/performance.md, "Tuning constants").
_BLOCK_BYTES = 1 << 20

# Windowed frames per block of the forward STFT, in bytes: each thread's one frame buffer.
# As fast as 1 MB blocks now that a block costs no allocations (issue 20), and its buffers
# are all the memory the STFT takes beyond its result.
_STFT_BLOCK_BYTES = 1 << 18

#: Frame samples (batch x frames x n_fft) up to which the windowing runs in NumPy; above,
#: a numba loop (2-3x faster: NumPy's broadcast multiply runs row by row).
NUMPY_MAX_SIZE = 1 << 20


def frames_per_block(n_fft: int, itemsize: int) -> int:
    """Frames of ``n_fft`` real samples in one ``_BLOCK_BYTES`` block (at least one); the
    inverse STFT's blocks (``ola_numba.irfft_overlap_add``) use the same size."""
    return max(1, _BLOCK_BYTES // (n_fft * itemsize))


def rfft_into(frames, out) -> None:
    """``out[...] = scipy.fft.rfft(frames, axis=-1)``, written into ``out`` directly: the
    same pocketfft call with the same threads (one on the block pool), so the same numbers.

    Parameters
    ----------
    frames : ndarray, shape (..., n_fft), float32 or float64
    out : ndarray, shape (..., n_fft // 2 + 1), complex64 or complex128
        Must not overlap ``frames``.
    """
    if _pocketfft_r2c is None:
        out[...] = fft_module(np).rfft(frames, axis=-1)
        return
    threads = 1 if on_block_thread() else usable_cpus()
    _pocketfft_r2c(frames, (frames.ndim - 1,), True, 0, out, threads)


@functools.cache
def _windowing_kernel():
    from .numba_jit import njit

    return njit(nogil=True)(_window_frames)


def _window_frames(signal, hop, window, frames):
    """``frames[i] = window * signal[i * hop : i * hop + n_fft]`` (``signal`` and each row of
    ``frames`` contiguous, so the inner loop vectorises)."""
    n_fft = window.shape[0]
    for i in range(frames.shape[0]):
        src = signal[i * hop : i * hop + n_fft]
        dst = frames[i]
        for j in range(n_fft):
            dst[j] = src[j] * window[j]


def _piece_rows(views, hop_length: int):
    """The samples under a piece's frames ``views (B, k, n_fft)`` as rows ``(B, span)``, each
    row contiguous: frame ``i`` of row ``b`` is ``rows[b, i * hop : i * hop + n_fft]``."""
    batch, k, n_fft = views.shape
    span = (k - 1) * hop_length + n_fft if k else 0
    return np.lib.stride_tricks.as_strided(
        views, shape=(batch, span), strides=(views.strides[0], views.strides[-1])
    )


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
    window = np.ascontiguousarray(window)
    pieces = [
        (first, views, _piece_rows(views, hop_length))
        for first, views in frame_pieces(x, n_fft, hop_length, n_frames, pad_mode)
    ]
    out = np.empty((batch, n_frames, n_fft // 2 + 1), dtype=np.result_type(x, np.complex64))
    per_block = max(1, _STFT_BLOCK_BYTES // (n_fft * x.itemsize))
    # blocks by number, their bounds computed when run: a list of bound tuples would hold
    # ~130 bytes a block (1.3 MB for the 9690 blocks of an hour at 44.1 kHz)
    if n_frames >= per_block:  # blocks of one row's frames
        per_row = -(-n_frames // per_block)
        n_blocks = batch * per_row

        def bounds(block):
            b, t0 = block // per_row, block % per_row * per_block
            return b, b + 1, t0, min(t0 + per_block, n_frames)

    else:  # whole rows
        rows = per_block // max(n_frames, 1)
        n_blocks = -(-batch // rows)

        def bounds(block):
            return block * rows, min((block + 1) * rows, batch), 0, n_frames

    in_numba = batch * n_frames * n_fft > NUMPY_MAX_SIZE
    window_frames = _windowing_kernel() if in_numba else None
    buffers = threading.local()  # one block buffer per thread, reused across its blocks

    def run(block):
        b0, b1, t0, t1 = bounds(block)
        buffer = getattr(buffers, "frames", None)
        if buffer is None:
            buffer = buffers.frames = np.empty(per_block * n_fft, dtype=x.dtype)
        frames = buffer[: (b1 - b0) * (t1 - t0) * n_fft].reshape(b1 - b0, t1 - t0, n_fft)
        for first, views, rows in pieces:
            a, b = max(first, t0), min(first + views.shape[-2], t1)
            if a >= b:
                continue
            dst = frames[:, a - t0 : b - t0]
            if window_frames is None:
                np.multiply(views[b0:b1, a - first : b - first], window, out=dst)
            else:
                for r in range(b1 - b0):
                    window_frames(
                        rows[b0 + r, (a - first) * hop_length :], hop_length, window, dst[r]
                    )
        rfft_into(frames, out[b0:b1, t0:t1])

    cpu_threads.map_blocks(run, range(n_blocks))
    return out
