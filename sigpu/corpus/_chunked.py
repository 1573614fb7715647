"""Long recordings: sigpu's framed transforms on a Dask array chunked along time.

A recording of ``n`` samples, larger than memory, is a Dask array ``(..., n)``.  The
output frames are cut into blocks; each block is computed by the in-memory sigpu
function on the samples its frames read, so every frame sees exactly the samples (and,
at the ends, the centre padding) it sees in the in-memory call:

* a block whose frames lie inside the recording reads ``[t0 * hop - pad,
  (t1 - 1) * hop - pad + n_fft)`` with ``center=False``;
* a block that reaches into the padding at either end reads from that end of the
  recording (a head ``[0, ...)`` or a tail ``[k * hop, n)``) with ``center=True``: the
  padding is made from the same end samples as in the whole call.

Linear reassignment filters the whole signal circularly; its blocks read a margin of
``margin`` samples (several filter lengths at ``minf``) on both sides, the first and
last block taking the wrapped-around samples from the other end of the recording, and
the count gate is applied to the whole image afterwards.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import feature, reassign, spectrum
from .._backend import array_namespace
from .._errors import ParameterError
from .._reassign_linear import check_grid, check_pool_axis, n_freq_bins, n_time_bins
from .._validate import is_int, positive_int
from ._optional import require

#: Filter lengths (time-domain standard deviations ``q / minf``) that a linear
#: reassignment block reads on either side: the Gaussian lines' tails there are below
#: exp(-50), beneath float64 rounding.
MARGIN_WIDTHS = 10


def _dask_array(x, func: str, name: str):
    """``x`` (the parameter ``name``) checked: a float32/float64 Dask array with samples;
    returned in native byte order with its leading axes in one chunk, and dask.array."""
    da = require("dask.array", f"sigpu.corpus.{func}")
    if not isinstance(x, da.Array):
        raise TypeError(
            f"{func}: {name} must be a dask.array.Array chunked along time (got "
            f"{type(x).__module__}.{type(x).__name__}); for an in-memory array call sigpu.{func}"
        )
    if x.dtype.kind != "f" or x.dtype.itemsize not in (4, 8):
        raise TypeError(f"{func}: {name} has dtype {x.dtype}; it must be float32 or float64")
    if x.ndim < 1 or math.isnan(x.shape[-1]) or x.shape[-1] < 1:
        raise ParameterError(
            f"{func}: {name} must have a known number n >= 1 of samples, shape (..., n)"
        )
    x = x.astype(x.dtype.newbyteorder("="), copy=False)
    return x.rechunk({axis: -1 for axis in range(x.ndim - 1)}), da


def _frames_per_block(frames_per_chunk, x, hop: int) -> int:
    if frames_per_chunk is not None:
        return positive_int(frames_per_chunk, "frames_per_chunk")
    return max(1, max(x.chunks[-1]) // hop)


def _segment(t0, t1, n, hop, n_fft, pad):
    """``(start, stop, center, first)``: the samples frames ``[t0, t1)`` read, whether
    they are analysed centred, and the index of frame ``t0`` in that analysis."""
    first_sample = t0 * hop - pad
    last_sample = (t1 - 1) * hop - pad + n_fft
    if first_sample >= 0 and last_sample <= n:
        return first_sample, last_sample, False, 0
    if first_sample < 0:  # the head: the left padding comes from x[0:pad + 1]
        return 0, min(n, max(last_sample, n_fft)), True, t0
    # the tail: frames of x[k * hop:] are frames k.. of x; frame t0 must not read the
    # tail's own left padding, and the tail must hold a whole window
    k = max(0, min(t0 - math.ceil(pad / hop), (n - n_fft) // hop))
    return k * hop, n, True, t0 - k


def _framed(x, da, analyse, plan, frames_per_chunk, *, rows, dtype):
    """The frames of ``plan`` (an STFT plan) over ``x`` of ``analyse(segment, center,
    start)`` (an array ``(..., *rows, frames)``), block by block, as one Dask array."""
    dask = require("dask", "sigpu.corpus")
    n, lead = x.shape[-1], x.shape[:-1]
    n_frames, hop, n_fft = _n_frames(plan, n), plan.hop_length, plan.n_fft
    pad = n_fft // 2 if plan.center else 0
    per_block = _frames_per_block(frames_per_chunk, x, hop)
    blocks = []
    for t0 in range(0, n_frames, per_block):
        t1 = min(n_frames, t0 + per_block)
        start, stop, center, first = _segment(t0, t1, n, hop, n_fft, pad)
        segment = x[..., start:stop]
        block = dask.delayed(_block)(analyse, segment, center, start, first, t1 - t0)
        blocks.append(
            da.from_delayed(block, shape=lead + rows + (t1 - t0,), dtype=dtype, meta=x._meta)
        )
    return da.concatenate(blocks, axis=-1)


def _block(analyse, segment, center, start, first, count):
    return analyse(segment, center, start)[..., first : first + count]


def _trial(func, real_dtype, n, **kwargs):
    """Call ``func`` on ``n`` samples of noise: bad parameters fail now, not in a task."""
    y = np.random.default_rng(0).standard_normal(n).astype(real_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(y, **kwargs)


def stft(
    y,
    *,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    dtype=None,
    pad_mode="constant",
    frames_per_chunk=None,
):
    """Short-time Fourier transform of a long recording held as a Dask array.

    Parameters
    ----------
    y : dask.array.Array, shape (..., n), float32 or float64
        The recording, chunked along time (NumPy or CuPy chunks); leading axes are
        taken whole.
    n_fft, hop_length, win_length, window, center, dtype, pad_mode
        As for :func:`sigpu.stft`.
    frames_per_chunk : int >= 1 or None
        Frames per output chunk; default: the input's largest time chunk over
        ``hop_length``.

    Returns
    -------
    D : dask.array.Array, shape (..., 1 + n_fft // 2, n_frames), complex
        Equal to ``sigpu.stft(y.compute(), ...)``, frame for frame.

    Raises
    ------
    TypeError
        ``y`` is no float32/float64 Dask array.
    sigpu.ParameterError
        Bad framing parameters, as :func:`sigpu.stft`.

    See Also
    --------
    sigpu.stft : Short-time Fourier transform (in memory).
    sigpu.corpus.melspectrogram : Mel spectrogram of a long recording.

    Notes
    -----
    Backends: NumPy and CuPy chunks.  Each output chunk is one in-memory
    :func:`sigpu.stft` call on the samples its frames read, so the values are those
    of the whole call (the frames' FFTs are computed row by row).  Reference:
    :func:`sigpu.stft` (librosa's ``stft``).

    Examples
    --------
    >>> import dask.array as da, numpy as np, sigpu, sigpu.corpus
    >>> y = np.random.default_rng(0).standard_normal(100_000).astype(np.float32)
    >>> D = sigpu.corpus.stft(da.from_array(y, chunks=30_000), n_fft=1024, hop_length=300)
    >>> D.shape, bool(np.array_equal(D.compute(), sigpu.stft(y, n_fft=1024, hop_length=300)))
    ((513, 334), True)
    """
    x, da = _dask_array(y, "stft", "y")
    plan = spectrum.STFT(
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    complex_dtype = _trial(
        spectrum.stft, x.dtype, plan.n_fft, **_plan_options(plan), center=False, dtype=dtype
    ).dtype

    def analyse(segment, centred, start):
        return spectrum.stft(segment, **_plan_options(plan), center=centred, dtype=dtype)

    return _framed(
        x,
        da,
        analyse,
        plan,
        frames_per_chunk,
        rows=(plan.n_freq,),
        dtype=complex_dtype,
    )


def _plan_options(plan) -> dict:
    return dict(
        n_fft=plan.n_fft,
        hop_length=plan.hop_length,
        win_length=plan.win_length,
        window=plan.window,
        pad_mode=plan.pad_mode,
    )


def _n_frames(plan, n: int) -> int:
    if not plan.center and plan.n_fft > n:
        raise ParameterError(
            f"n_fft={plan.n_fft} is too large for uncentered analysis of input signal of length={n}"
        )
    return plan.n_frames(n)


def melspectrogram(
    y,
    *,
    sr=22050,
    n_fft=2048,
    hop_length=512,
    win_length=None,
    window="hann",
    center=True,
    pad_mode="constant",
    power=2.0,
    n_mels=128,
    fmin=0.0,
    fmax=None,
    htk=False,
    norm="slaney",
    frames_per_chunk=None,
):
    """Mel spectrogram of a long recording held as a Dask array.

    Parameters
    ----------
    y : dask.array.Array, shape (..., n), float32 or float64
        The recording, chunked along time (NumPy or CuPy chunks).
    sr, n_fft, hop_length, win_length, window, center, pad_mode, power
        As for :func:`sigpu.melspectrogram`.
    n_mels, fmin, fmax, htk, norm
        Filter bank parameters, as for :func:`sigpu.melspectrogram`.
    frames_per_chunk : int >= 1 or None
        Frames per output chunk; default: the input's largest time chunk over
        ``hop_length``.

    Returns
    -------
    M : dask.array.Array, shape (..., n_mels, n_frames), dtype of ``y``
        The frames of ``sigpu.melspectrogram(y.compute(), ...)``.

    Raises
    ------
    TypeError
        ``y`` is no float32/float64 Dask array.
    sigpu.ParameterError
        Bad parameters, as :func:`sigpu.melspectrogram`.

    See Also
    --------
    sigpu.melspectrogram : Mel spectrogram (in memory).
    sigpu.corpus.stft : STFT of a long recording.

    Notes
    -----
    Backends: NumPy and CuPy chunks.  Each output chunk is one in-memory
    :func:`sigpu.melspectrogram` call on the samples its frames read: the frames are
    the whole call's, up to the rounding of the filter bank's product, which may take
    another summation order on a block of another size (a few float32 ulps).
    Reference: :func:`sigpu.melspectrogram` (librosa's).

    Examples
    --------
    >>> import dask.array as da, numpy as np, sigpu, sigpu.corpus
    >>> y = np.random.default_rng(0).standard_normal(100_000).astype(np.float32)
    >>> M = sigpu.corpus.melspectrogram(da.from_array(y, chunks=30_000), n_mels=64)
    >>> M.shape, M.dtype
    ((64, 196), dtype('float32'))
    """
    x, da = _dask_array(y, "melspectrogram", "y")
    options = dict(
        sr=sr,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        pad_mode=pad_mode,
        power=power,
        n_mels=n_mels,
        fmin=fmin,
        fmax=fmax,
        htk=htk,
        norm=norm,
    )
    plan = spectrum.STFT(
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    trial = _trial(feature.melspectrogram, x.dtype, plan.n_fft, center=False, **options)

    def analyse(segment, centred, start):
        return feature.melspectrogram(segment, center=centred, **options)

    return _framed(
        x,
        da,
        analyse,
        plan,
        frames_per_chunk,
        rows=(trial.shape[-2],),
        dtype=trial.dtype,
    )


def reassigned_spectrogram(
    y,
    *,
    sr=22050,
    n_fft=2048,
    hop_length=None,
    win_length=None,
    window="hann",
    center=True,
    reassign_frequencies=True,
    reassign_times=True,
    ref_power=1e-6,
    fill_nan=False,
    clip=True,
    pad_mode="constant",
    frames_per_chunk=None,
):
    """Reassigned spectrogram of a long recording held as a Dask array.

    Parameters
    ----------
    y : dask.array.Array, shape (..., n), float32 or float64
        The recording, chunked along time (NumPy or CuPy chunks).
    sr, n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`sigpu.reassigned_spectrogram`.
    reassign_frequencies, reassign_times, fill_nan, clip
        As for :func:`sigpu.reassigned_spectrogram`.
    ref_power : float >= 0 or callable
        As for :func:`sigpu.reassigned_spectrogram`; a callable (e.g. ``numpy.max``)
        is applied to the whole recording's power first, which costs one more pass.
    frames_per_chunk : int >= 1 or None
        Frames per output chunk; default: the input's largest time chunk over the hop.

    Returns
    -------
    freqs, times, mags : dask.array.Array, each shape (..., 1 + n_fft // 2, n_frames)
        The frames of ``sigpu.reassigned_spectrogram(y.compute(), ...)``.

    Raises
    ------
    TypeError
        ``y`` is no float32/float64 Dask array.
    sigpu.ParameterError
        Bad parameters, as :func:`sigpu.reassigned_spectrogram`.

    See Also
    --------
    sigpu.reassigned_spectrogram : Reassigned spectrogram (in memory).
    sigpu.corpus.linear_reassignment : Linear reassignment of a long recording.

    Notes
    -----
    Backends: NumPy and CuPy chunks.  Each output chunk is one in-memory call on the
    samples its frames read; frequencies and magnitudes are the whole call's, times
    are the block's plus the block's start time, so they may differ from the whole
    call's in the last bit (float32: about 1e-7 of the recording's duration).
    Reference: :func:`sigpu.reassigned_spectrogram` (librosa's).

    Examples
    --------
    >>> import dask.array as da, numpy as np, sigpu.corpus
    >>> y = np.cos(2 * np.pi * 1000.3 * np.arange(40_000) / 8000)
    >>> freqs, times, mags = sigpu.corpus.reassigned_spectrogram(
    ...     da.from_array(y, chunks=10_000), sr=8000, n_fft=256)
    >>> round(float(freqs[32, 60].compute()), 1)
    1000.3
    """
    x, da = _dask_array(y, "reassigned_spectrogram", "y")
    n = x.shape[-1]
    options = dict(
        sr=sr,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        reassign_frequencies=reassign_frequencies,
        reassign_times=reassign_times,
        fill_nan=fill_nan,
        pad_mode=pad_mode,
    )
    plan = spectrum.STFT(
        n_fft=n_fft, hop_length=hop_length, win_length=win_length, center=center, pad_mode=pad_mode
    )
    trial_power = ref_power if not callable(ref_power) else 0.0
    _trial(
        reassign.reassigned_spectrogram,
        x.dtype,
        plan.n_fft,
        center=False,
        clip=clip,
        ref_power=trial_power,
        **options,
    )
    framing = dict(
        plan=plan,
        frames_per_chunk=frames_per_chunk,
        rows=(3, plan.n_freq),
        dtype=x.dtype,
    )

    def analyse(segment, centred, start, power):
        xp = array_namespace(segment)
        freqs, times, mags = reassign.reassigned_spectrogram(
            segment, center=centred, clip=False, ref_power=power, **options
        )
        # the block's times count from its own start
        times = xp.astype(xp.astype(times, xp.float64) + start / sr, segment.dtype)
        return xp.stack([freqs, times, mags], axis=-3)

    if callable(ref_power):
        first = _framed(x, da, lambda s, c, t: analyse(s, c, t, 0.0), **framing)
        ref_power = float(ref_power(first[..., 2, :, :] ** 2))
    stacked = _framed(x, da, lambda s, c, t: analyse(s, c, t, ref_power), **framing)
    freqs, times, mags = (stacked[..., i, :, :] for i in range(3))
    if clip:  # on the whole: a block's own end is not the recording's
        freqs = da.minimum(da.maximum(freqs, 0.0), sr / 2.0)
        times = da.minimum(da.maximum(times, 0.0), n / sr)
    return freqs, times, mags


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
    frames_per_chunk=None,
    margin=None,
):
    """Linear reassignment (spectral hyperresolution) of a long recording.

    Parameters
    ----------
    x : dask.array.Array, shape (..., n), float32 or float64
        The recording, chunked along time (NumPy or CuPy chunks).
    q, tdeci, over, noct, minf, maxf, sr, count_gate, pool_axis, deterministic
        As for :func:`sigpu.linear_reassignment` (``pool_axis``: a leading axis whose
        recordings are pooled before the count gate).
    return_counts : bool
        Also return the pre-gate energy and the point counts.
    frames_per_chunk : int >= 1 or None
        Frames (of ``tdeci`` samples) per output chunk; default: the input's largest
        time chunk over ``tdeci``, at least four margins.
    margin : int >= 1 or None
        Samples read on either side of a chunk (rounded up to a multiple of
        ``tdeci``); default ``MARGIN_WIDTHS * q / minf``, ten filter lengths of the
        lowest line.

    Returns
    -------
    H : dask.array.Array, shape (..., n_freq, n_frames), dtype of ``x``
        The image of ``sigpu.linear_reassignment(x.compute(), ...)``.
    H_pre : dask.array.Array, same shape and dtype (only with ``return_counts``)
        Energy before the count gate.
    counts : dask.array.Array, same shape, int64 (only with ``return_counts``)
        Number of points in each bin.

    Raises
    ------
    TypeError
        ``x`` is no float32/float64 Dask array.
    sigpu.ParameterError
        Bad parameters, as :func:`sigpu.linear_reassignment`.

    See Also
    --------
    sigpu.linear_reassignment : Linear reassignment (in memory).
    sigpu.corpus.reassigned_spectrogram : Reassigned spectrogram of a long recording.

    Notes
    -----
    Backends: NumPy and CuPy chunks.  The in-memory call filters the whole signal
    circularly; a chunk here filters its samples and ``margin`` on either side, the
    first and last chunk taking theirs from the other end of the recording (the
    circular neighbours), so each point lands where it does in the whole call.  The
    filters' tails beyond the margin (below exp(-50) by default) and the FFT's
    rounding on another length are the differences; a point on a bin's edge may land
    in its neighbour.  The count gate is applied to the whole (pooled) image.  Reference:
    :func:`sigpu.linear_reassignment` (Gardner & Magnasco 2006).

    Examples
    --------
    >>> import dask.array as da, numpy as np, sigpu.corpus
    >>> n = np.arange(40_000)
    >>> x = np.cos(2 * np.pi * 0.1 * n) + 1e-3 * np.sin(0.37 * n**1.5)
    >>> H = sigpu.corpus.linear_reassignment(
    ...     da.from_array(x, chunks=10_000), tdeci=100, minf=0.05, maxf=0.4)
    >>> H.shape
    (37, 400)
    """
    x, da = _dask_array(x, "linear_reassignment", "x")
    options = dict(q=q, tdeci=tdeci, over=over, noct=noct, minf=minf, maxf=maxf, sr=sr)
    _trial(reassign.linear_reassignment, x.dtype, 64, count_gate=count_gate, **options)
    axis = check_pool_axis(pool_axis, x.ndim)
    tdeci, _, _, minf_cycles, maxf_cycles = check_grid(
        tdeci=tdeci, over=over, noct=noct, minf=minf, maxf=maxf, sr=sr
    )
    if margin is None:
        margin = math.ceil(MARGIN_WIDTHS * float(q) / minf_cycles)
    elif not is_int(margin) or margin < 1:
        raise ParameterError(f"margin={margin!r} must be a positive integer (samples)")
    margin = tdeci * -(-int(margin) // tdeci)
    if frames_per_chunk is None:
        core = max(max(x.chunks[-1]), 4 * margin)
        frames_per_chunk = max(1, core // tdeci)
    core = tdeci * positive_int(frames_per_chunk, "frames_per_chunk")
    if core < margin:
        raise ParameterError(
            f"frames_per_chunk={frames_per_chunk!r} gives chunks of {core} samples; they must "
            f"be at least margin={margin} samples"
        )
    n = x.shape[-1]
    rows = (n_freq_bins(noct, minf_cycles, maxf_cycles),)
    lead = x.shape[:-1]

    def histogram(segment, keep):
        _, energy, counts = reassign.linear_reassignment(
            segment, count_gate=None, return_counts=True, deterministic=deterministic, **options
        )
        xp = array_namespace(segment)
        return xp.stack([xp.astype(energy, xp.float64), xp.astype(counts, xp.float64)])[..., keep]

    dask = require("dask", "sigpu.corpus")
    blocks = []
    for segment, keep in _circular_blocks(x, da, n, core, margin, tdeci):
        frames = keep.stop - keep.start
        block = dask.delayed(histogram)(segment, keep)
        blocks.append(
            da.from_delayed(
                block, shape=(2,) + lead + rows + (frames,), dtype=np.float64, meta=x._meta
            )
        )
    energy, counts = da.concatenate(blocks, axis=-1)
    if axis is not None:
        energy, counts = energy.sum(axis=axis), counts.sum(axis=axis)
    H = energy
    if count_gate is not None:
        if count_gate == "sqrt_max":
            gate = da.sqrt(counts.max(axis=(-2, -1), keepdims=True))
        else:
            gate = float(count_gate)
        H = da.where(counts >= gate, energy, 0.0)
    if return_counts:  # counts summed in float64: exact below 2**53
        return H.astype(x.dtype), energy.astype(x.dtype), counts.astype(np.int64)
    return H.astype(x.dtype)


def _circular_blocks(x, da, n, core, margin, tdeci):
    """``(segment, frames kept)`` of each chunk ``[start, start + core)``: its
    samples with ``margin`` more on either side, as the circular filter sees them (the
    chunks are at least ``margin`` long)."""
    if n <= core + 2 * margin:  # one block: the whole recording
        yield x, slice(0, n_time_bins(n, tdeci))
        return
    skip = margin // tdeci
    for start in range(0, n, core):
        stop = min(n, start + core)
        frames = n_time_bins(stop - start, tdeci)
        if start == 0:  # x[0] stays at 0: points before it drop out as in the whole call
            segment = da.concatenate([x[..., : stop + margin], x[..., n - margin :]], axis=-1)
            yield segment, slice(0, frames)
        elif stop == n:  # x[n - 1] ends the block: points past the end drop out
            segment = da.concatenate([x[..., :margin], x[..., start - margin :]], axis=-1)
            yield segment, slice(2 * skip, 2 * skip + frames)
        elif stop + margin <= n:
            yield x[..., start - margin : stop + margin], slice(skip, skip + frames)
        else:  # the right margin wraps around; its points land in frames not kept
            segment = da.concatenate(
                [x[..., start - margin :], x[..., : stop + margin - n]], axis=-1
            )
            yield segment, slice(skip, skip + frames)
