"""sigpu.feature: melspectrogram, mfcc, chroma_stft, estimate_tuning, gammatonegram vs librosa."""

from __future__ import annotations

import numpy as np
import pytest

from sigpu import ParameterError
from sigpu.feature import (
    MFCC,
    Gammatonegram,
    MelSpectrogram,
    chroma_stft,
    estimate_tuning,
    gammatonegram,
    melspectrogram,
    mfcc,
)
from sigpu.filters import gammatone
from tests.helpers import rel_to_peak, to_np, tol

librosa = pytest.importorskip("librosa")

DTYPES = [np.float32, np.float64]
SR = 22050


def _tones(n=SR // 2, detune=0.0, seed=0, batch=()):
    """Two detuned partials + a little noise, peak ~1."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    f = 440.0 * 2 ** (detune / 12)
    y = np.sin(2 * np.pi * f * t) + 0.5 * np.sin(2 * np.pi * 1.5 * f * t + 0.3)
    return y + 0.01 * rng.standard_normal(batch + (n,))


def _on(xp, y, dtype):
    return xp.asarray(y.astype(dtype))


# ---------------------------------------------------------------------------
# melspectrogram
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(htk=True, norm=None, n_mels=40, fmin=60.0, fmax=7000.0),
        dict(norm=2, power=1.0, n_fft=1024, hop_length=256),
        dict(n_fft=511, hop_length=100, win_length=400, window="hamming", pad_mode="reflect"),
        dict(center=False, n_mels=64),
    ],
)
def test_melspectrogram_matches_librosa(xp, dtype, kw):
    y = _tones()
    got = melspectrogram(_on(xp, y, dtype), sr=SR, **kw)
    # librosa builds a float32 bank by default even for float64 audio: ask for the
    # input's dtype, which is what sigpu does.
    want = librosa.feature.melspectrogram(y=y.astype(dtype), sr=SR, dtype=dtype, **kw)
    assert isinstance(got, xp.ndarray) and got.dtype == dtype and got.shape == want.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


def test_melspectrogram_from_S_and_bad_S(xp):
    y = _tones().astype(np.float32)
    S = np.abs(librosa.stft(y, n_fft=1024)) ** 2
    got = melspectrogram(S=xp.asarray(S), sr=SR, n_fft=1024, n_mels=32)
    want = librosa.feature.melspectrogram(S=S, sr=SR, n_fft=1024, n_mels=32)
    assert rel_to_peak(got, want) <= 1e-6
    with pytest.raises(ParameterError, match="n_fft=1024"):
        melspectrogram(S=xp.asarray(S), sr=SR)  # default n_fft=2048 does not fit S
    with pytest.raises(ParameterError):
        melspectrogram(sr=SR)  # neither y nor S


def test_melspectrogram_batch_equals_stacked(xp):
    y = _tones(n=4000, batch=(2, 3)).astype(np.float32)
    batch = to_np(melspectrogram(xp.asarray(y), sr=SR, n_fft=512, hop_length=128, n_mels=40))
    assert batch.shape[:2] == (2, 3)
    for i in range(2):
        for j in range(3):
            single = melspectrogram(
                xp.asarray(y[i, j]), sr=SR, n_fft=512, hop_length=128, n_mels=40
            )
            assert rel_to_peak(batch[i, j], single) <= 1e-7


def test_melspectrogram_frequency_major_batch(xp):
    # S given in C order (frequency-major): the gather path of the GEMM.
    rng = np.random.default_rng(3)
    S = rng.random((2, 3, 257, 11))
    got = melspectrogram(S=xp.asarray(S), sr=SR, n_fft=512, n_mels=20)
    bank = librosa.filters.mel(sr=SR, n_fft=512, n_mels=20, dtype=np.float64)
    want = np.einsum("mf,...ft->...mt", bank, S)
    assert rel_to_peak(got, want) <= 1e-12


def test_mel_plan_equals_function(xp):
    y = xp.asarray(_tones(n=6000, batch=(2,)).astype(np.float32))
    kw = dict(sr=SR, n_fft=512, hop_length=160, n_mels=48, fmin=20.0, htk=True)
    plan = MelSpectrogram(**kw)
    np.testing.assert_array_equal(to_np(plan(y)), to_np(melspectrogram(y, **kw)))
    assert plan.bank(xp=xp, dtype=np.float64).shape == (48, 257)


@pytest.mark.parametrize(
    "kw",
    [dict(n_mels=0), dict(fmin=-1.0), dict(power=0.0), dict(n_fft=0), dict(norm="max")],
)
def test_melspectrogram_bad_values(kw):
    y = np.zeros(4096, np.float32)
    with pytest.raises(ParameterError):
        melspectrogram(y, **kw)
    with pytest.raises(ParameterError):
        MelSpectrogram(**kw)


def test_fmax_above_nyquist_raises():
    # librosa only warns and returns truncated top bands; sigpu refuses (issue #3).
    y = _tones(n=4096).astype(np.float32)
    with pytest.raises(ParameterError, match="fmax=8000.0 must be <= sr/2=4000.0"):
        melspectrogram(y, sr=8000, fmax=8000.0, n_mels=64)
    with pytest.raises(ParameterError, match="Nyquist"):
        gammatonegram(y, sr=8000, fmax=4000.5)


def test_integer_and_foreign_input_raise_typeerror():
    with pytest.raises(TypeError, match="float32 or float64"):
        melspectrogram(np.zeros(4096, np.int16))
    with pytest.raises(TypeError, match="float32 or float64"):
        mfcc(np.zeros(4096, np.float16))
    with pytest.raises(TypeError):
        gammatonegram([0.0] * 4096)
    with pytest.raises(TypeError, match="float32 or float64"):
        chroma_stft(np.zeros(4096, bool), tuning=0.0)


# ---------------------------------------------------------------------------
# MFCC
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dct_type", [1, 2, 3])
@pytest.mark.parametrize("norm", ["ortho", None])
@pytest.mark.parametrize("lifter", [0, 22])
def test_mfcc_matches_librosa(xp, dtype, dct_type, norm, lifter):
    y = _tones(n=8192)
    kw = dict(sr=SR, n_mfcc=13, dct_type=dct_type, norm=norm, lifter=lifter, n_fft=1024)
    got = mfcc(_on(xp, y, dtype), **kw)
    want = librosa.feature.mfcc(y=y.astype(dtype), dtype=dtype, **kw)
    assert got.dtype == dtype and got.shape == want.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)
    if dtype == np.float32 and norm == "ortho":
        # torchaudio's absolute tolerance, scaled by the lifter gain
        np.testing.assert_allclose(to_np(got), want, rtol=0, atol=5e-4 * (1 + lifter / 2))


@pytest.mark.parametrize("kw", [dict(htk=True, mel_norm=None, n_mels=40), dict(mel_norm=1)])
def test_mfcc_mel_options(xp, kw):
    y = _tones(n=8192)
    got = mfcc(xp.asarray(y), sr=SR, n_mfcc=20, **kw)
    want = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, dtype=np.float64, **kw)
    assert rel_to_peak(got, want) <= 1e-10


def test_mfcc_from_S(xp):
    rng = np.random.default_rng(5)
    S_db = (rng.random((30, 9)) * 80 - 80).astype(np.float32)
    got = mfcc(S=xp.asarray(S_db), n_mfcc=12, dct_type=1)
    want = librosa.feature.mfcc(S=S_db, n_mfcc=12, dct_type=1)
    np.testing.assert_allclose(to_np(got), want, rtol=0, atol=5e-4)


def test_mfcc_plan_from_S(xp):
    """MFCC plans take ``S=`` as mfcc does (a log-power mel spectrogram instead of ``y``)."""
    rng = np.random.default_rng(5)
    S_db = (rng.random((2, 30, 9)) * 80 - 80).astype(np.float32)
    got = MFCC(sr=SR, n_mfcc=12, n_mels=30)(S=xp.asarray(S_db))
    np.testing.assert_array_equal(to_np(got), to_np(mfcc(S=xp.asarray(S_db), n_mfcc=12)))
    want = librosa.feature.mfcc(S=S_db, n_mfcc=12)
    np.testing.assert_allclose(to_np(got), want, rtol=0, atol=5e-4)
    with pytest.raises(TypeError, match="S"):
        MFCC(sr=SR)(S=xp.asarray(S_db.astype(np.int32)))


def test_mfcc_batch_equals_stacked_with_top_db_none(xp):
    y = _tones(n=5000, batch=(2, 3))
    y[1, 2] *= 1e-3  # a quiet item: with top_db=80 it would depend on the loud ones
    kw = dict(sr=SR, n_fft=512, hop_length=128, n_mels=40, n_mfcc=13, top_db=None)
    batch = to_np(mfcc(xp.asarray(y.astype(np.float32)), **kw))
    for i in range(2):
        for j in range(3):
            single = mfcc(xp.asarray(y[i, j].astype(np.float32)), **kw)
            np.testing.assert_allclose(batch[i, j], to_np(single), rtol=0, atol=1e-4)


def test_mfcc_top_db_is_global_over_the_batch(xp):
    y = _tones(n=5000, batch=(2,))
    y[1] *= 1e-5
    got = to_np(mfcc(xp.asarray(y), sr=SR, n_fft=512, n_mels=40))
    want = librosa.feature.mfcc(y=y, sr=SR, n_fft=512, n_mels=40, dtype=np.float64)
    assert rel_to_peak(got, want) <= 1e-10


def test_mfcc_plan_equals_function(xp):
    y = xp.asarray(_tones(n=6000, batch=(2,)).astype(np.float32))
    kw = dict(sr=SR, n_mfcc=10, lifter=10, dct_type=3, n_fft=512, n_mels=32)
    np.testing.assert_array_equal(to_np(MFCC(**kw)(y)), to_np(mfcc(y, **kw)))


@pytest.mark.parametrize(
    "kw",
    [
        dict(n_mfcc=0),
        dict(n_mfcc=50, n_mels=40),
        dict(lifter=-1),
        dict(dct_type=4),
        dict(dct_type=True),
        dict(norm="l2"),
        dict(top_db=-1.0),
    ],
)
def test_mfcc_bad_values(kw):
    y = np.zeros(4096, np.float32)
    with pytest.raises(ParameterError):
        mfcc(y, **kw)
    with pytest.raises(ParameterError):
        MFCC(**kw)


def test_mfcc_unknown_keyword():
    with pytest.raises(TypeError, match="n_bins"):
        mfcc(np.zeros(4096, np.float32), n_bins=3)


# ---------------------------------------------------------------------------
# chroma_stft and tuning
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        dict(tuning=0.0),
        dict(tuning=0.2, n_chroma=24, norm=2, octwidth=None),
        dict(tuning=-0.1, norm=None, n_fft=1024, base_c=False, ctroct=4.0),
    ],
)
def test_chroma_stft_matches_librosa(xp, dtype, kw):
    y = _tones(detune=0.2)
    got = chroma_stft(_on(xp, y, dtype), sr=SR, **kw)
    want = librosa.feature.chroma_stft(y=y.astype(dtype), sr=SR, dtype=dtype, **kw)
    assert got.dtype == dtype and got.shape == want.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_chroma_stft_estimated_tuning_matches_librosa(xp, dtype):
    y = _tones(detune=0.31, batch=(2,))
    got = chroma_stft(_on(xp, y, dtype), sr=SR)
    want = librosa.feature.chroma_stft(y=y.astype(dtype), sr=SR, dtype=dtype)
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "detune, n_fft, bpo", [(0.27, 2048, 12), (-0.4, 1024, 24), (0.0, 4096, 36)]
)
def test_estimate_tuning_matches_librosa(xp, dtype, detune, n_fft, bpo):
    y = _tones(detune=detune, seed=2).astype(dtype)
    got = estimate_tuning(xp.asarray(y), sr=SR, n_fft=n_fft, bins_per_octave=bpo)
    want = librosa.estimate_tuning(y=y, sr=SR, n_fft=n_fft, bins_per_octave=bpo)
    assert isinstance(got, float)
    assert got == pytest.approx(float(want), abs=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_fft", [512, 511])
def test_peak_pitches_equal_librosa_piptrack(xp, dtype, n_fft):
    """The peaks' pitches and magnitudes, computed at the peaks only, are librosa.piptrack's
    full arrays bit for bit (zeros elsewhere): a batch of tones and noise; with an odd
    n_fft the top row lies below Nyquist and holds peaks too (one-sided edge terms)."""
    from sigpu.feature import _peak_pitches

    rng = np.random.default_rng(4)
    y = np.stack([_tones(detune=0.2, seed=1), rng.standard_normal(SR // 2)]).astype(dtype)
    S = np.abs(librosa.stft(y, n_fft=n_fft))
    S[1, -1, ::3] = 2 * S[1].max()  # local maxima on the last row
    kw = dict(sr=SR, n_fft=n_fft, fmin=150.0, fmax=SR / 2, threshold=0.1)
    want_pitch, want_mag = librosa.piptrack(S=S, **kw)
    pitch, mag = _peak_pitches(xp.asarray(S), xp=xp, **kw)
    where = np.nonzero(want_mag)
    got_pitch, got_mag = np.zeros_like(want_pitch), np.zeros_like(want_mag)
    got_pitch[where], got_mag[where] = to_np(pitch), to_np(mag)
    assert where[0].size > 100 and np.any(where[-2] == S.shape[-2] - 1) == (n_fft % 2 == 1)
    np.testing.assert_array_equal(got_pitch, want_pitch)
    np.testing.assert_array_equal(got_mag, want_mag)


def test_estimate_tuning_noise_and_S_input(xp):
    y = np.random.default_rng(9).standard_normal((2, 8000))
    assert estimate_tuning(xp.asarray(y), sr=SR, n_fft=1024) == pytest.approx(
        float(librosa.estimate_tuning(y=y, sr=SR, n_fft=1024)), abs=1e-12
    )
    S = np.abs(librosa.stft(y[0], n_fft=1024))
    assert estimate_tuning(S=xp.asarray(S), sr=SR) == pytest.approx(
        float(librosa.estimate_tuning(S=S, sr=SR)), abs=1e-12
    )


def test_estimate_tuning_silence_warns_like_librosa():
    y = np.zeros(4096)
    with pytest.warns(UserWarning, match="empty frequency set"):
        want = librosa.estimate_tuning(y=y, sr=SR)
    with pytest.warns(UserWarning, match="empty frequency set"):
        assert estimate_tuning(y, sr=SR) == want == 0.0


@pytest.mark.parametrize(
    "kw",
    [dict(n_chroma=0), dict(norm="l1"), dict(tuning=float("inf")), dict(octwidth=-1.0)],
)
def test_chroma_stft_bad_values(kw):
    with pytest.raises(ParameterError):
        chroma_stft(np.zeros(4096, np.float32), **({"tuning": 0.0} | kw))


def test_chroma_stft_unknown_keyword():
    with pytest.raises(TypeError, match="dtype"):
        chroma_stft(np.zeros(4096, np.float32), tuning=0.0, dtype=np.float64)


# ---------------------------------------------------------------------------
# gammatonegram
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_gammatonegram_is_bank_times_librosa_power_spectrogram(xp, dtype):
    y = _tones(n=8000, batch=(2,))
    kw = dict(n_fft=1024, hop_length=256)
    got = gammatonegram(_on(xp, y, dtype), sr=SR, n_bins=32, fmin=50.0, **kw)
    S = np.abs(librosa.stft(y.astype(dtype), **kw)) ** 2
    bank = gammatone(sr=SR, n_fft=1024, n_bins=32, fmin=50.0, dtype=np.float64)
    want = np.einsum("bf,...ft->...bt", bank, S.astype(np.float64))
    assert got.dtype == dtype and got.shape == want.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


def test_gammatonegram_matches_nnaudio_with_reflect_padding():
    torch = pytest.importorskip("torch")
    nn_features = pytest.importorskip("nnAudio.features")
    y = _tones(n=8192, batch=(2,)).astype(np.float32)
    layer = nn_features.Gammatonegram(sr=SR, n_fft=1024, hop_length=256, verbose=False)
    want = layer(torch.from_numpy(y)).numpy()
    got = gammatonegram(y, sr=SR, n_fft=1024, hop_length=256, pad_mode="reflect")
    # nnAudio's conv1d STFT in float32 is ~1e-6 of peak off an FFT STFT.
    assert rel_to_peak(got, want) <= 1e-5


def test_gammatonegram_plan_equals_function(xp):
    y = xp.asarray(_tones(n=6000).astype(np.float64))
    kw = dict(sr=16000, n_fft=512, hop_length=160, n_bins=24, power=1.0)
    np.testing.assert_array_equal(to_np(Gammatonegram(**kw)(y)), to_np(gammatonegram(y, **kw)))


@pytest.mark.parametrize("kw", [dict(n_bins=0), dict(fmin=-1.0), dict(fmax=10.0, fmin=20.0)])
def test_gammatonegram_bad_values(kw):
    with pytest.raises(ParameterError):
        gammatonegram(np.zeros(4096, np.float32), **kw)
    with pytest.raises(ParameterError):
        Gammatonegram(**kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bank_kind", ["mel", "mel_htk_narrow", "chroma", "sparse_random"])
def test_apply_bank_kernel_equals_dense_product(xp, rng, dtype, bank_kind):
    """``spectrum.apply_bank`` (band by band on the CPU for band-limited banks, a GEMM for
    dense ones) equals the float64 dense product; filters that are all zero give zeros."""
    import sigpu.filters as F
    from sigpu._backend import kernel

    if bank_kind == "mel":
        bank = F.mel(sr=22050, n_fft=2048)
    elif bank_kind == "mel_htk_narrow":
        bank = F.mel(sr=8000, n_fft=512, n_mels=40, fmin=300.0, fmax=3400.0, htk=True)
    elif bank_kind == "chroma":
        bank = F.chroma(sr=22050, n_fft=2048)
    else:
        bank = np.zeros((30, 257))
        for m in range(0, 30, 3):  # every third filter left all zero
            lo = int(rng.integers(0, 250))
            bank[m, lo : lo + int(rng.integers(1, 8))] = rng.standard_normal()
    rows = rng.random((1100, bank.shape[1]))  # more rows than one kernel block
    got = to_np(
        kernel(xp, "spectrum.apply_bank")(
            xp.asarray(rows.astype(dtype)), xp.asarray(bank.astype(dtype))
        )
    )
    ref = rows @ bank.T
    assert got.shape == ref.shape and got.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.max(np.abs(got - ref)) <= tol * np.abs(ref).max()
    np.testing.assert_array_equal(got[:, ~bank.any(axis=1)], 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_melspectrogram_fused_path_equals_array_path(xp, rng, monkeypatch, dtype):
    """Large inputs take the fused kernels (power, band-wise bank), small ones array
    expressions and a GEMM: the same mel spectrogram either way."""
    import sigpu.feature
    import sigpu.spectrum

    y = xp.asarray(rng.standard_normal((2, 22050)).astype(dtype))
    small = to_np(melspectrogram(y=y, sr=22050))
    monkeypatch.setattr(sigpu.spectrum, "FUSED_KERNEL_MIN_SIZE", 0)
    fused = to_np(melspectrogram(y=y, sr=22050))
    assert fused.dtype == small.dtype
    assert np.max(np.abs(fused - small)) <= tol(dtype, 1e-6, 1e-13) * np.abs(small).max()


def test_one_size_switch_for_the_fused_kernels(monkeypatch):
    """The feature module asks spectrum.fused_kernel_pays, so FUSED_KERNEL_MIN_SIZE set on
    sigpu.spectrum alone moves the mel bank to its fused kernel too."""
    import sigpu.feature
    import sigpu.spectrum
    from sigpu._backend import kernel

    used = []

    def spy(xp, name):
        used.append(name)
        return kernel(xp, name)

    monkeypatch.setattr(sigpu.feature, "kernel", spy)
    y = np.random.default_rng(0).standard_normal(4096)
    melspectrogram(y=y, sr=22050)
    assert "spectrum.apply_bank" not in used
    monkeypatch.setattr(sigpu.spectrum, "FUSED_KERNEL_MIN_SIZE", 0)
    melspectrogram(y=y, sr=22050)
    assert "spectrum.apply_bank" in used


def test_non_finite_audio_raises_where_librosa_does(xp):
    """One policy (issue 16): every function that takes audio raises librosa's
    "Audio buffer is not finite everywhere" for NaN/inf samples, as librosa 0.11 does for
    each of these calls; a spectrogram given as ``S`` is not audio and is not checked."""
    import sigpu

    y = np.random.default_rng(16).standard_normal(8192)
    y[1000] = np.nan
    calls = [
        lambda m, a: m.feature.melspectrogram(y=a, sr=22050),
        lambda m, a: m.feature.mfcc(y=a, sr=22050),
        lambda m, a: m.feature.chroma_stft(y=a, sr=22050),
        lambda m, a: m.estimate_tuning(y=a, sr=22050),
        lambda m, a: m.stft(a),
    ]
    for call in calls:
        with pytest.raises(librosa.util.exceptions.ParameterError, match="not finite"):
            call(librosa, y)
        with pytest.raises(ParameterError, match="Audio buffer is not finite everywhere"):
            call(sigpu, xp.asarray(y))
    with pytest.raises(ParameterError, match="Audio buffer is not finite everywhere"):
        gammatonegram(xp.asarray(y), sr=22050)
    S = np.ones((1025, 4))
    S[3, 2] = np.nan
    M = to_np(melspectrogram(S=xp.asarray(S), sr=22050))
    assert np.isnan(M).any() and np.isfinite(M[:, [0, 1, 3]]).all()
