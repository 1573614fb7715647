"""Peak memory on long signals at 44.1 kHz (issue 20): stft, melspectrogram, cqt and
reassigned_spectrogram with librosa's default parameters on 10 minutes of float32 audio
(1 hour with ``SIGPU_BENCH_HOUR=1``: 635 MB of input, several GB of output).  The
same-run comparison with librosa is ``benchmarks/compare_memory.py``."""

from __future__ import annotations

import os

import numpy as np

import sigpu
from sigpu import feature

SR = 44100


class LongSignals:
    params = (["stft", "melspectrogram", "cqt", "reassigned_spectrogram"], [10, 60])
    param_names = ["function", "minutes"]
    timeout = 1800
    number = 1
    repeat = 1

    def setup(self, function, minutes):
        if minutes > 10 and not os.environ.get("SIGPU_BENCH_HOUR"):
            raise NotImplementedError("one hour: set SIGPU_BENCH_HOUR=1")
        n = minutes * 60 * SR
        t = np.arange(n) / SR
        self.y = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
        self.call = {
            "stft": lambda y: sigpu.stft(y),
            "melspectrogram": lambda y: feature.melspectrogram(y=y, sr=SR),
            "cqt": lambda y: sigpu.cqt(y, sr=SR),
            "reassigned_spectrogram": lambda y: sigpu.reassigned_spectrogram(y, sr=SR),
        }[function]
        self.call(self.y[: 60 * SR])  # the paths of the long call, compiled

    def peakmem_long(self, function, minutes):
        self.call(self.y)
