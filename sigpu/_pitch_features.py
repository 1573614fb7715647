"""Pitch-class features built on the constant-Q chroma: tonnetz, CENS, VQT chroma.

Each is a fixed linear map or pointwise step applied to a chromagram, so it runs as one
GEMM or a few elementwise passes over all frames of all signals; the temporal smoothing
of CENS is a short FIR filter applied as shifted multiply-adds.
"""

from __future__ import annotations

import numpy as np

from ._backend import array_namespace, device_of, frames, on_input_device
from ._cache import host_table, on_device
from ._errors import ParameterError
from ._spectral_features import bank_product
from ._validate import float_or_complex_array, norm_order, positive_int, real_array
from ._window import symmetric_window
from .constantq import chroma_cqt, vqt
from .filters import normalize

__all__ = ["tonnetz", "chroma_cens", "chroma_vqt"]


@host_table
def _tonnetz_basis(n_chroma):
    """``phi (6, n_chroma)``: fifths, minor and major thirds as (sin, cos) pairs on
    circles of radius 1, 1, 0.5 (Harte et al., 2006)."""
    pitch = np.linspace(0, 12, num=n_chroma, endpoint=False)
    scale = np.array([7.0 / 6, 7.0 / 6, 3.0 / 2, 3.0 / 2, 2.0 / 3, 2.0 / 3])
    angle = np.multiply.outer(scale, pitch)
    angle[::2] -= 0.5  # cos(pi (x - 1/2)) = sin(pi x) on the even rows
    radius = np.array([1, 1, 1, 1, 0.5, 0.5])
    return radius[:, None] * np.cos(np.pi * angle)


@on_input_device
def tonnetz(y=None, *, sr=22050, chroma=None, **kwargs):
    """Tonal centroid features: the chroma projected onto the circles of fifths and thirds.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal (NumPy or CuPy); ignored when ``chroma`` is given.
    sr : float > 0
        Sampling rate.
    chroma : array, shape (..., n_chroma, T), optional
        Chromagram (default: :func:`sigpu.chroma_cqt` of ``y``).
    **kwargs
        Parameters of :func:`sigpu.chroma_cqt` for the default chroma.

    Returns
    -------
    tonnetz : array, shape (..., 6, T)
        Rows: fifth (x, y), minor third (x, y), major third (x, y).

    See Also
    --------
    sigpu.chroma_cqt : Constant-Q chromagram.
    sigpu.feature.chroma_cens : Smoothed, quantised chroma.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.tonnetz`` (Harte, Sandler and Gasser,
    2006): each frame of the chroma is L1-normalised, then one GEMM maps it.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> chroma = np.eye(12)[:, [0, 4, 7]]  # C, E, G
    >>> sigpu.feature.tonnetz(chroma=chroma).shape
    (6, 3)
    """
    if chroma is None:
        if y is None:
            raise ParameterError("tonnetz: pass either a signal y or a chromagram chroma")
        chroma = chroma_cqt(y, sr=sr, **kwargs)
    elif kwargs:
        raise TypeError(f"tonnetz() got chroma and chroma_cqt arguments {sorted(kwargs)}")
    xp = real_array(chroma, "chroma", func="tonnetz", min_ndim=2)
    basis = on_device(_tonnetz_basis(chroma.shape[-2]), xp, chroma.dtype, device_of(chroma))
    return bank_product(basis, normalize(chroma, 1.0, -2, xp), xp)


_CENS_STEPS = (0.4, 0.2, 0.1, 0.05)  # quantisation thresholds, each worth 1/4


@host_table
def _smoothing_window(spec, length):
    """librosa's CENS smoothing window: symmetric, ``length + 2`` points, unit sum."""
    window = symmetric_window(spec, length + 2)
    return window / np.sum(window)


