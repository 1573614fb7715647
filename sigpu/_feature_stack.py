"""Features of feature sequences: derivatives (delta), time-delay stacking, PCEN.

librosa computes these with loops or recurrences (``scipy.signal.savgol_filter``,
``scipy.signal.lfilter``); here they are whole-array operations on both backends:

* delta: a Savitzky-Golay derivative is linear, so the interior is ``width`` shifted
  multiply-adds and each edge ('interp') one small matrix product.
* PCEN's smoother ``s[n] = b x[n] + (1 - b) s[n - 1]`` is solved in blocks of ``L``
  frames: inside a block by one product with the lower-triangular Toeplitz matrix of
  the impulse response, across blocks by a second (much smaller) product carrying each
  block's end state forward, so no step runs frame by frame.
"""

from __future__ import annotations

import math

import numpy as np

from . import _warnings
from ._backend import device_of, on_input_device
from ._cache import host_table, on_device
from ._errors import ParameterError
from ._frame_features import axis_index
from ._validate import (
    finite_float,
    finite_or_unchecked,
    float_or_complex_array,
    is_int,
    native_array,
    nonnegative_float,
    one_of,
    positive_float,
    positive_int,
    real_array,
)

__all__ = ["delta", "stack_memory", "pcen"]


# ---------------------------------------------------------------------------
# delta: Savitzky-Golay derivatives
# ---------------------------------------------------------------------------


def _fit_then_derive(positions, eval_at, polyorder, deriv):
    """``E (len(eval_at), len(positions))``: the ``deriv``-th derivative, at ``eval_at``,
    of the degree-``polyorder`` least-squares polynomial through samples at ``positions``."""
    powers = np.arange(polyorder + 1)
    fit = np.linalg.pinv(positions[:, None] ** powers)  # samples -> coefficients
    # d^deriv/dx^deriv x^k = k!/(k-deriv)! x^(k-deriv)
    falling = np.array([math.perm(k, deriv) for k in powers], dtype=np.float64)
    exponent = np.maximum(powers - deriv, 0)
    derive = falling * eval_at[:, None] ** exponent
    return derive @ fit


@host_table
def _savgol_tables(width, polyorder, deriv):
    """(centre weights (width,), left edge (half, width), right edge (half, width)).

    Positions are centred on each window (better conditioned); the interior output is
    ``sum_j w[j] x[i - half + j]``; the edges evaluate the fit of the first / last
    ``width`` samples at the first / last ``half`` positions (scipy's mode='interp').
    """
    half = width // 2
    positions = np.arange(width, dtype=np.float64) - half
    centre = _fit_then_derive(positions, np.zeros(1), polyorder, deriv)[0]
    left = _fit_then_derive(positions, positions[:half], polyorder, deriv)
    right = _fit_then_derive(positions, positions[width - half :], polyorder, deriv)
    return centre, left, right


_DELTA_MODES = ("interp", "mirror", "constant", "nearest", "wrap")
# scipy.ndimage's boundary modes as numpy.pad modes
_NDIMAGE_TO_PAD = {"mirror": "reflect", "constant": "constant", "nearest": "edge", "wrap": "wrap"}


