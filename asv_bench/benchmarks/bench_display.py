"""sigpu.display: drawing a spectrogram with librosa's axes (specshow), a waveform (waveshow),
and the default colormap (cmap), on the Agg canvas (what the user waits for: the figure
drawn to pixels, matplotlib's time included)."""

import numpy as np

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import sigpu.display
except ImportError:  # older commits or no matplotlib: asv skips what fails in setup
    sigpu = None


def _require_display():
    if sigpu is None or not hasattr(sigpu, "display"):
        raise NotImplementedError("sigpu.display is not available")


class SpecShow:
    """specshow of a 10 s spectrogram at 22.05 kHz (431 frames): STFT (1025 rows, log axis),
    mel (128 rows) and CQT (84 rows, note axis), drawn."""

    params = ["log", "mel", "cqt_note"]
    param_names = ["y_axis"]

    def setup(self, y_axis):
        _require_display()
        rows = {"log": 1025, "mel": 128, "cqt_note": 84}[y_axis]
        self.image = np.random.default_rng(0).standard_normal((rows, 431)).astype(np.float32)
        self.fig, self.ax = plt.subplots()

    def teardown(self, y_axis):
        plt.close(self.fig)

    def time_specshow(self, y_axis):
        self.ax.clear()
        sigpu.display.specshow(self.image, x_axis="time", y_axis=y_axis, ax=self.ax)
        self.fig.canvas.draw()


class WaveShow:
    """waveshow of 10 s of audio at 22.05 kHz (the envelope view), drawn; cmap's choice for
    a 1025 x 431 image."""

    def setup(self):
        _require_display()
        rng = np.random.default_rng(0)
        self.y = rng.standard_normal(220500).astype(np.float32)
        self.image = rng.standard_normal((1025, 431)).astype(np.float32)
        self.fig, self.ax = plt.subplots()

    def teardown(self):
        plt.close(self.fig)

    def time_waveshow(self):
        self.ax.clear()
        sigpu.display.waveshow(self.y, sr=22050, ax=self.ax)
        self.fig.canvas.draw()

    def time_cmap(self):
        sigpu.display.cmap(self.image)
