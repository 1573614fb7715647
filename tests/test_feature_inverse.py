"""sigpu.feature.inverse (mel_to_stft, mel_to_audio, mfcc_to_mel, mfcc_to_audio) vs librosa.

``mfcc_to_mel`` is librosa's math (inverse DCT, un-liftering, dB to power): project
tolerances.  ``mel_to_stft`` solves librosa's non-negative least-squares problem with a
different algorithm (FISTA instead of L-BFGS-B).  Its minimiser is not unique (fewer mel
bands than FFT bins) but the fitted mel spectrogram ``mel_basis @ S**power`` is, so the
tests check optimality directly (the KKT conditions, the residual against librosa's) and
the fit against librosa's within a documented tolerance.  Griffin-Lim starts from random
phases, so ``mel_to_audio`` is checked as its composition and by the mel spectrogram of
the audio it returns.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import sigpu
from sigpu import ParameterError
from sigpu.feature import inverse
from tests.helpers import assert_array, rel_to_peak, rel_to_peak_of_references, to_np, tol

librosa = pytest.importorskip("librosa")

DTYPES = [np.float32, np.float64]
SR = 22050


def _signal(n=SR // 4, batch=(), seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    y = np.sin(2 * np.pi * 330.0 * t) + 0.5 * np.sin(2 * np.pi * 1250.0 * t)
    return y + 0.1 * rng.standard_normal(batch + (n,))


MEL_CASES = {
    "default bank": dict(n_mels=32),
    "energy": dict(n_mels=32, power=1.0),
    "htk, band-limited": dict(n_mels=24, fmin=50.0, fmax=8000.0, htk=True, norm=None),
}


def _mel(batch=(), n_fft=512, n_mels=32, power=2.0, **bank_kw):
    """About 11 frames per signal (librosa's L-BFGS-B takes seconds on more)."""
    y = _signal(batch=batch)
    return librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=n_fft, hop_length=512, n_mels=n_mels, power=power, **bank_kw
    )


def _bank_kw(kw):
    return {k: v for k, v in kw.items() if k in ("fmin", "fmax", "htk", "norm")}


@functools.cache
def _librosa_mel_to_stft(case):
    """librosa's solution (L-BFGS-B: seconds), once per case for every backend and dtype."""
    kw = MEL_CASES[case]
    M = _mel(batch=(2,), **kw)
    solver_kw = {k: v for k, v in kw.items() if k != "n_mels"}
    return M, librosa.feature.inverse.mel_to_stft(M, sr=SR, n_fft=512, **solver_kw)


def _residual(bank, X, M):
    return np.linalg.norm(bank @ X - M) / np.linalg.norm(M)


# ---------------------------------------------------------------------------
# mel_to_stft
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(MEL_CASES))
def test_mel_to_stft_solves_the_nnls_problem_better_than_librosa(xp, dtype, case):
    kw = MEL_CASES[case]
    power = kw.get("power", 2.0)
    M, ref = _librosa_mel_to_stft(case)
    solver_kw = {k: v for k, v in kw.items() if k != "n_mels"}
    got = inverse.mel_to_stft(xp.asarray(M.astype(dtype)), sr=SR, n_fft=512, **solver_kw)
    assert_array(got, dtype=dtype, shape=ref.shape)
    X = to_np(got).astype(np.float64) ** power
    X_ref = ref.astype(np.float64) ** power
    bank = librosa.filters.mel(sr=SR, n_fft=512, n_mels=kw["n_mels"], **_bank_kw(kw))
    assert X.min() >= 0
    # M is an exact mel spectrogram, so the optimum fits it exactly.  Neither solver gets
    # there: librosa's L-BFGS-B stops on its tolerances, FISTA after 200 steps.  Measured
    # relative residuals, ours / librosa's: default 3e-8 / 1.1e-2, energy 2e-8 / 7.5e-2,
    # HTK unnormalised bank 6.5e-4 / 5e-7 (where L-BFGS-B's curvature model wins).
    ours, theirs = _residual(bank, X, M), _residual(bank, X_ref, M)
    assert ours <= 1e-3
    assert rel_to_peak_of_references(bank @ X, M) <= 2e-3  # the fit, bin by bin
    if case != "htk, band-limited":
        assert ours <= theirs


