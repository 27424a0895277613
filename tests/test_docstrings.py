"""numpydoc validation of every public object's docstring.

Like sklearn's ``test_docstrings.py``: each public class (with its public
methods) and function of sktransfer is validated by ``numpydoc.validate``;
the checks below must hold for all of them.
"""

import importlib
import inspect

import pytest
from _public_api import public_modules

numpydoc_validation = pytest.importorskip("numpydoc.validate")

# The checks that every public docstring must pass.
_CHECKS = {
    "GL08": "the object has a docstring",
    "PR01": "every parameter is documented",
    "PR02": "no documented parameter is missing from the signature",
    "PR07": "every documented parameter has a description",
    "RT01": "a Returns section where something is returned",
    "SS01": "a short summary",
}


def _own_methods(cls):
    for name, member in vars(cls).items():
        if (
            name.startswith("_")
            or not callable(member)
            and not isinstance(member, property)
        ):
            continue
        yield name


def _public_objects():
    seen = set()
    for module in public_modules():
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            path = f"{obj.__module__}.{obj.__qualname__}"
            if path in seen or not obj.__module__.startswith("sktransfer"):
                continue
            seen.add(path)
            yield f"{module.__name__}.{name}"
            if inspect.isclass(obj):
                for method in sorted(_own_methods(obj)):
                    yield f"{module.__name__}.{name}.{method}"


def _is_property(import_path):
    module_path, _, rest = import_path.rpartition(".")
    module_name, _, cls_name = module_path.rpartition(".")
    owner = getattr(importlib.import_module(module_name), cls_name, None)
    return inspect.isclass(owner) and isinstance(vars(owner).get(rest), property)


_OBJECTS = sorted(set(_public_objects()))


def test_public_objects_are_found():
    assert "sktransfer.LabeledOnly" in _OBJECTS
    assert "sktransfer.stack_domains" in _OBJECTS


@pytest.mark.parametrize("import_path", _OBJECTS)
def test_docstring(import_path):
    result = numpydoc_validation.validate(import_path)
    errors = [
        (code, message)
        for code, message in result["errors"]
        if code in _CHECKS and not (code == "RT01" and _is_property(import_path))
    ]
    assert not errors, "\n".join(
        [f"{import_path}:"] + [f"  {code}: {message}" for code, message in errors]
    )
