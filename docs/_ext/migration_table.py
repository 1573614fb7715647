"""The librosa migration table, made at build time from the installed librosa and sigpu.

``.. librosa-migration::`` becomes one table per librosa module listing every public
callable of librosa (each module's ``__all__``; ``librosa.core``'s names are librosa's
top-level ones) with the sigpu name that provides it, or "not provided".  sigpu provides
``librosa.<module>.<name>`` as ``sigpu.<module>.<name>`` when that exists (so that
``import sigpu as librosa`` finds it at librosa's path), else under the same name at sigpu's
top level or in another public sigpu module.  ``tests/test_docs.py`` checks that the table
is complete and that every sigpu name it gives exists.
"""

from __future__ import annotations

import importlib
import importlib.util
import types

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx import addnodes

NOT_PROVIDED = "not provided"
TOP_LEVEL = ""  # librosa's top level (librosa.core's functions)


def librosa_callables() -> dict[str, list[str]]:
    """``{module ('' for the top level): [public callable names]}`` of the installed librosa."""
    import librosa

    modules = {TOP_LEVEL: librosa}
    for name in librosa.__all__:
        value = getattr(librosa, name)
        if isinstance(value, types.ModuleType) and name != "core":
            modules[name] = importlib.import_module(f"librosa.{name}")
    found = {}
    for module_name, module in modules.items():
        names = getattr(module, "__all__", [])
        found[module_name] = sorted(
            n
            for n in names
            if callable(getattr(module, n, None))
            and not isinstance(getattr(module, n), types.ModuleType)
        )
    return found


def _sigpu_modules() -> dict[str, types.ModuleType]:
    """sigpu's public modules by dotted name (the package and its public submodules)."""
    import sigpu

    modules = {"sigpu": sigpu}
    for name in sigpu.__all__:
        value = getattr(sigpu, name)
        if isinstance(value, types.ModuleType):
            modules[f"sigpu.{name}"] = value
    return modules


def _has_public(module, name: str) -> bool:
    """Whether ``module`` exports a callable ``name`` (a submodule of that name is not one)."""
    value = getattr(module, name, None) if name in getattr(module, "__all__", ()) else None
    return callable(value) and not isinstance(value, types.ModuleType)


def sigpu_name(librosa_module: str, name: str) -> str | None:
    """The sigpu path that provides ``librosa[.librosa_module].name``, or None."""
    modules = _sigpu_modules()
    if librosa_module:
        same_path = f"sigpu.{librosa_module}"
        if same_path not in modules and importlib.util.find_spec(same_path) is not None:
            modules[same_path] = importlib.import_module(same_path)
        if same_path in modules and _has_public(modules[same_path], name):
            return f"{same_path}.{name}"
    for path, module in modules.items():
        if _has_public(module, name):
            return f"{path}.{name}"
    return None


def rows() -> list[tuple[str, str, str | None]]:
    """``(librosa module, librosa name, sigpu name or None)`` for every librosa callable."""
    return [
        (module, name, sigpu_name(module, name))
        for module, names in librosa_callables().items()
        for name in names
    ]


def _table(entries) -> nodes.table:
    table = nodes.table(classes=["migration-table"])
    group = nodes.tgroup(cols=2)
    table += group
    for width in (50, 50):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row(nodes.Text("librosa"), nodes.Text("sigpu"))
    body = nodes.tbody()
    group += body
    for librosa_path, sigpu_path in entries:
        provided = _link(sigpu_path) if sigpu_path else nodes.emphasis(text=NOT_PROVIDED)
        body += _row(nodes.literal(text=librosa_path), provided)
    return table


def _link(sigpu_path: str):
    """The sigpu name, linked to its API entry where the API pages document it."""
    ref = addnodes.pending_xref(
        "", refdomain="py", reftype="obj", reftarget=sigpu_path, refexplicit=True
    )
    ref["sigpu_migration"] = True  # see _documented_elsewhere
    ref += nodes.literal(text=sigpu_path)
    return ref


def _row(*cells) -> nodes.row:
    row = nodes.row()
    for content in cells:
        entry = nodes.entry()
        entry += nodes.paragraph("", "", content)
        row += entry
    return row


class LibrosaMigration(Directive):
    """A count line, then one heading and table per librosa module."""

    def run(self):
        import librosa

        by_module: dict[str, list] = {}
        for module, name, provided in rows():
            librosa_path = f"librosa.{module}.{name}" if module else f"librosa.{name}"
            by_module.setdefault(module, []).append((librosa_path, provided))
        summary = nodes.paragraph()
        total = sum(len(v) for v in by_module.values())
        done = sum(1 for v in by_module.values() for _, p in v if p)
        summary += nodes.Text(
            f"Made when this page was built, from librosa {librosa.__version__} and sigpu "
            f"{importlib.import_module('sigpu').__version__}: sigpu provides {done} of "
            f"librosa's {total} public functions and classes."
        )
        out = [summary]
        for module, entries in by_module.items():
            title = f"librosa.{module}" if module else "librosa (top level, librosa.core)"
            out.append(nodes.rubric(text=title, ids=[nodes.make_id(f"librosa-{module or 'core'}")]))
            out.append(_table(entries))
        return out


def _documented_elsewhere(app, env, node, contnode):
    """A table entry whose name the API pages document under its defining module
    (``sigpu.cqt`` as ``sigpu.constantq.cqt``) links there; one documented nowhere stays
    plain text (no broken link, no warning)."""
    if not node.get("sigpu_migration"):
        return None
    module_name, name = node["reftarget"].rsplit(".", 1)
    obj = getattr(importlib.import_module(module_name), name)
    where = f"{obj.__module__}.{getattr(obj, '__qualname__', name)}"
    domain = env.get_domain("py")
    found = domain.resolve_xref(env, node["refdoc"], app.builder, "obj", where, node, contnode)
    return found if found is not None else contnode


def setup(app):
    app.add_directive("librosa-migration", LibrosaMigration)
    app.connect("missing-reference", _documented_elsewhere)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
