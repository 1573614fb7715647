"""Constant-Q / variable-Q wavelet filters (librosa 0.11 conventions).

The public names here are re-exported from :mod:`sigpu.filters`.  Tables are
built once in float64 NumPy on the host (cached by their parameters with
:func:`sigpu._cache.host_table`) and copied to the caller's namespace, device
and dtype with :func:`sigpu._cache.on_device`.

Bandwidth convention (spec section 4.2): by default the relative bandwidth
``alpha`` of each filter follows current librosa (``(r**2 - 1) / (r**2 + 1)``
from the spacing of neighbouring frequencies, Q = 17.33 at 12 bins/octave).
Pass ``alpha=2**(1/b) - 1`` for the classic Q = 1/(2**(1/b) - 1) of librosa
<= 0.8, nnAudio and the Schoerkhuber-Klapuri toolbox.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._backend import (
    array_namespace,
    device_of,
    is_device_array,
    namespace_for,
    on_input_device,
    to_host,
)
from ._cache import host_table, on_device
from ._errors import ParameterError
from ._validate import (
    is_real,
    norm_order,
    optional_complex_dtype,
    optional_real_dtype,
    positive_float,
    positive_int,
)
from ._window import periodic_window

__all__ = ["wavelet", "wavelet_lengths", "constant_q", "cq_to_chroma", "window_bandwidth"]

MAX_FILTER_LENGTH = 2**31  # samples; far beyond any audio use, and within int32 indexing
C1_HZ = 440.0 * 2.0 ** ((24 - 69) / 12.0)  # note_to_hz("C1") = 32.70319566 Hz


# ---------------------------------------------------------------------------
# argument helpers
# ---------------------------------------------------------------------------


def _window_key(window):
    """A hashable window specification (str, tuple, number or callable)."""
    if isinstance(window, numbers.Real) and not np.isfinite(periodic_window(window, 64)).all():
        raise ParameterError(f"window={window!r} (a Kaiser beta) gives non-finite values")
    if isinstance(window, (str, numbers.Real)) or callable(window):
        return window
    if isinstance(window, tuple):
        return window
    raise ParameterError(
        f"window={window!r} is not supported for wavelet filters; pass a window name "
        "('hann'), a (name, parameter) tuple, a Kaiser beta or a callable f(length)"
    )


def _get_window(window, n: int) -> np.ndarray:
    """Periodic window of ``n`` samples (librosa.filters.get_window)."""
    if callable(window):
        return np.asarray(window(n), dtype=np.float64)
    return periodic_window(window, n)  # cached, read-only; raises ParameterError


@host_table
def _window_bandwidth(window) -> float:
    w = _get_window(window, 1000)
    return float(1000 * np.sum(w**2) / (np.sum(w) ** 2 + np.finfo(np.float64).tiny))


def window_bandwidth(window="hann") -> float:
    """Equivalent noise bandwidth of a window, in FFT bins.

    ``1000 * sum(w**2) / sum(w)**2`` on a 1000-point periodic window (Harris
    1978, eq. 11), as ``librosa.filters.window_bandwidth`` computes it for
    windows missing from its table (its table values differ by < 2e-4).
    """
    return _window_bandwidth(_window_key(window))


def _float_values(values, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name}={values!r} must be a number or an array of numbers") from err


def _freqs_tuple(freqs) -> tuple:
    # design parameters: a device array is read on the host (one explicit copy)
    arr = _float_values(to_host(freqs) if is_device_array(freqs) else freqs, "freqs")
    arr = np.atleast_1d(arr)
    if arr.ndim != 1 or arr.size == 0:
        raise ParameterError(f"freqs must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError("freqs must be finite")
    return tuple(float(f) for f in arr)


def _alpha_tuple(alpha, n: int):
    if alpha is None:
        return None
    arr = np.atleast_1d(_float_values(alpha, "alpha"))
    if arr.size == 1:
        arr = np.full(n, arr[0])
    if arr.shape != (n,) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ParameterError(
            f"alpha must be a positive number or one positive value per frequency ({n}), "
            f"got {alpha!r}"
        )
    return tuple(float(a) for a in arr)


def relative_bandwidth(freqs: np.ndarray) -> np.ndarray:
    """Relative bandwidth alpha per frequency (librosa.filters._relative_bandwidth).

    Local bins-per-octave from centred differences of log2(f) (one-sided at
    the ends), then ``alpha = (2**(2/bpo) - 1) / (2**(2/bpo) + 1)``.
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    if freqs.size < 2:
        raise ParameterError(
            f"2 or more frequencies are required to compute bandwidths, got freqs={freqs}; "
            "pass alpha= explicitly"
        )
    logf = np.log2(freqs)
    bpo = np.empty_like(freqs)
    bpo[0] = 1 / (logf[1] - logf[0])
    bpo[-1] = 1 / (logf[-1] - logf[-2])
    bpo[1:-1] = 2 / (logf[2:] - logf[:-2])
    return (2.0 ** (2 / bpo) - 1) / (2.0 ** (2 / bpo) + 1)


