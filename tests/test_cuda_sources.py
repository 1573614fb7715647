"""Every CUDA source compiles under NVRTC for every architecture sigpu supports (no GPU needed).

This is how CI, which has no GPU, catches syntax and type errors in the ``.cu``
files and template instantiations that would otherwise only fail on a GPU.

Supported: compute capability 5.0 and up, the oldest target of CUDA 12's NVRTC.  Double
``atomicAdd`` is native from 6.0 only; below that the kernels use a compare-and-swap loop
(``atomic_add`` in ``harmonic.cu`` and ``reassign.cu``), and the PTX checks below make sure
each architecture gets the right one.  5.0, 6.0 (first native double atomics), 8.0 and 9.0
are compiled.
"""

from __future__ import annotations

import re
import sys
import types

import pytest

from sigpu._kernels import cuda_sources, name_expressions

nvrtc = pytest.importorskip("cupy_backends.cuda.libs.nvrtc")


def _load_nvrtc() -> None:
    """Load the NVRTC library now.  Its loader logs through ``cupy._environment``, which the
    emulated ``cupy`` that ``tests/conftest.py`` installs does not have: lend it a silent
    one for the load (the library is found without it) and take it back."""
    cupy = sys.modules.get("cupy")
    if cupy is None or hasattr(cupy, "_environment"):
        nvrtc.getVersion()
        return
    silent = types.ModuleType("cupy._environment")
    silent._log = lambda message: None
    cupy._environment = silent
    sys.modules["cupy._environment"] = silent
    try:
        nvrtc.getVersion()
    finally:
        del cupy._environment
        del sys.modules["cupy._environment"]


_load_nvrtc()

SOURCES = cuda_sources()
OLDEST_ARCH = "compute_50"
ARCHS = [OLDEST_ARCH, "compute_60", "compute_80", "compute_90"]

# PTX instructions of a double-precision atomic add (atom when the old value is used, red
# when not) and of a 64-bit compare-and-swap, in global or shared memory.
DOUBLE_ATOMIC_ADD = re.compile(r"\b(?:atom|red)\.(?:global\.|shared\.)?add\.f64\b")
CAS_64 = re.compile(r"\batom\.(?:global\.|shared\.)?cas\.b64\b")


def compile_to_ptx(source, arch: str, options=()) -> str:
    """The PTX of every instantiation of ``source``; fails the test with NVRTC's log."""
    names = name_expressions(source)
    assert names, f"{source.name} declares no '// name_expressions:' line"
    program = nvrtc.createProgram(source.read_text(), source.name, [], [])
    try:
        for name in names:
            nvrtc.addNameExpression(program, name)
        try:
            nvrtc.compileProgram(program, [f"--gpu-architecture={arch}", "-std=c++17", *options])
        except nvrtc.NVRTCError as exc:
            pytest.fail(f"{source.name} ({arch}) failed:\n{nvrtc.getProgramLog(program)}\n{exc}")
        for name in names:
            assert nvrtc.getLoweredName(program, name)
        ptx = nvrtc.getPTX(program)
    finally:
        nvrtc.destroyProgram(program)
    ptx = ptx.decode() if isinstance(ptx, bytes) else ptx
    assert ptx.strip()
    return ptx


def test_there_are_cuda_sources():
    assert SOURCES, "no .cu files found in sigpu/_kernels"


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_cuda_source_compiles(source, arch):
    ptx = compile_to_ptx(source, arch)
    if arch == OLDEST_ARCH:
        assert not DOUBLE_ATOMIC_ADD.search(ptx), "double atomicAdd does not exist before sm_60"


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_double_atomics_native_from_sm60_and_emulated_before(source):
    """Where sm_60 code adds doubles atomically, sm_50 code does it with a 64-bit CAS loop,
    and sm_60 code has no CAS loop left (it would be slower than the native instruction)."""
    native = compile_to_ptx(source, "compute_60")
    oldest = compile_to_ptx(source, OLDEST_ARCH)
    if not DOUBLE_ATOMIC_ADD.search(native):
        assert not CAS_64.search(oldest), f"{source.name}: a CAS loop without double atomics"
        return
    assert CAS_64.search(oldest), f"{source.name}: no CAS fallback in the {OLDEST_ARCH} PTX"
    assert not CAS_64.search(native), f"{source.name}: the CAS fallback is used on sm_60"


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_forced_cas_fallback_compiles_on_new_architectures(source):
    """``-DSIGPU_ATOMIC_ADD_CAS`` (used by the emulated-kernel tests) selects the fallback
    on any architecture, and it still compiles there."""
    ptx = compile_to_ptx(source, "compute_90", ("-DSIGPU_ATOMIC_ADD_CAS",))
    assert not DOUBLE_ATOMIC_ADD.search(ptx)
