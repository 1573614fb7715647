"""sigpu for PyTorch: torch tensors through sigpu's functions, exact gradients, layers.

Importing this subpackage imports torch (``import sigpu`` alone never does).  Every sigpu
function decorated for devices accepts CPU and CUDA tensors and returns tensors on the
input's device and dtype (see :mod:`sigpu.torch._bridge`); the spectral functions have
exact autograd backward passes, and the layers here are ``torch.nn.Module`` s.
"""

from __future__ import annotations

import torch as _torch  # noqa: F401  (fails early, with torch's message, where torch is absent)

from . import _constantq, _spectral  # noqa: F401  (register the functions' autograd)
from ._sfi import gammatone_weights, modulated_gaussian_weights, rational_weights
from .constantq_layers import CQT, VQT
from .harmonic_layers import HarmonicConv2d, LogHarmonicConv2d
from .sfi_layers import SFIConv1d, SFIDecoder, SFIEncoder
from .spectral_layers import MFCC, STFT, Gammatonegram, GriffinLim, MelSpectrogram, iSTFT

__all__: list[str] = [
    "STFT",
    "iSTFT",
    "MelSpectrogram",
    "MFCC",
    "Gammatonegram",
    "GriffinLim",
    "CQT",
    "VQT",
    "HarmonicConv2d",
    "LogHarmonicConv2d",
    "SFIEncoder",
    "SFIDecoder",
    "SFIConv1d",
    "modulated_gaussian_weights",
    "gammatone_weights",
    "rational_weights",
]


def __dir__():
    """The public names: ``__all__``."""
    return list(__all__)
