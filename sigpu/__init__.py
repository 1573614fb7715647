"""sigpu: one librosa/scipy-style signal-processing API for NumPy and CuPy arrays.

Pass a ``numpy.ndarray`` and the work runs on the CPU; pass a ``cupy.ndarray``
and it runs on its GPU, returning arrays of the same library, device and
precision.  ``import sigpu`` imports neither numba nor cupy.
"""

from ._errors import ParameterError

__version__ = "0.1.0.dev0"

__all__ = ["ParameterError", "__version__"]
