"""Bundled real data sets split into domains, and synthetic shift generators.

The loaders return a :class:`sklearn.utils.Bunch` whose ``X``, ``y`` and
``sample_domain`` follow the package convention: all rows stacked in one
``X``, ``sample_domain >= 0`` for source rows and ``< 0`` for target rows.
"""

from ._base import load_credit_default, load_mushroom
from ._generators import make_domain_shift

__all__ = ["load_credit_default", "load_mushroom", "make_domain_shift"]
