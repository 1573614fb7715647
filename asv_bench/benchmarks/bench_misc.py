"""Public names no topic benchmark covers: unit conversions and the dB family.

These are elementwise and cheap; the benchmarks exist so that a regression (a Python loop,
a host round trip on CuPy) shows up on the dashboard like any other.
"""

from __future__ import annotations

import numpy as np

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


class FeatureExtras:
    """Gammatonegram plan and librosa-style tuning estimation (16 x 10 s input)."""

    params = (BACKENDS, DTYPES)
    param_names = ["backend", "dtype"]

    def setup(self, backend, dtype):
        from sigpu.feature import Gammatonegram

        self.xp = namespace(backend)
        self.y = signal(self.xp, (16, 10 * 22050), dtype)
        self.plan = Gammatonegram(sr=22050)
        self.plan(self.y[..., :4096])  # bank built and copied in setup
        sync(self.xp)

    def time_gammatonegram_plan(self, backend, dtype):
        self.plan(self.y)
        sync(self.xp)

    def time_estimate_tuning(self, backend, dtype):
        from sigpu.feature import estimate_tuning

        estimate_tuning(self.y, sr=22050)
        sync(self.xp)


class ReassignmentAxes:
    """Axis helpers of linear reassignment, and the consensus over several q (2 s at 16 kHz)."""

    params = (BACKENDS,)
    param_names = ["backend"]

    def setup(self, backend):
        self.xp = namespace(backend)
        self.x = signal(self.xp, (32_000,), "float32")
        self.kw = dict(tdeci=64, over=4, noct=12, minf=0.004, maxf=0.45)
        sync(self.xp)

    def time_axes(self, backend):
        from sigpu.reassign import linear_reassignment_frequencies, linear_reassignment_times

        linear_reassignment_frequencies(noct=12, minf=0.004, maxf=0.45, sr=16000)
        linear_reassignment_times(32_000, tdeci=64, sr=16000)

    def time_consensus(self, backend):
        from sigpu.reassign import linear_reassignment_consensus

        linear_reassignment_consensus(self.x, qs=(1.0, 2.0), **self.kw)
        sync(self.xp)


class SFIFilterDesign:
    """Analog filter families, ERB helpers and the Hilbert pair of a 440 x 160 weight bank."""

    params = (BACKENDS, DTYPES)
    param_names = ["backend", "dtype"]

    def setup(self, backend, dtype):
        self.xp = namespace(backend)
        self.weights = signal(self.xp, (440, 160), dtype)
        self.fc = np.geomspace(50.0, 16_000.0, 440)
        sync(self.xp)

    def time_erb_helpers(self, backend, dtype):
        from sigpu.sfi import erb_rate_to_hz, gammatone_bandwidth, hz_to_erb_rate, mpgtf_layout

        erb_rate_to_hz(hz_to_erb_rate(self.fc))
        gammatone_bandwidth(self.fc, 4)
        mpgtf_layout(440, 110, 50.0, 16_000.0, xp=self.xp)
        sync(self.xp)

    def time_families(self, backend, dtype):
        import scipy.signal

        from sigpu.sfi import Gammatone, RationalFilter, time_domain_weights

        for bank in (
            Gammatone(self.xp.asarray(self.fc)),
            [
                RationalFilter(
                    *scipy.signal.butter(2, [w, 1.2 * w], "bandpass", analog=True, output="zpk")
                )
                for w in 2 * np.pi * self.fc[::40]
            ],
        ):
            time_domain_weights(bank, 16_000, 80, xp=self.xp, dtype=self.weights.dtype)
        sync(self.xp)

    def time_hilbert_pair(self, backend, dtype):
        from sigpu.sfi import hilbert_pair

        hilbert_pair(self.weights)
        sync(self.xp)
