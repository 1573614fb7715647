"""Audio effects, as ``librosa.effects``: harmonic-percussive separation, time stretching and
pitch shifting by phase vocoder, pre-/de-emphasis, and trimming or splitting at silence.

Everything is written once against ``xp``.  The loop-carried parts are kernels: the
phase vocoder's running phase (numba / CUDA, rounded at every step as librosa's float32
accumulator is) and de-emphasis's first-order recurrence (``scipy.signal.lfilter`` on the
CPU, a blocked scan of matrix products on the GPU).  On the CPU, short inputs take NumPy
loops with the same steps instead, so that a first call does not pay numba's start-up or
scipy.signal's import (``NUMPY_MAX_SIZE`` / ``NUMPY_MAX_LENGTH`` of the kernel modules).
Trimming and splitting return positions in the signal, so on CuPy they synchronise once to
read them.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from . import _resample
from ._backend import frames, kernel, on_input_device, to_host
from ._errors import ParameterError
from ._validate import (
    check_finite,
    finite_float,
    float_or_complex_array,
    native_array,
    positive_float,
    positive_int,
    real_array,
)
from .audio import resample
from .decompose import hpss as _hpss_spectrogram
from .spectrum import amplitude_to_db, istft, stft

__all__ = [
    "hpss",
    "harmonic",
    "percussive",
    "time_stretch",
    "pitch_shift",
    "preemphasis",
    "deemphasis",
    "trim",
    "split",
]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


# ----------------------------------------------------------------------------- HPSS


def _separate(y, which, func, kernel_size, power, mask, margin, stft_kw):
    real_array(y, "y", func=func)
    y = native_array(y)
    if mask is not False:
        raise ParameterError(
            f"{func}: mask={mask!r} is not supported on signals (masks are not audio); "
            "use sigpu.decompose.hpss(stft(y), mask=True)"
        )
    D = stft(y, **stft_kw)
    parts = _hpss_spectrogram(D, kernel_size=kernel_size, power=power, mask=mask, margin=margin)
    inverse_kw = {k: v for k, v in stft_kw.items() if k != "pad_mode"}
    return tuple(istft(parts[i], dtype=y.dtype, length=y.shape[-1], **inverse_kw) for i in which)


def _stft_kw(n_fft, hop_length, win_length, window, center, pad_mode):
    return dict(
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )


@on_input_device
def hpss(
    y,
    *,
    kernel_size=31,
    power=2.0,
    mask=False,
    margin=1.0,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
):
    """Harmonic and percussive parts of a signal (median-filtering HPSS).

    The STFT of ``y``, separated by :func:`sigpu.decompose.hpss`, inverted to ``y``'s
    length.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Signals.
    kernel_size, power, margin
        As for :func:`sigpu.decompose.hpss`.
    mask : bool
        Only False: masks are not signals (librosa inverts them as if they were
        spectra); take them from :func:`sigpu.decompose.hpss`.
    n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`sigpu.stft` (the inverse uses the same).

    Returns
    -------
    y_harmonic, y_percussive : arrays, shape (..., n)
        Same library, device and dtype as ``y``.

    Raises
    ------
    ParameterError
        Bad HPSS or STFT parameters; ``mask=True``.
    TypeError
        ``y`` not a float array.

    See Also
    --------
    harmonic : The harmonic part alone.
    percussive : The percussive part alone.
    sigpu.decompose.hpss : The separation of a spectrogram.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.effects.hpss`` (which ignores ``window``: with any
    window but the default, sigpu analyses and resynthesises with it, librosa with
    "hann").

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> y_h, y_p = sigpu.effects.hpss(y)
    >>> y_h.shape, y_p.dtype
    ((22050,), dtype('float32'))
    """
    stft_kw = _stft_kw(n_fft, hop_length, win_length, window, center, pad_mode)
    return _separate(y, (0, 1), "hpss", kernel_size, power, mask, margin, stft_kw)


@on_input_device
def harmonic(
    y,
    *,
    kernel_size=31,
    power=2.0,
    mask=False,
    margin=1.0,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
):
    """The harmonic part of a signal (see :func:`hpss`).

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Signals.
    kernel_size, power, margin
        As for :func:`sigpu.decompose.hpss`.
    mask : bool
        Only False: masks are not signals (librosa inverts them as if they were
        spectra); take them from :func:`sigpu.decompose.hpss`.
    n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`sigpu.stft`.

    Returns
    -------
    y_harmonic : array, shape (..., n)
        Same library, device and dtype as ``y``.

    Raises
    ------
    ParameterError
        Bad HPSS or STFT parameters; ``mask=True``.
    TypeError
        ``y`` not a float array.

    See Also
    --------
    hpss : Both parts.
    percussive : The percussive part.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.effects.harmonic``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32)
    >>> sigpu.effects.harmonic(y).shape
    (2, 22050)
    """
    stft_kw = _stft_kw(n_fft, hop_length, win_length, window, center, pad_mode)
    return _separate(y, (0,), "harmonic", kernel_size, power, mask, margin, stft_kw)[0]


@on_input_device
def percussive(
    y,
    *,
    kernel_size=31,
    power=2.0,
    mask=False,
    margin=1.0,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
):
    """The percussive part of a signal (see :func:`hpss`).

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Signals.
    kernel_size, power, margin
        As for :func:`sigpu.decompose.hpss`.
    mask : bool
        Only False: masks are not signals (librosa inverts them as if they were
        spectra); take them from :func:`sigpu.decompose.hpss`.
    n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`sigpu.stft`.

    Returns
    -------
    y_percussive : array, shape (..., n)
        Same library, device and dtype as ``y``.

    Raises
    ------
    ParameterError
        Bad HPSS or STFT parameters; ``mask=True``.
    TypeError
        ``y`` not a float array.

    See Also
    --------
    hpss : Both parts.
    harmonic : The harmonic part.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.effects.percussive``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050)
    >>> sigpu.effects.percussive(y).dtype
    dtype('float64')
    """
    stft_kw = _stft_kw(n_fft, hop_length, win_length, window, center, pad_mode)
    return _separate(y, (1,), "percussive", kernel_size, power, mask, margin, stft_kw)[0]


# ----------------------------------------------------------------------------- phase vocoder


#: The most output frames :func:`phase_vocoder` makes (a rate near 0 asks for unbounded ones).
MAX_STRETCHED_FRAMES = 1 << 31


@on_input_device
def phase_vocoder(D, *, rate, hop_length=None, n_fft=None):
    """Time-stretch an STFT by ``rate`` with a phase vocoder (librosa's).

    Output frame ``t`` reads the input at ``s = t * rate``: its magnitude is interpolated
    linearly between frames ``floor(s)`` and ``floor(s) + 1``, its phase is the running sum
    of the expected advance ``2 pi k hop_length / n_fft`` plus the wrapped deviation of the
    measured phase difference between those two frames (frames past the end count as zero).

    Parameters
    ----------
    D : array, shape (..., 1 + n_fft // 2, n_frames), complex64 or complex128
        STFT (NumPy or CuPy).
    rate : float > 0
        Speed-up factor (> 1 faster, < 1 slower).
    hop_length : int > 0 or None
        Hop of ``D``; default ``n_fft // 4``.
    n_fft : int > 0 or None
        Frame length of ``D``; default ``2 * (D.shape[-2] - 1)``.

    Returns
    -------
    D_stretched : array, shape (..., 1 + n_fft // 2, ceil(n_frames / rate))
        Same library, device and dtype as ``D``.

    Raises
    ------
    ParameterError
        ``rate``, ``hop_length`` or ``n_fft`` not positive; ``D`` with fewer than 2 axes
        or no frame.
    TypeError
        ``D`` not complex.

    See Also
    --------
    sigpu.effects.time_stretch : The same on a signal.
    sigpu.stft : Short-time Fourier transform.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.phase_vocoder`` (Ellis, "A phase vocoder in
    Matlab", 2002), including its float32 rounding: the running phase is accumulated in
    float64 steps rounded to the input's precision at every frame (a kernel: one numba
    pass per bin on the CPU, frame by frame over all bins in NumPy for inputs of up to
    2^18 output samples; a CUDA scan after array code on the GPU).  In float32 that
    phase grows to ``pi * hop_length * n_frames`` rad, where each rounding moves it by up
    to half an ulp: given the same ``D``, float32 results agree with librosa's to ~1e-7
    of the peak, but STFTs that differ by rounding (e.g. sigpu's and librosa's) give
    stretched STFTs about 1e-3 apart.  float64 agrees to rounding.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> D = sigpu.stft(y)
    >>> sigpu.phase_vocoder(D, rate=2.0).shape
    (1025, 22)
    """
    xp = float_or_complex_array(D, "D", func="phase_vocoder", min_ndim=2)
    if not xp.isdtype(D.dtype, "complex floating"):
        raise TypeError(f"phase_vocoder: D has dtype {D.dtype}; it must be complex")
    rate = positive_float(rate, "rate")
    n_fft = 2 * (D.shape[-2] - 1) if n_fft is None else positive_int(n_fft, "n_fft")
    hop_length = n_fft // 4 if hop_length is None else positive_int(hop_length, "hop_length")
    if D.shape[-1] == 0 or D.shape[-2] != 1 + n_fft // 2:
        raise ParameterError(
            f"phase_vocoder: D of shape {D.shape} must hold frames of 1 + n_fft // 2 = "
            f"{1 + n_fft // 2} bins"
        )
    D = native_array(D)
    if D.shape[-1] / rate > MAX_STRETCHED_FRAMES:
        raise ParameterError(
            f"phase_vocoder: rate={rate!r} would make {D.shape[-1] / rate:.3g} frames of "
            f"{D.shape[-1]} (at most {MAX_STRETCHED_FRAMES})"
        )
    steps = np.arange(0, D.shape[-1], rate, dtype=np.float64)
    lead = [(0, 0)] * (D.ndim - 1)
    padded = xp.pad(D, lead + [(0, 2)])
    rows = (-1, padded.shape[-1])
    # librosa's hop_length * fft_frequencies(sr=2 pi, n_fft), rounded as it rounds them
    bin_advance = np.arange(D.shape[-2]) * (1.0 / (n_fft * (1.0 / (2 * np.pi))))
    stretched = kernel(xp, "phase.vocode")(
        xp.reshape(xp.abs(padded), rows),
        xp.reshape(xp.angle(padded), rows),
        xp.asarray(steps.astype(np.int64)),
        xp.asarray(np.mod(steps, 1.0)),
        xp.asarray(hop_length * bin_advance),
    )
    return xp.astype(xp.reshape(stretched, (*D.shape[:-1], steps.size)), D.dtype, copy=False)


def _stretch_length(n, rate):
    return int(round(n / rate))


@on_input_device
def time_stretch(
    y,
    *,
    rate,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
):
    """Time-stretch a signal by ``rate`` (phase vocoder), keeping its pitch.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Signals.
    rate : float > 0
        Stretch factor: > 1 faster, < 1 slower.
    n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`sigpu.stft` (librosa passes them through ``**kwargs``).

    Returns
    -------
    y_stretch : array, shape (..., round(n / rate))
        Same library, device and dtype as ``y``.

    Raises
    ------
    ParameterError
        ``rate`` not positive, bad STFT parameters.
    TypeError
        ``y`` not a float array.

    See Also
    --------
    pitch_shift : Shift the pitch, keeping the duration.
    sigpu.phase_vocoder : The stretch of an STFT.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.effects.time_stretch``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> sigpu.effects.time_stretch(y, rate=2.0).shape
    (11025,)
    """
    real_array(y, "y", func="time_stretch")
    y = native_array(y)
    rate = positive_float(rate, "rate")
    length = _stretch_length(y.shape[-1], rate)
    if length < 1:
        raise ParameterError(
            f"time_stretch: rate={rate!r} leaves no sample of the {y.shape[-1]} in y"
        )
    stft_kw = _stft_kw(n_fft, hop_length, win_length, window, center, pad_mode)
    D = stft(y, **stft_kw)
    stretched = phase_vocoder(D, rate=rate, hop_length=hop_length, n_fft=n_fft)
    inverse_kw = {k: v for k, v in stft_kw.items() if k != "pad_mode"}
    return istft(stretched, dtype=y.dtype, length=length, **inverse_kw)


#: The largest shift :func:`pitch_shift` takes, in octaves either way.
MAX_SHIFT_OCTAVES = 16

#: Denominators tried, largest first, for the rational resampling ratio of a pitch shift.
PITCH_RATIO_DENOMINATORS = (16384, 8192, 4096, 2048, 1024)


def _pitch_ratio(rate):
    """``1 / rate`` as the closest fraction whose resampling tables stay within
    :func:`sigpu.resample`'s limits (relative error ~1e-8 for the usual steps)."""
    for limit in PITCH_RATIO_DENOMINATORS:
        ratio = Fraction(1.0 / rate).limit_denominator(limit)
        try:
            _resample.check_size(ratio.denominator, ratio.numerator, "sinc_hq", 1, 1)
        except ParameterError:
            continue
        return ratio
    return Fraction(1.0 / rate).limit_denominator(PITCH_RATIO_DENOMINATORS[-1])


def _fix_length(y, size, xp):
    n = y.shape[-1]
    if n >= size:
        return y[..., :size]
    return xp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, size - n)])


