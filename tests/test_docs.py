"""The documentation builds with ``-W``, and its API reference is complete.

The build itself (``sphinx-build -W -b html``, the gallery executing every
example once) is the session fixture ``docs_build`` of ``tests/conftest.py``;
``tests/test_examples.py`` checks the gallery pages it renders. Set
``SKTRANSFER_SKIP_DOCS_BUILD=1`` to skip the build (the examples then run as
scripts); without Sphinx installed these tests fail rather than skip.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest
from _public_api import public_modules

API = Path(__file__).resolve().parents[1] / "docs" / "api.rst"


def _public_names(module):
    """A module's ``__all__``, or the classes and functions it defines without one."""
    if hasattr(module, "__all__"):
        names = module.__all__
    else:
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isclass(obj) or inspect.isfunction(obj))
            and obj.__module__ == module.__name__
        ]
    for name in names:
        obj = getattr(module, name)
        if not inspect.ismodule(obj):  # subpackages are walked themselves
            yield f"{module.__name__}.{name}", obj


def _import(dotted):
    module_name, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def _api_entries():
    """``(documented name, object)`` of every autosummary entry of docs/api.rst,
    and the modules it declares with ``.. module::``."""
    entries, modules = [], set()
    current, in_autosummary = "sktransfer", False
    for line in API.read_text().splitlines():
        directive = re.match(r"\.\. (currentmodule|module):: (\S+)", line)
        if directive:
            current = directive.group(2)
            if directive.group(1) == "module":
                modules.add(current)
            in_autosummary = False
        elif line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary and line.startswith("   ") and line.strip():
            name = line.strip()
            if not name.startswith(":"):  # an option such as :toctree:
                full = name if name.startswith("sktransfer.") else f"{current}.{name}"
                entries.append((full, _import(full)))
        elif in_autosummary and line.strip():
            in_autosummary = False
    return entries, modules


def test_api_reference_lists_every_public_name():
    entries, modules = _api_entries()
    documented = {id(obj) for _, obj in entries}
    missing = [
        path
        for module in public_modules()
        for path, obj in _public_names(module)
        if id(obj) not in documented
    ]
    assert not missing, (
        "public names missing from docs/api.rst (add them to an autosummary): "
        + ", ".join(missing)
    )
    undeclared = {m.__name__ for m in public_modules()} - modules
    assert not undeclared, f"no '.. module::' section in docs/api.rst for {undeclared}"


def test_api_reference_lists_each_object_once():
    entries, _ = _api_entries()
    names = {}
    for name, obj in entries:
        names.setdefault(id(obj), []).append(name)
    twice = [found for found in names.values() if len(found) > 1]
    assert not twice, f"documented more than once (duplicate objects): {twice}"


def _built(docs_build):
    if docs_build is None:
        pytest.skip("docs build skipped (SKTRANSFER_SKIP_DOCS_BUILD is set)")
    return docs_build


def test_docs_build_without_warnings(docs_build):
    build = _built(docs_build)
    details = "\n".join(build.problems()) or build.log.read_text()[-5000:]
    assert build.returncode == 0, (
        f"sphinx-build -W failed (log: {build.log}):\n{details}"
    )


def test_every_api_entry_has_its_page(docs_build):
    build = _built(docs_build)
    entries, _ = _api_entries()
    missing = [
        name
        for name, _ in entries
        if not (build.html / "generated" / f"{name}.html").is_file()
    ]
    assert not missing, f"no generated API page for {missing}"


def test_pages_for_each_task_are_linked_from_the_index(docs_build):
    build = _built(docs_build)
    index = (build.html / "index.html").read_text()
    for page in ["task_few_labels", "task_no_labels", "task_source_model"]:
        assert f"user_guide/{page}.html" in index
    assert "user_guide/task_graph.html" in index
    assert "auto_examples/index.html" in index


def test_examples_write_nothing_beside_themselves(docs_build):
    build = _built(docs_build)
    written = sorted(
        path.name
        for path in (build.source / "examples").iterdir()
        if path.suffix not in {".py", ".txt"}
    )
    assert not written, f"the gallery run left files in docs/examples: {written}"
