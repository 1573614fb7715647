"""``cupy.fft.config``: the per-device cuFFT plan cache (LRU, 16 plans by default, no memory
limit: CuPy's defaults), so that tests can see how many plans sigpu's calls create."""

import threading
from collections import OrderedDict

from .. import N_DEVICES, _current


class PlanCache:
    def __init__(self, size=16):
        self._size = size
        self._memsize = -1
        self._plans = OrderedDict()
        self._lock = threading.Lock()
        self.created = 0  # plans made since the last clear(), for tests

    def _use(self, key):
        with self._lock:
            if key in self._plans:
                self._plans.move_to_end(key)
                return
            self.created += 1
            if self._size == 0:
                return
            self._plans[key] = True
            while self._size > 0 and len(self._plans) > self._size:
                self._plans.popitem(last=False)

    def set_size(self, size):
        self._size = int(size)
        with self._lock:
            while self._size >= 0 and len(self._plans) > self._size:
                self._plans.popitem(last=False)

    def get_size(self):
        return self._size

    def set_memsize(self, size):
        self._memsize = int(size)

    def get_memsize(self):
        return self._memsize

    def get_curr_size(self):
        return len(self._plans)

    def clear(self):
        with self._lock:
            self._plans.clear()
            self.created = 0

    def show_info(self):
        print(f"emulated cuFFT plan cache: {len(self._plans)} / {self._size} plans")


_caches = [PlanCache() for _ in range(N_DEVICES)]


def get_plan_cache():
    return _caches[_current()]


def _register_plan(kind, a, args, kwargs):
    """A cuFFT plan is keyed by the transform, the array's shape and dtype and the axes."""
    key = (kind, tuple(a.shape), str(a.dtype), tuple(args), tuple(sorted(kwargs.items())))
    _caches[_current()]._use(repr(key))
