"""Property tests (hypothesis) of the STFT family over random sizes, hops, windows and batches."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigpu import spectrum

from .helpers import tol

WINDOWS = ["hann", "hamming", "blackman", ("kaiser", 6.0), "triang"]


@st.composite
def stft_configs(draw):
    n_fft = draw(st.integers(4, 300))
    win_length = draw(st.integers(max(2, n_fft // 2), n_fft))
    # hop <= win_length // 2 keeps the squared-window sum well above zero (NOLA with margin)
    hop = draw(st.integers(1, max(1, win_length // 2)))
    window = draw(st.sampled_from(WINDOWS))
    n = draw(st.integers(n_fft, 4 * n_fft + 50))
    batch = draw(st.sampled_from([(), (2,), (2, 1)]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**31 - 1))
    return dict(
        n_fft=n_fft,
        win_length=win_length,
        hop=hop,
        window=window,
        n=n,
        batch=batch,
        dtype=dtype,
        seed=seed,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stft_configs())
def test_istft_inverts_stft_and_frame_count(cfg):
    y = np.random.default_rng(cfg["seed"]).standard_normal(cfg["batch"] + (cfg["n"],))
    y = y.astype(cfg["dtype"])
    kw = dict(
        n_fft=cfg["n_fft"],
        hop_length=cfg["hop"],
        win_length=cfg["win_length"],
        window=cfg["window"],
    )
    D = spectrum.stft(y, **kw)
    padded = cfg["n"] + 2 * (cfg["n_fft"] // 2)
    assert D.shape == cfg["batch"] + (
        1 + cfg["n_fft"] // 2,
        1 + (padded - cfg["n_fft"]) // cfg["hop"],
    )
    y_back = spectrum.istft(D, **kw, length=cfg["n"])
    assert y_back.shape == y.shape and y_back.dtype == y.dtype
    # Samples past the last frame's window support are not covered by any frame.
    covered = min(cfg["n"], (D.shape[-1] - 1) * cfg["hop"] + cfg["n_fft"] - cfg["n_fft"] // 2)
    err = np.abs(y_back[..., :covered].astype(np.float64) - y[..., :covered])
    # The spec's round-trip bound: 1e-5 of the peak (float32), 1e-12 (float64).
    assert err.max() <= tol(cfg["dtype"], 1e-5, 1e-12) * np.abs(y).max()


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 5000),
    st.integers(8, 512),
    st.sampled_from(["constant", "reflect", "edge"]),
)
def test_centered_frame_count_and_dtype(n, n_fft, pad_mode):
    y = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    hop = max(1, n_fft // 4)
    if pad_mode == "reflect" and n < 2:
        with pytest.raises(
            spectrum.ParameterError if hasattr(spectrum, "ParameterError") else ValueError
        ):
            spectrum.stft(y, n_fft=n_fft, pad_mode=pad_mode)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short-signal warning, tested elsewhere
        D = spectrum.stft(y, n_fft=n_fft, pad_mode=pad_mode)
    assert D.dtype == np.complex64
    assert D.shape == (1 + n_fft // 2, 1 + (n + 2 * (n_fft // 2) - n_fft) // hop)
    assert np.all(np.isfinite(D))
