"""Every public function on CuPy: same numbers as on NumPy, results of CuPy's library on the
input's device, and a budget of device->host synchronisations.

Runs on the real CuPy where a GPU is usable and on the strict emulation everywhere else
(``tests/conftest.py``); what only the emulation can observe (the synchronisations, a
second device) is skipped on a real GPU.  ``CASES`` must name every public callable that
takes or returns arrays (``test_every_public_callable_has_a_case``).
"""

from __future__ import annotations

import inspect
import types
from collections import Counter

import numpy as np
import pytest

import sigpu
from sigpu import filters, sfi
from tests.helpers import host, library_of

RNG = np.random.default_rng(7)
SR = 8000
Y = RNG.standard_normal((2, 4000)).astype(np.float32)  # two 0.5 s signals
Y_LONG = RNG.standard_normal((2, 16000)).astype(np.float32)  # longer than the CQT's filters
X4 = RNG.standard_normal((2, 2, 24, 30))  # (batch, channels, freq, time)
W4 = RNG.standard_normal((3, 2, 3, 3))
TAPS = RNG.standard_normal((4, 40)).astype(np.float32)
CQ = dict(sr=SR, hop_length=128, fmin=110.0, n_bins=36)
FC = np.array([500.0, 1000.0])  # gammatone centre frequencies
ONSET_ENV = np.abs(RNG.standard_normal((2, 120)))  # two onset strength envelopes
Y_SILENT = np.concatenate([np.zeros((2, 1000)), Y[:, :2000], np.zeros((2, 1000))], axis=-1)


def _setup(func, *args, **kwargs):
    """An input made by sigpu for the call under test, without the finiteness check (so
    that the only validation synchronisations counted are the call's own)."""
    with sigpu.check_finite(False):
        return func(*args, **kwargs)


def _spec(put):
    return _setup(sigpu.stft, put(Y), n_fft=256, hop_length=64)


def _mag(put):
    return _setup(sigpu.spectrogram, put(Y), n_fft=256, hop_length=64, power=1.0)


def _cq(put):
    return _setup(sigpu.cqt, put(Y_LONG), **CQ)


def _cq_magnitude(put):
    C = _cq(put)
    if isinstance(C, np.ndarray):
        return np.abs(C)
    with C.device:  # the test's own arithmetic, where C is
        return abs(C)


# issue 19's inputs: frequencies to weight, a mel spectrogram and MFCCs (host arrays)
WEIGHTED_HZ = np.array([0.0, 31.5, 125.0, 1000.0, 3150.0])
MEL = np.abs(RNG.standard_normal((32, 12))) + 0.01
MFCC_20 = RNG.standard_normal((20, 12)) * 10
CHROMA_CQ = dict(sr=SR, fmin=110.0, bins_per_octave=12)

