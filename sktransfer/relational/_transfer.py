"""Relational transfer: mapped source rules as a prior for the target model."""

import logging
import numbers

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin, _fit_context, clone
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ..base import BaseTransferEstimator
from ..model_selection import NegativeTransferGuard, TargetStratifiedShuffleSplit
from ..parameter._prior_solvers import prior_logistic
from ._mapping import Mapping, PredicateMapper, check_relation_pair, mapped_model
from ._paths import PathFeaturizer, check_entity_rows
from ._rules import PathRuleLearner

logger = logging.getLogger(__name__)


@validate_params(
    {
        "features": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "prior_coef": ["array-like"],
        "prior_intercept": [Interval(numbers.Real, None, None, closed="neither")],
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "strength": [Interval(numbers.Real, 0, np.inf, closed="both")],
    },
    prefer_skip_nested_validation=True,
)
def fit_prior_logistic(features, y, prior_coef, prior_intercept, C, strength):
    """Logistic regression pulled towards prior weights.

    Minimizes ``sum(log-loss) + |w|^2 / (2 C) + strength (|w - w0|^2 +
    (b - b0)^2)``. ``strength = 0`` is the L2 logistic regression of
    scikit-learn (intercept unpenalized); as ``strength`` grows the solution
    tends to the prior ``(w0, b0)``, and ``strength = np.inf`` returns it
    exactly (nothing is solved). The solver is the one of
    :class:`sktransfer.parameter.RegularTransferLogisticRegression`.

    Parameters
    ----------
    features : {array-like, sparse matrix} of shape (n_samples, n_features)
        Finite feature values.
    y : array-like of shape (n_samples,)
        Whether each row is positive: ``y > 0`` (bool, 0/1 or -1/1).
    prior_coef : array-like of shape (n_features,)
        The prior weights ``w0``.
    prior_intercept : float
        The prior intercept ``b0``.
    C : float
        Inverse L2 strength (> 0).
    strength : float
        Pull towards the prior (>= 0; ``np.inf``: the prior itself).

    Returns
    -------
    coef : ndarray of shape (n_features,)
    intercept : float

    Raises
    ------
    ValueError
        For inputs of mismatched lengths, non-finite values, or a solver that
        does not converge.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.relational import fit_prior_logistic
    >>> features = np.array([[0.0], [1.0], [0.0], [1.0]])
    >>> coef, intercept = fit_prior_logistic(
    ...     features, [0, 1, 0, 0], prior_coef=[2.0], prior_intercept=-1.0,
    ...     C=1.0, strength=1e6)
    >>> np.round(coef, 3), round(intercept, 3)
    (array([2.]), -1.0)
    """
    features = check_array(features, accept_sparse="csr", dtype=np.float64)
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    y = column_or_1d(y)
    check_consistent_length(features, y)
    prior_coef = column_or_1d(
        check_array(prior_coef, ensure_2d=False, dtype=np.float64)
    )
    n_features = features.shape[1]
    if prior_coef.shape[0] != n_features:
        raise ValueError(
            f"prior_coef has {prior_coef.shape[0]} weights but features has "
            f"{n_features} columns; give one prior weight per feature."
        )
    if not np.isfinite(prior_intercept):
        raise ValueError(f"prior_intercept must be finite; got {prior_intercept}.")
    result = prior_logistic(
        features,
        (y > 0).astype(np.float64)[:, None],
        np.ones(y.shape[0]),
        prior_coef[None, :],
        np.array([prior_intercept], dtype=np.float64),
        C=C,
        strength=strength,
    )
    if not result.converged:
        raise ValueError(
            f"The prior-regularised logistic regression did not converge: "
            f"{result.message}. Lower strength or C."
        )
    return result.coef[0], float(result.intercept[0])


