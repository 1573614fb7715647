"""``cupy.linalg``: NumPy's, on device arrays."""

import numpy as _np

from . import _function

__all__ = [n for n in dir(_np.linalg) if not n.startswith("_") and callable(getattr(_np.linalg, n))]
for _n in __all__:
    globals()[_n] = _function("linalg." + _n, getattr(_np.linalg, _n))
