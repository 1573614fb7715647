"""Autograd for harmonic convolution: torch tensors through sigpu's forward and exact backward.

The forward and both gradients are sigpu's own (:func:`sigpu.harmonic_conv2d`,
:func:`sigpu.harmonic_conv2d_backward` and their log-frequency twins) run on the NumPy/CuPy
views of the tensors (DLPack, no copy), so a tensor call gives the NumPy numbers and the
exact transposed lowering, not the resampled gradient of the Harmonic Lowering repository.
"""

from __future__ import annotations

import torch

from .. import harmonic
from . import _bridge
from ._bridge import register

__all__ = ["harmonic_conv2d", "log_harmonic_conv2d"]


def _array_or_none(t):
    return None if t is None else _bridge.to_array(t)


class _HarmonicConvolution(torch.autograd.Function):
    """``y = forward(x, weight, bias, **keywords)``; backward: ``backward(grad_y, x, weight)``.

    The pair of sigpu functions is an argument, so the linear and the log-frequency axes share
    one Function; x and weight are kept for the backward (the gradients need both)."""

    @staticmethod
    def forward(ctx, x, weight, bias, pair, keywords):
        forward, backward = pair
        ctx.save_for_backward(x, weight)
        ctx.backward_func, ctx.keywords = backward, keywords
        y = forward(_bridge.to_array(x), _bridge.to_array(weight), _array_or_none(bias), **keywords)
        return _bridge.to_tensor(y, x)

    @staticmethod
    def backward(ctx, grad_y):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad[:3]
        grad_x, grad_weight, grad_bias = ctx.backward_func(
            _bridge.to_array(grad_y),
            _bridge.to_array(x),
            _bridge.to_array(weight),
            needs_bias=needs_bias,
            **ctx.keywords,
        )
        return (
            _bridge.to_tensor(grad_x, x) if needs_x else None,
            _bridge.to_tensor(grad_weight, weight) if needs_weight else None,
            _bridge.to_tensor(grad_bias, weight) if needs_bias else None,
            None,
            None,
        )


_LINEAR = (harmonic.harmonic_conv2d, harmonic.harmonic_conv2d_backward)
_LOG = (harmonic.log_harmonic_conv2d, harmonic.log_harmonic_conv2d_backward)


@register("harmonic_conv2d")
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
    """:func:`sigpu.harmonic_conv2d` on tensors, differentiable in x, weight and bias."""
    keywords = dict(
        anchor=anchor,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        top_edge=top_edge,
    )
    return _HarmonicConvolution.apply(x, weight, bias, _LINEAR, keywords)


@register("log_harmonic_conv2d")
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
    """:func:`sigpu.log_harmonic_conv2d` on tensors, differentiable in x, weight and bias."""
    keywords = dict(
        bins_per_octave=bins_per_octave,
        anchor=anchor,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )
    return _HarmonicConvolution.apply(x, weight, bias, _LOG, keywords)
