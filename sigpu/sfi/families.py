"""Latent analog filter families of the SFI layer, vectorised over a bank of F filters.

Every family evaluates its continuous-time impulse response ``h(t)`` (t in s) and
frequency response ``H(w) = integral h(t) exp(-j w t) dt`` (w in rad/s, scipy's analog
convention) with elementwise ``xp`` math, so the same code runs on NumPy and CuPy.

Parameters live where the caller put them: NumPy or CuPy arrays of shape ``(F,)`` (or
scalars, which broadcast).  Python scalars, lists and tuples become float64 arrays of
the namespace of the array parameters (NumPy when there are none).  The dtype of a
family is the promoted dtype of its array parameters (float64 when all are Python
numbers); responses are computed in the promotion of that dtype and the dtype of
``t``/``w``.  :class:`RationalFilter` holds host constants from scipy.signal (its
partial-fraction expansion) and evaluates in the namespace of ``t``/``w``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._backend import array_namespace, asarray_on, backend_name, on_input_device
from .._errors import ParameterError
from .._validate import (
    all_or_unchecked,
    is_int,
    native_array,
    nonnegative_float,
    positive_float,
    real_array,
)

__all__ = ["ModulatedGaussian", "Gammatone", "RationalFilter", "gammatone_bandwidth"]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


_PARAM_DTYPES = ("float32", "float64")


def _bank_parameters(func: str, **params):
    """Check and broadcast named parameters to one ``(F,)`` shape in one namespace.

    Returns ``(xp, dtype, dict of (F,) arrays)``.  Non-finite values raise
    ParameterError; integer/bool/float16/complex arrays raise TypeError.
    """
    arrays = {k: v for k, v in params.items() if hasattr(v, "dtype") and hasattr(v, "shape")}
    for name, a in arrays.items():
        if np.dtype(a.dtype).name not in _PARAM_DTYPES:
            raise TypeError(
                f"{func}: {name} has dtype {np.dtype(a.dtype).name}; filter parameters must "
                "be float32 or float64 arrays or Python numbers"
            )
    xp = array_namespace(*arrays.values(), func=func)
    dtype = np.result_type(*[a.dtype for a in arrays.values()]) if arrays else np.float64
    out = {}
    for name, value in params.items():
        if name in arrays:
            out[name] = xp.asarray(value, dtype=dtype)
            continue
        host = np.asarray(value)
        if host.dtype.kind not in "iuf" or host.dtype == np.bool_:
            raise TypeError(f"{func}: {name}={value!r} must be a real number or a float array")
        out[name] = xp.asarray(np.asarray(host, dtype=np.float64), dtype=dtype)
    try:
        shape = np.broadcast_shapes(*[tuple(a.shape) for a in out.values()])
    except ValueError as err:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in out.items())
        raise ParameterError(f"{func}: parameters {shapes} do not broadcast together") from err
    if len(shape) > 1:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in out.items())
        raise ParameterError(f"{func}: parameters must be scalars or 1-D (F,), got {shapes}")
    n_filters = shape[0] if shape else 1
    for name, a in out.items():
        a = xp.reshape(
            xp.broadcast_to(xp.reshape(a, (-1,) if a.ndim else (1,)), (n_filters,)), (n_filters,)
        )
        if not all_or_unchecked(xp.isfinite(a)):
            raise ParameterError(f"{func}: {name} must be finite (got NaN or inf)")
        out[name] = a
    return xp, np.dtype(dtype), out


def _points(values, name: str, xp, func: str):
    """Check an evaluation grid (t or w): real float array in the family's namespace."""
    grid_xp = real_array(values, name, func=func, min_ndim=1)
    if backend_name(grid_xp) != backend_name(xp):
        raise TypeError(
            f"{func}: {name} is a {backend_name(grid_xp)} array but the filter parameters "
            f"are {backend_name(xp)} arrays; put both on one device first"
        )
    return values


def _column(a, ndim: int):
    """``a (F,)`` reshaped to ``(F, 1, ..., 1)`` to broadcast against an ``ndim``-D grid."""
    return a.reshape((a.shape[0],) + (1,) * ndim)


