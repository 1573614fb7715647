"""Initialisers of SFI filter banks: the ERB-number scale and the multi-phase gammatone layout."""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_namespace, asarray_on, namespace_for, on_input_device
from .._errors import ParameterError
from .._validate import optional_real_dtype, positive_float, positive_int

__all__ = ["hz_to_erb_rate", "erb_rate_to_hz", "erb_space", "mpgtf_layout"]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


_EAR_Q = 9.265
_MIN_BW = 24.7


def _elementwise(value, func: str):
    """Namespace for an array argument, or None for a Python number."""
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        return array_namespace(value, func=func)
    return None


@on_input_device
def hz_to_erb_rate(frequency):
    """ERB-number of ``frequency`` (Hz): ``E(f) = 9.265 ln(1 + f / (24.7 * 9.265))``.

    Parameters
    ----------
    frequency : float or array (NumPy or CuPy)

    Returns
    -------
    erb_rate : float or array, same shape and namespace

    See Also
    --------
    erb_rate_to_hz : ERB-rate to Hz.
    erb_space : Frequencies equally spaced in ERB-rate.

    Notes
    -----
    Backends: NumPy and CuPy.  Reference: Glasberg & Moore (1990) constants as used by
    ``sfi_conv`` (TomohikoNakamura/sfi_convtasnet, ``init_type="erb"``).

    Examples
    --------
    >>> from sigpu.sfi import hz_to_erb_rate
    >>> round(hz_to_erb_rate(1000.0), 4)
    15.5725
    """
    xp = _elementwise(frequency, "hz_to_erb_rate")
    if xp is None:
        return _EAR_Q * math.log1p(float(frequency) / (_MIN_BW * _EAR_Q))
    return _EAR_Q * xp.log1p(frequency / (_MIN_BW * _EAR_Q))


@on_input_device
def erb_rate_to_hz(erb_rate):
    """Inverse of :func:`hz_to_erb_rate`: ``f = 24.7 * 9.265 (exp(E / 9.265) - 1)``.

    Parameters
    ----------
    erb_rate : float or array
        ERB-rate (Cams).

    Returns
    -------
    frequencies : float or array like ``erb_rate``
        Frequencies in Hz.

    See Also
    --------
    hz_to_erb_rate : Hz to ERB-rate.
    erb_space : Frequencies equally spaced in ERB-rate.

    Examples
    --------
    >>> from sigpu.sfi import erb_rate_to_hz, hz_to_erb_rate
    >>> round(erb_rate_to_hz(hz_to_erb_rate(440.0)), 9)
    440.0
    """
    xp = _elementwise(erb_rate, "erb_rate_to_hz")
    if xp is None:
        return _MIN_BW * _EAR_Q * math.expm1(float(erb_rate) / _EAR_Q)
    return _MIN_BW * _EAR_Q * xp.expm1(erb_rate / _EAR_Q)


def erb_space(fmin, fmax, n, *, xp=None, dtype=np.float64):
    """``n`` frequencies (Hz) equally spaced on the ERB-number scale, both ends included.

    Parameters
    ----------
    fmin, fmax : float
        End frequencies in Hz, ``0 <= fmin < fmax``.
    n : int
        Number of frequencies (>= 2).
    xp : None, "numpy", "cupy" or module
        Namespace of the result (NumPy by default).
    dtype : float32 or float64

    Returns
    -------
    frequencies : array, shape (n,)

    See Also
    --------
    hz_to_erb_rate : Hz to ERB-rate.
    mpgtf_layout : Centre frequencies and bandwidths of a filter-bank layout.

    Notes
    -----
    Backends: NumPy and CuPy.  Reference: the ``init_type="erb"`` initialiser of the MGF
    bank in TomohikoNakamura/sfi_convtasnet (Saito et al., TASLP 2022).

    Examples
    --------
    >>> from sigpu.sfi import erb_space
    >>> f = erb_space(50.0, 16000.0, 440)
    >>> [round(float(v), 1) for v in f[:3]], round(float(f[-2]), 1)
    ([50.0, 52.6, 55.2], 15850.5)
    """
    n = positive_int(n, "n")
    if n < 2:
        raise ParameterError(f"n={n} must be at least 2")
    fmax = positive_float(fmax, "fmax")
    if not (isinstance(fmin, (int, float)) and 0 <= fmin < fmax):
        raise ParameterError(f"fmin={fmin!r} must be a number in [0, fmax={fmax})")
    dtype = optional_real_dtype(dtype) or np.float64
    rates = np.linspace(hz_to_erb_rate(fmin), hz_to_erb_rate(fmax), n)
    return asarray_on(erb_rate_to_hz(rates), namespace_for(xp), dtype)


