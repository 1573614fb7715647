"""Every public callable's docstring passes numpydoc's validation, but for NOT_ENFORCED.

The callables: the names in ``__all__`` of sigpu and of each public module, and the public
methods (and ``__call__``) of the public classes.  ``python -m tests.test_numpydoc`` prints
every numpydoc finding, the ignored ones included, counted by code.
"""

from __future__ import annotations

import collections
import importlib
import inspect

import pytest
from numpydoc.validate import ERROR_MSGS, validate

from tests.test_namespaces import PUBLIC_MODULES

# Every numpydoc check (numpydoc.validate.ERROR_MSGS has their texts) but these:
NOT_ENFORCED = {
    "ES01": "an extended summary where the summary line does not say enough is a judgement",
    "PR03": "keyword-only parameters are documented in reading order, grouped by reference",
    "PR04": "parameters grouped by reference ('hop_length, window' / 'As for stft') repeat no type",
    "PR07": "a parameter's type and range ('sr : float > 0') are often its whole description",
    "RT02": "returns are named: 'S : array, shape (..., n_bins, n_frames)'",
    "RT03": "a named return's name and shape are often its whole description",
}
ENFORCED = set(ERROR_MSGS) - set(NOT_ENFORCED)
NOT_ON_METHODS = {"EX01", "SA01"}  # a method's examples and See Also are its class's


def public_callables() -> dict[str, bool]:
    """``{import path: is a method}`` of every public callable, by its defining module."""
    found: dict[str, bool] = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue
            path = f"{obj.__module__}.{obj.__qualname__}"
            found[path] = False
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for attr, value in vars(obj).items():
                    if callable(value) and (attr == "__call__" or not attr.startswith("_")):
                        found[f"{path}.{attr}"] = True
    return found


CALLABLES = public_callables()


def findings(path: str, is_method: bool, codes=ENFORCED) -> list[str]:
    skip = NOT_ON_METHODS if is_method else set()
    return [
        f"{code} {message}"
        for code, message in validate(path)["errors"]
        if code in codes and code not in skip
    ]


def test_public_callables_found():
    assert "sigpu.spectrum.stft" in CALLABLES and "sigpu.spectrum.STFT.inverse" in CALLABLES
    assert len(CALLABLES) > 80


@pytest.mark.parametrize("path", sorted(CALLABLES))
def test_docstring(path):
    errors = findings(path, CALLABLES[path])
    assert not errors, f"{path}:\n  " + "\n  ".join(errors)


def _without_returns_or_see_also(x):
    """Return ``x``.

    Parameters
    ----------
    x : int
        Anything.
    """
    return x


def test_validation_catches_missing_sections():
    """The check itself: a docstring without Returns, See Also and Examples fails."""
    codes = {e.split()[0] for e in findings(f"{__name__}._without_returns_or_see_also", False)}
    assert {"RT01", "SA01", "EX01"} <= codes


if __name__ == "__main__":
    counts, enforced = collections.Counter(), collections.Counter()
    for path, is_method in sorted(CALLABLES.items()):
        counts.update(code for code, _ in validate(path)["errors"])
        enforced.update(e.split()[0] for e in findings(path, is_method))
    print(f"{len(CALLABLES)} public callables; findings by code (enforced ones failing)")
    for code, n in sorted(counts.items()):
        print(f"  {code} {n} ({enforced[code] if code in ENFORCED else 'not enforced'})")
