"""``cupyx.scipy.ndimage`` of the emulated CuPy: ``median_filter``, the filter sigpu uses,
with CuPy 14's signature (no ``axes``: the ``size`` or ``footprint`` covers every axis) and
scipy.ndimage's values on device arrays."""

import scipy.ndimage as _ndimage
from cupy import _function

_MODES = ("reflect", "constant", "nearest", "mirror", "wrap", "grid-mirror", "grid-wrap")


def _filter(name, scipy_filter):
    device_filter = _function("cupyx.scipy.ndimage." + name, scipy_filter)

    def call(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0, origin=0):
        if mode not in _MODES:
            raise RuntimeError(f"boundary mode not supported (mode={mode!r})")
        if size is None and footprint is None:
            raise RuntimeError("no footprint or filter size provided")
        return device_filter(
            input,
            size=size,
            footprint=footprint,
            output=output,
            mode=mode,
            cval=cval,
            origin=origin,
        )

    call.__name__ = call.__qualname__ = name
    return call


median_filter = _filter("median_filter", _ndimage.median_filter)
