"""Overlap-add on the CPU (numba, or NumPy for small inputs); same contract as ``ola_cuda``.

numba is imported on the first large input only: its import and start-up (about 1.3 s in a
fresh process on an idle 2-core VM, several seconds under load; docs/performance.md, issue
20) is more than a short inverse STFT costs, so inputs below :data:`NUMPY_MAX_SIZE` frame
samples take :func:`_overlap_add_numpy`, which adds in the kernel's order (same numbers).
"""

from __future__ import annotations

import functools

import numpy as np

from .._backend import fft_module
from . import cpu_threads
from .frames_numba import frames_per_block

#: Frame samples (batch x frames x n_fft) up to which the overlap-add runs in NumPy.
NUMPY_MAX_SIZE = 1 << 20


def _overlap_add_numpy(frames, window, hop, start, length):
    """:func:`overlap_add` in NumPy, summed in the kernel's order.

    A frame's samples ``[c*hop, (c+1)*hop)`` of all frames land in disjoint hop-long slots
    (frame ``t`` in slot ``t + c``), so chunk ``c`` is one array addition; taking the chunks
    from the last to the first adds each output sample's frames in ascending frame order,
    as the kernel does, so the results are the same bit for bit.
    """
    batch, n_frames, n_fft = frames.shape
    n_chunks = -(-n_fft // hop)
    slots = np.zeros((batch, n_frames + n_chunks, hop), dtype=frames.dtype)
    for c in reversed(range(n_chunks)):
        lo, hi = c * hop, min((c + 1) * hop, n_fft)
        slots[:, c : c + n_frames, : hi - lo] += frames[:, :, lo:hi] * window[lo:hi]
    flat = slots.reshape(batch, -1)[:, start : start + length]
    if flat.shape[1] == length:
        return np.ascontiguousarray(flat)
    out = np.zeros((batch, length), dtype=frames.dtype)
    out[:, : flat.shape[1]] = flat
    return out


@functools.cache
def _kernel():
    from .numba_jit import njit

    return njit(nogil=True)(_overlap_add_frames)


def _overlap_add_frames(frames, t0, window, hop, start, row):
    """Add ``window * frames[i]`` (frame ``t0 + i`` of the signal) into ``row``."""
    n_fft = frames.shape[1]
    length = row.shape[0]
    for i in range(frames.shape[0]):
        base = (t0 + i) * hop - start
        # only the part of the frame that lands inside [0, length)
        lo = max(0, -base)
        hi = min(n_fft, length - base)
        if hi <= lo:
            continue
        # equal-length slices: the loop indexes by its counter, so numba drops the
        # negative-index wraparound and vectorises
        dst = row[base + lo : base + hi]
        src = frames[i, lo:hi]
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
    if frames.size <= NUMPY_MAX_SIZE:
        return _overlap_add_numpy(frames, window, hop_length, start, length)
    out = np.zeros((frames.shape[0], length), dtype=frames.dtype)
    add = _kernel()
    cpu_threads.map_blocks(
        lambda b: add(frames[b], 0, window, hop_length, start, out[b]),
        range(frames.shape[0]),
    )
    return out


def irfft_overlap_add(spec, n_fft: int, window, hop_length: int, start: int, length: int):
    """``overlap_add(irfft(spec, n=n_fft), window, ...)``: the inverse STFT's synthesis.

    With at least two rows per thread (or one thread), each row is transformed and added
    block by block, ~1 MB of frames at a time, so the frames are added while still in cache
    and no frame array of the whole batch is made; the additions happen in the same order
    as in :func:`overlap_add`, so the result is the same.  Otherwise (few rows, several
    threads) the whole batch is transformed at once with scipy's worker threads.

    Parameters
    ----------
    spec : ndarray, shape (batch, n_frames, n_fft // 2 + 1), complex64 or complex128
        Time-major spectra.
    n_fft : int
    window : ndarray, shape (n_fft,), the real dtype of ``spec``
    hop_length, start, length : int
        As :func:`overlap_add`.

    Returns
    -------
    out : ndarray, shape (batch, length)
    """
    irfft = fft_module(np).irfft
    batch, n_frames, _ = spec.shape
    small = batch * n_frames * n_fft <= NUMPY_MAX_SIZE
    if small or (cpu_threads.WORKERS > 1 and batch < 2 * cpu_threads.WORKERS):
        return overlap_add(irfft(spec, n=n_fft, axis=-1), window, hop_length, start, length)
    window = np.ascontiguousarray(window)
    out = np.zeros((batch, length), dtype=window.dtype)
    per_block = frames_per_block(n_fft, window.itemsize)  # the STFT's block size
    add = _kernel()

    def row(b):
        for t0 in range(0, n_frames, per_block):
            frames = irfft(spec[b, t0 : t0 + per_block], n=n_fft, axis=-1)
            add(frames, t0, window, hop_length, start, out[b])

    cpu_threads.map_blocks(row, range(batch))
    return out
