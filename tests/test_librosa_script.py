"""The issue's "done when": a librosa tutorial-style script runs unchanged with
``import sigpu as librosa`` and gives librosa's numbers.

The script (``SCRIPT``) is run twice in fresh namespaces, after ``import librosa`` /
``import librosa.display`` and after ``import sigpu as librosa``: only the import lines
differ.  It loads a WAV file
generated here (a melody with harmonics and drum-like clicks, at librosa's default 22 050 Hz
so that ``load`` decodes without resampling), then computes what librosa's tutorials do:
log-mel, MFCC and its deltas, CQT, chroma, RMS, spectral centroid, zero-crossing
rate, onset strength and onsets, tempogram, harmonic/percussive separation, and draws a
``specshow``.  Each result is compared with librosa's as rel-to-peak error
(max |sigpu - librosa| / max |librosa|), with the tolerance its own tests document.
"""

from __future__ import annotations

import numpy as np
import pytest

soundfile = pytest.importorskip("soundfile")
librosa = pytest.importorskip("librosa")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

SR = 22050
# librosa.load imports audioread, which imports modules Python 3.13 removes (librosa's side)
pytestmark = [
    pytest.mark.filterwarnings("ignore:'aifc' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:'sunau' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:'audioop' is deprecated:DeprecationWarning"),
]

SCRIPT = """
import numpy as np
import matplotlib.pyplot as plt

y, sr = librosa.load(PATH)
duration = librosa.get_duration(y=y, sr=sr)

S = librosa.feature.melspectrogram(y=y, sr=sr, n_mels=128, fmax=8000)
S_dB = librosa.power_to_db(S, ref=np.max)
mfccs = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
mfcc_delta = librosa.feature.delta(mfccs)
C = np.abs(librosa.cqt(y, sr=sr))
C_dB = librosa.amplitude_to_db(C, ref=np.max)
chroma = librosa.feature.chroma_stft(y=y, sr=sr)
rms = librosa.feature.rms(y=y)
centroid = librosa.feature.spectral_centroid(y=y, sr=sr)
zcr = librosa.feature.zero_crossing_rate(y)

onset_env = librosa.onset.onset_strength(y=y, sr=sr)
onset_frames = librosa.onset.onset_detect(onset_envelope=onset_env, sr=sr)
onset_times = librosa.frames_to_time(onset_frames, sr=sr)
tempogram = librosa.feature.tempogram(onset_envelope=onset_env, sr=sr)
y_harmonic, y_percussive = librosa.effects.hpss(y)

fig, ax = plt.subplots()
img = librosa.display.specshow(S_dB, x_axis="time", y_axis="mel", sr=sr, fmax=8000, ax=ax)
fig.colorbar(img, ax=ax, format="%+2.0f dB")
edges = img.get_coordinates()
plt.close(fig)
"""

# result name -> rel-to-peak tolerance against librosa (float32 audio, as load returns)
TOLERANCES = {
    "y": 0.0,  # the same decoder (libsndfile), no resampling
    "duration": 0.0,
    "S": 1e-5,
    "S_dB": 1e-4,  # dB of values near the 80 dB floor: 1e-5 relative becomes ~1e-4 of the range
    "mfccs": 1e-5,
    # single-rate CQT against librosa's multirate one: ~1 % of peak (tests/test_cqt.py)
    "C": 1e-2,
    "chroma": 1e-5,
    "mfcc_delta": 1e-5,
    "rms": 1e-5,
    "centroid": 1e-5,
    "zcr": 0.0,  # counts of sign changes
    "onset_frames": 0.0,  # peak picking on the same envelope: the same frames
    "onset_times": 0.0,
    "onset_env": 1e-5,
    "tempogram": 1e-5,
    "y_harmonic": 1e-5,
    "y_percussive": 1e-5,
    "edges": 1e-12,  # the drawn mesh's cell edges
}


