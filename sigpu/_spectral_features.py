"""Everyday frame-wise spectral features (librosa.feature's spectral family).

Each feature reads a magnitude spectrogram ``S (..., F, T)`` (given, or ``|stft(y)|``) and
reduces it along frequency with whole-array operations: a weighted sum is one GEMM over
all frames of all signals (``feature.apply_bank``), a cumulative threshold one ``cumsum``,
a band quantile one ``sort`` per octave band.
"""

from __future__ import annotations

import numpy as np

from ._backend import asarray_on, device_of, on_input_device
from ._cache import host_table, on_device
from ._errors import ParameterError
from ._frame_features import flag
from ._validate import (
    all_or_unchecked,
    finite_float,
    is_int,
    nonnegative_int,
    positive_float,
    positive_int,
    real_array,
)
from .spectrum import magnitude_power, power_to_db, stft

__all__ = [
    "spectral_centroid",
    "spectral_bandwidth",
    "spectral_rolloff",
    "spectral_flatness",
    "spectral_contrast",
    "poly_features",
]

# ---------------------------------------------------------------------------
# shared plumbing
# ---------------------------------------------------------------------------


def _spectrogram(y, S, *, n_fft, stft_kw, power, func, nonnegative=False):
    """``(xp, S, n_fft)``: ``S`` as given (``n_fft`` inferred from its rows when they do
    not match, as librosa does) or ``|stft(y)|**power``."""
    if S is not None:
        xp = real_array(S, "S", func=func, min_ndim=2)
        if not (is_int(n_fft) and n_fft // 2 + 1 == S.shape[-2]):
            n_fft = 2 * (S.shape[-2] - 1)
        if nonnegative and not all_or_unchecked(~(S < 0)):
            raise ParameterError(f"{func}: S must hold non-negative energies (S < 0 found)")
        return xp, S, n_fft
    if y is None:
        raise ParameterError(f"{func}: pass either a signal y or a spectrogram S")
    xp = real_array(y, "y", func=func)
    n_fft = positive_int(n_fft, "n_fft")
    D = stft(y, n_fft=n_fft, **stft_kw)
    return xp, magnitude_power(D, power, xp), n_fft


def _stft_kw(hop_length, win_length, window, center, pad_mode):
    return dict(
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )


@host_table
def _fft_frequencies(sr, n_fft):
    return np.fft.rfftfreq(n_fft, 1.0 / sr)


def _frequencies(freq, S, sr, n_fft, xp, func):
    """Bin frequencies in ``S``'s namespace and dtype: ``(F,)`` (fixed) or ``S``'s shape."""
    n_freq = S.shape[-2]
    if freq is None:
        sr = positive_float(sr, "sr")
        return on_device(_fft_frequencies(sr, n_fft), xp, S.dtype, device_of(S))
    real_array(freq, "freq", func=func)
    if freq.ndim == 1 and freq.shape[0] == n_freq:
        return xp.astype(freq, S.dtype)
    if freq.ndim >= 2 and freq.shape[-2] == n_freq and _broadcasts(freq.shape, S.shape):
        return xp.astype(freq, S.dtype)  # frame-varying (e.g. reassigned) frequencies
    raise ParameterError(
        f"freq has shape {tuple(freq.shape)}; it must be ({n_freq},) or broadcast to S's "
        f"shape {tuple(S.shape)}"
    )


def _broadcasts(shape, target):
    return len(shape) <= len(target) and all(
        a in (1, b) for a, b in zip(shape[::-1], target[::-1], strict=False)
    )


def _column_sums(S, xp):
    """``sum(S, axis=-2)`` with sums below the dtype's smallest normal number replaced by 1
    (librosa.util.normalize's threshold: such columns are left unscaled)."""
    total = xp.sum(S, axis=-2, keepdims=True)
    return xp.where(total < np.finfo(S.dtype).tiny, xp.ones_like(total), total)


def bank_product(bank, S, xp):
    """``bank (M, F)`` applied along axis -2 of ``S (..., F, T)``: ``feature.apply_bank``
    (one GEMM, band-wise for band-limited banks on the CPU), looked up at call time
    because sigpu.feature imports this module."""
    from .feature import apply_bank

    return apply_bank(bank, S, xp)


def _weighted_sum(freq, S, xp):
    """``sum(freq * S, axis=-2, keepdims=True)``: one GEMM for fixed frequencies."""
    if freq.ndim == 1:
        return bank_product(freq[None, :], S, xp)
    return xp.sum(freq * S, axis=-2, keepdims=True)


# ---------------------------------------------------------------------------
# spectral moments
# ---------------------------------------------------------------------------


@on_input_device
def spectral_centroid(
    y=None,
    *,
    sr=22050,
    S=None,
    n_fft=2048,
    hop_length=512,
    freq=None,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
):
    """Spectral centroid of each frame: the magnitude-weighted mean frequency.

    ``centroid[t] = sum_k freq[k] S[k, t] / sum_k S[k, t]`` (frames whose magnitudes sum
    below the dtype's smallest normal number are not normalised: 0 for silence).

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal (NumPy or CuPy); ignored when ``S`` is given.
    sr : float > 0
        Sampling rate (for the default ``freq``).
    S : array, shape (..., 1 + n_fft // 2, T), optional
        Non-negative magnitude spectrogram; ``n_fft`` is taken from its rows.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.stft`.
    freq : array, shape (F,) or broadcastable to S's shape, optional
        Frequency of each bin (default: the FFT bin frequencies), same namespace as ``S``.

    Returns
    -------
    centroid : array, shape (..., 1, T), dtype of the input

    See Also
    --------
    sigpu.feature.spectral_bandwidth : Spread around the centroid.
    sigpu.feature.spectral_rolloff : Frequency below which a share of the energy lies.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.spectral_centroid``.  A given ``S`` with
    negative values raises ``ParameterError`` (one device-to-host check on CuPy, skipped
    under ``sigpu.check_finite(False)``).

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 1000.0 * np.arange(sr) / sr)
    >>> c = sigpu.feature.spectral_centroid(y, sr=sr)
    >>> c.shape, bool(abs(np.median(c) - 1000.0) < 20)
    ((1, 44), True)
    """
    stft_kw = _stft_kw(hop_length, win_length, window, center, pad_mode)
    xp, S, n_fft = _spectrogram(
        y, S, n_fft=n_fft, stft_kw=stft_kw, power=1.0, func="spectral_centroid", nonnegative=True
    )
    freq = _frequencies(freq, S, sr, n_fft, xp, "spectral_centroid")
    return _centroid(S, freq, xp)


def _centroid(S, freq, xp):
    return _weighted_sum(freq, S, xp) / _column_sums(S, xp)


@on_input_device
def spectral_bandwidth(
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
    freq=None,
    centroid=None,
    norm=True,
    p=2,
):
    """Spectral bandwidth of order ``p``: the weighted ``p``-th moment around the centroid.

    ``bandwidth[t] = (sum_k S[k, t] |freq[k] - centroid[t]|**p) ** (1/p)``, with ``S``
    normalised to unit sum per frame when ``norm``.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal; ignored when ``S`` is given.
    sr : float > 0
        Sampling rate.
    S : array, shape (..., 1 + n_fft // 2, T), optional
        Non-negative magnitude spectrogram.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.stft`.
    freq : array, shape (F,) or broadcastable to S's shape, optional
        Frequency of each bin (default: the FFT bin frequencies).
    centroid : array, shape (..., 1, T), optional
        Precomputed centroid (default: :func:`sigpu.feature.spectral_centroid` of ``S``).
    norm : bool
        Normalise each frame of ``S`` to unit sum first.
    p : float >= 0.001
        Order of the moment.

    Returns
    -------
    bandwidth : array, shape (..., 1, T)

    See Also
    --------
    sigpu.feature.spectral_centroid : The centre the bandwidth is measured around.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.spectral_bandwidth``.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.random.default_rng(0).standard_normal(22050)
    >>> sigpu.feature.spectral_bandwidth(y, sr=22050).shape
    (1, 44)
    """
    stft_kw = _stft_kw(hop_length, win_length, window, center, pad_mode)
    func = "spectral_bandwidth"
    p = positive_float(p, "p")
    if p < 1e-3:  # the 1/p-th root of a sum would overflow at the sum's rounding error
        raise ParameterError(f"p={p!r} must be at least 0.001")
    norm = flag(norm, "norm")
    xp, S, n_fft = _spectrogram(
        y, S, n_fft=n_fft, stft_kw=stft_kw, power=1.0, func=func, nonnegative=True
    )
    freq = _frequencies(freq, S, sr, n_fft, xp, func)
    if centroid is None:
        centroid = _centroid(S, freq, xp)
    else:
        real_array(centroid, "centroid", func=func, min_ndim=2)
        if centroid.shape != S.shape[:-2] + (1, S.shape[-1]):
            raise ParameterError(
                f"centroid has shape {tuple(centroid.shape)}; S needs "
                f"{S.shape[:-2] + (1, S.shape[-1])}"
            )
    column = freq[:, None] if freq.ndim == 1 else freq
    deviation = xp.abs(column - xp.astype(centroid, S.dtype))
    if norm:
        S = S / _column_sums(S, xp)
    # deviations scaled by their largest per frame: no overflow of deviation**p for large p
    largest = xp.max(deviation, axis=-2, keepdims=True)
    largest = xp.where(largest > 0, largest, xp.ones_like(largest))
    moment = xp.sum(S * (deviation / largest) ** p, axis=-2, keepdims=True)
    return moment ** (1.0 / p) * largest


@on_input_device
def spectral_rolloff(
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
    freq=None,
    roll_percent=0.85,
):
    """Roll-off frequency: the lowest frequency below which ``roll_percent`` of the energy lies.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal; ignored when ``S`` is given.
    sr : float > 0
        Sampling rate.
    S : array, shape (..., 1 + n_fft // 2, T), optional
        Non-negative magnitude spectrogram.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.stft`.
    freq : array, shape (F,) or broadcastable to S's shape, optional
        Frequency of each bin (default: the FFT bin frequencies).
    roll_percent : float in (0, 1)
        Share of the frame's total (cumulated over increasing bin index).

    Returns
    -------
    rolloff : array, shape (..., 1, T)
        The smallest ``freq[k]`` with ``cumsum(S)[k] >= roll_percent * sum(S)``.

    See Also
    --------
    sigpu.feature.spectral_centroid : Magnitude-weighted mean frequency.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.spectral_rolloff``.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.random.default_rng(0).standard_normal(22050)
    >>> sigpu.feature.spectral_rolloff(y, sr=22050, roll_percent=0.5).shape
    (1, 44)
    """
    roll_percent = finite_float(roll_percent, "roll_percent")
    if not 0.0 < roll_percent < 1.0:
        raise ParameterError(f"roll_percent={roll_percent!r} must lie in the range (0, 1)")
    stft_kw = _stft_kw(hop_length, win_length, window, center, pad_mode)
    func = "spectral_rolloff"
    xp, S, n_fft = _spectrogram(
        y, S, n_fft=n_fft, stft_kw=stft_kw, power=1.0, func=func, nonnegative=True
    )
    freq = _frequencies(freq, S, sr, n_fft, xp, func)
    total = xp.cumsum(S, axis=-2)
    reached = total >= roll_percent * total[..., -1:, :]
    column = freq[:, None] if freq.ndim == 1 else freq
    inf = xp.asarray(np.inf, dtype=S.dtype)
    lowest = xp.min(xp.where(reached, column, inf), axis=-2, keepdims=True)
    # no bin reaches the threshold only where S holds NaN: librosa's nanmin gives NaN
    return xp.where(lowest == inf, xp.asarray(np.nan, dtype=S.dtype), lowest)


@on_input_device
def spectral_flatness(
    y=None,
    *,
    S=None,
    n_fft=2048,
    hop_length=512,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
    amin=1e-10,
    power=2.0,
):
    """Spectral flatness (Wiener entropy): geometric over arithmetic mean of each frame.

    ``flatness[t] = exp(mean_k log P[k, t]) / mean_k P[k, t]`` with
    ``P = max(amin, S**power)``.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal; ignored when ``S`` is given.
    S : array, shape (..., F, T), optional
        Non-negative magnitude spectrogram.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.stft`.
    amin : float > 0
        Floor of ``S**power`` (avoids ``log 0``).
    power : float > 0
        Exponent applied to the magnitudes.

    Returns
    -------
    flatness : array, shape (..., 1, T), values in [0, 1]

    See Also
    --------
    sigpu.feature.spectral_contrast : Peak-to-valley ratio per octave band.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.spectral_flatness``.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.random.default_rng(0).standard_normal(22050)
    >>> f = sigpu.feature.spectral_flatness(y)
    >>> f.shape, bool(f.mean() > 0.3)  # white noise is flat
    ((1, 44), True)
    """
    amin = positive_float(amin, "amin")
    power = positive_float(power, "power")
    stft_kw = _stft_kw(hop_length, win_length, window, center, pad_mode)
    func = "spectral_flatness"
    if S is None:  # |D|**power straight from the STFT (no square root for power 2)
        xp, P, _ = _spectrogram(y, None, n_fft=n_fft, stft_kw=stft_kw, power=power, func=func)
    else:
        xp, S, _ = _spectrogram(
            None, S, n_fft=n_fft, stft_kw=stft_kw, power=1.0, func=func, nonnegative=True
        )
        P = S**power
    P = xp.maximum(P, xp.asarray(amin, dtype=P.dtype))
    geometric = xp.exp(xp.mean(xp.log(P), axis=-2, keepdims=True))
    return geometric / xp.mean(P, axis=-2, keepdims=True)


# ---------------------------------------------------------------------------
# spectral contrast
# ---------------------------------------------------------------------------


def _contrast_bands(freq, sr, fmin, n_bands, quantile):
    """The bins of each octave band, as librosa selects them: ``(rows, n_extreme)`` per
    band (``rows`` a slice or an index array)."""
    edges = np.zeros(n_bands + 2)
    edges[1:] = fmin * 2.0 ** np.arange(n_bands + 1)
    if np.any(edges[:-1] >= 0.5 * sr):
        raise ParameterError(
            f"fmin={fmin} and n_bands={n_bands} put a band above Nyquist (sr/2={sr / 2}); "
            "reduce fmin or n_bands"
        )
    bands = []
    for k, (low, high) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        members = (freq >= low) & (freq <= high)
        index = np.flatnonzero(members)
        if index.size == 0 or (k > 0 and index[0] == 0):
            raise _empty_band(k, low, high, sr, fmin)
        if k > 0:
            members[index[0] - 1] = True  # the bin below the band, as librosa
        if k == n_bands:
            members[index[-1] + 1 :] = True  # everything above the last band
        n_extreme = max(int(np.rint(quantile * members.sum())), 1)
        rows = np.flatnonzero(members)
        if k < n_bands:
            rows = rows[:-1]
        if rows.size == 0:
            raise _empty_band(k, low, high, sr, fmin)
        bands.append((rows, n_extreme))
    return bands


def _empty_band(k, low, high, sr, fmin):
    return ParameterError(
        f"spectral_contrast: band {k} ({low:g}-{high:g} Hz) holds no frequency bin at "
        f"sr={sr:g} (or the given freq); raise n_fft or fmin={fmin:g}, or lower n_bands"
    )


def _host_frequencies(freq, sr, n_fft, n_freq, func):
    """Bin frequencies on the host (band layouts and fits are built there, once)."""
    if freq is None:
        return _fft_frequencies(positive_float(sr, "sr"), n_fft)
    if not isinstance(freq, (np.ndarray, list, tuple)):
        raise TypeError(
            f"{func}: freq must be a NumPy array or a sequence (it lays out the computation on "
            f"the host), got {type(freq).__module__}.{type(freq).__qualname__}"
        )
    values = np.asarray(freq)
    if values.dtype.kind not in "iuf":
        raise TypeError(f"{func}: freq has dtype {values.dtype}; it must hold real numbers")
    if values.shape != (n_freq,):
        raise ParameterError(
            f"freq has shape {values.shape}; S has {n_freq} rows: pass ({n_freq},)"
        )
    if not np.all(np.isfinite(values)):
        raise ParameterError("freq must hold finite frequencies")
    return values.astype(np.float64)


def _band_extremes(S, rows, n_extreme, xp):
    """Means of the ``n_extreme`` smallest and largest values of ``S[..., rows, :]``."""
    band = S[..., rows[0] : rows[-1] + 1, :]
    if band.shape[-2] != rows.size:  # rows not contiguous (custom freq)
        band = xp.take(S, xp.asarray(rows), axis=-2)
    ordered = xp.sort(band, axis=-2, stable=False)  # quicksort: ties are equal values
    valley = xp.mean(ordered[..., :n_extreme, :], axis=-2)
    peak = xp.mean(ordered[..., -n_extreme:, :], axis=-2)
    return valley, peak


@on_input_device
def spectral_contrast(
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
    freq=None,
    fmin=200.0,
    n_bands=6,
    quantile=0.02,
    linear=False,
):
    """Spectral contrast: peak minus valley (in dB) of each octave band of each frame.

    Band ``k`` covers ``[fmin 2**(k-1), fmin 2**k]`` (band 0: ``[0, fmin]``, the last band
    everything above); its peak and valley are the means of the top and bottom
    ``quantile`` of its bins (at least one), Jiang et al.'s octave-based contrast.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal; ignored when ``S`` is given.
    sr : float > 0
        Sampling rate.
    S : array, shape (..., 1 + n_fft // 2, T), optional
        Magnitude spectrogram.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.stft`.
    freq : NumPy array or sequence, shape (F,), optional
        Frequency of each bin (default: the FFT bin frequencies); read on the host.
    fmin : float > 0
        Upper edge of band 0 in Hz.
    n_bands : int > 0
        Number of octave bands above band 0.
    quantile : float in (0, 1)
        Share of each band's bins averaged for its peak and its valley.
    linear : bool
        Return ``peak - valley`` instead of the difference of their ``power_to_db``.

    Returns
    -------
    contrast : array, shape (..., n_bands + 1, T)

    See Also
    --------
    sigpu.feature.spectral_flatness : Tonality of each frame.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.spectral_contrast`` (librosa computes in
    float64 whatever the input; here float32 input stays float32).  As librosa, the dB
    conversion's ``top_db=80`` clips relative to the largest peak of the whole batch.
    One sort per band over all frames of all signals.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.random.default_rng(0).standard_normal(22050)
    >>> sigpu.feature.spectral_contrast(y, sr=22050).shape
    (7, 44)
    """
    func = "spectral_contrast"
    fmin = positive_float(fmin, "fmin")
    n_bands = positive_int(n_bands, "n_bands")
    quantile = finite_float(quantile, "quantile")
    if not 0.0 < quantile < 1.0:
        raise ParameterError(f"quantile={quantile!r} must lie in the range (0, 1)")
    linear = flag(linear, "linear")
    sr = positive_float(sr, "sr")
    stft_kw = _stft_kw(hop_length, win_length, window, center, pad_mode)
    xp, S, n_fft = _spectrogram(y, S, n_fft=n_fft, stft_kw=stft_kw, power=1.0, func=func)
    host_freq = _host_frequencies(freq, sr, n_fft, S.shape[-2], func)
    bands = _contrast_bands(host_freq, sr, fmin, n_bands, quantile)
    extremes = [_band_extremes(S, rows, n_extreme, xp) for rows, n_extreme in bands]
    valley = xp.stack([v for v, _ in extremes], axis=-2)
    peak = xp.stack([p for _, p in extremes], axis=-2)
    if linear:
        return peak - valley
    return power_to_db(peak) - power_to_db(valley)


# ---------------------------------------------------------------------------
# polynomial fit
# ---------------------------------------------------------------------------


def _polyfit_matrix(freq, order):
    """``P (order + 1, F)`` with ``P @ s`` = ``numpy.polyfit(freq, s, order)`` (highest power
    first): the pseudo-inverse of the column-scaled Vandermonde matrix, numpy's rcond."""
    vander = np.vander(freq, order + 1)
    scale = np.sqrt(np.sum(vander * vander, axis=0))
    pinv = np.linalg.pinv(vander / scale, rcond=len(freq) * np.finfo(np.float64).eps)
    return pinv / scale[:, None]


@host_table
def _default_polyfit_matrix(sr, n_fft, order):
    return _polyfit_matrix(_fft_frequencies(sr, n_fft), order)


@on_input_device
def poly_features(
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
    order=1,
    freq=None,
):
    """Fit a polynomial of order ``order`` to each frame: its coefficients, by least squares.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal; ignored when ``S`` is given.
    sr : float > 0
        Sampling rate.
    S : array, shape (..., 1 + n_fft // 2, T), optional
        Magnitude spectrogram.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.stft`.
    order : int >= 0
        Order of the polynomial.
    freq : NumPy array or sequence, shape (F,), optional
        Abscissa of each bin (default: the FFT bin frequencies); read on the host
        (librosa also takes frame-varying frequencies; sigpu does not).

    Returns
    -------
    coefficients : array, shape (..., order + 1, T)
        Highest power first, as ``numpy.polyfit``.

    See Also
    --------
    sigpu.feature.spectral_centroid : First spectral moment.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.poly_features``: the least-squares fit of
    every frame of every signal is one product with the (cached) pseudo-inverse of the
    Vandermonde matrix that ``numpy.polyfit`` factors once per frame.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.random.default_rng(0).standard_normal(22050)
    >>> sigpu.feature.poly_features(y, order=2).shape
    (3, 44)
    """
    func = "poly_features"
    order = nonnegative_int(order, "order")
    stft_kw = _stft_kw(hop_length, win_length, window, center, pad_mode)
    xp, S, n_fft = _spectrogram(y, S, n_fft=n_fft, stft_kw=stft_kw, power=1.0, func=func)
    if freq is None:
        fit = _default_polyfit_matrix(positive_float(sr, "sr"), n_fft, order)
    else:
        fit = _polyfit_matrix(_host_frequencies(freq, sr, n_fft, S.shape[-2], func), order)
    fit = on_device(fit, xp, S.dtype, device_of(S)) if freq is None else _put(fit, S, xp)
    return bank_product(fit, S, xp)


def _put(host, like, xp):
    """An uncached host array on ``like``'s device in its dtype."""
    return asarray_on(host, xp, like.dtype, device_of(like))
