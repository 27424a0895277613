"""Relational transfer: typed graphs, relation-path features, rules across graphs.

Entities live in a :class:`RelationalGraph`; a link task's ``X`` holds
``(head, tail)`` entity names, a node task's one entity name per row.
:class:`PathFeaturizer` turns them into relation-path features, and
:class:`PathRuleLearner` weighs those as rules. Predicate mapping and the
transfer classifier are planned.
"""

from ._graph import RelationalGraph, read_facts, read_modes
from ._paths import PathFeaturizer
from ._rules import PathRuleLearner

__all__ = [
    "PathFeaturizer",
    "PathRuleLearner",
    "RelationalGraph",
    "read_facts",
    "read_modes",
]