class _Family:
    """Common interface: ``n_filters``, ``center_hz``, ``xp``, ``dtype``, two responses."""

    n_filters: int
    xp = None
    dtype = np.dtype(np.float64)

    @property
    def center_hz(self):
        """Centre frequencies in Hz, ``(F,)`` (None when the family has none)."""
        return None

    @property
    def strictly_proper(self) -> bool:
        """Whether ``h(t)`` is a function (no Dirac), i.e. TD design is possible."""
        return True

    def _work_dtype(self, grid):
        return np.result_type(self.dtype, grid.dtype)

    @property
    def device(self):
        """The CUDA device of the parameter arrays (CuPy), ``"cpu"`` for NumPy or host
        constants: functions given the family run their work there."""
        arrays = [v for v in vars(self).values() if hasattr(v, "device")]
        return arrays[0].device if arrays else "cpu"


class ModulatedGaussian(_Family):
    """Modulated Gaussian filters (MGF), the TD/FD latent filters of Saito et al. (2022).

    ``h(t) = (2 sigma / sqrt(2 pi)) exp(-sigma^2 t^2 / 2) cos(mu t + phase)`` and
    ``H(w) = exp(-(w - mu)^2 / (2 sigma^2)) e^{j phase} + exp(-(w + mu)^2 / (2 sigma^2))
    e^{-j phase}`` (two-sided, real ``h``).

    Parameters
    ----------
    mu : float or array, shape (F,)
        Centre angular frequencies in rad/s (``center_hz = mu / 2 pi``).
    sigma : float or array, shape (F,)
        Gaussian bandwidths in rad/s, > 0 (time-domain std ``1 / sigma``).
    phase : float or array, shape (F,)
        Phases in rad.
    one_sided : bool, default False
        Keep only the positive-frequency Gaussian: ``H(w) = exp(-(w - mu)^2 / (2 sigma^2))
        e^{j phase}``.  Its impulse response is complex, so only the FD design accepts it.

    See Also
    --------
    Gammatone : Gammatone analog filter.
    RationalFilter : Analog filter given by a rational transfer function.
    time_domain_weights : Convolution weights sampled in time.

    Notes
    -----
    Backends: NumPy and CuPy (parameters and grids in one namespace).  Reference:
    ``continuous_filters.py`` of TomohikoNakamura/sfi_convtasnet (Saito, Nakamura, Yatabe,
    Saruwatari, IEEE/ACM TASLP 30, 2022), without its extra factor ``2 pi``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.sfi import ModulatedGaussian
    >>> mgf = ModulatedGaussian(2 * np.pi * np.array([500.0, 1500.0]), 2 * np.pi * 400, 0.0)
    >>> mgf.frequency_response(np.array([2 * np.pi * 500.0])).shape
    (2, 1)
    """

    @on_input_device
    def __init__(self, mu, sigma, phase, *, one_sided: bool = False):
        xp, dtype, p = _bank_parameters("ModulatedGaussian", mu=mu, sigma=sigma, phase=phase)
        if not all_or_unchecked(p["sigma"] > 0):
            raise ParameterError("ModulatedGaussian: sigma must be positive (rad/s)")
        self.xp, self.dtype = xp, dtype
        self.mu, self.sigma, self.phase = p["mu"], p["sigma"], p["phase"]
        self.one_sided = bool(one_sided)
        self.n_filters = int(self.mu.shape[0])

    @property
    def center_hz(self):
        return self.mu / (2 * math.pi)

    @property
    def strictly_proper(self) -> bool:
        return not self.one_sided

    @on_input_device
    def impulse_response(self, t):
        """Real impulse responses at times ``t``.

        Parameters
        ----------
        t : array, shape (n,)
            Times in s (float32 or float64, the parameters' namespace).

        Returns
        -------
        h : array, shape (F, n)
        """
        _points(t, "t", self.xp, "ModulatedGaussian.impulse_response")
        if self.one_sided:
            raise ParameterError(
                "ModulatedGaussian(one_sided=True) has a complex impulse response; "
                "use frequency_response / frequency_domain_weights"
            )
        xp, dt = self.xp, self._work_dtype(t)
        mu, sigma, phase = (_column(xp.astype(a, dt), t.ndim) for a in self.params())
        tt = xp.astype(t, dt)[None]
        amp = (2.0 / math.sqrt(2.0 * math.pi)) * sigma
        return amp * xp.exp(-0.5 * (sigma * tt) ** 2) * xp.cos(mu * tt + phase)

    @on_input_device
    def frequency_response(self, w):
        """Complex frequency responses at angular frequencies ``w``.

        Parameters
        ----------
        w : array, shape (n,)
            Angular frequencies in rad/s.

        Returns
        -------
        H : array, shape (F, n), complex
        """
        _points(w, "w", self.xp, "ModulatedGaussian.frequency_response")
        xp, dt = self.xp, self._work_dtype(w)
        mu, sigma, phase = (_column(xp.astype(a, dt), w.ndim) for a in self.params())
        ww = xp.astype(w, dt)[None]
        pos = xp.exp(-((ww - mu) ** 2) / (2 * sigma**2))
        out = pos * (xp.cos(phase) + 1j * xp.sin(phase))
        if not self.one_sided:
            neg = xp.exp(-((ww + mu) ** 2) / (2 * sigma**2))
            out = out + neg * (xp.cos(phase) - 1j * xp.sin(phase))
        return out

    def params(self):
        """Return the filters' parameters.

        Returns
        -------
        mu, sigma, phase : array, shape (F,)
            Centre angular frequencies (rad/s), Gaussian bandwidths (rad/s) and phases (rad).
        """
        return self.mu, self.sigma, self.phase


