"""SFI layers: trainable analog filter banks whose conv weights are made for the input's rate.

The ``nn.Parameter`` s of :class:`SFIEncoder`, :class:`SFIDecoder` and :class:`SFIConv1d` are
the analog filters' centre frequencies, bandwidths (both in Hz) and phases (rad), or for
``family="rational"`` their poles, zeros and gains (:mod:`._rational_bank`); a call
``layer(x, sr=16000)`` designs the digital weights for ``sr`` (time- or frequency-domain,
:mod:`sigpu.sfi`), with kernel length and hop fixed in seconds (given in samples at
``train_sr``), and gradients flow to the analog parameters (:mod:`._sfi`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .. import sfi
from .._errors import ParameterError
from .._validate import nonnegative_float, positive_float, positive_int
from ..sfi import decode, encode  # public: the bridge checks the tensors, then ._sfi's autograd
from . import _rational_bank
from ._sfi import DESIGNS, gammatone_weights, modulated_gaussian_weights, rational_weights

__all__ = ["SFIEncoder", "SFIDecoder", "SFIConv1d"]

FAMILIES = ("mgf", "gammatone", "rational")

#: nn.Parameter names of a rational bank (see :mod:`._rational_bank`)
RATIONAL_PARAMETERS = ("pole_rate", "pole_hz", "zero_re_hz", "zero_im_hz", "gain")


class _AnalogFilterBank(nn.Module):
    """``n_filters`` analog filters (ERB-spaced centres) and their weight design."""

    def __init__(
        self,
        n_filters,
        kernel_size,
        stride,
        *,
        train_sr,
        family="mgf",
        design="time",
        order=2,
        fmin=50.0,
        fmax=None,
        bandwidth_hz=None,
        grid=None,
        n_grid=640,
        rounding="floor",
        zpk=None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if not isinstance(n_filters, int) or n_filters < 1:
            raise ParameterError(f"n_filters={n_filters!r} must be an integer >= 1")
        if family not in FAMILIES:
            raise ParameterError(f"family={family!r} must be one of {FAMILIES}")
        if design not in DESIGNS:
            raise ParameterError(f"design={design!r} must be one of {DESIGNS}")
        train_sr = positive_float(train_sr, "train_sr")
        fmin = nonnegative_float(fmin, "fmin")
        if positive_int(n_grid, "n_grid") < 2:
            raise ParameterError(f"n_grid={n_grid} must be at least 2")
        if fmax is None and train_sr / 2 <= fmin:
            raise ParameterError(
                f"train_sr={train_sr:g}: its Nyquist frequency {train_sr / 2:g} Hz (the default "
                f"fmax) must exceed fmin={fmin!r}"
            )
        # checks kernel_size, stride and rounding once, at construction; stride None: a
        # stride-1 convolution at every rate (only the kernel length scales)
        sfi.scaled_geometry(
            train_sr,
            train_sr=train_sr,
            kernel_size=kernel_size,
            stride=kernel_size if stride is None else stride,
            rounding=rounding,
        )
        self.train_sr, self.kernel_size, self.stride = float(train_sr), kernel_size, stride
        self.family, self.design, self.order = family, design, order
        self.grid = grid if grid is not None else ("centered" if family == "mgf" else "causal")
        self.n_grid, self.rounding, self.n_filters = n_grid, rounding, n_filters
        fmax = train_sr / 2 if fmax is None else fmax
        centres = torch.as_tensor(
            sfi.erb_space(fmin, fmax, n_filters), dtype=dtype or torch.get_default_dtype()
        )
        if family == "rational":
            self._init_rational(centres, bandwidth_hz, zpk, device)
            return
        if zpk is not None:
            raise ParameterError(f"zpk is an initial pole/zero bank: family={family!r} takes none")
        if bandwidth_hz is None:
            bandwidth = (
                torch.full_like(centres, 100.0)
                if family == "mgf"
                else torch.as_tensor(sfi.gammatone_bandwidth(centres.double().numpy(), order)).to(
                    centres.dtype
                )
            )
        else:
            bandwidth = torch.full_like(centres, positive_float(bandwidth_hz, "bandwidth_hz"))
            if not bool((bandwidth > 0).all()):  # e.g. 1e-300 Hz in float32
                raise ParameterError(
                    f"bandwidth_hz={bandwidth_hz!r} is not a positive {centres.dtype} number"
                )
        # phases spread over [0, pi) (the paper draws them uniformly; a fixed spread keeps
        # layers reproducible without a generator)
        phase = torch.arange(n_filters, dtype=centres.dtype) * (math.pi / n_filters)
        self.center_hz = nn.Parameter(centres.to(device))
        self.bandwidth_hz = nn.Parameter(bandwidth.to(device))
        self.phase = nn.Parameter(phase.to(device))

    def _init_rational(self, centres, bandwidth_hz, zpk, device):
        """Pole/zero parameters from ``zpk`` or Butterworth band-passes at ``centres``."""
        strictly_proper = self.design == "time"
        if zpk is not None:
            params = _rational_bank.initial_parameters(
                zpk, self.n_filters, strictly_proper=strictly_proper
            )
        else:
            bandwidth = (
                _rational_bank.erb_hz(centres.double().numpy())
                if bandwidth_hz is None
                else positive_float(bandwidth_hz, "bandwidth_hz")
            )
            prototype = _rational_bank.butterworth_bandpass_bank(
                centres.double().numpy(), np.broadcast_to(bandwidth, centres.shape), self.order
            )
            try:
                params = _rational_bank.initial_parameters(
                    prototype, self.n_filters, strictly_proper=strictly_proper
                )
            except ParameterError as error:  # e.g. poles lost to underflow at extreme bands
                raise ParameterError(
                    f"the Butterworth prototypes (order={self.order}, fmin, fmax, "
                    f"bandwidth_hz={bandwidth_hz!r}) are not a usable bank: {error}"
                ) from error
        for name in RATIONAL_PARAMETERS:
            value = torch.as_tensor(params[name], dtype=centres.dtype, device=device)
            if not bool(torch.isfinite(value).all()):  # e.g. a 1e-300 gain in float32
                raise ParameterError(f"zpk: {name} is not a finite {centres.dtype} number")
            setattr(self, name, nn.Parameter(value))

    def rational_zpk(self):
        """Zeros, poles (complex, rad/s) and gains of a ``family="rational"`` bank.

        Returns
        -------
        zeros : torch.Tensor, shape (F, n_z), complex
        poles : torch.Tensor, shape (F, 2 P), complex
            The P stored poles, then their conjugates.
        gain : torch.Tensor, shape (F,)
            ``gain * (2 pi 1000) ** (n_p - n_z)``.
        """
        if self.family != "rational":
            raise ParameterError(f"rational_zpk: family={self.family!r} is not 'rational'")
        return _rational_bank.assemble(*(getattr(self, n) for n in RATIONAL_PARAMETERS))

    def geometry(self, sr):
        """``(numtaps, stride, padding)`` at ``sr``, from :func:`sigpu.sfi.scaled_geometry`.

        Parameters
        ----------
        sr : float
            Sampling rate in Hz.

        Returns
        -------
        numtaps, stride, padding : int
        """
        return sfi.scaled_geometry(
            sr,
            train_sr=self.train_sr,
            kernel_size=self.kernel_size,
            stride=self.stride,
            rounding=self.rounding,
        )

    def numtaps(self, sr):
        """Kernel length at ``sr``: ``kernel_size * sr / train_sr`` rounded per ``rounding``.

        Parameters
        ----------
        sr : float
            Sampling rate in Hz.

        Returns
        -------
        numtaps : int
        """
        return sfi.scaled_geometry(
            sr,
            train_sr=self.train_sr,
            kernel_size=self.kernel_size,
            stride=self.kernel_size,
            rounding=self.rounding,
        )[0]

    def weights(self, sr):
        """The digital weights at ``sr``, differentiable in the analog parameters.

        Parameters
        ----------
        sr : float
            Sampling rate in Hz.

        Returns
        -------
        weights : torch.Tensor, shape (n_filters, numtaps)
            Convolution order, impulse-invariance gain (independent of ``sr``).
        """
        numtaps = self.numtaps(sr)
        if self.design == "frequency" and numtaps > 2 * self.n_grid - 2:
            raise ParameterError(
                f"sr={sr!r} gives {numtaps} taps, more than the frequency-domain design's "
                f"2 * n_grid - 2 = {2 * self.n_grid - 2} (raise n_grid)"
            )
        options = dict(
            sr=sr, numtaps=numtaps, design=self.design, grid=self.grid, n_grid=self.n_grid
        )
        if self.family == "mgf":
            two_pi = 2 * math.pi
            weights, _ = modulated_gaussian_weights(
                two_pi * self.center_hz, two_pi * self.bandwidth_hz, self.phase, **options
            )
        elif self.family == "gammatone":
            weights, _ = gammatone_weights(
                self.center_hz, self.bandwidth_hz, self.phase, order=self.order, **options
            )
        else:
            weights, _ = rational_weights(*self.rational_zpk(), **options)
        return weights

    def extra_repr(self):
        return (
            f"n_filters={self.n_filters}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, train_sr={self.train_sr:g}, family={self.family!r}, "
            f"design={self.design!r}"
        )


_COMMON_PARAMETERS = """
    n_filters : int
        Number of analog filters F.
    kernel_size, stride : int
        Kernel length and hop in samples at ``train_sr`` (fixed durations in seconds; at
        another rate they scale, see :func:`sigpu.sfi.scaled_geometry`).
    train_sr : float
        Rate at which ``kernel_size`` and ``stride`` are given (Hz).
    family : {"mgf", "gammatone", "rational"}
        Modulated Gaussian filters, gammatones (of ``order``) or rational filters
        ``H(s) = k prod(s - z) / prod(s - p)`` with trainable poles, zeros and gains, initialised
        as Butterworth band-passes of ``order`` pole pairs (or from ``zpk``).
    design : {"time", "frequency"}
        Time-domain sampling or frequency-domain least-squares weight design.
    order : int, default 2
        Gammatone order (the MPGTF of the SFI paper uses 2); for "rational", the number of
        conjugate pole pairs (and of zeros, at s = 0) of the Butterworth band-pass prototype,
        in [1, 8].
    fmin, fmax : float
        Range of the ERB-spaced initial centre frequencies (Hz); ``fmax`` defaults to
        ``train_sr / 2``.
    bandwidth_hz : float, optional
        Initial bandwidths (Hz): default 100 Hz for MGFs (sigma = 2 pi 100 rad/s, as in the
        paper), the ERB-matched :func:`sigpu.sfi.gammatone_bandwidth` for gammatones and the -3 dB
        band ``ERB(fc) = 24.7 + fc / 9.265`` (geometric centre ``fc``) for rational filters.
    grid : str, optional
        TD tap grid; default "centered" for MGFs, "causal" for gammatones.
    n_grid : int, default 640
        FD frequency grid size.
    rounding : {"floor", "round", "error"}
        Rounding of the scaled kernel length and hop.
    zpk : tuple of array_like, optional
        ``family="rational"`` only: the initial bank ``(zeros (F, n_z), poles (F, n_p), gains
        (F,))`` in rad/s instead of the Butterworth band-passes, e.g. stacked
        ``scipy.signal`` analog designs; every pole complex with a negative real part, poles
        and zeros real or in conjugate pairs, the same structure in every filter, fewer zeros
        than poles for ``design="time"``.
    device, dtype
        Of the parameters (float32 or float64).
