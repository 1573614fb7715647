"""icqt and griffinlim_cqt vs librosa 0.11, round trips, batching and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sigpu
from sigpu import ParameterError
from sigpu.constantq import cqt, griffinlim_cqt, icqt
from tests.helpers import host, rel_to_peak, to_np

librosa = pytest.importorskip("librosa")

SR = 22050
EDGE = 2000  # samples at each end where soxr's and sigpu's resamplers see the signal boundary


def _librosa(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return func(*args, **kwargs)


def _band_noise(rng, n, lo=60.0, hi=3000.0, dtype=np.float64):
    """White noise band-limited (FFT mask) to [lo, hi] Hz: inside the CQT's range."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec[(f < lo) | (f > hi)] = 0
    return np.fft.irfft(spec, n).astype(dtype)


def _snr_db(estimate, reference, edge=EDGE):
    e = to_np(estimate)[edge:-edge] - reference[edge:-edge]
    return 10 * np.log10(np.sum(reference[edge:-edge] ** 2) / np.sum(e**2))


# ---------------------------------------------------------------- icqt vs librosa


@pytest.mark.parametrize(
    "kwargs,interior",
    [
        ({}, 3e-3),  # measured 2.0e-4 interior, 1.0e-2 at the ends
        ({"hop_length": 500}, 5e-3),  # hop halves twice, then stays: 1.8e-3 / 9.3e-3
        ({"hop_length": 128, "bins_per_octave": 24, "n_bins": 168}, 3e-3),  # 2.9e-4 / 1.3e-2
        ({"scale": False}, 3e-3),
        ({"n_bins": 80}, 3e-3),  # partial top octave (icqt groups octaves from the bottom)
        ({"fmin": 55.0, "n_bins": 60, "tuning": 0.2, "sparsity": 0.0, "norm": 2}, 3e-3),
    ],
)
def test_icqt_matches_librosa(xp, rng, kwargs, interior):
    y = _band_noise(rng, 3 * SR)
    C = _librosa(librosa.cqt, y, sr=SR, **kwargs)
    inv_kwargs = {k: v for k, v in kwargs.items() if k != "n_bins"}
    ref = _librosa(librosa.icqt, C, sr=SR, **inv_kwargs)
    ours = icqt(xp.asarray(C), sr=SR, **inv_kwargs)
    assert ours.shape == ref.shape and ours.dtype == np.float64
    # Only the resampler differs (soxr_hq there, FFT interpolation here); the
    # largest gaps sit in the last few dozen samples, where soxr's filter
    # meets the end of the signal.
    assert rel_to_peak(ours, ref) <= 2e-2
    peak = np.abs(ref).max()
    assert np.abs(to_np(ours) - ref)[EDGE:-EDGE].max() / peak <= interior


def test_icqt_without_resampling_matches_librosa_closely(xp, rng):
    # an odd hop never halves: every octave runs at sr and only float rounding
    # (librosa's complex64 kernels) separates the two; measured 6.7e-8
    y = _band_noise(rng, 2 * SR)
    C = _librosa(librosa.cqt, y, sr=SR, hop_length=511, n_bins=72)
    ref = _librosa(librosa.icqt, C, sr=SR, hop_length=511)
    assert rel_to_peak(icqt(xp.asarray(C), sr=SR, hop_length=511), ref) <= 1e-6


@pytest.mark.parametrize("length", [2 * SR, 2 * SR + 3000, SR])
def test_icqt_length_matches_librosa(xp, rng, length):
    y = _band_noise(rng, 2 * SR)
    C = _librosa(librosa.cqt, y, sr=SR, n_bins=72, hop_length=256)
    ref = _librosa(librosa.icqt, C, sr=SR, hop_length=256, length=length)
    ours = icqt(xp.asarray(C), sr=SR, hop_length=256, length=length)
    assert ours.shape == (length,)
    assert rel_to_peak(ours, ref) <= 2e-2


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_icqt_round_trip_reconstructs_band_limited_signal(xp, rng, dtype):
    # band 150-1200 Hz inside a 55-1661 Hz CQT: SNR measured 54.0 dB at hop 64
    # (librosa's own icqt(cqt(y)): 54.0 dB), 33.8 dB at hop 128
    y = _band_noise(rng, SR, lo=150.0, hi=1200.0)
    kw = {"sr": SR, "hop_length": 64, "fmin": 55.0}
    C = cqt(xp.asarray(y.astype(dtype)), n_bins=60, **kw)
    y_hat = icqt(C, length=SR, **kw)
    assert y_hat.dtype == dtype and y_hat.shape == (SR,)
    assert _snr_db(y_hat, y) > 45.0


