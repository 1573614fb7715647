"""The Dask client of a corpus run: the caller's, one connected to a scheduler address,
a LocalCluster of worker processes on this machine, or (``backend="cupy"``) a
LocalCUDACluster of dask-cuda with one worker per GPU."""

from __future__ import annotations

import contextlib
import logging
import os

from .._errors import ParameterError
from .._validate import positive_int
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
    with _local_cluster(distributed, backend, workers) as cluster:
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


def _local_cluster(distributed, backend, workers):
    # ":0": the scheduler's HTTP server (dashboard, metrics) on a free port; None would
    # still take 8787 and fail where another cluster holds it
    quiet = dict(dashboard_address=":0", silence_logs=logging.ERROR)
    if backend == "cupy":
        check_cluster_request(backend, None, workers)
        dask_cuda = require("dask_cuda", "backend='cupy' (one worker per GPU)")
        devices = None if workers is None else ",".join(map(str, range(workers)))
        return dask_cuda.LocalCUDACluster(CUDA_VISIBLE_DEVICES=devices, **quiet)
    n_workers = workers or os.cpu_count() or 1
    # one thread per worker process: decoding and the features' kernels hold the GIL
    # partly, processes scale where threads would not
    return distributed.LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, **quiet
    )


def _gpu_count() -> int:
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # no cupy, no driver, no device
        return 0