"""


class SFIEncoder(_AnalogFilterBank):
    __doc__ = f"""Sampling-frequency-independent encoder: a strided filter bank of analog filters.

    ``encoder(x, sr=sr)`` designs the F weights for ``sr`` and applies
    :func:`sigpu.sfi.encode` with the scaled hop and padding ``(K - S) // 2``.

    Parameters
    ----------{_COMMON_PARAMETERS}
    Attributes
    ----------
    center_hz, bandwidth_hz, phase : nn.Parameter, shape (F,)
        The analog filters' parameters (families "mgf", "gammatone").
    pole_rate, pole_hz, zero_re_hz, zero_im_hz, gain : nn.Parameter
        Family "rational": P stored poles of the P conjugate pairs ``2 pi (-softplus(pole_rate)
        +- j pole_hz)`` (shapes (F, P): stable whatever the values), zeros ``2 pi (zero_re_hz[:,
        :Q] +- j zero_im_hz)`` (Q pairs) and ``2 pi zero_re_hz[:, Q:]`` (real), gains ``k = gain
        (2 pi 1000)^(n_p - n_z)`` (F,); :meth:`rational_zpk` assembles them.

    See Also
    --------
    SFIDecoder : Its transpose.
    sigpu.sfi.encode : The operator.

    Notes
    -----
    Backends: CPU tensors through NumPy, CUDA tensors through CuPy.  Reference: Saito,
    Nakamura, Yatabe, Saruwatari, IEEE/ACM TASLP 30 (2022) (SFI Conv-TasNet's encoder,
    without its ReLU).

    Examples
    --------
    >>> import torch
    >>> from sigpu.torch import SFIEncoder
    >>> encoder = SFIEncoder(16, 40, 20, train_sr=16000)
    >>> encoder(torch.randn(2, 8000), sr=16000).shape, encoder(torch.randn(2, 4000), sr=8000).shape
    (torch.Size([2, 16, 400]), torch.Size([2, 16, 400]))

    Trainable poles and zeros: 16 Butterworth band-passes of 2 pole pairs, stable throughout

    >>> bank = SFIEncoder(16, 40, 20, train_sr=16000, family="rational")
    >>> zeros, poles, gain = bank.rational_zpk()
    >>> poles.shape, bool((poles.real < 0).all()), bank(torch.randn(2, 4000), sr=8000).shape
    (torch.Size([16, 4]), True, torch.Size([2, 16, 400]))
    """

    def forward(self, x, sr):
        """Encode ``x`` sampled at ``sr``.

        Parameters
        ----------
        x : torch.Tensor, shape (..., n)
        sr : float
            Sampling rate of ``x`` in Hz.

        Returns
        -------
        y : torch.Tensor, shape (..., F, n_frames)
        """
        _, hop, padding = self.geometry(sr)
        return encode(x, self.weights(sr), stride=hop, padding=padding)


class SFIDecoder(_AnalogFilterBank):
    __doc__ = f"""Sampling-frequency-independent decoder: transposed strided conv of analog filters.

    ``decoder(y, sr=sr, length=n)`` applies :func:`sigpu.sfi.decode` with the weights designed
    for ``sr`` times ``sr / train_sr``: the overlap-add sums ``K / S`` frames per sample
    whatever the rate, so this factor keeps the output level independent of ``sr`` (the
    impulse-invariant weights alone scale with ``1 / sr``).

    Parameters
    ----------{_COMMON_PARAMETERS}
    Attributes
    ----------
    center_hz, bandwidth_hz, phase : nn.Parameter, shape (F,)
        Families "mgf", "gammatone".
    pole_rate, pole_hz, zero_re_hz, zero_im_hz, gain : nn.Parameter
        Family "rational", as for :class:`SFIEncoder`.

    See Also
    --------
    SFIEncoder : The encoder it inverts.
    sigpu.sfi.decode : The operator.

    Notes
    -----
    Backends: CPU tensors through NumPy, CUDA tensors through CuPy.  Reference: Saito et
    al., IEEE/ACM TASLP 30 (2022) (SFI Conv-TasNet's decoder).

    Examples
    --------
    >>> import torch
    >>> from sigpu.torch import SFIDecoder
    >>> decoder = SFIDecoder(16, 40, 20, train_sr=16000)
    >>> decoder(torch.randn(2, 16, 400), sr=8000, length=4000).shape
    torch.Size([2, 4000])
    """

    def forward(self, y, sr, length=None):
        """Decode frames ``y`` to a signal at ``sr``.

        Parameters
        ----------
        y : torch.Tensor, shape (..., F, n_frames)
        sr : float
            Sampling rate of the output in Hz.
        length : int, optional
            Output length (pass the encoder's input length).

        Returns
        -------
        x : torch.Tensor, shape (..., length)
        """
        _, hop, padding = self.geometry(sr)
        weights = self.weights(sr) * (sr / self.train_sr)
        return decode(y, weights, stride=hop, padding=padding, length=length)


class SFIConv1d(nn.Module):
    """Sampling-frequency-independent 1-D convolution (stride 1, "same" length).

    Every (output, input) channel pair has its own analog filter; ``conv(x, sr=sr)`` designs
    the ``C_out x C_in`` kernels for ``sr`` (length ``kernel_size * sr / train_sr``) and
    convolves (``torch.nn.functional.conv1d`` with ``padding="same"``'s zero padding, kernels
    time-reversed: torch correlates), plus an optional bias.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of ``x (N, C_in, n)`` and of the output.
    kernel_size : int
        Kernel length in samples at ``train_sr``.
    bias : bool, default True
        Learnable bias per output channel (initialised to 0).
    train_sr, family, design, order, fmin, fmax, bandwidth_hz, grid, n_grid, rounding, zpk
        As for :class:`SFIEncoder`; the ``C_out * C_in`` centres are ERB-spaced (filter
        ``o * C_in + i`` maps input ``i`` to output ``o``).
    device, dtype
        As for :class:`SFIEncoder`.

    Attributes
    ----------
    filters : SFIEncoder-like bank
        Holds ``center_hz``, ``bandwidth_hz``, ``phase`` of shape ``(C_out * C_in,)`` (or the
        rational family's poles, zeros and gains).

    See Also
    --------
    SFIEncoder : Strided single-channel filter bank.

    Notes
    -----
    Backends: weight design on NumPy (CPU tensors) or CuPy (CUDA tensors), the convolution in
    torch.  Reference: Saito et al., IEEE/ACM TASLP 30 (2022).

    Examples
    --------
    >>> import torch
    >>> from sigpu.torch import SFIConv1d
    >>> conv = SFIConv1d(2, 3, 33, train_sr=16000)
    >>> conv(torch.randn(1, 2, 1000), sr=16000).shape, conv(torch.randn(1, 2, 500), sr=8000).shape
    (torch.Size([1, 3, 1000]), torch.Size([1, 3, 500]))
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        bias=True,
        *,
        train_sr,
        family="mgf",
        design="time",
        order=2,
        fmin=50.0,
        fmax=None,
        bandwidth_hz=None,
        grid=None,
        n_grid=640,
        rounding="floor",
        zpk=None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int) or value < 1:
                raise ParameterError(f"{name}={value!r} must be an integer >= 1")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.filters = _AnalogFilterBank(
            in_channels * out_channels,
            kernel_size,
            None,
            train_sr=train_sr,
            family=family,
            design=design,
            order=order,
            fmin=fmin,
            fmax=fmax,
            bandwidth_hz=bandwidth_hz,
            grid=grid,
            n_grid=n_grid,
            rounding=rounding,
            zpk=zpk,
            device=device,
            dtype=dtype,
        )
        dtype = next(self.filters.parameters()).dtype
        self.bias = (
            nn.Parameter(torch.zeros(out_channels, device=device, dtype=dtype)) if bias else None
        )

    def forward(self, x, sr):
        """Convolve ``x`` sampled at ``sr``.

        Parameters
        ----------
        x : torch.Tensor, shape (N, C_in, n)
        sr : float
            Sampling rate of ``x`` in Hz.

        Returns
        -------
        y : torch.Tensor, shape (N, C_out, n)
        """
        weights = self.filters.weights(sr)
        numtaps = weights.shape[-1]
        kernels = weights.flip(-1).reshape(self.out_channels, self.in_channels, numtaps)
        left = (numtaps - 1) // 2  # torch's padding="same" split, without its even-K copy warning
        padded = nn.functional.pad(x, (left, numtaps - 1 - left))
        return nn.functional.conv1d(padded, kernels, self.bias)
