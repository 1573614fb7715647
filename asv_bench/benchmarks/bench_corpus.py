"""sigpu.corpus: extract over a small generated corpus on a LocalCluster of two worker
processes (cluster start in setup, not timed), and the Dask-chunked long-recording
transforms (stft, melspectrogram, reassigned_spectrogram, linear_reassignment) on one
minute of audio in 10 s chunks (linear_reassignment: 3 s), NumPy backend."""

from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

import sigpu.corpus

SR = 22050
N_FILES = 8
FILE_SECONDS = 5.0


def _corpus(folder):
    import soundfile

    rng = np.random.default_rng(0)
    for i in range(N_FILES):
        y = 0.3 * rng.standard_normal((int(FILE_SECONDS * 44100), 2))
        soundfile.write(os.path.join(folder, f"{i:02d}.wav"), y, 44100, subtype="PCM_16")


class Extract:
    """Eight 5 s stereo WAV files at 44.1 kHz -> mel (n_mels=128) at 22050 Hz; each
    timed call writes a new store (a store written before would be skipped)."""

    timeout = 300
    number = 1
    repeat = 3

    def setup(self):
        import distributed

        self.dir = tempfile.mkdtemp()
        self.inputs = os.path.join(self.dir, "audio")
        os.mkdir(self.inputs)
        _corpus(self.inputs)
        self.cluster = sigpu.corpus.local_cluster(workers=2)  # as extract starts it
        self.client = distributed.Client(self.cluster)
        self.runs = 0
        self._extract()  # workers import sigpu and build their tables once

    def teardown(self):
        self.client.close()
        self.cluster.close()
        shutil.rmtree(self.dir)

    def _extract(self) -> sigpu.corpus.ExtractSummary:
        self.runs += 1
        out = os.path.join(self.dir, f"mel-{self.runs}.zarr")
        return sigpu.corpus.extract(
            self.inputs, feature="mel", sr=SR, out=out, client=self.client, progress=False
        )

    def time_extract(self):
        self._extract()

    def track_realtime_factor(self):
        return self._extract().realtime_factor

    track_realtime_factor.unit = "audio s / s"


class LongRecording:
    """One minute at 22050 Hz as a Dask array of 10 s chunks, computed in full."""

    timeout = 300

    def setup(self):
        import dask.array as da

        y = np.random.default_rng(0).standard_normal(60 * SR).astype(np.float32)
        self.y = da.from_array(y, chunks=10 * SR)

    def time_stft(self):
        sigpu.corpus.stft(self.y).compute()

    def time_melspectrogram(self):
        sigpu.corpus.melspectrogram(self.y, sr=SR).compute()

    def time_reassigned_spectrogram(self):
        import dask

        dask.compute(*sigpu.corpus.reassigned_spectrogram(self.y, sr=SR))  # one pass

    def time_linear_reassignment(self):
        x = self.y[: 3 * SR]  # 3 s: the hyperresolution image is the slow one
        sigpu.corpus.linear_reassignment(x, tdeci=256, minf=200.0, maxf=5000.0, sr=SR).compute()
