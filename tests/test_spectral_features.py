"""Issue 19's everyday features vs librosa 0.11 on NumPy and (emulated) CuPy.

rms, spectral_centroid/bandwidth/rolloff/flatness/contrast, poly_features,
zero_crossing_rate, zero_crossings, magphase, the A/B/C/D/Z weightings, delta,
stack_memory, pcen, tonnetz, chroma_cens and chroma_vqt.  Where the math is librosa's the
tolerance is the project's (rel-to-peak 1e-5 float32, 1e-10 float64); the constant-Q
features take librosa's own CQT as input for that comparison (sigpu's CQT differs from
librosa's within its documented 3e-2, tests/test_cqt.py), and their signal path is
checked as the composition with sigpu's CQT.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sigpu
import sigpu.feature as feature
from sigpu import ParameterError
from tests.helpers import assert_array, rel_to_peak, to_np, tol

librosa = pytest.importorskip("librosa")

DTYPES = [np.float32, np.float64]
SR = 22050
STFT = dict(n_fft=512, hop_length=128)


def _signal(shape=(2, 6000), seed=0):
    """Two partials with a slow glide plus noise, different per item; peak ~1."""
    rng = np.random.default_rng(seed)
    t = np.arange(shape[-1]) / SR
    f = 300.0 + 200.0 * rng.random(shape[:-1] + (1,))
    y = np.sin(2 * np.pi * f * t * (1 + 0.2 * t)) + 0.3 * np.sin(2 * np.pi * 3.1 * f * t)
    return y + 0.05 * rng.standard_normal(shape)


def _close(got, ref, dtype, f32=1e-5, f64=1e-10):
    assert rel_to_peak(got, ref) <= tol(dtype, f32, f64)


# ---------------------------------------------------------------------------
# spectral features from a signal and from a spectrogram
# ---------------------------------------------------------------------------

SPECTRAL = {
    "spectral_centroid": dict(STFT),
    "spectral_bandwidth": dict(STFT, p=3),
    "spectral_rolloff": dict(STFT, roll_percent=0.6),
    "spectral_flatness": dict(STFT, power=1.5),
    "spectral_contrast": dict(STFT, n_bands=4, fmin=300.0),
    "poly_features": dict(STFT, order=1),
}

F32_SMALL_VALUES = {"spectral_contrast": 2e-4, "spectral_flatness": 1e-4}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SPECTRAL))
def test_spectral_features_from_a_signal_match_librosa(xp, name, dtype):
    y = _signal((2, 3, 6000)).astype(dtype)  # two batch axes
    got = getattr(feature, name)(xp.asarray(y), **SPECTRAL[name])
    ref = getattr(librosa.feature, name)(y=y, **SPECTRAL[name])
    assert_array(got, dtype=dtype, shape=ref.shape)
    # contrast's valleys and flatness's geometric mean are dominated by the smallest
    # magnitudes, whose float32 values differ between two FFT implementations by rounding
    # (~1e-7 of the peak: a large share of a small value), then taken to dB or log:
    # 7e-5 and 1.9e-5 measured; from the same S (test_s_path_matches_librosa) 1.4e-7
    _close(got, ref, dtype, f32=F32_SMALL_VALUES.get(name, 1e-5))


@pytest.mark.parametrize("dtype", DTYPES)
def test_spectral_features_take_librosa_defaults(xp, dtype):
    y = _signal((1, 12000)).astype(dtype)
    for name in ("spectral_centroid", "spectral_contrast", "spectral_rolloff"):
        got = getattr(feature, name)(xp.asarray(y))
        f32 = F32_SMALL_VALUES.get(name, 1e-5)  # as above
        _close(got, getattr(librosa.feature, name)(y=y), dtype, f32=f32)


@pytest.mark.parametrize("dtype", DTYPES)
def test_poly_features_each_coefficient_matches_numpy_polyfit(xp, dtype):
    """Row by row (the high-order coefficients are tiny next to the constant term)."""
    S = np.abs(librosa.stft(_signal((5000,)), n_fft=256)).astype(dtype)
    got = to_np(feature.poly_features(S=xp.asarray(S), order=2, sr=SR), dtype=dtype)
    ref = np.polyfit(np.fft.rfftfreq(256, 1 / SR), S.astype(np.float64), 2)
    for row in range(3):
        assert rel_to_peak(got[row], ref[row]) <= tol(dtype, 2e-4, 1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_spectral_features_from_a_spectrogram_with_custom_frequencies(xp, dtype):
    S = np.abs(librosa.stft(_signal(), n_fft=512, hop_length=128)).astype(dtype)
    freq = np.sort(np.random.default_rng(1).uniform(0, SR / 2, S.shape[-2]))
    for name, kw in [
        ("spectral_centroid", {}),
        ("spectral_bandwidth", dict(norm=False, p=1)),
        ("spectral_rolloff", dict(roll_percent=0.3)),
    ]:
        got = getattr(feature, name)(S=xp.asarray(S), freq=xp.asarray(freq.astype(dtype)), **kw)
        ref = getattr(librosa.feature, name)(S=S, freq=freq.astype(dtype), **kw)
        _close(got, ref, dtype)
    # frame-varying frequencies (reassigned spectrograms), S's shape
    freq_2d = np.broadcast_to(freq[:, None], S.shape[-2:]) * (1 + 0.01 * np.arange(S.shape[-1]))
    got = feature.spectral_centroid(S=xp.asarray(S), freq=xp.asarray(freq_2d.astype(dtype)))
    _close(got, librosa.feature.spectral_centroid(S=S, freq=freq_2d.astype(dtype)), dtype)
    got = feature.spectral_contrast(S=xp.asarray(S), freq=freq, fmin=400.0, n_bands=3)
    _close(got, librosa.feature.spectral_contrast(S=S, freq=freq, fmin=400.0, n_bands=3), dtype)


def test_spectral_bandwidth_given_centroid(xp):
    S = np.abs(librosa.stft(_signal(), n_fft=512)).astype(np.float64)
    centroid = np.full((2, 1, S.shape[-1]), 3000.0)
    got = feature.spectral_bandwidth(S=xp.asarray(S), centroid=xp.asarray(centroid))
    _close(got, librosa.feature.spectral_bandwidth(S=S, centroid=centroid), np.float64)


def test_silent_frames_give_librosa_values(xp):
    """Zero columns are not normalised (centroid 0), flatness is 1, rolloff is bin 0."""
    S = np.zeros((257, 4))
    S[10, 2] = 1.0
    for name in ("spectral_centroid", "spectral_bandwidth", "spectral_flatness"):
        ref = getattr(librosa.feature, name)(S=S)
        _close(getattr(feature, name)(S=xp.asarray(S)), ref, np.float64)
    rolloff = feature.spectral_rolloff(S=xp.asarray(S))
    _close(rolloff, librosa.feature.spectral_rolloff(S=S), np.float64)


@pytest.mark.parametrize("name", ["spectral_centroid", "spectral_bandwidth", "spectral_rolloff"])
def test_negative_spectrogram_is_refused(xp, name):
    S = -np.ones((257, 3))
    with pytest.raises(ParameterError, match="non-negative"):
        getattr(feature, name)(S=xp.asarray(S))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(frame_length=512, hop_length=100, center=False),
        dict(frame_length=300, hop_length=64, pad_mode="reflect"),
    ],
)
def test_rms_from_a_signal_matches_librosa(xp, dtype, kw):
    y = _signal().astype(dtype)
    got = feature.rms(xp.asarray(y), **kw)
    ref = librosa.feature.rms(y=y, dtype=dtype, **kw)
    assert_array(got, dtype=dtype, shape=ref.shape)
    _close(got, ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("frame_length", [512, 511])
def test_rms_from_a_spectrogram_matches_librosa(xp, dtype, frame_length):
    D = librosa.stft(_signal().astype(dtype), n_fft=frame_length)
    for S in (D, np.abs(D)):
        got = feature.rms(S=xp.asarray(S), frame_length=frame_length)
        ref = librosa.feature.rms(S=S, frame_length=frame_length, dtype=dtype)
        assert_array(got, dtype=dtype)
        _close(got, ref, dtype)
    # Parseval: the spectrogram's RMS equals the windowed frames' RMS
    frames = librosa.util.frame(
        np.pad(_signal(), [(0, 0), (frame_length // 2, frame_length // 2)]),
        frame_length=frame_length,
        hop_length=frame_length // 4,
    )
    window = librosa.filters.get_window("hann", frame_length)
    windowed = np.sqrt(np.mean((frames * window[:, None]) ** 2, axis=-2))
    got = to_np(feature.rms(S=xp.asarray(np.abs(D)), frame_length=frame_length))[..., 0, :]
    assert rel_to_peak(got, windowed[..., : got.shape[-1]]) <= tol(dtype, 1e-5, 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(frame_length=256, hop_length=64, center=False),
        dict(threshold=0.2, pad=True),
        dict(zero_pos=False, threshold=0.0),
        dict(threshold=0.5, ref_magnitude=0.4),
    ],
)
def test_zero_crossing_rate_matches_librosa(xp, dtype, kw):
    y = _signal().astype(dtype)
    y[:, 100:200] = 0.0  # exact zeros: zero_pos decides
    got = feature.zero_crossing_rate(xp.asarray(y), **kw)
    ref = librosa.feature.zero_crossing_rate(y, **kw)
    assert_array(got, dtype=dtype, shape=ref.shape)
    _close(got, ref, dtype)


def test_zero_crossing_rate_with_a_callable_reference(xp):
    y = _signal()
    got = feature.zero_crossing_rate(xp.asarray(y), threshold=0.3, ref_magnitude=xp.max)
    ref = librosa.feature.zero_crossing_rate(y, threshold=0.3, ref_magnitude=np.max)
    _close(got, ref, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [{}, dict(pad=False), dict(zero_pos=False), dict(threshold=0.1, ref_magnitude=2.0)],
)
def test_zero_crossings_match_librosa(xp, dtype, kw):
    y = _signal((3, 700)).astype(dtype)
    y[:, 50:60] = 0.0
    y[:, 70] = -0.0
    for axis in (-1, 0):
        got = sigpu.zero_crossings(xp.asarray(y), axis=axis, **kw)
        assert_array(got, dtype=bool, shape=y.shape)
        np.testing.assert_array_equal(to_np(got), librosa.zero_crossings(y, axis=axis, **kw))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_magphase_matches_librosa(xp, dtype):
    D = librosa.stft(_signal(), n_fft=256).astype(dtype)
    D[0, :3, :2] = 0  # zero magnitude: phase 1
    D[1, 5, 5] = 1e-40 + 1e-40j  # denormal
    for power in (1, 2.0):
        mag, phase = sigpu.magphase(xp.asarray(D), power=power)
        mag_ref, phase_ref = librosa.magphase(D, power=power)
        assert_array(mag, dtype=mag_ref.dtype)
        assert_array(phase, dtype=dtype)
        _close(mag, mag_ref, mag_ref.dtype)
        _close(phase, phase_ref, mag_ref.dtype)


def test_magphase_over_many_blocks_and_layouts(xp):
    """Zeros, denormals and NaN in several of the CPU's blocks, a time-major view (the
    STFT's layout), a real input and a 0-d input: librosa's values bit for bit on NumPy."""
    rng = np.random.default_rng(11)
    D = (rng.standard_normal((3, 300, 513)) + 1j * rng.standard_normal((3, 300, 513))).astype(
        np.complex64
    )
    flat = D.reshape(-1)
    flat[rng.choice(flat.size, 50, replace=False)] = 0
    flat[7] = 1e-40 + 1e-40j
    flat[-3] = np.nan
    flat[-9] = np.inf
    for case in (D, D.swapaxes(-1, -2), D.real.copy(), D[0, 0, :1].reshape(())):
        mag, phase = sigpu.magphase(xp.asarray(case))
        with np.errstate(invalid="ignore"):
            mag_ref, phase_ref = librosa.magphase(case)
        assert_array(mag, dtype=mag_ref.dtype, shape=case.shape)
        assert_array(phase, dtype=np.complex64, shape=case.shape)
        np.testing.assert_array_equal(to_np(mag), mag_ref)
        np.testing.assert_array_equal(to_np(phase), phase_ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["spectral_flatness", "spectral_contrast", "poly_features"])
def test_s_path_matches_librosa(xp, name, dtype):
    S = np.abs(librosa.stft(_signal(), n_fft=512)).astype(dtype)
    kw = dict(n_bands=4) if name == "spectral_contrast" else {}
    got = getattr(feature, name)(S=xp.asarray(S), **kw)
    assert_array(got, dtype=dtype)
    _close(got, getattr(librosa.feature, name)(S=S, **kw), dtype)


# ---------------------------------------------------------------------------
# frequency weighting
# ---------------------------------------------------------------------------

FREQS = np.array([0.0, 10.0, 31.5, 100.0, 1000.0, 4000.0, 12500.0, 20000.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list("ABCDZ"))
def test_weightings_match_librosa(xp, kind, dtype):
    f = FREQS.astype(dtype)
    func = getattr(sigpu, f"{kind}_weighting")
    with np.errstate(divide="ignore"):  # librosa's log10(0) at DC
        for min_db in (-80.0, None, -10.0):
            got = func(xp.asarray(f), min_db=min_db)
            ref = getattr(librosa, f"{kind}_weighting")(f, min_db=min_db)
            assert_array(got, dtype=dtype, shape=f.shape)
            got_host = to_np(got)
            finite = np.isfinite(ref)
            np.testing.assert_array_equal(np.isfinite(got_host), finite)
            _close(got_host[finite], ref[finite].astype(dtype), dtype, 1e-5, 1e-12)
    got = sigpu.frequency_weighting(xp.asarray(f[1:]), kind=kind.lower())
    _close(got, librosa.frequency_weighting(f[1:], kind=kind), dtype, 1e-5, 1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_weightings_over_many_blocks_match_librosa(xp, dtype):
    """1e5 frequencies (several of the CPU's blocks), 0 Hz inside a later block, a 2-D
    layout: the blocked evaluation equals librosa's curve everywhere."""
    f = np.linspace(20000.0, 0.0, 7 * 14_286).astype(dtype).reshape(7, -1, 1)
    for kind in "ABCDZ":
        got = sigpu.frequency_weighting(xp.asarray(f), kind=kind)
        with np.errstate(divide="ignore"):
            ref = librosa.frequency_weighting(f, kind=kind)
        if kind == "Z":  # librosa's Z curve is zeros(len(frequencies)): 0 dB everywhere
            ref = np.zeros(f.shape)
        assert_array(got, dtype=dtype, shape=f.shape)
        _close(got, ref, dtype, 1e-5, 1e-12)


def test_weighting_of_numbers_and_lists():
    assert isinstance(sigpu.A_weighting(1000.0), float | np.floating)
    assert abs(float(sigpu.A_weighting(1000.0))) < 0.01  # 0 dB at 1 kHz by definition
    np.testing.assert_allclose(
        sigpu.C_weighting([100.0, 2000.0]), librosa.C_weighting([100.0, 2000.0])
    )
    got = sigpu.multi_frequency_weighting(FREQS[1:], kinds="ZAD")
    np.testing.assert_allclose(got, librosa.multi_frequency_weighting(FREQS[1:], kinds="ZAD"))


@pytest.mark.parametrize("dtype", DTYPES)
def test_perceptual_weighting_matches_librosa(xp, dtype):
    S = (np.abs(librosa.stft(_signal(), n_fft=512)) ** 2).astype(dtype)
    freqs = librosa.fft_frequencies(sr=SR, n_fft=512)
    for kw in ({}, dict(kind="C", ref=np.float64(2.0), top_db=None)):
        got = sigpu.perceptual_weighting(xp.asarray(S), xp.asarray(freqs), **kw)
        with np.errstate(divide="ignore"):
            ref = librosa.perceptual_weighting(S, freqs, **kw)
        assert_array(got, dtype=dtype, shape=S.shape)
        _close(got, ref, dtype)


# ---------------------------------------------------------------------------
# delta, stack_memory, pcen
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["interp", "mirror", "constant", "nearest", "wrap"])
def test_delta_matches_librosa(xp, dtype, mode):
    data = np.random.default_rng(3).standard_normal((2, 5, 40)).astype(dtype)
    for width, order in [(9, 1), (5, 2), (3, 1), (7, 3)]:
        got = feature.delta(xp.asarray(data), width=width, order=order, mode=mode)
        ref = librosa.feature.delta(data, width=width, order=order, mode=mode)
        assert_array(got, dtype=dtype, shape=data.shape)
        _close(got, ref, dtype)
    got = feature.delta(xp.asarray(data), axis=-2, width=5, mode=mode, polyorder=3, cval=0.5)
    ref = librosa.feature.delta(data, axis=-2, width=5, mode=mode, polyorder=3, cval=0.5)
    _close(got, ref, dtype)


