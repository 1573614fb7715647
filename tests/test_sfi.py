"""SFI analog filter design and conv ops, against scipy.signal, analytic transforms and the
numbers of the spec (specs/sfi.md, "Tests this spec implies")."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal

from sigpu._errors import ParameterError
from sigpu.sfi import (
    Gammatone,
    ModulatedGaussian,
    RationalFilter,
    decode,
    encode,
    erb_rate_to_hz,
    erb_space,
    frequency_domain_weights,
    hilbert_pair,
    hz_to_erb_rate,
    mpgtf_layout,
    scaled_geometry,
    time_domain_weights,
)
from sigpu.sfi.weights import fd_solver

from .helpers import rel_to_peak, to_np, tol

TWO_PI = 2 * math.pi
RATES = [(8000, 40), (16000, 80), (32000, 160)]
DESIGNS = {"td": time_domain_weights, "fd": frequency_domain_weights}


def digital_response(weights, t0, sr, omega):
    """H_d(w) = sum_k w[k] exp(-j w (t0 + k / sr)), a literal sum (spec conventions)."""
    weights = to_np(weights).astype(np.float64)
    taps = t0 + np.arange(weights.shape[1]) / sr
    return weights @ np.exp(-1j * np.outer(taps, omega))


def rel_l2(actual, reference):
    """Per-filter ||a - b||_2 / ||b||_2."""
    return np.linalg.norm(actual - reference, axis=1) / np.linalg.norm(reference, axis=1)


def printed(value, text: str) -> bool:
    """``value`` reproduces the spec's printed number to its printed precision."""
    digits = len(text.split("e")[0].replace(".", "").replace("-", "").lstrip("0"))
    return float(f"{value:.{digits}g}") == float(text)


def gammatone_rational(fc, phase, order, b):
    """(b, a) of the gammatone as an n-fold complex pole pair (scipy.signal.invres)."""
    poles = [complex(-TWO_PI * b, TWO_PI * fc), complex(-TWO_PI * b, -TWO_PI * fc)]
    residues, pole_list = [], []
    for pole, rot in zip(poles, (1, -1), strict=True):
        top = math.factorial(order - 1) / 2 * np.exp(1j * rot * phase)
        residues += [0.0] * (order - 1) + [top]
        pole_list += [pole] * order
    num, den = scipy.signal.invres(residues, pole_list, [])
    # the numerator has degree n: drop invres's round-off leading terms
    assert np.max(np.abs(num[: -(order + 1)]), initial=0.0) < 1e-12 * np.max(np.abs(num))
    return np.real(num[-(order + 1) :]), np.real(den)


# ---------------------------------------------------------------- analog closed forms


def test_mgf_closed_forms_are_a_fourier_pair(xp):
    mgf = ModulatedGaussian(
        xp.asarray([TWO_PI * 1000.0, TWO_PI * 2500.0]), xp.asarray([TWO_PI * 300.0] * 2), 0.7
    )
    # h = inverse FT of H over the whole line (trapezoid: spectrally exact for Gaussians)
    omega = np.linspace(-TWO_PI * 8000, TWO_PI * 8000, 40001)
    t = np.linspace(-3e-3, 3e-3, 61)
    spectrum = to_np(mgf.frequency_response(xp.asarray(omega)))
    kernel = np.exp(1j * np.outer(omega, t)) * (omega[1] - omega[0]) / TWO_PI
    h_numeric = np.real(spectrum @ kernel)
    assert rel_to_peak(mgf.impulse_response(xp.asarray(t)), h_numeric) < 6e-11
    # H = FT of h
    tt = np.linspace(-0.02, 0.02, 40001)
    w = np.linspace(0, TWO_PI * 5000, 51)
    h = to_np(mgf.impulse_response(xp.asarray(tt)))
    ft = h @ np.exp(-1j * np.outer(tt, w)) * (tt[1] - tt[0])
    assert rel_to_peak(mgf.frequency_response(xp.asarray(w)), ft) < 6e-11


@pytest.mark.parametrize(
    ("order", "freqs_tol", "impulse_tol"), [(2, 8.2e-14, 2.2e-13), (4, 5.9e-12, 1.8e-10)]
)
def test_gammatone_closed_forms_vs_scipy(xp, order, freqs_tol, impulse_tol):
    gt = Gammatone(xp.asarray([1000.0]), phase=0.9, order=order)
    b = float(to_np(gt.b)[0])
    num, den = gammatone_rational(1000.0, 0.9, order, b)
    w = np.linspace(0, TWO_PI * 8000, 1001)
    _, h_ref = scipy.signal.freqs(num, den, worN=w)
    assert rel_to_peak(gt.frequency_response(xp.asarray(w))[0], h_ref) < freqs_tol
    t = np.linspace(0, 0.02, 2001)
    _, imp = scipy.signal.impulse((num, den), T=t)
    assert rel_to_peak(gt.impulse_response(xp.asarray(t))[0], imp) < impulse_tol


@pytest.mark.parametrize("order", [1, 3, 6])
def test_gammatone_any_order_matches_rational_oracle(order):
    b = 150.0
    gt = Gammatone(np.array([800.0]), phase=-1.3, order=order, b=b)
    num, den = gammatone_rational(800.0, -1.3, order, b)
    w = np.linspace(0, TWO_PI * 6000, 501)
    assert rel_to_peak(gt.frequency_response(w)[0], scipy.signal.freqs(num, den, w)[1]) < 1e-9
    # FT of the causal h (fine trapezoid; h(0) = 0 for order > 1)
    if order > 1:
        t = np.linspace(0, 0.08, 400001)
        h = gt.impulse_response(t)[0]
        ft = (h * (t[1] - t[0])) @ np.exp(-1j * np.outer(t, w[::25]))
        assert rel_to_peak(gt.frequency_response(w[::25])[0], ft) < 1e-8


