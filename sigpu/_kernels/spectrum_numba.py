"""Spectrogram steps NumPy does in several passes, fused on the CPU (numba): the power
spectrum, band-wise filter banks, the time-major copy the inverse STFT reads, Griffin-Lim's
phase projection; same contract as ``spectrum_cuda``."""

from __future__ import annotations

import math

import numpy as np
from numba.core import types
from numba.extending import overload

from .._backend import in_memory_order, memory_order
from . import cpu_threads
from .numba_jit import njit

# Rows (frames) per block of the thread pool: a few MB of complex input per block.
_BLOCK_ROWS = 512


@njit(nogil=True)
def _power2_rows(spec, out, r0, r1):
    for r in range(r0, r1):
        src = spec[r]
        dst = out[r]
        for k in range(src.shape[0]):
            v = src[k]
            dst[k] = v.real * v.real + v.imag * v.imag


def power2(D):
    """``|D|**2`` of a complex spectrogram in one pass (NumPy's ``re**2 + im**2`` takes
    three and two temporaries): the same values, bit for bit, in ``D``'s layout.

    Parameters
    ----------
    D : ndarray, shape (..., F, T), complex64 or complex128
        Typically :func:`sigpu.stft`'s output, a time-major ``(..., T, F)`` array seen
        through ``swapaxes``; any other layout is copied to C order first.

    Returns
    -------
    S : ndarray, shape (..., F, T), float32 or float64
    """
    time_major = np.swapaxes(D, -1, -2)
    if time_major.flags.c_contiguous:  # rows are frames; the result is swapped back
        rows = time_major.reshape(-1, time_major.shape[-1])
    else:  # C-ordered D, or any other layout: rows of the C-ordered copy
        D = np.ascontiguousarray(D)
        rows = D.reshape(-1, D.shape[-1])
    out = np.empty(rows.shape, dtype=rows.real.dtype)
    cpu_threads.map_ranges(
        lambda r0, r1: _power2_rows(rows, out, r0, r1), rows.shape[0], _BLOCK_ROWS
    )
    if time_major.flags.c_contiguous:
        return np.swapaxes(out.reshape(time_major.shape), -1, -2)
    return out.reshape(D.shape)


# A bank whose filters' supports (first to last non-zero bin) cover at most this share of
# it is applied band by band; denser ones (chroma) go to the BLAS GEMM.
_BANDED_MAX_SHARE = 0.25


@njit(nogil=True, fastmath={"reassoc", "contract"})
def _banded_rows(rows, bank, lo, hi, zero, out, r0, r1):
    # fastmath: BLAS does not fix a summation order either; reassociation lets the short
    # dot products vectorise
    for r in range(r0, r1):
        src = rows[r]
        dst = out[r]
        for m in range(bank.shape[0]):
            weights = bank[m, lo[m] : hi[m]]
            values = src[lo[m] : hi[m]]
            acc = zero
            for k in range(weights.shape[0]):
                acc += weights[k] * values[k]
            dst[m] = acc


def filter_support(bank):
    """Per filter (row of ``bank``) the bins ``lo <= k < hi`` from its first to its last
    non-zero weight (``lo = hi = 0`` for an all-zero filter)."""
    nonzero = bank != 0
    any_ = nonzero.any(axis=1)
    lo = np.where(any_, nonzero.argmax(axis=1), 0)
    hi = np.where(any_, bank.shape[1] - nonzero[:, ::-1].argmax(axis=1), 0)
    return lo.astype(np.int64), hi.astype(np.int64)


def apply_bank(rows, bank):
    """``rows @ bank.T``: a filter bank applied to the spectra in ``rows``.

    Mel and gammatone filters are non-zero on a narrow band of bins each (128 slaney mel
    filters on 1025 bins: 2 % of the matrix), so each output is a short dot product over
    the filter's band, on the block pool; a dense bank is one BLAS GEMM.

    Parameters
    ----------
    rows : ndarray, shape (R, F), float32 or float64, C-contiguous
    bank : ndarray, shape (M, F), same dtype

    Returns
    -------
    out : ndarray, shape (R, M)
    """
    lo, hi = filter_support(bank)
    if (hi - lo).sum() > _BANDED_MAX_SHARE * bank.size:
        return rows @ bank.T
    rows = np.ascontiguousarray(rows)
    bank = np.ascontiguousarray(bank, dtype=rows.dtype)
    out = np.empty((rows.shape[0], bank.shape[0]), dtype=rows.dtype)
    zero = rows.dtype.type(0)
    cpu_threads.map_ranges(
        lambda r0, r1: _banded_rows(rows, bank, lo, hi, zero, out, r0, r1),
        rows.shape[0],
        _BLOCK_ROWS,
    )
    return out


@njit(nogil=True)
def _copy3(src, dst):
    for i in range(src.shape[0]):
        for j in range(src.shape[1]):
            s = src[i, j]
            d = dst[i, j]
            for k in range(src.shape[2]):
                d[k] = s[k]


