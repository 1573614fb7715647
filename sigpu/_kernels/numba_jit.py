"""``njit`` for every numba kernel: compiled code cached on disk where numba can write it.

``numba.njit(cache=True)`` raises "cannot cache function ...: no locator available" at
import when neither the package's ``__pycache__`` (read-only site-packages), nor
``NUMBA_CACHE_DIR``, nor the user cache directory (unwritable home) is writable.  The
kernels then compile in memory on first use instead: the same machine code, paid once
per process rather than once per installation.
"""

from __future__ import annotations

import numba

NO_LOCATOR = "no locator available"


def njit(**options):
    """``numba.njit(cache=True, **options)``, or without the cache where none can be written."""

    def decorate(func):
        try:
            return numba.njit(cache=True, **options)(func)
        except RuntimeError as err:
            if NO_LOCATOR not in str(err):
                raise
            return numba.njit(**options)(func)

    return decorate