# name -> (call(put) -> array or tuple of arrays, sync budget with check_finite on, reason).
# ``put`` moves a host array to the backend under test (on the device under test).
# The budget counts device->host copies made by sigpu itself: the finiteness check of the
# audio (one, documented: sigpu.check_finite) and data-dependent decisions named here.
FINITE = "the finiteness check of the input (sigpu.check_finite)"
CHECKS = "checks of the parameter arrays (sigpu.check_finite)"
INDEX_CHECK = "the check that the results fit int64 (sigpu.check_finite)"
# How many of a budget's synchronisations are checks that sigpu.check_finite(False) skips
VALUE_CHECKS = {"Gammatone": 3, "ModulatedGaussian": 4, "time_to_frames": 2, "onset_backtrack": 1}
CASES = {
    "stft": (lambda put: sigpu.stft(put(Y), n_fft=256, hop_length=64), 1, FINITE),
    "istft": (lambda put: sigpu.istft(_spec(put), hop_length=64, length=4000), 0, ""),
    "spectrogram": (lambda put: sigpu.spectrogram(put(Y), n_fft=256), 1, FINITE),
    "power_to_db": (
        lambda put: sigpu.power_to_db(_setup(sigpu.spectrogram, put(Y), n_fft=256)),
        0,
        "",
    ),
    "amplitude_to_db": (lambda put: sigpu.amplitude_to_db(_mag(put), ref=np.max), 0, ""),
    "db_to_power": (lambda put: sigpu.db_to_power(put(np.linspace(-80, 0, 50))), 0, ""),
    "db_to_amplitude": (
        lambda put: sigpu.db_to_amplitude(put(np.linspace(-80, 0, 50)), ref=put(np.array(2.0))),
        0,
        "",
    ),
    "griffinlim": (
        lambda put: sigpu.griffinlim(_mag(put), n_iter=3, hop_length=64, random_state=0),
        1,
        FINITE,
    ),
    "STFT": (lambda put: sigpu.STFT(n_fft=256, hop_length=64)(put(Y)), 1, FINITE),
    "STFT.inverse": (
        lambda put: sigpu.STFT(n_fft=256, hop_length=64).inverse(_spec(put), length=4000),
        0,
        "",
    ),
    "melspectrogram": (
        lambda put: sigpu.melspectrogram(put(Y), sr=SR, n_fft=256, n_mels=20),
        1,
        FINITE,
    ),
    "MelSpectrogram": (
        lambda put: sigpu.MelSpectrogram(sr=SR, n_fft=256, n_mels=20)(put(Y)),
        1,
        FINITE,
    ),
    "mfcc": (lambda put: sigpu.mfcc(put(Y), sr=SR, n_fft=256, n_mels=20), 1, FINITE),
    "MFCC": (lambda put: sigpu.MFCC(sr=SR, n_fft=256, n_mels=20)(put(Y)), 1, FINITE),
    "gammatonegram": (
        lambda put: sigpu.gammatonegram(put(Y), sr=SR, n_fft=256, n_bins=16),
        1,
        FINITE,
    ),
    "Gammatonegram": (
        lambda put: sigpu.Gammatonegram(sr=SR, n_fft=256, n_bins=16)(put(Y)),
        1,
        FINITE,
    ),
    "chroma_stft": (
        lambda put: sigpu.chroma_stft(put(Y), sr=SR, n_fft=256, tuning=0.0),
        1,
        FINITE,
    ),
    "estimate_tuning": (
        lambda put: sigpu.estimate_tuning(put(Y), sr=SR, n_fft=256),
        3,
        FINITE + "; the number of spectral peaks (their positions are a data-dependent "
        "selection); the estimate itself, a Python float as in librosa",
    ),
    "cqt": (lambda put: sigpu.cqt(put(Y_LONG), **CQ), 1, FINITE),
    "vqt": (lambda put: sigpu.vqt(put(Y_LONG), gamma=5.0, **CQ), 1, FINITE),
    "CQT": (lambda put: sigpu.CQT(**CQ)(put(Y_LONG)), 1, FINITE),
    "VQT": (lambda put: sigpu.VQT(gamma=5.0, **CQ)(put(Y_LONG)), 1, FINITE),
    "icqt": (
        lambda put: sigpu.icqt(_cq(put), length=16000, **CQ_INVERSE),
        1,
        FINITE,
    ),
    "griffinlim_cqt": (
        lambda put: sigpu.griffinlim_cqt(
            _cq_magnitude(put), n_iter=2, random_state=0, **CQ_INVERSE
        ),
        1,
        FINITE,
    ),
    "chroma_cqt": (
        lambda put: sigpu.chroma_cqt(
            put(Y_LONG), sr=SR, hop_length=128, fmin=130.0, n_octaves=3, tuning=0.0
        ),
        1,
        FINITE,
    ),
    "reassigned_spectrogram": (
        lambda put: sigpu.reassigned_spectrogram(put(Y), sr=SR, n_fft=256),
        1,
        FINITE,
    ),
    "linear_reassignment": (
        lambda put: sigpu.linear_reassignment(
            put(Y[:, :1500].astype(np.float64)), q=2.0, tdeci=8, minf=0.01, maxf=0.45
        ),
        1,
        FINITE,
    ),
    "linear_reassignment_consensus": (
        lambda put: sigpu.linear_reassignment_consensus(
            put(Y[:, :1500].astype(np.float64)), qs=[1.0, 2.0], tdeci=8, minf=0.01, maxf=0.45
        ),
        1,
        FINITE,
    ),
    "harmonic_lower": (
        lambda put: sigpu.harmonic_lower(put(X4), n_harmonics=3),
        0,
        "",
    ),
    "harmonic_lower_adjoint": (
        lambda put: sigpu.harmonic_lower_adjoint(put(RNG_G), n_harmonics=3),
        0,
        "",
    ),
    "harmonic_conv2d": (
        lambda put: sigpu.harmonic_conv2d(put(X4), put(W4), put(np.ones(3)), padding=1),
        0,
        "",
    ),
    "harmonic_conv2d_backward": (
        lambda put: sigpu.harmonic_conv2d_backward(
            put(np.ones((2, 3, 24, 30))), put(X4), put(W4), padding=1
        ),
        0,
        "",
    ),
    "log_harmonic_conv2d": (
        lambda put: sigpu.log_harmonic_conv2d(put(X4), put(W4), bins_per_octave=12, padding=1),
        0,
        "",
    ),
    "log_harmonic_conv2d_backward": (
        lambda put: sigpu.log_harmonic_conv2d_backward(
            put(np.ones((2, 3, 24, 30))), put(X4), put(W4), bins_per_octave=12, padding=1
        ),
        0,
        "",
    ),
    "encode": (
        lambda put: sfi.encode(put(Y), put(TAPS), stride=20, padding=10),
        0,
        "",
    ),
    "decode": (
        lambda put: sfi.decode(
            put(np.ones((2, 4, 200), np.float32)), put(TAPS), stride=20, padding=10
        ),
        0,
        "",
    ),
    "hilbert_pair": (lambda put: sfi.hilbert_pair(put(TAPS.astype(np.float64))), 0, ""),
    "ModulatedGaussian": (
        lambda put: sfi.ModulatedGaussian(
            put(np.array([0.1, 0.2])), put(np.array([0.01, 0.02])), put(np.zeros(2))
        ).frequency_response(put(np.linspace(0, 3, 50))),
        4,
        CHECKS + ": mu, sigma, phase finite; sigma positive",
    ),
    "Gammatone": (
        lambda put: sfi.Gammatone(put(FC)).impulse_response(put(np.linspace(0, 0.01, 80))),
        3,
        CHECKS + ": fc, phase finite; bandwidth positive",
    ),
    "RationalFilter": (
        # z, p, k are host constants (scipy designs on the host); w on the device
        lambda put: sfi.RationalFilter(
            [0.0], [-100.0 + 1000j, -100.0 - 1000j], 1000.0
        ).frequency_response(put(np.linspace(0, 3000, 50))),
        0,
        "",
    ),
    "time_domain_weights": (
        lambda put: sfi.time_domain_weights(_setup(sfi.Gammatone, put(FC)), SR, 64),
        0,
        "",
    ),
    "frequency_domain_weights": (
        lambda put: sfi.frequency_domain_weights(_setup(sfi.Gammatone, put(FC)), SR, 64),
        0,
        "",
    ),
    "gammatone_bandwidth": (
        lambda put: sfi.gammatone_bandwidth(put(np.array([500.0, 1000.0])), 4),
        0,
        "",
    ),
    "hz_to_erb_rate": (lambda put: sfi.hz_to_erb_rate(put(np.array([100.0, 1000.0]))), 0, ""),
    "erb_rate_to_hz": (lambda put: sfi.erb_rate_to_hz(put(np.array([3.0, 15.0]))), 0, ""),
    "erb_space": (lambda put: sfi.erb_space(100.0, 4000.0, 8, xp=put.xp), 0, ""),
    "mpgtf_layout": (lambda put: sfi.mpgtf_layout(8, 4, 100.0, 4000.0, xp=put.xp), 0, ""),
    "mel": (lambda put: filters.mel(sr=SR, n_fft=256, n_mels=20, xp=put.xp), 0, ""),
    "chroma": (lambda put: filters.chroma(sr=SR, n_fft=256, xp=put.xp), 0, ""),
    "gammatone": (lambda put: filters.gammatone(sr=SR, n_fft=256, n_bins=16, xp=put.xp), 0, ""),
    "constant_q": (
        lambda put: filters.constant_q(sr=SR, fmin=110.0, n_bins=24, xp=put.xp)[0],
        0,
        "",
    ),
    "wavelet": (
        lambda put: filters.wavelet(freqs=put(np.array([110.0, 220.0, 440.0])), sr=SR)[0],
        1,
        "freqs are design parameters, read on the host to build the cached filters",
    ),
    "wavelet_lengths": (
        lambda put: filters.wavelet_lengths(freqs=put(np.array([110.0, 220.0, 440.0])), sr=SR)[0],
        1,
        "freqs are design parameters, read on the host",
    ),
    "cq_to_chroma": (lambda put: filters.cq_to_chroma(36, xp=put.xp), 0, ""),
    "hz_to_mel": (lambda put: sigpu.hz_to_mel(put(np.array([100.0, 1000.0]))), 0, ""),
    "mel_to_hz": (lambda put: sigpu.mel_to_hz(put(np.array([3.0, 15.0]))), 0, ""),
    "hz_to_midi": (lambda put: sigpu.hz_to_midi(put(np.array([110.0, 440.0]))), 0, ""),
    "midi_to_hz": (lambda put: sigpu.midi_to_hz(put(np.array([45.0, 69.0]))), 0, ""),
    "mel_frequencies": (lambda put: sigpu.mel_frequencies(20, fmax=4000.0, xp=put.xp), 0, ""),
    "fft_frequencies": (lambda put: sigpu.fft_frequencies(sr=SR, n_fft=256, xp=put.xp), 0, ""),
    "cqt_frequencies": (
        lambda put: sigpu.cqt_frequencies(24, fmin=110.0, xp=put.xp),
        0,
        "",
    ),
    "frames_to_samples": (
        lambda put: sigpu.frames_to_samples(put(np.arange(5)), hop_length=64),
        1,
        INDEX_CHECK,
    ),
    "samples_to_frames": (
        lambda put: sigpu.samples_to_frames(put(np.arange(0, 500, 50)), hop_length=64),
        1,
        INDEX_CHECK,
    ),
    "frames_to_time": (
        lambda put: sigpu.frames_to_time(put(np.arange(5)), sr=SR),
        1,
        INDEX_CHECK,
    ),
    "time_to_frames": (
        lambda put: sigpu.time_to_frames(put(np.array([0.0, 0.1, 0.25])), sr=SR),
        2,
        INDEX_CHECK + " (times to samples, samples to frames)",
    ),
    "samples_to_time": (lambda put: sigpu.samples_to_time(put(np.arange(5)), sr=SR), 0, ""),
    "samples_like": (lambda put: sigpu.samples_like(put(np.zeros((3, 7))), hop_length=64), 0, ""),
    "times_like": (lambda put: sigpu.times_like(put(np.zeros((3, 7))), sr=SR), 0, ""),
    "hz_to_octs": (lambda put: sigpu.hz_to_octs(put(np.array([110.0, 440.0]))), 0, ""),
    "octs_to_hz": (lambda put: sigpu.octs_to_hz(put(np.array([2.0, 4.5]))), 0, ""),
    "A4_to_tuning": (lambda put: sigpu.A4_to_tuning(put(np.array([432.0, 445.0]))), 0, ""),
    "tuning_to_A4": (lambda put: sigpu.tuning_to_A4(put(np.array([-0.3, 0.2]))), 0, ""),
    "tempo_frequencies": (lambda put: sigpu.tempo_frequencies(16, sr=SR, xp=put.xp), 0, ""),
    "fourier_tempo_frequencies": (
        lambda put: sigpu.fourier_tempo_frequencies(sr=SR, win_length=32, xp=put.xp),
        0,
        "",
    ),
    # audio: the high-quality filter by grouped GEMMs (8000 -> 22050 is 441/160), the
    # polyphase one by overlap-save FFTs (2:1)
    "resample": (lambda put: sigpu.resample(put(Y), orig_sr=SR, target_sr=22050), 1, FINITE),
    "resample.polyphase": (
        lambda put: sigpu.resample(put(Y), orig_sr=SR, target_sr=4000, res_type="polyphase"),
        1,
        FINITE,
    ),
    "to_mono": (lambda put: sigpu.to_mono(put(Y)), 1, FINITE),
    "get_duration": (lambda put: sigpu.get_duration(y=put(Y), sr=SR), 0, ""),
    "time_to_samples": (
        lambda put: sigpu.time_to_samples(put(np.array([0.0, 0.1, 0.25])), sr=SR),
        1,
        INDEX_CHECK,
    ),
    # onsets, rhythm and effects (issue 19)
    "onset_strength": (lambda put: sigpu.onset.onset_strength(put(Y), sr=SR), 1, FINITE),
    "onset_strength_multi": (
        lambda put: sigpu.onset.onset_strength_multi(
            put(Y), sr=SR, channels=[0, 40, 128], max_size=3, detrend=True
        ),
        1,
        FINITE,
    ),
    "onset_detect": (
        lambda put: sigpu.onset.onset_detect(onset_envelope=put(ONSET_ENV[0]), sr=SR),
        1,
        "the number of onsets (the sparse result's length)",
    ),
    "onset_backtrack": (
        lambda put: sigpu.onset.onset_backtrack(put(np.array([5, 40, 90])), put(ONSET_ENV[0])),
        2,
        "the number of local minima, and the check that the events are frames of energy "
        "(sigpu.check_finite)",
    ),
    "onset_detect.dense": (
        lambda put: sigpu.onset.onset_detect(onset_envelope=put(ONSET_ENV), sparse=False),
        0,
        "",
    ),
    "tempogram": (
        lambda put: sigpu.feature.tempogram(onset_envelope=put(ONSET_ENV), win_length=32),
        0,
        "",
    ),
    "fourier_tempogram": (
        lambda put: sigpu.feature.fourier_tempogram(onset_envelope=put(ONSET_ENV), win_length=32),
        1,
        FINITE + " (the STFT's)",
    ),
    "hpss": (lambda put: sigpu.decompose.hpss(_spec(put), kernel_size=(9, 5)), 0, ""),
    "effects.hpss": (lambda put: sigpu.effects.hpss(put(Y), n_fft=256), 1, FINITE),
    "harmonic": (lambda put: sigpu.effects.harmonic(put(Y), n_fft=256), 1, FINITE),
    "percussive": (lambda put: sigpu.effects.percussive(put(Y), n_fft=256), 1, FINITE),
    "phase_vocoder": (lambda put: sigpu.phase_vocoder(_spec(put), rate=1.3), 0, ""),
    "time_stretch": (lambda put: sigpu.effects.time_stretch(put(Y), rate=0.7), 1, FINITE),
    "pitch_shift": (
        lambda put: sigpu.effects.pitch_shift(put(Y), sr=SR, n_steps=12, n_fft=256),
        1,
        FINITE,
    ),
    "preemphasis": (lambda put: sigpu.effects.preemphasis(put(Y), return_zf=True), 0, ""),
    "deemphasis": (lambda put: sigpu.effects.deemphasis(put(Y), return_zf=True), 0, ""),
    "trim": (
        lambda put: sigpu.effects.trim(put(Y_SILENT), frame_length=256, hop_length=64),
        1,
        "reading the first and last loud frames",
    ),
    "split": (
        lambda put: sigpu.effects.split(put(Y_SILENT), frame_length=256, hop_length=64),
        1,
        "the number of intervals",
    ),
    # issue 19: everyday features (sigpu.feature, top level) and sigpu.feature.inverse
    **{
        name: (
            lambda put, name=name: getattr(sigpu.feature, name)(
                put(Y), sr=SR, n_fft=256, hop_length=64
            ),
            1,
            FINITE,
        )
        for name in (
            "spectral_centroid",
            "spectral_bandwidth",
            "spectral_rolloff",
            "poly_features",
        )
    },
    "spectral_flatness": (
        lambda put: sigpu.feature.spectral_flatness(put(Y), n_fft=256, hop_length=64),
        1,
        FINITE,
    ),
    "spectral_contrast": (
        lambda put: sigpu.feature.spectral_contrast(put(Y), sr=SR, n_fft=256, n_bands=3),
        1,
        FINITE,
    ),
    "rms": (lambda put: sigpu.feature.rms(put(Y), frame_length=256, hop_length=64), 1, FINITE),
    "zero_crossing_rate": (
        lambda put: sigpu.feature.zero_crossing_rate(put(Y), frame_length=256),
        1,
        FINITE,
    ),
    "zero_crossings": (lambda put: sigpu.zero_crossings(put(Y), threshold=0.1), 0, ""),
    "magphase": (lambda put: sigpu.magphase(_spec(put), power=2.0), 0, ""),
    "delta": (lambda put: sigpu.feature.delta(_mag(put), width=5, order=2), 0, ""),
    "stack_memory": (lambda put: sigpu.feature.stack_memory(_mag(put), n_steps=3), 0, ""),
    "pcen": (
        lambda put: sigpu.pcen(_mag(put), sr=SR, hop_length=64, max_size=3, max_axis=-2),
        1,
        "the check for NaN/inf that would leak to earlier frames (sigpu.check_finite)",
    ),
    "tonnetz": (
        lambda put: sigpu.feature.tonnetz(chroma=sigpu.chroma_cqt(C=_cq(put), **CHROMA_CQ)),
        0,
        "",
    ),
    "chroma_cens": (
        lambda put: sigpu.feature.chroma_cens(C=_cq(put), win_len_smooth=5, **CHROMA_CQ),
        0,
        "",
    ),
    "chroma_vqt": (
        lambda put: sigpu.feature.chroma_vqt(
            V=_cq_magnitude(put), intervals="equal", fmin=110.0, bins_per_octave=12
        ),
        0,
        "",
    ),
    **{
        name: (lambda put, name=name: getattr(sigpu, name)(put(WEIGHTED_HZ)), 0, "")
        for name in ("A_weighting", "B_weighting", "C_weighting", "D_weighting", "Z_weighting")
    },
    "frequency_weighting": (
        lambda put: sigpu.frequency_weighting(put(WEIGHTED_HZ), kind="D", min_db=None),
        0,
        "",
    ),
    "multi_frequency_weighting": (
        lambda put: sigpu.multi_frequency_weighting(put(WEIGHTED_HZ), kinds="ABC"),
        0,
        "",
    ),
    "perceptual_weighting": (
        lambda put: sigpu.perceptual_weighting(
            _setup(sigpu.spectrogram, put(Y), n_fft=256, hop_length=64),
            put(sigpu.fft_frequencies(sr=SR, n_fft=256)),
        ),
        0,
        "",
    ),
    "mel_to_stft": (
        lambda put: sigpu.feature.inverse.mel_to_stft(put(MEL), sr=SR, n_fft=256),
        0,
        "",
    ),
    "mel_to_audio": (
        lambda put: sigpu.feature.inverse.mel_to_audio(
            put(MEL), sr=SR, n_fft=256, hop_length=64, n_iter=2, random_state=0
        ),
        1,
        "Griffin-Lim's finiteness check of the magnitudes (sigpu.check_finite)",
    ),
    "mfcc_to_mel": (lambda put: sigpu.feature.inverse.mfcc_to_mel(put(MFCC_20), n_mels=32), 0, ""),
    "mfcc_to_audio": (
        lambda put: sigpu.feature.inverse.mfcc_to_audio(
            put(MFCC_20), n_mels=32, sr=SR, n_fft=256, n_iter=2, random_state=0
        ),
        1,
        "Griffin-Lim's finiteness check of the magnitudes (sigpu.check_finite)",
    ),
}
CQ_INVERSE = dict(sr=SR, hop_length=128, fmin=110.0)
RNG_G = RNG.standard_normal((2, 6, 24, 30))

