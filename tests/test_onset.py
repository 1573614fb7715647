"""sigpu.onset (onset_strength, onset_strength_multi, onset_detect) and the tempograms of
sigpu.feature, against librosa 0.11 on NumPy and (emulated) CuPy."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import sigpu
from sigpu import ParameterError
from sigpu.feature import fourier_tempogram, tempogram
from sigpu.onset import onset_backtrack, onset_detect, onset_strength, onset_strength_multi
from tests.helpers import rel_to_peak, to_np, tol

librosa = pytest.importorskip("librosa")

DTYPES = [np.float32, np.float64]
SR = 22050


def _clicks(n=SR * 2, batch=(), seed=0):
    """Decaying noise bursts at irregular times over a quiet noise floor."""
    rng = np.random.default_rng(seed)
    y = 0.01 * rng.standard_normal(batch + (n,))
    for start in rng.integers(0, n - 2000, size=12):
        y[..., start : start + 2000] += rng.standard_normal(2000) * np.exp(-np.arange(2000) / 300)
    return y


def _librosa_envelope(y, dtype, **kw):
    # librosa's mel bank is float32 unless asked: ask for the input's dtype, as sigpu's is
    return librosa.onset.onset_strength(y=y.astype(dtype), sr=SR, dtype=dtype, **kw)


# ----------------------------------------------------------------------------- onset strength


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(lag=2, max_size=3),
        dict(center=False, hop_length=256, n_fft=1024),
        dict(n_mels=64, fmax=6000.0, max_size=8),
    ],
)
def test_onset_strength_matches_librosa(xp, dtype, kw):
    y = _clicks()
    got = onset_strength(xp.asarray(y.astype(dtype)), sr=SR, **kw)
    want = _librosa_envelope(y, dtype, **kw)
    assert to_np(got, dtype=dtype, shape=want.shape) is not None
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_onset_strength_detrend_matches_librosa(xp, dtype):
    y = _clicks()
    got = onset_strength(xp.asarray(y.astype(dtype)), sr=SR, detrend=True)
    want = _librosa_envelope(y, dtype, detrend=True)  # float64 for float32 input: lfilter's
    assert to_np(got, dtype=dtype).shape == want.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_onset_strength_from_S_and_ref(xp, dtype):
    rng = np.random.default_rng(1)
    S = rng.standard_normal((2, 40, 60)).astype(dtype)
    ref = S + np.abs(rng.standard_normal(S.shape)).astype(dtype)
    got = onset_strength(S=xp.asarray(S), ref=xp.asarray(ref), lag=3)
    want = librosa.onset.onset_strength(S=S, ref=ref, lag=3)
    assert rel_to_peak(got, want) <= tol(dtype, 1e-6, 1e-13)
    one = onset_strength(S=xp.asarray(S[0, 0]))  # 1-D S is one band, as librosa
    assert rel_to_peak(one, librosa.onset.onset_strength(S=S[0, 0])) <= tol(dtype, 1e-6, 1e-13)


def test_onset_strength_multi_channels_and_aggregates(xp):
    y = _clicks().astype(np.float64)
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, dtype=np.float64))
    for channels in ([0, 32, 64, 96, 128], [100, 10, 60], [slice(0, 5), slice(50, 128)]):
        got = onset_strength_multi(S=xp.asarray(S), channels=channels)
        want = librosa.onset.onset_strength_multi(S=S, channels=channels)
        assert rel_to_peak(got, want) <= 1e-13
    got = onset_strength_multi(S=xp.asarray(S), aggregate=False, max_size=5)
    want = librosa.onset.onset_strength_multi(S=S, aggregate=False, max_size=5)
    assert to_np(got).shape == want.shape == S.shape
    assert rel_to_peak(got, want) <= 1e-13
    got = onset_strength(S=xp.asarray(S), aggregate=xp.median)
    assert rel_to_peak(got, librosa.onset.onset_strength(S=S, aggregate=np.median)) <= 1e-13


def test_onset_strength_max_filter_wider_than_the_bands(xp):
    """A window longer than twice the bands covers every band: scipy's reflect mode."""
    S = np.random.default_rng(2).standard_normal((2, 5, 30))
    for max_size in (9, 10, 11, 40):
        got = onset_strength(S=xp.asarray(S), max_size=max_size)
        want = librosa.onset.onset_strength(S=S, max_size=max_size)
        assert rel_to_peak(got, want) <= 1e-13