def equal_tempered_alpha(bins_per_octave: int) -> float:
    """alpha = (r**2 - 1)/(r**2 + 1), r = 2**(1/b): the relative bandwidth of equal spacing."""
    r2 = 2.0 ** (2.0 / bins_per_octave)
    return (r2 - 1) / (r2 + 1)


def _check_gamma(gamma):
    if gamma is None:
        return None
    if not is_real(gamma):
        raise ParameterError(f"gamma={gamma!r} must be a non-negative number or None")
    if not math.isfinite(gamma) or gamma < 0:
        raise ParameterError(f"gamma={gamma} must be non-negative")
    return float(gamma)


# ---------------------------------------------------------------------------
# host builders (float64, cached)
# ---------------------------------------------------------------------------


@host_table
def _lengths_host(freqs: tuple, sr: float, window, filter_scale: float, gamma, alpha):
    f = np.asarray(freqs)
    a = relative_bandwidth(f) if alpha is None else np.asarray(alpha)
    g = a * 24.7 / 0.108 if gamma is None else gamma
    q = filter_scale / a
    f_cutoff = float(np.max(f * (1 + 0.5 * _window_bandwidth(window) / q) + 0.5 * g))
    lengths = q * sr / (f + g / a)
    if not np.max(lengths) <= MAX_FILTER_LENGTH:
        raise ParameterError(
            f"the longest filter would have {np.max(lengths):.3g} samples (at most 2**31): "
            f"sr={sr}, the lowest frequency (fmin) {f[0]:.3g} Hz, filter_scale={filter_scale}, "
            "alpha (from bins_per_octave) and gamma set it"
        )
    return lengths, f_cutoff


def _validate_lengths_args(freqs, sr, filter_scale, gamma, alpha, window):
    freqs = _freqs_tuple(freqs)
    sr = positive_float(sr, "sr")
    filter_scale = positive_float(filter_scale, "filter_scale")
    gamma = _check_gamma(gamma)
    f = np.asarray(freqs)
    if np.any(f <= 0):
        raise ParameterError(f"freqs={f} must be strictly positive")
    if f.size > 1 and np.any(f[:-1] > f[1:]):
        raise ParameterError(f"Frequency array={f} must be in strictly ascending order")
    alpha = _alpha_tuple(alpha, len(freqs))
    if alpha is None and len(freqs) < 2:
        raise ParameterError(f"alpha must be given when freqs has only one frequency ({f})")
    return freqs, sr, _window_key(window), filter_scale, gamma, alpha


