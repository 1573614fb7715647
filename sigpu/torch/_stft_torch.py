"""sigpu's STFT computed by torch itself for CPU tensors: the same frames, window and real
FFT as the ``frames.rfft_frames`` kernel, with torch's FFT (MKL on x86 builds).

Why, and when (measured, docs/performance.md, "Issue 17 (2026-12-03, session 8)"; 4 x 5 s,
n_fft 2048, float32): with one torch thread, torch's FFT over cache-sized blocks of
windowed frames took 0.85x ``torch.stft``'s time, the bridge to sigpu's NumPy STFT 0.94x
(1.18x before issue 20's blocked pocketfft).  Framing the whole padded signal first, as
``torch.stft`` does, makes a frame array larger than the caches, and a fresh array that
size costs page faults; here each block of frames is windowed into one small buffer and
transformed while it is still in cache.  With several torch threads every block's two ops
are OpenMP regions, and on a busy machine those waits made this path 10-20x slower than
the bridge, whose blocks run on sigpu's own thread pool: so this path is taken with one
torch thread only.

The values equal sigpu's NumPy STFT to rounding (another FFT library: 1e-6 of the peak in
float32, 1e-12 in float64, tested).  Everything this path does not cover goes to the bridge
(sigpu on the arrays behind the tensors), whose checks raise the errors: CUDA tensors (no
GPU has measured torch.stft against sigpu's CuPy STFT), pad modes torch lacks, signals
shorter than ``n_fft``, non-finite samples, window arrays, ``out=`` and ``dtype=``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validate import _CHECK_FINITE
from . import _bridge

__all__ = ["TORCH_PAD", "torch_stft_applies", "torch_stft"]

#: torch.nn.functional.pad's names for the pad modes torch offers
TORCH_PAD = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}

# Windowed frames per block, in bytes: 128 frames of 2048 float32 samples; 64, 128 and 256
# frames measured within 10 % of each other, the whole array 1.2-1.3x slower (page faults).
_BLOCK_BYTES = 1 << 20


def torch_stft_applies(plan, y) -> bool:
    """Whether :func:`torch_stft` computes ``plan(y)``: one torch thread, a float CPU tensor
    (one the bridge maps to a NumPy array), at least ``n_fft`` samples, finite (or
    unchecked), a pad mode torch has and a named window."""
    if torch.get_num_threads() != 1:
        return False
    if y.dtype not in (torch.float32, torch.float64) or y.ndim == 0 or y.numel() == 0:
        return False
    if y.shape[-1] < plan.n_fft or hasattr(plan.window, "shape"):
        return False
    if plan.center and plan.pad_mode not in TORCH_PAD:
        return False
    if not isinstance(_bridge.to_array(y), np.ndarray):
        return False
    # a finite sum means finite samples (NaN and inf propagate); an overflowing sum of
    # finite samples only sends the call to the bridge, which checks sample by sample
    return not _CHECK_FINITE.get() or bool(torch.isfinite(y.sum()))


def _padded_rows(plan, y):
    """``y`` as ``(B, n)`` rows, padded by ``n_fft // 2`` on both sides if centred."""
    rows = y.detach().reshape(-1, y.shape[-1])
    if not plan.center:
        return rows
    pad = plan.n_fft // 2
    if plan.pad_mode == "constant":
        return nn.functional.pad(rows, (pad, pad))
    return nn.functional.pad(rows[:, None], (pad, pad), mode=TORCH_PAD[plan.pad_mode])[:, 0]


def _blocks(batch: int, n_frames: int, per_block: int):
    """``(b0, b1, t0, t1)``: frames ``t0:t1`` of rows ``b0:b1``, about ``per_block`` frames
    each (within one row for long rows, whole rows for short ones)."""
    if n_frames >= per_block:
        for b in range(batch):
            for t0 in range(0, n_frames, per_block):
                yield b, b + 1, t0, min(t0 + per_block, n_frames)
    else:
        rows = per_block // n_frames
        for b0 in range(0, batch, rows):
            yield b0, min(b0 + rows, batch), 0, n_frames


def torch_stft(plan, y, power=None):
    """``plan(y)`` for a tensor where :func:`torch_stft_applies`: ``(..., n)`` real ->
    ``(..., F, T)`` complex of ``y``'s precision, time-major in memory like sigpu's; with
    ``power``, ``|plan(y)| ** power`` (real), squared block by block while the block's
    spectrum is in cache (no complex spectrum in memory)."""
    n_fft = plan.n_fft
    window, _ = plan._window_array(np, _bridge.numpy_dtype(y.dtype))
    window = torch.tensor(window, dtype=y.dtype)  # a copy: host tables are read-only
    frames = _padded_rows(plan, y).unfold(-1, n_fft, plan.hop_length)  # (B, T, n_fft) view
    batch, n_frames = frames.shape[:2]
    if power is None:
        out_dtype = torch.complex64 if y.dtype == torch.float32 else torch.complex128
    else:
        out_dtype = y.dtype
    out = torch.empty((batch, n_frames, n_fft // 2 + 1), dtype=out_dtype)
    per_block = max(1, _BLOCK_BYTES // (n_fft * y.element_size()))
    buffer = torch.empty(per_block * n_fft, dtype=y.dtype)
    for b0, b1, t0, t1 in _blocks(batch, n_frames, per_block):
        block = frames[b0:b1, t0:t1]
        windowed = buffer[: block.numel()].view(block.shape)
        torch.mul(block, window, out=windowed)
        if power is None:
            torch.fft.rfft(windowed, out=out[b0:b1, t0:t1])
        else:
            spectrum, squared = torch.fft.rfft(windowed), out[b0:b1, t0:t1]
            torch.mul(spectrum.real, spectrum.real, out=squared)
            squared.addcmul_(spectrum.imag, spectrum.imag)
    if power == 1.0:
        out.sqrt_()
    elif power is not None and power != 2.0:
        out.pow_(power / 2.0)
    return out.reshape(y.shape[:-1] + out.shape[-2:]).transpose(-1, -2)
