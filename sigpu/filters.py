"""Filter banks that map linear-frequency spectrogram rows to mel, chroma and gammatone bands.

Each bank is built once in float64 on the host by a :func:`sigpu._cache.host_table`
builder keyed by its parameters, then copied once per (backend, device, dtype)
by :func:`sigpu._cache.on_device`.  The public functions return a read-only
cached array on NumPy (copy it before modifying) and a cached CuPy array on a
GPU; the feature functions in :mod:`sigpu.feature` use the very same cache.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _warnings
from ._backend import namespace_for
from ._cache import host_table, on_device
from ._constant_q_filters import constant_q, cq_to_chroma, wavelet, wavelet_lengths
from ._errors import ParameterError
from ._validate import nonnegative_float, norm_order, positive_float, positive_int, real_dtype
from .convert import fft_frequencies, hz_to_mel, mel_to_hz, tuned_frequency

__all__ = [
    "mel",
    "chroma",
    "gammatone",
    # constant-Q / wavelet banks, built in sigpu._constant_q_filters
    "wavelet",
    "wavelet_lengths",
    "constant_q",
    "cq_to_chroma",
]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------


def normalize(S, norm, axis: int, xp):
    """librosa.util.normalize(S, norm=norm, axis=axis) with ``fill=None``.

    Vectors whose norm is below the dtype's smallest normal number are left
    unscaled (librosa's default threshold).  Works on any ``xp`` array in its own
    dtype; ``norm`` must already have passed :func:`sigpu._validate.norm_order`.
    """
    if norm is None:
        return S
    mag = xp.abs(S)
    if norm == math.inf:
        length = xp.max(mag, axis=axis, keepdims=True)
    elif norm == -math.inf:
        length = xp.min(mag, axis=axis, keepdims=True)
    elif norm == 0:
        length = xp.sum(xp.astype(mag > 0, S.dtype), axis=axis, keepdims=True)
    else:
        length = xp.sum(mag**norm, axis=axis, keepdims=True) ** (1.0 / norm)
    tiny = np.finfo(S.dtype).tiny
    length = xp.where(length < tiny, xp.ones_like(length), length)
    return S / length


def _out_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype={dtype!r} must be float32 or float64") from exc
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dtype={dtype!r} must be float32 or float64")
    return real_dtype(dt)


def _deliver(host, dtype, xp, device):
    return on_device(host, namespace_for(xp), _out_dtype(dtype), device)


def _frequency_range(sr, fmin, fmax):
    sr = positive_float(sr, "sr")
    fmin = nonnegative_float(fmin, "fmin")
    fmax = sr / 2.0 if fmax is None else nonnegative_float(fmax, "fmax")
    if fmax > sr / 2.0:
        # librosa only warns (its top bands then cover no FFT bins and come out
        # truncated or empty); a band past Nyquist is always a mistake, so refuse it.
        raise ParameterError(f"fmax={fmax!r} must be <= sr/2={sr / 2.0!r} (the Nyquist frequency)")
    if fmax <= fmin:
        raise ParameterError(f"fmax={fmax!r} must be greater than fmin={fmin!r}")
    return sr, fmin, fmax


# ---------------------------------------------------------------------------
# mel
# ---------------------------------------------------------------------------


@host_table
def _mel_host(sr, n_fft, n_mels, fmin, fmax, htk, norm):
    """(weights float64 (n_mels, 1 + n_fft // 2), has_empty_filter)."""
    fft_freqs = np.asarray(fft_frequencies(sr=sr, n_fft=n_fft))
    # n_mels + 2 points equally spaced in mel: filter i rises from point i to
    # point i + 1 and falls to point i + 2.
    mel_points = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels + 2)
    edges = np.asarray(mel_to_hz(mel_points, htk=htk))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (fft_freqs - lower) / (centre - lower)
    falling = (upper - fft_freqs) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if norm == "slaney":
        # Area normalisation: every triangle integrates to the same energy.
        weights *= 2.0 / (upper - lower)
    else:
        weights = normalize(weights, norm, -1, np)
    # librosa's test: a filter is empty when its row is all zero, unless its
    # lower edge sits at 0 Hz.
    has_empty = bool(np.any((edges[:-2] != 0) & ~(weights.max(axis=1) > 0)))
    return np.ascontiguousarray(weights), has_empty


def _mel_table(*, sr, n_fft, n_mels, fmin, fmax, htk, norm):
    n_fft = positive_int(n_fft, "n_fft")
    n_mels = positive_int(n_mels, "n_mels")
    sr, fmin, fmax = _frequency_range(sr, fmin, fmax)
    norm = norm_order(norm, allow_slaney=True)
    weights, has_empty = _mel_host(sr, n_fft, n_mels, fmin, fmax, bool(htk), norm)
    if has_empty:
        _warnings.warn(
            "Empty filters detected in mel frequency basis. "
            "Some channels will produce empty responses. "
            "Try increasing your sampling rate (and fmax) or reducing n_mels."
        )
    return weights


def mel(
    *,
    sr,
    n_fft,
    n_mels=128,
    fmin=0.0,
    fmax=None,
    htk=False,
    norm="slaney",
    dtype=np.float32,
    xp=None,
    device=None,
):
    """Mel filter bank: triangles on the mel scale at the FFT bin frequencies.

    Parameters
    ----------
    sr : float > 0
        Sampling rate (Hz).
    n_fft : int > 0
        FFT length; the bank has ``1 + n_fft // 2`` columns.
    n_mels : int > 0
        Number of mel bands.
    fmin : float >= 0
        Lower edge (Hz) of the first band.
    fmax : float > fmin or None
        Upper edge (Hz) of the last band; ``None`` means ``sr / 2``.  Values above
        ``sr / 2`` raise ParameterError (librosa only warns). Too many bands for
        ``n_fft`` give empty bands and librosa's "Empty filters" UserWarning.
    htk : bool
        HTK's mel scale ``2595 log10(1 + f/700)`` instead of Slaney's.
    norm : {"slaney", None} or number
        ``"slaney"`` scales band ``i`` by ``2 / (f_{i+2} - f_i)`` (equal area);
        a number normalises each band to unit p-norm (``numpy.inf`` = max);
        ``None`` leaves peaks at 1.
    dtype : float32 or float64
    xp : None, "numpy", "cupy" or module
        Namespace of the result (NumPy by default).
    device : int or None
        CuPy device id (current device if None).

    Returns
    -------
    weights : array, shape (n_mels, 1 + n_fft // 2)
        Read-only on NumPy (it is the cached table).

    Warns
    -----
    UserWarning
        "Empty filters detected in mel frequency basis" when a band (not starting
        at 0 Hz) covers no FFT bin, exactly as librosa.

    See Also
    --------
    sigpu.feature.melspectrogram : Mel-scaled power spectrogram.
    sigpu.mel_frequencies : Centre frequencies of mel bands.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.filters.mel`` (Slaney's Auditory Toolbox
    and HTK scales).  Band ``i`` on mel points ``f_0 < ... < f_{n_mels+1}`` is
    ``max(0, min((f - f_i)/(f_{i+1} - f_i), (f_{i+2} - f)/(f_{i+2} - f_{i+1})))``.
    Built in float64, then cast; cached by its parameters.

    Examples
    --------
    >>> import sigpu.filters
    >>> M = sigpu.filters.mel(sr=22050, n_fft=2048, n_mels=64)
    >>> M.shape, M.dtype
    ((64, 1025), dtype('float32'))
    """
    weights = _mel_table(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm
    )
    return _deliver(weights, dtype, xp, device)


# ---------------------------------------------------------------------------
# chroma
# ---------------------------------------------------------------------------


@host_table
def _chroma_host(sr, n_fft, n_chroma, tuning, ctroct, octwidth, norm, base_c):
    """float64 (n_chroma, 1 + n_fft // 2), D. Ellis' chroma weights as in librosa."""
    a440 = tuned_frequency(440.0, tuning, n_chroma)
    # Frequencies of all n_fft FFT bins but DC, in fractional chroma bins
    # above C0-ish (A440 / 16).
    freqs = np.arange(1, n_fft, dtype=np.float64) * (sr / n_fft)
    bins = n_chroma * np.log2(freqs / (a440 / 16.0))
    # DC gets a made-up position 1.5 octaves below bin 1 (broad, 50 % rotated).
    bins = np.concatenate(([bins[0] - 1.5 * n_chroma], bins))
    bin_widths = np.concatenate((np.maximum(np.diff(bins), 1.0), [1.0]))
    half = np.round(n_chroma / 2.0)
    # Distance of each FFT bin to each chroma class, wrapped to [-half, n_chroma - half).
    distance = bins[None, :] - np.arange(n_chroma, dtype=np.float64)[:, None]
    distance = np.remainder(distance + half + 10 * n_chroma, n_chroma) - half
    weights = np.exp(-0.5 * (2.0 * distance / bin_widths) ** 2)
    weights = normalize(weights, norm, 0, np)
    if octwidth is not None:
        # Gaussian emphasis around octave ctroct.
        weights = weights * np.exp(-0.5 * ((bins / n_chroma - ctroct) / octwidth) ** 2)
    if base_c:
        weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(weights[:, : 1 + n_fft // 2])


def _chroma_table(*, sr, n_fft, n_chroma, tuning, ctroct, octwidth, norm, base_c):
    sr = positive_float(sr, "sr")
    n_fft = positive_int(n_fft, "n_fft")
    n_chroma = positive_int(n_chroma, "n_chroma")
    if not isinstance(tuning, numbers.Real) or not math.isfinite(tuning):
        raise ParameterError(f"tuning={tuning!r} must be a finite number (fraction of a bin)")
    if not isinstance(ctroct, numbers.Real) or not math.isfinite(ctroct):
        raise ParameterError(f"ctroct={ctroct!r} must be a finite number")
    if octwidth is not None:
        octwidth = positive_float(octwidth, "octwidth")
    norm = norm_order(norm)
    return _chroma_host(
        sr, n_fft, n_chroma, float(tuning), float(ctroct), octwidth, norm, bool(base_c)
    )


def chroma(
    *,
    sr,
    n_fft,
    n_chroma=12,
    tuning=0.0,
    ctroct=5.0,
    octwidth=2,
    norm=2,
    base_c=True,
    dtype=np.float32,
    xp=None,
    device=None,
):
    """Chroma filter bank: Gaussian bumps mapping FFT bins to pitch classes.

    Parameters
    ----------
    sr : float > 0
    n_fft : int > 0
    n_chroma : int > 0
        Number of pitch classes per octave.
    tuning : float
        Deviation from A440 tuning in fractions of a chroma bin.
    ctroct, octwidth : float, float > 0 or None
        Centre (octaves above C0) and width (octaves) of the Gaussian octave
        weighting; ``octwidth=None`` weights all octaves equally.
    norm : number or None
        The p-norm of each FFT column before the octave weighting (default 2).
    base_c : bool
        Start the bank at C (True) or at A (False).
    dtype : float32 or float64
    xp : None, "numpy", "cupy" or module
    device : int or None

    Returns
    -------
    weights : array, shape (n_chroma, 1 + n_fft // 2)

    See Also
    --------
    sigpu.feature.chroma_stft : Chromagram from an STFT.
    cq_to_chroma : Constant-Q bins to chroma matrix.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.filters.chroma`` (D. Ellis' ``chromagram_E``).

    Examples
    --------
    >>> import sigpu.filters
    >>> sigpu.filters.chroma(sr=22050, n_fft=4096).shape
    (12, 2049)
    """
    weights = _chroma_table(
        sr=sr,
        n_fft=n_fft,
        n_chroma=n_chroma,
        tuning=tuning,
        ctroct=ctroct,
        octwidth=octwidth,
        norm=norm,
        base_c=base_c,
    )
    return _deliver(weights, dtype, xp, device)


# ---------------------------------------------------------------------------
# gammatone
# ---------------------------------------------------------------------------

# Glasberg & Moore ERB parameters as in Slaney's MakeERBFilters.
_EAR_Q = 9.26449
_MIN_BW = 24.7


@host_table
def _gammatone_host(sr, n_fft, n_bins, width, fmin, fmax):
    """float64 (n_bins, 1 + n_fft // 2): Ellis' fft2gammatonemx magnitude response."""
    # Centre frequencies equally spaced on the ERB-rate scale, from just below
    # fmax down to fmin, then ascending.
    step = np.arange(1, n_bins + 1, dtype=np.float64)
    em = _EAR_Q * _MIN_BW
    centre = (fmax + em) * np.exp(step * (np.log(fmin + em) - np.log(fmax + em)) / n_bins) - em
    centre = centre[::-1][:, None]

    period = 1.0 / sr
    bandwidth = 2.0 * np.pi * 1.019 * width * (centre / _EAR_Q + _MIN_BW)
    theta = 2.0 * np.pi * centre * period
    decay = np.exp(-bandwidth * period)
    pole = decay * np.exp(1j * theta)
    # Slaney's 4th-order gammatone = four 2nd-order sections sharing the pole
    # pair and each with one real zero decay * (cos θ ± sqrt(3 ± 2^1.5) sin θ).
    root_minus, root_plus = math.sqrt(3.0 - 2.0**1.5), math.sqrt(3.0 + 2.0**1.5)
    zeros = [decay * (np.cos(theta) + s * np.sin(theta)) for s in (root_plus, -root_plus)]
    zeros += [decay * (np.cos(theta) + s * np.sin(theta)) for s in (root_minus, -root_minus)]

    # Gain of the cascade at its centre frequency (MakeERBFilters), so that each
    # band peaks near T^4 / gain * |H| ~ 1 before the 1/n_fft scaling.
    e2 = np.exp(2j * theta)
    section = [
        -2.0 * e2 * period
        + 2.0 * decay * np.exp(1j * theta) * period * (np.cos(theta) + s * np.sin(theta))
        for s in (-root_minus, root_minus, -root_plus, root_plus)
    ]
    denominator = -2.0 * decay**2 - 2.0 * e2 + 2.0 * (1.0 + e2) * decay
    gain = np.abs(section[0] * section[1] * section[2] * section[3] / denominator**4)

    # Evaluate |H(z)| on the unit circle at the rFFT bins.
    z = np.exp(2j * np.pi * np.arange(1 + n_fft // 2) / n_fft)[None, :]
    numerator = np.ones((n_bins, z.shape[1]))
    for zero in zeros:
        numerator = numerator * np.abs(z - zero)
    poles = np.abs((pole - z) * (np.conj(pole) - z)) ** 4
    weights = (period**4 / gain) * numerator / poles / n_fft
    return np.ascontiguousarray(weights)


def _gammatone_table(*, sr, n_fft, n_bins, width, fmin, fmax):
    n_fft = positive_int(n_fft, "n_fft")
    n_bins = positive_int(n_bins, "n_bins")
    width = positive_float(width, "width")
    sr, fmin, fmax = _frequency_range(sr, fmin, fmax)
    return _gammatone_host(sr, n_fft, n_bins, width, fmin, fmax)


def gammatone(
    *,
    sr,
    n_fft,
    n_bins=64,
    width=1.0,
    fmin=0.0,
    fmax=None,
    dtype=np.float32,
    xp=None,
    device=None,
):
    """Gammatone filter bank in the FFT domain (D. Ellis' ``fft2gammatonemx``).

    Parameters
    ----------
    sr : float > 0
    n_fft : int > 0
    n_bins : int > 0
        Number of gammatone bands.
    width : float > 0
        Bandwidth of each band in ERBs.
    fmin : float >= 0
        Centre frequency (Hz) of the lowest band.
    fmax : float > fmin or None
        Upper end (Hz) of the ERB-rate range (``sr / 2`` if None); the highest
        centre frequency lies one ERB-step below it.
    dtype : float32 or float64
    xp : None, "numpy", "cupy" or module
    device : int or None

    Returns
    -------
    weights : array, shape (n_bins, 1 + n_fft // 2)

    See Also
    --------
    sigpu.feature.gammatonegram : Gammatone-weighted spectrogram.
    mel : Mel filter bank.

    Notes
    -----
    NumPy and CuPy. Reference: D. Ellis, ``fft2gammatonemx.m`` (2009), after
    M. Slaney's ``MakeERBFilters`` (Auditory Toolbox), as vendored in nnAudio's
    ``Gammatonegram`` (``get_gammatone``).  With ``E = 9.26449 * 24.7`` the centre
    frequencies are ``f_j = (fmax + E) exp(j (ln(fmin + E) - ln(fmax + E)) / n_bins) - E``
    for ``j = n_bins, ..., 1``; band ``j`` has ``B = 2π 1.019 width (f_j/9.26449 + 24.7)``,
    pole ``p = exp(-B/sr + 2πi f_j/sr)``, four real zeros
    ``z = exp(-B/sr) (cos θ ± sqrt(3 ± 2^1.5) sin θ)`` (``θ = 2π f_j / sr``), and
    weight at rFFT bin ``k`` (``u = exp(2πi k / n_fft)``)
    ``W[j, k] = T^4 / g_j · Π|u - z| · |(p - u)(p* - u)|^-4 / n_fft`` with ``T = 1/sr``
    and ``g_j`` the cascade gain at ``f_j``.  nnAudio documents ``htk``/``norm``
    arguments it does not use; they are not offered here.

    Examples
    --------
    >>> import sigpu.filters
    >>> sigpu.filters.gammatone(sr=22050, n_fft=2048).shape
    (64, 1025)
    """
    weights = _gammatone_table(sr=sr, n_fft=n_fft, n_bins=n_bins, width=width, fmin=fmin, fmax=fmax)
    return _deliver(weights, dtype, xp, device)
