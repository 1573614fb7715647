"""Import time of sigpu in a fresh interpreter (must stay light: no numba, no cupy)."""


def timeraw_import_sigpu():
    return "import sigpu"


# First call in a fresh interpreter (issue 20: under 0.3 s with numba's cache warm): import,
# numba's start-up and cache loads, tables and FFT plans.  asv runs the setup string in the
# same process as the timed code, so only the call is timed.
_FIRST_CALLS = {
    "stft": "sigpu.stft(y)",
    "melspectrogram": "sigpu.feature.melspectrogram(y=y, sr=22050)",
    "cqt": "sigpu.cqt(y, sr=22050)",
    "reassigned_spectrogram": "sigpu.reassigned_spectrogram(y, sr=22050)",
    "harmonic_conv2d": "sigpu.harmonic_conv2d(x, w)",
    "linear_reassignment": "sigpu.linear_reassignment(y[:16000], tdeci=64)",
    # below their kernel modules' size thresholds: NumPy paths, numba never imported
    "icqt": "sigpu.icqt(sigpu.cqt(y, sr=22050), sr=22050)",
    "chroma_cqt": "sigpu.feature.chroma_cqt(y=y, sr=22050)",
    "effects.hpss": "sigpu.effects.hpss(y)",
    "time_stretch": "sigpu.effects.time_stretch(y, rate=1.25)",
    "onset_detect": "sigpu.onset.onset_detect(y=y, sr=22050)",
    "deemphasis": "sigpu.effects.deemphasis(y[:8000])",
}
_SETUP = """
import numpy as np
import sigpu
import sigpu.effects
import sigpu.feature
import sigpu.onset
y = np.random.default_rng(0).standard_normal(22050 * 2).astype(np.float32)
x = np.random.default_rng(1).standard_normal((4, 16, 64, 64)).astype(np.float32)
w = np.random.default_rng(2).standard_normal((32, 16, 3, 3)).astype(np.float32)
"""


class FirstCall:
    params = (list(_FIRST_CALLS),)
    param_names = ["function"]

    def timeraw_first_call(self, function):
        return _FIRST_CALLS[function], _SETUP


# First call on 30 s of audio (issue 20's "realistic input"): above the thresholds, so the
# median filter, the phase vocoder and the recurrence start numba or import scipy.signal.
_FIRST_CALLS_30S = {
    "cqt": "sigpu.cqt(y, sr=22050)",
    "effects.hpss": "sigpu.effects.hpss(y)",
    "time_stretch": "sigpu.effects.time_stretch(y, rate=1.25)",
    "deemphasis": "sigpu.effects.deemphasis(y)",
}
_SETUP_30S = _SETUP.replace("22050 * 2", "22050 * 30")


class FirstCall30s:
    params = (list(_FIRST_CALLS_30S),)
    param_names = ["function"]
    timeout = 180

    def timeraw_first_call(self, function):
        return _FIRST_CALLS_30S[function], _SETUP_30S
