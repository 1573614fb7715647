"""Harmonic lowering / harmonic_conv2d against a literal loop reference written from the spec,
golden vectors, scipy.signal.correlate, analytic identities, adjoint identities and finite
differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal

from sigpu import ParameterError
from sigpu.harmonic import (
    harmonic_conv2d,
    harmonic_conv2d_backward,
    harmonic_lower,
    harmonic_lower_adjoint,
    log_harmonic_conv2d,
    log_harmonic_conv2d_backward,
)
from tests.helpers import rel_to_peak, to_np, tol

EDGES = ("inclusive", "hl_repo", "zero_ext")


# ----------------------------------------------------------------------------- reference


def ref_sample(col, f, k, n, top_edge):
    """Harmonic tap k of output bin f (spec sections 2.1 and 3), one column, plain Python."""
    last = len(col) - 1
    num = f * k  # p = num / n exactly
    i = num // n
    alpha = (num % n) / n
    if top_edge == "inclusive":
        if num > n * last:
            return 0.0
        return col[i] if alpha == 0 else (1 - alpha) * col[i] + alpha * col[i + 1]
    if top_edge == "hl_repo":
        if k == n:
            return col[f]
        if i + 1 > last:
            return 0.0
        return (1 - alpha) * col[i] + alpha * col[i + 1]
    value = (1 - alpha) * col[i] if i <= last else 0.0  # zero_ext
    if i + 1 <= last:
        value += alpha * col[i + 1]
    return value


def ref_log_sample(col, f, k, n, bins_per_octave):
    """Spec section 6: interpolate at q = f + B*log2(k/n) if 0 <= q <= F-1 (integers snapped)."""
    q = f + bins_per_octave * math.log2(k / n)
    if abs(q - round(q)) < 1e-9:
        q = round(q)
    if q < 0 or q > len(col) - 1:
        return 0.0
    i = math.floor(q)
    alpha = q - i
    return col[i] if alpha == 0 else (1 - alpha) * col[i] + alpha * col[i + 1]


def ref_conv(
    x, w, bias, *, anchor, stride, padding, dilation, groups, top_edge=None, bins_per_octave=None
):
    """Spec section 2.2 as nested loops (float64); section 6 with ``bins_per_octave``."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    n_batch, c_in, n_freq, n_time = x.shape
    c_out, c_g, k_f, k_t = w.shape
    s_f, s_t = stride
    f_out = (n_freq - 1) // s_f + 1
    t_out = (n_time + 2 * padding - dilation * (k_t - 1) - 1) // s_t + 1
    o_g = c_out // groups
    y = np.zeros((n_batch, c_out, f_out, t_out))
    for b in range(n_batch):
        for o in range(c_out):
            g = o // o_g
            for fo in range(f_out):
                for to in range(t_out):
                    acc = 0.0 if bias is None else float(bias[o])
                    for c in range(c_g):
                        for k in range(1, k_f + 1):
                            for j in range(k_t):
                                tau = to * s_t + j * dilation - padding
                                if 0 <= tau < n_time:
                                    col = x[b, g * c_g + c, :, tau]
                                    if bins_per_octave is None:
                                        z = ref_sample(col, fo * s_f, k, anchor, top_edge)
                                    else:
                                        z = ref_log_sample(
                                            col, fo * s_f, k, anchor, bins_per_octave
                                        )
                                    acc += w[o, c, k - 1, j] * z
                    y[b, o, fo, to] = acc
    return y


def _random_configs(count):
    rng = np.random.default_rng(4)
    configs = []
    for i in range(count):
        groups = (1, 2, 3)[i % 3]
        k_f = int(rng.integers(1, 5))
        k_t = int(rng.integers(1, 4))
        dilation = int(rng.integers(1, 3))
        padding = int(rng.integers(0, 3))
        n_time = int(rng.integers(dilation * (k_t - 1) + 1, 9))
        configs.append(
            dict(
                n_batch=int(rng.integers(1, 3)),
                c_in=groups * int(rng.integers(1, 3)),
                c_out=groups * int(rng.integers(1, 3)),
                n_freq=(1, 5, 8, 9, 12)[i % 5],
                n_time=n_time,
                k_f=k_f,
                k_t=k_t,
                anchor=1 + i % k_f,
                stride=(int(rng.integers(1, 4)), int(rng.integers(1, 3))),
                padding=padding,
                dilation=dilation,
                groups=groups,
                top_edge=EDGES[i % 3],
            )
        )
    return configs


CONFIGS = _random_configs(15)


