"""The trainable-basis STFT's product ``frames @ basis.T`` with exact gradients, through
NumPy's BLAS for CPU tensors.

Why (measured, docs/performance.md, "Issue 17 (2026-12-03, session 8)"; one core): the
product of 864 frames of 2048 samples with a (2050, 2048) basis took 80 ms in NumPy's
OpenBLAS sgemm, 122 ms in torch's (MKL on this AMD EPYC), 88 ms as nnAudio's ``conv1d``
(oneDNN), whose float32 sums also drift to 1.7e-6 of the peak (beyond the 1e-6 sigpu
promises; the GEMMs: 3e-7).  The backward is the two transposed products, also in NumPy;
torch's autograd adds the frames' overlap (``unfold``'s backward) and the padding's adjoint.
CUDA tensors stay in torch (cuBLAS; no GPU has measured another choice).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["basis_product"]


def _matrix(t):
    """``t (..., k)`` as a C-contiguous 2-D NumPy array ``(prod(...), k)`` (a copy only where
    ``t`` is strided, e.g. overlapping frames)."""
    array = np.ascontiguousarray(t.detach().numpy())
    return array.reshape(-1, array.shape[-1])


class _NumPyBasisProduct(torch.autograd.Function):
    """``frames (..., T, K) @ basis (R, K).T -> (..., T, R)``, CPU tensors, by NumPy's BLAS;
    backward: ``grad @ basis`` and ``grad.T @ frames`` (the exact adjoints)."""

    @staticmethod
    def forward(ctx, frames, basis):
        ctx.save_for_backward(frames, basis)
        product = _matrix(frames) @ basis.detach().numpy().T
        return torch.from_numpy(product.reshape(frames.shape[:-1] + (basis.shape[0],)))

    @staticmethod
    def backward(ctx, grad):
        frames, basis = ctx.saved_tensors
        grad_rows = _matrix(grad)
        grad_frames = grad_basis = None
        if ctx.needs_input_grad[0]:
            product = grad_rows @ basis.detach().numpy()
            grad_frames = torch.from_numpy(product.reshape(frames.shape))
        if ctx.needs_input_grad[1]:
            grad_basis = torch.from_numpy(grad_rows.T @ _matrix(frames))
        return grad_frames, grad_basis


def basis_product(frames, basis):
    """``frames (..., T, K) @ basis (R, K).T``: NumPy's BLAS for CPU tensors, torch's
    ``matmul`` otherwise; both with exact gradients for ``frames`` and ``basis``."""
    if frames.is_cpu and basis.is_cpu:
        return _NumPyBasisProduct.apply(frames, basis)
    return torch.matmul(frames, basis.T)