# Public callables without arrays in or out: nothing to run on a device.
NO_ARRAYS = {
    "ParameterError",  # an exception class
    "check_finite",  # a context manager switching the finiteness check
    "note_to_hz",  # note names (strings) in, NumPy values out, as in librosa
    "note_to_midi",
    # note names (strings) out, as in librosa; a CuPy array is refused (tested in test_convert)
    "midi_to_note",
    "hz_to_note",
    "scaled_geometry",  # integers in and out
    # axis values from parameters alone, on the host (NumPy), like librosa's helpers
    "linear_reassignment_frequencies",
    "linear_reassignment_times",
    # files in, decoded on the host by libsndfile: NumPy out (cupy.asarray it, then
    # sigpu.resample there); get_duration(y=...) has a case above
    "load",
    "get_samplerate",
    # plots: the image or signal is copied to the host explicitly (the one sanctioned copy,
    # documented in sigpu.display) and drawn by matplotlib; the results are artists.
    # tests/test_display.py draws NumPy, CuPy (emulated without a GPU) and torch inputs.
    "cmap",
    "specshow",
    "waveshow",
    # sigpu.torch's harmonic and SFI layers and designs take torch tensors, not arrays; their
    # CUDA branch (CuPy behind the tensors) runs on the emulation in tests/test_torch_harmonic.py
    # and tests/test_torch_sfi.py (cuda_stand_in)
    "HarmonicConv2d",
    "LogHarmonicConv2d",
    "iSTFT",  # sigpu.torch's spectral layers whose names sigpu's NumPy/CuPy API lacks
    "GriffinLim",
    "SFIEncoder",
    "SFIDecoder",
    "SFIConv1d",
    "modulated_gaussian_weights",
    "gammatone_weights",
    "rational_weights",
    # sigpu.corpus: files in, a Zarr store out (a GPU worker's per-file call has its CuPy
    # test in tests/test_corpus.py); its Dask-array functions share the names of their
    # in-memory twins above and run on CuPy chunks in tests/test_chunked.py
    "extract",
    "ExtractSummary",
    "local_cluster",  # starts Dask workers
}


