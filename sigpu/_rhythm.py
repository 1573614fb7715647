"""Tempograms: local autocorrelation (and short-time Fourier transform) of an onset strength
envelope, as ``librosa.feature.tempogram`` and ``fourier_tempogram``.

All windows of all envelopes are one strided view, autocorrelated by one real FFT of
``next_fast_len(2 * win_length - 1)`` points along the window axis (Wiener-Khinchin).
"""

from __future__ import annotations

from . import filters
from ._backend import fft_module, frames, on_input_device
from ._errors import ParameterError
from ._validate import native_array, norm_order, positive_int, real_array
from .onset import onset_strength
from .spectrum import STFT, stft

__all__ = ["tempogram", "fourier_tempogram"]


def _envelope(y, sr, onset_envelope, hop_length, win_length, func):
    win_length = positive_int(win_length, "win_length")
    if onset_envelope is None:
        if y is None:
            raise ParameterError(f"{func}: pass either a signal y or an onset_envelope")
        onset_envelope = onset_strength(y, sr=sr, hop_length=hop_length)
    xp = real_array(onset_envelope, "onset_envelope", func=func)
    return xp, native_array(onset_envelope), win_length


def _linear_ramp_pad(x, width, xp):
    """``numpy.pad(x, width, mode="linear_ramp", end_values=0)`` along the last axis."""
    if width == 0:
        return x
    ramp = xp.arange(width, dtype=x.dtype) * xp.asarray(1.0 / width, dtype=x.dtype)
    left = x[..., :1] * ramp
    right = x[..., -1:] * xp.flip(ramp)
    return xp.concat([left, x, right], axis=-1)


@on_input_device
def tempogram(
    y=None,
    *,
    sr=22050,
    onset_envelope=None,
    hop_length=512,
    win_length=384,
    center=True,
    window="hann",
    norm=float("inf"),
):
    """Autocorrelation tempogram: local autocorrelation of the onset strength envelope.

    Each frame ``t`` autocorrelates ``window * env[t - win_length // 2 :][:win_length]``
    (centred; the envelope padded with linear ramps to zero) and is normalised over lags.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64, optional
        Signal (NumPy or CuPy); ignored when ``onset_envelope`` is given.
    sr : float > 0
        Sampling rate.
    onset_envelope : array, shape (..., m), optional
        Precomputed :func:`sigpu.onset.onset_strength`.
    hop_length : int > 0
        Samples per envelope frame.
    win_length : int > 0
        Autocorrelation window in envelope frames (default 384, about 8.9 s).
    center : bool
        Centre the windows on the frames (else left-aligned).
    window : str, tuple, callable or array
        Window as for :func:`sigpu.stft` (default "hann", periodic).
    norm : {inf, -inf, 0, float > 0, None}
        Normalisation over lags (``librosa.util.normalize``; None: none).

    Returns
    -------
    tempogram : array, shape (..., win_length, m')
        ``m' = m`` if ``center`` else ``m - win_length + 1``; the envelope's library,
        device and dtype.

    Raises
    ------
    ParameterError
        Neither ``y`` nor ``onset_envelope``; ``win_length`` not a positive integer (or
        longer than an uncentred envelope); bad ``norm``.
    TypeError
        Non-float arrays.

    See Also
    --------
    fourier_tempogram : Short-time Fourier transform of the envelope.
    sigpu.onset.onset_strength : The onset strength envelope.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.tempogram`` (Grosche, Müller and Kurth,
    ICASSP 2010).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> env = np.tile(np.r_[1.0, 0, 0, 0], 100).astype(np.float32)  # a beat every 4 frames
    >>> T = sigpu.feature.tempogram(onset_envelope=env, win_length=64)
    >>> T.shape
    (64, 400)
    >>> int(np.argmax(T[1:, 200])) + 1  # strongest lag: 4 frames
    4
    """
    xp, env, win_length = _envelope(y, sr, onset_envelope, hop_length, win_length, "tempogram")
    norm = norm_order(norm)
    n = env.shape[-1]
    if center:
        env = _linear_ramp_pad(env, win_length // 2, xp)
    if env.shape[-1] < win_length:
        raise ParameterError(
            f"tempogram: win_length={win_length} is longer than the envelope ({n} frames)"
        )
    # the STFT's window checks (names, finite values, length) and its cached tables
    ac_window, _ = STFT(n_fft=win_length, window=window)._window_array(xp, env.dtype)
    windows = frames(xp.ascontiguousarray(env), win_length, 1)
    if center:
        windows = windows[..., :n, :]
    windowed = windows * ac_window
    fft = fft_module(xp)
    n_pad = fft.next_fast_len(2 * win_length - 1, real=True)
    spectrum = fft.rfft(windowed, n=n_pad, axis=-1)
    power = xp.real(spectrum) ** 2 + xp.imag(spectrum) ** 2
    autocorrelation = fft.irfft(power, n=n_pad, axis=-1)[..., :win_length]
    return filters.normalize(xp.swapaxes(autocorrelation, -1, -2), norm, -2, xp)


@on_input_device
def fourier_tempogram(
    y=None,
    *,
    sr=22050,
    onset_envelope=None,
    hop_length=512,
    win_length=384,
    center=True,
    window="hann",
):
    """Fourier tempogram: the short-time Fourier transform of the onset strength envelope.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64, optional
        Signal (NumPy or CuPy); ignored when ``onset_envelope`` is given.
    sr : float > 0
        Sampling rate.
    onset_envelope : array, shape (..., m), optional
        Precomputed :func:`sigpu.onset.onset_strength`.
    hop_length : int > 0
        Samples per envelope frame.
    win_length : int > 0
        Window (and FFT) length in envelope frames (default 384).
    center : bool
        Centre the windows (zero padding, as :func:`sigpu.stft`).
    window : str, tuple, callable or array
        Window as for :func:`sigpu.stft`.

    Returns
    -------
    tempogram : array, shape (..., win_length // 2 + 1, m'), complex
        ``stft(onset_envelope, n_fft=win_length, hop_length=1)``.

    Raises
    ------
    ParameterError
        Neither ``y`` nor ``onset_envelope``; bad ``win_length``.
    TypeError
        Non-float arrays.

    See Also
    --------
    tempogram : Autocorrelation tempogram.
    sigpu.stft : Short-time Fourier transform.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.fourier_tempogram``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> env = np.tile(np.r_[1.0, 0, 0, 0], 100).astype(np.float32)
    >>> F = sigpu.feature.fourier_tempogram(onset_envelope=env, win_length=64)
    >>> F.shape, F.dtype
    ((33, 401), dtype('complex64'))
    """
    _, env, win_length = _envelope(
        y, sr, onset_envelope, hop_length, win_length, "fourier_tempogram"
    )
    try:
        return stft(env, n_fft=win_length, hop_length=1, center=center, window=window)
    except ParameterError as err:
        if "n_fft" not in str(err):
            raise
        raise ParameterError(
            f"fourier_tempogram: win_length={win_length} is the STFT's {err}"
        ) from None
