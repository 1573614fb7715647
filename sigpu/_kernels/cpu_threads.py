"""The CPU thread pool the numba kernels share to run independent blocks of work.

numba kernels compiled with ``nogil=True`` and NumPy's matmul release the GIL, so plain
Python threads run them in parallel, each on its own cache-sized block: one parallel region
per call instead of a fork/join inside every kernel (measured on the reassignment: scipy's
FFT threads and numba's OpenMP threads handing the cores back and forth every batch made two
cores no faster than one).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from .._backend import (
    BLOCK_THREAD_PREFIX,
    namespace_for,
    on_block_thread,
    single_threaded_blas,
    usable_cpus,
)

_NUMPY = namespace_for(None)


#: Threads of the pool (tests change it to compare one thread with several).
WORKERS = usable_cpus()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _sequence(items):
    """``items`` with a length and indexing: a range stays a range (no list of its ints)."""
    return items if isinstance(items, (list, tuple, range)) else list(items)


def run_blocks(func, items):
    """``[func(item) for item in items]`` on the pool, in item order, however few items.

    Called from one of the pool's own threads (a block whose work uses the pool again), it
    runs the items in that thread: waiting there for the pool could deadlock, since the
    pool's threads may all be busy with the outer blocks.
    """
    global _pool
    if on_block_thread():
        return [func(item) for item in items]
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=BLOCK_THREAD_PREFIX)
    # One task per thread, each taking the next item until none is left: a Future per item
    # (the executor's map) cost ~2 KB each, 3 MiB for the 1615 blocks of a 10-minute STFT.
    items = _sequence(items)
    results = [None] * len(items)
    taken = iter(range(len(items)))
    take_lock = threading.Lock()
    failed = threading.Event()

    def drain():
        while not failed.is_set():
            with take_lock:
                index = next(taken, None)
            if index is None:
                return
            try:
                results[index] = func(items[index])
            except BaseException:
                failed.set()  # the other threads stop taking items
                raise

    with single_threaded_blas(_NUMPY):
        tasks = [_pool.submit(drain) for _ in range(min(WORKERS, len(items)))]
        for task in tasks:
            task.result()
    return results


def map_blocks(func, items):
    """``[func(item) for item in items]``, in item order, spread over the pool.

    ``func`` must only write to disjoint outputs.  Fewer than two items per thread run in
    the calling thread (dynamic scheduling only pays with some items to balance).
    """
    items = _sequence(items)
    if WORKERS == 1 or len(items) < 2 * WORKERS:
        return [func(item) for item in items]
    return run_blocks(func, items)


def map_ranges(func, size: int, block: int, *, serial_max: int = 0):
    """``[func(start, stop), ...]`` over ``range(size)`` cut into consecutive ranges of at
    most ``block`` indices, in order, spread over the pool as :func:`map_blocks`; in the
    calling thread when ``size <= serial_max`` (memory-bound work too small to pay for
    waking the pool)."""
    ranges = range(0, size, block)
    if size <= serial_max:
        return [func(start, min(start + block, size)) for start in ranges]
    return map_blocks(lambda start: func(start, min(start + block, size)), ranges)


def map_partitions(func, n_items: int):
    """``[func(range(w, n_items, W)) for w in range(W)]``: a fixed split of ``n_items``.

    Each call gets every ``W``-th item, so which items a partial result holds, and hence
    the order of any floating-point sums over them, does not depend on timing.  ``W`` is
    ``min(WORKERS, n_items)`` (at least 1).
    """
    n_parts = max(1, min(WORKERS, n_items))
    parts = [range(w, n_items, n_parts) for w in range(n_parts)]
    if n_parts == 1:
        return [func(parts[0])]
    return run_blocks(func, parts)
