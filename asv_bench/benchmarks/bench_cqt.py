"""asv benchmarks for sigpu.cqt: cqt, vqt, chroma_cqt, icqt, griffinlim_cqt; builds timed apart."""

from __future__ import annotations

import numpy as np

from sigpu import _backend
from sigpu._cqt_plan import build_inverse_schedule, build_schedule
from sigpu.cqt import CQT, chroma_cqt, cqt, griffinlim_cqt, icqt, vqt

SR = 22050


def _namespace(backend):
    if backend == "cupy":
        import cupy

        if not cupy.cuda.is_available():
            raise NotImplementedError("no CUDA GPU")
        return cupy
    return np


class CQTSuite:
    params = (["numpy", "cupy"], ["float32", "float64"], [1, 4])
    param_names = ("backend", "dtype", "n_clips")

    def setup(self, backend, dtype, n_clips):
        mod = _namespace(backend)
        rng = np.random.default_rng(0)
        self.xp = _backend.array_namespace(mod.asarray(np.zeros(1)))
        self.y = mod.asarray(rng.standard_normal((n_clips, 2 * SR)).astype(dtype))
        self.plan = CQT(sr=SR)
        self.plan(self.y)  # warm-up: kernels on device, numba compiled

    def time_cqt(self, backend, dtype, n_clips):
        cqt(self.y, sr=SR)
        _backend.synchronize(self.xp)

    def time_cqt_plan(self, backend, dtype, n_clips):
        self.plan(self.y)
        _backend.synchronize(self.xp)

    def time_vqt(self, backend, dtype, n_clips):
        vqt(self.y, sr=SR)
        _backend.synchronize(self.xp)

    def time_chroma_cqt(self, backend, dtype, n_clips):
        chroma_cqt(self.y, sr=SR, tuning=0.0)
        _backend.synchronize(self.xp)

    def peakmem_cqt(self, backend, dtype, n_clips):
        cqt(self.y, sr=SR)


class CQTBuild:
    """Host kernel construction (uncached) for 12 and 36 bins per octave."""

    params = ([12, 36],)
    param_names = ("bins_per_octave",)

    def time_build_schedule(self, bins_per_octave):
        build_schedule.cache_clear()
        CQT(sr=SR, n_bins=7 * bins_per_octave, bins_per_octave=bins_per_octave)


class InverseSuite:
    """icqt of a default CQT, and a few Griffin-Lim iterations on its magnitude."""

    params = (["numpy", "cupy"], ["float32", "float64"], [1, 4])
    param_names = ("backend", "dtype", "n_clips")

    def setup(self, backend, dtype, n_clips):
        mod = _namespace(backend)
        rng = np.random.default_rng(0)
        self.xp = _backend.array_namespace(mod.asarray(np.zeros(1)))
        y = mod.asarray(rng.standard_normal((n_clips, 2 * SR)).astype(dtype))
        self.C = cqt(y, sr=SR)
        self.mag = abs(self.C)
        icqt(self.C, sr=SR)  # warm-up: tables on device, numba compiled

    def time_icqt(self, backend, dtype, n_clips):
        icqt(self.C, sr=SR)
        _backend.synchronize(self.xp)

    def time_griffinlim_cqt_4_iter(self, backend, dtype, n_clips):
        griffinlim_cqt(self.mag, sr=SR, n_iter=4, init=None)
        _backend.synchronize(self.xp)

    def peakmem_icqt(self, backend, dtype, n_clips):
        icqt(self.C, sr=SR)


class InverseBuild:
    """Host tables of the inverse (uncached) for 12 and 36 bins per octave."""

    params = ([12, 36],)
    param_names = ("bins_per_octave",)

    def time_build_inverse_schedule(self, bins_per_octave):
        build_inverse_schedule.cache_clear()
        build_inverse_schedule(
            float(SR),
            512,
            32.70319566257483,
            7 * bins_per_octave,
            bins_per_octave,
            1.0,
            1.0,
            0.01,
            "hann",
            True,
        )
