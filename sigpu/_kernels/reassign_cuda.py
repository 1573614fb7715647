"""Linear reassignment on the GPU (``reassign.cu``); same contract as ``reassign_numba``."""

from __future__ import annotations

import cupy
import cupyx.scipy.fft
import numpy as np

from ._cuda_common import THREADS, blocks_for, get_function
from .reassign_numba import CUTOFF_SIGMAS

# Samples per block of the shared-memory scatter: 16 points per thread.
_TILE = 16 * THREADS
# Grid-stride kernels need no more blocks than this to fill any current GPU.
_MAX_BLOCKS = 65535 * 4
# Share of free device memory one batch may take: the batch itself, cuFFT's work
# space (Bluestein for lengths with large prime factors) and the deterministic
# path's keys and values all fit in the rest.
_MEMORY_SHARE = 0.25
_MAX_BATCH_BYTES = 8 << 30
# What the deterministic scatter allocates per (line, channel, sample) point of a batch,
# beyond the batch's own buffer: int64 keys and float64 values, the int64 sort order,
# the sorted copies of keys and values, the run-start flags, and for the run starts the
# int64 run numbers, scatter targets, point numbers and starts.
_SORT_BYTES_PER_POINT = 8 + 8 + 8 + 8 + 8 + 1 + 8 + 8 + 8 + 8


def batch_budget_bytes() -> int:
    """Bytes one batch of filtered spectra may take: a share of free GPU memory.

    Counts the device's free memory plus what CuPy's pool holds unused, so a
    second call after a large one does not shrink the batch.
    """
    free, _total = cupy.cuda.runtime.memGetInfo()
    free += cupy.get_default_memory_pool().free_bytes()
    return int(max(1 << 20, min(_MEMORY_SHARE * free, _MAX_BATCH_BYTES)))


