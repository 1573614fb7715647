"""First-order IIR filtering on the CPU: ``scipy.signal.lfilter``'s compiled loop, or for
short rows the same recurrence stepped in NumPy over all rows at once; same contract as
``recurrence_cuda``.  No numba: lfilter is the reference librosa uses, and both paths give
its values bit for bit (the same operations in the same order and precision).

``scipy.signal`` is imported on the first row longer than :data:`NUMPY_MAX_LENGTH` only:
importing it (scipy.stats with it) takes about as long as numba's start-up (0.4 s on an
idle 2-core VM, seconds under load; docs/performance.md, issue 20), more than stepping a
short row in Python.  Once something has imported it, lfilter serves every row: stepping
costs microseconds per sample, lfilter nanoseconds.
"""

from __future__ import annotations

import sys

import numpy as np

from .._backend import import_module

#: Row length up to which the recurrence is stepped in NumPy (a few microseconds per
#: sample, whatever the number of rows; measured: docs/performance.md, issue 20, session 8).
NUMPY_MAX_LENGTH = 1 << 13


def _first_order_numpy(x, b0, b1, a1, zi):
    """scipy's transposed direct form II for one pole, one step per sample over all rows:
    ``y[n] = z + b0 x[n]``, then ``z = x[n] b1 - y[n] a1``."""
    columns = np.ascontiguousarray(x.T)  # a step reads and writes contiguous rows
    y = np.empty_like(columns)
    state = zi.copy()
    for n, sample in enumerate(columns):
        y[n] = state + b0 * sample
        state = sample * b1 - y[n] * a1
    return np.ascontiguousarray(y.T), state


def _lfilter_loaded() -> bool:
    """Whether ``scipy.signal`` is imported already (then lfilter costs nothing to reach)."""
    return "scipy.signal" in sys.modules


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
    if x.shape[-1] <= NUMPY_MAX_LENGTH and not _lfilter_loaded():
        # lfilter pads b with zeros to a's length; a[0] == 1 makes its normalisation exact
        b0, b1 = (x.dtype.type(c) for c in (*b, 0.0)[:2])
        return _first_order_numpy(x, b0, b1, x.dtype.type(a[1]), zi)
    lfilter = import_module("scipy.signal").lfilter  # under sigpu's import lock
    b = np.asarray(b, dtype=x.dtype)
    a = np.asarray(a, dtype=x.dtype)
    y, zf = lfilter(b, a, x, axis=-1, zi=zi[:, None])
    return y, zf[:, 0]
