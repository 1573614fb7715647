"""Spectral features: mel spectrogram, MFCC, STFT chroma and gammatonegram.

Each feature is ``bank @ |stft(y)|**power`` with a cached filter bank from
:mod:`sigpu.filters`, computed as **one 2-D GEMM** over all frames of all
signals (``(n_bands, F) x (F, B*T)``), in the input's dtype, on the input's
device.  Plan objects (:class:`MelSpectrogram`, :class:`MFCC`,
:class:`Gammatonegram`) validate their parameters and build their banks once;
calling them gives bit-for-bit the functional result.
"""

from __future__ import annotations

import math

import numpy as np

from . import _feature_inverse as inverse
from . import _warnings, filters
from ._backend import array_namespace, device_of, fft_module, kernel, on_input_device, to_host
from ._cache import host_table, on_device
from ._errors import ParameterError
from ._feature_stack import delta, stack_memory
from ._frame_features import rms, zero_crossing_rate
from ._pitch_features import chroma_cens, chroma_vqt, tonnetz
from ._rhythm import fourier_tempogram, tempogram
from ._spectral_features import (
    poly_features,
    spectral_bandwidth,
    spectral_centroid,
    spectral_contrast,
    spectral_flatness,
    spectral_rolloff,
)
from ._validate import (
    nonnegative_float,
    norm_order,
    one_of,
    positive_float,
    positive_int,
    real_array,
)
from .constantq import chroma_cqt
from .spectrum import fused_kernel_pays, magnitude_power, power_to_db, spectrogram, stft

__all__ = [
    "melspectrogram",
    "mfcc",
    "chroma_stft",
    "gammatonegram",
    "estimate_tuning",
    "MelSpectrogram",
    "MFCC",
    "Gammatonegram",
    # issue 19: librosa.feature's everyday features and librosa.feature.inverse
    "rms",
    "spectral_centroid",
    "spectral_bandwidth",
    "spectral_rolloff",
    "spectral_flatness",
    "spectral_contrast",
    "poly_features",
    "zero_crossing_rate",
    "delta",
    "stack_memory",
    "tonnetz",
    "chroma_cens",
    "chroma_cqt",
    "chroma_vqt",
    "inverse",
    # issue 19: librosa.feature.rhythm
    "tempogram",
    "fourier_tempogram",
]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


# ---------------------------------------------------------------------------
# plumbing shared by every feature
# ---------------------------------------------------------------------------


def apply_bank(bank, S, xp):
    """``bank (M, F)`` applied along axis -2 of ``S (..., F, T)`` -> ``(..., M, T)``.

    One 2-D product whatever the batch shape.  A time-major ``S`` (what
    :func:`sigpu.stft` produces: the frames' rFFTs are rows) is used in place as
    ``(B*T, F) @ (F, M)`` (on the CPU a band-limited bank such as mel is applied band by
    band: ``spectrum.apply_bank``, or below numba's break-even size a few GEMMs over the
    bands, ``bank.apply``); a frequency-major batch is gathered once into
    ``(F, B*T)``.  The result may be a transposed view (time-major); callers
    needing C order copy it.
    """
    *lead, n_freq, n_frames = S.shape
    n_items = math.prod(lead)
    time_major = xp.swapaxes(S, -1, -2)
    if time_major.flags.c_contiguous:
        rows = xp.reshape(time_major, (n_items * n_frames, n_freq))
        if fused_kernel_pays(rows.size):
            out = kernel(xp, "spectrum.apply_bank")(rows, bank)  # band-wise on the CPU
        else:  # no numba start-up for a small input; GEMMs over the bands on the CPU
            out = kernel(xp, "bank.apply")(rows, bank)
        return xp.swapaxes(xp.reshape(out, (*lead, n_frames, bank.shape[0])), -1, -2)
    if n_items == 1:
        out = xp.matmul(bank, xp.reshape(S, (n_freq, n_frames)))
        return xp.reshape(out, (*lead, bank.shape[0], n_frames))
    columns = xp.reshape(xp.moveaxis(S, -2, 0), (n_freq, n_items * n_frames))
    out = xp.reshape(xp.matmul(bank, columns), (bank.shape[0], *lead, n_frames))
    return xp.moveaxis(out, 0, -2)


def _bank_on(host, S, xp):
    return on_device(host, xp, S.dtype, device_of(S))