class RelationalTransferClassifier(ClassifierMixin, BaseTransferEstimator):
    """Transfer path rules from a source graph to predict a target relation.

    ``fit(X, y, sample_domain)`` takes labeled rows of both domains, in
    sktransfer's stacked convention: source rows (``sample_domain >= 0``) are
    entity pairs of ``source_graph`` with labels of ``source_relation``, target
    rows (``< 0``) pairs of ``target_graph`` with labels of
    ``target_relation``. Then:

    1. Source rules: a :class:`PathRuleLearner` on the source rows.
    2. Mapping: a :class:`PredicateMapper` carries the source relations onto
       target relations, structurally, or supervised by the target labels
       (``mapping="supervised"``, the default when there are some), or as
       given (a dict ``{source relation: target relation}``).
    3. Target model: a logistic regression over the target's path features,
       pulled towards the mapped source weights with ``strength`` (see
       :func:`fit_prior_logistic`): ``strength=np.inf`` keeps the mapped
       source weights (no target fit; with ``revise=False`` this is the
       mapped source model itself), ``strength = 0`` is learning from scratch
       (an L2 :class:`PathRuleLearner` on the target rows). Revision: mapped
       rules that never fire on the target rows are dropped, and paths found
       among the target rows are added (``revise=True``).

    With ``guard=True`` a :class:`~sktransfer.NegativeTransferGuard` compares
    this against learning from scratch by inner cross-validation on the
    target rows and keeps the better (``negative_transfer_`` and a warning
    when scratch wins).

    Parameters
    ----------
    source_graph, target_graph : RelationalGraph
        The graphs the source rows and the target rows name entities of.
    source_relation, target_relation : str
        The relations predicted in each graph.
    mapping : {"structural", "supervised"} or dict, default="supervised"
        How relations are mapped; "supervised" falls back to "structural"
        without target labels.
    type_mapping : dict of str to str, default=None
        Source types whose target type you know, fixed in the mapping search
        (see :class:`PredicateMapper`).
    max_type_mappings : int, default=20000
        Largest mapping search allowed (see :class:`PredicateMapper`).
    strength : float, default=1.0
        Pull towards the mapped source weights (lambda), ``>= 0``. ``np.inf``
        keeps them as they are: with ``revise=False`` the classifier then
        predicts with the mapped source rules alone, the target labels
        serving only to choose the mapping.
    revise : bool, default=True
        Drop mapped rules without target support, add target paths.
    guard : bool, default=False
        Compare with learning from scratch by inner CV and keep the better.
    cv : int, splitter or None, default=None
        The guard's inner cross-validation. None: 20 random halves of the
        labeled target rows, stratified (a few folds of a handful of rows
        mostly tie and cannot tell transfer from scratch).
    max_length : int, default=3
        Longest path, in relations.
    value : {"binary", "count", "random_walk"}, default="binary"
        What a path feature holds (see :class:`PathFeaturizer`).
    hide : {"relation", "query"}, default="relation"
        Hide every edge of the predicted relation from the paths, or only each
        row's own edge (see :class:`PathFeaturizer`).
    C : float, default=1.0
        Inverse L2 strength of the target model (and the source's L1).
    hidden_relations : tuple of str, default=()
        Target relations never used (label leaks).
    source_hidden_relations : tuple of str, default=()
        Source relations never used.
    n_jobs : int, default=None
        Path following in parallel (joblib threads).
    random_state : int, RandomState instance or None, default=None
        Seeds the source rule learner and the guard's splits.

    Attributes
    ----------
    source_model_ : PathRuleLearner
    mapper_ : PredicateMapper or None
    mapping_ : dict
        ``{source relation: (target relation, inverted)}``.
    featurizer_ : PathFeaturizer
        Target features.
    coef_, intercept_ : ndarray, float
        Target model.
    prior_coef_ : ndarray
        The mapped source weights over ``featurizer_``'s columns.
    negative_transfer_ : bool
        With ``guard``: whether scratch was kept.
    guard_ : NegativeTransferGuard or None

    References
    ----------
    .. [1] L. Mihalkova, T. Huynh and R. J. Mooney. Mapping and revising
       Markov logic networks for transfer learning. *AAAI*, 2007.
    .. [2] R. Azevedo Santos, A. Paes and G. Zaverucha. Transfer learning by
       mapping and revising boosted relational dependency networks.
       *Machine Learning*, 109, 2020.

    Examples
    --------
    Films and their crews in the source, courses and their staff in the
    target: a person works under (is advised by) the one who directs (teaches)
    an item they take part in.

    >>> import numpy as np
    >>> from sktransfer.relational import (
    ...     RelationalGraph, RelationalTransferClassifier)
    >>> def world(acted, directed, item, target, prefix):
    ...     triples = [(f"{prefix}a{i}", acted, f"{prefix}m{i}") for i in range(8)]
    ...     triples += [(f"{prefix}d{i // 2}", directed, f"{prefix}m{i}")
    ...                 for i in range(8)]
    ...     graph = RelationalGraph.from_triples(triples, schema={
    ...         acted: ("person", item), directed: ("person", item),
    ...         target: ("person", "person")})
    ...     pairs = [[f"{prefix}a{i}", f"{prefix}d{i // 2}"] for i in range(8)]
    ...     pairs += [[f"{prefix}a{i}", f"{prefix}d{(i // 2 + 1) % 4}"]
    ...               for i in range(8)]
    ...     return graph, np.array(pairs, dtype=object), np.repeat([1, 0], 8)
    >>> imdb, Xs, ys = world("actedin", "directed", "movie", "workedunder", "s")
    >>> uw, Xt, yt = world("takes", "teaches", "course", "advisedby", "t")
    >>> few = [0, 1, 8, 9]  # two labeled target pairs per class
    >>> clf = RelationalTransferClassifier(
    ...     imdb, uw, source_relation="workedunder", target_relation="advisedby",
    ...     random_state=0,
    ... ).fit(np.vstack([Xs, Xt[few]]), np.r_[ys, yt[few]],
    ...       sample_domain=np.r_[np.ones(16, int), -2 * np.ones(4, int)])
    >>> clf.mapping_["actedin"], clf.mapping_["directed"]
    (('takes', False), ('teaches', False))
    >>> clf.predict(Xt).tolist() == yt.tolist()
    True

    The mapped source rules alone, without a target fit:

    >>> rules = clf.set_params(strength=np.inf, revise=False).fit(
    ...     np.vstack([Xs, Xt[few]]), np.r_[ys, yt[few]],
    ...     sample_domain=np.r_[np.ones(16, int), -2 * np.ones(4, int)])
    >>> bool(np.array_equal(rules.coef_, rules.prior_coef_))
    True
    >>> rules.predict(Xt).tolist() == yt.tolist()
    True
    """

    _parameter_constraints = {
        "source_graph": [HasMethods(["adjacency", "indices"])],
        "target_graph": [HasMethods(["adjacency", "indices"])],
        "source_relation": [str],
        "target_relation": [str],
        "mapping": [StrOptions({"structural", "supervised"}), dict],
        "type_mapping": [dict, None],
        "max_type_mappings": [Interval(numbers.Integral, 1, None, closed="left")],
        "strength": [Interval(numbers.Real, 0, np.inf, closed="both")],
        "revise": ["boolean"],
        "guard": ["boolean"],
        "cv": [
            Interval(numbers.Integral, 2, None, closed="left"),
            HasMethods("split"),
            None,
        ],
        "max_length": [Interval(numbers.Integral, 1, None, closed="left")],
        "value": [StrOptions({"binary", "count", "random_walk"})],
        "hide": [StrOptions({"relation", "query"})],
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "hidden_relations": [tuple, list],
        "source_hidden_relations": [tuple, list],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
    }
    # X holds entity names, checked against the graphs in _fit.
    _domain_checks = {"validate_X": False, "need_target": True}

    def __init__(
        self,
        source_graph,
        target_graph,
        *,
        source_relation,
        target_relation,
        mapping="supervised",
        type_mapping=None,
        max_type_mappings=20000,
        strength=1.0,
        revise=True,
        guard=False,
        cv=None,
        max_length=3,
        value="binary",
        hide="relation",
        C=1.0,
        hidden_relations=(),
        source_hidden_relations=(),
        n_jobs=None,
        random_state=None,
    ):
        self.source_graph = source_graph
        self.target_graph = target_graph
        self.source_relation = source_relation
        self.target_relation = target_relation
        self.mapping = mapping
        self.type_mapping = type_mapping
        self.max_type_mappings = max_type_mappings
        self.strength = strength
        self.revise = revise
        self.guard = guard
        self.cv = cv
        self.max_length = max_length
        self.value = value
        self.hide = hide
        self.C = C
        self.hidden_relations = hidden_relations
        self.source_hidden_relations = source_hidden_relations
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _rule_learner(self, graph, relation, hidden_relations, **params):
        return PathRuleLearner(
            graph,
            relation=relation,
            max_length=self.max_length,
            value=self.value,
            hide=self.hide,
            hidden_relations=hidden_relations,
            C=self.C,
            n_jobs=self.n_jobs,
            **params,
        )

    def scratch(self):
        """The same learner without the source: an L2 PathRuleLearner on the target.

        Returns
        -------
        learner : PathRuleLearner
            Unfitted; fit it on the labeled target rows.
        """
        return self._rule_learner(
            self.target_graph,
            self.target_relation,
            self.hidden_relations,
            penalty="l2",
            min_support=1,
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None):
        """Learn source rules, map them, and fit the target model with their prior.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Source and target rows, stacked.
        y : array-like of shape (n,)
            Labels; ``-1`` marks an unlabeled row (left out).
        sample_domain : array-like of int of shape (n,), default=None
            ``>= 0`` source rows, ``< 0`` target rows.

        Returns
        -------
        self : object

        Raises
        ------
        ValueError
            For a missing or wrong-length ``y``, more than two classes,
            unlabeled source rows, missing domains, or rows naming entities
            that are not in their domain's graph.
        """
        return self._validate_and_fit(X, y, sample_domain)

    def _fit(self, data):
        X, y, sample_domain = self._checked_rows(data), data.y, data.sample_domain
        self._check_mapping_early()
        source = data.is_source & data.labeled
        target = data.labeled_target
        self.classes_ = np.unique(y[data.labeled])
        if self.guard:
            return self._fit_guarded(X, y, sample_domain)
        self.guard_ = None
        self.negative_transfer_ = False
        self.source_model_ = self._rule_learner(
            self.source_graph,
            self.source_relation,
            self.source_hidden_relations,
            random_state=self.random_state,
        ).fit(X[source], y[source])
        self._fit_mapping(X[target], y[target])
        self._fit_target(X[sample_domain < 0], X[target], y[target])
        return self

    def _checked_rows(self, data):
        """``X`` as entity rows, each domain's in its graph; two classes."""
        name = type(self).__name__
        X, y = check_entity_rows(data.X), data.y
        classes = np.unique(y[data.labeled])
        source_classes = np.unique(y[data.labeled & data.is_source])
        if classes.shape[0] > 2 or source_classes.shape[0] < 2:
            raise ValueError(
                f"{name} predicts whether a fact holds (two classes) and needs "
                "positive and negative examples among the labeled source rows; got "
                f"classes {classes.tolist()} in all, {source_classes.tolist()} "
                "among the source rows."
            )
        for rows, graph, where in (
            (data.is_source, self.source_graph, "source_graph"),
            (data.is_target, self.target_graph, "target_graph"),
        ):
            check_entity_rows(
                X[rows],
                graph,
                where=where,
                hint=" Source rows (sample_domain >= 0) name entities of "
                "source_graph, target rows (< 0) of target_graph: check "
                "sample_domain.",
            )
        return X

    def _mapper(self):
        return PredicateMapper(
            self.source_graph,
            self.target_graph,
            source_relation=self.source_relation,
            target_relation=self.target_relation,
            type_mapping=self.type_mapping,
            max_type_mappings=self.max_type_mappings,
        )

    def _check_mapping_early(self):
        """What can be checked of the mapping before any rule is learned: a
        given mapping's relations, or the size of the search."""
        if isinstance(self.mapping, dict):
            _given_mapping(
                self.mapping,
                self.source_graph,
                self.target_graph,
                self.source_relation,
                self.target_relation,
            )
        else:
            mapper = self._mapper()
            mapper._check_search_size(mapper._fixed_types())

    def _fit_mapping(self, X_target, y_target):
        if isinstance(self.mapping, dict):
            self.mapper_ = None
            self.mapping_ = _given_mapping(
                self.mapping,
                self.source_graph,
                self.target_graph,
                self.source_relation,
                self.target_relation,
            )
            return
        self.mapper_ = self._mapper()
        supervised = self.mapping == "supervised" and np.unique(y_target).shape[0] == 2
        if supervised:
            self.mapper_.fit(X_target, y_target, source_model=self.source_model_)
        else:
            self.mapper_.fit()
        self.mapping_ = self.mapper_.mapping_

    def _target_featurizer(self, names):
        return PathFeaturizer(
            self.target_graph,
            relation=self.target_relation,
            max_length=self.max_length,
            value=self.value,
            hide=self.hide,
            hidden_relations=self.hidden_relations,
            features=names,
            n_jobs=self.n_jobs,
        )

    def _target_features(self, prior_names, X_target, X_labeled):
        """The mapped rules, revised: those that never fire on a target row
        (labeled or not) are dropped, the paths found among the labeled rows
        are added."""
        names = list(prior_names)
        if self.revise and names:
            support = self._target_featurizer(names).fit(X_target).support_
            names = [n for n, count in zip(names, support) if count > 0]
        if X_labeled.shape[0] and (self.revise or not names):
            found = self.scratch()._featurizer().fit(X_labeled)
            names += [n for n in found.get_feature_names_out() if n not in names]
        return names

    def _fit_target(self, X_target, X_labeled, y_labeled):
        prior = mapped_model(
            self.source_model_,
            Mapping({}, self.mapping_, 0.0),
            self.target_graph,
            self.target_relation,
        )
        prior_weights = (
            dict(zip(prior.featurizer.features, prior.coef))
            if prior is not None
            else {}
        )
        names = self._target_features(list(prior_weights), X_target, X_labeled)
        self.featurizer_ = self._target_featurizer(names).fit(X_target)
        self.prior_coef_ = np.array([prior_weights.get(n, 0.0) for n in names])
        self.prior_intercept_ = (
            float(self.source_model_.estimator_.intercept_[0])
            if prior is not None
            else 0.0
        )
        if np.unique(y_labeled).shape[0] < 2:
            # No target labels of both classes: the mapped source model itself.
            self.coef_, self.intercept_ = self.prior_coef_.copy(), self.prior_intercept_
            return
        self.coef_, self.intercept_ = fit_prior_logistic(
            self.featurizer_.transform(X_labeled),
            y_labeled == self.classes_[1],
            self.prior_coef_,
            self.prior_intercept_,
            self.C,
            self.strength,
        )

    def _guard_cv(self):
        if self.cv is not None:
            return self.cv
        return TargetStratifiedShuffleSplit(
            20, test_size=0.5, random_state=self.random_state
        )

    def _fit_guarded(self, X, y, sample_domain):
        unguarded = clone(self).set_params(guard=False)
        self.guard_ = NegativeTransferGuard(
            unguarded,
            baseline=self.scratch(),
            baselines=("target_only",),
            cv=self._guard_cv(),
            scoring="roc_auc",
            random_state=self.random_state,
        ).fit(X, y, sample_domain=sample_domain)
        self.negative_transfer_ = self.guard_.negative_transfer_
        return self

    def decision_function(self, X):
        """Log-odds that each target row's fact holds.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs or entities of the target graph.

        Returns
        -------
        scores : ndarray of shape (n,)
        """
        check_is_fitted(self)
        check_entity_rows(
            X,
            self.target_graph,
            where="target_graph",
            hint=f" {type(self).__name__} predicts rows of target_graph.",
        )
        if self.guard_ is not None:
            return self.guard_.decision_function(X)
        return self.featurizer_.transform(X) @ self.coef_ + self.intercept_

    def predict_proba(self, X):
        """``[[p(no), p(yes)], ...]`` for each target row.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs or entities of the target graph.

        Returns
        -------
        proba : ndarray of shape (n, 2)
        """
        positive = expit(self.decision_function(X))
        return np.column_stack([1 - positive, positive])

    def predict(self, X):
        """The label of each target row.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs or entities of the target graph.

        Returns
        -------
        labels : ndarray of shape (n,)
        """
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags


def _given_mapping(
    mapping, source_graph, target_graph, source_relation, target_relation
):
    """Check a user's ``{source: target}`` mapping (arity, types, one to one)."""
    mapping = dict(mapping)
    mapping.setdefault(source_relation, target_relation)
    if len(set(mapping.values())) != len(mapping):
        raise ValueError(f"The mapping is not one to one: {mapping}.")
    types = {}
    for source, target in mapping.items():
        check_relation_pair(
            source_graph, target_graph, source, target, types, where="in the mapping"
        )
    return {source: (target, False) for source, target in mapping.items()}