@on_input_device
def wavelet_lengths(*, freqs, sr=22050, window="hann", filter_scale=1, gamma=0, alpha=None):
    """Length of each filter of a wavelet (constant-/variable-Q) basis.

    Parameters
    ----------
    freqs : array, shape (n_bins,)
        Centre frequencies in Hz, positive and ascending.
    sr : float > 0
        Sampling rate.
    window : str, tuple, float or callable
        Filter window (for the bandwidth used in ``f_cutoff``).
    filter_scale : float > 0
        Multiplies every length (smaller: shorter filters, better time resolution).
    gamma : float >= 0 or None
        Bandwidth offset (VQT). ``None``: ERB-proportional ``24.7 * alpha / 0.108``.
    alpha : float, array of shape (n_bins,), or None
        Relative bandwidth. ``None``: from the spacing of ``freqs`` (librosa
        >= 0.9). ``2**(1/b) - 1`` gives the classic Q = 1/(2**(1/b) - 1).

    Returns
    -------
    lengths : array, shape (n_bins,), float64
        ``Q * sr / (freqs + gamma / alpha)`` with ``Q = filter_scale / alpha``; NumPy, or
        CuPy on the device of ``freqs`` when ``freqs`` is a CuPy array (its values are
        read on the host: one explicit copy).
    f_cutoff : float
        ``max(freqs * (1 + 0.5 * window_bandwidth / Q) + 0.5 * gamma)``, the
        highest frequency the basis reaches.

    See Also
    --------
    wavelet : Constant-/variable-Q filters in time.
    sigpu.cqt_frequencies : Centre frequencies of constant-Q bins.

    Notes
    -----
    Host (NumPy float64) computation; matches ``librosa.filters.wavelet_lengths``
    (librosa 0.11). Raises ParameterError for ``filter_scale <= 0``, ``gamma < 0``,
    non-positive or unsorted ``freqs``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu._constant_q_filters import wavelet_lengths
    >>> lengths, f_cut = wavelet_lengths(freqs=32.70319566 * 2.0 ** (np.arange(12) / 12))
    >>> round(float(lengths[0]), 3)
    11685.756
    """
    args = _validate_lengths_args(freqs, sr, filter_scale, gamma, alpha, window)
    lengths, f_cutoff = _lengths_host(*args)
    if is_device_array(freqs):  # answer in the library and on the device of freqs
        return on_device(lengths, array_namespace(freqs), np.float64, device_of(freqs)), f_cutoff
    return lengths, f_cutoff


def _normalize_rows(x: np.ndarray, norm) -> np.ndarray:
    """librosa.util.normalize along the last axis (threshold: tiny, fill: None)."""
    if norm is None:
        return x
    mag = np.abs(x)
    if norm == math.inf:
        size = np.max(mag)
    elif norm == -math.inf:
        size = np.min(mag)
    elif norm == 0:
        size = float(np.sum(mag > 0))
    else:
        size = np.sum(mag**norm) ** (1.0 / norm)
    if size < np.finfo(np.float64).tiny:
        return x
    return x / size


def _float_window(window, n_float: float) -> np.ndarray:
    """Window of ceil(n) samples, built at floor(n) and zero beyond (librosa __float_window)."""
    n_min, n_max = int(math.floor(n_float)), int(math.ceil(n_float))
    w = np.zeros(n_max)
    w[:n_min] = _get_window(window, n_min) if n_min > 0 else 0.0
    return w


