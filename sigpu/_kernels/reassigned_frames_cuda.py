"""The reassigned spectrogram's three windowed spectra on the GPU: one cuFFT call per
window over all frames, handed to ``finish`` at once; same contract as
``reassigned_frames_numba``."""

from __future__ import annotations

from .frames_cuda import rfft_frames


def analyse(x, n_fft: int, hop_length: int, n_frames: int, pad_mode, windows, finish):
    """See :func:`sigpu._kernels.reassigned_frames_numba.analyse` (one block: all frames)."""
    spectra = [rfft_frames(x, n_fft, hop_length, n_frames, pad_mode, w) for w in windows]
    finish(spectra, (slice(None), slice(None)))
