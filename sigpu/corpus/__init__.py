"""Corpora and long recordings on Dask, features into Zarr.

:func:`extract` computes one sigpu feature for every file of a corpus on a Dask cluster
(a local one by default; an existing one through ``client=``; one worker per GPU with
``backend="cupy"``) and writes a Zarr v3 store: one array per file, a table of the files
and the run's parameters.  :func:`stft`, :func:`melspectrogram`,
:func:`reassigned_spectrogram` and :func:`linear_reassignment` take a Dask array chunked
along time, a recording larger than memory, and give the in-memory call's frames.

dask, distributed and zarr (``pip install 'sigpu[corpus]'``) are imported on first use:
importing this module needs none of them.
"""

from ._chunked import linear_reassignment, melspectrogram, reassigned_spectrogram, stft
from ._cluster import local_cluster
from ._extract import extract
from ._features import FEATURES
from ._progress import ExtractSummary

__all__ = [
    "FEATURES",
    "ExtractSummary",
    "extract",
    "local_cluster",
    # long recordings (Dask arrays chunked along time)
    "linear_reassignment",
    "melspectrogram",
    "reassigned_spectrogram",
    "stft",
]


def __dir__():
    """The public names: ``__all__``, not the modules this package imports."""
    return list(__all__)
