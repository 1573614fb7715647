"""Public names no topic benchmark covers: unit conversions and the dB family.

These are elementwise and cheap; the benchmarks exist so that a regression (a Python loop,
a host round trip on CuPy) shows up on the dashboard like any other.
"""

from __future__ import annotations

import sigpu

from .common import BACKENDS, DTYPES, namespace, signal, sync

SIZES = [1_000, 1_000_000]


class Conversions:
    """Elementwise unit conversions on an array of ``n`` values."""

    params = (BACKENDS, DTYPES, SIZES)
    param_names = ["backend", "dtype", "n"]

    def setup(self, backend, dtype, n):
        self.xp = namespace(backend)
        noise = signal(self.xp, (n,), dtype)
        self.hz = 20.0 + 10_000.0 * abs(noise)
        self.mel = sigpu.hz_to_mel(self.hz)
        self.midi = sigpu.hz_to_midi(self.hz)
        self.frames = self.xp.arange(n)
        self.seconds = abs(noise)
        sync(self.xp)

    def time_hz_to_mel(self, backend, dtype, n):
        sigpu.hz_to_mel(self.hz)
        sigpu.hz_to_mel(self.hz, htk=True)
        sync(self.xp)

    def time_mel_to_hz(self, backend, dtype, n):
        sigpu.mel_to_hz(self.mel)
        sync(self.xp)

    def time_hz_to_midi(self, backend, dtype, n):
        sigpu.hz_to_midi(self.hz)
        sync(self.xp)

    def time_midi_to_hz(self, backend, dtype, n):
        sigpu.midi_to_hz(self.midi)
        sync(self.xp)

    def time_frames_samples_time(self, backend, dtype, n):
        samples = sigpu.frames_to_samples(self.frames, hop_length=512)
        sigpu.samples_to_frames(samples, hop_length=512)
        sigpu.frames_to_time(self.frames, sr=22050)
        sigpu.time_to_frames(self.seconds, sr=22050)
        sigpu.samples_to_time(samples, sr=22050)
        sigpu.time_to_samples(self.seconds, sr=22050)
        sync(self.xp)


class FrequencyGrids:
    """Axis builders used by every plan (mel, FFT and CQT centre frequencies)."""

    params = (BACKENDS,)
    param_names = ["backend"]

    def setup(self, backend):
        self.xp = namespace(backend)

    def time_frequency_grids(self, backend):
        sigpu.mel_frequencies(128, fmax=11025.0, xp=self.xp)
        sigpu.fft_frequencies(sr=22050, n_fft=2048, xp=self.xp)
        sigpu.cqt_frequencies(84, fmin=32.70319566, xp=self.xp)
        sync(self.xp)


class NoteNames:
    """Scalar/list note parsing (host only)."""

    def setup(self):
        self.notes = [f"{p}{o}" for o in range(1, 8) for p in ("C", "C#", "Eb", "F", "A")]

    def time_note_to_midi(self):
        sigpu.note_to_midi(self.notes)

    def time_note_to_hz(self):
        sigpu.note_to_hz(self.notes)


class DecibelScaling:
    """amplitude_to_db / db_to_power / db_to_amplitude on a 16 x 1025 x 431 spectrogram."""

    params = (BACKENDS, DTYPES)
    param_names = ["backend", "dtype"]

    def setup(self, backend, dtype):
        self.xp = namespace(backend)
        self.S = abs(signal(self.xp, (16, 1025, 431), dtype))
        self.S_db = sigpu.amplitude_to_db(self.S)
        sync(self.xp)

    def time_amplitude_to_db(self, backend, dtype):
        sigpu.amplitude_to_db(self.S)
        sync(self.xp)

    def time_db_to_power(self, backend, dtype):
        sigpu.db_to_power(self.S_db)
        sync(self.xp)

    def time_db_to_amplitude(self, backend, dtype):
        sigpu.db_to_amplitude(self.S_db)
        sync(self.xp)
