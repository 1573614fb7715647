"""First-order IIR filtering on the CPU: ``scipy.signal.lfilter``'s compiled loop; same
contract as ``recurrence_cuda``.  No numba: lfilter is the reference librosa uses, so the
values are its values bit for bit."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter


def first_order_filter(x, b, a, zi):
    """``lfilter(b, a, x, zi=zi)`` along the last axis for ``len(a) == 2``, ``len(b) <= 2``.

    Parameters
    ----------
    x : ndarray, shape (batch, n), float32 or float64, n >= 1
    b : tuple of 1 or 2 floats
        Numerator ``(b0,)`` or ``(b0, b1)``.
    a : tuple of 2 floats
        Denominator ``(1, a1)``: ``y[n] = b0 x[n] + b1 x[n-1] - a1 y[n-1]``.
    zi : ndarray, shape (batch,), ``x``'s dtype
        Initial state of scipy's transposed direct form II (``y[0] = b0 x[0] + zi``).

    Returns
    -------
    y : ndarray, shape (batch, n)
    zf : ndarray, shape (batch,)
        Final state, as lfilter returns it.
    """
    b = np.asarray(b, dtype=x.dtype)
    a = np.asarray(a, dtype=x.dtype)
    y, zf = lfilter(b, a, x, axis=-1, zi=zi[:, None])
    return y, zf[:, 0]
