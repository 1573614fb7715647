"""Rational-ratio resampling by polyphase FIR filtering, written once for NumPy and CuPy.

Resampling by ``up / down`` (coprime) with a linear-phase low-pass ``h`` designed at the
upsampled rate and centred (taps ``k = -half_len .. half_len``) computes::

    out[m] = sum_n x[n] * h[half_len + m * down - n * up]

which is ``scipy.signal.resample_poly``'s output (its ``upfirdn`` with the filter delay
removed).  Output ``m = q * up + r`` reads inputs ``n = q * down + n'`` with weights that
depend on the residue ``r`` and the offset ``n'`` only, so all outputs are one batched
matrix product: frames of the input with hop ``down`` times a ``(taps, up)`` weight table.
The residues are split into groups whose inputs overlap (a group of ``g`` consecutive
residues reads about ``taps + g * down / up`` consecutive inputs), each group a GEMM, so
a product costs about twice the filter's multiply-adds instead of ``up`` times more when
``up`` and ``down`` are large (22050 -> 16000 is 320/441).

The weight tables are built once in float64 on the host and cached (``_cache``); the
frames are gathered and multiplied in chunks of bounded size, on cuBLAS for CuPy input.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ._backend import (
    array_namespace,
    fft_module,
    frames,
    is_cupy,
    single_threaded_blas,
)
from ._cache import host_table, on_device
from ._errors import ParameterError

# soxr's "HQ" recipe (libsoxr's soxr.h; librosa's default res_type="soxr_hq"): the 0 dB
# passband ends at 0.913 of the lower Nyquist frequency, the stopband starts at that
# Nyquist frequency, and 20-bit precision; 126 dB stopband attenuation is what matched
# soxr's output best here (measured against soxr 1.1: tests/test_audio.py).
SINC_HQ_PASSBAND = 0.913
SINC_HQ_STOPBAND = 1.0
SINC_HQ_ATTENUATION_DB = 126.0

RES_TYPES = ("sinc_hq", "soxr_hq", "polyphase")
# The largest reduced up or down factor, and the largest weight table (coefficients):
# beyond them a table would take tens of MB (an odd ratio such as 22050 -> 22051).
MAX_FACTOR = 1 << 16
MAX_TABLE = 1 << 22
# Elements gathered per chunk: bounded memory (and cache-sized on the CPU).
CHUNK_ELEMENTS = {"numpy": 1 << 21, "cupy": 1 << 26}


def ratio(orig_sr: float, target_sr: float) -> tuple[int, int]:
    """``(up, down)``: ``target_sr / orig_sr`` as a reduced fraction (exact for floats)."""
    frac = Fraction(target_sr) / Fraction(orig_sr)
    return frac.numerator, frac.denominator


def _half_length(up: int, down: int, res_type: str) -> int:
    max_rate = max(up, down)
    if res_type == "polyphase":
        return 10 * max_rate  # scipy.signal.resample_poly's choice
    width = (SINC_HQ_STOPBAND - SINC_HQ_PASSBAND) / max_rate  # relative to Nyquist
    numtaps = math.ceil((SINC_HQ_ATTENUATION_DB - 7.95) / (2.285 * math.pi * width))
    return numtaps // 2 + 1


@host_table
def lowpass(up: int, down: int, res_type: str) -> np.ndarray:
    """The centred low-pass at ``up`` times the input rate (``2 * half_len + 1`` taps,
    gain ``up``): resample_poly's Kaiser(5.0) filter for "polyphase", a Kaiser-windowed
    sinc to soxr HQ's specification for "sinc_hq"."""
    max_rate = max(up, down)
    half_len = _half_length(up, down, res_type)
    if res_type == "polyphase":
        cutoff, beta = 1.0 / max_rate, 5.0
    else:
        beta = 0.1102 * (SINC_HQ_ATTENUATION_DB - 8.7)  # Kaiser's formula, > 50 dB
        cutoff = (SINC_HQ_PASSBAND + SINC_HQ_STOPBAND) / (2 * max_rate)
    return _kaiser_sinc(2 * half_len + 1, cutoff, beta) * up