def test_gammatone_default_bandwidth_rule():
    erb = 24.7 + 1000.0 / 9.265
    assert float(Gammatone(1000.0, order=2).b[0]) == pytest.approx(0.63662 * erb, rel=1e-5)
    assert float(Gammatone(1000.0, order=4).b[0]) == pytest.approx(1.01859 * erb, rel=1e-5)


RATIONAL_DESIGNS = {
    "butter_bp": scipy.signal.butter(
        2, [TWO_PI * 500, TWO_PI * 1500], "bandpass", analog=True, output="zpk"
    ),
    "cheby1_lp": scipy.signal.cheby1(4, 1.0, TWO_PI * 1000, analog=True, output="zpk"),
    "cheby2_lp": scipy.signal.cheby2(3, 30.0, TWO_PI * 2000, analog=True, output="zpk"),
    "ellip_lp": scipy.signal.ellip(4, 1.0, 40.0, TWO_PI * 1500, analog=True, output="zpk"),
    "bessel_lp": scipy.signal.bessel(4, TWO_PI * 1000, analog=True, output="zpk"),
    "iirfilter_bp": scipy.signal.iirfilter(
        3, [TWO_PI * 300, TWO_PI * 900], btype="band", analog=True, ftype="butter", output="zpk"
    ),
    "lp2bp_zpk": scipy.signal.lp2bp_zpk(*scipy.signal.buttap(3), wo=TWO_PI * 1000, bw=TWO_PI * 400),
}


@pytest.mark.parametrize("name", sorted(RATIONAL_DESIGNS))
def test_rational_filter_vs_scipy(xp, name):
    z, p, k = RATIONAL_DESIGNS[name]
    rf = RationalFilter(z, p, k)
    w = np.linspace(0, TWO_PI * 8000, 801)
    _, h_ref = scipy.signal.freqs_zpk(z, p, k, worN=w)
    assert rel_to_peak(rf.frequency_response(xp.asarray(w))[0], h_ref) < 1e-12
    if rf.strictly_proper:
        t = np.linspace(0, 0.01, 401)
        _, imp = scipy.signal.impulse((z, p, k), T=t)
        assert rel_to_peak(rf.impulse_response(xp.asarray(t))[0], imp) < 1e-9
    else:  # cheby2 / ellip: same number of zeros and poles -> Dirac at 0, FD only
        with pytest.raises(ParameterError, match="strictly proper"):
            rf.impulse_response(xp.asarray(np.zeros(3)))
        weights, _ = frequency_domain_weights(rf, 16000, 64, xp=xp)
        assert weights.shape == (1, 64)


def test_rational_from_ba_repeated_poles_equals_gammatone():
    # the order-4 gammatone has 4-fold complex poles: residue's repeated-pole branch
    gt = Gammatone(1000.0, phase=0.9, order=4)
    num, den = gammatone_rational(1000.0, 0.9, 4, float(gt.b[0]))
    rf = RationalFilter.from_ba(num, den)
    t = np.linspace(-1e-3, 0.02, 1001)
    assert rel_to_peak(rf.impulse_response(t), gt.impulse_response(t)) < 1e-9
    w = np.linspace(0, TWO_PI * 4000, 101)
    assert rel_to_peak(rf.frequency_response(w), gt.frequency_response(w)) < 1e-9


# ---------------------------------------------------------------- weight design


