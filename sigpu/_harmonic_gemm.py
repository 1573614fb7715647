"""The time convolution of harmonic_conv2d as GEMMs on shifted windows of the lowered tensor.

A plane ``(n, l)`` of the lowered tensor ``X'`` holds ``n_rows * row_len`` values (output rows
``f'`` times the zero-padded time row).  Time tap ``j`` of every output position ``u`` reads
``X'[n, l, u + j*d]``, so tap ``j`` is a GEMM on a window of the plane shifted by ``j*d``: no
im2col matrix is built.  Windows of the last columns of a block run ``offsets[-1]`` columns
past it; those columns only feed cropped output positions past ``T'``, so nothing read there
is ever kept.

Work is cut into blocks of output rows of one batch item, or of several whole planes of
consecutive items where a plane is small (one GEMM and one kernel call per block: per-call
overhead, not arithmetic, is what small planes spend their time on); each block only
multiplies the lowered channels that can be non-zero on its rows (``active``).  ``X'`` is
read through ``window(b0, b1, g, l0, l1, r0, r1)`` from ``kernel(xp,
"harmonic.lowered_blocks")``: on the CPU the block is lowered right before its GEMM, into a
buffer that stays in cache, so the ``K_f``-times larger ``X'`` never exists in memory; on the
GPU it is a view of ``X'`` built once.  Blocks run through ``kernel(xp,
"harmonic.map_blocks")`` (a thread pool on the CPU, in order on the GPU).
"""

from __future__ import annotations

import threading

import numpy as np

from ._backend import kernel, kernel_constant