@on_input_device
def pitch_shift(
    y,
    *,
    sr,
    n_steps,
    bins_per_octave=12,
    res_type="soxr_hq",
    scale=False,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
):
    """Shift the pitch by ``n_steps`` steps, keeping the duration.

    A step is ``1 / bins_per_octave`` octave: the signal is time-stretched by
    ``2 ** (-n_steps / bins_per_octave)``, then resampled by the inverse factor.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Signals.
    sr : float > 0
        Sampling rate of ``y``.
    n_steps : float
        Steps to shift (fractional allowed; negative: down).
    bins_per_octave : int > 0
        Steps per octave (12: semitones).
    res_type : {"soxr_hq", "sinc_hq", "polyphase"}
        Resampler, as :func:`sigpu.resample` (``"soxr_hq"``: sigpu's windowed sinc to
        soxr HQ's specification).
    scale : bool
        Scale the resampled signal to keep its energy.
    n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`sigpu.stft`.

    Returns
    -------
    y_shift : array, shape (..., n)
        Same library, device and dtype as ``y``.

    Raises
    ------
    ParameterError
        Bad ``sr``, ``n_steps``, ``bins_per_octave``, ``res_type`` or STFT parameters;
        ``"polyphase"`` with a non-integer ratio.
    TypeError
        ``y`` not a float array.

    See Also
    --------
    time_stretch : Change the duration, keeping the pitch.
    sigpu.resample : Resampling.

    Notes
    -----
    NumPy and CuPy. Follows ``librosa.effects.pitch_shift``.  librosa resamples from the
    irrational rate ``sr / rate``; sigpu's rational polyphase resampler takes that ratio
    as the closest fraction whose filter tables it accepts (``n_steps = 2``: 5252/4679,
    a relative error of 1.4e-8, so a drift below 0.01 sample over 10 s; the tables of
    a new ratio take about a second to build, then are cached).  Whole octaves are exact,
    and with ``res_type="polyphase"`` (integer rates only, as librosa) the result matches
    librosa's to rounding; with the default resampler it differs as :func:`sigpu.resample`
    differs from soxr (about 0.3 % RMS).  In float32 the phase vocoder's running phase
    is only good to about 1e-3 rad (see :func:`sigpu.phase_vocoder`), so float32
    results agree with librosa's to about 1e-3 of the peak; float64 ones to rounding.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> sigpu.effects.pitch_shift(y, sr=22050, n_steps=4).shape
    (22050,)
    """
    xp = real_array(y, "y", func="pitch_shift")
    y = native_array(y)
    sr = positive_float(sr, "sr")
    n_steps = finite_float(n_steps, "n_steps")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    if abs(n_steps / bins_per_octave) > MAX_SHIFT_OCTAVES:
        raise ParameterError(
            f"pitch_shift: n_steps={n_steps!r} is {n_steps / bins_per_octave:.3g} octaves; "
            f"at most {MAX_SHIFT_OCTAVES} either way (the stretched signal grows as 2**octaves)"
        )
    res_type = _resample_type(res_type)
    rate = 2.0 ** (-n_steps / bins_per_octave)
    stretched = time_stretch(
        y,
        rate=rate,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    if res_type == "polyphase":  # librosa's rates (integers, or resample refuses them)
        orig_sr, target_sr = sr / rate, sr
    else:
        ratio = _pitch_ratio(rate)
        orig_sr, target_sr = ratio.numerator, ratio.denominator
    with check_finite(False):  # ``stretched`` comes from ``y``, which the STFT checked
        shifted = resample(
            stretched, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type, scale=scale
        )
    return _fix_length(shifted, y.shape[-1], xp)


def _resample_type(res_type):
    if res_type not in _resample.RES_TYPES:
        listed = ", ".join(repr(t) for t in _resample.RES_TYPES)
        raise ParameterError(f"res_type={res_type!r} is not supported; choose one of {listed}")
    return res_type


# ----------------------------------------------------------------------------- emphasis


def _coefficient(coef):
    return finite_float(coef, "coef")


def _initial_state(zi, y, xp, func):
    """``zi`` broadcast to ``y.shape[:-1] + (1,)`` in ``y``'s dtype."""
    if not hasattr(zi, "shape"):
        zi = finite_float(zi, "zi") if not isinstance(zi, (list, tuple)) else np.asarray(zi)
    if isinstance(zi, np.ndarray) and xp is not np and "cupy" in xp.__name__:
        raise TypeError(f"{func}: zi is a NumPy array; pass it as a cupy.ndarray (or a number)")
    state = xp.asarray(zi, dtype=y.dtype) if not isinstance(zi, float) else zi
    shape = y.shape[:-1] + (1,)
    try:
        return xp.broadcast_to(xp.asarray(state, dtype=y.dtype), shape)
    except ValueError as err:
        raise ParameterError(f"{func}: zi must broadcast to shape {shape}") from err


def _check_signal(y, func, need_two):
    xp = real_array(y, "y", func=func)
    if y.shape[-1] < (2 if need_two else 1):
        raise ParameterError(
            f"{func}: y needs at least {2 if need_two else 1} samples on its last axis "
            f"(the default zi extrapolates from the first two), got shape {y.shape}"
        )
    return xp, native_array(y)


@on_input_device
def preemphasis(y, *, coef=0.97, zi=None, return_zf=False):
    """Pre-emphasise a signal: ``y[n] - coef * y[n - 1]`` (first-order differencing).

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Signals.
    coef : float
        Coefficient (0: unchanged, 1: first difference; default 0.97, HTK's).
    zi : number or array broadcasting to (..., 1), optional
        Initial filter state (``out[0] = y[0] + zi``); default ``2 * y[0] - y[1]``, as
        librosa.  Pass the ``zf`` of the previous block to filter a stream in blocks.
    return_zf : bool
        Also return the final state.

    Returns
    -------
    y_out : array, shape (..., n)
        Same library, device and dtype as ``y``.
    zf : array, shape (..., 1)
        The final state ``-coef * y[..., -1:]`` (with ``return_zf``).

    Raises
    ------
    ParameterError
        Non-finite ``coef`` or ``zi``; ``zi`` of a shape that does not broadcast; fewer
        than 2 samples without ``zi``.
    TypeError
        ``y`` not a float array.

    See Also
    --------
    deemphasis : The inverse filter.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.effects.preemphasis`` (its ``lfilter([1, -coef],
    [1], y, zi=zi)``) to the last bit: the filter has no feedback, so it is one array
    expression.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.array([1.0, 2.0, 3.0, 4.0])
    >>> sigpu.effects.preemphasis(y, coef=0.5, zi=0.0)
    array([1. , 1.5, 2. , 2.5])
    """
    xp, y = _check_signal(y, "preemphasis", need_two=zi is None)
    coef = _coefficient(coef)
    b1 = xp.asarray(-coef, dtype=y.dtype)
    state = (
        2 * y[..., 0:1] - y[..., 1:2] if zi is None else _initial_state(zi, y, xp, "preemphasis")
    )
    previous = xp.concat([xp.zeros_like(y[..., :1]), y[..., :-1]], axis=-1)
    y_out = y + b1 * previous
    y_out = xp.concat([y[..., :1] + state, y_out[..., 1:]], axis=-1)
    if return_zf:
        return y_out, b1 * y[..., -1:]
    return y_out


@on_input_device
def deemphasis(y, *, coef=0.97, zi=None, return_zf=False):
    """De-emphasise a signal, inverting :func:`preemphasis`: ``x[n] = y[n] + coef * x[n - 1]``.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Pre-emphasised signals.
    coef : float
        Coefficient of the pre-emphasis to undo (default 0.97).
    zi : number or array broadcasting to (..., 1), optional
        Initial filter state.  Default: librosa's, which inverts the default of
        :func:`preemphasis` (zero state, then ``((2 - coef) y[0] - y[1]) / (3 - coef) *
        coef**n`` subtracted; sigpu starts the filter from minus that value, the same
        sum in one pass).
    return_zf : bool
        Also return the final state (``coef * x[..., -1:]`` before that correction, as
        librosa returns it).

    Returns
    -------
    y_out : array, shape (..., n)
        Same library, device and dtype as ``y``.
    zf : array, shape (..., 1)
        Final state (with ``return_zf``).

    Raises
    ------
    ParameterError
        Non-finite ``coef`` or ``|coef| > 1`` (an unstable filter, whose output grows as
        ``coef**n``; librosa computes it until it overflows); ``zi`` of a shape that does
        not broadcast; fewer than 2 samples without ``zi``.
    TypeError
        ``y`` not a float array.

    See Also
    --------
    preemphasis : The filter this inverts.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.effects.deemphasis``: on the CPU it is the same
    ``scipy.signal.lfilter`` call; on the GPU the recurrence runs as blocks of 128
    samples, each one matrix product with a triangular table of powers of ``coef``, and
    the blocks' carries as the same recurrence one level down, with powers of ``coef``
    no larger than 1.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> x = np.random.default_rng(0).standard_normal(1000)
    >>> back = sigpu.effects.deemphasis(sigpu.effects.preemphasis(x))
    >>> bool(np.allclose(back, x))
    True
    """
    xp, y = _check_signal(y, "deemphasis", need_two=zi is None)
    coef = _coefficient(coef)
    if abs(coef) > 1:
        raise ParameterError(
            f"deemphasis: coef={coef!r} makes the filter unstable (it grows as coef**n); "
            "|coef| must be <= 1"
        )
    rows = xp.reshape(y, (-1, y.shape[-1]))
    if zi is None:
        # librosa filters from a zero state, then subtracts start * coef**n: the response
        # of the same filter to the state -start, which one pass computes directly
        start = ((2 - coef) * rows[:, 0] - rows[:, 1]) / (3 - coef)
        state = -start
    else:
        state = xp.reshape(_initial_state(zi, y, xp, "deemphasis"), (-1,))
    filtered, final = kernel(xp, "recurrence.first_order_filter")(
        rows, (1.0,), (1.0, -coef), xp.astype(state, y.dtype)
    )
    if zi is None:  # librosa's zf is its zero-state filter's: add the state's part back
        final = final + start * coef ** y.shape[-1]
    y_out = xp.reshape(filtered, y.shape)
    if return_zf:
        return y_out, xp.reshape(final, y.shape[:-1] + (1,))
    return y_out


# ----------------------------------------------------------------------------- silence


def _frame_rms(y, frame_length, hop_length, xp):
    """``librosa.feature.rms(y, center=True)``: RMS of zero-padded centred frames.

    When the frame is a whole number of hops, each frame's energy is the sum of its hops'
    (every sample squared and summed once, not once per frame that holds it).
    """
    lead = [(0, 0)] * (y.ndim - 1)
    pad = frame_length // 2
    n_frames = 1 + (y.shape[-1] + 2 * pad - frame_length) // hop_length
    if frame_length % hop_length:
        padded = xp.pad(y, lead + [(pad, pad)])
        windows = frames(xp.ascontiguousarray(padded), frame_length, hop_length)
        return xp.sqrt(xp.mean(windows[..., :n_frames, :] ** 2, axis=-1))
    hops_per_frame = frame_length // hop_length
    n_hops = n_frames + hops_per_frame - 1
    right = max(0, n_hops * hop_length - pad - y.shape[-1])
    padded = xp.pad(y, lead + [(pad, right)])[..., : n_hops * hop_length]
    hop_energy = xp.sum(xp.reshape(padded**2, (*y.shape[:-1], n_hops, hop_length)), axis=-1)
    energy = hop_energy[..., :n_frames]
    for k in range(1, hops_per_frame):
        energy = energy + hop_energy[..., k : k + n_frames]
    return xp.sqrt(energy / frame_length)


def _nonsilent(y, top_db, ref, frame_length, hop_length, aggregate, func):
    xp = real_array(y, "y", func=func)
    y = native_array(y)
    top_db = finite_float(top_db, "top_db")
    frame_length = positive_int(frame_length, "frame_length")
    hop_length = positive_int(hop_length, "hop_length")
    if y.shape[-1] == 0:
        raise ParameterError(f"{func}: y holds no samples")
    if aggregate is not None and aggregate is not np.max and not callable(aggregate):
        raise ParameterError(f"aggregate={aggregate!r} must be a callable")
    rms = _frame_rms(y, frame_length, hop_length, xp)
    db = amplitude_to_db(rms, ref=ref, top_db=None)
    if db.ndim > 1:
        axes = tuple(range(db.ndim - 1))
        reduce = xp.max if aggregate is None or aggregate is np.max else aggregate
        db = reduce(db, axis=axes)
    return xp, y, db > -top_db, hop_length


@on_input_device
def trim(y, *, top_db=60, ref=np.max, frame_length=2048, hop_length=512, aggregate=np.max):
    """Trim leading and trailing silence: frames whose RMS is ``top_db`` below ``ref``.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Signals (channels are trimmed together).
    top_db : float
        Threshold in dB below ``ref``.
    ref : float or callable
        Reference amplitude, or a function of the RMS array (default its maximum).
    frame_length, hop_length : int > 0
        RMS frames (centred, zero-padded).
    aggregate : callable
        Combines the channels' dB curves (default their maximum); called as
        ``aggregate(db, axis=...)`` on ``y``'s array library.

    Returns
    -------
    y_trimmed : array, shape (..., m)
        A view of ``y``.
    index : array, shape (2,), int64
        ``[start, end]`` of the kept samples (``y``'s library).

    Raises
    ------
    ParameterError
        Bad sizes, non-finite ``top_db``, empty ``y``.
    TypeError
        ``y`` not a float array.

    See Also
    --------
    split : All non-silent intervals.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.effects.trim``.  On CuPy, reading ``start`` and
    ``end`` is one device-to-host synchronisation.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.zeros(22050 * 3, np.float32)
    >>> y[22050:44100] = np.sin(np.arange(22050) * 0.1)
    >>> y_t, index = sigpu.effects.trim(y)
    >>> index  # librosa.effects.trim gives the same
    array([21504, 45568])
    """
    xp, y, loud, hop_length = _nonsilent(
        y, top_db, ref, frame_length, hop_length, aggregate, "trim"
    )
    n_frames = loud.shape[-1]
    first = xp.argmax(loud)
    last = n_frames - 1 - xp.argmax(xp.flip(loud))
    bounds = xp.stack([xp.astype(xp.any(loud), xp.int64), first, last + 1])
    found, first, stop = (int(v) for v in to_host(bounds))
    start, end = (0, 0) if not found else (first * hop_length, min(y.shape[-1], stop * hop_length))
    return y[..., start:end], xp.asarray([start, end], dtype=xp.int64)


@on_input_device
def split(y, *, top_db=60, ref=np.max, frame_length=2048, hop_length=512, aggregate=np.max):
    """Non-silent intervals of a signal.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Signals (channels are split together).
    top_db : float
        Threshold in dB below ``ref``.
    ref : float or callable
        Reference amplitude, or a function of the RMS array (default its maximum).
    frame_length, hop_length : int > 0
        RMS frames (centred, zero-padded).
    aggregate : callable
        Combines the channels' dB curves (default their maximum).

    Returns
    -------
    intervals : array, shape (m, 2), int64
        ``[start, end)`` in samples of each non-silent interval (``y``'s library).

    Raises
    ------
    ParameterError
        Bad sizes, non-finite ``top_db``, empty ``y``.
    TypeError
        ``y`` not a float array.

    See Also
    --------
    trim : Only the leading and trailing silence.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.effects.split``.  On CuPy, the number of
    intervals is one device-to-host synchronisation.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.zeros(22050 * 3, np.float32)
    >>> y[22050:44100] = np.sin(np.arange(22050) * 0.1)
    >>> sigpu.effects.split(y)  # librosa.effects.split gives the same
    array([[21504, 45568]])
    """
    xp, y, loud, hop_length = _nonsilent(
        y, top_db, ref, frame_length, hop_length, aggregate, "split"
    )
    closed = xp.concat(
        [xp.zeros(1, dtype=xp.int8), xp.astype(loud, xp.int8), xp.zeros(1, dtype=xp.int8)]
    )
    edges = xp.nonzero(closed[1:] != closed[:-1])[0]
    samples = xp.minimum(edges * hop_length, y.shape[-1])
    return xp.reshape(xp.astype(samples, xp.int64), (-1, 2))
