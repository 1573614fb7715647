"""Harmonic convolution layers: ``nn.Conv2d`` look-alikes whose kernel rows are harmonics.

Both layers hold ``weight (C_out, C_in/groups, K_f, K_t)`` and ``bias (C_out,)`` initialised
as ``nn.Conv2d`` does (Kaiming-uniform with ``a = sqrt(5)``, bias uniform in
``+-1/sqrt(fan_in)``, ``fan_in = C_in/groups * K_f * K_t``, the Harmonic Lowering repository's
initialisation), and call sigpu's forward and exact backward through :mod:`._harmonic`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._errors import ParameterError

# the public functions, so that a call passes the bridge's checks of its tensors (mixed with
# NumPy/CuPy arrays, sparse, meta, several devices) before the autograd of ._harmonic
from ..harmonic import harmonic_conv2d, log_harmonic_conv2d
from . import _harmonic  # noqa: F401  (registers that autograd)

__all__ = ["HarmonicConv2d", "LogHarmonicConv2d"]


def _kernel_pair(kernel_size):
    pair = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    if len(pair) != 2 or not all(isinstance(k, int) and k >= 1 for k in pair):
        raise ParameterError(
            f"kernel_size={kernel_size!r} must be an int >= 1 or a pair (n_harmonics, K_t) of them"
        )
    return pair


class _HarmonicConvBase(nn.Module):
    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        *,
        stride,
        padding,
        dilation,
        groups,
        bias,
        anchor,
        device,
        dtype,
    ):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int) or value < 1:
                raise ParameterError(f"{name}={value!r} must be an integer >= 1")
        if (
            not isinstance(groups, int)
            or groups < 1
            or in_channels % groups
            or out_channels % groups
        ):
            raise ParameterError(
                f"groups={groups!r} must be an integer >= 1 dividing in_channels={in_channels} "
                f"and out_channels={out_channels}"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _kernel_pair(kernel_size)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.anchor = anchor
        factory = dict(device=device, dtype=dtype)
        self.weight = nn.Parameter(
            torch.empty((out_channels, in_channels // groups, *self.kernel_size), **factory)
        )
        self.bias = nn.Parameter(torch.empty(out_channels, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias as ``nn.Conv2d.reset_parameters`` does."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight[0].numel()
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    def _keywords(self):
        return dict(
            anchor=self.anchor,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
        )

    def extra_repr(self):
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"anchor={self.anchor}, stride={self.stride}, padding={self.padding}"
        )
        if self.dilation != 1:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class HarmonicConv2d(_HarmonicConvBase):
    """Harmonic convolution layer on a linear-frequency axis (bin 0 = DC).

    ``y = harmonic_conv2d(x, weight, bias, anchor=..., stride=..., ...)``: kernel row
    ``k - 1`` reads harmonic ``k`` of every output bin (``f * k / anchor``), the kernel's
    second axis is an ordinary convolution over time.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input ``(N, C_in, F, T)`` and of the output.
    kernel_size : int or (n_harmonics, K_t)
        Harmonics per output bin and time taps (an int gives both).
    stride : int or (s_f, s_t), default 1
        PyTorch semantics; ``s_f`` subsamples the output bins.
    padding : int or (0, P_t), default 0
        Zero padding of the time axis (frequency padding other than 0 is an error).
    dilation : int or (1, d_t), default 1
        Dilation of the time axis.
    groups : int, default 1
        Grouped convolution as in ``nn.Conv2d``.
    bias : bool, default True
        Whether to add a learnable bias per output channel.
    anchor : int, default 1
        Output bin ``f`` is the ``anchor``-th harmonic of ``f / anchor``.
    top_edge : {"inclusive", "hl_repo", "zero_ext"}
        Top-of-spectrum rule (see :func:`sigpu.harmonic_lower`).
    device, dtype
        Of the parameters, as for ``nn.Conv2d`` (float32 or float64).

    See Also
    --------
    sigpu.harmonic_conv2d : The operator (NumPy, CuPy and tensors).
    LogHarmonicConv2d : The layer for a log-frequency axis.

    Notes
    -----
    Backends: CPU tensors through NumPy (numba lowering + BLAS), CUDA tensors through CuPy;
    the backward is sigpu's exact :func:`sigpu.harmonic_conv2d_backward`.  Reference:
    Zhang et al., ICLR 2020; Takeuchi et al., Harmonic Lowering, Interspeech 2020.

    Examples
    --------
    >>> import torch
    >>> from sigpu.torch import HarmonicConv2d
    >>> layer = HarmonicConv2d(2, 4, (3, 5), padding=2, anchor=2)
    >>> layer(torch.randn(1, 2, 64, 20)).shape
    torch.Size([1, 4, 64, 20])
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        *,
        anchor=1,
        top_edge="inclusive",
        device=None,
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
            anchor=anchor,
            device=device,
            dtype=dtype,
        )
        self.top_edge = top_edge

    def forward(self, x):
        """Apply the layer.

        Parameters
        ----------
        x : torch.Tensor, shape (N, C_in, F, T)

        Returns
        -------
        y : torch.Tensor, shape (N, C_out, F', T')
        """
        return harmonic_conv2d(
            x, self.weight, self.bias, top_edge=self.top_edge, **self._keywords()
        )


class LogHarmonicConv2d(_HarmonicConvBase):
    """Harmonic convolution layer on a log-frequency axis (e.g. a CQT), harmonics as shifts.

    Parameters
    ----------
    in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias
        As for :class:`HarmonicConv2d`.
    bins_per_octave : float
        Bins per octave of the input's frequency axis, > 0.
    anchor : int, default 1
        Output bin ``f`` is the ``anchor``-th harmonic.
    device, dtype
        Of the parameters.

    See Also
    --------
    sigpu.log_harmonic_conv2d : The operator.
    HarmonicConv2d : The layer for a linear-frequency axis.

    Notes
    -----
    Backends: CPU tensors through NumPy, CUDA tensors through CuPy; exact backward
    (:func:`sigpu.log_harmonic_conv2d_backward`).  Reference: Takeuchi et al., Interspeech
    2020 (``SingleLogHarmonicConv2d``).

    Examples
    --------
    >>> import torch
    >>> from sigpu.torch import LogHarmonicConv2d
    >>> layer = LogHarmonicConv2d(1, 3, (4, 3), padding=1, bins_per_octave=12)
    >>> layer(torch.randn(2, 1, 84, 10)).shape
    torch.Size([2, 3, 84, 10])
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        *,
        bins_per_octave,
        anchor=1,
        device=None,
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
            anchor=anchor,
            device=device,
            dtype=dtype,
        )
        self.bins_per_octave = bins_per_octave

    def forward(self, x):
        """Apply the layer.

        Parameters
        ----------
        x : torch.Tensor, shape (N, C_in, F, T)

        Returns
        -------
        y : torch.Tensor, shape (N, C_out, F', T')
        """
        return log_harmonic_conv2d(
            x, self.weight, self.bias, bins_per_octave=self.bins_per_octave, **self._keywords()
        )

    def extra_repr(self):
        """The layer's settings as shown by ``repr``.

        Returns
        -------
        text : str
        """
        return super().extra_repr() + f", bins_per_octave={self.bins_per_octave}"
