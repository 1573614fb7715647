"""Kernels: the work ``xp`` cannot express well (or, on the CPU, not fast enough: the
``spectrum`` topic fuses passes that NumPy makes separately), written twice with one contract.

Layout, one *topic* per operator family::

    <topic>_numba.py   CPU kernels (numba ``@njit(cache=True)``, or plain NumPy run in
                       cache-sized blocks on the pool where that is enough: ``frames``),
                       imported on first use; several take NumPy up to a size
                       (``NUMPY_MAX_SIZE``; same values, or within a tested ulp bound)
                       and import numba only for a larger input, since its start-up
                       outweighs a small call
    <topic>_cuda.py    CuPy launchers for ``<topic>.cu``, imported on first use
    <topic>.cu         CUDA C++ source, kernels templated over ``float``/``double``
    cpu_threads.py     the CPU thread pool the numba kernels share (blocks of work run
                       there as whole units; kernels called on it run serially)

The contract, shared by both files of a topic:

* Callers reach a kernel only through ``sigpu._backend.kernel(xp, "topic.func")``
  and call it with **the same Python signature** on both backends; it returns
  arrays of the caller's namespace.  Argument checking happens in the public
  function before the call; kernels assume valid, C-contiguous input of one
  dtype (float32 or float64) and never raise on data values.
* A launcher makes its inputs contiguous (``xp.ascontiguousarray``), allocates
  the output, and documents shapes in its docstring.
* Each ``.cu`` file starts with one or more lines
  ``// name_expressions: kern<float> kern<double>`` listing every template
  instantiation the launcher uses.  :func:`cuda_sources` and
  :func:`name_expressions` read them: the CuPy loader, the CPU emulation of the
  kernels (``tests/emulation``) and the test suite's NVRTC compile test (every
  source for compute_50, 60, 80 and 90, so the double ``atomicAdd`` fallback
  below sm_60 compiles too; no GPU needed) use the same list.

This module imports neither numba nor cupy.
"""

from __future__ import annotations

from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent
_NAME_TAG = "// name_expressions:"


def cuda_sources() -> list[Path]:
    """Every ``.cu`` file of the package, sorted."""
    return sorted(KERNEL_DIR.glob("*.cu"))


def name_expressions(source: Path) -> list[str]:
    """Template instantiations a ``.cu`` file declares in its header lines."""
    names: list[str] = []
    for line in source.read_text().splitlines():
        if line.startswith(_NAME_TAG):
            names.extend(line[len(_NAME_TAG) :].split())
    return names
