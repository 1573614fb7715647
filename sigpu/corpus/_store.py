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
holds whatever happened before.
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

FEATURES = "features"
PARTIAL = "partial"
TABLE_COLUMNS = ("path", "key", "duration", "samplerate", "channels", "shape", "content_hash")


def _zarr():
    return require("zarr", "sigpu.corpus (the Zarr store)")


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


def open_store(out, parameters: dict):
    """The store's root group, created if new.  A store that holds features computed
    with other parameters is refused: resuming it would mix two kinds of arrays."""
    zarr = _zarr()
    root = zarr.open_group(str(out), mode="a")
    wanted = json.loads(json.dumps(jsonable(parameters)))
    held = root.attrs.get("sigpu")
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
        root.attrs["sigpu"] = wanted
    root.require_group(FEATURES)
    clear_partial(root, str(out))
    return root


def clear_partial(root, out: str) -> None:
    """Remove what interrupted writes left under ``partial/`` (no run is writing now)."""
    shutil.rmtree(os.path.join(out, PARTIAL), ignore_errors=True)
    root.require_group(PARTIAL)


def stored_and_intact(features, key: str, source_hash: str) -> bool:
    """Whether ``features/<key>`` is complete, of the same source file and unchanged."""
    if key not in features:
        return False
    array = features[key]
    attrs = array.attrs
    if not attrs.get("complete") or attrs.get("content_hash") != source_hash:
        return False
    return attrs.get("data_hash") == array_hash(array[...])


def write_feature(out: str, root, key: str, values: np.ndarray, attrs: dict) -> None:
    """Write ``features/<key>``: whole, with its attributes, under a fresh name in
    ``partial/``, then renamed into place, replacing an older array of that key."""
    temporary = f"{key}-{uuid.uuid4().hex[:12]}"
    array = root[PARTIAL].create_array(
        temporary,
        shape=values.shape,
        dtype=values.dtype,
        chunks=_chunks(values),
        attributes=dict(
            attrs, data_hash=array_hash(values), shape=list(values.shape), complete=True
        ),
    )
    array[...] = values
    final = os.path.join(out, FEATURES, key)
    if os.path.exists(final):
        shutil.rmtree(final)
    os.rename(os.path.join(out, PARTIAL, temporary), final)


def _chunks(values) -> tuple:
    # whole leading axes, time (last) in pieces of about 4 MiB: a reader slices time
    row = max(1, values.itemsize * int(np.prod(values.shape[:-1])))
    return values.shape[:-1] + (max(1, min(values.shape[-1], (4 << 20) // row)),)


def complete_rows(root) -> list[dict]:
    """The table rows of every complete array in the store."""
    rows = []
    for key, array in sorted(root[FEATURES].arrays()):
        attrs = array.attrs
        if attrs.get("complete"):
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


def write_table(root, name: str, columns, rows) -> None:
    """A table as one 1-D array per column (strings, float64 or int64)."""
    group = root.require_group(name)
    for column in columns:
        values = [row[column] for row in rows]
        if all(isinstance(v, str) for v in values):
            data = np.array(values, dtype=np.dtypes.StringDType())
        elif all(isinstance(v, int) for v in values):
            data = np.array(values, dtype=np.int64)
        else:
            data = np.array(values, dtype=np.float64)
        group.create_array(column, data=data, overwrite=True)


def read_table(root, name: str) -> dict:
    """``{column: numpy array}`` of a table written by :func:`write_table`."""
    if name not in root:
        return {}
    group = root[name]
    return {column: array[...] for column, array in group.arrays()}
