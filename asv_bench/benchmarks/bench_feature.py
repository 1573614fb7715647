"""Spectral features: melspectrogram, mfcc, chroma_stft, gammatonegram.

Sizes: ``(batch, seconds)`` at 22050 Hz (n_fft 2048, hop 512).  Filter banks are
built (and copied to the device) in ``setup`` by a warm-up call, so ``time_*``
is execution; ``BankBuild`` times the cold host construction of each bank.
"""

from __future__ import annotations

import sigpu.feature as F
import sigpu.filters as filters

from .common import BACKENDS, DTYPES, namespace, signal, sync, warm_up

SR = 22050
SIZES = ["1x10", "16x10"]


def _shape(size):
    batch, seconds = size.split("x")
    return (int(batch), int(seconds) * SR)


class Features:
    params = (BACKENDS, DTYPES, SIZES)
    param_names = ["backend", "dtype", "size"]

    def setup(self, backend, dtype, size):
        self.xp = namespace(backend)
        self.y = signal(self.xp, _shape(size), dtype)
        self.mel_plan = F.MelSpectrogram(sr=SR)
        self.mfcc_plan = F.MFCC(sr=SR)
        short = self.y[..., :4096]
        warm_up(
            lambda: self.mel_plan(short),
            lambda: self.mfcc_plan(short),
            lambda: F.melspectrogram(short, sr=SR),
            lambda: F.chroma_stft(short, sr=SR, tuning=0.0),
            lambda: F.gammatonegram(short, sr=SR),
        )
        sync(self.xp)

    def time_melspectrogram(self, backend, dtype, size):
        F.melspectrogram(self.y, sr=SR)
        sync(self.xp)

    def time_melspectrogram_plan(self, backend, dtype, size):
        self.mel_plan(self.y)
        sync(self.xp)

    def time_mfcc(self, backend, dtype, size):
        F.mfcc(self.y, sr=SR)
        sync(self.xp)

    def time_chroma_stft(self, backend, dtype, size):
        F.chroma_stft(self.y, sr=SR, tuning=0.0)
        sync(self.xp)

    def time_chroma_stft_estimated_tuning(self, backend, dtype, size):
        F.chroma_stft(self.y, sr=SR)
        sync(self.xp)

    def time_gammatonegram(self, backend, dtype, size):
        F.gammatonegram(self.y, sr=SR)
        sync(self.xp)

    def peakmem_melspectrogram(self, backend, dtype, size):
        F.melspectrogram(self.y, sr=SR)


class BankBuild:
    """Cold construction of the float64 host banks (caches cleared first)."""

    params = (["mel", "chroma", "gammatone"],)
    param_names = ["bank"]

    def setup(self, bank):
        for builder in (filters._mel_host, filters._chroma_host, filters._gammatone_host):
            builder.cache_clear()

    def time_build(self, bank):
        for builder in (filters._mel_host, filters._chroma_host, filters._gammatone_host):
            builder.cache_clear()
        if bank == "mel":
            filters.mel(sr=SR, n_fft=2048)
        elif bank == "chroma":
            filters.chroma(sr=SR, n_fft=2048)
        else:
            filters.gammatone(sr=SR, n_fft=2048)
