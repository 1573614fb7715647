"""Autograd of sigpu's spectral functions on torch tensors, and the sigpu.torch layers.

References: sigpu's own NumPy results for the values (the torch path must compute the same
numbers: 1e-6 of the peak in float32, 1e-12 in float64), ``torch.autograd.gradcheck``
(finite differences in float64) for every gradient, dot products <A x, g> = <x, A* g> for the
adjoints on NumPy and the emulated CuPy, librosa for the layers' numbers, nnAudio's kernel
definition for ``freq_scale``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import sigpu  # noqa: E402
import sigpu.torch  # noqa: E402
from sigpu.torch import _bridge  # noqa: E402
from sigpu.torch._stft_autograd import istft_adjoint, stft_adjoint  # noqa: E402
from tests.helpers import to_np  # noqa: E402

gradcheck = torch.autograd.gradcheck
PAD_MODES = ["constant", "reflect", "edge", "symmetric", "linear_ramp"]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """torch's intra-op threads spin against the other processes on a shared 2-core machine
    (a 6x17 matmul took 15 ms with 2 threads under load, 0.02 ms with 1): tests use one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _signal(rng, shape, dtype=torch.float64, grad=True):
    return torch.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=grad)


def _rel(actual, reference):
    actual, reference = np.asarray(actual), np.asarray(reference)
    assert actual.shape == reference.shape
    return np.max(np.abs(actual - reference)) / np.max(np.abs(reference))


def _tol(dtype):
    return 1e-6 if dtype in (torch.float32, torch.complex64) else 1e-12


# --- adjoints: dot products on NumPy and (emulated) CuPy ------------------------------


@pytest.mark.parametrize("pad_mode", PAD_MODES)
@pytest.mark.parametrize(
    ("n", "n_fft", "center"), [(700, 128, True), (40, 64, True), (300, 63, False)]
)
def test_stft_adjoint_dot_product(xp, rng, pad_mode, n, n_fft, center):
    plan = sigpu.STFT(n_fft=n_fft, hop_length=n_fft // 4 + 3, center=center, pad_mode=pad_mode)
    y = xp.asarray(rng.standard_normal((2, n)))
    with np.errstate(all="ignore"), _quiet():
        D = plan(y)
    G = xp.asarray(rng.standard_normal(D.shape) + 1j * rng.standard_normal(D.shape))
    adjoint = stft_adjoint(G, plan, n)
    lhs = float(xp.sum(xp.real(xp.conj(G) * D)))
    rhs = float(np.sum(to_np(adjoint, dtype=np.float64, shape=(2, n)) * _host(y)))
    assert abs(lhs - rhs) <= 1e-12 * abs(lhs)


@pytest.mark.parametrize("length", [None, 500, 900])
def test_istft_adjoint_dot_product(xp, rng, length):
    plan = sigpu.STFT(n_fft=128, hop_length=32)
    D = xp.asarray(rng.standard_normal((3, 65, 19)) + 1j * rng.standard_normal((3, 65, 19)))
    y = plan.inverse(D, length=length)
    g = xp.asarray(rng.standard_normal(y.shape))
    adjoint = to_np(istft_adjoint(g, plan, 19, length), dtype=np.complex128, shape=D.shape)
    lhs = float(xp.sum(g * y))
    rhs = float(np.sum(np.real(np.conj(adjoint) * _host(D))))
    assert abs(lhs - rhs) <= 1e-12 * abs(lhs)


def _host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)


