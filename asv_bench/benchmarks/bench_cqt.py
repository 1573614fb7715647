"""Constant-Q: cqt, vqt, chroma_cqt, the CQT/VQT plans, icqt and griffinlim_cqt.

Sizes: ``n_clips`` x 2 s at 22050 Hz, 84 bins from C1, hop 512.  Kernels are
built and copied to the device by a warm-up call in ``setup``, so ``time_*`` is
execution; ``CQTBuild`` / ``InverseBuild`` / ``FilterBuild`` time the cold host
construction (caches cleared).
"""

from __future__ import annotations

import numpy as np

from sigpu import _constant_q_filters as cqf
from sigpu._cqt_plan import build_inverse_schedule, build_schedule
from sigpu.constantq import CQT, VQT, chroma_cqt, cqt, griffinlim_cqt, icqt, vqt

from .common import BACKENDS, DTYPES, namespace, signal, sync

SR = 22050
C1 = 32.70319566257483


class CQTSuite:
    params = (BACKENDS, DTYPES, [1, 4])
    param_names = ("backend", "dtype", "n_clips")

    def setup(self, backend, dtype, n_clips):
        self.xp = namespace(backend)
        self.y = signal(self.xp, (n_clips, 2 * SR), dtype)
        self.plan = CQT(sr=SR)
        self.vplan = VQT(sr=SR)
        self.plan(self.y)  # warm-up: kernels on device, numba compiled
        self.vplan(self.y)
        sync(self.xp)

    def time_cqt(self, backend, dtype, n_clips):
        cqt(self.y, sr=SR)
        sync(self.xp)

    def time_cqt_plan(self, backend, dtype, n_clips):
        self.plan(self.y)
        sync(self.xp)

    def time_vqt(self, backend, dtype, n_clips):
        vqt(self.y, sr=SR)
        sync(self.xp)

    def time_vqt_plan(self, backend, dtype, n_clips):
        self.vplan(self.y)
        sync(self.xp)

    def time_chroma_cqt(self, backend, dtype, n_clips):
        chroma_cqt(self.y, sr=SR, tuning=0.0)
        sync(self.xp)

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
    """icqt of a default CQT, and four Griffin-Lim iterations on its magnitude."""

    params = (BACKENDS, DTYPES, [1, 4])
    param_names = ("backend", "dtype", "n_clips")

    def setup(self, backend, dtype, n_clips):
        self.xp = namespace(backend)
        self.C = cqt(signal(self.xp, (n_clips, 2 * SR), dtype), sr=SR)
        self.mag = abs(self.C)
        icqt(self.C, sr=SR)  # warm-up: tables on device, numba compiled
        sync(self.xp)

    def time_icqt(self, backend, dtype, n_clips):
        icqt(self.C, sr=SR)
        sync(self.xp)

    def time_griffinlim_cqt_4_iter(self, backend, dtype, n_clips):
        griffinlim_cqt(self.mag, sr=SR, n_iter=4, init=None)
        sync(self.xp)

    def peakmem_icqt(self, backend, dtype, n_clips):
        icqt(self.C, sr=SR)


class InverseBuild:
    """Host tables of the inverse (uncached) for 12 and 36 bins per octave."""

    params = ([12, 36],)
    param_names = ("bins_per_octave",)

    def time_build_inverse_schedule(self, bins_per_octave):
        build_inverse_schedule.cache_clear()
        n_bins = 7 * bins_per_octave
        build_inverse_schedule(
            float(SR), 512, C1, n_bins, bins_per_octave, 1.0, 1.0, 0.01, "hann", True
        )


class FilterBuild:
    """Constant-Q filter banks of sigpu.filters (cold: host caches cleared)."""

    def setup(self):
        self.freqs = C1 * 2.0 ** (np.arange(84) / 12)

    def _clear(self):
        cqf._lengths_host.cache_clear()
        cqf._wavelet_host.cache_clear()
        cqf._cq_to_chroma_host.cache_clear()

    def time_wavelet(self):
        self._clear()
        cqf.wavelet(freqs=self.freqs, sr=SR)

    def time_wavelet_lengths(self):
        self._clear()
        cqf.wavelet_lengths(freqs=self.freqs, sr=SR)

    def time_constant_q(self):
        self._clear()
        cqf.constant_q(sr=SR)

    def time_cq_to_chroma(self):
        self._clear()
        cqf.cq_to_chroma(84)
