"""sigpu.filters: mel, chroma and gammatone banks against librosa, nnAudio and a literal formula."""

from __future__ import annotations

import cmath
import math
import warnings

import numpy as np
import pytest

from sigpu import ParameterError
from sigpu.filters import chroma, gammatone, mel
from tests.helpers import rel_to_peak, to_np, tol

librosa = pytest.importorskip("librosa")

DTYPES = [np.float32, np.float64]


# ---------------------------------------------------------------------------
# mel
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None, 1, 2.5, np.inf])
def test_mel_matches_librosa(xp, dtype, htk, norm):
    kw = dict(sr=22050, n_fft=1024, n_mels=40, fmin=30.0, fmax=9000.0, htk=htk, norm=norm)
    got = mel(**kw, dtype=dtype, xp=xp)
    want = librosa.filters.mel(**kw, dtype=dtype)
    assert isinstance(got, xp.ndarray)
    assert got.dtype == dtype and got.shape == (40, 513)
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


@pytest.mark.parametrize("n_fft", [511, 2048])
def test_mel_defaults_and_odd_nfft(xp, n_fft):
    got = mel(sr=16000, n_fft=n_fft, xp=xp)
    want = librosa.filters.mel(sr=16000, n_fft=n_fft)
    assert got.dtype == np.float32
    assert rel_to_peak(got, want) <= 1e-6


def test_mel_slaney_triangle_by_hand():
    # Two bands, no normalisation: band 0 peaks at the second mel point.
    M = mel(sr=8000, n_fft=16, n_mels=2, fmin=0.0, fmax=4000.0, norm=None, dtype=np.float64)
    edges = librosa.mel_frequencies(4, fmin=0.0, fmax=4000.0)
    f = np.arange(9) * 500.0
    band0 = np.maximum(0, np.minimum(f / edges[1], (edges[2] - f) / (edges[2] - edges[1])))
    np.testing.assert_allclose(M[0], band0, rtol=0, atol=1e-15)


def test_mel_is_cached_and_read_only():
    a = mel(sr=22050, n_fft=512, n_mels=20)
    b = mel(sr=22050, n_fft=512, n_mels=20)
    assert a is b
    with pytest.raises(ValueError):
        a[0, 0] = 1.0


def test_mel_empty_filter_warning_like_librosa():
    kw = dict(sr=8000, n_fft=64, n_mels=128)  # more bands than FFT bins: some are empty
    with pytest.warns(UserWarning, match="Empty filters detected"):
        librosa.filters.mel(**kw)
    for _ in range(2):  # the warning repeats even when the bank comes from the cache
        with pytest.warns(UserWarning, match="Empty filters detected"):
            mel(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mel(sr=22050, n_fft=2048, n_mels=128)


@pytest.mark.parametrize(
    "kw",
    [
        dict(n_mels=0),
        dict(n_mels=2.5),
        dict(n_fft=0),
        dict(sr=0),
        dict(fmin=-1.0),
        dict(fmin=5000.0, fmax=4000.0),
        dict(norm="l2"),
        dict(norm=-1),
    ],
)
def test_mel_bad_values(kw):
    args = dict(sr=22050, n_fft=512) | kw
    with pytest.raises(ParameterError):
        mel(**args)


def test_mel_bad_dtype():
    with pytest.raises(TypeError, match="float32 or float64"):
        mel(sr=22050, n_fft=512, dtype=np.int32)
    with pytest.raises(TypeError):
        mel(sr=22050, n_fft=512, xp="torch")


# ---------------------------------------------------------------------------
# chroma
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(tuning=0.27),
        dict(n_chroma=24, octwidth=None),
        dict(base_c=False, norm=np.inf),
        dict(n_chroma=7, ctroct=4.0, octwidth=1.5, norm=None),
    ],
)
def test_chroma_matches_librosa(xp, dtype, kw):
    got = chroma(sr=22050, n_fft=1024, dtype=dtype, xp=xp, **kw)
    want = librosa.filters.chroma(sr=22050, n_fft=1024, dtype=dtype, **kw)
    assert got.dtype == dtype and got.shape == want.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


@pytest.mark.parametrize(
    "kw",
    [dict(n_chroma=0), dict(octwidth=0), dict(tuning=float("nan")), dict(norm="max"), dict(sr=-1)],
)
def test_chroma_bad_values(kw):
    with pytest.raises(ParameterError):
        chroma(sr=kw.pop("sr", 22050), n_fft=512, **kw)


# ---------------------------------------------------------------------------
# gammatone
# ---------------------------------------------------------------------------


