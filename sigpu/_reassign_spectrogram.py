"""librosa's reassigned spectrogram on NumPy and CuPy; public name in :mod:`sigpu.reassign`.

Three STFTs with one framing: the window ``h``, its cyclic derivative ``dh``
and the time-weighted window ``t h`` (Flandrin, Auger & Chassande-Mottin 2002,
eqs. 5.20 and 5.23), exactly as ``librosa.reassigned_spectrogram`` 0.11.
"""

from __future__ import annotations

import numpy as np

from . import _window
from ._backend import errstate, kernel, on_input_device
from ._cache import host_table, on_device
from ._errors import ParameterError
from ._validate import (
    check_audio_finite,
    check_finite,
    nonnegative_float,
    positive_float,
    real_array,
    stft_lengths,
)


def _derived_windows(h, xp):
    """(h, dh, t h) of a padded float64 window ``h`` (n_fft,) of ``xp``: the window, its
    cyclic gradient (librosa ``util.cyclic_gradient``: central differences with
    wrap-around) and the window times its sample offset from the frame centre."""
    n_fft = h.shape[0]
    dh = (xp.roll(h, -1) - xp.roll(h, 1)) / 2.0
    half = n_fft // 2
    first = -half if n_fft % 2 else 0.5 - half
    offsets = xp.arange(n_fft, dtype=xp.float64) + first
    return h, dh, h * offsets


@host_table
def _reassignment_windows(key, win_length: int, n_fft: int):
    """:func:`_derived_windows` of a host window spec, cached."""
    h = np.array(_window.padded_window(key, win_length, n_fft))
    return _derived_windows(h, np)


def _windows_on(window, win_length, n_fft, xp):
    """The three analysis windows on ``xp``'s device in float64: host tables copied once
    for a named, callable or NumPy window; derived where it is for a device array."""
    if not callable(window) and not isinstance(window, (str, tuple, int, float)):  # an array
        if np.ndim(window) != 1:
            raise ParameterError(f"window has {np.ndim(window)} dimensions; it must be 1-D")
        if np.shape(window)[0] != win_length:
            raise ParameterError(
                f"window has {np.shape(window)[0]} samples; it must have win_length={win_length}"
            )
    padded, key = _window.resolve_window(window, win_length, n_fft, xp, np.float64)
    if key is None:
        return _derived_windows(padded, xp)
    return tuple(
        on_device(w, xp, np.float64) for w in _reassignment_windows(key, win_length, n_fft)
    )


