"""Spectral layers (``torch.nn.Module``): STFT, iSTFT, MelSpectrogram, MFCC, Gammatonegram,
GriffinLim.

The fixed transforms run sigpu (its FFTs and kernels, through the autograd functions of
:mod:`sigpu.torch._spectral`); what a layer learns is a tensor of its own: like nnAudio,
``trainable=True`` makes the STFT's Fourier basis (window folded in) and the mel or
gammatone bank ``nn.Parameter`` s, whose gradients are torch's exact GEMM adjoints.  The
STFT's ``freq_scale`` ("linear" or "log" between ``fmin`` and ``fmax``) puts the basis at
chosen frequencies (nnAudio's definition).  Tables are float64 buffers or parameters, cast
to the input's dtype in ``forward``; outputs have the input's device and dtype.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

import sigpu
from sigpu._backend import namespace_for
from sigpu._errors import ParameterError
from sigpu._validate import one_of, positive_float
from sigpu.constantq import _keywords_for  # a plan's keyword arguments from the caller's locals

from ._basis_product import basis_product
from ._spectral import cepstrum, needs_grad, power_spectrogram
from ._stft_torch import TORCH_PAD, torch_stft, torch_stft_applies

__all__ = ["STFT", "iSTFT", "MelSpectrogram", "MFCC", "Gammatonegram", "GriffinLim"]

FREQ_SCALES = ("no", "linear", "log")


def _table(module: nn.Module, name: str, values: np.ndarray, trainable: bool) -> None:
    """Register ``values`` (float64) as parameter ``name`` if trainable, else as a buffer."""
    tensor = torch.tensor(values, dtype=torch.float64)
    if trainable:
        module.register_parameter(name, nn.Parameter(tensor))
    else:
        module.register_buffer(name, tensor)


def basis_frequencies(*, sr, n_fft, freq_bins, freq_scale, fmin, fmax) -> np.ndarray:
    """Frequencies (Hz) of the STFT layer's Fourier basis, nnAudio's ``freq_scale`` rule.

    "no": ``k sr / n_fft``; "linear": ``fmin + k (fmax - fmin) / freq_bins``; "log":
    ``fmin (fmax / fmin) ** (k / freq_bins)``, for ``k = 0 .. freq_bins - 1``.
    """
    k = np.arange(freq_bins, dtype=np.float64)
    if freq_scale == "no":
        return k * sr / n_fft
    if freq_scale == "linear":
        return fmin + k * (fmax - fmin) / freq_bins
    return fmin * np.exp(k * math.log(fmax / fmin) / freq_bins)


class STFT(nn.Module):
    """Short-time Fourier transform layer: ``(..., n)`` real -> ``(..., F, T)`` complex.

    Parameters
    ----------
    n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`sigpu.stft` (librosa's defaults: ``pad_mode="constant"``).
    freq_scale : {"no", "linear", "log"}
        "no": the FFT's bins ``k sr / n_fft``; "linear"/"log": ``freq_bins`` frequencies
        from ``fmin`` towards ``fmax``, spaced linearly or logarithmically (nnAudio's rule,
        see :func:`basis_frequencies`).
    fmin, fmax : float > 0
        Frequency range of "linear"/"log" (Hz); ``fmax <= sr / 2``.
    sr : float > 0
        Sampling rate the frequencies refer to.
    freq_bins : int > 0 or None
        Number of basis frequencies (default ``1 + n_fft // 2``).
    trainable : bool
        Make the Fourier basis (``basis_real``, ``basis_imag``: window times cos/-sin,
        ``(freq_bins, n_fft)``) ``nn.Parameter`` s.

    See Also
    --------
    iSTFT : Inverse STFT layer.
    sigpu.stft : The function this layer computes with ``freq_scale="no"``.

    Notes
    -----
    CPU and CUDA tensors (sigpu on NumPy/CuPy).  With ``freq_scale="no"`` and
    ``trainable=False`` the layer is :func:`sigpu.stft` (FFT, exact adjoint as backward).
    Otherwise it is the product of the frames with the basis (nnAudio's method; one GEMM,
    by NumPy's BLAS for CPU tensors, measured fastest), for ``pad_mode`` "constant",
    "reflect" or "edge"; at initialisation with ``freq_scale="no"`` that equals the FFT.

    Examples
    --------
    >>> import torch, sigpu.torch
    >>> layer = sigpu.torch.STFT(n_fft=256, hop_length=64)
    >>> layer(torch.zeros(2, 1000)).shape
    torch.Size([2, 129, 16])
    """

    def __init__(
        self,
        *,
        n_fft=2048,
        hop_length=None,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        freq_scale="no",
        fmin=50.0,
        fmax=6000.0,
        sr=22050,
        freq_bins=None,
        trainable=False,
    ):
        super().__init__()
        self.plan = sigpu.STFT(**_keywords_for(sigpu.STFT, locals()))
        self.freq_scale = one_of(freq_scale, "freq_scale", FREQ_SCALES)
        self.trainable = bool(trainable)
        if self.freq_scale == "no" and not self.trainable and freq_bins is None:
            return
        if pad_mode not in TORCH_PAD:
            raise ParameterError(
                f"pad_mode={pad_mode!r}: the Fourier-basis STFT (trainable or freq_scale "
                f"{freq_scale!r}) pads with torch, which offers {sorted(TORCH_PAD)}"
            )
        sr = positive_float(sr, "sr")
        freq_bins = 1 + self.plan.n_fft // 2 if freq_bins is None else freq_bins
        if not isinstance(freq_bins, int) or freq_bins < 1:
            raise ParameterError(f"freq_bins={freq_bins!r} must be a positive integer")
        if self.freq_scale != "no":
            fmin, fmax = positive_float(fmin, "fmin"), positive_float(fmax, "fmax")
            if not fmin < fmax <= sr / 2:
                raise ParameterError(f"fmin={fmin}, fmax={fmax} need fmin < fmax <= sr/2")
        self.frequencies = basis_frequencies(
            sr=sr,
            n_fft=self.plan.n_fft,
            freq_bins=freq_bins,
            freq_scale=self.freq_scale,
            fmin=fmin,
            fmax=fmax,
        )
        window, _ = self.plan._window_array(namespace_for(None), np.float64)
        phase = 2 * np.pi * np.outer(self.frequencies / sr, np.arange(self.plan.n_fft))
        _table(self, "basis_real", window * np.cos(phase), self.trainable)
        _table(self, "basis_imag", -window * np.sin(phase), self.trainable)

    @property
    def uses_basis(self) -> bool:
        """Whether the layer multiplies by its Fourier basis (else: sigpu's FFT)."""
        return hasattr(self, "basis_real")

    def forward(self, y):
        """Transform ``y``.

        Parameters
        ----------
        y : torch.Tensor, shape (..., n), float32/float64
            Signals.

        Returns
        -------
        D : torch.Tensor, shape (..., freq_bins, n_frames), complex64/complex128
            The input's device; complex of the input's precision.
        """
        if not self.uses_basis:
            return self.plan(y)
        product = basis_product(self._frames(y), self._interleaved_basis(y.dtype))
        return torch.view_as_complex(product.unflatten(-1, (-1, 2))).transpose(-1, -2)

    def _interleaved_basis(self, dtype):
        """The basis rows interleaved (real 0, imaginary 0, real 1, ...), ``(2 F, n_fft)`` of
        ``dtype``: the product's ``(..., T, 2 F)`` result is then the complex ``(..., T, F)``
        spectrum itself, no copy.  Without a gradient to the basis it is kept for the next
        call while the parameters are unchanged (in-place updates bump ``_version``; moves
        change ``data_ptr``): the cast and interleave took 3-6 ms of a 85 ms forward."""
        real, imag = self.basis_real, self.basis_imag
        if torch.is_grad_enabled() and (real.requires_grad or imag.requires_grad):
            return torch.stack((real.to(dtype), imag.to(dtype)), dim=1).flatten(0, 1)
        key = (real._version, imag._version, real.data_ptr(), imag.data_ptr(), dtype)
        if getattr(self, "_basis_key", None) != key:
            with torch.no_grad():
                basis = torch.stack((real.to(dtype), imag.to(dtype)), dim=1).flatten(0, 1)
            self._basis_key, self._basis_cache = key, basis
        return self._basis_cache

    def _frames(self, y):
        n_fft, hop = self.plan.n_fft, self.plan.hop_length
        if self.plan.center:
            lead = y.shape[:-1]
            flat = y.reshape(-1, 1, y.shape[-1])
            pad = n_fft // 2
            flat = nn.functional.pad(flat, (pad, pad), mode=TORCH_PAD[self.plan.pad_mode])
            y = flat.reshape(*lead, flat.shape[-1])
        if y.shape[-1] < n_fft:
            raise ParameterError(f"n_fft={n_fft} is too large for a signal of {y.shape[-1]}")
        return y.unfold(-1, n_fft, hop)  # (..., T, n_fft)


class iSTFT(nn.Module):  # noqa: N801 (nnAudio's and torchaudio's name)
    """Inverse STFT layer (least-squares overlap-add, :func:`sigpu.istft`).

    Parameters
    ----------
    n_fft, hop_length, win_length, window, center
        As for :func:`sigpu.istft`.

    See Also
    --------
    STFT : The forward layer.
    sigpu.istft : The function this layer computes.

    Notes
    -----
    CPU and CUDA tensors (sigpu on NumPy/CuPy); backward is the exact adjoint.

    Examples
    --------
    >>> import torch, sigpu.torch
    >>> stft, istft = sigpu.torch.STFT(n_fft=256), sigpu.torch.iSTFT(n_fft=256)
    >>> y = torch.randn(1000, dtype=torch.float64)
    >>> bool(torch.allclose(istft(stft(y), length=1000), y))
    True
    """

    def __init__(self, *, n_fft=2048, hop_length=None, win_length=None, window="hann", center=True):
        super().__init__()
        self.plan = sigpu.STFT(
            n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window, center=center
        )

    def forward(self, stft_matrix, *, length=None):
        """Invert ``stft_matrix``.

        Parameters
        ----------
        stft_matrix : torch.Tensor, shape (..., 1 + n_fft // 2, n_frames), complex
            STFT to invert.
        length : int > 0 or None
            Output length (see :func:`sigpu.istft`).

        Returns
        -------
        y : torch.Tensor, shape (..., length), real
            The input's device; real of the input's precision.
        """
        return self.plan.inverse(stft_matrix, length=length)


class _BankLayer(nn.Module):
    """``bank @ |STFT(y)| ** power`` with the bank a buffer or parameter ``bank``."""

    def _init_bank(self, plan, trainable_bank, trainable_stft):
        self.power = plan.power
        stft_kw = dict(plan.stft_kw)
        self.stft = STFT(n_fft=plan.n_fft, trainable=trainable_stft, **stft_kw)
        _table(self, "bank", plan.bank_host, trainable_bank)

    def forward(self, y):
        """Compute the filter-bank spectrogram of ``y``.

        Parameters
        ----------
        y : torch.Tensor, shape (..., n), float32/float64
            Signals.

        Returns
        -------
        S : torch.Tensor, shape (..., n_bands, n_frames)
            The input's device and dtype.
        """
        plan = self.stft.plan
        if not (self.stft.uses_basis or needs_grad(y)) and torch_stft_applies(plan, y):
            S = torch_stft(plan, y, power=self.power)  # the power taken block by block
        else:
            S = power_spectrogram(self.stft(y), self.power)
        return torch.matmul(self.bank.to(S.dtype), S)


class MelSpectrogram(_BankLayer):
    """Mel spectrogram layer: ``mel_bank @ |STFT(y)| ** power``.

    Parameters
    ----------
    sr, n_fft, hop_length, win_length, window, center, pad_mode, power
        As for :func:`sigpu.feature.melspectrogram` (librosa's defaults).
    n_mels, fmin, fmax, htk, norm
        The mel bank's parameters (:func:`sigpu.filters.mel`).
    trainable_mel : bool
        Make the mel bank ``bank`` (``(n_mels, 1 + n_fft // 2)``) an ``nn.Parameter``.
    trainable_STFT : bool
        Make the STFT's Fourier basis trainable (see :class:`STFT`).

    See Also
    --------
    MFCC : Cepstral coefficients of this layer's output.
    sigpu.feature.melspectrogram : The function this layer computes.

    Notes
    -----
    CPU and CUDA tensors.  Matches ``librosa.feature.melspectrogram`` (through
    :func:`sigpu.stft`); gradients exact for the signal and the trainable tables.

    Examples
    --------
    >>> import torch, sigpu.torch
    >>> layer = sigpu.torch.MelSpectrogram(sr=16000, n_fft=512, hop_length=160, n_mels=40)
    >>> layer(torch.zeros(3, 16000)).shape
    torch.Size([3, 40, 101])
    """

    def __init__(
        self,
        *,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        power=2.0,
        n_mels=128,
        fmin=0.0,
        fmax=None,
        htk=False,
        norm="slaney",
        trainable_mel=False,
        trainable_STFT=False,  # noqa: N803 (nnAudio's name)
    ):
        super().__init__()
        plan = sigpu.MelSpectrogram(**_keywords_for(sigpu.MelSpectrogram, locals()))
        self._init_bank(plan, trainable_mel, trainable_STFT)


class Gammatonegram(_BankLayer):
    """Gammatone spectrogram layer: ``gammatone_bank @ |STFT(y)| ** power``.

    Parameters
    ----------
    sr, n_fft, hop_length, win_length, window, center, pad_mode, power
        As for :func:`sigpu.feature.gammatonegram`.
    n_bins, fmin, fmax
        The gammatone bank's parameters.
    trainable_bank : bool
        Make the gammatone bank ``bank`` an ``nn.Parameter``.
    trainable_STFT : bool
        Make the STFT's Fourier basis trainable (see :class:`STFT`).

    See Also
    --------
    MelSpectrogram : The same with a mel bank.
    sigpu.feature.gammatonegram : The function this layer computes.

    Notes
    -----
    CPU and CUDA tensors; gradients exact for the signal and the trainable tables.

    Examples
    --------
    >>> import torch, sigpu.torch
    >>> layer = sigpu.torch.Gammatonegram(sr=16000, n_fft=512, hop_length=160, n_bins=32)
    >>> layer(torch.zeros(16000)).shape
    torch.Size([32, 101])
    """

    def __init__(
        self,
        *,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        power=2.0,
        n_bins=64,
        fmin=0.0,
        fmax=None,
        trainable_bank=False,
        trainable_STFT=False,  # noqa: N803 (nnAudio's name)
    ):
        super().__init__()
        plan = sigpu.Gammatonegram(**_keywords_for(sigpu.Gammatonegram, locals()))
        self._init_bank(plan, trainable_bank, trainable_STFT)


class MFCC(nn.Module):
    """MFCC layer: DCT of the log-power mel spectrogram, first ``n_mfcc`` rows, liftered.

    Parameters
    ----------
    sr, n_mfcc, dct_type, norm, lifter, mel_norm, top_db
        As for :func:`sigpu.feature.mfcc`.
    trainable_mel, trainable_STFT : bool
        As for :class:`MelSpectrogram`.
    **melspectrogram_kwargs
        ``n_fft``, ``hop_length``, ``win_length``, ``window``, ``center``, ``pad_mode``,
        ``power``, ``n_mels``, ``fmin``, ``fmax``, ``htk``.

    See Also
    --------
    MelSpectrogram : The mel spectrogram layer inside.
    sigpu.feature.mfcc : The function this layer computes.

    Notes
    -----
    CPU and CUDA tensors.  Matches ``librosa.feature.mfcc``; the DCT is applied as its
    matrix (exact adjoint: its transpose).

    Examples
    --------
    >>> import torch, sigpu.torch
    >>> layer = sigpu.torch.MFCC(sr=16000, n_mfcc=13, n_fft=512, hop_length=160, n_mels=40)
    >>> layer(torch.zeros(2, 16000)).shape
    torch.Size([2, 13, 101])
    """

    def __init__(
        self,
        *,
        sr=22050,
        n_mfcc=20,
        dct_type=2,
        norm="ortho",
        lifter=0,
        mel_norm="slaney",
        top_db=80.0,
        trainable_mel=False,
        trainable_STFT=False,  # noqa: N803
        **melspectrogram_kwargs,
    ):
        super().__init__()
        plan = sigpu.MFCC(**_keywords_for(sigpu.MFCC, locals()), **melspectrogram_kwargs)
        self.n_mfcc, self.dct_type, self.norm = plan.n_mfcc, plan.dct_type, plan.norm
        self.lifter, self.top_db = plan.lifter, plan.top_db
        self.mel = MelSpectrogram(
            sr=sr,
            norm=mel_norm,
            trainable_mel=trainable_mel,
            trainable_STFT=trainable_STFT,
            **melspectrogram_kwargs,
        )

    def forward(self, y):
        """Compute the MFCCs of ``y``.

        Parameters
        ----------
        y : torch.Tensor, shape (..., n), float32/float64
            Signals.

        Returns
        -------
        M : torch.Tensor, shape (..., n_mfcc, n_frames)
            The input's device and dtype.
        """
        # through the bridge: sigpu's fused kernel unless a gradient is needed
        S_db = sigpu.power_to_db(self.mel(y), top_db=self.top_db)
        return cepstrum(S_db, self.n_mfcc, self.dct_type, self.norm, self.lifter)


class GriffinLim(nn.Module):
    """Griffin-Lim layer: a signal from an STFT magnitude (:func:`sigpu.griffinlim`).

    Not differentiable (an iterative phase search): a magnitude requiring grad raises
    TypeError unless grad mode is off.

    Parameters
    ----------
    n_fft, n_iter, hop_length, win_length, window, center, momentum, pad_mode, init, random_state
        As for :func:`sigpu.griffinlim`.

    See Also
    --------
    iSTFT : Inverse STFT layer (when the phase is known).
    sigpu.griffinlim : The function this layer computes.

    Notes
    -----
    CPU and CUDA tensors (sigpu on NumPy/CuPy).

    Examples
    --------
    >>> import torch, sigpu.torch
    >>> S = sigpu.torch.STFT(n_fft=256)(torch.randn(2000)).abs()
    >>> sigpu.torch.GriffinLim(n_fft=256, n_iter=4, random_state=0)(S, length=2000).shape
    torch.Size([2000])
    """

    def __init__(
        self,
        *,
        n_fft=None,
        n_iter=32,
        hop_length=None,
        win_length=None,
        window="hann",
        center=True,
        momentum=0.99,
        pad_mode="constant",
        init="random",
        random_state=None,
    ):
        super().__init__()
        sigpu.spectrum.griffinlim_options(n_iter, momentum, init)
        self.options = dict(
            n_fft=n_fft,
            n_iter=n_iter,
            hop_length=hop_length,
            win_length=win_length,
            window=window,
            center=center,
            momentum=momentum,
            pad_mode=pad_mode,
            init=init,
            random_state=random_state,
        )

    def forward(self, S, *, length=None):
        """Reconstruct a signal from the magnitude ``S``.

        Parameters
        ----------
        S : torch.Tensor, shape (..., 1 + n_fft // 2, n_frames), real
            STFT magnitude.
        length : int > 0 or None
            Output length.

        Returns
        -------
        y : torch.Tensor, shape (..., length)
            The input's device and dtype.
        """
        return sigpu.griffinlim(S, length=length, **self.options)
