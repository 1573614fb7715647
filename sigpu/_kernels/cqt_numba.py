"""CQT/VQT on the CPU (numba, or NumPy for small inputs): half-band decimation by two, and
the row blocks the octave loop runs on; same contract as ``cqt_cuda``.

numba is imported on the first large input only: its import and start-up (about 1 s in a
fresh process on an idle 2-core VM; docs/performance.md, issue 20) is more than a whole
short CQT costs, so inputs of up to :data:`NUMPY_MAX_SIZE` samples take
:func:`_decimate2_numpy`, which adds in the kernel's order (same numbers).
"""

from __future__ import annotations

import functools

import numpy as np

from .._backend import import_module
from . import cpu_threads

#: Input samples (rows x length) up to which the decimator runs in NumPy: up to here NumPy
#: takes 1.5-3x the warm kernel's time (about 1 ms more at 2^20 samples, 48 s of mono
#: 22.05 kHz audio), far less than numba's start-up; beyond it, its passes over memory
#: fall further behind (measured crossover: docs/performance.md, issue 20, session 8).
NUMPY_MAX_SIZE = 1 << 20

# Outputs per block: the block's odd samples (a contiguous copy, zero past the
# edges) stay in L1, and the tap loops run over contiguous memory, so they vectorise.
_BLOCK = 2048


def _decimate2_numpy(x, odd_taps, centre, out):
    """:func:`_decimate2_rows` in NumPy: the same operations per output in the same order
    (centre term, then tap ``k`` adds ``tap * (left + right)`` for ascending ``k``), each
    step one array expression over all outputs."""
    n_taps = odd_taps.shape[0]
    n_out = out.shape[1]
    # odd[:, j] = x[:, 2 (j - n_taps) + 1], zero outside the signal (as the kernel's copy)
    odd = np.zeros((x.shape[0], n_out + 2 * n_taps), dtype=x.dtype)
    odd_samples = x[:, 1::2]
    odd[:, n_taps : n_taps + odd_samples.shape[1]] = odd_samples
    # inf - inf gives NaN silently, as in the kernel: kernels never warn on data values
    with np.errstate(all="ignore"):
        np.multiply(centre, x[:, ::2], out=out)
        for k in range(n_taps):
            left = odd[:, n_taps - k - 1 : n_taps - k - 1 + n_out]
            right = odd[:, n_taps + k : n_taps + k + n_out]
            out += odd_taps[k] * (left + right)


@functools.cache
def _decimate2_kernel():
    # numba's import under sigpu's import lock: first calls may come from several threads
    return import_module(f"{__package__}.numba_jit").njit(nogil=True)(_decimate2_rows)


def _decimate2_rows(x, odd_taps, centre, out):
    batch, n = x.shape
    n_out = out.shape[1]
    n_taps = odd_taps.shape[0]
    # odd[j] = x[2 (m0 - n_taps + j) + 1]: output m = m0 + j reads odd[j + n_taps - k - 1]
    # (left, x[2m - 2k - 1]) and odd[j + n_taps + k] (right, x[2m + 2k + 1]) for tap k
    odd = np.empty(_BLOCK + 2 * n_taps, dtype=x.dtype)
    zero = odd_taps.dtype.type(0)  # not 0.0: that would make the edge sums float64
    for b in range(batch):
        row = x[b]
        dst = out[b]
        for m0 in range(0, n_out, _BLOCK):
            size = min(_BLOCK, n_out - m0)
            for j in range(size + 2 * n_taps - 1):
                i = 2 * (m0 - n_taps + j) + 1
                odd[j] = row[i] if 0 <= i < n else zero
            block = dst[m0 : m0 + size]
            even = row[2 * m0 : 2 * (m0 + size) : 2]
            for j in range(size):
                block[j] = centre * even[j]
            # per output the same operations in the same order as the formula below; the
            # slices make every index a loop counter >= 0, so numba drops its negative-index
            # wraparound and the loops vectorise
            for k in range(n_taps):
                tap = odd_taps[k]
                left = odd[n_taps - k - 1 : n_taps - k - 1 + size]
                right = odd[n_taps + k : n_taps + k + size]
                for j in range(size):
                    block[j] += tap * (left[j] + right[j])


def decimate2(x, odd_taps, centre: float):
    """Low-pass with a symmetric half-band FIR and keep every other sample.

    ``out[b, m] = centre * x[b, 2m] + sum_k odd_taps[k] * (x[b, 2m - 2k - 1] + x[b, 2m + 2k + 1])``
    with ``x`` zero outside ``[0, n)``: the even taps of a half-band filter
    other than the centre are zero, so only the odd ones are stored.

    Parameters
    ----------
    x : ndarray, shape (batch, n), float32 or float64
    odd_taps : ndarray, shape (n_taps,), same dtype
    centre : float

    Returns
    -------
    out : ndarray, shape (batch, (n + 1) // 2)
    """
    x = np.ascontiguousarray(x)
    odd_taps = np.ascontiguousarray(odd_taps, dtype=x.dtype)
    out = np.empty((x.shape[0], (x.shape[1] + 1) // 2), dtype=x.dtype)
    decimate = _decimate2_numpy if x.size <= NUMPY_MAX_SIZE else _decimate2_kernel()
    decimate(x, odd_taps, x.dtype.type(centre), out)
    return out


# Samples per row block, at least: the octave loop's Python steps hold the GIL, so blocks
# much smaller than this spend their time waiting for each other (timings:
# docs/performance.md, "Tuning constants").
_MIN_BLOCK_SAMPLES = 1 << 18


def map_rows(func, n_rows: int, row_len: int):
    """``func(rows)`` for contiguous row slices covering ``range(n_rows)``, on the pool.

    Up to two blocks per thread (so a slow core can be balanced), none smaller than
    ``_MIN_BLOCK_SAMPLES`` samples; each block's GEMMs stay large (rows x frames).
    """
    by_size = max(1, n_rows * row_len // _MIN_BLOCK_SAMPLES)
    n_blocks = max(1, min(n_rows, 2 * cpu_threads.WORKERS, by_size))
    edges = [n_rows * i // n_blocks for i in range(n_blocks + 1)]
    blocks = [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    if n_blocks == 1:
        func(blocks[0])
    else:
        cpu_threads.run_blocks(func, blocks)
