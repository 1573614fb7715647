"""Analog-to-digital conversion of SFI filter banks: time-domain (TD) and frequency-domain (FD)
weight design, and the Hilbert-pair extension of a weight bank.

Weights come back in **convolution order** with ``t0``, the analog time (s) of tap 0:
tap ``k`` stands for time ``t0 + k / sr``, so the digital response referenced to t = 0 is
``H_d(w) = sum_k weights[k] exp(-j w (t0 + k / sr))``
(= ``scipy.signal.freqz(weights[f], worN=w / sr)[1] * exp(-j w t0)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._backend import backend_name, fft_module, namespace_for, on_input_device
from .._cache import host_table, on_device
from .._errors import ParameterError
from .._validate import (
    finite_float,
    one_of,
    optional_real_dtype,
    positive_float,
    positive_int,
    real_array,
)

__all__ = ["time_domain_weights", "frequency_domain_weights", "hilbert_pair"]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


GRIDS = ("centered", "causal", "causal_ref")
SCALES = ("impulse_invariance", None)
NORMALIZATIONS = (None, "equal_rms")


def _bank(filters, func: str, xp, dtype):
    """The list of families, the output namespace and the output dtype.

    The namespace is that of the families' parameter arrays (``RationalFilter`` has no
    namespace of its own); ``xp=`` may name it explicitly, but never moves parameters.
    """
    families = list(filters) if isinstance(filters, Sequence) else [filters]
    if not families:
        raise ParameterError(f"{func}: filters must hold at least one filter family")
    for fam in families:
        if not (hasattr(fam, "impulse_response") and hasattr(fam, "frequency_response")):
            raise TypeError(f"{func}: {type(fam).__name__} is not an SFI filter family")
    own = {backend_name(f.xp) for f in families if f.xp is not None}
    if len(own) > 1:
        raise TypeError(f"{func}: the filter families mix NumPy and CuPy parameters")
    target = namespace_for(xp) if xp is not None else None
    if target is not None and own and backend_name(target) not in own:
        raise TypeError(
            f"{func}: xp={backend_name(target)!r} but the filter parameters are "
            f"{own.pop()} arrays; move the parameters first"
        )
    if target is None:
        target = next((f.xp for f in families if f.xp is not None), namespace_for(None))
    if dtype is None:
        dtypes = [f.dtype for f in families if f.xp is not None]
        dtype = np.result_type(*dtypes) if dtypes else np.float64
    dtype = optional_real_dtype(dtype)
    return families, target, dtype


def _tap_times(grid: str, numtaps: int, sr: float) -> float:
    """Analog time of tap 0 for a TD grid (§3.1 of the spec)."""
    if grid == "centered":
        return -(numtaps - 1) / 2 / sr
    if grid == "causal":
        return 0.0
    return (0.0 if numtaps % 2 else 1.0) / sr  # "causal_ref": even K skips the origin


@on_input_device
def time_domain_weights(
    filters,
    sr,
    numtaps,
    *,
    grid: str = "centered",
    scale: str | None = "impulse_invariance",
    normalize: str | None = None,
    train_sr=None,
    xp=None,
    dtype=None,
):
    """Time-domain (TD) SFI design: sample the analog impulse responses on the tap grid.

    ``weights[f, k] = h_f(t0 + k / sr) / sr`` (impulse invariance: the DTFT approximates
    ``H_f`` at every ``sr``), rectangular window, no anti-aliasing.

    Parameters
    ----------
    filters : filter family or sequence of them
        :class:`ModulatedGaussian`, :class:`Gammatone`, :class:`RationalFilter` (strictly
        proper; one-sided MGFs have complex ``h`` and are refused); a sequence is
        concatenated in order.
    sr : float
        Sampling rate in Hz, > 0.
    numtaps : int
        Kernel length K >= 1.
    grid : {"centered", "causal", "causal_ref"}
        ``"centered"``: ``t_k = (k - (K-1)/2) / sr`` (reference MGF); ``"causal"``:
        ``t_k = k / sr`` (``scipy.signal.gammatone(..., "fir")``, ``cont2discrete(...,
        "impulse")``); ``"causal_ref"``: ``t_k = k / sr`` for odd K and ``(k + 1) / sr``
        for even K (reference MPGTF, bit-compatible).
    scale : {"impulse_invariance", None}
        ``None`` returns the raw samples ``h(t_k)`` (reference; DTFT gain ``sr * H``).
    normalize : {None, "equal_rms"}
        ``"equal_rms"`` scales every filter to the largest RMS over taps in the bank.
    train_sr : float, optional
        Reference aliasing guard: if given and ``train_sr > sr``, filters whose centre
        frequency exceeds ``sr / 2`` are zeroed (families without centres are kept).
    xp : None, "numpy", "cupy" or module, optional
        Namespace of the weights; default that of the filter parameters (NumPy for a bank
        of only :class:`RationalFilter`).  It must match the parameters' namespace.
    dtype : float32 or float64, optional
        Default: the parameters' dtype (float64 for Python-number parameters).

    Returns
    -------
    weights : array, shape (F, numtaps)
        Convolution order (tap k at analog time ``t0 + k / sr``).
    t0 : float
        Analog time (s) of tap 0.

    See Also
    --------
    frequency_domain_weights : Convolution weights by frequency-domain least squares.
    hilbert_pair : Real and imaginary (Hilbert) weights of a filter.
    encode : Filter-bank encoder (strided convolution).

    Notes
    -----
    Backends: NumPy and CuPy (elementwise ``xp`` math).  Reference: ``fir_design.py`` TD
    path of TomohikoNakamura/sfi_convtasnet (Saito et al., TASLP 2022).  The reference's
    PyTorch weight is the time reversal of the raw samples (and 2 pi times that for its
    MGF): ``(2 * np.pi * time_domain_weights(mgf, sr, K, scale=None)[0])[:, ::-1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.sfi import ModulatedGaussian, time_domain_weights
    >>> mgf = ModulatedGaussian(2 * np.pi * np.array([500.0, 1500.0]), 2 * np.pi * 400, 0.0)
    >>> w, t0 = time_domain_weights(mgf, 16000, 80)
    >>> w.shape, round(t0 * 1e3, 6)
    ((2, 80), -2.46875)
    """
    func = "time_domain_weights"
    sr = positive_float(sr, "sr")
    numtaps = positive_int(numtaps, "numtaps")
    one_of(grid, "grid", GRIDS)
    one_of(scale, "scale", SCALES)
    one_of(normalize, "normalize", NORMALIZATIONS)
    if train_sr is not None:
        train_sr = positive_float(train_sr, "train_sr")
    families, xp, dtype = _bank(filters, func, xp, dtype)
    for fam in families:
        if not fam.strictly_proper:
            raise ParameterError(
                f"{func}: {type(fam).__name__} has no sampled impulse response (one-sided "
                "MGF or non-strictly-proper rational H); use frequency_domain_weights"
            )
    t0 = _tap_times(grid, numtaps, sr)
    work = np.float64  # sample in float64: t ~ 1e-3 s against phases of 1e3 rad
    t = t0 + xp.arange(numtaps, dtype=work) / sr
    w = xp.concat([xp.astype(f.impulse_response(t), work) for f in families], axis=0)
    if scale == "impulse_invariance":
        w = w / sr
    if normalize == "equal_rms":
        rms = xp.sqrt(xp.mean(w * w, axis=1))
        peak = xp.max(rms)
        gain = xp.where(rms > 0, peak / xp.where(rms > 0, rms, xp.ones_like(rms)), 1.0)
        w = w * gain[:, None]
    if train_sr is not None and train_sr > sr:
        keep = xp.concat([_below_nyquist(f, sr, xp) for f in families])
        w = xp.where(keep[:, None], w, xp.zeros_like(w))
    return xp.astype(w, dtype), float(t0)


def _below_nyquist(family, sr, xp):
    centers = family.center_hz
    if centers is None:
        return xp.ones(family.n_filters, dtype=xp.bool)
    return centers <= sr / 2


@host_table
def fd_solver(numtaps: int, n_grid: int) -> np.ndarray:
    """``pinv(A).T`` (2M, K) of the FD least-squares problem; depends only on (K, M).

    ``A = [Re E; Im E]``, ``E[m, i] = exp(-j theta_m n_i)``, ``theta = linspace(0, pi, M)``,
    ``n`` the centred support of :func:`frequency_domain_weights`.
    """
    theta = np.linspace(0.0, math.pi, n_grid)
    phase = np.outer(theta, _fd_support(numtaps))
    a = np.concatenate([np.cos(phase), -np.sin(phase)], axis=0)
    return np.ascontiguousarray(np.linalg.pinv(a).T)


def _fd_support(numtaps: int) -> np.ndarray:
    half = numtaps // 2
    first = -(half - 1) if numtaps % 2 == 0 else -half
    return np.arange(first, first + numtaps, dtype=np.float64)


@on_input_device
def frequency_domain_weights(
    filters, sr, numtaps, *, n_grid: int = 640, delay=0.0, xp=None, dtype=None
):
    """Frequency-domain (FD) SFI design: least-squares real FIR fit to ``H`` on DC..Nyquist.

    Minimises ``sum_m |sum_n w[n] exp(-j w_m n / sr) - H(w_m) exp(j w_m delay)|^2`` over
    ``w_m = linspace(0, pi sr, n_grid)``, taps ``n`` centred on t = 0 (``-(P-1)..P`` for
    even K = 2P, ``-P..P`` for odd K = 2P + 1).  Up to grid discretisation this is
    band-limited (alias-free) impulse invariance with a rectangular window.

    Parameters
    ----------
    filters : filter family or sequence of them
        Any proper family (one-sided MGFs and non-strictly-proper rational H included).
    sr : float
        Sampling rate in Hz, > 0.
    numtaps : int
        Kernel length K, ``1 <= K <= 2 n_grid - 2`` (the sine rows at DC and Nyquist vanish,
        so larger K is rank deficient).
    n_grid : int, default 640
        Number M >= 2 of frequencies on [0, pi sr] (both ends included).
    delay : float, default 0
        Moves the tap grid later by ``delay`` s; ``delay = (P-1)/sr`` (even K) or ``P/sr``
        (odd K) gives the causal grid ``t_k = k / sr``.
    xp, dtype
        As in :func:`time_domain_weights`.

    Returns
    -------
    weights : array, shape (F, numtaps)
        Convolution order.
    t0 : float
        Analog time (s) of tap 0, ``n_0 / sr + delay``.

    See Also
    --------
    time_domain_weights : Convolution weights sampled in time.
    encode : Filter-bank encoder (strided convolution).

    Notes
    -----
    Backends: NumPy and CuPy: the pseudo-inverse depends only on (K, M); it is built once
    in float64 on the host (``sigpu._cache``), copied once per device and dtype, and
    applied to all F filters as one matrix product (weights are linear in the H samples).
    Reference: ``fir_design.py`` FD path of TomohikoNakamura/sfi_convtasnet.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.sfi import ModulatedGaussian, frequency_domain_weights
    >>> mgf = ModulatedGaussian(2 * np.pi * np.array([500.0, 1500.0]), 2 * np.pi * 400, 0.0)
    >>> w, t0 = frequency_domain_weights(mgf, 32000, 160)
    >>> w.shape, round(t0 * 1e3, 6)
    ((2, 160), -2.46875)
    """
    func = "frequency_domain_weights"
    sr = positive_float(sr, "sr")
    numtaps = positive_int(numtaps, "numtaps")
    n_grid = positive_int(n_grid, "n_grid")
    if n_grid < 2:
        raise ParameterError(f"n_grid={n_grid} must be at least 2")
    if numtaps > 2 * n_grid - 2:
        raise ParameterError(
            f"numtaps={numtaps} must be <= 2 * n_grid - 2 = {2 * n_grid - 2} "
            "(the least-squares system is rank deficient beyond)"
        )
    delay = finite_float(delay, "delay")
    families, xp, dtype = _bank(filters, func, xp, dtype)
    w_grid = xp.linspace(0.0, math.pi * sr, n_grid, dtype=xp.float64)
    shift = xp.exp(1j * w_grid * delay)
    target = xp.concat([f.frequency_response(w_grid) for f in families], axis=0) * shift
    rhs = xp.concat([xp.real(target), xp.imag(target)], axis=1)
    solver = on_device(fd_solver(numtaps, n_grid), xp, dtype)
    weights = xp.matmul(xp.astype(rhs, dtype), solver)
    t0 = float(_fd_support(numtaps)[0] / sr + delay)
    return weights, t0


@on_input_device
def hilbert_pair(weights):
    """Append the Hilbert transforms of a weight bank: ``(F, K)`` -> ``(2F, K)``.

    The second half is the circular Hilbert transform of each filter's taps,
    ``imag(scipy.signal.hilbert(weights, axis=-1))`` (rfft times ``-j``, DC and Nyquist
    bins dropped, irfft).

    Parameters
    ----------
    weights : array, shape (F, K), float32 or float64

    Returns
    -------
    pair : array, shape (2F, K)

    See Also
    --------
    time_domain_weights : Convolution weights sampled in time.
    frequency_domain_weights : Convolution weights by frequency-domain least squares.

    Notes
    -----
    Backends: NumPy and CuPy (``sigpu._backend.fft_module``).  Reference:
    ``compute_Hilbert_transforms_of_filters`` of TomohikoNakamura/sfi_convtasnet.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.sfi import hilbert_pair
    >>> hilbert_pair(np.cos(np.arange(8) * np.pi / 2)[None]).round(6)[1] + 0.0
    array([ 0.,  1.,  0., -1.,  0.,  1.,  0., -1.])
    """
    xp = real_array(weights, "weights", func="hilbert_pair", min_ndim=2)
    if weights.ndim != 2:
        raise ParameterError(f"weights must have shape (F, K), got {weights.shape}")
    if weights.shape[-1] < 1:
        raise ParameterError(f"weights must have at least one tap (K >= 1), got {weights.shape}")
    fft = fft_module(xp)
    n = weights.shape[-1]
    spec = fft.rfft(weights, axis=-1) * (-1j)
    spec[..., 0] = 0
    if n % 2 == 0:
        spec[..., -1] = 0
    transformed = xp.astype(fft.irfft(spec, n=n, axis=-1), weights.dtype)
    return xp.concat([weights, transformed], axis=0)