def _power_spectrogram(y, S, *, n_fft, stft_kw, power, func):
    """(xp, S) from ``S`` (checked against ``n_fft``) or from ``|stft(y)|**power``."""
    if S is not None:
        xp = real_array(S, "S", func=func, min_ndim=2)
        if S.shape[-2] != 1 + n_fft // 2:
            raise ParameterError(
                f"S has {S.shape[-2]} frequency rows but n_fft={n_fft} gives {1 + n_fft // 2}; "
                f"pass the n_fft S was computed with (e.g. n_fft={2 * (S.shape[-2] - 1)})"
            )
        return xp, S
    if y is None:
        raise ParameterError(f"{func}: pass either a signal y or a spectrogram S")
    xp = real_array(y, "y", func=func)
    D = stft(y, n_fft=n_fft, **stft_kw)
    return xp, magnitude_power(D, power, xp)


def _stft_kwargs(hop_length, win_length, window, center, pad_mode):
    return dict(
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )


# ---------------------------------------------------------------------------
# mel spectrogram
# ---------------------------------------------------------------------------


def _mel_host_bank(sr, n_fft, n_mels, fmin, fmax, htk, norm):
    return filters._mel_table(
        sr=sr,
        n_fft=positive_int(n_fft, "n_fft"),
        n_mels=n_mels,
        fmin=fmin,
        fmax=fmax,
        htk=htk,
        norm=norm,
    )


def _melspectrogram(y, S, bank_host, n_fft, stft_kw, power):
    xp, S = _power_spectrogram(
        y, S, n_fft=n_fft, stft_kw=stft_kw, power=power, func="melspectrogram"
    )
    return apply_bank(_bank_on(bank_host, S, xp), S, xp)


@on_input_device
def melspectrogram(
    y=None,
    *,
    sr=22050,
    S=None,
    n_fft=2048,
    hop_length=512,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
    power=2.0,
    n_mels=128,
    fmin=0.0,
    fmax=None,
    htk=False,
    norm="slaney",
):
    """Mel-scaled spectrogram ``mel_basis @ |stft(y)|**power``.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal (NumPy or CuPy). Ignored when ``S`` is given.
    sr : float > 0
    S : array, shape (..., 1 + n_fft // 2, T), optional
        Precomputed (power) spectrogram; its row count must equal ``1 + n_fft // 2``.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.stft` (``pad_mode="constant"``: zero
        padding, librosa's default).
    power : float > 0
        Exponent of the magnitude (2 = power, 1 = energy).
    n_mels, fmin, fmax, htk, norm
        Filter bank parameters, see :func:`sigpu.filters.mel`.

    Returns
    -------
    M : array, shape (..., n_mels, T), dtype of ``y`` / ``S``
        May be a transposed view of a time-major array (no copy is made).

    See Also
    --------
    MelSpectrogram : Mel spectrogram plan: bank built once.
    mfcc : Mel-frequency cepstral coefficients.
    sigpu.filters.mel : Mel filter bank.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.melspectrogram``.  The bank is
    cached per parameters and per (backend, device, dtype); the product is one
    2-D GEMM over all frames of all signals.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32)
    >>> M = sigpu.feature.melspectrogram(y, sr=22050, n_mels=64)
    >>> M.shape, M.dtype
    ((2, 64, 44), dtype('float32'))
    """
    bank = _mel_host_bank(sr, n_fft, n_mels, fmin, fmax, htk, norm)
    power = positive_float(power, "power")
    stft_kw = _stft_kwargs(hop_length, win_length, window, center, pad_mode)
    return _melspectrogram(y, S, bank, n_fft, stft_kw, power)


# ---------------------------------------------------------------------------
# MFCC
# ---------------------------------------------------------------------------


@host_table
def _lifter_weights(n_mfcc, lifter):
    return 1.0 + (lifter / 2.0) * np.sin(np.pi * np.arange(1, n_mfcc + 1) / lifter)


def _dct1(x, norm, xp):
    """scipy.fft.dct(x, type=1, norm=norm, axis=-2) as the rFFT of the even extension.

    cupyx.scipy.fft has no DCT-I, so both backends use this form.
    """
    n = x.shape[-2]
    if norm == "ortho":
        ends = xp.ones((n, 1), dtype=x.dtype)
        ends[0, 0] = ends[-1, 0] = math.sqrt(2.0)
        x = x * ends
    mirrored = xp.flip(x[..., 1:-1, :], axis=-2)
    even = xp.concat([x, mirrored], axis=-2)
    y = xp.real(fft_module(xp).rfft(even, axis=-2))
    if norm == "ortho":
        ends = xp.full((n, 1), math.sqrt(0.5 / (n - 1)), dtype=x.dtype)
        ends[0, 0] = ends[-1, 0] = 0.5 / math.sqrt(n - 1)
        y = y * ends
    elif norm == "forward":
        y = y / (2 * (n - 1))
    return y


