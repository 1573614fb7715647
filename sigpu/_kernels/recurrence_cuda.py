"""First-order IIR filtering on the GPU as matrix products; same contract as
``recurrence_numba``.

``y[n] = v[n] + c y[n-1]`` is a scan.  Cut into blocks of ``BLOCK`` samples, each block's
response to its own inputs is one product with the ``BLOCK x BLOCK`` lower-triangular
Toeplitz matrix of powers ``c**(j - i)`` (cuBLAS); the blocks' last values then obey the
same recurrence with coefficient ``c**BLOCK``, solved the same way one level down, and
each block adds ``c**(j + 1)`` times the previous block's end.  Only powers ``|c|**k <= 1``
appear for a stable filter (``|c| <= 1``): no ``c**-n`` blow-up as in a closed-form
prefix sum, and float32 rounding stays that of a ``BLOCK``-term dot product.
"""

from __future__ import annotations

import cupy
import numpy as np

BLOCK = 128


def _powers(c: float, dtype):
    """``(toeplitz, ramp)``: ``c**(j - i)`` below the diagonal and ``c**(j + 1)``."""
    k = np.arange(BLOCK)
    lags = k[:, None] - k[None, :]
    toeplitz = np.where(lags >= 0, float(c) ** np.maximum(lags, 0), 0.0)
    ramp = float(c) ** (k + 1.0)
    return cupy.asarray(toeplitz, dtype=dtype), cupy.asarray(ramp, dtype=dtype)


def scan(v, c: float):
    """``y[..., n] = v[..., n] + c * y[..., n - 1]`` (``y[..., -1] = 0``) of ``v (B, n)``."""
    batch, n = v.shape
    n_blocks = -(-n // BLOCK)
    padded = cupy.zeros((batch, n_blocks * BLOCK), dtype=v.dtype)
    padded[:, :n] = v
    blocks = padded.reshape(batch, n_blocks, BLOCK)
    toeplitz, ramp = _powers(c, v.dtype)
    local = cupy.matmul(blocks, toeplitz.T)
    if n_blocks > 1:
        ends = scan(cupy.ascontiguousarray(local[:, :, -1]), float(c) ** BLOCK)
        local[:, 1:, :] += ends[:, :-1, None] * ramp
    return local.reshape(batch, n_blocks * BLOCK)[:, :n]


def first_order_filter(x, b, a, zi):
    """See :func:`sigpu._kernels.recurrence_numba.first_order_filter`."""
    x = cupy.ascontiguousarray(x)
    b0 = x.dtype.type(b[0])
    b1 = x.dtype.type(b[1] if len(b) > 1 else 0.0)
    a1 = float(a[1])
    v = b0 * x
    v[:, 1:] += b1 * x[:, :-1]
    v[:, 0] += zi
    y = scan(v, -a1)
    zf = b1 * x[:, -1] - x.dtype.type(a1) * y[:, -1]
    return y, zf
