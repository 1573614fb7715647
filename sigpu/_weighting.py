"""Frequency weighting curves (A, B, C, D, Z) and the perceptually weighted spectrogram.

The curves are IEC 61672 / ANSI S1.4 magnitude responses in dB, written as sums of
``log10`` terms of ``f**2`` (as librosa writes them), evaluated elementwise in the
frequencies' own namespace and precision.
"""

from __future__ import annotations

import math

from ._backend import errstate, kernel, on_input_device
from ._errors import ParameterError
from ._validate import finite_float, real_array
from .convert import _out, _values
from .spectrum import power_to_db

__all__ = [
    "A_weighting",
    "B_weighting",
    "C_weighting",
    "D_weighting",
    "Z_weighting",
    "frequency_weighting",
    "multi_frequency_weighting",
    "perceptual_weighting",
]

# Squared pole frequencies (Hz**2) of the curves, from the standards as librosa uses them
_A_POLES = tuple(f**2 for f in (12194.217, 20.598997, 107.65265, 737.86223))
_B_POLES = tuple(f**2 for f in (12194.217, 20.598997, 158.48932))
_C_POLES = tuple(f**2 for f in (12194.217, 20.598997))
# 10 log10(x) = (10 / ln 10) ln(x)
_DB_PER_NEPER_OF_POWER = 10.0 / math.log(10.0)
_D_CONSTANTS = tuple(f**2 for f in (8.3046305e-3, 1018.7, 1039.6, 3136.5, 3424, 282.7, 1160))


def _min_db(min_db):
    return None if min_db is None else finite_float(min_db, "min_db")


def _floored(weights, min_db, xp):
    """``weights`` (a new array of the curve's) floored at ``min_db``, in place."""
    return weights if min_db is None else xp.maximum(weights, min_db, out=weights)


# Each curve is librosa's sum of log10 terms written as one log10 of a product of
# bounded ratios (one transcendental call per frequency instead of four to six, and no
# overflow of f**8 in float32).


def _a_curve(f_sq, xp):
    # in place on two buffers (f_sq is the caller's temporary), and the square of the
    # ratio (no square root; the denominator's product already bounds the range), in dB
    # through the natural log (a vectorised loop, where log10 is not): the curve is a
    # benchmark workload of 1e5 frequencies
    c0, c1, c2, c3 = _A_POLES
    ratio = f_sq + c1
    xp.divide(f_sq, ratio, out=ratio)  # f_sq / (f_sq + c1)
    other = f_sq + c0
    xp.divide(c0, other, out=other)
    ratio *= other  # * c0 / (f_sq + c0)
    ratio *= f_sq  # * f_sq / sqrt((f_sq + c2) (f_sq + c3)), squared:
    ratio *= ratio
    xp.add(f_sq, c2, out=other)
    f_sq += c3
    other *= f_sq
    ratio /= other
    xp.log(ratio, out=ratio)
    ratio *= _DB_PER_NEPER_OF_POWER
    ratio += 2.0
    return ratio


def _b_curve(f_sq, xp):
    c0, c1, c2 = _B_POLES
    ratio = (f_sq / (f_sq + c1)) * (c0 / (f_sq + c0)) * xp.sqrt(f_sq / (f_sq + c2))
    return 0.17 + 20.0 * xp.log10(ratio)


def _c_curve(f_sq, xp):
    c0, c1 = _C_POLES
    return 0.062 + 20.0 * xp.log10((f_sq / (f_sq + c1)) * (c0 / (f_sq + c0)))


def _d_curve(f_sq, xp):
    c0, c1, c2, c3, c4, c5, c6 = _D_CONSTANTS
    peak = ((c1 - f_sq) ** 2 + c2 * f_sq) / ((c3 - f_sq) ** 2 + c4 * f_sq)
    ratio = (f_sq / (c5 + f_sq)) * peak / ((c6 + f_sq) * (c0 * c0))
    return 10.0 * xp.log10(ratio)


def _z_curve(f_sq, xp):
    return xp.zeros_like(f_sq)


