"""Trainable pole/zero banks for the SFI layers' ``family="rational"``.

A bank of F real rational analog filters ``H(s) = k prod(s - z) / prod(s - p)`` stored so that
every parameter value is a stable filter with a real impulse response:

* poles in P complex-conjugate pairs, one of each pair stored:
  ``p = 2 pi (-softplus(pole_rate) +- j pole_hz)``; the real part is negative for every
  ``pole_rate``, so no gradient step makes a filter unstable;
* zeros in Q conjugate pairs ``2 pi (zero_re_hz[:Q] +- j zero_im_hz)`` and R real zeros
  ``2 pi zero_re_hz[Q:]`` (a zero may sit anywhere: it does not affect stability);
* ``k = gain (2 pi 1000)^(2P - 2Q - R)``: ``gain`` is dimensionless (``k`` carries rad/s to
  the relative degree, ~1e7 per pole pair at audio bandwidths, far from unit steps).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal
import torch

from .._errors import ParameterError

#: ``k = gain * GAIN_UNIT ** relative_degree``: gains in units of 1 kHz (as angular frequency)
GAIN_UNIT = 2 * math.pi * 1000.0

#: Orders (pole pairs) of the default Butterworth band-pass initialisation.
MAX_ORDER = 8

#: A root whose imaginary part is below this fraction of its modulus (or of 1 rad/s) is real.
_REAL_RTOL = 1e-9


def erb_hz(fc):
    """Glasberg-Moore equivalent rectangular bandwidth (Hz) at ``fc`` (Hz)."""
    return 24.7 + np.asarray(fc, dtype=np.float64) / 9.265


def butterworth_bandpass_bank(centres_hz, bandwidths_hz, order):
    """``(zeros (F, order), poles (F, 2 order), gains (F,))`` of Butterworth band-passes.

    Filter f has geometric centre ``centres_hz[f]`` and -3 dB bandwidth ``bandwidths_hz[f]``
    (edges ``w1 w2 = w0^2``, ``w2 - w1 = B``), from ``scipy.signal.butter(analog=True)``.
    """
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
        raise ParameterError(
            f"order={order!r} must be an integer in [1, {MAX_ORDER}] (pole pairs per filter "
            f"of family='rational')"
        )
    w0 = 2 * math.pi * np.asarray(centres_hz, dtype=np.float64)
    band = 2 * math.pi * np.asarray(bandwidths_hz, dtype=np.float64)
    if not (np.all(w0 > 0) and np.all(np.isfinite(w0))):
        raise ParameterError("fmin must be > 0 for family='rational' (band-pass centres)")
    lower = w0**2 / (np.sqrt(w0**2 + band**2 / 4) + band / 2)  # w1 (w1 + B) = w0^2, no cancellation
    upper = lower + band
    if not (np.all(np.isfinite(upper)) and np.all(upper > lower) and np.all(lower > 0)):
        raise ParameterError(
            f"bandwidth_hz: family='rational' needs band edges that are distinct positive "
            f"frequencies; got bandwidths {band / (2 * math.pi)} Hz at {w0 / (2 * math.pi)} Hz"
        )
    if order % 2 and np.any(band >= 2 * w0):
        # the low-pass prototype's real pole -1 maps to (-B +- sqrt(B^2 - 4 w0^2)) / 2
        at = w0[band >= 2 * w0][0] / (2 * math.pi)
        raise ParameterError(
            f"order={order} (odd) with a bandwidth_hz >= 2 fc (at fc={at:g} Hz) gives real "
            f"poles, and family='rational' stores conjugate pole pairs: raise fmin, narrow "
            f"bandwidth_hz or take an even order"
        )
    zpks = [
        scipy.signal.butter(order, [w1, w2], "bandpass", analog=True, output="zpk")
        for w1, w2 in zip(lower, upper, strict=True)
    ]
    return (
        np.stack([z for z, _, _ in zpks]).astype(np.complex128),
        np.stack([p for _, p, _ in zpks]),
        np.array([k for _, _, k in zpks], dtype=np.float64),
    )


def _conjugate_pairs(roots, name):
    """``(upper, real)``: the roots with positive imaginary part (one per conjugate pair) and
    the real roots of each row of ``roots (F, n)``; ParameterError unless every non-real
    root's conjugate is present and every row has the same structure."""
    uppers, reals = [], []
    for row in roots:
        is_real = np.abs(row.imag) <= _REAL_RTOL * np.maximum(np.abs(row), 1.0)
        upper, lower = row[~is_real & (row.imag > 0)], row[~is_real & (row.imag < 0)]
        if upper.size != lower.size or not np.allclose(
            np.sort_complex(upper), np.sort_complex(lower.conj()), rtol=1e-9, atol=0
        ):
            raise ParameterError(
                f"zpk: the {name} of each filter must be real or complex-conjugate pairs "
                f"(the impulse response is real); got {row}"
            )
        uppers.append(np.sort_complex(upper))
        reals.append(row[is_real].real)
    if len({(u.size, r.size) for u, r in zip(uppers, reals, strict=True)}) > 1:
        raise ParameterError(
            f"zpk: every filter needs the same numbers of conjugate pairs and real {name}"
        )
    return np.stack(uppers), np.stack(reals)