#: Highest gammatone order accepted: auditory models use 1 to 10; far above, ``t**(n-1)``
#: over- and underflows on any useful time grid.
MAX_GAMMATONE_ORDER = 64


def _gammatone_order(order, func: str) -> int:
    if not is_int(order):
        raise TypeError(f"{func}: order={order!r} must be an integer in [1, {MAX_GAMMATONE_ORDER}]")
    if not 1 <= order <= MAX_GAMMATONE_ORDER:
        raise ParameterError(
            f"{func}: order={order!r} must be an integer in [1, {MAX_GAMMATONE_ORDER}]"
        )
    return int(order)


def _center_frequencies(fc, func: str):
    """``fc`` as a float (a Python/NumPy number >= 0) or a float32/float64 array (unchecked
    values: reading them would cost a device sync)."""
    if hasattr(fc, "dtype") and hasattr(fc, "shape") and getattr(fc, "ndim", 0) > 0:
        real_array(fc, "fc", func=func)
        return native_array(fc)
    if isinstance(fc, np.ndarray):  # 0-d
        fc = fc[()]
    return nonnegative_float(fc, "fc")


@on_input_device
def gammatone_bandwidth(fc, order: int, *, ear_q: float = 9.265, min_bw: float = 24.7):
    """Gammatone bandwidth ``b`` (Hz) whose equivalent rectangular bandwidth is ERB(fc).

    ``b = ERB(fc) / (pi (2n-2)! 2^-(2n-2) / ((n-1)!)^2)``, ``ERB(f) = min_bw + f / ear_q``;
    ``b = 0.6366 ERB`` for order 2 and ``1.0186 ERB`` for order 4.

    Parameters
    ----------
    fc : float >= 0 or array (NumPy or CuPy), float32 or float64
        Centre frequencies in Hz.
    order : int in [1, 64]
        Filter order n.
    ear_q, min_bw : float > 0
        Glasberg-Moore ERB constants.

    Returns
    -------
    b : float, or array like ``fc``

    See Also
    --------
    Gammatone : Gammatone analog filter.
    hz_to_erb_rate : Hz to ERB-rate.

    Notes
    -----
    Backends: NumPy and CuPy (elementwise).  The factorials are evaluated as log-gamma
    functions, exact to rounding at every order.

    Examples
    --------
    >>> from sigpu.sfi import gammatone_bandwidth
    >>> round(gammatone_bandwidth(1000.0, 4) / (24.7 + 1000.0 / 9.265), 4)
    1.0186
    """
    func = "gammatone_bandwidth"
    n = _gammatone_order(order, func)
    ear_q = positive_float(ear_q, "ear_q")
    min_bw = positive_float(min_bw, "min_bw")
    fc = _center_frequencies(fc, func)
    log_ratio = math.lgamma(2 * n - 1) - (2 * n - 2) * math.log(2.0) - 2 * math.lgamma(n)
    factor = math.pi * math.exp(log_ratio)
    return (min_bw + fc / ear_q) / factor


