"""Predicate mapping: which target relation plays each source relation's part."""

import logging
import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from ._graph import _listed
from ._paths import (
    PathFeaturizer,
    Step,
    check_entity_rows,
    feature_name,
    parse_feature_name,
)
from ._rules import PathRuleLearner, check_binary_labels

logger = logging.getLogger(__name__)

# Similarity below which two relations are not worth mapping onto each other.
_MIN_SIMILARITY = 0.05


def relation_signature(graph, relation):
    """Scale-free statistics of a relation, comparable across graphs.

    Binary: log mean out-degree of the heads, log mean in-degree of the
    tails, the share of the head type's entities that are heads, the share
    of the tail type's that are tails, and reciprocity (the share of edges
    whose reverse is also an edge). Unary: the share of its type's entities
    where it holds.

    Parameters
    ----------
    graph : RelationalGraph
        The graph of the relation.
    relation : str
        One of its relations.

    Returns
    -------
    signature : ndarray of shape (5,) or (1,)
        Binary or unary statistics.
    """
    types = graph.entity_types_array()
    if len(graph.schema[relation]) == 1:
        kind = graph.schema[relation][0]
        return np.array(
            [graph.property_mask(relation).sum() / max(1, (types == kind).sum())]
        )
    matrix = graph.adjacency(relation)
    head_type, tail_type = graph.schema[relation]
    out_degree = np.asarray((matrix > 0).sum(axis=1)).ravel()
    in_degree = np.asarray((matrix > 0).sum(axis=0)).ravel()
    heads, tails = out_degree > 0, in_degree > 0
    n_edges = matrix.nnz
    reverse = matrix.multiply(matrix.T).nnz / n_edges if n_edges else 0.0
    return np.array(
        [
            np.log1p(out_degree[heads].mean()) if heads.any() else 0.0,
            np.log1p(in_degree[tails].mean()) if tails.any() else 0.0,
            heads.sum() / max(1, (types == head_type).sum()),
            tails.sum() / max(1, (types == tail_type).sum()),
            reverse,
        ]
    )


def _similarity(a, b):
    return float(np.exp(-np.linalg.norm(a - b)))


def check_relation_pair(source_graph, target_graph, source, target, types, where):
    """Check that target relation ``target`` can stand for source ``source``.

    Both must exist and have the same arity, and their argument types must
    extend the type correspondence ``types`` (updated in place) without
    sending a source type to two target types.
    """
    source_graph.check_relation(source)
    target_graph.check_relation(target)
    s_types, t_types = source_graph.schema[source], target_graph.schema[target]
    if len(s_types) != len(t_types):
        raise ValueError(
            f"Arity mismatch {where}: {source!r} has {len(s_types)} argument(s), "
            f"{target!r} {len(t_types)}."
        )
    for s, t in zip(s_types, t_types):
        if types.setdefault(s, t) != t:
            raise ValueError(
                f"Type mismatch {where}: source type {s!r} would become both "
                f"{types[s]!r} and {t!r} ({source!r} -> {target!r})."
            )


def _types_of(graph):
    return set(graph.entity_types_array()) | {
        t for ts in graph.schema.values() for t in ts
    }


def check_type_mapping(type_mapping, source_graph, target_graph):
    """Check a ``{source type: target type}`` map: known types, one to one.

    Returns
    -------
    type_mapping : dict
    """
    type_mapping = dict(type_mapping)
    for types, graph, role in (
        (list(type_mapping), source_graph, "source"),
        (list(type_mapping.values()), target_graph, "target"),
    ):
        known = _types_of(graph)
        unknown = [t for t in types if t not in known]
        if unknown:
            raise ValueError(
                f"type_mapping names {role} types the {role} graph does not have: "
                f"{_listed(unknown)}; it has {_listed(known)}."
            )
    if len(set(type_mapping.values())) != len(type_mapping):
        raise ValueError(
            f"type_mapping sends two source types to one target type: {type_mapping}; "
            "a type mapping is one to one."
        )
    return type_mapping


