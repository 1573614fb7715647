"""Harmonic lowering and its transpose on the CPU (numba); same contract as ``harmonic_cuda``.

Tables come from :mod:`sigpu._harmonic_tables` (int32 indices, weights in the data dtype).
"""

from __future__ import annotations

import threading

import numba
import numpy as np

from .._backend import on_block_thread
from .cpu_threads import map_blocks  # noqa: F401 (contract)
from .numba_jit import njit

#: Output columns per GEMM block of ``harmonic_conv2d``: small enough that the block of the
#: lowered tensor and the tall GEMM's product stay in the core's L2 cache.
GEMM_BLOCK_COLUMNS = 2048

#: Output elements from which the lowering and its transpose run as a numba parallel region.  A
#: parallel region costs a wake-up of every numba thread: on the 2-core VM under load the
#: gather of one 8-channel 128 x 128 item took 8-28 ms in parallel against 0.06 ms serially.
PARALLEL_MIN_SIZE = 1 << 22


def _serial(out_size: int) -> bool:
    return on_block_thread() or out_size < PARALLEL_MIN_SIZE


@njit(inline="always")
def _channel(c, k, n_chan, n_harm, stack_groups):
    """Lowered channel of (input channel c, harmonic index k): ``c*K + k`` ("textile") or,
    with ``stack_groups = G > 0``, ``g*C_g*K + k*C_g + c_g`` (harmonic-major inside each
    group, so that the channels of the first harmonics form a prefix)."""
    if stack_groups == 0:
        return c * n_harm + k
    c_g = n_chan // stack_groups
    g = c // c_g
    return (g * n_harm + k) * c_g + c - g * c_g