def _make(xp, rng, cfg, dtype, bias=True):
    x = rng.standard_normal((cfg["n_batch"], cfg["c_in"], cfg["n_freq"], cfg["n_time"]))
    w = rng.standard_normal((cfg["c_out"], cfg["c_in"] // cfg["groups"], cfg["k_f"], cfg["k_t"]))
    b = rng.standard_normal(cfg["c_out"]) if bias else None

    def as_xp(a):
        return None if a is None else xp.asarray(a, dtype=dtype)

    return (x, w, b), (as_xp(x), as_xp(w), as_xp(b))


def _kw(cfg):
    return {k: cfg[k] for k in ("anchor", "stride", "padding", "dilation", "groups", "top_edge")}


# ----------------------------------------------------------------------------- golden vectors

GOLDEN_AB = {
    ("A", "inclusive"): [111, 271.5, 432, 592.5, 753, 63.5, 74],
    ("A", "zero_ext"): [111, 271.5, 432, 592.5, 753, 63.5, 74],
    ("A", "hl_repo"): [111, 271.5, 432, 592.5, 53, 63.5, 74],
    ("B", "inclusive"): [1111, 2551 + 1 / 3, 3991 + 2 / 3, 5432, 6872 + 1 / 3, 646, 753],
    ("B", "hl_repo"): [1111, 2551 + 1 / 3, 3991 + 2 / 3, 5432, 6872 + 1 / 3, 646, 753],
    ("B", "zero_ext"): [1111, 2551 + 1 / 3, 3991 + 2 / 3, 5432, 6872 + 1 / 3, 2979 + 1 / 3, 753],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("top_edge", EDGES)
@pytest.mark.parametrize("case", ["A", "B"])
def test_golden_ab(xp, case, top_edge, dtype):
    x = xp.asarray(np.arange(1.0, 8.0).reshape(1, 1, 7, 1), dtype=dtype)
    taps, anchor = ([1, 10, 100], 2) if case == "A" else ([1, 10, 100, 1000], 3)
    w = xp.asarray(np.array(taps, dtype=float).reshape(1, 1, -1, 1), dtype=dtype)
    y = harmonic_conv2d(x, w, anchor=anchor, top_edge=top_edge)
    assert y.dtype == dtype and y.shape == (1, 1, 7, 1)
    np.testing.assert_allclose(
        to_np(y)[0, 0, :, 0], GOLDEN_AB[case, top_edge], rtol=tol(dtype, 1e-6, 1e-13)
    )


@pytest.mark.parametrize("top_edge", EDGES)
def test_golden_c_time_orientation(xp, top_edge):
    x = np.zeros((1, 1, 3, 6))
    x[0, 0, :, 2] = 1
    w = np.zeros((1, 1, 2, 3))
    w[0, 0, 1] = [1, 2, 3]
    y = harmonic_conv2d(xp.asarray(x), xp.asarray(w), anchor=2, padding=1, top_edge=top_edge)
    np.testing.assert_array_equal(to_np(y)[0, 0], np.tile([0, 3, 2, 1, 0, 0], (3, 1)))


@pytest.mark.parametrize(
    "n_harmonics, anchor, expected",
    [
        (2, 1, [1, 0, 2, 0, 3, 0, 4, 0]),
        (1, 2, [2, 6, 10, 14, 4, 0, 0, 0]),
        (3, 2, [1, 1, 1, 3, 2, 2, 5, 0]),
    ],
)
def test_golden_adjoint(xp, n_harmonics, anchor, expected):
    # spec 5.3, "exact" column: g = 1..8 in the block of the last harmonic, zeros elsewhere
    g = np.zeros((1, n_harmonics, 8, 1))
    g[0, n_harmonics - 1, :, 0] = np.arange(1.0, 9.0)
    for deterministic in (True, False):
        out = harmonic_lower_adjoint(
            xp.asarray(g), n_harmonics=n_harmonics, anchor=anchor, deterministic=deterministic
        )
        np.testing.assert_allclose(to_np(out)[0, 0, :, 0], expected, atol=1e-12)


# ----------------------------------------------------------------------------- loop reference


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index", range(len(CONFIGS)))
def test_matches_loop_reference(xp, rng, index, dtype):
    cfg = CONFIGS[index]
    (x, w, b), (xd, wd, bd) = _make(xp, rng, cfg, dtype)
    y = harmonic_conv2d(xd, wd, bd, **_kw(cfg))
    ref = ref_conv(x, w, b, **_kw(cfg))
    assert y.dtype == dtype and y.shape == ref.shape
    assert rel_to_peak(y, ref) <= tol(dtype, 1e-5, 1e-12)


@pytest.mark.parametrize("top_edge", EDGES)
def test_lowering_matches_loop_reference(xp, rng, top_edge):
    for n_freq, k_f, anchor in [(1, 3, 2), (9, 4, 3), (16, 3, 1), (17, 5, 2), (7, 4, 4)]:
        x = rng.standard_normal((2, 2, n_freq, 3))
        out = to_np(
            harmonic_lower(xp.asarray(x), n_harmonics=k_f, anchor=anchor, top_edge=top_edge)
        )
        assert out.shape == (2, 2 * k_f, n_freq, 3)
        for b, c, k, f, t in np.ndindex(2, 2, k_f, n_freq, 3):
            want = ref_sample(x[b, c, :, t], f, k + 1, anchor, top_edge)
            assert abs(out[b, c * k_f + k, f, t] - want) <= 1e-14


@pytest.mark.parametrize("parallel_from", [0, 1 << 40])
def test_cpu_lowering_and_adjoint_in_parallel_and_serially(rng, monkeypatch, parallel_from):
    # the CPU kernels run as numba parallel regions only from PARALLEL_MIN_SIZE outputs (a
    # region's thread wake-ups cost far more than small work): both drivers against the loop
    # reference and the adjoint identity
    from sigpu._kernels import harmonic_numba

    monkeypatch.setattr(harmonic_numba, "PARALLEL_MIN_SIZE", parallel_from)
    x = rng.standard_normal((2, 3, 17, 5))
    kw = dict(n_harmonics=5, anchor=2, top_edge="inclusive")
    out = harmonic_lower(x, **kw)
    for b, c, k, f, t in np.ndindex(2, 3, 5, 17, 5):
        want = ref_sample(x[b, c, :, t], f, k + 1, 2, "inclusive")
        assert abs(out[b, c * 5 + k, f, t] - want) <= 1e-14
    g = rng.standard_normal(out.shape)
    lhs = np.vdot(out, g)
    for deterministic in (True, False):
        rhs = np.vdot(x, harmonic_lower_adjoint(g, deterministic=deterministic, **kw))
        assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs))


def test_time_convolution_equals_scipy_correlate(xp, rng):
    # n = 1, K_f = 1: an ordinary (1 x K_t) cross-correlation along time
    x = rng.standard_normal((2, 3, 4, 20))
    w = rng.standard_normal((2, 3, 1, 5))
    y = to_np(harmonic_conv2d(xp.asarray(x), xp.asarray(w), padding=2))
    xpad = np.pad(x, ((0, 0), (0, 0), (0, 0), (2, 2)))
    ref = np.zeros((2, 2, 4, 20))
    for b, o, f, c in np.ndindex(2, 2, 4, 3):
        ref[b, o, f] += scipy.signal.correlate(xpad[b, c, f], w[o, c, 0], mode="valid")
    assert rel_to_peak(y, ref) <= 1e-13


@pytest.mark.parametrize("top_edge", EDGES)
@pytest.mark.parametrize("anchor, k_t", [(1, 1), (2, 3), (5, 5)])
def test_identity_kernel_returns_input(xp, rng, anchor, k_t, top_edge):
    x = xp.asarray(rng.standard_normal((2, 1, 11, 7)), dtype=xp.float32)
    w = np.zeros((1, 1, anchor, k_t), dtype=np.float32)
    w[0, 0, anchor - 1, (k_t - 1) // 2] = 1
    y = harmonic_conv2d(x, xp.asarray(w), anchor=anchor, padding=(k_t - 1) // 2, top_edge=top_edge)
    np.testing.assert_array_equal(to_np(y), to_np(x))


@pytest.mark.parametrize("top_edge", EDGES)
@pytest.mark.parametrize("anchor", [1, 2, 3])
def test_harmonic_comb(xp, anchor, top_edge):
    f0, n_partials, n_freq = 4, 5, 24
    x = np.zeros((1, 1, n_freq, 1))
    x[0, 0, f0 * np.arange(1, n_partials + 1), 0] = 1
    w = np.ones((1, 1, n_partials, 1))
    y = to_np(harmonic_conv2d(xp.asarray(x), xp.asarray(w), anchor=anchor, top_edge=top_edge))
    assert y[0, 0, anchor * f0, 0] == pytest.approx(n_partials, abs=1e-12)


def test_edge_behaviour(xp, rng):
    # output bin 0 sees only x[0]; with "inclusive", tap k is zero above n(F-1)/k
    x = rng.standard_normal((1, 1, 10, 4))
    x2 = x.copy()
    x2[0, 0, 1:] = rng.standard_normal((9, 4))
    w = xp.asarray(rng.standard_normal((1, 1, 4, 1)))
    y1 = to_np(harmonic_conv2d(xp.asarray(x), w, anchor=2))
    y2 = to_np(harmonic_conv2d(xp.asarray(x2), w, anchor=2))
    np.testing.assert_array_equal(y1[0, 0, 0], y2[0, 0, 0])
    low = to_np(harmonic_lower(xp.asarray(x), n_harmonics=4, anchor=2))
    for k in range(1, 5):
        above = [f for f in range(10) if f * k > 2 * 9]
        assert np.all(low[0, k - 1, above] == 0)


def test_nan_reaches_only_taps_that_read_it(xp):
    x = np.ones((1, 1, 8, 2))
    x[0, 0, 7, 0] = np.nan  # top bin, frame 0
    y = to_np(harmonic_lower(xp.asarray(x), n_harmonics=2, anchor=1))
    assert np.isnan(y[0, 0, 7, 0])  # k = 1 reads bin 7
    assert not np.isnan(y[0, 1]).any()  # k = 2 never reads bin 7 for F = 8 (2f <= 7 <=> f <= 3)
    assert not np.isnan(y[..., 1]).any()


def test_matches_torch_on_lowered_tensor(xp, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 6, 9, 11))
    w = rng.standard_normal((3, 2, 3, 3))
    b = rng.standard_normal(3)
    kw = dict(stride=(2, 2), padding=2, dilation=2, groups=3)
    y = to_np(harmonic_conv2d(xp.asarray(x), xp.asarray(w), xp.asarray(b), anchor=2, **kw))
    low = to_np(harmonic_lower(xp.asarray(x), n_harmonics=3, anchor=2))
    ref = torch.nn.functional.conv2d(
        torch.from_numpy(low),
        torch.from_numpy(w.reshape(3, 6, 1, 3)),
        torch.from_numpy(b),
        stride=(2, 2),
        padding=(0, 2),
        dilation=(1, 2),
        groups=3,
    ).numpy()
    assert rel_to_peak(y, ref) <= 1e-13


def test_non_contiguous_input(xp, rng):
    x = rng.standard_normal((2, 3, 7, 9))
    w = rng.standard_normal((2, 3, 2, 3))
    xt = xp.asarray(np.ascontiguousarray(x.transpose(0, 1, 3, 2))).transpose(0, 1, 3, 2)
    y1 = harmonic_conv2d(xt, xp.asarray(w), anchor=2, padding=1)
    y2 = harmonic_conv2d(xp.asarray(x), xp.asarray(w), anchor=2, padding=1)
    np.testing.assert_array_equal(to_np(y1), to_np(y2))


# ----------------------------------------------------------------------------- adjoints


@pytest.mark.parametrize("top_edge", EDGES)
def test_lowering_adjoint_dot_product(xp, rng, top_edge):
    for n_freq, k_f, anchor in [(1, 2, 1), (16, 3, 1), (17, 5, 2), (16, 5, 3), (9, 7, 7)]:
        x = rng.standard_normal((2, 3, n_freq, 4))
        g = rng.standard_normal((2, 3 * k_f, n_freq, 4))
        kw = dict(n_harmonics=k_f, anchor=anchor, top_edge=top_edge)
        lhs = np.vdot(to_np(harmonic_lower(xp.asarray(x), **kw)), g)
        gather = to_np(harmonic_lower_adjoint(xp.asarray(g), **kw))
        scatter = to_np(harmonic_lower_adjoint(xp.asarray(g), deterministic=False, **kw))
        rhs = np.vdot(x, gather)
        assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs))
        assert rel_to_peak(scatter, gather) <= 1e-14