def _public_callables():
    names = set()
    modules = [sigpu] + [
        m
        for name, m in vars(sigpu).items()
        if isinstance(m, types.ModuleType) and not name.startswith("_") and hasattr(m, "__all__")
    ]
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if callable(obj):
                names.add(name)
            if inspect.isclass(obj) and hasattr(obj, "inverse"):
                names.add(f"{name}.inverse")
    return names


def test_every_public_callable_has_a_case():
    missing = _public_callables() - set(CASES) - NO_ARRAYS
    assert not missing, f"public callables with no CuPy case here: {sorted(missing)}"


class _Put:
    """Host array -> array of ``xp`` on ``device`` (``put.xp``: the namespace for xp=)."""

    def __init__(self, xp, device=None):
        self.xp, self.device = xp, device

    def __call__(self, a):
        if self.xp is np:
            return np.asarray(a)
        with self.xp.cuda.Device(self.device or 0):
            return self.xp.asarray(a)


def _arrays(result):
    return result if isinstance(result, tuple) else (result,)


def _run(name, put):
    call = CASES[name][0]
    return call(put)


def _assert_same(name, got, want, library, device):
    got, want = _arrays(got), _arrays(want)
    assert len(got) == len(want), name
    for g, w in zip(got, want, strict=True):
        if isinstance(w, float):  # estimate_tuning: a Python float on every backend
            assert isinstance(g, float) and g == pytest.approx(w, abs=1e-6), (name, g, w)
            continue
        assert library_of(g) == library, f"{name}: a {library_of(g)} array, expected {library}"
        if library == "cupy":
            assert g.device.id == device, f"{name}: result on device {g.device.id}, not {device}"
        assert g.dtype == w.dtype and g.shape == w.shape, (name, g.dtype, w.dtype, g.shape)
        dtype = g.dtype
        g, w = host(g).astype(np.complex128), np.asarray(w, np.complex128)
        assert np.array_equal(np.isnan(g), np.isnan(w)), f"{name}: NaNs differ"
        g, w = np.nan_to_num(g), np.nan_to_num(w)
        peak = max(float(np.max(np.abs(w), initial=0.0)), 1e-30)
        # float atomics (scatters), the CUDA kernels' summation orders and cuFFT round
        # differently from the CPU path (measured worst: icqt float32, 2.7e-5)
        tolerance = 1e-4 if dtype in (np.float32, np.complex64) else 1e-10
        assert float(np.max(np.abs(g - w), initial=0.0)) <= tolerance * peak, name


