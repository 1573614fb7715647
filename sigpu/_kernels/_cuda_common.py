"""Shared CuPy plumbing for the ``*_cuda.py`` launchers: module loading and launch sizes."""

from __future__ import annotations

import functools

import cupy
import numpy as np

from . import KERNEL_DIR, name_expressions

NVRTC_OPTIONS = ("-std=c++17",)
THREADS = 256


@functools.cache
def _module(filename: str, device_id: int) -> cupy.RawModule:
    path = KERNEL_DIR / filename
    return cupy.RawModule(
        code=path.read_text(),
        options=NVRTC_OPTIONS,
        name_expressions=name_expressions(path),
    )


def get_function(filename: str, name: str, dtype) -> cupy.RawKernel:
    """The kernel ``name<float>`` or ``name<double>`` of ``filename`` for ``dtype``.

    Compiled once per (file, device) by NVRTC and cached (CuPy also caches
    the compiled binary on disk).
    """
    ctype = "float" if np.dtype(dtype) in (np.float32, np.complex64) else "double"
    module = _module(filename, cupy.cuda.Device().id)
    return module.get_function(f"{name}<{ctype}>")


def blocks_for(n: int, threads: int = THREADS) -> int:
    """Number of blocks that cover ``n`` threads (at least one)."""
    return max(1, (int(n) + threads - 1) // threads)