@pytest.mark.parametrize("index", [0, 1, 2, 4, 7, 11])
def test_conv_adjoint_dot_product(xp, rng, index):
    cfg = CONFIGS[index]
    (x, w, _), (xd, wd, _) = _make(xp, rng, cfg, np.float64, bias=False)
    y = to_np(harmonic_conv2d(xd, wd, **_kw(cfg)))
    g = rng.standard_normal(y.shape)
    gx, gw, gb = harmonic_conv2d_backward(xp.asarray(g), xd, wd, **_kw(cfg))
    lhs = np.vdot(y, g)
    # Y is bilinear in (x, w): <Y, g> = <x, dY/dx^T g> = <w, dY/dw^T g>
    assert abs(lhs - np.vdot(x, to_np(gx))) <= 1e-12 * max(1.0, np.abs(y).sum() * np.abs(g).max())
    assert abs(lhs - np.vdot(w, to_np(gw))) <= 1e-12 * max(1.0, np.abs(y).sum() * np.abs(g).max())
    np.testing.assert_allclose(to_np(gb), g.sum(axis=(0, 2, 3)), rtol=1e-12)


@pytest.mark.parametrize("index", [3, 5, 9])
def test_backward_finite_differences(xp, rng, index):
    cfg = CONFIGS[index]
    (x, w, b), (xd, wd, bd) = _make(xp, rng, cfg, np.float64)
    kw = _kw(cfg)
    g = rng.standard_normal(to_np(harmonic_conv2d(xd, wd, bd, **kw)).shape)

    def loss(xv, wv, bv):
        y = harmonic_conv2d(xp.asarray(xv), xp.asarray(wv), xp.asarray(bv), **kw)
        return float(np.vdot(to_np(y), g))

    gx, gw, gb = (to_np(a) for a in harmonic_conv2d_backward(xp.asarray(g), xd, wd, **kw))
    eps = 1e-6
    for _ in range(2):
        vx, vw, vb = (
            rng.standard_normal(x.shape),
            rng.standard_normal(w.shape),
            rng.standard_normal(b.shape),
        )
        fd_x = (loss(x + eps * vx, w, b) - loss(x - eps * vx, w, b)) / (2 * eps)
        fd_w = (loss(x, w + eps * vw, b) - loss(x, w - eps * vw, b)) / (2 * eps)
        fd_b = (loss(x, w, b + eps * vb) - loss(x, w, b - eps * vb)) / (2 * eps)
        assert fd_x == pytest.approx(np.vdot(gx, vx), abs=1e-6)
        assert fd_w == pytest.approx(np.vdot(gw, vw), abs=1e-6)
        assert fd_b == pytest.approx(np.vdot(gb, vb), abs=1e-6)


