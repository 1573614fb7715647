"""The fuzz suite's cases: every public callable, a small valid call of it, and what a bad or
unusual variant of that call must give (see ``tests/test_fuzz.py``).

A *case* is the valid call with one thing changed: a keyword parameter set to a value from
a pool of bad and edge values (out of range, wrong type, non-finite, huge), or one array
input replaced by a variant (dtype, byte order, layout, shape, non-finite values, not an
array).  Run in a child process (``python -m tests.fuzz_cases GROUP START``), each case is
classified as

* ``error``: a ParameterError or TypeError whose message names the changed parameter or
  input (the standard: name and accepted range);
* ``result``: a return value that is right as far as it can be known without the
  function's own oracle: arrays of a numeric dtype, of the input's precision, finite
  unless non-finite values went in, and equal to the valid call's result when only the
  byte order or memory layout changed (or, for inputs the function converts, to the call
  on the converted input);
* ``fail``: anything else: another exception (ValueError that is not a ParameterError,
  ZeroDivisionError, numba errors, MemoryError, ...), a ParameterError/TypeError that
  names nothing, a RuntimeWarning (overflow or invalid values inside), a wrong or
  malformed result, a crash, or (found by the parent) a hang.

Each result is one JSON line on stdout, flushed, so the parent knows how far a child got
when it has to kill it.
"""

from __future__ import annotations

import inspect
import json
import math
import sys
import traceback
import warnings

import numpy as np

# ----------------------------------------------------------------------------- inputs

RNG_SEED = 16


def _rng():
    return np.random.default_rng(RNG_SEED)


def audio(n=8192, dtype=np.float32):
    t = np.arange(n) / 22050
    y = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.1 * _rng().standard_normal(n)
    return y.astype(dtype)


