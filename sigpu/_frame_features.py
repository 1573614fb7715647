"""Frame-wise time-domain features and magnitude/phase: RMS, zero crossings, magphase.

RMS reduces strided frame views of the squared signal (or applies Parseval to a
spectrogram); zero-crossing rates count the crossings found once over the padded signal
with an exact integer cumulative sum, so no frame is visited in Python.
"""

from __future__ import annotations

import numpy as np

from ._backend import frames, kernel, on_input_device
from ._errors import ParameterError
from ._validate import (
    check_audio_finite,
    float_or_complex_array,
    is_int,
    native_array,
    nonnegative_float,
    one_of,
    optional_real_dtype,
    positive_float,
    positive_int,
    real_array,
)

__all__ = ["rms", "zero_crossings", "zero_crossing_rate", "magphase"]

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def flag(value, name):
    """``value`` as a bool, else TypeError naming ``name`` (no truthy strings or numbers)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


# ---------------------------------------------------------------------------
# zero crossings and RMS (time domain)
# ---------------------------------------------------------------------------


def _crossings(y, threshold, zero_pos, xp):
    """``c[..., i]`` (i >= 1): the thresholded signal changes sign between ``i - 1`` and
    ``i``; ``c[..., 0]`` is False.  Values within ``threshold`` of 0 count as +0."""
    quiet = xp.abs(y) <= threshold
    x = xp.where(quiet, xp.zeros_like(y), y)
    side = xp.signbit(x) if zero_pos else xp.sign(x)
    changed = side[..., 1:] != side[..., :-1]
    first = xp.zeros(y.shape[:-1] + (1,), dtype=xp.bool)
    return xp.concat([first, changed], axis=-1)


def _threshold(threshold, ref_magnitude, magnitudes, xp):
    """librosa's threshold: ``threshold * ref_magnitude`` (a number, or a callable of
    ``|y|``)."""
    threshold = nonnegative_float(threshold, "threshold")
    if ref_magnitude is None:
        return threshold
    if callable(ref_magnitude):
        ref = ref_magnitude(magnitudes())
        if hasattr(ref, "shape") and getattr(ref, "ndim", 0) > 0:
            raise ParameterError("ref_magnitude must return a single number (e.g. numpy.max)")
        return threshold * ref
    return threshold * nonnegative_float(ref_magnitude, "ref_magnitude")


@on_input_device
def zero_crossings(y, *, threshold=1e-10, ref_magnitude=None, pad=True, zero_pos=True, axis=-1):
    """Where the signal changes sign: ``sign(y[i]) != sign(y[i - 1])`` along ``axis``.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64
        Signal (NumPy or CuPy).
    threshold : float >= 0
        Values with ``|y| <= threshold`` count as zero.
    ref_magnitude : float >= 0 or callable, optional
        Scales ``threshold``; a callable is applied to ``|y|`` (e.g. ``numpy.max``).
    pad : bool
        The value of the first position (where no previous sample exists).
    zero_pos : bool
        Zero counts as positive (else zero is a sign of its own, ``numpy.sign``).
    axis : int
        The axis along which to look.

    Returns
    -------
    crossings : array, bool, shape of ``y``

    See Also
    --------
    sigpu.feature.zero_crossing_rate : Framed rate of crossings.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.zero_crossings``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> sigpu.zero_crossings(np.array([1.0, -1.0, -2.0, 3.0, 0.0, -1.0])).nonzero()[0]
    array([0, 1, 3, 5])
    """
    xp = real_array(y, "y", func="zero_crossings")
    axis = axis_index(axis, y.ndim)
    pad = flag(pad, "pad")
    zero_pos = flag(zero_pos, "zero_pos")
    moved = xp.moveaxis(y, axis, -1)
    threshold = _threshold(threshold, ref_magnitude, lambda: xp.abs(y), xp)
    found = _crossings(moved, threshold, zero_pos, xp)
    if pad:
        found[..., 0] = True
    return xp.moveaxis(found, -1, axis)


def axis_index(axis, ndim, name="axis"):
    """``axis`` as an index in ``[0, ndim)``, else ParameterError naming it ``name``."""
    if not is_int(axis):
        raise ParameterError(f"{name}={axis!r} must be an integer")
    if not -ndim <= axis < ndim:
        raise ParameterError(f"{name}={axis} is out of range for an array of {ndim} dimension(s)")
    return int(axis) % ndim


def _frame_count(n, frame_length, hop_length, name):
    if n < frame_length:
        raise ParameterError(
            f"{name} holds {n} samples (after padding), fewer than frame_length={frame_length}"
        )
    return 1 + (n - frame_length) // hop_length


@on_input_device
def zero_crossing_rate(y, *, frame_length=2048, hop_length=512, center=True, **kwargs):
    """Zero-crossing rate of each frame: the share of its samples where the sign changes.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64
        Signal (NumPy or CuPy).
    frame_length : int > 0
        Samples per frame.
    hop_length : int > 0
        Samples between frame starts.
    center : bool
        Pad ``frame_length // 2`` samples at both ends by repeating the edge samples.
    **kwargs
        ``threshold``, ``ref_magnitude``, ``zero_pos`` and ``pad`` (default False: the
        first sample of a frame is no crossing) as in :func:`sigpu.zero_crossings`.

    Returns
    -------
    zcr : array, shape (..., 1, T), dtype of ``y``

    See Also
    --------
    sigpu.zero_crossings : The crossings themselves.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.zero_crossing_rate``.  The crossings are
    found once over the padded signal and counted per frame from an exact integer
    cumulative sum.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.sin(2 * np.pi * (np.arange(22050) + 0.5) / 64)  # period: 64 samples
    >>> z = sigpu.feature.zero_crossing_rate(y)
    >>> z.shape, float(z[0, 20]) * 2048  # 63 sign changes inside each 2048-sample frame
    ((1, 44), 63.0)
    """
    bad = set(kwargs) - {"threshold", "ref_magnitude", "zero_pos", "pad"}
    if bad:
        raise TypeError(f"zero_crossing_rate() got unexpected keyword argument(s) {sorted(bad)}")
    xp = real_array(y, "y", func="zero_crossing_rate")
    frame_length = positive_int(frame_length, "frame_length")
    hop_length = positive_int(hop_length, "hop_length")
    center = flag(center, "center")
    pad = flag(kwargs.get("pad", False), "pad")
    zero_pos = flag(kwargs.get("zero_pos", True), "zero_pos")
    check_audio_finite(y, "zero_crossing_rate")
    if y.shape[-1] == 0:
        raise ParameterError("zero_crossing_rate: y holds no samples")
    if center:
        half = frame_length // 2
        y = xp.pad(y, ((0, 0),) * (y.ndim - 1) + ((half, half),), mode="edge")
    n_frames = _frame_count(y.shape[-1], frame_length, hop_length, "y")
    threshold = _threshold(
        kwargs.get("threshold", 1e-10),
        kwargs.get("ref_magnitude"),
        lambda: xp.abs(frames(y, frame_length, hop_length)),
        xp,
    )
    found = _crossings(y, threshold, zero_pos, xp)
    counts = xp.cumsum(xp.astype(found, xp.int64), axis=-1)
    starts = xp.arange(n_frames) * hop_length
    # crossings at positions start + 1 .. start + frame_length - 1 of each frame
    inside = xp.take(counts, starts + frame_length - 1, axis=-1) - xp.take(counts, starts, axis=-1)
    rate = xp.astype(inside + int(pad), y.dtype) / frame_length
    return rate[..., None, :]


@on_input_device
def rms(
    y=None,
    *,
    S=None,
    frame_length=2048,
    hop_length=512,
    center=True,
    pad_mode="constant",
    dtype=None,
):
    """Root-mean-square value of each frame, from the samples or from a spectrogram.

    From ``y``: ``sqrt(mean(frame**2))``.  From ``S``: Parseval's
    ``sqrt(2 sum_k w_k |S_k|**2) / frame_length`` with ``w`` = 1/2 at DC (and at Nyquist
    for even ``frame_length``).

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal (NumPy or CuPy); ignored when ``S`` is given.
    S : array, shape (..., frame_length // 2 + 1, T), optional
        Spectrogram magnitudes (real) or STFT (complex).
    frame_length : int > 0
        Samples per frame (``n_fft`` of ``S``).
    hop_length : int > 0
        Samples between frame starts.
    center : bool
        Pad ``frame_length // 2`` samples at both ends of ``y`` (``pad_mode``).
    pad_mode : {"constant", "edge", "reflect", "symmetric", "wrap"}
        ``numpy.pad`` mode of the centring.
    dtype : float32, float64 or None
        Precision of the result (None: the input's; librosa's default is float32).

    Returns
    -------
    rms : array, shape (..., 1, T)

    See Also
    --------
    sigpu.feature.zero_crossing_rate : Another framed time-domain feature.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.rms``.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> y = np.sin(2 * np.pi * np.arange(22050) / 64)  # 32 periods per frame
    >>> r = sigpu.feature.rms(y)
    >>> r.shape, round(float(r[0, 20]), 4)  # 1 / sqrt(2)
    ((1, 44), 0.7071)
    """
    frame_length = positive_int(frame_length, "frame_length")
    hop_length = positive_int(hop_length, "hop_length")
    dtype = optional_real_dtype(dtype, "dtype")
    if y is not None:
        xp = real_array(y, "y", func="rms")
        center = flag(center, "center")
        pad_mode = one_of(pad_mode, "pad_mode", _PAD_MODES)
        check_audio_finite(y, "rms")
        power = y * y
        if center:
            half = frame_length // 2
            power = xp.pad(power, ((0, 0),) * (y.ndim - 1) + ((half, half),), mode=pad_mode)
        _frame_count(power.shape[-1], frame_length, hop_length, "y")
        mean_power = xp.mean(frames(power, frame_length, hop_length), axis=-1)[..., None, :]
    elif S is not None:
        xp = float_or_complex_array(S, "S", func="rms", min_ndim=2)
        if S.shape[-2] != frame_length // 2 + 1:
            raise ParameterError(
                f"S has {S.shape[-2]} rows, so frame_length={frame_length} must be "
                f"{2 * S.shape[-2] - 2} or {2 * S.shape[-2] - 1}"
            )
        power = (
            xp.real(S) ** 2 + xp.imag(S) ** 2 if xp.isdtype(S.dtype, "complex floating") else S * S
        )
        weights = xp.ones((S.shape[-2], 1), dtype=power.dtype)
        weights[0] = 0.5
        if frame_length % 2 == 0:
            weights[-1] = 0.5
        mean_power = 2 * xp.sum(power * weights, axis=-2, keepdims=True) / frame_length**2
    else:
        raise ParameterError("rms: pass either a signal y or a spectrogram S")
    result = xp.sqrt(mean_power)
    return result if dtype is None else xp.astype(result, dtype)


# ---------------------------------------------------------------------------
# magnitude and phase
# ---------------------------------------------------------------------------


@on_input_device
def magphase(D, *, power=1):
    """Split a complex spectrogram into magnitude and unit phase: ``D = S**(1/power) * P``.

    Parameters
    ----------
    D : array, shape (..., F, T), complex (or real)
        Spectrogram (NumPy or CuPy).
    power : float > 0
        Exponent of the magnitude (2 gives the power spectrogram).

    Returns
    -------
    S : array, shape of ``D``, real
        ``|D| ** power``.
    P : array, shape of ``D``, complex
        ``D / |D|``; ``1 + 0j`` where ``D`` is 0.

    See Also
    --------
    sigpu.stft : Complex short-time Fourier transform.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.magphase`` (real and imaginary parts divided
    separately, so denormal magnitudes give no NaN).  On the CPU both outputs are written
    in one pass over cache-sized blocks on sigpu's thread pool, with librosa's values.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> S, P = sigpu.magphase(np.array([3 + 4j, 0j], np.complex64))
    >>> S.tolist(), P.tolist()
    ([5.0, 0.0], [(0.6000000238418579+0.800000011920929j), (1+0j)])
    """
    xp = float_or_complex_array(D, "D", func="magphase", min_ndim=0)
    power = positive_float(power, "power")
    mag, phase = kernel(xp, "magphase.magphase")(native_array(D))
    if power == 2.0:
        xp.multiply(mag, mag, out=mag)  # the same values as mag**2, in place
    elif power != 1.0:
        mag **= power
    return mag, phase
