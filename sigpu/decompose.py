"""Spectrogram decompositions: harmonic-percussive source separation by median filtering.

``hpss`` follows ``librosa.decompose.hpss``: a running median along time keeps what is
steady in frequency (harmonic), a running median along frequency keeps what is brief
(percussive), and Wiener-like soft masks split the input between them.  The medians run as
a kernel (a sorted sliding window in numba on the CPU, a selection over all windows at once
in NumPy for small spectrograms, ``cupyx.scipy.ndimage.median_filter`` on the GPU); the
masks are array code shared by both backends.
"""

from __future__ import annotations

import math

from ._backend import kernel, on_input_device
from ._errors import ParameterError
from ._validate import float_or_complex_array, is_int, is_real, native_array

__all__ = ["hpss"]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


def _pair(value, name, check):
    """``(harmonic, percussive)`` from a number or a tuple/list of two, each checked."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ParameterError(f"{name}={value!r} must be a number or a pair of them")
    return tuple(check(v, name) for v in pair)


def _kernel_width(value, name):
    if not is_int(value) or value < 1:
        raise ParameterError(f"{name}={value!r} must be a positive integer or a pair of them")
    return int(value)


def _margin(value, name):
    if not is_real(value) or not math.isfinite(value) or value < 1:
        raise ParameterError(f"{name}={value!r} must be >= 1 (a typical range is 1 to 10)")
    return float(value)


def _mask_power(power):
    if not is_real(power) or math.isnan(power) or power <= 0:
        raise ParameterError(f"power={power!r} must be positive (numpy.inf: a hard mask)")
    return float(power)


def softmask(X, X_ref, power, split_zeros, xp):
    """``X**p / (X**p + X_ref**p)`` computed on ``X / max(X, X_ref)`` (no overflow), as
    ``librosa.util.softmask``: 0.5 (``split_zeros``) or 0 where both are below the dtype's
    smallest normal number; ``power=inf``: the hard mask ``X > X_ref`` (bool)."""
    if math.isinf(power):
        return X > X_ref
    Z = xp.maximum(X, X_ref)
    tiny = xp.finfo(X.dtype).smallest_normal
    small = Z < tiny
    Z = xp.where(small, xp.ones_like(Z), Z)
    mask = (X / Z) ** power
    ref_mask = (X_ref / Z) ** power
    mask = mask / xp.where(small, xp.ones_like(Z), mask + ref_mask)
    fill = 0.5 if split_zeros else 0.0
    return xp.where(small, xp.asarray(fill, dtype=X.dtype), mask)


@on_input_device
def hpss(S, *, kernel_size=31, power=2.0, mask=False, margin=1.0):
    """Median-filtering harmonic-percussive source separation of a spectrogram.

    ``H = S * M_H`` and ``P = S * M_P`` with the soft masks
    ``M_H = softmask(med_t(|S|), margin_H * med_f(|S|), power)`` and
    ``M_P = softmask(med_f(|S|), margin_P * med_t(|S|), power)``, where ``med_t`` is a
    running median of ``kernel_size[0]`` frames along time and ``med_f`` one of
    ``kernel_size[1]`` bins along frequency ("reflect" boundaries).  With both margins 1,
    ``H + P = S``; larger margins leave a residual ``S - H - P``.

    Parameters
    ----------
    S : array, shape (..., n_freq, n_frames), float or complex (NumPy or CuPy)
        Magnitude spectrogram, or a complex STFT (its phase is kept).
    kernel_size : int >= 1 or (int, int)
        Median widths: one for both, or ``(harmonic, percussive)`` (default 31).
    power : float > 0 or numpy.inf
        Exponent of the soft masks (default 2, Wiener); ``numpy.inf`` gives boolean
        hard masks ``med_t > margin * med_f`` (ties go to the reference).
    mask : bool
        Return the masks instead of the components.
    margin : float >= 1 or (float, float)
        Margins of the harmonic and percussive masks (Driedger et al.); default 1.

    Returns
    -------
    harmonic, percussive : arrays, shape of ``S``
        Components (``S``'s dtype) or, with ``mask=True``, masks (the real dtype of
        ``S``; bool for ``power=inf``).  Same library and device as ``S``.

    Raises
    ------
    ParameterError
        ``kernel_size`` not positive integers, ``margin`` below 1, ``power`` not
        positive, ``S`` with fewer than 2 dimensions.
    TypeError
        ``S`` not a float or complex array.

    See Also
    --------
    sigpu.effects.hpss : The same on a signal (STFT, separation, inverse STFT).
    sigpu.effects.harmonic : The harmonic part of a signal.
    sigpu.effects.percussive : The percussive part of a signal.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.decompose.hpss`` (Fitzgerald, DAFx 2010;
    Driedger, Müller and Disch, ISMIR 2014): the medians are exact (the values of
    ``scipy.ndimage.median_filter``, upper median for an even width), the masks agree to
    rounding.  A complex ``S`` is multiplied by the masks directly (librosa multiplies
    ``|S| * mask`` by the phase ``S / |S|``: the same to rounding).  NaN in ``S``
    propagates into the masks of the windows that read it.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> rng = np.random.default_rng(0)
    >>> D = sigpu.stft(rng.standard_normal(22050).astype(np.float32))
    >>> H, P = sigpu.decompose.hpss(D)
    >>> H.shape, H.dtype
    ((1025, 44), dtype('complex64'))
    >>> bool(np.allclose(H + P, D, atol=1e-5))
    True
    """
    xp = float_or_complex_array(S, "S", func="hpss", min_ndim=2)
    S = native_array(S)
    width_harm, width_perc = _pair(kernel_size, "kernel_size", _kernel_width)
    margin_harm, margin_perc = _pair(margin, "margin", _margin)
    power = _mask_power(power)
    if not isinstance(mask, bool):
        raise TypeError(f"hpss: mask={mask!r} must be True or False")
    magnitude = xp.abs(S) if xp.isdtype(S.dtype, "complex floating") else S
    if magnitude.size == 0:  # no bin or no frame: nothing to filter
        harm = perc = magnitude
    else:
        median = kernel(xp, "median.median_filter")
        harm = median(magnitude, width_harm, -1)
        perc = median(magnitude, width_perc, -2)
    split_zeros = margin_harm == 1 and margin_perc == 1
    mask_harm = softmask(harm, perc * margin_harm, power, split_zeros, xp)
    mask_perc = softmask(perc, harm * margin_perc, power, split_zeros, xp)
    if mask:
        return mask_harm, mask_perc
    return S * mask_harm, S * mask_perc
