"""sigpu.load / resample / to_mono / get_duration / get_samplerate against librosa 0.11,
scipy.signal.resample_poly and soxr (through librosa), on a corpus written with soundfile."""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pytest
import scipy.signal

import sigpu
from tests.helpers import host, rel_to_peak, to_np, tol

librosa = pytest.importorskip("librosa")
sf = pytest.importorskip("soundfile")

# (name, format, subtype, channels, rate)
FILES = [
    ("u8.wav", "WAV", "PCM_U8", 1, 8000),
    ("s16.wav", "WAV", "PCM_16", 2, 22050),
    ("s24.wav", "WAV", "PCM_24", 1, 44100),
    ("s32.wav", "WAV", "PCM_32", 2, 16000),
    ("float.wav", "WAV", "FLOAT", 2, 48000),
    ("double.wav", "WAV", "DOUBLE", 3, 11025),
    ("s16.flac", "FLAC", "PCM_16", 2, 44100),
    ("s24.flac", "FLAC", "PCM_24", 1, 32000),
    ("vorbis.ogg", "OGG", "VORBIS", 2, 22050),
    ("layer3.mp3", "MP3", "MPEG_LAYER_III", 1, 44100),
]
NAMES = [f[0] for f in FILES]


def _tones(rate: int, channels: int, seconds: float = 0.4) -> np.ndarray:
    """Tones below 0.85 of every Nyquist frequency in the corpus (3.4 kHz at 8 kHz), with
    tapered ends: band-limited, so resampling compares within the band's tolerance."""
    t = np.arange(int(seconds * rate)) / rate
    freqs = np.array([110.0, 440.0, 1250.0, 3100.0])
    y = np.stack(
        [0.2 * np.sin(2 * np.pi * np.outer(t, freqs) + c).sum(axis=1) for c in range(channels)],
        axis=1,
    )
    taper = np.ones(t.size)
    k = rate // 20
    taper[:k], taper[-k:] = np.hanning(2 * k)[:k], np.hanning(2 * k)[k:]
    return y * taper[:, None]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    paths = {}
    for name, fmt, subtype, channels, rate in FILES:
        path = root / name
        try:
            sf.write(path, _tones(rate, channels), rate, format=fmt, subtype=subtype)
        except (sf.LibsndfileError, ValueError, TypeError):  # an older libsndfile
            continue
        paths[name] = path
    (root / "empty.wav").write_bytes(b"")
    (root / "garbage.wav").write_bytes(b"RIFF\x00\x00\x00\x00not a wave file at all" * 10)
    paths["empty.wav"], paths["garbage.wav"] = root / "empty.wav", root / "garbage.wav"
    return paths


def _path(corpus, name):
    if name not in corpus:
        pytest.skip(f"this libsndfile cannot write {name}")
    return corpus[name]


def _librosa_load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # librosa's own deprecation warnings
        return librosa.load(path, **kw)


