"""Sphinx configuration for the sktransfer documentation.

Build with the ``test`` (or ``docs``) extra installed, from the repository root::

    pip install -e ".[test]"
    sphinx-build -W -b html docs docs/_build/html

then open ``docs/_build/html/index.html``. The build runs every example of
``docs/examples/`` (sphinx-gallery) and writes the gallery to
``docs/auto_examples/`` and the API pages to ``docs/generated/`` (both are
generated, not committed). The test suite runs the same build
(``tests/test_docs.py``).

sktransfer is released under the BSD-3-Clause licence (see ``LICENSE``).
"""

import importlib
import os
import sys
import warnings
from pathlib import Path

from sphinx.util import logging

# Let autodoc import the package from the source tree when it is not installed.
sys.path.insert(0, os.path.abspath(".."))

from sktransfer import __version__ as release  # noqa: E402

# -- Project ----------------------------------------------------------------

project = "sktransfer"
author = "sktransfer developers"
copyright = "2026, sktransfer developers. BSD-3-Clause licence"
version = ".".join(release.split(".")[:2])

# -- General ----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "screenshots", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]
default_role = "literal"
# Unresolved references to other projects stay quiet (they are plain text when
# their inventory cannot be fetched); unresolved references to sktransfer's own
# objects are warnings (see ``_warn_on_missing_sktransfer_reference``).
nitpicky = False

# -- autodoc / autosummary / numpydoc ---------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # types are written in the numpydoc docstrings
# Class pages list the methods in the order they are written, like sklearn's.
autodoc_member_order = "bysource"

# The class template (``_templates/autosummary/class.rst``) documents the
# members; numpydoc repeating them produces duplicate-object warnings.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = True
# Only the words below become links in the parameter types: the rest ("of",
# "shape", "default") stays text. Each alias has an explicit title, so a link
# that cannot resolve offline still reads "float", not "python:float".
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    **{
        name: f":class:`{name} <python:{name}>`"
        for name in ["bool", "int", "float", "str", "dict", "list", "tuple", "set"]
    },
    **{name: f":data:`{name} <python:{name}>`" for name in ["None", "True", "False"]},
    "callable": ":func:`callable <python:callable>`",
    "boolean": ":class:`bool <python:bool>`",
    "string": ":class:`str <python:str>`",
    "iterable": ":class:`iterable <python:collections.abc.Iterable>`",
    "sequence": ":class:`sequence <python:collections.abc.Sequence>`",
    "generator": ":class:`generator <python:collections.abc.Generator>`",
    "array-like": "numpy.typing.ArrayLike",
    "array_like": "numpy.typing.ArrayLike",
    "ndarray": "numpy.ndarray",
    "RandomState": "numpy.random.RandomState",
    "sparse matrix": "scipy.sparse.csr_matrix",
    "BaseEstimator": "sklearn.base.BaseEstimator",
    "Pipeline": "sklearn.pipeline.Pipeline",
    "Bunch": "sklearn.utils.Bunch",
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
}


def _public_classes():
    """``{name: public path}`` of the classes in an ``__all__`` of sktransfer."""
    found = {}
    modules = ["", ".instance", ".feature", ".parameter", ".relational"]
    modules += [".model_selection", ".metrics", ".datasets", ".base"]
    for module_name in (f"sktransfer{suffix}" for suffix in modules):
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if isinstance(getattr(module, name), type):
                found.setdefault(name, f"{module_name}.{name}")
    return found


# A parameter typed with one of sktransfer's classes links to its page.
numpydoc_xref_aliases.update(_public_classes())


def _skip_members_of_other_projects(app, what, name, obj, skip, options):
    """Document inherited members only when sktransfer defines them.

    Class pages then show ``fit``/``score`` inherited from sktransfer's base
    classes, without repeating ``get_params``, ``set_fit_request`` and the other
    scikit-learn methods (whose docstrings refer to scikit-learn's user guide).
    """
    if skip or what != "class":
        return skip
    module = getattr(obj, "__module__", None) or getattr(
        getattr(obj, "fget", None), "__module__", None
    )
    if module is not None and not module.startswith("sktransfer"):
        return True
    return None