def test_backward_float32_and_options(xp, rng):
    cfg = CONFIGS[4]
    (x, w, _), (xd, wd, _) = _make(xp, rng, cfg, np.float64, bias=False)
    g = rng.standard_normal(to_np(harmonic_conv2d(xd, wd, **_kw(cfg))).shape)
    ref = harmonic_conv2d_backward(xp.asarray(g), xd, wd, **_kw(cfg))
    x32, w32, g32 = (xp.asarray(a, dtype=xp.float32) for a in (x, w, g))
    out = harmonic_conv2d_backward(g32, x32, w32, needs_bias=False, deterministic=False, **_kw(cfg))
    assert out[2] is None
    for got, want in zip(out[:2], ref[:2], strict=True):
        assert got.dtype == np.float32
        assert rel_to_peak(got, want) <= 1e-5


# ----------------------------------------------------------------------------- bad input


def test_bad_input(xp):
    x = xp.zeros((1, 2, 8, 6))
    w = xp.zeros((2, 2, 3, 3))

    def conv(**kw):
        return harmonic_conv2d(kw.pop("x", x), kw.pop("w", w), kw.pop("b", None), **kw)

    for kw in [
        dict(anchor=0),
        dict(padding=(1, 0)),
        dict(dilation=(2, 1)),
        dict(stride=0),
        dict(padding=-1),
        dict(dilation=0),
        dict(top_edge="clamp"),
        dict(groups=2, w=xp.zeros((2, 1, 3, 3)), x=xp.zeros((1, 3, 8, 6))),
        dict(groups=2, w=xp.zeros((3, 1, 3, 3))),
        dict(groups=2),  # weight.shape[1] != C_in / groups
        dict(x=xp.zeros((2, 8, 6))),
        dict(w=xp.zeros((2, 2, 3))),
        dict(b=xp.zeros(3)),
        dict(x=xp.zeros((1, 2, 8, 2))),  # T' < 1
    ]:
        with pytest.raises(ParameterError):
            conv(**kw)
    for kw in [
        dict(anchor=2.0),
        dict(x=xp.zeros((1, 2, 8, 6), dtype=xp.int32)),
        dict(x=xp.zeros((1, 2, 8, 6), dtype=xp.float16)),
        dict(w=xp.zeros((2, 2, 3, 3), dtype=xp.float32)),
        dict(b=xp.zeros(2, dtype=xp.float32)),
    ]:
        with pytest.raises(TypeError):
            conv(**kw)
    with pytest.raises(ParameterError):
        harmonic_lower(x, n_harmonics=0)
    with pytest.raises(ParameterError):
        harmonic_lower(x, n_harmonics=2, anchor=0)
    with pytest.raises(TypeError):
        harmonic_lower(x, n_harmonics=2, anchor=1.5)
    with pytest.raises(ParameterError):
        harmonic_lower(x, n_harmonics=2, top_edge="reflect")
    with pytest.raises(ParameterError):
        harmonic_lower_adjoint(xp.zeros((1, 3, 8, 6)), n_harmonics=2)
    with pytest.raises(ParameterError):
        harmonic_conv2d_backward(xp.zeros((1, 2, 8, 5)), x, w)
    with pytest.raises(TypeError):
        harmonic_conv2d_backward(xp.zeros((1, 2, 8, 4), dtype=xp.float32), x, w)