def _mfcc_params(n_mfcc, dct_type, norm, lifter, top_db):
    n_mfcc = positive_int(n_mfcc, "n_mfcc")
    if dct_type not in (1, 2, 3) or isinstance(dct_type, bool):
        raise ParameterError(f"dct_type={dct_type!r} is not supported; choose 1, 2 or 3")
    norm = one_of(norm, "norm", (None, "ortho", "backward", "forward"))
    if isinstance(lifter, bool):
        raise ParameterError(f"lifter={lifter!r} must be a non-negative number")
    try:
        lifter = nonnegative_float(lifter, "lifter")
    except ParameterError:
        raise ParameterError(f"MFCC lifter={lifter!r} must be a non-negative number") from None
    if top_db is not None:
        top_db = nonnegative_float(top_db, "top_db")
    return n_mfcc, int(dct_type), norm, lifter, top_db


def _cepstrum(S_db, n_mfcc, dct_type, norm, lifter, xp):
    n_mels = S_db.shape[-2]
    if n_mfcc > n_mels:
        raise ParameterError(
            f"n_mfcc={n_mfcc} exceeds the number of mel bands ({n_mels}); "
            "lower n_mfcc or raise n_mels"
        )
    if dct_type == 1:
        if n_mels < 2:
            raise ParameterError("dct_type=1 needs at least 2 mel bands")
        M = _dct1(S_db, norm, xp)[..., :n_mfcc, :]
    else:
        # The FFT-based DCT of the whole mel axis (as librosa): more accurate in
        # float32 than a truncated DCT matrix product.
        M = fft_module(xp).dct(S_db, type=dct_type, norm=norm, axis=-2)[..., :n_mfcc, :]
    if lifter > 0:
        weights = _bank_on(_lifter_weights(n_mfcc, lifter), S_db, xp)
        M = M * weights[:, None]
    return M


@on_input_device
def mfcc(
    y=None,
    *,
    sr=22050,
    S=None,
    n_mfcc=20,
    dct_type=2,
    norm="ortho",
    lifter=0,
    mel_norm="slaney",
    top_db=80.0,
    **melspectrogram_kwargs,
):
    """Mel-frequency cepstral coefficients.

    ``S_db = power_to_db(melspectrogram(y, norm=mel_norm, ...), top_db=top_db)``, then
    ``M = dct(S_db, type=dct_type, norm=norm, axis=-2)[..., :n_mfcc, :]``, and with
    ``lifter > 0`` row ``i`` is scaled by ``1 + (lifter / 2) sin(π (i + 1) / lifter)``.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
    sr : float > 0
    S : array, shape (..., n_mels, T), optional
        Log-power mel spectrogram (dB); used instead of ``y``.
    n_mfcc : int > 0
        Number of coefficients kept (at most the number of mel bands).
    dct_type : {1, 2, 3}
    norm : {"ortho", None, "backward", "forward"}
        DCT normalisation as ``scipy.fft.dct``.
    lifter : float >= 0
        Cepstral liftering parameter (0 = none).
    mel_norm : {"slaney", None} or number
        ``norm`` of the mel bank.
    top_db : float >= 0 or None
        Passed to :func:`sigpu.power_to_db` (sigpu addition, default as librosa's
        fixed 80 dB).  The threshold is relative to the maximum over **the whole
        batch** (librosa's semantics); use ``top_db=None`` to make every item
        independent of the others.
    **melspectrogram_kwargs
        ``n_fft``, ``hop_length``, ``win_length``, ``window``, ``center``,
        ``pad_mode``, ``power``, ``n_mels``, ``fmin``, ``fmax``, ``htk``.

    Returns
    -------
    M : array, shape (..., n_mfcc, T), dtype of the input

    See Also
    --------
    MFCC : MFCC plan: mel bank built once.
    melspectrogram : Mel-scaled power spectrogram.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.mfcc``.  DCT-II/III through
    ``scipy.fft.dct`` / ``cupyx.scipy.fft.dct``; DCT-I (which cupyx lacks) as the
    real rFFT of the even extension on both backends.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> sigpu.feature.mfcc(y, sr=22050, n_mfcc=13).shape
    (13, 44)
    """
    n_mfcc, dct_type, norm, lifter, top_db = _mfcc_params(n_mfcc, dct_type, norm, lifter, top_db)
    if S is None:
        bad = set(melspectrogram_kwargs) - _MEL_KWARGS
        if bad:
            raise TypeError(f"mfcc() got unexpected keyword argument(s) {sorted(bad)}")
        norm_order(mel_norm, "mel_norm", allow_slaney=True)  # named as the caller named it
        S = melspectrogram(y, sr=sr, norm=mel_norm, **melspectrogram_kwargs)
        S = power_to_db(S, top_db=top_db)
        xp = array_namespace(S)
    else:
        xp = real_array(S, "S", func="mfcc", min_ndim=2)
    return _cepstrum(S, n_mfcc, dct_type, norm, lifter, xp)


