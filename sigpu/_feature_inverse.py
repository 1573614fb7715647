"""Inverses of the mel and MFCC features: mel -> STFT magnitude -> audio, MFCC -> mel.

``mel_to_stft`` solves the non-negative least-squares problem
``min_{X >= 0} ||mel_basis @ X - M||^2`` for all frames of all signals at once with
FISTA (accelerated projected gradient, Beck and Teboulle 2009): each step is two
products with the mel bank and its transpose, both band-limited (each mel filter covers
a few FFT bins, each bin at most two filters), started, as librosa starts its L-BFGS-B,
from the clipped pseudo-inverse solution.  librosa (``scipy.optimize.fmin_l_bfgs_b``)
and FISTA are different algorithms: the problem's minimiser ``X`` is not unique (fewer
mel bands than bins), but the fitted ``mel_basis @ X`` is: the tests compare that and
the residuals with librosa's and with an exact active-set solver's.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from . import _warnings, filters
from ._backend import device_of, kernel, on_input_device
from ._cache import host_table, on_device
from ._errors import ParameterError
from ._validate import (
    check_audio_finite,
    check_finite,
    nonnegative_float,
    one_of,
    positive_float,
    positive_int,
    real_array,
)
from .spectrum import fused_kernel_pays, griffinlim

__all__ = ["mel_to_stft", "mel_to_audio", "mfcc_to_mel", "mfcc_to_audio"]

# librosa's path: ``import sigpu.feature.inverse`` (sigpu.feature is a module, not a
# package, so the name is registered here; sigpu.feature binds it as ``inverse``)
sys.modules.setdefault("sigpu.feature.inverse", sys.modules[__name__])


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


#: FISTA steps of mel_to_stft (a fixed count: no device-to-host check of convergence).
#: Relative residuals ||A X - M|| / ||M|| after 200 steps on mel spectrograms of 0.5 s of
#: two tones and noise: 1.5e-4 (n_fft=1024, 64 mels), 9e-7 (2048, 128), 2.5e-8 (512, 40),
#: 6.6e-4 (512, 24 HTK mels without normalisation); librosa's L-BFGS-B, which stops on
#: its own tolerances, reaches 1e-2 on the first and 5e-7 on the last.
NNLS_STEPS = 200

_MEL_KWARGS = ("fmin", "fmax", "htk", "norm")


@host_table
def _nnls_tables(sr, n_fft, n_mels, fmin, fmax, htk, norm):
    """(bank (M, F), its transpose (F, M) contiguous, pseudo-inverse (F, M), steps (F, 1)).

    The step of bin ``j`` is ``1 / (bank.T @ bank @ 1)_j``: for a non-negative bank,
    ``diag(bank.T bank 1) - bank.T bank`` is diagonally dominant, so this diagonal
    metric majorises the objective's Hessian (a valid FISTA step, as Lee and Seung's
    multiplicative updates use) and adapts to each bin's filters, converging 3-10x faster
    than the single step ``1 / ||bank||^2``.  Bins no filter covers get step 0 (and stay 0).
    """
    bank = filters._mel_table(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm
    )
    curvature = bank.T @ (bank @ np.ones(bank.shape[1]))
    steps = np.where(curvature > 0, 1.0 / np.where(curvature > 0, curvature, 1.0), 0.0)
    return bank, np.ascontiguousarray(bank.T), np.linalg.pinv(bank), steps[:, None]


def _inverse_power(power):
    """``power`` for ``S ** (1 / power)``: positive, and not so small that the root
    overflows any magnitude above 1."""
    power = positive_float(power, "power")
    if power < 1e-3:
        raise ParameterError(f"power={power!r} must be at least 0.001 (S ** (1 / power))")
    return power


def _mel_kwargs(kwargs, func):
    bad = set(kwargs) - set(_MEL_KWARGS)
    if bad:
        raise TypeError(f"{func}() got unexpected keyword argument(s) {sorted(bad)}")
    return (
        kwargs.get("fmin", 0.0),
        kwargs.get("fmax"),
        kwargs.get("htk", False),
        kwargs.get("norm", "slaney"),
    )


def _nnls(bank, bank_t, pinv, steps, M, xp):
    """FISTA for ``min_{X >= 0} 0.5 ||bank X - M||^2`` over ``M (..., n_mels, T)``, in
    the diagonal metric of ``steps``.

    The iterates are time-major rows ``(frames, bins)``, as the STFT's: the bank products
    are the band-wise ``spectrum.apply_bank`` kernel (each row of ``bank`` and of
    ``bank.T`` is non-zero on a few neighbouring entries) on the CPU, or below its
    break-even size ``bank.apply``'s GEMMs over the bands; cuBLAS on the GPU.
    Returns ``X (..., F, T)``, a transposed view of time-major memory.
    """
    *lead, n_mels, n_frames = M.shape
    # rows (N, K) x bank (J, K) -> (N, J); below numba's break-even size the few GEMMs over
    # the bands (no start-up: a first call on a short input stays well under a second)
    band_wise = fused_kernel_pays(math.prod(lead) * n_frames * bank.shape[1])
    product = kernel(xp, "spectrum.apply_bank" if band_wise else "bank.apply")
    # one C-contiguous copy, whatever M's layout: the minimiser is not unique, and the
    # path to one (so the X returned) would otherwise follow a layout's rounding
    target = xp.reshape(xp.swapaxes(M, -1, -2), (-1, n_mels))
    target = xp.reshape(xp.reshape(target, (-1,)), target.shape)
    steps = xp.reshape(steps, (1, -1))
    X = xp.maximum(xp.matmul(target, pinv.T), 0)
    Z, momentum = X, 1.0
    for _ in range(NNLS_STEPS):
        gradient = product(product(Z, bank) - target, bank_t)
        X_next = xp.maximum(Z - steps * gradient, 0)
        momentum_next = (1.0 + math.sqrt(1.0 + 4.0 * momentum**2)) / 2.0
        Z = X_next + ((momentum - 1.0) / momentum_next) * (X_next - X)
        X, momentum = X_next, momentum_next
    return xp.swapaxes(xp.reshape(X, (*lead, n_frames, X.shape[-1])), -1, -2)


@on_input_device
def mel_to_stft(M, *, sr=22050, n_fft=2048, power=2.0, **kwargs):
    """Approximate STFT magnitude from a mel spectrogram by non-negative least squares.

    Parameters
    ----------
    M : array, shape (..., n_mels, T), float32/float64
        Mel spectrogram (NumPy or CuPy), ``mel_basis @ |D|**power``.
    sr : float > 0
        Sampling rate.
    n_fft : int > 0
        FFT length of the STFT to recover.
    power : float > 0
        Exponent of ``M`` (2: power, 1: energy).
    **kwargs
        ``fmin``, ``fmax``, ``htk``, ``norm`` of the mel bank (:func:`sigpu.filters.mel`).

    Returns
    -------
    S : array, shape (..., 1 + n_fft // 2, T), dtype of ``M``
        Non-negative magnitudes whose mel projection fits ``M``.

    See Also
    --------
    sigpu.feature.inverse.mel_to_audio : Audio from a mel spectrogram.
    sigpu.melspectrogram : The forward transform.

    Notes
    -----
    NumPy and CuPy. Solves the problem of ``librosa.feature.inverse.mel_to_stft``
    with a different algorithm: 200 FISTA steps (two band-limited bank products each)
    instead of L-BFGS-B.  The fitted ``mel_basis @ S**power`` is closer to the optimum
    than librosa's (the magnitudes themselves are not unique and differ).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> M = sigpu.melspectrogram(y, sr=22050)
    >>> S = sigpu.feature.inverse.mel_to_stft(M, sr=22050)
    >>> S.shape, S.dtype, bool(S.min() >= 0)
    ((1025, 44), dtype('float32'), True)
    """
    xp = real_array(M, "M", func="mel_to_stft", min_ndim=2)
    power = _inverse_power(power)
    n_fft = positive_int(n_fft, "n_fft")
    sr = positive_float(sr, "sr")
    fmin, fmax, htk, norm = _mel_kwargs(kwargs, "mel_to_stft")
    tables = _nnls_tables(sr, n_fft, M.shape[-2], fmin, fmax, htk, norm)
    bank, bank_t, pinv, steps = (on_device(t, xp, M.dtype, device_of(M)) for t in tables)
    S = _nnls(bank, bank_t, pinv, steps, M, xp)
    return S if power == 1.0 else S ** (1.0 / power)


@on_input_device
def mel_to_audio(
    M,
    *,
    sr=22050,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
    power=2.0,
    n_iter=32,
    length=None,
    dtype=None,
    random_state=None,
    **kwargs,
):
    """Audio from a mel spectrogram: :func:`mel_to_stft`, then Griffin-Lim phase recovery.

    Parameters
    ----------
    M : array, shape (..., n_mels, T), float32/float64
        Mel spectrogram.
    sr : float > 0
        Sampling rate.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters as :func:`sigpu.griffinlim`.
    power : float > 0
        Exponent of ``M``.
    n_iter : int > 0
        Griffin-Lim iterations.
    length : int > 0, optional
        Length of the output signal.
    dtype : float32, float64 or None
        Precision of the output (None: ``M``'s; librosa's default is float32).
    random_state : None, int or numpy.random.Generator
        Seed of Griffin-Lim's random initial phase (sigpu addition: librosa draws from
        NumPy's global generator).
    **kwargs
        ``fmin``, ``fmax``, ``htk``, ``norm`` of the mel bank.

    Returns
    -------
    y : array, shape (..., n)

    See Also
    --------
    sigpu.feature.inverse.mel_to_stft : The magnitude step.
    sigpu.griffinlim : The phase step.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.inverse.mel_to_audio`` up to the random
    initial phase and the NNLS solver (see :func:`mel_to_stft`).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> M = sigpu.melspectrogram(y, sr=22050)
    >>> y_hat = sigpu.feature.inverse.mel_to_audio(M, sr=22050, n_iter=4, random_state=0)
    >>> y_hat.shape, y_hat.dtype
    ((22016,), dtype('float32'))
    """
    return _mel_to_audio(M, "M", "mel_to_audio", locals() | kwargs)


def _mel_to_audio(M, name, func, params):
    """mel_to_audio of ``M``, which the caller knows as ``name``: its finiteness and frame
    count are checked here (one synchronisation on CuPy), so Griffin-Lim's checks of the
    magnitudes, which would name them ``S``, are skipped."""
    _check_for_griffinlim(M, name, func)
    mel_kw = {k: params[k] for k in _MEL_KWARGS if k in params}
    bad = set(params) - _MEL_TO_AUDIO_PARAMETERS - set(mel_kw)
    if bad:
        raise TypeError(f"{func}() got unexpected keyword argument(s) {sorted(bad)}")
    S = mel_to_stft(M, sr=params["sr"], n_fft=params["n_fft"], power=params["power"], **mel_kw)
    with check_finite(False):
        return griffinlim(
            S,
            n_iter=params["n_iter"],
            hop_length=params["hop_length"],
            win_length=params["win_length"],
            n_fft=params["n_fft"],
            window=params["window"],
            center=params["center"],
            dtype=params["dtype"],
            length=params["length"],
            pad_mode=params["pad_mode"],
            random_state=params["random_state"],
        )


def _check_for_griffinlim(x, name, func):
    real_array(x, name, func=func, min_ndim=2)
    if x.shape[-1] < 2:
        raise ParameterError(f"{func}: {name} has {x.shape[-1]} frames; Griffin-Lim needs 2")
    check_audio_finite(x, func, name)


_MEL_TO_AUDIO_DEFAULTS = dict(
    sr=22050,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
    power=2.0,
    n_iter=32,
    length=None,
    dtype=None,
    random_state=None,
)
_MEL_TO_AUDIO_PARAMETERS = set(_MEL_TO_AUDIO_DEFAULTS) | {"M", "kwargs"}


# ln(10) / 10: 10 ** (x / 10) = exp(x ln(10) / 10)
_NEPERS_PER_DB_OF_POWER = math.log(10.0) / 10.0


@host_table
def _idct_basis(n_mfcc, n_mels, dct_type, norm):
    """``B (n_mels, n_mfcc)``: ``B @ c == scipy.fft.idct(c, type=dct_type, n=n_mels,
    norm=norm, axis=0)`` (the coefficients zero-padded or truncated to ``n_mels``).

    The inverse DCT of a few coefficients to ``n_mels`` bands is a small product: one GEMM
    over all frames is faster than an FFT-based DCT along the non-contiguous axis."""
    import scipy.fft

    return scipy.fft.idct(np.eye(n_mfcc), type=dct_type, n=n_mels, norm=norm, axis=0)


@host_table
def _lifter_sine(n_mfcc, lifter):
    return 1.0 + lifter * 0.5 * np.sin(np.pi * np.arange(1, n_mfcc + 1) / lifter)


@on_input_device
def mfcc_to_mel(mfcc, *, n_mels=128, dct_type=2, norm="ortho", ref=1.0, lifter=0):
    """Mel power spectrogram from MFCCs: undo the liftering, inverse DCT, dB to power.

    Parameters
    ----------
    mfcc : array, shape (..., n_mfcc, T), float32/float64
        Mel-frequency cepstral coefficients (NumPy or CuPy).
    n_mels : int > 0
        Number of mel bands to recover (the missing coefficients are taken as 0).
    dct_type : {1, 2, 3}
        DCT type used by the forward transform.
    norm : {"ortho", None, "backward", "forward"}
        DCT normalisation used by the forward transform.
    ref : float > 0
        Reference power of the dB scale.
    lifter : float >= 0
        Liftering parameter used by the forward transform (0: none).

    Returns
    -------
    M : array, shape (..., n_mels, T), dtype of ``mfcc``

    See Also
    --------
    sigpu.mfcc : The forward transform.
    sigpu.feature.inverse.mfcc_to_audio : Audio from MFCCs.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.inverse.mfcc_to_mel``: its
    ``scipy.fft.idct`` (any type and norm) as one matrix product with the inverse-DCT
    basis, built once per shape on the host.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050)
    >>> C = sigpu.mfcc(y, sr=22050)
    >>> sigpu.feature.inverse.mfcc_to_mel(C).shape
    (128, 44)
    """
    xp = real_array(mfcc, "mfcc", func="mfcc_to_mel", min_ndim=2)
    n_mels = positive_int(n_mels, "n_mels")
    if dct_type not in (1, 2, 3) or isinstance(dct_type, bool):
        raise ParameterError(f"dct_type={dct_type!r} is not supported; choose 1, 2 or 3")
    norm = one_of(norm, "norm", (None, "ortho", "backward", "forward"))
    ref = positive_float(ref, "ref")
    if isinstance(lifter, bool):
        raise ParameterError(f"lifter={lifter!r} must be a non-negative number")
    lifter = nonnegative_float(lifter, "lifter")
    if dct_type == 1 and n_mels < 2:
        raise ParameterError(f"n_mels={n_mels}: dct_type=1 needs at least 2 mel bands")
    if lifter > 0:
        sine = _lifter_sine(mfcc.shape[-2], lifter)
        if np.any(np.abs(sine) < np.finfo(mfcc.dtype).eps):
            _warnings.warn("lifter array includes critical values that may invoke underflow.")
        divisor = on_device(sine, xp, mfcc.dtype, device_of(mfcc)) + np.finfo(mfcc.dtype).tiny
        mfcc = mfcc / divisor[:, None]
    basis = _idct_basis(mfcc.shape[-2], n_mels, dct_type, norm)
    log_mel = xp.matmul(on_device(basis, xp, mfcc.dtype, device_of(mfcc)), mfcc)
    # db_to_power in place on the product (a new array): ref * exp(dB * ln(10) / 10), a
    # vectorised exp where 10 ** x is a scalar loop per element
    power = log_mel
    power *= _NEPERS_PER_DB_OF_POWER
    xp.exp(power, out=power)
    if ref != 1.0:
        power *= ref
    return power


@on_input_device
def mfcc_to_audio(mfcc, *, n_mels=128, dct_type=2, norm="ortho", ref=1.0, lifter=0, **kwargs):
    """Audio from MFCCs: :func:`mfcc_to_mel`, then :func:`mel_to_audio`.

    Parameters
    ----------
    mfcc : array, shape (..., n_mfcc, T), float32/float64
        Mel-frequency cepstral coefficients.
    n_mels, dct_type, norm, ref, lifter
        As for :func:`mfcc_to_mel`.
    **kwargs
        Parameters of :func:`mel_to_audio` (``sr``, ``n_fft``, ``hop_length``, ...,
        ``random_state``).

    Returns
    -------
    y : array, shape (..., n)

    See Also
    --------
    sigpu.feature.inverse.mfcc_to_mel : The mel step.
    sigpu.feature.inverse.mel_to_audio : The audio step.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.inverse.mfcc_to_audio`` up to Griffin-Lim's
    random initial phase and the NNLS solver.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> C = sigpu.mfcc(y, sr=22050, n_mfcc=20)
    >>> sigpu.feature.inverse.mfcc_to_audio(C, n_iter=4, random_state=0).shape
    (22016,)
    """
    real_array(mfcc, "mfcc", func="mfcc_to_audio", min_ndim=2)
    if mfcc.shape[-1] < 2:
        raise ParameterError(
            f"mfcc_to_audio: mfcc has {mfcc.shape[-1]} frames; Griffin-Lim needs 2"
        )
    check_audio_finite(mfcc, "mfcc_to_audio", "mfcc")
    M = mfcc_to_mel(mfcc, n_mels=n_mels, dct_type=dct_type, norm=norm, ref=ref, lifter=lifter)
    with check_finite(False):  # checked above, as mfcc
        return _mel_to_audio(M, "M", "mfcc_to_audio", _MEL_TO_AUDIO_DEFAULTS | kwargs)
