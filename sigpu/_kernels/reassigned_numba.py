"""The reassigned spectrogram's coordinates on the CPU (numba), one pass per coordinate;
same contract as ``reassigned_cuda``.

librosa's array expressions (``-imag(S_dh / S_h)``, the scale, the bin or frame offsets in
float64, the ``ref_power`` gate, ``fill_nan``, the clip, the cast back) make about nine
passes over arrays as large as the spectrogram, most in float64; here each element goes
through all of them at once, in the same arithmetic: NumPy's complex division (Smith's
method, in the spectra's precision), the correction scaled in that precision, the offset
added in float64.
"""

from __future__ import annotations

import math

import numpy as np

from . import cpu_threads
from .numba_jit import njit

# Spectrogram rows (frames) per block of the thread pool.
_BLOCK_ROWS = 64


@njit(nogil=True, inline="always")
def _divide(a, b, one):
    """``a / b`` as NumPy's complex division computes it (Smith's method; a zero divisor
    divides the parts by ``|b.real|`` and ``|b.imag|``), in the precision of ``one``."""
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    br_abs, bi_abs = abs(br), abs(bi)
    if br_abs >= bi_abs:
        if br_abs == 0 and bi_abs == 0:
            return ar / br_abs, ai / bi_abs
        rat = bi / br
        scl = one / (br + bi * rat)
        return (ar + ai * rat) * scl, (ai - ar * rat) * scl
    rat = br / bi
    scl = one / (bi + br * rat)
    return (ar * rat + ai) * scl, (ai * rat - ar) * scl


@njit(nogil=True, error_model="numpy")
def _coordinate_rows(
    S_h,
    S_d,
    mags,
    offsets,
    one,
    scale,
    threshold,
    frequency,
    gate,
    fill_nan,
    clip,
    upper,
    n_frames,
    out,
    r0,
    r1,
):
    # error_model="numpy": x / 0 gives inf or NaN as in NumPy, no ZeroDivisionError;
    # one, scale and threshold are of the spectra's real dtype
    for r in range(r0, r1):
        frame = r % n_frames
        for k in range(S_h.shape[1]):
            re, im = _divide(S_d[r, k], S_h[r, k], one)
            if frequency:  # bin + (-imag(S_dh / S_h)) * (sr / 2 pi)
                base = offsets[k]
                value = base + np.float64(-im * scale)
            else:  # frame time + real(S_th / S_h) / sr
                base = offsets[frame]
                value = base + np.float64(re / scale)
            if gate and mags[r, k] < threshold:
                value = math.nan
            if fill_nan and math.isnan(value):
                value = base
            if clip:  # NaN stays NaN, as in numpy.clip
                if value < 0.0:
                    value = 0.0
                elif value > upper:
                    value = upper
            out[r, k] = value


def coordinates(S_h, S_d, mags, offsets, scale, threshold, fill_nan, clip, upper, frequency):
    """Reassigned frequencies (``frequency=True``) or times of a spectrogram.

    ``offsets + (-imag(S_d / S_h)) * scale`` (frequencies; ``offsets`` per bin) or
    ``offsets + real(S_d / S_h) / scale`` (times; ``offsets`` per frame), with the
    correction computed and scaled in the spectra's precision and added in float64; then
    NaN where ``mags < threshold`` (unless ``threshold`` is None), the offset where NaN if
    ``fill_nan``, clipped to ``[0, upper]`` if ``clip``, and cast to the real dtype.

    Parameters
    ----------
    S_h, S_d : ndarray, shape (..., F, T), complex64 or complex128
        STFTs with the window and with its derivative (frequencies) or time-weighted form
        (times); fastest as :func:`sigpu.stft` returns them (time-major memory).
    mags : ndarray, the shape of ``S_h``, real
        ``abs(S_h)``.
    offsets : ndarray, float64, shape (F,) or (T,)
    scale : float
        ``sr / (2 pi)`` for frequencies, ``sr`` for times (rounded to the spectra's
        precision, as NumPy does with a Python float).
    threshold : float or None
        ``sqrt(ref_power)`` in the spectra's precision; None: no gate.
    fill_nan, clip : bool
    upper : float
        The clip's upper bound.
    frequency : bool

    Returns
    -------
    values : ndarray, the shape of ``S_h``, real dtype of ``S_h``, time-major memory
    """
    real = mags.dtype.type

    def time_major(a):
        rows = np.swapaxes(a, -1, -2)
        return rows.reshape(-1, rows.shape[-1])  # a view for sigpu.stft's output

    shape = S_h.shape
    n_frames = shape[-1]
    h_rows, d_rows, mag_rows = time_major(S_h), time_major(S_d), time_major(mags)
    out = np.empty(h_rows.shape, dtype=real)
    gate = threshold is not None
    args = (
        np.ascontiguousarray(offsets, dtype=np.float64),
        real(1),
        real(scale),
        real(threshold if gate else 0.0),
        bool(frequency),
        gate,
        bool(fill_nan),
        bool(clip),
        float(upper),
        n_frames,
        out,
    )
    cpu_threads.map_ranges(
        lambda r0, r1: _coordinate_rows(h_rows, d_rows, mag_rows, *args, r0, r1),
        out.shape[0],
        _BLOCK_ROWS,
    )
    return np.swapaxes(out.reshape(*shape[:-2], n_frames, shape[-2]), -1, -2)
