"""``cupyx`` of the emulated CuPy: ``cupyx.scipy.fft`` and ``cupyx.scipy.ndimage.median_filter``."""

from . import scipy  # noqa: F401
