"""sigpu.decompose.hpss, sigpu.effects and sigpu.phase_vocoder against librosa 0.11 (and
scipy.ndimage for the running median), on NumPy and (emulated) CuPy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage

import sigpu
from sigpu import ParameterError, effects
from sigpu._backend import kernel
from sigpu.decompose import hpss
from tests.helpers import rel_to_peak, to_np, tol

librosa = pytest.importorskip("librosa")

DTYPES = [np.float32, np.float64]
SR = 22050


def _music(n=SR, batch=(), seed=0):
    """A sustained chord plus clicks over a little noise: both HPSS parts are present."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    y = 0.4 * np.sin(2 * np.pi * 330 * t) + 0.3 * np.sin(2 * np.pi * 495 * t + 1.0)
    y = y + 0.01 * rng.standard_normal(batch + (n,))
    y[..., :: n // 7] += 1.0
    return y


# ----------------------------------------------------------------------------- running median


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, size, axis",
    [((3, 40, 50), 31, -1), ((3, 40, 50), 31, -2), ((2, 5, 7), 4, -1), ((6, 3), 9, -2)],
)
def test_median_kernel_equals_scipy(xp, dtype, shape, size, axis):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(dtype)
    x[..., ::3] = np.round(x[..., ::3])  # ties
    footprint = [1] * x.ndim
    footprint[axis] = size
    want = scipy.ndimage.median_filter(x, size=footprint, mode="reflect")
    got = kernel(xp, "median.median_filter")(xp.asarray(x), size, axis)
    np.testing.assert_array_equal(to_np(got, dtype=dtype, shape=shape), want)


# ----------------------------------------------------------------------------- decompose.hpss


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(kernel_size=(13, 8), margin=(2.0, 3.0)),
        dict(kernel_size=6, power=1.0, mask=True),
        dict(power=np.inf, mask=True),
        dict(power=np.inf),
    ],
)
def test_hpss_matches_librosa(xp, dtype, kw):
    D = librosa.stft(_music(batch=(2,)).astype(dtype), n_fft=512)
    for S in (D, np.abs(D)):
        got = hpss(xp.asarray(S), **kw)
        want = librosa.decompose.hpss(S, **kw)
        for g, w in zip(got, want, strict=True):
            assert to_np(g, dtype=w.dtype).shape == w.shape
            if w.dtype == bool:  # hard masks: the same comparisons of exact medians
                np.testing.assert_array_equal(to_np(g), w)
            else:
                assert rel_to_peak(g, w) <= tol(dtype, 1e-5, 1e-10)


def test_hpss_masks_sum_to_one_and_parts_to_S(xp):
    S = np.abs(librosa.stft(_music(), n_fft=256))
    mask_h, mask_p = hpss(xp.asarray(S), mask=True)
    np.testing.assert_allclose(to_np(mask_h) + to_np(mask_p), 1.0, atol=1e-12)
    H, P = hpss(xp.asarray(S))
    assert rel_to_peak(H + P, S) <= 1e-12


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(kernel_size=0), "kernel_size=0"),
        (dict(kernel_size=(3, 4, 5)), "kernel_size="),
        (dict(margin=0.5), "margin=0.5"),
        (dict(power=0), "power=0"),
    ],
)
def test_hpss_bad_values(kw, match):
    with pytest.raises(ParameterError, match=match):
        hpss(np.ones((5, 6)), **kw)


def test_hpss_of_nothing_is_nothing(xp):
    H, P = hpss(xp.ones((5, 0), dtype=xp.float32))
    assert to_np(H).shape == to_np(P).shape == (5, 0)


def test_hpss_bad_inputs(xp):
    with pytest.raises(ParameterError, match="at least 2"):
        hpss(xp.ones(6))
    with pytest.raises(TypeError, match="float32"):
        hpss(xp.ones((5, 6), dtype=xp.int64))
    with pytest.raises(TypeError, match="mask"):
        hpss(xp.ones((5, 6)), mask=1)


