"""Autograd for SFI layers: encode/decode in x and weights, and weight design in the analog
filters' parameters.

``encode`` and ``decode`` are adjoint to each other, so each one's input gradient is the
other op, and both weight gradients are one correlation of a (padded) signal with the
gradient or the codes (:func:`_weight_gradient`).

The weight designers run sigpu's own :func:`sigpu.sfi.time_domain_weights` /
:func:`sigpu.sfi.frequency_domain_weights` forward (the NumPy/CuPy numbers); their backward
contracts the incoming gradient with the analytic parameter derivatives of the impulse
responses (TD: ``w[f, k] = h_f(t_k) / sr``) or of the frequency responses (FD: the weights are
linear in the samples of ``H``, ``w = [Re H, Im H] @ pinv``).  Analytic, not torch's autograd
of a torch re-implementation: one ``(F, n)`` array per parameter on the data's device, no
graph of the response formula, and the CuPy path for CUDA tensors comes for free.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import sfi
from .._backend import array_namespace, frames, is_device_array, to_host
from .._cache import on_device
from .._errors import ParameterError
from ..sfi.families import rational_bank
from ..sfi.weights import fd_solver
from . import _bridge
from ._bridge import register

__all__ = ["modulated_gaussian_weights", "gammatone_weights", "rational_weights"]

# ----------------------------------------------------------------------------- encode / decode


def _weight_gradient(xp, signal, codes, numtaps: int, stride: int):
    """``grad[f, k] = sum_{b,m} codes[b, f, m] signal[b, m S + K - 1 - k]``: the gradient of
    ``<encode(signal, w, padding=0), codes>`` in ``w`` (``signal (B, L)``, ``codes (B, F, M)``).
    """
    n_filters, n_frames = codes.shape[-2:]
    framed = frames(signal, numtaps, stride)[:, :n_frames]  # (B, M, K) view
    rows = xp.reshape(xp.permute_dims(codes, (1, 0, 2)), (n_filters, -1))  # (F, B M)
    correlation = xp.matmul(rows, xp.reshape(xp.ascontiguousarray(framed), (-1, numtaps)))
    return correlation[:, ::-1]  # convolution order


def _flat_signal(a, n):
    return a.reshape((-1, n))


class _Encode(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weights, stride, padding):
        ctx.save_for_backward(x, weights)
        ctx.stride, ctx.padding = stride, padding
        return _bridge.to_tensor(
            sfi.encode(
                _bridge.to_array(x), _bridge.to_array(weights), stride=stride, padding=padding
            ),
            x,
        )

    @staticmethod
    def backward(ctx, grad_y):
        x, weights = ctx.saved_tensors
        stride, padding = ctx.stride, ctx.padding
        g, w = _bridge.to_array(grad_y), _bridge.to_array(weights)
        xp = array_namespace(g)
        n = x.shape[-1]
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            w_cast = xp.astype(w, g.dtype)
            grad_x = _bridge.to_tensor(
                sfi.decode(g, w_cast, stride=stride, padding=padding, length=n), x
            )
        if ctx.needs_input_grad[1]:
            signal = _flat_signal(_bridge.to_array(x), n)
            if padding:
                signal = xp.pad(signal, ((0, 0), (padding, padding)))
            codes = xp.reshape(g, (-1,) + tuple(g.shape[-2:]))
            gw = _weight_gradient(xp, signal, codes, weights.shape[-1], stride)
            grad_w = _bridge.to_tensor(xp.ascontiguousarray(gw), weights).to(weights.dtype)
        return grad_x, grad_w, None, None


class _Decode(torch.autograd.Function):
    @staticmethod
    def forward(ctx, y, weights, stride, padding, length):
        ctx.save_for_backward(y, weights)
        ctx.stride, ctx.padding = stride, padding
        x = sfi.decode(
            _bridge.to_array(y),
            _bridge.to_array(weights),
            stride=stride,
            padding=padding,
            length=length,
        )
        return _bridge.to_tensor(x, y)

    @staticmethod
    def backward(ctx, grad_x):
        y, weights = ctx.saved_tensors
        stride, padding = ctx.stride, ctx.padding
        g = _bridge.to_array(grad_x)
        xp = array_namespace(g)
        n_filters, numtaps = weights.shape
        n_frames = y.shape[-1]
        # decode crops x_full[padding : padding + length] (zero-extended): put the gradient
        # back where it was cropped from, then the adjoint of the overlap-add is encode
        full_length = (n_frames - 1) * stride + numtaps
        flat = _flat_signal(g, g.shape[-1])
        kept = min(flat.shape[-1], max(full_length - padding, 0))
        full = xp.zeros((flat.shape[0], full_length), dtype=g.dtype)
        full[:, padding : padding + kept] = flat[:, :kept]
        grad_y = grad_w = None
        if ctx.needs_input_grad[0]:
            w = xp.astype(_bridge.to_array(weights), g.dtype)
            codes = sfi.encode(full, w, stride=stride, padding=0)
            grad_y = _bridge.to_tensor(xp.reshape(codes, tuple(y.shape)), y)
        if ctx.needs_input_grad[1]:
            codes = xp.reshape(_bridge.to_array(y), (-1, n_filters, n_frames))
            gw = _weight_gradient(xp, full, codes, numtaps, stride)
            grad_w = _bridge.to_tensor(xp.ascontiguousarray(gw), weights).to(weights.dtype)
        return grad_y, grad_w, None, None, None


@register("sfi.encode")
def encode(x, weights, *, stride, padding):
    """:func:`sigpu.sfi.encode` on tensors, differentiable in x and weights."""
    return _Encode.apply(x, weights, stride, padding)


@register("sfi.decode")
def decode(y, weights, *, stride, padding, length=None):
    """:func:`sigpu.sfi.decode` on tensors, differentiable in y and weights."""
    return _Decode.apply(y, weights, stride, padding, length)


# ----------------------------------------------------------------------------- weight design
#
# A family here: ``build(params, **options)`` -> the sigpu family, and the parameter
# derivatives of its responses on a grid (one (F, n) array per parameter, in float64):
# ``impulse_derivatives(params, t, **options)`` and ``frequency_derivatives(params, w, ...)``;
# or, instead of the first, ``impulse_gradients(params, t, g)``: the contractions with the
# incoming gradient ``g (F, n)`` themselves.

_GAUSS_AMPLITUDE = 2.0 / math.sqrt(2.0 * math.pi)


class _ModulatedGaussianFamily:
    names = ("mu", "sigma", "phase")
    complex_params = (False, False, False)

    @staticmethod
    def build(params):
        mu, sigma, phase = params
        return sfi.ModulatedGaussian(mu, sigma, phase)

    @staticmethod
    def impulse_derivatives(xp, params, t):
        mu, sigma, phase = (p[:, None] for p in params)
        gauss = xp.exp(-0.5 * (sigma * t) ** 2)
        angle = mu * t + phase
        sine, cosine = xp.sin(angle), xp.cos(angle)
        d_mu = -_GAUSS_AMPLITUDE * sigma * gauss * t * sine
        d_sigma = _GAUSS_AMPLITUDE * gauss * cosine * (1.0 - (sigma * t) ** 2)
        d_phase = -_GAUSS_AMPLITUDE * sigma * gauss * sine
        return d_mu, d_sigma, d_phase

    @staticmethod
    def frequency_derivatives(xp, params, w):
        mu, sigma, phase = (p[:, None] for p in params)
        rot = xp.cos(phase) + 1j * xp.sin(phase)
        pos = xp.exp(-((w - mu) ** 2) / (2 * sigma**2)) * rot
        neg = xp.exp(-((w + mu) ** 2) / (2 * sigma**2)) * xp.conj(rot)
        d_mu = pos * (w - mu) / sigma**2 - neg * (w + mu) / sigma**2
        d_sigma = pos * (w - mu) ** 2 / sigma**3 + neg * (w + mu) ** 2 / sigma**3
        d_phase = 1j * (pos - neg)
        return d_mu, d_sigma, d_phase


class _GammatoneFamily:
    names = ("fc", "b", "phase")
    complex_params = (False, False, False)

    def __init__(self, order: int):
        self.order = order

    def build(self, params):
        fc, b, phase = params
        return sfi.Gammatone(fc, phase=phase, order=self.order, b=b)

    def impulse_derivatives(self, xp, params, t):
        fc, b, phase = (p[:, None] for p in params)
        causal = xp.where(t >= 0, t, xp.zeros_like(t))
        envelope = causal ** (self.order - 1) * xp.exp(-2 * math.pi * b * causal)
        envelope = xp.where(t >= 0, envelope, xp.zeros_like(envelope))
        angle = 2 * math.pi * fc * causal + phase
        sine = xp.sin(angle)
        d_fc = -2 * math.pi * causal * envelope * sine
        d_b = -2 * math.pi * causal * envelope * xp.cos(angle)
        d_phase = -envelope * sine
        return d_fc, d_b, d_phase

    def frequency_derivatives(self, xp, params, w):
        fc, b, phase = (p[:, None] for p in params)
        n = self.order
        rot = xp.cos(phase) + 1j * xp.sin(phase)
        log_gain = math.lgamma(n) - math.log(2.0)
        z_pos = xp.log(2 * math.pi * b + 1j * (w - 2 * math.pi * fc))
        z_neg = xp.log(2 * math.pi * b + 1j * (w + 2 * math.pi * fc))
        # (n-1)!/2 e^{+-j phase} z^-n and its z-derivative -n (n-1)!/2 e^{+-j phase} z^-(n+1)
        pos, neg = rot * xp.exp(log_gain - n * z_pos), xp.conj(rot) * xp.exp(log_gain - n * z_neg)
        pos_1 = rot * xp.exp(log_gain - (n + 1) * z_pos)
        neg_1 = xp.conj(rot) * xp.exp(log_gain - (n + 1) * z_neg)
        d_fc = 2j * math.pi * n * (pos_1 - neg_1)  # dz/dfc = -+2 pi j
        d_b = -2 * math.pi * n * (pos_1 + neg_1)  # dz/db = 2 pi
        d_phase = 1j * (pos - neg)
        return d_fc, d_b, d_phase


class _RationalFamily:
    """A bank of F rational filters ``H(s) = k prod(s - z) / prod(s - p)`` of one order:
    zeros ``(F, n_z)`` and poles ``(F, n_p)`` complex, gains ``(F,)`` real.

    The filters are those of sigpu's :class:`sigpu.sfi.RationalFilter`, built as one bank
    (host constants: the parameters are copied to the host to build them, an explicit copy of
    ``F (n_z + n_p + 1)`` numbers; one vectorised partial-fraction expansion for the whole
    bank when the poles are distinct, F objects otherwise).  With distinct poles ``h(t) = Re
    sum_i k u_i exp(p_i t)``, ``u_i = prod_z (p_i - z) / prod_{j != i} (p_i - p_j)``; the
    derivatives below are those of the holomorphic sum (and of ``H``), the real part taken by
    the caller's contraction.
    """

    names = ("zeros", "poles", "gain")
    complex_params = (True, True, False)

    @staticmethod
    def build(params):
        return rational_bank(*(to_host(p) for p in params))

    @staticmethod
    def impulse_gradients(xp, params, t, g):
        """The contractions ``sum_n g[f, n] dh_f(t_n)/dparam`` for zeros, poles and gain.

        ``dh/dk = sum_i u_i e_i``, ``dh/dz_l = -k sum_i u_i e_i / (p_i - z_l)`` and ``dh/dp_l =
        k u_l e_l (sum_z 1/(p_l - z) - sum_{j != l} 1/(p_l - p_j) + t) + k sum_i u_i e_i /
        (p_i - p_l)`` (``e_i = exp(p_i t)``) are sums of the F n_p modes with t-independent
        coefficients, so contracting the modes with ``g`` first (two ``(F, n_p)`` sums) leaves
        ``O(F n_p^2)`` work instead of ``(F, n_p, n_p, n)`` arrays.
        """
        zeros, poles, gain = params
        if poles.shape[1] > 1:
            gaps = xp.abs(poles[:, :, None] - poles[:, None, :])
            gaps = gaps + xp.eye(poles.shape[1])[None] * (1.0 + xp.max(gaps))
            if bool(xp.any(gaps <= 1e-8 * xp.maximum(xp.abs(poles[:, :, None]), 1.0))):
                raise ParameterError(
                    "rational_weights: the time-domain gradient needs distinct poles "
                    "(a repeated pole's residues are not differentiable this way); "
                    "use design='frequency'"
                )
        n_poles = poles.shape[1]
        # inverse pole gaps 1 / (p_i - p_l), 0 on the diagonal
        eye = xp.eye(n_poles, dtype=poles.dtype)[None]
        inverse_gaps = (1 - eye) / (poles[:, :, None] - poles[:, None, :] + eye)
        inverse_zero_gaps = 1 / (poles[:, :, None] - zeros[:, None, :])  # (F, n_p, n_z)
        unit = xp.prod(poles[:, :, None] - zeros[:, None, :], axis=2) / xp.prod(
            poles[:, :, None] - poles[:, None, :] + eye, axis=2
        )  # residues / gain
        causal = t >= 0
        tt = xp.where(causal, t, xp.zeros_like(t))  # (1, n)
        half = n_poles // 2
        paired = n_poles % 2 == 0 and bool(xp.all(poles[:, half:] == xp.conj(poles[:, :half])))
        # [upper, conj(upper)] poles: e^{conj(p) t} = conj(e^{p t}) and g, t are real, so the
        # lower half's sums are the conjugates of the upper half's
        distinct = poles[:, :half] if paired else poles
        modes = xp.where(causal[None], xp.exp(distinct[:, :, None] * tt[None]), 0)  # (F, ., n)
        g_sums = xp.sum(modes * g[:, None, :], axis=2)  # sum_n g e_i
        g_t_sums = xp.sum(modes * (g * tt)[:, None, :], axis=2)  # sum_n g t e_i
        if paired:
            g_sums = xp.concat([g_sums, xp.conj(g_sums)], axis=1)
            g_t_sums = xp.concat([g_t_sums, xp.conj(g_t_sums)], axis=1)
        g_modes, g_t_modes = unit * g_sums, unit * g_t_sums
        k = gain[:, None]
        d_gain = xp.sum(g_modes, axis=1)
        d_zeros = -k * xp.sum(g_modes[:, :, None] * inverse_zero_gaps, axis=1)
        own = xp.sum(inverse_zero_gaps, axis=2) - xp.sum(inverse_gaps, axis=2)
        d_poles = k * (g_modes * own + g_t_modes) + k * xp.sum(
            g_modes[:, :, None] * inverse_gaps, axis=1
        )
        return d_zeros, d_poles, d_gain

    @staticmethod
    def frequency_derivatives(xp, params, w):
        zeros, poles, gain = params
        s = 1j * w  # (1, M)
        zero_factors = s[:, None, :] - zeros[:, :, None]  # (F, n_z, M)
        pole_factors = s[:, None, :] - poles[:, :, None]
        denominator = xp.prod(pole_factors, axis=1)
        d_gain = xp.prod(zero_factors, axis=1) / denominator
        k = gain[:, None]
        response = k * d_gain
        # dH/dz_l = -k prod_{j != l} (s - z_j) / prod (s - p): no division by s - z_l, which
        # vanishes where a zero sits on the grid (e.g. s = 0 for a band-pass)
        n_zeros = zeros.shape[1]
        d_zeros = [
            -k
            * xp.prod(zero_factors[:, [j for j in range(n_zeros) if j != l]], axis=1)
            / denominator
            for l in range(n_zeros)
        ]
        d_zeros = xp.stack(d_zeros, axis=1) if n_zeros else zero_factors
        d_poles = response[:, None, :] / pole_factors
        return d_zeros, d_poles, d_gain


class _AnalogWeights(torch.autograd.Function):
    """``weights = design(family(*params), sr, numtaps, ...)`` with the parameter VJP."""

    @staticmethod
    def forward(ctx, family, design, *params):
        arrays = [_bridge.to_array(p) for p in params]
        ctx.save_for_backward(*params)
        ctx.family, ctx.design = family, design
        real = next(a for a, c in zip(arrays, family.complex_params, strict=True) if not c)
        options = dict(xp="cupy" if is_device_array(real) else "numpy", dtype=real.dtype)
        weights, ctx.t0 = design.run(family.build(arrays), **options)
        return _bridge.to_tensor(weights, params[0])

    @staticmethod
    def backward(ctx, grad_weights):
        params = ctx.saved_tensors
        g = _bridge.to_array(grad_weights)
        xp = array_namespace(g)
        arrays = [
            xp.astype(_bridge.to_array(p), xp.complex128 if is_complex else xp.float64)
            for p, is_complex in zip(params, ctx.family.complex_params, strict=True)
        ]
        contractions = ctx.design.parameter_gradients(
            xp, ctx.family, arrays, xp.astype(g, xp.float64), ctx.t0
        )
        # torch's gradient of a real loss in a complex parameter c is dL/dRe c + j dL/dIm c:
        # the conjugate of the contraction with the holomorphic derivative; a real one's is
        # its real part
        grads = [
            xp.conj(x) if is_complex else xp.real(x)
            for x, is_complex in zip(contractions, ctx.family.complex_params, strict=True)
        ]
        return (
            None,
            None,
            *(
                _bridge.to_tensor(xp.ascontiguousarray(grad), p).to(p.dtype) if needed else None
                for grad, p, needed in zip(grads, params, ctx.needs_input_grad[2:], strict=True)
            ),
        )


class _TimeDomainDesign:
    """``w[f, k] = h_f(t0 + k / sr) / sr`` (or the raw samples for ``scale=None``)."""

    def __init__(self, sr, numtaps, grid, scale):
        self.sr, self.numtaps, self.grid, self.scale = sr, numtaps, grid, scale

    def run(self, family, **options):
        weights, self.t0 = sfi.time_domain_weights(
            family, self.sr, self.numtaps, grid=self.grid, scale=self.scale, **options
        )
        return weights, self.t0

    def parameter_gradients(self, xp, family, params, g, t0):
        t = (t0 + xp.arange(self.numtaps, dtype=xp.float64) / self.sr)[None]
        if self.scale == "impulse_invariance":
            g = g / self.sr
        if hasattr(family, "impulse_gradients"):  # contracted in closed form
            return family.impulse_gradients(xp, params, t, g)
        return [_contract(xp, g, d) for d in family.impulse_derivatives(xp, params, t)]


class _FrequencyDomainDesign:
    """``w = [Re(H s), Im(H s)] @ pinv`` on ``n_grid`` frequencies, ``s = exp(j w delay)``."""

    def __init__(self, sr, numtaps, n_grid, delay):
        self.sr, self.numtaps, self.n_grid, self.delay = sr, numtaps, n_grid, delay

    def run(self, family, **options):
        weights, self.t0 = sfi.frequency_domain_weights(
            family, self.sr, self.numtaps, n_grid=self.n_grid, delay=self.delay, **options
        )
        return weights, self.t0

    def parameter_gradients(self, xp, family, params, g, t0):
        solver = on_device(fd_solver(self.numtaps, self.n_grid), xp, np.float64)  # (2M, K)
        grad_rhs = xp.matmul(g, xp.permute_dims(solver, (1, 0)))  # (F, 2M)
        # the loss is Re(conj(G) H s) with G the gradient of [Re, Im] as one complex number
        conj_grad = grad_rhs[:, : self.n_grid] - 1j * grad_rhs[:, self.n_grid :]
        w = xp.linspace(0.0, math.pi * self.sr, self.n_grid, dtype=xp.float64)[None]
        shift = xp.exp(1j * w * self.delay)
        derivatives = family.frequency_derivatives(xp, params, w)
        return [_contract(xp, conj_grad * shift, d) for d in derivatives]


def _contract(xp, g, derivative):
    """``sum_n g[f, n] derivative[f, ..., n]``: ``(F, n)`` with ``(F, ..., n)``."""
    g = xp.reshape(g, (g.shape[0],) + (1,) * (derivative.ndim - 2) + (g.shape[-1],))
    return xp.sum(g * derivative, axis=-1)


_FLOAT_DTYPES = (torch.float32, torch.float64)
DESIGNS = ("time", "frequency")


def _bank_parameters(func: str, **params):
    """Tensors (and Python numbers) broadcast to one ``(F,)`` shape, dtype and device."""
    tensors = {name: v for name, v in params.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise TypeError(f"{func}: pass the filter parameters as torch tensors (float32/float64)")
    name0, like = next(iter(tensors.items()))
    for name, t in tensors.items():
        if t.dtype not in _FLOAT_DTYPES:
            raise TypeError(f"{func}: {name} has dtype {t.dtype}; use float32 or float64")
        if t.dtype != like.dtype or t.device != like.device:
            raise TypeError(
                f"{func}: {name} ({t.dtype}, {t.device}) and {name0} ({like.dtype}, "
                f"{like.device}) must share one dtype and device"
            )
    values = []
    for name, v in params.items():
        if not isinstance(v, torch.Tensor):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"{func}: {name}={v!r} must be a tensor or a real number")
            v = torch.tensor(float(v), dtype=like.dtype, device=like.device)
        values.append(v)
    try:
        values = torch.broadcast_tensors(*values)
    except RuntimeError as err:
        shapes = ", ".join(f"{n}{tuple(v.shape)}" for n, v in zip(params, values, strict=True))
        raise ParameterError(f"{func}: parameters {shapes} do not broadcast together") from err
    if values[0].ndim > 1:
        raise ParameterError(f"{func}: parameters must be scalars or 1-D (F,) tensors")
    return [v.reshape(-1).contiguous() for v in values]


def _design(func, design, sr, numtaps, grid, scale, n_grid, delay):
    if design not in DESIGNS:
        raise ParameterError(f"{func}: design={design!r} must be one of {DESIGNS}")
    if design == "time":
        return _TimeDomainDesign(sr, numtaps, grid, scale)
    return _FrequencyDomainDesign(sr, numtaps, n_grid, delay)


def modulated_gaussian_weights(
    mu,
    sigma,
    phase,
    *,
    sr,
    numtaps,
    design="time",
    grid="centered",
    scale="impulse_invariance",
    n_grid=640,
    delay=0.0,
):
    """Conv weights of a modulated-Gaussian bank, differentiable in ``mu``, ``sigma``, ``phase``.

    The weights of :func:`sigpu.sfi.time_domain_weights` (``design="time"``) or
    :func:`sigpu.sfi.frequency_domain_weights` (``design="frequency"``) of
    ``sigpu.sfi.ModulatedGaussian(mu, sigma, phase)``, with an exact backward to the
    analog parameters (analytic derivatives of ``h(t)`` or ``H(w)``).

    Parameters
    ----------
    mu, sigma, phase : torch.Tensor or float, shape (F,) or scalar
        Centre angular frequencies (rad/s), Gaussian bandwidths (rad/s, > 0), phases (rad);
        tensors share one dtype (float32 or float64) and device, numbers broadcast.
    sr : float
        Sampling rate in Hz, > 0.
    numtaps : int
        Kernel length K >= 1.
    design : {"time", "frequency"}
        Time-domain sampling or frequency-domain least squares.
    grid, scale
        Of the time-domain design (see :func:`sigpu.sfi.time_domain_weights`).
    n_grid, delay
        Of the frequency-domain design (see :func:`sigpu.sfi.frequency_domain_weights`).

    Returns
    -------
    weights : torch.Tensor, shape (F, numtaps)
        Convolution order, the parameters' dtype and device.
    t0 : float
        Analog time (s) of tap 0.

    See Also
    --------
    gammatone_weights : The same for a gammatone bank.
    sigpu.sfi.encode : Filter-bank encoder using the weights.

    Notes
    -----
    Backends: CPU tensors through NumPy, CUDA tensors through CuPy.  Reference: Saito et al.,
    IEEE/ACM TASLP 30 (2022); the forward equals sigpu's NumPy design bit for bit.

    Examples
    --------
    >>> import math, torch
    >>> from sigpu.torch import modulated_gaussian_weights
    >>> mu = torch.tensor([500.0, 1500.0], dtype=torch.float64, requires_grad=True)
    >>> w, t0 = modulated_gaussian_weights(2 * math.pi * mu, 2 * math.pi * 400, 0.0,
    ...                                    sr=16000, numtaps=80)
    >>> w.sum().backward()
    >>> w.shape, mu.grad.shape
    (torch.Size([2, 80]), torch.Size([2]))
    """
    func = "modulated_gaussian_weights"
    params = _bank_parameters(func, mu=mu, sigma=sigma, phase=phase)
    runner = _design(func, design, sr, numtaps, grid, scale, n_grid, delay)
    weights = _AnalogWeights.apply(_ModulatedGaussianFamily, runner, *params)
    return weights, runner.t0


def gammatone_weights(
    fc,
    b,
    phase,
    *,
    order=4,
    sr,
    numtaps,
    design="time",
    grid="causal",
    scale="impulse_invariance",
    n_grid=640,
    delay=0.0,
):
    """Conv weights of a gammatone bank, differentiable in ``fc``, ``b`` and ``phase``.

    The weights of :func:`sigpu.sfi.time_domain_weights` or
    :func:`sigpu.sfi.frequency_domain_weights` of ``sigpu.sfi.Gammatone(fc, phase=phase,
    order=order, b=b)``, with an exact backward to the analog parameters.

    Parameters
    ----------
    fc, b, phase : torch.Tensor or float, shape (F,) or scalar
        Centre frequencies (Hz), bandwidths (Hz, > 0, e.g. from
        :func:`sigpu.sfi.gammatone_bandwidth`) and phases (rad); one dtype and device.
    order : int, default 4
        Filter order (the MPGTF of the SFI paper uses 2).
    sr, numtaps, design, grid, scale, n_grid, delay
        As for :func:`modulated_gaussian_weights` (default grid "causal": a gammatone starts
        at t = 0).

    Returns
    -------
    weights : torch.Tensor, shape (F, numtaps)
    t0 : float

    See Also
    --------
    modulated_gaussian_weights : The same for a modulated-Gaussian bank.
    sigpu.sfi.Gammatone : The analog filter.

    Notes
    -----
    Backends: CPU tensors through NumPy, CUDA tensors through CuPy.  Reference: Saito et al.,
    IEEE/ACM TASLP 30 (2022) (multi-phase gammatone filters).

    Examples
    --------
    >>> import torch
    >>> from sigpu.torch import gammatone_weights
    >>> fc = torch.tensor([500.0, 1000.0], dtype=torch.float64, requires_grad=True)
    >>> w, t0 = gammatone_weights(fc, 100.0, 0.0, order=2, sr=8000, numtaps=40)
    >>> w.shape, t0
    (torch.Size([2, 40]), 0.0)
    """
    func = "gammatone_weights"
    params = _bank_parameters(func, fc=fc, b=b, phase=phase)
    runner = _design(func, design, sr, numtaps, grid, scale, n_grid, delay)
    weights = _AnalogWeights.apply(_GammatoneFamily(order), runner, *params)
    return weights, runner.t0


_COMPLEX_OF = {torch.float32: torch.complex64, torch.float64: torch.complex128}


def _rational_parameters(func, zeros, poles, gain):
    """``(F, n_z)``, ``(F, n_p)`` complex and ``(F,)`` real tensors of one precision/device."""
    if not all(isinstance(a, torch.Tensor) for a in (zeros, poles, gain)):
        raise TypeError(f"{func}: zeros, poles and gain must be torch tensors")
    if gain.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{func}: gain has dtype {gain.dtype}; use float32 or float64")
    complex_dtype = _COMPLEX_OF[gain.dtype]
    for name, a in (("zeros", zeros), ("poles", poles)):
        if a.dtype != complex_dtype:
            raise TypeError(
                f"{func}: {name} has dtype {a.dtype}; with a {gain.dtype} gain it must be "
                f"{complex_dtype}"
            )
        if a.device != gain.device:
            raise TypeError(f"{func}: {name} is on {a.device}, gain on {gain.device}")
    if poles.ndim not in (1, 2) or zeros.ndim != poles.ndim or gain.ndim > 1:
        raise ParameterError(
            f"{func}: zeros and poles must both be (n,) for one filter or (F, n) for a bank, "
            f"gain a scalar or (F,); got {tuple(zeros.shape)}, {tuple(poles.shape)}, "
            f"{tuple(gain.shape)}"
        )
    if poles.ndim == 1:
        zeros, poles = zeros[None], poles[None]
    n_filters = poles.shape[0]
    if zeros.shape[0] != n_filters or gain.numel() not in (1, n_filters):
        raise ParameterError(
            f"{func}: zeros, poles and gain describe different numbers of filters: "
            f"{zeros.shape[0]}, {n_filters}, {gain.numel()}"
        )
    gain = gain.reshape(-1).expand(n_filters).contiguous()
    return zeros.resolve_conj().contiguous(), poles.resolve_conj().contiguous(), gain


def rational_weights(
    zeros, poles, gain, *, sr, numtaps, design="time", grid="causal",
    scale="impulse_invariance", n_grid=640, delay=0.0,
):  # fmt: skip
    """Conv weights of a bank of rational analog filters, differentiable in zeros, poles, gain.

    Filter ``f`` is ``sigpu.sfi.RationalFilter(zeros[f], poles[f], gain[f])``,
    ``H(s) = gain prod(s - z) / prod(s - p)`` (s = jw, rad/s), designed by
    :func:`sigpu.sfi.time_domain_weights` or :func:`sigpu.sfi.frequency_domain_weights`.

    Parameters
    ----------
    zeros : torch.Tensor, shape (F, n_z) or (n_z,), complex
        Zeros in rad/s (``n_z`` may be 0).
    poles : torch.Tensor, shape (F, n_p) or (n_p,), complex
        Poles in rad/s; distinct for the time-domain gradient.
    gain : torch.Tensor, shape (F,) or scalar, float32 or float64
        Gains; zeros and poles are complex64 with a float32 gain, complex128 with float64.
    sr, numtaps, design, grid, scale, n_grid, delay
        As for :func:`modulated_gaussian_weights` (default grid "causal").

    Returns
    -------
    weights : torch.Tensor, shape (F, numtaps)
        Gain's dtype and device.
    t0 : float
        Analog time (s) of tap 0.

    See Also
    --------
    modulated_gaussian_weights : The same for a modulated-Gaussian bank.
    sigpu.sfi.RationalFilter : The analog filter.

    Notes
    -----
    Backends: CPU tensors through NumPy, CUDA tensors through CuPy; the filters' partial
    fractions are host constants, so the parameters are copied to the host once per call
    (explicitly: ``F (n_z + n_p + 1)`` numbers).  The gradient of a real loss in a complex
    zero or pole is torch's ``dL/dRe + j dL/dIm``; a conjugate pair of poles keeps its
    symmetry under gradient steps in the time domain (the gradients are conjugates), not in
    the frequency domain, which fits ``H`` on positive frequencies only.  Reference:
    ``scipy.signal.freqs_zpk`` / ``scipy.signal.impulse``.

    Examples
    --------
    >>> import numpy as np, scipy.signal, torch
    >>> from sigpu.torch import rational_weights
    >>> z, p, k = scipy.signal.butter(2, [2 * np.pi * 500, 2 * np.pi * 1500], "bandpass",
    ...                               analog=True, output="zpk")
    >>> poles = torch.tensor(p, requires_grad=True)
    >>> gain = torch.tensor(k, dtype=torch.float64)
    >>> w, t0 = rational_weights(torch.tensor(z), poles, gain, sr=8000, numtaps=40)
    >>> w.square().sum().backward()
    >>> w.shape, poles.grad.dtype
    (torch.Size([1, 40]), torch.complex128)
    """
    func = "rational_weights"
    params = _rational_parameters(func, zeros, poles, gain)
    runner = _design(func, design, sr, numtaps, grid, scale, n_grid, delay)
    weights = _AnalogWeights.apply(_RationalFamily, runner, *params)
    return weights, runner.t0
