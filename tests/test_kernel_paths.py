"""The CPU kernels' two implementations (issue 20, cold start): NumPy up to a module's
``NUMPY_MAX_SIZE``, numba above it, for the CQT's decimator, the running median, peak
picking and the phase vocoder; NumPy up to ``NUMPY_MAX_LENGTH``, scipy.signal.lfilter
above it, for the first-order recurrence.

Both paths are checked against the independent references (a full convolution,
scipy.ndimage, librosa), with the threshold patched so that each path runs on small data
(``cpu_path``), and against each other on inputs on both sides of the real thresholds.
A fresh process checks that small calls never import numba (the point of the NumPy paths).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

import sigpu
from sigpu._cqt_plan import halfband_taps
from sigpu._kernels import cqt_numba, median_numba, peaks_numba, phase_numba, recurrence_numba
from tests.helpers import rel_to_peak, tol

librosa = pytest.importorskip("librosa")

DTYPES = [np.float32, np.float64]
MODULES = (cqt_numba, median_numba, peaks_numba, phase_numba)
KERNELS = {  # the numba half of each module, as the module loads it
    cqt_numba: "_decimate2_kernel",
    median_numba: "_median_kernel",
    peaks_numba: "_walk_kernel",
    phase_numba: "_vocode_kernel",
}


@pytest.fixture(params=["numpy", "numba"])
def cpu_path(request, monkeypatch):
    """Every NumPy call below takes this implementation, whatever its size."""
    limit = 2**62 if request.param == "numpy" else 0
    for module in MODULES:
        monkeypatch.setattr(module, "NUMPY_MAX_SIZE", limit)
    monkeypatch.setattr(recurrence_numba, "NUMPY_MAX_LENGTH", limit)
    # this process has imported scipy.signal (the references): let the length decide
    monkeypatch.setattr(recurrence_numba, "_lfilter_loaded", lambda: False)
    return request.param


@pytest.fixture
def kernel_calls(monkeypatch):
    """Counts the calls that reach each module's numba half."""
    calls = dict.fromkeys(MODULES, 0)
    for module, name in KERNELS.items():
        real = getattr(module, name)

        def counted(*args, _real=real, _module=module):
            calls[_module] += 1
            return _real(*args)

        monkeypatch.setattr(module, name, counted)
    return calls


# ----------------------------------------------------------------------------- decimator


def _halfband_reference(x, odd_taps, centre):
    """The full symmetric FIR (np.convolve, float64), zero outside the signal, every other
    output kept."""
    h = np.zeros(4 * len(odd_taps) - 1)
    mid = len(h) // 2
    h[mid] = centre
    h[mid + 1 :: 2] = odd_taps
    h[mid - 1 :: -2] = odd_taps
    n = x.shape[-1]
    ref = np.stack([np.convolve(row, h)[mid : mid + n : 2] for row in x])
    return ref, np.abs(h).sum()


@pytest.mark.parametrize("n", [1, 2, 14, 2 * 2048 + 7])
@pytest.mark.parametrize("dtype", DTYPES)
def test_decimate2_paths_match_full_convolution(cpu_path, rng, n, dtype):
    odd_taps, centre = halfband_taps(0.25)
    x = rng.standard_normal((3, n))
    ref, gain = _halfband_reference(x, odd_taps, centre)
    got = cqt_numba.decimate2(x.astype(dtype), odd_taps, centre)
    assert got.dtype == dtype and got.shape == ref.shape
    assert np.max(np.abs(got - ref)) <= tol(dtype, 1e-6, 1e-14) * np.abs(x).max() * gain


@pytest.mark.parametrize("dtype", DTYPES)
def test_cqt_paths_match_librosa(cpu_path, rng, dtype):
    y = rng.standard_normal((2, 22050)).astype(dtype)
    got = sigpu.cqt(y, sr=22050, n_bins=60, fmin=65.4)
    want = librosa.cqt(y, sr=22050, n_bins=60, fmin=65.4)
    assert got.shape == want.shape
    assert rel_to_peak(got, want) <= 3e-2  # as tests/test_cqt.py: librosa's decimator differs


