"""Exact autograd for the multirate CQT/VQT, computed by sigpu on NumPy/CuPy.

The transform (:class:`sigpu.VQT`, ``_octaves``) is linear in the signal: decimations by two
(a symmetric half-band FIR, then every other sample), and per octave centred frames times
that octave's kernel (a real GEMM in "direct" mode, an rFFT band times a complex GEMM in
"fft" mode).  The backward pass walks the same plan backwards with each step's adjoint:

* kernel products: the transposed GEMM (``G @ W.T`` on interleaved Re/Im, ``G @ conj(K).T``);
* the rFFT band: ``n_fft * irfft`` of the band with the interior bins halved;
* centred frames: overlap-add (the ``ola.overlap_add`` kernel, a rectangular window), then
  the padding folded back onto the samples it copied;
* decimation: the filter's transpose, ``g`` spread onto the even samples (centre tap) and
  the odd ones (the odd taps, mirrored), as array code over the few taps.

Gradients of the signal only; the plan's tables are constants (``sigpu.torch.CQT``'s
trainable kernels are torch tensors of their own).
"""

from __future__ import annotations

import math

import torch

from .._backend import (
    array_namespace,
    device_of,
    fft_module,
    frames,
    kernel,
    on_input_device,
    single_threaded_blas,
)
from .._cache import on_device
from ..constantq import _UPSAMPLE_MARGIN, _rectangular_envelope
from . import _bridge
from ._stft_autograd import _bin_weights, _fold_padding

__all__ = [
    "CQTFunction",
    "ICQTFunction",
    "cqt_adjoint",
    "decimate2_adjoint",
    "icqt_adjoint",
    "upsample_adjoint",
]


def decimate2_adjoint(grad, odd_taps, centre: float, n: int):
    """Adjoint of ``decimate2`` for rows of ``n`` samples: ``grad (B, (n + 1) // 2)`` ->
    ``(B, n)``; ``odd_taps`` the plan's host taps.

    ``out[m] = centre x[2m] + sum_k a_k (x[2m - 2k - 1] + x[2m + 2k + 1])``, so
    ``x[2m]`` gets ``centre g[m]`` and ``x[2j + 1]`` gets ``sum_k a_k (g[j + k + 1] + g[j - k])``
    (``g`` zero outside its rows).
    """
    xp = array_namespace(grad)
    n_taps = odd_taps.shape[0]
    out = xp.zeros((grad.shape[0], n), dtype=grad.dtype)
    out[:, 0::2] = centre * grad
    n_odd = n // 2
    if n_odd == 0:
        return out
    padded = xp.pad(grad, ((0, 0), (n_taps, n_taps)))
    odd = xp.zeros((grad.shape[0], n_odd), dtype=grad.dtype)
    for k in range(n_taps):
        odd += float(odd_taps[k]) * (
            padded[:, n_taps + k + 1 : n_taps + k + 1 + n_odd]
            + padded[:, n_taps - k : n_taps - k + n_odd]
        )
    out[:, 1::2] = odd
    return out


def _frames_adjoint(frame_grads, octave, n: int, pad_mode: str, xp):
    """Adjoint of ``centered_frames(x, n_fft, hop, T, pad_mode)`` for ``x (B, n)``."""
    pad = octave.n_fft // 2
    ones = xp.ones(octave.n_fft, dtype=frame_grads.dtype)
    full = kernel(xp, "ola.overlap_add")(frame_grads, ones, octave.hop, 0, n + 2 * pad)
    return _fold_padding(full, n, pad, pad_mode, xp)


