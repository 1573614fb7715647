"""Shared helpers for the asv benchmarks: backends, synchronisation, test signals."""

from __future__ import annotations

import numpy as np

BACKENDS = ["numpy", "cupy"]
DTYPES = ["float32", "float64"]


def namespace(backend: str):
    """The array module for ``backend``; raises NotImplementedError (asv: skip) without a GPU."""
    if backend == "numpy":
        return np
    try:
        import cupy

        if not cupy.cuda.is_available():
            raise NotImplementedError("no CUDA GPU")
    except ImportError as exc:
        raise NotImplementedError("cupy not installed") from exc
    return cupy


def sync(xp) -> None:
    """Wait for the GPU so that timings cover the work, not just the launch."""
    if xp is not np:
        xp.cuda.get_current_stream().synchronize()


def signal(xp, shape, dtype, seed: int = 0):
    """Seeded white noise of ``shape`` on ``xp``'s device."""
    y = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return xp.asarray(y)


def warm_up(*calls) -> None:
    """Run each call once with sigpu's fused kernels forced on whatever the size, so that
    numba's start-up and compilation (reported as first-call cost by
    ``benchmarks/compare.py``) stay out of the ``time_*`` samples: large inputs take those
    kernels, small ones array expressions, and a warm-up on a short slice alone would leave
    the kernels cold (``asv run --quick`` times a single call)."""
    import sigpu.feature
    import sigpu.spectrum

    # commits before the size switch have no such attribute: a plain warm-up there; commits
    # before spectrum.fused_kernel_pays read a copy in feature too
    modules = [m for m in (sigpu.feature, sigpu.spectrum) if hasattr(m, "FUSED_KERNEL_MIN_SIZE")]
    saved = [m.FUSED_KERNEL_MIN_SIZE for m in modules]
    try:
        for m in modules:
            m.FUSED_KERNEL_MIN_SIZE = 0
        for call in calls:
            call()
    finally:
        for m, value in zip(modules, saved, strict=True):
            m.FUSED_KERNEL_MIN_SIZE = value