@on_input_device
def delta(data, *, width=9, order=1, axis=-1, mode="interp", **kwargs):
    """Local estimate of the ``order``-th derivative of ``data`` along ``axis``.

    A Savitzky-Golay filter: at each point, the ``order``-th derivative of the
    least-squares polynomial of degree ``polyorder`` through the ``width`` samples around
    it.

    Parameters
    ----------
    data : array, shape (..., T), float32/float64
        Feature sequence (NumPy or CuPy), e.g. MFCCs ``(..., n_mfcc, T)``.
    width : odd int >= 3
        Window length (at most ``data.shape[axis]`` for ``mode="interp"``).
    order : int > 0
        Derivative order.
    axis : int
        Axis along which to differentiate (default: time, the last).
    mode : {"interp", "mirror", "constant", "nearest", "wrap"}
        Edge handling as ``scipy.signal.savgol_filter``: ``"interp"`` fits a polynomial
        to the first and last ``width`` samples; the others extend the data as
        ``scipy.ndimage`` does.
    **kwargs
        ``polyorder`` (int, ``order <= polyorder < width``; default ``order``) and
        ``cval`` (fill value for ``mode="constant"``, default 0).

    Returns
    -------
    delta_data : array, shape of ``data``, dtype of ``data``

    See Also
    --------
    sigpu.feature.stack_memory : Time-delay embedding of a feature sequence.
    sigpu.mfcc : The usual input.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.delta`` (``scipy.signal.savgol_filter``
    with ``deriv=order``); the filter weights are least-squares fits built on the host.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> ramp = np.arange(20, dtype=np.float64) * 3.0
    >>> np.allclose(sigpu.feature.delta(ramp), 3.0)
    True
    """
    bad = set(kwargs) - {"polyorder", "cval"}
    if bad:
        raise TypeError(f"delta() got unexpected keyword argument(s) {sorted(bad)}")
    xp = real_array(data, "data", func="delta")
    axis = axis_index(axis, data.ndim)
    mode = one_of(mode, "mode", _DELTA_MODES)
    width = positive_int(width, "width")
    if width < 3 or width % 2 != 1:
        raise ParameterError(f"width={width} must be an odd integer >= 3")
    order = positive_int(order, "order")
    polyorder = positive_int(kwargs.get("polyorder", order), "polyorder")
    if not order <= polyorder < width:
        raise ParameterError(
            f"polyorder={polyorder} must be at least order={order} and less than width={width}"
        )
    cval = finite_float(kwargs.get("cval", 0.0), "cval")
    n = data.shape[axis]
    if mode == "interp" and width > n:
        raise ParameterError(
            f"when mode='interp', width={width} cannot exceed data.shape[axis]={n}"
        )
    centre, left, right = _savgol_tables(width, polyorder, order)
    x = xp.moveaxis(data, axis, -1)
    out = _savgol(x, centre, left, right, mode, cval, xp)
    return xp.moveaxis(out, -1, axis)


def _savgol(x, centre, left, right, mode, cval, xp):
    width, half, n = centre.shape[0], centre.shape[0] // 2, x.shape[-1]
    weights = on_device(centre, xp, x.dtype, device_of(x))
    if mode == "interp":
        padded = x
    else:
        pad = ((0, 0),) * (x.ndim - 1) + ((half, half),)
        extra = {"constant_values": cval} if mode == "constant" else {}
        padded = xp.pad(x, pad, mode=_NDIMAGE_TO_PAD[mode], **extra)
    count = padded.shape[-1] - width + 1
    # width shifted multiply-adds: no (T, width) window matrix in memory
    inner = weights[0] * padded[..., :count]
    for j in range(1, width):
        inner = inner + weights[j] * padded[..., j : j + count]
    if mode != "interp":
        return inner
    head = xp.matmul(x[..., :width], on_device(left, xp, x.dtype, device_of(x)).T)
    tail = xp.matmul(x[..., n - width :], on_device(right, xp, x.dtype, device_of(x)).T)
    return xp.concat([head, inner, tail], axis=-1)


# ---------------------------------------------------------------------------
# stack_memory
# ---------------------------------------------------------------------------

_STACK_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


