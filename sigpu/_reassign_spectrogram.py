"""librosa's reassigned spectrogram; public wrapper in :mod:`sigpu.reassign`."""

from __future__ import annotations


def reassigned_spectrogram(y, **kwargs):  # placeholder until sigpu.spectrum.stft lands
    raise NotImplementedError