@pytest.mark.parametrize("dtype", DTYPES)
def test_decimate2_numpy_equals_kernel_around_threshold(kernel_calls, rng, dtype):
    """Bit for bit (the NumPy path adds in the kernel's order), at the threshold (NumPy
    runs) and two samples above it (the kernel runs, over many of its blocks)."""
    odd_taps, centre = halfband_taps(0.3)
    x = rng.standard_normal((2, cqt_numba.NUMPY_MAX_SIZE // 2 + 1)).astype(dtype)
    for signal, path in ((np.ascontiguousarray(x[:, :-1]), "numpy"), (x, "numba")):
        calls = kernel_calls[cqt_numba]
        got = cqt_numba.decimate2(signal, odd_taps, centre)
        assert kernel_calls[cqt_numba] - calls == (path == "numba")
        other = np.empty_like(got)
        decimate = cqt_numba._decimate2_kernel() if path == "numpy" else cqt_numba._decimate2_numpy
        decimate(signal, odd_taps.astype(dtype), dtype(centre), other)
        np.testing.assert_array_equal(got, other)


# ----------------------------------------------------------------------------- running median


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, size, axis",
    [((3, 40, 50), 31, -1), ((3, 40, 50), 31, -2), ((2, 5, 7), 4, -1), ((6, 3), 9, -2)],
)
def test_median_paths_equal_scipy(cpu_path, dtype, shape, size, axis):
    """Exact selections (ties included; windows longer than the row reflect again)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(dtype)
    x[..., ::3] = np.round(x[..., ::3])
    footprint = [1] * x.ndim
    footprint[axis] = size
    want = scipy.ndimage.median_filter(x, size=footprint, mode="reflect")
    got = median_numba.median_filter(x, size, axis)
    assert got.dtype == dtype and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


def test_median_paths_agree_on_nan(cpu_path):
    """NaN sorts last in both (NumPy's order): a window of ``size`` with ``k`` NaNs has
    its median among the finite values while ``k <= size // 2``."""
    x = np.array([[1.0, np.nan, 3.0, 2.0, np.nan, np.nan, 5.0, 4.0]])
    got = median_numba.median_filter(x, 3, -1)
    padded = np.concatenate([x[:, :1], x, x[:, -1:]], axis=-1)  # "reflect" by one
    want = [np.sort(padded[0, t : t + 3])[1] for t in range(x.shape[-1])]
    np.testing.assert_array_equal(got[0], want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_hpss_paths_match_librosa(cpu_path, dtype):
    rng = np.random.default_rng(2)
    S = np.abs(librosa.stft(rng.standard_normal((2, 8000)).astype(dtype), n_fft=256))
    for got, want in zip(sigpu.decompose.hpss(S), librosa.decompose.hpss(S), strict=True):
        assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


def test_median_numpy_equals_kernel_around_threshold(kernel_calls, rng):
    size = 31
    rows = median_numba.NUMPY_MAX_SIZE // size // 64
    x = rng.standard_normal((rows + 1, 64))
    x[:, ::2] = np.round(x[:, ::2])
    for signal, path in ((x[:-1], "numpy"), (x, "numba")):
        calls = kernel_calls[median_numba]
        got = median_numba.median_filter(signal, size, -1)
        assert kernel_calls[median_numba] - calls == (path == "numba")
        other = (
            median_numba._median_kernel(signal, size)
            if path == "numpy"
            else median_numba._median_numpy(signal, size)
        )
        np.testing.assert_array_equal(got, other)


# ----------------------------------------------------------------------------- peak picking


def _envelopes(n_trials=40):
    """Envelopes with plateaus (ties for the maximum and the mean) and random lengths."""
    rng = np.random.default_rng(5)
    for trial in range(n_trials):
        x = rng.standard_normal((2, int(rng.integers(1, 150))))
        if trial % 2:
            x = np.round(x * 2) / 2
        if trial % 3 == 0:
            x = x.astype(np.float32)
        kw = dict(
            pre_max=int(rng.integers(0, 5)),
            post_max=int(rng.integers(1, 5)),
            pre_avg=int(rng.integers(0, 6)),
            post_avg=int(rng.integers(1, 6)),
            delta=float(rng.choice([0.0, 0.1, 0.5])),
            wait=int(rng.integers(0, 8)),
        )
        yield x, kw


def test_peak_paths_equal_librosa_peak_pick(cpu_path):
    for x, kw in _envelopes():
        got = peaks_numba.peak_mask(np.ascontiguousarray(x), **kw)
        want = librosa.util.peak_pick(x, sparse=False, **kw)
        np.testing.assert_array_equal(got, want, err_msg=str(kw))


def test_onset_detect_paths_match_librosa(cpu_path):
    rng = np.random.default_rng(6)
    envelope = np.abs(rng.standard_normal(400))
    got = sigpu.onset.onset_detect(onset_envelope=envelope, sr=22050)
    np.testing.assert_array_equal(got, librosa.onset.onset_detect(onset_envelope=envelope))


def _walk(x, kw):
    """The numba walk on ``x``."""
    out = np.zeros(x.shape, dtype=bool)
    lengths = [kw[k] for k in ("pre_max", "post_max", "pre_avg", "post_avg")]
    delta, zero = x.dtype.type(kw["delta"]), x.dtype.type(0)
    peaks_numba._walk_kernel()(x, *lengths, delta, kw["wait"], zero, out)
    return out


def test_peaks_numpy_equals_kernel_around_threshold(kernel_calls, monkeypatch, rng):
    n = peaks_numba.NUMPY_MAX_SIZE // 2
    x = np.round(np.abs(rng.standard_normal((2, n + 1))) * 4) / 4
    kw = dict(pre_max=2, post_max=3, pre_avg=5, post_avg=4, delta=0.25, wait=3)
    small = np.ascontiguousarray(x[:, :-1])  # NUMPY_MAX_SIZE samples: NumPy
    got = peaks_numba.peak_mask(small, **kw)
    assert kernel_calls[peaks_numba] == 0 and got.any()
    np.testing.assert_array_equal(got, _walk(small, kw))
    got = peaks_numba.peak_mask(x, **kw)  # two samples more: the kernel
    assert kernel_calls[peaks_numba] == 2  # _walk's, and this call's
    monkeypatch.setattr(peaks_numba, "NUMPY_MAX_SIZE", x.size)
    np.testing.assert_array_equal(got, peaks_numba.peak_mask(x, **kw))


# ----------------------------------------------------------------------------- phase vocoder


def _ulps(got, want):
    """Largest difference of the real and imaginary parts, in units of the last place
    of ``want``'s."""
    parts = [(np.real, got.real.dtype), (np.imag, got.real.dtype)]
    return max(
        np.max(np.abs(part(got) - part(want)) / np.spacing(np.abs(part(want)).astype(dtype)))
        for part, dtype in parts
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(rate=0.5), dict(rate=1.37, hop_length=128), dict(rate=3.0)])
def test_phase_vocoder_paths_match_librosa(cpu_path, dtype, kw):
    rng = np.random.default_rng(7)
    D = librosa.stft(rng.standard_normal((2, 11025)).astype(dtype), n_fft=512)
    got = sigpu.phase_vocoder(D, **kw)
    want = librosa.phase_vocoder(D, **kw)
    assert got.dtype == D.dtype and got.shape == want.shape
    assert rel_to_peak(got, want) <= tol(dtype, 1e-5, 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_vocode_numpy_equals_kernel_around_threshold(kernel_calls, dtype):
    """Equal but for cos/sin: NumPy's (SIMD in float32) and numba's (libm) round some
    values differently, by up to 2 ulp of a float32 product seen (float64: none seen; 4
    allowed for both, as libraries differ); the phase they accumulate is the same, so the
    difference does not grow along the frames."""
    rng = np.random.default_rng(8)
    D = librosa.stft(rng.standard_normal(48000).astype(dtype), n_fft=512)  # 257 bins
    n_out = phase_numba.NUMPY_MAX_SIZE // 256
    steps = np.arange(n_out) * ((D.shape[-1] - 1) / n_out)  # a stretch by ~0.37
    for n_bins, path in ((256, "numpy"), (257, "numba")):  # 2^18 output samples, and more
        padded = np.pad(D[:n_bins], ((0, 0), (0, 2)))
        args = (
            np.abs(padded),
            np.angle(padded),
            steps.astype(np.int64),
            np.mod(steps, 1.0),
            np.arange(n_bins) * 0.7,
        )
        calls = kernel_calls[phase_numba]
        got = phase_numba.vocode(*args)
        assert kernel_calls[phase_numba] - calls == (path == "numba")
        other = np.empty_like(got)
        if path == "numpy":
            phase_numba._vocode_kernel()(*args, other, 0, n_bins)
        else:
            phase_numba._vocode_numpy(*args, other)
        assert _ulps(got, other) <= 4


# ----------------------------------------------------------------------------- recurrence


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("b, a", [((1.0,), (1.0, -0.97)), ((1.0, -1.0), (1.0, -0.99))])
def test_first_order_paths_equal_lfilter(cpu_path, rng, dtype, b, a):
    """Bit for bit: scipy's transposed direct form II, the same steps in x's precision."""
    x = rng.standard_normal((3, 1000)).astype(dtype)
    zi = rng.standard_normal(3).astype(dtype)
    want, want_zf = scipy.signal.lfilter(
        np.asarray(b, dtype), np.asarray(a, dtype), x, axis=-1, zi=zi[:, None]
    )
    got, zf = recurrence_numba.first_order_filter(x, b, a, zi)
    assert got.dtype == dtype and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(zf, want_zf[:, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_deemphasis_paths_match_librosa(cpu_path, dtype):
    y = np.random.default_rng(9).standard_normal(3000).astype(dtype)
    got, zf = sigpu.effects.deemphasis(y, return_zf=True)
    want, want_zf = librosa.effects.deemphasis(y, return_zf=True)
    assert rel_to_peak(got, want) <= tol(dtype, 1e-6, 1e-13)
    assert rel_to_peak(zf, want_zf) <= tol(dtype, 1e-6, 1e-13)


def test_first_order_numpy_at_threshold_lfilter_above(monkeypatch, rng):
    monkeypatch.setattr(recurrence_numba, "_lfilter_loaded", lambda: False)
    n = recurrence_numba.NUMPY_MAX_LENGTH
    x = rng.standard_normal((2, n + 1))
    zi = np.zeros(2)
    stepped = recurrence_numba.first_order_filter(x[:, :n], (1.0,), (1.0, -0.9), zi)
    monkeypatch.setattr(recurrence_numba, "_first_order_numpy", None)  # must not be needed
    filtered = recurrence_numba.first_order_filter(x, (1.0,), (1.0, -0.9), zi)
    np.testing.assert_array_equal(stepped[0], filtered[0][:, :n])


def test_first_order_takes_lfilter_once_scipy_signal_is_loaded(monkeypatch, rng):
    """This process has imported scipy.signal: a short row goes to lfilter too."""
    monkeypatch.setattr(recurrence_numba, "_first_order_numpy", None)  # must not be needed
    x = rng.standard_normal((2, 64))
    y, _ = recurrence_numba.first_order_filter(x, (1.0,), (1.0, -0.9), np.zeros(2))
    np.testing.assert_array_equal(y, scipy.signal.lfilter([1.0], [1.0, -0.9], x, axis=-1))


# ----------------------------------------------------------------------------- cold start


def test_small_calls_do_not_import_numba():
    """The first calls of the functions these kernels serve, on the short inputs of
    tests/test_cupy_paths.py's cases, in a fresh process: numba is never imported (its
    start-up is the cold-start floor), nor scipy.signal (as slow to import)."""
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import sigpu
        y = np.random.default_rng(0).standard_normal((2, 16000)).astype(np.float32)
        C = sigpu.cqt(y, sr=8000, hop_length=128, fmin=110.0, n_bins=36)
        sigpu.icqt(C, sr=8000, hop_length=128, fmin=110.0, length=16000)
        sigpu.chroma_cqt(y, sr=8000, hop_length=128, fmin=130.0, n_octaves=3, tuning=0.0)
        short = y[:, :4000]
        sigpu.effects.hpss(short, n_fft=256)
        sigpu.effects.time_stretch(short, rate=0.7, n_fft=256)
        sigpu.onset.onset_detect(y=short[0], sr=8000)
        sigpu.effects.deemphasis(short)
        print("numba" in sys.modules, "scipy.signal" in sys.modules)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["False", "False"]


# ----------------------------------------------------------------------------- elementwise


@pytest.mark.parametrize("serial_max", [0, 2**62], ids=["pool", "serial"])
def test_elementwise_blocks_equal_the_whole_array_expression(monkeypatch, rng, serial_max):
    """Blocks on the pool or in the calling thread, any layout: the expression's values
    on the whole array, in the input's shape."""
    from sigpu._kernels import elementwise_numba

    monkeypatch.setattr(elementwise_numba, "_BLOCK_ELEMENTS", 100)
    monkeypatch.setattr(elementwise_numba, "_SERIAL_MAX_ELEMENTS", serial_max)
    z = rng.standard_normal((3, 40, 17)) + 1j * rng.standard_normal((3, 40, 17))
    z = np.swapaxes(z, -1, -2)  # not C order: blocks follow memory order

    def squared(block):
        out = block.real**2
        out += block.imag**2
        return out

    got = elementwise_numba.apply(squared, z)
    assert got.shape == z.shape
    np.testing.assert_array_equal(got, z.real**2 + z.imag**2)
