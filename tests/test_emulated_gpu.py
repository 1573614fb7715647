"""What only the CuPy emulation can show: the stand-in refuses what a GPU refuses (negative
controls), and sigpu's device memory, plan cache and device placement hold up there.

Skipped where the test run uses a real GPU (the ``emulated_cupy`` fixture).
"""

from __future__ import annotations

import numpy as np
import pytest

import sigpu
from sigpu import _cache

# ---------------------------------------------------------------------------
# the stand-in's checks fire (each is what a real GPU or CuPy would do)
# ---------------------------------------------------------------------------


def test_implicit_host_conversion_is_refused(emulated_cupy):
    a = emulated_cupy.arange(4.0)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        a + np.ones(4)  # a host operand
    with pytest.raises(TypeError, match="numpy.ndarray"):
        emulated_cupy.maximum(a, np.zeros(4))


def test_reductions_return_device_arrays_and_syncs_are_logged(emulated_cupy):
    a = emulated_cupy.arange(4.0)
    total = emulated_cupy.sum(a)
    assert isinstance(total, emulated_cupy.ndarray) and total.shape == ()
    assert emulated_cupy.SYNCS == []
    assert float(total) == 6.0
    a[a > 1]  # boolean mask: the result's size is data
    assert [what for what, _ in emulated_cupy.SYNCS] == ["float()", "boolean mask index"]
    assert all(where.startswith("tests/test_emulated_gpu.py:") for _, where in emulated_cupy.SYNCS)


def test_arrays_of_another_device_are_refused(emulated_cupy):
    with emulated_cupy.cuda.Device(1):
        b = emulated_cupy.ones(3)
    assert b.device.id == 1
    with pytest.raises(ValueError, match="different from the current device"):
        b + 1.0
    with emulated_cupy.cuda.Device(1):
        assert float((b + 1.0)[0]) == 2.0


def test_device_memory_is_limited(emulated_cupy):
    with emulated_cupy.emulated_memory(1 << 20) as peak:
        kept = emulated_cupy.zeros(100_000)  # 800 kB
        free, _ = emulated_cupy.cuda.runtime.memGetInfo()
        assert free == (1 << 20) - 800_000
        with pytest.raises(emulated_cupy.cuda.memory.OutOfMemoryError):
            emulated_cupy.zeros(100_000)
        del kept
        emulated_cupy.zeros(100_000)  # freed memory is available again
        assert 800_000 <= peak() < 2 * 800_000


def test_uninitialised_memory_is_nan(emulated_cupy):
    assert bool(emulated_cupy.all(emulated_cupy.isnan(emulated_cupy.empty(5))))


def test_elementwise_kernel_binds_types_like_cupy(emulated_cupy, rng):
    power = emulated_cupy.ElementwiseKernel(
        "T d", "R s", "s = d.real() * d.real() + d.imag() * d.imag()", "power"
    )
    for complex_dtype, real_dtype in ((np.complex64, np.float32), (np.complex128, np.float64)):
        host = (rng.standard_normal((3, 5)) + 1j * rng.standard_normal((3, 5))).astype(
            complex_dtype
        )
        out = power(emulated_cupy.asarray(host), emulated_cupy.empty((3, 5), dtype=real_dtype))
        np.testing.assert_allclose(out.get(), np.abs(host) ** 2, rtol=1e-6)
        assert out.dtype == real_dtype
    with pytest.raises(TypeError, match="cannot determine type R"):
        power(emulated_cupy.zeros(3, dtype=np.complex64))  # R is bound by no argument


def test_raw_kernel_argument_checks_fire(emulated_cupy):
    """sigpu's overlap-add kernel through the stand-in's RawModule: a host array, a
    scalar of the wrong C++ type and an array on another device are each refused."""
    from sigpu._kernels import _cuda_common

    kern = _cuda_common.get_function("ola.cu", "overlap_add", np.float32)
    frames = emulated_cupy.ones((1, 2, 8), dtype=np.float32)
    window = emulated_cupy.ones(8, dtype=np.float32)
    out = emulated_cupy.zeros((1, 12), dtype=np.float32)
    sizes = [np.int64(v) for v in (1, 2, 8, 4, 0, 12)]
    kern((1,), (32,), (frames, window, out, *sizes))
    np.testing.assert_array_equal(out.get(), [[1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1]])
    with pytest.raises(TypeError, match="host array"):
        kern((1,), (32,), (frames, window, np.zeros((1, 12), np.float32), *sizes))
    with pytest.raises(Exception, match="long long|int64"):
        kern((1,), (32,), (frames, window, out, 1.0, *sizes[1:]))  # a double for long long
    with emulated_cupy.cuda.Device(1):
        other = emulated_cupy.zeros((1, 12), dtype=np.float32)
    with pytest.raises(ValueError, match="different from the current device"):
        kern((1,), (32,), (frames, window, other, *sizes))


