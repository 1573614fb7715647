"""What a Dask worker runs: a batch of files -> features -> arrays in the store.

A task is idempotent: it skips a file whose array is complete, of the same content and
intact, and otherwise (re)writes the whole array, completion mark last.  So a task that
Dask runs again (its worker died) or a run started again writes nothing twice and loses
nothing.  A file that cannot be read or analysed becomes a failure row; the batch goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import audio
from .._backend import import_module
from ._features import FeatureSpec
from ._inputs import content_hash, store_key
from ._store import stored_and_intact, write_feature


@dataclass(frozen=True)
class Job:
    """Everything a worker needs besides the paths (sent once per task, small)."""

    out: str
    spec: FeatureSpec
    sr: float
    mono: bool
    dtype: str
    res_type: str
    backend: str


def features_of(path, job: Job):
    """The feature array of one file, on the host: ``sigpu.load`` then the feature on
    ``job.backend`` (``cupy``: the decoded samples are copied to the worker's GPU).
    Returns ``(values, native samplerate, channels, duration in seconds)``."""
    y, _ = audio.load(
        path, sr=job.sr, mono=job.mono, dtype=np.dtype(job.dtype), res_type=job.res_type
    )
    info = import_module("soundfile").info(path)
    if job.backend == "cupy":
        cupy = import_module("cupy")
        values = job.spec.compute(cupy.asarray(y), job.sr).get()
    else:
        values = job.spec.compute(y, job.sr)
    return np.ascontiguousarray(values), int(info.samplerate), int(info.channels), info.duration


def process_batch(paths, job: Job) -> list[dict]:
    """Compute and store the features of ``paths``; one result row per file, with
    ``status`` "written", "skipped" (already stored, verified) or "failed" (``error``)."""
    return [_process_file(path, job) for path in paths]


def _process_file(path, job: Job) -> dict:
    key = store_key(path)
    start = time.perf_counter()
    try:
        source_hash = content_hash(path)
        stored = stored_and_intact(job.out, key, source_hash)
        if stored:
            return dict(path=path, status="skipped", duration=stored["duration"])
        values, samplerate, channels, duration = features_of(path, job)
        attrs = dict(
            path=path,
            content_hash=source_hash,
            duration=duration,
            samplerate=samplerate,
            channels=channels,
        )
        write_feature(job.out, key, values, attrs)
    except Exception as err:  # any file's failure is recorded; the others go on
        return dict(path=path, status="failed", error=f"{type(err).__name__}: {err}")
    return dict(path=path, status="written", duration=duration, seconds=time.perf_counter() - start)