def test_mixed_numpy_and_cupy_raise():
    cupy = pytest.importorskip("cupy")
    from tests.conftest import CUPY_USABLE

    if not CUPY_USABLE:
        pytest.skip("no usable CUDA GPU for CuPy")
    with pytest.raises(TypeError):
        harmonic_conv2d(np.zeros((1, 1, 4, 4)), cupy.zeros((1, 1, 2, 1)))


@pytest.mark.parametrize("index", [0, 3, 6, 8, 10, 13])
def test_row_blocks_skip_only_zero_harmonics(xp, rng, monkeypatch, index):
    # one output row per GEMM block: the blocks near the top skip the harmonics that are
    # zero there, and the CPU thread pool gets many blocks
    cfg = dict(CONFIGS[index], n_freq=13)
    (x, w, b), (xd, wd, bd) = _make(xp, rng, cfg, np.float64)
    y_ref = ref_conv(x, w, b, **_kw(cfg))
    g = rng.standard_normal(y_ref.shape)
    full = harmonic_conv2d_backward(xp.asarray(g), xd, wd, **_kw(cfg))
    module = "cuda" if xp.__name__ == "cupy" else "numba"
    monkeypatch.setattr(f"sigpu._kernels.harmonic_{module}.GEMM_BLOCK_COLUMNS", 1)
    assert rel_to_peak(harmonic_conv2d(xd, wd, bd, **_kw(cfg)), y_ref) <= 1e-12
    blocked = harmonic_conv2d_backward(xp.asarray(g), xd, wd, **_kw(cfg))
    for got, want in zip(blocked, full, strict=True):
        assert rel_to_peak(got, want) <= 1e-12


