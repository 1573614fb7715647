"""The torch bridge (sigpu.torch._bridge): tensors through sigpu's functions, zero copy.

References: the same sigpu function on the NumPy array the tensor holds (the bridge must
change nothing but the container), memory addresses (zero copy), and torch's own rules.
The CUDA branch runs on the emulated CuPy: the bridge's tensor<->array conversion is
patched so that a CPU tensor stands for a CUDA tensor and its array side is an emulated
CuPy array (real CUDA tensors are untested here).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import sigpu  # noqa: E402
from sigpu.torch import _bridge  # noqa: E402


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """torch's intra-op threads spin against the other processes on a shared 2-core machine
    (a 6x17 matmul took 15 ms with 2 threads under load, 0.02 ms with 1): tests use one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_import_sigpu_does_not_import_torch():
    code = "import sys, sigpu, sigpu.feature, sigpu.sfi; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_is_tensor():
    assert _bridge.is_tensor(torch.zeros(2))
    assert _bridge.is_tensor(torch.nn.Parameter(torch.zeros(2)))
    assert not _bridge.is_tensor(np.zeros(2))
    assert not _bridge.is_tensor([1.0])


@pytest.mark.parametrize("requires_grad", [False, True])
def test_to_array_shares_memory_and_detaches(requires_grad):
    t = torch.arange(12.0, dtype=torch.float64).reshape(3, 4)[:, 1:]  # a strided view
    t.requires_grad_(requires_grad) if t.is_leaf else None
    a = _bridge.to_array(t)
    assert isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == (3, 3)
    assert a.ctypes.data == t.data_ptr()
    np.testing.assert_array_equal(a, t.detach().numpy())


def test_to_tensor_shares_memory():
    like = torch.zeros(1, dtype=torch.float32)
    a = np.arange(10, dtype=np.complex64)[::2]
    t = _bridge.to_tensor(a, like)
    assert t.dtype == torch.complex64 and t.data_ptr() == a.ctypes.data
    a[0] = 7
    assert t[0] == 7


def test_to_tensor_copies_what_torch_cannot_share():
    like = torch.zeros(1)
    read_only = np.arange(4.0)
    read_only.flags.writeable = False
    reversed_view = np.arange(4.0)[::-1]
    swapped = np.arange(4.0).astype(">f8")
    for a in (read_only, reversed_view, swapped):
        t = _bridge.to_tensor(a, like)
        np.testing.assert_array_equal(t.numpy(), a)
        assert not np.shares_memory(t.numpy(), a)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_unregistered_function_same_numbers_device_dtype(dtype, rng):
    y = torch.as_tensor(rng.standard_normal((2, 3000)), dtype=dtype)
    got = sigpu.chroma_stft(y, sr=8000, n_fft=512)
    want = sigpu.chroma_stft(y.numpy(), sr=8000, n_fft=512)
    assert isinstance(got, torch.Tensor) and got.dtype == dtype and got.device == y.device
    np.testing.assert_array_equal(got.numpy(), want)


def test_tuple_results_become_tensors(rng):
    y = torch.as_tensor(rng.standard_normal(4000))
    freqs, times, mags = sigpu.reassigned_spectrogram(y, sr=8000, n_fft=256)
    want = sigpu.reassigned_spectrogram(y.numpy(), sr=8000, n_fft=256)
    for got, ref in zip((freqs, times, mags), want, strict=True):
        assert isinstance(got, torch.Tensor)
        np.testing.assert_array_equal(got.numpy(), ref)


def test_no_silent_detach_of_gradients(rng):
    y = torch.as_tensor(rng.standard_normal(3000), dtype=torch.float64).requires_grad_()
    with pytest.raises(TypeError, match="no autograd implementation"):
        sigpu.chroma_stft(y, sr=8000, n_fft=512)
    with torch.no_grad():
        assert sigpu.chroma_stft(y, sr=8000, n_fft=512).shape[0] == 12
    with torch.inference_mode():
        assert sigpu.chroma_stft(y, sr=8000, n_fft=512).shape[0] == 12


def test_mixing_tensors_and_arrays_is_a_type_error():
    with pytest.raises(TypeError, match="mixed"):
        sigpu.istft(torch.zeros((129, 5), dtype=torch.complex64), window=np.ones(256))
    with pytest.raises(TypeError, match="mixed"):
        sigpu.chroma_stft(S=torch.ones((129, 4)), tuning=np.float64(0.0) + np.zeros(1))


