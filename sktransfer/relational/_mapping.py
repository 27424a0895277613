"""Predicate mapping: which target relation plays each source relation's part."""

import itertools
import logging
import numbers
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import HasMethods, Interval

from ._paths import Step, parse_path, path_name

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
        kind, _, rest = name.partition(":")
        if kind in ("head", "tail", "self"):
            mapped = self.relations.get(rest)
            return f"{kind}:{mapped[0]}" if mapped else None
        body, _, prop = rest.partition(":")
        steps = [self.step(s) for s in parse_path(body)]
        if any(s is None for s in steps):
            return None
        mapped = f"path:{path_name(tuple(steps))}"
        if prop:
            if prop not in self.relations:
                return None
            mapped += f":{self.relations[prop][0]}"
        return mapped


def _type_mappings(source, target, anchor_types):
    """Injective maps of the source types (anchors fixed) into the target's."""
    source_types = sorted(set(source.entity_types_array()) - set(anchor_types))
    free = sorted(set(target.entity_types_array()) - set(anchor_types.values()))
    options = free + [None] * len(source_types)
    seen = set()
    for image in itertools.permutations(options, len(source_types)):
        key = tuple(image)
        if key in seen:
            continue
        seen.add(key)
        mapping = dict(anchor_types)
        mapping.update({s: t for s, t in zip(source_types, image) if t is not None})
        yield mapping


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
    predict (the *anchor*), which fixes their argument types. The other
    source types are mapped injectively onto target types in every possible
    way; for each type mapping, relations whose argument types correspond
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
    source_relation, target_relation : str
        The relations predicted in each graph (the anchor).
    n_candidates : int, default=100
        Structural mappings kept for supervised re-ranking.

    Attributes
    ----------
    mapping_ : dict
        ``{source relation: (target relation, inverted)}``, anchor included.
    type_mapping_ : dict
        ``{source type: target type}``.
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
    }

    def __init__(
        self,
        source_graph,
        target_graph,
        *,
        source_relation,
        target_relation,
        n_candidates=100,
    ):
        self.source_graph = source_graph
        self.target_graph = target_graph
        self.source_relation = source_relation
        self.target_relation = target_relation
        self.n_candidates = n_candidates

    def _anchor(self):
        types = {}
        check_relation_pair(
            self.source_graph,
            self.target_graph,
            self.source_relation,
            self.target_relation,
            types,
            where="between the predicted relations",
        )
        return types

    def _structural_candidates(self):
        anchor_types = self._anchor()
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
        """
        self._validate_params()
        self.candidates_ = self._structural_candidates()
        self.scores_ = [{"structural": m.score} for m in self.candidates_]
        best = self.candidates_[0]
        if X is not None:
            if source_model is None or y is None:
                raise ValueError(
                    "Supervised mapping needs the labeled target rows (X, y) and the "
                    "fitted source model (source_model=...)."
                )
            y = np.asarray(y)
            if np.unique(y).shape[0] != 2:
                raise ValueError(
                    "Supervised mapping needs positive and negative target examples."
                )
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
        from ._transfer import mapped_model

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
