"""Every CUDA kernel instantiation runs on the CPU emulation and matches its numba twin.

The ``.cu`` kernels are driven directly through ``tests.emulation.cuda_emu`` on NumPy
arrays, with the argument packing of the ``*_cuda.py`` launchers (the launchers themselves
run in the ``xp=cupy`` tests on the emulated CuPy).  References are the numba kernels of
the same contract: bitwise equal where both add in the same order, within a rigorous
summation bound where float atomics reorder sums.  Then: shuffled schedules, random
configurations, the double-atomic fallback of old GPUs, every instantiation under
AddressSanitizer + UBSan, and negative controls showing that each check of the emulator
fires.  Runs wherever g++ exists; no GPU is involved.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.emulation import cuda_emu

if not cuda_emu.compiler_available():
    pytest.skip(
        f"{cuda_emu.COMPILER} not found: the CUDA emulation compiles the .cu files with it",
        allow_module_level=True,
    )

from sigpu._harmonic_tables import adjoint_table, tables  # noqa: E402
from sigpu._kernels import (  # noqa: E402
    KERNEL_DIR,
    cqt_numba,
    cuda_sources,
    harmonic_numba,
    name_expressions,
    ola_numba,
    reassign_numba,
)
from sigpu._reassign_linear import filter_lines, n_freq_bins, n_time_bins  # noqa: E402
from tests.emulation.cuda_emu import EmuError, EmuModule  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NVRTC_OPTIONS = ("-std=c++17",)  # what sigpu/_kernels/_cuda_common.py compiles with
CAS_FALLBACK = (*NVRTC_OPTIONS, "-DSIGPU_ATOMIC_ADD_CAS")  # old GPUs' double atomicAdd
THREADS = 256  # the launchers' block size
GATE_TILE = 16 * THREADS  # reassign_cuda._TILE: samples per gate_scatter block
MAX_STRIDE_BLOCKS = 65535 * 4  # reassign_cuda._MAX_BLOCKS: cap of the grid-stride kernels
RNG = np.random.default_rng


# ---- loading and launching -----------------------------------------------------------


def kernel_source(filename: str) -> str:
    return (KERNEL_DIR / filename).read_text()


@functools.cache
def module(filename: str, options: tuple[str, ...] = NVRTC_OPTIONS) -> EmuModule:
    return EmuModule(kernel_source(filename), options, filename=filename)


def mutant(filename: str, old: str, new: str, *, last=False) -> str:
    """The kernel source with ``old`` (which must be there) replaced by ``new``."""
    code = kernel_source(filename)
    assert old in code, f"{filename} changed: update the mutant that replaces {old!r}"
    head, _, tail = code.rpartition(old) if last else code.partition(old)
    return head + new + tail


def off_by_one_ola() -> str:
    """overlap_add whose bound lets the thread one past the end write out[total]."""
    return mutant(
        "ola.cu", "if (idx >= batch * length) return;", "if (idx > batch * length) return;"
    )


def gate_scatter_without_flush_barrier() -> str:
    return mutant(
        "reassign.cu", "  __syncthreads();\n  if (use_shared) {", "  if (use_shared) {", last=True
    )


def harmonic_with_doubling_cas() -> str:
    """harmonic.cu whose CAS fallback (only) adds twice the value."""
    return mutant("harmonic.cu", "const double sum = value + ", "const double sum = 2 * value + ")


def atomic_add_helper(filename: str) -> str:
    """The ``atomic_add(double*, double)`` definition of a .cu file, fallback included."""
    code = kernel_source(filename)
    start = code.index("__device__ __forceinline__ double atomic_add(")
    return code[start : code.index("#endif\n}\n", start) + len("#endif\n}\n")]


def hammer_source() -> str:
    """reassign.cu's atomic_add helper and a kernel adding 1.0 from every thread."""
    return atomic_add_helper("reassign.cu") + HAMMER


def builds(sanitized: bool):
    """(source, options, filename) of every library this file loads, plain or sanitized."""
    if sanitized:  # what the two sanitizer tests replay
        return [(kernel_source(f), NVRTC_OPTIONS, f) for f in TESTED] + [
            (kernel_source("reassign.cu"), CAS_FALLBACK, "reassign.cu"),
            (off_by_one_ola(), NVRTC_OPTIONS, "ola_off_by_one.cu"),
        ]
    return [(kernel_source(f), NVRTC_OPTIONS, f) for f in TESTED] + [
        (kernel_source("harmonic.cu"), CAS_FALLBACK, "harmonic.cu"),
        (kernel_source("reassign.cu"), CAS_FALLBACK, "reassign.cu"),
        (BARRIERS, (), "barriers.cu"),
        (gate_scatter_without_flush_barrier(), NVRTC_OPTIONS, "missing_barrier.cu"),
        (harmonic_with_doubling_cas(), CAS_FALLBACK, "doubling_cas.cu"),
        (hammer_source(), CAS_FALLBACK, "hammer.cu"),
    ]


@pytest.fixture(scope="module", autouse=True)
def prebuilt():
    """Build every library of this file at once, one compiler per core (each takes seconds
    when the cache is cold); the tests then load them from the cache."""
    jobs = [(*b, False) for b in builds(False)]
    if libasan():
        jobs += [(*b, True) for b in builds(True)]
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        done = [
            pool.submit(cuda_emu.build_library, code, options, sanitize=sanitize, filename=name)
            for code, options, name, sanitize in jobs
        ]
        for future in done:
            future.result()


def ctype(dtype) -> str:
    return "float" if np.dtype(dtype) in (np.float32, np.complex64) else "double"