_MEL_KWARGS = {
    "n_fft",
    "hop_length",
    "win_length",
    "window",
    "center",
    "pad_mode",
    "power",
    "n_mels",
    "fmin",
    "fmax",
    "htk",
}


# ---------------------------------------------------------------------------
# chroma from the STFT, with librosa's tuning estimate
# ---------------------------------------------------------------------------


def _local_max(S, xp):
    """librosa.util.localmax along axis -2: x[i] > x[i-1] and x[i] >= x[i+1]."""
    inner = (S[..., 1:-1, :] > S[..., :-2, :]) & (S[..., 1:-1, :] >= S[..., 2:, :])
    first = xp.zeros_like(S[..., :1, :], dtype=xp.bool)
    last = S[..., -1:, :] > S[..., -2:-1, :]
    return xp.concat([first, inner, last], axis=-2)


def _peak_pitches(S, sr, n_fft, fmin, fmax, threshold, xp):
    """librosa's ``piptrack`` at its peaks only: ``(pitch, mag)`` of each spectral peak, in
    the order of ``nonzero`` (librosa's full pitch and magnitude arrays hold these values
    there and zeros elsewhere).

    A peak is a local maximum along frequency of ``S * (S > threshold * max)`` in
    ``[fmin, fmax)``; its parabolic offset ``-b/a`` (``a = right + left - 2 mid``,
    ``b = (right - left)/2``, 0 where ``|b| >= |a|`` or at the edges) moves its frequency,
    and ``0.5 * gradient * offset`` its magnitude.  Only the peaks (a few per cent of the
    bins) get these, in librosa's arithmetic (bit for bit).
    """
    n_freq = S.shape[-2]
    bin_freqs = xp.arange(n_freq, dtype=xp.float64) * (sr / n_fft)
    in_range = ((bin_freqs >= fmin) & (bin_freqs < fmax))[:, None]
    ref = threshold * xp.max(S, axis=-2, keepdims=True)
    peaks = in_range & _local_max(S * (S > ref), xp)
    # nonzero's indices, in its order; 5x faster than nonzero on a 3-D NumPy array
    where = xp.unravel_index(xp.flatnonzero(peaks), peaks.shape)
    rows = where[-2]

    def at_rows(r):
        return S[(*where[:-2], r, where[-1])]

    mid = at_rows(rows)
    # not xp.clip: array-api-compat's CuPy clip indexes with boolean masks (syncs)
    left = at_rows(xp.maximum(rows - 1, 0))
    right = at_rows(xp.minimum(rows + 1, n_freq - 1))
    # librosa's numba stencil sums and differences in S's dtype and goes on in float64
    # (2 * x and x / 2 with integer constants promote there); one rounding at the end
    a = xp.astype(right + left, xp.float64) - 2 * xp.astype(mid, xp.float64)
    b = xp.astype(right - left, xp.float64) / 2
    usable = (xp.abs(b) < xp.abs(a)) & (rows > 0) & (rows < n_freq - 1)
    shift = xp.where(usable, -b / xp.where(usable, a, 1.0), 0.0)
    shift = xp.astype(shift, S.dtype)
    # numpy.gradient along frequency (its one-sided edge values meet a zero shift)
    gradient = (right - left) / 2
    pitch = xp.astype((xp.astype(rows, xp.float64) + shift) * sr / n_fft, S.dtype)
    mag = mid + 0.5 * gradient * shift
    return pitch, mag


