"""``cupy.fft``: NumPy's FFTs on device arrays (single precision stays single, as in CuPy),
each call registering its cuFFT plan in the current device's plan cache."""

import numpy as _np

from .. import _function
from . import config
from .config import _register_plan

__all__ = [
    "fft",
    "ifft",
    "rfft",
    "irfft",
    "fftn",
    "ifftn",
    "rfftn",
    "irfftn",
    "fft2",
    "ifft2",
    "rfft2",
    "irfft2",
    "hfft",
    "ihfft",
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
]


def _planned(name):
    device_fft = _function("fft." + name, getattr(_np.fft, name))

    def call(a, *args, **kwargs):
        _register_plan(name, a, args, kwargs)
        return device_fft(a, *args, **kwargs)

    call.__name__ = name
    return call


for _name in __all__:
    if _name.endswith(("freq", "shift")):
        globals()[_name] = _function("fft." + _name, getattr(_np.fft, _name))
    else:
        globals()[_name] = _planned(_name)
__all__ += ["config"]
