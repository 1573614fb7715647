"""Interleaved timing shared by the topic comparison scripts."""

from __future__ import annotations

import statistics
import time


def interleaved_rounds(runs, repeat, sync=lambda: None):
    """Seconds of each callable in ``runs`` (a dict) per round: ``{name: [t_1, ...]}``, the
    callables run in turn ``repeat`` times, so that a change of machine load hits every
    implementation alike.  Each timed call follows an untimed call of the same callable:
    right after a torch call its OpenMP threads still spin and its data fills the caches,
    and the next library's time would include that.  ``sync`` waits for queued GPU work,
    so the times are the work, not the launch."""
    times = {name: [] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            fn()
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - t0)
    return times


def interleaved_times(runs, repeat, sync=lambda: None):
    """Median seconds of each callable in ``runs``: :func:`interleaved_rounds` after one
    warm-up call each (numba compile, FFT plans, torch kernel selection, tables)."""
    for fn in runs.values():
        fn()
        sync()
    rounds = interleaved_rounds(runs, repeat, sync)
    return {name: statistics.median(ts) for name, ts in rounds.items()}