# ----------------------------------------------------------------------------- effects.hpss


@pytest.mark.parametrize("dtype", DTYPES)
def test_effects_hpss_harmonic_percussive_match_librosa(xp, dtype):
    y = _music(batch=(2,)).astype(dtype)
    kw = dict(n_fft=1024, hop_length=256, margin=2.0)
    y_h, y_p = effects.hpss(xp.asarray(y), **kw)
    want_h, want_p = librosa.effects.hpss(y, **kw)
    assert rel_to_peak(y_h, want_h) <= tol(dtype, 1e-5, 1e-10)
    assert rel_to_peak(y_p, want_p) <= tol(dtype, 1e-5, 1e-10)
    assert to_np(y_h, dtype=dtype).shape == y.shape
    harm = effects.harmonic(xp.asarray(y), **kw)
    perc = effects.percussive(xp.asarray(y), **kw)
    assert rel_to_peak(harm, librosa.effects.harmonic(y, **kw)) <= tol(dtype, 1e-5, 1e-10)
    assert rel_to_peak(perc, librosa.effects.percussive(y, **kw)) <= tol(dtype, 1e-5, 1e-10)


def test_effects_hpss_batch_equals_stacked(xp):
    y = _music(n=8000, batch=(2, 2)).astype(np.float32)
    got = to_np(effects.harmonic(xp.asarray(y), n_fft=256))
    for i in np.ndindex(2, 2):
        single = to_np(effects.harmonic(xp.asarray(y[i]), n_fft=256))
        np.testing.assert_allclose(got[i], single, atol=1e-6 * np.abs(single).max())


# ----------------------------------------------------------------------------- phase vocoder


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(rate=0.5), dict(rate=1.37, hop_length=128), dict(rate=3.0)])
def test_phase_vocoder_matches_librosa(xp, dtype, kw):
    D = librosa.stft(_music(batch=(2,)).astype(dtype), n_fft=512)
    got = sigpu.phase_vocoder(xp.asarray(D), **kw)
    want = librosa.phase_vocoder(D, **kw)
    assert to_np(got, dtype=D.dtype).shape == want.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


