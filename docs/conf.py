"""Sphinx configuration: autodoc + numpydoc, builds offline."""

import sigpu

project = "sigpu"
author = "the sigpu developers"
release = sigpu.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "numpydoc"]
numpydoc_show_class_members = False
autodoc_typehints = "none"
exclude_patterns = ["_build"]
html_theme = "alabaster"
# mathjax is loaded by the browser; the build itself needs no network.
