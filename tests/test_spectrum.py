"""STFT family vs librosa, scipy ShortTimeFFT and analytic identities (spectral spec §1, §5)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

import sigpu
from sigpu import spectrum
from sigpu._errors import ParameterError

from .helpers import rel_to_peak, to_np, tol

librosa = pytest.importorskip("librosa")

DTYPES = [np.float32, np.float64]


def _signal(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


# The spec's test map: n_fft (incl. odd), hop 1..n_fft, win_length < n_fft,
# several windows, centred or not, several pad modes.
STFT_CASES = [
    dict(n_fft=2048),
    dict(n_fft=1024, hop_length=128, window="hamming"),
    dict(n_fft=512, hop_length=512, window="blackman", center=False),
    dict(n_fft=256, hop_length=1, window="ones", n=600),
    dict(n_fft=511, hop_length=100, win_length=400, window=("kaiser", 8.0)),
    dict(n_fft=63, hop_length=15, n=105),
    dict(n_fft=256, hop_length=64, win_length=200, pad_mode="reflect"),
    dict(n_fft=256, hop_length=64, pad_mode="edge", window="hann"),
    dict(n_fft=300, hop_length=75, pad_mode="symmetric", center=True),
    dict(n_fft=128, hop_length=32, pad_mode="linear_ramp"),
    dict(n_fft=512, hop_length=128, center=False, window="ones"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "case", STFT_CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items())
)
def test_stft_matches_librosa(xp, rng, dtype, case):
    case = dict(case)
    n = case.pop("n", 3000)
    y = _signal(rng, (2, n), dtype)
    ref = librosa.stft(y, **case)
    out = spectrum.stft(xp.asarray(y), **case)
    assert out.dtype == ref.dtype and out.shape == ref.shape
    assert rel_to_peak(out, ref) <= tol(dtype, 1e-5, 1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stft_matches_scipy_short_time_fft(xp, rng, dtype):
    # ShortTimeFFT references phase to the window centre: multiply by (-1)^k (even n_fft).
    n_fft, hop, n = 512, 128, 4000
    y = _signal(rng, n, dtype)
    win = scipy.signal.get_window("hann", n_fft)
    sft = scipy.signal.ShortTimeFFT(win, hop=hop, fs=1.0, mfft=n_fft)
    ref = sft.stft(y.astype(np.float64), p0=0, p1=1 + n // hop)
    ref = ref * ((-1.0) ** np.arange(ref.shape[0]))[:, None]
    out = spectrum.stft(xp.asarray(y), n_fft=n_fft, hop_length=hop)
    assert rel_to_peak(out, ref) <= tol(dtype, 1e-5, 1e-12)


def test_frame_counts_from_spec():
    y = np.zeros(22050, dtype=np.float32)
    assert spectrum.stft(y, n_fft=2048, hop_length=512).shape == (1025, 44)
    assert spectrum.stft(y, n_fft=2048, hop_length=512, center=False).shape == (1025, 40)
    assert spectrum.stft(np.zeros(105), n_fft=63, hop_length=15).shape == (32, 7)
    assert spectrum.istft(np.zeros((1025, 44), np.complex64)).shape == (22016,)


def test_pure_tone_lands_in_its_bin(xp):
    sr, n_fft = 8000, 1024
    k = 100  # exact bin frequency: no leakage beyond the window's main lobe
    t = np.arange(sr) / sr
    y = xp.asarray(np.cos(2 * np.pi * k * sr / n_fft * t))
    S = to_np(spectrum.spectrogram(y, n_fft=n_fft, power=1.0))
    assert np.all(S[:, 2:-2].argmax(axis=0) == k)
    # Hann window: the peak amplitude of a unit cosine is sum(w)/2 = n_fft/4.
    np.testing.assert_allclose(S[k, 2:-2], n_fft / 4, rtol=1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_parseval_per_frame(xp, rng, dtype):
    # Rectangular window, uncentred: sum_n |x|^2 = (|X_0|^2 + 2 sum |X_k|^2 + |X_N/2|^2) / n_fft.
    n_fft = 256
    y = _signal(rng, 2048, dtype)
    D = to_np(
        spectrum.stft(xp.asarray(y), n_fft=n_fft, hop_length=n_fft, window="ones", center=False)
    )
    P = np.abs(D.astype(np.complex128)) ** 2
    energy = (P[0] + 2 * P[1:-1].sum(axis=0) + P[-1]) / n_fft
    frames = y.astype(np.float64).reshape(-1, n_fft)
    np.testing.assert_allclose(energy, (frames**2).sum(axis=1), rtol=tol(dtype, 1e-5, 1e-12))


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_equals_stacked_calls(xp, rng, dtype):
    y = _signal(rng, (2, 3, 1500), dtype)
    batched = to_np(spectrum.stft(xp.asarray(y), n_fft=256, hop_length=64))
    assert batched.shape[:2] == (2, 3)
    for i in range(2):
        for j in range(3):
            single = to_np(spectrum.stft(xp.asarray(y[i, j]), n_fft=256, hop_length=64))
            np.testing.assert_array_equal(batched[i, j], single)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "case",
    [
        dict(n_fft=2048),
        dict(n_fft=512, hop_length=128, window="hamming"),
        dict(n_fft=511, hop_length=100, win_length=400),
        dict(n_fft=256, hop_length=64, window="blackman"),
        dict(n_fft=256, hop_length=200, window="ones"),
    ],
)
def test_istft_round_trip_and_librosa(xp, rng, dtype, case):
    n = 5000
    y = _signal(rng, (2, n), dtype)
    D = spectrum.stft(xp.asarray(y), **case)
    y_back = spectrum.istft(D, **case, length=n)
    assert y_back.dtype == dtype and y_back.shape == (2, n)
    peak = np.abs(y).max()
    assert np.abs(to_np(y_back) - y).max() <= tol(dtype, 1e-5, 1e-12) * peak
    ref = librosa.istft(to_np(D), **case, length=n)
    assert np.abs(to_np(y_back) - ref).max() <= tol(dtype, 1e-5, 1e-12) * peak


@pytest.mark.parametrize("length", [None, 1000, 7000])
def test_istft_length_and_frame_use_match_librosa(xp, rng, length):
    D = (rng.standard_normal((257, 30)) + 1j * rng.standard_normal((257, 30))).astype(np.complex128)
    for center in (True, False):
        ref = librosa.istft(D, hop_length=128, center=center, length=length)
        out = spectrum.istft(xp.asarray(D), hop_length=128, center=center, length=length)
        assert out.shape == ref.shape
        np.testing.assert_allclose(to_np(out), ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_istft_with_array_window(xp, rng):
    win = scipy.signal.get_window("hann", 400)
    y = rng.standard_normal(3000)
    D = spectrum.stft(
        xp.asarray(y), n_fft=512, win_length=400, hop_length=100, window=xp.asarray(win)
    )
    back = spectrum.istft(
        D, n_fft=512, win_length=400, hop_length=100, window=xp.asarray(win), length=3000
    )
    np.testing.assert_allclose(to_np(back), y, atol=1e-12)


def test_plan_equals_functions(xp, rng):
    y = xp.asarray(_signal(rng, (2, 4000), np.float32))
    plan = spectrum.STFT(n_fft=512, hop_length=128, window="hamming")
    D = plan(y)
    np.testing.assert_array_equal(
        to_np(D), to_np(spectrum.stft(y, n_fft=512, hop_length=128, window="hamming"))
    )
    np.testing.assert_array_equal(
        to_np(plan.inverse(D, length=4000)),
        to_np(spectrum.istft(D, n_fft=512, hop_length=128, window="hamming", length=4000)),
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_spectrogram_power(xp, rng, dtype):
    y = _signal(rng, 3000, dtype)
    D = librosa.stft(y, n_fft=512)
    for power in (1.0, 2.0, 1.5):
        S = spectrum.spectrogram(xp.asarray(y), n_fft=512, power=power)
        assert S.dtype == dtype
        assert rel_to_peak(S, np.abs(D) ** power) <= tol(dtype, 1e-5, 1e-12)


def test_db_hand_values():
    np.testing.assert_allclose(
        spectrum.power_to_db(np.array([1.0, 10.0, 1e-12, 0.0])), [0, 10, -70, -70]
    )
    np.testing.assert_allclose(spectrum.amplitude_to_db(np.array([1.0, 10.0, 0.0])), [0, 20, -60])
    np.testing.assert_allclose(
        spectrum.power_to_db(np.array([[1.0, 1e-9], [1e-3, 1e-12]])), [[0, -80], [-30, -80]]
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_db_matches_librosa(xp, rng, dtype):
    S = (rng.random((2, 65, 40)) ** 4).astype(dtype)
    for kwargs in (
        dict(),
        dict(ref=np.max),
        dict(top_db=None, amin=1e-6),
        dict(ref=0.5, top_db=40.0),
    ):
        out = spectrum.power_to_db(xp.asarray(S), **kwargs)
        assert out.dtype == dtype
        np.testing.assert_allclose(
            to_np(out),
            librosa.power_to_db(S, **kwargs),
            rtol=tol(dtype, 1e-5, 1e-12),
            atol=tol(dtype, 1e-4, 1e-10),
        )
        out = spectrum.amplitude_to_db(xp.asarray(S), **kwargs)
        np.testing.assert_allclose(
            to_np(out),
            librosa.amplitude_to_db(S, **kwargs),
            rtol=tol(dtype, 1e-5, 1e-12),
            atol=tol(dtype, 1e-4, 1e-10),
        )
    dB = librosa.power_to_db(S, top_db=None)
    np.testing.assert_allclose(
        to_np(spectrum.db_to_power(xp.asarray(dB))),
        librosa.db_to_power(dB),
        rtol=tol(dtype, 1e-5, 1e-12),
    )
    np.testing.assert_allclose(
        to_np(spectrum.db_to_amplitude(xp.asarray(dB))),
        librosa.db_to_amplitude(dB),
        rtol=tol(dtype, 1e-5, 1e-12),
    )


def test_top_db_uses_global_max_over_batch(xp):
    # librosa semantics: a quiet item in a batch is clipped relative to the loud one.
    S = np.stack([np.full(4, 1.0), np.full(4, 1e-12)])
    out = to_np(spectrum.power_to_db(xp.asarray(S), top_db=80.0))
    np.testing.assert_allclose(out[1], -80.0)
    np.testing.assert_allclose(to_np(spectrum.power_to_db(xp.asarray(S[1]), top_db=80.0)), -100.0)


def test_complex_power_to_db_warns(xp):
    with pytest.warns(UserWarning, match="phase information will be discarded"):
        spectrum.power_to_db(xp.asarray(np.ones(3, np.complex64)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_griffinlim_init_none_matches_librosa(xp, rng, dtype):
    y = _signal(rng, 4000, dtype)
    S = np.abs(librosa.stft(y, n_fft=512, hop_length=128))
    ref = librosa.griffinlim(S, n_iter=8, hop_length=128, init=None, length=4000)
    out = spectrum.griffinlim(xp.asarray(S), n_iter=8, hop_length=128, init=None, length=4000)
    assert out.dtype == dtype
    assert rel_to_peak(out, ref) <= tol(dtype, 1e-3, 1e-10)


def test_griffinlim_seeded_random_matches_librosa(xp, rng):
    y = rng.standard_normal(3000)
    S = np.abs(librosa.stft(y, n_fft=256))
    ref = librosa.griffinlim(S, n_iter=5, random_state=7)
    out = spectrum.griffinlim(xp.asarray(S), n_iter=5, random_state=7)
    assert rel_to_peak(out, ref) <= 1e-10


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("init", [None, "seeded"])
def test_griffinlim_fused_step_matches_librosa(xp, rng, monkeypatch, dtype, init):
    """Large inputs take the fused phase projection (``spectrum.project_phases``): a batch
    of two, against librosa's iteration, both initialisations."""
    monkeypatch.setattr(spectrum, "FUSED_KERNEL_MIN_SIZE", 0)
    y = np.stack([_signal(rng, 4000, dtype), _signal(rng, 4000, dtype)])
    S = np.abs(librosa.stft(y, n_fft=512, hop_length=128))
    kw = dict(n_iter=8, hop_length=128, length=4000)
    kw.update(init=None) if init is None else kw.update(random_state=3)
    ref = librosa.griffinlim(S, **kw)
    out = spectrum.griffinlim(xp.asarray(S), **kw)
    assert out.dtype == dtype and out.shape == ref.shape
    assert rel_to_peak(out, ref) <= tol(dtype, 1e-3, 1e-10)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("layout", ["stft", "C", "magnitude_F"])
