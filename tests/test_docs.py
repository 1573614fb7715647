"""The documentation builds offline, and every docstring example runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PUBLIC_MODULES = [
    "sigpu.convert",
    "sigpu.display",
    "sigpu.audio",
    "sigpu.spectrum",
    "sigpu.filters",
    "sigpu.feature",
    "sigpu.reassign",
    "sigpu.constantq",
    "sigpu.harmonic",
    "sigpu._constant_q_filters",
    "sigpu._errors",
    "sigpu._validate",
    "sigpu.sfi.families",
    "sigpu.sfi.erb",
    "sigpu.sfi.weights",
    "sigpu.sfi.ops",
]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module_name} has no examples"
    assert result.failed == 0


def test_sphinx_build(tmp_path):
    sphinx = pytest.importorskip("sphinx.cmd.build")
    pytest.importorskip("numpydoc")
    if not (DOCS / "conf.py").exists():
        pytest.skip("docs/ not present next to the tests (installed package)")
    status = sphinx.build_main(["-b", "html", "-q", str(DOCS), str(tmp_path / "html")])
    assert status == 0
    assert (tmp_path / "html" / "api" / "spectrum.html").exists()