@on_input_device
def stack_memory(data, *, n_steps=2, delay=1, **kwargs):
    """Time-delay embedding: ``data`` stacked with ``n_steps - 1`` delayed copies of itself.

    Block ``i`` of the output (rows ``i d .. (i + 1) d - 1``) is ``data`` delayed by
    ``i * delay`` frames (advanced for negative ``delay``), padded at the edge.

    Parameters
    ----------
    data : array, shape (..., d, T), float32/float64
        Feature sequence (a 1-D ``(T,)`` input is treated as ``(1, T)``).
    n_steps : int > 0
        Number of copies (including the undelayed one).
    delay : int != 0
        Frames between copies; negative values look ahead.
    **kwargs
        ``mode`` (``numpy.pad`` mode: "constant" (default), "edge", "reflect",
        "symmetric", "wrap") and ``constant_values`` (default 0).

    Returns
    -------
    data_history : array, shape (..., d * n_steps, T), dtype of ``data``

    See Also
    --------
    sigpu.feature.delta : Derivatives of a feature sequence.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.feature.stack_memory``.

    Examples
    --------
    >>> import numpy as np, sigpu.feature
    >>> sigpu.feature.stack_memory(np.arange(1.0, 5.0), n_steps=2).tolist()
    [[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 2.0, 3.0]]
    """
    bad = set(kwargs) - {"mode", "constant_values"}
    if bad:
        raise TypeError(f"stack_memory() got unexpected keyword argument(s) {sorted(bad)}")
    xp = real_array(data, "data", func="stack_memory")
    data = native_array(data)  # the result is allocated in data's dtype: a native one
    n_steps = positive_int(n_steps, "n_steps")
    if not is_int(delay) or delay == 0:
        raise ParameterError(f"delay={delay!r} must be a non-zero integer")
    delay = int(delay)
    mode = one_of(kwargs.get("mode", "constant"), "mode", _STACK_PAD_MODES)
    fill = finite_float(kwargs.get("constant_values", 0), "constant_values")
    if data.ndim == 1:
        data = data[None, :]
    t = data.shape[-1]
    if t < 1:
        raise ParameterError(f"stack_memory needs at least one frame; data.shape={data.shape}")
    span = (n_steps - 1) * abs(delay)
    if mode not in ("constant", "edge") and span > 100 * t:
        raise ParameterError(
            f"n_steps={n_steps} and delay={delay} {mode}-pad {span} frames onto {t}; "
            "use mode='constant' or 'edge' for shifts that long"
        )
    d = data.shape[-2]
    # allocated first: an impossible n_steps fails here (MemoryError), before any loop
    history = xp.empty(data.shape[:-2] + (d * n_steps, t), dtype=data.dtype)
    blocks = [history[..., i * d : (i + 1) * d, :] for i in range(n_steps)]
    if mode in ("constant", "edge"):
        # each copy written in place: its shifted data and its padding, no padded array
        # (the sub-millisecond calls of a feature pipeline are mostly such overhead)
        for i, block in enumerate(blocks):
            _write_shifted(block, data, min(i * abs(delay), t), delay > 0, mode, fill)
        return history
    pad = ((0, 0),) * (data.ndim - 1) + (((span, 0) if delay > 0 else (0, span)),)
    padded = xp.pad(data, pad, mode=mode)
    for i, block in enumerate(blocks):  # copy i is the input shifted by i * delay frames
        start = span - i * abs(delay) if delay > 0 else i * abs(delay)
        block[...] = padded[..., start : start + t]
    return history


def _write_shifted(block, data, shift, delayed, mode, fill):
    """``block[..., :]`` = ``data`` delayed (``delayed``) or advanced by ``shift <= T``
    frames, the vacated frames filled with ``fill`` ("constant") or the edge frame
    ("edge")."""
    t = data.shape[-1]
    if delayed:
        kept, vacated, edge = slice(shift, t), slice(0, shift), data[..., :1]
        block[..., kept] = data[..., : t - shift]
    else:
        kept, vacated, edge = slice(0, t - shift), slice(t - shift, t), data[..., -1:]
        block[..., kept] = data[..., shift:]
    if shift:
        block[..., vacated] = fill if mode == "constant" else edge


# ---------------------------------------------------------------------------
# PCEN
# ---------------------------------------------------------------------------


def _block_length(n_frames):
    """Frames per block: about sqrt(T), so that the in-block and across-block products
    cost about the same (at least 16, at most 256)."""
    return int(min(256, max(16, math.ceil(math.sqrt(n_frames)))))


@host_table
def _smoother_tables(b, block, n_blocks):
    """Tables of ``s[n] = b x[n] + a s[n - 1]`` (``a = 1 - b``) in blocks of ``block``:

    * ``response (block + 1, block)``: rows ``k < block`` hold ``b a**(i - k)`` for
      ``k <= i``, a block's response at frame ``i`` to its own input at frame ``k`` from a
      zero state; the last row holds ``a**i``, the share at frame ``i`` of the state
      entering the block (its first frame gets ``a * s[-1]``: see below).  One product
      with a block's inputs followed by its entering state gives the block's output;
    * ``carry (n_blocks, n_blocks)``: ``a**(block (j - 1 - m) + 1)`` for ``m < j``: the
      state entering block ``j`` from block ``m``'s last in-block value;
    * ``initial (n_blocks,)``: ``a**(block j)``, the share of the first state there.

    States are lfilter's: ``z = a s[n]`` enters the next frame as ``s = b x + z``.
    """
    a = 1.0 - b
    lag = np.subtract.outer(np.arange(block), np.arange(block))
    within = np.where(lag >= 0, b * a ** np.maximum(lag, 0), 0.0)
    decay = a ** np.arange(block, dtype=np.float64)
    response = np.concatenate([within.T, decay[None, :]], axis=0)
    gap = np.subtract.outer(np.arange(n_blocks), np.arange(n_blocks)) - 1
    carry = np.where(gap >= 0, a ** (block * np.maximum(gap, 0) + 1.0), 0.0)
    initial = a ** (block * np.arange(n_blocks, dtype=np.float64))
    return response, carry, initial


