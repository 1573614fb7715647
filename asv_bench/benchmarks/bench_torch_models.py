"""sigpu's torch layers, forward + backward: HarmonicConv2d / LogHarmonicConv2d (N 2, C 8 -> 16,
64 x 64 / 128 x 128, K 3) and the SFI encoder/decoder with the weight design from the analog
parameters (8 x 1 s at 16 kHz, 64 filters, 2 ms kernels, 1 ms hops; time- and
frequency-domain design).  CPU tensors (the NumPy path) on any machine, CUDA tensors (the
CuPy path) where a GPU is usable.  Skipped where torch is not installed.
"""

from __future__ import annotations

import numpy as np

from .common import namespace

DEVICES = ["cpu", "cuda"]


def _torch(device):
    """torch, after skipping (NotImplementedError) where it or the device is missing."""
    try:
        import torch
    except ImportError as exc:
        raise NotImplementedError("torch not installed") from exc
    if device == "cuda":
        namespace("cupy")  # skips without a usable GPU
        if not torch.cuda.is_available():
            raise NotImplementedError("torch has no CUDA")
    return torch


def _sync(torch, device):
    if device == "cuda":
        torch.cuda.synchronize()


def _tensor(torch, shape, device, seed, requires_grad=False):
    values = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return torch.as_tensor(values, device=device).requires_grad_(requires_grad)


class HarmonicConv2dLayer:
    """``HarmonicConv2d`` and ``LogHarmonicConv2d`` forward, and forward + backward."""

    params = (DEVICES, ["linear", "log"], [64, 128])
    param_names = ["device", "axis", "size"]

    def setup(self, device, axis, size):
        torch = self.torch = _torch(device)
        from sigpu.torch import HarmonicConv2d, LogHarmonicConv2d

        if axis == "linear":
            layer = HarmonicConv2d(8, 16, 3, padding=1, anchor=1)
        else:
            layer = LogHarmonicConv2d(8, 16, 3, padding=1, bins_per_octave=12)
        self.layer = layer.to(device)
        self.x = _tensor(torch, (2, 8, size, size), device, 1, requires_grad=True)
        self.grad = _tensor(torch, (2, 16, size, size), device, 2)
        self.time_forward_backward(device, axis, size)  # numba compile, tables

    def time_forward(self, device, axis, size):
        with self.torch.no_grad():
            self.layer(self.x)
        _sync(self.torch, device)

    def time_forward_backward(self, device, axis, size):
        self.layer(self.x).backward(self.grad)
        _sync(self.torch, device)


class SFIEncoderDecoder:
    """``SFIEncoder`` -> ``SFIDecoder`` with weights designed per call from the analog
    parameters (``modulated_gaussian_weights``), forward + backward to input and parameters;
    ``time_weights`` times the differentiable designs alone (``gammatone_weights`` and
    ``rational_weights`` of 32 band-pass Butterworths too),
    ``time_conv1d`` an ``SFIConv1d`` (4 -> 8 channels, 2 ms kernels) forward + backward,
    ``time_rational`` an ``SFIEncoder(family="rational")`` (64 Butterworth band-passes of
    4 poles, weights from ``rational_weights``) forward + backward to input and poles/zeros."""

    params = (DEVICES, ["time", "frequency"])
    param_names = ["device", "design"]

    def setup(self, device, design):
        torch = self.torch = _torch(device)
        from sigpu.torch import (
            SFIConv1d,
            SFIDecoder,
            SFIEncoder,
            gammatone_weights,
            rational_weights,
        )

        options = dict(train_sr=16000, design=design)
        self.encoder = SFIEncoder(64, 32, 16, **options).to(device)
        self.decoder = SFIDecoder(64, 32, 16, **options).to(device)
        self.gammatone = SFIEncoder(64, 32, 16, family="gammatone", **options).to(device)
        self.rational = SFIEncoder(64, 32, 16, family="rational", **options).to(device)
        self.gammatone_weights = gammatone_weights
        self.rational_weights = rational_weights
        # 32 band-pass Butterworths (4 poles, 2 zeros each) for the rational design
        import scipy.signal

        edges = np.geomspace(100.0, 6000.0, 33)
        zpk = [
            scipy.signal.butter(2, [2 * np.pi * lo, 2 * np.pi * hi], "bandpass", analog=True,
                                output="zpk")
            for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        ]  # fmt: skip
        self.zpk = [
            torch.tensor(np.stack([f[i] for f in zpk]), device=device).requires_grad_()
            for i in range(3)
        ]
        self.conv = SFIConv1d(4, 8, 33, train_sr=16000, design=design).to(device)
        self.channels = _tensor(torch, (2, 4, 16000), device, 5, requires_grad=True)
        self.x = _tensor(torch, (8, 16000), device, 3, requires_grad=True)
        self.grad = _tensor(torch, (8, 16000), device, 4)
        self.time_forward_backward(device, design)

    def _run(self):
        return self.decoder(self.encoder(self.x, sr=16000), sr=16000, length=16000)

    def time_forward(self, device, design):
        with self.torch.no_grad():
            self._run()
        _sync(self.torch, device)

    def time_forward_backward(self, device, design):
        self._run().backward(self.grad)
        _sync(self.torch, device)

    def time_weights(self, device, design):
        self.encoder.weights(16000).sum().backward()  # modulated_gaussian_weights
        bank = self.gammatone
        weights, _ = self.gammatone_weights(
            bank.center_hz, bank.bandwidth_hz, bank.phase, order=2, sr=16000, numtaps=32,
            design=design,
        )  # fmt: skip
        weights.sum().backward()
        weights, _ = self.rational_weights(*self.zpk, sr=16000, numtaps=32, design=design)
        weights.sum().backward()
        _sync(self.torch, device)

    def time_conv1d(self, device, design):
        self.conv(self.channels, sr=16000).square().sum().backward()
        _sync(self.torch, device)

    def time_rational(self, device, design):
        self.rational(self.x, sr=16000).square().sum().backward()
        _sync(self.torch, device)
