import numpy as _np

from .. import _check_device, ndarray


def as_strided(x, shape=None, strides=None):
    """A view of device memory (no copy, no allocation)."""
    _check_device([x])
    return ndarray(_np.lib.stride_tricks.as_strided(x._a, shape=shape, strides=strides), x._device)
