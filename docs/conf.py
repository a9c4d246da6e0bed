"""Sphinx configuration of the aiida-orbmag documentation (Markdown sources read by MyST).

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (CI treats every warning as an error).
"""

from __future__ import annotations

import pathlib
import sys

DOCS = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))  # the package of this checkout, before any installed copy

import aiida_orbmag  # noqa: E402

project = "aiida-orbmag"
author = "The aiida-orbmag developers"
copyright = "The aiida-orbmag developers (MIT licence)"
release = aiida_orbmag.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx_click",
    "aiida.sphinxext",
    "orbmag_docs",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
napoleon_google_docstring = True
napoleon_numpy_docstring = True

# Docstrings use ``name`` for code and cross-reference objects from other packages whose inventories are not loaded
# (numpy, aiida-core): an unresolved reference is a formatting choice here, not an error.
nitpicky = False
# "--wsvec" in a help text is an option, not an en dash
smartquotes = False
suppress_warnings = ["myst.header"]

html_theme = "furo"
html_title = f"aiida-orbmag {release}"
html_static_path: list[str] = []