@dataclass(frozen=True)
class Mapping:
    """A typed, injective mapping of source relations onto target relations.

    ``relations[r] = (s, inverted)``: source relation ``r`` becomes target
    relation ``s``, read backwards when ``inverted``.
    """

    types: dict
    relations: dict
    score: float

    def step(self, step):
        """The target step of a source step, or None when unmapped."""
        if step.relation not in self.relations:
            return None
        target, inverted = self.relations[step.relation]
        return Step(target, step.inverse != inverted)

    def feature(self, name):
        """The target feature name of a source one, or None when unmapped."""
        kind, path, prop = parse_feature_name(name)
        steps = tuple(self.step(s) for s in path)
        if any(s is None for s in steps):
            return None
        if prop is not None:
            if prop not in self.relations:
                return None
            prop = self.relations[prop][0]
        return feature_name(kind, steps, prop)


class _LinearPathModel:
    """Fixed weights over a featurizer's columns: a model without training."""

    def __init__(self, featurizer, coef, intercept):
        self.featurizer = featurizer
        self.coef = coef
        self.intercept = intercept

    def decision_function(self, X):
        # The features are fixed, so fitting only checks them: no label is used.
        return clone(self.featurizer).fit_transform(X) @ self.coef + self.intercept


def mapped_model(source_model, mapping, target_graph, target_relation):
    """The source rules carried onto the target graph by ``mapping``.

    Each source feature with a non-zero weight becomes the target feature the
    mapping gives it, with the same weight; rules that use an unmapped
    relation are dropped. None when no rule survives.
    """
    names = source_model.featurizer_.get_feature_names_out()
    weights = source_model.estimator_.coef_[0]
    mapped = {}
    for name, weight in zip(names, weights):
        target = mapping.feature(name) if weight != 0 else None
        if target is not None:
            mapped[target] = mapped.get(target, 0.0) + weight
    if not mapped:
        return None
    featurizer = PathFeaturizer(
        target_graph,
        relation=target_relation,
        max_length=source_model.max_length,
        value=source_model.value,
        hide=source_model.hide,
        features=list(mapped),
    )
    return _LinearPathModel(
        featurizer,
        np.array(list(mapped.values())),
        source_model.estimator_.intercept_[0],
    )


def count_type_mappings(n_source, n_target):
    """How many injective maps of ``n_source`` types into ``n_target`` types
    there are when a source type may also stay unmapped.

    Mapping ``j`` of the source types: ``C(n_source, j)`` ways to choose them
    times ``n_target! / (n_target - j)!`` ways to place them, summed over
    ``j``. This is what :class:`PredicateMapper` would enumerate; it grows
    factorially (8 free types on each side: 1,441,729).

    Parameters
    ----------
    n_source, n_target : int

    Returns
    -------
    count : int

    Examples
    --------
    >>> from sktransfer.relational._mapping import count_type_mappings
    >>> count_type_mappings(2, 2)  # none, 4 ways to map one, 2 to map both
    7
    """
    return sum(
        math.comb(n_source, j) * math.perm(n_target, j)
        for j in range(min(n_source, n_target) + 1)
    )


def _injective_maps(sources, targets):
    """Every map of ``sources`` into distinct ``targets``, a source possibly
    left out; each map once (a target image before leaving a source out)."""
    if not sources:
        yield {}
        return
    first, rest = sources[0], sources[1:]
    for target in targets:
        others = [t for t in targets if t != target]
        for mapping in _injective_maps(rest, others):
            yield {first: target, **mapping}
    yield from _injective_maps(rest, targets)


def _free_types(source, target, fixed):
    """The source and target types ``fixed`` (the anchor's types and the
    user's ``type_mapping``) leaves to the search, sorted."""
    source_types = sorted(set(source.entity_types_array()) - set(fixed))
    target_types = sorted(set(target.entity_types_array()) - set(fixed.values()))
    return source_types, target_types


def _type_mappings(source, target, fixed):
    """Injective maps of the source types (``fixed`` ones kept) into the target's."""
    source_types, target_types = _free_types(source, target, fixed)
    for free in _injective_maps(source_types, target_types):
        yield {**fixed, **free}


