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