@pytest.mark.parametrize("name", sorted(CASES))
def test_cupy_path_equals_numpy_path(cupy_module, name):
    want = _run(name, _Put(np))
    got = _run(name, _Put(cupy_module))
    _assert_same(name, got, want, "cupy", 0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_work_follows_the_input_device(emulated_cupy, name):
    """Inputs on device 1 while device 0 is current: the results are on device 1 (the
    emulation refuses any operation on an array of another device than the current)."""
    want = _run(name, _Put(np))
    with emulated_cupy.cuda.Device(0):
        got = _run(name, _Put(emulated_cupy, device=1))
    if name in DEVICE_FROM_XP:
        return  # no array input: made on the current device, as CuPy's own constructors
    _assert_same(name, got, want, "cupy", 1)


# Cases whose only device information is ``xp=``: the current device, as cupy.zeros.
DEVICE_FROM_XP = {
    "erb_space",
    "mpgtf_layout",
    "mel",
    "chroma",
    "gammatone",
    "constant_q",
    "cq_to_chroma",
    "mel_frequencies",
    "fft_frequencies",
    "cqt_frequencies",
    "tempo_frequencies",
    "fourier_tempo_frequencies",
}


def _syncs(cupy, name):
    cupy.SYNCS.clear()
    _run(name, _Put(cupy))
    return [where for _, where in cupy.SYNCS if where.startswith("sigpu/")]


@pytest.mark.parametrize("name", sorted(CASES))
def test_sync_budget(emulated_cupy, name):
    """sigpu copies device data to the host exactly as often as its budget says, each for
    the reason given; with the finiteness check off, array-only paths copy nothing."""
    budget, reason = CASES[name][1], CASES[name][2]
    syncs = _syncs(emulated_cupy, name)
    assert len(syncs) == budget, (
        f"{name}: {len(syncs)} syncs > {budget} ({reason}): {Counter(syncs)}"
    )
    with sigpu.check_finite(False):
        unchecked = _syncs(emulated_cupy, name)
    if name in VALUE_CHECKS:
        intrinsic = budget - VALUE_CHECKS[name]
    else:
        intrinsic = budget - (1 if FINITE in reason or "check_finite" in reason else 0)
    assert len(unchecked) == intrinsic, f"{name} without the check: {Counter(unchecked)}"


@pytest.mark.parametrize(
    "name, call",
    [
        ("griffinlim", lambda put, n: sigpu.griffinlim(_mag(put), n_iter=n, random_state=0)),
        (
            "griffinlim_cqt",
            lambda put, n: sigpu.griffinlim_cqt(
                _cq_magnitude(put), n_iter=n, random_state=0, **CQ_INVERSE
            ),
        ),
    ],
)
def test_no_sync_inside_iterations(emulated_cupy, name, call):
    counts = []
    for n_iter in (1, 5):
        emulated_cupy.SYNCS.clear()
        call(_Put(emulated_cupy), n_iter)
        counts.append(len([w for _, w in emulated_cupy.SYNCS if w.startswith("sigpu/")]))
    assert counts[0] == counts[1], f"{name}: syncs grow with n_iter: {counts}"


def test_no_sync_per_reassignment_batch(emulated_cupy):
    """Many batches (a small device memory) copy no more to the host than one batch."""
    x = _Put(emulated_cupy)(RNG.standard_normal(6000))
    kw = dict(q=2.0, tdeci=8, minf=0.005, maxf=0.45, deterministic=True)
    counts = []
    for limit in (None, 24 << 20):
        emulated_cupy.SYNCS.clear()
        if limit is None:
            sigpu.linear_reassignment(x, **kw)
        else:
            with emulated_cupy.emulated_memory(limit):
                sigpu.linear_reassignment(x, **kw)
        counts.append(len([w for _, w in emulated_cupy.SYNCS if w.startswith("sigpu/")]))
    assert counts[0] == counts[1], counts


# ---------------------------------------------------------------------------
# CuPy bugs the emulation found (each failed before its fix)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("func", ["stft", "spectrogram", "melspectrogram", "gammatonegram"])
def test_callable_window_on_cupy(cupy_module, func):
    """librosa's callable windows return NumPy values: they serve CuPy signals as named
    windows do (the window was built with NumPy and then refused as a mixed library)."""
    kw = dict(n_fft=256, window=np.hanning)
    if func in ("melspectrogram", "gammatonegram"):
        kw["sr"] = SR
    want = getattr(sigpu, func)(Y, **kw)
    got = getattr(sigpu, func)(cupy_module.asarray(Y), **kw)
    _assert_same(func, got, want, "cupy", 0)


def test_callable_and_device_windows_in_inverse_and_reassignment(cupy_module):
    window = np.hanning(256)
    for spec in (np.hanning, cupy_module.asarray(window)):
        D = sigpu.stft(cupy_module.asarray(Y), n_fft=256, hop_length=64, window=spec)
        y = sigpu.istft(D, n_fft=256, hop_length=64, window=spec, length=4000)
        _assert_same(
            "istft",
            y,
            sigpu.istft(
                sigpu.stft(Y, n_fft=256, hop_length=64, window=window),
                n_fft=256,
                hop_length=64,
                window=window,
                length=4000,
            ),
            "cupy",
            0,
        )
        got = sigpu.reassigned_spectrogram(cupy_module.asarray(Y), sr=SR, n_fft=256, window=spec)
        want = sigpu.reassigned_spectrogram(Y, sr=SR, n_fft=256, window=window)
        _assert_same("reassigned_spectrogram", got, want, "cupy", 0)


@pytest.mark.parametrize("ref", [np.array(2.0), np.linspace(1.0, 3.0, 50)])
def test_db_conversions_take_a_numpy_ref_on_cupy(cupy_module, ref):
    """A NumPy ``ref`` (a parameter) is copied to the decibels' device; it raised."""
    db = np.linspace(-80.0, 0.0, 50)
    for func in (sigpu.db_to_power, sigpu.db_to_amplitude):
        got = func(cupy_module.asarray(db), ref=ref)
        _assert_same(func.__name__, got, func(db, ref=ref), "cupy", 0)
