"""Harmonic convolution by Harmonic Lowering: forward, exact backward, adjoint.

A harmonic convolution (Zhang et al., ICLR 2020) reads, for output bin ``f`` and harmonic ``k``,
the input spectrum at ``f*k/n`` (``n`` = anchor) instead of at a neighbouring bin.  Harmonic
Lowering (Takeuchi et al., Interspeech 2020) makes it fast: interpolate every
``(channel, harmonic, bin, frame)`` once into a lowered tensor ``X'`` with ``K_f`` times the
input's channels, then run an ordinary ``1 x K_t`` convolution over time on it.

Here the lowering and its transpose are kernels (numba / CUDA, :mod:`sigpu._kernels.harmonic_*`)
driven by integer-exact tables (:mod:`sigpu._harmonic_tables`), and the time convolution is
one tall GEMM per block of output rows (``xp.matmul``, cuBLAS on CuPy) over all ``K_t`` taps
of a shifted window of ``X'`` (:mod:`sigpu._harmonic_gemm`), so the ``K_f*K_t``-times larger
im2col matrix is never built.  On the CPU even ``X'`` is never built: each block of it is
lowered into a cache-sized buffer right before its GEMM reads it.
"""

from __future__ import annotations

import numpy as np

from ._backend import array_namespace, kernel, on_input_device
from ._cache import on_device
from ._errors import ParameterError
from ._harmonic_gemm import backward_blocks, correlate_taps
from ._harmonic_tables import TOP_EDGES, adjoint_table, row_runs, tables, used_harmonics
from ._validate import (
    int_pair,
    is_int,
    native_array,
    one_of,
    positive_float,
    real_array,
    same_dtype,
)

__all__ = [
    "harmonic_lower",
    "harmonic_lower_adjoint",
    "harmonic_conv2d",
    "harmonic_conv2d_backward",
    "log_harmonic_conv2d",
    "log_harmonic_conv2d_backward",
]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


# ----------------------------------------------------------------------------- argument checks


def _int_at_least(value, name: str, minimum: int) -> int:
    if not is_int(value):
        raise TypeError(f"{name}={value!r} must be a Python int, got {type(value).__name__}")
    if value < minimum:
        raise ParameterError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


def _check_4d(a, name: str, func: str):
    xp = real_array(a, name, func=func)
    if a.ndim != 4:
        raise ParameterError(f"{func}: {name} must have 4 dimensions, got shape {a.shape}")
    return xp


def _same_dtype(reference, other, name: str, func: str) -> None:
    if other is not None and not same_dtype(other.dtype, reference.dtype):
        raise TypeError(
            f"{func}: {name} has dtype {np.dtype(other.dtype).name} but x has "
            f"{np.dtype(reference.dtype).name}; pass one dtype (float32 or float64)"
        )


def _conv_geometry(stride, padding, dilation):
    """PyTorch-style stride/padding/dilation -> (s_f, s_t), P_t, d_t; the frequency axis
    takes no padding and no dilation (an error, never silently dropped)."""
    s_f, s_t = int_pair(stride, "stride", minimum=1)
    if is_int(padding):
        if padding < 0:
            raise ParameterError(f"padding={padding!r} must be a non-negative integer")
        p_t = int(padding)
    else:
        p_f, p_t = int_pair(padding, "padding", minimum=0)
        if p_f != 0:
            raise ParameterError(
                f"padding={padding!r}: frequency padding must be 0 (harmonic positions are "
                "absolute bins); pass an int for time padding"
            )
    if is_int(dilation):
        if dilation < 1:
            raise ParameterError(f"dilation={dilation!r} must be a positive integer")
        d_t = int(dilation)
    else:
        d_f, d_t = int_pair(dilation, "dilation", minimum=1)
        if d_f != 1:
            raise ParameterError(
                f"dilation={dilation!r}: frequency dilation must be 1 (the frequency axis is "
                "sampled at harmonics); pass an int for time dilation"
            )
    return s_f, s_t, p_t, d_t