def _kaiser_sinc(numtaps: int, cutoff: float, beta: float) -> np.ndarray:
    """``scipy.signal.firwin(numtaps, cutoff, window=("kaiser", beta))``: the ideal
    low-pass ``cutoff * sinc(cutoff * m)`` (``cutoff`` relative to Nyquist, ``m`` the
    taps' offsets from the centre) times a Kaiser window, scaled to unit gain at 0 Hz.
    Written here because importing scipy.signal for firwin took 0.4-2 s, the largest
    part of a fresh process's first resampled load."""
    m = np.arange(numtaps) - (numtaps - 1) / 2
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(numtaps, beta)
    return h / np.sum(h)


def _tap_ranges(up: int, down: int, half_len: int):
    # inputs n' (relative to q * down) that output residue r reads: lo[r] <= n' <= hi[r]
    residues = np.arange(up, dtype=np.int64)
    lo = -((half_len - residues * down) // up)  # ceil((r * down - half_len) / up)
    hi = (residues * down + half_len) // up
    return lo, hi


def _grouping(up: int, down: int, half_len: int):
    lo, hi = _tap_ranges(up, down, half_len)
    taps = int(np.max(hi - lo)) + 1
    group = min(up, max(1, round(taps * up / down)))
    first = np.arange(0, up, group)
    last = np.minimum(first + group, up) - 1
    width = int(np.max(hi[last] - lo[first])) + 1
    return lo, first, group, width


def check_size(up: int, down: int, res_type: str, orig_sr, target_sr) -> None:
    """ParameterError when the ratio's tables would be unreasonably large."""
    what = f"target_sr/orig_sr = {target_sr}/{orig_sr} reduces to {up}/{down}"
    hint = "; round the sampling rates to integers with a smaller common ratio"
    if max(up, down) > MAX_FACTOR:
        raise ParameterError(f"resample: {what}, above the supported {MAX_FACTOR}{hint}")
    _, first, group, width = _grouping(up, down, _half_length(up, down, res_type))
    size = first.size * width * group
    if size > MAX_TABLE:
        raise ParameterError(
            f"resample: {what}, whose filter table would hold {size} coefficients "
            f"(more than {MAX_TABLE}){hint}"
        )


@host_table
def plan(up: int, down: int, res_type: str):
    """``(weights, index, pad_left, frame_length)`` for :func:`apply`.

    ``weights[G, f, j]`` multiplies input ``q * down + starts[G] + f`` for output
    ``q * up + first[G] + j``; ``index[G, f]`` is that input's position in a frame of
    ``frame_length`` samples starting at ``q * down - pad_left``.
    """
    h = lowpass(up, down, res_type)
    half_len = (h.shape[0] - 1) // 2
    lo, first, group, width = _grouping(up, down, half_len)
    starts = lo[first]
    residue = first[:, None, None] + np.arange(group)[None, None, :]
    offset = starts[:, None, None] + np.arange(width)[None, :, None]
    k = half_len + residue * down - offset * up
    valid = (k >= 0) & (k <= 2 * half_len) & (residue < up)
    weights = np.where(valid, h[np.clip(k, 0, 2 * half_len)], 0.0)
    pad_left = int(-lo[0])
    offsets = starts + pad_left
    index = offsets[:, None] + np.arange(width)[None, :]
    frame_length = int(offsets[-1]) + width
    return weights, index, pad_left, frame_length


@host_table
def spectra(up: int, down: int, res_type: str, n_fft: int) -> np.ndarray:
    """``conj(rfft(weights[0, :, r], n_fft))`` for each residue ``r``, shape
    ``(up, n_fft // 2 + 1)``: a correlation with the weights as one product of spectra
    (for ratios whose residues form one group, see :func:`_fft_block`)."""
    weights = plan(up, down, res_type)[0][0, :, :up]  # (width, up)
    return np.conj(np.fft.rfft(weights.T, n_fft, axis=-1))


def _fft_block(up: int, down: int, width: int) -> tuple[int, int]:
    """``(n_fft, outputs per residue per block)`` of the FFT path."""
    n_fft = 1 << max(12, (4 * width - 1).bit_length())
    return n_fft, (n_fft - width) // down + 1


def _use_fft(up: int, down: int, n_groups: int, width: int, group: int) -> bool:
    # Multiply-adds per output sample of the GEMM path (its gathered copy of the frames
    # counted as 4 operations per element) against the FFT path's (one real FFT per
    # block, one inverse per residue; each about 2.5 n log2 n).
    if n_groups > 1:
        return False
    gemm = width * (2 * group + 4) / up
    n_fft, per_block = _fft_block(up, down, width)
    fft = (1 + up) * 2.5 * n_fft * math.log2(n_fft) / (per_block * up)
    return fft < gemm


def apply(x, up: int, down: int, res_type: str, n_out: int):
    """``x (..., n)`` resampled by ``up / down``: the first ``n_out`` outputs (at most
    ``ceil(n * up / down)``; the caller pads), in ``x``'s dtype and namespace."""
    xp = array_namespace(x)
    weights_host, index_host, pad_left, frame_length = plan(up, down, res_type)
    n_groups, width, group = weights_host.shape
    lead, n = x.shape[:-1], x.shape[-1]
    if n_out == 0 or n == 0:
        return xp.zeros(lead + (n_out,), dtype=x.dtype)
    batch = math.prod(lead)
    n_frames = -(-n_out // up)
    if _use_fft(up, down, n_groups, width, group):
        n_fft, per_block = _fft_block(up, down, width)
        n_frames = -(-n_frames // per_block) * per_block
        needed = (n_frames - per_block) * down + n_fft
    else:
        needed = (n_frames - 1) * down + frame_length
    padded = xp.zeros((batch, max(needed, pad_left + n)), dtype=x.dtype)
    padded[:, pad_left : pad_left + n] = xp.reshape(x, (batch, n))
    if _use_fft(up, down, n_groups, width, group):
        out = _fft_path(padded, up, down, res_type, n_fft, per_block, n_frames)
    else:
        out = _gemm_path(padded, up, down, res_type, n_frames)
    out = xp.reshape(out, (batch, -1))[:, :n_out]
    return xp.reshape(out, lead + (n_out,))


def _gemm_path(padded, up, down, res_type, n_frames):
    # frames of hop `down` (a strided view), gathered per residue group, one GEMM each
    xp = array_namespace(padded)
    weights_host, index_host, _, frame_length = plan(up, down, res_type)
    n_groups, width, group = weights_host.shape
    weights = on_device(weights_host, xp, padded.dtype)[:, None]  # (G, 1, width, group)
    index = on_device(index_host, xp, np.int64)
    batch = padded.shape[0]
    framed = frames(padded, frame_length, down)
    out = xp.empty((batch, n_frames, n_groups * group), dtype=padded.dtype)
    budget = CHUNK_ELEMENTS["cupy" if is_cupy(xp) else "numpy"]
    chunk = max(1, budget // (batch * n_groups * width))
    # many small GEMMs: multi-threaded BLAS would synchronise its threads on each
    with single_threaded_blas(xp):
        for start in range(0, n_frames, chunk):
            stop = min(start + chunk, n_frames)
            gathered = framed[:, start:stop][..., index]  # (batch, c, G, width)
            # one GEMM per group: (c, width) @ (width, group), rows strided by G * width
            product = xp.matmul(xp.moveaxis(gathered, 2, 0), weights)  # (G, batch, c, group)
            out[:, start:stop] = xp.reshape(
                xp.moveaxis(product, 0, 2), (batch, stop - start, n_groups * group)
            )
    return out[..., :up]


def _fft_path(padded, up, down, res_type, n_fft, per_block, n_frames):
    # Overlap-save: blocks of n_fft inputs, hop per_block * down; in each, the correlation
    # of the inputs with residue r's weights at every offset s <= n_fft - width is exact
    # (no wrap-around), and output q * up + r is its value at s = q * down.
    xp = array_namespace(padded)
    fft = fft_module(xp)
    spectrum = on_device(spectra(up, down, res_type, n_fft), xp, _complex(padded.dtype))
    batch = padded.shape[0]
    n_blocks = n_frames // per_block
    blocks = frames(padded, n_fft, per_block * down)[:, :n_blocks]
    budget = CHUNK_ELEMENTS["cupy" if is_cupy(xp) else "numpy"]
    chunk = max(1, budget // (batch * (up + 1) * n_fft))
    out = xp.empty((batch, n_blocks, per_block, up), dtype=padded.dtype)
    for start in range(0, n_blocks, chunk):
        stop = min(start + chunk, n_blocks)
        spec = fft.rfft(blocks[:, start:stop], n=n_fft, axis=-1)[:, :, None, :]
        corr = fft.irfft(spec * spectrum, n=n_fft, axis=-1)  # (batch, c, up, n_fft)
        picked = corr[..., : per_block * down : down]  # (batch, c, up, per_block)
        out[:, start:stop] = xp.moveaxis(picked, 2, 3)
    return out


def _complex(dtype):
    return np.complex64 if np.dtype(dtype) == np.float32 else np.complex128
