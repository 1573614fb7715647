"""Which files a corpus run reads, what each is called in the store, and its content hash."""

from __future__ import annotations

import glob
import hashlib
import os
import re

from .._errors import ParameterError

#: File extensions a directory is searched for (what libsndfile decodes).
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au")
_GLOB_CHARACTERS = re.compile(r"[*?\[]")
HASH_BLOCK = 1 << 20


def audio_files(inputs) -> list[str]:
    """Absolute paths, sorted and without repeats, of the files ``inputs`` names: files
    (read whatever their extension), directories (searched recursively for
    ``AUDIO_EXTENSIONS``) and glob patterns (``**`` recurses)."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    try:
        items = [os.fsdecode(item) for item in inputs]
    except TypeError as err:
        raise TypeError(
            f"inputs={inputs!r} must be a path, a directory, a glob pattern or a list of them"
        ) from err
    found = set()
    for item in items:
        found.update(_expand(item))
    if not found:
        raise ParameterError(f"inputs={items!r} name no audio file")
    return sorted(found)


def _expand(item: str) -> list[str]:
    if os.path.isdir(item):
        return [
            os.path.abspath(os.path.join(root, name))
            for root, _, names in os.walk(item)
            for name in names
            if name.lower().endswith(AUDIO_EXTENSIONS)
        ]
    if os.path.isfile(item):
        return [os.path.abspath(item)]
    if _GLOB_CHARACTERS.search(item):
        return [os.path.abspath(p) for p in glob.glob(item, recursive=True) if os.path.isfile(p)]
    raise ParameterError(f"inputs: {item!r} is no file, directory or glob pattern")


def store_key(path: str) -> str:
    """The name of a file's array: its base name (what a reader recognises) and a hash of
    its absolute path (unique, and the same in every run, so a re-run finds it)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(path)).lstrip("._") or "file"
    digest = hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:12]
    return f"{stem}-{digest}"


def content_hash(path: str) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(HASH_BLOCK):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def array_hash(values) -> str:
    """``sha256:<hex>`` of an array's dtype, shape and C-ordered bytes (what a stored
    array is checked against when a run resumes)."""
    import numpy as np

    values = np.ascontiguousarray(values)
    digest = hashlib.sha256(f"{values.dtype.str}{values.shape}".encode())
    digest.update(values.data)
    return "sha256:" + digest.hexdigest()


def batches(paths, files_per_task, bytes_per_task):
    """Files grouped into tasks of similar sizes, largest first (the longest tasks start
    early, so the run does not end waiting on one): ``files_per_task`` files each, or
    (``None``) files until ``bytes_per_task`` bytes."""
    sized = sorted(((os.path.getsize(p), p) for p in paths), reverse=True)
    groups, current, total = [], [], 0
    for size, path in sized:
        current.append(path)
        total += size
        full = len(current) == files_per_task if files_per_task else total >= bytes_per_task
        if full:
            groups.append(current)
            current, total = [], 0
    if current:
        groups.append(current)
    return groups