def test_onset_strength_batch_equals_stacked(xp):
    y = _clicks(n=SR, batch=(2, 2)).astype(np.float32)
    got = to_np(onset_strength(xp.asarray(y), sr=SR, max_size=3, detrend=True))
    for i in np.ndindex(2, 2):
        single = to_np(onset_strength(xp.asarray(y[i]), sr=SR, max_size=3, detrend=True))
        np.testing.assert_allclose(got[i], single, rtol=0, atol=1e-5 * np.abs(single).max())


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(lag=0), "lag=0"),
        (dict(max_size=1.5), "max_size=1.5"),
        (dict(aggregate=False), "aggregate=False"),
        (dict(aggregate="mean"), "aggregate='mean'"),
        (dict(sr=0), "sr=0"),
        (dict(hop_length=0), "hop_length=0"),
    ],
)
def test_onset_strength_bad_values(kw, match):
    with pytest.raises(ParameterError, match=match):
        onset_strength(np.zeros(4096, np.float32), **kw)


def test_onset_strength_bad_inputs(xp):
    with pytest.raises(ParameterError, match="either"):
        onset_strength(sr=SR)
    with pytest.raises(TypeError, match="float32 or float64"):
        onset_strength(xp.zeros(4096, dtype=xp.int16))
    S = xp.zeros((10, 20), dtype=xp.float32)
    with pytest.raises(ParameterError, match="ref has shape"):
        onset_strength(S=S, ref=S[:5])
    with pytest.raises(ParameterError, match="channels"):
        onset_strength_multi(S=S, channels=[0.5, 3])
    with pytest.raises(ParameterError, match="channels=3"):
        onset_strength_multi(S=S, channels=3)
    with pytest.raises(TypeError, match="feature='mel'"):
        onset_strength(xp.zeros(4096, dtype=xp.float32), feature="mel")


# ----------------------------------------------------------------------------- onset detect


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("units", ["frames", "samples", "time"])
def test_onset_detect_matches_librosa(xp, dtype, units):
    y = _clicks()
    env = librosa.onset.onset_strength(y=y.astype(dtype), sr=SR)
    got = onset_detect(onset_envelope=xp.asarray(env), sr=SR, units=units)
    want = librosa.onset.onset_detect(onset_envelope=env, sr=SR, units=units)
    assert want.size > 3
    np.testing.assert_array_equal(to_np(got, dtype=want.dtype), want)


def test_onset_detect_from_signal_and_backtrack(xp):
    y = _clicks().astype(np.float32)
    got = onset_detect(xp.asarray(y), sr=SR, backtrack=True)
    want = librosa.onset.onset_detect(y=y, sr=SR, backtrack=True)
    np.testing.assert_array_equal(to_np(got), want)
    energy = np.abs(np.random.default_rng(2).standard_normal(want.size + 200))
    env = librosa.onset.onset_strength(y=y, sr=SR)[: energy.size]
    got = onset_detect(onset_envelope=xp.asarray(env), backtrack=True, energy=xp.asarray(energy))
    want = librosa.onset.onset_detect(onset_envelope=env, backtrack=True, energy=energy)
    np.testing.assert_array_equal(to_np(got), want)


def test_onset_backtrack_matches_librosa(xp):
    rng = np.random.default_rng(5)
    for trial in range(30):
        energy = rng.standard_normal(int(rng.integers(1, 60)))
        if trial % 2:
            energy = np.round(energy)  # plateaus: <= on the left, < on the right
        events = rng.integers(0, energy.size, size=int(rng.integers(1, 10)))
        got = onset_backtrack(xp.asarray(events), xp.asarray(energy))
        want = librosa.onset.onset_backtrack(events, energy)
        np.testing.assert_array_equal(to_np(got, dtype=np.int64), want)