class Gammatone(_Family):
    """Gammatone filters of any order and phase (the multi-phase gammatone, MPGTF, bank).

    ``h(t) = t^(n-1) exp(-2 pi b t) cos(2 pi fc t + phase)`` for ``t >= 0`` (0 before) and
    ``H(w) = (n-1)!/2 [e^{j phase} / (2 pi b + j(w - 2 pi fc))^n
    + e^{-j phase} / (2 pi b + j(w + 2 pi fc))^n]``.

    Parameters
    ----------
    fc : float or array, shape (F,)
        Centre frequencies in Hz (``center_hz = fc``).
    phase : float or array, shape (F,), default 0
        Phases in rad.
    order : int, default 4
        Filter order n >= 1 (the reference MPGTF uses 2).
    b : float or array, shape (F,), optional
        Bandwidths in Hz, > 0.  Default: :func:`gammatone_bandwidth` (``ERB(fc) =
        min_bw + fc / ear_q`` matched to the order).
    ear_q, min_bw : float
        Glasberg-Moore ERB constants used when ``b`` is None.

    See Also
    --------
    ModulatedGaussian : Modulated Gaussian analog filter.
    gammatone_bandwidth : Bandwidth of a gammatone filter.

    Notes
    -----
    Backends: NumPy and CuPy.  Reference: ``continuous_filters.py`` (MPGTF) of
    TomohikoNakamura/sfi_convtasnet; ``scipy.signal.gammatone(..., "fir")`` is this filter
    (phase 0, ``b = 1.019 ERB``) sampled causally with gain ``2 (2 pi b)^n / (n-1)! / fs``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.sfi import Gammatone
    >>> gt = Gammatone(np.array([500.0, 1000.0]), phase=0.3, order=2)
    >>> gt.impulse_response(np.linspace(0, 0.01, 5)).shape
    (2, 5)
    """

    @on_input_device
    def __init__(self, fc, *, phase=0.0, order: int = 4, b=None, ear_q=9.265, min_bw=24.7):
        order = _gammatone_order(order, "Gammatone")
        positive_float(ear_q, "ear_q")
        positive_float(min_bw, "min_bw")
        params = {"fc": fc, "phase": phase}
        if b is not None:
            params["b"] = b
        xp, dtype, p = _bank_parameters("Gammatone", **params)
        if b is None:
            p["b"] = gammatone_bandwidth(p["fc"], order, ear_q=ear_q, min_bw=min_bw)
        if not all_or_unchecked(p["b"] > 0):
            raise ParameterError("Gammatone: bandwidth b must be positive (Hz)")
        self.xp, self.dtype = xp, dtype
        self.fc, self.phase, self.b = p["fc"], p["phase"], p["b"]
        self.order = int(order)
        self.n_filters = int(self.fc.shape[0])

    @property
    def center_hz(self):
        return self.fc

    @on_input_device
    def impulse_response(self, t):
        """Real causal impulse responses at times ``t`` (s): ``(n,)`` -> ``(F, n)``.

        Parameters
        ----------
        t : array, shape (n,)
            Times in s (float32 or float64, the parameters' namespace).

        Returns
        -------
        h : array, shape (F, n)
            Zero for ``t < 0``.
        """
        _points(t, "t", self.xp, "Gammatone.impulse_response")
        xp, dt = self.xp, self._work_dtype(t)
        fc, phase, b = (_column(xp.astype(a, dt), t.ndim) for a in (self.fc, self.phase, self.b))
        tt = xp.astype(t, dt)[None]
        causal = xp.where(tt >= 0, tt, xp.zeros_like(tt))
        h = causal ** (self.order - 1) * xp.exp(-2 * math.pi * b * causal)
        h = h * xp.cos(2 * math.pi * fc * causal + phase)
        return xp.where(tt >= 0, h, xp.zeros_like(h))

    @on_input_device
    def frequency_response(self, w):
        """Complex frequency responses at ``w`` (rad/s): ``(n,)`` -> ``(F, n)``.

        Parameters
        ----------
        w : array, shape (n,)
            Angular frequencies in rad/s.

        Returns
        -------
        H : array, shape (F, n), complex
        """
        _points(w, "w", self.xp, "Gammatone.frequency_response")
        xp, dt = self.xp, self._work_dtype(w)
        fc, phase, b = (_column(xp.astype(a, dt), w.ndim) for a in (self.fc, self.phase, self.b))
        ww = xp.astype(w, dt)[None]
        n = self.order
        rot = xp.cos(phase) + 1j * xp.sin(phase)
        # (n-1)! / z^n as exp(lgamma(n) - n log z): neither factor overflows at high orders
        log_gain = math.lgamma(n) - math.log(2.0)
        pos = rot * xp.exp(log_gain - n * xp.log(2 * math.pi * b + 1j * (ww - 2 * math.pi * fc)))
        neg = xp.conj(rot) * xp.exp(
            log_gain - n * xp.log(2 * math.pi * b + 1j * (ww + 2 * math.pi * fc))
        )
        return pos + neg


