"""SFI layers of the rational (pole/zero) family: ``family="rational"`` of SFIEncoder,
SFIDecoder and SFIConv1d.

References: sigpu.sfi's NumPy designs of the same RationalFilter bank, its zeros/poles/gains
recomputed here with NumPy from the layer's raw parameters (softplus as ``logaddexp``);
scipy.signal.butter + freqs (transfer-function form) for the initial Butterworth band-passes
and their analytic -3 dB edges; torch.autograd.gradcheck in float64; the CPU path for the
CUDA branch (emulated CuPy).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal

torch = pytest.importorskip("torch")

import sigpu  # noqa: E402
from sigpu import sfi  # noqa: E402
from sigpu.torch import SFIConv1d, SFIDecoder, SFIEncoder, _bridge  # noqa: E402
from tests.helpers import tol  # noqa: E402

F64 = torch.float64
TWO_PI = 2 * math.pi
NAMES = ("pole_rate", "pole_hz", "zero_re_hz", "zero_im_hz", "gain")


def _rel(actual, reference):
    actual, reference = np.asarray(actual), np.asarray(reference)
    return np.abs(actual - reference).max() / np.abs(reference).max()


def _numpy_filters(bank):
    """The bank's RationalFilters, zpk recomputed in NumPy from the raw parameters."""
    rate, freq, zero_re, zero_im, gain = (getattr(bank, n).detach().double().numpy() for n in NAMES)
    upper = TWO_PI * (-np.logaddexp(0.0, rate) + 1j * freq)
    poles = np.concatenate([upper, upper.conj()], axis=1)
    n_pairs = zero_im.shape[1]
    pairs = TWO_PI * (zero_re[:, :n_pairs] + 1j * zero_im)
    zeros = np.concatenate([pairs, pairs.conj(), TWO_PI * zero_re[:, n_pairs:]], axis=1)
    gains = gain * (TWO_PI * 1000.0) ** (poles.shape[1] - zeros.shape[1])
    return [sfi.RationalFilter(z, p, k) for z, p, k in zip(zeros, poles, gains, strict=True)]


def _cheby2_bank(centres_hz, bandwidth_hz=300.0):
    """Chebyshev II band-passes (order 3): 2 conjugate zero pairs on the jw axis, a real zero
    at 0, 3 pole pairs: every rational parameter is non-empty."""
    banks = [
        scipy.signal.cheby2(
            3, 30, TWO_PI * np.array([fc - bandwidth_hz / 2, fc + bandwidth_hz / 2]),
            "bandpass", analog=True, output="zpk",
        )
        for fc in centres_hz
    ]  # fmt: skip
    return tuple(np.stack([b[i] for b in banks]) for i in range(3))


def _perturb(layer, rng, scale=0.05):
    """Move every rational parameter off its initial value (relative steps)."""
    with torch.no_grad():
        for name in NAMES:
            p = getattr(layer.filters if isinstance(layer, SFIConv1d) else layer, name)
            p.mul_(1 + scale * torch.tensor(rng.standard_normal(p.shape), dtype=p.dtype))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("design", ["time", "frequency"])
def test_layers_equal_numpy_design_of_the_same_filters(rng, dtype, design):
    options = dict(train_sr=16000, family="rational", design=design, dtype=dtype)
    encoder = SFIEncoder(5, 40, 20, **options)
    decoder = SFIDecoder(5, 40, 20, zpk=_cheby2_bank([300, 900, 1500, 2500, 3500]), **options)
    _perturb(encoder, rng)
    _perturb(decoder, rng)
    limit = tol(np.float32 if dtype == torch.float32 else np.float64, 2e-5, 1e-12)
    for sr, n in ((8000, 400), (16000, 800), (32000, 1600)):
        numtaps, hop, padding = sfi.scaled_geometry(sr, train_sr=16000, kernel_size=40, stride=20)
        for layer in (encoder, decoder):
            if design == "time":
                want = sfi.time_domain_weights(_numpy_filters(layer), sr, numtaps, grid="causal")[0]
            else:
                want = sfi.frequency_domain_weights(_numpy_filters(layer), sr, numtaps)[0]
            got = layer.weights(sr)
            assert got.dtype == dtype and got.shape == (5, numtaps)
            assert _rel(got.detach(), want) <= limit
        x = torch.tensor(rng.standard_normal((2, n)), dtype=dtype)
        y = encoder(x, sr=sr)
        weights = encoder.weights(sr).detach().double().numpy()
        want = sfi.encode(x.double().numpy(), weights, stride=hop, padding=padding)
        assert y.shape == (2, 5, 40) and _rel(y.detach(), want) <= limit
        out = decoder(y, sr=sr, length=n)
        weights = decoder.weights(sr).detach().double().numpy() * (sr / 16000)
        want = sfi.decode(
            y.detach().double().numpy(), weights, stride=hop, padding=padding, length=n
        )
        assert out.shape == (2, n) and _rel(out.detach(), want) <= limit