def mpgtf_layout(
    n_filters,
    n_center_freqs,
    fmin,
    fmax,
    *,
    reference_phases: bool = False,
    xp=None,
    dtype=np.float64,
):
    """Centre frequencies and phases of a multi-phase gammatone (MPGTF) bank.

    ``n_filters // 2`` base filters are spread over ``n_center_freqs`` ERB-spaced centres:
    each centre gets ``(n_filters // 2) // n_center_freqs`` phases and the leftover filters
    go one each to the lowest centres.  A centre with ``k`` phases gets ``pi * j / k``,
    ``j = 0..k-1``; the second half of the bank is the first half with ``phase + pi``
    (sign-flipped copies), so each centre's ``2k`` phases are equally spaced over
    ``[0, 2 pi)`` and all distinct.

    Parameters
    ----------
    n_filters : int
        Total number of filters (even).
    n_center_freqs : int
        Number of distinct centre frequencies, ``<= n_filters // 2``.
    fmin, fmax : float
        Range of the centres in Hz (ERB-spaced, both included).
    reference_phases : bool, default False
        Reproduce the reference code: phases ``linspace(0, pi, k)`` with ``pi`` included,
        which makes ``phase = pi`` and ``0 + pi`` (and ``0`` and ``pi + pi``) coincide at
        initialisation.  Only for bit-compatibility.
    xp, dtype
        Namespace and dtype of the results (NumPy float64 by default).

    Returns
    -------
    fc : array, shape (n_filters,)
        Centre frequencies in Hz, centre-major (all phases of a centre are adjacent).
    phase : array, shape (n_filters,)
        Phases in rad.

    See Also
    --------
    erb_space : Frequencies equally spaced in ERB-rate.
    ModulatedGaussian : Modulated Gaussian analog filter.

    Notes
    -----
    Backends: NumPy and CuPy.  Reference: ``MPGTF`` in TomohikoNakamura/sfi_convtasnet and
    Ditter & Gerkmann, "A multi-phase gammatone filterbank for speech separation via
    TasNet" (ICASSP 2020), whose phases exclude ``pi``.

    Examples
    --------
    >>> from sigpu.sfi import mpgtf_layout
    >>> fc, phase = mpgtf_layout(440, 96, 50.0, 16000.0)
    >>> fc.shape, round(float(phase[1]), 4), round(float(phase[220 + 1]), 4)
    ((440,), 1.0472, 4.1888)
    """
    dtype = optional_real_dtype(dtype) or np.float64
    n_filters = positive_int(n_filters, "n_filters")
    if n_filters % 2:
        raise ParameterError(f"n_filters={n_filters} must be even (second half = phase + pi)")
    n_base = n_filters // 2
    n_center_freqs = positive_int(n_center_freqs, "n_center_freqs")
    if n_center_freqs > n_base:
        raise ParameterError(
            f"n_center_freqs={n_center_freqs} must be <= n_filters // 2 = {n_base}"
        )
    centers = erb_space(fmin, fmax, n_center_freqs) if n_center_freqs > 1 else np.array([fmin])
    per_center = np.full(n_center_freqs, n_base // n_center_freqs)
    per_center[: n_base % n_center_freqs] += 1
    fc = np.repeat(centers, per_center)
    phases = []
    for k in per_center:
        if reference_phases:
            phases.append(np.linspace(0.0, math.pi, k))
        else:
            phases.append(math.pi * np.arange(k) / k)
    phase = np.concatenate(phases)
    fc = np.concatenate([fc, fc])
    phase = np.concatenate([phase, phase + math.pi])
    target = namespace_for(xp)
    return asarray_on(fc, target, dtype), asarray_on(phase, target, dtype)