def test_bad_tensors():
    y = torch.zeros(4000)
    with pytest.raises(TypeError, match="layout"):
        sigpu.chroma_stft(y.to_sparse(), sr=8000)
    with pytest.raises(sigpu.ParameterError, match="meta"):
        sigpu.chroma_stft(torch.zeros(4000, device="meta"), sr=8000)
    with pytest.warns(UserWarning, match="deprecated"):  # torch 2.13 deprecates these
        q = torch.quantize_per_tensor(y, scale=0.1, zero_point=0, dtype=torch.qint8)
    with pytest.raises(TypeError, match="quantized"):
        sigpu.chroma_stft(q, sr=8000)
    with pytest.raises(TypeError, match="resolve_conj"):
        sigpu.db_to_power(torch.ones(4, dtype=torch.complex64).conj())
    # torch refuses requires_grad on integer tensors itself; the integer tensor that does
    # reach sigpu gets its dtype error, naming the accepted ones
    with pytest.raises(RuntimeError):
        torch.zeros(4, dtype=torch.int64).requires_grad_()
    with pytest.raises(TypeError, match="float32"):
        sigpu.chroma_stft(torch.zeros(4000, dtype=torch.int64), sr=8000)


def test_register_needs_a_public_name():
    with pytest.raises(ValueError, match="no 'not_a_function'"):
        _bridge.register("not_a_function")


def test_registered_implementation_is_called():
    target = sigpu.feature.estimate_tuning
    calls = []

    def impl(*args, **kwargs):
        calls.append((args, kwargs))
        return "from impl"

    saved = dict(_bridge._IMPLEMENTATIONS)
    try:
        _bridge.register("estimate_tuning")(impl)
        y = torch.zeros(100)
        assert target(y, sr=100) == "from impl"
        assert calls[0][0][0] is y and calls[0][1] == {"sr": 100}
        tone = np.sin(2 * np.pi * 440.0 * np.arange(8000) / 8000)
        assert isinstance(sigpu.estimate_tuning(y=tone, sr=8000), float)  # arrays: sigpu
    finally:
        _bridge._IMPLEMENTATIONS.clear()
        _bridge._IMPLEMENTATIONS.update(saved)


@pytest.fixture
def cuda_stand_in(emulated_cupy, monkeypatch):
    """CPU tensors standing for CUDA tensors whose arrays are emulated CuPy arrays: the
    conversions copy (real DLPack would share), everything after them is the CUDA branch."""
    seen = {"to_tensor": 0}

    def to_array(t):
        _bridge._check_convertible(t)
        return emulated_cupy.asarray(t.detach().numpy())

    def to_tensor(a, like):
        assert type(a).__module__.split(".")[0] == "cupy", type(a)
        seen["to_tensor"] += 1
        return torch.from_numpy(emulated_cupy.asnumpy(a))

    monkeypatch.setattr(_bridge, "to_array", to_array)
    monkeypatch.setattr(_bridge, "to_tensor", to_tensor)
    return seen


def test_cuda_branch_on_emulated_cupy(cuda_stand_in, rng):
    y = torch.as_tensor(rng.standard_normal((2, 3000)), dtype=torch.float32)
    got = sigpu.chroma_stft(y, sr=8000, n_fft=512)
    want = sigpu.chroma_stft(y.numpy(), sr=8000, n_fft=512)
    assert cuda_stand_in["to_tensor"] == 1 and got.dtype == torch.float32
    peak = np.abs(want).max()
    assert np.abs(got.numpy() - want).max() <= 1e-6 * peak


def test_cuda_branch_runs_on_the_tensors_device(emulated_cupy, monkeypatch, rng):
    """Tensors on CUDA device 1 (their arrays there) while device 0 is current: the strict
    emulation refuses arrays of another device, so the call must enter device 1."""
    devices = []

    def to_array(t):
        _bridge._check_convertible(t)
        with emulated_cupy.cuda.Device(1):
            return emulated_cupy.asarray(t.detach().numpy())

    def to_tensor(a, like):
        devices.append(a.device.id)
        return torch.from_numpy(emulated_cupy.asnumpy(a))

    monkeypatch.setattr(_bridge, "to_array", to_array)
    monkeypatch.setattr(_bridge, "to_tensor", to_tensor)
    y = torch.as_tensor(rng.standard_normal(3000), dtype=torch.float32)
    got = sigpu.chroma_stft(y, sr=8000, n_fft=512)
    assert devices == [1] and got.shape[0] == 12


def test_torch_dtypes_are_taken(rng):
    y = torch.as_tensor(rng.standard_normal(1000), dtype=torch.float32)
    with torch.no_grad():  # the bridge's own path
        D = sigpu.stft(y, n_fft=64, dtype=torch.complex128)
    assert D.dtype == torch.complex128
    D = sigpu.stft(y.requires_grad_(), n_fft=64, dtype=torch.complex128)  # the autograd path
    assert D.dtype == torch.complex128
    assert _bridge.numpy_dtype(torch.float16) == np.float16
    with pytest.raises(TypeError, match="bfloat16"):
        _bridge.numpy_dtype(torch.bfloat16)
