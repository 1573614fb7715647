"""Zarr v3 groups and arrays written straight to a local directory.

A corpus run writes one small array per file.  Through zarr-python each costs several
trips to its event-loop thread (create, write, look up), about 7 ms per array, as much
as the feature of a 10 s file: so the store's writers produce the format itself, from
the Zarr v3 core specification, with zarr-python's default codecs (numbers: ``bytes``
little-endian then ``zstd`` level 0; strings: ``vlen-utf8`` then ``zstd``), encoded by
numcodecs as zarr-python does.  Chunk keys use the default encoding with the separator
"." (``c.0.1``, all in the array's directory: one directory per array, where "/" would
make one per leading index).  zarr-python reads what is written here (the tests read
every store through it).  A node's ``zarr.json`` is written after its chunks.
"""

from __future__ import annotations

import json
import os

import numpy as np

ZARR_JSON = "zarr.json"
ZSTD_LEVEL = 0
_ZSTD = {"name": "zstd", "configuration": {"level": ZSTD_LEVEL, "checksum": False}}


def write_group(path: str, attributes: dict) -> None:
    """A group's ``zarr.json`` (the directory is created where missing)."""
    os.makedirs(path, exist_ok=True)
    _write_json(path, {"zarr_format": 3, "node_type": "group", "attributes": attributes})


def write_array(path: str, values: np.ndarray, attributes: dict, chunks: tuple) -> None:
    """``values`` (real floats, integers, or strings) as the array at ``path``, cut
    into ``chunks`` (edge chunks stored whole, padded with the fill value, as the
    format has them)."""
    values = np.asarray(values)
    text = values.dtype.kind in "OTU"
    if not text and values.dtype.kind not in "fiu":
        raise TypeError(f"write_array: {values.dtype} arrays are not written here")
    if not text:
        values = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))
    chunks = tuple(int(c) for c in chunks)
    compressor = _compressor()
    grid = tuple(-(-n // c) for n, c in zip(values.shape, chunks, strict=True))
    os.makedirs(path, exist_ok=True)
    for index in np.ndindex(*grid):
        block = values[tuple(slice(i * c, (i + 1) * c) for i, c in zip(index, chunks, strict=True))]
        with open(os.path.join(path, ".".join(("c", *map(str, index)))), "wb") as file:
            file.write(compressor.encode(_chunk_bytes(block, chunks, text)))
    if text:
        data_type, fill, first = "string", "", {"name": "vlen-utf8", "configuration": {}}
    else:
        data_type, fill = values.dtype.name, 0.0 if values.dtype.kind == "f" else 0
        first = {"name": "bytes", "configuration": {"endian": "little"}}
    _write_json(
        path,
        {
            "zarr_format": 3,
            "node_type": "array",
            "shape": list(values.shape),
            "data_type": data_type,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "."}},
            "fill_value": fill,
            "codecs": [first, _ZSTD],
            "attributes": attributes,
            "storage_transformers": [],
        },
    )


def read_metadata(path: str):
    """The ``zarr.json`` of the node at ``path`` as a dict, or None where there is none
    (or it is not JSON: a node being written by another writer)."""
    try:
        with open(os.path.join(path, ZARR_JSON), "rb") as file:
            return json.loads(file.read())
    except (OSError, ValueError):
        return None


def _chunk_bytes(block, chunks, text):
    if block.shape != chunks:
        whole = np.full(chunks, "" if text else 0, dtype=object if text else block.dtype)
        whole[tuple(slice(0, n) for n in block.shape)] = block
        block = whole
    if text:
        from numcodecs import VLenUTF8

        return VLenUTF8().encode(np.asarray(block, dtype=object).ravel())
    return np.ascontiguousarray(block).tobytes()


def _compressor():
    from numcodecs import Zstd  # what zarr-python's "zstd" codec runs

    return Zstd(level=ZSTD_LEVEL, checksum=False)


def _write_json(path: str, document: dict) -> None:
    with open(os.path.join(path, ZARR_JSON), "w") as file:
        file.write(json.dumps(document))  # one write (json.dump writes piece by piece)