@pytest.mark.parametrize("index", [1, 8, 9, 10])
def test_blocks_of_several_items_match_the_loop_reference(xp, rng, monkeypatch, index):
    # small planes: one GEMM block holds the rows of a run (rows using the same harmonics) of
    # several consecutive items, and the backward finishes two items per task (five items,
    # so the last task holds one); every output item in place, both gradients adjoint to the
    # loop reference
    cfg = dict(CONFIGS[index], n_batch=5, n_freq=7)
    (x, w, b), (xd, wd, bd) = _make(xp, rng, cfg, np.float64)
    kw = _kw(cfg)
    y_ref = ref_conv(x, w, b, **kw)
    row_len = cfg["n_time"] + 2 * cfg["padding"]
    n_rows = (cfg["n_freq"] - 1) // cfg["stride"][0] + 1
    module = "cuda" if xp.__name__ == "cupy" else "numba"
    monkeypatch.setattr(
        f"sigpu._kernels.harmonic_{module}.GEMM_BLOCK_COLUMNS", 2 * n_rows * row_len
    )
    assert rel_to_peak(harmonic_conv2d(xd, wd, bd, **kw), y_ref) <= 1e-12
    g = rng.standard_normal(y_ref.shape)
    gx, gw, _ = (to_np(a) for a in harmonic_conv2d_backward(xp.asarray(g), xd, wd, **kw))
    dx, dw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    scale = max(1.0, np.abs(y_ref).sum() * np.abs(g).max())
    # <Y(dx, w), g> = <dx, grad_x> and <Y(x, dw), g> = <dw, grad_w> (Y bilinear)
    assert abs(np.vdot(ref_conv(dx, w, None, **kw), g) - np.vdot(dx, gx)) <= 1e-12 * scale
    assert abs(np.vdot(ref_conv(x, dw, None, **kw), g) - np.vdot(dw, gw)) <= 1e-12 * scale


def test_row_runs_cut_where_the_used_harmonics_change():
    from sigpu._harmonic_tables import row_runs

    # anchor 1, K_f = 7, F = 16: harmonic k reaches rows f with f*k <= 15, so the rows use
    # 7, 7, 7, 5, 3, 3, 2, 2 and then 1 harmonic(s)
    assert row_runs("linear", (16, 7, 1, "inclusive", 1)) == (
        (0, 3),
        (3, 4),
        (4, 6),
        (6, 8),
        (8, 16),
    )
    assert row_runs("linear", (16, 7, 7, "inclusive", 1)) == ((0, 16),)  # k <= anchor: all rows


# ----------------------------------------------------------------------------- log variant


def _log_kw(cfg, bins_per_octave):
    kw = _kw(cfg)
    kw.pop("top_edge")
    return dict(kw, bins_per_octave=bins_per_octave)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index, bins_per_octave", [(1, 12), (2, 7.5), (4, 3), (9, 5), (12, 24)])
def test_log_matches_loop_reference(xp, rng, index, bins_per_octave, dtype):
    cfg = dict(CONFIGS[index], n_freq=20)
    (x, w, b), (xd, wd, bd) = _make(xp, rng, cfg, dtype)
    kw = _log_kw(cfg, bins_per_octave)
    y = log_harmonic_conv2d(xd, wd, bd, **kw)
    ref = ref_conv(x, w, b, **kw)
    assert y.dtype == dtype
    assert rel_to_peak(y, ref) <= tol(dtype, 1e-5, 1e-12)


