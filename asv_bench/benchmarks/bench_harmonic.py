"""Harmonic convolution by Harmonic Lowering on the HL paper's settings.

Paper settings (Takeuchi et al. 2020, README benchmarks): batch 16, C_in 16, C_out 32,
256x256, K = 3/5/7 with time padding K//2, anchors 1 and K.  The default set keeps
``asv run --quick`` short on a CPU: two 64x64 cases and one 256x256 case (K=3, float32); the
K=5/7 256x256 cases and float64 at 256x256 run on the GPU always and on the CPU with
``SIGPU_BENCH_LARGE=1``.  Numba compilation, CUDA module loading and table construction happen
in ``setup`` (a warm-up call); ``HarmonicTables`` times the table build alone.
"""

from __future__ import annotations

import os

import numpy as np

from sigpu._harmonic_tables import adjoint_table, lowering_table
from sigpu.harmonic import (
    harmonic_conv2d,
    harmonic_conv2d_backward,
    harmonic_lower,
    harmonic_lower_adjoint,
    log_harmonic_conv2d,
    log_harmonic_conv2d_backward,
)

from .common import BACKENDS, DTYPES, namespace, signal, sync

# F = T, K (= K_f = K_t, time padding K//2), anchor
CASES = ["64-k3-n1", "64-k5-n5", "256-k3-n1", "256-k5-n1", "256-k7-n1", "256-k7-n7"]
BATCH, C_IN, C_OUT = 16, 16, 32


def _parse(case):
    size, k, n = case.split("-")
    return int(size), int(k[1:]), int(n[1:])


def _skip_large_on_cpu(backend, dtype, case):
    size, k, _ = _parse(case)
    large = size > 64 and (k > 3 or dtype == "float64")
    if backend == "numpy" and large and not os.environ.get("SIGPU_BENCH_LARGE"):
        raise NotImplementedError("large CPU case: set SIGPU_BENCH_LARGE=1")


