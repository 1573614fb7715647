"""Issue 19's everyday features, weightings and the mel/MFCC inverses.

Sizes: ``(batch, seconds)`` of white noise at 22050 Hz (n_fft 2048, hop 512).  Tables (fit
matrices, smoother blocks, NNLS steps) and numba kernels are warmed up in ``setup``, so
``time_*`` is execution.  ``benchmarks/compare_feature_extra.py`` has the same-run ratios
against librosa.
"""

from __future__ import annotations

import numpy as np

import sigpu
import sigpu.feature as F

from .common import BACKENDS, DTYPES, namespace, signal, sync, warm_up

SR = 22050
SIZES = ["1x10", "8x10"]
STFT = dict(n_fft=2048, hop_length=512)


def _shape(size):
    batch, seconds = size.split("x")
    return (int(batch), int(seconds) * SR)


_FROM_STFT = ("spectral_centroid", "spectral_contrast", "poly_features", "spectral_flatness")


class SpectralFeatures:
    """The spectral family from a signal (STFT included, as users call them)."""

    params = (BACKENDS, DTYPES, SIZES)
    param_names = ["backend", "dtype", "size"]

    def setup(self, backend, dtype, size):
        self.xp = namespace(backend)
        self.y = signal(self.xp, _shape(size), dtype)
        short = self.y[..., :8192]
        warm_up(*(lambda name=name: getattr(F, name)(short, **STFT) for name in _FROM_STFT))
        sync(self.xp)

    def time_spectral_centroid(self, backend, dtype, size):
        F.spectral_centroid(self.y, sr=SR, **STFT)
        sync(self.xp)

    def time_spectral_bandwidth(self, backend, dtype, size):
        F.spectral_bandwidth(self.y, sr=SR, **STFT)
        sync(self.xp)

    def time_spectral_rolloff(self, backend, dtype, size):
        F.spectral_rolloff(self.y, sr=SR, **STFT)
        sync(self.xp)

    def time_spectral_flatness(self, backend, dtype, size):
        F.spectral_flatness(self.y, **STFT)
        sync(self.xp)

    def time_spectral_contrast(self, backend, dtype, size):
        F.spectral_contrast(self.y, sr=SR, **STFT)
        sync(self.xp)

    def time_poly_features(self, backend, dtype, size):
        F.poly_features(self.y, sr=SR, order=2, **STFT)
        sync(self.xp)

    def time_rms(self, backend, dtype, size):
        F.rms(self.y)
        sync(self.xp)

    def time_zero_crossing_rate(self, backend, dtype, size):
        F.zero_crossing_rate(self.y)
        sync(self.xp)

    def time_zero_crossings(self, backend, dtype, size):
        sigpu.zero_crossings(self.y)
        sync(self.xp)


class SequenceFeatures:
    """Features of feature sequences and of spectrograms: delta, stack_memory, pcen,
    magphase, perceptual_weighting, and the constant-Q chroma family from a given CQT."""

    params = (BACKENDS, DTYPES, SIZES)
    param_names = ["backend", "dtype", "size"]

    def setup(self, backend, dtype, size):
        self.xp = namespace(backend)
        y = signal(self.xp, _shape(size), dtype)
        self.D = sigpu.stft(y, **STFT)
        self.M = F.melspectrogram(y, sr=SR, **STFT)
        self.mfcc = F.mfcc(y, sr=SR, **STFT)
        self.freqs = self.xp.asarray(np.fft.rfftfreq(2048, 1 / SR).astype(dtype))
        n_frames = self.M.shape[-1]
        self.C = signal(self.xp, _shape(size)[:1] + (252, n_frames), dtype) ** 2
        self.chroma = sigpu.chroma_cqt(C=self.C, sr=SR, bins_per_octave=36)
        warm_up(
            lambda: F.delta(self.mfcc),
            lambda: sigpu.pcen(self.M),
            lambda: F.chroma_cens(C=self.C, sr=SR),
            lambda: F.chroma_vqt(V=self.C, sr=SR, intervals="equal", bins_per_octave=36),
        )
        sync(self.xp)

    def time_delta(self, backend, dtype, size):
        F.delta(self.mfcc, order=2)
        sync(self.xp)

    def time_stack_memory(self, backend, dtype, size):
        F.stack_memory(self.mfcc, n_steps=4)
        sync(self.xp)

    def time_pcen(self, backend, dtype, size):
        sigpu.pcen(self.M)
        sync(self.xp)

    def time_magphase(self, backend, dtype, size):
        sigpu.magphase(self.D)
        sync(self.xp)

    def time_perceptual_weighting(self, backend, dtype, size):
        sigpu.perceptual_weighting(self.xp.abs(self.D) ** 2, self.freqs, kind="A")
        sync(self.xp)

    def time_tonnetz(self, backend, dtype, size):
        F.tonnetz(chroma=self.chroma)
        sync(self.xp)

    def time_chroma_cens(self, backend, dtype, size):
        F.chroma_cens(C=self.C, sr=SR)
        sync(self.xp)

    def time_chroma_vqt(self, backend, dtype, size):
        F.chroma_vqt(V=self.C, sr=SR, intervals="equal", bins_per_octave=36)
        sync(self.xp)


class Weighting:
    """The A/B/C/D/Z curves over a million frequencies."""

    params = (BACKENDS, ["A", "B", "C", "D", "Z", "multi"])
    param_names = ["backend", "kind"]

    def setup(self, backend, kind):
        self.xp = namespace(backend)
        self.f = self.xp.asarray(np.linspace(1.0, SR / 2, 1_000_000))
        self.curve = {
            "A": sigpu.A_weighting,
            "B": sigpu.B_weighting,
            "C": sigpu.C_weighting,
            "D": sigpu.D_weighting,
            "Z": sigpu.Z_weighting,
            "multi": lambda f: sigpu.multi_frequency_weighting(f, kinds="ZAC"),
        }[kind]

    def time_weighting(self, backend, kind):
        self.curve(self.f)
        sync(self.xp)

    def time_frequency_weighting(self, backend, kind):
        if kind != "multi":
            sigpu.frequency_weighting(self.f, kind=kind)
        sync(self.xp)


class Inverse:
    """mel -> STFT magnitudes (200 FISTA steps) -> audio (Griffin-Lim), MFCC -> mel."""

    params = (BACKENDS, DTYPES, ["1x5", "4x5"])
    param_names = ["backend", "dtype", "size"]

    def setup(self, backend, dtype, size):
        self.xp = namespace(backend)
        y = signal(self.xp, _shape(size), dtype)
        self.M = F.melspectrogram(y, sr=SR, **STFT)
        self.mfcc = F.mfcc(y, sr=SR, **STFT)
        warm_up(lambda: F.inverse.mel_to_stft(self.M[..., :4], sr=SR))
        sync(self.xp)

    def time_mel_to_stft(self, backend, dtype, size):
        F.inverse.mel_to_stft(self.M, sr=SR)
        sync(self.xp)

    def time_mel_to_audio(self, backend, dtype, size):
        F.inverse.mel_to_audio(self.M, sr=SR, n_iter=8, random_state=0)
        sync(self.xp)

    def time_mfcc_to_mel(self, backend, dtype, size):
        F.inverse.mfcc_to_mel(self.mfcc)
        sync(self.xp)

    def time_mfcc_to_audio(self, backend, dtype, size):
        F.inverse.mfcc_to_audio(self.mfcc, n_iter=8, random_state=0)
        sync(self.xp)
