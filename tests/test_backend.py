"""The backend layer: namespaces, errors, caches, lazy imports."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import sigpu
from sigpu import _backend, _cache, _validate
from sigpu._errors import ParameterError

from .helpers import to_np


def test_parameter_error_is_value_error():
    assert issubclass(sigpu.ParameterError, ValueError)
    assert sigpu.ParameterError is ParameterError


def test_import_sigpu_is_light():
    # numba and cupy load on first kernel use; scipy.signal (~1 s) on the first window that
    # is not a plain cosine window (hann, hamming, blackman, boxcar are built natively).
    code = (
        "import sys, sigpu; "
        "bad = [m for m in ('numba', 'cupy', 'scipy.signal') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_window_stft_does_not_import_scipy_signal():
    # the common cosine windows are built natively: no ~1 s scipy.signal import on the
    # first STFT with window="hann"
    code = (
        "import sys, numpy as np, sigpu; "
        "sigpu.stft(np.zeros(4096, np.float32), n_fft=512); "
        "sigpu.stft(np.zeros(4096), n_fft=256, window='hamming'); "
        "assert 'scipy.signal' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "name",
    [
        "hann",
        "han",
        "hamming",
        "hamm",
        "ham",
        "blackman",
        "black",
        "blk",
        "boxcar",
        "box",
        "ones",
        "rect",
        "rectangular",
    ],
)
def test_native_windows_equal_scipy(name):
    import scipy.signal

    from sigpu._window import periodic_window, symmetric_window

    for n in [*range(1, 70), 255, 256, 400, 511, 1024, 2048, 4095]:
        ref = scipy.signal.get_window(name, n, fftbins=True)
        # the same operations as scipy's general_cosine: equal to the last bit today; the
        # 1e-16 slack keeps a harmless change of scipy's arithmetic from failing CI
        np.testing.assert_allclose(periodic_window(name, n), ref, rtol=0, atol=1e-16)
        symmetric = scipy.signal.get_window(name, n, fftbins=False)  # chroma_cens smoothing
        np.testing.assert_allclose(symmetric_window(name, n), symmetric, rtol=0, atol=1e-16)


def test_array_namespace_rejects_lists_and_mixes(xp):
    with pytest.raises(TypeError, match="numpy.ndarray or cupy.ndarray"):
        _backend.array_namespace([1.0, 2.0], func="f")
    if xp is not np:
        with pytest.raises(TypeError, match="mixed"):
            _backend.array_namespace(np.zeros(3), xp.zeros(3))


def test_array_namespace_matches_input(xp):
    ns = _backend.array_namespace(xp.zeros(3), None)
    assert _backend.backend_name(ns) == xp.__name__


def test_frames_is_a_strided_view(xp):
    x = xp.arange(10, dtype=xp.float64).reshape(1, 10)
    f = _backend.frames(x, 4, 3)
    assert f.shape == (1, 3, 4)
    np.testing.assert_array_equal(
        np.asarray(f.get() if xp is not np else f)[0],
        [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]],
    )


@pytest.mark.parametrize("pad_mode", ["constant", "edge", "linear_ramp", "reflect", "symmetric"])
def test_centered_frames_equal_frames_of_the_padded_signal(xp, rng, pad_mode):
    """Padding only the ends gives the frames of the fully padded signal, bit for bit:
    frame lengths with hops shorter and longer than a frame, signals from shorter than a
    frame (the whole-pad fallback) to many frames, fewer frames than fit, a window."""
    cases = 0
    for length in (1, 2, 3, 8, 31, 256):
        for hop in (1, 3, 8, 100, 600):
            for n in (2, 5, 17, 257, 1500):
                pad = length // 2
                x_host = rng.standard_normal((2, n))
                padded = np.pad(x_host, ((0, 0), (pad, pad)), mode=pad_mode)
                if padded.shape[-1] < length:
                    continue
                fit = 1 + (padded.shape[-1] - length) // hop
                for n_frames in sorted({fit, max(1, fit - 2)}):
                    ref = _backend.frames(padded, length, hop)[..., :n_frames, :]
                    x = xp.asarray(x_host)
                    got = _backend.centered_frames(x, length, hop, n_frames, pad_mode)
                    assert got.flags.c_contiguous
                    np.testing.assert_array_equal(to_np(got), ref)
                    window = rng.standard_normal(length)
                    pieces = _backend.frame_pieces(x, length, hop, n_frames, pad_mode)
                    part = xp.empty((2, n_frames - n_frames // 3, length))
                    _backend.write_frames(part, pieces, n_frames // 3, xp.asarray(window))
                    np.testing.assert_array_equal(to_np(part), ref[:, n_frames // 3 :] * window)
                    cases += 1
    assert cases > 100


def test_host_table_is_cached_and_read_only():
    calls = []

    @_cache.host_table
    def build(n):
        calls.append(n)
        return np.arange(float(n))

    a, b = build(4), build(4)
    assert a is b and calls == [4]
    with pytest.raises(ValueError):
        a[0] = 1.0


def test_on_device_copies_once_per_dtype(xp):
    @_cache.host_table
    def build(n):
        return np.linspace(0.0, 1.0, n)

    host = build(5)
    ns = _backend.array_namespace(xp.zeros(1))
    one = _cache.on_device(host, ns, np.float32)
    assert one is _cache.on_device(host, ns, np.float32)
    assert one.dtype == np.float32
    assert _cache.on_device(host, ns, np.float64).dtype == np.float64


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3", None])
def test_positive_int_rejects(bad):
    with pytest.raises(ParameterError, match="hop_length=.* must be a positive integer"):
        _validate.positive_int(bad, "hop_length")


@pytest.mark.parametrize("dtype", ["int16", "bool", "float16", "complex64"])
def test_real_array_rejects_dtypes(dtype):
    with pytest.raises(TypeError, match="float32 or float64"):
        _validate.real_array(np.zeros(4, dtype=dtype), "y")


def test_real_array_rejects_0d():
    with pytest.raises(ParameterError, match="at least 1 dimension"):
        _validate.real_array(np.ones(()), "y")


def test_one_of_lists_choices():
    with pytest.raises(ParameterError, match="'a', 'b'"):
        _validate.one_of("c", "mode", ("a", "b"))


def test_is_real_and_is_int_refuse_bools():
    for value in (1, 1.5, np.float32(2), np.int64(3), -np.inf):
        assert _validate.is_real(value)
    for value in (True, np.bool_(False), "1", None, 1j, np.zeros(1)):
        assert not _validate.is_real(value)
    assert _validate.is_int(np.int8(1)) and not _validate.is_int(True) and not _validate.is_int(1.0)


@pytest.mark.parametrize("norm", [None, np.inf, -np.inf, 0, 1, 2.5, np.float32(2)])
def test_norm_order_accepts_librosa_norms(norm):
    expected = None if norm is None else float(norm)
    assert _validate.norm_order(norm) == expected
    assert _validate.norm_order("slaney", allow_slaney=True) == "slaney"


@pytest.mark.parametrize("norm", ["slaney", "l2", -1, np.nan, True, [2]])
def test_norm_order_rejects_with_the_callers_name(norm):
    with pytest.raises(ParameterError, match="mel_norm="):
        _validate.norm_order(norm, "mel_norm")


def test_stft_lengths_defaults_and_checks():
    assert _validate.stft_lengths(2048, None, None) == (2048, 2048, 512)
    assert _validate.stft_lengths(1024, 400, None) == (1024, 400, 100)
    assert _validate.stft_lengths(1024, 400, 7) == (1024, 400, 7)
    with pytest.raises(ParameterError, match="win_length=2049 must be <= n_fft=2048"):
        _validate.stft_lengths(2048, 2049, None)
    with pytest.raises(ParameterError, match="hop_length=0 must be a positive integer"):
        _validate.stft_lengths(2048, None, 0)
    with pytest.raises(ParameterError, match="hop_length=0"):  # win_length // 4 == 0
        _validate.stft_lengths(2, None, None)


def test_every_xp_name_exists_in_the_cupy_namespace():
    # CI has CuPy installed but no GPU: this catches a NumPy-only name used through ``xp``
    # (an AttributeError that would otherwise appear only on a GPU machine).
    import re
    from pathlib import Path

    cupy_ns = pytest.importorskip("array_api_compat.cupy")
    numpy_ns = pytest.importorskip("array_api_compat.numpy")
    package = Path(sigpu.__file__).parent
    names = set()
    for source in package.rglob("*.py"):
        names.update(re.findall(r"\bxp\.([A-Za-z_]\w*)", source.read_text()))
    assert len(names) > 20
    assert sorted(n for n in names if not hasattr(cupy_ns, n)) == []
    assert sorted(n for n in names if not hasattr(numpy_ns, n)) == []


def test_every_kernel_the_library_calls_exists_on_both_backends():
    """Each ``kernel(xp, "topic.func")`` (and ``kernel_constant(xp, "topic.NAME")``) in the
    package names a function (or an imported name, or a constant) of both
    ``topic_numba.py`` and ``topic_cuda.py``: read from the sources, so the CUDA side is
    checked without CuPy."""
    import ast
    import re
    from pathlib import Path

    package = Path(sigpu.__file__).parent
    calls = set()
    for path in package.rglob("*.py"):
        pattern = r'kernel(?:_constant)?\(\s*xp\s*,\s*"(\w+)\.(\w+)"\s*\)'
        calls |= set(re.findall(pattern, path.read_text()))
    calls.discard(("topic", "func"))  # the contract's own docstrings
    assert len(calls) >= 15

    def top_level_names(path):
        names = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.ImportFrom):
                names |= {alias.asname or alias.name for alias in node.names}
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):  # constants, e.g. block sizes
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
        return names

    missing = []
    for topic, func in sorted(calls):
        for suffix in ("numba", "cuda"):
            if func not in top_level_names(package / "_kernels" / f"{topic}_{suffix}.py"):
                missing.append(f"{topic}_{suffix}.{func}")
    assert not missing, missing


def test_kernel_returns_kernels_and_kernel_constant_constants():
    """``kernel`` hands out callables only; a tuning constant comes from ``kernel_constant``."""
    from sigpu._kernels import harmonic_numba

    assert callable(_backend.kernel(np, "harmonic.shift_add"))
    block = _backend.kernel_constant(np, "harmonic.GEMM_BLOCK_COLUMNS")
    assert block == harmonic_numba.GEMM_BLOCK_COLUMNS
    with pytest.raises(TypeError, match="kernel_constant"):
        _backend.kernel(np, "harmonic.GEMM_BLOCK_COLUMNS")


def test_cpu_pool_nested_use_runs_in_the_calling_block():
    """A block that uses the pool again runs those items in its own thread, in order:
    waiting for the pool from inside it could deadlock once every pool thread holds an
    outer block."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sigpu._kernels import cpu_threads

    def outer(i):
        inner = cpu_threads.run_blocks(lambda j: (j, threading.get_ident()), range(3))
        return threading.get_ident(), _backend.on_block_thread(), inner

    watchdog = ThreadPoolExecutor(1)  # a deadlock fails the test instead of hanging it
    try:
        results = watchdog.submit(cpu_threads.run_blocks, outer, range(1)).result(timeout=60)
    finally:
        watchdog.shutdown(wait=False)
    for ident, on_pool, inner in results:
        assert on_pool
        assert inner == [(j, ident) for j in range(3)]
