"""SFI layer: weight generation (440 filters, 5 ms kernels) and encode/decode on 4 s batches.

The FD least-squares solver (pseudo-inverse per (K, M)) is timed cold in ``FDSolverBuild``,
separately from the weight generation that reuses it.
"""

from __future__ import annotations

import numpy as np

from sigpu.sfi import (
    ModulatedGaussian,
    decode,
    encode,
    erb_space,
    frequency_domain_weights,
    scaled_geometry,
    time_domain_weights,
)
from sigpu.sfi.weights import fd_solver

from .common import BACKENDS, DTYPES, namespace, signal, sync

RATES = [8000, 16000, 32000, 48000]
N_FILTERS = 440


def paper_bank(xp, dtype):
    """The paper's MGF initialisation: 440 ERB-spaced filters, 50 Hz..16 kHz, sigma 2 pi 100."""
    centers = erb_space(50.0, 16000.0, N_FILTERS)
    phase = np.random.default_rng(0).uniform(0, np.pi, N_FILTERS)
    return ModulatedGaussian(
        xp.asarray(2 * np.pi * centers, dtype=dtype),
        xp.asarray(2 * np.pi * 100.0, dtype=dtype),
        xp.asarray(phase, dtype=dtype),
    )


def geometry(sr):
    return scaled_geometry(sr, train_sr=32000, kernel_size=160, stride=80)


class TimeDomainWeights:
    params = (BACKENDS, DTYPES, RATES)
    param_names = ["backend", "dtype", "sr"]

    def setup(self, backend, dtype, sr):
        self.xp = namespace(backend)
        self.bank = paper_bank(self.xp, dtype)
        self.numtaps = geometry(sr)[0]

    def time_time_domain(self, backend, dtype, sr):
        time_domain_weights(self.bank, sr, self.numtaps)
        sync(self.xp)


class FrequencyDomainWeights:
    """Cached solver (built in setup): one (F, 2M) x (2M, K) product plus H evaluation."""

    params = (BACKENDS, DTYPES, RATES)
    param_names = ["backend", "dtype", "sr"]

    def setup(self, backend, dtype, sr):
        self.xp = namespace(backend)
        self.bank = paper_bank(self.xp, dtype)
        self.numtaps = geometry(sr)[0]
        frequency_domain_weights(self.bank, sr, self.numtaps)
        sync(self.xp)

    def time_frequency_domain(self, backend, dtype, sr):
        frequency_domain_weights(self.bank, sr, self.numtaps)
        sync(self.xp)


class FDSolverBuild:
    """Host float64 pseudo-inverse of the 2M x K system, cold cache."""

    params = ([40, 160],)
    param_names = ["numtaps"]

    def time_fd_solver(self, numtaps):
        fd_solver.cache_clear()
        fd_solver(numtaps, 640)


class EncodeDecode:
    """4 s signals, batch of 4, 440 filters, 5 ms / 2.5 ms geometry."""

    params = (BACKENDS, DTYPES, [8000, 32000])
    param_names = ["backend", "dtype", "sr"]

    def setup(self, backend, dtype, sr):
        self.xp = namespace(backend)
        self.numtaps, self.stride, self.padding = geometry(sr)
        self.weights, _ = time_domain_weights(paper_bank(self.xp, dtype), sr, self.numtaps)
        self.x = signal(self.xp, (4, 4 * sr), dtype)
        self.y = encode(self.x, self.weights, stride=self.stride, padding=self.padding)
        sync(self.xp)

    def time_encode(self, backend, dtype, sr):
        encode(self.x, self.weights, stride=self.stride, padding=self.padding)
        sync(self.xp)

    def time_decode(self, backend, dtype, sr):
        n = self.x.shape[-1]
        decode(self.y, self.weights, stride=self.stride, padding=self.padding, length=n)
        sync(self.xp)

    def peakmem_encode(self, backend, dtype, sr):
        encode(self.x, self.weights, stride=self.stride, padding=self.padding)
