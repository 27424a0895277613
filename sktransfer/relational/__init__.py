"""Relational transfer: typed graphs, relation-path features, rules across graphs.

Entities live in a :class:`RelationalGraph`; a link task's ``X`` holds
``(head, tail)`` entity names, a node task's one entity name per row.
:class:`PathFeaturizer` turns them into relation-path features, and
:class:`PathRuleLearner` weighs those as rules, :class:`PredicateMapper` maps a
source graph's relations onto a target graph's, and
:class:`RelationalTransferClassifier` uses the mapped source rules as a prior.
"""

from ._graph import RelationalGraph, read_facts, read_modes
from ._mapping import PredicateMapper, relation_signature
from ._paths import PathFeaturizer
from ._rules import PathRuleLearner
from ._transfer import RelationalTransferClassifier, fit_prior_logistic

__all__ = [
    "PathFeaturizer",
    "PathRuleLearner",
    "PredicateMapper",
    "RelationalTransferClassifier",
    "fit_prior_logistic",
    "relation_signature",
    "RelationalGraph",
    "read_facts",
    "read_modes",
]
