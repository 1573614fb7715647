"""The Zarr v3 store of a corpus run.

Layout (``OUT.zarr``)::

    attributes "sigpu"   sigpu version, feature, options, sr, mono, dtype, res_type
    features/<key>       one array per file; attributes: path, content_hash, data_hash,
                         duration, samplerate, channels, shape, complete
    partial/<key>-<id>   arrays being written (empty between runs)
    table/<column>       one row per stored file: path, key, duration, samplerate,
                         channels, shape, content_hash
    failures/<column>    one row per file that failed in the last run: path, error

An array is written whole under ``partial/`` and then renamed into ``features/`` (one
atomic rename on a POSIX file system): a run stopped mid-write leaves nothing under
``features/`` that looks complete, and the next run clears ``partial/``.  The tables are
rebuilt from the arrays' attributes at the end of every run, so they list what the store
holds whatever happened before.  Everything is written by :mod:`._zarr_v3` (the format
itself, straight to the file system); zarr-python reads it.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid

import numpy as np

from .._errors import ParameterError
from ._inputs import array_hash
from ._optional import require
from ._zarr_v3 import read_metadata, write_array, write_group

FEATURES = "features"
PARTIAL = "partial"
TABLE_COLUMNS = ("path", "key", "duration", "samplerate", "channels", "shape", "content_hash")
#: Bytes of an array's chunk along time (a reader slices time).
CHUNK_BYTES = 4 << 20


def jsonable(value):
    """``value`` as JSON can hold it: tuples as lists, NumPy scalars as numbers, a
    callable by its qualified name."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value)}"
    return repr(value)


def open_store(out: str, parameters: dict) -> None:
    """Create the store, or check that it holds features of these ``parameters``: a
    store of other parameters is refused, since resuming it would mix two kinds of
    arrays.  Clears ``partial/``."""
    # zarr-python reads the store (and verifies arrays on a re-run); its numcodecs
    # encodes the chunks written here
    require("zarr", "sigpu.corpus (the Zarr store)")
    wanted = json.loads(json.dumps(jsonable(parameters)))
    root = read_metadata(out)
    held = None if root is None else root.get("attributes", {}).get("sigpu")
    if held is not None:
        differing = sorted(k for k in set(held) | set(wanted) if held.get(k) != wanted.get(k))
        if differing:
            changes = ", ".join(
                f"{k}: {held.get(k)!r} there, {wanted.get(k)!r} here" for k in differing
            )
            raise ParameterError(
                f"out={str(out)!r} holds features computed with other parameters ({changes}); "
                "write to another store or delete it"
            )
    else:
        attributes = {} if root is None else dict(root.get("attributes", {}))
        write_group(out, dict(attributes, sigpu=wanted))
    if read_metadata(os.path.join(out, FEATURES)) is None:
        write_group(os.path.join(out, FEATURES), {})
    clear_partial(out)


def clear_partial(out: str) -> None:
    """Remove what interrupted writes left under ``partial/`` (no run is writing now)."""
    shutil.rmtree(os.path.join(out, PARTIAL), ignore_errors=True)
    write_group(os.path.join(out, PARTIAL), {})


def stored_attributes(out: str, key: str):
    """The attributes of the array ``features/<key>``, or None where there is none (one
    file read: most keys of a fresh run are new)."""
    metadata = read_metadata(os.path.join(out, FEATURES, key))
    if metadata is None or metadata.get("node_type") != "array":
        return None
    return metadata.get("attributes", {})


def stored_and_intact(out: str, key: str, source_hash: str):
    """The attributes of ``features/<key>`` if it is complete, of the same source file
    and unchanged (its values, read back through zarr-python, hash to the
    ``data_hash`` written with them), else None."""
    attrs = stored_attributes(out, key)
    if not attrs or not attrs.get("complete") or attrs.get("content_hash") != source_hash:
        return None
    zarr = require("zarr", "sigpu.corpus (the Zarr store)")
    array = zarr.open_array(os.path.join(out, FEATURES, key), mode="r")
    return attrs if attrs.get("data_hash") == array_hash(array[...]) else None


def write_feature(out: str, key: str, values: np.ndarray, attrs: dict) -> None:
    """Write ``features/<key>``: whole, with its attributes (completion mark included),
    under a fresh name in ``partial/``, then renamed into place, replacing an older
    array of that key."""
    if values.dtype.kind != "f":
        raise TypeError(f"write_feature: {values.dtype} features; real floats expected")
    temporary = os.path.join(out, PARTIAL, f"{key}-{uuid.uuid4().hex[:12]}")
    attributes = dict(attrs, data_hash=array_hash(values), shape=list(values.shape), complete=True)
    write_array(temporary, values, jsonable(attributes), _chunks(values))
    final = os.path.join(out, FEATURES, key)
    if os.path.exists(final):
        shutil.rmtree(final)
    os.rename(temporary, final)


def _chunks(values) -> tuple:
    # whole leading axes, time (last) in pieces of about CHUNK_BYTES
    row = max(1, values.itemsize * int(np.prod(values.shape[:-1])))
    return values.shape[:-1] + (max(1, min(values.shape[-1], CHUNK_BYTES // row)),)


def complete_rows(out: str) -> list[dict]:
    """The table rows of every complete array in the store."""
    rows = []
    for key in sorted(os.listdir(os.path.join(out, FEATURES))):
        attrs = stored_attributes(out, key)
        if attrs and attrs.get("complete"):
            rows.append(
                dict(
                    path=attrs["path"],
                    key=key,
                    duration=attrs["duration"],
                    samplerate=attrs["samplerate"],
                    channels=attrs["channels"],
                    shape=json.dumps(attrs["shape"]),
                    content_hash=attrs["content_hash"],
                )
            )
    return rows


def write_table(out: str, name: str, columns, rows) -> None:
    """The group ``name``: a table as one 1-D array per column (strings, float64 or
    int64), built under ``partial/`` and renamed into place."""
    temporary = os.path.join(out, PARTIAL, f"{name}-{uuid.uuid4().hex[:12]}")
    write_group(temporary, {})
    for column in columns:
        values = [row[column] for row in rows]
        if all(isinstance(v, str) for v in values):
            data = np.array(values, dtype=object)
        elif all(isinstance(v, int) for v in values):
            data = np.array(values, dtype=np.int64)
        else:
            data = np.array(values, dtype=np.float64)
        write_array(os.path.join(temporary, column), data, {}, (max(1, len(values)),))
    final = os.path.join(out, name)
    shutil.rmtree(final, ignore_errors=True)
    os.rename(temporary, final)
