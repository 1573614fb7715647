"""sigpu.corpus.extract: audio files -> features on a Dask cluster -> a Zarr store."""

from __future__ import annotations

import os
import time

import numpy as np

from .. import __version__, _resample
from .._backend import on_input_device
from .._errors import ParameterError
from .._validate import is_int, one_of, optional_real_dtype, positive_float, positive_int
from . import _inputs, _store
from ._cluster import check_cluster_request, client_for
from ._features import feature_spec
from ._progress import ExtractSummary, Progress
from ._tasks import Job, process_batch

#: Bytes of audio files per task when ``files_per_task`` is None: a task long enough that
#: Dask's per-task cost (about a millisecond) is lost in it, short enough to balance.
BYTES_PER_TASK = 4 << 20


@on_input_device
def extract(
    inputs,
    *,
    feature,
    sr=22050,
    out,
    options=None,
    client=None,
    backend="numpy",
    workers=None,
    mono=True,
    dtype=np.float32,
    res_type="sinc_hq",
    files_per_task=None,
    progress=True,
):
    """Compute a feature for every audio file of a corpus on Dask, into a Zarr store.

    Each file is loaded with :func:`sigpu.load` (resampled to ``sr``, averaged to mono
    unless ``mono=False``) and analysed with the sigpu function that ``feature`` names;
    the result is stored as one array per file.  Files go to Dask workers in tasks of
    similar sizes, largest first.

    Parameters
    ----------
    inputs : str, path-like or list of them
        Files, directories (searched recursively for audio extensions) and glob
        patterns (``**`` recurses).
    feature : str
        One of ``sigpu.corpus.FEATURES``: "stft" (magnitude), "mel", "mfcc", "cqt",
        "vqt" (magnitudes), "chroma_stft", "chroma_cqt", "gammatone", "reassigned"
        (freqs, times, mags stacked on a first axis of 3), "linear_reassignment".
    sr : float > 0
        Sampling rate the files are resampled to, and the feature's ``sr``.
    out : str or path-like
        The Zarr v3 store (a directory), created if new.  Every worker writes to it: on
        a multi-machine cluster it must be on a file system they share.
    options : dict or None
        Keyword arguments of the feature function (``n_mels``, ``hop_length``, ...),
        checked before any file is read.
    client : distributed.Client, str or None
        An existing client, or a scheduler address (``"tcp://host:8786"``); None
        starts a local cluster for the run and closes it afterwards.
    backend : {"numpy", "cupy"}
        Where workers compute: the CPU, or their GPU (CuPy).  The local cluster of
        ``backend="cupy"`` is dask-cuda's LocalCUDACluster, one worker per GPU.
    workers : int >= 1 or None
        Workers of the local cluster: processes (default: one per CPU core), or GPUs.
    mono, dtype, res_type
        As for :func:`sigpu.load` (``dtype`` float32 or float64).
    files_per_task : int >= 1 or None
        Files per Dask task; None groups files up to 4 MiB of audio files per task.
    progress : bool
        Show a progress bar (tqdm where installed, else a line) on stderr.

    Returns
    -------
    summary : ExtractSummary
        Counts of written, skipped and failed files, audio duration, wall time and
        realtime factor; ``str(summary)`` is the report the CLI prints.

    Raises
    ------
    sigpu.ParameterError
        An unknown feature, an option its function refuses, inputs that name no file,
        or a store holding features computed with other parameters.
    TypeError
        Inputs, options or client of the wrong type.
    ImportError
        dask, distributed or zarr (the ``corpus`` extra) missing, or dask-cuda for
        ``backend="cupy"`` without ``client``.

    See Also
    --------
    sigpu.load : Load an audio file.
    sigpu.corpus.melspectrogram : Mel spectrogram of a long recording (Dask array).

    Notes
    -----
    Backends: NumPy on CPU workers, CuPy on GPU workers (the audio is decoded on the
    host).  Each stored array equals ``sigpu.load`` followed by the feature call in
    one process with one BLAS thread (as in a Dask worker process), value for value.
    Files that cannot be read, are empty or fail in the feature are listed in
    ``summary.failures`` and the store's ``failures`` table; the run goes on.  A
    re-run skips every file whose array is complete, of a file with the same content
    hash, and intact (its data hash is verified); it writes the others.  Arrays are
    written under ``partial/`` and renamed into ``features/`` when whole, so an
    interrupted run leaves no half-written array that looks complete.  A worker that
    dies mid-run loses nothing: Dask runs its tasks again elsewhere, and tasks are
    idempotent.  One run at a time per store.  Store layout: docs "Scaling out".

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile
    >>> import sigpu.corpus
    >>> folder = tempfile.mkdtemp()
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> soundfile.write(os.path.join(folder, "a.wav"), tone, 22050)
    >>> summary = sigpu.corpus.extract(  # doctest: +SKIP
    ...     folder, feature="mel", sr=22050, out=os.path.join(folder, "mel.zarr"),
    ...     options=dict(n_mels=64), workers=1, progress=False)
    >>> summary.written, summary.failures  # doctest: +SKIP
    (1, {})
    """
    started = time.perf_counter()
    job, paths, tasks = _plan(
        inputs, feature, sr, out, options, backend, mono, dtype, res_type, files_per_task
    )
    check_cluster_request(backend, client, workers)
    _store.open_store(job.out, _parameters(job))
    with client_for(client, backend=backend, workers=workers) as dask_client:
        rows = _run(dask_client, tasks, job, Progress(len(paths), bool(progress)))
    failures = {row["path"]: row["error"] for row in rows if row["status"] == "failed"}
    _store.clear_partial(job.out)  # what tasks lost with their workers left there
    _store.write_table(job.out, "table", _store.TABLE_COLUMNS, _store.complete_rows(job.out))
    _store.write_table(
        job.out, "failures", ("path", "error"), [dict(path=p, error=e) for p, e in failures.items()]
    )
    written = [row for row in rows if row["status"] == "written"]
    return ExtractSummary(
        files=len(paths),
        written=len(written),
        skipped=sum(row["status"] == "skipped" for row in rows),
        failures=failures,
        audio_seconds=float(sum(row["duration"] for row in written)),
        seconds=time.perf_counter() - started,
        out=job.out,
    )


