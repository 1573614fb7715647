"""Filter banks on the GPU: one cuBLAS GEMM (the zeros of a band-limited bank cost less
there than extra launches); same contract as ``bank_numba``."""

from __future__ import annotations


def apply(rows, bank):
    """See :func:`sigpu._kernels.bank_numba.apply`."""
    return rows @ bank.T
