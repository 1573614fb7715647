"""SFI on torch tensors: encode/decode autograd, weight design differentiable in the analog
filters' parameters, and the SFIEncoder / SFIDecoder / SFIConv1d layers.

References: sigpu's NumPy path (same numbers), torch.autograd.gradcheck in float64, dot-product
adjoint identities, torch's conv1d / conv_transpose1d (differentiated by torch's autograd) for
the ops, closed-form torch formulas of the MGF response differentiated by torch's autograd
for the designs, np.convolve for SFIConv1d.  The CUDA branch runs on emulated CuPy with CPU
tensors standing for CUDA tensors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal

torch = pytest.importorskip("torch")

import sigpu  # noqa: E402
from sigpu import sfi  # noqa: E402
from sigpu.torch import (  # noqa: E402
    SFIConv1d,
    SFIDecoder,
    SFIEncoder,
    _bridge,
    gammatone_weights,
    modulated_gaussian_weights,
    rational_weights,
)
from tests.helpers import tol  # noqa: E402

F64 = torch.float64
TWO_PI = 2 * math.pi


def _tensor(rng, shape, dtype=F64, requires_grad=True):
    return torch.tensor(rng.standard_normal(shape), dtype=dtype).requires_grad_(requires_grad)


def _rel(actual, reference):
    actual, reference = np.asarray(actual), np.asarray(reference)
    return np.abs(actual - reference).max() / np.abs(reference).max()


def _torch_weight(weights):
    """Convolution-order weights (F, K) as torch conv1d's (F, 1, K) correlation kernels."""
    return weights.flip(-1)[:, None, :]


# ----------------------------------------------------------------------------- encode / decode


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_encode_decode_same_numbers_as_numpy(rng, dtype):
    x = _tensor(rng, (2, 3, 500), dtype, requires_grad=False)
    w = _tensor(rng, (4, 24), dtype, requires_grad=False)
    y = sfi.encode(x, w, stride=8, padding=8)
    want = sfi.encode(x.numpy(), w.numpy(), stride=8, padding=8)
    assert isinstance(y, torch.Tensor) and y.dtype == dtype and y.shape == want.shape
    assert _rel(y, want) <= tol(want.dtype, 1e-6, 1e-12)
    back = sfi.decode(y, w, stride=8, padding=8, length=500)
    want_back = sfi.decode(want, w.numpy(), stride=8, padding=8, length=500)
    assert back.dtype == dtype and _rel(back, want_back) <= tol(want.dtype, 1e-6, 1e-12)


@pytest.mark.parametrize("n, stride, padding", [(40, 3, 2), (41, 4, 0), (37, 5, 6)])
def test_gradcheck_encode_and_decode(rng, n, stride, padding):
    x, w = _tensor(rng, (2, n)), _tensor(rng, (3, 9))
    assert torch.autograd.gradcheck(
        lambda a, b: sfi.encode(a, b, stride=stride, padding=padding), (x, w)
    )
    n_frames = (n + 2 * padding - 9) // stride + 1
    y = _tensor(rng, (2, 3, n_frames))
    for length in (None, n, n + 7, 3):
        assert torch.autograd.gradcheck(
            lambda a, b, length=length: sfi.decode(
                a, b, stride=stride, padding=padding, length=length
            ),
            (y, w),
        )


def test_adjoint_dot_products_and_backward_adjoint(rng):
    n, stride, padding = 101, 7, 5  # (n + 2 padding - K) % stride != 0
    x, w = _tensor(rng, (2, n)), _tensor(rng, (4, 16), requires_grad=False)
    y_shape = sfi.encode(x, w, stride=stride, padding=padding).shape
    y = _tensor(rng, y_shape, requires_grad=False)
    with torch.no_grad():
        lhs = (sfi.encode(x, w, stride=stride, padding=padding) * y).sum()
        rhs = (x * sfi.decode(y, w, stride=stride, padding=padding, length=n)).sum()
    assert abs((lhs - rhs).item()) <= 1e-12 * abs(lhs.item())
    # the backward of encode in x is the adjoint: the vector-Jacobian product with y
    (vjp,) = torch.autograd.grad(sfi.encode(x, w, stride=stride, padding=padding), x, y)
    assert _rel(vjp, sfi.decode(y, w, stride=stride, padding=padding, length=n)) <= 1e-12


