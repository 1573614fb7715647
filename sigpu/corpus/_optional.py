"""The optional packages behind sigpu.corpus, imported on first use.

``import sigpu`` and ``import sigpu.corpus`` import none of them: dask, distributed and
zarr come with the ``corpus`` extra (``pip install 'sigpu[corpus]'``), dask-cuda with
the user's CUDA set-up, tqdm is only a nicer progress bar.
"""

from __future__ import annotations

from .._backend import import_module

_HINTS = {
    "dask": "pip install 'sigpu[corpus]'",
    "dask.array": "pip install 'sigpu[corpus]'",
    "distributed": "pip install 'sigpu[corpus]'",
    "zarr": "pip install 'sigpu[corpus]'",
    "dask_cuda": "pip install dask-cuda (one Dask worker per GPU)",
}


def require(name: str, purpose: str):
    """The module ``name``, or an ImportError saying what needs it and how to install it."""
    try:
        return import_module(name)
    except ImportError as err:
        raise ImportError(f"{purpose} needs {name.split('.')[0]}: {_HINTS[name]}") from err


def optional(name: str):
    """The module ``name``, or None where it is not installed."""
    try:
        return import_module(name)
    except ImportError:
        return None
