"""Decibel conversions on the CPU: NumPy's own ufuncs, in place, on cache-sized blocks of
the thread pool; same contract as ``db_cuda``.  No numba: the elementwise ``log10`` and
``power`` are the work, so the values are NumPy's (and librosa's) bit for bit, and short
inputs never pay numba's start-up.

The array expressions make a fresh array per step (``maximum``, ``log10``, ``* 10``,
``- offset``, the ``top_db`` clip), each larger than the caches and page-faulted in; here one
output array is written once and each block goes through every step while in cache, on
all cores (NumPy's ufuncs release the GIL).
"""

from __future__ import annotations

import numpy as np

from .._backend import in_memory_order, memory_order
from . import cpu_threads

# Elements per block: 1 MB of float32.
_BLOCK_ELEMENTS = 1 << 18
# Up to this many elements the blocks run in the calling thread: waking the pool cost more
# than it saved (power_to_db of 4 x 1025 x 216 float32: 1.10 ms serial, 1.31 ms on two
# threads, librosa 1.38 ms; 2-vCPU VM, idle, 2026-12-03), as in ``elementwise_numba``.
_SERIAL_MAX_ELEMENTS = 1 << 20


def _each_block(func, size: int):
    """``[func(slice), ...]`` over ``_BLOCK_ELEMENTS`` slices of ``range(size)``, on the pool
    above ``_SERIAL_MAX_ELEMENTS``."""
    return cpu_threads.map_ranges(
        lambda start, stop: func(slice(start, stop)),
        size,
        _BLOCK_ELEMENTS,
        serial_max=_SERIAL_MAX_ELEMENTS,
    )


def magnitude(S):
    """``abs(S)`` (real for complex ``S``), in ``S``'s shape and axis order, on the pool."""
    flat, restore = in_memory_order(S)
    out = np.empty(flat.shape, dtype=np.abs(flat[:0]).dtype)
    _each_block(lambda block: np.abs(flat[block], out=out[block]), out.shape[0])
    return restore(out)


def power_to_db(S, amin, offset, top_db, *, square=False, overwrite=False):
    """``10 * log10(maximum(S, amin)) - offset`` (``S**2`` for ``S`` if ``square``), then
    clipped below at its maximum minus ``top_db`` (over the whole array) unless ``top_db``
    is None.

    Parameters
    ----------
    S : ndarray, float32 or float64, any shape and layout
    amin : float
    offset : ndarray of ``S``'s dtype, 0-d or broadcasting against ``S``
        ``10 * log10(max(ref, amin))`` (an array ``ref`` gives an array offset).
    top_db : float or None
    square : bool
        Square ``S`` first (``amplitude_to_db``).
    overwrite : bool
        ``S`` is the caller's temporary: the result may take its memory.

    Returns
    -------
    S_db : ndarray, ``S``'s shape (broadcast with ``offset``'s), dtype and axis order
    """
    if S.ndim == 0 and np.ndim(offset) == 0:  # a NumPy scalar, as the ufuncs return
        return power_to_db(S.reshape(1), amin, offset, top_db, square=square)[0]
    if np.ndim(offset) != 0:  # an array reference: both broadcast, walked in S's order
        S, offset = np.broadcast_arrays(S, offset)
        overwrite = False  # a broadcast view is not writable
    flat, restore = in_memory_order(S)
    if np.ndim(offset) != 0:  # walked like S, block by block below
        offset = offset.transpose(memory_order(S)).reshape(-1)
    out = flat if overwrite else np.empty_like(flat)

    def to_db(block):
        part = out[block]
        if square:
            np.square(flat[block], out=part)
            np.maximum(part, amin, out=part)
        else:
            np.maximum(flat[block], amin, out=part)
        np.log10(part, out=part)
        np.multiply(10.0, part, out=part)
        np.subtract(part, offset if np.ndim(offset) == 0 else offset[block], out=part)
        return part.max() if top_db is not None else None

    block_maxima = _each_block(to_db, out.shape[0])
    if top_db is not None:
        floor = np.max(block_maxima) - top_db  # an empty S raises here, as NumPy's max
        _each_block(lambda block: np.maximum(out[block], floor, out=out[block]), out.shape[0])
    return restore(out)


def db_to_power(S_db, ref: float):
    """``ref * 10 ** (S_db * 0.1)`` (same shape, dtype and axis order as ``S_db``); ``ref`` a
    Python number, which does not change the dtype."""
    if S_db.ndim == 0:
        return db_to_power(S_db.reshape(1), ref)[0]
    flat, restore = in_memory_order(S_db)
    out = np.empty_like(flat)

    def to_power(block):
        part = out[block]
        np.multiply(flat[block], 0.1, out=part)
        np.power(10.0, part, out=part)
        np.multiply(ref, part, out=part)

    _each_block(to_power, out.shape[0])
    return restore(out)