def test_onset_backtrack_bad_inputs(xp):
    energy = xp.ones(10)
    with pytest.raises(TypeError, match="integer"):
        onset_backtrack(xp.asarray([1.0, 2.0]), energy)
    with pytest.raises(ParameterError, match="1-D"):
        onset_backtrack(xp.asarray([1, 2]), xp.ones((2, 10)))
    with pytest.raises(ParameterError, match=r"\[0, 10\)"):
        onset_backtrack(xp.asarray([1, 12]), energy)
    with pytest.raises(TypeError, match="float32 or float64"):
        onset_backtrack(xp.asarray([1, 2]), xp.ones(10, dtype=xp.int32))


def test_onset_detect_dense_batch_equals_librosa_rows(xp):
    y = _clicks(batch=(3,)).astype(np.float32)
    env = librosa.onset.onset_strength(y=y, sr=SR)
    got = to_np(onset_detect(onset_envelope=xp.asarray(env), sparse=False), dtype=bool)
    want = librosa.onset.onset_detect(onset_envelope=env, sparse=False)
    np.testing.assert_array_equal(got, want)


def test_peak_picking_equals_librosa_peak_pick(xp):
    """Random parameters and envelopes with ties: librosa.util.peak_pick's walk exactly."""
    for x, kw in _peak_picking_trials():
        got = onset_detect(onset_envelope=xp.asarray(x), normalize=False, sparse=False, **kw)
        want = librosa.util.peak_pick(x, sparse=False, **kw)
        np.testing.assert_array_equal(to_np(got, dtype=bool), want, err_msg=str(kw))


def _peak_picking_trials(n_trials=60):
    """Envelopes (float32 and float64, some with plateaus: ties for the maximum and for
    the mean threshold, where librosa's float32 ``delta`` decides) and random parameters."""
    rng = np.random.default_rng(3)
    for trial in range(n_trials):
        x = rng.standard_normal((2, int(rng.integers(1, 120))))
        if trial % 2:
            x = np.round(x * 2) / 2
        if trial % 3 == 0:
            x = x.astype(np.float32)
        kw = dict(
            pre_max=int(rng.integers(0, 5)),
            post_max=int(rng.integers(1, 5)),
            pre_avg=int(rng.integers(0, 6)),
            post_avg=int(rng.integers(1, 6)),
            delta=float(rng.choice([0.0, 0.1, 0.3, 0.5])),
            wait=int(rng.integers(0, 8)),
        )
        yield x, kw


def test_vectorised_peak_picking_equals_librosa_on_numpy():
    """sigpu._peaks (the GPU's pointer doubling) run on NumPy, against librosa's walk."""
    import array_api_compat.numpy as xp_numpy

    from sigpu import _peaks

    for x, kw in _peak_picking_trials():
        delta = float(np.float32(kw["delta"]))  # as onset_detect passes it
        lengths = [kw[k] for k in ("pre_max", "post_max", "pre_avg", "post_avg")]
        found = _peaks.candidates(x, *lengths, delta, xp_numpy)
        got = _peaks.greedy(found, kw["wait"], xp_numpy)
        np.testing.assert_array_equal(got, librosa.util.peak_pick(x, sparse=False, **kw))


def test_peak_picking_wait_literal_loop(xp):
    """The greedy ``wait`` rule on a hand-made envelope: equal spikes every 2 samples."""
    x = np.zeros(30)
    x[::2] = 1.0
    got = onset_detect(
        onset_envelope=xp.asarray(x),
        normalize=False,
        pre_max=1,
        post_max=1,
        pre_avg=0,
        post_avg=1,
        delta=0.0,
        wait=3,
    )
    np.testing.assert_array_equal(to_np(got), np.arange(0, 30, 4))


def test_onset_detect_silence_and_nonfinite_give_nothing(xp):
    for env in (np.zeros(50), np.r_[np.ones(10), np.nan, np.zeros(39)]):
        got = onset_detect(onset_envelope=xp.asarray(env))
        assert to_np(got).size == 0
        dense = onset_detect(onset_envelope=xp.asarray(env), sparse=False)
        assert not to_np(dense, dtype=bool).any()