def _group_poles(poles: np.ndarray, rtol: float):
    """Unique poles (cluster centroids) and multiplicities.

    Poles closer than ``rtol * max(|p|, 1)`` are one repeated pole.  The centroid of a
    cluster that root finding scattered around a multiple root is accurate to round-off,
    unlike its members.
    """
    groups: list[list[complex]] = []
    for pole in poles:
        for group in groups:
            centre = np.mean(group)
            if abs(pole - centre) <= rtol * max(abs(centre), 1.0):
                group.append(pole)
                break
        else:
            groups.append([pole])
    unique = np.array([np.mean(g) for g in groups], dtype=np.complex128)
    return unique, np.array([len(g) for g in groups], dtype=np.int64)


def _multiply_series(a: np.ndarray, b: np.ndarray, n_terms: int) -> np.ndarray:
    return np.convolve(a, b)[:n_terms]


def _partial_fractions(zeros, unique_poles, multiplicity, gain):
    """Residues ``r[i, m]`` of ``H = sum_i sum_m r_im / (s - p_i)^m`` from the zpk form.

    With ``H = g_i(s) / (s - p_i)^M``, ``r_im`` is the Taylor coefficient of ``g_i`` of order
    ``M - m`` at ``p_i``; ``g_i`` is a product of first-order factors, so its series is a
    product of short, exactly known series (no polynomial roots or expansions).

    Returns flat arrays ``(residues, poles, powers)``.
    """
    residues, poles, powers = [], [], []
    for i, (pole, mult) in enumerate(zip(unique_poles, multiplicity, strict=True)):
        series = np.array([gain], dtype=np.complex128)
        for zero in zeros:
            series = _multiply_series(series, np.array([pole - zero, 1.0]), mult)
        for j, (other, other_mult) in enumerate(zip(unique_poles, multiplicity, strict=True)):
            if j == i:
                continue
            # 1 / (s - q) = sum_n (-1)^n u^n / (p - q)^(n+1),  u = s - p
            inverse = (-1.0) ** np.arange(mult) / (pole - other) ** (np.arange(mult) + 1)
            for _ in range(other_mult):
                series = _multiply_series(series, inverse, mult)
        series = np.concatenate([series, np.zeros(mult - len(series))])
        for m in range(1, mult + 1):
            residues.append(series[mult - m])
            poles.append(pole)
            powers.append(m)
    return np.array(residues), np.array(poles), np.array(powers, dtype=np.int64)