# -- sphinx-gallery ---------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    # Execute every example (all are named plot_*.py). One that raises fails
    # the build, which lists every failure at its end.
    "filename_pattern": r"/plot_",
    "within_subsection_order": "sphinx_gallery.sorting.FileNameSortKey",
    # "Examples using X" on each API page (see _templates/autosummary/).
    "doc_module": ("sktransfer",),
    "backreferences_dir": "generated/backreferences",
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "show_memory": False,
    "download_all_examples": False,
}

# The examples end with plt.show(); in the gallery the scraper captures the
# open figures instead, and Agg's "cannot be shown" (where $DISPLAY is set) is
# noise.
warnings.filterwarnings(
    "ignore", category=UserWarning, message="FigureCanvasAgg is non-interactive"
)

# -- intersphinx ------------------------------------------------------------

# Each project lists its inventory on the web, then an empty local one
# (``offline_objects.inv``). When the web is unreachable (CI reaches package
# registries only) intersphinx falls back to the empty inventory with an
# informational message instead of a warning, so ``-W`` still passes; links to
# those projects are then plain text.
_OFFLINE = str(Path(__file__).with_name("offline_objects.inv"))
intersphinx_mapping = {
    name: (url, (None, _OFFLINE))
    for name, url in {
        "python": "https://docs.python.org/3/",
        "numpy": "https://numpy.org/doc/stable/",
        "scipy": "https://docs.scipy.org/doc/scipy/",
        "sklearn": "https://scikit-learn.org/stable/",
        "pandas": "https://pandas.pydata.org/docs/",
        "networkx": "https://networkx.org/documentation/stable/",
    }.items()
}
intersphinx_timeout = 5  # seconds per inventory, fetched in parallel
intersphinx_cache_limit = 1  # days: an offline build does not pin the fallback

# -- HTML -------------------------------------------------------------------

html_theme = "alabaster"  # ships with Sphinx; no extra theme dependency
html_title = f"sktransfer {release}"
html_static_path = ["_static"]
html_css_files = ["sktransfer.css"]
html_theme_options = {
    "page_width": "1200px",
    "sidebar_width": "260px",
    "description": "Classical transfer learning for scikit-learn",
    "fixed_sidebar": True,
}
html_sidebars = {
    "**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]
}

_logger = logging.getLogger(__name__)


def _import_object(dotted):
    """The object at ``dotted`` (``package.module.Class.method``), or None."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attribute in parts[split:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return None
        return obj
    return None


_DOCUMENTED = {}  # id(obj) -> (documented name, obj), filled once all is read


def _documented_names(env):
    """Documented sktransfer objects by identity."""
    if not _DOCUMENTED:
        for name in env.get_domain("py").objects:
            if name.startswith("sktransfer"):
                obj = _import_object(name)
                if obj is not None:
                    _DOCUMENTED.setdefault(id(obj), (name, obj))
    return _DOCUMENTED


def _resolve_sktransfer_reference(app, env, node, contnode):
    """Resolve references to re-exported names; warn on other broken ones.

    ``sktransfer.NegativeTransferGuard`` is documented once, as
    ``sktransfer.model_selection.NegativeTransferGuard``: a reference to any
    public path of an object links to its page. ``nitpicky`` stays off because
    references to other projects cannot resolve offline; a broken link to
    sktransfer's own API is still an error under -W.
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("sktransfer"):
        return None
    obj = _import_object(target)
    documented = _documented_names(env).get(id(obj)) if obj is not None else None
    if documented is not None and documented[1] is obj and documented[0] != target:
        return env.get_domain("py").resolve_xref(
            env,
            node["refdoc"],
            app.builder,
            node["reftype"],
            documented[0],
            node,
            contnode,
        )
    _logger.warning("unresolved reference to sktransfer's %s", target, location=node)
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_members_of_other_projects)
    # After intersphinx and the Python domain have had their try.
    app.connect("missing-reference", _resolve_sktransfer_reference, priority=900)
    app.connect("env-updated", lambda app, env: _DOCUMENTED.clear())
