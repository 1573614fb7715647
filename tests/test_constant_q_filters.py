"""Constant-Q wavelet filters vs librosa 0.11 and the spec's hand values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sigpu import ParameterError
from sigpu._constant_q_filters import constant_q, cq_to_chroma, wavelet, wavelet_lengths
from tests.helpers import to_np

librosa = pytest.importorskip("librosa")

C1 = 32.70319566257483
FREQS = C1 * 2.0 ** (np.arange(84) / 12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"gamma": 2.5},
        {"gamma": None},
        {"alpha": 2 ** (1 / 12) - 1},
        {"window": "blackman", "norm": 2, "filter_scale": 0.7},
        {"norm": np.inf, "pad_fft": False},
        {"norm": None, "window": ("kaiser", 4.0)},
    ],
)
def test_wavelet_matches_librosa(xp, kwargs):
    freqs = FREQS[::3]
    ours, lengths = wavelet(freqs=freqs, sr=22050, dtype=np.complex128, xp=xp, **kwargs)
    ref, ref_lengths = librosa.filters.wavelet(freqs=freqs, sr=22050, dtype=np.complex128, **kwargs)
    assert isinstance(ours, xp.ndarray)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(to_np(ours), ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(to_np(lengths), ref_lengths, rtol=1e-14)


def test_wavelet_dtype_default_complex64(xp):
    ours, _ = wavelet(freqs=FREQS[-12:], sr=22050, xp=xp)
    assert ours.dtype == np.complex64


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 10.0}, {"gamma": None}, {"window": "hamming"}])
def test_wavelet_lengths_matches_librosa(kwargs):
    lengths, f_cut = wavelet_lengths(freqs=FREQS, sr=22050, **kwargs)
    ref, ref_cut = librosa.filters.wavelet_lengths(freqs=FREQS, sr=22050, **kwargs)
    np.testing.assert_allclose(lengths, ref, rtol=1e-14)
    # window bandwidth: librosa uses a table for named windows (differs < 2e-4)
    assert abs(f_cut - ref_cut) <= 1e-5 * ref_cut


def test_hand_values():
    r = 2 ** (1 / 12)
    alpha = (r**2 - 1) / (r**2 + 1)
    assert alpha == pytest.approx(0.0576981, abs=1e-7)
    assert 1 / alpha == pytest.approx(17.33159, abs=1e-5)
    lengths, _ = wavelet_lengths(freqs=FREQS, sr=22050)
    assert lengths[0] == pytest.approx(11685.756, abs=1e-3)
    classic = 2 ** (1 / 12) - 1
    assert 1 / classic == pytest.approx(16.81715, abs=1e-5)
    lengths_c, _ = wavelet_lengths(freqs=FREQS, sr=22050, alpha=classic)
    assert lengths_c[0] == pytest.approx(16.81715 * 22050 / C1, rel=1e-6)
    assert np.ceil(lengths_c[0]) == 11339


def test_constant_q_matches_librosa(xp):
    ours, lengths = constant_q(sr=22050, n_bins=36, dtype=np.complex128, xp=xp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, ref_lengths = librosa.filters.constant_q(sr=22050, n_bins=36, dtype=np.complex128)
    np.testing.assert_allclose(to_np(ours), ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(to_np(lengths), ref_lengths, rtol=1e-14)


@pytest.mark.parametrize(
    "n_input,bpo,n_chroma,kwargs",
    [
        (84, 12, 12, {}),
        (84, 36, 12, {}),
        (72, 24, 12, {"base_c": False}),
        (50, 24, 24, {"fmin": 55.0}),
        (84, 36, 12, {"window": np.array([0.25, 0.5, 0.25])}),
    ],
)
def test_cq_to_chroma_matches_librosa(xp, n_input, bpo, n_chroma, kwargs):
    ours = cq_to_chroma(n_input, bins_per_octave=bpo, n_chroma=n_chroma, xp=xp, **kwargs)
    ref = librosa.filters.cq_to_chroma(n_input, bins_per_octave=bpo, n_chroma=n_chroma, **kwargs)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(to_np(ours), ref, atol=1e-7)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"filter_scale": 0}, "filter_scale"),
        ({"filter_scale": -1.0}, "filter_scale"),
        ({"gamma": -1.0}, "gamma"),
        ({"freqs": np.array([0.0, 10.0])}, "positive"),
        ({"freqs": np.array([20.0, 10.0])}, "ascending"),
        ({"freqs": np.array([20.0])}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"window": np.ones(10)}, "window"),
        ({"window": "no-such-window"}, "window"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"freqs": FREQS[:12], "sr": 22050} | kwargs
    with pytest.raises(ParameterError, match=match):
        wavelet(**args)


def test_bad_input_other():
    with pytest.raises(TypeError, match="complex"):
        wavelet(freqs=FREQS[:12], dtype=np.float32)
    with pytest.raises(ParameterError, match="Nyquist"):
        constant_q(sr=8000, n_bins=96)
    with pytest.raises(ParameterError, match="multiple"):
        cq_to_chroma(84, bins_per_octave=18, n_chroma=12)
    with pytest.raises(ParameterError, match="norm"):
        wavelet(freqs=FREQS[:12], norm="l2")