@pytest.mark.parametrize("threads", [1, 3])
def test_project_phases_kernel_matches_array_expression(
    xp, rng, monkeypatch, dtype, layout, threads
):
    """The fused Griffin-Lim update equals librosa's formula ``S * (A / (|A| + tiny))``,
    ``A = rebuilt - w * previous``, as NumPy evaluates it, to a few units in the last place
    of ``S``: with and without ``previous``, zeros and parts far below 1 (whose squares
    underflow), the STFT's time-major view, C order and a magnitude in another layout, on
    blocks smaller than the array."""
    from sigpu._backend import kernel
    from sigpu._kernels import cpu_threads, spectrum_numba

    monkeypatch.setattr(cpu_threads, "WORKERS", threads)
    monkeypatch.setattr(spectrum_numba, "_BLOCK_ELEMENTS", 1000)
    real = np.float32 if dtype == np.complex64 else np.float64
    shape = (2, 90, 65)  # (batch, T, F): 11 700 elements, 12 blocks

    def spectra():
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)

    rebuilt, previous = spectra(), spectra()
    rebuilt.reshape(-1)[::11] = 0
    rebuilt.reshape(-1)[5::13] *= 1e-40 if real == np.float32 else 1e-170
    magnitude = np.abs(rng.standard_normal(shape)).astype(real)
    if layout == "stft":  # time-major memory seen as (batch, F, T), as sigpu.stft returns
        rebuilt, previous, magnitude = (
            np.swapaxes(a, -1, -2) for a in (rebuilt, previous, magnitude)
        )
    elif layout == "magnitude_F":
        magnitude = np.asfortranarray(magnitude)
    weight = 0.99 / 1.99
    tiny = np.finfo(real).tiny
    project = kernel(xp, "spectrum.project_phases")
    for prev in (previous, None):
        A = rebuilt if prev is None else rebuilt - weight * prev
        ref = magnitude * (A / (np.abs(A) + tiny))
        got = project(
            xp.asarray(rebuilt),
            None if prev is None else xp.asarray(prev),
            xp.asarray(magnitude),
            weight,
        )
        assert got.shape == ref.shape and got.dtype == ref.dtype
        err = np.abs(to_np(got) - ref) / np.maximum(magnitude, tiny)
        assert np.max(err) <= 4 * np.finfo(real).eps


