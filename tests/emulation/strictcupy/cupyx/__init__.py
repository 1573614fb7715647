"""``cupyx`` of the emulated CuPy: only ``cupyx.scipy.fft``."""

from . import scipy  # noqa: F401