def test_conv1d_equals_np_convolve_of_numpy_design(rng):
    conv = SFIConv1d(2, 3, 33, train_sr=16000, family="rational", dtype=F64)
    _perturb(conv, rng)
    with torch.no_grad():
        conv.bias.copy_(torch.tensor([0.5, -1.0, 2.0]))
    for sr, n in ((8000, 300), (16000, 600)):
        numtaps = sfi.scaled_geometry(sr, train_sr=16000, kernel_size=33, stride=33)[0]
        taps, _ = sfi.time_domain_weights(_numpy_filters(conv.filters), sr, numtaps, grid="causal")
        taps = taps.reshape(3, 2, numtaps)
        x = torch.tensor(rng.standard_normal((1, 2, n)), dtype=F64)
        y = conv(x, sr=sr).detach().numpy()
        start = numtaps - 1 - (numtaps - 1) // 2  # "same": centre of the full convolution
        for o in range(3):
            want = [0.5, -1.0, 2.0][o] + sum(
                np.convolve(x[0, c].numpy(), taps[o, c])[start : start + n] for c in range(2)
            )
            assert _rel(y[0, o], want) <= 1e-12


@pytest.mark.parametrize("order", [1, 2, 3])
def test_initial_filters_are_butterworth_bandpasses_at_erb_spaced_centres(order):
    sr, n_grid = 16000, 640
    encoder = SFIEncoder(
        4, 40, 20, train_sr=sr, family="rational", order=order, fmin=100.0, dtype=F64
    )
    w = np.linspace(0, np.pi * sr, n_grid)  # the frequency-domain design's grid
    centres = sfi.erb_space(100.0, sr / 2, 4)
    zeros, poles, gain = (t.detach().numpy() for t in encoder.rational_zpk())
    for f, fc in enumerate(centres):
        band = TWO_PI * (24.7 + fc / 9.265)
        w0 = TWO_PI * fc
        w1 = (math.sqrt(4 * w0**2 + band**2) - band) / 2  # w1 (w1 + band) = w0^2
        b, a = scipy.signal.butter(order, [w1, w1 + band], "bandpass", analog=True)
        _, want = scipy.signal.freqs(b, a, worN=w)
        got = sfi.RationalFilter(zeros[f], poles[f], gain[f]).frequency_response(w)[0]
        assert _rel(got, want) <= 1e-9
        # analytic: unit peak at the geometric centre, -3 dB at both edges
        edges = sfi.RationalFilter(zeros[f], poles[f], gain[f]).frequency_response(
            np.array([w0, w1, w1 + band])
        )[0]
        np.testing.assert_allclose(np.abs(edges), [1, 0.5**0.5, 0.5**0.5], rtol=1e-9)
    assert np.all(poles.real < 0)


def _functional(layer, inputs, sr, names):
    return lambda *p: torch.func.functional_call(
        layer, dict(zip(names, p, strict=True)), inputs, {"sr": sr}
    )


