"""Audio files and sampling rates: load, resample, to_mono, get_duration, get_samplerate.

Signatures, defaults and results follow librosa 0.11 (``librosa.load`` and friends), with
soundfile (libsndfile) underneath: WAV (8/16/24/32-bit integer and float), FLAC, OGG
Vorbis/Opus, MP3 (libsndfile >= 1.1) and the other formats libsndfile reads.  Files are
decoded on the host, so :func:`load` returns NumPy arrays; :func:`resample`,
:func:`to_mono` and :func:`get_duration` take NumPy or CuPy arrays.

Resampling (``res_type``):

``"sinc_hq"`` (the default; ``"soxr_hq"`` is accepted as an alias)
    A Kaiser-windowed sinc low-pass designed to the specification of soxr's HQ recipe,
    librosa's default: flat to 0.913 of the lower Nyquist frequency, 126 dB stopband
    from that Nyquist frequency, linear phase.  It is *not* soxr itself, which librosa
    calls on the host only: the numbers differ from ``librosa.resample(res_type=
    "soxr_hq")`` by what the two filters let through in the transition band, and by
    soxr's interpolated filter phases for ratios other than n and 1/n.  Measured against
    soxr 1.1 (``tests/test_audio.py`` asserts the bounds in brackets), as max |sigpu -
    librosa| / max |librosa|: for content below 0.85 of the lower Nyquist frequency with
    tapered ends, 9e-7 for the ratios 2, 1/2, 1/3 [3e-6] and 1.9e-4 for 22050 <-> 16000,
    44100 -> 8000, 48000 <-> 44100, 8000 -> 22050 [4e-4]; for white noise 5e-2 at the
    first samples (soxr's start) and an RMS difference of 0.33 % [1e-1, 5e-3].  Lengths
    follow soxr's rounding (see ``fix``).
``"polyphase"``
    ``scipy.signal.resample_poly``'s filter (Kaiser, beta 5, ``20 * max(up, down) + 1``
    taps): the same numbers up to rounding, as ``librosa.resample(res_type=
    "polyphase")``.  Integer sampling rates only, as in librosa.

Both run as a polyphase filter for the reduced ratio ``up / down``: a batched matrix
product of the input frames with a cached weight table, or (when ``up`` is small and
the filter long, e.g. 44100 -> 22050) an overlap-save product of spectra.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os

import numpy as np

from . import _resample
from ._backend import array_namespace, import_module, on_input_device
from ._errors import ParameterError
from ._validate import (
    check_audio_finite,
    is_int,
    native_array,
    nonnegative_float,
    one_of,
    optional_real_dtype,
    positive_float,
    positive_int,
    real_array,
)

__all__ = ["load", "resample", "to_mono", "get_duration", "get_samplerate"]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


# ----------------------------------------------------------------------------- files


def _soundfile():
    return import_module("soundfile")  # imported on first use: cffi and libsndfile


def _open(path, func: str):
    """A context manager giving an open ``soundfile.SoundFile`` for ``path``; a
    ``SoundFile`` the caller opened is used as it is and left open."""
    sf = _soundfile()
    if isinstance(path, sf.SoundFile):
        return contextlib.nullcontext(path)
    if isinstance(path, (bool, int, float)) or path is None:
        # soundfile reads an int as an open file descriptor (0: stdin): never a path here
        raise TypeError(
            f"{func}: path={path!r} must be a file name (str or path-like), a file object or "
            "a soundfile.SoundFile"
        )
    if isinstance(path, (str, bytes, os.PathLike)) and not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), os.fsdecode(path))
    try:
        return sf.SoundFile(path)
    except (sf.SoundFileRuntimeError, sf.SoundFileError) as err:
        raise _unreadable(path, func, err) from err
    except TypeError as err:  # soundfile's "Invalid file: ..."
        raise TypeError(
            f"{func}: path={path!r} must be a file name (str or path-like), a file object or "
            "a soundfile.SoundFile"
        ) from err


def _unreadable(path, func: str, err) -> ParameterError:
    sf = _soundfile()
    name = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else repr(path)
    reason = getattr(err, "error_string", None) or str(err)
    return ParameterError(
        f"{func}: cannot read {name!r} as audio ({reason}); soundfile reads what "
        f"libsndfile {sf.__libsndfile_version__} decodes: WAV, FLAC, OGG, MP3, AIFF, ..."
    )


def load(
    path, *, sr=22050, mono=True, offset=0.0, duration=None, dtype=np.float32, res_type="sinc_hq"
):
    """Load an audio file as a floating-point signal, resampled to ``sr``.

    The samples are decoded by libsndfile (soundfile), averaged to mono unless
    ``mono=False``, and resampled with :func:`resample` when ``sr`` differs from the
    file's rate, as ``librosa.load`` does.

    Parameters
    ----------
    path : str, path-like, file-like or soundfile.SoundFile
        The file.  A ``SoundFile`` you opened is read from ``offset`` (from its
        current position when ``offset`` is 0) and left open.
    sr : float > 0 or None
        Target sampling rate; ``None`` keeps the file's own.
    mono : bool
        Average the channels (:func:`to_mono`).
    offset : float >= 0
        Start reading at ``int(offset * sr_native)`` samples (seconds).
    duration : float >= 0 or None
        Read at most ``int(duration * sr_native)`` samples (seconds); ``None``: to the
        end.  An offset past the end gives an empty signal, as in librosa (whose
        audioread fallback returns shape ``(0,)``; here ``(channels, 0)`` with
        ``mono=False``).
    dtype : float32 or float64
        Precision of the samples (integer formats are scaled to [-1, 1)).
    res_type : {"sinc_hq", "soxr_hq", "polyphase"}
        Resampling method when ``sr`` differs from the file's rate (:func:`resample`).

    Returns
    -------
    y : numpy.ndarray, shape (n,) or (channels, n)
        The samples, C-contiguous; ``(channels, n)`` when ``mono=False`` and the file
        has more than one channel.
    sr : float or int
        ``sr`` as given, or the file's rate (an int) for ``sr=None``.

    Raises
    ------
    FileNotFoundError
        ``path`` names no file.
    ParameterError
        The file cannot be decoded (the message names it), or a bad parameter.
    TypeError
        ``dtype`` is not float32 or float64.

    See Also
    --------
    resample : Change the sampling rate of a signal.
    to_mono : Average the channels.
    get_duration : Seconds of a file, signal or spectrogram.
    get_samplerate : A file's sampling rate from its header.

    Notes
    -----
    Host only (files are decoded by libsndfile); copy the result to a GPU with
    ``cupy.asarray`` and resample there with :func:`resample`.  Matches
    ``librosa.load`` sample for sample when no resampling happens (``sr=None`` or the
    file's rate); librosa's audioread fallback (deprecated there) is not offered.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile, sigpu
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> t = np.arange(44100) / 44100
    >>> soundfile.write(path, np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1), 44100)
    >>> y, sr = sigpu.load(path)
    >>> y.shape, y.dtype, sr
    ((22050,), dtype('float32'), 22050)
    >>> y, sr = sigpu.load(path, sr=None, mono=False, offset=0.5, duration=0.25)
    >>> y.shape, sr
    ((2, 11025), 44100)
    """
    out_dtype = optional_real_dtype(dtype, "dtype")
    if out_dtype is None:
        raise TypeError("load: dtype=None must be float32 or float64")
    target = None if sr is None else positive_float(sr, "sr")
    offset = nonnegative_float(offset, "offset")
    duration = None if duration is None else nonnegative_float(duration, "duration")
    res_type = one_of(res_type, "res_type", _resample.RES_TYPES)
    sf = _soundfile()
    with _open(path, "load") as file:
        sr_native = file.samplerate
        try:
            start = int(offset * sr_native)
            frames = -1 if duration is None else int(duration * sr_native)
            if file.seekable() and start >= file.frames:
                frames = 0  # past the end (libsndfile cannot seek there): nothing to read
            elif offset:
                file.seek(start)
            if file.subtype == "PCM_16":
                y = _read_pcm16(file, frames, out_dtype, mono)
            else:
                y = file.read(frames=frames, dtype=out_dtype.name, always_2d=False).T
        except (sf.SoundFileRuntimeError, sf.SoundFileError) as err:
            raise _unreadable(path, "load", err) from err
    y = np.ascontiguousarray(y)
    if mono:
        y = to_mono(y)
    if target is None:
        return y, sr_native
    return resample(y, orig_sr=sr_native, target_sr=sr, res_type=res_type), sr


def _read_pcm16(file, frames: int, dtype: np.dtype, mono: bool) -> np.ndarray:
    """16-bit samples as libsndfile's float conversion and :func:`to_mono` give them,
    ``(channels, n)`` or ``(n,)``, read as integers and scaled here: libsndfile's own
    conversion took 2.9 ms for 11 s of 44.1 kHz stereo, the integers 0.2 ms.  The same
    numbers: ``x / 2**15`` is exact in float32 and float64, and so is the sum of up to
    256 channels of them; the mean divides that sum as NumPy's mean does."""
    raw = file.read(frames=frames, dtype="int16", always_2d=True)  # (n, channels)
    scale = dtype.type(2.0**-15)
    channels = raw.shape[1]
    if mono and 1 < channels <= 256:
        samples = raw.astype(dtype)
        total = samples[:, 0] + samples[:, 1]
        for channel in range(2, channels):
            total += samples[:, channel]
        total *= scale  # the sum of the channels' float samples, exact
        if channels & (channels - 1):
            return np.true_divide(total, np.intp(channels), out=total, casting="unsafe")
        return np.multiply(total, dtype.type(1 / channels), out=total)  # exact too
    y = np.array(raw.T, dtype=dtype, order="C")
    y *= scale
    return y[0] if channels == 1 else y


