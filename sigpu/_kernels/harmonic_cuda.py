"""Harmonic lowering and its transpose on the GPU (``harmonic.cu``); same contract as
``harmonic_numba``."""

from __future__ import annotations

import cupy
import numpy as np

from .._backend import frames
from ._cuda_common import THREADS, blocks_for, get_function

#: Output columns per GEMM block of ``harmonic_conv2d``: large, so cuBLAS gets few big GEMMs
#: (about one 256 x 256 plane per block; each block holds two temporaries of
#: max(C_out, C_in*K_f)/groups x this many columns).  Not tuned on a GPU yet.
GEMM_BLOCK_COLUMNS = 1 << 16

_FILE = "harmonic.cu"


def map_blocks(func, items):
    """``[func(item) for item in items]`` in order (one stream: cuBLAS parallelises inside)."""
    return [func(item) for item in items]


def _i64(*values):
    return [np.int64(v) for v in values]


def lower(x, lo, hi, w_lo, w_hi, pad: int, tail: int, stack_groups: int = 0):
    """See :func:`sigpu._kernels.harmonic_numba.lower`."""
    x = cupy.ascontiguousarray(x)
    n_batch, n_chan, n_freq, n_time = x.shape
    n_harm, n_out = lo.shape
    size = n_batch * n_chan * n_harm * n_out * (n_time + 2 * pad)
    out = cupy.empty(size + tail, dtype=x.dtype)
    out[size:] = 0
    if size:
        kern = get_function(_FILE, "harmonic_lower", x.dtype)
        args = (
            x,
            cupy.ascontiguousarray(lo, dtype=cupy.int32),
            cupy.ascontiguousarray(hi, dtype=cupy.int32),
            cupy.ascontiguousarray(w_lo, dtype=x.dtype),
            cupy.ascontiguousarray(w_hi, dtype=x.dtype),
            out,
            *_i64(n_batch, n_chan, n_harm, n_freq, n_time, n_out, pad, stack_groups),
        )
        kern((blocks_for(size),), (THREADS,), args)
    return out


def lowered_blocks(x, lo, hi, w_lo, w_hi, pad: int, slack: int, groups: int):
    """See :func:`sigpu._kernels.harmonic_numba.lowered_blocks`.  On the GPU ``X'`` is
    lowered once (one kernel, bandwidth-bound) and the windows are views of it, stored
    channel-major ``(C*K, N, plane)`` so that the whole planes of consecutive items of one
    channel are adjacent (a window over whole planes of several items is a view too; one
    over some rows of several items is a copy)."""
    n_batch, n_chan, _, n_time = x.shape
    n_harm, n_out = lo.shape
    row_len = n_time + 2 * pad
    plane = n_out * row_len
    n_lowered = n_chan * n_harm
    lowered = lower(x, lo, hi, w_lo, w_hi, pad, 0, groups)
    size = lowered.size
    flat = cupy.empty(size + slack, dtype=x.dtype)
    flat[size:] = 0
    by_channel = flat[:size].reshape(n_lowered, n_batch, plane)
    by_channel[...] = lowered.reshape(n_batch, n_lowered, plane).transpose(1, 0, 2)
    del lowered
    windows = frames(flat, n_batch * plane + slack, n_batch * plane)
    per_group = n_lowered // groups

    def window(b0, b1, g, l0, l1, r0, r1):
        first = g * per_group
        if b1 - b0 == 1 or (r0, r1) == (0, n_out):  # a view
            return windows[
                first + l0 : first + l1,
                b0 * plane + r0 * row_len : (b1 - 1) * plane + r1 * row_len + slack,
            ]
        # some rows of several items: copied end to end, then the slack (zeros: the columns
        # past a block feed only cropped outputs)
        seg = (r1 - r0) * row_len
        block = cupy.zeros((l1 - l0, (b1 - b0) * seg + slack), dtype=x.dtype)
        rows = by_channel[first + l0 : first + l1, b0:b1, r0 * row_len : r1 * row_len]
        block[:, : (b1 - b0) * seg] = rows.reshape(l1 - l0, (b1 - b0) * seg)
        return block

    return window