@on_input_device
def estimate_tuning(
    y=None,
    *,
    sr=22050,
    S=None,
    n_fft=2048,
    resolution=0.01,
    bins_per_octave=12,
    hop_length=None,
    fmin=150.0,
    fmax=4000.0,
    threshold=0.1,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
):
    """Tuning offset (fraction of a bin) from parabolically interpolated spectral peaks.

    Parameters
    ----------
    y : array, shape (..., n), optional
    sr : float > 0
    S : array, shape (..., 1 + n_fft // 2, T), optional
        Magnitude or power spectrogram (used as given, like librosa).
    n_fft : int > 0
        ``n_fft`` of ``S`` (inferred from ``S`` as librosa when it does not fit).
    resolution : float in (0, 1)
        Histogram bin width in fractions of a bin.
    bins_per_octave : int > 0
    hop_length, win_length, window, center, pad_mode
        STFT parameters when ``y`` is given (``hop_length=None``: ``n_fft // 4``).
    fmin, fmax : float
        Frequency range searched for peaks.
    threshold : float
        Peaks below ``threshold * max`` of their frame are ignored.

    Returns
    -------
    tuning : float
        In ``[-0.5, 0.5)``, a histogram bin edge, like librosa.  One value for the
        whole batch (all items pooled, as librosa).

    See Also
    --------
    chroma_stft : Chromagram from an STFT.
    sigpu.constantq.cqt : Constant-Q transform.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.estimate_tuning`` (``piptrack`` +
    ``pitch_tuning``).  On CuPy the median, histogram and the returned scalar
    synchronise with the device (the result is a Python float).

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 440.0 * 2 ** (0.25 / 12) * np.arange(sr) / sr)
    >>> round(sigpu.feature.estimate_tuning(y, sr=sr), 2)  # librosa: 0.24 too (histogram bin edge)
    0.24
    """
    resolution = positive_float(resolution, "resolution")
    if not 1e-6 <= resolution < 1:  # below, the histogram of offsets has millions of bins
        raise ParameterError(f"resolution={resolution!r} must be in [1e-6, 1)")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    fmin = nonnegative_float(fmin, "fmin")
    fmax = positive_float(fmax, "fmax")
    threshold = nonnegative_float(threshold, "threshold")
    if S is not None:
        xp = real_array(S, "S", func="estimate_tuning", min_ndim=2)
        if S.shape[-2] != 1 + int(n_fft) // 2:
            n_fft = 2 * (S.shape[-2] - 1)  # librosa infers n_fft from S here
        S = xp.abs(S)
    else:
        if y is None:
            raise ParameterError("estimate_tuning: pass either a signal y or a spectrogram S")
        xp = real_array(y, "y", func="estimate_tuning")
        S = spectrogram(
            y,
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
            power=1.0,
        )
    return _tuning_from_magnitude(
        S, sr, n_fft, fmin, fmax, threshold, resolution, bins_per_octave, xp
    )


def _tuning_from_magnitude(S, sr, n_fft, fmin, fmax, threshold, resolution, bpo, xp):
    """librosa's piptrack + estimate_tuning + pitch_tuning on a magnitude ``S``."""
    sr = positive_float(sr, "sr")
    fmin = max(float(fmin), 0.0)
    fmax = min(float(fmax), sr / 2)
    n_freq = S.shape[-2]
    if n_freq < 3:
        raise ParameterError(f"estimate_tuning needs at least 3 frequency rows, got {n_freq}")
    pitch, mag = _peak_pitches(S, sr, n_fft, fmin, fmax, threshold, xp)
    # librosa: the peaks with pitch > 0 and magnitude >= the median of theirs.  As masks
    # over all peaks rather than boolean indexing, so that a GPU copies nothing to the
    # host until the one answer (boolean indexing sizes its result from the data).
    voiced = pitch > 0
    floor = _masked_median(mag, voiced, xp)
    selected = (mag >= floor) & voiced
    # Residual of each peak against the equal-tempered grid, folded to [-0.5, 0.5)
    # (in the input's precision, like librosa).
    safe_pitch = xp.where(selected, pitch, xp.asarray(440.0 / 16, dtype=pitch.dtype))
    residual = xp.remainder(bpo * xp.log2(safe_pitch / (440.0 / 16)), 1.0)
    residual = xp.where(residual >= 0.5, residual - 1.0, residual)
    edges = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    counts = _histogram_counts(residual, selected, edges, xp)
    n_selected, best = (int(v) for v in to_host(xp.stack([xp.sum(counts), xp.argmax(counts)])))
    if n_selected == 0:
        _warnings.warn("Trying to estimate tuning from empty frequency set.")
        return 0.0
    return float(edges[best])


