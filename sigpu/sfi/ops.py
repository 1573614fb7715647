"""SFI encoder/decoder ops (strided convolution and its exact adjoint) and layer geometry.

``encode`` is a strided convolution (PyTorch ``conv1d`` with the time-reversed weights),
``decode`` its adjoint (``conv_transpose1d``).  Both are one batched GEMM on a strided
frame view (cuBLAS on CuPy) plus, for ``decode``, an overlap-add written as
``ceil(K / S)`` shifted slice additions, so no kernel is needed on either backend.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .._backend import array_namespace, frames, on_input_device
from .._errors import ParameterError
from .._validate import nonnegative_int, one_of, positive_float, positive_int, real_array

__all__ = ["scaled_geometry", "encode", "decode"]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


ROUNDINGS = ("floor", "round", "error")


def scaled_geometry(sr, *, train_sr, kernel_size, stride, rounding: str = "floor"):
    """Kernel size, stride and padding of an SFI layer at ``sr`` (fixed durations in s).

    ``K = kernel_size * sr / train_sr``, ``S = stride * sr / train_sr`` rounded per
    ``rounding``, ``padding = (K - S) // 2``.  Exact rational arithmetic is used, so e.g.
    ``160 * 8000 / 32000`` is exactly 40.

    Parameters
    ----------
    sr : float
        Sampling rate in Hz of the input, > 0.
    train_sr : float
        Rate at which ``kernel_size`` and ``stride`` are given, > 0.
    kernel_size, stride : int
        Kernel length and hop at ``train_sr`` (``stride <= kernel_size``).
    rounding : {"floor", "round", "error"}
        ``"floor"``: Python ``int()`` truncation (reference code); ``"round"``: nearest
        integer, halves rounded up; ``"error"``: ParameterError unless both are integers
        (``sr`` a multiple of ``train_sr / gcd`` ..., e.g. 400 Hz for 80 samples at 32 kHz).

    Returns
    -------
    numtaps, stride, padding : int

    See Also
    --------
    encode : Filter-bank encoder (strided convolution).
    decode : Decoder: the adjoint of encode.

    Notes
    -----
    Backend independent.  Reference: ``model/tasnet.py`` of
    TomohikoNakamura/sfi_convtasnet (5 ms kernels, 2.5 ms hops: 160/80 at 32 kHz).

    Examples
    --------
    >>> from sigpu.sfi import scaled_geometry
    >>> scaled_geometry(44100, train_sr=32000, kernel_size=160, stride=80)
    (220, 110, 55)
    """
    sr = positive_float(sr, "sr")
    train_sr = positive_float(train_sr, "train_sr")
    kernel_size = positive_int(kernel_size, "kernel_size")
    stride = positive_int(stride, "stride")
    one_of(rounding, "rounding", ROUNDINGS)
    if stride > kernel_size:
        raise ParameterError(f"stride={stride} must be <= kernel_size={kernel_size}")
    ratio = Fraction(sr) / Fraction(train_sr)
    sizes = []
    for name, value in (("kernel_size", kernel_size), ("stride", stride)):
        exact = value * ratio
        if rounding == "error" and exact.denominator != 1:
            raise ParameterError(
                f"{name}={value} at train_sr={train_sr:g} gives {float(exact):g} samples at "
                f"sr={sr:g}, not an integer (rounding='error'); use rounding='floor' or 'round'"
            )
        scaled = math.floor(exact + Fraction(1, 2)) if rounding == "round" else math.floor(exact)
        if scaled < 1:
            raise ParameterError(
                f"{name}={value} at train_sr={train_sr:g} gives {float(exact):g} < 1 sample "
                f"at sr={sr:g}"
            )
        sizes.append(int(scaled))
    numtaps, hop = sizes
    return numtaps, hop, (numtaps - hop) // 2


def _check_weights(weights, xp_signal, dtype, func: str):
    xp = real_array(weights, "weights", func=func, min_ndim=1)
    if weights.ndim != 2:
        raise ParameterError(f"{func}: weights must have shape (F, K), got {weights.shape}")
    if min(weights.shape) < 1:
        raise ParameterError(
            f"{func}: weights must have at least one filter and one tap (F, K >= 1), "
            f"got shape {weights.shape}"
        )
    array_namespace(weights, xp_signal.zeros(0), func=func)  # mixed NumPy/CuPy -> TypeError
    return xp.astype(weights, dtype, copy=False)


@on_input_device
def encode(x, weights, *, stride, padding):
    """SFI encoder: strided convolution of every signal with every filter.

    ``y[..., f, m] = sum_k weights[f, k] x_pad[..., m S + K - 1 - k]`` with ``x_pad`` the
    signal zero-padded by ``padding`` on both sides, i.e.
    ``scipy.signal.convolve(x_pad, weights[f], "valid")[::stride]``.

    Parameters
    ----------
    x : array, shape (..., n), float32 or float64
    weights : array, shape (F, K)
        Convolution order (as returned by the weight designers); cast to ``x``'s dtype.
    stride : int
        Hop S >= 1 between frames.
    padding : int
        Zeros added on each side, >= 0.

    Returns
    -------
    y : array, shape (..., F, n_frames)
        ``n_frames = (n + 2 padding - K) // S + 1``.  A transposed view of a frames-major
        ``(..., n_frames, F)`` buffer (one GEMM, no extra copy); :func:`decode` consumes it
        without copying.  Use ``xp.ascontiguousarray`` if you need C order.

    See Also
    --------
    decode : Decoder: the adjoint of encode.
    time_domain_weights : Convolution weights sampled in time.
    scaled_geometry : Kernel size, stride and padding at a sampling rate.

    Notes
    -----
    Backends: NumPy and CuPy (one batched GEMM over a frame view).  Equals PyTorch
    ``conv1d(x[:, None], torch_weight, stride=S, padding=padding)`` with
    ``torch_weight = weights[:, None, ::-1]`` (shape (F, 1, K)).  Reference: the SFI
    encoder of TomohikoNakamura/sfi_convtasnet (without its ReLU).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.sfi import encode
    >>> x = np.random.default_rng(0).standard_normal((2, 32000))
    >>> encode(x, np.ones((4, 40)), stride=20, padding=10).shape
    (2, 4, 1600)
    """
    func = "encode"
    xp = real_array(x, "x", func=func, min_ndim=1)
    weights = _check_weights(weights, xp, x.dtype, func)
    stride = positive_int(stride, "stride")
    padding = nonnegative_int(padding, "padding")
    n_filters, numtaps = weights.shape
    n = x.shape[-1]
    if n + 2 * padding < numtaps:
        raise ParameterError(
            f"{func}: x has {n} samples; needs at least K - 2 * padding = {numtaps - 2 * padding}"
        )
    lead = x.shape[:-1]
    flat = xp.reshape(x, (-1, n))
    if padding:
        flat = xp.pad(flat, ((0, 0), (padding, padding)))
    # contiguous frames (BLAS cannot read overlapping rows); correlation with reversed taps
    framed = xp.ascontiguousarray(frames(flat, numtaps, stride))
    batch, n_frames = framed.shape[:2]
    # one GEMM over all frames of all signals: (batch * n_frames, K) @ (K, F)
    reversed_taps = weights[:, ::-1]
    y = xp.matmul(xp.reshape(framed, (-1, numtaps)), xp.permute_dims(reversed_taps, (1, 0)))
    y = xp.permute_dims(xp.reshape(y, (batch, n_frames, n_filters)), (0, 2, 1))
    return xp.reshape(y, lead + (n_filters, n_frames))


@on_input_device
def decode(y, weights, *, stride, padding, length=None):
    """SFI decoder: transposed strided convolution, the exact adjoint of :func:`encode`.

    ``x_full[..., m S + i] += sum_f y[..., f, m] weights[f, K - 1 - i]`` (length
    ``(n_frames - 1) S + K``), then ``x = x_full[..., padding : padding + length]``,
    zero-extended past the end of ``x_full``.

    Parameters
    ----------
    y : array, shape (..., F, n_frames), float32 or float64
    weights : array, shape (F, K)
        Convolution order; cast to ``y``'s dtype.
    stride : int
        Hop S >= 1.
    padding : int
        Samples cropped at the start (and, with the default length, at the end), >= 0.
    length : int, optional
        Output length; default ``(n_frames - 1) S + K - 2 padding`` (PyTorch
        ``conv_transpose1d`` with ``output_padding = 0``).  Pass the encoder's input
        length to get the exact adjoint of :func:`encode` for every length.

    Returns
    -------
    x : array, shape (..., length)

    See Also
    --------
    encode : Filter-bank encoder (strided convolution).
    scaled_geometry : Kernel size, stride and padding at a sampling rate.

    Notes
    -----
    Backends: NumPy and CuPy (one batched GEMM, then ``ceil(K / S)`` slice additions for
    the overlap-add).  Equals ``sum_f scipy.signal.upfirdn(weights[f][::-1], y_f, up=S)``
    cropped, and PyTorch ``conv_transpose1d(y, weights[:, None, ::-1], stride=S,
    padding=padding)``.  Reference: the SFI decoder of TomohikoNakamura/sfi_convtasnet.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.sfi import decode, encode
    >>> x = np.random.default_rng(0).standard_normal(8000)
    >>> w = np.random.default_rng(1).standard_normal((4, 40))
    >>> decode(encode(x, w, stride=20, padding=10), w, stride=20, padding=10, length=8000).shape
    (8000,)
    """
    func = "decode"
    xp = real_array(y, "y", func=func, min_ndim=2)
    weights = _check_weights(weights, xp, y.dtype, func)
    stride = positive_int(stride, "stride")
    padding = nonnegative_int(padding, "padding")
    n_filters, numtaps = weights.shape
    if y.shape[-2] != n_filters:
        raise ParameterError(
            f"{func}: y has {y.shape[-2]} channels (axis -2) but weights has {n_filters} filters"
        )
    n_frames = y.shape[-1]
    if n_frames < 1:
        raise ParameterError(f"{func}: y has no frames (shape {y.shape}); it needs at least 1")
    full_length = (n_frames - 1) * stride + numtaps
    if length is None:
        length = full_length - 2 * padding
        if length < 0:
            raise ParameterError(
                f"{func}: padding={padding} crops more than the {full_length} output samples"
            )
    else:
        length = nonnegative_int(length, "length")
    lead = y.shape[:-2]
    # frame m's contribution: (batch * n_frames, F) @ (F, K), one GEMM; free when y is
    # encode's output (a transposed view of a frames-major array)
    frames_major = xp.permute_dims(xp.reshape(y, (-1, n_filters, n_frames)), (0, 2, 1))
    batch = frames_major.shape[0]
    rows = xp.reshape(xp.ascontiguousarray(frames_major), (-1, n_filters))
    contrib = xp.matmul(rows, xp.ascontiguousarray(weights[:, ::-1]))
    contrib = xp.reshape(contrib, (batch, n_frames, numtaps))
    full = _overlap_add(xp, contrib, stride)
    out = full[:, padding : padding + length]
    if out.shape[-1] < length:
        out = xp.pad(out, ((0, 0), (0, length - out.shape[-1])))
    return xp.reshape(xp.ascontiguousarray(out), lead + (length,))


def _overlap_add(xp, contrib, stride: int):
    """Sum frames ``contrib (B, n_frames, K)`` placed at ``m * stride``: ``(B, full)``.

    The K taps are split into ``ceil(K / S)`` blocks of S samples; block j of frame m lands
    on output block ``m + j``, so each block is one vectorised slice addition.
    """
    batch, n_frames, numtaps = contrib.shape
    n_blocks = -(-numtaps // stride)
    if n_blocks * stride != numtaps:
        contrib = xp.pad(contrib, ((0, 0), (0, 0), (0, n_blocks * stride - numtaps)))
    blocks = xp.reshape(contrib, (batch, n_frames, n_blocks, stride))
    out = xp.zeros((batch, n_frames + n_blocks - 1, stride), dtype=contrib.dtype)
    for j in range(n_blocks):
        out[:, j : j + n_frames, :] += blocks[:, :, j, :]
    full = (n_frames - 1) * stride + numtaps
    return xp.reshape(out, (batch, -1))[:, :full]