@pytest.mark.parametrize("band_wise", [False, True], ids=["band-gemms", "band-kernel"])
def test_mel_to_stft_is_near_the_exact_nnls_solution_of_an_infeasible_problem(
    xp, band_wise, monkeypatch
):
    """M outside the cone of mel spectrograms (random, signed): per frame, the residual
    exceeds that of scipy.optimize.nnls (an exact active-set solver) by little; on the CPU
    the bank products below and above numba's break-even size alike."""
    import scipy.optimize

    import sigpu.spectrum

    monkeypatch.setattr(sigpu.spectrum, "FUSED_KERNEL_MIN_SIZE", 0 if band_wise else 2**62)

    M = np.random.default_rng(1).standard_normal((32, 8))
    X = to_np(inverse.mel_to_stft(xp.asarray(M), sr=8000, n_fft=256, power=1.0))
    bank = librosa.filters.mel(sr=8000, n_fft=256, n_mels=32, dtype=np.float64)
    assert X.min() >= 0
    for t in range(M.shape[1]):
        exact = scipy.optimize.nnls(bank, M[:, t], maxiter=10000)[0]
        optimum = np.linalg.norm(bank @ exact - M[:, t])
        excess = np.linalg.norm(bank @ X[:, t] - M[:, t]) - optimum
        assert excess <= 1e-3 * np.linalg.norm(M[:, t])  # measured 3e-4


def test_mel_to_stft_batch_equals_single_calls(xp):
    M = _mel(batch=(2, 2))
    got = to_np(inverse.mel_to_stft(xp.asarray(M), sr=SR, n_fft=512))
    single = to_np(inverse.mel_to_stft(xp.asarray(M[1, 0]), sr=SR, n_fft=512))
    np.testing.assert_allclose(got[1, 0], single, rtol=1e-10, atol=1e-12 * single.max())


# ---------------------------------------------------------------------------
# mel_to_audio
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_mel_to_audio_is_griffinlim_of_mel_to_stft(xp, dtype):
    M = xp.asarray(_mel().astype(dtype))
    got = inverse.mel_to_audio(M, sr=SR, n_fft=512, hop_length=256, n_iter=4, random_state=3)
    S = inverse.mel_to_stft(M, sr=SR, n_fft=512)
    want = sigpu.griffinlim(S, n_iter=4, hop_length=256, n_fft=512, random_state=3)
    assert_array(got, dtype=dtype)
    np.testing.assert_array_equal(to_np(got), to_np(want))


def test_mel_to_audio_reproduces_the_mel_spectrogram_as_well_as_librosa(xp):
    y = _signal()
    M = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=512, hop_length=128, n_mels=40)
    kw = dict(sr=SR, n_fft=512, hop_length=128, n_iter=16)
    y = to_np(inverse.mel_to_audio(xp.asarray(M), random_state=0, **kw))
    np.random.seed(0)  # noqa: NPY002 - librosa's Griffin-Lim draws its phase from here
    y_ref = librosa.feature.inverse.mel_to_audio(M, dtype=np.float64, **kw)
    assert y.shape == y_ref.shape

    def error(audio):
        again = librosa.feature.melspectrogram(y=audio, sr=SR, n_fft=512, hop_length=128, n_mels=40)
        return np.linalg.norm(again - M) / np.linalg.norm(M)

    assert error(y) <= 1.2 * error(y_ref) + 0.02


# ---------------------------------------------------------------------------
# mfcc_to_mel, mfcc_to_audio
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dct_type", [1, 2, 3])
@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("lifter", [0, 22.0])
def test_mfcc_to_mel_matches_librosa(xp, dtype, dct_type, norm, lifter):
    mfcc = librosa.feature.mfcc(
        y=_signal(batch=(2,)), sr=SR, n_mfcc=20, dct_type=dct_type, norm=norm, lifter=lifter
    ).astype(dtype)
    got = inverse.mfcc_to_mel(xp.asarray(mfcc), dct_type=dct_type, norm=norm, lifter=lifter)
    ref = librosa.feature.inverse.mfcc_to_mel(mfcc, dct_type=dct_type, norm=norm, lifter=lifter)
    assert_array(got, dtype=dtype, shape=ref.shape)
    assert rel_to_peak(got, ref) <= tol(dtype, 1e-5, 1e-10)
    kw = dict(dct_type=dct_type, norm=norm, lifter=lifter, n_mels=64, ref=3.5)
    got = inverse.mfcc_to_mel(xp.asarray(mfcc), **kw)
    ref = librosa.feature.inverse.mfcc_to_mel(mfcc, **kw)
    assert rel_to_peak(got, ref) <= tol(dtype, 1e-5, 1e-10)