def batch_plan(n: int, n_chan: int, f0, sig, complex_itemsize: int, *, deterministic=False):
    """``(channels per chunk, [(j0, j1), ...])``: the largest batches free memory allows,
    counting what a batch really allocates (its buffer of modulated spectra and, for the
    deterministic scatter, the sort's keys, values and copies).

    No folding here (see ``reassign_numba``): every batch is one cuFFT plan of length n.
    """
    per_point = 2 * complex_itemsize + (_SORT_BYTES_PER_POINT if deterministic else 0)
    per_line_chan = per_point * n
    budget = batch_budget_bytes()
    chans = int(max(1, min(n_chan, budget // per_line_chan)))
    lines = int(max(1, min(len(f0), budget // (per_line_chan * chans))))
    return chans, [(j0, min(j0 + lines, len(f0))) for j0 in range(0, len(f0), lines)]


def work_length(n: int, n_chan: int, f0, sig) -> int:
    """See :func:`sigpu._kernels.reassign_numba.work_length`: ``2 * lines * channels * n``
    (never folded or chirped)."""
    return 2 * len(f0) * n_chan * n


def map_partitions(func, n_items: int):
    """``[func(range(n_items))]``: one stream takes every batch in order (the GPU
    parallelises inside each)."""
    return [func(range(n_items))]


def inverse_fft(folded):
    """In-place inverse FFT along the last axis (cuFFT; the plan is cached by CuPy)."""
    return cupyx.scipy.fft.ifft(folded, axis=-1, overwrite_x=True)


def _grid(n: int) -> tuple[int]:
    return (min(blocks_for(n), _MAX_BLOCKS),)


def modulate(spectrum, f0, sig, out=None):
    """See :func:`sigpu._kernels.reassign_numba.modulate`; never folded (``P = 1``)."""
    spectrum = cupy.ascontiguousarray(spectrum)
    f0 = cupy.ascontiguousarray(f0, dtype=cupy.float64)
    sig = cupy.ascontiguousarray(sig, dtype=cupy.float64)
    n_chan, n = spectrum.shape
    n_lines = f0.shape[0]
    shape = (2, n_lines, n_chan, 1, n)
    size = 2 * n_lines * n_chan * n
    out = cupy.empty(size, dtype=spectrum.dtype) if out is None else out[:size]
    out = out.reshape(shape)
    kern = get_function("reassign.cu", "modulate", spectrum.dtype)
    sizes = [np.int64(v) for v in (n_lines, n_chan, n)]
    kern(
        _grid(n_lines * n_chan * n),
        (THREADS,),
        (spectrum, f0, sig, out, *sizes, np.float64(CUTOFF_SIGMAS)),
    )
    return out


def gate_scatter(
    filtered,
    f0,
    sig,
    tdeci,
    noct,
    minf,
    maxf,
    energy,
    counts,
    *,
    deterministic=False,
    n_samples=None,
):
    """See :func:`sigpu._kernels.reassign_numba.gate_scatter` (``n_samples``, when given,
    is the spectra's length: the GPU never chirps).

    ``deterministic=False``: shared-memory histograms flushed with double
    atomics (last-bit run-to-run differences in ``energy``; counts exact).
    ``deterministic=True``: per-point keys, a stable sort and one serial sum
    per bin, so repeated runs agree bit for bit.
    """
    filtered = cupy.ascontiguousarray(filtered)
    f0 = cupy.ascontiguousarray(f0, dtype=cupy.float64)
    sig = cupy.ascontiguousarray(sig, dtype=cupy.float64)
    _, n_lines, n_chan, fold, n = filtered.shape
    if fold != 1 or n_samples not in (None, n):
        raise ValueError("gate_scatter: the CUDA kernels take unfolded spectra (P = 1)")
    _, n_freq, n_frames = energy.shape
    if not (energy.flags.c_contiguous and counts.flags.c_contiguous):
        raise ValueError("gate_scatter: energy and counts must be C-contiguous")
    grid = [np.float64(v) for v in (tdeci, noct, minf, maxf)]
    sizes = [np.int64(v) for v in (n_lines, n_chan, n, n_freq, n_frames)]
    dtype = filtered.dtype  # complex64 -> <float>, complex128 -> <double>
    if not deterministic:
        kern = get_function("reassign.cu", "gate_scatter", dtype)
        n_blocks = n_lines * n_chan * (-(-n // _TILE))
        kern(
            (n_blocks,),
            (THREADS,),
            (filtered, f0, sig, *grid, *sizes, np.int64(_TILE), energy, counts),
        )
        return
    total = n_lines * n_chan * n
    keys = cupy.empty(total, dtype=cupy.int64)
    values = cupy.empty(total, dtype=cupy.float64)
    kern = get_function("reassign.cu", "gate_keys", dtype)
    kern(_grid(total), (THREADS,), (filtered, f0, sig, *grid, *sizes, keys, values))
    order = cupy.argsort(keys)  # CuPy sorts stably (thrust), so sums run in point order
    keys = keys[order]
    values = values[order]
    del order
    change = cupy.empty(total, dtype=cupy.bool_)
    change[0] = True
    cupy.not_equal(keys[1:], keys[:-1], out=change[1:])
    # The first point of each run, without asking the host how many runs there are
    # (flatnonzero would): run k's start goes to starts[k], every other point to a spare
    # slot, and the unused tail keeps n_points, which segment_sums reads as "no run".
    run = cupy.cumsum(change) - 1
    starts = cupy.full(total + 1, total, dtype=cupy.int64)
    starts[cupy.where(change, run, total)] = cupy.arange(total, dtype=cupy.int64)
    del run
    sums = get_function("reassign.cu", "segment_sums", np.float64)
    dropped = np.int64(n_chan * n_freq * n_frames)
    sums(
        _grid(total),
        (THREADS,),
        (keys, values, starts, np.int64(total), np.int64(total), dropped, energy, counts),
    )