def test_icqt_tone_amplitude(xp):
    # analytic: a unit sine inside the range comes back with unit amplitude
    t = np.arange(SR) / SR
    y = np.sin(2 * np.pi * 440.0 * t)
    kw = {"sr": SR, "hop_length": 32, "fmin": 110.0}
    y_hat = to_np(icqt(cqt(xp.asarray(y), n_bins=48, **kw), length=SR, **kw))
    np.testing.assert_allclose(y_hat[EDGE:-EDGE], y[EDGE:-EDGE], atol=2e-2)


# ---------------------------------------------------------------- dtypes and batching


def test_icqt_dtypes(xp, rng):
    C = cqt(xp.asarray(_band_noise(rng, SR // 2, dtype=np.float32)), sr=SR, n_bins=48, fmin=110.0)
    assert icqt(C, sr=SR, fmin=110.0).dtype == np.float32
    assert icqt(C, sr=SR, fmin=110.0, dtype=np.float64).dtype == np.float64
    C64 = xp.asarray(to_np(C).astype(np.complex128))
    assert icqt(C64, sr=SR, fmin=110.0).dtype == np.float64
    # a real C is taken as zero phase
    mag = xp.abs(C)
    np.testing.assert_allclose(
        to_np(icqt(mag, sr=SR, fmin=110.0)),
        to_np(icqt(mag.astype(np.complex64), sr=SR, fmin=110.0)),
        rtol=0,
        atol=1e-6,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_icqt_batch_equals_stacked_calls(xp, rng, dtype):
    y = np.stack([_band_noise(rng, SR // 2, dtype=dtype) for _ in range(6)]).reshape(2, 3, -1)
    kw = {"sr": SR, "hop_length": 500, "fmin": 65.4}
    C = cqt(xp.asarray(y), n_bins=60, **kw)
    batch = to_np(icqt(C, **kw))
    for i in range(2):
        for j in range(3):
            single = to_np(icqt(C[i, j], **kw))
            np.testing.assert_allclose(
                batch[i, j], single, rtol=0, atol=1e-6 * np.abs(single).max()
            )


# ---------------------------------------------------------------- griffinlim_cqt


GL = {"sr": SR, "hop_length": 128, "fmin": 110.0, "bins_per_octave": 12}


def _tones(rng, dtype=np.float64):
    t = np.arange(SR) / SR
    y = sum(
        a * np.sin(2 * np.pi * f * t) for f, a in ((220, 1), (330, 0.5), (587, 0.4), (880, 0.3))
    )
    return (y + 0.01 * rng.standard_normal(SR)).astype(dtype)


def _spectral_convergence(y, C):
    rebuilt = np.abs(_librosa(librosa.cqt, host(y), n_bins=C.shape[-2], **GL))
    return float(np.linalg.norm(rebuilt - C) / np.linalg.norm(C))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_griffinlim_cqt_init_none_matches_librosa(xp, rng, dtype):
    C = np.abs(_librosa(librosa.cqt, _tones(rng, dtype), n_bins=48, **GL))
    ref = _librosa(librosa.griffinlim_cqt, C, n_iter=4, init=None, **GL)
    ours = griffinlim_cqt(xp.asarray(C), n_iter=4, init=None, **GL)
    assert ours.shape == ref.shape and ours.dtype == dtype
    # the resamplers differ and the iteration amplifies it: measured 1.7e-2
    assert rel_to_peak(ours, ref) <= 3e-2
    # same quality: spectral convergence 0.4534 (sigpu) vs 0.4535 (librosa)
    sc_ours, sc_ref = _spectral_convergence(ours, C), _spectral_convergence(ref, C)
    assert abs(sc_ours - sc_ref) <= 0.01 * sc_ref


def test_griffinlim_cqt_seeded_random_matches_librosa(xp, rng):
    # int seed -> RandomState on the host, as librosa: same initial phases
    C = np.abs(_librosa(librosa.cqt, _tones(rng), n_bins=48, **GL))
    ref = _librosa(librosa.griffinlim_cqt, C, n_iter=2, random_state=3, **GL)
    ours = griffinlim_cqt(xp.asarray(C), n_iter=2, random_state=3, **GL)
    assert rel_to_peak(ours, ref) <= 3e-2


def test_griffinlim_cqt_error_decreases_with_iterations(xp, rng):
    C = np.abs(_librosa(librosa.cqt, _tones(rng), n_bins=48, **GL))
    errors = [
        _spectral_convergence(griffinlim_cqt(xp.asarray(C), n_iter=n, init=None, **GL), C)
        for n in (1, 4, 16)
    ]
    # measured 0.70, 0.45, 0.19
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.3


def test_griffinlim_cqt_batch_and_length(xp, rng):
    C = np.abs(_librosa(librosa.cqt, np.stack([_tones(rng), _tones(rng)]), n_bins=48, **GL))
    n = 128 * (C.shape[-1] - 1) + 100  # any length giving the same number of frames
    batch = to_np(griffinlim_cqt(xp.asarray(C), n_iter=2, init=None, length=n, **GL))
    assert batch.shape == (2, n)
    single = to_np(griffinlim_cqt(xp.asarray(C[1]), n_iter=2, init=None, length=n, **GL))
    np.testing.assert_allclose(batch[1], single, rtol=0, atol=1e-6 * np.abs(single).max())


# ---------------------------------------------------------------- bad input


def test_icqt_bad_input():
    C = np.ones((48, 20), dtype=np.complex64)
    with pytest.raises(ParameterError, match="fixed tuning"):
        icqt(C, tuning=None)
    with pytest.raises(ParameterError, match="Nyquist"):
        icqt(np.ones((120, 20), dtype=np.complex64))
    with pytest.raises(ParameterError, match="hop_length"):
        icqt(C, hop_length=0)
    with pytest.raises(ParameterError, match="fmin"):
        icqt(C, fmin=-1.0)
    with pytest.raises(ParameterError, match="length"):
        icqt(C, length=0)
    with pytest.raises(ParameterError, match="two frames"):
        icqt(C[:, :1])
    with pytest.raises(ParameterError, match="dimension"):
        icqt(np.ones(20, dtype=np.complex64))
    with pytest.raises(TypeError, match="complex64"):
        icqt(np.ones((48, 20), dtype=np.int32))
    with pytest.raises(TypeError, match="float32"):
        icqt(C, dtype=np.complex64)


def test_icqt_length_shorter_than_one_hop(xp):
    # librosa keeps ceil((length + longest filter) / hop) = 1 frame: an all-zero signal
    C = xp.ones((2, 12, 10), dtype=np.complex64)
    kw = {"sr": SR, "fmin": 4000.0, "hop_length": 512, "length": 10}
    ref = _librosa(librosa.icqt, np.ones((2, 12, 10), dtype=np.complex64), **kw)
    ours = icqt(C, **kw)
    assert ours.shape == ref.shape == (2, 10) and ours.dtype == np.float32
    np.testing.assert_array_equal(to_np(ours), ref)


def test_icqt_non_finite_input_raises_like_librosa_unless_unchecked(xp):
    """librosa's icqt raises on NaN/inf (its resampler checks the audio); so does sigpu's,
    and under ``sigpu.check_finite(False)`` the values propagate as documented."""
    C = np.ones((84, 100), dtype=np.complex64)
    C[40, 50] = np.nan
    with pytest.raises(ParameterError, match="icqt: Audio buffer is not finite everywhere"):
        icqt(xp.asarray(C))
    with pytest.raises(librosa.util.exceptions.ParameterError, match="not finite everywhere"):
        librosa.icqt(C)
    with sigpu.check_finite(False):
        # an octave that is upsampled: NaN everywhere (documented)
        assert np.all(np.isnan(to_np(icqt(xp.asarray(C)))))
        C = np.ones((84, 100), dtype=np.complex64)
        C[80, 50] = np.inf  # top octave, at sr: NaN around its frame only
        y = to_np(icqt(xp.asarray(C)))
    assert 0 < np.mean(~np.isfinite(y)) < 0.05


def test_griffinlim_cqt_bad_input():
    C = np.ones((48, 200), dtype=np.float32)
    with pytest.raises(ParameterError, match="momentum"):
        griffinlim_cqt(C, momentum=-0.5, **GL)
    with pytest.raises(ParameterError, match="init"):
        griffinlim_cqt(C, init="zeros", **GL)
    with pytest.raises(ParameterError, match="n_iter"):
        griffinlim_cqt(C, n_iter=0, **GL)
    with pytest.raises(ParameterError, match="length"):
        griffinlim_cqt(C, length=1000, **GL)
    with pytest.raises(TypeError, match="float32"):
        griffinlim_cqt(C.astype(np.complex64), **GL)
    with pytest.warns(UserWarning, match="unstable"):
        griffinlim_cqt(C, momentum=1.5, n_iter=1, init=None, **GL)