@on_input_device
def reassigned_spectrogram(
    y,
    *,
    sr=22050,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    reassign_frequencies=True,
    reassign_times=True,
    ref_power=1e-6,
    fill_nan=False,
    clip=True,
    pad_mode="constant",
):
    """Time-frequency reassigned spectrogram (librosa's point cloud).

    Each STFT bin's energy is moved to its instantaneous frequency and group
    delay, estimated from two more STFTs with the derivative window and the
    time-weighted window.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64
        Audio, finite everywhere; any leading batch axes.
    sr : float > 0
        Sample rate (Hz).
    n_fft, hop_length, win_length, window, center, pad_mode
        Framing, as :func:`sigpu.stft` (``hop_length`` defaults to
        ``win_length // 4``, ``win_length`` to ``n_fft``).
    reassign_frequencies, reassign_times : bool
        Which coordinates to reassign (at least one).  The other output is the
        bin frequency / frame time, broadcast read-only.
    ref_power : float >= 0 or callable
        Power threshold: bins with ``mags**2 < ref_power`` (or
        ``< ref_power(mags**2)``, e.g. ``numpy.max``) get NaN coordinates.
    fill_nan : bool
        Replace NaN coordinates with the bin frequency / frame time.
    clip : bool
        Clip frequencies to ``[0, sr / 2]`` and times to ``[0, n / sr]``.

    Returns
    -------
    freqs : array, shape (..., 1 + n_fft // 2, n_frames)
        Reassigned frequency of each bin, Hz.
    times : array, same shape
        Reassigned time of each bin, seconds.
    mags : array, same shape
        STFT magnitude ``|S_h|``.
        All three take the input's precision (float32 or float64) and library.

    Raises
    ------
    sigpu.ParameterError
        Both flags False, ``ref_power < 0``, ``y`` not finite, or bad framing
        parameters.
    TypeError
        ``y`` is not a float32/float64 NumPy or CuPy array.

    See Also
    --------
    linear_reassignment : Linear reassignment (spectral hyperresolution).
    sigpu.stft : Short-time Fourier transform.

    Notes
    -----
    Backends: NumPy and CuPy (three calls of :func:`sigpu.stft`).
    Matches ``librosa.reassigned_spectrogram`` 0.11 (Flandrin, Auger &
    Chassande-Mottin 2002), except that librosa returns float64 coordinates
    for float32 input.  For the Gardner & Magnasco image see
    :func:`linear_reassignment`.

    Examples
    --------
    >>> import numpy as np
    >>> import sigpu.reassign as R
    >>> sr = 8000
    >>> y = np.cos(2 * np.pi * 1000.3 * np.arange(sr) / sr)
    >>> freqs, times, mags = R.reassigned_spectrogram(y, sr=sr, n_fft=256)
    >>> freqs.shape
    (129, 126)
    >>> round(float(freqs[32, 60]), 1)  # bin 32 is centred at 1000 Hz
    1000.3
    """
    from .spectrum import stft

    xp = real_array(y, "y", func="reassigned_spectrogram")
    if not callable(ref_power):
        ref_power = nonnegative_float(ref_power, "ref_power")
    if not reassign_frequencies and not reassign_times:
        raise ParameterError("reassign_frequencies or reassign_times must be True.")
    sr = positive_float(sr, "sr")
    n_fft, win_length, hop_length = stft_lengths(n_fft, win_length, hop_length)
    check_audio_finite(y, "reassigned_spectrogram")

    real = y.dtype
    h, dh, th = _windows_on(window, win_length, n_fft, xp)
    frame = dict(
        n_fft=n_fft, hop_length=hop_length, win_length=n_fft, center=center, pad_mode=pad_mode
    )

    def analyse(window):  # y is checked above: one finiteness sync, not one per STFT
        with check_finite(False):
            return stft(y, window=window, **frame)

    S_h = analyse(h)
    n_frames = S_h.shape[-1]
    bin_freqs = xp.asarray(np.fft.rfftfreq(n_fft, d=1.0 / sr))
    offset = 0 if center else n_fft // 2
    frame_times = xp.asarray((np.arange(n_frames) * hop_length + offset) / sr)

    mags = xp.abs(S_h)
    ref_p = float(ref_power(mags**2)) if callable(ref_power) else float(ref_power)
    # S_h = 0 gives NaN/inf, as in librosa
    common = dict(threshold=ref_p**0.5 if ref_p > 0 else None, fill_nan=fill_nan, clip=clip)
    if reassign_frequencies:
        S_dh = analyse(dh)
        freqs = _coordinates(
            xp,
            S_h,
            S_dh,
            mags,
            bin_freqs,
            0.5 * sr / np.pi,
            **common,
            upper=sr / 2.0,
            frequency=True,
        )
        del S_dh
    else:
        freqs = xp.broadcast_to(xp.astype(bin_freqs[:, None], real), S_h.shape)
    if reassign_times:
        S_th = analyse(th)
        times = _coordinates(
            xp, S_h, S_th, mags, frame_times, sr, **common, upper=y.shape[-1] / sr, frequency=False
        )
        del S_th
    else:
        times = xp.broadcast_to(xp.astype(frame_times[None, :], real), S_h.shape)
    return freqs, times, mags


def _coordinates(xp, S_h, S_d, mags, offsets, scale, threshold, fill_nan, clip, upper, frequency):
    """librosa's reassigned frequencies or times (see ``reassigned.coordinates``): one
    fused pass per coordinate on a large input; array expressions on a small one, where
    numba's start-up (~1 s once per process) would cost more than the passes."""
    from .spectrum import fused_kernel_pays

    if fused_kernel_pays(mags.size):
        return kernel(xp, "reassigned.coordinates")(
            S_h, S_d, mags, offsets, scale, threshold, fill_nan, clip, upper, frequency
        )
    # computed on (..., T, F) views: sigpu.stft's spectra are time-major in memory, and
    # broadcasting a per-bin column against them in (F, T) order made NumPy walk them
    # across the rows (50 ms instead of 5 for one step at 10 s, n_fft 2048); same values
    S_h, S_d, mags = (xp.swapaxes(a, -1, -2) for a in (S_h, S_d, mags))
    with errstate(xp, divide="ignore", invalid="ignore"):
        quotient = S_d / S_h
    if frequency:
        base = offsets[None, :]
        values = base + (-xp.imag(quotient)) * scale
    else:
        base = offsets[:, None]
        values = base + xp.real(quotient) / scale
    if threshold is not None:
        values = xp.where(mags < threshold, xp.asarray(np.nan, dtype=xp.float64), values)
    if fill_nan:
        values = xp.where(xp.isnan(values), base, values)
    if clip:  # not xp.clip: array-api-compat's CuPy clip indexes with boolean masks (syncs)
        values = xp.minimum(xp.maximum(values, 0.0), upper)
    return xp.swapaxes(xp.astype(values, mags.dtype), -1, -2)
