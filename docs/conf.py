"""Sphinx configuration: autodoc + numpydoc, the pydata theme, figures made at build time
(matplotlib's plot directive), the librosa migration table made from the installed
librosa's and sigpu's namespaces (``_ext/migration_table.py``); builds offline."""

import sys
from pathlib import Path

import matplotlib

import sigpu

matplotlib.use("Agg")  # the gallery's figures are drawn headless at build time
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "sigpu"
author = "the sigpu developers"
copyright = "2026, the sigpu developers (BSD-3-Clause)"
release = sigpu.__version__
version = release
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",  # performance.md, written in Markdown, is a page of the site
    "matplotlib.sphinxext.plot_directive",
    "migration_table",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
numpydoc_show_class_members = False
autodoc_typehints = "none"
exclude_patterns = ["_build", "examples"]
myst_heading_anchors = 3

# Figures: PNG only, made when the page is built, with the code shown above them
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.figsize": (8.0, 3.6), "figure.constrained_layout.use": True}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"

html_theme = "pydata_sphinx_theme"
html_title = f"sigpu {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
# The section navigation only where a section has pages (the API); the others read full width
html_sidebars = {"*": [], "api/*": ["sidebar-nav-bs"]}
# mathjax is loaded by the browser; the build itself needs no network.