@njit(nogil=True)
def _lower_channel(x, lo, hi, w_lo, w_hi, pad, stack_groups, out, q):
    """Lowered channel ``q = (b*C + c)*K + k`` of :func:`lower`."""
    _, n_chan, _, n_time = x.shape
    n_harm, n_out = lo.shape
    row_len = n_time + 2 * pad
    plane = n_out * row_len
    b = q // (n_chan * n_harm)
    c = (q // n_harm) % n_chan
    k = q % n_harm
    base = (b * n_chan * n_harm + _channel(c, k, n_chan, n_harm, stack_groups)) * plane
    for f in range(n_out):
        row = base + f * row_len
        for t in range(pad):
            out[row + t] = 0
            out[row + pad + n_time + t] = 0
        row += pad
        a = w_lo[k, f]
        w = w_hi[k, f]
        src_lo = x[b, c, lo[k, f]]
        src_hi = x[b, c, hi[k, f]]
        # zero weights are skipped, not multiplied, so non-finite values beyond the
        # top edge never leak into taps that do not use them
        if w != 0:
            for t in range(n_time):
                out[row + t] = a * src_lo[t] + w * src_hi[t]
        elif a != 0:
            for t in range(n_time):
                out[row + t] = a * src_lo[t]
        else:
            for t in range(n_time):
                out[row + t] = 0


@njit(parallel=True)
def _lower(x, lo, hi, w_lo, w_hi, pad, stack_groups, out):
    for q in numba.prange(x.shape[0] * x.shape[1] * lo.shape[0]):
        _lower_channel(x, lo, hi, w_lo, w_hi, pad, stack_groups, out, q)


@njit(nogil=True)
def _lower_serial(x, lo, hi, w_lo, w_hi, pad, stack_groups, out):
    for q in range(x.shape[0] * x.shape[1] * lo.shape[0]):
        _lower_channel(x, lo, hi, w_lo, w_hi, pad, stack_groups, out, q)


def lower(x, lo, hi, w_lo, w_hi, pad: int, tail: int, stack_groups: int = 0):
    """Harmonic lowering into a flat buffer, time-padded with zeros.

    Parameters
    ----------
    x : ndarray, shape (N, C, F, T), float32 or float64
    lo, hi : ndarray, shape (K, F_out), int32
    w_lo, w_hi : ndarray, shape (K, F_out), x's dtype
    pad : int
        Zeros written before and after each time row.
    tail : int
        Extra zeros at the end of the buffer (slack for shifted GEMM windows).
    stack_groups : int
        0: channel order ``c*K + k``; ``G > 0``: ``g*C_g*K + k*C_g + c_g`` with
        ``c = g*C_g + c_g`` (harmonic-major within each of G groups).

    Returns
    -------
    out : ndarray, shape (N*C*K*F_out*(T + 2*pad) + tail,)
        ``out.reshape(N, C*K, F_out, T + 2*pad)`` (without the tail) has at the channel of
        ``(c, k)`` ``w_lo[k] * x[:, c, lo[k]] + w_hi[k] * x[:, c, hi[k]]`` in its interior.
    """
    x = np.ascontiguousarray(x)
    n_batch, n_chan, _, n_time = x.shape
    n_harm, n_out = lo.shape
    size = n_batch * n_chan * n_harm * n_out * (n_time + 2 * pad)
    out = np.empty(size + tail, dtype=x.dtype)
    out[size:] = 0
    (_lower_serial if _serial(size) else _lower)(
        x,
        np.ascontiguousarray(lo),
        np.ascontiguousarray(hi),
        np.ascontiguousarray(w_lo, dtype=x.dtype),
        np.ascontiguousarray(w_hi, dtype=x.dtype),
        pad,
        stack_groups,
        out,
    )
    return out


@njit(nogil=True)
def _lower_block(x, lo, hi, w_lo, w_hi, pad, c_g, b0, b1, g, l0, l1, r0, r1, out):
    # loops run over slice views from index 0: LLVM vectorises them (with offsets in the
    # index it did not, 2.5x slower)
    n_time = x.shape[3]
    row_len = n_time + 2 * pad
    n_rows = r1 - r0
    for l in range(l0, l1):
        k = l // c_g  # harmonic-major channel l = k*C_g + c_g of group g
        c = g * c_g + l - k * c_g
        for b in range(b0, b1):
            for f in range(r0, r1):
                row = (b - b0) * n_rows + f - r0
                dst = out[l - l0, row * row_len : (row + 1) * row_len]
                for t in range(pad):
                    dst[t] = 0
                    dst[pad + n_time + t] = 0
                body = dst[pad : pad + n_time]
                a = w_lo[k, f]
                w = w_hi[k, f]
                src_lo = x[b, c, lo[k, f]]
                src_hi = x[b, c, hi[k, f]]
                if w != 0:  # zero weights skipped, as in _lower
                    for t in range(n_time):
                        body[t] = a * src_lo[t] + w * src_hi[t]
                elif a != 0:
                    for t in range(n_time):
                        body[t] = a * src_lo[t]
                else:
                    body[:] = 0
        tail = out[l - l0, (b1 - b0) * n_rows * row_len :]
        tail[:] = 0


class _BlockLowering:
    """``window(b0, b1, g, l0, l1, r0, r1)``: lowered rows computed on demand into a
    per-thread buffer (see :func:`lowered_blocks`)."""

    def __init__(self, x, lo, hi, w_lo, w_hi, pad, slack, groups):
        self.x = np.ascontiguousarray(x)
        self.lo = np.ascontiguousarray(lo)
        self.hi = np.ascontiguousarray(hi)
        self.w_lo = np.ascontiguousarray(w_lo, dtype=self.x.dtype)
        self.w_hi = np.ascontiguousarray(w_hi, dtype=self.x.dtype)
        self.pad, self.slack = pad, slack
        self.row_len = self.x.shape[3] + 2 * pad
        self.c_g = self.x.shape[1] // groups
        self.local = threading.local()

    def __call__(self, b0, b1, g, l0, l1, r0, r1):
        width = (b1 - b0) * (r1 - r0) * self.row_len + self.slack
        size = (l1 - l0) * width
        buf = getattr(self.local, "buf", None)
        if buf is None or buf.size < size:
            buf = self.local.buf = np.empty(size, dtype=self.x.dtype)
        out = buf[:size].reshape(l1 - l0, width)
        _lower_block(
            self.x,
            self.lo,
            self.hi,
            self.w_lo,
            self.w_hi,
            self.pad,
            self.c_g,
            b0,
            b1,
            g,
            l0,
            l1,
            r0,
            r1,
            out,
        )
        return out


def lowered_blocks(x, lo, hi, w_lo, w_hi, pad: int, slack: int, groups: int):
    """Access to blocks of the lowered tensor ``X'`` (time-padded, harmonic-major channels
    within each group, as :func:`lower` with ``stack_groups=groups``).

    Returns
    -------
    window : callable
        ``window(b0, b1, g, l0, l1, r0, r1)`` -> array ``(l1 - l0, (b1 - b0)*(r1 - r0)*(T +
        2*pad) + slack)``: channels ``l0:l1`` of group ``g`` of batch items ``b0:b1`` on
        output rows ``r0:r1``, rows laid end to end (item after item), followed by ``slack``
        columns that are only read into cropped outputs.  On the CPU the block is
        lowered on demand into a buffer of the calling thread (valid until that thread's
        next call), so the ``K_f``-times larger ``X'`` is never held in memory and each
        block is still in cache when its GEMM reads it.
    """
    return _BlockLowering(x, lo, hi, w_lo, w_hi, pad, slack, groups)


@njit(nogil=True)
def _shift_add(prod, offsets, n_use, out, b0, b1, a0, r0, r1, row_len, start, count, step, bias):
    # explicit loops over contiguous slice views (index from 0): vectorised by LLVM, 3x
    # faster than slice assignment or offset indexing
    span = (count - 1) * step + 1
    n_rows = r1 - r0
    for a in range(n_use):
        for b in range(b0, b1):
            for r in range(n_rows):
                dst = out[b, a0 + a, r0 + r]
                base = ((b - b0) * n_rows + r) * row_len + start
                for j in range(offsets.shape[0]):  # j ascending: the order of acc += row_j
                    o = base + offsets[j]
                    row = prod[j * n_use + a]
                    if step == 1:
                        src = row[o : o + count]
                        if j == 0:
                            for i in range(count):
                                dst[i] = src[i]
                        else:
                            for i in range(count):
                                dst[i] += src[i]
                    else:
                        strided = row[o : o + span : step]
                        if j == 0:
                            for i in range(count):
                                dst[i] = strided[i]
                        else:
                            for i in range(count):
                                dst[i] += strided[i]
                if bias.shape[0]:  # added last, while the row is still in L1
                    shift = bias[a0 + a]
                    for i in range(count):
                        dst[i] += shift


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
    """Sum the tap row groups of a tall GEMM product with their shifts, cropped, into ``out``.

    ``out[b, a0 + a, r0 + r, i] = sum_j prod[j*n_use + a, ((b - b0)*(r1 - r0) + r)*row_len +
    start + i*step + offsets[j]] (+ bias[a0 + a])`` for ``b`` in ``range(b0, b1)``, ``items
    = (b0, b1)`` (taps summed in order ``j = 0, 1, ...``, then the bias), ``crop = (start,
    count, step)``.  One pass over ``out`` (C-contiguous, 4-D); ``prod`` is C-contiguous
    2-D; ``bias`` is ``None`` or 1-D of ``out``'s dtype.
    """
    start, count, step = crop
    b0, b1 = items
    bias = np.zeros(0, dtype=out.dtype) if bias is None else bias
    _shift_add(prod, offsets, n_use, out, b0, b1, a0, r0, r1, row_len, start, count, step, bias)


@njit(nogil=True)
def _spread_taps(grad_out, offsets, b0, b1, o0, n_o, r0, r1, row_len, step, out):
    count = grad_out.shape[3]
    n_rows = r1 - r0
    for o in range(n_o):
        for b in range(b0, b1):
            for r in range(n_rows):
                src = grad_out[b, o0 + o, r0 + r]  # read once, written once per tap
                row = ((b - b0) * n_rows + r) * row_len
                for j in range(offsets.shape[0]):
                    base = offsets[j] + row
                    dst = out[j * n_o + o]
                    if step == 1:
                        part = dst[base : base + count]
                        for i in range(count):
                            part[i] = src[i]
                    else:
                        for i in range(count):
                            dst[base + i * step] = src[i]


def spread_taps(grad_out, offsets, items, o0: int, n_o: int, r0: int, r1: int, row_len, step, out):
    """Write the output gradient where each time tap read the input, for a tall GEMM.

    ``out[j*n_o + o, offsets[j] + ((b - b0)*(r1 - r0) + r)*row_len + t*step] = grad_out[b, o0
    + o, r0 + r, t]`` for ``b`` in ``range(b0, b1)``, ``items = (b0, b1)`` (rows of the items
    laid end to end, as the windows of :func:`lowered_blocks`), into ``out`` (2-D,
    C-contiguous, columns ``>= (b1 - b0)*(r1 - r0)*row_len + offsets[-1]``); other entries
    are left as they are (zeros that the caller keeps from block to block).  ``grad_out`` is
    C-contiguous ``(N, C, rows, count)``.
    """
    b0, b1 = items
    _spread_taps(grad_out, offsets, b0, b1, o0, n_o, r0, r1, row_len, step, out)


@njit(nogil=True)
def _gather_channel(g, indptr, src_k, src_f, weight, stack_groups, pad, out, b, c):
    _, n_chan, n_freq, n_time = out.shape
    n_harm = g.shape[1] // n_chan
    for m in range(n_freq):
        dst = out[b, c, m]
        for t in range(n_time):
            dst[t] = 0
        for e in range(indptr[m], indptr[m + 1]):
            w = weight[e]
            lowered = _channel(c, src_k[e], n_chan, n_harm, stack_groups)
            src = g[b, lowered, src_f[e], pad : pad + n_time]
            for t in range(n_time):
                dst[t] += w * src[t]


@njit(parallel=True)
def _lower_adjoint_gather(g, indptr, src_k, src_f, weight, stack_groups, pad, out):
    n_chan = out.shape[1]
    for q in numba.prange(out.shape[0] * n_chan):
        b, c = q // n_chan, q % n_chan
        _gather_channel(g, indptr, src_k, src_f, weight, stack_groups, pad, out, b, c)


@njit(nogil=True)
def _lower_adjoint_gather_serial(g, indptr, src_k, src_f, weight, stack_groups, pad, out):
    n_chan = out.shape[1]
    for q in range(out.shape[0] * n_chan):
        b, c = q // n_chan, q % n_chan
        _gather_channel(g, indptr, src_k, src_f, weight, stack_groups, pad, out, b, c)


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
    """Transposed lowering in gather form (deterministic).

    Parameters
    ----------
    g : ndarray, shape (N, C*K, F_out, T)
    indptr : ndarray, shape (n_freq + 1,), int32
    src_k, src_f : ndarray, shape (nnz,), int32
    weight : ndarray, shape (nnz,), g's dtype
    n_harmonics, n_freq : int
    stack_groups : int
        Channel order of ``g``, as in :func:`lower`.
    pad : int
        ``g``'s last axis holds ``pad + T + pad`` columns; only the middle ``T`` are read.

    Returns
    -------
    out : ndarray, shape (N, C, n_freq, T)
        ``out[:, c, m] = sum_e weight[e] * g[:, (c, src_k[e]), src_f[e]]`` over the entries
        of bin ``m``, summed in table order.
    """
    g = np.ascontiguousarray(g)
    n_batch, n_ck, _, n_time = g.shape
    n_time -= 2 * pad
    out = np.empty((n_batch, n_ck // n_harmonics, n_freq, n_time), dtype=g.dtype)
    gather = _lower_adjoint_gather_serial if _serial(out.size) else _lower_adjoint_gather
    gather(
        g,
        np.ascontiguousarray(indptr),
        np.ascontiguousarray(src_k),
        np.ascontiguousarray(src_f),
        np.ascontiguousarray(weight, dtype=g.dtype),
        stack_groups,
        pad,
        out,
    )
    return out


@njit(nogil=True)
def _scatter_channel(g, lo, hi, w_lo, w_hi, stack_groups, pad, out, b, c):
    _, n_chan, _, n_time = out.shape
    n_harm, n_out = lo.shape
    out[b, c] = 0
    for k in range(n_harm):
        for f in range(n_out):
            src = g[b, _channel(c, k, n_chan, n_harm, stack_groups), f, pad : pad + n_time]
            a = w_lo[k, f]
            w = w_hi[k, f]
            if a != 0:
                dst = out[b, c, lo[k, f]]
                for t in range(n_time):
                    dst[t] += a * src[t]
            if w != 0:
                dst = out[b, c, hi[k, f]]
                for t in range(n_time):
                    dst[t] += w * src[t]


@njit(parallel=True)
def _lower_adjoint_scatter(g, lo, hi, w_lo, w_hi, stack_groups, pad, out):
    n_chan = out.shape[1]
    for q in numba.prange(out.shape[0] * n_chan):
        _scatter_channel(g, lo, hi, w_lo, w_hi, stack_groups, pad, out, q // n_chan, q % n_chan)


@njit(nogil=True)
def _lower_adjoint_scatter_serial(g, lo, hi, w_lo, w_hi, stack_groups, pad, out):
    n_chan = out.shape[1]
    for q in range(out.shape[0] * n_chan):
        _scatter_channel(g, lo, hi, w_lo, w_hi, stack_groups, pad, out, q // n_chan, q % n_chan)


def lower_adjoint_scatter(g, lo, hi, w_lo, w_hi, n_freq: int, stack_groups: int = 0, pad: int = 0):
    """Transposed lowering in scatter form with the forward tables.

    On the CPU each thread owns one ``(batch, channel)`` pair, so the result is deterministic
    here too; on the GPU the same contract uses atomics.

    Parameters
    ----------
    g : ndarray, shape (N, C*K, F_out, T)
    lo, hi, w_lo, w_hi : the forward tables, shape (K, F_out)
    n_freq : int
    stack_groups : int
        Channel order of ``g``, as in :func:`lower`.
    pad : int
        As for :func:`lower_adjoint`.

    Returns
    -------
    out : ndarray, shape (N, C, n_freq, T)
    """
    g = np.ascontiguousarray(g)
    n_batch, n_ck, _, n_time = g.shape
    n_time -= 2 * pad
    n_harm = lo.shape[0]
    out = np.empty((n_batch, n_ck // n_harm, n_freq, n_time), dtype=g.dtype)
    scatter = _lower_adjoint_scatter_serial if _serial(out.size) else _lower_adjoint_scatter
    scatter(
        g,
        np.ascontiguousarray(lo),
        np.ascontiguousarray(hi),
        np.ascontiguousarray(w_lo, dtype=g.dtype),
        np.ascontiguousarray(w_hi, dtype=g.dtype),
        stack_groups,
        pad,
        out,
    )
    return out