_CURVES = {"A": _a_curve, "B": _b_curve, "C": _c_curve, "D": _d_curve, "Z": _z_curve}
_KINDS = "'A', 'B', 'C', 'D', 'Z'"
_DEFAULT_MIN_DB = {"A": -80.0, "B": -80.0, "C": -80.0, "D": -80.0, "Z": None}


def _weighting(kind, frequencies, min_db):
    xp, f, scalar = _values(frequencies, "frequencies")
    min_db = _min_db(min_db)
    curve = _CURVES[kind]

    def weights(block):  # a 1-D block of the frequencies (run on several threads)
        # log10(0) is the curves' -inf at DC (floored by min_db): no warning, as on the GPU
        with errstate(xp, divide="ignore"):
            return _floored(curve(block * block, xp), min_db, xp)

    # 1-D: a 0-d array's arithmetic gives NumPy scalars, which the curves cannot update
    # in place
    flat = xp.reshape(f, (-1,))
    return _out(xp.reshape(kernel(xp, "elementwise.apply")(weights, flat), f.shape), scalar)


def _curve_doc(kind, detail):
    return f"""{kind}-weighting of ``frequencies`` in dB: {detail}.

    Parameters
    ----------
    frequencies : float, sequence or array (NumPy or CuPy), shape (...)
        Frequencies in Hz.
    min_db : float or None
        Lower bound of the result (None: no bound; 0 Hz then gives ``-inf``).

    Returns
    -------
    weights : float or array, shape of ``frequencies``
        Same namespace as ``frequencies``; float32 for float32 arrays, else float64.

    See Also
    --------
    sigpu.frequency_weighting : Any of the A/B/C/D/Z curves by name.
    sigpu.perceptual_weighting : Weighted power spectrogram in dB.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.{kind}_weighting``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> w = sigpu.{kind}_weighting(np.array([100.0, 1000.0, 10000.0]))
    >>> w.shape, w.dtype
    ((3,), dtype('float64'))
    """


def _make_curve(kind, detail):
    @on_input_device
    def weighting(frequencies, *, min_db=_DEFAULT_MIN_DB[kind]):
        return _weighting(kind, frequencies, min_db)

    weighting.__name__ = weighting.__qualname__ = f"{kind}_weighting"
    weighting.__doc__ = _curve_doc(kind, detail)
    return weighting


A_weighting = _make_curve("A", "the sound-level meter curve of IEC 61672, 0 dB at 1 kHz")
B_weighting = _make_curve("B", "IEC 61672's (withdrawn) medium-level curve")
C_weighting = _make_curve("C", "IEC 61672's high-level curve, flat between 31.5 Hz and 8 kHz")
D_weighting = _make_curve("D", "IEC 537's aircraft-noise curve")
Z_weighting = _make_curve("Z", "zero weighting (0 dB everywhere)")


def _kind(kind, name="kind"):
    key = kind.upper() if isinstance(kind, str) else None
    if key not in _CURVES:
        raise ParameterError(
            f"{name}={kind!r} is not supported; choose one of 'A', 'B', 'C', 'D', 'Z'"
        )
    return key


def _min_db_kwargs(kwargs, func):
    bad = set(kwargs) - {"min_db"}
    if bad:
        raise TypeError(f"{func}() got unexpected keyword argument(s) {sorted(bad)}")
    return kwargs


@on_input_device
def frequency_weighting(frequencies, *, kind="A", **kwargs):
    """Weighting curve ``kind`` (A, B, C, D or Z) of ``frequencies`` in dB.

    Parameters
    ----------
    frequencies : float, sequence or array (NumPy or CuPy), shape (...)
        Frequencies in Hz.
    kind : {"A", "B", "C", "D", "Z"}
        The curve (case-insensitive).
    **kwargs
        ``min_db`` of the curve (default: the curve's, -80 dB; none for Z).

    Returns
    -------
    weights : float or array, shape of ``frequencies``

    See Also
    --------
    sigpu.A_weighting : The A curve.
    sigpu.multi_frequency_weighting : Several curves stacked.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.frequency_weighting``.

    Examples
    --------
    >>> import sigpu
    >>> abs(round(float(sigpu.frequency_weighting(1000.0, kind="a")), 2))  # 0 dB at 1 kHz
    0.0
    """
    kind = _kind(kind)
    kwargs = _min_db_kwargs(kwargs, "frequency_weighting")
    return _weighting(kind, frequencies, kwargs.get("min_db", _DEFAULT_MIN_DB[kind]))