class RationalFilter(_Family):
    """One analog rational filter ``H(s) = k prod(s - z) / prod(s - p)`` (s = jw, rad/s).

    Takes scipy.signal's analog designs directly, e.g.
    ``RationalFilter(*scipy.signal.butter(2, [w1, w2], "bandpass", analog=True,
    output="zpk"))``, or ``cheby1/cheby2/ellip/bessel/iirfilter(analog=True)`` and
    ``lp2bp_zpk`` outputs.  A bank is a list of them (F = 1 each).

    Parameters
    ----------
    z, p : array_like, shape (n_zeros,), (n_poles,)
        Zeros and poles in rad/s (complex allowed), NumPy/host values.
    k : float
        System gain.
    repeated_pole_rtol : float, default 1e-8
        Poles closer than this (relative) form one repeated pole.

    See Also
    --------
    ModulatedGaussian : Modulated Gaussian analog filter.
    Gammatone : Gammatone analog filter.

    Notes
    -----
    The impulse response is the partial-fraction sum ``h(t) = sum_i sum_m r_im
    t^(m-1)/(m-1)! e^{p_i t}`` for ``t >= 0`` (repeated poles supported), with the
    residues computed from the zpk form by Taylor expansion (``scipy.signal.residue``
    works on polynomial coefficients, whose roots scatter repeated poles);
    it needs a strictly proper H (more poles than zeros), otherwise ``h`` holds a Dirac
    and only ``frequency_response`` / the FD design apply.  The coefficients are host
    constants (scipy designs on the host); responses are evaluated in the namespace of
    ``t``/``w`` (NumPy or CuPy), the constants copied there.  Reference:
    ``scipy.signal.freqs_zpk`` / ``scipy.signal.impulse``.

    Examples
    --------
    >>> import numpy as np, scipy.signal
    >>> from sigpu.sfi import RationalFilter
    >>> bp = RationalFilter(*scipy.signal.butter(2, [2 * np.pi * 500, 2 * np.pi * 1500],
    ...                     "bandpass", analog=True, output="zpk"))
    >>> bp.impulse_response(np.linspace(0, 0.005, 4)).shape
    (1, 4)
    """

    n_filters = 1

    def __init__(self, z, p, k, *, repeated_pole_rtol: float = 1e-8):
        z = np.atleast_1d(np.asarray(z, dtype=np.complex128))
        p = np.atleast_1d(np.asarray(p, dtype=np.complex128))
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Number | np.ndarray):
            raise TypeError(f"RationalFilter: k={k!r} must be a real number")
        k = complex(np.asarray(k).reshape(()))
        if z.ndim != 1 or p.ndim != 1:
            raise ParameterError("RationalFilter: z and p must be 1-D")
        if not (np.all(np.isfinite(z)) and np.all(np.isfinite(p)) and np.isfinite(k)):
            raise ParameterError("RationalFilter: zeros, poles and gain must be finite")
        if len(p) == 0 or len(z) > len(p):
            raise ParameterError(
                f"RationalFilter: needs a proper H with at least one pole "
                f"(got {len(z)} zeros, {len(p)} poles)"
            )
        repeated_pole_rtol = nonnegative_float(repeated_pole_rtol, "repeated_pole_rtol")
        unique, multiplicity = _group_poles(p, repeated_pole_rtol)
        self.z, self.p, self.k = z, np.repeat(unique, multiplicity), k
        if self.strictly_proper:
            self._residues, self._poles, self._powers = _partial_fractions(
                z, unique, multiplicity, k
            )

    @classmethod
    def from_ba(cls, b, a, *, repeated_pole_rtol: float = 1e-3):
        """Build from analog polynomial coefficients ``b``, ``a`` (highest power first).

        The roots of ``a`` are found with ``numpy.roots``, which scatters an n-fold root
        into a cluster of relative size about ``eps^(1/n)``; roots closer than
        ``repeated_pole_rtol`` (relative) are merged into one repeated pole at their
        centroid.  Prefer the zpk form when the poles are known.
        """
        b = np.trim_zeros(np.atleast_1d(np.asarray(b, dtype=np.float64)), "f")
        a = np.trim_zeros(np.atleast_1d(np.asarray(a, dtype=np.float64)), "f")
        if a.size < 2 or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            raise ParameterError(
                "RationalFilter.from_ba: a must have degree >= 1 and b, a must be finite"
            )
        import scipy.signal  # heavy import, only needed for from_ba

        z, p, k = scipy.signal.tf2zpk(b if b.size else np.zeros(1), a)
        return cls(z, p, k, repeated_pole_rtol=repeated_pole_rtol)

    @property
    def strictly_proper(self) -> bool:
        return len(self.z) < len(self.p)

    def _namespace(self, grid, func):
        return real_array(grid, "t" if "impulse" in func else "w", func=func, min_ndim=1)

    @on_input_device
    def impulse_response(self, t):
        """Real causal impulse response at ``t`` (s): ``(n,)`` -> ``(1, n)``.

        Parameters
        ----------
        t : array, shape (n,)
            Times in s (float32 or float64).

        Returns
        -------
        h : array, shape (1, n)
            Zero for ``t < 0``.
        """
        func = "RationalFilter.impulse_response"
        xp = self._namespace(t, func)
        if not self.strictly_proper:
            raise ParameterError(
                f"{func}: H is not strictly proper ({len(self.z)} zeros, {len(self.p)} poles); "
                "its impulse response holds a Dirac at t = 0"
            )
        ctype = np.complex64 if t.dtype == np.float32 else np.complex128
        r = asarray_on(self._residues / [math.factorial(m - 1) for m in self._powers], xp, ctype)
        p = asarray_on(self._poles, xp, ctype)
        powers = asarray_on(self._powers - 1, xp, t.dtype)
        tt = xp.where(t >= 0, t, xp.zeros_like(t))[None]
        # real powers (0**0 = 1), complex exponentials of the poles
        t_pow = xp.astype(tt ** _column(powers, t.ndim), ctype)
        terms = _column(r, t.ndim) * t_pow * xp.exp(_column(p, t.ndim) * xp.astype(tt, ctype))
        h = xp.real(xp.sum(terms, axis=0))
        return xp.where(t >= 0, h, xp.zeros_like(h))[None]

    @on_input_device
    def frequency_response(self, w):
        """Complex frequency response at ``w`` (rad/s): ``(n,)`` -> ``(1, n)``.

        Parameters
        ----------
        w : array, shape (n,)
            Angular frequencies in rad/s (float32 or float64).

        Returns
        -------
        H : array, shape (1, n), complex
        """
        xp = self._namespace(w, "RationalFilter.frequency_response")
        ctype = np.complex64 if w.dtype == np.float32 else np.complex128
        s = 1j * xp.astype(w, ctype)
        out = xp.full(w.shape, self.k, dtype=ctype)
        # products of factors (not polynomial evaluation): well conditioned at any order
        for zero in self.z:
            out = out * (s - zero)
        for pole in self.p:
            out = out / (s - pole)
        return out[None]


