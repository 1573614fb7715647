"""Onset detection: spectral-flux onset strength and peak picking, as ``librosa.onset``.

The onset strength is the mean (or another aggregate) over frequency of the positive
first difference of a log-power mel spectrogram along time, optionally against a
frequency-max-filtered reference (Böck and Widmer's vibrato suppression).  Every step is
array code over all bands, frames and batch items at once; the optional DC removal is a
first-order IIR filter (``scipy.signal.lfilter`` on the CPU, a blocked scan of matrix
products on the GPU).  Onsets are peaks of the normalised envelope picked with librosa's
rule (:mod:`sigpu._peaks`).
"""

from __future__ import annotations

import math

import numpy as np

from ._backend import array_namespace, kernel, on_input_device
from ._errors import ParameterError
from ._validate import (
    all_or_unchecked,
    is_int,
    is_real,
    native_array,
    one_of,
    positive_float,
    real_array,
)
from .spectrum import power_to_db

__all__ = ["onset_strength", "onset_strength_multi", "onset_detect", "onset_backtrack"]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


def _positive(value, name):
    if not is_int(value) or value < 1:
        raise ParameterError(f"{name}={value!r} must be a positive integer")
    return int(value)


def _channel_slices(channels, n_bands):
    """librosa.util.sync's segments: boundaries (clipped to ``[0, n_bands]``, sorted,
    unique; consecutive pairs) or the slices as given."""
    if channels is None:
        return [slice(None)]
    if not isinstance(channels, (list, tuple)):
        raise ParameterError(f"channels={channels!r} must be a list of band boundaries or slices")
    channels = list(channels)
    if channels and all(isinstance(c, slice) for c in channels):
        return channels
    if not all(is_int(c) for c in channels):
        raise ParameterError(f"channels={channels!r} must be integer boundaries or slices")
    bounds = sorted({min(max(int(c), 0), n_bands) for c in channels})
    if len(bounds) < 2:
        raise ParameterError(f"channels={channels!r} must give at least one band")
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _reflect_rows(n_rows, offset):
    """Row indices ``i + offset`` mapped into ``[0, n_rows)`` by scipy.ndimage's "reflect"."""
    index = np.arange(n_rows) + offset
    period = 2 * n_rows
    index = np.mod(index, period)
    return np.where(index < n_rows, index, period - 1 - index)


def _max_filter_bands(S, size, xp):
    """``scipy.ndimage.maximum_filter1d(S, size, axis=-2)`` ("reflect", origin 0)."""
    n_bands = S.shape[-2]
    if size >= 2 * n_bands:  # every window covers a whole period of the reflection
        return xp.broadcast_to(xp.max(S, axis=-2, keepdims=True), S.shape)
    lead = size // 2
    out = None
    for offset in range(-lead, size - lead):
        rows = xp.asarray(_reflect_rows(S.shape[-2], offset))
        shifted = xp.take(S, rows, axis=S.ndim - 2)
        out = shifted if out is None else xp.maximum(out, shifted)
    return out


def _detrend(env, xp):
    """``scipy.signal.lfilter([1, -1], [1, -0.99], env, axis=-1)``."""
    rows = xp.reshape(env, (-1, env.shape[-1]))
    zi = xp.zeros(rows.shape[0], dtype=env.dtype)
    filtered, _ = kernel(xp, "recurrence.first_order_filter")(rows, (1.0, -1.0), (1.0, -0.99), zi)
    return xp.reshape(filtered, env.shape)


def _log_mel(y, sr, n_fft, hop_length, feature, kwargs):
    if y is None:
        raise ParameterError("onset_strength: pass either a signal y or a spectrogram S")
    if feature is not None and not callable(feature):
        raise TypeError(f"onset_strength: feature={feature!r} must be a callable or None")
    if feature is None:
        # imported here: sigpu.feature imports the tempogram, which imports this module
        from .feature import melspectrogram

        feature = melspectrogram
        kwargs.setdefault("fmax", 0.5 * sr)
    xp = real_array(y, "y", func="onset_strength")
    S = feature(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, **kwargs)
    return power_to_db(xp.abs(S))


