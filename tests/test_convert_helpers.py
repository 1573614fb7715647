"""librosa's small conversion helpers (issue 19) against librosa 0.11 itself: frame axes
(samples_like, times_like), octaves and tuning (hz_to_octs, octs_to_hz, A4_to_tuning,
tuning_to_A4) and tempo grids (tempo_frequencies, fourier_tempo_frequencies)."""

from __future__ import annotations

import numpy as np
import pytest

import sigpu
from sigpu import ParameterError

from .helpers import assert_array, host, to_np

librosa = pytest.importorskip("librosa")

FRAME_KWARGS = [
    dict(),
    dict(hop_length=1),
    dict(hop_length=256, n_fft=2048),
    dict(hop_length=441, n_fft=1023, axis=0),
    dict(hop_length=64, axis=-2),
    dict(hop_length=5, axis=1),
]


@pytest.mark.parametrize("kwargs", FRAME_KWARGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
def test_frame_axes_of_arrays_match_librosa(xp, kwargs, dtype):
    X = np.zeros((3, 7, 11), dtype=dtype)
    want = librosa.samples_like(X, **kwargs)
    got = to_np(sigpu.samples_like(xp.asarray(X), **kwargs), dtype=np.int64)
    np.testing.assert_array_equal(got, want)
    for sr in (22050, 8000.0, 44100.5):
        want = librosa.times_like(X, sr=sr, **kwargs)
        got = to_np(sigpu.times_like(xp.asarray(X), sr=sr, **kwargs), dtype=np.float64)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("count", [0, 1, 2, 17, np.int64(1000)])
def test_frame_axes_of_counts_match_librosa(count):
    for kwargs in FRAME_KWARGS[:4]:
        kwargs = {k: v for k, v in kwargs.items() if k != "axis"}
        got = assert_array(sigpu.samples_like(count, **kwargs), np, dtype=np.int64)
        np.testing.assert_array_equal(got, librosa.samples_like(count, **kwargs))
        got = assert_array(sigpu.times_like(count, sr=16000, **kwargs), np, dtype=np.float64)
        np.testing.assert_array_equal(got, librosa.times_like(count, sr=16000, **kwargs))


def test_times_like_spaces_frames_by_the_hop():
    # independent of librosa: frame k starts at k * hop / sr seconds
    t = sigpu.times_like(np.zeros((2, 5)), sr=1000, hop_length=250)
    np.testing.assert_allclose(t, [0.0, 0.25, 0.5, 0.75, 1.0], rtol=0, atol=0)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sigpu.samples_like([1, 2, 3]), "X"),
        (lambda: sigpu.samples_like(2.5), "X"),
        (lambda: sigpu.samples_like(-1), "X"),
        (lambda: sigpu.samples_like(np.array(3.0)), "X"),
        (lambda: sigpu.times_like(np.array(["a", "b"])), "X"),
        (lambda: sigpu.samples_like(np.zeros(3), axis=1), "axis"),
        (lambda: sigpu.samples_like(np.zeros(3), axis=0.0), "axis"),
        (lambda: sigpu.samples_like(np.zeros(3), hop_length=0), "hop_length"),
        (lambda: sigpu.samples_like(np.zeros(3), n_fft=-2), "n_fft"),
        (lambda: sigpu.times_like(np.zeros(3), sr=0), "sr"),
        (lambda: sigpu.times_like(np.zeros(3), sr=np.nan), "sr"),
        (lambda: sigpu.times_like(5, hop_length=1.5), "hop_length"),
    ],
)
def test_frame_axes_reject_bad_input(call, name):
    with pytest.raises((ParameterError, TypeError), match=name):
        call()


HZ = np.array([8.0, 27.5, 55.0, 261.6255653, 432.0, 440.0, 445.5, 1000.0, 4186.0, 19999.0])
PITCH_KWARGS = [dict(), dict(tuning=0.3), dict(tuning=-0.5, bins_per_octave=36)]


def _check(got, want, dtype, scale):
    got = to_np(got, dtype=dtype)
    if dtype == np.float64:
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14 * scale)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6 * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", PITCH_KWARGS)
def test_octaves_match_librosa(xp, dtype, kwargs):
    f = HZ.astype(dtype)
    octs = sigpu.hz_to_octs(xp.asarray(f), **kwargs)
    want = librosa.hz_to_octs(f.astype(np.float64), **kwargs)
    _check(octs, want, dtype, scale=10.0)
    back = sigpu.octs_to_hz(octs, **kwargs)
    _check(back, librosa.octs_to_hz(want, **kwargs), dtype, scale=0.0)
    # 2-D batches keep their shape
    grid = xp.asarray(np.stack([f, 2 * f]))
    assert sigpu.hz_to_octs(grid, **kwargs).shape == (2, HZ.size)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bins_per_octave", [12, 24, 7])
def test_tuning_matches_librosa(xp, dtype, bins_per_octave):
    a4 = np.array([400.0, 415.3, 432.0, 440.0, 442.0, 466.16]).astype(dtype)
    tuning = sigpu.A4_to_tuning(xp.asarray(a4), bins_per_octave=bins_per_octave)
    want = librosa.A4_to_tuning(a4.astype(np.float64), bins_per_octave=bins_per_octave)
    # bins_per_octave * (log2(A4) - log2(440)): float32 cancels log2 values near 8.8
    _check(tuning, want, dtype, scale=10.0 * bins_per_octave)
    t = np.linspace(-2.0, 2.0, 9).astype(dtype)
    got = sigpu.tuning_to_A4(xp.asarray(t), bins_per_octave=bins_per_octave)
    want = librosa.tuning_to_A4(t.astype(np.float64), bins_per_octave=bins_per_octave)
    _check(got, want, dtype, scale=0.0)


