"""STFT family: stft, istft, spectrogram, dB, griffinlim; plan build timed separately."""

from __future__ import annotations

import sigpu

from .common import BACKENDS, DTYPES, namespace, signal, sync, warm_up

SR = 22050
# (batch, seconds): one clip, and the spec's 16 x 10 s workload
SIZES = ["1x1s", "16x10s"]


def _shape(size):
    batch, seconds = size.split("x")
    return (int(batch), int(float(seconds[:-1]) * SR))


class STFT:
    params = (BACKENDS, DTYPES, SIZES)
    param_names = ["backend", "dtype", "size"]

    def setup(self, backend, dtype, size):
        self.xp = namespace(backend)
        self.y = signal(self.xp, _shape(size), dtype)
        self.plan = sigpu.STFT(n_fft=2048, hop_length=512)
        self.D = self.plan(self.y)
        short = self.y[..., : 4 * 2048]
        warm_up(
            lambda: self.plan.inverse(self.plan(short)),
            lambda: sigpu.spectrogram(short, n_fft=2048, hop_length=512),
        )
        sync(self.xp)

    def time_stft(self, backend, dtype, size):
        sigpu.stft(self.y, n_fft=2048, hop_length=512)
        sync(self.xp)

    def time_stft_plan(self, backend, dtype, size):
        self.plan(self.y)
        sync(self.xp)

    def time_istft(self, backend, dtype, size):
        self.plan.inverse(self.D, length=self.y.shape[-1])
        sync(self.xp)

    def time_spectrogram(self, backend, dtype, size):
        sigpu.spectrogram(self.y, n_fft=2048, hop_length=512)
        sync(self.xp)

    def time_power_to_db(self, backend, dtype, size):
        sigpu.power_to_db(abs(self.D) ** 2)
        sync(self.xp)

    def peakmem_stft(self, backend, dtype, size):
        sigpu.stft(self.y, n_fft=2048, hop_length=512)


class STFTFloor:
    """sigpu's STFT over its floor (issue 20): ``scipy.fft.rfft`` of the 16 x 10 s float32
    workload's frames, cut and windowed beforehand, with sigpu's FFT threads; the ratio of
    the fastest of 7 interleaved calls each (1.0: no cost beyond the FFT itself)."""

    def setup(self):
        import time

        import numpy as np

        from sigpu._backend import fft_module

        self.clock = time.perf_counter
        y = signal(np, _shape("16x10s"), "float32")
        window = np.hanning(2049)[:-1].astype(np.float32)  # periodic Hann, as sigpu's
        padded = np.pad(y, [(0, 0), (1024, 1024)])
        starts = np.arange(1 + y.shape[-1] // 512) * 512
        frames = np.ascontiguousarray(padded[:, starts[:, None] + np.arange(2048)] * window)
        rfft = fft_module(np).rfft
        self.runs = (
            lambda: sigpu.stft(y, n_fft=2048, hop_length=512),
            lambda: rfft(frames, axis=-1),
        )
        for run in self.runs:
            run()

    def track_stft_over_floor(self):
        best = [float("inf")] * len(self.runs)
        for _ in range(7):
            for i, run in enumerate(self.runs):
                t0 = self.clock()
                run()
                best[i] = min(best[i], self.clock() - t0)
        return best[0] / best[1]

    track_stft_over_floor.unit = "ratio"


class PlanBuild:
    """Window and envelope construction (cold caches), separate from execution."""

    params = ([512, 2048, 4096],)
    param_names = ["n_fft"]

    def time_plan_build(self, n_fft):
        from sigpu import _window

        _window.padded_window.cache_clear()
        plan = sigpu.STFT(n_fft=n_fft, window=("kaiser", 8.0 + n_fft * 1e-6))
        plan._window_array(namespace("numpy"), "float32")


class GriffinLim:
    """4 clips of 2 s (array expressions) and of 10 s (above FUSED_KERNEL_MIN_SIZE: the
    fused phase projection on the CPU)."""

    params = (BACKENDS, DTYPES, [2, 10])
    param_names = ["backend", "dtype", "seconds"]

    def setup(self, backend, dtype, seconds):
        self.xp = namespace(backend)
        y = signal(self.xp, (4, seconds * SR), dtype)
        self.S = abs(sigpu.stft(y, n_fft=1024))
        warm_up(lambda: sigpu.griffinlim(self.S, n_iter=1, random_state=0))
        sync(self.xp)

    def time_griffinlim_16_iter(self, backend, dtype, seconds):
        sigpu.griffinlim(self.S, n_iter=16, random_state=0)
        sync(self.xp)
