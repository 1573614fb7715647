"""Constant-Q and variable-Q transforms (librosa 0.11 semantics) on NumPy and CuPy.

``cqt``/``vqt`` use a multirate algorithm (librosa's octave schedule, a
half-band decimator and per-octave GEMMs, see :mod:`sigpu._cqt_plan`);
``CQT``/``VQT`` are plan objects holding the kernels per device and dtype;
``chroma_cqt`` folds a CQT magnitude onto pitch classes.
"""

from __future__ import annotations

import functools
import inspect
import math

import numpy as np

from . import _warnings
from ._backend import (
    array_namespace,
    centered_frames,
    device_of,
    fft_module,
    kernel,
    on_input_device,
    single_threaded_blas,
)
from ._cache import host_table, on_device
from ._constant_q_filters import C1_HZ, _check_gamma, _window_key, cq_to_chroma
from ._cqt_plan import build_inverse_schedule, build_schedule
from ._errors import ParameterError
from ._validate import (
    check_audio_finite,
    check_finite,
    complex_dtype,
    finite_float,
    float_or_complex_array,
    is_real,
    norm_order,
    one_of,
    optional_complex_dtype,
    optional_real_dtype,
    positive_float,
    positive_int,
    real_array,
    real_dtype,
)
from .convert import tuned_frequency
from .filters import normalize
from .spectrum import fast_griffinlim, griffinlim_options, initial_phase

__all__ = ["cqt", "vqt", "chroma_cqt", "icqt", "griffinlim_cqt", "CQT", "VQT"]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp", "mean")


@functools.cache
def _keyword_names(callable_) -> tuple[str, ...]:
    return tuple(
        p.name
        for p in inspect.signature(callable_).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    )


def _keywords_for(callable_, arguments: dict, **overrides) -> dict:
    """The keyword-only arguments of ``callable_`` (a plan class, ``_InverseCQT``) found in
    ``arguments`` (the caller's ``locals()``), updated with ``overrides``: the functions pass
    their parameters on by name instead of writing the constant-Q parameter list out again
    (tests/test_cqt.py checks that the signatures agree)."""
    keywords = {name: arguments[name] for name in _keyword_names(callable_) if name in arguments}
    keywords.update(overrides)
    return keywords


def _check_tuning(tuning, func: str) -> float:
    if tuning is None:
        raise ParameterError(
            f"{func}: a plan needs a fixed tuning=... (its filter bank depends on it); "
            "tuning=None estimates per signal only in the functions cqt/vqt/chroma_cqt. "
            "Pass a float, e.g. sigpu.feature.estimate_tuning(y=y, sr=sr)"
        )
    if not is_real(tuning):
        raise ParameterError(f"tuning={tuning!r} must be a real number (fraction of a bin)")
    if not math.isfinite(tuning):
        raise ParameterError(f"tuning={tuning!r} must be finite")
    return float(tuning)


def _resolve_tuning(tuning, y, sr, bins_per_octave):
    """librosa's ``tuning=None``: estimate from ``y`` with the CQT's bins per octave."""
    if tuning is not None:
        return tuning
    from .feature import estimate_tuning  # lazy: feature builds on the filter modules

    real_array(y, "y", func="cqt")
    return estimate_tuning(
        y, sr=sr, bins_per_octave=positive_int(bins_per_octave, "bins_per_octave")
    )


def _check_sparsity(sparsity) -> float:
    if not is_real(sparsity):
        raise ParameterError(f"sparsity={sparsity!r} must be a number in [0, 1)")
    if not 0.0 <= sparsity < 1.0:
        raise ParameterError(f"sparsity={sparsity!r} must be in [0, 1)")
    return float(sparsity)


def _warn_res_type(res_type):
    """librosa >= 0.10's FutureWarning for ``res_type=None`` (sigpu ignores res_type)."""
    if res_type is None:
        _warnings.warn(
            "Support for VQT with res_type=None is deprecated in librosa 0.10\n"
            "and will be removed in version 1.0.",
            FutureWarning,
        )


#: librosa.resample's res_type values (sigpu's octave decimation is its own; the name is
#: checked so that a typo fails as in librosa, not silently)
RES_TYPES = (
    "soxr_vhq",
    "soxr_hq",
    "soxr_mq",
    "soxr_lq",
    "soxr_qq",
    "kaiser_best",
    "kaiser_fast",
    "fft",
    "scipy",
    "polyphase",
    "linear",
    "zero_order_hold",
    "sinc_best",
    "sinc_medium",
    "sinc_fastest",
)


def _check_res_type(res_type):
    if res_type is not None:
        one_of(res_type, "res_type", RES_TYPES)


def _check_alpha(alpha):
    if alpha is None:
        return None
    return positive_float(alpha, "alpha")


