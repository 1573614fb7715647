"""Interleaved timing shared by the topic comparison scripts."""

from __future__ import annotations

import statistics
import time


def interleaved_rounds(runs, repeat, sync=lambda: None, clock=time.perf_counter):
    """Seconds of each callable in ``runs`` (a dict) per round: ``{name: [t_1, ...]}``, the
    callables run in turn ``repeat`` times, so that a change of machine load hits every
    implementation alike.  Each timed call follows an untimed call of the same callable:
    right after a torch call its OpenMP threads still spin and its data fills the caches,
    and the next library's time would include that.  ``sync`` waits for queued GPU work,
    so the times are the work, not the launch.  ``clock``: ``time.process_time`` gives the
    CPU time of a pinned one-thread run, which other processes on its core do not inflate."""
    times = {name: [] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            fn()
            sync()
            t0 = clock()
            fn()
            sync()
            times[name].append(clock() - t0)
    return times


def interleaved_times(runs, repeat, sync=lambda: None, clock=time.perf_counter):
    """Median seconds of each callable in ``runs``: :func:`interleaved_rounds` after one
    warm-up call each (numba compile, FFT plans, torch kernel selection, tables)."""
    for fn in runs.values():
        fn()
        sync()
    rounds = interleaved_rounds(runs, repeat, sync, clock)
    return {name: statistics.median(ts) for name, ts in rounds.items()}
