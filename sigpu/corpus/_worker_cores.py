"""Each worker of a local cluster on its own share of the CPUs.

sigpu's CPU code sizes its thread pool and its FFT threads by the CPUs its process may
run on (its affinity mask).  Worker processes started on a machine's every CPU would each
use all of them, ``workers`` times as many threads as cores: they contend, and a single
worker would use more cores than its name says.  Pinned to ``cpus / workers`` of them
each, ``n`` workers use ``n`` shares and sigpu's threads stay within their worker's.

Imported by :func:`sigpu.corpus.local_cluster` only (it needs distributed).
"""

from __future__ import annotations

import os

import distributed


def share(index: int, n_workers: int, cpus) -> list[int]:
    """The CPUs of worker ``index`` of ``n_workers``: consecutive equal shares of
    ``cpus`` (sorted), or one CPU, round robin, where the workers outnumber them."""
    cpus = sorted(cpus)
    if n_workers >= len(cpus):
        return [cpus[index % len(cpus)]]
    return cpus[index * len(cpus) // n_workers : (index + 1) * len(cpus) // n_workers]


class OwnCores(distributed.WorkerPlugin):
    """Pins the worker named ``i`` (LocalCluster names its workers 0 .. n-1, and a
    worker restarted by its nanny keeps its name) to ``share(i, n_workers, cpus)`` of
    the CPUs the worker process may run on, before it runs any task."""

    name = "sigpu-own-cores"

    def __init__(self, n_workers: int):
        self.n_workers = n_workers

    def setup(self, worker):
        if not hasattr(os, "sched_setaffinity"):  # not on Linux: leave it to the OS
            return
        index = int(worker.name) % self.n_workers
        os.sched_setaffinity(0, share(index, self.n_workers, os.sched_getaffinity(0)))
