"""Interleaved timing shared by the topic comparison scripts."""

from __future__ import annotations

import statistics
import time


def interleaved_times(runs, repeat, sync=lambda: None):
    """Median seconds of each callable in ``runs`` (a dict), run in turn ``repeat`` times
    after one warm-up each, so that a change of machine load hits every implementation
    alike.  Each timed call follows an untimed call of the same callable: right after a
    torch call its OpenMP threads still spin and its data fills the caches, and the next
    library's time would include that (as in compare.py's goal checks).  ``sync`` waits
    for queued GPU work, so the times are the work, not the launch."""
    for fn in runs.values():
        fn()  # warm-up: numba compile, FFT plans, torch kernel selection, tables
        sync()
    times = {name: [] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            fn()
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}