class _quiet:
    """Silence sigpu's n_fft-longer-than-signal warning in the short-signal cases."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore", UserWarning)

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)


# --- gradients: gradcheck in float64 ---------------------------------------------------


@pytest.mark.parametrize("pad_mode", PAD_MODES)
def test_stft_gradcheck(rng, pad_mode):
    y = _signal(rng, (2, 40))
    assert gradcheck(lambda y: sigpu.stft(y, n_fft=16, hop_length=6, pad_mode=pad_mode), (y,))


def test_stft_gradcheck_uncentred_odd_window_and_plan(rng):
    y = _signal(rng, 60)
    assert gradcheck(lambda y: sigpu.stft(y, n_fft=15, win_length=12, center=False), (y,))
    plan = sigpu.STFT(n_fft=16, hop_length=8, window="hamming")
    assert gradcheck(plan, (y,))


@pytest.mark.parametrize("length", [None, 12, 40])
def test_istft_gradcheck(rng, length):
    D = torch.tensor(
        rng.standard_normal((2, 9, 6)) + 1j * rng.standard_normal((2, 9, 6)), requires_grad=True
    )
    assert gradcheck(lambda D: sigpu.istft(D, hop_length=4, length=length), (D,))
    plan = sigpu.STFT(n_fft=16, hop_length=4)
    assert gradcheck(lambda D: plan.inverse(D, length=length), (D,))


@pytest.mark.parametrize("power", [1.0, 2.0, 1.5])
def test_spectrogram_gradcheck(rng, power):
    y = _signal(rng, (2, 48))
    assert gradcheck(lambda y: sigpu.spectrogram(y, n_fft=16, hop_length=8, power=power), (y,))


def test_feature_gradchecks(rng):
    y = _signal(rng, (2, 64))
    kw = dict(sr=8000, n_fft=32, hop_length=16)
    assert gradcheck(lambda y: sigpu.melspectrogram(y, n_mels=6, **kw), (y,))
    assert gradcheck(lambda y: sigpu.gammatonegram(y, n_bins=6, **kw), (y,))
    assert gradcheck(sigpu.MelSpectrogram(n_mels=6, power=1.0, **kw), (y,))
    assert gradcheck(sigpu.Gammatonegram(n_bins=5, **kw), (y,))
    S = torch.tensor(rng.random((17, 5)), requires_grad=True)
    assert gradcheck(lambda S: sigpu.melspectrogram(S=S, n_mels=6, **kw), (S,))


@pytest.mark.parametrize(
    ("dct_type", "norm", "lifter"), [(2, "ortho", 0), (1, None, 3), (3, "ortho", 2.5)]
)
def test_mfcc_gradcheck(rng, dct_type, norm, lifter):
    y = _signal(rng, 64)
    kw = dict(sr=8000, n_fft=32, hop_length=16, n_mels=8, n_mfcc=5, dct_type=dct_type, norm=norm)
    assert gradcheck(lambda y: sigpu.mfcc(y, lifter=lifter, top_db=None, **kw), (y,))
    assert gradcheck(sigpu.MFCC(lifter=lifter, **kw), (y,))
    S = torch.tensor(rng.standard_normal((8, 4)), requires_grad=True)
    assert gradcheck(lambda S: sigpu.mfcc(S=S, lifter=lifter, **kw), (S,))


def test_db_gradchecks(rng):
    S = torch.tensor(rng.random((6, 7)) + 0.05, requires_grad=True)
    # top_db clips: the clipped values' gradient goes to the maximum (ref=torch.amax too)
    assert gradcheck(lambda S: sigpu.power_to_db(S, ref=torch.amax, top_db=5.0), (S,))
    assert gradcheck(lambda S: sigpu.power_to_db(S, ref=0.3, amin=0.1, top_db=None), (S,))
    assert gradcheck(lambda S: sigpu.amplitude_to_db(S, ref=torch.amax, top_db=3.0), (S,))
    assert gradcheck(lambda S: sigpu.db_to_power(S, ref=2.0), (S,))
    assert gradcheck(lambda S: sigpu.db_to_amplitude(S, ref=0.5), (S,))


def test_top_db_clipped_values_pass_their_gradient_to_the_maximum():
    S = torch.tensor([1.0, 1e-9, 0.5], dtype=torch.float64, requires_grad=True)
    sigpu.power_to_db(S, top_db=10.0).sum().backward()
    # S_db = [0, -10 (clipped at max - 10), -3.01]: d/dS[0] collects the clipped one's share
    d_db = 10.0 / np.log(10.0)
    np.testing.assert_allclose(S.grad.numpy(), [2 * d_db / 1.0, 0.0, d_db / 0.5], rtol=1e-12)


# --- values: the torch path computes sigpu's numbers -----------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_values_with_and_without_grad_equal_numpy(rng, dtype):
    y = _signal(rng, (2, 3000), dtype=dtype)
    x = y.detach().numpy()
    kw = dict(sr=16000, n_fft=256, hop_length=64)
    calls = [
        (sigpu.stft, dict(n_fft=256, pad_mode="reflect")),
        (sigpu.spectrogram, dict(n_fft=256, power=1.0)),
        (sigpu.melspectrogram, dict(n_mels=20, **kw)),
        (sigpu.mfcc, dict(n_mels=20, n_mfcc=13, lifter=5, **kw)),
        (sigpu.gammatonegram, dict(n_bins=16, **kw)),
    ]
    for func, options in calls:
        want = func(x, **options)
        with torch.no_grad():
            exact = func(y, **options)
        if func is sigpu.stft:  # a CPU tensor's STFT: torch's FFT, sigpu's numbers to rounding
            assert _rel(exact.numpy(), want) <= _tol(dtype)
        else:  # no grad: sigpu itself
            np.testing.assert_array_equal(exact.numpy(), want)
        got = func(y, **options)
        assert got.requires_grad and got.dtype == exact.dtype and got.device == y.device
        assert _rel(got.detach().numpy(), want) <= _tol(dtype), func.__name__
        got.abs().sum().backward()
        assert y.grad.dtype == dtype and y.grad.shape == y.shape
        y.grad = None


@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128])
def test_istft_and_db_values(rng, dtype):
    D = sigpu.stft(rng.standard_normal((2, 2000)), n_fft=128).astype(dtype=str(dtype)[6:])
    got = sigpu.istft(torch.tensor(D, requires_grad=True), length=1900)
    assert got.dtype == (torch.float32 if dtype == torch.complex64 else torch.float64)
    assert _rel(got.detach().numpy(), sigpu.istft(D, length=1900)) <= _tol(dtype)
    S = np.abs(D) ** 2
    St = torch.tensor(S, requires_grad=True)
    for func, options in [
        (sigpu.power_to_db, dict(ref=np.max, top_db=60.0)),
        (sigpu.amplitude_to_db, dict(ref=1.5)),
        (sigpu.db_to_power, dict(ref=2.0)),
        (sigpu.db_to_amplitude, dict()),
    ]:
        want = func(S, **options)
        ref = options.get("ref")
        if ref is np.max:
            options = dict(options, ref=torch.amax)
        got = func(St, **options)
        assert got.dtype == St.dtype
        assert _rel(got.detach().numpy(), want) <= 10 * _tol(dtype), func.__name__


def test_requested_output_dtype(rng):
    y = _signal(rng, 500, dtype=torch.float32)
    D = sigpu.stft(y, n_fft=64, dtype=np.complex128)
    assert D.dtype == torch.complex128
    D.abs().sum().backward()
    assert y.grad.dtype == torch.float32


# --- CUDA branch on the emulated CuPy ---------------------------------------------------


@pytest.fixture
def cuda_stand_in(emulated_cupy, monkeypatch):
    """CPU tensors standing for CUDA tensors whose arrays are emulated CuPy arrays (the
    conversions copy where real DLPack would share; the rest is the CUDA branch)."""
    seen = []

    def to_array(t):
        _bridge._check_convertible(t)
        return emulated_cupy.asarray(t.detach().numpy())

    def to_tensor(a, like):
        seen.append(type(a).__module__.split(".")[0])
        return torch.from_numpy(emulated_cupy.asnumpy(a))

    monkeypatch.setattr(_bridge, "to_array", to_array)
    monkeypatch.setattr(_bridge, "to_tensor", to_tensor)
    return seen


def test_gradients_on_emulated_cupy(cuda_stand_in, rng):
    y = _signal(rng, (2, 900))
    M = sigpu.melspectrogram(y, sr=8000, n_fft=128, hop_length=32, n_mels=10)
    g = torch.tensor(rng.standard_normal(M.shape))
    (grad_cupy,) = torch.autograd.grad(M, y, g)
    D = sigpu.istft(sigpu.stft(y, n_fft=64, pad_mode="reflect"), length=900)
    assert set(cuda_stand_in) == {"cupy"} and len(cuda_stand_in) >= 3
    cuda_stand_in.clear()
    torch.autograd.grad(D.sum(), y)
    assert cuda_stand_in == ["cupy", "cupy"]  # both adjoints ran on CuPy
    # the same gradient from NumPy: mel's chain rule written out, the adjoint on NumPy
    plan = sigpu.STFT(n_fft=128, hop_length=32)
    S_grad = sigpu.filters.mel(sr=8000, n_fft=128, n_mels=10, dtype=np.float64).T @ g.numpy()
    D_np = plan(y.detach().numpy())
    want = stft_adjoint(2 * D_np * S_grad, plan, 900)
    assert _rel(grad_cupy.numpy(), want) <= 1e-12


# --- bad input -------------------------------------------------------------------------


def test_bad_input(rng):
    y = _signal(rng, 500)
    with pytest.raises(TypeError, match="out="):
        sigpu.stft(y, n_fft=64, out=torch.empty((33, 32), dtype=torch.complex128))
    with torch.no_grad():
        out = torch.empty((33, 32), dtype=torch.complex128)
        assert sigpu.stft(y, n_fft=64, out=out) is out
    with pytest.raises(TypeError, match="float32"):
        sigpu.stft(y.detach().to(torch.float16).requires_grad_(), n_fft=64)
    with pytest.raises(sigpu.ParameterError, match="frequency rows"):
        sigpu.melspectrogram(S=torch.ones((10, 4), requires_grad=True), n_fft=64, n_mels=8)
    with pytest.raises(sigpu.ParameterError, match="n_fft"):
        sigpu.stft(y, n_fft=0)
    with pytest.raises(sigpu.ParameterError, match="n_mfcc"):
        sigpu.mfcc(S=torch.ones((4, 3), requires_grad=True), n_mfcc=5)
    with pytest.raises(TypeError, match="decibels must be real"):
        sigpu.db_to_power(torch.ones(3, dtype=torch.complex128, requires_grad=True))


# --- layers ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("pad_mode", ["constant", "reflect", "edge"])
def test_stft_layer_fft_and_basis_agree_with_sigpu(rng, dtype, pad_mode):
    y = _signal(rng, (2, 1000), dtype=dtype)
    want = sigpu.stft(y.detach().numpy(), n_fft=128, hop_length=32, pad_mode=pad_mode)
    for trainable in (False, True):
        layer = sigpu.torch.STFT(n_fft=128, hop_length=32, pad_mode=pad_mode, trainable=trainable)
        assert layer.uses_basis == trainable
        got = layer(y)
        assert got.dtype == (torch.complex64 if dtype == torch.float32 else torch.complex128)
        assert _rel(got.detach().numpy(), want) <= _tol(dtype)
    assert isinstance(layer.basis_real, torch.nn.Parameter)
    got.abs().sum().backward()
    assert layer.basis_real.grad.shape == (65, 128) and y.grad.dtype == dtype


def test_stft_layer_uncentred_basis_and_gradcheck(rng):
    y = _signal(rng, (2, 60))
    layer = sigpu.torch.STFT(n_fft=16, hop_length=8, center=False, trainable=True)
    want = sigpu.stft(y.detach().numpy(), n_fft=16, hop_length=8, center=False)
    assert _rel(layer(y).detach().numpy(), want) <= 1e-12
    assert gradcheck(lambda y, re, im: _basis_call(layer, y, re, im), (y, *_basis(layer)))


def _basis(layer):
    return [p.detach().clone().requires_grad_() for p in (layer.basis_real, layer.basis_imag)]


def _basis_call(layer, y, real, imag):
    with torch.no_grad():
        layer.basis_real.copy_(real)
        layer.basis_imag.copy_(imag)
    frames = layer._frames(y)
    return torch.complex(frames @ real.T, frames @ imag.T)


@pytest.mark.parametrize("freq_scale", ["linear", "log"])
def test_stft_freq_scale_is_nnaudios_and_a_literal_dft(rng, freq_scale):
    nnaudio_utils = pytest.importorskip("nnAudio.utils")
    sr, n_fft, hop = 8000, 64, 16
    layer = sigpu.torch.STFT(
        n_fft=n_fft, hop_length=hop, freq_scale=freq_scale, fmin=100.0, fmax=3000.0, sr=sr
    )
    *_, bins2freq, _, _ = nnaudio_utils.create_fourier_kernels(
        n_fft, freq_bins=33, fmin=100.0, fmax=3000.0, sr=sr, freq_scale=freq_scale, verbose=False
    )
    np.testing.assert_allclose(layer.frequencies, bins2freq, rtol=1e-12)
    y = rng.standard_normal(300)
    D = layer(torch.tensor(y)).numpy()
    window = np.hanning(n_fft + 1)[:-1]  # periodic Hann
    padded = np.pad(y, n_fft // 2)
    for k, t in [(0, 0), (5, 3), (32, 10)]:
        frame = padded[t * hop : t * hop + n_fft]
        phase = np.exp(-2j * np.pi * bins2freq[k] * np.arange(n_fft) / sr)
        assert abs(D[k, t] - np.sum(window * frame * phase)) <= 1e-12 * np.abs(D).max()


def test_istft_layer(rng):
    y = _signal(rng, 500)
    stft, istft = sigpu.torch.STFT(n_fft=64), sigpu.torch.iSTFT(n_fft=64)
    back = istft(stft(y), length=500)
    assert _rel(back.detach().numpy(), y.detach().numpy()) <= 1e-12
    D = torch.tensor(sigpu.stft(rng.standard_normal(40), n_fft=16), requires_grad=True)
    assert gradcheck(lambda D: sigpu.torch.iSTFT(n_fft=16)(D, length=30), (D,))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bank_layers_match_sigpu_and_librosa(rng, dtype):
    librosa = pytest.importorskip("librosa")
    y = _signal(rng, (2, 4000), dtype=dtype)
    x = y.detach().numpy()
    kw = dict(sr=16000, n_fft=512, hop_length=128)
    mel = sigpu.torch.MelSpectrogram(n_mels=40, **kw)(y)
    assert mel.dtype == dtype
    assert _rel(mel.detach().numpy(), sigpu.melspectrogram(x, n_mels=40, **kw)) <= _tol(dtype)
    want = librosa.feature.melspectrogram(y=x, n_mels=40, **kw)
    assert _rel(mel.detach().numpy(), want) <= 1e-5 if dtype == torch.float32 else 1e-12
    mfcc = sigpu.torch.MFCC(n_mfcc=13, n_mels=40, lifter=4, **kw)(y)
    want = sigpu.mfcc(x, n_mfcc=13, n_mels=40, lifter=4, **kw)
    assert _rel(mfcc.detach().numpy(), want) <= 10 * _tol(dtype)
    gamma = sigpu.torch.Gammatonegram(n_bins=24, **kw)(y)
    want = sigpu.gammatonegram(x, n_bins=24, **kw)
    assert _rel(gamma.detach().numpy(), want) <= _tol(dtype)


def test_trainable_banks_have_exact_gradients(rng):
    y = _signal(rng, 64)
    kw = dict(sr=8000, n_fft=32, hop_length=16)
    mel = sigpu.torch.MelSpectrogram(n_mels=5, trainable_mel=True, **kw)
    assert isinstance(mel.bank, torch.nn.Parameter) and mel.bank.shape == (5, 17)
    bank = mel.bank.detach().clone().requires_grad_()

    def with_bank(y, bank):
        return torch.matmul(bank, power_of(mel, y))

    def power_of(layer, y):
        return sigpu.torch._spectral.power_spectrogram(layer.stft(y), layer.power)

    assert gradcheck(with_bank, (y, bank))
    out = mel(y)
    g = torch.tensor(rng.standard_normal(out.shape))
    out.backward(g)
    S = power_of(mel, y).detach()
    np.testing.assert_allclose(mel.bank.grad.numpy(), (g @ S.T).numpy(), rtol=1e-12)
    gamma = sigpu.torch.Gammatonegram(n_bins=4, trainable_bank=True, trainable_STFT=True, **kw)
    names = {name for name, _ in gamma.named_parameters()}
    assert names == {"bank", "stft.basis_real", "stft.basis_imag"}


def test_layers_state_dict_no_grad_and_devices(rng):
    kw = dict(sr=8000, n_fft=64, hop_length=16, n_mels=8)
    layer = sigpu.torch.MFCC(n_mfcc=5, trainable_mel=True, **kw)
    with torch.no_grad():
        layer.mel.bank.mul_(1.5)
    clone = sigpu.torch.MFCC(n_mfcc=5, trainable_mel=True, **kw)
    clone.load_state_dict(layer.state_dict())
    y = _signal(rng, (3, 800), dtype=torch.float32)
    np.testing.assert_array_equal(clone(y).detach().numpy(), layer(y).detach().numpy())
    fixed = sigpu.torch.MelSpectrogram(**kw)
    assert [name for name, _ in fixed.named_buffers()] == ["bank"]
    assert fixed.to("cpu").bank.device.type == "cpu"
    for context in (torch.no_grad, torch.inference_mode):
        with context():
            out = fixed(y)
        assert not out.requires_grad and out.dtype == torch.float32
    # without grad the power is taken block by block in the torch FFT path: rounding apart
    assert _rel(out.numpy(), fixed(y).detach().numpy()) <= 1e-6


def test_griffinlim_layer(rng):
    S = np.abs(sigpu.stft(rng.standard_normal(2000), n_fft=128))
    layer = sigpu.torch.GriffinLim(n_fft=128, n_iter=4, random_state=0)
    got = layer(torch.tensor(S), length=2000)
    want = sigpu.griffinlim(S, n_fft=128, n_iter=4, random_state=0, length=2000)
    np.testing.assert_array_equal(got.numpy(), want)
    with pytest.raises(TypeError, match="no autograd implementation"):
        layer(torch.tensor(S, requires_grad=True))


def test_layer_on_emulated_cupy(cuda_stand_in, rng):
    y = _signal(rng, (2, 900))
    out = sigpu.torch.MelSpectrogram(sr=8000, n_fft=128, hop_length=32, n_mels=10)(y)
    out.sum().backward()
    assert set(cuda_stand_in) == {"cupy"} and y.grad.shape == y.shape


def test_layer_bad_parameters():
    with pytest.raises(sigpu.ParameterError, match="freq_scale"):
        sigpu.torch.STFT(freq_scale="mel")
    with pytest.raises(sigpu.ParameterError, match="fmax"):
        sigpu.torch.STFT(freq_scale="log", fmin=100.0, fmax=20000.0, sr=8000)
    with pytest.raises(sigpu.ParameterError, match="pad_mode"):
        sigpu.torch.STFT(trainable=True, pad_mode="symmetric")
    with pytest.raises(sigpu.ParameterError, match="n_fft"):
        sigpu.torch.MelSpectrogram(n_fft=0)
    with pytest.raises(sigpu.ParameterError, match="n_iter"):
        sigpu.torch.GriffinLim(n_iter=0)


# --- constant-Q: adjoints, gradients, values, layers -------------------------------------

CQT_CASES = [
    # default CQT: seven time-domain octaves
    (sigpu.CQT, dict(sr=22050, hop_length=512), 12000),
    # 36 bins per octave: FFT octaves; an early decimation; reflect padding
    (
        sigpu.VQT,
        dict(
            sr=8000,
            hop_length=64,
            fmin=100.0,
            n_bins=72,
            bins_per_octave=36,
            gamma=5.0,
            pad_mode="reflect",
        ),
        3000,
    ),
    # hop 100: halving stops at 25
    (sigpu.CQT, dict(sr=8000, hop_length=100, fmin=200.0, n_bins=36, sparsity=0.0), 2501),
]


@pytest.mark.parametrize(("plan_class", "options", "n"), CQT_CASES)
def test_cqt_adjoint_dot_product(xp, rng, plan_class, options, n):
    from sigpu.torch._cqt_autograd import cqt_adjoint

    plan = plan_class(**options)
    y = xp.asarray(rng.standard_normal((2, n)))
    with _quiet():
        C = plan(y)
    G = xp.asarray(rng.standard_normal(C.shape) + 1j * rng.standard_normal(C.shape))
    adjoint = to_np(cqt_adjoint(G, plan, n), dtype=np.float64, shape=(2, n))
    lhs = float(xp.sum(xp.real(xp.conj(G) * C)))
    assert abs(lhs - float(np.sum(adjoint * _host(y)))) <= 1e-12 * abs(lhs)


@pytest.mark.parametrize(
    ("options", "n_bins", "length"),
    [
        (dict(sr=22050, hop_length=512), 84, None),
        (dict(sr=8000, hop_length=64, fmin=100.0, bins_per_octave=36), 108, 1500),
        (dict(sr=8000, hop_length=100, fmin=200.0), 36, 5000),
    ],
)
def test_icqt_adjoint_dot_product(xp, rng, options, n_bins, length):
    import inspect

    from sigpu.constantq import _InverseCQT, _keywords_for
    from sigpu.torch._cqt_autograd import icqt_adjoint

    C = xp.asarray(rng.standard_normal((2, n_bins, 25)) + 1j * rng.standard_normal((2, n_bins, 25)))
    arguments = inspect.signature(sigpu.icqt.__wrapped__).bind(C, **options)
    arguments.apply_defaults()
    inverse = _InverseCQT(C.shape, **_keywords_for(_InverseCQT, arguments.arguments))
    y = inverse(C, length=length)
    g = xp.asarray(rng.standard_normal(y.shape))
    adjoint = to_np(icqt_adjoint(g, inverse, 25, length), dtype=np.complex128, shape=C.shape)
    lhs = float(xp.sum(g * y))
    assert abs(lhs - float(np.sum(np.real(np.conj(adjoint) * _host(C))))) <= 1e-12 * abs(lhs)


@pytest.mark.parametrize("n", [1, 2, 7, 40, 41])
def test_decimation_and_upsampling_adjoints(rng, n):
    import array_api_compat.numpy as xp_numpy

    from sigpu._backend import kernel
    from sigpu.constantq import _upsample
    from sigpu.torch._cqt_autograd import decimate2_adjoint, upsample_adjoint

    x = rng.standard_normal((2, n))
    taps = rng.standard_normal(4)
    y = kernel(xp_numpy, "cqt.decimate2")(x, taps, 0.7)
    g = rng.standard_normal(y.shape)
    lhs = np.sum(g * y)
    assert abs(lhs - np.sum(decimate2_adjoint(g, taps, 0.7, n) * x)) <= 1e-12 * np.abs(g).sum()
    for factor in (2, 8):
        y = _upsample(x, factor, xp_numpy)
        g = rng.standard_normal(y.shape)
        lhs = np.sum(g * y)
        assert abs(lhs - np.sum(upsample_adjoint(g, factor, n) * x)) <= 1e-12 * abs(lhs)


CQT_SMALL = dict(sr=8000, hop_length=16, fmin=500.0, n_bins=24)


def test_cqt_vqt_icqt_gradcheck(rng):
    # fast_mode: gradcheck of random projections v^T J u (a multirate CQT call costs ms; the
    # full Jacobian would take a minute); the dot-product tests above cover every entry
    y = _signal(rng, (2, 200))
    with _quiet():
        assert gradcheck(lambda y: sigpu.cqt(y, **CQT_SMALL), (y,), fast_mode=True)
        vqt = lambda y: sigpu.vqt(y, gamma=20.0, pad_mode="edge", **CQT_SMALL)  # noqa: E731
        assert gradcheck(vqt, (y,), fast_mode=True)
        assert gradcheck(sigpu.CQT(**CQT_SMALL), (y,), fast_mode=True)
    C = torch.tensor(
        rng.standard_normal((1, 24, 6)) + 1j * rng.standard_normal((1, 24, 6)), requires_grad=True
    )
    options = dict(sr=8000, hop_length=16, fmin=500.0)
    assert gradcheck(lambda C: sigpu.icqt(C, length=80, **options), (C,), fast_mode=True)
    assert gradcheck(lambda C: sigpu.icqt(C, **options), (C,), fast_mode=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cqt_values_with_grad_equal_numpy(rng, dtype):
    y = _signal(rng, (2, 22050), dtype=dtype)
    x = y.detach().numpy()
    for func, options in [(sigpu.cqt, {}), (sigpu.vqt, dict(gamma=10.0, n_bins=60, fmin=65.0))]:
        got = func(y, **options)
        assert got.requires_grad and got.dtype == (
            torch.complex64 if dtype == torch.float32 else torch.complex128
        )
        assert _rel(got.detach().numpy(), func(x, **options)) <= _tol(dtype)
        got.abs().sum().backward()
        assert y.grad.dtype == dtype
        y.grad = None
    C = torch.tensor(sigpu.cqt(x), requires_grad=True)
    back = sigpu.icqt(C, length=22050)
    assert back.dtype == dtype
    assert _rel(back.detach().numpy(), sigpu.icqt(C.detach().numpy(), length=22050)) <= _tol(dtype)
    back.sum().backward()
    assert C.grad.dtype == C.dtype


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cqt_layers(rng, dtype):
    y = _signal(rng, (2, 22050), dtype=dtype)
    x = y.detach().numpy()
    cases = [
        (sigpu.torch.CQT, sigpu.cqt, dict(hop_length=256)),
        (sigpu.torch.VQT, sigpu.vqt, dict(gamma=10.0, bins_per_octave=36, n_bins=144, fmin=65.0)),
    ]
    for layer_class, func, options in cases:
        want = func(x, **options)
        for trainable in (False, True):
            layer = layer_class(trainable=trainable, **options)
            got = layer(y)
            assert got.dtype == (torch.complex64 if dtype == torch.float32 else torch.complex128)
            assert _rel(got.detach().numpy(), want) <= _tol(dtype), (layer_class, trainable)
        assert len(layer.kernels) == len(layer.plan.schedule.octaves)
        got.abs().sum().backward()
        assert all(k.grad is not None for k in layer.kernels) and y.grad.shape == y.shape
        y.grad = None


def test_trainable_cqt_kernel_gradients(rng):
    layer = sigpu.torch.CQT(trainable=True, **CQT_SMALL)
    y = _signal(rng, 200)
    kernels = [k.detach().clone().requires_grad_() for k in layer.kernels]

    def with_kernels(y, *kernels):
        names = [f"kernels.{i}" for i in range(len(kernels))]
        return torch.func.functional_call(layer, dict(zip(names, kernels, strict=True)), (y,))

    with _quiet():
        assert gradcheck(with_kernels, (y, *kernels), fast_mode=True)
    with pytest.raises(sigpu.ParameterError, match="pad_mode"):
        sigpu.torch.CQT(trainable=True, pad_mode="symmetric")


@pytest.mark.parametrize("module_name", ["spectral_layers", "constantq_layers"])
def test_layer_docstring_examples(module_name):
    import doctest
    import importlib

    module = importlib.import_module(f"sigpu.torch.{module_name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_gradients_on_the_tensors_device(emulated_cupy, monkeypatch, rng):
    """As the bridge test: arrays on emulated device 1, device 0 current; forward and the
    adjoints (STFT, iSTFT, CQT) must run on device 1 (the emulation refuses mixing)."""
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
    y = _signal(rng, 2000)
    D = sigpu.stft(y, n_fft=128, pad_mode="reflect")
    back = sigpu.istft(D, length=2000)
    C = sigpu.cqt(y, sr=8000, hop_length=64, fmin=200.0, n_bins=24)
    (back.sum() + C.abs().sum()).backward()
    assert devices and set(devices) == {1} and y.grad.shape == y.shape