def test_gradients_equal_torch_conv1d_autograd(rng):
    stride, padding = 4, 6
    x, w = _tensor(rng, (3, 90)), _tensor(rng, (5, 12))
    x_ref, w_ref = (t.detach().clone().requires_grad_() for t in (x, w))
    y = sfi.encode(x, w, stride=stride, padding=padding)
    y_ref = torch.nn.functional.conv1d(
        x_ref[:, None], _torch_weight(w_ref), stride=stride, padding=padding
    )
    assert _rel(y.detach(), y_ref.detach()) <= 1e-12
    grad = torch.tensor(rng.standard_normal(y.shape))
    y.backward(grad)
    y_ref.backward(grad)
    assert _rel(x.grad, x_ref.grad) <= 1e-12 and _rel(w.grad, w_ref.grad) <= 1e-12

    codes, w2 = _tensor(rng, (3, 5, 20)), _tensor(rng, (5, 12))
    codes_ref, w2_ref = (t.detach().clone().requires_grad_() for t in (codes, w2))
    out = sfi.decode(codes, w2, stride=stride, padding=padding)
    out_ref = torch.nn.functional.conv_transpose1d(
        codes_ref, _torch_weight(w2_ref), stride=stride, padding=padding
    )[:, 0]
    assert _rel(out.detach(), out_ref.detach()) <= 1e-12
    grad = torch.tensor(rng.standard_normal(out.shape))
    out.backward(grad)
    out_ref.backward(grad)
    assert _rel(codes.grad, codes_ref.grad) <= 1e-12 and _rel(w2.grad, w2_ref.grad) <= 1e-12


# ----------------------------------------------------------------------------- weight design

MGF = dict(mu=[500.0, 1500.0, 2600.0], sigma=[300.0, 400.0, 250.0], phase=[0.2, 1.0, -0.7])
GT = dict(fc=[500.0, 1500.0], b=[120.0, 200.0], phase=[0.3, -1.1])


def _params(values, dtype=F64):
    return [torch.tensor(v, dtype=dtype, requires_grad=True) for v in values.values()]


