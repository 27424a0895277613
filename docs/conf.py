"""Sphinx configuration for the sktransfer documentation.

Build with the ``docs`` extra installed::

    pip install -e ".[docs]"
    sphinx-build -b html docs docs/_build/html

sktransfer is released under the BSD-3-Clause licence (see ``LICENSE``).
"""

import os
import sys

# Let autodoc import the package from the source tree when it is not installed.
sys.path.insert(0, os.path.abspath(".."))

try:
    from sktransfer import __version__ as release
except ImportError:  # the docs still build, without API pages, if the import fails
    release = "unknown"

# -- Project ----------------------------------------------------------------

project = "sktransfer"
author = "sktransfer developers"
copyright = "2026, sktransfer developers. BSD-3-Clause licence"
version = ".".join(release.split(".")[:2])

# -- General ----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "numpydoc",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = []
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc ---------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # types are written in the numpydoc docstrings

# autosummary already lists class members; numpydoc repeating them produces
# duplicate-object warnings.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = True
numpydoc_xref_ignore = {"of", "or", "default", "optional", "shape", "n_samples",
                        "n_features", "n_components"}
numpydoc_xref_aliases = {
    "BaseEstimator": "sklearn.base.BaseEstimator",
    "Pipeline": "sklearn.pipeline.Pipeline",
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
    "RandomState": "numpy.random.RandomState",
}

# -- doctest ----------------------------------------------------------------

doctest_global_setup = """
import numpy as np
import sktransfer
"""

# -- intersphinx ------------------------------------------------------------

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "pandas": ("https://pandas.pydata.org/docs/", None),
}

# -- HTML -------------------------------------------------------------------

html_theme = "alabaster"  # ships with Sphinx; no extra theme dependency
html_title = f"sktransfer {release}"
html_static_path = []
