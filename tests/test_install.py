"""Installs the test suite's own environment does not exercise: read-only packages, no home."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import sigpu

ROOT = Path(__file__).resolve().parent.parent

KERNELS = ("cqt", "harmonic", "ola", "reassign", "reassigned", "spectrum")


def test_kernels_compile_without_a_writable_cache(tmp_path):
    """A read-only site-packages and an unwritable home leave numba no cache locator: every
    kernel module still imports and runs (compiled in memory), instead of raising
    "cannot cache function ... no locator available"."""
    site = tmp_path / "site-packages"
    shutil.copytree(
        Path(sigpu.__file__).parent, site / "sigpu", ignore=shutil.ignore_patterns("__pycache__")
    )
    # a file where numba would make a directory: no in-tree cache, as on a read-only install
    # (chmod does not stop root, which CI containers often are)
    for package in (site / "sigpu").rglob("__init__.py"):
        (package.parent / "__pycache__").write_text("")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".cache").write_text("")  # no user-wide cache either
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_CACHE", "XDG_"))}
    env.update(HOME=str(home), PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1")
    modules = ", ".join(f"{name}_numba" for name in KERNELS)
    script = (
        "import numpy as np, sigpu\n"
        f"from sigpu._kernels import {modules}\n"
        "assert sigpu.__file__.startswith(%r)\n"
        "x = np.arange(1.0, 8.0).reshape(1, 1, 7, 1)\n"
        "print(sigpu.harmonic_lower(x, n_harmonics=2, anchor=2)[0, 0, :, 0].tolist())\n"
    ) % str(site)
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]"


def test_slow_tests_are_deselected_unless_selected():
    """The ``slow`` marker's promise (pyproject's addopts): a plain run leaves them out,
    ``-m slow`` runs them."""
    collect = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    target = "tests/test_reassign.py::test_matlab_golden"
    plain = subprocess.run(collect + [target], cwd=ROOT, capture_output=True, text=True)
    chosen = subprocess.run(
        collect + ["-m", "slow", target], cwd=ROOT, capture_output=True, text=True
    )
    assert "deselected" in plain.stdout and "::test_matlab_golden" not in plain.stdout
    assert "test_matlab_golden" in chosen.stdout, chosen.stdout[-500:]