@host_table
def _wavelet_host(freqs: tuple, sr, window, filter_scale, gamma, alpha, pad_fft, norm):
    lengths, _ = _lengths_host(freqs, sr, window, filter_scale, gamma, alpha)
    max_len = float(np.max(lengths))
    width = int(2.0 ** math.ceil(math.log2(max_len))) if pad_fft else int(math.ceil(max_len))
    basis = np.zeros((len(freqs), width), dtype=np.complex128)
    for k, (length, freq) in enumerate(zip(lengths, freqs, strict=True)):
        # float floor division as librosa: n = arange(-l//2, l//2)
        n = np.arange(-length // 2, length // 2, dtype=np.float64)
        sig = np.exp(1j * 2 * np.pi * freq / sr * n)
        sig = sig * _float_window(window, float(len(sig)))
        sig = _normalize_rows(sig, norm)
        start = (width - len(sig)) // 2
        basis[k, start : start + len(sig)] = sig
    return basis, lengths


@on_input_device
def wavelet(
    *,
    freqs,
    sr=22050,
    window="hann",
    filter_scale=1,
    pad_fft=True,
    norm=1,
    dtype=np.complex64,
    gamma=0,
    alpha=None,
    xp=None,
    device=None,
):
    """Wavelet basis of windowed complex sinusoids (constant-/variable-Q filters).

    Filter ``k`` is ``window * exp(2j*pi*freqs[k]*n/sr)`` on
    ``n = arange(-l_k//2, l_k//2)`` (float floor division), normalised to unit
    ``norm``, centred in a common width.

    Parameters
    ----------
    freqs : array, shape (n_bins,)
        Centre frequencies in Hz, positive and ascending.
    sr : float > 0
        Sampling rate.
    window : str, tuple, float or callable
        Filter window (periodic, scipy.signal.get_window spec).
    filter_scale : float > 0
        Length multiplier.
    pad_fft : bool
        Centre-pad to the next power of two (else to ``ceil(max length)``).
    norm : None, inf, -inf, 0 or float > 0
        Normalisation of each filter (librosa.util.normalize).
    dtype : complex dtype
        Output dtype (complex64 default, as librosa).
    gamma, alpha
        See :func:`wavelet_lengths`.
    xp : None, "numpy", "cupy" or module
        Namespace of the result: by default NumPy, or CuPy when ``freqs`` is a CuPy
        array (read on the host: one explicit copy).
    device : int, optional
        CuPy device (default: that of ``freqs``, else the current one).

    Returns
    -------
    filters : array, shape (n_bins, width), ``dtype``
    lengths : array, shape (n_bins,), float64
        Fractional filter lengths in samples.

    See Also
    --------
    wavelet_lengths : Lengths of the constant-/variable-Q filters.
    constant_q : Constant-Q basis (librosa's deprecated constant_q).
    sigpu.constantq.vqt : Variable-Q transform.

    Notes
    -----
    NumPy and CuPy (built in float64 on the host, cached, copied once per
    device/dtype). Matches ``librosa.filters.wavelet`` (librosa 0.11).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu._constant_q_filters import wavelet
    >>> freqs = 261.6 * 2.0 ** (np.arange(12) / 12)
    >>> basis, lengths = wavelet(freqs=freqs, sr=22050)
    >>> basis.shape, basis.dtype
    ((12, 2048), dtype('complex64'))
    """
    args = _validate_lengths_args(freqs, sr, filter_scale, gamma, alpha, window)
    norm = norm_order(norm)
    dtype = optional_complex_dtype(dtype)
    if dtype is None:
        raise TypeError("dtype=None must be complex64 or complex128")
    basis, lengths = _wavelet_host(*args, bool(pad_fft), norm)
    if xp is None and is_device_array(freqs):  # default: the library and device of freqs
        xp, device = array_namespace(freqs), device_of(freqs) if device is None else device
    ns = namespace_for(xp)
    return on_device(basis, ns, dtype, device), on_device(lengths, ns, np.float64, device)


def constant_q(
    *,
    sr,
    fmin=None,
    n_bins=84,
    bins_per_octave=12,
    window="hann",
    filter_scale=1,
    pad_fft=True,
    norm=1,
    dtype=np.complex64,
    gamma=0,
    xp=None,
    device=None,
):
    """Constant-Q basis on ``cqt_frequencies`` (librosa 0.11's deprecated ``constant_q``).

    Parameters
    ----------
    sr : float > 0
    fmin : float > 0, optional
        Lowest frequency (C1 = 32.70 Hz by default).
    n_bins, bins_per_octave : int > 0
    window, filter_scale, pad_fft, norm, dtype, gamma, xp, device
        See :func:`wavelet`.

    Returns
    -------
    filters : array, shape (n_bins, width)
    lengths : array, shape (n_bins,)

    See Also
    --------
    wavelet : Constant-/variable-Q filters in time.
    sigpu.constantq.cqt : Constant-Q transform.

    Notes
    -----
    NumPy and CuPy. Same as :func:`wavelet` with the equal-tempered ``alpha``;
    matches ``librosa.filters.constant_q`` (0.11; removed from librosa 1.0).
    Raises ParameterError when the top filter passes the Nyquist frequency.

    Examples
    --------
    >>> from sigpu._constant_q_filters import constant_q
    >>> basis, lengths = constant_q(sr=22050, n_bins=24)
    >>> basis.shape
    (24, 16384)
    """
    fmin = C1_HZ if fmin is None else positive_float(fmin, "fmin")
    n_bins = positive_int(n_bins, "n_bins")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    sr = positive_float(sr, "sr")
    freqs = fmin * 2.0 ** (np.arange(n_bins, dtype=np.float64) / bins_per_octave)
    alpha = equal_tempered_alpha(bins_per_octave)
    _, f_cutoff = wavelet_lengths(
        freqs=freqs, sr=sr, window=window, filter_scale=filter_scale, gamma=gamma, alpha=alpha
    )
    if f_cutoff > sr / 2:
        raise ParameterError(
            f"Maximum filter frequency={freqs[-1]:.2f} would exceed Nyquist={sr / 2} (sr={sr}, "
            f"fmin={fmin}, n_bins={n_bins}, bins_per_octave={bins_per_octave}, filter_scale="
            f"{filter_scale}, gamma={gamma} set the filters' upper band edge)"
        )
    return wavelet(
        freqs=freqs,
        sr=sr,
        window=window,
        filter_scale=filter_scale,
        pad_fft=pad_fft,
        norm=norm,
        dtype=dtype,
        gamma=gamma,
        alpha=alpha,
        xp=xp,
        device=device,
    )


@host_table
def _cq_to_chroma_host(n_input, bins_per_octave, n_chroma, fmin, window, base_c):
    n_merge = bins_per_octave // n_chroma
    # identity, each chroma spread over n_merge neighbouring CQ bins, centred
    base = np.repeat(np.eye(n_chroma), n_merge, axis=1)
    base = np.roll(base, -(n_merge // 2), axis=1)
    n_octaves = int(math.ceil(n_input / bins_per_octave))
    matrix = np.tile(base, n_octaves)[:, :n_input]
    midi_0 = np.mod(12 * (np.log2(fmin) - np.log2(440.0)) + 69, 12)
    roll = midi_0 if base_c else midi_0 - 9
    matrix = np.roll(matrix, int(np.round(roll * (n_chroma / 12.0))), axis=0)
    if window is not None:
        import scipy.signal

        matrix = scipy.signal.convolve(matrix, np.atleast_2d(np.asarray(window)), mode="same")
    return matrix


def cq_to_chroma(
    n_input,
    *,
    bins_per_octave=12,
    n_chroma=12,
    fmin=None,
    window=None,
    base_c=True,
    dtype=np.float32,
    xp=None,
    device=None,
):
    """Matrix folding constant-Q bins onto chroma (pitch classes).

    Parameters
    ----------
    n_input : int > 0
        Number of CQ bins.
    bins_per_octave : int > 0
        CQ bins per octave; a multiple of ``n_chroma``.
    n_chroma : int > 0
    fmin : float > 0, optional
        Frequency of CQ bin 0 (C1 by default).
    window : array, optional
        1-D window convolved along the CQ axis of the matrix.
    base_c : bool
        Chroma bin 0 is C (else A).
    dtype : real dtype
    xp, device
        Namespace and device of the result (NumPy by default).

    Returns
    -------
    matrix : array, shape (n_chroma, n_input)
        ``chroma = matrix @ |C|``.

    See Also
    --------
    sigpu.constantq.chroma_cqt : Chromagram from a constant-Q transform.
    chroma : Chroma filter bank over FFT bins.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.filters.cq_to_chroma`` (librosa 0.11).

    Examples
    --------
    >>> from sigpu._constant_q_filters import cq_to_chroma
    >>> cq_to_chroma(84, bins_per_octave=36, n_chroma=12).shape
    (12, 84)
    """
    n_input = positive_int(n_input, "n_input")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    n_chroma = positive_int(n_chroma, "n_chroma")
    if bins_per_octave % n_chroma != 0:
        raise ParameterError(
            f"Incompatible CQ merge: bins_per_octave={bins_per_octave} must be an integer "
            f"multiple of n_chroma={n_chroma}"
        )
    fmin = C1_HZ if fmin is None else positive_float(fmin, "fmin")
    if window is not None:
        try:
            win = np.asarray(to_host(window) if is_device_array(window) else window, np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"window={window!r} must be an array of numbers or None") from err
        if not np.isfinite(win).all():
            raise ParameterError("window must be finite everywhere (it holds NaN or inf)")
        window = tuple(float(v) for v in np.atleast_1d(win))
    dtype = optional_real_dtype(dtype)
    if dtype is None:
        raise TypeError("dtype=None must be float32 or float64")
    host = _cq_to_chroma_host(n_input, bins_per_octave, n_chroma, fmin, window, bool(base_c))
    return on_device(host, namespace_for(xp), dtype, device)