class _Conv:
    """Checked shapes and geometry of one harmonic_conv2d call."""

    def __init__(self, func, x, weight, bias, anchor, stride, padding, dilation, groups, axis):
        self.xp = _check_4d(x, "x", func)
        _check_4d(weight, "weight", func)
        _same_dtype(x, weight, "weight", func)
        if bias is not None:
            real_array(bias, "bias", func=func)
            _same_dtype(x, bias, "bias", func)
        array_namespace(x, weight, bias, func=func)  # no NumPy/CuPy mixing
        self.anchor = _int_at_least(anchor, "anchor", 1)
        kind, axis_param = axis  # ("linear", top_edge) or ("log", bins_per_octave)
        if kind == "linear":
            axis_param = one_of(axis_param, "top_edge", TOP_EDGES)
        else:
            axis_param = positive_float(axis_param, "bins_per_octave")
        self.s_f, self.s_t, self.p_t, self.d_t = _conv_geometry(stride, padding, dilation)
        self.groups = _int_at_least(groups, "groups", 1)
        self.n_batch, self.c_in, self.n_freq, self.n_time = x.shape
        self.c_out, c_per_group, self.n_harmonics, self.k_t = weight.shape
        if min(weight.shape) < 1:
            raise ParameterError(f"{func}: weight shape {weight.shape} has an empty axis")
        if min(x.shape) < 1:
            raise ParameterError(f"{func}: x shape {x.shape} has an empty axis")
        g = self.groups
        if self.c_in % g or self.c_out % g:
            raise ParameterError(
                f"groups={g} must divide the input channels ({self.c_in}) and the output "
                f"channels ({self.c_out})"
            )
        if c_per_group != self.c_in // g:
            raise ParameterError(
                f"{func}: weight.shape[1]={c_per_group} must equal C_in/groups = "
                f"{self.c_in}//{g} = {self.c_in // g}"
            )
        if bias is not None and tuple(bias.shape) != (self.c_out,):
            raise ParameterError(f"{func}: bias shape {bias.shape} must be ({self.c_out},)")
        self.row_len = self.n_time + 2 * self.p_t  # padded time row of X'
        self.f_out = (self.n_freq - 1) // self.s_f + 1
        self.t_out = (self.row_len - self.d_t * (self.k_t - 1) - 1) // self.s_t + 1
        if self.row_len - self.d_t * (self.k_t - 1) - 1 < 0:
            raise ParameterError(
                f"{func}: no output frames: x has T={self.n_time} frames, with padding="
                f"{self.p_t} shorter than the kernel of weight: dilation*(K_t-1)+1 = "
                f"{self.d_t}*({self.k_t}-1)+1"
            )
        self.slack = self.d_t * (self.k_t - 1)
        self.out_shape = (self.n_batch, self.c_out, self.f_out, self.t_out)
        # what the tables are keyed by: (F, K_f, anchor, top_edge or bins/octave, s_f)
        self.kind = kind
        self.params = (self.n_freq, self.n_harmonics, self.anchor, axis_param, self.s_f)
        self._used = None

    def used_channels(self, r0: int, r1: int):
        """Range ``(l0, l1)`` of harmonic-major lowered channels of one group (``k*C_g + c``)
        that can be non-zero on output rows ``r0:r1``.

        The harmonics with a tap on a row form an interval (on a linear axis ``1..k_max``:
        those above the top edge drop out), so with harmonic-major channels the GEMMs of a
        block skip a contiguous run of zero channels: about half the work for ``anchor=1``,
        ``K_f=5``.
        """
        if self._used is None:  # looked up once per call, not once per block
            k_lo, k_hi = used_harmonics(self.kind, self.params)
            # Python lists: min/max of a few rows cost a NumPy reduction's overhead each
            self._used = (k_lo.tolist(), k_hi.tolist())
        k_lo, k_hi = self._used
        c_g = self.c_in // self.groups
        return min(k_lo[r0:r1]) * c_g, max(k_hi[r0:r1]) * c_g

    def runs(self):
        """Runs of output rows that use the same harmonics (GEMM blocks never span two)."""
        return row_runs(self.kind, self.params)

    def device_tables(self, dtype):
        return _device_tables(self.xp, dtype, self.kind, self.params)


# ----------------------------------------------------------------------------- tables


def _device_tables(xp, dtype, kind, params):
    lo, hi, w_lo, w_hi = tables(kind, params)
    return (
        on_device(lo, xp, np.int32),
        on_device(hi, xp, np.int32),
        on_device(w_lo, xp, dtype),
        on_device(w_hi, xp, dtype),
    )


