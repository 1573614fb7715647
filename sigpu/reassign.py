"""Linear reassignment (spectral hyperresolution) and the reassigned spectrogram.

* :func:`linear_reassignment` -- Gardner & Magnasco's linear reassignment
  (PNAS 103:6094, 2006), the algorithm of Magnasco's ``reassignmentgw.m``
  (earthspecies/spectral_hyperresolution): a constant-Q bank of Gaussian
  filters applied to the whole signal, every sample's energy moved to its
  reassigned time and frequency and histogrammed on a log-frequency grid.
* :func:`reassigned_spectrogram` -- librosa's reassigned STFT point cloud.

Both run on NumPy (numba kernels) and CuPy (CUDA kernels) arrays.
"""

from __future__ import annotations

import numpy as np

from ._backend import on_input_device
from ._errors import ParameterError
from ._reassign_linear import (
    apply_count_gate,
    check_count_gate,
    check_grid,
    check_pool_axis,
    check_signal,
    histograms,
    n_freq_bins,
    n_time_bins,
)
from ._reassign_spectrogram import reassigned_spectrogram
from ._validate import check_finite, native_array, positive_float, positive_int

__all__ = [
    "linear_reassignment",
    "linear_reassignment_consensus",
    "linear_reassignment_frequencies",
    "linear_reassignment_times",
    "reassigned_spectrogram",
]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


def linear_reassignment_frequencies(*, noct=12, minf, maxf, sr=None):
    """Centre frequencies of :func:`linear_reassignment`'s rows, ascending.

    Parameters
    ----------
    noct : int >= 1
        Output bins per octave.
    minf, maxf : float
        Frequency range, cycles/sample (``0 < minf < maxf <= 0.5``), or Hz
        when ``sr`` is given (``maxf <= sr / 2``).
    sr : float > 0 or None
        Sample rate; when given, input and output are in Hz.

    Returns
    -------
    freqs : numpy.ndarray, shape (n_freq,), float64
        ``maxf * 2 ** (-(n_freq - 1 - i) / noct)`` for ``i = 0 ... n_freq - 1``,
        ``n_freq = ceil(noct * log2(maxf / minf) + 1)``.  The last equals
        ``maxf``; the first is at or just below ``minf``.

    See Also
    --------
    linear_reassignment_times : Time bins of a linear reassignment.
    linear_reassignment : Linear reassignment (spectral hyperresolution).

    Notes
    -----
    Host (NumPy) array on every backend.  The grid is anchored at ``maxf``
    (column 0 of ``reassignmentgw.m``'s output, which sigpu puts last).

    Examples
    --------
    >>> import sigpu.reassign as R
    >>> R.linear_reassignment_frequencies(noct=12, minf=0.1, maxf=0.4)[[0, -1]]
    array([0.1, 0.4])
    """
    _, _, noct, lo, hi = check_grid(noct=noct, minf=minf, maxf=maxf, sr=sr)
    n_freq = n_freq_bins(noct, lo, hi)
    top = float(maxf)
    return top * 2.0 ** (-(n_freq - 1 - np.arange(n_freq, dtype=np.float64)) / noct)


def linear_reassignment_times(n, *, tdeci, sr=None):
    """Nominal centres of :func:`linear_reassignment`'s frames.

    Parameters
    ----------
    n : int >= 1
        Signal length in samples.
    tdeci : int >= 1
        Frame width in samples.
    sr : float > 0 or None
        Sample rate; when given the result is in seconds.

    Returns
    -------
    times : numpy.ndarray, shape (n_frames,), float64
        ``(r + 0.5) * tdeci - 1`` in 0-based samples (``/ sr`` seconds),
        ``r = 0 ... ceil(n / tdeci) - 1``.  Frame ``r`` collects points whose
        reassigned 0-based time lies in ``[r tdeci - 1, (r + 1) tdeci - 1)``.

    See Also
    --------
    linear_reassignment_frequencies : Frequency bins of a linear reassignment.
    linear_reassignment : Linear reassignment (spectral hyperresolution).

    Notes
    -----
    Host (NumPy) array on every backend.

    Examples
    --------
    >>> import sigpu.reassign as R
    >>> R.linear_reassignment_times(10, tdeci=4)
    array([1., 5., 9.])
    """
    n = positive_int(n, "n")
    tdeci = positive_int(tdeci, "tdeci")
    times = (np.arange(n_time_bins(n, tdeci), dtype=np.float64) + 0.5) * tdeci - 1.0
    if sr is not None:
        times = times / positive_float(sr, "sr")
    return times


