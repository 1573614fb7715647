"""Interpolation tables of harmonic lowering, built once on the host with integer arithmetic.

Harmonic tap ``k`` of output bin ``f`` samples the input column at the exact rational position
``p = f*k/n`` (``n`` = anchor).  Writing ``f*k = i*n + r`` gives ``i = floor(p)`` and
``alpha = r/n`` without any floating-point rounding of the position, so ``k = n`` is an exact
identity and integer positions never interpolate.  Each tap becomes two gathers::

    (Z_k x)[f] = w_lo[k-1, f] * x[lo[k-1, f]] + w_hi[k-1, f] * x[hi[k-1, f]]

with ``lo``/``hi`` clamped into ``[0, F-1]`` (so gathers are always in bounds) and the weights
zero where the top-edge rule drops a term.  The transposed (adjoint) lowering uses the same
coefficients regrouped by input bin (CSR by ``m``), which lets one thread own one input bin and
sum in a fixed order: deterministic, no atomics.
"""

from __future__ import annotations

import numpy as np

from ._cache import host_table

TOP_EDGES = ("inclusive", "hl_repo", "zero_ext")


@host_table
def lowering_table(n_freq: int, n_harmonics: int, anchor: int, top_edge: str, freq_stride: int):
    """Gather tables for the output bins ``f = f' * freq_stride``.

    Returns
    -------
    lo, hi : ndarray, shape (n_harmonics, n_out), int32
    w_lo, w_hi : ndarray, shape (n_harmonics, n_out), float64
        ``n_out = (n_freq - 1) // freq_stride + 1``.
    """
    last = n_freq - 1
    f = np.arange(0, n_freq, freq_stride, dtype=np.int64)[None, :]
    k = np.arange(1, n_harmonics + 1, dtype=np.int64)[:, None]
    num = f * k  # exact integers: p = num / anchor
    i = num // anchor
    alpha = (num % anchor).astype(np.float64) / anchor
    lo_in = i <= last
    hi_in = (i + 1 <= last) & (alpha > 0)
    if top_edge == "inclusive":
        valid = num <= anchor * last
    elif top_edge == "hl_repo":
        # the HL repository's CUDA guard: needs i+1 inside even when alpha = 0, except k = n
        valid = (k == anchor) | (i + 1 <= last)
    elif top_edge == "zero_ext":
        valid = np.ones_like(num, dtype=bool)
    else:  # pragma: no cover - checked by the public functions
        raise ValueError(top_edge)
    w_lo = np.where(valid & lo_in, 1.0 - alpha, 0.0)
    w_hi = np.where(valid & hi_in, alpha, 0.0)
    lo = np.minimum(i, last).astype(np.int32)
    hi = np.minimum(i + 1, last).astype(np.int32)
    return lo, hi, w_lo, w_hi


@host_table
def log_lowering_table(
    n_freq: int, n_harmonics: int, anchor: int, bins_per_octave: float, freq_stride: int
):
    """Gather tables of the log-frequency variant (spec section 6).

    On a log axis with ``bins_per_octave`` bins per octave, harmonic ratio ``k/anchor`` is the
    constant shift ``s_k = bins_per_octave * log2(k/anchor)``: tap ``k`` of output bin ``f``
    interpolates ``x`` at ``q = f + s_k`` if ``0 <= q <= F-1``, else 0.  Shifts within 1e-9
    of an integer are snapped to it, so octave ratios (e.g. ``12*log2(2)``, which is
    11.999999999999972 in floating point) read exactly one bin.  Same layout as
    :func:`lowering_table`.
    """
    last = n_freq - 1
    f = np.arange(0, n_freq, freq_stride, dtype=np.int64)[None, :]
    k = np.arange(1, n_harmonics + 1, dtype=np.float64)[:, None]
    shift = bins_per_octave * np.log2(k / anchor)
    nearest = np.round(shift)
    shift = np.where(
        np.abs(shift - nearest) <= 1e-9 * np.maximum(1.0, np.abs(shift)), nearest, shift
    )
    whole = np.floor(shift)
    alpha = np.broadcast_to(shift - whole, (n_harmonics, f.shape[1]))
    i = f + whole.astype(np.int64)  # floor(f + shift), exact since f is an integer
    valid = (i >= 0) & ((i < last) | ((i == last) & (alpha == 0)))
    w_lo = np.where(valid, 1.0 - alpha, 0.0)
    w_hi = np.where(valid & (alpha > 0), alpha, 0.0)
    lo = np.clip(i, 0, last).astype(np.int32)
    hi = np.clip(i + 1, 0, last).astype(np.int32)
    return lo, hi, w_lo, w_hi