def get_samplerate(path) -> int:
    """The sampling rate of an audio file, read from its header.

    Nothing is decoded: the header alone gives the rate, for any format libsndfile reads.

    Parameters
    ----------
    path : str, path-like, file-like or soundfile.SoundFile
        The file.

    Returns
    -------
    sr : int
        Samples per second.

    Raises
    ------
    FileNotFoundError
        ``path`` names no file.
    ParameterError
        The file cannot be decoded (the message names it).

    See Also
    --------
    load : Decode a file, mix down and resample.
    get_duration : Seconds of a file, signal or spectrogram.

    Notes
    -----
    Host only (libsndfile).  Matches ``librosa.get_samplerate``.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile, sigpu
    >>> path = os.path.join(tempfile.mkdtemp(), "silence.flac")
    >>> soundfile.write(path, np.zeros(1600), 16000)
    >>> sigpu.get_samplerate(path)
    16000
    """
    with _open(path, "get_samplerate") as file:
        return file.samplerate


@on_input_device
def get_duration(
    *, y=None, sr=22050, S=None, n_fft=2048, hop_length=512, center=True, path=None
) -> float:
    """Duration in seconds of a file, a signal or a spectrogram.

    ``path`` wins over ``S``, and ``S`` over ``y``, as in librosa.

    Parameters
    ----------
    y : array, shape (..., n), optional
        A signal (NumPy or CuPy; only its shape is read).
    sr : float > 0
        Sampling rate of ``y`` or of the signal behind ``S``.
    S : array, shape (..., d, t), optional
        A spectrogram (STFT or derived); accurate to the frame resolution only.
    n_fft : int > 0
        FFT size behind ``S``.
    hop_length : int > 0
        Samples between the frames of ``S``.
    center : bool
        Whether the frames of ``S`` were centred (``n_fft // 2`` samples lost per end).
    path : str, path-like, file-like or soundfile.SoundFile, optional
        A file: its duration from the header, without decoding it.

    Returns
    -------
    duration : float
        Seconds.

    Raises
    ------
    ParameterError
        None of ``y``, ``S`` and ``path`` given, or a bad parameter.
    FileNotFoundError
        ``path`` names no file.

    See Also
    --------
    get_samplerate : A file's sampling rate from its header.
    load : Decode a file, mix down and resample.

    Notes
    -----
    NumPy and CuPy (no device work: shapes only).  Matches ``librosa.get_duration``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> sigpu.get_duration(y=np.zeros((2, 44100), np.float32), sr=22050)
    2.0
    >>> sigpu.get_duration(S=np.zeros((1025, 44)), sr=22050)
    0.9984580498866213
    """
    if path is not None:
        with _open(path, "get_duration") as file:
            return file.frames / file.samplerate
    sr = positive_float(sr, "sr")
    if y is None and S is None:
        raise ParameterError("get_duration: at least one of (y, sr), S, or path must be given")
    if S is not None:
        array_namespace(S, func="get_duration: S")
        if S.ndim < 1:
            raise ParameterError(f"get_duration: S must have a time axis, got shape {S.shape}")
        n_fft = positive_int(n_fft, "n_fft")
        n_samples = n_fft + positive_int(hop_length, "hop_length") * (S.shape[-1] - 1)
        if center:
            n_samples -= 2 * (n_fft // 2)
        return float(n_samples) / sr
    array_namespace(y, func="get_duration: y")
    if y.ndim < 1:
        raise ParameterError(f"get_duration: y must have a time axis, got shape {y.shape}")
    return float(y.shape[-1]) / sr


# ----------------------------------------------------------------------------- signals


@on_input_device
def to_mono(y):
    """Average all channels (every axis but the last) into one signal.

    The input is checked as audio (float32/float64, finite) first, as in librosa.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64
        A signal (NumPy or CuPy).

    Returns
    -------
    y_mono : array, shape (n,)
        The mean over the leading axes; ``y`` itself when it is one-dimensional.

    Raises
    ------
    ParameterError
        ``y`` is 0-d or holds NaN or inf (see :func:`sigpu.check_finite`).
    TypeError
        ``y`` is not a float32/float64 array.

    See Also
    --------
    load : Decode a file, mix down and resample.
    resample : Change the sampling rate of a signal.

    Notes
    -----
    NumPy and CuPy.  Matches ``librosa.to_mono``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], np.float32)
    >>> sigpu.to_mono(y)
    array([2., 2., 2.], dtype=float32)
    """
    xp = real_array(y, "y", func="to_mono")
    check_audio_finite(y, "to_mono")
    if y.ndim > 1:
        return xp.mean(y, axis=tuple(range(y.ndim - 1)))
    return y


def _rate(value, name: str) -> float:
    return positive_float(value, name)


@on_input_device
def resample(y, *, orig_sr, target_sr, res_type="sinc_hq", fix=True, scale=False, axis=-1):
    """Resample a signal from ``orig_sr`` to ``target_sr``.

    A linear-phase FIR filter applied in polyphase form for the exact ratio of the two
    rates, over every leading axis at once; the module notes (:mod:`sigpu.audio`)
    describe the two filters and their measured difference from librosa's.

    Parameters
    ----------
    y : array, shape (..., n, ...), float32 or float64
        Signals (NumPy or CuPy) with ``n`` samples along ``axis``.
    orig_sr, target_sr : float > 0
        Sampling rates; their ratio is taken exactly as a fraction ``up / down``
        (``"polyphase"``: integer rates only, as in librosa).
    res_type : {"sinc_hq", "soxr_hq", "polyphase"}
        ``"sinc_hq"`` (default): a windowed-sinc filter to soxr HQ's specification;
        ``"soxr_hq"`` is an alias of it (not soxr itself: see :mod:`sigpu.audio` for
        the measured difference).  ``"polyphase"``: ``scipy.signal.resample_poly``.
    fix : bool
        Make the length exactly ``ceil(n * target_sr / orig_sr)`` (zero-padded or cut,
        as librosa's ``fix_length``); otherwise ``n * up / down`` samples rounded as
        the reference does: up for ``"polyphase"`` (resample_poly), to the nearest
        for ``"sinc_hq"`` (soxr's ``int(n / (orig_sr / target_sr) + 0.5)``).
    scale : bool
        Divide by ``sqrt(target_sr / orig_sr)`` so that the energy stays about equal.
    axis : int
        The time axis.

    Returns
    -------
    y_hat : array, shape (..., n_out, ...)
        Same library, device and dtype as ``y``; ``y`` itself when the rates are equal.

    Raises
    ------
    ParameterError
        Bad rates, ``res_type`` or ``axis``; non-integer rates for ``"polyphase"``; a
        ratio whose filter table would be too large (e.g. 22050 -> 22051); NaN or inf
        in ``y`` (see :func:`sigpu.check_finite`).
    TypeError
        ``y`` is not a float32/float64 array.

    See Also
    --------
    load : Decode a file, mix down and resample.
    to_mono : Average the channels.

    Notes
    -----
    NumPy and CuPy; the filters are built once in float64 on the host and cached.
    ``"polyphase"`` matches ``scipy.signal.resample_poly`` (``librosa.resample(...,
    res_type="polyphase")``) to rounding; ``"sinc_hq"`` matches ``librosa.resample``'s
    default ``"soxr_hq"`` within the tolerances stated in :mod:`sigpu.audio`.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> t = np.arange(22050) / 22050
    >>> y = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    >>> y16 = sigpu.resample(y, orig_sr=22050, target_sr=16000)
    >>> y16.shape, y16.dtype
    ((16000,), dtype('float32'))
    >>> ref = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    >>> bool(np.abs(y16 - ref)[100:-100].max() < 1e-4)
    True
    """
    xp = real_array(y, "y", func="resample")
    y = native_array(y)  # '>f4' in, native float32 out
    orig, target = _rate(orig_sr, "orig_sr"), _rate(target_sr, "target_sr")
    res_type = one_of(res_type, "res_type", _resample.RES_TYPES)
    if not is_int(axis) or not -y.ndim <= axis < y.ndim:
        raise ParameterError(f"axis={axis!r} must be an integer in [-{y.ndim}, {y.ndim})")
    check_audio_finite(y, "resample")
    if orig == target:
        return y
    if res_type == "polyphase" and not (orig.is_integer() and target.is_integer()):
        raise ParameterError(
            f"resample: res_type='polyphase' needs integer sampling rates, got "
            f"orig_sr={orig_sr!r}, target_sr={target_sr!r}"
        )
    kind = "polyphase" if res_type == "polyphase" else "sinc_hq"
    up, down = _resample.ratio(orig, target)
    _resample.check_size(up, down, kind, orig_sr, target_sr)
    n = y.shape[axis]
    if kind == "polyphase":
        n_natural = -(-n * up // down)  # resample_poly's length
    else:  # soxr's (librosa's default), rounded in floating point as soxr does
        n_natural = min(int(n / (orig / target) + 0.5), -(-n * up // down))
    n_out = int(math.ceil(n * (target / orig))) if fix else n_natural  # librosa's formula
    signal = xp.moveaxis(y, axis, -1)
    y_hat = _resample.apply(signal, up, down, kind, min(n_out, n_natural))
    if n_out > n_natural:
        pad = [(0, 0)] * (y.ndim - 1) + [(0, n_out - n_natural)]
        y_hat = xp.pad(y_hat, pad)
    if scale:
        y_hat = y_hat / math.sqrt(target / orig)
    return xp.moveaxis(y_hat, -1, axis)