@on_input_device
def multi_frequency_weighting(frequencies, *, kinds="ZAC", **kwargs):
    """Several weighting curves of ``frequencies`` stacked on a new first axis.

    Parameters
    ----------
    frequencies : float, sequence or array (NumPy or CuPy), shape (...)
        Frequencies in Hz.
    kinds : iterable of {"A", "B", "C", "D", "Z"}
        The curves, in order (default ``"ZAC"``).
    **kwargs
        ``min_db`` applied to every curve (default: each curve's own).

    Returns
    -------
    weights : array, shape (len(kinds), ...)

    See Also
    --------
    sigpu.frequency_weighting : One curve by name.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.multi_frequency_weighting``.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> sigpu.multi_frequency_weighting(np.array([50.0, 500.0]), kinds="AC").shape
    (2, 2)
    """
    if isinstance(kinds, str) or _is_iterable(kinds):
        keys = [_kind(k, "kinds") for k in kinds]
    else:
        raise ParameterError(
            f"kinds={kinds!r} must be a string or sequence of 'A', 'B', 'C', 'D', 'Z'"
        )
    if not keys:
        raise ParameterError(f"kinds={kinds!r} must name at least one curve")
    kwargs = _min_db_kwargs(kwargs, "multi_frequency_weighting")
    xp, _, _ = _values(frequencies, "frequencies")
    curves = [
        xp.asarray(_weighting(k, frequencies, kwargs.get("min_db", _DEFAULT_MIN_DB[k])))
        for k in keys
    ]
    return xp.stack(curves, axis=0)


def _is_iterable(value):
    try:
        iter(value)
    except TypeError:
        return False
    return True


@on_input_device
def perceptual_weighting(S, frequencies, *, kind="A", **kwargs):
    """Perceptually weighted power spectrogram in dB.

    ``frequency_weighting(frequencies, kind=kind)[:, None] + power_to_db(S, **kwargs)``.

    Parameters
    ----------
    S : array, shape (..., n_freq, n_frames), float32/float64
        Power spectrogram (NumPy or CuPy).
    frequencies : array, shape (n_freq,)
        Centre frequency of each row of ``S`` in Hz, in ``S``'s namespace.
    kind : {"A", "B", "C", "D", "Z"}
        The weighting curve.
    **kwargs
        ``ref``, ``amin``, ``top_db`` of :func:`sigpu.power_to_db`.

    Returns
    -------
    S_p : array, shape of ``S``, dtype of ``S``
        Weighted spectrogram in dB.

    See Also
    --------
    sigpu.frequency_weighting : The curve added to each row.
    sigpu.power_to_db : Power to decibels.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.perceptual_weighting`` (the curve with its
    default ``min_db=-80``).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> S = np.abs(sigpu.stft(np.ones(4096, np.float32), n_fft=512)) ** 2
    >>> freqs = sigpu.fft_frequencies(sr=22050, n_fft=512)
    >>> sigpu.perceptual_weighting(S, freqs).shape
    (257, 33)
    """
    xp = real_array(S, "S", func="perceptual_weighting", min_ndim=2)
    kind = _kind(kind)
    bad = set(kwargs) - {"ref", "amin", "top_db"}
    if bad:
        raise TypeError(f"perceptual_weighting() got unexpected keyword argument(s) {sorted(bad)}")
    fxp, f, _ = _values(frequencies, "frequencies")
    if fxp.__name__ != xp.__name__:
        raise TypeError("perceptual_weighting: S and frequencies must be arrays of one library")
    if f.ndim != 1 or f.shape[0] != S.shape[-2]:
        raise ParameterError(
            f"frequencies has shape {tuple(f.shape)}; S has {S.shape[-2]} rows, so it must be "
            f"({S.shape[-2]},)"
        )
    offset = xp.astype(_weighting(kind, f, _DEFAULT_MIN_DB[kind]), S.dtype)
    weighted = power_to_db(S, **kwargs)  # a new array: the curve is added in place
    weighted += offset[:, None]
    return weighted
