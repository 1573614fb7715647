"""The short-time Fourier transform family: stft, istft, spectrogram, dB scaling, Griffin-Lim.

Definitions, parameters and defaults follow librosa 0.11 (see
``shared/specs/spectral.md`` section 1).  All work is batched over the leading
axes of ``(..., n)`` signals: frames are a strided view, one real FFT covers
every frame of every signal, and the inverse is one inverse FFT plus an
overlap-add kernel (numba on the CPU, CUDA on the GPU).

Inputs follow librosa: the transforms take NumPy or CuPy arrays only (librosa's
require an ``ndarray``), the decibel conversions also numbers and array-likes.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _warnings, _window
from ._backend import (
    _is_cupy_array,
    array_namespace,
    asarray_on,
    device_of,
    kernel,
    on_input_device,
)
from ._cache import host_table, on_device
from ._errors import ParameterError
from ._validate import (
    check_audio_finite,
    check_finite,
    complex_dtype,
    finite_or_unchecked,
    float_or_complex_array,
    is_int,
    native_array,
    nonnegative_float,
    one_of,
    optional_complex_dtype,
    optional_real_dtype,
    positive_float,
    positive_int,
    real_array,
    real_dtype,
    stft_lengths,
)

__all__ = [
    "STFT",
    "stft",
    "istft",
    "spectrogram",
    "power_to_db",
    "amplitude_to_db",
    "db_to_power",
    "db_to_amplitude",
    "griffinlim",
]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


# np.pad modes librosa.stft accepts (those needing the whole signal are refused by librosa too).
PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric")
# centred frames longer than this many signals (and than 2**16) are padding, not analysis
MAX_N_FFT_OVER_SIGNAL = 64


@host_table
def _istft_normalizer(key, win_length, n_fft, hop_length, n_frames, start, length, dtype_name):
    # What istft multiplies by: 1 / (squared-window overlap-add), cropped like the
    # signal, and 1 where the envelope is below the dtype's smallest normal number
    # (librosa leaves those samples undivided). A cached reciprocal turns the
    # division into one in-place multiply.
    full = _window.window_sumsquare(key, win_length, n_fft, hop_length, n_frames)
    envelope = np.zeros(length)
    part = full[start : start + length]
    envelope[: part.shape[0]] = part
    covered = envelope > np.finfo(np.dtype(dtype_name)).tiny
    return np.where(covered, 1.0 / np.where(covered, envelope, 1.0), 1.0)


def _istft_normalizer_on_device(window, hop_length, n_frames, start, length, xp, dtype):
    # _istft_normalizer's numbers for a padded window that lives on the device
    full = _window.sumsquare_on_device(xp.astype(window, xp.float64), hop_length, n_frames, xp)
    envelope = xp.zeros(length, dtype=xp.float64)
    part = full[start : start + length]
    envelope[: part.shape[0]] = part
    covered = envelope > np.finfo(np.dtype(dtype)).tiny
    return xp.astype(xp.where(covered, 1.0 / xp.where(covered, envelope, 1.0), 1.0), dtype)


class STFT:
    """A short-time Fourier transform plan: parameters and window fixed once.

    Calling the plan computes :func:`stft`; :meth:`inverse` computes
    :func:`istft`; both take the functions' ``dtype`` and ``out`` (a
    preallocated result, librosa >= 0.10's rules).  The window (and the istft
    normalisation envelope) is built once in float64 on the host and copied
    once per backend, device and dtype, so repeated calls (and
    :func:`griffinlim`) pay no set-up cost.  The functions :func:`stft` and
    :func:`istft` use the same caches.

    Parameters
    ----------
    n_fft : int > 0
        FFT length; the transform has ``1 + n_fft // 2`` frequency bins.
    hop_length : int > 0 or None
        Samples between frames; ``None`` means ``win_length // 4``.
    win_length : int, 0 < win_length <= n_fft, or None
        Window length, centred in ``n_fft`` zeros; ``None`` means ``n_fft``.
    window : str, tuple, float, callable or array
        Anything ``scipy.signal.get_window`` accepts (periodic windows), a
        callable ``f(win_length)``, or an array of ``win_length`` samples of
        the same array library as the signal (copied to the host once to
        build the cached tables).
    center : bool
        Pad ``n_fft // 2`` samples on both sides so frame ``t`` is centred at
        sample ``t * hop_length``.
    pad_mode : str
        ``np.pad`` mode for ``center=True``: "constant" (zeros, librosa's
        default, unlike torch and nnAudio's "reflect"), "edge", "linear_ramp",
        "reflect" or "symmetric".

    See Also
    --------
    stft : Short-time Fourier transform.
    istft : Inverse short-time Fourier transform.

    Notes
    -----
    NumPy (scipy.fft with a thread pool + numba overlap-add) and CuPy (cuFFT +
    a CUDA overlap-add kernel). Matches ``librosa.stft`` / ``librosa.istft``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> plan = sigpu.STFT(n_fft=512, hop_length=128)
    >>> y = np.random.default_rng(0).standard_normal((2, 4000)).astype(np.float32)
    >>> D = plan(y)
    >>> D.shape, D.dtype
    ((2, 257, 32), dtype('complex64'))
    >>> bool(np.allclose(plan.inverse(D, length=4000), y, atol=1e-5))
    True
    """

    @on_input_device
    def __init__(
        self,
        *,
        n_fft=2048,
        hop_length=None,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
    ):
        self.n_fft, self.win_length, self.hop_length = stft_lengths(n_fft, win_length, hop_length)
        self.center = bool(center)
        self.pad_mode = one_of(pad_mode, "pad_mode", PAD_MODES)
        if window is None or isinstance(window, (bool, np.bool_)):
            raise TypeError(
                f"window={window!r} must be a window name, a (name, parameter) tuple, a number "
                "(Kaiser beta), a callable or an array of win_length samples"
            )
        self.window = window
        if isinstance(window, (str, tuple)):
            # Resolve named windows now so a bad name fails at plan creation.
            _window.padded_window(_window.window_key(window), self.win_length, self.n_fft)

    @property
    def n_freq(self) -> int:
        """Number of frequency bins, ``1 + n_fft // 2``."""
        return 1 + self.n_fft // 2

    def __repr__(self) -> str:
        return (
            f"STFT(n_fft={self.n_fft}, hop_length={self.hop_length}, "
            f"win_length={self.win_length}, window={self.window!r}, center={self.center}, "
            f"pad_mode={self.pad_mode!r})"
        )

    def _window_array(self, xp, dtype):
        window, key = _window.resolve_window(self.window, self.win_length, self.n_fft, xp, dtype)
        if key is None:  # a device array window: checked where it is, as audio is
            finite = finite_or_unchecked(window)
        else:  # a host table (cached): no device sync
            finite = np.isfinite(_window.padded_window(key, self.win_length, self.n_fft)).all()
        if not finite:
            raise ParameterError(
                f"window={'<array>' if hasattr(self.window, 'shape') else repr(self.window)} "
                "must be finite everywhere (it holds NaN or inf)"
            )
        return window, key

    def n_frames(self, n_samples: int) -> int:
        """Return the number of frames for a signal of ``n_samples`` samples.

        Parameters
        ----------
        n_samples : int
            Length of the signal's last axis.

        Returns
        -------
        n_frames : int
            The last axis of ``plan(y)``.
        """
        padded = n_samples + 2 * (self.n_fft // 2) if self.center else n_samples
        return 1 + (padded - self.n_fft) // self.hop_length

    @on_input_device
    def __call__(self, y, *, dtype=None, out=None):
        """Compute the STFT of ``y``, as :func:`stft` with the plan's parameters.

        Parameters
        ----------
        y : array, shape (..., n), float32/float64
            Signal.
        dtype, out
            As for :func:`stft`.

        Returns
        -------
        D : array, shape (..., 1 + n_fft // 2, n_frames), complex
            Equal to ``stft(y, ...)``; with ``out``: ``out`` itself.
        """
        xp = real_array(y, "y", func="stft")
        out_dtype = optional_complex_dtype(dtype)
        n = y.shape[-1]
        if n == 0:
            raise ParameterError("y is empty (0 samples on its last axis); stft needs at least 1")
        check_audio_finite(y, "stft")
        check_framing(n, self.n_fft, self.center, self.pad_mode)
        target = None if out is None else _stft_out(out, y, self.n_freq, self.n_frames(n), dtype)
        y = native_array(y)  # '>f4' in: pocketfft writing into the result needs native order
        window, _ = self._window_array(xp, y.dtype)
        rows = xp.reshape(y, (-1, n))
        spec = kernel(xp, "frames.rfft_frames")(
            rows,
            self.n_fft,
            self.hop_length,
            self.n_frames(n),
            self.pad_mode if self.center else None,
            window,
        )  # (B, T, F)
        spec = xp.reshape(spec, y.shape[:-1] + spec.shape[-2:])
        spec = xp.swapaxes(spec, -1, -2)
        if target is not None:
            target[...] = spec  # cast to out's dtype, as stft(y, dtype=out.dtype) would
            return target
        if out_dtype is not None and spec.dtype != out_dtype:
            spec = xp.astype(spec, out_dtype)
        return spec

    @on_input_device
    def inverse(self, stft_matrix, *, length=None, dtype=None, out=None):
        """Compute the inverse STFT, as :func:`istft` with the plan's parameters.

        Parameters
        ----------
        stft_matrix : array, shape (..., 1 + n_fft // 2, n_frames), complex64/complex128
            STFT to invert.
        length, dtype, out
            As for :func:`istft`.

        Returns
        -------
        y : array, shape (..., length), real
            Equal to ``istft(stft_matrix, ...)``; with ``out``: ``out`` itself.
        """
        y, key = self._inverse(stft_matrix, length=length, dtype=dtype, out=out)
        self._warn_nola_gaps(key)
        return y

    def _warn_nola_gaps(self, key):
        """UserWarning if window and hop violate NOLA (librosa's istft returns the uncovered
        samples undivided, without a warning)."""
        if key is None:  # a device array window
            xp = array_namespace(self.window)
            padded, _ = self._window_array(xp, xp.float64)
            gaps = _window.nola_gaps_on_device(padded, self.hop_length, xp)
        else:
            gaps = _window.nola_gaps(key, self.win_length, self.n_fft, self.hop_length)
        if gaps:
            window = "<array>" if _window.is_array_key(key) else repr(self.window)
            _warnings.warn(
                f"window={window} with hop_length={self.hop_length} violates the NOLA "
                f"condition: {gaps} of every {self.hop_length} samples are covered by no "
                "nonzero window value and cannot be recovered (they are left undivided, "
                "as in librosa: near zero); use a smaller hop_length or a window without "
                "zeros"
            )

    def _inverse(self, stft_matrix, *, length=None, dtype=None, out=None):
        """:meth:`inverse` without the NOLA warning; returns ``(y, window key)``."""
        xp = float_or_complex_array(stft_matrix, "stft_matrix", func="istft", min_ndim=2)
        stft_matrix = native_array(stft_matrix)
        if not xp.isdtype(stft_matrix.dtype, "complex floating"):
            raise TypeError(
                f"stft_matrix has dtype {stft_matrix.dtype}; istft needs complex64 or complex128"
            )
        out_dtype = optional_real_dtype(dtype)
        if stft_matrix.shape[-2] != self.n_freq:
            raise ParameterError(
                f"stft_matrix has {stft_matrix.shape[-2]} frequency bins; n_fft={self.n_fft} "
                f"needs {self.n_freq}"
            )
        n_frames = stft_matrix.shape[-1]
        if n_frames == 0:
            raise ParameterError("stft_matrix has 0 frames")
        start = self.n_fft // 2 if self.center else 0
        if length is not None:
            length = positive_int(length, "length")
            # Only the frames that reach into the requested length are used (librosa).
            n_frames = min(n_frames, math.ceil((length + 2 * start) / self.hop_length))
            stft_matrix = stft_matrix[..., :n_frames]
        else:
            length = self.n_fft + self.hop_length * (n_frames - 1) - 2 * start
        target = None
        if out is not None:
            target = _istft_out(out, stft_matrix, stft_matrix.shape[:-2] + (length,), out_dtype)
        work_dtype = real_dtype(stft_matrix.dtype)
        window, key = self._window_array(xp, work_dtype)

        batch_shape = stft_matrix.shape[:-2]
        # time-major rows for the inverse FFT: a view for sigpu.stft's own output; other
        # layouts copied (by the stride-ordered kernel when large: its module's numba
        # import is more than a short first call should pay)
        spec = xp.swapaxes(stft_matrix, -1, -2)
        if fused_kernel_pays(spec.size) and not spec.flags.c_contiguous:
            spec = kernel(xp, "spectrum.time_major")(stft_matrix)
        else:
            spec = xp.ascontiguousarray(spec)
        spec = xp.reshape(spec, (-1, n_frames, self.n_freq))
        y = kernel(xp, "ola.irfft_overlap_add")(
            spec, self.n_fft, window, self.hop_length, start, length
        )
        if key is None:  # a device array window: its envelope where it is
            y *= _istft_normalizer_on_device(
                window, self.hop_length, n_frames, start, length, xp, work_dtype
            )
        else:
            normalizer = _istft_normalizer(
                key,
                self.win_length,
                self.n_fft,
                self.hop_length,
                n_frames,
                start,
                length,
                np.dtype(work_dtype).name,
            )
            y *= on_device(normalizer, xp, work_dtype)
        y = xp.reshape(y, batch_shape + (length,))
        if target is not None:
            target[...] = y
            return target, key
        if out_dtype is not None and y.dtype != out_dtype:
            y = xp.astype(y, out_dtype)
        return y, key


def _check_n_fft_fits(n_fft, n: int) -> None:
    """ParameterError for centred frames that would be almost all padding (and, for a huge
    n_fft, a window too large to allocate)."""
    if n_fft > max(MAX_N_FFT_OVER_SIGNAL * n, 2**16):
        raise ParameterError(
            f"n_fft={n_fft} is far larger than the signal (length={n}): it may be at most "
            f"max({MAX_N_FFT_OVER_SIGNAL} * length, 65536) samples"
        )


def _check_out(out, like, func):
    """``out`` must be an array of ``like``'s library, on its device (TypeError otherwise)."""
    if not isinstance(out, np.ndarray) and not _is_cupy_array(out):
        raise TypeError(
            f"{func}: out must be a numpy.ndarray or cupy.ndarray, got {type(out).__name__}"
        )
    array_namespace(like, out, func=func)
    if device_of(out) != device_of(like):
        raise TypeError(
            f"{func}: out is on device {device_of(out)}, the input on {device_of(like)}; "
            "allocate out on the input's device"
        )


def _stft_out(out, y, n_freq, n_frames, dtype):
    """The part of a preallocated ``out`` that :func:`stft` fills (librosa >= 0.10's rule:
    ``out.shape[:-1]`` as the result's, at least ``n_frames`` frames, a complex dtype)."""
    _check_out(out, y, "stft")
    shape = y.shape[:-1] + (n_freq, n_frames)
    if out.shape[:-1] != shape[:-1] or out.shape[-1] < n_frames:
        raise ParameterError(
            f"Shape mismatch for provided output array out.shape={out.shape} and target "
            f"shape={shape}"
        )
    if np.dtype(out.dtype).kind != "c":
        raise ParameterError(f"output with dtype={out.dtype} is not of complex type")
    if dtype is not None and np.dtype(out.dtype) != np.dtype(dtype):
        raise ParameterError(f"dtype={np.dtype(dtype)} disagrees with out.dtype={out.dtype}")
    return out if out.shape[-1] == n_frames else out[..., :n_frames]


def _istft_out(out, stft_matrix, shape, dtype):
    """A preallocated ``out`` for :func:`istft` (librosa >= 0.10's rule: exactly the
    result's shape), of a real floating dtype."""
    _check_out(out, stft_matrix, "istft")
    if out.shape != shape:
        raise ParameterError(
            f"Shape mismatch for provided output array out.shape={out.shape} != {shape}"
        )
    if np.dtype(out.dtype) not in (np.float32, np.float64):
        raise ParameterError(f"output with dtype={out.dtype} must be float32 or float64")
    if dtype is not None and np.dtype(out.dtype) != np.dtype(dtype):
        raise ParameterError(f"dtype={np.dtype(dtype)} disagrees with out.dtype={out.dtype}")
    return out


@on_input_device
def stft(
    y,
    *,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    dtype=None,
    pad_mode="constant",
    out=None,
):
    """Short-time Fourier transform.

    ``D[..., k, t] = sum_n w[n] y_pad[..., t * hop_length + n] exp(-2j pi k n / n_fft)``
    with phase referenced to the frame start, as librosa and torch.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64 (NumPy or CuPy)
        Signals, time on the last axis; any leading batch axes.
    n_fft : int > 0
        FFT length (default 2048).
    hop_length : int > 0 or None
        Hop between frames; default ``win_length // 4``.
    win_length : int <= n_fft or None
        Window length, zero-padded (centred) to ``n_fft``; default ``n_fft``.
    window : str, tuple, float, callable or array
        Window spec (default "hann", periodic); see :class:`STFT`.
    center : bool
        Centre frames by padding ``n_fft // 2`` samples on both sides.
    dtype : complex dtype or None
        Output dtype; default complex64 for float32 input, complex128 for float64.
    pad_mode : str
        Padding for ``center=True``: "constant" (zeros, the default — as librosa
        >= 0.9, unlike torch/nnAudio's "reflect"), "edge", "linear_ramp",
        "reflect", "symmetric".
    out : complex array or None
        Preallocated output (librosa >= 0.10), of ``y``'s library: shape
        ``(..., 1 + n_fft // 2, m)`` with ``m >= n_frames``; an oversized one is
        filled through the view ``out[..., :n_frames]``. Any complex dtype; the
        values equal ``stft(y, dtype=out.dtype)``.

    Returns
    -------
    D : array, shape (..., 1 + n_fft // 2, n_frames), complex
        ``n_frames = 1 + n // hop_length`` (centred, even n_fft) or
        ``1 + (n - n_fft) // hop_length`` (not centred). Same library and device as ``y``.
        With ``out``: ``out`` itself, or its view ``out[..., :n_frames]``.

    Raises
    ------
    ParameterError
        Bad sizes, unknown window or pad mode, an empty signal,
        ``center=False`` with ``n_fft > n``, or an ``out`` with the wrong shape
        (too few frames), a real dtype or a dtype other than ``dtype``.
    TypeError
        Non-float signals (convert with ``y.astype(np.float32)``), non-arrays
        (as librosa, which refuses anything but an ``ndarray``), or an ``out``
        of the other array library.

    See Also
    --------
    istft : Inverse short-time Fourier transform.
    STFT : STFT plan: window and tables built once.
    spectrogram : Magnitude or power spectrogram.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.stft`` (max error ~1e-7 of the peak in
    float32, ~1e-15 in float64). With ``center=True`` and ``n_fft > n`` a
    UserWarning is issued, as librosa. Non-finite samples are not checked
    (that would force a device synchronisation): NaN/inf propagate into the
    frames that contain them. ``out`` saves the result's allocation, not the
    work: the transform is computed, then copied into ``out``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 440.0 * np.arange(sr) / sr).astype(np.float32)
    >>> D = sigpu.stft(y)
    >>> D.shape, D.dtype
    ((1025, 44), dtype('complex64'))
    >>> int(np.abs(D[:, 10]).argmax())  # 440 Hz is bin 440 / (22050 / 2048) ~ 41
    41
    >>> buffer = np.empty((1025, 50), dtype=np.complex64)  # room for 50 frames
    >>> D_out = sigpu.stft(y, out=buffer)
    >>> D_out.shape, bool(np.shares_memory(D_out, buffer)), bool(np.array_equal(D_out, D))
    ((1025, 44), True, True)
    """
    if center and is_int(n_fft) and getattr(y, "ndim", 0) >= 1 and y.shape[-1] > 0:
        _check_n_fft_fits(n_fft, y.shape[-1])  # before the plan builds an n_fft window
    plan = STFT(
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    return plan(y, dtype=dtype, out=out)


@on_input_device
def istft(
    stft_matrix,
    *,
    hop_length=None,
    win_length=None,
    n_fft=None,
    window="hann",
    center=True,
    dtype=None,
    length=None,
    out=None,
):
    """Inverse short-time Fourier transform (least-squares overlap-add, librosa's).

    Each frame is inverted with an inverse real FFT, multiplied by the window,
    overlap-added at ``t * hop_length`` and divided by the overlap-added
    squared window wherever that exceeds the dtype's smallest normal number.

    Parameters
    ----------
    stft_matrix : array, shape (..., 1 + n_fft // 2, n_frames), complex64 or complex128
    hop_length, win_length, window, center
        As for :func:`stft`.
    n_fft : int or None
        Default ``2 * (stft_matrix.shape[-2] - 1)``.
    dtype : float dtype or None
        Output dtype; default float32 for complex64 input, float64 for complex128.
    length : int > 0 or None
        Exact output length (zero-padded or trimmed); frames beyond it are not
        used. Default ``n_fft + hop_length * (n_frames - 1)``, minus
        ``2 * (n_fft // 2)`` if centred.
    out : float32/float64 array or None
        Preallocated output (librosa >= 0.10), of ``stft_matrix``'s library and
        exactly the result's shape ``(..., length)``; the values equal
        ``istft(..., dtype=out.dtype)``.

    Returns
    -------
    y : array, shape (..., length), real
        With ``out``: ``out`` itself.

    Raises
    ------
    ParameterError
        Frequency-bin count inconsistent with ``n_fft``, bad sizes, or an
        ``out`` of another shape, a non-float dtype or a dtype other than ``dtype``.
    TypeError
        Real or integer ``stft_matrix`` (as librosa, only arrays are taken), or an
        ``out`` of the other array library.

    Warns
    -----
    UserWarning
        If the window and hop violate the nonzero-overlap-add (NOLA) condition
        (e.g. "hann" with ``win_length == hop_length``, whose zero first sample
        lands on every hop): like librosa, the result is still returned, divided
        by the window envelope only where that exceeds the dtype's smallest
        normal number; the samples no nonzero window value covers (``t * hop``
        plus each offset where the phase sum of the squared window is zero)
        cannot be recovered and come out undivided, i.e. (near) zero.
        librosa returns the same values without a warning.

    See Also
    --------
    stft : Short-time Fourier transform.
    STFT : STFT plan: window and tables built once.
    griffinlim : Signal from an STFT magnitude (Griffin-Lim).

    Notes
    -----
    NumPy (numba overlap-add) and CuPy (CUDA overlap-add kernel, gather form,
    deterministic). Matches ``librosa.istft``; ``istft(stft(y))`` recovers
    ``y`` for NOLA windows. The division by the envelope is array code shared
    by both backends.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(1).standard_normal(10000)
    >>> y_back = sigpu.istft(sigpu.stft(y, n_fft=1024), length=y.shape[-1])
    >>> float(np.max(np.abs(y_back - y))) < 1e-12
    True
    >>> buffer = np.empty_like(y)
    >>> sigpu.istft(sigpu.stft(y, n_fft=1024), length=y.shape[-1], out=buffer) is buffer
    True
    """
    if n_fft is None:
        float_or_complex_array(stft_matrix, "stft_matrix", func="istft", min_ndim=2)
        n_fft = 2 * (stft_matrix.shape[-2] - 1)
        if n_fft < 1:
            raise ParameterError("stft_matrix must have at least 2 frequency bins")
    plan = STFT(
        n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window, center=center
    )
    return plan.inverse(stft_matrix, length=length, dtype=dtype, out=out)


@on_input_device
def spectrogram(
    y,
    *,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
    power=2.0,
):
    """Magnitude spectrogram ``abs(stft(y)) ** power``.

    Parameters
    ----------
    y : array, shape (..., n), float32 or float64
    n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`stft`.
    power : float > 0
        Exponent: 1 for magnitude, 2 for power (default, as ``melspectrogram``).

    Returns
    -------
    S : array, shape (..., 1 + n_fft // 2, n_frames), real, the dtype of ``y``

    See Also
    --------
    stft : Short-time Fourier transform.
    power_to_db : Power to decibels.
    sigpu.feature.melspectrogram : Mel-scaled power spectrogram.

    Notes
    -----
    NumPy and CuPy. Equals ``numpy.abs(librosa.stft(y, ...)) ** power``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.ones(4096, dtype=np.float32)
    >>> S = sigpu.spectrogram(y, n_fft=256, center=False)
    >>> S.shape, S.dtype, int(S[:, 0].argmax())
    ((129, 61), dtype('float32'), 0)
    """
    power = positive_float(power, "power")
    D = stft(
        y,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    return magnitude_power(D, power, real_array(y, "y"))


#: Elements from which a spectrogram step runs as a fused kernel (numba on the CPU): below
#: it, array expressions.  numba's start-up (import and first call, about 1 s once per
#: process) outweighs what the kernel saves on an input smaller than about 20 s of audio.
FUSED_KERNEL_MIN_SIZE = 1 << 20


def check_framing(n: int, n_fft: int, center: bool, pad_mode) -> None:
    """The STFT's checks of a non-empty signal of ``n`` samples against its framing: a
    ParameterError where no frame fits (or the pad mode cannot pad), librosa's warning
    where a centred frame is longer than the signal."""
    if not center:
        if n_fft > n:
            raise ParameterError(
                f"n_fft={n_fft} is too large for uncentered analysis of input signal of length={n}"
            )
        return
    _check_n_fft_fits(n_fft, n)
    if pad_mode in ("reflect", "symmetric") and n < 2:
        raise ParameterError(f"pad_mode={pad_mode!r} needs a signal of at least 2 samples, got {n}")
    if n_fft > n:
        _warnings.warn(f"n_fft={n_fft} is too large for input signal of length={n}")


def fused_kernel_pays(size: int) -> bool:
    """Whether an input of ``size`` elements takes a fused kernel rather than array
    expressions.  Every module asks here, so that setting :data:`FUSED_KERNEL_MIN_SIZE` on
    this module (tests, asv warm-ups) reaches all of them."""
    return size >= FUSED_KERNEL_MIN_SIZE


def _squared_magnitude(D):
    S = D.real**2
    S += D.imag**2
    return S


def magnitude_power(D, power, xp):
    """``|D| ** power`` of a complex STFT; shared with the feature module."""
    if power == 2.0:
        if fused_kernel_pays(D.size):
            # one fused pass (re*re + im*im, no square root), in D's layout
            return kernel(xp, "spectrum.power2")(D)
        # same values; no numba start-up (~1 s once per process) for a small input, and
        # on the CPU block by block: whole-array temporaries were page-faulted in on every
        # call (5 ms of a 2 x 10 s mel spectrogram, against 1 ms in blocks)
        return kernel(xp, "elementwise.apply")(_squared_magnitude, D)
    mag = xp.abs(D)
    return mag if power == 1.0 else mag**power


def _db_values(S, name, func):
    """``(xp, values, scalar)`` for the dB conversions, which take what librosa's take.

    NumPy/CuPy arrays keep their library and device; numbers and array-likes become NumPy
    arrays, and a number (or 0-d NumPy array) gives a NumPy scalar back (``scalar``).
    Values that are not float32/float64 (integers, bools, float16) are computed in
    float64, as librosa's results for integers are; complex values stay complex.
    """
    if not isinstance(S, np.ndarray) and not _is_cupy_array(S):
        try:
            S = np.asarray(S)
        except (TypeError, ValueError):
            S = np.asarray(None)  # ragged: refused below
        if S.dtype.kind not in "biufc":
            raise TypeError(
                f"{func}: {name} must be a number, a sequence of numbers or a "
                f"numpy/cupy array, got {S.dtype} values"
            )
    xp = array_namespace(S, func=func)
    kind = np.dtype(S.dtype).kind
    if kind not in "biufc":
        raise TypeError(f"{func}: {name} has dtype {S.dtype}; it must hold numbers")
    S = native_array(S)  # '>f4' is float32: kept, not widened
    if kind == "c" and S.dtype not in (np.complex64, np.complex128):
        S = xp.astype(S, xp.complex128)
    elif kind != "c" and S.dtype not in (np.float32, np.float64):
        S = xp.astype(S, xp.float64)
    return xp, S, isinstance(S, np.ndarray) and S.ndim == 0


def _scalar_if(result, scalar):
    """A NumPy scalar for a scalar input (as librosa returns), else ``result``."""
    return result[()] if scalar and isinstance(result, np.ndarray) else result


@on_input_device
def power_to_db(S, *, ref=1.0, amin=1e-10, top_db=80.0):
    """Convert a power spectrogram to decibels: ``10 log10(max(amin, S) / max(amin, |ref|))``.

    Parameters
    ----------
    S : array, number or sequence of numbers
        Power values: a NumPy/CuPy array (float32/float64 kept; integer, bool
        and float16 computed in float64), or a number/array-like, taken as
        NumPy (as librosa). Complex values: their magnitude, with a UserWarning.
    ref : float or callable
        Reference power; a callable (e.g. ``np.max``) is applied to ``S``.
    amin : float > 0
        Floor applied to ``S`` and ``ref``.
    top_db : float >= 0 or None
        Clip to ``max - top_db``. The max is taken over the **whole array, all
        batch items together** (librosa's semantics); pass ``top_db=None`` and
        clip per item yourself if you need per-example clipping.

    Returns
    -------
    S_db : array like ``S`` (real), or a NumPy scalar for a number or 0-d NumPy input

    Raises
    ------
    TypeError
        Values that are not numbers (strings, ragged sequences, objects).

    See Also
    --------
    db_to_power : Decibels to power.
    amplitude_to_db : Amplitude to decibels.

    Notes
    -----
    NumPy and CuPy (a CuPy array in gives a CuPy array out). Matches
    ``librosa.power_to_db``, scalars and lists included; one deliberate
    difference: a float32 NumPy scalar gives a float32 result (librosa's
    scalar arithmetic promotes it to float64; arrays are float32 in both).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> sigpu.power_to_db(np.array([1.0, 10.0, 1e-12, 0.0])).tolist()
    [0.0, 10.0, -70.0, -70.0]
    >>> sigpu.power_to_db(10.0), sigpu.power_to_db([1, 100])
    (np.float64(10.0), array([ 0., 20.]))
    """
    xp, S, scalar = _db_values(S, "S", "power_to_db")
    amin = positive_float(amin, "amin")
    if xp.isdtype(S.dtype, "complex floating"):
        _warnings.warn(
            "power_to_db was called on complex input so phase information will be "
            "discarded. To suppress this warning, call power_to_db(np.abs(D)**2) instead."
        )
        S = xp.abs(S)
    ref_value = _db_reference(ref, S, "power_to_db")
    return _scalar_if(_to_db(S, ref_value, amin, top_db, xp), scalar)


@on_input_device
def amplitude_to_db(S, *, ref=1.0, amin=1e-5, top_db=80.0):
    """Convert an amplitude spectrogram to decibels.

    Equals ``power_to_db(|S|**2, ref=|ref|**2, amin=amin**2, top_db=top_db)``.

    Parameters
    ----------
    S : array, number or sequence of numbers, real or complex
        As :func:`power_to_db` (numbers and array-likes are taken as NumPy).
    ref : float or callable
        Reference amplitude; a callable is applied to ``|S|``.
    amin : float > 0
    top_db : float >= 0 or None
        As :func:`power_to_db` (global max over the whole array).

    Returns
    -------
    S_db : array, real, or a NumPy scalar for a number or 0-d NumPy input

    See Also
    --------
    db_to_amplitude : Decibels to amplitude.
    power_to_db : Power to decibels.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.amplitude_to_db``, scalars and lists
    included (a float32 NumPy scalar stays float32, see :func:`power_to_db`).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> sigpu.amplitude_to_db(np.array([1.0, 10.0, 0.0])).tolist()
    [0.0, 20.0, -60.0]
    >>> sigpu.amplitude_to_db(10.0)
    np.float64(20.0)
    """
    xp, S, scalar = _db_values(S, "S", "amplitude_to_db")
    amin = positive_float(amin, "amin")
    if xp.isdtype(S.dtype, "complex floating"):
        _warnings.warn(
            "amplitude_to_db was called on complex input so phase information will be "
            "discarded. To suppress this warning, call amplitude_to_db(np.abs(S)) instead."
        )
    magnitude = kernel(xp, "db.magnitude")(S)
    ref_value = _db_reference(ref, magnitude, "amplitude_to_db")
    # power_to_db(magnitude**2, ref=ref_value**2, amin=amin**2), squaring in the same pass,
    # into magnitude's memory
    S_db = _to_db(magnitude, ref_value**2, amin**2, top_db, xp, square=True, overwrite=True)
    return _scalar_if(S_db, scalar)


def _check_ref(ref, func):
    """``ref`` unless it is not a finite number or an array (TypeError/ParameterError)."""
    if isinstance(ref, (bool, np.bool_)) or not (
        isinstance(ref, numbers.Number) or hasattr(ref, "dtype")
    ):
        raise TypeError(f"{func}: ref={ref!r} must be a number, an array or a callable")
    if isinstance(ref, numbers.Number) and not math.isfinite(abs(ref)):
        raise ParameterError(f"{func}: ref={ref!r} must be finite")
    return ref


def _db_reference(ref, values, func):
    """``ref(values)``, or ``|ref|``: a number (finite) or an array broadcasting to values."""
    if callable(ref):
        return ref(values)
    return abs(_check_ref(ref, func))


def _to_db(S, ref_value, amin, top_db, xp, **kernel_options):
    """``10 log10(max(S, amin)) - 10 log10(max(ref_value, amin))``, clipped at the global max
    minus ``top_db``; ``ref_value`` a number or an array that broadcasts against ``S``."""
    if top_db is not None:
        top_db = nonnegative_float(top_db, "top_db")
    if top_db is not None and S.size == 0:
        raise ParameterError(
            f"S has shape {S.shape}, no values: top_db={top_db} clips at the max of S, which "
            "an empty array has not; pass top_db=None"
        )
    offset = 10.0 * xp.log10(xp.maximum(xp.asarray(ref_value, dtype=S.dtype), amin))
    return kernel(xp, "db.power_to_db")(S, amin, offset, top_db, **kernel_options)


@on_input_device
def db_to_power(S_db, *, ref=1.0):
    """Inverse of :func:`power_to_db` (without the clipping): ``ref * 10 ** (S_db / 10)``.

    Parameters
    ----------
    S_db : array, number or sequence of numbers (real)
        Decibels: a NumPy/CuPy array (float32/float64 kept; integer, bool and
        float16 computed in float64) or a number/array-like, taken as NumPy.
    ref : float or array
        Reference power (broadcast against ``S_db``; a NumPy array serves CuPy input
        too, copied to its device).

    Returns
    -------
    S : array like ``S_db``, or a NumPy scalar for a number or 0-d NumPy input

    Raises
    ------
    TypeError
        Complex or non-numeric values.

    See Also
    --------
    power_to_db : Power to decibels.
    db_to_amplitude : Decibels to amplitude.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.db_to_power`` (scalars too; librosa
    refuses lists, sigpu takes them as NumPy arrays).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> sigpu.db_to_power(np.array([0.0, 10.0, -30.0])).tolist()
    [1.0, 10.0, 0.001]
    >>> sigpu.db_to_power(-10)
    np.float64(0.1)
    """
    xp, S_db, scalar = _db_values(S_db, "S_db", "db_to_power")
    if xp.isdtype(S_db.dtype, "complex floating"):
        raise TypeError(f"db_to_power: S_db has dtype {S_db.dtype}; decibels must be real")
    _check_ref(ref, "db_to_power")
    if type(ref) in (int, float):  # Python numbers (np.float64 subclasses float)
        return _scalar_if(kernel(xp, "db.db_to_power")(S_db, ref), scalar)
    # a NumPy scalar or array ref: its dtype takes part in the result's, as in librosa
    if isinstance(ref, np.ndarray) and not isinstance(S_db, np.ndarray):
        ref = asarray_on(ref, xp, ref.dtype)  # a host parameter, copied to S_db's device
    return _scalar_if(ref * 10.0 ** (S_db * 0.1), scalar)


@on_input_device
def db_to_amplitude(S_db, *, ref=1.0):
    """Inverse of :func:`amplitude_to_db`: ``ref * 10 ** (S_db / 20)``.

    Parameters
    ----------
    S_db : array, number or sequence of numbers (real)
        As :func:`db_to_power`.
    ref : float or array
        Reference amplitude.

    Returns
    -------
    S : array like ``S_db``, or a NumPy scalar for a number or 0-d NumPy input

    See Also
    --------
    amplitude_to_db : Amplitude to decibels.
    db_to_power : Decibels to power.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.db_to_amplitude`` (scalars too).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> sigpu.db_to_amplitude(np.array([0.0, 20.0])).tolist()
    [1.0, 10.0]
    """
    return db_to_power(S_db, ref=_check_ref(ref, "db_to_amplitude") ** 2) ** 0.5


def initial_phase(init, random_state, shape, xp, dtype):
    if init is None:
        return None
    if random_state is None:
        rng = np.random.default_rng()
    elif isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        rng = np.random.RandomState(seed=int(random_state))  # librosa's choice for int seeds
    elif isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        rng = random_state
    else:
        raise ParameterError(f"random_state={random_state!r} must be None, an int or a NumPy RNG")
    # Drawn on the host with NumPy's generator so both backends and librosa
    # see the same phases for the same seed.
    return asarray_on(np.exp(2j * np.pi * rng.random(size=shape)), xp, dtype)


@on_input_device
def griffinlim(
    S,
    *,
    n_iter=32,
    hop_length=None,
    win_length=None,
    n_fft=None,
    window="hann",
    center=True,
    dtype=None,
    length=None,
    pad_mode="constant",
    momentum=0.99,
    init="random",
    random_state=None,
):
    """Reconstruct a signal from an STFT magnitude with fast Griffin-Lim (Perraudin et al. 2013).

    Parameters
    ----------
    S : array, shape (..., 1 + n_fft // 2, n_frames), float32 or float64
        STFT magnitudes (non-negative).
    n_iter : int > 0
        Iterations.
    hop_length, win_length, n_fft, window, center, length, pad_mode
        As for :func:`stft` / :func:`istft`; ``n_fft`` defaults to ``2 * (S.shape[-2] - 1)``.
    dtype : float dtype or None
        Output dtype (default that of ``S``).
    momentum : float >= 0
        Acceleration (0 is classic Griffin-Lim); values > 1 warn (unstable).
    init : "random" or None
        Random initial phases, or all-zero phases.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        Seed for ``init="random"``. Phases are drawn on the host with NumPy, so
        NumPy, CuPy and librosa agree for the same seed.

    Returns
    -------
    y : array, shape (..., n)

    See Also
    --------
    istft : Inverse short-time Fourier transform.
    sigpu.constantq.griffinlim_cqt : Signal from a CQT magnitude (Griffin-Lim).

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.griffinlim`` (same iteration, same random
    phases for an int seed). A window and hop that violate NOLA give a signal
    as in librosa, with one UserWarning (see :func:`istft`): the samples no
    window covers stay (near) zero.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.sin(2 * np.pi * 440 * np.arange(8192) / 8000).astype(np.float32)
    >>> S = np.abs(sigpu.stft(y, n_fft=512))
    >>> y_hat = sigpu.griffinlim(S, n_iter=16, random_state=0, length=y.shape[-1])
    >>> y_hat.shape, y_hat.dtype
    ((8192,), dtype('float32'))
    """
    xp = real_array(S, "S", func="griffinlim", min_ndim=2)
    if S.shape[-1] < 2:  # one frame spans no hop: the first estimate is an empty signal
        raise ParameterError(f"S has {S.shape[-1]} frames; griffinlim needs at least 2")
    n_iter, momentum = griffinlim_options(n_iter, momentum, init)
    if n_fft is None:
        n_fft = 2 * (S.shape[-2] - 1)
    plan = STFT(
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    if S.shape[-2] != plan.n_freq:
        raise ParameterError(
            f"S has {S.shape[-2]} frequency bins; n_fft={plan.n_fft} needs {plan.n_freq}"
        )
    cdtype = complex_dtype(S.dtype)
    check_audio_finite(S, "griffinlim", "S")  # librosa's stft of the first estimate raises
    phase = initial_phase(init, random_state, S.shape, xp, cdtype)
    with check_finite(False):  # S is finite: so is every estimate, no sync per iteration
        angles = fast_griffinlim(
            S,
            xp.astype(S, cdtype) if phase is None else phase * S,
            analyse=lambda y: plan(y, dtype=cdtype),
            synthesise=lambda D: plan._inverse(D, length=length)[0],  # warns once, below
            n_iter=n_iter,
            momentum=momentum,
            xp=xp,
        )
    return plan.inverse(angles, length=length, dtype=dtype)


def griffinlim_options(n_iter, momentum, init):
    """Check Griffin-Lim's shared options (librosa's rules); returns ``(n_iter, momentum)``."""
    n_iter = positive_int(n_iter, "n_iter")
    momentum = nonnegative_float(momentum, "momentum")
    if momentum > 1:
        _warnings.warn(
            f"Griffin-Lim with momentum={momentum} > 1 can be unstable. Proceed with caution!"
        )
    one_of(init, "init", ("random", None))
    return n_iter, momentum


def fast_griffinlim(magnitude, angles, *, analyse, synthesise, n_iter, momentum, xp):
    """Perraudin et al.'s fast Griffin-Lim iteration, for any analysis/synthesis pair.

    ``angles`` is the initial complex estimate (``magnitude`` times unit phasors);
    ``synthesise`` maps coefficients to a signal and ``analyse`` back. Returns
    the final coefficients, ``magnitude`` times the estimated phases.
    """
    weight = momentum / (1 + momentum)
    previous = None
    for i in range(n_iter):
        rebuilt = analyse(synthesise(angles))
        if i == 0 and _fused_projection(rebuilt, magnitude):
            # the fused step reads the magnitudes fastest in the spectra's memory layout
            matched = xp.empty_like(rebuilt, dtype=magnitude.dtype)
            matched[...] = magnitude
            magnitude = matched
        angles = project_phases(rebuilt, previous, magnitude, weight, xp)
        previous = rebuilt
    return angles


def project_phases(rebuilt, previous, magnitude, weight, xp):
    """Griffin-Lim's update: ``magnitude * (A / (abs(A) + tiny))``, ``A = rebuilt - weight *
    previous`` (librosa's formula; ``A = rebuilt`` without ``previous``)."""
    if _fused_projection(rebuilt, magnitude):
        # one pass over the spectra instead of NumPy's five
        return kernel(xp, "spectrum.project_phases")(rebuilt, previous, magnitude, weight)
    # small input: no numba start-up (~1 s once per process)
    angles = rebuilt if previous is None else rebuilt - weight * previous
    return magnitude * (angles / (xp.abs(angles) + np.finfo(magnitude.dtype).tiny))


def _fused_projection(rebuilt, magnitude):
    """Whether :func:`project_phases` runs fused: a large input, and magnitudes of the
    spectra's real dtype (the kernel's contract; a mixed pair promotes as NumPy does)."""
    return fused_kernel_pays(rebuilt.size) and np.dtype(magnitude.dtype) == np.dtype(
        real_dtype(rebuilt.dtype)
    )
