"""Multirate CQT/VQT plan: octave schedule, kernels and decimation filter (host, float64).

Algorithm (spec section 4.3 option (b), librosa's schedule): octaves are
processed from the top.  Octave ``j`` is analysed at rate ``sr / 2**s_j``
with that octave's filters only (``n_fft`` = next power of two of its
longest filter at that rate), then the signal is low-passed and decimated by
two and the hop halved, while the hop is even (hops such as 500 or 511 stop
halving, as in librosa PR #1381).  Like librosa, the top octave may start
after "early" decimations when the basis sits far below Nyquist.

Two choices differ from librosa and make it fast:

* Decimation is a symmetric half-band FIR (Kaiser, 100 dB) designed for the
  band the remaining kernels actually read: passband up to the highest
  frequency any later (sparsified) kernel touches, stopband from what would
  alias into it.  For the default 84-bin C1 CQT that is ~15 taps, not a
  resampler flat to 0.91 x Nyquist.
* Each octave's sparsified frequency-domain kernel ``B`` (librosa's, same
  sparsity rule) is applied either as is after an rFFT of the frames
  ("fft" mode, banded complex GEMM over the non-zero columns) or folded into
  a time-domain kernel ``W[n] = sum_f B[f] exp(-2i pi f n / n_fft)`` so that
  the frames need no FFT at all ("direct" mode, one real GEMM
  ``frames @ [Re W, Im W]``).  Both are the same linear map; the cheaper one
  is picked per octave.

All scale factors (``sqrt(lengths)`` for ``scale=True``, the ``2**s_j``
compensating the lower rate) are folded into the kernels.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._cache import host_table
from ._constant_q_filters import (
    _lengths_host,
    _wavelet_host,
    equal_tempered_alpha,
    relative_bandwidth,
)
from ._errors import ParameterError

# direct (time-domain GEMM) when 2 * n_filters <= _DIRECT_COST * log2(n_fft):
# measured on the CPU, an n-point rFFT costs about as much as a GEMM with
# ~4*log2(n) real output columns.
_DIRECT_COST = 4.0
_STOPBAND_DB = 100.0


class Octave(NamedTuple):
    bin_start: int  # output rows [bin_start, bin_stop)
    bin_stop: int
    n_fft: int
    hop: int
    decimate_before: bool  # halve the signal before this octave
    mode: str  # "direct" or "fft"
    lo: int  # fft mode: first non-zero kernel column
    hi: int


class Schedule(NamedTuple):
    n_early: int  # decimations before the top octave
    octaves: tuple  # of Octave, top first
    kernels: tuple  # per octave: direct (n_fft, 2*nf) float64 / fft (hi-lo, nf) complex128
    odd_taps: np.ndarray  # half-band decimator (odd offsets 1, 3, ...)
    centre: float
    lengths: np.ndarray  # filter lengths at sr, for reference
    n_samples_min: int  # shortest signal accepted


def num_two_factors(x: int) -> int:
    n = 0
    while x > 0 and x % 2 == 0:
        x //= 2
        n += 1
    return n


def sparsify_rows(x: np.ndarray, quantile: float) -> np.ndarray:
    """Zero the smallest entries of each row holding ``quantile`` of its L1 mass.

    The rule of ``librosa.util.sparsify_rows`` (kept: ``|x| >= `` the sorted
    magnitude where the cumulative share first reaches ``quantile``).
    """
    mags = np.abs(x)
    norms = np.sum(mags, axis=1, keepdims=True)
    mag_sort = np.sort(mags, axis=1)
    cumulative = np.cumsum(mag_sort / norms, axis=1)
    idx = np.argmin(cumulative < quantile, axis=1)
    keep = mags >= mag_sort[np.arange(x.shape[0]), idx][:, None]
    return np.where(keep, x, 0)


def halfband_taps(passband: float) -> tuple[np.ndarray, float]:
    """Kaiser half-band low-pass flat (1e-5) on [0, passband] of the input Nyquist.

    The stopband starts at ``1 - passband``: that is the band that would
    alias onto [0, passband] after keeping every other sample.
    """
    p = min(max(passband, 0.05), 0.45)
    width = (1 - 2 * p) * math.pi
    order = math.ceil((_STOPBAND_DB - 7.95) / (2.285 * width))
    n_taps = max(1, math.ceil(math.ceil(order / 2) / 2))  # odd offsets 1..2n-1
    reach = 2 * n_taps - 1
    beta = 0.1102 * (_STOPBAND_DB - 8.7)
    offsets = np.arange(-reach, reach + 1)
    h = 0.5 * np.sinc(offsets / 2.0) * np.kaiser(2 * reach + 1, beta)
    h /= np.sum(h)
    return h[reach + 1 :: 2].copy(), float(h[reach])


@host_table
def build_schedule(
    sr: float,
    hop_length: int,
    fmin: float,
    n_bins: int,
    bins_per_octave: int,
    filter_scale: float,
    norm,
    sparsity: float,
    window,
    scale: bool,
    gamma,
    alpha,
) -> Schedule:
    """All host-side tables of one CQT/VQT configuration (float64, cached)."""
    freqs = fmin * 2.0 ** (np.arange(n_bins, dtype=np.float64) / bins_per_octave)
    if alpha is None:
        if n_bins == 1:
            alpha_all = np.array([equal_tempered_alpha(bins_per_octave)])
        else:
            alpha_all = relative_bandwidth(freqs)
    else:
        alpha_all = np.full(n_bins, float(alpha))
    alpha_t = tuple(float(a) for a in alpha_all)
    freqs_t = tuple(float(f) for f in freqs)
    lengths, f_cutoff = _lengths_host(freqs_t, sr, window, filter_scale, gamma, alpha_t)
    nyquist = sr / 2.0
    if f_cutoff > nyquist:
        fmax_t = float(np.max(freqs[-bins_per_octave:]))
        raise ParameterError(
            f"Wavelet basis with max frequency={fmax_t} would exceed the Nyquist "
            f"frequency={nyquist}. Try reducing the number of frequency bins "
            f"(sr={sr}, fmin and tuning, n_bins={n_bins}, bins_per_octave={bins_per_octave}, "
            f"filter_scale={filter_scale}, gamma={gamma}, alpha={alpha} set the filters' "
            "upper band edge)."
        )

    n_octaves = int(math.ceil(n_bins / bins_per_octave))
    n_filters = min(bins_per_octave, n_bins)
    # librosa's early downsampling count
    count1 = max(0, int(math.ceil(math.log2(nyquist / f_cutoff)) - 1) - 1)
    count2 = max(0, num_two_factors(hop_length) - n_octaves + 1)
    n_early = min(count1, count2)
    my_sr, my_hop, n_decim = sr / 2**n_early, hop_length // 2**n_early, n_early

    octaves, kernels, top_freqs, decims = [], [], [], []
    decimate_next = False
    for i in range(n_octaves):
        stop = n_bins - n_filters * i
        start = max(0, stop - n_filters)
        sl = slice(start, stop)
        basis, oct_lengths = _wavelet_host(
            freqs_t[sl], my_sr, window, filter_scale, gamma, alpha_t[sl], True, norm
        )
        n_fft = basis.shape[1]
        fft_basis = np.fft.fft(basis * (oct_lengths[:, None] / n_fft), axis=1)
        fft_basis = fft_basis[:, : n_fft // 2 + 1]
        if sparsity > 0:
            fft_basis = sparsify_rows(fft_basis, sparsity)
        # the lower rate shrinks the response by 2**n_decim; scale divides by sqrt(l at sr)
        gain = np.full(stop - start, float(2**n_decim))
        if scale:
            gain /= np.sqrt(lengths[sl])
        fft_basis = fft_basis * gain[:, None]
        nonzero = np.flatnonzero(np.any(fft_basis != 0, axis=0))
        lo, hi = int(nonzero[0]), int(nonzero[-1]) + 1
        n_f = stop - start
        if 2 * n_f <= _DIRECT_COST * math.log2(max(n_fft, 2)):
            mode = "direct"
            padded = np.zeros((n_f, n_fft), dtype=np.complex128)
            padded[:, : n_fft // 2 + 1] = fft_basis
            w = np.fft.fft(padded, axis=1)  # W[k, n] = sum_f B[k, f] e^{-2i pi f n / N}
            kernel = np.ascontiguousarray(w.T).view(np.float64).copy()  # (n_fft, 2 n_f)
        else:
            mode = "fft"
            kernel = np.ascontiguousarray(fft_basis[:, lo:hi].T)  # (band, n_f)
        octaves.append(Octave(start, stop, n_fft, my_hop, decimate_next, mode, lo, hi))
        kernels.append(kernel)
        top_freqs.append((hi - 1) * my_sr / n_fft)
        decims.append(n_decim)
        decimate_next = my_hop % 2 == 0 and i + 1 < n_octaves
        if decimate_next:
            my_hop //= 2
            my_sr /= 2.0
            n_decim += 1

    # decimator: flat wherever a later kernel reads, for every halving
    passband = 0.0
    for level in range(1, max(decims) + 1):
        rate_before = sr / 2 ** (level - 1)
        later = [f for f, d in zip(top_freqs, decims, strict=True) if d >= level]
        passband = max(passband, max(later) / (rate_before / 2))
    odd_taps, centre = halfband_taps(passband)
    n_samples_min = int(math.ceil(float(np.max(lengths))))
    return Schedule(
        n_early, tuple(octaves), tuple(kernels), odd_taps, centre, lengths, n_samples_min
    )


# ---------------------------------------------------------------- inverse (librosa.icqt)


class InverseOctave(NamedTuple):
    bin_start: int  # input rows [bin_start, bin_stop)
    bin_stop: int
    n_fft: int  # frame length at this octave's rate
    hop: int  # hop at this octave's rate
    upsample: int  # sr / octave rate (a power of two)
    mode: str  # "direct" (time-domain synthesis GEMM) or "fft" (band GEMM + inverse rFFT)
    lo: int  # fft mode: frame-spectrum columns [lo, hi) the octave's filters touch
    hi: int


class InverseSchedule(NamedTuple):
    octaves: tuple  # of InverseOctave, lowest first (librosa.icqt's order)
    # per octave: direct (2 n_f, n_fft) float64, rows interleaved (Re, Im) of the input;
    # fft (n_f, hi - lo) complex128: C rows -> frame spectrum band
    kernels: tuple
    max_length: float  # longest filter at sr (librosa's frame trimming for ``length``)


@host_table
def build_inverse_schedule(
    sr: float,
    hop_length: int,
    fmin: float,
    n_bins: int,
    bins_per_octave: int,
    filter_scale: float,
    norm,
    sparsity: float,
    window,
    scale: bool,
) -> InverseSchedule:
    """Host tables of librosa 0.11's ``icqt`` (float64, cached).

    Octaves are grouped from the bottom (the top one may be partial).  Octave
    ``i`` (rate ``sr_i``, hop ``h_i``; both halve per octave down while the hop
    is even) uses the conjugate transpose of its own sparsified frequency-domain
    kernel ``B`` (as in the forward transform), each filter's column weighted by
    ``n_fft / (l_k ||B_k||^2)`` and, with ``scale``, ``sqrt(l_k)`` (``l_k`` the
    length at ``sr``).  ``icqt`` turns the resulting frame spectra into a signal
    by an inverse rFFT and a rectangular-window overlap-add, then upsamples it
    to ``sr``.  As in the forward plan, short octaves fold the inverse rFFT
    into the kernel ("direct": ``frame = Re(c) @ Re(V) - Im(c) @ Im(V)`` with
    ``V[k, n] = irfft`` of row ``k``'s spectrum, one real GEMM).
    """
    freqs = fmin * 2.0 ** (np.arange(n_bins, dtype=np.float64) / bins_per_octave)
    if n_bins == 1:
        alpha_all = np.array([equal_tempered_alpha(bins_per_octave)])
    else:
        alpha_all = relative_bandwidth(freqs)
    alpha_t = tuple(float(a) for a in alpha_all)
    freqs_t = tuple(float(f) for f in freqs)
    lengths, f_cutoff = _lengths_host(freqs_t, sr, window, filter_scale, 0.0, alpha_t)
    if f_cutoff > sr / 2.0:
        raise ParameterError(
            f"Wavelet basis with max frequency={float(freqs[-1])} would exceed the Nyquist "
            f"frequency={sr / 2.0}. Check n_bins (C.shape[-2]), fmin and bins_per_octave "
            f"(sr={sr}, filter_scale={filter_scale} set the filters' upper band edge)."
        )
    n_octaves = int(math.ceil(n_bins / bins_per_octave))
    # rates and hops from the top octave down, halving while the hop is even
    rates, hops = [1], [hop_length]
    for _ in range(n_octaves - 1):
        if hops[0] % 2 == 0:
            rates.insert(0, rates[0] * 2)
            hops.insert(0, hops[0] // 2)
        else:
            rates.insert(0, rates[0])
            hops.insert(0, hops[0])
    octaves, kernels = [], []
    for i, (factor, hop) in enumerate(zip(rates, hops, strict=True)):
        start = bins_per_octave * i
        stop = min(n_bins, start + bins_per_octave)
        sl = slice(start, stop)
        my_sr = sr / factor
        basis, oct_lengths = _wavelet_host(
            freqs_t[sl], my_sr, window, filter_scale, 0.0, alpha_t[sl], True, norm
        )
        n_fft = basis.shape[1]
        fft_basis = np.fft.fft(basis * (oct_lengths[:, None] / n_fft), axis=1)
        fft_basis = fft_basis[:, : n_fft // 2 + 1]
        if sparsity > 0:
            fft_basis = sparsify_rows(fft_basis, sparsity)
        weight = n_fft / (lengths[sl] * np.sum(np.abs(fft_basis) ** 2, axis=1))
        if scale:
            weight *= np.sqrt(lengths[sl])
        nonzero = np.flatnonzero(np.any(fft_basis != 0, axis=0))
        lo, hi = int(nonzero[0]), int(nonzero[-1]) + 1
        band = np.conj(fft_basis[:, lo:hi]) * weight[:, None]  # (n_f, hi - lo)
        n_f = stop - start
        if 2 * n_f <= _DIRECT_COST * math.log2(max(n_fft, 2)):
            mode = "direct"
            spectra = np.zeros((n_f, n_fft // 2 + 1), dtype=np.complex128)
            spectra[:, lo:hi] = band
            # irfft is linear over reals: a complex row c gives Re(c) irfft(S) + Im(c) irfft(iS)
            kernel = np.empty((2 * n_f, n_fft))
            kernel[0::2] = np.fft.irfft(spectra, n=n_fft, axis=1)
            kernel[1::2] = np.fft.irfft(1j * spectra, n=n_fft, axis=1)
        else:
            mode = "fft"
            kernel = np.ascontiguousarray(band)
        octaves.append(InverseOctave(start, stop, n_fft, hop, factor, mode, lo, hi))
        kernels.append(kernel)
    return InverseSchedule(tuple(octaves), tuple(kernels), float(np.max(lengths)))