@pytest.mark.parametrize("method", sorted(DESIGNS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_well_conditioned_mgf_digital_equals_analog(xp, method, dtype):
    observed = {"td": (3.2e-9, 3.9e-10, 4.0e-10), "fd": (2.8e-9, 4.6e-10, 4.2e-10)}[method]
    mgf = ModulatedGaussian(
        xp.asarray([TWO_PI * 500, TWO_PI * 1500], dtype=dtype),
        xp.asarray(TWO_PI * 400, dtype=dtype),
        xp.asarray([0.0, 1.0], dtype=dtype),
    )
    for (sr, numtaps), seen in zip(RATES, observed, strict=True):
        weights, t0 = DESIGNS[method](mgf, sr, numtaps)
        assert weights.shape == (2, numtaps) and weights.dtype == np.dtype(dtype)
        omega = np.linspace(0, math.pi * sr, 1001)[:-1]
        analog = to_np(mgf.frequency_response(xp.asarray(omega, dtype=dtype)))
        err = rel_to_peak(digital_response(weights, t0, sr, omega), analog)
        assert err <= tol(dtype, 1e-4, min(1e-6, 10 * seen))


def test_paper_bank_accuracy_and_cross_rate_consistency():
    centers = erb_space(50.0, 16000.0, 440)
    phase = np.random.default_rng(0).uniform(0, math.pi, 440)
    bank = ModulatedGaussian(TWO_PI * centers, TWO_PI * 100, phase)
    expected_max = {"td": ("0.714", "0.691", "0.332"), "fd": ("0.678", "0.331", "0.332")}
    low = np.linspace(0, TWO_PI * 4000, 1001)
    cross = {}
    for i, (sr, numtaps) in enumerate(RATES):
        active = centers <= sr / 2
        assert active.sum() == (294, 366, 439)[i]
        omega = np.linspace(0, math.pi * sr, 1001)[:-1]
        analog = bank.frequency_response(omega)[active]
        for method, design in DESIGNS.items():
            weights, t0 = design(bank, sr, numtaps)
            err = rel_l2(digital_response(weights[active], t0, sr, omega), analog)
            assert printed(np.median(err), "0.162"), np.median(err)
            assert printed(err.max(), expected_max[method][i]), err.max()
            cross[sr, method] = digital_response(weights[centers <= 3000], t0, sr, low)
    figures = {
        (8000, "td"): ("9.7e-3", "2.7e-2"),
        (8000, "fd"): ("3.8e-2", "7.3e-2"),
        (16000, "td"): ("1.6e-3", "2.7e-3"),
        (16000, "fd"): ("1.2e-2", "2.3e-2"),
    }
    for (sr, method), (median, peak) in figures.items():
        err = rel_l2(cross[sr, method], cross[32000, method])
        assert printed(np.median(err), median) and printed(err.max(), peak), (sr, method, err)


def test_fd_is_band_limited_impulse_invariance(xp):
    sr, numtaps = 8000, 40
    mgf = ModulatedGaussian(xp.asarray(TWO_PI * 3500), xp.asarray(TWO_PI * 600), 0.4)
    weights, t0 = frequency_domain_weights(mgf, sr, numtaps)
    omega = np.linspace(0, math.pi * sr, 200001)
    spectrum = to_np(mgf.frequency_response(xp.asarray(omega)))[0]
    taps = t0 + np.arange(numtaps) / sr
    # h_bl(t) = (1/pi) int_0^{pi sr} Re(H(w) e^{jwt}) dw: the ideally low-passed h
    h_bl = np.array([np.trapezoid(np.real(spectrum * np.exp(1j * omega * t)), omega) for t in taps])
    h_bl /= math.pi
    err = np.max(np.abs(to_np(weights)[0] - h_bl / sr)) / np.max(np.abs(to_np(weights)))
    assert printed(err, "1.4e-4"), err


def test_mpgtf_gain_scaling_reference_mode(xp):
    fc, phase = mpgtf_layout(440, 96, 50.0, 16000.0, reference_phases=True, xp=xp)
    bank = Gammatone(fc, phase=phase, order=2)
    gains = {}
    for sr, t0_us, gain, nonzero in [
        (8000, 125.0, "0.0500", 312),
        (16000, 62.5, "0.0991", 376),
        (32000, 31.25, "0.1974", 440),
    ]:
        kw = dict(grid="causal_ref", normalize="equal_rms", train_sr=32000)
        weights, t0 = time_domain_weights(bank, sr, sr // 200, scale=None, **kw)
        assert t0 * 1e6 == pytest.approx(t0_us, rel=1e-12)
        assert int((np.abs(to_np(weights)).sum(axis=1) > 0).sum()) == nonzero
        at_fc = abs(digital_response(weights[10:11], t0, sr, [TWO_PI * float(fc[10])])[0, 0])
        assert printed(at_fc, gain), at_fc
        ii, _ = time_domain_weights(bank, sr, sr // 200, grid="causal_ref")
        gains[sr] = abs(digital_response(ii[10:11], t0, sr, [TWO_PI * float(fc[10])])[0, 0])
    # impulse invariance: the gain no longer grows with sr
    assert max(gains.values()) / min(gains.values()) < 1.01


@pytest.mark.parametrize("sr", [8000, 16000, 32000])
def test_scipy_gammatone_fir_is_impulse_invariant_sampling(xp, sr):
    numtaps = int(0.015 * sr)
    taps, _ = scipy.signal.gammatone(1000, "fir", order=4, numtaps=numtaps, fs=sr)
    b = 1.019 * (1000 / 9.26449 + 24.7)
    gain = 2 * (TWO_PI * b) ** 4 / math.factorial(3)
    weights, t0 = time_domain_weights(
        Gammatone(xp.asarray([1000.0]), order=4, b=b), sr, numtaps, grid="causal"
    )
    assert t0 == 0.0
    assert rel_to_peak(gain * to_np(weights)[0], taps) < 1e-13
    magnitude = abs(digital_response(gain * to_np(weights), t0, sr, [TWO_PI * 1000])[0, 0])
    assert printed(magnitude, {8000: "0.9986", 16000: "0.9987", 32000: "0.9987"}[sr])


def test_causal_butterworth_td_and_fd_errors():
    bp = RationalFilter(*RATIONAL_DESIGNS["butter_bp"])
    expected = {
        8000: ("0.123", "0.022", "2.6e-3"),
        16000: ("0.043", "0.022", "3.0e-4"),
        32000: ("0.015", "0.023", "4.0e-5"),
    }
    for sr, (td, fd5, fd20) in expected.items():
        omega = np.linspace(0, math.pi * sr, 2001)
        analog = bp.frequency_response(omega)
        for design, duration, kw, text in [
            (time_domain_weights, 0.005, {"grid": "causal"}, td),
            (time_domain_weights, 0.02, {"grid": "causal"}, td),
            (frequency_domain_weights, 0.005, {}, fd5),
            (frequency_domain_weights, 0.02, {}, fd20),
        ]:
            weights, t0 = design(bp, sr, round(duration * sr), **kw)
            err = rel_l2(digital_response(weights, t0, sr, omega), analog)[0]
            assert printed(err, text), (sr, design.__name__, duration, err)


def test_bit_compatible_reference_weights():
    sr, numtaps = 16000, 80
    mu = TWO_PI * np.array([300.0, 2000.0])
    sigma = TWO_PI * np.array([100.0, 250.0])
    phase = np.array([0.2, 2.0])
    raw, _ = time_domain_weights(ModulatedGaussian(mu, sigma, phase), sr, numtaps, scale=None)
    # the reference MGF code, literally: 2 sqrt(2 pi sigma^2) exp(-sigma^2 t^2 / 2) cos(mu t + phi)
    t = (np.arange(numtaps) - (numtaps - 1) / 2) / sr
    ref = 2 * np.sqrt(TWO_PI * sigma[:, None] ** 2) * np.exp(-0.5 * (sigma[:, None] * t) ** 2)
    ref = (ref * np.cos(mu[:, None] * t + phase[:, None]))[:, ::-1]
    np.testing.assert_allclose(
        (TWO_PI * raw)[:, ::-1], ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max()
    )
    default, _ = time_domain_weights(ModulatedGaussian(mu, sigma, phase), sr, numtaps)
    np.testing.assert_allclose(default * sr, raw, rtol=1e-13)


def test_fd_solution_equals_lstsq_and_solver_is_cached(xp):
    numtaps, n_grid = 41, 100
    mgf = ModulatedGaussian(xp.asarray([TWO_PI * 900.0]), xp.asarray(TWO_PI * 500.0), 0.3)
    fd_solver.cache_clear()
    for sr in (8000, 12000):
        weights, t0 = frequency_domain_weights(mgf, sr, numtaps, n_grid=n_grid, delay=1e-4)
        support = np.arange(-20, 21)
        omega = np.linspace(0, math.pi * sr, n_grid)
        e = np.exp(-1j * np.outer(omega, support) / sr)
        target = to_np(mgf.frequency_response(xp.asarray(omega)))[0] * np.exp(1j * omega * 1e-4)
        a = np.concatenate([e.real, e.imag])
        rhs = np.concatenate([target.real, target.imag])
        lstsq = np.linalg.lstsq(a, rhs, rcond=None)[0]
        np.testing.assert_allclose(to_np(weights)[0], lstsq, rtol=1e-9, atol=1e-12)
        assert t0 == pytest.approx(-20 / sr + 1e-4, abs=1e-15)
    info = fd_solver.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_fd_solver_conditioning_and_rank_limit():
    for numtaps, cond in [(40, "1.016"), (80, "1.031"), (160, "1.061"), (240, "1.09")]:
        singular = np.linalg.svd(fd_solver(numtaps, 640), compute_uv=False)
        assert printed(singular[0] / singular[-1], cond)
    # the sine rows at DC and Nyquist vanish: rank 2M - 2 (spec: 1278 at M = 640; M = 64 here)
    theta = np.linspace(0, math.pi, 64)
    support = np.arange(-63, 64)
    a = np.concatenate([np.cos(np.outer(theta, support)), np.sin(np.outer(theta, support))])
    assert np.linalg.matrix_rank(a) == 126
    mgf = ModulatedGaussian(1000.0, 500.0, 0.0)
    assert frequency_domain_weights(mgf, 8000, 126, n_grid=64)[0].shape == (1, 126)
    with pytest.raises(ParameterError, match="numtaps=127"):
        frequency_domain_weights(mgf, 8000, 127, n_grid=64)
    with pytest.raises(ParameterError, match="numtaps=1279"):
        frequency_domain_weights(mgf, 8000, 1279)


def test_equal_rms_normalisation_and_mask():
    bank = Gammatone(np.array([100.0, 1000.0, 5000.0]), order=2)
    weights, _ = time_domain_weights(bank, 8000, 40, normalize="equal_rms", train_sr=16000)
    rms = np.sqrt(np.mean(weights**2, axis=1))
    assert rms[0] == pytest.approx(rms[1], rel=1e-12) and rms[2] == 0
    # no mask when sr >= train_sr, and none for families without centre frequencies
    weights, _ = time_domain_weights(bank, 8000, 40, train_sr=8000)
    assert np.all(np.abs(weights).sum(axis=1) > 0)
    mixed = [bank, RationalFilter(*RATIONAL_DESIGNS["butter_bp"])]
    weights, _ = time_domain_weights(mixed, 8000, 40, train_sr=32000)
    assert weights.shape == (4, 40) and np.abs(weights[3]).sum() > 0


def test_hilbert_pair_vs_scipy(xp):
    for numtaps in (40, 41):
        w = np.random.default_rng(numtaps).standard_normal((3, numtaps))
        for dtype in ("float32", "float64"):
            pair = hilbert_pair(xp.asarray(w, dtype=dtype))
            assert pair.shape == (6, numtaps) and pair.dtype == np.dtype(dtype)
            expected = np.concatenate([w, np.imag(scipy.signal.hilbert(w, axis=-1))])
            assert rel_to_peak(pair, expected) < tol(dtype, 1e-5, 1e-13)


# ---------------------------------------------------------------- layer geometry and ops


def test_scaled_geometry_table():
    table = {
        8000: (40, 20, 10),
        11025: (55, 27, 14),
        16000: (80, 40, 20),
        22050: (110, 55, 27),
        24000: (120, 60, 30),
        32000: (160, 80, 40),
        44100: (220, 110, 55),
        48000: (240, 120, 60),
    }
    kw = dict(train_sr=32000, kernel_size=160, stride=80)
    for sr, expected in table.items():
        assert scaled_geometry(sr, **kw) == expected
        if sr in (11025, 22050, 44100):
            with pytest.raises(ParameterError, match="not an integer"):
                scaled_geometry(sr, rounding="error", **kw)
        else:
            assert scaled_geometry(sr, rounding="error", **kw) == expected
    assert scaled_geometry(11025, rounding="round", **kw) == (55, 28, 13)
    assert scaled_geometry(44100, rounding="round", **kw) == (221, 110, 55)


@pytest.mark.parametrize("sr", [8000, 16000, 32000, 48000])
def test_four_seconds_give_1600_frames_and_decoder_keeps_length(xp, sr):
    numtaps, stride, padding = scaled_geometry(sr, train_sr=32000, kernel_size=160, stride=80)
    x = xp.asarray(np.random.default_rng(sr).standard_normal(4 * sr))
    weights, _ = time_domain_weights(
        ModulatedGaussian(xp.asarray([3000.0, 9000.0]), 2000.0, 0.0), sr, numtaps
    )
    assert weights.shape == (2, numtaps)
    y = encode(x, weights, stride=stride, padding=padding)
    assert y.shape == (2, 1600)
    assert decode(y, weights, stride=stride, padding=padding).shape == (4 * sr,)


@pytest.mark.parametrize("method", sorted(DESIGNS))
def test_encoder_output_equals_analog_filter_output(xp, method):
    mgf = ModulatedGaussian(
        xp.asarray(TWO_PI * np.array([250.0, 1000.0, 2400.0])),
        TWO_PI * 400,
        xp.asarray([0.0, 0.5, 1.0]),
    )
    freq = np.array([300.0, 1100.0, 2500.0])
    amp = np.array([1.0, 0.7, 0.5])
    theta = np.array([0.3, 1.9, -0.8])
    observed = {"td": (2.9e-10,) * 3, "fd": (1.1e-6, 3e-10, 3e-10)}[method]
    for sr, seen, c0 in zip(
        (8000, 16000, 32000), observed, (1.1875, 1.21875, 1.234375), strict=True
    ):
        numtaps, stride, padding = scaled_geometry(sr, train_sr=32000, kernel_size=160, stride=80)
        n = int(0.05 * sr)
        t = np.arange(n) / sr
        x = (amp[:, None] * np.cos(TWO_PI * freq[:, None] * t + theta[:, None])).sum(axis=0)
        weights, t0 = DESIGNS[method](mgf, sr, numtaps)
        y = to_np(encode(xp.asarray(x), weights, stride=stride, padding=padding))
        m = np.arange(y.shape[-1])
        frame_time = (m * stride - padding + numtaps - 1) / sr + t0  # spec §5.3
        assert frame_time[0] * 1e3 == pytest.approx(c0 if method == "td" else 1.25, abs=1e-12)
        # the analog output of each filter to the multi-sine, at the frame times
        gain = to_np(mgf.frequency_response(xp.asarray(TWO_PI * freq)))
        phasor = amp * np.exp(1j * theta) * gain
        analog = np.real(phasor[:, None, :] * np.exp(1j * TWO_PI * freq * frame_time[:, None])).sum(
            -1
        )
        inside = (m * stride - padding >= 0) & (m * stride + numtaps - 1 - padding <= n - 1)
        err = rel_to_peak(y[:, inside], analog[:, inside])
        # the FD 8 kHz figure is not rounding level: spec 1.1e-6, here 1.05e-6
        assert err <= (1.2e-6 if seen > 1e-8 else 10 * seen), (sr, err)


def scipy_encode(x, weights, stride, padding):
    padded = np.pad(x, (padding, padding))
    return np.stack([scipy.signal.convolve(padded, w, "valid")[::stride] for w in weights])


def scipy_decode(y, weights, stride, padding, length):
    full = sum(
        scipy.signal.upfirdn(w[::-1], yf, up=stride) for w, yf in zip(weights, y, strict=True)
    )
    full = np.concatenate([full[: (y.shape[-1] - 1) * stride + weights.shape[1]], np.zeros(length)])
    return full[padding : padding + length]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("numtaps", "stride", "padding"), [(40, 20, 10), (55, 27, 14), (7, 3, 0), (5, 5, 2)]
)
def test_encode_decode_vs_scipy_and_batches(xp, dtype, numtaps, stride, padding):
    rng = np.random.default_rng(numtaps)
    weights = rng.standard_normal((4, numtaps))
    x = rng.standard_normal((2, 3, 301))
    y = encode(
        xp.asarray(x, dtype=dtype), xp.asarray(weights, dtype=dtype), stride=stride, padding=padding
    )
    assert y.dtype == np.dtype(dtype)
    expected = np.stack([[scipy_encode(xi, weights, stride, padding) for xi in row] for row in x])
    assert y.shape == expected.shape == (2, 3, 4, (301 + 2 * padding - numtaps) // stride + 1)
    assert rel_to_peak(y, expected) < tol(dtype, 1e-5, 1e-13)
    y_host = rng.standard_normal(expected.shape)
    for length in (None, 301, 290):
        xr = decode(
            xp.asarray(y_host, dtype=dtype),
            xp.asarray(weights, dtype=dtype),
            stride=stride,
            padding=padding,
            length=length,
        )
        n_out = (
            length
            if length is not None
            else (y_host.shape[-1] - 1) * stride + numtaps - 2 * padding
        )
        expected = np.stack(
            [[scipy_decode(yi, weights, stride, padding, n_out) for yi in row] for row in y_host]
        )
        assert xr.shape == (2, 3, n_out) and xr.dtype == np.dtype(dtype)
        assert rel_to_peak(xr, expected) < tol(dtype, 1e-5, 1e-13)


@pytest.mark.parametrize("n", [4000, 4007, 4013])
def test_decoder_is_adjoint_of_encoder(xp, n):
    numtaps, stride, padding = 40, 20, 10
    rng = np.random.default_rng(n)
    weights = xp.asarray(rng.standard_normal((5, numtaps)))
    x = xp.asarray(rng.standard_normal((2, n)))
    y_shape = (2, 5, (n + 2 * padding - numtaps) // stride + 1)
    y = xp.asarray(rng.standard_normal(y_shape))
    lhs = float(xp.sum(encode(x, weights, stride=stride, padding=padding) * y))
    rhs = float(xp.sum(x * decode(y, weights, stride=stride, padding=padding, length=n)))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_torch_conv_layout_matches():
    torch = pytest.importorskip("torch")
    numtaps, stride, padding = 40, 20, 10
    rng = np.random.default_rng(5)
    weights = rng.standard_normal((6, numtaps))
    x = rng.standard_normal((2, 1000))
    torch_weight = torch.from_numpy(weights[:, None, ::-1].copy())
    y_torch = torch.nn.functional.conv1d(
        torch.from_numpy(x)[:, None], torch_weight, stride=stride, padding=padding
    )
    y = encode(x, weights, stride=stride, padding=padding)
    assert rel_to_peak(y, y_torch.numpy()) < 1e-13
    x_torch = torch.nn.functional.conv_transpose1d(
        y_torch, torch_weight, stride=stride, padding=padding
    )
    assert (
        rel_to_peak(decode(y, weights, stride=stride, padding=padding), x_torch.numpy()[:, 0])
        < 1e-13
    )


# ---------------------------------------------------------------- initialisers


def test_erb_helpers_and_mpgtf_layout():
    f = erb_space(50.0, 16000.0, 440)
    assert [round(float(v), 1) for v in f[:3]] == [50.0, 52.6, 55.2]
    assert round(float(f[-2]), 1) == 15850.5 and float(f[-1]) == pytest.approx(16000.0, rel=1e-14)
    assert ((f <= 4000).sum(), (f <= 8000).sum()) == (294, 366)
    # E(f) = 9.265 ln(1 + f / (24.7 * 9.265)), written out
    assert hz_to_erb_rate(1000.0) == pytest.approx(9.265 * math.log(1 + 1000 / (24.7 * 9.265)))
    grid = np.linspace(0, 20000, 11)
    np.testing.assert_allclose(erb_rate_to_hz(hz_to_erb_rate(grid)), grid, atol=1e-9)
    for reference in (False, True):
        fc, phase = mpgtf_layout(440, 96, 50.0, 16000.0, reference_phases=reference)
        centers = erb_space(50.0, 16000.0, 96)
        counts = np.array([np.sum(fc[:220] == c) for c in centers])
        assert np.all(counts[:28] == 3) and np.all(counts[28:] == 2)
        np.testing.assert_array_equal(fc[220:], fc[:220])
        np.testing.assert_allclose(phase[220:], phase[:220] + math.pi)
        wrapped = np.round(np.mod(phase, 2 * math.pi), 9) % round(2 * math.pi, 9)
        distinct = len({(c, p) for c, p in zip(fc, wrapped, strict=True)})
        # reference layout: phase pi and 0 + pi coincide (2 duplicates per centre)
        assert distinct == (440 - 2 * 96 if reference else 440)
    assert np.allclose(
        mpgtf_layout(440, 96, 50.0, 16000.0)[1][:3], [0, math.pi / 3, 2 * math.pi / 3]
    )


# ---------------------------------------------------------------- bad input


MGF = ModulatedGaussian(1000.0, 400.0, 0.0)

BAD_VALUES = [
    lambda: time_domain_weights(MGF, 8000, 0),
    lambda: frequency_domain_weights(MGF, 8000, 0),
    lambda: frequency_domain_weights(MGF, 8000, 200, n_grid=100),
    lambda: frequency_domain_weights(MGF, 8000, 10, n_grid=1),
    lambda: time_domain_weights(MGF, 0, 40),
    lambda: frequency_domain_weights(MGF, -8000.0, 40),
    lambda: time_domain_weights(MGF, float("nan"), 40),
    lambda: time_domain_weights(MGF, 8000, 40, grid="middle"),
    lambda: time_domain_weights(MGF, 8000, 40, scale="raw"),
    lambda: time_domain_weights(MGF, 8000, 40, normalize="peak"),
    lambda: time_domain_weights(ModulatedGaussian(1000.0, 400.0, 0.0, one_sided=True), 8000, 40),
    lambda: time_domain_weights(RationalFilter(*RATIONAL_DESIGNS["ellip_lp"]), 8000, 40),
    lambda: ModulatedGaussian(np.array([1.0, np.nan]), 1.0, 0.0),
    lambda: ModulatedGaussian(1.0, np.inf, 0.0),
    lambda: ModulatedGaussian(1000.0, 0.0, 0.0),
    lambda: ModulatedGaussian(np.ones(3), np.ones(2), 0.0),
    lambda: ModulatedGaussian(np.ones((2, 2)), 1.0, 0.0),
    lambda: Gammatone(np.array([1000.0, np.inf])),
    lambda: Gammatone(1000.0, phase=np.nan),
    lambda: Gammatone(1000.0, b=-1.0),
    lambda: Gammatone(1000.0, order=0),
    lambda: RationalFilter([], [np.nan], 1.0),
    lambda: RationalFilter([1.0, 2.0], [-1.0], 1.0),
    lambda: scaled_geometry(11025, train_sr=32000, kernel_size=160, stride=80, rounding="error"),
    lambda: scaled_geometry(44100, train_sr=32000, kernel_size=160, stride=80, rounding="ceil"),
    lambda: scaled_geometry(100, train_sr=32000, kernel_size=160, stride=80),
    lambda: scaled_geometry(0, train_sr=32000, kernel_size=160, stride=80),
    lambda: encode(np.zeros(100), np.ones((2, 10)), stride=0, padding=0),
    lambda: encode(np.zeros(100), np.ones((2, 10)), stride=1, padding=-1),
    lambda: encode(np.zeros(100), np.ones(10), stride=1, padding=0),
    lambda: encode(np.zeros(5), np.ones((2, 10)), stride=1, padding=2),
    lambda: decode(np.zeros((3, 10)), np.ones((2, 10)), stride=5, padding=0),
    lambda: decode(np.zeros((2, 10)), np.ones((2, 10)), stride=5, padding=0, length=-1),
    lambda: decode(np.zeros((2, 1)), np.ones((2, 4)), stride=5, padding=3),
    lambda: hilbert_pair(np.ones((2, 3, 4))),
    lambda: erb_space(50.0, 16000.0, 1),
    lambda: mpgtf_layout(441, 96, 50.0, 16000.0),
    lambda: mpgtf_layout(100, 96, 50.0, 16000.0),
]


@pytest.mark.parametrize("call", BAD_VALUES)
def test_bad_values_raise_parameter_error(call):
    with pytest.raises(ParameterError):
        call()


BAD_TYPES = [
    lambda: encode(np.zeros(100, dtype=np.int64), np.ones((2, 10)), stride=1, padding=0),
    lambda: encode(np.zeros(100, dtype=np.float16), np.ones((2, 10)), stride=1, padding=0),
    lambda: encode(np.zeros(100), [[1.0, 2.0]], stride=1, padding=0),
    lambda: decode(np.zeros((2, 10), dtype=np.int32), np.ones((2, 4)), stride=1, padding=0),
    lambda: ModulatedGaussian(np.array([1000], dtype=np.int64), 1.0, 0.0),
    lambda: Gammatone(np.array([1000.0], dtype=np.float16)),
    lambda: Gammatone(1000.0, order=2.0),
    lambda: MGF.impulse_response(np.arange(4)),
    lambda: time_domain_weights(MGF, 8000, 40, dtype=np.int32),
    lambda: time_domain_weights(object(), 8000, 40),
]


@pytest.mark.parametrize("call", BAD_TYPES)
def test_bad_types_raise_type_error(call):
    with pytest.raises(TypeError):
        call()


def test_mixed_namespaces_raise_type_error(xp):
    if xp is np:
        pytest.skip("needs CuPy arrays")
    with pytest.raises(TypeError):
        encode(xp.zeros(100), np.ones((2, 10)), stride=1, padding=0)
    with pytest.raises(TypeError):
        ModulatedGaussian(xp.asarray([1000.0]), np.asarray([10.0]), 0.0)
    with pytest.raises(TypeError):
        time_domain_weights(ModulatedGaussian(1000.0, 400.0, 0.0), 8000, 40, xp=xp)


def test_parameter_namespace_and_dtype_carry_to_weights(xp):
    mgf = ModulatedGaussian(xp.asarray([1000.0, 2000.0], dtype=xp.float32), 400.0, 0.0)
    for design in DESIGNS.values():
        weights, _ = design(mgf, 8000, 40)
        assert isinstance(weights, xp.ndarray) and weights.dtype == np.float32
        weights64, _ = design(mgf, 8000, 40, dtype=np.float64)
        assert weights64.dtype == np.float64
        assert rel_to_peak(weights, weights64) < 1e-5
    bp = RationalFilter(*RATIONAL_DESIGNS["butter_bp"])
    weights, _ = frequency_domain_weights(bp, 8000, 40, xp=xp, dtype=np.float32)
    assert isinstance(weights, xp.ndarray) and weights.dtype == np.float32


# ---- orders, constants and shapes that must be clear errors (issue 16) ----


def test_gammatone_order_is_bounded_and_checked_without_factorials():
    """order 2**40 used to compute a factorial for minutes, order 200 raised OverflowError;
    both are now a ParameterError naming the range, a float or bool order a TypeError."""
    from sigpu.sfi import gammatone_bandwidth

    for order in (0, -3, 65, 200, 2**40):
        with pytest.raises(ParameterError, match=rf"order={order} must be an integer in \[1, 64\]"):
            gammatone_bandwidth(1000.0, order)
        with pytest.raises(ParameterError, match=r"in \[1, 64\]"):
            Gammatone(1000.0, order=order)
    for order in (1.5, True, 4.0, "4"):
        with pytest.raises(TypeError, match="order=.* must be an integer"):
            gammatone_bandwidth(1000.0, order)


@pytest.mark.parametrize("order", [1, 2, 4, 10, 30, 64])
def test_gammatone_bandwidth_log_gamma_equals_exact_factorials(order):
    from fractions import Fraction

    from sigpu.sfi import gammatone_bandwidth

    n = order
    exact = Fraction(math.factorial(2 * n - 2), math.factorial(n - 1) ** 2 * 4 ** (n - 1))
    expected = (24.7 + 1000.0 / 9.265) / (math.pi * float(exact))
    assert gammatone_bandwidth(1000.0, order) == pytest.approx(expected, rel=1e-13)


def test_gammatone_frequency_response_log_form_equals_the_factorial_form():
    """(n-1)!/z^n is evaluated as exp(lgamma(n) - n log z) (no overflow at any order); where
    the literal form does not overflow (order 64 here) both agree to rounding."""
    b, fc, phase, order = 200.0, 1000.0, 0.3, 64
    gt = Gammatone(np.array([fc]), phase=phase, order=order, b=np.array([b]))
    w = 2 * np.pi * np.array([0.0, 900.0, 1000.0, 1100.0, 5000.0])
    H = gt.frequency_response(w)[0]
    rot = complex(math.cos(phase), math.sin(phase))
    for wk, hk in zip(w, H, strict=True):
        pos = rot / complex(2 * math.pi * b, wk - 2 * math.pi * fc) ** order
        neg = rot.conjugate() / complex(2 * math.pi * b, wk + 2 * math.pi * fc) ** order
        ref = math.factorial(order - 1) / 2 * (pos + neg)
        assert abs(hk - ref) <= 1e-12 * abs(ref)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(ear_q=0), "ear_q=0 must be positive"),
        (dict(ear_q=-9.0), "ear_q=-9.0 must be positive"),
        (dict(min_bw=np.inf), "min_bw=inf must be finite"),
        (dict(min_bw=-1.0), "min_bw=-1.0 must be positive"),
        (dict(ear_q=np.nan, b=np.array([100.0])), "ear_q=nan must be finite"),
    ],
)
def test_gammatone_erb_constants_are_checked(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Gammatone(np.array([1000.0]), **kwargs)


def test_gammatone_bandwidth_takes_numbers_and_float_arrays_only(xp):
    from sigpu.sfi import gammatone_bandwidth

    fc = np.array([100.0, 1000.0])
    with pytest.raises(TypeError, match="fc has dtype object"):
        gammatone_bandwidth(fc.astype(object), 4)  # was an object array back
    with pytest.raises(TypeError, match="fc has dtype int64"):
        gammatone_bandwidth(np.array([100, 1000]), 4)
    with pytest.raises(ParameterError, match="fc='abc' must be a real number"):
        gammatone_bandwidth("abc", 4)
    out = gammatone_bandwidth(xp.asarray(fc.astype(">f8")), 4)
    assert out.dtype == np.float64 and out.dtype.isnative
    np.testing.assert_allclose(to_np(out), (24.7 + fc / 9.265) * 1.0186, rtol=1e-4)


def test_erb_space_and_layout_take_float_dtypes_only():
    with pytest.raises(TypeError, match="dtype=.*int32.* must be float32 or float64"):
        erb_space(50.0, 8000.0, 4, dtype=np.int32)
    with pytest.raises(TypeError, match="must be float32 or float64"):
        mpgtf_layout(8, 2, 50.0, 8000.0, dtype=np.complex64)
    assert erb_space(50.0, 8000.0, 4, dtype=np.float32).dtype == np.float32


def test_rational_filter_rtol_must_be_a_finite_number():
    for rtol in (np.nan, np.inf, -1e-3):
        with pytest.raises(ParameterError, match="repeated_pole_rtol="):
            RationalFilter([], [-1.0, -2.0], 1.0, repeated_pole_rtol=rtol)


def test_encode_decode_reject_empty_kernels_and_frames(xp):
    """Zero taps or filters: a reshape error (encode) or silent zeros (decode) before."""
    for weights in (np.ones((4, 0)), np.ones((0, 5))):
        with pytest.raises(ParameterError, match="at least one filter and one tap"):
            encode(xp.ones((1, 40)), xp.asarray(weights), stride=1, padding=0)
        with pytest.raises(ParameterError, match="at least one filter and one tap"):
            decode(xp.ones((1, weights.shape[0], 5)), xp.asarray(weights), stride=1, padding=0)
    with pytest.raises(ParameterError, match="y has no frames"):
        decode(xp.ones((1, 4, 0)), xp.ones((4, 3)), stride=1, padding=0)


# ------------------------------------------- rational banks (one partial-fraction expansion)

#: (poles, zeros) per filter: real poles for odd counts, the rest conjugate pairs
BANK_SHAPES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 2), (4, 0), (4, 2), (4, 3)]


def _random_bank(rng, n_poles, n_zeros, n_filters=6):
    """Real-impulse-response filters with distinct stable poles (rad/s) at audio rates."""
    rows = []
    for _ in range(n_filters):
        pairs = TWO_PI * (-rng.uniform(50, 400, n_poles // 2) + 1j * rng.uniform(100, 3000))
        pairs = pairs + TWO_PI * 1j * np.arange(n_poles // 2) * 700  # distinct within a row
        real = -TWO_PI * rng.uniform(100, 800, n_poles % 2)
        poles = np.concatenate([pairs, pairs.conj(), real])
        zero_pairs = TWO_PI * (rng.uniform(-300, 300, n_zeros // 2) + 1j * rng.uniform(0, 4000))
        zeros = np.concatenate(
            [zero_pairs, zero_pairs.conj(), TWO_PI * rng.uniform(-500, 500, n_zeros % 2)]
        )
        rows.append((zeros, poles, rng.uniform(0.5, 2.0) * (TWO_PI * 1000) ** (n_poles - n_zeros)))
    return tuple(np.array([row[i] for row in rows]) for i in range(3))


def _residue_impulse(zeros, poles, gain, t):
    """h(t) = Re sum_i r_i exp(p_i t) from scipy.signal.residue of the polynomial form."""
    r, p, direct = scipy.signal.residue(gain * np.poly(zeros), np.poly(poles))
    assert not np.any(direct)
    return np.where(t >= 0, np.real(r[:, None] * np.exp(p[:, None] * t)).sum(axis=0), 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n_poles", "n_zeros"), BANK_SHAPES)
def test_rational_bank_equals_residue_and_per_filter_responses(xp, rng, n_poles, n_zeros, dtype):
    from sigpu.sfi.families import rational_bank

    zeros, poles, gain = _random_bank(rng, n_poles, n_zeros)
    bank = rational_bank(zeros, poles, gain)
    assert not isinstance(bank, list) and bank.n_filters == 6
    filters = [RationalFilter(z, p, k) for z, p, k in zip(zeros, poles, gain, strict=True)]
    t = np.linspace(-0.001, 0.01, 301)
    h = to_np(bank.impulse_response(xp.asarray(t, dtype=dtype)), shape=(6, 301))
    w = np.linspace(0, TWO_PI * 8000, 201)
    big_h = to_np(bank.frequency_response(xp.asarray(w, dtype=dtype)), shape=(6, 201))
    for f in range(6):
        reference = _residue_impulse(zeros[f], poles[f], gain[f], t)
        assert rel_to_peak(h[f], reference) < tol(dtype, 1e-4, 1e-9)
        assert rel_to_peak(h[f], filters[f].impulse_response(t)[0]) < tol(dtype, 1e-4, 1e-12)
        _, freqs = scipy.signal.freqs_zpk(zeros[f], poles[f], gain[f], worN=w)
        assert rel_to_peak(big_h[f], freqs) < tol(dtype, 1e-5, 1e-12)
    for design in DESIGNS.values():
        got, t0 = design(bank, 16000, 48, xp=xp)
        want, t0_ref = design(filters, 16000, 48)
        assert t0 == t0_ref and rel_to_peak(got, want) < 1e-12


def test_rational_bank_falls_back_to_filters_for_repeated_poles():
    """1 / (s + a)^2 has h(t) = t exp(-a t): a double pole (exact or within the grouping
    tolerance) needs RationalFilter's Taylor expansion."""
    from sigpu.sfi.families import rational_bank

    a = TWO_PI * np.array([200.0, 500.0, 900.0])
    t = np.linspace(0, 0.01, 101)
    for spread in (0.0, 1e-10):
        poles = np.stack([-a, -a * (1 + spread)], axis=1)
        bank = rational_bank(np.zeros((3, 0)), poles, np.ones(3))
        assert isinstance(bank, list) and len(bank) == 3
        weights, _ = time_domain_weights(bank, 10000, 101, grid="causal", scale=None)
        assert rel_to_peak(weights, t * np.exp(-a[:, None] * t)) < 1e-7


def test_rational_bank_errors_are_those_of_rational_filter():
    from sigpu.sfi.families import rational_bank

    with pytest.raises(ParameterError, match="must be finite"):
        rational_bank(np.zeros((2, 0)), np.array([[-1.0], [np.nan]]), np.ones(2))
    with pytest.raises(ParameterError, match="proper H with at least one pole"):
        rational_bank(np.zeros((2, 2)), -np.ones((2, 1)), np.ones(2))
    biproper = rational_bank(-np.ones((2, 1)), -2 * np.ones((2, 1)), np.ones(2))
    with pytest.raises(ParameterError, match="strictly proper"):
        biproper.impulse_response(np.zeros(3))
    with pytest.raises(ParameterError, match="non-strictly-proper rational H"):
        time_domain_weights(biproper, 8000, 8)