def _candidate_pairs(source, target, types, fixed, signatures):
    """``(source, target, inverted, similarity)`` relation pairs ``types`` allows."""
    pairs = []
    for r in source.relations:
        if r in fixed:
            continue
        wanted = tuple(types.get(t) for t in source.schema[r])
        if None in wanted:
            continue
        for s in target.relations:
            if s in fixed.values():
                continue
            got = target.schema[s]
            for inverted, order in ((False, got), (True, got[::-1])):
                if len(got) != len(wanted) or tuple(order) != wanted:
                    continue
                if inverted and len(got) == 1:
                    continue
                a = signatures["source"][r]
                b = signatures["target"][s]
                if inverted:
                    b = b[[1, 0, 3, 2, 4]]
                pairs.append((r, s, inverted, _similarity(a, b)))
    return pairs


def _best_assignment(pairs):
    """Injective relation assignment maximizing the summed similarity."""
    if not pairs:
        return {}, 0.0
    sources = sorted({p[0] for p in pairs})
    targets = sorted({p[1] for p in pairs})
    best = {}
    for r, s, inverted, similarity in pairs:
        if similarity > best.get((r, s), (None, -1))[1]:
            best[(r, s)] = (inverted, similarity)
    gain = np.zeros((len(sources), len(targets)))
    for (r, s), (_, similarity) in best.items():
        gain[sources.index(r), targets.index(s)] = similarity
    rows, cols = linear_sum_assignment(-gain)
    chosen = {}
    total = 0.0
    for i, j in zip(rows, cols):
        if gain[i, j] >= _MIN_SIMILARITY:
            r, s = sources[i], targets[j]
            chosen[r] = (s, best[(r, s)][0])
            total += gain[i, j]
    return chosen, total