def _plan(inputs, feature, sr, out, options, backend, mono, dtype, res_type, files_per_task):
    """The job, the files and their tasks, every argument checked."""
    backend = one_of(backend, "backend", ("numpy", "cupy"))
    sr = int(sr) if is_int(sr) and sr > 0 else positive_float(sr, "sr")  # as load gets it
    real = optional_real_dtype(dtype, "dtype")
    if real is None:
        raise TypeError("extract: dtype=None must be float32 or float64")
    res_type = one_of(res_type, "res_type", _resample.RES_TYPES)
    if files_per_task is not None:
        files_per_task = positive_int(files_per_task, "files_per_task")
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out={out!r} must be a path (str or path-like) of a Zarr store")
    if "://" in os.fspath(out):
        raise ParameterError(
            f"out={out!r} must be a directory on a file system the workers share (arrays "
            "are renamed into place when complete), not a URL"
        )
    spec = feature_spec(feature, options, sr, real)
    paths = _inputs.audio_files(inputs)
    job = Job(
        out=os.path.abspath(os.fspath(out)),
        spec=spec,
        sr=sr,
        mono=bool(mono),
        dtype=real.name,
        res_type=res_type,
        backend=backend,
    )
    return job, paths, _inputs.batches(paths, files_per_task, BYTES_PER_TASK)


def _parameters(job: Job) -> dict:
    """What the store records: what the arrays are, and which sigpu computed them."""
    return dict(
        version=__version__,
        feature=job.spec.name,
        options=job.spec.options,
        sr=job.sr,
        mono=job.mono,
        dtype=job.dtype,
        res_type=job.res_type,
    )


def _run(client, tasks, job, progress) -> list[dict]:
    """Submit every task, collect their rows as they finish; a task Dask gives up on
    (its workers died more often than ``distributed.scheduler.allowed-failures``) makes
    failure rows for its files, and the run goes on."""
    from ._optional import require

    distributed = require("distributed", "sigpu.corpus.extract")
    futures = {client.submit(process_batch, batch, job, pure=False): batch for batch in tasks}
    rows = []
    try:
        for future in distributed.as_completed(futures):
            try:
                batch_rows = future.result()
            except Exception as err:  # the task itself was lost (e.g. KilledWorker)
                batch_rows = [
                    dict(path=p, status="failed", error=f"{type(err).__name__}: {err}")
                    for p in futures[future]
                ]
            rows.extend(batch_rows)
            progress.update(len(batch_rows))
    finally:
        progress.close()
    return rows