def shift_add(
    prod,
    offsets,
    n_use: int,
    out,
    items,
    a0: int,
    r0: int,
    r1: int,
    row_len,
    crop,
    bias=None,
):
    """See :func:`sigpu._kernels.harmonic_numba.shift_add` (elementwise CuPy adds)."""
    start, count, step = crop
    b0, b1 = items
    width = (b1 - b0) * (r1 - r0) * row_len
    offsets = [int(o) for o in offsets]
    acc = prod[:n_use, offsets[0] : offsets[0] + width].copy()
    for j in range(1, len(offsets)):
        acc += prod[j * n_use : (j + 1) * n_use, offsets[j] : offsets[j] + width]
    if bias is not None:
        acc += bias[a0 : a0 + n_use, None]
    acc = acc.reshape(n_use, b1 - b0, r1 - r0, row_len).transpose(1, 0, 2, 3)
    out[b0:b1, a0 : a0 + n_use, r0:r1, :] = acc[..., start : start + (count - 1) * step + 1 : step]


def spread_taps(grad_out, offsets, items, o0: int, n_o: int, r0: int, r1: int, row_len, step, out):
    """See :func:`sigpu._kernels.harmonic_numba.spread_taps` (one strided copy per tap)."""
    b0, b1 = items
    count = grad_out.shape[3]
    width = (b1 - b0) * (r1 - r0) * row_len
    rows = grad_out[b0:b1, o0 : o0 + n_o, r0:r1, :].transpose(1, 0, 2, 3)  # (O, items, rows, T')
    for j, offset in enumerate(int(o) for o in offsets):
        dst = out[j * n_o : (j + 1) * n_o, offset : offset + width]
        dst = dst.reshape(n_o, b1 - b0, r1 - r0, row_len)  # a view: the last axis splits evenly
        dst[..., : (count - 1) * step + 1 : step] = rows


def _interior(g, pad: int):
    return cupy.ascontiguousarray(g[..., pad : g.shape[3] - pad] if pad else g)


def lower_adjoint(
    g,
    indptr,
    src_k,
    src_f,
    weight,
    n_harmonics: int,
    n_freq: int,
    stack_groups: int = 0,
    pad: int = 0,
):
    """See :func:`sigpu._kernels.harmonic_numba.lower_adjoint` (deterministic gather)."""
    g = _interior(g, pad)
    n_batch, n_ck, n_out, n_time = g.shape
    n_chan = n_ck // n_harmonics
    out = cupy.empty((n_batch, n_chan, n_freq, n_time), dtype=g.dtype)
    if out.size:
        kern = get_function(_FILE, "harmonic_lower_adjoint_gather", g.dtype)
        args = (
            g,
            cupy.ascontiguousarray(indptr, dtype=cupy.int32),
            cupy.ascontiguousarray(src_k, dtype=cupy.int32),
            cupy.ascontiguousarray(src_f, dtype=cupy.int32),
            cupy.ascontiguousarray(weight, dtype=g.dtype),
            out,
            *_i64(n_batch, n_chan, n_harmonics, n_freq, n_time, n_out, stack_groups),
        )
        kern((blocks_for(out.size),), (THREADS,), args)
    return out


def lower_adjoint_scatter(g, lo, hi, w_lo, w_hi, n_freq: int, stack_groups: int = 0, pad: int = 0):
    """See :func:`sigpu._kernels.harmonic_numba.lower_adjoint_scatter` (atomics here)."""
    g = _interior(g, pad)
    n_batch, n_ck, n_out, n_time = g.shape
    n_harm = lo.shape[0]
    n_chan = n_ck // n_harm
    out = cupy.zeros((n_batch, n_chan, n_freq, n_time), dtype=g.dtype)
    if g.size:
        kern = get_function(_FILE, "harmonic_lower_adjoint_scatter", g.dtype)
        args = (
            g,
            cupy.ascontiguousarray(lo, dtype=cupy.int32),
            cupy.ascontiguousarray(hi, dtype=cupy.int32),
            cupy.ascontiguousarray(w_lo, dtype=g.dtype),
            cupy.ascontiguousarray(w_hi, dtype=g.dtype),
            out,
            *_i64(n_batch, n_chan, n_harm, n_freq, n_time, n_out, stack_groups),
        )
        kern((blocks_for(g.size),), (THREADS,), args)
    return out
