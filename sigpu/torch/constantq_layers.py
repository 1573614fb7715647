"""Constant-Q layers (``torch.nn.Module``): CQT and VQT, optionally with trainable kernels.

``trainable=False`` (default): the layer is sigpu's multirate transform (its plan, through
the exact-adjoint autograd function).  ``trainable=True`` (nnAudio's option): the same plan
written in torch (half-band decimation as a strided ``conv1d``, centred frames, each
octave's kernel as an ``nn.Parameter``: real ``(n_fft, 2 n_f)`` for time-domain octaves,
complex ``(band, n_f)`` for FFT octaves), so that torch differentiates the kernels; at
initialisation it computes sigpu's numbers.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import sigpu
from sigpu._errors import ParameterError
from sigpu.constantq import _keywords_for  # a plan's keyword arguments from the caller's locals

__all__ = ["CQT", "VQT"]

# torch.nn.functional.pad's names for the pad modes the trainable transform takes
_TORCH_PAD = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}


def _halfband_filter(odd_taps, centre) -> np.ndarray:
    """The decimator's full symmetric impulse response (centre tap, odd taps, zero even taps)."""
    n_taps = odd_taps.shape[0]
    reach = 2 * n_taps - 1
    h = np.zeros(2 * reach + 1)
    h[reach] = centre
    h[reach + 1 :: 2] = odd_taps
    h[reach - 1 :: -2] = odd_taps
    return h


class VQT(nn.Module):
    """Variable-Q transform layer: ``(..., n)`` real -> ``(..., n_bins, n_frames)`` complex.

    Parameters
    ----------
    sr, hop_length, fmin, n_bins, gamma, bins_per_octave, tuning, filter_scale, norm
        As for :func:`sigpu.vqt` (``tuning`` must be a number: the kernels depend on it).
    sparsity, window, scale, pad_mode
        As for :func:`sigpu.vqt`.
    trainable : bool
        Make each octave's kernel an ``nn.Parameter`` (``kernels``); the transform then runs
        in torch (``pad_mode`` "constant", "reflect" or "edge").

    See Also
    --------
    CQT : The constant-Q layer (``gamma = 0``).
    sigpu.vqt : The function this layer computes.

    Notes
    -----
    CPU and CUDA tensors.  Untrainable: sigpu's plan on NumPy/CuPy, exact adjoint as
    backward.  Matches ``librosa.vqt``.

    Examples
    --------
    >>> import torch, sigpu.torch
    >>> layer = sigpu.torch.VQT(sr=22050, n_bins=48, fmin=65.0, gamma=10.0)
    >>> layer(torch.zeros(2, 22050)).shape
    torch.Size([2, 48, 44])
    """

    _plan_class = sigpu.VQT

    def __init__(
        self,
        *,
        sr=22050,
        hop_length=512,
        fmin=None,
        n_bins=84,
        gamma=None,
        bins_per_octave=12,
        tuning=0.0,
        filter_scale=1,
        norm=1,
        sparsity=0.01,
        window="hann",
        scale=True,
        pad_mode="constant",
        trainable=False,
    ):
        super().__init__()
        self.plan = self._plan_class(**_keywords_for(self._plan_class, locals()))
        self.trainable = bool(trainable)
        if not self.trainable:
            return
        if pad_mode not in _TORCH_PAD:
            raise ParameterError(
                f"pad_mode={pad_mode!r}: the trainable transform pads with torch, which "
                f"offers {sorted(_TORCH_PAD)}"
            )
        s = self.plan.schedule
        self.kernels = nn.ParameterList(
            nn.Parameter(torch.tensor(np.asarray(k), dtype=_table_dtype(k))) for k in s.kernels
        )
        halfband = _halfband_filter(s.odd_taps, s.centre)
        self.register_buffer("halfband", torch.tensor(halfband, dtype=torch.float64))

    def forward(self, y):
        """Transform ``y``.

        Parameters
        ----------
        y : torch.Tensor, shape (..., n), float32/float64
            Signals.

        Returns
        -------
        C : torch.Tensor, shape (..., n_bins, n_frames), complex64/complex128
            The input's device; complex of the input's precision.
        """
        if not self.trainable:
            return self.plan(y)
        return self._transform_in_torch(y)

    def _decimate(self, x):
        h = self.halfband.to(x.dtype)
        reach = (h.shape[0] - 1) // 2
        out = nn.functional.conv1d(
            nn.functional.pad(x[:, None], (reach, reach)), h[None, None], stride=2
        )
        return out[:, 0]

    def _transform_in_torch(self, y):
        s = self.plan.schedule
        n = y.shape[-1]
        self.plan._check_length(n)
        n_frames = self.plan.n_frames(n)
        x = y.reshape(-1, n)
        complex_dtype = torch.complex64 if y.dtype == torch.float32 else torch.complex128
        for _ in range(s.n_early):
            x = self._decimate(x)
        responses = []
        for octave, kernel in zip(s.octaves, self.kernels, strict=True):
            if octave.decimate_before:
                x = self._decimate(x)
            pad = octave.n_fft // 2
            padded = nn.functional.pad(x[:, None], (pad, pad), mode=_TORCH_PAD[self.plan.pad_mode])
            frames = padded[:, 0].unfold(-1, octave.n_fft, octave.hop)[:, :n_frames]
            n_f = octave.bin_stop - octave.bin_start
            if octave.mode == "direct":
                resp = torch.matmul(frames, kernel.to(y.dtype))  # (B, T, 2 n_f): Re, Im
                resp = torch.view_as_complex(resp.reshape(*resp.shape[:-1], n_f, 2).contiguous())
            else:
                band = torch.fft.rfft(frames, dim=-1)[..., octave.lo : octave.hi]
                resp = torch.matmul(band, kernel.to(complex_dtype))
            responses.append(resp.transpose(-1, -2))
        out = torch.cat(responses[::-1], dim=-2)  # octaves run top first
        return out.reshape(*y.shape[:-1], *out.shape[-2:])


def _table_dtype(kernel):
    return torch.complex128 if np.iscomplexobj(kernel) else torch.float64


class CQT(VQT):
    """Constant-Q transform layer (:func:`sigpu.cqt`): a :class:`VQT` with ``gamma = 0``.

    Parameters
    ----------
    sr, hop_length, fmin, n_bins, bins_per_octave, tuning, filter_scale, norm
        As for :func:`sigpu.cqt` (``tuning`` must be a number: the kernels depend on it).
    sparsity, window, scale, pad_mode
        As for :func:`sigpu.cqt`.
    trainable : bool
        Make each octave's kernel an ``nn.Parameter`` (see :class:`VQT`).

    See Also
    --------
    VQT : The variable-Q layer.
    sigpu.cqt : The function this layer computes.

    Notes
    -----
    CPU and CUDA tensors.  Matches ``librosa.cqt``; untrainable, backward is sigpu's exact
    adjoint of its multirate plan.

    Examples
    --------
    >>> import torch, sigpu.torch
    >>> layer = sigpu.torch.CQT(sr=22050, hop_length=512)
    >>> layer(torch.zeros(22050)).shape
    torch.Size([84, 44])
    """

    _plan_class = sigpu.CQT

    def __init__(
        self,
        *,
        sr=22050,
        hop_length=512,
        fmin=None,
        n_bins=84,
        bins_per_octave=12,
        tuning=0.0,
        filter_scale=1,
        norm=1,
        sparsity=0.01,
        window="hann",
        scale=True,
        pad_mode="constant",
        trainable=False,
    ):
        super().__init__(**_keywords_for(VQT, locals(), gamma=0.0))
