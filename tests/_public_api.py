"""The public modules of sktransfer, walked alike by the docs and docstring tests."""

import importlib
import pkgutil

import sktransfer


def public_modules():
    """sktransfer and each public subpackage or module (no ``_`` part, not the CLI)."""
    yield sktransfer
    for info in pkgutil.walk_packages(sktransfer.__path__, prefix="sktransfer."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts) or parts[-1] == "cli":
            continue
        yield importlib.import_module(info.name)
