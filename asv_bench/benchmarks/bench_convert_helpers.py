"""librosa's small conversion helpers (issue 19): frame axes, octaves, tuning, tempo grids.

Cheap elementwise or axis builders; timed so that a regression (a Python loop, a host round
trip on CuPy) shows on the dashboard.
"""

from __future__ import annotations

import numpy as np

import sigpu

from .common import BACKENDS, DTYPES, namespace, signal, sync

SIZES = [1_000, 1_000_000]


class PitchHelpers:
    """Octave and tuning conversions on ``n`` values."""

    params = (BACKENDS, DTYPES, SIZES)
    param_names = ["backend", "dtype", "n"]

    def setup(self, backend, dtype, n):
        self.xp = namespace(backend)
        noise = signal(self.xp, (n,), dtype)
        self.hz = 20.0 + 10_000.0 * abs(noise)
        self.octs = sigpu.hz_to_octs(self.hz)
        self.tuning = 0.5 * noise
        sync(self.xp)

    def time_hz_to_octs(self, backend, dtype, n):
        sigpu.hz_to_octs(self.hz, tuning=0.1)
        sync(self.xp)

    def time_octs_to_hz(self, backend, dtype, n):
        sigpu.octs_to_hz(self.octs)
        sync(self.xp)

    def time_tuning_round_trip(self, backend, dtype, n):
        sigpu.A4_to_tuning(sigpu.tuning_to_A4(self.tuning))
        sync(self.xp)


class FrameAxes:
    """Time and sample axes of a (..., n_frames) feature matrix."""

    params = (BACKENDS, [100, 100_000])
    param_names = ["backend", "n_frames"]

    def setup(self, backend, n_frames):
        self.xp = namespace(backend)
        self.S = self.xp.zeros((2, n_frames), dtype=self.xp.float32)

    def time_times_like(self, backend, n_frames):
        sigpu.times_like(self.S, sr=22050, hop_length=512)
        sync(self.xp)

    def time_samples_like(self, backend, n_frames):
        sigpu.samples_like(self.S, hop_length=512, n_fft=2048)
        sync(self.xp)


class TempoGrids:
    """BPM axes of autocorrelation and Fourier tempograms."""

    params = (BACKENDS,)
    param_names = ["backend"]

    def setup(self, backend):
        self.xp = namespace(backend)

    def time_tempo_frequencies(self, backend):
        sigpu.tempo_frequencies(384, hop_length=512, sr=22050, xp=self.xp)
        sigpu.fourier_tempo_frequencies(sr=22050, win_length=384, hop_length=512, xp=self.xp)
        sync(self.xp)


class NoteNames:
    """Note names of the 88 piano keys (host strings: NumPy only), in a key with flats."""

    params = ([88, 8_800],)
    param_names = ["n"]

    def setup(self, n):
        self.midi = np.resize(np.arange(21.0, 109.0), n) + 0.1
        self.hz = sigpu.midi_to_hz(self.midi)

    def time_midi_to_note(self, n):
        sigpu.midi_to_note(self.midi, cents=True, key="Eb:min")

    def time_hz_to_note(self, n):
        sigpu.hz_to_note(self.hz)