def _inverse_softplus(x):
    """``softplus^-1(x) = x + log(1 - exp(-x))`` for x > 0."""
    return x + np.log(-np.expm1(-x))


def initial_parameters(zpk, n_filters, *, strictly_proper):
    """The five parameter arrays (float64) of a bank from its ``zpk`` prototype.

    ``zpk = (zeros (F, n_z), poles (F, n_p), gains (F,))`` in rad/s; every pole complex and
    in the open left half plane, poles and zeros real or in conjugate pairs.
    """
    if not (isinstance(zpk, tuple | list) and len(zpk) == 3):
        raise ParameterError("zpk must be a tuple (zeros, poles, gains)")
    zeros = np.asarray(zpk[0], dtype=np.complex128)
    poles = np.asarray(zpk[1], dtype=np.complex128)
    gains = np.asarray(zpk[2], dtype=np.float64)
    shapes = (zeros.shape, poles.shape, gains.shape)
    if (
        zeros.ndim != 2
        or poles.ndim != 2
        or shapes[2] != (n_filters,)
        or (zeros.shape[0] != n_filters or poles.shape[0] != n_filters)
    ):
        raise ParameterError(
            f"zpk: zeros, poles and gains must have shapes (F, n_z), (F, n_p) and (F,) with "
            f"F = {n_filters}; got {shapes[0]}, {shapes[1]}, {shapes[2]}"
        )
    if not (np.isfinite(zeros).all() and np.isfinite(poles).all() and np.isfinite(gains).all()):
        raise ParameterError("zpk: zeros, poles and gains must be finite")
    if not np.all(poles.real < 0):
        raise ParameterError(
            f"zpk: every pole must have a negative real part (a stable filter); got "
            f"{poles[poles.real >= 0]}"
        )
    n_zeros, n_poles = zeros.shape[1], poles.shape[1]
    if n_zeros > n_poles or (strictly_proper and n_zeros == n_poles):
        raise ParameterError(
            f"zpk: {n_zeros} zeros and {n_poles} poles; the time-domain design needs fewer "
            f"zeros than poles, the frequency-domain design at most as many"
        )
    upper_poles, real_poles = _conjugate_pairs(poles, "poles")
    if real_poles.shape[1]:
        raise ParameterError(
            f"zpk: real poles are not supported (poles are stored as conjugate pairs); got "
            f"{real_poles[0]}"
        )
    zero_pairs, real_zeros = _conjugate_pairs(zeros, "zeros")
    degree = n_poles - n_zeros
    return {
        "pole_rate": _inverse_softplus(-upper_poles.real / (2 * math.pi)),
        "pole_hz": upper_poles.imag / (2 * math.pi),
        "zero_re_hz": np.concatenate([zero_pairs.real, real_zeros], axis=1) / (2 * math.pi),
        "zero_im_hz": zero_pairs.imag / (2 * math.pi),
        "gain": gains / GAIN_UNIT**degree,
    }


def assemble(pole_rate, pole_hz, zero_re_hz, zero_im_hz, gain):
    """Complex ``(zeros (F, n_z), poles (F, n_p))`` and real gains ``(F,)`` of the bank (torch
    operations: autograd reaches the five parameters)."""
    two_pi = 2 * math.pi
    upper = torch.complex(-torch.nn.functional.softplus(pole_rate), pole_hz) * two_pi
    poles = torch.cat([upper, upper.conj()], dim=1)
    n_pairs = zero_im_hz.shape[1]
    pairs = torch.complex(zero_re_hz[:, :n_pairs], zero_im_hz) * two_pi
    real = torch.complex(zero_re_hz[:, n_pairs:], torch.zeros_like(zero_re_hz[:, n_pairs:]))
    zeros = torch.cat([pairs, pairs.conj(), real * two_pi], dim=1)
    degree = poles.shape[1] - zeros.shape[1]
    return zeros, poles, gain * GAIN_UNIT**degree