def test_log_octave_shift_is_exact(xp):
    # 12*log2(2) is 11.999999999999972 in floating point: harmonic 2 must still read x[f+12]
    x = np.arange(1.0, 25.0).reshape(1, 1, 24, 1)
    w = np.zeros((1, 1, 2, 1))
    w[0, 0, 1, 0] = 1
    y = to_np(log_harmonic_conv2d(xp.asarray(x), xp.asarray(w), bins_per_octave=12))[0, 0, :, 0]
    np.testing.assert_array_equal(y, np.concatenate([x[0, 0, 12:, 0], np.zeros(12)]))


@pytest.mark.parametrize("index", [3, 8, 10])
def test_log_backward_adjoint_and_finite_differences(xp, rng, index):
    cfg = dict(CONFIGS[index], n_freq=16)
    (x, w, b), (xd, wd, bd) = _make(xp, rng, cfg, np.float64)
    kw = _log_kw(cfg, 5.0)
    y = to_np(log_harmonic_conv2d(xd, wd, None, **kw))
    g = rng.standard_normal(y.shape)
    gx, gw, gb = (to_np(a) for a in log_harmonic_conv2d_backward(xp.asarray(g), xd, wd, **kw))
    scale = np.abs(y).sum() * np.abs(g).max()
    assert abs(np.vdot(y, g) - np.vdot(x, gx)) <= 1e-12 * scale
    assert abs(np.vdot(y, g) - np.vdot(w, gw)) <= 1e-12 * scale
    np.testing.assert_allclose(gb, g.sum(axis=(0, 2, 3)), rtol=1e-12)
    v = rng.standard_normal(x.shape)
    eps = 1e-6

    def loss(xv):
        out = log_harmonic_conv2d(xp.asarray(xv), wd, bd, **kw)
        return float(np.vdot(to_np(out), g))

    fd = (loss(x + eps * v) - loss(x - eps * v)) / (2 * eps)
    assert fd == pytest.approx(np.vdot(gx, v), abs=1e-6)


def test_log_bad_input(xp):
    x = xp.zeros((1, 2, 8, 6))
    w = xp.zeros((2, 2, 3, 3))
    for bad in (0, -12, float("nan")):
        with pytest.raises(ParameterError):
            log_harmonic_conv2d(x, w, bins_per_octave=bad)
    with pytest.raises(ParameterError):
        log_harmonic_conv2d(x, w, bins_per_octave=12, padding=(1, 1))


@pytest.mark.parametrize("index", [3, 8, 10])
def test_log_row_blocks_skip_zero_harmonics(xp, rng, monkeypatch, index):
    # anchor 3, 4 bins/octave: low rows lose the sub-harmonics, high rows the upper ones
    cfg = dict(CONFIGS[index], n_freq=14, anchor=3, k_f=5)
    (x, w, b), (xd, wd, bd) = _make(xp, rng, cfg, np.float64)
    kw = _log_kw(cfg, 4.0)
    y_ref = ref_conv(x, w, b, **kw)
    g = rng.standard_normal(y_ref.shape)
    full = log_harmonic_conv2d_backward(xp.asarray(g), xd, wd, **kw)
    module = "cuda" if xp.__name__ == "cupy" else "numba"
    monkeypatch.setattr(f"sigpu._kernels.harmonic_{module}.GEMM_BLOCK_COLUMNS", 1)
    assert rel_to_peak(log_harmonic_conv2d(xd, wd, bd, **kw), y_ref) <= 1e-12
    blocked = log_harmonic_conv2d_backward(xp.asarray(g), xd, wd, **kw)
    for got, want in zip(blocked, full, strict=True):
        assert rel_to_peak(got, want) <= 1e-12


def test_deterministic_adjoint_is_bit_reproducible(xp, rng):
    g = xp.asarray(rng.standard_normal((2, 12, 33, 16)), dtype=xp.float32)
    kw = dict(n_harmonics=4, anchor=3, top_edge="zero_ext")
    first = to_np(harmonic_lower_adjoint(g, **kw))
    for _ in range(3):
        np.testing.assert_array_equal(to_np(harmonic_lower_adjoint(g, **kw)), first)


def test_linear_in_x_and_w_and_bias_per_channel(xp, rng):
    cfg = CONFIGS[7]
    (x, w, b), (xd, wd, bd) = _make(xp, rng, cfg, np.float64)
    x2, w2 = xp.asarray(rng.standard_normal(x.shape)), xp.asarray(rng.standard_normal(w.shape))
    kw = _kw(cfg)
    y = to_np(harmonic_conv2d(xd, wd, **kw))
    assert (
        rel_to_peak(
            harmonic_conv2d(2 * xd - 3 * x2, wd, **kw),
            2 * y - 3 * to_np(harmonic_conv2d(x2, wd, **kw)),
        )
        <= 1e-13
    )
    assert (
        rel_to_peak(harmonic_conv2d(xd, wd + w2, **kw), y + to_np(harmonic_conv2d(xd, w2, **kw)))
        <= 1e-13
    )
    with_bias = to_np(harmonic_conv2d(xd, wd, bd, **kw))
    np.testing.assert_allclose(with_bias - y, np.broadcast_to(b[None, :, None, None], y.shape))


