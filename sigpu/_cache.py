"""Constant tables: built once in float64 on the host, copied once per device and dtype.

Two layers (DESIGN.md section 2):

* :func:`host_table` decorates a builder whose arguments are hashable; the
  result (a NumPy array or a tuple of them) is cached by those arguments and
  made read-only, so a cached table can never be modified by a caller.
* :func:`on_device` copies such a host table to the caller's namespace,
  device and dtype, once per ``(table, backend, device, dtype)``.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

import numpy as np

from ._backend import asarray_on, device_key

_MAX_DEVICE_COPIES = 256


def _freeze(value):
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple):
        for v in value:
            _freeze(v)
    return value


def host_table(func=None, *, maxsize: int = 64):
    """Decorator: cache a host-table builder by its (hashable) arguments.

    The returned arrays are read-only; copy before modifying.
    """

    def decorate(builder):
        cached = functools.lru_cache(maxsize=maxsize)(builder)

        @functools.wraps(builder)
        def wrapper(*args, **kwargs):
            return _freeze(cached(*args, **kwargs))

        wrapper.cache_clear = cached.cache_clear
        wrapper.cache_info = cached.cache_info
        return wrapper

    return decorate(func) if func is not None else decorate


_device_copies: OrderedDict = OrderedDict()
_lock = threading.Lock()


def on_device(host: np.ndarray, xp, dtype, device=None):
    """``host`` as an array of ``xp`` on ``device`` with ``dtype``, cached.

    ``host`` must be a read-only table from a :func:`host_table` builder (the
    cache is keyed by its identity and keeps it alive).  On NumPy with the
    same dtype the host table itself is returned (read-only, no copy).
    """
    key = (id(host), device_key(xp, device), np.dtype(dtype).str)
    with _lock:
        hit = _device_copies.get(key)
        if hit is not None and hit[0] is host:
            _device_copies.move_to_end(key)
            return hit[1]
    copy = asarray_on(host, xp, dtype, device)
    if isinstance(copy, np.ndarray) and copy.flags.writeable:
        copy.flags.writeable = False
    with _lock:
        _device_copies[key] = (host, copy)
        if len(_device_copies) > _MAX_DEVICE_COPIES:
            _device_copies.popitem(last=False)
    return copy
