"""Linear reassignment (Gardner & Magnasco) and the reassigned spectrogram.

Sizes start at 2 s at 16 kHz.  ``MatlabSized`` is the spec's MATLAB golden case
(288001 x 2 samples, 1660 lines, Bluestein-length FFTs): GPU always, CPU only with
``SIGPU_BENCH_LARGE=1`` (minutes on a small CPU).  Numba compilation and CuPy
module loading happen in ``setup`` (a warm-up call), so ``time_*`` is execution.
"""

from __future__ import annotations

import os

import numpy as np

from sigpu.reassign import linear_reassignment, reassigned_spectrogram

from .common import BACKENDS, DTYPES, namespace, sync


def make_signal(xp, n, dtype, channels=1, seed=0):
    """Chirp + tone + clicks + a little noise: realistic gate pass rates and hot bins."""
    t = np.arange(n) / 16000.0
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(channels):
        y = np.cos(2 * np.pi * ((300.0 + 100 * c) * t + 1500.0 * t**2))
        y += 0.3 * np.sin(2 * np.pi * 2345.0 * t)
        y[n // 3 :: 997] += 1.0
        rows.append(y + 1e-3 * rng.standard_normal(n))
    y = np.stack(rows) if channels > 1 else rows[0]
    return xp.asarray(y.astype(dtype))


LR_PARAMS = dict(q=2.0, tdeci=64, over=5, noct=12, minf=0.004, maxf=0.45)


class LinearReassignment:
    """2 s and 4 s at 16 kHz; 32003 samples (a prime: the CPU's chirp transform instead of
    folds, issue 20)."""

    params = (BACKENDS, DTYPES, [32000, 32003, 64000])
    param_names = ["backend", "dtype", "n"]
    timeout = 300

    def setup(self, backend, dtype, n):
        self.xp = namespace(backend)
        self.x = make_signal(self.xp, n, dtype)
        for length in (4096, 4099):  # compile / load kernels: folds, chirps (4099 is prime)
            linear_reassignment(self.x[:length], **LR_PARAMS)
        sync(self.xp)

    def time_linear_reassignment(self, backend, dtype, n):
        linear_reassignment(self.x, **LR_PARAMS)
        sync(self.xp)


class LinearReassignmentDeterministic:
    """The GPU's sort-based deterministic accumulation (CPU is always deterministic)."""

    params = (["cupy"], DTYPES, [64000])
    param_names = ["backend", "dtype", "n"]

    def setup(self, backend, dtype, n):
        self.xp = namespace(backend)
        self.x = make_signal(self.xp, n, dtype)
        linear_reassignment(self.x[:4096], deterministic=True, **LR_PARAMS)
        sync(self.xp)

    def time_deterministic(self, backend, dtype, n):
        linear_reassignment(self.x, deterministic=True, **LR_PARAMS)
        sync(self.xp)


class MatlabSized:
    """q=2, tdeci=450, over=20, noct=12, minf=0.004, maxf=0.45 on 288001 x 2, pooled."""

    params = (BACKENDS, DTYPES)
    param_names = ["backend", "dtype"]
    timeout = 1800
    number = 1
    repeat = 1

    def setup(self, backend, dtype):
        if backend == "numpy" and not os.environ.get("SIGPU_BENCH_LARGE"):
            raise NotImplementedError("CPU run takes minutes; set SIGPU_BENCH_LARGE=1")
        self.xp = namespace(backend)
        self.x = make_signal(self.xp, 288001, dtype, channels=2)
        self.kw = dict(q=2, tdeci=450, over=20, noct=12, minf=0.004, maxf=0.45, pool_axis=0)
        linear_reassignment(self.x[:, :8192], **self.kw)
        sync(self.xp)

    def time_matlab_sized(self, backend, dtype):
        linear_reassignment(self.x, **self.kw)
        sync(self.xp)

    def peakmem_matlab_sized(self, backend, dtype):
        linear_reassignment(self.x, **self.kw)


class ReassignedSpectrogram:
    """2 s, 20 s (array expressions) and 80 s at 16 kHz (2.6 M bins: the fused coordinates
    kernel on the CPU)."""

    params = (BACKENDS, DTYPES, [32000, 320000, 1280000])
    param_names = ["backend", "dtype", "n"]

    def setup(self, backend, dtype, n):
        self.xp = namespace(backend)
        self.y = make_signal(self.xp, n, dtype)
        reassigned_spectrogram(self.y, sr=16000, n_fft=512)  # warm-up on this path
        sync(self.xp)

    def time_reassigned_spectrogram(self, backend, dtype, n):
        reassigned_spectrogram(self.y, sr=16000, n_fft=512)
        sync(self.xp)


class ReassignedSpectrogramClips:
    """librosa's defaults (sr 22050, n_fft 2048, hop 512) on 1 s, 10 s and 60 s clips: the
    lengths of issue 20's goal (<= 0.5x librosa), float32 and float64."""

    params = (BACKENDS, DTYPES, [1, 10, 60])
    param_names = ["backend", "dtype", "seconds"]

    def setup(self, backend, dtype, seconds):
        self.xp = namespace(backend)
        self.y = make_signal(self.xp, 22050 * seconds, dtype)
        reassigned_spectrogram(self.y, sr=22050)  # warm-up on this path
        sync(self.xp)

    def time_reassigned_spectrogram(self, backend, dtype, seconds):
        reassigned_spectrogram(self.y, sr=22050)
        sync(self.xp)