def time_major(D):
    """``swapaxes(D, -1, -2)`` as a C-contiguous ``(..., T, F)`` array: the layout the
    inverse FFT reads fastest (its lanes contiguous).

    A time-major view (what :func:`sigpu.stft` returns) is returned as it is.  Other
    layouts are copied with the loops ordered by the source's strides, so the innermost
    loop reads memory in order: librosa's Fortran-ordered STFT (batch axis fastest)
    transposes in ~9 ms for 16 x 10 s where NumPy's C-order copy takes ~56 ms.
    """
    view = np.swapaxes(D, -1, -2)
    if view.flags.c_contiguous:
        return view
    if view.ndim not in (2, 3):
        return np.ascontiguousarray(view)
    view3 = view if view.ndim == 3 else view[None]
    out = np.empty(view3.shape, dtype=view3.dtype)
    perm = memory_order(view3)
    _copy3(view3.transpose(perm), out.transpose(perm))
    return out if view.ndim == 3 else out[0]


# Elements per block of the thread pool in project_phases: 1 MB of complex128.
_BLOCK_ELEMENTS = 1 << 16


def _modulus(re, im):
    """``abs(re + 1j*im)`` without overflow or underflow (numba only; see the overload)."""
    raise NotImplementedError("numba-only helper")


@overload(_modulus)
def _modulus_for(re, im):
    if re == types.float32:
        # float32 squares cannot overflow or underflow in float64: one rounding at the end
        def wide(re, im):
            dr = np.float64(re)
            di = np.float64(im)
            return np.float32(math.sqrt(dr * dr + di * di))

        return wide

    # float64: NumPy's own algorithm for abs of a complex (the larger part times
    # sqrt(1 + ratio**2)); squares of parts below 1e-154 would underflow
    def scaled(re, im):
        a = abs(re)
        b = abs(im)
        larger = max(a, b)
        smaller = min(a, b)
        ratio = smaller / larger if larger != 0 else 0.0
        return math.sqrt(1.0 + ratio * ratio) * larger

    return scaled


@njit(nogil=True)
def _project_block(rebuilt, previous, magnitude, weight, tiny, use_previous, out, i0, i1):
    # the array expression's arithmetic: complex / real divides by the real's reciprocal
    # (as NumPy's complex division does), real * complex is two real products; writes go
    # to the float view of the output (a complex store keeps the loop slower)
    for i in range(i0, i1):
        re = rebuilt[i].real
        im = rebuilt[i].imag
        if use_previous:
            re = re - weight * previous[i].real
            im = im - weight * previous[i].imag
        scale = 1 / (_modulus(re, im) + tiny)
        out[2 * i] = magnitude[i] * (re * scale)
        out[2 * i + 1] = magnitude[i] * (im * scale)


def project_phases(rebuilt, previous, magnitude, weight):
    """Griffin-Lim's update in one pass: ``magnitude * (A / (abs(A) + tiny))`` with
    ``A = rebuilt - weight * previous`` (``A = rebuilt`` when ``previous`` is None) and
    ``tiny`` the dtype's smallest normal number.

    NumPy's array expression makes five passes and four temporaries of the spectrogram's
    size; this reads each input once, on the block pool.  Values agree with the
    expression to a few units in the last place (``abs`` is rounded differently).

    Parameters
    ----------
    rebuilt, previous : ndarray, complex64 or complex128, the same shape and layout
        The re-analysis of this iteration and of the last one (``previous`` may be None).
    magnitude : ndarray, float32 or float64 (the real dtype of ``rebuilt``), its shape
        Target magnitudes; fastest in ``rebuilt``'s memory layout (else copied per call).
    weight : float
        ``momentum / (1 + momentum)``.

    Returns
    -------
    angles : ndarray, the shape, dtype and memory layout of ``rebuilt``
    """
    # walk memory in rebuilt's order, flat (the others copied if laid out differently)
    rebuilt_flat, restore = in_memory_order(rebuilt)
    order = memory_order(rebuilt)
    previous_flat, magnitude_flat = (
        None if a is None else a.transpose(order).reshape(-1) for a in (previous, magnitude)
    )
    real = magnitude_flat.dtype.type
    out = np.empty(rebuilt_flat.shape, dtype=rebuilt_flat.dtype)
    out_parts = out.view(real)  # re, im, re, im, ...
    use_previous = previous_flat is not None
    if not use_previous:
        previous_flat = rebuilt_flat  # not read
    tiny = real(np.finfo(real).tiny)
    weight = real(weight)
    cpu_threads.map_ranges(
        lambda i0, i1: _project_block(
            rebuilt_flat,
            previous_flat,
            magnitude_flat,
            weight,
            tiny,
            use_previous,
            out_parts,
            i0,
            i1,
        ),
        out.shape[0],
        _BLOCK_ELEMENTS,
    )
    return restore(out)