def test_phase_vocoder_rate_one_keeps_magnitudes(xp):
    D = librosa.stft(_music(n=8000), n_fft=256)
    got = to_np(sigpu.phase_vocoder(xp.asarray(D), rate=1.0))
    np.testing.assert_allclose(np.abs(got), np.abs(D), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", [0.8, 1.5])
def test_time_stretch_matches_librosa(xp, dtype, rate):
    y = _music(batch=(2,)).astype(dtype)
    got = effects.time_stretch(xp.asarray(y), rate=rate, n_fft=1024)
    want = librosa.effects.time_stretch(y, rate=rate, n_fft=1024)
    assert to_np(got, dtype=dtype).shape == want.shape == (2, round(SR / rate))
    # float32: the running phase (up to pi * hop * frames rad) holds ~1e-3 rad, so the
    # rounding-level difference between the two STFTs shows at that level (documented)
    assert rel_to_peak(got, want) <= tol(dtype, 1e-2, 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_steps", [12, -12])
def test_pitch_shift_octaves_match_librosa_polyphase(xp, dtype, n_steps):
    y = _music().astype(dtype)
    kw = dict(sr=SR, n_steps=n_steps, res_type="polyphase")
    got = effects.pitch_shift(xp.asarray(y), **kw)
    want = librosa.effects.pitch_shift(y, **kw)
    assert to_np(got, dtype=dtype).shape == y.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-2, 1e-10)


def test_pitch_shift_default_resampler_close_to_librosa_soxr(xp):
    """librosa resamples with soxr from an irrational rate; sigpu with its sinc filter from
    the closest usable fraction (documented): about 0.3 % RMS apart, as sigpu.resample."""
    y = _music(batch=(2,))
    got = to_np(effects.pitch_shift(xp.asarray(y), sr=SR, n_steps=2))
    want = librosa.effects.pitch_shift(y, sr=SR, n_steps=2)
    rms = np.sqrt(np.mean((got - want) ** 2) / np.mean(want**2))
    assert got.shape == want.shape and rms < 1e-2


def test_pitch_shift_moves_a_tone(xp):
    """An analytic check: a 440 Hz tone shifted by 4 steps peaks at 440 * 2**(4/12) Hz."""
    t = np.arange(SR) / SR
    y = np.sin(2 * np.pi * 440.0 * t)
    got = to_np(effects.pitch_shift(xp.asarray(y), sr=SR, n_steps=4))
    spectrum = np.abs(np.fft.rfft(got * np.hanning(SR)))
    assert abs(np.argmax(spectrum) - 440.0 * 2 ** (4 / 12)) <= 1.0


@pytest.mark.parametrize(
    "func, kw, match",
    [
        (effects.time_stretch, dict(rate=0), "rate=0"),
        (effects.pitch_shift, dict(sr=SR, n_steps=np.nan), "n_steps=nan"),
        (effects.pitch_shift, dict(sr=SR, n_steps=1, bins_per_octave=0), "bins_per_octave=0"),
        (effects.pitch_shift, dict(sr=SR, n_steps=1, res_type="kaiser"), "res_type='kaiser'"),
        (effects.pitch_shift, dict(sr=SR, n_steps=1, res_type="polyphase"), "integer"),
        (effects.pitch_shift, dict(sr=SR, n_steps=2**40), "n_steps=1099511627776"),
        (effects.time_stretch, dict(rate=2**40), "rate=1099511627776"),
        (effects.time_stretch, dict(rate=1e-300), "rate=1e-300"),
        (effects.hpss, dict(mask=True), "mask=True"),
        (effects.harmonic, dict(mask=True), "mask=True"),
    ],
)
def test_stretch_and_shift_bad_values(func, kw, match):
    with pytest.raises(ParameterError, match=match):
        func(np.ones(4096), **kw)


def test_phase_vocoder_bad_inputs(xp):
    D = xp.ones((257, 10), dtype=xp.complex64)
    with pytest.raises(TypeError, match="complex"):
        sigpu.phase_vocoder(xp.ones((257, 10), dtype=xp.float32), rate=2.0)
    with pytest.raises(ParameterError, match="rate=-1"):
        sigpu.phase_vocoder(D, rate=-1)
    with pytest.raises(ParameterError, match="1 \\+ n_fft // 2"):
        sigpu.phase_vocoder(D, rate=2.0, n_fft=1024)


# ----------------------------------------------------------------------------- emphasis


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("coef", [0.97, 0.5, 1.0])
def test_preemphasis_and_deemphasis_match_librosa(xp, dtype, coef):
    y = _music(n=5000, batch=(3,)).astype(dtype)
    zi = np.array([[0.1], [-0.2], [0.3]], dtype=dtype)
    for state in (None, zi):
        got, zf = effects.preemphasis(
            xp.asarray(y),
            coef=coef,
            zi=None if state is None else xp.asarray(state),
            return_zf=True,
        )
        want, want_zf = librosa.effects.preemphasis(y, coef=coef, zi=state, return_zf=True)
        np.testing.assert_array_equal(to_np(got, dtype=dtype), want)  # no feedback: exact
        np.testing.assert_array_equal(to_np(zf, shape=(3, 1)), want_zf)
        got, zf = effects.deemphasis(
            xp.asarray(y),
            coef=coef,
            zi=None if state is None else xp.asarray(state),
            return_zf=True,
        )
        want, want_zf = librosa.effects.deemphasis(y, coef=coef, zi=state, return_zf=True)
        assert to_np(got, dtype=dtype).shape == want.shape
        assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)
        # zf = coef * the last output sample: its error is relative to the output's peak
        zf_error = np.max(np.abs(to_np(zf) - want_zf)) / np.max(np.abs(want))
        assert zf_error <= tol(dtype, 1e-5, 1e-10)