def _distinct_pole_residues(zeros, poles, gain):
    """Residues ``k prod_z (p_i - z) / prod_{j != i} (p_i - p_j)`` of F filters at once.

    ``zeros (F, n_z)``, ``poles (F, n_p)`` complex, ``gain (F,)``: ``(F, n_p)`` complex.  The
    factors are applied in :func:`_partial_fractions`' order (gain, zeros, reciprocal pole
    gaps), so a bank's residues are those of its :class:`RationalFilter` objects.
    """
    residues = gain.astype(np.complex128)[:, None] * np.ones(poles.shape[1])
    for l in range(zeros.shape[1]):
        residues = residues * (poles - zeros[:, l : l + 1])
    n_poles = poles.shape[1]
    for j in range(n_poles):
        own = np.arange(n_poles) == j
        gaps = np.where(own, 1.0, poles - poles[:, j : j + 1])
        residues = residues * np.where(own, 1.0, 1.0 / gaps)
    return residues


class _RationalBank(_Family):
    """F rational filters ``H_f(s) = k_f prod(s - z_f) / prod(s - p_f)`` of one shape, all
    with distinct poles, evaluated as one array (responses and errors those of F
    :class:`RationalFilter` objects, without F Python partial-fraction expansions).

    Host constants like :class:`RationalFilter`; build it with :func:`rational_bank`.
    """

    def __init__(self, zeros, poles, gain):
        self.z, self.p, self.k = zeros, poles, gain
        self.n_filters = int(poles.shape[0])
        if self.strictly_proper:
            residues = _distinct_pole_residues(zeros, poles, gain)
            half = poles.shape[1] // 2
            if poles.shape[1] % 2 == 0 and np.array_equal(poles[:, half:], poles[:, :half].conj()):
                # poles stored as [upper, conj(upper)] (the SFI layers' banks): for real t,
                # e^{conj(p) t} = conj(e^{p t}), so Re(r e^{p t} + r' e^{conj(p) t}) =
                # Re((r + conj(r')) e^{p t}): half the complex exponentials
                self._modes = poles[:, :half]
                self._mode_weights = residues[:, :half] + residues[:, half:].conj()
            else:
                self._modes, self._mode_weights = poles, residues

    @property
    def strictly_proper(self) -> bool:
        return self.z.shape[1] < self.p.shape[1]

    @on_input_device
    def impulse_response(self, t):
        """Real causal impulse responses at ``t`` (s): ``(n,)`` -> ``(F, n)``."""
        func = "RationalFilter.impulse_response"
        xp = real_array(t, "t", func=func, min_ndim=1)
        if not self.strictly_proper:
            raise ParameterError(
                f"{func}: H is not strictly proper ({self.z.shape[1]} zeros, "
                f"{self.p.shape[1]} poles); its impulse response holds a Dirac at t = 0"
            )
        ctype = np.complex64 if t.dtype == np.float32 else np.complex128
        r = asarray_on(self._mode_weights, xp, ctype)[:, :, None]
        p = asarray_on(self._modes, xp, ctype)[:, :, None]
        tt = xp.where(t >= 0, t, xp.zeros_like(t))
        h = xp.real(xp.sum(r * xp.exp(p * xp.astype(tt, ctype)[None, None]), axis=1))
        return xp.where(t >= 0, h, xp.zeros_like(h))

    @on_input_device
    def frequency_response(self, w):
        """Complex frequency responses at ``w`` (rad/s): ``(n,)`` -> ``(F, n)``."""
        xp = real_array(w, "w", func="RationalFilter.frequency_response", min_ndim=1)
        ctype = np.complex64 if w.dtype == np.float32 else np.complex128
        s = 1j * xp.astype(w, ctype)[None]
        out = xp.broadcast_to(asarray_on(self.k, xp, ctype)[:, None], (self.n_filters,) + w.shape)
        # the factors one at a time in RationalFilter's order
        for zero in xp.permute_dims(asarray_on(self.z, xp, ctype), (1, 0)):
            out = out * (s - zero[:, None])
        for pole in xp.permute_dims(asarray_on(self.p, xp, ctype), (1, 0)):
            out = out / (s - pole[:, None])
        return out


