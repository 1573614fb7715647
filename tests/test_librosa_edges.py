"""librosa 0.11's behaviour at the edges (issue 21), with librosa itself as the reference:
scalars and array-likes in the dB conversions, preallocated ``out=`` buffers for
stft/istft, windows whose overlap-add envelope has zeros (NOLA violated), CQT/VQT/icqt/
griffinlim_cqt on signals shorter than the longest filter, and ``res_type=None``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sigpu

from .helpers import to_np, tol

librosa = pytest.importorskip("librosa")

SR = 22050


def _quiet(func, *args, **kwargs):
    """A librosa reference call with its UserWarnings (short signals) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return func(*args, **kwargs)


def _is_library(a, xp) -> bool:
    return type(a) is type(xp.zeros(0))


# ---------------------------------------------------------------- scalars and array-likes

DB_FUNCS = ["power_to_db", "amplitude_to_db", "db_to_power", "db_to_amplitude"]
# values librosa accepts (db_to_power refuses lists and tuples in librosa: tested apart)
SCALARS = [1.0, 10, -3, 0, True, np.float64(2.5), np.int64(3), np.int16(7), np.array(4.0)]
SEQUENCES = [[1.0, 10.0, 1e-12, 0.0], (1, 100), [[1, 1e-9], [1e-3, 1e-12]], np.arange(5)]


@pytest.mark.parametrize("name", DB_FUNCS)
@pytest.mark.parametrize("value", SCALARS, ids=repr)
def test_db_conversions_take_scalars_like_librosa(name, value):
    got = getattr(sigpu, name)(value)
    want = getattr(librosa, name)(value)
    # a NumPy scalar, not an array: the type librosa returns, the same float64 value
    assert type(got) is type(want) is np.float64
    np.testing.assert_allclose(got, want, rtol=1e-15)


@pytest.mark.parametrize("name", DB_FUNCS)
@pytest.mark.parametrize("value", SEQUENCES, ids=repr)
@pytest.mark.parametrize("kwargs", [{}, {"top_db": None}, {"ref": np.max}])
def test_db_conversions_take_sequences_like_librosa(name, value, kwargs):
    if name.startswith("db_to"):
        kwargs = {"ref": 2.0} if kwargs.get("ref") is np.max else {}
        want = getattr(librosa, name)(np.asarray(value), **kwargs)  # librosa: arrays only
    else:
        want = getattr(librosa, name)(value, **kwargs)
    got = getattr(sigpu, name)(value, **kwargs)
    assert isinstance(got, np.ndarray) and got.dtype == want.dtype == np.float64
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-12)


def test_db_complex_scalar_warns_and_takes_the_magnitude():
    for name in ("power_to_db", "amplitude_to_db"):
        with pytest.warns(UserWarning, match="phase information will be discarded"):
            want = getattr(librosa, name)(3 + 4j)
        with pytest.warns(UserWarning, match="phase information will be discarded"):
            got = getattr(sigpu, name)(3 + 4j)
        assert type(got) is np.float64 and got == pytest.approx(want, rel=1e-15)


def test_db_float32_scalars_keep_float32():
    # librosa's db_to_* keep float32 scalars; its *_to_db promote them to float64 (NumPy
    # scalar arithmetic): sigpu keeps float32 there too (documented difference)
    for name in DB_FUNCS:
        got = getattr(sigpu, name)(np.float32(2.0))
        want = getattr(librosa, name)(np.float32(2.0))
        assert type(got) is np.float32
        assert got == pytest.approx(float(want), rel=1e-6)


@pytest.mark.parametrize("name", DB_FUNCS)
@pytest.mark.parametrize("dtype", ["int32", "bool", "float32", "float64"])
def test_db_conversions_arrays_keep_library(xp, name, dtype):
    host = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    got = getattr(sigpu, name)(xp.asarray(host))
    # librosa's amplitude_to_db squares bools in place and fails: compare with 0/1 floats
    want = getattr(librosa, name)(host.astype(float) if dtype == "bool" else host)
    assert _is_library(got, xp)
    # integers and bools are computed in float64, as librosa's results are
    assert got.dtype == (np.float32 if dtype == "float32" else np.float64) == want.dtype
    np.testing.assert_allclose(to_np(got), want, rtol=tol(got.dtype, 2e-6, 1e-14), atol=1e-5)
    zero_d = getattr(sigpu, name)(xp.asarray(host[0, 1]))
    # a 0-d CuPy array stays on the device; NumPy's becomes a scalar, as librosa's
    assert zero_d.shape == () and (xp is np) == isinstance(zero_d, np.generic)


def test_db_conversions_refuse_what_is_not_a_number():
    for name in DB_FUNCS:
        for bad in ("loud", [[1.0], [1.0, 2.0]], None, {"a": 1}):
            with pytest.raises(TypeError, match="S"):
                getattr(sigpu, name)(bad)
    for name in ("db_to_power", "db_to_amplitude"):
        with pytest.raises(TypeError, match="decibels must be real"):
            getattr(sigpu, name)([1j])
