"""Exact autograd for the STFT and its inverse, computed by sigpu on NumPy/CuPy (the STFT's
forward on CPU tensors by torch's FFT in sigpu's framing: :mod:`sigpu.torch._stft_torch`).

Both transforms are linear in their input, so their backward passes are their adjoints,
and each adjoint is built from the other transform's kernels:

* ``stft``: frames of the (padded) signal, windowed, real FFT.  Its adjoint is the inverse
  real FFT of the gradient with the interior bins halved (``irfft`` counts those bins twice),
  times ``n_fft``, windowed and overlap-added (the ``ola.irfft_overlap_add`` kernel of
  :func:`sigpu.istft`), then the padding's adjoint: the padded ends folded back onto the
  samples they copied (:func:`_fold_padding`).
* ``istft``: inverse real FFT, window, overlap-add, crop, times the window envelope's
  reciprocal.  Its adjoint multiplies by the reciprocal, uncrops, frames, windows and takes
  the real FFT (the ``frames.rfft_frames`` kernel of :func:`sigpu.stft`), then doubles the
  interior bins over ``n_fft``.

The tensor<->array conversions are looked up on the bridge module at call time (tests
substitute them to run the CUDA branch on the emulated CuPy).

torch's gradient of a complex tensor ``z`` is ``dL/dRe z + i dL/dIm z``; the formulas above
are the adjoints for that convention (the dot-product tests check them).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._backend import array_namespace, asarray_on, device_of, kernel, on_input_device
from .._cache import host_table, on_device
from ..spectrum import _istft_normalizer, _istft_normalizer_on_device
from . import _bridge
from ._stft_torch import torch_stft, torch_stft_applies

__all__ = ["STFTFunction", "ISTFTFunction", "stft_adjoint", "istft_adjoint", "stft_values"]


def _real_dtype(xp, complex_dtype):
    return xp.float32 if complex_dtype == xp.complex64 else xp.float64


def _bin_weights(n_fft: int, scale_interior: float, like):
    """1 at DC (and Nyquist for even ``n_fft``), ``scale_interior`` elsewhere, as a ``(F, 1)``
    array of ``like``'s library, device and dtype."""
    weights = np.full(n_fft // 2 + 1, scale_interior)
    weights[0] = 1.0
    if n_fft % 2 == 0:
        weights[-1] = 1.0
    xp = array_namespace(like)
    return asarray_on(weights[:, None], xp, like.dtype, device_of(like))


def _padding_map(n: int, pad: int, pad_mode: str):
    """``(source, weight)`` of ``numpy.pad(x, pad, mode=pad_mode)``: padded sample ``j`` is
    ``weight[j] * x[source[j]]`` (every mode sigpu's STFT takes is of that form)."""
    source = np.pad(np.arange(n), pad, mode="edge" if pad_mode == "linear_ramp" else pad_mode)
    weight = np.pad(np.ones(n), pad, mode=pad_mode)
    return source, weight


def _fold_matrix(source, weight):
    """Dense ``(len(source), span)`` matrix adding ``weight[j] * g[j]`` into sample
    ``source[j]`` (columns from ``source.min()``); returns ``(matrix, first column)``."""
    first = int(source.min())
    matrix = np.zeros((source.shape[0], int(source.max()) - first + 1))
    np.add.at(matrix, (np.arange(source.shape[0]), source - first), weight)
    return matrix, first


@host_table
def _fold_tables(n: int, pad: int, pad_mode: str):
    """``(left matrix, right matrix, first columns)`` folding each padded end back onto the
    samples it copied (built once per signal length, pad and mode: up to ``pad x pad``)."""
    source, weight = _padding_map(n, pad, pad_mode)
    left, left_first = _fold_matrix(source[:pad], weight[:pad])
    right, right_first = _fold_matrix(source[pad + n :], weight[pad + n :])
    return left, right, np.array([left_first, right_first])


def _fold_padding(full, n: int, pad: int, pad_mode: str, xp):
    """Adjoint of padding ``(B, n)`` rows by ``pad`` on both sides: ``full (B, n + 2 pad)``
    back to ``(B, n)``."""
    grad = xp.astype(full[:, pad : pad + n], full.dtype, copy=True)
    if pad == 0 or pad_mode == "constant":
        return grad
    left, right, firsts = _fold_tables(n, pad, pad_mode)
    ends = (slice(0, pad), slice(pad + n, n + 2 * pad))
    for matrix, first, end in zip((left, right), firsts.tolist(), ends, strict=True):
        matrix = on_device(matrix, xp, full.dtype, device_of(full))
        grad[:, first : first + matrix.shape[1]] += xp.matmul(full[:, end], matrix)
    return grad


@on_input_device
def stft_adjoint(grad, plan, n: int):
    """Adjoint of ``plan(y)`` for signals of ``n`` samples: ``grad (..., F, T)`` complex ->
    ``(..., n)`` real, in ``grad``'s library."""
    xp = array_namespace(grad)
    real = _real_dtype(xp, grad.dtype)
    n_fft, hop = plan.n_fft, plan.hop_length
    n_frames = grad.shape[-1]
    weighted = grad * _bin_weights(n_fft, 0.5, grad)
    spec = xp.reshape(xp.swapaxes(weighted, -1, -2), (-1, n_frames, n_fft // 2 + 1))
    window, _ = plan._window_array(xp, real)
    ola = kernel(xp, "ola.irfft_overlap_add")
    if not plan.center:
        rows = ola(spec, n_fft, window, hop, 0, n)
    elif plan.pad_mode == "constant":
        rows = ola(spec, n_fft, window, hop, n_fft // 2, n)
    else:
        pad = n_fft // 2
        rows = _fold_padding(
            ola(spec, n_fft, window, hop, 0, n + 2 * pad), n, pad, plan.pad_mode, xp
        )
    rows *= n_fft
    return xp.reshape(rows, grad.shape[:-2] + (n,))


def _istft_envelope(plan, window, key, n_frames, start, length, xp, dtype):
    """The reciprocal window envelope ``plan.inverse`` multiplies by (its own tables)."""
    if key is None:
        return _istft_normalizer_on_device(
            window, plan.hop_length, n_frames, start, length, xp, dtype
        )
    host = _istft_normalizer(
        key,
        plan.win_length,
        plan.n_fft,
        plan.hop_length,
        n_frames,
        start,
        length,
        np.dtype(dtype).name,
    )
    return on_device(host, xp, dtype)


def frames_used(plan, n_frames: int, length):
    """Frames of an ``n_frames`` STFT that ``plan.inverse(..., length=length)`` reads, and the
    output length."""
    start = plan.n_fft // 2 if plan.center else 0
    if length is None:
        return n_frames, plan.n_fft + plan.hop_length * (n_frames - 1) - 2 * start
    return min(n_frames, math.ceil((length + 2 * start) / plan.hop_length)), length


@on_input_device
def istft_adjoint(grad, plan, n_frames: int, length):
    """Adjoint of ``plan.inverse(D, length=length)`` for ``D`` of ``n_frames`` frames:
    ``grad (..., length)`` real -> ``(..., F, n_frames)`` complex."""
    xp = array_namespace(grad)
    n_fft, hop = plan.n_fft, plan.hop_length
    used, length = frames_used(plan, n_frames, length)
    start = n_fft // 2 if plan.center else 0
    window, key = plan._window_array(xp, grad.dtype)
    envelope = _istft_envelope(plan, window, key, used, start, length, xp, grad.dtype)
    rows = xp.reshape(grad, (-1, length)) * envelope
    covered = n_fft + hop * (used - 1)
    signal = xp.zeros((rows.shape[0], covered), dtype=grad.dtype)
    kept = min(length, covered - start)
    signal[:, start : start + kept] = rows[:, :kept]
    spec = kernel(xp, "frames.rfft_frames")(signal, n_fft, hop, used, None, window)
    spec *= _bin_weights(n_fft, 2.0, spec).T / n_fft
    out = xp.zeros((rows.shape[0], n_fft // 2 + 1, n_frames), dtype=spec.dtype)
    out[:, :, :used] = xp.swapaxes(spec, -1, -2)
    return xp.reshape(out, grad.shape[:-1] + out.shape[-2:])


def stft_values(plan, y):
    """``plan(y)`` for a tensor ``y`` without autograd: torch's FFT where it applies (CPU
    tensors, see :mod:`sigpu.torch._stft_torch`), else sigpu on the array behind ``y``."""
    if torch_stft_applies(plan, y):
        return torch_stft(plan, y)
    return _bridge.to_tensor(plan(_bridge.to_array(y)), y)


class STFTFunction(torch.autograd.Function):
    """``plan(y)`` with the exact adjoint as backward (``y`` real, result complex)."""

    @staticmethod
    def forward(ctx, y, plan):
        ctx.plan, ctx.n = plan, y.shape[-1]
        return stft_values(plan, y)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.resolve_conj()
        return _bridge.to_tensor(stft_adjoint(_bridge.to_array(grad), ctx.plan, ctx.n), grad), None


class ISTFTFunction(torch.autograd.Function):
    """``plan.inverse(D, length=length)`` with the exact adjoint as backward."""

    @staticmethod
    def forward(ctx, stft_matrix, plan, length):
        ctx.plan, ctx.length, ctx.n_frames = plan, length, stft_matrix.shape[-1]
        return _bridge.to_tensor(
            plan.inverse(_bridge.to_array(stft_matrix), length=length), stft_matrix
        )

    @staticmethod
    def backward(ctx, grad):
        adjoint = istft_adjoint(_bridge.to_array(grad), ctx.plan, ctx.n_frames, ctx.length)
        return _bridge.to_tensor(adjoint, grad), None, None