# ----------------------------------------------------------------------------- load


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("mono", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_load_native_rate_equals_librosa(corpus, name, mono, dtype):
    path = _path(corpus, name)
    y, sr = sigpu.load(path, sr=None, mono=mono, dtype=dtype)
    want, want_sr = _librosa_load(path, sr=None, mono=mono, dtype=dtype)
    assert sr == want_sr and type(sr) is type(want_sr)
    assert isinstance(y, np.ndarray) and y.dtype == dtype and y.flags.c_contiguous
    np.testing.assert_array_equal(y, want)


@pytest.mark.parametrize("name", ["s16.wav", "s24.flac", "vorbis.ogg", "double.wav"])
@pytest.mark.parametrize("offset, duration", [(0.1, None), (0.05, 0.2), (0.0, 0.1), (5.0, 1.0)])
def test_load_offset_duration_equals_librosa(corpus, name, offset, duration):
    path = _path(corpus, name)
    kw = dict(sr=None, mono=False, offset=offset, duration=duration)
    y, _ = sigpu.load(path, **kw)
    if offset == 5.0:
        # past the end: empty (librosa's audioread fallback gives shape (0,) for WAV and
        # fails for formats without an audioread backend here)
        channels = sf.info(path).channels
        assert y.shape == ((channels, 0) if channels > 1 else (0,))
        return
    want, _ = _librosa_load(path, **kw)
    np.testing.assert_array_equal(y, want)


@pytest.mark.parametrize("name", NAMES)
def test_load_polyphase_equals_librosa(corpus, name):
    path = _path(corpus, name)
    y, sr = sigpu.load(path, sr=16000, res_type="polyphase")
    want, _ = _librosa_load(path, sr=16000, res_type="polyphase")
    assert sr == 16000 and y.dtype == np.float32 and y.shape == want.shape
    assert rel_to_peak(y, want) < 2e-6


@pytest.mark.parametrize("name", NAMES)
def test_load_default_within_tolerance_of_librosa_soxr_hq(corpus, name):
    """Band-limited content: the documented 4e-4 of the peak (2e-6 for ratios 1/n and n)."""
    path = _path(corpus, name)
    y, sr = sigpu.load(path)
    want, want_sr = _librosa_load(path)
    assert sr == want_sr == 22050 and y.shape == want.shape and y.dtype == want.dtype
    rate = sf.info(path).samplerate
    integer_ratio = rate % 22050 == 0 or 22050 % rate == 0
    limit = 2e-6 if integer_ratio else 4e-4
    assert rel_to_peak(y, want) < limit, (name, rel_to_peak(y, want))


def test_load_file_objects(corpus):
    path = _path(corpus, "s16.flac")
    want, _ = sigpu.load(path, sr=None, offset=0.1)
    with open(path, "rb") as f:
        y, _ = sigpu.load(io.BytesIO(f.read()), sr=None, offset=0.1)
    np.testing.assert_array_equal(y, want)
    with sf.SoundFile(path) as file:
        y, _ = sigpu.load(file, sr=None, offset=0.1)
        assert not file.closed  # a SoundFile the caller opened stays open
    np.testing.assert_array_equal(y, want)


def test_load_errors(corpus, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        sigpu.load(tmp_path / "missing.wav")
    for name in ("empty.wav", "garbage.wav"):
        with pytest.raises(sigpu.ParameterError, match=f"load: cannot read .*{name}"):
            sigpu.load(corpus[name])
    with pytest.raises(sigpu.ParameterError, match=f"cannot read .*{tmp_path.name}"):
        sigpu.load(tmp_path)  # a directory
    path = _path(corpus, "s16.wav")
    with pytest.raises(TypeError, match="dtype"):
        sigpu.load(path, dtype=np.int16)
    with pytest.raises(TypeError, match="dtype"):
        sigpu.load(path, dtype=None)
    for kw, match in [
        (dict(sr=0), "sr=0"),
        (dict(sr=-8000.0), "sr="),
        (dict(offset=-1.0), "offset="),
        (dict(offset=float("nan")), "offset="),
        (dict(duration=-0.5), "duration="),
        (dict(res_type="kaiser_best"), "res_type="),
    ]:
        with pytest.raises(sigpu.ParameterError, match=match):
            sigpu.load(path, **kw)


@pytest.mark.parametrize("kw", [dict(sr=None), dict(sr=None, mono=False), {}, dict(mono=False)])
def test_load_file_without_samples(tmp_path, kw):
    path = tmp_path / "none.wav"
    sf.write(path, np.zeros((0, 2)), 8000)
    y, _ = sigpu.load(path, **kw)
    want, _ = _librosa_load(path, **kw)
    assert y.shape == want.shape and y.dtype == want.dtype == np.float32


def test_load_non_finite_float_file(tmp_path):
    path = tmp_path / "nan.wav"
    y = np.zeros(800, np.float32)
    y[10] = np.nan
    sf.write(path, y, 8000, subtype="FLOAT")
    got, _ = sigpu.load(path, sr=None, mono=False)  # no check, as in librosa
    assert np.isnan(got[10])
    with pytest.raises(sigpu.ParameterError, match="not finite"):
        sigpu.load(path, sr=None)  # to_mono checks, as librosa's valid_audio


# ----------------------------------------------------------------------------- file info


@pytest.mark.parametrize("name", NAMES)
def test_get_duration_and_samplerate_of_files(corpus, name):
    path = _path(corpus, name)
    assert sigpu.get_samplerate(path) == librosa.get_samplerate(path)
    assert sigpu.get_duration(path=path) == librosa.get_duration(path=path)
    assert sigpu.get_duration(path=str(path), y=np.zeros(3), sr=1) == librosa.get_duration(
        path=str(path)
    )


def test_file_info_errors(corpus, tmp_path):
    with pytest.raises(FileNotFoundError):
        sigpu.get_samplerate(tmp_path / "missing.flac")
    with pytest.raises(FileNotFoundError):
        sigpu.get_duration(path=tmp_path / "missing.flac")
    with pytest.raises(sigpu.ParameterError, match="get_samplerate: cannot read .*garbage"):
        sigpu.get_samplerate(corpus["garbage.wav"])
    with pytest.raises(sigpu.ParameterError, match="get_duration: cannot read .*empty"):
        sigpu.get_duration(path=corpus["empty.wav"])


@pytest.mark.parametrize("center", [True, False])
def test_get_duration_of_arrays(xp, center):
    y = xp.zeros((2, 3, 12345), dtype=xp.float32)
    assert sigpu.get_duration(y=y, sr=8000) == librosa.get_duration(y=host(y), sr=8000)
    S = xp.zeros((2, 513, 37), dtype=xp.complex64)
    kw = dict(sr=16000, n_fft=1024, hop_length=256, center=center)
    assert sigpu.get_duration(S=S, **kw) == librosa.get_duration(S=host(S), **kw)
    assert sigpu.get_duration(S=S, y=y, **kw) == librosa.get_duration(S=host(S), **kw)


def test_get_duration_errors(xp):
    with pytest.raises(sigpu.ParameterError, match="at least one of"):
        sigpu.get_duration(sr=22050)
    with pytest.raises(sigpu.ParameterError, match="sr="):
        sigpu.get_duration(y=xp.zeros(10), sr=0)
    with pytest.raises(sigpu.ParameterError, match="time axis"):
        sigpu.get_duration(y=xp.zeros(()))
    with pytest.raises(TypeError, match="get_duration"):
        sigpu.get_duration(y=[0.0, 1.0])
    with pytest.raises(sigpu.ParameterError, match="hop_length="):
        sigpu.get_duration(S=xp.zeros((5, 5)), hop_length=0)


# ----------------------------------------------------------------------------- to_mono


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 1000), (3, 2, 500)])
def test_to_mono_equals_librosa(xp, rng, dtype, shape):
    y = rng.standard_normal(shape).astype(dtype)
    got = to_np(sigpu.to_mono(xp.asarray(y)), dtype=dtype, shape=shape[-1:])
    assert rel_to_peak(got, librosa.to_mono(y)) <= tol(dtype, 1e-7, 1e-15)