@pytest.mark.parametrize("index", [2, 5, 9])
def test_cpu_block_threads_give_the_serial_result(rng, monkeypatch, index):
    # the CPU runs GEMM blocks (forward) and batch items (backward) on a thread pool, each
    # thread lowering into its own buffer: bit for bit the result of one thread
    from sigpu._kernels import cpu_threads, harmonic_numba

    cfg = dict(CONFIGS[index], n_batch=5, n_freq=12)
    _, (x, w, b) = _make(np, rng, cfg, np.float32)
    gy = rng.standard_normal(harmonic_conv2d(x, w, **_kw(cfg)).shape).astype(np.float32)
    monkeypatch.setattr(harmonic_numba, "GEMM_BLOCK_COLUMNS", 1)
    results = []
    for workers in (1, 2):
        monkeypatch.setattr(cpu_threads, "WORKERS", workers)
        y = harmonic_conv2d(x, w, b, **_kw(cfg))
        results.append((y, *harmonic_conv2d_backward(gy, x, w, **_kw(cfg))))
    for serial, threaded in zip(*results, strict=True):
        np.testing.assert_array_equal(threaded, serial)


@pytest.mark.parametrize("deterministic", [True, False])
def test_adjoint_kernels_read_the_interior_of_padded_rows(xp, rng, deterministic):
    # the backward hands the transposed lowering time rows with `pad` columns each side
    from sigpu.harmonic import _adjoint

    g = xp.asarray(rng.standard_normal((2, 6, 9, 7 + 2 * 3)))
    params = (9, 3, 2, "inclusive", 1)
    padded = _adjoint(xp, g, "linear", params, deterministic, 1, 3)
    plain = _adjoint(xp, xp.ascontiguousarray(g[..., 3:-3]), "linear", params, deterministic, 1)
    if deterministic or xp is np:
        np.testing.assert_array_equal(to_np(padded), to_np(plain))
    else:  # the GPU's atomic scatter adds in a different order each run (last bits)
        np.testing.assert_allclose(to_np(padded), to_np(plain), rtol=1e-13, atol=1e-13)


# ---- byte order, alignment and dtype at the boundary (issue 16) ----


def _unaligned(a):
    """A copy of ``a`` at an odd byte offset (what a packed record or buffer gives)."""
    raw = np.zeros(a.nbytes + 1, dtype=np.uint8)[1:]
    out = np.frombuffer(raw.data, dtype=a.dtype).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned
    return out


def test_big_endian_and_unaligned_inputs_equal_native_ones():
    """numba compiles one specialisation per array type: a big-endian array raised a
    TypingError in harmonic_lower, and harmonic_lower_adjoint on '>f4' after a call with an
    unaligned array returned garbage.  Both are copied to native arrays at the boundary."""
    rng = np.random.default_rng(16)
    x = rng.standard_normal((2, 3, 17, 6)).astype(np.float32)
    g = rng.standard_normal((2, 6, 17, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 2, 3)).astype(np.float32)
    lowered = harmonic_lower(x, n_harmonics=2, anchor=2)
    adjoint = harmonic_lower_adjoint(g, n_harmonics=2, anchor=2)
    conv = harmonic_conv2d(x, w, padding=1)
    for variant in (_unaligned, lambda a: a.astype(">f4"), _unaligned, lambda a: a[::-1][::-1]):
        out = harmonic_lower(variant(x), n_harmonics=2, anchor=2)
        assert out.dtype == np.float32 and out.dtype.isnative
        np.testing.assert_array_equal(out, lowered)
        np.testing.assert_array_equal(
            harmonic_lower_adjoint(variant(g), n_harmonics=2, anchor=2), adjoint
        )
        np.testing.assert_array_equal(harmonic_conv2d(variant(x), variant(w), padding=1), conv)
    grads = harmonic_conv2d_backward(np.ones_like(conv), x, w, padding=1)
    grads_be = harmonic_conv2d_backward(
        np.ones_like(conv).astype(">f4"), x.astype(">f4"), _unaligned(w), padding=1
    )
    for a, b in zip(grads, grads_be, strict=True):
        np.testing.assert_array_equal(a, b)


def test_dtypes_are_compared_by_kind_and_size_not_byte_order():
    """'>f4' against float32 was rejected with "weight has dtype float32 but x has float32"."""
    x = np.ones((1, 2, 8, 4), dtype=np.float32)
    w = np.ones((1, 2, 2, 1), dtype=">f4")
    assert harmonic_conv2d(x, w).dtype == np.float32
    with pytest.raises(TypeError, match="weight has dtype float64 but x has float32"):
        harmonic_conv2d(x, w.astype(np.float64))
