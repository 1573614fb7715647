"""The trainable-basis STFT's frames-basis product (sigpu/torch/_basis_product.py) and the
STFT layer built on it.

References: ``torch.autograd.gradcheck`` (float64 finite differences), torch's own
``matmul`` autograd of the same product, an independent torch formulation of the layer
(``complex(frames @ real.T, frames @ imag.T)`` with torch's ``unfold``), librosa.stft for the
float32 values at n_fft 2048 (1e-6 of the peak).
"""

from __future__ import annotations

import librosa
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import sigpu.torch  # noqa: E402
from sigpu.torch._basis_product import basis_product  # noqa: E402
from tests.helpers import rel_to_peak  # noqa: E402

gradcheck = torch.autograd.gradcheck


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tensor(rng, shape, grad=True):
    return torch.tensor(rng.standard_normal(shape), requires_grad=grad)


def test_product_gradcheck_and_torch_matmul(rng):
    signal = _tensor(rng, (2, 70))
    basis = _tensor(rng, (6, 16))

    def product(signal, basis):
        return basis_product(signal.unfold(-1, 16, 5), basis)  # overlapping frames

    assert gradcheck(product, (signal, basis))
    got = product(signal, basis)
    g = torch.tensor(rng.standard_normal(got.shape))
    grads = torch.autograd.grad(got, (signal, basis), g)
    want = torch.matmul(signal.unfold(-1, 16, 5), basis.T)
    want_grads = torch.autograd.grad(want, (signal, basis), g)
    assert rel_to_peak(got.detach().numpy(), want.detach().numpy()) <= 1e-12
    for a, b in zip(grads, want_grads, strict=True):
        assert rel_to_peak(a.numpy(), b.numpy()) <= 1e-12
    frozen = basis.detach()  # only the frames need a gradient
    (grad_signal,) = torch.autograd.grad(product(signal, frozen), (signal,), g)
    assert rel_to_peak(grad_signal.numpy(), want_grads[0].numpy()) <= 1e-12


def _reference_layer(layer, y, real, imag):
    """The trainable STFT written independently: torch pad, unfold, two matmuls."""
    n_fft, hop = layer.plan.n_fft, layer.plan.hop_length
    padded = torch.nn.functional.pad(y[:, None], (n_fft // 2, n_fft // 2), mode="reflect")
    frames = padded[:, 0].unfold(-1, n_fft, hop)
    return torch.complex(frames @ real.T, frames @ imag.T).transpose(-1, -2)


def test_trainable_layer_values_and_gradients(rng):
    layer = sigpu.torch.STFT(
        n_fft=32, hop_length=12, pad_mode="reflect", freq_scale="log", sr=16000, trainable=True
    )
    y = _tensor(rng, (3, 200))
    params = {name: p.detach().clone().requires_grad_() for name, p in layer.named_parameters()}
    with torch.no_grad():  # a basis that is no longer the Fourier one, as after training
        params["basis_real"].add_(0.1 * torch.tensor(rng.standard_normal((17, 32))))

    def through_layer(y, real, imag):
        state = {"basis_real": real, "basis_imag": imag}
        return torch.func.functional_call(layer, state, (y,))

    inputs = (y, params["basis_real"], params["basis_imag"])
    got = through_layer(*inputs)
    want = _reference_layer(layer, *inputs)
    assert rel_to_peak(got.detach().numpy(), want.detach().numpy()) <= 1e-12
    g = torch.tensor(rng.standard_normal(got.shape) + 1j * rng.standard_normal(got.shape))
    for a, b in zip(
        torch.autograd.grad(got, inputs, g), torch.autograd.grad(want, inputs, g), strict=True
    ):
        assert rel_to_peak(a.numpy(), b.numpy()) <= 1e-12
    small_layer = sigpu.torch.STFT(
        n_fft=16, hop_length=6, center=False, freq_bins=9, trainable=True
    )

    def small_call(y, real, imag):
        state = {"basis_real": real, "basis_imag": imag}
        return torch.func.functional_call(small_layer, state, (y,))

    basis = tuple(_tensor(rng, (9, 16)) for _ in range(2))
    assert gradcheck(small_call, (_tensor(rng, (2, 50)), *basis))


def test_float32_at_n_fft_2048_within_a_millionth_of_the_peak(rng):
    x = rng.standard_normal((2, 30000)).astype(np.float32)
    layer = sigpu.torch.STFT(n_fft=2048, hop_length=512, trainable=True)
    with torch.no_grad():
        got = layer(torch.from_numpy(x))
    assert got.dtype == torch.complex64 and got.stride()[-2] == 1
    want = librosa.stft(x.astype(np.float64), n_fft=2048, hop_length=512, pad_mode="constant")
    assert rel_to_peak(got.numpy(), want) <= 1e-6


def test_inference_reuses_the_basis_until_it_changes(rng):
    layer = sigpu.torch.STFT(n_fft=64, hop_length=16, trainable=True)
    y = torch.tensor(rng.standard_normal((2, 500)))
    with torch.no_grad():
        first = layer(y)
        layer.basis_imag.mul_(-2.0)  # in place, as an optimizer step
        second = layer(y)
    want = _reference_layer_constant(layer, y)
    assert rel_to_peak(second.numpy(), want.detach().numpy()) <= 1e-12
    assert rel_to_peak(second.imag.numpy(), -2.0 * first.imag.numpy()) <= 1e-12
    clone = sigpu.torch.STFT(n_fft=64, hop_length=16, trainable=True)
    with torch.no_grad():
        clone(y)
    clone.load_state_dict(layer.state_dict())
    with torch.inference_mode():
        assert rel_to_peak(clone(y).numpy(), second.numpy()) == 0.0


def _reference_layer_constant(layer, y):
    frames = torch.nn.functional.pad(y, (32, 32)).unfold(-1, 64, 16)
    real, imag = layer.basis_real, layer.basis_imag
    return torch.complex(frames @ real.T, frames @ imag.T).transpose(-1, -2)