def tables(kind: str, params: tuple):
    """``lowering_table(*params)`` for ``kind="linear"``, ``log_lowering_table`` for "log"."""
    return (lowering_table if kind == "linear" else log_lowering_table)(*params)


@host_table
def adjoint_table(kind: str, params: tuple):
    """The lowering coefficients of :func:`tables` grouped by input bin (CSR over ``m``).

    Returns
    -------
    indptr : ndarray, shape (n_freq + 1,), int32
        Entries of input bin ``m`` are ``indptr[m]:indptr[m+1]``.
    src_k, src_f : ndarray, shape (nnz,), int32
        Harmonic index ``k-1`` and output row ``f'`` of each entry.
    weight : ndarray, shape (nnz,), float64
        ``a_k(f'*freq_stride, m)``.
    """
    n_freq = params[0]
    lo, hi, w_lo, w_hi = tables(kind, params)
    k_idx, f_idx = np.indices(lo.shape)
    m = np.concatenate([lo[w_lo != 0], hi[w_hi != 0]])
    src_k = np.concatenate([k_idx[w_lo != 0], k_idx[w_hi != 0]])
    src_f = np.concatenate([f_idx[w_lo != 0], f_idx[w_hi != 0]])
    weight = np.concatenate([w_lo[w_lo != 0], w_hi[w_hi != 0]])
    order = np.lexsort((src_f, src_k, m))  # fixed summation order per input bin
    counts = np.bincount(m, minlength=n_freq)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return (
        indptr,
        src_k[order].astype(np.int32),
        src_f[order].astype(np.int32),
        weight[order],
    )


@host_table
def used_harmonics(kind: str, params: tuple):
    """Per output row ``f'``, the range ``[k_lo, k_hi)`` of harmonic indices with a non-zero
    tap (``k_lo = k_hi = 0`` if none).

    The used harmonics of a row are always contiguous: on a linear axis all ``k <= anchor``
    and the ``k > anchor`` below the top edge; on a log axis the shifts grow with ``k``, so
    the in-range ones form an interval.
    """
    _, _, w_lo, w_hi = tables(kind, params)
    used = (w_lo != 0) | (w_hi != 0)  # (K, F')
    index = np.arange(used.shape[0])[:, None]
    any_used = used.any(axis=0)
    k_lo = np.where(any_used, np.min(np.where(used, index, used.shape[0]), axis=0), 0)
    k_hi = np.where(any_used, np.max(np.where(used, index, -1), axis=0) + 1, 0)
    return k_lo.astype(np.int64), k_hi.astype(np.int64)


@host_table
def row_runs(kind: str, params: tuple):
    """Maximal runs ``(r0, r1)`` of consecutive output rows that use the same harmonics.

    A GEMM block inside one run multiplies exactly the lowered channels its rows need, so
    blocks cut at run boundaries skip every harmonic above the top edge (on a linear axis
    with ``anchor=1`` and ``K_f=7`` that is 60 % of the products) while a block spanning a
    boundary would compute the union.  A tuple of pairs, ascending, covering every row.
    """
    k_lo, k_hi = used_harmonics(kind, params)
    edges = np.flatnonzero((np.diff(k_lo) != 0) | (np.diff(k_hi) != 0)) + 1
    bounds = [0, *edges.tolist(), len(k_lo)]
    return tuple((r0, r1) for r0, r1 in zip(bounds[:-1], bounds[1:], strict=True))
