"""Elementwise array expressions on the CPU, evaluated over cache-sized blocks of the
thread pool; same contract as ``elementwise_cuda``.  No numba: the expression is the
caller's NumPy code, so the values are the same as evaluating it on the whole array.

An expression over a large array makes a fresh array per step, each page-faulted in (about
0.25 ms per 800 kB on the benchmark VM, more than the arithmetic of most steps); block by
block, its temporaries are small, stay in cache and reuse freed memory, and only the
result is allocated at full size.
"""

from __future__ import annotations

import numpy as np

from .._backend import in_memory_order
from . import cpu_threads

# Elements per block: 128 kB of float64.
_BLOCK_ELEMENTS = 1 << 14
# Up to this many elements the blocks run in the calling thread: waking the pool cost more
# than it saved (|D|^2 of a 2 x 10 s STFT, 884k elements: 0.71 ms serial, 1.55 ms on two
# threads; A_weighting of 1e5 frequencies 0.63 vs 0.80 ms; 2-vCPU VM, idle, 2026-12-03).
_SERIAL_MAX_ELEMENTS = 1 << 20


def apply(func, x):
    """``func(x)`` for an elementwise ``func``, computed on blocks of ``x``.

    Parameters
    ----------
    func : callable
        Maps a 1-D array to an array of the same length, element by element (any dtype);
        it may run on several threads at once, so it sets its own ``numpy.errstate``.
    x : ndarray, any shape and layout

    Returns
    -------
    y : ndarray, ``x``'s shape and axis order, ``func``'s dtype
    """
    flat, restore = in_memory_order(x)
    out = np.empty(flat.shape, dtype=func(flat[:0]).dtype)

    def block(start, stop):
        out[start:stop] = func(flat[start:stop])

    cpu_threads.map_ranges(block, flat.shape[0], _BLOCK_ELEMENTS, serial_max=_SERIAL_MAX_ELEMENTS)
    return restore(out)