def blocks_for(n: int, threads: int = THREADS) -> int:
    return max(1, -(-int(n) // threads))


def i64(*values):
    return [np.int64(v) for v in values]


def f64(*values):
    return [np.float64(v) for v in values]


# Launches recorded while ``recording()`` is active: (file, options, name, grid, block,
# arguments before the launch, arguments after), for the sanitizer run in a subprocess.
_RECORD: list | None = None


@contextlib.contextmanager
def recording():
    global _RECORD
    _RECORD = []
    try:
        yield _RECORD
    finally:
        _RECORD = None


def launch(filename, name, n_blocks, threads, args, *, options=NVRTC_OPTIONS, **schedule):
    """One 1-D launch, as the launchers make them (``schedule``: seed=, workers=)."""
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    grid, block = (int(n_blocks),), (int(threads),)
    module(filename, options).get_function(name)(grid, block, args, **schedule)
    if _RECORD is not None:
        _RECORD.append((filename, options, name, grid, block, before, list(args)))


def nan_filled(shape, dtype):
    """An output buffer whose unwritten elements cannot pass a comparison."""
    return np.full(shape, np.nan, dtype=dtype)


# The launchers of sigpu/_kernels/*_cuda.py, on NumPy arrays.  ``threads`` and ``grid``
# vary the configuration, which the kernels must not depend on.


def emu_overlap_add(frames, window, hop, start, length, *, threads=THREADS, **kw):
    batch, n_frames, n_fft = frames.shape
    out = nan_filled((batch, length), frames.dtype)
    args = (frames, window, out, *i64(batch, n_frames, n_fft, hop, start, length))
    name = f"overlap_add<{ctype(frames.dtype)}>"
    launch("ola.cu", name, blocks_for(out.size, threads), threads, args, **kw)
    return out


def emu_decimate2(x, odd_taps, centre, *, threads=THREADS, **kw):
    batch, n = x.shape
    n_out = (n + 1) // 2
    out = nan_filled((batch, n_out), x.dtype)
    args = (x, odd_taps, x.dtype.type(centre), out, *i64(batch, n, n_out, odd_taps.shape[0]))
    name = f"decimate2<{ctype(x.dtype)}>"
    launch("cqt.cu", name, blocks_for(out.size, threads), threads, args, **kw)
    return out


def emu_lower(x, lo, hi, w_lo, w_hi, pad, tail, groups, *, threads=THREADS, **kw):
    n_batch, n_chan, n_freq, n_time = x.shape
    n_harm, n_out = lo.shape
    size = n_batch * n_chan * n_harm * n_out * (n_time + 2 * pad)
    out = nan_filled(size + tail, x.dtype)
    out[size:] = 0
    sizes = i64(n_batch, n_chan, n_harm, n_freq, n_time, n_out, pad, groups)
    name = f"harmonic_lower<{ctype(x.dtype)}>"
    if size:
        args = (x, lo, hi, w_lo, w_hi, out, *sizes)
        launch("harmonic.cu", name, blocks_for(size, threads), threads, args, **kw)
    return out


def interior(g, pad):
    return np.ascontiguousarray(g[..., pad : g.shape[3] - pad] if pad else g)


def emu_lower_adjoint(g, csr, n_harm, n_freq, groups, pad, *, threads=THREADS, **kw):
    g = interior(g, pad)
    n_batch, n_ck, n_out, n_time = g.shape
    n_chan = n_ck // n_harm
    out = nan_filled((n_batch, n_chan, n_freq, n_time), g.dtype)
    sizes = i64(n_batch, n_chan, n_harm, n_freq, n_time, n_out, groups)
    name = f"harmonic_lower_adjoint_gather<{ctype(g.dtype)}>"
    if out.size:
        args = (g, *csr, out, *sizes)
        launch("harmonic.cu", name, blocks_for(out.size, threads), threads, args, **kw)
    return out


def emu_lower_adjoint_scatter(g, tabs, n_freq, groups, pad, *, threads=THREADS, **kw):
    g = interior(g, pad)
    n_batch, n_ck, n_out, n_time = g.shape
    n_harm = tabs[0].shape[0]
    out = np.zeros((n_batch, n_ck // n_harm, n_freq, n_time), g.dtype)
    sizes = i64(n_batch, n_ck // n_harm, n_harm, n_freq, n_time, n_out, groups)
    name = f"harmonic_lower_adjoint_scatter<{ctype(g.dtype)}>"
    if g.size:
        args = (g, *tabs, out, *sizes)
        launch("harmonic.cu", name, blocks_for(g.size, threads), threads, args, **kw)
    return out


def stride_blocks(n, threads):
    """Blocks of a grid-stride kernel (reassign_cuda._grid)."""
    return min(blocks_for(n, threads), MAX_STRIDE_BLOCKS)


def emu_modulate(spectrum, f0, sig, *, threads=THREADS, n_blocks=None, **kw):
    n_chan, n = spectrum.shape
    n_lines = len(f0)
    out = nan_filled((2, n_lines, n_chan, 1, n), spectrum.dtype)
    cutoff = np.float64(reassign_numba.CUTOFF_SIGMAS)
    args = (spectrum, f0, sig, out, *i64(n_lines, n_chan, n), cutoff)
    n_blocks = n_blocks or stride_blocks(n_lines * n_chan * n, threads)
    launch("reassign.cu", f"modulate<{ctype(spectrum.dtype)}>", n_blocks, threads, args, **kw)
    return out


def histogram_shape(n_chan, n, grid):
    tdeci, noct, minf, maxf = grid
    return (n_chan, n_freq_bins(noct, minf, maxf), n_time_bins(n, tdeci))


def emu_gate_scatter(filtered, f0, sig, grid, *, threads=THREADS, tile=GATE_TILE, **kw):
    _, n_lines, n_chan, _, n = filtered.shape
    shape = histogram_shape(n_chan, n, grid)
    energy, counts = np.zeros(shape), np.zeros(shape, np.int64)
    sizes = i64(n_lines, n_chan, n, *shape[1:])
    args = (filtered, f0, sig, *f64(*grid), *sizes, np.int64(tile), energy, counts)
    n_blocks = n_lines * n_chan * -(-n // tile)
    launch("reassign.cu", f"gate_scatter<{ctype(filtered.dtype)}>", n_blocks, threads, args, **kw)
    return energy, counts


def emu_gate_sorted(filtered, f0, sig, grid, *, threads=THREADS, n_blocks=(None, None), **kw):
    """The deterministic path: gate_keys, a stable sort, segment_sums over run starts
    found without a device->host copy (one thread per point, most of them idle)."""
    _, n_lines, n_chan, _, n = filtered.shape
    shape = histogram_shape(n_chan, n, grid)
    energy, counts = np.zeros(shape), np.zeros(shape, np.int64)
    total = n_lines * n_chan * n
    dropped = np.prod(shape)  # the key of a dropped point: one that was never written counts
    keys, values = np.full(total, dropped, np.int64), nan_filled(total, np.float64)
    args = (filtered, f0, sig, *f64(*grid), *i64(n_lines, n_chan, n, *shape[1:]), keys, values)
    blocks = n_blocks[0] or stride_blocks(total, threads)
    launch("reassign.cu", f"gate_keys<{ctype(filtered.dtype)}>", blocks, threads, args, **kw)
    order = np.argsort(keys, kind="stable")  # CuPy's argsort is stable too (thrust)
    keys, values = keys[order], values[order]
    change = np.empty(total, bool)
    change[0] = True
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    # run k's first point at starts[k], the unused tail at total (an empty run); every
    # other point lands on the spare slot starts[total], which CuPy's scatter leaves holding
    # any of them: 0 here, not NumPy's last one
    run = np.cumsum(change) - 1
    starts = np.full(total + 1, total, np.int64)
    starts[np.where(change, run, total)] = np.arange(total)
    starts[total] = 0
    args = (keys, values, starts, *i64(total, total, dropped), energy, counts)
    blocks = n_blocks[1] or stride_blocks(total, threads)
    launch("reassign.cu", "segment_sums<double>", blocks, threads, args, **kw)
    return energy, counts


# ---- comparisons ---------------------------------------------------------------------


def assert_same(got, want):
    """Bitwise equal (same operations in the same order on both sides)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want, strict=True)


def assert_sum_reordered(got, want, magnitude, n_terms):
    """Equal up to the order of a float sum: two orders of ``n`` terms differ by at most
    ``2 (n - 1) eps sum|term|`` (``magnitude``: the same sums over absolute values)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.isfinite(got).all() and np.isfinite(want).all()
    bound = 2 * max(n_terms - 1, 1) * np.finfo(got.dtype).eps * magnitude
    excess = np.abs(got.astype(np.float64) - want) - bound
    assert excess.max(initial=0) <= 0, f"beyond the reordering bound by {excess.max():.3g}"


@contextlib.contextmanager
def launches_of(*names):
    """Fails unless each named instantiation was launched inside the block."""
    before = {name: cuda_emu.LAUNCHES[name] for name in names}
    yield
    missing = [name for name in names if cuda_emu.LAUNCHES[name] == before[name]]
    assert not missing, f"not launched: {missing}"


def both(name):
    return [f"{name}<float>", f"{name}<double>"]


DTYPES = [np.float32, np.float64]
COMPLEX = {np.float32: np.complex64, np.float64: np.complex128}

# Instantiations each kernel test below launches (it asserts so through ``launches_of``);
# test_every_instantiation_is_tested checks that together they are every one declared.
TESTED = {
    "ola.cu": both("overlap_add"),
    "cqt.cu": both("decimate2"),
    "harmonic.cu": both("harmonic_lower")
    + both("harmonic_lower_adjoint_gather")
    + both("harmonic_lower_adjoint_scatter"),
    "reassign.cu": both("modulate")
    + both("gate_scatter")
    + both("gate_keys")
    + ["segment_sums<double>"],
    "phase.cu": both("accumulate_rounded"),
}


def test_every_instantiation_is_tested():
    declared = {(s.name, n) for s in cuda_sources() for n in name_expressions(s)}
    tested = {(f, n) for f, names in TESTED.items() for n in names}
    assert declared == tested, (
        f"declared but untested: {sorted(declared - tested)}; "
        f"tested but not declared: {sorted(tested - declared)}"
    )


# ---- phase.cu -------------------------------------------------------------------------


def emu_accumulate_rounded(start, increment, *, threads=THREADS, **kw):
    """phase_cuda's launch: ``start (rows,)``, ``increment (n_steps - 1, rows)`` float64."""
    rows, n_steps = start.shape[0], increment.shape[0] + 1
    out = nan_filled((n_steps, rows), start.dtype)
    args = (start, increment, out, *i64(rows, n_steps))
    name = f"accumulate_rounded<{ctype(start.dtype)}>"
    launch("phase.cu", name, blocks_for(rows, threads), threads, args, **kw)
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("threads", [32, THREADS])
def test_accumulate_rounded(dtype, threads):
    rng = RNG(3)
    rows, n_steps = 37, 50
    start = (np.pi * rng.uniform(-1, 1, rows)).astype(dtype)
    increment = rng.uniform(-4, 4, (n_steps - 1, rows))  # float64, as the launcher passes
    with launches_of(f"accumulate_rounded<{ctype(dtype)}>"):
        got = emu_accumulate_rounded(start, increment, threads=threads)
    # the spec: NumPy's in-place ``acc += increment`` on an accumulator of the input's
    # precision (librosa's phase_vocoder), one step at a time
    acc = start.copy()
    want = [acc.copy()]
    for step in increment:
        acc += step
        want.append(acc.copy())
    assert_same(got, np.stack(want))


# ---- ola.cu --------------------------------------------------------------------------

OLA_CASES = [  # n_fft, hop, start, length
    (64, 16, 0, 200),
    (64, 16, 32, 150),
    (65, 64, 0, 700),  # output past the end of the overlap-add signal
    (64, 70, 5, 500),  # hop > n_fft: gaps
    (32, 8, 16, 10),
    (16, 4, 0, 1),
]


def ola_case(dtype, n_fft, hop, seed=0):
    rng = RNG(seed)
    frames = rng.standard_normal((3, 9, n_fft)).astype(dtype)
    return frames, rng.random(n_fft).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", OLA_CASES, ids=str)
def test_overlap_add(dtype, case):
    n_fft, hop, start, length = case
    frames, window = ola_case(dtype, n_fft, hop)
    with launches_of(f"overlap_add<{ctype(dtype)}>"):
        got = emu_overlap_add(frames, window, hop, start, length)
    assert_same(got, ola_numba.overlap_add(frames, window, hop, start, length))


# ---- cqt.cu --------------------------------------------------------------------------

DECIMATE_CASES = [(1, 3), (2, 1), (7, 5), (100, 12), (1001, 40), (30, 40)]  # n, taps


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", DECIMATE_CASES, ids=str)
def test_decimate2(dtype, case):
    n, n_taps = case
    rng = RNG(1)
    x = rng.standard_normal((4, n)).astype(dtype)
    taps = (0.1 * rng.standard_normal(n_taps)).astype(dtype)
    with launches_of(f"decimate2<{ctype(dtype)}>"):
        got = emu_decimate2(x, taps, 0.5)
    assert_same(got, cqt_numba.decimate2(x, taps, 0.5))


# ---- harmonic.cu ---------------------------------------------------------------------

HARMONIC_CASES = [  # kind, table parameters, pad, stack groups, channels
    ("linear", (20, 4, 1, "inclusive", 1), 0, 0, 3),
    ("linear", (21, 3, 2, "hl_repo", 1), 2, 0, 3),
    ("linear", (16, 5, 3, "zero_ext", 2), 1, 3, 3),
    ("linear", (9, 2, 1, "inclusive", 1), 0, 1, 2),
    ("log", (24, 4, 2, 12.0, 1), 1, 2, 4),
]


class HarmonicCase:
    """Input, tables (in the launchers' dtypes) and a lowered-shape gradient."""

    def __init__(self, dtype, kind, params, pad, groups, n_chan, n_time=11, n_batch=2, seed=0):
        rng = RNG(seed)
        self.pad, self.groups, self.n_freq = pad, groups, params[0]
        lo, hi, w_lo, w_hi = tables(kind, params)
        self.tabs = (lo, hi, w_lo.astype(dtype), w_hi.astype(dtype))
        indptr, src_k, src_f, weight = adjoint_table(kind, params)
        self.csr = (indptr, src_k, src_f, weight.astype(dtype))
        self.n_harm, n_out = lo.shape
        self.x = rng.standard_normal((n_batch, n_chan, self.n_freq, n_time)).astype(dtype)
        g_shape = (n_batch, n_chan * self.n_harm, n_out, n_time + 2 * pad)
        self.g = rng.standard_normal(g_shape).astype(dtype)

    def scatter_magnitude(self):
        """The scatter's sums over absolute values (for the reordering bound)."""
        lo, hi, w_lo, w_hi = self.tabs
        return harmonic_numba.lower_adjoint_scatter(
            np.abs(self.g), lo, hi, np.abs(w_lo), np.abs(w_hi), self.n_freq, self.groups, self.pad
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", HARMONIC_CASES, ids=str)
def test_harmonic_lower_and_gather(dtype, case):
    h = HarmonicCase(dtype, *case)
    with launches_of(f"harmonic_lower<{ctype(dtype)}>"):
        got = emu_lower(h.x, *h.tabs, h.pad, 5, h.groups)
    assert_same(got, harmonic_numba.lower(h.x, *h.tabs, h.pad, 5, h.groups))
    with launches_of(f"harmonic_lower_adjoint_gather<{ctype(dtype)}>"):
        got = emu_lower_adjoint(h.g, h.csr, h.n_harm, h.n_freq, h.groups, h.pad)
    want = harmonic_numba.lower_adjoint(h.g, *h.csr, h.n_harm, h.n_freq, h.groups, h.pad)
    assert_same(got, want)


@pytest.mark.parametrize("options", [NVRTC_OPTIONS, CAS_FALLBACK], ids=["native", "cas"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", HARMONIC_CASES, ids=str)
def test_harmonic_lower_adjoint_scatter(dtype, case, options):
    """Float atomics: any order of the same sums (``cas``: the sm_50 double fallback)."""
    h = HarmonicCase(dtype, *case)
    with launches_of(f"harmonic_lower_adjoint_scatter<{ctype(dtype)}>"):
        got = emu_lower_adjoint_scatter(h.g, h.tabs, h.n_freq, h.groups, h.pad, options=options)
    want = harmonic_numba.lower_adjoint_scatter(h.g, *h.tabs, h.n_freq, h.groups, h.pad)
    assert_sum_reordered(got, want, h.scatter_magnitude(), 2 * h.g.shape[1] * h.g.shape[2])


# ---- reassign.cu ---------------------------------------------------------------------

REASSIGN_CASES = {  # n, channels, grid (tdeci, noct, minf, maxf), lines kept (every k-th)
    "short": (1200, 2, (4, 12, 0.01, 0.45), 4),
    "tiles-fine": (9000, 2, (1, 12, 0.003, 0.45), 8),  # large boxes: global atomics
    "tiles-coarse": (9000, 1, (16, 12, 0.003, 0.45), 8),  # small boxes: shared memory
}


@functools.cache
def reassign_input(case: str, dtype):
    """Signal spectrum, lines, and the unfolded filtered spectra after the inverse FFT."""
    n, n_chan, grid, every = REASSIGN_CASES[case]
    rng = RNG(3)
    x = rng.standard_normal((n_chan, n)).astype(dtype)
    spectrum = np.fft.fft(x, axis=-1).astype(COMPLEX[dtype])
    tdeci, noct, minf, maxf = grid
    f0, sig = filter_lines(2.0, 2, noct, minf, n_freq_bins(noct, minf, maxf))
    f0, sig = f0[::every].copy(), sig[::every].copy()
    filtered = np.fft.ifft(emu_modulate(spectrum, f0, sig), axis=-1).astype(COMPLEX[dtype])
    return spectrum, f0, sig, filtered, grid


def modulate_literal(spectrum, f0, sig):
    """specs/reassignment.md 2.2 written out: Gaussian line filter and its derivative on the
    signed DFT frequencies, zero beyond the cutoff, in float64, rounded once."""
    n = spectrum.shape[-1]
    f = np.arange(n) / n
    f = np.where(f > 0.5, f - 1.0, f)
    d = f[None, :] - f0[:, None]
    s = sig[:, None]
    g = np.where(np.abs(d) <= reassign_numba.CUTOFF_SIGMAS * s, np.exp(-(d * d) / (2 * s * s)), 0)
    slope = -(d / s) * g
    planes = []
    for weight in (g, slope):
        w = weight[:, None, :]  # (line, 1, frequency) against (channel, frequency)
        real = (w * spectrum.real.astype(np.float64)).astype(spectrum.real.dtype)
        imag = (w * spectrum.imag.astype(np.float64)).astype(spectrum.real.dtype)
        planes.append(real + 1j * imag)
    return np.stack(planes)[:, :, :, None, :].astype(spectrum.dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_modulate(dtype):
    spectrum, f0, sig, filtered, _ = reassign_input("short", dtype)
    with launches_of(f"modulate<{ctype(dtype)}>"):
        got = emu_modulate(spectrum, f0, sig)
    # the formula: exact up to exp's last ulp (host libm here, NumPy's own exp there)
    want = modulate_literal(spectrum, f0, sig)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(got, want, rtol=4 * eps, atol=4 * eps * np.abs(want).max())
    # numba folds the spectrum for a shorter FFT and runs the Gaussian by recurrence: equal
    # after the inverse FFT up to that recurrence (1e-14 of the peak) and the FFT lengths
    folded = reassign_numba.inverse_fft(reassign_numba.modulate(spectrum, f0, sig))
    unfolded = np.swapaxes(folded, -1, -2).reshape(got.shape)  # sample p + P*a
    scale = np.abs(unfolded).max()
    np.testing.assert_allclose(filtered, unfolded, rtol=0, atol=(200 * eps + 1e-13) * scale)


def numba_gate(filtered, f0, sig, grid):
    n_chan, n = filtered.shape[2], filtered.shape[-1]
    shape = histogram_shape(n_chan, n, grid)
    energy, counts = np.zeros(shape), np.zeros(shape, np.int64)
    reassign_numba.gate_scatter(filtered, f0, sig, *grid, energy, counts)
    return energy, counts


def blocks_on_shared_memory(f0, sig, n, n_chan, grid, tile=GATE_TILE):
    """How many gate_scatter blocks take the shared-memory path (the kernel's bounding box,
    restated), so that the tests can show both paths ran."""
    tdeci, noct, minf, maxf = grid
    n_freq, n_frames = histogram_shape(n_chan, n, grid)[1:]
    shared = 0
    for centre, s in zip(f0, sig, strict=True):
        for start in range(0, n, tile):
            stop = min(start + tile, n)
            reach = 0.5 / (2 * np.pi * s)
            rows = min(n_frames - 1, int(np.floor((stop + reach) / tdeci)) + 1) - max(
                0, int(np.floor((start + 1 - reach) / tdeci)) - 1
            )
            top, bottom = min(centre + 0.5 * s, maxf), max(centre - 0.5 * s, minf)
            cols = min(n_freq - 1, int(np.floor(noct * np.log2(maxf / bottom) + 0.5)) + 1) - max(
                0, int(np.floor(noct * np.log2(maxf / top) + 0.5)) - 1
            )
            shared += n_chan * (0 <= rows and 0 <= cols and (rows + 1) * (cols + 1) <= 2048)
    return shared


def test_gate_scatter_cases_take_both_paths():
    on_shared = {}
    for case, (n, n_chan, grid, _) in REASSIGN_CASES.items():
        _, f0, sig, _, _ = reassign_input(case, np.float64)
        on_shared[case] = blocks_on_shared_memory(f0, sig, n, n_chan, grid)
        on_shared[case, "all"] = len(f0) * n_chan * -(-n // GATE_TILE)
    assert on_shared["tiles-fine"] < on_shared["tiles-fine", "all"], on_shared
    assert on_shared["tiles-coarse"] > 0, on_shared


@pytest.mark.parametrize("options", [NVRTC_OPTIONS, CAS_FALLBACK], ids=["native", "cas"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", REASSIGN_CASES)
def test_gate_scatter(case, dtype, options):
    """Shared-memory histograms flushed with double atomics: counts exact, energy within
    the reordering bound of its (non-negative) terms."""
    _, f0, sig, filtered, grid = reassign_input(case, dtype)
    want_energy, want_counts = numba_gate(filtered, f0, sig, grid)
    assert want_counts.sum() > 100  # the case keeps points
    with launches_of(f"gate_scatter<{ctype(dtype)}>"):
        energy, counts = emu_gate_scatter(filtered, f0, sig, grid, options=options)
    assert_same(counts, want_counts)
    assert_sum_reordered(energy, want_energy, want_energy, want_counts.max())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", REASSIGN_CASES)
def test_gate_keys_and_segment_sums(case, dtype):
    """The deterministic path sums each bin in point order, as numba does: bitwise."""
    _, f0, sig, filtered, grid = reassign_input(case, dtype)
    want = numba_gate(filtered, f0, sig, grid)
    with launches_of(f"gate_keys<{ctype(dtype)}>", "segment_sums<double>"):
        got = emu_gate_sorted(filtered, f0, sig, grid)
    assert_same(got[1], want[1])
    assert_same(got[0], want[0])


# ---- schedules -----------------------------------------------------------------------


def order_independent_runs(**schedule):
    """Every kernel without atomics, on small inputs."""
    frames, window = ola_case(np.float32, 64, 16)
    rng = RNG(5)
    x = rng.standard_normal((3, 301))
    h = HarmonicCase(np.float64, "linear", (21, 3, 2, "hl_repo", 1), 2, 3, 3)
    spectrum, f0, sig, filtered, grid = reassign_input("short", np.float32)
    return [
        emu_overlap_add(frames, window, 16, 3, 300, threads=64, **schedule),
        emu_decimate2(x, rng.standard_normal(9), 0.5, threads=64, **schedule),
        emu_lower(h.x, *h.tabs, h.pad, 3, h.groups, threads=128, **schedule),
        emu_lower_adjoint(h.g, h.csr, h.n_harm, h.n_freq, h.groups, h.pad, threads=32, **schedule),
        emu_modulate(spectrum, f0, sig, n_blocks=7, **schedule),  # grid-stride loop
        *emu_gate_sorted(filtered, f0, sig, grid, n_blocks=(5, 3), **schedule),
    ]


ATOMIC_HARMONIC = ("linear", (16, 5, 3, "zero_ext", 2), 1, 3, 3)


def atomic_runs(**schedule):
    h = HarmonicCase(np.float64, *ATOMIC_HARMONIC)
    _, f0, sig, filtered, grid = reassign_input("tiles-coarse", np.float64)
    return [
        emu_lower_adjoint_scatter(h.g, h.tabs, h.n_freq, h.groups, h.pad, **schedule),
        *emu_gate_scatter(filtered, f0, sig, grid, threads=128, tile=1024, **schedule),
    ]


SCHEDULES = [dict(seed=s, workers=w) for s, w in ((1, 1), (2, 2), (0xDEADBEEF, 2))]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
def test_shuffled_schedules_change_nothing_without_atomics(schedule):
    for got, want in zip(
        order_independent_runs(**schedule), order_independent_runs(seed=0, workers=1), strict=True
    ):
        assert_same(got, want)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
def test_shuffled_schedules_reorder_only_the_atomic_sums(schedule):
    (scatter, energy, counts) = atomic_runs(**schedule)
    (scatter0, energy0, counts0) = atomic_runs(seed=0, workers=1)
    assert_same(counts, counts0)
    assert_sum_reordered(energy, energy0, energy0, counts0.max())
    h = HarmonicCase(np.float64, *ATOMIC_HARMONIC)
    assert_sum_reordered(scatter, scatter0, h.scatter_magnitude(), 2 * h.g.shape[1] * h.g.shape[2])


# ---- random configurations -----------------------------------------------------------

BLOCK_SIZES = [1, 32, 33, 96, 256, 1024]


def random_configuration(seed: int, **schedule):
    """Shapes, parameters and block sizes drawn at random (seeded), like a fuzzer; every
    kernel against its numba twin."""
    rng = RNG(100 + seed)
    dtype = DTYPES[seed % 2]
    kw = dict(threads=int(rng.choice(BLOCK_SIZES)), **schedule)
    n_fft, hop, n_frames = (int(v) for v in rng.integers(1, (80, 100, 12)))
    start = int(rng.integers(0, n_fft + hop * n_frames))
    length = int(rng.integers(1, n_fft + hop * n_frames + 50))
    frames = rng.standard_normal((int(rng.integers(1, 4)), n_frames, n_fft)).astype(dtype)
    window = rng.random(n_fft).astype(dtype)
    assert_same(
        emu_overlap_add(frames, window, hop, start, length, **kw),
        ola_numba.overlap_add(frames, window, hop, start, length),
    )
    x = rng.standard_normal((int(rng.integers(1, 4)), int(rng.integers(1, 600)))).astype(dtype)
    taps = rng.standard_normal(int(rng.integers(1, 50))).astype(dtype)
    assert_same(emu_decimate2(x, taps, 0.5, **kw), cqt_numba.decimate2(x, taps, 0.5))

    n_chan = int(rng.integers(1, 5))
    edge = str(rng.choice(["inclusive", "hl_repo", "zero_ext"]))
    n_freq, n_harm, anchor, stride = (int(v) for v in rng.integers((2, 1, 1, 1), (40, 6, 4, 3)))
    groups = int(rng.choice([0, 1, n_chan]))
    n_time, n_batch, pad = (int(v) for v in rng.integers((1, 1, 0), (9, 3, 3)))
    params = (n_freq, n_harm, anchor, edge, stride)
    h = HarmonicCase(dtype, "linear", params, pad, groups, n_chan, n_time, n_batch, seed)
    assert_same(
        emu_lower(h.x, *h.tabs, h.pad, 3, h.groups, **kw),
        harmonic_numba.lower(h.x, *h.tabs, h.pad, 3, h.groups),
    )
    assert_same(
        emu_lower_adjoint(h.g, h.csr, h.n_harm, h.n_freq, h.groups, h.pad, **kw),
        harmonic_numba.lower_adjoint(h.g, *h.csr, h.n_harm, h.n_freq, h.groups, h.pad),
    )
    assert_sum_reordered(
        emu_lower_adjoint_scatter(h.g, h.tabs, h.n_freq, h.groups, h.pad, **kw),
        harmonic_numba.lower_adjoint_scatter(h.g, *h.tabs, h.n_freq, h.groups, h.pad),
        h.scatter_magnitude(),
        2 * h.g.shape[1] * h.g.shape[2],
    )

    n, n_chan, tdeci = (int(v) for v in rng.integers((50, 1, 1), (3000, 3, 17)))
    noct, minf, maxf = int(rng.integers(6, 25)), rng.uniform(0.005, 0.05), rng.uniform(0.3, 0.5)
    grid = (tdeci, noct, minf, maxf)
    f0, sig = filter_lines(2.0, int(rng.integers(1, 3)), noct, minf, n_freq_bins(noct, minf, maxf))
    f0, sig = f0[::4].copy(), sig[::4].copy()
    spectrum = np.fft.fft(rng.standard_normal((n_chan, n)), axis=-1).astype(COMPLEX[dtype])
    modulated = emu_modulate(spectrum, f0, sig, n_blocks=int(rng.integers(1, 40)), **kw)
    filtered = np.fft.ifft(modulated, axis=-1).astype(COMPLEX[dtype])
    want_energy, want_counts = numba_gate(filtered, f0, sig, grid)
    # any tile works; 4 to 16 points per thread keeps the number of fibers small
    gate_threads = int(rng.choice([32, 64, 256]))
    tile = gate_threads * int(rng.integers(4, 17))
    gate_kw = dict(kw, threads=gate_threads)
    energy, counts = emu_gate_scatter(filtered, f0, sig, grid, tile=tile, **gate_kw)
    assert_same(counts, want_counts)
    assert_sum_reordered(energy, want_energy, want_energy, want_counts.max(initial=1))
    assert_same(emu_gate_sorted(filtered, f0, sig, grid, **kw)[1], want_counts)


@pytest.mark.parametrize("seed", range(12))
def test_random_configurations(seed):
    random_configuration(seed)


def sprinkle_non_finite(a, rng, count=6):
    a.flat[rng.choice(a.size, count, replace=False)] = [np.nan, np.inf, -np.inf] * (count // 3)
    return a


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_finite_values_reach_the_same_outputs(dtype):
    """NaN and inf reach exactly the outputs that read them, as in numba (kernels never
    raise on data values; harmonic lowering skips zero weights instead of multiplying)."""
    rng = RNG(7)
    frames, window = ola_case(dtype, 64, 16)
    sprinkle_non_finite(frames, rng)
    assert_same(
        emu_overlap_add(frames, window, 16, 5, 170),
        ola_numba.overlap_add(frames, window, 16, 5, 170),
    )
    x = sprinkle_non_finite(rng.standard_normal((2, 301)).astype(dtype), rng)
    taps = rng.standard_normal(9).astype(dtype)
    assert_same(emu_decimate2(x, taps, 0.5), cqt_numba.decimate2(x, taps, 0.5))
    h = HarmonicCase(dtype, "linear", (20, 4, 1, "zero_ext", 1), 1, 0, 3)
    sprinkle_non_finite(h.x, rng)
    sprinkle_non_finite(h.g, rng)
    lowered = emu_lower(h.x, *h.tabs, h.pad, 3, h.groups)
    assert_same(lowered, harmonic_numba.lower(h.x, *h.tabs, h.pad, 3, h.groups))
    assert np.isfinite(lowered).mean() > 0.5  # the non-finite values stayed local
    assert_same(
        emu_lower_adjoint(h.g, h.csr, h.n_harm, h.n_freq, h.groups, h.pad),
        harmonic_numba.lower_adjoint(h.g, *h.csr, h.n_harm, h.n_freq, h.groups, h.pad),
    )


# ---- the fallback of old GPUs ----------------------------------------------------------


HAMMER = """
// name_expressions: hammer
__global__ void hammer(double* total, long long n) {
  if ((long long)blockIdx.x * blockDim.x + threadIdx.x < n) atomic_add(total, 1.0);
}
"""


def test_atomic_add_helpers_are_the_same():
    """harmonic.cu and reassign.cu each carry the helper (NVRTC compiles files alone): the
    tests of one are tests of both only while they are identical."""
    assert atomic_add_helper("harmonic.cu") == atomic_add_helper("reassign.cu")


def test_cas_fallback_adds_exactly_under_contention():
    """Every thread adds 1.0 to one double (exact in any order) from two OS threads at once:
    a lost update in the compare-and-swap loop would show."""
    kernel = EmuModule(hammer_source(), CAS_FALLBACK, filename="hammer.cu").get_function("hammer")
    total = np.zeros(1)
    kernel((512,), (256,), (total, np.int64(512 * 256 - 7)), workers=2)
    assert total[0] == 512 * 256 - 7


def test_cas_builds_run_the_fallback():
    """The ``cas`` cases test the sm_50 loop only if the macro reaches the compiler: with a
    mutant loop that adds twice the value, their result doubles."""
    code = harmonic_with_doubling_cas()
    kernel = EmuModule(code, CAS_FALLBACK, filename="doubling_cas.cu").get_function(
        "harmonic_lower_adjoint_scatter<double>"
    )
    h = HarmonicCase(np.float64, "linear", (20, 4, 1, "inclusive", 1), 0, 0, 3)
    want = harmonic_numba.lower_adjoint_scatter(h.g, *h.tabs, h.n_freq, 0, 0)
    n_batch, _, n_out, n_time = h.g.shape
    out = np.zeros_like(want)
    args = (h.g, *h.tabs, out, *i64(n_batch, 3, h.n_harm, h.n_freq, n_time, n_out, 0))
    kernel((blocks_for(h.g.size),), (THREADS,), args, workers=1)
    np.testing.assert_allclose(out, 2 * want, rtol=1e-12, atol=1e-12)


# ---- negative controls: each check of the emulator fires ------------------------------


@pytest.fixture
def ola_launch():
    """``overlap_add<float>`` with valid arguments (checked to run) and a way to break them."""
    frames, window = ola_case(np.float32, 16, 4)
    out = np.zeros((3, 40), np.float32)
    sizes = i64(3, 9, 16, 4, 0, 40)
    kernel = module("ola.cu").get_function("overlap_add<float>")
    good = [frames, window, out, *sizes]
    kernel((1,), (128,), good)
    assert np.abs(out).sum() > 0
    return kernel, good


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


BAD_ARGUMENTS = {  # name: (change to the good arguments, what the error says)
    "python float for long long": (lambda a: a[:6] + [4.0] + a[7:], "passes float 4.0 as float64"),
    "np.int32 for long long": (lambda a: a[:3] + [np.int32(3)] + a[4:], "as int32.*reads int64"),
    "float64 array behind float*": (
        lambda a: [a[0].astype(np.float64)] + a[1:],
        "dtype float64 behind a float32 pointer",
    ),
    "non-contiguous array": (lambda a: [a[0][:, ::2]] + a[1:], "not C-contiguous"),
    "misaligned array": (
        lambda a: a[:1] + [np.zeros(17 * 4 + 2, np.uint8)[2:-4].view(np.float32)] + a[2:],
        "not aligned",
    ),
    "read-only output": (lambda a: a[:2] + [read_only(a[2])] + a[3:], "read-only array"),
    "restrict overlap": (lambda a: [a[0], a[2][0, :16]] + a[2:], "arguments 1 and 2 overlap"),
    "host list for a pointer": (lambda a: [a[0].tolist()] + a[1:], "needs an array"),
    "int64 overflow": (lambda a: a[:3] + [2**63] + a[4:], "does not fit int64"),
    "one argument too few": (lambda a: a[:-1], "8 arguments for 9 parameters"),
    "one argument too many": (lambda a: a + [np.int64(0)], "10 arguments for 9 parameters"),
}


@pytest.mark.parametrize("case", BAD_ARGUMENTS)
def test_bad_arguments_are_refused(ola_launch, case):
    kernel, good = ola_launch
    change, message = BAD_ARGUMENTS[case]
    with pytest.raises(EmuError, match=message):
        kernel((1,), (128,), change(list(good)))


def test_a_python_int_for_a_long_long_is_what_cupy_passes(ola_launch):
    """The control of the scalar rule: CuPy passes a Python int as long long, so it runs."""
    kernel, good = ola_launch
    kernel((1,), (128,), good[:3] + [int(v) for v in good[3:]])


BAD_CONFIGURATIONS = {
    "zero grid": ((0,), (128,), "zero dimension"),
    "zero block": ((1,), (0,), "zero dimension"),
    "2048 threads": ((1,), (2048,), "more than 1024 threads"),
    "1024 x 2 threads": ((1,), (1024, 2), "more than 1024 threads"),
    "block z of 65": ((1,), (1, 1, 65), "exceeds"),
    "grid y of 65536": ((1, 65536), (32,), "exceeds"),
    "grid x of 2**31": ((2**31,), (32,), "exceeds"),
    "four grid dimensions": ((1, 1, 1, 1), (32,), "one to three"),
}


@pytest.mark.parametrize("case", BAD_CONFIGURATIONS)
def test_bad_launch_configurations_are_refused(ola_launch, case):
    kernel, good = ola_launch
    grid, block, message = BAD_CONFIGURATIONS[case]
    with pytest.raises(EmuError, match=message):
        kernel(grid, block, good)


def test_dynamic_shared_memory_is_refused(ola_launch):
    kernel, good = ola_launch
    with pytest.raises(EmuError, match="dynamic shared memory"):
        kernel((1,), (128,), good, shared_mem=1024)


BARRIERS = r"""
// name_expressions: block_sum split_barrier early_exit last_writer
__global__ void block_sum(const float* __restrict__ x, float* __restrict__ out, long long n) {
  __shared__ float partial[256];
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  partial[threadIdx.x] = i < n ? x[i] : 0.f;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

__global__ void split_barrier(float* __restrict__ out) {  // two barriers: undefined behaviour
  __shared__ float s[256];
  s[threadIdx.x] = threadIdx.x;
  if (threadIdx.x < 128) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = s[255 - threadIdx.x];
}

__global__ void early_exit(float* __restrict__ out) {  // exited threads miss the barrier
  __shared__ float s[256];
  if (threadIdx.x >= 200) return;
  s[threadIdx.x] = threadIdx.x;
  __syncthreads();
  out[threadIdx.x] = s[199 - threadIdx.x];
}

__global__ void last_writer(unsigned int* __restrict__ out) {  // a race on purpose
  out[0] = blockIdx.x * blockDim.x + threadIdx.x;
}
"""


@functools.cache
def barriers():
    return EmuModule(BARRIERS, filename="barriers.cu")


@pytest.mark.parametrize("seed", [0, 11])
def test_block_sum_with_barriers_runs_clean(seed):
    """The control of the divergence checks: a correct shared-memory reduction."""
    x = RNG(seed).standard_normal(1000).astype(np.float32)
    out = np.zeros(4, np.float32)
    barriers().get_function("block_sum")((4,), (256,), (x, out, np.int64(1000)), seed=seed)
    want = np.pad(x, (0, 24)).reshape(4, 256).astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-4)


# source lines of BARRIERS' __syncthreads() calls: two in block_sum, two in split_barrier,
# one in early_exit
SYNC_LINES = [i + 1 for i, line in enumerate(BARRIERS.splitlines()) if "__syncthreads()" in line]


@pytest.mark.parametrize(
    "name, message",
    [
        (
            "split_barrier",
            rf"different __syncthreads\(\) calls \(lines {SYNC_LINES[2]} and {SYNC_LINES[3]}\)",
        ),
        (
            "early_exit",
            rf"\(line {SYNC_LINES[4]}\).* 200 threads wait at the barrier and 56 have exited",
        ),
    ],
)
def test_barrier_divergence_is_reported(name, message):
    """Each block reports, with the source lines of the barriers involved."""
    with pytest.raises(EmuError, match=message):
        barriers().get_function(name)((2,), (256,), (np.zeros(256, np.float32),))


def test_shuffled_schedules_do_reorder_threads_and_blocks():
    """The control of the schedule tests: a last-writer-wins race gives the last thread of
    the last block in order, and other threads under shuffled schedules."""
    kernel = barriers().get_function("last_writer")
    winners = set()
    for seed in (0, 1, 2, 3):
        out = np.zeros(1, np.uint32)
        kernel((8,), (64,), (out,), seed=seed, workers=1)
        winners.add(int(out[0]))
        if seed == 0:
            assert out[0] == 8 * 64 - 1
    assert len(winners) > 1


def test_cuda_emu_seed_in_the_environment_shuffles_too(monkeypatch):
    kernel = barriers().get_function("last_writer")
    winners = set()
    for seed in ("0", "1", "2", "3"):
        monkeypatch.setenv("CUDA_EMU_SEED", seed)
        out = np.zeros(1, np.uint32)
        kernel((8,), (64,), (out,), workers=1)
        winners.add(int(out[0]))
    assert len(winners) > 1


def test_a_sanitizer_build_needs_the_asan_runtime():
    """Loading an ASan library into a process without the runtime would abort it; the
    emulator refuses first and says how to run."""
    if cuda_emu.asan_runtime_loaded():
        pytest.skip("this process has the ASan runtime preloaded")
    with pytest.raises(EmuError, match="LD_PRELOAD"):
        EmuModule(kernel_source("ola.cu"), NVRTC_OPTIONS, sanitize=True, filename="ola.cu")


def test_a_missing_barrier_in_gate_scatter_is_caught():
    """Mutant of a real kernel: without the barrier before the flush, threads flush shared
    bins that others have not finished adding to; the counts no longer match numba."""
    code = gate_scatter_without_flush_barrier()
    kernel = EmuModule(code, NVRTC_OPTIONS, filename="missing_barrier.cu").get_function(
        "gate_scatter<double>"
    )
    _, f0, sig, filtered, grid = reassign_input("tiles-coarse", np.float64)
    _, want_counts = numba_gate(filtered, f0, sig, grid)
    shape = want_counts.shape
    energy, counts = np.zeros(shape), np.zeros(shape, np.int64)
    sizes = i64(len(f0), shape[0], filtered.shape[-1], *shape[1:])
    args = (filtered, f0, sig, *f64(*grid), *sizes, np.int64(GATE_TILE), energy, counts)
    n_blocks = len(f0) * shape[0] * -(-filtered.shape[-1] // GATE_TILE)
    kernel((n_blocks,), (THREADS,), args)
    assert counts.sum() < want_counts.sum()


def test_warp_level_code_is_refused():
    code = (
        "// name_expressions: k\n__global__ void k(float* x) { x[0] = __shfl_sync(~0u, 1.f, 0); }"
    )
    with pytest.raises(EmuError, match="warp-level"):
        EmuModule(code, filename="warp.cu")


def test_processes_building_one_library_at_once_both_get_it(tmp_path):
    """Two processes build the same (uncached) library together: each renames a complete
    file into place, so both load and run it, and no temporary file is left."""
    script = """
        import numpy as np
        from tests.emulation.cuda_emu import EmuModule
        kernel = "__global__ void fill(int* out) { out[threadIdx.x] = 7; }"
        code = "// name_expressions: fill\\n" + kernel
        out = np.zeros(32, np.int32)
        EmuModule(code, filename="fill.cu").get_function("fill")((1,), (32,), (out,))
        assert (out == 7).all()
    """
    env = dict(os.environ, CUDA_EMU_BUILD=str(tmp_path), PYTHONPATH=str(REPO))
    command = [sys.executable, "-c", textwrap.dedent(script)]
    procs = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE) for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()[-2000:]
        proc.stderr.close()
    assert len(list(tmp_path.glob("fill-*.so"))) == 1
    assert not list(tmp_path.glob("*.tmp"))


# ---- sanitizer -----------------------------------------------------------------------


def libasan() -> str | None:
    proc = subprocess.run(
        [cuda_emu.COMPILER, "-print-file-name=libasan.so"], capture_output=True, text=True
    )
    path = proc.stdout.strip()
    return path if proc.returncode == 0 and os.path.isabs(path) else None


def run_sanitized(script: str, tmp_path) -> subprocess.CompletedProcess:
    """``script`` in a Python with the ASan runtime preloaded and sanitizer builds on."""
    runtime = libasan()
    if runtime is None:
        pytest.skip(f"{cuda_emu.COMPILER} has no libasan.so: the sanitizer mode cannot run")
    env = dict(
        os.environ,
        LD_PRELOAD=runtime,
        ASAN_OPTIONS="detect_leaks=0",
        CUDA_EMU_SANITIZE="1",
        CUDA_EMU_BUILD=str(cuda_emu.build_dir()),
        PYTHONPATH=str(REPO),
    )
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_off_by_one_mutant_is_caught_by_the_sanitizer(tmp_path):
    """overlap_add with ``idx > total`` for ``idx >= total``: the thread one past the end
    writes out[total].  Plain builds cannot see it; ASan reports the heap overflow."""
    (tmp_path / "ola.cu").write_text(kernel_source("ola.cu"))
    (tmp_path / "ola_off_by_one.cu").write_text(off_by_one_ola())
    script = """
        import numpy as np
        from pathlib import Path
        from tests.emulation.cuda_emu import EmuModule
        frames = np.ones((2, 5, 16), np.float32)
        window = np.ones(16, np.float32)
        sizes = [np.int64(v) for v in (2, 5, 16, 4, 0, 40)]
        for name in ("ola.cu", "ola_off_by_one.cu"):
            out = np.zeros((2, 40), np.float32)  # 80 outputs, 128 threads
            module = EmuModule(Path(name).read_text(), ("-std=c++17",), filename=name)
            module.get_function("overlap_add<float>")((1,), (128,), (frames, window, out, *sizes))
            print(name, "ran clean", flush=True)
    """
    proc = run_sanitized(script, tmp_path)
    assert "ola.cu ran clean" in proc.stdout, proc.stderr[-3000:]
    assert proc.returncode != 0, "the sanitizer missed the off-by-one"
    assert "ola_off_by_one.cu ran clean" not in proc.stdout
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in proc.stderr, proc.stderr[-3000:]
    assert "ola_off_by_one.cu:" in proc.stderr  # the report names the kernel's source line


def test_every_instantiation_runs_clean_under_the_sanitizer(tmp_path):
    """One small launch of each instantiation (recorded here, replayed in a process with
    ASan + UBSan builds): no report, and the same results as the plain build."""
    with recording() as launches:
        order_independent_runs(workers=1)
        atomic_runs(workers=1)
        h = HarmonicCase(np.float32, "log", (24, 4, 2, 12.0, 1), 1, 2, 4)
        emu_lower(h.x, *h.tabs, h.pad, 3, h.groups)
        emu_lower_adjoint(h.g, h.csr, h.n_harm, h.n_freq, h.groups, h.pad)
        emu_lower_adjoint_scatter(h.g, h.tabs, h.n_freq, h.groups, h.pad, workers=1)
        spectrum, f0, sig, filtered, grid = reassign_input("short", np.float64)
        emu_modulate(spectrum, f0, sig)
        emu_gate_sorted(filtered, f0, sig, grid)
        _, f0, sig, filtered, grid = reassign_input("short", np.float32)
        emu_gate_scatter(filtered, f0, sig, grid, workers=1, options=CAS_FALLBACK)
        for dtype in DTYPES:
            emu_decimate2(RNG(0).standard_normal((2, 7)).astype(dtype), np.ones(4, dtype), 0.5)
        emu_overlap_add(*ola_case(np.float64, 5, 7), 7, 2, 30)
        for dtype in DTYPES:
            emu_accumulate_rounded(np.zeros(3, dtype), RNG(0).standard_normal((4, 3)))
        for seed in range(4):
            random_configuration(seed, workers=1)
    replayed = {name for _, _, name, *_ in launches}
    assert replayed == {n for names in TESTED.values() for n in names}
    (tmp_path / "launches.pickle").write_bytes(pickle.dumps(launches))
    script = f"""
        import pickle
        from pathlib import Path
        from tests.emulation.cuda_emu import EmuModule
        KERNEL_DIR = Path({str(KERNEL_DIR)!r})
        launches = pickle.loads(Path("launches.pickle").read_bytes())
        modules, results = {{}}, []
        for filename, options, name, grid, block, before, _ in launches:
            if (filename, options) not in modules:
                code = (KERNEL_DIR / filename).read_text()
                modules[filename, options] = EmuModule(code, options, filename=filename)
            kernel = modules[filename, options].get_function(name)
            kernel(grid, block, before, workers=1)
            results.append(before)
        Path("results.pickle").write_bytes(pickle.dumps(results))
    """
    proc = run_sanitized(script, tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr
    results = pickle.loads((tmp_path / "results.pickle").read_bytes())
    for (*_, after), result in zip(launches, results, strict=True):
        for want, got in zip(after, result, strict=True):
            if isinstance(want, np.ndarray):
                assert_same(got, want)
