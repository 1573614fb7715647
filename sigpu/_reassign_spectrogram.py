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
    finite_or_unchecked,
    native_array,
    nonnegative_float,
    one_of,
    positive_float,
    real_array,
    stft_lengths,
)
from .spectrum import PAD_MODES, check_framing, fused_kernel_pays


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
    # sigpu.stft's check (a Kaiser beta of inf or 2**40 gives NaN), on the host table or
    # where a device array lives
    if key is None:
        finite = finite_or_unchecked(padded)
    else:
        finite = bool(np.isfinite(_window.padded_window(key, win_length, n_fft)).all())
    if not finite:
        shown = "<array>" if hasattr(window, "shape") else repr(window)
        raise ParameterError(f"window={shown} must be finite everywhere (it holds NaN or inf)")
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
    xp = real_array(y, "y", func="reassigned_spectrogram")
    y = native_array(y)  # a '>f4' signal gives ordinary float32 results
    if not callable(ref_power):
        ref_power = nonnegative_float(ref_power, "ref_power")
    if not reassign_frequencies and not reassign_times:
        raise ParameterError("reassign_frequencies or reassign_times must be True.")
    sr = positive_float(sr, "sr")
    n_fft, win_length, hop_length = stft_lengths(n_fft, win_length, hop_length)
    pad_mode = one_of(pad_mode, "pad_mode", PAD_MODES)
    check_audio_finite(y, "reassigned_spectrogram")
    n = y.shape[-1]
    if n == 0:
        raise ParameterError(
            "y is empty (0 samples on its last axis); reassigned_spectrogram needs at least 1"
        )
    check_framing(n, n_fft, center, pad_mode)

    real = y.dtype
    h, dh, th = _windows_on(window, win_length, n_fft, xp)
    n_frames = 1 + ((n + 2 * (n_fft // 2) if center else n) - n_fft) // hop_length
    shape = y.shape[:-1] + (n_frames, 1 + n_fft // 2)  # time-major, as sigpu.stft's spectra
    bin_freqs = xp.asarray(np.fft.rfftfreq(n_fft, d=1.0 / sr))
    offset = 0 if center else n_fft // 2
    frame_times = xp.asarray((np.arange(n_frames) * hop_length + offset) / sr)
    # (offsets broadcast against a (..., T, F) block, scale, clip bound) per coordinate
    wanted = {}
    if reassign_frequencies:
        wanted["freqs"] = (dh, bin_freqs, 0.5 * sr / np.pi, sr / 2.0)
    if reassign_times:
        wanted["times"] = (th, frame_times[:, None], sr, n / sr)
    mags = xp.empty(shape, dtype=real)
    values = {name: xp.empty(shape, dtype=real) for name in wanted}
    # a callable ref_power needs every magnitude first: gate, fill and clip afterwards
    deferred = callable(ref_power)
    threshold = None
    if not deferred and ref_power > 0:
        threshold = float(ref_power) ** 0.5
    # numba's start-up (~1 s once per process) pays off on large inputs only
    fused = not deferred and fused_kernel_pays(mags.size)
    # the kernel's blocks index (rows, frames) of the outputs as (B, T, F) arrays
    mags_rows = xp.reshape(mags, (-1,) + shape[-2:])
    rows_of = {name: xp.reshape(a, (-1,) + shape[-2:]) for name, a in values.items()}

    def block(spectra, index):
        S_h = spectra[0]
        mags_block = mags_rows[index]
        xp.abs(S_h, out=mags_block)
        low = None if threshold is None else mags_block < threshold
        for (name, (_, offsets, scale, upper)), S_d in zip(
            wanted.items(), spectra[1:], strict=True
        ):
            out = rows_of[name][index]
            base = offsets if name == "freqs" else offsets[index[1]]
            if fused:  # one pass of the kernel over the block (bit-equal to the below)
                out[...] = xp.swapaxes(
                    kernel(xp, "reassigned.coordinates")(
                        *(xp.swapaxes(a, -1, -2) for a in (S_h, S_d, mags_block)),
                        xp.reshape(base, (-1,)),
                        scale,
                        threshold,
                        fill_nan,
                        clip,
                        upper,
                        name == "freqs",
                    ),
                    -1,
                    -2,
                )
                continue
            _coordinates(xp, S_h, S_d, base, scale, name == "freqs", out=out)
            if not deferred:
                _finish(xp, out, low, base, fill_nan, clip, upper)

    rows = xp.reshape(y, (-1, n))
    windows = [h] + [spec[0] for spec in wanted.values()]
    kernel(xp, "reassigned_frames.analyse")(
        rows,
        n_fft,
        hop_length,
        n_frames,
        pad_mode if center else None,
        [xp.astype(w, real) for w in windows],
        block,
    )
    if deferred:
        ref_p = float(ref_power(mags**2))
        low = mags < ref_p**0.5 if ref_p > 0 else None
        for name, (_, offsets, _, upper) in wanted.items():
            _finish(xp, values[name], low, offsets, fill_nan, clip, upper)
    freqs = values.get("freqs")
    if freqs is None:
        freqs = xp.broadcast_to(xp.astype(bin_freqs, real), shape)
    times = values.get("times")
    if times is None:
        times = xp.broadcast_to(xp.astype(frame_times[:, None], real), shape)
    return tuple(xp.swapaxes(a, -1, -2) for a in (freqs, times, mags))


def _coordinates(xp, S_h, S_d, base, scale, frequency, *, out):
    """librosa's reassigned frequencies (``frequency``) or times of ``(..., T, F)`` spectra,
    before the gate, written into ``out``: librosa's arithmetic (the correction in the
    spectra's precision, ``base``, the bin frequencies (F,) or the frame times (T, 1),
    added in float64, one rounding to ``out``'s dtype), in fewer passes."""
    with errstate(xp, divide="ignore", invalid="ignore"):
        quotient = S_d / S_h
    if frequency:  # base + (-imag) * scale; the sign moves into the scale exactly
        correction = xp.imag(quotient)
        xp.multiply(correction, -scale, out=correction)
    else:  # base + real / scale
        correction = xp.real(quotient)
        xp.divide(correction, scale, out=correction)
    xp.add(base, correction, out=out)


def _finish(xp, values, low, base, fill_nan, clip, upper):
    """In place: NaN where ``low`` (None: no gate), NaN replaced by ``base`` if
    ``fill_nan``, clipped to ``[0, upper]`` if ``clip`` (librosa's order).  In float32
    the same numbers as librosa's float64 steps and one cast: the cast is monotonic and
    keeps NaN, the bin frequencies and frame times round alike either way."""
    if low is not None:
        xp.copyto(values, xp.asarray(np.nan, dtype=values.dtype), where=low)
    if fill_nan:
        xp.copyto(
            values,
            xp.astype(xp.broadcast_to(base, values.shape), values.dtype),
            where=xp.isnan(values),
        )
    if clip:
        xp.maximum(values, 0.0, out=values)
        xp.minimum(values, upper, out=values)