class VQT:
    """Variable-Q transform plan: kernels built once, reused on any backend.

    Parameters are those of :func:`vqt` except the signal. Calling the plan
    on ``y`` returns exactly ``vqt(y, ...)`` (the function builds the same
    plan through the same cache). ``tuning`` must be a float (the kernels
    depend on it): ``tuning=None`` raises ParameterError; estimate it first
    with ``sigpu.feature.estimate_tuning`` or call :func:`vqt`.

    Parameters
    ----------
    sr, hop_length, fmin, n_bins, intervals, gamma, bins_per_octave, tuning
        As for :func:`vqt` (keyword-only); ``tuning`` a float.
    filter_scale, norm, sparsity, window, scale, pad_mode, res_type, dtype, alpha
        As for :func:`vqt` (keyword-only).

    See Also
    --------
    vqt : Variable-Q transform.
    CQT : Constant-Q transform plan: kernels built once.

    Notes
    -----
    NumPy and CuPy; float32 -> complex64, float64 -> complex128. Reference:
    ``librosa.vqt`` (librosa 0.11).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.constantq import VQT
    >>> plan = VQT(sr=22050, n_bins=48, gamma=None)
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> plan(y).shape
    (48, 44)
    """

    _func = "vqt"

    def __init__(
        self,
        *,
        sr=22050,
        hop_length=512,
        fmin=None,
        n_bins=84,
        intervals="equal",
        gamma=None,
        bins_per_octave=12,
        tuning=0.0,
        filter_scale=1,
        norm=1,
        sparsity=0.01,
        window="hann",
        scale=True,
        pad_mode="constant",
        res_type="soxr_hq",
        dtype=None,
        alpha=None,
    ):
        func = self._func
        self.sr = positive_float(sr, "sr")
        self.hop_length = positive_int(hop_length, "hop_length")
        self.fmin = C1_HZ if fmin is None else positive_float(fmin, "fmin")
        self.n_bins = positive_int(n_bins, "n_bins")
        self.bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
        if not isinstance(intervals, str) or intervals != "equal":
            raise ParameterError(
                f"intervals={intervals!r} is not supported; sigpu implements 'equal' only"
            )
        self.gamma = _check_gamma(gamma)
        self.tuning = _check_tuning(tuning, func)
        self.filter_scale = positive_float(filter_scale, "filter_scale")
        self.norm = norm_order(norm)
        self.sparsity = _check_sparsity(sparsity)
        self.window = _window_key(window)
        self.scale = bool(scale)
        self.pad_mode = one_of(pad_mode, "pad_mode", PAD_MODES)
        _check_res_type(res_type)
        self.dtype = optional_complex_dtype(dtype)
        self.alpha = _check_alpha(alpha)
        fmin_tuned = tuned_frequency(self.fmin, self.tuning, self.bins_per_octave)
        self.schedule = build_schedule(
            self.sr,
            self.hop_length,
            fmin_tuned,
            self.n_bins,
            self.bins_per_octave,
            self.filter_scale,
            self.norm,
            self.sparsity,
            self.window,
            self.scale,
            self.gamma,
            self.alpha,
        )

    def _octave_lengths(self, n_samples: int):
        """``(n_fft, samples)`` per octave, top first: the signal length at each octave's rate."""
        s = self.schedule
        n = n_samples
        for _ in range(s.n_early):
            n = (n + 1) // 2
        lengths = []
        for octave in s.octaves:
            if octave.decimate_before:
                n = (n + 1) // 2
            lengths.append((octave.n_fft, n))
        return lengths

    def n_frames(self, n_samples: int) -> int:
        """Return the number of output frames for a signal of ``n_samples``.

        Parameters
        ----------
        n_samples : int
            Length of the signal's last axis.

        Returns
        -------
        n_frames : int
            The last axis of ``plan(y)``.
        """
        return min(
            1 + (n + 2 * (octave.n_fft // 2) - octave.n_fft) // octave.hop
            for octave, (_, n) in zip(
                self.schedule.octaves, self._octave_lengths(n_samples), strict=True
            )
        )

    def _check_length(self, n_samples: int) -> None:
        """librosa's rules for short signals: a ParameterError if the early decimations leave
        no sample, a UserWarning if some octave's frames are longer than the signal at its
        rate (the lowest bins then see mostly padding); librosa warns once per such octave
        ("n_fft=... is too large for input signal of length=..."), sigpu once per call."""
        if n_samples == 0:
            raise ParameterError(f"{self._func}: y is empty (0 samples on its last axis)")
        early = 2**self.schedule.n_early
        if n_samples < early:
            raise ParameterError(
                f"Input signal length={n_samples} is too short for "
                f"{len(self.schedule.octaves)}-octave CQT (y needs at least {early} samples)"
            )
        short = [(n_fft, n) for n_fft, n in self._octave_lengths(n_samples) if n_fft > n]
        if short:
            n_fft, n = short[0]
            _warnings.warn(
                f"{self._func}: signal length={n_samples} is shorter than the filters of "
                f"{len(short)} octave(s) (the longest filter has "
                f"{self.schedule.n_samples_min} samples): n_fft={n_fft} is too large for "
                f"input signal of length={n} in the first of them; their frames extend into "
                f"the {self.pad_mode!r} padding (computed anyway, as librosa does)"
            )

    @on_input_device
    def __call__(self, y):
        """Transform ``y`` of shape ``(..., n)`` to ``(..., n_bins, n_frames)``.

        Parameters
        ----------
        y : array, shape (..., n), float32/float64
            Signal.

        Returns
        -------
        V : array, shape (..., n_bins, n_frames), complex64/complex128
            Equal to ``vqt(y, ...)`` (``cqt(y, ...)`` for a CQT plan).
        """
        real_array(y, "y", func=self._func)
        self._check_length(y.shape[-1])
        return self._transform(y)

    def _transform(self, y):
        """:meth:`__call__` without the short-signal checks."""
        xp = real_array(y, "y", func=self._func)
        check_audio_finite(y, self._func)
        n = y.shape[-1]
        out_dtype = self.dtype if self.dtype is not None else complex_dtype(y.dtype)
        work = real_dtype(out_dtype)
        lead = y.shape[:-1]
        x = xp.reshape(xp.astype(y, work, copy=False), (-1, n))
        batch = x.shape[0]
        n_frames = self.n_frames(n)
        dev_id = device_of(y)
        out = xp.empty((batch, self.n_bins, n_frames), dtype=out_dtype)
        # Many small GEMMs: OpenBLAS's own threads cost more than they give here; on
        # the CPU, blocks of rows run the whole octave loop on sigpu's threads instead.
        with single_threaded_blas(xp):
            kernel(xp, "cqt.map_rows")(
                lambda rows: self._octaves(xp, x[rows], out[rows], n_frames, dev_id), batch, n
            )
        return xp.reshape(out, lead + (self.n_bins, n_frames))

    def _octaves(self, xp, x, out, n_frames: int, dev_id):
        """Fill ``out`` (rows, n_bins, n_frames) with the transform of ``x`` (rows, n)."""
        s = self.schedule
        rows = x.shape[0]
        work = x.dtype
        decimate = kernel(xp, "cqt.decimate2")
        taps = on_device(s.odd_taps, xp, work, dev_id)
        rfft = fft_module(xp).rfft
        for _ in range(s.n_early):
            x = decimate(x, taps, s.centre)
        for octave, host_kernel in zip(s.octaves, s.kernels, strict=True):
            if octave.decimate_before:
                x = decimate(x, taps, s.centre)
            framed = centered_frames(x, octave.n_fft, octave.hop, n_frames, self.pad_mode)
            n_f = octave.bin_stop - octave.bin_start
            if octave.mode == "direct":
                w = on_device(host_kernel, xp, work, dev_id)
                flat = xp.reshape(framed, (rows * n_frames, octave.n_fft))
                resp = xp.matmul(flat, w)  # (B*T, 2 n_f) interleaved re/im
                resp = resp.view(out.dtype)
            else:
                k = on_device(host_kernel, xp, out.dtype, dev_id)
                spec = rfft(framed, axis=-1)[:, :, octave.lo : octave.hi]
                band = xp.reshape(spec, (rows * n_frames, octave.hi - octave.lo))
                resp = xp.matmul(band.astype(out.dtype, copy=False), k)
            resp = xp.reshape(resp, (rows, n_frames, n_f))
            out[:, octave.bin_start : octave.bin_stop, :] = xp.permute_dims(resp, (0, 2, 1))

    def __repr__(self):
        return (
            f"{type(self).__name__}(sr={self.sr:g}, hop_length={self.hop_length}, "
            f"fmin={self.fmin:.6g}, n_bins={self.n_bins}, "
            f"bins_per_octave={self.bins_per_octave}, gamma={self.gamma})"
        )


class CQT(VQT):
    """Constant-Q transform plan (``VQT`` with ``gamma=0``).

    ``CQT(...)(y)`` equals ``cqt(y, ...)`` exactly.

    Parameters
    ----------
    sr, hop_length, fmin, n_bins, bins_per_octave, tuning
        As for :func:`cqt` (keyword-only); ``tuning`` a float.
    filter_scale, norm, sparsity, window, scale, pad_mode, res_type, dtype, alpha
        As for :func:`cqt` (keyword-only).

    See Also
    --------
    cqt : Constant-Q transform.
    VQT : Variable-Q transform plan: kernels built once.

    Notes
    -----
    NumPy and CuPy; reference ``librosa.cqt`` (librosa 0.11).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.constantq import CQT
    >>> plan = CQT(sr=22050, hop_length=500, n_bins=60)
    >>> y = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32)
    >>> plan(y).shape
    (2, 60, 45)
    """

    _func = "cqt"

    def __init__(
        self,
        *,
        sr=22050,
        hop_length=512,
        fmin=None,
        n_bins=84,
        bins_per_octave=12,
        tuning=0.0,
        filter_scale=1,
        norm=1,
        sparsity=0.01,
        window="hann",
        scale=True,
        pad_mode="constant",
        res_type="soxr_hq",
        dtype=None,
        alpha=None,
    ):
        super().__init__(gamma=0.0, **_keywords_for(CQT, locals())).__init__(
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            n_bins=n_bins,
            gamma=0.0,
            bins_per_octave=bins_per_octave,
            tuning=tuning,
            filter_scale=filter_scale,
            norm=norm,
            sparsity=sparsity,
            window=window,
            scale=scale,
            pad_mode=pad_mode,
            res_type=res_type,
            dtype=dtype,
            alpha=alpha,
        )


_DOC_PARAMS = """
    y : array, shape (..., n), float32 or float64
        Audio signal(s), NumPy or CuPy; any leading batch axes.
    sr : float > 0
        Sampling rate.
    hop_length : int > 0
        Samples between frames (any value; it is halved per octave while even).
    fmin : float > 0, optional
        Lowest frequency (default C1 = 32.70 Hz).
    n_bins : int > 0
        Number of bins from ``fmin`` up.
    bins_per_octave : int > 0
    tuning : float or None
        Tuning offset in fractions of a bin (``fmin * 2**(tuning/bins_per_octave)``).
        ``None`` estimates it from ``y`` (``sigpu.feature.estimate_tuning`` with
        these ``bins_per_octave``, one value for the whole batch, as librosa).
        The plan objects need a float: their kernels depend on it.
    filter_scale : float > 0
        Filter length multiplier.
    norm : None, inf, -inf, 0 or float > 0
        Normalisation of each filter (L1 by default).
    sparsity : float in [0, 1)
        Fraction of each kernel's L1 mass dropped (librosa's ``sparsify_rows``).
    window : str, tuple, float or callable
        Filter window.
    scale : bool
        Divide row ``k`` by ``sqrt(length_k)`` (librosa's ``scale=True``).
    pad_mode : str
        Padding of the centred frames (``"constant"``: zeros, librosa's default).
    res_type : str or None
        Accepted for librosa compatibility and ignored (sigpu's own decimator);
        ``None`` gives librosa's FutureWarning (deprecated in librosa 0.10).
    dtype : complex dtype, optional
        Output dtype (default: complex of the input precision).
    alpha : float > 0, optional
        Relative bandwidth; ``2**(1/bins_per_octave) - 1`` gives the classic Q."""


@on_input_device
def vqt(
    y,
    *,
    sr=22050,
    hop_length=512,
    fmin=None,
    n_bins=84,
    intervals="equal",
    gamma=None,
    bins_per_octave=12,
    tuning=0.0,
    filter_scale=1,
    norm=1,
    sparsity=0.01,
    window="hann",
    scale=True,
    pad_mode="constant",
    res_type="soxr_hq",
    dtype=None,
    alpha=None,
):
    tuning = _resolve_tuning(tuning, y, sr, bins_per_octave)
    _warn_res_type(res_type)
    plan = VQT(**_keywords_for(VQT, locals()))
    real_array(y, "y", func="vqt")
    plan._check_length(y.shape[-1])
    return plan._transform(y)


vqt.__doc__ = f"""Variable-Q transform: constant-Q filters widened by ``gamma`` Hz.

    Filter ``k`` at ``f_k = fmin * 2**((k + tuning)/bins_per_octave)`` has
    length ``Q*sr/(f_k + gamma/alpha)``, ``Q = filter_scale/alpha``.

    Parameters
    ----------{_DOC_PARAMS}
    intervals : "equal"
        Only equal temperament is implemented.
    gamma : float >= 0 or None
        Bandwidth offset in Hz; ``None`` gives librosa's ERB-proportional
        ``24.7 * alpha / 0.108``; ``0`` gives the CQT.

    Returns
    -------
    V : array, shape (..., n_bins, n_frames), complex
        ``n_frames = 1 + n // hop_length`` when the hop divides cleanly.

    Warns
    -----
    UserWarning
        A signal shorter than some octave's frames: computed anyway, as librosa
        (see :func:`cqt`).
    FutureWarning
        ``res_type=None``, as librosa >= 0.10.

    See Also
    --------
    cqt : Constant-Q transform.
    VQT : Variable-Q transform plan: kernels built once.

    Notes
    -----
    NumPy and CuPy (float32 -> complex64, float64 -> complex128). Multirate
    algorithm with librosa's octave schedule; reference ``librosa.vqt``
    (librosa 0.11), Schoerkhuber et al., AES 53rd Conf. 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.constantq import vqt
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> vqt(y, sr=22050, n_bins=60).shape
    (60, 44)
    """


@on_input_device
def cqt(
    y,
    *,
    sr=22050,
    hop_length=512,
    fmin=None,
    n_bins=84,
    bins_per_octave=12,
    tuning=0.0,
    filter_scale=1,
    norm=1,
    sparsity=0.01,
    window="hann",
    scale=True,
    pad_mode="constant",
    res_type="soxr_hq",
    dtype=None,
    alpha=None,
):
    tuning = _resolve_tuning(tuning, y, sr, bins_per_octave)
    _warn_res_type(res_type)
    plan = CQT(**_keywords_for(CQT, locals()))
    real_array(y, "y", func="cqt")
    plan._check_length(y.shape[-1])
    return plan._transform(y)


cqt.__doc__ = f"""Constant-Q transform (librosa's current bandwidth convention).

    Parameters
    ----------{_DOC_PARAMS}

    Returns
    -------
    C : array, shape (..., n_bins, n_frames), complex
        ``n_frames = 1 + n // hop_length`` when the hop divides cleanly.

    Raises
    ------
    ParameterError
        Top filter above Nyquist, ``fmin <= 0``, non-integer ``bins_per_octave``,
        ``filter_scale <= 0``, an empty signal, or one with fewer samples than
        the early decimations need (librosa's "Input signal length=... is too
        short for ...-octave CQT"), ...

    Warns
    -----
    UserWarning
        A signal shorter than some octave's frames (at that octave's rate; the
        lowest octaves first): computed anyway from the padded frames, as
        librosa does (librosa warns once per such octave, sigpu once per call).
    FutureWarning
        ``res_type=None``, as librosa >= 0.10.

    See Also
    --------
    vqt : Variable-Q transform.
    CQT : Constant-Q transform plan: kernels built once.
    icqt : Inverse constant-Q transform.

    Notes
    -----
    NumPy and CuPy (float32 -> complex64, float64 -> complex128). Multirate
    (octave-by-octave, half-band decimation, batched GEMMs over all frames).
    Reference ``librosa.cqt`` (librosa 0.11); Schoerkhuber & Klapuri, SMC 2010.
    Short signals follow librosa (warning, same frame count); from about 300
    samples up the values agree as for long signals (within 3 % of the peak),
    below that both results are dominated by their resamplers' edge
    transients and differ by up to ~15 % of the peak.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.constantq import cqt
    >>> y = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32)
    >>> C = cqt(y, sr=22050)
    >>> C.shape, C.dtype
    ((2, 84, 44), dtype('complex64'))

    A signal shorter than the lowest filters (11 686 samples at C1) is
    transformed too, with librosa's warning:

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     cqt(y[0, :2000], sr=22050).shape
    (84, 4)
    >>> str(caught[0].message)[:48]
    'cqt: signal length=2000 is shorter than the filt'
    """


@on_input_device
def chroma_cqt(
    y=None,
    *,
    sr=22050,
    C=None,
    hop_length=512,
    fmin=None,
    norm=np.inf,
    threshold=0.0,
    tuning=None,
    n_chroma=12,
    n_octaves=7,
    window=None,
    bins_per_octave=36,
    cqt_mode="full",
):
    """Chromagram from a constant-Q transform.

    Parameters
    ----------
    y : array, shape (..., n), optional
        Signal (NumPy or CuPy, float32/float64); or give ``C``.
    sr : float > 0
    C : array, shape (..., n_bins, n_frames), optional
        Precomputed CQT (magnitude is taken).
    hop_length : int > 0
    fmin : float > 0, optional
        Default C1.
    norm : None, inf, -inf, 0 or float > 0
        Normalisation of each frame across chroma.
    threshold : float
        Chroma values below it are set to 0.
    tuning : float or None
        ``None`` estimates it from ``y`` (passed on to :func:`cqt`, as librosa).
    n_chroma : int > 0
    n_octaves : int > 0
    window : array, optional
        Window convolved with the CQ-to-chroma matrix.
    bins_per_octave : int
        A multiple of ``n_chroma``.
    cqt_mode : "full"
        Only the full CQT ("hybrid" is not implemented).

    Returns
    -------
    chroma : array, shape (..., n_chroma, n_frames), real

    See Also
    --------
    sigpu.feature.chroma_stft : Chromagram from an STFT.
    cqt : Constant-Q transform.
    sigpu.filters.cq_to_chroma : Constant-Q bins to chroma matrix.

    Notes
    -----
    NumPy and CuPy. Reference ``librosa.feature.chroma_cqt`` (librosa 0.11).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.constantq import chroma_cqt
    >>> t = np.arange(3 * 22050) / 22050  # 3 s: the lowest of 7 octaves needs ~65 536 samples
    >>> y = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    >>> int(chroma_cqt(y, sr=22050, tuning=0.0).mean(axis=-1).argmax())  # A
    9
    """
    one_of(cqt_mode, "cqt_mode", ("full",))
    n_chroma = positive_int(n_chroma, "n_chroma")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    if bins_per_octave % n_chroma != 0:
        raise ParameterError(
            f"bins_per_octave={bins_per_octave} must be an integer multiple of n_chroma={n_chroma}"
        )
    norm = norm_order(norm)
    if C is None:
        if y is None:
            raise ParameterError("At least one of C or y must be provided to compute chroma")
        n_octaves = positive_int(n_octaves, "n_octaves")
        C = cqt(
            y,
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            n_bins=n_octaves * bins_per_octave,
            bins_per_octave=bins_per_octave,
            tuning=tuning,
        )
    xp = float_or_complex_array(C, "C", func="chroma_cqt")
    if C.ndim < 2:
        raise ParameterError(f"C must have shape (..., n_bins, n_frames), got {C.shape}")
    C = xp.abs(C)
    if not xp.isdtype(C.dtype, "real floating"):
        raise TypeError(f"C has dtype {C.dtype}; pass a float or complex CQT")
    matrix = cq_to_chroma(
        C.shape[-2],
        bins_per_octave=bins_per_octave,
        n_chroma=n_chroma,
        fmin=fmin,
        window=window,
        dtype=C.dtype,
        xp=xp,
        device=device_of(C),
    )
    lead, (n_bins, n_frames) = C.shape[:-2], C.shape[-2:]
    flat = xp.reshape(
        xp.permute_dims(xp.reshape(C, (-1, n_bins, n_frames)), (1, 0, 2)), (n_bins, -1)
    )
    chroma = xp.matmul(matrix, flat)  # one GEMM over all frames of all items
    chroma = xp.permute_dims(xp.reshape(chroma, (n_chroma, -1, n_frames)), (1, 0, 2))
    chroma = xp.reshape(chroma, lead + (n_chroma, n_frames))
    if threshold is not None:
        threshold = finite_float(threshold, "threshold")
        chroma = xp.where(chroma < threshold, xp.zeros_like(chroma), chroma)
    return normalize(chroma, norm, -2, xp)


# ---------------------------------------------------------------- inverse CQT

# Zeros appended before the FFT upsampler so its circular sinc interpolation
# does not wrap the end of the signal onto its start (soxr, librosa's
# resampler, treats the signal as zero outside its support).
_UPSAMPLE_MARGIN = 256


@host_table
def _rectangular_envelope(n_fft: int, hop: int, n_frames: int, start: int, length: int):
    """Frames covering each output sample: librosa's sum-square of a "ones" window."""
    counts = np.zeros(n_fft + hop * (n_frames - 1))
    for t in range(n_frames):
        counts[t * hop : t * hop + n_fft] += 1.0
    out = np.zeros(length)
    part = counts[start : start + length]
    out[: part.shape[0]] = part
    return np.where(out > 0, 1.0 / np.maximum(out, 1.0), 1.0)


def _upsample(y, factor: int, xp):
    """Band-limited upsampling of ``y (batch, n)`` by an integer ``factor`` (FFT zero padding).

    Ideal (brick-wall) interpolation of the zero-extended signal; like soxr
    with ``scale=False`` it keeps amplitudes, and its output has
    ``n * factor`` samples.
    """
    if factor == 1:
        return y
    fft = fft_module(xp)
    n = y.shape[-1]
    n_pad = fft.next_fast_len(n + _UPSAMPLE_MARGIN, real=True)
    spec = fft.rfft(y, n=n_pad, axis=-1)
    if n_pad % 2 == 0:
        # the Nyquist bin is shared by +/- n_pad/2 once the band is widened
        spec[..., -1] *= 0.5
    out = fft.irfft(spec, n=n_pad * factor, axis=-1)
    return out[..., : n * factor] * factor


@on_input_device
def icqt(
    C,
    *,
    sr=22050,
    hop_length=512,
    fmin=None,
    bins_per_octave=12,
    tuning=0.0,
    filter_scale=1,
    norm=1,
    sparsity=0.01,
    window="hann",
    scale=True,
    length=None,
    res_type="soxr_hq",
    dtype=None,
):
    """Inverse constant-Q transform (librosa 0.11's ``icqt``).

    Octave by octave from the bottom, the CQT rows are mapped back to frame
    spectra with the conjugate transpose of that octave's (sparsified)
    frequency-domain kernel, each filter weighted by ``n_fft/(l_k ||B_k||^2)``
    (and ``sqrt(l_k)`` with ``scale``); an inverse rFFT and a rectangular
    overlap-add (``istft(..., window="ones")``) give the octave's signal at its
    rate, which is upsampled to ``sr`` and summed.

    Parameters
    ----------
    C : array, shape (..., n_bins, n_frames), complex64/complex128 (or real)
        Constant-Q transform, NumPy or CuPy; any leading batch axes.  A real
        array is taken as zero phase.
    sr, hop_length, fmin, bins_per_octave, tuning, filter_scale, norm, sparsity, window, scale
        As for :func:`cqt` (``tuning`` must be a float; ``n_bins = C.shape[-2]``).
    length : int > 0, optional
        Output length: zero-padded or trimmed to it (frames past it are dropped
        first, as librosa).  Default ``hop_length * (n_frames - 1)``.
    res_type : str
        Accepted for librosa compatibility and ignored: sigpu upsamples with an
        FFT (ideal band-limited) interpolator instead of soxr.
    dtype : float32 or float64, optional
        Output dtype (default: the real dtype of ``C``'s precision).

    Returns
    -------
    y : array, shape (..., length), real

    Raises
    ------
    ParameterError
        Filters above Nyquist, bad parameters, ``tuning=None``.
    TypeError
        Integer or float16 ``C``, or a ``dtype`` that is not float32/float64.

    See Also
    --------
    cqt : Constant-Q transform.
    griffinlim_cqt : Signal from a CQT magnitude (Griffin-Lim).

    Notes
    -----
    NumPy and CuPy (inverse rFFT, GEMM and the ``ola`` overlap-add kernel:
    NumPy or numba by size on the CPU, CUDA on the GPU). Reference ``librosa.icqt`` (librosa
    0.11); it differs from librosa only by the resampler (soxr there), see the
    tests for the measured gap. Like librosa's, this inverse is approximate: it
    reconstructs well only where the hop is short against the filters.
    Non-finite values are not hidden: a NaN or inf in ``C`` gives NaN output,
    local to its frames in octaves at ``sr`` but over the whole signal in
    octaves that are upsampled (the FFT interpolator mixes all samples).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.constantq import cqt, icqt
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 220 * np.arange(sr) / sr)
    >>> C = cqt(y, sr=sr, hop_length=64, fmin=55.0, n_bins=48)
    >>> y_hat = icqt(C, sr=sr, hop_length=64, fmin=55.0, length=sr)
    >>> y_hat.shape, y_hat.dtype
    ((22050,), dtype('float64'))
    >>> bool(np.max(np.abs(y_hat - y)[sr // 4 : -sr // 4]) < 0.05)
    True
    """
    float_or_complex_array(C, "C", func="icqt", min_ndim=2)
    check_audio_finite(C, "icqt", "C")  # librosa's icqt raises on it (its resampler's check)
    inverse = _InverseCQT(C.shape, **_keywords_for(_InverseCQT, locals()))
    return inverse(C, length=length, dtype=dtype)


class _InverseCQT:
    """Validated parameters and host tables of one ``icqt`` configuration, for constant-Q
    spectra of ``shape`` (the caller checks their values); calling it inverts one."""

    def __init__(
        self,
        shape,
        *,
        sr,
        hop_length,
        fmin,
        bins_per_octave,
        tuning,
        filter_scale,
        norm,
        sparsity,
        window,
        scale,
        res_type,
        func="icqt",
    ):
        self.func = func
        self.sr = positive_float(sr, "sr")
        self.hop_length = positive_int(hop_length, "hop_length")
        fmin = C1_HZ if fmin is None else positive_float(fmin, "fmin")
        self.fmin = fmin
        self.bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
        self.tuning = _check_tuning(tuning, func)
        self.filter_scale = positive_float(filter_scale, "filter_scale")
        self.norm = norm_order(norm)
        self.sparsity = _check_sparsity(sparsity)
        self.window = _window_key(window)
        self.scale = bool(scale)
        _check_res_type(res_type)
        self.n_bins = shape[-2]
        if self.n_bins < 1 or shape[-1] < 2:
            # one frame spans no hop: librosa returns an empty signal
            raise ParameterError(f"C must have at least one bin and two frames, got shape {shape}")
        self.schedule = build_inverse_schedule(
            self.sr,
            self.hop_length,
            tuned_frequency(fmin, self.tuning, self.bins_per_octave),
            self.n_bins,
            self.bins_per_octave,
            self.filter_scale,
            self.norm,
            self.sparsity,
            self.window,
            self.scale,
        )

    def __call__(self, C, *, length=None, dtype=None):
        xp = array_namespace(C, func=self.func)
        out_dtype = optional_real_dtype(dtype)
        if C.shape[-2] != self.n_bins:
            raise ParameterError(f"C has {C.shape[-2]} bins, expected {self.n_bins}")
        s = self.schedule
        cdtype = complex_dtype(C.dtype)
        work = real_dtype(cdtype)
        n_frames = C.shape[-1]
        if length is not None:
            length = positive_int(length, "length")
            # librosa keeps only the frames that can reach into the output
            n_frames = min(n_frames, math.ceil((length + s.max_length) / self.hop_length))
        lead = C.shape[:-2]
        if n_frames < 2:  # one frame spans no hop: librosa's signal is all padding
            dtype = work if out_dtype is None else out_dtype
            return xp.zeros(lead + (length,), dtype=dtype)  # on C's device (on_input_device)
        C = xp.reshape(
            xp.astype(C[..., :n_frames], cdtype, copy=False), (-1, self.n_bins, n_frames)
        )
        batch = C.shape[0]
        dev_id = device_of(C)
        # frames major, bins minor, once: every octave's rows are then a 2-D GEMM operand
        rows = xp.ascontiguousarray(xp.permute_dims(C, (0, 2, 1)))
        rows = xp.reshape(rows, (batch * n_frames, self.n_bins))
        rows_ri = rows.view(work)  # (B*T, 2 n_bins): Re, Im interleaved
        fft = fft_module(xp)
        ola = kernel(xp, "ola.overlap_add")
        y, rate = None, None
        for octave, host_kernel in zip(s.octaves, s.kernels, strict=True):
            if octave.mode == "direct":
                w = on_device(host_kernel, xp, work, dev_id)  # (2 n_f, n_fft)
                frames_ = xp.matmul(rows_ri[:, 2 * octave.bin_start : 2 * octave.bin_stop], w)
            else:
                k = on_device(host_kernel, xp, cdtype, dev_id)  # (n_f, band)
                spec = xp.zeros((batch * n_frames, octave.n_fft // 2 + 1), dtype=cdtype)
                spec[:, octave.lo : octave.hi] = xp.matmul(
                    rows[:, octave.bin_start : octave.bin_stop], k
                )
                frames_ = fft.irfft(spec, n=octave.n_fft, axis=-1)
            frames_ = xp.reshape(frames_, (batch, n_frames, octave.n_fft))
            start = octave.n_fft // 2
            n_out = octave.hop * (n_frames - 1)
            ones = on_device(_ones_window(octave.n_fft), xp, work, dev_id)
            y_oct = ola(frames_, ones, octave.hop, start, n_out)
            env = _rectangular_envelope(octave.n_fft, octave.hop, n_frames, start, n_out)
            y_oct *= on_device(env, xp, work, dev_id)
            # Horner-like: bring the running sum up to this octave's rate, then add
            if y is None:
                y = y_oct
            else:
                if octave.upsample != rate:
                    y = _upsample(y, rate // octave.upsample, xp)
                n_common = min(y.shape[-1], y_oct.shape[-1])
                y[:, :n_common] += y_oct[:, :n_common]
            rate = octave.upsample
        y = _upsample(y, rate, xp)
        if length is not None:
            if y.shape[-1] >= length:
                y = y[:, :length]
            else:
                y = xp.pad(y, ((0, 0), (0, length - y.shape[-1])))
        y = xp.reshape(y, lead + (y.shape[-1],))
        if out_dtype is not None and y.dtype != out_dtype:
            y = xp.astype(y, out_dtype)
        return y


@host_table
def _ones_window(n: int):
    return np.ones(n)


@on_input_device
def griffinlim_cqt(
    C,
    *,
    n_iter=32,
    sr=22050,
    hop_length=512,
    fmin=None,
    bins_per_octave=12,
    tuning=0.0,
    filter_scale=1,
    norm=1,
    sparsity=0.01,
    window="hann",
    scale=True,
    pad_mode="constant",
    res_type="soxr_hq",
    dtype=None,
    length=None,
    momentum=0.99,
    init="random",
    random_state=None,
):
    """Reconstruct a signal from a CQT magnitude with fast Griffin-Lim (librosa's).

    Alternates :func:`icqt` and :func:`cqt`, keeping the given magnitudes and
    the phases of the re-analysis, with Perraudin et al.'s momentum:
    ``A = R - momentum/(1 + momentum) * R_prev``, ``phase = A/(|A| + tiny)``.

    Parameters
    ----------
    C : array, shape (..., n_bins, n_frames), float32 or float64
        CQT magnitudes (non-negative), NumPy or CuPy; any leading batch axes.
    n_iter : int > 0
        Iterations.
    sr, hop_length, fmin, bins_per_octave, tuning, filter_scale, norm, sparsity, window, scale
        As for :func:`cqt` / :func:`icqt` (``n_bins = C.shape[-2]``).
    pad_mode : str
        Padding of the re-analysis (:func:`cqt`).
    res_type : str
        Accepted for librosa compatibility and ignored.
    dtype : float32 or float64, optional
        Output dtype (default that of ``C``).
    length : int > 0, optional
        Length of the signal; it must give ``n_frames`` frames
        (``1 + length // hop_length``). Default ``hop_length * (n_frames - 1)``.
    momentum : float >= 0
        Acceleration (0 is classic Griffin-Lim); values > 1 warn (unstable).
    init : "random" or None
        Random initial phases, or zero phases.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        Seed for ``init="random"``; phases are drawn on the host with NumPy
        (an int seeds ``RandomState``, as librosa), so NumPy, CuPy and librosa
        start from the same phases.

    Returns
    -------
    y : array, shape (..., length), real

    Warns
    -----
    UserWarning
        Once, if the signal is shorter than some octave's frames (see
        :func:`cqt`); librosa computes the same and warns at every iteration.

    See Also
    --------
    icqt : Inverse constant-Q transform.
    sigpu.griffinlim : Signal from an STFT magnitude (Griffin-Lim).

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.griffinlim_cqt`` (librosa 0.11): same
    iteration and initial phases; the resampler differs (see :func:`icqt`).
    Short signals are reconstructed as librosa does (measured within 5 % of
    the peak of librosa's result for 1000-8000 samples at C1).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.constantq import cqt, griffinlim_cqt
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 440 * np.arange(sr) / sr).astype(np.float32)
    >>> C = np.abs(cqt(y, sr=sr, hop_length=128, fmin=110.0, n_bins=48))
    >>> y_hat = griffinlim_cqt(C, sr=sr, hop_length=128, fmin=110.0, n_iter=4, random_state=0)
    >>> y_hat.shape, y_hat.dtype
    ((22016,), dtype('float32'))
    """
    xp = real_array(C, "C", func="griffinlim_cqt", min_ndim=2)
    n_iter, momentum = griffinlim_options(n_iter, momentum, init)
    out_dtype = optional_real_dtype(dtype)
    n_bins, n_frames = C.shape[-2], C.shape[-1]
    check_audio_finite(C, "griffinlim_cqt", "C")
    inverse = _InverseCQT(C.shape, **_keywords_for(_InverseCQT, locals(), func="griffinlim_cqt"))
    # the analysis in the input's precision (dtype= is the output's, a real dtype)
    analysis = CQT(**_keywords_for(CQT, locals(), dtype=None))
    if length is not None:
        length = positive_int(length, "length")
        if analysis.n_frames(length) != n_frames:
            raise ParameterError(
                f"length={length} gives {analysis.n_frames(length)} CQT frames at "
                f"hop_length={inverse.hop_length}; C has {n_frames}"
            )
    n_signal = length if length is not None else inverse.hop_length * (n_frames - 1)
    # once here, not at every re-analysis (librosa warns per iteration and octave)
    analysis._check_length(n_signal)
    cdtype = complex_dtype(C.dtype)
    phase = initial_phase(init, random_state, C.shape, xp, cdtype)
    with check_finite(False):  # C is finite: so is every estimate, no sync per iteration
        angles = fast_griffinlim(
            C,
            xp.astype(C, cdtype) if phase is None else phase * C,
            analyse=analysis._transform,
            synthesise=lambda coefficients: inverse(coefficients, length=length),
            n_iter=n_iter,
            momentum=momentum,
            xp=xp,
        )
    return inverse(angles, length=length, dtype=out_dtype)