@pytest.mark.parametrize("design", ["time", "frequency"])
def test_gradcheck_in_the_input_and_every_analog_parameter(rng, design):
    zpk = _cheby2_bank([600.0, 1400.0], bandwidth_hz=400.0)
    options = dict(train_sr=8000, family="rational", design=design, n_grid=24, dtype=F64)
    encoder = SFIEncoder(2, 16, 8, zpk=zpk, **options)
    x = torch.tensor(rng.standard_normal((1, 50)), dtype=F64, requires_grad=True)
    params = tuple(getattr(encoder, n).detach().clone().requires_grad_() for n in NAMES)
    assert all(p.numel() for p in params)
    assert torch.autograd.gradcheck(
        lambda x, *p: _functional(encoder, (x,), 8000, NAMES)(*p), (x, *params)
    )
    decoder = SFIDecoder(2, 16, 8, zpk=zpk, **options)
    codes = torch.tensor(rng.standard_normal((1, 2, 6)), dtype=F64, requires_grad=True)
    params = tuple(getattr(decoder, n).detach().clone().requires_grad_() for n in NAMES)
    assert torch.autograd.gradcheck(
        lambda y, *p: _functional(decoder, (y,), 12000, NAMES)(*p), (codes, *params)
    )
    conv = SFIConv1d(1, 2, 9, zpk=zpk, **options)
    names = tuple(f"filters.{n}" for n in NAMES) + ("bias",)
    params = tuple(conv.get_parameter(n).detach().clone().requires_grad_() for n in names)
    signal = torch.tensor(rng.standard_normal((1, 1, 30)), dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda s, *p: _functional(conv, (s,), 8000, names)(*p), (signal, *params)
    )


def test_state_dict_dtype_and_grad_modes(rng):
    encoder = SFIEncoder(6, 40, 20, train_sr=16000, family="rational")
    clone = SFIEncoder(6, 40, 20, train_sr=16000, family="rational")
    _perturb(encoder, rng)
    clone.load_state_dict(encoder.state_dict())
    assert set(encoder.state_dict()) == set(NAMES)
    x = torch.tensor(rng.standard_normal((2, 800)), dtype=torch.float32)
    y = encoder(x, sr=16000)
    assert y.dtype == torch.float32 and y.requires_grad
    assert torch.equal(clone(x, sr=16000), y)
    with torch.no_grad():
        assert not encoder(x, sr=8000).requires_grad
    with torch.inference_mode():
        assert torch.equal(encoder(x, sr=16000), y.detach())
    y.square().sum().backward()
    assert all(getattr(encoder, n).grad is not None for n in NAMES)
    double = encoder.to(F64)
    assert double.pole_rate.dtype == F64 and double(x.double(), sr=16000).dtype == F64
    assert _rel(double(x.double(), sr=16000).detach(), y.detach().double()) <= 2e-5
    assert "family='rational'" in repr(encoder)


def test_poles_stay_stable_under_any_parameter_values():
    encoder = SFIEncoder(3, 40, 20, train_sr=16000, family="rational", dtype=F64)
    with torch.no_grad():
        encoder.pole_rate.fill_(-30.0)  # a gradient step far past the imaginary axis
    _, poles, _ = encoder.rational_zpk()
    assert bool((poles.real < 0).all())
    assert torch.equal(poles[:, 2:], poles[:, :2].conj())


def test_cuda_branch_on_emulated_cupy(emulated_cupy, monkeypatch, rng):
    """CPU tensors stand for CUDA tensors whose arrays are emulated CuPy arrays (as in
    tests/test_torch_sfi.py); gradients equal the CPU path's."""
    converted = []

    def to_array(t):
        _bridge._check_convertible(t)
        return emulated_cupy.asarray(t.detach().numpy())

    def to_tensor(a, like):
        assert type(a).__module__.split(".")[0] == "cupy", type(a)
        converted.append(a)
        return torch.from_numpy(emulated_cupy.asnumpy(a))

    encoder = SFIEncoder(3, 40, 20, train_sr=16000, family="rational", dtype=F64)
    x = torch.tensor(rng.standard_normal((2, 400)), dtype=F64)
    encoder(x, sr=8000).square().sum().backward()
    want = [getattr(encoder, n).grad.clone() for n in NAMES]
    encoder.zero_grad()
    monkeypatch.setattr(_bridge, "to_array", to_array)
    monkeypatch.setattr(_bridge, "to_tensor", to_tensor)
    encoder(x, sr=8000).square().sum().backward()
    assert len(converted) >= 4  # design and encode, forward and backward, through CuPy
    for name, theirs in zip(NAMES, want, strict=True):
        if theirs.numel():
            assert _rel(getattr(encoder, name).grad, theirs) <= 1e-12, name