def _window_spec(spec):
    """A hashable window spec (names, (name, parameter) tuples) or ParameterError."""
    if isinstance(spec, str) or (isinstance(spec, tuple) and spec and isinstance(spec[0], str)):
        return spec
    raise ParameterError(
        f"smoothing_window={spec!r} must be a window name or (name, parameter) tuple "
        "as scipy.signal.get_window takes"
    )


# Output frames per block of the smoothing product (see _convolve_time).
_SMOOTHING_BLOCK = 64


@host_table
def _banded_smoother(spec, length, block):
    """``band (block + width - 1, block)`` of the smoothing window ``w`` (width
    ``length + 2``): ``band[t + j, t] = w[width - 1 - j]``, so that a block of
    ``block + width - 1`` padded frames times ``band`` is the block's convolution with
    ``w``."""
    flipped = _smoothing_window(spec, length)[::-1]
    width = flipped.shape[0]
    band = np.zeros((block + width - 1, block))
    for t in range(block):
        band[t : t + width, t] = flipped
    return band


def _convolve_time(x, spec, length, xp):
    """``scipy.ndimage.convolve(x, w[None, :], mode="constant")`` along the last axis for
    CENS's smoothing window ``w`` (width ``length + 2``): ``out[t] = sum_j w[j]
    x[t + origin - j]`` with zeros outside.

    One GEMM over blocks of ``_SMOOTHING_BLOCK`` output frames, each row the block's
    padded input span, instead of ``width`` shifted multiply-adds over the whole array
    (43 passes for CENS's default window).
    """
    width, n = length + 2, x.shape[-1]
    block = _SMOOTHING_BLOCK
    n_blocks = -(-n // block)
    # ndimage centres the flipped kernel at (width - 1) // 2 (odd: the middle)
    left = (width - 1) // 2
    right = n_blocks * block + width - 1 - left - n  # zeros, also past the last block
    padded = xp.pad(x, ((0, 0),) * (x.ndim - 1) + ((left, right),))
    spans = xp.ascontiguousarray(frames(padded, block + width - 1, block))
    band = on_device(_banded_smoother(spec, length, block), xp, x.dtype, device_of(x))
    out = xp.matmul(xp.reshape(spans, (-1, block + width - 1)), band)
    return xp.reshape(out, x.shape[:-1] + (n_blocks * block,))[..., :n]


@on_input_device
def chroma_cens(
    y=None,
    *,
    sr=22050,
    C=None,
    hop_length=512,
    fmin=None,
    tuning=None,
    n_chroma=12,
    n_octaves=7,
    bins_per_octave=36,
    cqt_mode="full",
    window=None,
    norm=2,
    win_len_smooth=41,
    smoothing_window="hann",
):
    """Chroma energy normalised statistics (CENS): quantised, smoothed, normalised chroma.

    The L1-normalised constant-Q chroma is quantised (``1/4`` for each of the thresholds
    0.4, 0.2, 0.1, 0.05 it exceeds), smoothed along time with a ``win_len_smooth + 2``
    point window, and normalised with ``norm``.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal; ignored when ``C`` is given.
    sr : float > 0
        Sampling rate.
    C : array, shape (..., n_bins, T), optional
        Constant-Q transform (complex or magnitude) to take the chroma from.
    hop_length, fmin, tuning, n_chroma, n_octaves, bins_per_octave, cqt_mode, window
        Parameters of :func:`sigpu.chroma_cqt`.
    norm : float or None
        Norm of each output frame (default 2).
    win_len_smooth : int > 0 or None
        Length of the smoothing window (None: no smoothing).
    smoothing_window : str or tuple
        Window shape, as ``scipy.signal.get_window`` takes it (symmetric).

    Returns
    -------
    cens : array, shape (..., n_chroma, T)

    See Also
    --------
    sigpu.chroma_cqt : Constant-Q chromagram.
    sigpu.feature.tonnetz : Tonal centroids of the chroma.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.chroma_cens`` (Müller and Ewert, 2011).

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 440.0 * np.arange(4 * sr) / sr)
    >>> cens = sigpu.feature.chroma_cens(y, sr=sr, tuning=0.0)
    >>> cens.shape, int(cens[:, 80].argmax())
    ((12, 173), 9)
    """
    if win_len_smooth is not None:
        win_len_smooth = positive_int(win_len_smooth, "win_len_smooth")
    norm = norm_order(norm)
    spec = _window_spec(smoothing_window) if win_len_smooth else None
    chroma = chroma_cqt(
        y,
        C=C,
        sr=sr,
        hop_length=hop_length,
        fmin=fmin,
        bins_per_octave=bins_per_octave,
        tuning=tuning,
        norm=None,
        n_chroma=n_chroma,
        n_octaves=n_octaves,
        cqt_mode=cqt_mode,
        window=window,
    )
    xp = array_namespace(chroma)
    chroma = normalize(chroma, 1.0, -2, xp)
    quantised = sum(xp.astype(chroma > step, chroma.dtype) for step in _CENS_STEPS) * 0.25
    if win_len_smooth:
        try:
            _smoothing_window(spec, win_len_smooth)
        except (ValueError, TypeError) as err:
            raise ParameterError(f"smoothing_window={spec!r}: {err}") from None
        quantised = _convolve_time(quantised, spec, win_len_smooth, xp)
    return normalize(quantised, norm, -2, xp)


@on_input_device
def chroma_vqt(
    y=None,
    *,
    sr=22050,
    V=None,
    hop_length=512,
    fmin=None,
    intervals,
    norm=np.inf,
    threshold=0.0,
    n_octaves=7,
    bins_per_octave=12,
    gamma=0,
):
    """Chromagram of a variable-Q transform: VQT magnitudes folded onto pitch classes.

    Parameters
    ----------
    y : array, shape (..., n), float32/float64, optional
        Signal; ignored when ``V`` is given.
    sr : float > 0
        Sampling rate.
    V : array, shape (..., n_bins, T), optional
        Variable-Q transform (complex or magnitude).
    hop_length : int > 0
        Hop of the VQT.
    fmin : float > 0, optional
        Frequency of the lowest bin (default C1).
    intervals : "equal"
        Bin spacing (required, as in librosa); sigpu's VQT implements equal temperament.
    norm : float or None
        Norm of each chroma frame (default max-norm).
    threshold : float
        Chroma values below it are set to 0 before normalising.
    n_octaves : int > 0
        Octaves of the VQT.
    bins_per_octave : int > 0
        VQT bins per octave, also the number of chroma bins.
    gamma : float >= 0
        VQT bandwidth offset (0: constant-Q).

    Returns
    -------
    chroma : array, shape (..., bins_per_octave, T)

    See Also
    --------
    sigpu.vqt : Variable-Q transform.
    sigpu.chroma_cqt : Constant-Q chromagram.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.chroma_vqt`` for ``intervals="equal"``
    (librosa's just-intonation interval sets are not provided).

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 440.0 * np.arange(sr) / sr)
    >>> c = sigpu.feature.chroma_vqt(y, sr=sr, intervals="equal")
    >>> c.shape, int(c[:, 20].argmax())
    ((12, 44), 9)
    """
    if not isinstance(intervals, str) or intervals != "equal":
        raise ParameterError(f"intervals={intervals!r} is not supported; sigpu implements 'equal'")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    if V is not None:
        float_or_complex_array(V, "V", func="chroma_vqt", min_ndim=2)
    else:
        if y is None:
            raise ParameterError("chroma_vqt: pass either a signal y or a VQT V")
        n_octaves = positive_int(n_octaves, "n_octaves")
        V = vqt(
            y,
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            intervals=intervals,
            n_bins=n_octaves * bins_per_octave,
            bins_per_octave=bins_per_octave,
            gamma=gamma,
        )
    return chroma_cqt(
        C=V,
        sr=sr,
        fmin=fmin,
        norm=norm,
        threshold=threshold,
        n_chroma=bins_per_octave,
        bins_per_octave=bins_per_octave,
    )