def _octave_adjoint(grad, octave, host_kernel, n: int, pad_mode: str):
    """Adjoint of one octave's ``centred frames -> kernel``: ``grad (B, n_f, T)`` complex ->
    ``(B, n)`` real at the octave's rate."""
    xp = array_namespace(grad)
    rows, n_f, n_frames = grad.shape
    # frames major, C-contiguous: .view then splits Re/Im as the forward interleaved them
    flat = xp.ascontiguousarray(xp.permute_dims(grad, (0, 2, 1)))
    flat = xp.reshape(flat, (rows * n_frames, n_f))
    real = xp.float32 if grad.dtype == xp.complex64 else xp.float64
    dev_id = device_of(grad)
    if octave.mode == "direct":
        w = on_device(host_kernel, xp, real, dev_id)  # (n_fft, 2 n_f)
        frame_grads = xp.matmul(flat.view(real), w.T)
    else:
        k = on_device(host_kernel, xp, grad.dtype, dev_id)  # (band, n_f)
        spec = xp.zeros((rows * n_frames, octave.n_fft // 2 + 1), dtype=grad.dtype)
        spec[:, octave.lo : octave.hi] = xp.matmul(flat, xp.conj(k).T)
        spec *= _bin_weights(octave.n_fft, 0.5, spec).T
        irfft = kernel(xp, "ola.irfft_overlap_add")
        ones = xp.ones(octave.n_fft, dtype=real)
        # irfft per frame and the frames' overlap-add in one kernel; then the padding
        pad = octave.n_fft // 2
        spec = xp.reshape(spec, (rows, n_frames, octave.n_fft // 2 + 1))
        full = irfft(spec, octave.n_fft, ones, octave.hop, 0, n + 2 * pad)
        full *= octave.n_fft
        return _fold_padding(full, n, pad, pad_mode, xp)
    frame_grads = xp.reshape(frame_grads, (rows, n_frames, octave.n_fft))
    return _frames_adjoint(frame_grads, octave, n, pad_mode, xp)


@on_input_device
def cqt_adjoint(grad, plan, n: int):
    """Adjoint of ``plan(y)`` (a :class:`sigpu.VQT`/:class:`sigpu.CQT`) for signals of ``n``
    samples: ``grad (..., n_bins, T)`` complex -> ``(..., n)`` real, in ``grad``'s library."""
    xp = array_namespace(grad)
    s = plan.schedule
    lead = grad.shape[:-2]
    grad = xp.reshape(grad, (-1,) + grad.shape[-2:])
    # signal lengths: before the early decimations, then at each octave's input
    early_lengths = [n]
    for _ in range(s.n_early):
        early_lengths.append((early_lengths[-1] + 1) // 2)
    octave_lengths = [length for _, length in plan._octave_lengths(n)]
    signal = None
    # many small GEMMs: BLAS threads cost more than they give (as in the forward plan)
    with single_threaded_blas(xp):
        for i in reversed(range(len(s.octaves))):
            octave = s.octaves[i]
            part = grad[:, octave.bin_start : octave.bin_stop, :]
            contribution = _octave_adjoint(
                part, octave, s.kernels[i], octave_lengths[i], plan.pad_mode
            )
            signal = contribution if signal is None else signal + contribution
            if octave.decimate_before:
                before = octave_lengths[i - 1] if i > 0 else early_lengths[-1]
                signal = decimate2_adjoint(signal, s.odd_taps, s.centre, before)
    for length in reversed(early_lengths[:-1]):
        signal = decimate2_adjoint(signal, s.odd_taps, s.centre, length)
    return xp.reshape(signal, lead + (n,))


class CQTFunction(torch.autograd.Function):
    """``plan(y)`` (CQT/VQT) with the exact adjoint as backward (``y`` real, result complex)."""

    @staticmethod
    def forward(ctx, y, plan):
        ctx.plan, ctx.n, ctx.dtype = plan, y.shape[-1], y.dtype
        return _bridge.to_tensor(plan(_bridge.to_array(y)), y)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.resolve_conj()
        adjoint = _bridge.to_tensor(cqt_adjoint(_bridge.to_array(grad), ctx.plan, ctx.n), grad)
        return adjoint.to(ctx.dtype), None


def upsample_adjoint(grad, factor: int, n: int):
    """Adjoint of ``constantq._upsample`` of ``(B, n)`` rows by ``factor``: ``grad (B, n *
    factor)`` -> ``(B, n)``.

    The forward zero-pads to ``n_pad``, takes the rFFT, halves an even ``n_pad``'s Nyquist
    bin, zero-extends the spectrum to ``M = n_pad * factor`` points, inverts and scales by
    ``factor``.  Composing the adjoints (rFFT of the zero-extended gradient with weights
    ``2/M`` inside, ``1/M`` at DC; the Nyquist halving; ``n_pad * irfft`` with interior bins
    halved) leaves every kept bin weighted ``1/M``, times ``n_pad * factor = M``: the adjoint
    is ``irfft(rfft(grad, n=M)[:n_pad // 2 + 1], n=n_pad)[:n]``, a band-limited decimation.
    """
    if factor == 1:
        return grad
    xp = array_namespace(grad)
    fft = fft_module(xp)
    n_pad = fft.next_fast_len(n + _UPSAMPLE_MARGIN, real=True)
    spec = fft.rfft(grad, n=n_pad * factor, axis=-1)[:, : n_pad // 2 + 1]
    return fft.irfft(spec, n=n_pad, axis=-1)[:, :n]


def _inverse_octave_adjoint(grad, octave, host_kernel, n_frames: int, envelope, xp):
    """Adjoint of one octave of the inverse CQT, ``rows -> frames -> overlap-add * envelope``:
    ``grad (B, n_out)`` -> the octave's rows' gradient ``(B * T, n_f)`` complex."""
    rows = grad.shape[0]
    real = grad.dtype
    complex_dtype = xp.complex64 if real == xp.float32 else xp.complex128
    dev_id = device_of(grad)
    start = octave.n_fft // 2
    full = xp.zeros((rows, octave.n_fft + octave.hop * (n_frames - 1)), dtype=real)
    kept = min(grad.shape[-1], full.shape[-1] - start)
    full[:, start : start + kept] = (grad * envelope)[:, :kept]
    frame_grads = xp.reshape(
        xp.ascontiguousarray(frames(full, octave.n_fft, octave.hop)),
        (rows * n_frames, octave.n_fft),
    )
    if octave.mode == "direct":
        w = on_device(host_kernel, xp, real, dev_id)  # (2 n_f, n_fft)
        interleaved = xp.ascontiguousarray(xp.matmul(frame_grads, w.T))
        return interleaved.view(complex_dtype)
    k = on_device(host_kernel, xp, complex_dtype, dev_id)  # (n_f, band)
    spec = fft_module(xp).rfft(frame_grads, axis=-1)
    spec *= _bin_weights(octave.n_fft, 2.0, spec).T / octave.n_fft
    return xp.matmul(spec[:, octave.lo : octave.hi], xp.conj(k).T)


@on_input_device
def icqt_adjoint(grad, inverse, n_frames: int, length):
    """Adjoint of ``inverse(C, length=length)`` (a ``constantq._InverseCQT``) for ``C`` of
    ``n_frames`` frames: ``grad (..., L)`` real -> ``(..., n_bins, n_frames)`` complex."""
    xp = array_namespace(grad)
    s = inverse.schedule
    lead = grad.shape[:-1]
    grad = xp.reshape(grad, (-1, grad.shape[-1]))
    rows, real = grad.shape[0], grad.dtype
    complex_dtype = xp.complex64 if real == xp.float32 else xp.complex128
    used = n_frames
    if length is not None:
        used = min(n_frames, math.ceil((length + s.max_length) / inverse.hop_length))
    out = xp.zeros((rows, inverse.n_bins, n_frames), dtype=complex_dtype)
    if used < 2:  # the forward returned zeros
        return xp.reshape(out, lead + out.shape[-2:])
    # the forward's lengths: each octave's overlap-add, the running sum's before each addition
    n_outs = [octave.hop * (used - 1) for octave in s.octaves]
    running, rate, factors = [], None, []
    for octave, n_out in zip(s.octaves, n_outs, strict=True):
        if rate is None:
            size = n_out
            factors.append(1)
        else:
            factors.append(rate // octave.upsample)
            size = running[-1] * factors[-1]
        running.append(size)
        rate = octave.upsample
    # undo the final crop or zero-padding, then the final upsampling
    full_length = running[-1] * rate
    signal = xp.zeros((rows, full_length), dtype=real)
    kept = min(full_length, grad.shape[-1])
    signal[:, :kept] = grad[:, :kept]
    signal = upsample_adjoint(signal, rate, running[-1])
    row_grads = xp.zeros((rows * used, inverse.n_bins), dtype=complex_dtype)
    with single_threaded_blas(xp):
        _inverse_octaves_adjoint(signal, row_grads, inverse, used, n_outs, running, factors)
    row_grads = xp.reshape(row_grads, (rows, used, inverse.n_bins))
    out[:, :, :used] = xp.permute_dims(row_grads, (0, 2, 1))
    return xp.reshape(out, lead + out.shape[-2:])


def _inverse_octaves_adjoint(signal, row_grads, inverse, used, n_outs, running, factors):
    """The octave loop of :func:`icqt_adjoint`, last octave first, into ``row_grads``."""
    xp = array_namespace(signal)
    s = inverse.schedule
    rows, real = signal.shape[0], signal.dtype
    for i in reversed(range(len(s.octaves))):
        octave = s.octaves[i]
        n_out = n_outs[i]
        mine = xp.zeros((rows, n_out), dtype=real)
        common = min(running[i], n_out)
        mine[:, :common] = signal[:, :common]
        envelope = on_device(
            _rectangular_envelope(octave.n_fft, octave.hop, used, octave.n_fft // 2, n_out),
            xp,
            real,
            device_of(signal),
        )
        row_grads[:, octave.bin_start : octave.bin_stop] += _inverse_octave_adjoint(
            mine, octave, s.kernels[i], used, envelope, xp
        )
        if i > 0:
            signal = upsample_adjoint(signal, factors[i], running[i - 1])


class ICQTFunction(torch.autograd.Function):
    """``inverse(C, length=length)`` (inverse CQT) with the exact adjoint as backward."""

    @staticmethod
    def forward(ctx, C, inverse, length, dtype):
        ctx.inverse, ctx.length, ctx.n_frames = inverse, length, C.shape[-1]
        ctx.real_input = not C.is_complex()
        ctx.work = torch.float32 if C.dtype in (torch.float32, torch.complex64) else torch.float64
        y = inverse(_bridge.to_array(C), length=length, dtype=dtype)
        return _bridge.to_tensor(y, C)

    @staticmethod
    def backward(ctx, grad):
        work = grad.to(ctx.work)
        adjoint = icqt_adjoint(_bridge.to_array(work), ctx.inverse, ctx.n_frames, ctx.length)
        adjoint = _bridge.to_tensor(adjoint, grad)
        return (adjoint.real if ctx.real_input else adjoint), None, None, None