def test_to_mono_of_mono_is_the_input(xp):
    y = xp.ones(100, dtype=xp.float32)
    assert sigpu.to_mono(y) is y


def test_to_mono_errors(xp):
    with pytest.raises(TypeError, match="float32 or float64"):
        sigpu.to_mono(xp.zeros((2, 10), dtype=xp.int16))
    with pytest.raises(sigpu.ParameterError, match="at least 1 dimension"):
        sigpu.to_mono(xp.zeros((), dtype=xp.float32))
    y = xp.zeros((2, 10), dtype=xp.float32)
    y[1, 3] = xp.inf
    with pytest.raises(sigpu.ParameterError, match="not finite"):
        sigpu.to_mono(y)


# ----------------------------------------------------------------------------- resample

# (orig_sr, target_sr): each path of sigpu._resample (overlap-save FFT for small `up` and
# long filters, grouped GEMMs otherwise) and odd small ratios
RATIOS = [(44100, 22050), (22050, 44100), (22050, 16000), (16000, 22050), (3, 7), (48000, 8000)]


@pytest.mark.parametrize("orig_sr, target_sr", RATIOS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_polyphase_equals_resample_poly(xp, rng, orig_sr, target_sr, dtype):
    y = rng.standard_normal((2, 3001)).astype(dtype)
    g = math.gcd(orig_sr, target_sr)
    want = scipy.signal.resample_poly(y, target_sr // g, orig_sr // g, axis=-1)
    got = sigpu.resample(
        xp.asarray(y), orig_sr=orig_sr, target_sr=target_sr, res_type="polyphase", fix=False
    )
    got = to_np(got, dtype=dtype, shape=want.shape)
    assert rel_to_peak(got, want) <= tol(dtype, 2e-6, 1e-13)
    # fix=True (the default) equals librosa, which cuts or pads resample_poly's output
    fixed = sigpu.resample(
        xp.asarray(y), orig_sr=orig_sr, target_sr=target_sr, res_type="polyphase"
    )
    ref = librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type="polyphase")
    assert rel_to_peak(to_np(fixed, shape=ref.shape), ref) <= tol(dtype, 2e-6, 1e-13)


@pytest.mark.parametrize("n", [1, 2, 7, 40, 441])
def test_polyphase_short_signals(rng, n):
    y = rng.standard_normal(n)
    for up, down in [(1, 2), (2, 1), (320, 441), (441, 320)]:
        want = scipy.signal.resample_poly(y, up, down)
        got = sigpu.resample(y, orig_sr=down, target_sr=up, res_type="polyphase", fix=False)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13 * np.abs(want).max())