@pytest.mark.parametrize(
    "kw, error, match",
    [
        (dict(units="beats"), ParameterError, "units='beats'"),
        (dict(wait=-1), ParameterError, "wait=-1"),
        (dict(post_max=0), ParameterError, "post_max=0"),
        (dict(delta=float("nan")), ParameterError, "delta=nan"),
        (dict(backtrack=True, sparse=False), ParameterError, "backtrack"),
        (dict(threshold=3), TypeError, "threshold"),
    ],
)
def test_onset_detect_bad_values(kw, error, match):
    with pytest.raises(error, match=match):
        onset_detect(onset_envelope=np.ones(20), **kw)


def test_onset_detect_sparse_needs_one_row(xp):
    with pytest.raises(ParameterError, match="sparse=False"):
        onset_detect(onset_envelope=xp.ones((2, 20)))
    with pytest.raises(ParameterError, match="either"):
        onset_detect()


# ----------------------------------------------------------------------------- tempogram


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(win_length=50, center=False, norm=None),
        dict(win_length=101, norm=2, window="hamming"),
        dict(win_length=64, norm=1),
    ],
)
def test_tempogram_matches_librosa(xp, dtype, kw):
    env = np.abs(_clicks(n=SR * 6, batch=(2,))[..., ::400]).astype(dtype)  # 331 frames
    got = tempogram(onset_envelope=xp.asarray(env), **kw)
    want = librosa.feature.tempogram(onset_envelope=env, **kw)
    assert to_np(got, dtype=dtype).shape == want.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


def test_tempogram_from_signal_and_beat_lag(xp):
    y = _clicks(n=SR * 3).astype(np.float32)
    got = tempogram(xp.asarray(y), sr=SR, win_length=96)
    want = librosa.feature.tempogram(y=y, sr=SR, win_length=96)
    assert rel_to_peak(got, want) <= 1e-5
    env = np.tile(np.r_[1.0, 0, 0, 0, 0], 60)  # a beat every 5 frames
    T = to_np(tempogram(onset_envelope=xp.asarray(env), win_length=40))
    assert int(np.argmax(T[1:, 150])) + 1 == 5


@pytest.mark.parametrize("dtype", DTYPES)
def test_fourier_tempogram_matches_librosa(xp, dtype):
    env = np.abs(_clicks(n=SR * 6, batch=(2,))[..., ::400]).astype(dtype)
    for kw in ({}, dict(win_length=64, center=False)):
        with pytest.warns(UserWarning) if not kw else contextlib.nullcontext():
            got = fourier_tempogram(onset_envelope=xp.asarray(env), **kw)
        with pytest.warns(UserWarning) if not kw else contextlib.nullcontext():
            want = librosa.feature.fourier_tempogram(onset_envelope=env, **kw)
        assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(win_length=0), "win_length=0"),
        (dict(norm="max"), "norm='max'"),
        (dict(win_length=500, center=False), "win_length=500"),
        (dict(window="no-such-window"), "no-such-window"),
        (dict(window=np.nan), "finite"),
    ],
)
def test_tempogram_bad_values(kw, match):
    with pytest.raises(ParameterError, match=match):
        tempogram(onset_envelope=np.ones(100), **kw)


def test_tempogram_needs_input_and_floats(xp):
    with pytest.raises(ParameterError, match="either"):
        tempogram()
    with pytest.raises(TypeError, match="float32 or float64"):
        fourier_tempogram(onset_envelope=xp.ones(100, dtype=xp.int32))


def test_librosa_paths():
    """``import sigpu as librosa`` finds these where librosa has them."""
    assert sigpu.onset.onset_strength is onset_strength
    assert sigpu.onset.onset_backtrack is onset_backtrack
    assert sigpu.feature.tempogram is tempogram
    assert sigpu.feature.fourier_tempogram is fourier_tempogram
