"""Filter banks applied as a few GEMMs over the bands they cover, on the CPU; same contract
as ``bank_cuda``.  No numba: BLAS products on column slices, for inputs too small to pay
numba's start-up (``spectrum.apply_bank`` is the fused band-wise kernel above that size).

A mel bank is non-zero on a narrow band of bins per filter (128 slaney filters on 1025
bins: 2 % of the matrix), yet a dense GEMM multiplies every zero.  Consecutive filters are
grouped (``_FILTERS_PER_GROUP``) and each group is one GEMM over the bins from its first
filter's first non-zero bin to its last filter's last: about 7 % of the dense work for
that bank, in 16 BLAS calls.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

_FILTERS_PER_GROUP = 8
# Grouping pays when the groups cover at most this share of the dense product.
_MAX_SHARE = 0.5
_plans: OrderedDict = OrderedDict()
_plans_lock = threading.Lock()
_MAX_PLANS = 16


def _groups(bank):
    """``[(f0, f1, lo, hi), ...]``: filters ``f0:f1`` are zero outside bins ``lo:hi``;
    None when the groups would not save enough of the dense product.  Cached per bank
    object (the banks are sigpu's cached, read-only tables; each is kept alive here)."""
    key = (id(bank), bank.shape, bank.dtype.str)
    with _plans_lock:
        hit = _plans.get(key)
        if hit is not None and hit[0] is bank:
            return hit[1]
    nonzero = bank != 0
    any_ = nonzero.any(axis=1)
    lo = np.where(any_, nonzero.argmax(axis=1), bank.shape[1])
    hi = np.where(any_, bank.shape[1] - nonzero[:, ::-1].argmax(axis=1), 0)
    groups = []
    for f0 in range(0, bank.shape[0], _FILTERS_PER_GROUP):
        f1 = min(f0 + _FILTERS_PER_GROUP, bank.shape[0])
        start, stop = int(lo[f0:f1].min()), int(hi[f0:f1].max())
        groups.append((f0, f1, start, max(start, stop)))
    work = sum((f1 - f0) * (hi_ - lo_) for f0, f1, lo_, hi_ in groups)
    plan = groups if work <= _MAX_SHARE * bank.size else None
    with _plans_lock:
        _plans[key] = (bank, plan)
        if len(_plans) > _MAX_PLANS:
            _plans.popitem(last=False)
    return plan


def apply(rows, bank):
    """``rows @ bank.T``: a filter bank applied to the spectra in ``rows``.

    Parameters
    ----------
    rows : ndarray, shape (R, F), float32 or float64
    bank : ndarray, shape (M, F), same dtype

    Returns
    -------
    out : ndarray, shape (R, M)
    """
    groups = _groups(bank)
    if groups is None:
        return rows @ bank.T
    out = np.empty((rows.shape[0], bank.shape[0]), dtype=rows.dtype)
    for f0, f1, lo, hi in groups:
        if hi > lo:
            np.matmul(rows[:, lo:hi], bank[f0:f1, lo:hi].T, out=out[:, f0:f1])
        else:  # all-zero filters
            out[:, f0:f1] = 0
    return out