def test_bad_input():
    options = dict(train_sr=16000, family="rational")
    z, p, k = _cheby2_bank([500.0, 1500.0])
    with pytest.raises(sigpu.ParameterError, match="order"):
        SFIEncoder(2, 40, 20, order=9, **options)
    with pytest.raises(sigpu.ParameterError, match="fmin"):
        SFIEncoder(2, 40, 20, fmin=0.0, **options)
    with pytest.raises(sigpu.ParameterError, match="bandwidth_hz"):
        SFIEncoder(2, 40, 20, bandwidth_hz=1e-300, **options)  # edges not distinct
    with pytest.raises(sigpu.ParameterError, match="order=3 .odd.*fmin"):
        SFIEncoder(2, 40, 20, fmin=5.0, order=3, **options)  # ERB(5 Hz) > 10 Hz: real poles
    with pytest.raises(sigpu.ParameterError, match="Butterworth prototypes"):
        SFIEncoder(2, 40, 20, bandwidth_hz=2.0**40, **options)  # poles underflow to 0
    unstable = p.copy()
    unstable[0, [0, 1]] = unstable[0, [0, 1]].conj() * -1  # mirrored: right half plane
    with pytest.raises(sigpu.ParameterError, match="zpk: every pole must have a negative real"):
        SFIEncoder(2, 40, 20, zpk=(z, unstable, k), **options)
    with pytest.raises(sigpu.ParameterError, match=r"zpk: zeros, poles and gains .*\(2, 1, 6\)"):
        SFIEncoder(2, 40, 20, zpk=(z, p[:, None], k), **options)
    with pytest.raises(sigpu.ParameterError, match="F = 3"):
        SFIEncoder(3, 40, 20, zpk=(z, p, k), **options)
    lone = p.copy()
    lone[:, 0] += 10j  # its conjugate no longer matches
    with pytest.raises(sigpu.ParameterError, match="conjugate pairs"):
        SFIEncoder(2, 40, 20, zpk=(z, lone, k), **options)
    real = np.array([[-100.0, -200.0 + 50j, -200.0 - 50j]] * 2)
    with pytest.raises(sigpu.ParameterError, match="real poles"):
        SFIEncoder(2, 40, 20, zpk=(np.zeros((2, 0)), real, k), **options)
    with pytest.raises(sigpu.ParameterError, match="fewer zeros than poles"):
        SFIEncoder(2, 40, 20, zpk=(np.zeros((2, 6)), p, k), **options)
    with pytest.raises(sigpu.ParameterError, match="zpk"):
        SFIEncoder(2, 40, 20, train_sr=16000, family="mgf", zpk=(z, p, k))
    with pytest.raises(sigpu.ParameterError, match="rational_zpk"):
        SFIEncoder(2, 40, 20, train_sr=16000).rational_zpk()


def test_paired_pole_layout_gives_the_gradients_of_any_other_order(rng):
    """Poles stored as [upper, conj(upper)] (the layers' layout) take the half-exponential
    path forward and backward; the same bank with its poles interleaved takes the general
    path: equal weights and (permuted) gradients."""
    from sigpu.torch import rational_weights

    zeros, poles, gains = _cheby2_bank([800.0, 1500.0, 2600.0])
    poles = poles + 20.0 * rng.standard_normal(poles.shape)  # no exact conjugates by design
    upper = poles[:, poles[0].imag > 0]
    paired = np.concatenate([upper, upper.conj()], axis=1)
    order = np.stack([np.arange(3), np.arange(3) + 3], axis=1).reshape(-1)  # u0 l0 u1 l1 ...
    cotangent = torch.tensor(rng.standard_normal((1, 40)))
    results = []
    for layout in (paired, paired[:, order]):
        params = [
            torch.tensor(a, requires_grad=True) for a in (zeros, layout, gains.astype(np.float64))
        ]
        weights, _ = rational_weights(*params, sr=16000, numtaps=40)
        (weights * cotangent).sum().backward()
        results.append((weights.detach().numpy(), *(p.grad.numpy() for p in params)))
    (w_a, z_a, p_a, k_a), (w_b, z_b, p_b, k_b) = results
    assert _rel(w_a, w_b) < 1e-12 and _rel(z_a, z_b) < 1e-12 and _rel(k_a, k_b) < 1e-12
    assert _rel(p_a[:, order], p_b) < 1e-12