def _band_limited(rng, shape, orig_sr, target_sr, dtype):
    """Noise below 0.85 of the lower Nyquist frequency, Hann-tapered ends."""
    x = rng.standard_normal(shape)
    h = scipy.signal.firwin(801, 0.85 * min(orig_sr, target_sr) / orig_sr)
    x = scipy.signal.lfilter(h, 1.0, x, axis=-1)[..., 800:]
    k = orig_sr // 10
    taper = np.ones(x.shape[-1])
    taper[:k], taper[-k:] = np.hanning(2 * k)[:k], np.hanning(2 * k)[k:]
    return (x * taper).astype(dtype)


# measured worst (tests here and the module docstring of sigpu.audio), with margin
SOXR_BAND_INTEGER, SOXR_BAND, SOXR_WHITE_PEAK, SOXR_WHITE_RMS = 3e-6, 4e-4, 1e-1, 5e-3


@pytest.mark.parametrize("orig_sr, target_sr", RATIOS[:4] + [(44100, 8000), (48000, 44100)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sinc_hq_within_tolerance_of_soxr_hq(rng, orig_sr, target_sr, dtype):
    integer = orig_sr % target_sr == 0 or target_sr % orig_sr == 0
    y = _band_limited(rng, (2, orig_sr + 800), orig_sr, target_sr, dtype)
    want = librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")
    got = sigpu.resample(y, orig_sr=orig_sr, target_sr=target_sr)
    assert got.shape == want.shape and got.dtype == dtype
    assert rel_to_peak(got, want) < (SOXR_BAND_INTEGER if integer else SOXR_BAND)
    white = rng.standard_normal((2, orig_sr // 2)).astype(dtype)
    want = librosa.resample(white, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")
    got = sigpu.resample(white, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")
    assert got.shape == want.shape
    assert rel_to_peak(got, want) < SOXR_WHITE_PEAK
    assert np.sqrt(np.mean((got - want) ** 2) / np.mean(want**2)) < SOXR_WHITE_RMS


@pytest.mark.parametrize("orig_sr, target_sr", [(44100, 22050), (22050, 16000)])
def test_sinc_hq_on_both_backends(xp, rng, orig_sr, target_sr):
    y = _band_limited(rng, (2, 1, orig_sr // 2 + 800), orig_sr, target_sr, np.float32)
    want = librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr)
    got = sigpu.resample(xp.asarray(y), orig_sr=orig_sr, target_sr=target_sr)
    assert rel_to_peak(to_np(got, dtype=np.float32, shape=want.shape), want) < SOXR_BAND


@pytest.mark.parametrize("res_type", ["sinc_hq", "polyphase"])
def test_sinc_of_a_tone(res_type):
    """Analytic: a 1 kHz tone at 44.1 kHz resampled is the tone sampled at 16 kHz (away from
    the ends, where the zeros outside the signal enter)."""
    t = np.arange(44100)
    y = np.sin(2 * np.pi * 1000 * t / 44100)
    got = sigpu.resample(y, orig_sr=44100, target_sr=16000, res_type=res_type)
    want = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000)
    error = np.abs(got - want)[1000:-1000].max()
    assert error < (1e-5 if res_type == "sinc_hq" else 1e-2), error


@pytest.mark.parametrize("res_type", ["sinc_hq", "polyphase"])
def test_resample_batch_axis_fix_scale(xp, rng, res_type):
    y = rng.standard_normal((3, 2, 1200)).astype(np.float32)
    kw = dict(orig_sr=16000, target_sr=22050, res_type=res_type)
    batch = to_np(sigpu.resample(xp.asarray(y), **kw), shape=(3, 2, 1654))
    for i in range(3):
        for j in range(2):
            single = to_np(sigpu.resample(xp.asarray(y[i, j]), **kw))
            assert rel_to_peak(batch[i, j], single) <= 1e-6
    moved = sigpu.resample(xp.asarray(np.moveaxis(y, -1, 1)), axis=1, **kw)
    assert rel_to_peak(to_np(moved, shape=(3, 1654, 2)), np.moveaxis(batch, -1, 1)) <= 1e-6
    scaled = sigpu.resample(xp.asarray(y), scale=True, **kw)
    assert rel_to_peak(to_np(scaled), batch / np.sqrt(22050 / 16000)) <= 1e-6
    ref = librosa.resample(y, scale=True, **kw) if res_type == "polyphase" else None
    if ref is not None:
        assert rel_to_peak(to_np(scaled), ref) <= 2e-6


def test_resample_lengths_follow_librosa_and_soxr(rng):
    for n in (1, 2, 3, 5, 10, 47600):
        y = rng.standard_normal(n)
        for orig_sr, target_sr in [(48000, 44100), (2, 1), (3, 7)]:
            for res_type in ("sinc_hq", "polyphase"):
                kw = dict(orig_sr=orig_sr, target_sr=target_sr)
                got = sigpu.resample(y, res_type=res_type, **kw)
                ref = "soxr_hq" if res_type == "sinc_hq" else res_type
                assert got.shape == librosa.resample(y, res_type=ref, **kw).shape
                unfixed = sigpu.resample(y, res_type=res_type, fix=False, **kw)
                if res_type == "sinc_hq":  # soxr's own length
                    import soxr

                    assert unfixed.shape == soxr.resample(y, orig_sr, target_sr, "HQ").shape


def test_resample_equal_rates_and_empty(xp):
    y = xp.ones((2, 50), dtype=xp.float64)
    assert sigpu.resample(y, orig_sr=8000, target_sr=8000.0) is y
    empty = sigpu.resample(xp.zeros((2, 0), dtype=xp.float32), orig_sr=2, target_sr=3)
    to_np(empty, dtype=np.float32, shape=(2, 0))


def test_resample_errors(xp):
    y = xp.zeros((2, 100), dtype=xp.float32)
    with pytest.raises(TypeError, match="float32 or float64"):
        sigpu.resample(xp.zeros(10, dtype=xp.int32), orig_sr=1, target_sr=2)
    with pytest.raises(TypeError, match="resample"):
        sigpu.resample([0.0, 1.0], orig_sr=1, target_sr=2)
    for kw, match in [
        (dict(orig_sr=0, target_sr=2), "orig_sr=0"),
        (dict(orig_sr=1, target_sr=float("inf")), "target_sr="),
        (dict(orig_sr=1, target_sr=2, res_type="kaiser_best"), "res_type="),
        (dict(orig_sr=1, target_sr=2, axis=2), "axis=2"),
        (dict(orig_sr=1, target_sr=2, axis=1.0), "axis="),
        (dict(orig_sr=22050.5, target_sr=16000, res_type="polyphase"), "integer"),
        (dict(orig_sr=22050, target_sr=22051), "22051/22050"),
        (dict(orig_sr=0.1, target_sr=1 / 3), "reduces to"),
    ]:
        with pytest.raises(sigpu.ParameterError, match=match):
            sigpu.resample(y, **kw)
    y[0, 5] = xp.nan
    with pytest.raises(sigpu.ParameterError, match="not finite"):
        sigpu.resample(y, orig_sr=1, target_sr=2)


def test_resample_non_integer_rates_sinc_hq(rng):
    """Float rates are taken as an exact fraction: 22050.0 / 11025.0 is 2, 100.5 / 201 is 1/2."""
    y = rng.standard_normal(500)
    a = sigpu.resample(y, orig_sr=22050.0, target_sr=11025.0)
    b = sigpu.resample(y, orig_sr=201, target_sr=100.5)
    np.testing.assert_array_equal(a, b)