# ---------------------------------------------------------------------------
# sigpu on the emulated GPU
# ---------------------------------------------------------------------------


LIMIT = 48 << 20


def _reassign_peak(cupy, x, kw):
    with cupy.emulated_memory(LIMIT) as peak:
        result = sigpu.linear_reassignment(x, **kw).get()
    return result, peak()


def test_deterministic_reassignment_stays_in_its_memory_budget(emulated_cupy, monkeypatch):
    """``deterministic=True`` sorts keys and values of every point of a batch: the batch
    plan counts them, so the call's peak device memory stays near the quarter of free
    memory it budgets for batches.  Negative control: not counting the sort, batches
    sized to a quarter of the memory need more than all of it."""
    from sigpu._kernels import reassign_cuda

    # float32: a point of the batch buffer is 16 bytes, its sort several times that
    x = emulated_cupy.asarray(np.random.default_rng(1).standard_normal(20_000), np.float32)
    kw = dict(q=2.0, tdeci=16, minf=0.005, maxf=0.45, deterministic=True)
    unlimited = sigpu.linear_reassignment(x, **kw).get()
    got, peak = _reassign_peak(emulated_cupy, x, kw)
    assert peak <= 0.35 * LIMIT, peak / LIMIT
    # other batches add the lines in other groups: equal to rounding
    np.testing.assert_allclose(got, unlimited, rtol=1e-5, atol=1e-6 * unlimited.max())
    monkeypatch.setattr(reassign_cuda, "_SORT_BYTES_PER_POINT", 0)
    with pytest.raises(emulated_cupy.cuda.memory.OutOfMemoryError):
        _reassign_peak(emulated_cupy, x, kw)


@pytest.mark.parametrize(
    "call",
    [
        lambda y: sigpu.stft(y, n_fft=256),
        lambda y: sigpu.istft(sigpu.stft(y, n_fft=256), n_fft=256),
        lambda y: sigpu.melspectrogram(y, sr=8000, n_fft=256, n_mels=20),
    ],
)
def test_cufft_plan_cache_policy(emulated_cupy, call):
    """sigpu leaves CuPy's per-device cuFFT plan cache as the user configured it (CuPy's
    default: 16 plans, LRU) and batches each transform into one plan, so signals of many
    lengths cost one cached plan per length (docs/gpu.rst, "FFT plans")."""
    cache = emulated_cupy.fft.config.get_plan_cache()
    size, memsize = cache.get_size(), cache.get_memsize()
    cache.clear()
    lengths = range(3000, 3000 + 40 * 7, 7)
    for n in lengths:
        call(emulated_cupy.zeros((2, n), dtype=np.float32))
    assert (cache.get_size(), cache.get_memsize()) == (size, memsize)
    per_call = cache.created / len(lengths)
    assert per_call <= 2  # one batched transform each way, never one per frame or row
    assert cache.get_curr_size() <= size


def test_host_tables_are_copied_once_per_device(emulated_cupy):
    """The mel bank is built once on the host and copied once to each device; the copies
    are separate arrays on their devices."""
    y = np.random.default_rng(2).standard_normal(4000).astype(np.float32)
    results = {}
    for device in (0, 1):
        with emulated_cupy.cuda.Device(device):
            y_device = emulated_cupy.asarray(y)
        results[device] = sigpu.melspectrogram(y_device, sr=8000, n_fft=256, n_mels=20)
        assert results[device].device.id == device
    np.testing.assert_array_equal(results[0].get(), results[1].get())
    keys = [key for key in _cache._device_copies if key[1][0] == "cupy"]
    assert {key[1][1] for key in keys} >= {0, 1}