def row_blocks(n_rows: int, row_len: int, target_columns: int):
    """Row ranges ``(r0, r1)`` of one plane holding about ``target_columns`` GEMM columns."""
    rows = max(1, min(n_rows, target_columns // row_len))
    for r0 in range(0, n_rows, rows):
        yield r0, min(r0 + rows, n_rows)


def item_blocks(n_batch: int, n_rows: int, row_len: int, target_columns: int):
    """Blocks ``(b0, b1, r0, r1)`` of about ``target_columns`` GEMM columns: whole planes of
    several consecutive items where two planes fit the target, else row ranges of one item."""
    plane = n_rows * row_len
    if 2 * plane <= target_columns:
        per_block = target_columns // plane
        return [
            (b0, min(b0 + per_block, n_batch), 0, n_rows) for b0 in range(0, n_batch, per_block)
        ]
    rows = list(row_blocks(n_rows, row_len, target_columns))
    return [(b, b + 1, r0, r1) for r0, r1 in rows for b in range(n_batch)]


def correlate_taps(
    xp, taps, window, out, *, n_batch, n_rows, row_len, offsets, crop, active, bias=None
):
    """``out[b, g*A + a, r, i] = sum_j (taps[j, g] @ X[b, g, :, r*row_len + u_i +
    offsets[j]])[a] (+ bias[g*A + a])`` with ``u_i = start + i*step``, ``crop = (start, count,
    step)``.

    Shapes: ``taps (J, G, A, L)``, ``out (N, G*A, n_rows, count)``.  ``X`` is read through
    ``window(b0, b1, g, l0, l1, r0, r1)``, which returns channels ``l0:l1`` of ``X[b, g]``
    for ``b`` in ``b0:b1`` on rows ``r0:r1`` (item after item) plus ``offsets[-1]`` columns
    past them, shape ``(l1 - l0, (b1 - b0)*(r1 - r0)*row_len + offsets[-1])`` (a view, or a
    block computed on demand).
    ``active(r0, r1) = ((l0, l1), (a0, a1))``: on rows ``r0:r1`` only channels ``l0:l1`` can
    be non-zero and only outputs ``a0:a1`` are needed; the other outputs are written as zeros
    (or the bias).

    Per block, one GEMM multiplies all taps at once, ``(J*A, L) @ (L, width + slack)`` (a
    tall product: BLAS runs far closer to peak than with ``J`` GEMMs of only ``A`` rows, and
    the window is read once), then ``kernel(xp, "harmonic.shift_add")`` sums the ``J`` row
    groups with their shifts straight into ``out``.  Every product is a plain 2-D GEMM
    (NumPy's stacked matmul over non-contiguous operands bypasses BLAS).
    """
    n_taps, n_groups, n_a, n_l = taps.shape
    reach = offsets[-1]  # the window columns a block reads past its own
    target = kernel_constant(xp, "harmonic.GEMM_BLOCK_COLUMNS")
    shift_add = kernel(xp, "harmonic.shift_add")
    offsets = np.asarray(offsets, dtype=np.int64)
    # (G, J*A, L): the taps of one group stacked along the GEMM's rows
    stacked = xp.ascontiguousarray(xp.permute_dims(taps, (1, 0, 2, 3)))  # (G, J, A, L)
    local = threading.local()  # block buffers per worker thread

    def buffer(n_rows_out, n_cols):
        if getattr(local, "shape", None) != (n_rows_out, n_cols):
            local.shape = (n_rows_out, n_cols)
            local.prod = xp.empty((n_rows_out, n_cols), dtype=out.dtype)
        return local.prod

    def fill(b0, b1, c0, c1, r0, r1):  # outputs no tap reaches on these rows
        if c1 > c0:
            out[b0:b1, c0:c1, r0:r1, :] = 0 if bias is None else bias[c0:c1, None, None]

    def block(item):
        b0, b1, r0, r1 = item
        width = (b1 - b0) * (r1 - r0) * row_len
        (l0, l1), (a0, a1) = active(r0, r1)
        if l1 <= l0 or a1 <= a0:  # nothing reaches these rows
            a0 = a1 = 0
        n_use = a1 - a0
        prod = buffer(n_taps * n_a, width + reach)[: n_taps * n_use]
        for g in range(n_groups):
            base = g * n_a
            if n_use:
                rows = stacked[g, :, a0:a1, l0:l1]
                if a1 - a0 != n_a:
                    rows = xp.ascontiguousarray(rows)
                rows = xp.reshape(rows, (n_taps * n_use, l1 - l0))
                xp.matmul(rows, window(b0, b1, g, l0, l1, r0, r1), out=prod)
                a_out = base + a0
                shift_add(prod, offsets, n_use, out, (b0, b1), a_out, r0, r1, row_len, crop, bias)
            fill(b0, b1, base, base + a0, r0, r1)
            fill(b0, b1, base + a1, base + n_a, r0, r1)

    blocks = item_blocks(n_batch, n_rows, row_len, target)
    kernel(xp, "harmonic.map_blocks")(block, blocks)


def backward_blocks(xp, window, taps, grad_out, *, offsets, row_len, step, active, finish):
    """Weight gradient and lowered input gradient of :func:`correlate_taps`, block by block.

    With ``S[j*O + o, v] = G[b, g*O + o, r, t']`` at ``v = r*row_len + t'*step + offsets[j]``
    (zero elsewhere; the output gradient placed where tap ``j`` read ``X`` for it), one block
    of rows gives both gradients from the same ``S``::

        grad_taps[j, g, o, l] += (S @ X_block^T)[j*O + o, l]      (J*O, width) @ (width, L)
        grad_X[b, g, l, v]     = (W_g^T @ S)[l, v]                 (L, J*O) @ (J*O, width)

    Taps never reach across rows, so a block's ``grad_X`` is complete.  Shapes: ``taps (J, G,
    O, L)``, ``grad_out (N, G*O, n_rows, count)`` (output frame ``t'`` at column ``t'*step``
    of a row), ``window`` as in :func:`correlate_taps`; ``active(r0, r1) = (l0, l1)``: the
    channels that can be non-zero on rows ``r0:r1``.  ``grad_X`` of one batch item is handed
    over as ``finish(b, gl)``, ``gl`` of shape ``(G*L, n_rows, row_len)`` on the padded
    time grid of ``X`` (channels outside ``active`` are zero); ``gl`` is reused for the
    next item of the same thread.

    Returns ``grad_taps``, shape ``(J, G, O, L)``, per-item partial sums added in batch order
    (independent of the threading).
    """
    n_taps, n_groups, n_o, n_l = taps.shape
    n_batch, _, n_rows, _ = grad_out.shape
    reach = offsets[-1]
    spread_taps = kernel(xp, "harmonic.spread_taps")
    host_offsets = np.asarray(offsets, dtype=np.int64)
    blocks = list(row_blocks(n_rows, row_len, kernel_constant(xp, "harmonic.GEMM_BLOCK_COLUMNS")))
    # (G, L, J*O): the transposed taps, W_g^T of the formula above
    taps_t = xp.reshape(xp.permute_dims(taps, (1, 3, 0, 2)), (n_groups, n_l, n_taps * n_o))
    taps_t = xp.ascontiguousarray(taps_t)
    local = threading.local()

    def partial(b):
        part = xp.zeros((n_taps, n_groups, n_o, n_l), dtype=grad_out.dtype)
        if getattr(local, "gl", None) is None:
            local.gl = xp.empty((n_groups, n_l, n_rows, row_len), dtype=grad_out.dtype)
        gl = local.gl
        shifted = None
        for r0, r1 in blocks:
            l0, l1 = active(r0, r1)
            if l1 <= l0:  # nothing reaches these rows
                gl[:, :, r0:r1] = 0
                continue
            gl[:, :l0, r0:r1] = 0
            gl[:, l1:, r0:r1] = 0
            width = (r1 - r0) * row_len
            if shifted is None or shifted.shape[-1] != width + reach:
                # zeros outside each row's written range stay zero from block to block
                shifted = xp.zeros((n_taps, n_o, width + reach), dtype=grad_out.dtype)
            flat = xp.reshape(shifted, (n_taps * n_o, width + reach))
            for g in range(n_groups):
                spread_taps(grad_out, host_offsets, b, g * n_o, n_o, r0, r1, row_len, step, flat)
                src = window(b, b + 1, g, l0, l1, r0, r1)  # (l1 - l0, width + reach)
                prod = xp.matmul(flat, xp.swapaxes(src, 0, 1))
                part[:, g, :, l0:l1] += xp.reshape(prod, (n_taps, n_o, l1 - l0))
                # (l1 - l0, width) straight into gl: a strided 2-D view, rows r0:r1 adjacent
                rows = xp.reshape(gl[g, l0:l1, r0:r1], (l1 - l0, width), copy=False)
                xp.matmul(taps_t[g, l0:l1], flat[:, :width], out=rows)
        finish(b, xp.reshape(gl, (n_groups * n_l, n_rows, row_len)))
        return part

    parts = kernel(xp, "harmonic.map_blocks")(partial, range(n_batch))
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total