def _masked_median(values, mask, xp):
    """numpy.median(values[mask]) (0 for an empty mask), on the device."""
    n = xp.sum(xp.astype(mask, xp.int64))
    inf = xp.full((1,), np.inf, dtype=values.dtype)  # one more: never empty
    ordered = xp.sort(xp.concat([xp.where(mask, values, inf), inf]))
    low = xp.take(ordered, xp.reshape(xp.maximum((n - 1) // 2, 0), (1,)))
    high = xp.take(ordered, xp.reshape(xp.maximum(n // 2, 0), (1,)))
    median = xp.reshape((low + high) / 2, ())  # numpy's mean of the two middle values
    return xp.where(n > 0, median, xp.zeros_like(median))


def _histogram_counts(values, selected, edges, xp):
    """numpy.histogram(values[selected], edges) counts (last bin closed) on the device:
    unselected values and values outside the edges go to an extra bin that is dropped."""
    n_bins = len(edges) - 1
    index = xp.searchsorted(xp.asarray(edges), values, side="right") - 1
    index = xp.where(values == edges[-1], n_bins - 1, index)
    keep = selected & (index >= 0) & (index < n_bins)
    return xp.bincount(xp.where(keep, index, n_bins), minlength=n_bins + 1)[:n_bins]


@on_input_device
def chroma_stft(
    y=None,
    *,
    sr=22050,
    S=None,
    norm=np.inf,
    n_fft=2048,
    hop_length=512,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
    tuning=None,
    n_chroma=12,
    **chroma_kwargs,
):
    """Chromagram from a power spectrogram: ``normalize(chroma_bank @ |stft(y)|**2)``.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
    sr : float > 0
    S : array, shape (..., 1 + n_fft // 2, T), optional
        Power spectrogram used instead of ``y``.
    norm : float or None
        Norm of each frame along the chroma axis (default max-norm); frames whose
        norm is below the dtype's smallest normal number are left as they are.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.stft`.
    tuning : float or None
        Deviation from A440 in fractions of a chroma bin; ``None`` estimates it
        with :func:`estimate_tuning` (one value for the whole batch, as librosa).
    n_chroma : int > 0
    **chroma_kwargs
        ``ctroct``, ``octwidth``, ``base_c`` of :func:`sigpu.filters.chroma`.

    Returns
    -------
    chroma : array, shape (..., n_chroma, T)

    See Also
    --------
    sigpu.constantq.chroma_cqt : Chromagram from a constant-Q transform.
    sigpu.filters.chroma : Chroma filter bank over FFT bins.
    estimate_tuning : Tuning offset of a signal, in fractions of a bin.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.chroma_stft``.  Non-finite input
    is not rejected (librosa raises); NaN propagates into the affected frames.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 440.0 * np.arange(sr) / sr).astype(np.float32)
    >>> C = sigpu.feature.chroma_stft(y, sr=sr, tuning=0.0)
    >>> C.shape, int(C[:, 20].argmax())  # A is pitch class 9 counted from C
    ((12, 44), 9)
    """
    bad = set(chroma_kwargs) - {"ctroct", "octwidth", "base_c"}
    if bad:
        raise TypeError(f"chroma_stft() got unexpected keyword argument(s) {sorted(bad)}")
    n_fft = positive_int(n_fft, "n_fft")
    n_chroma = positive_int(n_chroma, "n_chroma")
    norm = norm_order(norm)
    stft_kw = _stft_kwargs(hop_length, win_length, window, center, pad_mode)
    xp, S = _power_spectrogram(y, S, n_fft=n_fft, stft_kw=stft_kw, power=2.0, func="chroma_stft")
    if tuning is None:
        # librosa calls estimate_tuning(S=S) with its default n_fft=2048, which
        # re-infers n_fft = 2 * (F - 1) from S unless 2048 fits.
        n_fft_tuning = 2048 if S.shape[-2] == 1025 else 2 * (S.shape[-2] - 1)
        tuning = _tuning_from_magnitude(
            xp.abs(S), sr, n_fft_tuning, 150.0, 4000.0, 0.1, 0.01, n_chroma, xp
        )
    bank = filters._chroma_table(
        sr=sr,
        n_fft=n_fft,
        n_chroma=n_chroma,
        tuning=tuning,
        ctroct=chroma_kwargs.get("ctroct", 5.0),
        octwidth=chroma_kwargs.get("octwidth", 2),
        norm=2,
        base_c=chroma_kwargs.get("base_c", True),
    )
    raw = apply_bank(_bank_on(bank, S, xp), S, xp)
    return filters.normalize(raw, norm, -2, xp)


# ---------------------------------------------------------------------------
# gammatonegram
# ---------------------------------------------------------------------------


def _gammatonegram(y, bank_host, n_fft, stft_kw, power):
    xp, S = _power_spectrogram(
        y, None, n_fft=n_fft, stft_kw=stft_kw, power=power, func="gammatonegram"
    )
    return apply_bank(_bank_on(bank_host, S, xp), S, xp)


@on_input_device
def gammatonegram(
    y,
    *,
    sr=22050,
    n_fft=2048,
    hop_length=512,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
    power=2.0,
    n_bins=64,
    fmin=0.0,
    fmax=None,
):
    """Gammatone spectrogram ``gammatone_bank @ |stft(y)|**power``.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64
    sr : float > 0
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.stft` (zero padding by default; nnAudio
        pads by reflection).
    power : float > 0
    n_bins, fmin, fmax
        Bank parameters, see :func:`sigpu.filters.gammatone`.

    Returns
    -------
    G : array, shape (..., n_bins, T), dtype of ``y``

    See Also
    --------
    Gammatonegram : Gammatonegram plan: bank built once.
    sigpu.filters.gammatone : Gammatone filter bank over FFT bins.

    Notes
    -----
    NumPy and CuPy. No librosa equivalent; matches nnAudio's ``Gammatonegram``
    (D. Ellis' ``fft2gammatonemx`` weights) apart from the padding mode.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> sigpu.feature.gammatonegram(y, sr=22050).shape
    (64, 44)
    """
    n_fft = positive_int(n_fft, "n_fft")
    bank = filters._gammatone_table(
        sr=sr, n_fft=n_fft, n_bins=n_bins, width=1.0, fmin=fmin, fmax=fmax
    )
    power = positive_float(power, "power")
    stft_kw = _stft_kwargs(hop_length, win_length, window, center, pad_mode)
    return _gammatonegram(y, bank, n_fft, stft_kw, power)


# ---------------------------------------------------------------------------
# plan objects
# ---------------------------------------------------------------------------


class MelSpectrogram:
    """Reusable :func:`melspectrogram` with its mel bank built once.

    Calling the plan on a NumPy or CuPy array returns exactly
    ``melspectrogram(y, ...)``; the bank is copied once per (backend, device, dtype).

    Parameters
    ----------
    sr, n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`melspectrogram` (keyword-only).
    power, n_mels, fmin, fmax, htk, norm
        As for :func:`melspectrogram` (keyword-only).

    See Also
    --------
    melspectrogram : Mel-scaled power spectrogram.
    MFCC : MFCC plan: mel bank built once.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> plan = sigpu.feature.MelSpectrogram(sr=16000, n_fft=512, hop_length=160, n_mels=40)
    >>> plan(np.zeros((3, 16000), np.float32)).shape
    (3, 40, 101)
    """

    def __init__(
        self,
        *,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        power=2.0,
        n_mels=128,
        fmin=0.0,
        fmax=None,
        htk=False,
        norm="slaney",
    ):
        self.n_fft = positive_int(n_fft, "n_fft")
        self.power = positive_float(power, "power")
        self.stft_kw = _stft_kwargs(hop_length, win_length, window, center, pad_mode)
        self.bank_host = _mel_host_bank(sr, n_fft, n_mels, fmin, fmax, htk, norm)
        self.n_mels = self.bank_host.shape[0]

    def bank(self, xp=None, dtype=np.float32, device=None):
        """Return the mel bank on ``xp``/``device`` as ``dtype`` (cached).

        Parameters
        ----------
        xp : module or None
            ``numpy`` or ``cupy`` (None: NumPy).
        dtype : float dtype
            The bank's precision: float32 or float64.
        device : int or None
            CuPy device id (None: the current device).

        Returns
        -------
        bank : array, shape (n_mels, 1 + n_fft // 2)
            Read-only; the same array on every call with the same arguments.
        """
        return filters._deliver(self.bank_host, dtype, xp, device)

    @on_input_device
    def __call__(self, y=None, *, S=None):
        """Compute the mel spectrogram of ``y`` (or of a spectrogram ``S``).

        Parameters
        ----------
        y : array, shape (..., n), float32/float64, optional
            Signal.
        S : array, shape (..., 1 + n_fft // 2, n_frames), optional
            Magnitude spectrogram raised to ``power``; used instead of ``y``.

        Returns
        -------
        M : array, shape (..., n_mels, n_frames)
            Equal to ``melspectrogram(y, ...)`` (or ``melspectrogram(S=S, ...)``).
        """
        return _melspectrogram(y, S, self.bank_host, self.n_fft, self.stft_kw, self.power)


class MFCC:
    """Reusable :func:`mfcc` with its mel bank built once.

    Calling the plan returns exactly ``mfcc(y, ...)``; the DCT is computed as in
    :func:`mfcc` (``scipy.fft.dct`` / ``cupyx.scipy.fft.dct``), so the plan holds
    only the mel plan.

    Parameters
    ----------
    sr, n_mfcc, dct_type, norm, lifter, mel_norm, top_db, **melspectrogram_kwargs
        As for :func:`mfcc` (keyword-only).

    See Also
    --------
    mfcc : Mel-frequency cepstral coefficients.
    MelSpectrogram : Mel spectrogram plan: bank built once.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> plan = sigpu.feature.MFCC(sr=16000, n_mfcc=13, n_fft=512, hop_length=160, n_mels=40)
    >>> plan(np.ones((2, 16000), np.float32)).shape
    (2, 13, 101)
    """

    def __init__(
        self,
        *,
        sr=22050,
        n_mfcc=20,
        dct_type=2,
        norm="ortho",
        lifter=0,
        mel_norm="slaney",
        top_db=80.0,
        **melspectrogram_kwargs,
    ):
        bad = set(melspectrogram_kwargs) - _MEL_KWARGS
        if bad:
            raise TypeError(f"MFCC() got unexpected keyword argument(s) {sorted(bad)}")
        params = _mfcc_params(n_mfcc, dct_type, norm, lifter, top_db)
        self.n_mfcc, self.dct_type, self.norm, self.lifter, self.top_db = params
        norm_order(mel_norm, "mel_norm", allow_slaney=True)
        self.mel = MelSpectrogram(sr=sr, norm=mel_norm, **melspectrogram_kwargs)
        if self.n_mfcc > self.mel.n_mels:
            raise ParameterError(
                f"n_mfcc={self.n_mfcc} exceeds the number of mel bands ({self.mel.n_mels}); "
                "lower n_mfcc or raise n_mels"
            )

    @on_input_device
    def __call__(self, y=None, *, S=None):
        """Compute the MFCCs of ``y`` (or of a log-power mel spectrogram ``S``).

        Parameters
        ----------
        y : array, shape (..., n), float32/float64, optional
            Signal.
        S : array, shape (..., n_mels, n_frames), optional
            Log-power mel spectrogram (dB); used instead of ``y``, as in :func:`mfcc`.

        Returns
        -------
        M : array, shape (..., n_mfcc, n_frames)
            Equal to ``mfcc(y, ...)`` (or ``mfcc(S=S, ...)``).
        """
        if S is None:
            S = power_to_db(self.mel(y), top_db=self.top_db)
            xp = array_namespace(S)
        else:
            xp = real_array(S, "S", func="MFCC", min_ndim=2)
        return _cepstrum(S, self.n_mfcc, self.dct_type, self.norm, self.lifter, xp)


class Gammatonegram:
    """Reusable :func:`gammatonegram` with its gammatone bank built once.

    Calling the plan returns exactly ``gammatonegram(y, ...)``.

    Parameters
    ----------
    sr, n_fft, hop_length, win_length, window, center, pad_mode, power, n_bins, fmin, fmax
        As for :func:`gammatonegram` (keyword-only).

    See Also
    --------
    gammatonegram : Gammatone-weighted spectrogram.
    MelSpectrogram : Mel spectrogram plan: bank built once.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> plan = sigpu.feature.Gammatonegram(sr=16000, n_fft=512, hop_length=160, n_bins=32)
    >>> plan(np.zeros(16000, np.float64)).shape
    (32, 101)
    """

    def __init__(
        self,
        *,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        power=2.0,
        n_bins=64,
        fmin=0.0,
        fmax=None,
    ):
        self.n_fft = positive_int(n_fft, "n_fft")
        self.power = positive_float(power, "power")
        self.stft_kw = _stft_kwargs(hop_length, win_length, window, center, pad_mode)
        self.bank_host = filters._gammatone_table(
            sr=sr, n_fft=n_fft, n_bins=n_bins, width=1.0, fmin=fmin, fmax=fmax
        )

    @on_input_device
    def __call__(self, y):
        """Compute the gammatonegram of ``y``.

        Parameters
        ----------
        y : array, shape (..., n), float32/float64
            Signal.

        Returns
        -------
        G : array, shape (..., n_bins, n_frames)
            Equal to ``gammatonegram(y, ...)``.
        """
        return _gammatonegram(y, self.bank_host, self.n_fft, self.stft_kw, self.power)