@on_input_device
def linear_reassignment(
    x,
    *,
    q=2.0,
    tdeci,
    over=10,
    noct=12,
    minf,
    maxf,
    sr=None,
    count_gate="sqrt_max",
    pool_axis=None,
    return_counts=False,
    deterministic=False,
):
    """Linear reassignment (spectral hyperresolution) of Gardner & Magnasco.

    A constant-Q bank of ``over * n_freq`` Gaussian band-pass filters is
    applied to the whole signal (circular convolution, one forward FFT and
    two inverse FFTs per line); every sample of every line moves to its
    reassigned time and frequency, and its energy ``|xi|^2`` is histogrammed
    into frames of ``tdeci`` samples and log-frequency bins of ``1/noct``
    octave.  Points that move more than half a filter width, or land outside
    ``(minf, maxf)`` or the signal, are discarded; bins hit by fewer than
    ``sqrt(max count)`` points are zeroed.

    Parameters
    ----------
    x : array, shape (..., n), float32 or float64
        Real signal(s); each leading index is an independent signal with its
        own count gate (unless pooled).  Must be finite, ``n >= 1``.
    q : float > 0
        Time width of the filters in periods of their centre frequency
        (``q / f0`` samples): ``q >= 1`` follows tones, ``q < 1`` clicks.
    tdeci : int >= 1
        Frame width in samples (histogram time bin; there is no hop or window).
    over : int >= 1
        Filter lines per output frequency bin.
    noct : int >= 1
        Output frequency bins per octave.
    minf, maxf : float
        Frequency range in cycles/sample, ``0 < minf < maxf <= 0.5``; in Hz
        (``maxf <= sr / 2``) when ``sr`` is given.
    sr : float > 0 or None
        Sample rate, only to give ``minf``/``maxf`` in Hz.
    count_gate : "sqrt_max", None or float >= 0
        ``"sqrt_max"`` zeroes bins whose point count is below
        ``sqrt(max count)`` of that output image (the original's gate);
        ``None`` keeps every bin; a number ``c`` zeroes bins with count ``< c``.
    pool_axis : int or None
        A leading axis whose signals are pooled before the count gate (energy
        and counts summed, then gated; the axis is removed).  ``x.T`` of the
        original's ``(n, channels)`` input with ``pool_axis=0`` reproduces its
        multichannel output.
    return_counts : bool
        Also return the pre-gate energy and the point counts.
    deterministic : bool
        On CuPy, accumulate with a sort and segmented sums instead of atomic
        adds, so repeated runs agree to the last bit (slower).  The NumPy path
        is always deterministic.

    Returns
    -------
    H : array, shape (..., n_freq, n_frames), dtype of ``x``
        Non-negative energy image, frequency ascending (row ``i`` centred at
        :func:`linear_reassignment_frequencies` ``[i]``), frames at
        :func:`linear_reassignment_times`.  ``n_frames = ceil(n / tdeci)``,
        ``n_freq = ceil(noct * log2(maxf / minf) + 1)``.  The original's
        ``(n_frames, n_freq)`` output with column 0 at ``maxf`` is
        ``H.T[:, ::-1]`` (``H = H_orig.T[::-1]``).
    H_pre : array, same shape and dtype (only with ``return_counts``)
        Energy before the count gate.
    counts : array, same shape, int64 (only with ``return_counts``)
        Number of points in each bin.

    Raises
    ------
    TypeError
        ``x`` is not a float32/float64 NumPy or CuPy array.
    sigpu.ParameterError
        A parameter is outside the ranges above, ``x`` is empty or not finite.

    See Also
    --------
    linear_reassignment_consensus : Consensus of linear reassignments over scales.
    linear_reassignment_frequencies : Frequency bins of a linear reassignment.
    linear_reassignment_times : Time bins of a linear reassignment.
    reassigned_spectrogram : Reassigned spectrogram (librosa's).

    Notes
    -----
    Backends: NumPy (batches of lines spread over a thread pool, each with
    its own histograms; each line's band-limited inverse FFT folded into
    shorter ones; numba gate-and-scatter) and CuPy (cuFFT, CUDA kernels with
    shared-memory histograms).  Reference: T. J. Gardner and M. O. Magnasco,
    "Sparse time-frequency representations", PNAS 103:6094 (2006); the
    numbers match Magnasco's ``reassignmentgw.m``.  Values are not normalised
    (they grow with ``over`` and ``tdeci``).  float32 input uses complex64
    FFTs, but times, frequencies, bin indices and accumulation are float64.

    Examples
    --------
    >>> import numpy as np
    >>> import sigpu.reassign as R
    >>> n = np.arange(4000)
    >>> x = np.cos(2 * np.pi * 0.1 * n) + 1e-3 * np.sin(0.37 * n**1.5)
    >>> H = R.linear_reassignment(x, tdeci=100, minf=0.05, maxf=0.4)
    >>> H.shape
    (37, 40)
    >>> freqs = R.linear_reassignment_frequencies(minf=0.05, maxf=0.4)
    >>> round(float(freqs[H.sum(axis=1).argmax()]), 3)
    0.1
    """
    xp = check_signal(x, "x", "linear_reassignment")
    x = native_array(x)
    q = positive_float(q, "q")
    tdeci, over, noct, minf_c, maxf_c = check_grid(
        tdeci=tdeci, over=over, noct=noct, minf=minf, maxf=maxf, sr=sr
    )
    count_gate = check_count_gate(count_gate)
    axis = check_pool_axis(pool_axis, x.ndim)

    lead, n = x.shape[:-1], x.shape[-1]
    x2d = xp.reshape(x, (-1, n))
    energy, counts = histograms(
        x2d,
        xp,
        q=q,
        tdeci=tdeci,
        over=over,
        noct=noct,
        minf=minf_c,
        maxf=maxf_c,
        deterministic=bool(deterministic),
    )
    energy = xp.reshape(energy, lead + energy.shape[1:])
    counts = xp.reshape(counts, lead + counts.shape[1:])
    if axis is not None:
        energy = xp.sum(energy, axis=axis)
        counts = xp.sum(counts, axis=axis)
    H = apply_count_gate(energy, counts, count_gate, xp).astype(x.dtype)
    if return_counts:
        return H, energy.astype(x.dtype), counts
    return H