def rational_bank(zeros, poles, gain, *, repeated_pole_rtol: float = 1e-8):
    """F rational filters from host ``zeros (F, n_z)``, ``poles (F, n_p)``, ``gain (F,)``.

    One :class:`_RationalBank` when every filter's poles are distinct (as
    :class:`RationalFilter` groups them with ``repeated_pole_rtol``), else the list of F
    :class:`RationalFilter` objects (repeated poles need their Taylor expansion).  Either
    is a filter bank for :func:`time_domain_weights` / :func:`frequency_domain_weights`.
    """
    zeros = np.asarray(zeros, dtype=np.complex128)
    poles = np.asarray(poles, dtype=np.complex128)
    gain = np.asarray(gain, dtype=np.float64)
    if not (np.all(np.isfinite(zeros)) and np.all(np.isfinite(poles)) and np.isfinite(gain).all()):
        raise ParameterError("RationalFilter: zeros, poles and gain must be finite")
    n_zeros, n_poles = zeros.shape[1], poles.shape[1]
    if n_poles == 0 or n_zeros > n_poles:
        raise ParameterError(
            f"RationalFilter: needs a proper H with at least one pole "
            f"(got {n_zeros} zeros, {n_poles} poles)"
        )
    # RationalFilter merges pole i into an earlier pole j's group when |p_i - p_j| <=
    # rtol max(|p_j|, 1): when no earlier pole is that close, every pole is its own group
    gaps = np.abs(poles[:, :, None] - poles[:, None, :])
    earlier = np.tril(np.ones((n_poles, n_poles), dtype=bool), k=-1)
    close = gaps <= repeated_pole_rtol * np.maximum(np.abs(poles), 1.0)[:, None, :]
    if np.any(close & earlier):
        return [
            RationalFilter(z, p, float(k), repeated_pole_rtol=repeated_pole_rtol)
            for z, p, k in zip(zeros, poles, gain, strict=True)
        ]
    return _RationalBank(zeros, poles, gain)
