"""sigpu.torch spectral layers (forward, forward + backward) and the torch bridge's overhead.

CPU tensors (a CUDA row needs a GPU torch build: skipped otherwise), float32, 4 clips of 5 s
at 22.05 kHz; librosa's STFT and mel defaults.  The "(1 torch thread)" rows run with
``torch.set_num_threads(1)``, where the STFT of a CPU tensor is torch's FFT in sigpu's
framing (sigpu/torch/_stft_torch.py) instead of the bridge.  ``BridgeOverhead`` times a
decorated identity on a tensor against the same call on a NumPy array: the bridge's
per-call cost.
"""

from __future__ import annotations

import numpy as np

from .common import signal

try:
    import torch

    import sigpu.torch
    from sigpu._backend import on_input_device
except ImportError:  # torch is an optional extra
    torch = None

SR, N_FFT, HOP = 22050, 2048, 512
LAYERS = [
    "STFT",
    "iSTFT",
    "MelSpectrogram",
    "MFCC",
    "Gammatonegram",
    "CQT",
    "VQT",
    "STFT trainable",
    "CQT trainable",
    "STFT (1 torch thread)",
    "MelSpectrogram (1 torch thread)",
]
ONE_THREAD = " (1 torch thread)"


def _need_torch():
    if torch is None:
        raise NotImplementedError("torch not installed")


def _layer(name):
    name = name.removesuffix(ONE_THREAD)
    kw = dict(n_fft=N_FFT, hop_length=HOP)
    if name == "STFT":
        return sigpu.torch.STFT(**kw)
    if name == "STFT trainable":
        return sigpu.torch.STFT(trainable=True, **kw)
    if name == "iSTFT":
        istft = sigpu.torch.iSTFT(**kw)
        stft = sigpu.torch.STFT(**kw)
        return lambda y: istft(stft(y))
    if name in ("CQT", "CQT trainable"):
        return sigpu.torch.CQT(sr=SR, hop_length=HOP, trainable=name == "CQT trainable")
    if name == "VQT":
        return sigpu.torch.VQT(sr=SR, hop_length=HOP, gamma=10.0)
    if name == "MelSpectrogram":
        return sigpu.torch.MelSpectrogram(sr=SR, **kw)
    if name == "MFCC":
        return sigpu.torch.MFCC(sr=SR, **kw)
    return sigpu.torch.Gammatonegram(sr=SR, **kw)


class SpectralLayers:
    params = (LAYERS,)
    param_names = ["layer"]

    def setup(self, name):
        _need_torch()
        self.threads = torch.get_num_threads()
        if name.endswith(ONE_THREAD):
            torch.set_num_threads(1)
        self.layer = _layer(name)
        self.y = torch.from_numpy(signal(np, (4, 5 * SR), "float32"))
        self.y_grad = self.y.clone().requires_grad_()
        self.time_forward_backward(name)  # warm-up: numba, FFT plans, tables

    def teardown(self, name):
        torch.set_num_threads(self.threads)

    def time_forward(self, name):
        with torch.no_grad():
            self.layer(self.y)

    def time_forward_backward(self, name):
        out = self.layer(self.y_grad)
        (out.abs() if out.is_complex() else out).sum().backward()
        self.y_grad.grad = None


class GriffinLimLayer:
    def setup(self):
        _need_torch()
        self.layer = sigpu.torch.GriffinLim(n_fft=N_FFT, hop_length=HOP, n_iter=8, random_state=0)
        y = torch.from_numpy(signal(np, (2, 2 * SR), "float32"))
        self.S = sigpu.torch.STFT(n_fft=N_FFT, hop_length=HOP)(y).abs()

    def time_griffinlim(self):
        self.layer(self.S)


class BridgeOverhead:
    """Per-call cost of the bridge: tensor in, tensor out, on a 4-sample input."""

    def setup(self):
        _need_torch()
        self.x = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
        self.t = torch.from_numpy(self.x)

        def identity(y, *, scale=1.0):
            return y

        self.identity = on_input_device(identity)

    def time_identity_numpy(self):
        self.identity(self.x, scale=2.0)

    def time_identity_tensor(self):
        self.identity(self.t, scale=2.0)

    def time_power_to_db_tensor(self):
        sigpu.power_to_db(self.t)
