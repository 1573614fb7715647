"""Every public sigpu function or class is exercised by some asv benchmark.

The check is textual on purpose: a public name must appear as a whole word in at least one
file of ``asv_bench/benchmarks``.  It cannot prove a benchmark times the name well, but it
catches a new public function that nobody benchmarks.  Run as a script to print the gaps::

    python tests/test_benchmarks.py
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1] / "asv_bench" / "benchmarks"

# Top level plus the capability modules.
MODULES = (
    "sigpu",
    "sigpu.feature",
    "sigpu.feature.inverse",
    "sigpu.filters",
    "sigpu.constantq",
    "sigpu.display",
    "sigpu.harmonic",
    "sigpu.reassign",
    "sigpu.sfi",
    "sigpu.corpus",
    "sigpu.onset",
    "sigpu.effects",
    "sigpu.decompose",
    # the layers and weight helpers of the optional extra sigpu[torch], where torch is installed
    *(("sigpu.torch",) if importlib.util.find_spec("torch") else ()),
)

# Public names that are not computations: nothing to time.
NOT_TIMED = {"ParameterError", "__version__", "check_finite"}  # check_finite: a setting


def public_names() -> dict[str, str]:
    """``{name: module}`` of every public callable in :data:`MODULES`."""
    names: dict[str, str] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name in NOT_TIMED or not callable(getattr(module, name, None)):
                continue
            names.setdefault(name, module_name)
    return names


def benchmark_text() -> str:
    return "\n".join(p.read_text() for p in sorted(BENCH_DIR.glob("*.py")))


def uncovered_names() -> dict[str, str]:
    """Public names that no benchmark file mentions as a whole word."""
    text = benchmark_text()
    return {
        name: module
        for name, module in public_names().items()
        if not re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text)
    }


def test_public_names_found():
    names = public_names()
    assert "stft" in names and "STFT" in names


def test_every_public_name_has_a_benchmark():
    gaps = uncovered_names()
    assert not gaps, "no asv benchmark mentions: " + ", ".join(
        f"{module}.{name}" for name, module in sorted(gaps.items())
    )


def test_benchmarks_use_the_shared_helpers():
    # asv imports benchmark modules as a package: every bench file must import (not copy)
    # the backend/synchronisation helpers so cupy runs are skipped or synchronised alike.
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        text = path.read_text()
        if "namespace(" in text:
            assert "from .common import" in text, path.name


if __name__ == "__main__":
    gaps = uncovered_names()
    print(f"{len(public_names())} public names, {len(gaps)} without an asv benchmark")
    for name, module in sorted(gaps.items(), key=lambda kv: (kv[1], kv[0])):
        print(f"  {module}.{name}")