def test_emphasis_round_trip_and_streaming(xp):
    x = np.random.default_rng(5).standard_normal((2, 3000))
    back = effects.deemphasis(effects.preemphasis(xp.asarray(x)))
    assert rel_to_peak(back, x) <= 1e-10
    whole = to_np(effects.preemphasis(xp.asarray(x)))
    first, zf = effects.preemphasis(xp.asarray(x[:, :1000]), return_zf=True)
    second = effects.preemphasis(xp.asarray(x[:, 1000:]), zi=zf)
    np.testing.assert_allclose(np.concatenate([to_np(first), to_np(second)], axis=-1), whole)


def test_deemphasis_is_the_recurrence(xp):
    """Literal loop: x[n] = y[n] + coef * x[n - 1] from the state zi."""
    y = np.random.default_rng(6).standard_normal(700)
    want = np.empty_like(y)
    previous = 0.25 / 0.9  # lfilter's state zi = coef * x[-1]
    for n in range(y.size):
        previous = want[n] = y[n] + 0.9 * previous
    got = effects.deemphasis(xp.asarray(y), coef=0.9, zi=0.25)
    assert rel_to_peak(got, want) <= 1e-12


@pytest.mark.parametrize("func", [effects.preemphasis, effects.deemphasis])
def test_emphasis_bad_values(func):
    with pytest.raises(ParameterError, match="coef=inf"):
        func(np.ones(10), coef=np.inf)
    if func is effects.deemphasis:  # unstable: grows as coef**n
        with pytest.raises(ParameterError, match="coef=1.5"):
            func(np.ones(10), coef=1.5)
    with pytest.raises(ParameterError, match="at least 2"):
        func(np.ones(1))
    with pytest.raises(ParameterError, match="zi must broadcast"):
        func(np.ones((2, 10)), zi=np.ones(3))
    with pytest.raises(TypeError, match="float32 or float64"):
        func(np.ones(10, dtype=np.int32))


# ----------------------------------------------------------------------------- trim, split


def _with_silence(dtype, channels=()):
    y = np.zeros(channels + (SR * 3,), dtype)
    y[..., SR : 2 * SR] = _music(n=SR, batch=channels)
    y[..., 2 * SR + 5000 : 2 * SR + 6000] = 0.01  # a faint tail: above -60 dB, below -20 dB
    return y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(top_db=20),
        dict(frame_length=1024, hop_length=256),
        dict(frame_length=1000, hop_length=300),  # not a whole number of hops
        dict(ref=0.5),
    ],
)
def test_trim_and_split_match_librosa(xp, dtype, kw):
    for channels in ((), (2,)):
        y = _with_silence(dtype, channels)
        trimmed, index = effects.trim(xp.asarray(y), **kw)
        want, want_index = librosa.effects.trim(y, **kw)
        np.testing.assert_array_equal(to_np(index), want_index)
        np.testing.assert_array_equal(to_np(trimmed, dtype=dtype), want)
        intervals = effects.split(xp.asarray(y), **kw)
        np.testing.assert_array_equal(to_np(intervals), librosa.effects.split(y, **kw))


def test_trim_all_silent_and_split_edges(xp):
    y = np.zeros(5000)
    trimmed, index = effects.trim(xp.asarray(y), ref=1.0)
    assert to_np(index).tolist() == [0, 0] and to_np(trimmed).shape == (0,)
    loud = np.ones(5000)
    np.testing.assert_array_equal(to_np(effects.split(xp.asarray(loud))), [[0, 5000]])


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(top_db=np.nan), "top_db=nan"),
        (dict(frame_length=0), "frame_length=0"),
        (dict(hop_length=-1), "hop_length=-1"),
        (dict(aggregate="max"), "aggregate='max'"),
    ],
)
def test_trim_split_bad_values(kw, match):
    for func in (effects.trim, effects.split):
        with pytest.raises(ParameterError, match=match):
            func(np.ones(100), **kw)
