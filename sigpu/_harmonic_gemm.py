"""The time convolution of harmonic_conv2d as GEMMs on shifted windows of the lowered tensor.

A plane ``(n, l)`` of the lowered tensor ``X'`` holds ``n_rows * row_len`` values (output rows
``f'`` times the zero-padded time row).  Time tap ``j`` of every output position ``u`` reads
``X'[n, l, u + j*d]``, so tap ``j`` is a GEMM on a window of the plane shifted by ``j*d``: no
im2col matrix is built.  Windows of the last columns of a block run ``offsets[-1]`` columns
past it; those columns only feed cropped output positions past ``T'``, so nothing read there
is ever kept.

Work is cut into blocks at the boundaries of ``runs``, the runs of output rows that use the
same harmonics (:func:`sigpu._harmonic_tables.row_runs`), so each block only multiplies the
lowered channels its rows need (``active``): with ``anchor=1`` most rows above the first
few use one harmonic.  Inside a run a block holds rows of one batch item, or the run's rows
of several consecutive items where they are few (one GEMM and one kernel call per block:
per-call overhead, not arithmetic, is what small planes spend their time on).  ``X'`` is
read through ``window(b0, b1, g, l0, l1, r0, r1)`` from ``kernel(xp,
"harmonic.lowered_blocks")``: on the CPU the block is lowered right before its GEMM, into a
buffer that stays in cache, so the ``K_f``-times larger ``X'`` never exists in memory; on the
GPU it is a view of ``X'`` built once.  Blocks run through ``kernel(xp,
"harmonic.map_blocks")`` (a thread pool on the CPU, in order on the GPU).
"""

from __future__ import annotations

import threading

import numpy as np

from ._backend import kernel, kernel_constant, single_threaded_blas