def _adjoint_of(xp, dtype, kind, params, deterministic):
    """The transposed lowering for one table key, tables moved to the device once:
    ``adjoint(g, stack_groups=0, pad=0)``, ``(N, C*K, F_out, pad + T + pad) -> (N, C,
    n_freq, T)`` of the middle T columns."""
    n_freq, n_harmonics = params[0], params[1]
    if deterministic:
        indptr, src_k, src_f, weight = adjoint_table(kind, params)
        csr = (
            on_device(indptr, xp, np.int32),
            on_device(src_k, xp, np.int32),
            on_device(src_f, xp, np.int32),
            on_device(weight, xp, dtype),
        )
        gather = kernel(xp, "harmonic.lower_adjoint")

        def adjoint(g, stack_groups=0, pad=0):
            return gather(g, *csr, n_harmonics, n_freq, stack_groups, pad)

        return adjoint
    forward_tables = _device_tables(xp, dtype, kind, params)
    scatter = kernel(xp, "harmonic.lower_adjoint_scatter")

    def adjoint(g, stack_groups=0, pad=0):
        return scatter(g, *forward_tables, n_freq, stack_groups, pad)

    return adjoint


def _adjoint(xp, g, kind, params, deterministic, stack_groups=0, pad=0):
    """(N, C*K, F_out, pad + T + pad) -> (N, C, n_freq, T): the transposed lowering of the
    middle T columns."""
    return _adjoint_of(xp, g.dtype, kind, params, deterministic)(g, stack_groups, pad)


# ----------------------------------------------------------------------------- forward/backward