def test_griffinlim_error_decreases_with_iterations(xp, rng):
    t = np.arange(8000) / 8000
    y = (np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 1250 * t * (1 + t))).astype(
        np.float64
    )
    S = np.abs(librosa.stft(y, n_fft=512))

    def spectral_error(n_iter):
        y_hat = spectrum.griffinlim(xp.asarray(S), n_iter=n_iter, random_state=0, length=8000)
        return np.linalg.norm(np.abs(librosa.stft(to_np(y_hat), n_fft=512)) - S)

    errors = [spectral_error(n) for n in (1, 10, 50)]
    assert errors[0] > errors[1] > errors[2]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_audio_raises_like_librosa_unless_unchecked(xp, bad):
    """librosa's policy (its ``valid_audio`` in ``stft``): NaN/inf audio is a ParameterError
    with librosa's message; under ``sigpu.check_finite(False)`` it reaches only the frames
    that contain it."""
    y = np.zeros(4096)
    y[2000] = bad
    with pytest.raises(ParameterError, match="Audio buffer is not finite everywhere"):
        spectrum.stft(xp.asarray(y), n_fft=256, hop_length=256, center=False)
    with pytest.raises(librosa.util.exceptions.ParameterError, match="not finite everywhere"):
        librosa.stft(y, n_fft=256, hop_length=256, center=False)
    with sigpu.check_finite(False):
        D = to_np(spectrum.stft(xp.asarray(y), n_fft=256, hop_length=256, center=False))
    bad_frames = ~np.isfinite(D).all(axis=0)
    assert bad_frames.tolist() == [t == 2000 // 256 for t in range(D.shape[1])]
    # the setting is restored on leaving the block
    with pytest.raises(ParameterError, match="not finite"):
        spectrum.stft(xp.asarray(y), n_fft=256, hop_length=256, center=False)


def test_griffinlim_non_finite_magnitude_raises_like_librosa(xp):
    S = np.ones((129, 20))
    S[3, 4] = np.nan
    with pytest.raises(ParameterError, match="griffinlim: Audio buffer is not finite"):
        spectrum.griffinlim(xp.asarray(S), n_iter=2, random_state=0)
    with pytest.raises(librosa.util.exceptions.ParameterError, match="not finite everywhere"):
        librosa.griffinlim(S, n_iter=2, random_state=0)


def test_n_fft_far_larger_than_the_signal_is_a_parameter_error(xp):
    """Not an 8 TiB MemoryError (the plan's window) nor frames of padding only."""
    y = xp.asarray(np.ones(100, np.float32))
    with pytest.raises(ParameterError, match=r"n_fft=1099511627776 is far larger"):
        spectrum.stft(y, n_fft=2**40)
    with pytest.raises(ParameterError, match="far larger"):
        spectrum.STFT(n_fft=2**17)(y)
    with pytest.warns(UserWarning, match="too large"):  # librosa's warning, still computed
        assert spectrum.stft(y, n_fft=4096).shape == (2049, 1)


def test_db_reference_must_be_a_finite_number_array_or_callable(xp):
    S = xp.asarray(np.ones(3))
    for func in (spectrum.power_to_db, spectrum.amplitude_to_db):
        with pytest.raises(ParameterError, match="ref=nan must be finite"):
            func(S, ref=np.nan)
        with pytest.raises(ParameterError, match="ref=inf must be finite"):
            func(S, ref=np.inf)
        with pytest.raises(TypeError, match="ref='abc' must be a number"):
            func(S, ref="abc")
        with pytest.raises(ParameterError, match="top_db=80.0 clips at the max of S"):
            func(xp.zeros((2, 0)))


def test_window_must_be_finite(xp):
    window = np.hanning(256)
    window[10] = np.nan
    with pytest.raises(ParameterError, match="window=<array> must be finite everywhere"):
        spectrum.stft(xp.asarray(np.ones(1024)), n_fft=256, window=xp.asarray(window))


def test_short_signal_warns_like_librosa(xp):
    with pytest.warns(UserWarning, match="n_fft=2048 is too large for input signal of length=100"):
        D = spectrum.stft(xp.asarray(np.ones(100, np.float32)))
    assert D.shape == (1025, 1)
    with pytest.warns(UserWarning, match="too large"):
        out = spectrum.stft(xp.asarray(np.arange(50.0)), n_fft=256, pad_mode="reflect")
    with pytest.warns(UserWarning, match="too large"):
        ref = librosa.stft(np.arange(50.0), n_fft=256, pad_mode="reflect")
    assert rel_to_peak(out, ref) <= 1e-12


# ---- bad input: one test per parameter family ----


def test_bad_dtypes_and_types(xp):
    for dt in ("int16", "bool", "float16"):
        with pytest.raises(TypeError, match="float32 or float64"):
            spectrum.stft(xp.zeros(4096, dtype=dt))
    with pytest.raises(TypeError, match="ndarray"):
        spectrum.stft([0.0] * 4096)
    with pytest.raises(TypeError, match="complex64 or complex128"):
        spectrum.stft(xp.zeros(4096), dtype=np.float32)
    with pytest.raises(TypeError, match="istft needs complex"):
        spectrum.istft(xp.zeros((1025, 4)))


def test_bad_shapes(xp):
    with pytest.raises(ParameterError, match="at least 1 dimension"):
        spectrum.stft(xp.asarray(np.float64(1.0)).reshape(()))
    with pytest.raises(ParameterError, match="empty"):
        spectrum.stft(xp.zeros(0))
    with pytest.raises(ParameterError, match="too large for uncentered analysis"):
        spectrum.stft(xp.zeros(100), center=False)
    with pytest.raises(ParameterError, match="frequency bins"):
        spectrum.istft(xp.zeros((100, 4), dtype=xp.complex64), n_fft=2048)
    with pytest.raises(ParameterError, match="at least 2 samples"):
        spectrum.stft(xp.zeros(1), n_fft=16, pad_mode="reflect")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_fft=0), "n_fft=0 must be a positive integer"),
        (dict(hop_length=0), "hop_length=0 must be a positive integer"),
        (dict(n_fft=8, win_length=2), "hop_length=0 must be a positive integer"),
        (dict(hop_length=2.5), "hop_length=2.5 must be a positive integer"),
        (dict(win_length=4096), "win_length=4096 must be <= n_fft=2048"),
        (dict(window="not-a-window"), "window='not-a-window'"),
        (dict(window=np.ones(100)), "win_length=2048"),
        (dict(pad_mode="wrap"), "pad_mode='wrap' is not supported"),
    ],
)
def test_bad_parameters(xp, kwargs, match):
    if isinstance(kwargs.get("window"), np.ndarray):
        kwargs = dict(kwargs, window=xp.asarray(kwargs["window"]))
    with pytest.raises(ParameterError, match=match):
        spectrum.stft(xp.zeros(8192), **kwargs)