def test_delta_of_a_polynomial_is_its_derivative(xp):
    """Savitzky-Golay reproduces polynomials up to polyorder exactly, edges included."""
    t = np.arange(30.0)
    data = 0.5 * t**2 - 3 * t + 1
    got = to_np(feature.delta(xp.asarray(data), width=7, order=1, polyorder=2))
    np.testing.assert_allclose(got, t - 3, atol=1e-9)
    got = to_np(feature.delta(xp.asarray(data), width=7, order=2))
    np.testing.assert_allclose(got, np.ones_like(t), atol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stack_memory_matches_librosa(xp, dtype):
    data = np.random.default_rng(4).standard_normal((2, 3, 12)).astype(dtype)
    for n_steps, delay in [(1, 1), (2, 1), (3, 2), (4, -1), (2, -3)]:
        for kw in ({}, dict(mode="edge"), dict(mode="constant", constant_values=7.0)):
            got = feature.stack_memory(xp.asarray(data), n_steps=n_steps, delay=delay, **kw)
            ref = librosa.feature.stack_memory(data, n_steps=n_steps, delay=delay, **kw)
            assert_array(got, dtype=dtype, shape=ref.shape)
            np.testing.assert_array_equal(to_np(got), ref)
    # shifts longer than the data: copies made of padding only (the padding is capped)
    for kw in (dict(mode="constant", constant_values=2.0), dict(mode="edge")):
        for delay in (20, -13):
            got = feature.stack_memory(xp.asarray(data), n_steps=3, delay=delay, **kw)
            ref = librosa.feature.stack_memory(data, n_steps=3, delay=delay, **kw)
            np.testing.assert_array_equal(to_np(got), ref)
    got = feature.stack_memory(xp.asarray(data[0, 0]), n_steps=3)
    np.testing.assert_array_equal(to_np(got), librosa.feature.stack_memory(data[0, 0], n_steps=3))


def _mel(dtype, shape=(2, 12000)):
    y = _signal(shape)
    return (librosa.feature.melspectrogram(y=y, sr=SR, n_mels=32, power=1.0) * 1000).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(power=0.0),
        dict(bias=0.0),
        dict(gain=0.5, b=0.3, eps=1e-3),
        dict(time_constant=5.0, hop_length=256),
        dict(max_size=3, max_axis=-2),
    ],
)
def test_pcen_matches_librosa(xp, dtype, kw):
    S = _mel(dtype)
    got = sigpu.pcen(xp.asarray(S), sr=SR, **kw)
    # reference in float64 (librosa's lfilter promotes float32 to float64 anyway)
    ref_kw = dict(kw, max_axis=0) if "max_axis" in kw else kw
    ref = np.stack([librosa.pcen(s.astype(np.float64), sr=SR, **ref_kw) for s in S])
    assert_array(got, dtype=dtype, shape=S.shape)
    _close(got, ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pcen_state_and_axis_match_librosa(xp, dtype):
    S = _mel(dtype, (5000,))
    zi = np.random.default_rng(5).uniform(0, 2, (S.shape[0], 1))
    got, zf = sigpu.pcen(xp.asarray(S), zi=xp.asarray(zi.astype(dtype)), return_zf=True)
    ref, zf_ref = librosa.pcen(S.astype(np.float64), zi=zi, return_zf=True)
    _close(got, ref, dtype)
    _close(zf, zf_ref, dtype)
    got = sigpu.pcen(xp.asarray(S.T.copy()), axis=0, max_size=4)
    _close(got, librosa.pcen(S.T.astype(np.float64), axis=0, max_size=4), dtype)


def test_pcen_streams_in_blocks(xp):
    """Two calls chained through zf equal one call on the whole (the state is exact)."""
    S = _mel(np.float64, (9000,))
    whole = to_np(sigpu.pcen(xp.asarray(S)))
    first, zf = sigpu.pcen(xp.asarray(S[:, :7]), return_zf=True)
    second = sigpu.pcen(xp.asarray(S[:, 7:]), zi=zf)
    np.testing.assert_allclose(
        np.concatenate([to_np(first), to_np(second)], axis=-1), whole, rtol=1e-12
    )


def test_pcen_of_complex_input_warns_and_uses_the_magnitude(xp):
    D = librosa.stft(_signal((4000,)), n_fft=256)
    with pytest.warns(UserWarning, match="phase information will be discarded"):
        got = sigpu.pcen(xp.asarray(D))
    _close(got, librosa.pcen(np.abs(D)), np.float64)


# ---------------------------------------------------------------------------
# constant-Q pitch features
# ---------------------------------------------------------------------------


def _cqt_magnitude(dtype, bins_per_octave=36, n_octaves=7):
    y = _signal((2, 3 * SR // 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # librosa: n_fft too large for the top octaves
        C = librosa.cqt(
            y, sr=SR, n_bins=n_octaves * bins_per_octave, bins_per_octave=bins_per_octave
        )
    return np.abs(C).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tonnetz_matches_librosa(xp, dtype):
    chroma = np.random.default_rng(6).random((2, 12, 30)).astype(dtype)
    chroma[0, :, 3] = 0  # a silent frame stays unnormalised
    got = feature.tonnetz(chroma=xp.asarray(chroma))
    ref = librosa.feature.tonnetz(chroma=chroma)
    assert_array(got, dtype=dtype, shape=ref.shape)
    _close(got, ref, dtype)
    # a 24-bin chroma (quarter tones)
    chroma_24 = np.random.default_rng(7).random((24, 10)).astype(dtype)
    _close(
        feature.tonnetz(chroma=xp.asarray(chroma_24)),
        librosa.feature.tonnetz(chroma=chroma_24),
        dtype,
    )


def test_tonnetz_of_a_signal_is_the_tonnetz_of_its_cqt_chroma(xp):
    y = xp.asarray(_signal((2 * SR,)).astype(np.float32))
    got = to_np(feature.tonnetz(y, sr=SR, tuning=0.0, fmin=65.0, n_octaves=5))
    chroma = sigpu.chroma_cqt(y, sr=SR, tuning=0.0, fmin=65.0, n_octaves=5)
    np.testing.assert_array_equal(got, to_np(feature.tonnetz(chroma=chroma)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(win_len_smooth=10),
        dict(win_len_smooth=None, norm=np.inf),
        dict(smoothing_window="triang"),
    ],
)
def test_chroma_cens_matches_librosa(xp, dtype, kw):
    C = _cqt_magnitude(dtype)
    got = feature.chroma_cens(C=xp.asarray(C), sr=SR, **kw)
    ref = librosa.feature.chroma_cens(C=C, sr=SR, **kw)
    assert_array(got, dtype=dtype, shape=ref.shape)
    _close(got, ref, dtype)


def test_chroma_cens_of_a_signal_uses_sigpus_cqt(xp):
    y = xp.asarray(_signal((2 * SR,)))
    got = to_np(feature.chroma_cens(y, sr=SR, tuning=0.0, n_octaves=5, fmin=65.0))
    C = sigpu.cqt(y, sr=SR, tuning=0.0, n_bins=180, bins_per_octave=36, fmin=65.0)
    want = to_np(feature.chroma_cens(C=C, sr=SR, fmin=65.0, n_octaves=5))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_chroma_vqt_matches_librosa(xp, dtype):
    V = _cqt_magnitude(dtype, bins_per_octave=24, n_octaves=6)
    for kw in ({}, dict(norm=2, threshold=0.5), dict(fmin=40.0, norm=None)):
        got = feature.chroma_vqt(
            V=xp.asarray(V), sr=SR, intervals="equal", bins_per_octave=24, **kw
        )
        ref = librosa.feature.chroma_vqt(V=V, sr=SR, intervals="equal", bins_per_octave=24, **kw)
        assert_array(got, dtype=dtype, shape=ref.shape)
        _close(got, ref, dtype)


def test_chroma_vqt_of_a_signal_uses_sigpus_vqt(xp):
    y = xp.asarray(_signal((SR,)))
    got = to_np(feature.chroma_vqt(y, sr=SR, intervals="equal", gamma=5.0, n_octaves=6))
    V = sigpu.vqt(y, sr=SR, n_bins=72, gamma=5.0)
    want = to_np(feature.chroma_vqt(V=V, sr=SR, intervals="equal"))
    np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------
# bad input: ParameterError / TypeError naming the parameter
# ---------------------------------------------------------------------------

Y = _signal((4096,))
S_MAG = np.abs(librosa.stft(Y, n_fft=512))
BAD = [
    (feature.spectral_centroid, dict(S=S_MAG, freq=np.ones(5)), ParameterError, "freq"),
    (feature.spectral_bandwidth, dict(y=Y, p=0), ParameterError, "p="),
    (feature.spectral_bandwidth, dict(y=Y, norm="yes"), TypeError, "norm"),
    (
        feature.spectral_bandwidth,
        dict(S=S_MAG, centroid=np.ones((1, 2))),
        ParameterError,
        "centroid",
    ),
    (feature.spectral_rolloff, dict(y=Y, roll_percent=1.0), ParameterError, "roll_percent"),
    (feature.spectral_flatness, dict(y=Y, amin=0.0), ParameterError, "amin"),
    (feature.spectral_flatness, dict(y=Y, power=-1), ParameterError, "power"),
    (feature.spectral_contrast, dict(y=Y, quantile=0.0), ParameterError, "quantile"),
    (feature.spectral_contrast, dict(y=Y, n_bands=10), ParameterError, "n_bands"),
    (feature.spectral_contrast, dict(y=Y, fmin=-3.0), ParameterError, "fmin"),
    (feature.spectral_contrast, dict(S=S_MAG, fmin=5.0), ParameterError, "no frequency bin"),
    (feature.poly_features, dict(y=Y, order=-1), ParameterError, "order"),
    (feature.spectral_centroid, dict(), ParameterError, "either"),
    (feature.spectral_centroid, dict(y=Y.astype(np.int16)), TypeError, "dtype"),
    (feature.rms, dict(y=Y, frame_length=0), ParameterError, "frame_length"),
    (feature.rms, dict(y=Y[:10], center=False), ParameterError, "frame_length"),
    (feature.rms, dict(S=S_MAG, frame_length=1000), ParameterError, "frame_length"),
    (feature.rms, dict(y=Y, pad_mode="median"), ParameterError, "pad_mode"),
    (feature.rms, dict(y=Y, dtype=np.int32), TypeError, "dtype"),
    (feature.zero_crossing_rate, dict(y=Y, hop_length=0), ParameterError, "hop_length"),
    (feature.zero_crossing_rate, dict(y=Y, axis=0), TypeError, "axis"),
    (sigpu.zero_crossings, dict(y=Y, threshold=-1), ParameterError, "threshold"),
    (sigpu.zero_crossings, dict(y=Y, axis=3), ParameterError, "axis"),
    (sigpu.magphase, dict(D=Y.astype(np.int64)), TypeError, "dtype"),
    (sigpu.magphase, dict(D=S_MAG, power=0), ParameterError, "power"),
    (sigpu.A_weighting, dict(frequencies="x"), TypeError, "frequencies"),
    (sigpu.A_weighting, dict(frequencies=FREQS, min_db=np.nan), ParameterError, "min_db"),
    (sigpu.frequency_weighting, dict(frequencies=FREQS, kind="E"), ParameterError, "kind"),
    (sigpu.multi_frequency_weighting, dict(frequencies=FREQS, kinds="AX"), ParameterError, "kinds"),
    (sigpu.perceptual_weighting, dict(S=S_MAG, frequencies=FREQS), ParameterError, "frequencies"),
    (feature.delta, dict(data=S_MAG, width=4), ParameterError, "width"),
    (feature.delta, dict(data=S_MAG, width=99), ParameterError, "width"),
    (feature.delta, dict(data=S_MAG, order=0), ParameterError, "order"),
    (feature.delta, dict(data=S_MAG, mode="same"), ParameterError, "mode"),
    (feature.delta, dict(data=S_MAG, polyorder=9), ParameterError, "polyorder"),
    (feature.delta, dict(data=S_MAG, deriv=2), TypeError, "deriv"),
    (feature.stack_memory, dict(data=S_MAG, n_steps=0), ParameterError, "n_steps"),
    (feature.stack_memory, dict(data=S_MAG, delay=0), ParameterError, "delay"),
    (feature.stack_memory, dict(data=S_MAG, mode="mean"), ParameterError, "mode"),
    (sigpu.pcen, dict(S=S_MAG, gain=-1), ParameterError, "gain"),
    (sigpu.pcen, dict(S=S_MAG, b=2.0), ParameterError, "b="),
    (sigpu.pcen, dict(S=S_MAG, eps=0), ParameterError, "eps"),
    (sigpu.pcen, dict(S=S_MAG, time_constant=0), ParameterError, "time_constant"),
    (sigpu.pcen, dict(S=S_MAG[None], max_size=3), ParameterError, "max_axis"),
    (sigpu.pcen, dict(S=S_MAG, zi=np.ones((3, 2))), ParameterError, "zi"),
    (sigpu.pcen, dict(S=S_MAG, ref=np.ones(3)), ParameterError, "ref"),
    (feature.tonnetz, dict(), ParameterError, "chroma"),
    (feature.chroma_cens, dict(y=Y, win_len_smooth=0), ParameterError, "win_len_smooth"),
    (feature.chroma_cens, dict(y=Y, smoothing_window=3), ParameterError, "smoothing_window"),
    (feature.chroma_vqt, dict(y=Y, intervals="ji5"), ParameterError, "intervals"),
    (feature.chroma_vqt, dict(intervals="equal"), ParameterError, "V"),
]


@pytest.mark.parametrize(
    ("func", "kwargs", "error", "match"), BAD, ids=[f"{b[0].__name__}-{b[3]}" for b in BAD]
)
def test_bad_input_names_the_parameter(func, kwargs, error, match):
    with pytest.raises(error, match=match):
        func(**kwargs)


def test_non_finite_audio_is_refused(xp):
    y = _signal((4096,))
    y[100] = np.nan
    for func in (feature.rms, feature.zero_crossing_rate, feature.spectral_centroid):
        with pytest.raises(ParameterError, match="not finite"):
            func(xp.asarray(y))


def test_nan_in_a_feature_sequence_stays_local(xp):
    """Spectrogram and feature inputs are not checked (only audio is): a NaN reaches the
    outputs that read it, and no others."""
    data = np.random.default_rng(8).random((3, 40))
    data[1, 20] = np.nan
    got = to_np(feature.delta(xp.asarray(data), width=5))
    assert np.isnan(got[1, 18:23]).all() and np.isfinite(np.delete(got, range(18, 23), 1)).all()
    assert np.isfinite(got[[0, 2]]).all()
    got = to_np(sigpu.pcen(xp.asarray(data)))
    assert np.isnan(got[1, 20:]).all() and np.isfinite(got[1, :20]).all()
    assert np.isfinite(got[[0, 2]]).all()


def test_results_stay_on_the_input_library(xp):
    y = xp.asarray(_signal((4096,)).astype(np.float32))
    for result in (
        feature.spectral_contrast(y, n_bands=3),
        sigpu.pcen(feature.melspectrogram(y, n_mels=16)),
        feature.delta(feature.mfcc(y)),
        feature.stack_memory(feature.mfcc(y)),
    ):
        assert_array(result, dtype=np.float32)


def test_band_grouped_bank_product_equals_the_dense_product(xp):
    """The CPU's small-input filter-bank product (GEMMs over each group's bands) against
    the dense product: a mel bank (grouped), one with empty filters (n_mels too large for
    n_fft: all-zero rows) and a dense chroma bank (one GEMM); the GPU's single GEMM too."""
    from sigpu._backend import kernel

    rng = np.random.default_rng(12)
    for dtype in DTYPES:
        rows = rng.random((300, 1025)).astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # librosa: empty mel filters
            banks = [
                librosa.filters.mel(sr=SR, n_fft=2048, n_mels=128),
                librosa.filters.mel(sr=SR, n_fft=2048, n_mels=400),
                librosa.filters.chroma(sr=SR, n_fft=2048),
            ]
        for bank in banks:
            bank = bank.astype(dtype)
            got = kernel(xp, "bank.apply")(xp.asarray(rows), xp.asarray(bank))
            assert_array(got, dtype=dtype, shape=(300, bank.shape[0]))
            _close(got, rows.astype(np.float64) @ bank.T.astype(np.float64), dtype)
