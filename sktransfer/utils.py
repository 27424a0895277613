"""Utilities for developers and power users."""

import importlib
import inspect
import os
import pkgutil
import sys
from pathlib import Path

from sklearn.base import BaseEstimator


def all_estimators():
    """Every public estimator class of sktransfer, found by walking the package.

    A class counts when it subclasses :class:`~sklearn.base.BaseEstimator`, is
    defined in sktransfer, and its name does not start with an underscore.
    Estimators added later are found without registering them anywhere.

    Returns
    -------
    estimators : list of (str, type)
        ``(class name, class)`` pairs sorted by name.

    Examples
    --------
    >>> from sktransfer.utils import all_estimators
    >>> "LabeledOnly" in dict(all_estimators())
    True
    """
    import sktransfer

    found = {}
    modules = pkgutil.walk_packages(sktransfer.__path__, prefix="sktransfer.")
    for module_info in modules:
        if ".tests" in module_info.name or module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseEstimator)
                and not name.startswith("_")
                and cls.__module__.startswith("sktransfer")
                and not inspect.isabstract(cls)
            ):
                found[name] = cls
    return sorted(found.items())


# sklearn's decorators (parameter validation, _fit_context) add frames between a
# user's call and our code.
_SKLEARN_WRAPPERS = (
    str(Path("sklearn", "utils", "_param_validation.py")),
    str(Path("sklearn", "base.py")),
    str(Path("sklearn", "utils", "_set_output.py")),
)


def _user_stacklevel():
    """``stacklevel`` that makes ``warnings.warn`` point at the user's line.

    Call it in the function that calls ``warnings.warn``: it counts the frames
    up to the first one outside sktransfer and sklearn's wrappers, however deep
    the call chain inside the package is.
    """
    package = str(Path(__file__).resolve().parent)
    frame, level = sys._getframe(1), 1
    while frame is not None and (
        str(Path(frame.f_code.co_filename).resolve()).startswith(package)
        or frame.f_code.co_filename.endswith(_SKLEARN_WRAPPERS)
    ):
        frame, level = frame.f_back, level + 1
    return level


def _physical_memory_bytes():
    """The machine's memory, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _refuse_beyond_memory(needed, limit, what, advice):
    """Raise before allocating when ``needed`` bytes exceed the limit or the RAM."""
    memory = _physical_memory_bytes()
    limits = [limit] if memory is None else [limit, memory]
    if needed <= min(limits):
        return
    where = (
        f"the {limit / 2**30:.1f} GiB limit"
        if memory is None or limit <= memory
        else f"this machine's {memory / 2**30:.1f} GiB of memory"
    )
    raise ValueError(f"{what} needs {needed / 2**30:.1f} GiB, above {where}. {advice}")