def _smooth(x, zi, b, xp):
    """``scipy.signal.lfilter([b], [1, b - 1], x, zi=zi, axis=-1)`` for ``x (..., T)``:
    (smoothed, final state); the smoothed array is a new one the caller may overwrite."""
    n_frames = x.shape[-1]
    if n_frames == 0:  # nothing to smooth, and no final state
        return xp.zeros(x.shape, dtype=x.dtype), xp.zeros(x.shape, dtype=x.dtype)
    block = _block_length(n_frames)
    n_blocks = -(-n_frames // block)
    tables = _smoother_tables(b, block, n_blocks)
    response, carry, initial = (on_device(t, xp, x.dtype, device_of(x)) for t in tables)
    lead = x.shape[:-1]
    # A NaN or inf would reach earlier frames through the zeros of the block products
    # (0 * inf = NaN): then the products see finite values, and every frame from the first
    # non-finite one on is NaN (x * 0 is NaN exactly there; its running sum keeps it).
    # Looked for once (one synchronisation on CuPy; none under check_finite(False)).
    poison = None
    if not finite_or_unchecked(x):
        poison = xp.cumsum(x * 0, axis=-1)
        x = xp.where(xp.isfinite(x), x, xp.zeros_like(x))
    # each row of ``rows``: one block's inputs (zero past the last frame), then the state
    # entering it; 2-D, so that each product below is one GEMM, not one per batch item
    n_rows = math.prod(lead)
    rows = xp.zeros((n_rows * n_blocks, block + 1), dtype=x.dtype)
    blocks = xp.reshape(rows, (n_rows, n_blocks, block + 1))  # a view of rows
    x = xp.reshape(x, (n_rows, n_frames))
    full, rest = divmod(n_frames, block)
    blocks[:, :full, :block] = xp.reshape(x[:, : full * block], (n_rows, full, block))
    if rest:
        blocks[:, full, :rest] = x[:, full * block :]
    last = xp.matmul(rows[:, :block], response[:block, -1])  # zero-state block ends
    last = xp.reshape(last, (-1, n_blocks))
    zi = xp.reshape(xp.broadcast_to(zi, lead + (1,)), (-1, 1))
    rows[:, block] = xp.reshape(xp.matmul(last, carry.T) + zi * initial, (-1,))
    smooth = xp.reshape(xp.matmul(rows, response), lead + (n_blocks * block,))
    # contiguous (a copy when the last block is partial): the pointwise steps after this
    # run several times faster on contiguous memory (SIMD loops)
    smooth = xp.ascontiguousarray(smooth[..., :n_frames])
    if poison is not None:
        smooth += poison
    return smooth, (1.0 - b) * smooth[..., -1:]


def _max_filter(S, size, axis, xp):
    """``scipy.ndimage.maximum_filter1d(S, size, axis=axis)``: window
    ``[i - size // 2, i + (size - 1) // 2]``, edges extended by ndimage's 'reflect'."""
    moved = xp.moveaxis(S, axis, -1)
    n = moved.shape[-1]
    padded = _reflect(moved, size // 2, (size - 1) // 2, xp)
    out = padded[..., :n]
    for j in range(1, size):
        out = xp.maximum(out, padded[..., j : j + n])
    return xp.moveaxis(out, -1, axis)


def _reflect(x, before, after, xp):
    """``x`` extended by ndimage's 'reflect' (d c b a | a b c d | d c b a | ...), also
    where the extension is longer than ``x``: one gather."""
    n = x.shape[-1]
    period = np.mod(np.arange(-before, n + after), 2 * n)
    index = np.where(period < n, period, 2 * n - 1 - period)
    return xp.take(x, xp.asarray(index), axis=-1)


def _pcen_b(b, time_constant, sr, hop_length):
    if b is not None:
        b = finite_float(b, "b")
        if not 0.0 <= b <= 1.0:
            raise ParameterError(f"b={b} must be between 0 and 1")
        return b
    t_frames = time_constant * sr / float(hop_length)
    # librosa solves b**2 + (1 - b) / t_frames - 2 = 0 (the full width at half maximum of
    # the squared response of the low-pass filter): b = (sqrt(1 + 4 t**2) - 1) / (2 t**2),
    # written without cancellation or overflow for very small or large t_frames
    return 2.0 / (math.hypot(1.0, 2.0 * t_frames) + 1.0)


@on_input_device
def pcen(
    S,
    *,
    sr=22050,
    hop_length=512,
    gain=0.98,
    bias=2,
    power=0.5,
    time_constant=0.400,
    eps=1e-6,
    b=None,
    max_size=1,
    ref=None,
    axis=-1,
    max_axis=None,
    zi=None,
    return_zf=False,
):
    """Per-channel energy normalisation: automatic gain control and root compression.

    ``M = lfilter([b], [1, b - 1], ref)`` smooths ``ref`` (default ``S``) along ``axis``;
    then ``P = (S / (eps + M)**gain + bias)**power - bias**power`` (computed in log space
    as librosa does).

    Parameters
    ----------
    S : array, shape (..., F, T), float32/float64 (complex: its magnitude, with a warning)
        Non-negative (mel) magnitude spectrogram, NumPy or CuPy.
    sr : float > 0
        Sampling rate of the signal.
    hop_length : int > 0
        Hop between frames of ``S``.
    gain : float >= 0
        Exponent of the gain normalisation (``alpha``).
    bias : float >= 0
        Offset of the compression (``delta``).
    power : float >= 0
        Compression exponent (``r``); 0 gives ``log1p``.
    time_constant : float > 0
        Smoother time constant in seconds.
    eps : float > 0
        Floor of the smoothed energy (at least the dtype's smallest normal number).
    b : float in [0, 1], optional
        Smoother coefficient (default: from ``time_constant``, ``sr``, ``hop_length``).
    max_size : int > 0
        Width of a maximum filter along ``max_axis`` applied to ``S`` to make ``ref``.
    ref : array, shape of ``S``, optional
        The smoothed reference (overrides ``max_size``).
    axis : int
        Time axis.
    max_axis : int, optional
        Frequency axis of the maximum filter (needed unless ``S`` is 2-D).
    zi : array, optional
        Initial smoother state, broadcastable to ``S`` with 1 along ``axis`` (default:
        the steady state of a constant input 1, as librosa).
    return_zf : bool
        Also return the final state (to continue on the next block of frames).

    Returns
    -------
    P : array, shape of ``S``, float dtype of ``S``
    zf : array, shape of ``S`` with 1 along ``axis``
        Only with ``return_zf=True``.

    See Also
    --------
    sigpu.melspectrogram : The usual input (with ``power=1``).

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.pcen`` (Wang et al., 2017; Lostanlen et al., 2019).
    The first-order recurrence runs as two matrix products (blocks of about sqrt(T)
    frames) instead of ``scipy.signal.lfilter``'s frame-by-frame loop.  A NaN or inf in
    ``ref`` makes its frame and all later ones NaN, as the recurrence carries it; finding
    one is a device-to-host check on CuPy (skipped under ``sigpu.check_finite(False)``,
    where it also reaches earlier frames of its block).

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> M = sigpu.melspectrogram(y, sr=22050, power=1.0)
    >>> P = sigpu.pcen(M * (2**31), sr=22050)
    >>> P.shape, P.dtype
    ((128, 44), dtype('float32'))
    """
    xp = float_or_complex_array(S, "S", func="pcen")
    power = nonnegative_float(power, "power")
    gain = nonnegative_float(gain, "gain")
    bias = nonnegative_float(bias, "bias")
    eps = positive_float(eps, "eps")
    time_constant = positive_float(time_constant, "time_constant")
    sr = positive_float(sr, "sr")
    hop_length = positive_int(hop_length, "hop_length")
    max_size = positive_int(max_size, "max_size")
    axis = axis_index(axis, S.ndim)
    if not isinstance(return_zf, (bool, np.bool_)):
        raise TypeError(f"return_zf={return_zf!r} must be True or False")
    b = _pcen_b(b, time_constant, sr, hop_length)
    if xp.isdtype(S.dtype, "complex floating"):
        _warnings.warn(
            "pcen was called on complex input so phase information will be discarded. "
            "To suppress this warning, call pcen(np.abs(D)) instead."
        )
        S = xp.abs(S)
    ref = _pcen_reference(S, ref, max_size, axis, max_axis, xp)
    x = xp.moveaxis(ref, axis, -1)
    if zi is None:
        state = xp.asarray(1.0 - b, dtype=S.dtype)  # lfilter_zi of the smoother
    else:
        real_array(zi, "zi", func="pcen")
        state = _initial_state(zi, S.shape, axis, xp)
    smooth, zf = _smooth(x, state, b, xp)
    smooth = xp.moveaxis(smooth, -1, axis)
    out = _compress(S, smooth, gain, bias, power, eps, xp)
    if return_zf:
        return out, xp.moveaxis(zf, -1, axis)
    return out


def _pcen_reference(S, ref, max_size, axis, max_axis, xp):
    if ref is not None:
        real_array(ref, "ref", func="pcen")
        if ref.shape != S.shape:
            raise ParameterError(f"ref has shape {tuple(ref.shape)}; S has {tuple(S.shape)}")
        return xp.astype(ref, S.dtype)
    if max_size == 1:
        return S
    if S.ndim == 1:
        raise ParameterError("max_size > 1: max-filtering cannot be applied to a 1-D S")
    if max_axis is None:
        if S.ndim != 2:
            raise ParameterError(
                f"S has {S.ndim} dimensions: max_size > 1 needs max_axis (its frequency axis)"
            )
        max_axis = 1 - axis  # the other axis of a 2-D S
    max_axis = axis_index(max_axis, S.ndim, "max_axis")
    return _max_filter(S, max_size, max_axis, xp)


def _initial_state(zi, shape, axis, xp):
    """``zi`` broadcast to ``S``'s shape with 1 along ``axis``, time moved last."""
    target = list(shape)
    target[axis] = 1
    try:
        full = xp.broadcast_to(zi, tuple(target))
    except ValueError:
        raise ParameterError(
            f"zi has shape {tuple(zi.shape)}; it must broadcast to {tuple(target)}"
        ) from None
    return xp.moveaxis(full, axis, -1)  # (..., 1): one state per row


def _compress(S, smooth, gain, bias, power, eps, xp):
    """PCEN's pointwise step, computed in place in ``smooth`` (a temporary of the
    caller's): each step one pass over memory, no new arrays."""
    # 1 / (eps + M)**gain in log space, as librosa; log(eps + M) directly (librosa's
    # log(eps) + log1p(M / eps) overflows M / eps for tiny eps; both round alike), at
    # least the dtype's smallest normal number (an eps below it rounds to 0 in float32)
    out = smooth
    xp.add(out, eps, out=out)
    xp.maximum(out, np.finfo(S.dtype).tiny, out=out)
    xp.log(out, out=out)
    if power != 0 and bias == 0:  # exp(power (log S - gain log(eps + M)))
        xp.multiply(out, -gain, out=out)
        xp.add(out, xp.log(S), out=out)
        xp.multiply(out, power, out=out)
        return xp.exp(out, out=out)
    xp.multiply(out, -gain, out=out)
    xp.exp(out, out=out)  # the gain: 1 / (eps + M)**gain
    xp.multiply(out, S, out=out)
    if power == 0:
        return xp.log1p(out, out=out)
    # bias**power * ((1 + S gain / bias)**power - 1), without cancellation for small S
    xp.divide(out, bias, out=out)
    xp.log1p(out, out=out)
    xp.multiply(out, power, out=out)
    xp.expm1(out, out=out)
    return xp.multiply(out, bias**power, out=out)
