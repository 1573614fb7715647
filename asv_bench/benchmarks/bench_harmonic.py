"""Harmonic convolution by Harmonic Lowering on the HL paper's settings.

Paper settings (Takeuchi et al. 2020, README benchmarks): batch 16, C_in 16, C_out 32,
256x256, K = 3/5/7 with time padding K//2, anchors 1 and K.  The default set keeps
``asv run --quick`` short on a CPU: two 64x64 cases and one 256x256 case (K=3); the K=5/7
256x256 cases run on the GPU always and on the CPU with ``SIGPU_BENCH_LARGE=1``.
Numba compilation, CUDA module loading and table construction happen in ``setup`` (a warm-up
call); ``time_tables`` times the table build alone.
"""

from __future__ import annotations

import os

import numpy as np

from sigpu._harmonic_tables import adjoint_table, lowering_table
from sigpu.harmonic import harmonic_conv2d, harmonic_conv2d_backward, harmonic_lower

from .common import BACKENDS, DTYPES, namespace, signal, sync

# (F = T, K, anchor)
CASES = ["64-k3-n1", "64-k5-n5", "256-k3-n1", "256-k5-n1", "256-k7-n1", "256-k7-n7"]
LARGE = {"256-k5-n1", "256-k7-n1", "256-k7-n7"}
BATCH, C_IN, C_OUT = 16, 16, 32


def _parse(case):
    size, k, n = case.split("-")
    return int(size), int(k[1:]), int(n[1:])


class HarmonicConv2d:
    params = (BACKENDS, DTYPES, CASES)
    param_names = ["backend", "dtype", "case"]
    timeout = 600

    def setup(self, backend, dtype, case):
        self.xp = namespace(backend)
        if backend == "numpy" and case in LARGE and not os.environ.get("SIGPU_BENCH_LARGE"):
            raise NotImplementedError("large CPU case: set SIGPU_BENCH_LARGE=1")
        size, k, anchor = _parse(case)
        self.kw = dict(anchor=anchor, padding=k // 2)
        self.k = k
        self.x = signal(self.xp, (BATCH, C_IN, size, size), dtype, seed=1)
        w = np.random.default_rng(2).standard_normal((C_OUT, C_IN, k, k)) / np.sqrt(C_IN * k * k)
        self.w = self.xp.asarray(w.astype(dtype))
        self.b = signal(self.xp, (C_OUT,), dtype, seed=3)
        self.gy = signal(self.xp, (BATCH, C_OUT, size, size), dtype, seed=4)
        harmonic_conv2d(self.x[:1], self.w, self.b, **self.kw)  # compile / load kernels
        harmonic_conv2d_backward(self.gy[:1], self.x[:1], self.w, **self.kw)
        sync(self.xp)

    def time_tables(self, backend, dtype, case):
        size, k, anchor = _parse(case)
        lowering_table.cache_clear()
        adjoint_table.cache_clear()
        lowering_table(size, k, anchor, "inclusive", 1)
        adjoint_table("linear", (size, k, anchor, "inclusive", 1))

    def time_lower(self, backend, dtype, case):
        harmonic_lower(self.x, n_harmonics=self.k, anchor=self.kw["anchor"])
        sync(self.xp)

    def time_forward(self, backend, dtype, case):
        harmonic_conv2d(self.x, self.w, self.b, **self.kw)
        sync(self.xp)

    def time_backward(self, backend, dtype, case):
        harmonic_conv2d_backward(self.gy, self.x, self.w, **self.kw)
        sync(self.xp)

    def peakmem_forward(self, backend, dtype, case):
        harmonic_conv2d(self.x, self.w, self.b, **self.kw)

    def peakmem_backward(self, backend, dtype, case):
        harmonic_conv2d_backward(self.gy, self.x, self.w, **self.kw)