@on_input_device
def linear_reassignment_consensus(x, *, qs, **kwargs):
    """:func:`linear_reassignment` at several time scales ``q``, stacked.

    Parameters
    ----------
    x : array, shape (..., n), float32 or float64
    qs : sequence of float > 0
        Time scales; each slice is gated on its own.
    **kwargs
        Every other keyword of :func:`linear_reassignment` except ``q`` and
        ``return_counts`` (``tdeci``, ``minf``, ``maxf`` are required).

    Returns
    -------
    H : array, shape (..., len(qs), n_freq, n_frames), dtype of ``x``
        ``H[..., k, :, :] = linear_reassignment(x, q=qs[k], ...)``.

    See Also
    --------
    linear_reassignment : Linear reassignment (spectral hyperresolution).

    Notes
    -----
    Backends: NumPy and CuPy.  The consensus over time scales of Gardner &
    Magnasco (2006); the original code has none, so there is no parity target.

    Examples
    --------
    >>> import numpy as np
    >>> import sigpu.reassign as R
    >>> x = np.cos(2 * np.pi * 0.1 * np.arange(2000))
    >>> R.linear_reassignment_consensus(x, qs=[1, 2, 4], tdeci=100, minf=0.05,
    ...                                 maxf=0.4).shape
    (3, 37, 20)
    """
    for bad in ("q", "return_counts"):
        if bad in kwargs:
            raise ParameterError(f"{bad}= is not accepted by linear_reassignment_consensus")
    try:
        qs = [float(positive_float(q, "qs")) for q in qs]
    except TypeError:
        raise ParameterError(f"qs={qs!r} must be a sequence of positive numbers") from None
    if not qs:
        raise ParameterError("qs must hold at least one time scale")
    xp = check_signal(x, "x", "linear_reassignment_consensus")
    with check_finite(False):  # checked once above, not once per time scale
        images = [linear_reassignment(x, q=q, **kwargs) for q in qs]
    return xp.stack(images, axis=-3)
