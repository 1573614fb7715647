"""The Dask client of a corpus run: the caller's, one connected to a scheduler address,
a LocalCluster of worker processes on this machine, or (``backend="cupy"``) a
LocalCUDACluster of dask-cuda with one worker per GPU."""

from __future__ import annotations

import contextlib
import logging
import os

from .._backend import usable_cpus
from .._errors import ParameterError
from .._validate import one_of, positive_int
from ._optional import require


@contextlib.contextmanager
def client_for(client, *, backend: str, workers):
    """A ``distributed.Client`` for the run; a cluster started here is closed on exit."""
    distributed = require("distributed", "sigpu.corpus.extract")
    if isinstance(client, (str, os.PathLike)):
        with distributed.Client(os.fspath(client)) as connected:
            yield connected
        return
    if client is not None:
        if not isinstance(client, distributed.Client):
            raise TypeError(f"client={client!r} must be a distributed.Client or an address")
        yield client
        return
    with local_cluster(workers=workers, backend=backend) as cluster:
        with distributed.Client(cluster) as local:
            yield local


def check_cluster_request(backend: str, client, workers) -> None:
    """Fail now, before anything is written, where the cluster asked for cannot be had:
    ``workers`` with ``client``, dask-cuda missing or no GPU for ``backend="cupy"``."""
    if client is not None and workers is not None:
        raise ParameterError(f"workers={workers!r} starts a local cluster; pass it or client=")
    if workers is not None:
        positive_int(workers, "workers")
    if backend == "cupy" and client is None:
        require("dask_cuda", "backend='cupy' (one worker per GPU)")
        if not _gpu_count():
            raise RuntimeError("backend='cupy' needs a CUDA GPU; none is usable here")


def local_cluster(*, workers=None, backend="numpy"):
    """Start the Dask cluster :func:`extract` starts when no ``client`` is given.

    Keep it for several runs (``extract(..., client=distributed.Client(cluster))``) to
    pay the workers' start (processes, imports, sigpu's tables) once.

    Parameters
    ----------
    workers : int >= 1 or None
        Worker processes (default: one per CPU this process may run on) or, for
        ``backend="cupy"``, GPUs (default: all).
    backend : {"numpy", "cupy"}
        "numpy": a ``distributed.LocalCluster`` of single-threaded worker processes;
        "cupy": dask-cuda's ``LocalCUDACluster``, one worker per GPU.

    Returns
    -------
    cluster : distributed.LocalCluster
        Running; close it (or use it as a context manager) when done.

    Raises
    ------
    sigpu.ParameterError
        A bad ``workers`` or ``backend``.
    ImportError
        distributed missing, or dask-cuda for ``backend="cupy"``.
    RuntimeError
        ``backend="cupy"`` without a usable GPU.

    See Also
    --------
    sigpu.corpus.extract : Features of a corpus into a Zarr store.

    Notes
    -----
    Backends: CPU worker processes, or one worker per GPU.  The workers start without
    Dask's ``MALLOC_TRIM_THRESHOLD_=65536`` (its default for every worker): with it,
    each large temporary array of a feature call is a fresh ``mmap`` and its page
    faults, which made ``sigpu.load`` + ``melspectrogram`` 2-4 times slower in a
    worker than in the parent process (and librosa's too; benchmarks/compare_corpus.py).
    The workers' statistical profiler (the dashboard's profile page) is off: it took
    7-20 % of a worker's CPU time in sigpu's features.  The servers' housekeeping runs
    every 1-2 s instead of every 20-500 ms (event-loop tick, system monitor, the
    nanny's memory check of its worker): at Dask's defaults it took 4-8 % of a core in
    this process (the scheduler's) and 2-6 % in each worker.  Each CPU worker is pinned to
    its share of the CPUs this process may run on (one
    each with the default ``workers``): sigpu sizes its threads by a process's CPUs,
    and unpinned workers would each start threads for all of them.
    The scheduler's web server takes a free port.

    Examples
    --------
    >>> import distributed, sigpu.corpus
    >>> with sigpu.corpus.local_cluster(workers=1) as cluster:  # doctest: +SKIP
    ...     with distributed.Client(cluster) as client:
    ...         summary = sigpu.corpus.extract("audio/", feature="mel", out="mel.zarr",
    ...                                        client=client)
    """
    distributed = require("distributed", "sigpu.corpus.local_cluster")
    dask = require("dask", "sigpu.corpus.local_cluster")
    backend = one_of(backend, "backend", ("numpy", "cupy"))
    check_cluster_request(backend, None, workers)
    # ":0": the scheduler's HTTP server (dashboard, metrics) on a free port; None would
    # still take 8787 and fail where another cluster holds it
    quiet = dict(dashboard_address=":0", silence_logs=logging.ERROR)
    if os.environ.get(_MALLOC_TRIM) == str(_DASK_MALLOC_TRIM):
        # exported into this process by an earlier Dask nanny: it would win over the config
        del os.environ[_MALLOC_TRIM]
    settings = {
        f"distributed.nanny.pre-spawn-environ.{_MALLOC_TRIM}": None,
        # the workers' statistical profiler (the dashboard's profile page) takes the GIL
        # every 10 ms to walk the task's stack
        "distributed.worker.profile.enabled": False,
        # the servers' housekeeping, every 20 ms (event-loop health tick), 100 ms (the
        # nanny's look at its worker's memory) and 500 ms (system monitor), took 4-8 %
        # of a core in the scheduler's process and 2-6 % in a worker's, on the cores
        # the work runs on; 1-2 s cut that to 1 % and 0.5 %
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "2s",
        "distributed.worker.memory.monitor-interval": "1s",
    }
    with dask.config.set(settings):
        if backend == "cupy":
            dask_cuda = require("dask_cuda", "backend='cupy' (one worker per GPU)")
            devices = None if workers is None else ",".join(map(str, range(workers)))
            return dask_cuda.LocalCUDACluster(CUDA_VISIBLE_DEVICES=devices, **quiet)
        from ._worker_cores import OwnCores

        # one thread per worker process: decoding and the features' kernels hold the GIL
        # partly, processes scale where threads would not
        n_workers = workers or usable_cpus()
        return distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            plugins=(OwnCores(n_workers),),
            **quiet,
        )


_MALLOC_TRIM = "MALLOC_TRIM_THRESHOLD_"
_DASK_MALLOC_TRIM = 65536  # distributed.nanny.pre-spawn-environ's default


def _gpu_count() -> int:
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # no cupy, no driver, no device
        return 0