def stft_matrix(n_fft=512, n_frames=12, dtype=np.complex64):
    rng = _rng()
    D = rng.standard_normal((n_fft // 2 + 1, n_frames)) + 1j * rng.standard_normal(
        (n_fft // 2 + 1, n_frames)
    )
    D[0].imag = 0
    D[-1].imag = 0
    return D.astype(dtype)


def magnitudes(shape, dtype=np.float32):
    return np.abs(_rng().standard_normal(shape)).astype(dtype) + np.asarray(0.01, dtype)


def harmonic_x(shape=(1, 2, 16, 8), dtype=np.float32):
    return _rng().standard_normal(shape).astype(dtype)


def _families():
    from sigpu import sfi

    return [sfi.Gammatone(np.array([300.0, 1000.0]), order=2)]


# ----------------------------------------------------------------------------- the catalogue


class Entry:
    """A public callable, its valid call, and what its inputs are."""

    def __init__(
        self, name, func, args=(), kwargs=None, arrays=(), audio_inputs=(), nan_results=False
    ):
        self.name = name
        self.func = func  # a zero-argument factory: imports stay in the child
        self.args = args  # a factory too: fresh arrays per case
        self.kwargs = kwargs or {}
        self.arrays = arrays  # ("position or keyword", "input name", "real|complex|float|any")
        self.audio_inputs = audio_inputs  # inputs checked for finite values (librosa policy)
        self.nan_results = nan_results  # NaN is part of the valid result (documented)


def _sig(module, name):
    def get():
        import importlib

        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj

    return get


def _method(factory, method):
    def get():
        obj = factory()
        return getattr(obj, method) if method else obj

    return get


def catalogue():
    """Entries by group (one child process per group)."""
    S = "sigpu"
    sfi = "sigpu.sfi"
    flt = "sigpu.filters"

    def stft_plan():
        import sigpu

        return sigpu.STFT(n_fft=512, hop_length=128)

    def cqt_plan():
        import sigpu

        return sigpu.CQT(sr=22050, n_bins=24, fmin=220.0, hop_length=256)

    def vqt_plan():
        import sigpu

        return sigpu.VQT(sr=22050, n_bins=24, fmin=220.0, hop_length=256, gamma=5.0)

    def mel_plan():
        import sigpu

        return sigpu.MelSpectrogram(sr=22050, n_fft=512, hop_length=128, n_mels=32)

    def mfcc_plan():
        import sigpu

        return sigpu.MFCC(sr=22050, n_mfcc=13, n_fft=512, hop_length=128, n_mels=32)

    def gtg_plan():
        import sigpu

        return sigpu.Gammatonegram(sr=22050, n_fft=512, hop_length=128, n_bins=16)

    def mgf():
        from sigpu import sfi as s

        return s.ModulatedGaussian(2 * np.pi * np.array([500.0, 1500.0]), 2 * np.pi * 300.0, 0.0)

    def gammatone():
        from sigpu import sfi as s

        return s.Gammatone(np.array([500.0, 1500.0]), order=4)

    def rational():
        from sigpu import sfi as s

        return s.RationalFilter([], [-100.0 + 2000j, -100.0 - 2000j], 1e4)

    t_grid = lambda: (np.linspace(-0.001, 0.01, 64),)  # noqa: E731
    w_grid = lambda: (np.linspace(0.0, 2 * np.pi * 4000, 64),)  # noqa: E731
    y = lambda: (audio(),)  # noqa: E731
    scalar = lambda v: lambda: (v,)  # noqa: E731
    real_y = (("0", "y", "real"),)
    conv_x = lambda: (harmonic_x(), _rng().standard_normal((3, 2, 2, 3)).astype(np.float32))  # noqa: E731

    def conv_backward_args():
        x, w = conv_x()
        return (np.ones((1, 3, 16, 6), np.float32), x, w)

    groups = {
        "convert": [
            Entry("cqt_frequencies", _sig(S, "cqt_frequencies"), scalar(12), dict(fmin=32.7)),
            Entry("fft_frequencies", _sig(S, "fft_frequencies")),
            Entry("mel_frequencies", _sig(S, "mel_frequencies"), scalar(16)),
            Entry("note_to_hz", _sig(S, "note_to_hz"), scalar("A4")),
            Entry("note_to_midi", _sig(S, "note_to_midi"), scalar("C#3")),
            Entry(
                "midi_to_note",
                _sig(S, "midi_to_note"),
                lambda: (np.array([21.0, 60.4, 108.0]),),
                arrays=(("0", "midi", "float"),),
            ),
            Entry(
                "hz_to_note",
                _sig(S, "hz_to_note"),
                lambda: (np.array([27.5, 440.0, 4186.0]),),
                arrays=(("0", "frequencies", "float"),),
            ),
            Entry(
                "tempo_frequencies",
                _sig(S, "tempo_frequencies"),
                scalar(16),
                nan_results=True,  # lag 0 is inf BPM, as in librosa
            ),
            Entry("fourier_tempo_frequencies", _sig(S, "fourier_tempo_frequencies")),
            Entry(
                "octs_to_hz",
                _sig(S, "octs_to_hz"),
                lambda: (np.array([0.0, 1.5, 4.0, 9.5]),),  # octaves of audible pitches
                arrays=(("0", "octs", "float"),),
            ),
            Entry(
                "samples_like",
                _sig(S, "samples_like"),
                lambda: (np.zeros((3, 9)),),
                arrays=(("0", "X", "any"),),
            ),
            Entry(
                "times_like",
                _sig(S, "times_like"),
                lambda: (np.zeros((3, 9)),),
                arrays=(("0", "X", "any"),),
            ),
        ]
        + [
            Entry(
                name,
                _sig(S, name),
                lambda: (np.array([1.0, 1.5, 40.0, 440.0]),),
                arrays=(("0", label, "float"),),
            )
            for name, label in [
                ("frames_to_samples", "frames"),
                ("frames_to_time", "frames"),
                ("hz_to_mel", "frequencies"),
                ("hz_to_midi", "frequencies"),
                ("hz_to_octs", "frequencies"),
                ("A4_to_tuning", "A4"),
                ("tuning_to_A4", "tuning"),
                ("mel_to_hz", "mels"),
                ("midi_to_hz", "notes"),
                ("samples_to_frames", "samples"),
                ("samples_to_time", "samples"),
                ("time_to_frames", "times"),
                ("time_to_samples", "times"),
            ]
        ],
        "spectrum": [
            Entry("stft", _sig(S, "stft"), y, dict(n_fft=512), real_y, ("y",)),
            Entry("spectrogram", _sig(S, "spectrogram"), y, dict(n_fft=512), real_y, ("y",)),
            Entry(
                "istft",
                _sig(S, "istft"),
                lambda: (stft_matrix(),),
                arrays=(("0", "stft_matrix", "complex"),),
            ),
            Entry(
                "griffinlim",
                _sig(S, "griffinlim"),
                lambda: (magnitudes((257, 12)),),
                dict(n_iter=2, random_state=0),
                (("0", "S", "real"),),
                ("S",),
            ),
            Entry("STFT()", _sig(S, "STFT"), (), dict(n_fft=512, hop_length=128)),
            Entry(
                "STFT()(y)", _method(stft_plan, "__call__"), y, arrays=real_y, audio_inputs=("y",)
            ),
            Entry(
                "STFT().inverse",
                _method(stft_plan, "inverse"),
                lambda: (stft_matrix(),),
                arrays=(("0", "stft_matrix", "complex"),),
            ),
        ]
        + [
            Entry(name, _sig(S, name), lambda: (magnitudes((5, 7)),), arrays=(("0", "S", "float"),))
            for name in ("power_to_db", "amplitude_to_db", "db_to_power", "db_to_amplitude")
        ],
        "feature": [
            Entry(
                "melspectrogram",
                _sig(S, "melspectrogram"),
                y,
                dict(sr=22050, n_fft=512, n_mels=32),
                real_y,
                ("y",),
            ),
            Entry("mfcc", _sig(S, "mfcc"), y, dict(sr=22050, n_mfcc=13, n_mels=32), real_y, ("y",)),
            Entry(
                "chroma_stft", _sig(S, "chroma_stft"), y, dict(sr=22050, n_fft=512), real_y, ("y",)
            ),
            Entry("estimate_tuning", _sig(S, "estimate_tuning"), y, dict(sr=22050), real_y, ("y",)),
            Entry(
                "gammatonegram",
                _sig(S, "gammatonegram"),
                y,
                dict(sr=22050, n_fft=512, n_bins=16),
                real_y,
                ("y",),
            ),
            Entry(
                "MelSpectrogram()",
                _sig(S, "MelSpectrogram"),
                (),
                dict(sr=22050, n_fft=512, hop_length=128, n_mels=32),
            ),
            Entry("MelSpectrogram()(y)", _method(mel_plan, "__call__"), y, {}, real_y, ("y",)),
            Entry(
                "MFCC()",
                _sig(S, "MFCC"),
                (),
                dict(sr=22050, n_mfcc=13, n_fft=512, hop_length=128, n_mels=32),
            ),
            Entry("MFCC()(y)", _method(mfcc_plan, "__call__"), y, {}, real_y, ("y",)),
            Entry(
                "Gammatonegram()",
                _sig(S, "Gammatonegram"),
                (),
                dict(sr=22050, n_fft=512, hop_length=128, n_bins=16),
            ),
            Entry("Gammatonegram()(y)", _method(gtg_plan, "__call__"), y, {}, real_y, ("y",)),
        ],
        "constantq": [
            Entry(
                "cqt",
                _sig(S, "cqt"),
                y,
                dict(sr=22050, n_bins=24, fmin=220.0, hop_length=256),
                real_y,
                ("y",),
            ),
            Entry(
                "vqt",
                _sig(S, "vqt"),
                y,
                dict(sr=22050, n_bins=24, fmin=220.0, hop_length=256, gamma=5.0),
                real_y,
                ("y",),
            ),
            Entry(
                "chroma_cqt",
                _sig(S, "chroma_cqt"),
                y,
                dict(sr=22050, fmin=220.0, n_octaves=2, tuning=0.0),
                real_y,
                ("y",),
            ),
            Entry(
                "icqt",
                _sig(S, "icqt"),
                lambda: (stft_matrix(48, 20)[:24],),
                dict(sr=22050, fmin=220.0, hop_length=256),
                (("0", "C", "float"),),
                ("C",),
            ),
            Entry(
                "griffinlim_cqt",
                _sig(S, "griffinlim_cqt"),
                lambda: (magnitudes((24, 20)),),
                dict(sr=22050, fmin=220.0, hop_length=256, n_iter=1, random_state=0),
                (("0", "C", "real"),),
                ("C",),
            ),
            Entry(
                "CQT()", _sig(S, "CQT"), (), dict(sr=22050, n_bins=24, fmin=220.0, hop_length=256)
            ),
            Entry("CQT()(y)", _method(cqt_plan, "__call__"), y, {}, real_y, ("y",)),
            Entry(
                "VQT()",
                _sig(S, "VQT"),
                (),
                dict(sr=22050, n_bins=24, fmin=220.0, hop_length=256, gamma=5.0),
            ),
            Entry("VQT()(y)", _method(vqt_plan, "__call__"), y, {}, real_y, ("y",)),
        ],
        "filters": [
            Entry("filters.mel", _sig(flt, "mel"), (), dict(sr=22050, n_fft=512, n_mels=16)),
            Entry("filters.chroma", _sig(flt, "chroma"), (), dict(sr=22050, n_fft=512)),
            Entry("filters.gammatone", _sig(flt, "gammatone"), (), dict(sr=22050, n_fft=512)),
            Entry(
                "filters.wavelet", _sig(flt, "wavelet"), (), dict(freqs=np.array([220.0, 440.0]))
            ),
            Entry(
                "filters.wavelet_lengths",
                _sig(flt, "wavelet_lengths"),
                (),
                dict(freqs=np.array([220.0, 440.0])),
            ),
            Entry("filters.constant_q", _sig(flt, "constant_q"), (), dict(sr=22050, n_bins=12)),
            Entry("filters.cq_to_chroma", _sig(flt, "cq_to_chroma"), scalar(24)),
        ],
        "harmonic": [
            Entry(
                "harmonic_lower",
                _sig(S, "harmonic_lower"),
                lambda: (harmonic_x(),),
                dict(n_harmonics=3),
                (("0", "x", "real"),),
            ),
            Entry(
                "harmonic_lower_adjoint",
                _sig(S, "harmonic_lower_adjoint"),
                lambda: (harmonic_x((1, 6, 16, 8)),),
                dict(n_harmonics=3),
                (("0", "g", "real"),),
            ),
            Entry(
                "harmonic_conv2d",
                _sig(S, "harmonic_conv2d"),
                conv_x,
                dict(padding=1),
                (("0", "x", "real"), ("1", "weight", "real")),
            ),
            Entry(
                "log_harmonic_conv2d",
                _sig(S, "log_harmonic_conv2d"),
                conv_x,
                dict(padding=1, bins_per_octave=4),
                (("0", "x", "real"), ("1", "weight", "real")),
            ),
            Entry(
                "harmonic_conv2d_backward",
                _sig(S, "harmonic_conv2d_backward"),
                conv_backward_args,
                dict(padding=0),
                (("0", "grad_out", "real"), ("1", "x", "real"), ("2", "weight", "real")),
            ),
            Entry(
                "log_harmonic_conv2d_backward",
                _sig(S, "log_harmonic_conv2d_backward"),
                conv_backward_args,
                dict(padding=0, bins_per_octave=4),
                (("0", "grad_out", "real"), ("1", "x", "real"), ("2", "weight", "real")),
            ),
        ],
        "reassign": [
            Entry(
                "linear_reassignment",
                _sig(S, "linear_reassignment"),
                lambda: (audio(2048),),
                dict(tdeci=64, minf=0.02, maxf=0.4),
                (("0", "x", "real"),),
                ("x",),
            ),
            Entry(
                "linear_reassignment_consensus",
                _sig(S, "linear_reassignment_consensus"),
                lambda: (audio(2048),),
                dict(qs=[1.0, 2.0], tdeci=64, minf=0.02, maxf=0.4),
                (("0", "x", "real"),),
                ("x",),
            ),
            Entry(
                "linear_reassignment_frequencies",
                _sig(S, "linear_reassignment_frequencies"),
                (),
                dict(minf=0.02, maxf=0.4),
            ),
            Entry(
                "linear_reassignment_times",
                _sig(S, "linear_reassignment_times"),
                scalar(2048),
                dict(tdeci=64),
            ),
            Entry(
                "reassigned_spectrogram",
                _sig(S, "reassigned_spectrogram"),
                y,
                dict(sr=22050, n_fft=512),
                real_y,
                ("y",),
                nan_results=True,  # NaN below ref_power, as librosa (fill_nan=False)
            ),
        ],
        "sfi": [
            Entry(
                "ModulatedGaussian",
                _sig(sfi, "ModulatedGaussian"),
                lambda: (2 * np.pi * np.array([500.0, 1500.0]), 2 * np.pi * 300.0, 0.0),
                arrays=(("0", "mu", "real"),),
            ),
            Entry(
                "Gammatone",
                _sig(sfi, "Gammatone"),
                lambda: (np.array([500.0, 1500.0]),),
                arrays=(("0", "fc", "real"),),
            ),
            Entry(
                "RationalFilter",
                _sig(sfi, "RationalFilter"),
                lambda: ([], [-100.0 + 2000j, -100.0 - 2000j], 1e4),
            ),
            Entry(
                "gammatone_bandwidth",
                _sig(sfi, "gammatone_bandwidth"),
                lambda: (np.array([500.0, 1500.0]), 4),
                arrays=(("0", "fc", "real"),),
            ),
            Entry("hz_to_erb_rate", _sig(sfi, "hz_to_erb_rate"), scalar(1000.0)),
            Entry("erb_rate_to_hz", _sig(sfi, "erb_rate_to_hz"), scalar(15.0)),
            Entry("erb_space", _sig(sfi, "erb_space"), lambda: (50.0, 8000.0, 16)),
            Entry("mpgtf_layout", _sig(sfi, "mpgtf_layout"), lambda: (32, 4, 50.0, 8000.0)),
            Entry(
                "time_domain_weights",
                _sig(sfi, "time_domain_weights"),
                lambda: (_families(), 16000.0, 64),
            ),
            Entry(
                "frequency_domain_weights",
                _sig(sfi, "frequency_domain_weights"),
                lambda: (_families(), 16000.0, 64),
                dict(n_grid=128),
            ),
            Entry(
                "hilbert_pair",
                _sig(sfi, "hilbert_pair"),
                lambda: (_rng().standard_normal((4, 32)),),
                arrays=(("0", "weights", "real"),),
            ),
            Entry(
                "scaled_geometry",
                _sig(sfi, "scaled_geometry"),
                scalar(44100.0),
                dict(train_sr=32000.0, kernel_size=160, stride=80),
            ),
            Entry(
                "encode",
                _sig(sfi, "encode"),
                lambda: (audio(400), _rng().standard_normal((4, 16)).astype(np.float32)),
                dict(stride=8, padding=4),
                (("0", "x", "real"), ("1", "weights", "real")),
            ),
            Entry(
                "decode",
                _sig(sfi, "decode"),
                lambda: (
                    _rng().standard_normal((4, 50)).astype(np.float32),
                    _rng().standard_normal((4, 16)).astype(np.float32),
                ),
                dict(stride=8, padding=4),
                (("0", "y", "real"), ("1", "weights", "real")),
            ),
        ]
        + [
            Entry(f"{fam}.{resp}", _method(factory, resp), grid, arrays=(("0", label, "real"),))
            for fam, factory in (
                ("ModulatedGaussian", mgf),
                ("Gammatone", gammatone),
                ("RationalFilter", rational),
            )
            for resp, grid, label in (
                ("impulse_response", t_grid, "t"),
                ("frequency_response", w_grid, "w"),
            )
        ],
        "audio": [
            Entry(
                "resample",
                _sig(S, "resample"),
                y,
                dict(orig_sr=22050, target_sr=16000),
                real_y,
                ("y",),
            ),
            Entry(
                "resample polyphase",
                _sig(S, "resample"),
                y,
                dict(orig_sr=22050, target_sr=16000, res_type="polyphase"),
                real_y,
                ("y",),
            ),
            Entry(
                "to_mono", _sig(S, "to_mono"), lambda: (np.stack([audio(), audio()]),), {}, real_y
            ),
            Entry(
                "get_duration",
                _sig(S, "get_duration"),
                (),
                dict(y=audio(), sr=22050),  # reads only the shape: no array variants
            ),
            Entry("load", _sig(S, "load"), wav_file, dict(sr=None)),
            Entry("get_samplerate", _sig(S, "get_samplerate"), wav_file),
        ],
        # long recordings: the NumPy variants go in as Dask arrays of three time chunks
        "corpus": [
            Entry("corpus.stft", _chunked("stft"), y, dict(n_fft=512), real_y, ("y",)),
            Entry(
                "corpus.melspectrogram",
                _chunked("melspectrogram"),
                y,
                dict(sr=22050, n_fft=512, n_mels=32),
                real_y,
                ("y",),
            ),
            Entry(
                "corpus.reassigned_spectrogram",
                _chunked("reassigned_spectrogram"),
                y,
                dict(sr=22050, n_fft=512),
                real_y,
                ("y",),
                nan_results=True,  # NaN below ref_power, as the in-memory call
            ),
            Entry(
                "corpus.linear_reassignment",
                _chunked("linear_reassignment"),
                lambda: (audio(2048),),
                dict(tdeci=64, minf=0.02, maxf=0.4),
                (("0", "x", "real"),),
                ("x",),
            ),
        ],
        # onsets and rhythm (issue 19)
        "onset": [
            Entry(
                "onset.onset_strength",
                _sig("sigpu.onset", "onset_strength"),
                y,
                dict(sr=22050, max_size=3, detrend=True),
                real_y,
                ("y",),
            ),
            Entry(
                "onset.onset_strength_multi",
                _sig("sigpu.onset", "onset_strength_multi"),
                y,
                dict(sr=22050, channels=[0, 32, 128]),
                real_y,
                ("y",),
            ),
            Entry(
                "onset.onset_detect",
                _sig("sigpu.onset", "onset_detect"),
                (),
                dict(onset_envelope=onset_envelope(), wait=2, delta=0.1),
            ),
            Entry(
                "onset.onset_backtrack",
                _sig("sigpu.onset", "onset_backtrack"),
                lambda: (np.array([3, 20, 50]), onset_envelope()),
                # integer events: the variants (NaN, inf, ...) are float ones; energy's only
                arrays=(("1", "energy", "real"),),
            ),
            Entry(
                "onset.onset_detect(envelope)",
                _sig("sigpu.onset", "onset_detect"),
                (),
                dict(onset_envelope=onset_envelope(), sparse=False),
            ),
            Entry(
                "feature.tempogram",
                _sig("sigpu.feature", "tempogram"),
                (),
                dict(onset_envelope=onset_envelope(), win_length=32),
            ),
            Entry(
                "feature.fourier_tempogram",
                _sig("sigpu.feature", "fourier_tempogram"),
                (),
                dict(onset_envelope=onset_envelope(), win_length=32),
            ),
        ],
        # effects and decompositions (issue 19)
        "effects": [
            Entry(
                "decompose.hpss",
                _sig("sigpu.decompose", "hpss"),
                lambda: (stft_matrix(),),
                dict(kernel_size=(5, 7)),
                (("0", "S", "any"),),
            ),
            Entry(
                "phase_vocoder",
                _sig(S, "phase_vocoder"),
                lambda: (stft_matrix(),),
                dict(rate=1.5),
                (("0", "D", "any"),),
            ),
        ]
        + [
            Entry(f"effects.{name}", _sig("sigpu.effects", name), y, kw, real_y, ("y",))
            for name, kw in (
                ("hpss", dict(n_fft=512)),
                ("harmonic", dict(n_fft=512)),
                ("percussive", dict(n_fft=512)),
                ("time_stretch", dict(rate=1.25, n_fft=512)),
                ("pitch_shift", dict(sr=22050, n_steps=12, n_fft=512)),
            )
        ]
        + [
            Entry(f"effects.{name}", _sig("sigpu.effects", name), y, kw, real_y)
            for name, kw in (
                ("preemphasis", dict(coef=0.97)),
                ("deemphasis", dict(coef=0.97)),
                ("trim", dict(frame_length=512, hop_length=128)),
                ("split", dict(frame_length=512, hop_length=128)),
            )
        ],
        # everyday spectral features and weightings (issue 19)
        "spectral_features": [
            Entry(name, _sig("sigpu.feature", name), y, kw, real_y, ("y",))
            for name, kw in (
                ("rms", dict(frame_length=512, hop_length=128)),
                ("spectral_centroid", dict(sr=22050, n_fft=512)),
                ("spectral_bandwidth", dict(sr=22050, n_fft=512)),
                ("spectral_rolloff", dict(sr=22050, n_fft=512)),
                ("spectral_flatness", dict(n_fft=512)),
                ("spectral_contrast", dict(sr=22050, n_fft=512)),
                ("poly_features", dict(sr=22050, n_fft=512, order=2)),
                ("zero_crossing_rate", dict(frame_length=512, hop_length=128)),
                ("chroma_cens", dict(sr=22050, fmin=110.0, n_octaves=4)),
                ("chroma_vqt", dict(sr=22050, fmin=110.0, n_octaves=4, intervals="equal")),
                ("tonnetz", dict(sr=22050, fmin=110.0, n_octaves=4)),
            )
        ]
        + [
            Entry("zero_crossings", _sig(S, "zero_crossings"), y, {}, real_y),
            Entry(
                "magphase",
                _sig(S, "magphase"),
                lambda: (stft_matrix(),),
                dict(power=2.0),
                (("0", "D", "any"),),
            ),
            Entry(
                "pcen",
                _sig(S, "pcen"),
                lambda: (magnitudes((32, 40)),),
                dict(sr=22050, hop_length=128, max_size=2),
                (("0", "S", "any"),),
            ),
        ]
        + [
            Entry(
                name,
                _sig("sigpu.feature", name),
                lambda: (magnitudes((13, 40)),),
                kw,
                (("0", "data", "real"),),
            )
            for name, kw in (("delta", dict(width=5)), ("stack_memory", dict(n_steps=3)))
        ]
        + [
            Entry(
                name,
                _sig(S, name),
                lambda: (np.array([20.0, 100.0, 1000.0, 8000.0]),),
                arrays=(("0", "frequencies", "float"),),
            )
            for name in (
                "A_weighting",
                "B_weighting",
                "C_weighting",
                "D_weighting",
                "Z_weighting",
                "frequency_weighting",
                "multi_frequency_weighting",
            )
        ]
        + [
            Entry(
                "perceptual_weighting",
                _sig(S, "perceptual_weighting"),
                lambda: (magnitudes((257, 6)), np.linspace(0.0, 11025.0, 257, dtype=np.float32)),
                {},
                (("0", "S", "real"), ("1", "frequencies", "float")),
            ),
        ],
        "feature_inverse": [
            Entry(
                f"feature.inverse.{name}",
                _sig("sigpu.feature", f"inverse.{name}"),
                lambda: (magnitudes((32, 8)),),
                kw,
                (("0", label, "real"),),
            )
            for name, label, kw in (
                ("mel_to_stft", "M", dict(sr=22050, n_fft=512)),
                ("mel_to_audio", "M", dict(sr=22050, n_fft=512, n_iter=2, random_state=0)),
                ("mfcc_to_mel", "mfcc", dict(n_mels=32)),
                ("mfcc_to_audio", "mfcc", dict(n_mels=32, n_fft=512, n_iter=2, random_state=0)),
            )
        ],
        # sigpu.torch's spectral and constant-Q layers (issue 17): built from the keyword
        # parameters, applied under no_grad to a fixed tensor (the tensors' conversions are
        # the bridge's, tested in tests/test_torch_bridge.py)
        "torch_spectral": [
            Entry("torch.STFT", _torch_spectral_layer("STFT"), (), dict(n_fft=256, hop_length=64)),
            Entry(
                "torch.STFT(basis)",
                _torch_spectral_layer("STFT"),
                (),
                dict(
                    n_fft=128,
                    hop_length=64,
                    freq_scale="log",
                    fmin=100.0,
                    fmax=3000.0,
                    sr=8000,
                    trainable=True,
                ),
            ),
            Entry("torch.iSTFT", _torch_spectral_layer("iSTFT", "stft"), (), dict(n_fft=256)),
            Entry(
                "torch.MelSpectrogram",
                _torch_spectral_layer("MelSpectrogram"),
                (),
                dict(sr=8000, n_fft=256, hop_length=64, n_mels=16),
            ),
            Entry(
                "torch.MFCC",
                _torch_spectral_layer("MFCC"),
                (),
                dict(sr=8000, n_mfcc=8, n_fft=256, hop_length=64, n_mels=16),
            ),
            Entry(
                "torch.Gammatonegram",
                _torch_spectral_layer("Gammatonegram"),
                (),
                dict(sr=8000, n_fft=256, hop_length=64, n_bins=16),
            ),
            Entry(
                "torch.GriffinLim",
                _torch_spectral_layer("GriffinLim", "magnitude"),
                (),
                dict(n_fft=256, n_iter=2, random_state=0),
            ),
            Entry(
                "torch.CQT",
                _torch_spectral_layer("CQT"),
                (),
                dict(sr=8000, hop_length=64, fmin=200.0, n_bins=24),
            ),
            Entry(
                "torch.VQT(trainable)",
                _torch_spectral_layer("VQT"),
                (),
                dict(sr=8000, hop_length=64, fmin=200.0, n_bins=24, gamma=10.0, trainable=True),
            ),
        ],
        # plots (issue 19): QuadMesh/plot results are not arrays; the cases check the errors
        "display": [
            Entry(
                "display.specshow",
                _plotting("specshow"),
                lambda: (magnitudes((24, 30)),),
                dict(x_axis="time", y_axis="cqt_note", fmin=110.0),
                (("0", "data", "real"),),
            ),
            Entry("display.waveshow", _plotting("waveshow"), y, dict(sr=22050), real_y),
            # data variants through specshow: cmap's choice for booleans (gray_r) is by design
            # not its choice for their float values
            Entry("display.cmap", _plotting("cmap"), lambda: (magnitudes((8, 8)),)),
        ],
        # sigpu.torch's harmonic and SFI layers and designs (issue 17): built from the
        # parameters, applied to a fixed tensor; keyword parameters only (the tensors'
        # conversions are the bridge's, fuzzed by its own tests)
        "torch_models": [
            Entry(
                "torch.HarmonicConv2d",
                _torch_layer("HarmonicConv2d", (1, 2, 16, 8)),
                (2, 3, 3),
                dict(padding=1, anchor=2),
            ),
            Entry(
                "torch.LogHarmonicConv2d",
                _torch_layer("LogHarmonicConv2d", (1, 2, 24, 8)),
                (2, 3, (3, 2)),
                dict(padding=1, bins_per_octave=12),
            ),
            Entry(
                "torch.SFIEncoder",
                _torch_layer("SFIEncoder", (2, 800), sr=8000),
                (4, 40, 20),
                dict(train_sr=16000),
            ),
            Entry(
                "torch.SFIEncoder(gammatone)",
                _torch_layer("SFIEncoder", (2, 800), sr=8000),
                (4, 40, 20),
                dict(train_sr=16000, family="gammatone", design="frequency"),
            ),
            Entry(
                "torch.SFIEncoder(rational)",
                _torch_layer("SFIEncoder", (2, 800), sr=8000),
                (4, 40, 20),
                dict(train_sr=16000, family="rational"),
            ),
            Entry(
                "torch.SFIConv1d(rational)",
                _torch_layer("SFIConv1d", (1, 2, 300), sr=8000),
                (2, 3, 33),
                dict(train_sr=16000, family="rational", design="frequency", order=3),
            ),
            Entry(
                "torch.SFIDecoder",
                _torch_layer("SFIDecoder", (2, 4, 40), sr=8000),
                (4, 40, 20),
                dict(train_sr=16000),
            ),
            Entry(
                "torch.SFIConv1d",
                _torch_layer("SFIConv1d", (1, 2, 300), sr=8000),
                (2, 3, 33),
                dict(train_sr=16000),
            ),
            Entry(
                "torch.modulated_gaussian_weights",
                _torch_function("modulated_gaussian_weights"),
                lambda: (np.array([3000.0, 9000.0]), np.array([600.0, 900.0]), np.zeros(2)),
                dict(sr=8000, numtaps=16),
            ),
            Entry(
                "torch.gammatone_weights",
                _torch_function("gammatone_weights"),
                lambda: (np.array([500.0, 1500.0]), np.array([100.0, 200.0]), np.zeros(2)),
                dict(sr=8000, numtaps=16, order=2),
            ),
            Entry(
                "torch.rational_weights",
                _torch_function("rational_weights"),
                lambda: (
                    np.zeros((1, 1), complex),
                    np.array([[-300 + 2000j, -300 - 2000j]]),
                    np.array([1000.0]),
                ),
                dict(sr=8000, numtaps=16),
            ),
        ],
    }
    return groups


def _torch_spectral_layer(name, given="signal"):
    """sigpu.torch.<name>(**kwargs) applied under no_grad to a fixed float32 tensor: a signal
    of 4000 samples, its STFT (n_fft 256) or that STFT's magnitude; the result as NumPy."""

    def get():
        import torch

        import sigpu
        import sigpu.torch

        cls = getattr(sigpu.torch, name)

        def call(**kwargs):
            layer = cls(**kwargs)
            x = _rng().standard_normal(4000).astype(np.float32)
            if given != "signal":
                x = sigpu.stft(x, n_fft=256)
                x = np.abs(x) if given == "magnitude" else x
            with torch.no_grad():
                return layer(torch.from_numpy(x)).numpy()

        call.__signature__ = inspect.signature(cls)
        return call

    return get


def _plotting(name):
    """sigpu.display.<name> drawing headless (Agg) on one figure, cleared after each call."""

    def get():
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        import sigpu.display

        func = getattr(sigpu.display, name)

        def call(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            finally:
                plt.close("all")

        call.__signature__ = inspect.signature(func)
        return call

    return get


def _chunked(name):
    """sigpu.corpus.<name> on a NumPy input made a Dask array, computed (synchronously)."""

    def get():
        import dask
        import dask.array as da

        import sigpu.corpus

        func = getattr(sigpu.corpus, name)

        def call(signal, **kwargs):
            if isinstance(signal, np.ndarray) and signal.ndim >= 1:
                signal = da.from_array(signal, chunks=max(1, -(-signal.shape[-1] // 3)))
            with dask.config.set(scheduler="synchronous"):
                return dask.compute(func(signal, **kwargs))[0]

        return call

    return get


def _torch_layer(name, input_shape, sr=None):
    """sigpu.torch.<name>(*args, **kwargs) applied under no_grad to a fixed float32 tensor
    (with ``sr=`` for the SFI layers, itself fuzzed), the result as a NumPy array."""

    def get():
        import torch

        import sigpu.torch

        cls = getattr(sigpu.torch, name)

        def call(*args, **kwargs):
            rate = kwargs.pop("sr", sr)
            layer = cls(*args, **kwargs)
            x = torch.from_numpy(_rng().standard_normal(input_shape).astype(np.float32))
            with torch.no_grad():
                return (layer(x) if rate is None else layer(x, sr=rate)).numpy()

        params = [
            p
            for n, p in inspect.signature(cls).parameters.items()
            if n not in ("device", "dtype")  # torch's own factory arguments
        ]
        if sr is not None:
            params.append(inspect.Parameter("sr", inspect.Parameter.KEYWORD_ONLY, default=sr))
        call.__signature__ = inspect.Signature(params)
        return call

    return get


def _torch_function(name):
    """sigpu.torch.<name> with its array arguments as tensors and its tensors back as NumPy
    arrays (float64 parameters: the weights' gradients are not fuzzed, their values are)."""

    def get():
        import torch

        import sigpu.torch

        func = getattr(sigpu.torch, name)

        def call(*args, **kwargs):
            tensors = [torch.from_numpy(np.asarray(a)) for a in args]
            weights, t0 = func(*tensors, **kwargs)
            return weights.numpy(), t0

        call.__signature__ = inspect.signature(func)
        return call

    return get


def onset_envelope(n=120):
    """A non-negative onset strength envelope with a few clear peaks."""
    env = np.abs(_rng().standard_normal(n)) * 0.2
    env[::17] += 2.0
    return env


def wav_file():
    """(path,) of a short 16-bit WAV written once per child process."""
    import os
    import tempfile

    import soundfile

    path = os.path.join(tempfile.gettempdir(), f"sigpu-fuzz-{os.getpid()}.wav")
    if not os.path.exists(path):
        soundfile.write(path, audio(4096), 22050, subtype="PCM_16")
    return (path,)


# ----------------------------------------------------------------------------- variants

BAD_VALUES = [
    ("0", 0),
    ("-1", -1),
    ("1.5", 1.5),
    ("nan", math.nan),
    ("inf", math.inf),
    ("-inf", -math.inf),
    ("'abc'", "abc"),
    ("None", None),
    ("True", True),
    ("2**40", 2**40),
    ("-2**40", -(2**40)),
    ("1e-300", 1e-300),
    ("[1, 2]", [1, 2]),
    ("object()", object()),
]

# parameters whose values are not checked because any value is fine there
UNCHECKED_PARAMETERS = {"random_state"}
HUGE_VALUES = (2**40,)
# work counts: 2**40 of them is a valid request that takes as long as it says
WORK_COUNTS = {"n_iter"}


def _unaligned(a):
    raw = np.zeros(a.nbytes + 1, dtype=np.uint8)[1:]
    out = np.frombuffer(raw.data, dtype=a.dtype).reshape(a.shape)
    out[...] = a
    return out


def _strided(a):
    wide = np.repeat(a[..., None], 2, axis=-1)
    return wide[..., 0]


def _with(a, value):
    out = a.copy()
    out.flat[min(3, out.size - 1)] = value
    return out


def array_variants(a, kind):
    """(label, variant, expectation): 'same' = equal to the valid call's result,
    'converted' = equal to the call on the variant converted to float64 (or a clear
    error), 'nonfinite' = a clear error or a result (NaN/inf allowed), 'error' = a clear
    error (or, for 'any', a well-formed result)."""
    real = np.dtype(a.dtype).kind == "f"
    # integer values of the same size as the input's (audio in [-1, 1] scaled up)
    integers = np.rint(a.real if np.abs(a).max(initial=0) >= 10 else 100 * a.real)
    out = [
        (">f/>c byte order", a.astype(a.dtype.newbyteorder(">")), "same"),
        ("unaligned", _unaligned(a), "same"),
        ("non-contiguous", _strided(a), "same"),
        ("reversed strides", a[..., ::-1].copy()[..., ::-1], "same"),
    ]
    if a.ndim >= 2:
        out.append(("Fortran order", np.asfortranarray(a), "same"))
    out += [
        ("int16", integers.astype(np.int16), "converted"),
        ("int64", integers.astype(np.int64), "converted"),
        ("bool", a.real > 0, "converted"),
        ("float16", a.real.astype(np.float16), "converted"),
        ("object", a.astype(object), "error"),
        ("NaN", _with(a, np.nan), "nonfinite"),
        ("+inf", _with(a, np.inf), "nonfinite"),
        ("-inf", _with(a, -np.inf), "nonfinite"),
        ("0-d", np.asarray(a.flat[0]), "any"),
        ("empty last axis", a[..., :0], "any"),
        ("one sample", a[..., :1].copy(), "any"),
        ("list", a.tolist(), "any"),
        ("string", "abc", "error"),
        ("None", None, "error"),
    ]
    if real:
        out.append(("complex", a.astype(np.complex64 if a.dtype == np.float32 else complex), "any"))
    if a.ndim >= 1:
        out.append(("extra batch axes", np.stack([a, a]), "any"))
    return out


def cases(entry):
    """(label, kind, payload) of every case of an entry, deterministic."""
    out = []
    func = entry.func()
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        params = {}
    names = [
        n
        for n, p in params.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.default is not inspect.Parameter.empty
        and n not in UNCHECKED_PARAMETERS
    ]
    names += [n for n in entry.kwargs if n not in names and n not in UNCHECKED_PARAMETERS]
    for name in names:
        for label, value in BAD_VALUES:
            if name in WORK_COUNTS and label == "2**40":
                continue
            out.append((f"{name}={label}", "param", (name, value)))
    base_args = entry.args() if callable(entry.args) else entry.args
    for position, input_name, kind in entry.arrays:
        base = base_args[int(position)]
        for label, variant, expect in array_variants(np.asarray(base), kind):
            out.append(
                (f"{input_name}: {label}", "array", (int(position), input_name, variant, expect))
            )
    return out


# ----------------------------------------------------------------------------- classification


def _leaves(result):
    if isinstance(result, (tuple, list)):
        for r in result:
            yield from _leaves(r)
    else:
        yield result


def _well_formed(result, *, allow_nonfinite, precision):
    """None if every array of the result is numeric, native, of ``precision`` (when given),
    and finite unless allowed; else what is wrong."""
    for leaf in _leaves(result):
        if leaf is None or isinstance(leaf, (bool, int, float, complex, str)):
            if isinstance(leaf, float) and not allow_nonfinite and not math.isfinite(leaf):
                return f"non-finite scalar {leaf!r}"
            continue
        if not (hasattr(leaf, "dtype") and hasattr(leaf, "shape") and hasattr(leaf, "ndim")):
            continue  # plans, filter families: their own calls are cases too
        dtype = np.dtype(leaf.dtype)
        if dtype.kind not in "fcbiuU":  # U: note names (midi_to_note, hz_to_note)
            return f"dtype {dtype} in the result"
        if dtype.kind in "fc" and dtype.itemsize < 4 * (2 if dtype.kind == "c" else 1):
            return f"dtype {dtype} in the result"
        if not dtype.isnative:
            return f"non-native dtype {dtype.str} in the result"
        if precision is not None and dtype.kind in "fc":
            single = dtype.itemsize == (4 if dtype.kind == "f" else 8)
            if single != (precision == 4):
                return f"dtype {dtype} for a {precision * 8}-bit input"
        if dtype.kind in "fc" and not allow_nonfinite:
            values = np.asarray(leaf)
            if not np.isfinite(values).all():
                return f"non-finite values in a {dtype} result"
    return None


def _same(a, b):
    """The results of two calls agree (to float32 rounding, relative to the peak)."""
    la, lb = list(_leaves(a)), list(_leaves(b))
    if len(la) != len(lb):
        return False
    for x, y in zip(la, lb, strict=True):
        if not (hasattr(x, "shape") and hasattr(x, "dtype")):
            if type(x) is not type(y):
                return False
            if not isinstance(x, (int, float, complex, str)):
                continue  # plans, families: compared through their calls
            if x != y and not (isinstance(x, float) and math.isnan(x) and math.isnan(y)):
                return False
            continue
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            return False
        if x.size == 0:
            continue
        if x.dtype.kind == "U" or y.dtype.kind == "U":  # note names
            if not np.array_equal(x, y):
                return False
            continue
        peak = max(float(np.nanmax(np.abs(y))), 1e-30) if np.isfinite(y).any() else 1.0
        if not np.allclose(x, y, rtol=1e-4, atol=1e-5 * peak, equal_nan=True):
            return False
    return True


def _names(message, name):
    return name in message


def run_case(entry, label, kind, payload):
    """The outcome of one case: ("error" | "result" | "fail", detail)."""
    import sigpu

    func = entry.func()
    args = list(entry.args() if callable(entry.args) else entry.args)
    kwargs = dict(entry.kwargs)
    precision = None
    allow_nonfinite = False
    reference = None
    if kind == "param":
        name, value = payload
        kwargs[name] = value
        named = name
    else:
        position, named, variant, expect = payload
        base = args[position]
        if expect == "same":
            reference = func(*args, **kwargs)
        args[position] = variant
        if expect == "nonfinite":
            allow_nonfinite = True
        if isinstance(base, np.ndarray) and np.dtype(base.dtype).kind == "f":
            if expect == "same" and base.ndim > 0:
                precision = np.dtype(base.dtype).itemsize
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = func(*args, **kwargs)
        except (sigpu.ParameterError, TypeError) as err:
            message = str(err)
            if kind == "array" and expect == "same":
                return "fail", f"{type(err).__name__} for a layout/byte-order variant: {message}"
            if _names(message, named) or (kind == "array" and _names(message, "dtype")):
                return "error", f"{type(err).__name__}: {message[:200]}"
            return "fail", f"unclear {type(err).__name__} (names no {named!r}): {message[:300]}"
        except FileNotFoundError as err:  # librosa's answer to a missing file, with its name
            if named == "path" and err.filename is not None:
                return "error", f"FileNotFoundError: {str(err)[:200]}"
            return "fail", f"FileNotFoundError: {str(err)[:300]}"
        except MemoryError as err:
            if kind == "param" and payload[1] in HUGE_VALUES:
                # what NumPy itself says for np.zeros(2**40): the request is valid, the
                # machine too small
                return "memory", f"MemoryError: {str(err)[:150]}"
            return "fail", f"MemoryError: {str(err)[:300]}"
        except Exception as err:  # noqa: BLE001 - the classification is the point
            tb = traceback.format_exception_only(type(err), err)[-1].strip()
            return "fail", f"{type(err).__name__}: {tb[:300]}"
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if runtime and not allow_nonfinite:
        return "fail", f"RuntimeWarning: {str(runtime[0].message)[:200]}"
    if kind == "array" and expect == "nonfinite" and any(a in entry.audio_inputs for a in (named,)):
        return "fail", "non-finite audio accepted (the policy raises ParameterError)"
    allow_nonfinite = allow_nonfinite or entry.nan_results
    problem = _well_formed(result, allow_nonfinite=allow_nonfinite, precision=precision)
    if problem:
        return "fail", problem
    if reference is not None and not _same(result, reference):
        return "fail", "differs from the result for the native, contiguous array"
    if kind == "array" and expect == "converted":
        as_float = list(args)
        as_float[payload[0]] = np.asarray(payload[2], dtype=np.float64)
        try:
            converted = func(*as_float, **kwargs)
        except Exception as err:  # noqa: BLE001
            return "fail", f"accepted {payload[2].dtype} but not its float64 values: {err}"
        if not _same(result, converted):
            return "fail", f"{payload[2].dtype} input differs from its float64 values"
    if kind == "array" and expect == "error":
        return "fail", f"accepted {label}"
    return "result", ""


def run_group(group, start):
    entries = catalogue()[group]
    index = 0
    for entry in entries:
        for label, kind, payload in cases(entry):
            if index >= start:
                try:
                    outcome, detail = run_case(entry, label, kind, payload)
                except Exception as err:  # noqa: BLE001 - a broken case is a failure too
                    outcome, detail = "fail", f"case setup: {type(err).__name__}: {err}"
                line = dict(i=index, func=entry.name, case=label, outcome=outcome, detail=detail)
                sys.stdout.write(json.dumps(line) + "\n")
                sys.stdout.flush()
            index += 1
    sys.stdout.write(json.dumps(dict(done=index)) + "\n")
    sys.stdout.flush()


def count_cases(group):
    return sum(len(cases(entry)) for entry in catalogue()[group])


if __name__ == "__main__":
    import resource

    # a case that allocates without bound fails with MemoryError instead of taking the machine
    limit = 8 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    run_group(sys.argv[1], int(sys.argv[2]))