def _mgf(mu, sigma, phase, **kw):
    return modulated_gaussian_weights(TWO_PI * mu, TWO_PI * sigma, phase, **kw)[0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("design", ["time", "frequency"])
def test_designs_same_numbers_as_numpy(dtype, design):
    mu, sigma, phase = _params(MGF, dtype)
    weights, t0 = modulated_gaussian_weights(
        TWO_PI * mu, TWO_PI * sigma, phase, sr=8000, numtaps=40, design=design
    )
    family = sfi.ModulatedGaussian(
        *(TWO_PI * p.detach().numpy() for p in (mu, sigma)), phase.detach().numpy()
    )
    designer = sfi.time_domain_weights if design == "time" else sfi.frequency_domain_weights
    want, want_t0 = designer(family, 8000, 40)
    assert weights.dtype == dtype and t0 == want_t0
    assert _rel(weights.detach(), want) <= tol(want.dtype, 1e-6, 1e-12)
    fc, b, gphase = _params(GT, dtype)
    weights, _ = gammatone_weights(fc, b, gphase, order=2, sr=16000, numtaps=64, design=design)
    family = sfi.Gammatone(
        fc.detach().numpy(), phase=gphase.detach().numpy(), order=2, b=b.detach().numpy()
    )
    want, _ = designer(family, 16000, 64, **({"grid": "causal"} if design == "time" else {}))
    assert _rel(weights.detach(), want) <= tol(want.dtype, 1e-6, 1e-12)


@pytest.mark.parametrize(
    "design_keywords",
    [
        dict(design="time"),
        dict(design="time", grid="causal_ref", scale=None),
        dict(design="frequency", n_grid=48),
        dict(design="frequency", n_grid=40, delay=1e-3),
    ],
)
def test_gradcheck_designs_in_the_analog_parameters(design_keywords):
    common = dict(sr=8000, numtaps=20, **design_keywords)
    assert torch.autograd.gradcheck(lambda *p: _mgf(*p, **common), _params(MGF))
    for order in (1, 2, 4):
        assert torch.autograd.gradcheck(
            lambda *p, order=order: gammatone_weights(*p, order=order, **common)[0], _params(GT)
        )


def _mgf_response_torch(mu, sigma, phase, w):
    """H(w) of the modulated Gaussian, written from the formula in torch (complex)."""
    mu, sigma, phase = (2 * math.pi * mu[:, None], 2 * math.pi * sigma[:, None], phase[:, None])
    rot = torch.polar(torch.ones_like(phase), phase)
    pos = torch.exp(-((w - mu) ** 2) / (2 * sigma**2)) * rot
    neg = torch.exp(-((w + mu) ** 2) / (2 * sigma**2)) * rot.conj()
    return pos + neg


def test_design_gradients_equal_autograd_of_torch_formulas(rng):
    sr, numtaps, n_grid = 16000, 32, 64
    grad = torch.tensor(rng.standard_normal((3, numtaps)))
    params = _params(MGF)
    reference = [p.detach().clone().requires_grad_() for p in params]
    # time domain, centred grid: w[f, k] = h(t_k) / sr
    _mgf(*params, sr=sr, numtaps=numtaps).backward(grad)
    mu, sigma, phase = (TWO_PI * reference[0], TWO_PI * reference[1], reference[2])
    t = (torch.arange(numtaps, dtype=F64) - (numtaps - 1) / 2) / sr
    h = (2 / math.sqrt(2 * math.pi)) * sigma[:, None] * torch.exp(-0.5 * (sigma[:, None] * t) ** 2)
    (h * torch.cos(mu[:, None] * t + phase[:, None]) / sr * grad).sum().backward()
    for ours, theirs in zip(params, reference, strict=True):
        assert _rel(ours.grad, theirs.grad) <= 1e-10
    # frequency domain: least squares over DC..Nyquist with the centred support
    params = _params(MGF)
    reference = [p.detach().clone().requires_grad_() for p in params]
    _mgf(*params, sr=sr, numtaps=numtaps, design="frequency", n_grid=n_grid).backward(grad)
    w = torch.linspace(0, math.pi * sr, n_grid, dtype=F64)
    support = torch.arange(numtaps, dtype=F64) - (numtaps // 2 - 1)
    phases = torch.outer(w / sr, support)
    system = torch.cat([torch.cos(phases), -torch.sin(phases)])  # (2M, K)
    response = _mgf_response_torch(*reference, w)
    fitted = torch.linalg.lstsq(system, torch.cat([response.real, response.imag], 1).T).solution
    (fitted.T * grad).sum().backward()
    for ours, theirs in zip(params, reference, strict=True):
        assert _rel(ours.grad, theirs.grad) <= 1e-8


def test_scalar_parameters_broadcast_and_get_reduced_gradients():
    mu = torch.tensor([700.0, 1900.0], dtype=F64, requires_grad=True)
    sigma = torch.tensor(350.0, dtype=F64, requires_grad=True)
    weights, _ = modulated_gaussian_weights(TWO_PI * mu, TWO_PI * sigma, 0.5, sr=8000, numtaps=24)
    weights.square().sum().backward()
    assert weights.shape == (2, 24) and sigma.grad.shape == () and mu.grad.shape == (2,)


def _rational_bank():
    """Two band-pass Butterworths (double zero at s = 0, distinct complex poles) as tensors."""
    z, p, k = scipy.signal.butter(
        2, [TWO_PI * 500, TWO_PI * 1500], "bandpass", analog=True, output="zpk"
    )
    zeros = torch.tensor(np.stack([z, z]), dtype=torch.complex128, requires_grad=True)
    poles = torch.tensor(np.stack([p, 1.3 * p]), requires_grad=True)
    gain = torch.tensor([k, 2.0 * k], dtype=F64, requires_grad=True)
    return zeros, poles, gain


@pytest.mark.parametrize("design", ["time", "frequency"])
def test_rational_same_numbers_as_numpy_and_gradcheck(design):
    zeros, poles, gain = _rational_bank()
    options = dict(sr=8000, numtaps=24, design=design, n_grid=64)
    weights, t0 = rational_weights(zeros, poles, gain, **options)
    bank = [
        sfi.RationalFilter(z, p, float(k))
        for z, p, k in zip(*(t.detach().numpy() for t in (zeros, poles, gain)), strict=True)
    ]
    if design == "time":
        want, want_t0 = sfi.time_domain_weights(bank, 8000, 24, grid="causal")
    else:
        want, want_t0 = sfi.frequency_domain_weights(bank, 8000, 24, n_grid=64)
    assert t0 == want_t0 and _rel(weights.detach(), want) <= 1e-12
    assert torch.autograd.gradcheck(
        lambda *p: rational_weights(*p, **options)[0], (zeros, poles, gain)
    )
    # a third-order low-pass without zeros (n_z = 0), one filter given as 1-D tensors
    z, p, k = scipy.signal.bessel(3, TWO_PI * 1000, analog=True, output="zpk")
    lowpass = (
        torch.tensor(z, dtype=torch.complex128, requires_grad=True),
        torch.tensor(p, requires_grad=True),
        torch.tensor(k, dtype=F64, requires_grad=True),
    )
    assert torch.autograd.gradcheck(lambda *p: rational_weights(*p, **options)[0], lowpass)


def test_rational_frequency_gradients_equal_autograd_of_the_zpk_formula(rng):
    """FD design: torch's autograd through H(s) = k prod(s - z) / prod(s - p) in complex
    torch arithmetic and an independent lstsq fit gives the same complex gradients."""
    sr, numtaps, n_grid = 8000, 20, 48
    zeros, poles, gain = _rational_bank()
    reference = [t.detach().clone().requires_grad_() for t in (zeros, poles, gain)]
    grad = torch.tensor(rng.standard_normal((2, numtaps)))
    rational_weights(zeros, poles, gain, sr=sr, numtaps=numtaps, design="frequency", n_grid=n_grid)[
        0
    ].backward(grad)
    w = torch.linspace(0, math.pi * sr, n_grid, dtype=F64)
    s = (1j * w).to(torch.complex128)
    z, p, k = reference
    response = k[:, None] * torch.prod(s - z[:, :, None], 1) / torch.prod(s - p[:, :, None], 1)
    support = torch.arange(numtaps, dtype=F64) - (numtaps // 2 - 1)
    phases = torch.outer(w / sr, support)
    system = torch.cat([torch.cos(phases), -torch.sin(phases)])
    fitted = torch.linalg.lstsq(system, torch.cat([response.real, response.imag], 1).T).solution
    (fitted.T * grad).sum().backward()
    for ours, theirs in zip((zeros, poles, gain), reference, strict=True):
        assert _rel(ours.grad, theirs.grad) <= 1e-8


def test_rational_bad_input():
    zeros, poles, gain = (t.detach() for t in _rational_bank())
    with pytest.raises(TypeError, match="complex64"):
        rational_weights(zeros, poles, gain.float(), sr=8000, numtaps=8)
    with pytest.raises(TypeError, match="torch tensors"):
        rational_weights(zeros.numpy(), poles, gain, sr=8000, numtaps=8)
    with pytest.raises(sigpu.ParameterError, match="numbers of filters"):
        rational_weights(zeros[:1], poles, gain, sr=8000, numtaps=8)
    with pytest.raises(sigpu.ParameterError, match=r"\(F, n\)"):
        rational_weights(zeros[None], poles[None], gain, sr=8000, numtaps=8)
    repeated = torch.tensor([[-100.0 + 0j, -100.0 + 0j]], dtype=torch.complex128)
    none = torch.zeros((1, 0), dtype=torch.complex128)
    with pytest.raises(sigpu.ParameterError, match="distinct poles"):
        rational_weights(
            none, repeated.requires_grad_(), torch.ones(1, dtype=F64), sr=8000, numtaps=8
        )[0].sum().backward()


# ----------------------------------------------------------------------------- layers


@pytest.mark.parametrize("family", ["mgf", "gammatone"])
@pytest.mark.parametrize("design", ["time", "frequency"])
def test_encoder_decoder_equal_sigpu_at_every_rate(rng, family, design):
    encoder = SFIEncoder(6, 40, 20, train_sr=16000, family=family, design=design, dtype=F64)
    decoder = SFIDecoder(6, 40, 20, train_sr=16000, family=family, design=design, dtype=F64)
    for sr, n in ((8000, 400), (16000, 800), (32000, 1600)):
        x = _tensor(rng, (2, n), requires_grad=False)
        y = encoder(x, sr=sr)
        numtaps, hop, padding = sfi.scaled_geometry(sr, train_sr=16000, kernel_size=40, stride=20)
        weights = encoder.weights(sr).detach().numpy()
        assert weights.shape == (6, numtaps) and y.shape == (2, 6, 40)
        assert (
            _rel(y.detach(), sfi.encode(x.numpy(), weights, stride=hop, padding=padding)) <= 1e-12
        )
        out = decoder(y, sr=sr, length=n)
        want = sfi.decode(
            y.detach().numpy(), decoder.weights(sr).detach().numpy() * (sr / 16000),
            stride=hop, padding=padding, length=n,
        )  # fmt: skip
        assert out.shape == (2, n) and _rel(out.detach(), want) <= 1e-12


def test_decoder_level_does_not_depend_on_the_rate():
    """A 1 kHz tone encoded and decoded at 8, 16 and 32 kHz keeps one level (the decoder's
    sr / train_sr factor), within the filters' sampling differences."""
    encoder = SFIEncoder(24, 40, 20, train_sr=16000, fmax=4000.0, dtype=F64)
    decoder = SFIDecoder(24, 40, 20, train_sr=16000, fmax=4000.0, dtype=F64)
    levels = []
    with torch.no_grad():
        for sr in (8000, 16000, 32000):
            t = torch.arange(sr // 4, dtype=F64) / sr
            out = decoder(encoder(torch.sin(TWO_PI * 1000 * t), sr=sr), sr=sr, length=t.numel())
            levels.append(float(out[sr // 16 : -sr // 16].std()))
    assert max(levels) / min(levels) < 1.05, levels


def test_sfi_conv1d_equals_np_convolve(rng):
    conv = SFIConv1d(2, 3, 33, train_sr=16000, family="gammatone", dtype=F64)
    with torch.no_grad():
        conv.bias.copy_(torch.tensor([0.5, -1.0, 2.0]))
    for sr, n in ((8000, 300), (16000, 600)):
        x = _tensor(rng, (1, 2, n), requires_grad=False)
        y = conv(x, sr=sr).detach().numpy()
        taps = conv.filters.weights(sr).detach().numpy().reshape(3, 2, -1)
        numtaps = taps.shape[-1]
        start = numtaps - 1 - (numtaps - 1) // 2
        for o in range(3):
            want = conv.bias[o].item() + sum(
                np.convolve(x[0, c].numpy(), taps[o, c])[start : start + n] for c in range(2)
            )
            assert _rel(y[0, o], want) <= 1e-12


def test_layer_gradcheck_in_the_analog_parameters(rng):
    encoder = SFIEncoder(3, 16, 8, train_sr=8000, design="frequency", n_grid=24, dtype=F64)
    x = _tensor(rng, (1, 60), requires_grad=False)
    names = ("center_hz", "bandwidth_hz", "phase")

    def run(layer, inputs, sr):
        # the layer as a function of its analog parameters
        return lambda *p: torch.func.functional_call(
            layer, dict(zip(names, p, strict=True)), inputs, {"sr": sr}
        )

    params = tuple(getattr(encoder, n).detach().clone().requires_grad_() for n in names)
    assert torch.autograd.gradcheck(run(encoder, (x,), 8000), params)
    decoder = SFIDecoder(3, 16, 8, train_sr=8000, family="gammatone", dtype=F64)
    codes = _tensor(rng, (1, 3, 7), requires_grad=False)
    params = tuple(getattr(decoder, n).detach().clone().requires_grad_() for n in names)
    assert torch.autograd.gradcheck(run(decoder, (codes,), 16000), params)


def test_layers_state_dict_modes_and_dtype(rng):
    encoder = SFIEncoder(8, 40, 20, train_sr=16000)
    clone = SFIEncoder(8, 40, 20, train_sr=16000)
    with torch.no_grad():
        encoder.center_hz.mul_(1.1)
    clone.load_state_dict(encoder.state_dict())
    x = _tensor(rng, (2, 800), torch.float32, requires_grad=False)
    y = encoder(x, sr=16000)
    assert y.dtype == torch.float32 and y.requires_grad and torch.equal(clone(x, sr=16000), y)
    with torch.no_grad():
        assert not encoder(x, sr=8000).requires_grad
    with torch.inference_mode():
        assert torch.equal(encoder(x, sr=16000), y.detach())
    y.square().sum().backward()
    assert all(p.grad is not None for p in encoder.parameters())
    double = encoder.to(F64)
    assert double.center_hz.dtype == F64 and double(x.double(), sr=16000).dtype == F64
    assert "train_sr=16000" in repr(encoder)


# ----------------------------------------------------------------------------- CUDA branch


@pytest.fixture
def cuda_stand_in(emulated_cupy, monkeypatch):
    """CPU tensors standing for CUDA tensors whose arrays are emulated CuPy arrays (as in
    tests/test_torch_bridge.py): the conversions copy, everything between is the CUDA path."""
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


@pytest.mark.parametrize("design", ["time", "frequency"])
def test_cuda_branch_on_emulated_cupy(cuda_stand_in, rng, design):
    x = _tensor(rng, (2, 400), torch.float32)
    x_cpu = x.detach().clone().requires_grad_()
    encoder = SFIEncoder(4, 40, 20, train_sr=16000, design=design)
    decoder = SFIDecoder(4, 40, 20, train_sr=16000, design=design)
    out = decoder(encoder(x, sr=8000), sr=8000, length=400)
    grad = torch.tensor(rng.standard_normal(out.shape), dtype=torch.float32)
    out.backward(grad)
    assert cuda_stand_in["to_tensor"] >= 8  # forward and backward went through CuPy
    got = [x.grad] + [p.grad.clone() for p in (*encoder.parameters(), *decoder.parameters())]
    encoder.zero_grad()
    decoder.zero_grad()
    with pytest.MonkeyPatch.context() as undo:
        undo.setattr(_bridge, "to_array", lambda t: t.detach().numpy())
        undo.setattr(_bridge, "to_tensor", lambda a, like: torch.from_numpy(np.array(a)))
        decoder(encoder(x_cpu, sr=8000), sr=8000, length=400).backward(grad)
    want = [x_cpu.grad] + [p.grad for p in (*encoder.parameters(), *decoder.parameters())]
    for ours, theirs in zip(got, want, strict=True):
        assert _rel(ours, theirs) <= 1e-5


@pytest.mark.parametrize("design", ["time", "frequency"])
def test_rational_cuda_branch_on_emulated_cupy(cuda_stand_in, design):
    zeros, poles, gain = _rational_bank()
    options = dict(sr=8000, numtaps=24, design=design, n_grid=64)
    weights, _ = rational_weights(zeros, poles, gain, **options)
    weights.square().sum().backward()
    assert cuda_stand_in["to_tensor"] >= 4
    reference = [t.detach().clone().requires_grad_() for t in (zeros, poles, gain)]
    with pytest.MonkeyPatch.context() as undo:
        undo.setattr(_bridge, "to_array", lambda t: t.detach().numpy())
        undo.setattr(_bridge, "to_tensor", lambda a, like: torch.from_numpy(np.array(a)))
        want, _ = rational_weights(*reference, **options)
        want.square().sum().backward()
    assert _rel(weights.detach(), want.detach()) <= 1e-12
    for ours, theirs in zip((zeros, poles, gain), reference, strict=True):
        assert _rel(ours.grad, theirs.grad) <= 1e-12


# ----------------------------------------------------------------------------- bad input


def test_bad_input(rng):
    mu = torch.tensor([500.0, 900.0], dtype=F64)
    with pytest.raises(TypeError, match="float32 or float64"):
        modulated_gaussian_weights(mu.to(torch.int64), 300.0, 0.0, sr=8000, numtaps=8)
    with pytest.raises(TypeError, match="one dtype"):
        modulated_gaussian_weights(mu, mu.float(), 0.0, sr=8000, numtaps=8)
    with pytest.raises(TypeError, match="torch tensors"):
        gammatone_weights(500.0, 100.0, 0.0, sr=8000, numtaps=8)
    with pytest.raises(sigpu.ParameterError, match="1-D"):
        gammatone_weights(mu[None], 100.0, 0.0, sr=8000, numtaps=8)
    with pytest.raises(sigpu.ParameterError, match="broadcast"):
        gammatone_weights(mu, torch.ones(3, dtype=F64), 0.0, sr=8000, numtaps=8)
    with pytest.raises(sigpu.ParameterError, match="design"):
        gammatone_weights(mu, 100.0, 0.0, sr=8000, numtaps=8, design="bilinear")
    with pytest.raises(sigpu.ParameterError, match="sigma"):
        modulated_gaussian_weights(mu, -1.0, 0.0, sr=8000, numtaps=8)
    with pytest.raises(sigpu.ParameterError, match="numtaps"):
        modulated_gaussian_weights(mu, 1.0, 0.0, sr=8000, numtaps=0)
    with pytest.raises(TypeError, match="mixed"):
        sfi.encode(torch.zeros(2, 100), np.ones((3, 8)), stride=4, padding=0)
    with pytest.raises(sigpu.ParameterError, match="family"):
        SFIEncoder(4, 40, 20, train_sr=16000, family="sinc")
    with pytest.raises(sigpu.ParameterError, match="stride"):
        SFIEncoder(4, 40, 80, train_sr=16000)
    with pytest.raises(sigpu.ParameterError, match="sample"):
        SFIEncoder(4, 40, 1, train_sr=16000)(torch.zeros(1, 400), sr=8000)
    encoder = SFIEncoder(4, 40, 20, train_sr=16000)
    with pytest.raises(TypeError, match="mixed"):
        encoder(np.zeros((1, 800), np.float32), sr=16000)
    with pytest.raises(TypeError, match="layout"):
        encoder(torch.zeros((1, 800)).to_sparse(), sr=16000)
    with pytest.raises(TypeError, match="devices"):
        encoder(torch.zeros((1, 800), device="meta"), sr=16000)
    with pytest.raises(sigpu.ParameterError, match="bandwidth_hz"):
        SFIEncoder(4, 40, 20, train_sr=16000, bandwidth_hz=1e-300)
    with pytest.raises(sigpu.ParameterError, match="train_sr"):
        SFIDecoder(4, 40, 20, train_sr=80)
    with pytest.raises(sigpu.ParameterError, match="sr=96000"):
        SFIEncoder(4, 40, 20, train_sr=16000, design="frequency", n_grid=64)(
            torch.zeros(1, 4000), sr=96000
        )