def _melody(sr):
    """Six seconds at ``sr``: a melody with five harmonics each, a click every half second."""
    t = np.arange(6 * sr) / sr
    notes = 220.0 * 2 ** (np.array([0, 4, 7, 12, 7, 4, 0, -5, 0, 4, 7, 12]) / 12)
    f0 = notes[(t / 0.5).astype(int)]
    phase = 2 * np.pi * np.cumsum(f0) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 6)) * np.exp(-2.0 * (t % 0.5))
    clicks = np.zeros_like(t)
    clicks[:: sr // 2] = 1.0
    clicks = np.convolve(clicks, np.random.default_rng(5).standard_normal(256) * 0.3)[: t.size]
    y = 0.3 * y + clicks
    return (0.9 * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="module")
def wav_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("script") / "melody.wav"
    soundfile.write(path, _melody(SR), SR, subtype="FLOAT")
    return str(path)


IMPORT_LIBROSA = "import librosa\nimport librosa.display\n"
IMPORT_SIGPU = "import sigpu as librosa\n"  # librosa.display is there: sigpu imports it


def _run(imports, path):
    namespace = {"PATH": path}
    exec(imports + SCRIPT, namespace)
    return namespace


@pytest.fixture(scope="module")
def both(wav_path):
    theirs, ours = _run(IMPORT_LIBROSA, wav_path), _run(IMPORT_SIGPU, wav_path)
    assert theirs["librosa"].__name__ == "librosa" and ours["librosa"].__name__ == "sigpu"
    return theirs, ours


@pytest.mark.filterwarnings("ignore:'where' used without 'out':UserWarning")
@pytest.mark.parametrize("name", sorted(TOLERANCES))
def test_script_gives_librosas_numbers(both, name):
    theirs, ours = both
    want, got = np.asarray(theirs[name]), np.asarray(ours[name])
    assert isinstance(ours[name], (np.ndarray, float, np.floating)), type(ours[name])
    assert got.shape == want.shape
    if got.dtype.kind == "f" and name not in ("duration", "edges", "onset_times"):
        assert got.dtype == np.float32  # float32 audio in, float32 out (librosa: some float64)
    error = np.max(np.abs(got - want)) / np.max(np.abs(want))
    print(f"{name}: rel-to-peak {error:.1e}")
    assert error <= TOLERANCES[name], f"{name}: rel-to-peak {error:.2e}"


def test_a_44100_hz_file_is_resampled_as_librosa_does(tmp_path):
    """librosa.load's default resampling (soxr_hq) against sigpu's (a sinc low-pass to
    soxr's HQ specification, not soxr itself): the differences sigpu.audio documents, and
    the features of the two signals agree to 1e-5 of peak."""
    path = str(tmp_path / "melody44k.wav")
    soundfile.write(path, _melody(44100), 44100, subtype="FLOAT")
    script = "y, sr = librosa.load(PATH)\nS = librosa.feature.melspectrogram(y=y, sr=sr)\n"
    theirs = {"PATH": path}
    exec(IMPORT_LIBROSA + script, theirs)
    ours = {"PATH": path}
    exec(IMPORT_SIGPU + script, ours)
    assert ours["sr"] == theirs["sr"] == SR and ours["y"].shape == theirs["y"].shape
    peak = np.abs(theirs["y"]).max()
    difference = ours["y"] - theirs["y"]
    worst, rms = np.abs(difference).max() / peak, np.sqrt(np.mean(difference**2)) / peak
    print(f"load: max {worst:.1e}, rms {rms:.1e}")  # measured 1.1e-3, 5.7e-5
    # below sigpu.audio's documented bounds for white noise (1e-1, 5e-3): clicks are wideband
    assert worst <= 1e-2 and rms <= 5e-4
    error = np.abs(ours["S"] - theirs["S"]).max() / theirs["S"].max()
    print(f"mel of the loaded signal: {error:.1e}")  # measured 1.1e-5
    assert error <= 1e-4
