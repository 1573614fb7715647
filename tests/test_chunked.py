"""Long recordings: sigpu.corpus.stft / melspectrogram / reassigned_spectrogram /
linear_reassignment on Dask arrays chunked along time equal the in-memory calls.

References: the in-memory sigpu functions (themselves tested against librosa and the
papers' code) on the whole recording.  Chunk sizes are chosen so that the hop does not
divide them, blocks start inside and at the ends of the recording, and both ends are
padded (``center=True``) or not.
"""

from __future__ import annotations

import numpy as np
import pytest

import sigpu
import sigpu.corpus as corpus
from sigpu import ParameterError
from tests.helpers import rel_to_peak_of_references

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

SR = 16000
N = 20011  # prime: no hop or tdeci divides it


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def _signal(dtype, shape=(N,)):
    rng = np.random.default_rng(20261203)
    t = np.arange(shape[-1]) / SR
    tone = np.sin(2 * np.pi * 440.0 * t * (1 + 0.5 * t))
    return (tone + 0.1 * rng.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize(
    ("chunk", "pad_mode", "frames_per_chunk"),
    [(3000, "constant", None), (7777, "reflect", None), (N, "edge", 5), (1000, "constant", 2)],
)
def test_stft_equals_the_in_memory_call(dtype, center, chunk, pad_mode, frames_per_chunk):
    y = _signal(dtype, (2, N))
    kw = dict(n_fft=512, hop_length=160, center=center, pad_mode=pad_mode)
    D = corpus.stft(da.from_array(y, chunks=(1, chunk)), frames_per_chunk=frames_per_chunk, **kw)
    want = sigpu.stft(y, **kw)
    assert isinstance(D, da.Array) and D.shape == want.shape and D.dtype == want.dtype
    assert np.array_equal(D.compute(), want)


def test_stft_odd_n_fft_window_and_dtype():
    y = _signal(np.float32)
    kw = dict(n_fft=401, hop_length=97, win_length=300, window="hamming", dtype=np.complex128)
    D = corpus.stft(da.from_array(y, chunks=4096), **kw)
    assert D.dtype == np.complex128
    assert np.array_equal(D.compute(), sigpu.stft(y, **kw))


@pytest.mark.parametrize(("dtype", "tol"), [(np.float32, 1e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("chunk", [2500, 9001])
def test_melspectrogram_equals_the_in_memory_call(dtype, tol, center, chunk):
    y = _signal(dtype)
    kw = dict(sr=SR, n_fft=1024, hop_length=300, n_mels=48, center=center, power=2.0)
    M = corpus.melspectrogram(da.from_array(y, chunks=chunk), **kw)
    want = sigpu.melspectrogram(y, **kw)
    got = M.compute()
    assert got.shape == want.shape and got.dtype == want.dtype
    # the bank's product sums in another order on another number of frames
    assert rel_to_peak_of_references(got, want) <= tol


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("center", "options"),
    [
        (True, dict()),
        (False, dict(fill_nan=True)),
        (True, dict(ref_power=np.max, clip=False)),
        (True, dict(reassign_frequencies=False)),
    ],
)
def test_reassigned_spectrogram_equals_the_in_memory_call(dtype, center, options):
    y = _signal(dtype)
    kw = dict(sr=SR, n_fft=512, hop_length=128, center=center, **options)
    got = [a.compute() for a in corpus.reassigned_spectrogram(da.from_array(y, chunks=3001), **kw)]
    want = sigpu.reassigned_spectrogram(y, **kw)
    freqs, times, mags = got
    assert all(g.shape == w.shape and g.dtype == w.dtype for g, w in zip(got, want, strict=True))
    assert np.array_equal(freqs, want[0], equal_nan=True)
    assert np.array_equal(mags, want[2])
    assert np.array_equal(np.isnan(times), np.isnan(want[1]))
    # a block's times plus its start time: rounding of the last bit of the duration
    ulp = np.spacing(np.asarray(N / SR, dtype=dtype))
    assert np.nanmax(np.abs(times - want[1])) <= 2 * ulp


@pytest.mark.parametrize(
    ("n", "chunk", "count_gate"), [(16000, 3000, "sqrt_max"), (15950, 5000, None)]
)
def test_linear_reassignment_equals_the_in_memory_call(n, chunk, count_gate):
    t = np.arange(n)
    x = np.cos(2 * np.pi * 0.1 * t) + 1e-3 * np.sin(0.37 * t**1.5)
    x += 0.1 * np.random.default_rng(3).standard_normal(n)
    kw = dict(tdeci=100, minf=0.05, maxf=0.4, count_gate=count_gate)
    H = corpus.linear_reassignment(da.from_array(x, chunks=chunk), **kw)
    want = sigpu.linear_reassignment(x, **kw)
    got = H.compute()
    assert got.shape == want.shape and got.dtype == want.dtype
    # The in-memory call itself changes by ~7e-6 of the peak with the signal's length
    # (its Gaussian lines are cut off on a frequency grid of n bins); a chunk is another
    # length.  Points that land in another bin would be differences of ~1e-2.
    own = sigpu.linear_reassignment(x[: n - 100], **kw)[:, 50:150]
    assert rel_to_peak_of_references(own, want[:, 50:150]) > 1e-7
    assert rel_to_peak_of_references(got, want) <= 3e-5


def test_linear_reassignment_float32_batch_and_short_recording():
    x = _signal(np.float32, (2, 12000))
    kw = dict(tdeci=64, minf=200.0, maxf=4000.0, sr=SR, over=3)
    got = corpus.linear_reassignment(da.from_array(x, chunks=(1, 2000)), **kw).compute()
    want = sigpu.linear_reassignment(x, **kw)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert rel_to_peak_of_references(got, want) <= 1e-4
    # a recording shorter than a chunk and its margins is one block: the whole call
    short = corpus.linear_reassignment(da.from_array(x[0, :3000], chunks=1000), **kw)
    assert np.array_equal(short.compute(), sigpu.linear_reassignment(x[0, :3000], **kw))


@pytest.mark.parametrize("count_gate", ["sqrt_max", 3.0])
def test_linear_reassignment_pool_axis_and_return_counts(count_gate):
    """Channels pooled before the gate and the pre-gate energy and counts, as the
    in-memory call returns them."""
    x = _signal(np.float64, (3, 2, 6000))
    kw = dict(tdeci=64, minf=200.0, maxf=4000.0, sr=SR, over=3, count_gate=count_gate)
    chunked = da.from_array(x, chunks=(1, 2, 2000))
    for pool_axis, pooled_shape in ((0, (2, 53, 94)), (-2, (3, 53, 94))):
        got = corpus.linear_reassignment(chunked, pool_axis=pool_axis, return_counts=True, **kw)
        want = sigpu.linear_reassignment(x, pool_axis=pool_axis, return_counts=True, **kw)
        H, H_pre, counts = (part.compute() for part in got)
        assert H.shape == want[0].shape == pooled_shape
        assert counts.dtype == np.int64 and H.dtype == H_pre.dtype == np.float64
        assert rel_to_peak_of_references(H, want[0]) <= 3e-5
        assert rel_to_peak_of_references(H_pre, want[1]) <= 3e-5
        # a point on a bin's edge may land in its neighbour (module notes): a few counts
        assert np.abs(counts - want[2]).sum() <= 1e-3 * want[2].sum()
        assert np.array_equal(H, np.where(counts >= _gate(counts, count_gate), H_pre, 0.0))
    with pytest.raises(ParameterError, match="pool_axis=2"):
        corpus.linear_reassignment(chunked, pool_axis=2, **kw)


def _gate(counts, count_gate):
    if count_gate == "sqrt_max":
        return np.sqrt(counts.max(axis=(-2, -1), keepdims=True))
    return count_gate


def test_cupy_chunks_give_cupy_results(cupy_module):
    from tests.helpers import assert_array

    y = _signal(np.float32)
    on_device = da.from_array(cupy_module.asarray(y), chunks=5000, asarray=False)
    kw = dict(n_fft=512, hop_length=160)
    D = corpus.stft(on_device, **kw).compute()
    assert_array(D, cupy_module, dtype=np.complex64)
    want = sigpu.stft(cupy_module.asarray(y), **kw)
    assert bool(cupy_module.all(D == want))
    M = corpus.melspectrogram(on_device, sr=SR, n_mels=32, **kw).compute()
    assert_array(M, cupy_module, dtype=np.float32)


@pytest.mark.parametrize(
    ("func", "kwargs", "error", "match"),
    [
        (corpus.stft, dict(x=np.zeros(4000, np.float32)), TypeError, "dask.array"),
        (corpus.stft, dict(x=da.zeros(4000, dtype=np.int16)), TypeError, "float32 or float64"),
        (corpus.stft, dict(x=da.zeros(0, dtype=np.float32)), ParameterError, "n >= 1"),
        (corpus.stft, dict(hop_length=0), ParameterError, "hop_length=0"),
        (corpus.stft, dict(frames_per_chunk=0), ParameterError, "frames_per_chunk=0"),
        (corpus.stft, dict(center=False, n_fft=8192), ParameterError, "n_fft=8192"),
        (corpus.melspectrogram, dict(n_mels=0), ParameterError, "n_mels=0"),
        (corpus.reassigned_spectrogram, dict(ref_power=-1.0), ParameterError, "ref_power"),
        (corpus.linear_reassignment, dict(tdeci=0, minf=0.1, maxf=0.2), ParameterError, "tdeci"),
        (
            corpus.linear_reassignment,
            dict(tdeci=10, minf=0.1, maxf=0.2, margin=0),
            ParameterError,
            "margin=0",
        ),
        (
            corpus.linear_reassignment,
            dict(tdeci=10, minf=0.1, maxf=0.2, margin=500, frames_per_chunk=2),
            ParameterError,
            "at least margin=500",
        ),
    ],
)
def test_bad_input_is_a_clear_error(func, kwargs, error, match):
    kwargs = dict(kwargs)
    x = kwargs.pop("x", da.zeros(5000, dtype=np.float32, chunks=1000))
    with pytest.raises(error, match=match):
        func(x, **kwargs)