def test_nola_violation_warns_and_computes(xp):
    # librosa returns a signal here (no warning); sigpu warns, see test_librosa_edges
    D = xp.ones((129, 10), dtype=xp.complex64)
    with pytest.warns(UserWarning, match="NOLA condition: 64 of every 128 samples"):
        y = spectrum.istft(D, n_fft=256, win_length=64, hop_length=128, window="ones")
    assert y.shape == (128 * 9,)


def test_db_and_griffinlim_bad_values(xp):
    S = xp.ones((129, 5))
    with pytest.raises(ParameterError, match="amin"):
        spectrum.power_to_db(S, amin=0)
    with pytest.raises(ParameterError, match="top_db"):
        spectrum.power_to_db(S, top_db=-1)
    with pytest.raises(ParameterError, match="momentum"):
        spectrum.griffinlim(S, momentum=-0.5)
    with pytest.raises(ParameterError, match="init"):
        spectrum.griffinlim(S, init="zeros")
    with pytest.warns(UserWarning, match="unstable"):
        spectrum.griffinlim(S, momentum=1.5, n_iter=1, init=None)
    with pytest.raises(ParameterError, match="power"):
        spectrum.spectrogram(xp.zeros(4096), power=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_db_with_callable_refs_matches_librosa(xp, rng, dtype):
    """``ref=np.max`` and an array-valued ref (a per-row max, a view of the input) on
    magnitudes, powers and a complex STFT, against librosa (same formula, same values up to
    librosa computing a scalar ref's log in float64)."""
    S = rng.random((3, 5, 7)).astype(dtype) ** 2
    D = (rng.standard_normal((2, 9, 11)) + 1j * rng.standard_normal((2, 9, 11))).astype(
        np.complex64 if dtype == np.float32 else np.complex128
    )

    def row_max(s):
        return (
            np.max(s, axis=-1, keepdims=True)
            if isinstance(s, np.ndarray)
            else s.max(axis=-1, keepdims=True)
        )

    for ref in (np.max, row_max):
        xp_ref = ref if ref is row_max else (lambda s: s.max())
        got = spectrum.power_to_db(xp.asarray(S), ref=xp_ref)
        np.testing.assert_allclose(
            to_np(got), librosa.power_to_db(S, ref=ref), atol=tol(dtype, 2e-5, 1e-12)
        )
        got = spectrum.amplitude_to_db(xp.asarray(S), ref=xp_ref)
        np.testing.assert_allclose(
            to_np(got), librosa.amplitude_to_db(S, ref=ref), atol=tol(dtype, 2e-5, 1e-12)
        )
    with pytest.warns(UserWarning, match="phase information will be discarded"):
        want = librosa.amplitude_to_db(D, ref=np.max)
    with pytest.warns(UserWarning, match="phase information will be discarded"):
        got = spectrum.amplitude_to_db(xp.asarray(D), ref=lambda s: s.max())
    np.testing.assert_allclose(to_np(got), want, atol=tol(dtype, 2e-5, 1e-12))


def test_db_of_0d_and_empty_input_behave_like_numpy(xp):
    """A 0-d input gives a 0-d result (a NumPy scalar on the CPU, as NumPy's ufuncs), an
    empty one with ``top_db`` the error of NumPy's/CuPy's max of an empty array."""
    for value in (spectrum.power_to_db(xp.asarray(10.0)), spectrum.db_to_power(xp.asarray(10.0))):
        assert value.shape == () and float(value) == 10.0
    assert spectrum.power_to_db(xp.zeros((2, 0)), top_db=None).shape == (2, 0)
    with pytest.raises(ValueError):
        spectrum.power_to_db(xp.zeros((2, 0)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["stft", "C", "F", "strided"])
@pytest.mark.parametrize("threads", [1, 3])
def test_db_kernels_equal_array_expressions(xp, rng, monkeypatch, dtype, layout, threads):
    """``db.power_to_db`` and ``db.db_to_power`` (blocks in place on the pool) equal the
    spec's expressions bit for bit: ``10 log10(max(S, amin)) - offset`` clipped at the
    global max - top_db, and ``ref * 10**(S_db/10)``; in the input's shape and axis order,
    for the STFT's time-major view, C and Fortran order and a strided slice; blocks much
    smaller than the array; NaN propagates through the clip as through NumPy's max."""
    from sigpu._backend import kernel
    from sigpu._kernels import cpu_threads, db_numba

    monkeypatch.setattr(cpu_threads, "WORKERS", threads)
    monkeypatch.setattr(db_numba, "_BLOCK_ELEMENTS", 700)
    # one thread: the calling thread's loop; three: the pool, whatever the size
    monkeypatch.setattr(db_numba, "_SERIAL_MAX_ELEMENTS", 2**62 if threads == 1 else 0)
    host = (rng.standard_normal((3, 90, 65)) ** 4).astype(dtype)
    host[0, 5, :7] = 0
    if layout == "stft":
        host = np.swapaxes(host, -1, -2)
    elif layout == "F":
        host = np.asfortranarray(host)
    elif layout == "strided":
        host = host[:, ::2, 1:]
    S = xp.asarray(host)
    offset = 10.0 * np.log10(np.maximum(np.asarray(0.3, dtype=dtype), 1e-10))
    to_db = kernel(xp, "db.power_to_db")
    for top_db in (None, 80.0, 5.0):
        ref = 10.0 * np.log10(np.maximum(host, 1e-10)) - offset
        if top_db is not None:
            ref = np.maximum(ref, np.max(ref) - top_db)
        got = to_db(S, 1e-10, xp.asarray(offset), top_db)
        assert got.shape == ref.shape and got.dtype == ref.dtype
        np.testing.assert_array_equal(to_np(got), ref)
        assert layout == "strided" or got.strides == ref.strides  # the result's own layout
    back = kernel(xp, "db.db_to_power")(xp.asarray(ref), 2.5)
    np.testing.assert_array_equal(to_np(back), 2.5 * 10.0 ** (ref * 0.1))
    # amplitude_to_db's path: |S| in blocks, then squared in the dB pass into its memory
    magnitude = kernel(xp, "db.magnitude")(S)
    np.testing.assert_array_equal(to_np(magnitude), np.abs(host))
    got = to_db(magnitude, 1e-10, xp.asarray(offset), 80.0, square=True, overwrite=True)
    want = 10.0 * np.log10(np.maximum(np.abs(host) ** 2, 1e-10)) - offset
    np.testing.assert_array_equal(to_np(got), np.maximum(want, np.max(want) - 80.0))
    # an array reference (e.g. a per-row max) broadcasts, as in the expressions
    row_offset = 10.0 * np.log10(np.max(host, axis=-1, keepdims=True))
    got = to_db(S, 1e-10, xp.asarray(row_offset), None)
    np.testing.assert_array_equal(to_np(got), 10.0 * np.log10(np.maximum(host, 1e-10)) - row_offset)
    host_nan = np.array(host)
    host_nan[2, 3, 4] = np.nan
    got = to_np(to_db(xp.asarray(host_nan), 1e-10, xp.asarray(offset), 80.0))
    assert np.isnan(got).all()


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("layout", ["stft", "C", "strided"])
def test_power2_kernel_equals_re2_plus_im2(xp, rng, dtype, layout):
    """The fused |D|**2 kernel: re*re + im*im bit for bit, in the input's layout, for the
    STFT's time-major view, a C-ordered array and a strided slice (more rows than a block)."""
    from sigpu._backend import kernel

    shape = (2, 700, 33)  # (batch, T, F): 1400 rows, several kernel blocks
    host = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    D = xp.asarray(host)
    if layout == "stft":
        D = xp.swapaxes(D, -1, -2)
    elif layout == "strided":
        D = D[:, ::2, 1:]
    S = kernel(xp, "spectrum.power2")(D)
    ref = to_np(D)
    ref = ref.real * ref.real + ref.imag * ref.imag
    assert S.shape == ref.shape and S.dtype == ref.dtype
    np.testing.assert_array_equal(to_np(S), ref)


@pytest.mark.parametrize("layout", ["stft_view", "C", "F", "2d_F", "4d", "sliced"])
def test_time_major_kernel_any_layout(xp, rng, layout):
    """``spectrum.time_major`` equals ``ascontiguousarray(swapaxes(D, -1, -2))`` for every
    layout istft may get (librosa's STFT is Fortran-ordered), and is C-contiguous."""
    from sigpu._backend import kernel

    host = (rng.standard_normal((3, 20, 7)) + 1j * rng.standard_normal((3, 20, 7))).astype(
        np.complex64
    )
    D = xp.asarray(host)
    if layout == "stft_view":
        D = xp.swapaxes(xp.asarray(np.ascontiguousarray(np.swapaxes(host, -1, -2))), -1, -2)
    elif layout == "F":
        D = xp.asarray(np.asfortranarray(host))
    elif layout == "2d_F":
        D = xp.asarray(np.asfortranarray(host[1]))
    elif layout == "4d":
        D = xp.asarray(np.stack([host, 2 * host]))
    elif layout == "sliced":
        D = D[:, 1::2, :5]
    got = kernel(xp, "spectrum.time_major")(D)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(to_np(got), np.ascontiguousarray(np.swapaxes(to_np(D), -1, -2)))


def test_cpu_pool_runs_each_item_once_in_order_with_one_task_per_thread(monkeypatch):
    """``cpu_threads.run_blocks`` (the STFT's blocks, and every kernel's) returns
    ``[func(item) ...]`` in item order with each item run once, from one pool task per
    thread rather than one per item (a Future per block held ~2 KB each: 3 MiB for a
    10-minute STFT); an item's exception reaches the caller and the threads stop taking
    items."""
    import threading
    import time

    from sigpu._kernels import cpu_threads

    monkeypatch.setattr(cpu_threads, "WORKERS", 3)
    calls = []
    lock = threading.Lock()

    def square(i):
        time.sleep(0.002 * (i % 3 == 0))  # uneven items: the threads take them at will
        with lock:
            calls.append(i)
        return i * i

    cpu_threads.run_blocks(square, range(2))  # the pool exists before the count below
    submitted = []
    real_submit = cpu_threads._pool.submit
    monkeypatch.setattr(
        cpu_threads._pool, "submit", lambda fn: submitted.append(fn) or real_submit(fn)
    )
    calls.clear()
    assert cpu_threads.run_blocks(square, range(200)) == [i * i for i in range(200)]
    assert sorted(calls) == list(range(200))
    assert len(submitted) == 3  # one per thread (WORKERS), not 200

    def fail_at_five(i):
        if i == 5:
            raise ValueError("item 5")
        time.sleep(0.001)
        return i

    calls.clear()
    with pytest.raises(ValueError, match="item 5"):
        cpu_threads.run_blocks(lambda i: square(fail_at_five(i)), range(400))
    time.sleep(0.05)  # threads still inside an item finish it, then take no more
    assert len(calls) < 399


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("block_bytes", [None, 5000])
@pytest.mark.parametrize("cpu_path", ["numpy", "numba", "no_pocketfft_out"])
def test_rfft_frames_kernel_equals_whole_array_rfft(
    xp, rng, dtype, threads, block_bytes, cpu_path, monkeypatch
):
    """``frames.rfft_frames`` (blocks of frames on the CPU pool) equals the rFFT of the
    windowed frames of the padded signal: centred in two pad modes and uncentred, blocks
    inside one row's frames and blocks of whole rows, one thread and three, a strided
    signal; on the CPU with the windowing in NumPy and in numba, and with scipy.fft.rfft
    plus a copy where scipy's pocketfft binding (its ``out``) is missing."""
    from sigpu._backend import fft_module, frames, kernel
    from sigpu._kernels import cpu_threads, frames_numba

    if xp is not np and cpu_path != "numpy":
        pytest.skip("a CPU-only path")
    monkeypatch.setattr(cpu_threads, "WORKERS", threads)
    if block_bytes is not None:  # a few frames per block: many blocks within each row
        monkeypatch.setattr(frames_numba, "_STFT_BLOCK_BYTES", block_bytes)
    if cpu_path == "numba":
        monkeypatch.setattr(frames_numba, "NUMPY_MAX_SIZE", 0)
    elif cpu_path == "no_pocketfft_out":
        monkeypatch.setattr(frames_numba, "_pocketfft_r2c", None)
    rfft = fft_module(np).rfft
    for n_fft, hop, n, pad_mode, step in [
        (64, 16, 1000, "constant", 1),
        (64, 16, 1000, "reflect", 1),
        (100, 30, 777, None, 1),
        (32, 100, 50, "edge", 1),  # fewer frames than a block: blocks of whole rows
        (64, 16, 1000, "constant", 2),  # every other sample of a longer signal
    ]:
        x_host = rng.standard_normal((5, n * step)).astype(dtype)[:, ::step]
        window = np.hanning(n_fft).astype(dtype)
        padded = x_host
        if pad_mode is not None:
            padded = np.pad(x_host, ((0, 0), (n_fft // 2, n_fft // 2)), mode=pad_mode)
        framed = frames(padded, n_fft, hop)
        ref = rfft(framed * window, axis=-1)
        got = kernel(xp, "frames.rfft_frames")(
            xp.asarray(x_host), n_fft, hop, framed.shape[-2], pad_mode, xp.asarray(window)
        )
        assert got.shape == ref.shape and got.dtype == ref.dtype
        if xp is np:
            np.testing.assert_array_equal(got, ref)
        else:  # cuFFT: round-off of the transform
            np.testing.assert_allclose(to_np(got), ref, rtol=0, atol=1e-4 * np.abs(ref).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_overlap_add_in_numpy_equals_the_kernel(rng, dtype, monkeypatch):
    """Small inputs overlap-add in NumPy (no numba start-up for a short inverse STFT), chunk
    by chunk in the kernel's order: bit for bit the numba kernel's sums, for hops below,
    equal to and above n_fft, hops that do not divide it, and crops on either side."""
    from sigpu._kernels import ola_numba

    cases = [(64, 16, 3, 9, 0, 208), (50, 16, 2, 7, 5, 140), (20, 20, 1, 4, 0, 80)]
    cases += [(10, 25, 2, 5, 3, 200), (7, 3, 1, 30, 90, 10), (1, 1, 2, 5, 0, 5)]
    for n_fft, hop, batch, n_frames, start, length in cases:
        frames = rng.standard_normal((batch, n_frames, n_fft)).astype(dtype)
        window = rng.standard_normal(n_fft).astype(dtype)
        monkeypatch.setattr(ola_numba, "NUMPY_MAX_SIZE", 0)
        ref = ola_numba.overlap_add(frames, window, hop, start, length)
        monkeypatch.setattr(ola_numba, "NUMPY_MAX_SIZE", frames.size)
        got = ola_numba.overlap_add(frames, window, hop, start, length)
        assert got.shape == (batch, length) and got.dtype == dtype
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("block_bytes", [None, 3000])
def test_irfft_overlap_add_kernel_equals_whole_array_path(
    xp, rng, dtype, threads, block_bytes, monkeypatch
):
    """``ola.irfft_overlap_add`` (rows transformed and added block by block on the CPU pool,
    or the whole batch at once for few rows) equals the inverse rFFT of every frame followed
    by ``ola.overlap_add``, bit for bit on the CPU: blocks smaller than a frame's reach into
    the next block, 1 and 7 rows, a crop that starts inside the first frame."""
    from sigpu._backend import fft_module, kernel
    from sigpu._kernels import cpu_threads, frames_numba, ola_numba

    monkeypatch.setattr(cpu_threads, "WORKERS", threads)
    monkeypatch.setattr(ola_numba, "NUMPY_MAX_SIZE", 0)  # the numba kernel at every size
    if block_bytes is not None:  # a few frames per block
        monkeypatch.setattr(frames_numba, "_BLOCK_BYTES", block_bytes)
    irfft = fft_module(np).irfft
    n_fft, hop = 64, 16
    real = np.float32 if dtype == np.complex64 else np.float64
    for batch, n_frames, start, length in [(7, 40, 32, 600), (1, 25, 0, 400), (7, 3, 5, 50)]:
        shape = (batch, n_frames, n_fft // 2 + 1)
        spec = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
        window = np.hanning(n_fft).astype(real)
        ref = kernel(np, "ola.overlap_add")(
            irfft(spec, n=n_fft, axis=-1), window, hop, start, length
        )
        got = kernel(xp, "ola.irfft_overlap_add")(
            xp.asarray(spec), n_fft, xp.asarray(window), hop, start, length
        )
        assert got.shape == ref.shape and got.dtype == ref.dtype
        if xp is np:
            np.testing.assert_array_equal(got, ref)
        else:  # cuFFT: round-off of the transform
            np.testing.assert_allclose(to_np(got), ref, rtol=0, atol=1e-4 * np.abs(ref).max())
