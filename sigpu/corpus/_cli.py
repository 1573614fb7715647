"""``sigpu features``: the command-line face of :func:`sigpu.corpus.extract`.

``sigpu features INPUT... -o OUT.zarr --feature mel --sr 22050 [--n-mels 64 ...]
[--backend cupy] [--scheduler ADDRESS] [--workers N]``.  Every keyword parameter of the
feature functions is an option (``--n-mels``, ``--hop-length``, ``--tdeci``, ...).
Exit status: 0, 1 when some files failed (listed in the summary and the store's
``failures`` table), 2 for a bad command line or parameters (one line on stderr).
"""

from __future__ import annotations

import argparse
import inspect
import sys

from .._errors import ParameterError
from . import _features

# options of the run itself, not of the feature functions
_RUN_OPTIONS = ("sr", "backend", "workers", "scheduler", "output", "feature")


def _value(text: str):
    """A feature option's value: an int, a float, True/False/None or the text itself."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"True": True, "False": False, "None": None}.get(text, text)


def _feature_options() -> dict[str, list[str]]:
    """Every keyword-only parameter of the feature functions (one ``--option`` each), with
    the features that take it."""
    taken_by: dict[str, list[str]] = {}
    for feature, (func, *_) in _features._TABLE.items():
        for name, parameter in inspect.signature(func).parameters.items():
            if parameter.kind is parameter.KEYWORD_ONLY and name not in _features._RESERVED:
                taken_by.setdefault(name, []).append(feature)
    return {name: taken_by[name] for name in sorted(set(taken_by) - set(_RUN_OPTIONS))}


def add_command(subparsers) -> None:
    """Register ``features`` on the ``sigpu`` command's subparsers."""
    parser = subparsers.add_parser(
        "features",
        help="compute a feature for every audio file into a Zarr store (Dask)",
        description="Compute one sigpu feature for every audio file into a Zarr store, on a "
        "local Dask cluster or an existing one (sigpu.corpus.extract).  Exit status 1 when "
        "some files failed, 2 for a bad command line.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="files, directories, globs")
    parser.add_argument("-o", "--output", required=True, help="the Zarr store (OUT.zarr)")
    parser.add_argument(
        "--feature",
        default="mel",
        choices=sorted(_features.FEATURES),
        help="what to compute (default mel): "
        + "; ".join(f"{k} = {v}" for k, v in _features.FEATURES.items()),
    )
    parser.add_argument("--sr", type=float, default=22050.0, help="sampling rate (Hz)")
    parser.add_argument(
        "--backend",
        choices=("numpy", "cupy"),
        default="numpy",
        help="numpy: CPU workers; cupy: one worker per GPU (dask-cuda) or the scheduler's GPUs",
    )
    parser.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler")
    parser.add_argument("--workers", type=int, help="local worker processes (or GPUs)")
    parser.add_argument("--stereo", action="store_true", help="keep channels (no mono mix)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    options = parser.add_argument_group("feature options (as the sigpu function's keywords)")
    for name, features in _feature_options().items():
        options.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=_value,
            default=argparse.SUPPRESS,
            help=f"{name} of {', '.join(features)}",
        )
    parser.set_defaults(run=run)


def run(args) -> int:
    """Run ``sigpu features`` with parsed ``args``; returns the exit status."""
    from ._extract import extract

    chosen = {name: getattr(args, name) for name in _feature_options() if hasattr(args, name)}
    sr = int(args.sr) if float(args.sr).is_integer() else args.sr
    try:
        summary = extract(
            args.inputs,
            feature=args.feature,
            sr=sr,
            out=args.output,
            options=chosen,
            client=args.scheduler,
            backend=args.backend,
            workers=args.workers,
            mono=not args.stereo,
            progress=not args.quiet,
        )
    except (ParameterError, TypeError, ImportError, OSError, RuntimeError) as err:
        first_line = (str(err) or type(err).__name__).strip().splitlines()[0]
        print(f"sigpu features: error: {first_line}", file=sys.stderr)
        return 2
    print(summary)
    return 1 if summary.failures else 0
