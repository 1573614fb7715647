"""Public namespaces list their public names only: ``dir(sigpu.feature)`` is its ``__all__``,
not the modules and helpers it imports (``np``, ``math``, ``kernel``, ...)."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

#: sigpu.torch where torch is installed (the optional extra sigpu[torch]; never imported by
#: ``import sigpu``, but an attribute of sigpu once imported)
TORCH_MODULES = ("sigpu.torch",) if importlib.util.find_spec("torch") else ()

#: sigpu and its public modules (the numpydoc test validates their callables too)
PUBLIC_MODULES = (
    "sigpu",
    "sigpu.audio",
    "sigpu.constantq",
    "sigpu.convert",
    "sigpu.corpus",
    "sigpu.decompose",
    "sigpu.display",
    "sigpu.effects",
    "sigpu.feature",
    "sigpu.feature.inverse",
    "sigpu.filters",
    "sigpu.harmonic",
    "sigpu.onset",
    "sigpu.reassign",
    "sigpu.spectrum",
    "sigpu.sfi",
    "sigpu.sfi.erb",
    "sigpu.sfi.families",
    "sigpu.sfi.ops",
    "sigpu.sfi.weights",
    *TORCH_MODULES,
)


@pytest.mark.parametrize(
    "module_name", [m for m in PUBLIC_MODULES if m not in ("sigpu", "sigpu.sfi")]
)
def test_dir_lists_all_and_nothing_else(module_name):
    module = importlib.import_module(module_name)
    assert sorted(dir(module)) == sorted(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)


@pytest.mark.parametrize("package", ("sigpu", "sigpu.sfi"))
def test_packages_list_all_and_their_public_submodules(package):
    module = importlib.import_module(package)
    prefix = package + "."
    submodules = {m[len(prefix) :] for m in PUBLIC_MODULES if m.startswith(prefix)}
    public = {name for name in dir(module) if not name.startswith("_")}
    # sigpu.cli (the console script) appears once something has imported it
    assert public - set(module.__all__) <= submodules | {"cli"}
