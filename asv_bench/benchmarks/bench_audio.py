"""Audio: load (decode + resample to 22050 Hz), resample on both paths, to_mono,
get_duration and get_samplerate; the filter tables are built (and cached) in setup."""

from __future__ import annotations

import os
import tempfile

import numpy as np

import sigpu

from .common import BACKENDS, DTYPES, namespace, signal, sync

# (orig_sr, target_sr): 2:1 (overlap-save FFT path) and 441:320 (grouped GEMM path)
RATIOS = ["44100-22050", "22050-16000"]
RES_TYPES = ["sinc_hq", "polyphase"]
SECONDS = 10


class Resample:
    """Two channels of 10 s."""

    params = (BACKENDS, DTYPES, RATIOS, RES_TYPES)
    param_names = ["backend", "dtype", "ratio", "res_type"]

    def setup(self, backend, dtype, ratio, res_type):
        self.xp = namespace(backend)
        self.orig_sr, self.target_sr = map(int, ratio.split("-"))
        self.y = signal(self.xp, (2, SECONDS * self.orig_sr), dtype)
        self.time_resample(backend, dtype, ratio, res_type)  # tables built and copied

    def time_resample(self, backend, dtype, ratio, res_type):
        sigpu.resample(self.y, orig_sr=self.orig_sr, target_sr=self.target_sr, res_type=res_type)
        sync(self.xp)

    def time_to_mono(self, backend, dtype, ratio, res_type):
        sigpu.to_mono(self.y)
        sync(self.xp)


class Load:
    """A 10 s stereo file at 44.1 kHz: decode, mix down, resample to 22050 Hz (librosa's
    default call); get_duration and get_samplerate read the header only."""

    params = (["PCM_16.wav", "PCM_16.flac"], ["sinc_hq", "polyphase"])
    param_names = ["file", "res_type"]

    def setup(self, file, res_type):
        import soundfile

        subtype, ext = file.split(".")
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, f"noise.{ext}")
        y = 0.3 * np.random.default_rng(0).standard_normal((SECONDS * 44100, 2))
        soundfile.write(self.path, y, 44100, subtype=subtype)
        sigpu.load(self.path, res_type=res_type)

    def teardown(self, file, res_type):
        os.remove(self.path)
        os.rmdir(self.dir)

    def time_load(self, file, res_type):
        sigpu.load(self.path, res_type=res_type)

    def time_load_native_rate(self, file, res_type):
        sigpu.load(self.path, sr=None, mono=False)

    def time_get_duration(self, file, res_type):
        sigpu.get_duration(path=self.path)
        sigpu.get_samplerate(self.path)