def test_mfcc_to_mel_inverts_mfcc_with_all_coefficients(xp):
    """With n_mfcc = n_mels (no truncation) and no top_db clipping, the inverse is exact."""
    y = xp.asarray(_signal())
    M = sigpu.melspectrogram(y, sr=SR, n_mels=40)
    mfcc = sigpu.mfcc(y, sr=SR, n_mels=40, n_mfcc=40, top_db=None, lifter=10)
    got = inverse.mfcc_to_mel(mfcc, n_mels=40, lifter=10)
    assert rel_to_peak(got, to_np(M)) <= 1e-9


def test_mfcc_to_mel_warns_on_critical_lifter_values(xp):
    mfcc = xp.asarray(np.zeros((4, 3)))
    with pytest.warns(UserWarning, match="lifter array includes critical values"):
        inverse.mfcc_to_mel(mfcc, n_mels=8, lifter=2.0)  # 1 + sin(3 pi / 2) = 0


def test_mfcc_to_audio_is_mel_to_audio_of_mfcc_to_mel(xp):
    mfcc = librosa.feature.mfcc(y=_signal(), sr=SR, n_mfcc=13, n_fft=512, n_mels=32)
    mfcc = xp.asarray(mfcc.astype(np.float32))
    kw = dict(n_fft=512, n_iter=3, random_state=1)
    got = inverse.mfcc_to_audio(mfcc, n_mels=32, **kw)
    want = inverse.mel_to_audio(inverse.mfcc_to_mel(mfcc, n_mels=32), **kw)
    assert_array(got, dtype=np.float32)
    np.testing.assert_array_equal(to_np(got), to_np(want))


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

M_BAD = np.ones((16, 5))
BAD = [
    (inverse.mel_to_stft, dict(M=M_BAD, power=0), ParameterError, "power"),
    (inverse.mel_to_stft, dict(M=M_BAD, n_fft=0), ParameterError, "n_fft"),
    (inverse.mel_to_stft, dict(M=M_BAD, fmax=1e6), ParameterError, "fmax"),
    (inverse.mel_to_stft, dict(M=M_BAD, dtype=np.float32), TypeError, "dtype"),
    (inverse.mel_to_stft, dict(M=M_BAD[0]), ParameterError, "M"),
    (inverse.mel_to_stft, dict(M=M_BAD.astype(np.int32)), TypeError, "dtype"),
    (inverse.mel_to_audio, dict(M=M_BAD, n_iter=0), ParameterError, "n_iter"),
    (inverse.mfcc_to_mel, dict(mfcc=M_BAD, n_mels=0), ParameterError, "n_mels"),
    (inverse.mfcc_to_mel, dict(mfcc=M_BAD, dct_type=4), ParameterError, "dct_type"),
    (inverse.mfcc_to_mel, dict(mfcc=M_BAD, norm="unit"), ParameterError, "norm"),
    (inverse.mfcc_to_mel, dict(mfcc=M_BAD, ref=0.0), ParameterError, "ref"),
    (inverse.mfcc_to_mel, dict(mfcc=M_BAD, lifter=-1), ParameterError, "lifter"),
    (inverse.mfcc_to_audio, dict(mfcc=M_BAD, hop=3), TypeError, "hop"),
]


@pytest.mark.parametrize(
    ("func", "kwargs", "error", "match"), BAD, ids=[f"{b[0].__name__}-{b[3]}" for b in BAD]
)
def test_bad_input_names_the_parameter(func, kwargs, error, match):
    with pytest.raises(error, match=match):
        func(**kwargs)


def test_librosa_import_path():
    import sigpu.feature.inverse as by_path

    assert by_path is inverse
    assert by_path.mel_to_stft is sigpu.feature.inverse.mel_to_stft