class PredicateMapper(BaseEstimator):
    """Map a source graph's relations onto a target graph's, typed and injective.

    The source relation to predict is mapped onto the target relation to
    predict (the *anchor*), which fixes their argument types (and so does
    ``type_mapping`` for the types it names). The other source types are
    mapped injectively onto target types in every possible way (a source type
    may also stay unmapped): their number grows factorially with the number
    of types (:func:`count_type_mappings`), so it is counted first and a
    search of more than ``max_type_mappings`` is refused with advice. For
    each type mapping, relations whose argument types correspond
    are assigned to each other (one to one, binary relations possibly read
    backwards) to maximize the summed similarity of their structure
    (:func:`relation_signature`: degrees, coverage and reciprocity, which do
    not depend on the graphs' sizes). No label is needed for this
    structural search (``fit()``).

    With a few labeled target rows and a fitted source model
    (``fit(X, y, source_model=...)``) the ``n_candidates`` best structural
    mappings are re-ranked by the ROC AUC of the mapped source model on those
    rows (ties broken by how far apart the model's scores of positive and
    negative rows are, then by the structural score): a supervised choice, as in
    the mapping search of TAMAR (Mihalkova, Huynh and Mooney, 2007).

    Parameters
    ----------
    source_graph, target_graph : RelationalGraph
        The graphs whose relations are mapped.
    source_relation, target_relation : str
        The relations predicted in each graph (the anchor).
    n_candidates : int, default=100
        Structural mappings kept for supervised re-ranking.
    type_mapping : dict of str to str, default=None
        Source types whose target type you know (``{"movie": "course"}``);
        only the other types are searched. Must agree with the anchor's types
        and be one to one.
    max_type_mappings : int, default=20000
        Refuse (with advice) a search of more type mappings than this. Each
        takes a relation assignment, so the time is about proportional: some
        7,000 to 15,000 per second with 12 to 20 relations per graph, so the
        default stays within a few seconds.

    Attributes
    ----------
    mapping_ : dict
        ``{source relation: (target relation, inverted)}``, anchor included.
    type_mapping_ : dict
        ``{source type: target type}``.
    n_type_mappings_ : int
        Type mappings searched.
    candidates_ : list of Mapping
        The best structural mappings, best first.
    scores_ : list of dict
        Per candidate: ``structural`` score and, when supervised, ``auc`` and
        ``separation``.

    References
    ----------
    .. [1] L. Mihalkova, T. Huynh and R. J. Mooney. Mapping and revising
       Markov logic networks for transfer learning. *AAAI*, 2007.

    Examples
    --------
    >>> from sktransfer.relational import PredicateMapper, RelationalGraph
    >>> def shop(buys, follows):
    ...     pairs = [(f"p{i}", f"i{i % 3}") for i in range(9)]
    ...     friends = [(f"p{i}", f"p{(i + 1) % 9}") for i in range(9)]
    ...     triples = [(h, buys, t) for h, t in pairs]
    ...     triples += [(h, follows, t) for h, t in friends]
    ...     return RelationalGraph.from_triples(
    ...         triples,
    ...         schema={buys: ("person", "item"), follows: ("person", "person"),
    ...                 "likes_" + buys: ("person", "item")},
    ...     )
    >>> books, gadgets = shop("bought", "friend"), shop("purchased", "follows")
    >>> mapper = PredicateMapper(
    ...     books, gadgets, source_relation="likes_bought",
    ...     target_relation="likes_purchased",
    ... ).fit()
    >>> mapper.mapping_["bought"], mapper.mapping_["friend"]
    (('purchased', False), ('follows', False))
    """

    _parameter_constraints = {
        "source_graph": [HasMethods(["adjacency", "indices"])],
        "target_graph": [HasMethods(["adjacency", "indices"])],
        "source_relation": [str],
        "target_relation": [str],
        "n_candidates": [Interval(numbers.Integral, 1, None, closed="left")],
        "type_mapping": [dict, None],
        "max_type_mappings": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        source_graph,
        target_graph,
        *,
        source_relation,
        target_relation,
        n_candidates=100,
        type_mapping=None,
        max_type_mappings=20000,
    ):
        self.source_graph = source_graph
        self.target_graph = target_graph
        self.source_relation = source_relation
        self.target_relation = target_relation
        self.n_candidates = n_candidates
        self.type_mapping = type_mapping
        self.max_type_mappings = max_type_mappings

    def _fixed_types(self):
        """The anchor's type correspondence, with the user's ``type_mapping``."""
        types = {}
        check_relation_pair(
            self.source_graph,
            self.target_graph,
            self.source_relation,
            self.target_relation,
            types,
            where="between the predicted relations",
        )
        given = check_type_mapping(
            self.type_mapping or {}, self.source_graph, self.target_graph
        )
        for source, target in given.items():
            if types.setdefault(source, target) != target:
                raise ValueError(
                    f"type_mapping sends {source!r} to {target!r}, but the predicted "
                    f"relations {self.source_relation!r} -> {self.target_relation!r} "
                    f"send it to {types[source]!r}."
                )
        if len(set(types.values())) != len(types):
            raise ValueError(
                f"type_mapping and the predicted relations together send two source "
                f"types to one target type: {types}; a type mapping is one to one."
            )
        return types

    def _check_search_size(self, fixed):
        source_types, target_types = _free_types(
            self.source_graph, self.target_graph, fixed
        )
        count = count_type_mappings(len(source_types), len(target_types))
        if count > self.max_type_mappings:
            raise ValueError(
                f"PredicateMapper would search {count:,} type mappings: the "
                f"{len(source_types)} source types {_listed(source_types, 10)} not "
                f"fixed by the predicted relations onto the {len(target_types)} "
                f"target types {_listed(target_types, 10)}, more than "
                f"max_type_mappings={self.max_type_mappings:,} (the number grows "
                "factorially with the types). Fix the types you know with "
                "type_mapping={source type: target type} (each fixed type removes "
                "a factor), give the relation mapping yourself (mapping={...} in "
                "RelationalTransferClassifier), merge or drop types you do not "
                "need, or raise max_type_mappings if you can wait."
            )
        return count

    def _structural_candidates(self):
        anchor_types = self._fixed_types()
        self.n_type_mappings_ = self._check_search_size(anchor_types)
        fixed = {self.source_relation: self.target_relation}
        # Each relation's signature once, not once per type mapping.
        signatures = {
            "source": {
                r: relation_signature(self.source_graph, r)
                for r in self.source_graph.relations
            },
            "target": {
                s: relation_signature(self.target_graph, s)
                for s in self.target_graph.relations
            },
        }
        candidates = []
        for types in _type_mappings(self.source_graph, self.target_graph, anchor_types):
            pairs = _candidate_pairs(
                self.source_graph, self.target_graph, types, fixed, signatures
            )
            relations, score = _best_assignment(pairs)
            relations[self.source_relation] = (self.target_relation, False)
            candidates.append(Mapping(types, relations, score))
        candidates.sort(key=lambda m: (-m.score, sorted(m.relations.items())))
        unique = list(
            {
                tuple(sorted(m.relations.items())): m for m in reversed(candidates)
            }.values()
        )
        unique.sort(key=lambda m: (-m.score, sorted(m.relations.items())))
        return unique[: self.n_candidates]

    def _check_supervised(self, X, y, source_model):
        if X is None or y is None or source_model is None:
            raise ValueError(
                "Supervised mapping needs the labeled target rows (X, y) and the "
                "fitted source model (source_model=...); call fit() without them "
                "for the structural mapping."
            )
        if not isinstance(source_model, PathRuleLearner):
            raise TypeError(
                "source_model must be a fitted PathRuleLearner of the source graph; "
                f"got {type(source_model).__name__}."
            )
        check_is_fitted(source_model)
        X = check_entity_rows(X, self.target_graph, where="target_graph")
        y = check_binary_labels(y, X.shape[0], "Supervised mapping")
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None, *, source_model=None):
        """Search the mappings; with labels and a source model, re-rank them.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1), default=None
            Labeled target rows (supervised re-ranking only).
        y : array-like of shape (n,), default=None
            Their labels; both classes needed.
        source_model : fitted PathRuleLearner, default=None
            The source rules to map and score.

        Returns
        -------
        self : object

        Raises
        ------
        ValueError
            An unknown or mismatched relation or type, a search larger than
            ``max_type_mappings``, or supervised inputs that are incomplete
            (``X``, ``y`` and ``source_model`` go together) or wrong.
        """
        supervised = any(v is not None for v in (X, y, source_model))
        if supervised:
            X, y = self._check_supervised(X, y, source_model)
        self.candidates_ = self._structural_candidates()
        self.scores_ = [{"structural": m.score} for m in self.candidates_]
        best = self.candidates_[0]
        if supervised:
            for mapping, scores in zip(self.candidates_, self.scores_):
                scores.update(self._supervised_scores(mapping, source_model, X, y))
            order = sorted(
                range(len(self.candidates_)),
                key=lambda i: (
                    -self.scores_[i]["auc"],
                    -self.scores_[i]["separation"],
                    -self.scores_[i]["structural"],
                ),
            )
            best = self.candidates_[order[0]]
        self.best_ = best
        self.mapping_ = dict(best.relations)
        self.type_mapping_ = dict(best.types)
        return self

    def _supervised_scores(self, mapping, source_model, X, y):
        """ROC AUC of the mapped source model on the labeled rows, and the
        separation of its scores (mean positive minus mean negative, over
        their standard deviation), which breaks the many ties of an AUC on a
        handful of rows. A mapping under which no rule survives scores worst.
        """
        model = mapped_model(
            source_model, mapping, self.target_graph, self.target_relation
        )
        if model is None:
            return {"auc": -np.inf, "separation": -np.inf}
        scores = model.decision_function(X)
        positive = y == np.unique(y)[1]
        spread = scores.std()
        separation = (
            (scores[positive].mean() - scores[~positive].mean()) / spread
            if spread > 0
            else 0.0
        )
        return {"auc": float(roc_auc_score(y, scores)), "separation": float(separation)}
