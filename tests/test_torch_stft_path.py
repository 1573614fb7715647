"""The STFT of CPU tensors computed by torch's FFT (sigpu/torch/_stft_torch.py).

References: librosa.stft (an independent implementation of the same definition) and sigpu's
NumPy STFT, 1e-6 of the peak in float32 and 1e-12 in float64; the cases the torch path does
not take must reach the bridge, whose checks raise sigpu's errors and whose numbers are
sigpu's to the bit.
"""

from __future__ import annotations

import librosa
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import sigpu  # noqa: E402
import sigpu.torch  # noqa: E402
from sigpu.torch import _stft_torch  # noqa: E402
from tests.helpers import rel_to_peak  # noqa: E402


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tol(dtype):
    return 1e-6 if dtype == torch.float32 else 1e-12


def _calls_to_torch_path(monkeypatch):
    calls = []
    original = _stft_torch.torch_stft

    def counted(plan, y, power=None):
        calls.append(tuple(y.shape))
        return original(plan, y, power)

    for module in (
        sigpu.torch._spectral,
        sigpu.torch._stft_autograd,
        sigpu.torch.spectral_layers,
    ):
        monkeypatch.setattr(module, "torch_stft", counted)
    return calls


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    "options",
    [
        dict(n_fft=2048, hop_length=512),  # many frames: blocks within a row
        dict(n_fft=256, hop_length=64, pad_mode="reflect", window="hamming"),
        dict(n_fft=255, hop_length=100, win_length=200, pad_mode="edge"),  # odd, short window
        dict(n_fft=128, hop_length=37, center=False, window=("kaiser", 8.0)),
        dict(n_fft=64, hop_length=16, window="boxcar"),  # few frames: whole rows per block
    ],
)
def test_matches_librosa_and_numpy(monkeypatch, rng, dtype, options):
    x = rng.standard_normal((2, 3, 9000)).astype(str(dtype)[6:])
    calls = _calls_to_torch_path(monkeypatch)
    with torch.no_grad():
        got = sigpu.stft(torch.from_numpy(x), **options)
    assert calls == [x.shape]
    assert got.dtype == (torch.complex64 if dtype == torch.float32 else torch.complex128)
    assert got.stride()[-2] == 1  # time-major in memory, like sigpu's NumPy result
    want = librosa.stft(x, **options)
    assert got.shape == want.shape
    assert rel_to_peak(got.numpy(), want) <= _tol(dtype)
    assert rel_to_peak(got.numpy(), sigpu.stft(x, **options)) <= _tol(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("power", [1.0, 2.0, 1.5])
def test_power_taken_block_by_block(rng, dtype, power):
    x = rng.standard_normal((3, 7000)).astype(str(dtype)[6:])
    plan = sigpu.STFT(n_fft=512, hop_length=128, pad_mode="reflect")
    got = _stft_torch.torch_stft(plan, torch.from_numpy(x), power=power)
    assert got.dtype == dtype
    want = librosa.stft(x.astype(np.float64), n_fft=512, hop_length=128, pad_mode="reflect")
    want = np.abs(want) ** power
    assert rel_to_peak(got.numpy(), want) <= _tol(dtype)


def test_bank_layers_without_gradient_use_it(monkeypatch, rng):
    x = rng.standard_normal((2, 6000)).astype(np.float32)
    calls = _calls_to_torch_path(monkeypatch)
    kw = dict(sr=16000, n_fft=400, hop_length=160, power=1.0)
    layer = sigpu.torch.MelSpectrogram(n_mels=40, **kw)
    with torch.no_grad():
        got = layer(torch.from_numpy(x))
    assert calls == [(2, 6000)]
    want = librosa.feature.melspectrogram(y=x.astype(np.float64), n_mels=40, **kw)
    assert rel_to_peak(got.numpy(), want) <= 1e-6
    y = torch.from_numpy(x).requires_grad_()
    with_grad = layer(y)  # the gradient path: the complex STFT, then |.| in torch
    assert with_grad.requires_grad and len(calls) == 2
    assert rel_to_peak(with_grad.detach().numpy(), want) <= 1e-6


def test_layer_and_gradient_use_it_with_the_exact_adjoint(monkeypatch, rng):
    y = torch.tensor(rng.standard_normal((3, 5000)), requires_grad=True)
    calls = _calls_to_torch_path(monkeypatch)
    layer = sigpu.torch.STFT(n_fft=512, hop_length=128, pad_mode="reflect")
    D = layer(y)
    assert calls == [(3, 5000)] and D.requires_grad
    g = torch.tensor(rng.standard_normal(D.shape) + 1j * rng.standard_normal(D.shape))
    (grad,) = torch.autograd.grad(D, y, g)
    # <stft(y), g> = <y, adjoint(g)> (real inner products; the STFT is linear)
    lhs = torch.sum(D.detach().real * g.real + D.detach().imag * g.imag)
    assert abs(float(lhs - torch.sum(y.detach() * grad))) <= 1e-12 * abs(float(lhs))
    small = torch.tensor(rng.standard_normal(300), requires_grad=True)
    assert torch.autograd.gradcheck(sigpu.torch.STFT(n_fft=64, hop_length=24), (small,))


def test_cases_it_leaves_to_the_bridge(monkeypatch, rng):
    calls = _calls_to_torch_path(monkeypatch)
    x = rng.standard_normal((2, 3000))
    y = torch.from_numpy(x)
    window = np.hanning(256)
    for options, array_options in [
        (dict(n_fft=256, pad_mode="symmetric"), None),  # no such pad in torch
        (dict(n_fft=256, window=torch.from_numpy(window)), dict(n_fft=256, window=window)),
        (dict(n_fft=256, dtype=np.complex64), None),
    ]:
        want = sigpu.stft(x, **(array_options or options))
        np.testing.assert_array_equal(sigpu.stft(y, **options).numpy(), want)
    out = torch.empty((2, 129, 47), dtype=torch.complex128)
    assert sigpu.stft(y, n_fft=256, out=out) is out
    np.testing.assert_array_equal(out.numpy(), sigpu.stft(x, n_fft=256))
    torch.set_num_threads(2)  # several torch threads: the bridge (sigpu's own thread pool)
    np.testing.assert_array_equal(sigpu.stft(y, n_fft=256).numpy(), sigpu.stft(x, n_fft=256))
    torch.set_num_threads(1)
    with pytest.raises(TypeError, match="float32 or float64"):  # sigpu's dtype check
        sigpu.stft(torch.arange(3000), n_fft=256)
    with pytest.warns(UserWarning, match="too large"):  # shorter than n_fft: sigpu's warning
        sigpu.stft(y[:, :100], n_fft=256)
    y[0, 7] = float("nan")
    with pytest.raises(sigpu.ParameterError, match="NaN or inf"):
        sigpu.stft(y, n_fft=256)
    assert calls == []
    with sigpu.check_finite(False):  # unchecked: torch computes the NaN frames sigpu would
        got, want = sigpu.stft(y, n_fft=256), sigpu.stft(x, n_fft=256)
    assert calls == [(2, 3000)]
    np.testing.assert_array_equal(torch.isnan(got).numpy(), np.isnan(want))
    assert np.isnan(want).any()


def test_finite_samples_whose_sum_overflows_still_transform(monkeypatch):
    calls = _calls_to_torch_path(monkeypatch)
    x = np.full(4096, 2e35, dtype=np.float32)  # finite samples, an infinite float32 sum
    got = sigpu.stft(torch.from_numpy(x), n_fft=512)
    assert calls == [] and torch.isfinite(got).all()
    np.testing.assert_array_equal(got.numpy(), sigpu.stft(x, n_fft=512))
