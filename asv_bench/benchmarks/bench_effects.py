"""Onsets, rhythm and effects: onset_strength, onset_strength_multi, onset_detect,
onset_backtrack, tempogram, fourier_tempogram, decompose.hpss, effects.hpss / harmonic / percussive,
phase_vocoder, time_stretch, pitch_shift, preemphasis, deemphasis, trim, split.

Sizes: ``(batch, seconds)`` at 22050 Hz.  ``setup`` warms every call up on the data (numba
compilation, filter banks, resampling tables, cuFFT plans), so ``time_*`` is execution.
"""

from __future__ import annotations

import sigpu
import sigpu.decompose
import sigpu.effects as E
import sigpu.feature
import sigpu.onset as O

from .common import BACKENDS, DTYPES, namespace, signal, sync

SR = 22050
SIZES = ["1x10", "8x10"]


def _shape(size):
    batch, seconds = size.split("x")
    return (int(batch), int(seconds) * SR)


class Onsets:
    params = (BACKENDS, DTYPES, SIZES)
    param_names = ["backend", "dtype", "size"]

    def setup(self, backend, dtype, size):
        self.xp = namespace(backend)
        self.y = signal(self.xp, _shape(size), dtype)
        self.env = O.onset_strength(self.y, sr=SR)
        self.events = O.onset_detect(onset_envelope=self.env[0], sr=SR)
        for name in dir(self):
            if name.startswith("time_"):
                getattr(self, name)(backend, dtype, size)

    def time_onset_strength(self, backend, dtype, size):
        O.onset_strength(self.y, sr=SR)
        sync(self.xp)

    def time_onset_strength_multi(self, backend, dtype, size):
        O.onset_strength_multi(self.y, sr=SR, channels=[0, 32, 64, 96, 128], max_size=3)
        sync(self.xp)

    def time_onset_detect(self, backend, dtype, size):
        O.onset_detect(onset_envelope=self.env, sr=SR, sparse=False)
        sync(self.xp)

    def time_onset_backtrack(self, backend, dtype, size):
        O.onset_backtrack(self.events, self.env[0])
        sync(self.xp)

    def time_tempogram(self, backend, dtype, size):
        sigpu.feature.tempogram(onset_envelope=self.env, sr=SR)
        sync(self.xp)

    def time_fourier_tempogram(self, backend, dtype, size):
        sigpu.feature.fourier_tempogram(onset_envelope=self.env, sr=SR)
        sync(self.xp)


class Effects:
    params = (BACKENDS, DTYPES, SIZES)
    param_names = ["backend", "dtype", "size"]

    def setup(self, backend, dtype, size):
        self.xp = namespace(backend)
        self.y = signal(self.xp, _shape(size), dtype)
        self.D = sigpu.stft(self.y)
        silence = self.xp.zeros_like(self.y[..., :SR])
        self.quiet = self.xp.concatenate([silence, self.y, silence], axis=-1)
        for name in dir(self):
            if name.startswith("time_"):
                getattr(self, name)(backend, dtype, size)

    def time_decompose_hpss(self, backend, dtype, size):
        sigpu.decompose.hpss(self.D)
        sync(self.xp)

    def time_hpss(self, backend, dtype, size):
        E.hpss(self.y)
        sync(self.xp)

    def time_harmonic(self, backend, dtype, size):
        E.harmonic(self.y)
        sync(self.xp)

    def time_percussive(self, backend, dtype, size):
        E.percussive(self.y)
        sync(self.xp)

    def time_phase_vocoder(self, backend, dtype, size):
        sigpu.phase_vocoder(self.D, rate=1.3)
        sync(self.xp)

    def time_time_stretch(self, backend, dtype, size):
        E.time_stretch(self.y, rate=1.3)
        sync(self.xp)

    def time_pitch_shift(self, backend, dtype, size):
        E.pitch_shift(self.y, sr=SR, n_steps=2)
        sync(self.xp)

    def time_preemphasis(self, backend, dtype, size):
        E.preemphasis(self.y)
        sync(self.xp)

    def time_deemphasis(self, backend, dtype, size):
        E.deemphasis(self.y)
        sync(self.xp)

    def time_trim(self, backend, dtype, size):
        E.trim(self.quiet, top_db=30)
        sync(self.xp)

    def time_split(self, backend, dtype, size):
        E.split(self.quiet, top_db=30)
        sync(self.xp)
