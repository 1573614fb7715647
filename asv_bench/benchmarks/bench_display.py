"""sigpu.display: drawing a spectrogram with librosa's axes (specshow), a waveform (waveshow),
and the default colormap (cmap), on the Agg canvas."""

import numpy as np

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import sigpu.display
except ImportError:  # older commits or no matplotlib: asv skips what fails in setup
    sigpu = None


class Display:
    """specshow of a 1025 x 431 dB spectrogram (10 s at 22.05 kHz) on log and time axes,
    drawn to pixels; waveshow of 10 s of audio."""

    params = ["log", "mel", "cqt_note"]
    param_names = ["y_axis"]

    def setup(self, y_axis):
        if sigpu is None or not hasattr(sigpu, "display"):
            raise NotImplementedError("sigpu.display is not available")
        rng = np.random.default_rng(0)
        rows = {"log": 1025, "mel": 128, "cqt_note": 84}[y_axis]
        self.image = rng.standard_normal((rows, 431)).astype(np.float32)
        self.y = rng.standard_normal(220500).astype(np.float32)
        self.fig, self.ax = plt.subplots()

    def teardown(self, y_axis):
        plt.close(self.fig)

    def time_specshow(self, y_axis):
        self.ax.clear()
        sigpu.display.specshow(self.image, x_axis="time", y_axis=y_axis, ax=self.ax)
        self.fig.canvas.draw()

    def time_waveshow(self, y_axis):
        self.ax.clear()
        sigpu.display.waveshow(self.y, sr=22050, ax=self.ax)
        self.fig.canvas.draw()

    def time_cmap(self, y_axis):
        sigpu.display.cmap(self.image)