@on_input_device
def onset_strength_multi(
    y=None,
    *,
    sr=22050,
    S=None,
    n_fft=2048,
    hop_length=512,
    lag=1,
    max_size=1,
    ref=None,
    detrend=False,
    center=True,
    feature=None,
    aggregate=None,
    channels=None,
    **kwargs,
):
    """Spectral-flux onset strength per frequency channel.

    ``env[c, t] = aggregate_{f in channels[c]} max(0, S[f, t] - ref[f, t - lag])`` with
    ``S`` the log-power mel spectrogram of ``y`` (or the given ``S``) and ``ref`` ``S``
    max-filtered over ``max_size`` bands; then shifted right by ``lag`` frames (plus
    ``n_fft // (2 * hop_length)`` if ``center``) with zeros.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64, optional
        Signal (NumPy or CuPy); ignored when ``S`` is given.
    sr : float > 0
        Sampling rate of ``y``.
    S : array, shape (..., d, m), optional
        Precomputed (log-power) spectrogram.
    n_fft, hop_length : int > 0
        STFT sizes for ``feature`` and for the centring shift.
    lag : int > 0
        Time lag of the difference, in frames.
    max_size : int > 0
        Width of the maximum filter over frequency (1: none).
    ref : array, shape of ``S``, optional
        Reference spectrogram; overrides ``max_size``.
    detrend : bool
        Remove the DC component with ``lfilter([1, -1], [1, -0.99])``.
    center : bool
        Shift for centred STFT frames and cut to ``S``'s frame count.
    feature : callable, optional
        ``feature(y=, sr=, n_fft=, hop_length=, **kwargs)`` giving a power spectrogram;
        default :func:`sigpu.feature.melspectrogram` with ``fmax=sr / 2``.
    aggregate : callable or False, optional
        ``aggregate(x, axis=-2)`` over each channel's bands, of ``S``'s array library
        (default the mean); ``False``: no aggregation (one channel per band).
    channels : list of int or slice, optional
        Band boundaries (as ``librosa.util.sync``) or slices; default all bands.
    **kwargs
        Passed to ``feature``.

    Returns
    -------
    onset_envelope : array, shape (..., n_channels, m)
        Same library, device and dtype as ``y`` / ``S``.

    Raises
    ------
    ParameterError
        Neither ``y`` nor ``S``; ``lag`` or ``max_size`` not positive integers; ``ref``
        of another shape; bad ``channels``.
    TypeError
        Non-float arrays, or a ``ref`` of the other library.

    See Also
    --------
    onset_strength : One channel over all bands.
    onset_detect : Onsets from the envelope's peaks.
    sigpu.feature.melspectrogram : The default feature.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.onset.onset_strength_multi`` (Böck and Widmer,
    DAFx 2013, for the maximum filter).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.zeros(22050, np.float32)
    >>> y[::5512] = 1.0  # four clicks
    >>> env = sigpu.onset.onset_strength_multi(y, sr=22050, channels=[0, 32, 64, 128])
    >>> env.shape
    (3, 44)
    """
    lag = _positive(lag, "lag")
    max_size = _positive(max_size, "max_size")
    n_fft = _positive(n_fft, "n_fft")
    hop_length = _positive(hop_length, "hop_length")
    sr = positive_float(sr, "sr")
    if aggregate is not False and aggregate is not None and not callable(aggregate):
        raise ParameterError(f"aggregate={aggregate!r} must be a callable, None or False")
    if S is None:
        S = _log_mel(y, sr, n_fft, hop_length, feature, kwargs)
    xp = real_array(S, "S", func="onset_strength")
    S = native_array(S)
    if S.ndim == 1:
        S = S[None, :]
    if ref is None:
        ref = S if max_size == 1 else _max_filter_bands(S, max_size, xp)
    else:
        real_array(ref, "ref", func="onset_strength")
        if ref.shape != S.shape:
            raise ParameterError(f"ref has shape {ref.shape}; it must match S's {S.shape}")
    flux = xp.maximum(S[..., lag:] - ref[..., :-lag], xp.asarray(0.0, dtype=S.dtype))
    pad_width = lag + (n_fft // (2 * hop_length) if center else 0)
    if center:  # frames past S's length are cut below; zeros in front stay zeros
        pad_width = min(pad_width, S.shape[-1])
    if aggregate is not False:
        slices = _channel_slices(channels, S.shape[-2])
        reduce = aggregate if aggregate is not None else xp.mean
        flux = xp.stack([reduce(flux[..., part, :], axis=-2) for part in slices], axis=-2)
    lead = [(0, 0)] * (flux.ndim - 1)
    env = xp.pad(flux, lead + [(pad_width, 0)])
    if detrend:
        env = _detrend(env, xp)
    return env[..., : S.shape[-1]] if center else env


@on_input_device
def onset_strength(
    y=None,
    *,
    sr=22050,
    S=None,
    lag=1,
    max_size=1,
    ref=None,
    detrend=False,
    center=True,
    feature=None,
    aggregate=None,
    **kwargs,
):
    """Spectral-flux onset strength envelope (one channel over all bands).

    ``env[t] = mean_f max(0, S[f, t] - ref[f, t - lag])``: see
    :func:`onset_strength_multi`, of which this is the single channel.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64, optional
        Signal (NumPy or CuPy); ignored when ``S`` is given.
    sr : float > 0
        Sampling rate of ``y``.
    S : array, shape (..., d, m), optional
        Precomputed (log-power) spectrogram.
    lag, max_size, ref, detrend, center, feature
        As for :func:`onset_strength_multi`.
    aggregate : callable, optional
        Aggregate over bands (default the mean); ``False`` is not allowed here.
    **kwargs
        ``n_fft``, ``hop_length`` and the ``feature``'s parameters.

    Returns
    -------
    onset_envelope : array, shape (..., m)
        Same library, device and dtype as ``y`` / ``S``.

    Raises
    ------
    ParameterError
        ``aggregate=False``, and as :func:`onset_strength_multi`.
    TypeError
        Non-float arrays.

    See Also
    --------
    onset_strength_multi : Onset strength per frequency channel.
    onset_detect : Onsets from the envelope's peaks.
    sigpu.feature.tempogram : Local autocorrelation of the envelope.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.onset.onset_strength``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.zeros(22050, np.float32)
    >>> y[::5512] = 1.0  # clicks every 0.25 s
    >>> env = sigpu.onset.onset_strength(y, sr=22050)
    >>> env.shape, env.dtype
    ((44,), dtype('float32'))
    """
    if aggregate is False:
        raise ParameterError(
            "aggregate=False is not allowed for the full-spectrum onset strength; "
            "use onset_strength_multi"
        )
    envelope = onset_strength_multi(
        y,
        sr=sr,
        S=S,
        lag=lag,
        max_size=max_size,
        ref=ref,
        detrend=detrend,
        center=center,
        feature=feature,
        aggregate=aggregate,
        channels=None,
        **kwargs,
    )
    return envelope[..., 0, :]


def _peak_lengths(sr, hop_length, kwargs):
    """librosa's onset peak-picking parameters (tuned on the onset_db data set), in frames,
    rounded up as ``librosa.util.peak_pick`` does, with the caller's overrides."""
    frames = {
        "pre_max": 0.03 * sr // hop_length,
        "post_max": 0.00 * sr // hop_length + 1,
        "pre_avg": 0.10 * sr // hop_length,
        "post_avg": 0.10 * sr // hop_length + 1,
        "wait": 0.03 * sr // hop_length,
        "delta": 0.07,
    }
    unknown = set(kwargs) - set(frames)
    if unknown:
        raise TypeError(f"onset_detect: unknown keyword(s) {sorted(unknown)}")
    frames.update(kwargs)
    for name, value in frames.items():
        if not is_real(value) or not math.isfinite(value):
            raise ParameterError(f"{name}={value!r} must be a finite number")
    lowest = {"pre_max": 0, "post_max": 1, "pre_avg": 0, "post_avg": 1, "wait": 0, "delta": 0}
    for name, low in lowest.items():
        if frames[name] < low:
            kind = "positive" if low else "non-negative"
            raise ParameterError(f"{name}={frames[name]!r} must be {kind}")
    picking = {k: int(math.ceil(v)) for k, v in frames.items() if k != "delta"}
    picking["delta"] = float(np.float32(frames["delta"]))  # librosa's picker takes a float32
    return picking


def _backtrack(events, energy, xp):
    """Each event moved to the last local minimum of ``energy`` at or before it (frame 0
    counts as one)."""
    inner = energy[1:-1]
    is_minimum = (inner <= energy[:-2]) & (inner < energy[2:])
    minima = xp.concat([xp.zeros(1, dtype=xp.int64), xp.nonzero(is_minimum)[0] + 1])
    return minima[xp.searchsorted(minima, events, side="right") - 1]


@on_input_device
def onset_backtrack(events, energy):
    """Move onset events back to the nearest preceding local minimum of an energy curve.

    A local minimum is a frame ``i`` with ``energy[i] <= energy[i - 1]`` and
    ``energy[i] < energy[i + 1]``; frame 0 counts as one, so every event has one at or
    before it.  Useful to cut a signal at onsets (Jehan, 2005).

    Parameters
    ----------
    events : array, shape (n_events,), int
        Onset frames, e.g. from :func:`onset_detect` (NumPy or CuPy).
    energy : array, shape (m,), float32 or float64
        An energy curve over the same frames (the onset envelope, an RMS curve, ...), of
        ``events``' library.

    Returns
    -------
    events_backtracked : array, shape (n_events,), int64
        Same library and device as the inputs.

    Raises
    ------
    ParameterError
        ``energy`` not 1-D, or an event outside ``[0, m)``.
    TypeError
        ``events`` not integers, ``energy`` not a float array, or a mix of libraries.

    See Also
    --------
    onset_detect : Onset events (``backtrack=True`` applies this).
    onset_strength : The default energy curve.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.onset.onset_backtrack`` (no events give an empty
    result; librosa raises).  On CuPy, the number
    of local minima is one device-to-host synchronisation; so is the check that the
    events lie in range (skipped under ``sigpu.check_finite(False)``).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> energy = np.array([3.0, 1.0, 2.0, 5.0, 4.0, 0.5, 2.0, 6.0])
    >>> sigpu.onset.onset_backtrack(np.array([3, 7]), energy)
    array([1, 5])
    """
    real_array(energy, "energy", func="onset_backtrack")
    if not hasattr(events, "dtype") or np.dtype(events.dtype).kind not in "iu":
        kind = getattr(events, "dtype", type(events).__name__)
        raise TypeError(f"onset_backtrack: events must be an integer array, got {kind}")
    xp = array_namespace(events, energy, func="onset_backtrack")
    if energy.ndim != 1 or events.ndim != 1:
        raise ParameterError(
            f"onset_backtrack: events and energy must be 1-D, got shapes {events.shape} "
            f"and {energy.shape}"
        )
    in_range = (events >= 0) & (events < energy.shape[0])
    if events.size and not all_or_unchecked(in_range):
        raise ParameterError(
            f"onset_backtrack: events must be frames of energy, in [0, {energy.shape[0]})"
        )
    return _backtrack(xp.astype(events, xp.int64), native_array(energy), xp)


@on_input_device
def onset_detect(
    y=None,
    *,
    sr=22050,
    onset_envelope=None,
    hop_length=512,
    backtrack=False,
    energy=None,
    units="frames",
    normalize=True,
    sparse=True,
    **kwargs,
):
    """Onset events: peaks of the (normalised) onset strength envelope.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64, optional
        Signal (NumPy or CuPy); ignored when ``onset_envelope`` is given.
    sr : float > 0
        Sampling rate.
    onset_envelope : array, shape (..., m), optional
        Precomputed :func:`onset_strength`.
    hop_length : int > 0
        Samples per envelope frame.
    backtrack : bool
        Move each onset to the preceding local minimum of ``energy`` (``sparse`` only).
    energy : array, shape (m,), optional
        Energy for backtracking; default the envelope.
    units : {"frames", "samples", "time"}
        Units of the sparse result.
    normalize : bool
        Scale the envelope to [0, 1] per row before picking.
    sparse : bool
        Indices of the onsets (1-D input only), or a boolean mask of the envelope's shape.
    **kwargs
        ``pre_max``, ``post_max``, ``pre_avg``, ``post_avg``, ``delta``, ``wait`` of
        librosa's peak picker (defaults: 30 ms, 1 frame, 100 ms, 100 ms + 1 frame, 0.07,
        30 ms, in frames of ``hop_length`` at ``sr``).

    Returns
    -------
    onsets : array, shape (n_onsets,) or shape of the envelope
        Int64 frames or samples, float64 seconds, or bool (``sparse=False``); same
        library and device as the input.

    Raises
    ------
    ParameterError
        Neither ``y`` nor ``onset_envelope``; bad ``units`` or peak-picking parameters;
        ``sparse=True`` with a batched envelope; ``backtrack`` without ``sparse``.
    TypeError
        Non-float arrays; unknown keywords.

    See Also
    --------
    onset_strength : The envelope whose peaks are picked.
    onset_strength_multi : Envelopes per frequency channel.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.onset.onset_detect`` and its
    ``librosa.util.peak_pick`` (Böck, Krebs and Schedl, ISMIR 2012) exactly: the greedy
    ``wait`` rule is a loop over the samples on the CPU (numba) and runs as pointer
    doubling on the GPU (:mod:`sigpu._peaks`).  On CuPy, the
    sparse result's length is one device-to-host synchronisation (two with
    ``backtrack``: the local minima's count); ``sparse=False`` needs none.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.zeros(22050, np.float32)
    >>> y[[2205, 11025]] = 1.0
    >>> sigpu.onset.onset_detect(y, sr=22050, units="time")  # as librosa's
    array([0.11609977, 0.510839  ])
    """
    units = one_of(units, "units", ("frames", "samples", "time"))
    hop_length = _positive(hop_length, "hop_length")
    sr = positive_float(sr, "sr")
    if backtrack and not sparse:
        raise ParameterError("onset_detect: backtrack=True needs sparse=True")
    picking = _peak_lengths(sr, hop_length, kwargs)
    if onset_envelope is None:
        if y is None:
            raise ParameterError("onset_detect: pass either a signal y or an onset_envelope")
        onset_envelope = onset_strength(y, sr=sr, hop_length=hop_length)
    xp = real_array(onset_envelope, "onset_envelope", func="onset_detect")
    envelope = native_array(onset_envelope)
    if sparse and envelope.ndim != 1:
        raise ParameterError(
            f"onset_detect: sparse=True needs a 1-D onset_envelope, got shape "
            f"{envelope.shape}; pass sparse=False for batched input"
        )
    if normalize:
        envelope = envelope - xp.min(envelope, axis=-1, keepdims=True)
        tiny = xp.finfo(envelope.dtype).smallest_normal
        envelope = envelope / (xp.max(envelope, axis=-1, keepdims=True) + tiny)
    usable = xp.any(envelope != 0) & xp.all(xp.isfinite(envelope))
    peaks = _peaks_or_none(envelope, usable, picking, xp)
    if not sparse:
        return peaks
    onsets = xp.nonzero(peaks)[0]  # none where the envelope is unusable
    if backtrack:
        energy = envelope if energy is None else energy
        real_array(energy, "energy", func="onset_detect")
        onsets = _backtrack(onsets, energy, xp)
    if units == "frames":
        return onsets
    samples = onsets * hop_length
    return samples if units == "samples" else samples / sr


def _peaks_or_none(envelope, usable, picking, xp):
    """The peak mask, all False unless the envelope is nonzero somewhere and finite."""
    safe = xp.where(xp.isfinite(envelope), envelope, xp.asarray(0.0, dtype=envelope.dtype))
    rows = xp.reshape(safe, (-1, safe.shape[-1]))
    if rows.shape[-1] == 0:
        return xp.zeros(safe.shape, dtype=xp.bool)
    peaks = kernel(xp, "peaks.peak_mask")(rows, **picking)
    return xp.reshape(peaks, safe.shape) & usable
