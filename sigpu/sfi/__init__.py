"""Sampling-frequency-independent (SFI) convolution: analog filter banks turned into digital
conv weights at whatever sampling rate the input has, and the encoder/decoder ops.

Saito, Nakamura, Yatabe, Saruwatari, "Sampling-frequency-independent convolutional layer
and its application to audio source separation", IEEE/ACM TASLP 30:2928-2943 (2022).

* Families (vectorised over a bank): :class:`ModulatedGaussian`, :class:`Gammatone`,
  :class:`RationalFilter` (scipy.signal analog designs).
* Initialisers: :func:`hz_to_erb_rate`, :func:`erb_rate_to_hz`, :func:`erb_space`,
  :func:`mpgtf_layout`.
* Weight design: :func:`time_domain_weights`, :func:`frequency_domain_weights`,
  :func:`hilbert_pair`; layer geometry :func:`scaled_geometry`.
* Ops: :func:`encode` (strided conv) and :func:`decode` (its adjoint).

Weights are in convolution order.  PyTorch ``conv1d`` / ``conv_transpose1d`` correlate, so
their weight is the time reversal: ``torch.from_numpy(weights[:, None, ::-1].copy())``,
shape ``(F, 1, K)``; ``encode(x, w, stride=S, padding=P)`` equals
``conv1d(x[:, None], that, stride=S, padding=P)`` and ``decode`` equals
``conv_transpose1d(y, that, stride=S, padding=P)``.
"""

from .erb import erb_rate_to_hz, erb_space, hz_to_erb_rate, mpgtf_layout
from .families import Gammatone, ModulatedGaussian, RationalFilter, gammatone_bandwidth
from .ops import decode, encode, scaled_geometry
from .weights import frequency_domain_weights, hilbert_pair, time_domain_weights

__all__ = [
    "ModulatedGaussian",
    "Gammatone",
    "RationalFilter",
    "gammatone_bandwidth",
    "hz_to_erb_rate",
    "erb_rate_to_hz",
    "erb_space",
    "mpgtf_layout",
    "time_domain_weights",
    "frequency_domain_weights",
    "hilbert_pair",
    "scaled_geometry",
    "encode",
    "decode",
]
