"""Harmonic convolution on torch tensors: sigpu.harmonic_conv2d / log_harmonic_conv2d with
autograd, and the HarmonicConv2d / LogHarmonicConv2d layers.

References: sigpu's NumPy path (same numbers), torch.autograd.gradcheck in float64, an
independent plain-torch harmonic convolution written from the spec (gather-based lowering +
conv2d, differentiated by torch's autograd), and nn.Conv2d (initialisation; K_f = 1 taps).
The CUDA branch runs on emulated CuPy with CPU tensors standing for CUDA tensors.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import sigpu  # noqa: E402
from sigpu.torch import HarmonicConv2d, LogHarmonicConv2d, _bridge  # noqa: E402
from tests.helpers import tol  # noqa: E402

F64 = torch.float64


def _tensors(rng, shapes, dtype=F64, requires_grad=True):
    return [
        torch.tensor(rng.standard_normal(s), dtype=dtype).requires_grad_(requires_grad)
        for s in shapes
    ]


def _rel(actual, reference):
    actual, reference = np.asarray(actual), np.asarray(reference)
    return np.abs(actual - reference).max() / np.abs(reference).max()


# ----------------------------------------------------------------------------- a torch reference


def _spec_lowering(x, n_harmonics, anchor):
    """Z_k of the spec (section 2.1, top_edge "inclusive") by gathers: (N, C, F, T) ->
    (N, C*K_f, F, T), channel c*K_f + k - 1 = Z_k x[:, c]; differentiable by autograd."""
    n, c, f_bins, t = x.shape
    blocks = []
    for k in range(1, n_harmonics + 1):
        rows = []
        for f in range(f_bins):
            i, remainder = divmod(f * k, anchor)
            if f * k > anchor * (f_bins - 1):
                rows.append(torch.zeros_like(x[:, :, 0]))
                continue
            alpha = remainder / anchor
            value = (1 - alpha) * x[:, :, i]
            if remainder:
                value = value + alpha * x[:, :, i + 1]
            rows.append(value)
        blocks.append(torch.stack(rows, dim=2))  # (N, C, F, T)
    return torch.stack(blocks, dim=2).reshape(n, c * n_harmonics, f_bins, t)


def _spec_harmonic_conv2d(x, weight, bias, *, anchor, stride, padding, dilation, groups):
    c_out, c_per_group, n_harmonics, k_t = weight.shape
    lowered = _spec_lowering(x, n_harmonics, anchor)
    flat_weight = weight.reshape(c_out, c_per_group * n_harmonics, 1, k_t)
    return torch.nn.functional.conv2d(
        lowered, flat_weight, bias, stride=stride, padding=(0, padding),
        dilation=(1, dilation), groups=groups,
    )  # fmt: skip


GEOMETRIES = [
    dict(anchor=1, stride=1, padding=1, dilation=1, groups=1),
    dict(anchor=2, stride=(2, 1), padding=2, dilation=2, groups=1),
    dict(anchor=3, stride=(1, 2), padding=0, dilation=1, groups=2),
]


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_matches_an_independent_torch_formulation_and_its_autograd(rng, geometry):
    groups = geometry["groups"]
    x, weight, bias = _tensors(rng, [(2, 4, 11, 9), (4, 4 // groups, 3, 3), (4,)])
    got = sigpu.harmonic_conv2d(x, weight, bias, **geometry)
    x_ref, w_ref, b_ref = (t.detach().clone().requires_grad_() for t in (x, weight, bias))
    want = _spec_harmonic_conv2d(x_ref, w_ref, b_ref, **geometry)
    assert got.dtype == F64 and got.shape == want.shape
    assert _rel(got.detach(), want.detach()) <= 1e-12
    grad_out = torch.tensor(rng.standard_normal(got.shape))
    got.backward(grad_out)
    want.backward(grad_out)
    for ours, theirs in ((x, x_ref), (weight, w_ref), (bias, b_ref)):
        assert _rel(ours.grad, theirs.grad) <= 1e-12


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["linear", "log"])
def test_same_numbers_as_numpy_forward_and_backward(rng, dtype, kind):
    x, weight, bias = _tensors(rng, [(2, 3, 24, 10), (4, 3, 3, 3), (4,)], dtype)
    if kind == "linear":
        keywords = dict(anchor=2, padding=1, top_edge="hl_repo")
        forward, backward = sigpu.harmonic_conv2d, sigpu.harmonic_conv2d_backward
    else:
        keywords = dict(bins_per_octave=12, anchor=1, padding=1)
        forward, backward = sigpu.log_harmonic_conv2d, sigpu.log_harmonic_conv2d_backward
    y = forward(x, weight, bias, **keywords)
    arrays = [t.detach().numpy() for t in (x, weight, bias)]
    want = forward(*arrays, **keywords)
    assert isinstance(y, torch.Tensor) and y.dtype == dtype and y.device == x.device
    assert _rel(y.detach(), want) <= tol(arrays[0].dtype, 1e-6, 1e-12)
    grad_out = rng.standard_normal(y.shape).astype(arrays[0].dtype)
    y.backward(torch.from_numpy(grad_out))
    wants = backward(grad_out, arrays[0], arrays[1], **keywords)
    for t, reference in zip((x, weight, bias), wants, strict=True):
        assert t.grad.dtype == dtype
        assert _rel(t.grad, reference) <= tol(arrays[0].dtype, 1e-6, 1e-12)


@pytest.mark.parametrize(
    "keywords",
    [
        dict(anchor=2, padding=1, top_edge="inclusive"),
        dict(anchor=3, stride=(2, 2), dilation=2, padding=2, top_edge="zero_ext"),
        dict(anchor=1, groups=2, top_edge="hl_repo"),
    ],
)
def test_gradcheck_harmonic_conv2d(rng, keywords):
    x, weight, bias = _tensors(rng, [(1, 2, 7, 6), (2, 2 // keywords.get("groups", 1), 3, 2), (2,)])
    assert torch.autograd.gradcheck(
        lambda a, b, c: sigpu.harmonic_conv2d(a, b, c, **keywords), (x, weight, bias)
    )


def test_gradcheck_log_harmonic_conv2d(rng):
    x, weight, bias = _tensors(rng, [(1, 2, 12, 5), (3, 2, 3, 2), (3,)])
    assert torch.autograd.gradcheck(
        lambda a, b, c: sigpu.log_harmonic_conv2d(
            a, b, c, bins_per_octave=5.0, anchor=2, padding=1, stride=(1, 2)
        ),
        (x, weight, bias),
    )


def test_gradient_only_where_asked(rng):
    x, weight = _tensors(rng, [(1, 2, 8, 5), (2, 2, 2, 2)])
    x.requires_grad_(False)
    sigpu.harmonic_conv2d(x, weight).sum().backward()
    assert x.grad is None and weight.grad.shape == weight.shape


# ----------------------------------------------------------------------------- layers


def test_layer_initialisation_equals_nn_conv2d():
    torch.manual_seed(3)
    conv = torch.nn.Conv2d(4, 6, (3, 5), groups=2)
    torch.manual_seed(3)
    layer = HarmonicConv2d(4, 6, (3, 5), groups=2)
    assert torch.equal(layer.weight, conv.weight) and torch.equal(layer.bias, conv.bias)


def test_one_harmonic_at_anchor_one_is_an_ordinary_time_convolution(rng):
    layer = HarmonicConv2d(3, 5, (1, 4), stride=(1, 2), padding=(0, 2), dilation=(1, 2)).double()
    conv = torch.nn.Conv2d(3, 5, (1, 4), stride=(1, 2), padding=(0, 2), dilation=(1, 2)).double()
    conv.load_state_dict(layer.state_dict())
    (x,) = _tensors(rng, [(2, 3, 10, 12)], requires_grad=False)
    assert _rel(layer(x).detach(), conv(x).detach()) <= 1e-12


def test_layer_gradcheck_and_parameters_gradients(rng):
    layer = LogHarmonicConv2d(2, 2, (3, 3), padding=1, bins_per_octave=4.0, dtype=F64)
    (x,) = _tensors(rng, [(1, 2, 9, 5)])
    assert torch.autograd.gradcheck(layer, (x,))
    layer(x).square().sum().backward()
    assert layer.weight.grad is not None and layer.bias.grad is not None


def test_layer_state_dict_round_trip_and_modes(rng):
    layer = HarmonicConv2d(2, 3, 3, padding=1, anchor=2, bias=False)
    clone = HarmonicConv2d(2, 3, 3, padding=1, anchor=2, bias=False)
    clone.load_state_dict(layer.state_dict())
    (x,) = _tensors(rng, [(1, 2, 16, 8)], torch.float32, requires_grad=False)
    y = layer(x)
    assert y.dtype == torch.float32 and y.requires_grad
    assert torch.equal(clone(x), y)
    with torch.no_grad():
        assert not layer(x).requires_grad
    with torch.inference_mode():
        assert torch.equal(layer(x), y.detach())
    double = layer.to(F64)
    assert double.weight.dtype == F64 and double(x.double()).dtype == F64
    assert "anchor=2" in repr(layer)


# ----------------------------------------------------------------------------- CUDA branch


@pytest.fixture
def cuda_stand_in(emulated_cupy, monkeypatch):
    """CPU tensors standing for CUDA tensors whose arrays are emulated CuPy arrays (as in
    tests/test_torch_bridge.py): the conversions copy, everything between is the CUDA path."""
    seen = {"to_array": 0}

    def to_array(t):
        _bridge._check_convertible(t)
        seen["to_array"] += 1
        return emulated_cupy.asarray(t.detach().numpy())

    def to_tensor(a, like):
        assert type(a).__module__.split(".")[0] == "cupy", type(a)
        return torch.from_numpy(emulated_cupy.asnumpy(a))

    monkeypatch.setattr(_bridge, "to_array", to_array)
    monkeypatch.setattr(_bridge, "to_tensor", to_tensor)
    return seen


def test_cuda_branch_on_emulated_cupy(cuda_stand_in, rng):
    x, weight, bias = _tensors(rng, [(1, 2, 16, 6), (3, 2, 3, 2), (3,)], torch.float32)
    y = sigpu.harmonic_conv2d(x, weight, bias, anchor=2, padding=1)
    grad_out = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(torch.from_numpy(grad_out))
    arrays = [t.detach().numpy() for t in (x, weight, bias)]
    want = sigpu.harmonic_conv2d(*arrays, anchor=2, padding=1)
    wants = sigpu.harmonic_conv2d_backward(grad_out, *arrays[:2], anchor=2, padding=1)
    assert cuda_stand_in["to_array"] >= 6  # forward and backward went through CuPy
    assert _rel(y.detach(), want) <= 1e-6
    for t, reference in zip((x, weight, bias), wants, strict=True):
        assert _rel(t.grad, reference) <= 1e-6


# ----------------------------------------------------------------------------- bad input


def test_bad_input(rng):
    x, weight = _tensors(rng, [(1, 2, 8, 5), (2, 2, 2, 2)], requires_grad=False)
    with pytest.raises(TypeError, match="dtype|float"):
        sigpu.harmonic_conv2d(x.to(torch.int64), weight.to(torch.int64))
    with pytest.raises(TypeError, match="mixed"):
        sigpu.harmonic_conv2d(x, weight.numpy())
    with pytest.raises(TypeError, match="dtype"):
        sigpu.harmonic_conv2d(x, weight.float())
    with pytest.raises(sigpu.ParameterError, match="padding"):
        sigpu.harmonic_conv2d(x, weight, padding=(1, 1))
    with pytest.raises(sigpu.ParameterError, match="kernel_size"):
        HarmonicConv2d(2, 2, (0, 3))
    with pytest.raises(sigpu.ParameterError, match="groups"):
        HarmonicConv2d(3, 2, 3, groups=2)
    with pytest.raises(sigpu.ParameterError, match="in_channels"):
        LogHarmonicConv2d(0, 2, 3, bins_per_octave=12)
    layer = HarmonicConv2d(2, 2, 3, padding=1)
    with pytest.raises(TypeError, match="mixed"):
        layer(x.float().numpy())
    with pytest.raises(TypeError, match="layout"):
        layer(x.float().to_sparse())
    with pytest.raises(TypeError, match="devices"):
        layer(torch.zeros((1, 2, 8, 5), device="meta"))