def _ellis_fft2gammatonemx(sr, n_fft, n_bins, width, fmin, fmax):
    """Literal scalar transcription of Ellis' fft2gammatonemx (one band, one bin at a time)."""
    ear_q, min_bw = 9.26449, 24.7
    em = ear_q * min_bw
    cfs = [
        (fmax + em) * math.exp(j * (-math.log(fmax + em) + math.log(fmin + em)) / n_bins) - em
        for j in range(1, n_bins + 1)
    ][::-1]
    T = 1.0 / sr
    out = np.zeros((n_bins, n_fft // 2 + 1))
    for i, cf in enumerate(cfs):
        erb = width * (cf / ear_q + min_bw)
        B = 1.019 * 2 * math.pi * erb
        pole = cmath.exp(-B * T + 2j * math.pi * cf * T)
        cpt = 2 * math.pi * cf * T
        zeros = []
        for s in (math.sqrt(3 + 2**1.5), -math.sqrt(3 + 2**1.5)):
            zeros.append((math.cos(cpt) + s * math.sin(cpt)) / math.exp(B * T))
        for s in (math.sqrt(3 - 2**1.5), -math.sqrt(3 - 2**1.5)):
            zeros.append((math.cos(cpt) + s * math.sin(cpt)) / math.exp(B * T))
        num = 1.0
        for sign, root in ((-1, 3 - 2**1.5), (1, 3 - 2**1.5), (-1, 3 + 2**1.5), (1, 3 + 2**1.5)):
            num *= -2 * cmath.exp(4j * cf * math.pi * T) * T + 2 * cmath.exp(
                -(B * T) + 2j * cf * math.pi * T
            ) * T * (math.cos(cpt) + sign * math.sqrt(root) * math.sin(cpt))
        den = (
            -2 / math.exp(2 * B * T)
            - 2 * cmath.exp(4j * cf * math.pi * T)
            + 2 * (1 + cmath.exp(4j * cf * math.pi * T)) / math.exp(B * T)
        ) ** 4
        gain = abs(num / den)
        for k in range(n_fft // 2 + 1):
            u = cmath.exp(2j * math.pi * k / n_fft)
            mag = 1.0
            for z in zeros:
                mag *= abs(u - z)
            mag *= abs(((pole - u) * (pole.conjugate() - u)) ** -4)
            out[i, k] = T**4 / gain * mag / n_fft
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        dict(sr=8000, n_fft=128, n_bins=12, width=1.0, fmin=0.0, fmax=4000.0),
        dict(sr=16000, n_fft=256, n_bins=20, width=1.5, fmin=50.0, fmax=6000.0),
    ],
)
def test_gammatone_matches_literal_formula(xp, dtype, kw):
    got = gammatone(**kw, dtype=dtype, xp=xp)
    want = _ellis_fft2gammatonemx(**kw)
    assert got.dtype == dtype and got.shape == want.shape
    # Each band separately, relative to its own peak (the bands' peaks are all ~1/n_fft).
    rows = np.max(np.abs(to_np(got) - want), axis=1) / np.max(want, axis=1)
    assert rows.max() <= tol(dtype, 1e-6, 1e-10)


@pytest.mark.parametrize("args", [(22050, 2048, 64, 0.0, None), (16000, 512, 40, 50.0, 7000.0)])
def test_gammatone_matches_nnaudio(args):
    nnaudio = pytest.importorskip("nnAudio.librosa_functions")
    sr, n_fft, n_bins, fmin, fmax = args
    want = nnaudio.get_gammatone(sr, n_fft, n_bins, fmin, fmax)  # stored as float32 by nnAudio
    got = gammatone(sr=sr, n_fft=n_fft, n_bins=n_bins, fmin=fmin, fmax=fmax, dtype=np.float64)
    assert rel_to_peak(got, want) <= 1e-6


def test_gammatone_bands_peak_at_increasing_frequencies():
    G = gammatone(sr=22050, n_fft=2048, n_bins=32, fmin=100.0, dtype=np.float64)
    peaks = np.argmax(G, axis=1)
    assert np.all(np.diff(peaks) >= 0) and peaks[-1] > peaks[0]
    # ~unit peak response after the 1/n_fft scale (cascade gain normalisation)
    np.testing.assert_allclose(G.max(axis=1) * 2048, 1.0, rtol=0.1)


@pytest.mark.parametrize(
    "kw", [dict(n_bins=0), dict(width=0.0), dict(fmin=-5.0), dict(fmax=0.0), dict(n_fft=-1)]
)
def test_gammatone_bad_values(kw):
    args = dict(sr=22050, n_fft=512) | kw
    with pytest.raises(ParameterError):
        gammatone(**args)
