"""sigpu: one librosa/scipy-style signal-processing API for NumPy and CuPy arrays.

Pass a ``numpy.ndarray`` and the work runs on the CPU; pass a ``cupy.ndarray``
and it runs on its GPU, returning arrays of the same library, device and
precision.  ``import sigpu`` imports neither numba nor cupy.
"""

from . import decompose, display, effects, filters, onset, sfi  # display: matplotlib on use
from ._errors import ParameterError
from ._feature_stack import pcen
from ._frame_features import magphase, zero_crossings
from ._validate import check_finite
from ._weighting import (
    A_weighting,
    B_weighting,
    C_weighting,
    D_weighting,
    Z_weighting,
    frequency_weighting,
    multi_frequency_weighting,
    perceptual_weighting,
)
from .audio import get_duration, get_samplerate, load, resample, to_mono
from .constantq import CQT, VQT, chroma_cqt, cqt, griffinlim_cqt, icqt, vqt
from .convert import (
    A4_to_tuning,
    cqt_frequencies,
    fft_frequencies,
    fourier_tempo_frequencies,
    frames_to_samples,
    frames_to_time,
    hz_to_mel,
    hz_to_midi,
    hz_to_note,
    hz_to_octs,
    mel_frequencies,
    mel_to_hz,
    midi_to_hz,
    midi_to_note,
    note_to_hz,
    note_to_midi,
    octs_to_hz,
    samples_like,
    samples_to_frames,
    samples_to_time,
    tempo_frequencies,
    time_to_frames,
    time_to_samples,
    times_like,
    tuning_to_A4,
)
from .effects import phase_vocoder
from .feature import (
    MFCC,
    Gammatonegram,
    MelSpectrogram,
    chroma_stft,
    estimate_tuning,
    gammatonegram,
    melspectrogram,
    mfcc,
)
from .harmonic import (
    harmonic_conv2d,
    harmonic_conv2d_backward,
    harmonic_lower,
    harmonic_lower_adjoint,
    log_harmonic_conv2d,
    log_harmonic_conv2d_backward,
)
from .reassign import (
    linear_reassignment,
    linear_reassignment_consensus,
    linear_reassignment_frequencies,
    linear_reassignment_times,
    reassigned_spectrogram,
)
from .spectrum import (
    STFT,
    amplitude_to_db,
    db_to_amplitude,
    db_to_power,
    griffinlim,
    istft,
    power_to_db,
    spectrogram,
    stft,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "ParameterError",
    "__version__",
    "check_finite",
    # audio files and sampling rates
    "get_duration",
    "get_samplerate",
    "load",
    "resample",
    "to_mono",
    # unit conversions
    "cqt_frequencies",
    "fft_frequencies",
    "frames_to_samples",
    "frames_to_time",
    "hz_to_mel",
    "hz_to_midi",
    "mel_frequencies",
    "mel_to_hz",
    "midi_to_hz",
    "midi_to_note",
    "hz_to_note",
    "note_to_hz",
    "note_to_midi",
    "samples_to_frames",
    "samples_to_time",
    "time_to_frames",
    "time_to_samples",
    "samples_like",
    "times_like",
    "hz_to_octs",
    "octs_to_hz",
    "A4_to_tuning",
    "tuning_to_A4",
    "tempo_frequencies",
    "fourier_tempo_frequencies",
    # submodules: plots, filter banks, SFI analog filter design and conv weights
    "display",
    "filters",
    "sfi",
    # submodules: onset detection, effects, spectrogram decompositions (issue 19)
    "decompose",
    "effects",
    "onset",
    # constant-Q
    "CQT",
    "VQT",
    "chroma_cqt",
    "cqt",
    "griffinlim_cqt",
    "icqt",
    "vqt",
    # spectral features
    "MFCC",
    "Gammatonegram",
    "MelSpectrogram",
    "chroma_stft",
    "estimate_tuning",
    "gammatonegram",
    "melspectrogram",
    "mfcc",
    # librosa's top-level spectral helpers (issue 19)
    "A_weighting",
    "B_weighting",
    "C_weighting",
    "D_weighting",
    "Z_weighting",
    "frequency_weighting",
    "magphase",
    "multi_frequency_weighting",
    "pcen",
    "perceptual_weighting",
    "zero_crossings",
    # harmonic convolution (Harmonic Lowering)
    "harmonic_conv2d",
    "harmonic_conv2d_backward",
    "harmonic_lower",
    "harmonic_lower_adjoint",
    "log_harmonic_conv2d",
    "log_harmonic_conv2d_backward",
    # linear reassignment (spectral hyperresolution)
    "linear_reassignment",
    "linear_reassignment_consensus",
    "linear_reassignment_frequencies",
    "linear_reassignment_times",
    "reassigned_spectrogram",
    # STFT family
    "STFT",
    "amplitude_to_db",
    "db_to_amplitude",
    "db_to_power",
    "griffinlim",
    "phase_vocoder",
    "istft",
    "power_to_db",
    "spectrogram",
    "stft",
]