@pytest.mark.parametrize(
    "name, value",
    [("hz_to_octs", 440.0), ("octs_to_hz", 4), ("A4_to_tuning", 432), ("tuning_to_A4", -0.25)],
)
def test_pitch_scalars_and_lists_match_librosa(name, value):
    ours, theirs = getattr(sigpu, name), getattr(librosa, name)
    got = ours(value)
    assert isinstance(got, np.float64)
    assert got == pytest.approx(float(theirs(value)), rel=1e-15, abs=1e-15)
    listed = [value, 2 * value]
    np.testing.assert_allclose(ours(listed), theirs(listed), rtol=1e-15, atol=1e-15)


def test_pitch_hand_values():
    assert sigpu.hz_to_octs(440.0) == pytest.approx(4.0)  # A4 is octave 4 + 9/12 above C0
    assert sigpu.hz_to_octs(27.5) == pytest.approx(0.0)
    assert sigpu.octs_to_hz(1.0) == pytest.approx(55.0)
    assert sigpu.tuning_to_A4(1.0) == pytest.approx(440.0 * 2 ** (1 / 12))
    assert sigpu.A4_to_tuning(880.0, bins_per_octave=24) == pytest.approx(24.0)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sigpu.hz_to_octs(["a"]), "frequencies"),
        (lambda: sigpu.hz_to_octs(440.0, tuning=np.inf), "tuning"),
        (lambda: sigpu.hz_to_octs(440.0, tuning=1e6), "tuning"),
        (lambda: sigpu.hz_to_octs(440.0, bins_per_octave=0), "bins_per_octave"),
        (lambda: sigpu.octs_to_hz("4"), "octs"),
        (lambda: sigpu.octs_to_hz(4.0, bins_per_octave=12.0), "bins_per_octave"),
        (lambda: sigpu.A4_to_tuning(np.array([True])), "A4"),
        (lambda: sigpu.A4_to_tuning(440.0, bins_per_octave=-12), "bins_per_octave"),
        (lambda: sigpu.tuning_to_A4(None), "tuning"),
        (lambda: sigpu.tuning_to_A4(0.0, bins_per_octave=None), "bins_per_octave"),
    ],
)
def test_pitch_helpers_reject_bad_input(call, name):
    with pytest.raises((ParameterError, TypeError), match=name):
        call()


@pytest.mark.parametrize("n_bins", [1, 2, 17, 384])
@pytest.mark.parametrize("hop_length, sr", [(512, 22050), (1, 8000.0), (441, 44100)])
def test_tempo_grids_match_librosa(xp, n_bins, hop_length, sr):
    got = to_np(
        sigpu.tempo_frequencies(n_bins, hop_length=hop_length, sr=sr, xp=xp),
        dtype=np.float64,
        shape=(n_bins,),
    )
    np.testing.assert_array_equal(
        got, librosa.tempo_frequencies(n_bins, hop_length=hop_length, sr=sr)
    )
    got = to_np(
        sigpu.fourier_tempo_frequencies(sr=sr, win_length=n_bins, hop_length=hop_length, xp=xp),
        dtype=np.float64,
        shape=(1 + n_bins // 2,),
    )
    want = librosa.fourier_tempo_frequencies(sr=sr, win_length=n_bins, hop_length=hop_length)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)


def test_tempo_grids_default_to_numpy_and_librosa_defaults():
    assert_array(sigpu.tempo_frequencies(8), np)
    np.testing.assert_array_equal(sigpu.tempo_frequencies(8), librosa.tempo_frequencies(8))
    np.testing.assert_allclose(
        sigpu.fourier_tempo_frequencies(), librosa.fourier_tempo_frequencies(), rtol=1e-15
    )
    # lag k of a 512-hop, 22050 Hz onset envelope is 60 * 22050 / (512 k) BPM
    assert sigpu.tempo_frequencies(3)[2] == pytest.approx(60 * 22050 / 1024)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sigpu.tempo_frequencies(0), "n_bins"),
        (lambda: sigpu.tempo_frequencies(4.0), "n_bins"),
        (lambda: sigpu.tempo_frequencies(4, hop_length=0), "hop_length"),
        (lambda: sigpu.tempo_frequencies(4, sr=-1.0), "sr"),
        (lambda: sigpu.fourier_tempo_frequencies(win_length=0), "win_length"),
        (lambda: sigpu.fourier_tempo_frequencies(hop_length=2.5), "hop_length"),
        (lambda: sigpu.fourier_tempo_frequencies(sr=np.inf), "sr"),
    ],
)
def test_tempo_grids_reject_bad_input(call, name):
    with pytest.raises((ParameterError, TypeError), match=name):
        call()


def test_chroma_cqt_at_librosas_path():
    assert sigpu.feature.chroma_cqt is sigpu.chroma_cqt
    assert "chroma_cqt" in dir(sigpu.feature)


def test_cupy_frame_axes_stay_on_the_device(xp):
    # librosa returns NumPy; a CuPy feature matrix gets its axes on its own backend
    X = xp.zeros((4, 6), dtype=xp.float32)
    assert_array(sigpu.samples_like(X), dtype=np.int64, shape=(6,))
    t = assert_array(sigpu.times_like(X), dtype=np.float64, shape=(6,))
    np.testing.assert_array_equal(host(t), librosa.times_like(np.zeros((4, 6))))
