"""``cupyx.scipy.fft``: scipy.fft's transforms on device arrays, with cuFFT's limits
(DCT types 2 and 3 only; ``next_fast_len`` over cuFFT's factors 2, 3, 5, 7)."""

import scipy.fft as _scipy_fft
from cupy import _function
from cupy.fft.config import _register_plan


def _planned(name):
    device_fft = _function("cupyx.scipy.fft." + name, getattr(_scipy_fft, name))

    def call(x, *args, workers=None, plan=None, **kwargs):
        if workers is not None:
            raise TypeError(f"cupyx.scipy.fft.{name}() got an unexpected keyword 'workers'")
        _register_plan(name, x, args, kwargs)
        return device_fft(x, *args, **kwargs)

    call.__name__ = name
    return call


fft, ifft, rfft, irfft = (_planned(n) for n in ("fft", "ifft", "rfft", "irfft"))
fftn, ifftn, rfftn, irfftn = (_planned(n) for n in ("fftn", "ifftn", "rfftn", "irfftn"))


def _real_transform(name):
    transform = _planned(name)

    def call(x, type=2, *args, **kwargs):
        if type in (1, 4):
            raise NotImplementedError("Only DCT-II and DCT-III have been implemented.")
        return transform(x, type, *args, **kwargs)

    call.__name__ = name
    return call


dct, idct = _real_transform("dct"), _real_transform("idct")


def next_fast_len(target, real=False):
    """The smallest 7-smooth integer >= target (cuFFT's fast sizes; scipy's differ)."""
    if target == 0:
        return 0
    best = None
    p7 = 1
    while p7 < 2 * target:
        p5 = p7
        while p5 < 2 * target:
            p3 = p5
            while p3 < 2 * target:
                n = p3
                while n < target:
                    n *= 2
                if best is None or n < best:
                    best = n
                p3 *= 3
            p5 *= 5
        p7 *= 7
    return best