class _Layer:
    def make(self, backend, dtype, case):
        self.xp = namespace(backend)
        _skip_large_on_cpu(backend, dtype, case)
        size, k, anchor = _parse(case)
        self.k = k
        self.kw = dict(anchor=anchor, padding=k // 2)
        self.x = signal(self.xp, (BATCH, C_IN, size, size), dtype, seed=1)
        w = np.random.default_rng(2).standard_normal((C_OUT, C_IN, k, k)) / np.sqrt(C_IN * k * k)
        self.w = self.xp.asarray(w.astype(dtype))
        self.b = signal(self.xp, (C_OUT,), dtype, seed=3)
        self.gy = signal(self.xp, (BATCH, C_OUT, size, size), dtype, seed=4)


class HarmonicConv2d(_Layer):
    """Forward and backward of one harmonic convolution layer (linear frequency axis)."""

    params = (BACKENDS, DTYPES, CASES)
    param_names = ["backend", "dtype", "case"]
    timeout = 600

    def setup(self, backend, dtype, case):
        self.make(backend, dtype, case)
        harmonic_conv2d(self.x[:1], self.w, self.b, **self.kw)  # compile / load kernels
        harmonic_conv2d_backward(self.gy[:1], self.x[:1], self.w, **self.kw)
        sync(self.xp)

    def time_forward(self, backend, dtype, case):
        harmonic_conv2d(self.x, self.w, self.b, **self.kw)
        sync(self.xp)

    def time_backward(self, backend, dtype, case):
        harmonic_conv2d_backward(self.gy, self.x, self.w, **self.kw)
        sync(self.xp)


GRID_SIZES = [16, 32, 64, 128, 256, 512]
GRID_KERNELS = [3, 5, 7]
GRID_ANCHORS = [1, 2, 3, 4, 5, 6, 7]


class HarmonicConv2dGrid:
    """The Harmonic Lowering paper's grid (issue 20): batch 16, 16 -> 32 channels, F = T in
    16..512, K = K_f = K_t in 3/5/7 (time padding K//2), every anchor 1..K, float32.  On the
    CPU sizes up to 32 run by default (per-call overhead dominates there); 64..512 with
    ``SIGPU_BENCH_LARGE=1``.  Anchors above K are skipped."""

    params = (BACKENDS, GRID_SIZES, GRID_KERNELS, GRID_ANCHORS)
    param_names = ["backend", "size", "k", "anchor"]
    timeout = 900

    def setup(self, backend, size, k, anchor):
        if anchor > k:
            raise NotImplementedError("anchor above K")
        if backend == "numpy" and size > 32 and not os.environ.get("SIGPU_BENCH_LARGE"):
            raise NotImplementedError("large CPU case: set SIGPU_BENCH_LARGE=1")
        self.xp = namespace(backend)
        self.kw = dict(anchor=anchor, padding=k // 2)
        self.x = signal(self.xp, (BATCH, C_IN, size, size), "float32", seed=1)
        w = np.random.default_rng(2).standard_normal((C_OUT, C_IN, k, k)) / np.sqrt(C_IN * k * k)
        self.w = self.xp.asarray(w.astype("float32"))
        self.b = signal(self.xp, (C_OUT,), "float32", seed=3)
        self.gy = signal(self.xp, (BATCH, C_OUT, size, size), "float32", seed=4)
        harmonic_conv2d(self.x[:1], self.w, self.b, **self.kw)  # compile / load kernels
        harmonic_conv2d_backward(self.gy[:1], self.x[:1], self.w, **self.kw)
        sync(self.xp)

    def time_forward(self, backend, size, k, anchor):
        harmonic_conv2d(self.x, self.w, self.b, **self.kw)
        sync(self.xp)

    def time_forward_backward(self, backend, size, k, anchor):
        harmonic_conv2d(self.x, self.w, self.b, **self.kw)
        harmonic_conv2d_backward(self.gy, self.x, self.w, **self.kw)
        sync(self.xp)


class HarmonicConv2dFewItems:
    """Few large items (sigpu.torch's HarmonicConv2d in compare_torch_models.py: batch 2,
    8 -> 16 channels, 128x128, K 3, anchors 1 and 3): the backward spreads each item's row
    blocks over the CPU's threads (issue 20: with the work cut by item it ran 50-100x its
    forward's time on two cores under load)."""

    params = (BACKENDS, [1, 3])
    param_names = ["backend", "anchor"]

    def setup(self, backend, anchor):
        self.xp = namespace(backend)
        self.kw = dict(anchor=anchor, padding=1)
        self.x = signal(self.xp, (2, 8, 128, 128), "float32", seed=1)
        w = np.random.default_rng(2).standard_normal((16, 8, 3, 3)) / np.sqrt(8 * 9)
        self.w = self.xp.asarray(w.astype("float32"))
        self.gy = signal(self.xp, (2, 16, 128, 128), "float32", seed=4)
        harmonic_conv2d_backward(self.gy, self.x, self.w, **self.kw)  # compile / load kernels
        sync(self.xp)

    def time_forward(self, backend, anchor):
        harmonic_conv2d(self.x, self.w, **self.kw)
        sync(self.xp)

    def time_backward(self, backend, anchor):
        harmonic_conv2d_backward(self.gy, self.x, self.w, **self.kw)
        sync(self.xp)


class HarmonicConv2dMemory(_Layer):
    """Peak memory of the forward (the lowered tensor is K_f x the input; no im2col)."""

    params = (BACKENDS, ["float32"], ["256-k3-n1", "256-k7-n1"])
    param_names = ["backend", "dtype", "case"]

    def setup(self, backend, dtype, case):
        self.make(backend, dtype, case)

    def peakmem_forward(self, backend, dtype, case):
        harmonic_conv2d(self.x, self.w, self.b, **self.kw)


class HarmonicLowering(_Layer):
    """The lowering kernel and its (deterministic gather) adjoint alone."""

    params = (BACKENDS, ["float32"], ["64-k5-n5", "256-k7-n1"])
    param_names = ["backend", "dtype", "case"]

    def setup(self, backend, dtype, case):
        self.make(backend, dtype, case)
        self.lowered = harmonic_lower(self.x, n_harmonics=self.k, anchor=self.kw["anchor"])
        harmonic_lower_adjoint(self.lowered[:1], n_harmonics=self.k, anchor=self.kw["anchor"])
        sync(self.xp)

    def time_lower(self, backend, dtype, case):
        harmonic_lower(self.x, n_harmonics=self.k, anchor=self.kw["anchor"])
        sync(self.xp)

    def time_lower_adjoint(self, backend, dtype, case):
        harmonic_lower_adjoint(self.lowered, n_harmonics=self.k, anchor=self.kw["anchor"])
        sync(self.xp)


class LogHarmonicConv2d(_Layer):
    """The log-frequency (CQT) variant, 12 bins per octave."""

    params = (BACKENDS, ["float32"], ["64-k5-n1"])
    param_names = ["backend", "dtype", "case"]

    def setup(self, backend, dtype, case):
        self.make(backend, dtype, case)
        self.kw["bins_per_octave"] = 12
        log_harmonic_conv2d(self.x[:1], self.w, self.b, **self.kw)
        log_harmonic_conv2d_backward(self.gy[:1], self.x[:1], self.w, **self.kw)
        sync(self.xp)

    def time_forward(self, backend, dtype, case):
        log_harmonic_conv2d(self.x, self.w, self.b, **self.kw)
        sync(self.xp)

    def time_backward(self, backend, dtype, case):
        log_harmonic_conv2d_backward(self.gy, self.x, self.w, **self.kw)
        sync(self.xp)


class HarmonicTables:
    """Host table build (integer positions, CSR adjoint), uncached."""

    params = [[256, 1024]]
    param_names = ["n_freq"]

    def time_tables(self, n_freq):
        lowering_table.cache_clear()
        adjoint_table.cache_clear()
        lowering_table(n_freq, 7, 1, "inclusive", 1)
        adjoint_table("linear", (n_freq, 7, 1, "inclusive", 1))
