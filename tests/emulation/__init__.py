"""The GPU half of sigpu on a CPU: test infrastructure, never part of the runtime package.

Two pieces:

* :mod:`tests.emulation.cuda_emu` (+ ``cuda_emu.h``) compiles sigpu's ``.cu`` files
  unmodified as host C++ and launches their kernels on NumPy memory, checking arguments
  and launch configurations the way a GPU does not.
* ``strictcupy/`` is a strict NumPy-backed stand-in for the ``cupy`` and ``cupyx``
  packages (CuPy >= 14 semantics): device arrays that refuse implicit host conversion,
  several emulated devices, a log of every device->host synchronisation, ``RawModule``
  through ``cuda_emu`` and ``ElementwiseKernel`` through the same C++ compiler.

:func:`install` puts the stand-in in place of CuPy for the whole process; it must run
before anything imports ``cupy`` (``tests/conftest.py`` does it at import time).
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STRICT_CUPY = HERE / "strictcupy"

#: ``SIGPU_TEST_CUPY``: which CuPy the test suite's ``xp=cupy`` parameters use.
MODES = ("auto", "real", "emulated", "off")


def real_gpu_usable() -> bool:
    """Whether a CUDA driver with at least one device is present (asked through the
    driver API with ctypes, so that the real ``cupy`` is not imported for the answer)."""
    for name in ("libcuda.so.1", "libcuda.so"):
        try:
            driver = ctypes.CDLL(name)
            break
        except OSError:
            continue
    else:
        return False
    count = ctypes.c_int(0)
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return False
    return count.value > 0


def chosen_mode() -> str:
    """``"real"``, ``"emulated"`` or ``"off"``: ``SIGPU_TEST_CUPY`` (default ``auto``:
    real CuPy where a GPU is usable, the emulation elsewhere)."""
    mode = os.environ.get("SIGPU_TEST_CUPY", "auto")
    if mode not in MODES:
        raise RuntimeError(f"SIGPU_TEST_CUPY={mode!r} must be one of {MODES}")
    if mode == "auto":
        return "real" if real_gpu_usable() else "emulated"
    return mode


def install() -> None:
    """Make ``import cupy`` / ``import cupyx`` give the strict stand-in in this process."""
    loaded = [m for m in sys.modules if m.split(".")[0] in ("cupy", "cupyx")]
    if loaded and not is_installed():
        raise RuntimeError(f"the real CuPy is already imported ({loaded[0]}); install first")
    if str(STRICT_CUPY) not in sys.path:
        sys.path.insert(0, str(STRICT_CUPY))
    import cupy  # noqa: F401  (the stand-in)


def is_installed() -> bool:
    """Whether ``cupy`` in this process is the stand-in."""
    cupy = sys.modules.get("cupy")
    return cupy is not None and getattr(cupy, "IS_EMULATION", False)