def row_blocks(n_rows: int, row_len: int, target_columns: int):
    """Row ranges ``(r0, r1)`` of one plane holding about ``target_columns`` GEMM columns."""
    rows = max(1, min(n_rows, target_columns // row_len))
    for r0 in range(0, n_rows, rows):
        yield r0, min(r0 + rows, n_rows)


def item_blocks(n_batch: int, runs, row_len: int, target_columns: int):
    """Blocks ``(b0, b1, r0, r1)`` of about ``target_columns`` GEMM columns, each inside one
    run of rows ``runs`` (``(r0, r1)`` pairs covering the plane): the run's rows of several
    consecutive items where two items' rows fit the target, else row ranges of one item."""
    blocks = []
    for r0, r1 in runs:
        seg = (r1 - r0) * row_len
        if 2 * seg <= target_columns:
            per_block = target_columns // seg
            blocks += [
                (b0, min(b0 + per_block, n_batch), r0, r1) for b0 in range(0, n_batch, per_block)
            ]
        else:
            rows = [(r0 + q0, r0 + q1) for q0, q1 in row_blocks(r1 - r0, row_len, target_columns)]
            blocks += [(b, b + 1, q0, q1) for q0, q1 in rows for b in range(n_batch)]
    return blocks


def item_tasks(n_batch: int, n_rows: int, runs, row_len: int, target_columns: int):
    """Groups of items ``(b0, b1)`` and the row blocks ``[(r0, r1), ...]`` each group runs
    through (within the runs ``runs``), for work that must finish whole items: several items
    where two planes fit the target, about ``target_columns`` columns per block."""
    plane = n_rows * row_len
    per_task = target_columns // plane if 2 * plane <= target_columns else 1
    tasks = [(b0, min(b0 + per_task, n_batch)) for b0 in range(0, n_batch, per_task)]
    rows = []
    for r0, r1 in runs:
        rows += [
            (r0 + q0, r0 + q1) for q0, q1 in row_blocks(r1 - r0, per_task * row_len, target_columns)
        ]
    return tasks, rows


def correlate_taps(
    xp, taps, window, out, *, n_batch, n_rows, row_len, offsets, crop, active, runs, bias=None
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
    (or the bias).  ``runs``: ``(r0, r1)`` pairs covering the rows; blocks never span two.

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

    blocks = item_blocks(n_batch, runs, row_len, target)
    # one BLAS thread even where the blocks run in this thread (fewer blocks than twice the
    # workers): a threaded GEMM this small wakes and waits for its threads on every call
    with single_threaded_blas(xp):
        kernel(xp, "harmonic.map_blocks")(block, blocks)


def backward_blocks(xp, window, taps, grad_out, *, offsets, row_len, step, active, runs, finish):
    """Weight gradient and lowered input gradient of :func:`correlate_taps`, block by block.

    With ``S[j*O + o, v] = G[b, g*O + o, r, t']`` at ``v = r*row_len + t'*step + offsets[j]``
    (zero elsewhere; the output gradient placed where tap ``j`` read ``X`` for it), one block
    of rows gives both gradients from the same ``S``::

        grad_taps[j, g, o, l] += (S @ X_block^T)[j*O + o, l]      (J*O, width) @ (width, L)
        grad_X[b, g, l, v]     = (W_g^T @ S)[l, v]                 (L, J*O) @ (J*O, width)

    Taps never reach across rows, so a block's ``grad_X`` is complete.  The work is cut as
    :func:`item_tasks` says: groups of several consecutive items where a plane is small (one
    transposed lowering per group instead of per item: per-call overhead is most of a small
    plane's time), else single items, each group running through row blocks inside the
    ``runs`` (as in :func:`correlate_taps`) so that the items' ``grad_X`` is finished in the
    group's task.  Shapes: ``taps (J, G, O, L)``,
    ``grad_out (N, G*O, n_rows, count)`` (output frame ``t'`` at column ``t'*step`` of a
    row), ``window`` as in :func:`correlate_taps`; ``active(r0, r1) = (l0, l1)``: the
    channels that can be non-zero on rows ``r0:r1``.  ``grad_X`` of items ``b0:b1`` is handed
    over as ``finish(b0, b1, gl)``, ``gl`` of shape ``(b1 - b0, G*L, n_rows, row_len)`` on the
    padded time grid of ``X`` (channels outside ``active`` are zero); ``gl`` is reused for
    the next block of the same thread.

    Returns ``grad_taps``, shape ``(J, G, O, L)``: per-block partial sums added in block
    order (the blocks do not depend on the threading, so neither does the result).
    """
    n_taps, n_groups, n_o, n_l = taps.shape
    n_batch, _, n_rows, _ = grad_out.shape
    reach = offsets[-1]
    plane = n_rows * row_len
    spread_taps = kernel(xp, "harmonic.spread_taps")
    host_offsets = np.asarray(offsets, dtype=np.int64)
    target = kernel_constant(xp, "harmonic.GEMM_BLOCK_COLUMNS")
    tasks, rows = item_tasks(n_batch, n_rows, runs, row_len, target)
    # (G, L, J*O): the transposed taps, W_g^T of the formula above
    taps_t = xp.reshape(xp.permute_dims(taps, (1, 3, 0, 2)), (n_groups, n_l, n_taps * n_o))
    taps_t = xp.ascontiguousarray(taps_t)
    local = threading.local()

    def buffers(n_items):
        """This thread's ``gl`` for ``n_items`` items, reused while the item count stays."""
        if getattr(local, "items", None) != n_items:
            local.items = n_items
            local.gl = xp.empty((n_items, n_groups, n_l, plane), dtype=grad_out.dtype)
        return local.gl

    def rows_into(b0, b1, r0, r1, gl, part):
        """One block: items ``b0:b1`` (``gl``'s), rows ``r0:r1``; weight gradient into part."""
        n_items = b1 - b0
        c0, c1 = r0 * row_len, r1 * row_len
        l0, l1 = active(r0, r1)
        if l1 <= l0:  # nothing reaches these rows
            gl[..., c0:c1] = 0
            return
        gl[:, :, :l0, c0:c1] = 0
        gl[:, :, l1:, c0:c1] = 0
        seg = c1 - c0  # columns of one item in this block
        width = n_items * seg
        shifted = getattr(local, "shifted", None)
        if shifted is None or shifted.shape != (n_taps * n_o, width + reach):
            # zeros outside each row's written range stay zero from block to block
            shifted = local.shifted = xp.zeros((n_taps * n_o, width + reach), dtype=grad_out.dtype)
        # the items' columns of S as (items, J*O, seg): views, one GEMM per item below
        per_item = xp.permute_dims(xp.reshape(shifted[:, :width], (-1, n_items, seg)), (1, 0, 2))
        for g in range(n_groups):
            spread_taps(
                grad_out, host_offsets, (b0, b1), g * n_o, n_o, r0, r1, row_len, step, shifted
            )
            src = window(b0, b1, g, l0, l1, r0, r1)  # (l1 - l0, width + reach)
            prod = xp.matmul(shifted, xp.swapaxes(src, 0, 1))
            part[:, g, :, l0:l1] += xp.reshape(prod, (n_taps, n_o, l1 - l0))
            # (items, l1 - l0, seg) straight into gl: rows r0:r1 of a channel are adjacent
            xp.matmul(taps_t[g, l0:l1], per_item, out=gl[:, g, l0:l1, c0:c1])

    def new_part():
        return xp.zeros((n_taps, n_groups, n_o, n_l), dtype=grad_out.dtype)

    def as_lowered(gl):
        return xp.reshape(gl, (gl.shape[0], n_groups * n_l, n_rows, row_len))

    pool = kernel(xp, "harmonic.map_blocks")

    def map_blocks(func, items):  # one BLAS thread, as in correlate_taps
        with single_threaded_blas(xp):
            return pool(func, items)

    if tasks[0][1] - tasks[0][0] == 1 and len(rows) > 1:
        # items one at a time, each item's row blocks spread over the workers (a few large
        # items would otherwise leave workers idle, or run BLAS threaded on small GEMMs)
        gl = xp.empty((1, n_groups, n_l, plane), dtype=grad_out.dtype)
        total = new_part()
        for b0, b1 in tasks:

            def rows_part(block, b0=b0, b1=b1):
                part = new_part()
                rows_into(b0, b1, *block, gl, part)
                return part

            for part in map_blocks(rows_part, rows):  # added in row order
                total += part
            finish(b0, b1, as_lowered(gl))
        return total

    def task_part(task):  # several items, all rows, in one worker
        b0, b1 = task
        part = new_part()
        gl = buffers(b1 - b0)
        for r0, r1 in rows:
            rows_into(b0, b1, r0, r1, gl, part)
        finish(b0, b1, as_lowered(gl))
        return part

    parts = map_blocks(task_part, tasks)
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total