def _stacked_taps(xp, weight, groups):
    """``W[g*O_g + o, c, k, j]`` as ``taps[j, g, o, k*C_g + c]`` (harmonic-major channels)."""
    c_out, c_g, n_harm, k_t = weight.shape
    taps = xp.reshape(weight, (groups, c_out // groups, c_g, n_harm, k_t))
    taps = xp.permute_dims(taps, (4, 0, 1, 3, 2))
    return xp.ascontiguousarray(xp.reshape(taps, (k_t, groups, c_out // groups, n_harm * c_g)))


def _lowered_windows(xp, x, conv):
    """Reader of X' of ``x`` for the strided output rows, time-padded, channels harmonic-major
    within each group (``k*C_g + c``, see :meth:`_Conv.used_channels`):
    ``window(b0, b1, g, l0, l1, r0, r1)`` as in :func:`sigpu._harmonic_gemm.correlate_taps`
    (on the CPU each block is lowered on demand, so X' is never materialised)."""
    lowered_blocks = kernel(xp, "harmonic.lowered_blocks")
    return lowered_blocks(x, *conv.device_tables(x.dtype), conv.p_t, conv.slack, conv.groups)


def _forward(conv, x, weight, bias):
    xp = conv.xp
    x, weight, bias = native_array(x), native_array(weight), native_array(bias)
    g = conv.groups
    windows = _lowered_windows(xp, x, conv)
    taps = _stacked_taps(xp, weight, g)  # (K_t, G, O_g, L_g)
    y = xp.empty(conv.out_shape, dtype=x.dtype)
    offsets = [j * conv.d_t for j in range(conv.k_t)]
    o_g = conv.c_out // g
    crop = (0, conv.t_out, conv.s_t)

    def active(r0, r1):
        return conv.used_channels(r0, r1), (0, o_g)

    correlate_taps(
        xp,
        taps,
        windows,
        y,
        n_batch=conv.n_batch,
        n_rows=conv.f_out,
        row_len=conv.row_len,
        offsets=offsets,
        crop=crop,
        active=active,
        runs=conv.runs(),
        bias=bias,
    )
    return y


def _backward(conv, func, grad_out, x, weight, needs_bias, deterministic):
    xp = conv.xp
    _check_4d(grad_out, "grad_out", func)
    _same_dtype(x, grad_out, "grad_out", func)
    array_namespace(grad_out, x, weight, func=func)
    grad_out, x, weight = native_array(grad_out), native_array(x), native_array(weight)
    if tuple(grad_out.shape) != conv.out_shape:
        raise ParameterError(
            f"{func}: grad_out shape {tuple(grad_out.shape)} must be the output shape "
            f"{conv.out_shape} of x {tuple(x.shape)} and weight {tuple(weight.shape)} with "
            f"stride=({conv.s_f}, {conv.s_t}), padding={conv.p_t}, dilation={conv.d_t}"
        )
    g = conv.groups
    o_g, c_g = conv.c_out // g, conv.c_in // g
    grad_bias = xp.sum(grad_out, axis=(0, 2, 3)) if needs_bias else None

    grad_x = xp.empty(x.shape, dtype=x.dtype)
    grad_out = xp.ascontiguousarray(grad_out)  # read block by block by a kernel

    adjoint = _adjoint_of(xp, x.dtype, conv.kind, conv.params, bool(deterministic))

    def finish(b0, b1, grad_lowered):  # the transposed lowering of items b0:b1
        grad_x[b0:b1] = adjoint(grad_lowered, g, conv.p_t)

    offsets = [j * conv.d_t for j in range(conv.k_t)]
    taps = _stacked_taps(xp, weight, g)  # (K_t, G, O_g, L_g)
    grad_taps = backward_blocks(
        xp,
        _lowered_windows(xp, x, conv),
        taps,
        grad_out,
        offsets=offsets,
        row_len=conv.row_len,
        step=conv.s_t,
        active=conv.used_channels,
        runs=conv.runs(),
        finish=finish,
    )
    # taps[j, g, o, k*C_g + c] -> W[g*O_g + o, c, k, j]
    grad_weight = xp.reshape(grad_taps, (conv.k_t, g, o_g, conv.n_harmonics, c_g))
    grad_weight = xp.permute_dims(grad_weight, (1, 2, 4, 3, 0))
    grad_weight = xp.reshape(grad_weight, weight.shape)
    return grad_x, grad_weight, grad_bias


# ----------------------------------------------------------------------------- public API


@on_input_device
def harmonic_lower(x, *, n_harmonics, anchor=1, top_edge="inclusive"):
    """Harmonic Lowering: sample every channel at the harmonics ``f*k/anchor``.

    Parameters
    ----------
    x : array, shape (N, C, F, T), float32 or float64
        Linear-frequency input; axis 2 is the bin index with bin 0 = DC.
    n_harmonics : int >= 1
        Number of harmonics ``K_f``; harmonic ``k`` runs over ``1..n_harmonics``.
    anchor : int >= 1
        Output bin ``f`` is the ``anchor``-th harmonic of a fundamental at ``f/anchor``.
    top_edge : {"inclusive", "hl_repo", "zero_ext"}
        What a tap whose position reaches the top bin ``F-1`` returns (see Notes).

    Returns
    -------
    lowered : array, shape (N, C*n_harmonics, F, T)
        Channel ``c*n_harmonics + (k-1)`` holds ``Z_k x[:, c]``:
        ``(1-a)*x[.., i, :] + a*x[.., i+1, :]`` with ``f*k = i*anchor + r``, ``a = r/anchor``.

    See Also
    --------
    harmonic_lower_adjoint : Adjoint of harmonic lowering.
    harmonic_conv2d : Harmonic convolution.

    Notes
    -----
    Backends: NumPy (numba kernel) and CuPy (CUDA kernel).  Reference: Takeuchi et al.,
    "Harmonic Lowering for Accelerating Harmonic Convolution for Audio Signals", Interspeech
    2020.  Positions are exact rationals (integer arithmetic), so ``k == anchor`` copies the
    input bit for bit.  ``top_edge="inclusive"`` keeps taps with ``f*k/anchor <= F-1``;
    ``"hl_repo"`` additionally drops the exact position ``F-1`` for ``k != anchor`` (the HL
    CUDA kernel); ``"zero_ext"`` treats bins past the top as zeros (a DCN bilinear sampler).
    Weights that are zero are skipped, so NaN/inf bins only reach the taps that read them.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.harmonic import harmonic_lower
    >>> x = np.arange(1.0, 8.0).reshape(1, 1, 7, 1)
    >>> harmonic_lower(x, n_harmonics=2, anchor=2)[0, :, :, 0]
    array([[1. , 1.5, 2. , 2.5, 3. , 3.5, 4. ],
           [1. , 2. , 3. , 4. , 5. , 6. , 7. ]])
    """
    func = "harmonic_lower"
    xp = _check_4d(x, "x", func)
    n_harmonics = _int_at_least(n_harmonics, "n_harmonics", 1)
    anchor = _int_at_least(anchor, "anchor", 1)
    top_edge = one_of(top_edge, "top_edge", TOP_EDGES)
    n_batch, n_chan, n_freq, n_time = x.shape
    params = (n_freq, n_harmonics, anchor, top_edge, 1)
    x = native_array(x)
    flat = kernel(xp, "harmonic.lower")(x, *_device_tables(xp, x.dtype, "linear", params), 0, 0)
    return flat.reshape(n_batch, n_chan * n_harmonics, n_freq, n_time)


@on_input_device
def harmonic_lower_adjoint(g, *, n_harmonics, anchor=1, top_edge="inclusive", deterministic=True):
    """Exact transpose of :func:`harmonic_lower`.

    Parameters
    ----------
    g : array, shape (N, C*n_harmonics, F, T), float32 or float64
    n_harmonics, anchor, top_edge
        As for :func:`harmonic_lower`.
    deterministic : bool
        True (default): gather form, every input bin sums its contributions in a fixed
        order, bit-reproducible on both backends.  False: scatter form with the forward
        tables (atomics on the GPU: float32 sums may differ run to run in the last bits).

    Returns
    -------
    x_grad : array, shape (N, C, F, T)
        ``sum_k A_k^T g_k`` with ``A_k`` the interpolation matrix of harmonic ``k``, so
        ``<harmonic_lower(x), g> == <x, harmonic_lower_adjoint(g)>``.

    See Also
    --------
    harmonic_lower : Harmonic lowering of a spectrogram.
    harmonic_conv2d_backward : Gradients of harmonic convolution.

    Notes
    -----
    Backends: NumPy (numba kernel) and CuPy (CUDA kernel).  Unlike the Harmonic Lowering
    repository's ``ZoomF.backward`` (which resamples the gradient), this is the true adjoint.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.harmonic import harmonic_lower_adjoint
    >>> g = np.zeros((1, 2, 8, 1))
    >>> g[0, 1, :, 0] = np.arange(1.0, 9.0)  # gradient of the k=2 block, anchor 1
    >>> harmonic_lower_adjoint(g, n_harmonics=2)[0, 0, :, 0]
    array([1., 0., 2., 0., 3., 0., 4., 0.])
    """
    func = "harmonic_lower_adjoint"
    xp = _check_4d(g, "g", func)
    n_harmonics = _int_at_least(n_harmonics, "n_harmonics", 1)
    anchor = _int_at_least(anchor, "anchor", 1)
    top_edge = one_of(top_edge, "top_edge", TOP_EDGES)
    if g.shape[1] % n_harmonics:
        raise ParameterError(
            f"{func}: g.shape[1]={g.shape[1]} must be a multiple of n_harmonics={n_harmonics}"
        )
    params = (g.shape[2], n_harmonics, anchor, top_edge, 1)
    return _adjoint(xp, native_array(g), "linear", params, bool(deterministic))


@on_input_device
def harmonic_conv2d(
    x,
    weight,
    bias=None,
    *,
    anchor=1,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    top_edge="inclusive",
):
    """Harmonic convolution: harmonics over frequency, an ordinary convolution over time.

    ``Y[b,o,f',t'] = bias[o] + sum_{c,k,j} W[o,c,k-1,j] * (Z_k X[b, g*C_in/G + c, :, tau])[f]``
    with ``f = f'*s_f``, ``tau = t'*s_t + j*d_t - P_t`` (zero outside ``[0, T)``).

    Parameters
    ----------
    x : array, shape (N, C_in, F, T), float32 or float64
        Linear-frequency input (bin 0 = DC); any strides.
    weight : array, shape (C_out, C_in/groups, K_f, K_t), x's dtype
        Row ``k-1`` of the kernel's frequency axis is harmonic ``k`` (``K_f = n_harmonics``).
    bias : array, shape (C_out,), optional
    anchor : int >= 1
        Output bin ``f`` is treated as the ``anchor``-th harmonic of ``f/anchor``.
    stride : int or (s_f, s_t)
        PyTorch semantics; ``s_f`` subsamples output bins (harmonics still use the absolute
        bin ``f'*s_f``).
    padding : int or (0, P_t)
        Zero padding of the time axis; frequency padding other than 0 is an error.
    dilation : int or (1, d_t)
        Dilation of the time axis; frequency dilation other than 1 is an error.
    groups : int
        Must divide ``C_in`` and ``C_out`` (grouped convolution as in PyTorch).
    top_edge : {"inclusive", "hl_repo", "zero_ext"}
        Top-of-spectrum rule, see :func:`harmonic_lower`.

    Returns
    -------
    y : array, shape (N, C_out, F', T')
        ``F' = (F-1)//s_f + 1``, ``T' = (T + 2*P_t - d_t*(K_t-1) - 1)//s_t + 1``.

    See Also
    --------
    harmonic_conv2d_backward : Gradients of harmonic convolution.
    log_harmonic_conv2d : Harmonic convolution on a log-frequency axis.
    harmonic_lower : Harmonic lowering of a spectrogram.

    Notes
    -----
    Backends: NumPy (numba lowering + BLAS) and CuPy (CUDA lowering + cuBLAS).  References:
    Zhang et al., "Deep Audio Priors Emerge from Harmonic Convolutional Networks", ICLR 2020;
    Takeuchi et al., Harmonic Lowering, Interspeech 2020.  The time convolution runs as one
    GEMM over all ``K_t`` taps per block of output rows on a window of the lowered tensor
    ``X'`` (``K_f`` times the input).  On the CPU each block of ``X'`` (a few thousand
    columns) is lowered right before its GEMM, so peak memory is about the output; on the GPU
    ``X'`` is built once, adding its size.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.harmonic import harmonic_conv2d
    >>> x = np.arange(1.0, 8.0).reshape(1, 1, 7, 1)
    >>> w = np.array([1.0, 10.0, 100.0]).reshape(1, 1, 3, 1)
    >>> harmonic_conv2d(x, w, anchor=2)[0, 0, :, 0]
    array([111. , 271.5, 432. , 592.5, 753. ,  63.5,  74. ])
    """
    conv = _Conv(
        "harmonic_conv2d",
        x,
        weight,
        bias,
        anchor,
        stride,
        padding,
        dilation,
        groups,
        ("linear", top_edge),
    )
    return _forward(conv, x, weight, bias)


@on_input_device
def harmonic_conv2d_backward(
    grad_out,
    x,
    weight,
    *,
    anchor=1,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    top_edge="inclusive",
    needs_bias=True,
    deterministic=True,
):
    """Exact gradients of ``sum(harmonic_conv2d(x, weight, bias, ...) * grad_out)``.

    Parameters
    ----------
    grad_out : array, shape (N, C_out, F', T'), x's dtype
        Gradient of the loss with respect to the output of :func:`harmonic_conv2d`.
    x, weight
        The forward's input and weight (bias does not enter the gradients).
    anchor, stride, padding, dilation, groups, top_edge
        The forward's keywords.
    needs_bias : bool
        Whether to compute the bias gradient (else ``None`` is returned for it).
    deterministic : bool
        True (default): the transposed lowering sums in a fixed order (gather form).  False:
        scatter form (atomics on the GPU).

    Returns
    -------
    grad_x : array, shape (N, C_in, F, T)
    grad_weight : array, shape (C_out, C_in/groups, K_f, K_t)
    grad_bias : array, shape (C_out,) or None

    See Also
    --------
    harmonic_conv2d : Harmonic convolution.
    harmonic_lower_adjoint : Adjoint of harmonic lowering.

    Notes
    -----
    Backends: NumPy and CuPy.  Per block of output rows, ``grad_out`` is placed once per
    time tap where that tap read the input; one GEMM of this against the lowered input gives
    the weight gradient, one with the transposed weights the gradient of ``X'`` (the
    transposed time im2col), which the transposed lowering (:func:`harmonic_lower_adjoint`)
    folds back per batch item.  Exact, unlike the Harmonic Lowering repository's input
    gradient, which resamples instead of transposing.

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.harmonic import harmonic_conv2d, harmonic_conv2d_backward
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((2, 3, 16, 10))
    >>> w = rng.standard_normal((4, 3, 3, 3))
    >>> gy = np.ones((2, 4, 16, 10))
    >>> gx, gw, gb = harmonic_conv2d_backward(gy, x, w, padding=1, anchor=2)
    >>> gx.shape, gw.shape, gb
    ((2, 3, 16, 10), (4, 3, 3, 3), array([320., 320., 320., 320.]))
    """
    func = "harmonic_conv2d_backward"
    axis = ("linear", top_edge)
    conv = _Conv(func, x, weight, None, anchor, stride, padding, dilation, groups, axis)
    return _backward(conv, func, grad_out, x, weight, needs_bias, deterministic)


@on_input_device
def log_harmonic_conv2d(
    x,
    weight,
    bias=None,
    *,
    bins_per_octave,
    anchor=1,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
):
    """Harmonic convolution on a log-frequency axis (e.g. a CQT), where harmonics are shifts.

    On an axis with ``bins_per_octave`` bins per octave, harmonic ``k`` of output bin ``f``
    (with ``f`` the ``anchor``-th harmonic) sits at ``q = f + bins_per_octave*log2(k/anchor)``;
    the tap linearly interpolates ``x`` there if ``0 <= q <= F-1`` and is 0 otherwise.  The time
    axis, the weight layout and all keywords are those of :func:`harmonic_conv2d`.

    Parameters
    ----------
    x : array, shape (N, C_in, F, T), float32 or float64
        Log-frequency input (bin ``f`` at ``fmin * 2**(f/bins_per_octave)``).
    weight : array, shape (C_out, C_in/groups, K_f, K_t), x's dtype
    bias : array, shape (C_out,), optional
    bins_per_octave : float > 0
        Bins per octave of the input's frequency axis.
    anchor, stride, padding, dilation, groups
        As for :func:`harmonic_conv2d`.

    Returns
    -------
    y : array, shape (N, C_out, F', T')

    See Also
    --------
    log_harmonic_conv2d_backward : Gradients of log-frequency harmonic convolution.
    harmonic_conv2d : Harmonic convolution.

    Notes
    -----
    Backends: NumPy and CuPy.  Reference: the log-frequency harmonic lowering of Takeuchi et
    al., Interspeech 2020 (``SingleLogHarmonicConv2d``, with ``out_log_scale =
    bins_per_octave / log(2)`` for ``radix = e``).  Shifts within 1e-9 of an integer are
    snapped, so octave harmonics read exactly one bin (the reference repository loses the
    first valid row there).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.harmonic import log_harmonic_conv2d
    >>> x = np.zeros((1, 1, 36, 1))
    >>> x[0, 0, [0, 12, 19], 0] = 1.0  # partials 1, 2, 3 of a tone, 12 bins/octave
    >>> w = np.ones((1, 1, 3, 1))
    >>> y = log_harmonic_conv2d(x, w, bins_per_octave=12)
    >>> round(float(y[0, 0, 0, 0]), 3)  # 12*log2(3) = 19.02 bins: partial 3 nearly on a bin
    2.98
    """
    conv = _Conv(
        "log_harmonic_conv2d",
        x,
        weight,
        bias,
        anchor,
        stride,
        padding,
        dilation,
        groups,
        ("log", bins_per_octave),
    )
    return _forward(conv, x, weight, bias)


@on_input_device
def log_harmonic_conv2d_backward(
    grad_out,
    x,
    weight,
    *,
    bins_per_octave,
    anchor=1,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    needs_bias=True,
    deterministic=True,
):
    """Exact gradients of :func:`log_harmonic_conv2d` (see :func:`harmonic_conv2d_backward`).

    Parameters
    ----------
    grad_out : array, shape (N, C_out, F', T'), x's dtype
    x, weight
        The forward's input and weight.
    bins_per_octave, anchor, stride, padding, dilation, groups
        The forward's keywords.
    needs_bias, deterministic : bool
        As for :func:`harmonic_conv2d_backward`.

    Returns
    -------
    grad_x : array, shape (N, C_in, F, T)
    grad_weight : array, shape (C_out, C_in/groups, K_f, K_t)
    grad_bias : array, shape (C_out,) or None

    See Also
    --------
    log_harmonic_conv2d : Harmonic convolution on a log-frequency axis.
    harmonic_conv2d_backward : Gradients of harmonic convolution.

    Notes
    -----
    Backends: NumPy and CuPy.  The transposed shift-and-interpolate is exact at both ends of
    the axis (the reference repository's ``ShiftF.backward`` is not).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.harmonic import log_harmonic_conv2d_backward
    >>> x = np.ones((1, 1, 24, 4))
    >>> w = np.ones((1, 1, 2, 1))
    >>> gx, gw, gb = log_harmonic_conv2d_backward(np.ones((1, 1, 24, 4)), x, w, bins_per_octave=12)
    >>> gw[0, 0, :, 0]  # harmonic 2 (one octave up) reaches 12 of the 24 output bins
    array([96., 48.])
    """
    func = "log_harmonic_conv2d_backward"
    axis = ("log", bins_per_octave)
    conv = _Conv(func, x, weight, None, anchor, stride, padding, dilation, groups, axis)
    return _backward(conv, func, grad_out, x, weight, needs_bias, deterministic)
